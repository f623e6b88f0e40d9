/*
 * Unit tests for the SASL helper (src/net/sasl.c): mechanism choice, exact
 * initial responses, and whole exchanges against a GNU SASL server session
 * in the same process.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <gsasl.h>

#include "util/util.h"
#include "net/net.h"

#define USER "user"
#define PASS "pencil-\xc3\xa9t\xc3\xa9" /* non-ASCII, so SASLprep runs */

/* ---- a GNU SASL server to talk to ------------------------------------ */

/* The server knows one account; it hands out the password (CRAM-MD5,
 * SCRAM) or checks it (PLAIN, LOGIN). */
static int
server_cb(Gsasl *ctx, Gsasl_session *sctx, Gsasl_property prop)
{
	const char *authid = gsasl_property_fast(sctx, GSASL_AUTHID);
	bool known = authid && strcmp(authid, USER) == 0;
	switch (prop) {
	case GSASL_PASSWORD:
		if (!known)
			return GSASL_NO_CALLBACK;
		return gsasl_property_set(sctx, GSASL_PASSWORD, PASS);
	case GSASL_VALIDATE_SIMPLE: {
		const char *pw = gsasl_property_fast(sctx, GSASL_PASSWORD);
		return known && pw && strcmp(pw, PASS) == 0 ? GSASL_OK
							   : GSASL_AUTHENTICATION_ERROR;
	}
	default:
		return GSASL_NO_CALLBACK;
	}
}

struct run {
	struct net_sasl *c;
	struct qu_err err;
	int client_rc; /* last net_sasl_step */
	int server_rc; /* last gsasl_step64 on the server */
	int client_steps;
};

/* Flips one character of the server signature in "v=..." (RFC 5802 §7). */
static char *
tamper_server_final(const char *b64)
{
	char *raw;
	size_t n;
	ck_assert_int_eq(qu_base64_decode(b64, strlen(b64), &raw, &n), 0);
	ck_assert_msg(n > 3 && raw[0] == 'v' && raw[1] == '=', "not a server-final: %s", raw);
	raw[2] = raw[2] == 'A' ? 'B' : 'A';
	char *out = qu_base64_encode(raw, n, NULL);
	free(raw);
	return out;
}

static void
client_step(struct run *r, const char *challenge, char **resp)
{
	r->client_rc = net_sasl_step(r->c, challenge, strlen(challenge), resp, &r->err);
	r->client_steps++;
}

/* Runs a whole exchange for mech with the client's password pw. The
 * server's last message (SCRAM's server-final, which comes with GSASL_OK)
 * goes to the client as a last challenge, as SMTP's 334 and IMAP's "+"
 * would carry it; tamper alters it first. */
static void
run_exchange(const char *mech, const char *pw, bool tamper, struct run *r)
{
	memset(r, 0, sizeof *r);
	struct net_sasl_creds creds = {.user = USER, .secret = pw, .host = "mail.example.com",
				       .port = 587};
	r->c = net_sasl_start(&creds, mech, true, "smtp", &r->err);
	ck_assert_msg(r->c != NULL, "%s: %s", mech, r->err.msg);
	ck_assert_str_eq(net_sasl_mech(r->c), mech);

	Gsasl *sctx;
	Gsasl_session *srv;
	ck_assert_int_eq(gsasl_init(&sctx), GSASL_OK);
	gsasl_callback_set(sctx, server_cb);
	ck_assert_int_eq(gsasl_server_start(sctx, mech, &srv), GSASL_OK);

	char *to_server = NULL;
	if (net_sasl_client_first(r->c)) {
		client_step(r, "", &to_server);
		ck_assert_msg(r->client_rc == 0, "%s: %s", mech, r->err.msg);
	}
	for (int round = 0; round < 8; round++) {
		char *to_client = NULL;
		r->server_rc = gsasl_step64(srv, to_server, &to_client);
		qu_free_secret(to_server);
		to_server = NULL;
		if (r->server_rc != GSASL_OK && r->server_rc != GSASL_NEEDS_MORE)
			break;
		if (r->server_rc == GSASL_OK && net_sasl_done(r->c)) {
			gsasl_free(to_client);
			break;
		}
		if (tamper && r->server_rc == GSASL_OK) {
			char *t = tamper_server_final(to_client);
			gsasl_free(to_client);
			to_client = t;
		}
		client_step(r, to_client, &to_server);
		gsasl_free(to_client);
		if (r->client_rc < 0 || r->server_rc == GSASL_OK)
			break;
	}
	qu_free_secret(to_server);
	gsasl_finish(srv);
	gsasl_done(sctx);
}

static const char *const gsasl_mechs[] = {"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN",
					  "LOGIN"};

/* Client responses each mechanism needs (RFC 5802 §5; RFC 2195; RFC 4616;
 * LOGIN sends user, then password). */
static const int gsasl_mech_steps[] = {3, 3, 1, 1, 2};

START_TEST(exchange_succeeds)
{
	struct run r;
	run_exchange(gsasl_mechs[_i], PASS, false, &r);
	ck_assert_msg(r.server_rc == GSASL_OK, "%s: server says %s", gsasl_mechs[_i],
		      gsasl_strerror(r.server_rc));
	ck_assert_msg(r.client_rc == 0, "%s: %s", gsasl_mechs[_i], r.err.msg);
	ck_assert(net_sasl_done(r.c));
	ck_assert_int_eq(r.client_steps, gsasl_mech_steps[_i]);
	net_sasl_free(r.c);
}
END_TEST

START_TEST(exchange_wrong_password)
{
	struct run r;
	run_exchange(gsasl_mechs[_i], "not-the-password", false, &r);
	ck_assert_msg(r.server_rc != GSASL_OK && r.server_rc != GSASL_NEEDS_MORE,
		      "%s: server accepted a wrong password", gsasl_mechs[_i]);
	net_sasl_free(r.c);
}
END_TEST

START_TEST(scram_tampered_signature)
{
	struct run r;
	run_exchange(gsasl_mechs[_i], PASS, true, &r);
	ck_assert_int_eq(r.server_rc, GSASL_OK);
	ck_assert_int_eq(r.client_rc, -1);
	ck_assert_int_eq(r.err.cls, QU_E_AUTH);
	ck_assert_msg(strstr(r.err.msg, gsasl_mechs[_i]) != NULL, "%s", r.err.msg);
	ck_assert_msg(strstr(r.err.msg, "does not verify") != NULL, "%s", r.err.msg);
	ck_assert(!net_sasl_done(r.c));
	/* Nothing more is accepted after a failure. */
	char *out = NULL;
	ck_assert_int_eq(net_sasl_step(r.c, "", 0, &out, &r.err), -1);
	ck_assert_ptr_null(out);
	net_sasl_free(r.c);
}
END_TEST

/* RFC 5802 §5.1: the server's nonce must start with the client's. */
START_TEST(scram_bad_server_first)
{
	struct net_sasl_creds creds = {.user = USER, .secret = PASS};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, "SCRAM-SHA-256", false, "imap", &err);
	ck_assert_ptr_nonnull(s);
	char *out;
	ck_assert_int_eq(net_sasl_step(s, "", 0, &out, &err), 0);
	qu_free_secret(out);
	static const char first[] = "r=other,s=QSXCR+Q6sek8bf92,i=4096";
	char *bad = qu_base64_encode(first, sizeof first - 1, NULL);
	ck_assert_int_eq(net_sasl_step(s, bad, strlen(bad), &out, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert(!net_sasl_done(s));
	free(bad);
	net_sasl_free(s);
}
END_TEST

/* A server asking for more PBKDF2 iterations than quail does is refused
 * before any are computed: no read timeout would cover that work. */
START_TEST(scram_too_many_iterations)
{
	struct net_sasl_creds creds = {.user = USER, .secret = PASS};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, "SCRAM-SHA-256", false, "imap", &err);
	ck_assert_ptr_nonnull(s);
	char *out;
	ck_assert_int_eq(net_sasl_step(s, "", 0, &out, &err), 0);
	/* The server's nonce must extend the client's: take it from client-first. */
	char *cf;
	size_t cfn;
	ck_assert_int_eq(qu_base64_decode(out, strlen(out), &cf, &cfn), 0);
	qu_free_secret(out);
	const char *r = strstr(cf, ",r=");
	ck_assert_ptr_nonnull(r);
	char *first = xasprintf("r=%.*sSERVER,s=QSXCR+Q6sek8bf92,i=4000000000",
				(int)(cfn - (size_t)(r + 3 - cf)), r + 3);
	char *b = qu_base64_encode(first, strlen(first), NULL);
	int64_t t0 = qu_now_ms();
	ck_assert_int_eq(net_sasl_step(s, b, strlen(b), &out, &err), -1);
	ck_assert_int_lt(qu_now_ms() - t0, 1000);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert_msg(strstr(err.msg, "4000000000 iterations") != NULL, "%s", err.msg);
	free(b);
	free(first);
	free(cf);
	net_sasl_free(s);
}
END_TEST

/* ---- the exchange over a protocol ------------------------------------ */

/* A protocol whose server is a GNU SASL session in this process, or, for
 * the OAuth mechanisms GNU SASL lacks, a list of replies. */
struct wire {
	Gsasl *ctx;
	Gsasl_session *srv;
	const char *const *replies; /* "+base64", "OK" or "NO"; NULL: srv answers */
	size_t nreply;
	bool skip_final;            /* report success without SCRAM's server-final */
	bool tamper;                /* alter SCRAM's server-final */
	bool outcome_next;          /* the server-final went out; the outcome is next */
	char *to_server;            /* the client's last message; NULL: none */
	char *to_client;            /* the challenge handed out last */
	char *ir;                   /* the initial response begin got */
	char *mech;
	int begins, responses, cancels;
};

static int
wire_begin(void *ctx, const char *mech, const char *ir, struct qu_err *err)
{
	(void)err;
	struct wire *w = ctx;
	w->begins++;
	w->mech = xstrdup(mech);
	if (ir) {
		w->ir = xstrdup(ir);
		w->to_server = xstrdup(ir);
	}
	return 0;
}

static int
wire_next(void *ctx, const char **chal, size_t *chal_len, struct qu_err *err)
{
	struct wire *w = ctx;
	free(w->to_client);
	w->to_client = NULL;
	if (w->replies) {
		const char *r = w->replies[w->nreply++];
		ck_assert_ptr_nonnull(r);
		if (r[0] == '+') {
			*chal = r + 1;
			*chal_len = strlen(r + 1);
			return 1;
		}
		return strcmp(r, "OK") == 0 ? 0 : qu_err_set(err, QU_E_AUTH, "server said %s", r);
	}
	if (w->outcome_next) {
		/* RFC 4954 §4, RFC 3501 §6.2.2: the server-final is answered
		 * with an empty line. */
		ck_assert_str_eq(w->to_server, "");
		return 0;
	}
	char *out = NULL;
	int rc = gsasl_step64(w->srv, w->to_server, &out);
	qu_free_secret(w->to_server);
	w->to_server = NULL;
	w->to_client = xstrdup(out ? out : "");
	gsasl_free(out);
	if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE)
		return qu_err_set(err, QU_E_AUTH, "server said %s", gsasl_strerror(rc));
	if (rc == GSASL_OK && (!*w->to_client || w->skip_final))
		return 0;
	if (rc == GSASL_OK) {
		w->outcome_next = true;
		if (w->tamper) {
			char *t = tamper_server_final(w->to_client);
			free(w->to_client);
			w->to_client = t;
		}
	}
	*chal = w->to_client;
	*chal_len = strlen(w->to_client);
	return 1;
}

static int
wire_respond(void *ctx, const char *resp, struct qu_err *err)
{
	(void)err;
	struct wire *w = ctx;
	w->responses++;
	qu_free_secret(w->to_server);
	w->to_server = xstrdup(resp);
	return 0;
}

static void
wire_cancel(void *ctx)
{
	struct wire *w = ctx;
	w->cancels++;
}

static void
wire_init(struct wire *w, const char *mech)
{
	memset(w, 0, sizeof *w);
	ck_assert_int_eq(gsasl_init(&w->ctx), GSASL_OK);
	gsasl_callback_set(w->ctx, server_cb);
	ck_assert_int_eq(gsasl_server_start(w->ctx, mech, &w->srv), GSASL_OK);
}

static void
wire_clear(struct wire *w)
{
	if (w->srv)
		gsasl_finish(w->srv);
	if (w->ctx)
		gsasl_done(w->ctx);
	qu_free_secret(w->to_server);
	free(w->to_client);
	qu_free_secret(w->ir);
	free(w->mech);
}

/* Runs net_sasl_exchange for mech over w; the exchange's result. */
static int
wire_run(struct wire *w, const char *mech, bool oauth2, bool initial_response,
	 struct qu_err *err)
{
	struct net_sasl_creds creds = {.user = USER, .secret = PASS, .oauth2 = oauth2,
				       .host = "mail.example.com", .port = 587};
	struct net_sasl *s = net_sasl_start(&creds, mech, true, "smtp", err);
	ck_assert_msg(s != NULL, "%s: %s", mech, err->msg);
	const struct net_sasl_proto p = {
		.begin = wire_begin,
		.next = wire_next,
		.respond = wire_respond,
		.cancel = wire_cancel,
		.initial_response = initial_response,
	};
	int rc = net_sasl_exchange(s, &p, w, err);
	ck_assert_int_eq(w->begins, 1);
	ck_assert_str_eq(w->mech, mech);
	net_sasl_free(s);
	return rc;
}

/* Every mechanism with and without an initial response on the command;
 * without one, a client-first mechanism answers the server's empty
 * challenge (RFC 4422 §5). */
START_TEST(proto_exchange_succeeds)
{
	const char *mech = gsasl_mechs[_i / 2];
	bool ir = _i % 2;
	struct wire w;
	struct qu_err err = {0};
	wire_init(&w, mech);
	ck_assert_msg(wire_run(&w, mech, false, ir, &err) == 0, "%s: %s", mech, err.msg);
	bool client_first = strcmp(mech, "CRAM-MD5") != 0 && strcmp(mech, "LOGIN") != 0;
	ck_assert(!w.ir == !(ir && client_first));
	ck_assert_int_eq(w.cancels, 0);
	ck_assert_int_eq(w.responses, gsasl_mech_steps[_i / 2] - (w.ir ? 1 : 0));
	wire_clear(&w);
}
END_TEST

/* A server that knows no password refuses; the refusal is the outcome. */
START_TEST(proto_server_refuses)
{
	struct wire w;
	struct qu_err err = {0};
	wire_init(&w, "CRAM-MD5");
	gsasl_callback_set(w.ctx, NULL);
	ck_assert_int_eq(wire_run(&w, "CRAM-MD5", false, true, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "server said"));
	ck_assert_int_eq(w.cancels, 0);
	wire_clear(&w);
}
END_TEST

/* RFC 5802 §9: a server that reports success without the server
 * signature has not proved that it knows the password. */
START_TEST(proto_scram_no_server_final)
{
	struct wire w;
	struct qu_err err = {0};
	wire_init(&w, gsasl_mechs[_i]);
	w.skip_final = true;
	ck_assert_int_eq(wire_run(&w, gsasl_mechs[_i], false, true, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert_msg(strstr(err.msg, gsasl_mechs[_i]) && strstr(err.msg, "without proving"), "%s",
		      err.msg);
	ck_assert_int_eq(w.cancels, 0);
	wire_clear(&w);
}
END_TEST

START_TEST(proto_scram_bad_server_final)
{
	struct wire w;
	struct qu_err err = {0};
	wire_init(&w, gsasl_mechs[_i]);
	w.tamper = true;
	ck_assert_int_eq(wire_run(&w, gsasl_mechs[_i], false, false, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert_msg(strstr(err.msg, "does not verify"), "%s", err.msg);
	/* The step failed: the exchange is cancelled, nothing answers the
	 * bad signature. */
	ck_assert_int_eq(w.cancels, 1);
	ck_assert_int_eq(w.responses, 2);
	wire_clear(&w);
}
END_TEST

/* RFC 7628 §3.2.2: the server's JSON error is answered, then the server's
 * failure is the outcome. */
START_TEST(proto_oauth_error)
{
	static const char *const names[] = {"OAUTHBEARER", "XOAUTH2"};
	static const char *const replies[] = {
		"+eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=", /* {"status":"invalid_token"} */
		"NO", NULL,
	};
	struct wire w = {.replies = replies};
	struct qu_err err = {0};
	ck_assert_int_eq(wire_run(&w, names[_i], true, true, &err), -1);
	ck_assert_str_eq(err.msg, "server said NO");
	ck_assert_ptr_nonnull(w.ir);
	ck_assert_int_eq(w.responses, 1);
	ck_assert_str_eq(w.to_server, _i == 0 ? "AQ==" : "");
	ck_assert_int_eq(w.cancels, 0);
	wire_clear(&w);
}
END_TEST

START_TEST(proto_oauth_without_ir)
{
	static const char *const replies[] = {"+", "OK", NULL};
	struct wire w = {.replies = replies};
	struct qu_err err = {0};
	ck_assert_msg(wire_run(&w, "XOAUTH2", true, false, &err) == 0, "%s", err.msg);
	ck_assert_ptr_null(w.ir);
	ck_assert_int_eq(w.responses, 1);
	char *raw;
	size_t n;
	ck_assert_int_eq(qu_base64_decode(w.to_server, strlen(w.to_server), &raw, &n), 0);
	ck_assert_ptr_nonnull(strstr(raw, "auth=Bearer " PASS));
	free(raw);
	wire_clear(&w);
}
END_TEST

/* ---- exact initial responses ----------------------------------------- */

static char *
first_response(struct net_sasl *s)
{
	char *out = NULL;
	struct qu_err err = {0};
	ck_assert(net_sasl_client_first(s));
	ck_assert_msg(net_sasl_step(s, "", 0, &out, &err) == 0, "%s", err.msg);
	ck_assert(net_sasl_done(s));
	return out;
}

static void
assert_decodes_to(const char *b64, const char *want, size_t want_len)
{
	char *raw;
	size_t n;
	ck_assert_int_eq(qu_base64_decode(b64, strlen(b64), &raw, &n), 0);
	ck_assert_uint_eq(n, want_len);
	ck_assert(memcmp(raw, want, n) == 0);
	free(raw);
}

START_TEST(plain_bytes)
{
	struct net_sasl_creds creds = {.user = "user", .secret = "pass"};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, "PLAIN", true, "smtp", &err);
	ck_assert_ptr_nonnull(s);
	char *out = first_response(s);
	/* RFC 4616 §2: [authzid] NUL authcid NUL passwd. */
	ck_assert_str_eq(out, "AHVzZXIAcGFzcw==");
	assert_decodes_to(out, "\0user\0pass", 10);
	qu_free_secret(out);
	net_sasl_free(s);
}
END_TEST

START_TEST(xoauth2_bytes)
{
	struct net_sasl_creds creds = {.user = "someone@example.com", .secret = "ya29.A0tok-en_x",
				       .oauth2 = true, .host = "imap.gmail.com", .port = 993};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, "XOAUTH2 PLAIN", true, "imap", &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(net_sasl_mech(s), "XOAUTH2");
	char *out = first_response(s);
	ck_assert_str_eq(out, "dXNlcj1zb21lb25lQGV4YW1wbGUuY29tAWF1dGg9QmVhcmVyIHlhMjkuQTB0b2stZW5f"
			      "eAEB");
	static const char want[] = "user=someone@example.com\x01"
				   "auth=Bearer ya29.A0tok-en_x\x01\x01";
	assert_decodes_to(out, want, sizeof want - 1);
	qu_free_secret(out);
	net_sasl_free(s);
}
END_TEST

START_TEST(oauthbearer_bytes)
{
	/* ',' and '=' in the user are escaped in the GS2 header (RFC 5801 §4). */
	struct net_sasl_creds creds = {.user = "a,b=c@example.com", .secret = "ya29.A0tok-en_x",
				       .oauth2 = true, .host = "mail.example.com", .port = 587};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, "OAUTHBEARER XOAUTH2", true, "smtp", &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(net_sasl_mech(s), "OAUTHBEARER");
	char *out = first_response(s);
	ck_assert_str_eq(out, "bixhPWE9MkNiPTNEY0BleGFtcGxlLmNvbSwBaG9zdD1tYWlsLmV4YW1wbGUuY29tAXBv"
			      "cnQ9NTg3AWF1dGg9QmVhcmVyIHlhMjkuQTB0b2stZW5feAEB");
	static const char want[] = "n,a=a=2Cb=3Dc@example.com,\x01"
				   "host=mail.example.com\x01"
				   "port=587\x01"
				   "auth=Bearer ya29.A0tok-en_x\x01\x01";
	assert_decodes_to(out, want, sizeof want - 1);
	qu_free_secret(out);
	net_sasl_free(s);
}
END_TEST

/* A server that does not take an initial response sends an empty
 * challenge first (SMTP "334 ", IMAP "+ "). */
START_TEST(oauth_after_empty_challenge)
{
	struct net_sasl_creds creds = {.user = "u", .secret = "t", .oauth2 = true};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, "XOAUTH2", true, "pop", &err);
	ck_assert_ptr_nonnull(s);
	char *out;
	ck_assert_int_eq(net_sasl_step(s, "", 0, &out, &err), 0);
	assert_decodes_to(out, "user=u\x01" "auth=Bearer t\x01\x01", 22);
	qu_free_secret(out);
	net_sasl_free(s);
}
END_TEST

/* RFC 7628 §3.2.2/§3.2.3: the server's JSON error is answered with the
 * dummy "\x01" (OAUTHBEARER) or nothing (XOAUTH2), and the exchange is
 * not done. */
START_TEST(oauth_error_challenge)
{
	static const char *const names[] = {"OAUTHBEARER", "XOAUTH2"};
	static const char *const dummy[] = {"AQ==", ""};
	struct net_sasl_creds creds = {.user = "u@example.com", .secret = "expired",
				       .oauth2 = true, .host = "h", .port = 465};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, names[_i], true, "smtp", &err);
	ck_assert_ptr_nonnull(s);
	char *out = first_response(s);
	qu_free_secret(out);
	static const char json[] = "{\"status\":\"invalid_token\",\"scope\":\"example_scope\"}";
	char *ch = qu_base64_encode(json, sizeof json - 1, NULL);
	ck_assert_int_eq(net_sasl_step(s, ch, strlen(ch), &out, &err), 0);
	ck_assert_str_eq(out, dummy[_i]);
	ck_assert(!net_sasl_done(s));
	qu_free_secret(out);
	/* The server's answer to that is a failure, not another challenge. */
	ck_assert_int_eq(net_sasl_step(s, ch, strlen(ch), &out, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert(!net_sasl_done(s));
	free(ch);
	net_sasl_free(s);
}
END_TEST

START_TEST(oauth_control_character)
{
	struct net_sasl_creds creds = {.user = "u", .secret = "tok\x01" "auth=x", .oauth2 = true};
	struct qu_err err = {0};
	ck_assert_ptr_null(net_sasl_start(&creds, "XOAUTH2", true, "smtp", &err));
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert_ptr_null(strstr(err.msg, "auth=x"));
}
END_TEST

/* ---- mechanism choice ------------------------------------------------ */

struct choice {
	const char *server;
	bool oauth2;
	bool allow_plain;
	const char *want; /* NULL: QU_E_AUTH */
	bool client_first;
};

static const struct choice choices[] = {
	{"PLAIN LOGIN", false, true, "PLAIN", true},
	{"login plain cram-md5", false, true, "CRAM-MD5", false},
	{"SCRAM-SHA-1 SCRAM-SHA-256 PLAIN", false, true, "SCRAM-SHA-256", true},
	{"  GSSAPI   scram-sha-1  X-UNKNOWN ", false, true, "SCRAM-SHA-1", true},
	{"scram-sha-256\tplain", false, true, "SCRAM-SHA-256", true},
	{"LOGIN", false, true, "LOGIN", false},
	{"PLAIN LOGIN CRAM-MD5", false, false, "CRAM-MD5", false},
	{"SCRAM-SHA-256 PLAIN", false, false, "SCRAM-SHA-256", true},
	{"PLAIN", false, false, NULL, false},
	{"PLAIN LOGIN", false, false, NULL, false},
	{"GSSAPI", false, true, NULL, false},
	{"", false, true, NULL, false},
	{"SCRAM-SHA-256-PLUS SCRAM-SHA-1-PLUS", false, true, NULL, false},
	{"XOAUTH2 OAUTHBEARER", false, true, NULL, false},
	{"XOAUTH2 PLAIN", true, true, "XOAUTH2", true},
	{"OAUTHBEARER XOAUTH2", true, true, "OAUTHBEARER", true},
	{"xoauth2 oauthbearer", true, true, "OAUTHBEARER", true},
	{"PLAIN", true, true, NULL, false},
	{"SCRAM-SHA-256 CRAM-MD5", true, true, NULL, false},
	{"XOAUTH2 OAUTHBEARER", true, false, NULL, false},
};

START_TEST(mech_choice)
{
	const struct choice *c = &choices[_i];
	struct net_sasl_creds creds = {.user = "u", .secret = "p", .oauth2 = c->oauth2,
				       .host = "h", .port = 25};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, c->server, c->allow_plain, "smtp", &err);
	if (!c->want) {
		ck_assert_msg(s == NULL, "\"%s\" chose %s", c->server, s ? net_sasl_mech(s) : "");
		ck_assert_int_eq(err.cls, QU_E_AUTH);
		ck_assert_msg(strstr(err.msg, "no shared authentication mechanism") != NULL, "%s",
			      err.msg);
		return;
	}
	ck_assert_msg(s != NULL, "\"%s\": %s", c->server, err.msg);
	ck_assert_str_eq(net_sasl_mech(s), c->want);
	ck_assert(net_sasl_client_first(s) == c->client_first);
	ck_assert(!net_sasl_done(s));
	net_sasl_free(s);
}
END_TEST

START_TEST(no_shared_message)
{
	struct net_sasl_creds creds = {.user = "u", .secret = "p"};
	struct qu_err err = {0};
	ck_assert_ptr_null(net_sasl_start(&creds, " GSSAPI  NTLM ", true, "smtp", &err));
	ck_assert_str_eq(err.msg, "no shared authentication mechanism: server offers GSSAPI NTLM, "
				  "quail supports SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN");
	ck_assert_ptr_null(net_sasl_start(&creds, "PLAIN LOGIN", false, "smtp", &err));
	ck_assert_str_eq(err.msg, "no shared authentication mechanism: server offers PLAIN LOGIN, "
				  "quail supports SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 without TLS");
	ck_assert_ptr_null(net_sasl_start(&creds, "", true, "smtp", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "server offers nothing"));
	creds.oauth2 = true;
	ck_assert_ptr_null(net_sasl_start(&creds, "PLAIN", false, "smtp", &err));
	ck_assert_str_eq(err.msg, "no shared authentication mechanism: server offers PLAIN, "
				  "quail supports none for OAuth 2 without TLS");
	/* Server text reaches a terminal: control bytes are escaped. */
	creds.oauth2 = false;
	ck_assert_ptr_null(net_sasl_start(&creds, "X-\x1b[31m", true, "smtp", &err));
	ck_assert_ptr_null(strchr(err.msg, '\x1b'));
}
END_TEST

/* ---- misuse and bad server data -------------------------------------- */

START_TEST(bad_base64_challenge)
{
	struct net_sasl_creds creds = {.user = "u", .secret = "p"};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, "CRAM-MD5", false, "imap", &err);
	ck_assert_ptr_nonnull(s);
	char *out = NULL;
	ck_assert_int_eq(net_sasl_step(s, "not base64!", 11, &out, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert_ptr_null(out);
	net_sasl_free(s);
}
END_TEST

START_TEST(step_after_done)
{
	struct net_sasl_creds creds = {.user = "u", .secret = "p"};
	struct qu_err err = {0};
	struct net_sasl *s = net_sasl_start(&creds, "PLAIN", true, "imap", &err);
	char *out = first_response(s);
	qu_free_secret(out);
	ck_assert_int_eq(net_sasl_step(s, "", 0, &out, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	net_sasl_free(s);
}
END_TEST

START_TEST(missing_secret)
{
	struct net_sasl_creds creds = {.user = "u"};
	struct qu_err err = {0};
	ck_assert_ptr_null(net_sasl_start(&creds, "PLAIN", true, "imap", &err));
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	net_sasl_free(NULL);
}
END_TEST

static Suite *
sasl_suite(void)
{
	Suite *s = suite_create("net_sasl");
	TCase *tc = tcase_create("exchange");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, exchange_succeeds, 0, (int)QU_ARRAY_LEN(gsasl_mechs));
	tcase_add_loop_test(tc, exchange_wrong_password, 0, (int)QU_ARRAY_LEN(gsasl_mechs));
	tcase_add_loop_test(tc, scram_tampered_signature, 0, 2);
	tcase_add_test(tc, scram_bad_server_first);
	tcase_add_test(tc, scram_too_many_iterations);
	suite_add_tcase(s, tc);

	tc = tcase_create("proto");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, proto_exchange_succeeds, 0, 2 * (int)QU_ARRAY_LEN(gsasl_mechs));
	tcase_add_test(tc, proto_server_refuses);
	tcase_add_loop_test(tc, proto_scram_no_server_final, 0, 2);
	tcase_add_loop_test(tc, proto_scram_bad_server_final, 0, 2);
	tcase_add_loop_test(tc, proto_oauth_error, 0, 2);
	tcase_add_test(tc, proto_oauth_without_ir);
	suite_add_tcase(s, tc);

	tc = tcase_create("initial_response");
	tcase_add_test(tc, plain_bytes);
	tcase_add_test(tc, xoauth2_bytes);
	tcase_add_test(tc, oauthbearer_bytes);
	tcase_add_test(tc, oauth_after_empty_challenge);
	tcase_add_loop_test(tc, oauth_error_challenge, 0, 2);
	tcase_add_test(tc, oauth_control_character);
	suite_add_tcase(s, tc);

	tc = tcase_create("choice");
	tcase_add_loop_test(tc, mech_choice, 0, (int)QU_ARRAY_LEN(choices));
	tcase_add_test(tc, no_shared_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, bad_base64_challenge);
	tcase_add_test(tc, step_after_done);
	tcase_add_test(tc, missing_secret);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sasl_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
