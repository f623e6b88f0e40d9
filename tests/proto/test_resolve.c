/* Name resolution bounded by the deadline and ended by a cancel. A slow
 * resolver is this program's own getaddrinfo, which the executable's
 * definition puts in front of the C library's: "slow.test" takes 2 s to
 * fail, every other name goes to the real one. The abandoned lookups must
 * finish on their own without a leak or a use after free (run under ASan). */
#define _GNU_SOURCE
#include <check.h>
#include <dlfcn.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"

#define SLOW_MS 2000

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
	    struct addrinfo **res)
{
	if (node && strcmp(node, "slow.test") == 0) {
		struct timespec ts = {SLOW_MS / 1000, (SLOW_MS % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		return EAI_NONAME;
	}
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	/* POSIX's way to turn dlsym's pointer into a function pointer. */
	void *sym = dlsym(RTLD_NEXT, "getaddrinfo");
	memcpy(&real, &sym, sizeof real);
	return real(node, service, hints, res);
}

static void *
fire_later(void *arg)
{
	struct timespec ts = {0, 50 * 1000000};
	nanosleep(&ts, NULL);
	qu_cancel_fire(arg);
	return NULL;
}

START_TEST(test_dns_timeout)
{
	struct net_opts o = {.timeout_ms = 300};
	struct qu_err err;
	int64_t t0 = qu_now_ms();
	ck_assert_ptr_null(net_connect("slow.test", 25, NET_TLS_NONE, &o, &err));
	int64_t dt = qu_now_ms() - t0;
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_msg(qu_err_is(&err, QU_R_TIMEOUT), "%s", err.msg);
	ck_assert_msg(dt >= 300 && dt < 400, "returned after %lld ms", (long long)dt);
	/* The lookup finishes on its own later and frees what it holds. */
	sleep(SLOW_MS / 1000 + 1);
}
END_TEST

START_TEST(test_dns_cancel)
{
	struct qu_cancel *c = qu_cancel_new();
	struct net_opts o = {.timeout_ms = 10000, .cancel = c};
	struct qu_err err;
	pthread_t th;
	int64_t t0 = qu_now_ms();
	pthread_create(&th, NULL, fire_later, c);
	ck_assert_ptr_null(net_connect("slow.test", 25, NET_TLS_NONE, &o, &err));
	int64_t dt = qu_now_ms() - t0;
	pthread_join(th, NULL);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert_msg(dt < 150, "returned after %lld ms", (long long)dt);
	qu_cancel_free(c);
	sleep(SLOW_MS / 1000 + 1);
}
END_TEST

START_TEST(test_dns_slow_answer_kept)
{
	/* Within the deadline the resolver's own answer is reported. */
	struct net_opts o = {.timeout_ms = 5000};
	struct qu_err err;
	ck_assert_ptr_null(net_connect("slow.test", 25, NET_TLS_NONE, &o, &err));
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	ck_assert(qu_err_is(&err, QU_R_DNS));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("resolve");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_dns_timeout);
	tcase_add_test(tc, test_dns_cancel);
	tcase_add_test(tc, test_dns_slow_answer_kept);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
