/*
 * pop3: the POP3 client session (RFC 1939, 2449, 2595, 5034).
 *
 * Opens a session (greeting, CAPA, STLS as SPEC §1 requires, CAPA again),
 * authenticates (SASL AUTH, else USER/PASS), and closes with QUIT.
 * Depends on util and net only; never includes store: message bytes go to a
 * sink callback.
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

/* Sends QUIT (best effort), closes and frees. NULL is a no-op. Deletions
 * marked with DELE take effect only through pop3_session_quit. */
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
 * SASL, else USER/PASS (only when allow_plain). *mech gets "USER" or the
 * mechanism; valid until close. Errors: AUTH (-ERR on credentials),
 * TEMPFAIL (-ERR [IN-USE], [SYS/TEMP], connection), UNAVAILABLE. */
int pop3_session_auth(struct pop3_session *s, const struct net_sasl_creds *creds, bool allow_plain,
		      const char **mech, struct qu_err *err);

#endif
