/*
 * `quail send` (SPEC §4): the message is built (mime), then sent (smtp) in
 * one transaction; what cannot go now for a temporary reason may go to
 * the outbox (queue.c).
 *
 * Policy decisions made here:
 * - The text on stdin should be UTF-8. Text that is not is not refused
 *   (a cron job's output must not be lost): it is converted to UTF-8 from
 *   the charset it is detected to be in (uchardet, else windows-1252), as
 *   `quail parse` reads undeclared text, with a warning. Under -t the
 *   message is sent as it is.
 * - Envelope sender: -f, else the account's address, else the From
 *   address; where the provider wants MAIL FROM to be the login (qq.com)
 *   it is the login, unless -f says otherwise.
 * - A --from other than the account's address makes the account's address
 *   the Sender (RFC 5322 §3.6.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "net/net.h"
#include "mime/mime.h"
#include "store/store.h"
#include "config/config.h"
#include "smtp/smtp.h"
#include "app/private.h"
#include "app/send_private.h"
#include "app/imap_private.h"

/* A built message and its envelope. */
struct outgoing {
	struct qu_buf msg;
	char *env_from;
	char **rcpt;
	size_t n_rcpt, alloc;
	const char *replied; /* o->replied, for the outbox; borrowed */
};

static void
outgoing_clear(struct outgoing *g)
{
	qu_buf_clear(&g->msg);
	free(g->env_from);
	for (size_t i = 0; i < g->n_rcpt; i++)
		free(g->rcpt[i]);
	free(g->rcpt);
}

static void
add_rcpt(struct outgoing *g, const char *addr)
{
	if (!addr || !*addr)
		return;
	for (size_t i = 0; i < g->n_rcpt; i++)
		if (strcasecmp(g->rcpt[i], addr) == 0)
			return;
	g->rcpt = xgrow(g->rcpt, &g->alloc, g->n_rcpt + 1, sizeof *g->rcpt);
	g->rcpt[g->n_rcpt++] = xstrdup(addr);
}

static int
add_lists(struct outgoing *g, const char *const *lists, size_t n, bool need_domain,
	  struct qu_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct mime_addr_list l;
		mime_addr_list_init(&l);
		int rc = mime_build_addr_list(lists[i], need_domain, &l, err);
		for (size_t k = 0; rc == 0 && k < l.n; k++)
			add_rcpt(g, l.v[k].address);
		mime_addr_list_clear(&l);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- provider rules and hints --------------------------------------- */

/* Whether to AUTH: a password, or auth = oauth2, whose token comes from
 * oauth2_token_command or quail's own store (app_creds_begin). */
static bool
has_password(const struct cfg_account *a)
{
	return a->password || a->password_command || a->auth == CFG_AUTH_OAUTH2;
}

struct smtp_session *
app_smtp_open(const struct cfg_account *a, const struct app_net *net, char **where,
	      struct qu_err *err)
{
	*where = NULL;
	struct cfg_url u;
	if (app_server_url(a, CFG_PROTO_SMTP, &u, err) < 0)
		return NULL;
	*where = cfg_url_format(&u);
	struct smtp_opts o = {.host = u.host, .port = u.port, .tls = app_tls_mode(u.tls)};
	app_net_opts(a, net, &o.net);
	/* password_command runs while the connection is set up. */
	struct app_creds c;
	bool login = has_password(a);
	if (login && app_creds_begin(a, &u, &o.net, &c, err) < 0) {
		cfg_url_clear(&u);
		return NULL;
	}
	struct smtp_session *s = smtp_session_open(&o, err);
	if (s && login) {
		int r = app_creds_end(&c, err);
		if (r == 0) {
			bool plain_ok = u.tls == CFG_TLS_NONE || net_conn_is_tls(smtp_session_conn(s));
			r = smtp_session_auth(s, &c.c, plain_ok, NULL, err);
			if (r < 0 && err->cls == QU_E_AUTH && a->password_hint) {
				/* 535 at 163.com, 126.com, qq.com: the authorization
				 * code, not the web password. */
				char *m = xasprintf("%s (hint: %s)", err->msg, a->password_hint);
				snprintf(err->msg, sizeof err->msg, "%s", m);
				free(m);
			}
		}
		if (r < 0) {
			smtp_session_close(s);
			s = NULL;
		}
	}
	if (login)
		app_creds_clear(&c);
	if (!s)
		qu_err_prefix(err, "%s", *where);
	cfg_url_clear(&u);
	return s;
}

void
app_send_hint(const struct cfg_account *a, const char *text, app_send_note_fn note, void *ctx)
{
	(void)a;
	if (!text || !note)
		return;
	if (strstr(text, "DT:SPM"))
		note(ctx, APP_SEND_HINT, NULL,
		     "the server judged the message to be spam (163.com/126.com DT:SPM): give it a "
		     "real Subject, a From with a name and a To header, and avoid link-only text");
	else if (strstr(text, "mail from address must be same as authorization user") ||
		 strstr(text, "must be same as"))
		note(ctx, APP_SEND_HINT, NULL,
		     "the server wants the envelope sender to be the login: give -f with the "
		     "login address");
	else if (strstr(text, "5.7.0") && strstr(text, "uthentication required"))
		note(ctx, APP_SEND_HINT, NULL,
		     "the server wants a login: set password_command in the account");
}

char *
app_result_reason(const struct smtp_result *r)
{
	struct qu_buf b;
	qu_buf_init(&b, 4096);
	if (r->code)
		qu_buf_printf(&b, "%d%s%s ", r->code, r->enhanced[0] ? " " : "", r->enhanced);
	for (const char *t = r->text; t && *t; t++)
		qu_buf_append_byte(&b, *t == '\n' || *t == '\r' || *t == '\t' ? ' ' : *t);
	if (!r->code && !b.len)
		qu_buf_append_str(&b, "unknown reason");
	if (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	return qu_buf_steal(&b, NULL);
}

static char *
rcpt_reason(const struct smtp_rcpt_result *rr)
{
	struct smtp_result tmp = {.code = rr->code, .text = rr->text};
	memcpy(tmp.enhanced, rr->enhanced, sizeof tmp.enhanced);
	return app_result_reason(&tmp);
}

/* ---- building ------------------------------------------------------- */

/* The text as UTF-8 (see the policy at the top). */
static int
utf8_text(const char *what, const char *p, size_t n, struct qu_buf *out, app_send_note_fn note,
	  void *ctx, struct qu_err *err)
{
	if (qu_utf8_valid(p, n))
		return 0;
	if (mime_charset_to_utf8(NULL, NULL, p, n, out, NULL, err) < 0)
		return -1;
	if (note) {
		char *w = xasprintf("%s is not UTF-8: converted from its detected charset", what);
		note(ctx, APP_SEND_WARNING, NULL, w);
		free(w);
	}
	return 1;
}

/* "Name <addr>" for sendmail -F, the name quoted. */
static char *
with_name(const char *name, const char *addr)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_byte(&b, '"');
	for (const char *c = name; *c; c++) {
		if (*c == '"' || *c == '\\')
			qu_buf_append_byte(&b, '\\');
		qu_buf_append_byte(&b, *c);
	}
	qu_buf_printf(&b, "\" <%s>", addr);
	return qu_buf_steal(&b, NULL);
}

static int
build_raw(const struct cfg_account *a, const struct app_send_opts *o, struct outgoing *g, bool lf,
	  struct qu_err *err)
{
	struct mime_build_raw r = {.headers = o->headers, .n_headers = o->n_headers, .lf = lf};
	char *from = NULL;
	const char *author = o->from ? o->from : a->from;
	if (author && o->full_name) {
		char *addr = cfg_from_address(author);
		from = addr ? with_name(o->full_name, addr) : NULL;
		free(addr);
	}
	r.from = from ? from : author;
	struct mime_addr_list rc;
	mime_addr_list_init(&rc);
	char *hdr_from = NULL;
	int ret = mime_build_raw_message(o->input ? o->input : "", o->input_len, &r, &g->msg, &rc,
					 &hdr_from, err);
	if (ret == 0 && o->header_rcpts)
		for (size_t i = 0; i < rc.n; i++)
			if (strchr(rc.v[i].address, '@') || o->any_address)
				add_rcpt(g, rc.v[i].address);
	if (ret == 0 && !g->env_from && hdr_from)
		g->env_from = xstrdup(hdr_from);
	free(hdr_from);
	free(from);
	mime_addr_list_clear(&rc);
	return ret;
}

static int
build_mime(const struct cfg_account *a, const struct app_send_opts *o, struct outgoing *g, bool lf,
	   app_send_note_fn note, void *ctx, struct qu_err *err)
{
	struct mime_build b = {
		.from = o->from ? o->from : a->from,
		.reply_to = o->reply_to,
		.to = o->to, .n_to = o->n_to, .cc = o->cc, .n_cc = o->n_cc,
		.subject = o->subject,
		.headers = o->headers, .n_headers = o->n_headers,
		.lf = lf,
	};
	if (!b.from)
		return qu_err_set(err, QU_E_CONFIG,
				  "no From address: give --from or set from = in the account");
	char *acct_addr = o->from && a->from ? cfg_from_address(a->from) : NULL;
	b.sender = acct_addr;
	struct qu_buf text, html;
	qu_buf_init(&text, SIZE_MAX);
	qu_buf_init(&html, SIZE_MAX);
	struct store_map hm = {0};
	struct mime_build_file *files = xcalloc(o->n_attach + o->n_inlines + 1, sizeof *files);
	int rc = utf8_text("the text on stdin", o->input ? o->input : "", o->input_len, &text, note,
			   ctx, err);
	b.text = rc > 0 ? text.data : o->input;
	b.text_len = rc > 0 ? text.len : o->input_len;
	if (rc >= 0 && o->html) {
		if (store_map_file(o->html, &hm, err) < 0) {
			qu_err_prefix(err, "--html %s", o->html);
			rc = -1;
		} else {
			rc = utf8_text(o->html, hm.p, hm.len, &html, note, ctx, err);
			b.html = rc > 0 ? html.data : hm.p;
			b.html_len = rc > 0 ? html.len : hm.len;
		}
	}
	for (size_t i = 0; i < o->n_inlines; i++)
		files[i].path = o->inlines[i];
	for (size_t i = 0; i < o->n_attach; i++)
		files[o->n_inlines + i].path = o->attach[i];
	b.inlines = files;
	b.n_inlines = o->n_inlines;
	b.attachments = files + o->n_inlines;
	b.n_attachments = o->n_attach;
	if (rc >= 0)
		rc = mime_build_message(&b, &g->msg, err);
	if (rc >= 0 && !g->env_from) {
		/* Envelope sender: the account's address, else the first From. */
		g->env_from = a->from ? cfg_from_address(a->from) : NULL;
		if (!g->env_from) {
			struct mime_addr_list l;
			mime_addr_list_init(&l);
			if (mime_build_addr_list(b.from, true, &l, NULL) == 0 && l.n)
				g->env_from = xstrdup(l.v[0].address);
			mime_addr_list_clear(&l);
		}
	}
	free(files);
	store_unmap(&hm);
	qu_buf_clear(&text);
	qu_buf_clear(&html);
	free(acct_addr);
	return rc < 0 ? -1 : 0;
}

/* The message and its envelope. */
static int
compose(const struct cfg_account *a, const struct app_send_opts *o, struct outgoing *g, bool lf,
	app_send_note_fn note, void *ctx, struct qu_err *err)
{
	bool need_domain = !o->any_address;
	if (o->envelope_from) {
		struct mime_addr_list l;
		mime_addr_list_init(&l);
		int r = mime_build_addr_list(o->envelope_from, need_domain, &l, err);
		if (r == 0 && l.n != 1)
			r = qu_err_set(err, QU_E_USAGE, "-f takes one address");
		if (r == 0)
			g->env_from = xstrdup(l.v[0].address);
		mime_addr_list_clear(&l);
		if (r < 0)
			return -1;
	} else if (a->from) {
		g->env_from = cfg_from_address(a->from);
	}
	if (o->raw) {
		if (o->subject || o->n_cc || o->reply_to || o->html || o->n_attach || o->n_inlines)
			return qu_err_set(err, QU_E_USAGE,
					  "-t takes the whole message from stdin: -s, -c, --reply-to, "
					  "--html, --inline and -a do not go with it");
		if (add_lists(g, o->to, o->n_to, need_domain, err) < 0 ||
		    add_lists(g, o->bcc, o->n_bcc, need_domain, err) < 0)
			return -1;
		if (build_raw(a, o, g, lf, err) < 0)
			return -1;
	} else {
		if (add_lists(g, o->to, o->n_to, need_domain, err) < 0 ||
		    add_lists(g, o->cc, o->n_cc, need_domain, err) < 0 ||
		    add_lists(g, o->bcc, o->n_bcc, need_domain, err) < 0)
			return -1;
		if (build_mime(a, o, g, lf, note, ctx, err) < 0)
			return -1;
	}
	if (!g->n_rcpt)
		return qu_err_set(err, QU_E_USAGE, "no recipients");
	/* qq.com: "501 mail from address must be same as authorization user". */
	const struct cfg_preset *pre = cfg_preset_for(a->from ? a->from : g->env_from);
	if (!o->envelope_from && pre && pre->envelope_is_login && a->user && strchr(a->user, '@')) {
		free(g->env_from);
		g->env_from = xstrdup(a->user);
	}
	if (!g->env_from)
		return qu_err_set(err, QU_E_CONFIG,
				  "no sender address: give --from or -f, or set from = in the account");
	return 0;
}

/* ---- sending --------------------------------------------------------- */

static void
fill_envelope(const struct app_send_opts *o, const struct outgoing *g, struct smtp_envelope *env)
{
	env->from = g->env_from;
	env->rcpt = (const char *const *)g->rcpt;
	env->n_rcpt = g->n_rcpt;
	env->notify = o->dsn_notify;
	env->ret = o->dsn_ret == 1 ? SMTP_DSN_RET_HDRS
		   : o->dsn_ret == 2 ? SMTP_DSN_RET_FULL
				     : SMTP_DSN_RET_DEFAULT;
	env->envid = o->envid;
}

/* After a message went out (quail send and queue flush): a copy to the
 * account's Sent folder over IMAP, when it has one. */
void
app_after_sent(struct app_sent_box *box, const char *p, size_t n, app_send_note_fn note,
	       void *ctx)
{
	/* Save to Sent (imap_append.c): a failure there does not unsend the
	 * message, so it is a warning. */
	struct qu_err e;
	qu_err_clear(&e);
	if (app_sent_box_append(box, p, n, NULL, &e) < 0 && note) {
		char *w = xasprintf("the message was sent, but not saved to the Sent folder: %s",
				    e.msg);
		note(ctx, APP_SEND_WARNING, NULL, w);
		free(w);
	}
}

static int
queue_it(const struct cfg_account *a, const struct smtp_envelope *env, const char *reason,
	 const struct outgoing *g, app_send_note_fn note, void *ctx, struct qu_err *err)
{
	char *id = NULL;
	if (app_outbox_put(a, env, reason, g->replied, g->msg.data, g->msg.len, &id, err) < 0)
		return -1;
	if (note)
		note(ctx, APP_SEND_QUEUED, id, reason);
	free(id);
	return 0;
}

/* The reason beside a failed send's class: the deciding reply (its
 * enhanced status, else its code), else why the connection failed. */
static int
result_reason(const struct smtp_result *r, const struct qu_err *serr, struct qu_err *err)
{
	if (r->code) {
		char code[16];
		snprintf(code, sizeof code, "%d", r->code);
		return qu_err_reason(err, QU_R_REFUSED, r->enhanced[0] ? r->enhanced : code);
	}
	return qu_err_reason(err, serr->reason, serr->code);
}

/* What to say and return once the server has spoken (serr: why smtp_send
 * failed, if it did). */
static int
conclude(const struct cfg_account *a, const struct app_send_opts *o, const struct app_net *net,
	 const struct outgoing *g, const struct smtp_envelope *env, const struct smtp_result *r,
	 const struct qu_err *serr,
	 const char *where, app_send_note_fn note, void *ctx, struct qu_err *err)
{
	bool queue = o->queue || a->queue;
	size_t refused = 0, deferred = 0;
	char **later = xcalloc(r->n_rcpt + 1, sizeof *later);
	if (r->outcome == SMTP_OUTCOME_SENT || strcmp(r->stage, "RCPT") == 0) {
		for (size_t i = 0; i < r->n_rcpt; i++) {
			const struct smtp_rcpt_result *rr = &r->rcpt[i];
			if (rr->code >= 200 && rr->code < 300)
				continue;
			char *why = rcpt_reason(rr);
			bool temp = rr->code >= 400 && rr->code < 500;
			if (note)
				note(ctx, temp ? APP_SEND_DEFERRED : APP_SEND_REFUSED, rr->address, why);
			if (temp)
				later[deferred++] = (char *)rr->address;
			else
				refused++;
			app_send_hint(a, rr->text, note, ctx);
			free(why);
		}
	}
	int rc = 0;
	char *reason = app_result_reason(r);
	if (r->outcome == SMTP_OUTCOME_SENT) {
		struct app_sent_box box;
		/* The copy to Sent honours --timeout and -v like the send. */
		app_sent_box_init(&box, a, net);
		app_after_sent(&box, g->msg.data, g->msg.len, note, ctx);
		app_sent_box_close(&box);
		bool queued = false;
		if (deferred && queue) {
			struct smtp_envelope e2 = *env;
			e2.rcpt = (const char *const *)later;
			e2.n_rcpt = deferred;
			char *why = xasprintf("%zu recipient%s refused for now", deferred,
					      deferred == 1 ? "" : "s");
			rc = queue_it(a, &e2, why, g, note, ctx, err);
			free(why);
			queued = rc == 0;
		}
		if (rc == 0 && (refused || (deferred && !queued)))
			rc = qu_err_set(err, refused ? QU_E_UNAVAILABLE : QU_E_TEMPFAIL,
					"%s: sent to %zu of %zu recipients; %zu refused%s", where,
					r->n_accepted, r->n_rcpt, refused + deferred,
					refused ? "" : " for now");
	} else if (serr->cls == QU_E_CANCELED) {
		/* Stopped on request: not a failure to queue for later. */
		*err = *serr;
		rc = -1;
	} else if (r->outcome == SMTP_OUTCOME_TEMPFAIL) {
		if (queue) {
			rc = queue_it(a, env, reason, g, note, ctx, err);
		} else {
			qu_err_set(err, QU_E_TEMPFAIL, "%s: %s: %s (not sent; try again later)", where,
				   r->stage, reason);
			rc = result_reason(r, serr, err);
		}
	} else {
		app_send_hint(a, r->text, note, ctx);
		qu_err_set(err, QU_E_UNAVAILABLE, "%s: %s: %s (not sent)", where, r->stage, reason);
		rc = result_reason(r, serr, err);
	}
	free(reason);
	free(later);
	return rc;
}

static int
deliver(const struct cfg_account *a, const struct app_send_opts *o, const struct app_net *net,
	const struct outgoing *g, app_send_note_fn note, void *ctx, struct qu_err *err)
{
	bool queue = o->queue || a->queue;
	struct smtp_envelope env;
	fill_envelope(o, g, &env);
	char *where = NULL;
	struct smtp_session *s = app_smtp_open(a, net, &where, err);
	int rc;
	if (!s) {
		/* No network, a timeout, a 4xx greeting or AUTH: the outbox. */
		if (queue && err->cls == QU_E_TEMPFAIL)
			rc = queue_it(a, &env, err->msg, g, note, ctx, err);
		else
			rc = -1;
		free(where);
		return rc;
	}
	struct smtp_msg m = {.env = env, .data = g->msg.data, .len = g->msg.len};
	struct smtp_result r;
	struct qu_err serr;
	qu_err_clear(&serr);
	smtp_send(s, &m, &r, &serr);
	if (r.dsn_dropped && note)
		note(ctx, APP_SEND_WARNING, NULL, "the server does not offer DSN: --dsn is ignored");
	rc = conclude(a, o, net, g, &env, &r, &serr, where, note, ctx, err);
	smtp_result_clear(&r);
	smtp_session_close(s);
	free(where);
	return rc;
}

int
app_send(const struct cfg_account *a, const struct app_send_opts *o, const struct app_net *net,
	 app_send_note_fn note, void *ctx, struct qu_buf *dry, struct qu_err *err)
{
	struct outgoing g;
	memset(&g, 0, sizeof g);
	qu_buf_init(&g.msg, SIZE_MAX);
	g.replied = o->replied;
	int rc = compose(a, o, &g, o->dry_run, note, ctx, err);
	if (rc == 0 && o->dry_run) {
		/* Handed over, not copied: a big attachment is in memory once. */
		qu_buf_clear(dry);
		*dry = g.msg;
		qu_buf_init(&g.msg, SIZE_MAX);
	} else if (rc == 0) {
		rc = deliver(a, o, net, &g, note, ctx, err);
	}
	outgoing_clear(&g);
	return rc;
}
