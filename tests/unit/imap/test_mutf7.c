/* Modified UTF-7 mailbox names (RFC 3501 §5.1.3), both ways, from a table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "imap/imap.h"

static const struct {
	const char *utf8, *mutf7;
} pairs[] = {
	{"", ""},
	{"INBOX", "INBOX"},
	{"Sent Items", "Sent Items"},
	{"a&b", "a&-b"},
	{"&", "&-"},
	{"&&", "&-&-"},
	{"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
	{"\xe8\x8d\x89\xe7\xa8\xbf", "&g0l6Pw-"},                      /* 草稿 */
	{"\xe8\x8d\x89\xe7\xa8\xbf/\xe5\xad\x90\xe7\x9b\xae\xe5\xbd\x95", /* 草稿/子目录 */
	 "&g0l6Pw-/&W1B27l9V-"},
	{"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	 "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
	{"\xc3\xa4\xc3\xb6\xc3\xbc", "&AOQA9gD8-"},
	{"\xf0\x9f\x93\xa7 mail", "&2D3c5w- mail"},                     /* U+1F4E7 */
	{"x\ty", "x&AAk-y"},
	{"caf\xc3\xa9&co", "caf&AOk-&-co"},
	{"\xe2\x82\xac", "&IKw-"},
	{"A\xe2\x82\xac" "B\xe2\x82\xac", "A&IKw-B&IKw-"},
};

START_TEST(encode_table)
{
	const char *u = pairs[_i].utf8, *m = pairs[_i].mutf7;
	char *e = imap_mutf7_encode(u, strlen(u));
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, m);
	free(e);
}
END_TEST

START_TEST(decode_table)
{
	const char *u = pairs[_i].utf8, *m = pairs[_i].mutf7;
	size_t n;
	char *d = imap_mutf7_decode(m, strlen(m), &n);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(n, strlen(u));
	ck_assert_str_eq(d, u);
	free(d);
}
END_TEST

static const char *const bad[] = {
	"&",          /* no end */
	"&AOQ",       /* no '-' */
	"&AOQA-",     /* leftover bits that are not zero... and too many */
	"&A-",        /* too short for a unit */
	"&2D0-",      /* an unpaired high surrogate */
	"&3AA-",      /* a lone low surrogate */
	"&AGEAYg-",   /* "ab" encoded: printable ASCII must stand for itself */
	"a\x80",      /* 8-bit */
	"a\nb",       /* control */
	"&A!Q-",      /* not base64 */
	"&AOR-",      /* non-zero padding bits */
};

START_TEST(decode_rejects)
{
	const char *m = bad[_i];
	ck_assert_msg(imap_mutf7_decode(m, strlen(m), NULL) == NULL, "accepted %s", m);
}
END_TEST

START_TEST(encode_rejects_bad_utf8)
{
	ck_assert_ptr_null(imap_mutf7_encode("a\xff", 2));
	ck_assert_ptr_null(imap_mutf7_encode("\xed\xa0\x80", 3)); /* a surrogate in UTF-8 */
}
END_TEST

START_TEST(decode_nul_keeps_length)
{
	size_t n;
	char *d = imap_mutf7_decode("a&AAA-b", 7, &n);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(d, "a\0b", 3), 0);
	free(d);
}
END_TEST

/* Every BMP code point outside printable ASCII round-trips. */
START_TEST(round_trip_bmp)
{
	for (uint32_t cp = 1; cp < 0x10000; cp += 7) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		char u[8];
		size_t k = 0;
		if (cp < 0x80) {
			u[k++] = (char)cp;
		} else if (cp < 0x800) {
			u[k++] = (char)(0xc0 | (cp >> 6));
			u[k++] = (char)(0x80 | (cp & 0x3f));
		} else {
			u[k++] = (char)(0xe0 | (cp >> 12));
			u[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			u[k++] = (char)(0x80 | (cp & 0x3f));
		}
		char *e = imap_mutf7_encode(u, k);
		ck_assert_ptr_nonnull(e);
		size_t n;
		char *d = imap_mutf7_decode(e, strlen(e), &n);
		ck_assert_msg(d && n == k && memcmp(d, u, k) == 0, "U+%04X", (unsigned)cp);
		free(e);
		free(d);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap-mutf7");
	TCase *tc = tcase_create("mutf7");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, encode_table, 0, (int)QU_ARRAY_LEN(pairs));
	tcase_add_loop_test(tc, decode_table, 0, (int)QU_ARRAY_LEN(pairs));
	tcase_add_loop_test(tc, decode_rejects, 0, (int)QU_ARRAY_LEN(bad));
	tcase_add_test(tc, encode_rejects_bad_utf8);
	tcase_add_test(tc, decode_nul_keeps_length);
	tcase_add_test(tc, round_trip_bmp);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
