/* What a hostile server's listings may cost: a LIST of many names (and
 * each twice, and LIST-STATUS answers for them) is merged in O(n log n),
 * and a POP3 LIST has a cap on its entries. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/imap.h"
#include "pop3/pop3.h"
#include "peer.h"

/* 100000 names, each listed twice (the second time in reverse order),
 * then a STATUS for each: a linear search per line would make 3 * 10^10
 * comparisons here. */
#define NAMES 100000

START_TEST(test_imap_list_many)
{
	struct qu_buf blob;
	qu_buf_init(&blob, SIZE_MAX);
	for (int i = 0; i < NAMES; i++)
		qu_buf_printf(&blob, "* LIST () \"/\" f%d\r\n", i);
	for (int i = NAMES - 1; i >= 0; i--)
		qu_buf_printf(&blob, "* LIST (\\Marked) \"/\" f%d\r\n", i);
	for (int i = 0; i < NAMES; i++)
		qu_buf_printf(&blob, "* STATUS f%d (MESSAGES %d)\r\n", i, i);
	qu_buf_append_str(&blob, "Q1 OK done\r\n");
	char *r = xasprintf("R:%s", blob.data);
	const char *script[] = {
		"S:* PREAUTH [CAPABILITY IMAP4rev1 LIST-STATUS] ready",
		"C:Q1 LIST \"\" \"*\" RETURN (STATUS (MESSAGES))",
		r, "C:Q2 LOGOUT", "S:* BYE bye", "S:Q2 OK", NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct imap_opts o = {.host = "127.0.0.1", .port = p.port, .tls = NET_TLS_NONE,
			      .net = {.timeout_ms = 20000}};
	struct imap_session *s = imap_session_open(&o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct imap_list l;
	int64_t t0 = qu_now_ms();
	ck_assert_msg(imap_session_list(s, "", "*", 0, IMAP_MB_HAVE_MESSAGES, &l, &err) == 0, "%s",
		      err.msg);
	int64_t took = qu_now_ms() - t0;
	ck_assert_uint_eq(l.n, NAMES);
	ck_assert_str_eq(l.v[0].name, "f0");
	ck_assert_str_eq(l.v[NAMES - 1].name, "f99999");
	ck_assert(l.v[7].attrs & IMAP_LIST_MARKED);
	ck_assert_uint_eq(l.v[12345].status.messages, 12345);
	ck_assert_msg(took < 15000, "took %lld ms", (long long)took);
	imap_list_clear(&l);
	imap_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	free(r);
	qu_buf_clear(&blob);
}
END_TEST

/* A POP3 LIST of more than 10^6 entries is refused, not stored. */
START_TEST(test_pop3_list_cap)
{
	struct qu_buf blob;
	qu_buf_init(&blob, SIZE_MAX);
	qu_buf_append_str(&blob, "+OK\r\n");
	for (int i = 1; i <= 1000001; i++)
		qu_buf_printf(&blob, "%d 1\r\n", i);
	qu_buf_append_str(&blob, ".\r\n");
	char *r = xasprintf("R:%s", blob.data);
	const char *script[] = {
		"S:+OK ready", "C:CAPA", "S:+OK", "S:USER", "S:UIDL", "S:.", "C:USER alice",
		"S:+OK", "C:PASS secret", "S:+OK in", "C:LIST", r, NULL,
	};
	struct peer p;
	struct qu_err err;
	peer_start(&p, script);
	struct pop3_opts o = {.host = "127.0.0.1", .port = p.port, .tls = NET_TLS_NONE,
			      .net = {.timeout_ms = 20000}};
	struct pop3_session *s = pop3_session_open(&o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct net_sasl_creds c = {.user = "alice", .secret = "secret", .host = "127.0.0.1"};
	ck_assert_msg(pop3_session_auth(s, &c, true, NULL, &err) == 0, "%s", err.msg);
	struct pop3_listing l;
	ck_assert_int_eq(pop3_session_listing(s, &l, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 1000000 messages"));
	pop3_session_close(s);
	peer_finish(&p);
	free(r);
	qu_buf_clear(&blob);
}
END_TEST

Suite *limits_suite(void);

Suite *
limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("listings");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_imap_list_many);
	tcase_add_test(tc, test_pop3_list_cap);
	suite_add_tcase(s, tc);
	return s;
}
