/*
 * Dates: RFC 5322 §3.3, the obsolete forms of §4.3, and what mailers
 * write.
 */
#include "tcommon.h"

#define NONE MIME_DEFECT__COUNT

static const struct {
	const char *in;
	const char *iso; /* NULL: unparsable */
	enum mime_defect_kind kind;
} cases[] = {
	{"Sat, 12 Jan 2019 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE},
	{"12 Jan 2019 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE},
	{"Sat, 12 Jan 2019 17:25 +0800", "2019-01-12T17:25:00+08:00", NONE},
	{"Mon, 12 Jan 2019 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE}, /* not checked */
	{"Saturday, 12 Jan 2019 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE},
	{"Sat, 1 Feb 2020 09:05:07 +0000", "2020-02-01T09:05:07+00:00", NONE},
	{"Sat, 01 Feb 2020 9:05:07 +0000", "2020-02-01T09:05:07+00:00", NONE},
	{"Wed, 31 Dec 2008 23:59:60 +0000", "2008-12-31T23:59:60+00:00", NONE},
	/* Zones. */
	{"Sat, 12 Jan 2019 17:25:43 -0000", "2019-01-12T17:25:43+00:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 +0000", "2019-01-12T17:25:43+00:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 -0500", "2019-01-12T17:25:43-05:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 +0530", "2019-01-12T17:25:43+05:30", NONE},
	{"Sat, 12 Jan 2019 17:25:43 -0930", "2019-01-12T17:25:43-09:30", NONE},
	{"Sat, 12 Jan 2019 17:25:43 +1345", "2019-01-12T17:25:43+13:45", NONE},
	{"Sat, 12 Jan 2019 17:25:43 GMT", "2019-01-12T17:25:43+00:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 UT", "2019-01-12T17:25:43+00:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 UTC", "2019-01-12T17:25:43+00:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 EST", "2019-01-12T17:25:43-05:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 EDT", "2019-01-12T17:25:43-04:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 CST", "2019-01-12T17:25:43-06:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 CDT", "2019-01-12T17:25:43-05:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 MST", "2019-01-12T17:25:43-07:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 MDT", "2019-01-12T17:25:43-06:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 PST", "2019-01-12T17:25:43-08:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 pdt", "2019-01-12T17:25:43-07:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 Z", "2019-01-12T17:25:43+00:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 A", "2019-01-12T17:25:43+00:00", NONE}, /* military */
	{"Sat, 12 Jan 2019 17:25:43 m", "2019-01-12T17:25:43+00:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 Y", "2019-01-12T17:25:43+00:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 CEST", "2019-01-12T17:25:43+00:00", MIME_DEFECT_DATE_BAD_ZONE},
	{"Sat, 12 Jan 2019 17:25:43 J", "2019-01-12T17:25:43+00:00", MIME_DEFECT_DATE_BAD_ZONE},
	{"Sat, 12 Jan 2019 17:25:43 +2500", "2019-01-12T17:25:43+00:00", MIME_DEFECT_DATE_BAD_ZONE},
	{"Sat, 12 Jan 2019 17:25:43 +0860", "2019-01-12T17:25:43+00:00", MIME_DEFECT_DATE_BAD_ZONE},
	{"Sat, 12 Jan 2019 17:25:43 +080000", "2019-01-12T17:25:43+00:00",
		MIME_DEFECT_DATE_BAD_ZONE},
	{"Sat, 12 Jan 2019 17:25:43", "2019-01-12T17:25:43+00:00", MIME_DEFECT_DATE_NO_ZONE},
	{"Sat, 12 Jan 2019 17:25:43 GMT+0800", "2019-01-12T17:25:43+08:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 +08:00", "2019-01-12T17:25:43+08:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 +0800 (CST)", "2019-01-12T17:25:43+08:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 +0800 (GMT+08:00)", "2019-01-12T17:25:43+08:00", NONE},
	{"Sat, 12 Jan 2019 17:25:43 +0800 CST", "2019-01-12T17:25:43+08:00", MIME_DEFECT_DATE_SYNTAX},
	{"Sat, 12 Jan 2019 17:25:43 +0800 xyz 12", "2019-01-12T17:25:43+08:00",
		MIME_DEFECT_DATE_SYNTAX},
	/* Years (RFC 5322 §4.3). */
	{"1 Jan 19 00:00:00 +0000", "2019-01-01T00:00:00+00:00", NONE},
	{"1 Jan 00 00:00:00 +0000", "2000-01-01T00:00:00+00:00", NONE},
	{"1 Jan 49 00:00:00 +0000", "2049-01-01T00:00:00+00:00", NONE},
	{"1 Jan 50 00:00:00 +0000", "1950-01-01T00:00:00+00:00", NONE},
	{"1 Jan 99 00:00:00 +0000", "1999-01-01T00:00:00+00:00", NONE},
	{"1 Jan 119 00:00:00 +0000", "2019-01-01T00:00:00+00:00", NONE},
	{"1 Jan 099 00:00:00 +0000", "1999-01-01T00:00:00+00:00", NONE},
	{"1 Jan 1969 00:00:00 +0000", "1969-01-01T00:00:00+00:00", NONE},
	/* White space and comments anywhere (obsolete syntax). */
	{"  Sat ,  12   Jan   2019   17 : 25 : 43   +0800  ", "2019-01-12T17:25:43+08:00", NONE},
	{"Sat,12 Jan 2019 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE},
	{"(c) Sat, 12 (x (y)) Jan 2019 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE},
	{"Sat,\r\n 12 Jan 2019\r\n 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE},
	{"\t12\tJan\t2019\t17:25:43\t+0800", "2019-01-12T17:25:43+08:00", NONE},
	/* Months in any case, and spelled out. */
	{"12 JAN 2019 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE},
	{"12 jan 2019 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE},
	{"12 January 2019 17:25:43 +0800", "2019-01-12T17:25:43+08:00", NONE},
	{"5 sep 2021 01:02:03 +0100", "2021-09-05T01:02:03+01:00", NONE},
	{"5 Dec 2021 01:02:03 +0100", "2021-12-05T01:02:03+01:00", NONE},
	/* The asctime order. */
	{"Sat Jan 12 17:25:43 2019", "2019-01-12T17:25:43+00:00", MIME_DEFECT_DATE_NO_ZONE},
	{"Jan 12 2019 17:25:43 +0100", "2019-01-12T17:25:43+01:00", NONE},
	/* Unparsable. */
	{"", NULL, MIME_DEFECT_DATE_INVALID},
	{"garbage", NULL, MIME_DEFECT_DATE_INVALID},
	{"12 Jan 2019", NULL, MIME_DEFECT_DATE_INVALID},
	{"32 Jan 2019 00:00:00 +0000", NULL, MIME_DEFECT_DATE_INVALID},
	{"0 Jan 2019 00:00:00 +0000", NULL, MIME_DEFECT_DATE_INVALID},
	{"12 Foo 2019 00:00:00 +0000", NULL, MIME_DEFECT_DATE_INVALID},
	{"12 Jan 2019 24:00:00 +0000", NULL, MIME_DEFECT_DATE_INVALID},
	{"12 Jan 2019 23:60:00 +0000", NULL, MIME_DEFECT_DATE_INVALID},
	{"12 Jan 2019 23:59:61 +0000", NULL, MIME_DEFECT_DATE_INVALID},
	{"12 Jan 20190 00:00:00 +0000", NULL, MIME_DEFECT_DATE_INVALID},
	{"123 Jan 2019 00:00:00 +0000", NULL, MIME_DEFECT_DATE_INVALID},
	{"2019-01-12 17:25:43", NULL, MIME_DEFECT_DATE_INVALID},
	{"12 Jan 2019 17 +0000", NULL, MIME_DEFECT_DATE_INVALID},
	{"Sat, 12 Jan", NULL, MIME_DEFECT_DATE_INVALID},
};

START_TEST(test_date)
{
	struct tdefects td;
	tdefects_init(&td);
	const char *in = cases[_i].in;
	char *got = mime_date_decode(in, strlen(in), &td.d);
	if (cases[_i].iso)
		ck_assert_pstr_eq(got, cases[_i].iso);
	else
		ck_assert_msg(got == NULL, "%s: got %s", in, got);
	if (cases[_i].kind == NONE)
		ck_assert_msg(td.d.count == 0, "%s: %zu defects", in, td.d.count);
	else
		ck_assert_msg(td.kinds[cases[_i].kind] >= 1, "%s: no %s", in,
			mime_defect_name(cases[_i].kind));
	free(got);
}
END_TEST

static const struct {
	const char *in;
	int64_t t;
} unix_cases[] = {
	{"Thu, 01 Jan 1970 00:00:00 +0000", 0},
	{"Sat, 12 Jan 2019 17:25:43 +0800", 1547285143},
	{"Thu, 01 Jan 1970 00:00:00 +0100", -3600},
	{"Tue, 29 Feb 2000 07:00:00 EST", 951825600},
};

START_TEST(test_unix)
{
	struct mime_date t;
	const char *in = unix_cases[_i].in;
	ck_assert_int_eq(mime_date_parse(in, strlen(in), &t, NULL), 0);
	ck_assert_int_eq(mime_date_to_unix(&t), unix_cases[_i].t);
}
END_TEST

START_TEST(test_many_tokens)
{
	struct qu_buf in;
	qu_buf_init(&in, SIZE_MAX);
	qu_buf_append_str(&in, "12 Jan 2019 17:25:43 +0800");
	for (int i = 0; i < 10000; i++)
		qu_buf_append_str(&in, " x 1 :");
	struct mime_defects d = {0};
	char *got = mime_date_decode(in.data, in.len, &d);
	ck_assert_str_eq(got, "2019-01-12T17:25:43+08:00");
	ck_assert_uint_eq(d.count, 1);
	free(got);
	qu_buf_clear(&in);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime-date");
	TCase *tc = tcase_create("date");
	tcase_add_loop_test(tc, test_date, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_loop_test(tc, test_unix, 0, (int)QU_ARRAY_LEN(unix_cases));
	tcase_add_test(tc, test_many_tokens);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
