/* imap_session_quit against scripted servers: once every command was
 * answered it sends LOGOUT and closes without waiting for the BYE and OK
 * (a client still waiting would hang here until Check's timeout ends the
 * test: the server never answers); over TLS too. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/imap.h"
#include "peer.h"

#define GREET "S:* OK [CAPABILITY IMAP4rev1] hi"

/* Opens a session to the peer (TLS when ca is given), runs one NOOP, then
 * quits; returns what the peer says about the script. */
static int
noop_then_quit(const char *const *script, const char *ca)
{
	struct peer p;
	peer_start(&p, script);
	/* A client waiting for a reply outlives the test's own timeout. */
	struct imap_opts o = {.host = "127.0.0.1", .port = p.port,
			      .tls = ca ? NET_TLS_IMPLICIT : NET_TLS_NONE,
			      .net = {.timeout_ms = 30000, .ca_file = ca}};
	struct qu_err err;
	qu_err_clear(&err);
	struct imap_session *s = imap_session_open(&o, &err);
	ck_assert_msg(s != NULL, "open: %s", err.msg);
	ck_assert_int_eq(imap_session_noop(s, &err), 0);
	imap_session_quit(s);
	return peer_finish(&p);
}

START_TEST(quit_plain)
{
	const char *script[] = {GREET, "C:Q1 NOOP", "S:Q1 OK", "C:Q2 LOGOUT", "NOMORE", NULL};
	ck_assert_int_eq(noop_then_quit(script, NULL), 0);
}
END_TEST

START_TEST(quit_tls)
{
	const char *ca = peer_tls_ca();
	const char *script[] = {"TLS", GREET, "C:Q1 NOOP", "S:Q1 OK", "C:Q2 LOGOUT", "NOMORE",
				NULL};
	ck_assert_int_eq(noop_then_quit(script, ca), 0);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("imap-session");
	TCase *tc = tcase_create("quit");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, quit_plain);
	tcase_add_test(tc, quit_tls);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
