#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util/util.h"

#include "config/config.h"

static char *
run(const char *cmd, struct qu_err *err)
{
	struct cfg_account a;
	memset(&a, 0, sizeof a);
	a.password_command = (char *)cmd;
	return cfg_password(&a, err);
}

static const struct {
	const char *cmd;
	const char *want;
} good[] = {
	{"echo s3cret", "s3cret"},
	{"printf 's3cret'", "s3cret"},
	{"printf 'pass word\\r\\n'", "pass word"},
	{"printf 'first\\nsecond\\n'", "first"},
	{"printf ' spaced \\n'", " spaced "},
	{"echo noise >&2; echo pw", "pw"},
	{"printf '\\345\\257\\206\\n'", "\xe5\xaf\x86"},
	{"x=1; test $x = 1 && echo shell-syntax", "shell-syntax"},
};

START_TEST(test_good)
{
	struct qu_err err;
	char *pw = run(good[_i].cmd, &err);
	ck_assert_msg(pw != NULL, "%s: %s", good[_i].cmd, err.msg);
	ck_assert_str_eq(pw, good[_i].want);
	qu_free_secret(pw);
}
END_TEST

START_TEST(test_exit_status)
{
	struct qu_err err;
	ck_assert_ptr_null(run("echo leaked; exit 3", &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_str_eq(err.msg, "password_command exited with status 3");
	ck_assert_ptr_null(strstr(err.msg, "leaked"));
	ck_assert_ptr_null(run("false", &err));
	ck_assert_str_eq(err.msg, "password_command exited with status 1");
	ck_assert_ptr_null(run("/nonexistent/quail-test-cmd", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "status 127"));
	ck_assert_ptr_null(run("kill -9 $$", &err));
	ck_assert_str_eq(err.msg, "password_command killed by signal 9");
}
END_TEST

START_TEST(test_empty)
{
	struct qu_err err;
	ck_assert_ptr_null(run("true", &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_str_eq(err.msg, "password_command printed nothing");
	ck_assert_ptr_null(run("echo", &err));
	ck_assert_str_eq(err.msg, "password_command printed nothing");
	ck_assert_ptr_null(run("printf '\\nsecond\\n'", &err));
	ck_assert_str_eq(err.msg, "password_command printed nothing");
}
END_TEST

START_TEST(test_stdin_is_dev_null)
{
	/* A command reading stdin must see EOF at once, not hang on ours. */
	struct qu_err err;
	ck_assert_ptr_null(run("cat", &err));
	ck_assert_str_eq(err.msg, "password_command printed nothing");
	char *pw = run("read x; echo \"got${x}\"", &err);
	ck_assert_str_eq(pw, "got");
	qu_free_secret(pw);
}
END_TEST

START_TEST(test_large_output)
{
	/* Far more than the kept part: read to the end, no SIGPIPE, no hang. */
	struct qu_err err;
	char *pw = run("echo tok; head -c 1000000 /dev/zero", &err);
	ck_assert_msg(pw != NULL, "%s", err.msg);
	ck_assert_str_eq(pw, "tok");
	qu_free_secret(pw);
	pw = run("head -c 100000 /dev/zero | tr '\\0' a", &err);
	ck_assert_ptr_nonnull(pw);
	ck_assert_uint_eq(strlen(pw), 16384);
	qu_free_secret(pw);
}
END_TEST

START_TEST(test_password_in_account)
{
	struct cfg_account a;
	memset(&a, 0, sizeof a);
	a.password = "frompw";
	a.password_command = "echo cmdpw";
	struct qu_err err;
	char *pw = cfg_password(&a, &err);
	ck_assert_str_eq(pw, "frompw");
	qu_free_secret(pw);
}
END_TEST

START_TEST(test_neither)
{
	struct cfg_account a;
	memset(&a, 0, sizeof a);
	struct qu_err err;
	qu_err_set(&err, QU_E_AUTH, "stale");
	ck_assert_ptr_null(cfg_password(&a, &err));
	ck_assert_int_eq(err.cls, QU_E_OK);
}
END_TEST

START_TEST(test_no_zombie)
{
	struct qu_err err;
	for (int i = 0; i < 50; i++) {
		char *pw = run("echo x", &err);
		qu_free_secret(pw);
	}
	/* Every child was waited for. */
	ck_assert_int_lt(waitpid(-1, NULL, WNOHANG), 0);
}
END_TEST

/* Started, then the caller works (here: sleeps) while the command runs. */
START_TEST(test_two_steps)
{
	struct cfg_account a;
	memset(&a, 0, sizeof a);
	a.password_command = "echo started; sleep 0.2; echo late >&2";
	struct cfg_password_job j;
	struct qu_err err;
	int64_t t0 = qu_now_ms();
	ck_assert_int_eq(cfg_password_start(&a, &j, &err), 0);
	ck_assert_int_gt(j.pid, 0);
	ck_assert_int_lt(qu_now_ms() - t0, 150); /* start does not wait for it */
	char *pw = cfg_password_finish(&j, &err);
	ck_assert_msg(pw != NULL, "%s", err.msg);
	ck_assert_str_eq(pw, "started");
	ck_assert_int_eq(j.pid, 0);
	qu_free_secret(pw);
	ck_assert_int_lt(waitpid(-1, NULL, WNOHANG), 0);

	/* A failing command is said by finish. */
	a.password_command = "exit 3";
	ck_assert_int_eq(cfg_password_start(&a, &j, &err), 0);
	ck_assert_ptr_null(cfg_password_finish(&j, &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert(strstr(err.msg, "status 3") != NULL);

	/* A password in the account: nothing is run. */
	a.password = "frompw";
	ck_assert_int_eq(cfg_password_start(&a, &j, &err), 0);
	ck_assert_int_eq(j.pid, 0);
	pw = cfg_password_finish(&j, &err);
	ck_assert_str_eq(pw, "frompw");
	qu_free_secret(pw);
}
END_TEST

static Suite *
password_suite(void)
{
	Suite *s = suite_create("config-password");
	TCase *tc = tcase_create("password");
	tcase_add_loop_test(tc, test_good, 0, (int)QU_ARRAY_LEN(good));
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_stdin_is_dev_null);
	tcase_add_test(tc, test_large_output);
	tcase_add_test(tc, test_password_in_account);
	tcase_add_test(tc, test_neither);
	tcase_add_test(tc, test_no_zombie);
	tcase_add_test(tc, test_two_steps);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(password_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
