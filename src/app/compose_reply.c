/*
 * Reply, group reply and list reply (mutt's rules): Reply-To before From,
 * Mail-Followup-To honoured, one's own addresses (every account's from and
 * alternates) left out of a group reply, List-Post (RFC 2369) for a list
 * reply; then the subject, In-Reply-To and References (RFC 5322 §3.6.4),
 * the attribution and the quoted text, and the signature.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "config/config.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/compose_private.h"

/* A recipient list being made: no address twice, none of one's own. */
struct rlist {
	struct qu_buf b;
	char **addrs;
	size_t n;
};

static void
rlist_init(struct rlist *r)
{
	qu_buf_init(&r->b, SIZE_MAX);
	r->addrs = NULL;
	r->n = 0;
}

static bool
rlist_has(const struct rlist *r, const char *addr)
{
	for (size_t i = 0; i < r->n; i++)
		if (compose_addr_eq(r->addrs[i], addr))
			return true;
	return false;
}

static void
rlist_add(struct rlist *r, const struct rlist *also_not, const struct cfg *own,
	  const struct mime_addr_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *addr = l->v[i].address;
		if (!addr || !*addr || rlist_has(r, addr) || (also_not && rlist_has(also_not, addr)))
			continue;
		if (own && app_is_own_address(own, addr))
			continue;
		char *mb = compose_mailbox(l->v[i].name, addr);
		qu_buf_printf(&r->b, "%s%s", r->b.len ? ", " : "", mb);
		free(mb);
		r->addrs = xrealloc(r->addrs, (r->n + 1) * sizeof *r->addrs);
		r->addrs[r->n++] = xstrdup(addr);
	}
}

/* The list as a new string, NULL when empty; r is emptied. */
static char *
rlist_take(struct rlist *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->addrs[i]);
	free(r->addrs);
	r->addrs = NULL;
	r->n = 0;
	return r->b.len ? qu_buf_steal(&r->b, NULL) : (qu_buf_clear(&r->b), NULL);
}

static void
rlist_clear(struct rlist *r)
{
	free(rlist_take(r));
}

static void
addrs_of(const char *p, size_t n, const char *field, struct mime_addr_list *l)
{
	mime_addr_list_init(l);
	compose_header_addrs(p, n, field, l);
}

/* List-Post: <mailto:list@host?subject=x> (RFC 2369 §3.4): the address;
 * NULL when there is none ("NO" and web-only lists). */
static char *
list_post(const char *p, size_t n)
{
	char *v = compose_header_raw(p, n, "List-Post");
	char *r = NULL;
	const char *m = NULL;
	for (const char *c = v; c && *c && !m; c++)
		if (qu_str_has_prefix_ci(c, "<mailto:"))
			m = c;
	if (m) {
		m += 8;
		size_t len = strcspn(m, ">?");
		char *pct = xstrndup(m, len);
		size_t dl;
		r = qu_pct_decode(pct, strlen(pct), &dl);
		free(pct);
		if (r && (strlen(r) != dl || strpbrk(r, " \t\r\n,<>\"") || !strchr(r, '@'))) {
			free(r);
			r = NULL;
		}
	}
	free(v);
	return r;
}

static int
recipients(const char *p, size_t n, enum app_reply_kind kind, const struct cfg *own,
	   struct app_draft *d, struct qu_err *err)
{
	struct rlist to, cc;
	rlist_init(&to);
	rlist_init(&cc);
	struct mime_addr_list from, reply_to, mft, t, c;
	addrs_of(p, n, "From", &from);
	addrs_of(p, n, "Reply-To", &reply_to);
	addrs_of(p, n, "Mail-Followup-To", &mft);
	addrs_of(p, n, "To", &t);
	addrs_of(p, n, "Cc", &c);
	int rc = 0;
	if (kind == APP_REPLY_LIST) {
		char *lp = list_post(p, n);
		if (lp) {
			struct mime_addr_list l;
			mime_addr_list_init(&l);
			mime_addr_list_parse(lp, strlen(lp), &l, NULL, NULL);
			rlist_add(&to, NULL, NULL, &l);
			mime_addr_list_clear(&l);
			free(lp);
		} else if (mft.n) {
			rlist_add(&to, NULL, own, &mft);
		} else {
			rc = qu_err_set(err, QU_E_USAGE,
					"not a list message: no List-Post address and no "
					"Mail-Followup-To");
		}
	} else if (kind == APP_REPLY_GROUP && mft.n) {
		/* The author asked for replies to go there (mutt's
		 * honor_followup_to). */
		rlist_add(&to, NULL, own, &mft);
	} else {
		bool mine = from.n && own && app_is_own_address(own, from.v[0].address);
		if (mine) /* a reply to one's own message goes on to its To */
			rlist_add(&to, NULL, own, &t);
		else
			rlist_add(&to, NULL, NULL, reply_to.n ? &reply_to : &from);
		if (kind == APP_REPLY_GROUP) {
			if (!mine)
				rlist_add(&cc, &to, own, &t);
			rlist_add(&cc, &to, own, &c);
		}
	}
	d->to = rlist_take(&to);
	d->cc = rlist_take(&cc);
	rlist_clear(&to);
	rlist_clear(&cc);
	mime_addr_list_clear(&from);
	mime_addr_list_clear(&reply_to);
	mime_addr_list_clear(&mft);
	mime_addr_list_clear(&t);
	mime_addr_list_clear(&c);
	return rc;
}

/* The text to quote: the first text/plain that is no attachment, else the
 * first text/html as text. *flowed and *delsp from its Content-Type. */
int
compose_body_text(const char *p, size_t n, struct qu_buf *out, bool *flowed, bool *delsp)
{
	*flowed = *delsp = false;
	struct mime_part *root = mime_parse(p, n, NULL, NULL);
	const struct mime_part *plain = NULL, *html = NULL;
	for (const struct mime_part *q = root; q; q = mime_part_next(q, root)) {
		if (q->kind != MIME_PART_LEAF || q->disposition == MIME_DISPOSITION_ATTACHMENT)
			continue;
		if (!plain && !strcmp(q->content_type, "text/plain"))
			plain = q;
		else if (!html && !strcmp(q->content_type, "text/html"))
			html = q;
	}
	const struct mime_part *use = plain ? plain : html;
	int rc = 0;
	struct qu_buf t;
	qu_buf_init(&t, SIZE_MAX);
	struct qu_err e;
	if (use && mime_part_text(use, NULL, NULL, &t, NULL, &e) == 0) {
		if (use == html) {
			struct mime_html_opts ho = {.width = 72};
			rc = mime_html_to_text(t.data ? t.data : "", t.len, &ho, out);
		} else {
			char *ct = compose_header_raw(use->base + use->off, use->body_off - use->off,
						      "Content-Type");
			if (ct) {
				struct mime_field f;
				mime_field_parse_content_type(ct, strlen(ct), &f, NULL, NULL);
				const char *fmt = mime_param_get(&f, "format");
				const char *ds = mime_param_get(&f, "delsp");
				*flowed = fmt && !strcasecmp(fmt, "flowed");
				*delsp = ds && !strcasecmp(ds, "yes");
				mime_field_clear(&f);
				free(ct);
			}
			qu_buf_append(out, t.data ? t.data : "", t.len);
		}
	}
	qu_buf_clear(&t);
	mime_part_free(root);
	return rc;
}

/* Message-ID's "<id>" as written; NULL when none. */
static char *
message_id(const char *p, size_t n)
{
	char *v = compose_header_raw(p, n, "Message-ID");
	char *r = app_reply_references(NULL, NULL, v, 1);
	free(v);
	return r;
}

static int
reply_body(const char *p, size_t n, const struct app_compose_opts *o,
	   const struct cfg_account *a, struct app_draft *d, struct qu_err *err)
{
	struct qu_buf b, text;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_init(&text, SIZE_MAX);
	const char *fmt = o->settings ? o->settings->attribution : "On %d, %n wrote:";
	char *attr = app_attribution(fmt, p, n);
	if (*attr)
		qu_buf_printf(&b, "%s\n", attr);
	free(attr);
	bool flowed, delsp;
	compose_body_text(p, n, &text, &flowed, &delsp);
	app_quote_text(text.data ? text.data : "", text.len, flowed, delsp, &b);
	qu_buf_clear(&text);
	int rc = 0;
	if (!o->no_signature && a && a->signature) {
		qu_buf_append_byte(&b, '\n');
		rc = compose_signature(a, o->signature_timeout_ms, &b, err);
	}
	d->body = qu_buf_steal(&b, &d->body_len);
	return rc;
}

int
app_compose_reply(const char *p, size_t n, enum app_reply_kind kind,
		  const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err)
{
	app_draft_clear(d);
	const struct cfg_account *a = app_identity_for_message(o->cfg, o->account, p, n, &d->from);
	if (recipients(p, n, kind, o->cfg, d, err) < 0)
		return -1;
	struct mime_envelope e;
	mime_envelope_init(&e);
	mime_envelope_parse(p, n, &e, NULL, NULL, NULL);
	d->subject = app_reply_subject(e.subject);
	mime_envelope_clear(&e);
	d->in_reply_to = message_id(p, n);
	char *refs = compose_header_raw(p, n, "References");
	char *irt = compose_header_raw(p, n, "In-Reply-To");
	d->references = app_reply_references(refs, irt, d->in_reply_to, 0);
	free(refs);
	free(irt);
	d->reply_file = o->path ? xstrdup(o->path) : NULL;
	return reply_body(p, n, o, a, d, err);
}

int
app_compose_new(const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err)
{
	app_draft_clear(d);
	const struct cfg_account *a = compose_default_account(o->cfg, o->account);
	d->from = a && a->from ? xstrdup(a->from) : NULL;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	int rc = 0;
	if (!o->no_signature && a && a->signature) {
		qu_buf_append_byte(&b, '\n');
		rc = compose_signature(a, o->signature_timeout_ms, &b, err);
	}
	qu_buf_append_str(&b, "");
	d->body = qu_buf_steal(&b, &d->body_len);
	return rc;
}
