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
