/*
 * Writing mail: the [ui] keys, the editor text of a draft (round trip,
 * header injection refused), identities, reply (recipients, subject,
 * References, attribution, quoting), forward, bounce, postponed drafts
 * and address completion.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "mime/mime.h"
#include "index/index.h"
#include "app/app.h"

static char tmpdir[] = "/tmp/quail-compose-XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	strcpy(tmpdir, "/tmp/quail-compose-XXXXXX");
}

static char *
write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
	return path;
}

/* Two accounts: alice (work) with alternates, bob (home). */
static struct cfg *
load_cfg(const char *extra_ui)
{
	char *text = xasprintf(
		"[general]\ndefault_account = home\nmaildir = %s/Mail\n"
		"[account home]\nfrom = Alice Home <alice@home.example>\n"
		"smtp = smtp://127.0.0.1:1\n"
		"[account work]\nfrom = Alice Work <alice@work.example>\n"
		"alternates = a.l@163.com, boss@bücher.example\n"
		"smtp = smtp://127.0.0.1:1\n"
		"[ui]\n%s",
		tmpdir, extra_ui ? extra_ui : "");
	char *path = write_file("config", text);
	free(text);
	struct qu_err err;
	struct cfg *c = cfg_load(path, true, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	free(path);
	return c;
}

/* ---- settings --------------------------------------------------------- */

START_TEST(test_settings)
{
	struct cfg *c = load_cfg("attribution = %n <%a> wrote on %d:\nmime_forward = ask\n");
	struct app_compose_settings s;
	struct qu_err err;
	ck_assert_int_eq(app_compose_settings_load(c, &s, &err), 0);
	ck_assert_str_eq(s.attribution, "%n <%a> wrote on %d:");
	ck_assert_str_eq(s.forward_format, "Fwd: %s");
	ck_assert_int_eq(s.mime_forward, APP_MIME_FORWARD_ASK);
	ck_assert_str_eq(s.drafts, "=Drafts");
	ck_assert(app_compose_ui_key("forward_format"));
	ck_assert(!app_compose_ui_key("sort"));
	app_compose_settings_clear(&s);
	cfg_free(c);

	c = load_cfg("sort = date\nmime_forward = maybe\n");
	ck_assert_int_eq(app_compose_settings_load(c, &s, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_msg(strstr(err.msg, "config:13:") && strstr(err.msg, "maybe"), "%s", err.msg);
	app_compose_settings_clear(&s);
	cfg_free(c);

	c = load_cfg("attribution = %x wrote\n");
	ck_assert_int_eq(app_compose_settings_load(c, &s, &err), -1);
	ck_assert_msg(strstr(err.msg, ":12:"), "%s", err.msg);
	app_compose_settings_clear(&s);
	cfg_free(c);
}
END_TEST

START_TEST(test_account_keys)
{
	struct cfg *c = load_cfg(NULL);
	const struct cfg_account *w = cfg_find_account(c, "work", NULL);
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(w->alternates, "a.l@163.com, boss@bücher.example");
	cfg_free(c);
	char *path = write_file("bad", "[account x]\nfrom = x@y.example\nalternates = nobody\n");
	struct qu_err err;
	ck_assert_ptr_null(cfg_load(path, true, &err));
	ck_assert_msg(strstr(err.msg, ":3:") && strstr(err.msg, "alternates"), "%s", err.msg);
	free(path);
}
END_TEST

/* ---- draft text ------------------------------------------------------- */

START_TEST(test_draft_round_trip)
{
	char *att = write_file("a file.txt", "data\n");
	struct app_draft d;
	app_draft_init(&d);
	d.from = xstrdup("Alice <alice@home.example>");
	d.to = xstrdup("Bob <bob@example.org>, 张三 <zhang@example.cn>");
	d.subject = xstrdup("Re: 你好");
	d.in_reply_to = xstrdup("<p@x>");
	d.body = xstrdup("Hello\n\n> quoted\n");
	d.body_len = strlen(d.body);
	d.headers = xcalloc(1, sizeof *d.headers);
	d.headers[0] = xstrdup("X-Mailer-Note: kept");
	d.n_headers = 1;
	d.attach = xcalloc(1, sizeof *d.attach);
	d.attach[0].path = xstrdup(att);
	d.attach[0].description = xstrdup("the report");
	d.n_attach = 1;
	struct qu_buf t;
	qu_buf_init(&t, SIZE_MAX);
	app_draft_text(&d, &t);
	ck_assert_msg(strstr(t.data, "Attach: ") && strstr(t.data, "a\\ file.txt the report\n"),
		      "%s", t.data);
	ck_assert(qu_str_has_prefix(t.data, "From: Alice <alice@home.example>\nTo: Bob"));
	ck_assert(strstr(t.data, "\nCc: \nBcc: \n"));

	struct app_draft e;
	app_draft_init(&e);
	e.reply_file = xstrdup("/some/file");
	struct qu_err err;
	ck_assert_msg(app_draft_parse(t.data, t.len, &e, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(e.from, d.from);
	ck_assert_str_eq(e.to, d.to);
	ck_assert_ptr_null(e.cc);
	ck_assert_ptr_null(e.bcc);
	ck_assert_str_eq(e.subject, d.subject);
	ck_assert_uint_eq(e.n_headers, 1);
	ck_assert_str_eq(e.headers[0], "X-Mailer-Note: kept");
	ck_assert_uint_eq(e.n_attach, 1);
	ck_assert_str_eq(e.attach[0].path, att);
	ck_assert_str_eq(e.attach[0].description, "the report");
	ck_assert_str_eq(e.body, d.body);
	ck_assert_uint_eq(e.body_len, d.body_len);
	ck_assert_str_eq(e.reply_file, "/some/file"); /* kept */
	struct qu_buf t2;
	qu_buf_init(&t2, SIZE_MAX);
	app_draft_text(&e, &t2);
	ck_assert_str_eq(t.data, t2.data);
	qu_buf_clear(&t);
	qu_buf_clear(&t2);
	app_draft_clear(&d);
	app_draft_clear(&e);
	free(att);
}
END_TEST

/* Attach: FILE DESCRIPTION (mutt) and Attach: FILE "DESCRIPTION": the
 * description goes out as Content-Description (RFC 2045 §8), RFC 2047
 * words when not ASCII, and the preview's part list shows it decoded. */
static void
on_part_desc(void *ctx, size_t i, const struct app_attachment *a)
{
	char **seen = ctx;
	if (a->description && i < 4)
		seen[i] = xstrdup(a->description);
}

START_TEST(test_attach_description)
{
	char *f1 = write_file("a.txt", "one\n");
	char *f2 = write_file("报告.txt", "two\n");
	char *text = xasprintf("To: bob@example.org\nAttach: %s the plain words\n"
			       "Attach: %s \"第一季度 \\\"报告\\\"\"\n\nbody\n", f1, f2);
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	ck_assert_msg(app_draft_parse(text, strlen(text), &d, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(d.n_attach, 2);
	ck_assert_str_eq(d.attach[0].description, "the plain words");
	ck_assert_str_eq(d.attach[1].description, "第一季度 \"报告\"");
	/* one that starts with a quote is written quoted: it reads back as it was */
	free(d.attach[0].description);
	d.attach[0].description = xstrdup("\"quoted\" start");
	struct qu_buf t;
	qu_buf_init(&t, SIZE_MAX);
	app_draft_text(&d, &t);
	struct app_draft e;
	app_draft_init(&e);
	ck_assert_msg(app_draft_parse(t.data, t.len, &e, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(e.attach[0].description, "\"quoted\" start");
	ck_assert_str_eq(e.attach[1].description, "第一季度 \"报告\"");
	qu_buf_clear(&t);
	app_draft_clear(&e);

	struct cfg_account a = {.from = "Alice <alice@home.example>"};
	struct qu_buf m;
	qu_buf_init(&m, SIZE_MAX);
	ck_assert_msg(app_draft_build(NULL, &a, &d, NULL, &m, &err) == 0, "%s", err.msg);
	ck_assert_msg(strstr(m.data, "\nContent-Description: \"quoted\" start\n"), "%s", m.data);
	ck_assert_msg(strstr(m.data, "\nContent-Description: =?"), "%s", m.data);
	char *seen[4] = {0};
	app_message_parts(m.data, m.len, on_part_desc, seen);
	ck_assert_ptr_null(seen[0]); /* multipart/mixed */
	ck_assert_ptr_null(seen[1]); /* the text */
	ck_assert_str_eq(seen[2], "\"quoted\" start");
	ck_assert_str_eq(seen[3], "第一季度 \"报告\"");
	for (size_t i = 0; i < 4; i++)
		free(seen[i]);
	qu_buf_clear(&m);
	/* a line break cannot reach the header */
	free(d.attach[0].description);
	d.attach[0].description = xstrdup("two\nBcc: evil@example.org");
	qu_buf_init(&m, SIZE_MAX);
	ck_assert_int_eq(app_draft_build(NULL, &a, &d, NULL, &m, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	qu_buf_clear(&m);
	app_draft_clear(&d);
	free(text);
	free(f1);
	free(f2);
}
END_TEST

START_TEST(test_draft_parse_details)
{
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	const char *txt = "to: a@b.example,\r\n  c@d.example\r\nSubject:   hi  \r\n"
			  "In-Reply-To: <x@y>\r\n\r\nbody\r\nline\r\n";
	ck_assert_msg(app_draft_parse(txt, strlen(txt), &d, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(d.to, "a@b.example,  c@d.example");
	ck_assert_str_eq(d.subject, "hi");
	ck_assert_str_eq(d.in_reply_to, "<x@y>");
	ck_assert_str_eq(d.body, "body\nline\n");
	/* ~ in Attach: */
	setenv("HOME", tmpdir, 1);
	char *f = write_file("x.pdf", "%PDF");
	const char *t2 = "To: a@b.example\nAttach: ~/x.pdf\n\n";
	ck_assert_msg(app_draft_parse(t2, strlen(t2), &d, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(d.n_attach, 1);
	ck_assert_str_eq(d.attach[0].path, f);
	ck_assert_ptr_null(d.attach[0].description);
	ck_assert_str_eq(d.body, "");
	free(f);
	app_draft_clear(&d);
}
END_TEST

START_TEST(test_draft_refused)
{
	static const struct {
		const char *text, *want;
		enum qu_err_class cls;
	} bad[] = {
		{"To: a@b.example\rBcc: evil@x.example\n\nbody", "line 1", QU_E_USAGE},
		{"Subject: a\x1b[2Jb\n\n", "control character", QU_E_USAGE},
		{"Subject: nul\0x\n\n", "control character", QU_E_USAGE},
		{"To: a@b.example\nthis is no header\n\n", "line 2", QU_E_USAGE},
		{" folded first\n\n", "continuation", QU_E_USAGE},
		{"Content-Type: text/html\n\n", "quail writes", QU_E_USAGE},
		{"MIME-Version: 1.0\n\n", "quail writes", QU_E_USAGE},
		{"To: a@b.example\nTo: c@d.example\n\n", "second", QU_E_USAGE},
		{"Attach: /nonexistent/quail/file.bin\n\n", "/nonexistent/quail/file.bin", QU_E_NOINPUT},
		{"Attach: /tmp\n\n", "not a regular file", QU_E_NOINPUT},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(bad); i++) {
		struct app_draft d;
		app_draft_init(&d);
		d.subject = xstrdup("unchanged");
		struct qu_err err;
		size_t n = i == 2 ? 16 : strlen(bad[i].text);
		ck_assert_msg(app_draft_parse(bad[i].text, n, &d, &err) == -1, "%zu parsed", i);
		ck_assert_msg(err.cls == bad[i].cls && strstr(err.msg, bad[i].want), "%zu: %s", i,
			      err.msg);
		ck_assert_str_eq(d.subject, "unchanged");
		app_draft_clear(&d);
	}
}
END_TEST

/* ---- identities ------------------------------------------------------- */

START_TEST(test_identity)
{
	struct cfg *c = load_cfg(NULL);
	char *from = NULL;
	const struct cfg_account *a;
	/* To wins over Cc; the alternate becomes the From with the name. */
	const char *m1 = "From: x@y.example\nTo: A.L@163.COM\nCc: alice@home.example\n\nhi\n";
	a = app_identity_for_message(c, NULL, m1, strlen(m1), &from);
	ck_assert_str_eq(a->name, "work");
	ck_assert_str_eq(from, "Alice Work <A.L@163.COM>");
	free(from);
	/* Cc when To has none of ours. */
	const char *m2 = "From: x@y.example\nTo: list@lists.example\nCc: alice@work.example\n\n";
	a = app_identity_for_message(c, NULL, m2, strlen(m2), &from);
	ck_assert_str_eq(a->name, "work");
	ck_assert_str_eq(from, "Alice Work <alice@work.example>");
	free(from);
	/* Delivered-To before X-Original-To; an IDN domain in its ACE form. */
	const char *m3 = "To: list@lists.example\nX-Original-To: alice@home.example\n"
			 "Delivered-To: boss@xn--bcher-kva.example\n\n";
	a = app_identity_for_message(c, NULL, m3, strlen(m3), &from);
	ck_assert_str_eq(a->name, "work");
	ck_assert_str_eq(from, "Alice Work <boss@xn--bcher-kva.example>");
	free(from);
	/* Nothing of ours: the default account and its from. */
	const char *m4 = "To: someone@else.example\n\n";
	a = app_identity_for_message(c, NULL, m4, strlen(m4), &from);
	ck_assert_str_eq(a->name, "home");
	ck_assert_str_eq(from, "Alice Home <alice@home.example>");
	free(from);
	ck_assert_str_eq(app_identity_for_from(c, NULL, "Me <a.l@163.com>")->name, "work");
	ck_assert_str_eq(app_identity_for_from(c, NULL, "z@z.example")->name, "home");
	ck_assert(app_is_own_address(c, "ALICE@home.example"));
	ck_assert(!app_is_own_address(c, "alice@home.example.org"));
	cfg_free(c);
}
END_TEST

/* ---- reply ------------------------------------------------------------ */

static const char parent[] =
	"Return-Path: <x@y>\n"
	"From: Bob Builder <bob@example.org>\n"
	"To: Alice Work <alice@work.example>, Carol <carol@example.net>\n"
	"Cc: a.l@163.com, Dave <dave@example.com>\n"
	"Subject: =?UTF-8?B?UmU6IOWbnuWkjTog5bel5L2c?=\n"
	"Date: Tue, 1 Dec 2026 10:00:00 +0100\n"
	"Message-ID: <m3@example.org>\n"
	"References: <m1@example.org> <m2@example.org>\n"
	"In-Reply-To: <m2@example.org>\n"
	"\n"
	"Hello,\n"
	"> earlier text\n"
	"\n"
	"the plan\n"
	"\n"
	"-- \n"
	"Bob's signature\n";

START_TEST(test_reply_plain)
{
	struct cfg *c = load_cfg(NULL);
	struct app_compose_settings s;
	app_compose_settings_init(&s);
	struct app_compose_opts o = {.cfg = c, .settings = &s, .path = "/mail/cur/1:2,S"};
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	ck_assert_msg(app_compose_reply(parent, strlen(parent), APP_REPLY, &o, &d, &err) == 0, "%s",
		      err.msg);
	ck_assert_str_eq(d.to, "Bob Builder <bob@example.org>");
	ck_assert_ptr_null(d.cc);
	ck_assert_str_eq(d.from, "Alice Work <alice@work.example>");
	ck_assert_str_eq(d.subject, "Re: 工作");
	ck_assert_str_eq(d.in_reply_to, "<m3@example.org>");
	ck_assert_str_eq(d.references, "<m1@example.org> <m2@example.org> <m3@example.org>");
	ck_assert_str_eq(d.reply_file, "/mail/cur/1:2,S");
	ck_assert_str_eq(d.body, "On Tue, 1 Dec 2026 10:00:00 +0100, Bob Builder wrote:\n"
				 "> Hello,\n"
				 ">> earlier text\n"
				 ">\n"
				 "> the plan\n");
	app_draft_clear(&d);

	/* Group reply: every To and Cc but one's own (from and alternates). */
	ck_assert_int_eq(app_compose_reply(parent, strlen(parent), APP_REPLY_GROUP, &o, &d, &err), 0);
	ck_assert_str_eq(d.to, "Bob Builder <bob@example.org>");
	ck_assert_str_eq(d.cc, "Carol <carol@example.net>, Dave <dave@example.com>");
	app_draft_clear(&d);

	/* List reply without a list is refused. */
	ck_assert_int_eq(app_compose_reply(parent, strlen(parent), APP_REPLY_LIST, &o, &d, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	app_draft_clear(&d);
	app_compose_settings_clear(&s);
	cfg_free(c);
}
END_TEST

START_TEST(test_reply_to_and_followup)
{
	struct cfg *c = load_cfg(NULL);
	struct app_compose_opts o = {.cfg = c};
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	const char *m = "From: bob@example.org\nReply-To: Team <team@example.org>\n"
			"To: alice@home.example, eve@example.net\n"
			"Mail-Followup-To: dev@lists.example, bob@example.org\n"
			"List-Post: <mailto:dev@lists.example?subject=x>\n"
			"Subject: Re: Re[2]: AW: SV: RE: 答复: 回复：plan\n\nx\n";
	ck_assert_int_eq(app_compose_reply(m, strlen(m), APP_REPLY, &o, &d, &err), 0);
	ck_assert_str_eq(d.to, "Team <team@example.org>");
	ck_assert_str_eq(d.subject, "Re: plan");
	ck_assert_str_eq(d.from, "Alice Home <alice@home.example>");
	ck_assert_ptr_null(d.references);
	app_draft_clear(&d);
	ck_assert_int_eq(app_compose_reply(m, strlen(m), APP_REPLY_GROUP, &o, &d, &err), 0);
	ck_assert_str_eq(d.to, "dev@lists.example, bob@example.org");
	ck_assert_ptr_null(d.cc);
	app_draft_clear(&d);
	ck_assert_int_eq(app_compose_reply(m, strlen(m), APP_REPLY_LIST, &o, &d, &err), 0);
	ck_assert_str_eq(d.to, "dev@lists.example");
	app_draft_clear(&d);
	/* No List-Post: the Mail-Followup-To. */
	const char *m2 = "From: bob@example.org\nMail-Followup-To: dev@lists.example\n\nx\n";
	ck_assert_int_eq(app_compose_reply(m2, strlen(m2), APP_REPLY_LIST, &o, &d, &err), 0);
	ck_assert_str_eq(d.to, "dev@lists.example");
	app_draft_clear(&d);
	/* A line break hidden in encoded words does not reach a header. */
	const char *m3 = "From: =?UTF-8?Q?Eve=0D=0ABcc:_x?= <eve@example.org>\n"
			 "Subject: =?UTF-8?Q?hi=0ABcc:_evil@example.org?=\n\nx\n";
	ck_assert_int_eq(app_compose_reply(m3, strlen(m3), APP_REPLY, &o, &d, &err), 0);
	ck_assert_str_eq(d.subject, "Re: hi Bcc: evil@example.org");
	ck_assert_str_eq(d.to, "\"Eve  Bcc: x\" <eve@example.org>");
	struct qu_buf built;
	qu_buf_init(&built, SIZE_MAX);
	ck_assert_msg(app_draft_build(c, NULL, &d, NULL, &built, &err) == 0, "%s", err.msg);
	ck_assert_msg(!strstr(built.data, "\nBcc:"), "%s", built.data);
	qu_buf_clear(&built);
	app_draft_clear(&d);
	cfg_free(c);
}
END_TEST

START_TEST(test_group_reply_own)
{
	struct cfg *c = load_cfg(NULL);
	struct app_compose_opts o = {.cfg = c};
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	/* One's own sent message: the reply goes on to its To; every own
	 * address (an IDN alternate in its ACE form too) left out of Cc. */
	const char *m = "From: Alice Work <alice@work.example>\n"
			"To: Bob <BOB@example.org>, A.L@163.com\n"
			"Cc: boss@xn--bcher-kva.example, bob@example.org, Carol <carol@example.net>\n"
			"Subject: status\n\nx\n";
	ck_assert_int_eq(app_compose_reply(m, strlen(m), APP_REPLY_GROUP, &o, &d, &err), 0);
	ck_assert_str_eq(d.to, "Bob <BOB@example.org>");
	ck_assert_str_eq(d.cc, "Carol <carol@example.net>");
	ck_assert_str_eq(d.from, "Alice Work <A.L@163.com>");
	app_draft_clear(&d);
	cfg_free(c);
}
END_TEST

START_TEST(test_subjects)
{
	static const char *const in[][2] = {
		{"plan", "Re: plan"},
		{"Re: plan", "Re: plan"},
		{"RE: re: plan", "Re: plan"},
		{"Re[3]: plan", "Re: plan"},
		{"AW: Antw: plan", "Re: plan"},
		{"SV: plan", "Re: plan"},
		{"回复: 计划", "Re: 计划"},
		{"答复：计划", "Re: 计划"},
		{"Fwd: plan", "Re: Fwd: plan"},
		{"Reply later", "Re: Reply later"},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(in); i++) {
		char *s = app_reply_subject(in[i][0]);
		ck_assert_msg(strcmp(s, in[i][1]) == 0, "%zu: %s", i, s);
		free(s);
	}
	char *s = app_reply_subject(NULL);
	ck_assert_str_eq(s, "Re: ");
	free(s);
}
END_TEST

START_TEST(test_references)
{
	char *r = app_reply_references(NULL, "<a@x> <b@x>", "<c@x>", 0);
	ck_assert_str_eq(r, "<a@x> <c@x>");
	free(r);
	r = app_reply_references(NULL, NULL, NULL, 0);
	ck_assert_ptr_null(r);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (int i = 0; i < 30; i++)
		qu_buf_printf(&b, "<r%d@x>\n ", i);
	r = app_reply_references(b.data, NULL, "<me@x>", 5);
	ck_assert_str_eq(r, "<r0@x> <r27@x> <r28@x> <r29@x> <me@x>");
	free(r);
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_attribution)
{
	char *a = app_attribution("%n <%a> on %d about \"%s\" 100%%", parent, strlen(parent));
	ck_assert_str_eq(a, "Bob Builder <bob@example.org> on Tue, 1 Dec 2026 10:00:00 +0100 "
			    "about \"Re: 回复: 工作\" 100%");
	free(a);
	const char *m = "From: bare@example.org\n\n";
	a = app_attribution("%n wrote:", m, strlen(m));
	ck_assert_str_eq(a, "bare@example.org wrote:");
	free(a);
}
END_TEST

START_TEST(test_flowed_quote)
{
	const char *m = "From: f@example.org\nSubject: f\n"
			"Content-Type: text/plain; charset=utf-8; format=flowed\n\n"
			"This is a long \nparagraph that \nflows.\n"
			"> quoted and \n> flowing\n"
			" >stuffed\n"
			"-- \nsig\n";
	struct app_compose_opts o = {.settings = NULL};
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	ck_assert_int_eq(app_compose_reply(m, strlen(m), APP_REPLY, &o, &d, &err), 0);
	ck_assert_str_eq(d.body, "On , f@example.org wrote:\n"
				 "> This is a long paragraph that flows.\n"
				 ">> quoted and flowing\n"
				 "> >stuffed\n");
	app_draft_clear(&d);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	app_quote_text("a \nb\n", 5, true, true, &b);
	ck_assert_str_eq(b.data, "> ab\n");
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_html_only_quote)
{
	const char *m = "From: h@example.org\nSubject: h\nMIME-Version: 1.0\n"
			"Content-Type: text/html; charset=iso-8859-1\n"
			"Content-Transfer-Encoding: quoted-printable\n\n"
			"<html><body><p>Caf=E9 <b>open</b></p><script>x()</script>"
			"<p>second</p></body></html>\n";
	struct app_compose_opts o = {0};
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	ck_assert_int_eq(app_compose_reply(m, strlen(m), APP_REPLY, &o, &d, &err), 0);
	ck_assert_msg(strstr(d.body, "> Café open\n>\n> second\n") && !strstr(d.body, "<p>") &&
			      !strstr(d.body, "x()"),
		      "%s", d.body);
	app_draft_clear(&d);
}
END_TEST

START_TEST(test_signature)
{
	char *sig = write_file("sig", "Alice\nhttps://example.org\n");
	char *text = xasprintf("[account a]\nfrom = a@example.org\nsignature = %s\n"
			       "[account b]\nfrom = b@example.org\nsignature = printf 'cmd sig' |\n"
			       "[account c]\nfrom = c@example.org\nsignature = sleep 5 |\n"
			       "[general]\ndefault_account = a\n", sig);
	char *cp = write_file("cfg2", text);
	struct qu_err err;
	struct cfg *c = cfg_load(cp, true, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	struct app_compose_opts o = {.cfg = c};
	struct app_draft d;
	app_draft_init(&d);
	ck_assert_int_eq(app_compose_reply(parent, strlen(parent), APP_REPLY, &o, &d, &err), 0);
	ck_assert_msg(strstr(d.body, "> the plan\n\n-- \nAlice\nhttps://example.org\n") &&
			      !strstr(d.body, "Bob's signature"),
		      "%s", d.body);
	app_draft_clear(&d);
	o.account = cfg_find_account(c, "b", NULL);
	ck_assert_int_eq(app_compose_new(&o, &d, &err), 0);
	ck_assert_str_eq(d.from, "b@example.org");
	ck_assert_str_eq(d.body, "\n-- \ncmd sig\n");
	app_draft_clear(&d);
	o.account = cfg_find_account(c, "c", NULL);
	o.signature_timeout_ms = 200;
	int64_t t0 = qu_now_ms();
	ck_assert_int_eq(app_compose_new(&o, &d, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_int_lt(qu_now_ms() - t0, 2000);
	app_draft_clear(&d);
	cfg_free(c);
	free(cp);
	free(text);
	free(sig);
}
END_TEST

/* ---- building, forward, bounce, postpone ------------------------------ */

static const struct mime_build_fixed fixed = {
	.date = 1796000000, .date_offset = 60, .message_id = "fixed@id", .boundary = "BND"};

START_TEST(test_build_reply)
{
	struct cfg *c = load_cfg(NULL);
	struct app_compose_opts o = {.cfg = c};
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	ck_assert_int_eq(app_compose_reply(parent, strlen(parent), APP_REPLY, &o, &d, &err), 0);
	free(d.bcc);
	d.bcc = xstrdup("hidden@example.org");
	char *att = write_file("报告.txt", "attached text\n");
	struct app_draft_attach at = {.path = att};
	d.attach = &at;
	d.n_attach = 1;
	struct qu_buf m;
	qu_buf_init(&m, SIZE_MAX);
	ck_assert_msg(app_draft_build(c, NULL, &d, &fixed, &m, &err) == 0, "%s", err.msg);
	d.attach = NULL;
	d.n_attach = 0;
	ck_assert_msg(strstr(m.data, "\nFrom: Alice Work <alice@work.example>\n") ||
			      qu_str_has_prefix(m.data, "From: Alice Work <alice@work.example>\n"),
		      "%s", m.data);
	ck_assert(strstr(m.data, "\nIn-Reply-To: <m3@example.org>\n"));
	ck_assert(strstr(m.data, "References: <m1@example.org> <m2@example.org>"));
	ck_assert(strstr(m.data, "<m3@example.org>"));
	ck_assert(strstr(m.data, "Message-ID: <fixed@id>"));
	ck_assert(!strstr(m.data, "hidden@example.org"));
	ck_assert(!strstr(m.data, "\nSender:"));
	ck_assert_msg(strstr(m.data, "Subject: Re: =?UTF-8?"), "%s", m.data);
	ck_assert(strstr(m.data, "filename*=UTF-8''%E6%8A%A5%E5%91%8A.txt") ||
		  strstr(m.data, "=?UTF-8?"));
	ck_assert(strstr(m.data, "> the plan"));
	qu_buf_clear(&m);
	free(att);
	app_draft_clear(&d);
	cfg_free(c);
}
END_TEST

static char *
maildir_file(const char *sub, const char *name, const char *text)
{
	char *dir = xasprintf("%s/box", tmpdir);
	static const char *const subs[] = {"", "/cur", "/new", "/tmp"};
	for (size_t i = 0; i < 4; i++) {
		char *d = xasprintf("%s%s", dir, subs[i]);
		mkdir(d, 0700);
		free(d);
	}
	char *rel = xasprintf("box/%s/%s", sub, name);
	char *p = write_file(rel, text);
	free(rel);
	free(dir);
	return p;
}

START_TEST(test_send_failure_keeps_flags)
{
	struct cfg *c = load_cfg(NULL);
	char *file = maildir_file("cur", "1.x:2,S", parent);
	struct app_draft d;
	app_draft_init(&d);
	struct app_compose_opts o = {.cfg = c, .path = file};
	struct qu_err err;
	ck_assert_int_eq(app_compose_reply(parent, strlen(parent), APP_REPLY, &o, &d, &err), 0);
	struct app_draft_sent r;
	struct app_net net = {.timeout_s = 5};
	ck_assert_int_eq(app_draft_send(c, NULL, NULL, &d, &net, NULL, NULL, &r, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_str_eq(r.account->name, "work");
	struct stat st;
	ck_assert_int_eq(stat(file, &st), 0); /* no R: not sent */
	app_draft_sent_clear(&r);
	app_draft_clear(&d);
	free(file);
	cfg_free(c);
}
END_TEST

static const char with_attachment[] =
	"From: Bob <bob@example.org>\n"
	"To: alice@home.example\n"
	"Subject: =?UTF-8?B?5oql5ZGK?=\n"
	"Date: Wed, 2 Dec 2026 09:00:00 +0000\n"
	"Message-ID: <att@example.org>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"xx\"\n"
	"\n"
	"--xx\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"\n"
	"see the file\n"
	"--xx\n"
	"Content-Type: application/pdf; name=\"r.pdf\"\n"
	"Content-Disposition: attachment; filename=\"r.pdf\"\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"JVBERi0xLjQKJcOkw7zDtsOfCg==\n"
	"--xx--\n";

START_TEST(test_forward_inline)
{
	struct cfg *c = load_cfg(NULL);
	char *dir = xasprintf("%s/fwd", tmpdir);
	struct app_compose_opts o = {.cfg = c, .attach_dir = dir};
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	ck_assert_msg(app_compose_forward(with_attachment, strlen(with_attachment), false, &o, &d,
					  &err) == 0, "%s", err.msg);
	ck_assert_str_eq(d.subject, "Fwd: 报告");
	ck_assert_str_eq(d.from, "Alice Home <alice@home.example>");
	ck_assert_ptr_null(d.to);
	ck_assert_msg(strstr(d.body, "----- Forwarded message -----\n"
				     "Date: Wed, 2 Dec 2026 09:00:00 +0000\n"
				     "From: Bob <bob@example.org>\n"
				     "To: alice@home.example\n"
				     "Subject: 报告\n\nsee the file\n"),
		      "%s", d.body);
	ck_assert_uint_eq(d.n_attach, 1);
	struct store_map_like {
		char buf[64];
	} got;
	FILE *f = fopen(d.attach[0].path, "rb");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(got.buf, 1, sizeof got.buf, f);
	fclose(f);
	ck_assert_uint_eq(n, 19);
	ck_assert_int_eq(memcmp(got.buf, "%PDF-1.4\n%\xc3\xa4\xc3\xbc\xc3\xb6\xc3\x9f\n", 19), 0);
	ck_assert(strstr(d.attach[0].path, "r.pdf"));
	app_draft_clear(&d);
	free(dir);
	cfg_free(c);
}
END_TEST

START_TEST(test_forward_attached)
{
	char *orig = write_file("orig.eml", with_attachment);
	struct app_compose_settings s;
	app_compose_settings_init(&s);
	free(s.forward_format);
	s.forward_format = xstrdup("[%n] %s");
	struct cfg_account a = {.from = "Alice <alice@home.example>"};
	struct app_compose_opts o = {.account = &a, .settings = &s, .path = orig};
	struct app_draft d;
	app_draft_init(&d);
	struct qu_err err;
	ck_assert_int_eq(app_compose_forward(with_attachment, strlen(with_attachment), true, &o, &d,
					     &err), 0);
	ck_assert_str_eq(d.subject, "[Bob] 报告");
	ck_assert_str_eq(d.forward_file, orig);
	d.to = xstrdup("carol@example.net");
	struct qu_buf m;
	qu_buf_init(&m, SIZE_MAX);
	ck_assert_msg(app_draft_build(NULL, &a, &d, &fixed, &m, &err) == 0, "%s", err.msg);
	struct mime_part *root = mime_parse(m.data, m.len, NULL, NULL);
	ck_assert_str_eq(root->content_type, "multipart/mixed");
	const struct mime_part *msg = NULL;
	for (const struct mime_part *q = root; q; q = mime_part_next(q, root))
		if (!strcmp(q->content_type, "message/rfc822"))
			msg = q;
	ck_assert_ptr_nonnull(msg);
	size_t bl;
	const char *body = mime_part_body(msg, &bl);
	ck_assert_uint_eq(bl, strlen(with_attachment) - 1); /* the last LF is the boundary's */
	ck_assert_int_eq(memcmp(body, with_attachment, bl), 0);
	ck_assert(strstr(m.data, "Content-Transfer-Encoding: 7bit\n\nFrom: Bob"));
	mime_part_free(root);
	qu_buf_clear(&m);
	app_draft_clear(&d);
	app_compose_settings_clear(&s);
	free(orig);
	d.to = NULL;
	ck_assert_int_eq(app_compose_forward(with_attachment, strlen(with_attachment), true,
					     &(struct app_compose_opts){0}, &d, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
}
END_TEST

START_TEST(test_bounce)
{
	struct qu_buf m;
	qu_buf_init(&m, SIZE_MAX);
	struct qu_err err;
	const char *orig = "From x@y Mon Jan  1 00:00:00 2026\nFrom: b@example.org\r\nTo: a@x\r\n\r\nbody\r\n";
	ck_assert_int_eq(app_bounce_message(orig, strlen(orig), "Alice <alice@home.example>",
					    "Carol <carol@example.net>, d@example.com", &fixed,
					    true, &m, &err), 0);
	ck_assert_str_eq(m.data, "Resent-From: alice@home.example\n"
				 "Resent-To: carol@example.net, d@example.com\n"
				 "Resent-Date: Mon, 30 Nov 2026 01:53:20 +0100\n"
				 "Resent-Message-ID: <fixed@id>\n"
				 "From: b@example.org\nTo: a@x\n\nbody\n");
	qu_buf_reset(&m);
	ck_assert_int_eq(app_bounce_message(orig, strlen(orig), "alice@home.example",
					    "x@y\r\nBcc: evil@example.org", &fixed, true, &m, &err),
			 -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	ck_assert_int_eq(app_bounce_message(orig, strlen(orig), "alice@home.example", "nobody",
					    &fixed, true, &m, &err), -1);
	qu_buf_clear(&m);
	/* Without dry, nothing may leave: a dry bounce gives the bytes. */
	struct cfg_account a = {.from = "alice@home.example", .smtp = "smtp://127.0.0.1:1"};
	struct qu_buf dry;
	qu_buf_init(&dry, SIZE_MAX);
	orig = "From: b@example.org\nTo: a@x\nDate: Tue, 1 Dec 2026 10:00:00 +0100\n"
	       "Message-ID: <b@x>\nMIME-Version: 1.0\n\nbody\n";
	ck_assert_msg(app_bounce(NULL, &a, orig, strlen(orig), "c@example.net", NULL, NULL, NULL,
				 &dry, &err) == 0, "%s", err.msg);
	ck_assert(qu_str_has_prefix(dry.data, "Resent-From: alice@home.example\nResent-To: "
					      "c@example.net\n"));
	ck_assert_msg(strstr(dry.data, "\nFrom: b@example.org\nTo: a@x\n"
				       "Date: Tue, 1 Dec 2026 10:00:00 +0100\nMessage-ID: <b@x>\nMIME-Version: 1.0\n\nbody\n"),
		      "%s", dry.data);
	qu_buf_clear(&dry);
}
END_TEST

struct listed {
	size_t n;
	char path[512];
	char subject[128];
};

static void
on_postponed(void *ctx, const struct app_postponed *p)
{
	struct listed *l = ctx;
	if (l->n++ == 0) {
		snprintf(l->path, sizeof l->path, "%s", p->path);
		snprintf(l->subject, sizeof l->subject, "%s", p->subject ? p->subject : "");
	}
}

START_TEST(test_postpone_recall)
{
	char *mdir = xasprintf("%s/Mail/home", tmpdir);
	char *att = write_file("résumé file.txt", "cv\n");
	struct cfg_account a = {.from = "Alice <alice@home.example>", .maildir = mdir};
	struct app_draft d;
	app_draft_init(&d);
	d.from = xstrdup("Alice <alice@home.example>");
	d.to = xstrdup("张三 <zhang@example.cn>");
	d.bcc = xstrdup("secret@example.org");
	d.subject = xstrdup("Re: 计划");
	d.in_reply_to = xstrdup("<p@x>");
	d.references = xstrdup("<o@x> <p@x>");
	d.reply_file = xstrdup("/mail/cur/1:2,S");
	d.body = xstrdup("text ünïcode\n");
	d.body_len = strlen(d.body);
	d.headers = xcalloc(1, sizeof *d.headers);
	d.headers[0] = xstrdup("X-Custom: kept");
	d.n_headers = 1;
	d.attach = xcalloc(1, sizeof *d.attach);
	d.attach[0].path = xstrdup(att);
	d.attach[0].description = xstrdup("my cv");
	d.n_attach = 1;
	struct qu_err err;
	struct listed l = {0};
	ck_assert_int_eq(app_postponed_list(&a, NULL, on_postponed, &l, &err), 0);
	ck_assert_uint_eq(l.n, 0);
	char *path = NULL;
	ck_assert_msg(app_draft_postpone(&a, NULL, &d, &path, &err) == 0, "%s", err.msg);
	ck_assert_msg(strstr(path, "/Mail/home/Drafts/cur/") && strstr(path, ":2,DS"), "%s", path);
	ck_assert_int_eq(app_postponed_list(&a, NULL, on_postponed, &l, &err), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.path, path);
	ck_assert_str_eq(l.subject, "Re: 计划");
	struct app_draft e;
	app_draft_init(&e);
	ck_assert_msg(app_draft_recall(path, &e, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(e.from, d.from);
	ck_assert_str_eq(e.to, d.to);
	ck_assert_str_eq(e.bcc, d.bcc);
	ck_assert_str_eq(e.subject, d.subject);
	ck_assert_str_eq(e.in_reply_to, d.in_reply_to);
	ck_assert_str_eq(e.references, d.references);
	ck_assert_str_eq(e.reply_file, d.reply_file);
	ck_assert_str_eq(e.body, d.body);
	ck_assert_str_eq(e.postponed, path);
	ck_assert_uint_eq(e.n_headers, 1);
	ck_assert_str_eq(e.headers[0], "X-Custom: kept");
	ck_assert_uint_eq(e.n_attach, 1);
	ck_assert_str_eq(e.attach[0].path, att);
	ck_assert_str_eq(e.attach[0].description, "my cv");
	/* What is sent of it holds none of quail's own fields. */
	struct qu_buf m;
	qu_buf_init(&m, SIZE_MAX);
	ck_assert_int_eq(app_draft_build(NULL, &a, &e, &fixed, &m, &err), 0);
	ck_assert(!strstr(m.data, "X-Quail"));
	ck_assert(!strstr(m.data, "secret@example.org"));
	qu_buf_clear(&m);
	app_draft_clear(&e);
	app_draft_clear(&d);
	free(path);
	free(att);
	free(mdir);
}
END_TEST

/* ---- address completion ---------------------------------------------- */

static void
add_msg(const char *dir, int i, const char *from, const char *to, int64_t age_days)
{
	time_t t = time(NULL) - (time_t)(age_days * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	char date[64];
	strftime(date, sizeof date, "%d %b %Y %H:%M:%S +0000", &tm);
	char *text = xasprintf("From: %s\nTo: %s\nDate: %s\nSubject: m%d\nMessage-ID: <m%d@x>\n\nx\n",
			       from, to, date, i, i);
	char *name = xasprintf("%s/cur/%d.m%d.host:2,S", dir, 1000 + i, i);
	FILE *f = fopen(name, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(name);
	free(text);
}

static char *
make_index(void)
{
	char *dir = xasprintf("%s/ab", tmpdir);
	mkdir(dir, 0700);
	static const char *const subs[] = {"cur", "new", "tmp"};
	for (size_t i = 0; i < 3; i++) {
		char *d = xasprintf("%s/%s", dir, subs[i]);
		mkdir(d, 0700);
		free(d);
	}
	int k = 0;
	for (int i = 0; i < 5; i++)
		add_msg(dir, k++, "Olga Old <olga@old.example>", "me@self.example", 365);
	add_msg(dir, k++, "Oscar New <oscar@new.example>", "me@self.example", 0);
	for (int i = 0; i < 3; i++)
		add_msg(dir, k++, "me@self.example", "Otto Often <otto@often.example>", 1);
	add_msg(dir, k++, "王小明 <wang@example.cn>", "me@self.example", 2);
	add_msg(dir, k++, "Émile Zola <emile@example.fr>", "me@self.example", 2);
	char *db = xasprintf("%s/index.sqlite", tmpdir);
	struct qu_err err;
	struct index *ix = index_open(db, 0, &err);
	ck_assert_msg(ix != NULL, "%s", err.msg);
	const char *paths[] = {dir};
	ck_assert_msg(index_update(ix, paths, 1, NULL, NULL, &err) == 0, "%s", err.msg);
	index_free(ix);
	free(dir);
	return db;
}

START_TEST(test_addr_complete)
{
	char *db = make_index();
	struct app_addr_opts o = {.db = db};
	struct app_addr_match *v;
	size_t n;
	struct qu_err err;
	ck_assert_msg(app_addr_complete("o", &o, &v, &n, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(n, 3);
	/* Three messages yesterday beat one today, which beats five a year
	 * ago. */
	ck_assert_str_eq(v[0].address, "otto@often.example");
	ck_assert_str_eq(v[0].name, "Otto Often");
	ck_assert_uint_eq(v[0].count, 3);
	ck_assert_str_eq(v[1].address, "oscar@new.example");
	ck_assert_str_eq(v[2].address, "olga@old.example");
	ck_assert_uint_eq(v[2].count, 5);
	app_addr_matches_free(v, n);
	/* A word of the name, any case; CJK; a non-ASCII capital. */
	ck_assert_int_eq(app_addr_complete("ZOL", &o, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].address, "emile@example.fr");
	app_addr_matches_free(v, n);
	ck_assert_int_eq(app_addr_complete("王小", &o, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].name, "王小明");
	app_addr_matches_free(v, n);
	ck_assert_int_eq(app_addr_complete("émi", &o, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	app_addr_matches_free(v, n);
	ck_assert_int_eq(app_addr_complete("nobody", &o, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	app_addr_matches_free(v, n);
	free(db);
}
END_TEST

START_TEST(test_addr_query_command)
{
	char *db = make_index();
	char *script = write_file("q.sh",
				  "printf 'Searching for %s\\n' \"$1\"\n"
				  "printf 'q@x.example\\tQ Person\\tteam\\n'\n"
				  "printf 'otto@often.example\\tDuplicate\\t\\n'\n"
				  "printf 'evil\\033[2J@x.example\\tEvil\\t\\n'\n"
				  "printf 'no-at-sign\\tNone\\t\\n'\n"
				  "echo complaint >&2\n");
	char *qc = xasprintf("sh %s %%s", script);
	struct cfg_account a = {.query_command = qc};
	struct app_addr_opts o = {.db = db, .account = &a};
	struct app_addr_match *v;
	size_t n;
	struct qu_err err;
	ck_assert_msg(app_addr_complete("o'; touch pwned; '", &o, &v, &n, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(n, 2); /* the escape and the line without '@' dropped */
	ck_assert_str_eq(v[1].address, "otto@often.example");
	ck_assert_str_eq(v[1].name, "Duplicate");
	ck_assert_str_eq(v[0].address, "q@x.example");
	ck_assert_str_eq(v[0].name, "Q Person");
	ck_assert_str_eq(v[0].other, "team");
	ck_assert(v[0].from_query);
	ck_assert_int_ne(access("pwned", F_OK), 0);
	app_addr_matches_free(v, n);
	ck_assert_int_eq(app_addr_complete("ot", &o, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].address, "otto@often.example");
	ck_assert_str_eq(v[0].name, "Otto Often");
	ck_assert_str_eq(v[1].address, "q@x.example");
	app_addr_matches_free(v, n);
	/* A failing command: its stderr in the error; a hung one: bounded. */
	a.query_command = "echo 'no such book' >&2; exit 3";
	ck_assert_int_eq(app_addr_complete("ot", &o, &v, &n, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_msg(strstr(err.msg, "status 3: no such book"), "%s", err.msg);
	ck_assert_uint_eq(n, 1); /* the index's answer is kept */
	app_addr_matches_free(v, n);
	a.query_command = "sleep 10; :";
	o.timeout_ms = 300;
	int64_t t0 = qu_now_ms();
	ck_assert_int_eq(app_addr_complete("ot", &o, &v, &n, &err), -1);
	ck_assert_msg(err.cls == QU_E_TEMPFAIL, "%s", err.msg);
	ck_assert_int_lt(qu_now_ms() - t0, 3000);
	app_addr_matches_free(v, n);
	free(qc);
	free(script);
	free(db);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("compose");
	TCase *tc = tcase_create("compose");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_account_keys);
	tcase_add_test(tc, test_draft_round_trip);
	tcase_add_test(tc, test_draft_parse_details);
	tcase_add_test(tc, test_attach_description);
	tcase_add_test(tc, test_draft_refused);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_reply_plain);
	tcase_add_test(tc, test_reply_to_and_followup);
	tcase_add_test(tc, test_group_reply_own);
	tcase_add_test(tc, test_subjects);
	tcase_add_test(tc, test_references);
	tcase_add_test(tc, test_attribution);
	tcase_add_test(tc, test_flowed_quote);
	tcase_add_test(tc, test_html_only_quote);
	tcase_add_test(tc, test_signature);
	tcase_add_test(tc, test_build_reply);
	tcase_add_test(tc, test_send_failure_keeps_flags);
	tcase_add_test(tc, test_forward_inline);
	tcase_add_test(tc, test_forward_attached);
	tcase_add_test(tc, test_bounce);
	tcase_add_test(tc, test_postpone_recall);
	tcase_add_test(tc, test_addr_complete);
	tcase_add_test(tc, test_addr_query_command);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
