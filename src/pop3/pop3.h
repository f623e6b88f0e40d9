/*
 * pop3: the POP3 client session (RFC 1939, 2449, 2595, 5034).
 *
 * Opens a session (greeting, CAPA, STLS as SPEC §1 requires, CAPA again),
 * authenticates (SASL AUTH, else APOP when the greeting has a timestamp,
 * else USER/PASS), lists the maildrop (STAT, LIST, UIDL), streams messages
 * (RETR, TOP; pipelined when CAPA says PIPELINING), marks deletions (DELE,
 * RSET) and commits them only through an explicit QUIT.
 * Depends on util and net only; never includes store: message bytes go to a
 * sink callback, dot-unstuffed, in pieces, never held whole in memory.
 */
#ifndef QUAIL_POP3_POP3_H
#define QUAIL_POP3_POP3_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"
#include "net/net.h"

enum pop3_state {
	POP3_STATE_GREETING,
	POP3_STATE_STLS,
	POP3_STATE_AUTHORIZATION,
	POP3_STATE_TRANSACTION,
	POP3_STATE_CLOSED,
};
const char *pop3_state_name(enum pop3_state s);

struct pop3_opts {
	const char *host;
	uint16_t port;
	enum net_tls_mode tls; /* NET_TLS_STARTTLS makes STLS mandatory */
	struct net_opts net;
};

struct pop3_session;

/* Connects and brings the session to POP3_STATE_AUTHORIZATION. Errors:
 * TEMPFAIL, UNAVAILABLE (-ERR greeting, no STLS on a STLS URL), TLS.
 * Returns an owned session. */
struct pop3_session *pop3_session_open(const struct pop3_opts *o, struct qu_err *err);

/* Wraps a connected net_conn (tests, fuzzing); takes ownership, also on
 * failure. max_line is the line cap c was made with (net_opts.max_line; 0:
 * net's default), which the multi-line reader has to know. As
 * pop3_session_open otherwise. */
struct pop3_session *pop3_session_open_conn(struct net_conn *c, enum net_tls_mode tls,
					    size_t max_line, struct qu_err *err);

/* Sends QUIT (best effort), closes and frees. NULL is a no-op. Deletions
 * marked with DELE take effect only through pop3_session_quit: when any
 * are marked, or a command failed half way, close drops the connection
 * without QUIT, so the server removes nothing (RFC 1939 §6). */
void pop3_session_close(struct pop3_session *s);

enum pop3_state pop3_session_state(const struct pop3_session *s);
const char *pop3_session_greeting(const struct pop3_session *s);
/* CAPA lines, '\n'-separated (empty when CAPA is not supported). */
const char *pop3_session_capabilities(const struct pop3_session *s);
/* True when CAPA listed the tag; *param gets the rest of its line, which
 * ends at the next '\n' or NUL (borrowed, valid until the next CAPA). */
bool pop3_session_has_cap(const struct pop3_session *s, const char *tag, const char **param);
size_t pop3_session_discarded(const struct pop3_session *s);
struct net_conn *pop3_session_conn(struct pop3_session *s);

/* Logs in: SASL AUTH with the strongest shared mechanism when CAPA lists
 * SASL; else APOP when the greeting holds a timestamp (RFC 1939 §7), and
 * USER/PASS after it if the server refuses APOP and allow_plain; else
 * USER/PASS (only when allow_plain). *mech gets "USER", "APOP" or the
 * mechanism; valid until close. Errors: AUTH (-ERR on credentials),
 * TEMPFAIL (-ERR [IN-USE], [SYS/TEMP], connection), UNAVAILABLE. */
int pop3_session_auth(struct pop3_session *s, const struct net_sasl_creds *creds, bool allow_plain,
		      const char **mech, struct qu_err *err);

/* ---- the maildrop (TRANSACTION state, RFC 1939 §5) ------------------- */

/* Receives message bytes exactly as the server sent them, dot-unstuffed
 * (RFC 1939 §3), line ends kept, in pieces of any size. Returning -1 stops
 * the transfer (the sink sets err); the session is then out of step with
 * the server and only good for pop3_session_drop or close. */
typedef int (*pop3_sink_fn)(void *ctx, const char *p, size_t n, struct qu_err *err);

/* STAT: the number of messages and their total size in octets. Errors:
 * UNAVAILABLE (-ERR), TEMPFAIL (connection, [SYS/TEMP]). */
int pop3_session_stat(struct pop3_session *s, uint32_t *count, uint64_t *octets,
		      struct qu_err *err);

/* One message of the maildrop. */
struct pop3_msg {
	uint32_t num;  /* message-number, from 1 */
	uint64_t size; /* octets, as LIST says (the server's count, a hint) */
	char *uid;     /* unique-id (RFC 1939 §7), NUL-terminated; NULL without UIDL */
};

/* LIST and UIDL of the whole maildrop, in message-number order. */
struct pop3_listing {
	struct pop3_msg *msgs;
	size_t n;
	/* true when UIDL gave every message a unique-id of 1 to 512
	 * characters from 0x21 to 0xFF (RFC 1939 says 0x21-0x7E and 70 at
	 * most; longer and 8-bit ones are accepted) and no two are equal.
	 * Otherwise every uid is NULL and no_uid_why says why. */
	bool has_uid;
	char no_uid_why[160];
};

/* Sends LIST and UIDL (together when pipelining) and fills *out, which
 * the caller releases with pop3_listing_clear. A server that answers UIDL
 * with -ERR, or whose unique-ids are unusable, is not an error: has_uid is
 * false. Errors: UNAVAILABLE (-ERR to LIST), TEMPFAIL (connection, a
 * malformed listing), DATA (a line too long). */
int pop3_session_listing(struct pop3_session *s, struct pop3_listing *out, struct qu_err *err);
void pop3_listing_clear(struct pop3_listing *l);

/* RETR num: streams the message to sink; *octets (may be NULL) gets the
 * number of bytes given to it. Errors: UNAVAILABLE or TEMPFAIL (-ERR, by
 * its response code), TEMPFAIL (connection), or the sink's. */
int pop3_session_retr(struct pop3_session *s, uint32_t num, pop3_sink_fn sink, void *ctx,
		      uint64_t *octets, struct qu_err *err);

/* TOP num lines: the header and the first lines of the body (RFC 1939 §7),
 * streamed like RETR. */
int pop3_session_top(struct pop3_session *s, uint32_t num, uint32_t lines, pop3_sink_fn sink,
		     void *ctx, struct qu_err *err);

/* What pop3_session_retr_many calls for each message, i being its index in
 * nums. begin comes when the +OK arrives, then data (any number of times),
 * then end once the message is complete; refused comes instead when the
 * server answers -ERR (why holds its text and class). Each returns 0 to go
 * on or -1 (setting err) to stop everything. refused may be NULL: an -ERR
 * then stops the transfer with that error. */
struct pop3_retr_handler {
	int (*begin)(void *ctx, size_t i, struct qu_err *err);
	pop3_sink_fn data;
	int (*end)(void *ctx, size_t i, uint64_t octets, struct qu_err *err);
	int (*refused)(void *ctx, size_t i, const struct qu_err *why, struct qu_err *err);
	/* LIST's size of each message, or NULL: each RETR must then end within
	 * the timeout plus its size at NET_FLOOR_RATE (net_deadline_set). */
	const uint64_t *sizes;
};

/* RETR for each of nums in order. With PIPELINING (RFC 2449 §6.6) a window
 * of commands is kept in flight, so the server streams without waiting for
 * a round trip per message; otherwise one command at a time. Errors:
 * TEMPFAIL (connection), DATA, or a callback's. After an error the session
 * is out of step: only drop or close remain. */
int pop3_session_retr_many(struct pop3_session *s, const uint32_t *nums, size_t n,
			   const struct pop3_retr_handler *h, void *ctx, struct qu_err *err);

/* DELE num: marks the message; the server removes it only at a successful
 * pop3_session_quit. Errors: UNAVAILABLE (-ERR), TEMPFAIL. */
int pop3_session_dele(struct pop3_session *s, uint32_t num, struct qu_err *err);
/* DELE for each of nums, pipelined when the server allows; stops at the
 * first -ERR (UNAVAILABLE, or TEMPFAIL by its response code) or error. */
int pop3_session_dele_many(struct pop3_session *s, const uint32_t *nums, size_t n,
			   struct qu_err *err);
/* RSET: unmarks every deletion. Errors: UNAVAILABLE, TEMPFAIL. */
int pop3_session_rset(struct pop3_session *s, struct qu_err *err);
/* NOOP. Errors: UNAVAILABLE, TEMPFAIL. */
int pop3_session_noop(struct pop3_session *s, struct qu_err *err);

/* QUIT: enters the UPDATE state, in which the server removes the marked
 * messages, and closes the connection. Returns 0 only when the server
 * answered +OK; -ERR (RFC 1939 §6: some messages were not removed) is
 * UNAVAILABLE, a lost connection TEMPFAIL (the deletions may or may not
 * have happened). The session is POP3_STATE_CLOSED afterwards either way;
 * free it with pop3_session_close. */
int pop3_session_quit(struct pop3_session *s, struct qu_err *err);

/* Closes the connection at once, without QUIT: the server leaves the
 * maildrop as it was (RFC 1939 §6). The session is POP3_STATE_CLOSED; free
 * it with pop3_session_close. */
void pop3_session_drop(struct pop3_session *s);

#endif
