/*
 * mailcap (RFC 1524): parsing (comments, continuation lines, "\;",
 * flags), choosing an entry (wildcards, test=, copiousoutput) and the
 * quoting of substituted values, checked by letting sh read them back.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"

static const char sample[] =
	"# a comment; with a semicolon\n"
	"\n"
	"text/html; w3m -dump -T text/html -I %{charset} %s; copiousoutput; nametemplate=%s.html\n"
	"image/png; false-viewer %s; test=false\n"
	"image/*; \\\n"
	"   display %s; \\\n"
	"   needsterminal\n"
	"application/pdf; echo a\\;b %s ; test = true ; copiousoutput\n"
	"text; less\r\n"
	"   # an indented comment\n"
	"Application/X-Upper; upper %s\n";

static struct app_mailcap *
load_sample(void)
{
	struct app_mailcap *m = app_mailcap_new();
	app_mailcap_parse(m, sample, sizeof sample - 1);
	return m;
}

START_TEST(test_parse)
{
	struct app_mailcap *m = load_sample();
	ck_assert_uint_eq(app_mailcap_count(m), 6);
	struct app_mailcap_vars v = {0};
	const struct app_mailcap_entry *e = app_mailcap_find(m, "text/html", 0, &v);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->view, "w3m -dump -T text/html -I %{charset} %s");
	ck_assert(e->copiousoutput);
	ck_assert(!e->needsterminal);
	ck_assert_str_eq(e->nametemplate, "%s.html");
	/* Continuation lines join; the flag on the third line counts. */
	e = app_mailcap_find(m, "image/gif", 0, &v);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->type, "image/*");
	ck_assert_str_eq(e->view, "display %s");
	ck_assert(e->needsterminal);
	/* "\;" inside a command is a ';'; spaces around "test =" are allowed. */
	e = app_mailcap_find(m, "application/pdf", 0, &v);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->view, "echo a;b %s");
	ck_assert_str_eq(e->test, "true");
	/* A bare major type covers its subtypes; CRLF line ends. */
	e = app_mailcap_find(m, "text/x-diff", 0, &v);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->view, "less");
	/* Types match without regard to case. */
	e = app_mailcap_find(m, "application/x-upper", 0, &v);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->view, "upper %s");
	app_mailcap_free(m);
}
END_TEST

START_TEST(test_find)
{
	struct app_mailcap *m = load_sample();
	struct app_mailcap_vars v = {0};
	/* image/png's test fails: the wildcard entry after it is taken. */
	const struct app_mailcap_entry *e = app_mailcap_find(m, "image/png", 0, &v);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->type, "image/*");
	/* A wildcard covers its own major type only. */
	ck_assert_ptr_null(app_mailcap_find(m, "imagex/png", 0, &v));
	ck_assert_ptr_null(app_mailcap_find(m, "video/mp4", 0, &v));
	/* Only copiousoutput entries when asked for them. */
	ck_assert_ptr_null(app_mailcap_find(m, "image/gif", APP_MAILCAP_COPIOUS, &v));
	e = app_mailcap_find(m, "application/pdf", APP_MAILCAP_COPIOUS, &v);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(app_mailcap_find(NULL, "text/plain", 0, &v));
	app_mailcap_free(m);
}
END_TEST

/* A test= that hangs is killed and counts as failed, in bounded time. */
START_TEST(test_test_bounded)
{
	static const char text[] = "text/plain; hang %s; test=sleep 30\ntext/plain; ok %s\n";
	struct app_mailcap *m = app_mailcap_new();
	app_mailcap_parse(m, text, sizeof text - 1);
	struct app_mailcap_vars v = {0};
	time_t t0 = time(NULL);
	const struct app_mailcap_entry *e = app_mailcap_find(m, "text/plain", 0, &v);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->view, "ok %s");
	ck_assert_int_le(time(NULL) - t0, 5);
	ck_assert_int_eq(app_mailcap_run_bounded("exit 3", 2000), 3);
	app_mailcap_free(m);
}
END_TEST

/* A test= sees %t and %{charset}, quoted. */
START_TEST(test_test_substitutes)
{
	static const char text[] =
		"text/plain; one; test=test %{charset} = 'koi8-r'\n"
		"text/plain; two; test=test \"%t\" = text/plain\n";
	struct app_mailcap *m = app_mailcap_new();
	app_mailcap_parse(m, text, sizeof text - 1);
	struct app_mailcap_vars v = {.type = "text/plain", .charset = "utf-8"};
	const struct app_mailcap_entry *e = app_mailcap_find(m, "text/plain", 0, &v);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->view, "two");
	v.charset = "koi8-r";
	e = app_mailcap_find(m, "text/plain", 0, &v);
	ck_assert_str_eq(e->view, "one");
	app_mailcap_free(m);
}
END_TEST

/* Runs cmd by sh with stdout to a file and returns what it printed. */
static char *
sh_output(const char *cmd)
{
	char path[] = "/tmp/quail-mailcap-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	char *full = xasprintf("( %s ) > %s", cmd, path);
	ck_assert_int_eq(app_mailcap_run_bounded(full, 5000), 0);
	free(full);
	FILE *f = fopen(path, "r");
	char buf[512] = {0};
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	return xstrdup(buf);
}

START_TEST(test_expand_quoting)
{
	/* Values a hostile message could carry: each must come back whole. */
	static const char *const hostile[] = {
		"utf-8", "a b", "x'; touch /tmp/quail-pwned; '", "$(id)", "`id`", "\"q\" \\ $HOME",
		"it's",
	};
	static const char *const forms[] = {
		"printf '[%%s]' %{charset}", "printf '[%%s]' '%{charset}'",
		"printf '[%%s]' \"%{charset}\"", "printf '[%%s]' x%{charset}y",
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(hostile); i++)
		for (size_t f = 0; f < QU_ARRAY_LEN(forms); f++) {
			struct app_mailcap_vars v = {.charset = hostile[i]};
			char *cmd = app_mailcap_expand(forms[f], &v, NULL);
			char *out = sh_output(cmd);
			char *want = f == 3 ? xasprintf("[x%sy]", hostile[i]) : xasprintf("[%s]", hostile[i]);
			ck_assert_msg(strcmp(out, want) == 0, "%s -> %s: got %s want %s", forms[f], cmd,
				out, want);
			free(want);
			free(out);
			free(cmd);
		}
	ck_assert_int_ne(access("/tmp/quail-pwned", F_OK), 0);
	/* Controls never reach a command line. */
	struct app_mailcap_vars v = {.charset = "a\nb\x1b"};
	char *cmd = app_mailcap_expand("x %{charset}", &v, NULL);
	ck_assert_str_eq(cmd, "x 'a_b_'");
	free(cmd);
}
END_TEST

START_TEST(test_expand_codes)
{
	struct app_mailcap_vars v = {.file = "/tmp/q/part.pdf", .type = "application/pdf"};
	bool used = true;
	char *cmd = app_mailcap_expand("view -t %t 100%% \\%s", &v, &used);
	ck_assert_str_eq(cmd, "view -t 'application/pdf' 100% %s");
	ck_assert(!used);
	free(cmd);
	cmd = app_mailcap_expand("view %s %{name} %n", &v, &used);
	ck_assert_str_eq(cmd, "view '/tmp/q/part.pdf' '' '1'");
	ck_assert(used);
	free(cmd);
	cmd = app_mailcap_expand("view '%s'", &v, &used);
	ck_assert_str_eq(cmd, "view '/tmp/q/part.pdf'");
	free(cmd);
	/* An entry without %s reads the file on stdin. */
	struct app_mailcap_entry e = {.view = "cat -n"};
	cmd = app_mailcap_command(&e, &v);
	ck_assert_str_eq(cmd, "( cat -n ) < '/tmp/q/part.pdf'");
	free(cmd);
	e.view = "cat %s";
	cmd = app_mailcap_command(&e, &v);
	ck_assert_str_eq(cmd, "cat '/tmp/q/part.pdf'");
	free(cmd);
	/* A lone % at the end, an unclosed %{ stay as written. */
	cmd = app_mailcap_expand("a %{b %", &v, NULL);
	ck_assert_str_eq(cmd, "a %{b %");
	free(cmd);
}
END_TEST

START_TEST(test_load_paths)
{
	char dir[] = "/tmp/quail-mcdir-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *a = xasprintf("%s/a", dir), *b = xasprintf("%s/b", dir);
	FILE *f = fopen(a, "w");
	fputs("text/plain; first %s\n", f);
	fclose(f);
	f = fopen(b, "w");
	fputs("text/plain; second %s\nimage/*; img %s\n", f);
	fclose(f);
	char *paths = xasprintf("%s/missing:%s:%s", dir, a, b);
	struct app_mailcap *m = app_mailcap_new();
	struct qu_err err = {0};
	ck_assert_int_eq(app_mailcap_load(m, paths, &err), 0);
	ck_assert_uint_eq(app_mailcap_count(m), 3);
	struct app_mailcap_vars v = {0};
	/* The first file's entry wins. */
	ck_assert_str_eq(app_mailcap_find(m, "text/plain", 0, &v)->view, "first %s");
	app_mailcap_free(m);
	setenv("MAILCAPS", paths, 1);
	char *d = app_mailcap_default_path();
	ck_assert_str_eq(d, paths);
	free(d);
	unsetenv("MAILCAPS");
	setenv("HOME", "/home/x", 1);
	d = app_mailcap_default_path();
	ck_assert_str_eq(d, "/home/x/.mailcap:/etc/mailcap");
	free(d);
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(paths);
	free(a);
	free(b);
}
END_TEST

/* A copiousoutput entry as a filter: output captured and capped, no
 * entry is 1, a hung viewer is killed, the file never outlives the call. */
START_TEST(test_filter)
{
	char dir[] = "/tmp/quail-mcflt-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("TMPDIR", dir, 1);
	static const char text[] =
		"text/html; tr a-z A-Z < %s; copiousoutput\n"
		"text/x-slow; sleep 30; copiousoutput\n"
		"text/x-nocopious; cat %s\n"
		"text/x-stdin; cat; copiousoutput\n";
	struct app_mailcap *m = app_mailcap_new();
	app_mailcap_parse(m, text, sizeof text - 1);
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	struct qu_err err = {0};
	struct app_mailcap_vars v = {.type = "text/html"};
	ck_assert_int_eq(app_mailcap_filter(m, &v, "<p>hi</p>", 9, &out, 1 << 20, 5000, &err), 0);
	ck_assert_str_eq(out.data, "<P>HI</P>");
	qu_buf_reset(&out);
	ck_assert_int_eq(app_mailcap_filter(m, &v, "abcdef", 6, &out, 3, 5000, &err), 0);
	ck_assert_uint_eq(out.len, 3);
	qu_buf_reset(&out);
	v.type = "text/x-stdin";
	ck_assert_int_eq(app_mailcap_filter(m, &v, "in", 2, &out, 1 << 20, 5000, &err), 0);
	ck_assert_str_eq(out.data, "in");
	v.type = "text/x-nocopious";
	ck_assert_int_eq(app_mailcap_filter(m, &v, "x", 1, &out, 1 << 20, 5000, &err), 1);
	v.type = "text/x-slow";
	time_t t0 = time(NULL);
	ck_assert_int_eq(app_mailcap_filter(m, &v, "x", 1, &out, 1 << 20, 300, &err), -1);
	ck_assert_int_le(time(NULL) - t0, 5);
	/* Nothing is left behind. */
	ck_assert_int_eq(rmdir(dir), 0);
	unsetenv("TMPDIR");
	qu_buf_clear(&out);
	app_mailcap_free(m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mailcap");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_test_bounded);
	tcase_add_test(tc, test_test_substitutes);
	tcase_add_test(tc, test_expand_quoting);
	tcase_add_test(tc, test_expand_codes);
	tcase_add_test(tc, test_load_paths);
	tcase_add_test(tc, test_filter);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
