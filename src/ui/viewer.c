/*
 * Viewing an attachment with another program (SPEC §8 `mailcap`): the
 * part is written to a file quail names (never a name from the mail) in
 * a private directory (0700, the file 0600), then the mailcap entry for
 * its type (RFC 1524) decides how the program runs:
 *
 *  - needsterminal: in the foreground, the terminal given back to it;
 *  - copiousoutput: on a worker, its output read (bounded in size and
 *    time) and shown in the pager, made safe like any text from mail;
 *  - anything else (a window of its own): started detached, never
 *    waited for.
 *
 * A file is removed as soon as its viewer is done, or, for a detached
 * viewer, when the UI exits (it may still be reading it).
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curses.h>

#include "util/util.h"
#include "app/app.h"
#include "ui/private.h"

/* Output of a copiousoutput viewer kept, at most. */
#define VIEW_OUT_MAX (8u << 20)
/* How long a copiousoutput viewer may take. */
#define VIEW_MS 30000

struct ui_viewers {
	char *dir;               /* the private directory, made on first use */
	struct app_mailcap *mc;  /* loaded on first use */
	unsigned seq;            /* files made, for their names */
};

static struct ui_viewers *
viewers(struct ui *u)
{
	if (!u->viewers)
		u->viewers = xcalloc(1, sizeof *u->viewers);
	return u->viewers;
}

const struct app_mailcap *
ui_viewer_mailcap(struct ui *u)
{
	struct ui_viewers *v = viewers(u);
	if (!v->mc) {
		v->mc = app_mailcap_new();
		char *paths = u->mailcap ? xstrdup(u->mailcap) : app_mailcap_default_path();
		struct qu_err err = {0};
		if (app_mailcap_load(v->mc, paths, &err) < 0)
			ui_message(u, true, "%s", err.msg);
		free(paths);
	}
	return v->mc;
}

/* A file extension that is safe in a shell word and a path: letters and
 * digits only, from nametemplate ("%s.html") or the part's name. */
static void
pick_ext(const char *tmpl, const char *name, char *ext, size_t cap)
{
	ext[0] = '\0';
	const char *src = tmpl && strstr(tmpl, "%s") ? strrchr(tmpl, '.') : NULL;
	if (!src && name)
		src = strrchr(name, '.');
	if (!src)
		return;
	size_t k = 0;
	ext[k++] = '.';
	for (const char *c = src + 1; *c && k + 1 < cap; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) {
			ext[0] = '\0';
			return;
		}
		ext[k++] = *c;
	}
	ext[k] = '\0';
	if (k == 1)
		ext[0] = '\0';
}

static int
write_file(const char *path, const char *p, size_t n, struct qu_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
	if (qu_write_all(fd, p, n) < 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return qu_err_sys(err, QU_E_IOERR, e, "%s", path);
	}
	return close(fd) < 0 ? qu_err_sys(err, QU_E_IOERR, errno, "%s", path) : 0;
}

/* The part in a new file of the private directory; owned path or NULL. */
static char *
temp_file(struct ui *u, const struct ui_view_req *r, const char *tmpl, struct qu_err *err)
{
	struct ui_viewers *v = viewers(u);
	if (!v->dir) {
		const char *t = getenv("TMPDIR");
		char *d = xasprintf("%s/quail-view-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(d)) {
			qu_err_sys(err, QU_E_IOERR, errno, "%s", d);
			free(d);
			return NULL;
		}
		v->dir = d;
	}
	char ext[16];
	pick_ext(tmpl, r->name, ext, sizeof ext);
	char *path = xasprintf("%s/part-%u%s", v->dir, ++v->seq, ext);
	if (write_file(path, r->data, r->len, err) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* ---- running ------------------------------------------------------------- */

/* Starts cmd (or prog with arg when cmd is NULL) with no terminal and
 * does not wait: the child forks the viewer and exits at once, so no
 * zombie is left for the UI to reap. */
static void
spawn_detached(const char *cmd, const char *prog, const char *arg)
{
	pid_t pid = fork();
	if (pid != 0) {
		while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	signal(SIGPIPE, SIG_DFL);
	if (cmd)
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	else
		execlp(prog, prog, arg, (char *)NULL);
	_exit(127);
}

/* True when prog is an executable file in a directory of $PATH. */
static bool
in_path(const char *prog)
{
	const char *p = getenv("PATH");
	while (p && *p) {
		size_t n = strcspn(p, ":");
		char *full = n ? xasprintf("%.*s/%s", (int)n, p, prog) : xasprintf("./%s", prog);
		bool ok = access(full, X_OK) == 0;
		free(full);
		if (ok)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* Reads fd into out until EOF, the cap or the deadline; -1 on the deadline. */
static int
read_bounded(int fd, struct qu_buf *out, int64_t deadline, const struct qu_cancel *cancel)
{
	char tmp[8192];
	for (;;) {
		int64_t left = deadline - qu_now_ms();
		if (left <= 0 || qu_cancel_fired(cancel))
			return -1;
		struct pollfd pf[2] = {{.fd = fd, .events = POLLIN},
			{.fd = qu_cancel_fd(cancel), .events = POLLIN}};
		int n = poll(pf, pf[1].fd >= 0 ? 2 : 1, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0 || !(pf[0].revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t r = read(fd, tmp, sizeof tmp);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		if (out->len < VIEW_OUT_MAX)
			qu_buf_append(out, tmp, out->len + (size_t)r > VIEW_OUT_MAX ?
				VIEW_OUT_MAX - out->len : (size_t)r);
	}
}

/* Worker: runs a copiousoutput viewer and posts its output, sanitised
 * and marked as pager lines, then removes the file. */
static void
copious_run(struct ui_job *j)
{
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_VIEWED;
	m->req = j->req;
	struct qu_buf raw, *marked = xcalloc(1, sizeof *marked);
	qu_buf_init(&raw, SIZE_MAX);
	qu_buf_init(marked, SIZE_MAX);
	int out[2];
	pid_t pid = -1;
	if (pipe(out) == 0) {
		pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			/* The worker blocks every signal; exec would keep that. */
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGPIPE, SIG_DFL);
			int null = open("/dev/null", O_RDWR);
			dup2(null, 0);
			dup2(out[1], 1);
			dup2(null, 2);
			close(out[0]);
			execl("/bin/sh", "sh", "-c", j->cmd, (char *)NULL);
			_exit(127);
		}
		close(out[1]);
	}
	int st = -1;
	if (pid > 0) {
		setpgid(pid, pid);
		if (read_bounded(out[0], &raw, qu_now_ms() + VIEW_MS, j->cancel) < 0)
			kill(-pid, SIGKILL);
		close(out[0]);
		/* Whatever is left of the group goes too. */
		kill(-pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	unlink(j->path);
	m->rc = pid > 0 ? 0 : qu_err_sys(&m->err, QU_E_SOFTWARE, errno, "viewer");
	const char *t = raw.data ? raw.data : "";
	for (size_t i = 0; i < raw.len;) {
		const char *nl = memchr(t + i, '\n', raw.len - i);
		size_t e = nl ? (size_t)(nl - t) : raw.len;
		qu_buf_append_byte(marked, 'b');
		qu_buf_append_safe(marked, t + i, e - i, true);
		qu_buf_append_byte(marked, '\n');
		i = e + 1;
	}
	qu_buf_clear(&raw);
	free(j->cmd);
	j->cmd = NULL;
	m->payload = marked;
	ui_pool_post(j->pool, m);
}

void
ui_viewer_done(struct ui *u, struct ui_msg *m)
{
	struct qu_buf *b = m->payload;
	if (m->rc < 0 || !b) {
		ui_message(u, true, "%s", m->err.msg);
		return;
	}
	if (u->screen != UI_SCREEN_ATTACH)
		return; /* the list was left meanwhile */
	ui_pager_show(u, b->data ? b->data : "", b->len);
}

int
ui_viewer_open(struct ui *u, const struct ui_view_req *r, bool mailcap_only)
{
	/* Enter shows text/plain itself, as mutt does: a system mailcap
	 * (Debian's has "text/plain; less %s") would else take it over. */
	if (!mailcap_only && r->is_text && strcmp(r->type, "text/plain") == 0)
		return 1;
	struct app_mailcap_vars vars = {.type = r->type, .charset = r->charset};
	const struct app_mailcap *mc = ui_viewer_mailcap(u);
	/* The file is made for the entry chosen only, so a test= that names
	 * %s fails here (app_mailcap_find). */
	const struct app_mailcap_entry *e = app_mailcap_find(mc, r->type, 0, &vars);
	if (!e && mailcap_only) {
		ui_message(u, true, "No mailcap entry for %s.", r->type);
		return -1;
	}
	if (!e && r->is_text)
		return 1;
	struct qu_err err = {0};
	char *path = temp_file(u, r, e ? e->nametemplate : NULL, &err);
	if (!path) {
		ui_message(u, true, "%s", err.msg);
		return -1;
	}
	if (!e) {
		if (!in_path("xdg-open")) {
			ui_message(u, true, "No mailcap entry for %s, and no xdg-open.", r->type);
			unlink(path);
			free(path);
			return -1;
		}
		spawn_detached(NULL, "xdg-open", path);
		ui_message(u, false, "Opened with xdg-open.");
		free(path);
		return 0;
	}
	vars.file = path;
	char *cmd = app_mailcap_command(e, &vars);
	if (e->copiousoutput) {
		struct ui_job *j = xcalloc(1, sizeof *j);
		qu_buf_init(&j->bytes, SIZE_MAX);
		j->run = copious_run;
		j->path = path;
		j->cmd = cmd;
		ui_pool_submit(u->pool, j);
		ui_message(u, false, "Running the viewer...");
		return 0;
	}
	if (e->needsterminal) {
		int st = ui_term_run(cmd, NULL, 0);
		unlink(path);
		clearok(curscr, TRUE);
		u->dirty = true;
		if (st != 0)
			ui_message(u, true, "Viewer exited with %d.", st);
	} else {
		spawn_detached(cmd, NULL, NULL);
		ui_message(u, false, "Viewer started.");
	}
	free(cmd);
	free(path);
	return 0;
}

void
ui_viewers_free(struct ui *u)
{
	struct ui_viewers *v = u->viewers;
	if (!v)
		return;
	if (v->dir) {
		/* Only files quail made are in it: no subdirectories. */
		DIR *d = opendir(v->dir);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			unlinkat(dirfd(d), de->d_name, 0);
		}
		if (d)
			closedir(d);
		rmdir(v->dir);
		free(v->dir);
	}
	app_mailcap_free(v->mc);
	free(v);
	u->viewers = NULL;
}
