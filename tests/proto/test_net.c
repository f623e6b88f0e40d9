/* net_conn over a scripted peer: lines, literals, streams, the trace,
 * STARTTLS injection, timeouts and closed connections. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "net/net.h"
#include "peer.h"

struct trace_log {
	struct qu_buf b;
};

static void
collect(void *ctx, char dir, const char *line, size_t len)
{
	struct trace_log *t = ctx;
	qu_buf_printf(&t->b, "%c: %.*s\n", dir, (int)len, line);
}

static struct net_conn *
open_plain(struct peer *p, int timeout_ms, const struct qu_trace *tr)
{
	struct net_opts o = {.timeout_ms = timeout_ms, .max_line = 64, .trace = tr};
	struct qu_err err;
	struct net_conn *c = net_connect("127.0.0.1", p->port, NET_TLS_NONE, &o, &err);
	ck_assert_msg(c != NULL, "connect: %s", err.msg);
	return c;
}

START_TEST(test_lines_and_literals)
{
	static const char *const script[] = {
		"R:first\r\nsecond\nabcdefXYZ", "R:tail\r\n", "CLOSE", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct net_conn *c = open_plain(&p, 5000, NULL);
	struct qu_err err;
	const char *l;
	size_t n;
	ck_assert_int_eq(net_read_line(c, &l, &n, &err), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(memcmp(l, "first\r\n", 7), 0);
	ck_assert_int_eq(net_read_line(c, &l, &n, &err), 0);
	ck_assert_uint_eq(n, 7); /* a bare LF line keeps its end as sent */
	char six[6];
	ck_assert_int_eq(net_read_n(c, six, 6, &err), 0);
	ck_assert_int_eq(memcmp(six, "abcdef", 6), 0);
	ck_assert_int_eq(net_read_line(c, &l, &n, &err), 0);
	ck_assert_int_eq(memcmp(l, "XYZtail\r\n", n), 0);
	ck_assert_int_eq(net_read_line(c, &l, &n, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "connection closed by server"));
	net_conn_free(c);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_line_too_long)
{
	static const char *const script[] = {
		"R:0123456789012345678901234567890123456789012345678901234567890123456789\r\n",
		"CLOSE", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct net_conn *c = open_plain(&p, 5000, NULL);
	struct qu_err err;
	const char *l;
	size_t n;
	ck_assert_int_eq(net_read_line(c, &l, &n, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_DATA);
	net_conn_free(c);
	peer_finish(&p);
}
END_TEST

struct sink_state {
	size_t calls, total;
	struct qu_buf got;
};

static int
sink(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct sink_state *s = ctx;
	s->calls++;
	s->total += n;
	qu_buf_append(&s->got, p, n);
	return 0;
}

START_TEST(test_stream)
{
	static char body[300001];
	memset(body, 'x', sizeof body - 1);
	body[0] = 'R';
	body[1] = ':';
	static const char *script[] = {"S:* 1 FETCH {299998}", NULL, "S:)", "CLOSE", NULL};
	script[1] = body;
	struct peer p;
	peer_start(&p, script);
	struct net_conn *c = open_plain(&p, 5000, NULL);
	struct qu_err err;
	const char *l;
	size_t n;
	ck_assert_int_eq(net_read_line(c, &l, &n, &err), 0);
	struct sink_state s = {0};
	qu_buf_init(&s.got, SIZE_MAX);
	ck_assert_int_eq(net_read_stream(c, 299998, sink, &s, &err), 0);
	ck_assert_uint_eq(s.total, 299998);
	ck_assert_uint_gt(s.calls, 1); /* handed over in chunks */
	ck_assert_int_eq(memcmp(s.got.data, body + 2, 299998), 0);
	ck_assert_int_eq(net_read_line(c, &l, &n, &err), 0);
	ck_assert_int_eq(memcmp(l, ")\r\n", 3), 0);
	qu_buf_clear(&s.got);
	net_conn_free(c);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

START_TEST(test_secret_redacted)
{
	static const char *const script[] = {"C:a LOGIN alice hunter2", "C:b NOOP", "CLOSE", NULL};
	struct peer p;
	peer_start(&p, script);
	struct trace_log log;
	qu_buf_init(&log.b, SIZE_MAX);
	struct qu_trace tr = {collect, &log};
	struct net_conn *c = open_plain(&p, 5000, &tr);
	struct qu_err err;
	ck_assert_int_eq(net_write(c, "a LOGIN alice ", 14, &err), 0);
	ck_assert_int_eq(net_write_secret(c, "hunter2", 7, &err), 0);
	ck_assert_int_eq(net_printf(c, &err, "\r\nb NOOP\r\n"), 0);
	ck_assert_int_eq(net_flush(c, &err), 0);
	net_conn_free(c);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_ptr_nonnull(strstr(log.b.data, "C: a LOGIN alice <redacted>\n"));
	ck_assert_ptr_nonnull(strstr(log.b.data, "C: b NOOP\n"));
	ck_assert_ptr_null(strstr(log.b.data, "hunter2"));
	qu_buf_clear(&log.b);
}
END_TEST

START_TEST(test_starttls_injection_discarded)
{
	/* The reply to STARTTLS and an injected line arrive in one segment: the
	 * injected bytes must be dropped, not read as coming over TLS. */
	static const char *const script[] = {"C:STARTTLS", "R:OK go\r\n* injected\r\n",
					     "SLEEP:200", "CLOSE", NULL};
	struct peer p;
	peer_start(&p, script);
	struct net_conn *c = open_plain(&p, 5000, NULL);
	struct qu_err err;
	const char *l;
	size_t n;
	ck_assert_int_eq(net_printf(c, &err, "STARTTLS\r\n"), 0);
	ck_assert_int_eq(net_flush(c, &err), 0);
	/* Wait until both lines are here, as an attacker would arrange. */
	struct timespec ts = {0, 100 * 1000000};
	nanosleep(&ts, NULL);
	ck_assert_int_eq(net_read_line(c, &l, &n, &err), 0);
	ck_assert(net_has_buffered(c));
	size_t discarded = 0;
	ck_assert_int_eq(net_tls_start(c, &discarded, &err), -1);
	ck_assert_uint_eq(discarded, strlen("* injected\r\n"));
	ck_assert(!net_has_buffered(c));
	/* The peer then hangs up mid-handshake: lost, not refused. */
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	net_conn_free(c);
	peer_finish(&p);
}
END_TEST

START_TEST(test_timeout)
{
	static const char *const script[] = {"SLEEP:3000", "CLOSE", NULL};
	struct peer p;
	peer_start(&p, script);
	struct net_conn *c = open_plain(&p, 500, NULL);
	struct qu_err err;
	const char *l;
	size_t n;
	int64_t t0 = qu_now_ms();
	ck_assert_int_eq(net_read_line(c, &l, &n, &err), -1);
	int64_t dt = qu_now_ms() - t0;
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "timed out"));
	ck_assert(dt >= 400 && dt < 2500);
	net_conn_free(c);
	peer_finish(&p);
}
END_TEST

START_TEST(test_connect_refused)
{
	/* A port that was just free: bind, learn, close. */
	struct peer p;
	static const char *const script[] = {"CLOSE", NULL};
	peer_start(&p, script);
	struct net_opts o = {.timeout_ms = 2000};
	struct qu_err err;
	struct net_conn *c = net_connect("127.0.0.1", p.port, NET_TLS_NONE, &o, &err);
	ck_assert_ptr_nonnull(c);
	net_conn_free(c);
	peer_finish(&p);
	c = net_connect("127.0.0.1", p.port, NET_TLS_NONE, &o, &err);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
}
END_TEST

Suite *net_suite(void);

Suite *
net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("conn");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_lines_and_literals);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_stream);
	tcase_add_test(tc, test_secret_redacted);
	tcase_add_test(tc, test_starttls_injection_discarded);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_connect_refused);
	suite_add_tcase(s, tc);
	return s;
}
