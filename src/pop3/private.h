/* pop3 internals shared by session.c and mailbox.c; nothing outside src/pop3
 * includes this. */
#ifndef QUAIL_POP3_PRIVATE_H
#define QUAIL_POP3_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"
#include "net/net.h"
#include "pop3/pop3.h"

struct pop3_session {
	struct net_conn *conn;
	enum pop3_state state;
	char *greeting;
	struct qu_buf capa;
	size_t discarded;
	char *mech;
	size_t max_line;   /* the connection's line cap (net_opts.max_line) */
	bool pipelining;   /* CAPA PIPELINING (RFC 2449 §6.6) */
	bool broken;       /* a command failed half way: replies may be out of step */
	size_t marked;     /* DELEs answered +OK since the last RSET */
};

/* Reads a status line. *ok tells +OK from -ERR; *text (borrowed until the
 * next read) is what follows the status, without the line end. A "+ "
 * continuation (RFC 5034) reports ok with cont set. Errors: TEMPFAIL
 * (connection, malformed status), DATA (line too long). */
int pop3_read_status(struct pop3_session *s, bool *ok, bool *cont, const char **text,
		     size_t *tlen, struct qu_err *err);

/* Sets err from an -ERR text: TEMPFAIL for the [IN-USE] and [SYS/TEMP]
 * response codes (RFC 2449 §8, RFC 3206), else final_cls. Returns -1. */
int pop3_err_from(const char *text, size_t tlen, enum qu_err_class final_cls, struct qu_err *err);

/* Writes cmd and CRLF and flushes. Errors: TEMPFAIL. */
int pop3_command(struct pop3_session *s, const char *cmd, struct qu_err *err);

#endif
