/*
 * Transfer decoders (base64, quoted-printable, uuencode) and charset
 * conversion. The first byte picks a chunk size; decoding in chunks must
 * give the same bytes and defect count as decoding at once.
 */
#include "fuzz_common.h"

static void
check_cte(enum mime_cte cte, const char *p, size_t n, size_t step)
{
	struct qu_buf whole, parts;
	struct mime_defects d1 = {0}, d2 = {0};
	struct mime_decoder dec;
	qu_buf_init(&whole, SIZE_MAX);
	qu_buf_init(&parts, SIZE_MAX);
	mime_decode(cte, p, n, &whole, &d1, NULL);
	mime_decoder_init(&dec, cte);
	for (size_t i = 0; i < n; i += step)
		mime_decoder_feed(&dec, p + i, n - i < step ? n - i : step, &parts, &d2, NULL);
	mime_decoder_finish(&dec, &parts, &d2, NULL);
	if (whole.len != parts.len || (whole.len && memcmp(whole.data, parts.data, whole.len)) ||
		d1.count != d2.count)
		abort();
	qu_buf_clear(&whole);
	qu_buf_clear(&parts);
}

static const char *const charsets[] = {
	NULL, "utf-8", "gbk", "big5", "shift_jis", "iso-2022-jp", "euc-kr", "utf-16",
	"utf-16le", "utf-7", "iso-8859-1", "koi8-r", "x-unknown", "us-ascii", "gb18030", "utf-32",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t step = (size_t)(data[0] & 0x3F) + 1;
	const char *cs = charsets[(data[0] >> 4) & 0x0F];
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	check_cte(MIME_CTE_BASE64, p, n, step);
	check_cte(MIME_CTE_QP, p, n, step);
	check_cte(MIME_CTE_UUENCODE, p, n, step);
	check_cte(MIME_CTE_8BIT, p, n, step);
	/* Charset conversion: always valid UTF-8 out. */
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	mime_charset_to_utf8(NULL, cs, p, n, &out, NULL, NULL);
	if (out.len && !qu_utf8_valid(out.data, out.len))
		abort();
	mime_eol_to_lf(&out);
	if (out.len && memchr(out.data, '\r', out.len))
		abort();
	qu_buf_clear(&out);
	return 0;
}
