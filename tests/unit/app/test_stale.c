/*
 * Rows that follow files renamed or removed by other programs
 * (folder_stale.c): a rename seen by the watch moves its row, a file gone
 * from where its row says is found again by its unique name before it is
 * read, a file deleted takes its row along, and new mail is told from
 * known files by unique name.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"

static char *base, *dir;

static char *
put(const char *sub, const char *name, const char *subject)
{
	char *path = xasprintf("%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "From: Ann <ann@x>\nSubject: %s\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nbody of %s\n",
		subject, subject);
	fclose(f);
	return path;
}

static void
setup(void)
{
	char tmpl[] = "/tmp/quail-stale-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	base = xstrdup(tmpl);
	dir = xasprintf("%s/INBOX", base);
	char *cmd = xasprintf("mkdir -p '%s/cur' '%s/new' '%s/tmp'", dir, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(put("cur", "1800000001.M1P1.h:2,", "one"));
	free(put("cur", "1800000002.M2P1.h:2,S", "two"));
	free(put("new", "1800000003.M3P1.h", "three"));
	/* A unique name that another one starts with. */
	free(put("cur", "1800000001.M10P1.h:2,S", "ten"));
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
	free(base);
}

static void
add_batch(void *ctx, struct app_view_batch *b)
{
	app_view_add(ctx, b);
}

static void
keep_batch(void *ctx, struct app_view_batch *b)
{
	*(struct app_view_batch **)ctx = b;
}

static struct app_view *
open_view(void)
{
	struct qu_err err = {0};
	struct app_view *v = app_view_new(dir, &err);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(app_view_scan(dir, NULL, add_batch, v, &err), 0);
	ck_assert_uint_eq(app_view_total(v), 4);
	return v;
}

/* The row whose subject is s (copied out: rows are borrowed). */
static struct app_row
row_of(struct app_view *v, const char *s)
{
	struct app_row r;
	for (size_t i = 0; app_view_row(v, i, &r); i++)
		if (r.subject && strcmp(r.subject, s) == 0)
			return r;
	ck_abort_msg("no row %s", s);
	return r;
}

/* What the watch hands over: the files named, read on a "worker". */
static size_t
watch_sees(struct app_view *v, const char *name, size_t *renamed)
{
	struct qu_err err = {0};
	char *names[] = {xstrdup(name)};
	struct app_view_batch *b = NULL;
	int rc = app_view_scan_new(dir, names, 1, keep_batch, &b, &err);
	free(names[0]);
	*renamed = 0;
	if (rc == 0)
		return 0;
	ck_assert_int_eq(rc, 1);
	return app_view_take_new(v, b, renamed);
}

static void
mv(const char *from, const char *to)
{
	char *a = xasprintf("%s/%s", dir, from), *b = xasprintf("%s/%s", dir, to);
	ck_assert_int_eq(rename(a, b), 0);
	free(a);
	free(b);
}

/* Another reader sets S and F: the row takes the new name and flags. */
START_TEST(test_rename_adopted)
{
	struct app_view *v = open_view();
	struct app_row r = row_of(v, "one");
	ck_assert_uint_eq(r.flags & (APP_MSG_SEEN | APP_MSG_FLAGGED), 0);
	mv("cur/1800000001.M1P1.h:2,", "cur/1800000001.M1P1.h:2,FS");
	size_t renamed;
	ck_assert_uint_eq(watch_sees(v, "cur/1800000001.M1P1.h:2,FS", &renamed), 0);
	ck_assert_uint_eq(renamed, 1);
	r = row_of(v, "one");
	ck_assert_str_eq(strrchr(r.path, '/'), "/1800000001.M1P1.h:2,FS");
	ck_assert_uint_eq(r.flags & (APP_MSG_SEEN | APP_MSG_FLAGGED),
		APP_MSG_SEEN | APP_MSG_FLAGGED);
	ck_assert_uint_eq(app_view_total(v), 4);
	/* The view's own flag change: its file, already known. */
	struct qu_err err = {0};
	ck_assert_int_eq(app_view_set_flags(v, r.id, 0, APP_MSG_FLAGGED, &err), 0);
	r = row_of(v, "one");
	ck_assert_str_eq(strrchr(r.path, '/'), "/1800000001.M1P1.h:2,S");
	ck_assert_uint_eq(watch_sees(v, "cur/1800000001.M1P1.h:2,S", &renamed), 0);
	ck_assert_uint_eq(renamed, 0);
	/* An older event for a name the view left again: that file is gone
	 * and nothing changes. */
	ck_assert_uint_eq(watch_sees(v, "cur/1800000001.M1P1.h:2,FS", &renamed), 0);
	ck_assert_uint_eq(renamed, 0);
	ck_assert_str_eq(strrchr(row_of(v, "one").path, '/'), "/1800000001.M1P1.h:2,S");
	app_view_free(v);
}
END_TEST

/* new/K moved to cur/K:2,S by another reader: no longer new, seen. */
START_TEST(test_new_to_cur_adopted)
{
	struct app_view *v = open_view();
	ck_assert(row_of(v, "three").flags & APP_MSG_NEW);
	mv("new/1800000003.M3P1.h", "cur/1800000003.M3P1.h:2,S");
	size_t renamed;
	ck_assert_uint_eq(watch_sees(v, "cur/1800000003.M3P1.h:2,S", &renamed), 0);
	ck_assert_uint_eq(renamed, 1);
	struct app_row r = row_of(v, "three");
	ck_assert_uint_eq(r.flags & (APP_MSG_NEW | APP_MSG_SEEN), APP_MSG_SEEN);
	ck_assert(strstr(r.path, "/cur/1800000003.M3P1.h:2,S"));
	app_view_free(v);
}
END_TEST

/* A copy of a known file under another name while the row's file is
 * still there: the row stays; a new unique name is new mail, once. */
START_TEST(test_dedupe)
{
	struct app_view *v = open_view();
	char *cmd = xasprintf("cp '%s/cur/1800000002.M2P1.h:2,S' '%s/cur/1800000002.M2P1.h:2,RS'",
		dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	size_t renamed;
	ck_assert_uint_eq(watch_sees(v, "cur/1800000002.M2P1.h:2,RS", &renamed), 0);
	ck_assert_uint_eq(renamed, 0);
	ck_assert_str_eq(strrchr(row_of(v, "two").path, '/'), "/1800000002.M2P1.h:2,S");
	/* New mail: added once, whichever of its names comes again. */
	free(put("new", "1800000009.M9P1.h", "nine"));
	free(put("cur", "1800000009.M9P1.h:2,S", "nine"));
	struct qu_err err = {0};
	char *names[] = {xstrdup("new/1800000009.M9P1.h"), xstrdup("cur/1800000009.M9P1.h:2,S")};
	struct app_view_batch *b = NULL;
	ck_assert_int_eq(app_view_scan_new(dir, names, 2, keep_batch, &b, &err), 1);
	ck_assert_uint_eq(app_view_take_new(v, b, &renamed), 1);
	ck_assert_uint_eq(app_view_total(v), 5);
	ck_assert_uint_eq(watch_sees(v, "new/1800000009.M9P1.h", &renamed), 0);
	ck_assert_uint_eq(app_view_total(v), 5);
	free(names[0]);
	free(names[1]);
	app_view_free(v);
}
END_TEST

START_TEST(test_find_unique)
{
	char *found = NULL;
	ck_assert_int_eq(app_maildir_find_unique(dir, "1800000003.M3P1.h:2,S", &found), 1);
	ck_assert(strstr(found, "/new/1800000003.M3P1.h"));
	free(found);
	/* The unique part whole: M1 is not M10. */
	ck_assert_int_eq(app_maildir_find_unique(dir, "/x/cur/1800000001.M1P1.h", &found), 1);
	ck_assert(strstr(found, "/cur/1800000001.M1P1.h:2,"));
	ck_assert(!strstr(found, "M10"));
	free(found);
	ck_assert_int_eq(app_maildir_find_unique(dir, "1800000001.M1", &found), 0);
	ck_assert_ptr_null(found);
	ck_assert_int_eq(app_maildir_find_unique(dir, "..", &found), 0);
	ck_assert_int_eq(app_maildir_find_unique(dir, "", &found), 0);
}
END_TEST

static bool
contains(const struct qu_buf *b, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; b->data && i + n <= b->len; i++)
		if (memcmp(b->data + i, s, n) == 0)
			return true;
	return false;
}

/* Renamed behind the view's back with no event seen: opening the message
 * finds it; a flag change renames it from where it is. */
START_TEST(test_read_after_rename)
{
	struct app_view *v = open_view();
	struct app_row r = row_of(v, "two");
	mv("cur/1800000002.M2P1.h:2,S", "cur/1800000002.M2P1.h:2,RS");
	struct qu_err err = {0};
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_int_eq(app_view_read(v, r.id, &b, &err), 0);
	ck_assert(contains(&b, "body of two"));
	r = row_of(v, "two");
	ck_assert_uint_eq(r.flags & (APP_MSG_REPLIED | APP_MSG_SEEN), APP_MSG_REPLIED | APP_MSG_SEEN);
	mv("cur/1800000002.M2P1.h:2,RS", "new/1800000002.M2P1.h");
	ck_assert_int_eq(app_view_set_flags(v, r.id, APP_MSG_FLAGGED, 0, &err), 0);
	char *want = xasprintf("%s/cur/1800000002.M2P1.h:2,F", dir);
	struct stat st;
	ck_assert_int_eq(stat(want, &st), 0);
	ck_assert_str_eq(row_of(v, "two").path, want);
	free(want);
	ck_assert_int_eq(app_view_locate(v, r.id, &err), 0);
	qu_buf_clear(&b);
	app_view_free(v);
}
END_TEST

/* Deleted by another program: a clear error and the row goes. */
START_TEST(test_read_after_delete)
{
	struct app_view *v = open_view();
	struct app_row r = row_of(v, "one");
	char *p = xstrdup(r.path);
	ck_assert_int_eq(unlink(p), 0);
	struct qu_err err = {0};
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_int_eq(app_view_read(v, r.id, &b, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert(strstr(err.msg, "gone"));
	ck_assert_uint_eq(app_view_total(v), 3);
	qu_err_clear(&err);
	ck_assert_int_eq(app_view_set_flags(v, r.id, APP_MSG_SEEN, 0, &err), -1);
	qu_err_clear(&err);
	qu_buf_clear(&b);
	free(p);
	app_view_free(v);
}
END_TEST

static size_t
count_in(const char *md, const char *sub)
{
	char *cmd = xasprintf("ls '%s/%s' | wc -l", md, sub);
	FILE *p = popen(cmd, "r");
	unsigned long n = 0;
	ck_assert_int_eq(fscanf(p, "%lu", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

/* A move and an expunge planned before another reader renamed the
 * files: the job finds them by unique name; an expunge removes a renamed
 * file only while its name still says deleted. */
START_TEST(test_ops_after_rename)
{
	struct app_view *v = open_view();
	struct qu_err err = {0};
	char *dest = xasprintf("%s/Archive", base);
	size_t id = row_of(v, "two").id;
	struct app_ops *o = app_ops_new(v, APP_OPS_MOVE, &id, 1, dest, &err);
	ck_assert_ptr_nonnull(o);
	mv("cur/1800000002.M2P1.h:2,S", "cur/1800000002.M2P1.h:2,FS");
	ck_assert_int_eq(app_ops_run(o, NULL, NULL, NULL, &err), 0);
	ck_assert_uint_eq(app_ops_apply(v, o), 1);
	app_ops_free(o);
	ck_assert_uint_eq(app_view_total(v), 3);
	ck_assert_uint_eq(count_in(dest, "cur") + count_in(dest, "new"), 1);
	char *left = NULL;
	ck_assert_int_eq(app_maildir_find_unique(dir, "1800000002.M2P1.h", &left), 0);
	/* Expunge: one still deleted under a new name, one undeleted. */
	size_t one = row_of(v, "one").id, ten = row_of(v, "ten").id;
	ck_assert_int_eq(app_view_set_flags(v, one, APP_MSG_DELETED, 0, &err), 0);
	ck_assert_int_eq(app_view_set_flags(v, ten, APP_MSG_DELETED, 0, &err), 0);
	o = app_ops_new(v, APP_OPS_EXPUNGE, NULL, 0, NULL, &err);
	ck_assert_ptr_nonnull(o);
	mv("cur/1800000001.M1P1.h:2,T", "cur/1800000001.M1P1.h:2,ST");
	mv("cur/1800000001.M10P1.h:2,ST", "cur/1800000001.M10P1.h:2,S");
	ck_assert_int_eq(app_ops_run(o, NULL, NULL, NULL, &err), 0);
	ck_assert_uint_eq(app_ops_apply(v, o), 1);
	app_ops_free(o);
	ck_assert_int_eq(app_maildir_find_unique(dir, "1800000001.M1P1.h", &left), 0);
	ck_assert_int_eq(app_maildir_find_unique(dir, "1800000001.M10P1.h", &left), 1);
	free(left);
	ck_assert_uint_eq(app_view_total(v), 2);
	free(dest);
	app_view_free(v);
}
END_TEST

/* New mail merged into the order gives the rows a whole sort gives:
 * batches of 1, 3 and 7 with dates and subjects before, between and
 * after the folder's, in several sorts, a limit and a deletion between. */
START_TEST(test_new_mail_sorted)
{
	static const struct {
		enum app_sort sort;
		bool reverse;
	} sorts[] = {{APP_SORT_DATE, false}, {APP_SORT_DATE, true}, {APP_SORT_SUBJECT, false},
		{APP_SORT_FROM, true}, {APP_SORT_SIZE, false}};
	for (size_t si = 0; si < sizeof sorts / sizeof *sorts; si++) {
		struct app_view *v = open_view();
		struct qu_err err = {0};
		app_view_sort(v, sorts[si].sort, sorts[si].reverse);
		int seq = 0;
		for (size_t k = 1; k <= 7; k += k == 1 ? 2 : 4) {
			char *names[8];
			for (size_t j = 0; j < k; j++, seq++) {
				char *name = xasprintf("19000000%02d.Mnew%dP1.h", seq, seq);
				char *path = xasprintf("%s/new/%s", dir, name);
				FILE *f = fopen(path, "w");
				ck_assert_ptr_nonnull(f);
				fprintf(f, "From: %c <x@y>\nSubject: %c mail\nDate: Mon, %d Nov 2026 "
					"%02d:00:00 +0000\n\n%*s\n", 'a' + (seq * 7) % 26,
					'a' + (seq * 11) % 26, 1 + seq % 3, (seq * 5) % 24, seq * 13, "");
				fclose(f);
				free(path);
				names[j] = xasprintf("new/%s", name);
				free(name);
			}
			struct app_view_batch *b = NULL;
			ck_assert_int_eq(app_view_scan_new(dir, names, k, keep_batch, &b, &err), 1);
			size_t renamed;
			ck_assert_uint_eq(app_view_take_new(v, b, &renamed), k);
			for (size_t j = 0; j < k; j++)
				free(names[j]);
			if (k == 3) { /* a deletion and a limit between batches */
				struct app_row r = row_of(v, "one");
				char *p = xstrdup(r.path);
				unlink(p);
				free(p);
				struct qu_buf buf;
				qu_buf_init(&buf, SIZE_MAX);
				ck_assert_int_eq(app_view_read(v, r.id, &buf, &err), -1);
				qu_buf_clear(&buf);
				ck_assert_int_eq(app_view_limit(v, "!~s three", &err), 0);
			}
		}
		size_t n = app_view_count(v);
		ck_assert_uint_eq(n, 13);
		size_t *ids = xcalloc(n, sizeof *ids);
		struct app_row r;
		for (size_t i = 0; i < n; i++) {
			ck_assert(app_view_row(v, i, &r));
			ids[i] = r.id;
		}
		app_view_sort(v, sorts[si].sort, sorts[si].reverse); /* a whole sort */
		ck_assert_uint_eq(app_view_count(v), n);
		for (size_t i = 0; i < n; i++) {
			ck_assert(app_view_row(v, i, &r));
			ck_assert_uint_eq(r.id, ids[i]);
		}
		free(ids);
		app_view_free(v);
		teardown();
		setup();
	}
}
END_TEST

/* Names the watch saw, sorted before any goes to a worker: known files
 * (renamed elsewhere, the view's own rename, a name gone already) leave
 * the list and their rows follow; new names and odd ones stay. */
START_TEST(test_follow)
{
	struct app_view *v = open_view();
	struct qu_err err = {0};
	mv("cur/1800000001.M1P1.h:2,", "cur/1800000001.M1P1.h:2,FS");
	size_t two = row_of(v, "two").id;
	ck_assert_int_eq(app_view_set_flags(v, two, APP_MSG_REPLIED, 0, &err), 0);
	free(put("new", "1800000009.M9P1.h", "nine"));
	char *names[] = {xstrdup("cur/1800000001.M1P1.h:2,FS"), xstrdup("cur/1800000002.M2P1.h:2,RS"),
		xstrdup("new/1800000009.M9P1.h"), xstrdup("cur/1800000003.M3P1.h:2,S"),
		xstrdup("tmp/1800000001.M1P1.h"), xstrdup("cur/.1800000001.M1P1.h")};
	size_t n = 6;
	ck_assert_uint_eq(app_view_follow(v, names, &n), 1);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(names[0], "new/1800000009.M9P1.h");
	ck_assert_str_eq(names[1], "tmp/1800000001.M1P1.h");
	ck_assert_str_eq(names[2], "cur/.1800000001.M1P1.h");
	struct app_row r = row_of(v, "one");
	ck_assert_str_eq(strrchr(r.path, '/'), "/1800000001.M1P1.h:2,FS");
	ck_assert_uint_eq(r.flags & APP_MSG_FLAGGED, APP_MSG_FLAGGED);
	/* The name gone already (three is still in new/): the row stays. */
	ck_assert(strstr(row_of(v, "three").path, "/new/1800000003.M3P1.h"));
	ck_assert_str_eq(strrchr(row_of(v, "two").path, '/'), "/1800000002.M2P1.h:2,RS");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	app_view_free(v);
}
END_TEST

/* Another program sets a flag on every file of a big folder: the rows
 * follow from the names alone, each in O(1). */
START_TEST(test_follow_many)
{
	enum { N = 3000 };
	for (int i = 0; i < N; i++) {
		char *name = xasprintf("17000%05d.Mmany%dP1.h:2,", i, i);
		free(put("cur", name, "many"));
		free(name);
	}
	struct qu_err err = {0};
	struct app_view *v = app_view_new(dir, &err);
	ck_assert_int_eq(app_view_scan(dir, NULL, add_batch, v, &err), 0);
	app_view_end_page(v);
	ck_assert_int_eq(app_view_limit(v, "~U", &err), 0);
	ck_assert_uint_eq(app_view_count(v), N + 2);
	char **names = xcalloc(N, sizeof *names);
	for (int i = 0; i < N; i++) {
		char *a = xasprintf("cur/17000%05d.Mmany%dP1.h:2,", i, i);
		names[i] = xasprintf("%sS", a);
		mv(a, names[i]);
		free(a);
	}
	size_t n = N;
	ck_assert_uint_eq(app_view_follow(v, names, &n), N);
	ck_assert_uint_eq(n, 0);
	/* Seen now: the limit to unread shows them no more. */
	ck_assert_uint_eq(app_view_count(v), 2);
	free(names);
	app_view_free(v);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("app-stale");
	TCase *tc = tcase_create("stale");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rename_adopted);
	tcase_add_test(tc, test_new_to_cur_adopted);
	tcase_add_test(tc, test_dedupe);
	tcase_add_test(tc, test_find_unique);
	tcase_add_test(tc, test_read_after_rename);
	tcase_add_test(tc, test_read_after_delete);
	tcase_add_test(tc, test_ops_after_rename);
	tcase_add_test(tc, test_new_mail_sorted);
	tcase_add_test(tc, test_follow);
	tcase_add_test(tc, test_follow_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
