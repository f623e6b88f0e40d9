/*
 * The terminal: curses set up for a UTF-8 locale (else ASCII with '?'
 * for what cannot be shown), signals turned into bytes on a self-pipe so
 * that the poll loop handles them, suspend and resume around endwin, and
 * drawing of text that ui_text_sanitize has made safe, measured in
 * terminal cells with util's tables.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curses.h>

#include "util/util.h"
#include "ui/private.h"
#include "ui/uitext.h"

static int sig_fd = -1;
static bool utf8;
static int attrs[UI_C_COUNT];

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if (sig_fd >= 0 && write(sig_fd, &b, 1) < 0) {
		/* a full pipe already holds a wake-up */
	}
	errno = saved;
}

static void
catch(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(sig, &sa, NULL);
}

static struct {
	bool set;
	short fg, bg;
	unsigned attrs;
} overrides[UI_C_COUNT];

unsigned
ui_attr_bit(const char *name)
{
	static const struct {
		const char *name;
		unsigned bit;
	} t[] = {
		{"bold", A_BOLD}, {"underline", A_UNDERLINE}, {"reverse", A_REVERSE},
		{"standout", A_STANDOUT}, {"blink", A_BLINK}, {"dim", A_DIM},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].bit;
	return 0;
}

void
ui_color_override(enum ui_color c, short fg, short bg, unsigned a)
{
	overrides[c].set = true;
	overrides[c].fg = fg;
	overrides[c].bg = bg;
	overrides[c].attrs = a;
}

static void
colors(void)
{
	static const struct {
		enum ui_color c;
		short fg, bg;
		int attr;
	} t[] = {
		{UI_C_NORMAL, -1, -1, A_NORMAL},
		{UI_C_INDICATOR, -1, -1, A_REVERSE},
		{UI_C_STATUS, -1, -1, A_REVERSE},
		{UI_C_TREE, COLOR_RED, -1, A_NORMAL},
		{UI_C_QUOTE1, COLOR_GREEN, -1, A_NORMAL},
		{UI_C_QUOTE2, COLOR_CYAN, -1, A_NORMAL},
		{UI_C_QUOTE3, COLOR_YELLOW, -1, A_NORMAL},
		{UI_C_HEADER, -1, -1, A_BOLD},
		{UI_C_ERROR, COLOR_RED, -1, A_BOLD},
		{UI_C_MARKER, -1, -1, A_BOLD},
	};
	bool color = has_colors() && start_color() == OK;
	if (color)
		use_default_colors();
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++) {
		short fg = t[i].fg, bg = t[i].bg;
		attrs[t[i].c] = t[i].attr;
		if (overrides[t[i].c].set) {
			fg = overrides[t[i].c].fg;
			bg = overrides[t[i].c].bg;
			attrs[t[i].c] = (int)overrides[t[i].c].attrs;
			/* A colour pair stands in for reverse video. */
			if ((t[i].c == UI_C_INDICATOR || t[i].c == UI_C_STATUS) && fg == -1 && bg == -1)
				attrs[t[i].c] |= A_REVERSE;
		}
		if (fg >= COLORS || bg >= COLORS)
			fg = bg = -1;
		if (color && (fg != -1 || bg != -1) && init_pair((short)(i + 1), fg, bg) == OK)
			attrs[t[i].c] |= (int)COLOR_PAIR((int)i + 1);
	}
}

int
ui_attr(enum ui_color c)
{
	return attrs[c];
}

bool
ui_term_utf8(void)
{
	return utf8;
}

int
ui_term_prepare(struct qu_err *err)
{
	setlocale(LC_ALL, "");
	const char *cs = nl_langinfo(CODESET);
	utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return qu_err_set(err, QU_E_USAGE, "the UI needs a terminal");
	return 0;
}

int
ui_term_lines(void)
{
	if (stdscr)
		return LINES;
	/* As curses decides: $LINES first (its use_env default), then the
	 * size the terminal reports. */
	const char *env = getenv("LINES");
	char *end;
	long n = env ? strtol(env, &end, 10) : 0;
	if (env && *env && !*end && n > 0 && n < 10000)
		return (int)n;
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

int
ui_term_open(int sig_fd_write, struct qu_err *err)
{
	sig_fd = sig_fd_write;
	/* Installed before initscr, so curses keeps out of these signals and
	 * the loop sees each as a byte. */
	int sigs[] = {SIGWINCH, SIGTSTP, SIGCONT, SIGCHLD, SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < QU_ARRAY_LEN(sigs); i++)
		catch(sigs[i]);
	signal(SIGPIPE, SIG_IGN);
	if (!getenv("ESCDELAY"))
		set_escdelay(25);
	if (!initscr())
		return qu_err_set(err, QU_E_SOFTWARE, "cannot set up the terminal");
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	idlok(stdscr, FALSE);
	scrollok(stdscr, FALSE);
	curs_set(0);
	colors();
	return 0;
}

void
ui_term_close(void)
{
	if (!isendwin())
		endwin();
}

void
ui_term_suspend(void)
{
	endwin();
	/* SIGSTOP, not SIGTSTP again: the kernel drops SIGTSTP for a process
	 * group with no parent in the session (a session leader in its own
	 * pty), and the stop must happen all the same. The whole job stops,
	 * as a shell expects. */
	kill(0, SIGSTOP);
	/* Here the process stops; SIGCONT goes on from here. */
	refresh();
	ui_term_resize();
}

void
ui_term_resize(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

/* Non-ASCII as '?' per cell, for a terminal that is not UTF-8. */
static char *
ascii_only(const char *s)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t cells = 1;
		size_t len = qu_utf8_cluster(s + i, n - i, &cells);
		if ((unsigned char)s[i] < 0x80)
			qu_buf_append_byte(&b, s[i]);
		else
			for (size_t c = 0; c < cells; c++)
				qu_buf_append_byte(&b, '?');
		i += len;
	}
	size_t len;
	char *out = qu_buf_steal(&b, &len);
	return out ? out : xstrdup("");
}

/* folders: the columns the sidebar takes, left of the screen drawn. */
static int left_margin;

void
ui_term_left(int left)
{
	left_margin = left > 0 && left < COLS ? left : 0;
}

int
ui_term_cols(void)
{
	return COLS - left_margin;
}

void
ui_put(int y, int x, const char *s, size_t cells, int attr)
{
	x += left_margin;
	if (x >= COLS)
		return;
	if (cells > (size_t)(COLS - x))
		cells = (size_t)(COLS - x);
	if (cells == 0)
		return;
	char *conv = utf8 ? NULL : ascii_only(s);
	char *fit = ui_text_fit(conv ? conv : s, cells, true, NULL);
	attrset(attr);
	mvaddstr(y, x, fit);
	attrset(A_NORMAL);
	free(fit);
	free(conv);
}

int
ui_term_run(const char *cmd, const char *input, size_t n)
{
	def_prog_mode();
	endwin();
	int in[2] = {-1, -1};
	if (input && pipe(in) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTSTP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		if (input) {
			dup2(in[0], STDIN_FILENO);
			close(in[0]);
			close(in[1]);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (input) {
		close(in[0]);
		for (size_t off = 0; pid > 0 && off < n;) {
			ssize_t w = write(in[1], input + off, n - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(in[1]);
	}
	int status = -1;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	reset_prog_mode();
	refresh();
	return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
ui_term_run_arg(const char *prog, const char *arg)
{
	def_prog_mode();
	endwin();
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTSTP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		execlp(prog, prog, arg, (char *)NULL);
		_exit(127);
	}
	int status = -1;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	reset_prog_mode();
	refresh();
	return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
