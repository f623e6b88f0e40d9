/* OAuth 2 token answers (RFC 6749 §5.1, §5.2; RFC 8628 §3.5) and quail's
 * token file, as app_oauth2_parse_token reads them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"

static const struct {
	const char *json;
	int rc;
	const char *access, *refresh, *code;
	int64_t expires_at; /* with now = 1000 */
} cases[] = {
	{"{\"access_token\":\"ya29.a-b_c\",\"expires_in\":3599,\"refresh_token\":\"1//x\","
	 "\"token_type\":\"Bearer\"}",
	 0, "ya29.a-b_c", "1//x", "", 4599},
	{"{\"access_token\":\"t\",\"expires_in\":\"60\"}", 0, "t", NULL, "", 1060},
	/* no expires_in: an hour */
	{"{\"access_token\":\"t\"}", 0, "t", NULL, "", 4600},
	/* quail's own file */
	{"{\"access_token\": \"t\", \"expires_at\": 123, \"refresh_token\": \"r\"}\n", 0, "t", "r", "",
	 123},
	{"{\"error\":\"authorization_pending\"}", -1, NULL, NULL, "authorization_pending", 0},
	{"{\"error\":\"slow_down\",\"error_description\":\"x\"}", -1, NULL, NULL, "slow_down", 0},
	/* an error code is reduced to [a-z_] */
	{"{\"error\":\"Bad\\u001b[31m\"}", -1, NULL, NULL, "?ad????m", 0},
	/* not usable */
	{"", -1, NULL, NULL, "", 0},
	{"[1,2]", -1, NULL, NULL, "", 0},
	{"{\"access_token\":\"\"}", -1, NULL, NULL, "", 0},
	{"{\"access_token\":\"a b\"}", -1, NULL, NULL, "", 0},
	{"{\"access_token\":\"a\\\"b\"}", -1, NULL, NULL, "", 0},
	{"{\"access_token\":\"a\\u0001\"}", -1, NULL, NULL, "", 0},
	{"{\"access_token\":\"ok\",\"refresh_token\":\"\\n\"}", -1, NULL, NULL, "", 0},
	{"{\"access_token\":42}", -1, NULL, NULL, "", 0},
	{"{\"access_token\":\"t\"} trailing", -1, NULL, NULL, "", 0},
};

START_TEST(test_parse)
{
	struct app_oauth2_tokens t;
	char code[32];
	struct qu_err err;
	qu_err_clear(&err);
	const char *j = cases[_i].json;
	int rc = app_oauth2_parse_token(j, strlen(j), 1000, &t, code, &err);
	ck_assert_int_eq(rc, cases[_i].rc);
	ck_assert_str_eq(code, cases[_i].code);
	if (rc == 0) {
		ck_assert_str_eq(t.access_token, cases[_i].access);
		if (cases[_i].refresh)
			ck_assert_str_eq(t.refresh_token, cases[_i].refresh);
		else
			ck_assert_ptr_null(t.refresh_token);
		ck_assert_int_eq(t.expires_at, cases[_i].expires_at);
	} else {
		ck_assert_int_eq(err.cls, code[0] ? QU_E_AUTH : QU_E_UNAVAILABLE);
		ck_assert_ptr_null(t.access_token);
	}
	app_oauth2_tokens_clear(&t);
}
END_TEST

/* A JSON value cut anywhere is refused, never half read. */
START_TEST(test_parse_cut)
{
	const char *j = "{\"access_token\":\"abc\",\"expires_in\":10}";
	for (size_t n = 0; n < strlen(j); n++) {
		struct app_oauth2_tokens t;
		char code[32];
		struct qu_err err;
		ck_assert_int_eq(app_oauth2_parse_token(j, n, 0, &t, code, &err), -1);
	}
}
END_TEST

static Suite *
oauth2_suite(void)
{
	Suite *s = suite_create("app-oauth2");
	TCase *tc = tcase_create("oauth2");
	tcase_add_loop_test(tc, test_parse, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_test(tc, test_parse_cut);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(oauth2_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
