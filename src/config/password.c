#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#include "config/config.h"

/* More than any password or OAuth2 token; the rest of the output is read
 * and dropped so that the command never blocks on a full pipe. */
#define SECRET_MAX 16384
/* Enough of stderr for its first line in an error message. */
#define STDERR_MAX 1024
#define DEFAULT_TIMEOUT_MS 60000

static QU_NORETURN void
run_child(const char *cmd, int out, int errfd)
{
	/* Its own process group, so a timeout or cancel can end the shell and
	 * whatever it started (a pinentry, a gpg-agent call) together. */
	setpgid(0, 0);
	/* Ignored signals survive exec: quail ignores SIGPIPE, the command
	 * must not inherit that. */
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* What the command wrote so far: stdout (kept up to SECRET_MAX, the rest
 * dropped) and the start of stderr. */
struct output {
	char *out;
	size_t out_len;
	char errb[STDERR_MAX];
	size_t err_len;
};

/* One read from fd; 1 while open, 0 at EOF, -1 on error. */
static int
drain(int fd, char *keep, size_t *len, size_t cap)
{
	char drop[512];
	bool room = *len < cap;
	ssize_t n = read(fd, room ? keep + *len : drop, room ? cap - *len : sizeof drop);
	qu_wipe(drop, sizeof drop);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	if (room)
		*len += (size_t)n;
	return 1;
}

static int
ended_early(const struct cfg_password_job *j, bool canceled, struct qu_err *err)
{
	if (canceled)
		return qu_err_canceled(err);
	qu_err_set(err, QU_E_TEMPFAIL, "password_command did not finish within %d s",
		   (j->timeout_ms + 999) / 1000);
	return qu_err_reason(err, QU_R_PASSWORD_COMMAND, "timeout");
}

/* Reads stdout and stderr together until both end, the deadline passes or
 * the cancel fires (both: -1, err set). */
static int
read_all(struct cfg_password_job *j, struct output *o, struct qu_err *err)
{
	struct pollfd pfd[3] = {{.fd = j->fd, .events = POLLIN},
				{.fd = j->err_fd, .events = POLLIN},
				{.fd = qu_cancel_fd(j->cancel), .events = POLLIN}};
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (qu_cancel_fired(j->cancel))
			return ended_early(j, true, err);
		int64_t left = j->deadline - qu_now_ms();
		if (left <= 0)
			return ended_early(j, false, err);
		int r = poll(pfd, j->cancel ? 3 : 2, (int)left);
		if (r < 0 && errno != EINTR)
			return qu_err_sys(err, QU_E_CONFIG, errno, "password_command: poll");
		for (int k = 0; r > 0 && k < 2; k++) {
			if (pfd[k].fd < 0 || !pfd[k].revents)
				continue;
			int d = k == 0 ? drain(pfd[k].fd, o->out, &o->out_len, SECRET_MAX)
				       : drain(pfd[k].fd, o->errb, &o->err_len, sizeof o->errb);
			if (d < 0)
				return qu_err_sys(err, QU_E_CONFIG, errno, "password_command: read");
			if (d == 0)
				pfd[k].fd = -1; /* poll ignores negative descriptors */
		}
	}
	return 0;
}

/* Waits for the child to exit within the deadline (it may close its output
 * and still run); -1 with err on timeout or cancel. */
static int
reap(struct cfg_password_job *j, int *status, struct qu_err *err)
{
	for (;;) {
		pid_t r = waitpid((pid_t)j->pid, status, WNOHANG);
		if (r == (pid_t)j->pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return qu_err_sys(err, QU_E_CONFIG, errno, "password_command: waitpid");
		if (qu_cancel_fired(j->cancel))
			return ended_early(j, true, err);
		if (qu_now_ms() >= j->deadline)
			return ended_early(j, false, err);
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
}

/* The failure message: the status, then the first line of stderr made
 * safe for a terminal (the command's own words are the best hint). */
static int
status_error(int status, const struct output *o, struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, 512);
	if (WIFSIGNALED(status))
		qu_buf_printf(&b, "password_command killed by signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) == 127)
		qu_buf_printf(&b, "password_command exited with status 127 (command not found?)");
	else
		qu_buf_printf(&b, "password_command exited with status %d", WEXITSTATUS(status));
	size_t n = 0;
	while (n < o->err_len && o->errb[n] != '\n' && o->errb[n] != '\r')
		n++;
	if (n) {
		qu_buf_append_str(&b, ": ");
		qu_buf_append_safe(&b, o->errb, n, false);
	}
	qu_err_set(err, QU_E_CONFIG, "%s", b.data);
	qu_buf_clear(&b);
	return qu_err_reason(err, QU_R_PASSWORD_COMMAND, NULL);
}

static void
close_job(struct cfg_password_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->err_fd >= 0)
		close(j->err_fd);
	j->fd = j->err_fd = -1;
	j->pid = 0;
}

/* Starts cmd with stdout and stderr on pipes: j->pid, j->fd, j->err_fd. */
static int
start_command(const char *cmd, struct cfg_password_job *j, struct qu_err *err)
{
	int out[2], errp[2];
	if (pipe(out) < 0)
		return qu_err_sys(err, QU_E_CONFIG, errno, "password_command: pipe");
	if (pipe(errp) < 0) {
		qu_err_sys(err, QU_E_CONFIG, errno, "password_command: pipe");
		close(out[0]);
		close(out[1]);
		return -1;
	}
	/* The read ends must not leak into the command (it would never see
	 * EOF on a pipe it holds itself) nor into later children. */
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	fcntl(errp[0], F_SETFD, FD_CLOEXEC);
	pid_t pid = fork();
	if (pid < 0) {
		qu_err_sys(err, QU_E_CONFIG, errno, "password_command: fork");
		close(out[0]);
		close(out[1]);
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	if (pid == 0)
		run_child(cmd, out[1], errp[1]);
	/* Also here, so a kill right after the fork finds the group. */
	setpgid(pid, pid);
	close(out[1]);
	close(errp[1]);
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	fcntl(errp[0], F_SETFL, fcntl(errp[0], F_GETFL) | O_NONBLOCK);
	j->pid = (int)pid;
	j->fd = out[0];
	j->err_fd = errp[0];
	return 0;
}

/* Reads the started command's raw stdout (at most SECRET_MAX bytes) and
 * reaps it; on timeout or cancel its process group is killed first. */
static char *
finish_command(struct cfg_password_job *j, size_t *len, struct qu_err *err)
{
	struct output o = {.out = xmalloc(SECRET_MAX + 1)};
	int status = 0;
	int rc = read_all(j, &o, err);
	if (rc == 0)
		rc = reap(j, &status, err);
	if (rc < 0) {
		kill(-(pid_t)j->pid, SIGKILL);
		while (waitpid((pid_t)j->pid, &status, 0) < 0 && errno == EINTR)
			;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = status_error(status, &o, err);
	}
	close_job(j);
	*len = o.out_len;
	qu_wipe(o.errb, sizeof o.errb);
	if (rc < 0) {
		qu_wipe(o.out, SECRET_MAX + 1);
		free(o.out);
		return NULL;
	}
	return o.out;
}

int
cfg_password_start(const struct cfg_account *a, const struct cfg_password_opts *o,
		   struct cfg_password_job *j, struct qu_err *err)
{
	j->a = a;
	j->pid = 0;
	j->fd = j->err_fd = -1;
	j->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	j->cancel = o ? o->cancel : NULL;
	j->deadline = qu_now_ms() + j->timeout_ms;
	qu_err_clear(err);
	if (a->password || !a->password_command)
		return 0;
	if (qu_cancel_check(j->cancel, err) < 0)
		return -1;
	return start_command(a->password_command, j, err);
}

char *
cfg_password_finish(struct cfg_password_job *j, struct qu_err *err)
{
	qu_err_clear(err);
	if (!j->pid)
		return j->a && j->a->password ? xstrdup(j->a->password) : NULL;
	size_t len;
	char *out = finish_command(j, &len, err);
	if (!out)
		return NULL;
	size_t n = 0;
	while (n < len && out[n] != '\n' && out[n] != '\r' && out[n] != '\0')
		n++;
	char *pw = n ? xstrndup(out, n) : NULL;
	qu_wipe(out, SECRET_MAX + 1);
	free(out);
	if (!pw) {
		qu_err_set(err, QU_E_CONFIG, "password_command printed nothing");
		qu_err_reason(err, QU_R_PASSWORD_COMMAND, NULL);
	}
	return pw;
}

char *
cfg_password(const struct cfg_account *a, const struct cfg_password_opts *o, struct qu_err *err)
{
	struct cfg_password_job j;
	if (cfg_password_start(a, o, &j, err) < 0)
		return NULL;
	return cfg_password_finish(&j, err);
}
