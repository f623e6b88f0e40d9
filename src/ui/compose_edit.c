/*
 * Writing mail, the editor's side: a private temporary file for the
 * draft (a 0700 directory made by mkdtemp under $XDG_RUNTIME_DIR or
 * /tmp, the file 0600 in it, both removed afterwards, also on errors),
 * and the editor run on it with the terminal given back: `[ui] editor`,
 * else $VISUAL, else $EDITOR, else vi, as mutt picks it.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curses.h>

#include "util/util.h"
#include "ui/private.h"

int
ui_tmp_create(struct ui_tmp *t, const char *name, const char *data, size_t n, struct qu_err *err)
{
	memset(t, 0, sizeof *t);
	const char *base = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	/* A runtime dir that is not a directory of ours is not used. */
	if (!base || base[0] != '/' || stat(base, &st) < 0 || !S_ISDIR(st.st_mode) ||
		st.st_uid != getuid())
		base = getenv("TMPDIR");
	if (!base || base[0] != '/')
		base = "/tmp";
	t->dir = xasprintf("%s/quail-XXXXXX", base);
	if (!mkdtemp(t->dir)) {
		int e = errno;
		free(t->dir);
		t->dir = NULL;
		return qu_err_sys(err, QU_E_IOERR, e, "%s: cannot make a private directory", base);
	}
	t->path = xasprintf("%s/%s", t->dir, name);
	int fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (qu_write_all(fd, data, n) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		goto fail;
	}
	if (close(fd) < 0)
		goto fail;
	return 0;
fail: {
	int e = errno;
	ui_tmp_remove(t);
	return qu_err_sys(err, QU_E_IOERR, e, "cannot write the draft file");
}
}

void
ui_tmp_remove(struct ui_tmp *t)
{
	if (t->path)
		unlink(t->path);
	if (t->dir)
		rmdir(t->dir);
	free(t->path);
	free(t->dir);
	t->path = t->dir = NULL;
}

int
ui_file_read(const char *path, struct qu_buf *out, struct qu_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path);
	qu_buf_init(out, SIZE_MAX);
	for (;;) {
		char *p = qu_buf_reserve(out, 65536);
		if (!p) {
			close(fd);
			qu_buf_clear(out);
			return qu_err_set(err, QU_E_IOERR, "%s: too large", path);
		}
		ssize_t r = read(fd, p, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			qu_buf_clear(out);
			return qu_err_sys(err, QU_E_IOERR, e, "%s", path);
		}
		if (r == 0)
			break;
		qu_buf_commit(out, (size_t)r);
	}
	close(fd);
	return 0;
}

const char *
ui_editor_command(const struct ui *u)
{
	if (u->editor && *u->editor)
		return u->editor;
	const char *e = getenv("VISUAL");
	if (e && *e)
		return e;
	e = getenv("EDITOR");
	if (e && *e)
		return e;
	return "vi";
}

/* path in single quotes for /bin/sh: the editor setting is a command
 * line (it may carry options), the file name is one argument. */
static char *
shell_quote(const char *path)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_byte(&b, '\'');
	for (const char *p = path; *p; p++) {
		if (*p == '\'')
			qu_buf_append_str(&b, "'\\''");
		else
			qu_buf_append_byte(&b, *p);
	}
	qu_buf_append_byte(&b, '\'');
	size_t n;
	return qu_buf_steal(&b, &n);
}

int
ui_edit_file(struct ui *u, const char *path, struct qu_err *err)
{
	struct qu_buf before, after;
	if (ui_file_read(path, &before, err) < 0)
		return -1;
	char *q = shell_quote(path);
	char *cmd = xasprintf("%s %s", ui_editor_command(u), q);
	free(q);
	/* ^C in the editor is the editor's: the terminal sends SIGINT to
	 * quail too, which would otherwise quit (and lose the draft) once
	 * the editor ends. The child gets the default action back. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old);
	int st = ui_term_run(cmd, NULL, 0);
	sigaction(SIGINT, &old, NULL);
	free(cmd);
	/* The window may have changed size meanwhile (the SIGWINCH byte is
	 * also in the self-pipe); the whole screen is drawn again anyway. */
	ui_term_resize();
	u->dirty = true;
	if (st != 0) {
		qu_buf_clear(&before);
		return qu_err_set(err, QU_E_SOFTWARE, "The editor exited with %d; message not changed.",
			st);
	}
	if (ui_file_read(path, &after, err) < 0) {
		qu_buf_clear(&before);
		return -1;
	}
	bool same = before.len == after.len &&
		(before.len == 0 || memcmp(before.data, after.data, before.len) == 0);
	qu_buf_clear(&before);
	qu_buf_clear(&after);
	return same ? 0 : 1;
}
