#include <errno.h>
#include <unistd.h>

#include "util/util.h"

int
qu_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			/* POSIX allows 0 only for n == 0; a regular file that takes
			 * nothing is full, so say so rather than spin. */
			errno = ENOSPC;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
qu_write_all_err(int fd, const void *p, size_t n, struct qu_err *err, const char *what)
{
	if (qu_write_all(fd, p, n) == 0)
		return 0;
	return qu_err_sys(err, QU_E_IOERR, errno, "%s", what);
}
