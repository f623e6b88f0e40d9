/*
 * net: the one connection every protocol uses, and SASL.
 *
 * A TCP connection (every address of getaddrinfo tried in turn, IPv6 and
 * IPv4) with a deadline on connect and on every read and write, a transport
 * that is plain or GnuTLS (implicit TLS or a STARTTLS upgrade), buffered line
 * reading with a cap, exact-length and streaming reads, buffered writes, and a
 * protocol trace in which secrets show as <redacted>. The SASL helper (over
 * GNU SASL) turns server challenges into client responses for SMTP AUTH,
 * POP3 AUTH and IMAP AUTHENTICATE, and runs their exchange over callbacks
 * that do each protocol's framing.
 *
 * Depends on util, GnuTLS and libgsasl only. Knows no mail protocol and
 * never prints.
 */
#ifndef QUAIL_NET_NET_H
#define QUAIL_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* ---- connection ------------------------------------------------------ */

enum net_tls_mode {
	NET_TLS_NONE,     /* plain; only for +insecure URLs */
	NET_TLS_IMPLICIT, /* handshake right after connect (smtps, imaps, pop3s) */
	NET_TLS_STARTTLS, /* plain first, upgraded by the protocol */
};

const char *net_tls_mode_name(enum net_tls_mode m);

/* TLS session resumption (RFC 8446 §2.2, RFC 5077): a session of an
 * earlier connection to the same host and port, verified against the same
 * trust anchors, and where to hand this connection's session for the next
 * one. The caller keeps it alive as long as the connection. */
struct net_tls_resume {
	const void *data; /* gnutls_session_get_data2 bytes; NULL: none */
	size_t len;
	/* Called once, as the connection closes, with a session worth
	 * resuming (borrowed for the call); NULL: not wanted. */
	void (*save)(void *ctx, const void *data, size_t len);
	void *ctx;
};

/* Sessions kept in files (tls_cache.c): DIR/tls-<hash of host, port and
 * trust anchors>, 0600. DIR must be a private directory the caller
 * checked (owned by the user, not writable by others). The session of the
 * file, when there is a sound one for these three, is offered by a
 * connection given net_tls_cache_resume's answer, and the connection's
 * session replaces it as it closes. Free after the connection. */
struct net_tls_cache;
struct net_tls_cache *net_tls_cache_new(const char *dir, const char *host, uint16_t port,
					const char *ca_file);
const struct net_tls_resume *net_tls_cache_resume(const struct net_tls_cache *t);
void net_tls_cache_free(struct net_tls_cache *t);

struct net_opts {
	int timeout_ms;           /* deadline for connect and each read/write; <=0: 60 s */
	const char *ca_file;      /* PEM trust anchors; NULL: the system trust store */
	size_t max_line;          /* longest line net_read_line accepts; 0: 64 KiB */
	const struct qu_trace *trace; /* NULL: no trace */
	const struct qu_cancel *cancel; /* NULL: waits end only by deadline; a
					 * fired handle ends every wait with
					 * QU_E_CANCELED at once */
	/* NULL: every handshake is a full one. A session that the server
	 * refuses only costs a full handshake, silently. */
	const struct net_tls_resume *resume;
};

struct net_conn;

/* Resolves host and connects to each address in turn until one answers.
 * Resolution, each connect and the handshake are bounded by timeout_ms
 * and end at once when opts->cancel fires. For NET_TLS_IMPLICIT the TLS
 * handshake follows at once (see net_tls_start). Errors, with their
 * reason: TEMPFAIL (resolution: DNS or TIMEOUT; refused, unreachable:
 * CONNECT; TIMEOUT), UNAVAILABLE (no such host: DNS), TLS (handshake or
 * certificate), CANCELED. Returns an owned connection. */
struct net_conn *net_connect(const char *host, uint16_t port, enum net_tls_mode mode,
			     const struct net_opts *opts, struct qu_err *err);

/* Wraps an already connected descriptor (tests use a socketpair). Takes
 * ownership of fd. host is used for certificate checks and SNI. */
struct net_conn *net_conn_from_fd(int fd, const char *host, const struct net_opts *opts);

/* Closes the connection (TLS close_notify when possible) and frees it.
 * NULL is a no-op. */
void net_conn_free(struct net_conn *c);

/* Upgrades to TLS: everything buffered from the server so far is discarded
 * (a server, or an attacker in the path, may not inject replies that would
 * be read as coming over TLS: RFC 3207 §4.2, RFC 2595 §3.1) and its length
 * stored in *discarded (may be NULL); then the handshake runs, the
 * certificate is verified against ca_file or the system store and the host
 * name checked. TLS 1.2 is the minimum. Errors: TLS with the reason
 * ("certificate has expired", "certificate issuer is unknown", "certificate
 * does not match host name ...") and reason TLS_CERT with code "expired",
 * "not-yet-valid", "name-mismatch", "revoked", "unknown-issuer",
 * "issuer-not-ca", "insecure-algorithm", "bad-signature" or "invalid"
 * (other handshake failures: reason TLS); TEMPFAIL on timeout (TIMEOUT) or
 * loss (CONN_LOST); CANCELED. */
int net_tls_start(struct net_conn *c, size_t *discarded, struct qu_err *err);

bool net_conn_is_tls(const struct net_conn *c);
/* The TLS library's version, for `quail --version`. */
const char *net_tls_library_version(void);
const char *net_conn_host(const struct net_conn *c);

/* A description of the TLS session for `quail serverinfo`: protocol
 * version, cipher suite, and the peer certificate's subject, issuer,
 * validity and SHA-256 fingerprint, one "key: value" a line. Returns a new
 * string, or NULL without TLS. */
char *net_tls_describe(const struct net_conn *c);

/* Reads one line. *line points at it including its line end ("\n" or
 * "\r\n"; the last line before EOF may have none), *len is its length;
 * valid until the next read on this connection. Errors: TEMPFAIL on EOF,
 * timeout or loss; DATA when the line passes max_line. The S: trace shows
 * the line without its end. */
int net_read_line(struct net_conn *c, const char **line, size_t *len, struct qu_err *err);

/* Reads exactly n bytes into dst (IMAP literals). Errors as net_read_line. */
int net_read_n(struct net_conn *c, void *dst, size_t n, struct qu_err *err);

/* Reads exactly n bytes and hands them to sink in chunks as they arrive,
 * never holding more than one buffer. A sink returning -1 stops the read
 * (its err is kept). */
typedef int (*net_sink_fn)(void *ctx, const char *p, size_t n, struct qu_err *err);
int net_read_stream(struct net_conn *c, uint64_t n, net_sink_fn sink, void *ctx,
		    struct qu_err *err);

/* An overall deadline for one operation (a command's reply carrying
 * message bodies, a RETR, a message upload), on top of the timeout of each
 * wait, which restarts whenever a byte moves: a server trickling a byte a
 * minute would otherwise hold quail for ever. The operation must end
 * within the timeout plus bytes / NET_FLOOR_RATE seconds (bytes: what it
 * transfers), counted from now; until net_deadline_clear, a wait past it
 * fails with TEMPFAIL "timed out" (reason QU_R_TIMEOUT). */
#define NET_FLOOR_RATE 1024 /* bytes per second: 1 KiB/s */
void net_deadline_set(struct net_conn *c, uint64_t bytes);
void net_deadline_clear(struct net_conn *c);

/* True when bytes from the server are buffered and not yet read. */
bool net_has_buffered(const struct net_conn *c);

/* Waits until the server has sent something, wake_fd (may be -1) is
 * readable, or timeout_ms passes (< 0: no limit), for a client that idles
 * (IMAP IDLE) and must also answer its own caller. Input already held by
 * the connection (its read buffer, decrypted TLS records, compressed bytes
 * not yet inflated) counts as readable at once: poll() cannot see it. A
 * hang-up or socket error counts as readable too: the next read reports
 * it. Nothing is read from wake_fd. Returns 1 readable, 0 woken or timed
 * out, -1 when the connection's cancel handle fired (CANCELED) or poll
 * failed (TEMPFAIL). Implemented in wait.c. */
int net_wait_readable(struct net_conn *c, int wake_fd, int timeout_ms, struct qu_err *err);

/* Buffered writes: nothing goes on the wire until net_flush (or the buffer
 * fills). The C: trace shows each line as it is completed. */
int net_write(struct net_conn *c, const void *p, size_t n, struct qu_err *err);
int net_printf(struct net_conn *c, struct qu_err *err, const char *fmt, ...) QU_PRINTF(3, 4);
/* Like net_write, but the trace shows "<redacted>" in place of the bytes. */
int net_write_secret(struct net_conn *c, const void *p, size_t n, struct qu_err *err);
/* Writes everything buffered; errors TEMPFAIL. */
int net_flush(struct net_conn *c, struct qu_err *err);

/* ---- SASL ------------------------------------------------------------ */

/* What the client can authenticate with. */
struct net_sasl_creds {
	const char *user;     /* login name */
	const char *secret;   /* password, or the OAuth 2 token when oauth2 */
	bool oauth2;          /* use XOAUTH2/OAUTHBEARER only */
	const char *host;     /* server name (OAUTHBEARER and the GSSAPI-free service) */
	uint16_t port;
};

struct net_sasl;

/* Picks the strongest mechanism that both the server (server_mechs, a
 * space-separated list as in EHLO AUTH or CAPA SASL) and quail have: with
 * creds->oauth2, OAUTHBEARER then XOAUTH2; otherwise SCRAM-SHA-256,
 * SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN. allow_plain false leaves out the
 * mechanisms that reveal the secret, PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER
 * (no TLS and no +insecure). service is "smtp", "imap" or "pop".
 * Errors: AUTH when no mechanism is shared (the message names both lists),
 * when user or secret is NULL, or when an OAuth user or token holds a
 * control character; SOFTWARE when GNU SASL fails to initialise.
 * Returns an owned session. */
struct net_sasl *net_sasl_start(const struct net_sasl_creds *creds, const char *server_mechs,
				bool allow_plain, const char *service, struct qu_err *err);

/* The chosen mechanism's name ("SCRAM-SHA-256", ...). */
const char *net_sasl_mech(const struct net_sasl *s);

/* True when the mechanism sends data first (PLAIN, SCRAM, XOAUTH2,
 * OAUTHBEARER), so the first response can go with the command (SASL-IR,
 * RFC 4959; SMTP AUTH's initial response). */
bool net_sasl_client_first(const struct net_sasl *s);

/* One step: in_b64 is the server's base64 challenge (empty for the first
 * step), *out_b64 is set to a new NUL-terminated base64 response (may be
 * empty: ""), to be written with net_write_secret and freed with
 * qu_free_secret. For OAUTHBEARER and XOAUTH2 a challenge after the token
 * is the server's error status: the response is the dummy the server
 * expects (RFC 7628 §3.2.3), net_sasl_done turns false and the server then
 * fails the command. Errors: AUTH (bad server data, e.g. a SCRAM server
 * signature that does not verify, or a step after the exchange ended). */
int net_sasl_step(struct net_sasl *s, const char *in_b64, size_t in_len, char **out_b64,
		  struct qu_err *err);

/* True once the exchange is complete from the client's side and the
 * server's final message (if any) verified. */
bool net_sasl_done(const struct net_sasl *s);

/* Frees the session, wiping secrets. NULL is a no-op. */
void net_sasl_free(struct net_sasl *s);

/* What a protocol does on the wire for net_sasl_exchange. ctx is the
 * caller's. */
struct net_sasl_proto {
	/* Sends the command that starts the exchange for mech; ir, when not
	 * NULL, is the initial response to add to it (base64, "=" when empty),
	 * to be written with net_write_secret. */
	int (*begin)(void *ctx, const char *mech, const char *ir, struct qu_err *err);
	/* Reads the server's next reply. Returns 1 for a challenge, with
	 * *chal and *chal_len set to its base64 text (borrowed until the next
	 * read), 0 for success, and -1 for failure or a lost connection, with
	 * err set by the protocol (class and prefix are its own). */
	int (*next)(void *ctx, const char **chal, size_t *chal_len, struct qu_err *err);
	/* Sends one base64 response line (may be empty), with
	 * net_write_secret. */
	int (*respond)(void *ctx, const char *resp, struct qu_err *err);
	/* Sends "*" to cancel the exchange and reads the reply that ends the
	 * command; errors are the protocol's to absorb, since the reason
	 * to report is why quail gave up. */
	void (*cancel)(void *ctx);
	/* The command may carry an initial response: SMTP (RFC 4954 §4) and
	 * POP3 (RFC 5034 §4) always, IMAP with SASL-IR (RFC 4959). */
	bool initial_response;
};

/* Runs the whole exchange of s over p: the command (with the first
 * response when the mechanism sends first and p allows it), then each
 * challenge answered until the server's outcome; a last challenge after
 * the final response (SCRAM's server signature) is answered with an empty
 * line. When a step fails the exchange is cancelled and the step's error
 * returned. Errors: those of p, AUTH from net_sasl_step, and AUTH when the
 * server reports success for SCRAM without a server signature that
 * verified (it has not proved that it knows the password). */
int net_sasl_exchange(struct net_sasl *s, const struct net_sasl_proto *p, void *ctx,
		      struct qu_err *err);

/* ---- digests --------------------------------------------------------- */

/* MD5 of n bytes at p as 32 lowercase hex digits and a NUL in out (POP3
 * APOP, RFC 1939 §7). Errors: SOFTWARE when the TLS library refuses MD5
 * (FIPS mode). */
int net_md5_hex(const void *p, size_t n, char out[static 33], struct qu_err *err);

/* ---- compression ---------------------------------------------------- */

/* Starts raw DEFLATE (RFC 1951) in both directions on the connection, as
 * IMAP COMPRESS=DEFLATE (RFC 4978) requires right after its OK: bytes
 * already buffered from the server are read as compressed, what is
 * written from now on is compressed and flushed (Z_SYNC_FLUSH) with each
 * net_flush. Works over plain and TLS. Errors: SOFTWARE (already
 * compressing, zlib refused to start). Implemented in deflate.c. */
int net_compress_start(struct net_conn *c, struct qu_err *err);
/* True once net_compress_start succeeded. */
bool net_conn_is_compressed(const struct net_conn *c);

#endif
