/*
 * Folder views for the UI (app_view_*): rows in date order, threads from
 * In-Reply-To and References with their tree column, limit patterns,
 * search, flags renamed into the file names at once, expunge, move, and
 * the pager's view of a message.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"

static char *dir, *base;

/* Message i: dated i hours after a fixed time, delivered in the reverse
 * order (so that date order is not delivery order). */
static void
put(const char *md, int i, const char *subject, const char *from, const char *extra,
	const char *flags)
{
	char *path = xasprintf("%s/cur/%d.M%dP1.test:2,%s", md, 1800000000 - i, i, flags);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"From: %s\nSubject: %s\nDate: Mon, %d Nov 2026 %02d:00:00 +0000\n"
		"Message-ID: <m%d@x>\n%s\nbody %d\n> quoted\n",
		from, subject, 2 + i / 24, i % 24, i, extra, i);
	fclose(f);
	free(path);
}

static void
mkmaildir(const char *md)
{
	char *p = xasprintf("mkdir -p '%s/cur' '%s/new' '%s/tmp'", md, md, md);
	ck_assert_int_eq(system(p), 0);
	free(p);
}

static void
add_batch(void *ctx, struct app_view_batch *b)
{
	app_view_add(ctx, b);
}

static struct app_view *
open_view(const char *md)
{
	struct qu_err err = {0};
	struct app_view *v = app_view_new(md, &err);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(app_view_scan(md, NULL, add_batch, v, &err), 0);
	return v;
}

static const char *
subject_at(struct app_view *v, size_t i)
{
	struct app_row r;
	ck_assert(app_view_row(v, i, &r));
	return r.subject;
}

static void
setup(void)
{
	char tmpl[] = "/tmp/quail-view-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	base = xstrdup(tmpl);
	dir = xasprintf("%s/INBOX", tmpl);
	mkmaildir(dir);
	put(dir, 0, "root", "Ann <ann@x>", "", "S");
	put(dir, 1, "Re: root", "Bob <bob@x>", "In-Reply-To: <m0@x>\n", "S");
	put(dir, 2, "other", "Cy <cy@x>", "", "");
	put(dir, 3, "Re: root again", "Ann <ann@x>", "References: <m0@x> <m1@x>\n", "FS");
	put(dir, 4, "Re: root too", "Dee <dee@x>", "In-Reply-To: <m0@x>\n", "S");
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

START_TEST(test_date_order_and_counts)
{
	struct app_view *v = open_view(dir);
	ck_assert_uint_eq(app_view_count(v), 5);
	ck_assert_str_eq(subject_at(v, 0), "root");
	ck_assert_str_eq(subject_at(v, 4), "Re: root too");
	size_t unread, flagged, deleted, tagged;
	app_view_counts(v, &unread, &flagged, &deleted, &tagged);
	ck_assert_uint_eq(unread, 1);
	ck_assert_uint_eq(flagged, 1);
	app_view_sort(v, APP_SORT_DATE, true);
	ck_assert_str_eq(subject_at(v, 0), "Re: root too");
	app_view_sort(v, APP_SORT_FROM, false);
	ck_assert_str_eq(subject_at(v, 4), "Re: root too"); /* Dee last */
	app_view_free(v);
}
END_TEST

START_TEST(test_threads)
{
	struct app_view *v = open_view(dir);
	app_view_sort(v, APP_SORT_THREADS, false);
	/* root; its children 1 and 4 by date, 3 under 1; then "other". */
	static const char *const want[] = {"root", "Re: root", "Re: root again", "Re: root too",
		"other"};
	static const char *const tree[] = {"", "+", "|`", "`", ""};
	for (size_t i = 0; i < 5; i++) {
		struct app_row r;
		ck_assert(app_view_row(v, i, &r));
		ck_assert_str_eq(r.subject, want[i]);
		ck_assert_str_eq(r.tree, tree[i]);
	}
	struct app_row r;
	ck_assert(app_view_row(v, 2, &r));
	app_view_collapse(v, r.id, true);
	ck_assert_uint_eq(app_view_count(v), 2);
	ck_assert(app_view_row(v, 0, &r));
	ck_assert_uint_eq(r.hidden, 3);
	app_view_collapse_all(v, false);
	ck_assert_uint_eq(app_view_count(v), 5);
	app_view_free(v);
}
END_TEST

START_TEST(test_limit_and_search)
{
	struct app_view *v = open_view(dir);
	struct qu_err err = {0};
	ck_assert_int_eq(app_view_limit(v, "~f ann", &err), 0);
	ck_assert_uint_eq(app_view_count(v), 2);
	ck_assert_int_eq(app_view_limit(v, "~s root !~F", &err), 0);
	ck_assert_uint_eq(app_view_count(v), 3);
	ck_assert_int_eq(app_view_limit(v, "~N | from:dee", &err), 0);
	ck_assert_uint_eq(app_view_count(v), 1); /* "other" is unseen but in cur/: ~O */
	ck_assert_int_eq(app_view_limit(v, "~U | from:dee", &err), 0);
	ck_assert_uint_eq(app_view_count(v), 2);
	ck_assert_int_eq(app_view_limit(v, "(~s again", &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	ck_assert_uint_eq(app_view_count(v), 2); /* unchanged */
	ck_assert_int_eq(app_view_limit(v, "~b body", &err), -1);
	ck_assert_int_eq(app_view_limit(v, "all", &err), 0);
	ck_assert_uint_eq(app_view_count(v), 5);
	ck_assert_uint_eq(app_view_search(v, "other", 0, true, &err), 2);
	ck_assert_uint_eq(app_view_search(v, "ROOT", 0, true, &err), SIZE_MAX); /* smart case */
	ck_assert_uint_eq(app_view_search(v, "root", 0, false, &err), 4);
	ck_assert_int_eq(app_view_tag_pattern(v, "~s Re:", true, &err), 3);
	app_view_free(v);
}
END_TEST

/* The match on a worker gives what app_view_limit gives; its answer
 * is for the view it was made from; a view freed before the job ran
 * leaves the job's strings readable. */
START_TEST(test_limit_off_thread)
{
	struct app_view *v = open_view(dir);
	struct qu_err err = {0};
	ck_assert_ptr_null(app_limit_new(v, "(~s again", &err));
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	struct app_limit *l = app_limit_new(v, "~s root !~F", &err);
	ck_assert_ptr_nonnull(l);
	ck_assert(!app_view_limit_apply(v, app_limit_new(v, "~f ann", &err))); /* not run */
	ck_assert_uint_eq(app_view_count(v), 5);
	ck_assert_int_eq(app_limit_run(l, NULL, &err), 0);
	ck_assert(app_view_limit_apply(v, l));
	ck_assert_uint_eq(app_view_count(v), 3);
	ck_assert_str_eq(app_view_limit_get(v), "~s root !~F");
	/* A later refresh matches again from the pattern. */
	app_view_sort(v, APP_SORT_DATE, true);
	ck_assert_uint_eq(app_view_count(v), 3);
	/* Search from the answer: the shown rows, wrapping. */
	ck_assert_int_eq(app_view_limit(v, "all", &err), 0);
	l = app_limit_new(v, "other", &err);
	ck_assert_int_eq(app_limit_run(l, NULL, &err), 0);
	ck_assert_uint_eq(app_view_search_limit(v, l, 0, true), app_view_search(v, "other", 0, true,
		&err));
	app_limit_free(l);
	/* A fired cancel stops the run; the view unchanged. */
	struct qu_cancel *c = qu_cancel_new();
	qu_cancel_fire(c);
	l = app_limit_new(v, "~f ann", &err);
	ck_assert_int_eq(app_limit_run(l, c, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert(!app_view_limit_apply(v, l));
	ck_assert_uint_eq(app_view_count(v), 5);
	qu_cancel_free(c);
	/* Flags changed while the job ran: the answer goes by the flags the
	 * rows have now, for the limit and for a search from it. */
	size_t other = SIZE_MAX, again = SIZE_MAX;
	for (size_t i = 0; i < app_view_count(v); i++) {
		struct app_row r;
		ck_assert(app_view_row(v, i, &r));
		if (strcmp(r.subject, "other") == 0)
			other = r.id;
		if (strcmp(r.subject, "Re: root again") == 0)
			again = r.id;
	}
	ck_assert_uint_ne(other, SIZE_MAX);
	ck_assert_uint_ne(again, SIZE_MAX);
	l = app_limit_new(v, "~F", &err);
	struct app_limit *s = app_limit_new(v, "~F", &err);
	ck_assert_int_eq(app_view_set_flags(v, other, APP_MSG_FLAGGED, 0, &err), 0);
	ck_assert_int_eq(app_view_set_flags(v, again, 0, APP_MSG_FLAGGED, &err), 0);
	ck_assert_int_eq(app_limit_run(l, NULL, &err), 0);
	ck_assert_int_eq(app_limit_run(s, NULL, &err), 0);
	size_t found = app_view_search_limit(v, s, 0, true);
	ck_assert_uint_ne(found, SIZE_MAX);
	ck_assert_str_eq(subject_at(v, found), "other");
	app_limit_free(s);
	ck_assert(app_view_limit_apply(v, l));
	ck_assert_uint_eq(app_view_count(v), 1);
	ck_assert_str_eq(subject_at(v, 0), "other");
	ck_assert_int_eq(app_view_limit(v, "all", &err), 0);
	/* The view gone before the job runs (ASan checks the strings). */
	l = app_limit_new(v, "~f ann", &err);
	app_view_free(v);
	ck_assert_int_eq(app_limit_run(l, NULL, &err), 0);
	app_limit_free(l);
}
END_TEST

static void
scan_new_batch(void *ctx, struct app_view_batch *b)
{
	*(struct app_view_batch **)ctx = b;
}

/* New mail from new/ and cur/: a file the view knows (its own rename)
 * is not added again; a new one in cur/ takes its flags from its name. */
START_TEST(test_new_mail_in_cur)
{
	struct app_view *v = open_view(dir);
	struct qu_err err = {0};
	struct app_row r;
	ck_assert(app_view_row(v, 0, &r));
	ck_assert_int_eq(app_view_set_flags(v, r.id, APP_MSG_FLAGGED, 0, &err), 0);
	ck_assert(app_view_row(v, 0, &r));
	const char *renamed = strrchr(r.path, '/') + 1;
	put(dir, 9, "late", "Eve <eve@x>", "", "RS");
	char *names[] = {xasprintf("cur/%s", renamed), xasprintf("cur/%d.M9P1.test:2,RS",
		1800000000 - 9), xstrdup("cur/.dot"), xstrdup("tmp/x"), xstrdup("new/gone")};
	struct app_view_batch *b = NULL;
	ck_assert_int_eq(app_view_scan_new(dir, names, 5, scan_new_batch, &b, &err), 1);
	size_t moved = 0;
	ck_assert_uint_eq(app_view_take_new(v, b, &moved), 1);
	ck_assert_uint_eq(app_view_total(v), 6);
	size_t row = app_view_search(v, "late", 0, true, &err);
	ck_assert_uint_ne(row, SIZE_MAX);
	ck_assert(app_view_row(v, row, &r));
	ck_assert_uint_eq(r.flags & (APP_MSG_SEEN | APP_MSG_REPLIED), APP_MSG_SEEN | APP_MSG_REPLIED);
	/* The same names again: nothing new. */
	b = NULL;
	ck_assert_int_eq(app_view_scan_new(dir, names, 2, scan_new_batch, &b, &err), 1);
	ck_assert_uint_eq(app_view_take_new(v, b, &moved), 0);
	ck_assert_uint_eq(app_view_total(v), 6);
	for (size_t i = 0; i < 5; i++)
		free(names[i]);
	app_view_free(v);
}
END_TEST

static size_t
count_files(const char *d, const char *suffix)
{
	DIR *dp = opendir(d);
	size_t n = 0;
	struct dirent *e;
	while (dp && (e = readdir(dp)))
		if (e->d_name[0] != '.' && (!suffix || strstr(e->d_name, suffix)))
			n++;
	if (dp)
		closedir(dp);
	return n;
}

START_TEST(test_flags_expunge_move)
{
	struct app_view *v = open_view(dir);
	struct qu_err err = {0};
	struct app_row r;
	char *cur = xasprintf("%s/cur", dir);
	ck_assert(app_view_row(v, 2, &r)); /* "other", no flags */
	ck_assert_int_eq(app_view_set_flags(v, r.id, APP_MSG_SEEN | APP_MSG_FLAGGED, 0, &err), 0);
	ck_assert_uint_eq(count_files(cur, "P1.test:2,FS"), 2);
	ck_assert_int_eq(app_view_set_flags(v, r.id, APP_MSG_DELETED, 0, &err), 0);
	ck_assert_uint_eq(count_files(cur, ":2,FST"), 1);
	ck_assert_int_eq(app_view_set_flags(v, r.id, 0, APP_MSG_DELETED, &err), 0);
	ck_assert_uint_eq(count_files(cur, ":2,FST"), 0);
	ck_assert_int_eq(app_view_set_flags(v, r.id, APP_MSG_DELETED, 0, &err), 0);
	ck_assert_int_eq(app_view_expunge(v, &err), 1);
	ck_assert_uint_eq(count_files(cur, NULL), 4);
	ck_assert_uint_eq(app_view_count(v), 4);
	ck_assert_uint_eq(app_view_find(v, r.id), SIZE_MAX);
	/* Move the first message to another Maildir (made on the way). */
	char *dest = xasprintf("%s/../Archive", dir);
	ck_assert(app_view_row(v, 0, &r));
	ck_assert_int_eq(app_view_transfer(v, r.id, dest, true, &err), 0);
	char *dcur = xasprintf("%s/cur", dest);
	ck_assert_uint_eq(count_files(dcur, ":2,S"), 1);
	ck_assert_uint_eq(count_files(cur, NULL), 3);
	ck_assert_uint_eq(app_view_count(v), 3);
	free(dcur);
	free(dest);
	free(cur);
	app_view_free(v);
}
END_TEST

START_TEST(test_pager_view)
{
	struct app_view *v = open_view(dir);
	struct qu_err err = {0};
	struct app_row r;
	ck_assert(app_view_row(v, 0, &r));
	struct qu_buf b, out;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	ck_assert_int_eq(app_view_read(v, r.id, &b, &err), 0);
	struct app_reader *rd = app_reader_new();
	app_message_view(rd, b.data, b.len, NULL, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "hFrom: Ann <ann@x>\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "hSubject: root\n"));
	ck_assert_ptr_null(strstr(out.data, "Message-ID"));
	ck_assert_ptr_nonnull(strstr(out.data, "bbody 0\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "q1> quoted\n"));
	qu_buf_reset(&out);
	struct app_pager_opts o = {.full_headers = true};
	app_message_view(rd, b.data, b.len, &o, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "hMessage-ID: <m0@x>\n"));
	/* A hostile subject cannot start a line of its own or reach the
	 * terminal as an escape. */
	const char *evil = "Subject: =?UTF-8?Q?a=0Ab=1B[2J?=\n\nx\n";
	qu_buf_reset(&out);
	app_message_view(rd, evil, strlen(evil), NULL, &out);
	ck_assert_ptr_null(strchr(out.data, 0x1b));
	ck_assert_ptr_nonnull(strstr(out.data, "hSubject: a\\x0Ab\\e[2J\n"));
	/* HTML alone is shown as text; with a plain alternative, the plain. */
	const char *html = "Content-Type: text/html; charset=utf-8\n\n"
			   "<p>Hello <b>there</b></p><script>x()</script>\n";
	qu_buf_reset(&out);
	app_message_view(rd, html, strlen(html), NULL, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "bHello there\n"));
	ck_assert_ptr_null(strstr(out.data, "<b>"));
	ck_assert_ptr_null(strstr(out.data, "x()"));
	const char *alt = "Content-Type: multipart/alternative; boundary=b\n\n--b\n"
			  "Content-Type: text/plain\n\nplain one\n--b\n"
			  "Content-Type: text/html\n\n<p>html one</p>\n--b--\n";
	qu_buf_reset(&out);
	app_message_view(rd, alt, strlen(alt), NULL, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "bplain one\n"));
	ck_assert_ptr_null(strstr(out.data, "html one"));
	/* format=flowed (RFC 3676): soft breaks joined, stuffing undone, a
	 * quote depth change ends a paragraph, DelSp drops the break's space. */
	const char *flowed = "Content-Type: text/plain; format=flowed\n\n"
			     "one two \nthree\n> quoted \n> more\n From here\n-- \nsig\n";
	qu_buf_reset(&out);
	app_message_view(rd, flowed, strlen(flowed), NULL, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "bone two three\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "q1> quoted more\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "bFrom here\nb-- \nbsig\n"));
	const char *delsp = "Content-Type: text/plain; format=flowed; delsp=yes\n\n"
			    "\xe4\xbd\xa0\xe5\xa5\xbd \n\xe4\xb8\x96\xe7\x95\x8c\n";
	qu_buf_reset(&out);
	app_message_view(rd, delsp, strlen(delsp), NULL, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "b\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c\n"));
	app_reader_free(rd);
	qu_buf_clear(&b);
	qu_buf_clear(&out);
	app_view_free(v);
}
END_TEST

START_TEST(test_resolve_and_sort_names)
{
	struct qu_err err = {0};
	char *p = app_view_resolve("=Archive", "/m", &err);
	ck_assert_str_eq(p, "/m/Archive");
	free(p);
	ck_assert_ptr_null(app_view_resolve("=../etc", "/m", &err));
	ck_assert_ptr_null(app_view_resolve("=x", NULL, &err));
	/* Completion of =NAME under a root: names that start alike, sorted,
	 * no dot files. */
	char *root = xasprintf("%s/..", dir);
	char *mk = xasprintf("mkdir -p '%s/Archive' '%s/Arch2' '%s/.hidden'", root, root, root);
	ck_assert_int_eq(system(mk), 0);
	size_t n;
	char **c = app_view_complete("=Ar", root, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(c[0], "=Arch2");
	ck_assert_str_eq(c[1], "=Archive");
	for (size_t i = 0; i < n; i++)
		free(c[i]);
	free(c);
	c = app_view_complete("=.", root, &n);
	ck_assert_uint_eq(n, 0);
	free(c);
	free(mk);
	free(root);
	enum app_sort s;
	bool rev;
	ck_assert_int_eq(app_sort_parse("reverse-threads", &s, &rev), 0);
	ck_assert(rev);
	ck_assert_int_eq(s, APP_SORT_THREADS);
	ck_assert_int_eq(app_sort_parse("bogus", &s, &rev), -1);
}
END_TEST

/* A first page from the index: one LIMIT query in date order, taken only
 * by a view sorted so, and replaced by the folder's rows when they come. */
static bool replaced_seen;

static void
add_batch_note(void *ctx, struct app_view_batch *b)
{
	if (app_view_add(ctx, b))
		replaced_seen = true;
}

START_TEST(test_first_page_from_index)
{
	char *cache = xasprintf("%s/cache", base);
	ck_assert_int_eq(setenv("XDG_CACHE_HOME", cache, 1), 0);
	struct qu_err err = {0};
	struct app_view *v = app_view_new(dir, &err);
	/* No index yet: nothing, and no database made by asking. */
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_DATE, false, 2, add_batch, v, &err), 0);
	char *db = xasprintf("%s/quail/index.sqlite", cache);
	ck_assert_int_ne(access(db, F_OK), 0);
	ck_assert_int_eq(app_view_index(dir, NULL, &err), 0);
	ck_assert_int_eq(access(db, F_OK), 0);
	/* Two rows of five, oldest first, the total from the index. */
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_DATE, false, 2, add_batch, v, &err), 1);
	ck_assert_uint_eq(app_view_count(v), 2);
	ck_assert_uint_eq(app_view_total(v), 5);
	/* The screen the folder opens on: its last row is the first unread
	 * message ("other", third by date), so rows 2 and 3 of five. */
	ck_assert_str_eq(subject_at(v, 0), "Re: root");
	ck_assert_str_eq(subject_at(v, 1), "other");
	ck_assert_uint_eq(app_view_row_base(v), 1);
	/* The status line's counts come with the page. */
	size_t unread, flagged, deleted, tagged;
	app_view_counts(v, &unread, &flagged, &deleted, &tagged);
	ck_assert_uint_eq(unread, 1);
	ck_assert_uint_eq(flagged, 1);
	ck_assert_uint_eq(deleted, 0);
	/* The folder's own rows replace the page (ids change: true). */
	bool need = false;
	replaced_seen = false;
	ck_assert_int_eq(app_view_load(dir, NULL, add_batch_note, v, &need, &err), 0);
	ck_assert(replaced_seen);
	ck_assert_uint_eq(app_view_count(v), 5);
	ck_assert_uint_eq(app_view_total(v), 5);
	ck_assert_uint_eq(app_view_row_base(v), 0);
	app_view_counts(v, &unread, &flagged, &deleted, &tagged);
	ck_assert_uint_eq(unread, 1);
	ck_assert_uint_eq(flagged, 1);
	app_view_free(v);
	/* Newest first with reverse. */
	v = app_view_new(dir, &err);
	app_view_sort(v, APP_SORT_DATE, true);
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_DATE, true, 1, add_batch, v, &err), 1);
	ck_assert_uint_eq(app_view_count(v), 1);
	/* Newest first, one row: the first unread, third from the top. */
	ck_assert_str_eq(subject_at(v, 0), "other");
	ck_assert_uint_eq(app_view_row_base(v), 2);
	/* A folder read through with no rows (emptied since it was
	 * indexed) drops the page; a view of rows has none to drop. */
	ck_assert(app_view_end_page(v));
	ck_assert_uint_eq(app_view_count(v), 0);
	ck_assert_uint_eq(app_view_total(v), 0);
	ck_assert(!app_view_end_page(v));
	app_view_free(v);
	/* A page asked in date order for a view sorted in threads since
	 * is dropped; other sorts give no page. */
	v = app_view_new(dir, &err);
	app_view_sort(v, APP_SORT_THREADS, false);
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_DATE, false, 3, add_batch, v, &err), 1);
	ck_assert_uint_eq(app_view_count(v), 0);
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_UNSORTED, false, 3, add_batch, v, &err), 0);
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_THREADS, true, 3, add_batch, v, &err), 0);
	app_view_free(v);
	/* A date page when the sort turns to threads (keys typed while the
	 * folder is read): its rows go, its total stays, and a threaded page
	 * is taken. */
	v = app_view_new(dir, &err);
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_DATE, false, 2, add_batch, v, &err), 1);
	ck_assert_uint_eq(app_view_count(v), 2);
	app_view_sort(v, APP_SORT_THREADS, false);
	ck_assert_uint_eq(app_view_count(v), 0);
	ck_assert(app_view_paged(v));
	ck_assert_uint_eq(app_view_total(v), 5);
	/* Threads: whole threads from the newest root back. One row asked:
	 * the newest thread, "other" alone. */
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_THREADS, false, 1, add_batch, v, &err), 1);
	ck_assert_uint_eq(app_view_count(v), 1);
	ck_assert_str_eq(subject_at(v, 0), "other");
	ck_assert_uint_eq(app_view_row_base(v), 4); /* the last of five rows */
	app_view_free(v);
	/* Three asked: root's thread is whole (four rows), with its tree as
	 * the folder's own rows draw it (test_threads), and the full read
	 * shows the same rows. */
	static const char *const want[] = {"root", "Re: root", "Re: root again", "Re: root too",
		"other"};
	static const char *const tree[] = {"", "+", "|`", "`", ""};
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0) {
			v = app_view_new(dir, &err);
			app_view_sort(v, APP_SORT_THREADS, false);
			ck_assert_int_eq(app_view_first_page(dir, APP_SORT_THREADS, false, 3, add_batch, v,
						 &err), 1);
		} else {
			ck_assert_int_eq(app_view_load(dir, NULL, add_batch, v, &need, &err), 0);
		}
		ck_assert_uint_eq(app_view_count(v), 5);
		for (size_t i = 0; i < 5; i++) {
			struct app_row r;
			ck_assert(app_view_row(v, i, &r));
			ck_assert_str_eq(r.subject, want[i]);
			ck_assert_str_eq(r.tree, tree[i]);
		}
	}
	app_view_free(v);
	/* Other sorts walk an index of the database. By sender: the last
	 * two of Ann, Ann, Bob, Cy, Dee (Ann's by date); Z-A: Ann's, newer
	 * first. By subject (case folded): other, Re: root, Re: root again,
	 * Re: root too, root. Each page as the folder's own rows show it. */
	static const struct {
		enum app_sort sort;
		bool reverse;
		const char *want[2];
	} pages[] = {
		{APP_SORT_FROM, false, {"other", "Re: root too"}},
		{APP_SORT_FROM, true, {"Re: root again", "root"}},
		{APP_SORT_SUBJECT, false, {"Re: root too", "root"}},
		{APP_SORT_SUBJECT, true, {"Re: root", "other"}},
	};
	for (size_t k = 0; k < QU_ARRAY_LEN(pages); k++) {
		v = app_view_new(dir, &err);
		app_view_sort(v, pages[k].sort, pages[k].reverse);
		ck_assert_int_eq(app_view_first_page(dir, pages[k].sort, pages[k].reverse, 2, add_batch,
					 v, &err), 1);
		ck_assert_uint_eq(app_view_count(v), 2);
		ck_assert_str_eq(subject_at(v, 0), pages[k].want[0]);
		ck_assert_str_eq(subject_at(v, 1), pages[k].want[1]);
		ck_assert_int_eq(app_view_load(dir, NULL, add_batch, v, &need, &err), 0);
		ck_assert_uint_eq(app_view_count(v), 5);
		ck_assert_str_eq(subject_at(v, 3), pages[k].want[0]);
		ck_assert_str_eq(subject_at(v, 4), pages[k].want[1]);
		app_view_free(v);
	}
	/* Nothing unread (another program read "other"): the last rows,
	 * where the cursor starts, numbered from their place. */
	char *from = xasprintf("%s/cur/1799999998.M2P1.test:2,", dir);
	char *to = xasprintf("%s/cur/1799999998.M2P1.test:2,S", dir);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_int_eq(app_view_index(dir, NULL, &err), 0);
	v = app_view_new(dir, &err);
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_DATE, false, 2, add_batch, v, &err), 1);
	ck_assert_str_eq(subject_at(v, 0), "Re: root again");
	ck_assert_str_eq(subject_at(v, 1), "Re: root too");
	ck_assert_uint_eq(app_view_row_base(v), 3);
	app_view_counts(v, &unread, &flagged, &deleted, &tagged);
	ck_assert_uint_eq(unread, 0);
	ck_assert_uint_eq(flagged, 1);
	app_view_free(v);
	free(from);
	free(to);
	free(db);
	free(cache);
}
END_TEST

/* A flag key renames the file; the rename reaches the index, so that a
 * first page read from it afterwards has the new flags. */
START_TEST(test_flag_change_reaches_index)
{
	char *cache = xasprintf("%s/cache", base);
	ck_assert_int_eq(setenv("XDG_CACHE_HOME", cache, 1), 0);
	struct qu_err err = {0};
	struct app_view *v = open_view(dir);
	char **pairs;
	/* No index: renames are kept for it, telling it does nothing. */
	ck_assert_uint_eq(app_view_take_renames(v, &pairs), 0);
	ck_assert_ptr_null(pairs);
	ck_assert_int_eq(app_view_index(dir, NULL, &err), 0);
	struct app_row r;
	ck_assert(app_view_row(v, 2, &r));
	ck_assert_str_eq(r.subject, "other");
	ck_assert_int_eq(app_view_set_flags(v, r.id, APP_MSG_SEEN | APP_MSG_FLAGGED, 0, &err), 0);
	ck_assert_uint_eq(app_view_take_renames(v, &pairs), 1);
	ck_assert_ptr_null(strstr(pairs[0], ":2,FS"));
	ck_assert_ptr_nonnull(strstr(pairs[1], ":2,FS"));
	ck_assert_int_eq(app_view_index_renames(dir, pairs, 1, NULL, &err), 0);
	free(pairs[0]);
	free(pairs[1]);
	free(pairs);
	ck_assert_uint_eq(app_view_take_renames(v, &pairs), 0);
	app_view_free(v);
	v = app_view_new(dir, &err);
	ck_assert_int_eq(app_view_first_page(dir, APP_SORT_DATE, false, 5, add_batch, v, &err), 1);
	ck_assert(app_view_row(v, 2, &r));
	ck_assert_str_eq(r.subject, "other");
	ck_assert(r.flags & APP_MSG_SEEN);
	ck_assert(r.flags & APP_MSG_FLAGGED);
	app_view_free(v);
	free(cache);
}
END_TEST

/* Sets the mtime of DIR/sub to t (seconds). */
static void
set_mtime(const char *md, const char *sub, time_t t)
{
	char *p = xasprintf("%s/%s", md, sub);
	struct timespec ts[2] = {{t, 0}, {t, 0}};
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	free(p);
}

/* A folder whose cur/ and new/ are as the index last saw them opens
 * from the index's rows alone: a file slipped into cur/ behind the
 * directory's back (its mtime put back) is not listed. Once cur/
 * changes, the folder is listed again and the file shows. */
static int batches;

static void
add_counted(void *ctx, struct app_view_batch *b)
{
	batches++;
	app_view_add(ctx, b);
}

/* add_counted that fires cancel once the batch numbered at is in. */
struct cancel_at {
	struct app_view *v;
	struct qu_cancel *cancel;
	int at;
};

static void
add_then_cancel(void *ctx, struct app_view_batch *b)
{
	struct cancel_at *c = ctx;
	add_counted(c->v, b);
	if (batches == c->at)
		qu_cancel_fire(c->cancel);
}

/* A new view of dir loaded as the UI opens it (from the index where it
 * holds the folder), counting its batches in batches. */
static struct app_view *
load_counted(void)
{
	struct qu_err err = {0};
	bool need = false;
	struct app_view *v = app_view_new(dir, &err);
	ck_assert_msg(v != NULL, "%s", err.msg);
	batches = 0;
	ck_assert_int_eq(app_view_load(dir, NULL, add_counted, v, &need, &err), 0);
	return v;
}

START_TEST(test_open_current_without_listing)
{
	char *cache = xasprintf("%s/cache", base);
	ck_assert_int_eq(setenv("XDG_CACHE_HOME", cache, 1), 0);
	struct qu_err err = {0};
	/* An index pass trusts only directories older than a few seconds. */
	time_t old = time(NULL) - 3600;
	set_mtime(dir, "cur", old);
	set_mtime(dir, "new", old);
	ck_assert_int_eq(app_view_index(dir, NULL, &err), 0);
	put(dir, 5, "slipped in", "Eve <eve@x>", "", "S");
	set_mtime(dir, "cur", old);
	struct app_view *v = app_view_new(dir, &err);
	bool need = false;
	ck_assert_int_eq(app_view_load(dir, NULL, add_batch, v, &need, &err), 0);
	ck_assert(need);
	ck_assert_uint_eq(app_view_count(v), 5);
	ck_assert_str_eq(subject_at(v, 0), "root");
	/* Flags and names come from the index: "other" is unseen. */
	size_t unread, flagged, deleted, tagged;
	app_view_counts(v, &unread, &flagged, &deleted, &tagged);
	ck_assert_uint_eq(unread, 1);
	ck_assert_uint_eq(flagged, 1);
	struct app_row r;
	ck_assert(app_view_row(v, 0, &r));
	ck_assert_ptr_nonnull(strstr(r.path, "/cur/"));
	ck_assert_int_eq(access(r.path, F_OK), 0);
	/* Threads from the index's links, as test_threads has them from
	 * the files' headers. */
	app_view_sort(v, APP_SORT_THREADS, false);
	static const char *const tree[] = {"", "+", "|`", "`", ""};
	for (size_t i = 0; i < 5; i++) {
		ck_assert(app_view_row(v, i, &r));
		ck_assert_str_eq(r.tree, tree[i]);
	}
	ck_assert_str_eq(subject_at(v, 2), "Re: root again");
	app_view_free(v);
	set_mtime(dir, "cur", old + 60);
	/* The index holds five of the six files listed now: its five rows,
	 * then the one it lacks read from its file, in a batch of its own. */
	v = load_counted();
	ck_assert_int_eq(batches, 2);
	ck_assert_uint_eq(app_view_count(v), 6);
	ck_assert_str_eq(subject_at(v, 5), "slipped in"); /* the newest */
	app_view_free(v);
	/* Five of twelve, as while an update is still at work on a folder:
	 * still the index's rows, and only the seven it lacks read. */
	for (int i = 6; i < 12; i++)
		put(dir, i, "later", "Eve <eve@x>", "", "S");
	set_mtime(dir, "cur", old + 120);
	v = load_counted();
	ck_assert_int_eq(batches, 2);
	ck_assert_uint_eq(app_view_count(v), 12);
	ck_assert_str_eq(subject_at(v, 0), "root");
	ck_assert_str_eq(subject_at(v, 11), "later");
	app_view_free(v);
	/* Five of 212: the files read come in growing batches (64, then the
	 * other 143), as a folder read from its files does, so that rows
	 * show early; and a cancel between two files stops the read. */
	for (int i = 12; i < 212; i++)
		put(dir, i, "later", "Eve <eve@x>", "", "S");
	set_mtime(dir, "cur", old + 180);
	v = load_counted();
	ck_assert_int_eq(batches, 3);
	ck_assert_uint_eq(app_view_count(v), 212);
	app_view_free(v);
	v = app_view_new(dir, &err);
	struct cancel_at at = {v, qu_cancel_new(), 2};
	batches = 0;
	qu_err_clear(&err);
	ck_assert_int_eq(app_view_load(dir, at.cancel, add_then_cancel, &at, &need, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert_int_eq(batches, 2);
	ck_assert_uint_eq(app_view_count(v), 5 + 64);
	qu_cancel_free(at.cancel);
	app_view_free(v);
	free(cache);
}
END_TEST

/* The heap a view takes per message: what sorting, limits and threads
 * need (a fixed record, the header strings in large blocks), with no
 * malloc per field. A row of this kind (about 300 bytes of strings) took
 * about 650 bytes with a malloc per field and a 184-byte record, and
 * about 500 in blocks; the bound leaves room for the arrays' growth but
 * fails when a malloc per string or a wider record comes back. glibc's
 * mallinfo2 counts what is in use; under a sanitizer's allocator it
 * stays 0 and there is nothing to measure. */
static void
put_big(const char *md, int n)
{
	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/cur/%d.M%dP7.big,S=2000:2,S", md, 1700000000 + i, i);
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f,
			"From: Firstname Lastname%d <first.last%d@example.org>\n"
			"To: Someone Else <someone.else@example.com>\n"
			"Cc: list%d@lists.example.net\n"
			"Subject: Re: a subject line of a usual length, number %d\n"
			"Date: Tue, %d Nov 2026 %02d:%02d:00 +0100\n"
			"Message-ID: <%d.1234567890.abcdef@mail.example.org>\n"
			"In-Reply-To: <%d.1234567890.abcdef@mail.example.org>\n\nbody\n",
			i % 97, i % 97, i % 13, i, 1 + i % 28, i % 24, i % 60, i, i / 2);
		fclose(f);
		free(path);
	}
}

START_TEST(test_bytes_per_message)
{
	enum { N = 5000 };
	char *md = xasprintf("%s/Big", base);
	mkmaildir(md);
	put_big(md, N);
	struct app_view *warm = open_view(dir); /* caches, first allocations */
	app_view_free(warm);
	struct mallinfo2 mi = mallinfo2();
	size_t before = mi.uordblks + mi.hblkhd; /* small blocks and mmap'ed ones */
	struct app_view *v = open_view(md);
	ck_assert_uint_eq(app_view_count(v), N);
	ck_assert(!app_view_end_page(v)); /* read through, as the UI says */
	app_view_sort(v, APP_SORT_THREADS, false);
	app_view_sort(v, APP_SORT_DATE, false);
	app_view_sort(v, APP_SORT_THREADS, false);
	mi = mallinfo2();
	size_t after = mi.uordblks + mi.hblkhd;
	if (after != before) {
		size_t per = (after - before) / N;
		fprintf(stderr, "view: %zu bytes per message\n", per);
		ck_assert_uint_lt(per, 560);
	}
	struct app_row r;
	ck_assert(app_view_row(v, 1, &r));
	ck_assert_str_eq(r.tree, "`");
	app_view_free(v);
	free(md);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_date_order_and_counts);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_limit_and_search);
	tcase_add_test(tc, test_limit_off_thread);
	tcase_add_test(tc, test_new_mail_in_cur);
	tcase_add_test(tc, test_flags_expunge_move);
	tcase_add_test(tc, test_pager_view);
	tcase_add_test(tc, test_resolve_and_sort_names);
	tcase_add_test(tc, test_first_page_from_index);
	tcase_add_test(tc, test_flag_change_reaches_index);
	tcase_add_test(tc, test_open_current_without_listing);
	suite_add_tcase(s, tc);
	/* 5,000 files written on a busy machine take a few seconds. */
	TCase *big = tcase_create("size");
	tcase_add_checked_fixture(big, setup, teardown);
	tcase_set_timeout(big, 120);
	tcase_add_test(big, test_bytes_per_message);
	suite_add_tcase(s, big);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
