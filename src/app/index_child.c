/*
 * The UI's index update in a process of its own (SPEC §8). The update of
 * a folder the UI shows runs as `quail index --progress-fd 3 PATH`, a
 * child of the UI's worker, rather than on the worker itself:
 *
 *   - what it holds while it parses (SQLite's cache, the parsers'
 *     buffers, the folder's listing) is never the UI's: a 20,000-message
 *     folder opened for the first time costs the UI the rows it shows,
 *     and the memory goes back to the system when the run ends, not to a
 *     malloc arena the UI keeps;
 *   - a message that crashes a parser ends the run, not the UI;
 *   - it runs at a lower CPU priority than the UI, whose keys come first.
 *
 * It takes the lock of the run that carries an update on after a quit
 * (index_detach.c) before it starts, so that a folder opened again while
 * that run still reads it is not read twice at once by two processes
 * that would also wait on each other's writes: the child waits, then
 * finds what the other run wrote.
 *
 * Progress comes back as lines "DONE TOTAL" on a pipe. A cancel (leaving
 * the folder, the quit) ends it with SIGTERM, which `quail index` takes
 * as ^C: it stops at the next message, and what it wrote stays. When the
 * binary cannot be run again (replaced or removed since the UI started)
 * the caller updates in its own process as before.
 *
 * The UI has threads, so everything the child needs is made before
 * fork(), and between fork() and exec the child only makes system calls.
 */
#define _GNU_SOURCE 1 /* pipe2, close_range */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"
#include "app/private.h"

extern char **environ;

/* The descriptor the child writes its progress to, and the one that
 * holds the lock across exec. */
#define PROGRESS_FD 3
#define LOCK_FD 4
/* Below the UI's priority (0), above an idle run's (19): the update still
 * finishes on a machine kept busy by something else. */
#define CHILD_NICE 10
/* How long a canceled run has to stop before it is killed. */
#define STOP_WAIT_MS 2000
/* The child's status when no exec worked. */
#define EXEC_FAILED 127

/* fd as descriptor to, kept across exec. */
static bool
place(int fd, int to)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, 0) == 0;
	return dup2(fd, to) == to;
}

/* The child, from fork() to exec: system calls only. lock is the open
 * lock file, or -1 for none to be had (no cache directory yet). */
static void
child(int wfd, int lock, int null, char *const *argv, const char *exe, int max_fd)
{
	setsid(); /* the terminal's ^C and hangup are the UI's, not the run's */
	if (null >= 0) { /* first: null may be a number placed below */
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	if (lock == PROGRESS_FD) { /* out of the progress pipe's way */
		lock = fcntl(lock, F_DUPFD_CLOEXEC, LOCK_FD + 1);
		if (lock < 0)
			_exit(EXEC_FAILED);
	}
	if (!place(wfd, PROGRESS_FD))
		_exit(EXEC_FAILED);
	int first_closed = PROGRESS_FD + 1;
	if (lock >= 0) {
		if (!place(lock, LOCK_FD))
			_exit(EXEC_FAILED);
		first_closed = LOCK_FD + 1;
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)first_closed, ~0u, 0u) < 0)
#endif
		for (int fd = first_closed; fd < max_fd; fd++)
			close(fd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	const int sigs[] = {SIGHUP, SIGINT, SIGTERM, SIGCHLD, SIGTSTP, SIGWINCH};
	for (size_t i = 0; i < QU_ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &dfl, NULL);
	/* SIGPIPE stays ignored (quail's main ignores it anyway): a UI that
	 * died leaves the pipe without a reader, and the run goes on to the
	 * end rather than die of its next progress line. */
	setpriority(PRIO_PROCESS, 0, CHILD_NICE);
	/* Held until `quail index` exits; waited for while the run after a
	 * quit holds it (a cancel's SIGTERM ends the wait). */
	if (lock >= 0)
		while (flock(LOCK_FD, LOCK_EX) < 0 && errno == EINTR)
			;
	execve("/proc/self/exe", argv, environ);
	if (exe)
		execve(exe, argv, environ);
	_exit(EXEC_FAILED);
}

/* Reads what the pipe holds and hands each whole line "DONE TOTAL" or
 * "DONE TOTAL text" (the second pass) on. */
static void
take_lines(int rfd, char *line, size_t *len, size_t cap, app_index_watch_fn fn, void *ctx,
	bool *eof)
{
	ssize_t n = read(rfd, line + *len, cap - 1 - *len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		*eof = true;
		return;
	}
	*len += (size_t)n;
	line[*len] = '\0';
	char *p = line, *nl;
	while ((nl = strchr(p, '\n'))) {
		*nl = '\0';
		unsigned long long done, total;
		int end = -1;
		if (fn && sscanf(p, "%llu %llu%n", &done, &total, &end) == 2 && end > 0 &&
			(p[end] == '\0' || strcmp(p + end, " text") == 0))
			fn(ctx, done, total, p[end] != '\0');
		p = nl + 1;
	}
	*len = (size_t)(line + *len - p);
	memmove(line, p, *len);
	if (*len == cap - 1)
		*len = 0; /* no line is this long: drop it */
}

/* Waits for the pipe to close, the child to end, up to ms (-1: no
 * limit) or the cancel. Returns 1 when the pipe closed, 0 at the limit,
 * -1 canceled. */
static int
follow(int rfd, const struct qu_cancel *cancel, int ms, app_index_watch_fn fn, void *ctx)
{
	char line[128];
	size_t len = 0;
	bool eof = false;
	int64_t end = ms < 0 ? 0 : qu_now_ms() + ms;
	while (!eof) {
		struct pollfd pf[2] = {{rfd, POLLIN, 0}, {qu_cancel_fd(cancel), POLLIN, 0}};
		int wait = -1;
		if (ms >= 0) {
			int64_t left = end - qu_now_ms();
			if (left <= 0)
				return 0;
			wait = (int)left;
		}
		int r = poll(pf, pf[1].fd >= 0 ? 2 : 1, wait);
		if (r < 0 && errno != EINTR)
			return 0;
		if (r > 0 && pf[1].revents)
			return -1;
		if (r > 0 && pf[0].revents)
			take_lines(rfd, line, &len, sizeof line, fn, ctx, &eof);
	}
	return 1;
}

static int
reap(pid_t pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

int
app_index_child(const char *path, const struct qu_cancel *cancel, app_index_watch_fn fn,
	void *ctx, struct qu_err *err)
{
	char fdarg[16];
	snprintf(fdarg, sizeof fdarg, "%d", PROGRESS_FD);
	char *argv[] = {"quail", "index", "--progress-fd", fdarg, "--", (char *)path, NULL};
	char *exe = app_self_exe();
	long m = sysconf(_SC_OPEN_MAX);
	int max_fd = m > 0 && m < INT_MAX ? (int)m : 1024;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(exe);
		return qu_err_sys(err, QU_E_SOFTWARE, errno, "pipe");
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char *lockpath = app_index_lock_path();
	int lock = lockpath ? open(lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	free(lockpath);
	pid_t pid = fork();
	if (pid == 0)
		child(p[1], lock, null, argv, exe, max_fd);
	int fork_errno = errno;
	free(exe);
	close(p[1]);
	if (null >= 0)
		close(null);
	if (lock >= 0)
		close(lock);
	if (pid < 0) {
		close(p[0]);
		return qu_err_sys(err, QU_E_SOFTWARE, fork_errno, "fork");
	}
	int got = follow(p[0], cancel, -1, fn, ctx);
	if (got < 0) {
		/* Canceled: `quail index` stops at its next message on
		 * SIGTERM; one stuck in a read is killed. */
		kill(pid, SIGTERM);
		if (follow(p[0], NULL, STOP_WAIT_MS, NULL, NULL) == 0)
			kill(pid, SIGKILL);
	}
	close(p[0]);
	int status = reap(pid);
	if (got < 0)
		return qu_err_canceled(err);
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == EXEC_FAILED)
		return 1;
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (status >= 0 && WIFSIGNALED(status))
		return qu_err_set(err, QU_E_SOFTWARE, "quail index was ended by signal %d",
			WTERMSIG(status));
	return qu_err_set(err, QU_E_IOERR, "quail index exited with status %d",
		status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
