/*
 * A draft built and sent. The message is built once, with the builder of
 * `quail send` (mime_build_message: so HTML, attachments and CJK file
 * names come out as there), and that same text is what the preview
 * shows, what goes out (app_send with the message whole, as -t does) and
 * what the local Sent copy holds. Only after the send succeeded (or the
 * message was queued) is the replied message flagged R and the
 * postponed draft removed: a failed send leaves everything as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "mime/mime.h"
#include "store/store.h"
#include "app/app.h"
#include "app/compose_private.h"

/* ---- message/rfc822 forwarding --------------------------------------- */

/* RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary, never
 * encoded, so the original's bytes go in unchanged. */
static const char *
rfc822_cte(const char *p, size_t n)
{
	bool eight = false;
	size_t line = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\0')
			return "binary";
		if (c == '\n') {
			line = 0;
			continue;
		}
		if (++line > 998)
			return "binary";
		if (c >= 0x80)
			eight = true;
	}
	return eight ? "8bit" : "7bit";
}

static bool
mem_has(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; i + k <= n; i++)
		if (p[i] == s[0] && memcmp(p + i, s, k) == 0)
			return true;
	return false;
}

/* Makes msg (a built message) multipart/mixed with its own body as the
 * first part and the file at path as a message/rfc822 part. */
static int
wrap_rfc822(struct qu_buf *msg, const char *path, const struct mime_build_fixed *fixed,
	    struct qu_err *err)
{
	struct store_map m;
	if (store_map_file(path, &m, err) < 0)
		return qu_err_prefix(err, "forwarded message %s", path);
	char bnd[80];
	unsigned salt = 0;
	do {
		if (fixed && fixed->boundary)
			snprintf(bnd, sizeof bnd, "%s-fwd%u", fixed->boundary, salt);
		else
			snprintf(bnd, sizeof bnd, "=_quail-fwd-%lx-%x", (unsigned long)qu_now_ms(),
				 (unsigned)rand() ^ salt);
		salt++;
	} while (mem_has(m.p, m.len, bnd) || mem_has(msg->data, msg->len, bnd));
	struct qu_buf out, ct;
	qu_buf_init(&out, SIZE_MAX);
	qu_buf_init(&ct, SIZE_MAX);
	struct mime_header_iter it;
	struct mime_header_field f;
	mime_header_iter_init(&it, msg->data, msg->len, NULL);
	while (mime_header_iter_next(&it, &f)) {
		size_t end = (size_t)(f.value + f.value_len - msg->data);
		struct qu_buf *to = qu_mem_eq_ci(f.name, f.name_len > 8 ? 8 : f.name_len, "Content-")
					    ? &ct
					    : &out;
		qu_buf_append(to, msg->data + f.off, end - f.off);
		qu_buf_append_byte(to, '\n');
	}
	size_t body = mime_header_iter_body(&it);
	qu_buf_printf(&out, "Content-Type: multipart/mixed; boundary=\"%s\"\n\n", bnd);
	qu_buf_printf(&out, "--%s\n", bnd);
	qu_buf_append(&out, ct.data ? ct.data : "", ct.len);
	qu_buf_append_byte(&out, '\n');
	qu_buf_append(&out, msg->data + body, msg->len - body);
	if (out.len && out.data[out.len - 1] != '\n')
		qu_buf_append_byte(&out, '\n');
	qu_buf_printf(&out, "--%s\nContent-Type: message/rfc822\nContent-Disposition: inline\n"
			    "Content-Transfer-Encoding: %s\n\n", bnd, rfc822_cte(m.p, m.len));
	qu_buf_append(&out, m.p, m.len);
	if (m.len && m.p[m.len - 1] != '\n')
		qu_buf_append_byte(&out, '\n');
	qu_buf_printf(&out, "--%s--\n", bnd);
	store_unmap(&m);
	qu_buf_clear(&ct);
	qu_buf_clear(msg);
	*msg = out;
	return 0;
}

/* ---- building -------------------------------------------------------- */

static const struct cfg_account *
pick(const struct cfg *c, const struct cfg_account *a, const struct app_draft *d)
{
	return a ? a : app_identity_for_from(c, NULL, d->from);
}

/* The builder's input from a draft; *hdrs and *files are owned by the
 * caller (free the array and each hdrs[i]). */
static void
fill_build(const struct cfg_account *a, const struct app_draft *d, struct mime_build *b,
	   char ***hdrs, struct mime_build_file **files, char **sender)
{
	memset(b, 0, sizeof *b);
	b->from = d->from ? d->from : a ? a->from : NULL;
	/* RFC 5322 §3.6.2: writing as an alternate of the account is not
	 * writing as someone else, so no Sender then. */
	*sender = NULL;
	char *fa = b->from ? cfg_from_address(b->from) : NULL;
	if (fa && a && a->from && !compose_account_owns(a, fa))
		*sender = cfg_from_address(a->from);
	b->sender = *sender;
	free(fa);
	b->reply_to = d->reply_to;
	b->to = (const char *const *)&d->to;
	b->n_to = d->to ? 1 : 0;
	b->cc = (const char *const *)&d->cc;
	b->n_cc = d->cc ? 1 : 0;
	b->subject = d->subject;
	b->text = d->body ? d->body : "";
	b->text_len = d->body ? d->body_len : 0;
	size_t nh = 0;
	*hdrs = xcalloc(d->n_headers + 2, sizeof **hdrs);
	if (d->in_reply_to)
		(*hdrs)[nh++] = xasprintf("In-Reply-To: %s", d->in_reply_to);
	if (d->references)
		(*hdrs)[nh++] = xasprintf("References: %s", d->references);
	for (size_t i = 0; i < d->n_headers; i++)
		(*hdrs)[nh++] = xstrdup(d->headers[i]);
	b->headers = (const char *const *)*hdrs;
	b->n_headers = nh;
	*files = xcalloc(d->n_attach + 1, sizeof **files);
	for (size_t i = 0; i < d->n_attach; i++) {
		(*files)[i].path = d->attach[i].path;
		(*files)[i].description = d->attach[i].description;
	}
	b->attachments = *files;
	b->n_attachments = d->n_attach;
	b->lf = true;
}

static int
build(const struct cfg_account *a, const struct app_draft *d,
      const struct mime_build_fixed *fixed, struct qu_buf *out, struct qu_err *err)
{
	struct mime_build b;
	char **hdrs;
	struct mime_build_file *files;
	char *sender;
	fill_build(a, d, &b, &hdrs, &files, &sender);
	if (fixed)
		b.fixed = *fixed;
	int rc;
	if (!b.from)
		rc = qu_err_set(err, QU_E_CONFIG, "no From address: fill in From: or set from = in "
				"the account");
	else
		rc = mime_build_message(&b, out, err);
	if (rc == 0 && d->forward_file)
		rc = wrap_rfc822(out, d->forward_file, fixed, err);
	for (size_t i = 0; i < b.n_headers; i++)
		free(hdrs[i]);
	free(hdrs);
	free(files);
	free(sender);
	return rc;
}

int
app_draft_build(const struct cfg *c, const struct cfg_account *a, const struct app_draft *d,
		const struct mime_build_fixed *fixed, struct qu_buf *out, struct qu_err *err)
{
	qu_buf_reset(out);
	return build(pick(c, a, d), d, fixed, out, err);
}

void
app_draft_sent_clear(struct app_draft_sent *r)
{
	free(r->record);
	memset(r, 0, sizeof *r);
}

/* ---- after sending --------------------------------------------------- */

struct relay {
	app_send_note_fn note;
	void *ctx;
	bool queued;
};

static void
relay_note(void *ctx, enum app_send_note kind, const char *subject, const char *text)
{
	struct relay *r = ctx;
	if (kind == APP_SEND_QUEUED)
		r->queued = true;
	if (r->note)
		r->note(r->ctx, kind, subject, text);
}

static void
warn(const struct relay *r, const char *what, const struct qu_err *e)
{
	if (!r->note)
		return;
	char *w = xasprintf("the message was sent, but %s: %s", what, e->msg);
	r->note(r->ctx, APP_SEND_WARNING, NULL, w);
	free(w);
}

/* The local Sent copy, with S (read: one wrote it). */
static int
record(const struct cfg_account *a, const struct app_compose_settings *s, const struct qu_buf *msg,
       char **where, struct qu_err *err)
{
	char *dir = compose_folder(a, s && s->record ? s->record : "=Sent", err);
	if (!dir)
		return -1;
	struct maildir *md = maildir_open(dir, true, err);
	char *name = NULL;
	int rc = md ? maildir_deliver(md, msg->data, msg->len, "S", true, &name, err) : -1;
	if (rc == 0)
		*where = xasprintf("%s/%s", dir, name);
	free(name);
	maildir_free(md);
	free(dir);
	return rc;
}

/* Adds R to the flags of the Maildir file at path (".../cur/NAME" or
 * ".../new/NAME"). */
int
compose_flag_replied(const char *path, struct qu_err *err)
{
	const char *base = strrchr(path, '/');
	if (!base || base - path < 4 || (strncmp(base - 4, "/cur", 4) && strncmp(base - 4, "/new", 4)))
		return qu_err_set(err, QU_E_NOINPUT, "%s: not a Maildir message", path);
	if (maildir_flags_parse(base + 1) & MAILDIR_FLAG_REPLIED)
		return 0; /* answered before: nothing to rename */
	char *root = xstrndup(path, (size_t)(base - 4 - path));
	struct maildir *md = maildir_open(root[0] ? root : "/", false, err);
	int rc = -1;
	if (md) {
		char *rel = xstrdup(base - 3);
		unsigned flags = maildir_flags_parse(base + 1) | MAILDIR_FLAG_REPLIED;
		rc = maildir_set_flags(md, rel, flags, 0, NULL, err);
		free(rel);
	}
	maildir_free(md);
	free(root);
	return rc;
}

static void
after_sent(const struct cfg_account *a, const struct app_compose_settings *s,
	   const struct app_draft *d, const struct qu_buf *msg, struct relay *rl,
	   struct app_draft_sent *r)
{
	struct qu_err e;
	if (!a->imap && record(a, s, msg, &r->record, &e) < 0)
		warn(rl, "not saved to the Sent folder", &e);
	/* A queued reply is flagged by the flush that sends it (queue.c). */
	if (d->reply_file && !r->queued && !d->reply_by_caller &&
		compose_flag_replied(d->reply_file, &e) < 0)
		warn(rl, "the replied message could not be flagged", &e);
	if (d->postponed && unlink(d->postponed) < 0 && errno != ENOENT) {
		qu_err_sys(&e, QU_E_IOERR, errno, "%s", d->postponed);
		warn(rl, "the postponed draft could not be removed", &e);
	}
}

int
app_draft_send(const struct cfg *c, const struct cfg_account *a,
	       const struct app_compose_settings *s, const struct app_draft *d,
	       const struct app_net *net, app_send_note_fn note, void *ctx,
	       struct app_draft_sent *r, struct qu_err *err)
{
	memset(r, 0, sizeof *r);
	a = pick(c, a, d);
	if (!a)
		return qu_err_set(err, QU_E_CONFIG, "no account to send with");
	r->account = a;
	struct qu_buf msg;
	qu_buf_init(&msg, SIZE_MAX);
	if (build(a, d, NULL, &msg, err) < 0) {
		qu_buf_clear(&msg);
		return -1;
	}
	/* Envelope recipients: To, Cc and Bcc of the draft (the built
	 * message has no Bcc field). */
	const char *rcpt[3];
	size_t nr = 0;
	if (d->to)
		rcpt[nr++] = d->to;
	if (d->cc)
		rcpt[nr++] = d->cc;
	if (d->bcc)
		rcpt[nr++] = d->bcc;
	struct app_send_opts o = {.raw = true, .to = rcpt, .n_to = nr, .input = msg.data,
				  .input_len = msg.len, .replied = d->reply_file};
	struct relay rl = {.note = note, .ctx = ctx};
	int rc = app_send(a, &o, net, relay_note, &rl, NULL, err);
	r->queued = rl.queued;
	if (rc == 0)
		after_sent(a, s, d, &msg, &rl, r);
	qu_buf_clear(&msg);
	return rc;
}
