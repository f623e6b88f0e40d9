/* net internals shared by conn.c and tls.c; nothing outside src/net includes this. */
#ifndef QUAIL_NET_PRIVATE_H
#define QUAIL_NET_PRIVATE_H

#include <stdint.h>
#include <sys/types.h>

#include "net/net.h"

struct net_tls;

/* How bytes move: plain socket calls or GnuTLS records. Both return the
 * number of bytes moved (>0), 0 at end of stream (read only), or -1 with err
 * set. They wait for readiness themselves, bounded by the timeout. */
struct net_transport {
	const char *name;
	ssize_t (*read)(struct net_conn *c, void *p, size_t n, struct qu_err *err);
	ssize_t (*write)(struct net_conn *c, const void *p, size_t n, struct qu_err *err);
	void (*close)(struct net_conn *c);
};

struct net_conn {
	int fd;
	char *host;
	char *ca_file;
	int timeout_ms;
	int64_t op_deadline; /* net_deadline_set: ms (qu_now_ms), 0 for none */
	int64_t op_ms;       /* its length, for the message */
	const struct qu_cancel *cancel;
	size_t max_line;
	const struct qu_trace *trace;
	const struct net_tls_resume *resume; /* borrowed; NULL: none */
	const struct net_transport *tr;
	struct net_tls *tls;
	/* Unread input lives in rbuf[rstart, rend). */
	char *rbuf;
	size_t rcap, rstart, rend;
	struct qu_buf wbuf;  /* written, not yet flushed */
	struct qu_buf tline; /* the C: trace line being assembled */
	struct net_deflate *z; /* COMPRESS=DEFLATE state (deflate.c), or NULL */
};

/* Waits until fd is readable (events POLLIN) or writable (POLLOUT) within
 * the connection's timeout. Errors: TEMPFAIL "timed out". */
int net_wait(struct net_conn *c, short events, struct qu_err *err);

/* getaddrinfo (TCP, any family) for host and port within timeout_ms,
 * ended at once by cancel (resolve.c). Returns the list to free with
 * freeaddrinfo, or NULL: TEMPFAIL (timeout: reason TIMEOUT; resolver
 * trouble: DNS), UNAVAILABLE (no such name: DNS), CANCELED. */
struct addrinfo;
struct addrinfo *net_resolve(const char *host, uint16_t port, int timeout_ms,
			     const struct qu_cancel *cancel, struct qu_err *err);

/* True when the transport holds input that poll() on the socket cannot
 * see: decrypted TLS records (tls.c), or compressed bytes not yet
 * inflated (deflate.c). */
bool net_tls_pending(const struct net_conn *c);
bool net_deflate_pending(struct net_conn *c);

extern const struct net_transport net_plain_transport;
extern const struct net_transport net_tls_transport;

/* Whether host is an IPv4 or IPv6 address literal, not a name (tls.c). */
bool net_is_ip_literal(const char *host);

#endif
