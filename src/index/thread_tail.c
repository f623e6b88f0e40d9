/*
 * The last threads of a folder as a view threads it (SPEC §8: the first
 * screen of a threaded open comes from the index at once): the roots are
 * the messages whose parent is not in the folder, in date order, each
 * followed by its replies depth first, siblings by date (mutt's
 * sort=threads with sort_aux=date). The index keeps what that needs: the
 * parent link of every message and the (folder, date) index, walked from
 * the newest root back, so a page costs its own threads' rows; or from
 * the oldest on, to the first unread message, where a view's cursor
 * starts.
 */
#include <stdlib.h>

#include "util/util.h"

#include "index/private.h"

static const char sql_folder[] = "SELECT id FROM folder WHERE path = ?1";

/* Newest first; the (folder, date) index gives this order without a
 * sort, ties by id as the view breaks them (a row's number is its id). */
static const char sql_roots[] =
	"SELECT m.id FROM msg AS m WHERE m.folder = ?1 AND (m.parent IS NULL OR NOT EXISTS"
	" (SELECT 1 FROM msg AS p WHERE p.id = m.parent AND p.folder = ?1))"
	" ORDER BY m.date DESC, m.id DESC";

/* Oldest first (is_unread then asks for each message of their threads). */
static const char sql_roots_head[] =
	"SELECT m.id FROM msg AS m WHERE m.folder = ?1 AND (m.parent IS NULL OR NOT EXISTS"
	" (SELECT 1 FROM msg AS p WHERE p.id = m.parent AND p.folder = ?1))"
	" ORDER BY m.date, m.id";

/* "+folder": by the parent index (a message's few replies), never by
 * the folder's, which would walk the whole folder for each message. */
static const char sql_kids[] =
	"SELECT id FROM msg WHERE parent = ?1 AND +folder = ?2 ORDER BY date, id";

static const char sql_seen[] = "SELECT flags & 1 FROM msg WHERE id = ?1";

struct ids {
	int64_t *v;
	size_t n, alloc;
};

static void
ids_push(struct ids *s, int64_t id)
{
	s->v = xgrow(s->v, &s->alloc, s->n + 1, sizeof *s->v);
	s->v[s->n++] = id;
}

/* The replies to id in the folder, by date, pushed onto stack last
 * first so that the first pops first. */
static int
push_kids(struct index *ix, int64_t folder, int64_t id, struct ids *stack, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql_kids, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, folder);
	size_t from = stack->n;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		ids_push(stack, sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return index_db_err(ix->db, err, "index: thread");
	for (size_t a = from, b = stack->n; a + 1 < b; a++, b--) {
		int64_t t = stack->v[a];
		stack->v[a] = stack->v[b - 1];
		stack->v[b - 1] = t;
	}
	return 0;
}

/* Appends the thread of root to out, depth first. */
static int
walk_thread(struct index *ix, int64_t folder, int64_t root, struct ids *out, size_t max,
	struct qu_err *err)
{
	struct ids stack = {0};
	ids_push(&stack, root);
	int r = 0;
	while (stack.n && r == 0) {
		int64_t id = stack.v[--stack.n];
		ids_push(out, id);
		if (out->n > max)
			r = 1; /* a thread too long for a page */
		else
			r = push_kids(ix, folder, id, &stack, err);
	}
	free(stack.v);
	return r;
}

static int
folder_id(struct index *ix, const char *path, int64_t *id, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql_folder, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int r = 0;
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		r = 1;
	} else if (rc != SQLITE_DONE) {
		r = index_db_err(ix->db, err, "index: folder");
	}
	sqlite3_reset(st);
	return r;
}

/* The newest whole threads holding at least rows messages, newest thread
 * first, each in thread order, into out, where each starts in starts.
 * Returns 0, 1 when they would pass max, -1 with IOERR. */
static int
tail_ids(struct index *ix, int64_t folder, size_t rows, size_t max, struct ids *out,
	struct ids *starts, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql_roots, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	struct ids roots = {0};
	int rc = SQLITE_DONE, r = 0;
	/* The roots a few at a time (read through before the walk, which
	 * steps statements of its own), until their threads fill the page. */
	while (r == 0 && out->n < rows) {
		size_t want = rows - out->n;
		roots.n = 0;
		while (roots.n < want && (rc = sqlite3_step(st)) == SQLITE_ROW)
			ids_push(&roots, sqlite3_column_int64(st, 0));
		if (roots.n < want && rc != SQLITE_DONE) {
			r = index_db_err(ix->db, err, "index: thread roots");
			break;
		}
		for (size_t i = 0; i < roots.n && r == 0; i++) {
			ids_push(starts, (int64_t)out->n);
			r = walk_thread(ix, folder, roots.v[i], out, max, err);
		}
		if (roots.n < want)
			break; /* no more roots */
	}
	sqlite3_reset(st);
	free(roots.v);
	return r;
}

/* Whether message id is unread: 1, 0, or -1 with IOERR. */
static int
is_unread(struct index *ix, int64_t id, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql_seen, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	int r = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) == 0 : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = index_db_err(ix->db, err, "index: thread");
	sqlite3_reset(st);
	return r;
}

/* Roots read at a time on the way to the first unread message. */
#define HEAD_ROOTS 4

/* Whole threads from the oldest root on into out (each start in starts)
 * until they hold the first unread message, at *place, and a screen of
 * rows ending on it (or the first rows rows). Returns 1 when found, 0
 * when not within max rows (or none is unread), -1 with IOERR. */
static int
head_ids(struct index *ix, int64_t folder, size_t rows, size_t max, struct ids *out,
	struct ids *starts, size_t *place, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql_roots_head, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, folder);
	struct ids roots = {0};
	int rc = SQLITE_DONE, r = 0;
	size_t checked = 0;
	bool found = false;
	while (r == 0 && out->n <= max && (!found || out->n < (*place + 1 > rows ? *place + 1 : rows))) {
		roots.n = 0;
		while (roots.n < HEAD_ROOTS && (rc = sqlite3_step(st)) == SQLITE_ROW)
			ids_push(&roots, sqlite3_column_int64(st, 0));
		if (roots.n < HEAD_ROOTS && rc != SQLITE_DONE) {
			r = index_db_err(ix->db, err, "index: thread roots");
			break;
		}
		for (size_t i = 0; i < roots.n && r == 0; i++) {
			ids_push(starts, (int64_t)out->n);
			r = walk_thread(ix, folder, roots.v[i], out, SIZE_MAX, err);
		}
		for (; !found && r == 0 && checked < out->n; checked++) {
			int u = is_unread(ix, out->v[checked], err);
			if (u < 0)
				r = -1;
			else if (u) {
				found = true;
				*place = checked;
			}
		}
		if (roots.n < HEAD_ROOTS)
			break; /* no more roots */
	}
	sqlite3_reset(st);
	free(roots.v);
	return r < 0 ? -1 : found && out->n <= max + rows;
}

long
index_thread_head(struct index *ix, const char *folder, size_t rows, size_t max,
	index_row_fn fn, void *ctx, uint64_t *base, uint64_t *first_unread, struct qu_err *err)
{
	int64_t fid = 0;
	int k = folder_id(ix, folder, &fid, err);
	if (k <= 0)
		return k;
	struct ids out = {0}, starts = {0};
	size_t place = 0;
	int f = head_ids(ix, fid, rows, max, &out, &starts, &place, err);
	long given = 0;
	if (f == 1) {
		/* From the start of the thread holding the screen's first row
		 * (the screen ends on the first unread), whole threads. */
		size_t top = place >= rows ? place - rows + 1 : 0, from = 0, to = out.n;
		size_t last = top + rows - 1 > place ? top + rows - 1 : place;
		for (size_t t = 0; t < starts.n; t++) {
			size_t at = (size_t)starts.v[t];
			if (at <= top)
				from = at;
			if (at > last) {
				to = at; /* up to the end of the screen's last thread */
				break;
			}
		}
		*base = from;
		*first_unread = place;
		for (size_t i = from; i < to && f == 1; i++) {
			int g = index_get(ix, out.v[i], fn, ctx, err);
			if (g < 0)
				f = -1;
			given += g;
		}
	}
	free(out.v);
	free(starts.v);
	return f < 0 ? -1 : f == 1 ? given : 0;
}

long
index_thread_tail(struct index *ix, const char *folder, size_t rows, size_t max,
	index_row_fn fn, void *ctx, struct qu_err *err)
{
	int64_t fid = 0;
	int k = folder_id(ix, folder, &fid, err);
	if (k <= 0)
		return k;
	struct ids out = {0}, starts = {0};
	long r = tail_ids(ix, fid, rows, max, &out, &starts, err);
	long given = 0;
	/* The walk gave the newest thread first; the page is oldest first. */
	for (size_t t = starts.n; r == 0 && t-- > 0;) {
		size_t end = t + 1 < starts.n ? (size_t)starts.v[t + 1] : out.n;
		for (size_t i = (size_t)starts.v[t]; i < end && r == 0; i++) {
			int g = index_get(ix, out.v[i], fn, ctx, err);
			if (g < 0)
				r = -1;
			given += g;
		}
	}
	free(out.v);
	free(starts.v);
	return r < 0 ? -1 : r > 0 ? 0 : given;
}
