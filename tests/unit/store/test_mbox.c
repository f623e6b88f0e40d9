/* The mbox reader and From-unquoting (store/mbox.c, RFC 4155). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "store/store.h"
#include "helpers.h"

static char *root;

static void
setup(void)
{
	root = th_mkdtemp();
}

static void
teardown(void)
{
	th_rmrf(root);
	free(root);
}

/* What one message should look like. */
struct want {
	const char *from; /* NULL: no From_ line (preamble) */
	const char *body;
};

static void
expect_msgs(const char *data, size_t n, const struct want *want, size_t nwant)
{
	struct mbox *mb = mbox_open_mem(data, n);
	struct mbox_msg m;
	for (size_t i = 0; i < nwant; i++) {
		ck_assert_msg(mbox_next(mb, &m), "message %zu missing", i);
		ck_assert_uint_eq(m.index, i);
		if (want[i].from) {
			ck_assert_uint_eq(m.from_len, strlen(want[i].from));
			ck_assert(memcmp(m.from, want[i].from, m.from_len) == 0);
			ck_assert_uint_eq(m.offset, (size_t)(m.from - data));
		} else {
			ck_assert_uint_eq(m.from_len, 0);
		}
		ck_assert_msg(m.len == strlen(want[i].body) && memcmp(m.p, want[i].body, m.len) == 0,
			"message %zu: got [%.*s] want [%s]", i, (int)m.len, m.p, want[i].body);
		/* Zero copy: the bytes are inside the input. */
		ck_assert(m.p >= data && m.p + m.len <= data + n);
	}
	ck_assert(!mbox_next(mb, &m));
	ck_assert(!mbox_next(mb, &m));
	mbox_free(mb);
}

static const char three[] =
	"From alice@example.org Sat Jan  3 01:05:34 1996\n"
	"Subject: one\n"
	"\n"
	"Body one\n"
	">From quoted\n"
	">>From doubly\n"
	"\n"
	"From bob@example.org Sat Jan  3 01:05:35 1996\n"
	"Subject: two\n"
	"\n"
	"two\n"
	"From this is body: no empty line before it\n"
	"\n"
	"From carol@example.org Sat Jan  3 01:05:36 1996\n"
	"Subject: three\n"
	"\n"
	"three\n"
	"\n";

static const struct want three_want[] = {
	{"From alice@example.org Sat Jan  3 01:05:34 1996",
		"Subject: one\n\nBody one\n>From quoted\n>>From doubly\n"},
	{"From bob@example.org Sat Jan  3 01:05:35 1996",
		"Subject: two\n\ntwo\nFrom this is body: no empty line before it\n"},
	{"From carol@example.org Sat Jan  3 01:05:36 1996", "Subject: three\n\nthree\n"},
};

START_TEST(three_messages)
{
	expect_msgs(three, sizeof three - 1, three_want, 3);
}
END_TEST

START_TEST(three_messages_unquoted)
{
	struct mbox *mb = mbox_open_mem(three, sizeof three - 1);
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	struct mbox_msg m;

	ck_assert(mbox_next(mb, &m));
	ck_assert_int_eq(mbox_unquote(m.p, m.len, MBOX_FORMAT_MBOXRD, &out), 1);
	ck_assert_str_eq(out.data, "Subject: one\n\nBody one\nFrom quoted\n>From doubly\n");
	ck_assert_int_eq(mbox_unquote(m.p, m.len, MBOX_FORMAT_MBOXO, &out), 1);
	ck_assert_str_eq(out.data, "Subject: one\n\nBody one\nFrom quoted\n>>From doubly\n");

	/* No quoted line: the caller keeps the mapped bytes; out untouched. */
	ck_assert(mbox_next(mb, &m));
	ck_assert_int_eq(mbox_unquote(m.p, m.len, MBOX_FORMAT_MBOXRD, &out), 0);
	ck_assert_int_eq(mbox_unquote(m.p, m.len, MBOX_FORMAT_MBOXO, &out), 0);
	ck_assert_str_eq(out.data, "Subject: one\n\nBody one\nFrom quoted\n>>From doubly\n");

	ck_assert(mbox_next(mb, &m));
	ck_assert(!mbox_next(mb, &m));
	qu_buf_clear(&out);
	mbox_free(mb);
}
END_TEST

/* The same mbox with CRLF line ends. */
static char *
to_crlf(const char *s, size_t *len)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (; *s; s++) {
		if (*s == '\n')
			qu_buf_append_byte(&b, '\r');
		qu_buf_append_byte(&b, *s);
	}
	return qu_buf_steal(&b, len);
}

START_TEST(crlf_mbox)
{
	size_t n;
	char *data = to_crlf(three, &n);
	struct want w[3];
	char *bodies[3];
	for (size_t i = 0; i < 3; i++) {
		bodies[i] = to_crlf(three_want[i].body, NULL);
		w[i].from = three_want[i].from; /* without its "\r" */
		w[i].body = bodies[i];
	}
	expect_msgs(data, n, w, 3);

	struct mbox *mb = mbox_open_mem(data, n);
	struct mbox_msg m;
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	ck_assert(mbox_next(mb, &m));
	ck_assert_int_eq(mbox_unquote(m.p, m.len, MBOX_FORMAT_MBOXRD, &out), 1);
	ck_assert_str_eq(out.data,
		"Subject: one\r\n\r\nBody one\r\nFrom quoted\r\n>From doubly\r\n");
	qu_buf_clear(&out);
	mbox_free(mb);
	for (size_t i = 0; i < 3; i++)
		free(bodies[i]);
	free(data);
}
END_TEST

START_TEST(from_line_not_after_blank)
{
	static const char data[] = "From a\nSubject: x\n\nline\nFrom b is body\nmore\n";
	static const struct want w[] = {{"From a", "Subject: x\n\nline\nFrom b is body\nmore\n"}};
	expect_msgs(data, sizeof data - 1, w, 1);
}
END_TEST

START_TEST(from_lines_back_to_back)
{
	/* "From b" directly after a From_ line is body; the empty line after
	 * it makes "From c" a separator. */
	static const char data[] = "From a\nFrom b\n\nFrom c\nbody\n";
	static const struct want w[] = {{"From a", "From b\n"}, {"From c", "body\n"}};
	expect_msgs(data, sizeof data - 1, w, 2);
}
END_TEST

START_TEST(empty_messages)
{
	static const char data[] = "From a\n\nFrom b\n\nFrom c\n";
	static const struct want w[] = {{"From a", ""}, {"From b", ""}, {"From c", ""}};
	expect_msgs(data, sizeof data - 1, w, 3);
}
END_TEST

START_TEST(empty_file)
{
	expect_msgs("", 0, NULL, 0);
	struct mbox *mb = mbox_open_mem(NULL, 0);
	struct mbox_msg m;
	ck_assert(!mbox_next(mb, &m));
	mbox_free(mb);
	mbox_free(NULL);

	char *p = xasprintf("%s/empty", root);
	th_write(p, "", 0);
	struct qu_err err = {0};
	mb = mbox_open(p, &err);
	ck_assert_ptr_nonnull(mb);
	ck_assert(!mbox_next(mb, &m));
	mbox_free(mb);
	free(p);

	/* Only line ends: nothing either. */
	expect_msgs("\n\r\n\n", 4, NULL, 0);
}
END_TEST

START_TEST(no_trailing_newline)
{
	static const char a[] = "From a\nSubject: x\n\nbody";
	static const struct want wa[] = {{"From a", "Subject: x\n\nbody"}};
	expect_msgs(a, sizeof a - 1, wa, 1);

	static const char b[] = "From a\nx\n\nFrom b";
	static const struct want wb[] = {{"From a", "x\n"}, {"From b", ""}};
	expect_msgs(b, sizeof b - 1, wb, 2);

	/* One trailing empty line is the separator; a second one is data. */
	static const char c[] = "From a\nx\n\n\n";
	static const struct want wc[] = {{"From a", "x\n\n"}};
	expect_msgs(c, sizeof c - 1, wc, 1);
}
END_TEST

START_TEST(preamble_and_leading_blank_lines)
{
	/* A plain message file reads as a one-message mbox. */
	static const char a[] = "Subject: lone\n\nhello\nFrom me\n";
	static const struct want wa[] = {{NULL, "Subject: lone\n\nhello\nFrom me\n"}};
	expect_msgs(a, sizeof a - 1, wa, 1);

	/* ...but the rule is the rule: a "From " line after an empty line
	 * starts a message, even in a file that was meant as one message. */
	static const char a2[] = "Subject: lone\n\nFrom me, hello\n";
	static const struct want wa2[] = {{NULL, "Subject: lone\n"}, {"From me, hello", ""}};
	expect_msgs(a2, sizeof a2 - 1, wa2, 2);

	static const char b[] = "\n\nFrom a\nx\n";
	static const struct want wb[] = {{"From a", "x\n"}};
	expect_msgs(b, sizeof b - 1, wb, 1);

	static const char c[] = "junk\n\nFrom a\nx\n";
	static const struct want wc[] = {{NULL, "junk\n"}, {"From a", "x\n"}};
	expect_msgs(c, sizeof c - 1, wc, 2);
}
END_TEST

START_TEST(from_not_at_line_start_or_lowercase)
{
	static const char data[] = "From a\nx\n\nxFrom b\n\nfrom c\n\n>From d\n";
	static const struct want w[] = {{"From a", "x\n\nxFrom b\n\nfrom c\n\n>From d\n"}};
	expect_msgs(data, sizeof data - 1, w, 1);
}
END_TEST

static const struct {
	const char *in;
	const char *rd; /* NULL: no copy needed */
	const char *o;
} unquote_cases[] = {
	{"", NULL, NULL},
	{"plain\nbody\n", NULL, NULL},
	{"a\n>From x\n", "a\nFrom x\n", "a\nFrom x\n"},
	{">From x", "From x", "From x"},
	{">>From x\n", ">From x\n", NULL},
	{"a\n>>From x\n", "a\n>From x\n", NULL},
	{"a\n>>>From x\n", "a\n>>From x\n", NULL},
	{"a >From x\n", NULL, NULL},
	{"a\nx>From x\n", NULL, NULL},
	{"a\n>from x\n", NULL, NULL},
	{"a\n>From\n", NULL, NULL},
	{"a\n> From x\n", NULL, NULL},
	{"a\r\n>From x\r\n", "a\r\nFrom x\r\n", "a\r\nFrom x\r\n"},
	{"\n>From a\n>From b\n>>From c\n", "\nFrom a\nFrom b\n>From c\n",
		"\nFrom a\nFrom b\n>>From c\n"},
	{">>From a\n>From b\n", ">From a\nFrom b\n", ">>From a\nFrom b\n"},
};

START_TEST(unquote_table)
{
	const char *in = unquote_cases[_i].in;
	const char *want[2] = {unquote_cases[_i].rd, unquote_cases[_i].o};
	enum mbox_format fmt[2] = {MBOX_FORMAT_MBOXRD, MBOX_FORMAT_MBOXO};
	for (int k = 0; k < 2; k++) {
		struct qu_buf out;
		qu_buf_init(&out, SIZE_MAX);
		qu_buf_append_str(&out, "stale");
		int rc = mbox_unquote(in, strlen(in), fmt[k], &out);
		if (want[k]) {
			ck_assert_msg(rc == 1, "%s [%s]", mbox_format_name(fmt[k]), in);
			ck_assert_uint_eq(out.len, strlen(want[k]));
			ck_assert_str_eq(out.data, want[k]);
		} else {
			ck_assert_msg(rc == 0, "%s [%s]", mbox_format_name(fmt[k]), in);
			ck_assert_str_eq(out.data, "stale");
		}
		qu_buf_clear(&out);
	}
}
END_TEST

START_TEST(unquote_cap)
{
	struct qu_buf out;
	qu_buf_init(&out, 5);
	ck_assert_int_eq(mbox_unquote("0123456789\n>From x\n", 19, MBOX_FORMAT_MBOXRD, &out), -1);
	qu_buf_clear(&out);
	ck_assert_str_eq(mbox_format_name(MBOX_FORMAT_MBOXO), "mboxo");
	ck_assert_str_eq(mbox_format_name(MBOX_FORMAT_MBOXRD), "mboxrd");
}
END_TEST

START_TEST(unquote_binary)
{
	static const char in[] = "a\0b\n>From \0\n";
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	ck_assert_int_eq(mbox_unquote(in, sizeof in - 1, MBOX_FORMAT_MBOXRD, &out), 1);
	ck_assert_uint_eq(out.len, sizeof in - 2);
	ck_assert(memcmp(out.data, "a\0b\nFrom \0\n", out.len) == 0);
	qu_buf_clear(&out);
}
END_TEST

START_TEST(open_file_many_messages)
{
	/* 2000 messages through a real mapped file; each carries its number. */
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (int i = 0; i < 2000; i++)
		qu_buf_printf(&b, "From sender%d Mon Jan  1 00:00:00 2024\nSubject: %d\n\n"
				  "body %d\n%s\n\n",
			i, i, i, i % 3 == 0 ? ">From quoted" : "last");
	char *p = xasprintf("%s/mbox", root);
	th_write(p, b.data, b.len);
	struct qu_err err = {0};
	struct mbox *mb = mbox_open(p, &err);
	ck_assert_ptr_nonnull(mb);
	struct mbox_msg m;
	int n = 0, copies = 0;
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	while (mbox_next(mb, &m)) {
		char *want = xasprintf("Subject: %d\n\nbody %d\n%s\n", n, n,
			n % 3 == 0 ? ">From quoted" : "last");
		ck_assert_uint_eq(m.len, strlen(want));
		ck_assert(memcmp(m.p, want, m.len) == 0);
		free(want);
		copies += mbox_unquote(m.p, m.len, MBOX_FORMAT_MBOXRD, &out);
		n++;
	}
	ck_assert_int_eq(n, 2000);
	ck_assert_int_eq(copies, 667);
	qu_buf_clear(&out);
	mbox_free(mb);
	qu_buf_clear(&b);
	free(p);
}
END_TEST

START_TEST(open_errors)
{
	struct qu_err err = {0};
	char *p = xasprintf("%s/missing", root);
	ck_assert_ptr_null(mbox_open(p, &err));
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_null(mbox_open(root, &err));
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	free(p);
}
END_TEST

static Suite *
mbox_suite(void)
{
	Suite *s = suite_create("store-mbox");
	TCase *tc = tcase_create("split");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, three_messages);
	tcase_add_test(tc, three_messages_unquoted);
	tcase_add_test(tc, crlf_mbox);
	tcase_add_test(tc, from_line_not_after_blank);
	tcase_add_test(tc, from_lines_back_to_back);
	tcase_add_test(tc, empty_messages);
	tcase_add_test(tc, empty_file);
	tcase_add_test(tc, no_trailing_newline);
	tcase_add_test(tc, preamble_and_leading_blank_lines);
	tcase_add_test(tc, from_not_at_line_start_or_lowercase);
	tcase_add_test(tc, open_file_many_messages);
	tcase_add_test(tc, open_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("unquote");
	tcase_add_loop_test(tc, unquote_table, 0, (int)QU_ARRAY_LEN(unquote_cases));
	tcase_add_test(tc, unquote_cap);
	tcase_add_test(tc, unquote_binary);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return th_run(mbox_suite());
}
