/*
 * SHA-256: the FIPS 180-2 example vectors, lengths around the padding
 * boundaries, and the same digest whatever the update pieces are.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static void
digest_hex(const void *p, size_t n, char hex[65])
{
	struct qu_sha256 s;
	unsigned char d[32];
	qu_sha256_init(&s);
	qu_sha256_update(&s, p, n);
	qu_sha256_final(&s, d);
	qu_sha256_hex(d, hex);
}

static const struct {
	const char *msg;
	const char *hex;
} vectors[] = {
	{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	{"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		"cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

START_TEST(test_vectors)
{
	char hex[65];
	for (size_t i = 0; i < QU_ARRAY_LEN(vectors); i++) {
		digest_hex(vectors[i].msg, strlen(vectors[i].msg), hex);
		ck_assert_str_eq(hex, vectors[i].hex);
	}
}
END_TEST

/* Messages of n 'x' bytes: the padding needs one block or two. */
static const struct {
	size_t n;
	const char *hex;
} lengths[] = {
	{55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
	{56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
	{63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
	{64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
	{65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
	{119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
	{120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
};

START_TEST(test_padding_boundaries)
{
	char buf[128], hex[65];
	memset(buf, 'x', sizeof buf);
	for (size_t i = 0; i < QU_ARRAY_LEN(lengths); i++) {
		digest_hex(buf, lengths[i].n, hex);
		ck_assert_msg(strcmp(hex, lengths[i].hex) == 0, "length %zu: %s", lengths[i].n, hex);
	}
}
END_TEST

START_TEST(test_million_a_in_pieces)
{
	/* FIPS 180-2 appendix B.3, fed in pieces of every size from 1 to 97. */
	char *a = malloc(1000000);
	memset(a, 'a', 1000000);
	char hex[65];
	digest_hex(a, 1000000, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	for (size_t step = 1; step < 98; step += 8) {
		struct qu_sha256 s;
		unsigned char d[32];
		qu_sha256_init(&s);
		for (size_t off = 0; off < 1000000; off += step)
			qu_sha256_update(&s, a + off, 1000000 - off < step ? 1000000 - off : step);
		qu_sha256_final(&s, d);
		ck_assert_str_eq(qu_sha256_hex(d, hex),
			"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
	free(a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_padding_boundaries);
	tcase_add_test(tc, test_million_a_in_pieces);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
