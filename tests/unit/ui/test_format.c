/*
 * index_format (src/ui/format.c): every implemented code, widths and
 * precision in cells (CJK names), conditionals, fills, and the check
 * that config uses. Local time is UTC here (TZ set in main).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "ui/uitext.h"

#define WANG "\xE7\x8E\x8B\xE5\xB0\x8F\xE6\x98\x8E" /* 王小明, 6 cells */
#define TREE "\xE2\x94\x9C\xE2\x94\x80>"           /* ├─> */

/* 2026-12-06 10:30:00 UTC, sent from +0100; arrived 2026-12-07 08:05 UTC. */
#define SENT 1796553000
#define ARRIVED 1796630700

static struct ui_row
base_row(void)
{
	struct ui_row r;
	memset(&r, 0, sizeof r);
	r.num = 7;
	r.from_name = "Alice Example";
	r.from_addr = "alice@example.org";
	r.to_name = "Bob";
	r.to_addr = "bob@example.org";
	r.to_list = "Bob <bob@example.org>";
	r.cc_list = "carol@example.org";
	r.subject = "Hello world";
	r.msgid = "<1@example.org>";
	r.folder = "INBOX";
	r.date = SENT;
	r.date_tz = 60;
	r.received = ARRIVED;
	r.size = 1234;
	r.lines = 42;
	r.thread_num = 2;
	r.thread_count = 5;
	r.read = true;
	return r;
}

enum variant {
	V_BASE,
	V_NO_LINES,
	V_CJK,
	V_CJK_LONG,
	V_NEW,
	V_OLD,
	V_REPLIED,
	V_DELETED,
	V_TAGGED,
	V_FLAGGED,
	V_TO_ONLY,
	V_FROM_ME,
	V_LIST,
	V_SPOOF,
	V_TREE,
	V_HIDDEN,
	V_CONTROL,
	V_EXTRA,
	V_NO_NAME,
};

static struct ui_row
make_row(enum variant v)
{
	struct ui_row r = base_row();
	switch (v) {
	case V_BASE: break;
	case V_NO_LINES: r.lines = 0; break;
	case V_CJK: r.from_name = WANG; break;
	case V_CJK_LONG: r.from_name = WANG WANG WANG; break;
	case V_NEW: r.read = false; break;
	case V_OLD: r.read = false; r.old = true; break;
	case V_REPLIED: r.replied = true; break;
	case V_DELETED: r.deleted = true; break;
	case V_TAGGED: r.tagged = true; r.flagged = true; break;
	case V_FLAGGED: r.flagged = true; break;
	case V_TO_ONLY: r.to = UI_TO_ONLY; break;
	case V_FROM_ME: r.from_me = true; r.to = UI_TO_FROM; break;
	case V_LIST: r.list_name = "quail-dev"; r.to = UI_TO_LIST; break;
	case V_SPOOF: r.from_name = "support@paypal.com"; r.from_addr = "evil@x.example"; break;
	case V_TREE: r.tree = TREE; r.subject = "Re: Hello"; break;
	case V_HIDDEN: r.hidden = 3; break;
	case V_CONTROL: r.subject = "Hi\x1B[2J\r\nthere"; break;
	case V_EXTRA:
		r.label = "work";
		r.tags = "inbox,todo";
		r.score = -5;
		r.attachments = 2;
		r.to = UI_TO_CC;
		break;
	case V_NO_NAME: r.from_name = NULL; break;
	}
	return r;
}

struct fmt_case {
	const char *fmt;
	enum variant v;
	size_t width;
	const char *want; /* exactly width cells; width 0: as many as want has */
};

static const struct fmt_case fmt_cases[] = {
	/* mutt's default index_format */
	{UI_INDEX_FORMAT_DEFAULT, V_BASE, 50,
		"   7     Dec 06 Alice Example   (  42) Hello world"},
	{UI_INDEX_FORMAT_DEFAULT, V_NO_LINES, 50,
		"   7     Dec 06 Alice Example   (1.2K) Hello world"},
	{UI_INDEX_FORMAT_DEFAULT, V_CJK, 50,
		"   7     Dec 06 " WANG "          (  42) Hello world"},
	{UI_INDEX_FORMAT_DEFAULT, V_CJK_LONG, 50,
		"   7     Dec 06 " WANG WANG "\xE7\x8E\x8B  (  42) Hello world"},
	{UI_INDEX_FORMAT_DEFAULT, V_TREE, 42, "   7     Dec 06 Alice Example   (  42) " TREE},
	{UI_INDEX_FORMAT_DEFAULT, V_TREE, 40, "   7     Dec 06 Alice Example   (  42) \xE2\x94\x9C"},
	{UI_INDEX_FORMAT_DEFAULT, V_FROM_ME, 44, "   7   F Dec 06 To Bob          (  42) Hello"},
	{UI_INDEX_FORMAT_DEFAULT, V_BASE, 10, "   7     D"},
	/* %Z columns */
	{"[%Z]", V_BASE, 5, "[   ]"},
	{"[%Z]", V_NEW, 5, "[N  ]"},
	{"[%Z]", V_OLD, 5, "[O  ]"},
	{"[%Z]", V_REPLIED, 5, "[r  ]"},
	{"[%Z]", V_DELETED, 5, "[ D ]"},
	{"[%Z]", V_TAGGED, 5, "[  *]"},
	{"[%Z]", V_FLAGGED, 5, "[  !]"},
	{"[%Z]", V_TO_ONLY, 5, "[  +]"},
	{"[%Z]", V_LIST, 5, "[  L]"},
	/* %S and %T */
	{"%S%T", V_BASE, 2, "  "},
	{"%S%T", V_NEW, 2, "N "},
	{"%S%T", V_OLD, 2, "O "},
	{"%S%T", V_DELETED, 2, "D "},
	{"%S%T", V_TAGGED, 2, "* "},
	{"%S%T", V_FLAGGED, 2, "! "},
	{"%S%T", V_REPLIED, 2, "r "},
	{"%S%T", V_EXTRA, 2, " C"},
	{"%S%T", V_FROM_ME, 2, " F"},
	/* authors and the sender rule */
	{"%n|%a|%u|%v|%f", V_BASE, 0,
		"Alice Example|alice@example.org|alice|Alice|Alice Example <alice@example.org>"},
	{"%F", V_SPOOF, 40, "support@paypal.com <evil@x.example>     "},
	{"%n", V_SPOOF, 35, "support@paypal.com <evil@x.example>"},
	{"%v", V_SPOOF, 35, "support@paypal.com <evil@x.example>"},
	{"%L", V_SPOOF, 35, "support@paypal.com <evil@x.example>"},
	{"%n|%f|%v", V_NO_NAME, 0,
		"alice@example.org|alice@example.org|alice@example.org"},
	{"%F|%L|%v", V_FROM_ME, 0, "To Bob|To Bob|Bob"},
	{"%L|%F|%B|%b", V_LIST, 0, "To quail-dev|Alice Example|quail-dev|INBOX"},
	{"%t|%r|%R", V_BASE, 0, "Bob <bob@example.org>|Bob <bob@example.org>|carol@example.org"},
	/* numbers and sizes */
	{"%C|%e/%E|%l|%c|%M|%X|%N", V_BASE, 20, "7|2/5|42|1.2K|0|0|0 "},
	{"%X|%N|%y|%Y|%g|%i", V_EXTRA, 0, "2|-5|work|work|inbox,todo|<1@example.org>"},
	/* widths, precision, justification, all in cells */
	{"%10s|", V_BASE, 12, "Hello world|"},
	{"%15s|", V_BASE, 16, "    Hello world|"},
	{"%-15s|", V_BASE, 16, "Hello world    |"},
	{"%.5s|", V_BASE, 6, "Hello|"},
	{"%-8.5s|", V_BASE, 9, "Hello   |"},
	{"%05C", V_BASE, 5, "00007"},
	{"%-5C|", V_BASE, 6, "7    |"},
	{"%-05C|", V_BASE, 6, "7    |"},
	{"%8n|", V_CJK, 9, "  " WANG "|"},
	{"%-8n|", V_CJK, 9, WANG "  |"},
	{"%.5n|", V_CJK, 6, "\xE7\x8E\x8B\xE5\xB0\x8F |"},
	{"%.4n|", V_CJK, 5, "\xE7\x8E\x8B\xE5\xB0\x8F|"},
	{"%-7.7n|", V_CJK, 8, WANG " |"},
	/* dates: %{} in the sender's zone, %[] and %D local, %() arrival */
	{"%{%Y-%m-%d %H:%M %z}", V_BASE, 22, "2026-12-06 11:30 +0100"},
	{"%[%H:%M]|%(%d %H:%M)", V_BASE, 14, "10:30|07 08:05"},
	{"%{!%b %d}", V_BASE, 6, "Dec 06"},
	{"%d", V_BASE, 37, "Sun, Dec 06, 2026 at 11:30:00AM +0100"},
	{"%D", V_BASE, 36, "Sun, Dec 06, 2026 at 10:30:00AM UTC "},
	/* conditionals */
	{"%?l?%l lines&%c?", V_BASE, 8, "42 lines"},
	{"%?l?%l lines&%c?", V_NO_LINES, 8, "1.2K    "},
	{"%?M?(%M)?%s", V_HIDDEN, 14, "(3)Hello world"},
	{"%?M?(%M)?%s", V_BASE, 14, "Hello world   "},
	{"%?y?[%y]&-?", V_EXTRA, 6, "[work]"},
	{"%?y?[%y]&-?", V_BASE, 6, "-     "},
	{"%?X?%X att&?|", V_EXTRA, 6, "2 att|"},
	{"a%?X?%%&x?b", V_BASE, 3, "axb"},
	{"a%?X?%%&x?b", V_EXTRA, 3, "a%b"},
	/* fills */
	{"%s%>-%C", V_BASE, 20, "Hello world--------7"},
	{"%s%> %C", V_BASE, 13, "Hello world 7"},
	{"%s%>.%C%C%C", V_BASE, 12, "Hello world7"},
	{"%s%*.%C%C%C", V_BASE, 12, "Hello wor777"},
	{"%s%*.%C", V_BASE, 14, "Hello world..7"},
	{"ab%|.", V_BASE, 6, "ab...."},
	{"ab%|\xE2\x94\x80", V_BASE, 5, "ab\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80"},
	{"ab%|" "\xE4\xB8\xAD", V_BASE, 5, "ab\xE4\xB8\xAD "},
	{"%n%>.%s", V_CJK, 20, WANG "...Hello world"},
	{"%s%>", V_BASE, 13, "Hello world  "},
	{"ab%>\n%C", V_BASE, 5, "ab  7"},
	{"ab%|\x1B", V_BASE, 4, "ab  "},
	{"ab%*\xCC\x81%C", V_BASE, 4, "ab 7"},
	{"ab%|\xFF", V_BASE, 4, "ab  "},
	/* sanitised: nothing from the row reaches the row raw */
	{"%s", V_CONTROL, 16, "Hi^[[2J there   "},
	{"\x1B[31m%C", V_BASE, 7, "^[[31m7"},
	/* literal and unknown */
	{"100%%", V_BASE, 4, "100%"},
	{"%W|%<x>|%", V_BASE, 9, "%W|%<x>|%"},
	{"", V_BASE, 3, "   "},
};

START_TEST(test_format)
{
	const struct fmt_case *c = &fmt_cases[_i];
	struct ui_row r = make_row(c->v);
	struct ui_format_opts o = {"%a, %b %d, %Y at %I:%M:%S%p %Z", NULL};
	if (strcmp(c->fmt, "%d") == 0 || strcmp(c->fmt, "%D") == 0)
		o.date_format = NULL;
	size_t width = c->width ? c->width : qu_utf8_cells(c->want, strlen(c->want));
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	size_t w = ui_format_index(&b, c->fmt, &r, &o, width);
	ck_assert_msg(strcmp(b.data, c->want) == 0,
		"\"%s\" (row %d, width %zu):\n got \"%s\"\nwant \"%s\"", c->fmt, (int)c->v, width,
		b.data, c->want);
	ck_assert_uint_eq(w, width);
	ck_assert_uint_eq(qu_utf8_cells(b.data, b.len), width);
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_marker)
{
	struct ui_row r = base_row();
	struct ui_format_opts o = {NULL, ">"};
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ui_format_index(&b, "%.6s|", &r, &o, 7);
	ck_assert_str_eq(b.data, "Hello>|");
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_size)
{
	static const struct {
		uint64_t n;
		const char *want;
	} t[] = {
		{0, "0"}, {1, "1"}, {999, "999"}, {1000, "1.0K"}, {1234, "1.2K"}, {10188, "9.9K"},
		{10189, "10K"}, {524288, "512K"}, {1023487, "999K"}, {1023999, "1.0M"},
		{1048576, "1.0M"}, {5872025, "5.6M"}, {10433331, "9.9M"}, {10433332, "10M"},
		{20971520, "20M"}, {UINT64_C(5000000000000), "4768372M"},
	};
	char buf[32];
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++)
		ck_assert_msg(strcmp(ui_format_size(t[i].n, buf, sizeof buf), t[i].want) == 0,
			"%llu: got %s, want %s", (unsigned long long)t[i].n, buf, t[i].want);
}
END_TEST

struct check_case {
	const char *fmt;
	bool ok;
	const char *msg; /* part of the message when not ok */
};

static const struct check_case check_cases[] = {
	{UI_INDEX_FORMAT_DEFAULT, true, NULL},
	{"%-15.15L %s%>-%c %*.%C %|x", true, NULL},
	{"%{%H:%M} %[%d] %(%b)", true, NULL},
	{"100%% done", true, NULL},
	{"", true, NULL},
	{"%W", false, "unknown code \"%W\" at offset 0"},
	{"ab %-4H", false, "unknown code \"%-4H\" at offset 3"},
	{"x%", false, "'%' at the end"},
	{"%{%b %d", false, "date format not closed"},
	{"%?l?a&b", false, "conditional not closed"},
	{"%?l", false, "conditional without '?'"},
	{"%?q?a&b?", false, "unknown code in conditional"},
	{"%?l?%W&b?", false, "in the conditional at offset 0: unknown code"},
	{"%?l?a&%m?", false, "in the conditional at offset 0: unknown code \"%m\""},
	{"%-", false, "code missing"},
	{"\x1B%W", false, "unknown code \"%W\" at offset 1"},
};

START_TEST(test_check)
{
	const struct check_case *c = &check_cases[_i];
	struct qu_err err;
	qu_err_clear(&err);
	int rc = ui_format_check(c->fmt, &err);
	if (c->ok) {
		ck_assert_msg(rc == 0, "%s: %s", c->fmt, err.msg);
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", c->fmt);
		ck_assert_int_eq(err.cls, QU_E_CONFIG);
		ck_assert_msg(strstr(err.msg, c->msg), "%s: \"%s\" lacks \"%s\"", c->fmt, err.msg, c->msg);
	}
}
END_TEST

static struct ui_status
base_status(void)
{
	struct ui_status st;
	memset(&st, 0, sizeof st);
	st.folder = "=INBOX";
	st.sort = "date";
	st.sort_aux = "date";
	st.position = "all";
	st.host = "example";
	st.msgs = 120;
	st.new_msgs = 3;
	st.flagged = 2;
	st.size = 5872025;
	return st;
}

START_TEST(test_status)
{
	struct ui_status st = base_status();
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_uint_eq(ui_format_status(&b, UI_STATUS_FORMAT_DEFAULT, &st, 80), 80);
	ck_assert_str_eq(b.data,
		"---quail: =INBOX [Msgs:120 New:3 Flag:2 5.6M]---(date/date)-------------(all)---");
	/* A limit, changes, every counter. */
	st.shown = 7;
	st.changed = true;
	st.old = 4;
	st.deleted = 1;
	st.tagged = 5;
	st.postponed = 1;
	st.inc = 2;
	st.size = 0;
	qu_buf_reset(&b);
	ui_format_status(&b, UI_STATUS_FORMAT_DEFAULT, &st, 96);
	ck_assert_str_eq(b.data, "-*-quail: =INBOX [Msgs:7/120 New:3 Old:4 Del:1 Flag:2 Tag:5 "
				 "Post:1 Inc:2]---(date/date)-(all)---");
	/* Read-only, a CJK folder name and an escape in it, short width. */
	st = base_status();
	st.readonly = true;
	st.folder = "=\xE6\x97\xA5\xE6\x9C\xAC\x1B[2J";
	qu_buf_reset(&b);
	ui_format_status(&b, "%r %f %u/%m %h %V%>.%P", &st, 32);
	ck_assert_str_eq(b.data, "% =\xE6\x97\xA5\xE6\x9C\xAC^[[2J 0/120 example ..all");
	ck_assert_uint_eq(qu_utf8_cells(b.data, b.len), 32);
	qu_buf_reset(&b);
	ui_format_status(&b, "%v", &st, 20);
	ck_assert(strncmp(b.data, "quail " QUAIL_VERSION, strlen("quail " QUAIL_VERSION)) == 0);
	qu_buf_clear(&b);

	struct qu_err err;
	qu_err_clear(&err);
	ck_assert_int_eq(ui_format_status_check(UI_STATUS_FORMAT_DEFAULT, &err), 0);
	ck_assert_int_eq(ui_format_status_check("%Z", &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_int_eq(ui_format_status_check("%{%H}", &err), -1);
	ck_assert_int_eq(ui_format_status_check("%?C?x?", &err), -1);
	/* And the index codes that status_format lacks stay in index_format. */
	ck_assert_int_eq(ui_format_check("%{%H}", &err), 0);
}
END_TEST

static Suite *
format_suite(void)
{
	Suite *s = suite_create("ui_format");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_format, 0, (int)QU_ARRAY_LEN(fmt_cases));
	tcase_add_test(tc, test_marker);
	tcase_add_test(tc, test_size);
	tcase_add_loop_test(tc, test_check, 0, (int)QU_ARRAY_LEN(check_cases));
	tcase_add_test(tc, test_status);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	SRunner *sr = srunner_create(format_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
