#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"
#include "smtp/smtp.h"

#define REPLY_TEXT_MAX (64 * 1024)
#define REPLY_LINES_MAX 1000

struct smtp_session {
	struct net_conn *conn;
	enum smtp_state state;
	char *greeting;
	struct qu_buf ext; /* EHLO lines after the first, '\n'-separated */
	char *helo_name;
	size_t discarded;
	char *mech;
};

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->enhanced[0] = '\0';
	qu_buf_init(&r->text, REPLY_TEXT_MAX);
}

void
smtp_reply_clear(struct smtp_reply *r)
{
	qu_buf_clear(&r->text);
}

const char *
smtp_state_name(enum smtp_state s)
{
	static const char *const names[] = {"GREETING", "EHLO", "STARTTLS", "READY", "AUTHED",
					    "CLOSED"};
	return (size_t)s < QU_ARRAY_LEN(names) ? names[s] : "?";
}

/* An enhanced status code (RFC 3463 §2) at the start of text: class.subject.detail. */
static size_t
enhanced_code(const char *p, size_t n, int code)
{
	size_t i = 0;
	if (n < 5 || p[0] != '0' + code / 100 || p[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t d = 0;
		while (i < n && p[i] >= '0' && p[i] <= '9' && d < 3) {
			i++;
			d++;
		}
		if (!d)
			return 0;
		if (part == 0) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && p[i] != ' ')
		return 0;
	return i;
}

int
smtp_read_reply(struct smtp_session *s, struct smtp_reply *r, struct qu_err *err)
{
	qu_buf_reset(&r->text);
	r->enhanced[0] = '\0';
	r->code = 0;
	for (int nlines = 0;; nlines++) {
		const char *line;
		size_t len;
		if (net_read_line(s->conn, &line, &len, err) < 0)
			return -1;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		/* RFC 5321 §4.2: three digits, then '-' (more lines follow) or ' '/end. */
		if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' || (len > 3 && line[3] != ' ' && line[3] != '-')) {
			qu_err_set(err, QU_E_TEMPFAIL, "malformed reply from server");
			return qu_err_reason(err, QU_R_PROTOCOL, NULL);
		}
		int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (nlines && code != r->code)
			return qu_err_set(err, QU_E_TEMPFAIL, "inconsistent codes in a multi-line reply");
		r->code = code;
		const char *t = len > 4 ? line + 4 : "";
		size_t tl = len > 4 ? len - 4 : 0;
		size_t el = enhanced_code(t, tl, code);
		if (el && el < sizeof r->enhanced) {
			memcpy(r->enhanced, t, el);
			r->enhanced[el] = '\0';
			t += el;
			tl -= el;
			while (tl && *t == ' ') {
				t++;
				tl--;
			}
		}
		if (r->text.len)
			qu_buf_append_byte(&r->text, '\n');
		qu_buf_append(&r->text, t, tl);
		if (len <= 3 || line[3] == ' ') {
			smtp_text_to_utf8(&r->text); /* GBK from Chinese providers */
			return 0;
		}
		if (nlines >= REPLY_LINES_MAX)
			return qu_err_set(err, QU_E_TEMPFAIL, "reply of more than %d lines",
					  REPLY_LINES_MAX);
	}
}

int
smtp_reply_error(const struct smtp_reply *r, struct qu_err *err)
{
	enum qu_err_class cls = r->code >= 400 && r->code < 500 ? QU_E_TEMPFAIL : QU_E_UNAVAILABLE;
	struct qu_buf safe;
	qu_buf_init(&safe, 2048);
	for (size_t i = 0; i < r->text.len; i++)
		qu_buf_append_safe(&safe, r->text.data[i] == '\n' ? " " : r->text.data + i, 1, false);
	qu_err_set(err, cls, "server said %d%s%s %s", r->code, r->enhanced[0] ? " " : "", r->enhanced,
		   safe.data ? safe.data : "");
	qu_buf_clear(&safe);
	/* The enhanced status (RFC 3463) says the most; else the reply code. */
	char code[16];
	snprintf(code, sizeof code, "%d", r->code);
	return qu_err_reason(err, QU_R_REFUSED, r->enhanced[0] ? r->enhanced : code);
}

int
smtp_command(struct smtp_session *s, struct qu_err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	int r = net_write(s->conn, line, strlen(line), err);
	free(line);
	if (r == 0)
		r = net_write(s->conn, "\r\n", 2, err);
	if (r == 0)
		r = net_flush(s->conn, err);
	return r;
}

/* Sends EHLO (HELO when the server does not know EHLO) and records the
 * extension lines. */
static int
ehlo(struct smtp_session *s, struct qu_err *err)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	int rc = -1;
	s->state = SMTP_STATE_EHLO;
	if (smtp_command(s, err, "EHLO %s", s->helo_name) < 0 || smtp_read_reply(s, &r, err) < 0)
		goto out;
	qu_buf_reset(&s->ext);
	if (r.code == 250) {
		const char *nl = memchr(r.text.data, '\n', r.text.len);
		if (nl)
			qu_buf_append(&s->ext, nl + 1, r.text.len - (size_t)(nl + 1 - r.text.data));
	} else if (r.code >= 500 && r.code <= 504) {
		/* RFC 5321 §3.2: a server that does not know EHLO gets HELO. */
		if (smtp_command(s, err, "HELO %s", s->helo_name) < 0 ||
		    smtp_read_reply(s, &r, err) < 0)
			goto out;
		if (r.code != 250) {
			smtp_reply_error(&r, err);
			goto out;
		}
	} else {
		smtp_reply_error(&r, err);
		goto out;
	}
	rc = 0;
out:
	smtp_reply_clear(&r);
	return rc;
}

bool
smtp_session_has_ext(const struct smtp_session *s, const char *kw, const char **param)
{
	size_t kl = strlen(kw);
	const char *p = s->ext.data;
	if (!p)
		return false;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n >= kl && qu_mem_eq_ci(p, kl, kw) && (n == kl || p[kl] == ' ' || p[kl] == '=')) {
			if (param)
				*param = p + (n > kl ? kl + 1 : kl);
			return true;
		}
		p += n + (e ? 1 : 0);
	}
	return false;
}

static int
starttls(struct smtp_session *s, struct qu_err *err)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	int rc = -1;
	if (!smtp_session_has_ext(s, "STARTTLS", NULL)) {
		/* SPEC §1: STARTTLS is required; never fall back to plain text. */
		qu_err_set(err, QU_E_UNAVAILABLE,
			   "server does not offer STARTTLS (use smtps:// or, knowingly, smtp+insecure://)");
		goto out;
	}
	s->state = SMTP_STATE_STARTTLS;
	if (smtp_command(s, err, "STARTTLS") < 0 || smtp_read_reply(s, &r, err) < 0)
		goto out;
	if (r.code != 220) {
		smtp_reply_error(&r, err);
		err->cls = QU_E_UNAVAILABLE;
		qu_err_prefix(err, "STARTTLS");
		goto out;
	}
	if (net_tls_start(s->conn, &s->discarded, err) < 0)
		goto out;
	/* RFC 3207 §4.2: forget all knowledge from before TLS and EHLO again. */
	rc = ehlo(s, err);
out:
	smtp_reply_clear(&r);
	return rc;
}

struct smtp_session *
smtp_session_open_conn(struct net_conn *c, enum net_tls_mode tls, const char *helo_name,
		       struct qu_err *err)
{
	struct smtp_session *s = xcalloc(1, sizeof *s);
	s->conn = c;
	s->state = SMTP_STATE_GREETING;
	qu_buf_init(&s->ext, REPLY_TEXT_MAX);
	char host[256] = "localhost";
	if (helo_name)
		snprintf(host, sizeof host, "%s", helo_name);
	else if (gethostname(host, sizeof host) != 0 || !strchr(host, '.'))
		snprintf(host, sizeof host, "localhost");
	s->helo_name = xstrdup(host);
	struct smtp_reply r;
	smtp_reply_init(&r);
	if (smtp_read_reply(s, &r, err) < 0)
		goto fail;
	if (r.code != 220) {
		smtp_reply_error(&r, err);
		goto fail;
	}
	s->greeting = xstrndup(r.text.data ? r.text.data : "", r.text.len);
	if (ehlo(s, err) < 0)
		goto fail;
	if (tls == NET_TLS_STARTTLS && starttls(s, err) < 0)
		goto fail;
	s->state = SMTP_STATE_READY;
	smtp_reply_clear(&r);
	return s;
fail:
	smtp_reply_clear(&r);
	net_conn_free(s->conn);
	s->conn = NULL;
	smtp_session_close(s);
	return NULL;
}

struct smtp_session *
smtp_session_open(const struct smtp_opts *o, struct qu_err *err)
{
	struct net_conn *c = net_connect(o->host, o->port, o->tls, &o->net, err);
	if (!c)
		return NULL;
	return smtp_session_open_conn(c, o->tls, o->helo_name, err);
}

void
smtp_session_close(struct smtp_session *s)
{
	if (!s)
		return;
	if (s->conn) {
		struct qu_err e;
		struct smtp_reply r;
		smtp_reply_init(&r);
		if (smtp_command(s, &e, "QUIT") == 0)
			smtp_read_reply(s, &r, &e);
		smtp_reply_clear(&r);
		net_conn_free(s->conn);
	}
	free(s->greeting);
	free(s->helo_name);
	free(s->mech);
	qu_buf_clear(&s->ext);
	free(s);
}

enum smtp_state
smtp_session_state(const struct smtp_session *s)
{
	return s->state;
}

const char *
smtp_session_greeting(const struct smtp_session *s)
{
	return s->greeting ? s->greeting : "";
}

const char *
smtp_session_extensions(const struct smtp_session *s)
{
	return s->ext.data ? s->ext.data : "";
}

struct net_conn *
smtp_session_conn(struct smtp_session *s)
{
	return s->conn;
}

size_t
smtp_session_discarded(const struct smtp_session *s)
{
	return s->discarded;
}

/* The SMTP side of the SASL exchange (RFC 4954 §4). */
struct auth_ctx {
	struct smtp_session *s;
	struct smtp_reply r;
};

static int
auth_begin(void *ctx, const char *mech, const char *ir, struct qu_err *err)
{
	struct net_conn *c = ((struct auth_ctx *)ctx)->s->conn;
	if (net_printf(c, err, "AUTH %s", mech) < 0)
		return -1;
	if (ir && (net_write(c, " ", 1, err) < 0 || net_write_secret(c, ir, strlen(ir), err) < 0))
		return -1;
	if (net_write(c, "\r\n", 2, err) < 0)
		return -1;
	return net_flush(c, err);
}

static int
auth_next(void *ctx, const char **chal, size_t *chal_len, struct qu_err *err)
{
	struct auth_ctx *a = ctx;
	if (smtp_read_reply(a->s, &a->r, err) < 0)
		return -1;
	if (a->r.code == 334) {
		*chal = a->r.text.data ? a->r.text.data : "";
		*chal_len = a->r.text.len;
		return 1;
	}
	if (a->r.code == 235)
		return 0;
	smtp_reply_error(&a->r, err);
	/* 535 and friends: the credentials were refused (RFC 4954 §6); a 454
	 * is the same refusal for now. */
	if (a->r.code >= 500)
		err->cls = QU_E_AUTH;
	err->reason = QU_R_AUTH;
	return qu_err_prefix(err, "AUTH %s", a->s->mech);
}

static int
auth_respond(void *ctx, const char *resp, struct qu_err *err)
{
	struct net_conn *c = ((struct auth_ctx *)ctx)->s->conn;
	if (net_write_secret(c, resp, strlen(resp), err) < 0 || net_write(c, "\r\n", 2, err) < 0)
		return -1;
	return net_flush(c, err);
}

static void
auth_cancel(void *ctx)
{
	struct auth_ctx *a = ctx;
	struct qu_err e;
	if (smtp_command(a->s, &e, "*") == 0)
		smtp_read_reply(a->s, &a->r, &e);
}

static const struct net_sasl_proto auth_proto = {
	.begin = auth_begin,
	.next = auth_next,
	.respond = auth_respond,
	.cancel = auth_cancel,
	.initial_response = true,
};

int
smtp_session_auth(struct smtp_session *s, const struct net_sasl_creds *creds, bool allow_plain,
		  const char **mech, struct qu_err *err)
{
	const char *mechs = NULL;
	if (!smtp_session_has_ext(s, "AUTH", &mechs))
		return qu_err_set(err, QU_E_UNAVAILABLE, "server does not offer AUTH");
	char *list = xstrndup(mechs, strcspn(mechs, "\n"));
	struct net_sasl *sasl = net_sasl_start(creds, list, allow_plain, "smtp", err);
	free(list);
	if (!sasl)
		return -1;
	free(s->mech);
	s->mech = xstrdup(net_sasl_mech(sasl));
	if (mech)
		*mech = s->mech;
	struct auth_ctx a = {.s = s};
	smtp_reply_init(&a.r);
	int rc = net_sasl_exchange(sasl, &auth_proto, &a, err);
	if (rc == 0)
		s->state = SMTP_STATE_AUTHED;
	smtp_reply_clear(&a.r);
	net_sasl_free(sasl);
	return rc;
}
