/*
 * Commands of writing mail: a signature command ("cmd |") and
 * query_command. Their output is outside input (kept in memory, bounded,
 * made safe by whoever shows it); they run with a deadline in a process
 * group of their own so that a hung pipeline is killed whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "store/store.h"
#include "app/compose_private.h"

#define OUT_MAX (1024 * 1024)

static void
child(const char *cmd, int out, int errfd)
{
	setpgid(0, 0);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	dup2(out, 1);
	dup2(errfd, 2);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Reads both pipes until both end, the deadline passes or cancel fires
 * (then -1 with err). */
static int
pump(const char *what, int fds[2], int64_t deadline, const struct qu_cancel *cancel,
     struct qu_buf *out, struct qu_buf *errb, struct qu_err *err)
{
	struct pollfd p[3] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN},
			      {.fd = cancel ? qu_cancel_fd(cancel) : -1, .events = POLLIN}};
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int64_t left = deadline - qu_now_ms();
		if (left <= 0)
			return qu_err_set(err, QU_E_TEMPFAIL, "%s: no answer in time", what);
		if (qu_cancel_check(cancel, err) < 0)
			return -1;
		int r = poll(p, 3, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno != EINTR)
			return qu_err_sys(err, QU_E_CONFIG, errno, "%s: poll", what);
		for (int k = 0; k < 2 && r > 0; k++) {
			if (p[k].fd < 0 || !p[k].revents)
				continue;
			char buf[4096];
			ssize_t got = read(p[k].fd, buf, sizeof buf);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				p[k].fd = -1;
				continue;
			}
			struct qu_buf *b = k == 0 ? out : errb;
			if (b->len < (k == 0 ? OUT_MAX : 4096))
				qu_buf_append(b, buf, (size_t)got);
		}
	}
	return 0;
}

static int
wait_child(const char *what, pid_t pid, int64_t deadline, const struct qu_cancel *cancel,
	   int *status, struct qu_err *err)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return qu_err_sys(err, QU_E_CONFIG, errno, "%s: waitpid", what);
		if (qu_cancel_check(cancel, err) < 0)
			return -1;
		if (qu_now_ms() >= deadline)
			return qu_err_set(err, QU_E_TEMPFAIL, "%s: no answer in time", what);
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
}

static int
failed(const char *what, int status, const struct qu_buf *errb, struct qu_err *err)
{
	struct qu_buf m;
	qu_buf_init(&m, 1024);
	if (WIFSIGNALED(status))
		qu_buf_printf(&m, "%s: killed by signal %d", what, WTERMSIG(status));
	else
		qu_buf_printf(&m, "%s: exited with status %d", what, WEXITSTATUS(status));
	size_t n = strcspn(errb->data ? errb->data : "", "\r\n");
	if (n) {
		qu_buf_append_str(&m, ": ");
		qu_buf_append_safe(&m, errb->data, n, false);
	}
	qu_err_set(err, QU_E_CONFIG, "%s", m.data);
	qu_buf_clear(&m);
	return -1;
}

int
compose_run(const char *what, const char *cmd, int timeout_ms, const struct qu_cancel *cancel,
	    struct qu_buf *out, struct qu_err *err)
{
	int o[2], e[2];
	if (pipe(o) < 0)
		return qu_err_sys(err, QU_E_CONFIG, errno, "%s: pipe", what);
	if (pipe(e) < 0) {
		close(o[0]);
		close(o[1]);
		return qu_err_sys(err, QU_E_CONFIG, errno, "%s: pipe", what);
	}
	/* The read ends must not reach the command: it would hold its own
	 * pipe open and never see the end of it. */
	fcntl(o[0], F_SETFD, FD_CLOEXEC);
	fcntl(e[0], F_SETFD, FD_CLOEXEC);
	pid_t pid = fork();
	if (pid == 0)
		child(cmd, o[1], e[1]);
	close(o[1]);
	close(e[1]);
	if (pid < 0) {
		close(o[0]);
		close(e[0]);
		return qu_err_sys(err, QU_E_CONFIG, errno, "%s: fork", what);
	}
	setpgid(pid, pid);
	int64_t deadline = qu_now_ms() + (timeout_ms > 0 ? timeout_ms : 5000);
	struct qu_buf errb;
	qu_buf_init(&errb, SIZE_MAX);
	int fds[2] = {o[0], e[0]}, status = 0;
	int rc = pump(what, fds, deadline, cancel, out, &errb, err);
	if (rc == 0)
		rc = wait_child(what, pid, deadline, cancel, &status, err);
	if (rc < 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = failed(what, status, &errb, err);
	}
	close(o[0]);
	close(e[0]);
	qu_buf_clear(&errb);
	return rc;
}

int
compose_signature(const struct cfg_account *a, int timeout_ms, struct qu_buf *out,
		  struct qu_err *err)
{
	if (!a || !a->signature)
		return 0;
	struct qu_buf s;
	qu_buf_init(&s, SIZE_MAX);
	const char *v = a->signature;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	int rc;
	if (n && v[n - 1] == '|') {
		char *cmd = xstrndup(v, n - 1);
		rc = compose_run("signature", cmd, timeout_ms, NULL, &s, err);
		free(cmd);
	} else {
		struct store_map m;
		rc = store_map_file(v, &m, err);
		if (rc == 0) {
			qu_buf_append(&s, m.p, m.len);
			store_unmap(&m);
		} else {
			qu_err_prefix(err, "signature");
		}
	}
	if (rc == 0 && s.len) {
		/* RFC 3676 §4.3's separator, unless the file has its own. */
		if (!qu_str_has_prefix(s.data, "-- \n"))
			qu_buf_append_str(out, "-- \n");
		for (size_t i = 0; i < s.len; i++)
			if (s.data[i] != '\r' && s.data[i] != '\0')
				qu_buf_append_byte(out, s.data[i]);
		if (s.data[s.len - 1] != '\n')
			qu_buf_append_byte(out, '\n');
	}
	qu_buf_clear(&s);
	return rc;
}

char *
compose_folder(const struct cfg_account *a, const char *setting, struct qu_err *err)
{
	const char *root = a ? a->maildir : NULL;
	char *r = app_view_resolve(setting, root, err);
	if (!r && err->cls != QU_E_CONFIG)
		qu_err_set(err, QU_E_CONFIG, "%s: no maildir for the account", setting);
	return r;
}
