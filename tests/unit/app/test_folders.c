/*
 * The folders under a Maildir root (app_local_folders_*): fetch's layout,
 * Maildir++ names, nested folders, mbox files found by their From_ line,
 * symbolic link loops not followed, counts from file names.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"

static char *dir;

static void
sh(const char *fmt, const char *arg)
{
	char *cmd = xasprintf(fmt, arg, arg, arg, arg, arg, arg);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	free(cmd);
}

static void
mkmaildir(const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	sh("mkdir -p '%s/cur' '%s/new' '%s/tmp'", p);
	free(p);
}

static void
put(const char *rel, const char *data)
{
	char *p = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(data, f);
	fclose(f);
	free(p);
}

static void
setup(void)
{
	char tmpl[] = "/tmp/quail-folders-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	dir = xstrdup(tmpl);
}

static void
teardown(void)
{
	sh("rm -rf '%s'", dir);
	free(dir);
}

static char *
names(const struct app_local_folders *l)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < l->n; i++)
		qu_buf_printf(&b, "%s%s%s", i ? "," : "", l->v[i].name,
			l->v[i].kind == APP_LOCAL_MBOX ? "(mbox)" : "");
	char *s = xstrdup(b.data ? b.data : "");
	qu_buf_clear(&b);
	return s;
}

/* fetch's layout with Maildir++ and mbox neighbours and two loops. */
static void
make_root(void)
{
	mkmaildir("INBOX");
	put("INBOX/new/1.a.host", "x");
	put("INBOX/new/2.a.host", "x");
	put("INBOX/cur/3.a.host:2,S", "x");
	put("INBOX/cur/4.a.host:2,FS", "x");
	put("INBOX/cur/5.a.host:2,R", "x");
	put("INBOX/cur/.hidden", "x");
	mkmaildir("Archive");
	mkmaildir("A/B");
	mkmaildir("A/B/C");
	put("A/B/C/cur/1.b.host:2,", "x");
	mkmaildir(".Sent");
	sh("mkdir -p '%s/.quail/state' '%s/.notmaildir'", dir);
	put("saved", "From a@b Mon Jan  1 00:00:00 2026\nSubject: one\nStatus: RO\n\nbody\n\n"
		     "From a@b Mon Jan  1 00:00:01 2026\nSubject: two\n\nbody\n");
	put("notes.txt", "not mail\n");
	put(".hidden-mbox", "From a@b Mon Jan  1 00:00:00 2026\n\nx\n");
	sh("ln -s '%s' '%s/loop'", dir);
	char *up = xasprintf("%s/A/up", dir);
	ck_assert_int_eq(symlink("..", up), 0);
	free(up);
}

START_TEST(test_layout_names_sorted)
{
	make_root();
	struct app_local_folders l;
	struct qu_err err = {0};
	ck_assert_int_eq(app_local_folders_list(dir, NULL, false, &l, &err), 0);
	char *s = names(&l);
	ck_assert_str_eq(s, "INBOX,.Sent,A/B,A/B/C,Archive,saved(mbox)");
	free(s);
	ck_assert(!l.v[0].counted);
	app_local_folders_clear(&l);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(test_counts_from_names)
{
	make_root();
	struct app_local_folders l;
	struct qu_err err = {0};
	ck_assert_int_eq(app_local_folders_list(dir, NULL, true, &l, &err), 0);
	ck_assert_str_eq(l.v[0].name, "INBOX");
	ck_assert(l.v[0].counted);
	ck_assert_uint_eq(l.v[0].total, 5);  /* .hidden is not a message */
	ck_assert_uint_eq(l.v[0].unread, 3); /* two in new/, one without S */
	ck_assert(l.v[0].has_new);
	ck_assert_str_eq(l.v[3].name, "A/B/C");
	ck_assert_uint_eq(l.v[3].total, 1);
	ck_assert_uint_eq(l.v[3].unread, 1);
	ck_assert(!l.v[3].has_new);
	ck_assert_str_eq(l.v[4].name, "Archive");
	ck_assert(l.v[4].counted);
	ck_assert_uint_eq(l.v[4].total, 0);
	ck_assert_str_eq(l.v[5].name, "saved");
	ck_assert_uint_eq(l.v[5].total, 2);
	ck_assert_uint_eq(l.v[5].unread, 1); /* "Status: RO" is read */

	/* Marking one read is seen at the next count. */
	char *from = xasprintf("%s/INBOX/cur/5.a.host:2,R", dir);
	char *to = xasprintf("%s/INBOX/cur/5.a.host:2,RS", dir);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_int_eq(app_local_folder_count(&l.v[0], &err), 0);
	ck_assert_uint_eq(l.v[0].unread, 2);
	free(from);
	free(to);

	/* The open folder is found by what it is, whatever the spelling. */
	char *alias = xasprintf("%s/A/../Archive", dir);
	ck_assert_uint_eq(app_local_folders_find(&l, alias), 4);
	free(alias);
	char *loop = xasprintf("%s/loop/INBOX", dir);
	ck_assert_uint_eq(app_local_folders_find(&l, loop), 0);
	free(loop);
	ck_assert_uint_eq(app_local_folders_find(&l, "/nonexistent/x"), SIZE_MAX);
	app_local_folders_clear(&l);
}
END_TEST

START_TEST(test_maildirpp_root)
{
	mkmaildir("");
	mkmaildir(".Drafts");
	mkmaildir(".Lists.quail");
	put("new/1.c.host", "x");
	struct app_local_folders l;
	struct qu_err err = {0};
	ck_assert_int_eq(app_local_folders_list(dir, NULL, true, &l, &err), 0);
	char *s = names(&l);
	ck_assert_str_eq(s, ",.Drafts,.Lists.quail"); /* cur new tmp are not folders */
	free(s);
	ck_assert_uint_eq(l.v[0].total, 1);
	ck_assert(l.v[0].has_new);
	app_local_folders_clear(&l);
}
END_TEST

START_TEST(test_deep_links_end)
{
	/* Two directories linking to each other, and a chain of links. */
	sh("mkdir -p '%s/x' '%s/y'", dir);
	sh("ln -s ../y '%s/x/toy' && ln -s ../x '%s/y/tox'", dir);
	mkmaildir("y/M");
	struct app_local_folders l;
	struct qu_err err = {0};
	ck_assert_int_eq(app_local_folders_list(dir, NULL, false, &l, &err), 0);
	ck_assert_uint_eq(l.n, 1);
	/* Found once, under whichever path the walk reached first. */
	ck_assert(strstr(l.v[0].name, "M") != NULL);
	app_local_folders_clear(&l);
}
END_TEST

/* Sets the mtime of dir under the root an hour back: settled. */
static void
age(const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 3600;
	ts[1] = ts[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	free(p);
}

START_TEST(test_counts_reused_when_unchanged)
{
	make_root();
	age("INBOX/new");
	age("INBOX/cur");
	struct app_local_folders a, b, c;
	struct qu_err err = {0};
	ck_assert_int_eq(app_local_folders_list(dir, NULL, true, &a, &err), 0);
	ck_assert_uint_eq(a.v[0].total, 5);
	ck_assert(a.v[0].mtime_new != 0 && a.v[0].mtime_cur != 0);
	/* Archive was just made: too recent to trust. */
	ck_assert(a.v[4].mtime_new == 0);
	/* Unchanged: the previous counts are taken as they are (a planted
	 * number shows that no directory was read). */
	a.v[0].total = 99;
	a.v[4].total = 77;
	ck_assert_int_eq(app_local_folders_list(dir, NULL, false, &b, &err), 0);
	ck_assert_int_eq(app_local_folders_count(&b, &a, NULL, &err), 0);
	ck_assert_uint_eq(b.v[0].total, 99);
	ck_assert_uint_eq(b.v[4].total, 0);
	/* New mail moves new/'s mtime: counted again. */
	put("INBOX/new/9.z.host", "x");
	ck_assert_int_eq(app_local_folders_list(dir, NULL, false, &c, &err), 0);
	ck_assert_int_eq(app_local_folders_count(&c, &b, NULL, &err), 0);
	ck_assert_uint_eq(c.v[0].total, 6);
	ck_assert_uint_eq(c.v[0].unread, 4);
	/* A copy is deep. */
	struct app_local_folders d;
	app_local_folders_copy(&d, &c);
	app_local_folders_clear(&c);
	ck_assert_str_eq(d.v[0].name, "INBOX");
	ck_assert_uint_eq(d.v[0].total, 6);
	app_local_folders_clear(&a);
	app_local_folders_clear(&b);
	app_local_folders_clear(&d);
}
END_TEST

START_TEST(test_walk_bounded)
{
	/* A root with more directories than a walk visits ends early. */
	for (int i = 0; i < 4200; i++) {
		char *p = xasprintf("%s/d%04d", dir, i);
		ck_assert_int_eq(mkdir(p, 0700), 0);
		char *c = xasprintf("%s/cur", p), *n = xasprintf("%s/new", p);
		ck_assert_int_eq(mkdir(c, 0700), 0);
		ck_assert_int_eq(mkdir(n, 0700), 0);
		free(c);
		free(n);
		free(p);
	}
	struct app_local_folders l;
	struct qu_err err = {0};
	ck_assert_int_eq(app_local_folders_list(dir, NULL, false, &l, &err), 0);
	ck_assert_uint_eq(l.n, 4095); /* the root is the first directory */
	app_local_folders_clear(&l);
}
END_TEST

START_TEST(test_errors_and_cancel)
{
	struct app_local_folders l;
	struct qu_err err = {0};
	char *missing = xasprintf("%s/missing", dir);
	ck_assert_int_eq(app_local_folders_list(missing, NULL, false, &l, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_uint_eq(l.n, 0);
	free(missing);

	make_root();
	struct qu_cancel *c = qu_cancel_new();
	qu_cancel_fire(c);
	memset(&err, 0, sizeof err);
	ck_assert_int_eq(app_local_folders_list(dir, c, true, &l, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert_ptr_null(l.v);
	qu_cancel_free(c);

	char *mb = xasprintf("%s/saved", dir), *md = xasprintf("%s/INBOX", dir);
	ck_assert(app_local_is_mbox(mb));
	ck_assert(!app_local_is_mbox(md));
	ck_assert(!app_local_is_mbox(NULL));
	free(mb);
	free(md);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("app-folders");
	TCase *tc = tcase_create("folders");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_layout_names_sorted);
	tcase_add_test(tc, test_counts_from_names);
	tcase_add_test(tc, test_maildirpp_root);
	tcase_add_test(tc, test_deep_links_end);
	tcase_add_test(tc, test_errors_and_cancel);
	tcase_add_test(tc, test_counts_reused_when_unchanged);
	suite_add_tcase(s, tc);
	/* 12600 directories made: slower on a loaded machine. */
	TCase *big = tcase_create("bounded");
	tcase_add_checked_fixture(big, setup, teardown);
	tcase_set_timeout(big, 90);
	tcase_add_test(big, test_walk_bounded);
	suite_add_tcase(s, big);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
