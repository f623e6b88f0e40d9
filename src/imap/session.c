#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/imap.h"

/* Responses outside FETCH bodies are small; a literal in one is capped so
 * that a server's {n} never sets an allocation (STYLE.md). */
#define RESP_MAX (1024 * 1024)

struct imap_session {
	struct net_conn *conn;
	enum imap_state state;
	char *greeting;
	char *caps;
	size_t discarded;
	unsigned tag;
	char *mech;
	struct qu_buf resp;
};

enum resp_kind { RESP_UNTAGGED, RESP_CONTINUE, RESP_TAGGED };

const char *
imap_state_name(enum imap_state s)
{
	static const char *const names[] = {"GREETING", "STARTTLS", "NOT_AUTHENTICATED",
					    "AUTHENTICATED", "SELECTED", "LOGOUT"};
	return (size_t)s < QU_ARRAY_LEN(names) ? names[s] : "?";
}

/* If the line (with its end) closes with a literal announcement {n},
 * {n+} or ~{n}, returns true and its size. */
static bool
literal_at_end(const char *p, size_t n, uint64_t *size)
{
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (!n || p[n - 1] != '}')
		return false;
	size_t e = n - 1;
	if (e && (p[e - 1] == '+' || p[e - 1] == '-'))
		e--;
	size_t b = e;
	while (b && p[b - 1] >= '0' && p[b - 1] <= '9')
		b--;
	if (b == e || !b || p[b - 1] != '{')
		return false;
	return qu_parse_u64(p + b, e - b, UINT64_MAX, size) == 0;
}

/* Reads one whole response into s->resp: its lines joined, literals inline. */
static int
read_response(struct imap_session *s, enum resp_kind *kind, struct qu_err *err)
{
	qu_buf_reset(&s->resp);
	for (;;) {
		const char *line;
		size_t len;
		uint64_t lit;
		if (net_read_line(s->conn, &line, &len, err) < 0)
			return -1;
		bool more = literal_at_end(line, len, &lit);
		if (!more)
			while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				len--;
		if (qu_buf_append(&s->resp, line, len) < 0)
			return qu_err_set(err, QU_E_TEMPFAIL, "response longer than %d bytes", RESP_MAX);
		if (!more)
			break;
		char *dst = lit <= RESP_MAX ? qu_buf_reserve(&s->resp, (size_t)lit) : NULL;
		if (!dst)
			return qu_err_set(err, QU_E_TEMPFAIL,
					  "server announced a literal of %llu bytes where none fits",
					  (unsigned long long)lit);
		if (net_read_n(s->conn, dst, (size_t)lit, err) < 0)
			return -1;
		qu_buf_commit(&s->resp, (size_t)lit);
	}
	const char *r = s->resp.data ? s->resp.data : "";
	if (r[0] == '*' && r[1] == ' ')
		*kind = RESP_UNTAGGED;
	else if (r[0] == '+' && (r[1] == ' ' || r[1] == '\0'))
		*kind = RESP_CONTINUE;
	else
		*kind = RESP_TAGGED;
	return 0;
}

static void
set_caps(struct imap_session *s, const char *p, size_t n)
{
	free(s->caps);
	s->caps = xstrndup(p, n);
}

/* Picks up capabilities from "* CAPABILITY ..." or a "[CAPABILITY ...]"
 * response code anywhere in an OK response. */
static void
note_caps(struct imap_session *s, const char *text)
{
	if (qu_str_has_prefix_ci(text, "CAPABILITY ")) {
		set_caps(s, text + 11, strlen(text + 11));
		return;
	}
	const char *b = text;
	if (qu_str_has_prefix_ci(b, "OK ") || qu_str_has_prefix_ci(b, "PREAUTH "))
		b = strchr(b, ' ') + 1;
	if (qu_str_has_prefix_ci(b, "[CAPABILITY ")) {
		const char *e = strchr(b, ']');
		if (e)
			set_caps(s, b + 12, (size_t)(e - b - 12));
	}
}

bool
imap_session_has_cap(const struct imap_session *s, const char *cap)
{
	size_t kl = strlen(cap);
	const char *p = s->caps;
	while (p && *p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == kl && qu_mem_eq_ci(p, n, cap))
			return true;
		p += n;
	}
	return false;
}

static void
safe_text(struct qu_buf *b, const char *p)
{
	qu_buf_append_safe(b, p, strlen(p), false);
}

/* Reads responses until the tagged one for tag; untagged ones are noted.
 * Returns 0 for OK; NO is AUTH or UNAVAILABLE (no_cls), BAD UNAVAILABLE. */
static int
wait_tagged(struct imap_session *s, const char *tag, enum qu_err_class no_cls, struct qu_err *err)
{
	size_t tl = strlen(tag);
	for (;;) {
		enum resp_kind k;
		if (read_response(s, &k, err) < 0)
			return -1;
		const char *r = s->resp.data;
		if (k == RESP_UNTAGGED) {
			if (qu_str_has_prefix_ci(r + 2, "BYE "))
				continue; /* the tagged reply or EOF tells the rest */
			note_caps(s, r + 2);
			continue;
		}
		if (k == RESP_CONTINUE)
			return qu_err_set(err, QU_E_UNAVAILABLE, "unexpected continuation request");
		if (strncmp(r, tag, tl) != 0 || r[tl] != ' ')
			return qu_err_set(err, QU_E_UNAVAILABLE, "response with an unknown tag");
		const char *st = r + tl + 1;
		note_caps(s, st);
		if (qu_str_has_prefix_ci(st, "OK"))
			return 0;
		struct qu_buf m;
		qu_buf_init(&m, 2048);
		safe_text(&m, st);
		enum qu_err_class cls = qu_str_has_prefix_ci(st, "NO") ? no_cls : QU_E_UNAVAILABLE;
		/* RFC 5530 codes that say "try later". */
		if (strstr(st, "[UNAVAILABLE]") || strstr(st, "[INUSE]"))
			cls = QU_E_TEMPFAIL;
		qu_err_set(err, cls, "server said %s", m.data ? m.data : "");
		qu_buf_clear(&m);
		return -1;
	}
}

static const char *
next_tag(struct imap_session *s, char buf[16])
{
	snprintf(buf, 16, "Q%u", ++s->tag);
	return buf;
}

static int
simple_command(struct imap_session *s, const char *cmd, struct qu_err *err)
{
	char tag[16];
	next_tag(s, tag);
	if (net_printf(s->conn, err, "%s %s\r\n", tag, cmd) < 0 || net_flush(s->conn, err) < 0)
		return -1;
	return wait_tagged(s, tag, QU_E_UNAVAILABLE, err);
}

static int
starttls(struct imap_session *s, struct qu_err *err)
{
	if (!imap_session_has_cap(s, "STARTTLS"))
		/* SPEC §1: never fall back to plain text. */
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "server does not offer STARTTLS (use imaps:// or, knowingly, imap+insecure://)");
	s->state = IMAP_STATE_STARTTLS;
	if (simple_command(s, "STARTTLS", err) < 0)
		return qu_err_prefix(err, "STARTTLS");
	if (net_tls_start(s->conn, &s->discarded, err) < 0)
		return -1;
	/* RFC 3501 §6.2.1: capabilities from before TLS are void. */
	free(s->caps);
	s->caps = NULL;
	return simple_command(s, "CAPABILITY", err);
}

struct imap_session *
imap_session_open(const struct imap_opts *o, struct qu_err *err)
{
	struct net_conn *c = net_connect(o->host, o->port, o->tls, &o->net, err);
	if (!c)
		return NULL;
	struct imap_session *s = xcalloc(1, sizeof *s);
	s->conn = c;
	qu_buf_init(&s->resp, RESP_MAX);
	s->state = IMAP_STATE_GREETING;
	enum resp_kind k;
	if (read_response(s, &k, err) < 0)
		goto fail;
	const char *r = s->resp.data;
	bool preauth = k == RESP_UNTAGGED && qu_str_has_prefix_ci(r + 2, "PREAUTH");
	if (k != RESP_UNTAGGED || !(qu_str_has_prefix_ci(r + 2, "OK") || preauth)) {
		struct qu_buf m;
		qu_buf_init(&m, 2048);
		safe_text(&m, r);
		qu_err_set(err, QU_E_UNAVAILABLE, "server greeted with %s", m.data ? m.data : "");
		qu_buf_clear(&m);
		goto fail;
	}
	s->greeting = xstrdup(r + 2);
	note_caps(s, r + 2);
	if (preauth && o->tls == NET_TLS_STARTTLS) {
		/* STARTTLS is not allowed once authenticated (RFC 3501 §6.2.1), so a
		 * PREAUTH on a plain connection could never be secured. */
		qu_err_set(err, QU_E_UNAVAILABLE, "server sent PREAUTH on a connection without TLS");
		goto fail;
	}
	if (!s->caps && simple_command(s, "CAPABILITY", err) < 0)
		goto fail;
	if (o->tls == NET_TLS_STARTTLS && starttls(s, err) < 0)
		goto fail;
	s->state = preauth ? IMAP_STATE_AUTHENTICATED : IMAP_STATE_NOT_AUTHENTICATED;
	return s;
fail:
	net_conn_free(s->conn);
	s->conn = NULL;
	imap_session_close(s);
	return NULL;
}

void
imap_session_close(struct imap_session *s)
{
	if (!s)
		return;
	if (s->conn) {
		struct qu_err e;
		simple_command(s, "LOGOUT", &e);
		net_conn_free(s->conn);
	}
	free(s->greeting);
	free(s->caps);
	free(s->mech);
	qu_buf_clear(&s->resp);
	free(s);
}

enum imap_state
imap_session_state(const struct imap_session *s)
{
	return s->state;
}

const char *
imap_session_greeting(const struct imap_session *s)
{
	return s->greeting ? s->greeting : "";
}

const char *
imap_session_capabilities(const struct imap_session *s)
{
	return s->caps ? s->caps : "";
}

size_t
imap_session_discarded(const struct imap_session *s)
{
	return s->discarded;
}

struct net_conn *
imap_session_conn(struct imap_session *s)
{
	return s->conn;
}

void
imap_quote(struct qu_buf *b, const char *p, size_t n, bool *literal)
{
	bool plain = true;
	for (size_t i = 0; i < n && plain; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r' || c == '\n' || c == 0 || c >= 0x80)
			plain = false;
	}
	*literal = !plain;
	if (!plain) {
		qu_buf_printf(b, "{%zu}\r\n", n);
		qu_buf_append(b, p, n);
		return;
	}
	qu_buf_append_byte(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			qu_buf_append_byte(b, '\\');
		qu_buf_append_byte(b, p[i]);
	}
	qu_buf_append_byte(b, '"');
}

/* Writes one LOGIN argument: a quoted string, or a literal; a synchronizing
 * literal waits for the server's "+" (RFC 3501 §7.5), LITERAL+ does not. */
static int
send_astring(struct imap_session *s, const char *p, bool secret, struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	bool lit;
	imap_quote(&b, p, strlen(p), &lit);
	int rc = -1;
	if (!lit) {
		rc = secret ? net_write_secret(s->conn, b.data, b.len, err)
			    : net_write(s->conn, b.data, b.len, err);
		goto out;
	}
	bool plus = imap_session_has_cap(s, "LITERAL+");
	if (net_printf(s->conn, err, "{%zu%s}\r\n", strlen(p), plus ? "+" : "") < 0)
		goto out;
	if (!plus) {
		enum resp_kind k;
		if (net_flush(s->conn, err) < 0 || read_response(s, &k, err) < 0)
			goto out;
		if (k != RESP_CONTINUE) {
			qu_err_set(err, QU_E_UNAVAILABLE, "server refused a literal");
			goto out;
		}
	}
	rc = secret ? net_write_secret(s->conn, p, strlen(p), err)
		    : net_write(s->conn, p, strlen(p), err);
out:
	qu_buf_clear_secret(&b);
	return rc;
}

static int
auth_login(struct imap_session *s, const struct net_sasl_creds *creds, struct qu_err *err)
{
	char tag[16];
	next_tag(s, tag);
	if (net_printf(s->conn, err, "%s LOGIN ", tag) < 0 ||
	    send_astring(s, creds->user, false, err) < 0 || net_write(s->conn, " ", 1, err) < 0 ||
	    send_astring(s, creds->secret, true, err) < 0 || net_write(s->conn, "\r\n", 2, err) < 0 ||
	    net_flush(s->conn, err) < 0)
		return -1;
	return wait_tagged(s, tag, QU_E_AUTH, err);
}

static int
auth_sasl(struct imap_session *s, struct net_sasl *sasl, struct qu_err *err)
{
	char tag[16];
	char *out = NULL;
	int rc = -1;
	next_tag(s, tag);
	if (net_printf(s->conn, err, "%s AUTHENTICATE %s", tag, net_sasl_mech(sasl)) < 0)
		goto out;
	/* RFC 4959: with SASL-IR the first response rides on the command. */
	if (net_sasl_client_first(sasl) && imap_session_has_cap(s, "SASL-IR")) {
		if (net_sasl_step(sasl, "", 0, &out, err) < 0)
			goto out;
		if (net_write(s->conn, " ", 1, err) < 0 ||
		    net_write_secret(s->conn, *out ? out : "=", *out ? strlen(out) : 1, err) < 0)
			goto out;
		qu_free_secret(out);
		out = NULL;
	}
	if (net_write(s->conn, "\r\n", 2, err) < 0 || net_flush(s->conn, err) < 0)
		goto out;
	for (;;) {
		enum resp_kind k;
		if (read_response(s, &k, err) < 0)
			goto out;
		if (k == RESP_UNTAGGED) {
			note_caps(s, s->resp.data + 2);
			continue;
		}
		if (k == RESP_TAGGED)
			break;
		const char *chal = s->resp.data + (s->resp.len > 1 ? 2 : 1);
		if (net_sasl_step(sasl, chal, strlen(chal), &out, err) < 0) {
			/* RFC 3501 §6.2.2: "*" cancels the exchange. */
			struct qu_err e2;
			if (net_write(s->conn, "*\r\n", 3, &e2) == 0 && net_flush(s->conn, &e2) == 0)
				wait_tagged(s, tag, QU_E_AUTH, &e2);
			goto out;
		}
		if (net_write_secret(s->conn, out, strlen(out), err) < 0 ||
		    net_write(s->conn, "\r\n", 2, err) < 0 || net_flush(s->conn, err) < 0)
			goto out;
		qu_free_secret(out);
		out = NULL;
	}
	/* The tagged response is in s->resp; let wait_tagged's logic judge it
	 * by re-reading nothing: judge it here the same way. */
	const char *r = s->resp.data;
	size_t tl = strlen(tag);
	if (strncmp(r, tag, tl) != 0 || r[tl] != ' ') {
		qu_err_set(err, QU_E_UNAVAILABLE, "response with an unknown tag");
		goto out;
	}
	note_caps(s, r + tl + 1);
	if (qu_str_has_prefix_ci(r + tl + 1, "OK")) {
		rc = 0;
	} else {
		struct qu_buf m;
		qu_buf_init(&m, 2048);
		safe_text(&m, r + tl + 1);
		qu_err_set(err, qu_str_has_prefix_ci(r + tl + 1, "NO") ? QU_E_AUTH : QU_E_UNAVAILABLE,
			   "server said %s", m.data ? m.data : "");
		qu_buf_clear(&m);
	}
out:
	qu_free_secret(out);
	return rc;
}

/* The AUTH=... capabilities as a space-separated mechanism list. */
static char *
auth_mechs(const struct imap_session *s)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	const char *p = s->caps;
	while (p && *p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n > 5 && qu_mem_eq_ci(p, 5, "AUTH=")) {
			if (b.len)
				qu_buf_append_byte(&b, ' ');
			qu_buf_append(&b, p + 5, n - 5);
		}
		p += n;
	}
	return qu_buf_steal(&b, NULL);
}

int
imap_session_auth(struct imap_session *s, const struct net_sasl_creds *creds, bool allow_plain,
		  const char **mech, struct qu_err *err)
{
	if (s->state == IMAP_STATE_AUTHENTICATED)
		return 0;
	char *mechs = auth_mechs(s);
	int rc;
	free(s->mech);
	s->mech = NULL;
	struct qu_err e2;
	struct net_sasl *sasl = *mechs ? net_sasl_start(creds, mechs, allow_plain, "imap", &e2) : NULL;
	free(mechs);
	if (sasl) {
		s->mech = xstrdup(net_sasl_mech(sasl));
		rc = auth_sasl(s, sasl, err);
		net_sasl_free(sasl);
	} else if (creds->oauth2) {
		return qu_err_set(err, QU_E_UNAVAILABLE, "server offers no SASL mechanism for OAuth 2");
	} else if (imap_session_has_cap(s, "LOGINDISABLED")) {
		return qu_err_set(err, QU_E_UNAVAILABLE, "server has disabled LOGIN on this connection");
	} else if (!allow_plain) {
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "no mechanism that keeps the password safe on a connection without TLS");
	} else {
		s->mech = xstrdup("LOGIN");
		rc = auth_login(s, creds, err);
	}
	if (mech)
		*mech = s->mech;
	if (rc < 0)
		return qu_err_prefix(err, "login (%s)", s->mech);
	s->state = IMAP_STATE_AUTHENTICATED;
	return 0;
}
