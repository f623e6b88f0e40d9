/* app internals; nothing outside src/app includes this. */
#ifndef QUAIL_APP_PRIVATE_H
#define QUAIL_APP_PRIVATE_H

#include "util/util.h"
#include "net/net.h"
#include "config/config.h"
#include "smtp/smtp.h"
#include "pop3/pop3.h"
#include "imap/imap.h"
#include "app/app.h"

/* The account's URL for proto, parsed. Errors: CONFIG when the account has
 * none for that protocol. */
int app_server_url(const struct cfg_account *a, enum cfg_proto proto, struct cfg_url *url,
		   struct qu_err *err);

/* net_opts from the account and the common options. */
void app_net_opts(const struct cfg_account *a, const struct app_net *n, struct net_opts *o);

enum net_tls_mode app_tls_mode(enum cfg_tls t);

/* Credentials for SASL: user from the account (else the URL's), secret from
 * cfg_password. The strings are owned by c; free with app_creds_clear.
 * Errors: CONFIG (no user, no password, password_command failed).
 * app_creds_begin checks the user and starts password_command;
 * app_creds_end waits for its secret: a connection is made in between.
 * app_creds_get is both at once. no (may be NULL) gives password_command
 * its deadline and cancel handle. */
struct app_creds {
	struct net_sasl_creds c;
	char *user;
	char *secret;
	struct cfg_password_job job;
	bool running;
	/* auth = oauth2: the account with oauth2_token_command as its
	 * password_command (borrowed strings); the job points at it. */
	struct cfg_account shadow;
};
int app_creds_begin(const struct cfg_account *a, const struct cfg_url *url,
		    const struct net_opts *no, struct app_creds *c, struct qu_err *err);
int app_creds_end(struct app_creds *c, struct qu_err *err);
int app_creds_get(const struct cfg_account *a, const struct cfg_url *url,
		  const struct net_opts *no, struct app_creds *c, struct qu_err *err);
void app_creds_clear(struct app_creds *c);

/* ---- committing deliveries on worker threads (commit.c) -------------- */

#include <pthread.h>

struct maildir_delivery;

#define APP_COMMIT_THREADS 16
/* Deliveries handed over and not yet collected; each holds a 64 kB buffer.
 * Callers keep fewer than this many in flight. */
#define APP_COMMIT_QUEUE 32

/* One delivery to commit: filled by the caller, then rc/rel/err by the
 * worker (rel: the relpath under the Maildir, owned by the job). */
struct app_commit_job {
	size_t tag;                 /* the caller's, e.g. an index */
	struct maildir_delivery *d; /* taken by the commit */
	char flags[8];              /* Maildir info letters, "" for none */
	bool seen;
	uint64_t size;
	char *rel;
	bool already;               /* found stored already; not submitted */
	int rc;
	struct qu_err err;
};

struct app_commit_pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct app_commit_job *queue[APP_COMMIT_QUEUE]; /* waiting for a worker */
	size_t qhead, qlen;
	struct app_commit_job *fin[APP_COMMIT_QUEUE]; /* committed, not collected */
	size_t nfin;
	size_t in_flight; /* handed over and not yet collected */
	bool stop, started;
	const struct qu_cancel *cancel;
	pthread_t th[APP_COMMIT_THREADS];
	size_t nth;
};

/* Starts the workers (fewer when threads run out; SOFTWARE when none).
 * Once cancel fires, jobs not yet committed end with CANCELED. */
int app_commit_pool_start(struct app_commit_pool *p, const struct qu_cancel *cancel,
			  struct qu_err *err);
/* Hands j to a worker, which runs maildir_delivery_commit on it. */
void app_commit_pool_submit(struct app_commit_pool *p, struct app_commit_job *j);
/* Moves committed jobs to out (room for APP_COMMIT_QUEUE); with wait, first
 * waits for one while any is in flight. Returns how many. */
size_t app_commit_pool_collect(struct app_commit_pool *p, struct app_commit_job **out, bool wait);
size_t app_commit_pool_in_flight(struct app_commit_pool *p);
/* Waits for the workers to finish what they hold, and stops them. */
void app_commit_pool_stop(struct app_commit_pool *p);

/* A fetch's side of the pool: jobs committed (or found stored) whose D
 * entries are not yet in the journal. */
struct app_commit_ready {
	struct app_commit_job *v[APP_COMMIT_QUEUE + 1];
	size_t n;
	bool failed;       /* a commit failed; err is the first failure */
	struct qu_err err;
};
/* Moves committed jobs from p into r (with wait, first waits for one while
 * any is in flight), noting the first that failed. */
void app_commit_gather(struct app_commit_pool *p, struct app_commit_ready *r, bool wait);
/* Hands j over: to a worker, or straight to r when it was found stored.
 * sync(ctx) writes the journal for what r holds and settles it; it runs
 * first when the pool is full (after waiting for a commit), and after the
 * hand-over once a third of the queue is ready. j is freed on failure.
 * Returns 0, or sync's -1. */
int app_commit_hand(struct app_commit_pool *p, struct app_commit_ready *r,
		    struct app_commit_job *j, int (*sync)(void *ctx, struct qu_err *err), void *ctx,
		    struct qu_err *err);
/* Once the journal append recording r's jobs returned rc: with rc 0, each
 * job that committed is counted in res and passed to done; then all are
 * freed. Returns rc, or -1 with the first commit failure. */
struct app_fetch_result;
int app_commit_settle(struct app_commit_ready *r, int rc,
		      void (*done)(void *ctx, const struct app_commit_job *j), void *ctx,
		      struct app_fetch_result *res, struct qu_err *err);
/* Frees what r still holds and forgets a failure. */
void app_commit_ready_clear(struct app_commit_ready *r);
void app_commit_job_free(struct app_commit_job *j);

/* ---- fetch state in DIR/.quail/ (fetch_state.c) ----------------------- */

/* The journal's file name: prefix then "USER@HOST", bytes outside a safe
 * set written as %XX, so any user name gives one plain file name. New
 * string. */
char *app_fetch_journal_name(const char *prefix, const char *user, const char *host);

/* Makes DIR/.quail/ (its entry fsynced) and takes an exclusive lock on
 * DIR/.quail/NAME.lock, so that one fetch at a time uses a journal (POP3
 * servers need not lock the maildrop). DIR must exist. Returns the
 * descriptor to close when done, or -1: TEMPFAIL when another run holds
 * the lock, IOERR when it cannot be made. */
int app_fetch_lock(const char *dir, const char *name, struct qu_err *err);

/* A fetch's progress: reported to o->progress at most every 100 ms, and
 * while a message streams, after every 256 KiB of it. */
struct app_fetch_opts;
struct app_progress {
	const struct app_fetch_opts *o;
	struct app_fetch_progress pr; /* the counts, kept by the caller */
	int64_t t0, last;
	uint64_t since;
	const struct qu_cancel *cancel; /* the call's (app_net); set once */
	bool stop;                      /* the callback asked to stop */
};
/* Starts the clock (of a folder; pr is the caller's to set) and reports. */
void app_progress_start(struct app_progress *p, const struct app_fetch_opts *o);
/* Reports, unless the last report was less than 100 ms ago; with last,
 * always (the final call of the folder). */
void app_progress_report(struct app_progress *p, bool last);
/* n more bytes of the message being received. */
void app_progress_bytes(struct app_progress *p, size_t n);
/* 0, or -1 with QU_E_CANCELED once the cancel handle fired or the
 * progress callback asked to stop: fetches call it for every chunk and
 * every message. */
int app_progress_check(const struct app_progress *p, struct qu_err *err);

/* The next space-separated word of [*p, end) in *w, *n; false at the end. */
bool app_word(const char **p, const char *end, const char **w, size_t *n);

/* The unique part of a Maildir file name: *base is rel's last component,
 * the length returned ends before its ":2," info. */
size_t app_maildir_base(const char *rel, const char **base);
/* qsort/bsearch order of (const char *) paths by their unique names. */
int app_cmp_maildir_base(const void *a, const void *b);

struct maildir;

/* Finding a message that an interrupted run stored before it could say so
 * in the journal: the Maildir's files by size, compared byte for byte. */
struct app_stored {
	uint64_t size;
	char *path;   /* absolute */
	bool claimed; /* matched in this run */
};
struct app_stored_index {
	struct app_stored *v;
	size_t n;
	bool built;
	const struct qu_cancel *cancel; /* ends a long scan; kept by clear */
};
/* Lists md's new/ and cur/ with each file's size (",S=" in the name, else
 * stat), leaving out the files claimed by the journal's D entries: claimed
 * holds their paths (any prefix; matched by unique name, so a file a reader
 * moved or reflagged is still claimed) and is sorted in place. IOERR;
 * CANCELED when ix->cancel fires (looked at for every file). */
int app_stored_index_build(struct maildir *md, const char **claimed, size_t nclaimed,
			   struct app_stored_index *ix, struct qu_err *err);
/* An unclaimed listed file with exactly d's bytes: its path without the
 * first strip bytes and the '/' after them (new string), now claimed; or
 * NULL. *rc is -1 (IOERR) when a file could not be read. */
char *app_stored_find(struct app_stored_index *ix, struct maildir_delivery *d, size_t strip,
		      int *rc, struct qu_err *err);
void app_stored_index_clear(struct app_stored_index *ix);

/* ---- one fetch engine for POP3 and IMAP (fetch_engine.c) -------------- */

/* What the journal says of one message: pending (P) or done (C). */
enum app_key_state {
	APP_KEY_PENDING,
	APP_KEY_DONE,
};
struct app_fetch_key {
	char *key;    /* NUL-terminated, len bytes; NULL: a free slot */
	size_t len;
	char *rel;    /* DONE: the stored file, relative to what the caller
		       * chose (NULL otherwise) */
	uint64_t num; /* the caller's (IMAP: the UID) */
	enum app_key_state state;
	bool mark;    /* the caller's (POP3: still on the server) */
};
/* A set of keys (byte strings: POP3's unique-ids, IMAP's UIDs of one
 * folder). Zeroed is empty. Entry pointers last until the next add. */
struct app_fetch_keys {
	struct app_fetch_key *v;
	size_t cap, n;
};
struct app_fetch_key *app_fetch_keys_find(const struct app_fetch_keys *s, const char *key,
					  size_t len);
/* The entry of key; a new one is PENDING (*added, when not NULL, says
 * which). */
struct app_fetch_key *app_fetch_keys_add(struct app_fetch_keys *s, const char *key, size_t len,
					 bool *added);
/* Makes e DONE, stored as rel. */
void app_fetch_key_done(struct app_fetch_key *e, const char *rel, size_t rn);
/* The rel of every DONE key (borrowed from s), for app_stored_index_build:
 * a new array of *n of them. */
const char **app_fetch_keys_claimed(const struct app_fetch_keys *s, size_t *n);
void app_fetch_keys_clear(struct app_fetch_keys *s);

/* The protocol's side of the engine. A tag names one message (the job's
 * tag: POP3's listing index, IMAP's UID); i indexes the plan. */
struct app_fetch_engine_ops {
	/* Appends the message's journal key ("<uid>", "<folder-id> <uid>"). */
	void (*put_key)(void *ctx, struct qu_buf *b, size_t tag);
	/* The tag of the plan's message i. */
	size_t (*plan_tag)(void *ctx, size_t i);
	/* About to journal a P entry for tag: false when the journal has one
	 * already (nothing is written), else true (the caller records it). */
	bool (*pend)(void *ctx, size_t tag);
	/* j's C entry is durable: the message is done. */
	void (*committed)(void *ctx, const struct app_commit_job *j);
	/* Lists the Maildir for the stored-copies check, leaving out what C
	 * entries claim (app_stored_index_build); called once, when needed. */
	int (*build_index)(void *ctx, struct app_stored_index *ix, struct qu_err *err);
};

/* One fetch's crash-safe protocol (SPEC §5): the journal, the plan's
 * coverage by P entries, the hand-over of deliveries to the commit pool
 * and their C entries, the stored-copies check, and progress. The caller
 * fills in ops to ahead, the cancel handle of prog and of stored, and
 * n_todo for each plan; the rest starts zeroed. */
struct store_journal;
struct app_fetch_engine {
	const struct app_fetch_engine_ops *ops;
	void *ctx;
	struct app_fetch_result *r;    /* messages, already and bytes are counted */
	const char *dir, *jname;       /* the journal DIR/.quail/JNAME (borrowed) */
	struct store_journal *j;       /* owned; NULL: nothing is journaled */
	const char *path_prefix;       /* before each C entry's path, or NULL */
	const char *rel_prefix;        /* a committed file's rel becomes
					* "PREFIX/rel" before its C entry, or NULL */
	size_t strip;                  /* app_stored_find's: the Maildir's base */
	size_t ahead;                  /* one journal sync covers this many P */
	size_t n_todo;                 /* messages in the plan */
	size_t covered;                /* plan[0..covered) have durable P (or C) */
	struct app_commit_pool pool;
	bool pool_up;
	struct app_commit_ready ready; /* committed, C entries not yet durable */
	struct app_stored_index stored;
	struct app_progress prog;
	struct maildir_delivery *d;    /* the message being received */
};
/* Appends line (nothing when empty or without a journal); IOERR names
 * the journal. */
int app_fetch_engine_append(struct app_fetch_engine *e, const struct qu_buf *line,
			    struct qu_err *err);
/* One append makes durable: a C entry for each committed job, and P
 * entries so that plan[0..upto) are covered. Then the jobs are settled
 * (app_commit_settle: counted, passed to ops->committed). */
int app_fetch_engine_sync(struct app_fetch_engine *e, size_t upto, struct qu_err *err);
/* Starts the commit pool unless it runs (a re-run with nothing new starts
 * no thread). */
int app_fetch_engine_start(struct app_fetch_engine *e, struct qu_err *err);
/* Takes j, the received plan message i: compares it with the stored
 * copies when maybe_stored, counts it, makes its P durable, and hands it
 * to the pool. j is freed on failure. */
int app_fetch_engine_take(struct app_fetch_engine *e, struct app_commit_job *j, size_t i,
			  bool maybe_stored, struct qu_err *err);
/* Waits for every commit in flight and journals them. */
int app_fetch_engine_finish(struct app_fetch_engine *e, struct qu_err *err);
/* Ends a transfer that returned rc: drops a message cut off, then
 * finishes; after a failure too (best effort, so what is committed counts
 * as done), returning -1 with the transfer's error. */
int app_fetch_engine_end(struct app_fetch_engine *e, int rc, struct qu_err *err);
/* Begins receiving a message into md's tmp/ (one still received is
 * dropped). */
int app_fetch_engine_begin(struct app_fetch_engine *e, struct maildir *md, struct qu_err *err);
/* n more bytes of it, counted in progress; CANCELED once a stop came. */
int app_fetch_engine_data(struct app_fetch_engine *e, const char *p, size_t n,
			  struct qu_err *err);
/* The message received, as a commit job with tag (for take). */
struct app_commit_job *app_fetch_engine_job(struct app_fetch_engine *e, size_t tag);
/* Drops the message being received, if any (its tmp/ file goes). */
void app_fetch_engine_drop(struct app_fetch_engine *e);
/* Forgets one plan (the folder's): the message being received, ready
 * jobs, the stored-copies index. */
void app_fetch_engine_reset(struct app_fetch_engine *e);
/* Stops the pool, frees what e holds and closes the journal. */
void app_fetch_engine_clear(struct app_fetch_engine *e);

/* The lines of a compacted journal (store_journal_compact), built up. */
struct app_fetch_lines {
	struct store_line *v;
	size_t n, cap;
};
/* Appends b's bytes as one line; b is left empty. */
void app_fetch_lines_take(struct app_fetch_lines *l, struct qu_buf *b);
/* Appends a line per key of s (only the marked ones, with marked_only):
 * "P SCOPEKEY", or "C SCOPEKEY PATH" with PATH path_prefix (may be NULL)
 * and the key's rel, %-encoded: the entries the fetches write. */
void app_fetch_lines_keys(struct app_fetch_lines *l, const struct app_fetch_keys *s,
			  const char *scope, const char *path_prefix, bool marked_only);
/* Replaces the journal DIR/.quail/JNAME with l's lines (close it first),
 * then frees them. */
int app_fetch_lines_write(struct app_fetch_lines *l, const char *dir, const char *jname,
			  struct qu_err *err);

/* index_detach.c: argv[0] of this process as an absolute path, as given
 * when it holds a '/', else found in PATH as execvp would; NULL when not
 * found. For running `quail index` again when /proc/self/exe is not
 * there. */
char *app_self_exe(void);
/* index_detach.c: the lock file that lets one background `quail index`
 * (the run after a quit, the UI's child) work on the index at a time;
 * NULL when the index's path cannot be made. */
char *app_index_lock_path(void);

/* folder_index.c: whether the index exists and holds the Maildir at abs
 * (absolute, symlink-free) as it is now: its cur/ and new/ have the
 * mtimes of the last complete pass and every message's text is written,
 * so an update would read nothing. */
bool app_index_current(const char *abs);

/* index_child.c: `quail index PATH` in a child process at a lower
 * priority, its progress handed to fn on this thread, SIGTERM to it on a
 * cancel. Returns 0, 1 when the binary could not be run (the caller
 * updates in-process), or -1 with CANCELED, or IOERR/SOFTWARE for a run
 * that failed. */
int app_index_child(const char *path, const struct qu_cancel *cancel, app_index_watch_fn fn,
	void *ctx, struct qu_err *err);

#endif
