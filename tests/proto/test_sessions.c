/* SMTP, POP3 and IMAP session opening and login against scripted peers:
 * every reply class, TLS requirements, and what must never be sent. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "smtp/smtp.h"
#include "pop3/pop3.h"
#include "imap/imap.h"
#include "peer.h"

/* base64("\0alice\0secret") */
#define PLAIN_IR "AGFsaWNlAHNlY3JldA=="

static const struct net_sasl_creds alice = {.user = "alice", .secret = "secret", .host = "127.0.0.1"};

static struct smtp_session *
smtp_open(struct peer *p, enum net_tls_mode tls, int timeout_ms, struct qu_err *err)
{
	struct smtp_opts o = {.host = "127.0.0.1", .port = p->port, .tls = tls,
			      .helo_name = "client.test", .net = {.timeout_ms = timeout_ms}};
	return smtp_session_open(&o, err);
}

START_TEST(test_smtp_ehlo_auth_plain)
{
	static const char *const script[] = {
		"S:220-mx.test ESMTP", "S:220 more greeting", "C:EHLO client.test",
		"S:250-mx.test hello", "S:250-PIPELINING", "S:250-AUTH LOGIN PLAIN", "S:250 8BITMIME",
		"C:AUTH PLAIN " PLAIN_IR, "S:235 2.7.0 Authentication successful", "C:QUIT",
		"S:221 2.0.0 bye", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = smtp_open(&p, NET_TLS_NONE, 5000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_str_eq(smtp_session_greeting(s), "mx.test ESMTP\nmore greeting");
	ck_assert(smtp_session_has_ext(s, "pipelining", NULL));
	ck_assert(!smtp_session_has_ext(s, "STARTTLS", NULL));
	const char *mech;
	ck_assert_int_eq(smtp_session_auth(s, &alice, true, &mech, &err), 0);
	ck_assert_str_eq(mech, "PLAIN");
	ck_assert_int_eq(smtp_session_state(s), SMTP_STATE_AUTHED);
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_smtp_auth_login)
{
	static const char *const script[] = {
		"S:220 mx", "C:EHLO client.test", "S:250-mx", "S:250 AUTH LOGIN",
		"C:AUTH LOGIN", "S:334 VXNlcm5hbWU6", "C:YWxpY2U=", "S:334 UGFzc3dvcmQ6",
		"C:c2VjcmV0", "S:235 ok", "C:QUIT", "S:221 bye", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = smtp_open(&p, NET_TLS_NONE, 5000, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(smtp_session_auth(s, &alice, true, NULL, &err), 0);
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_smtp_helo_fallback)
{
	static const char *const script[] = {
		"S:220 old", "C:EHLO client.test", "S:502 5.5.1 what?", "C:HELO client.test",
		"S:250 old host", "C:QUIT", "S:221 bye", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = smtp_open(&p, NET_TLS_NONE, 5000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert(!smtp_session_has_ext(s, "AUTH", NULL));
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_smtp_starttls_required)
{
	/* smtp:// without STARTTLS on offer: fail, and send nothing more. */
	static const char *const script[] = {
		"S:220 mx", "C:EHLO client.test", "S:250-mx", "S:250 AUTH PLAIN", "NOMORE", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = smtp_open(&p, NET_TLS_STARTTLS, 5000, &err);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "STARTTLS"));
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_smtp_greeting_codes)
{
	static const char *const s421[] = {"S:421 4.3.2 busy, come back later", "NOMORE", NULL};
	static const char *const s554[] = {"S:554 5.7.1 go away", "NOMORE", NULL};
	struct peer p;
	struct qu_err err;
	peer_start(&p, s421);
	ck_assert_ptr_null(smtp_open(&p, NET_TLS_NONE, 5000, &err));
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "421 4.3.2 busy"));
	ck_assert_int_eq(peer_finish(&p), 0);
	peer_start(&p, s554);
	ck_assert_ptr_null(smtp_open(&p, NET_TLS_NONE, 5000, &err));
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_smtp_auth_refused)
{
	static const char *const script[] = {
		"S:220 mx", "C:EHLO client.test", "S:250-mx", "S:250 AUTH PLAIN",
		"C:AUTH PLAIN " PLAIN_IR, "S:535 5.7.8 Authentication credentials invalid",
		"C:QUIT", "S:221 bye", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = smtp_open(&p, NET_TLS_NONE, 5000, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(smtp_session_auth(s, &alice, true, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert_ptr_nonnull(strstr(err.msg, "535 5.7.8"));
	ck_assert(qu_err_code_is(&err, QU_R_AUTH, "5.7.8"));
	ck_assert_ptr_null(strstr(err.msg, "secret"));
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_smtp_no_plain_without_tls)
{
	/* Only password-revealing mechanisms and no TLS: refuse to send them. */
	static const char *const script[] = {
		"S:220 mx", "C:EHLO client.test", "S:250-mx", "S:250 AUTH PLAIN LOGIN", "C:QUIT",
		"S:221 bye", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = smtp_open(&p, NET_TLS_NONE, 5000, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(smtp_session_auth(s, &alice, false, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_smtp_dropped_and_silent)
{
	static const char *const drop[] = {"R:220-partial\r\n", "CLOSE", NULL};
	static const char *const silent[] = {"S:220 mx", "C:EHLO client.test", "SLEEP:2500", NULL};
	struct peer p;
	struct qu_err err;
	peer_start(&p, drop);
	ck_assert_ptr_null(smtp_open(&p, NET_TLS_NONE, 5000, &err));
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "connection closed"));
	peer_finish(&p);
	peer_start(&p, silent);
	ck_assert_ptr_null(smtp_open(&p, NET_TLS_NONE, 700, &err));
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "timed out"));
	peer_finish(&p);
}
END_TEST

START_TEST(test_smtp_malformed_reply)
{
	static const char *const script[] = {"S:hello there", "NOMORE", NULL};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	ck_assert_ptr_null(smtp_open(&p, NET_TLS_NONE, 5000, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "malformed"));
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

static struct pop3_session *
pop3_open(struct peer *p, enum net_tls_mode tls, struct qu_err *err)
{
	struct pop3_opts o = {.host = "127.0.0.1", .port = p->port, .tls = tls,
			      .net = {.timeout_ms = 5000}};
	return pop3_session_open(&o, err);
}

START_TEST(test_pop3_user_pass)
{
	static const char *const script[] = {
		"S:+OK ready", "C:CAPA", "S:+OK list follows", "S:TOP", "S:USER", "S:UIDL", "S:.",
		"C:USER alice", "S:+OK", "C:PASS secret", "S:+OK logged in", "C:QUIT", "S:+OK bye",
		NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct pop3_session *s = pop3_open(&p, NET_TLS_NONE, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert(pop3_session_has_cap(s, "UIDL", NULL));
	const char *mech;
	ck_assert_int_eq(pop3_session_auth(s, &alice, true, &mech, &err), 0);
	ck_assert_str_eq(mech, "USER");
	ck_assert_int_eq(pop3_session_state(s), POP3_STATE_TRANSACTION);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_pop3_sasl_plain)
{
	static const char *const script[] = {
		"S:+OK ready", "C:CAPA", "S:+OK", "S:SASL PLAIN LOGIN", "S:.",
		"C:AUTH PLAIN " PLAIN_IR, "S:+OK welcome", "C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct pop3_session *s = pop3_open(&p, NET_TLS_NONE, &err);
	ck_assert_ptr_nonnull(s);
	const char *mech;
	ck_assert_int_eq(pop3_session_auth(s, &alice, true, &mech, &err), 0);
	ck_assert_str_eq(mech, "PLAIN");
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_pop3_stls_required)
{
	static const char *const script[] = {
		"S:+OK ready", "C:CAPA", "S:+OK", "S:USER", "S:.", "NOMORE", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	ck_assert_ptr_null(pop3_open(&p, NET_TLS_STARTTLS, &err));
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "STLS"));
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_pop3_in_use_and_refused)
{
	static const char *const inuse[] = {
		"S:+OK ready", "C:CAPA", "S:-ERR no CAPA here", "C:USER alice", "S:+OK",
		"C:PASS secret", "S:-ERR [IN-USE] mailbox locked", "C:QUIT", "S:+OK", NULL,
	};
	static const char *const refused[] = {
		"S:+OK ready", "C:CAPA", "S:-ERR", "C:USER alice", "S:+OK", "C:PASS secret",
		"S:-ERR [AUTH] invalid password", "C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, inuse);
	struct pop3_session *s = pop3_open(&p, NET_TLS_NONE, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(pop3_session_auth(s, &alice, true, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert(qu_err_code_is(&err, QU_R_REFUSED, "IN-USE"));
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	peer_start(&p, refused);
	s = pop3_open(&p, NET_TLS_NONE, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(pop3_session_auth(s, &alice, true, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert(qu_err_code_is(&err, QU_R_AUTH, "AUTH"));
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_pop3_bad_greeting)
{
	static const char *const script[] = {"S:-ERR too many connections", "NOMORE", NULL};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	ck_assert_ptr_null(pop3_open(&p, NET_TLS_NONE, &err));
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* base64("v=AAAA"): a SCRAM server-final whose signature cannot verify. */
#define BAD_SERVER_FINAL "dj1BQUFB"

/* SCRAM authenticates the server too (RFC 5802 §9): success without the
 * server signature, or with a wrong one, is not a login. */
static void
assert_scram_refused(int rc, const struct qu_err *err, const char *why)
{
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err->cls, QU_E_AUTH);
	ck_assert_msg(strstr(err->msg, "SCRAM-SHA-256") && strstr(err->msg, why), "%s", err->msg);
}

static const char *const smtp_scram_no_final[] = {
	"S:220 mx", "C:EHLO client.test", "S:250-mx", "S:250 AUTH SCRAM-SHA-256", "SCRAM:334 ",
	"C*", "S:235 2.7.0 ok", "C:QUIT", "S:221 bye", NULL,
};
static const char *const smtp_scram_bad_final[] = {
	"S:220 mx", "C:EHLO client.test", "S:250-mx", "S:250 AUTH SCRAM-SHA-256", "SCRAM:334 ",
	"C*", "S:334 " BAD_SERVER_FINAL, "C:*", "S:501 5.7.0 cancelled", "C:QUIT", "S:221 bye",
	NULL,
};
static const char *const *const smtp_scram[] = {smtp_scram_no_final, smtp_scram_bad_final};
static const char *const scram_why[] = {"without proving", "does not verify"};

START_TEST(test_smtp_scram_unproven_server)
{
	struct peer p;
	peer_start(&p, smtp_scram[_i]);
	struct qu_err err;
	struct smtp_session *s = smtp_open(&p, NET_TLS_NONE, 5000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	assert_scram_refused(smtp_session_auth(s, &alice, true, NULL, &err), &err, scram_why[_i]);
	ck_assert_int_eq(smtp_session_state(s), SMTP_STATE_READY);
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

static const char *const pop3_scram_no_final[] = {
	"S:+OK ready", "C:CAPA", "S:+OK", "S:SASL SCRAM-SHA-256", "S:.", "SCRAM:+ ", "C*",
	"S:+OK welcome", "C:QUIT", "S:+OK", NULL,
};
static const char *const pop3_scram_bad_final[] = {
	"S:+OK ready", "C:CAPA", "S:+OK", "S:SASL SCRAM-SHA-256", "S:.", "SCRAM:+ ", "C*",
	"S:+ " BAD_SERVER_FINAL, "C:*", "S:-ERR cancelled", "C:QUIT", "S:+OK", NULL,
};
static const char *const *const pop3_scram[] = {pop3_scram_no_final, pop3_scram_bad_final};

START_TEST(test_pop3_scram_unproven_server)
{
	struct peer p;
	peer_start(&p, pop3_scram[_i]);
	struct qu_err err;
	struct pop3_session *s = pop3_open(&p, NET_TLS_NONE, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	assert_scram_refused(pop3_session_auth(s, &alice, true, NULL, &err), &err, scram_why[_i]);
	ck_assert_int_eq(pop3_session_state(s), POP3_STATE_AUTHORIZATION);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

static struct imap_session *
imap_open(struct peer *p, enum net_tls_mode tls, struct qu_err *err)
{
	struct imap_opts o = {.host = "127.0.0.1", .port = p->port, .tls = tls,
			      .net = {.timeout_ms = 5000}};
	return imap_session_open(&o, err);
}

START_TEST(test_imap_login_quoted)
{
	static const char *const script[] = {
		"S:* OK [CAPABILITY IMAP4rev1 AUTH=GSSAPI] ready",
		"C:Q1 LOGIN \"alice\" \"p\\\"a\\\\ss\"", "S:Q1 OK [CAPABILITY IMAP4rev1 IDLE] in",
		"C:Q2 LOGOUT", "S:* BYE", "S:Q2 OK", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct imap_session *s = imap_open(&p, NET_TLS_NONE, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct net_sasl_creds c = alice;
	c.secret = "p\"a\\ss";
	const char *mech;
	ck_assert_msg(imap_session_auth(s, &c, true, &mech, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(mech, "LOGIN");
	ck_assert(imap_session_has_cap(s, "IDLE"));
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_imap_login_literal_plus)
{
	static const char *const script[] = {
		"S:* OK [CAPABILITY IMAP4rev1 LITERAL+] ready", "C:Q1 LOGIN \"alice\" {7+}",
		"C:p\xc3\xa4sswd", "S:Q1 OK in", "C:Q2 LOGOUT", "S:Q2 OK", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct imap_session *s = imap_open(&p, NET_TLS_NONE, &err);
	ck_assert_ptr_nonnull(s);
	struct net_sasl_creds c = alice;
	c.secret = "p\xc3\xa4sswd";
	ck_assert_msg(imap_session_auth(s, &c, true, NULL, &err) == 0, "%s", err.msg);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_imap_authenticate)
{
	static const char *const ir[] = {
		"S:* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready",
		"C:Q1 AUTHENTICATE PLAIN " PLAIN_IR, "S:Q1 OK done", "C:Q2 LOGOUT", "S:Q2 OK", NULL,
	};
	static const char *const no_ir[] = {
		"S:* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready", "C:Q1 AUTHENTICATE PLAIN", "S:+ ",
		"C:" PLAIN_IR, "S:Q1 NO [AUTHENTICATIONFAILED] nope", "C:Q2 LOGOUT", "S:Q2 OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, ir);
	struct imap_session *s = imap_open(&p, NET_TLS_NONE, &err);
	ck_assert_ptr_nonnull(s);
	const char *mech;
	ck_assert_msg(imap_session_auth(s, &alice, true, &mech, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(mech, "PLAIN");
	ck_assert_int_eq(imap_session_state(s), IMAP_STATE_AUTHENTICATED);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	peer_start(&p, no_ir);
	s = imap_open(&p, NET_TLS_NONE, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(imap_session_auth(s, &alice, true, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_AUTH);
	ck_assert_ptr_nonnull(strstr(err.msg, "AUTHENTICATIONFAILED"));
	ck_assert(qu_err_code_is(&err, QU_R_AUTH, "AUTHENTICATIONFAILED"));
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* Without SASL-IR the server opens with an empty challenge. */
static const char *const imap_scram_no_final[] = {
	"S:* OK [CAPABILITY IMAP4rev1 AUTH=SCRAM-SHA-256] ready",
	"C:Q1 AUTHENTICATE SCRAM-SHA-256", "S:+ ", "SCRAM:+ ", "C*", "S:Q1 OK done",
	"C:Q2 LOGOUT", "S:Q2 OK", NULL,
};
static const char *const imap_scram_bad_final[] = {
	"S:* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256] ready", "SCRAM:+ ", "C*",
	"S:+ " BAD_SERVER_FINAL, "C:*", "S:Q1 BAD cancelled", "C:Q2 LOGOUT", "S:Q2 OK", NULL,
};
static const char *const *const imap_scram[] = {imap_scram_no_final, imap_scram_bad_final};

START_TEST(test_imap_scram_unproven_server)
{
	struct peer p;
	peer_start(&p, imap_scram[_i]);
	struct qu_err err;
	struct imap_session *s = imap_open(&p, NET_TLS_NONE, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	assert_scram_refused(imap_session_auth(s, &alice, true, NULL, &err), &err, scram_why[_i]);
	ck_assert_int_eq(imap_session_state(s), IMAP_STATE_NOT_AUTHENTICATED);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_imap_preauth_refused_without_tls)
{
	static const char *const script[] = {"S:* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi",
					     "NOMORE", NULL};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	ck_assert_ptr_null(imap_open(&p, NET_TLS_STARTTLS, &err));
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "PREAUTH"));
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_imap_starttls_required)
{
	static const char *const script[] = {"S:* OK ready", "C:Q1 CAPABILITY",
					     "S:* CAPABILITY IMAP4rev1 AUTH=PLAIN", "S:Q1 OK",
					     "NOMORE", NULL};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	ck_assert_ptr_null(imap_open(&p, NET_TLS_STARTTLS, &err));
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "STARTTLS"));
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_imap_literals_and_untagged)
{
	static const char *const script[] = {
		"S:* OK ready", "C:Q1 CAPABILITY", "R:* ID (\"name\" {5}\r\nDovec)\r\n",
		"S:* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE", "S:* 3 EXISTS", "S:Q1 OK done",
		"C:Q2 LOGOUT", "S:Q2 OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct imap_session *s = imap_open(&p, NET_TLS_NONE, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert(imap_session_has_cap(s, "IDLE"));
	ck_assert(imap_session_has_cap(s, "auth=plain"));
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_imap_huge_literal_refused)
{
	static const char *const script[] = {"S:* OK {4294967296}", "SLEEP:500", "CLOSE", NULL};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	ck_assert_ptr_null(imap_open(&p, NET_TLS_NONE, &err));
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "literal"));
	peer_finish(&p);
}
END_TEST

START_TEST(test_imap_quote)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	bool lit;
	imap_quote(&b, "a \"b\" \\c", 8, &lit);
	ck_assert(!lit);
	ck_assert_str_eq(b.data, "\"a \\\"b\\\" \\\\c\"");
	qu_buf_reset(&b);
	imap_quote(&b, "x\r\ny", 4, &lit);
	ck_assert(lit);
	ck_assert_int_eq(memcmp(b.data, "{4}\r\nx\r\ny", 9), 0);
	qu_buf_clear(&b);
}
END_TEST

Suite *sessions_suite(void);

Suite *
sessions_suite(void)
{
	Suite *s = suite_create("sessions");
	TCase *smtp = tcase_create("smtp");
	tcase_set_timeout(smtp, 20);
	tcase_add_test(smtp, test_smtp_ehlo_auth_plain);
	tcase_add_test(smtp, test_smtp_auth_login);
	tcase_add_test(smtp, test_smtp_helo_fallback);
	tcase_add_test(smtp, test_smtp_starttls_required);
	tcase_add_test(smtp, test_smtp_greeting_codes);
	tcase_add_test(smtp, test_smtp_auth_refused);
	tcase_add_test(smtp, test_smtp_no_plain_without_tls);
	tcase_add_test(smtp, test_smtp_dropped_and_silent);
	tcase_add_test(smtp, test_smtp_malformed_reply);
	tcase_add_loop_test(smtp, test_smtp_scram_unproven_server, 0, 2);
	suite_add_tcase(s, smtp);
	TCase *pop3 = tcase_create("pop3");
	tcase_set_timeout(pop3, 20);
	tcase_add_test(pop3, test_pop3_user_pass);
	tcase_add_test(pop3, test_pop3_sasl_plain);
	tcase_add_test(pop3, test_pop3_stls_required);
	tcase_add_test(pop3, test_pop3_in_use_and_refused);
	tcase_add_test(pop3, test_pop3_bad_greeting);
	tcase_add_loop_test(pop3, test_pop3_scram_unproven_server, 0, 2);
	suite_add_tcase(s, pop3);
	TCase *imap = tcase_create("imap");
	tcase_set_timeout(imap, 20);
	tcase_add_test(imap, test_imap_login_quoted);
	tcase_add_test(imap, test_imap_login_literal_plus);
	tcase_add_test(imap, test_imap_authenticate);
	tcase_add_loop_test(imap, test_imap_scram_unproven_server, 0, 2);
	tcase_add_test(imap, test_imap_preauth_refused_without_tls);
	tcase_add_test(imap, test_imap_starttls_required);
	tcase_add_test(imap, test_imap_literals_and_untagged);
	tcase_add_test(imap, test_imap_huge_literal_refused);
	tcase_add_test(imap, test_imap_quote);
	suite_add_tcase(s, imap);
	return s;
}
