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
 * UNAVAILABLE, with the code, enhanced code and text. Returns -1. */
int smtp_reply_error(const struct smtp_reply *r, struct qu_err *err);

#endif
