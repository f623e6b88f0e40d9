/*
 * For the session fuzz targets: a connection to a server that has already
 * said everything. The input goes into one end of a socketpair, whose
 * write side is then shut, so the client reads the input and then EOF and
 * no read ever waits. Nobody reads what the client writes: its send
 * buffer is made large enough that a whole session's commands fit, so no
 * write ever waits either (AF_UNIX charges queued bytes to the sender).
 * Include it first, after defining _GNU_SOURCE (for memmem).
 */
#ifndef QUAIL_TESTS_FUZZ_CONN_H
#define QUAIL_TESTS_FUZZ_CONN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Plenty for a 64 KiB input (-max_len) and for the client's commands. */
#define FUZZ_SOCKBUF (4 << 20)

/* Returns the client's connection (which owns its descriptor), with the
 * line cap max_line, and sets *server to the other end, to be closed with
 * close() after the session: closing it earlier would make the client's
 * writes fail. NULL when the system refuses a socketpair. */
static inline struct net_conn *
fuzz_conn(const uint8_t *data, size_t size, const char *host, size_t max_line, int *server)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	int big = FUZZ_SOCKBUF;
	for (int i = 0; i < 2; i++)
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	size_t off = 0;
	while (off < size) {
		ssize_t r = send(sv[1], data + off, size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r <= 0)
			break; /* does not fit: the server is cut off there */
		off += (size_t)r;
	}
	shutdown(sv[1], SHUT_WR);
	*server = sv[1];
	/* A short deadline, in case something does wait after all. */
	struct net_opts o = {.timeout_ms = 1000, .max_line = max_line};
	return net_conn_from_fd(sv[0], host, &o);
}

/* True when the n bytes at p occur in the input: all that reaches a sink
 * comes from the server. */
static inline bool
fuzz_from_input(const uint8_t *in, size_t in_len, const char *p, size_t n)
{
	return n <= in_len && memmem(in, in_len, p, n) != NULL;
}

#endif
