#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#include "config/config.h"

/* Each test runs in its own forked child with HOME in a fresh directory. */
static char tmpdir[256];
static char cfgpath[300];

static void
setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/quail-cfg-XXXXXX",
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

static void
write_cfg(mode_t mode, const char *text)
{
	int fd = open(cfgpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static struct cfg *
load_ok(const char *text)
{
	struct qu_err err;
	qu_err_clear(&err);
	write_cfg(0600, text);
	struct cfg *c = cfg_load(cfgpath, true, &err);
	ck_assert_msg(c != NULL, "load failed: %s", err.msg);
	return c;
}

/* Loads text, expects a CONFIG error and returns its message. */
static const char *
load_fail(mode_t mode, const char *text)
{
	static struct qu_err err;
	qu_err_clear(&err);
	write_cfg(mode, text);
	struct cfg *c = cfg_load(cfgpath, true, &err);
	ck_assert_msg(c == NULL, "accepted: %s", text);
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	return err.msg;
}

/* Expects "CONFIGPATH:line: why". */
static void
expect_error(const char *text, int line, const char *why)
{
	const char *msg = load_fail(0600, text);
	char *want = xasprintf("%s:%d: %s", cfgpath, line, why);
	ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "got '%s', want '%s'", msg, want);
	free(want);
}

static char *
home(const char *rest)
{
	return xasprintf("%s/%s", tmpdir, rest);
}

static const char spec_example[] =
	"[general]\n"
	"default_account = work\n"
	"maildir = ~/Mail              ; root of local mail; one Maildir per account\n"
	"\n"
	"[account work]\n"
	"from = Alice Example <alice@example.com>\n"
	"smtp = smtps://smtp.example.com\n"
	"imap = imaps://imap.example.com      ; or pop3 = pop3s://...\n"
	"user = alice@example.com\n"
	"password_command = pass show mail/work   ; first line of its stdout\n"
	"ca_file = /path/to/ca.pem                ; optional\n"
	"sent_folder = Sent                       ; IMAP folder that sent mail is appended to\n";

START_TEST(test_spec_example)
{
	struct cfg *c = load_ok(spec_example);
	char *mail = home("Mail"), *work = home("Mail/work");
	ck_assert_str_eq(c->path, cfgpath);
	ck_assert_str_eq(c->default_account, "work");
	ck_assert_str_eq(c->maildir, mail);
	ck_assert_uint_eq(c->n_accounts, 1);
	const struct cfg_account *a = &c->accounts[0];
	ck_assert_str_eq(a->name, "work");
	ck_assert_str_eq(a->from, "Alice Example <alice@example.com>");
	ck_assert_str_eq(a->smtp, "smtps://smtp.example.com");
	ck_assert_str_eq(a->imap, "imaps://imap.example.com");
	ck_assert_ptr_null(a->pop3);
	ck_assert_str_eq(a->user, "alice@example.com");
	ck_assert_ptr_null(a->password);
	ck_assert_str_eq(a->password_command, "pass show mail/work");
	ck_assert_str_eq(a->ca_file, "/path/to/ca.pem");
	ck_assert_str_eq(a->sent_folder, "Sent");
	ck_assert_str_eq(a->maildir, work);
	ck_assert_int_eq(a->auth, CFG_AUTH_DEFAULT);
	ck_assert(!a->queue);
	ck_assert(a->imap_id);
	ck_assert_ptr_null(a->provider);
	ck_assert_ptr_null(a->password_hint);
	free(mail);
	free(work);
	cfg_free(c);
}
END_TEST

START_TEST(test_comments)
{
	struct cfg *c = load_ok("; a comment\n"
				"# another\n"
				"[account a] ; trailing\n"
				"  ; indented comment\n"
				"user = bob ; comment\n"
				"password_command = pass show x;y\n"
				"sent_folder = Sent\t; tab before the semicolon\n"
				"from = a#b@example.com\n");
	const struct cfg_account *a = &c->accounts[0];
	ck_assert_str_eq(a->user, "bob");
	ck_assert_str_eq(a->password_command, "pass show x;y");
	ck_assert_str_eq(a->sent_folder, "Sent");
	ck_assert_str_eq(a->from, "a#b@example.com");
	cfg_free(c);
}
END_TEST

START_TEST(test_layout)
{
	/* BOM, CRLF, indentation, odd spacing and case of section names. */
	struct cfg *c = load_ok("\xEF\xBB\xBF[General]\r\n"
				"\tdefault_account=b\r\n"
				"  [ACCOUNT   a  ]\r\n"
				"    user =   x  \r\n"
				"    imap = imaps://h\r\n"
				"[account b]\n"
				"USER = y\n");
	ck_assert_str_eq(c->default_account, "b");
	ck_assert_uint_eq(c->n_accounts, 2);
	ck_assert_str_eq(c->accounts[0].name, "a");
	ck_assert_str_eq(c->accounts[0].user, "x");
	ck_assert_str_eq(c->accounts[0].imap, "imaps://h");
	ck_assert_str_eq(c->accounts[1].user, "y");
	cfg_free(c);
}
END_TEST

START_TEST(test_empty_account_and_file)
{
	struct cfg *c = load_ok("[account empty]\n");
	ck_assert_uint_eq(c->n_accounts, 1);
	ck_assert_str_eq(c->accounts[0].name, "empty");
	cfg_free(c);
	c = load_ok("");
	ck_assert_uint_eq(c->n_accounts, 0);
	ck_assert_ptr_null(c->default_account);
	char *mail = home("Mail");
	ck_assert_str_eq(c->maildir, mail);
	free(mail);
	cfg_free(c);
}
END_TEST

START_TEST(test_unknown_key)
{
	expect_error("[general]\n"
		     "maildir = ~/m\n"
		     "\n"
		     "[account work]\n"
		     "smpt = smtps://h\n",
		     5, "unknown key 'smpt' in [account work]");
	expect_error("[general]\nfoo = 1\n", 2, "unknown key 'foo' in [general]");
	expect_error("user = x\n", 1, "key 'user' before any [section]");
}
END_TEST

START_TEST(test_sections)
{
	expect_error("[accounts]\n", 1, "unknown section [accounts]");
	expect_error("[general]\n[foo bar]\n", 2, "unknown section [foo bar]");
	expect_error("[account]\n", 1, "an account section needs a name");
	expect_error("[account   ]\n", 1, "an account section needs a name");
	expect_error("[account a/b]\n", 1, "account name 'a/b' may not contain '/'");
	expect_error("[account ..]\n", 1, "account name '..'");
	expect_error("[account a]\nuser = x\n[account a]\n", 3, "duplicate [account a]");
	expect_error("[general]\n[general]\n", 2, "duplicate [general]");
	expect_error("[general\n", 1, "missing ']'");
	expect_error("[general] x\n", 1, "unexpected text after ']'");
}
END_TEST

/* [ui] is kept as written, with lines, for the UI to check (SPEC §8). */
START_TEST(test_ui_section)
{
	struct cfg *c = load_ok("[general]\nmaildir = /m\n[ui]\nsort = threads\n"
				"color.status = red default  ; a comment\nbind.index.G = last-entry\n");
	ck_assert_uint_eq(c->n_ui, 3);
	ck_assert_str_eq(c->ui[0].key, "sort");
	ck_assert_str_eq(c->ui[0].value, "threads");
	ck_assert_int_eq(c->ui[0].line, 4);
	ck_assert_str_eq(c->ui[1].key, "color.status");
	ck_assert_str_eq(c->ui[1].value, "red default");
	ck_assert_int_eq(c->ui[2].line, 6);
	cfg_free(c);
	expect_error("[ui]\nsort = date\nsort = from\n", 3, "duplicate key 'sort' in [ui]");
	expect_error("[ui]\n[ui]\n", 2, "duplicate [ui]");
}
END_TEST

START_TEST(test_syntax)
{
	expect_error("[account a]\nuser\n", 2, "expected 'key = value'");
	expect_error("[account a]\nuser: x\n", 2, "expected 'key = value'");
	expect_error("[account a]\nsmtps://h\n", 2, "expected 'key = value'");
	expect_error("[account a]\n= x\n", 2, "missing key name");
	expect_error("[account a]\nuser =\n", 2, "empty value for 'user'");
	expect_error("[account a]\nuser = ; only a comment\n", 2, "empty value for 'user'");
	expect_error("[account a]\nuser = x\nuser = y\n", 3, "duplicate key 'user' in [account a]");
	expect_error("[general]\nmaildir = a\nMAILDIR = b\n", 3, "duplicate key 'MAILDIR'");
	expect_error("[account a]\nuser = a\x01" "b\n", 2, "control character");
	expect_error("[account a]\nuser = a\rb\n", 2, "control character");
}
END_TEST

START_TEST(test_nul_byte)
{
	int fd = open(cfgpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_eq(write(fd, "[general]\nmaildir = a\0b\n", 24), 24);
	close(fd);
	struct qu_err err;
	ck_assert_ptr_null(cfg_load(cfgpath, true, &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, ":2: NUL byte"));
}
END_TEST

START_TEST(test_long_line)
{
	/* libinih reads lines into a fixed buffer; a longer line must be an
	 * error, not silently split into two. */
	char *cmd = xmalloc(1001);
	memset(cmd, 'x', 1000);
	cmd[1000] = '\0';
	char *text = xasprintf("[account a]\npassword_command = %s\n", cmd);
	const char *msg = load_fail(0600, text);
	ck_assert_ptr_nonnull(strstr(msg, ":2: line too long"));
	free(text);
	/* Well below the limit is fine. */
	cmd[150] = '\0';
	text = xasprintf("[account a]\npassword_command = %s\n", cmd);
	struct cfg *c = load_ok(text);
	ck_assert_str_eq(c->accounts[0].password_command, cmd);
	cfg_free(c);
	free(text);
	free(cmd);
}
END_TEST

START_TEST(test_bad_url)
{
	expect_error("[account a]\n\nsmtp = smpts://h\n", 3, "smtp: unknown scheme 'smpts'");
	expect_error("[account a]\nimap = imaps://h:99999\n", 2, "imap: bad port '99999'");
	expect_error("[account a]\nsmtp = imaps://h\n", 2,
		     "smtp: IMAP URL where SMTP is expected (use smtps://, smtp:// or "
		     "smtp+insecure://)");
	expect_error("[account a]\nimap = pop3s://h\n", 2, "imap: POP3 URL where IMAP is expected");
	expect_error("[account a]\npop3 = smtp://h\n", 2, "pop3: SMTP URL where POP3 is expected");
}
END_TEST

START_TEST(test_values)
{
	struct cfg *c = load_ok("[account a]\n"
				"auth = OAuth2\n"
				"queue = yes\n"
				"imap_id = no\n"
				"[account b]\n"
				"auth = password\n"
				"queue = off\n"
				"imap_id = TRUE\n"
				"pop3 = pop3+insecure://localhost:1110\n");
	ck_assert_int_eq(c->accounts[0].auth, CFG_AUTH_OAUTH2);
	ck_assert(c->accounts[0].queue);
	ck_assert(!c->accounts[0].imap_id);
	ck_assert_int_eq(c->accounts[1].auth, CFG_AUTH_DEFAULT);
	ck_assert(!c->accounts[1].queue);
	ck_assert(c->accounts[1].imap_id);
	ck_assert_str_eq(c->accounts[1].pop3, "pop3+insecure://localhost:1110");
	cfg_free(c);
	expect_error("[account a]\nqueue = maybe\n", 2, "queue must be yes or no, not 'maybe'");
	expect_error("[account a]\nauth = plain\n", 2, "auth must be password or oauth2");
	expect_error("[account a]\nfrom = Alice <>\n", 2, "from: no address");
}
END_TEST

/* max_message_size (SPEC §2): per account, else [general], else 512 MiB. */
START_TEST(test_max_message_size)
{
	struct cfg *c = load_ok("[general]\n"
				"max_message_size = 100M\n"
				"[account a]\n"
				"max_message_size = 2048\n"
				"[account b]\n"
				"[account c]\n"
				"max_message_size = 1GiB\n");
	ck_assert_uint_eq(cfg_max_message_size(&c->accounts[0]), 2048);
	ck_assert_uint_eq(cfg_max_message_size(&c->accounts[1]), 100ull << 20);
	ck_assert_uint_eq(cfg_max_message_size(&c->accounts[2]), 1ull << 30);
	cfg_free(c);
	c = load_ok("[account a]\n");
	ck_assert_uint_eq(cfg_max_message_size(&c->accounts[0]), 512ull << 20);
	cfg_free(c);
	static const struct {
		const char *in;
		uint64_t want;
		int rc;
	} t[] = {
		{"1", 1, 0}, {"10k", 10240, 0}, {"3KB", 3072, 0}, {"2mib", 2u << 20, 0},
		{"7B", 7, 0}, {"0", 0, -1}, {"", 0, -1}, {"M", 0, -1}, {"5T", 0, -1},
		{"-1", 0, -1}, {"1 M", 0, -1}, {"99999999999999999999", 0, -1},
		{"17179869184G", 0, -1},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint64_t v = 0;
		ck_assert_msg(cfg_parse_size(t[i].in, &v) == t[i].rc, "%s", t[i].in);
		if (t[i].rc == 0)
			ck_assert_uint_eq(v, t[i].want);
	}
	expect_error("[account a]\nmax_message_size = lots\n", 2,
		     "max_message_size must be a size such as 100M, not 'lots'");
	expect_error("[general]\nmax_message_size = 0\n", 2,
		     "max_message_size must be a size");
}
END_TEST

START_TEST(test_password_private)
{
	struct cfg *c = load_ok("[account a]\npassword = s3cret ; comment\n");
	ck_assert_str_eq(c->accounts[0].password, "s3cret");
	cfg_free(c);
}
END_TEST

START_TEST(test_password_public)
{
	static const mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0660};
	for (size_t i = 0; i < QU_ARRAY_LEN(modes); i++) {
		const char *msg = load_fail(modes[i], "[account a]\nuser = u\npassword = s3cret\n");
		char *want = xasprintf("%s:3: a password in a file that group or others can "
				       "access; run 'chmod 600 %s' or use password_command",
				       cfgpath, cfgpath);
		ck_assert_str_eq(msg, want);
		ck_assert_ptr_null(strstr(msg, "s3cret"));
		free(want);
	}
	/* Without a password the mode does not matter. */
	write_cfg(0644, "[account a]\npassword_command = echo x\n");
	struct cfg *c = cfg_load(cfgpath, true, NULL);
	ck_assert_ptr_nonnull(c);
	cfg_free(c);
}
END_TEST

START_TEST(test_password_and_command)
{
	expect_error("[account a]\npassword = x\npassword_command = echo y\n", 3,
		     "both password and password_command in [account a]");
}
END_TEST

START_TEST(test_maildirs)
{
	struct cfg *c = load_ok("[account a]\n"
				"ca_file = ~/ca.pem\n"
				"[account b]\n"
				"maildir = ~/elsewhere\n"
				"[account c]\n"
				"maildir = /abs/c\n"
				"[general]\n"
				"maildir = ~/M\n");
	char *m = home("M"), *a = home("M/a"), *ca = home("ca.pem"), *b = home("elsewhere");
	ck_assert_str_eq(c->maildir, m);
	ck_assert_str_eq(c->accounts[0].maildir, a);
	ck_assert_str_eq(c->accounts[0].ca_file, ca);
	ck_assert_str_eq(c->accounts[1].maildir, b);
	ck_assert_str_eq(c->accounts[2].maildir, "/abs/c");
	free(m);
	free(a);
	free(ca);
	free(b);
	cfg_free(c);
}
END_TEST

START_TEST(test_default_account_missing)
{
	expect_error("[general]\n\ndefault_account = nope\n[account a]\n", 3,
		     "default_account 'nope' has no [account nope]");
}
END_TEST

START_TEST(test_missing_file)
{
	struct qu_err err;
	qu_err_clear(&err);
	struct cfg *c = cfg_load(cfgpath, false, &err);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->path);
	ck_assert_uint_eq(c->n_accounts, 0);
	ck_assert_int_eq(err.cls, QU_E_OK);
	cfg_free(c);
	ck_assert_ptr_null(cfg_load(cfgpath, true, &err));
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, cfgpath));
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
}
END_TEST

START_TEST(test_directory)
{
	struct qu_err err;
	ck_assert_ptr_null(cfg_load(tmpdir, false, &err));
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a directory"));
}
END_TEST

START_TEST(test_unreadable)
{
	if (geteuid() == 0)
		return; /* root reads anything */
	write_cfg(0000, "[general]\n");
	struct qu_err err;
	ck_assert_ptr_null(cfg_load(cfgpath, false, &err));
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "Permission denied"));
}
END_TEST

START_TEST(test_default_path_load)
{
	/* A NULL path means cfg_default_path(NULL). */
	unsetenv("QUAIL_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	struct qu_err err;
	struct cfg *c = cfg_load(NULL, false, &err);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->path);
	cfg_free(c);
	write_cfg(0600, "[account x]\n");
	setenv("QUAIL_CONFIG", cfgpath, 1);
	c = cfg_load(NULL, true, &err);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->path, cfgpath);
	ck_assert_uint_eq(c->n_accounts, 1);
	cfg_free(c);
}
END_TEST

START_TEST(test_find_account)
{
	struct qu_err err;
	struct cfg *c = load_ok("[account a]\n[account b]\n");
	ck_assert_str_eq(cfg_find_account(c, "b", &err)->name, "b");
	ck_assert_ptr_null(cfg_find_account(c, "x", &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	char *want = xasprintf("no account 'x' in %s", cfgpath);
	ck_assert_str_eq(err.msg, want);
	free(want);
	ck_assert_ptr_null(cfg_find_account(c, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "no default_account"));
	cfg_free(c);
	c = load_ok("[account only]\n");
	ck_assert_str_eq(cfg_find_account(c, NULL, &err)->name, "only");
	cfg_free(c);
	c = load_ok("[general]\ndefault_account = b\n[account a]\n[account b]\n");
	ck_assert_str_eq(cfg_find_account(c, NULL, &err)->name, "b");
	ck_assert_str_eq(cfg_find_account(c, "a", &err)->name, "a");
	cfg_free(c);
}
END_TEST

START_TEST(test_presets_at_load)
{
	struct cfg *c = load_ok("[account n]\n"
				"from = Li <li@163.com>\n"
				"[account q]\n"
				"from = wang@QQ.com\n"
				"[account q2]\n"
				"from = wang@qq.com\n"
				"imap_id = yes\n"
				"smtp = smtp+insecure://localhost\n"
				"[account g]\n"
				"from = g@gmail.com\n"
				"pop3 = pop3s://mypop.example.com\n");
	const struct cfg_account *n = &c->accounts[0], *q = &c->accounts[1];
	const struct cfg_account *q2 = &c->accounts[2], *g = &c->accounts[3];
	ck_assert_str_eq(n->provider, "163.com");
	ck_assert_str_eq(n->smtp, "smtps://smtp.163.com");
	ck_assert_str_eq(n->imap, "imaps://imap.163.com");
	ck_assert_str_eq(n->pop3, "pop3s://pop.163.com");
	ck_assert(n->imap_id);
	ck_assert_ptr_nonnull(strstr(n->password_hint, "客户端授权码"));
	ck_assert_str_eq(q->provider, "qq.com");
	ck_assert(!q->imap_id);
	ck_assert_str_eq(q->smtp, "smtps://smtp.qq.com");
	/* What the user wrote wins. */
	ck_assert(q2->imap_id);
	ck_assert_str_eq(q2->smtp, "smtp+insecure://localhost");
	ck_assert_str_eq(q2->imap, "imaps://imap.qq.com");
	ck_assert_str_eq(g->pop3, "pop3s://mypop.example.com");
	ck_assert_ptr_null(g->imap);
	ck_assert_str_eq(g->smtp, "smtps://smtp.gmail.com");
	ck_assert(!g->imap_id);
	cfg_free(c);
}
END_TEST

static Suite *
file_suite(void)
{
	Suite *s = suite_create("config-file");
	TCase *tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_spec_example);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_empty_account_and_file);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_sections);
	tcase_add_test(tc, test_syntax);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_bad_url);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_password_private);
	tcase_add_test(tc, test_password_public);
	tcase_add_test(tc, test_password_and_command);
	tcase_add_test(tc, test_maildirs);
	tcase_add_test(tc, test_max_message_size);
	tcase_add_test(tc, test_default_account_missing);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_default_path_load);
	tcase_add_test(tc, test_find_account);
	tcase_add_test(tc, test_presets_at_load);
	tcase_add_test(tc, test_ui_section);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(file_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
