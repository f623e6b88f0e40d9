/* index_update (index/update.c) and the threads it keeps (index/thread.c):
 * messages added, removed, renamed, moved and rewritten, files that
 * vanish, and thread tables with broken references, loops, missing
 * parents and out-of-order arrival. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "index/index.h"
#include "index/private.h"
#include "../store/helpers.h"

static char *root;
static char *inbox;
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

static void
setup(void)
{
	root = th_mkdtemp();
	char *mail = xasprintf("%s/Mail", root);
	ck_assert_int_eq(mkdir(mail, 0700), 0);
	free(mail);
	inbox = xasprintf("%s/Mail/INBOX", root);
	mkmaildir(inbox);
	char *db = xasprintf("%s/index.sqlite", root);
	struct qu_err err = {0};
	ix = index_open(db, 0, &err);
	ck_assert_msg(ix != NULL, "%s", err.msg);
	free(db);
}

static void
teardown(void)
{
	index_free(ix);
	th_rmrf(root);
	free(root);
	free(inbox);
}

/* Writes a message into DIR/rel ("cur/NAME:2,S"). */
static void
put(const char *dir, const char *rel, const char *mid, const char *refs, const char *subject,
	const char *body)
{
	char *msg = xasprintf("From: Alice <alice@example.com>\nTo: Bob <bob@example.com>\n"
			      "Subject: %s\nDate: Mon, 5 Jan 2026 10:00:00 +0000\n"
			      "%s%s%s%s%s%s\n%s\n",
		subject, mid ? "Message-ID: <" : "", mid ? mid : "", mid ? ">\n" : "",
		refs ? "References: " : "", refs ? refs : "", refs ? "\n" : "", body);
	char *path = xasprintf("%s/%s", dir, rel);
	th_write(path, msg, strlen(msg));
	free(path);
	free(msg);
}

static int64_t
int_of(const char *sql, const char *arg)
{
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL), SQLITE_OK);
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	int64_t v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static struct index_stats
update(const char *path)
{
	struct index_stats st;
	struct qu_err err = {0};
	const char *paths[] = {path};
	ck_assert_msg(index_update(ix, paths, 1, NULL, &st, &err) == 0, "%s", err.msg);
	/* The counts the triggers keep agree with the rows. */
	ck_assert_int_eq(int_of("SELECT count(*) FROM folder WHERE msgs IS NOT"
				" (SELECT count(*) FROM msg WHERE msg.folder = folder.id)",
				 NULL),
		0);
	/* So do the unread, flagged and deleted counts, and every folder
	 * has them after an update. */
	ck_assert_int_eq(int_of("SELECT count(*) FROM folder AS f LEFT JOIN folder_marks AS m"
				" ON m.folder = f.id WHERE m.unread IS NOT"
				" (SELECT count(*) FROM msg WHERE folder = f.id AND flags & 1 = 0)"
				" OR m.flagged IS NOT"
				" (SELECT count(*) FROM msg WHERE folder = f.id AND flags & 2 <> 0)"
				" OR m.trashed IS NOT"
				" (SELECT count(*) FROM msg WHERE folder = f.id AND flags & 8 <> 0)",
				 NULL),
		0);
	/* Every message has its text or waits for it in fts_todo, never
	 * both; a whole run leaves none waiting. */
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg AS m WHERE"
				" EXISTS (SELECT 1 FROM fts_docsize WHERE id = m.id) ="
				" EXISTS (SELECT 1 FROM fts_todo WHERE id = m.id)",
				 NULL),
		0);
	ck_assert_int_eq(int_of("SELECT count(*) FROM fts_todo", NULL), 0);
	return st;
}

static uint64_t
count(const char *query)
{
	uint64_t n = 0;
	struct qu_err err = {0};
	ck_assert_msg(index_count(ix, NULL, query, &n, &err) == 0, "%s", err.msg);
	return n;
}

START_TEST(add_then_nothing)
{
	put(inbox, "new/1.a", "a@x", NULL, "hello", "first body words");
	put(inbox, "cur/2.b:2,S", "b@x", NULL, "second", "the other body");
	struct index_stats st = update(inbox);
	ck_assert_uint_eq(st.messages, 2);
	ck_assert_uint_eq(st.added, 2);
	ck_assert_uint_eq(count("body"), 2);
	ck_assert_uint_eq(count("first"), 1);
	ck_assert_uint_eq(count("is:unread"), 1);
	ck_assert_int_eq(int_of("SELECT is_new FROM msg WHERE uniq = '1.a'", NULL), 1);
	ck_assert_int_eq(int_of("SELECT flags FROM msg WHERE uniq = '2.b'", NULL), INDEX_FLAG_SEEN);
	st = update(inbox);
	ck_assert_uint_eq(st.messages, 2);
	ck_assert_uint_eq(st.added + st.changed + st.gone, 0);
}
END_TEST

/* A FIFO among the messages (a mistake, or planted) is left out: opening
 * it to read would wait for a writer for ever. */
START_TEST(fifo_left_out)
{
	put(inbox, "cur/1.a:2,S", "a@x", NULL, "before", "firstword");
	char *fifo = xasprintf("%s/cur/2.fifo:2,S", inbox);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	put(inbox, "cur/3.c:2,S", "c@x", NULL, "after", "lastword");
	struct index_stats st = update(inbox);
	ck_assert_uint_eq(count("firstword"), 1);
	ck_assert_uint_eq(count("lastword"), 1);
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg WHERE file LIKE ?", "%fifo%"), 0);
	ck_assert_uint_eq(st.added, 2);
	unlink(fifo);
	free(fifo);
}
END_TEST

static void
remove_index(void *ctx, const struct index_progress *p)
{
	if (p->done >= 2000 && p->done < 4000)
		ck_assert_int_eq(unlink((const char *)ctx), 0);
}

/* An index file removed while an update fills it (its cache directory
 * cleared, a run detached after the UI quit still going): the update
 * stops at its next batch rather than parse the rest into a file nobody
 * will open, and says why. */
START_TEST(index_removed_stops)
{
	for (int i = 0; i < 4500; i++) {
		char rel[32];
		snprintf(rel, sizeof rel, "cur/%d.m:2,S", i);
		put(inbox, rel, NULL, NULL, "many", "a body");
	}
	char *db = xasprintf("%s/index.sqlite", root);
	struct index_update_opts o = {.progress = remove_index, .progress_ctx = db};
	struct index_stats st;
	struct qu_err err = {0};
	const char *paths[] = {inbox};
	ck_assert_int_eq(index_update(ix, paths, 1, &o, &st, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "removed while it was updated"));
	/* Stopped at the next batch, not at the end: 4,000 of 4,500 in. */
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg", NULL), 4000);
	free(db);
}
END_TEST

/* Messages larger than the parsers' reused buffer are mapped for their
 * parse (parse.c INDEX_READ_MAX): their text to its last word, the name
 * of an attachment after a big one, and a small message parsed after
 * them by the same parser. */
START_TEST(big_messages)
{
	static const size_t sizes[] = {300u << 10, 3u << 20};
	for (size_t i = 0; i < QU_ARRAY_LEN(sizes); i++) {
		size_t n = sizes[i] / 77;
		struct qu_buf b;
		qu_buf_init(&b, SIZE_MAX);
		qu_buf_printf(&b, "From: a@x\nSubject: big%zu\nMIME-Version: 1.0\n"
				  "Content-Type: multipart/mixed; boundary=BB\n\n--BB\n"
				  "Content-Type: text/plain\n\nopening words\n",
			i);
		for (size_t k = 0; k < n / 4; k++)
			qu_buf_append_str(&b, "filler line of plain text that the index reads into its"
					      " full-text table\n");
		qu_buf_printf(&b, "closingword%zu\n--BB\nContent-Type: application/octet-stream\n"
				  "Content-Disposition: attachment; filename=\"first%zu.bin\"\n"
				  "Content-Transfer-Encoding: base64\n\n",
			i, i);
		for (size_t k = 0; k < n; k++)
			qu_buf_append_str(&b, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2"
					      "d3h5ejAxMjM0\n");
		qu_buf_printf(&b, "--BB\nContent-Type: text/plain; name=\"last%zu.txt\"\n"
				  "Content-Disposition: attachment\n\nx\n--BB--\n",
			i);
		ck_assert_uint_gt(b.len, sizes[i]);
		char *path = xasprintf("%s/cur/%zu.big:2,S", inbox, i);
		th_write(path, b.data, b.len);
		free(path);
		qu_buf_clear(&b);
	}
	put(inbox, "cur/9.small:2,S", "s@x", NULL, "small", "tinyword after the big ones");
	struct index_stats st = update(inbox);
	ck_assert_uint_eq(st.added, 3);
	ck_assert_uint_eq(count("closingword0"), 1);
	ck_assert_uint_eq(count("closingword1"), 1);
	ck_assert_uint_eq(count("tinyword"), 1);
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg WHERE filenames = ?",
				 "first1.bin\nlast1.txt"),
		1);
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg WHERE filenames = ?",
				 "first0.bin\nlast0.txt"),
		1);
	ck_assert_int_eq(int_of("SELECT has_attachment FROM msg WHERE uniq = '1.big'", NULL), 1);
}
END_TEST

START_TEST(unchanged_folder_not_listed)
{
	put(inbox, "cur/1.a:2,", "a@x", NULL, "hello", "text");
	/* Directory times in the past are stored, so the next run trusts
	 * them and does not list. */
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	char *cur = xasprintf("%s/cur", inbox), *nw = xasprintf("%s/new", inbox);
	ck_assert_int_eq(utimensat(AT_FDCWD, cur, old, 0), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, nw, old, 0), 0);
	struct index_stats st = update(inbox);
	ck_assert_uint_eq(st.listed, 1);
	st = update(inbox);
	ck_assert_uint_eq(st.listed, 0);
	ck_assert_uint_eq(st.messages, 1);
	/* A delivery changes new/'s time: listed again. */
	put(inbox, "new/2.b", "b@x", NULL, "more", "text");
	st = update(inbox);
	ck_assert_uint_eq(st.listed, 1);
	ck_assert_uint_eq(st.added, 1);
	free(cur);
	free(nw);
}
END_TEST

START_TEST(flag_rename_reads_nothing)
{
	put(inbox, "new/1.a", "a@x", NULL, "hello", "text");
	update(inbox);
	int64_t id = int_of("SELECT id FROM msg WHERE uniq = '1.a'", NULL);
	char *from = xasprintf("%s/new/1.a", inbox), *to = xasprintf("%s/cur/1.a:2,FS", inbox);
	ck_assert_int_eq(rename(from, to), 0);
	struct index_stats st = update(inbox);
	ck_assert_uint_eq(st.changed, 1);
	ck_assert_uint_eq(st.added, 0);
	/* Same row: the file was not parsed again. */
	ck_assert_int_eq(int_of("SELECT id FROM msg WHERE uniq = '1.a'", NULL), id);
	ck_assert_int_eq(int_of("SELECT flags FROM msg WHERE uniq = '1.a'", NULL),
		INDEX_FLAG_SEEN | INDEX_FLAG_FLAGGED);
	ck_assert_int_eq(int_of("SELECT is_new FROM msg WHERE uniq = '1.a'", NULL), 0);
	ck_assert_uint_eq(count("is:flagged"), 1);
	free(from);
	free(to);
}
END_TEST

START_TEST(removed_and_replaced)
{
	put(inbox, "cur/1.a:2,", "a@x", NULL, "hello", "apple");
	put(inbox, "cur/2.b:2,", "b@x", NULL, "world", "banana");
	update(inbox);
	int64_t old = int_of("SELECT id FROM msg WHERE uniq = '2.b'", NULL);
	char *p = xasprintf("%s/cur/1.a:2,", inbox);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	/* Rewritten under the same name with other content and size. */
	put(inbox, "cur/2.b:2,", "b@x", NULL, "world", "cherry and more words");
	struct index_stats st = update(inbox);
	ck_assert_uint_eq(st.gone, 1);
	ck_assert_uint_eq(st.changed, 1);
	ck_assert_uint_eq(st.messages, 1);
	ck_assert_uint_eq(count("apple"), 0);
	ck_assert_uint_eq(count("banana"), 0);
	ck_assert_uint_eq(count("cherry"), 1);
	ck_assert_int_gt(int_of("SELECT id FROM msg WHERE uniq = '2.b'", NULL), old);
}
END_TEST

START_TEST(moved_between_folders)
{
	char *arch = xasprintf("%s/Mail/Archive", root);
	mkmaildir(arch);
	put(inbox, "cur/1.a:2,S", "a@x", NULL, "hello", "kiwi");
	char *mail = xasprintf("%s/Mail", root);
	struct index_stats st = update(mail);
	ck_assert_uint_eq(st.folders, 2);
	char *from = xasprintf("%s/cur/1.a:2,S", inbox), *to = xasprintf("%s/cur/1.a:2,S", arch);
	ck_assert_int_eq(rename(from, to), 0);
	st = update(mail);
	ck_assert_uint_eq(st.messages, 1);
	ck_assert_uint_eq(st.gone, 1);
	ck_assert_uint_eq(st.added, 1);
	ck_assert_uint_eq(count("kiwi"), 1);
	ck_assert_uint_eq(count("folder:Archive"), 1);
	ck_assert_uint_eq(count("folder:INBOX"), 0);
	/* A folder that disappears takes its messages with it. */
	th_rmrf(arch);
	st = update(mail);
	ck_assert_uint_eq(st.gone, 1);
	ck_assert_int_eq(int_of("SELECT count(*) FROM folder", NULL), 1);
	ck_assert_uint_eq(count("kiwi"), 0);
	free(from);
	free(to);
	free(arch);
	free(mail);
}
END_TEST

/* index_rename: one row follows a rename by quail, with no listing. */
START_TEST(rename_one_row)
{
	char *arch = xasprintf("%s/Mail/Archive", root), *mail = xasprintf("%s/Mail", root);
	mkmaildir(arch);
	put(inbox, "new/1.a", "a@x", NULL, "hello", "lemon");
	put(inbox, "cur/2.b:2,", "b@x", NULL, "world", "melon");
	put(arch, "cur/3.c:2,", "c@x", NULL, "third", "grape");
	update(mail);
	int64_t id = int_of("SELECT id FROM msg WHERE uniq = '1.a'", NULL);
	struct qu_err err = {0};
	char *from = xasprintf("%s/new/1.a", inbox), *to = xasprintf("%s/cur/1.a:2,FS", inbox);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_msg(index_rename(ix, from, to, &err) == 1, "%s", err.msg);
	ck_assert_int_eq(int_of("SELECT id FROM msg WHERE uniq = '1.a'", NULL), id);
	ck_assert_int_eq(int_of("SELECT flags FROM msg WHERE uniq = '1.a'", NULL),
		INDEX_FLAG_SEEN | INDEX_FLAG_FLAGGED);
	ck_assert_int_eq(int_of("SELECT is_new FROM msg WHERE uniq = '1.a'", NULL), 0);
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg WHERE file = 'cur/1.a:2,FS'", NULL), 1);
	ck_assert_uint_eq(count("is:flagged"), 1);
	/* The update after it agrees: nothing left to change. */
	struct index_stats st = update(mail);
	ck_assert_uint_eq(st.changed + st.added + st.gone, 0);
	/* Moved to another indexed folder: the same row, now there. */
	char *to2 = xasprintf("%s/cur/1.a:2,FS", arch);
	ck_assert_int_eq(rename(to, to2), 0);
	ck_assert_msg(index_rename(ix, to, to2, &err) == 1, "%s", err.msg);
	ck_assert_int_eq(int_of("SELECT id FROM msg WHERE uniq = '1.a'", NULL), id);
	ck_assert_uint_eq(count("folder:Archive"), 2);
	ck_assert_uint_eq(count("folder:INBOX lemon"), 0);
	st = update(mail);
	ck_assert_uint_eq(st.changed + st.added + st.gone, 0);
	/* Not indexed: nothing to do. */
	char *nope = xasprintf("%s/cur/9.z:2,S", inbox);
	ck_assert_int_eq(index_rename(ix, nope, nope, &err), 0);
	/* Moved out of the indexed folders: the row goes. */
	char *outside = xasprintf("%s/Other/cur/2.b:2,S", root);
	char *b = xasprintf("%s/cur/2.b:2,", inbox);
	ck_assert_msg(index_rename(ix, b, outside, &err) == 1, "%s", err.msg);
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg WHERE uniq = '2.b'", NULL), 0);
	ck_assert_uint_eq(count("melon"), 0);
	/* Not a Maildir file. */
	ck_assert_int_eq(index_rename(ix, "/tmp/x", to, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	free(from);
	free(to);
	free(to2);
	free(nope);
	free(outside);
	free(b);
	free(arch);
	free(mail);
}
END_TEST

/* A version 2 file (no folder.msgs) is migrated in place, not rebuilt:
 * its rows stay and the count is filled by the next update. */
START_TEST(migrate_from_2)
{
	put(inbox, "cur/1.a:2,S", "a@x", NULL, "hello", "papaya");
	put(inbox, "cur/2.b:2,S", "b@x", NULL, "world", "quince");
	update(inbox);
	int64_t id = int_of("SELECT id FROM msg WHERE uniq = '1.a'", NULL);
	struct qu_err err = {0};
	ck_assert_int_eq(sqlite3_exec(ix->db,
				 "DROP TRIGGER msg_count_add; DROP TRIGGER msg_count_del;"
				 " DROP TRIGGER msg_count_move; DROP TRIGGER msg_fts_garbage;"
				 " ALTER TABLE folder DROP COLUMN msgs;"
				 " PRAGMA user_version=2;",
				 NULL, NULL, NULL),
		SQLITE_OK);
	index_free(ix);
	char *db = xasprintf("%s/index.sqlite", root);
	ix = index_open(db, 0, &err);
	ck_assert_msg(ix != NULL, "%s", err.msg);
	free(db);
	ck_assert_int_eq(int_of("PRAGMA user_version", NULL), INDEX_SCHEMA_VERSION);
	ck_assert_int_eq(int_of("SELECT id FROM msg WHERE uniq = '1.a'", NULL), id);
	ck_assert_int_eq(int_of("SELECT msgs IS NULL FROM folder", NULL), 1);
	struct index_stats st = update(inbox);
	ck_assert_uint_eq(st.messages, 2);
	ck_assert_uint_eq(st.added + st.changed + st.gone, 0);
	ck_assert_int_eq(int_of("SELECT msgs FROM folder", NULL), 2);
	put(inbox, "new/3.c", "c@x", NULL, "third", "rhubarb");
	st = update(inbox);
	ck_assert_uint_eq(st.messages, 3);
	ck_assert_uint_eq(count("papaya"), 1);
}
END_TEST

/* Pages in use (the file may keep free pages; they are reused). */
static int64_t
used_pages(void)
{
	return int_of("SELECT (SELECT page_count FROM pragma_page_count)"
		      " - (SELECT freelist_count FROM pragma_freelist_count)", NULL);
}

/* Removed messages leave contentless fts rows behind; past a fifth of
 * the rows the table is rebuilt from the live messages (an mbox's too),
 * so repeated add/remove cycles do not grow the index. */
START_TEST(fts_garbage_bounded)
{
	char *mb = xasprintf("%s/box", root), *mail = xasprintf("%s/Mail", root);
	const char *box = "From a@x Mon Jan  5 10:00:00 2026\nSubject: boxed\n\nwalnut\n";
	th_write(mb, box, strlen(box));
	update(mb);
	int seq = 0;
	for (; seq < 20; seq++) {
		char *rel = xasprintf("cur/%d.m:2,S", seq);
		put(inbox, rel, NULL, NULL, "keep", "some filler words here and there");
		free(rel);
	}
	struct index_stats st = update(mail);
	ck_assert_uint_eq(st.messages, 20);
	ck_assert_uint_eq(st.fts_rebuilt, 0);
	int64_t first = 0;
	for (int cycle = 0; cycle < 6; cycle++) {
		for (int i = 0; i < 20; i++) {
			char *rel = xasprintf("cur/%d.m:2,S", seq + i);
			put(inbox, rel, NULL, NULL, "keep", "some filler words here and there");
			free(rel);
		}
		update(mail);
		for (int i = 0; i < 20; i++) {
			char *p = xasprintf("%s/cur/%d.m:2,S", inbox, seq - 20 + i);
			ck_assert_int_eq(unlink(p), 0);
			free(p);
		}
		seq += 20;
		st = update(mail);
		ck_assert_uint_eq(st.messages, 20);
		ck_assert_uint_eq(st.gone, 20);
		/* 20 of 41 rows were garbage: rebuilt from the 21 live. */
		ck_assert_uint_eq(st.fts_rebuilt, 21);
		ck_assert_int_eq(int_of("SELECT count(*) FROM fts_docsize", NULL), 21);
		ck_assert_int_eq(int_of("SELECT value FROM meta WHERE key = 'fts_garbage'", NULL), 0);
		ck_assert_uint_eq(count("filler"), 20);
		ck_assert_uint_eq(count("walnut"), 1);
		if (cycle == 0)
			first = used_pages();
		else
			ck_assert_int_le(used_pages(), first + first / 10);
	}
	/* Below a fifth: left alone. */
	char *p = xasprintf("%s/cur/%d.m:2,S", inbox, seq - 1);
	ck_assert_int_eq(unlink(p), 0);
	st = update(mail);
	ck_assert_uint_eq(st.fts_rebuilt, 0);
	ck_assert_int_eq(int_of("SELECT value FROM meta WHERE key = 'fts_garbage'", NULL), 1);
	free(p);
	free(mb);
	free(mail);
}
END_TEST

START_TEST(maildirpp_and_skipped)
{
	char *mail = xasprintf("%s/Mail", root);
	char *pp = xasprintf("%s/Mail/.Lists.quail", root);
	char *state = xasprintf("%s/Mail/.quail", root);
	char *outbox = xasprintf("%s/Mail/.outbox", root);
	mkmaildir(pp);
	mkmaildir(outbox);
	ck_assert_int_eq(mkdir(state, 0700), 0);
	put(pp, "new/1.a", "a@x", NULL, "list mail", "plum");
	put(outbox, "new/2.b", "b@x", NULL, "unsent", "grape");
	put(inbox, "new/3.c", "c@x", NULL, "inbox", "pear");
	put(inbox, "tmp/4.d", "d@x", NULL, "half", "melon");
	struct index_stats st = update(mail);
	ck_assert_uint_eq(st.folders, 2);
	ck_assert_uint_eq(st.messages, 2);
	ck_assert_int_eq(int_of("SELECT count(*) FROM folder WHERE name = 'Lists/quail'", NULL), 1);
	ck_assert_uint_eq(count("grape"), 0);
	ck_assert_uint_eq(count("melon"), 0);
	free(mail);
	free(pp);
	free(state);
	free(outbox);
}
END_TEST

START_TEST(mbox_append)
{
	char *mb = xasprintf("%s/box", root);
	const char *one = "From a@x Mon Jan  5 10:00:00 2026\nSubject: one\nMessage-ID: <1@x>\n\n"
			  "alpha\n";
	th_write(mb, one, strlen(one));
	struct index_stats st = update(mb);
	ck_assert_uint_eq(st.added, 1);
	char *two = xasprintf("%s\nFrom b@x Mon Jan  5 11:00:00 2026\nSubject: two\n"
			      "In-Reply-To: <1@x>\nStatus: RO\nX-Status: F\n\nbeta\n", one);
	th_write(mb, two, strlen(two));
	st = update(mb);
	ck_assert_uint_eq(st.messages, 2);
	ck_assert_uint_eq(st.added, 1);
	ck_assert_uint_eq(count("beta"), 1);
	ck_assert_uint_eq(count("beta is:flagged is:read"), 1);
	ck_assert_uint_eq(count("alpha is:unread"), 1);
	ck_assert_int_eq(int_of("SELECT count(DISTINCT thread) FROM msg", NULL), 1);
	free(mb);
	free(two);
}
END_TEST

START_TEST(vanished_and_cancel)
{
	for (int i = 0; i < 50; i++) {
		char *rel = xasprintf("new/%d.x", i), *mid = xasprintf("%d@x", i);
		put(inbox, rel, mid, NULL, "many", "fig");
		free(rel);
		free(mid);
	}
	struct qu_cancel *c = qu_cancel_new();
	qu_cancel_fire(c);
	struct index_update_opts o = {.cancel = c};
	struct index_stats st;
	struct qu_err err = {0};
	const char *paths[] = {inbox};
	ck_assert_int_eq(index_update(ix, paths, 1, &o, &st, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	qu_cancel_free(c);
	/* Consistent afterwards: the next run completes it. */
	st = update(inbox);
	ck_assert_uint_eq(st.messages, 50);
	ck_assert_uint_eq(count("fig"), 50);
}
END_TEST

/* Sets the mtimes of DIR/cur and DIR/new to an hour ago (the same
 * stamps every time), so that a complete pass may store them and a
 * change made under them goes unseen by the listing. */
static void
age_dirs(const char *dir)
{
	static time_t then;
	if (!then)
		then = time(NULL) - 3600;
	const struct timespec past[2] = {{then, 0}, {then, 0}};
	static const char *const subs[] = {"cur", "new"};
	for (size_t i = 0; i < QU_ARRAY_LEN(subs); i++) {
		char *d = xasprintf("%s/%s", dir, subs[i]);
		ck_assert_int_eq(utimensat(AT_FDCWD, d, past, 0), 0);
		free(d);
	}
}

/* A run's progress as it came: how many calls of each pass, and whether
 * a row's came after the first text's. The cancel, when set, is fired at
 * the first call of the second pass. */
struct passes {
	int rows, texts;
	bool rows_after_text;
	uint64_t text_total;
	struct qu_cancel *cancel;
};

static void
on_pass(void *ctx, const struct index_progress *p)
{
	struct passes *ps = ctx;
	if (p->text) {
		ps->texts++;
		ps->text_total = p->total;
		if (ps->cancel)
			qu_cancel_fire(ps->cancel);
	} else {
		ps->rows++;
		ps->rows_after_text = ps->rows_after_text || ps->texts > 0;
	}
}

static uint64_t
pending(const char *folder)
{
	uint64_t n = 99;
	struct qu_err err = {0};
	ck_assert_msg(index_text_pending(ix, folder, UINT64_MAX, &n, &err) == 0, "%s", err.msg);
	return n;
}

/* The rows of every folder come first, their text after; a run stopped
 * in between leaves the folders current and their text waiting in
 * fts_todo, which the next run writes without parsing anything else. */
START_TEST(text_second_pass)
{
	char *mail = xasprintf("%s/Mail", root), *lists = xasprintf("%s/Mail/lists", root);
	mkmaildir(lists);
	for (int i = 0; i < 3; i++) {
		char *rel = xasprintf("cur/%d.a:2,S", i), *mid = xasprintf("%d@x", i);
		put(inbox, rel, mid, NULL, "inbox", "quince");
		put(lists, rel, NULL, NULL, "lists", "medlar");
		free(rel);
		free(mid);
	}
	/* Directories changed a while ago, so that a complete pass may say
	 * the folder is current (update.c store_mtimes). */
	age_dirs(inbox);
	struct passes ps = {.cancel = qu_cancel_new()};
	struct index_update_opts o = {.cancel = ps.cancel, .progress = on_pass, .progress_ctx = &ps};
	struct index_stats st;
	struct qu_err err = {0};
	const char *paths[] = {mail};
	ck_assert_int_eq(index_update(ix, paths, 1, &o, &st, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert_int_ge(ps.rows, 2); /* both folders listed ... */
	ck_assert_int_eq(ps.texts, 1); /* ... before the first text */
	ck_assert(!ps.rows_after_text);
	ck_assert_uint_eq(st.added, 6);
	ck_assert_uint_eq(st.texts, 0);
	/* The rows are there and the folder is current: it opens from them. */
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg", NULL), 6);
	ck_assert_int_eq(index_folder_current(ix, inbox, &err), 1);
	ck_assert_uint_eq(pending(inbox), 3);
	ck_assert_uint_eq(pending(lists), 3);
	ck_assert_uint_eq(pending(NULL), 6);
	uint64_t some = 0;
	ck_assert_int_eq(index_text_pending(ix, inbox, 1, &some, &err), 0);
	ck_assert_uint_eq(some, 1); /* counted up to the max asked */
	ck_assert_uint_eq(count("is:read"), 6); /* terms the rows answer */
	ck_assert_uint_eq(count("quince"), 0); /* no text yet */
	/* A message removed before its text leaves no garbage. */
	char *gone = xasprintf("%s/cur/2.a:2,S", lists);
	ck_assert_int_eq(unlink(gone), 0);
	free(gone);
	qu_cancel_free(ps.cancel);
	ps = (struct passes){0};
	o.cancel = NULL;
	ck_assert_int_eq(index_update(ix, paths, 1, &o, &st, &err), 0);
	ck_assert_uint_eq(st.added, 0);
	ck_assert_uint_eq(st.gone, 1);
	ck_assert_uint_eq(st.texts, 5);
	ck_assert_int_eq(ps.texts, 2); /* one "0 of N" a folder */
	ck_assert_uint_eq(pending(NULL), 0);
	ck_assert_uint_eq(count("quince"), 3);
	ck_assert_uint_eq(count("medlar"), 2);
	ck_assert_int_eq(int_of("SELECT count(*) FROM fts_docsize", NULL), 5);
	ck_assert_int_eq(int_of("SELECT coalesce((SELECT value FROM meta"
				" WHERE key = 'fts_garbage'), 0)", NULL), 0);
	/* Nothing waits: the next run writes no text. */
	st = update(mail);
	ck_assert_uint_eq(st.texts, 0);
	/* A new message gets both passes in one run. */
	put(inbox, "new/9.z", "9@x", NULL, "late", "sloe");
	st = update(mail);
	ck_assert_uint_eq(st.added, 1);
	ck_assert_uint_eq(st.texts, 1);
	ck_assert_uint_eq(count("sloe"), 1);
	free(mail);
	free(lists);
}
END_TEST

/* A file that cannot be read any more when its text is to be written (a
 * symbolic link now, which the index never follows) goes without text,
 * rather than keep its folder waiting for text for ever; a file that is
 * gone keeps waiting, for the run that finds it under its new name. */
START_TEST(text_of_unreadable_file_dropped)
{
	put(inbox, "cur/1.a:2,S", "a@x", NULL, "one", "loquat");
	put(inbox, "cur/2.b:2,S", "b@x", NULL, "two", "loquat");
	put(inbox, "cur/3.c:2,S", "c@x", NULL, "three", "loquat");
	age_dirs(inbox);
	struct passes ps = {.cancel = qu_cancel_new()};
	struct index_update_opts o = {.cancel = ps.cancel, .progress = on_pass, .progress_ctx = &ps};
	struct index_stats st;
	struct qu_err err = {0};
	const char *paths[] = {inbox};
	ck_assert_int_eq(index_update(ix, paths, 1, &o, &st, &err), -1);
	qu_cancel_free(ps.cancel);
	ck_assert_uint_eq(pending(inbox), 3);
	/* 1.a becomes a link to a copy; 2.b is moved away; the listing
	 * does not see either (the directories keep their stamps). */
	char *one = xasprintf("%s/cur/1.a:2,S", inbox), *copy = xasprintf("%s/copy", root);
	ck_assert_int_eq(rename(one, copy), 0);
	ck_assert_int_eq(symlink(copy, one), 0);
	char *two = xasprintf("%s/cur/2.b:2,S", inbox), *away = xasprintf("%s/away", root);
	ck_assert_int_eq(rename(two, away), 0);
	age_dirs(inbox);
	o = (struct index_update_opts){0};
	err = (struct qu_err){0};
	ck_assert_int_eq(index_update(ix, paths, 1, &o, &st, &err), 0);
	ck_assert_uint_eq(st.listed, 0);
	ck_assert_uint_eq(st.texts, 1); /* 3.c */
	ck_assert_uint_eq(pending(inbox), 1); /* 2.b, gone: waits */
	ck_assert_uint_eq(count("loquat"), 1);
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg", NULL), 3);
	free(one);
	free(copy);
	free(two);
	free(away);
}
END_TEST

/* A file of schema version 3 (no fts_todo, the garbage trigger that
 * counts every removed row) is brought to version 4 in place. */
START_TEST(migrate_from_3)
{
	put(inbox, "cur/1.a:2,S", "a@x", NULL, "hello", "damson");
	put(inbox, "cur/2.b:2,S", "b@x", NULL, "world", "damson");
	update(inbox);
	ck_assert_int_eq(sqlite3_exec(ix->db,
				 "DROP TRIGGER msg_fts_garbage; DROP TABLE fts_todo;"
				 " CREATE TRIGGER msg_fts_garbage AFTER DELETE ON msg BEGIN"
				 " INSERT INTO meta VALUES ('fts_garbage', 1)"
				 " ON CONFLICT (key) DO UPDATE SET value = value + 1; END;"
				 " PRAGMA user_version=3;",
				 NULL, NULL, NULL),
		SQLITE_OK);
	index_free(ix);
	char *db = xasprintf("%s/index.sqlite", root);
	struct qu_err err = {0};
	ix = index_open(db, 0, &err);
	ck_assert_msg(ix != NULL, "%s", err.msg);
	free(db);
	ck_assert_int_eq(int_of("PRAGMA user_version", NULL), INDEX_SCHEMA_VERSION);
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg", NULL), 2); /* kept, not rebuilt */
	ck_assert_uint_eq(pending(inbox), 0);
	ck_assert_uint_eq(count("damson"), 2);
	/* The new trigger: a removed message with text is garbage. */
	char *p = xasprintf("%s/cur/1.a:2,S", inbox);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	put(inbox, "new/3.c", "c@x", NULL, "third", "damson");
	struct index_stats st = update(inbox);
	ck_assert_uint_eq(st.gone, 1);
	ck_assert_uint_eq(st.texts, 1);
	ck_assert_uint_eq(count("damson"), 2);
	/* The removed text counted as garbage: 1 of 3 rows, over a
	 * fifth, so the table was rebuilt from the two live messages. */
	ck_assert_uint_eq(st.fts_rebuilt, 2);
	ck_assert_int_eq(int_of("SELECT value FROM meta WHERE key = 'fts_garbage'", NULL), 0);
}
END_TEST

/* ---- threads ----------------------------------------------------------- */

/* A message of a thread case: its id, its References, and the id its
 * parent must have after all arrived ("" for a root). */
struct tmsg {
	const char *mid;
	const char *refs;
	const char *parent;
};

struct tcase {
	const char *name;
	struct tmsg m[6];
	int threads; /* distinct threads expected */
};

static const struct tcase thread_cases[] = {
	{"chain in order", {{"a", NULL, ""}, {"b", "<a>", "a"}, {"c", "<a> <b>", "b"}}, 1},
	{"chain reversed", {{"c", "<a> <b>", "b"}, {"b", "<a>", "a"}, {"a", NULL, ""}}, 1},
	{"missing middle", {{"a", NULL, ""}, {"c", "<a> <b>", "a"}}, 1},
	{"siblings of a ghost", {{"x", "<gone>", ""}, {"y", "<gone>", ""}}, 1},
	{"late root merges", {{"b", "<a>", "a"}, {"c", "<z>", "z"}, {"z", "<a>", "a"},
				     {"a", NULL, ""}}, 1},
	{"loop", {{"a", "<b>", ""}, {"b", "<a>", "a"}}, 1},
	{"self reference", {{"a", "<a>", ""}, {"b", "<a>", "a"}}, 1},
	{"broken refs", {{"a", "no brackets at all", ""}, {"b", "<a> <<junk>", "a"},
				{"c", "<>", ""}}, 2},
	{"unrelated", {{"a", NULL, ""}, {"b", NULL, ""}}, 2},
};

START_TEST(thread_table)
{
	const struct tcase *tc = &thread_cases[_i];
	size_t n = 0;
	while (n < QU_ARRAY_LEN(tc->m) && tc->m[n].mid)
		n++;
	for (size_t i = 0; i < n; i++) {
		char *rel = xasprintf("new/%zu.t", i + 1);
		put(inbox, rel, tc->m[i].mid, tc->m[i].refs, "thread", "text");
		free(rel);
		/* One run per message fixes the arrival order. */
		update(inbox);
	}
	for (size_t i = 0; i < n; i++) {
		const char *want = tc->m[i].parent;
		int64_t parent = int_of("SELECT parent FROM msg WHERE message_id = ?", tc->m[i].mid);
		if (!*want) {
			ck_assert_msg(parent == 0, "%s: %s has a parent", tc->name, tc->m[i].mid);
			continue;
		}
		int64_t pid = int_of("SELECT id FROM msg WHERE message_id = ?", want);
		ck_assert_msg(parent == pid, "%s: parent of %s is %lld, want %s (%lld)", tc->name,
			tc->m[i].mid, (long long)parent, want, (long long)pid);
	}
	ck_assert_int_eq(int_of("SELECT count(DISTINCT thread) FROM msg", NULL), tc->threads);
	/* The summary table agrees with the messages. */
	ck_assert_int_eq(int_of("SELECT count(*) FROM thread", NULL), tc->threads);
	ck_assert_int_eq(int_of("SELECT sum(count) FROM thread", NULL), (int64_t)n);
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg m JOIN thread t ON t.id = m.thread", NULL),
		(int64_t)n);
}
END_TEST

START_TEST(thread_parent_removed)
{
	put(inbox, "new/1.t", "a", NULL, "root", "text");
	put(inbox, "new/2.t", "b", "<a>", "Re: root", "text");
	put(inbox, "new/3.t", "c", "<a> <b>", "Re: root", "text");
	update(inbox);
	char *p = xasprintf("%s/new/2.t", inbox);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	update(inbox);
	ck_assert_int_eq(int_of("SELECT parent FROM msg WHERE message_id = 'c'", NULL),
		int_of("SELECT id FROM msg WHERE message_id = 'a'", NULL));
	ck_assert_int_eq(int_of("SELECT count FROM thread", NULL), 2);
	ck_assert_int_eq(int_of("SELECT count(*) FROM thread WHERE subject = 'root'", NULL), 1);
}
END_TEST

START_TEST(thread_by_subject)
{
	put(inbox, "new/1.t", "a", NULL, "Meeting notes", "text");
	put(inbox, "new/2.t", "b", NULL, "Re: meeting NOTES ", "text");
	put(inbox, "new/3.t", "c", NULL, "AW: Re[2]: Meeting notes", "text");
	put(inbox, "new/4.t", "d", NULL, "Other", "text");
	/* Without the option, subjects never join threads. */
	update(inbox);
	ck_assert_int_eq(int_of("SELECT count(DISTINCT thread) FROM msg", NULL), 4);
	th_rmrf(inbox);
	mkmaildir(inbox);
	update(inbox);
	ck_assert_int_eq(int_of("SELECT count(*) FROM msg", NULL), 0);
	put(inbox, "new/5.t", "e", NULL, "Meeting notes", "text");
	struct qu_err err = {0};
	const char *paths[] = {inbox};
	struct index_update_opts o = {.subject_threads = true};
	ck_assert_int_eq(index_update(ix, paths, 1, &o, NULL, &err), 0);
	put(inbox, "new/6.t", "f", NULL, "Re: meeting NOTES ", "text");
	put(inbox, "new/7.t", "g", NULL, "AW: Re[2]: Meeting notes", "text");
	put(inbox, "new/8.t", "h", NULL, "Other", "text");
	ck_assert_int_eq(index_update(ix, paths, 1, &o, NULL, &err), 0);
	ck_assert_int_eq(int_of("SELECT count(DISTINCT thread) FROM msg", NULL), 2);
	ck_assert_int_eq(int_of("SELECT count FROM thread WHERE base = 'meeting notes'", NULL), 3);
}
END_TEST

static const struct {
	const char *in, *want;
} base_cases[] = {
	{"Re: Fwd: Hello", "hello"},
	{"回复：会议", "会议"},
	{"Re[3]: x", "x"},
	{"  re:  ", NULL},
	{"Reply all", "reply all"},
};

START_TEST(base_subject_table)
{
	char *got = index_base_subject(base_cases[_i].in);
	if (!base_cases[_i].want)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got, base_cases[_i].want);
	free(got);
}
END_TEST

static Suite *
update_suite(void)
{
	Suite *s = suite_create("index-update");
	TCase *tc = tcase_create("update");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, add_then_nothing);
	tcase_add_test(tc, unchanged_folder_not_listed);
	tcase_add_test(tc, flag_rename_reads_nothing);
	tcase_add_test(tc, removed_and_replaced);
	tcase_add_test(tc, moved_between_folders);
	tcase_add_test(tc, rename_one_row);
	tcase_add_test(tc, migrate_from_2);
	tcase_add_test(tc, migrate_from_3);
	tcase_add_test(tc, text_second_pass);
	tcase_add_test(tc, text_of_unreadable_file_dropped);
	tcase_add_test(tc, fts_garbage_bounded);
	tcase_add_test(tc, maildirpp_and_skipped);
	tcase_add_test(tc, mbox_append);
	tcase_add_test(tc, vanished_and_cancel);
	tcase_add_test(tc, big_messages);
	tcase_add_test(tc, index_removed_stops);
	tcase_add_test(tc, fifo_left_out);
	suite_add_tcase(s, tc);
	TCase *th = tcase_create("threads");
	tcase_add_checked_fixture(th, setup, teardown);
	tcase_set_timeout(th, 60);
	tcase_add_loop_test(th, thread_table, 0, (int)QU_ARRAY_LEN(thread_cases));
	tcase_add_test(th, thread_parent_removed);
	tcase_add_test(th, thread_by_subject);
	tcase_add_loop_test(th, base_subject_table, 0, (int)QU_ARRAY_LEN(base_cases));
	suite_add_tcase(s, th);
	return s;
}

int
main(void)
{
	return th_run(update_suite());
}
