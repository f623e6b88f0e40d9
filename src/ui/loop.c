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
#include <unistd.h>

#include <curses.h>

#include "util/util.h"
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
	u->dirty = true;
}

/* Tab in a folder prompt: the longest common start of the completions. */
static void
complete(struct ui *u)
{
	struct ui_prompt *p = &u->prompt;
	size_t n;
	char **c = app_view_complete(p->buf, u->root, &n);
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

/* ---- reading a folder on a worker ------------------------------------- */

static void
scan_batch(void *ctx, struct app_view_batch *b)
{
	struct ui_job *j = ctx;
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_BATCH;
	m->req = j->req;
	m->payload = b;
	ui_pool_post(j->pool, m);
}

static void
scan_run(struct ui_job *j)
{
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_SCANNED;
	m->req = j->req;
	bool need_index = false;
	m->rc = app_view_load(j->path, j->cancel, scan_batch, j, &need_index, &m->err);
	int rc = m->rc;
	ui_pool_post(j->pool, m); /* the UI's from here on */
	/* A folder shown from its files is indexed now, for the next open;
	 * leaving the folder (or quitting) cancels it, and what was written
	 * stays. */
	struct qu_err err = {0};
	if (rc == 0 && need_index)
		app_view_index(j->path, j->cancel, &err);
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
	/* The folder left is no longer awaited: its read is canceled. */
	if (u->scan_req)
		ui_pool_cancel(u->pool, u->scan_req);
	if (u->view) {
		app_view_expunge(u->view, &err);
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
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = scan_run;
	j->path = xstrdup(u->folder);
	u->scan_req = ui_pool_submit(u->pool, j);
	u->screen = UI_SCREEN_INDEX;
	u->dirty = true;
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

static void
handle_msg(struct ui *u, struct ui_msg *m)
{
	switch (m->kind) {
	case UI_MSG_BATCH:
		if (m->req != u->scan_req)
			break;
		app_view_add(u->view, m->payload);
		m->payload = NULL;
		u->scanned = app_view_total(u->view);
		place_cursor(u);
		u->dirty = true;
		break;
	case UI_MSG_SCANNED:
		if (m->req != u->scan_req)
			break;
		u->scan_req = 0;
		u->scanning = false;
		if (m->rc < 0 && m->err.cls != QU_E_CANCELED)
			ui_message(u, true, "%s", m->err.msg);
		place_cursor(u);
		u->dirty = true;
		break;
	case UI_MSG_LOADED:
		ui_pager_loaded(u, m);
		break;
	/* attachments: a copiousoutput viewer's output */
	case UI_MSG_VIEWED:
		ui_viewer_done(u, m);
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
	if (key == '\t' && p->folders) {
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
						 : u->top;
	if (top != u->drawn_top || u->screen != u->drawn_screen)
		clearok(curscr, TRUE);
	u->drawn_top = top;
	u->drawn_screen = u->screen;
	switch (u->screen) {
	case UI_SCREEN_INDEX:
		ui_index_draw(u);
		break;
	case UI_SCREEN_PAGER:
		ui_pager_draw(u);
		break;
	case UI_SCREEN_HELP:
		draw_help(u);
		break;
	case UI_SCREEN_ATTACH:
		ui_attach_draw(u);
		break;
	}
	draw_bottom(u);
	refresh();
	u->dirty = false;
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
	if (nonblocking_pipe(u->wake) < 0 || nonblocking_pipe(u->sig) < 0)
		return qu_err_sys(err, QU_E_SOFTWARE, errno, "pipe");
	if (ui_term_open(u->sig[1], err) < 0)
		return -1;
	u->pool = ui_pool_new(2, u->wake[1]);
	u->reader = app_reader_new();
	ui_open_folder(u, u->folder);
	for (size_t i = 0; i < ncommands; i++)
		ui_command(u, commands[i]);
	int64_t last_progress = 0;
	while (!u->quit) {
		drain_keys(u);
		if (u->quit)
			break;
		if (u->scanning && qu_now_ms() - last_progress > 200) {
			last_progress = qu_now_ms();
			u->dirty = true;
		}
		if (u->dirty)
			ui_draw(u);
		struct pollfd pf[3] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = u->wake[0], .events = POLLIN},
			{.fd = u->sig[0], .events = POLLIN},
		};
		/* While a folder is read, wake now and then for its progress. */
		int timeout = u->scanning ? 200 : -1;
		if (u->esc)
			timeout = 1000;
		int n = poll(pf, 3, timeout);
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
		if (pf[0].revents & (POLLHUP | POLLERR))
			u->quit = true;
	}
	ui_pool_free(u->pool);
	u->pool = NULL;
	ui_term_close();
	return 0;
}

void
ui_free(struct ui *u)
{
	app_view_free(u->view);
	app_reader_free(u->reader);
	ui_pager_close(u);
	if (u->attach.v || u->attach.msg.data)
		ui_attach_close(u);
	/* attachments: files left for detached viewers */
	ui_viewers_free(u);
	free(u->folder);
	free(u->root);
	free(u->search);
	free(u->index_format);
	free(u->date_format);
	free(u->editor);
	free(u->mailcap);
	free(u->url_command);
	free(u->binds);
	for (int i = 0; i < 2; i++) {
		if (u->wake[i] > 0)
			close(u->wake[i]);
		if (u->sig[i] > 0)
			close(u->sig[i]);
	}
}
