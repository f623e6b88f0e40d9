/*
 * imap: the IMAP client (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2).
 *
 * An incremental, bounded response parser (parse.c); modified UTF-7
 * mailbox names (mutf7.c); ENVELOPE and BODYSTRUCTURE decoding (body.c);
 * and the session (session.c, command.c, mailbox.c, fetch.c, message.c):
 * greeting, CAPABILITY, STARTTLS as SPEC §1 requires, AUTHENTICATE through
 * the SASL helper (SASL-IR) or LOGIN, ID, ENABLE, COMPRESS=DEFLATE,
 * NAMESPACE, LIST (SPECIAL-USE, LIST-STATUS), STATUS, SELECT/EXAMINE
 * (CONDSTORE, QRESYNC), UID FETCH/SEARCH/STORE/COPY/MOVE/EXPUNGE, APPEND
 * (LITERAL+), IDLE, NOOP and LOGOUT. Commands are pipelined: many may be in
 * flight, and replies are matched to them by tag.
 *
 * Depends on util and net only; never includes store: message bodies go to
 * a sink callback in pieces, never held whole in memory. User strings are
 * always sent as quoted strings or literals, never spliced into a command.
 */
#ifndef QUAIL_IMAP_IMAP_H
#define QUAIL_IMAP_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"
#include "net/net.h"

/* ==== the response parser (parse.c) ===================================== */

/* A response is parsed into a flat array of nodes in document order. A
 * list's children follow it, and every node's `end` is the index just past
 * its subtree, so walking a response needs no recursion:
 *   for (uint32_t i = first; i < last; i = r->nodes[i].end) ...
 */
enum imap_node_kind {
	IMAP_NODE_ATOM,     /* atom, number, flag (\Seen), BODY[1.2]<0>, ... */
	IMAP_NODE_STRING,   /* quoted string or a literal held in memory */
	IMAP_NODE_STREAMED, /* a literal handed to a sink: only its size is known */
	IMAP_NODE_NIL,
	IMAP_NODE_LIST,     /* ( ... ); its children follow it */
};
const char *imap_node_kind_name(enum imap_node_kind k);

struct imap_node {
	uint8_t kind;   /* enum imap_node_kind */
	uint8_t binary; /* a ~{n} literal (RFC 3516) */
	uint32_t end;   /* index past this node and its children */
	uint32_t off;   /* bytes at data + off (ATOM, STRING) */
	uint32_t len;   /* their length; STREAMED: see imap_node_size */
};

enum imap_resp_type {
	IMAP_RESP_UNTAGGED,
	IMAP_RESP_TAGGED,
	IMAP_RESP_CONTINUE, /* "+ text" */
};
const char *imap_resp_type_name(enum imap_resp_type t);

enum imap_status {
	IMAP_STATUS_NONE, /* not a status response (e.g. "* 3 EXISTS") */
	IMAP_STATUS_OK,
	IMAP_STATUS_NO,
	IMAP_STATUS_BAD,
	IMAP_STATUS_PREAUTH,
	IMAP_STATUS_BYE,
};
const char *imap_status_name(enum imap_status s);

/* One complete response. Every pointer is borrowed from the parser and
 * valid until its next feed or reset. */
struct imap_resp {
	enum imap_resp_type type;
	const char *tag;         /* tagged: the tag; else "*" or "+" */
	size_t tag_len;
	bool has_num;            /* "* 23 EXISTS" */
	uint32_t num;
	const char *kw;          /* keyword in upper case as sent: "FETCH", "OK", ... */
	size_t kw_len;           /* (0 for a continuation) */
	enum imap_status status; /* OK, NO, BAD, PREAUTH, BYE, or NONE */
	const char *data;        /* base of the nodes' off */
	const struct imap_node *nodes;
	uint32_t args, args_end; /* the nodes after the keyword */
	uint32_t code, code_end; /* the resp-text-code "[...]": nodes[code] is its
				  * name; code == code_end when there is none */
	const char *text;        /* resp-text (or the continuation's text) */
	size_t text_len;
	bool lenient;            /* something malformed was tolerated */
};

enum imap_parse {
	IMAP_PARSE_MORE,    /* all input used; the response is not complete */
	IMAP_PARSE_DONE,    /* a response is complete: imap_parser_response */
	IMAP_PARSE_LITERAL, /* a literal was announced: accept or skip it */
	IMAP_PARSE_ERROR,   /* imap_parser_error says why; the stream is lost */
};

/* Limits: a server's numbers never set an allocation. */
struct imap_parser_limits {
	size_t max_bytes; /* atoms, strings and text of one response; 0: 1 MiB */
	uint32_t max_nodes; /* 0: 262144 */
	uint32_t max_depth; /* list nesting; 0: 100 */
};

struct imap_parser {
	/* private */
	struct imap_parser_limits lim;
	int state;
	struct qu_buf data;
	struct imap_node *nodes;
	uint32_t n_nodes, cap_nodes;
	uint32_t stack[128];
	uint32_t depth, code_depth;
	uint32_t tok;    /* the node being built, or UINT32_MAX */
	uint32_t lit_node;
	uint64_t lit_size, lit_left;
	bool lit_binary, lit_in_text, in_code, in_quote_br, lenient;
	int ndigits;
	enum imap_resp_type type;
	size_t tag_len, text_off;
	uint32_t args, code, code_end;
	char err[160];
};

/* Embedded: init with limits (NULL: defaults), clear frees. */
void imap_parser_init(struct imap_parser *p, const struct imap_parser_limits *lim);
void imap_parser_clear(struct imap_parser *p);
/* Forgets any partial response (after an error, too). */
void imap_parser_reset(struct imap_parser *p);

/* Feeds n bytes; *used gets how many were consumed. Returns:
 *   MORE     everything used, more input needed;
 *   DONE     a response ended at data + *used (the rest is not consumed);
 *            read it with imap_parser_response; the next feed starts a new
 *            response;
 *   LITERAL  a literal {n} or ~{n} was announced (its bytes start at
 *            data + *used): call imap_parser_literal_accept to have the
 *            next feeds collect it (an error when it passes max_bytes), or
 *            imap_parser_literal_skip when the caller takes the n bytes
 *            itself (a STREAMED node records the size), then feed on;
 *   ERROR    malformed beyond recovery or a limit passed.
 * A response may arrive in any number of pieces; the result never depends
 * on how the input is split. Never recurses; memory is bounded by the
 * limits. */
enum imap_parse imap_parser_feed(struct imap_parser *p, const char *data, size_t n, size_t *used);

/* About the literal just announced (after IMAP_PARSE_LITERAL). */
struct imap_literal_info {
	uint64_t size;
	bool binary;      /* ~{n} */
	uint32_t depth;   /* list depth where it sits: 1 for a FETCH item */
	const char *item; /* the atom before it at that depth ("BODY[]<0>"), or NULL */
	size_t item_len;
	bool in_fetch;    /* inside "* n FETCH (...)" */
	uint32_t num;     /* that n */
};
void imap_parser_literal_info(const struct imap_parser *p, struct imap_literal_info *li);
/* Returns 0, or -1 (and the parser is in error) when the literal does not
 * fit in max_bytes. */
int imap_parser_literal_accept(struct imap_parser *p);
void imap_parser_literal_skip(struct imap_parser *p);

/* The response after IMAP_PARSE_DONE. */
void imap_parser_response(const struct imap_parser *p, struct imap_resp *r);
/* True when no response is partly parsed (between responses). */
bool imap_parser_between(const struct imap_parser *p);
/* Why IMAP_PARSE_ERROR came. */
const char *imap_parser_error(const struct imap_parser *p);

/* Helpers on the nodes of a response. */
static inline uint64_t
imap_node_size(const struct imap_node *n)
{
	return ((uint64_t)n->off << 32) | n->len;
}
/* The bytes of an ATOM or STRING node (NULL and 0 for others). */
const char *imap_node_bytes(const struct imap_resp *r, uint32_t i, size_t *len);
/* True when node i is an ATOM equal to s, ignoring ASCII case. */
bool imap_node_is(const struct imap_resp *r, uint32_t i, const char *s);
/* A number (ATOM of digits) no larger than max. Returns 0 or -1. */
int imap_node_u64(const struct imap_resp *r, uint32_t i, uint64_t max, uint64_t *out);
/* The node's bytes as a new NUL-terminated string (ATOM, STRING), or NULL
 * (NIL, lists, streamed). Bytes after a NUL inside are kept in *len. */
char *imap_node_dup(const struct imap_resp *r, uint32_t i, size_t *len);
/* True when the response's code is name ("UIDNEXT", ...). */
bool imap_resp_code_is(const struct imap_resp *r, const char *name);

/* ==== modified UTF-7 (RFC 3501 §5.1.3) (mutf7.c) ========================= */

/* UTF-8 to modified UTF-7 for a mailbox name. Returns a new string, or
 * NULL when s is not valid UTF-8. */
char *imap_mutf7_encode(const char *s, size_t n);
/* Modified UTF-7 to UTF-8. Returns a new string (n bytes may hold NULs:
 * *outlen has the length), or NULL when s is not valid modified UTF-7
 * (bad base64, an unpaired surrogate, a directly encoded "&" or 8-bit
 * byte, a needlessly encoded printable ASCII character, or non-zero
 * padding bits). */
char *imap_mutf7_decode(const char *s, size_t n, size_t *outlen);

/* A safe relative directory path for a mailbox (path.c): the UTF-8 name
 * split at delim (0: no hierarchy) into components joined by '/'. Each
 * component is written as is unless it could step outside the Maildir
 * root or collide with Maildir's own names: an empty component becomes
 * "%", a leading "." is "%2E" (so "..", "." and ".quail" are harmless),
 * "cur", "new" and "tmp" (any case) get their first letter as %XX,
 * control characters, "%", "/" and "\\" and the bytes of invalid UTF-8 are
 * %XX, and a component longer than 200 bytes is cut and given a hash.
 * A first component INBOX (any case) is "INBOX". The result never starts
 * with '/', never has an empty, "." or ".." component, and is never
 * empty. Returns a new string. */
char *imap_mailbox_relpath(const char *name, size_t n, char delim);

/* ==== ENVELOPE and BODYSTRUCTURE (body.c) =============================== */

struct imap_address {
	char *name, *adl, *mailbox, *host; /* NULL for NIL */
};

/* RFC 3501 §7.4.2 ENVELOPE. Strings are raw (RFC 2047 words not decoded);
 * NULL for NIL. */
struct imap_envelope {
	char *date, *subject;
	struct imap_address *from, *sender, *reply_to, *to, *cc, *bcc;
	size_t n_from, n_sender, n_reply_to, n_to, n_cc, n_bcc;
	char *in_reply_to, *message_id;
};

/* Decodes the ENVELOPE list at node i. Group syntax (NIL host) is kept as
 * its marker addresses. Returns 0, or -1 when the node is not a usable
 * envelope; *e is then empty. Free with imap_envelope_clear. */
int imap_envelope_decode(const struct imap_resp *r, uint32_t i, struct imap_envelope *e);
void imap_envelope_clear(struct imap_envelope *e);

struct imap_param {
	char *name, *value;
};

/* One part of a BODYSTRUCTURE. Parts form a tree in an array: parts[0] is
 * the root; children of a multipart are parts[first_child ...] linked by
 * next_sibling (0 ends the chain). */
struct imap_body_part {
	char *type, *subtype; /* lowercase; "multipart" for containers */
	struct imap_param *params;
	size_t n_params;
	char *id, *description, *encoding, *md5;
	uint64_t size, lines;
	char *disposition;
	struct imap_param *disp_params;
	size_t n_disp_params;
	char *language; /* first language, when given */
	char *location;
	uint32_t parent, first_child, next_sibling; /* 0: none (parts[0] is no child) */
	uint32_t depth;
	bool has_envelope; /* message/rfc822: its envelope and body follow */
};

struct imap_bodystructure {
	struct imap_body_part *parts;
	size_t n;
};

/* Decodes the BODYSTRUCTURE (or BODY) list at node i, with extension data
 * where present. Iterative: depth is bounded by the parser's nesting
 * limit. Returns 0, or -1 when the node is not a body structure. Free with
 * imap_bodystructure_clear. */
int imap_bodystructure_decode(const struct imap_resp *r, uint32_t i, struct imap_bodystructure *b);
void imap_bodystructure_clear(struct imap_bodystructure *b);

/* ==== the session ======================================================= */

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
	struct net_opts net;   /* net.max_line 0: 1 MiB (long SEARCH lines) */
};

struct imap_session;

/* Connects and brings the session to NOT_AUTHENTICATED (or AUTHENTICATED
 * after a PREAUTH greeting over TLS or on +insecure). A PREAUTH greeting on
 * a STARTTLS URL is refused: the session could never be secured. Errors:
 * TEMPFAIL, UNAVAILABLE (BYE greeting, no STARTTLS), TLS. Returns an owned
 * session. */
struct imap_session *imap_session_open(const struct imap_opts *o, struct qu_err *err);

/* Sends LOGOUT (best effort; not after an error that left the session out
 * of step), closes and frees. NULL is a no-op. */
void imap_session_close(struct imap_session *s);
/* As imap_session_close, but when the server answered every command sent,
 * sends LOGOUT and closes without waiting for its BYE and OK (a round trip
 * saved at the end of a run). NULL is a no-op. */
void imap_session_quit(struct imap_session *s);

/* Wraps a connected net_conn (tests); takes ownership. As
 * imap_session_open otherwise. */
struct imap_session *imap_session_open_conn(struct net_conn *c, enum net_tls_mode tls,
					    struct qu_err *err);

enum imap_state imap_session_state(const struct imap_session *s);
/* The greeting's text after "* OK "; valid until close. */
const char *imap_session_greeting(const struct imap_session *s);
/* The capability atoms, space-separated, as last announced. */
const char *imap_session_capabilities(const struct imap_session *s);
bool imap_session_has_cap(const struct imap_session *s, const char *cap);
/* The mechanisms of the AUTH=... capabilities, space-separated ("" for
 * none). New string. */
char *imap_session_auth_mechs(const struct imap_session *s);
size_t imap_session_discarded(const struct imap_session *s);
struct net_conn *imap_session_conn(struct imap_session *s);
/* True when an error left the session out of step with the server: only
 * imap_session_close remains useful (it then sends no LOGOUT). */
bool imap_session_broken(const struct imap_session *s);
/* Commands sent so far (for tests and -v statistics). */
unsigned imap_session_commands(const struct imap_session *s);

/* Logs in: AUTHENTICATE with the strongest shared AUTH= mechanism (with
 * SASL-IR when offered), else LOGIN (only when allow_plain and the server
 * does not say LOGINDISABLED). *mech gets the mechanism or "LOGIN"; valid
 * until close. Capabilities are asked for again when the server did not
 * send them with its OK. Errors: AUTH (NO), UNAVAILABLE (BAD, nothing
 * usable), TEMPFAIL. */
int imap_session_auth(struct imap_session *s, const struct net_sasl_creds *creds, bool allow_plain,
		      const char **mech, struct qu_err *err);

/* Appends s to b as an IMAP quoted string, or as a literal ({n}) when it
 * holds bytes a quoted string cannot (CR, LF, NUL, 8-bit); *literal tells
 * the caller a literal was produced (the command must then wait for "+"
 * unless LITERAL+ is used). RFC 3501 §4.3, §4.5. */
void imap_quote(struct qu_buf *b, const char *s, size_t n, bool *literal);

/* ---- after login ------------------------------------------------------ */

/* ID (RFC 2971): sends the client's name, version, vendor and
 * support-email (any may be NULL) when the server lists ID; some servers
 * (163.com, 126.com) refuse SELECT without it. *server_id (may be NULL)
 * gets the server's answer as "key=value" lines (new string, or NULL).
 * A server without ID is not an error. Errors: UNAVAILABLE (NO/BAD),
 * TEMPFAIL. */
struct imap_id {
	const char *name, *version, *vendor, *support_email;
};
int imap_session_id(struct imap_session *s, const struct imap_id *id, char **server_id,
		    struct qu_err *err);

/* ENABLE (RFC 5161) of the listed extensions the server offers
 * (IMAP_ENABLE_* bits); those the server confirmed are set in
 * imap_session_enabled. QRESYNC implies CONDSTORE. */
enum {
	IMAP_ENABLE_CONDSTORE = 1u << 0,
	IMAP_ENABLE_QRESYNC = 1u << 1,
	IMAP_ENABLE_UTF8 = 1u << 2, /* UTF8=ACCEPT: names go both ways in UTF-8 */
};
int imap_session_enable(struct imap_session *s, unsigned want, struct qu_err *err);
unsigned imap_session_enabled(const struct imap_session *s);
/* What a session does after login, sent together in one round trip: ID
 * (as imap_session_id, without the server's answer; id may be NULL for
 * none), ENABLE of want (as imap_session_enable) and, when compress and
 * offered, COMPRESS=DEFLATE (as imap_session_compress), last. Every reply
 * is collected even after a failure; err says the first. */
int imap_session_setup(struct imap_session *s, const struct imap_id *id, unsigned want,
		       bool compress, struct qu_err *err);

/* COMPRESS=DEFLATE (RFC 4978) when offered: from its OK on, both
 * directions are compressed. Returns 1 when started, 0 when not offered,
 * -1 on error (UNAVAILABLE, TEMPFAIL). */
int imap_session_compress(struct imap_session *s, struct qu_err *err);

/* NAMESPACE (RFC 2342): the first personal namespace's prefix and
 * delimiter (0 for none). *prefix is a new string. Without NAMESPACE the
 * prefix is "" and the delimiter comes from LIST "" "". */
int imap_session_namespace(struct imap_session *s, char **prefix, char *delim, struct qu_err *err);

/* ---- mailboxes (mailbox.c) ---------------------------------------------- */

/* What STATUS, LIST-STATUS, SELECT and EXAMINE tell about a mailbox. A
 * field counts only when its IMAP_MB_HAVE_* bit is set in have. */
enum {
	IMAP_MB_HAVE_MESSAGES = 1u << 0,
	IMAP_MB_HAVE_UNSEEN = 1u << 1,
	IMAP_MB_HAVE_UIDVALIDITY = 1u << 2,
	IMAP_MB_HAVE_UIDNEXT = 1u << 3,
	IMAP_MB_HAVE_HIGHESTMODSEQ = 1u << 4,
	IMAP_MB_HAVE_RECENT = 1u << 5,
	IMAP_MB_HAVE_SIZE = 1u << 6,
};
struct imap_mailbox_status {
	unsigned have;
	uint32_t messages; /* STATUS MESSAGES, or SELECT's EXISTS */
	uint32_t unseen, recent;
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq; /* 0 with NOMODSEQ */
	uint64_t size;
	bool read_only;    /* SELECT answered [READ-ONLY] */
	bool nomodseq;     /* [NOMODSEQ] */
	unsigned permanent_flags; /* IMAP_FLAG_* from [PERMANENTFLAGS] */
};

/* IMAP system flags and the keywords quail maps to Maildir info. */
enum {
	IMAP_FLAG_SEEN = 1u << 0,
	IMAP_FLAG_ANSWERED = 1u << 1,
	IMAP_FLAG_FLAGGED = 1u << 2,
	IMAP_FLAG_DELETED = 1u << 3,
	IMAP_FLAG_DRAFT = 1u << 4,
	IMAP_FLAG_RECENT = 1u << 5,
	IMAP_FLAG_FORWARDED = 1u << 6, /* $Forwarded */
	IMAP_FLAG_ANY = 1u << 7,       /* \* in PERMANENTFLAGS */
};
/* The flag bit for one flag atom ("\Seen"), or 0 for others. */
unsigned imap_flag_bit(const char *p, size_t n);

/* LIST attributes (RFC 3501, RFC 5258, RFC 6154 SPECIAL-USE). */
enum {
	IMAP_LIST_NOSELECT = 1u << 0,
	IMAP_LIST_NOINFERIORS = 1u << 1,
	IMAP_LIST_HASCHILDREN = 1u << 2,
	IMAP_LIST_HASNOCHILDREN = 1u << 3,
	IMAP_LIST_NONEXISTENT = 1u << 4,
	IMAP_LIST_MARKED = 1u << 5,
	IMAP_LIST_UNMARKED = 1u << 6,
	IMAP_LIST_SUBSCRIBED = 1u << 7,
	IMAP_LIST_REMOTE = 1u << 8,
	IMAP_LIST_ALL = 1u << 9,
	IMAP_LIST_ARCHIVE = 1u << 10,
	IMAP_LIST_DRAFTS = 1u << 11,
	IMAP_LIST_FLAGGED = 1u << 12,
	IMAP_LIST_JUNK = 1u << 13,
	IMAP_LIST_SENT = 1u << 14,
	IMAP_LIST_TRASH = 1u << 15,
	IMAP_LIST_IMPORTANT = 1u << 16,
};

struct imap_list_entry {
	char *wire;       /* the name as the server sent it (mUTF-7, or UTF-8
			   * with UTF8=ACCEPT); wire_len bytes */
	size_t wire_len;
	char *name;       /* decoded to UTF-8; the wire bytes when they are not
			   * valid modified UTF-7; name_len bytes */
	size_t name_len;
	char delim;       /* hierarchy delimiter, 0 for NIL */
	unsigned attrs;   /* IMAP_LIST_* */
	struct imap_mailbox_status status; /* with LIST-STATUS */
};

struct imap_list {
	struct imap_list_entry *v;
	size_t n;
};
void imap_list_clear(struct imap_list *l);

/* What imap_list asks for besides the names. */
enum {
	IMAP_LISTOPT_SPECIAL_USE = 1u << 0, /* RETURN (SPECIAL-USE) when offered */
};

/* LIST ref pattern (both UTF-8; sent as mUTF-7 unless UTF8=ACCEPT). With
 * status_items (IMAP_MB_HAVE_* bits; 0 for none) and LIST-STATUS offered,
 * RETURN (STATUS (...)) fills each entry's status in the same command;
 * without LIST-STATUS the caller uses imap_status_many. Entries come in
 * the server's order; a name listed twice is kept once. Errors:
 * UNAVAILABLE (NO/BAD), TEMPFAIL. */
int imap_session_list(struct imap_session *s, const char *ref, const char *pattern,
		      unsigned listopts, unsigned status_items, struct imap_list *out,
		      struct qu_err *err);

/* STATUS for n mailboxes (wire names), pipelined. st[i] gets what came
 * back; a mailbox the server refuses (NO) gets have == 0 and, when fail is
 * non-NULL, fail[i] = true; other errors stop. Errors: UNAVAILABLE (BAD),
 * TEMPFAIL. */
int imap_session_status_many(struct imap_session *s, const char *const *wire, const size_t *wire_len,
			     size_t n, unsigned items, struct imap_mailbox_status *st, bool *fail,
			     struct qu_err *err);

/* CREATE the mailbox (wire name). Errors: UNAVAILABLE (NO, e.g. it
 * exists), TEMPFAIL. */
int imap_session_create(struct imap_session *s, const char *wire, size_t wire_len,
			struct qu_err *err);
/* DELETE the mailbox (wire name; RFC 3501 §6.3.4). Errors: UNAVAILABLE
 * (NO), TEMPFAIL. */
int imap_session_delete(struct imap_session *s, const char *wire, size_t wire_len,
			struct qu_err *err);

/* SELECT (read_only false) or EXAMINE the mailbox (wire name), adding
 * (CONDSTORE) when CONDSTORE is enabled or offered. The session is then
 * SELECTED. Errors: UNAVAILABLE (NO: no such mailbox, ...), TEMPFAIL. */
int imap_session_select(struct imap_session *s, const char *wire, size_t wire_len, bool read_only,
			struct imap_mailbox_status *st, struct qu_err *err);
/* SELECT or EXAMINE with QRESYNC (RFC 7162 §3.2.5) when it is enabled and
 * q names a UIDVALIDITY and HIGHESTMODSEQ from an earlier sync: the reply
 * then brings a FETCH (UID, FLAGS, MODSEQ) for each message changed since
 * q->modseq, among q->known_uids (a UID set; NULL: all), passed to h->msg,
 * and VANISHED (EARLIER) for those expunged. Otherwise it is
 * imap_session_select. Errors: as imap_session_select, or h->msg's. */
struct imap_fetch_handler;
struct imap_qresync {
	uint32_t uidvalidity;
	uint64_t modseq;
	const char *known_uids;
};
int imap_session_select_qresync(struct imap_session *s, const char *wire, size_t wire_len,
				bool read_only, const struct imap_qresync *q,
				const struct imap_fetch_handler *h, void *ctx,
				struct imap_mailbox_status *st, struct qu_err *err);
/* The selected mailbox's state as updated by EXISTS, EXPUNGE, VANISHED
 * and HIGHESTMODSEQ since. */
const struct imap_mailbox_status *imap_session_selected(const struct imap_session *s);

/* Encodes a UTF-8 mailbox name for the wire (mUTF-7, or as is with
 * UTF8=ACCEPT enabled). New string; NULL when name is not UTF-8. */
char *imap_session_wire_name(const struct imap_session *s, const char *name);
/* Decodes a wire name to UTF-8 (new string; the bytes as they are when they
 * are not valid modified UTF-7). */
char *imap_session_name_utf8(const struct imap_session *s, const char *wire, size_t n,
			     size_t *outlen);

/* ---- messages (fetch.c, message.c) ------------------------------------ */

/* One FETCH response as far as quail reads it. */
struct imap_fetch_msg {
	uint32_t seq;
	uint32_t uid;           /* 0 when the response has no UID */
	unsigned flags;         /* IMAP_FLAG_*; has_flags when FLAGS came */
	bool has_flags;
	uint64_t size;          /* RFC822.SIZE; has_size */
	bool has_size;
	uint64_t modseq;        /* MODSEQ, 0 when absent */
	const char *internaldate; /* as sent, NUL-terminated; NULL when absent */
	bool has_body;          /* BODY[...]/RFC822/BINARY[] came */
	uint64_t body_size;     /* its length */
	const char *body;       /* a body held in memory (no body_begin handler) */
	uint32_t envelope;      /* node index of ENVELOPE in the response, 0: none */
	uint32_t bodystructure; /* node index of BODYSTRUCTURE/BODY, 0: none */
};

/* Called for FETCH responses while a fetch runs.
 *   body_begin  a body literal starts (m holds what came before it in the
 *               same response: usually UID and FLAGS); NULL: bodies are
 *               kept in memory (capped by the parser's max_bytes);
 *   body_data   its bytes, in pieces;
 *   msg         once per FETCH response, complete (also for unsolicited
 *               FETCHes, e.g. flag changes, without a body); r is the whole
 *               response for ENVELOPE/BODYSTRUCTURE. May be NULL.
 * Each returns 0, or -1 to stop (setting err): the session is then broken. */
struct imap_fetch_handler {
	int (*body_begin)(void *ctx, const struct imap_fetch_msg *m, uint64_t size,
			  struct qu_err *err);
	net_sink_fn body_data;
	int (*msg)(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r,
		   struct qu_err *err);
};

/* UID FETCH uidset items, e.g. ("1:*", "(UID FLAGS RFC822.SIZE)"). uidset
 * and items are protocol syntax the caller builds, not user text; with
 * changedsince > 0 adds (CHANGEDSINCE n) (CONDSTORE). Errors: UNAVAILABLE
 * (NO/BAD), TEMPFAIL, or a callback's. */
int imap_session_uid_fetch(struct imap_session *s, const char *uidset, const char *items,
			   uint64_t changedsince, const struct imap_fetch_handler *h, void *ctx,
			   struct qu_err *err);

/* Fetches the bodies (BODY.PEEK[]) and FLAGS of uids (ascending), in
 * batches of at most batch_msgs messages and batch_bytes bytes by sizes[]
 * (may be NULL), with up to `window` UID FETCH commands in flight so that
 * the server never waits for a round trip. Bodies stream to h. A uid the
 * server no longer has (expunged) simply does not appear. Errors: as
 * imap_session_uid_fetch. */
struct imap_fetch_plan {
	const uint32_t *uids;
	const uint64_t *sizes;
	size_t n;
	size_t batch_msgs;   /* 0: 500 */
	uint64_t batch_bytes; /* 0: 32 MB */
	unsigned window;     /* 0: 2 */
};
int imap_session_fetch_bodies(struct imap_session *s, const struct imap_fetch_plan *plan,
			      const struct imap_fetch_handler *h, void *ctx, struct qu_err *err);

/* Formats uids (ascending) as an IMAP sequence set ("1:3,7,9:10"),
 * appended to b. */
void imap_uidset_format(struct qu_buf *b, const uint32_t *uids, size_t n);

/* UID SEARCH criteria (protocol syntax built by the caller; user strings
 * belong in imap_quote). *uids gets a new array of n results (ESEARCH is
 * used when offered). Errors: UNAVAILABLE, TEMPFAIL. */
int imap_session_uid_search(struct imap_session *s, const char *criteria, uint32_t **uids,
			    size_t *n, struct qu_err *err);

/* UID STORE uidset (+FLAGS.SILENT / -FLAGS.SILENT / FLAGS.SILENT) of the
 * IMAP_FLAG_* bits. op is '+', '-' or '='. */
int imap_session_uid_store(struct imap_session *s, const char *uidset, char op, unsigned flags,
			   struct qu_err *err);

/* Where COPYUID/APPENDUID say the messages went (UIDPLUS, RFC 4315). */
struct imap_uidplus {
	uint32_t uidvalidity; /* 0 when the server did not say */
	char *src, *dst;      /* uid sets as sent; new strings or NULL */
};
void imap_uidplus_clear(struct imap_uidplus *u);

/* UID COPY / UID MOVE (MOVE when move is true; without the MOVE extension:
 * COPY, STORE +FLAGS.SILENT (\Deleted), then UID EXPUNGE when UIDPLUS is
 * offered). dst is a wire name. *u (may be NULL) gets COPYUID. */
int imap_session_uid_copy(struct imap_session *s, const char *uidset, const char *dst_wire,
			  size_t dst_len, bool move, struct imap_uidplus *u, struct qu_err *err);
/* UID EXPUNGE uidset (UIDPLUS); without UIDPLUS: UNAVAILABLE. */
int imap_session_uid_expunge(struct imap_session *s, const char *uidset, struct qu_err *err);

/* The same two with the changes they bring to the selected folder (the
 * moved or expunged messages' EXPUNGE or VANISHED, and any other news)
 * reported to fn (may be NULL); struct imap_event is below. */
struct imap_event;
typedef int (*imap_event_fn)(void *ctx, const struct imap_event *ev, struct qu_err *err);
int imap_session_uid_copy_events(struct imap_session *s, const char *uidset, const char *dst_wire,
				 size_t dst_len, bool move, imap_event_fn fn, void *ctx,
				 struct imap_uidplus *u, struct qu_err *err);
int imap_session_uid_expunge_events(struct imap_session *s, const char *uidset, imap_event_fn fn,
				    void *ctx, struct qu_err *err);

/* APPEND the message (p, n) to the mailbox (wire name) with IMAP_FLAG_*
 * flags and an optional internal date ("dd-Mon-yyyy hh:mm:ss +zzzz" or
 * NULL), as a literal: non-synchronizing with LITERAL+ (or LITERAL- when
 * it is small), else after the server's "+". *u (may be NULL) gets
 * APPENDUID. Errors: UNAVAILABLE (NO, e.g. [TRYCREATE]; the message says
 * so), TEMPFAIL. */
int imap_session_append(struct imap_session *s, const char *wire, size_t wire_len, unsigned flags,
			const char *date, const char *p, size_t n, struct imap_uidplus *u,
			struct qu_err *err);

/* NOOP: lets the server report changes (EXISTS, EXPUNGE, FETCH). */
int imap_session_noop(struct imap_session *s, struct qu_err *err);

/* IDLE (RFC 2177): starts idling, then waits (within the connection's
 * timeout) until the server reports a change to the selected mailbox;
 * *changed is true then, false after the timeout. imap_session_idle_done
 * ends it (DONE) and reads the command's completion. */
int imap_session_idle(struct imap_session *s, bool *changed, struct qu_err *err);
int imap_session_idle_done(struct imap_session *s, struct qu_err *err);

/* LOGOUT: says goodbye and reads the server's BYE and OK. The session is
 * LOGOUT afterwards; free it with imap_session_close. */
int imap_session_logout(struct imap_session *s, struct qu_err *err);

/* ---- an interactive client (idle.c, store_cmd.c) ----------------------- */

/* A change to the selected mailbox the server reported on its own (RFC 3501
 * §7.3.1, §7.4.1, §7.4.2; RFC 7162 §3.2.10). */
enum imap_event_kind {
	IMAP_EVENT_EXISTS,   /* num: the mailbox now holds num messages */
	IMAP_EVENT_EXPUNGE,  /* num: the message with this number is gone;
			      * the numbers above it move down by one */
	IMAP_EVENT_FETCH,    /* msg: new flags (and MODSEQ) of a message */
	IMAP_EVENT_VANISHED, /* uids: a UID set gone (QRESYNC); earlier: news
			      * about the past, the count did not change */
};
const char *imap_event_kind_name(enum imap_event_kind k);

/* Borrowed for the call. */
struct imap_event {
	enum imap_event_kind kind;
	uint32_t num;
	const struct imap_fetch_msg *msg;
	const char *uids; /* NUL-terminated protocol text "3:5,9" (checked) */
	bool earlier;
};
/* imap_event_fn (declared above) returns 0, or -1 with err set to stop
 * (the session is then broken). */

/* IDLE (RFC 2177) on the selected mailbox: enters IDLE, reports each
 * EXISTS, EXPUNGE, FETCH and VANISHED to fn (may be NULL) as it comes, and
 * leaves (DONE, then the command's completion is read) when wake_fd (may
 * be -1; it is not read) becomes readable or timeout_ms passes (< 0: no
 * limit; RFC 2177 §3 asks to leave and enter again within 29 minutes).
 * The session is usable afterwards. Returns 1 when woken, 0 when the time
 * passed or the server ended IDLE itself, -1 on error (UNAVAILABLE when
 * IDLE is not offered or refused, TEMPFAIL, CANCELED when the
 * connection's cancel handle fired: the session is then broken). */
int imap_session_idle_run(struct imap_session *s, int wake_fd, int timeout_ms, imap_event_fn fn,
			  void *ctx, struct qu_err *err);

/* NOOP with the changes it brings reported to fn (may be NULL): how a
 * client without IDLE learns news. Errors: UNAVAILABLE, TEMPFAIL. */
int imap_session_noop_events(struct imap_session *s, imap_event_fn fn, void *ctx,
			     struct qu_err *err);

/* imap_session_select_qresync with what the reply brings reported to fn
 * (may be NULL) as events: EXISTS, each FETCH of a message changed since
 * q->modseq and VANISHED (EARLIER) for those expunged since (RFC 7162
 * §3.2.5.1), so that a client coming back after a lost connection learns
 * what changed. Errors: as imap_session_select. */
int imap_session_select_events(struct imap_session *s, const char *wire, size_t wire_len,
			       bool read_only, const struct imap_qresync *q, imap_event_fn fn,
			       void *ctx, struct imap_mailbox_status *st, struct qu_err *err);

/* EXPUNGE (RFC 3501 §6.4.3): removes every message marked \Deleted in the
 * selected mailbox; each EXPUNGE or VANISHED goes to fn (may be NULL).
 * Errors: UNAVAILABLE (NO/BAD, e.g. read-only), TEMPFAIL. */
int imap_session_expunge(struct imap_session *s, imap_event_fn fn, void *ctx, struct qu_err *err);

/* UID STORE with the answer wanted: op '+', '-' or '=' of the IMAP_FLAG_*
 * bits. unchangedsince > 0 makes the store conditional (RFC 7162 §3.1.3)
 * when CONDSTORE is enabled or offered (it is left out otherwise): the
 * messages whose MODSEQ passed it are not changed, and *modified (may be
 * NULL) gets a new array of their UIDs, ascending, *n_modified their
 * number (0 and NULL when none). The new FLAGS (and MODSEQ) of each
 * message changed go to fn as IMAP_EVENT_FETCH (fn NULL: .SILENT).
 * uidset is protocol syntax ("1:3,7"). Errors: UNAVAILABLE (NO/BAD),
 * TEMPFAIL. */
int imap_session_uid_store_cond(struct imap_session *s, const char *uidset, char op, unsigned flags,
				uint64_t unchangedsince, imap_event_fn fn, void *ctx,
				uint32_t **modified, size_t *n_modified, struct qu_err *err);

/* What a message list shows, from one FETCH response. Borrowed for the
 * call. */
struct imap_summary {
	uint32_t seq, uid;
	unsigned flags;     /* IMAP_FLAG_* */
	bool has_flags;
	uint64_t size;      /* RFC822.SIZE, 0 when absent */
	uint64_t modseq;    /* 0 without CONDSTORE */
	const char *internaldate; /* as sent, or NULL */
	const struct imap_envelope *envelope;     /* NULL when absent or unusable */
	const struct imap_bodystructure *body;    /* NULL when absent or unusable */
};
typedef int (*imap_summary_fn)(void *ctx, const struct imap_summary *m, struct qu_err *err);

enum {
	IMAP_SUMMARY_ENVELOPE = 1u << 0,
	IMAP_SUMMARY_BODYSTRUCTURE = 1u << 1,
};

/* UID FETCH uidset (UID FLAGS INTERNALDATE RFC822.SIZE, MODSEQ when
 * CONDSTORE is enabled, and ENVELOPE and BODYSTRUCTURE as want says): fn
 * gets each message that has a UID, in the server's order. uidset is
 * protocol syntax ("1:*", "4,9:12"); anything else is refused (SOFTWARE).
 * Errors: UNAVAILABLE (NO/BAD), TEMPFAIL, or fn's. */
int imap_session_fetch_summaries(struct imap_session *s, const char *uidset, unsigned want,
				 imap_summary_fn fn, void *ctx, struct qu_err *err);

/* Streams one message (section "") or one part of it (BODY.PEEK[section]:
 * "1.2", "2.HEADER", "TEXT"; RFC 3501 §6.4.5) to sink without setting
 * \Seen. *size (may be NULL) gets the length the server announced. A
 * section of other characters is refused (SOFTWARE). Errors: UNAVAILABLE
 * (NO/BAD, or no such message: "no such message"), TEMPFAIL, or the
 * sink's. */
int imap_session_fetch_part(struct imap_session *s, uint32_t uid, const char *section,
			    net_sink_fn sink, void *ctx, uint64_t *size, struct qu_err *err);

#endif
