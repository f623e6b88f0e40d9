/* A scripted server on 127.0.0.1 for protocol tests (curl-style scripts).
 *
 * Script lines:
 *   "S:text"   send text and CRLF
 *   "R:bytes"  send bytes as they are (no line end added)
 *   "C:text"   read one client line; it must equal text (line end removed)
 *   "C*"       read one client line, whatever it is
 *   "SCRAM:text" read one client line ending in a base64 SCRAM
 *              client-first message; send text and the base64 server-first
 *              message with the client's nonce (salt "salt", 4096 rounds)
 *   "TRICKLE:ms:text" send text and CRLF one byte every ms milliseconds
 *   "SLEEP:ms" pause
 *   "TLS"      run the server side of a TLS handshake (certificate from
 *              peer_tls_ca); later lines go over TLS
 *   "CLOSE"    close the connection
 *   "NOMORE"   the client must close without sending anything more
 * The peer runs in a child process; peer_finish reports whether the whole
 * script was played and every client line matched. */
#ifndef QUAIL_TESTS_PEER_H
#define QUAIL_TESTS_PEER_H

#include <stdint.h>
#include <sys/types.h>

struct peer {
	pid_t pid;
	uint16_t port;
};

/* Starts the peer; script is NULL-terminated. */
void peer_start(struct peer *p, const char *const *script);
/* Makes (once per process) a key and a self-signed certificate for
 * 127.0.0.1 for the "TLS" step; returns the certificate's PEM file, for
 * the client's ca_file. Call it before peer_start. */
const char *peer_tls_ca(void);
/* Waits for the peer (at most 10 s) and returns 0 when the script ran
 * through and matched, else 1 (the mismatch is on stderr). */
int peer_finish(struct peer *p);

#endif
