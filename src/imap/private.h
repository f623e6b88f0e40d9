/* imap internals shared by the session's files; nothing outside src/imap
 * includes this. */
#ifndef QUAIL_IMAP_PRIVATE_H
#define QUAIL_IMAP_PRIVATE_H

#include "util/util.h"
#include "net/net.h"
#include "imap/imap.h"

/* Commands in flight at most (pipelining). */
#define IMAP_MAX_PENDING 64
/* Bytes of one response outside streamed bodies. */
#define IMAP_RESP_MAX (1024 * 1024)
/* Longest line accepted (a SEARCH answer is one line). */
#define IMAP_MAX_LINE (1024 * 1024)

/* A command sent and not yet collected by its caller. */
struct imap_pending {
	unsigned tag;
	bool done;
	enum imap_status st;
	enum qu_err_class no_cls; /* what a NO means for this command */
	char *msg;                /* "server said ..." when not OK */
	enum qu_err_class cls;
	enum qu_err_reason reason; /* REFUSED (NO), AUTH, PROTOCOL (BAD) */
	char code[32];            /* the response code's name ("TRYCREATE") */
};

/* What the operation in progress wants to see. Any hook may be NULL. */
struct imap_hooks {
	/* each untagged response, after the session's own bookkeeping */
	int (*untagged)(void *ctx, const struct imap_resp *r, struct qu_err *err);
	/* a literal was announced; partial is the response so far. Return 1
	 * and set *sink and *sctx to stream its bytes, 0 to keep it in the
	 * response, -1 to stop. */
	int (*literal)(void *ctx, const struct imap_literal_info *li, const struct imap_resp *partial,
		       net_sink_fn *sink, void **sctx, struct qu_err *err);
};

struct imap_session {
	struct net_conn *conn;
	enum imap_state state;
	enum net_tls_mode tls;
	char *greeting;
	char *caps;
	unsigned caps_gen; /* bumped at each new capability list */
	char *mech;
	char *bye;       /* text of an untagged BYE */
	size_t discarded;
	unsigned tag;    /* the last tag number used */
	unsigned commands;
	bool broken;     /* out of step with the server */
	unsigned enabled;
	struct imap_parser parser;
	struct imap_resp resp; /* the last response read; valid until the next read */
	struct imap_pending pend[IMAP_MAX_PENDING];
	size_t npend;
	struct imap_mailbox_status sel;
	bool track_sel;  /* SELECTED or a SELECT/EXAMINE in flight */
	const struct imap_hooks *hooks;
	void *hctx;
	unsigned idle_tag; /* IDLE in progress */
	bool idle_wait;    /* reading while idle: a timeout is not an error */
	bool idle_timeout; /* ... and it happened */
};

/* ---- command.c ---- */

/* Starts a command: writes "TAG " and verb, registers it in flight and
 * returns its tag number (0 when too many are in flight: an internal
 * error the caller reports). no_cls is the class a NO gets. */
unsigned imap_cmd_start(struct imap_session *s, const char *verb, enum qu_err_class no_cls,
			struct qu_err *err);
/* Appends protocol text (not user data) to the command being written. */
int imap_cmd_raw(struct imap_session *s, const char *text, struct qu_err *err);
int imap_cmd_printf(struct imap_session *s, struct qu_err *err, const char *fmt, ...)
	QU_PRINTF(3, 4);
/* Appends " " and p as a quoted string or a literal (LITERAL+ when the
 * server has it, LITERAL- for up to 4096 bytes, else waiting for "+").
 * secret: the trace shows <redacted>. */
int imap_cmd_astring(struct imap_session *s, unsigned tag, const char *p, size_t n, bool secret,
		     struct qu_err *err);
/* Appends " " and a literal of exactly n bytes (APPEND). */
int imap_cmd_literal(struct imap_session *s, unsigned tag, const char *p, size_t n,
		     struct qu_err *err);
/* Ends the command line (CRLF). Nothing is flushed: pipelined commands go
 * out together at the next wait. */
int imap_cmd_end(struct imap_session *s, struct qu_err *err);

/* Flushes, then reads responses until the command tag completes. Returns
 * 0 for OK; for NO/BAD -1 with err "server said ..." (class by the
 * command's no_cls, BAD UNAVAILABLE, [UNAVAILABLE]/[INUSE] TEMPFAIL).
 * *fresh (may be NULL) tells whether s->resp still holds the tagged
 * response (false when it completed while an earlier wait ran). */
int imap_cmd_wait(struct imap_session *s, unsigned tag, bool *fresh, struct qu_err *err);
/* One whole command without arguments: start, end, wait. */
int imap_cmd_simple(struct imap_session *s, const char *verb, struct qu_err *err);
/* Flushes and reads until a continuation request ("+") comes (returns 1;
 * the text is in s->resp), or tag completes (returns 0 for OK, -1 with err
 * for NO/BAD), or a protocol or connection error (-1). */
int imap_cmd_wait_continue(struct imap_session *s, unsigned tag, struct qu_err *err);

/* Records the tagged response in s->resp as its command's completion (for
 * a caller that read it with imap_read_response, as IDLE does); collect
 * it with imap_cmd_wait. */
int imap_cmd_note_tagged(struct imap_session *s, struct qu_err *err);

/* imap_cmd_wait with the changes the command brings (EXISTS, EXPUNGE,
 * FETCH, VANISHED) reported to fn (may be NULL) as they come (idle.c). */
int imap_cmd_wait_events(struct imap_session *s, unsigned tag, imap_event_fn fn, void *ctx,
			 bool *fresh, struct qu_err *err);
/* imap_cmd_wait_events that also hands every untagged response to also
 * (may be NULL) before looking at it as an event. */
int imap_cmd_wait_events_also(struct imap_session *s, unsigned tag, imap_event_fn fn, void *ctx,
			      int (*also)(void *, const struct imap_resp *, struct qu_err *),
			      void *also_ctx, bool *fresh, struct qu_err *err);

/* Reads one response into s->resp, doing the session's bookkeeping for
 * untagged ones and calling the hooks. */
int imap_read_response(struct imap_session *s, struct qu_err *err);

/* Asks for CAPABILITY when the last login left them unknown. */
int imap_ensure_caps(struct imap_session *s, struct qu_err *err);

/* Marks the session broken and returns -1. */
int imap_broken(struct imap_session *s);
/* Sets the hooks for an operation; returns the previous ones through
 * old/oldctx for imap_hooks_restore. */
void imap_hooks_set(struct imap_session *s, const struct imap_hooks *h, void *ctx);

/* The capability list from a CAPABILITY response or code (nodes
 * first..last). */
void imap_caps_set(struct imap_session *s, const struct imap_resp *r, uint32_t first, uint32_t last);

/* Appends a readable rendering of nodes [first, last) to b ("A (b c) {5}"),
 * with strings quoted and control characters escaped; for messages. */
void imap_describe_nodes(struct qu_buf *b, const struct imap_resp *r, uint32_t first, uint32_t last);
/* "NO [CODE ...] text" of a status response, made safe. New string. */
char *imap_describe_status(const struct imap_resp *r);

/* ---- mailbox.c ---- */

/* Reads "(MESSAGES 1 UIDNEXT 5 ...)" at node i into st. */
void imap_status_items(const struct imap_resp *r, uint32_t i, struct imap_mailbox_status *st);
/* The IMAP_FLAG_* bits of a flag list at node i. */
unsigned imap_flag_list(const struct imap_resp *r, uint32_t i);
/* Appends "(\Seen \Flagged ...)": the settable IMAP_FLAG_* bits of flags. */
void imap_flags_format(struct qu_buf *b, unsigned flags);

/* ---- fetch.c ---- */

/* FETCH responses to an imap_fetch_handler: imap_hooks_set(s,
 * &imap_fetch_hooks, &ctx) for any command whose replies carry them (UID
 * FETCH, SELECT with QRESYNC). */
struct imap_fetch_ctx {
	struct imap_session *s;
	const struct imap_fetch_handler *h;
	void *ctx;
	char idate[64];
};
extern const struct imap_hooks imap_fetch_hooks;

/* APPENDUID or COPYUID of a response into u (may be NULL). */
void imap_uidplus_from_resp(const struct imap_resp *r, struct imap_uidplus *u);

/* Parses the sequence set at p (n bytes) into ascending uids appended to
 * *v (n_v, cap_v), at most max in all. Returns 0, or -1 when malformed or
 * too large. */
int imap_seqset_parse(const char *p, size_t n, uint32_t **v, size_t *n_v, size_t *cap_v,
		      size_t max);

#endif
