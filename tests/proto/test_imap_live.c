/* The IMAP commands an interactive client uses, against scripted peers:
 * IDLE woken by the caller and by its deadline, changes reported as they
 * come, conditional STORE with MODIFIED, MOVE without MOVE or UIDPLUS,
 * refusals with their response code, message summaries and one part
 * streamed. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/imap.h"
#include "peer.h"

#define PREAUTH(caps) "S:* PREAUTH [CAPABILITY IMAP4rev1 " caps "] ready"
#define LOGOUT(n) "C:Q" #n " LOGOUT", "S:* BYE bye", "S:Q" #n " OK"

static struct imap_session *
open_peer(struct peer *p, const char *const *script, int timeout_ms, struct qu_err *err)
{
	peer_start(p, script);
	struct imap_opts o = {.host = "127.0.0.1", .port = p->port, .tls = NET_TLS_NONE,
			      .net = {.timeout_ms = timeout_ms}};
	return imap_session_open(&o, err);
}

/* Events as text, and a wake pipe written on the first EXISTS. */
struct evlog {
	struct qu_buf b;
	int wake_w;
};

static int
ev_fn(void *ctx, const struct imap_event *ev, struct qu_err *err)
{
	struct evlog *l = ctx;
	(void)err;
	qu_buf_printf(&l->b, "[%s", imap_event_kind_name(ev->kind));
	if (ev->kind == IMAP_EVENT_FETCH)
		qu_buf_printf(&l->b, " seq=%u uid=%u flags=%x modseq=%llu", (unsigned)ev->msg->seq,
			      (unsigned)ev->msg->uid, ev->msg->flags,
			      (unsigned long long)ev->msg->modseq);
	else if (ev->kind == IMAP_EVENT_VANISHED)
		qu_buf_printf(&l->b, " %s%s", ev->earlier ? "earlier " : "", ev->uids);
	else
		qu_buf_printf(&l->b, " %u", (unsigned)ev->num);
	qu_buf_append_byte(&l->b, ']');
	if (ev->kind == IMAP_EVENT_EXISTS && l->wake_w >= 0) {
		ck_assert_int_eq(write(l->wake_w, "x", 1), 1);
		l->wake_w = -1;
	}
	return 0;
}

/* IDLE entered, EXISTS reported, the wake descriptor ends it with DONE,
 * and what came between DONE and the OK is reported too. */
START_TEST(test_idle_woken)
{
	static const char *const script[] = {
		PREAUTH("IDLE"),
		"C:Q1 IDLE", "S:+ idling", "S:* OK still here", "S:* 5 EXISTS",
		"C:DONE", "S:* 2 EXPUNGE", "S:Q1 OK idle done",
		"C:Q2 NOOP", "S:Q2 OK",
		LOGOUT(3), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	struct evlog l = {.wake_w = pfd[1]};
	qu_buf_init(&l.b, 4096);
	int64_t t0 = qu_now_ms();
	int rc = imap_session_idle_run(s, pfd[0], 20000, ev_fn, &l, &err);
	ck_assert_msg(rc == 1, "rc %d: %s", rc, err.msg);
	ck_assert_int_lt(qu_now_ms() - t0, 2000);
	ck_assert_str_eq(l.b.data, "[exists 5][expunge 2]");
	ck_assert_int_eq(imap_session_noop_events(s, NULL, NULL, &err), 0);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	qu_buf_clear(&l.b);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

/* Nothing happens: the deadline ends IDLE (0), the session stays usable;
 * a FETCH and VANISHED while idle are reported. */
START_TEST(test_idle_deadline)
{
	static const char *const script[] = {
		PREAUTH("IDLE"),
		"C:Q1 IDLE", "S:+ idling",
		"S:* 3 FETCH (UID 9 FLAGS (\\Seen $Forwarded) MODSEQ (77))",
		"S:* VANISHED 4:5,8", "S:* VANISHED (EARLIER) 1",
		"S:* VANISHED x;rm", /* malformed: not reported */
		"C:DONE", "S:Q1 OK",
		LOGOUT(2), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct evlog l = {.wake_w = -1};
	qu_buf_init(&l.b, 4096);
	int64_t t0 = qu_now_ms();
	int rc = imap_session_idle_run(s, -1, 300, ev_fn, &l, &err);
	int64_t took = qu_now_ms() - t0;
	ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
	ck_assert_int_ge(took, 300);
	ck_assert_int_lt(took, 2000);
	ck_assert_str_eq(l.b.data, "[fetch seq=3 uid=9 flags=41 modseq=77][vanished 4:5,8]"
				   "[vanished earlier 1]");
	ck_assert(!imap_session_broken(s));
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	qu_buf_clear(&l.b);
}
END_TEST

/* The server ends IDLE on its own; a server without IDLE is told apart. */
START_TEST(test_idle_server_ends)
{
	static const char *const script[] = {
		PREAUTH("IDLE"),
		"C:Q1 IDLE", "S:+ idling", "S:Q1 OK enough idling",
		"C:Q2 IDLE", "S:Q2 NO [INUSE] not now",
		LOGOUT(3), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_idle_run(s, -1, 5000, NULL, NULL, &err), 0);
	ck_assert_int_eq(imap_session_idle_run(s, -1, 5000, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert(qu_err_is(&err, QU_R_REFUSED));
	ck_assert_str_eq(err.code, "INUSE");
	ck_assert(!imap_session_broken(s));
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_idle_not_offered)
{
	static const char *const script[] = {PREAUTH(""), LOGOUT(1), NULL};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_idle_run(s, -1, 100, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* The connection drops while idling: an error, never a hang. */
START_TEST(test_idle_connection_lost)
{
	static const char *const script[] = {
		PREAUTH("IDLE"), "C:Q1 IDLE", "S:+ idling", "S:* BYE shutting down", "CLOSE", NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_idle_run(s, -1, 5000, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert(imap_session_broken(s));
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* RFC 7162 §3.1.3: UNCHANGEDSINCE, the new flags back, MODIFIED kept. */
START_TEST(test_store_modified)
{
	static const char *const script[] = {
		PREAUTH("CONDSTORE"),
		"C:Q1 UID STORE 7,9,12 (UNCHANGEDSINCE 320) +FLAGS (\\Flagged)",
		"S:* 1 FETCH (UID 7 FLAGS (\\Flagged) MODSEQ (321))",
		"S:* 3 FETCH (UID 12 FLAGS (\\Seen \\Flagged) MODSEQ (322))",
		"S:Q1 OK [MODIFIED 9] conditional store partly failed",
		"C:Q2 UID STORE 4 -FLAGS.SILENT (\\Seen)", "S:Q2 OK",
		"C:Q3 UID STORE 4 FLAGS (\\Deleted)", "S:Q3 NO [CANNOT] read-only",
		LOGOUT(4), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct evlog l = {.wake_w = -1};
	qu_buf_init(&l.b, 4096);
	uint32_t *mod = NULL;
	size_t nmod = 0;
	ck_assert_msg(imap_session_uid_store_cond(s, "7,9,12", '+', IMAP_FLAG_FLAGGED, 320, ev_fn, &l,
						  &mod, &nmod, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(nmod, 1);
	ck_assert_uint_eq(mod[0], 9);
	free(mod);
	ck_assert_str_eq(l.b.data,
			 "[fetch seq=1 uid=7 flags=4 modseq=321][fetch seq=3 uid=12 flags=5 modseq=322]");
	ck_assert_int_eq(imap_session_uid_store_cond(s, "4", '-', IMAP_FLAG_SEEN, 0, NULL, NULL, &mod,
						     &nmod, &err), 0);
	ck_assert_uint_eq(nmod, 0);
	ck_assert_ptr_null(mod);
	ck_assert_int_eq(imap_session_uid_store_cond(s, "4", '=', IMAP_FLAG_DELETED, 0, ev_fn, &l,
						     NULL, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_str_eq(err.code, "CANNOT");
	ck_assert_int_eq(imap_session_uid_store_cond(s, "4 FLAGS", '+', 0, 0, NULL, NULL, NULL, NULL,
						     &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	qu_buf_clear(&l.b);
}
END_TEST

/* UNCHANGEDSINCE is left out when the server has no CONDSTORE. */
START_TEST(test_store_without_condstore)
{
	static const char *const script[] = {
		PREAUTH(""), "C:Q1 UID STORE 5 +FLAGS.SILENT (\\Seen)", "S:Q1 OK", LOGOUT(2), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_uid_store_cond(s, "5", '+', IMAP_FLAG_SEEN, 99, NULL, NULL, NULL,
						     NULL, &err), 0);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* RFC 6851 §3.3 without MOVE and without UIDPLUS: COPY, STORE, EXPUNGE. */
START_TEST(test_move_without_move_or_uidplus)
{
	static const char *const script[] = {
		PREAUTH(""),
		"C:Q1 UID COPY 4:6 \"Trash\"", "S:Q1 OK copied",
		"C:Q2 UID STORE 4:6 +FLAGS.SILENT (\\Deleted)", "S:Q2 OK",
		"C:Q3 EXPUNGE", "S:* 1 EXPUNGE", "S:* 1 EXPUNGE", "S:* 1 EXPUNGE", "S:Q3 OK",
		LOGOUT(4), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_msg(imap_session_uid_copy(s, "4:6", "Trash", 5, true, NULL, &err) == 0, "%s",
		      err.msg);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* NO [TRYCREATE] on COPY: the reason says what to do next. */
START_TEST(test_copy_trycreate)
{
	static const char *const script[] = {
		PREAUTH("MOVE"),
		"C:Q1 UID COPY 3 \"Archive\"", "S:Q1 NO [TRYCREATE] no such mailbox",
		"C:Q2 UID MOVE 3 \"Archive\"", "S:Q2 BAD what",
		"C:Q3 EXPUNGE", "S:* 2 EXPUNGE", "S:* VANISHED 8", "S:Q3 OK",
		LOGOUT(4), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_uid_copy(s, "3", "Archive", 7, false, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert(qu_err_is(&err, QU_R_REFUSED));
	ck_assert_str_eq(err.code, "TRYCREATE");
	ck_assert_msg(strstr(err.msg, "TRYCREATE") != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_uid_copy(s, "3", "Archive", 7, true, NULL, &err), -1);
	ck_assert(qu_err_is(&err, QU_R_PROTOCOL)); /* BAD: the command was wrong */
	ck_assert_str_eq(err.code, "");
	struct evlog l = {.wake_w = -1};
	qu_buf_init(&l.b, 4096);
	ck_assert_int_eq(imap_session_expunge(s, ev_fn, &l, &err), 0);
	ck_assert_str_eq(l.b.data, "[expunge 2][vanished 8]");
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	qu_buf_clear(&l.b);
}
END_TEST

/* Selecting again after a loss (RFC 7162 §3.2.5.1): what changed while
 * away comes as events, VANISHED (EARLIER) included. */
START_TEST(test_select_events_qresync)
{
	static const char *const script[] = {
		PREAUTH("ENABLE CONDSTORE QRESYNC"),
		"C:Q1 ENABLE QRESYNC CONDSTORE", "S:* ENABLED QRESYNC CONDSTORE", "S:Q1 OK",
		"C:Q2 SELECT \"INBOX\" (QRESYNC (67890007 20050715194045000))",
		"S:* 314 EXISTS", "S:* OK [UIDVALIDITY 67890007] x",
		"S:* OK [HIGHESTMODSEQ 20050715194045500] x",
		"S:* VANISHED (EARLIER) 41,43:116",
		"S:* 49 FETCH (UID 117 FLAGS (\\Seen \\Answered) MODSEQ (20050715194045490))",
		"S:Q2 OK [READ-WRITE] done",
		LOGOUT(3), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(imap_session_enable(s, IMAP_ENABLE_QRESYNC, &err), 0);
	struct evlog l = {.wake_w = -1};
	qu_buf_init(&l.b, 4096);
	struct imap_qresync q = {.uidvalidity = 67890007, .modseq = 20050715194045000ull};
	struct imap_mailbox_status st;
	ck_assert_msg(imap_session_select_events(s, "INBOX", 5, false, &q, ev_fn, &l, &st, &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(l.b.data, "[exists 314][vanished earlier 41,43:116]"
				   "[fetch seq=49 uid=117 flags=3 modseq=20050715194045490]");
	ck_assert_uint_eq(st.messages, 314); /* EARLIER changes no count */
	ck_assert_uint_eq(st.highestmodseq, 20050715194045500ull);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	qu_buf_clear(&l.b);
}
END_TEST

struct sums {
	struct qu_buf b;
};

static int
sum_fn(void *ctx, const struct imap_summary *m, struct qu_err *err)
{
	struct sums *c = ctx;
	(void)err;
	qu_buf_printf(&c->b, "[uid=%u flags=%x size=%llu date=%s", (unsigned)m->uid, m->flags,
		      (unsigned long long)m->size, m->internaldate ? m->internaldate : "-");
	if (m->envelope)
		qu_buf_printf(&c->b, " subj=%s from=%s@%s",
			      m->envelope->subject ? m->envelope->subject : "-",
			      m->envelope->n_from ? m->envelope->from[0].mailbox : "-",
			      m->envelope->n_from ? m->envelope->from[0].host : "-");
	if (m->body)
		qu_buf_printf(&c->b, " parts=%zu %s/%s", m->body->n, m->body->parts[0].type,
			      m->body->parts[0].subtype);
	qu_buf_append_byte(&c->b, ']');
	return 0;
}

START_TEST(test_fetch_summaries)
{
	static const char *const script[] = {
		PREAUTH(""),
		"C:Q1 UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)",
		"S:* 1 FETCH (UID 4 FLAGS (\\Seen) INTERNALDATE \"01-Dec-2026 10:00:00 +0000\" "
		"RFC822.SIZE 120 ENVELOPE (\"Tue, 1 Dec 2026 10:00:00 +0000\" \"hello\" "
		"((\"Ann\" NIL \"ann\" \"example.org\")) NIL NIL NIL NIL NIL NIL \"<a@b>\") "
		"BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1)"
		"(\"application\" \"pdf\" NIL NIL NIL \"base64\" 40) \"mixed\"))",
		"S:* 2 FETCH (FLAGS (\\Deleted))", /* unsolicited: no UID, not reported */
		"S:* 3 FETCH (UID 6 FLAGS () RFC822.SIZE 9 ENVELOPE NIL BODYSTRUCTURE NIL)",
		"S:Q1 OK",
		"C:Q2 UID FETCH 4 (UID FLAGS INTERNALDATE RFC822.SIZE)", "S:Q2 OK",
		LOGOUT(3), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct sums c;
	qu_buf_init(&c.b, 4096);
	ck_assert_msg(imap_session_fetch_summaries(s, "1:*",
						   IMAP_SUMMARY_ENVELOPE | IMAP_SUMMARY_BODYSTRUCTURE,
						   sum_fn, &c, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(c.b.data, "[uid=4 flags=1 size=120 date=01-Dec-2026 10:00:00 +0000 "
				   "subj=hello from=ann@example.org parts=3 multipart/mixed]"
				   "[uid=6 flags=0 size=9 date=-]");
	ck_assert_int_eq(imap_session_fetch_summaries(s, "4", 0, sum_fn, &c, &err), 0);
	ck_assert_int_eq(imap_session_fetch_summaries(s, "4) (X", 0, sum_fn, &c, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	qu_buf_clear(&c.b);
}
END_TEST

static int
buf_sink(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	(void)err;
	return qu_buf_append(ctx, p, n);
}

/* One part streamed; a missing message and a quoted body. */
START_TEST(test_fetch_part)
{
	static const char *const script[] = {
		PREAUTH(""),
		"C:Q1 UID FETCH 4 (UID BODY.PEEK[1.2])",
		"S:* 1 FETCH (UID 4 BODY[1.2] {11}", "R:hello\r\nworld)\r\n", "S:Q1 OK",
		"C:Q2 UID FETCH 5 (UID BODY.PEEK[])", "S:Q2 OK",
		"C:Q3 UID FETCH 4 (UID BODY.PEEK[TEXT])",
		"S:* 1 FETCH (UID 4 BODY[TEXT] \"short\")", "S:Q3 OK",
		LOGOUT(4), NULL,
	};
	struct peer p;
	struct qu_err err;
	struct imap_session *s = open_peer(&p, script, 3000, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct qu_buf b;
	qu_buf_init(&b, 4096);
	uint64_t size = 0;
	ck_assert_msg(imap_session_fetch_part(s, 4, "1.2", buf_sink, &b, &size, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(size, 11);
	ck_assert_uint_eq(b.len, 11);
	ck_assert(memcmp(b.data, "hello\r\nworld", 11) == 0);
	ck_assert_int_eq(imap_session_fetch_part(s, 5, "", buf_sink, &b, &size, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert_str_eq(err.code, "NONEXISTENT");
	qu_buf_reset(&b);
	ck_assert_int_eq(imap_session_fetch_part(s, 4, "TEXT", buf_sink, &b, &size, &err), 0);
	ck_assert_str_eq(b.data, "short");
	ck_assert_int_eq(imap_session_fetch_part(s, 4, "1]<0>", buf_sink, &b, &size, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	qu_buf_clear(&b);
}
END_TEST

/* net_wait_readable: the server, the wake descriptor, the deadline, bytes
 * already buffered, and the cancel handle. */
START_TEST(test_net_wait_readable)
{
	int sv[2], pfd[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(pfd), 0);
	struct qu_cancel *cancel = qu_cancel_new();
	struct net_opts o = {.timeout_ms = 2000, .cancel = cancel};
	struct net_conn *c = net_conn_from_fd(sv[0], "peer", &o);
	struct qu_err err;
	int64_t t0 = qu_now_ms();
	ck_assert_int_eq(net_wait_readable(c, pfd[0], 50, &err), 0);
	ck_assert_int_ge(qu_now_ms() - t0, 50);
	ck_assert_int_eq(write(pfd[1], "w", 1), 1);
	ck_assert_int_eq(net_wait_readable(c, pfd[0], 5000, &err), 0);
	char x;
	ck_assert_int_eq(read(pfd[0], &x, 1), 1);
	ck_assert_int_eq(write(sv[1], "a\r\nb\r\n", 6), 6);
	ck_assert_int_eq(net_wait_readable(c, pfd[0], 5000, &err), 1);
	const char *line;
	size_t len;
	ck_assert_int_eq(net_read_line(c, &line, &len, &err), 0);
	/* "b" sits in the read buffer: poll() would not see it. */
	ck_assert_int_eq(net_wait_readable(c, -1, 5000, &err), 1);
	ck_assert_int_eq(net_read_line(c, &line, &len, &err), 0);
	qu_cancel_fire(cancel);
	ck_assert_int_eq(net_wait_readable(c, pfd[0], 5000, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	qu_cancel_reset(cancel);
	close(sv[1]);
	ck_assert_int_eq(net_wait_readable(c, pfd[0], 5000, &err), 1); /* the hang-up */
	ck_assert_int_eq(net_read_line(c, &line, &len, &err), -1);
	net_conn_free(c);
	qu_cancel_free(cancel);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

/* Raw DEFLATE (RFC 1951) of p with a sync flush, as a COMPRESS=DEFLATE
 * server sends it, appended to out. */
static void
deflate_to(z_stream *z, const char *p, size_t n, struct qu_buf *out)
{
	unsigned char buf[256];
	z->next_in = (unsigned char *)(uintptr_t)p;
	z->avail_in = (uInt)n;
	do {
		z->next_out = buf;
		z->avail_out = sizeof buf;
		ck_assert_int_ne(deflate(z, Z_SYNC_FLUSH), Z_STREAM_ERROR);
		qu_buf_append(out, buf, sizeof buf - z->avail_out);
	} while (z->avail_out == 0);
}

/* Compressed input that inflates to nothing (an empty sync flush) is not
 * something to read: the wait goes on to the socket. */
START_TEST(test_net_wait_readable_deflate)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct net_opts o = {.timeout_ms = 2000};
	struct net_conn *c = net_conn_from_fd(sv[0], "peer", &o);
	struct qu_err err;
	ck_assert_int_eq(net_compress_start(c, &err), 0);
	z_stream z;
	memset(&z, 0, sizeof z);
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	struct qu_buf b;
	qu_buf_init(&b, 1 << 20);
	/* A line that fills the read buffer (64 KiB lines: 65538 bytes)
	 * exactly, so the inflater stops before the marker after it. */
	char *big = xmalloc(65538);
	memset(big, 'x', 65536);
	memcpy(big + 65536, "\r\n", 2);
	deflate_to(&z, big, 65538, &b);
	free(big);
	deflate_to(&z, "", 0, &b); /* a flush marker alone */
	ck_assert_int_eq(write(sv[1], b.data, b.len), (ssize_t)b.len);
	ck_assert_int_eq(net_wait_readable(c, -1, 5000, &err), 1);
	const char *line;
	size_t len;
	ck_assert_msg(net_read_line(c, &line, &len, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(len, 65538);
	int64_t t0 = qu_now_ms();
	ck_assert_int_eq(net_wait_readable(c, -1, 100, &err), 0);
	ck_assert_int_ge(qu_now_ms() - t0, 100);
	qu_buf_reset(&b);
	deflate_to(&z, "bc\r\n", 4, &b);
	ck_assert_int_eq(write(sv[1], b.data, b.len), (ssize_t)b.len);
	ck_assert_int_eq(net_wait_readable(c, -1, 5000, &err), 1);
	ck_assert_int_eq(net_read_line(c, &line, &len, &err), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert(memcmp(line, "bc\r\n", 4) == 0);
	deflateEnd(&z);
	qu_buf_clear(&b);
	net_conn_free(c);
	close(sv[1]);
}
END_TEST

Suite *imap_live_suite(void);

Suite *
imap_live_suite(void)
{
	Suite *s = suite_create("imap-live");
	TCase *tc = tcase_create("commands");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_net_wait_readable);
	tcase_add_test(tc, test_net_wait_readable_deflate);
	tcase_add_test(tc, test_idle_woken);
	tcase_add_test(tc, test_idle_deadline);
	tcase_add_test(tc, test_idle_server_ends);
	tcase_add_test(tc, test_idle_not_offered);
	tcase_add_test(tc, test_idle_connection_lost);
	tcase_add_test(tc, test_store_modified);
	tcase_add_test(tc, test_store_without_condstore);
	tcase_add_test(tc, test_move_without_move_or_uidplus);
	tcase_add_test(tc, test_copy_trycreate);
	tcase_add_test(tc, test_select_events_qresync);
	tcase_add_test(tc, test_fetch_summaries);
	tcase_add_test(tc, test_fetch_part);
	suite_add_tcase(s, tc);
	return s;
}
