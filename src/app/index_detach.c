/*
 * The UI's index update, carried on after it quits (SPEC §8: the next
 * open of a folder the index holds is fast). A folder whose update was
 * cut short by the quit is handed to `quail index PATH...` in a process
 * of its own: detached from the terminal and the session, at the lowest
 * CPU and I/O priority, so that it neither shows nor slows anything the
 * person does next. It is an ordinary run of the command: the index file
 * is the one its environment (XDG_CACHE_HOME) names, as for the UI.
 *
 * The UI may have threads still (a viewer's, a send's), so everything the
 * children need is made before fork(), and between fork() and exec the
 * children only make system calls.
 */
#define _GNU_SOURCE 1 /* program_invocation_name, close_range */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "index/index.h"
#include "store/store.h"
#include "app/app.h"
#include "app/private.h"

extern char **environ;

/* The ioprio_set(2) ABI (linux/ioprio.h): the idle class, who = this
 * process. glibc has no wrapper. */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_CLASS_SHIFT 13

/* How long a detached run waits for one before it (a quit a moment after
 * the last): long enough for a big folder at idle priority, short
 * enough that runs never queue up behind a stuck one. */
#define DETACH_WAIT_MS (10 * 60 * 1000)
#define DETACH_POLL_MS 200

/* Everything the children use, made before fork(). */
struct plan {
	char *exe;      /* the running binary as a fallback to /proc/self/exe */
	char *lock;     /* the index's detached-run lock, or NULL */
	char **argv;    /* "quail" "index" PATH... NULL */
	size_t argc;
	int max_fd;     /* for the close loop when close_range is missing */
};

char *
app_index_lock_path(void)
{
	struct qu_err e = {0};
	char *db = index_default_path(&e);
	char *lock = db ? xasprintf("%s.detach.lock", db) : NULL;
	free(db);
	return lock;
}

char *
app_self_exe(void)
{
	const char *a0 = program_invocation_name;
	if (!a0 || !*a0)
		return NULL;
	if (strchr(a0, '/'))
		return realpath(a0, NULL);
	const char *path = getenv("PATH");
	for (const char *p = path; p && *p;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *cand = xasprintf("%.*s/%s", (int)len, len ? p : ".", a0);
		if (access(cand, X_OK) == 0) {
			char *abs = realpath(cand, NULL);
			free(cand);
			return abs;
		}
		free(cand);
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static void
plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->argc; i++)
		free(pl->argv[i]);
	free(pl->argv);
	free(pl->exe);
	free(pl->lock);
}

/* The paths resolved (the run starts in /), those that no longer resolve
 * or are no Maildir left out (the UI indexes Maildirs only: an mbox it
 * shows is not the index's to hold). Returns the number of folders, 0
 * when none is left. */
static size_t
plan_make(struct plan *pl, const char *const *paths, size_t n)
{
	memset(pl, 0, sizeof *pl);
	pl->argv = xcalloc(n + 3, sizeof *pl->argv);
	pl->argv[pl->argc++] = xstrdup("quail");
	pl->argv[pl->argc++] = xstrdup("index");
	size_t folders = 0;
	for (size_t i = 0; i < n; i++) {
		/* A folder whose update was cut short after it had found the
		 * index current (the quit came while it checked) needs no
		 * run: one would start, find nothing to do, and end. */
		char *abs = paths[i] ? realpath(paths[i], NULL) : NULL;
		if (!abs || store_kind(abs) != STORE_KIND_MAILDIR || app_index_current(abs)) {
			free(abs);
			continue;
		}
		pl->argv[pl->argc++] = abs;
		folders++;
	}
	pl->lock = app_index_lock_path();
	pl->exe = app_self_exe();
	long m = sysconf(_SC_OPEN_MAX);
	pl->max_fd = m > 0 && m < INT_MAX ? (int)m : 1024;
	return folders;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One detached run per index at a time: the lock is held across exec by
 * `quail index` until it exits. A run that finds another waits for it
 * (its folders may differ) up to DETACH_WAIT_MS, then gives up: the next
 * open indexes what is left. Returns false to give up. Without a lock
 * file to be had (no cache directory) the run goes ahead. */
static bool
take_lock(const char *lock)
{
	int fd = lock ? open(lock, O_RDWR | O_CREAT | O_NOFOLLOW, 0600) : -1;
	if (fd < 0)
		return true;
	for (long waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += DETACH_POLL_MS) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= DETACH_WAIT_MS)
			return false;
		sleep_ms(DETACH_POLL_MS);
	}
	return true; /* fd stays open (no O_CLOEXEC): the lock goes with exec */
}

/* The grandchild: no terminal, no inherited descriptor, idle priority;
 * failures of the priority calls are ignored (a kernel or container
 * that refuses them still gets the run). Never returns. */
static void
grandchild(struct plan *pl)
{
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
#endif
		for (int fd = 3; fd < pl->max_fd; fd++)
			close(fd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	const int sigs[] = {SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGTSTP, SIGWINCH};
	for (size_t i = 0; i < QU_ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &dfl, NULL);
	if (chdir("/") < 0) {
		/* the paths are absolute: the directory does not matter */
	}
	setpriority(PRIO_PROCESS, 0, 19);
	struct sched_param sp = {0};
	sched_setscheduler(0, SCHED_IDLE, &sp);
	syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT);
	if (!take_lock(pl->lock))
		_exit(0);
	/* Folders removed while the run waited are left out; with none
	 * left nothing runs (a removed cache directory is not made again). */
	size_t k = 2;
	for (size_t i = 2; i < pl->argc; i++)
		if (access(pl->argv[i], F_OK) == 0)
			pl->argv[k++] = pl->argv[i];
	pl->argv[k] = NULL;
	if (k == 2)
		_exit(0);
	execve("/proc/self/exe", pl->argv, environ);
	if (pl->exe)
		execve(pl->exe, pl->argv, environ);
	_exit(127);
}

int
app_index_detach(const char *const *paths, size_t n, struct qu_err *err)
{
	struct plan pl;
	size_t folders = n ? plan_make(&pl, paths, n) : 0;
	if (folders == 0) {
		if (n)
			plan_free(&pl);
		return 0;
	}
	pid_t child = fork();
	if (child < 0) {
		plan_free(&pl);
		return qu_err_sys(err, QU_E_SOFTWARE, errno, "fork");
	}
	if (child == 0) {
		/* A session of its own: no controlling terminal, and the
		 * terminal's hangup or ^C never reaches it. The second fork
		 * makes it no session leader, so it can never take one. */
		if (setsid() < 0)
			_exit(1);
		pid_t g = fork();
		if (g == 0)
			grandchild(&pl);
		_exit(g < 0 ? 1 : 0);
	}
	/* The intermediate child exits at once; the grandchild is init's. */
	int status = 0;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	plan_free(&pl);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return qu_err_set(err, QU_E_SOFTWARE, "the index run could not be started");
	return folders > INT_MAX ? INT_MAX : (int)folders;
}
