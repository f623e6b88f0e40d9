/*
 * The attachment list (`v`, SPEC §8): the MIME tree of the message under
 * the cursor, one part per row. `s` saves a part under a safe name
 * (SPEC §6), Enter views a part (text/plain in the pager, as mutt does;
 * else its mailcap entry, else a text part in the pager, else xdg-open;
 * viewer.c), `m` views it through mailcap
 * only, `|` pipes a part's content to a command with the terminal given
 * back meanwhile. The files inside a TNEF part (winmail.dat) are rows of
 * their own under it.
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

static void
attach_clear(struct ui_attach *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].line);
		free(a->v[i].type);
		free(a->v[i].charset);
		free(a->v[i].name);
	}
	free(a->v);
	qu_buf_clear(&a->msg);
	memset(a, 0, sizeof *a);
}

static void
on_part(void *ctx, size_t i, const struct app_attachment *p)
{
	struct ui_attach *a = ctx;
	a->v = xgrow(a->v, &a->alloc, a->n + 1, sizeof *a->v);
	char size[16];
	ui_format_size(p->size, size, sizeof size);
	char *name = p->filename ? ui_text_sanitize(p->filename, strlen(p->filename), UI_TEXT_FIELD)
				 : xstrdup("");
	char *type = ui_text_sanitize(p->type, strlen(p->type), UI_TEXT_FIELD);
	a->v[a->n].line = xasprintf("%3zu %*s%s %-30s [%s, %s]", i + 1, (int)(2 * p->depth), "",
		p->is_text ? "T" : "-", name, type, size);
	a->v[a->n].is_text = p->is_text;
	a->v[a->n].part = p->part;
	a->v[a->n].sub = p->sub;
	a->v[a->n].type = xstrdup(p->type);
	a->v[a->n].charset = p->charset ? xstrdup(p->charset) : NULL;
	a->v[a->n].name = p->filename ? xstrdup(p->filename) : NULL;
	a->n++;
	free(name);
	free(type);
}

void
ui_attach_open(struct ui *u)
{
	if (u->cursor_id == SIZE_MAX)
		return;
	struct ui_attach *a = &u->attach;
	attach_clear(a);
	qu_buf_init(&a->msg, SIZE_MAX);
	struct qu_err err = {0};
	if (app_view_read(u->view, u->cursor_id, &a->msg, &err) < 0) {
		ui_message(u, true, "%s", err.msg);
		ui_index_fix_cursor(u); /* a file gone took its row along */
		u->dirty = true;
		return;
	}
	app_message_parts(a->msg.data ? a->msg.data : "", a->msg.len, on_part, a);
	a->from = u->screen;
	u->screen = UI_SCREEN_ATTACH;
	u->dirty = true;
}

void
ui_attach_close(struct ui *u)
{
	enum ui_screen back = u->attach.from;
	attach_clear(&u->attach);
	u->screen = back == UI_SCREEN_PAGER ? UI_SCREEN_PAGER : UI_SCREEN_INDEX;
	u->dirty = true;
}

void
ui_attach_draw(struct ui *u)
{
	struct ui_attach *a = &u->attach;
	ui_put(0, 0, "q:Exit  s:Save  |:Pipe  <Enter>:View  m:Mailcap  ?:Help", (size_t)COLS,
		ui_attr(UI_C_STATUS));
	size_t rows = LINES > 3 ? (size_t)(LINES - 3) : 1;
	if (a->cursor < a->top)
		a->top = a->cursor;
	if (a->cursor >= a->top + rows)
		a->top = a->cursor - rows + 1;
	for (size_t i = 0; i < rows; i++) {
		size_t k = a->top + i;
		const char *l = k < a->n ? a->v[k].line : "";
		ui_put((int)i + 1, 0, l, (size_t)COLS,
			k == a->cursor ? ui_attr(UI_C_INDICATOR) : (int)A_NORMAL);
	}
	ui_put(LINES - 2, 0, "---Attachments", (size_t)COLS, ui_attr(UI_C_STATUS));
}

void
ui_attach_move(struct ui *u, long d)
{
	struct ui_attach *a = &u->attach;
	long c = (long)a->cursor + d;
	if (c < 0 || (size_t)c >= a->n)
		return;
	a->cursor = (size_t)c;
	u->dirty = true;
}

static void
save_answer(struct ui *u, const char *dir)
{
	struct ui_attach *a = &u->attach;
	if (!dir)
		return;
	struct qu_err err = {0};
	char *saved = NULL;
	if (a->cursor >= a->n)
		return;
	if (app_message_save_part_sub(u->reader, a->msg.data, a->msg.len, a->v[a->cursor].part,
		    a->v[a->cursor].sub, *dir ? dir : ".", &saved, &err) < 0)
		ui_message(u, true, "%s", err.msg);
	else
		ui_message(u, false, "Saved %s", saved);
	free(saved);
}

void
ui_attach_save(struct ui *u)
{
	ui_ask(u, "Save to directory: ", save_answer, false);
}

static void
pipe_answer(struct ui *u, const char *cmd)
{
	struct ui_attach *a = &u->attach;
	if (!cmd || !*cmd || a->cursor >= a->n)
		return;
	struct qu_err err = {0};
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	if (app_message_part_sub(u->reader, a->msg.data, a->msg.len, a->v[a->cursor].part,
		    a->v[a->cursor].sub, false, &out, &err) < 0) {
		ui_message(u, true, "%s", err.msg);
	} else {
		int st = ui_term_run(cmd, out.data ? out.data : "", out.len);
		ui_message(u, st != 0, "Command exited with %d.", st);
	}
	qu_buf_clear(&out);
	clearok(curscr, TRUE);
	u->dirty = true;
}

void
ui_attach_pipe(struct ui *u)
{
	ui_ask(u, "Pipe to command: ", pipe_answer, false);
}

/* The built-in view of a text part: its text, one 'b' line per line. */
static void
view_text(struct ui *u)
{
	struct ui_attach *a = &u->attach;
	struct qu_err err = {0};
	struct qu_buf text, marked;
	qu_buf_init(&text, SIZE_MAX);
	qu_buf_init(&marked, SIZE_MAX);
	if (app_message_part_sub(u->reader, a->msg.data, a->msg.len, a->v[a->cursor].part, 0, true,
		    &text, &err) < 0) {
		ui_message(u, true, "%s", err.msg);
	} else {
		const char *t = text.data ? text.data : "";
		for (size_t i = 0; i < text.len;) {
			const char *nl = memchr(t + i, '\n', text.len - i);
			size_t e = nl ? (size_t)(nl - t) : text.len;
			qu_buf_append_byte(&marked, 'b');
			qu_buf_append(&marked, t + i, e - i);
			qu_buf_append_byte(&marked, '\n');
			i = e + 1;
		}
		ui_pager_show(u, marked.data ? marked.data : "", marked.len);
	}
	qu_buf_clear(&text);
	qu_buf_clear(&marked);
}

/* Enter (view-attach) and m (view-mailcap): the mailcap entry for the
 * part's type; without one, Enter shows a text part itself and hands
 * anything else to xdg-open. */
static void
view(struct ui *u, bool mailcap_only)
{
	struct ui_attach *a = &u->attach;
	if (a->cursor >= a->n)
		return;
	struct qu_err err = {0};
	struct qu_buf raw;
	qu_buf_init(&raw, SIZE_MAX);
	if (app_message_part_sub(u->reader, a->msg.data, a->msg.len, a->v[a->cursor].part,
		    a->v[a->cursor].sub, false, &raw, &err) < 0) {
		ui_message(u, true, "%s", err.msg);
		qu_buf_clear(&raw);
		return;
	}
	struct ui_view_req r = {
		.data = raw.data ? raw.data : "",
		.len = raw.len,
		.type = a->v[a->cursor].type,
		.charset = a->v[a->cursor].charset,
		.name = a->v[a->cursor].name,
		.is_text = a->v[a->cursor].is_text,
	};
	int rc = ui_viewer_open(u, &r, mailcap_only);
	qu_buf_clear(&raw);
	if (rc == 1)
		view_text(u);
	u->dirty = true;
}

void
ui_attach_view(struct ui *u)
{
	view(u, false);
}

void
ui_attach_view_mailcap(struct ui *u)
{
	view(u, true);
}
