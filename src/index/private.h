/*
 * index: declarations shared by the files of src/index and its unit tests.
 * Nothing outside src/index (tests aside) includes this header.
 */
#ifndef QUAIL_INDEX_PRIVATE_H
#define QUAIL_INDEX_PRIVATE_H

#include <sqlite3.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

#include "index/index.h"

/* PRAGMA application_id of a quail index ("quai"), and PRAGMA user_version:
 * the schema version. A file with other values is not trusted. */
#define INDEX_APPLICATION_ID 0x71756169
#define INDEX_SCHEMA_VERSION 4

/* Opens (creating when missing) the index database at path: registers the
 * "quail" FTS5 tokenizer, sets WAL and busy_timeout, and applies the schema
 * (schema.c). A file that is not a quail index, has another schema
 * version, or fails to open or PRAGMA quick_check is renamed aside to
 * "PATH.bad" (with its -wal and -shm files) and a new one is created.
 * On success *db is an open connection owned by the caller
 * (sqlite3_close). Returns 0, or -1 with QU_E_IOERR (the file cannot be
 * created, or even a fresh one cannot be opened). */
int index_db_open_path(const char *path, sqlite3 **db, struct qu_err *err);

/* Like index_db_open_path; with quick_check 0, PRAGMA quick_check
 * (which reads the whole file) runs only when it has not passed within a
 * day, with -1 never, with 1 always; *rebuilt is set true when an
 * existing file was moved aside (may be NULL). */
int index_db_open_opts(const char *path, int quick_check, sqlite3 **db, bool *rebuilt,
	struct qu_err *err);

/* Runs sql (one or more statements without results). Returns 0, or -1 with
 * QU_E_IOERR and SQLite's message. */
int index_db_exec(sqlite3 *db, const char *sql, struct qu_err *err);

/* Sets err from db's last error: QU_E_IOERR "what: sqlite message".
 * Returns -1. */
int index_db_err(sqlite3 *db, struct qu_err *err, const char *what);

/* ---- tokenizer (tokenize.c) ------------------------------------------ */

/* Registers the FTS5 tokenizer "quail" on db (see tokenize.c). Returns 0,
 * or -1 with QU_E_SOFTWARE when SQLite has no FTS5. */
int index_tokenizer_register(sqlite3 *db, struct qu_err *err);

/* True for the code points tokenized one character a token (CJK): Han,
 * Hiragana, Katakana, Hangul. */
bool index_is_cjk(uint32_t c);

/* ---- one message, parsed (parse.c) ----------------------------------- */

/* Most text indexed per message: a huge text part costs index space and
 * time without helping anyone find the message. */
#define INDEX_BODY_MAX (1u << 20)

/* A message found by a listing, and what parsing it gave. Strings are
 * owned (free()), NULL when absent. */
struct index_doc {
	/* From the listing. */
	char *path;        /* the file to read (Maildir file or the mbox) */
	char *file;        /* "cur/NAME" / "new/NAME"; "" for mbox */
	char *uniq;        /* Maildir unique part; mbox: the From_ offset */
	int64_t size, mtime;
	unsigned flags;    /* INDEX_FLAG_* */
	bool is_new;
	const char *mem;   /* mbox: the message's bytes (borrowed), else NULL */
	size_t mem_len;
	bool rewritten;    /* replaces a row of the same name (counted as
			    * changed, not added) */
	int64_t rowid;     /* > 0: only its full-text row is written, for
			    * this msg row (the second pass, the full-text
			    * rebuild) */
	bool no_text;      /* the first pass: the text parts are not read */
	/* Parsed. */
	bool vanished;     /* the file was gone when it was read */
	bool unreadable;   /* ... or there and not readable (vanished too) */
	bool has_date;
	int64_t date;
	char *from_name, *from_addr, *to_list, *cc_list;
	char *subject, *message_id, *in_reply_to, *refs, *list_id;
	char *filenames;   /* joined by "\n" */
	bool has_attachment;
	char *sender;      /* full-text columns */
	char *recipients;
	struct qu_buf body;
};

/* What one parsing thread keeps between messages. */
struct index_parser;

struct index_parser *index_parser_new(void);
void index_parser_free(struct index_parser *ps);
/* Reads d->path (or d->mem) and fills the parsed fields. A file that is
 * gone sets d->vanished. Never fails otherwise: malformed mail gives what
 * can be read. */
void index_parser_run(struct index_parser *ps, struct index_doc *d);
void index_doc_free(struct index_doc *d);

/* Maildir flags (store's MAILDIR_FLAG_*) as INDEX_FLAG_* bits. */
unsigned index_flags_from_maildir(unsigned mflags);

/* The message ids in a References or In-Reply-To value, in order, without
 * angle brackets, joined by single spaces; NULL when none. */
char *index_msgids(const char *p, size_t n);

/* ---- the open index (index.c) ---------------------------------------- */

/* The partial indexes behind index_folder_marks (schema.c MARKS_SQL), as
 * an SQL list, to ask sqlite_schema whether a file has them. */
#define INDEX_MARKS_NAMES "('msg_folder_unread', 'msg_folder_flagged', 'msg_folder_trashed')"
/* Every object of MARKS_SQL, and how many: a file without one of them
 * gets them all (IF NOT EXISTS) on its next full open. */
#define INDEX_MARKS_ALL "('msg_folder_unread', 'msg_folder_flagged', 'msg_folder_trashed'," \
	" 'folder_marks', 'msg_marks_add', 'msg_marks_del', 'msg_marks_change', 'folder_marks_gone')"
#define INDEX_MARKS_ALL_N 8

#define INDEX_STMTS_MAX 64

struct index {
	sqlite3 *db;
	char *path;
	/* Prepared statements, keyed by the address of their SQL text (each
	 * a static string), prepared once per connection. */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[INDEX_STMTS_MAX];
	size_t nstmts;
	struct qu_buf row_path; /* a row's file path (search.c emit), reused */
	dev_t dev;              /* the file opened (index_still_there) */
	ino_t ino;
};

/* Whether ix->path still names the file ix opened: not when it was
 * removed or replaced (a cache directory cleared) since. */
bool index_still_there(const struct index *ix);

/* The prepared statement for sql (a string with static storage), reset
 * and with its bindings cleared. NULL with QU_E_IOERR when SQLite refuses
 * it. */
sqlite3_stmt *index_stmt(struct index *ix, const char *sql, struct qu_err *err);
/* Steps st to its end (a statement without rows). 0, or -1 with IOERR. */
int index_step_done(struct index *ix, sqlite3_stmt *st, struct qu_err *err);
/* Runs sql (static, as index_stmt) with id bound to ?1, to its end. 0, or
 * -1 with IOERR. */
int index_exec_id(struct index *ix, const char *sql, int64_t id, struct qu_err *err);
/* Binds a string, or NULL when s is NULL. */
void index_bind_str(sqlite3_stmt *st, int i, const char *s);

/* ---- threads (thread.c) ---------------------------------------------- */

/* Where a message joins the threads (thread.c), found before its row is
 * written so that the row is written once, with them. */
struct index_place {
	int64_t thread; /* the thread it joins */
	int64_t parent; /* its parent, 0 for none */
};

/* Before message d's row is written: joins or merges the threads its ids
 * and the messages naming it belong to (with by_subject, a message that
 * names no other joins the thread of the same base subject,
 * index_base_subject; else one of its own is made), and finds its
 * parent, the nearest ancestor present. */
int index_thread_place(struct index *ix, const struct index_doc *d, bool by_subject,
	struct index_place *pl, struct qu_err *err);
/* After the row (id) is written with the place: its ref rows, and the
 * messages waiting for it as their parent adopt it. */
int index_thread_link(struct index *ix, int64_t id, const struct index_doc *d,
	struct qu_err *err);
/* The subject without reply and forward prefixes ("Re:", "Fwd:", "AW:",
 * "回复：", ...) and white space, lowercased (ASCII); NULL when nothing is
 * left. by_subject joins a message that names no other to the thread
 * whose first message has the same base subject. Owned string. */
char *index_base_subject(const char *subject);
/* Removes message id (and its fts row's reachability) from the index and
 * the threads: deletes its msg and ref rows and finds new parents for its
 * children. */
int index_msg_remove(struct index *ix, int64_t id, struct qu_err *err);
/* Brings the thread table's rows of the threads touched since the last
 * call up to date (count, last date, root and its subject). */
int index_thread_flush(struct index *ix, struct qu_err *err);

#endif
