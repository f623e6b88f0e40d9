#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#include "config/config.h"

static char tmpdir[256];
static char cfgpath[300];

static void
setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/quail-res-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	setenv("HOME", tmpdir, 1);
	snprintf(cfgpath, sizeof cfgpath, "%s/config", tmpdir);
}

static void
teardown(void)
{
	unlink(cfgpath);
	rmdir(tmpdir);
}

static struct cfg *
load(const char *text)
{
	int fd = open(cfgpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct qu_err err;
	struct cfg *c = cfg_load(cfgpath, true, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	return c;
}

static const char two_accounts[] =
	"[general]\n"
	"default_account = work\n"
	"[account work]\n"
	"from = Alice <alice@example.com>\n"
	"smtp = smtps://smtp.example.com\n"
	"imap = imaps://imap.example.com\n"
	"password = filepw\n"
	"sent_folder = Sent\n"
	"[account home]\n"
	"from = Li <li@163.com>\n"
	"user = li-login\n";

START_TEST(test_default_account)
{
	struct cfg *c = load(two_accounts);
	struct cfg_overrides o = {0};
	struct qu_err err;
	struct cfg_account *a = cfg_resolve(c, &o, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->name, "work");
	ck_assert_str_eq(a->smtp, "smtps://smtp.example.com");
	ck_assert_str_eq(a->password, "filepw");
	ck_assert_str_eq(a->sent_folder, "Sent");
	/* No user: the address of from. */
	ck_assert_str_eq(a->user, "alice@example.com");
	cfg_account_free(a);
	/* o may be NULL. */
	a = cfg_resolve(c, NULL, &err);
	ck_assert_str_eq(a->name, "work");
	cfg_account_free(a);
	cfg_free(c);
}
END_TEST

START_TEST(test_named_account_with_preset)
{
	struct cfg *c = load(two_accounts);
	struct cfg_overrides o = {.account = "home"};
	struct qu_err err;
	struct cfg_account *a = cfg_resolve(c, &o, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->name, "home");
	ck_assert_str_eq(a->user, "li-login");
	ck_assert_str_eq(a->smtp, "smtps://smtp.163.com");
	ck_assert_str_eq(a->imap, "imaps://imap.163.com");
	ck_assert_str_eq(a->provider, "163.com");
	ck_assert(a->imap_id);
	char *md = xasprintf("%s/Mail/home", tmpdir);
	ck_assert_str_eq(a->maildir, md);
	free(md);
	cfg_account_free(a);
	cfg_free(c);
}
END_TEST

START_TEST(test_missing_account)
{
	struct cfg *c = load(two_accounts);
	struct cfg_overrides o = {.account = "x", .smtp = "smtps://h"};
	struct qu_err err;
	ck_assert_ptr_null(cfg_resolve(c, &o, &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	char *want = xasprintf("no account 'x' in %s", cfgpath);
	ck_assert_str_eq(err.msg, want);
	free(want);
	cfg_free(c);
	/* Without a file at all. */
	ck_assert_ptr_null(cfg_resolve(NULL, &o, &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "no account 'x'"));
}
END_TEST

START_TEST(test_overrides)
{
	struct cfg *c = load(two_accounts);
	struct cfg_overrides o = {
		.user = "cli-user",
		.password_command = "echo pw",
		.ca_file = "~/ca.pem",
		.smtp = "smtp://other.example.com:2525",
		.from = "Bob <bob@example.org>",
	};
	struct qu_err err;
	struct cfg_account *a = cfg_resolve(c, &o, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->user, "cli-user");
	ck_assert_str_eq(a->password_command, "echo pw");
	/* --password-command replaces the password from the file. */
	ck_assert_ptr_null(a->password);
	char *ca = xasprintf("%s/ca.pem", tmpdir);
	ck_assert_str_eq(a->ca_file, ca);
	free(ca);
	ck_assert_str_eq(a->smtp, "smtp://other.example.com:2525");
	ck_assert_str_eq(a->imap, "imaps://imap.example.com");
	ck_assert_str_eq(a->from, "Bob <bob@example.org>");
	cfg_account_free(a);
	cfg_free(c);
}
END_TEST

START_TEST(test_incoming_override)
{
	struct cfg *c = load(two_accounts);
	struct qu_err err;
	/* --pop3 names the mailbox to read: the account's imap steps aside. */
	struct cfg_overrides o = {.pop3 = "pop3s://pop.example.com"};
	struct cfg_account *a = cfg_resolve(c, &o, &err);
	ck_assert_str_eq(a->pop3, "pop3s://pop.example.com");
	ck_assert_ptr_null(a->imap);
	ck_assert_str_eq(a->smtp, "smtps://smtp.example.com");
	cfg_account_free(a);
	/* A preset does not bring imap back for a 163.com account either. */
	struct cfg_overrides o2 = {.account = "home", .pop3 = "pop3+insecure://localhost:1110"};
	a = cfg_resolve(c, &o2, &err);
	ck_assert_str_eq(a->pop3, "pop3+insecure://localhost:1110");
	ck_assert_ptr_null(a->imap);
	cfg_account_free(a);
	struct cfg_overrides o3 = {.imap = "imap://i.example.com", .pop3 = "pop3://p.example.com"};
	a = cfg_resolve(c, &o3, &err);
	ck_assert_str_eq(a->imap, "imap://i.example.com");
	ck_assert_str_eq(a->pop3, "pop3://p.example.com");
	cfg_account_free(a);
	cfg_free(c);
}
END_TEST

START_TEST(test_bad_override_url)
{
	struct cfg *c = load(two_accounts);
	struct qu_err err;
	struct cfg_overrides o = {.smtp = "imaps://h"};
	ck_assert_ptr_null(cfg_resolve(c, &o, &err));
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	ck_assert_str_eq(err.msg, "--smtp: IMAP URL where SMTP is expected (use smtps://, smtp:// "
				  "or smtp+insecure://)");
	struct cfg_overrides o2 = {.imap = "imaps://h:0"};
	ck_assert_ptr_null(cfg_resolve(c, &o2, &err));
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	ck_assert_str_eq(err.msg, "--imap: bad port '0' (must be 1-65535)");
	struct cfg_overrides o3 = {.pop3 = "pop://h"};
	ck_assert_ptr_null(cfg_resolve(NULL, &o3, &err));
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "--pop3: unknown scheme 'pop'"));
	struct cfg_overrides o4 = {.from = "Nobody <>"};
	ck_assert_ptr_null(cfg_resolve(c, &o4, &err));
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	cfg_free(c);
}
END_TEST

START_TEST(test_command_line_only)
{
	struct qu_err err;
	struct cfg_overrides o = {
		.smtp = "smtps://carol%40example.com@smtp.example.com",
		.password_command = "echo pw",
	};
	struct cfg_account *a = cfg_resolve(NULL, &o, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_ptr_null(a->name);
	/* user from the URL's user@ part. */
	ck_assert_str_eq(a->user, "carol@example.com");
	ck_assert_str_eq(a->smtp, o.smtp);
	ck_assert_ptr_null(a->imap);
	ck_assert(a->imap_id);
	char *md = xasprintf("%s/Mail/default", tmpdir);
	ck_assert_str_eq(a->maildir, md);
	free(md);
	cfg_account_free(a);

	/* An empty config counts as none. */
	struct cfg *c = load("[general]\nmaildir = /m\n");
	a = cfg_resolve(c, &o, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->maildir, "/m/default");
	cfg_account_free(a);
	cfg_free(c);
}
END_TEST

START_TEST(test_command_line_preset)
{
	struct qu_err err;
	struct cfg_overrides o = {.from = "q@qq.com", .password_command = "echo code"};
	struct cfg_account *a = cfg_resolve(NULL, &o, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_str_eq(a->provider, "qq.com");
	ck_assert_str_eq(a->smtp, "smtps://smtp.qq.com");
	ck_assert_str_eq(a->imap, "imaps://imap.qq.com");
	ck_assert(!a->imap_id);
	ck_assert_str_eq(a->user, "q@qq.com");
	cfg_account_free(a);
	/* --user alone finds the preset when there is no from. */
	struct cfg_overrides o2 = {.user = "x@126.com"};
	a = cfg_resolve(NULL, &o2, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_str_eq(a->provider, "126.com");
	ck_assert_str_eq(a->smtp, "smtps://smtp.126.com");
	ck_assert(a->imap_id);
	cfg_account_free(a);
}
END_TEST

START_TEST(test_from_override_changes_preset)
{
	struct cfg *c = load("[account a]\nfrom = a@163.com\nsmtp = smtps://mine.example.com\n");
	struct cfg_overrides o = {.from = "a@gmail.com"};
	struct qu_err err;
	struct cfg_account *a = cfg_resolve(c, &o, &err);
	ck_assert_str_eq(a->provider, "gmail.com");
	ck_assert_str_eq(a->password_hint, "gmail.com needs an app password or auth = oauth2");
	ck_assert_str_eq(a->smtp, "smtps://mine.example.com");
	cfg_account_free(a);
	struct cfg_overrides o2 = {.from = "a@example.com"};
	a = cfg_resolve(c, &o2, &err);
	ck_assert_ptr_null(a->provider);
	ck_assert_ptr_null(a->password_hint);
	cfg_account_free(a);
	cfg_free(c);
}
END_TEST

START_TEST(test_nothing)
{
	struct qu_err err;
	struct cfg_overrides o = {0};
	ck_assert_ptr_null(cfg_resolve(NULL, &o, &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "--smtp"));
	/* Two accounts and no default: the reason is that. */
	struct cfg *c = load("[account a]\n[account b]\n");
	ck_assert_ptr_null(cfg_resolve(c, &o, &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "no default_account"));
	/* ...unless the command line describes a server. */
	struct cfg_overrides o2 = {.imap = "imaps://h"};
	struct cfg_account *a = cfg_resolve(c, &o2, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_null(a->name);
	cfg_account_free(a);
	cfg_free(c);
}
END_TEST

START_TEST(test_user_from_url)
{
	struct cfg *c = load("[account a]\nfrom = x@example.com\n"
			     "imap = imaps://imapuser@h\n");
	struct qu_err err;
	struct cfg_account *a = cfg_resolve(c, NULL, &err);
	ck_assert_str_eq(a->user, "imapuser");
	cfg_account_free(a);
	cfg_free(c);
	cfg_account_free(NULL);
}
END_TEST

START_TEST(test_default_path)
{
	unsetenv("QUAIL_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	char *p = cfg_default_path("/x/cli");
	ck_assert_str_eq(p, "/x/cli");
	free(p);
	char *want = xasprintf("%s/.config/quail/config", tmpdir);
	p = cfg_default_path(NULL);
	ck_assert_str_eq(p, want);
	free(p);
	setenv("XDG_CONFIG_HOME", "relative/ignored", 1);
	p = cfg_default_path(NULL);
	ck_assert_str_eq(p, want);
	free(p);
	free(want);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	p = cfg_default_path(NULL);
	ck_assert_str_eq(p, "/xdg/quail/config");
	free(p);
	setenv("QUAIL_CONFIG", "/env/config", 1);
	p = cfg_default_path(NULL);
	ck_assert_str_eq(p, "/env/config");
	free(p);
	p = cfg_default_path("");
	ck_assert_str_eq(p, "/env/config");
	free(p);
	p = cfg_default_path("/x/cli");
	ck_assert_str_eq(p, "/x/cli");
	free(p);
}
END_TEST

START_TEST(test_expand_home)
{
	setenv("HOME", "/home/al", 1);
	static const char *const cases[][2] = {
		{"~", "/home/al"},
		{"~/", "/home/al/"},
		{"~/Mail", "/home/al/Mail"},
		{"~bob/Mail", "~bob/Mail"},
		{"/abs/~/x", "/abs/~/x"},
		{"rel", "rel"},
		{"", ""},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(cases); i++) {
		char *p = cfg_expand_home(cases[i][0]);
		ck_assert_str_eq(p, cases[i][1]);
		free(p);
	}
	setenv("HOME", "/", 1);
	char *p = cfg_expand_home("~/x");
	ck_assert_str_eq(p, "/x");
	free(p);
	setenv("HOME", "/home/al/", 1);
	p = cfg_expand_home("~/x");
	ck_assert_str_eq(p, "/home/al/x");
	free(p);
	ck_assert_ptr_null(cfg_expand_home(NULL));
}
END_TEST

static Suite *
resolve_suite(void)
{
	Suite *s = suite_create("config-resolve");
	TCase *tc = tcase_create("resolve");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_default_account);
	tcase_add_test(tc, test_named_account_with_preset);
	tcase_add_test(tc, test_missing_account);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_incoming_override);
	tcase_add_test(tc, test_bad_override_url);
	tcase_add_test(tc, test_command_line_only);
	tcase_add_test(tc, test_command_line_preset);
	tcase_add_test(tc, test_from_override_changes_preset);
	tcase_add_test(tc, test_nothing);
	tcase_add_test(tc, test_user_from_url);
	tcase_add_test(tc, test_default_path);
	tcase_add_test(tc, test_expand_home);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resolve_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
