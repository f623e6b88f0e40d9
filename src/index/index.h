/*
 * index: the local index of every message's header fields, flags, thread
 * links and full text (SPEC §9), in one SQLite database per user at
 * $XDG_CACHE_HOME/quail/index.sqlite (default ~/.cache/quail/).
 *
 * The index is a cache: deleting it loses nothing, and a file that is not
 * ours or is damaged is moved aside and rebuilt. It is brought up to date
 * incrementally (index_update): a folder whose cur/ and new/ did not change
 * is not even listed, renames change flags without reading the message,
 * and only new or rewritten files are parsed.
 *
 * Depends on util, mime (parsing, decoding), store (Maildir names and
 * flags, mbox) and SQLite. Never prints; progress is a callback.
 */
#ifndef QUAIL_INDEX_INDEX_H
#define QUAIL_INDEX_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* An open index (one database connection). Not shared between threads:
 * each thread (the UI's workers) opens its own. */
struct index;

/* The default database path: $XDG_CACHE_HOME/quail/index.sqlite, else
 * ~/.cache/quail/index.sqlite. Owned string; NULL (with QU_E_CONFIG) when
 * neither XDG_CACHE_HOME nor HOME is set. */
char *index_default_path(struct qu_err *err);

enum {
	INDEX_OPEN_REBUILD = 1u << 0, /* throw the existing contents away */
	INDEX_OPEN_CHECK = 1u << 1,   /* run PRAGMA quick_check now (it reads the
				       * whole file; otherwise it runs once a
				       * day) and rebuild when it fails */
	INDEX_OPEN_QUICK = 1u << 2,   /* for one-row work on the UI's path:
				       * never the daily quick_check (the
				       * next full open runs it) */
};

/* Opens the index at path (NULL: index_default_path), creating it and its
 * directory (mode 0700) when missing. A file that is not a quail index of
 * this version, or does not open, is moved aside to PATH.bad and a new one
 * made. Returns an owned index (index_free), or NULL with QU_E_IOERR or
 * QU_E_CONFIG (no default path). */
struct index *index_open(const char *path, unsigned flags, struct qu_err *err);
/* Closes ix; NULL is a no-op. */
void index_free(struct index *ix);
/* The database path; valid until index_free. */
const char *index_path(const struct index *ix);

/* ---- updating --------------------------------------------------------- */

struct index_progress {
	const char *folder;  /* the folder's path; valid for the call */
	uint64_t done;       /* messages parsed in this folder so far */
	uint64_t total;      /* messages to parse in this folder */
	bool text;           /* the second pass: the messages' text, after
			      * every folder of the run has its rows */
};

struct index_update_opts {
	const struct qu_cancel *cancel; /* NULL: cannot be canceled */
	/* Called after each folder is listed and then at most every 2000
	 * messages parsed; NULL: none. */
	void (*progress)(void *ctx, const struct index_progress *p);
	void *progress_ctx;
	bool subject_threads; /* also join a message without References or
			       * In-Reply-To to the thread whose first message
			       * has the same subject without Re:/Fwd: */
};

/* What a run did, over the folders under the paths given. */
struct index_stats {
	uint64_t messages; /* in those folders after the run */
	uint64_t added;    /* new files parsed */
	uint64_t changed;  /* renamed (flags, new/ -> cur/) or rewritten */
	uint64_t gone;     /* removed from the index */
	uint64_t folders;  /* folders seen */
	uint64_t listed;   /* folders whose directories had to be listed */
	uint64_t texts;    /* messages whose text was written (the second
			    * pass: the new ones, and those an earlier
			    * run stopped before) */
	uint64_t fts_rebuilt; /* messages whose full text was read again to
			       * drop that of removed ones (more than a
			       * fifth of the rows were such garbage) */
};

/* Brings the index up to date with paths[0..n): each a Maildir, a root
 * holding Maildirs (every one below it: ROOT/INBOX, ROOT/A/B and Maildir++
 * ROOT/.A.B; .quail, .outbox and tmp/ are skipped), or an mbox file.
 * Folders that used to be under a path and are gone are removed from the
 * index. Parses on two threads and writes in large transactions: first
 * the rows of every folder (what a folder opens from), then the text of
 * the messages whose text is not written yet (index_text_pending). o may be
 * NULL; st (may be NULL) is filled also on failure. With o->cancel fired
 * returns -1 with QU_E_CANCELED soon, leaving a consistent index (what was
 * written stays; the rest is found by the next run). Errors: NOINPUT (a
 * path that does not exist or is neither a Maildir, a directory nor a
 * file), IOERR (the database, or a directory that cannot be read),
 * CANCELED. */
int index_update(struct index *ix, const char *const *paths, size_t n,
	const struct index_update_opts *o, struct index_stats *st, struct qu_err *err);

/* Tells the index that quail renamed one Maildir file from -> to (both
 * DIR/cur/NAME or DIR/new/NAME, DIR named as the index names its folders:
 * absolute and symlink-free): a flag change, new/ -> cur/, or a move to
 * another folder. Updates that one row (name, flags, is_new, folder)
 * without reading the message or listing a folder; a move to a folder the
 * index does not hold removes the row. Returns 1 when a row changed, 0
 * when from is not indexed (nothing to do: the next index_update finds
 * the file), -1 with USAGE (not a Maildir file path) or IOERR. */
int index_rename(struct index *ix, const char *from, const char *to, struct qu_err *err);
/* index_rename for n pairs (pairs[2i] -> pairs[2i + 1]) in one
 * transaction, so that a job that renamed thousands of files costs one
 * commit and no listing. Returns how many rows changed, or -1 with USAGE
 * or IOERR (then none did). */
long index_rename_pairs(struct index *ix, const char *const *pairs, size_t n,
	struct qu_err *err);

/* Whether the index holds a folder at root or under it (root named as
 * the index names folders: absolute, symlink-free), so that a program
 * that changed mail there knows the user indexes it. Returns 1, 0, or -1
 * with IOERR. */
int index_holds(struct index *ix, const char *root, struct qu_err *err);

/* Whether the index is current with the Maildir at path (named as the
 * index names folders: absolute, symlink-free): the mtimes of its cur/
 * and new/ are those recorded by the last complete pass over it, so its
 * rows are the folder's files with their names and flags. Costs two
 * stat(2) calls and one row. Returns 1, 0 (changed since, not held, or
 * changed too recently to tell), or -1 with IOERR. */
int index_folder_current(struct index *ix, const char *path, struct qu_err *err);

/* How many messages of the folder at path (named as above; NULL: every
 * folder) have their row in the index but not yet their text, counted up
 * to max (1 asks only whether any): a run that writes it is under way or
 * was stopped (the next index_update writes it). Full-text terms do not
 * find these messages. Costs nothing while no text waits. Returns 0 with
 * *n set, or -1 with IOERR. */
int index_text_pending(struct index *ix, const char *path, uint64_t max, uint64_t *n,
	struct qu_err *err);

/* ---- reading ---------------------------------------------------------- */

/* Message flags as stored (msg.flags). */
enum index_flag {
	INDEX_FLAG_SEEN = 1,
	INDEX_FLAG_FLAGGED = 2,
	INDEX_FLAG_REPLIED = 4,
	INDEX_FLAG_DELETED = 8,
	INDEX_FLAG_DRAFT = 16,
	INDEX_FLAG_PASSED = 32,
};

enum index_sort {
	INDEX_SORT_NEWEST,    /* Date: newest first (undated last) */
	INDEX_SORT_OLDEST,    /* Date: oldest first */
	INDEX_SORT_DATE,      /* the same as OLDEST */
	INDEX_SORT_RECEIVED,  /* file mtime, newest first */
	INDEX_SORT_FROM,      /* sender name or address, A-Z */
	INDEX_SORT_SUBJECT,   /* subject, A-Z */
	INDEX_SORT_SIZE,      /* largest first */
	INDEX_SORT_THREADS,   /* threads by their latest message, newest
			       * first; inside a thread by date */
	INDEX_SORT_RELEVANCE, /* full-text rank (bm25) when the query has
			       * words, else NEWEST */
	/* The other direction of some orders above, for the last page of
	 * a view sorted so (its first screen); not parsed by name. Each
	 * walks the same index backwards. */
	INDEX_SORT_RECEIVED_OLDEST, /* file mtime, oldest first */
	INDEX_SORT_FROM_DESC,       /* sender, Z-A, newest first within */
	INDEX_SORT_SUBJECT_DESC,    /* subject, Z-A, newest first within */
	INDEX_SORT_SIZE_SMALLEST,   /* smallest first */
};

/* Parses "newest", "oldest", "date", "received", "from", "subject",
 * "size", "threads", "relevance". Returns 0 or -1. */
int index_sort_parse(const char *s, enum index_sort *out);

/* One message. Strings may be NULL (header absent) and are borrowed: valid
 * during the callback only. They come from mail, so whoever shows them
 * must make them safe first. */
struct index_row {
	int64_t id;
	const char *path;        /* the message file (a Maildir file or the
				  * mbox); absolute when the folder was given
				  * absolute */
	const char *folder;      /* the folder's shown name */
	const char *folder_path;
	int folder_kind;         /* 0 Maildir, 1 mbox */
	uint64_t mbox_offset;    /* mbox: byte offset of the From_ line */
	bool has_date;
	int64_t date;            /* Date: UTC epoch seconds, when has_date */
	int64_t mtime;
	const char *from_name, *from_addr;
	const char *to_list, *cc_list; /* "Name <addr>, ..." */
	const char *subject;
	const char *message_id;
	int64_t thread;
	int64_t parent;          /* 0 for a thread's root */
	unsigned depth;          /* INDEX_SORT_THREADS: depth in the thread */
	unsigned flags;          /* enum index_flag */
	bool is_new, has_attachment;
	uint64_t size;
};

/* Receives one row, its strings borrowed until it returns (the path is
 * rebuilt for the next row, so fn must not read rows of the same index
 * meanwhile); returns 0 to go on, -1 (with err set) to stop. */
typedef int (*index_row_fn)(void *ctx, const struct index_row *r, struct qu_err *err);

/* Calls fn for rows [offset, offset + limit) of the messages matching
 * query (the language of SPEC §9; NULL or "" matches all) in folder (a
 * folder's path or shown name; NULL: all folders), in sort order. Rows
 * are read one at a time; nothing is loaded beyond the page. Returns the
 * number of rows given, or -1 with QU_E_USAGE (a bad query: the message
 * names the position), IOERR, or what fn set. */
long index_search(struct index *ix, const char *folder, const char *query, enum index_sort sort,
	uint64_t offset, uint64_t limit, index_row_fn fn, void *ctx, struct qu_err *err);

/* The number of messages index_search would give without offset and
 * limit. Returns 0 or -1 (as index_search). */
int index_count(struct index *ix, const char *folder, const char *query, uint64_t *count,
	struct qu_err *err);

/* What a folder's first screen shows before its rows are read (SPEC §8):
 * the status line's counts, and the place of the row the cursor starts
 * on (the first unread message) in date order. */
struct index_marks {
	uint64_t total, unread, flagged, deleted; /* deleted: Maildir T */
	/* The first unread message's place among the folder's messages in
	 * date order (by date, then id; oldest first, newest first when
	 * reverse). Meaningful when unread > 0. */
	uint64_t first_unread;
};

/* The marks of the folder at path, read through partial indexes over
 * the unread, flagged and deleted messages: a few index lookups and
 * counts of those, not of the folder. Returns 1 with *m, 0 when the
 * folder is not held (or its count is not known yet, or the file was
 * made before those indexes and not yet opened to write), -1 with
 * IOERR. */
int index_folder_marks(struct index *ix, const char *path, bool reverse, struct index_marks *m,
	struct qu_err *err);

/* The first screen of a threaded view (thread_tail.c): calls fn for the
 * rows of the newest whole threads of the folder at path (its messages
 * whose parent is not in it are the roots, by date then id; replies follow
 * depth first, siblings by date then id), at least rows of them when the
 * folder has them, oldest thread first. Returns the number of rows given,
 * 0 when the folder is not indexed or the threads would pass max rows,
 * -1 with IOERR or what fn set. */
long index_thread_tail(struct index *ix, const char *folder, size_t rows, size_t max,
	index_row_fn fn, void *ctx, struct qu_err *err);

/* The first screen of a threaded view whose cursor starts on the first
 * unread message (thread_tail.c): whole threads in view order from the
 * oldest root on, walked until the first unread message and a screen of
 * rows ending on it are held, then given to fn from the start of the
 * thread holding that screen's first row, *base the place of the first
 * row given and *first_unread the unread message's place in the folder's
 * thread order. Returns the number of rows given, 0 when none is unread
 * within max rows of the start (or the folder is not indexed), -1 with
 * IOERR or what fn set. */
long index_thread_head(struct index *ix, const char *folder, size_t rows, size_t max,
	index_row_fn fn, void *ctx, uint64_t *base, uint64_t *first_unread, struct qu_err *err);

/* Calls fn with the row of message id. Returns 1 when found, 0 when there
 * is no such message, -1 with IOERR or what fn set. */
int index_get(struct index *ix, int64_t id, index_row_fn fn, void *ctx, struct qu_err *err);

/* ---- addresses, for completion (addresses.c) -------------------------- */

/* The addresses of one message. Borrowed for the call; NULL when absent. */
struct index_addr_row {
	const char *from_name, *from_addr;
	const char *to_list, *cc_list; /* "Name <addr>, ..." */
	int64_t date;                  /* Date:, else the file time */
};
typedef int (*index_addr_fn)(void *ctx, const struct index_addr_row *r, struct qu_err *err);

/* Calls fn for every message whose From, To or Cc may hold prefix (ASCII
 * case-insensitive; a non-ASCII or empty prefix: every message); the
 * caller matches exactly. Returns 0, or -1 with IOERR or what fn set. */
int index_addresses(struct index *ix, const char *prefix, index_addr_fn fn, void *ctx,
	struct qu_err *err);

#endif
