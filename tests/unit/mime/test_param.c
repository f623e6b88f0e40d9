/*
 * Content-Type / Content-Disposition values: type, parameters, RFC 2231
 * and RFC 2047 in parameters.
 */
#include "tcommon.h"

#define NONE MIME_DEFECT__COUNT

static const struct {
	bool ctype;
	const char *in;
	const char *token;
	const char *kv[6]; /* name, decoded value; name, value; ... */
	enum mime_defect_kind kind;
} cases[] = {
	{true, "text/plain", "text/plain", {NULL}, NONE},
	{true, "Text/HTML; Charset=\"UTF-8\"", "text/html", {"charset", "UTF-8"}, NONE},
	{true, "text/plain; charset=us-ascii (Plain text)", "text/plain", {"charset", "us-ascii"},
		NONE},
	{true, "text / plain ; charset = utf-8", "text/plain", {"charset", "utf-8"}, NONE},
	{true, "(comment) text/plain", "text/plain", {NULL}, NONE},
	{true, "text/plain;; ;charset=utf-8;", "text/plain", {"charset", "utf-8"}, NONE},
	{true, "text/plain;\r\n\tcharset=\"gb2312\";\r\n\tformat=flowed", "text/plain",
		{"charset", "gb2312", "format", "flowed"}, NONE},
	{true, "text", NULL, {NULL}, MIME_DEFECT_TYPE_SYNTAX},
	{true, "", NULL, {NULL}, MIME_DEFECT_TYPE_SYNTAX},
	{true, "/plain", NULL, {NULL}, MIME_DEFECT_TYPE_SYNTAX},
	{true, "text/", NULL, {NULL}, MIME_DEFECT_TYPE_SYNTAX},
	{true, "text/plain charset=utf-8", "text/plain", {"charset", "utf-8"},
		MIME_DEFECT_PARAM_SYNTAX},
	{true, "text/plain; foo; charset=utf-8", "text/plain", {"charset", "utf-8"},
		MIME_DEFECT_PARAM_SYNTAX},
	{true, "text/plain; =x; charset=utf-8", "text/plain", {"charset", "utf-8"},
		MIME_DEFECT_PARAM_SYNTAX},
	{true, "application/pdf; name=\"=?utf-8?B?5Lit5paH?=.pdf\"", "application/pdf",
		{"name", "中文.pdf"}, NONE},
	{true, "application/pdf; name==?utf-8?B?5Lit5paH?=.pdf", "application/pdf",
		{"name", "中文.pdf"}, NONE},
	{true, "application/pdf; name=\"=?gb2312?B?1tDOxA==?= =?gb2312?B?zsS8/g==?=.doc\"",
		"application/pdf", {"name", "中文文件.doc"}, NONE},
	{false, "attachment; filename*=UTF-8''%E4%B8%AD%E6%96%87.txt", "attachment",
		{"filename", "中文.txt"}, NONE},
	{false, "attachment; filename*=utf-8''%e4%b8%ad.txt", "attachment",
		{"filename", "中.txt"}, NONE},
	{false, "attachment; filename*=iso-8859-1'en'caf%E9.txt", "attachment",
		{"filename", "café.txt"}, NONE},
	{false, "attachment; filename*=gbk'zh-cn'%CC%D5%86%B4.mp3", "attachment",
		{"filename", "陶喆.mp3"}, NONE},
	/* Continuations (RFC 2231 §3). */
	{false, "attachment; filename*0=\"very long \"; filename*1=\"name.txt\"", "attachment",
		{"filename", "very long name.txt"}, NONE},
	{false, "attachment; filename*0*=UTF-8''%E4%B8; filename*1*=%AD.txt", "attachment",
		{"filename", "中.txt"}, NONE},
	{false, "attachment; name*0*=utf-8'zh'%E4%B8%AD; name*1*=%E6%96%87", "attachment",
		{"name", "中文"}, NONE},
	{false, "attachment; filename*0*=UTF-8''%E4%B8%AD; filename*1=\" plain%20part\"",
		"attachment", {"filename", "中 plain%20part"}, NONE},
	{false, "attachment; filename*1=\"b\"; filename*0=\"a\"; filename*2=\"c\"", "attachment",
		{"filename", "abc"}, NONE},
	{false, "attachment; filename*2*=%41; filename*0*=utf-8''x; filename*1=y", "attachment",
		{"filename", "xyA"}, NONE},
	{false, "attachment; filename*0=a; filename*2=c", "attachment", {"filename", "ac"},
		MIME_DEFECT_PARAM_MISSING_SECTION},
	{false, "attachment; filename*1=b; filename*2=c", "attachment", {"filename", "bc"},
		MIME_DEFECT_PARAM_MISSING_SECTION},
	{false, "attachment; filename*0=a; filename*0=b; filename*1=c", "attachment",
		{"filename", "ac"}, MIME_DEFECT_PARAM_DUPLICATE},
	{false, "attachment; filename*00=a; filename*01=b", "attachment", {"filename", "ab"}, NONE},
	{false, "attachment; filename*x=a", "attachment", {NULL}, MIME_DEFECT_PARAM_BAD_RFC2231},
	{false, "attachment; filename*99999=a", "attachment", {NULL},
		MIME_DEFECT_PARAM_BAD_RFC2231},
	/* RFC 2231 beats a plain value of the same name. */
	{false, "attachment; filename=\"fallback.txt\"; filename*=UTF-8''real.txt", "attachment",
		{"filename", "real.txt"}, NONE},
	{false, "attachment; filename*=UTF-8''real.txt; filename=\"fallback.txt\"", "attachment",
		{"filename", "real.txt"}, NONE},
	{false, "attachment; filename=a.txt; filename=b.txt", "attachment", {"filename", "a.txt"},
		MIME_DEFECT_PARAM_DUPLICATE},
	{false, "attachment; filename*=UTF-8''100%.txt", "attachment", {"filename", "100%.txt"},
		MIME_DEFECT_PARAM_BAD_RFC2231},
	{false, "attachment; filename*=%E4%B8%AD.txt", "attachment", {"filename", "中.txt"},
		MIME_DEFECT_PARAM_BAD_RFC2231},
	{false, "attachment; filename*=''abc%41", "attachment", {"filename", "abcA"}, NONE},
	{false, "attachment; filename*=\"UTF-8''%E4%B8%AD\"", "attachment", {"filename", "中"},
		NONE},
	{false, "attachment; filename*=x-nonsense''%E4%B8%AD", "attachment", {"filename", "中"},
		MIME_DEFECT_CHARSET_UNKNOWN},
	/* Plain values. */
	{false, "attachment; FileName=x", "attachment", {"filename", "x"}, NONE},
	{false, "attachment; filename=\"C:\\Users\\me\\a.txt\"", "attachment",
		{"filename", "C:\\Users\\me\\a.txt"}, NONE},
	{false, "attachment; filename=\"say \\\"hi\\\" \\\\o/\"", "attachment",
		{"filename", "say \"hi\" \\o/"}, NONE},
	{false, "attachment; filename=\"abc", "attachment", {"filename", "abc"},
		MIME_DEFECT_UNTERMINATED},
	{false, "attachment; filename=\"中文.txt\"", "attachment", {"filename", "中文.txt"}, NONE},
	{false, "attachment; filename=\"caf\xe9.txt\"", "attachment", {"filename", "café.txt"},
		MIME_DEFECT_HEADER_8BIT},
	{false, "attachment; filename=my file.txt", "attachment", {"filename", "my file.txt"}, NONE},
	{false, "attachment; filename=\"a.txt\"junk; size=3", "attachment",
		{"filename", "a.txt", "size", "3"}, MIME_DEFECT_PARAM_SYNTAX},
	{false, "attachment;\r\n filename=\"a\r\n b.txt\"", "attachment", {"filename", "a b.txt"},
		NONE},
	{false, "attachment; filename=\"  spaced.txt  \"", "attachment",
		{"filename", "spaced.txt"}, NONE},
	{false, "attachment; filename=\"a;b.txt\"; x=1", "attachment",
		{"filename", "a;b.txt", "x", "1"}, NONE},
	{false, "attachment; n\xe4me=x; filename=a", "attachment", {"filename", "a"},
		MIME_DEFECT_PARAM_SYNTAX},
	{true, "text/pl\xe9in; charset=utf-8", "text/pl", {"charset", "utf-8"},
		MIME_DEFECT_PARAM_SYNTAX},
	{false, "INLINE", "inline", {NULL}, NONE},
	{false, "", NULL, {NULL}, NONE},
	{false, "; filename=a", NULL, {"filename", "a"}, NONE},
	{false, "attachment (with a comment); filename=a", "attachment", {"filename", "a"}, NONE},
	{false, "form-data; name=\"field\"; filename=\"\"", "form-data",
		{"name", "field", "filename", ""}, NONE},
};

START_TEST(test_field)
{
	struct tdefects td;
	struct mime_field f;
	tdefects_init(&td);
	const char *in = cases[_i].in;
	if (cases[_i].ctype)
		mime_field_parse_content_type(in, strlen(in), &f, NULL, &td.d);
	else
		mime_field_parse_disposition(in, strlen(in), &f, NULL, &td.d);
	if (cases[_i].token)
		ck_assert_str_eq(f.token, cases[_i].token);
	else
		ck_assert_ptr_null(f.token);
	size_t nkv = 0;
	for (size_t k = 0; k < 6 && cases[_i].kv[k]; k += 2) {
		const char *v = mime_param_get(&f, cases[_i].kv[k]);
		ck_assert_msg(v != NULL, "%s: no %s", in, cases[_i].kv[k]);
		ck_assert_str_eq(v, cases[_i].kv[k + 1]);
		nkv++;
	}
	ck_assert_uint_eq(f.nparams, nkv);
	if (cases[_i].kind == NONE)
		ck_assert_msg(td.d.count == 0, "%s: %zu defects", in, td.d.count);
	else
		ck_assert_msg(td.kinds[cases[_i].kind] >= 1, "%s: no %s", in,
			mime_defect_name(cases[_i].kind));
	mime_field_clear(&f);
	mime_field_clear(&f);
}
END_TEST

/* Boundaries come back raw: unquoted, never decoded. */
static const struct {
	const char *in;
	const char *raw;
} boundary_cases[] = {
	{"multipart/mixed; boundary=simple", "simple"},
	{"multipart/mixed; boundary=\"----=_Part_1_2.3\"", "----=_Part_1_2.3"},
	{"multipart/mixed; boundary=----=_NextPart_000_0001", "----=_NextPart_000_0001"},
	{"multipart/mixed; boundary=\"q\\\"uote\"", "q\"uote"},
	{"multipart/alternative;\r\n\tboundary=\"=?utf-8?q?notdecoded?=\"", "=?utf-8?q?notdecoded?="},
	{"multipart/mixed; boundary=\"with space \"", "with space "},
	{"multipart/mixed; BOUNDARY=\"Up\"", "Up"},
	{"multipart/mixed; boundary=\"\"", ""},
	{"multipart/mixed; boundary=\"caf\xe9\"", "caf\xe9"},
};

START_TEST(test_boundary)
{
	struct mime_field f;
	size_t len = 99;
	const char *in = boundary_cases[_i].in;
	mime_field_parse_content_type(in, strlen(in), &f, NULL, NULL);
	const char *raw = mime_param_get_raw(&f, "boundary", &len);
	ck_assert_ptr_nonnull(raw);
	ck_assert_str_eq(raw, boundary_cases[_i].raw);
	ck_assert_uint_eq(len, strlen(boundary_cases[_i].raw));
	ck_assert_ptr_null(mime_param_get_raw(&f, "nope", NULL));
	ck_assert_ptr_null(mime_param_get(&f, "nope"));
	mime_field_clear(&f);
}
END_TEST

/* Far more parameters than PARAMS_MAX: the first ones count, one defect. */
START_TEST(test_many)
{
	struct qu_buf in;
	struct tdefects td;
	struct mime_field f;
	tdefects_init(&td);
	qu_buf_init(&in, SIZE_MAX);
	qu_buf_append_str(&in, "text/plain");
	for (int i = 0; i < 5000; i++)
		qu_buf_printf(&in, "; p%d*%d=v", i % 3, i);
	mime_field_parse_content_type(in.data, in.len, &f, NULL, &td.d);
	ck_assert_uint_eq(f.nparams, 3);
	ck_assert_uint_eq(td.kinds[MIME_DEFECT_PARAM_SYNTAX], 1);
	mime_field_clear(&f);
	qu_buf_clear(&in);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime-param");
	TCase *tc = tcase_create("param");
	tcase_add_loop_test(tc, test_field, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_loop_test(tc, test_boundary, 0, (int)QU_ARRAY_LEN(boundary_cases));
	tcase_add_test(tc, test_many);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
