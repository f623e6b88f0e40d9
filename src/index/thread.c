/* Threads after JWZ (https://www.jwz.org/doc/threading.html), kept
 * incrementally: each message joins the thread of every Message-ID it
 * names in References and In-Reply-To (RFC 5322 §3.6.4) and of every
 * message naming it, merging threads when it links several. Its parent is
 * the nearest ancestor present in the index, so a missing middle message
 * does not break the tree, and a late parent adopts the messages that were
 * waiting for it. Cycles (A names B, B names A) are refused link by link:
 * a parent that has the message among its own ancestors is skipped. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

#include "index/private.h"

/* Longest parent chain followed; deeper trees are treated as cycles. */
#define CHAIN_MAX 1000

static const char sql_dirty[] = "INSERT OR IGNORE INTO temp.dirty_thread (id) VALUES (?)";
static const char sql_threads_of_mid[] =
	"SELECT thread FROM msg WHERE message_id = ?1"
	" UNION SELECT m.thread FROM ref AS r JOIN msg AS m ON m.id = r.msg WHERE r.message_id = ?1";
static const char sql_new_thread[] = "INSERT INTO thread (count, base) VALUES (0, ?)";
static const char sql_thread_by_base[] =
	"SELECT id FROM thread WHERE base = ? ORDER BY id LIMIT 1";
static const char sql_move_thread[] = "UPDATE msg SET thread = ?1 WHERE thread = ?2";
static const char sql_drop_thread[] = "DELETE FROM thread WHERE id = ?";
static const char sql_add_ref[] = "INSERT OR IGNORE INTO ref (message_id, msg) VALUES (?, ?)";
static const char sql_by_mid[] =
	"SELECT id FROM msg WHERE message_id = ?1 AND id != ?2 ORDER BY id LIMIT 1";
static const char sql_parent_of[] = "SELECT parent FROM msg WHERE id = ?";
static const char sql_set_parent[] = "UPDATE msg SET parent = ? WHERE id = ?";
static const char sql_waiting[] = "SELECT msg FROM ref WHERE message_id = ?";
static const char sql_links[] = "SELECT message_id, refs, in_reply_to FROM msg WHERE id = ?";
static const char sql_thread_of[] = "SELECT thread FROM msg WHERE id = ?";
static const char sql_del_msg[] = "DELETE FROM msg WHERE id = ?";
static const char sql_del_refs[] = "DELETE FROM ref WHERE msg = ?";
static const char sql_children[] = "SELECT id FROM msg WHERE parent = ?";

/* The ids a message names, nearest ancestor last: References in order,
 * then In-Reply-To when References does not end with it. Its own id is
 * left out. Owned array of owned strings in *out. */
static size_t
ancestors(const char *refs, const char *irt, const char *self, char ***out)
{
	char **v = NULL;
	size_t n = 0, alloc = 0;
	if (refs) {
		const char *p = refs;
		while (*p) {
			const char *sp = strchr(p, ' ');
			size_t len = sp ? (size_t)(sp - p) : strlen(p);
			if (len && !(self && strlen(self) == len && memcmp(self, p, len) == 0)) {
				v = xgrow(v, &alloc, n + 1, sizeof *v);
				v[n++] = xstrndup(p, len);
			}
			p += len + (sp != NULL);
		}
	}
	if (irt && *irt && !(self && strcmp(self, irt) == 0) && !(n && strcmp(v[n - 1], irt) == 0)) {
		v = xgrow(v, &alloc, n + 1, sizeof *v);
		v[n++] = xstrdup(irt);
	}
	*out = v;
	return n;
}

static void
free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
mark_dirty(struct index *ix, int64_t tid, struct qu_err *err)
{
	return index_exec_id(ix, sql_dirty, tid, err);
}

/* Runs a one-column integer query with one text or integer argument and
 * calls fn for each row. */
static int
each_int(struct index *ix, const char *sql, const char *s, int64_t i,
	int (*fn)(struct index *ix, int64_t v, void *ctx, struct qu_err *err), void *ctx,
	struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql, err);
	if (!st)
		return -1;
	if (s)
		sqlite3_bind_text(st, 1, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, i);
	/* Collect first: fn may run statements that change these rows. */
	int64_t *v = NULL;
	size_t n = 0, alloc = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue;
		v = xgrow(v, &alloc, n + 1, sizeof *v);
		v[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return index_db_err(ix->db, err, "index");
	}
	int r = 0;
	for (size_t k = 0; k < n && r == 0; k++)
		r = fn(ix, v[k], ctx, err);
	free(v);
	return r;
}

static int64_t
one_int(struct index *ix, const char *sql, int64_t a, int64_t dflt, struct qu_err *err, int *fail)
{
	sqlite3_stmt *st = index_stmt(ix, sql, err);
	if (!st) {
		*fail = 1;
		return dflt;
	}
	sqlite3_bind_int64(st, 1, a);
	int rc = sqlite3_step(st);
	int64_t v = dflt;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		index_db_err(ix->db, err, "index");
		*fail = 1;
	}
	sqlite3_reset(st);
	return v;
}

/* True when id is cand or an ancestor of cand (so making cand the parent
 * of id would close a cycle). */
static bool
would_cycle(struct index *ix, int64_t id, int64_t cand, struct qu_err *err, int *fail)
{
	for (int i = 0; i < CHAIN_MAX && cand > 0; i++) {
		if (cand == id)
			return true;
		cand = one_int(ix, sql_parent_of, cand, 0, err, fail);
		if (*fail)
			return true;
	}
	return cand > 0;
}

/* Sets the parent of id to its nearest ancestor present (NULL for none). */
static int
choose_parent(struct index *ix, int64_t id, void *unused, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql_links, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0; /* gone already */
	}
	char *self = sqlite3_column_type(st, 0) == SQLITE_NULL
			     ? NULL : xstrdup((const char *)sqlite3_column_text(st, 0));
	char **anc;
	size_t n = ancestors((const char *)sqlite3_column_text(st, 1),
		(const char *)sqlite3_column_text(st, 2), self, &anc);
	sqlite3_reset(st);
	int64_t parent = 0;
	int fail = 0;
	for (size_t k = n; k-- > 0 && !parent && !fail;) {
		st = index_stmt(ix, sql_by_mid, err);
		if (!st) {
			fail = 1;
			break;
		}
		sqlite3_bind_text(st, 1, anc[k], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		int64_t cand = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (cand && !would_cycle(ix, id, cand, err, &fail))
			parent = cand;
	}
	free_strv(anc, n);
	free(self);
	if (fail)
		return -1;
	st = index_stmt(ix, sql_set_parent, err);
	if (!st)
		return -1;
	if (parent)
		sqlite3_bind_int64(st, 1, parent);
	sqlite3_bind_int64(st, 2, id);
	return index_step_done(ix, st, err);
}

struct merge {
	int64_t tid; /* the smallest thread found so far; 0 none */
};

/* Folds thread t into the one kept (the smallest id). */
static int
merge_thread(struct index *ix, int64_t t, void *ctx, struct qu_err *err)
{
	struct merge *m = ctx;
	if (t == m->tid)
		return 0;
	if (m->tid == 0) {
		m->tid = t;
		return 0;
	}
	int64_t keep = t < m->tid ? t : m->tid, drop = t < m->tid ? m->tid : t;
	sqlite3_stmt *st = index_stmt(ix, sql_move_thread, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, keep);
	sqlite3_bind_int64(st, 2, drop);
	if (index_step_done(ix, st, err) < 0 || index_exec_id(ix, sql_drop_thread, drop, err) < 0)
		return -1;
	m->tid = keep;
	return mark_dirty(ix, keep, err);
}

/* Reply and forward prefixes of the mailers seen in practice (English,
 * German, Nordic, Chinese, Japanese), with ASCII and full-width colons. */
static const char *const prefixes[] = {
	"re:", "fwd:", "fw:", "aw:", "wg:", "sv:", "vs:", "antw:", "réf:", "tr:",
	"回复:", "回复：", "回覆:", "回覆：", "答复:", "答复：", "转发:", "转发：", "轉寄:",
	"轉寄：", "返信:", "返信：", "転送:", "転送：",
};

char *
index_base_subject(const char *subject)
{
	if (!subject)
		return NULL;
	const char *p = subject;
	for (bool again = true; again;) {
		again = false;
		while (*p == ' ' || *p == '\t')
			p++;
		for (size_t i = 0; i < QU_ARRAY_LEN(prefixes); i++) {
			size_t l = strlen(prefixes[i]);
			if (strncasecmp(p, prefixes[i], l) == 0) {
				p += l;
				again = true;
				break;
			}
		}
		/* "Re[2]:" and "Re^2:" */
		if (!again && strncasecmp(p, "re", 2) == 0 && (p[2] == '[' || p[2] == '^')) {
			const char *q = p + 3;
			while (*q >= '0' && *q <= '9')
				q++;
			q += *q == ']';
			if (*q == ':') {
				p = q + 1;
				again = true;
			}
		}
	}
	size_t n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return NULL;
	char *s = xstrndup(p, n);
	qu_str_lower(s);
	return s;
}

/* The thread a message joins when it names no other: the one of its base
 * subject (by_subject), else a new one. */
static int
thread_for_root(struct index *ix, const struct index_doc *d, bool by_subject, int64_t *tid,
	struct qu_err *err)
{
	char *base = index_base_subject(d->subject);
	sqlite3_stmt *st;
	int r = 0;
	if (by_subject && base && (st = index_stmt(ix, sql_thread_by_base, err)) != NULL) {
		sqlite3_bind_text(st, 1, base, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			*tid = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	if (*tid == 0) {
		if (!(st = index_stmt(ix, sql_new_thread, err))) {
			free(base);
			return -1;
		}
		index_bind_str(st, 1, base);
		r = index_step_done(ix, st, err);
		*tid = sqlite3_last_insert_rowid(ix->db);
	}
	free(base);
	return r;
}

int
index_thread_place(struct index *ix, const struct index_doc *d, bool by_subject,
	struct index_place *pl, struct qu_err *err)
{
	char **anc;
	size_t n = ancestors(d->refs, d->in_reply_to, d->message_id, &anc);
	struct merge m = {0};
	int r = 0;
	if (d->message_id)
		r = each_int(ix, sql_threads_of_mid, d->message_id, 0, merge_thread, &m, err);
	for (size_t k = 0; k < n && r == 0; k++)
		r = each_int(ix, sql_threads_of_mid, anc[k], 0, merge_thread, &m, err);
	if (r == 0 && m.tid == 0)
		r = thread_for_root(ix, d, by_subject && n == 0, &m.tid, err);
	/* The nearest ancestor present. No row names the message as its
	 * parent yet, so none of them can close a cycle. */
	pl->parent = 0;
	for (size_t k = n; k-- > 0 && r == 0 && !pl->parent;) {
		sqlite3_stmt *st = index_stmt(ix, sql_by_mid, err);
		if (!st) {
			r = -1;
			break;
		}
		sqlite3_bind_text(st, 1, anc[k], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, 0);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			pl->parent = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			r = index_db_err(ix->db, err, "index");
	}
	free_strv(anc, n);
	pl->thread = m.tid;
	/* Flushed whatever comes: a thread made for a row that is not
	 * written after all goes again, being empty. */
	return r < 0 || (m.tid && mark_dirty(ix, m.tid, err) < 0) ? -1 : 0;
}

int
index_thread_link(struct index *ix, int64_t id, const struct index_doc *d, struct qu_err *err)
{
	char **anc;
	size_t n = ancestors(d->refs, d->in_reply_to, d->message_id, &anc);
	int r = 0;
	for (size_t k = 0; k < n && r == 0; k++) {
		sqlite3_stmt *st = index_stmt(ix, sql_add_ref, err);
		if (!st) {
			r = -1;
			break;
		}
		sqlite3_bind_text(st, 1, anc[k], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		r = index_step_done(ix, st, err);
	}
	free_strv(anc, n);
	if (r < 0)
		return -1;
	/* Messages that name this one may now have a nearer parent. */
	if (d->message_id &&
		each_int(ix, sql_waiting, d->message_id, 0, choose_parent, NULL, err) < 0)
		return -1;
	return 0;
}

int
index_msg_remove(struct index *ix, int64_t id, struct qu_err *err)
{
	int fail = 0;
	int64_t tid = one_int(ix, sql_thread_of, id, 0, err, &fail);
	if (fail)
		return -1;
	if (index_exec_id(ix, sql_del_msg, id, err) < 0 ||
		index_exec_id(ix, sql_del_refs, id, err) < 0)
		return -1;
	if (tid && mark_dirty(ix, tid, err) < 0)
		return -1;
	/* Its children look again for their nearest ancestor present. The
	 * thread stays one: the ids still link them (as JWZ's empty
	 * containers do). */
	return each_int(ix, sql_children, NULL, id, choose_parent, NULL, err);
}

static const char sql_flush[] =
	"UPDATE thread SET"
	" count = (SELECT count(*) FROM msg WHERE msg.thread = thread.id),"
	" last_date = (SELECT max(coalesce(date, mtime)) FROM msg WHERE msg.thread = thread.id),"
	" root = (SELECT id FROM msg WHERE msg.thread = thread.id"
	"   ORDER BY parent IS NOT NULL, coalesce(date, mtime), id LIMIT 1)"
	" WHERE id IN (SELECT id FROM temp.dirty_thread);"
	"UPDATE thread SET subject = (SELECT subject FROM msg WHERE msg.id = thread.root)"
	" WHERE id IN (SELECT id FROM temp.dirty_thread);"
	"DELETE FROM thread WHERE count = 0 AND id IN (SELECT id FROM temp.dirty_thread);"
	"DELETE FROM temp.dirty_thread;";

int
index_thread_flush(struct index *ix, struct qu_err *err)
{
	return index_db_exec(ix->db, sql_flush, err);
}
