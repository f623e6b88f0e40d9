#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/util.h"

#include "config/config.h"

/* More than any password or OAuth2 token; the rest of the output is read
 * and dropped so that the command never blocks on a full pipe. */
#define SECRET_MAX 16384

static QU_NORETURN void
run_child(const char *cmd, int out)
{
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0)
		_exit(126);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Reads the child's whole stdout; keeps the first SECRET_MAX bytes in buf. */
static int
read_all(int fd, char *buf, size_t *len, struct qu_err *err)
{
	char drop[512];
	*len = 0;
	for (;;) {
		bool room = *len < SECRET_MAX;
		char *dst = room ? buf + *len : drop;
		size_t want = room ? SECRET_MAX - *len : sizeof drop;
		ssize_t n = read(fd, dst, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			qu_wipe(drop, sizeof drop);
			return qu_err_sys(err, QU_E_CONFIG, errno, "password_command: read");
		}
		if (n == 0)
			break;
		if (room)
			*len += (size_t)n;
	}
	qu_wipe(drop, sizeof drop);
	return 0;
}

static int
wait_child(pid_t pid, struct qu_err *err)
{
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return qu_err_sys(err, QU_E_CONFIG, errno, "password_command: waitpid");
	}
	if (WIFSIGNALED(status))
		return qu_err_set(err, QU_E_CONFIG, "password_command killed by signal %d",
				  WTERMSIG(status));
	if (WEXITSTATUS(status) == 127)
		return qu_err_set(err, QU_E_CONFIG,
				  "password_command exited with status 127 (command not found?)");
	if (WEXITSTATUS(status) != 0)
		return qu_err_set(err, QU_E_CONFIG, "password_command exited with status %d",
				  WEXITSTATUS(status));
	return 0;
}

/* Starts cmd with its stdout on a pipe: j->pid and j->fd. */
static int
start_command(const char *cmd, struct cfg_password_job *j, struct qu_err *err)
{
	int fds[2];
	if (pipe(fds) < 0)
		return qu_err_sys(err, QU_E_CONFIG, errno, "password_command: pipe");
	/* The read end must not leak into the command (it would never see EOF
	 * on a pipe it holds itself) nor into later children. */
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	pid_t pid = fork();
	if (pid < 0) {
		qu_err_sys(err, QU_E_CONFIG, errno, "password_command: fork");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0)
		run_child(cmd, fds[1]);
	close(fds[1]);
	j->pid = (int)pid;
	j->fd = fds[0];
	return 0;
}

/* Reads the started command's raw stdout (at most SECRET_MAX bytes) and
 * reaps it. */
static char *
finish_command(struct cfg_password_job *j, size_t *len, struct qu_err *err)
{
	char *buf = xmalloc(SECRET_MAX + 1);
	int rc = read_all(j->fd, buf, len, err);
	close(j->fd);
	pid_t pid = (pid_t)j->pid;
	j->pid = 0;
	j->fd = -1;
	if (wait_child(pid, rc < 0 ? NULL : err) < 0 || rc < 0) {
		qu_wipe(buf, SECRET_MAX + 1);
		free(buf);
		return NULL;
	}
	return buf;
}

int
cfg_password_start(const struct cfg_account *a, struct cfg_password_job *j, struct qu_err *err)
{
	j->a = a;
	j->pid = 0;
	j->fd = -1;
	qu_err_clear(err);
	if (a->password || !a->password_command)
		return 0;
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
	if (!pw)
		qu_err_set(err, QU_E_CONFIG, "password_command printed nothing");
	return pw;
}

char *
cfg_password(const struct cfg_account *a, struct qu_err *err)
{
	struct cfg_password_job j;
	if (cfg_password_start(a, &j, err) < 0)
		return NULL;
	return cfg_password_finish(&j, err);
}
