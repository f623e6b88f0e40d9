/*
 * smtp: the SMTP client session (RFC 5321 and its extensions).
 *
 * Opens a session (greeting, EHLO with HELO fallback, STARTTLS as SPEC §1
 * requires, EHLO again), authenticates through the SASL helper, and closes
 * with QUIT. Sending a built message with an envelope comes on top of this.
 * Depends on util and net only; never includes mime or store.
 */
#ifndef QUAIL_SMTP_SMTP_H
#define QUAIL_SMTP_SMTP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"
#include "net/net.h"

/* A reply: the code, the enhanced status code (RFC 3463) if the server
 * gave one ("5.7.8"), and the text of all lines joined by '\n' without
 * codes. */
struct smtp_reply {
	int code;
	char enhanced[16];
	struct qu_buf text;
};

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_clear(struct smtp_reply *r);

enum smtp_state {
	SMTP_STATE_GREETING,
	SMTP_STATE_EHLO,
	SMTP_STATE_STARTTLS,
	SMTP_STATE_READY,  /* ready for AUTH or a mail transaction */
	SMTP_STATE_AUTHED,
	SMTP_STATE_CLOSED,
};
const char *smtp_state_name(enum smtp_state s);

struct smtp_opts {
	const char *host;
	uint16_t port;
	enum net_tls_mode tls;  /* NET_TLS_STARTTLS makes STARTTLS mandatory */
	const char *helo_name;  /* NULL: the local host name */
	struct net_opts net;
};

struct smtp_session;

/* Connects and brings the session to SMTP_STATE_READY. Errors: TEMPFAIL
 * (connection, timeout, 4xx greeting), UNAVAILABLE (5xx greeting, no
 * STARTTLS offered on a STARTTLS URL), TLS. Returns an owned session. */
struct smtp_session *smtp_session_open(const struct smtp_opts *o, struct qu_err *err);

/* Wraps a connected net_conn (tests, fuzzing); takes ownership, also on
 * failure. helo_name as in smtp_opts. As smtp_session_open otherwise. */
struct smtp_session *smtp_session_open_conn(struct net_conn *c, enum net_tls_mode tls,
					    const char *helo_name, struct qu_err *err);

/* Sends QUIT (best effort), closes and frees. NULL is a no-op. */
void smtp_session_close(struct smtp_session *s);

enum smtp_state smtp_session_state(const struct smtp_session *s);
/* The greeting text; valid until the session is closed. */
const char *smtp_session_greeting(const struct smtp_session *s);
/* The EHLO keywords and parameters, one per line (as the server sent
 * them after the last EHLO); valid until the session is closed. */
const char *smtp_session_extensions(const struct smtp_session *s);
/* True when EHLO listed the keyword (case-insensitive). *param, if not
 * NULL, is set to its parameters, which end at the next '\n' or NUL
 * (borrowed, valid until the next EHLO). */
bool smtp_session_has_ext(const struct smtp_session *s, const char *kw, const char **param);
struct net_conn *smtp_session_conn(struct smtp_session *s);
/* Bytes the server sent before the TLS handshake that were discarded. */
size_t smtp_session_discarded(const struct smtp_session *s);

/* AUTH with the strongest mechanism both sides have (net_sasl_start).
 * Without TLS only +insecure sessions may send a password (allow_plain is
 * the caller's decision). *mech (may be NULL) gets the mechanism name,
 * valid until the session is closed. Errors: AUTH (535 and other
 * rejections), TEMPFAIL (4xx, connection), UNAVAILABLE (no AUTH offered). */
int smtp_session_auth(struct smtp_session *s, const struct net_sasl_creds *creds, bool allow_plain,
		      const char **mech, struct qu_err *err);

/* Reads one (possibly multi-line) reply. Errors: TEMPFAIL, DATA (not a
 * reply). */
int smtp_read_reply(struct smtp_session *s, struct smtp_reply *r, struct qu_err *err);

/* Writes a command line (CRLF added) and flushes it. */
int smtp_command(struct smtp_session *s, struct qu_err *err, const char *fmt, ...) QU_PRINTF(3, 4);

/* Sets err from a reply that was not the expected one: 4xx TEMPFAIL, 5xx
 * UNAVAILABLE, with the code, enhanced code and text; reason REFUSED with
 * code the enhanced status ("5.1.1") when the reply has one, else the
 * reply code ("550"). Returns -1. */
int smtp_reply_error(const struct smtp_reply *r, struct qu_err *err);

/* ==== the mail transaction (send.c, text.c) ========================== */
/*
 * RFC 5321 §3.3 with PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME
 * (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461) and CHUNKING (RFC 3030).
 * The message is sent as given, except that every line end becomes CRLF
 * (a lone CR or LF too, so that no body line can end DATA early: "SMTP
 * smuggling") and, with DATA, lines starting with '.' get one more.
 */

/* DSN NOTIFY values (RFC 3461 §4.1); NEVER excludes the others. */
enum smtp_dsn_notify {
	SMTP_DSN_SUCCESS = 1 << 0,
	SMTP_DSN_FAILURE = 1 << 1,
	SMTP_DSN_DELAY = 1 << 2,
	SMTP_DSN_NEVER = 1 << 3,
};

enum smtp_dsn_ret {
	SMTP_DSN_RET_DEFAULT, /* no RET= */
	SMTP_DSN_RET_HDRS,
	SMTP_DSN_RET_FULL,
};

struct smtp_envelope {
	const char *from;           /* reverse-path address without <>; "" for <> */
	const char *const *rcpt;    /* forward-paths, n_rcpt of them */
	size_t n_rcpt;
	unsigned notify;            /* enum smtp_dsn_notify bits; 0: none */
	enum smtp_dsn_ret ret;
	const char *envid;          /* ENVID, or NULL */
};

/* One message to send. data is the whole message (any line ends). ctx is
 * the caller's. Borrowed by smtp_send_batch until done() is called for it. */
struct smtp_msg {
	struct smtp_envelope env;
	const char *data;
	size_t len;
	void *ctx;
};

/* What became of one recipient: code 2xx accepted, 4xx refused for now,
 * 5xx refused for good, 0 not asked (the text says why). */
struct smtp_rcpt_result {
	const char *address;        /* the envelope's string */
	int code;
	char enhanced[16];
	char *text;                 /* UTF-8 */
};

enum smtp_outcome {
	SMTP_OUTCOME_SENT,     /* final 2xx: the server took it for n_accepted recipients */
	SMTP_OUTCOME_TEMPFAIL, /* not sent, may be retried (4xx, connection lost) */
	SMTP_OUTCOME_FAILED,   /* not sent, refused for good (5xx, or the server lacks
				* what the message needs) */
};

struct smtp_result {
	enum smtp_outcome outcome;
	struct smtp_rcpt_result *rcpt; /* one per envelope recipient, in order */
	size_t n_rcpt;
	size_t n_accepted;
	/* The reply that decided the outcome (the final reply to the data, or
	 * the refusal of MAIL, DATA or every RCPT), code 0 for a local reason
	 * or a lost connection. */
	int code;
	char enhanced[16];
	char *text;                 /* UTF-8, "" when there is nothing to say */
	const char *stage;          /* "MAIL", "RCPT", "DATA", "BDAT", "message", "connection" */
	bool dsn_dropped;           /* DSN asked for, but the server offers none */
};

const char *smtp_outcome_name(enum smtp_outcome o);
void smtp_result_init(struct smtp_result *r);
void smtp_result_clear(struct smtp_result *r);

/* One message in one transaction: MAIL, RCPT for each recipient, DATA or
 * BDAT, pipelined when the server offers PIPELINING. Recipients the
 * server refuses are reported in r and the others get the message. Before
 * anything is sent, a message larger than the server's SIZE fails, as
 * does 8-bit data without 8BITMIME (RFC 6152 §3) and a non-ASCII local
 * part without SMTPUTF8 (SMTPUTF8 is asked for only for such a local
 * part); IDN domains always go as A-labels (libidn2). Returns 0 when r tells the outcome and the session can go on
 * (whatever the outcome), -1 when the connection failed (err TEMPFAIL; r
 * then says TEMPFAIL, stage "connection": never reported as sent). */
int smtp_send(struct smtp_session *s, const struct smtp_msg *m, struct smtp_result *r,
	struct qu_err *err);

/* Many messages over one session: next() gives each message in turn
 * (returns 1, or 0 when there are no more, or -1 with err set to stop);
 * done() gets each outcome, in order, once the server's final reply for
 * it is read; m (and its data) must stay valid until then. With
 * PIPELINING, the next message's commands go out with the previous one's
 * data, and RSET precedes every transaction after the first. Returns 0,
 * or -1 when next() failed or the connection was lost (every message given
 * and not yet done is then done() with TEMPFAIL). */
struct smtp_batch {
	int (*next)(void *ctx, struct smtp_msg *m, struct qu_err *err);
	void (*done)(void *ctx, const struct smtp_msg *m, const struct smtp_result *r);
	void *ctx;
};
int smtp_send_batch(struct smtp_session *s, const struct smtp_batch *b, struct qu_err *err);

/* VRFY (RFC 5321 §3.5.1): r gets the server's reply, whatever its code.
 * Errors: TEMPFAIL (connection), USAGE (a line break in addr). */
int smtp_verify(struct smtp_session *s, const char *addr, struct smtp_reply *r,
	struct qu_err *err);

/* The size of data once every line end is CRLF and the last line ends
 * (what SIZE= and BDAT count). */
uint64_t smtp_wire_size(const char *data, size_t len);

/* Server text that is not UTF-8 (QQ Mail answers in GBK) converted from
 * GB18030, in place; UTF-8 stays as it is. */
void smtp_text_to_utf8(struct qu_buf *text);

/* ==== end of the mail transaction ==================================== */

#endif
