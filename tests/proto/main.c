/* Runs the protocol suites; every case forks, so a crash fails one case. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>

Suite *net_suite(void);
Suite *sessions_suite(void);
Suite *pop3_suite(void);
Suite *imap_session_suite(void);
Suite *imap_live_suite(void);
Suite *app_live_suite(void);
Suite *smtp_send_suite(void);
Suite *tls_reasons_suite(void);
Suite *deadline_suite(void);
Suite *limits_suite(void);

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	SRunner *sr = srunner_create(net_suite());
	srunner_add_suite(sr, sessions_suite());
	srunner_add_suite(sr, pop3_suite());
	srunner_add_suite(sr, imap_session_suite());
	srunner_add_suite(sr, imap_live_suite());
	srunner_add_suite(sr, app_live_suite());
	srunner_add_suite(sr, smtp_send_suite());
	srunner_add_suite(sr, tls_reasons_suite());
	srunner_add_suite(sr, deadline_suite());
	srunner_add_suite(sr, limits_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
