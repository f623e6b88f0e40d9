#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#include "config/config.h"

static char *
run(const char *cmd, struct qu_err *err)
{
	struct cfg_account a;
	memset(&a, 0, sizeof a);
	a.password_command = (char *)cmd;
	return cfg_password(&a, NULL, err);
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
	char *pw = cfg_password(&a, NULL, &err);
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
	ck_assert_ptr_null(cfg_password(&a, NULL, &err));
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
	ck_assert_int_eq(cfg_password_start(&a, NULL, &j, &err), 0);
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
	ck_assert_int_eq(cfg_password_start(&a, NULL, &j, &err), 0);
	ck_assert_ptr_null(cfg_password_finish(&j, &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert(strstr(err.msg, "status 3") != NULL);

	/* A password in the account: nothing is run. */
	a.password = "frompw";
	ck_assert_int_eq(cfg_password_start(&a, NULL, &j, &err), 0);
	ck_assert_int_eq(j.pid, 0);
	pw = cfg_password_finish(&j, &err);
	ck_assert_str_eq(pw, "frompw");
	qu_free_secret(pw);
}
END_TEST

/* Fires the cancel once the command's shell has started its child (its
 * pid is in the file), so that the test sees a real process group to
 * kill even on a loaded machine; records when it fired. */
struct firing {
	struct qu_cancel *c;
	const char *pidfile;
	int64_t at;
};

static void *
fire_later(void *arg)
{
	struct firing *f = arg;
	for (int i = 0; i < 1000; i++) {
		struct stat sb;
		if (stat(f->pidfile, &sb) == 0 && sb.st_size > 0)
			break;
		usleep(10000);
	}
	struct timespec ts = {0, 20 * 1000000};
	nanosleep(&ts, NULL);
	f->at = qu_now_ms();
	qu_cancel_fire(f->c);
	return NULL;
}

/* True once pid is gone or a zombie nobody has reaped yet. */
static bool
dead(long pid)
{
	char path[64], st[256];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	size_t n = fread(st, 1, sizeof st - 1, f);
	fclose(f);
	st[n] = '\0';
	const char *rp = strrchr(st, ')');
	return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* A grandchild's pid the command wrote to path, or 0. */
static long
read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

START_TEST(test_cancel)
{
	char pidfile[] = "/tmp/quail-pw-XXXXXX";
	int fd = mkstemp(pidfile);
	ck_assert_int_ge(fd, 0);
	close(fd);
	char cmd[256];
	/* The shell waits on a child: the whole process group must go. */
	snprintf(cmd, sizeof cmd, "sleep 30 & echo $! > %s; wait", pidfile);
	struct cfg_account a;
	memset(&a, 0, sizeof a);
	a.password_command = cmd;
	struct qu_cancel *c = qu_cancel_new();
	struct cfg_password_opts o = {.timeout_ms = 10000, .cancel = c};
	struct cfg_password_job j;
	struct qu_err err;
	ck_assert_int_eq(cfg_password_start(&a, &o, &j, &err), 0);
	pthread_t th;
	struct firing f = {.c = c, .pidfile = pidfile};
	pthread_create(&th, NULL, fire_later, &f);
	ck_assert_ptr_null(cfg_password_finish(&j, &err));
	int64_t done = qu_now_ms();
	pthread_join(th, NULL);
	int64_t dt = done - f.at;
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert_msg(dt < 150, "returned after %lld ms", (long long)dt);
	ck_assert_int_eq(j.pid, 0);
	ck_assert_int_lt(waitpid(-1, NULL, WNOHANG), 0); /* reaped */
	long gc = read_pid(pidfile);
	ck_assert_int_gt(gc, 0);
	for (int i = 0; i < 100 && !dead(gc); i++)
		usleep(10000);
	ck_assert_msg(dead(gc), "the command's child %ld still runs", gc);
	unlink(pidfile);
	qu_cancel_free(c);
}
END_TEST

START_TEST(test_timeout)
{
	struct cfg_account a;
	memset(&a, 0, sizeof a);
	a.password_command = "sleep 30";
	struct cfg_password_opts o = {.timeout_ms = 300};
	struct qu_err err;
	int64_t t0 = qu_now_ms();
	ck_assert_ptr_null(cfg_password(&a, &o, &err));
	int64_t dt = qu_now_ms() - t0;
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert(qu_err_is(&err, QU_R_PASSWORD_COMMAND));
	ck_assert_str_eq(err.code, "timeout");
	ck_assert_msg(dt >= 300 && dt < 400, "returned after %lld ms", (long long)dt);
	ck_assert_int_lt(waitpid(-1, NULL, WNOHANG), 0);
}
END_TEST

START_TEST(test_stderr_reported_not_printed)
{
	/* Our stderr goes to a file: nothing of the command may land there. */
	char errfile[] = "/tmp/quail-pw-err-XXXXXX";
	int fd = mkstemp(errfile);
	ck_assert_int_ge(fd, 0);
	int saved = dup(2);
	dup2(fd, 2);
	struct qu_err err;
	char *pw = run("echo 'gpg: decryption failed \033[31m' >&2; echo more >&2; exit 2", &err);
	dup2(saved, 2);
	close(saved);
	ck_assert_ptr_null(pw);
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert(qu_err_is(&err, QU_R_PASSWORD_COMMAND));
	ck_assert_str_eq(err.msg,
			 "password_command exited with status 2: gpg: decryption failed \\e[31m");
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	close(fd);
	unlink(errfile);
	/* Noise on stderr with a good password is no failure. */
	pw = run("echo noise >&2; echo pw", &err);
	ck_assert_str_eq(pw, "pw");
	qu_free_secret(pw);
}
END_TEST

START_TEST(test_sigpipe_restored)
{
	/* quail ignores SIGPIPE; the command must see the default again. */
	signal(SIGPIPE, SIG_IGN);
	struct qu_err err;
	char *pw = run("grep SigIgn /proc/self/status | cut -f2", &err);
	ck_assert_ptr_nonnull(pw);
	unsigned long long mask = strtoull(pw, NULL, 16);
	ck_assert_msg(!(mask & (1ull << (SIGPIPE - 1))), "SigIgn %s", pw);
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
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_stderr_reported_not_printed);
	tcase_add_test(tc, test_sigpipe_restored);
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
