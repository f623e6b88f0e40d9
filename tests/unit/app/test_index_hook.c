/*
 * Keeping the index current from app (index_hook.c): one renamed file
 * told to the index (flags, new/ -> cur/) through a folder named by a
 * relative path and a symlink, and nothing done, nothing created, when
 * there is no index file.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "index/index.h"
#include "app/app.h"
#include "../store/helpers.h"

static char *root, *md, *db;

static void
setup(void)
{
	root = th_mkdtemp();
	md = xasprintf("%s/Mail/INBOX", root);
	db = xasprintf("%s/index.sqlite", root);
	char *cmd = xasprintf("mkdir -p '%s/cur' '%s/new' '%s/tmp'", md, md, md);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	static const char msg[] = "From: a@example.com\nSubject: pear\n\nplum\n";
	char *p = xasprintf("%s/new/1.a", md);
	th_write(p, msg, sizeof msg - 1);
	free(p);
}

static void
teardown(void)
{
	th_rmrf(root);
	free(root);
	free(md);
	free(db);
}

static void
index_it(void)
{
	const char *paths[] = {md};
	struct app_index_opts o = {.paths = paths, .n_paths = 1, .db = db};
	struct qu_err err = {0};
	ck_assert_msg(app_index_update(NULL, &o, NULL, NULL, &err) == 0, "%s", err.msg);
}

static uint64_t
count(const char *query)
{
	struct qu_err err = {0};
	struct index *ix = index_open(db, 0, &err);
	ck_assert_msg(ix != NULL, "%s", err.msg);
	uint64_t n = 0;
	ck_assert_msg(index_count(ix, NULL, query, &n, &err) == 0, "%s", err.msg);
	index_free(ix);
	return n;
}

START_TEST(renamed_through_symlink)
{
	index_it();
	ck_assert_uint_eq(count("is:unread"), 1);
	char *link = xasprintf("%s/link", root);
	ck_assert_int_eq(symlink(md, link), 0);
	ck_assert_int_eq(chdir(root), 0);
	char *from = xasprintf("%s/new/1.a", md), *to = xasprintf("%s/cur/1.a:2,FS", md);
	ck_assert_int_eq(rename(from, to), 0);
	struct qu_err err = {0};
	ck_assert_msg(app_index_renamed(db, "link/new/1.a", "link/cur/1.a:2,FS", &err) == 1,
		"%s", err.msg);
	ck_assert_uint_eq(count("is:unread"), 0);
	ck_assert_uint_eq(count("is:flagged pear"), 1);
	/* Told again: the row already says so, no harm... */
	ck_assert_int_eq(app_index_renamed(db, from, to, &err), 1);
	/* ...and a folder that does not exist is an error. */
	ck_assert_int_eq(app_index_renamed(db, "/nonexistent-dir/x/cur/1", to, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	free(link);
	free(from);
	free(to);
}
END_TEST

/* Many renames (a flag job on thousands of tagged messages) go to the
 * index in one transaction; one pair that is no Maildir file leaves every
 * row as it was. */
START_TEST(renamed_in_one_go)
{
	enum { N = 200 };
	static const char msg[] = "From: c@example.com\nSubject: quince\n\nmedlar\n";
	for (int i = 2; i <= N; i++) {
		char *p = xasprintf("%s/new/%d.b", md, i);
		th_write(p, msg, sizeof msg - 1);
		free(p);
	}
	index_it();
	ck_assert_uint_eq(count("is:flagged"), 0);
	char *pairs[2 * N + 2];
	for (int i = 0; i < N; i++) {
		const char *u = i ? "b" : "a";
		pairs[2 * i] = xasprintf("%s/new/%d.%s", md, i + 1, u);
		pairs[2 * i + 1] = xasprintf("%s/cur/%d.%s:2,FS", md, i + 1, u);
		ck_assert_int_eq(rename(pairs[2 * i], pairs[2 * i + 1]), 0);
	}
	struct qu_err err = {0};
	pairs[2 * N] = xstrdup("/tmp/not-a-maildir-file");
	pairs[2 * N + 1] = xstrdup(pairs[1]);
	ck_assert_int_eq(app_index_renamed_pairs(db, pairs, N + 1, &err), -1);
	ck_assert_uint_eq(count("is:flagged"), 0);
	ck_assert_msg(app_index_renamed_pairs(db, pairs, N, &err) == N, "%s", err.msg);
	ck_assert_uint_eq(count("is:flagged"), N);
	ck_assert_uint_eq(count("is:unread"), 0);
	for (int i = 0; i < 2 * N + 2; i++)
		free(pairs[i]);
}
END_TEST

START_TEST(no_index_no_file)
{
	char *from = xasprintf("%s/new/1.a", md), *to = xasprintf("%s/cur/1.a:2,S", md);
	struct qu_err err = {0};
	ck_assert_int_eq(app_index_renamed(db, from, to, &err), 0);
	struct stat sb;
	ck_assert_int_eq(stat(db, &sb), -1);
	free(from);
	free(to);
}
END_TEST

static void
deliver(const char *name)
{
	static const char msg[] = "From: b@example.com\nSubject: fig\n\ndate palm\n";
	char *p = xasprintf("%s/new/%s", md, name);
	th_write(p, msg, sizeof msg - 1);
	free(p);
}

/* fetch and sync's hook: only an existing index that holds the Maildir
 * is updated, only when the run changed something, not after a cancel;
 * errors are warnings. */
START_TEST(after_change)
{
	char *cache = xasprintf("%s/cache", root);
	ck_assert_int_eq(setenv("XDG_CACHE_HOME", cache, 1), 0);
	free(db);
	db = xasprintf("%s/quail/index.sqlite", cache);
	char *mail = xasprintf("%s/Mail", root);
	struct qu_err w = {0};
	app_index_after_change(mail, true, NULL, &w);
	ck_assert_int_eq(w.cls, QU_E_OK);
	struct stat sb;
	ck_assert_int_eq(stat(db, &sb), -1); /* none made */
	/* An index of another folder only: this Maildir is left out. */
	char *other = xasprintf("%s/Other", root);
	char *cmd = xasprintf("mkdir -p '%s/cur' '%s/new' '%s/tmp'", other, other, other);
	ck_assert_int_eq(system(cmd), 0);
	const char *paths[] = {other};
	struct app_index_opts o = {.paths = paths, .n_paths = 1, .db = db};
	ck_assert_msg(app_index_update(NULL, &o, NULL, NULL, &w) == 0, "%s", w.msg);
	app_index_after_change(mail, true, NULL, &w);
	ck_assert_int_eq(w.cls, QU_E_OK);
	ck_assert_uint_eq(count("pear"), 0);
	/* Indexed: a change is picked up, no change or a cancel leaves it. */
	index_it();
	ck_assert_uint_eq(count("pear"), 1);
	deliver("2.b");
	app_index_after_change(mail, false, NULL, &w);
	ck_assert_uint_eq(count("palm"), 0);
	struct qu_cancel *c = qu_cancel_new();
	qu_cancel_fire(c);
	app_index_after_change(mail, true, c, &w);
	ck_assert_int_eq(w.cls, QU_E_OK);
	ck_assert_uint_eq(count("palm"), 0);
	qu_cancel_free(c);
	app_index_after_change(mail, true, NULL, &w);
	ck_assert_int_eq(w.cls, QU_E_OK);
	ck_assert_uint_eq(count("palm"), 1);
	/* An index that cannot be opened: a warning. */
	char *lock = xasprintf("%s.lock", db);
	ck_assert_int_eq(unlink(lock), 0);
	ck_assert_int_eq(mkdir(lock, 0700), 0);
	deliver("3.c");
	app_index_after_change(mail, true, NULL, &w);
	ck_assert_int_eq(w.cls, QU_E_IOERR);
	ck_assert_msg(strncmp(w.msg, "index: ", 7) == 0, "%s", w.msg);
	rmdir(lock);
	free(lock);
	free(cmd);
	free(other);
	free(mail);
	free(cache);
}
END_TEST

static Suite *
hook_suite(void)
{
	Suite *s = suite_create("app-index-hook");
	TCase *tc = tcase_create("renamed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, renamed_through_symlink);
	tcase_add_test(tc, no_index_no_file);
	tcase_add_test(tc, renamed_in_one_go);
	tcase_add_test(tc, after_change);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return th_run(hook_suite());
}
