/*
 * TNEF (winmail.dat): streams built here byte by byte after MS-OXTNEF
 * §2.1.3 (signature, key, then level / id / length / data / checksum per
 * attribute). The files come out whole; hostile names come out as
 * written (made safe by the caller); truncated streams, lying lengths and
 * bad checksums are refused, never a crash, and nothing is printed.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"
#include "tnef_gen.h"

START_TEST(test_two_files)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	tnef_gen_start(&b);
	tnef_gen_file(&b, "report.txt", "hello tnef\n", 11);
	tnef_gen_file(&b, "data.bin", "\x00\x01\x02\xff", 4);
	struct app_tnef_file *f;
	size_t n;
	struct qu_err err = {0};
	ck_assert_int_eq(app_tnef_files(b.data, b.len, &f, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[0].name, "report.txt");
	ck_assert_uint_eq(f[0].len, 11);
	ck_assert_mem_eq(f[0].data, "hello tnef\n", 11);
	ck_assert_str_eq(f[1].name, "data.bin");
	ck_assert_uint_eq(f[1].len, 4);
	ck_assert_mem_eq(f[1].data, "\x00\x01\x02\xff", 4);
	app_tnef_files_free(f, n);
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_hostile_names)
{
	static const char *const names[] = {"../../.bashrc", "a\x1b[31mb.txt", "/etc/passwd"};
	static const char *const safe[] = {"bashrc", "a_[31mb.txt", "passwd"};
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	tnef_gen_start(&b);
	for (size_t i = 0; i < QU_ARRAY_LEN(names); i++)
		tnef_gen_file(&b, names[i], "x", 1);
	struct app_tnef_file *f;
	size_t n;
	struct qu_err err = {0};
	ck_assert_int_eq(app_tnef_files(b.data, b.len, &f, &n, &err), 0);
	ck_assert_uint_eq(n, QU_ARRAY_LEN(names));
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(f[i].name, names[i]);
		char *s = app_safe_filename(f[i].name);
		ck_assert_str_eq(s, safe[i]);
		free(s);
	}
	app_tnef_files_free(f, n);
	qu_buf_clear(&b);
}
END_TEST

/* Runs app_tnef_files with stdout sent to a file; returns what was printed. */
static size_t
parse_quietly(const char *p, size_t len, int *rc)
{
	fflush(stdout);
	char path[] = "/tmp/quail-tnef-out-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	int saved = dup(1);
	dup2(fd, 1);
	struct app_tnef_file *f;
	size_t n;
	struct qu_err err = {0};
	*rc = app_tnef_files(p, len, &f, &n, &err);
	if (*rc == 0)
		app_tnef_files_free(f, n);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	struct stat st;
	fstat(fd, &st);
	close(fd);
	unlink(path);
	return (size_t)st.st_size;
}

START_TEST(test_truncated_and_lying)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	tnef_gen_start(&b);
	tnef_gen_file(&b, "one.txt", "0123456789", 10);
	tnef_gen_file(&b, "two.txt", "abc", 3);
	int rc;
	/* Every cut: refused or read, never a crash, never a printed line. */
	for (size_t cut = 0; cut < b.len; cut++) {
		ck_assert_uint_eq(parse_quietly(b.data, cut, &rc), 0);
		ck_assert_msg(rc == -1 || cut >= 6, "cut %zu accepted", cut);
	}
	ck_assert_uint_eq(parse_quietly(b.data, b.len, &rc), 0);
	ck_assert_int_eq(rc, 0);
	/* Each length field in turn says 0xffffffff, then 1 too many. */
	for (size_t at = 6; at + 9 <= b.len;) {
		uint32_t len;
		memcpy(&len, b.data + at + 5, 4);
		char *copy = xmalloc(b.len);
		memcpy(copy, b.data, b.len);
		memset(copy + at + 5, 0xff, 4);
		ck_assert_uint_eq(parse_quietly(copy, b.len, &rc), 0);
		ck_assert_int_eq(rc, -1);
		uint32_t more = len + 1;
		memcpy(copy + at + 5, &more, 4);
		ck_assert_uint_eq(parse_quietly(copy, b.len, &rc), 0);
		ck_assert_int_eq(rc, -1);
		/* A flipped data byte breaks the checksum. */
		memcpy(copy + at + 5, &len, 4);
		copy[at + 9] ^= 0x55;
		ck_assert_uint_eq(parse_quietly(copy, b.len, &rc), 0);
		ck_assert_int_eq(rc, -1);
		free(copy);
		at += 9 + len + 2;
	}
	/* Not TNEF at all. */
	ck_assert_uint_eq(parse_quietly("hello world", 11, &rc), 0);
	ck_assert_int_eq(rc, -1);
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_is_tnef)
{
	ck_assert(app_is_tnef("application/ms-tnef", NULL));
	ck_assert(app_is_tnef("application/vnd.ms-tnef", "x.dat"));
	ck_assert(app_is_tnef("application/octet-stream", "WINMAIL.DAT"));
	ck_assert(!app_is_tnef("application/octet-stream", "other.dat"));
	ck_assert(!app_is_tnef("text/plain", "winmail.dat"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tnef");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_two_files);
	tcase_add_test(tc, test_hostile_names);
	tcase_add_test(tc, test_truncated_and_lying);
	tcase_add_test(tc, test_is_tnef);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
