/*
 * The index screen: a help line, one row per message in mutt's default
 * index_format ("%4C %Z %{%b %d} %-15.15L (%?l?%4l&%4c?) %s"), a status
 * line, and the message line. Only the visible rows are asked of the
 * view and drawn. The cursor is kept on a message (its id), not on a row
 * number, so sorting or limiting leaves it on the same mail.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "util/util.h"
#include "app/app.h"
#include "ui/private.h"
#include "ui/uitext.h"

static const char *ops_verb(enum app_ops_kind k, bool past);

/* Rows of messages: all but the help line, the status line and the
 * message line. */
size_t
ui_index_rows(const struct ui *u)
{
	int lines = ui_term_lines();
	return lines > 3 ? (size_t)(lines - 3) : 1;
}

void
ui_index_goto(struct ui *u, size_t row)
{
	size_t n = app_view_count(u->view);
	if (n == 0) {
		u->cursor = u->top = 0;
		u->cursor_id = SIZE_MAX;
		return;
	}
	if (row >= n)
		row = n - 1;
	u->cursor = row;
	struct app_row r;
	if (app_view_row(u->view, row, &r))
		u->cursor_id = r.id;
	size_t rows = ui_index_rows(u);
	if (u->cursor < u->top)
		u->top = u->cursor;
	else if (u->cursor >= u->top + rows)
		u->top = u->cursor - rows + 1;
	u->dirty = true;
}

/* After the rows changed: the cursor row from its message, or the
 * nearest row when the message is no longer shown. */
void
ui_index_fix_cursor(struct ui *u)
{
	size_t n = app_view_count(u->view);
	size_t row = u->cursor_id == SIZE_MAX ? SIZE_MAX : app_view_find(u->view, u->cursor_id);
	if (row == SIZE_MAX)
		row = u->cursor < n ? u->cursor : n ? n - 1 : 0;
	ui_index_goto(u, row);
	size_t rows = ui_index_rows(u);
	if (u->top + rows > n && n >= rows)
		u->top = n - rows;
}

/* The thread tree of a row in box drawing (or ASCII) characters, from
 * the view's tree column (see struct app_row). */
static void
tree_text(struct qu_buf *b, const struct app_row *r)
{
	bool u8 = ui_term_utf8();
	size_t d = strlen(r->tree);
	for (size_t i = 0; i < d; i++) {
		char c = r->tree[i];
		if (i + 1 < d)
			qu_buf_append_str(b, c == '|' ? (u8 ? "\xe2\x94\x82 " : "| ") : "  ");
		else if (c == '+')
			qu_buf_append_str(b, u8 ? "\xe2\x94\x9c\xe2\x94\x80>" : "|->");
		else
			qu_buf_append_str(b, u8 ? "\xe2\x94\x94\xe2\x94\x80>" : "`->");
	}
	if (r->hidden)
		qu_buf_printf(b, "(%zu) ", r->hidden + 1);
}

/* One index row in index_format (mutt's by default), through the text
 * layer's formatter: it sanitises every field and counts cells. */
static void
row_text(const struct ui *u, size_t rowno, const struct app_row *r, struct qu_buf *b, size_t width)
{
	struct qu_buf tree;
	qu_buf_init(&tree, 4096);
	tree_text(&tree, r);
	struct ui_row row = {
		/* mutt's %C: the place in the index as sorted (a first page
		 * from the middle of the folder counts from its place) */
		.num = app_view_row_base(u->view) + rowno + 1,
		.from_name = r->from_name,
		.from_addr = r->from_addr,
		.to_addr = r->to_addr,
		.subject = r->subject_repeats && !r->hidden ? "" : r->subject,
		.tree = tree.data ? tree.data : "",
		.date = (time_t)(r->has_date ? r->date : 0),
		.date_tz = r->offset,
		.size = r->size,
		.hidden = r->hidden,
		.read = (r->flags & APP_MSG_SEEN) != 0,
		.old = !(r->flags & APP_MSG_NEW),
		.replied = (r->flags & APP_MSG_REPLIED) != 0,
		.flagged = (r->flags & APP_MSG_FLAGGED) != 0,
		.deleted = (r->flags & APP_MSG_DELETED) != 0,
		.tagged = (r->flags & APP_MSG_TAGGED) != 0,
	};
	struct ui_format_opts o = {.date_format = u->date_format};
	ui_format_index(b, u->index_format ? u->index_format : UI_INDEX_FORMAT_DEFAULT, &row, &o,
		width);
	qu_buf_clear(&tree);
}

void
ui_index_status(struct ui *u, char *buf, size_t n)
{
	size_t unread, flagged, deleted, tagged;
	app_view_counts(u->view, &unread, &flagged, &deleted, &tagged);
	bool rev;
	enum app_sort s = app_view_sort_get(u->view, &rev);
	size_t shown = app_view_count(u->view), total = app_view_total(u->view);
	char extra[128] = "";
	if (ui_reading_shown(u))
		snprintf(extra, sizeof extra, " [reading %zu...]", u->scanned);
	else if (u->fts_req || u->match_req) /* limit and search off this thread */
		snprintf(extra, sizeof extra, " [searching...]");
	else if (u->ops_req) /* move, copy, expunge */
		snprintf(extra, sizeof extra, " [%s %llu/%llu...]", ops_verb(u->ops_kind, false),
			(unsigned long long)u->ops_done, (unsigned long long)u->ops_total);
	else if (u->indexing)
		snprintf(extra, sizeof extra, " [indexing %s%llu/%llu...]",
			u->index_text ? "text " : "", (unsigned long long)u->index_done,
			(unsigned long long)u->index_total);
	char *safe = ui_text_sanitize(u->folder, strlen(u->folder), UI_TEXT_FIELD);
	const char *lim = app_view_limit_get(u->view);
	/* mutt's status_format: counts only when not zero. */
	char counts[160];
	int w = snprintf(counts, sizeof counts, "Msgs:%zu", total);
	const struct {
		const char *label;
		size_t n;
	} c[] = {{"Shown", lim ? shown : 0}, {"New", unread}, {"Del", deleted}, {"Flag", flagged},
		{"Tag", tagged}};
	for (size_t i = 0; i < QU_ARRAY_LEN(c) && w > 0 && (size_t)w < sizeof counts; i++)
		if (c[i].n || (i == 0 && lim))
			w += snprintf(counts + w, sizeof counts - (size_t)w, " %s:%zu", c[i].label,
				c[i].n);
	snprintf(buf, n, "---Quail: %s [%s]---(%s%s)%s%s%s", safe, counts, rev ? "reverse-" : "",
		app_sort_name(s), lim ? "---Limit: " : "", lim ? lim : "", extra);
	free(safe);
}

void
ui_index_draw(struct ui *u)
{
	int cols = ui_term_cols(); /* beside the sidebar when it shows */
	ui_put(0, 0, "q:Quit  d:Del  u:Undel  s:Save  m:Mail  r:Reply  g:Group  ?:Help", (size_t)cols,
		ui_attr(UI_C_STATUS));
	size_t rows = ui_index_rows(u), n = app_view_count(u->view);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < rows; i++) {
		size_t row = u->top + i;
		struct app_row r;
		if (row >= n || !app_view_row(u->view, row, &r)) {
			ui_put((int)i + 1, 0, "", (size_t)cols, (int)A_NORMAL);
			continue;
		}
		qu_buf_reset(&b);
		row_text(u, row, &r, &b, (size_t)cols);
		int attr = row == u->cursor ? ui_attr(UI_C_INDICATOR) : (int)A_NORMAL;
		ui_put((int)i + 1, 0, b.data, (size_t)cols, attr);
	}
	qu_buf_clear(&b);
	char status[1024];
	ui_index_status(u, status, sizeof status);
	char *safe = ui_text_sanitize(status, strlen(status), UI_TEXT_FIELD);
	ui_put(LINES - 2, 0, safe, (size_t)cols, ui_attr(UI_C_STATUS));
	free(safe);
}

void
ui_index_sort(struct ui *u, const char *name)
{
	enum app_sort s;
	bool rev;
	if (app_sort_parse(name, &s, &rev) < 0) {
		ui_message(u, true, "%s: unknown sort", name);
		return;
	}
	app_view_sort(u->view, s, rev);
	/* No rows yet (a first page in the order left was dropped, or none
	 * had come): the new order's first page, while the folder is still
	 * read (mutt's sort keys typed ahead). */
	if (u->scanning && app_view_count(u->view) == 0) {
		ui_first_page(u, s, rev);
		/* With no row to be on, the keys of the sort did not move the
		 * cursor: it starts on the first unread message still. */
		u->moved = false;
	}
	ui_index_fix_cursor(u);
	u->dirty = true;
}

/* ---- limit and search through the index --------------------------------- */

static void
fts_run(struct ui_job *j)
{
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_FTS;
	m->req = j->req;
	m->payload = app_view_fts(j->path, j->cmd, (uint64_t)j->id, j->cancel, &m->err);
	m->rc = m->payload ? 0 : -1;
	ui_pool_post(j->pool, m);
}

/* A newer query replaces one under way (its answer is not awaited). */
static void
fts_start(struct ui *u, const char *pattern, int mode, bool fallback)
{
	if (u->fts_req)
		ui_pool_cancel(u->pool, u->fts_req);
	ui_limit_cancel(u); /* and one matched on a worker */
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = fts_run;
	j->path = xstrdup(app_view_path(u->view));
	j->cmd = xstrdup(pattern);
	/* An index still behind the folder (being updated) would miss some. */
	j->id = app_view_total(u->view);
	free(u->fts_pattern);
	u->fts_pattern = xstrdup(pattern);
	u->fts_mode = mode;
	u->fts_fallback = fallback;
	u->fts_req = ui_pool_submit(u->pool, j);
	u->dirty = true;
}

/* ---- limit and search over a big folder on a worker --------------------- */

/* Above this many messages the pattern is matched on a worker: at some
 * thousands the match costs the UI thread tens of ms under load, at
 * 100,000 far more (SPEC §8: keys are answered at once). */
#define UI_LIMIT_WORKER_ROWS 5000

static void
limit_run(struct ui_job *j)
{
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_LIMIT;
	m->req = j->req;
	ui_trace_step("worker: limit starts");
	m->rc = app_limit_run(j->limit, j->cancel, &m->err);
	ui_trace_step("worker: limit done rc=%d", m->rc);
	m->payload = j->limit;
	j->limit = NULL;
	ui_pool_post(j->pool, m);
}

bool
ui_limit_cancel(struct ui *u)
{
	if (!u->match_req)
		return false;
	ui_pool_cancel(u->pool, u->match_req);
	u->match_req = 0;
	u->dirty = true;
	return true;
}

/* The match on a worker when the folder is big (and read through: a
 * first page is the index's, not the view's); false when the caller
 * matches on this thread. A bad pattern is said at once. */
static bool
limit_start(struct ui *u, const char *pattern, int mode)
{
	if (!u->pool || u->scanning || app_view_total(u->view) <= UI_LIMIT_WORKER_ROWS)
		return false;
	struct qu_err err = {0};
	ui_trace_step("ui: limit asked");
	struct app_limit *l = app_limit_new(u->view, pattern, &err);
	if (!l) {
		ui_message(u, true, "%s", err.msg);
		return true;
	}
	ui_limit_cancel(u); /* a newer pattern replaces one under way */
	if (u->fts_req) { /* and one asked of the index */
		ui_pool_cancel(u->pool, u->fts_req);
		u->fts_req = 0;
	}
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = limit_run;
	j->limit = l;
	u->match_mode = mode;
	u->match_req = ui_pool_submit(u->pool, j);
	ui_trace_step("ui: limit submitted");
	u->dirty = true;
	return true;
}

void
ui_limit_result(struct ui *u, struct ui_msg *m)
{
	if (!m->req || m->req != u->match_req)
		return;
	u->match_req = 0;
	u->dirty = true;
	if (m->rc < 0) {
		if (m->err.cls != QU_E_CANCELED)
			ui_message(u, true, "%s", m->err.msg);
		return;
	}
	if (u->match_mode == UI_FTS_LIMIT) {
		app_view_limit_apply(u->view, m->payload);
		m->payload = NULL;
		ui_trace_step("ui: limit applied, %zu rows", app_view_count(u->view));
		ui_index_fix_cursor(u);
		if (app_view_count(u->view) == 0)
			ui_message(u, true, "No messages matched criteria.");
		return;
	}
	size_t row = app_view_search_limit(u->view, m->payload, u->cursor,
		u->match_mode == UI_FTS_FORWARD);
	if (row == SIZE_MAX)
		ui_message(u, true, "Not found.");
	else
		ui_index_goto(u, row);
}

/* A pattern the view answers from its rows (header fields and flags). */
static void
limit_memory(struct ui *u, const char *pattern)
{
	struct qu_err err = {0};
	if (limit_start(u, pattern, UI_FTS_LIMIT))
		return;
	if (app_view_limit(u->view, pattern, &err) < 0) {
		ui_message(u, true, "%s", err.msg);
		return;
	}
	ui_index_fix_cursor(u);
	if (app_view_count(u->view) == 0)
		ui_message(u, true, "No messages matched criteria.");
	u->dirty = true;
}

static void
search_memory(struct ui *u, const char *pattern, bool back)
{
	struct qu_err err = {0};
	if (limit_start(u, pattern, back ? UI_FTS_BACK : UI_FTS_FORWARD))
		return;
	size_t row = app_view_search(u->view, pattern, u->cursor, !back, &err);
	if (row == SIZE_MAX)
		ui_message(u, true, "%s", err.msg[0] ? err.msg : "Not found.");
	else
		ui_index_goto(u, row);
}

/* Free words are asked of the index when it holds the folder, else
 * matched against the header fields as before. */
static void
fts_failed(struct ui *u, struct ui_msg *m)
{
	if (m->err.cls == QU_E_CANCELED)
		return;
	if (u->fts_fallback && m->err.cls == QU_E_NOINPUT) {
		if (u->fts_mode == UI_FTS_LIMIT)
			limit_memory(u, u->fts_pattern);
		else
			search_memory(u, u->fts_pattern, u->fts_mode == UI_FTS_BACK);
		return;
	}
	ui_message(u, true, "%s", m->err.msg);
}

void
ui_fts_result(struct ui *u, struct ui_msg *m)
{
	if (!m->req || m->req != u->fts_req)
		return;
	u->fts_req = 0;
	u->dirty = true;
	if (m->rc < 0) {
		fts_failed(u, m);
		return;
	}
	if (u->fts_mode == UI_FTS_LIMIT) {
		app_view_limit_match(u->view, u->fts_pattern, m->payload);
		m->payload = NULL;
		ui_index_fix_cursor(u);
		if (app_view_count(u->view) == 0)
			ui_message(u, true, "No messages matched criteria.");
		return;
	}
	size_t row = app_view_search_match(u->view, m->payload, u->cursor,
		u->fts_mode == UI_FTS_FORWARD);
	if (row == SIZE_MAX)
		ui_message(u, true, "Not found.");
	else
		ui_index_goto(u, row);
}

void
ui_index_search(struct ui *u, const char *pattern, bool back)
{
	int mode = back ? UI_FTS_BACK : UI_FTS_FORWARD;
	if (app_pattern_needs_index(pattern))
		fts_start(u, pattern, mode, false);
	else if (app_pattern_full_text(pattern))
		fts_start(u, pattern, mode, true);
	else
		search_memory(u, pattern, back);
}

void
ui_index_limit(struct ui *u, const char *pattern)
{
	if (pattern && app_pattern_needs_index(pattern))
		fts_start(u, pattern, UI_FTS_LIMIT, false);
	else if (pattern && app_pattern_full_text(pattern))
		fts_start(u, pattern, UI_FTS_LIMIT, true);
	else
		limit_memory(u, pattern);
}

/* ---- move, copy, expunge on a worker ------------------------------------ */

/* Progress at most every 50 ms (and at the end): enough for the status
 * line without a wake-up per message. j->id holds when it was last sent. */
static void
ops_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct ui_job *j = ctx;
	int64_t now = qu_now_ms();
	if (done < total && now - (int64_t)j->id < 50)
		return;
	j->id = (size_t)now;
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_OPS;
	m->req = j->req;
	m->id = (size_t)done;
	m->total = total;
	ui_pool_post(j->pool, m);
}

static void
ops_run(struct ui_job *j)
{
	struct app_ops *o = j->arg;
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_OPS;
	m->req = j->req;
	m->rc = app_ops_run(o, j->cancel, ops_progress, j, &m->err);
	m->id = app_ops_done(o);
	m->total = app_ops_total(o);
	m->payload = o; /* the UI's from here on */
	j->arg = NULL;
	ui_pool_post(j->pool, m);
}

static const char *
ops_verb(enum app_ops_kind k, bool past)
{
	switch (k) {
	case APP_OPS_COPY:
		return past ? "Copied" : "copying";
	case APP_OPS_MOVE:
		return past ? "Moved" : "moving";
	case APP_OPS_FLAGS:
		return past ? "Changed the flags of" : "changing flags";
	case APP_OPS_EXPUNGE:
		break;
	}
	return past ? "Deleted" : "deleting";
}

/* True, with "Still ..." on the message line, while a job runs. */
static bool
ops_busy(struct ui *u)
{
	if (!u->ops_req)
		return false;
	ui_message(u, true, "Still %s (^G cancels).", ops_verb(u->ops_kind, false));
	return true;
}

/* Hands plan o (owned) to a worker; shown names the destination. */
static bool
ops_submit(struct ui *u, struct app_ops *o, const char *shown)
{
	enum app_ops_kind kind = app_ops_kind(o);
	if (app_ops_total(o) == 0) {
		if (kind == APP_OPS_EXPUNGE)
			ui_message(u, false, "0 deleted.");
		app_ops_free(o);
		return false;
	}
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = ops_run;
	j->arg = o;
	u->ops_kind = kind;
	u->ops_done = 0;
	u->ops_total = app_ops_total(o);
	free(u->ops_dest);
	u->ops_dest = shown ? xstrdup(shown) : NULL;
	u->ops_req = ui_pool_submit(u->pool, j);
	u->dirty = true;
	return true;
}

bool
ui_ops_start(struct ui *u, enum app_ops_kind kind, const size_t *ids, size_t n, const char *dest,
	const char *shown)
{
	if (ops_busy(u))
		return false;
	struct qu_err err = {0};
	struct app_ops *o = app_ops_new(u->view, kind, ids, n, dest, &err);
	if (!o) {
		ui_message(u, true, "%s", err.msg);
		return false;
	}
	return ops_submit(u, o, shown);
}

void
ui_ops_flags(struct ui *u, const size_t *ids, size_t n, unsigned set, unsigned clear, bool toggle)
{
	if (!ops_busy(u))
		ops_submit(u, app_ops_flags(u->view, ids, n, set, clear, toggle), NULL);
}

/* The end of a job: what it did goes into the view (a canceled or failed
 * job keeps what was done), and the status line says how far it got. */
static void
ops_end(struct ui *u, struct ui_msg *m)
{
	u->ops_req = 0;
	if (m->payload && u->view)
		app_ops_apply(u->view, m->payload);
	ui_index_fix_cursor(u);
	const char *verb = ops_verb(u->ops_kind, true);
	const char *s = m->id == 1 ? "" : "s";
	if (m->rc < 0 && m->err.cls != QU_E_CANCELED)
		ui_message(u, true, "%s", m->err.msg);
	else if (u->ops_kind == APP_OPS_FLAGS)
		ui_message(u, false, "%s %zu message%s%s.", verb, m->id, s,
			m->rc < 0 ? " (canceled)" : "");
	else if (u->ops_kind == APP_OPS_EXPUNGE)
		ui_message(u, false, "%zu deleted%s.", m->id, m->rc < 0 ? " (canceled)" : "");
	else if (m->rc < 0)
		ui_message(u, false, "%s %zu of %llu message%s to %s (canceled).", verb, m->id,
			(unsigned long long)m->total, m->total == 1 ? "" : "s", u->ops_dest);
	else
		ui_message(u, false, "%s %zu message%s to %s.", verb, m->id, s, u->ops_dest);
}

void
ui_ops_result(struct ui *u, struct ui_msg *m)
{
	if (!m->req || m->req != u->ops_req)
		return;
	u->ops_done = m->id;
	u->ops_total = m->total;
	u->dirty = true;
	if (m->payload)
		ops_end(u, m);
}
