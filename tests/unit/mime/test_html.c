/*
 * HTML as text (src/mime/html.c): table-driven cases for each rule, then
 * the golden files tests/fixtures/html/NAME.html, each rendered at 72 cells
 * with links and compared with NAME.txt.
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "mime/mime.h"

#define S_(x) x, (sizeof(x) - 1)

static const char *fixtures;

struct html_case {
	const char *name;
	int width;
	bool links;
	const char *html;
	const char *text;
};

static const struct html_case cases[] = {
	{"empty", 72, true, "", ""},
	{"plain text", 72, true, "hello", "hello\n"},
	{"white space collapsed", 72, true, "<p>  a \n\t b   c  </p>", "a b c\n"},
	{"paragraphs", 72, true, "<p>one</p><p>two</p>", "one\n\ntwo\n"},
	{"divs are lines", 72, true, "<div>one</div><div>two</div>", "one\ntwo\n"},
	{"empty div with br is a blank line", 72, true,
		"<div>one</div><div><br></div><div>two</div>", "one\n\ntwo\n"},
	{"br", 72, true, "a<br>b<br/>c", "a\nb\nc\n"},
	{"blank lines at most one", 72, true, "a<br><br><br><br>b", "a\n\nb\n"},
	{"entities", 72, true, "<p>&lt;a&gt; &amp; &eacute; &#x4E2D; &quot;</p>",
		"<a> & \xC3\xA9 \xE4\xB8\xAD \"\n"},
	{"soft hyphen dropped", 72, true, "hy&shy;phen", "hyphen\n"},
	{"zwnj spacer cell", 72, true,
		"<table><tr><td>a</td><td>&zwnj;</td><td>b</td></tr><tr><td>c</td><td></td>"
		"<td>d</td></tr></table>", "a  b\nc  d\n"},
	{"nbsp is a kept space", 72, true, "a&nbsp;&nbsp;b", "a  b\n"},
	{"h1 underlined", 72, true, "<h1>Title</h1>text", "Title\n=====\n\ntext\n"},
	{"h2 underlined by cells", 72, true, "<h2>\xE4\xB8\xAD\xE6\x96\x87</h2>",
		"\xE4\xB8\xAD\xE6\x96\x87\n----\n"},
	{"h3 as is", 72, true, "<p>a</p><h3>Three</h3><p>b</p>", "a\n\nThree\n\nb\n"},
	{"ul", 72, true, "<ul><li>one<li>two</ul>", "* one\n* two\n"},
	{"ol start", 72, true, "<ol start=9><li>a</li><li>b</li></ol>", "9. a\n10. b\n"},
	{"ol types", 72, true,
		"<ol type=a><li>x<li>y</ol><ol type=A start=27><li>z</ol>"
		"<ol type=i start=4><li>p<li>q</ol><ol type=I start=1994><li>r</ol>",
		"a. x\nb. y\n\nAA. z\n\niv. p\nv. q\n\nMCMXCIV. r\n"},
	{"li value", 72, true, "<ol><li>a<li value=7>b<li>c</ol>", "1. a\n7. b\n8. c\n"},
	{"list in an ordered item indented by two", 72, true,
		"<ol start=10><li>ten<ul><li>sub</li></ul>more</li><li>eleven</li></ol>",
		"10. ten\n  * sub\n    more\n11. eleven\n"},
	{"nested list", 72, true, "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>",
		"* a\n  * b\n* c\n"},
	{"list item wraps under its text", 12, true, "<ul><li>aaa bbb ccc ddd</li></ul>",
		"* aaa bbb\n  ccc ddd\n"},
	{"blockquote", 72, true, "<p>x</p><blockquote>a<blockquote>b</blockquote></blockquote>",
		"x\n\n> a\n>\n> > b\n"},
	{"pre verbatim", 72, true, "<pre>  a  b\n\tc</pre>", "  a  b\n        c\n"},
	{"pre wrap", 12, true, "<pre wrap>short\n  aaa bbb ccc ddd\n&gt; x</pre>",
		"short\naaa bbb ccc\nddd\n> x\n"},
	{"pre-wrap style", 12, true, "<pre style=\"white-space: pre-wrap\">aaa bbb ccc ddd</pre>",
		"aaa bbb ccc\nddd\n"},
	{"pre drops the newline after its tag", 72, true, "<p>x</p><pre>\na\n</pre>", "x\n\na\n"},
	{"pre keeps a br after its tag", 72, true, "<p>x</p><pre><br>a</pre>", "x\n\n\na\n"},
	{"pre keeps its empty lines", 72, true, "<pre>a\n\n\nb</pre>", "a\n\n\nb\n"},
	{"pre not wrapped", 10, true, "<pre>aaaaaaaaaaaaaaaa</pre>", "aaaaaaaaaaaaaaaa\n"},
	{"script style head dropped", 72, true,
		"<head><title>T</title><style>p{}</style></head><script>x()</script><p>a</p>",
		"a\n"},
	{"comments dropped", 72, true, "a<!-- b -->c", "ac\n"},
	{"hidden", 72, true, "<p style=\"DISPLAY : none\">x</p><p hidden>y</p><p>z</p>", "z\n"},
	{"link numbered", 72, true, "<a href=\"http://x.example/\">X</a>",
		"X[1]\n\n[1] http://x.example/\n"},
	{"link number after the text, not its space", 72, true,
		"<a href=\"http://x/\">X </a>y <a href=\"mailto:a@b\">Ann </a>z",
		"X[1] y Ann <a@b> z\n\n[1] http://x/\n"},
	{"mailto without text", 72, true, "a <a href=\"mailto:a@b\"></a> b", "a <a@b> b\n"},
	{"link repeated keeps its number", 72, true,
		"<a href=\"http://a/\">A</a> <a href=\"http://b/\">B</a> <a href=\"http://a/\">C</a>",
		"A[1] B[2] C[1]\n\n[1] http://a/\n[2] http://b/\n"},
	{"link text is the url", 72, true, "<a href=\"https://x.example/\">x.example</a>",
		"x.example\n"},
	{"links off", 72, false, "<a href=\"http://x/\">X</a>", "X\n"},
	{"mailto plain", 72, true, "<a href=\"mailto:a@b.example?subject=x\">Ann</a>",
		"Ann <a@b.example>\n"},
	{"mailto same text", 72, true, "<a href=\"mailto:a@b.example\">a@b.example</a>",
		"a@b.example\n"},
	{"anchor link", 72, true, "<a href=\"#top\">top</a>", "top\n"},
	{"img alt", 72, true, "<img src=\"x.png\" alt=\"Logo\">", "[image: Logo]\n"},
	{"img cid", 72, true, "<img src=\"cid:part1.abc@x\">", "[image: part1.abc@x]\n"},
	{"img decorative", 72, true, "a<img src=\"x.png\" alt=\"\">b", "ab\n"},
	{"img pixel", 72, true, "a<img src=\"x.png\" width=\"1\" height=\"1\">b", "ab\n"},
	{"hr", 10, true, "a<hr>b", "a\n\n----------\n\nb\n"},
	{"wrap at width", 10, true, "<p>aaa bbb ccc ddd eee</p>", "aaa bbb\nccc ddd\neee\n"},
	{"long word split", 5, true, "abcdefghijkl", "abcde\nfghij\nkl\n"},
	{"cjk breaks between characters", 6, true,
		"\xE4\xB8\x80\xE4\xBA\x8C\xE4\xB8\x89\xE5\x9B\x9B",
		"\xE4\xB8\x80\xE4\xBA\x8C\xE4\xB8\x89\n\xE5\x9B\x9B\n"},
	{"no line starts with a full stop", 6, true,
		"\xE4\xB8\x80\xE4\xBA\x8C\xE4\xB8\x89\xE3\x80\x82",
		"\xE4\xB8\x80\xE4\xBA\x8C\n\xE4\xB8\x89\xE3\x80\x82\n"},
	{"no wrapping at 0", 0, true, "<p>aaa bbb ccc ddd eee</p>", "aaa bbb ccc ddd eee\n"},
	{"table columns", 72, true,
		"<table><tr><td>a</td><td>bb</td></tr><tr><td>ccc</td><td>d</td></tr></table>",
		"a    bb\nccc  d\n"},
	{"table cjk by cells", 72, true,
		"<table><tr><td>\xE4\xB8\xAD</td><td>x</td></tr><tr><td>ab</td><td>y</td></tr>"
		"</table>",
		"\xE4\xB8\xAD  x\nab  y\n"},
	{"layout table", 72, true,
		"<table><tr><td><p>one</p></td></tr><tr><td>&nbsp;</td><td>two</td></tr></table>",
		"one\n\ntwo\n"},
	{"wide table wraps columns", 20, true,
		"<table><tr><td>aaa bbb ccc</td><td>ddd eee fff</td></tr></table>",
		"aaa bbb    ddd eee\nccc        fff\n"},
	{"too wide table: cell per line", 10, true,
		"<table><tr><td>aaaaaaaa</td><td>bbbbbbbb</td></tr><tr><td>c</td><td>d</td></tr>"
		"</table>",
		"aaaaaaaa\nbbbbbbbb\n\nc\nd\n"},
	{"text between rows shows before the table", 72, true,
		"<table><tr><td>a</td><td>b</td></tr>stray<tr><td>c</td><td>d</td></tr></table>",
		"stray\n\na  b\nc  d\n"},
	{"colspan", 72, true,
		"<table><tr><td colspan=2>Quarterly figures</td></tr><tr><td>North</td><td>12</td>"
		"</tr><tr><td>South</td><td>7</td></tr></table>",
		"Quarterly figures\nNorth  12\nSouth  7\n"},
	{"colspan wraps in its columns", 16, true,
		"<table><tr><td>aaaaa</td><td>bbbbbbbb</td></tr><tr><td colspan=2>cccc dddd eeee "
		"ffff</td></tr></table>",
		"aaaaa  bbbbbbbb\ncccc dddd eeee\nffff\n"},
	{"unclosed tags", 72, true, "<p>a<b>b<i>c<p>d", "abc\n\nd\n"},
	{"o:p", 72, true, "<p class=MsoNormal>Hi<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
		"<p>there</p>", "Hi\n\nthere\n"},
	{"conditional comment", 72, true, "<!--[if mso]><p>mso</p><![endif]--><p>all</p>", "all\n"},
	{"meta charset ignored", 72, true,
		"<meta charset=\"iso-8859-1\"><p>\xC3\xA9</p>", "\xC3\xA9\n"},
	{"invalid utf-8 replaced", 72, true, "<p>a\xFF" "b</p>", "a\xEF\xBF\xBD" "b\n"},
	{"lone cr is a line end", 72, true, "<pre>a\rb</pre>", "a\nb\n"},
};

static void
render(const char *p, size_t n, int width, bool links, struct qu_buf *out)
{
	struct mime_html_opts o = {.width = width, .links = links};
	ck_assert_int_eq(mime_html_to_text(p, n, &o, out), 0);
}

START_TEST(test_case)
{
	const struct html_case *c = &cases[_i];
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	size_t n = strlen(c->html);
	render(c->html, n, c->width, c->links, &out);
	ck_assert_msg(strcmp(out.data ? out.data : "", c->text) == 0, "%s:\ngot:\n%s\nwant:\n%s",
		c->name, out.data ? out.data : "", c->text);
	qu_buf_clear(&out);
}
END_TEST

/* Without wrapping (width 0, the index's text) the text is that of a
 * width nothing reaches: the unmeasured fast path changes no byte.
 * Tables and rules are laid out by the width and pre is not wrapped,
 * so they are left out. */
START_TEST(test_nowrap_same)
{
	const struct html_case *c = &cases[_i];
	if (strstr(c->html, "<table") || strstr(c->html, "<pre") || strstr(c->html, "<hr"))
		return;
	static const char extra[] = "<p>\xE4\xBC\x9A\xE8\xAE\xAE\xE3\x80\x82" "ab\xC3\xA9 "
				    "\xE6\x98\x8E\xE5\xA4\xA9 x</p>";
	struct qu_buf a, b;
	qu_buf_init(&a, SIZE_MAX);
	qu_buf_init(&b, SIZE_MAX);
	char *doc = xasprintf("%s%s", c->html, extra);
	render(doc, strlen(doc), 0, c->links, &a);
	render(doc, strlen(doc), 2000, c->links, &b);
	ck_assert_msg(strcmp(a.data ? a.data : "", b.data ? b.data : "") == 0,
		"%s:\nwidth 0:\n%s\nwide:\n%s", c->name, a.data ? a.data : "", b.data ? b.data : "");
	free(doc);
	qu_buf_clear(&a);
	qu_buf_clear(&b);
}
END_TEST

/* NUL bytes (which would end libxml2's strings) are dropped, CR LF is LF. */
START_TEST(test_nul_cr)
{
	static const char doc[] = "<pre>a\r\nb\0c</pre><p>d\0e</p>";
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	render(doc, sizeof doc - 1, 72, true, &out);
	ck_assert_str_eq(out.data, "a\nbc\n\nde\n");
	qu_buf_clear(&out);
}
END_TEST

START_TEST(test_null_opts)
{
	static const char doc[] = "<p>aaa bbb ccc ddd eee fff ggg hhh iii jjj kkk lll mmm nnn ooo ppp "
				  "qqq rrr sss ttt uuu vvv <a href=\"http://x/\">www</a></p>";
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	ck_assert_int_eq(mime_html_to_text(doc, sizeof doc - 1, NULL, &out), 0);
	ck_assert_str_eq(out.data, "aaa bbb ccc ddd eee fff ggg hhh iii jjj kkk lll mmm nnn ooo ppp "
				   "qqq rrr sss ttt uuu vvv www\n");
	qu_buf_clear(&out);
}
END_TEST

START_TEST(test_cap)
{
	struct qu_buf out;
	qu_buf_init(&out, 10);
	struct mime_html_opts o = {.width = 72, .links = true};
	ck_assert_int_eq(mime_html_to_text(S_("<p>one two three four five</p>"), &o, &out), -1);
	ck_assert_uint_le(out.len, 10);
	qu_buf_clear(&out);
}
END_TEST

/* No output line is wider than the width, whatever the markup. */
START_TEST(test_width_bound)
{
	static const char doc[] =
		"<ul><li><blockquote><p>aaa bbb ccc ddd eee fff ggg hhh iii jjj "
		"\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD\xE6\x96\x87"
		"</p></blockquote></li></ul><table><tr><td>kkk lll mmm nnn</td><td>ooo ppp qqq"
		"</td><td>rrr sss</td></tr></table>";
	for (int w = 30; w <= 80; w += 7) {
		struct qu_buf out;
		qu_buf_init(&out, SIZE_MAX);
		render(doc, sizeof doc - 1, w, true, &out);
		const char *s = out.data;
		while (s && *s) {
			const char *nl = strchr(s, '\n');
			ck_assert_ptr_nonnull(nl);
			ck_assert_msg(qu_utf8_cells(s, (size_t)(nl - s)) <= (size_t)w,
				"width %d: line too wide: %.*s", w, (int)(nl - s), s);
			s = nl + 1;
		}
		qu_buf_clear(&out);
	}
}
END_TEST

static void *
thread_main(void *arg)
{
	const char *doc = "<table><tr><td>a</td><td>b</td></tr></table><p>x <a href=\"h\">y</a></p>";
	for (int i = 0; i < 200; i++) {
		struct qu_buf out;
		qu_buf_init(&out, SIZE_MAX);
		struct mime_html_opts o = {.width = 40, .links = true};
		if (mime_html_to_text(doc, strlen(doc), &o, &out) < 0 ||
			strcmp(out.data, "a  b\n\nx y[1]\n\n[1] h\n") != 0)
			*(int *)arg = 1;
		qu_buf_clear(&out);
	}
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t t[4];
	int bad[4] = {0};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, thread_main, &bad[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(bad[i], 0);
	}
}
END_TEST

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		qu_buf_append(&b, chunk, k);
	fclose(f);
	return qu_buf_steal(&b, len);
}

/* Every NAME.html of the fixtures against its NAME.txt. */
START_TEST(test_golden)
{
	DIR *d = opendir(fixtures);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	int seen = 0;
	while ((e = readdir(d))) {
		size_t nl = strlen(e->d_name);
		if (nl < 6 || strcmp(e->d_name + nl - 5, ".html") != 0)
			continue;
		char *hp = xasprintf("%s/%s", fixtures, e->d_name);
		char *tp = xasprintf("%s/%.*s.txt", fixtures, (int)(nl - 5), e->d_name);
		size_t hn, tn;
		char *html = slurp(hp, &hn);
		char *want = slurp(tp, &tn);
		ck_assert_msg(html && want, "%s: missing .html or .txt", e->d_name);
		struct qu_buf out;
		qu_buf_init(&out, SIZE_MAX);
		render(html, hn, 72, true, &out);
		if (out.len != tn || memcmp(out.data, want, tn) != 0) {
			/* Leave what came out beside the build for a diff. */
			char *gp = xasprintf("%.*s.got", (int)(nl - 5), e->d_name);
			FILE *g = fopen(gp, "wb");
			if (g) {
				fwrite(out.data, 1, out.len, g);
				fclose(g);
			}
			ck_abort_msg("%s differs from its .txt (output in %s)", e->d_name, gp);
		}
		qu_buf_clear(&out);
		free(html);
		free(want);
		free(hp);
		free(tp);
		seen++;
	}
	closedir(d);
	ck_assert_int_ge(seen, 5);
}
END_TEST

/* A 2 MB newsletter-like document (one block repeated, each with links
 * of its own) renders whole and in bounded time. */
START_TEST(test_large)
{
	static const char block[] =
		"<table width=\"100%%\"><tr><td><h2>Story %d</h2><p>Lorem ipsum dolor sit amet, "
		"<a href=\"https://n%d.example/a\">consectetur</a> adipiscing elit, sed do eiusmod "
		"tempor incididunt ut labore et dolore magna aliqua. \xE4\xB8\xAD\xE6\x96\x87"
		"\xE6\x96\x87\xE6\x9C\xAC\xE3\x80\x82</p></td></tr><tr><td>"
		"<table><tr><td>Price</td><td>%d.00</td></tr><tr><td>Stock</td><td>%d</td></tr>"
		"</table></td></tr></table><ul><li>one</li><li>two <b>bold</b></li></ul>"
		"<blockquote><p>quoted &amp; <i>kept</i></p></blockquote>\n";
	struct qu_buf in, out;
	qu_buf_init(&in, SIZE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	qu_buf_append_str(&in, "<html><body>");
	int blocks = 0;
	while (in.len < 2 * 1024 * 1024)
		qu_buf_printf(&in, block, blocks, blocks, blocks, blocks * 7), blocks++;
	struct timespec t0, t1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	render(in.data, in.len, 72, true, &out);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "html: %zu bytes in %.3f s of CPU, %.1f MB/s\n", in.len, s,
		(double)in.len / s / 1e6);
	ck_assert_msg(s < 30, "%.1f s for 2 MB", s);
	/* Every block's heading, table and link is there, in order. */
	int found = 0;
	const char *at = out.data;
	for (int i = 0; i < blocks; i++) {
		char want[64];
		snprintf(want, sizeof want, "Story %d\n", i);
		at = strstr(at, want);
		ck_assert_msg(at != NULL, "block %d missing", i);
		snprintf(want, sizeof want, "Price  %d.00\n", i);
		ck_assert_ptr_nonnull(strstr(at, want));
		found++;
	}
	char last[64];
	snprintf(last, sizeof last, "[%d] https://n%d.example/a\n", blocks, blocks - 1);
	ck_assert_ptr_nonnull(strstr(out.data, last));
	ck_assert_int_eq(found, blocks);
	qu_buf_clear(&in);
	qu_buf_clear(&out);
}
END_TEST

static Suite *
html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_case, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_loop_test(tc, test_nowrap_same, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_test(tc, test_nul_cr);
	tcase_add_test(tc, test_null_opts);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_width_bound);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	TCase *tg = tcase_create("golden");
	tcase_set_timeout(tg, 60);
	tcase_add_test(tg, test_golden);
	tcase_add_test(tg, test_large);
	suite_add_tcase(s, tg);
	return s;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FIXTURE-DIR\n", argv[0]);
		return 2;
	}
	fixtures = argv[1];
	SRunner *sr = srunner_create(html_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
