/*
 * The message builder (SPEC §4): golden output with a fixed Date,
 * Message-ID and boundary; the structure rule; the choice of transfer
 * encoding; RFC 2047 and RFC 2231; folding; header injection; -t.
 */
#include <unistd.h>

#include "tcommon.h"

#define FIXED {.date = 1547285143, .date_offset = 480, .message_id = "id@test", .boundary = "=_b"}

static char tmpdir[64];

static void
setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/quail-build-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes a file under tmpdir; returns its path (static buffer per slot). */
static const char *
put_file(int slot, const char *name, const void *p, size_t n)
{
	static char paths[4][512];
	snprintf(paths[slot], sizeof paths[slot], "%s/%s", tmpdir, name);
	FILE *f = fopen(paths[slot], "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
	return paths[slot];
}

static char *
build(const struct mime_build *b)
{
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	struct qu_err err;
	int rc = mime_build_message(b, &out, &err);
	ck_assert_msg(rc == 0, "build failed: %s", err.msg);
	return qu_buf_steal(&out, NULL);
}

static int
build_fails(const struct mime_build *b, enum qu_err_class cls)
{
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	struct qu_err err;
	int rc = mime_build_message(b, &out, &err);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.cls, cls);
	ck_assert_uint_eq(out.len, 0);
	qu_buf_clear(&out);
	return 0;
}

/* Every line at most 78 characters; lines end as eol says. (Plain C, one
 * assertion: Check records every assertion it runs.) */
static void
assert_lines(const char *m, bool crlf)
{
	size_t col = 0;
	const char *bad = NULL, *why = NULL;
	for (const char *p = m; *p && !bad; p++) {
		if (*p == '\n') {
			if (crlf != (p > m && p[-1] == '\r')) {
				bad = p;
				why = "wrong line end";
			}
			col = 0;
		} else if (*p != '\r') {
			if (++col > 78) {
				bad = p;
				why = "line longer than 78";
			}
		} else if (p[1] != '\n') {
			bad = p;
			why = "bare CR";
		}
	}
	ck_assert_msg(!bad, "%s at offset %zu", why, bad ? (size_t)(bad - m) : 0);
}

static const char *const one_to[] = {"bob@example.com"};

START_TEST(test_plain_golden)
{
	const char *text = "Hello Bob,\nsee you.\n";
	struct mime_build b = {.from = "Alice <alice@example.com>", .to = one_to, .n_to = 1,
			       .subject = "Lunch", .text = text, .text_len = strlen(text),
			       .lf = true, .fixed = FIXED};
	char *m = build(&b);
	ck_assert_str_eq(m, "Date: Sat, 12 Jan 2019 17:25:43 +0800\n"
			    "From: Alice <alice@example.com>\n"
			    "To: bob@example.com\n"
			    "Subject: Lunch\n"
			    "Message-ID: <id@test>\n"
			    "MIME-Version: 1.0\n"
			    "Content-Type: text/plain; charset=utf-8\n"
			    "Content-Transfer-Encoding: 7bit\n"
			    "\n"
			    "Hello Bob,\n"
			    "see you.\n");
	free(m);
}
END_TEST

START_TEST(test_crlf)
{
	const char *text = "a\nb\r\nc\rd";
	struct mime_build b = {.from = "alice@example.com", .to = one_to, .n_to = 1, .text = text,
			       .text_len = strlen(text), .fixed = FIXED};
	char *m = build(&b);
	assert_lines(m, true);
	ck_assert_ptr_nonnull(strstr(m, "\r\n\r\na\r\nb\r\nc\r\nd\r\n"));
	free(m);
}
END_TEST

START_TEST(test_chinese_headers)
{
	const char *to[] = {"张三 <zhang@example.com>, bob@example.com"};
	const char *cc[] = {"\"Smith, John\" <john@example.com>"};
	const char *text = "你好\n";
	struct mime_build b = {.from = "若水 <alice@example.com>", .to = to, .n_to = 1, .cc = cc,
			       .n_cc = 1, .subject = "2019你好", .text = text,
			       .text_len = strlen(text), .lf = true, .fixed = FIXED};
	char *m = build(&b);
	ck_assert_ptr_nonnull(strstr(m, "\nFrom: =?UTF-8?B?6Iul5rC0?= <alice@example.com>\n"));
	ck_assert_ptr_nonnull(
		strstr(m, "\nTo: =?UTF-8?B?5byg5LiJ?= <zhang@example.com>, bob@example.com\n"));
	ck_assert_ptr_nonnull(strstr(m, "\nCc: \"Smith, John\" <john@example.com>\n"));
	ck_assert_ptr_nonnull(strstr(m, "\nSubject: =?UTF-8?B?MjAxOeS9oOWlvQ==?=\n"));
	/* Chinese text: base64 is shorter than quoted-printable. */
	ck_assert_ptr_nonnull(strstr(m, "Content-Transfer-Encoding: base64\n\n5L2g5aW9DQo=\n"));
	free(m);
}
END_TEST

START_TEST(test_subject_words)
{
	/* ASCII words stay, runs of non-ASCII words are one encoded run,
	 * a word that looks like an encoded word is encoded. */
	const char *text = "x\n";
	struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1,
			       .subject = "Re: 你好 世界 and =?x?= ok", .text = text,
			       .text_len = 2, .lf = true, .fixed = FIXED};
	char *m = build(&b);
	ck_assert_ptr_nonnull(strstr(
		m, "\nSubject: Re: =?UTF-8?B?5L2g5aW9IOS4lueVjA==?= and =?UTF-8?B?PT94Pz0=?= ok\n"));
	free(m);
}
END_TEST

START_TEST(test_long_subject_folds)
{
	static const char *const subjects[] = {
		"This is a rather long subject line which has to be folded somewhere because it "
		"is much longer than seventy-eight characters, and then some more words",
		"来自SMTP的问候来自SMTP的问候来自SMTP的问候来自SMTP的问候来自SMTP的问候来自SMTP的问候"
		"来自SMTP的问候来自SMTP的问候",
		"Mixed 中文 text with English words 和中文词语 all through it, long enough to fold "
		"more than once 好吗？",
		"averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword_"
		"withnospaces",
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(subjects); i++) {
		struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1,
				       .subject = subjects[i], .text = "x", .text_len = 1,
				       .fixed = FIXED};
		char *m = build(&b);
		assert_lines(m, true);
		/* Unfolded and decoded by the mime module, it is the subject. */
		const char *s = strstr(m, "\r\nSubject:") + 10;
		const char *e = s;
		while (!(e[0] == '\r' && e[1] == '\n' && e[2] != ' '))
			e++;
		char *dec = mime_text_decode(s, (size_t)(e - s), MIME_TEXT_TRIM, NULL, NULL);
		ck_assert_str_eq(dec, subjects[i]);
		free(dec);
		free(m);
	}
}
END_TEST

START_TEST(test_encoded_word_limits)
{
	/* Every encoded word is at most 75 characters (RFC 2047 §2). */
	const char *s = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六";
	struct mime_build b = {.from = "张三李四王五赵六钱七孙八周九吴十 <a@example.com>",
			       .to = one_to, .n_to = 1, .subject = s, .text = "x", .text_len = 1,
			       .lf = true, .fixed = FIXED};
	char *m = build(&b);
	assert_lines(m, false);
	for (const char *p = m; (p = strstr(p, "=?UTF-8?")); p++) {
		const char *e = strstr(p + 10, "?=");
		ck_assert_ptr_nonnull(e);
		ck_assert_int_le(e + 2 - p, 75);
	}
	free(m);
}
END_TEST

START_TEST(test_text_encodings)
{
	struct {
		const char *text, *cte;
	} cases[] = {
		{"plain ascii\n", "7bit"},
		{"Grüße aus Köln, wie geht's? Ganz gut, danke.\n", "quoted-printable"},
		{"中文的内容比较长，用base64更短。\n", "base64"},
		{"a line that is far too long for seven bit because it goes on and on beyond the "
		 "limit\n",
		 "quoted-printable"},
		{"nul\0byte\n", "quoted-printable"},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(cases); i++) {
		size_t n = i == 4 ? 9 : strlen(cases[i].text);
		struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1,
				       .text = cases[i].text, .text_len = n, .lf = true,
				       .fixed = FIXED};
		char *m = build(&b);
		char want[96];
		snprintf(want, sizeof want, "Content-Transfer-Encoding: %s\n", cases[i].cte);
		ck_assert_msg(strstr(m, want), "case %zu: no %s in\n%s", i, cases[i].cte, m);
		assert_lines(m, false);
		free(m);
	}
}
END_TEST

START_TEST(test_qp_rules)
{
	const char *in = "trailing space \nFrom the start\n.dot\ntab\t\nx=y\n";
	struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1, .text = in,
			       .text_len = strlen(in), .lf = true, .fixed = FIXED};
	/* Force QP by adding one non-ASCII character. */
	char *t = xasprintf("%sé\n", in);
	b.text = t;
	b.text_len = strlen(t);
	char *m = build(&b);
	ck_assert_ptr_nonnull(strstr(m, "quoted-printable\n\n"
					"trailing space=20\n"
					"=46rom the start\n"
					"=2Edot\n"
					"tab=09\n"
					"x=3Dy\n"
					"=C3=A9\n"));
	free(m);
	free(t);
	/* Soft breaks keep lines at 76. */
	struct qu_buf big;
	qu_buf_init(&big, SIZE_MAX);
	for (int i = 0; i < 50; i++)
		qu_buf_append_str(&big, "ünïcödé ");
	b.text = big.data;
	b.text_len = big.len;
	m = build(&b);
	const char *body = strstr(m, "\n\n") + 2;
	size_t longest = 0;
	for (const char *l = body; *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		if (len > longest)
			longest = len;
		l += len + (e ? 1 : 0);
	}
	ck_assert_uint_le(longest, 76);
	free(m);
	qu_buf_clear(&big);
}
END_TEST

START_TEST(test_structure)
{
	char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x02\0\0\0";
	const char *img = put_file(0, "logo.png", png, sizeof png - 1);
	const char *pdf = put_file(1, "报告.pdf", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", 20);
	struct mime_build_file inl[] = {{.path = img}};
	struct mime_build_file att[] = {{.path = pdf}};
	const char *html = "<p>hi <img src=\"cid:logo.png\"></p>\n";
	struct {
		bool html;
		size_t ninl, natt;
		const char *want[4];
	} cases[] = {
		{false, 0, 0, {"Content-Type: text/plain", NULL}},
		{true, 0, 0, {"Content-Type: multipart/alternative", NULL}},
		{true, 1, 0,
		 {"Content-Type: multipart/related; type=\"multipart/alternative\"",
		  "Content-Type: multipart/alternative", NULL}},
		{false, 1, 0, {"Content-Type: multipart/related; type=\"text/plain\"", NULL}},
		{false, 0, 1, {"Content-Type: multipart/mixed", NULL}},
		{true, 1, 1,
		 {"Content-Type: multipart/mixed", "Content-Type: multipart/related",
		  "Content-Type: multipart/alternative", NULL}},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(cases); i++) {
		struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1,
				       .text = "t\n", .text_len = 2,
				       .html = cases[i].html ? html : NULL,
				       .html_len = cases[i].html ? strlen(html) : 0,
				       .inlines = inl, .n_inlines = cases[i].ninl,
				       .attachments = att, .n_attachments = cases[i].natt,
				       .lf = true, .fixed = FIXED};
		char *m = build(&b);
		/* The top level comes right after MIME-Version, nesting in order. */
		const char *at = strstr(m, "MIME-Version: 1.0\n") + 18;
		ck_assert_msg(strncmp(at, cases[i].want[0], strlen(cases[i].want[0])) == 0,
			      "case %zu top: %.60s", i, at);
		for (size_t k = 1; cases[i].want[k]; k++) {
			const char *n = strstr(at, cases[i].want[k]);
			ck_assert_msg(n, "case %zu: no %s", i, cases[i].want[k]);
			at = n;
		}
		int multiparts = 0;
		for (const char *p = m; (p = strstr(p, "multipart/")); p++)
			multiparts++;
		ck_assert_int_eq(multiparts - (strstr(m, "type=\"multipart/") ? 1 : 0),
				 (cases[i].html ? 1 : 0) + (cases[i].ninl ? 1 : 0) +
					 (cases[i].natt ? 1 : 0));
		if (cases[i].ninl) {
			ck_assert_ptr_nonnull(strstr(m, "Content-Type: image/png; name=logo.png\n"
							"Content-Disposition: inline; filename=logo.png\n"
							"Content-ID: <logo.png>\n"));
		}
		if (cases[i].natt) {
			ck_assert_ptr_nonnull(
				strstr(m, "Content-Type: application/pdf; "
					  "name=\"=?UTF-8?B?5oql5ZGKLnBkZg==?=\"\n"
					  "Content-Disposition: attachment; "
					  "filename*=utf-8''%E6%8A%A5%E5%91%8A.pdf\n"));
		}
		assert_lines(m, false);
		free(m);
	}
}
END_TEST

START_TEST(test_golden_mixed)
{
	const char *att = put_file(0, "a.bin", "\x00\x01\x02\x03\xff", 5);
	struct mime_build_file f[] = {{.path = att, .name = "data.bin"}};
	struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1,
			       .text = "hi\n", .text_len = 3, .attachments = f,
			       .n_attachments = 1, .lf = true, .fixed = FIXED};
	char *m = build(&b);
	ck_assert_str_eq(strstr(m, "MIME-Version"),
			 "MIME-Version: 1.0\n"
			 "Content-Type: multipart/mixed; boundary=\"=_b-1\"\n"
			 "\n"
			 "--=_b-1\n"
			 "Content-Type: text/plain; charset=utf-8\n"
			 "Content-Transfer-Encoding: 7bit\n"
			 "\n"
			 "hi\n"
			 "\n"
			 "--=_b-1\n"
			 "Content-Type: application/octet-stream; name=data.bin\n"
			 "Content-Disposition: attachment; filename=data.bin\n"
			 "Content-Transfer-Encoding: base64\n"
			 "\n"
			 "AAECA/8=\n"
			 "--=_b-1--\n");
	free(m);
}
END_TEST

/* RFC 2045 §8: Content-Description after the disposition, ASCII as it is,
 * other text as RFC 2047 words that decode back; a line break refused. */
START_TEST(test_description)
{
	const char *att = put_file(0, "a.bin", "\x00\x01", 2);
	struct mime_build_file f[] = {{.path = att, .name = "a.bin", .description = "the logo"},
				      {.path = att, .name = "b.bin", .description = "第一季度 report"}};
	struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1,
			       .text = "hi\n", .text_len = 3, .attachments = f,
			       .n_attachments = 2, .lf = true, .fixed = FIXED};
	char *m = build(&b);
	ck_assert_ptr_nonnull(strstr(m, "Content-Disposition: attachment; filename=a.bin\n"
					"Content-Description: the logo\n"
					"Content-Transfer-Encoding: base64\n"));
	const char *d = strstr(m, "filename=b.bin\nContent-Description: ");
	ck_assert_ptr_nonnull(d);
	d = strchr(d, ' ') + 1;
	const char *end = strstr(d, "\nContent-Transfer-Encoding");
	ck_assert_ptr_nonnull(strstr(d, "=?"));
	char *dec = mime_text_decode(d, (size_t)(end - d), MIME_TEXT_TRIM, NULL, NULL);
	ck_assert_str_eq(dec, "第一季度 report");
	free(dec);
	free(m);
	f[1].description = "two\nlines";
	build_fails(&b, QU_E_USAGE);
}
END_TEST

START_TEST(test_long_filenames)
{
	char name[] = "这是一个非常非常非常非常非常非常非常非常非常非常长的中文文件名字.docx";
	const char *p = put_file(0, "x.bin", "\x00\x01\x02", 3);
	struct mime_build_file f[] = {{.path = p, .name = name}};
	struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1, .text = "x",
			       .text_len = 1, .attachments = f, .n_attachments = 1, .lf = true,
			       .fixed = FIXED};
	char *m = build(&b);
	assert_lines(m, false);
	ck_assert_ptr_nonnull(strstr(m, " filename*0*=utf-8''%E8%BF%99"));
	ck_assert_ptr_nonnull(strstr(m, " filename*1*="));
	/* The mime module reads the parameters back to the same name. */
	const char *cd = strstr(m, "Content-Disposition:") + 20;
	const char *end = strstr(cd, "\nContent-Transfer-Encoding");
	struct mime_field fd;
	mime_field_parse_disposition(cd, (size_t)(end - cd), &fd, NULL, NULL);
	ck_assert_str_eq(mime_param_get(&fd, "filename"), name);
	mime_field_clear(&fd);
	const char *ct = strstr(m, "Content-Type: application") + 13;
	end = strstr(ct, "\nContent-Disposition");
	struct mime_field ft;
	mime_field_parse_content_type(ct, (size_t)(end - ct), &ft, NULL, NULL);
	ck_assert_str_eq(mime_param_get(&ft, "name"), name);
	mime_field_clear(&ft);
	free(m);
}
END_TEST

START_TEST(test_sender_rule)
{
	struct mime_build b = {.from = "Boss <boss@example.com>", .sender = "me@example.com",
			       .to = one_to, .n_to = 1, .text = "x", .text_len = 1, .lf = true,
			       .fixed = FIXED};
	char *m = build(&b);
	ck_assert_ptr_nonnull(strstr(m, "\nSender: me@example.com\n"));
	free(m);
	b.sender = "BOSS@example.com";
	m = build(&b);
	ck_assert_ptr_null(strstr(m, "Sender:"));
	free(m);
	b.sender = NULL;
	b.from = "a@example.com, b@example.com";
	m = build(&b);
	ck_assert_ptr_nonnull(strstr(m, "\nSender: a@example.com\n"));
	free(m);
}
END_TEST

START_TEST(test_no_to)
{
	struct mime_build b = {.from = "a@example.com", .text = "x", .text_len = 1, .lf = true,
			       .fixed = FIXED};
	char *m = build(&b);
	ck_assert_ptr_nonnull(strstr(m, "\nTo: undisclosed-recipients:;\n"));
	free(m);
}
END_TEST

START_TEST(test_idn_and_reply_to)
{
	const char *to[] = {"用户 <info@例子.测试>"};
	struct mime_build b = {.from = "a@example.com", .reply_to = "list@example.org",
			       .to = to, .n_to = 1, .text = "x", .text_len = 1, .lf = true,
			       .fixed = FIXED};
	char *m = build(&b);
	ck_assert_ptr_nonnull(strstr(m, "\nReply-To: list@example.org\n"));
	ck_assert_ptr_nonnull(strstr(m, "<info@xn--fsqu00a.xn--0zwm56d>"));
	free(m);
}
END_TEST

START_TEST(test_extra_headers)
{
	const char *h[] = {"X-Priority: 1", "Date: Mon, 01 Jan 2024 00:00:00 +0000",
			   "In-Reply-To: <x@y>", "X-Tag: 标签"};
	struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1, .text = "x",
			       .text_len = 1, .headers = h, .n_headers = 4, .lf = true,
			       .fixed = FIXED};
	char *m = build(&b);
	ck_assert_ptr_nonnull(strstr(m, "\nX-Priority: 1\n"));
	ck_assert_ptr_nonnull(strstr(m, "Date: Mon, 01 Jan 2024 00:00:00 +0000\n"));
	ck_assert_ptr_null(strstr(m, "2019"));
	ck_assert_ptr_nonnull(strstr(m, "\nX-Tag: =?UTF-8?B?5qCH562+?=\n"));
	free(m);
}
END_TEST

START_TEST(test_injection_refused)
{
	struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1, .text = "x",
			       .text_len = 1, .fixed = FIXED};
	b.subject = "hi\r\nBcc: evil@example.com";
	build_fails(&b, QU_E_USAGE);
	b.subject = "hi\nX: y";
	build_fails(&b, QU_E_USAGE);
	b.subject = NULL;
	const char *bad_to[] = {"bob@example.com\r\nBcc: evil@example.com"};
	b.to = bad_to;
	build_fails(&b, QU_E_USAGE);
	b.to = one_to;
	b.from = "Alice\n <a@example.com>";
	build_fails(&b, QU_E_USAGE);
	b.from = "a@example.com";
	b.reply_to = "x@example.com\rBcc: y@example.com";
	build_fails(&b, QU_E_USAGE);
	b.reply_to = NULL;
	const char *h1[] = {"X-A: b\r\nBcc: evil@example.com"};
	const char *h2[] = {"Bad Name: x"};
	const char *h3[] = {"NoColon"};
	const char *h4[] = {"Bcc: evil@example.com"};
	const char *h5[] = {"Content-Type: text/html"};
	const char *h6[] = {"X-Ctl: a\x01"};
	const char *const *hs[] = {h1, h2, h3, h4, h5, h6};
	for (size_t i = 0; i < QU_ARRAY_LEN(hs); i++) {
		b.headers = hs[i];
		b.n_headers = 1;
		build_fails(&b, QU_E_USAGE);
	}
	b.headers = NULL;
	b.n_headers = 0;
	struct mime_build_file f[] = {{.path = "/etc/hostname", .name = "a\nb"}};
	b.attachments = f;
	b.n_attachments = 1;
	build_fails(&b, QU_E_USAGE);
}
END_TEST

START_TEST(test_missing_file)
{
	struct mime_build_file f[] = {{.path = "/nonexistent/file.pdf"}};
	struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1, .text = "x",
			       .text_len = 1, .attachments = f, .n_attachments = 1, .fixed = FIXED};
	build_fails(&b, QU_E_NOINPUT);
	f[0].path = tmpdir;
	build_fails(&b, QU_E_NOINPUT);
}
END_TEST

START_TEST(test_big_attachment)
{
	/* 1 MB of every byte value: base64 lines of 76, exact length. */
	size_t n = 1 << 20;
	char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 + (i >> 8));
	const char *p = put_file(0, "big.bin", data, n);
	struct mime_build_file f[] = {{.path = p}};
	struct mime_build b = {.from = "a@example.com", .to = one_to, .n_to = 1, .text = "x",
			       .text_len = 1, .attachments = f, .n_attachments = 1, .fixed = FIXED};
	char *m = build(&b);
	assert_lines(m, true);
	const char *body = strstr(strstr(m, "name=big.bin"), "\r\n\r\n") + 4;
	const char *end = strstr(body, "\r\n--=_b-1--");
	struct qu_buf dec;
	qu_buf_init(&dec, SIZE_MAX);
	struct qu_err err;
	ck_assert_int_eq(mime_decode(MIME_CTE_BASE64, body, (size_t)(end - body), &dec, NULL, &err),
			 0);
	ck_assert_uint_eq(dec.len, n);
	ck_assert(memcmp(dec.data, data, n) == 0);
	size_t longest = 0;
	for (const char *l = body; l < end;) {
		/* memchr: sanitizers make every strstr measure the whole rest. */
		const char *e = memchr(l, '\r', (size_t)(end - l));
		if (!e)
			e = end;
		if ((size_t)(e - l) > longest)
			longest = (size_t)(e - l);
		l = e + 2;
	}
	ck_assert_uint_le(longest, 76);
	qu_buf_clear(&dec);
	free(data);
	free(m);
}
END_TEST

START_TEST(test_addr_list)
{
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	struct qu_err err;
	ck_assert_int_eq(mime_build_addr_list("a@b.c, \"X Y\" <x@y.z>", true, &l, &err), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[1].address, "x@y.z");
	ck_assert_int_eq(mime_build_addr_list("root", true, &l, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	ck_assert_int_eq(mime_build_addr_list("root", false, &l, &err), 0);
	ck_assert_int_eq(mime_build_addr_list("a@b\nc", false, &l, &err), -1);
	ck_assert_int_eq(mime_build_addr_list("not an address", false, &l, &err), -1);
	ck_assert_int_eq(mime_build_addr_list("a@@b", true, &l, &err), -1);
	ck_assert_int_eq(mime_build_addr_list("用户@例子.测试", true, &l, &err), 0);
	mime_addr_list_clear(&l);
}
END_TEST

/* ---- -t ---------------------------------------------------------------- */

static char *
raw(const char *in, const struct mime_build_raw *o, struct mime_addr_list *rc, char **from)
{
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	struct qu_err err;
	ck_assert_int_eq(mime_build_raw_message(in, strlen(in), o, &out, rc, from, &err), 0);
	return qu_buf_steal(&out, NULL);
}

START_TEST(test_raw_bcc_removed)
{
	const char *in = "From: Alice <alice@example.com>\n"
			 "To: bob@example.com, Carol <carol@example.com>\n"
			 "Bcc: secret@example.com,\n"
			 " other@example.com\n"
			 "Cc: dave@example.com\n"
			 "Subject: hi\n"
			 "\n"
			 "Body\n"
			 "Bcc: not a header\n";
	struct mime_build_raw o = {.lf = true, .fixed = FIXED};
	struct mime_addr_list rc;
	mime_addr_list_init(&rc);
	char *from = NULL;
	char *m = raw(in, &o, &rc, &from);
	ck_assert_str_eq(m, "From: Alice <alice@example.com>\n"
			    "To: bob@example.com, Carol <carol@example.com>\n"
			    "Cc: dave@example.com\n"
			    "Subject: hi\n"
			    "Date: Sat, 12 Jan 2019 17:25:43 +0800\n"
			    "Message-ID: <id@test>\n"
			    "MIME-Version: 1.0\n"
			    "\n"
			    "Body\n"
			    "Bcc: not a header\n");
	ck_assert_uint_eq(rc.n, 5);
	ck_assert_str_eq(rc.v[2].address, "secret@example.com");
	ck_assert_str_eq(rc.v[3].address, "other@example.com");
	ck_assert_str_eq(from, "alice@example.com");
	free(from);
	free(m);
	mime_addr_list_clear(&rc);
}
END_TEST

START_TEST(test_raw_adds_from_keeps_body)
{
	/* No header at all, an mbox From_ line, CRLF body kept byte for byte. */
	const char *in = "From someone Sat Jan  1 00:00:00 2000\n"
			 "just text\r\n.\r\nmore\r\n";
	struct mime_build_raw o = {.from = "Cron Daemon <root@example.com>", .fixed = FIXED};
	struct mime_addr_list rc;
	mime_addr_list_init(&rc);
	char *m = raw(in, &o, &rc, NULL);
	ck_assert_str_eq(m, "From: Cron Daemon <root@example.com>\r\n"
			    "Date: Sat, 12 Jan 2019 17:25:43 +0800\r\n"
			    "Message-ID: <id@test>\r\n"
			    "MIME-Version: 1.0\r\n"
			    "\r\n"
			    "just text\r\n.\r\nmore\r\n");
	ck_assert_uint_eq(rc.n, 0);
	free(m);
	mime_addr_list_clear(&rc);
}
END_TEST

START_TEST(test_raw_keeps_existing)
{
	const char *in = "Date: x\nMessage-ID: <a@b>\nMIME-Version: 1.0\nFrom: a@b.c\nTo: d@e.f\n\nb";
	const char *h[] = {"X-Extra: 1"};
	struct mime_build_raw o = {.from = "z@z.z", .headers = h, .n_headers = 1, .lf = true,
				   .fixed = FIXED};
	struct mime_addr_list rc;
	mime_addr_list_init(&rc);
	char *m = raw(in, &o, &rc, NULL);
	ck_assert_str_eq(m, "Date: x\nMessage-ID: <a@b>\nMIME-Version: 1.0\nFrom: a@b.c\nTo: d@e.f\n"
			    "X-Extra: 1\n\nb");
	free(m);
	mime_addr_list_clear(&rc);
	const char *bad[] = {"X-Bad: a\nb"};
	o.headers = bad;
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	struct qu_err err;
	ck_assert_int_eq(mime_build_raw_message(in, strlen(in), &o, &out, &rc, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	qu_buf_clear(&out);
	mime_addr_list_clear(&rc);
}
END_TEST

START_TEST(test_random_ids)
{
	/* Without fixed values: a Message-ID at the sender's domain, boundaries
	 * that differ between messages. */
	const char *p = put_file(0, "a.txt", "abc", 3);
	struct mime_build_file f[] = {{.path = p}};
	struct mime_build b = {.from = "a@例子.测试", .to = one_to, .n_to = 1, .text = "x",
			       .text_len = 1, .attachments = f, .n_attachments = 1, .lf = true};
	char *m1 = build(&b), *m2 = build(&b);
	ck_assert_ptr_nonnull(strstr(m1, "@xn--fsqu00a.xn--0zwm56d>\n"));
	const char *b1 = strstr(m1, "boundary="), *b2 = strstr(m2, "boundary=");
	ck_assert(strncmp(b1, b2, 40) != 0);
	ck_assert_ptr_nonnull(strstr(m1, "Date: "));
	free(m1);
	free(m2);
}
END_TEST

static Suite *
build_suite(void)
{
	Suite *s = suite_create("mime_build");
	TCase *t = tcase_create("build");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_plain_golden);
	tcase_add_test(t, test_crlf);
	tcase_add_test(t, test_chinese_headers);
	tcase_add_test(t, test_subject_words);
	tcase_add_test(t, test_long_subject_folds);
	tcase_add_test(t, test_encoded_word_limits);
	tcase_add_test(t, test_text_encodings);
	tcase_add_test(t, test_qp_rules);
	tcase_add_test(t, test_structure);
	tcase_add_test(t, test_golden_mixed);
	tcase_add_test(t, test_long_filenames);
	tcase_add_test(t, test_sender_rule);
	tcase_add_test(t, test_no_to);
	tcase_add_test(t, test_idn_and_reply_to);
	tcase_add_test(t, test_extra_headers);
	tcase_add_test(t, test_injection_refused);
	tcase_add_test(t, test_missing_file);
	tcase_add_test(t, test_big_attachment);
	tcase_add_test(t, test_addr_list);
	tcase_add_test(t, test_raw_bcc_removed);
	tcase_add_test(t, test_raw_adds_from_keeps_body);
	tcase_add_test(t, test_raw_keeps_existing);
	tcase_add_test(t, test_random_ids);
	tcase_add_test(t, test_description);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(build_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
