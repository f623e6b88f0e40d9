/*
 * imap: the IMAP client session (RFC 3501, RFC 9051).
 *
 * Opens a session (greeting, CAPABILITY, STARTTLS as SPEC §1 requires,
 * CAPABILITY again), authenticates (AUTHENTICATE through the SASL helper
 * with SASL-IR, else LOGIN with quoted strings or literals), runs tagged
 * commands, and closes with LOGOUT.
 * Depends on util and net only; never includes store: message bytes go to a
 * sink callback.
 */
#ifndef QUAIL_IMAP_IMAP_H
#define QUAIL_IMAP_IMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"
#include "net/net.h"

enum imap_state {
	IMAP_STATE_GREETING,
	IMAP_STATE_STARTTLS,
	IMAP_STATE_NOT_AUTHENTICATED,
	IMAP_STATE_AUTHENTICATED,
	IMAP_STATE_SELECTED,
	IMAP_STATE_LOGOUT,
};
const char *imap_state_name(enum imap_state s);

struct imap_opts {
	const char *host;
	uint16_t port;
	enum net_tls_mode tls; /* NET_TLS_STARTTLS makes STARTTLS mandatory */
	struct net_opts net;
};

struct imap_session;

/* Connects and brings the session to NOT_AUTHENTICATED (or AUTHENTICATED
 * after a PREAUTH greeting over TLS or on +insecure). A PREAUTH greeting on
 * a STARTTLS URL is refused: the session could never be secured. Errors:
 * TEMPFAIL, UNAVAILABLE (BYE greeting, no STARTTLS), TLS. Returns an owned
 * session. */
struct imap_session *imap_session_open(const struct imap_opts *o, struct qu_err *err);

/* Sends LOGOUT (best effort), closes and frees. NULL is a no-op. */
void imap_session_close(struct imap_session *s);

enum imap_state imap_session_state(const struct imap_session *s);
/* The greeting's text after "* OK "; valid until close. */
const char *imap_session_greeting(const struct imap_session *s);
/* The capability atoms, space-separated, as last announced. */
const char *imap_session_capabilities(const struct imap_session *s);
bool imap_session_has_cap(const struct imap_session *s, const char *cap);
size_t imap_session_discarded(const struct imap_session *s);
struct net_conn *imap_session_conn(struct imap_session *s);

/* Logs in: AUTHENTICATE with the strongest shared AUTH= mechanism (with
 * SASL-IR when offered), else LOGIN (only when allow_plain and the server
 * does not say LOGINDISABLED). *mech gets the mechanism or "LOGIN"; valid
 * until close. Errors: AUTH (NO), UNAVAILABLE (BAD, nothing usable),
 * TEMPFAIL. */
int imap_session_auth(struct imap_session *s, const struct net_sasl_creds *creds, bool allow_plain,
		      const char **mech, struct qu_err *err);

/* Appends s to b as an IMAP quoted string, or as a literal ({n}) when it
 * holds bytes a quoted string cannot (CR, LF, NUL, 8-bit); *literal tells
 * the caller a literal was produced (the command must then wait for "+"
 * unless LITERAL+ is used). RFC 3501 §4.3, §4.5. */
void imap_quote(struct qu_buf *b, const char *s, size_t n, bool *literal);

#endif
