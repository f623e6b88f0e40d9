/*
 * Unstructured header text: unfolding and RFC 2047 encoded words.
 */
#include "tcommon.h"

#define FFFD "\xef\xbf\xbd"

static const struct {
	const char *in;
	unsigned flags;
	const char *out;
	enum mime_defect_kind kind; /* a defect expected, or MIME_DEFECT__COUNT for none */
} cases[] = {
	{"plain subject", 0, "plain subject", MIME_DEFECT__COUNT},
	{"=?utf-8?B?5Lit5paH?=", 0, "中文", MIME_DEFECT__COUNT},
	{"=?UTF-8?Q?caf=C3=A9?=", 0, "café", MIME_DEFECT__COUNT},
	{"=?iso-8859-1?q?caf=e9?=", 0, "café", MIME_DEFECT__COUNT},
	{"=?utf-8?Q?hello_world?=", 0, "hello world", MIME_DEFECT__COUNT},
	{"=?utf-8?Q?a_b__c?=", 0, "a b  c", MIME_DEFECT__COUNT},
	{"=?utf-8?Q?under=5Fscore?=", 0, "under_score", MIME_DEFECT__COUNT},
	/* White space between adjacent words goes, also across charsets. */
	{"=?utf-8?Q?a?= =?utf-8?Q?b?=", 0, "ab", MIME_DEFECT__COUNT},
	{"=?utf-8?Q?a?=\r\n =?utf-8?Q?b?=", 0, "ab", MIME_DEFECT__COUNT},
	{"=?utf-8?Q?a?=\n\t  =?utf-8?Q?b?=", 0, "ab", MIME_DEFECT__COUNT},
	{"=?iso-8859-1?Q?caf=E9?= =?utf-8?B?5Lit?=", 0, "café中", MIME_DEFECT__COUNT},
	{"=?utf-8?B?5Lit?= =?iso-8859-1?Q?=E9?= =?utf-8?B?5paH?=", 0, "中é文", MIME_DEFECT__COUNT},
	/* Text between words stays. */
	{"=?utf-8?Q?a?= x =?utf-8?Q?b?=", 0, "a x b", MIME_DEFECT__COUNT},
	{"Re: =?utf-8?B?5Lit5paH?= (2)", 0, "Re: 中文 (2)", MIME_DEFECT__COUNT},
	{"Fwd:=?utf-8?Q?x?=", 0, "Fwd:x", MIME_DEFECT__COUNT},
	{"foo=?utf-8?Q?bar?=baz", 0, "foobarbaz", MIME_DEFECT__COUNT},
	{"=?utf-8?Q?a?==?utf-8?Q?b?=", 0, "ab", MIME_DEFECT__COUNT},
	/* A character split across two words survives. */
	{"=?utf-8?B?5Lg=?= =?utf-8?B?rQ==?=", 0, "中", MIME_DEFECT__COUNT},
	{"=?utf-8?Q?=E4=B8?= =?utf-8?Q?=AD?=", 0, "中", MIME_DEFECT__COUNT},
	{"=?UTF-8?Q?=E4=B8?=\r\n =?utf-8?B?rQ==?=", 0, "中", MIME_DEFECT__COUNT},
	{"=?gb2312?B?1g==?= =?gb2312?B?0A==?=", 0, "中", MIME_DEFECT__COUNT},
	{"=?gbk?B?zNWGtA==?=", 0, "陶喆", MIME_DEFECT__COUNT},
	{"=?gb2312?B?zNWGtA==?=", 0, "陶喆", MIME_DEFECT__COUNT},
	{"=?ISO-2022-JP?B?GyRCJCIbKEI=?=", 0, "あ", MIME_DEFECT__COUNT},
	{"=?shift_jis?B?gqA=?=", 0, "あ", MIME_DEFECT__COUNT},
	{"=?big5?Q?=A4=A4?=", 0, "中", MIME_DEFECT__COUNT},
	{"=?euc-kr?B?x9E=?=", 0, "한", MIME_DEFECT__COUNT},
	{"=?koi8-r?Q?=F0=D2=C9?=", 0, "При", MIME_DEFECT__COUNT},
	/* RFC 2231 §5 language. */
	{"=?utf-8*en?Q?hi?=", 0, "hi", MIME_DEFECT__COUNT},
	{"=?US-ASCII*EN?Q?Keith_Moore?=", 0, "Keith Moore", MIME_DEFECT__COUNT},
	/* Unknown charsets: UTF-8 when valid, else windows-1252. */
	{"=?x-unknown?Q?caf=C3=A9?=", 0, "café", MIME_DEFECT_CHARSET_UNKNOWN},
	{"=?x-unknown?Q?caf=E9?=", 0, "café", MIME_DEFECT_CHARSET_UNKNOWN},
	{"=?us-ascii?Q?caf=E9?=", 0, "café", MIME_DEFECT_CHARSET_GUESSED},
	/* Malformed words stay as they are. */
	{"=?utf-8?X?abc?=", 0, "=?utf-8?X?abc?=", MIME_DEFECT_RFC2047_MALFORMED},
	{"=?utf-8?Q?abc", 0, "=?utf-8?Q?abc", MIME_DEFECT_RFC2047_MALFORMED},
	{"=?utf-8?Q", 0, "=?utf-8?Q", MIME_DEFECT_RFC2047_MALFORMED},
	{"=??Q?abc?=", 0, "=??Q?abc?=", MIME_DEFECT__COUNT},
	{"a =?utf-8?Q?b c =?utf-8?Q?d?=", 0, "a =?utf-8?Q?b c d", MIME_DEFECT_RFC2047_MALFORMED},
	{"=? not a word ?=", 0, "=? not a word ?=", MIME_DEFECT__COUNT},
	{"100% =?", 0, "100% =?", MIME_DEFECT__COUNT},
	{"a=?b", 0, "a=?b", MIME_DEFECT__COUNT},
	{"x=?y?z", 0, "x=?y?z", MIME_DEFECT_RFC2047_MALFORMED},
	/* Lenient content. */
	{"=?utf-8?Q?hello world?=", 0, "hello world", MIME_DEFECT__COUNT},
	{"=?utf-8?B?QUI?=", 0, "AB", MIME_DEFECT_RFC2047_BAD_ENCODING},
	{"=?utf-8?B?QU*JD?=", 0, "ABC", MIME_DEFECT_RFC2047_BAD_ENCODING},
	{"=?utf-8?Q?a=ZZ?=", 0, "a=ZZ", MIME_DEFECT_RFC2047_BAD_ENCODING},
	{"=?utf-8?Q?a=?=", 0, "a=", MIME_DEFECT_RFC2047_BAD_ENCODING},
	{"=?utf-8?Q?" "?=", 0, "", MIME_DEFECT__COUNT},
	{"=?utf-8?Q?a=00b?=", 0, "a" FFFD "b", MIME_DEFECT__COUNT},
	{"=?utf-8?B?/w==?=", 0, FFFD, MIME_DEFECT_CHARSET_INVALID},
	/* Words inside quotes (against the RFC, as mailers do). */
	{"\"=?utf-8?Q?caf=C3=A9?=\"", 0, "\"café\"", MIME_DEFECT__COUNT},
	/* Raw 8-bit: UTF-8 when valid, else windows-1252. */
	{"Grüße", 0, "Grüße", MIME_DEFECT__COUNT},
	{"Gr\xfc\xdf" "e", 0, "Grüße", MIME_DEFECT_HEADER_8BIT},
	{"caf\xe9 =?utf-8?B?5Lit?=", 0, "café 中", MIME_DEFECT_HEADER_8BIT},
	{"\x93quoted\x94", 0, "“quoted”", MIME_DEFECT_HEADER_8BIT},
	{"中文 =?utf-8?Q?x?=", 0, "中文 x", MIME_DEFECT__COUNT},
	/* Unfolding and trimming. */
	{"hello\r\n world", 0, "hello world", MIME_DEFECT__COUNT},
	{"a\n\tb", 0, "a\tb", MIME_DEFECT__COUNT},
	{"  hello  ", MIME_TEXT_TRIM, "hello", MIME_DEFECT__COUNT},
	{"  hello  ", 0, "  hello  ", MIME_DEFECT__COUNT},
	{" =?utf-8?Q?_x_?= ", MIME_TEXT_TRIM, "x", MIME_DEFECT__COUNT},
	{"=?utf-8?Q?a?=  ", 0, "a  ", MIME_DEFECT__COUNT},
	{"\r\n\t", MIME_TEXT_TRIM, "", MIME_DEFECT__COUNT},
	{"", 0, "", MIME_DEFECT__COUNT},
};

START_TEST(test_decode)
{
	struct tdefects td;
	tdefects_init(&td);
	const char *in = cases[_i].in;
	char *got = mime_text_decode(in, strlen(in), cases[_i].flags, NULL, &td.d);
	ck_assert_str_eq(got, cases[_i].out);
	if (cases[_i].kind == MIME_DEFECT__COUNT)
		ck_assert_msg(td.d.count == 0, "%s: %zu defects", in, td.d.count);
	else
		ck_assert_msg(td.kinds[cases[_i].kind] >= 1, "%s: no %s", in,
			mime_defect_name(cases[_i].kind));
	free(got);
}
END_TEST

/* A long run of adjacent words: one character split over many words. */
START_TEST(test_many_words)
{
	struct qu_buf in;
	qu_buf_init(&in, SIZE_MAX);
	for (int i = 0; i < 500; i++)
		qu_buf_append_str(&in, "=?utf-8?Q?=E4?= =?utf-8?Q?=B8?=\r\n =?UTF-8?Q?=AD?= ");
	char *got = mime_text_decode(in.data, in.len, MIME_TEXT_TRIM, NULL, NULL);
	ck_assert_uint_eq(strlen(got), 1500);
	for (int i = 0; i < 500; i++)
		ck_assert(memcmp(got + 3 * i, "中", 3) == 0);
	free(got);
	qu_buf_clear(&in);
}
END_TEST

/* Many unclosed words: the search for "?=" is bounded, so this is fast. */
START_TEST(test_unclosed)
{
	struct qu_buf in;
	qu_buf_init(&in, SIZE_MAX);
	for (int i = 0; i < 50000; i++)
		qu_buf_append_str(&in, "=?a?q?x,");
	char *got = mime_text_decode(in.data, in.len, 0, NULL, NULL);
	ck_assert_uint_eq(strlen(got), in.len);
	free(got);
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	mime_addr_list_parse(in.data, in.len, &l, NULL, NULL);
	mime_addr_list_clear(&l);
	qu_buf_clear(&in);
}
END_TEST

static const struct {
	const char *in;
	const char *out;
} unfold_cases[] = {
	{"", ""}, {"abc", "abc"}, {"a\r\n b", "a b"}, {"a\n b", "a b"}, {"a\r\n\tb", "a\tb"},
	{"a\r\nb", "a\r\nb"}, {"a\r\n", "a\r\n"}, {"a\r\n \r\n b", "a  b"}, {"a\r \n b", "a\r  b"},
};

START_TEST(test_unfold)
{
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	const char *in = unfold_cases[_i].in;
	ck_assert_int_eq(mime_unfold(in, strlen(in), &out), 0);
	ck_assert_str_eq(out.data ? out.data : "", unfold_cases[_i].out);
	qu_buf_clear(&out);
}
END_TEST

START_TEST(test_with_cache)
{
	struct mime_charset_cache cache;
	mime_charset_cache_init(&cache);
	for (size_t i = 0; i < QU_ARRAY_LEN(cases); i++) {
		char *got = mime_text_decode(cases[i].in, strlen(cases[i].in), cases[i].flags, &cache,
			NULL);
		ck_assert_str_eq(got, cases[i].out);
		free(got);
	}
	mime_charset_cache_clear(&cache);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime-rfc2047");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_decode, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_test(tc, test_many_words);
	tcase_add_test(tc, test_unclosed);
	tcase_add_loop_test(tc, test_unfold, 0, (int)QU_ARRAY_LEN(unfold_cases));
	tcase_add_test(tc, test_with_cache);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
