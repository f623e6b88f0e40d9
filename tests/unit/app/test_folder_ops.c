/*
 * Folder jobs for a worker (folder_ops.c: move, copy, expunge planned on
 * the view's thread, run without it, applied back) and full-text answers
 * given to a view (app_match: files by unique name).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "index/index.h"
#include "app/app.h"

static char *base, *dir, *dest;

static void
put(const char *md, int i, const char *flags)
{
	char *path = xasprintf("%s/cur/%d.M%dP1.test:2,%s", md, 1800000000 + i, i, flags);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "From: a@x\nSubject: s%d\nDate: Mon, 2 Nov 2026 %02d:00:00 +0000\n\nbody %d\n", i,
		i, i);
	fclose(f);
	free(path);
}

/* Files in md's cur/ and new/ whose name ends with suffix ("": all). */
static size_t
count_suffix(const char *md, const char *suffix)
{
	size_t n = 0, sl = strlen(suffix);
	const char *subs[] = {"cur", "new"};
	for (size_t s = 0; s < 2; s++) {
		char *d = xasprintf("%s/%s", md, subs[s]);
		DIR *dp = opendir(d);
		struct dirent *e;
		while (dp && (e = readdir(dp))) {
			size_t l = strlen(e->d_name);
			n += e->d_name[0] != '.' && l >= sl && strcmp(e->d_name + l - sl, suffix) == 0;
		}
		if (dp)
			closedir(dp);
		free(d);
	}
	return n;
}

static size_t
count(const char *md)
{
	return count_suffix(md, "");
}

static void
add_batch(void *ctx, struct app_view_batch *b)
{
	app_view_add(ctx, b);
}

static struct app_view *
open_view(void)
{
	struct qu_err err = {0};
	struct app_view *v = app_view_new(dir, &err);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(app_view_scan(dir, NULL, add_batch, v, &err), 0);
	return v;
}

static void
setup(void)
{
	char tmpl[] = "/tmp/quail-ops-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	base = xstrdup(tmpl);
	dir = xasprintf("%s/INBOX", tmpl);
	dest = xasprintf("%s/Archive", tmpl);
	char *cmd = xasprintf("mkdir -p '%s/cur' '%s/new' '%s/tmp'", dir, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	for (int i = 0; i < 6; i++)
		put(dir, i, i % 2 ? "FS" : "S");
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
	free(dest);
	free(base);
}

static size_t progress_calls;
static uint64_t progress_last;

static void
on_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	ck_assert_uint_le(done, total);
	progress_calls++;
	progress_last = done;
}

START_TEST(test_move_copy_expunge)
{
	struct app_view *v = open_view();
	struct qu_err err = {0};
	size_t ids[] = {0, 2, 4};
	struct app_ops *o = app_ops_new(v, APP_OPS_MOVE, ids, 3, dest, &err);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(app_ops_total(o), 3);
	/* The view is untouched until the job is applied. */
	progress_calls = 0;
	ck_assert_int_eq(app_ops_run(o, NULL, on_progress, NULL, &err), 0);
	/* Progress counts what is durable: here one batch. */
	ck_assert_uint_eq(progress_calls, 1);
	ck_assert_uint_eq(progress_last, 3);
	ck_assert_uint_eq(app_view_total(v), 6);
	ck_assert_uint_eq(count(dir), 3);
	ck_assert_uint_eq(count(dest), 3);
	ck_assert_uint_eq(app_ops_apply(v, o), 3);
	ck_assert_uint_eq(app_view_total(v), 3);
	app_ops_free(o);

	/* A copy leaves the view and the source alone. */
	struct app_row r;
	ck_assert(app_view_row(v, 0, &r));
	o = app_ops_new(v, APP_OPS_COPY, &r.id, 1, dest, &err);
	ck_assert_int_eq(app_ops_run(o, NULL, NULL, NULL, &err), 0);
	ck_assert_uint_eq(app_ops_apply(v, o), 0);
	app_ops_free(o);
	ck_assert_uint_eq(count(dir), 3);
	ck_assert_uint_eq(count(dest), 4);

	/* Expunge takes the messages marked deleted. */
	ck_assert_int_eq(app_view_set_flags(v, r.id, APP_MSG_DELETED, 0, &err), 0);
	o = app_ops_new(v, APP_OPS_EXPUNGE, NULL, 0, NULL, &err);
	ck_assert_uint_eq(app_ops_total(o), 1);
	ck_assert_int_eq(app_ops_run(o, NULL, NULL, NULL, &err), 0);
	ck_assert_uint_eq(app_ops_apply(v, o), 1);
	app_ops_free(o);
	ck_assert_uint_eq(count(dir), 2);
	ck_assert_uint_eq(app_view_total(v), 2);

	/* Into the folder itself: refused. */
	ck_assert_ptr_null(app_ops_new(v, APP_OPS_MOVE, &r.id, 1, dir, &err));
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	app_view_free(v);
}
END_TEST

START_TEST(test_cancel_keeps_what_was_done)
{
	struct app_view *v = open_view();
	struct qu_err err = {0};
	size_t ids[] = {0, 1, 2, 3, 4, 5};
	struct app_ops *o = app_ops_new(v, APP_OPS_MOVE, ids, 6, dest, &err);
	struct qu_cancel *c = qu_cancel_new();
	qu_cancel_fire(c);
	ck_assert_int_eq(app_ops_run(o, c, NULL, NULL, &err), -1);
	ck_assert(qu_err_canceled(&err));
	ck_assert_uint_eq(app_ops_done(o), 0);
	ck_assert_uint_eq(app_ops_apply(v, o), 0);
	ck_assert_uint_eq(count(dir), 6);
	app_ops_free(o);
	qu_cancel_free(c);
	app_view_free(v);
}
END_TEST

/* Subjects of the messages in md, each counted: a message in two places or
 * twice in one shows as a count above 1. */
static void
tally(const char *md, int *seen, int n)
{
	const char *subs[] = {"cur", "new"};
	for (size_t s = 0; s < 2; s++) {
		char *d = xasprintf("%s/%s", md, subs[s]);
		DIR *dp = opendir(d);
		struct dirent *e;
		while (dp && (e = readdir(dp))) {
			if (e->d_name[0] == '.')
				continue;
			char *p = xasprintf("%s/%s", d, e->d_name);
			FILE *f = fopen(p, "r");
			ck_assert_ptr_nonnull(f);
			char line[128];
			int k = -1;
			while (fgets(line, sizeof line, f))
				if (sscanf(line, "Subject: s%d", &k) == 1)
					break;
			fclose(f);
			free(p);
			ck_assert(k >= 0 && k < n);
			seen[k]++;
		}
		if (dp)
			closedir(dp);
		free(d);
	}
}

static void
cancel_at_first_report(void *ctx, uint64_t done, uint64_t total)
{
	(void)total;
	ck_assert_uint_gt(done, 0);
	qu_cancel_fire(ctx);
}

/* A cancel in the middle of a move of many messages (more than one sync
 * batch) stops after what was made durable: every message is then in
 * exactly one of the two folders, and the view drops exactly those moved. */
START_TEST(test_cancel_midway_every_message_once)
{
	enum { N = 300 };
	for (int i = 6; i < N; i++)
		put(dir, i, "S");
	struct app_view *v = open_view();
	struct qu_err err = {0};
	size_t *ids = xcalloc(N, sizeof *ids);
	for (size_t i = 0; i < N; i++)
		ids[i] = i;
	struct app_ops *o = app_ops_new(v, APP_OPS_MOVE, ids, N, dest, &err);
	ck_assert_uint_eq(app_ops_total(o), N);
	struct qu_cancel *c = qu_cancel_new();
	ck_assert_int_eq(app_ops_run(o, c, cancel_at_first_report, c, &err), -1);
	ck_assert(qu_err_canceled(&err));
	size_t moved = app_ops_done(o);
	ck_assert_uint_gt(moved, 0);
	ck_assert_uint_lt(moved, N);
	ck_assert_uint_eq(count(dest), moved);
	ck_assert_uint_eq(count(dir), N - moved);
	int seen[N] = {0};
	tally(dir, seen, N);
	tally(dest, seen, N);
	for (int i = 0; i < N; i++)
		ck_assert_msg(seen[i] == 1, "message %d seen %d times", i, seen[i]);
	char *tmp = xasprintf("%s/tmp", dest);
	DIR *dp = opendir(tmp);
	ck_assert_ptr_nonnull(dp);
	struct dirent *e;
	while ((e = readdir(dp)))
		ck_assert_msg(e->d_name[0] == '.', "left in tmp/: %s", e->d_name);
	closedir(dp);
	free(tmp);
	ck_assert_uint_eq(app_ops_apply(v, o), moved);
	ck_assert_uint_eq(app_view_total(v), N - moved);
	app_ops_free(o);
	qu_cancel_free(c);
	free(ids);
	app_view_free(v);
}
END_TEST

START_TEST(test_match_by_unique_name)
{
	ck_assert(app_pattern_needs_index("~b word"));
	ck_assert(app_pattern_needs_index("~s x | body:word"));
	ck_assert(!app_pattern_needs_index("~s x | ~f y"));
	ck_assert(!app_pattern_needs_index("word"));
	ck_assert(app_pattern_full_text("word"));
	ck_assert(app_pattern_full_text("~s x word"));
	ck_assert(!app_pattern_full_text("word ~T"));
	ck_assert(!app_pattern_full_text("all"));
	ck_assert(!app_pattern_full_text("~s x"));
	struct app_view *v = open_view();
	struct qu_err err = {0};
	/* The index's answer names files with their flags of then: a rename
	 * since (a flag change) keeps the unique name. */
	char **paths = xcalloc(2, sizeof *paths);
	paths[0] = xasprintf("%s/cur/%d.M%dP1.test:2,S", dir, 1800000001, 1);
	paths[1] = xasprintf("%s/cur/%d.M%dP1.test:2,S", dir, 1800000004, 4);
	struct app_match *m = app_match_new(paths, 2);
	ck_assert_uint_eq(app_match_count(m), 2);
	ck_assert_uint_eq(app_view_search_match(v, m, 0, true), 1);
	ck_assert_uint_eq(app_view_search_match(v, m, 1, true), 4);
	ck_assert_uint_eq(app_view_search_match(v, m, 1, false), 4);
	app_view_limit_match(v, "~b word", m);
	ck_assert_uint_eq(app_view_count(v), 2);
	ck_assert_str_eq(app_view_limit_get(v), "~b word");
	struct app_row r;
	ck_assert(app_view_row(v, 1, &r));
	ck_assert_str_eq(r.subject, "s4");
	ck_assert_int_eq(app_view_limit(v, "all", &err), 0);
	ck_assert_uint_eq(app_view_count(v), 6);
	app_view_free(v);
}
END_TEST

START_TEST(test_fts_without_index_says_so)
{
	char *cache = xasprintf("%s/cache", base);
	setenv("XDG_CACHE_HOME", cache, 1);
	struct qu_err err = {0};
	ck_assert_ptr_null(app_view_fts(dir, "~b word", 0, NULL, &err));
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "needs the index"));
	/* Nothing was created to answer. */
	ck_assert_int_ne(access(cache, F_OK), 0);
	free(cache);
}
END_TEST

/* The flags of message id as the view has them, and its file. */
static unsigned
flags_of(struct app_view *v, size_t id, const char **path)
{
	struct app_row r;
	ck_assert(app_view_row(v, app_view_find(v, id), &r));
	if (path)
		*path = r.path;
	return r.flags;
}

/* The tag prefix's flag change as a job: the view has the new flags at
 * once, the worker renames the files, and the view then takes their new
 * names (and hands them to the index). */
START_TEST(test_flags_job)
{
	struct app_view *v = open_view();
	struct qu_err err = {0};
	size_t ids[] = {0, 1, 2, 3, 4, 5};
	/* Odd ones are flagged: a toggle turns each round. */
	struct app_ops *o = app_ops_flags(v, ids, 6, APP_MSG_FLAGGED, 0, true);
	ck_assert_int_eq(app_ops_kind(o), APP_OPS_FLAGS);
	ck_assert_uint_eq(app_ops_total(o), 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_int_eq(!!(flags_of(v, i, NULL) & APP_MSG_FLAGGED), i % 2 == 0);
	ck_assert_uint_eq(count_suffix(dir, ":2,FS"), 3); /* not on disk yet */
	const char *before;
	flags_of(v, 0, &before);
	ck_assert_ptr_nonnull(strstr(before, ":2,S"));
	ck_assert_int_eq(app_ops_run(o, NULL, NULL, NULL, &err), 0);
	ck_assert_uint_eq(app_ops_done(o), 6);
	ck_assert_uint_eq(count_suffix(dir, ":2,FS"), 3);
	ck_assert_uint_eq(count_suffix(dir, ":2,S"), 3);
	ck_assert_uint_eq(app_ops_apply(v, o), 6);
	app_ops_free(o);
	const char *after;
	ck_assert_int_ne(flags_of(v, 0, &after) & APP_MSG_FLAGGED, 0);
	ck_assert_ptr_nonnull(strstr(after, ":2,FS"));
	ck_assert_int_eq(access(after, F_OK), 0);
	char **pairs = NULL;
	size_t n = app_view_take_renames(v, &pairs);
	ck_assert_uint_eq(n, 6);
	for (size_t i = 0; i < 2 * n; i++)
		free(pairs[i]);
	free(pairs);
	/* A tag, not on disk, is no file's business. */
	o = app_ops_flags(v, ids, 6, APP_MSG_TAGGED, 0, false);
	ck_assert_uint_eq(app_ops_total(o), 0);
	ck_assert_int_ne(flags_of(v, 3, NULL) & APP_MSG_TAGGED, 0);
	app_ops_free(o);
	app_view_free(v);
}
END_TEST

static void
cancel_now(void *ctx, uint64_t done, uint64_t total)
{
	(void)done;
	(void)total;
	qu_cancel_fire(ctx);
}

/* A flag job canceled after its first file: that one keeps its new
 * flags, the others get back the flags their names still say. */
START_TEST(test_flags_job_canceled)
{
	struct app_view *v = open_view();
	struct qu_err err = {0};
	size_t ids[] = {0, 1, 2, 3, 4, 5};
	struct app_ops *o = app_ops_flags(v, ids, 6, APP_MSG_DELETED, 0, false);
	for (size_t i = 0; i < 6; i++)
		ck_assert_int_ne(flags_of(v, i, NULL) & APP_MSG_DELETED, 0);
	struct qu_cancel *c = qu_cancel_new();
	ck_assert_int_eq(app_ops_run(o, c, cancel_now, c, &err), -1);
	ck_assert(qu_err_canceled(&err));
	ck_assert_uint_eq(app_ops_done(o), 1);
	ck_assert_uint_eq(count_suffix(dir, "T"), 1);
	ck_assert_uint_eq(app_ops_apply(v, o), 1);
	size_t deleted = 0;
	for (size_t i = 0; i < 6; i++)
		deleted += (flags_of(v, i, NULL) & APP_MSG_DELETED) != 0;
	ck_assert_uint_eq(deleted, 1);
	app_ops_free(o);
	qu_cancel_free(c);
	app_view_free(v);
}
END_TEST

/* Fires the cancel when the second pass (the messages' text) begins. */
static void
cancel_at_text(void *ctx, const struct index_progress *p)
{
	if (p->text)
		qu_cancel_fire(ctx);
}

/* Rows in, text not yet (an update under way, or stopped): a full-text
 * search says so rather than leave those messages out; once the text is
 * in, it answers. */
START_TEST(test_fts_while_text_pending_says_so)
{
	char *cache = xasprintf("%s/cache", base);
	setenv("XDG_CACHE_HOME", cache, 1);
	struct qu_err err = {0};
	struct index *ix = index_open(NULL, 0, &err);
	ck_assert_msg(ix != NULL, "%s", err.msg);
	struct qu_cancel *c = qu_cancel_new();
	struct index_update_opts o = {.cancel = c, .progress = cancel_at_text, .progress_ctx = c};
	const char *paths[] = {dir};
	ck_assert_int_eq(index_update(ix, paths, 1, &o, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	index_free(ix);
	qu_cancel_free(c);
	err = (struct qu_err){0};
	ck_assert_ptr_null(app_view_fts(dir, "~b body", 6, NULL, &err));
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_msg(strstr(err.msg, "text of 6 messages is still being indexed") != NULL, "%s",
		err.msg);
	ck_assert_int_eq(app_view_index(dir, NULL, &err), 0);
	struct app_match *m = app_view_fts(dir, "~b body", 6, NULL, &err);
	ck_assert_msg(m != NULL, "%s", err.msg);
	ck_assert_uint_eq(app_match_count(m), 6);
	app_match_free(m);
	free(cache);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("folder_ops");
	TCase *tc = tcase_create("core");
	/* Hundreds of fsyncs on a busy disk. */
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_move_copy_expunge);
	tcase_add_test(tc, test_cancel_keeps_what_was_done);
	tcase_add_test(tc, test_cancel_midway_every_message_once);
	tcase_add_test(tc, test_match_by_unique_name);
	tcase_add_test(tc, test_fts_without_index_says_so);
	tcase_add_test(tc, test_flags_job);
	tcase_add_test(tc, test_flags_job_canceled);
	tcase_add_test(tc, test_fts_while_text_pending_says_so);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
