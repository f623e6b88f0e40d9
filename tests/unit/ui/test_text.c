/*
 * The display sanitiser, the sender rule and fitting by cells
 * (src/ui/text.c), table-driven.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "ui/uitext.h"

#define DOTTED "\xE2\x97\x8C"
#define ZWJ "\xE2\x80\x8D"
#define MAN "\xF0\x9F\x91\xA8"
#define WOMAN "\xF0\x9F\x91\xA9"
#define GIRL "\xF0\x9F\x91\xA7"
#define HEART "\xE2\x9D\xA4"
#define VS16 "\xEF\xB8\x8F"
#define FIRE "\xF0\x9F\x94\xA5"
#define TONE "\xF0\x9F\x8F\xBD"
#define LAPTOP "\xF0\x9F\x92\xBB"
#define ACUTE "\xCC\x81"
#define ZHONG "\xE4\xB8\xAD" /* 中 */
#define WEN "\xE6\x96\x87"   /* 文 */
#define GRIN "\xF0\x9F\x98\x80"

struct san_case {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *field;
	const char *pager; /* NULL: same as field */
};

static const struct san_case san_cases[] = {
	{"empty", "", 0, "", NULL},
	{"ascii", "Hello, world", 0, "Hello, world", NULL},
	{"utf-8 kept", "caf\xC3\xA9 " ZHONG WEN, 0, "caf\xC3\xA9 " ZHONG WEN, NULL},
	/* C0 */
	{"nul", "a\0b", 3, "a^@b", NULL},
	{"soh", "\x01", 0, "^A", NULL},
	{"bell", "ring\a", 0, "ring^G", NULL},
	{"backspace", "x\bX", 0, "x^HX", NULL},
	{"vt ff", "\v\f", 0, "^K^L", NULL},
	{"unit separator", "\x1F", 0, "^_", NULL},
	{"del", "a\x7F", 0, "a^?", NULL},
	/* ESC and escape sequences */
	{"esc", "\x1B", 0, "^[", NULL},
	{"csi clear", "\x1B[2J", 0, "^[[2J", NULL},
	{"sgr", "\x1B[31mred\x1B[0m", 0, "^[[31mred^[[0m", NULL},
	{"osc title", "\x1B]0;pwned\x07", 0, "^[]0;pwned^G", NULL},
	{"osc 52", "\x1B]52;c;ZXZpbA==\x1B\\", 0, "^[]52;c;ZXZpbA==^[\\", NULL},
	{"dcs", "\x1BP1$r\x1B\\", 0, "^[P1$r^[\\", NULL},
	/* C1, as UTF-8 and as raw bytes */
	{"c1 nel", "a\xC2\x85" "b", 0, "a\\u0085b", NULL},
	{"c1 csi", "\xC2\x9B" "2J", 0, "\\u009B2J", NULL},
	{"c1 first", "\xC2\x80", 0, "\\u0080", NULL},
	{"c1 last", "\xC2\x9F", 0, "\\u009F", NULL},
	{"raw c1 byte", "\x9B" "2J", 0, "\\x9B2J", NULL},
	{"nbsp kept", "a\xC2\xA0" "b", 0, "a\xC2\xA0" "b", NULL},
	/* line structure */
	{"tab", "a\tb", 0, "a b", "a\tb"},
	{"lf", "a\nb", 0, "a b", "a\nb"},
	{"crlf", "a\r\nb", 0, "a b", "a\nb"},
	{"lone cr", "a\rb", 0, "a b", "a^Mb"},
	{"folded header", "Re:\r\n\tnext", 0, "Re:  next", "Re:\n\tnext"},
	{"line separator", "a\xE2\x80\xA8" "b", 0, "a b", NULL},
	{"paragraph separator", "a\xE2\x80\xA9" "b", 0, "a b", NULL},
	/* bidi and invisible format characters */
	{"rlo", "abc\xE2\x80\xAE" "fdp.exe", 0, "abcfdp.exe", NULL},
	{"lre pdf", "\xE2\x80\xAAx\xE2\x80\xAC", 0, "x", NULL},
	{"rle lro", "\xE2\x80\xAB\xE2\x80\xAD" "y", 0, "y", NULL},
	{"isolates", "\xE2\x81\xA6" "a\xE2\x81\xA7" "b\xE2\x81\xA8" "c\xE2\x81\xA9", 0, "abc",
		NULL},
	{"lrm rlm", "a\xE2\x80\x8E" "b\xE2\x80\x8F", 0, "ab", NULL},
	{"alm", "\xD8\x9C" "x", 0, "x", NULL},
	{"soft hyphen", "ex\xC2\xAD" "ample", 0, "example", NULL},
	{"bom", "\xEF\xBB\xBF" "Subject", 0, "Subject", NULL},
	{"zwsp", "pay\xE2\x80\x8Bpal", 0, "paypal", NULL},
	{"zwnj", "a\xE2\x80\x8C" "b", 0, "ab", NULL},
	{"word joiner", "a\xE2\x81\xA0" "b", 0, "ab", NULL},
	{"interlinear", "\xEF\xBF\xB9" "a\xEF\xBF\xBB", 0, "a", NULL},
	/* ZWJ */
	{"zwj family", MAN ZWJ WOMAN ZWJ GIRL, 0, MAN ZWJ WOMAN ZWJ GIRL, NULL},
	{"zwj heart fire", HEART VS16 ZWJ FIRE, 0, HEART VS16 ZWJ FIRE, NULL},
	{"zwj skin tone", MAN TONE ZWJ LAPTOP, 0, MAN TONE ZWJ LAPTOP, NULL},
	{"zwj between letters", "a" ZWJ "b", 0, "ab", NULL},
	{"zwj emoji then letter", GRIN ZWJ "b", 0, GRIN "b", NULL},
	{"zwj letter then emoji", "a" ZWJ GRIN, 0, "a" GRIN, NULL},
	{"zwj at start", ZWJ GRIN, 0, GRIN, NULL},
	{"zwj at end", GRIN ZWJ, 0, GRIN, NULL},
	{"double zwj", GRIN ZWJ ZWJ GRIN, 0, GRIN ZWJ GRIN, NULL},
	{"tag flag", "\xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xBF", 0,
		"\xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xBF", NULL},
	{"tag alone", "a\xF3\xA0\x81\xA7", 0, "a", NULL},
	/* combining marks */
	{"combining with base", "e" ACUTE, 0, "e" ACUTE, NULL},
	{"combining at start", ACUTE "x", 0, DOTTED ACUTE "x", NULL},
	{"two at start", ACUTE "\xCC\xA3", 0, DOTTED ACUTE "\xCC\xA3", NULL},
	{"combining after control", "\x01" ACUTE, 0, "^A" DOTTED ACUTE, NULL},
	{"combining after lf", "a\n" ACUTE, 0, "a " DOTTED ACUTE, "a\n" DOTTED ACUTE},
	{"combining after tab", "a\t" ACUTE, 0, "a " DOTTED ACUTE, "a\t" DOTTED ACUTE},
	{"combining after dropped", "a\xE2\x80\xAE" ACUTE, 0, "a" ACUTE, NULL},
	{"vs16 alone", VS16 "x", 0, "x", NULL},
	{"vs16 after emoji", HEART VS16, 0, HEART VS16, NULL},
	/* invalid UTF-8 */
	{"invalid ff", "a\xFF" "b", 0, "a\\xFFb", NULL},
	{"lone continuation", "\x80", 0, "\\x80", NULL},
	{"truncated", "\xE4\xB8", 0, "\\xE4\\xB8", NULL},
	{"overlong slash", "\xC0\xAF", 0, "\\xC0\\xAF", NULL},
	{"surrogate", "\xED\xA0\x80", 0, "\\xED\\xA0\\x80", NULL},
	{"above max", "\xF4\x90\x80\x80", 0, "\\xF4\\x90\\x80\\x80", NULL},
	{"invalid then combining", "\xFF" ACUTE, 0, "\\xFF" DOTTED ACUTE, NULL},
	{"latin-1 word", "caf\xE9", 0, "caf\\xE9", NULL},
};

START_TEST(test_sanitize)
{
	const struct san_case *c = &san_cases[_i];
	size_t len = c->len ? c->len : strlen(c->in);
	char *f = ui_text_sanitize(c->in, len, UI_TEXT_FIELD);
	ck_assert_msg(strcmp(f, c->field) == 0, "%s (field): got \"%s\", want \"%s\"", c->name, f,
		c->field);
	const char *want = c->pager ? c->pager : c->field;
	char *p = ui_text_sanitize(c->in, len, UI_TEXT_PAGER);
	ck_assert_msg(strcmp(p, want) == 0, "%s (pager): got \"%s\", want \"%s\"", c->name, p, want);
	/* What comes out is valid UTF-8 and holds no control but LF and TAB
	 * in the pager. */
	ck_assert(qu_utf8_valid(f, strlen(f)));
	for (const char *q = f; *q; q++)
		ck_assert_msg((unsigned char)*q >= 0x20 && *q != 0x7F, "%s: control", c->name);
	for (const char *q = p; *q; q++)
		ck_assert((unsigned char)*q >= 0x20 || *q == '\n' || *q == '\t');
	free(f);
	free(p);
}
END_TEST

START_TEST(test_sanitize_every_byte)
{
	/* No single byte value passes as a control. */
	for (unsigned b = 0; b < 256; b++) {
		char in = (char)b;
		char *f = ui_text_sanitize(&in, 1, UI_TEXT_FIELD);
		for (const char *q = f; *q; q++)
			ck_assert_msg((unsigned char)*q >= 0x20 && (unsigned char)*q < 0x7F,
				"byte %02X gives %02X", b, (unsigned char)*q);
		free(f);
	}
}
END_TEST

START_TEST(test_sanitize_appends)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, "x:");
	ui_text_sanitize_buf(&b, "\x1B", 1, UI_TEXT_FIELD);
	ck_assert_str_eq(b.data, "x:^[");
	qu_buf_clear(&b);
}
END_TEST

struct sender_case {
	const char *name, *addr, *want;
};

static const struct sender_case sender_cases[] = {
	{"Alice Example", "alice@example.com", "Alice Example"},
	{NULL, "bob@example.com", "bob@example.com"},
	{"", "bob@example.com", "bob@example.com"},
	{"  ", "bob@example.com", "bob@example.com"},
	{"Carol", NULL, "Carol"},
	{NULL, NULL, ""},
	{"support@paypal.com", "evil@attacker.example", "support@paypal.com <evil@attacker.example>"},
	{"bob@example.com", "bob@example.com", "bob@example.com"},
	{"BOB@Example.COM", "bob@example.com", "bob@example.com"},
	{"'bob@example.com'", "bob@example.com", "bob@example.com"},
	{"<bob@example.com>", "bob@example.com", "bob@example.com"},
	{"PayPal.com", "x@evil.example", "PayPal.com <x@evil.example>"},
	{"Service paypal.com team", "x@evil.example", "Service paypal.com team <x@evil.example>"},
	{"Dr. Who", "who@example.org", "Dr. Who"},
	{"J. R. R. Tolkien", "jrr@example.org", "J. R. R. Tolkien"},
	{"End of sentence.", "a@b.example", "End of sentence."},
	{"Version 1.2", "a@b.example", "Version 1.2"},
	{"ceo\xEF\xBC\xA0" "bank.example", "x@evil.example",
		"ceo\xEF\xBC\xA0" "bank.example <x@evil.example>"},
	{"ceo\xEF\xB9\xAB" "bank", "x@evil.example", "ceo\xEF\xB9\xAB" "bank <x@evil.example>"},
	/* Hidden characters cannot break up the at sign's neighbourhood. */
	{"pay\xE2\x80\x8Bpal.com", "x@evil.example", "paypal.com <x@evil.example>"},
	{"bank\xE2\x80\xAE" "@moc", "x@evil.example", "bank@moc <x@evil.example>"},
	/* No line break or escape survives. */
	{"Eve\r\nX-Injected: 1", "eve@example.org", "Eve X-Injected: 1"},
	{"\x1B[2JEve", "eve@example.org", "^[[2JEve"},
	{"\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E", "wang@example.cn",
		"\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E"},
};

START_TEST(test_sender)
{
	const struct sender_case *c = &sender_cases[_i];
	char *s = ui_sender_text(c->name, c->addr);
	ck_assert_msg(strcmp(s, c->want) == 0, "(%s, %s): got \"%s\", want \"%s\"",
		c->name ? c->name : "NULL", c->addr ? c->addr : "NULL", s, c->want);
	free(s);
}
END_TEST

struct fit_case {
	const char *s;
	size_t cells;
	bool pad;
	const char *marker;
	const char *want;
};

static const struct fit_case fit_cases[] = {
	{"hello", 10, false, NULL, "hello"},
	{"hello", 10, true, NULL, "hello     "},
	{"hello", 5, true, NULL, "hello"},
	{"hello", 4, false, NULL, "hell"},
	{"hello", 0, true, NULL, ""},
	{"", 3, true, NULL, "   "},
	{"hello", 4, false, ">", "hel>"},
	{"hello", 5, false, ">", "hello"},
	{"hello", 1, false, ">", ">"},
	{"hello", 3, true, "\xE2\x80\xA6", "he\xE2\x80\xA6"},
	{"hello", 1, false, "...", "h"},
	/* CJK: 2 cells each, at every boundary */
	{ZHONG WEN, 4, false, NULL, ZHONG WEN},
	{ZHONG WEN, 3, false, NULL, ZHONG " "},
	{ZHONG WEN, 3, true, NULL, ZHONG " "},
	{ZHONG WEN, 2, false, NULL, ZHONG},
	{ZHONG WEN, 1, false, NULL, " "},
	{ZHONG WEN, 0, false, NULL, ""},
	{ZHONG WEN, 5, true, NULL, ZHONG WEN " "},
	{ZHONG WEN "x", 4, false, ">", ZHONG " >"},
	{ZHONG WEN "x", 3, false, ">", ZHONG ">"},
	{"a" ZHONG WEN, 4, false, NULL, "a" ZHONG " "},
	{"a" ZHONG WEN, 4, true, ">", "a" ZHONG ">"},
	{"ab" ZHONG, 3, false, NULL, "ab "},
	/* emoji and ZWJ sequences stay whole */
	{GRIN "x", 1, false, NULL, " "},
	{GRIN "x", 2, false, NULL, GRIN},
	{MAN ZWJ WOMAN ZWJ GIRL "!", 2, false, NULL, MAN ZWJ WOMAN ZWJ GIRL},
	{MAN ZWJ WOMAN ZWJ GIRL "!", 3, true, NULL, MAN ZWJ WOMAN ZWJ GIRL "!"},
	{MAN ZWJ WOMAN ZWJ GIRL "!", 1, true, NULL, " "},
	{"x" HEART VS16 "y", 2, false, NULL, "x" HEART VS16},
	{"\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7" "FR", 2, false, NULL, "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7"},
	/* combining marks stay with their base */
	{"e" ACUTE "e" ACUTE, 1, false, NULL, "e" ACUTE},
	{"e" ACUTE "e" ACUTE, 2, true, NULL, "e" ACUTE "e" ACUTE},
	{"e" ACUTE "e" ACUTE "x", 2, false, ">", "e" ACUTE ">"},
	{"a" ACUTE "\xCC\xA3" "bc", 1, false, NULL, "a" ACUTE "\xCC\xA3"},
};

START_TEST(test_fit)
{
	const struct fit_case *c = &fit_cases[_i];
	char *s = ui_text_fit(c->s, c->cells, c->pad, c->marker);
	ck_assert_msg(strcmp(s, c->want) == 0, "case %d: got \"%s\", want \"%s\"", _i, s, c->want);
	size_t w = qu_utf8_cells(s, strlen(s));
	ck_assert_msg(w <= c->cells, "case %d: %zu cells > %zu", _i, w, c->cells);
	if (c->pad)
		ck_assert_uint_eq(w, c->cells);
	free(s);
}
END_TEST

START_TEST(test_fit_returns_cells)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_uint_eq(ui_text_fit_buf(&b, ZHONG WEN, strlen(ZHONG WEN), 3, false, NULL), 3);
	ck_assert_uint_eq(ui_text_fit_buf(&b, "ab", 2, 5, false, NULL), 2);
	ck_assert_uint_eq(ui_text_fit_buf(&b, "ab", 2, 5, true, NULL), 5);
	ck_assert_str_eq(b.data, ZHONG " abab   ");
	qu_buf_clear(&b);
}
END_TEST

/* Every width from 0 to past the end, for strings mixing CJK, emoji
 * sequences, flags and combining marks: the result never passes the
 * width, padded it takes exactly the width, and without a marker it is a
 * prefix of the input made of whole clusters, plus at most one space. */
static const char *const boundary_strings[] = {
	"a" ZHONG "b" WEN "c",
	ZHONG WEN ZHONG WEN,
	"e" ACUTE ZHONG "e" ACUTE "\xCC\xA3" WEN,
	MAN ZWJ WOMAN ZWJ GIRL "x" GRIN "y" HEART VS16,
	"\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7" "a\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA",
	MAN TONE ZWJ LAPTOP ZHONG,
};

START_TEST(test_fit_every_boundary)
{
	const char *s = boundary_strings[_i];
	size_t n = strlen(s), total = qu_utf8_cells(s, n);
	for (size_t w = 0; w <= total + 2; w++) {
		for (int k = 0; k < 4; k++) {
			bool pad = k & 1;
			const char *marker = k & 2 ? ">" : NULL;
			char *r = ui_text_fit(s, w, pad, marker);
			size_t rl = strlen(r), rc = qu_utf8_cells(r, rl);
			ck_assert_msg(rc <= w, "%s at %zu: %zu cells", s, w, rc);
			if (pad)
				ck_assert_msg(rc == w, "%s at %zu padded: %zu cells", s, w, rc);
			if (w >= total)
				ck_assert(strncmp(r, s, n) == 0);
			if (!marker || w >= total) {
				/* The kept part ends on a cluster boundary of s. */
				size_t keep = rl;
				while (keep > 0 && r[keep - 1] == ' ')
					keep--;
				ck_assert(strncmp(r, s, keep) == 0);
				size_t cells;
				size_t fit = qu_utf8_fit(s, n, qu_utf8_cells(s, keep), &cells);
				ck_assert_msg(fit == keep, "%s at %zu: cut inside a cluster", s, w);
			} else if (w > 0) {
				ck_assert(rl > 0 && r[rl - 1] == '>');
			}
			free(r);
		}
	}
}
END_TEST

static Suite *
text_suite(void)
{
	Suite *s = suite_create("ui_text");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_sanitize, 0, (int)QU_ARRAY_LEN(san_cases));
	tcase_add_test(tc, test_sanitize_every_byte);
	tcase_add_test(tc, test_sanitize_appends);
	tcase_add_loop_test(tc, test_sender, 0, (int)QU_ARRAY_LEN(sender_cases));
	tcase_add_loop_test(tc, test_fit, 0, (int)QU_ARRAY_LEN(fit_cases));
	tcase_add_test(tc, test_fit_returns_cells);
	tcase_add_loop_test(tc, test_fit_every_boundary, 0, (int)QU_ARRAY_LEN(boundary_strings));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(text_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
