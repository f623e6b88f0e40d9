#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "pop3/private.h"

#define CAPA_MAX (64 * 1024)
/* net's default line cap; POP3 needs to know it to stream longer lines. */
#define DEFAULT_MAX_LINE (64 * 1024)

const char *
pop3_state_name(enum pop3_state s)
{
	static const char *const names[] = {"GREETING", "STLS", "AUTHORIZATION", "TRANSACTION",
					    "CLOSED"};
	return (size_t)s < QU_ARRAY_LEN(names) ? names[s] : "?";
}

int
pop3_read_status(struct pop3_session *s, bool *ok, bool *cont, const char **text, size_t *tlen,
		 struct qu_err *err)
{
	const char *line;
	size_t len;
	if (net_read_line(s->conn, &line, &len, err) < 0)
		return -1;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	*cont = false;
	if (len >= 3 && memcmp(line, "+OK", 3) == 0) {
		*ok = true;
		*text = line + 3;
		*tlen = len - 3;
	} else if (len >= 4 && memcmp(line, "-ERR", 4) == 0) {
		*ok = false;
		*text = line + 4;
		*tlen = len - 4;
	} else if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
		*ok = true;
		*cont = true;
		*text = len > 1 ? line + 2 : line + 1;
		*tlen = len > 1 ? len - 2 : 0;
		return 0;
	} else {
		qu_err_set(err, QU_E_TEMPFAIL, "malformed response from server");
		return qu_err_reason(err, QU_R_PROTOCOL, NULL);
	}
	if (*tlen && **text == ' ') {
		(*text)++;
		(*tlen)--;
	}
	return 0;
}

/* The response code of an -ERR text ("[IN-USE] ..." gives "IN-USE",
 * "[SYS/TEMP]" gives "SYS/TEMP"), uppercase; "" without one. */
static void
resp_code(const char *text, size_t tlen, char *out, size_t cap)
{
	size_t k = 0;
	if (tlen && text[0] == '[') {
		for (size_t i = 1; i < tlen && text[i] != ']' && k + 1 < cap; i++) {
			char c = text[i];
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '/'))
				break;
			out[k++] = c;
		}
	}
	out[k] = '\0';
}

/* RFC 2449 §8 / RFC 3206 response codes say whether an -ERR is worth
 * retrying; a plain -ERR is final. The code goes into err's code, and the
 * reason says credentials (AUTH) or a refusal (REFUSED). */
int
pop3_err_from(const char *text, size_t tlen, enum qu_err_class final_cls, struct qu_err *err)
{
	enum qu_err_class cls = final_cls;
	char code[32];
	resp_code(text, tlen, code, sizeof code);
	bool temp = strcmp(code, "IN-USE") == 0 || strncmp(code, "SYS/TEMP", 8) == 0;
	if (temp)
		cls = QU_E_TEMPFAIL;
	struct qu_buf safe;
	qu_buf_init(&safe, 2048);
	qu_buf_append_safe(&safe, text, tlen, false);
	qu_err_set(err, cls, "server said -ERR %s", safe.data ? safe.data : "");
	qu_buf_clear(&safe);
	enum qu_err_reason why = QU_R_REFUSED;
	if (strcmp(code, "AUTH") == 0 || (final_cls == QU_E_AUTH && !temp))
		why = QU_R_AUTH;
	return qu_err_reason(err, why, code);
}

int
pop3_command(struct pop3_session *s, const char *cmd, struct qu_err *err)
{
	if (net_write(s->conn, cmd, strlen(cmd), err) < 0 || net_write(s->conn, "\r\n", 2, err) < 0)
		return -1;
	return net_flush(s->conn, err);
}

/* CAPA (RFC 2449); a server without it just has no capabilities. */
static int
capa(struct pop3_session *s, struct qu_err *err)
{
	bool ok, cont;
	const char *t;
	size_t tl;
	qu_buf_reset(&s->capa);
	s->pipelining = false;
	if (pop3_command(s, "CAPA", err) < 0 || pop3_read_status(s, &ok, &cont, &t, &tl, err) < 0)
		return -1;
	if (!ok || cont)
		return 0;
	for (;;) {
		const char *line;
		size_t len;
		if (net_read_line(s->conn, &line, &len, err) < 0)
			return -1;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 1 && line[0] == '.') {
			s->pipelining = pop3_session_has_cap(s, "PIPELINING", NULL);
			return 0;
		}
		if (len && line[0] == '.') { /* dot-stuffed */
			line++;
			len--;
		}
		if (qu_buf_append(&s->capa, line, len) < 0 || qu_buf_append_byte(&s->capa, '\n') < 0)
			return qu_err_set(err, QU_E_TEMPFAIL, "CAPA response too long");
	}
}

bool
pop3_session_has_cap(const struct pop3_session *s, const char *tag, const char **param)
{
	size_t kl = strlen(tag);
	const char *p = s->capa.data;
	if (!p)
		return false;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n >= kl && qu_mem_eq_ci(p, kl, tag) && (n == kl || p[kl] == ' ')) {
			if (param)
				*param = p + (n > kl ? kl + 1 : kl);
			return true;
		}
		p += n + (e ? 1 : 0);
	}
	return false;
}

static int
stls(struct pop3_session *s, struct qu_err *err)
{
	if (!pop3_session_has_cap(s, "STLS", NULL))
		/* SPEC §1: STLS is required on pop3://; no credentials in clear. */
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "server does not offer STLS (use pop3s:// or, knowingly, pop3+insecure://)");
	s->state = POP3_STATE_STLS;
	bool ok, cont;
	const char *t;
	size_t tl;
	if (pop3_command(s, "STLS", err) < 0 || pop3_read_status(s, &ok, &cont, &t, &tl, err) < 0)
		return -1;
	if (!ok || cont) {
		pop3_err_from(t, tl, QU_E_UNAVAILABLE, err);
		return qu_err_prefix(err, "STLS");
	}
	if (net_tls_start(s->conn, &s->discarded, err) < 0)
		return -1;
	/* RFC 2595 §4: capabilities may change after TLS; ask again. */
	return capa(s, err);
}

struct pop3_session *
pop3_session_open_conn(struct net_conn *c, enum net_tls_mode tls, size_t max_line,
		       struct qu_err *err)
{
	struct pop3_session *s = xcalloc(1, sizeof *s);
	s->conn = c;
	s->max_line = max_line ? max_line : DEFAULT_MAX_LINE;
	qu_buf_init(&s->capa, CAPA_MAX);
	s->state = POP3_STATE_GREETING;
	bool ok, cont;
	const char *t;
	size_t tl;
	if (pop3_read_status(s, &ok, &cont, &t, &tl, err) < 0)
		goto fail;
	if (!ok || cont) {
		pop3_err_from(t, tl, QU_E_UNAVAILABLE, err);
		goto fail;
	}
	s->greeting = xstrndup(t, tl);
	if (capa(s, err) < 0)
		goto fail;
	if (tls == NET_TLS_STARTTLS && stls(s, err) < 0)
		goto fail;
	s->state = POP3_STATE_AUTHORIZATION;
	return s;
fail:
	net_conn_free(s->conn);
	s->conn = NULL;
	pop3_session_close(s);
	return NULL;
}

struct pop3_session *
pop3_session_open(const struct pop3_opts *o, struct qu_err *err)
{
	/* The multi-line reader streams lines longer than the cap, so it has to
	 * know the cap: make the default explicit. */
	struct net_opts no = o->net;
	if (!no.max_line)
		no.max_line = DEFAULT_MAX_LINE;
	struct net_conn *c = net_connect(o->host, o->port, o->tls, &no, err);
	if (!c)
		return NULL;
	return pop3_session_open_conn(c, o->tls, no.max_line, err);
}

void
pop3_session_close(struct pop3_session *s)
{
	if (!s)
		return;
	/* RFC 1939 §6: only QUIT commits DELEs. After a failure, or with
	 * deletions marked that nobody confirmed through pop3_session_quit,
	 * the connection is dropped without QUIT, so nothing is removed. */
	if (s->conn && (s->broken || s->marked))
		pop3_session_drop(s);
	if (s->conn) {
		struct qu_err e;
		bool ok, cont;
		const char *t;
		size_t tl;
		if (pop3_command(s, "QUIT", &e) == 0)
			pop3_read_status(s, &ok, &cont, &t, &tl, &e);
		net_conn_free(s->conn);
	}
	free(s->greeting);
	free(s->mech);
	qu_buf_clear(&s->capa);
	free(s);
}

enum pop3_state
pop3_session_state(const struct pop3_session *s)
{
	return s->state;
}

const char *
pop3_session_greeting(const struct pop3_session *s)
{
	return s->greeting ? s->greeting : "";
}

const char *
pop3_session_capabilities(const struct pop3_session *s)
{
	return s->capa.data ? s->capa.data : "";
}

size_t
pop3_session_discarded(const struct pop3_session *s)
{
	return s->discarded;
}

struct net_conn *
pop3_session_conn(struct pop3_session *s)
{
	return s->conn;
}

/* The POP3 side of the SASL exchange (RFC 5034 §4). */
static int
sasl_begin(void *ctx, const char *mech, const char *ir, struct qu_err *err)
{
	struct net_conn *c = ((struct pop3_session *)ctx)->conn;
	if (net_printf(c, err, "AUTH %s", mech) < 0)
		return -1;
	if (ir && (net_write(c, " ", 1, err) < 0 || net_write_secret(c, ir, strlen(ir), err) < 0))
		return -1;
	if (net_write(c, "\r\n", 2, err) < 0)
		return -1;
	return net_flush(c, err);
}

static int
sasl_next(void *ctx, const char **chal, size_t *chal_len, struct qu_err *err)
{
	struct pop3_session *s = ctx;
	bool ok, cont;
	if (pop3_read_status(s, &ok, &cont, chal, chal_len, err) < 0)
		return -1;
	if (cont)
		return 1;
	if (ok)
		return 0;
	return pop3_err_from(*chal, *chal_len, QU_E_AUTH, err);
}

static int
sasl_respond(void *ctx, const char *resp, struct qu_err *err)
{
	struct net_conn *c = ((struct pop3_session *)ctx)->conn;
	if (net_write_secret(c, resp, strlen(resp), err) < 0 || net_write(c, "\r\n", 2, err) < 0)
		return -1;
	return net_flush(c, err);
}

static void
sasl_cancel(void *ctx)
{
	struct pop3_session *s = ctx;
	struct qu_err e;
	bool ok, cont;
	const char *t;
	size_t tl;
	if (pop3_command(s, "*", &e) == 0)
		pop3_read_status(s, &ok, &cont, &t, &tl, &e);
}

static const struct net_sasl_proto sasl_proto = {
	.begin = sasl_begin,
	.next = sasl_next,
	.respond = sasl_respond,
	.cancel = sasl_cancel,
	.initial_response = true,
};

static int
auth_user_pass(struct pop3_session *s, const struct net_sasl_creds *creds, struct qu_err *err)
{
	bool ok, cont;
	const char *t;
	size_t tl;
	if (strpbrk(creds->user, "\r\n") || strpbrk(creds->secret, "\r\n"))
		return qu_err_set(err, QU_E_CONFIG, "user or password contains a line break");
	if (net_printf(s->conn, err, "USER %s\r\n", creds->user) < 0 || net_flush(s->conn, err) < 0 ||
	    pop3_read_status(s, &ok, &cont, &t, &tl, err) < 0)
		return -1;
	if (!ok)
		return pop3_err_from(t, tl, QU_E_AUTH, err);
	if (net_write(s->conn, "PASS ", 5, err) < 0 ||
	    net_write_secret(s->conn, creds->secret, strlen(creds->secret), err) < 0 ||
	    net_write(s->conn, "\r\n", 2, err) < 0 || net_flush(s->conn, err) < 0 ||
	    pop3_read_status(s, &ok, &cont, &t, &tl, err) < 0)
		return -1;
	if (!ok)
		return pop3_err_from(t, tl, QU_E_AUTH, err);
	return 0;
}

/* The APOP timestamp of the greeting (RFC 1939 §7: "<...>" in msg-id
 * syntax, so it holds an '@'), or NULL; *n gets its length, brackets
 * included. */
static const char *
apop_timestamp(const struct pop3_session *s, size_t *n)
{
	const char *g = s->greeting;
	const char *lt = g ? strchr(g, '<') : NULL;
	const char *gt = lt ? strchr(lt, '>') : NULL;
	if (!gt)
		return NULL;
	bool at = false;
	for (const char *p = lt + 1; p < gt; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '<')
			return NULL;
		at = at || *p == '@';
	}
	if (!at)
		return NULL;
	*n = (size_t)(gt - lt) + 1;
	return lt;
}

/* APOP name digest, digest = MD5(timestamp secret) in lowercase hex
 * (RFC 1939 §7). The digest only proves knowledge of the secret for this
 * timestamp, but it is still kept out of the trace. */
static int
auth_apop(struct pop3_session *s, const struct net_sasl_creds *creds, const char *ts, size_t tsn,
	  struct qu_err *err)
{
	bool ok, cont;
	const char *t;
	size_t tl;
	char hex[33];
	if (strpbrk(creds->user, "\r\n "))
		return qu_err_set(err, QU_E_CONFIG, "user name contains a space or line break");
	size_t sn = strlen(creds->secret);
	char *in = xmalloc(tsn + sn + 1);
	memcpy(in, ts, tsn);
	memcpy(in + tsn, creds->secret, sn + 1);
	int rc = net_md5_hex(in, tsn + sn, hex, err);
	qu_wipe(in, tsn + sn);
	free(in);
	if (rc < 0)
		return -1;
	rc = -1;
	if (net_printf(s->conn, err, "APOP %s ", creds->user) < 0 ||
	    net_write_secret(s->conn, hex, 32, err) < 0 || net_write(s->conn, "\r\n", 2, err) < 0 ||
	    net_flush(s->conn, err) < 0 || pop3_read_status(s, &ok, &cont, &t, &tl, err) < 0)
		goto out;
	if (!ok || cont)
		pop3_err_from(t, tl, QU_E_AUTH, err);
	else
		rc = 0;
out:
	qu_wipe(hex, sizeof hex);
	return rc;
}

/* APOP, and when the server refuses it for good and the password may go
 * over this connection, USER/PASS: a server may put a timestamp in every
 * greeting yet keep only hashed passwords, with which APOP cannot work.
 * After a failed APOP the session stays in AUTHORIZATION (RFC 1939 §7). */
static int
auth_apop_or_user(struct pop3_session *s, const struct net_sasl_creds *creds, bool allow_plain,
		  const char *ts, size_t tsn, struct qu_err *err)
{
	s->mech = xstrdup("APOP");
	if (auth_apop(s, creds, ts, tsn, err) == 0)
		return 0;
	bool user_ok = pop3_session_has_cap(s, "USER", NULL) || s->capa.len == 0;
	if (err->cls != QU_E_AUTH || !allow_plain || !user_ok)
		return -1;
	struct qu_err first = *err;
	free(s->mech);
	s->mech = xstrdup("USER");
	if (auth_user_pass(s, creds, err) == 0)
		return 0;
	if (err->cls == QU_E_AUTH)
		qu_err_prefix(err, "APOP %s; USER/PASS", first.msg);
	return -1;
}

int
pop3_session_auth(struct pop3_session *s, const struct net_sasl_creds *creds, bool allow_plain,
		  const char **mech, struct qu_err *err)
{
	const char *mechs = NULL, *ts;
	size_t tsn;
	int rc;
	struct qu_err local;
	if (!err)
		err = &local;
	free(s->mech);
	s->mech = NULL;
	if (pop3_session_has_cap(s, "SASL", &mechs)) {
		char *list = xstrndup(mechs, strcspn(mechs, "\n"));
		struct net_sasl *sasl = net_sasl_start(creds, list, allow_plain, "pop", err);
		free(list);
		if (!sasl)
			return -1;
		s->mech = xstrdup(net_sasl_mech(sasl));
		rc = net_sasl_exchange(sasl, &sasl_proto, s, err);
		net_sasl_free(sasl);
	} else if (creds->oauth2) {
		return qu_err_set(err, QU_E_UNAVAILABLE, "server offers no SASL mechanism for OAuth 2");
	} else if (!creds->user || !creds->secret) {
		return qu_err_set(err, QU_E_AUTH, "no user name or password to log in with");
	} else if ((ts = apop_timestamp(s, &tsn)) != NULL) {
		rc = auth_apop_or_user(s, creds, allow_plain, ts, tsn, err);
	} else if (!allow_plain) {
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "server offers only USER/PASS and the connection is not encrypted");
	} else {
		s->mech = xstrdup("USER");
		rc = auth_user_pass(s, creds, err);
	}
	if (mech)
		*mech = s->mech;
	if (rc < 0)
		return qu_err_prefix(err, "login (%s)", s->mech ? s->mech : "?");
	s->state = POP3_STATE_TRANSACTION;
	return 0;
}
