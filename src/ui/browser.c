/*
 * The folder browser (mutt's, SPEC §8): every folder under the account's
 * Maildir root (app_local_folders_list: fetch's layout, Maildir++, mbox
 * files) with its message and unread counts, the open one marked `*` and
 * those with new mail `N`, named as `c` takes them (=NAME). It opens
 * from the index's `y` and from a folder prompt (`c`, `s`, `C`) with `?`
 * or Tab on an empty answer.
 *
 * The listing (and its counting) runs on a worker, since a root may
 * hold many folders of many messages; the screen shows the last listing
 * meanwhile, and the sidebar draws from the same one.
 *
 * Also here: leaving a folder, which asks whether to purge deleted
 * messages as mutt's $delete does, and the read-only state of an mbox.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curses.h>

#include "util/util.h"
#include "app/app.h"
#include "ui/private.h"
#include "ui/uitext.h"

/* ---- the listing ------------------------------------------------------- */

static void
list_run(struct ui_job *j)
{
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_FOLDERS;
	m->req = j->req;
	struct app_local_folders *l = xcalloc(1, sizeof *l);
	m->rc = app_local_folders_list(j->path, j->cancel, false, l, &m->err);
	/* Folders unchanged since the last listing keep their counts. */
	if (m->rc == 0)
		m->rc = app_local_folders_count(l, j->folders, j->cancel, &m->err);
	m->payload = l;
	ui_pool_post(j->pool, m);
}

/* The root to list: the account's, else the directory of the open
 * folder (as mutt's browser starts beside the mailbox given by -f). */
static char *
list_root(const struct ui *u)
{
	if (u->root)
		return xstrdup(u->root);
	if (!u->folder)
		return NULL;
	const char *slash = strrchr(u->folder, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == u->folder)
		return xstrdup("/");
	return xstrndup(u->folder, (size_t)(slash - u->folder));
}

void
ui_folders_refresh(struct ui *u)
{
	if (!u->pool || u->fo.req)
		return;
	char *root = list_root(u);
	if (!root)
		return;
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = list_run;
	j->path = root;
	j->folders = xcalloc(1, sizeof *j->folders);
	app_local_folders_copy(j->folders, &u->fo.list);
	u->fo.listed_ms = qu_now_ms();
	u->fo.req = ui_pool_submit(u->pool, j);
}

static void
clamp_cursor(struct ui *u)
{
	struct ui_folders *fo = &u->fo;
	if (fo->cursor >= fo->list.n)
		fo->cursor = fo->list.n ? fo->list.n - 1 : 0;
	if (fo->sb_hl >= fo->list.n)
		fo->sb_moved = false;
}

void
ui_folders_loaded(struct ui *u, struct ui_msg *m)
{
	struct ui_folders *fo = &u->fo;
	if (m->req != fo->req)
		return;
	fo->req = 0;
	if (m->rc < 0) {
		if (m->err.cls != QU_E_CANCELED)
			ui_message(u, true, "%s", m->err.msg);
		return;
	}
	/* The cursors stay on their folders, found by name. */
	char *at = fo->cursor < fo->list.n ? xstrdup(fo->list.v[fo->cursor].name) : NULL;
	char *hl = fo->sb_moved && fo->sb_hl < fo->list.n ? xstrdup(fo->list.v[fo->sb_hl].name)
							    : NULL;
	struct app_local_folders *l = m->payload;
	bool same = l->n == fo->list.n;
	for (size_t i = 0; same && i < l->n; i++)
		same = strcmp(l->v[i].name, fo->list.v[i].name) == 0;
	if (!same) /* rows moved: drawn afresh, not scrolled (see ui_draw) */
		clearok(curscr, TRUE);
	app_local_folders_clear(&fo->list);
	fo->list = *l;
	memset(l, 0, sizeof *l);
	fo->current = app_local_folders_find(&fo->list, u->folder);
	for (size_t i = 0; i < fo->list.n; i++) {
		if (at && strcmp(fo->list.v[i].name, at) == 0)
			fo->cursor = i;
		if (hl && strcmp(fo->list.v[i].name, hl) == 0)
			fo->sb_hl = i;
	}
	if (fo->place && fo->current != SIZE_MAX)
		fo->cursor = fo->current;
	fo->place = false;
	free(at);
	free(hl);
	clamp_cursor(u);
	u->dirty = true;
}

int
ui_folders_timeout(struct ui *u, int timeout)
{
	struct ui_folders *fo = &u->fo;
	bool shown = (fo->sidebar && (u->screen == UI_SCREEN_INDEX || u->screen == UI_SCREEN_PAGER)) ||
		u->screen == UI_SCREEN_BROWSER;
	if (!shown)
		return timeout;
	int64_t period = (int64_t)(fo->check_s ? fo->check_s : 5) * 1000;
	int64_t left = fo->listed_ms + period - qu_now_ms();
	if (left <= 0) {
		ui_folders_refresh(u);
		left = period;
	}
	return timeout < 0 || left < timeout ? (int)left : timeout;
}

bool
ui_folders_counts(struct ui *u, size_t i, size_t *total, size_t *unread)
{
	const struct app_local_folder *f = &u->fo.list.v[i];
	if (i == u->fo.current && u->view && !u->scanning) {
		/* The open folder's counts follow every key at once. */
		size_t flagged, deleted, tagged;
		app_view_counts(u->view, unread, &flagged, &deleted, &tagged);
		*total = app_view_total(u->view);
		return true;
	}
	*total = f->total;
	*unread = f->unread;
	return f->counted;
}

char *
ui_folders_name(const struct ui *u, size_t i)
{
	const char *name = u->fo.list.v[i].name;
	if (!name[0])
		name = "INBOX"; /* a Maildir++ root */
	return ui_text_sanitize(name, strlen(name), UI_TEXT_FIELD);
}

/* ---- the screen -------------------------------------------------------- */

static size_t
browser_rows(void)
{
	return LINES > 3 ? (size_t)(LINES - 3) : 1;
}

static void
goto_entry(struct ui *u, size_t i)
{
	struct ui_folders *fo = &u->fo;
	if (!fo->list.n)
		return;
	if (i >= fo->list.n)
		i = fo->list.n - 1;
	fo->cursor = i;
	size_t rows = browser_rows();
	if (fo->cursor < fo->top)
		fo->top = fo->cursor;
	else if (fo->cursor >= fo->top + rows)
		fo->top = fo->cursor - rows + 1;
	u->dirty = true;
}

/* "*N  name ........  messages  unread": the counts in columns of their
 * own at the right, the name fitted by cells before them. */
static void
row_text(struct ui *u, size_t i, struct qu_buf *b, size_t cols)
{
	const struct app_local_folder *f = &u->fo.list.v[i];
	size_t total, unread;
	char nums[48];
	if (ui_folders_counts(u, i, &total, &unread))
		snprintf(nums, sizeof nums, " %8zu %8zu", total, unread);
	else
		snprintf(nums, sizeof nums, " %8s %8s", "-", "-");
	bool fresh = i == u->fo.current ? unread > 0 && f->has_new : f->has_new;
	qu_buf_printf(b, "%c%c%c ", i == u->fo.current ? '*' : ' ', fresh ? 'N' : ' ',
		f->kind == APP_LOCAL_MBOX ? 'm' : ' ');
	/* Under the account's root a folder is shown as it is typed:
	 * =NAME (mutt shows its $folder's mailboxes so). */
	bool eq = u->root && f->name[0];
	if (eq)
		qu_buf_append_str(b, "=");
	size_t used = 4 + eq + strlen(nums);
	char *name = ui_folders_name(u, i);
	ui_text_fit_buf(b, name, strlen(name), cols > used ? cols - used : 1, true, "\xe2\x80\xa6");
	free(name);
	qu_buf_append_str(b, nums);
}

void
ui_browser_draw(struct ui *u)
{
	struct ui_folders *fo = &u->fo;
	size_t cols = (size_t)COLS;
	ui_put(0, 0, "q:Exit  <Enter>:Open  /:Search  c:Open mailbox  ?:Help", cols,
		ui_attr(UI_C_STATUS));
	size_t rows = browser_rows();
	if (fo->cursor < fo->top || fo->cursor >= fo->top + rows)
		goto_entry(u, fo->cursor);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t r = 0; r < rows; r++) {
		size_t i = fo->top + r;
		if (i >= fo->list.n) {
			const char *empty = r == 0 && fo->req ? "Reading folders..."
					    : r == 0 ? "No folders." : "";
			ui_put((int)r + 1, 0, empty, cols, (int)A_NORMAL);
			continue;
		}
		qu_buf_reset(&b);
		row_text(u, i, &b, cols);
		int attr = i == fo->cursor ? ui_attr(UI_C_INDICATOR) : (int)A_NORMAL;
		ui_put((int)r + 1, 0, b.data, cols, attr);
	}
	qu_buf_clear(&b);
	char *root = list_root(u);
	char *safe = ui_text_sanitize(root ? root : "", root ? strlen(root) : 0, UI_TEXT_FIELD);
	char *st = xasprintf("---Folders: %s [%zu]---(messages unread)%s", safe, fo->list.n,
		fo->req ? " [reading...]" : "");
	ui_put(LINES - 2, 0, st, cols, ui_attr(UI_C_STATUS));
	free(st);
	free(safe);
	free(root);
}

void
ui_browser_open(struct ui *u, void (*pick)(struct ui *, const char *))
{
	struct ui_folders *fo = &u->fo;
	if (u->screen != UI_SCREEN_BROWSER)
		fo->from = u->screen == UI_SCREEN_HELP ? u->help_from : u->screen;
	fo->pick = pick;
	fo->current = app_local_folders_find(&fo->list, u->folder);
	if (fo->current != SIZE_MAX)
		goto_entry(u, fo->current);
	fo->place = fo->current == SIZE_MAX;
	u->screen = UI_SCREEN_BROWSER;
	u->dirty = true;
	/* Counts are taken afresh on every visit. */
	ui_folders_refresh(u);
}

void
ui_browser_mailboxes(struct ui *u)
{
	ui_browser_open(u, NULL);
}

void
ui_browser_from_prompt(struct ui *u)
{
	void (*done)(struct ui *, const char *) = u->prompt.done;
	u->prompt.active = false;
	ui_browser_open(u, done);
}

void
ui_browser_next(struct ui *u)
{
	if (u->fo.cursor + 1 >= u->fo.list.n)
		ui_message(u, true, "You are on the last entry.");
	else
		goto_entry(u, u->fo.cursor + 1);
}

void
ui_browser_prev(struct ui *u)
{
	if (u->fo.cursor == 0)
		ui_message(u, true, "You are on the first entry.");
	else
		goto_entry(u, u->fo.cursor - 1);
}

void
ui_browser_first(struct ui *u)
{
	goto_entry(u, 0);
}

void
ui_browser_last(struct ui *u)
{
	if (u->fo.list.n)
		goto_entry(u, u->fo.list.n - 1);
}

void
ui_browser_page_down(struct ui *u)
{
	size_t rows = browser_rows();
	if (u->fo.list.n > rows && u->fo.top + rows < u->fo.list.n)
		u->fo.top += rows;
	goto_entry(u, u->fo.cursor + rows);
}

void
ui_browser_page_up(struct ui *u)
{
	size_t rows = browser_rows();
	u->fo.top = u->fo.top > rows ? u->fo.top - rows : 0;
	goto_entry(u, u->fo.cursor > rows ? u->fo.cursor - rows : 0);
}

void
ui_browser_exit(struct ui *u)
{
	u->screen = u->fo.from;
	u->fo.pick = NULL;
	u->dirty = true;
}

void
ui_browser_select(struct ui *u)
{
	struct ui_folders *fo = &u->fo;
	if (!fo->list.n) {
		ui_message(u, true, "No folders.");
		return;
	}
	char *path = xstrdup(fo->list.v[fo->cursor].path);
	void (*pick)(struct ui *, const char *) = fo->pick;
	ui_browser_exit(u);
	if (pick)
		pick(u, path);
	else
		ui_folder_leave(u, path);
	free(path);
}

/* A case-blind substring test on bytes: names are not always UTF-8. */
static bool
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

static void
search_from(struct ui *u)
{
	struct ui_folders *fo = &u->fo;
	if (!fo->search) {
		ui_message(u, true, "No search pattern.");
		return;
	}
	for (size_t k = 1; k <= fo->list.n; k++) {
		size_t i = (fo->cursor + k) % fo->list.n;
		if (contains(fo->list.v[i].name, fo->search)) {
			goto_entry(u, i);
			return;
		}
	}
	ui_message(u, true, "Not found.");
}

static void
search_answer(struct ui *u, const char *a)
{
	if (!a || !*a)
		return;
	free(u->fo.search);
	u->fo.search = xstrdup(a);
	search_from(u);
}

void
ui_browser_search(struct ui *u)
{
	ui_ask(u, "Search for: ", search_answer, false);
}

void
ui_browser_search_next(struct ui *u)
{
	search_from(u);
}

/* ---- leaving a folder -------------------------------------------------- */

static bool is_read_only(struct ui *u);

static void
leave_now(struct ui *u, bool purge)
{
	struct qu_err err = {0};
	if (purge && u->view && !is_read_only(u) && app_view_expunge(u->view, &err) < 0) {
		/* Staying is safer than leaving half of them behind unsaid. */
		ui_message(u, true, "%s", err.msg);
		free(u->fo.leave_to);
		u->fo.leave_to = NULL;
		ui_index_fix_cursor(u);
		return;
	}
	char *to = u->fo.leave_to;
	u->fo.leave_to = NULL;
	if (to)
		ui_open_folder(u, to);
	else
		u->quit = true;
	free(to);
}

static void
leave_answer(struct ui *u, const char *a)
{
	bool dflt = u->fo.delete == UI_DELETE_ASK_YES;
	char c = a ? a[0] : 0;
	if (c == 'y' || c == 'Y' || ((c == '\r' || c == '\n') && dflt))
		leave_now(u, true);
	else if (c == 'n' || c == 'N' || ((c == '\r' || c == '\n') && !dflt))
		leave_now(u, false);
	else {
		/* ^G, Esc or another key: stay in the folder, as mutt does. */
		free(u->fo.leave_to);
		u->fo.leave_to = NULL;
	}
}

void
ui_folder_leave(struct ui *u, const char *path)
{
	/* A folder that cannot open is said so before anything is purged. */
	struct qu_err err = {0};
	struct app_view *probe = path ? app_view_new(path, &err) : NULL;
	if (path && !probe) {
		ui_message(u, true, "%s", err.msg);
		return;
	}
	app_view_free(probe);
	free(u->fo.leave_to);
	u->fo.leave_to = path ? xstrdup(path) : NULL;
	size_t unread, flagged, deleted = 0, tagged;
	if (u->view)
		app_view_counts(u->view, &unread, &flagged, &deleted, &tagged);
	if (deleted == 0 || u->fo.delete == UI_DELETE_YES || u->fo.delete == UI_DELETE_NO) {
		leave_now(u, deleted && u->fo.delete != UI_DELETE_NO);
		return;
	}
	char label[64];
	snprintf(label, sizeof label, "Purge %zu deleted message%s? (%s): ", deleted,
		deleted == 1 ? "" : "s",
		u->fo.delete == UI_DELETE_ASK_YES ? "[yes]/no" : "yes/[no]");
	ui_ask(u, label, leave_answer, true);
}

/* ---- mbox folders: read-only ------------------------------------------- */

void
ui_folders_opened(struct ui *u)
{
	u->fo.ro_view = u->view;
	u->fo.ro = app_local_is_mbox(u->folder);
	u->fo.current = app_local_folders_find(&u->fo.list, u->folder);
	u->fo.sb_moved = false;
	if (u->fo.ro)
		ui_message(u, false, "mbox folder: opened read-only.");
	if (u->fo.sidebar)
		ui_folders_refresh(u); /* the folder left has new counts */
}

static bool
is_read_only(struct ui *u)
{
	if (u->fo.ro_view != u->view) {
		u->fo.ro_view = u->view;
		u->fo.ro = u->view && app_local_is_mbox(u->folder);
	}
	return u->fo.ro;
}

bool
ui_folder_read_only(struct ui *u)
{
	if (!is_read_only(u))
		return false;
	u->tag_prefix = false;
	ui_message(u, true, "mbox folders are read-only.");
	return true;
}

/* ---- [ui] keys ----------------------------------------------------------- */

static int
yes_no(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
		!strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
		!strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static int
number(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
	return qu_parse_u64(v, strlen(v), hi, out) == 0 && *out >= lo ? 0 : -1;
}

int
ui_folders_config(struct ui *u, const char *key, const char *value, const char **why)
{
	struct ui_folders *fo = &u->fo;
	uint64_t n;
	if (!strcmp(key, "sidebar")) {
		*why = "sidebar takes yes or no, not";
		return yes_no(value, &fo->sidebar) < 0 ? -1 : 1;
	}
	if (!strcmp(key, "sidebar_width")) {
		*why = "sidebar_width takes a number of columns from 4 to 200, not";
		if (number(value, 4, 200, &n) < 0)
			return -1;
		fo->sidebar_width = (size_t)n;
		return 1;
	}
	if (!strcmp(key, "mail_check")) {
		*why = "mail_check takes seconds from 1 to 3600, not";
		if (number(value, 1, 3600, &n) < 0)
			return -1;
		fo->check_s = (unsigned)n;
		return 1;
	}
	if (!strcmp(key, "delete")) {
		static const char *const names[] = {"ask-yes", "ask-no", "yes", "no"};
		*why = "delete takes ask-yes, ask-no, yes or no, not";
		for (size_t i = 0; i < QU_ARRAY_LEN(names); i++)
			if (!strcmp(value, names[i])) {
				fo->delete = (int)i;
				return 1;
			}
		return -1;
	}
	return 0;
}

void
ui_folders_free(struct ui *u)
{
	app_local_folders_clear(&u->fo.list);
	free(u->fo.search);
	free(u->fo.leave_to);
	u->fo.search = u->fo.leave_to = NULL;
}
