#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

/* A self-pipe: firing writes one byte that is never read until a reset, so
 * the read end stays readable for every poll() that includes it. The flag
 * answers the cheap question without a system call. */
struct qu_cancel {
	atomic_bool fired;
	int rfd, wfd;
};

static int
set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

struct qu_cancel *
qu_cancel_new(void)
{
	struct qu_cancel *c = xcalloc(1, sizeof *c);
	int fds[2];
	if (pipe(fds) < 0 || set_flags(fds[0]) < 0 || set_flags(fds[1]) < 0)
	{
		/* Like running out of memory: nothing sensible can follow. */
		fprintf(stderr, "quail: cancel handle: %s\n", strerror(errno));
		exit(70);
	}
	c->rfd = fds[0];
	c->wfd = fds[1];
	atomic_init(&c->fired, false);
	return c;
}

void
qu_cancel_free(struct qu_cancel *c)
{
	if (!c)
		return;
	close(c->rfd);
	close(c->wfd);
	free(c);
}

void
qu_cancel_fire(struct qu_cancel *c)
{
	if (!c)
		return;
	int saved = errno; /* called from signal handlers */
	if (!atomic_exchange(&c->fired, true)) {
		ssize_t r;
		do
			r = write(c->wfd, "x", 1);
		while (r < 0 && errno == EINTR);
	}
	errno = saved;
}

void
qu_cancel_reset(struct qu_cancel *c)
{
	if (!c)
		return;
	char b[64];
	while (read(c->rfd, b, sizeof b) > 0)
		;
	atomic_store(&c->fired, false);
}

bool
qu_cancel_fired(const struct qu_cancel *c)
{
	return c && atomic_load(&((struct qu_cancel *)c)->fired);
}

int
qu_cancel_fd(const struct qu_cancel *c)
{
	return c ? c->rfd : -1;
}

int
qu_cancel_check(const struct qu_cancel *c, struct qu_err *err)
{
	return qu_cancel_fired(c) ? qu_err_canceled(err) : 0;
}
