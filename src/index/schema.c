/* The index database file: opening, checking, the schema, and moving a
 * file that is not ours aside (SPEC §9: the index is a cache; deleting it
 * loses nothing, so a doubtful file is rebuilt, never trusted). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#include "index/private.h"

/* folder.msgs: the folder's number of messages (NULL: not known yet),
 * kept by triggers, so that a run where nothing changed reports the
 * count without counting (SPEC §9: nothing there may scale with the
 * number of messages). Schema version 3 added it; a version 2 file gets
 * it by migrate() instead of a rebuild. */
#define COUNT_SQL \
	"CREATE TRIGGER msg_count_add AFTER INSERT ON msg BEGIN" \
	" UPDATE folder SET msgs = msgs + 1 WHERE id = new.folder; END;" \
	"CREATE TRIGGER msg_count_del AFTER DELETE ON msg BEGIN" \
	" UPDATE folder SET msgs = msgs - 1 WHERE id = old.folder; END;" \
	"CREATE TRIGGER msg_count_move AFTER UPDATE OF folder ON msg" \
	" WHEN old.folder <> new.folder BEGIN" \
	" UPDATE folder SET msgs = msgs - 1 WHERE id = old.folder;" \
	" UPDATE folder SET msgs = msgs + 1 WHERE id = new.folder; END;"

/* fts_todo: the messages whose row is written and whose full text is not
 * yet (update.c writes a folder's rows first, so that it opens from the
 * index soon, and the text after). Schema version 4 added it.
 * meta 'fts_garbage': full-text rows left behind by removed messages
 * (contentless fts cannot delete without the text), counted so that an
 * update rebuilds the fts table when they pass a fifth of it (update.c);
 * a message removed before its text was written left none. */
#define TEXT_SQL \
	"CREATE TABLE IF NOT EXISTS fts_todo (id INTEGER PRIMARY KEY);" \
	"CREATE TRIGGER msg_fts_garbage AFTER DELETE ON msg BEGIN" \
	" INSERT INTO meta SELECT 'fts_garbage', 1" \
	" WHERE NOT EXISTS (SELECT 1 FROM fts_todo WHERE id = old.id)" \
	" ON CONFLICT (key) DO UPDATE SET value = value + 1;" \
	" DELETE FROM fts_todo WHERE id = old.id; END;"

/* Partial indexes over the few messages that are unread, flagged or
 * deleted, and those three counts per folder kept by triggers (a folder
 * gets its row from the first update that finds none, update.c
 * count_folder), so that a folder's first screen learns the status line's
 * counts and where its cursor starts (the first unread message) without
 * reading every row (search.c index_folder_marks). A file made before
 * them gets them on its next full open (ensure_marks): older quail
 * versions read and keep such a file as it is, and their writes fire the
 * triggers too. The WHERE terms are those the queries repeat word for
 * word, as SQLite needs to use them. */
#define MARK_OLD(op) \
	" UPDATE folder_marks SET unread = unread " op " (old.flags & 1 = 0)," \
	" flagged = flagged " op " (old.flags & 2 <> 0)," \
	" trashed = trashed " op " (old.flags & 8 <> 0) WHERE folder = old.folder;"
#define MARKS_SQL \
	"CREATE INDEX IF NOT EXISTS msg_folder_unread ON msg (folder, date)" \
	" WHERE flags & 1 = 0;" \
	"CREATE INDEX IF NOT EXISTS msg_folder_flagged ON msg (folder) WHERE flags & 2 <> 0;" \
	"CREATE INDEX IF NOT EXISTS msg_folder_trashed ON msg (folder) WHERE flags & 8 <> 0;" \
	"CREATE TABLE IF NOT EXISTS folder_marks (folder INTEGER PRIMARY KEY," \
	" unread INTEGER NOT NULL, flagged INTEGER NOT NULL, trashed INTEGER NOT NULL);" \
	"CREATE TRIGGER IF NOT EXISTS msg_marks_add AFTER INSERT ON msg BEGIN" \
	" UPDATE folder_marks SET unread = unread + (new.flags & 1 = 0)," \
	" flagged = flagged + (new.flags & 2 <> 0)," \
	" trashed = trashed + (new.flags & 8 <> 0) WHERE folder = new.folder; END;" \
	"CREATE TRIGGER IF NOT EXISTS msg_marks_del AFTER DELETE ON msg BEGIN" \
	MARK_OLD("-") " END;" \
	"CREATE TRIGGER IF NOT EXISTS msg_marks_change AFTER UPDATE OF flags, folder ON msg" \
	" WHEN old.flags <> new.flags OR old.folder <> new.folder BEGIN" \
	MARK_OLD("-") \
	" UPDATE folder_marks SET unread = unread + (new.flags & 1 = 0)," \
	" flagged = flagged + (new.flags & 2 <> 0)," \
	" trashed = trashed + (new.flags & 8 <> 0) WHERE folder = new.folder; END;" \
	"CREATE TRIGGER IF NOT EXISTS folder_marks_gone AFTER DELETE ON folder BEGIN" \
	" DELETE FROM folder_marks WHERE folder = old.id; END;"

/* The contract with the query compiler (query.c) is the names in folder,
 * msg and fts; columns and tables may be added, never renamed.
 * msg.id is AUTOINCREMENT because fts is contentless: a deleted message's
 * fts row cannot be removed without its text (SQLite 3.40 has no
 * contentless_delete), so it stays behind as unreachable garbage and its
 * rowid must never name another message. */
static const char schema_sql[] =
	"CREATE TABLE folder (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL, kind INTEGER NOT NULL,"
	" cur_mtime INTEGER, new_mtime INTEGER, msgs INTEGER);"
	"CREATE TABLE msg (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" folder INTEGER NOT NULL REFERENCES folder(id),"
	" uniq TEXT NOT NULL, file TEXT NOT NULL,"
	" size INTEGER NOT NULL, mtime INTEGER NOT NULL,"
	" date INTEGER,"
	" from_name TEXT, from_addr TEXT,"
	" to_list TEXT, cc_list TEXT,"
	" subject TEXT, message_id TEXT,"
	" in_reply_to TEXT, refs TEXT,"
	" list_id TEXT,"
	" thread INTEGER, parent INTEGER,"
	" flags INTEGER NOT NULL DEFAULT 0,"
	" is_new INTEGER NOT NULL DEFAULT 0,"
	" has_attachment INTEGER NOT NULL DEFAULT 0,"
	" filenames TEXT,"
	" UNIQUE (folder, uniq));"
	"CREATE INDEX msg_folder_date ON msg (folder, date);"
	"CREATE INDEX msg_date ON msg (date);"
	/* One per sort order of search.c, so that a folder's first page in
	 * any order walks an index instead of sorting the folder. */
	"CREATE INDEX msg_folder_mtime ON msg (folder, mtime);"
	"CREATE INDEX msg_folder_subject ON msg (folder, subject COLLATE NOCASE, date);"
	"CREATE INDEX msg_folder_from ON msg"
	" (folder, coalesce(from_name, from_addr) COLLATE NOCASE, date);"
	"CREATE INDEX msg_folder_size ON msg (folder, size);"
	"CREATE INDEX msg_thread ON msg (thread, date);"
	"CREATE INDEX msg_message_id ON msg (message_id);"
	"CREATE INDEX msg_parent ON msg (parent) WHERE parent IS NOT NULL;"
	MARKS_SQL
	/* Every Message-ID a message names in References or In-Reply-To, so
	 * a late parent finds the children waiting for it (threads.c). */
	"CREATE TABLE ref (message_id TEXT NOT NULL, msg INTEGER NOT NULL,"
	" PRIMARY KEY (message_id, msg)) WITHOUT ROWID;"
	"CREATE INDEX ref_msg ON ref (msg);"
	/* One row per thread, kept current by every update, so a threaded
	 * view pages by last_date without walking the messages. */
	"CREATE TABLE thread (id INTEGER PRIMARY KEY, last_date INTEGER,"
	" count INTEGER NOT NULL DEFAULT 0, subject TEXT, root INTEGER,"
	" base TEXT);" /* the first message's subject without Re:/Fwd: */
	"CREATE INDEX thread_last_date ON thread (last_date);"
	"CREATE INDEX thread_base ON thread (base) WHERE base IS NOT NULL;"
	/* Facts about the file itself ("checked": when quick_check last
	 * passed, epoch seconds). */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE VIRTUAL TABLE fts USING fts5(subject, sender, recipients, filenames, body,"
	" content='', tokenize='quail');"
	COUNT_SQL
	TEXT_SQL;

int
index_db_err(sqlite3 *db, struct qu_err *err, const char *what)
{
	return qu_err_set(err, QU_E_IOERR, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

int
index_db_exec(sqlite3 *db, const char *sql, struct qu_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	qu_err_set(err, QU_E_IOERR, "index database: %s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* The first column of the first row of sql as an integer; -1 with the
 * SQLite result in *rc when the statement fails. */
static int64_t
query_int(sqlite3 *db, const char *sql, int *rc)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*rc == SQLITE_OK) {
		*rc = sqlite3_step(st);
		if (*rc == SQLITE_ROW) {
			v = sqlite3_column_int64(st, 0);
			*rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return v;
}

/* True when quick_check answers exactly "ok". */
static bool
quick_check_ok(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool ok = false;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
		sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(st, 0);
		ok = s && strcmp((const char *)s, "ok") == 0 && sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return ok;
}

enum verdict { DB_OURS, DB_EMPTY, DB_FOREIGN, DB_ERROR };

/* Brings a file of schema version 2 or 3 to INDEX_SCHEMA_VERSION in one
 * IMMEDIATE transaction, under the open lock. Version 3 added folder.msgs
 * and its triggers (NULL counts are filled by the next update); version
 * 4 fts_todo, and the garbage trigger that knows it. Returns SQLite's
 * result. */
static int
migrate(sqlite3 *db, int64_t from)
{
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK && from == 2)
		rc = sqlite3_exec(db, "ALTER TABLE folder ADD COLUMN msgs INTEGER;"
			COUNT_SQL
			/* The garbage so far: one fts_docsize row per fts row. */
			"INSERT OR REPLACE INTO meta SELECT 'fts_garbage',"
			" (SELECT count(*) FROM fts_docsize) - (SELECT count(*) FROM msg);",
			NULL, NULL, NULL);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d; COMMIT;", INDEX_SCHEMA_VERSION);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "DROP TRIGGER IF EXISTS msg_fts_garbage;" TEXT_SQL, NULL, NULL,
			NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite3_extended_errcode(db);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

/* Adds MARKS_SQL's indexes, table and triggers to a file made before them; a busy file gets
 * them on a later open. Only opens that may write (check >= 0) come
 * here: a quick look at one page never waits for the creation. */
static void
ensure_marks(sqlite3 *db)
{
	int rc;
	if (query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN "
		INDEX_MARKS_ALL, &rc) == INDEX_MARKS_ALL_N ||
		rc != SQLITE_OK)
		return;
	sqlite3_busy_timeout(db, 0); /* a writer at work: next time */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE;" MARKS_SQL "COMMIT;", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_busy_timeout(db, 10000);
}

/* A failed look at the file means "not ours" only when SQLite says the
 * bytes are not a sound database; busy, locked or I/O errors are
 * errors, and a file that may be another process's good index is never
 * moved aside for them. */
static enum verdict
failed_look(int rc)
{
	int base = rc & 0xff;
	return base == SQLITE_NOTADB || base == SQLITE_CORRUPT ? DB_FOREIGN : DB_ERROR;
}

/* Decides whether db is a quail index of this schema version, an empty
 * file to fill, or something else. The schema is created inside one
 * IMMEDIATE transaction, so two processes creating it at once serialise
 * on the lock and the second sees a complete schema. */
static enum verdict
examine(sqlite3 *db, int check)
{
	int rc;
	int64_t app = query_int(db, "PRAGMA application_id", &rc);
	if (rc != SQLITE_OK)
		return failed_look(rc);
	int64_t ver = query_int(db, "PRAGMA user_version", &rc);
	if (rc != SQLITE_OK)
		return failed_look(rc);
	int64_t ntab = query_int(db, "SELECT count(*) FROM sqlite_schema", &rc);
	if (rc != SQLITE_OK)
		return failed_look(rc);
	if (app == 0 && ver == 0 && ntab == 0)
		return DB_EMPTY;
	if (app == INDEX_APPLICATION_ID && (ver == 2 || ver == 3)) {
		/* Busy: try again later; anything else: rebuild. */
		if ((rc = migrate(db, ver)) != SQLITE_OK)
			return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED
				       ? DB_ERROR : DB_FOREIGN;
		ver = INDEX_SCHEMA_VERSION;
	}
	if (app != INDEX_APPLICATION_ID || ver != INDEX_SCHEMA_VERSION)
		return DB_FOREIGN;
	/* quick_check reads the whole file (a quarter second for 20,000
	 * messages), too slow for every run; it runs when asked and
	 * otherwise once a day, except for quick one-row work (check < 0). */
	int64_t last = query_int(db, "SELECT coalesce((SELECT value FROM meta"
				     " WHERE key = 'checked'), 0)", &rc);
	int64_t now = (int64_t)time(NULL);
	if (rc != SQLITE_OK)
		return failed_look(rc);
	if (check > 0 || (check == 0 && (last > now || now - last > 86400))) {
		if (!quick_check_ok(db))
			return DB_FOREIGN;
		char sql[96];
		snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta VALUES ('checked', %lld)",
			(long long)now);
		/* Best effort: a busy database is checked again next time. */
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (check >= 0)
		ensure_marks(db);
	return DB_OURS;
}

static int
create_schema(sqlite3 *db, struct qu_err *err)
{
	if (index_db_exec(db, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	int rc;
	int64_t ntab = query_int(db, "SELECT count(*) FROM sqlite_schema", &rc);
	if (rc != SQLITE_OK) {
		index_db_err(db, err, "index database");
		goto fail;
	}
	/* Another process may have created it between our look and the lock. */
	if (ntab == 0) {
		char pragmas[192];
		/* A new file needs no check for a day. */
		snprintf(pragmas, sizeof pragmas,
			"PRAGMA application_id=%d; PRAGMA user_version=%d;"
			" INSERT INTO meta VALUES ('checked', %lld);",
			INDEX_APPLICATION_ID, INDEX_SCHEMA_VERSION, (long long)time(NULL));
		if (index_db_exec(db, schema_sql, err) < 0 || index_db_exec(db, pragmas, err) < 0)
			goto fail;
	}
	return index_db_exec(db, "COMMIT", err);
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Renames path and its -wal and -shm companions to "PATH.bad...". A
 * missing companion is fine. */
static int
move_aside(const char *path, struct qu_err *err)
{
	static const char *const ext[] = {"-wal", "-shm", ""};
	for (size_t i = 0; i < QU_ARRAY_LEN(ext); i++) {
		char *from = xasprintf("%s%s", path, ext[i]);
		char *to = xasprintf("%s.bad%s", path, ext[i]);
		int r = rename(from, to);
		int e = errno;
		free(from);
		free(to);
		if (r < 0 && e != ENOENT)
			return qu_err_sys(err, QU_E_IOERR, e, "%s: cannot move aside", path);
	}
	return 0;
}

/* Before SQLite's first use in the process: no memory statistics. They
 * cost a global mutex around every allocation, and quail reads none;
 * without them `quail index` of 20,000 messages took 5 to 6 % less time.
 * Done once, by whichever thread opens the index first (sqlite3_config
 * must come before sqlite3_initialize, and not beside other calls). */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void
sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

static int
open_conn(const char *path, sqlite3 **db, struct qu_err *err)
{
	*db = NULL;
	pthread_once(&sqlite_once, sqlite_setup);
	int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		qu_err_set(err, QU_E_IOERR, "%s: %s", path,
			*db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_extended_result_codes(*db, 1);
	/* Writers are short transactions; a reader or a second writer waits
	 * for them instead of failing with SQLITE_BUSY. */
	sqlite3_busy_timeout(*db, 10000);
	if (index_tokenizer_register(*db, err) < 0) {
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

/* Opens path and classifies it. Returns 0 with *db open and *v set, or -1
 * (err set) when not even the open succeeded. */
static int
try_open(const char *path, int check, sqlite3 **db, enum verdict *v, struct qu_err *err)
{
	if (open_conn(path, db, err) < 0)
		return -1;
	/* journal_mode fails on a file that is not a database at all. */
	int rc = sqlite3_exec(*db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	*v = rc != SQLITE_OK ? failed_look(sqlite3_extended_errcode(*db)) : examine(*db, check);
	if (*v == DB_ERROR) {
		index_db_err(*db, err, path);
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

/* Takes PATH.lock for the open: the look at the file, moving a foreign
 * one aside and creating the schema happen in one process at a time, so
 * a process starting while another creates the index never takes the
 * half-made file for a foreign one. Waits up to ten seconds, as the
 * database's own busy timeout does. Returns the descriptor, or -1. */
static int
open_lock(const char *path, struct qu_err *err)
{
	char *lp = xasprintf("%s.lock", path);
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", lp);
		free(lp);
		return -1;
	}
	/* Held for a millisecond or two by an open, so asked again every
	 * millisecond at first (the UI opens the index from two workers at
	 * once, and a 10 ms wait was a fifth of its first screen's time),
	 * then every 10 ms: 10 s in all. */
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || i >= 1090) {
			qu_err_sys(err, QU_E_IOERR, errno == EWOULDBLOCK ? ETIMEDOUT : errno,
				"%s", lp);
			close(fd);
			free(lp);
			return -1;
		}
		usleep(i < 100 ? 1000 : 10000);
	}
	free(lp);
	return fd;
}

int
index_db_open_opts(const char *path, int quick_check, sqlite3 **db, bool *rebuilt,
	struct qu_err *err)
{
	enum verdict v = DB_FOREIGN;
	*db = NULL;
	if (rebuilt)
		*rebuilt = false;
	int lock = open_lock(path, err);
	if (lock < 0)
		return -1;
	/* A file SQLite cannot even open (a directory, say) is moved aside
	 * like a foreign one; a busy or unreadable index is an error. */
	if (try_open(path, quick_check, db, &v, err) < 0 && v == DB_ERROR)
		goto out;
	if (v == DB_FOREIGN) {
		sqlite3_close(*db);
		*db = NULL;
		struct stat sb;
		if (stat(path, &sb) < 0) {
			if (!err || !err->cls)
				qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
			goto out;
		}
		if (move_aside(path, err) < 0)
			goto out;
		if (rebuilt)
			*rebuilt = true;
		if (try_open(path, false, db, &v, err) < 0)
			goto out;
		if (v == DB_FOREIGN) {
			qu_err_set(err, QU_E_IOERR, "%s: cannot create the index", path);
			goto fail;
		}
	}
	if (index_db_exec(*db, "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;", err) < 0)
		goto fail;
	if (v == DB_EMPTY && create_schema(*db, err) < 0)
		goto fail;
	close(lock);
	return 0;
fail:
	qu_err_prefix(err, "%s", path);
	sqlite3_close(*db);
	*db = NULL;
out:
	close(lock);
	return -1;
}

int
index_db_open_path(const char *path, sqlite3 **db, struct qu_err *err)
{
	return index_db_open_opts(path, true, db, NULL, err);
}
