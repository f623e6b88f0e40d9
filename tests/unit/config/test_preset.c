#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#include "config/config.h"

static const struct {
	const char *from;
	const char *domain; /* NULL: no preset */
	const char *smtp, *imap, *pop3;
	bool imap_id, auth_code, envelope_is_login;
} cases[] = {
	{"alice@163.com", "163.com", "smtps://smtp.163.com", "imaps://imap.163.com", "pop3s://pop.163.com", true, true, false},
	{"Alice <alice@163.COM>", "163.com", "smtps://smtp.163.com", "imaps://imap.163.com", "pop3s://pop.163.com", true, true, false},
	{"bob@126.com", "126.com", "smtps://smtp.126.com", "imaps://imap.126.com", "pop3s://pop.126.com", true, true, false},
	{"10001@qq.com", "qq.com", "smtps://smtp.qq.com", "imaps://imap.qq.com", "pop3s://pop.qq.com", false, true, true},
	{"\"Wang, Wei\" <wei@Foxmail.com>", "qq.com", "smtps://smtp.qq.com", "imaps://imap.qq.com", "pop3s://pop.qq.com", false, true, true},
	{"g@gmail.com", "gmail.com", "smtps://smtp.gmail.com", "imaps://imap.gmail.com", "pop3s://pop.gmail.com", false, false, false},
	{"o@outlook.com", "outlook.com", "smtp://smtp-mail.outlook.com", "imaps://outlook.office365.com", "pop3s://outlook.office365.com", false, false, false},
	{"h@HOTMAIL.com", "outlook.com", "smtp://smtp-mail.outlook.com", "imaps://outlook.office365.com", "pop3s://outlook.office365.com", false, false, false},
	{"l@live.com (Lee)", "outlook.com", "smtp://smtp-mail.outlook.com", "imaps://outlook.office365.com", "pop3s://outlook.office365.com", false, false, false},
	{"a@example.com", NULL, NULL, NULL, NULL, false, false, false},
	{"a@mail.163.com", NULL, NULL, NULL, NULL, false, false, false},
	{"a@163.com.evil.example", NULL, NULL, NULL, NULL, false, false, false},
	{"a@x163.com", NULL, NULL, NULL, NULL, false, false, false},
	{"163.com", NULL, NULL, NULL, NULL, false, false, false},
	{"", NULL, NULL, NULL, NULL, false, false, false},
	{"Name Only <>", NULL, NULL, NULL, NULL, false, false, false},
};

START_TEST(test_preset_for)
{
	const struct cfg_preset *p = cfg_preset_for(cases[_i].from);
	if (!cases[_i].domain) {
		ck_assert_msg(p == NULL, "%s matched %s", cases[_i].from, p ? p->domain : "");
		return;
	}
	ck_assert_msg(p != NULL, "%s: no preset", cases[_i].from);
	ck_assert_str_eq(p->domain, cases[_i].domain);
	ck_assert_str_eq(p->smtp, cases[_i].smtp);
	ck_assert_str_eq(p->imap, cases[_i].imap);
	ck_assert_str_eq(p->pop3, cases[_i].pop3);
	ck_assert_int_eq(p->imap_id, cases[_i].imap_id);
	ck_assert_int_eq(p->auth_code, cases[_i].auth_code);
	ck_assert_int_eq(p->envelope_is_login, cases[_i].envelope_is_login);
	ck_assert_ptr_nonnull(p->hint);
}
END_TEST

START_TEST(test_preset_urls_parse)
{
	/* Every preset URL must itself be valid and of the right protocol. */
	const char *addrs[] = {"a@163.com", "a@126.com", "a@qq.com", "a@gmail.com", "a@outlook.com"};
	for (size_t i = 0; i < QU_ARRAY_LEN(addrs); i++) {
		const struct cfg_preset *p = cfg_preset_for(addrs[i]);
		struct cfg_url u;
		ck_assert_int_eq(cfg_url_parse(p->smtp, &u, NULL), 0);
		ck_assert_int_eq(u.proto, CFG_PROTO_SMTP);
		cfg_url_clear(&u);
		ck_assert_int_eq(cfg_url_parse(p->imap, &u, NULL), 0);
		ck_assert_int_eq(u.proto, CFG_PROTO_IMAP);
		cfg_url_clear(&u);
		ck_assert_int_eq(cfg_url_parse(p->pop3, &u, NULL), 0);
		ck_assert_int_eq(u.proto, CFG_PROTO_POP3);
		cfg_url_clear(&u);
	}
	struct cfg_url u;
	ck_assert_int_eq(cfg_url_parse(cfg_preset_for("a@outlook.com")->smtp, &u, NULL), 0);
	ck_assert_int_eq(u.port, 587);
	ck_assert_int_eq(u.tls, CFG_TLS_STARTTLS);
	cfg_url_clear(&u);
}
END_TEST

START_TEST(test_hints)
{
	ck_assert_str_eq(cfg_preset_for("a@163.com")->hint,
			 "163.com needs the client authorization code (客户端授权码) from its web "
			 "settings, not the web password");
	ck_assert_ptr_nonnull(strstr(cfg_preset_for("a@126.com")->hint, "客户端授权码"));
	ck_assert_ptr_nonnull(strstr(cfg_preset_for("a@qq.com")->hint, "授权码"));
	ck_assert_str_eq(cfg_preset_for("a@gmail.com")->hint,
			 "gmail.com needs an app password or auth = oauth2");
	ck_assert_ptr_nonnull(strstr(cfg_preset_for("a@outlook.com")->hint, "oauth2"));
	ck_assert_ptr_null(cfg_preset_for(NULL));
}
END_TEST

static const struct {
	const char *from, *addr;
} addrs[] = {
	{"alice@example.com", "alice@example.com"},
	{"  alice@example.com  ", "alice@example.com"},
	{"Alice <alice@example.com>", "alice@example.com"},
	{"Alice < alice@example.com >", "alice@example.com"},
	{"\"a <b\" <c@d.example>", "c@d.example"},
	{"alice@example.com (Alice)", "alice@example.com"},
	{"<bare@example.com>", "bare@example.com"},
	{"Alice <alice@example.com", "alice@example.com"},
	{"localuser", "localuser"},
	{"", NULL},
	{"   ", NULL},
	{"Alice <>", NULL},
};

START_TEST(test_from_address)
{
	char *a = cfg_from_address(addrs[_i].from);
	ck_assert_pstr_eq(a, addrs[_i].addr);
	free(a);
}
END_TEST

START_TEST(test_from_address_null)
{
	ck_assert_ptr_null(cfg_from_address(NULL));
}
END_TEST

static Suite *
preset_suite(void)
{
	Suite *s = suite_create("config-preset");
	TCase *tc = tcase_create("preset");
	tcase_add_loop_test(tc, test_preset_for, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_test(tc, test_preset_urls_parse);
	tcase_add_test(tc, test_hints);
	tcase_add_loop_test(tc, test_from_address, 0, (int)QU_ARRAY_LEN(addrs));
	tcase_add_test(tc, test_from_address_null);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(preset_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
