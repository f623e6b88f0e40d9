/*
 * Waiting for the server and for the caller at once: an idling client
 * (IMAP IDLE, RFC 2177) sleeps until either has something to say.
 */
#include <errno.h>
#include <poll.h>

#include "util/util.h"
#include "net/private.h"

int
net_wait_readable(struct net_conn *c, int wake_fd, int timeout_ms, struct qu_err *err)
{
	/* Input the transport already holds would never wake poll(). */
	if (net_has_buffered(c) || net_tls_pending(c) || net_deflate_pending(c))
		return 1;
	struct pollfd pfd[3] = {
		{.fd = c->fd, .events = POLLIN},
		{.fd = wake_fd, .events = POLLIN},
		{.fd = qu_cancel_fd(c->cancel), .events = POLLIN},
	};
	int64_t deadline = timeout_ms < 0 ? -1 : qu_now_ms() + timeout_ms;
	for (;;) {
		if (qu_cancel_check(c->cancel, err) < 0)
			return -1;
		int left = -1;
		if (deadline >= 0) {
			int64_t l = deadline - qu_now_ms();
			left = l < 0 ? 0 : l > 0x7fffffff ? 0x7fffffff : (int)l;
		}
		/* A negative fd is ignored by poll(): no wake descriptor, no
		 * cancel handle. */
		int r = poll(pfd, 3, left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return qu_err_sys(err, QU_E_TEMPFAIL, errno, "poll");
		}
		if (r == 0)
			return 0;
		if (pfd[0].revents)
			return 1;
		if (pfd[1].revents)
			return 0;
		/* Otherwise the cancel handle fired: reported above. */
	}
}
