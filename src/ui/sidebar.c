/*
 * The sidebar (NeoMutt's, SPEC §8): the folders under the root in a
 * column left of the index and of the pager, each with its unread and total counts, the
 * open one in the indicator colour. `[ui] sidebar` shows it at start,
 * `B` (sidebar-toggle-visible) shows or hides it; sidebar-next,
 * sidebar-prev and sidebar-open (unbound, as in NeoMutt: bind them in
 * [ui] or run them with `:exec`) move a highlight and open its folder.
 *
 * It draws from the browser's listing (browser.c), taken again every
 * mail_check seconds on a worker, and the open folder's counts come from
 * its view, so a flag changed is shown at the next draw. Drawing goes
 * through the same cells as the rest: only cells that change are sent
 * to the terminal, the index beside it is not redrawn for it.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "util/util.h"
#include "app/app.h"
#include "ui/private.h"
#include "ui/uitext.h"

/* NeoMutt's default sidebar_width. */
#define SIDEBAR_WIDTH 30

/* The columns the sidebar takes (without its divider); 0 when hidden or
 * when the terminal is too narrow to share. */
static size_t
width(const struct ui *u)
{
	if (!u->fo.sidebar || COLS < 20 || LINES < 3)
		return 0;
	size_t w = u->fo.sidebar_width ? u->fo.sidebar_width : SIDEBAR_WIDTH;
	if (w > (size_t)COLS / 2)
		w = (size_t)COLS / 2;
	return w;
}

size_t
ui_sidebar_cols(const struct ui *u)
{
	size_t w = width(u);
	return w ? w + 1 : 0;
}

static size_t
highlighted(const struct ui *u)
{
	return u->fo.sb_moved ? u->fo.sb_hl : u->fo.current;
}

/* "name ...... unread/total": the counts right-aligned, the name fitted
 * by cells before them (CJK names take two cells a character). */
static void
entry_text(struct ui *u, size_t i, struct qu_buf *b, size_t w)
{
	size_t total, unread;
	char nums[48] = "";
	if (ui_folders_counts(u, i, &total, &unread))
		snprintf(nums, sizeof nums, " %zu/%zu", unread, total);
	size_t nn = strlen(nums);
	if (nn + 1 > w)
		nums[0] = '\0', nn = 0;
	char *name = ui_folders_name(u, i);
	ui_text_fit_buf(b, name, strlen(name), w - nn, true, "\xe2\x80\xa6");
	free(name);
	qu_buf_append_str(b, nums);
}

void
ui_sidebar_draw(struct ui *u)
{
	ui_term_left(0);
	size_t w = width(u);
	if (!w)
		return;
	const struct ui_folders *fo = &u->fo;
	size_t rows = (size_t)LINES - 1, hl = highlighted(u);
	size_t top = hl != SIZE_MAX && hl >= rows ? hl - rows + 1 : 0;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	const char *bar = ui_term_utf8() ? "\xe2\x94\x82" : "|";
	for (size_t r = 0; r < rows; r++) {
		size_t i = top + r;
		qu_buf_reset(&b);
		int attr = (int)A_NORMAL;
		if (i < fo->list.n) {
			entry_text(u, i, &b, w);
			size_t total, unread;
			if (i == fo->current)
				attr = ui_attr(UI_C_INDICATOR);
			else if (i == hl)
				attr = (int)A_UNDERLINE;
			if (ui_folders_counts(u, i, &total, &unread) && unread)
				attr |= (int)A_BOLD;
		}
		ui_put((int)r, 0, b.data ? b.data : "", w, attr);
		ui_put((int)r, (int)w, bar, 1, (int)A_NORMAL);
	}
	qu_buf_clear(&b);
	ui_term_left((int)w + 1);
}

void
ui_sidebar_toggle(struct ui *u)
{
	u->fo.sidebar = !u->fo.sidebar;
	if (u->fo.sidebar)
		ui_folders_refresh(u);
	/* Every row of the index moves: drawn afresh. */
	clearok(curscr, TRUE);
	u->dirty = true;
}

static void
step(struct ui *u, bool down)
{
	const struct ui_folders *fo = &u->fo;
	if (!fo->sidebar || !fo->list.n)
		return;
	size_t hl = highlighted(u);
	if (hl == SIZE_MAX)
		hl = 0;
	else if (down && hl + 1 < fo->list.n)
		hl++;
	else if (!down && hl > 0)
		hl--;
	u->fo.sb_hl = hl;
	u->fo.sb_moved = true;
	u->dirty = true;
}

void
ui_sidebar_next(struct ui *u)
{
	step(u, true);
}

void
ui_sidebar_prev(struct ui *u)
{
	step(u, false);
}

void
ui_sidebar_open(struct ui *u)
{
	size_t hl = highlighted(u);
	if (!u->fo.sidebar || hl >= u->fo.list.n)
		return;
	char *path = xstrdup(u->fo.list.v[hl].path);
	ui_folder_leave(u, path);
	free(path);
}
