/*
 * Forward (inline, with the original's attachments carried over, or the
 * whole original as message/rfc822) and bounce (RFC 5322 §3.6.6: the
 * message unchanged under Resent-* fields, sent to new recipients only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "util/util.h"
#include "config/config.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/compose_private.h"

/* ---- forward ---------------------------------------------------------- */

static void
block_field(struct qu_buf *b, const char *p, size_t n, const char *name)
{
	char *raw = compose_header_raw(p, n, name);
	if (!raw)
		return;
	char *v = mime_text_decode(raw, strlen(raw), MIME_TEXT_TRIM, NULL, NULL);
	qu_buf_printf(b, "%s: ", name);
	for (const unsigned char *c = (const unsigned char *)v; *c; c++)
		qu_buf_append_byte(b, *c < 0x20 ? ' ' : (char)*c);
	qu_buf_append_byte(b, '\n');
	free(v);
	free(raw);
}

/* Saves each attachment of the message (parts numbered as
 * app_message_parts numbers them: tree order) into dir and lists it in d. */
static int
carry_attachments(const char *p, size_t n, const char *dir, struct app_draft *d,
		  struct qu_err *err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s", dir);
	struct mime_part *root = mime_parse(p, n, NULL, NULL);
	struct app_reader *r = app_reader_new();
	size_t i = 0;
	int rc = 0;
	for (const struct mime_part *q = root; q && rc == 0; q = mime_part_next(q, root), i++) {
		if (q->kind != MIME_PART_LEAF)
			continue;
		if (q->disposition != MIME_DISPOSITION_ATTACHMENT && !q->filename &&
		    mime_part_is_text(q))
			continue; /* the text, forwarded inline */
		char *saved = NULL;
		rc = app_message_save_part(r, p, n, i, dir, &saved, err);
		if (rc == 0)
			compose_draft_add_attach(d, saved, NULL);
		free(saved);
	}
	app_reader_free(r);
	mime_part_free(root);
	return rc;
}

static int
forward_body(const char *p, size_t n, bool as_attachment, const struct app_compose_opts *o,
	     const struct cfg_account *a, struct app_draft *d, struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_byte(&b, '\n');
	if (!as_attachment) {
		qu_buf_append_str(&b, "\n----- Forwarded message -----\n");
		static const char *const fields[] = {"Date", "From", "To", "Cc", "Subject"};
		for (size_t i = 0; i < QU_ARRAY_LEN(fields); i++)
			block_field(&b, p, n, fields[i]);
		qu_buf_append_byte(&b, '\n');
		bool flowed, delsp;
		struct qu_buf t;
		qu_buf_init(&t, SIZE_MAX);
		compose_body_text(p, n, &t, &flowed, &delsp);
		qu_buf_append(&b, t.data ? t.data : "", t.len);
		if (t.len && t.data[t.len - 1] != '\n')
			qu_buf_append_byte(&b, '\n');
		qu_buf_clear(&t);
		qu_buf_append_str(&b, "----- End forwarded message -----\n");
	}
	int rc = 0;
	if (!o->no_signature && a && a->signature) {
		qu_buf_append_byte(&b, '\n');
		rc = compose_signature(a, o->signature_timeout_ms, &b, err);
	}
	d->body = qu_buf_steal(&b, &d->body_len);
	return rc;
}

int
app_compose_forward(const char *p, size_t n, bool as_attachment,
		    const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err)
{
	app_draft_clear(d);
	if (as_attachment && !o->path)
		return qu_err_set(err, QU_E_USAGE, "forwarding as an attachment needs the "
				  "message's file");
	const struct cfg_account *a = app_identity_for_message(o->cfg, o->account, p, n, &d->from);
	const char *fmt = o->settings ? o->settings->forward_format : "Fwd: %s";
	d->subject = app_attribution(fmt, p, n);
	compose_clean(d->subject);
	if (as_attachment)
		d->forward_file = xstrdup(o->path);
	else if (o->attach_dir && carry_attachments(p, n, o->attach_dir, d, err) < 0)
		return -1;
	return forward_body(p, n, as_attachment, o, a, d, err);
}

/* ---- bounce ---------------------------------------------------------- */

static char *
resent_id(const struct mime_build_fixed *fx, const char *from_addr)
{
	if (fx && fx->message_id)
		return xasprintf("<%s>", fx->message_id);
	unsigned char r[12];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		for (size_t i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(qu_now_ms() >> (i % 8)) ^ (unsigned char)rand();
	char hex[25];
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	const char *at = strrchr(from_addr, '@');
	return xasprintf("<%s.resent@%s>", hex, at ? at + 1 : "localhost");
}

/* The addresses of a user's list, "a@b, c@d"; NULL with USAGE. */
static char *
address_list(const char *s, const char *what, struct qu_err *err)
{
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	if (mime_build_addr_list(s ? s : "", true, &l, err) < 0 || !l.n) {
		if (!l.n && err->cls != QU_E_USAGE)
			qu_err_set(err, QU_E_USAGE, "%s: no address", what);
		else
			qu_err_prefix(err, "%s", what);
		mime_addr_list_clear(&l);
		return NULL;
	}
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < l.n; i++)
		qu_buf_printf(&b, "%s%s", i ? ", " : "", l.v[i].address);
	mime_addr_list_clear(&l);
	return qu_buf_steal(&b, NULL);
}

int
app_bounce_message(const char *p, size_t n, const char *from, const char *to,
		   const struct mime_build_fixed *fixed, bool lf, struct qu_buf *out,
		   struct qu_err *err)
{
	qu_err_clear(err);
	char *rto = address_list(to, "bounce to", err);
	char *rfrom = rto ? address_list(from, "bounce from", err) : NULL;
	if (!rto || !rfrom) {
		free(rto);
		free(rfrom);
		return -1;
	}
	const char *eol = lf ? "\n" : "\r\n";
	char date[64];
	mime_format_date(fixed, date, sizeof date);
	char *id = resent_id(fixed, rfrom);
	qu_buf_printf(out, "Resent-From: %s%sResent-To: %s%sResent-Date: %s%s"
			   "Resent-Message-ID: %s%s",
		      rfrom, eol, rto, eol, date, eol, id, eol);
	free(id);
	free(rto);
	free(rfrom);
	/* An mbox envelope line is no part of the message. */
	if (n >= 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', n);
		size_t skip = nl ? (size_t)(nl - p) + 1 : n;
		p += skip;
		n -= skip;
	}
	if (!lf)
		return qu_buf_append(out, p, n) < 0 ? qu_err_set(err, QU_E_DATA, "too large") : 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' || i + 1 >= n || p[i + 1] != '\n')
			qu_buf_append_byte(out, p[i]);
	return 0;
}

int
app_bounce(const struct cfg *c, const struct cfg_account *a, const char *p, size_t n,
	   const char *to, const struct app_net *net, app_send_note_fn note, void *ctx,
	   struct qu_buf *dry, struct qu_err *err)
{
	char *from = NULL;
	if (!a)
		a = app_identity_for_message(c, NULL, p, n, &from);
	else
		from = a->from ? xstrdup(a->from) : NULL;
	if (!a || !from) {
		free(from);
		return qu_err_set(err, QU_E_CONFIG, "no account with a from address to bounce with");
	}
	struct qu_buf msg;
	qu_buf_init(&msg, SIZE_MAX);
	int rc = app_bounce_message(p, n, from, to, NULL, true, &msg, err);
	free(from);
	if (rc == 0) {
		/* Envelope recipients: the bounce's only, never the message's
		 * own To and Cc. */
		const char *rcpt[1] = {to};
		struct app_send_opts o = {.raw = true, .to = rcpt, .n_to = 1, .input = msg.data,
					  .input_len = msg.len, .dry_run = dry != NULL};
		rc = app_send(a, &o, net, note, ctx, dry, err);
	}
	qu_buf_clear(&msg);
	return rc;
}
