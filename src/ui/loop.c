/*
 * The UI thread: one poll() on the tty, the workers' wake pipe and the
 * signal self-pipe (SPEC §8: the UI never waits on a long disk job).
 * Curses input is drained with nodelay before each poll, results from
 * the workers are matched to the request that asked, and the screen is
 * drawn only when something changed.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "ui/private.h"
#include "ui/uitext.h"

void
ui_message(struct ui *u, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->status, sizeof u->status, fmt, ap);
	va_end(ap);
	u->status_error = error;
	u->dirty = true;
}

void
ui_ask(struct ui *u, const char *label, void (*done)(struct ui *, const char *), bool one_key)
{
	struct ui_prompt *p = &u->prompt;
	p->active = true;
	snprintf(p->label, sizeof p->label, "%s", label);
	p->len = 0;
	p->buf[0] = '\0';
	p->done = done;
	p->one_key = one_key;
	p->folders = false;
	p->complete = NULL;
	/* compose*.c: a completion still running answers no one now */
	if (p->complete_req)
		ui_pool_cancel(u->pool, p->complete_req);
	p->complete_start = NULL;
	p->complete_req = 0;
	u->dirty = true;
}

/* Tab in a folder prompt: the longest common start of the completions. */
static void
complete(struct ui *u)
{
	struct ui_prompt *p = &u->prompt;
	size_t n;
	char **c = p->complete ? p->complete(u, p->buf, &n) : app_view_complete(p->buf, u->root, &n);
	ui_prompt_complete_with(u, c, n);
}

void
ui_prompt_complete_with(struct ui *u, char **c, size_t n)
{
	struct ui_prompt *p = &u->prompt;
	if (n == 0) {
		ui_message(u, true, "No completions.");
		free(c);
		return;
	}
	size_t common = strlen(c[0]);
	for (size_t i = 1; i < n; i++) {
		size_t k = 0;
		while (k < common && c[i][k] == c[0][k])
			k++;
		common = k;
	}
	if (common >= p->len && common < sizeof p->buf) {
		memcpy(p->buf, c[0], common);
		p->buf[common] = '\0';
		p->len = common;
	}
	for (size_t i = 0; i < n; i++)
		free(c[i]);
	free(c);
}

/* ---- timing trace ------------------------------------------------------ */

/* QUAIL_UI_TRACE=FILE appends one line per step of opening a folder
 * (microseconds of CLOCK_MONOTONIC, and since the process started) so
 * that where an open spends its time can be seen without a profiler.
 * Written from the UI thread and the worker: each line is one write(2)
 * on an O_APPEND descriptor, so lines do not interleave. */
static int trace_fd = -1;
static int64_t trace_t0;

static int64_t
trace_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The process's start on the CLOCK_MONOTONIC scale: /proc/self/stat's
 * starttime is in clock ticks since boot, the same origin as
 * CLOCK_BOOTTIME; 0 when unknown (times are then since trace_open). */
static int64_t
process_start_us(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the name may hold spaces */
	unsigned long long start = 0;
	for (int field = 2; p && *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (!p || sscanf(p, "%llu", &start) != 1)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec boot, mono;
	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	int64_t skew = ((int64_t)boot.tv_sec - mono.tv_sec) * 1000000 +
		(boot.tv_nsec - mono.tv_nsec) / 1000;
	return hz > 0 ? (int64_t)(start * 1000000ull / (unsigned long long)hz) - skew : 0;
}

static void
trace_open(void)
{
	const char *path = getenv("QUAIL_UI_TRACE");
	if (!path || !*path || trace_fd >= 0)
		return;
	trace_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	trace_t0 = process_start_us();
	if (trace_t0 == 0)
		trace_t0 = trace_now_us();
}

void
ui_trace_step(const char *fmt, ...)
{
	if (trace_fd < 0)
		return;
	char line[256];
	int64_t now = trace_now_us();
	int n = snprintf(line, sizeof line, "%lld %.3f ms ", (long long)now,
		(double)(now - trace_t0) / 1000.0);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof line)
		n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line - 1)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(trace_fd, line, (size_t)n) < 0)
		return; /* a trace that cannot be written is not an error */
}

/* ---- reading a folder on a worker ------------------------------------- */

static void
scan_batch(void *ctx, struct app_view_batch *b)
{
	struct ui_job *j = ctx;
	/* Counted (the job's id is free here): a folder read from the index
	 * comes in one batch, one read from its files in growing ones. */
	ui_trace_step("worker: batch %zu ready", ++j->id);
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_BATCH;
	m->req = j->req;
	m->payload = b;
	ui_pool_post(j->pool, m);
}

/* The index update's progress to the status line (SPEC §8: the user
 * sees what a long job is doing); total 0: it ended. */
static void
index_progress(void *ctx, uint64_t done, uint64_t total, bool text)
{
	struct ui_job *j = ctx;
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_INDEXING;
	m->req = j->req;
	m->id = (size_t)done;
	m->total = total;
	m->text = text;
	ui_pool_post(j->pool, m);
}

/* ---- the index after quitting ----------------------------------------- */

/* Whether the open's index update is over for the folder: a cancel (a
 * quit, leaving the folder, ^G) of the read or the update leaves it to
 * the detached run at the quit; anything else (done, a Maildir that
 * vanished, an index that cannot be written) another try would not
 * change. */
static void
indexed_post(struct ui_job *j, int rc, int irc, const struct qu_err *ierr)
{
	bool cut = !(rc == 0 && irc == 0) &&
		(qu_cancel_fired(j->cancel) || ierr->cls == QU_E_CANCELED);
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_INDEXED;
	m->req = j->req;
	m->rc = cut ? -1 : 0;
	m->payload = xstrdup(j->path);
	ui_pool_post(j->pool, m);
}

static void
unindexed_add(struct ui *u, const char *path)
{
	for (size_t i = 0; i < u->n_unindexed; i++)
		if (strcmp(u->unindexed[i], path) == 0)
			return;
	u->unindexed = xgrow(u->unindexed, &u->unindexed_alloc, u->n_unindexed + 1,
		sizeof *u->unindexed);
	u->unindexed[u->n_unindexed++] = xstrdup(path);
}

static void
unindexed_done(struct ui *u, struct ui_msg *m)
{
	if (m->rc < 0 || !m->payload)
		return; /* cut short: still the quit's to carry on */
	for (size_t i = 0; i < u->n_unindexed; i++)
		if (strcmp(u->unindexed[i], m->payload) == 0) {
			free(u->unindexed[i]);
			u->unindexed[i] = u->unindexed[--u->n_unindexed];
			return;
		}
}

/* At the quit, after the workers stopped and the terminal is given back:
 * the folders whose update was cut short are indexed by a detached
 * `quail index`, so that the next open reads them from the index rather
 * than from their files (SPEC §8). Nothing when every update ended (the
 * common case: the index was current). */
static void
index_after_quit(struct ui *u)
{
	if (u->no_index_after_quit || u->quit_signal || u->n_unindexed == 0)
		return;
	struct qu_err err = {0};
	ui_trace_step("ui: index after quit, %zu folders", u->n_unindexed);
	int run = app_index_detach((const char *const *)u->unindexed, u->n_unindexed, &err);
	if (run < 0)
		ui_trace_step("ui: index after quit failed: %s", err.msg);
	else
		ui_trace_step("ui: index after quit, %d handed on", run);
}

/* The results that came after the loop's last look: an update that ended
 * just before the quit needs no detached run. */
static void
unindexed_drain(struct ui *u)
{
	for (struct ui_msg *m = ui_pool_take(u->pool); m;) {
		struct ui_msg *next = m->next;
		if (m->kind == UI_MSG_INDEXED)
			unindexed_done(u, m);
		ui_msg_free(m);
		m = next;
	}
}

static void
scan_run(struct ui_job *j)
{
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_SCANNED;
	m->req = j->req;
	bool need_index = false;
	ui_trace_step("worker: load starts");
	m->rc = app_view_load(j->path, j->cancel, scan_batch, j, &need_index, &m->err);
	int rc = m->rc;
	ui_trace_step("worker: load done rc=%d, %zu batches", rc, j->id);
	ui_pool_post(j->pool, m); /* the UI's from here on */
	/* A folder shown from its files is indexed now, for the next open;
	 * leaving the folder (or quitting) cancels it, and what was written
	 * stays. */
	struct qu_err err = {0};
	int irc = 0;
	if (rc == 0 && need_index) {
		irc = app_view_index_watch(j->path, j->cancel, index_progress, j, &err);
		index_progress(j, 0, 0, false);
		ui_trace_step("worker: index update done%s%s", irc < 0 ? ", stopped: " : "",
			irc < 0 ? err.msg : "");
	}
	indexed_post(j, rc, irc, &err);
}

/* The page's batch, posted as a batch of the open it belongs to (j->id),
 * so that it is dropped with that open. */
static void
page_batch(void *ctx, struct app_view_batch *b)
{
	struct ui_job *j = ctx;
	ui_trace_step("worker: first page ready");
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_BATCH;
	m->req = (uint64_t)j->id;
	m->payload = b;
	ui_pool_post(j->pool, m);
}

/* The rows of the first screen with one query (SPEC §8), beside the
 * folder's read on the other worker rather than before it, so the read
 * is not delayed; a page that comes after rows is dropped by the view.
 * Errors leave it all to the read. */
static void
page_run(struct ui_job *j)
{
	struct qu_err err = {0};
	if (qu_cancel_fired(j->cancel))
		return; /* an order typed since asked for its own page */
	ui_trace_step("worker: first page starts");
	app_view_first_page(j->path, j->sort, j->reverse, j->first_rows, page_batch, j, &err);
}

/* ---- flag changes into the index --------------------------------------- */

static void
renames_run(struct ui_job *j)
{
	struct qu_err err = {0};
	ui_trace_step("worker: %zu renames to the index", j->nrenames);
	app_view_index_renames(j->path, j->renames, j->nrenames, j->cancel, &err);
	ui_trace_step("worker: renames indexed");
}

/* The files flag keys renamed go to the index on a worker, so that
 * search and the next open see the new flags (SPEC §9) and the key is
 * answered without waiting for the database. */
static void
index_renames(struct ui *u)
{
	if (!u->view || !u->pool)
		return;
	char **pairs;
	size_t n = app_view_take_renames(u->view, &pairs);
	if (n == 0)
		return;
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = renames_run;
	j->path = xstrdup(u->folder);
	j->renames = pairs;
	j->nrenames = n;
	ui_pool_submit(u->pool, j);
}

/* ---- new mail in the open folder ---------------------------------------- */

static void
watch_stop(struct ui *u)
{
	if (u->watching)
		close(u->watch_fd);
	u->watching = false;
	for (size_t i = 0; i < u->n_new; i++)
		free(u->new_names[i]);
	free(u->new_names);
	u->new_names = NULL;
	u->n_new = u->new_alloc = 0;
	u->newmail_req = 0;
}

/* Deliveries land in new/ (tmp/ then a rename: IN_MOVED_TO; IN_CREATE
 * for a writer that links), so watching new/ sees new mail without a
 * key (SPEC §8). A fetch or sync writes mail already read on the server
 * straight into cur/, so cur/ is watched too; there the UI's own flag
 * changes rename files as well, which app_view_take_new tells apart by
 * their unique names, and so do other readers' (a flag set by another
 * quail or a sync, new/ moved to cur/), whose rows take the new name.
 * Started once the folder is read: mail that came during the read was
 * in its listing or shows at the next open. */
static void
watch_start(struct ui *u)
{
	watch_stop(u);
	char *dir = xasprintf("%s/new", u->folder);
	char *cur = xasprintf("%s/cur", u->folder);
	struct stat st;
	int fd = stat(dir, &st) == 0 && S_ISDIR(st.st_mode)
		? inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
	if (fd >= 0 && inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CREATE) < 0) {
		close(fd);
		fd = -1;
	}
	/* Without cur/ (an odd Maildir) new/ is still watched. */
	u->watch_cur_wd = fd >= 0 ? inotify_add_watch(fd, cur, IN_MOVED_TO | IN_CREATE) : -1;
	free(cur);
	free(dir);
	u->watching = fd >= 0;
	u->watch_fd = fd;
}

static void
newmail_run(struct ui_job *j)
{
	struct qu_err err = {0};
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_SCANNED;
	m->req = j->req;
	m->rc = app_view_scan_new(j->path, j->names, j->nnames, scan_batch, j, &err);
	ui_pool_post(j->pool, m);
}

/* At most one batch of new mail this often: a fetch into the open folder
 * delivers a few messages every few ms, and a batch each time costs the
 * UI thread an add and a draw of the index, some 60 a second, on the
 * cores the fetch needs too. A first message after a quiet spell still
 * goes at once. */
#define NEWMAIL_GAP_MS 100

/* The names seen go to a worker, one job at a time: the next names wait
 * for its rows, so a big fetch into the open folder is read in a few
 * large batches rather than one sort of the folder per message. */
static void
newmail_submit(struct ui *u)
{
	if (u->newmail_req || u->n_new == 0)
		return;
	int64_t now = qu_now_ms();
	if (now - u->newmail_ms < NEWMAIL_GAP_MS)
		return; /* newmail_timeout wakes the loop for them */
	u->newmail_ms = now;
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = newmail_run;
	j->path = xstrdup(u->folder);
	j->names = u->new_names;
	j->nnames = u->n_new;
	u->new_names = NULL;
	u->n_new = u->new_alloc = 0;
	u->newmail_req = ui_pool_submit(u->pool, j);
}

/* The poll timeout that submits names held back by NEWMAIL_GAP_MS. */
static int
newmail_timeout(struct ui *u, int timeout)
{
	if (u->newmail_req || u->n_new == 0)
		return timeout;
	newmail_submit(u);
	if (u->newmail_req)
		return timeout;
	int64_t left = u->newmail_ms + NEWMAIL_GAP_MS - qu_now_ms();
	if (left < 1)
		left = 1;
	return timeout < 0 || left < timeout ? (int)left : timeout;
}

static void
watch_read(struct ui *u)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	size_t before = u->n_new;
	while ((n = read(u->watch_fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof *ev + ev->len;
			if (ev->len == 0 || ev->name[0] == '\0' || (ev->mask & IN_ISDIR))
				continue;
			u->new_names = xgrow(u->new_names, &u->new_alloc, u->n_new + 1,
				sizeof *u->new_names);
			u->new_names[u->n_new++] = xasprintf("%s/%s",
				ev->wd == u->watch_cur_wd ? "cur" : "new", ev->name);
		}
	}
	/* Renames of files the view knows (its own flag changes, another
	 * program's) need no worker: the rows follow here, by unique name,
	 * and only new names are read. A sync that sets flags on many files
	 * costs no read of each. */
	size_t fresh = u->n_new - before, seen = fresh;
	ui_trace_step("ui: watch names taken");
	size_t moved = u->view && fresh ? app_view_follow(u->view, u->new_names + before, &fresh) : 0;
	ui_trace_step("ui: watch names sorted, %zu of %zu known, %zu renamed", seen - fresh, seen,
		moved);
	if (moved) {
		ui_index_fix_cursor(u);
		u->dirty = true;
	}
	u->n_new = before + fresh;
	newmail_submit(u);
}

void
ui_first_page(struct ui *u, enum app_sort sort, bool reverse)
{
	struct ui_job *pg = xcalloc(1, sizeof *pg);
	pg->run = page_run;
	pg->path = xstrdup(u->folder);
	pg->id = (size_t)u->scan_req;
	pg->sort = sort;
	pg->reverse = reverse;
	pg->first_rows = ui_index_rows(u);
	/* A page of the order left is not waited for (its query would
	 * hold up this one's worker). */
	if (u->page_req)
		ui_pool_cancel(u->pool, u->page_req);
	u->page_req = ui_pool_submit(u->pool, pg);
}

void
ui_open_folder(struct ui *u, const char *path)
{
	struct qu_err err = {0};
	struct app_view *v = app_view_new(path, &err);
	if (!v) {
		ui_message(u, true, "%s", err.msg);
		return;
	}
	/* The folder left is no longer awaited: its read is canceled, and
	 * its index update after the read (the quit hands it on). */
	if (u->scan_req)
		ui_pool_cancel(u->pool, u->scan_req);
	if (u->index_req && u->index_req != u->scan_req)
		ui_pool_cancel(u->pool, u->index_req);
	ui_limit_cancel(u); /* a limit on a worker was for the folder left */
	watch_stop(u);
	/* Deletions were purged or kept before (ui_folder_leave asks). */
	if (u->view) {
		index_renames(u);
		app_view_free(u->view);
	}
	app_view_sort(v, u->sort, u->sort_reverse);
	u->stick = UI_STICK_NONE;
	u->view = v;
	char *dup = xstrdup(path); /* path may be u->folder itself */
	free(u->folder);
	u->folder = dup;
	u->cursor = u->top = 0;
	u->cursor_id = SIZE_MAX;
	u->scanned = 0;
	u->moved = false;
	u->scanning = true;
	u->scan_start_ms = qu_now_ms();
	u->hold_until_ms = u->scan_start_ms + UI_HOLD_MS;
	ui_trace_step("ui: folder opens");
	u->scan_paged = false;
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = scan_run;
	j->path = xstrdup(u->folder);
	unindexed_add(u, u->folder); /* the index after quitting */
	u->scan_req = ui_pool_submit(u->pool, j);
	ui_first_page(u, u->sort, u->sort_reverse);
	u->index_req = u->scan_req;
	u->indexing = false;
	u->screen = UI_SCREEN_INDEX;
	u->dirty = true;
	ui_folders_opened(u);
}

bool
ui_reading_shown(const struct ui *u)
{
	/* Not in the moment between the folder's rows and the read's end
	 * either: the screen was the folder's all along. */
	return u->scanning && (!u->scan_paged ||
		qu_now_ms() - u->scan_start_ms >= UI_BUSY_SHOW_MS);
}

/* The first unread message, else the last: where mutt starts. */
static void
initial_cursor(struct ui *u)
{
	size_t n = app_view_count(u->view);
	struct app_row r;
	for (size_t i = 0; i < n; i++)
		if (app_view_row(u->view, i, &r) && !(r.flags & APP_MSG_SEEN)) {
			ui_index_goto(u, i);
			return;
		}
	if (n)
		ui_index_goto(u, n - 1);
}

/* After more rows came: = and * stay at the ends while the folder is
 * still read (mutt would have waited for it), an untouched cursor stays
 * on the first unread, else the cursor stays on its message. */
static void
place_cursor(struct ui *u)
{
	size_t n = app_view_count(u->view);
	if (u->stick == UI_STICK_FIRST)
		ui_index_goto(u, 0);
	else if (u->stick == UI_STICK_LAST && n)
		ui_index_goto(u, n - 1);
	else if (!u->moved)
		initial_cursor(u);
	ui_index_fix_cursor(u);
}

/* Rows of new mail: added where the sort puts them, the cursor staying
 * on its message, as mutt does; the status line says so. */
static void
new_mail(struct ui *u, struct ui_msg *m)
{
	/* Files another program renamed move their rows here too (flags set
	 * by another reader show without a key): the view is changed on
	 * this thread only, from the worker's batch. */
	size_t renamed;
	ui_trace_step("ui: new mail taken");
	size_t added = app_view_take_new(u->view, m->payload, &renamed);
	ui_trace_step("ui: new mail added, %zu new, %zu renamed", added, renamed);
	m->payload = NULL;
	ui_index_fix_cursor(u);
	if (added)
		ui_message(u, false, "New mail in this folder.");
	u->dirty = true;
}

/* The open folder's update reported (UI_MSG_INDEXING). Shown only while
 * new messages are read: an update that finds the index current lists
 * the folder and ends. The count moves on the status line at most twice a
 * second (the update reports every 2,000 messages, up to ten times a
 * second): a start, a change of pass and the end show at once; any other
 * redraw shows the latest count. */
static void
indexing_shown(struct ui *u, const struct ui_msg *m)
{
	bool was = u->indexing, was_text = u->index_text;
	u->indexing = m->total > 0 && m->id < m->total;
	u->index_done = m->id;
	u->index_total = m->total;
	u->index_text = m->text;
	int64_t now = qu_now_ms();
	if (u->indexing != was || u->index_text != was_text ||
		now - u->index_shown_ms >= UI_INDEX_SHOW_MS) {
		u->index_shown_ms = now;
		u->dirty = true;
	}
}

static void
handle_msg(struct ui *u, struct ui_msg *m)
{
	switch (m->kind) {
	case UI_MSG_BATCH:
		if (m->req && m->req == u->newmail_req) {
			new_mail(u, m);
			break;
		}
		if (m->req != u->scan_req)
			break;
		ui_trace_step("ui: batch taken");
		u->hold_until_ms = 0; /* rows to show: drawn now */
		/* The folder's rows replacing a first page get new ids: a
		 * cursor the user moved stays on its row's place (the page's
		 * rows were rows base on of the folder's). */
		size_t base = app_view_row_base(u->view);
		bool replaced = app_view_add(u->view, m->payload);
		u->scan_paged = u->scan_paged || app_view_paged(u->view);
		if (replaced && u->moved) {
			u->cursor += base;
			u->top += base;
			u->cursor_id = SIZE_MAX;
		} else if (replaced) {
			/* Placed afresh (place_cursor), as without a page. */
			u->cursor = u->top = 0;
		}
		m->payload = NULL;
		u->scanned = app_view_total(u->view);
		place_cursor(u);
		ui_sync_rows_added(u); /* background sync: after a reload */
		ui_trace_step("ui: batch added, %zu rows", u->scanned);
		u->dirty = true;
		break;
	case UI_MSG_SCANNED:
		if (m->req && m->req == u->newmail_req) {
			u->newmail_req = 0;
			newmail_submit(u); /* what came meanwhile */
			break;
		}
		if (m->req != u->scan_req)
			break;
		u->scan_req = 0;
		u->scanning = false;
		if (app_view_end_page(u->view))
			u->cursor_id = SIZE_MAX;
		if (m->rc < 0 && m->err.cls != QU_E_CANCELED)
			ui_message(u, true, "%s", m->err.msg);
		else if (m->rc == 0)
			watch_start(u);
		place_cursor(u);
		/* background sync: the cursor found again after a reload */
		ui_sync_rows_added(u);
		free(u->sync.keep);
		u->sync.keep = NULL;
		u->dirty = true;
		break;
	case UI_MSG_LOADED:
		ui_pager_loaded(u, m);
		break;
	case UI_MSG_SENT: /* writing mail */
	case UI_MSG_NOTE:
		ui_compose_sent(u, m);
		break;
	case UI_MSG_FOLDERS:
		ui_folders_loaded(u, m);
		break;
	case UI_MSG_INDEXING:
		if (m->req == u->index_req)
			indexing_shown(u, m);
		break;
	/* attachments: a copiousoutput viewer's output */
	case UI_MSG_VIEWED:
		ui_viewer_done(u, m);
		break;
	/* move, copy, expunge on a worker */
	case UI_MSG_OPS:
		ui_ops_result(u, m);
		break;
	case UI_MSG_LIMIT: /* limit and search on a worker */
		ui_limit_result(u, m);
		break;
	/* limit and search through the index */
	case UI_MSG_FTS:
		ui_fts_result(u, m);
		break;
	case UI_MSG_INDEXED: /* the index after quitting */
		unindexed_done(u, m);
		break;
	case UI_MSG_ADDRS: /* writing mail: completions for a prompt */
		ui_complete_addresses_done(u, m);
		break;
	case UI_MSG_SYNCED: /* background sync */
		ui_sync_done(u, m);
		break;
	}
}

static void
drain_results(struct ui *u)
{
	char junk[256];
	while (read(u->wake[0], junk, sizeof junk) > 0)
		;
	for (struct ui_msg *m = ui_pool_take(u->pool); m;) {
		struct ui_msg *next = m->next;
		handle_msg(u, m);
		ui_msg_free(m);
		m = next;
	}
}

/* ---- signals ----------------------------------------------------------- */

static void
drain_signals(struct ui *u)
{
	unsigned char sigs[64];
	ssize_t n;
	while ((n = read(u->sig[0], sigs, sizeof sigs)) > 0)
		for (ssize_t i = 0; i < n; i++) {
			switch (sigs[i]) {
			case SIGWINCH:
				ui_term_resize();
				u->dirty = true;
				break;
			case SIGTSTP:
				ui_term_suspend();
				u->dirty = true;
				break;
			case SIGCONT:
				/* Also after a stop by SIGSTOP: the screen is stale. */
				ui_term_resize();
				u->dirty = true;
				break;
			case SIGINT:
			case SIGTERM:
				/* Stopped on purpose: no index run is left
				 * behind (the index after quitting). */
				u->quit_signal = true;
				/* fall through */
			case SIGHUP:
				/* An orderly quit: pending deletions stay marked in
				 * the file names, nothing is half-written. */
				u->quit = true;
				break;
			default:
				break;
			}
		}
}

/* ---- keys -------------------------------------------------------------- */

static void
prompt_finish(struct ui *u, bool ok)
{
	struct ui_prompt *p = &u->prompt;
	p->active = false;
	u->dirty = true;
	if (p->complete_req) { /* compose*.c: its answer is not awaited now */
		ui_pool_cancel(u->pool, p->complete_req);
		p->complete_req = 0;
	}
	char text[sizeof p->buf];
	memcpy(text, p->buf, p->len + 1);
	if (p->done)
		p->done(u, ok ? text : NULL);
}

static void
prompt_key(struct ui *u, int key)
{
	struct ui_prompt *p = &u->prompt;
	u->dirty = true;
	if (p->one_key) {
		if (key == 7 || key == 27) {
			prompt_finish(u, false);
			return;
		}
		if (key > 0 && key < 0x80) {
			p->buf[0] = (char)key;
			p->buf[1] = '\0';
			p->len = 1;
			prompt_finish(u, true);
		}
		return;
	}
	if (key == 7 && p->complete_req) { /* compose*.c: ^G cancels the completion alone */
		ui_pool_cancel(u->pool, p->complete_req);
		p->complete_req = 0;
		ui_message(u, false, "Completion canceled.");
		return;
	}
	if (key == '\t' && p->complete_start) {
		p->complete_start(u);
		return;
	}
	if (p->folders && p->len == 0 && (key == '?' || key == '\t')) {
		ui_browser_from_prompt(u); /* folders: mutt's browser from a prompt */
	} else if (key == '\t' && (p->folders || p->complete)) {
		complete(u);
	} else if (key == '\r' || key == '\n' || key == (UI_KEY_CURSES | KEY_ENTER)) {
		prompt_finish(u, true);
	} else if (key == 7 || key == 27) {
		prompt_finish(u, false);
	} else if (key == 127 || key == 8 || key == (UI_KEY_CURSES | KEY_BACKSPACE)) {
		/* drop one whole UTF-8 character */
		while (p->len && ((unsigned char)p->buf[p->len - 1] & 0xC0) == 0x80)
			p->len--;
		if (p->len)
			p->len--;
		p->buf[p->len] = '\0';
		if (p->len == 0 && key != 127 && key != 8)
			prompt_finish(u, false);
	} else if (key == 21) { /* ^U: kill the line */
		p->len = 0;
		p->buf[0] = '\0';
	} else if (key >= 0x20 && key < UI_KEY_CURSES && key != 127) {
		char enc[4];
		size_t n;
		unsigned c = (unsigned)key;
		if (c < 0x80) {
			enc[0] = (char)c;
			n = 1;
		} else if (c < 0x800) {
			enc[0] = (char)(0xC0 | (c >> 6));
			enc[1] = (char)(0x80 | (c & 0x3F));
			n = 2;
		} else if (c < 0x10000) {
			enc[0] = (char)(0xE0 | (c >> 12));
			enc[1] = (char)(0x80 | ((c >> 6) & 0x3F));
			enc[2] = (char)(0x80 | (c & 0x3F));
			n = 3;
		} else {
			enc[0] = (char)(0xF0 | (c >> 18));
			enc[1] = (char)(0x80 | ((c >> 12) & 0x3F));
			enc[2] = (char)(0x80 | ((c >> 6) & 0x3F));
			enc[3] = (char)(0x80 | (c & 0x3F));
			n = 4;
		}
		if (p->len + n < sizeof p->buf) {
			memcpy(p->buf + p->len, enc, n);
			p->len += n;
			p->buf[p->len] = '\0';
		}
	}
}

static void
key(struct ui *u, int k)
{
	if (u->prompt.active) {
		prompt_key(u, k);
		return;
	}
	if (k == 27 && !u->esc) {
		u->esc = true;
		return;
	}
	if (u->esc) {
		u->esc = false;
		k |= UI_KEY_ESC;
	}
	if (k == 7) { /* ^G: cancel what runs */
		if (ui_sync_cancel(u)) /* background sync: it alone, says so */
			return;
		if (ui_limit_cancel(u)) { /* a limit or search: the old view stays */
			ui_message(u, false, "Canceled.");
			return;
		}
		if (ui_pool_busy(u->pool)) {
			ui_pool_cancel(u->pool, 0);
			ui_message(u, false, "Canceled.");
		}
		return;
	}
	if (u->status[0]) {
		u->status[0] = '\0';
		u->dirty = true;
	}
	u->moved = true; /* the cursor is the user's now, not the first unread */
	u->stick = UI_STICK_NONE;
	if (!ui_keys_dispatch(u, k))
		ui_message(u, true, "Key is not bound.  Press '?' for help.");
}

static void
drain_keys(struct ui *u)
{
	wint_t ch;
	int rc;
	while ((rc = get_wch(&ch)) != ERR) {
		int k = rc == KEY_CODE_YES ? (int)(UI_KEY_CURSES | ch) : (int)ch;
		u->hold_until_ms = 0; /* a key is answered on the screen at once */
		if (k == (UI_KEY_CURSES | KEY_RESIZE)) {
			u->dirty = true;
			continue;
		}
		key(u, k);
		if (u->quit)
			return;
	}
}

/* ---- drawing ----------------------------------------------------------- */

static void
draw_bottom(struct ui *u)
{
	int y = LINES - 1;
	if (u->prompt.active) {
		char *s = ui_text_sanitize(u->prompt.buf, u->prompt.len, UI_TEXT_FIELD);
		char *l = xasprintf("%s%s", u->prompt.label, s);
		ui_put(y, 0, l, (size_t)COLS, (int)A_NORMAL);
		size_t c = qu_utf8_cells(l, strlen(l));
		free(l);
		free(s);
		if (c < (size_t)COLS) {
			move(y, (int)c);
			curs_set(1);
		}
		return;
	}
	curs_set(0);
	if (u->status[0]) {
		char *s = ui_text_sanitize(u->status, strlen(u->status), UI_TEXT_FIELD);
		ui_put(y, 0, s, (size_t)COLS, u->status_error ? ui_attr(UI_C_ERROR) : (int)A_NORMAL);
		free(s);
	} else {
		ui_put(y, 0, "", (size_t)COLS, (int)A_NORMAL);
	}
}

static void
draw_help(struct ui *u)
{
	size_t n;
	const struct ui_binding *t = ui_keys_table(&n);
	int rows = LINES - 2;
	ui_put(0, 0, "Help: keys of this screen (q or ? to leave)", (size_t)COLS,
		ui_attr(UI_C_STATUS));
	int y = 1;
	size_t seen = 0;
	for (size_t i = 0; i < n && y <= rows; i++) {
		if (t[i].screen != u->help_from)
			continue;
		if (seen++ < u->help_top)
			continue;
		char *l = xasprintf("%-12s %-24s", t[i].name, t[i].func);
		ui_put(y++, 0, l, (size_t)COLS, (int)A_NORMAL);
		free(l);
	}
	for (; y <= rows; y++)
		ui_put(y, 0, "", (size_t)COLS, (int)A_NORMAL);
}

void
ui_draw(struct ui *u)
{
	if (LINES < 3 || COLS < 10) {
		erase();
		refresh();
		return;
	}
	/* A new page is drawn afresh rather than scrolled: ncurses scrolls
	 * by "scroll down N" (SD), which some terminal emulators (pyte, which
	 * the tests and the bench read the screen with) ignore, leaving
	 * stale rows. A page is small; redrawing it is cheap. */
	size_t top = u->screen == UI_SCREEN_PAGER ? u->pager.top
		: u->screen == UI_SCREEN_ATTACH  ? u->attach.top
		: u->screen == UI_SCREEN_BROWSER ? u->fo.top /* folders */
						 : u->top;
	if (top != u->drawn_top || u->screen != u->drawn_screen)
		clearok(curscr, TRUE);
	u->drawn_top = top;
	u->drawn_screen = u->screen;
	switch (u->screen) {
	case UI_SCREEN_INDEX:
		ui_sidebar_draw(u); /* folders: sets the index's left margin */
		ui_index_draw(u);
		ui_term_left(0);
		break;
	case UI_SCREEN_PAGER:
		ui_sidebar_draw(u); /* folders: beside the pager as in NeoMutt */
		ui_pager_draw(u);
		ui_term_left(0);
		break;
	case UI_SCREEN_HELP:
		draw_help(u);
		break;
	case UI_SCREEN_ATTACH:
		ui_attach_draw(u);
		break;
	case UI_SCREEN_COMPOSE: /* writing mail */
		ui_compose_draw(u);
		break;
	case UI_SCREEN_FILES:
		ui_files_draw(u);
		break;
	case UI_SCREEN_BROWSER:
		ui_browser_draw(u);
		break;
	}
	draw_bottom(u);
	refresh();
	u->dirty = false;
	ui_trace_step("ui: drawn, %zu rows", u->view ? app_view_count(u->view) : 0);
}

/* ---- the loop ---------------------------------------------------------- */

static int
nonblocking_pipe(int fd[2])
{
	if (pipe(fd) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
		fcntl(fd[i], F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

int
ui_run(struct ui *u, const char *const *commands, size_t ncommands, struct qu_err *err)
{
	trace_open();
	ui_trace_step("ui: run");
	if (nonblocking_pipe(u->wake) < 0 || nonblocking_pipe(u->sig) < 0)
		return qu_err_sys(err, QU_E_SOFTWARE, errno, "pipe");
	if (ui_term_prepare(err) < 0)
		return -1;
	/* The folder's first page is asked for before curses is set up, so
	 * that its query and the terminal's set-up overlap; nothing is drawn
	 * before the terminal is open. */
	u->pool = ui_pool_new(2, u->wake[1]);
	u->reader = app_reader_new();
	ui_open_folder(u, u->folder);
	if (ui_term_open(u->sig[1], err) < 0) {
		ui_pool_free(u->pool);
		u->pool = NULL;
		return -1;
	}
	ui_trace_step("ui: terminal open");
	ui_sync_start(u); /* background sync */
	for (size_t i = 0; i < ncommands; i++)
		ui_command(u, commands[i]);
	int64_t last_progress = 0;
	while (!u->quit) {
		drain_keys(u);
		index_renames(u);
		if (u->quit)
			break;
		/* A read's progress, now and then (UI_BUSY_SHOW_MS). */
		int64_t now = qu_now_ms();
		bool reading = ui_reading_shown(u);
		if (reading && now - last_progress > 200) {
			last_progress = now;
			u->dirty = true;
		}
		ui_outbox_tick(u); /* a queued message's retry, when due; left drafts */
		if (u->hold_until_ms && now >= u->hold_until_ms)
			u->hold_until_ms = 0;
		if (u->dirty && !u->hold_until_ms)
			ui_draw(u);
		/* background sync: timed syncs, the status, a reload */
		int sync_timeout = ui_sync_tick(u, -1);
		if (u->dirty && !u->hold_until_ms)
			ui_draw(u);
		struct pollfd pf[5] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = u->wake[0], .events = POLLIN},
			{.fd = u->sig[0], .events = POLLIN},
			{.fd = u->watching ? u->watch_fd : -1, .events = POLLIN},
			{.fd = ui_sync_fd(u), .events = POLLIN}, /* background sync: IDLE */
		};
		/* While a folder is read, wake now and then for its progress,
		 * first when it is due to show. */
		int timeout = reading ? 200 : u->scanning
			? (int)(u->scan_start_ms + UI_BUSY_SHOW_MS - now) + 1 : -1;
		if (u->esc)
			timeout = 1000;
		timeout = ui_folders_timeout(u, timeout); /* folders: new mail */
		timeout = ui_outbox_timeout(u, timeout);  /* the outbox retried */
		timeout = newmail_timeout(u, timeout);    /* new mail held back */
		if (sync_timeout >= 0 && (timeout < 0 || sync_timeout < timeout))
			timeout = sync_timeout;
		if (u->hold_until_ms) {
			int hold = (int)(u->hold_until_ms - now) + 1;
			if (timeout < 0 || hold < timeout)
				timeout = hold;
		}
		int n = poll(pf, 5, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0 && u->esc) {
			u->esc = false;
			if (u->prompt.active)
				prompt_key(u, 27);
		}
		if (pf[2].revents & POLLIN)
			drain_signals(u);
		if (pf[1].revents & POLLIN)
			drain_results(u);
		if (u->watching && (pf[3].revents & POLLIN))
			watch_read(u);
		if (pf[4].revents & POLLIN)
			ui_sync_read_live(u);
		if (pf[0].revents & (POLLHUP | POLLERR))
			u->quit = true;
	}
	watch_stop(u);
	ui_sync_stop(u); /* background sync: canceled, IDLE closed */
	unindexed_drain(u); /* the index after quitting */
	ui_pool_free(u->pool);
	u->pool = NULL;
	ui_term_close();
	index_after_quit(u); /* the index after quitting */
	return 0;
}

void
ui_free(struct ui *u)
{
	app_view_free(u->view);
	app_reader_free(u->reader);
	ui_folders_free(u);
	ui_pager_close(u);
	if (u->attach.v || u->attach.msg.data)
		ui_attach_close(u);
	/* attachments: files left for detached viewers */
	ui_viewers_free(u);
	free(u->folder);
	for (size_t i = 0; i < u->n_unindexed; i++) /* the index after quitting */
		free(u->unindexed[i]);
	free(u->unindexed);
	free(u->root);
	free(u->search);
	free(u->ops_dest); /* move, copy, expunge */
	free(u->fts_pattern); /* limit and search through the index */
	free(u->index_format);
	free(u->date_format);
	free(u->editor);
	free(u->mailcap);
	free(u->url_command);
	free(u->binds);
	/* writing mail */
	ui_compose_free(u);
	free(u->bounce_to);
	if (u->files)
		ui_files_close(u);
	app_compose_settings_clear(&u->compose_settings);
	cfg_free(u->cfg);
	for (int i = 0; i < 2; i++) {
		if (u->wake[i] > 0)
			close(u->wake[i]);
		if (u->sig[i] > 0)
			close(u->sig[i]);
	}
}
