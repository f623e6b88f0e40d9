/* store_kind and store_map_file (store/file.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "helpers.h"

static char *root;

static void
setup(void)
{
	root = th_mkdtemp();
}

static void
teardown(void)
{
	th_rmrf(root);
	free(root);
}

static char *
at(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

START_TEST(kind_of_paths)
{
	char *missing = at("missing");
	char *md_new = at("A");
	char *md_cur = at("B");
	char *plain = at("C");
	char *mbox = at("mbox");
	char *empty = at("empty");
	char *link = at("link");
	ck_assert_int_eq(mkdir(md_new, 0700), 0);
	ck_assert_int_eq(mkdir(md_cur, 0700), 0);
	ck_assert_int_eq(mkdir(plain, 0700), 0);
	char *p = at("A/new");
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	p = at("B/cur");
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(p);
	/* A file named cur is not a Maildir's cur/. */
	p = at("C/cur");
	th_write(p, "", 0);
	free(p);
	th_write(mbox, "From x\n\nhi\n", 11);
	th_write(empty, "", 0);
	ck_assert_int_eq(symlink(md_new, link), 0);

	ck_assert_int_eq(store_kind(missing), STORE_KIND_MISSING);
	ck_assert_int_eq(store_kind(md_new), STORE_KIND_MAILDIR);
	ck_assert_int_eq(store_kind(md_cur), STORE_KIND_MAILDIR);
	ck_assert_int_eq(store_kind(link), STORE_KIND_MAILDIR);
	ck_assert_int_eq(store_kind(plain), STORE_KIND_OTHER);
	ck_assert_int_eq(store_kind(mbox), STORE_KIND_MBOX);
	ck_assert_int_eq(store_kind(empty), STORE_KIND_MBOX);
	ck_assert_int_eq(store_kind("/dev/null"), STORE_KIND_OTHER);

	ck_assert_str_eq(store_kind_name(STORE_KIND_MISSING), "missing");
	ck_assert_str_eq(store_kind_name(STORE_KIND_MAILDIR), "maildir");
	ck_assert_str_eq(store_kind_name(STORE_KIND_MBOX), "mbox");
	ck_assert_str_eq(store_kind_name(STORE_KIND_OTHER), "other");
	free(missing);
	free(md_new);
	free(md_cur);
	free(plain);
	free(mbox);
	free(empty);
	free(link);
}
END_TEST

START_TEST(map_contents)
{
	static const char data[] = "Subject: x\r\n\r\n\0\x80\xff tail";
	char *p = at("f");
	th_write(p, data, sizeof data - 1);
	struct store_map map;
	struct qu_err err = {0};
	ck_assert_int_eq(store_map_file(p, &map, &err), 0);
	ck_assert_uint_eq(map.len, sizeof data - 1);
	ck_assert(memcmp(map.p, data, map.len) == 0);
	store_unmap(&map);
	ck_assert_uint_eq(map.len, 0);
	store_unmap(&map); /* twice is harmless */
	free(p);
}
END_TEST

START_TEST(map_empty_file)
{
	char *p = at("empty");
	th_write(p, "", 0);
	struct store_map map;
	struct qu_err err = {0};
	ck_assert_int_eq(store_map_file(p, &map, &err), 0);
	ck_assert_uint_eq(map.len, 0);
	ck_assert_ptr_nonnull(map.p);
	store_unmap(&map);
	free(p);
}
END_TEST

START_TEST(map_errors)
{
	struct store_map map;
	struct qu_err err = {0};
	char *p = at("missing");
	ck_assert_int_eq(store_map_file(p, &map, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, p));
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
	ck_assert_uint_eq(map.len, 0);
	store_unmap(&map);

	qu_err_clear(&err);
	ck_assert_int_eq(store_map_file(root, &map, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);

	qu_err_clear(&err);
	ck_assert_int_eq(store_map_file("/dev/null", &map, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
	free(p);
}
END_TEST

START_TEST(map_unreadable)
{
	/* Permission bits do not stop root; give it up in this process. */
	if (geteuid() == 0 && (chown(root, 65534, 65534) < 0 || setgid(65534) < 0 ||
				      setuid(65534) < 0))
		return;
	char *p = at("secret");
	th_write(p, "x", 1);
	ck_assert_int_eq(chmod(p, 0), 0);
	struct store_map map;
	struct qu_err err = {0};
	ck_assert_int_eq(store_map_file(p, &map, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "Permission denied"));
	free(p);
}
END_TEST

static Suite *
file_suite(void)
{
	Suite *s = suite_create("store-file");
	TCase *tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kind_of_paths);
	tcase_add_test(tc, map_contents);
	tcase_add_test(tc, map_empty_file);
	tcase_add_test(tc, map_errors);
	tcase_add_test(tc, map_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return th_run(file_suite());
}
