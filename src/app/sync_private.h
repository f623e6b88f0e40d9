/* Internals of `quail sync` (SPEC §10): the merge rules as pure functions
 * (sync_merge.c) and the per-folder state (sync_state.c), used by sync.c
 * and by the unit tests; nothing outside src/app and tests includes this. */
#ifndef QUAIL_APP_SYNC_PRIVATE_H
#define QUAIL_APP_SYNC_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* ---- flags (sync_merge.c) ---------------------------------------------- */

/* The flags sync carries, as enum maildir_flag bits: D F P R S. T (trashed)
 * is not a flag here: a local T asks for the message to be deleted. */
unsigned app_sync_flag_mask(void);
/* IMAP_FLAG_* to Maildir bits and back (\Seen S, \Answered R, \Flagged F,
 * \Draft D, $Forwarded P); other flags are left out. */
unsigned app_sync_flags_from_imap(unsigned imap);
unsigned app_sync_flags_to_imap(unsigned md);

/* The flag merge of one message known to both sides. Per flag: the side
 * that changed it since the last sync wins; when both changed it they
 * changed it the same way (a flag has two values), so there is never a
 * conflict to decide. With no last sync (known false: a message paired by
 * content) nothing is taken away: each side gets the union. */
struct app_sync_flags {
	unsigned result;     /* the flags both sides should have */
	unsigned server_add; /* to +FLAGS on the server */
	unsigned server_del; /* to -FLAGS on the server */
	bool local_change;   /* the Maildir file must be renamed to result */
};
void app_sync_merge_flags(bool known, unsigned last, unsigned local, unsigned server,
			  struct app_sync_flags *out);

/* What happens to one message. */
enum app_sync_act {
	APP_SYNC_KEEP,          /* on both sides: merge flags */
	APP_SYNC_DOWNLOAD,      /* only on the server, never synced: store it here */
	APP_SYNC_UPLOAD,        /* only here, never synced: APPEND it */
	APP_SYNC_DELETE_SERVER, /* deleted here since the last sync */
	APP_SYNC_DELETE_LOCAL,  /* expunged on the server since the last sync */
	APP_SYNC_FORGET,        /* gone on both sides: drop from the state */
	APP_SYNC_MOVE,          /* moved here into another synced folder */
	APP_SYNC_SKIP,          /* nothing to do now (kept on the side it is) */
};
const char *app_sync_act_name(enum app_sync_act a);

struct app_sync_case {
	bool synced;      /* in this folder's state (a last sync saw it on both sides) */
	bool trusted;     /* the state is sound: deletions may be carried over */
	bool local;       /* the Maildir holds it */
	bool local_trash; /* ... with T in its name */
	bool moved;       /* its file went into another synced folder */
	bool server;      /* the server holds it */
};
/* The decision table. Without trust, nothing is ever deleted: a message
 * on one side only is copied to the other. */
enum app_sync_act app_sync_decide(const struct app_sync_case *c);

/* ---- UID sets (sync_merge.c) ------------------------------------------- */

/* A UID range lo..hi (lo <= hi). */
struct app_sync_range {
	uint32_t lo, hi;
};
/* Parses a UID set as VANISHED sends it ("3:5,9", RFC 7162 §3.2.10;
 * RFC 3501 sequence-set without '*'): *v gets a new array of *n ranges.
 * Returns 0, or -1 (nothing in *v) when it is not one. */
int app_sync_uidset_parse(const char *s, struct app_sync_range **v, size_t *n);
/* True when uid is in one of the n ranges. */
bool app_sync_in_ranges(const struct app_sync_range *v, size_t n, uint32_t uid);

/* The Message-ID of a message (its header's first Message-ID field,
 * unfolded, blanks trimmed) when it is a plain "<...>" of printable ASCII
 * without quotes or backslashes, at most 250 bytes: fit to be sent as an
 * IMAP quoted string. New string, or NULL. */
char *app_sync_message_id(const char *p, size_t n);

/* ---- names (sync_state.c) --------------------------------------------- */

/* "sync-" and the folder name with every byte outside [A-Za-z0-9_-] as
 * %XX: a plain file name for any folder (spaces, quotes, '%', '/',
 * non-ASCII, a trailing dot). New string. */
char *app_sync_state_name(const char *folder, size_t n);

/* ---- per-folder state (sync_state.c) ----------------------------------- */

struct app_sync_entry {
	uint32_t uid;
	unsigned flags; /* both sides' flags at the last sync (Maildir bits) */
	char *name;     /* the Maildir unique name (before ":2,") */
	bool seen;      /* matched in this run */
};

/* DIR/.quail/sync-<folder>: an append-only journal of
 *     quail-sync 1                 the header (first line)
 *     V <uidvalidity>              the epoch: the entries below belong to it
 *     S <uidnext> <modseq>         a run finished at that point
 *     M <uid> <flags> <name>       <uid> is the local <name>, both with <flags>
 *     X <uid>                      <uid> is gone on both sides
 * one append per step or batch of steps (several steps in one line are
 * separated by tabs); compacted to the live entries at the end of a run. */
/* A state file as lstat(2) saw it (ok: it exists and is a regular file). */
struct app_sync_file_id {
	bool ok;
	uint64_t dev, ino, size, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

struct app_sync_state {
	bool trusted;      /* read whole, with its header and an epoch */
	struct app_sync_file_id id; /* the file read, when it did not change meanwhile */
	uint32_t uidvalidity, uidnext;
	uint64_t modseq;
	struct app_sync_entry *v; /* sorted by uid after load */
	size_t n, cap;
};

/* Reads DIR/.quail/NAME. A missing, damaged or unknown-version file gives
 * an untrusted, empty state; only I/O errors fail (IOERR). */
int app_sync_state_load(const char *dir, const char *name, struct app_sync_state *st,
			struct qu_err *err);
void app_sync_state_clear(struct app_sync_state *st);
/* The entry of uid, or NULL. */
struct app_sync_entry *app_sync_state_find(struct app_sync_state *st, uint32_t uid);
/* Sets (adds or replaces) uid's entry. */
void app_sync_state_set(struct app_sync_state *st, uint32_t uid, unsigned flags, const char *name,
			size_t name_len);
/* Drops uid's entry. */
void app_sync_state_drop(struct app_sync_state *st, uint32_t uid);
/* One M line ("M uid flags name") appended to b. */
void app_sync_line_m(struct qu_buf *b, uint32_t uid, unsigned flags, const char *name,
		     size_t name_len);
/* Parses one journal line into st. Returns 0, or -1 when it is damaged. */
int app_sync_state_line(struct app_sync_state *st, const char *line, size_t len);
/* Replaces the file with st's live entries (store_journal_compact: temp
 * file, fsync, rename). */
int app_sync_state_save(const char *dir, const char *name, const struct app_sync_state *st,
			struct qu_err *err);


/* ---- the Maildir's directories (sync_state.c) -------------------------- */

/* cur/ and new/ of a folder's Maildir as stat(2) saw them. Every file
 * added to, renamed within or out of, or removed from a directory sets its
 * ctime (and ctime, unlike mtime, cannot be set back by utimensat), so
 * equal values mean the same entries, unless two changes fall within one
 * tick of the file system's clock: see app_sync_dirs_settled. */
struct app_sync_dirs {
	bool ok; /* both exist and are directories */
	uint64_t dev[2], ino[2], sec[2], nsec[2]; /* [0] cur/, [1] new/ */
};
void app_sync_dirs_stat(const char *path, struct app_sync_dirs *d);
bool app_sync_dirs_same(const struct app_sync_dirs *a, const struct app_sync_dirs *b);
/* True when both ctimes are older than now_sec by more than the coarsest
 * clock tick of common file systems (2 s, FAT): a change made after a
 * listing that started at now_sec then gets a later ctime. */
bool app_sync_dirs_settled(const struct app_sync_dirs *d, int64_t now_sec);

/* DIR/.quail/<state name>.dirs: "the Maildir held exactly the files of
 * this state while its cur/ and new/ were d". The state is named by its
 * epoch, UIDNEXT, HIGHESTMODSEQ, entry count and a checksum of its
 * entries, so a record of another state never matches. A cache: a missing
 * or damaged one only makes the next run list the Maildir. */
struct app_sync_dirs_rec {
	uint32_t uidvalidity, uidnext;
	uint64_t modseq, n, sum;
	struct app_sync_dirs d;
};
void app_sync_dirs_rec_of(const struct app_sync_state *st, const struct app_sync_dirs *d,
			  struct app_sync_dirs_rec *r);
bool app_sync_dirs_rec_same(const struct app_sync_dirs_rec *a, const struct app_sync_dirs_rec *b);
/* The record's line and back; parse returns 0, or -1 when it is damaged. */
void app_sync_dirs_format(struct qu_buf *b, const struct app_sync_dirs_rec *r);
int app_sync_dirs_parse(const char *line, size_t len, struct app_sync_dirs_rec *r);
/* Reads the record of state file sname: 1 with *r, 0 when there is none
 * (or it is damaged), -1 on an I/O error. */
int app_sync_dirs_load(const char *dir, const char *sname, struct app_sync_dirs_rec *r,
		       struct qu_err *err);
int app_sync_dirs_save(const char *dir, const char *sname, const struct app_sync_dirs_rec *r,
		       struct qu_err *err);


/* ---- the summary of a state file (sync_state.c) ------------------------ */

/* DIR/.quail/<state name>.sum: a state file's epoch, UIDNEXT,
 * HIGHESTMODSEQ, entry count and checksum (as in the record of the
 * directories) with the identity of the file they were read from. With
 * the record of the directories and the server's STATUS it tells a
 * folder where nothing changed without reading its entries (a no-change
 * run of a large account would spend most of its time on them). A cache:
 * it is only ever used to skip a folder with nothing to do; a missing,
 * damaged or stale one (the state file was appended to or replaced since)
 * means the whole state is read. */
struct app_sync_summary {
	uint32_t uidvalidity, uidnext;
	uint64_t modseq, n, sum;
	struct app_sync_file_id id;
};
void app_sync_summary_format(struct qu_buf *b, const struct app_sync_summary *s);
/* Returns 0, or -1 when the line is damaged. */
int app_sync_summary_parse(const char *line, size_t len, struct app_sync_summary *s);
/* 1 with *s when the summary is sound and of the state file as it is now,
 * 0 when not (or there is none), -1 on an I/O error. */
int app_sync_summary_load(const char *dir, const char *sname, struct app_sync_summary *s,
			  struct qu_err *err);
/* Writes the summary of st, just saved as sname (app_sync_state_save does
 * this itself). Returns 0, or -1 (then no summary is left). */
int app_sync_summary_save(const char *dir, const char *sname, const struct app_sync_state *st,
			  struct qu_err *err);
/* Writes the summary of st as app_sync_state_load read it, if the file is
 * still as it was then (a state of an earlier version without one). */
int app_sync_summary_save_loaded(const char *dir, const char *sname,
				 const struct app_sync_state *st, struct qu_err *err);


/* ---- a run (sync.c, sync_folder.c) ------------------------------------ */

struct maildir;
struct store_journal;
struct app_imap;
struct app_sync_opts;
struct app_sync_result;

/* One file of a folder's Maildir. */
struct app_sync_file {
	char *rel;        /* "cur/NAME:2,FS" or "new/NAME", relative to the folder */
	const char *base; /* the unique name: a prefix of rel's last component */
	size_t base_len;
	unsigned flags;   /* enum maildir_flag bits */
	bool claimed;     /* known to the state, moved, or paired in this run */
	bool move_in;     /* moved here from another synced folder: MOVE, not APPEND */
	bool hashed;
	unsigned char hash[32]; /* SHA-256 of the bytes without CRs */
};

/* One folder pair. */
struct app_sync_folder {
	char *name;       /* UTF-8 */
	size_t name_len;
	char *wire;       /* as the server names it */
	size_t wire_len;
	char *path;       /* DIR/<relpath> */
	char *sname;      /* the state file's name */
	bool on_server, on_local;
	struct app_sync_state st;
	struct app_sync_file *files; /* sorted by unique name */
	size_t n_files;
	const char **names; /* the state's unique names, sorted (moves) */
	size_t n_names;
	/* files holds the Maildir's listing; false when the record of
	 * DIR/.quail/<sname>.dirs showed it unchanged since the state (the
	 * listing is then made only if the server side changed) */
	bool listed;
	struct app_sync_dirs d0; /* cur/ and new/ just before the listing */
	bool d0_settled;         /* app_sync_dirs_settled at the listing */
	bool has_rec;            /* rec was read */
	struct app_sync_dirs_rec rec;
	/* The server's STATUS taken at the start of the run, for all folders
	 * in one flight (LIST-STATUS, RFC 5819, or pipelined STATUS), so an
	 * unchanged folder costs no round trip of its own; srv_known is
	 * dropped when this run changes the folder on the server. */
	bool srv_known;
	uint32_t srv_uidvalidity, srv_uidnext, srv_messages;
	uint64_t srv_modseq;
	/* st holds the header only (trusted, epoch, UIDNEXT, HIGHESTMODSEQ),
	 * from the summary, and summary_n is its entry count: the Maildir is
	 * as the record says. sync.c reads the whole state before the folder
	 * is synced unless STATUS shows it unchanged on the server too. */
	bool summary_only;
	uint64_t summary_n;
};

struct app_sync_run {
	const struct app_sync_opts *o;
	const struct app_net *net;
	struct app_sync_result *r;
	const char *dir;
	struct app_imap *c;
	struct app_sync_folder *v;
	size_t n;
	struct store_journal *j; /* the journal of the folder being synced */
	struct qu_buf pend;      /* its steps not yet appended */
	size_t n_pend;
	bool journaled;          /* steps were appended to it */
};

/* True when f's Maildir holds exactly what its state says: every file
 * known, with the flags of the last sync, none missing, none trashed. */
bool app_sync_local_unchanged(const struct app_sync_folder *f);
/* 1 when the server's f is as its state left it (STATUS: UIDVALIDITY,
 * UIDNEXT, HIGHESTMODSEQ, MESSAGES; RFC 7162 §3.1.6), 0 when it changed or
 * cannot tell (no CONDSTORE), -1 on error (sync_folder.c). */
int app_sync_server_unchanged(struct app_sync_run *run, const struct app_sync_folder *f,
			      struct qu_err *err);
/* Fills f's srv_* from a STATUS or LIST-STATUS answer (sync.c). */
struct imap_mailbox_status;
void app_sync_status_keep(struct app_sync_folder *f, const struct imap_mailbox_status *st);
/* Lists f's Maildir into f->files (sync.c). */
int app_sync_folder_list(struct app_sync_folder *f, struct qu_err *err);
/* Finds the files moved between synced folders, before any is synced
 * (sync_folder.c). */
void app_sync_find_moves(struct app_sync_run *run);
/* Puts INBOX (if among the n folders of v) first, the others in their
 * order: on a first sync the newest mail of the folder most read lands
 * within seconds (SPEC §10), not after the other folders (sync_folder.c). */
void app_sync_inbox_first(struct app_sync_folder *v, size_t n);
/* Syncs v[i] (sync_folder.c). */
int app_sync_folder_run(struct app_sync_run *run, size_t i, struct qu_err *err);
/* The file of f with unique name (base, n), or NULL. */
struct app_sync_file *app_sync_file_find(struct app_sync_folder *f, const char *base, size_t n);
/* True when the state of f names (base, n). */
bool app_sync_state_has_name(const struct app_sync_folder *f, const char *base, size_t n);
/* Reports one change through o->note (printf-style). */
void app_sync_note(struct app_sync_run *run, const char *fmt, ...) QU_PRINTF(2, 3);

#endif
