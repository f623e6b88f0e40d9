/*
 * The fetch engine shared by `quail fetch --pop3` and `--imap`
 * (src/app/fetch_engine.c): the set of journal keys.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/private.h"

/* Keys are byte strings compared whole: a prefix is another key. */
START_TEST(test_keys_add_find)
{
	struct app_fetch_keys s = {0};
	ck_assert_ptr_null(app_fetch_keys_find(&s, "a", 1));
	bool added;
	struct app_fetch_key *e = app_fetch_keys_add(&s, "abc", 3, &added);
	ck_assert(added);
	ck_assert_int_eq(e->state, APP_KEY_PENDING);
	ck_assert_str_eq(e->key, "abc");
	ck_assert_ptr_null(e->rel);
	ck_assert_ptr_null(app_fetch_keys_find(&s, "ab", 2));
	ck_assert_ptr_null(app_fetch_keys_find(&s, "abcd", 4));
	/* the length counts, not a NUL */
	ck_assert_ptr_eq(app_fetch_keys_find(&s, "abcdef", 3), e);
	app_fetch_key_done(e, "new/1.x", 7);
	e = app_fetch_keys_add(&s, "abc", 3, &added);
	ck_assert(!added);
	ck_assert_int_eq(e->state, APP_KEY_DONE); /* a later P keeps it done */
	ck_assert_str_eq(e->rel, "new/1.x");
	app_fetch_key_done(e, "cur/1.x:2,S", 11);
	ck_assert_str_eq(app_fetch_keys_find(&s, "abc", 3)->rel, "cur/1.x:2,S");
	ck_assert_uint_eq(s.n, 1);
	app_fetch_keys_clear(&s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_ptr_null(app_fetch_keys_find(&s, "abc", 3));
}
END_TEST

/* Many keys: the table grows and every one is still found, with its state;
 * claimed lists exactly the done ones. */
START_TEST(test_keys_grow_claimed)
{
	struct app_fetch_keys s = {0};
	enum { N = 5000 };
	char k[32], r[32];
	for (unsigned i = 0; i < N; i++) {
		int n = snprintf(k, sizeof k, "%u %u", i % 7, i);
		struct app_fetch_key *e = app_fetch_keys_add(&s, k, (size_t)n, NULL);
		e->num = i;
		if (i % 3 == 0) {
			int rn = snprintf(r, sizeof r, "new/%u", i);
			app_fetch_key_done(e, r, (size_t)rn);
		}
	}
	ck_assert_uint_eq(s.n, N);
	ck_assert_uint_ge(s.cap, 2 * N);
	for (unsigned i = 0; i < N; i++) {
		int n = snprintf(k, sizeof k, "%u %u", i % 7, i);
		struct app_fetch_key *e = app_fetch_keys_find(&s, k, (size_t)n);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->num, i);
		ck_assert_int_eq(e->state, i % 3 == 0 ? APP_KEY_DONE : APP_KEY_PENDING);
	}
	ck_assert_ptr_null(app_fetch_keys_find(&s, "7 1", 3));
	size_t nc;
	const char **c = app_fetch_keys_claimed(&s, &nc);
	ck_assert_uint_eq(nc, (N + 2) / 3);
	for (size_t i = 0; i < nc; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(c[i], "new/%u", &v), 1);
		ck_assert_uint_eq(v % 3, 0);
	}
	free(c);
	app_fetch_keys_clear(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fetch_engine");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, test_keys_add_find);
	tcase_add_test(tc, test_keys_grow_claimed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
