/*
 * Terminal cells of UTF-8 text (src/util/width.c), table-driven.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

struct cells_case {
	const char *name;
	const char *s;
	size_t len; /* 0: strlen(s) */
	size_t cells;
};

static const struct cells_case cells_cases[] = {
	{"empty", "", 0, 0},
	{"ascii", "hello, world", 0, 12},
	{"latin-1", "caf\xC3\xA9", 0, 4},
	{"cjk", "\xE4\xB8\xAD\xE6\x96\x87", 0, 4},                   /* 中文 */
	{"cjk ext b", "\xF0\xA0\x80\x80", 0, 2},                     /* U+20000 */
	{"kana", "\xE3\x81\x8B\xE3\x81\xAA", 0, 4},                  /* かな */
	{"halfwidth kana", "\xEF\xBD\xB1", 0, 1},                    /* U+FF71 */
	{"hangul syllable", "\xED\x95\x9C", 0, 2},                   /* 한 */
	{"hangul jamo", "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", 0, 2}, /* ᄒ ᅡ ᆫ */
	{"fullwidth A", "\xEF\xBC\xA1", 0, 2},                       /* U+FF21 */
	{"ideographic space", "\xE3\x80\x80", 0, 2},                 /* U+3000 */
	{"e + acute", "e\xCC\x81", 0, 1},                            /* e U+0301 */
	{"two marks", "a\xCC\x81\xCC\xA3x", 0, 2},
	{"lone mark", "\xCC\x81", 0, 0},
	{"emoji", "\xF0\x9F\x98\x80", 0, 2},                         /* U+1F600 */
	{"emoji + vs16", "\xF0\x9F\x98\x80\xEF\xB8\x8F", 0, 2},
	{"heart + vs16", "\xE2\x9D\xA4\xEF\xB8\x8F", 0, 1},          /* text default */
	{"zwj family",
		"\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", 0, 2},
	{"zwj between letters", "a\xE2\x80\x8D" "b", 0, 2},
	{"flag", "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7", 0, 2},           /* FR */
	{"two flags", "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA", 0, 4},
	{"lone regional", "\xF0\x9F\x87\xAB", 0, 2},
	{"skin tone", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", 0, 2},
	{"zero-width space", "a\xE2\x80\x8B" "b", 0, 2},
	{"bidi mark", "\xE2\x80\x8F", 0, 0},                         /* U+200F */
	{"bom", "\xEF\xBB\xBF", 0, 0},
	{"soft hyphen", "\xC2\xAD", 0, 1},
	{"invalid byte", "\xFF", 0, 1},
	{"truncated", "\xE4\xB8", 0, 2},
	{"overlong", "\xC0\xAF", 0, 2},
	{"surrogate", "\xED\xA0\x80", 0, 3},
	{"control", "a\tb", 0, 3},
	{"nul", "a\0b", 3, 3},
};

START_TEST(test_cells)
{
	const struct cells_case *c = &cells_cases[_i];
	size_t len = c->len ? c->len : strlen(c->s);
	ck_assert_msg(qu_utf8_cells(c->s, len) == c->cells, "%s: got %zu, want %zu", c->name,
		qu_utf8_cells(c->s, len), c->cells);
}
END_TEST

START_TEST(test_cp_cells)
{
	static const struct {
		uint32_t cp;
		int cells;
	} t[] = {
		{0x00, -1}, {0x1B, -1}, {0x7F, -1}, {0x85, -1}, {0x9F, -1}, {0x20, 1}, {0x41, 1},
		{0xA0, 1}, {0x300, 0}, {0x20D7, 0}, {0x200B, 0}, {0x200D, 0}, {0x2060, 0},
		{0xFE0F, 0}, {0xE0100, 0}, {0x1160, 0}, {0x1100, 2}, {0x3042, 2}, {0x4E00, 2},
		{0x9FFF, 2}, {0xAC00, 2}, {0xFF01, 2}, {0xFF61, 1}, {0x1F600, 2}, {0x1F1E6, 2},
		{0x2764, 1}, {0x231A, 2}, {0x3099, 0}, {0x10FFFF, 1}, {0x0E01, 1}, {0x0E31, 0},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++)
		ck_assert_msg(qu_cp_cells(t[i].cp) == t[i].cells, "U+%04X: got %d, want %d",
			(unsigned)t[i].cp, qu_cp_cells(t[i].cp), t[i].cells);
}
END_TEST

START_TEST(test_decode)
{
	static const struct {
		const char *s;
		size_t n;
		size_t len;
		uint32_t cp;
	} t[] = {
		{"A", 1, 1, 0x41},
		{"\0", 1, 1, 0},
		{"\xC3\xA9", 2, 2, 0xE9},
		{"\xE2\x82\xAC", 3, 3, 0x20AC},
		{"\xF0\x9F\x98\x80", 4, 4, 0x1F600},
		{"\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF},
		{"\xF4\x90\x80\x80", 4, 1, 0xFFFFFFFF}, /* above U+10FFFF */
		{"\xC0\x80", 2, 1, 0xFFFFFFFF},         /* overlong NUL */
		{"\xE0\x80\xAF", 3, 1, 0xFFFFFFFF},     /* overlong */
		{"\xED\xB0\x80", 3, 1, 0xFFFFFFFF},     /* surrogate */
		{"\xE2\x82\xAC", 2, 1, 0xFFFFFFFF},     /* truncated by n */
		{"\xE2\x28\xAC", 3, 1, 0xFFFFFFFF},     /* bad continuation */
		{"\x80", 1, 1, 0xFFFFFFFF},
		{"\xFE", 1, 1, 0xFFFFFFFF},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++) {
		uint32_t cp = 0;
		size_t len = qu_utf8_decode(t[i].s, t[i].n, &cp);
		ck_assert_msg(len == t[i].len && cp == t[i].cp, "case %zu: got %zu U+%X", i, len,
			(unsigned)cp);
	}
}
END_TEST

struct fit_case {
	const char *s;
	size_t max;
	size_t bytes;
	size_t cells;
};

static const struct fit_case fit_cases[] = {
	{"hello", 10, 5, 5},
	{"hello", 5, 5, 5},
	{"hello", 3, 3, 3},
	{"hello", 0, 0, 0},
	{"\xE4\xB8\xAD\xE6\x96\x87", 3, 3, 2}, /* the second ideograph does not fit */
	{"\xE4\xB8\xAD\xE6\x96\x87", 1, 0, 0},
	{"\xE4\xB8\xAD\xE6\x96\x87", 4, 6, 4},
	{"ae\xCC\x81x", 2, 4, 2},                /* the mark stays with its e */
	{"ae\xCC\x81x", 1, 1, 1},
	{"a\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9", 2, 1, 1},
	{"a\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9", 3, 12, 3},
	{"\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7x", 2, 8, 2},
	{"\xFF\xFFz", 2, 2, 2},
	{"\xCC\x81" "ab", 1, 3, 1}, /* a lone mark takes no cell */
};

START_TEST(test_fit)
{
	const struct fit_case *c = &fit_cases[_i];
	size_t cells = 99;
	size_t bytes = qu_utf8_fit(c->s, strlen(c->s), c->max, &cells);
	ck_assert_msg(bytes == c->bytes && cells == c->cells,
		"case %d: got %zu bytes %zu cells, want %zu %zu", _i, bytes, cells, c->bytes,
		c->cells);
	ck_assert_uint_eq(qu_utf8_fit(c->s, strlen(c->s), c->max, NULL), c->bytes);
}
END_TEST

/* Every byte string measures without reading past its end and the fit of
 * its full width is the whole string. */
START_TEST(test_fit_whole)
{
	static const char *const s[] = {"abc", "\xE4\xB8\xAD" "a\xCC\x81", "\xF0\x9F", "\xC3"};
	for (size_t i = 0; i < QU_ARRAY_LEN(s); i++) {
		size_t n = strlen(s[i]), cells;
		size_t w = qu_utf8_cells(s[i], n);
		ck_assert_uint_eq(qu_utf8_fit(s[i], n, w, &cells), n);
		ck_assert_uint_eq(cells, w);
	}
}
END_TEST

static Suite *
width_suite(void)
{
	Suite *s = suite_create("width");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_cells, 0, (int)QU_ARRAY_LEN(cells_cases));
	tcase_add_test(tc, test_cp_cells);
	tcase_add_test(tc, test_decode);
	tcase_add_loop_test(tc, test_fit, 0, (int)QU_ARRAY_LEN(fit_cases));
	tcase_add_test(tc, test_fit_whole);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(width_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
