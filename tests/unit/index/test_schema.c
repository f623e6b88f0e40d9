/* Opening the index database: creating it, reopening it, and moving a
 * file that is not a quail index aside (index/schema.c, SPEC §9). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "index/private.h"
#include "../store/helpers.h"

static char *root;
static char *dbpath;

static void
setup(void)
{
	root = th_mkdtemp();
	dbpath = xasprintf("%s/index.sqlite", root);
}

static void
teardown(void)
{
	th_rmrf(root);
	free(root);
	free(dbpath);
}

static int64_t
int_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static bool
exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Opens dbpath and stores one folder row, so a later open can tell
 * whether the contents survived. */
static void
make_index(void)
{
	sqlite3 *db = NULL;
	struct qu_err err = {0};
	ck_assert_int_eq(index_db_open_path(dbpath, &db, &err), 0);
	ck_assert_int_eq(index_db_exec(db,
		"INSERT INTO folder (path, name, kind) VALUES ('/m/INBOX', 'INBOX', 0)", &err), 0);
	sqlite3_close(db);
}

START_TEST(create_and_reopen)
{
	make_index();
	sqlite3 *db = NULL;
	struct qu_err err = {0};
	bool rebuilt = true;
	ck_assert_int_eq(index_db_open_opts(dbpath, true, &db, &rebuilt, &err), 0);
	ck_assert(!rebuilt);
	ck_assert_int_eq(int_of(db, "PRAGMA application_id"), INDEX_APPLICATION_ID);
	ck_assert_int_eq(int_of(db, "PRAGMA user_version"), INDEX_SCHEMA_VERSION);
	ck_assert_int_eq(int_of(db, "SELECT count(*) FROM folder"), 1);
	ck_assert_int_eq(int_of(db, "SELECT count(*) FROM msg"), 0);
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* The contract's columns exist under their names. */
	ck_assert_int_eq(index_db_exec(db,
		"SELECT m.id, m.folder, m.uniq, m.file, m.size, m.mtime, m.date, m.from_name,"
		" m.from_addr, m.to_list, m.cc_list, m.subject, m.message_id, m.in_reply_to,"
		" m.refs, m.list_id, m.thread, m.parent, m.flags, m.is_new, m.has_attachment,"
		" m.filenames, f.id, f.path, f.name, f.kind, f.cur_mtime, f.new_mtime"
		" FROM msg AS m JOIN folder AS f ON f.id = m.folder", &err), 0);
	ck_assert_int_eq(index_db_exec(db,
		"SELECT rowid FROM fts WHERE fts MATCH 'subject:x OR sender:x OR recipients:x"
		" OR filenames:x OR body:x'", &err), 0);
	sqlite3_close(db);
}
END_TEST

/* Each case writes a file that must not be trusted, opens it, and checks
 * that the open gave an empty, working index and kept the old file aside. */
static void
check_rebuilt(void)
{
	sqlite3 *db = NULL;
	struct qu_err err = {0};
	bool rebuilt = false;
	ck_assert_msg(index_db_open_opts(dbpath, true, &db, &rebuilt, &err) == 0, "%s", err.msg);
	ck_assert(rebuilt);
	ck_assert_int_eq(int_of(db, "PRAGMA application_id"), INDEX_APPLICATION_ID);
	ck_assert_int_eq(int_of(db, "SELECT count(*) FROM folder"), 0);
	ck_assert_int_eq(index_db_exec(db, "INSERT INTO fts (rowid, body) VALUES (1, 'ok')", &err), 0);
	sqlite3_close(db);
	char *bad = xasprintf("%s.bad", dbpath);
	ck_assert(exists(bad));
	free(bad);
}

START_TEST(garbage_file)
{
	static const char junk[] = "this is not an SQLite database, just some text\n";
	char *buf = xmalloc(8192);
	for (size_t i = 0; i < 8192; i++)
		buf[i] = junk[i % (sizeof junk - 1)];
	th_write(dbpath, buf, 8192);
	free(buf);
	check_rebuilt();
}
END_TEST

START_TEST(truncated_file)
{
	make_index();
	/* Fill it so that it has pages beyond the first, then cut it. */
	sqlite3 *db = NULL;
	struct qu_err err = {0};
	ck_assert_int_eq(index_db_open_path(dbpath, &db, &err), 0);
	ck_assert_int_eq(index_db_exec(db,
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)"
		" INSERT INTO msg (folder, uniq, file, size, mtime, subject)"
		" SELECT 1, 'u' || i, 'cur/u' || i, i, i, printf('subject %d %.*c', i, 200, 'x')"
		" FROM n; PRAGMA wal_checkpoint(TRUNCATE);", &err), 0);
	sqlite3_close(db);
	struct stat sb;
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_gt(sb.st_size, 100000);
	ck_assert_int_eq(truncate(dbpath, sb.st_size / 2), 0);
	check_rebuilt();
}
END_TEST

/* Without INDEX_OPEN_CHECK quick_check waits a day after it last passed;
 * then it runs, and a damaged file is moved aside. */
START_TEST(daily_check)
{
	make_index();
	sqlite3 *db = NULL;
	struct qu_err err = {0};
	ck_assert_int_eq(index_db_open_path(dbpath, &db, &err), 0);
	ck_assert_int_eq(index_db_exec(db,
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)"
		" INSERT INTO msg (folder, uniq, file, size, mtime, subject)"
		" SELECT 1, 'u' || i, 'cur/u' || i, i, i, printf('subject %d %.*c', i, 200, 'x')"
		" FROM n;", &err), 0);
	ck_assert_int_gt(int_of(db, "SELECT value FROM meta WHERE key = 'checked'"), 0);
	ck_assert_int_eq(index_db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", &err), 0);
	sqlite3_close(db);
	/* Garbage over the later pages (the messages, not the schema): the
	 * file still opens, only a check notices. */
	struct stat sb;
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	size_t len = 0;
	char *bytes = th_read(dbpath, &len);
	ck_assert_uint_eq(len, (size_t)sb.st_size);
	memset(bytes + len / 2, 0xA5, len / 2 - 4096);
	th_write(dbpath, bytes, len);
	free(bytes);
	bool rebuilt = true;
	ck_assert_int_eq(index_db_open_opts(dbpath, false, &db, &rebuilt, &err), 0);
	ck_assert(!rebuilt); /* checked within the day: trusted */
	ck_assert_int_eq(index_db_exec(db, "UPDATE meta SET value = 1 WHERE key = 'checked'", &err),
		0);
	sqlite3_close(db);
	/* Quick one-row work never runs the daily check... */
	ck_assert_int_eq(index_db_open_opts(dbpath, -1, &db, &rebuilt, &err), 0);
	ck_assert(!rebuilt);
	sqlite3_close(db);
	/* ...the next ordinary open does. */
	ck_assert_int_eq(index_db_open_opts(dbpath, false, &db, &rebuilt, &err), 0);
	ck_assert(rebuilt);
	ck_assert_int_eq(int_of(db, "SELECT count(*) FROM msg"), 0);
	sqlite3_close(db);
}
END_TEST

START_TEST(foreign_database)
{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);", NULL, NULL,
		NULL), SQLITE_OK);
	sqlite3_close(db);
	check_rebuilt();
}
END_TEST

START_TEST(other_version)
{
	make_index();
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version=999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	check_rebuilt();
}
END_TEST

START_TEST(empty_file)
{
	th_write(dbpath, "", 0);
	sqlite3 *db = NULL;
	struct qu_err err = {0};
	bool rebuilt = true;
	ck_assert_int_eq(index_db_open_opts(dbpath, true, &db, &rebuilt, &err), 0);
	ck_assert(!rebuilt);
	ck_assert_int_eq(int_of(db, "SELECT count(*) FROM folder"), 0);
	sqlite3_close(db);
}
END_TEST

START_TEST(unwritable_directory)
{
	char *p = xasprintf("%s/no/such/dir/index.sqlite", root);
	sqlite3 *db = NULL;
	struct qu_err err = {0};
	ck_assert_int_eq(index_db_open_path(p, &db, &err), -1);
	ck_assert_ptr_null(db);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	free(p);
}
END_TEST

static Suite *
schema_suite(void)
{
	Suite *s = suite_create("index-schema");
	TCase *tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, create_and_reopen);
	tcase_add_test(tc, garbage_file);
	tcase_add_test(tc, truncated_file);
	tcase_add_test(tc, foreign_database);
	tcase_add_test(tc, daily_check);
	tcase_add_test(tc, other_version);
	tcase_add_test(tc, empty_file);
	tcase_add_test(tc, unwritable_directory);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return th_run(schema_suite());
}
