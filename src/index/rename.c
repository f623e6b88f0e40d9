/* index_rename: one Maildir file renamed by quail itself (a flag change
 * from the UI, new/ -> cur/, a move between indexed folders), told to the
 * index at once so that search sees it without a folder listing (SPEC §9:
 * the UI keeps the index current). It touches one row and reads no
 * message: the unique part (the name before ":2,") finds the row, and the
 * new name gives the flags, exactly as the listing of index_update would. */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "store/store.h"

#include "index/private.h"

static const char sql_find[] =
	"SELECT msg.id, folder.kind FROM msg JOIN folder ON folder.id = msg.folder"
	" WHERE folder.path = ? AND msg.uniq = ?";
static const char sql_folder_id[] = "SELECT id FROM folder WHERE path = ? AND kind = 0";
static const char sql_same_folder[] =
	"UPDATE msg SET file = ?, flags = ?, is_new = ? WHERE id = ?";
static const char sql_other_folder[] =
	"UPDATE OR IGNORE msg SET folder = ?, uniq = ?, file = ?, flags = ?, is_new = ?"
	" WHERE id = ?";

/* A Maildir message path split: the folder (owned), "cur/NAME" or
 * "new/NAME" (borrowed from path), its unique part (owned). */
struct mpath {
	char *folder;
	const char *file;
	char *uniq;
	bool is_new;
	unsigned flags; /* INDEX_FLAG_* */
};

static int
split(const char *path, struct mpath *m, struct qu_err *err)
{
	memset(m, 0, sizeof *m);
	const char *base = strrchr(path, '/');
	if (!base || base == path || !base[1])
		goto bad;
	const char *sub = base - 3;
	if (sub <= path || sub[-1] != '/' ||
		(strncmp(sub, "cur", 3) != 0 && strncmp(sub, "new", 3) != 0))
		goto bad;
	base++;
	m->folder = xstrndup(path, (size_t)(sub - 1 - path));
	m->file = sub;
	const char *colon = strchr(base, ':');
	m->uniq = xstrndup(base, colon ? (size_t)(colon - base) : strlen(base));
	m->is_new = strncmp(sub, "new", 3) == 0;
	m->flags = index_flags_from_maildir(maildir_flags_parse(base));
	return 0;
bad:
	return qu_err_set(err, QU_E_USAGE, "%s: not a file in a Maildir's cur/ or new/", path);
}

static void
mpath_clear(struct mpath *m)
{
	free(m->folder);
	free(m->uniq);
}

/* The id of the first row of sql with text arguments a and b (b may be
 * NULL); 0 when none. */
static int
find_id(struct index *ix, const char *sql, const char *a, const char *b, int64_t *id,
	int *kind, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (kind)
		*kind = rc == SQLITE_ROW ? sqlite3_column_int(st, 1) : -1;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return index_db_err(ix->db, err, "index");
	return 0;
}

/* Moves row id to what m names (same folder or another indexed one);
 * *moved tells whether the row now has it. */
static int
move_row(struct index *ix, int64_t id, bool same, const struct mpath *to, bool *moved,
	struct qu_err *err)
{
	int64_t fid = 0;
	*moved = false;
	if (!same && find_id(ix, sql_folder_id, to->folder, NULL, &fid, NULL, err) < 0)
		return -1;
	if (!same && fid == 0)
		return 0; /* left the indexed folders */
	sqlite3_stmt *st = index_stmt(ix, same ? sql_same_folder : sql_other_folder, err);
	if (!st)
		return -1;
	int i = 1;
	if (!same) {
		sqlite3_bind_int64(st, i++, fid);
		sqlite3_bind_text(st, i++, to->uniq, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, i++, to->file, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, i++, (int)to->flags);
	sqlite3_bind_int(st, i++, to->is_new);
	sqlite3_bind_int64(st, i, id);
	if (index_step_done(ix, st, err) < 0)
		return -1;
	/* OR IGNORE: the destination already holds that unique part (an
	 * update saw the file first), so this row is the stale one. */
	*moved = sqlite3_changes(ix->db) > 0;
	return 0;
}

static int
rename_in_tx(struct index *ix, const struct mpath *from, const struct mpath *to,
	struct qu_err *err)
{
	int64_t id = 0;
	int kind = -1;
	if (find_id(ix, sql_find, from->folder, from->uniq, &id, &kind, err) < 0)
		return -1;
	if (id == 0 || kind != 0)
		return 0; /* not indexed: the next update finds the file */
	bool same = strcmp(from->folder, to->folder) == 0;
	bool moved = false;
	if (move_row(ix, id, same, to, &moved, err) < 0)
		return -1;
	if (moved)
		return 1;
	/* Its new place is not indexed: the row would name a file that is
	 * gone. */
	if (index_msg_remove(ix, id, err) < 0 || index_thread_flush(ix, err) < 0)
		return -1;
	return 1;
}

long
index_rename_pairs(struct index *ix, const char *const *pairs, size_t n, struct qu_err *err)
{
	if (index_db_exec(ix->db, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	long changed = 0;
	for (size_t i = 0; i < n && changed >= 0; i++) {
		struct mpath a, b;
		if (split(pairs[2 * i], &a, err) < 0) {
			changed = -1;
			break;
		}
		int r = split(pairs[2 * i + 1], &b, err);
		if (r == 0)
			r = rename_in_tx(ix, &a, &b, err);
		changed = r < 0 ? -1 : changed + r;
		mpath_clear(&a);
		mpath_clear(&b);
	}
	if (changed < 0 || index_db_exec(ix->db, "COMMIT", err) < 0) {
		sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return changed;
}

int
index_rename(struct index *ix, const char *from, const char *to, struct qu_err *err)
{
	const char *const pair[] = {from, to};
	return (int)index_rename_pairs(ix, pair, 1, err);
}
