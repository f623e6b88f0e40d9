/*
 * Name resolution with a deadline and a cancel handle.
 *
 * getaddrinfo blocks for as long as the resolver likes (retries to each
 * server in resolv.conf) and nothing can stop it. It runs here on a
 * detached thread; the caller waits on a pipe beside the cancel handle
 * with the connection's deadline. When the caller gives up, the thread is
 * left to finish on its own: whichever of the two lets go last frees the
 * shared state and any result, so nothing leaks either way. An address
 * literal is parsed at once, without a thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "net/private.h"

struct lookup {
	pthread_mutex_t mu;
	int refs; /* the caller and the thread */
	char *host;
	char port[8];
	struct addrinfo hints;
	struct addrinfo *res;
	int rc;
	int rfd, wfd; /* the thread writes one byte when done */
};

static void
lookup_unref(struct lookup *l)
{
	pthread_mutex_lock(&l->mu);
	bool last = --l->refs == 0;
	pthread_mutex_unlock(&l->mu);
	if (!last)
		return;
	if (l->res)
		freeaddrinfo(l->res);
	close(l->rfd);
	close(l->wfd);
	pthread_mutex_destroy(&l->mu);
	free(l->host);
	free(l);
}

static void *
lookup_run(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(l->host, l->port, &l->hints, &res);
	pthread_mutex_lock(&l->mu);
	l->res = res;
	l->rc = rc;
	pthread_mutex_unlock(&l->mu);
	ssize_t w;
	do
		w = write(l->wfd, "x", 1);
	while (w < 0 && errno == EINTR);
	lookup_unref(l);
	return NULL;
}

static int
set_cloexec(int fd)
{
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Waits for the thread's byte, the cancel handle or the deadline: 0 when
 * the lookup is done, -1 with err set otherwise. */
static int
lookup_wait(struct lookup *l, const char *host, int timeout_ms, const struct qu_cancel *cancel,
	    struct qu_err *err)
{
	struct pollfd pfd[2] = {{.fd = l->rfd, .events = POLLIN},
				{.fd = qu_cancel_fd(cancel), .events = POLLIN}};
	int64_t deadline = qu_now_ms() + timeout_ms;
	for (;;) {
		if (qu_cancel_check(cancel, err) < 0)
			return -1;
		int64_t left = deadline - qu_now_ms();
		int r = poll(pfd, cancel ? 2 : 1, left > 0 ? (int)left : 0);
		if (r > 0 && pfd[0].revents)
			return 0;
		if (r > 0)
			continue; /* the cancel fired: checked above */
		if (r == 0) {
			qu_err_set(err, QU_E_TEMPFAIL, "cannot resolve %s: timed out after %d s", host,
				   (timeout_ms + 999) / 1000);
			return qu_err_reason(err, QU_R_TIMEOUT, NULL);
		}
		if (errno != EINTR)
			return qu_err_sys(err, QU_E_TEMPFAIL, errno, "poll");
	}
}

/* An address literal ("127.0.0.1", "::1") needs no resolver: with
 * AI_NUMERICHOST getaddrinfo only parses it (RFC 3493 §6.1), at once and
 * without DNS, so no thread is started for it. NULL for a name. Only a
 * host inet_pton reads as an address goes to getaddrinfo here: a name
 * never reaches it on this thread, whatever getaddrinfo does with it. */
static struct addrinfo *
literal(const char *host, uint16_t port)
{
	if (!host || !net_is_ip_literal(host))
		return NULL;
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST};
	struct addrinfo *res = NULL;
	if (getaddrinfo(host, portstr, &hints, &res) != 0)
		return NULL;
	return res;
}

struct addrinfo *
net_resolve(const char *host, uint16_t port, int timeout_ms, const struct qu_cancel *cancel,
	    struct qu_err *err)
{
	if (qu_cancel_check(cancel, err) < 0)
		return NULL;
	struct addrinfo *lit = literal(host, port);
	if (lit)
		return lit;
	struct lookup *l = xcalloc(1, sizeof *l);
	int fds[2];
	if (pipe(fds) < 0) {
		qu_err_sys(err, QU_E_TEMPFAIL, errno, "cannot resolve %s: pipe", host);
		free(l);
		return NULL;
	}
	set_cloexec(fds[0]);
	set_cloexec(fds[1]);
	pthread_mutex_init(&l->mu, NULL);
	l->rfd = fds[0];
	l->wfd = fds[1];
	l->host = xstrdup(host);
	snprintf(l->port, sizeof l->port, "%u", (unsigned)port);
	l->hints = (struct addrinfo){.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	l->refs = 2;
	pthread_attr_t attr;
	pthread_t th;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int tr = pthread_create(&th, &attr, lookup_run, l);
	pthread_attr_destroy(&attr);
	if (tr != 0) {
		l->refs = 1; /* no thread: resolve here, without a deadline */
		l->rc = getaddrinfo(l->host, l->port, &l->hints, &l->res);
	} else if (lookup_wait(l, host, timeout_ms, cancel, err) < 0) {
		lookup_unref(l); /* the thread frees it when it returns */
		return NULL;
	}
	pthread_mutex_lock(&l->mu);
	struct addrinfo *res = l->res;
	int rc = l->rc;
	l->res = NULL;
	pthread_mutex_unlock(&l->mu);
	lookup_unref(l);
	if (rc != 0) {
		enum qu_err_class cls =
			(rc == EAI_NONAME || rc == EAI_FAIL) ? QU_E_UNAVAILABLE : QU_E_TEMPFAIL;
		qu_err_set(err, cls, "cannot resolve %s: %s", host, gai_strerror(rc));
		qu_err_reason(err, QU_R_DNS, NULL);
		return NULL;
	}
	return res;
}
