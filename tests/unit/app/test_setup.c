/* quail setup's server discovery: SRV answers (RFC 2782, RFC 6186) picked
 * from hand-built DNS replies, and the names probed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"

struct rr {
	int prio, weight, port;
	const char *target; /* dotted; "." for the root */
	int type;           /* 0: SRV (33) */
};

static size_t
put_name(unsigned char *p, const char *name)
{
	size_t n = 0;
	if (strcmp(name, ".") == 0) {
		p[n++] = 0;
		return n;
	}
	while (*name) {
		size_t l = strcspn(name, ".");
		p[n++] = (unsigned char)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (name[l] ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

/* A reply to "_imaps._tcp.example.test SRV" with the records given. */
static size_t
reply(unsigned char *buf, const struct rr *rr, size_t nrr)
{
	size_t n = 0;
	const unsigned char hdr[12] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, (unsigned char)nrr, 0, 0, 0, 0};
	memcpy(buf, hdr, sizeof hdr);
	n = sizeof hdr;
	n += put_name(buf + n, "_imaps._tcp.example.test");
	const unsigned char q[4] = {0, 33, 0, 1};
	memcpy(buf + n, q, 4);
	n += 4;
	for (size_t i = 0; i < nrr; i++) {
		int type = rr[i].type ? rr[i].type : 33;
		unsigned char head[10] = {0xc0, 12, 0, (unsigned char)type, 0, 1, 0, 0, 0x0e, 0x10};
		memcpy(buf + n, head, sizeof head);
		n += sizeof head;
		size_t rdlen_at = n;
		n += 2;
		unsigned char fixed[6] = {(unsigned char)(rr[i].prio >> 8), (unsigned char)rr[i].prio,
					  (unsigned char)(rr[i].weight >> 8), (unsigned char)rr[i].weight,
					  (unsigned char)(rr[i].port >> 8), (unsigned char)rr[i].port};
		memcpy(buf + n, fixed, 6);
		n += 6;
		n += put_name(buf + n, rr[i].target);
		size_t rdlen = n - rdlen_at - 2;
		buf[rdlen_at] = (unsigned char)(rdlen >> 8);
		buf[rdlen_at + 1] = (unsigned char)rdlen;
	}
	return n;
}

static const struct {
	struct rr rr[3];
	size_t n;
	int want;
	const char *host;
	int port;
} cases[] = {
	{{{0, 1, 993, "imap.example.test", 0}}, 1, 1, "imap.example.test", 993},
	/* the lowest priority wins, whatever the weight */
	{{{10, 100, 993, "b.example.test", 0}, {5, 0, 1993, "a.example.test", 0}}, 2, 1,
	 "a.example.test", 1993},
	/* equal priority: the heaviest */
	{{{1, 10, 993, "light.example.test", 0}, {1, 60, 994, "heavy.example.test", 0}}, 2, 1,
	 "heavy.example.test", 994},
	/* "." means not offered (RFC 6186 §3.4) */
	{{{0, 0, 0, ".", 0}}, 1, -1, NULL, 0},
	/* no records, and records of another type */
	{{{0}}, 0, 0, NULL, 0},
	{{{0, 0, 993, "x.example.test", 16}}, 1, 0, NULL, 0},
	/* a name no URL may hold */
	{{{0, 0, 993, "bad/name.example", 0}}, 1, 0, NULL, 0},
	{{{0, 0, 993, "sp ace.example", 0}}, 1, 0, NULL, 0},
};

START_TEST(test_srv_pick)
{
	unsigned char buf[1024];
	size_t n = reply(buf, cases[_i].rr, cases[_i].n);
	char *host = NULL;
	uint16_t port = 0;
	int r = app_srv_pick(buf, n, &host, &port);
	ck_assert_int_eq(r, cases[_i].want);
	if (r == 1) {
		ck_assert_str_eq(host, cases[_i].host);
		ck_assert_int_eq(port, cases[_i].port);
	} else {
		ck_assert_ptr_null(host);
	}
	free(host);
}
END_TEST

START_TEST(test_srv_truncated)
{
	const struct rr rr = {0, 1, 993, "imap.example.test", 0};
	unsigned char buf[1024];
	size_t n = reply(buf, &rr, 1);
	for (size_t cut = 0; cut < n; cut++) {
		char *host = NULL;
		uint16_t port;
		ck_assert_int_eq(app_srv_pick(buf, cut, &host, &port), 0);
		ck_assert_ptr_null(host);
	}
}
END_TEST

START_TEST(test_guesses)
{
	char **g;
	size_t n = app_setup_guesses("example.test", CFG_PROTO_IMAP, &g);
	ck_assert_uint_eq(n, 5);
	/* implicit TLS (RFC 8314) before STARTTLS */
	ck_assert_str_eq(g[0], "imaps://imap.example.test");
	ck_assert_str_eq(g[2], "imaps://example.test");
	ck_assert_str_eq(g[3], "imap://imap.example.test");
	for (size_t i = 0; i < n; i++)
		free(g[i]);
	free(g);
	n = app_setup_guesses("example.test", CFG_PROTO_SMTP, &g);
	ck_assert_str_eq(g[0], "smtps://smtp.example.test");
	ck_assert_str_eq(g[n - 1], "smtp://mail.example.test");
	for (size_t i = 0; i < n; i++) {
		ck_assert(qu_str_has_prefix(g[i], "smtp"));
		free(g[i]);
	}
	free(g);
}
END_TEST

START_TEST(test_discover_preset)
{
	/* A preset answers without any lookup; what is given is kept. */
	struct app_setup_servers sv = {.smtp = xstrdup("smtps://mine.example:465")};
	struct app_setup_opts o = {.use_dns = true, .probe = true};
	struct app_net net = {.timeout_s = 1};
	struct qu_err err;
	ck_assert_int_eq(app_setup_discover("Wei <wei@163.com>", &o, &net, &sv, NULL, NULL, &err), 0);
	ck_assert_str_eq(sv.imap, "imaps://imap.163.com");
	ck_assert_str_eq(sv.smtp, "smtps://mine.example:465");
	ck_assert_ptr_null(sv.pop3);
	app_setup_servers_clear(&sv);
	/* No domain, and nothing to look up with both off. */
	ck_assert_int_eq(app_setup_discover("nobody", &o, &net, &sv, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	o.use_dns = o.probe = false;
	ck_assert_int_eq(app_setup_discover("a@example.test", &o, &net, &sv, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_UNAVAILABLE);
	app_setup_servers_clear(&sv);
}
END_TEST

START_TEST(test_check_password_first)
{
	/* The login check runs password_command once, before connecting: a
	 * command that fails is reported as itself, and once, although two
	 * servers are checked (and neither is reachable). */
	char runs[] = "/tmp/quail-setup-runs.XXXXXX";
	int fd = mkstemp(runs);
	ck_assert_int_ge(fd, 0);
	close(fd);
	char *cmd = xasprintf("echo run >>'%s'; exit 3", runs);
	struct cfg_account a;
	memset(&a, 0, sizeof a);
	a.imap = "imaps://127.0.0.1:1";
	a.smtp = "smtps://127.0.0.1:1";
	a.user = "alice";
	a.password_command = cmd;
	struct app_net net = {.timeout_s = 5};
	struct qu_err err;
	qu_err_clear(&err);
	ck_assert_int_eq(app_setup_check(&a, &net, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert(qu_err_is(&err, QU_R_PASSWORD_COMMAND));
	FILE *f = fopen(runs, "r");
	ck_assert_ptr_nonnull(f);
	char line[16];
	int n = 0;
	while (fgets(line, sizeof line, f))
		n++;
	fclose(f);
	ck_assert_int_eq(n, 1);
	unlink(runs);
	free(cmd);
}
END_TEST

START_TEST(test_host_ok)
{
	ck_assert(app_host_ok("mail.example.test"));
	ck_assert(app_host_ok("_x-1.example"));
	ck_assert(!app_host_ok(""));
	ck_assert(!app_host_ok("a b"));
	ck_assert(!app_host_ok("a\x1b[31m"));
	ck_assert(!app_host_ok("a:b"));
}
END_TEST

static Suite *
setup_suite(void)
{
	Suite *s = suite_create("app-setup");
	TCase *tc = tcase_create("setup");
	tcase_add_loop_test(tc, test_srv_pick, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_test(tc, test_srv_truncated);
	tcase_add_test(tc, test_guesses);
	tcase_add_test(tc, test_discover_preset);
	tcase_add_test(tc, test_host_ok);
	tcase_add_test(tc, test_check_password_first);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(setup_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
