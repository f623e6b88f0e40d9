/* Opening the index, its default place, and the statement cache. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"

#include "index/private.h"

char *
index_default_path(struct qu_err *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (xdg && *xdg == '/')
		return xasprintf("%s/quail/index.sqlite", xdg);
	const char *home = getenv("HOME");
	if (!home || !*home) {
		qu_err_set(err, QU_E_CONFIG, "index: neither XDG_CACHE_HOME nor HOME is set");
		return NULL;
	}
	return xasprintf("%s/.cache/quail/index.sqlite", home);
}

/* mkdir -p of the directory part of path, mode 0700 for what it makes. */
static int
make_parent(const char *path, struct qu_err *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int r = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		r = store_mkdir_p(dir, 0700, err);
	}
	free(dir);
	return r;
}

struct index *
index_open(const char *path, unsigned flags, struct qu_err *err)
{
	char *p = path ? xstrdup(path) : index_default_path(err);
	if (!p)
		return NULL;
	if (make_parent(p, err) < 0) {
		free(p);
		return NULL;
	}
	if (flags & INDEX_OPEN_REBUILD) {
		static const char *const ext[] = {"", "-wal", "-shm"};
		for (size_t i = 0; i < QU_ARRAY_LEN(ext); i++) {
			char *f = xasprintf("%s%s", p, ext[i]);
			unlink(f);
			free(f);
		}
	}
	struct index *ix = xcalloc(1, sizeof *ix);
	ix->path = p;
	qu_buf_init(&ix->row_path, 1u << 16);
	int check = flags & INDEX_OPEN_CHECK ? 1 : flags & INDEX_OPEN_QUICK ? -1 : 0;
	if (index_db_open_opts(p, check, &ix->db, NULL, err) < 0 ||
		index_db_exec(ix->db,
			"CREATE TEMP TABLE IF NOT EXISTS dirty_thread (id INTEGER PRIMARY KEY);"
			"CREATE TEMP TABLE IF NOT EXISTS tagged (id INTEGER PRIMARY KEY);",
			err) < 0) {
		index_free(ix);
		return NULL;
	}
	struct stat sb;
	if (stat(p, &sb) == 0) {
		ix->dev = sb.st_dev;
		ix->ino = sb.st_ino;
	}
	return ix;
}

bool
index_still_there(const struct index *ix)
{
	struct stat sb;
	if (stat(ix->path, &sb) < 0)
		return errno != ENOENT && errno != ENOTDIR;
	return sb.st_dev == ix->dev && sb.st_ino == ix->ino;
}

void
index_free(struct index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nstmts; i++)
		sqlite3_finalize(ix->stmts[i].st);
	sqlite3_close(ix->db);
	qu_buf_clear(&ix->row_path);
	free(ix->path);
	free(ix);
}

const char *
index_path(const struct index *ix)
{
	return ix->path;
}

sqlite3_stmt *
index_stmt(struct index *ix, const char *sql, struct qu_err *err)
{
	for (size_t i = 0; i < ix->nstmts; i++) {
		if (ix->stmts[i].sql == sql) {
			sqlite3_stmt *st = ix->stmts[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(ix->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		index_db_err(ix->db, err, "index");
		return NULL;
	}
	if (ix->nstmts == INDEX_STMTS_MAX) {
		/* Only the fixed statements of src/index come here, so
		 * running out is a mistake in this module. */
		sqlite3_finalize(st);
		qu_err_set(err, QU_E_SOFTWARE, "index: too many prepared statements");
		return NULL;
	}
	ix->stmts[ix->nstmts].sql = sql;
	ix->stmts[ix->nstmts++].st = st;
	return st;
}

int
index_step_done(struct index *ix, sqlite3_stmt *st, struct qu_err *err)
{
	int rc = sqlite3_step(st);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return index_db_err(ix->db, err, "index");
	return 0;
}

int
index_exec_id(struct index *ix, const char *sql, int64_t id, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return index_step_done(ix, st, err);
}

void
index_bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int
index_holds(struct index *ix, const char *root, struct qu_err *err)
{
	static const char sql[] = "SELECT 1 FROM folder WHERE path = ?1"
				  " OR substr(path, 1, length(?1) + 1) = ?1 || '/' LIMIT 1";
	sqlite3_stmt *st = index_stmt(ix, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return index_db_err(ix->db, err, "index");
	return rc == SQLITE_ROW;
}

/* ---- is a folder current (for the UI's open) ------------------------- */

int
index_folder_current(struct index *ix, const char *path, struct qu_err *err)
{
	static const char sql[] =
		"SELECT cur_mtime, new_mtime FROM folder WHERE path = ?1 AND kind = 0";
	sqlite3_stmt *st = index_stmt(ix, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t was[2] = {-1, -1};
	for (int i = 0; i < 2 && rc == SQLITE_ROW; i++)
		if (sqlite3_column_type(st, i) != SQLITE_NULL)
			was[i] = sqlite3_column_int64(st, i);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return index_db_err(ix->db, err, "index");
	if (rc != SQLITE_ROW || was[0] < 0 || was[1] < 0)
		return 0;
	/* The same stamps update.c stores (nanoseconds); a NULL there
	 * means the pass saw a directory change too recently to trust. */
	static const char *const sub[] = {"cur", "new"};
	for (int i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", path, sub[i]);
		struct stat sb;
		int r = stat(p, &sb);
		free(p);
		if (r < 0 || (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec != was[i])
			return 0;
	}
	return 1;
}

int
index_text_pending(struct index *ix, const char *path, uint64_t max, uint64_t *n,
	struct qu_err *err)
{
	/* Driven by fts_todo, which is empty but for the time a run writes
	 * text: a folder's own rows would be walked on every call. */
	static const char one[] =
		"SELECT count(*) FROM (SELECT 1 FROM fts_todo AS t"
		" WHERE (SELECT folder FROM msg WHERE id = t.id) ="
		" (SELECT id FROM folder WHERE path = ?1) LIMIT ?2)";
	static const char all[] = "SELECT count(*) FROM (SELECT 1 FROM fts_todo LIMIT ?2)";
	sqlite3_stmt *st = index_stmt(ix, path ? one : all, err);
	if (!st)
		return -1;
	if (path)
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	int rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : index_db_err(ix->db, err, "index");
}
