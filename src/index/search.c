/* Reading the index: a query (query.c compiles it to SQL) over one folder
 * or all, sorted, a page at a time (SPEC §9). Rows are stepped one by one
 * from SQLite, so a page costs what its rows cost, and the sorts that a
 * view opens with (newest, threads) walk an index instead of sorting. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

#include "index/private.h"
#include "index/query.h"

static const struct {
	const char *name;
	enum index_sort sort;
} sort_names[] = {
	{"newest", INDEX_SORT_NEWEST},
	{"oldest", INDEX_SORT_OLDEST},
	{"date", INDEX_SORT_DATE},
	{"received", INDEX_SORT_RECEIVED},
	{"from", INDEX_SORT_FROM},
	{"subject", INDEX_SORT_SUBJECT},
	{"size", INDEX_SORT_SIZE},
	{"threads", INDEX_SORT_THREADS},
	{"relevance", INDEX_SORT_RELEVANCE},
};

int
index_sort_parse(const char *s, enum index_sort *out)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(sort_names); i++) {
		if (strcmp(s, sort_names[i].name) == 0) {
			*out = sort_names[i].sort;
			return 0;
		}
	}
	return -1;
}

#define ROW_COLUMNS \
	"m.id, f.path, m.file, f.name, f.kind, m.uniq, m.date, m.mtime, m.from_name," \
	" m.from_addr, m.to_list, m.cc_list, m.subject, m.message_id, m.thread, m.parent," \
	" m.flags, m.is_new, m.has_attachment, m.size"

static const char *
order_by(enum index_sort sort)
{
	switch (sort) {
	case INDEX_SORT_OLDEST:
	case INDEX_SORT_DATE:
		return " ORDER BY m.date, m.id";
	case INDEX_SORT_RECEIVED:
		return " ORDER BY m.mtime DESC, m.id DESC";
	case INDEX_SORT_FROM:
		return " ORDER BY coalesce(m.from_name, m.from_addr) COLLATE NOCASE, m.date, m.id";
	case INDEX_SORT_SUBJECT:
		return " ORDER BY m.subject COLLATE NOCASE, m.date, m.id";
	case INDEX_SORT_SIZE:
		return " ORDER BY m.size DESC, m.id DESC";
	case INDEX_SORT_THREADS:
		return " ORDER BY t.last_date DESC, t.id DESC, m.date, m.id";
	case INDEX_SORT_RELEVANCE:
		return " ORDER BY rk.score IS NULL, rk.score, m.date DESC, m.id DESC";
	case INDEX_SORT_RECEIVED_OLDEST:
		return " ORDER BY m.mtime, m.id";
	case INDEX_SORT_FROM_DESC:
		return " ORDER BY coalesce(m.from_name, m.from_addr) COLLATE NOCASE DESC,"
		       " m.date DESC, m.id DESC";
	case INDEX_SORT_SUBJECT_DESC:
		return " ORDER BY m.subject COLLATE NOCASE DESC, m.date DESC, m.id DESC";
	case INDEX_SORT_SIZE_SMALLEST:
		return " ORDER BY m.size, m.id";
	case INDEX_SORT_NEWEST:
	default:
		return " ORDER BY m.date DESC, m.id DESC";
	}
}

/* The 1-based number of the placeholder holding the first full-text
 * expression in where (query.c binds every value, so each '?' is one),
 * or 0 when there is none. */
static int
fts_param(const char *where)
{
	const char *m = where ? strstr(where, "fts MATCH ?") : NULL;
	if (!m)
		return 0;
	int n = 1;
	for (const char *c = where; c < m; c++)
		n += *c == '?';
	return n;
}

static const char sql_folder_ids[] = "SELECT id FROM folder WHERE path = ?1 OR name = ?1";

/* Appends " AND m.folder IN (ids)" for the folders with path or shown
 * name folder. The ids are written as numbers (they come from the
 * database, not from the user), so the planner sees m.folder as a
 * constant and walks the (folder, sort key) index of that folder. */
static int
folder_ids(struct index *ix, const char *folder, struct qu_buf *sql, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql_folder_ids, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	qu_buf_append_str(sql, " AND m.folder IN (");
	const char *sep = "";
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		qu_buf_printf(sql, "%s%lld", sep, (long long)sqlite3_column_int64(st, 0));
		sep = ",";
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return index_db_err(ix->db, err, "index: folder");
	qu_buf_append_str(sql, *sep ? ")" : "NULL)");
	return 0;
}

/* Builds "SELECT what FROM ... WHERE ..." for query in folder into sql
 * and its values into p. */
static int
build(struct index *ix, const char *what, const char *folder, const char *query, enum index_sort sort,
	struct qu_buf *sql, struct index_params *p, bool *joined, struct qu_err *err)
{
	/* Threads: CROSS JOIN makes SQLite walk thread_last_date first and
	 * each thread's messages by msg_thread, already in page order. */
	if (sort == INDEX_SORT_THREADS)
		qu_buf_printf(sql, "SELECT %s FROM thread AS t CROSS JOIN msg AS m ON m.thread = t.id"
				   " JOIN folder AS f ON f.id = m.folder", what);
	else
		qu_buf_printf(sql, "SELECT %s FROM msg AS m JOIN folder AS f ON f.id = m.folder",
			what);
	size_t qn = query ? strlen(query) : 0;
	struct index_query *q = index_query_parse(query ? query : "", qn, err);
	if (!q)
		return -1;
	struct qu_buf where;
	qu_buf_init(&where, 1u << 20);
	int r = index_query_sql(q, (int64_t)time(NULL), &where, p, err);
	index_query_free(q);
	int fts = r == 0 && sort == INDEX_SORT_RELEVANCE ? fts_param(where.data) : 0;
	if (fts > 0) {
		/* bm25 of the first full-text lookup, computed once for all
		 * its matches; a row that matched another way (OR) has none
		 * and comes after. */
		qu_buf_printf(sql, " LEFT JOIN (SELECT rowid AS rid, rank AS score FROM fts"
				   " WHERE fts MATCH ?%d) AS rk ON rk.rid = m.id", fts);
	}
	if (r == 0) {
		/* Numbered, because the join above may name one of them
		 * before its place in the text. */
		qu_buf_append_str(sql, " WHERE (");
		int k = 0;
		for (const char *c = where.data ? where.data : "1"; *c; c++) {
			if (*c == '?')
				qu_buf_printf(sql, "?%d", ++k);
			else
				qu_buf_append_byte(sql, *c);
		}
		qu_buf_append_byte(sql, ')');
	}
	if (joined)
		*joined = fts > 0;
	qu_buf_clear(&where);
	if (r < 0)
		return -1;
	if (folder)
		return folder_ids(ix, folder, sql, err);
	return 0;
}

static sqlite3_stmt *
prepare(struct index *ix, const struct qu_buf *sql, const struct index_params *p,
	struct qu_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(ix->db, sql->data, (int)sql->len, &st, NULL) != SQLITE_OK) {
		index_db_err(ix->db, err, "index: search");
		return NULL;
	}
	if (index_params_bind(st, 1, p) < 0) {
		index_db_err(ix->db, err, "index: search");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static const char *
col_str(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static const char sql_parent[] = "SELECT parent FROM msg WHERE id = ?";

/* How many ancestors id has (bounded). */
static unsigned
depth_of(struct index *ix, int64_t parent)
{
	unsigned d = 0;
	while (parent > 0 && d < 1000) {
		d++;
		sqlite3_stmt *st = index_stmt(ix, sql_parent, NULL);
		if (!st)
			break;
		sqlite3_bind_int64(st, 1, parent);
		parent = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
	}
	return d;
}

/* Fills r from the current row of st (ROW_COLUMNS) and calls fn. */
static int
emit(struct index *ix, sqlite3_stmt *st, bool threads, index_row_fn fn, void *ctx,
	struct qu_err *err)
{
	struct index_row r = {0};
	r.id = sqlite3_column_int64(st, 0);
	const char *fpath = col_str(st, 1), *file = col_str(st, 2);
	r.folder_path = fpath;
	r.folder = col_str(st, 3);
	r.folder_kind = sqlite3_column_int(st, 4);
	if (r.folder_kind == 1) {
		r.path = fpath;
		r.mbox_offset = strtoull(col_str(st, 5), NULL, 10);
	} else {
		/* One buffer for every row: a whole folder is read row by
		 * row, and an allocation and a format each were a tenth of
		 * its time. */
		struct qu_buf *b = &ix->row_path;
		qu_buf_reset(b);
		qu_buf_append_str(b, fpath);
		qu_buf_append_byte(b, '/');
		qu_buf_append_str(b, file ? file : "");
		r.path = b->data;
	}
	r.has_date = sqlite3_column_type(st, 6) != SQLITE_NULL;
	r.date = sqlite3_column_int64(st, 6);
	r.mtime = sqlite3_column_int64(st, 7);
	r.from_name = col_str(st, 8);
	r.from_addr = col_str(st, 9);
	r.to_list = col_str(st, 10);
	r.cc_list = col_str(st, 11);
	r.subject = col_str(st, 12);
	r.message_id = col_str(st, 13);
	r.thread = sqlite3_column_int64(st, 14);
	r.parent = sqlite3_column_int64(st, 15);
	r.flags = (unsigned)sqlite3_column_int(st, 16);
	r.is_new = sqlite3_column_int(st, 17) != 0;
	r.has_attachment = sqlite3_column_int(st, 18) != 0;
	r.size = (uint64_t)sqlite3_column_int64(st, 19);
	if (threads)
		r.depth = depth_of(ix, r.parent);
	return fn(ctx, &r, err);
}

long
index_search(struct index *ix, const char *folder, const char *query, enum index_sort sort,
	uint64_t offset, uint64_t limit, index_row_fn fn, void *ctx, struct qu_err *err)
{
	struct qu_buf sql;
	qu_buf_init(&sql, 1u << 20);
	struct index_params p;
	index_params_init(&p);
	long n = -1;
	sqlite3_stmt *st = NULL;
	bool ranked = false;
	if (build(ix, ROW_COLUMNS, folder, query, sort, &sql, &p, &ranked, err) < 0)
		goto out;
	qu_buf_append_str(&sql, order_by(sort == INDEX_SORT_RELEVANCE && !ranked
			? INDEX_SORT_NEWEST : sort));
	qu_buf_printf(&sql, " LIMIT %lld OFFSET %lld",
		limit > INT64_MAX ? -1LL : (long long)limit,
		offset > INT64_MAX ? 0LL : (long long)offset);
	if (!(st = prepare(ix, &sql, &p, err)))
		goto out;
	int rc;
	n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (emit(ix, st, sort == INDEX_SORT_THREADS, fn, ctx, err) < 0) {
			n = -1;
			goto out;
		}
		n++;
	}
	if (rc != SQLITE_DONE)
		n = index_db_err(ix->db, err, "index: search");
out:
	sqlite3_finalize(st);
	index_params_clear(&p);
	qu_buf_clear(&sql);
	return n;
}

/* The messages of folder (path or shown name) as folder.msgs keeps them
 * (schema.c's triggers), without counting the rows: a first screen asks
 * for it. Returns 1 with *count, 0 when a count is not known (NULL, no
 * such folder), -1 on error. */
static int
count_kept(struct index *ix, const char *folder, uint64_t *count, struct qu_err *err)
{
	static const char sql[] = "SELECT count(*), count(msgs), sum(msgs) FROM folder"
				  " WHERE path = ?1 OR name = ?1";
	sqlite3_stmt *st = index_stmt(ix, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int r = 0;
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0 &&
		sqlite3_column_int64(st, 0) == sqlite3_column_int64(st, 1)) {
		*count = (uint64_t)sqlite3_column_int64(st, 2);
		r = 1;
	} else if (rc != SQLITE_ROW) {
		r = index_db_err(ix->db, err, "index: count");
	}
	sqlite3_reset(st);
	return r;
}

int
index_count(struct index *ix, const char *folder, const char *query, uint64_t *count,
	struct qu_err *err)
{
	if (folder && (!query || !*query)) {
		int k = count_kept(ix, folder, count, err);
		if (k != 0)
			return k < 0 ? -1 : 0;
	}
	struct qu_buf sql;
	qu_buf_init(&sql, 1u << 20);
	struct index_params p;
	index_params_init(&p);
	int r = -1;
	sqlite3_stmt *st = NULL;
	if (build(ix, "count(*)", folder, query, INDEX_SORT_NEWEST, &sql, &p, NULL, err) < 0 ||
		!(st = prepare(ix, &sql, &p, err)))
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		index_db_err(ix->db, err, "index: count");
		goto out;
	}
	*count = (uint64_t)sqlite3_column_int64(st, 0);
	r = 0;
out:
	sqlite3_finalize(st);
	index_params_clear(&p);
	qu_buf_clear(&sql);
	return r;
}

/* ---- a folder's marks ------------------------------------------------- */

/* The place of message (date, id) in the folder by date then id, where
 * a NULL date sorts first as in ORDER BY: every row before it counted
 * through msg_folder_date (counting index entries, not rows). -1 with
 * IOERR. */
static int64_t
place_of(struct index *ix, int64_t folder, const int64_t *date, int64_t id, struct qu_err *err)
{
	static const char undated_before[] = "SELECT count(*) FROM msg WHERE folder = ?1"
					     " AND date IS NULL AND id < ?3";
	static const char dated_before[] = "SELECT"
		" (SELECT count(*) FROM msg WHERE folder = ?1 AND date IS NULL)"
		" + (SELECT count(*) FROM msg WHERE folder = ?1 AND date < ?2)"
		" + (SELECT count(*) FROM msg WHERE folder = ?1 AND date = ?2 AND id < ?3)";
	sqlite3_stmt *st = index_stmt(ix, date ? dated_before : undated_before, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	if (date)
		sqlite3_bind_int64(st, 2, *date);
	sqlite3_bind_int64(st, 3, id);
	int64_t v = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		index_db_err(ix->db, err, "index: marks");
	sqlite3_reset(st);
	return v;
}

/* The unread, flagged and deleted counts of sql's one row (?1 the folder)
 * into m: 1, 0 without a row, -1 with IOERR. */
static int
marks_counts(struct index *ix, const char *sql, int64_t folder, struct index_marks *m,
	struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		m->unread = (uint64_t)sqlite3_column_int64(st, 0);
		m->flagged = (uint64_t)sqlite3_column_int64(st, 1);
		m->deleted = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return index_db_err(ix->db, err, "index: marks");
	return rc == SQLITE_ROW;
}

int
index_folder_marks(struct index *ix, const char *path, bool reverse, struct index_marks *m,
	struct qu_err *err)
{
	/* Every query names the partial indexes' WHERE terms exactly. */
	static const char sql_folder[] = "SELECT f.id, f.msgs, (SELECT count(*) FROM sqlite_schema"
		" WHERE type = 'index' AND name IN " INDEX_MARKS_NAMES "), (SELECT count(*)"
		" FROM sqlite_schema WHERE name IN " INDEX_MARKS_ALL ") FROM folder AS f"
		" WHERE f.path = ?1";
	static const char sql_kept[] =
		"SELECT unread, flagged, trashed FROM folder_marks WHERE folder = ?1";
	static const char sql_counts[] = "SELECT"
		" (SELECT count(*) FROM msg WHERE folder = ?1 AND flags & 1 = 0),"
		" (SELECT count(*) FROM msg WHERE folder = ?1 AND flags & 2 <> 0),"
		" (SELECT count(*) FROM msg WHERE folder = ?1 AND flags & 8 <> 0)";
	static const char sql_first[] = "SELECT id, date FROM msg WHERE folder = ?1"
					" AND flags & 1 = 0 ORDER BY date, id LIMIT 1";
	static const char sql_last[] = "SELECT id, date FROM msg WHERE folder = ?1"
				       " AND flags & 1 = 0 ORDER BY date DESC, id DESC LIMIT 1";
	memset(m, 0, sizeof *m);
	sqlite3_stmt *st = index_stmt(ix, sql_folder, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	bool held = rc == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL &&
		sqlite3_column_int64(st, 2) == 3;
	int64_t folder = held ? sqlite3_column_int64(st, 0) : 0;
	m->total = held ? (uint64_t)sqlite3_column_int64(st, 1) : 0;
	bool counted = held && sqlite3_column_int64(st, 3) == INDEX_MARKS_ALL_N;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return index_db_err(ix->db, err, "index: marks");
	if (!held)
		return 0;
	/* The kept counts when the folder has them and they fit the total
	 * (a negative one does not), else counted through the partial
	 * indexes. */
	int k = counted ? marks_counts(ix, sql_kept, folder, m, err) : 0;
	if (k == 1 && (m->unread > m->total || m->flagged > m->total || m->deleted > m->total))
		k = 0;
	if (k == 0)
		k = marks_counts(ix, sql_counts, folder, m, err);
	if (k < 0)
		return -1;
	if (m->unread == 0)
		return 1;
	if (!(st = index_stmt(ix, reverse ? sql_last : sql_first, err)))
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : index_db_err(ix->db, err, "index: marks");
	}
	int64_t id = sqlite3_column_int64(st, 0);
	bool dated = sqlite3_column_type(st, 1) != SQLITE_NULL;
	int64_t date = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	int64_t before = place_of(ix, folder, dated ? &date : NULL, id, err);
	if (before < 0)
		return -1;
	if ((uint64_t)before >= m->total)
		return 0; /* the count is behind the rows: not to be trusted */
	m->first_unread = reverse ? m->total - 1 - (uint64_t)before : (uint64_t)before;
	return 1;
}

static const char sql_get[] = "SELECT " ROW_COLUMNS
			      " FROM msg AS m JOIN folder AS f ON f.id = m.folder WHERE m.id = ?";

int
index_get(struct index *ix, int64_t id, index_row_fn fn, void *ctx, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql_get, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	int r = 0;
	if (rc == SQLITE_ROW)
		r = emit(ix, st, false, fn, ctx, err) < 0 ? -1 : 1;
	else if (rc != SQLITE_DONE)
		r = index_db_err(ix->db, err, "index");
	sqlite3_reset(st);
	return r;
}
