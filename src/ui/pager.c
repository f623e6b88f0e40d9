/*
 * The pager: one message, decoded and rendered by app_message_view on a
 * worker (the UI shows "Loading..." and stays live meanwhile), every
 * line sanitised again for the screen (bidi controls, invisible format
 * characters) and wrapped to the width by cells. Opening a message marks
 * it seen at once (a rename of its Maildir file).
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
#include "ui/uitext.h"

static size_t
text_rows(void)
{
	return LINES > 3 ? (size_t)(LINES - 3) : 1;
}

static void
load_run(struct ui_job *j)
{
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_LOADED;
	m->req = j->req;
	m->id = j->id;
	if (qu_cancel_check(j->cancel, &m->err) < 0) {
		m->rc = -1;
		ui_pool_post(j->pool, m);
		return;
	}
	struct app_reader *r = app_reader_new();
	struct qu_buf *view = xcalloc(1, sizeof *view);
	qu_buf_init(view, SIZE_MAX);
	struct app_pager_opts o = {.full_headers = j->full_headers, .html_mailcap = j->mailcap};
	app_message_view(r, j->bytes.data ? j->bytes.data : "", j->bytes.len, &o, view);
	app_reader_free(r);
	m->payload = view;
	ui_pool_post(j->pool, m);
}

void
ui_pager_close(struct ui *u)
{
	struct ui_pager *p = &u->pager;
	if (p->loading && u->pool)
		ui_pool_cancel(u->pool, p->req);
	free(p->text);
	free(p->lines);
	free(p->subject);
	free(p->url);
	memset(p, 0, sizeof *p);
}

void
ui_pager_open(struct ui *u, size_t id)
{
	bool full = u->pager.full_headers;
	ui_pager_close(u);
	struct ui_pager *p = &u->pager;
	p->full_headers = full;
	p->id = id;
	struct ui_job *j = xcalloc(1, sizeof *j);
	qu_buf_init(&j->bytes, SIZE_MAX);
	struct qu_err err = {0};
	if (app_view_read(u->view, id, &j->bytes, &err) < 0) {
		qu_buf_clear(&j->bytes);
		free(j);
		ui_message(u, true, "%s", err.msg);
		ui_index_fix_cursor(u); /* a file gone took its row along */
		u->dirty = true;
		return;
	}
	size_t row = app_view_find(u->view, id);
	struct app_row r;
	if (row != SIZE_MAX && app_view_row(u->view, row, &r) && r.subject)
		p->subject = ui_text_sanitize(r.subject, strlen(r.subject), UI_TEXT_FIELD);
	j->run = load_run;
	j->id = id;
	j->full_headers = full;
	/* attachments: [ui] html = mailcap */
	j->mailcap = u->html_mailcap ? ui_viewer_mailcap(u) : NULL;
	p->loading = true;
	p->req = ui_pool_submit(u->pool, j);
	u->screen = UI_SCREEN_PAGER;
	/* Read at once: the file name says so now (SPEC §8). */
	if (row != SIZE_MAX && !(r.flags & APP_MSG_SEEN) &&
		app_view_set_flags(u->view, id, APP_MSG_SEEN, 0, &err) < 0)
		ui_message(u, true, "%s", err.msg);
	u->dirty = true;
}

static void
push_line(struct ui_pager *p, size_t off, size_t len, char mark, unsigned quote)
{
	p->lines = xgrow(p->lines, &p->alloc, p->nlines + 1, sizeof *p->lines);
	p->lines[p->nlines++] = (struct ui_pline){off, len, mark, quote};
}

/* Cuts one sanitised line into pieces of at most width cells, at a space
 * when there is one in the piece. */
static void
wrap_line(struct ui_pager *p, size_t off, size_t len, char mark, unsigned quote, size_t width)
{
	const char *s = p->text + off;
	if (len == 0) {
		push_line(p, off, 0, mark, quote);
		return;
	}
	while (len > 0) {
		size_t cells;
		size_t take = qu_utf8_fit(s, len, width, &cells);
		if (take == 0)
			take = len; /* a cluster wider than the screen */
		if (take < len) {
			size_t sp = take;
			while (sp > 0 && s[sp - 1] != ' ')
				sp--;
			if (sp > take / 2)
				take = sp;
		}
		push_line(p, (size_t)(s - p->text), take, mark, quote);
		s += take;
		len -= take;
	}
}

void
ui_pager_relayout(struct ui *u)
{
	struct ui_pager *p = &u->pager;
	p->nlines = 0;
	/* Beside the sidebar when it shows: the text wraps in what is left. */
	int cols = COLS - (int)ui_sidebar_cols(u);
	p->width = cols;
	size_t width = cols > 1 ? (size_t)cols : 1;
	for (size_t i = 0; i < p->len;) {
		const char *nl = memchr(p->text + i, '\n', p->len - i);
		size_t e = nl ? (size_t)(nl - p->text) : p->len;
		char mark = p->text[i];
		unsigned q = 0;
		size_t start = i + 1;
		if (mark == 'q' && start < e) {
			q = (unsigned)(p->text[start] - '0');
			start++;
		}
		if (!(mark == 'q' && p->hide_quoted))
			wrap_line(p, start, e - start, mark, q, width);
		i = e + 1;
	}
	if (p->top >= p->nlines)
		p->top = p->nlines ? p->nlines - 1 : 0;
}

/* Keeps the mark bytes and sanitises the rest of each line again for
 * the screen: app escaped the controls, this drops the invisible format
 * characters and bidi overrides (SPEC §8). */
static char *
screen_text(const char *v, size_t n, size_t *out_len)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(v + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - v) : n;
		size_t head = v[i] == 'q' && e - i >= 2 ? 2 : 1;
		qu_buf_append(&b, v + i, head);
		ui_text_sanitize_buf(&b, v + i + head, e - i - head, UI_TEXT_FIELD);
		qu_buf_append_byte(&b, '\n');
		i = e + 1;
	}
	char *s = qu_buf_steal(&b, out_len);
	return s ? s : xstrdup("");
}

void
ui_pager_loaded(struct ui *u, struct ui_msg *m)
{
	struct ui_pager *p = &u->pager;
	if (!p->loading || m->req != p->req)
		return; /* a message the user has left */
	p->loading = false;
	u->dirty = true;
	if (m->rc < 0) {
		ui_message(u, true, "%s", m->err.msg);
		return;
	}
	struct qu_buf *v = m->payload;
	free(p->text);
	p->text = screen_text(v->data ? v->data : "", v->len, &p->len);
	p->top = 0;
	ui_pager_relayout(u);
}

void
ui_pager_show(struct ui *u, const char *marked, size_t n)
{
	size_t id = u->pager.id;
	ui_pager_close(u);
	struct ui_pager *p = &u->pager;
	p->id = id;
	p->from_attach = true;
	p->text = screen_text(marked, n, &p->len);
	u->screen = UI_SCREEN_PAGER;
	ui_pager_relayout(u);
	u->dirty = true;
}

static int
line_attr(const struct ui_pline *l)
{
	if (l->mark == 'h')
		return ui_attr(UI_C_HEADER);
	if (l->mark == 'q')
		return ui_attr(l->quote % 3 == 1 ? UI_C_QUOTE1 : l->quote % 3 == 2 ? UI_C_QUOTE2
										: UI_C_QUOTE3);
	if (l->mark == 'a')
		return ui_attr(UI_C_MARKER);
	return A_NORMAL;
}

void
ui_pager_draw(struct ui *u)
{
	struct ui_pager *p = &u->pager;
	/* ui_term_cols: the columns right of the sidebar, when it shows. */
	int cols = ui_term_cols();
	if (p->width != cols && p->text)
		ui_pager_relayout(u);
	ui_put(0, 0, "i:Exit  -:PrevPg  <Space>:NextPg  v:View Attachm.  d:Del  r:Reply  j:Next  ?:Help",
		(size_t)cols, ui_attr(UI_C_STATUS));
	size_t rows = text_rows();
	for (size_t i = 0; i < rows; i++) {
		size_t li = p->top + i;
		if (p->loading && i == 0) {
			ui_put(1, 0, "Loading...", (size_t)cols, (int)A_NORMAL);
			continue;
		}
		if (!p->text || li >= p->nlines) {
			ui_put((int)i + 1, 0, li == p->nlines && p->text ? "~" : "", (size_t)cols,
				A_NORMAL);
			continue;
		}
		const struct ui_pline *l = &p->lines[li];
		char *s = xstrndup(p->text + l->off, l->len);
		ui_put((int)i + 1, 0, s, (size_t)cols, line_attr(l));
		free(s);
	}
	size_t pct = p->nlines <= rows ? 100 : (p->top + rows) * 100 / p->nlines;
	if (pct > 100)
		pct = 100;
	char *st = xasprintf("-%s- %s -- (%s%zu%%)", p->loading ? "L" : "-",
		p->subject ? p->subject : "", pct == 100 ? "all " : "", pct);
	if (pct == 100 && p->nlines > rows)
		memcpy(strstr(st, "(all "), "(end ", 5);
	ui_put(LINES - 2, 0, st, (size_t)cols, ui_attr(UI_C_STATUS));
	free(st);
}

void
ui_pager_scroll(struct ui *u, long lines)
{
	struct ui_pager *p = &u->pager;
	size_t rows = text_rows();
	long top = (long)p->top + lines;
	long max = p->nlines > rows ? (long)(p->nlines - rows) : 0;
	if (lines > 0 && (long)p->top >= max) {
		ui_message(u, false, "Bottom of message is shown.");
		return;
	}
	if (top > max)
		top = max;
	if (top < 0) {
		if (p->top == 0)
			ui_message(u, false, "Top of message is shown.");
		top = 0;
	}
	p->top = (size_t)top;
	u->dirty = true;
}

void
ui_pager_search(struct ui *u, const char *pattern, bool next)
{
	struct ui_pager *p = &u->pager;
	if (!pattern || !*pattern || !p->text)
		return;
	size_t n = strlen(pattern);
	size_t start = next ? p->top + 1 : p->top;
	for (size_t k = 0; k < p->nlines; k++) {
		size_t li = (start + k) % p->nlines;
		const struct ui_pline *l = &p->lines[li];
		for (size_t i = 0; i + n <= l->len; i++)
			if (strncasecmp(p->text + l->off + i, pattern, n) == 0) {
				p->top = li;
				u->dirty = true;
				return;
			}
	}
	ui_message(u, true, "Not found.");
}

/* Scrolls to the first line after the quoted block at the top (mutt's
 * skip-quoted). */
void
ui_pager_skip_quoted(struct ui *u)
{
	struct ui_pager *p = &u->pager;
	size_t i = p->top;
	while (i < p->nlines && p->lines[i].mark != 'q')
		i++;
	while (i < p->nlines && p->lines[i].mark == 'q')
		i++;
	if (i >= p->nlines) {
		ui_message(u, true, "No more unquoted text after quoted text.");
		return;
	}
	p->top = i;
	u->dirty = true;
}

/* Picks the next (or previous) link after the one picked, line by line
 * (ui_url_find: http, https, ftp, mailto and www. forms). */
void
ui_pager_url(struct ui *u, bool forward)
{
	struct ui_pager *p = &u->pager;
	if (!p->text || !p->nlines)
		return;
	size_t line = p->url ? p->url_line : p->top;
	for (size_t k = 0; k <= p->nlines; k++) {
		size_t li = forward ? line + k : line - k;
		if (li >= p->nlines)
			break;
		const struct ui_pline *l = &p->lines[li];
		size_t n = 0;
		struct ui_url *v = ui_url_find(p->text + l->off, l->len, &n);
		long pick = -1;
		size_t cur_start = p->url ? p->url_end - strlen(p->url) : 0;
		for (size_t i = 0; i < n; i++) {
			if (p->url && li == line &&
				(forward ? v[i].start < p->url_end : v[i].start >= cur_start))
				continue;
			pick = (long)i;
			if (forward)
				break;
		}
		if (pick >= 0) {
			free(p->url);
			p->url = xstrndup(p->text + l->off + v[pick].start, v[pick].end - v[pick].start);
			p->url_line = li;
			p->url_end = v[pick].end;
			size_t rows = text_rows();
			if (li < p->top || li >= p->top + rows)
				p->top = li;
			ui_message(u, false, "URL: %s  (Enter opens it)", p->url);
			free(v);
			return;
		}
		free(v);
	}
	ui_message(u, true, forward ? "No more links." : "No links above.");
}

bool
ui_pager_open_url(struct ui *u)
{
	struct ui_pager *p = &u->pager;
	if (!p->url)
		return false;
	const char *prog = u->url_command ? u->url_command : "xdg-open";
	int st = ui_term_run_arg(prog, p->url);
	clearok(curscr, TRUE);
	if (st != 0)
		ui_message(u, true, "%s exited with %d.", prog, st);
	free(p->url);
	p->url = NULL;
	u->dirty = true;
	return true;
}
