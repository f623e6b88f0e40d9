/* POP3 mailbox commands against scripted peers: multi-line responses and
 * dot-stuffing, pipelining, replies Dovecot never sends (no UIDL, -ERR on
 * RETR, -ERR [IN-USE], LF-only lines, overlong lines), APOP, and that
 * deletions are committed only by an explicit QUIT. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "pop3/pop3.h"
#include "peer.h"

static const struct net_sasl_creds alice = {.user = "alice", .secret = "secret", .host = "127.0.0.1"};

static struct pop3_session *
open_session(struct peer *p, struct qu_err *err)
{
	struct pop3_opts o = {.host = "127.0.0.1", .port = p->port, .tls = NET_TLS_NONE,
			      .net = {.timeout_ms = 5000}};
	return pop3_session_open(&o, err);
}

/* Opens and logs in with USER/PASS; the script must start with
 * LOGIN_PLAIN or LOGIN_PIPELINING. */
#define LOGIN_PLAIN                                                                        \
	"S:+OK ready", "C:CAPA", "S:+OK", "S:USER", "S:UIDL", "S:.", "C:USER alice", "S:+OK", \
		"C:PASS secret", "S:+OK in"
#define LOGIN_PIPELINING                                                                   \
	"S:+OK ready", "C:CAPA", "S:+OK", "S:USER", "S:UIDL", "S:PIPELINING", "S:.",          \
		"C:USER alice", "S:+OK", "C:PASS secret", "S:+OK in"

static struct pop3_session *
login(struct peer *p, struct qu_err *err)
{
	struct pop3_session *s = open_session(p, err);
	ck_assert_msg(s != NULL, "%s", err->msg);
	ck_assert_msg(pop3_session_auth(s, &alice, true, NULL, err) == 0, "%s", err->msg);
	return s;
}

static int
collect(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	(void)err;
	return qu_buf_append(ctx, p, n);
}

START_TEST(test_retr_dot_unstuffing)
{
	static const char *const script[] = {
		LOGIN_PLAIN, "C:RETR 1", "S:+OK 40 octets", "S:Subject: x", "S:", "S:..",
		"S:...two dots", "S:.x", "S:middle . dot", "S:.", "C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	uint64_t n = 0;
	ck_assert_int_eq(pop3_session_retr(s, 1, collect, &b, &n, &err), 0);
	const char want[] = "Subject: x\r\n\r\n.\r\n..two dots\r\nx\r\nmiddle . dot\r\n";
	ck_assert_uint_eq(b.len, sizeof want - 1);
	ck_assert_uint_eq(n, sizeof want - 1);
	ck_assert(memcmp(b.data, want, b.len) == 0);
	qu_buf_clear(&b);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_retr_lf_only_and_empty)
{
	/* A server on an LF-only system; and an empty message. */
	static const char *const script[] = {
		LOGIN_PLAIN, "C:RETR 1", "R:+OK\nline one\n..dot\n.\n", "C:RETR 2", "S:+OK", "S:.",
		"C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_int_eq(pop3_session_retr(s, 1, collect, &b, NULL, &err), 0);
	ck_assert_str_eq(b.data, "line one\n.dot\n");
	qu_buf_reset(&b);
	uint64_t n = 99;
	ck_assert_int_eq(pop3_session_retr(s, 2, collect, &b, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(b.len, 0);
	qu_buf_clear(&b);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_retr_line_longer_than_buffer)
{
	/* 200 000 bytes on one line, starting with a stuffed dot: streamed in
	 * pieces, never refused. */
	size_t n = 200000;
	char *raw = xmalloc(n + 64);
	strcpy(raw, "R:+OK\r\n..");
	size_t at = strlen(raw);
	for (size_t i = 0; i < n - 1; i++)
		raw[at++] = (char)('a' + i % 26);
	memcpy(raw + at, "\r\nend\r\n.\r\n", 11);
	const char *script[] = {LOGIN_PLAIN, "C:RETR 3", raw, "C:QUIT", "S:+OK", NULL};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	uint64_t got = 0;
	ck_assert_msg(pop3_session_retr(s, 3, collect, &b, &got, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(b.len, n + 2 + 5);
	ck_assert_uint_eq(got, b.len);
	ck_assert_int_eq(b.data[0], '.');
	ck_assert_int_eq(b.data[1], 'a');
	ck_assert(memcmp(b.data + n, "\r\nend\r\n", 7) == 0);
	ck_assert(memcmp(b.data + b.len - 7, "\r\nend\r\n", 7) == 0);
	qu_buf_clear(&b);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	free(raw);
}
END_TEST

START_TEST(test_listing_pipelined)
{
	static const char *const script[] = {
		LOGIN_PIPELINING, "C:LIST", "C:UIDL", "S:+OK 2 messages", "S:1 120", "S:2 3400",
		"S:.", "S:+OK", "S:1 uid-one", "S:2 uid-two", "S:.", "C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	struct pop3_listing l;
	ck_assert_msg(pop3_session_listing(s, &l, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(l.has_uid);
	ck_assert_uint_eq(l.msgs[1].num, 2);
	ck_assert_uint_eq(l.msgs[1].size, 3400);
	ck_assert_str_eq(l.msgs[0].uid, "uid-one");
	ck_assert_str_eq(l.msgs[1].uid, "uid-two");
	pop3_listing_clear(&l);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_listing_without_uidl)
{
	static const char *const script[] = {
		LOGIN_PLAIN, "C:LIST", "S:+OK", "S:1 10", "S:.", "C:UIDL",
		"S:-ERR unknown command", "C:STAT", "S:+OK 1 10", "C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	struct pop3_listing l;
	ck_assert_int_eq(pop3_session_listing(s, &l, &err), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert(!l.has_uid);
	ck_assert_ptr_null(l.msgs[0].uid);
	ck_assert_ptr_nonnull(strstr(l.no_uid_why, "UIDL"));
	pop3_listing_clear(&l);
	uint32_t count;
	uint64_t octets;
	ck_assert_int_eq(pop3_session_stat(s, &count, &octets, &err), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_uint_eq(octets, 10);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_listing_bad_uids)
{
	/* Two messages with one unique-id: unusable, not trusted. */
	static const char *const script[] = {
		LOGIN_PLAIN, "C:LIST", "S:+OK", "S:1 10", "S:2 20", "S:.", "C:UIDL", "S:+OK",
		"S:1 same", "S:2 same", "S:.", "C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	struct pop3_listing l;
	ck_assert_int_eq(pop3_session_listing(s, &l, &err), 0);
	ck_assert(!l.has_uid);
	ck_assert_ptr_nonnull(strstr(l.no_uid_why, "same"));
	pop3_listing_clear(&l);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

struct many {
	struct qu_buf msgs[4];
	size_t cur;
	int begun, ended, refused;
	enum qu_err_class refused_cls;
};

static int
m_begin(void *ctx, size_t i, struct qu_err *err)
{
	struct many *m = ctx;
	(void)err;
	m->cur = i;
	m->begun++;
	return 0;
}

static int
m_data(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct many *m = ctx;
	(void)err;
	return qu_buf_append(&m->msgs[m->cur], p, n);
}

static int
m_end(void *ctx, size_t i, uint64_t octets, struct qu_err *err)
{
	struct many *m = ctx;
	(void)err;
	ck_assert_uint_eq(octets, m->msgs[i].len);
	m->ended++;
	return 0;
}

static int
m_refused(void *ctx, size_t i, const struct qu_err *why, struct qu_err *err)
{
	struct many *m = ctx;
	(void)i;
	(void)err;
	m->refused++;
	m->refused_cls = why->cls;
	return 0;
}

static const struct pop3_retr_handler handler = {m_begin, m_data, m_end, m_refused, NULL};

START_TEST(test_retr_many_pipelined)
{
	/* All three RETRs go out before the first answer is read. */
	static const char *const script[] = {
		LOGIN_PIPELINING, "C:RETR 1", "C:RETR 2", "C:RETR 5", "S:+OK", "S:one", "S:.",
		"S:-ERR [IN-USE] message locked", "S:+OK", "S:.five", "S:.", "C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	struct many m = {0};
	for (size_t i = 0; i < 4; i++)
		qu_buf_init(&m.msgs[i], SIZE_MAX);
	static const uint32_t nums[] = {1, 2, 5};
	ck_assert_msg(pop3_session_retr_many(s, nums, 3, &handler, &m, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(m.begun, 2);
	ck_assert_int_eq(m.ended, 2);
	ck_assert_int_eq(m.refused, 1);
	ck_assert_int_eq(m.refused_cls, QU_E_TEMPFAIL);
	ck_assert_str_eq(m.msgs[0].data, "one\r\n");
	ck_assert_str_eq(m.msgs[2].data, "five\r\n");
	for (size_t i = 0; i < 4; i++)
		qu_buf_clear(&m.msgs[i]);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_retr_many_one_at_a_time)
{
	/* Without PIPELINING each RETR waits for the previous answer. */
	static const char *const script[] = {
		LOGIN_PLAIN, "C:RETR 1", "S:+OK", "S:one", "S:.", "C:RETR 2", "S:+OK", "S:two", "S:.",
		"C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	struct many m = {0};
	for (size_t i = 0; i < 4; i++)
		qu_buf_init(&m.msgs[i], SIZE_MAX);
	static const uint32_t nums[] = {1, 2};
	ck_assert_int_eq(pop3_session_retr_many(s, nums, 2, &handler, &m, &err), 0);
	ck_assert_str_eq(m.msgs[1].data, "two\r\n");
	for (size_t i = 0; i < 4; i++)
		qu_buf_clear(&m.msgs[i]);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_connection_lost_mid_message)
{
	/* The server goes away inside a message: TEMPFAIL, and close sends
	 * nothing more (no QUIT on a session out of step). */
	static const char *const script[] = {
		LOGIN_PLAIN, "C:DELE 1", "S:+OK marked", "C:RETR 2", "S:+OK", "S:partial", "CLOSE",
		NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	ck_assert_int_eq(pop3_session_dele(s, 1, &err), 0);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_int_eq(pop3_session_retr(s, 2, collect, &b, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	qu_buf_clear(&b);
	/* Out of step: no more commands. */
	ck_assert_int_eq(pop3_session_noop(s, &err), -1);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_dele_needs_quit)
{
	/* DELE then close without pop3_session_quit: dropped, no QUIT. */
	static const char *const dropped[] = {
		LOGIN_PLAIN, "C:DELE 1", "S:+OK", "NOMORE", NULL,
	};
	/* DELE, RSET, close: nothing marked any more, so QUIT is harmless. */
	static const char *const reset[] = {
		LOGIN_PLAIN, "C:DELE 1", "S:+OK", "C:RSET", "S:+OK", "C:QUIT", "S:+OK", NULL,
	};
	/* DELE and an explicit QUIT with -ERR in UPDATE (RFC 1939 §6). */
	static const char *const quit_err[] = {
		LOGIN_PIPELINING, "C:DELE 1", "C:DELE 2", "S:+OK", "S:+OK", "C:QUIT",
		"S:-ERR some deleted messages not removed", "NOMORE", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, dropped);
	struct pop3_session *s = login(&p, &err);
	ck_assert_int_eq(pop3_session_dele(s, 1, &err), 0);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);

	peer_start(&p, reset);
	s = login(&p, &err);
	ck_assert_int_eq(pop3_session_dele(s, 1, &err), 0);
	ck_assert_int_eq(pop3_session_rset(s, &err), 0);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);

	peer_start(&p, quit_err);
	s = login(&p, &err);
	static const uint32_t nums[] = {1, 2};
	ck_assert_int_eq(pop3_session_dele_many(s, nums, 2, &err), 0);
	ck_assert_int_eq(pop3_session_quit(s, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_int_eq(pop3_session_state(s), POP3_STATE_CLOSED);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_dele_refused)
{
	static const char *const script[] = {
		LOGIN_PLAIN, "C:DELE 9", "S:-ERR no such message", "NOMORE", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	ck_assert_int_eq(pop3_session_dele(s, 9, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "DELE 9"));
	/* Nothing marked, nothing out of step: close may QUIT, but the peer
	 * has closed; what matters is that nothing else is sent before. */
	pop3_session_drop(s);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_top)
{
	static const char *const script[] = {
		LOGIN_PLAIN, "C:TOP 4 0", "S:+OK", "S:Subject: hi", "S:", "S:.", "C:QUIT", "S:+OK",
		NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = login(&p, &err);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_int_eq(pop3_session_top(s, 4, 0, collect, &b, &err), 0);
	ck_assert_str_eq(b.data, "Subject: hi\r\n\r\n");
	qu_buf_clear(&b);
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_apop)
{
	/* RFC 1939 §7's example: timestamp and secret "tanstaaf". */
	static const char *const script[] = {
		"S:+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>", "C:CAPA", "S:-ERR",
		"C:APOP mrose c4c9334bac560ecc979e58001b3e22fb", "S:+OK maildrop has 1 message",
		"C:QUIT", "S:+OK", NULL,
	};
	static const struct net_sasl_creds mrose = {.user = "mrose", .secret = "tanstaaf"};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = open_session(&p, &err);
	ck_assert_ptr_nonnull(s);
	const char *mech;
	ck_assert_msg(pop3_session_auth(s, &mrose, true, &mech, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(mech, "APOP");
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_apop_refused_then_user)
{
	/* APOP refused (hashed passwords on the server): USER/PASS next, as
	 * the password may cross this connection. */
	static const char *const script[] = {
		"S:+OK ready <1.2@host>", "C:CAPA", "S:+OK", "S:USER", "S:.", "C*",
		"S:-ERR [AUTH] APOP not possible", "C:USER alice", "S:+OK", "C:PASS secret",
		"S:+OK", "C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = open_session(&p, &err);
	ck_assert_ptr_nonnull(s);
	const char *mech;
	ck_assert_msg(pop3_session_auth(s, &alice, true, &mech, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(mech, "USER");
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_greeting_without_apop_in_use)
{
	/* No timestamp ("<ready>" has no '@'): USER/PASS; -ERR [IN-USE] is
	 * temporary. */
	static const char *const script[] = {
		"S:+OK <ready>", "C:CAPA", "S:-ERR", "C:USER alice", "S:+OK", "C:PASS secret",
		"S:-ERR [IN-USE] maildrop locked", "C:QUIT", "S:+OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_session *s = open_session(&p, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(pop3_session_auth(s, &alice, true, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "IN-USE"));
	ck_assert(qu_err_code_is(&err, QU_R_REFUSED, "IN-USE"));
	pop3_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_md5_hex)
{
	char hex[33];
	struct qu_err err;
	ck_assert_int_eq(net_md5_hex("", 0, hex, &err), 0);
	ck_assert_str_eq(hex, "d41d8cd98f00b204e9800998ecf8427e");
	ck_assert_int_eq(net_md5_hex("abc", 3, hex, &err), 0);
	ck_assert_str_eq(hex, "900150983cd24fb0d6963f7d28e17f72");
}
END_TEST

Suite *pop3_suite(void);

Suite *
pop3_suite(void)
{
	Suite *s = suite_create("pop3");
	TCase *tc = tcase_create("mailbox");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_retr_dot_unstuffing);
	tcase_add_test(tc, test_retr_lf_only_and_empty);
	tcase_add_test(tc, test_retr_line_longer_than_buffer);
	tcase_add_test(tc, test_listing_pipelined);
	tcase_add_test(tc, test_listing_without_uidl);
	tcase_add_test(tc, test_listing_bad_uids);
	tcase_add_test(tc, test_retr_many_pipelined);
	tcase_add_test(tc, test_retr_many_one_at_a_time);
	tcase_add_test(tc, test_connection_lost_mid_message);
	tcase_add_test(tc, test_dele_needs_quit);
	tcase_add_test(tc, test_dele_refused);
	tcase_add_test(tc, test_top);
	suite_add_tcase(s, tc);
	TCase *auth = tcase_create("apop");
	tcase_set_timeout(auth, 20);
	tcase_add_test(auth, test_apop);
	tcase_add_test(auth, test_apop_refused_then_user);
	tcase_add_test(auth, test_greeting_without_apop_in_use);
	tcase_add_test(auth, test_md5_hex);
	suite_add_tcase(s, auth);
	return s;
}
