/*
 * Transfer decoders: base64, quoted-printable, uuencode, identity, and the
 * Content-Transfer-Encoding value.
 */
#include "tcommon.h"

struct dcase {
	const char *in;
	size_t inlen;
	const char *out;
	size_t outlen;
	size_t defects;
};

#define C(in, out, nd) {S(in), S(out), nd}

static const struct dcase b64_cases[] = {
	C("", "", 0),
	C("QQ==", "A", 0),
	C("QUI=", "AB", 0),
	C("QUJD", "ABC", 0),
	C("QUJDRA==", "ABCD", 0),
	C("aGVsbG8gd29ybGQ=", "hello world", 0),
	C("QU\r\nJD", "ABC", 0),
	C("QU\nJD\n", "ABC", 0),
	C(" Q U\tJ D ", "ABC", 0),
	C("QUJ", "AB", 1),                      /* last quantum without padding */
	C("QQ", "A", 1),
	C("QUJDRA", "ABCD", 1),
	C("Q", "", 1),                          /* a lone sextet */
	C("QUJDR", "ABC", 1),
	C("QU*JD", "ABC", 1),                   /* garbage skipped */
	C("Q!U@J#D$", "ABC", 1),                /* recorded once per decoder */
	C("QU\x80JD\xff", "ABC", 1),
	C("QQ==QUI=", "AAB", 1),                /* data after padding */
	C("QQ==\r\nQUI=\r\n", "AAB", 1),
	C("QQ=", "A", 0),                       /* short padding is fine */
	C("QQ===", "A", 0),
	C("QQ==\r\n\r\n", "A", 0),
	C("=QUJD", "ABC", 2),                   /* stray '=' then data after it */
	C("Q=QUJD", "ABC", 2),
	C("AP8=", "\x00\xff", 0),
	C("AAECAwQFBgcICQ==", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 0),
	C("-_-_", "", 1),                       /* base64url is not base64 */
	C("5Lit5paH", "\xe4\xb8\xad\xe6\x96\x87", 0),
	C("////", "\xff\xff\xff", 0),
	C("++++", "\xfb\xef\xbe", 0),
};

static const struct dcase qp_cases[] = {
	C("", "", 0),
	C("abc", "abc", 0),
	C("a=3Db", "a=b", 0),
	C("a=3db", "a=b", 0),                   /* lower case hex */
	C("=E4=B8=AD=e6=96=87", "\xe4\xb8\xad\xe6\x96\x87", 0),
	C("=00=FF", "\x00\xff", 0),
	C("soft=\r\nbreak", "softbreak", 0),
	C("soft=\nbreak", "softbreak", 0),
	C("soft= \t\r\nbreak", "softbreak", 0), /* transport padding after '=' */
	C("soft=  \nbreak", "softbreak", 0),
	C("trail  \r\nx", "trail\r\nx", 0),     /* white space at a line end goes */
	C("trail \t\nx", "trail\nx", 0),
	C("trail   ", "trail", 0),              /* the end of data is a line end */
	C("in side\r\n", "in side\r\n", 0),
	C("a\r\nb\nc\r\n", "a\r\nb\nc\r\n", 0), /* line ends as in the input */
	C("x\ry", "x\ry", 0),                   /* a lone CR is data */
	C("x \ry", "x \ry", 0),
	C("x \r", "x \r", 0),
	C("a=ZZb", "a=ZZb", 1),                 /* bad escape kept */
	C("a=4xb", "a=4xb", 1),
	C("a=4", "a=4", 1),
	C("a=\rb", "a=\rb", 1),
	C("a= b", "a= b", 1),
	C("a==41", "a=A", 1),
	C("a=G1=ZZ", "a=G1=ZZ", 1),             /* recorded once per decoder */
	C("a=", "a", 0),                        /* soft break before the boundary */
	C("a= \t", "a", 0),
	C("a=\r", "a", 0),
	C("=\n=\r\n", "", 0),
	C("caf=C3=A9 =\r\ncr=C3=A8me", "caf\xc3\xa9 cr\xc3\xa8me", 0),
	C("tab\there", "tab\there", 0),
	C("=20\r\n", " \r\n", 0),               /* encoded white space stays */
	C("x=09 \r\n", "x\t\r\n", 0),
};

static void
check_decode(enum mime_cte cte, const struct dcase *c)
{
	struct qu_buf out;
	struct mime_defects d = {0};
	struct qu_err err;
	qu_buf_init(&out, SIZE_MAX);
	ck_assert_int_eq(mime_decode(cte, c->in, c->inlen, &out, &d, &err), 0);
	ck_assert_mem_eq_n(out.data ? out.data : "", out.len, c->out, c->outlen);
	ck_assert_msg(d.count == c->defects, "\"%s\": %zu defects, want %zu", c->in, d.count,
		c->defects);
	qu_buf_clear(&out);
}

/* Every split point, and one byte at a time, give the same result. */
static void
check_chunks(enum mime_cte cte, const struct dcase *c)
{
	for (size_t split = 0; split <= c->inlen + 1; split++) {
		struct qu_buf out;
		struct mime_defects d = {0};
		struct mime_decoder dec;
		qu_buf_init(&out, SIZE_MAX);
		mime_decoder_init(&dec, cte);
		if (split <= c->inlen) {
			mime_decoder_feed(&dec, c->in, split, &out, &d, NULL);
			mime_decoder_feed(&dec, c->in + split, c->inlen - split, &out, &d, NULL);
		} else {
			for (size_t i = 0; i < c->inlen; i++)
				mime_decoder_feed(&dec, c->in + i, 1, &out, &d, NULL);
		}
		mime_decoder_finish(&dec, &out, &d, NULL);
		ck_assert_mem_eq_n(out.data ? out.data : "", out.len, c->out, c->outlen);
		ck_assert_msg(d.count == c->defects, "split %zu of \"%s\": %zu defects", split,
			c->in, d.count);
		qu_buf_clear(&out);
	}
}

START_TEST(test_b64_table)
{
	check_decode(MIME_CTE_BASE64, &b64_cases[_i]);
}
END_TEST

START_TEST(test_b64_chunks)
{
	check_chunks(MIME_CTE_BASE64, &b64_cases[_i]);
}
END_TEST

START_TEST(test_qp_table)
{
	check_decode(MIME_CTE_QP, &qp_cases[_i]);
}
END_TEST

START_TEST(test_qp_chunks)
{
	check_chunks(MIME_CTE_QP, &qp_cases[_i]);
}
END_TEST

/* The defect kinds, at their offsets. */
static size_t last_off;
static enum mime_defect_kind last_kind;

static void
remember(void *ctx, enum mime_defect_kind kind, size_t off)
{
	(void)ctx;
	last_kind = kind;
	last_off = off;
}

START_TEST(test_defect_offsets)
{
	struct qu_buf out;
	struct mime_defects d = {.fn = remember, .base = 1000};
	qu_buf_init(&out, SIZE_MAX);
	struct mime_b64 s;
	mime_b64_init(&s);
	mime_b64_feed(&s, S("QUJD"), &out, &d, NULL);
	mime_b64_feed(&s, S("QU*"), &out, &d, NULL);
	ck_assert_int_eq(last_kind, MIME_DEFECT_B64_BAD_CHAR);
	ck_assert_uint_eq(last_off, 1006);
	mime_b64_finish(&s, &out, &d, NULL);
	ck_assert_int_eq(last_kind, MIME_DEFECT_B64_NO_PADDING);
	ck_assert_uint_eq(last_off, 1007);
	ck_assert_str_eq(mime_defect_name(MIME_DEFECT_B64_BAD_CHAR), "base64_bad_char");
	ck_assert_str_eq(mime_defect_name(MIME_DEFECT__COUNT), "unknown");
	for (int k = 0; k < MIME_DEFECT__COUNT; k++)
		ck_assert_str_ne(mime_defect_name((enum mime_defect_kind)k), "unknown");
	qu_buf_clear(&out);
}
END_TEST

/* Long trailing white space: the first MIME_QP_WS_MAX bytes are kept. */
START_TEST(test_qp_long_ws)
{
	struct qu_buf in, out, want;
	qu_buf_init(&in, SIZE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	qu_buf_init(&want, SIZE_MAX);
	qu_buf_append_str(&in, "a");
	qu_buf_append_str(&want, "a");
	for (int i = 0; i < MIME_QP_WS_MAX + 50; i++)
		qu_buf_append_byte(&in, ' ');
	for (int i = 0; i < MIME_QP_WS_MAX; i++)
		qu_buf_append_byte(&want, ' ');
	qu_buf_append_str(&in, "\nb");
	qu_buf_append_str(&want, "\nb");
	ck_assert_int_eq(mime_decode(MIME_CTE_QP, in.data, in.len, &out, NULL, NULL), 0);
	ck_assert_mem_eq_n(out.data, out.len, want.data, want.len);
	qu_buf_clear(&in);
	qu_buf_clear(&out);
	qu_buf_clear(&want);
}
END_TEST

/* A capped output buffer: -1 with QU_E_DATA, never more than the cap. */
START_TEST(test_cap)
{
	struct qu_buf out;
	struct qu_err err;
	qu_err_clear(&err);
	qu_buf_init(&out, 4);
	ck_assert_int_eq(mime_decode(MIME_CTE_BASE64, S("QUJD"), &out, NULL, &err), 0);
	ck_assert_int_eq(mime_decode(MIME_CTE_BASE64, S("QUJD"), &out, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_DATA);
	ck_assert_uint_le(out.len, 4);
	qu_buf_reset(&out);
	ck_assert_int_eq(mime_decode(MIME_CTE_QP, S("abcdef"), &out, NULL, &err), -1);
	qu_buf_reset(&out);
	ck_assert_int_eq(mime_decode(MIME_CTE_7BIT, S("abcdef"), &out, NULL, &err), -1);
	qu_buf_clear(&out);
}
END_TEST

/* ---- uuencode ---------------------------------------------------------- */

/* A small uuencoder for round trips (POSIX uuencode with '`' for zero). */
static void
uuencode(const unsigned char *p, size_t n, const char *eol, struct qu_buf *out)
{
	for (size_t i = 0; i < n; i += 45) {
		size_t l = n - i < 45 ? n - i : 45;
		qu_buf_append_byte(out, (char)(l + 32));
		for (size_t g = 0; g < l; g += 3) {
			unsigned b0 = p[i + g];
			unsigned b1 = g + 1 < l ? p[i + g + 1] : 0;
			unsigned b2 = g + 2 < l ? p[i + g + 2] : 0;
			unsigned v[4] = {b0 >> 2, ((b0 & 3) << 4) | (b1 >> 4),
				((b1 & 15) << 2) | (b2 >> 6), b2 & 63};
			for (int k = 0; k < 4; k++)
				qu_buf_append_byte(out, v[k] ? (char)(v[k] + 32) : '`');
		}
		qu_buf_append_str(out, eol);
	}
	qu_buf_append_byte(out, '`');
	qu_buf_append_str(out, eol);
}

START_TEST(test_uu_roundtrip)
{
	static const size_t sizes[] = {0, 1, 2, 3, 44, 45, 46, 90, 1000};
	const char *eol = _i % 2 ? "\r\n" : "\n";
	size_t n = sizes[_i / 2];
	unsigned char data[1000];
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 37 + 11);
	struct qu_buf enc, out;
	qu_buf_init(&enc, SIZE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	qu_buf_printf(&enc, "some text before%sbegin 644 my file.bin%s", eol, eol);
	uuencode(data, n, eol, &enc);
	qu_buf_printf(&enc, "end%sand after%s", eol, eol);
	/* In chunks of 7 bytes. */
	struct mime_uu s;
	struct mime_defects d = {0};
	mime_uu_init(&s);
	for (size_t i = 0; i < enc.len; i += 7)
		mime_uu_feed(&s, enc.data + i, enc.len - i < 7 ? enc.len - i : 7, &out, &d, NULL);
	mime_uu_finish(&s, &out, &d, NULL);
	ck_assert_mem_eq_n(out.data ? out.data : "", out.len, (const char *)data, n);
	ck_assert_uint_eq(d.count, 0);
	ck_assert_str_eq(s.name, "my file.bin");
	ck_assert_uint_eq(s.mode, 0644);
	qu_buf_clear(&enc);
	qu_buf_clear(&out);
}
END_TEST

static const struct dcase uu_cases[] = {
	C("begin 644 cat.txt\n#0V%T\n`\nend\n", "Cat", 0),
	C("begin 600 cat.txt\r\n#0V%T\r\n`\r\nend\r\n", "Cat", 0),
	C("begin 644 cat.txt\n#0V%T\nend\n", "Cat", 0),      /* no zero-length line */
	C("begin 644 cat.txt\n#0V%T\n\nend\n", "Cat", 0),    /* empty zero-length line */
	C("begin 644 cat.txt\n#0V%T\n", "Cat", 1),           /* no end */
	C("#0V%T\n`\nend\n", "", 1),                         /* no begin */
	C("", "", 1),
	C("begin 644 x\n#0V\n`\nend\n", "C`\x00", 1),       /* short line: zeros */
	C("begin 644 x\n#0V%T\n`\nend\n#0V%T\n", "Cat", 0), /* after end: ignored */
	C("begin 644 x\n#0V%T   \n`\nend\n", "Cat", 0),     /* trailing spaces */
	C("begin 644 x\n#0v%T\n`\nend\n", "Aat", 1),         /* out of range char */
	C("begin-base64 644 x\nQUJD\n====\n", "", 1),        /* not uuencode */
	C("junk\nbegin 644\n!80``\n`\nend", "a", 0),          /* no name */
};

START_TEST(test_uu_table)
{
	check_decode(MIME_CTE_UUENCODE, &uu_cases[_i]);
}
END_TEST

START_TEST(test_uu_chunks)
{
	check_chunks(MIME_CTE_UUENCODE, &uu_cases[_i]);
}
END_TEST

/* ---- identity and the header value ------------------------------------ */

START_TEST(test_identity)
{
	static const enum mime_cte ctes[] = {MIME_CTE_7BIT, MIME_CTE_8BIT, MIME_CTE_BINARY,
		MIME_CTE_UNKNOWN};
	struct dcase c = {S("a\r\n=ZZ\x00\xff QUJD"), S("a\r\n=ZZ\x00\xff QUJD"), 0};
	check_decode(ctes[_i], &c);
	check_chunks(ctes[_i], &c);
}
END_TEST

static const struct {
	const char *in;
	enum mime_cte cte;
	size_t defects;
} cte_cases[] = {
	{"base64", MIME_CTE_BASE64, 0},
	{"BASE64", MIME_CTE_BASE64, 0},
	{"  Base64  ", MIME_CTE_BASE64, 0},
	{"\"base64\"", MIME_CTE_BASE64, 0},
	{"base64 (sent by a robot)", MIME_CTE_BASE64, 0},
	{"(why) base64", MIME_CTE_BASE64, 0},
	{"quoted-printable", MIME_CTE_QP, 0},
	{"Quoted-Printable\r\n", MIME_CTE_QP, 0},
	{"7bit", MIME_CTE_7BIT, 0},
	{"8BIT", MIME_CTE_8BIT, 0},
	{"binary", MIME_CTE_BINARY, 0},
	{"x-uuencode", MIME_CTE_UUENCODE, 0},
	{"X-UUE", MIME_CTE_UUENCODE, 0},
	{"uuencode", MIME_CTE_UUENCODE, 0},
	{"", MIME_CTE_7BIT, 0},
	{"   ", MIME_CTE_7BIT, 0},
	{"x-gzip64", MIME_CTE_UNKNOWN, 1},
	{"quoted-printables", MIME_CTE_UNKNOWN, 1},
	{"8-bit", MIME_CTE_UNKNOWN, 1},
};

START_TEST(test_cte_parse)
{
	struct mime_defects d = {0};
	const char *in = cte_cases[_i].in;
	ck_assert_int_eq(mime_cte_parse(in, strlen(in), &d), cte_cases[_i].cte);
	ck_assert_uint_eq(d.count, cte_cases[_i].defects);
	ck_assert_str_ne(mime_cte_name(cte_cases[_i].cte), "");
}
END_TEST

/* A large body in odd chunks decodes like the whole. */
START_TEST(test_large_chunked)
{
	struct qu_buf raw, enc, whole, parts;
	qu_buf_init(&raw, SIZE_MAX);
	qu_buf_init(&whole, SIZE_MAX);
	qu_buf_init(&parts, SIZE_MAX);
	for (size_t i = 0; i < 300000; i++)
		qu_buf_append_byte(&raw, (char)((i * 7919) >> 3));
	size_t elen;
	char *e = qu_base64_encode(raw.data, raw.len, &elen);
	qu_buf_init(&enc, SIZE_MAX);
	for (size_t i = 0; i < elen; i += 76) {
		qu_buf_append(&enc, e + i, elen - i < 76 ? elen - i : 76);
		qu_buf_append_str(&enc, "\r\n");
	}
	free(e);
	ck_assert_int_eq(mime_decode(MIME_CTE_BASE64, enc.data, enc.len, &whole, NULL, NULL), 0);
	ck_assert_mem_eq_n(whole.data, whole.len, raw.data, raw.len);
	struct mime_decoder dec;
	mime_decoder_init(&dec, MIME_CTE_BASE64);
	size_t i = 0, step = 1;
	while (i < enc.len) {
		size_t k = enc.len - i < step ? enc.len - i : step;
		mime_decoder_feed(&dec, enc.data + i, k, &parts, NULL, NULL);
		i += k;
		step = step * 3 % 4099 + 1;
	}
	mime_decoder_finish(&dec, &parts, NULL, NULL);
	ck_assert_mem_eq_n(parts.data, parts.len, raw.data, raw.len);
	qu_buf_clear(&raw);
	qu_buf_clear(&enc);
	qu_buf_clear(&whole);
	qu_buf_clear(&parts);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime-codec");
	TCase *tc = tcase_create("base64");
	tcase_add_loop_test(tc, test_b64_table, 0, (int)QU_ARRAY_LEN(b64_cases));
	tcase_add_loop_test(tc, test_b64_chunks, 0, (int)QU_ARRAY_LEN(b64_cases));
	tcase_add_test(tc, test_defect_offsets);
	tcase_add_test(tc, test_large_chunked);
	suite_add_tcase(s, tc);
	tc = tcase_create("qp");
	tcase_add_loop_test(tc, test_qp_table, 0, (int)QU_ARRAY_LEN(qp_cases));
	tcase_add_loop_test(tc, test_qp_chunks, 0, (int)QU_ARRAY_LEN(qp_cases));
	tcase_add_test(tc, test_qp_long_ws);
	suite_add_tcase(s, tc);
	tc = tcase_create("uu");
	tcase_add_loop_test(tc, test_uu_roundtrip, 0, 18);
	tcase_add_loop_test(tc, test_uu_table, 0, (int)QU_ARRAY_LEN(uu_cases));
	tcase_add_loop_test(tc, test_uu_chunks, 0, (int)QU_ARRAY_LEN(uu_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("other");
	tcase_add_loop_test(tc, test_identity, 0, 4);
	tcase_add_loop_test(tc, test_cte_parse, 0, (int)QU_ARRAY_LEN(cte_cases));
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
