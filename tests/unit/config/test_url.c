#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#include "config/config.h"

static const struct good {
	const char *in;
	enum cfg_proto proto;
	enum cfg_tls tls;
	const char *scheme, *user, *host;
	unsigned port;
	const char *path;
} good[] = {
	{"smtps://smtp.example.com", CFG_PROTO_SMTP, CFG_TLS_IMPLICIT, "smtps", NULL, "smtp.example.com", 465, NULL},
	{"smtp://smtp.example.com", CFG_PROTO_SMTP, CFG_TLS_STARTTLS, "smtp", NULL, "smtp.example.com", 587, NULL},
	{"smtp+insecure://mx.example.com", CFG_PROTO_SMTP, CFG_TLS_NONE, "smtp+insecure", NULL, "mx.example.com", 25, NULL},
	{"imaps://imap.example.com", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "imap.example.com", 993, NULL},
	{"imap://imap.example.com", CFG_PROTO_IMAP, CFG_TLS_STARTTLS, "imap", NULL, "imap.example.com", 143, NULL},
	{"imap+insecure://localhost", CFG_PROTO_IMAP, CFG_TLS_NONE, "imap+insecure", NULL, "localhost", 143, NULL},
	{"pop3s://pop.example.com", CFG_PROTO_POP3, CFG_TLS_IMPLICIT, "pop3s", NULL, "pop.example.com", 995, NULL},
	{"pop3://pop.example.com", CFG_PROTO_POP3, CFG_TLS_STARTTLS, "pop3", NULL, "pop.example.com", 110, NULL},
	{"pop3+insecure://127.0.0.1", CFG_PROTO_POP3, CFG_TLS_NONE, "pop3+insecure", NULL, "127.0.0.1", 110, NULL},
	{"IMAPS://Imap.Example.COM", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "Imap.Example.COM", 993, NULL},
	{"Smtp+Insecure://h", CFG_PROTO_SMTP, CFG_TLS_NONE, "smtp+insecure", NULL, "h", 25, NULL},
	{"imaps://h:1", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "h", 1, NULL},
	{"imaps://h:65535", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "h", 65535, NULL},
	{"smtp://h:2525", CFG_PROTO_SMTP, CFG_TLS_STARTTLS, "smtp", NULL, "h", 2525, NULL},
	{"imaps://alice@imap.example.com", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", "alice", "imap.example.com", 993, NULL},
	{"imaps://alice%40example.com@imap.example.com:10993", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", "alice@example.com", "imap.example.com", 10993, NULL},
	{"imaps://alice@example.com@imap.example.com", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", "alice@example.com", "imap.example.com", 993, NULL},
	{"smtps://%E7%8E%8B@h", CFG_PROTO_SMTP, CFG_TLS_IMPLICIT, "smtps", "\xE7\x8E\x8B", "h", 465, NULL},
	{"smtps://a%2bb@h", CFG_PROTO_SMTP, CFG_TLS_IMPLICIT, "smtps", "a+b", "h", 465, NULL},
	{"imaps://[::1]:993", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "::1", 993, NULL},
	{"imaps://[::1]", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "::1", 993, NULL},
	{"imap://u@[2001:db8::1]:1143/INBOX", CFG_PROTO_IMAP, CFG_TLS_STARTTLS, "imap", "u", "2001:db8::1", 1143, "INBOX"},
	{"imaps://[::ffff:192.0.2.1]", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "::ffff:192.0.2.1", 993, NULL},
	{"imaps://h/", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "h", 993, NULL},
	{"imaps://h/INBOX", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "h", 993, "INBOX"},
	{"imaps://h/Lists/quail%20dev", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "h", 993, "Lists/quail dev"},
	{"imaps://h:143/a%2Fb", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, "imaps", NULL, "h", 143, "a/b"},
	{"pop3s://under_score.example-host.com", CFG_PROTO_POP3, CFG_TLS_IMPLICIT, "pop3s", NULL, "under_score.example-host.com", 995, NULL},
	{"smtps://h:00465", CFG_PROTO_SMTP, CFG_TLS_IMPLICIT, "smtps", NULL, "h", 465, NULL},
};

static const struct bad {
	const char *in;
	const char *why; /* a substring of the message */
} bad[] = {
	{"", "empty URL"},
	{"imap.example.com", "missing '://'"},
	{"imaps:/h", "missing '://'"},
	{"://h", "unknown scheme ''"},
	{"pop://h", "unknown scheme 'pop'"},
	{"http://h", "pop3+insecure"},
	{"smtp+tls://h", "unknown scheme 'smtp+tls'"},
	{"imapss://h", "unknown scheme"},
	{"imaps://", "empty host"},
	{"imaps://:993", "empty host"},
	{"imaps://u@", "empty host"},
	{"imaps://u@/INBOX", "empty host"},
	{"imaps://@h", "empty user name"},
	{"imaps://h:", "empty port"},
	{"imaps://h:0", "bad port '0'"},
	{"imaps://h:65536", "bad port '65536'"},
	{"imaps://h:99999999999999999999", "bad port"},
	{"imaps://h:-1", "bad port"},
	{"imaps://h:12a", "bad port '12a'"},
	{"imaps://h:993:1", "needs [brackets]"},
	{"imaps://h name", "space in URL"},
	{" imaps://h", "space in URL"},
	{"imaps://h\t", "control character"},
	{"imaps://h\r\n", "control character"},
	{"imaps://h\x7f", "control character"},
	{"imaps://h/INBOX?x=1", "query"},
	{"imaps://h#frag", "fragment"},
	{"imaps://u:secret@h", "password in the URL"},
	{"imaps://u%4@h", "bad percent escape in user name"},
	{"imaps://u%zz@h", "bad percent escape"},
	{"imaps://u%@h", "bad percent escape"},
	{"imaps://u%0Ax@h", "control character in user name"},
	{"imaps://u%00@h", "control character in user name"},
	{"imaps://h/a%0d", "control character in path"},
	{"imaps://h/a%4", "bad percent escape in path"},
	{"imaps://::1", "IPv6 address needs [brackets]"},
	{"imaps://2001:db8::1:993", "IPv6 address needs [brackets]"},
	{"imaps://[::1", "missing ']'"},
	{"imaps://[]", "bad IPv6"},
	{"imaps://[not:v6:zz]", "bad IPv6"},
	{"imaps://[192.0.2.1]", "bad IPv6"},
	{"imaps://[::1]x", "unexpected text after ']'"},
	{"imaps://[::1]:", "empty port"},
	{"imaps://[::1]:0", "bad port"},
	{"imaps://ex%41mple.com", "invalid character in host"},
	{"imaps://h\xC3\xA9.com", "invalid character in host"},
	{"imaps://h!", "invalid character in host"},
};

START_TEST(test_good)
{
	const struct good *g = &good[_i];
	struct cfg_url u;
	struct qu_err err;
	qu_err_clear(&err);
	ck_assert_msg(cfg_url_parse(g->in, &u, &err) == 0, "%s: %s", g->in, err.msg);
	ck_assert_int_eq(u.proto, g->proto);
	ck_assert_int_eq(u.tls, g->tls);
	ck_assert_str_eq(u.scheme, g->scheme);
	ck_assert_pstr_eq(u.user, g->user);
	ck_assert_str_eq(u.host, g->host);
	ck_assert_uint_eq(u.port, g->port);
	ck_assert_pstr_eq(u.path, g->path);
	cfg_url_clear(&u);
	ck_assert_ptr_null(u.host);
}
END_TEST

START_TEST(test_bad)
{
	const struct bad *b = &bad[_i];
	struct cfg_url u;
	struct qu_err err;
	qu_err_clear(&err);
	ck_assert_msg(cfg_url_parse(b->in, &u, &err) < 0, "accepted %s", b->in);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	ck_assert_msg(strstr(err.msg, b->why), "%s: got '%s', want '%s'", b->in, err.msg, b->why);
}
END_TEST

START_TEST(test_null)
{
	struct cfg_url u;
	struct qu_err err;
	ck_assert_int_lt(cfg_url_parse(NULL, &u, &err), 0);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	/* A NULL err is allowed. */
	ck_assert_int_lt(cfg_url_parse("bogus", &u, NULL), 0);
}
END_TEST

START_TEST(test_unknown_scheme_lists_all)
{
	struct cfg_url u;
	struct qu_err err;
	ck_assert_int_lt(cfg_url_parse("pop://h", &u, &err), 0);
	const char *all[] = {"smtps", "smtp,", "smtp+insecure", "imaps", "imap,", "imap+insecure",
			     "pop3s", "pop3 ", "pop3+insecure"};
	for (size_t i = 0; i < QU_ARRAY_LEN(all); i++)
		ck_assert_msg(strstr(err.msg, all[i]), "%s lacks %s", err.msg, all[i]);
}
END_TEST

START_TEST(test_password_not_echoed)
{
	struct cfg_url u;
	struct qu_err err;
	ck_assert_int_lt(cfg_url_parse("imaps://bob:hunter2@h", &u, &err), 0);
	ck_assert_ptr_null(strstr(err.msg, "hunter2"));
}
END_TEST

START_TEST(test_format)
{
	struct cfg_url u;
	ck_assert_int_eq(cfg_url_parse("IMAPS://me@imap.example.com/INBOX", &u, NULL), 0);
	char *s = cfg_url_format(&u);
	ck_assert_str_eq(s, "imaps://imap.example.com:993");
	free(s);
	cfg_url_clear(&u);
	ck_assert_int_eq(cfg_url_parse("smtp://[2001:db8::1]:2525", &u, NULL), 0);
	s = cfg_url_format(&u);
	ck_assert_str_eq(s, "smtp://[2001:db8::1]:2525");
	free(s);
	cfg_url_clear(&u);
}
END_TEST

START_TEST(test_proto_name)
{
	ck_assert_str_eq(cfg_proto_name(CFG_PROTO_SMTP), "smtp");
	ck_assert_str_eq(cfg_proto_name(CFG_PROTO_IMAP), "imap");
	ck_assert_str_eq(cfg_proto_name(CFG_PROTO_POP3), "pop3");
}
END_TEST

START_TEST(test_clear_null)
{
	cfg_url_clear(NULL);
	struct cfg_url u = {0};
	cfg_url_clear(&u);
}
END_TEST

static Suite *
url_suite(void)
{
	Suite *s = suite_create("config-url");
	TCase *tc = tcase_create("url");
	tcase_add_loop_test(tc, test_good, 0, (int)QU_ARRAY_LEN(good));
	tcase_add_loop_test(tc, test_bad, 0, (int)QU_ARRAY_LEN(bad));
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_unknown_scheme_lists_all);
	tcase_add_test(tc, test_password_not_echoed);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_proto_name);
	tcase_add_test(tc, test_clear_null);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(url_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
