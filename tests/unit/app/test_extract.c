/*
 * quail extract: names made safe, files never overwritten nor written
 * through a planted symbolic link, uuencoded files found in text; and
 * app_mailbox_each / app_scan / app_parse_check over a small mbox.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"

static const struct {
	const char *in, *out; /* out NULL: nothing is left */
} names[] = {
	{"report.pdf", "report.pdf"},
	{"../../.bashrc", "bashrc"},
	{"/etc/passwd", "passwd"},
	{"C:\\Users\\me\\doc.docx", "doc.docx"},
	{"..\\..\\evil.exe", "evil.exe"},
	{"evil\x1b[31m.txt", "evil_[31m.txt"},
	{"two\nlines.txt", "two_lines.txt"},
	{"nul\x7f" "del", "nul_del"},
	{"c1\xc2\x9b" "csi", "c1_csi"},
	{"bad\xff" "utf8", "bad_utf8"},
	{"...", NULL},
	{"..", NULL},
	{"", NULL},
	{"dir/", NULL},
	{"  . hidden ", "hidden"},
	{"测试结果.csv", "测试结果.csv"},
	{"a b (1).txt", "a b (1).txt"},
};

START_TEST(test_safe_names)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(names); i++) {
		char *s = app_safe_filename(names[i].in);
		if (!names[i].out)
			ck_assert_msg(s == NULL, "%zu: got \"%s\"", i, s);
		else
			ck_assert_msg(s && strcmp(s, names[i].out) == 0, "%zu: got \"%s\", want \"%s\"", i,
				s ? s : "(null)", names[i].out);
		free(s);
	}
	ck_assert_ptr_null(app_safe_filename(NULL));
}
END_TEST

START_TEST(test_long_name_keeps_extension)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (int i = 0; i < 100; i++)
		qu_buf_append_str(&b, "长");
	qu_buf_append_str(&b, ".pdf");
	char *s = app_safe_filename(b.data);
	ck_assert_uint_le(strlen(s), 200);
	ck_assert(qu_str_has_prefix(s + strlen(s) - 4, ".pdf"));
	ck_assert(qu_utf8_valid(s, strlen(s)));
	free(s);
	qu_buf_clear(&b);
}
END_TEST

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/quail-extract-XXXXXX";
	char *d = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(d);
	return xstrdup(d);
}

static void
write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(data, f);
	fclose(f);
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char buf[4096];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return xstrdup(buf);
}

struct seen {
	char *names[16];
	size_t n;
};

static void
record(void *ctx, const struct app_extract_item *it)
{
	struct seen *s = ctx;
	if (s->n < 16)
		s->names[s->n++] = xstrdup(it->name);
}

static const char msg[] =
	"Subject: files\n"
	"Content-Type: multipart/mixed; boundary=b\n\n"
	"--b\nContent-Type: text/plain\n\nSee the files.\n\nbegin 644 ../uu.txt\n#:&D*\n`\nend\n"
	"--b\nContent-Type: application/octet-stream; name=\"../../.bashrc\"\n"
	"Content-Disposition: attachment\n\necho owned\n"
	"--b\nContent-Type: text/plain; name=\"=?utf-8?q?evil=1B[31m.txt?=\"\n\nred\n"
	"--b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw==\n"
	"--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"taken.bin\"\n\nnew\n"
	"--b--\n";

START_TEST(test_extract_files)
{
	char *d = tmpdir();
	char *in = xasprintf("%s/msg.eml", d);
	char *out = xasprintf("%s/out", d);
	write_file(in, msg);
	ck_assert_int_eq(mkdir(out, 0700), 0);
	char *taken = xasprintf("%s/taken.bin", out);
	write_file(taken, "old");
	/* A link where a saved file would go must not be followed. */
	char *victim = xasprintf("%s/victim", d);
	write_file(victim, "keep");
	char *link = xasprintf("%s/bashrc", out);
	ck_assert_int_eq(symlink(victim, link), 0);

	struct seen s = {0};
	struct qu_err err;
	qu_err_clear(&err);
	ck_assert_msg(app_extract(in, out, NULL, record, &s, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.n, 5);
	ck_assert_str_eq(s.names[0], "uu.txt");
	ck_assert_str_eq(s.names[1], "bashrc (1)");
	ck_assert_str_eq(s.names[2], "evil_[31m.txt");
	ck_assert_str_eq(s.names[3], "part-5.png");
	ck_assert_str_eq(s.names[4], "taken (1).bin");

	char *p = xasprintf("%s/uu.txt", out);
	char *c = read_file(p);
	ck_assert_str_eq(c, "hi\n");
	free(c);
	free(p);
	c = read_file(taken);
	ck_assert_str_eq(c, "old");
	free(c);
	c = read_file(victim);
	ck_assert_str_eq(c, "keep");
	free(c);
	p = xasprintf("%s/bashrc (1)", out);
	c = read_file(p);
	ck_assert_str_eq(c, "echo owned");
	free(c);
	free(p);

	/* Again: every name is taken now, nothing is overwritten. */
	struct seen s2 = {0};
	ck_assert_int_eq(app_extract(in, out, NULL, record, &s2, &err), 0);
	ck_assert_str_eq(s2.names[1], "bashrc (2)");
	ck_assert_str_eq(s2.names[4], "taken (2).bin");
	for (size_t i = 0; i < s.n; i++)
		free(s.names[i]);
	for (size_t i = 0; i < s2.n; i++)
		free(s2.names[i]);
	char *cmd = xasprintf("rm -rf '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(d);
	free(in);
	free(out);
	free(taken);
	free(victim);
	free(link);
}
END_TEST

START_TEST(test_extract_missing)
{
	struct qu_err err;
	qu_err_clear(&err);
	ck_assert_int_eq(app_extract("/nonexistent/msg.eml", "/tmp", NULL, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
}
END_TEST

/* ---- mailboxes ------------------------------------------------------------- */

static const char mbox[] =
	"From a@x Mon Nov  2 09:14:03 2026\n"
	"From: Alice <a@x>\nSubject: one\nDate: Mon, 2 Nov 2026 09:14:03 +0100\n\n"
	">From here on, quoted.\n\n"
	"From b@x Tue Nov  3 09:14:03 2026\n"
	"From: =?utf-8?b?5p2O5Zub?= <b@x>\nSubject: =?utf-8?q?two_=E4=BA=8C?=\n"
	"Content-Type: multipart/mixed; boundary=z\n\n--z\n\nt\n--z\n\nu\n--z--\n";

static int
collect(void *ctx, const struct app_message *m, struct qu_err *err)
{
	(void)err;
	qu_buf_printf(ctx, "[%zu:%.*s]", m->index, (int)m->n, m->p);
	return 0;
}

static void
scan_line(void *ctx, const struct app_scan_entry *e)
{
	qu_buf_printf(ctx, "%zu|%s|%s|%s\n", e->number, e->date ? e->date : "-",
		e->sender ? e->sender : "-", e->subject ? e->subject : "-");
}

START_TEST(test_mailboxes)
{
	char *d = tmpdir();
	char *path = xasprintf("%s/mbox", d);
	write_file(path, mbox);
	struct qu_err err;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_int_eq(app_mailbox_each(path, collect, &b, &err), 0);
	ck_assert(strstr(b.data, "[0:From: Alice <a@x>") != NULL);
	ck_assert(strstr(b.data, "\n\nFrom here on, quoted.\n][1:") != NULL);
	qu_buf_reset(&b);
	ck_assert_int_eq(app_scan(path, NULL, scan_line, &b, &err), 0);
	ck_assert_str_eq(b.data, "1|2026-11-02|Alice|one\n2|-|李四|two 二\n");
	struct app_check_totals t = {0};
	ck_assert_int_eq(app_parse_check(path, 2, NULL, &t, &err), 0);
	ck_assert_uint_eq(t.messages, 2);
	ck_assert_uint_eq(t.parts, 3);
	ck_assert_uint_eq(t.bytes, 22 + 1 + 1);
	ck_assert_int_eq(app_parse_check("/nonexistent", 1, NULL, &t, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	qu_buf_clear(&b);
	char *cmd = xasprintf("rm -rf '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(path);
	free(d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("extract");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_safe_names);
	tcase_add_test(tc, test_long_name_keeps_extension);
	tcase_add_test(tc, test_extract_files);
	tcase_add_test(tc, test_extract_missing);
	tcase_add_test(tc, test_mailboxes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
