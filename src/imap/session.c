/*
 * Opening, securing, authenticating and closing a session, and the
 * commands of the authenticated state that shape it: ID, ENABLE,
 * COMPRESS, NAMESPACE, NOOP, LOGOUT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/private.h"

const char *
imap_state_name(enum imap_state s)
{
	static const char *const names[] = {"GREETING", "STARTTLS", "NOT_AUTHENTICATED",
					    "AUTHENTICATED", "SELECTED", "LOGOUT"};
	return (size_t)s < QU_ARRAY_LEN(names) ? names[s] : "?";
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


/* RFC 3501 §6.2.1: what the server said before TLS is void, since anyone
 * in the path could have written it (an ENABLED, capabilities, a BYE,
 * mailbox data). Only the greeting is kept, as the record of what the
 * connection was opened with; nothing acts on it. */
static void
forget_plaintext(struct imap_session *s)
{
	free(s->caps);
	s->caps = NULL;
	s->caps_gen++;
	free(s->bye);
	s->bye = NULL;
	free(s->mech);
	s->mech = NULL;
	s->enabled = 0;
	memset(&s->sel, 0, sizeof s->sel);
	s->track_sel = false;
}

static int
starttls(struct imap_session *s, struct qu_err *err)
{
	if (!imap_session_has_cap(s, "STARTTLS"))
		/* SPEC §1: never fall back to plain text. */
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "server does not offer STARTTLS (use imaps:// or, knowingly, imap+insecure://)");
	s->state = IMAP_STATE_STARTTLS;
	if (imap_cmd_simple(s, "STARTTLS", err) < 0)
		return qu_err_prefix(err, "STARTTLS");
	/* Whatever followed the OK in the same read was sent before TLS and
	 * is dropped by net_tls_start (RFC 3501 §6.2.1): it could be an
	 * injected response. The parser holds nothing: the OK ended a line. */
	imap_parser_reset(&s->parser);
	if (net_tls_start(s->conn, &s->discarded, err) < 0)
		return imap_broken(s);
	forget_plaintext(s);
	return imap_cmd_simple(s, "CAPABILITY", err);
}

static struct imap_session *
session_new(struct net_conn *c, enum net_tls_mode tls)
{
	struct imap_session *s = xcalloc(1, sizeof *s);
	s->conn = c;
	s->tls = tls;
	s->state = IMAP_STATE_GREETING;
	struct imap_parser_limits lim = {.max_bytes = IMAP_RESP_MAX};
	imap_parser_init(&s->parser, &lim);
	return s;
}

static int
greeting(struct imap_session *s, struct qu_err *err)
{
	if (imap_read_response(s, err) < 0)
		return -1;
	const struct imap_resp *r = &s->resp;
	bool preauth = r->type == IMAP_RESP_UNTAGGED && r->status == IMAP_STATUS_PREAUTH;
	char *d = imap_describe_status(r);
	if (r->type != IMAP_RESP_UNTAGGED || !(r->status == IMAP_STATUS_OK || preauth)) {
		qu_err_set(err, QU_E_UNAVAILABLE, "server greeted with %s%s",
			   r->type == IMAP_RESP_UNTAGGED ? "* " : "", d);
		free(d);
		return imap_broken(s);
	}
	s->greeting = d;
	if (preauth && s->tls == NET_TLS_STARTTLS) {
		/* STARTTLS is not allowed once authenticated (RFC 3501 §6.2.1), so a
		 * PREAUTH on a plain connection could never be secured. */
		qu_err_set(err, QU_E_UNAVAILABLE, "server sent PREAUTH on a connection without TLS");
		return imap_broken(s);
	}
	if (!s->caps && imap_cmd_simple(s, "CAPABILITY", err) < 0)
		return -1;
	if (s->tls == NET_TLS_STARTTLS && starttls(s, err) < 0)
		return -1;
	s->state = preauth ? IMAP_STATE_AUTHENTICATED : IMAP_STATE_NOT_AUTHENTICATED;
	return 0;
}

struct imap_session *
imap_session_open_conn(struct net_conn *c, enum net_tls_mode tls, struct qu_err *err)
{
	struct imap_session *s = session_new(c, tls);
	if (greeting(s, err) < 0) {
		s->broken = true; /* no LOGOUT on the way out */
		imap_session_close(s);
		return NULL;
	}
	return s;
}

struct imap_session *
imap_session_open(const struct imap_opts *o, struct qu_err *err)
{
	struct net_opts no = o->net;
	if (!no.max_line)
		no.max_line = IMAP_MAX_LINE;
	struct net_conn *c = net_connect(o->host, o->port, o->tls, &no, err);
	if (!c)
		return NULL;
	return imap_session_open_conn(c, o->tls, err);
}

void
imap_session_close(struct imap_session *s)
{
	if (!s)
		return;
	if (s->conn && !s->broken && s->state != IMAP_STATE_LOGOUT) {
		struct qu_err e;
		qu_err_clear(&e);
		imap_session_logout(s, &e);
	}
	net_conn_free(s->conn);
	for (size_t i = 0; i < s->npend; i++)
		free(s->pend[i].msg);
	free(s->greeting);
	free(s->caps);
	free(s->mech);
	free(s->bye);
	imap_parser_clear(&s->parser);
	free(s);
}

/* True when the server answered every command sent: nothing it still owes
 * would be lost by not reading on. */
static bool
all_answered(const struct imap_session *s)
{
	for (size_t i = 0; i < s->npend; i++)
		if (!s->pend[i].done)
			return false;
	return true;
}

void
imap_session_quit(struct imap_session *s)
{
	if (!s)
		return;
	if (s->conn && !s->broken && s->state != IMAP_STATE_LOGOUT && all_answered(s)) {
		/* The BYE and OK that follow carry nothing to act on (RFC 9051
		 * §7.1.5 asks to read on only for responses still pending, and
		 * none is): LOGOUT goes out whole (net_flush), then the close. */
		struct qu_err e;
		qu_err_clear(&e);
		imap_hooks_set(s, NULL, NULL);
		unsigned tag = imap_cmd_start(s, "LOGOUT", QU_E_UNAVAILABLE, &e);
		if (tag && imap_cmd_end(s, &e) == 0)
			net_flush(s->conn, &e);
		s->state = IMAP_STATE_LOGOUT;
	}
	imap_session_close(s); /* otherwise LOGOUT waits for the replies owed */
}

int
imap_session_logout(struct imap_session *s, struct qu_err *err)
{
	if (s->state == IMAP_STATE_LOGOUT)
		return 0;
	imap_hooks_set(s, NULL, NULL);
	int rc = imap_cmd_simple(s, "LOGOUT", err);
	s->state = IMAP_STATE_LOGOUT;
	return rc;
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

bool
imap_session_broken(const struct imap_session *s)
{
	return s->broken;
}

unsigned
imap_session_commands(const struct imap_session *s)
{
	return s->commands;
}

unsigned
imap_session_enabled(const struct imap_session *s)
{
	return s->enabled;
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

/* ---- authentication ---- */

static int
auth_login(struct imap_session *s, const struct net_sasl_creds *creds, struct qu_err *err)
{
	unsigned tag = imap_cmd_start(s, "LOGIN", QU_E_AUTH, err);
	if (!tag || imap_cmd_astring(s, tag, creds->user, strlen(creds->user), false, err) < 0 ||
	    imap_cmd_astring(s, tag, creds->secret, strlen(creds->secret), true, err) < 0 ||
	    imap_cmd_end(s, err) < 0)
		return -1;
	return imap_cmd_wait(s, tag, NULL, err);
}

/* The IMAP side of the SASL exchange (RFC 3501 §6.2.2). */
struct auth_ctx {
	struct imap_session *s;
	unsigned tag;
};

static int
sasl_begin(void *ctx, const char *mech, const char *ir, struct qu_err *err)
{
	struct auth_ctx *a = ctx;
	char verb[64];
	snprintf(verb, sizeof verb, "AUTHENTICATE %s", mech);
	a->tag = imap_cmd_start(a->s, verb, QU_E_AUTH, err);
	if (!a->tag)
		return -1;
	if (ir && (imap_cmd_raw(a->s, " ", err) < 0 ||
		   net_write_secret(a->s->conn, ir, strlen(ir), err) < 0))
		return -1;
	return imap_cmd_end(a->s, err);
}

static int
sasl_next(void *ctx, const char **chal, size_t *chal_len, struct qu_err *err)
{
	struct auth_ctx *a = ctx;
	int w = imap_cmd_wait_continue(a->s, a->tag, err);
	if (w == 1) {
		*chal = a->s->resp.text;
		*chal_len = a->s->resp.text_len;
	}
	return w;
}

static int
sasl_respond(void *ctx, const char *resp, struct qu_err *err)
{
	struct auth_ctx *a = ctx;
	if (net_write_secret(a->s->conn, resp, strlen(resp), err) < 0)
		return -1;
	return imap_cmd_end(a->s, err);
}

static void
sasl_cancel(void *ctx)
{
	struct auth_ctx *a = ctx;
	struct qu_err e;
	qu_err_clear(&e);
	if (imap_cmd_raw(a->s, "*\r\n", &e) == 0)
		imap_cmd_wait(a->s, a->tag, NULL, &e);
}

static int
auth_sasl(struct imap_session *s, struct net_sasl *sasl, struct qu_err *err)
{
	/* RFC 4959: with SASL-IR the first response rides on the command. */
	struct net_sasl_proto p = {
		.begin = sasl_begin,
		.next = sasl_next,
		.respond = sasl_respond,
		.cancel = sasl_cancel,
		.initial_response = imap_session_has_cap(s, "SASL-IR"),
	};
	struct auth_ctx a = {.s = s};
	return net_sasl_exchange(sasl, &p, &a, err);
}

char *
imap_session_auth_mechs(const struct imap_session *s)
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
	if (imap_ensure_caps(s, err) < 0)
		return -1;
	char *mechs = imap_session_auth_mechs(s);
	int rc;
	free(s->mech);
	s->mech = NULL;
	struct qu_err e2;
	struct net_sasl *sasl = *mechs ? net_sasl_start(creds, mechs, allow_plain, "imap", &e2) : NULL;
	free(mechs);
	if (!sasl) {
		if (creds->oauth2)
			return qu_err_set(err, QU_E_UNAVAILABLE,
					  "server offers no SASL mechanism for OAuth 2");
		if (imap_session_has_cap(s, "LOGINDISABLED"))
			return qu_err_set(err, QU_E_UNAVAILABLE,
					  "server has disabled LOGIN on this connection");
		if (!allow_plain)
			return qu_err_set(err, QU_E_UNAVAILABLE,
					  "no mechanism that keeps the password safe on a connection without TLS");
	}
	unsigned gen = s->caps_gen;
	if (sasl) {
		s->mech = xstrdup(net_sasl_mech(sasl));
		rc = auth_sasl(s, sasl, err);
		net_sasl_free(sasl);
	} else {
		s->mech = xstrdup("LOGIN");
		rc = auth_login(s, creds, err);
	}
	if (rc == 0 && gen == s->caps_gen) {
		/* Capabilities may change at login (RFC 3501 §6.2.2); those not
		 * repeated with the OK are asked for when next needed. */
		free(s->caps);
		s->caps = NULL;
	}
	if (mech)
		*mech = s->mech;
	if (rc < 0)
		return qu_err_prefix(err, "login (%s)", s->mech);
	s->state = IMAP_STATE_AUTHENTICATED;
	return 0;
}

/* ---- after login ---- */

struct id_ctx {
	struct qu_buf out;
};

static int
id_untagged(void *ctx, const struct imap_resp *r, struct qu_err *err)
{
	struct id_ctx *c = ctx;
	(void)err;
	if (!qu_mem_eq_ci(r->kw, r->kw_len, "ID") || r->args == r->args_end ||
	    r->nodes[r->args].kind != IMAP_NODE_LIST)
		return 0;
	uint32_t l = r->args;
	for (uint32_t i = l + 1; i < r->nodes[l].end; i = r->nodes[i].end) {
		uint32_t v = r->nodes[i].end;
		if (v >= r->nodes[l].end)
			break;
		size_t kn, vn;
		const char *k = imap_node_bytes(r, i, &kn), *val = imap_node_bytes(r, v, &vn);
		if (k) {
			qu_buf_append(&c->out, k, kn);
			qu_buf_append_byte(&c->out, '=');
			if (val)
				qu_buf_append(&c->out, val, vn);
			qu_buf_append_byte(&c->out, '\n');
		}
		i = v;
	}
	return 0;
}

/* "ID (...)" for id into b (RFC 2971 §3.1). */
static void
id_text(const struct imap_id *id, struct qu_buf *b)
{
	const char *fields[][2] = {{"name", id->name},
				   {"version", id->version},
				   {"vendor", id->vendor},
				   {"support-email", id->support_email}};
	qu_buf_append_str(b, "ID (");
	bool any = false;
	for (size_t i = 0; i < QU_ARRAY_LEN(fields); i++) {
		struct qu_buf v;
		bool lit;
		if (!fields[i][1])
			continue;
		qu_buf_init(&v, 1024);
		imap_quote(&v, fields[i][1], strlen(fields[i][1]), &lit);
		if (!lit) /* our own strings are ASCII; anything else is left out */
			qu_buf_printf(b, "%s\"%s\" %s", any ? " " : "", fields[i][0], v.data);
		any = any || !lit;
		qu_buf_clear(&v);
	}
	qu_buf_append_byte(b, ')');
	if (!any) {
		qu_buf_reset(b);
		qu_buf_append_str(b, "ID NIL");
	}
}

int
imap_session_id(struct imap_session *s, const struct imap_id *id, char **server_id,
		struct qu_err *err)
{
	if (server_id)
		*server_id = NULL;
	if (imap_ensure_caps(s, err) < 0)
		return -1;
	if (!imap_session_has_cap(s, "ID"))
		return 0;
	struct qu_buf b;
	qu_buf_init(&b, 4096);
	id_text(id, &b);
	struct id_ctx c;
	qu_buf_init(&c.out, 64 * 1024);
	static const struct imap_hooks hooks = {.untagged = id_untagged};
	imap_hooks_set(s, &hooks, &c);
	int rc = imap_cmd_simple(s, b.data, err);
	imap_hooks_set(s, NULL, NULL);
	qu_buf_clear(&b);
	if (rc == 0 && server_id && c.out.len)
		*server_id = qu_buf_steal(&c.out, NULL);
	qu_buf_clear(&c.out);
	return rc < 0 ? qu_err_prefix(err, "ID") : 0;
}

/* "ENABLE ..." for what the server offers of want into b; b->len <= 6
 * when there is nothing to enable. */
static void
enable_text(struct imap_session *s, unsigned want, struct qu_buf *b)
{
	qu_buf_append_str(b, "ENABLE");
	if (!imap_session_has_cap(s, "ENABLE") && !imap_session_has_cap(s, "IMAP4rev2"))
		return;
	if ((want & IMAP_ENABLE_QRESYNC) && imap_session_has_cap(s, "QRESYNC"))
		qu_buf_append_str(b, " QRESYNC");
	if ((want & (IMAP_ENABLE_CONDSTORE | IMAP_ENABLE_QRESYNC)) &&
	    imap_session_has_cap(s, "CONDSTORE"))
		qu_buf_append_str(b, " CONDSTORE");
	if ((want & IMAP_ENABLE_UTF8) && imap_session_has_cap(s, "UTF8=ACCEPT"))
		qu_buf_append_str(b, " UTF8=ACCEPT");
}

/* Sends the commands of the after-login flight; tags[k] is 0 for one left
 * out. */
static int
setup_send(struct imap_session *s, const struct imap_id *id, unsigned want, bool compress,
	   unsigned tags[3], struct qu_err *err)
{
	struct qu_buf b[3];
	for (int k = 0; k < 3; k++)
		qu_buf_init(&b[k], 4096);
	if (id && imap_session_has_cap(s, "ID"))
		id_text(id, &b[0]);
	enable_text(s, want, &b[1]);
	if (b[1].len <= 6)
		qu_buf_reset(&b[1]);
	/* COMPRESS goes last: nothing may follow it uncompressed before its
	 * OK (RFC 4978 §3), but what precedes it shares the round trip. */
	if (compress && imap_session_has_cap(s, "COMPRESS=DEFLATE"))
		qu_buf_append_str(&b[2], "COMPRESS DEFLATE");
	int rc = 0;
	for (int k = 0; k < 3; k++) {
		tags[k] = 0;
		if (rc == 0 && b[k].len &&
		    (!(tags[k] = imap_cmd_start(s, b[k].data, QU_E_UNAVAILABLE, err)) ||
		     imap_cmd_end(s, err) < 0))
			rc = -1;
		qu_buf_clear(&b[k]);
	}
	return rc;
}

int
imap_session_setup(struct imap_session *s, const struct imap_id *id, unsigned want, bool compress,
		   struct qu_err *err)
{
	if (imap_ensure_caps(s, err) < 0)
		return -1;
	unsigned tags[3];
	if (setup_send(s, id, want, compress, tags, err) < 0)
		return imap_broken(s); /* some may be in flight, never collected */
	static const char *const what[3] = {"ID", "ENABLE", "COMPRESS"};
	int rc = 0;
	/* Each is collected even after one failed, so the session stays in
	 * step; err says the first failure. */
	for (int k = 0; k < 3 && !s->broken; k++) {
		struct qu_err e2;
		qu_err_clear(&e2);
		struct qu_err *e = rc < 0 ? &e2 : err;
		if (!tags[k])
			continue;
		if (imap_cmd_wait(s, tags[k], NULL, e) < 0) {
			if (rc == 0)
				qu_err_prefix(err, "%s", what[k]);
			rc = -1;
		} else if (k == 2 && net_compress_start(s->conn, e) < 0) {
			return imap_broken(s);
		}
	}
	return s->broken ? -1 : rc;
}

int
imap_session_enable(struct imap_session *s, unsigned want, struct qu_err *err)
{
	return imap_session_setup(s, NULL, want, false, err);
}

int
imap_session_compress(struct imap_session *s, struct qu_err *err)
{
	if (imap_ensure_caps(s, err) < 0)
		return -1;
	if (!imap_session_has_cap(s, "COMPRESS=DEFLATE"))
		return 0;
	if (imap_cmd_simple(s, "COMPRESS DEFLATE", err) < 0)
		return qu_err_prefix(err, "COMPRESS");
	if (net_compress_start(s->conn, err) < 0)
		return imap_broken(s);
	return 1;
}

struct ns_ctx {
	char *prefix;
	char delim;
	bool seen;
};

static int
ns_untagged(void *ctx, const struct imap_resp *r, struct qu_err *err)
{
	struct ns_ctx *c = ctx;
	(void)err;
	if (!qu_mem_eq_ci(r->kw, r->kw_len, "NAMESPACE") || r->args == r->args_end || c->seen)
		return 0;
	c->seen = true;
	/* (("prefix" "delim") ...) NIL NIL: the first personal one. */
	uint32_t l = r->args;
	if (r->nodes[l].kind != IMAP_NODE_LIST || l + 1 >= r->nodes[l].end)
		return 0;
	uint32_t d = l + 1;
	if (r->nodes[d].kind != IMAP_NODE_LIST || d + 1 >= r->nodes[d].end)
		return 0;
	c->prefix = imap_node_dup(r, d + 1, NULL);
	uint32_t dl = r->nodes[d + 1].end;
	size_t n;
	const char *b = dl < r->nodes[d].end ? imap_node_bytes(r, dl, &n) : NULL;
	c->delim = b && n == 1 ? b[0] : 0;
	return 0;
}

int
imap_session_namespace(struct imap_session *s, char **prefix, char *delim, struct qu_err *err)
{
	*prefix = NULL;
	*delim = 0;
	if (imap_ensure_caps(s, err) < 0)
		return -1;
	struct ns_ctx c = {NULL, 0, false};
	int rc = 0;
	if (imap_session_has_cap(s, "NAMESPACE") || imap_session_has_cap(s, "IMAP4rev2")) {
		static const struct imap_hooks hooks = {.untagged = ns_untagged};
		imap_hooks_set(s, &hooks, &c);
		rc = imap_cmd_simple(s, "NAMESPACE", err);
		imap_hooks_set(s, NULL, NULL);
	}
	if (rc == 0 && !c.seen) {
		/* LIST "" "" gives the delimiter (RFC 3501 §6.3.8). */
		struct imap_list l = {0};
		rc = imap_session_list(s, "", "", 0, 0, &l, err);
		if (rc == 0 && l.n)
			c.delim = l.v[0].delim;
		imap_list_clear(&l);
	}
	if (rc < 0) {
		free(c.prefix);
		return qu_err_prefix(err, "NAMESPACE");
	}
	*prefix = c.prefix ? c.prefix : xstrdup("");
	*delim = c.delim;
	return 0;
}

int
imap_session_noop(struct imap_session *s, struct qu_err *err)
{
	return imap_cmd_simple(s, "NOOP", err);
}
