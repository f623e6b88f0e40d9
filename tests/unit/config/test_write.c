/* Writing an account section (quail setup): the text, finding a section,
 * and putting it into a file with every other byte kept. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#include "config/config.h"

static char dir[] = "/tmp/quail-test-write-XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		qu_buf_append(&b, tmp, n);
	fclose(f);
	return qu_buf_steal(&b, NULL);
}

static void
spew(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_text)
{
	struct cfg_new_account a = {.name = "work",
				    .from = "Alice <alice@example.com>",
				    .imap = "imaps://imap.example.com",
				    .smtp = "smtps://smtp.example.com:465",
				    .user = "alice",
				    .password_command = "pass show mail | head -1",
				    .oauth2 = true};
	struct qu_err err;
	char *t = cfg_account_text(&a, &err);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t, "[account work]\n"
			    "from = Alice <alice@example.com>\n"
			    "imap = imaps://imap.example.com\n"
			    "smtp = smtps://smtp.example.com:465\n"
			    "user = alice\n"
			    "password_command = pass show mail | head -1\n"
			    "auth = oauth2\n");
	qu_free_secret(t);
}
END_TEST

/* Values the loader would not read back as written are refused. */
static const struct {
	const char *name, *password;
} bad[] = {
	{"work", "has ;comment"}, {"work", "tab\tinside"}, {"work", "new\nline"},
	{"work", " lead"},        {"work", "trail "},      {"a/b", "ok"},
	{"a]b", "ok"},            {"..", "ok"},            {"", "ok"},
};

START_TEST(test_text_bad)
{
	struct cfg_new_account a = {.name = bad[_i].name, .password = bad[_i].password};
	struct qu_err err;
	qu_err_clear(&err);
	ck_assert_ptr_null(cfg_account_text(&a, &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_ptr_null(strstr(err.msg, bad[_i].password));
}
END_TEST

START_TEST(test_text_long)
{
	char v[300];
	memset(v, 'x', sizeof v - 1);
	v[sizeof v - 1] = '\0';
	struct cfg_new_account a = {.name = "w", .password_command = v};
	struct qu_err err;
	ck_assert_ptr_null(cfg_account_text(&a, &err));
	/* ';' without white space before it is a plain character. */
	a.password_command = "a;b";
	char *t = cfg_account_text(&a, &err);
	ck_assert_ptr_nonnull(t);
	qu_free_secret(t);
}
END_TEST

START_TEST(test_find)
{
	const char *s = "[general]\nx = 1\n\n  [ Account  work ]  \nuser = a\n\n[account other]\n";
	size_t st, en;
	ck_assert_int_eq(cfg_text_find_account(s, strlen(s), "work", &st, &en), 1);
	ck_assert_uint_eq(st, strlen("[general]\nx = 1\n\n"));
	ck_assert_uint_eq(en, strlen(s) - strlen("[account other]\n"));
	ck_assert_int_eq(cfg_text_find_account(s, strlen(s), "other", &st, &en), 1);
	ck_assert_uint_eq(en, strlen(s));
	ck_assert_int_eq(cfg_text_find_account(s, strlen(s), "wor", &st, &en), 0);
	ck_assert_int_eq(cfg_text_find_account(s, strlen(s), "Work", &st, &en), 0);
	ck_assert_int_eq(cfg_text_find_account("", 0, "work", &st, &en), 0);
}
END_TEST

START_TEST(test_put_new)
{
	char *path = xasprintf("%s/a/b/config", dir);
	struct qu_err err;
	ck_assert_int_eq(cfg_file_has_account(path, "w", &err), 0);
	ck_assert_int_eq(cfg_file_put_account(path, "w", "[account w]\nuser = u\n", false, &err), 0);
	char *got = slurp(path);
	ck_assert_str_eq(got, "[account w]\nuser = u\n");
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(cfg_file_has_account(path, "w", &err), 1);
	/* The second time it exists: refused without replace. */
	ck_assert_int_eq(cfg_file_put_account(path, "w", "[account w]\n", false, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	/* What was written loads. */
	struct cfg *c = cfg_load(path, true, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	ck_assert_ptr_nonnull(cfg_find_account(c, "w", &err));
	cfg_free(c);
	free(got);
	free(path);
}
END_TEST

START_TEST(test_put_replace)
{
	char *path = xasprintf("%s/config", dir);
	const char *before = "; top\r\n[account a]\nuser = 1\n\n[account w]\nuser = old\n; c\n\n"
			     "[account z]\nuser = 3";
	spew(path, before);
	chmod(path, 0640);
	struct qu_err err;
	ck_assert_int_eq(cfg_file_put_account(path, "w", "[account w]\nuser = new\n", true, &err), 0);
	char *got = slurp(path);
	ck_assert_str_eq(got, "; top\r\n[account a]\nuser = 1\n\n[account w]\nuser = new\n\n"
			      "[account z]\nuser = 3");
	free(got);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	/* Appended after a file without a final newline. */
	ck_assert_int_eq(cfg_file_put_account(path, "n", "[account n]\nuser = 4\n", true, &err), 0);
	got = slurp(path);
	ck_assert_str_eq(got, "; top\r\n[account a]\nuser = 1\n\n[account w]\nuser = new\n\n"
			      "[account z]\nuser = 3\n\n[account n]\nuser = 4\n");
	free(got);
	free(path);
}
END_TEST

START_TEST(test_put_symlink)
{
	char *real = xasprintf("%s/real", dir);
	char *link = xasprintf("%s/link", dir);
	spew(real, "[general]\n");
	ck_assert_int_eq(symlink(real, link), 0);
	struct qu_err err;
	ck_assert_int_eq(cfg_file_put_account(link, "w", "[account w]\n", false, &err), 0);
	struct stat st;
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	char *got = slurp(real);
	ck_assert_str_eq(got, "[general]\n\n[account w]\n");
	free(got);
	free(real);
	free(link);
}
END_TEST

static Suite *
write_suite(void)
{
	Suite *s = suite_create("config-write");
	TCase *tc = tcase_create("write");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_text);
	tcase_add_loop_test(tc, test_text_bad, 0, (int)QU_ARRAY_LEN(bad));
	tcase_add_test(tc, test_text_long);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_put_new);
	tcase_add_test(tc, test_put_replace);
	tcase_add_test(tc, test_put_symlink);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(write_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
