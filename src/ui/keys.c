/*
 * Keys and commands: one table per screen of (key, mutt function name,
 * function) that both dispatches keys and lists them for `?`, so the help
 * cannot drift from what the keys do. The defaults are mutt's (SPEC §8).
 * `:` commands use the same function names (`:exec FUNCTION`) plus
 * mutt's sort, limit, set, cd, sync and quit.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curses.h>

#include "util/util.h"
#include "app/app.h"
#include "ui/private.h"

#define CTRL(c) ((c)&0x1f)
#define CK(k) (UI_KEY_CURSES | (k))
#define ESC(k) (UI_KEY_ESC | (k))

/* ---- moving ------------------------------------------------------------ */

static size_t
nrows(struct ui *u)
{
	return app_view_count(u->view);
}

static void
fn_next(struct ui *u)
{
	if (u->cursor + 1 >= nrows(u)) {
		ui_message(u, true, "You are on the last message.");
		return;
	}
	ui_index_goto(u, u->cursor + 1);
}

static void
fn_prev(struct ui *u)
{
	if (u->cursor == 0) {
		ui_message(u, true, "You are on the first message.");
		return;
	}
	ui_index_goto(u, u->cursor - 1);
}

static void
fn_first(struct ui *u)
{
	ui_index_goto(u, 0);
	u->stick = UI_STICK_FIRST;
}

static void
fn_last(struct ui *u)
{
	if (nrows(u))
		ui_index_goto(u, nrows(u) - 1);
	u->stick = UI_STICK_LAST;
}

static void
page(struct ui *u, long delta)
{
	size_t n = nrows(u), rows = ui_index_rows(u);
	if (!n)
		return;
	long top = (long)u->top + delta;
	long max = n > rows ? (long)(n - rows) : 0;
	if (top > max)
		top = max;
	if (top < 0)
		top = 0;
	long cur = (long)u->cursor + delta;
	if (cur < 0)
		cur = 0;
	if (cur >= (long)n)
		cur = (long)n - 1;
	u->top = (size_t)top;
	ui_index_goto(u, (size_t)cur);
}

static void
fn_next_page(struct ui *u)
{
	page(u, (long)ui_index_rows(u));
}

static void
fn_prev_page(struct ui *u)
{
	page(u, -(long)ui_index_rows(u));
}

static void
fn_half_down(struct ui *u)
{
	page(u, (long)ui_index_rows(u) / 2);
}

static void
fn_half_up(struct ui *u)
{
	page(u, -(long)ui_index_rows(u) / 2);
}

static void
fn_redraw(struct ui *u)
{
	clearok(curscr, TRUE);
	u->dirty = true;
}

/* ---- threads ----------------------------------------------------------- */

static bool
is_root(struct ui *u, size_t row)
{
	struct app_row r;
	return app_view_row(u->view, row, &r) && r.tree[0] == '\0';
}

static bool
threaded(struct ui *u)
{
	if (app_view_sort_get(u->view, NULL) == APP_SORT_THREADS)
		return true;
	ui_message(u, true, "Threading is not enabled.");
	return false;
}

static void
fn_next_thread(struct ui *u)
{
	if (!threaded(u))
		return;
	for (size_t i = u->cursor + 1; i < nrows(u); i++)
		if (is_root(u, i)) {
			ui_index_goto(u, i);
			return;
		}
	ui_message(u, true, "No more threads.");
}

static void
fn_prev_thread(struct ui *u)
{
	if (!threaded(u))
		return;
	size_t i = u->cursor;
	while (i > 0 && !is_root(u, i))
		i--;
	while (i > 0) {
		i--;
		if (is_root(u, i)) {
			ui_index_goto(u, i);
			return;
		}
	}
	ui_message(u, true, "You are on the first thread.");
}

static void
fn_collapse(struct ui *u)
{
	if (!threaded(u) || u->cursor_id == SIZE_MAX)
		return;
	bool fold = !app_view_collapsed(u->view, u->cursor_id);
	app_view_collapse(u->view, u->cursor_id, fold);
	ui_index_fix_cursor(u);
}

static void
fn_collapse_all(struct ui *u)
{
	if (!threaded(u) || !nrows(u))
		return;
	struct app_row r;
	bool any = false;
	for (size_t i = 0; i < nrows(u) && !any; i++)
		any = app_view_row(u->view, i, &r) && r.hidden;
	app_view_collapse_all(u->view, !any);
	ui_index_fix_cursor(u);
}

/* ---- flags ------------------------------------------------------------- */

/* Applies set/clear to the message under the cursor. A toggle goes by
 * the flags the file has now, when another program renamed it before the
 * watch told. */
static void
flag_cursor(struct ui *u, unsigned set, unsigned clear, bool toggle)
{
	struct qu_err err = {0};
	struct app_row r;
	if (!app_view_row(u->view, app_view_find(u->view, u->cursor_id), &r))
		return;
	int located = app_view_locate(u->view, r.id, &err);
	if (located < 0) {
		ui_message(u, true, "%s", err.msg);
		return;
	}
	if (located > 0 && !app_view_row(u->view, app_view_find(u->view, r.id), &r))
		return;
	unsigned s = set, c = clear;
	if (toggle) {
		s = r.flags & set ? 0 : set;
		c = r.flags & set ? set : 0;
	}
	if (app_view_set_flags(u->view, r.id, s, c, &err) < 0)
		ui_message(u, true, "%s", err.msg);
}

/* Applies set/clear to every tagged message: thousands after T ~A, so
 * on a worker (a rename and a sync each would hold the keys half a
 * second a 2,000). The rows show it at once. */
static void
flag_tagged(struct ui *u, unsigned set, unsigned clear, bool toggle)
{
	size_t n = nrows(u);
	size_t *ids = xmalloc((n + 1) * sizeof *ids), k = 0;
	for (size_t i = 0; i < n; i++) {
		struct app_row r;
		if (app_view_row(u->view, i, &r) && (r.flags & APP_MSG_TAGGED))
			ids[k++] = r.id;
	}
	if (k)
		ui_ops_flags(u, ids, k, set, clear, toggle);
	free(ids);
}

/* Applies set/clear to the message under the cursor, or after ';' to
 * every tagged one. */
static void
change_flags(struct ui *u, unsigned set, unsigned clear, bool toggle, bool advance)
{
	bool prefix = u->tag_prefix;
	u->tag_prefix = false;
	if (prefix)
		flag_tagged(u, set, clear, toggle);
	else
		flag_cursor(u, set, clear, toggle);
	ui_index_fix_cursor(u);
	u->dirty = true;
	if (advance && !prefix && u->cursor + 1 < nrows(u))
		ui_index_goto(u, u->cursor + 1);
}

static void
fn_delete(struct ui *u)
{
	if (ui_folder_read_only(u)) /* folders: an mbox */
		return;
	change_flags(u, APP_MSG_DELETED, 0, false, true);
}

static void
fn_undelete(struct ui *u)
{
	if (ui_folder_read_only(u)) /* folders: an mbox */
		return;
	change_flags(u, 0, APP_MSG_DELETED, false, true);
}

static void
fn_flag(struct ui *u)
{
	if (ui_folder_read_only(u)) /* folders: an mbox */
		return;
	change_flags(u, APP_MSG_FLAGGED, 0, true, false);
}

static void
fn_toggle_new(struct ui *u)
{
	if (ui_folder_read_only(u)) /* folders: an mbox */
		return;
	change_flags(u, APP_MSG_SEEN, 0, true, false);
}

static void
fn_tag(struct ui *u)
{
	change_flags(u, APP_MSG_TAGGED, 0, true, true);
}

static void
fn_tag_prefix(struct ui *u)
{
	u->tag_prefix = true;
	ui_message(u, false, "tag-");
}

/* `$`: the files go on a worker (SPEC §8), the rows when it reports. */
static void
fn_sync(struct ui *u)
{
	if (ui_folder_read_only(u)) /* folders: an mbox */
		return;
	ui_ops_start(u, APP_OPS_EXPUNGE, NULL, 0, NULL, NULL);
}

void
ui_fn_quit(struct ui *u)
{
	/* Pending deletions are purged after asking, as [ui] delete says
	 * (mutt's $delete). */
	ui_folder_leave(u, NULL);
}

void
ui_fn_exit(struct ui *u)
{
	u->quit = true;
}

static void
fn_next_new(struct ui *u)
{
	size_t n = nrows(u);
	for (size_t k = 1; k <= n; k++) {
		size_t i = (u->cursor + k) % n;
		struct app_row r;
		if (app_view_row(u->view, i, &r) && !(r.flags & APP_MSG_SEEN)) {
			ui_index_goto(u, i);
			return;
		}
	}
	ui_message(u, true, "No new messages.");
}

/* ---- prompts ----------------------------------------------------------- */

static void
sort_answer(struct ui *u, const char *a, bool rev)
{
	static const struct {
		char key;
		const char *name;
	} t[] = {
		{'d', "date"}, {'f', "from"}, {'r', "received"}, {'s', "subject"},
		{'o', "to"}, {'t', "threads"}, {'u', "unsorted"}, {'z', "size"},
	};
	if (!a)
		return;
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++)
		if (a[0] == t[i].key) {
			char name[32];
			snprintf(name, sizeof name, "%s%s", rev ? "reverse-" : "", t[i].name);
			ui_index_sort(u, name);
			return;
		}
}

static void
sort_fwd(struct ui *u, const char *a)
{
	sort_answer(u, a, false);
}

static void
sort_rev(struct ui *u, const char *a)
{
	sort_answer(u, a, true);
}

#define SORT_PROMPT "(d)ate/(f)rm/(r)ecv/(s)ubj/t(o)/(t)hread/(u)nsort/si(z)e?: "

static void
fn_sort(struct ui *u)
{
	ui_ask(u, "Sort " SORT_PROMPT, sort_fwd, true);
}

static void
fn_sort_reverse(struct ui *u)
{
	ui_ask(u, "Rev-Sort " SORT_PROMPT, sort_rev, true);
}

static void
limit_answer(struct ui *u, const char *a)
{
	if (a)
		ui_index_limit(u, a);
}

static void
fn_limit(struct ui *u)
{
	ui_ask(u, "Limit to messages matching: ", limit_answer, false);
}

static void
search_from(struct ui *u, bool back)
{
	if (!u->search) {
		ui_message(u, true, "No search pattern.");
		return;
	}
	if (u->screen == UI_SCREEN_PAGER) {
		ui_pager_search(u, u->search, true);
		return;
	}
	ui_index_search(u, u->search, back);
}

static void
search_answer(struct ui *u, const char *a, bool back)
{
	if (!a || !*a)
		return;
	free(u->search);
	u->search = xstrdup(a);
	u->search_back = back;
	if (u->screen == UI_SCREEN_PAGER)
		ui_pager_search(u, a, false);
	else
		search_from(u, back);
}

static void
search_fwd(struct ui *u, const char *a)
{
	search_answer(u, a, false);
}

static void
search_back(struct ui *u, const char *a)
{
	search_answer(u, a, true);
}

static void
fn_search(struct ui *u)
{
	ui_ask(u, "Search for: ", search_fwd, false);
}

static void
fn_search_reverse(struct ui *u)
{
	ui_ask(u, "Reverse search for: ", search_back, false);
}

static void
fn_search_next(struct ui *u)
{
	search_from(u, u->search_back);
}

static void
tag_pattern_answer(struct ui *u, const char *a)
{
	if (!a || !*a)
		return;
	struct qu_err err = {0};
	long n = app_view_tag_pattern(u->view, a, true, &err);
	if (n < 0)
		ui_message(u, true, "%s", err.msg);
	u->dirty = true;
}

static void
fn_tag_pattern(struct ui *u)
{
	ui_ask(u, "Tag messages matching: ", tag_pattern_answer, false);
}

/* s, C (and ; s, ; C): the ids are taken now, the files are written on a
 * worker (SPEC §8), and moved rows leave the view when it reports. */
static void
transfer(struct ui *u, const char *a, bool move)
{
	if (!a || !*a)
		return;
	struct qu_err err = {0};
	char *dest = app_view_resolve(a, u->root, &err);
	if (!dest) {
		ui_message(u, true, "%s", err.msg);
		return;
	}
	bool prefix = u->tag_prefix;
	u->tag_prefix = false;
	size_t n = nrows(u), *ids = xmalloc((n + 1) * sizeof *ids), k = 0;
	for (size_t i = 0; i < n; i++) {
		struct app_row r;
		if (app_view_row(u->view, i, &r) &&
			(prefix ? (r.flags & APP_MSG_TAGGED) != 0 : r.id == u->cursor_id))
			ids[k++] = r.id;
	}
	ui_ops_start(u, move ? APP_OPS_MOVE : APP_OPS_COPY, ids, k, dest, a);
	free(ids);
	free(dest);
}

static void
save_answer(struct ui *u, const char *a)
{
	transfer(u, a, true);
}

static void
copy_answer(struct ui *u, const char *a)
{
	transfer(u, a, false);
}

static void
fn_save(struct ui *u)
{
	if (ui_folder_read_only(u)) /* folders: a move changes an mbox */
		return;
	ui_ask(u, "Save to mailbox: ", save_answer, false);
	u->prompt.folders = true;
}

static void
fn_copy(struct ui *u)
{
	ui_ask(u, "Copy to mailbox: ", copy_answer, false);
	u->prompt.folders = true;
}

static void
change_answer(struct ui *u, const char *a)
{
	if (!a || !*a)
		return;
	struct qu_err err = {0};
	char *path = app_view_resolve(a, u->root, &err);
	if (!path) {
		ui_message(u, true, "%s", err.msg);
		return;
	}
	ui_folder_leave(u, path); /* folders: asks about deleted messages */
	free(path);
}

static void
fn_change_folder(struct ui *u)
{
	ui_ask(u, "Open mailbox: ", change_answer, false);
	u->prompt.folders = true;
}

static void
command_answer(struct ui *u, const char *a)
{
	if (a && *a)
		ui_command(u, a);
}

static void
fn_command(struct ui *u)
{
	ui_ask(u, ":", command_answer, false);
}

static void
fn_help(struct ui *u)
{
	if (u->screen == UI_SCREEN_HELP)
		return;
	u->help_from = u->screen;
	u->help_top = 0;
	u->screen = UI_SCREEN_HELP;
	u->dirty = true;
}

static void
fn_help_exit(struct ui *u)
{
	u->screen = u->help_from;
	u->dirty = true;
}

static void
fn_help_down(struct ui *u)
{
	u->help_top++;
	u->dirty = true;
}

static void
fn_help_up(struct ui *u)
{
	if (u->help_top)
		u->help_top--;
	u->dirty = true;
}

/* ---- pager ------------------------------------------------------------- */

static void
fn_display(struct ui *u)
{
	if (u->cursor_id == SIZE_MAX || !nrows(u)) {
		ui_message(u, true, "No visible messages.");
		return;
	}
	ui_pager_open(u, u->cursor_id);
}

static void
fn_pager_exit(struct ui *u)
{
	if (u->pager.from_attach) {
		ui_pager_close(u);
		u->screen = UI_SCREEN_ATTACH;
		u->dirty = true;
		return;
	}
	ui_pager_close(u);
	u->screen = UI_SCREEN_INDEX;
	ui_index_fix_cursor(u);
	u->dirty = true;
}

static void
pager_step(struct ui *u, bool forward)
{
	size_t before = u->cursor;
	if (forward)
		fn_next(u);
	else
		fn_prev(u);
	if (u->cursor != before)
		ui_pager_open(u, u->cursor_id);
}

static void
fn_pager_next(struct ui *u)
{
	pager_step(u, true);
}

static void
fn_pager_prev(struct ui *u)
{
	pager_step(u, false);
}

static void
fn_pager_page_down(struct ui *u)
{
	ui_pager_scroll(u, LINES > 5 ? LINES - 5 : 1);
}

static void
fn_pager_page_up(struct ui *u)
{
	ui_pager_scroll(u, -(LINES > 5 ? LINES - 5 : 1));
}

static void
fn_pager_line_down(struct ui *u)
{
	ui_pager_scroll(u, 1);
}

/* Enter: opens the link ^F/^B picked, else one line down. */
static void
fn_pager_enter(struct ui *u)
{
	if (!ui_pager_open_url(u))
		ui_pager_scroll(u, 1);
}

static void
fn_pager_next_url(struct ui *u)
{
	ui_pager_url(u, true);
}

static void
fn_pager_prev_url(struct ui *u)
{
	ui_pager_url(u, false);
}

static void
fn_pager_line_up(struct ui *u)
{
	ui_pager_scroll(u, -1);
}

static void
fn_pager_top(struct ui *u)
{
	u->pager.top = 0;
	u->dirty = true;
}

static void
fn_pager_bottom(struct ui *u)
{
	ui_pager_scroll(u, (long)u->pager.nlines);
}

static void
fn_pager_weed(struct ui *u)
{
	u->pager.full_headers = !u->pager.full_headers;
	ui_pager_open(u, u->pager.id);
}

static void
fn_pager_quoted(struct ui *u)
{
	u->pager.hide_quoted = !u->pager.hide_quoted;
	ui_pager_relayout(u);
	u->dirty = true;
}

static void
fn_pager_skip_quoted(struct ui *u)
{
	ui_pager_skip_quoted(u);
}

/* In the pager, d/u/F/N act on the message shown (the cursor's). */
static void
fn_pager_delete(struct ui *u)
{
	if (ui_folder_read_only(u)) /* folders: an mbox */
		return;
	change_flags(u, APP_MSG_DELETED, 0, false, false);
	pager_step(u, true);
}

/* ---- attachments --------------------------------------------------------- */

static void
fn_attach(struct ui *u)
{
	if (u->screen == UI_SCREEN_PAGER && u->pager.from_attach)
		return;
	ui_attach_open(u);
}

static void
fn_attach_down(struct ui *u)
{
	ui_attach_move(u, 1);
}

static void
fn_attach_up(struct ui *u)
{
	ui_attach_move(u, -1);
}

/* ---- writing mail: the file browser ---------------------------------------- */

static void
fn_browser_down(struct ui *u)
{
	ui_files_move(u, 1);
}

static void
fn_browser_up(struct ui *u)
{
	ui_files_move(u, -1);
}

/* ---- the tables -------------------------------------------------------- */

#define I UI_SCREEN_INDEX
#define P UI_SCREEN_PAGER
#define H UI_SCREEN_HELP
#define A UI_SCREEN_ATTACH
#define M UI_SCREEN_COMPOSE
#define B UI_SCREEN_FILES
#define W UI_SCREEN_BROWSER

static const struct ui_binding table[] = {
	{I, 'j', "j", "next-undeleted", fn_next},
	{I, CK(KEY_DOWN), "<Down>", "next-entry", fn_next},
	{I, 'k', "k", "previous-undeleted", fn_prev},
	{I, CK(KEY_UP), "<Up>", "previous-entry", fn_prev},
	{I, '\r', "<Enter>", "display-message", fn_display},
	{I, '\n', "<Return>", "display-message", fn_display},
	{I, CK(KEY_ENTER), "<KeypadEnter>", "display-message", fn_display},
	{I, ' ', "<Space>", "display-message", fn_display},
	{I, '=', "=", "first-entry", fn_first},
	{I, CK(KEY_HOME), "<Home>", "first-entry", fn_first},
	{I, '*', "*", "last-entry", fn_last},
	{I, CK(KEY_END), "<End>", "last-entry", fn_last},
	{I, CK(KEY_NPAGE), "<PageDown>", "next-page", fn_next_page},
	{I, 'z', "z", "next-page", fn_next_page},
	{I, CK(KEY_PPAGE), "<PageUp>", "previous-page", fn_prev_page},
	{I, 'Z', "Z", "previous-page", fn_prev_page},
	{I, ']', "]", "half-down", fn_half_down},
	{I, '[', "[", "half-up", fn_half_up},
	{I, 'o', "o", "sort-mailbox", fn_sort},
	{I, 'O', "O", "sort-reverse", fn_sort_reverse},
	{I, ESC('v'), "Esc-v", "collapse-thread", fn_collapse},
	{I, ESC('V'), "Esc-V", "collapse-all", fn_collapse_all},
	{I, CTRL('N'), "^N", "next-thread", fn_next_thread},
	{I, CTRL('P'), "^P", "previous-thread", fn_prev_thread},
	{I, 'N', "N", "toggle-new", fn_toggle_new},
	{I, 'F', "F", "flag-message", fn_flag},
	{I, 'd', "d", "delete-message", fn_delete},
	{I, 'u', "u", "undelete-message", fn_undelete},
	{I, '$', "$", "sync-mailbox", fn_sync},
	{I, ESC('$'), "Esc-$", "sync-account", ui_fn_sync_account}, /* background sync */
	{I, 's', "s", "save-message", fn_save},
	{I, 'C', "C", "copy-message", fn_copy},
	{I, 't', "t", "tag-entry", fn_tag},
	{I, 'T', "T", "tag-pattern", fn_tag_pattern},
	{I, ';', ";", "tag-prefix", fn_tag_prefix},
	{I, 'l', "l", "limit", fn_limit},
	{I, '/', "/", "search", fn_search},
	{I, ESC('/'), "Esc-/", "search-reverse", fn_search_reverse},
	{I, 'n', "n", "search-next", fn_search_next},
	{I, '\t', "<Tab>", "next-new-then-unread", fn_next_new},
	{I, 'c', "c", "change-folder", fn_change_folder},
	{I, '?', "?", "help", fn_help},
	{I, ':', ":", "enter-command", fn_command},
	{I, 'q', "q", "quit", ui_fn_quit},
	{I, 'x', "x", "exit", ui_fn_exit},
	{I, CTRL('L'), "^L", "redraw-screen", fn_redraw},
	{I, 'v', "v", "view-attachments", fn_attach},
	/* folders: the browser and NeoMutt's sidebar */
	{I, 'y', "y", "browse-mailboxes", ui_browser_mailboxes},
	{I, 'B', "B", "sidebar-toggle-visible", ui_sidebar_toggle},
	{P, 'B', "B", "sidebar-toggle-visible", ui_sidebar_toggle}, /* beside the pager too */
	{I, -1, "(unbound)", "sidebar-next", ui_sidebar_next},
	{I, -1, "(unbound)", "sidebar-prev", ui_sidebar_prev},
	{I, -1, "(unbound)", "sidebar-open", ui_sidebar_open},

	{P, ' ', "<Space>", "next-page", fn_pager_page_down},
	{P, CK(KEY_NPAGE), "<PageDown>", "next-page", fn_pager_page_down},
	{P, '-', "-", "previous-page", fn_pager_page_up},
	{P, CK(KEY_PPAGE), "<PageUp>", "previous-page", fn_pager_page_up},
	{P, '\r', "<Enter>", "next-line-or-open-url", fn_pager_enter},
	{P, '\n', "<Return>", "next-line-or-open-url", fn_pager_enter},
	{P, CTRL('F'), "^F", "next-url", fn_pager_next_url},
	{P, CTRL('B'), "^B", "previous-url", fn_pager_prev_url},
	{P, CK(KEY_DOWN), "<Down>", "next-line", fn_pager_line_down},
	{P, CK(KEY_BACKSPACE), "<Backspace>", "previous-line", fn_pager_line_up},
	{P, 127, "<Delete>", "previous-line", fn_pager_line_up},
	{P, CK(KEY_UP), "<Up>", "previous-line", fn_pager_line_up},
	{P, '^', "^", "top", fn_pager_top},
	{P, CK(KEY_HOME), "<Home>", "top", fn_pager_top},
	{P, CK(KEY_END), "<End>", "bottom", fn_pager_bottom},
	{P, 'j', "j", "next-undeleted", fn_pager_next},
	{P, 'J', "J", "next-entry", fn_pager_next},
	{P, 'k', "k", "previous-undeleted", fn_pager_prev},
	{P, 'K', "K", "previous-entry", fn_pager_prev},
	{P, 'i', "i", "exit", fn_pager_exit},
	{P, 'q', "q", "exit", fn_pager_exit},
	{P, 'x', "x", "exit", fn_pager_exit},
	{P, 'h', "h", "display-toggle-weed", fn_pager_weed},
	{P, 'T', "T", "toggle-quoted", fn_pager_quoted},
	{P, 'S', "S", "skip-quoted", fn_pager_skip_quoted},
	{P, '/', "/", "search", fn_search},
	{P, 'n', "n", "search-next", fn_search_next},
	{P, 'd', "d", "delete-message", fn_pager_delete},
	{P, 'F', "F", "flag-message", fn_flag},
	{P, 'N', "N", "toggle-new", fn_toggle_new},
	{P, 's', "s", "save-message", fn_save},
	{P, 'C', "C", "copy-message", fn_copy},
	{P, '?', "?", "help", fn_help},
	{P, ':', ":", "enter-command", fn_command},
	{P, CTRL('L'), "^L", "redraw-screen", fn_redraw},
	{P, 'v', "v", "view-attachments", fn_attach},

	{A, 'j', "j", "next-entry", fn_attach_down},
	{A, CK(KEY_DOWN), "<Down>", "next-entry", fn_attach_down},
	{A, 'k', "k", "previous-entry", fn_attach_up},
	{A, CK(KEY_UP), "<Up>", "previous-entry", fn_attach_up},
	{A, '\r', "<Enter>", "view-attach", ui_attach_view},
	{A, '\n', "<Return>", "view-attach", ui_attach_view},
	{A, 's', "s", "save-entry", ui_attach_save},
	{A, '|', "|", "pipe-entry", ui_attach_pipe},
	{A, 'q', "q", "exit", ui_attach_close},
	{A, 'i', "i", "exit", ui_attach_close},
	{A, '?', "?", "help", fn_help},
	{A, CTRL('L'), "^L", "redraw-screen", fn_redraw},
	/* attachments: mailcap */
	{A, 'm', "m", "view-mailcap", ui_attach_view_mailcap},

	/* folders: the browser (mutt's keys) */
	{W, 'j', "j", "next-entry", ui_browser_next},
	{W, CK(KEY_DOWN), "<Down>", "next-entry", ui_browser_next},
	{W, 'k', "k", "previous-entry", ui_browser_prev},
	{W, CK(KEY_UP), "<Up>", "previous-entry", ui_browser_prev},
	{W, '=', "=", "first-entry", ui_browser_first},
	{W, CK(KEY_HOME), "<Home>", "first-entry", ui_browser_first},
	{W, '*', "*", "last-entry", ui_browser_last},
	{W, CK(KEY_END), "<End>", "last-entry", ui_browser_last},
	{W, CK(KEY_NPAGE), "<PageDown>", "next-page", ui_browser_page_down},
	{W, 'z', "z", "next-page", ui_browser_page_down},
	{W, CK(KEY_PPAGE), "<PageUp>", "previous-page", ui_browser_page_up},
	{W, 'Z', "Z", "previous-page", ui_browser_page_up},
	{W, '\r', "<Enter>", "select-entry", ui_browser_select},
	{W, '\n', "<Return>", "select-entry", ui_browser_select},
	{W, CK(KEY_ENTER), "<KeypadEnter>", "select-entry", ui_browser_select},
	{W, ' ', "<Space>", "select-entry", ui_browser_select},
	{W, '/', "/", "search", ui_browser_search},
	{W, 'n', "n", "search-next", ui_browser_search_next},
	{W, 'c', "c", "change-folder", fn_change_folder},
	{W, 'q', "q", "exit", ui_browser_exit},
	{W, 'x', "x", "exit", ui_browser_exit},
	{W, '?', "?", "help", fn_help},
	{W, ':', ":", "enter-command", fn_command},
	{W, CTRL('L'), "^L", "redraw-screen", fn_redraw},

	{H, 'q', "q", "exit", fn_help_exit},
	{H, '?', "?", "exit", fn_help_exit},
	{H, 'j', "j", "next-line", fn_help_down},
	{H, CK(KEY_DOWN), "<Down>", "next-line", fn_help_down},
	{H, 'k', "k", "previous-line", fn_help_up},
	{H, CK(KEY_UP), "<Up>", "previous-line", fn_help_up},

	/* writing mail (compose*.c): mutt's keys */
	{I, 'm', "m", "mail", ui_fn_mail},
	{I, 'r', "r", "reply", ui_fn_reply},
	{I, 'g', "g", "group-reply", ui_fn_group_reply},
	{I, 'L', "L", "list-reply", ui_fn_list_reply},
	{I, 'f', "f", "forward-message", ui_fn_forward},
	{I, 'b', "b", "bounce-message", ui_fn_bounce},
	{I, 'R', "R", "recall-message", ui_fn_recall},
	{P, 'm', "m", "mail", ui_fn_mail},
	{P, 'r', "r", "reply", ui_fn_reply},
	{P, 'g', "g", "group-reply", ui_fn_group_reply},
	{P, 'L', "L", "list-reply", ui_fn_list_reply},
	{P, 'f', "f", "forward-message", ui_fn_forward},
	{P, 'b', "b", "bounce-message", ui_fn_bounce},
	{P, 'R', "R", "recall-message", ui_fn_recall},
	{M, 'y', "y", "send-message", ui_fn_compose_send},
	{M, 'a', "a", "attach-file", ui_fn_compose_attach},
	{M, 'D', "D", "detach-file", ui_fn_compose_detach},
	{M, 'd', "d", "edit-description", ui_fn_compose_description},
	{M, 'e', "e", "edit-message", ui_fn_compose_edit},
	{M, 'E', "E", "edit-headers", ui_fn_compose_edit_headers},
	{M, 't', "t", "edit-to", ui_fn_compose_to},
	{M, 'c', "c", "edit-cc", ui_fn_compose_cc},
	{M, 'b', "b", "edit-bcc", ui_fn_compose_bcc},
	{M, 's', "s", "edit-subject", ui_fn_compose_subject},
	{M, 'f', "f", "edit-from", ui_fn_compose_from},
	{M, ESC('f'), "Esc-f", "edit-from", ui_fn_compose_from},
	{M, 'r', "r", "edit-reply-to", ui_fn_compose_reply_to},
	{M, 'P', "P", "postpone-message", ui_fn_compose_postpone},
	{M, 'q', "q", "exit", ui_fn_compose_abort},
	{M, 'j', "j", "next-entry", ui_fn_compose_down},
	{M, CK(KEY_DOWN), "<Down>", "next-entry", ui_fn_compose_down},
	{M, 'k', "k", "previous-entry", ui_fn_compose_up},
	{M, CK(KEY_UP), "<Up>", "previous-entry", ui_fn_compose_up},
	{M, '?', "?", "help", fn_help},
	{M, CTRL('L'), "^L", "redraw-screen", fn_redraw},
	{B, 'j', "j", "next-entry", fn_browser_down},
	{B, CK(KEY_DOWN), "<Down>", "next-entry", fn_browser_down},
	{B, 'k', "k", "previous-entry", fn_browser_up},
	{B, CK(KEY_UP), "<Up>", "previous-entry", fn_browser_up},
	{B, '\r', "<Enter>", "select-entry", ui_files_select},
	{B, '\n', "<Return>", "select-entry", ui_files_select},
	{B, 'q', "q", "exit", ui_files_close},
	{B, '?', "?", "help", fn_help},
	{B, CTRL('L'), "^L", "redraw-screen", fn_redraw},
};

const struct ui_binding *
ui_keys_table(size_t *n)
{
	*n = QU_ARRAY_LEN(table);
	return table;
}

/* ---- the key list of quail-ui(1) ----------------------------------------- */

/* The screens' headings in quail-ui(1), by enum ui_screen. A screen not
 * named here is listed as "Screen N" (the page then says so). */
static const char *
screen_title(enum ui_screen s)
{
	static const char *const names[] = {
		[UI_SCREEN_INDEX] = "Index",
		[UI_SCREEN_PAGER] = "Pager",
		[UI_SCREEN_HELP] = "Help",
		[UI_SCREEN_ATTACH] = "Attachments",
		[UI_SCREEN_COMPOSE] = "Compose",
		[UI_SCREEN_FILES] = "File browser",
		[UI_SCREEN_BROWSER] = "Folder browser",
	};
	return (size_t)s < QU_ARRAY_LEN(names) && names[s] ? names[s] : NULL;
}

void
ui_keys_list(FILE *out)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(table); i++) {
		const char *t = screen_title(table[i].screen);
		if (t)
			fprintf(out, "%s\t%s\t%s\n", t, table[i].name, table[i].func);
		else
			fprintf(out, "Screen %d\t%s\t%s\n", (int)table[i].screen, table[i].name,
				table[i].func);
	}
}

int
ui_keys_named(const char *name)
{
	static const struct {
		const char *name;
		int key;
	} t[] = {
		{"<Enter>", '\r'}, {"<Return>", '\n'}, {"<Tab>", '\t'}, {"<Space>", ' '},
		{"<Esc>", 27}, {"<Up>", CK(KEY_UP)}, {"<Down>", CK(KEY_DOWN)},
		{"<Left>", CK(KEY_LEFT)}, {"<Right>", CK(KEY_RIGHT)}, {"<Home>", CK(KEY_HOME)},
		{"<End>", CK(KEY_END)}, {"<PageUp>", CK(KEY_PPAGE)}, {"<PageDown>", CK(KEY_NPAGE)},
		{"<Backspace>", CK(KEY_BACKSPACE)}, {"<Delete>", CK(KEY_DC)},
		{"<Insert>", CK(KEY_IC)},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++)
		if (strcasecmp(t[i].name, name) == 0)
			return t[i].key;
	return 0;
}

int
ui_keys_bind(struct ui *u, enum ui_screen screen, int key, const char *func)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(table); i++)
		if (table[i].screen == screen && strcmp(table[i].func, func) == 0) {
			u->binds = xgrow(u->binds, &u->binds_alloc, u->nbinds + 1, sizeof *u->binds);
			u->binds[u->nbinds++] = (struct ui_user_binding){screen, key, table[i].fn};
			return 0;
		}
	return -1;
}

bool
ui_keys_dispatch(struct ui *u, int key)
{
	/* Bindings from [ui] first, the last one for a key winning. */
	for (size_t i = u->nbinds; i-- > 0;)
		if (u->binds[i].screen == u->screen && u->binds[i].key == key) {
			u->binds[i].fn(u);
			return true;
		}
	for (size_t i = 0; i < QU_ARRAY_LEN(table); i++)
		if (table[i].screen == u->screen && table[i].key == key) {
			table[i].fn(u);
			return true;
		}
	return false;
}

static bool
exec_function(struct ui *u, const char *name)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(table); i++)
		if (table[i].screen == u->screen && strcmp(table[i].func, name) == 0) {
			table[i].fn(u);
			return true;
		}
	return false;
}

/* ---- `:` commands ------------------------------------------------------ */

static int
cmd_set(struct ui *u, const char *arg)
{
	if (strcmp(arg, "threads=yes") == 0 || strcmp(arg, "threads") == 0)
		ui_index_sort(u, "threads");
	else if (strcmp(arg, "threads=no") == 0 || strcmp(arg, "nothreads") == 0)
		ui_index_sort(u, "date");
	else if (qu_str_has_prefix(arg, "sort="))
		ui_index_sort(u, arg + 5);
	else {
		ui_message(u, true, "%s: unknown variable", arg);
		return -1;
	}
	return 0;
}

/* ---- the `:` command list ---------------------------------------------- */

/* Every command ui_command runs, with its other names (space-separated),
 * its argument and one line about it. ui_command refuses a name that is
 * not here, and quail-ui(1)'s COMMANDS is made from this list
 * (`quail ui --list-commands`, doc/gen-keys.py), so the page names every
 * command the UI takes. */
static const struct {
	const char *name, *aliases, *args, *summary;
} commands[] = {
	{"sort", "", "ORDER",
	 "Sort the index by date, date-sent, received, date-received, from, to, subject, size, "
	 "threads or unsorted; reverse- in front reverses it."},
	{"limit", "", "PATTERN",
	 "Show only the messages that match the pattern (mutt's ~ patterns); all, ~A or . "
	 "shows all again."},
	{"set", "", "VARIABLE",
	 "Set a variable: threads=yes (or threads), threads=no (or nothreads), sort=ORDER."},
	{"cd", "change-folder", "FOLDER", "Open another folder (=FOLDER under the account's root)."},
	{"sync", "sync-mailbox", "", "Purge the messages marked deleted now (not in an mbox opened read-only)."},
	{"quit", "q", "", "Leave the folder, purging the messages marked deleted as [ui] delete says."},
	{"exit", "", "", "Leave at once; messages marked deleted stay."},
	{"search", "", "PATTERN", "Move to the next message that matches the pattern."},
	{"tag-pattern", "", "PATTERN", "Tag the messages that match the pattern."},
	{"exec", "push", "FUNCTION",
	 "Run a function of the current screen by its mutt name, as a key bound to it would."},
	/* background sync */
	{"sync-account", "", "", "Run quail sync of the open folder now, in the background."},
};

/* Whether cmd is a name or another name of a command in the list. */
static bool
command_known(const char *cmd)
{
	size_t n = strlen(cmd);
	for (size_t i = 0; i < QU_ARRAY_LEN(commands); i++) {
		if (strcmp(commands[i].name, cmd) == 0)
			return true;
		for (const char *a = commands[i].aliases; n && (a = strstr(a, cmd)); a += n)
			if ((a == commands[i].aliases || a[-1] == ' ') && (a[n] == ' ' || !a[n]))
				return true;
	}
	return false;
}

void
ui_commands_list(FILE *out)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(commands); i++)
		fprintf(out, "%s\t%s\t%s\t%s\n", commands[i].name, commands[i].aliases,
			commands[i].args, commands[i].summary);
}

int
ui_command(struct ui *u, const char *line)
{
	while (*line == ' ')
		line++;
	char cmd[64];
	size_t n = strcspn(line, " ");
	if (n >= sizeof cmd) {
		ui_message(u, true, "%s: unknown command", line);
		return -1;
	}
	memcpy(cmd, line, n);
	cmd[n] = '\0';
	const char *arg = line + n;
	while (*arg == ' ')
		arg++;
	if (!command_known(cmd)) {
		ui_message(u, true, "%s: unknown command", cmd);
		return -1;
	}
	if (strcmp(cmd, "sort") == 0)
		ui_index_sort(u, arg);
	else if (strcmp(cmd, "limit") == 0)
		ui_index_limit(u, arg);
	else if (strcmp(cmd, "set") == 0)
		return cmd_set(u, arg);
	else if (strcmp(cmd, "cd") == 0 || strcmp(cmd, "change-folder") == 0)
		change_answer(u, arg);
	else if (strcmp(cmd, "sync") == 0 || strcmp(cmd, "sync-mailbox") == 0)
		fn_sync(u);
	else if (strcmp(cmd, "sync-account") == 0) /* background sync */
		ui_fn_sync_account(u);
	else if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "q") == 0)
		ui_fn_quit(u);
	else if (strcmp(cmd, "exit") == 0)
		ui_fn_exit(u);
	else if (strcmp(cmd, "search") == 0)
		search_fwd(u, arg);
	else if (strcmp(cmd, "tag-pattern") == 0)
		tag_pattern_answer(u, arg);
	else if (strcmp(cmd, "exec") == 0 || strcmp(cmd, "push") == 0) {
		if (!exec_function(u, arg)) {
			ui_message(u, true, "%s: no such function here", arg);
			return -1;
		}
	} else {
		ui_message(u, true, "%s: unknown command", cmd);
		return -1;
	}
	return 0;
}
