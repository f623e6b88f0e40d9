#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"
#include "net/private.h"

#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_LINE (64 * 1024)
#define WBUF_FLUSH_AT (64 * 1024)
#define STREAM_CHUNK (64 * 1024)
#define TRACE_LINE_MAX 4096

const char *
net_tls_mode_name(enum net_tls_mode m)
{
	switch (m) {
	case NET_TLS_NONE:
		return "none";
	case NET_TLS_IMPLICIT:
		return "implicit";
	case NET_TLS_STARTTLS:
		return "starttls";
	}
	return "?";
}

int
net_wait(struct net_conn *c, short events, struct qu_err *err)
{
	/* The cancel handle's descriptor sits beside the socket, so a cancel
	 * ends the wait at once whatever the deadline. */
	struct pollfd pfd[2] = {{.fd = c->fd, .events = events},
				{.fd = qu_cancel_fd(c->cancel), .events = POLLIN}};
	int64_t deadline = qu_now_ms() + c->timeout_ms;
	bool overall = c->op_deadline && c->op_deadline < deadline;
	if (overall)
		deadline = c->op_deadline;
	/* Acknowledge at once while waiting for the server: a server that sends
	 * TLS 1.3 session tickets in their own segment holds its next reply
	 * (Nagle) until they are acknowledged, and a delayed ACK costs ~40 ms
	 * per exchange (seen with Postfix right after the handshake). */
	if (events & POLLIN) {
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	}
	for (;;) {
		int64_t left = deadline - qu_now_ms();
		if (left < 0)
			left = 0;
		if (qu_cancel_check(c->cancel, err) < 0)
			return -1;
		/* Past the overall deadline even a ready socket waits no more:
		 * a trickle would always have its next byte ready. */
		int r = overall && left == 0 ? 0 : poll(pfd, c->cancel ? 2 : 1, (int)left);
		if (r > 0 && pfd[0].revents)
			return 0;
		if (r > 0)
			continue; /* the cancel fired: checked above */
		if (r == 0) {
			if (overall)
				qu_err_set(err, QU_E_TEMPFAIL,
					   "timed out: the transfer took more than %lld s (slower "
					   "than %d bytes/s)",
					   (long long)((c->op_ms + 999) / 1000), NET_FLOOR_RATE);
			else
				qu_err_set(err, QU_E_TEMPFAIL,
					   "timed out after %d s waiting for the server",
					   (c->timeout_ms + 999) / 1000);
			return qu_err_reason(err, QU_R_TIMEOUT, NULL);
		}
		if (errno != EINTR)
			return qu_err_sys(err, QU_E_TEMPFAIL, errno, "poll");
	}
}

void
net_deadline_set(struct net_conn *c, uint64_t bytes)
{
	uint64_t extra = bytes / NET_FLOOR_RATE * 1000 + bytes % NET_FLOOR_RATE * 1000 / NET_FLOOR_RATE;
	uint64_t ms = (uint64_t)c->timeout_ms + extra;
	if (ms > INT64_MAX / 2)
		ms = INT64_MAX / 2;
	c->op_ms = (int64_t)ms;
	c->op_deadline = qu_now_ms() + c->op_ms;
}

void
net_deadline_clear(struct net_conn *c)
{
	c->op_deadline = 0;
	c->op_ms = 0;
}

static ssize_t
plain_read(struct net_conn *c, void *p, size_t n, struct qu_err *err)
{
	for (;;) {
		ssize_t r = read(c->fd, p, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (net_wait(c, POLLIN, err) < 0)
				return -1;
			continue;
		}
		if (errno == ECONNRESET) {
			qu_err_set(err, QU_E_TEMPFAIL, "connection reset by server");
			return qu_err_reason(err, QU_R_CONN_LOST, NULL);
		}
		return qu_err_sys(err, QU_E_TEMPFAIL, errno, "read");
	}
}

static ssize_t
plain_write(struct net_conn *c, const void *p, size_t n, struct qu_err *err)
{
	for (;;) {
		ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (net_wait(c, POLLOUT, err) < 0)
				return -1;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET) {
			qu_err_set(err, QU_E_TEMPFAIL, "connection closed by server");
			return qu_err_reason(err, QU_R_CONN_LOST, NULL);
		}
		return qu_err_sys(err, QU_E_TEMPFAIL, errno, "write");
	}
}

static void
plain_close(struct net_conn *c)
{
	(void)c;
}

const struct net_transport net_plain_transport = {
	.name = "plain",
	.read = plain_read,
	.write = plain_write,
	.close = plain_close,
};

static struct net_conn *
conn_new(int fd, const char *host, const struct net_opts *opts)
{
	struct net_conn *c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->host = xstrdup(host ? host : "");
	c->ca_file = opts && opts->ca_file ? xstrdup(opts->ca_file) : NULL;
	c->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->max_line = opts && opts->max_line ? opts->max_line : DEFAULT_MAX_LINE;
	c->trace = opts ? opts->trace : NULL;
	c->cancel = opts ? opts->cancel : NULL;
	c->resume = opts ? opts->resume : NULL;
	c->tr = &net_plain_transport;
	/* Room for one maximal line and its line end. */
	c->rcap = c->max_line + 2 > STREAM_CHUNK ? c->max_line + 2 : STREAM_CHUNK;
	c->rbuf = xmalloc(c->rcap);
	qu_buf_init(&c->wbuf, SIZE_MAX);
	qu_buf_init(&c->tline, TRACE_LINE_MAX);
	return c;
}

struct net_conn *
net_conn_from_fd(int fd, const char *host, const struct net_opts *opts)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return conn_new(fd, host, opts);
}

/* Connects one address with a deadline; returns the socket or -1 with
 * errno set (ETIMEDOUT on the deadline). */
static int
connect_one(const struct addrinfo *ai, int timeout_ms, const struct qu_cancel *cancel)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	struct pollfd pfd[2] = {{.fd = fd, .events = POLLOUT},
				{.fd = qu_cancel_fd(cancel), .events = POLLIN}};
	int64_t deadline = qu_now_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - qu_now_ms();
		if (qu_cancel_fired(cancel)) {
			errno = ECANCELED;
			goto fail;
		}
		int r = poll(pfd, cancel ? 2 : 1, left > 0 ? (int)left : 0);
		if (r > 0 && pfd[0].revents)
			break;
		if (r > 0)
			continue;
		if (r == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (errno != EINTR)
			goto fail;
	}
	int soerr = 0;
	socklen_t len = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		goto fail;
	if (soerr) {
		errno = soerr;
		goto fail;
	}
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

struct net_conn *
net_connect(const char *host, uint16_t port, enum net_tls_mode mode, const struct net_opts *opts,
	    struct qu_err *err)
{
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	int timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	struct addrinfo *res = net_resolve(host, port, timeout_ms, opts ? opts->cancel : NULL, err);
	if (!res)
		return NULL;
	int fd = -1, last = 0;
	/* Each address in turn, in the resolver's order (RFC 6724). */
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		char addr[NI_MAXHOST] = "?";
		getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
		if (opts)
			qu_trace_note(opts->trace, "connecting to %s port %s", addr, portstr);
		fd = connect_one(ai, timeout_ms, opts ? opts->cancel : NULL);
		if (fd < 0)
			last = errno;
		if (last == ECANCELED)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (last == ECANCELED)
			qu_err_canceled(err);
		else if (last == ETIMEDOUT) {
			qu_err_set(err, QU_E_TEMPFAIL, "connect timed out after %d s",
				   (timeout_ms + 999) / 1000);
			qu_err_reason(err, QU_R_TIMEOUT, NULL);
		} else {
			qu_err_sys(err, QU_E_TEMPFAIL, last, "connect");
			qu_err_reason(err, QU_R_CONNECT, NULL);
		}
		return NULL;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	struct net_conn *c = conn_new(fd, host, opts);
	if (mode == NET_TLS_IMPLICIT && net_tls_start(c, NULL, err) < 0) {
		net_conn_free(c);
		return NULL;
	}
	return c;
}

void
net_conn_free(struct net_conn *c)
{
	if (!c)
		return;
	c->tr->close(c);
	if (c->fd >= 0) {
		/* Closing with unread input makes TCP reset the connection (RFC
		 * 2525 §2.17), which drops what is still queued for the peer (a
		 * last command, close_notify): what already came is read away. */
		char junk[4096];
		for (int i = 0; i < 16 && recv(c->fd, junk, sizeof junk, MSG_DONTWAIT) > 0; i++)
			;
		close(c->fd);
	}
	free(c->host);
	free(c->ca_file);
	free(c->rbuf);
	qu_buf_clear_secret(&c->wbuf);
	qu_buf_clear_secret(&c->tline);
	free(c);
}

bool
net_conn_is_tls(const struct net_conn *c)
{
	return c->tls != NULL;
}

const char *
net_conn_host(const struct net_conn *c)
{
	return c->host;
}

bool
net_has_buffered(const struct net_conn *c)
{
	return c->rend > c->rstart;
}

/* Reads more input into rbuf after moving what is unread to the front.
 * Returns bytes read (>0) or -1; end of stream is a TEMPFAIL error. */
static ssize_t
fill(struct net_conn *c, struct qu_err *err)
{
	if (c->rstart > 0) {
		memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
		c->rend -= c->rstart;
		c->rstart = 0;
	}
	if (c->rend == c->rcap)
		return qu_err_set(err, QU_E_SOFTWARE, "read buffer full");
	ssize_t r = c->tr->read(c, c->rbuf + c->rend, c->rcap - c->rend, err);
	if (r == 0) {
		qu_err_set(err, QU_E_TEMPFAIL, "connection closed by server");
		return qu_err_reason(err, QU_R_CONN_LOST, NULL);
	}
	if (r > 0)
		c->rend += (size_t)r;
	return r;
}

static void
trace_in(struct net_conn *c, const char *p, size_t n)
{
	if (!c->trace)
		return;
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	qu_trace_line(c->trace, 'S', p, n);
}

int
net_read_line(struct net_conn *c, const char **line, size_t *len, struct qu_err *err)
{
	size_t scanned = 0;
	for (;;) {
		char *start = c->rbuf + c->rstart;
		size_t avail = c->rend - c->rstart;
		char *nl = memchr(start + scanned, '\n', avail - scanned);
		if (nl) {
			/* The cap is on the line without its end. */
			if ((size_t)(nl - start) > c->max_line + 1)
				return qu_err_set(err, QU_E_DATA,
						  "server sent a line longer than %zu bytes", c->max_line);
			*line = start;
			*len = (size_t)(nl - start) + 1;
			c->rstart += *len;
			trace_in(c, *line, *len);
			return 0;
		}
		if (avail > c->max_line)
			return qu_err_set(err, QU_E_DATA, "server sent a line longer than %zu bytes",
					  c->max_line);
		scanned = avail;
		if (fill(c, err) < 0)
			return -1;
	}
}

int
net_read_n(struct net_conn *c, void *dst, size_t n, struct qu_err *err)
{
	char *d = dst;
	while (n) {
		size_t avail = c->rend - c->rstart;
		if (avail) {
			size_t k = avail < n ? avail : n;
			memcpy(d, c->rbuf + c->rstart, k);
			c->rstart += k;
			d += k;
			n -= k;
			continue;
		}
		c->rstart = c->rend = 0;
		ssize_t r = c->tr->read(c, d, n, err);
		if (r < 0)
			return -1;
		if (r == 0) {
			qu_err_set(err, QU_E_TEMPFAIL, "connection closed by server");
			return qu_err_reason(err, QU_R_CONN_LOST, NULL);
		}
		d += r;
		n -= (size_t)r;
	}
	return 0;
}

int
net_read_stream(struct net_conn *c, uint64_t n, net_sink_fn sink, void *ctx, struct qu_err *err)
{
	if (c->trace)
		qu_trace_note(c->trace, "S: <%llu bytes>", (unsigned long long)n);
	while (n) {
		if (c->rend == c->rstart) {
			c->rstart = c->rend = 0;
			if (fill(c, err) < 0)
				return -1;
		}
		size_t avail = c->rend - c->rstart;
		size_t k = (uint64_t)avail < n ? avail : (size_t)n;
		if (sink(ctx, c->rbuf + c->rstart, k, err) < 0)
			return -1;
		c->rstart += k;
		n -= k;
	}
	return 0;
}

static void
trace_out(struct net_conn *c, const char *p, size_t n, bool secret)
{
	if (!c->trace)
		return;
	if (secret) {
		qu_buf_append_str(&c->tline, "<redacted>");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			size_t l = c->tline.len;
			if (l && c->tline.data[l - 1] == '\r')
				l--;
			qu_trace_line(c->trace, 'C', c->tline.data ? c->tline.data : "", l);
			qu_buf_reset(&c->tline);
		} else {
			/* A line longer than the trace buffer is cut in the trace only. */
			qu_buf_append_byte(&c->tline, p[i]);
		}
	}
}

static int
write_buffered(struct net_conn *c, const void *p, size_t n, bool secret, struct qu_err *err)
{
	trace_out(c, p, n, secret);
	qu_buf_append(&c->wbuf, p, n);
	if (c->wbuf.len >= WBUF_FLUSH_AT)
		return net_flush(c, err);
	return 0;
}

int
net_write(struct net_conn *c, const void *p, size_t n, struct qu_err *err)
{
	return write_buffered(c, p, n, false, err);
}

int
net_write_secret(struct net_conn *c, const void *p, size_t n, struct qu_err *err)
{
	return write_buffered(c, p, n, true, err);
}

int
net_printf(struct net_conn *c, struct qu_err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	int r = net_write(c, s, strlen(s), err);
	free(s);
	return r;
}

int
net_flush(struct net_conn *c, struct qu_err *err)
{
	size_t off = 0;
	int rc = 0;
	while (off < c->wbuf.len) {
		ssize_t r = c->tr->write(c, c->wbuf.data + off, c->wbuf.len - off, err);
		if (r < 0) {
			rc = -1;
			break;
		}
		off += (size_t)r;
	}
	/* What was written (or cannot be any more) may hold a secret. */
	qu_wipe(c->wbuf.data, c->wbuf.len);
	qu_buf_reset(&c->wbuf);
	return rc;
}
