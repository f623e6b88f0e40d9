/*
 * Pager lines (src/ui/wrap.c): wrapping by cells, format=flowed (RFC
 * 3676), quote depth, signatures, URL spans and the link list, header
 * weeding. Each case lists the exact screen lines expected, one per row:
 * "<depth><flags>|<text>", flags from h (header), s (signature), c
 * (continuation), or '.' for none.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "ui/uitext.h"

#define ZHONG "\xE4\xB8\xAD" /* 中 */
#define WEN "\xE6\x96\x87"   /* 文 */
#define RI "\xE6\x97\xA5"    /* 日 */
#define BEN "\xE6\x9C\xAC"   /* 本 */
#define YU "\xE8\xAA\x9E"    /* 語 */
#define GRIN "\xF0\x9F\x98\x80"

static char *
render(const struct ui_lines *l)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < l->n; i++) {
		const struct ui_line *ln = &l->v[i];
		qu_buf_printf(&b, "%u", ln->quote);
		if (ln->header)
			qu_buf_append_byte(&b, 'h');
		if (ln->signature)
			qu_buf_append_byte(&b, 's');
		if (ln->cont)
			qu_buf_append_byte(&b, 'c');
		if (!ln->header && !ln->signature && !ln->cont)
			qu_buf_append_byte(&b, '.');
		qu_buf_printf(&b, "|%s\n", ln->text);
	}
	return qu_buf_steal(&b, NULL);
}

struct wrap_case {
	const char *name;
	const char *in;
	size_t width;
	bool flowed, delsp;
	const char *want;
};

static const struct wrap_case wrap_cases[] = {
	{"empty", "", 20, false, false, ""},
	{"one short line", "hello", 20, false, false, "0.|hello\n"},
	{"final newline", "hello\n", 20, false, false, "0.|hello\n"},
	{"empty line", "\n", 20, false, false, "0.|\n"},
	{"blank lines kept", "a\n\nb\n", 20, false, false, "0.|a\n0.|\n0.|b\n"},
	{"crlf", "a\r\nb\r\n", 20, false, false, "0.|a\n0.|b\n"},
	{"exact width", "abcde", 5, false, false, "0.|abcde\n"},
	{"word wrap", "the quick brown fox", 10, false, false,
		"0.|the quick\n0c|brown fox\n"},
	{"word wrap at space after limit", "hello world", 5, false, false,
		"0.|hello\n0c|world\n"},
	{"several spaces", "aaa    bbb", 5, false, false, "0.|aaa\n0c|bbb\n"},
	{"long word cut", "abcdefghij", 4, false, false, "0.|abcd\n0c|efgh\n0c|ij\n"},
	{"tab expanded", "a\tb", 20, false, false, "0.|a       b\n"},
	{"tab stops", "abc\tde\tf", 20, false, false, "0.|abc     de      f\n"},
	{"cjk breaks anywhere", ZHONG WEN RI BEN YU, 4, false, false,
		"0.|" ZHONG WEN "\n0c|" RI BEN "\n0c|" YU "\n"},
	{"cjk odd width", ZHONG WEN RI, 5, false, false, "0.|" ZHONG WEN "\n0c|" RI "\n"},
	{"mixed ascii cjk", "ab" ZHONG WEN "cd", 4, false, false,
		"0.|ab" ZHONG "\n0c|" WEN "cd\n"},
	{"ascii word after cjk", ZHONG "hello world", 8, false, false,
		"0.|" ZHONG "hello\n0c|world\n"},
	{"emoji", GRIN GRIN GRIN, 4, false, false, "0.|" GRIN GRIN "\n0c|" GRIN "\n"},
	{"quote depth", "> a\n>> b\n> > c\n>d\nx > y", 20, false, false,
		"1.|> a\n2.|>> b\n2.|> > c\n1.|>d\n0.|x > y\n"},
	{"quoted wrap keeps depth", "> one two three", 9, false, false,
		"1.|> one two\n1c|three\n"},
	{"signature", "body\n-- \nAlice\nhttp://a.example", 30, false, false,
		"0.|body\n0s|-- \n0s|Alice\n0s|http://a.example\n"},
	{"not a signature", "--\n--  \n -- ", 20, false, false, "0.|--\n0.|--  \n0.| -- \n"},
	{"quoted signature", "> text\n> -- \n> Bob\nmine", 20, false, false,
		"1.|> text\n1s|> -- \n1s|> Bob\n0.|mine\n"},
	{"url not split", "see https://example.com/a/b/c now", 12, false, false,
		"0.|see\n0c|https://exam\n0c|ple.com/a/b/\n0c|c now\n"},
	{"url kept whole when it fits", "go to http://ex.org/x ok", 16, false, false,
		"0.|go to\n0c|http://ex.org/x\n0c|ok\n"},
	{"controls sanitised", "a\x1B[2Jb\n", 20, false, false, "0.|a^[[2Jb\n"},
	{"width 1", "ab", 1, false, false, "0.|a\n0c|b\n"},
	{"space with mark is no gap", "ab \xCC\x81 cd", 3, false, false,
		"0.|ab \xCC\x81\n0c|cd\n"},
	/* RFC 3676 */
	{"flowed joined", "This is \nflowed \ntext.\n", 40, true, false,
		"0.|This is flowed text.\n"},
	{"flowed delsp", "Hyphen-\nated  \nword.", 40, true, true, "0.|Hyphen-\n0.|ated word.\n"},
	{"flowed delsp joins", "super \ncalifragilistic\n", 40, true, true,
		"0.|supercalifragilistic\n"},
	{"flowed fixed lines", "line one\nline two\n", 40, true, false,
		"0.|line one\n0.|line two\n"},
	{"flowed rewrapped", "aaa bbb \nccc ddd\n", 8, true, false,
		"0.|aaa bbb\n0c|ccc ddd\n"},
	{"flowed quote", "> quoted \n> text\nreply\n", 40, true, false,
		"1.|> quoted text\n0.|reply\n"},
	{"flowed depth 2", ">> deep \n>> er\n", 40, true, false, "2.|>> deep er\n"},
	{"flowed quote change ends para", "> one \n>> two\n", 40, true, false,
		"1.|> one \n2.|>> two\n"},
	{"flowed stuffing", " From here\n >not quote\n", 40, true, false,
		"0.|From here\n0.|>not quote\n"},
	{"flowed sig", "text \n-- \nsig\n", 40, true, false,
		"0.|text \n0s|-- \n0s|sig\n"},
	{"flowed quoted wrapped", "> aaa bbb \n> ccc\n", 9, true, false,
		"1.|> aaa bbb\n1c|> ccc\n"},
	{"flowed empty quoted line", "> a\n>\n> b\n", 20, true, false, "1.|> a\n1.|>\n1.|> b\n"},
	{"flowed last line flowed", "end \n", 20, true, false, "0.|end \n"},
	{"flowed quote, cjk, narrow", "> \xEF\xBC\xA0\n", 2, true, false, "1.|\xEF\xBC\xA0\n"},
	{"flowed deep quote, narrow", ">>>> ab\n", 4, true, false, "4.|>>ab\n"},
	{"flowed cjk", ZHONG WEN " \n" RI BEN "\n", 4, true, true,
		"0.|" ZHONG WEN "\n0c|" RI BEN "\n"},
};

START_TEST(test_wrap)
{
	const struct wrap_case *c = &wrap_cases[_i];
	struct ui_lines l;
	ui_lines_init(&l);
	struct ui_wrap_opts o = {c->width, c->flowed, c->delsp, 0};
	ui_lines_add_text(&l, c->in, strlen(c->in), &o);
	char *got = render(&l);
	ck_assert_msg(strcmp(got, c->want) == 0, "%s:\ngot:\n%s\nwant:\n%s", c->name, got, c->want);
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_uint_le(l.v[i].cells, c->width);
		ck_assert_uint_eq(l.v[i].cells, qu_utf8_cells(l.v[i].text, l.v[i].len));
		ck_assert_uint_eq(l.v[i].len, strlen(l.v[i].text));
	}
	free(got);
	ui_lines_clear(&l);
}
END_TEST

START_TEST(test_url_spans)
{
	struct ui_lines l;
	ui_lines_init(&l);
	struct ui_wrap_opts o = {12, false, false, 0};
	const char *t = "see https://example.com/a/b/c now\na www.x.org.";
	ui_lines_add_text(&l, t, strlen(t), &o);
	ck_assert_uint_eq(l.nurls, 2);
	ck_assert_str_eq(l.urls[0], "https://example.com/a/b/c");
	ck_assert_str_eq(l.urls[1], "www.x.org");
	ck_assert_uint_eq(l.n, 5);
	ck_assert_uint_eq(l.v[0].nurls, 0);
	/* The URL cut over three lines has a span on each. */
	for (size_t i = 1; i <= 3; i++) {
		ck_assert_uint_eq(l.v[i].nurls, 1);
		ck_assert_uint_eq(l.v[i].urls[0].url, 0);
		ck_assert_uint_eq(l.v[i].urls[0].start, 0);
	}
	ck_assert_uint_eq(l.v[1].urls[0].end, 12);
	ck_assert_uint_eq(l.v[3].urls[0].end, 1);
	ck_assert_str_eq(l.v[4].text, "a www.x.org.");
	ck_assert_uint_eq(l.v[4].nurls, 1);
	ck_assert_uint_eq(l.v[4].urls[0].start, 2);
	ck_assert_uint_eq(l.v[4].urls[0].end, 11);
	ck_assert_uint_eq(l.v[4].urls[0].url, 1);
	ui_lines_clear(&l);
}
END_TEST

START_TEST(test_url_spans_flowed_prefix)
{
	struct ui_lines l;
	ui_lines_init(&l);
	struct ui_wrap_opts o = {40, true, false, 0};
	const char *t = "> look at \n> http://a.example/x\n";
	ui_lines_add_text(&l, t, strlen(t), &o);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].text, "> look at http://a.example/x");
	ck_assert_uint_eq(l.v[0].nurls, 1);
	ck_assert_uint_eq(l.v[0].urls[0].start, 10);
	ck_assert_uint_eq(l.v[0].urls[0].end, 28);
	ui_lines_clear(&l);
}
END_TEST

struct url_case {
	const char *in;
	const char *want; /* URLs joined by " | " */
};

static const struct url_case url_cases[] = {
	{"", ""},
	{"no links here", ""},
	{"http://example.com", "http://example.com"},
	{"HTTPS://Example.COM/Path", "HTTPS://Example.COM/Path"},
	{"see http://a.example/x.", "http://a.example/x"},
	{"end: http://a.example/x, then", "http://a.example/x"},
	{"(see http://a.example/x)", "http://a.example/x"},
	{"http://en.wikipedia.org/wiki/C_(language)", "http://en.wikipedia.org/wiki/C_(language)"},
	{"(http://en.wikipedia.org/wiki/C_(language))", "http://en.wikipedia.org/wiki/C_(language)"},
	{"<http://a.example/y>", "http://a.example/y"},
	{"\"http://a.example/q\"", "http://a.example/q"},
	{"ftp://ftp.example.org/pub", "ftp://ftp.example.org/pub"},
	{"mail mailto:bob@example.com!", "mailto:bob@example.com"},
	{"www.example.org/page?", "www.example.org/page"},
	{"two: http://a.example and https://b.example/?q=1&r=2#f",
		"http://a.example | https://b.example/?q=1&r=2#f"},
	{"http://", ""},
	{"www.", ""},
	{"www..x", ""},
	{"bob@www.example.org", ""},
	{"xhttp://a.example", ""},
	{"a.www.example.org", ""},
	{"http://a.example/it's", "http://a.example/it's"},
	{"[http://a.example/z]", "http://a.example/z"},
	{"http://a.example/\x1B", "http://a.example/"},
	{"http://a.example/" ZHONG, "http://a.example/"},
	{"http://a.example/a\nwww.b.example", "http://a.example/a | www.b.example"},
};

START_TEST(test_url_find)
{
	const struct url_case *c = &url_cases[_i];
	size_t n;
	struct ui_url *u = ui_url_find(c->in, strlen(c->in), &n);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < n; i++) {
		if (i)
			qu_buf_append_str(&b, " | ");
		qu_buf_append(&b, c->in + u[i].start, u[i].end - u[i].start);
	}
	ck_assert_msg(strcmp(b.data ? b.data : "", c->want) == 0, "%s: got \"%s\", want \"%s\"",
		c->in, b.data ? b.data : "", c->want);
	qu_buf_clear(&b);
	free(u);
}
END_TEST

START_TEST(test_headers_weeded)
{
	const struct ui_header h[] = {
		{"Received", "from x by y"},
		{"Subject", "Hello"},
		{"X-Spam", "no"},
		{"to", "bob@example.org"},
		{"From", "Alice <alice@example.org>"},
		{"Date", "Sun, 6 Dec 2026 10:00:00 +0000"},
		{"Cc", "c@example.org"},
		{"Cc", "d@example.org"},
		{"X-Mailer", "quail"},
		{"Message-ID", "<1@x>"},
	};
	struct ui_lines l;
	ui_lines_init(&l);
	ui_lines_add_headers(&l, h, QU_ARRAY_LEN(h), true, 80);
	char *got = render(&l);
	ck_assert_str_eq(got, "0h|Date: Sun, 6 Dec 2026 10:00:00 +0000\n"
			      "0h|From: Alice <alice@example.org>\n"
			      "0h|to: bob@example.org\n"
			      "0h|Cc: c@example.org\n"
			      "0h|Cc: d@example.org\n"
			      "0h|Subject: Hello\n"
			      "0h|X-Mailer: quail\n");
	free(got);
	ui_lines_clear(&l);
	ui_lines_init(&l);
	ui_lines_add_headers(&l, h, 3, false, 80);
	got = render(&l);
	ck_assert_str_eq(got, "0h|Received: from x by y\n0h|Subject: Hello\n0h|X-Spam: no\n");
	free(got);
	ui_lines_clear(&l);
}
END_TEST

START_TEST(test_headers_wrapped_and_safe)
{
	const struct ui_header h[] = {
		{"Subject", "one two three four\r\nX-Evil: \x1B[2J"},
	};
	struct ui_lines l;
	ui_lines_init(&l);
	ui_lines_add_headers(&l, h, 1, true, 16);
	char *got = render(&l);
	ck_assert_str_eq(got, "0h|Subject: one two\n0hc|    three four\n0hc|    X-Evil:\n"
			      "0hc|    ^[[2J\n");
	free(got);
	ui_lines_clear(&l);
	ck_assert(ui_header_shown("FROM"));
	ck_assert(ui_header_shown("reply-to"));
	ck_assert(!ui_header_shown("Received"));
	ck_assert(!ui_header_shown("Fro"));
}
END_TEST

START_TEST(test_many_urls)
{
	/* 2000 URLs on one line and a URL followed by 5000 ')': each span
	 * is on its own line and right; costs stay linear. */
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (int i = 0; i < 2000; i++)
		qu_buf_printf(&b, "www.a%d.example ", i % 10);
	qu_buf_append_str(&b, "http://x.example/");
	for (int i = 0; i < 5000; i++)
		qu_buf_append_byte(&b, ')');
	struct ui_lines l;
	ui_lines_init(&l);
	struct ui_wrap_opts o = {15, false, false, 0};
	ui_lines_add_text(&l, b.data, b.len, &o);
	ck_assert_uint_eq(l.nurls, 2001);
	ck_assert_str_eq(l.urls[2000], "http://x.example/");
	for (size_t i = 0; i < 2000; i++) {
		ck_assert_uint_eq(l.v[i].nurls, 1);
		ck_assert_uint_eq(l.v[i].urls[0].url, i);
		ck_assert_uint_eq(l.v[i].urls[0].start, 0);
		ck_assert_uint_eq(l.v[i].urls[0].end, 14);
	}
	ck_assert_uint_eq(l.v[2000].nurls, 1);
	ck_assert_uint_eq(l.v[2000].urls[0].end, 15);
	ck_assert_uint_eq(l.v[2001].urls[0].end, 2);
	ck_assert_uint_eq(l.v[2002].nurls, 0);
	ui_lines_clear(&l);
	qu_buf_clear(&b);
}
END_TEST

static Suite *
wrap_suite(void)
{
	Suite *s = suite_create("ui_wrap");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_wrap, 0, (int)QU_ARRAY_LEN(wrap_cases));
	tcase_add_test(tc, test_url_spans);
	tcase_add_test(tc, test_url_spans_flowed_prefix);
	tcase_add_test(tc, test_many_urls);
	tcase_add_loop_test(tc, test_url_find, 0, (int)QU_ARRAY_LEN(url_cases));
	tcase_add_test(tc, test_headers_weeded);
	tcase_add_test(tc, test_headers_wrapped_and_safe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wrap_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
