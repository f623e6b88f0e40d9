/* index_search, index_count and index_get (index/search.c): sort orders,
 * pages, folders, threaded depth, relevance and bad queries. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/util.h"
#include "index/index.h"
#include "../store/helpers.h"

static char *root;
static struct index *ix;

static void
mkmaildir(const char *path)
{
	static const char *const sub[] = {"", "/cur", "/new", "/tmp"};
	for (size_t i = 0; i < QU_ARRAY_LEN(sub); i++) {
		char *p = xasprintf("%s%s", path, sub[i]);
		ck_assert_int_eq(mkdir(p, 0700), 0);
		free(p);
	}
}

/* name, folder, day of January 2026, sender, subject, body, References */
static const struct {
	const char *name, *folder;
	int day;
	const char *from, *subject, *body, *refs;
	size_t pad;
} msgs[] = {
	{"1.a:2,S", "INBOX", 3, "Carol <carol@x>", "budget", "apple apple apple", NULL, 0},
	{"2.b:2,", "INBOX", 5, "alice@x", "Re: budget", "apple", "<1.a@x>", 3000},
	{"3.c:2,F", "INBOX", 1, "Bob <bob@x>", "agenda", "pear", NULL, 100},
	{"4.d:2,S", "Work", 4, "Dave <dave@x>", "Re: Re: budget", "apple tree", "<1.a@x> <2.b@x>", 0},
	{"5.e:2,", "Work", 2, "Eve <eve@x>", "notes", "plum", NULL, 50},
};

static void
setup(void)
{
	root = th_mkdtemp();
	char *mail = xasprintf("%s/Mail", root);
	ck_assert_int_eq(mkdir(mail, 0700), 0);
	char *inbox = xasprintf("%s/INBOX", mail), *work = xasprintf("%s/Work", mail);
	mkmaildir(inbox);
	mkmaildir(work);
	for (size_t i = 0; i < QU_ARRAY_LEN(msgs); i++) {
		char *pad = xcalloc(1, msgs[i].pad + 1);
		memset(pad, 'z', msgs[i].pad);
		const char *dot = strchr(msgs[i].name, ':');
		char *msg = xasprintf("From: %s\nSubject: %s\nDate: %d Jan 2026 12:00:00 +0000\n"
				      "Message-ID: <%.*s@x>\n%s%s%s\n%s\n%s\n",
			msgs[i].from, msgs[i].subject, msgs[i].day, (int)(dot - msgs[i].name),
			msgs[i].name, msgs[i].refs ? "References: " : "",
			msgs[i].refs ? msgs[i].refs : "", msgs[i].refs ? "\n" : "", msgs[i].body, pad);
		char *path = xasprintf("%s/%s/cur/%s", mail, msgs[i].folder, msgs[i].name);
		th_write(path, msg, strlen(msg));
		free(path);
		free(msg);
		free(pad);
	}
	char *db = xasprintf("%s/index.sqlite", root);
	struct qu_err err = {0};
	ix = index_open(db, 0, &err);
	ck_assert_msg(ix != NULL, "%s", err.msg);
	const char *paths[] = {mail};
	ck_assert_msg(index_update(ix, paths, 1, NULL, NULL, &err) == 0, "%s", err.msg);
	free(db);
	free(mail);
	free(inbox);
	free(work);
}

static void
teardown(void)
{
	index_free(ix);
	th_rmrf(root);
	free(root);
}

struct got {
	struct qu_buf b; /* "subject/depth|..." */
};

static int
collect(void *ctx, const struct index_row *r, struct qu_err *err)
{
	struct got *g = ctx;
	qu_buf_printf(&g->b, "%s%s/%u", g->b.len ? "|" : "", r->subject, r->depth);
	ck_assert(r->path && access(r->path, R_OK) == 0);
	return 0;
}

/* The rows of a search as "subject/depth|...", owned. */
static char *
search(const char *folder, const char *q, enum index_sort sort, uint64_t off, uint64_t lim)
{
	struct got g;
	qu_buf_init(&g.b, SIZE_MAX);
	qu_buf_append_str(&g.b, "");
	struct qu_err err = {0};
	long n = index_search(ix, folder, q, sort, off, lim, collect, &g, &err);
	ck_assert_msg(n >= 0, "%s", err.msg);
	return qu_buf_steal(&g.b, NULL);
}

static const struct {
	const char *folder, *query;
	enum index_sort sort;
	uint64_t off, lim;
	const char *want;
} cases[] = {
	{NULL, "", INDEX_SORT_NEWEST, 0, 10,
		"Re: budget/0|Re: Re: budget/0|budget/0|notes/0|agenda/0"},
	{NULL, "", INDEX_SORT_OLDEST, 0, 2, "agenda/0|notes/0"},
	{NULL, "", INDEX_SORT_OLDEST, 2, 2, "budget/0|Re: Re: budget/0"},
	{NULL, "", INDEX_SORT_SUBJECT, 0, 10,
		"agenda/0|budget/0|notes/0|Re: budget/0|Re: Re: budget/0"},
	{NULL, "", INDEX_SORT_FROM, 0, 3, "Re: budget/0|agenda/0|budget/0"},
	{NULL, "", INDEX_SORT_SIZE, 0, 2, "Re: budget/0|agenda/0"},
	{"INBOX", "", INDEX_SORT_NEWEST, 0, 10, "Re: budget/0|budget/0|agenda/0"},
	{"Work", "apple", INDEX_SORT_NEWEST, 0, 10, "Re: Re: budget/0"},
	{NULL, "", INDEX_SORT_THREADS, 0, 10,
		"budget/0|Re: Re: budget/2|Re: budget/1|notes/0|agenda/0"},
	{NULL, "apple", INDEX_SORT_RELEVANCE, 0, 1, "budget/0"},
	{NULL, "is:flagged OR plum", INDEX_SORT_NEWEST, 0, 10, "notes/0|agenda/0"},
	{"Nowhere", "", INDEX_SORT_NEWEST, 0, 10, ""},
};

START_TEST(search_table)
{
	char *got = search(cases[_i].folder, cases[_i].query, cases[_i].sort, cases[_i].off,
		cases[_i].lim);
	ck_assert_msg(strcmp(got, cases[_i].want) == 0, "case %d: got \"%s\" want \"%s\"", _i, got,
		cases[_i].want);
	free(got);
}
END_TEST

START_TEST(count_and_get)
{
	uint64_t n = 0;
	struct qu_err err = {0};
	ck_assert_int_eq(index_count(ix, NULL, "apple", &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(index_count(ix, "Work", NULL, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	struct got g;
	qu_buf_init(&g.b, SIZE_MAX);
	qu_buf_append_str(&g.b, "");
	ck_assert_int_eq(index_get(ix, 999999, collect, &g, &err), 0);
	ck_assert_int_eq(index_get(ix, 1, collect, &g, &err), 1);
	ck_assert_uint_gt(g.b.len, 0);
	qu_buf_clear(&g.b);
}
END_TEST

/* A folder's first screen: its counts and the first unread message's
 * place (INBOX by date: agenda day 1 unread and flagged, budget day 3
 * read, Re: budget day 5 unread; Work: notes day 2 unread, Re: Re:
 * budget day 4 read). */
START_TEST(folder_marks)
{
	struct qu_err err = {0};
	struct index_marks m;
	char *inbox = xasprintf("%s/Mail/INBOX", root), *work = xasprintf("%s/Mail/Work", root);
	ck_assert_int_eq(index_folder_marks(ix, inbox, false, &m, &err), 1);
	ck_assert_uint_eq(m.total, 3);
	ck_assert_uint_eq(m.unread, 2);
	ck_assert_uint_eq(m.flagged, 1);
	ck_assert_uint_eq(m.deleted, 0);
	ck_assert_uint_eq(m.first_unread, 0);
	ck_assert_int_eq(index_folder_marks(ix, work, false, &m, &err), 1);
	ck_assert_uint_eq(m.unread, 1);
	ck_assert_uint_eq(m.first_unread, 0);
	/* Newest first: Re: Re: budget, then notes. */
	ck_assert_int_eq(index_folder_marks(ix, work, true, &m, &err), 1);
	ck_assert_uint_eq(m.first_unread, 1);
	char *nowhere = xasprintf("%s/Mail/Nowhere", root);
	ck_assert_int_eq(index_folder_marks(ix, nowhere, false, &m, &err), 0);
	/* A file made before the partial indexes: no marks (counting would
	 * read every row) until an open that may write adds them. */
	index_free(ix);
	char *db = xasprintf("%s/index.sqlite", root);
	sqlite3 *h = NULL;
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "DROP INDEX msg_folder_unread", NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(h);
	ix = index_open(db, INDEX_OPEN_QUICK, &err);
	ck_assert_ptr_nonnull(ix);
	ck_assert_int_eq(index_folder_marks(ix, inbox, false, &m, &err), 0);
	index_free(ix);
	ix = index_open(db, 0, &err);
	ck_assert_ptr_nonnull(ix);
	ck_assert_int_eq(index_folder_marks(ix, inbox, true, &m, &err), 1);
	ck_assert_uint_eq(m.unread, 2);
	ck_assert_uint_eq(m.first_unread, 0);
	free(db);
	free(nowhere);
	free(inbox);
	free(work);
}
END_TEST

/* "unread flagged trashed" of folder name's kept counts, or "none". */
static char *
kept(sqlite3 *h, const char *name)
{
	char *sql = sqlite3_mprintf("SELECT m.unread || ' ' || m.flagged || ' ' || m.trashed"
				    " FROM folder_marks AS m JOIN folder AS f ON f.id = m.folder"
				    " WHERE f.name = %Q", name);
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	char *r = xstrdup(sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0)
							 : "none");
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return r;
}

static void
exec_ok(sqlite3 *h, const char *sql)
{
	char *msg = NULL;
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg);
}

#define KEPT(h, name, want)                                                          \
	do {                                                                         \
		char *k_ = kept(h, name);                                            \
		ck_assert_str_eq(k_, want);                                          \
		free(k_);                                                            \
	} while (0)

/* The counts a first screen reads are kept by triggers through flag
 * changes, deletions, moves between folders and a folder's removal, and
 * come to a file made before them at its next full open and update. */
START_TEST(folder_marks_kept)
{
	struct qu_err err = {0};
	struct index_marks m;
	char *db = xasprintf("%s/index.sqlite", root), *mail = xasprintf("%s/Mail", root);
	char *inbox = xasprintf("%s/Mail/INBOX", root);
	sqlite3 *h = NULL;
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	KEPT(h, "INBOX", "2 1 0");
	KEPT(h, "Work", "1 0 0");
	/* agenda read and deleted; Re: budget flagged. */
	exec_ok(h, "UPDATE msg SET flags = 1 | 2 | 8 WHERE subject = 'agenda'");
	exec_ok(h, "UPDATE msg SET flags = flags | 2 WHERE subject = 'Re: budget'");
	KEPT(h, "INBOX", "1 2 1");
	/* A flag update that changes nothing leaves them. */
	exec_ok(h, "UPDATE msg SET flags = flags WHERE subject = 'agenda'");
	KEPT(h, "INBOX", "1 2 1");
	/* notes (unread) moved from Work to INBOX, then agenda removed. */
	exec_ok(h, "UPDATE msg SET folder = (SELECT id FROM folder WHERE name = 'INBOX')"
		   " WHERE subject = 'notes'");
	KEPT(h, "INBOX", "2 2 1");
	KEPT(h, "Work", "0 0 0");
	exec_ok(h, "DELETE FROM msg WHERE subject = 'agenda'");
	KEPT(h, "INBOX", "2 1 0");
	/* The first screen reads them rather than counting: a kept count
	 * that fits the folder is taken as it is, one that cannot be true is
	 * counted again. */
	exec_ok(h, "UPDATE folder_marks SET unread = 1"
		   " WHERE folder = (SELECT id FROM folder WHERE name = 'INBOX')");
	ck_assert_int_eq(index_folder_marks(ix, inbox, false, &m, &err), 1);
	ck_assert_uint_eq(m.unread, 1);
	exec_ok(h, "UPDATE folder_marks SET unread = 99"
		   " WHERE folder = (SELECT id FROM folder WHERE name = 'INBOX')");
	ck_assert_int_eq(index_folder_marks(ix, inbox, false, &m, &err), 1);
	ck_assert_uint_eq(m.unread, 2);
	ck_assert_uint_eq(m.flagged, 1);
	/* A removed folder takes its row along. */
	exec_ok(h, "DELETE FROM msg WHERE folder = (SELECT id FROM folder WHERE name = 'Work');"
		   " DELETE FROM folder WHERE name = 'Work'");
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM folder_marks", -1, &st, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	/* A file made before the kept counts: a full open adds the table and
	 * its triggers, the next update of the folder counts it once. */
	index_free(ix);
	exec_ok(h, "DROP TRIGGER msg_marks_add; DROP TRIGGER msg_marks_del;"
		   " DROP TRIGGER msg_marks_change; DROP TRIGGER folder_marks_gone;"
		   " DROP TABLE folder_marks");
	ix = index_open(db, 0, &err);
	ck_assert_msg(ix != NULL, "%s", err.msg);
	KEPT(h, "INBOX", "none");
	/* Without a row the first screen counts. */
	ck_assert_int_eq(index_folder_marks(ix, inbox, false, &m, &err), 1);
	ck_assert_uint_eq(m.unread, 2);
	const char *paths[] = {mail};
	ck_assert_msg(index_update(ix, paths, 1, NULL, NULL, &err) == 0, "%s", err.msg);
	/* The update finds the files again: agenda back (unread, flagged)
	 * and notes back in Work; Re: budget keeps the flag its row was given
	 * above, as its file did not change. */
	KEPT(h, "INBOX", "2 2 0");
	KEPT(h, "Work", "1 0 0");
	sqlite3_close(h);
	free(inbox);
	free(mail);
	free(db);
}
END_TEST

/* A threaded first screen from the start to the first unread message:
 * INBOX in thread order is agenda (day 1), budget (day 3) and its reply
 * Re: budget (day 5, unread); with agenda read, one row's screen ends on
 * the reply and is given from its thread's start. */
START_TEST(thread_head)
{
	struct qu_err err = {0};
	char *inbox = xasprintf("%s/Mail/INBOX", root);
	char *from = xasprintf("%s/cur/3.c:2,F", inbox), *to = xasprintf("%s/cur/3.c:2,FS", inbox);
	ck_assert_int_eq(rename(from, to), 0);
	const char *paths[] = {inbox};
	ck_assert_int_eq(index_update(ix, paths, 1, NULL, NULL, &err), 0);
	struct got g;
	qu_buf_init(&g.b, SIZE_MAX);
	qu_buf_append_str(&g.b, "");
	uint64_t base = 9, unread = 9;
	ck_assert_int_eq(index_thread_head(ix, inbox, 1, 100, collect, &g, &base, &unread, &err), 2);
	ck_assert_str_eq(g.b.data, "budget/0|Re: budget/0");
	ck_assert_uint_eq(base, 1);
	ck_assert_uint_eq(unread, 2);
	/* Not within max rows of the start: nothing. */
	ck_assert_int_eq(index_thread_head(ix, inbox, 1, 1, collect, &g, &base, &unread, &err), 0);
	qu_buf_clear(&g.b);
	free(from);
	free(to);
	free(inbox);
}
END_TEST

START_TEST(bad_query)
{
	struct qu_err err = {0};
	uint64_t n;
	ck_assert_int_eq(index_count(ix, NULL, "(apple", &n, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "position"));
	enum index_sort s;
	ck_assert_int_eq(index_sort_parse("threads", &s), 0);
	ck_assert_int_eq(s, INDEX_SORT_THREADS);
	ck_assert_int_eq(index_sort_parse("bogus", &s), -1);
}
END_TEST

static Suite *
search_suite(void)
{
	Suite *s = suite_create("index-search");
	TCase *tc = tcase_create("search");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, search_table, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_test(tc, count_and_get);
	tcase_add_test(tc, bad_query);
	tcase_add_test(tc, folder_marks);
	tcase_add_test(tc, folder_marks_kept);
	tcase_add_test(tc, thread_head);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return th_run(search_suite());
}
