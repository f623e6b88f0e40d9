/* Local use cases stop when their cancel handle fires: parse --check over
 * a large generated Maildir and mbox, scan, extract. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"

#define NMSG 20000

static char *
make_dir(void)
{
	char *d = xstrdup("/tmp/quail-cancel-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void
rm_rf(const char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* One message with a base64 attachment, so each costs some decoding. */
static void
put_message(FILE *f, unsigned i)
{
	fprintf(f, "From: n%u@example.org\nSubject: message %u\n"
		   "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nbody %u\n--b\n"
		   "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n",
		i, i, i);
	for (int k = 0; k < 40; k++)
		fputs("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5\n", f);
	fputs("--b--\n", f);
}

static char *
make_maildir(const char *d)
{
	char *md = xasprintf("%s/md", d);
	static const char *const sub[] = {"", "/new", "/cur", "/tmp"};
	for (size_t i = 0; i < QU_ARRAY_LEN(sub); i++) {
		char *p = xasprintf("%s%s", md, sub[i]);
		ck_assert_int_eq(mkdir(p, 0700), 0);
		free(p);
	}
	for (unsigned i = 0; i < NMSG; i++) {
		char *p = xasprintf("%s/new/%u.M1P1.test", md, 1000000 + i);
		FILE *f = fopen(p, "w");
		ck_assert_ptr_nonnull(f);
		put_message(f, i);
		fclose(f);
		free(p);
	}
	return md;
}

static char *
make_mbox(const char *d)
{
	char *path = xasprintf("%s/mbox", d);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (unsigned i = 0; i < NMSG * 2; i++) {
		fprintf(f, "From n%u@example.org Mon Nov  2 09:14:03 2026\n", i);
		put_message(f, i);
		fputc('\n', f);
	}
	fclose(f);
	return path;
}

static void *
fire_later(void *arg)
{
	struct timespec ts = {0, 50 * 1000000};
	nanosleep(&ts, NULL);
	qu_cancel_fire(arg);
	return NULL;
}

/* Runs parse --check on path with a cancel fired after 50 ms: it must end
 * CANCELED within 100 ms of the fire, having checked only part. */
static void
check_canceled(const char *path, unsigned threads)
{
	struct qu_cancel *c = qu_cancel_new();
	struct app_check_totals t = {0};
	struct qu_err err;
	pthread_t th;
	int64_t t0 = qu_now_ms();
	pthread_create(&th, NULL, fire_later, c);
	int rc = app_parse_check(path, threads, c, &t, &err);
	int64_t dt = qu_now_ms() - t0;
	pthread_join(th, NULL);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert(qu_err_is(&err, QU_R_CANCELED));
	ck_assert_msg(dt < 150, "returned %lld ms after the start", (long long)dt);
	ck_assert_uint_lt(t.messages, NMSG);
	qu_cancel_free(c);
}

START_TEST(test_check_maildir)
{
	char *d = make_dir();
	char *md = make_maildir(d);
	/* Unhindered, the whole folder takes far longer than the 50 ms. */
	struct app_check_totals t = {0};
	struct qu_err err;
	int64_t t0 = qu_now_ms();
	ck_assert_int_eq(app_parse_check(md, 0, NULL, &t, &err), 0);
	ck_assert_uint_eq(t.messages, NMSG);
	ck_assert_int_gt(qu_now_ms() - t0, 150);
	check_canceled(md, 0);
	check_canceled(md, 1);
	free(md);
	rm_rf(d);
	free(d);
}
END_TEST

START_TEST(test_check_mbox)
{
	char *d = make_dir();
	char *path = make_mbox(d);
	check_canceled(path, 0);
	check_canceled(path, 1);
	free(path);
	rm_rf(d);
	free(d);
}
END_TEST

static void
count(void *ctx, const struct app_scan_entry *e)
{
	(void)e;
	(*(size_t *)ctx)++;
}

START_TEST(test_scan_and_extract)
{
	char *d = make_dir();
	char *path = make_mbox(d);
	struct qu_cancel *c = qu_cancel_new();
	qu_cancel_fire(c);
	struct qu_err err;
	size_t n = 0;
	ck_assert_int_eq(app_scan(path, c, count, &n, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert_uint_eq(n, 0);
	char *out = xasprintf("%s/out", d);
	ck_assert_int_eq(app_extract(path, out, c, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	qu_cancel_free(c);
	free(out);
	free(path);
	rm_rf(d);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("app-cancel");
	TCase *tc = tcase_create("cancel");
	tcase_set_timeout(tc, 100);
	tcase_add_test(tc, test_check_maildir);
	tcase_add_test(tc, test_check_mbox);
	tcase_add_test(tc, test_scan_and_extract);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
