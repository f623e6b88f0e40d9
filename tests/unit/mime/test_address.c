/*
 * Address lists: display names, quoting, comments, groups, routes and
 * what real mailers write.
 */
#include "tcommon.h"

#define NONE MIME_DEFECT__COUNT

struct want {
	const char *name;
	const char *addr;
};

static const struct {
	const char *in;
	size_t n;
	struct want w[4];
	enum mime_defect_kind kind;
} cases[] = {
	{"user@example.com", 1, {{NULL, "user@example.com"}}, NONE},
	{"<user@example.com>", 1, {{NULL, "user@example.com"}}, NONE},
	{"  <user@example.com>  ", 1, {{NULL, "user@example.com"}}, NONE},
	{"John Doe <john@example.com>", 1, {{"John Doe", "john@example.com"}}, NONE},
	{"\"Doe, John\" <john@example.com>", 1, {{"Doe, John", "john@example.com"}}, NONE},
	{"\"Doe, John\" <john@example.com>, jane@example.com", 2,
		{{"Doe, John", "john@example.com"}, {NULL, "jane@example.com"}}, NONE},
	{"Ann <ann@x.test>, Bob <bob@x.test>,\r\n Carol <carol@x.test>", 3,
		{{"Ann", "ann@x.test"}, {"Bob", "bob@x.test"}, {"Carol", "carol@x.test"}}, NONE},
	/* RFC 2047 names, also inside quotes, and raw 8-bit ones. */
	{"=?utf-8?B?5byg5LiJ?= <zhang@example.cn>", 1, {{"张三", "zhang@example.cn"}}, NONE},
	{"\"=?utf-8?B?5byg5LiJ?=\" <zhang@example.cn>", 1, {{"张三", "zhang@example.cn"}}, NONE},
	{"=?utf-8?B?5byg5LiJ?=\r\n <zhang@example.cn>", 1, {{"张三", "zhang@example.cn"}}, NONE},
	{"=?utf-8?Q?Jos=C3=A9?= =?utf-8?Q?_Garc=C3=ADa?= <jg@example.es>", 1,
		{{"José García", "jg@example.es"}}, NONE},
	{"\"Dr. =?utf-8?Q?M=C3=BCller?=\" <m@example.de>", 1, {{"Dr. Müller", "m@example.de"}},
		NONE},
	{"\"张三\" <zhang@example.cn>, =?gb2312?B?wO7LxA==?= <lisi@example.cn>", 2,
		{{"张三", "zhang@example.cn"}, {"李四", "lisi@example.cn"}}, NONE},
	{"=?utf-8?Q?Smith,_John?= <js@example.com>, b@example.com", 2,
		{{"Smith, John", "js@example.com"}, {NULL, "b@example.com"}}, NONE},
	{"=?utf-8?Q?a<b>?= <ab@example.com>", 1, {{"a<b>", "ab@example.com"}}, NONE},
	{"张三 <zhang@example.cn>", 1, {{"张三", "zhang@example.cn"}}, NONE},
	{"Jos\xe9 <j@example.es>", 1, {{"José", "j@example.es"}}, MIME_DEFECT_HEADER_8BIT},
	{"John Q. Public <jqp@example.com>", 1, {{"John Q. Public", "jqp@example.com"}}, NONE},
	{"\"Smith; \\\"Agent\\\" J\" <j@example.net>", 1,
		{{"Smith; \"Agent\" J", "j@example.net"}}, NONE},
	{"  \"\" <empty@example.com>", 1, {{NULL, "empty@example.com"}}, NONE},
	{"=?utf-8?Q?=20?= <sp@example.com>", 1, {{NULL, "sp@example.com"}}, NONE},
	{"  Spaced   Name  <s@example.com>", 1, {{"Spaced Name", "s@example.com"}}, NONE},
	/* Quoted local parts stay as written. */
	{"\"john doe\"@example.com", 1, {{NULL, "\"john doe\"@example.com"}}, NONE},
	{"\"Name\" <\"odd local\"@example.com>", 1, {{"Name", "\"odd local\"@example.com"}}, NONE},
	/* Comments: a trailing one is the name when there is none. */
	{"john@example.com (John Doe)", 1, {{"John Doe", "john@example.com"}}, NONE},
	{"john@example.com (John (the man) Doe)", 1, {{"John (the man) Doe", "john@example.com"}},
		NONE},
	{"john@example.com (=?utf-8?B?5byg5LiJ?=)", 1, {{"张三", "john@example.com"}}, NONE},
	{"John <john@example.com> (comment)", 1, {{"John", "john@example.com"}}, NONE},
	{"<john@example.com> (John Doe)", 1, {{"John Doe", "john@example.com"}}, NONE},
	{"john@example.com ()", 1, {{NULL, "john@example.com"}}, NONE},
	{"john(c)@example(d).com", 1, {{NULL, "john@example.com"}}, NONE},
	{"Ann(a \\) note) <ann(acct)@host.test(h)>", 1, {{"Ann", "ann@host.test"}}, NONE},
	{"bob@x.test (Bob), carol@x.test", 2, {{"Bob", "bob@x.test"}, {NULL, "carol@x.test"}},
		NONE},
	{"(lead) bob@x.test", 1, {{NULL, "bob@x.test"}}, NONE},
	/* Groups are flattened. */
	{"Group: a@example.com, B <b@example.com>;", 2,
		{{NULL, "a@example.com"}, {"B", "b@example.com"}}, NONE},
	{"undisclosed-recipients:;", 0, {{NULL, NULL}}, NONE},
	{"undisclosed-recipients: ;", 0, {{NULL, NULL}}, NONE},
	{"Empty: ;, c@example.com", 1, {{NULL, "c@example.com"}}, NONE},
	{"A Group:a@x.com,b@y.com;, c@z.com", 3,
		{{NULL, "a@x.com"}, {NULL, "b@y.com"}, {NULL, "c@z.com"}}, NONE},
	{"=?utf-8?Q?Gr=C3=BCppe?=: a@x.com;", 1, {{NULL, "a@x.com"}}, NONE},
	{"Friends: Ann <ann@x.test>, (no name) bob@x.test;", 2,
		{{"Ann", "ann@x.test"}, {NULL, "bob@x.test"}}, NONE},
	/* Obsolete routes are dropped (RFC 5322 §4.4). */
	{"<@route1,@route2:user@example.com>", 1, {{NULL, "user@example.com"}}, NONE},
	{"Name <@a.example:user@example.com>", 1, {{"Name", "user@example.com"}}, NONE},
	{"john . doe @ example . com", 1, {{NULL, "john.doe@example.com"}}, NONE},
	{"user@[192.0.2.1]", 1, {{NULL, "user@[192.0.2.1]"}}, NONE},
	/* What mailers get wrong. */
	{"John Doe john@example.com", 1, {{"John Doe", "john@example.com"}},
		MIME_DEFECT_ADDR_NO_ANGLE},
	{"john@example.com junk", 1, {{NULL, "john@example.com"}}, MIME_DEFECT_ADDR_SYNTAX},
	{"John <john@example.com> junk", 1, {{"John", "john@example.com"}},
		MIME_DEFECT_ADDR_SYNTAX},
	{"John <john@example.com", 1, {{"John", "john@example.com"}}, MIME_DEFECT_UNTERMINATED},
	{"\"Unterminated <a@b.c>", 1, {{NULL, "\"Unterminated <a@b.c>"}},
		MIME_DEFECT_UNTERMINATED},
	{"a@b.c,,  ,d@e.f", 2, {{NULL, "a@b.c"}, {NULL, "d@e.f"}}, NONE},
	{"a@b.c;d@e.f", 2, {{NULL, "a@b.c"}, {NULL, "d@e.f"}}, NONE},
	{"John Smith", 1, {{NULL, "JohnSmith"}}, MIME_DEFECT_ADDR_SYNTAX},
	{"root", 1, {{NULL, "root"}}, NONE},
	{"Name <>", 1, {{"Name", ""}}, NONE},
	{"<>", 0, {{NULL, NULL}}, NONE},
	{"", 0, {{NULL, NULL}}, NONE},
	{"  \r\n ", 0, {{NULL, NULL}}, NONE},
	/* IDN domains stay as written. */
	{"用户@例子.中国", 1, {{NULL, "用户@例子.中国"}}, NONE},
	{"Ünï <u@bücher.example>", 1, {{"Ünï", "u@bücher.example"}}, NONE},
	{"user@xn--fsqu00a.xn--fiqs8s", 1, {{NULL, "user@xn--fsqu00a.xn--fiqs8s"}}, NONE},
	{"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>", 3,
		{{"Mary Smith", "mary@x.test"}, {NULL, "jdoe@example.org"}, {"Who?", "one@y.test"}},
		NONE},
};

START_TEST(test_list)
{
	struct tdefects td;
	struct mime_addr_list l;
	tdefects_init(&td);
	mime_addr_list_init(&l);
	const char *in = cases[_i].in;
	mime_addr_list_parse(in, strlen(in), &l, NULL, &td.d);
	ck_assert_msg(l.n == cases[_i].n, "%s: %zu addresses, want %zu", in, l.n, cases[_i].n);
	for (size_t k = 0; k < l.n; k++) {
		const struct want *w = &cases[_i].w[k];
		if (w->name)
			ck_assert_pstr_eq(l.v[k].name, w->name);
		else
			ck_assert_msg(l.v[k].name == NULL, "%s: name \"%s\"", in, l.v[k].name);
		ck_assert_str_eq(l.v[k].address, w->addr);
	}
	if (cases[_i].kind == NONE)
		ck_assert_msg(td.d.count == 0, "%s: %zu defects", in, td.d.count);
	else
		ck_assert_msg(td.kinds[cases[_i].kind] >= 1, "%s: no %s", in,
			mime_defect_name(cases[_i].kind));
	mime_addr_list_clear(&l);
}
END_TEST

/* Several headers go into one list. */
START_TEST(test_append)
{
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	mime_addr_list_parse(S("a@x.test, b@x.test"), &l, NULL, NULL);
	mime_addr_list_parse(S("C <c@x.test>"), &l, NULL, NULL);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.v[2].name, "C");
	mime_addr_list_clear(&l);
	ck_assert_uint_eq(l.n, 0);
	mime_addr_list_clear(&l);
}
END_TEST

/* Deep nesting and long lists need no recursion and stay linear. */
START_TEST(test_hostile)
{
	struct qu_buf in;
	struct mime_addr_list l;
	qu_buf_init(&in, SIZE_MAX);
	for (int i = 0; i < 100000; i++)
		qu_buf_append_byte(&in, '(');
	qu_buf_append_str(&in, "x@y.z");
	mime_addr_list_init(&l);
	mime_addr_list_parse(in.data, in.len, &l, NULL, NULL);
	mime_addr_list_clear(&l);
	qu_buf_reset(&in);
	for (int i = 0; i < 20000; i++)
		qu_buf_printf(&in, "u%d@x.test, ", i);
	mime_addr_list_parse(in.data, in.len, &l, NULL, NULL);
	ck_assert_uint_eq(l.n, 20000);
	mime_addr_list_clear(&l);
	qu_buf_clear(&in);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime-address");
	TCase *tc = tcase_create("address");
	tcase_add_loop_test(tc, test_list, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_hostile);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
