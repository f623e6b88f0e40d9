/* IMAP sessions against scripted peers: pipelining, untagged responses
 * between any two lines, literals streamed and refused, hostile nesting,
 * STARTTLS injection, PREAUTH, and every command's replies. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/imap.h"
#include "peer.h"

#define PREAUTH(caps) "S:* PREAUTH [CAPABILITY IMAP4rev1 " caps "] ready"
#define LOGOUT(n) "C:Q" #n " LOGOUT", "S:* BYE bye", "S:Q" #n " OK"

struct trace_log {
	struct qu_buf b;
};

static void
trace_fn(void *ctx, char dir, const char *line, size_t len)
{
	struct trace_log *t = ctx;
	qu_buf_printf(&t->b, "%c: ", dir);
	qu_buf_append(&t->b, line, len);
	qu_buf_append_byte(&t->b, '\n');
}

static struct imap_session *
open_peer(struct peer *p, const char *const *script, enum net_tls_mode tls, int timeout_ms,
	  const struct qu_trace *trace, struct qu_err *err)
{
	peer_start(p, script);
	struct imap_opts o = {.host = "127.0.0.1", .port = p->port, .tls = tls,
			      .net = {.timeout_ms = timeout_ms, .trace = trace}};
	return imap_session_open(&o, err);
}

START_TEST(test_preauth_plain)
{
	static const char *const script[] = {PREAUTH("IDLE"), LOGOUT(1), NULL};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 5000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_state(s), IMAP_STATE_AUTHENTICATED);
	struct net_sasl_creds c = {.user = "a", .secret = "b"};
	ck_assert_int_eq(imap_session_auth(s, &c, true, NULL, &err), 0);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* Three STATUS go out before any answer; noise comes between the answers. */
START_TEST(test_pipelined_status)
{
	static const char *const script[] = {
		PREAUTH(""),
		"C:Q1 STATUS \"INBOX\" (MESSAGES UNSEEN)",
		"C:Q2 STATUS \"Entw&APw-rfe\" (MESSAGES UNSEEN)",
		"C:Q3 STATUS \"Nope\" (MESSAGES UNSEEN)",
		"S:* STATUS INBOX (MESSAGES 3 UNSEEN 1)",
		"S:* 4 EXISTS",
		"S:* OK [ALERT] system going down soon",
		"S:Q1 OK done",
		"S:* STATUS \"Entw&APw-rfe\" (MESSAGES 7 UNSEEN 0)",
		"S:* CAPABILITY IMAP4rev1 IDLE",
		"S:Q2 OK done",
		"S:Q3 NO [NONEXISTENT] no such mailbox",
		LOGOUT(4),
		NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	const char *w[] = {"INBOX", "Entw&APw-rfe", "Nope"};
	size_t wl[] = {5, 12, 4};
	struct imap_mailbox_status st[3];
	bool fail[3];
	ck_assert_msg(imap_session_status_many(s, w, wl, 3, IMAP_MB_HAVE_MESSAGES | IMAP_MB_HAVE_UNSEEN,
					       st, fail, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st[0].messages, 3);
	ck_assert_uint_eq(st[0].unseen, 1);
	ck_assert_uint_eq(st[1].messages, 7);
	ck_assert(!fail[0] && !fail[1] && fail[2]);
	ck_assert_uint_eq(st[2].have, 0);
	ck_assert(imap_session_has_cap(s, "IDLE")); /* untagged CAPABILITY noted */
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* A STATUS reply whose mailbox name holds spaces but is not quoted (seen
 * from some servers): the counts are the last list, the name the atoms
 * before it. */
START_TEST(test_status_unquoted_name)
{
	static const char *const script[] = {
		PREAUTH(""),
		"C:Q1 STATUS \"Caf&AOk- &- &g0l6Pw-\" (MESSAGES UNSEEN)",
		"C:Q2 STATUS \"Other\" (MESSAGES UNSEEN)",
		"S:* STATUS Caf&AOk- &- &g0l6Pw- (MESSAGES 3 UNSEEN 2)",
		"S:Q1 OK done",
		"S:* STATUS Other (MESSAGES 9 UNSEEN 4)",
		"S:Q2 OK done",
		LOGOUT(3),
		NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	const char *w[] = {"Caf&AOk- &- &g0l6Pw-", "Other"};
	size_t wl[] = {strlen(w[0]), 5};
	struct imap_mailbox_status st[2];
	bool fail[2];
	ck_assert_msg(imap_session_status_many(s, w, wl, 2, IMAP_MB_HAVE_MESSAGES | IMAP_MB_HAVE_UNSEEN,
					       st, fail, &err) == 0, "%s", err.msg);
	ck_assert(!fail[0] && !fail[1]);
	ck_assert_uint_eq(st[0].messages, 3);
	ck_assert_uint_eq(st[0].unseen, 2);
	ck_assert_uint_eq(st[1].messages, 9);
	ck_assert_uint_eq(st[1].unseen, 4);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

struct got {
	struct qu_buf b;
	int begins;
	uint64_t begin_size;
};

static int
got_begin(void *ctx, const struct imap_fetch_msg *m, uint64_t size, struct qu_err *err)
{
	struct got *g = ctx;
	(void)err;
	g->begins++;
	g->begin_size = size;
	qu_buf_printf(&g->b, "[begin uid=%u size=%llu]", (unsigned)m->uid, (unsigned long long)size);
	return 0;
}

static int
got_data(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct got *g = ctx;
	(void)err;
	qu_buf_append(&g->b, p, n);
	return 0;
}

static int
got_msg(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r, struct qu_err *err)
{
	struct got *g = ctx;
	(void)r;
	(void)err;
	qu_buf_printf(&g->b, "[msg seq=%u uid=%u flags=%x body=%d/%llu]", (unsigned)m->seq,
		      (unsigned)m->uid, m->flags, m->has_body, (unsigned long long)m->body_size);
	return 0;
}

static const struct imap_fetch_handler got_handler = {got_begin, got_data, got_msg};

START_TEST(test_fetch_bodies_pipelined)
{
	static const char *const script[] = {
		PREAUTH(""),
		"C:Q1 EXAMINE \"INBOX\"",
		"S:* 2 EXISTS",
		"S:* OK [UIDVALIDITY 7] x",
		"S:* OK [UIDNEXT 10] x",
		"S:Q1 OK [READ-ONLY] done",
		/* batches of 2, two in flight: both arrive before any answer */
		"C:Q2 UID FETCH 5:6 (UID FLAGS BODY.PEEK[])",
		"C:Q3 UID FETCH 9 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 5 FLAGS (\\Seen) BODY[] {12}\r\nHello\r\n",
		"R:World)\r\n",
		"S:* 3 EXISTS",
		"S:* 1 FETCH (FLAGS (\\Seen \\Flagged))",
		"R:* 2 FETCH (BODY[] {3}\r\nabc UID 6 FLAGS ())\r\n",
		"S:Q2 OK done",
		"S:* OK [ALERT] between",
		"R:* 3 FETCH (UID 9 BODY[] {0}\r\n FLAGS (\\Answered $Forwarded))\r\n",
		"S:Q3 OK done",
		LOGOUT(4),
		NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_mailbox_status st;
	ck_assert_msg(imap_session_select(s, "INBOX", 5, true, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st.uidvalidity, 7);
	ck_assert_uint_eq(st.uidnext, 10);
	ck_assert_uint_eq(st.messages, 2);
	ck_assert(st.read_only);
	uint32_t uids[] = {5, 6, 9};
	struct imap_fetch_plan plan = {.uids = uids, .n = 3, .batch_msgs = 2, .window = 2};
	struct got g = {0};
	qu_buf_init(&g.b, SIZE_MAX);
	ck_assert_msg(imap_session_fetch_bodies(s, &plan, &got_handler, &g, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(g.b.data, "[begin uid=5 size=12]Hello\r\nWorld[msg seq=1 uid=5 flags=1 body=1/12]"
				   "[msg seq=1 uid=0 flags=5 body=0/0]"
				   "[begin uid=0 size=3]abc[msg seq=2 uid=6 flags=0 body=1/3]"
				   "[begin uid=9 size=0][msg seq=3 uid=9 flags=42 body=1/0]");
	ck_assert_uint_eq(imap_session_selected(s)->messages, 3);
	ck_assert_uint_eq(imap_session_commands(s), 3);
	qu_buf_clear(&g.b);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* QRESYNC (RFC 7162 §3.2.5): the parameters go out with SELECT, the
 * changed messages of the reply reach the fetch handler, and VANISHED
 * lowers the message count while VANISHED (EARLIER) does not. */
START_TEST(test_select_qresync_vanished)
{
	static const char *const script[] = {
		PREAUTH("ENABLE CONDSTORE QRESYNC"),
		"C:Q1 ENABLE QRESYNC CONDSTORE", "S:* ENABLED QRESYNC", "S:Q1 OK",
		"C:Q2 SELECT \"INBOX\" (QRESYNC (7 20 1:9))",
		"S:* 5 EXISTS",
		"S:* OK [UIDVALIDITY 7] x",
		"S:* OK [HIGHESTMODSEQ 25] x",
		"S:* VANISHED (EARLIER) 3:4",
		"S:* 2 FETCH (UID 5 MODSEQ (24) FLAGS (\\Seen))",
		"S:Q2 OK [READ-WRITE] done",
		"C:Q3 NOOP", "S:* VANISHED 6,8:9", "S:Q3 OK",
		LOGOUT(4),
		NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_enable(s, IMAP_ENABLE_QRESYNC, &err), 0);
	struct imap_qresync q = {7, 20, "1:9"};
	struct got g = {0};
	qu_buf_init(&g.b, SIZE_MAX);
	struct imap_mailbox_status st;
	ck_assert_msg(imap_session_select_qresync(s, "INBOX", 5, false, &q, &got_handler, &g, &st,
						  &err) == 0, "%s", err.msg);
	ck_assert_str_eq(g.b.data, "[msg seq=2 uid=5 flags=1 body=0/0]");
	ck_assert_uint_eq(st.messages, 5);
	ck_assert_uint_eq(st.highestmodseq, 25);
	ck_assert_int_eq(imap_session_noop(s, &err), 0);
	ck_assert_uint_eq(imap_session_selected(s)->messages, 2);
	qu_buf_clear(&g.b);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* 4 GiB announced for a body: streamed, never allocated; the cut is TEMPFAIL. */
START_TEST(test_huge_body_streamed)
{
	static const char *const script[] = {
		PREAUTH(""),
		"C:Q1 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {4294967296}\r\n0123456789",
		"SLEEP:100",
		"CLOSE",
		NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	uint32_t uid = 1;
	struct imap_fetch_plan plan = {.uids = &uid, .n = 1};
	struct got g = {0};
	qu_buf_init(&g.b, SIZE_MAX);
	ck_assert_int_eq(imap_session_fetch_bodies(s, &plan, &got_handler, &g, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_uint_eq(g.begin_size, 4294967296ull);
	ck_assert_str_eq(g.b.data, "[begin uid=1 size=4294967296]0123456789");
	ck_assert(imap_session_broken(s));
	qu_buf_clear(&g.b);
	imap_session_close(s); /* no LOGOUT on a broken session */
	peer_finish(&p);
}
END_TEST

/* 4 GiB announced where the bytes would have to be kept: refused at once. */
START_TEST(test_huge_literal_refused)
{
	static const char *const script[] = {
		PREAUTH(""), "C:Q1 LIST \"\" \"*\"", "S:* LIST () \"/\" {4294967296}",
		"SLEEP:300", "CLOSE", NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_list l;
	int64_t t0 = qu_now_ms();
	ck_assert_int_eq(imap_session_list(s, "", "*", 0, 0, &l, &err), -1);
	ck_assert(qu_now_ms() - t0 < 250); /* not waiting for 4 GiB */
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "literal of 4294967296 bytes"));
	ck_assert_uint_eq(l.n, 0);
	imap_session_close(s);
	peer_finish(&p);
}
END_TEST

START_TEST(test_deep_nesting_refused)
{
	char *deep = xmalloc(20100);
	strcpy(deep, "R:* LIST ");
	memset(deep + 9, '(', 10000);
	memset(deep + 10009, ')', 10000);
	strcpy(deep + 20009, " \"/\" x\r\n");
	const char *const script[] = {
		PREAUTH(""), "C:Q1 LIST \"\" \"*\"", deep, "SLEEP:200", "CLOSE", NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_list l;
	ck_assert_int_eq(imap_session_list(s, "", "*", 0, 0, &l, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "nested"));
	ck_assert(imap_session_broken(s));
	imap_session_close(s);
	peer_finish(&p);
	free(deep);
}
END_TEST

/* A response injected after STARTTLS's OK, in the same segment, is
 * dropped before the handshake, never read as coming over TLS. */
START_TEST(test_starttls_injection)
{
	static const char *const script[] = {
		"S:* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi",
		"C:Q1 STARTTLS",
		"R:Q1 OK begin\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n",
		"SLEEP:300",
		"CLOSE",
		NULL,
	};
	struct trace_log log;
	qu_buf_init(&log.b, SIZE_MAX);
	struct qu_trace t = {trace_fn, &log};
	struct peer p;
	struct qu_err err;
	ck_assert_ptr_null(open_peer(&p, script, NET_TLS_STARTTLS, 3000, &t, &err));
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL); /* the handshake was cut */
	ck_assert_ptr_nonnull(strstr(log.b.data, "discarded 49 bytes received before the TLS"));
	ck_assert_ptr_null(strstr(log.b.data, "injected"));
	qu_buf_clear(&log.b);
	peer_finish(&p);
}
END_TEST

/* What the server said before STARTTLS (an ENABLED, capabilities, a
 * BYE text) is void after the handshake (RFC 3501 §6.2.1): the session
 * starts again from the CAPABILITY it asks for over TLS. */
START_TEST(test_starttls_forgets)
{
	static const char *const script[] = {
		"S:* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi",
		"C:Q1 STARTTLS",
		"S:* ENABLED QRESYNC CONDSTORE UTF8=ACCEPT",
		"S:* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN X-INJECTED",
		"S:* OK [UIDVALIDITY 5] injected",
		"S:Q1 OK begin",
		"TLS",
		"C:Q2 CAPABILITY",
		"S:* CAPABILITY IMAP4rev1 AUTH=PLAIN",
		"S:Q2 OK",
		LOGOUT(3),
		NULL,
	};
	struct peer p;
	struct qu_err err;
	const char *ca = peer_tls_ca();
	peer_start(&p, script);
	struct imap_opts o = {.host = "127.0.0.1", .port = p.port, .tls = NET_TLS_STARTTLS,
			      .net = {.timeout_ms = 5000, .ca_file = ca}};
	struct imap_session *s = imap_session_open(&o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_uint_eq(imap_session_enabled(s), 0);
	ck_assert(imap_session_has_cap(s, "AUTH=PLAIN"));
	ck_assert(!imap_session_has_cap(s, "X-INJECTED"));
	ck_assert(!imap_session_has_cap(s, "STARTTLS"));
	ck_assert_int_eq(imap_session_state(s), IMAP_STATE_NOT_AUTHENTICATED);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_unknown_tag)
{
	static const char *const script[] = {PREAUTH(""), "C:Q1 NOOP", "S:X9 OK what",
					     "NOMORE", NULL};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_noop(s, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown tag"));
	ck_assert(imap_session_broken(s));
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* NO and BAD classes: [UNAVAILABLE] is temporary (RFC 5530). */
START_TEST(test_status_classes)
{
	static const char *const script[] = {
		PREAUTH(""),
		"C:Q1 EXAMINE \"A\"", "S:Q1 NO [UNAVAILABLE] backend down",
		"C:Q2 EXAMINE \"B\"", "S:Q2 NO [NONEXISTENT] no such mailbox",
		"C:Q3 EXAMINE \"C\"", "S:Q3 BAD what",
		LOGOUT(4), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_select(s, "A", 1, true, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_int_eq(imap_session_select(s, "B", 1, true, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "EXAMINE: server said NO [NONEXISTENT] no such mailbox"));
	ck_assert(qu_err_code_is(&err, QU_R_REFUSED, "NONEXISTENT"));
	ck_assert_int_eq(imap_session_select(s, "C", 1, true, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_int_eq(imap_session_state(s), IMAP_STATE_AUTHENTICATED);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_bye_then_close)
{
	static const char *const script[] = {PREAUTH(""), "C:Q1 NOOP",
					     "S:* BYE [UNAVAILABLE] shutting down for maintenance",
					     "CLOSE", NULL};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_noop(s, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "shutting down for maintenance"));
	imap_session_close(s);
	peer_finish(&p);
}
END_TEST

START_TEST(test_append_literal_plus)
{
	static const char *const script[] = {
		PREAUTH("LITERAL+ UIDPLUS"),
		"C:Q1 APPEND \"Sent\" (\\Seen \\Flagged) \"05-Jan-2024 10:00:00 +0100\" {12+}",
		"C:Hello", "C:World", "S:Q1 OK [APPENDUID 38505 3955] done",
		LOGOUT(2), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_uidplus u;
	ck_assert_msg(imap_session_append(s, "Sent", 4, IMAP_FLAG_SEEN | IMAP_FLAG_FLAGGED,
					  "05-Jan-2024 10:00:00 +0100", "Hello\r\nWorld", 12, &u,
					  &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(u.uidvalidity, 38505);
	ck_assert_str_eq(u.dst, "3955");
	imap_uidplus_clear(&u);
	/* A date that would splice syntax is refused before anything is sent. */
	ck_assert_int_eq(imap_session_append(s, "Sent", 4, 0, "x\" (\\Deleted", "a", 1, NULL, &err),
			 -1);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_append_sync_literal)
{
	static const char *const script[] = {
		PREAUTH(""),
		"C:Q1 APPEND \"Sent\" {5}", "S:+ go ahead", "C:Hello", "S:Q1 OK done",
		"C:Q2 APPEND \"Gone\" {5}", "S:Q2 NO [TRYCREATE] no such mailbox",
		"C:Q3 APPEND {3}", "S:+ ok", "C:S\xc3\xa4 {1}", "S:+ ok", "C:x", "S:Q3 OK",
		LOGOUT(4), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_msg(imap_session_append(s, "Sent", 4, 0, NULL, "Hello", 5, NULL, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(imap_session_append(s, "Gone", 4, 0, NULL, "Hello", 5, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "TRYCREATE"));
	ck_assert(qu_err_is(&err, QU_R_REFUSED));
	ck_assert_str_eq(err.code, "TRYCREATE");
	ck_assert(!imap_session_broken(s));
	/* An 8-bit name goes as a literal too, never raw in the line. */
	ck_assert_msg(imap_session_append(s, "S\xc3\xa4", 3, 0, NULL, "x", 1, NULL, &err) == 0, "%s",
		      err.msg);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_login_literal_refused)
{
	static const char *const script[] = {
		"S:* OK [CAPABILITY IMAP4rev1] hi", "C:Q1 LOGIN \"alice\" {7}", "S:Q1 BAD no thanks",
		LOGOUT(2), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct net_sasl_creds c = {.user = "alice", .secret = "p\xc3\xa4sswd"};
	ck_assert_int_eq(imap_session_auth(s, &c, true, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "BAD no thanks"));
	imap_session_close(s); /* the password never went out */
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_search)
{
	static const char *const script[] = {
		PREAUTH("ESEARCH"),
		"C:Q1 UID SEARCH RETURN (ALL) UNSEEN",
		"S:* ESEARCH (TAG \"Q1\") UID ALL 3:5,9,2", "S:Q1 OK",
		"C:Q2 UID SEARCH RETURN (ALL) ALL",
		"S:* ESEARCH (TAG \"Q2\") UID ALL 1:4294967295", "S:Q2 OK",
		LOGOUT(3), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	uint32_t *v;
	size_t n;
	ck_assert_msg(imap_session_uid_search(s, "UNSEEN", &v, &n, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(n, 5);
	ck_assert(v[0] == 2 && v[1] == 3 && v[3] == 5 && v[4] == 9);
	free(v);
	/* A hostile range is refused, not expanded. */
	ck_assert_int_eq(imap_session_uid_search(s, "ALL", &v, &n, &err), -1);
	ck_assert_ptr_null(v);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_search_plain)
{
	static const char *const script[] = {
		PREAUTH(""), "C:Q1 UID SEARCH SINCE 1-Jan-2024", "S:* SEARCH 7 4 100",
		"S:* SEARCH", "S:Q1 OK", LOGOUT(2), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	uint32_t *v;
	size_t n;
	ck_assert_msg(imap_session_uid_search(s, "SINCE 1-Jan-2024", &v, &n, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(n, 3);
	ck_assert(v[0] == 4 && v[1] == 7 && v[2] == 100);
	free(v);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_move_and_copy)
{
	static const char *const script[] = {
		PREAUTH("MOVE UIDPLUS"),
		"C:Q1 UID MOVE 1:2 \"Archive\"",
		"S:* OK [COPYUID 99 1:2 5:6] moved",
		"S:* 1 EXPUNGE", "S:* 1 EXPUNGE", "S:Q1 OK done",
		"C:Q2 UID COPY 7 \"Archive\"", "S:Q2 OK [COPYUID 99 7 8] copied",
		"C:Q3 UID STORE 7 +FLAGS.SILENT (\\Seen \\Deleted)", "S:Q3 OK",
		"C:Q4 UID EXPUNGE 7", "S:* 3 EXPUNGE", "S:Q4 OK",
		LOGOUT(5), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_uidplus u;
	ck_assert_msg(imap_session_uid_copy(s, "1:2", "Archive", 7, true, &u, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(u.uidvalidity, 99);
	ck_assert_str_eq(u.src, "1:2");
	ck_assert_str_eq(u.dst, "5:6");
	imap_uidplus_clear(&u);
	ck_assert_msg(imap_session_uid_copy(s, "7", "Archive", 7, false, &u, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(u.dst, "8");
	imap_uidplus_clear(&u);
	ck_assert_int_eq(imap_session_uid_store(s, "7", '+', IMAP_FLAG_SEEN | IMAP_FLAG_DELETED, &err), 0);
	ck_assert_int_eq(imap_session_uid_expunge(s, "7", &err), 0);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* Without MOVE: COPY, flag, UID EXPUNGE (RFC 6851 §3.3). */
START_TEST(test_move_fallback)
{
	static const char *const script[] = {
		PREAUTH("UIDPLUS"),
		"C:Q1 UID COPY 4 \"Trash\"", "S:Q1 OK [COPYUID 1 4 10] ok",
		"C:Q2 UID STORE 4 +FLAGS.SILENT (\\Deleted)", "S:Q2 OK",
		"C:Q3 UID EXPUNGE 4", "S:Q3 OK",
		LOGOUT(4), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_msg(imap_session_uid_copy(s, "4", "Trash", 5, true, NULL, &err) == 0, "%s", err.msg);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_idle)
{
	static const char *const script[] = {
		PREAUTH("IDLE"),
		"C:Q1 IDLE", "S:+ idling", "S:* OK still here", "S:* 4 EXISTS",
		"C:DONE", "S:Q1 OK idle done",
		"C:Q2 IDLE", "S:+ idling",
		"C:DONE", "S:Q2 OK",
		LOGOUT(3), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 400, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	bool changed;
	ck_assert_msg(imap_session_idle(s, &changed, &err) == 0, "%s", err.msg);
	ck_assert(changed);
	ck_assert_int_eq(imap_session_idle_done(s, &err), 0);
	/* Nothing happens: the deadline ends the wait, not the session. */
	ck_assert_msg(imap_session_idle(s, &changed, &err) == 0, "%s", err.msg);
	ck_assert(!changed);
	ck_assert(!imap_session_broken(s));
	ck_assert_int_eq(imap_session_idle_done(s, &err), 0);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_list_names)
{
	static const char *const script[] = {
		PREAUTH("LIST-EXTENDED LIST-STATUS SPECIAL-USE"),
		"C:Q1 LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))",
		"S:* LIST (\\HasNoChildren) \"/\" INBOX",
		"S:* STATUS INBOX (MESSAGES 10 UNSEEN 2)",
		"S:* LIST (\\HasChildren \\Drafts) \"/\" \"Entw&APw-rfe\"",
		"S:* 11 EXISTS",
		"S:* STATUS \"Entw&APw-rfe\" (MESSAGES 1 UNSEEN 1)",
		"R:* LIST (\\Noselect) \"/\" {19}\r\n&g0l6Pw-/&W1B27l9V-\r\n",
		"S:* LIST (\\Sent) NIL Sent",
		"S:* LIST () \".\" \"bad&-mutf7&\"",
		"S:Q1 OK done",
		LOGOUT(2), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_list l;
	ck_assert_msg(imap_session_list(s, "", "*", IMAP_LISTOPT_SPECIAL_USE,
					IMAP_MB_HAVE_MESSAGES | IMAP_MB_HAVE_UNSEEN, &l, &err) == 0,
		      "%s", err.msg);
	ck_assert_uint_eq(l.n, 5);
	ck_assert_str_eq(l.v[0].name, "INBOX");
	ck_assert_uint_eq(l.v[0].status.messages, 10);
	ck_assert_str_eq(l.v[1].name, "Entw\xc3\xbcrfe");
	ck_assert(l.v[1].attrs & IMAP_LIST_DRAFTS);
	ck_assert_uint_eq(l.v[1].status.unseen, 1);
	ck_assert_str_eq(l.v[2].name, "\xe8\x8d\x89\xe7\xa8\xbf/\xe5\xad\x90\xe7\x9b\xae\xe5\xbd\x95");
	ck_assert(l.v[2].attrs & IMAP_LIST_NOSELECT);
	ck_assert_int_eq(l.v[2].delim, '/');
	ck_assert_int_eq(l.v[3].delim, 0);
	ck_assert(l.v[3].attrs & IMAP_LIST_SENT);
	ck_assert_str_eq(l.v[4].name, "bad&-mutf7&"); /* not valid mUTF-7: kept as sent */
	imap_list_clear(&l);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_id_enable_namespace)
{
	static const char *const script[] = {
		PREAUTH("ID ENABLE CONDSTORE QRESYNC UTF8=ACCEPT NAMESPACE"),
		"C:Q1 ID (\"name\" \"quail\" \"version\" \"1.2\" \"support-email\" \"x@y\")",
		"S:* ID (\"name\" \"Coremail\" \"vendor\" NIL)", "S:Q1 OK ID completed",
		"C:Q2 ENABLE QRESYNC CONDSTORE UTF8=ACCEPT",
		"S:* ENABLED CONDSTORE QRESYNC", "S:Q2 OK",
		"C:Q3 NAMESPACE", "S:* NAMESPACE ((\"INBOX.\" \".\")) NIL ((\"#shared.\" \".\"))",
		"S:Q3 OK",
		"C:Q4 EXAMINE \"INBOX\" (CONDSTORE)",
		"S:* OK [UIDVALIDITY 1] x", "S:* OK [HIGHESTMODSEQ 715194045007] x", "S:Q4 OK",
		LOGOUT(5), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_id id = {"quail", "1.2", NULL, "x@y"};
	char *sid;
	ck_assert_msg(imap_session_id(s, &id, &sid, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(sid, "name=Coremail\nvendor=\n");
	free(sid);
	ck_assert_int_eq(imap_session_enable(s, IMAP_ENABLE_CONDSTORE | IMAP_ENABLE_QRESYNC |
							IMAP_ENABLE_UTF8, &err), 0);
	ck_assert_uint_eq(imap_session_enabled(s), IMAP_ENABLE_CONDSTORE | IMAP_ENABLE_QRESYNC);
	char *prefix, delim;
	ck_assert_int_eq(imap_session_namespace(s, &prefix, &delim, &err), 0);
	ck_assert_str_eq(prefix, "INBOX.");
	ck_assert_int_eq(delim, '.');
	free(prefix);
	struct imap_mailbox_status st;
	ck_assert_int_eq(imap_session_select(s, "INBOX", 5, true, &st, &err), 0);
	ck_assert_uint_eq(st.highestmodseq, 715194045007ull);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* A server without ID gets none; one whose ID fails is an error. */
START_TEST(test_no_id)
{
	static const char *const script[] = {PREAUTH(""), LOGOUT(1), NULL};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_id id = {"quail", "1", "quail", "x@y"};
	ck_assert_int_eq(imap_session_id(s, &id, NULL, &err), 0);
	ck_assert_int_eq(imap_session_enable(s, IMAP_ENABLE_CONDSTORE, &err), 0);
	ck_assert_int_eq(imap_session_compress(s, &err), 0);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* Capabilities a login does not repeat are asked for when next needed. */
START_TEST(test_caps_after_login)
{
	static const char *const script[] = {
		"S:* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] hi",
		"C:Q1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", "S:Q1 OK in",
		"C:Q2 CAPABILITY", "S:* CAPABILITY IMAP4rev2 ID", "S:Q2 OK",
		"C:Q3 ID (\"name\" \"quail\")", "S:* ID NIL", "S:Q3 OK",
		LOGOUT(4), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct net_sasl_creds c = {.user = "alice", .secret = "secret", .host = "127.0.0.1"};
	ck_assert_msg(imap_session_auth(s, &c, true, NULL, &err) == 0, "%s", err.msg);
	struct imap_id id = {"quail", NULL, NULL, NULL};
	ck_assert_msg(imap_session_id(s, &id, NULL, &err) == 0, "%s", err.msg);
	ck_assert(imap_session_has_cap(s, "IMAP4rev2"));
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* ID and ENABLE after login go out together: the peer reads both before
 * it answers either (imap_session_setup). */
START_TEST(test_setup_pipelined)
{
	static const char *const script[] = {
		PREAUTH("ID ENABLE CONDSTORE QRESYNC"),
		"C:Q1 ID (\"name\" \"quail\")",
		"C:Q2 ENABLE QRESYNC CONDSTORE",
		"S:* ID (\"name\" \"Dovecot\")", "S:Q1 OK ID completed",
		"S:* ENABLED CONDSTORE QRESYNC", "S:Q2 OK",
		LOGOUT(3), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_id id = {"quail", NULL, NULL, NULL};
	ck_assert_msg(imap_session_setup(s, &id, IMAP_ENABLE_QRESYNC, true, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(imap_session_enabled(s), IMAP_ENABLE_CONDSTORE | IMAP_ENABLE_QRESYNC);
	ck_assert(!imap_session_broken(s));
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* A refused ID fails the flight, named as ID; the ENABLE behind it is
 * still collected, so the session stays in step for LOGOUT. */
START_TEST(test_setup_id_refused)
{
	static const char *const script[] = {
		PREAUTH("ID ENABLE CONDSTORE"),
		"C:Q1 ID NIL",
		"C:Q2 ENABLE CONDSTORE",
		"S:Q1 NO not today",
		"S:* ENABLED CONDSTORE", "S:Q2 OK",
		LOGOUT(3), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, NET_TLS_NONE, 3000, NULL, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_id id = {NULL, NULL, NULL, NULL};
	ck_assert_int_eq(imap_session_setup(s, &id, IMAP_ENABLE_CONDSTORE, false, &err), -1);
	ck_assert_msg(strstr(err.msg, "ID") && strstr(err.msg, "not today"), "%s", err.msg);
	ck_assert(!imap_session_broken(s));
	ck_assert_uint_eq(imap_session_enabled(s), IMAP_ENABLE_CONDSTORE);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

Suite *imap_session_suite(void);

Suite *
imap_session_suite(void)
{
	Suite *s = suite_create("imap-session");
	TCase *tc = tcase_create("imap-session");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_preauth_plain);
	tcase_add_test(tc, test_pipelined_status);
	tcase_add_test(tc, test_setup_pipelined);
	tcase_add_test(tc, test_setup_id_refused);
	tcase_add_test(tc, test_fetch_bodies_pipelined);
	tcase_add_test(tc, test_select_qresync_vanished);
	tcase_add_test(tc, test_huge_body_streamed);
	tcase_add_test(tc, test_huge_literal_refused);
	tcase_add_test(tc, test_deep_nesting_refused);
	tcase_add_test(tc, test_starttls_injection);
	tcase_add_test(tc, test_starttls_forgets);
	tcase_add_test(tc, test_status_unquoted_name);
	tcase_add_test(tc, test_unknown_tag);
	tcase_add_test(tc, test_status_classes);
	tcase_add_test(tc, test_bye_then_close);
	tcase_add_test(tc, test_append_literal_plus);
	tcase_add_test(tc, test_append_sync_literal);
	tcase_add_test(tc, test_login_literal_refused);
	tcase_add_test(tc, test_search);
	tcase_add_test(tc, test_search_plain);
	tcase_add_test(tc, test_move_and_copy);
	tcase_add_test(tc, test_move_fallback);
	tcase_add_test(tc, test_idle);
	tcase_add_test(tc, test_list_names);
	tcase_add_test(tc, test_id_enable_namespace);
	tcase_add_test(tc, test_no_id);
	tcase_add_test(tc, test_caps_after_login);
	suite_add_tcase(s, tc);
	return s;
}
