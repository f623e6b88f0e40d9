/* The overall deadline of a transfer (net_deadline_set): a server that
 * trickles a byte at a time, always within the timeout of each wait, is
 * still cut off once the transfer has taken the timeout plus its size at
 * NET_FLOOR_RATE: an IMAP UID FETCH, a POP3 RETR, an SMTP DATA. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/imap.h"
#include "pop3/pop3.h"
#include "smtp/smtp.h"
#include "peer.h"

/* Each wait may take 800 ms; the peers below send a byte every 60 ms, so
 * only the overall deadline (0.8 s + about 0.5 s for the sizes here) can
 * stop them, long before their 4 s or more of trickling ends. */
#define WAIT_MS 800
#define TRICKLE "TRICKLE:60:"
#define BOUND_MS 2500

static int
sink(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	(void)ctx;
	(void)p;
	(void)n;
	(void)err;
	return 0;
}

static int
f_begin(void *ctx, const struct imap_fetch_msg *m, uint64_t size, struct qu_err *err)
{
	(void)ctx;
	(void)m;
	(void)size;
	(void)err;
	return 0;
}

static int
f_msg(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r, struct qu_err *err)
{
	(void)ctx;
	(void)m;
	(void)r;
	(void)err;
	return 0;
}

static void
assert_timed_out(int rc, const struct qu_err *err, int64_t t0)
{
	int64_t took = qu_now_ms() - t0;
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err->cls, QU_E_TEMPFAIL);
	ck_assert_msg(qu_err_is(err, QU_R_TIMEOUT), "not a timeout: %s", err->msg);
	ck_assert_msg(took < BOUND_MS, "took %lld ms", (long long)took);
	ck_assert_msg(took >= WAIT_MS, "took only %lld ms", (long long)took);
}

START_TEST(test_imap_fetch_trickle)
{
	static const char *const script[] = {
		"S:* PREAUTH [CAPABILITY IMAP4rev1] ready",
		"C:Q1 UID FETCH 7 (UID FLAGS BODY.PEEK[])",
		TRICKLE "* 1 FETCH (UID 7 FLAGS () BODY[] {20}",
		TRICKLE "01234567890123456789)",
		TRICKLE "Q1 OK done",
		NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct imap_opts o = {.host = "127.0.0.1", .port = p.port, .tls = NET_TLS_NONE,
			      .net = {.timeout_ms = WAIT_MS}};
	struct imap_session *s = imap_session_open(&o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	uint32_t uids[] = {7};
	uint64_t sizes[] = {20};
	struct imap_fetch_plan plan = {.uids = uids, .sizes = sizes, .n = 1};
	static const struct imap_fetch_handler h = {f_begin, sink, f_msg};
	int64_t t0 = qu_now_ms();
	int rc = imap_session_fetch_bodies(s, &plan, &h, NULL, &err);
	assert_timed_out(rc, &err, t0);
	imap_session_close(s);
	peer_finish(&p);
}
END_TEST

static int
p_begin(void *ctx, size_t i, struct qu_err *err)
{
	(void)ctx;
	(void)i;
	(void)err;
	return 0;
}

static int
p_end(void *ctx, size_t i, uint64_t octets, struct qu_err *err)
{
	(void)ctx;
	(void)i;
	(void)octets;
	(void)err;
	return 0;
}

START_TEST(test_pop3_retr_trickle)
{
	static const char *const script[] = {
		"S:+OK ready", "C:CAPA", "S:+OK", "S:USER", "S:UIDL", "S:.", "C:USER alice",
		"S:+OK", "C:PASS secret", "S:+OK in", "C:RETR 1", "S:+OK",
		TRICKLE "Subject: a slow one, sent a byte at a time", TRICKLE ".", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_opts o = {.host = "127.0.0.1", .port = p.port, .tls = NET_TLS_NONE,
			      .net = {.timeout_ms = WAIT_MS}};
	struct pop3_session *s = pop3_session_open(&o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct net_sasl_creds c = {.user = "alice", .secret = "secret", .host = "127.0.0.1"};
	ck_assert_msg(pop3_session_auth(s, &c, true, NULL, &err) == 0, "%s", err.msg);
	uint32_t nums[] = {1};
	uint64_t sizes[] = {44};
	struct pop3_retr_handler h = {p_begin, sink, p_end, NULL, sizes};
	int64_t t0 = qu_now_ms();
	int rc = pop3_session_retr_many(s, nums, 1, &h, NULL, &err);
	assert_timed_out(rc, &err, t0);
	pop3_session_close(s);
	peer_finish(&p);
}
END_TEST

START_TEST(test_smtp_data_trickle)
{
	/* The final reply to the data comes a byte at a time. */
	static const char *const script[] = {
		"S:220 mx", "C:EHLO client.test", "S:250 mx", "C:MAIL FROM:<alice@example.com>",
		"S:250 ok", "C:RCPT TO:<bob@example.com>", "S:250 ok", "C:DATA", "S:354 go",
		"C:Subject: hi", "C:", "C:hello", "C:.",
		TRICKLE "250 2.0.0 queued as 0123456789ABCDEFGHIJ0123456789ABCDEFGHIJ", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct smtp_opts o = {.host = "127.0.0.1", .port = p.port, .tls = NET_TLS_NONE,
			      .helo_name = "client.test", .net = {.timeout_ms = WAIT_MS}};
	struct smtp_session *s = smtp_session_open(&o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	static const char *const rcpt[] = {"bob@example.com"};
	const char *data = "Subject: hi\r\n\r\nhello\r\n";
	struct smtp_msg m = {.env = {.from = "alice@example.com", .rcpt = rcpt, .n_rcpt = 1},
			     .data = data, .len = strlen(data)};
	struct smtp_result r;
	int64_t t0 = qu_now_ms();
	int rc = smtp_send(s, &m, &r, &err);
	int64_t took = qu_now_ms() - t0;
	/* Cut off in the data phase: not sent, and said so. */
	ck_assert_int_ne(r.outcome, SMTP_OUTCOME_SENT);
	ck_assert_msg(took < BOUND_MS, "took %lld ms (rc %d)", (long long)took, rc);
	ck_assert_msg(took >= WAIT_MS, "took only %lld ms", (long long)took);
	smtp_result_clear(&r);
	smtp_session_close(s);
	peer_finish(&p);
}
END_TEST

Suite *deadline_suite(void);

Suite *
deadline_suite(void)
{
	Suite *s = suite_create("deadline");
	TCase *tc = tcase_create("trickle");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_imap_fetch_trickle);
	tcase_add_test(tc, test_pop3_retr_trickle);
	tcase_add_test(tc, test_smtp_data_trickle);
	suite_add_tcase(s, tc);
	return s;
}
