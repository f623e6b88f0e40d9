/*
 * Charset conversion to UTF-8: aliases, legacy charsets, replacement,
 * detection of undeclared text, line ends.
 */
#include "tcommon.h"

#define FFFD "\xef\xbf\xbd"

struct ccase {
	const char *charset;
	const char *in;
	size_t inlen;
	const char *out;
	size_t defects;
};

static const struct ccase byte_cases[] = {
	{"utf-8", S("plain ascii"), "plain ascii", 0},
	{"UTF-8", S("caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x90\xa6"),
		"caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x90\xa6", 0},
	{" \"utf8\" ", S("x\xc3\xa9"), "x\xc3\xa9", 0},
	{"utf-8", S("\xef\xbb\xbfhi"), "hi", 0},                     /* BOM goes */
	{"utf-8", S("a\xff" "b"), "a" FFFD "b", 1},
	{"utf-8", S("a\xff\xfe" "b"), "a" FFFD FFFD "b", 1},        /* once per call */
	{"utf-8", S("\xe2\x82" "A"), FFFD "A", 1},                  /* maximal subpart */
	{"utf-8", S("\xf0\x80\x80"), FFFD FFFD FFFD, 1},            /* overlong */
	{"utf-8", S("\xed\xa0\x80"), FFFD FFFD FFFD, 1},            /* surrogate */
	{"utf-8", S("\xc0\xaf"), FFFD FFFD, 1},
	{"utf-8", S("abc\xe4\xb8"), "abc" FFFD, 1},                 /* truncated */
	{"utf-8", S("nul\x00ok"), "nul\x00ok", 0},
	{"iso-8859-1", S("caf\xe9"), "caf\xc3\xa9", 0},
	{"ISO-8859-1", S("\x80"), "\xe2\x82\xac", 0},               /* euro */
	{"latin1", S("\x81\x8d\x8f\x90\x9d"), "\xc2\x81\xc2\x8d\xc2\x8f\xc2\x90\xc2\x9d", 0},
	{"windows-1252", S("\x93quoted\x94 \x96 \x85"),
		"\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x80\x93 \xe2\x80\xa6", 0},
	{"cp1252", S("\x9f\xff"), "\xc5\xb8\xc3\xbf", 0},
	{"iso-8859-9", S("\xd0\xdd\xfe\x80"), "\xc4\x9e\xc4\xb0\xc5\x9f\xe2\x82\xac", 0},
	{"tis-620", S("\xa1\x80"), "\xe0\xb8\x81\xe2\x82\xac", 0},
	{"iso-8859-15", S("\xa4"), "\xe2\x82\xac", 0},
	{"iso-8859-2", S("\xb1\xe6"), "\xc4\x85\xc4\x87", 0},
	{"iso8859-7", S("\xe1"), "\xce\xb1", 0},
	{"windows-1251", S("\xcf\xf0\xe8"), "\xd0\x9f\xd1\x80\xd0\xb8", 0},
	{"koi8-r", S("\xf0\xd2\xc9"), "\xd0\x9f\xd1\x80\xd0\xb8", 0},
	{"gb2312", S("\xd6\xd0\xce\xc4"), "\xe4\xb8\xad\xe6\x96\x87", 0},
	{"gb2312", S("\xd6\xd0\xff\xce\xc4"), "\xe4\xb8\xad" FFFD "\xe6\x96\x87", 1},
	{"gbk", S("\xd6\xd0\xd6"), "\xe4\xb8\xad" FFFD, 1},          /* cut at the end */
	{"utf-16", S("\xff\xfe" "A\x00\x2d\x4e"), "A\xe4\xb8\xad", 0},
	{"utf-16", S("\xfe\xff\x00" "A\x4e\x2d"), "A\xe4\xb8\xad", 0},
	{"utf-16", S("h\x00i\x00"), "hi", 0},                        /* guessed LE */
	{"utf-16", S("\x00h\x00i"), "hi", 0},                        /* guessed BE */
	{"utf-16le", S("\xff\xfeh\x00"), "h", 0},
	{"utf-16be", S("\xfe\xff\x00h"), "h", 0},
	{"utf-16le", S("h\x00i"), "h" FFFD, 1},                      /* odd length */
	{"utf-16le", S("\x3d\xd8" "a\x00"), FFFD "a", 1},            /* lone surrogate */
	{"ucs-4", S("\x7f\xff\xff\xff\x00\x00\x00" "A"), FFFD "A", 1}, /* above U+10FFFF */
	{"utf-7", S("x+ZeVnLA-y"), "x\xe6\x97\xa5\xe6\x9c\xacy", 0},
	{"utf-7", S("1 +- 1"), "1 + 1", 0},
	{"iso-2022-jp", S("\x1b$B$\"\x1b(B ok"), "\xe3\x81\x82 ok", 0},
	{"iso-2022-jp", S("\x1b(I12\x1b(B"), "\xef\xbd\xb1\xef\xbd\xb2", 0}, /* ESC ( I */
	{"us-ascii", S("plain"), "plain", 0},
	{"us-ascii", S("caf\xc3\xa9"), "caf\xc3\xa9", 0},            /* valid UTF-8 */
	{"", S("caf\xc3\xa9"), "caf\xc3\xa9", 0},
	{"x-unknown-charset", S("caf\xc3\xa9"), "caf\xc3\xa9", 1},
	{"wchar_t", S("abc"), "abc", 1},                             /* no charset of mail */
	{"utf-8//IGNORE", S("abc"), "abc", 1},
	{NULL, S("plain"), "plain", 0},
	{NULL, S("\xe4\xb8\xad\xe6\x96\x87"), "\xe4\xb8\xad\xe6\x96\x87", 0},
};

START_TEST(test_bytes)
{
	const struct ccase *c = &byte_cases[_i];
	struct qu_buf out;
	struct mime_defects d = {0};
	qu_buf_init(&out, SIZE_MAX);
	ck_assert_int_eq(mime_charset_to_utf8(NULL, c->charset, c->in, c->inlen, &out, &d, NULL), 0);
	ck_assert_mem_eq_n(out.data ? out.data : "", out.len, c->out, strlen(c->out) +
		(c->inlen && !memcmp(c->in, "nul", 3) ? 3 : 0));
	ck_assert_msg(d.count == c->defects, "%s: %zu defects, want %zu", c->charset, d.count,
		c->defects);
	qu_buf_clear(&out);
}
END_TEST

/* Text written here in UTF-8, turned into a legacy charset with iconv,
 * declared as label, converted back. */
static const struct {
	const char *text;
	const char *encode_as;
	const char *label;
} round_cases[] = {
	{"欢迎使用邮件客户端，今天天气很好。", "GB2312", "gb2312"},
	/* 陶喆 and 镕 are GBK, not GB2312: gb2312 is read as GB18030. */
	{"陶喆的新歌和朱镕基的书都在桌上。", "GBK", "gb2312"},
	{"陶喆的新歌和朱镕基的书都在桌上。", "GBK", "x-gbk"},
	{"陶喆的新歌和朱镕基的书都在桌上。", "GBK", "GBK"},
	{"这封邮件包含一个表情符号😀和罕见字𠀀。", "GB18030", "gb18030"},
	{"這是一封測試郵件，請勿回覆。", "BIG5", "big5"},
	{"香港字：㗎、嘅、啲。", "BIG5-HKSCS", "big5"},
	{"こんにちは、世界。日本語のテストです。", "ISO-2022-JP", "iso-2022-jp"},
	{"明日の会議は午後三時からです。", "SHIFT_JIS", "shift_jis"},
	/* ① and ～ exist only in CP932, the Windows Shift_JIS. */
	{"丸数字①②③と波線～と髙橋さん。", "CP932", "shift_jis"},
	{"丸数字①②③と波線～と髙橋さん。", "CP932", "x-sjis"},
	{"東京都の天気は晴れです。", "EUC-JP", "euc-jp"},
	{"안녕하세요, 메일 테스트입니다.", "EUC-KR", "euc-kr"},
	/* 똠 and 햏 are CP949 (UHC) only. */
	{"똠방각하와 햏자가 만났다.", "CP949", "ks_c_5601-1987"},
	{"똠방각하와 햏자가 만났다.", "CP949", "euc-kr"},
	{"Привет, как дела?", "KOI8-R", "koi8-r"},
	{"Γειά σου κόσμε", "ISO-8859-7", "iso-8859-7"},
	{"שלום עולם", "ISO-8859-8", "iso-8859-8-i"},
	{"สวัสดีครับ", "TIS-620", "tis-620"},
	{"Ağaç, şeker, İstanbul", "ISO-8859-9", "iso-8859-9"},
	{"Żółć gęślą jaźń", "CP1250", "windows-1250"},
	{"Tiếng Việt có dấu", "UTF-8", "utf-8"},
	{"Emoji 🐦 and math ∑ in UTF-7", "UTF-7", "utf-7"},
	{"UTF-16 with BOM: 中文", "UTF-16", "utf-16"},
	{"UTF-16LE: 中文", "UTF-16LE", "utf-16le"},
	{"UTF-16BE: 中文", "UTF-16BE", "UTF-16BE"},
	{"Grüße aus Köln", "MACINTOSH", "macintosh"},
};

START_TEST(test_roundtrip)
{
	struct qu_buf enc, out;
	struct mime_defects d = {0};
	qu_buf_init(&enc, SIZE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	to_charset(round_cases[_i].text, round_cases[_i].encode_as, &enc);
	ck_assert_int_eq(mime_charset_to_utf8(NULL, round_cases[_i].label, enc.data, enc.len, &out,
				 &d, NULL),
		0);
	ck_assert_str_eq(out.data, round_cases[_i].text);
	ck_assert_uint_eq(d.count, 0);
	qu_buf_clear(&enc);
	qu_buf_clear(&out);
}
END_TEST

/* Undeclared (or us-ascii) 8-bit text: uchardet on a realistic sentence. */
static const struct {
	const char *text;
	const char *encode_as;
	const char *label;
} detect_cases[] = {
	{"我们公司明天下午三点在会议室召开年度总结会议，请各部门负责人准时参加，并提前准备好本部门的"
	 "工作报告。谢谢大家的配合！",
		"GBK", NULL},
	{"我们公司明天下午三点在会议室召开年度总结会议，请各部门负责人准时参加，并提前准备好本部门的"
	 "工作报告。谢谢大家的配合！",
		"GBK", "us-ascii"},
	{"我们公司明天下午三点在会议室召开年度总结会议，请各部门负责人准时参加，并提前准备好本部门的"
	 "工作报告。谢谢大家的配合！",
		"GBK", "x-no-such-charset"},
	{"這是一封測試郵件，請各位同事在星期五之前回覆，謝謝大家的合作。", "BIG5", NULL},
	{"明日の会議は午後三時から始まります。資料を準備してください。よろしくお願いします。",
		"SHIFT_JIS", NULL},
	{"안녕하세요, 내일 회의는 오후 세 시에 시작합니다. 자료를 준비해 주세요.", "EUC-KR", NULL},
	{"Привет, как дела? Встреча завтра в три часа дня.", "KOI8-R", NULL},
	{"Grüße aus München, die Straße ist schön.", "CP1252", NULL},
};

START_TEST(test_detect)
{
	struct qu_buf enc, out;
	struct tdefects td;
	tdefects_init(&td);
	qu_buf_init(&enc, SIZE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	to_charset(detect_cases[_i].text, detect_cases[_i].encode_as, &enc);
	ck_assert_int_eq(mime_charset_to_utf8(NULL, detect_cases[_i].label, enc.data, enc.len, &out,
				 &td.d, NULL),
		0);
	ck_assert_str_eq(out.data, detect_cases[_i].text);
	ck_assert_uint_eq(td.kinds[MIME_DEFECT_CHARSET_GUESSED], 1);
	ck_assert_uint_eq(td.kinds[MIME_DEFECT_CHARSET_INVALID], 0);
	qu_buf_clear(&enc);
	qu_buf_clear(&out);
}
END_TEST

/* Detection gives up: windows-1252. */
START_TEST(test_detect_fallback)
{
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	mime_charset_to_utf8(NULL, NULL, S("\x80"), &out, NULL, NULL);
	ck_assert_str_eq(out.data, "\xe2\x82\xac");
	qu_buf_clear(&out);
}
END_TEST

/* SPEC §7: only a confident detection overrides windows-1252. A few
 * 8-bit bytes in a short text are no evidence (uchardet 0.0.7 gives no
 * confidence): windows-1252, as for "na\xefve". */
static const struct {
	const char *in, *out;
} short_cases[] = {
	{"na\xefve", "na\xc3\xafve"},
	{"caf\xe9 cr\xe8me", "caf\xc3\xa9 cr\xc3\xa8me"},
	{"\xc0 bient\xf4t, Fran\xe7ois", "\xc3\x80 bient\xc3\xb4t, Fran\xc3\xa7ois"},
	{"Gr\xfc\xdf" "e", "Gr\xc3\xbc\xc3\x9f" "e"},
};

START_TEST(test_detect_short)
{
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	const char *in = short_cases[_i].in;
	ck_assert_int_eq(mime_charset_to_utf8(NULL, NULL, in, strlen(in), &out, NULL, NULL), 0);
	ck_assert_str_eq(out.data, short_cases[_i].out);
	qu_buf_clear(&out);
}
END_TEST

static const struct {
	const char *label;
	const char *name;
} canon_cases[] = {
	{"gb2312", "GB18030"}, {"GBK", "GB18030"}, {"x-gbk", "GB18030"}, {"euc-cn", "GB18030"},
	{"big5", "BIG5-HKSCS"}, {"shift_jis", "CP932"}, {"SJIS", "CP932"}, {"x-sjis", "CP932"},
	{"euc-kr", "CP949"}, {"ks_c_5601-1987", "CP949"}, {"iso-8859-1", "WINDOWS-1252"},
	{"Latin1", "WINDOWS-1252"}, {"iso-8859-9", "CP1254"}, {"tis-620", "CP874"},
	{"utf8", "UTF-8"}, {"UTF-8", "UTF-8"}, {"iso-2022-jp", "ISO-2022-JP-2"},
	{"koi8-r", "KOI8-R"}, {"windows-1251", "WINDOWS-1251"}, {"iso-8859-2", "ISO-8859-2"},
	{" \"utf-7\" ", "UTF-7"}, {"unicode", "UTF-16"}, {"x-mac-roman", "MACINTOSH"},
	{"us-ascii", NULL}, {"ASCII", NULL}, {"", NULL}, {"   ", NULL}, {"wchar_t", NULL},
	{"a/b", NULL}, {"utf-8//translit", NULL}, {"x y", NULL},
	{"a-very-long-charset-label-that-is-too-long", NULL},
};

START_TEST(test_canonical)
{
	char buf[32];
	const char *l = canon_cases[_i].label;
	const char *got = mime_charset_canonical(l, strlen(l), buf, sizeof buf);
	if (!canon_cases[_i].name)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, canon_cases[_i].name);
}
END_TEST

/* More charsets than the cache has slots, over and over. */
START_TEST(test_cache)
{
	struct mime_charset_cache cache;
	mime_charset_cache_init(&cache);
	static const char *const labels[] = {"gbk", "big5", "koi8-r", "euc-kr", "shift_jis",
		"iso-8859-2", "x-bogus", "utf-16le"};
	for (int round = 0; round < 3; round++) {
		for (size_t k = 0; k < QU_ARRAY_LEN(labels); k++) {
			struct qu_buf out;
			qu_buf_init(&out, SIZE_MAX);
			mime_charset_to_utf8(&cache, labels[k], S("a\xb1\xb2"), &out, NULL, NULL);
			ck_assert_ptr_nonnull(out.data);
			ck_assert(qu_utf8_valid(out.data, out.len));
			ck_assert_uint_ge(out.len, 1);
			qu_buf_clear(&out);
		}
		struct qu_buf out;
		qu_buf_init(&out, SIZE_MAX);
		to_charset("陶喆", "GBK", &out);
		struct qu_buf back;
		qu_buf_init(&back, SIZE_MAX);
		mime_charset_to_utf8(&cache, NULL, out.data, out.len, &back, NULL, NULL);
		ck_assert(qu_utf8_valid(back.data, back.len));
		qu_buf_clear(&out);
		qu_buf_clear(&back);
	}
	mime_charset_cache_clear(&cache);
	mime_charset_cache_clear(&cache); /* twice is fine */
}
END_TEST

START_TEST(test_cap)
{
	struct qu_buf out;
	struct qu_err err;
	qu_buf_init(&out, 5);
	ck_assert_int_eq(mime_charset_to_utf8(NULL, "gbk", S("\xd6\xd0\xce\xc4"), &out, NULL, &err),
		-1);
	ck_assert_int_eq(err.cls, QU_E_DATA);
	ck_assert_uint_le(out.len, 5);
	qu_buf_reset(&out);
	ck_assert_int_eq(mime_charset_to_utf8(NULL, "utf-8", S("123456"), &out, NULL, &err), -1);
	qu_buf_clear(&out);
}
END_TEST

static const struct {
	const char *in;
	const char *out;
} eol_cases[] = {
	{"", ""}, {"a", "a"}, {"a\r\nb", "a\nb"}, {"a\rb", "a\nb"}, {"a\nb", "a\nb"},
	{"\r\n\r\n", "\n\n"}, {"\r\r\n", "\n\n"}, {"a\r", "a\n"}, {"\n\r", "\n\n"},
	{"x\r\ny\rz\n", "x\ny\nz\n"},
};

START_TEST(test_eol)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, eol_cases[_i].in);
	mime_eol_to_lf(&b);
	ck_assert_str_eq(b.data ? b.data : "", eol_cases[_i].out);
	ck_assert_uint_eq(b.len, strlen(eol_cases[_i].out));
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_raw)
{
	struct qu_buf b;
	struct mime_defects d = {0};
	qu_buf_init(&b, SIZE_MAX);
	mime_raw_to_utf8(S("caf\xc3\xa9"), &b, &d);
	ck_assert_str_eq(b.data, "caf\xc3\xa9");
	ck_assert_uint_eq(d.count, 0);
	qu_buf_reset(&b);
	mime_raw_to_utf8(S("caf\xe9"), &b, &d);
	ck_assert_str_eq(b.data, "caf\xc3\xa9");
	ck_assert_uint_eq(d.count, 1);
	qu_buf_clear(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime-charset");
	TCase *tc = tcase_create("convert");
	tcase_add_loop_test(tc, test_bytes, 0, (int)QU_ARRAY_LEN(byte_cases));
	tcase_add_loop_test(tc, test_roundtrip, 0, (int)QU_ARRAY_LEN(round_cases));
	tcase_add_loop_test(tc, test_detect, 0, (int)QU_ARRAY_LEN(detect_cases));
	tcase_add_test(tc, test_detect_fallback);
	tcase_add_loop_test(tc, test_detect_short, 0, (int)QU_ARRAY_LEN(short_cases));
	tcase_add_loop_test(tc, test_canonical, 0, (int)QU_ARRAY_LEN(canon_cases));
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_cap);
	tcase_add_loop_test(tc, test_eol, 0, (int)QU_ARRAY_LEN(eol_cases));
	tcase_add_test(tc, test_raw);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
