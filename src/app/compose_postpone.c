/*
 * Postponed drafts: a message in the account's drafts Maildir (the [ui]
 * drafts setting, "=Drafts"), flagged D. It is the draft built as it
 * would be sent, so another mail program shows it readably, with what a
 * message cannot say in fields of quail's own (percent-encoded, stripped
 * when the draft is sent, since recall turns them back into the draft):
 *   X-Quail-Bcc           the Bcc (never a header of a sent message)
 *   X-Quail-Reply-To-File the message replied to (it gets R once sent)
 *   X-Quail-Forward-File  the message forwarded as message/rfc822
 *   X-Quail-Attach        an attachment's path, then a space and its
 *                         description; the file is attached when sent,
 *                         so it must still be there then
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/util.h"
#include "config/config.h"
#include "mime/mime.h"
#include "store/store.h"
#include "app/app.h"
#include "app/compose_private.h"

static char *
pct(const char *s)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	/* Everything outside printable ASCII (UTF-8 file names too: the
	 * field stays ASCII), the space that parts a path from its
	 * description, and '%'. */
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c <= 0x20 || *c >= 0x7f || *c == '%')
			qu_buf_printf(&b, "%%%02X", *c);
		else
			qu_buf_append_byte(&b, (char)*c);
	}
	return qu_buf_steal(&b, NULL);
}

static char *
unpct(const char *s)
{
	size_t n;
	char *r = qu_pct_decode(s, strlen(s), &n);
	if (r && strlen(r) != n) { /* a NUL: refused */
		free(r);
		r = NULL;
	}
	return r;
}

static void
add_private(struct app_draft *t, const char *name, const char *v)
{
	char *e = pct(v);
	compose_draft_add_header(t, name, e);
	free(e);
}

int
app_draft_postpone(const struct cfg_account *a, const struct app_compose_settings *s,
		   const struct app_draft *d, char **path, struct qu_err *err)
{
	if (path)
		*path = NULL;
	char *dir = compose_folder(a, s && s->drafts ? s->drafts : "=Drafts", err);
	if (!dir)
		return -1;
	/* A copy without attachments and with the private fields. */
	struct app_draft t = *d;
	t.attach = NULL;
	t.n_attach = 0;
	t.forward_file = NULL;
	t.bcc = NULL;
	t.headers = xcalloc(d->n_headers + d->n_attach + 3, sizeof *t.headers);
	memcpy(t.headers, d->headers, d->n_headers * sizeof *t.headers);
	t.n_headers = d->n_headers;
	size_t own = t.n_headers;
	if (d->bcc)
		add_private(&t, "X-Quail-Bcc", d->bcc);
	if (d->reply_file)
		add_private(&t, "X-Quail-Reply-To-File", d->reply_file);
	if (d->forward_file)
		add_private(&t, "X-Quail-Forward-File", d->forward_file);
	for (size_t i = 0; i < d->n_attach; i++) {
		char *e = pct(d->attach[i].path);
		char *v = d->attach[i].description ? xasprintf("%s %s", e, d->attach[i].description)
						   : xstrdup(e);
		add_private(&t, "X-Quail-Attach", v); /* the description encoded too */
		free(v);
		free(e);
	}
	struct qu_buf msg;
	qu_buf_init(&msg, SIZE_MAX);
	int rc = app_draft_build(NULL, a, &t, NULL, &msg, err);
	struct maildir *md = rc == 0 ? maildir_open(dir, true, err) : NULL;
	char *name = NULL;
	if (rc == 0)
		rc = md ? maildir_deliver(md, msg.data, msg.len, "D", true, &name, err) : -1;
	if (rc == 0 && path)
		*path = xasprintf("%s/%s", dir, name);
	for (size_t i = own; i < t.n_headers; i++)
		free(t.headers[i]);
	free(t.headers);
	free(name);
	maildir_free(md);
	qu_buf_clear(&msg);
	free(dir);
	return rc;
}

/* ---- recall ---------------------------------------------------------- */

static char *
decoded(const char *raw)
{
	return mime_text_decode(raw, strlen(raw), MIME_TEXT_TRIM, NULL, NULL);
}

/* One field of a stored draft into t. */
static void
recall_field(struct app_draft *t, const char *name, const char *raw)
{
	static const char *const skip[] = {"Date", "Message-ID", "MIME-Version", "Sender"};
	for (size_t i = 0; i < QU_ARRAY_LEN(skip); i++)
		if (!strcasecmp(name, skip[i]))
			return;
	if (qu_str_has_prefix_ci(name, "Content-"))
		return;
	char **slot = !strcasecmp(name, "From")		 ? &t->from
		      : !strcasecmp(name, "To")		 ? &t->to
		      : !strcasecmp(name, "Cc")		 ? &t->cc
		      : !strcasecmp(name, "Subject")	 ? &t->subject
		      : !strcasecmp(name, "Reply-To")	 ? &t->reply_to
		      : !strcasecmp(name, "In-Reply-To") ? &t->in_reply_to
		      : !strcasecmp(name, "References")	 ? &t->references
							 : NULL;
	if (slot) {
		free(*slot);
		bool ids = slot == &t->in_reply_to || slot == &t->references;
		*slot = ids ? xstrdup(raw) : decoded(raw);
		return;
	}
	/* The builder may have folded a long value into encoded words. */
	char *plain = qu_str_has_prefix_ci(name, "X-Quail-") ? decoded(raw) : NULL;
	if (plain)
		raw = plain;
	char **priv = !strcasecmp(name, "X-Quail-Bcc")		  ? &t->bcc
		      : !strcasecmp(name, "X-Quail-Reply-To-File") ? &t->reply_file
		      : !strcasecmp(name, "X-Quail-Forward-File")  ? &t->forward_file
								   : NULL;
	if (priv) {
		free(*priv);
		*priv = unpct(raw);
	} else if (!strcasecmp(name, "X-Quail-Attach")) {
		char *v = unpct(raw);
		char *sp = v ? strchr(v, ' ') : NULL;
		if (sp)
			*sp++ = '\0';
		if (v && *v) {
			char *path = unpct(v);
			if (path)
				compose_draft_add_attach(t, path, sp);
			free(path);
		}
		free(v);
	} else if (!plain) {
		compose_draft_add_header(t, name, raw);
	}
	free(plain);
}

int
app_draft_recall(const char *path, struct app_draft *d, struct qu_err *err)
{
	struct store_map m;
	if (store_map_file(path, &m, err) < 0)
		return -1;
	app_draft_clear(d);
	struct mime_header_iter it;
	struct mime_header_field f;
	mime_header_iter_init(&it, m.p, m.len, NULL);
	struct qu_buf v;
	qu_buf_init(&v, SIZE_MAX);
	while (mime_header_iter_next(&it, &f)) {
		qu_buf_reset(&v);
		mime_header_unfold(f.value, f.value_len, &v);
		const char *vp = v.data ? v.data : "";
		size_t vn = v.len;
		qu_mem_trim(&vp, &vn);
		char *name = xstrndup(f.name, f.name_len);
		char *val = xstrndup(vp, vn);
		recall_field(d, name, val);
		free(name);
		free(val);
	}
	qu_buf_clear(&v);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	bool flowed, delsp;
	compose_body_text(m.p, m.len, &b, &flowed, &delsp);
	qu_buf_append_str(&b, "");
	d->body = qu_buf_steal(&b, &d->body_len);
	d->postponed = xstrdup(path);
	store_unmap(&m);
	return 0;
}

/* ---- the list -------------------------------------------------------- */

struct item {
	char *path, *subject, *to;
	int64_t date;
};

static int
by_date_desc(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	return a->date < b->date ? 1 : a->date > b->date ? -1 : strcmp(b->path, a->path);
}

static void
read_item(const char *path, struct item *it)
{
	memset(it, 0, sizeof *it);
	it->path = xstrdup(path);
	struct stat st;
	if (stat(path, &st) == 0)
		it->date = (int64_t)st.st_mtime;
	struct store_map m;
	struct qu_err e;
	if (store_map_file(path, &m, &e) < 0)
		return;
	struct mime_envelope env;
	mime_envelope_init(&env);
	mime_envelope_parse(m.p, m.len, &env, NULL, NULL, NULL);
	it->subject = env.subject ? xstrdup(env.subject) : NULL;
	char *to = compose_header_raw(m.p, m.len, "To");
	it->to = to ? decoded(to) : NULL;
	free(to);
	mime_envelope_clear(&env);
	store_unmap(&m);
}

int
app_postponed_list(const struct cfg_account *a, const struct app_compose_settings *s,
		   app_postponed_fn fn, void *ctx, struct qu_err *err)
{
	char *dir = compose_folder(a, s && s->drafts ? s->drafts : "=Drafts", err);
	if (!dir)
		return -1;
	struct qu_err e;
	struct maildir *md = maildir_open(dir, false, &e);
	free(dir);
	if (!md)
		return e.cls == QU_E_NOINPUT ? 0 : (*err = e, -1);
	struct maildir_iter *it = maildir_iter_new(md, err);
	if (!it) {
		maildir_free(md);
		return -1;
	}
	struct item *v = NULL;
	size_t n = 0, alloc = 0;
	struct maildir_entry me;
	while (maildir_iter_next(it, &me)) {
		v = xgrow(v, &alloc, n + 1, sizeof *v);
		read_item(me.path, &v[n++]);
	}
	maildir_iter_free(it);
	maildir_free(md);
	if (n)
		qsort(v, n, sizeof *v, by_date_desc);
	for (size_t i = 0; i < n; i++) {
		struct app_postponed p = {v[i].path, v[i].subject, v[i].to, v[i].date};
		fn(ctx, &p);
		free(v[i].path);
		free(v[i].subject);
		free(v[i].to);
	}
	free(v);
	return 0;
}
