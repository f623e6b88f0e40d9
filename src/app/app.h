/*
 * app: quail's use cases, each a function the CLI (and later the UI) calls.
 *
 * Wires config to the protocol sessions and the stores: resolves the
 * account, turns its URLs into sessions with the TLS rule of SPEC §1, gets
 * the password, and hands results back as data. Never prints: output goes
 * through callbacks.
 */
#ifndef QUAIL_APP_APP_H
#define QUAIL_APP_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"
#include "config/config.h"
#include "index/index.h"

/* What every network use case needs besides the account. */
struct app_net {
	int timeout_s;                 /* 0: 60 */
	const struct qu_trace *trace;  /* -v, or NULL */
	const struct qu_cancel *cancel; /* NULL: cannot be canceled; fired: the
					 * call returns QU_E_CANCELED soon */
};

/* Receives "key: value" facts; value is raw server text that the caller
 * must make safe before showing it. */
typedef void (*app_emit_fn)(void *ctx, const char *key, const char *value);

/* `quail serverinfo`: connects to the account's server for proto (TLS per
 * the URL's scheme), and emits server, greeting, tls (several), capabilities
 * and auth facts; with login, also authenticates and emits "login". Errors
 * carry "URL: what: why" and the class of the failure (TLS, TEMPFAIL, AUTH,
 * UNAVAILABLE, CONFIG). */
int app_serverinfo(const struct cfg_account *acct, enum cfg_proto proto, bool login,
		   const struct app_net *net, app_emit_fn emit, void *ctx, struct qu_err *err);

/* ---- quail fetch (SPEC §5) ------------------------------------------- */

/* Where a fetch (or a sync) stands, for a progress display: one struct
 * for every use case that moves messages. Totals are what the server
 * announced for this run's new messages (POP3 LIST sizes). */
struct app_fetch_progress {
	const char *folder;       /* "INBOX" for POP3 */
	uint64_t msgs_done, msgs_total;
	uint64_t bytes_done, bytes_total;
	int64_t elapsed_ms;
	bool last;                /* the final call of this folder */
};
/* Called with the progress; returning true asks the call to stop, which it
 * then does as if its cancel handle had fired (QU_E_CANCELED, journal and
 * Maildir consistent, what was stored counted). */
typedef bool (*app_progress_fn)(void *ctx, const struct app_fetch_progress *p);

struct app_fetch_opts {
	const char *dir;              /* Maildir root; NULL: the account's maildir */
	bool delete_after;            /* --delete: remove what is safely stored */
	const char *const *folders;   /* IMAP --folder names (n_folders of them) */
	size_t n_folders;
	bool all_folders;             /* IMAP --all-folders */
	app_progress_fn progress;     /* NULL: no progress; called at most ~10 times a second */
	void *progress_ctx;
};

/* What a fetch did; filled in also when it fails part way. */
struct app_fetch_result {
	uint64_t messages;  /* stored in the Maildir by this run */
	uint64_t bytes;     /* their size as stored */
	uint64_t folders;   /* folders (mailboxes) fetched from: 1 for POP3 */
	uint64_t deleted;   /* removed from the server (QUIT succeeded) */
	uint64_t already;   /* found stored by an interrupted run and not stored again */
	uint64_t reflagged; /* IMAP: stored copies whose flags changed on the server */
	uint64_t skipped;   /* larger than max_message_size: not fetched, not
			     * recorded (a higher limit fetches them) */
	uint64_t max_size;  /* that limit */
	/* Keeping the index current (index_hook.c): not QU_E_OK when
	 * updating it after the run failed; a warning, the run stands. */
	struct qu_err index_warning;
};

/* `quail fetch --pop3`: downloads the account's POP3 maildrop into the
 * Maildir o->dir (else the account's maildir; the messages go into its
 * new/), exactly once across runs and interruptions. State is the journal
 * DIR/.quail/pop3-USER@HOST of the unique-ids stored (the protocol is
 * described in fetch_pop3.c). With o->delete_after, every message whose
 * copy is on disk and journaled is marked with DELE and removed by the
 * QUIT that ends a successful session; after any error the connection is
 * dropped without QUIT, so the server removes nothing. A server without
 * UIDL is refused unless o->delete_after (then each message is stored
 * unless identical bytes are already in the Maildir, and removed).
 * Errors: CONFIG (no pop3 URL, no user or password, no Maildir), TLS,
 * TEMPFAIL (connection lost, timeout, -ERR [IN-USE]), AUTH (-ERR on
 * login), UNAVAILABLE (-ERR, no UIDL without --delete, messages the
 * server would not send), IOERR (Maildir or journal). Server errors carry
 * "URL: what: why". */
int app_fetch_pop3(const struct cfg_account *a, const struct app_fetch_opts *o,
		   const struct app_net *net, struct app_fetch_result *r, struct qu_err *err);

/* ==== quail send, queue and verify (SPEC §4) ========================= */
/*
 * send.c builds the message (mime) and sends it (smtp); queue.c keeps what
 * could not go out for a temporary reason in the account's outbox, a
 * Maildir at <maildir>/.outbox, and sends it later over one connection;
 * verify.c asks VRFY. The outbox format is described in queue.c.
 */

struct app_send_opts {
	/* The message. Built from these (SPEC §4), or with raw given whole in
	 * input (-t, sendmail). */
	const char *from;             /* --from; NULL: the account's from */
	const char *full_name;        /* sendmail -F: the name for a From it adds */
	const char *reply_to;
	const char *subject;
	const char *const *to;        /* recipient arguments (address lists) */
	size_t n_to;
	const char *const *cc;        /* -c */
	size_t n_cc;
	const char *const *bcc;       /* -b: envelope only, never in a header */
	size_t n_bcc;
	const char *const *attach;    /* -a FILE */
	size_t n_attach;
	const char *const *inlines;   /* --inline FILE */
	size_t n_inlines;
	const char *html;             /* --html FILE */
	const char *const *headers;   /* -H "Name: value" */
	size_t n_headers;
	const char *input;            /* stdin: the text body, or with raw the message */
	size_t input_len;
	bool raw;                     /* -t: recipients also from To, Cc, Bcc */
	bool header_rcpts;            /* with raw: take To, Cc, Bcc (sendmail without
				       * -t and with arguments: false) */
	bool any_address;             /* accept addresses without a domain (sendmail) */
	/* The delivery. */
	const char *envelope_from;    /* -f; NULL: the account's address (the login
				       * where the provider requires it) */
	unsigned dsn_notify;          /* enum smtp_dsn_notify bits (--dsn) */
	int dsn_ret;                  /* 0 none, 1 hdrs, 2 full (--dsn-ret) */
	const char *envid;            /* ENVID */
	bool queue;                   /* --queue: keep the message when it cannot go now */
	/* A reply's original (a Maildir file): when the message is queued,
	 * the outbox entry remembers it and the flush that finally sends the
	 * message flags it R (compose_send.c flags it at once otherwise). */
	const char *replied;
	bool dry_run;                 /* build only: the message goes to *dry (LF) */
};

/* What the caller is told while a message goes out. text is UTF-8 server
 * or quail text (make it safe before showing it). */
enum app_send_note {
	APP_SEND_REFUSED,   /* subject: a recipient refused for good; text: why */
	APP_SEND_DEFERRED,  /* subject: a recipient refused for now; text: why */
	APP_SEND_QUEUED,    /* subject: the outbox id; text: the reason */
	APP_SEND_WARNING,   /* subject NULL; text */
	APP_SEND_HINT,      /* subject NULL; text: what may help */
};
typedef void (*app_send_note_fn)(void *ctx, enum app_send_note kind, const char *subject,
				 const char *text);

/* `quail send`: builds the message and sends it through the account's
 * SMTP server (TLS per the URL's scheme; AUTH when the account has a
 * password or password_command). Refused recipients are noted and the
 * others get the message; the result is then an error: UNAVAILABLE, or
 * TEMPFAIL when every refusal was temporary. A temporary failure (no
 * network, timeout, 4xx) with o->queue (or the account's queue = yes)
 * stores the message, with its envelope, in the outbox, notes QUEUED and
 * returns 0; without, it is TEMPFAIL and nothing is stored. With
 * o->dry_run the message (LF line ends) is put in *dry and nothing is sent.
 * Errors: USAGE (header injection, bad addresses or -H, no recipients),
 * NOINPUT (files), CONFIG (no server, no From), TLS, AUTH, UNAVAILABLE,
 * TEMPFAIL, IOERR (the outbox). */
int app_send(const struct cfg_account *a, const struct app_send_opts *o, const struct app_net *net,
	     app_send_note_fn note, void *ctx, struct qu_buf *dry, struct qu_err *err);

/* One message in the outbox, for `quail queue list`. Borrowed for the
 * call. */
struct app_queue_entry {
	const char *id;              /* its file name in the outbox */
	int64_t queued;              /* when it was queued (seconds) */
	uint64_t size;               /* bytes of the message */
	const char *from;            /* envelope sender */
	size_t n_rcpt;
	const char *const *rcpt;     /* envelope recipients */
	const char *const *state;    /* per recipient: "pending", "sent", "failed" */
	const char *const *reason;   /* per recipient: the server's last word, or "" */
	const char *reason_queued;   /* why it was queued */
	bool failed;                 /* nothing pending: it stays until dropped */
};
typedef void (*app_queue_fn)(void *ctx, const struct app_queue_entry *e);

/* Lists the outbox in queue order. Errors: CONFIG (no maildir), IOERR. A
 * missing outbox is empty. */
int app_queue_list(const struct cfg_account *a, app_queue_fn fn, void *ctx, struct qu_err *err);

struct app_flush_result {
	size_t sent;      /* removed from the outbox: the server took them */
	size_t failed;    /* refused for good (kept, with the reason) */
	size_t deferred;  /* still waiting (temporary failure) */
};

/* `quail queue flush`: sends every pending message over one connection
 * (pipelined, RSET between messages), removing each only after the
 * server's final 2xx for all its pending recipients; refusals are
 * recorded with the server's reason. Only one flush runs at a time (a lock
 * in the outbox). notes as app_send. Errors as app_send; TEMPFAIL when the
 * server could not be reached or the connection was lost, UNAVAILABLE when
 * a message was refused for good. */
int app_queue_flush(const struct cfg_account *a, const struct app_net *net, app_send_note_fn note,
		    void *ctx, struct app_flush_result *r, struct qu_err *err);

/* Removes one message (by id) from the outbox. Errors: NOINPUT (no such
 * message), IOERR, CONFIG. */
int app_queue_drop(const struct cfg_account *a, const char *id, struct qu_err *err);

/* `quail verify`: VRFY addr (after AUTH when the account has a password).
 * *code and *text (new UTF-8 string) get the server's reply. Errors:
 * those of connecting and logging in. */
int app_verify(const struct cfg_account *a, const char *addr, const struct app_net *net, int *code,
	       char **text, struct qu_err *err);

/* ==== end of send, queue and verify ================================== */

/* ==== local mail: parse, scan, extract (SPEC §6, §7) ================= */
/*
 * Files: mailbox.c (reading Maildirs, mbox files, single messages and
 * stdin, one message at a time), check.c (parse --check on worker
 * threads), parse.c (the JSON of SPEC §7 and the tree a person reads),
 * scan.c (index lines from header blocks only), extract.c (attachments
 * saved under safe names). Message text handed out here is decoded UTF-8
 * that the caller must still make safe for a terminal.
 */

/* One message of a mailbox. Borrowed: valid during the callback only. */
struct app_message {
	const char *p;       /* the message (mbox quoting undone) */
	size_t n;
	const char *path;    /* the file it is in (the mbox file for an mbox) */
	size_t index;        /* 0, 1, 2, ... in mailbox order */
};

typedef int (*app_message_fn)(void *ctx, const struct app_message *m, struct qu_err *err);

/* Calls fn for each message at path, in order: a Maildir (cur/ and new/,
 * in delivery order), an mbox (a file whose first line is "From "; mboxrd
 * quoting undone), any other file as one message, "-" as one message (or
 * an mbox) read from stdin. One message is in memory at a time; an mbox's
 * pages are given back behind the reader. Stops when fn returns -1.
 * Returns 0, or -1 with NOINPUT (path missing or unreadable), IOERR, or
 * what fn set. */
int app_mailbox_each(const char *path, app_message_fn fn, void *ctx, struct qu_err *err);

/* `quail parse --check` totals (SPEC §6). */
struct app_check_totals {
	uint64_t messages;
	uint64_t parts;    /* leaves: not multiparts, not message/rfc822 wrappers */
	uint64_t bytes;    /* their size after transfer decoding */
	uint64_t defects;
};

/* Parses every message at path (as app_mailbox_each reads it), decodes
 * every leaf and converts every text leaf to UTF-8, and adds to *t.
 * threads: 0 for one per processor (at most 4). Malformed mail only adds
 * defects. cancel (may be NULL) is looked at by every worker before each
 * message. Returns 0, or -1 with NOINPUT, IOERR or CANCELED (*t then holds
 * what was checked). */
int app_parse_check(const char *path, unsigned threads, const struct qu_cancel *cancel,
		    struct app_check_totals *t, struct qu_err *err);

/* What reading messages reuses from one message to the next: charset
 * converters and buffers. One per thread. */
struct app_reader;

struct app_reader *app_reader_new(void);
/* NULL is a no-op. */
void app_reader_free(struct app_reader *r);

/* Appends the SPEC §7 JSON object of the message (p, n) to out: one line,
 * without its line end, keys in the SPEC's order, strings escaped (control
 * characters as \u00XX, never invalid UTF-8). Never fails on malformed
 * mail; *defects (may be NULL) gets how many were seen. */
void app_parse_json(struct app_reader *r, const char *p, size_t n, struct qu_buf *out,
		    size_t *defects);

/* Appends a view of the message for a person: the decoded header fields,
 * one line per part (number, type, charset, disposition, file name, size)
 * indented by depth, then the text of each text part converted to UTF-8.
 * Everything from the message is made safe for a terminal (control
 * characters and escape sequences shown escaped). */
void app_parse_view(struct app_reader *r, const char *p, size_t n, struct qu_buf *out);

/* One index line of `quail scan`, decoded, not yet made safe. */
struct app_scan_entry {
	size_t number;       /* 1, 2, 3, ... */
	const char *date;    /* "2026-11-02" as written in the message, or NULL */
	const char *sender;  /* display name, else address; NULL when no From */
	const char *subject; /* NULL without a Subject */
};

typedef void (*app_scan_fn)(void *ctx, const struct app_scan_entry *e);

/* Calls fn for each message of the Maildir or mbox at path, in order,
 * reading only the header block of each Maildir file. cancel (may be
 * NULL) is looked at before each message. Returns 0, or -1 with NOINPUT,
 * IOERR or CANCELED. */
int app_scan(const char *path, const struct qu_cancel *cancel, app_scan_fn fn, void *ctx,
	     struct qu_err *err);

/* One file that `quail extract` wrote. */
struct app_extract_item {
	const char *name;    /* the file name chosen (in the directory) */
	const char *type;    /* the part's content type */
	uint64_t size;       /* bytes written */
	bool uuencoded;      /* a uuencoded block inside a text part */
	bool tnef;           /* a file carried in a TNEF (winmail.dat) part */
};

typedef void (*app_extract_fn)(void *ctx, const struct app_extract_item *it);

/* Saves every attachment (mime_part_is_attachment, at any depth, and each
 * uuencoded block inside text/plain; for a TNEF attachment that can be
 * read, the files it carries instead) of the message in path ("-": stdin)
 * into dir (created if missing), under app_safe_filename of its decoded
 * name, never overwriting: the file is made with O_EXCL, and a taken name
 * becomes "name (1).ext", "name (2).ext", ... Calls fn after each file.
 * cancel (may be NULL) is looked at before each message and file.
 * Returns 0, or -1 with NOINPUT (path), IOERR (dir, writing), CANCELED. */
int app_extract(const char *path, const char *dir, const struct qu_cancel *cancel,
		app_extract_fn fn, void *ctx, struct qu_err *err);

/* A file name made safe from a decoded one (SPEC §6): its base name only
 * (after the last '/' or '\'), control characters (C0, C1, DEL) and
 * invalid UTF-8 replaced by '_', leading dots and white space removed, at
 * most 200 bytes (cut at a character, the extension kept). NULL when
 * nothing is left: the caller picks a generated name. Owned (free()). */
char *app_safe_filename(const char *name);

/* ==== end of local mail ============================================== */

/* ---- IMAP: fetch, list, save to Sent (SPEC §5) ------------------------ */

/* `quail fetch --imap`: downloads the account's IMAP folders (o->folders,
 * else INBOX; every selectable folder with o->all_folders) into Maildirs
 * under o->dir (else the account's maildir): folder A/B into DIR/A/B
 * (names from the server made safe, never outside DIR), INBOX into
 * DIR/INBOX. IMAP flags become Maildir info (\Seen S, \Answered R,
 * \Flagged F, \Deleted T, \Draft D, $Forwarded P); flagged or seen mail
 * goes into cur/. Exactly once across runs and interruptions; state is
 * DIR/.quail/imap-USER@HOST (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and the
 * UIDs stored per folder; the protocol is described in fetch_imap.c). A
 * changed UIDVALIDITY re-fetches that folder without storing twice what is
 * already there. With o->delete_after (needs UIDPLUS), messages whose copy
 * is on disk are flagged \Deleted and expunged by UID. r->folders counts
 * the folders checked. A folder the server refuses (or a --folder that
 * does not exist) does not stop the others; the first such error is
 * returned at the end. Errors: CONFIG, TLS, TEMPFAIL, AUTH, UNAVAILABLE,
 * USAGE (a --folder that is not UTF-8), IOERR (Maildir or journal, said
 * with the path). Server errors carry "URL: what: why". */
int app_fetch_imap(const struct cfg_account *a, const struct app_fetch_opts *o,
		   const struct app_net *net, struct app_fetch_result *r, struct qu_err *err);

/* One folder for `quail list`. Borrowed for the call. */
struct app_folder {
	const char *name;      /* decoded from modified UTF-7 to UTF-8 */
	size_t name_len;       /* (a name may hold any byte) */
	bool selectable;       /* false for \Noselect: no counts */
	bool has_counts;       /* messages and unseen are known */
	uint32_t messages, unseen;
	const char *special;   /* "\\Sent", "\\Drafts", ... (RFC 6154) or NULL */
};
typedef void (*app_folder_fn)(void *ctx, const struct app_folder *f);

/* `quail list`: every folder of the account's IMAP server with its
 * message and unseen counts (LIST-STATUS when offered, else STATUS for
 * each, pipelined), INBOX first, then by name. Errors as app_fetch_imap. */
int app_list(const struct cfg_account *a, const struct app_net *net, app_folder_fn fn, void *ctx,
	     struct qu_err *err);

/* Save to Sent: APPENDs the message (p, n; LF line ends are sent as CRLF)
 * with \Seen to the account's sent_folder, else to the folder SPECIAL-USE
 * marks \Sent. Call it after a successful `quail send`. Returns 1 when
 * stored (*folder, when not NULL, gets the folder's name: a new string),
 * 0 when there is nothing to do (no imap URL, or no Sent folder named or
 * marked), -1 on error (as app_fetch_imap; the message was sent all the
 * same, so callers report it as a warning or with its own exit code). A
 * sent_folder that does not exist is created (TRYCREATE). */
int app_imap_append_sent(const struct cfg_account *a, const struct app_net *net, const char *p,
			 size_t n, char **folder, struct qu_err *err);

/* ==== a live IMAP session for the UI (imap_live.c) ==================== */
/*
 * One logged-in IMAP session kept open on a thread of its own (the owner)
 * while the screen stays live. The UI posts requests, each with an id; the
 * owner runs them one at a time and queues replies, writing to a
 * descriptor the UI polls (app_imap_live_fd) beside the terminal. While
 * nothing is asked and idle is on, the owner IDLEs on the selected folder
 * (RFC 2177) and reports the server's changes as events; a posted request
 * ends the IDLE at once. A lost connection is reported and made again
 * with back-off (1 s, 2 s, 4 s ... 60 s), and the folder that was selected
 * is selected again (with QRESYNC where offered, so that what changed
 * meanwhile comes as events). Every string in a reply came from the server
 * and must be made safe before it is shown.
 */
struct app_imap_live;

enum app_live_op {
	APP_LIVE_FOLDERS, /* the folders with counts (LIST, LIST-STATUS/STATUS) */
	APP_LIVE_SELECT,  /* folder, read_only (EXAMINE) */
	APP_LIVE_HEADERS, /* uids: summaries in APP_LIVE_MESSAGES replies */
	APP_LIVE_PART,    /* uid, section: bytes to sink */
	APP_LIVE_STORE,   /* uids, store_op, flags, unchangedsince */
	APP_LIVE_COPY,    /* uids, folder */
	APP_LIVE_MOVE,    /* uids, folder */
	APP_LIVE_EXPUNGE, /* the selected folder's \Deleted messages */
	APP_LIVE_APPEND,  /* folder, flags, msg */
	APP_LIVE_IDLE,    /* on: IDLE while nothing is asked */
	APP_LIVE_NOOP,    /* ask the server for news */
};
const char *app_live_op_name(enum app_live_op op);

/* Message flags (the values of imap's IMAP_FLAG_*). */
enum {
	APP_LIVE_SEEN = 1u << 0,
	APP_LIVE_ANSWERED = 1u << 1,
	APP_LIVE_FLAGGED = 1u << 2,
	APP_LIVE_DELETED = 1u << 3,
	APP_LIVE_DRAFT = 1u << 4,
	APP_LIVE_RECENT = 1u << 5,
	APP_LIVE_FORWARDED = 1u << 6,
};

/* What HEADERS asks for besides UID, FLAGS, INTERNALDATE, RFC822.SIZE and
 * MODSEQ. */
enum {
	APP_LIVE_WANT_ENVELOPE = 1u << 0,
	APP_LIVE_WANT_STRUCTURE = 1u << 1,
};

/* Bytes of a PART, called on the owner thread; -1 (with err) stops. */
typedef int (*app_live_sink_fn)(void *ctx, const char *p, size_t n, struct qu_err *err);

/* A request; app_imap_live_post copies what it needs. */
struct app_live_req {
	enum app_live_op op;
	const char *folder;      /* SELECT, COPY, MOVE, APPEND: UTF-8 name */
	bool read_only;          /* SELECT */
	const char *uids;        /* HEADERS, STORE, COPY, MOVE: "1:*", "4,7:9" */
	unsigned want;           /* HEADERS: APP_LIVE_WANT_* */
	uint32_t uid;            /* PART */
	const char *section;     /* PART: "" whole message, "1.2", "TEXT" */
	app_live_sink_fn sink;   /* PART; must stay valid until its DONE */
	void *sink_ctx;
	char store_op;           /* STORE: '+', '-' or '=' */
	unsigned flags;          /* STORE, APPEND: APP_LIVE_* flags */
	uint64_t unchangedsince; /* STORE: CONDSTORE guard (RFC 7162), 0 none */
	const char *msg;         /* APPEND: the message, CRLF line ends */
	size_t msg_len;
	bool on;                 /* IDLE */
};

struct app_live_folder {
	char *name;              /* UTF-8 (may hold any byte: name_len) */
	size_t name_len;
	bool selectable, has_counts;
	uint32_t messages, unseen;
	const char *special;     /* "\\Sent", ... (RFC 6154) or NULL; static */
};

/* One message of a HEADERS request. ENVELOPE strings are raw: RFC 2047
 * words are not decoded; NULL when absent. */
struct app_live_msg {
	uint32_t uid, seq;
	unsigned flags;          /* APP_LIVE_* */
	uint64_t size, modseq;
	char *internaldate;
	char *date, *subject, *message_id, *in_reply_to;
	char *from, *to;         /* "Name <box@host>, ..." */
	uint32_t n_parts;        /* BODYSTRUCTURE parts, 0 when not asked */
	bool has_attachment;     /* a part with disposition attachment */
};

struct app_live_status {
	uint32_t messages, uidvalidity, uidnext;
	uint64_t highestmodseq;
	bool read_only;
};

enum app_live_event_kind {
	APP_LIVE_EV_EXISTS,   /* num: the folder holds num messages */
	APP_LIVE_EV_EXPUNGE,  /* num: the message with this number is gone */
	APP_LIVE_EV_FLAGS,    /* uid (0 when not sent), num (its number),
			       * flags, modseq */
	APP_LIVE_EV_VANISHED, /* uids gone; earlier: while away */
};

enum app_live_kind {
	APP_LIVE_DONE,     /* a request ended: err.cls QU_E_OK or why not */
	APP_LIVE_MESSAGES, /* a batch of a HEADERS request (DONE follows) */
	APP_LIVE_EVENT,    /* a change the server reported */
	APP_LIVE_CONN,     /* up: logged in (again); down: err says why */
};

/* A reply; owned by the caller after app_imap_live_next_reply, freed with
 * app_live_reply_free. Fields beyond kind, id, op and err are filled as
 * the kind and op say. */
struct app_live_reply {
	enum app_live_kind kind;
	uint64_t id;             /* the request's; 0 for what no request asked */
	enum app_live_op op;
	struct qu_err err;
	struct app_live_folder *folders; /* DONE of FOLDERS */
	size_t n_folders;
	struct app_live_msg *msgs;       /* MESSAGES */
	size_t n_msgs;
	bool has_status;                 /* DONE of SELECT; CONN up with folder */
	struct app_live_status status;   /* restored */
	char *folder;                    /* CONN up: the folder selected again */
	uint32_t *modified;              /* DONE of STORE: UIDs left alone */
	size_t n_modified;               /* because they changed (MODIFIED) */
	uint32_t uidvalidity;            /* DONE of COPY, MOVE, APPEND with */
	char *new_uids;                  /* UIDPLUS: where they went, or NULL */
	uint64_t part_size;              /* DONE of PART */
	enum app_live_event_kind ev;     /* EVENT */
	uint32_t num, uid;
	unsigned flags;
	uint64_t modseq;
	char *uids;                      /* VANISHED */
	bool earlier;
	bool up;                         /* CONN */
	int retry_ms;                    /* CONN down: next try in */
};
void app_live_reply_free(struct app_live_reply *r);

/* Starts the owner thread, which connects and logs in (TLS per the URL,
 * the password from password_command as every command gets it) and
 * reports it with an APP_LIVE_CONN reply. a must stay valid until
 * app_imap_live_close; net's timeout and trace are used (the trace is
 * called on the owner thread), its cancel is not: the session has its
 * own. Errors (at once): CONFIG (no IMAP URL). Returns an owned session. */
struct app_imap_live *app_imap_live_open(const struct cfg_account *a, const struct app_net *net,
					 struct qu_err *err);
/* Readable when replies wait; poll it and drain app_imap_live_next_reply. */
int app_imap_live_fd(const struct app_imap_live *l);
/* The next reply, or NULL when none waits. */
struct app_live_reply *app_imap_live_next_reply(struct app_imap_live *l);
/* Queues a request; returns its id (never 0). An IDLE in progress ends
 * within milliseconds. */
uint64_t app_imap_live_post(struct app_imap_live *l, const struct app_live_req *r);
/* Cancels a request: one still queued is dropped (its DONE says
 * canceled), the running one is stopped at once and ends with CANCELED
 * (the connection is then made again when it was cut mid-reply). Returns
 * false when no such request waits or runs. */
bool app_imap_live_cancel(struct app_imap_live *l, uint64_t id);
/* Ends IDLE, stops what runs, logs out, joins the thread and frees
 * everything, replies not taken too. NULL is a no-op. */
void app_imap_live_close(struct app_imap_live *l);


/* ==== folder views for the UI (SPEC §8) ============================== */
/*
 * Files: folder.c (the rows of one Maildir or mbox, sorted, threaded,
 * limited; flags written to file names at once), folder_scan.c (reading
 * the header blocks on a worker, in batches, so the first page shows
 * before the folder is read through), folder_match.c (limit and search
 * patterns), folder_view.c (a message as the pager shows it).
 *
 * A folder is owned by one thread (the UI's); app_view_scan runs on a
 * worker and hands over batches that the owner adds. Strings in rows come
 * from mail: decoded UTF-8 the caller must make safe for a terminal.
 */

enum app_sort {
	APP_SORT_DATE,     /* Date:, oldest first (mutt's default) */
	APP_SORT_RECEIVED, /* delivery time from the file name / mtime */
	APP_SORT_FROM,
	APP_SORT_SUBJECT,
	APP_SORT_TO,
	APP_SORT_SIZE,
	APP_SORT_THREADS,  /* threads by their root's date, inside by date */
	APP_SORT_UNSORTED, /* folder order */
};

/* Parses mutt's sort names ("date", "date-sent", "received", "from",
 * "subject", "to", "size", "threads", "unsorted"), with an optional
 * "reverse-" prefix. Returns 0, or -1 when unknown. */
int app_sort_parse(const char *s, enum app_sort *sort, bool *reverse);
const char *app_sort_name(enum app_sort sort);

/* Message state bits of a row. */
enum app_msg_flag {
	APP_MSG_SEEN = 1u << 0,
	APP_MSG_FLAGGED = 1u << 1,
	APP_MSG_REPLIED = 1u << 2,
	APP_MSG_DELETED = 1u << 3, /* Maildir T: removed by app_view_expunge */
	APP_MSG_DRAFT = 1u << 4,
	APP_MSG_NEW = 1u << 5,     /* in new/: no reader has seen it */
	APP_MSG_TAGGED = 1u << 6,  /* the UI's tag; never written */
	APP_MSG_ATTACH = 1u << 7,  /* multipart/mixed or a Content-Disposition */
};

/* One row as shown. Borrowed: valid until the folder next changes. */
struct app_row {
	size_t id;            /* the message's key in this folder: stable
			       * across sort, limit and flag changes */
	size_t number;        /* 1, 2, ... in folder (delivery) order */
	const char *path;     /* the file (the mbox file for an mbox) */
	const char *subject;  /* NULL without one */
	const char *from_name, *from_addr, *to_addr; /* NULL when absent */
	bool has_date;
	int64_t date;         /* Date: as UTC epoch seconds */
	int offset;           /* the Date's zone, minutes east of UTC */
	uint64_t size;
	unsigned flags;       /* enum app_msg_flag */
	/* APP_SORT_THREADS: the tree before the subject, one byte per level
	 * of depth: ' ' nothing, '|' a line going on below, '+' a child with
	 * siblings after it, '`' the last child; "" for a root. */
	const char *tree;
	size_t hidden;        /* messages folded under this one (collapsed) */
	bool subject_repeats; /* in a thread, the same subject as the parent */
};

struct app_view;
/* Messages read by app_view_scan, not yet in a folder. */
struct app_view_batch;

/* Where a UI argument points: "=NAME" and "+NAME" are under root (may
 * be NULL: then they are errors), "~/" under $HOME, else as given.
 * Returns an owned path, or NULL with QU_E_NOINPUT or QU_E_USAGE. */
char *app_view_resolve(const char *arg, const char *root, struct qu_err *err);

/* Completions of a folder argument being typed: "=PRE" (or "+PRE") gives
 * the "=NAME" of every directory or file under root whose name starts
 * with PRE; a path gives the entries of its directory that start with
 * its last part (directories with a '/' after). Dot files are left out.
 * Returns an owned array of owned strings, sorted (free each and it), and
 * sets *n. */
char **app_view_complete(const char *arg, const char *root, size_t *n);

/* An empty view of the Maildir or mbox at path (checked: NOINPUT when it
 * is neither). */
struct app_view *app_view_new(const char *path, struct qu_err *err);
void app_view_free(struct app_view *f);
const char *app_view_path(const struct app_view *f);

typedef void (*app_batch_fn)(void *ctx, struct app_view_batch *b);

/* Reads the header block of every message at path and hands them to fn
 * in batches (owned by fn: app_view_add or app_view_batch_free);
 * the first batches are small so that a first page can show at once.
 * Runs on any thread; uses nothing of a folder. Returns 0, or -1 with
 * NOINPUT, IOERR or CANCELED (cancel fired). */
int app_view_scan(const char *path, const struct qu_cancel *cancel, app_batch_fn fn, void *ctx,
	struct qu_err *err);
void app_view_batch_free(struct app_view_batch *b);
/* New mail seen in the Maildir path while it is open: the header blocks
 * of the files names, each "new/NAME" or "cur/NAME" (anything else, a
 * name with another '/' or a leading dot is skipped, files gone already
 * too) to fn as one batch. A file in cur/ (mail a fetch or sync wrote as
 * already read) takes its flags from its name. Returns 1 when a batch was
 * given, 0 when none, -1 with NOINPUT (not a Maildir). Runs on any
 * thread. */
int app_view_scan_new(const char *path, char *const *names, size_t n, app_batch_fn fn, void *ctx,
	struct qu_err *err);
/* What a view opens with (folder_index.c): a Maildir the local index
 * holds is brought up to date there and its rows read from it, without
 * opening a message; one it holds part of gives those rows and
 * then the header blocks of the files it lacks (mail another program
 * delivered since, an index update running or cut short) in batches after;
 * anything else goes through app_view_scan, and
 * *need_index tells that app_view_index should follow (after the rows are
 * shown) for the next open. Errors as app_view_scan. */
int app_view_load(const char *path, const struct qu_cancel *cancel, app_batch_fn fn, void *ctx,
	bool *need_index, struct qu_err *err);
/* Brings the index up to date with the Maildir at path, in this process.
 * Returns 0, or -1 with the errors of index_open and index_update. */
int app_view_index(const char *path, const struct qu_cancel *cancel, struct qu_err *err);
/* app_view_index in a child process, `quail index` run again at a lower
 * priority (the UI's background update: its memory and a crash are not
 * the UI's), with progress: fn(ctx, done, total, text) after the folder
 * is listed and then every so many messages read (on the calling thread);
 * text says the second pass, the messages' text after every row is
 * written (index_update).
 * A cancel stops the child. In this process when the index holds the
 * folder as it is now (nothing to read) or the binary cannot be run.
 * Returns 0, or -1 (CANCELED; IOERR or SOFTWARE for a run that
 * failed; the errors of app_view_index in-process). */
typedef void (*app_index_progress_fn)(void *ctx, uint64_t done, uint64_t total);
typedef void (*app_index_watch_fn)(void *ctx, uint64_t done, uint64_t total, bool text);
int app_view_index_watch(const char *path, const struct qu_cancel *cancel, app_index_watch_fn fn,
	void *ctx, struct qu_err *err);
/* Adds a batch to f (and frees it); sort, threads and limit are applied
 * again. A first page (app_view_first_page) is taken only by an empty
 * view sorted as the page is (else dropped); the first other batch then
 * replaces the page's rows, and true is returned: row ids changed. */
bool app_view_add(struct app_view *f, struct app_view_batch *b);
/* The folder read through: a first page still held (no batch of rows came,
 * the folder is empty now) is dropped, and the view's arrays are cut to
 * what they hold. Returns whether a page was dropped. */
bool app_view_end_page(struct app_view *f);
/* The first screen of a Maildir the index holds, before the folder is
 * read (SPEC §8: the first page shows at once), as the whole folder will
 * show it: in the order sort and reverse give (date, received, from,
 * subject or size), the screen whose last row is where the cursor starts
 * (the first unread message; the last one when none is unread; the last
 * rows when the first unread's place is not known in that order), read
 * with one LIMIT query that walks an index of the database, with the
 * folder's total and its unread, flagged and deleted counts from the
 * index, given to fn as one batch. Threads give the newest
 * whole threads as the view orders them (index_thread_tail), so the view
 * draws their tree from the page's own links; reverse threads, folder
 * order, an mbox, or a folder the index does not hold give nothing.
 * Returns 1 when a page was given, 0 when not, -1 with the index's
 * errors. */
int app_view_first_page(const char *path, enum app_sort sort, bool reverse, size_t rows,
	app_batch_fn fn, void *ctx, struct qu_err *err);

/* Rows shown (after limit and collapsed threads) and messages in all. */
size_t app_view_count(const struct app_view *f);
size_t app_view_total(const struct app_view *f);
/* The place in the whole folder of row 0: not 0 while the view holds
 * only a first page from the middle of the order (its rows' numbers,
 * mutt's %C, count from there). */
size_t app_view_row_base(const struct app_view *f);
/* Whether the view holds only a first page (app_view_first_page). */
bool app_view_paged(const struct app_view *f);
/* Counts for a status line. */
void app_view_counts(const struct app_view *f, size_t *unread, size_t *flagged,
	size_t *deleted, size_t *tagged);
/* Row i of the shown rows into *r; false when i is past the end. */
bool app_view_row(const struct app_view *f, size_t i, struct app_row *r);
/* The shown row of message id, or SIZE_MAX when it is not shown. */
size_t app_view_find(const struct app_view *f, size_t id);

/* Sorts the rows; a view holding a first page of another order drops its
 * rows (app_view_paged stays true, with the index's total and counts). */
void app_view_sort(struct app_view *f, enum app_sort sort, bool reverse);
enum app_sort app_view_sort_get(const struct app_view *f, bool *reverse);

/* Shows only the messages matching pattern (SPEC §9's language as far as
 * header fields and flags go: mutt's ~f ~t ~c ~s ~C ~L ~N ~O ~R ~U ~F
 * ~D ~T ~A ~= ~d, with ! | and parentheses; from: to: cc: subject: is:
 * and free words). NULL, "", "all" or "~A" shows all. Returns 0, or -1
 * with QU_E_USAGE for a bad pattern (the limit is unchanged). */
int app_view_limit(struct app_view *f, const char *pattern, struct qu_err *err);
/* The pattern in force; NULL when none. */
const char *app_view_limit_get(const struct app_view *f);
/* The first shown row after (forward) or before from, wrapping, that
 * matches pattern; SIZE_MAX when none. -1 with USAGE stays -1 in *err. */
size_t app_view_search(const struct app_view *f, const char *pattern, size_t from,
	bool forward, struct qu_err *err);
/* Tags (or untags) every shown message matching pattern; returns how
 * many changed, or -1 with USAGE. */
long app_view_tag_pattern(struct app_view *f, const char *pattern, bool tag,
	struct qu_err *err);

/* Folds (or unfolds) the thread of message id under its root; with
 * sort other than threads nothing changes. */
void app_view_collapse(struct app_view *f, size_t id, bool fold);
void app_view_collapse_all(struct app_view *f, bool fold);
bool app_view_collapsed(const struct app_view *f, size_t id);

/* Sets and clears state bits of message id. SEEN, FLAGGED, REPLIED,
 * DELETED and DRAFT are written at once by renaming the Maildir file
 * (and seen moves it from new/ to cur/); TAGGED stays in memory; an mbox
 * keeps them in memory. Returns 0, or -1 with NOINPUT (the file went
 * away) or IOERR. */
int app_view_set_flags(struct app_view *f, size_t id, unsigned set, unsigned clear,
	struct qu_err *err);
/* The renames flag changes made since the last call, for the index
 * (app_view_index_renames): an owned array *pairs of 2n owned paths, old
 * and new in turn (free each and it); 0 and NULL when none. */
size_t app_view_take_renames(struct app_view *f, char ***pairs);
/* Tells the local index of n renames (pairs as app_view_take_renames
 * gives) in the Maildir folder, so that search and the next open see the
 * new flags (SPEC §9: the UI keeps the index current). Never creates an
 * index. Runs on any thread. Returns 0, or -1 with the index's errors. */
int app_view_index_renames(const char *folder, char *const *pairs, size_t n,
	const struct qu_cancel *cancel, struct qu_err *err);
/* Copies (or moves) message id into the Maildir dest (created when
 * missing), keeping its flags; a moved message leaves the view. Returns
 * 0, or -1 with NOINPUT, IOERR. */
int app_view_transfer(struct app_view *f, size_t id, const char *dest, bool move,
	struct qu_err *err);
/* Removes every message marked deleted from disk and the view. Returns
 * how many went, or -1 with IOERR (those removed so far are gone). */
long app_view_expunge(struct app_view *f, struct qu_err *err);

/* Move, copy and expunge as jobs for a worker (folder_ops.c; SPEC §8:
 * the UI never waits on a long disk job). app_ops_new plans from f on the
 * thread that owns f; app_ops_run writes the files on any thread without
 * f; app_ops_apply gives the result to f on its thread again. */
enum app_ops_kind { APP_OPS_COPY, APP_OPS_MOVE, APP_OPS_EXPUNGE, APP_OPS_FLAGS };
struct app_ops;
/* A job over messages ids (n of them) of f into the Maildir dest; for
 * EXPUNGE, ids and dest are unused and the job is every message marked
 * deleted. Returns an owned plan, or NULL with USAGE (dest is the folder
 * itself; a move out of an mbox). */
struct app_ops *app_ops_new(const struct app_view *f, enum app_ops_kind kind, const size_t *ids,
	size_t n, const char *dest, struct qu_err *err);
/* A flag change of messages ids (n of them) of f: set and clear as
 * app_view_set_flags, or with toggle each message's set flags turned
 * round. The view's flags change now; the files are renamed by
 * app_ops_run, and app_ops_apply gives the view their new names (or, for
 * those not renamed, their flags back). Never NULL. */
struct app_ops *app_ops_flags(struct app_view *f, const size_t *ids, size_t n, unsigned set,
	unsigned clear, bool toggle);
void app_ops_free(struct app_ops *o);
/* Runs the job, message by message, fn(ctx, done, total) after each;
 * a fired cancel stops it between messages (what was done stays done).
 * A file another program renamed since the plan is found by its unique
 * name; an expunge removes it only while its name still says deleted.
 * Returns 0, or -1 with CANCELED, NOINPUT or IOERR. */
int app_ops_run(struct app_ops *o, const struct qu_cancel *cancel, app_index_progress_fn fn,
	void *ctx, struct qu_err *err);
/* Messages in the job and done so far. */
size_t app_ops_total(const struct app_ops *o);
size_t app_ops_done(const struct app_ops *o);
enum app_ops_kind app_ops_kind(const struct app_ops *o);
/* Removes from f the messages a move or expunge took away, or gives a
 * flag change's messages their new names (f must be the view planned
 * from, else nothing changes). Returns how many left or were renamed. */
size_t app_ops_apply(struct app_view *f, const struct app_ops *o);

/* Limit and search with full-text terms through the local index
 * (folder_fts.c; SPEC §9: ~b ~B ~h body: and the other terms only the
 * index answers). The query runs on a worker restricted to the folder and
 * gives the set of its files that match; the view applies it on its own
 * thread. */
struct app_match;
/* True when pattern has a term the in-memory limit cannot answer. */
bool app_pattern_needs_index(const char *pattern);
/* True when pattern, good in memory too, has free words (SPEC §9: they
 * match the full text) and nothing only the view knows (~T, is:tagged):
 * the index answers better when it holds the folder. */
bool app_pattern_full_text(const char *pattern);
/* The files of the Maildir folder matching pattern, from the index (never
 * created here). Runs on any thread. Returns an owned set, or NULL with
 * NOINPUT "full-text search needs the index: run quail index" (no index,
 * or it holds fewer than total messages of the folder: an answer would
 * miss some), USAGE (a bad query), IOERR, CANCELED. */
struct app_match *app_view_fts(const char *folder, const char *pattern, uint64_t total,
	const struct qu_cancel *cancel, struct qu_err *err);
/* An owned set of paths (the array and each string taken) by unique name. */
struct app_match *app_match_new(char **paths, size_t n);
void app_match_free(struct app_match *m);
size_t app_match_count(const struct app_match *m);
/* Shows only the messages in m (taken), with pattern as the limit shown. */
void app_view_limit_match(struct app_view *f, const char *pattern, struct app_match *m);
/* As app_view_search, for the messages in m. */
size_t app_view_search_match(const struct app_view *f, const struct app_match *m, size_t from,
	bool forward);

/* Limit and search over a big folder on a worker (folder_limit.c; SPEC
 * §8: the UI never waits on a long job). app_limit_new copies what the
 * pattern reads of f's messages on the thread that owns f (the strings
 * are kept alive even when f is freed meanwhile); app_limit_run matches
 * on any thread; app_view_limit_apply gives the answer to f on its
 * thread again. */
struct app_limit;
/* Returns an owned job, or NULL with USAGE for a bad pattern. NULL, "",
 * "all", "~A" or "." match everything. */
struct app_limit *app_limit_new(struct app_view *f, const char *pattern, struct qu_err *err);
/* Returns 0, or -1 with CANCELED (cancel fired). */
int app_limit_run(struct app_limit *l, const struct qu_cancel *cancel, struct qu_err *err);
/* Any thread. */
void app_limit_free(struct app_limit *l);
/* Shows only the messages the run matched (those added since it was made
 * are matched here), with its pattern as the limit; takes l. False (and
 * nothing changes) when l was made from another view or did not run. */
bool app_view_limit_apply(struct app_view *f, struct app_limit *l);
/* As app_view_search, from the run's answer; SIZE_MAX when none (or l
 * is another view's or did not run). */
size_t app_view_search_limit(const struct app_view *f, const struct app_limit *l, size_t from,
	bool forward);

/* The bytes of message id into out (reset first); a Maildir file moved
 * by another program is found again first (app_view_locate). Returns 0,
 * or -1 with NOINPUT (the message is gone: its row with it) or IOERR. */
int app_view_read(struct app_view *f, size_t id, struct qu_buf *out, struct qu_err *err);

/* ---- files renamed or removed by other programs (folder_stale.c) ---- */

/* The file in the Maildir at maildir (cur/, then new/) whose unique name
 * (the base name before ":2,") is that of name (a path or a base name):
 * one listing of each directory. Returns 1 with *found an owned path,
 * 0 when none holds it. */
int app_maildir_find_unique(const char *maildir, const char *name, char **found);
/* Makes sure the file of message id is where its row says: when it is
 * gone, it is looked for by its unique name and the row takes the path
 * and the flags of the name found. Returns 0 when the row was right (or
 * the folder is an mbox), 1 when it was corrected, -1 with NOINPUT when
 * the file is nowhere in the folder (the row is dropped: the caller
 * moves its cursor) or IOERR. UI thread (the owner of f) only. */
int app_view_locate(struct app_view *f, size_t id, struct qu_err *err);
/* Adds the messages of a batch of new mail (app_view_scan_new) whose
 * unique name f does not hold (a file f knows shows up again after its
 * own flag change renamed it, or after the move of a read message from
 * new/ to cur/), and frees b; a view still holding a first page takes
 * nothing (its read lists the files). It also moves rows: a file of b
 * whose unique name f holds at another path that is gone (another program
 * renamed it, or moved it from new/ to cur/) gives that row its path and
 * the flags of its name; *renamed counts those. Each name costs O(1) (a
 * table by unique name kept beside the rows), not a pass over the folder.
 * Returns how many rows were added. */
size_t app_view_take_new(struct app_view *f, struct app_view_batch *b, size_t *renamed);
/* The names the watch saw (owned strings, "cur/NAME" or "new/NAME"), before
 * any goes to a worker: one whose unique name f holds is a known file
 * renamed (by the view itself or by another program), which needs no read:
 * the row follows it as in app_view_take_new, and the name is freed and
 * taken out of names (*n shrinks; the others keep their order). A view
 * not read through takes none. Returns how many rows moved. */
size_t app_view_follow(struct app_view *f, char **names, size_t *n);

/* A message as the pager shows it, appended to out as lines of UTF-8
 * made safe for a terminal except for the marks below: the header fields
 * (Date, From, To, Cc, Subject; with full every field as written), an
 * empty line, the text of each text part (text/html as plain text), and
 * a list of the attachments. Each line of text starts with one mark
 * byte: 'h' header, 'b' body, 'q' a quoted line (its level after it as
 * one digit '1'..'9'), 'a' the attachment list. */
struct app_pager_opts {
	bool full_headers;
	/* attachments: [ui] html = mailcap: a text/html copiousoutput entry
	 * of this table renders HTML parts (else the built-in). Borrowed. */
	const struct app_mailcap *html_mailcap;
};
void app_message_view(struct app_reader *r, const char *p, size_t n,
	const struct app_pager_opts *o, struct qu_buf *out);

/* One part of a message's MIME tree, for the attachment list. Borrowed
 * for the call; strings decoded, not yet safe. */
struct app_attachment {
	unsigned depth;
	const char *type;     /* "text/plain" */
	const char *filename; /* NULL when none */
	uint64_t size;        /* of the body as written */
	bool is_text;
	/* attachments: where the row is, for the _sub calls below: part
	 * (tree order) and sub, 0 for the part itself, k for the k-th file
	 * of a TNEF part (listed after it, one deeper). */
	size_t part, sub;
	const char *charset;  /* NULL when none */
	const char *description; /* Content-Description decoded; NULL when none */
};
typedef void (*app_attachment_fn)(void *ctx, size_t i, const struct app_attachment *a);
/* Calls fn for each part of the message (p, n) in tree order, i from 0. */
void app_message_parts(const char *p, size_t n, app_attachment_fn fn, void *ctx);
/* Part i (as listed) into out (reset first): its text in UTF-8 with
 * as_text (text parts only), else its transfer-decoded content. Returns
 * 0, or -1 with USAGE (no part i, or not text) or DATA. */
int app_message_part(struct app_reader *r, const char *p, size_t n, size_t i, bool as_text,
	struct qu_buf *out, struct qu_err *err);
/* Saves part i into dir under app_safe_filename of its name (SPEC §6),
 * never over a file: "name (1).ext" and so on. *saved gets the owned
 * path. Returns 0, or -1 with USAGE (no part i) or IOERR. */
int app_message_save_part(struct app_reader *r, const char *p, size_t n, size_t i,
	const char *dir, char **saved, struct qu_err *err);
/* attachments: app_message_part and app_message_save_part for a row's
 * part and sub (struct app_attachment): sub k > 0 is the k-th file of the
 * TNEF part, never text. */
int app_message_part_sub(struct app_reader *r, const char *p, size_t n, size_t part, size_t sub,
	bool as_text, struct qu_buf *out, struct qu_err *err);
int app_message_save_part_sub(struct app_reader *r, const char *p, size_t n, size_t part,
	size_t sub, const char *dir, char **saved, struct qu_err *err);

/* ==== end of folder views ============================================ */


/* ==== quail index, quail search (SPEC §9) ============================ */
/*
 * index.c: the local index (src/index) with the paths the config names.
 */

struct app_index_opts {
	const char *const *paths;       /* Maildirs, roots, mbox files; n_paths 0:
					 * every account's Maildir root that exists */
	size_t n_paths;
	const char *db;                 /* NULL: $XDG_CACHE_HOME/quail/index.sqlite */
	bool rebuild;                   /* start from an empty index */
	const struct qu_cancel *cancel;
	void (*progress)(void *ctx, const struct index_progress *p);
	void *progress_ctx;
};

/* The Maildir roots of every account of c (and the general maildir when
 * there is no account) that exist, as new strings in *out (free each and
 * the array). c may be NULL: the general default ~/Mail. */
size_t app_index_default_paths(const struct cfg *c, char ***out);

/* `quail index`: brings the index up to date with the paths. Returns 0,
 * or -1 with the errors of index_open and index_update. st is filled
 * also on failure; *elapsed_ms (may be NULL) gets the run's time. */
int app_index_update(const struct cfg *c, const struct app_index_opts *o, struct index_stats *st,
	int64_t *elapsed_ms, struct qu_err *err);

/* One search result for a person or a script; strings decoded, not yet
 * made safe. */
struct app_search_hit {
	const struct index_row *row;
	const char *sender;  /* SPEC §6: the display name, with the address
			      * beside it when the name holds '@' or is empty */
	char date[32];       /* "2026-01-02 15:04" local time, "" when undated */
};

typedef int (*app_search_fn)(void *ctx, const struct app_search_hit *h, struct qu_err *err);

struct app_search_opts {
	const char *query;    /* the words joined by spaces */
	const char *folder;   /* -f MAILBOX: a path or a folder's shown name */
	enum index_sort sort;
	uint64_t limit;       /* 0: no limit */
	struct app_index_opts index; /* what to bring up to date first */
};

/* `quail search`: brings the index up to date (cheap when nothing
 * changed; a folder given as a path that is not indexed yet is indexed
 * too), then calls fn for each match in order. Returns the number of
 * matches given, or -1 with USAGE (a bad query, with its position),
 * NOINPUT, IOERR, CANCELED, or what fn set. */
long app_search(const struct cfg *c, const struct app_search_opts *o, app_search_fn fn, void *ctx,
	struct qu_err *err);

/* ==== the UI's index update after it quits (SPEC §8) ================ */
/*
 * index_detach.c. Starts `quail index PATH...` (the running binary, this
 * environment: the same index file) in a process of its own and returns
 * at once: a new session without a terminal, stdin/stdout/stderr on
 * /dev/null, no other descriptor, nice 19, SCHED_IDLE and the idle I/O
 * class where allowed. One such run per index at a time: a later one
 * waits for the one before (ten minutes at most, then gives up quietly).
 * Paths that no longer resolve, are no Maildir, or that the index holds
 * as they are now (app_index_current) are left out; none left: nothing is
 * started. Returns the number of folders handed on, or -1 with SOFTWARE
 * when fork failed.
 */
int app_index_detach(const char *const *paths, size_t n, struct qu_err *err);

/* ==== keeping the index current: one renamed file (SPEC §9) ========= */
/*
 * index_hook.c. For the UI's flag changes (app_view_set_flags renames the
 * Maildir file): tells the local index of one rename at once, so search
 * sees the new flags without a folder listing.
 */

/* from and to are the message file's old and new paths (DIR/cur/NAME or
 * DIR/new/NAME; DIR may be relative or hold symlinks, it is resolved as
 * the index names folders). db: the database, NULL for the default.
 * Touches one row (flags, is_new, name; the folder when it moved to
 * another indexed one; removed when it moved out of them) and reads no
 * message. Opens the index for the call (a few milliseconds) and never
 * creates one: without an index file it does nothing. Returns 1 when a
 * row changed, 0 when there is no index or from is not in it (the next
 * update finds the file), -1 with NOINPUT (a folder that does not exist),
 * USAGE (not a Maildir file path) or IOERR. */
int app_index_renamed(const char *db, const char *from, const char *to, struct qu_err *err);
/* app_index_renamed for n pairs (pairs[2i] -> pairs[2i + 1]), the index
 * opened once and the rows changed in one transaction. Returns how many
 * rows changed, 0 without an index, -1 as app_index_renamed (none
 * changed then). */
long app_index_renamed_pairs(const char *db, char *const *pairs, size_t n, struct qu_err *err);

/* For fetch and sync, once at the end of a run that changed files under
 * the Maildir root dir (changed false: does nothing): when an index file
 * exists at the default path and holds a folder under dir, brings it up
 * to date with dir (index_update: only folders whose directories changed
 * are listed, only new files read). Never creates an index, never fails
 * the run: an error goes into *warning (prefixed "index"); a fired cancel
 * skips or stops the update silently. */
void app_index_after_change(const char *dir, bool changed, const struct qu_cancel *cancel,
	struct qu_err *warning);

/* ==== end of keeping the index current ================================ */

/* ==== quail sync: two-way IMAP and Maildir (SPEC §10, sync*.c) ======== */

struct app_sync_opts {
	const char *dir;            /* Maildir root; NULL: the account's maildir */
	const char *const *folders; /* --folder names (n_folders of them) */
	size_t n_folders;
	bool all_folders;           /* every folder of both sides */
	bool dry_run;               /* plan and report, change nothing */
	/* --delete-folders: a folder the state knew on both sides, gone
	 * from one and unchanged on the other since, is deleted there too
	 * (else it is made again) */
	bool delete_folders;
	/* Each planned or made change as one line ("+ server INBOX: uid 7"),
	 * folder names and file names raw: the caller makes them safe. NULL:
	 * none. */
	void (*note)(void *ctx, const char *line);
	void *note_ctx;
};

/* What a sync did (or would do, with dry_run); filled in also when it
 * fails part way. */
struct app_sync_result {
	uint64_t folders;
	uint64_t srv_add, srv_del, srv_upd; /* appended, expunged, reflagged or moved */
	uint64_t loc_add, loc_del, loc_upd; /* stored, removed, renamed */
	/* Keeping the index current (index_hook.c): as app_fetch_result's. */
	struct qu_err index_warning;
};

/* `quail sync`: keeps the IMAP folders (o->folders, else INBOX; every folder
 * of both sides with o->all_folders) and their Maildirs under o->dir the
 * same both ways (layout and flag mapping as app_fetch_imap). State per
 * folder in DIR/.quail/sync-<folder>; the protocol, the merge rules and
 * why a kill at any point loses, duplicates and wrongly deletes nothing
 * are described in sync.c. Errors as app_fetch_imap; CANCELED when
 * net->cancel fires (between steps, state consistent). */
int app_sync(const struct cfg_account *a, const struct app_sync_opts *o, const struct app_net *net,
	     struct app_sync_result *r, struct qu_err *err);

/* ==== writing mail (compose*.c) ====================================== */
/*
 * Drafts, reply, forward, bounce, identities, postponed drafts and the
 * address book (SPEC §2 account keys alternates, signature, query_command,
 * sent_folder; [ui] attribution, forward_format, mime_forward, drafts,
 * record). Files: compose_config.c ([ui] keys), compose_draft.c (the
 * editor text), compose_ident.c (own addresses, account and From),
 * compose_reply.c and compose_quote.c (reply), compose_forward.c (forward
 * and bounce), compose_send.c (building and sending a draft),
 * compose_postpone.c (=Drafts), compose_addr.c (completion). Strings that
 * came from mail are decoded UTF-8 the caller must make safe before
 * showing them.
 */

struct mime_build_fixed; /* mime/mime.h: fixed clock and ids for tests */

/* [ui] mime_forward. */
enum app_mime_forward {
	APP_MIME_FORWARD_NO,  /* inline (the default) */
	APP_MIME_FORWARD_YES, /* the original as a message/rfc822 attachment */
	APP_MIME_FORWARD_ASK, /* the UI asks */
};

/* The [ui] keys of writing mail; owned strings. */
struct app_compose_settings {
	char *attribution;    /* attribution: default "On %d, %n wrote:" */
	char *forward_format; /* forward_format: default "Fwd: %s" */
	enum app_mime_forward mime_forward; /* mime_forward = yes|no|ask: default no */
	char *drafts;         /* drafts: where postponed drafts go, default "=Drafts"
			       * ("=NAME" is under the account's maildir) */
	char *record;         /* record: the local copy of sent mail when the account
			       * has no IMAP, default "=Sent" */
};

/* True for the [ui] keys app_compose_settings_load reads (a UI that
 * refuses unknown [ui] keys lets these pass). */
bool app_compose_ui_key(const char *key);
/* The defaults. */
void app_compose_settings_init(struct app_compose_settings *s);
/* Defaults, then c's [ui] keys of writing mail (c may be NULL). Errors:
 * CONFIG "FILE:LINE: why" for a bad value (mime_forward not yes, no or
 * ask; a format with an unknown % code; control characters). s then holds
 * the defaults. */
int app_compose_settings_load(const struct cfg *c, struct app_compose_settings *s,
	struct qu_err *err);
void app_compose_settings_clear(struct app_compose_settings *s);

/* One attachment of a draft. */
struct app_draft_attach {
	char *path;        /* ~ expanded */
	char *description; /* what follows the path on its Attach: line; NULL */
};

/* A message being written: what the editor shows (mutt's edit_headers)
 * and what it carries besides. Every string owned; NULL when absent. */
struct app_draft {
	/* The editor text (app_draft_text, app_draft_parse). */
	char *from, *to, *cc, *bcc, *subject, *reply_to;
	char **headers;      /* other fields, "Name: value": kept and sent */
	size_t n_headers;
	struct app_draft_attach *attach;
	size_t n_attach;
	char *body;          /* UTF-8, LF line ends, NUL-terminated */
	size_t body_len;
	/* Not in the editor text; kept by postpone and recall. */
	char *in_reply_to;   /* "<id>" */
	char *references;    /* "<a> <b> <id>" (RFC 5322 §3.6.4) */
	char *reply_file;    /* the message file replied to: flagged R once sent */
	bool reply_by_caller;/* sent at once, the caller flags reply_file (the UI,
			      * through its view); queued, the flush does */
	char *forward_file;  /* a message attached whole as message/rfc822
			      * (mime_forward), its bytes unchanged */
	char *postponed;     /* the =Drafts file it was recalled from: removed
			      * once sent */
};

void app_draft_init(struct app_draft *d);
/* Frees everything and makes d empty again. */
void app_draft_clear(struct app_draft *d);

/* Appends the editor text of d to out: "From:", "To:", "Cc:", "Bcc:",
 * "Subject:", "Reply-To:" (each written, empty when absent), the other
 * fields, one "Attach: PATH [description]" per attachment (a path with
 * white space or a backslash written with backslash escapes), an empty
 * line and the body. */
void app_draft_text(const struct app_draft *d, struct qu_buf *out);
/* Reads an editor text back into d: the editor fields are replaced, the
 * others (in_reply_to ... postponed) kept. Field names are
 * case-insensitive; folded lines are joined; empty fields are absent; an
 * In-Reply-To or References field sets those. Errors: USAGE naming the
 * line (no empty line after the header lines is fine: all header; a line
 * that is no field; a CR or other control character in a value: header
 * injection; Bcc, From, ... twice; a field name quail writes itself such
 * as MIME-Version or Content-Type), NOINPUT "Attach: PATH: why" (a file
 * missing, unreadable or not a regular file). d is unchanged on error. */
int app_draft_parse(const char *p, size_t n, struct app_draft *d, struct qu_err *err);

/* ---- identities ---- */

/* True when addr is the from or one of the alternates of any account of
 * c (case-insensitive; a domain compared after IDNA conversion). */
bool app_is_own_address(const struct cfg *c, const char *addr);
/* The account and From to answer the message (p, n) with: To, Cc,
 * Delivered-To, X-Original-To in that order, each address against every
 * account's from and alternates; the first match gives its account and a
 * From of that address with the account's display name ("Alice
 * <alt@b>"). No match: def (may be NULL: c's default account) and its
 * from. *from gets a new string (NULL when the account has no from).
 * Returns the account, or NULL when c has none and def is NULL. */
const struct cfg_account *app_identity_for_message(const struct cfg *c,
	const struct cfg_account *def, const char *p, size_t n, char **from);
/* The account a draft with this From is sent through: the one whose from
 * or alternates hold its address, else def (NULL: c's default). */
const struct cfg_account *app_identity_for_from(const struct cfg *c,
	const struct cfg_account *def, const char *from);

/* ---- reply and forward ---- */

/* What every draft maker needs. */
struct app_compose_opts {
	const struct cfg *cfg;  /* accounts: own addresses, identities; may be NULL */
	const struct cfg_account *account; /* when no identity matches; NULL: cfg's default */
	const struct app_compose_settings *settings; /* NULL: the defaults */
	const char *path;       /* the message's file (reply: reply_file, forward:
				 * forward_file); may be NULL */
	const char *attach_dir; /* inline forward: the original's attachments are
				 * saved here (created; names from
				 * app_safe_filename) and attached; NULL: not
				 * carried */
	int signature_timeout_ms; /* a signature command's limit; <= 0: 5 s */
	bool no_signature;
};

enum app_reply_kind {
	APP_REPLY,        /* Reply-To, else From (mutt's reply) */
	APP_REPLY_GROUP,  /* also every To and Cc but one's own addresses */
	APP_REPLY_LIST,   /* List-Post's mailto:, else Mail-Followup-To */
};

/* A new draft: From (the account's), the signature. */
int app_compose_new(const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err);
/* A reply to the message (p, n) into d (cleared first): recipients by
 * kind (Mail-Followup-To honoured for group reply; one's own addresses
 * dropped), Subject "Re: " + the decoded subject without its Re:, RE:,
 * Re[2]:, AW:, SV:, 回复:, 答复: prefixes, In-Reply-To and References
 * (trimmed to 20 ids keeping the first and the last ones), From by
 * app_identity_for_message, the attribution line and the decoded text
 * quoted ("> "; format=flowed unwrapped first; the signature after
 * "-- " left out; HTML-only mail through mime_html_to_text), then the
 * signature. Errors: USAGE (list reply to a message of no list: no
 * List-Post mailto: and no Mail-Followup-To), CONFIG and TEMPFAIL (the
 * signature command). */
int app_compose_reply(const char *p, size_t n, enum app_reply_kind kind,
	const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err);
/* A forward of the message (p, n) into d (cleared first): Subject by
 * forward_format; inline, a "----- Forwarded message -----" block (Date,
 * From, To, Cc, Subject), the decoded text and the attachments carried
 * (o->attach_dir); as_attachment, the original (o->path) as a
 * message/rfc822 part, bytes unchanged (forward_file). Errors: USAGE
 * (as_attachment without o->path), IOERR (attach_dir). */
int app_compose_forward(const char *p, size_t n, bool as_attachment,
	const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err);

/* Pieces of a reply, also for the UI and tests. New strings. */
/* "Re: " + the subject (decoded UTF-8) without its reply prefixes; NULL
 * subject gives "Re: ". */
char *app_reply_subject(const char *subject);
/* References for a reply to a message with these fields (raw header
 * values, may be NULL): parent's References (else its In-Reply-To) + its
 * Message-ID, at most max ids (0: 20), the first kept. NULL when none. */
char *app_reply_references(const char *references, const char *in_reply_to,
	const char *message_id, size_t max);
/* The attribution: fmt with %d (the date as written), %n (the author's
 * name, else address), %a (the address), %s (the subject), %% for the
 * message (p, n). */
char *app_attribution(const char *fmt, const char *p, size_t n);
/* Appends text (UTF-8, LF) quoted to out: "> " before each line, ">"
 * alone before a line already quoted; with flowed (RFC 3676) soft breaks
 * are joined first (delsp: the space before them dropped); from a line
 * "-- " on (the signature) nothing. */
void app_quote_text(const char *text, size_t n, bool flowed, bool delsp, struct qu_buf *out);

/* ---- building, sending, bouncing ---- */

/* The message a draft makes, as `quail send --dry-run` builds it (LF line
 * ends), for a preview: the account chosen from its From (a may be NULL:
 * app_identity_for_from on c). fixed (may be NULL) as the builder's.
 * Errors: those of app_send. */
int app_draft_build(const struct cfg *c, const struct cfg_account *a, const struct app_draft *d,
	const struct mime_build_fixed *fixed, struct qu_buf *out, struct qu_err *err);

struct app_draft_sent {
	const struct cfg_account *account; /* the account it went through */
	bool queued;        /* kept in the outbox (temporary failure, queue) */
	char *record;       /* the local Sent copy (no IMAP), or NULL; owned */
};
void app_draft_sent_clear(struct app_draft_sent *r);

/* Sends a draft: builds it once, sends it through app_send (queued on a
 * temporary failure when the account's queue says so), then saves the
 * copy (IMAP Sent folder when the account has IMAP, else the local record
 * Maildir with the S flag), then flags reply_file R and removes the
 * postponed file; these last happen only after the send succeeded (or
 * was queued) and a failure there is a WARNING note. Errors: those of
 * app_send. */
int app_draft_send(const struct cfg *c, const struct cfg_account *a,
	const struct app_compose_settings *s, const struct app_draft *d, const struct app_net *net,
	app_send_note_fn note, void *ctx, struct app_draft_sent *r, struct qu_err *err);

/* The message (p, n) as a bounce (RFC 5322 §3.6.6) into out: Resent-From
 * (from), Resent-To (to), Resent-Date and Resent-Message-ID prepended,
 * the rest unchanged (LF line ends with lf). Errors: USAGE (bad to or
 * from, header injection). */
int app_bounce_message(const char *p, size_t n, const char *from, const char *to,
	const struct mime_build_fixed *fixed, bool lf, struct qu_buf *out, struct qu_err *err);
/* Bounces: the message above sent with envelope recipients only those of
 * to, through the account (NULL: by identity from c). It goes out as
 * `quail send -t` sends a message: a Date, Message-ID or MIME-Version it
 * lacks is added, a Bcc field dropped; all else is unchanged. With dry, nothing
 * is sent and the message goes to *dry. Errors: those of app_send. */
int app_bounce(const struct cfg *c, const struct cfg_account *a, const char *p, size_t n,
	const char *to, const struct app_net *net, app_send_note_fn note, void *ctx,
	struct qu_buf *dry, struct qu_err *err);

/* ---- postponed drafts ---- */
/*
 * A postponed draft is a message in the account's drafts Maildir (flag
 * D): the draft built as it would be sent but without its attachments,
 * with Bcc and the hidden fields as X-Quail-Bcc, X-Quail-Reply-To-File,
 * X-Quail-Forward-File and each attachment's path as X-Quail-Attach
 * (percent-encoded; recall turns them back into the draft, so they are
 * never sent). Attachments are referred to by path: their files must
 * still be there when the recalled draft is sent.
 */

/* Stores d; *path (may be NULL) gets the new file. Errors: CONFIG (no
 * maildir), IOERR. */
int app_draft_postpone(const struct cfg_account *a, const struct app_compose_settings *s,
	const struct app_draft *d, char **path, struct qu_err *err);
/* One postponed draft. Borrowed for the call. */
struct app_postponed {
	const char *path;
	const char *subject;  /* decoded; NULL when none */
	const char *to;       /* decoded; NULL when none */
	int64_t date;         /* file time */
};
typedef void (*app_postponed_fn)(void *ctx, const struct app_postponed *p);
/* Lists the postponed drafts, newest first. A missing Maildir is empty.
 * Errors: CONFIG, IOERR. */
int app_postponed_list(const struct cfg_account *a, const struct app_compose_settings *s,
	app_postponed_fn fn, void *ctx, struct qu_err *err);
/* The draft stored at path into d (cleared first), with postponed =
 * path. Errors: NOINPUT, IOERR. */
int app_draft_recall(const char *path, struct app_draft *d, struct qu_err *err);

/* ---- address book ---- */

struct app_addr_match {
	char *name;      /* NULL when none */
	char *address;
	char *other;     /* query_command's third column; NULL */
	uint64_t count;  /* messages seen with it (index) */
	int64_t last;    /* the newest of them (epoch seconds) */
	bool from_query; /* given by query_command */
};
struct app_addr_opts {
	const char *db;                    /* NULL: the default index */
	const struct cfg_account *account; /* its query_command; may be NULL */
	int timeout_ms;                    /* query_command's limit; <= 0: 5 s */
	size_t max;                        /* 0: 50 */
	const struct qu_cancel *cancel;
};
/* Addresses whose name (any word of it) or address starts with prefix
 * (case-insensitive, Unicode-aware), from the index (senders and
 * recipients, ranked by how often and how recently) and then
 * query_command's lines not already given. *out (owned: free with
 * app_addr_matches_free) and *n. A missing index is no error. Errors:
 * IOERR (the index), CONFIG and TEMPFAIL (query_command failing or taking
 * too long; what the index gave is kept in *out). */
int app_addr_complete(const char *prefix, const struct app_addr_opts *o,
	struct app_addr_match **out, size_t *n, struct qu_err *err);
void app_addr_matches_free(struct app_addr_match *v, size_t n);

/* ==== end of writing mail ============================================ */

/* ==== the folders under a Maildir root, for the browser and sidebar == */
/*
 * File: folders.c. The folders the browser (`y`, `c` then `?`) and the
 * sidebar list (SPEC §5's layout: DIR/INBOX, DIR/Name, DIR/A/B, and
 * Maildir++ DIR/.Name), with mbox files among them. Names are bytes from
 * the disk (from a server, through fetch): the caller makes them safe
 * for a terminal.
 */

enum app_local_kind {
	APP_LOCAL_MAILDIR,
	APP_LOCAL_MBOX,
};

struct app_local_folder {
	char *name;       /* the path under root ("INBOX", "A/B", ".Sent"):
			   * "=" name opens it; "" for a root that is itself a
			   * Maildir */
	char *path;       /* root "/" name */
	enum app_local_kind kind;
	bool counted;     /* total and unread below are known */
	size_t total, unread;
	bool has_new;     /* new/ holds mail no reader has seen (mutt's N) */
	uint64_t dev, ino;/* which directory or file it is (to find the open one) */
	/* When counted: the modification times (ns) of new/ and cur/ (of the
	 * file, for an mbox); 0 when they were too recent to trust. */
	int64_t mtime_new, mtime_cur;
};

/* A listing, sorted by name with INBOX first. Embedded: filled by
 * app_local_folders_list, released by app_local_folders_clear. */
struct app_local_folders {
	struct app_local_folder *v;
	size_t n;
};

/* Lists every Maildir and mbox file under root, directories followed
 * into (symbolic links too, each directory once, so a link loop ends;
 * at most 32 levels deep), dot entries left out except Maildir++ folders
 * (".Name" Maildirs) and nothing read inside a Maildir's cur/ new/ tmp/;
 * the walk stops after 4096 directories (a root given by mistake).
 * With count, each folder is counted as app_local_folder_count does. Returns 0,
 * or -1 with NOINPUT (root missing), IOERR or CANCELED; *out is then
 * empty. Runs on any thread. */
int app_local_folders_list(const char *root, const struct qu_cancel *cancel, bool count,
	struct app_local_folders *out, struct qu_err *err);
/* Counts f's messages: for a Maildir the names in new/ (all unread) and
 * cur/ (unread without S in the flags after ":2,"), no file opened; for
 * an mbox the messages and those without R in a Status: field. Returns 0,
 * or -1 with IOERR (f->counted stays false). */
int app_local_folder_count(struct app_local_folder *f, struct qu_err *err);
/* Counts every folder of l (app_local_folder_count), except that a
 * folder of prev (may be NULL: a listing made before) whose new/ and
 * cur/ have not been modified since it was counted keeps its counts:
 * listing again for new mail then costs a stat per folder, not a
 * readdir of every message name. Returns 0, or -1 with CANCELED. */
int app_local_folders_count(struct app_local_folders *l, const struct app_local_folders *prev,
	const struct qu_cancel *cancel, struct qu_err *err);
/* A copy of l (for a worker to read while the owner keeps its own). */
void app_local_folders_copy(struct app_local_folders *to, const struct app_local_folders *l);
/* The entry that is the folder at path (same file or directory), or
 * SIZE_MAX. */
size_t app_local_folders_find(const struct app_local_folders *l, const char *path);
void app_local_folders_clear(struct app_local_folders *l);
/* True when path is an mbox file (a regular file); the UI opens those
 * read-only. */
bool app_local_is_mbox(const char *path);

/* ---- mailcap (RFC 1524), for viewing attachments (SPEC §8) ------------- */

/* One mailcap entry; strings owned by the table. type is lowercase, its
 * subtype "*" for a wildcard (a bare "text" gets that subtype). */
struct app_mailcap_entry {
	char *type;
	char *view;          /* the view command, "" when none */
	char *test;          /* test= command, NULL when none */
	char *nametemplate;  /* nametemplate=, NULL when none */
	bool copiousoutput;  /* prints text for a pager */
	bool needsterminal;  /* interactive: gets the terminal */
};
struct app_mailcap;
/* Values substituted into commands: %s the file, %t the type, %{charset}.
 * Borrowed. */
struct app_mailcap_vars {
	const char *file, *type, *charset;
};
#define APP_MAILCAP_COPIOUS 1u /* only copiousoutput entries */

struct app_mailcap *app_mailcap_new(void);
void app_mailcap_free(struct app_mailcap *m);
size_t app_mailcap_count(const struct app_mailcap *m);
/* Adds the entries of mailcap text (comments, continuation lines, "\;"). */
void app_mailcap_parse(struct app_mailcap *m, const char *p, size_t n);
/* Adds the entries of each file of a ':' list, missing ones skipped.
 * Returns 0, or -1 with NOINPUT when a file exists but cannot be read. */
int app_mailcap_load(struct app_mailcap *m, const char *paths, struct qu_err *err);
/* $MAILCAPS, else ~/.mailcap:/etc/mailcap (RFC 1524 App. A). New string. */
char *app_mailcap_default_path(void);
/* The first entry for type (no parameters) whose test= exits 0 within two
 * seconds; with APP_MAILCAP_COPIOUS only copiousoutput entries. Borrowed
 * from m; NULL when none. */
const struct app_mailcap_entry *app_mailcap_find(const struct app_mailcap *m, const char *type,
	unsigned want, const struct app_mailcap_vars *v);
/* cmd with %s %t %{name} %n %F %% replaced, each value quoted for sh where
 * it lands (outside quotes, inside '...' or "..."). *used_file (may be
 * NULL) tells whether %s was there: if not, the content goes to stdin.
 * New string. */
char *app_mailcap_expand(const char *cmd, const struct app_mailcap_vars *v, bool *used_file);
/* The view command of e for v (v->file set), ready for sh: expanded, and
 * reading v->file on stdin when the entry has no %s. New string. */
char *app_mailcap_command(const struct app_mailcap_entry *e, const struct app_mailcap_vars *v);
/* Runs cmd by sh with /dev/null for stdin/out/err, killed (with its
 * process group) after timeout_ms. Its exit status, or -1. */
int app_mailcap_run_bounded(const char *cmd, int timeout_ms);
/* Runs the first copiousoutput entry for v->type on p, n (written to a
 * 0600 file quail names, in a private directory, both removed before the
 * return) and appends its output to out (at most cap bytes kept; killed
 * after timeout_ms). Returns 0, 1 when there is no such entry, or -1
 * with IOERR, SOFTWARE or TEMPFAIL. v->file is ignored. */
int app_mailcap_filter(const struct app_mailcap *m, const struct app_mailcap_vars *v,
	const char *p, size_t n, struct qu_buf *out, size_t cap, int timeout_ms, struct qu_err *err);


/* ---- TNEF (application/ms-tnef, winmail.dat) --------------------------- */

/* One file a TNEF stream carries. name is its title as written (8-bit,
 * not made safe: see app_safe_filename), NULL when none; data holds len
 * bytes and a NUL. */
struct app_tnef_file {
	char *name;
	char *data;
	size_t len;
};
/* The files of the TNEF stream p, n, in order. Returns 0 with *files
 * (free with app_tnef_files_free), or -1 with DATA when the stream is not
 * TNEF or its framing is broken (lengths past the end, bad checksums). */
int app_tnef_files(const char *p, size_t n, struct app_tnef_file **files, size_t *nfiles,
	struct qu_err *err);
void app_tnef_files_free(struct app_tnef_file *f, size_t n);
/* True for a part of type application/ms-tnef (or vnd.ms-tnef), or an
 * application/octet-stream named winmail.dat. */
bool app_is_tnef(const char *type, const char *filename);
/* ---- quail setup (SPEC §11) ----------------------------------------- */

/* An account's servers as URLs; NULL when not known. Owned strings. */
struct app_setup_servers {
	char *imap, *pop3, *smtp;
};
void app_setup_servers_clear(struct app_setup_servers *s);

struct app_setup_opts {
	bool use_dns;        /* look up SRV records (RFC 6186) */
	bool probe;          /* try imap./smtp./mail. + the domain */
	const char *ca_file; /* trust anchors for the probes, or NULL */
};

/* Fills what out still lacks (the incoming server, imap or pop3, and
 * smtp) for address: from its provider's preset, else SRV records
 * (_imaps, _imap, _pop3s, _pop3, _submissions, _submission; each query one
 * try of at most 5 s), else probing the usual names with TLS (each probe at
 * most 5 s; net->cancel stops it). fn (may be NULL) hears "preset", "srv"
 * and "probe" with the name or URL. Errors: USAGE (no domain),
 * UNAVAILABLE (nothing found), CANCELED. */
int app_setup_discover(const char *address, const struct app_setup_opts *o,
		       const struct app_net *net, struct app_setup_servers *out, app_emit_fn fn,
		       void *ctx, struct qu_err *err);

/* The probe URLs for domain and proto, best first (new strings in a new
 * array; free each and the array). Returns how many. */
size_t app_setup_guesses(const char *domain, enum cfg_proto proto, char ***out);

/* Picks the SRV answer's target (RFC 2782: lowest priority, then highest
 * weight) from a DNS reply of len bytes. Returns 1 with *host (new string)
 * and *port, -1 when the record says the service is not offered (target
 * "."), 0 when there is no usable record. The name is checked to be a
 * plain host name. */
int app_srv_pick(const unsigned char *ans, size_t len, char **host, uint16_t *port);
/* True for a plain host name: letters, digits, '-', '.', '_', at most 253
 * bytes. */
bool app_host_ok(const char *h);

/* Logs in to the account's incoming server (imap, else pop3) and to its
 * smtp server (AUTH only; no mail is sent), as serverinfo --login does. fn
 * (may be NULL) hears "login ok" with each URL. Errors: those of
 * app_serverinfo (AUTH for a wrong password). */
int app_setup_check(const struct cfg_account *a, const struct app_net *net, app_emit_fn fn,
		    void *ctx, struct qu_err *err);

/* ---- OAuth 2 (auth = oauth2, SPEC §11) ------------------------------- */

struct app_oauth2_tokens {
	char *access_token;  /* wiped when cleared */
	char *refresh_token; /* or NULL */
	int64_t expires_at;  /* Unix time */
};
void app_oauth2_tokens_clear(struct app_oauth2_tokens *t);

/* Parses a token endpoint's JSON answer (RFC 6749 §5.1; expires_in made
 * absolute with now) or quail's own token file (expires_at). code (32
 * bytes) gets the "error" member of an error answer (RFC 6749 §5.2, RFC
 * 8628 §3.5), reduced to [a-z_]. Tokens must be printable ASCII without
 * quotes or backslashes. Errors: AUTH (an error answer), UNAVAILABLE (not
 * JSON, no usable token). */
int app_oauth2_parse_token(const char *p, size_t n, int64_t now, struct app_oauth2_tokens *t,
			   char *code, struct qu_err *err);

/* $XDG_STATE_HOME/quail/oauth2/ACCOUNT. New string. */
char *app_oauth2_store_path(const struct cfg_account *a);
/* Writes the tokens there (0600, directories 0700, via rename). */
int app_oauth2_store_write(const struct cfg_account *a, const struct app_oauth2_tokens *t,
			   struct qu_err *err);

/* The account's access token, refreshed first (RFC 6749 §6) when it runs
 * out within two minutes. Endpoints: built in for the gmail.com and
 * outlook.com presets, or oauth2_device_url / oauth2_token_url. Errors:
 * AUTH (no login yet, refresh refused), CONFIG, TEMPFAIL, UNAVAILABLE
 * (TLS), CANCELED. New string: free with qu_free_secret. */
char *app_oauth2_access_token(const struct cfg_account *a, const struct app_net *net,
			      struct qu_err *err);

/* Shows where to go and what code to enter; both are server text the
 * caller makes safe. */
typedef void (*app_oauth2_prompt_fn)(void *ctx, const char *uri, const char *user_code);
/* The device authorization grant (RFC 8628): asks for a device code,
 * calls prompt, polls the token endpoint at the interval given (slower on
 * slow_down) until the user has agreed, and stores the tokens. Errors:
 * AUTH (access_denied, expired), CONFIG (no client id or endpoints),
 * TEMPFAIL, UNAVAILABLE, CANCELED. */
int app_oauth2_device_login(const struct cfg_account *a, const struct app_net *net,
			    app_oauth2_prompt_fn prompt, void *ctx, struct qu_err *err);

#endif
