/*
 * store: local mail on disk.
 *
 * Maildir delivery (tmp/ -> write -> fsync -> rename into new/ or cur/ ->
 * fsync the directory), Maildir iteration and flags, a zero-copy mbox
 * reader (RFC 4155, mboxo and mboxrd quoting), read-only file mapping, and
 * the append-only journals that hold fetch state in DIR/.quail/ (SPEC §5).
 *
 * Depends on util and the C library only. It must not include any other
 * quail module (POP3 and IMAP hand bytes to a sink that app/ wires to a
 * maildir_delivery), and it never prints: every failure is a struct qu_err.
 *
 * Mail data is (const char *p, size_t len), never NUL-terminated text.
 */
#ifndef QUAIL_STORE_STORE_H
#define QUAIL_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

/* ---- what is at a path ----------------------------------------------- */

enum store_kind {
	STORE_KIND_MISSING, /* nothing there (or stat failed) */
	STORE_KIND_MAILDIR, /* a directory with cur/ or new/ */
	STORE_KIND_MBOX,    /* a regular file (possibly empty) */
	STORE_KIND_OTHER,   /* a directory without cur/ and new/, a device, ... */
};

/* Classifies path (symbolic links are followed). Never fails; a path that
 * cannot be examined is STORE_KIND_MISSING. */
enum store_kind store_kind(const char *path);
/* A stable lowercase name ("maildir", "mbox", ...). */
const char *store_kind_name(enum store_kind kind);

/* ---- read-only file mapping ------------------------------------------ */

/* A whole file mapped read-only. p and len are the caller's to read; the
 * other fields are private. An empty file gives len 0 and p pointing to a
 * static empty string (no mmap). Embedded: filled by store_map_file,
 * released by store_unmap. */
struct store_map {
	const char *p;
	size_t len;
	void *base_; /* the mmap'ed region, NULL when len is 0 */
};

/* Maps the regular file at path read-only (MAP_PRIVATE). The file is
 * opened, mapped and closed again, so no descriptor stays open.
 * Returns 0, or -1 with:
 *   QU_E_NOINPUT  the file is missing, unreadable, or not a regular file;
 *   QU_E_IOERR    fstat or mmap failed.
 * On failure *map is left empty (store_unmap on it is harmless).
 * The bytes stay valid until store_unmap. A file truncated by another
 * process while mapped makes reads past its new end raise SIGBUS: quail
 * reads mail it owns and accepts that risk. */
int store_map_file(const char *path, struct store_map *map, struct qu_err *err);
/* Opens path for reading only if it is a regular file: a FIFO, device or
 * directory (in a Maildir, or named by the user) would block a reader or
 * be read as garbage. The open itself never waits (O_NONBLOCK, cleared
 * once the file is known regular). Returns the descriptor (O_CLOEXEC), or
 * -1 with QU_E_NOINPUT (missing, not regular) or QU_E_IOERR. */
int store_open_regular(const char *path, struct qu_err *err);
/* Releases the mapping and empties *map. Safe on an empty or already
 * released map. */
void store_unmap(struct store_map *map);

/* ---- Maildir --------------------------------------------------------- */

/* Maildir flags from the ":2," info of a file name, one bit per letter. */
enum maildir_flag {
	MAILDIR_FLAG_DRAFT = 1u << 0,   /* D */
	MAILDIR_FLAG_FLAGGED = 1u << 1, /* F */
	MAILDIR_FLAG_PASSED = 1u << 2,  /* P */
	MAILDIR_FLAG_REPLIED = 1u << 3, /* R */
	MAILDIR_FLAG_SEEN = 1u << 4,    /* S */
	MAILDIR_FLAG_TRASHED = 1u << 5, /* T */
};

/* An open Maildir: a path and the state needed to make unique names. */
struct maildir;

/* Opens the Maildir at path.
 * create true: makes path (like mkdir -p) and path/tmp, path/new, path/cur
 *   with mode 0700 where missing, and fsyncs the directories it created
 *   into. Errors: QU_E_IOERR (the path and strerror).
 * create false: path must be a directory with cur/ or new/ (tmp/ is only
 *   needed for delivery). Errors: QU_E_NOINPUT when it is missing or not a
 *   Maildir.
 * Returns an owned object to release with maildir_free, or NULL. */
struct maildir *maildir_open(const char *path, bool create, struct qu_err *err);
/* Releases md; NULL is a no-op. Deliveries and iterators made from md must
 * be finished first. */
void maildir_free(struct maildir *md);
/* The path given to maildir_open; valid until maildir_free. */
const char *maildir_path(const struct maildir *md);

/* One message being delivered. Lifetime: from maildir_delivery_begin until
 * exactly one of maildir_delivery_commit or maildir_delivery_abort, both of
 * which release it. md must outlive it. */
struct maildir_delivery;

/* Creates a new file in tmp/ (O_CREAT|O_EXCL, mode 0600) named by the
 * Maildir convention "SECONDS.M<usec>P<pid>Q<counter>.<host>", where host
 * is gethostname() with '/' written as \057 and ':' as \072.
 * Returns an owned delivery, or NULL with QU_E_IOERR. */
struct maildir_delivery *maildir_delivery_begin(struct maildir *md, struct qu_err *err);
/* Appends n bytes of the message, exactly as given (no line-end or
 * "From " changes). Writes are buffered; everything is on disk by the time
 * commit returns 0. Returns 0, or -1 with QU_E_IOERR (the tmp path and
 * strerror, e.g. "No space left on device"). After a failure the only
 * valid call is maildir_delivery_abort. */
int maildir_delivery_write(struct maildir_delivery *d, const void *p, size_t n,
	struct qu_err *err);
/* Finishes the delivery: flushes, fsyncs and closes the tmp file, renames
 * it (never over an existing name) into new/ as "NAME,S=<size>", or into
 * cur/ as "NAME,S=<size>:2,FLAGS" when flags is non-empty or seen is true,
 * then fsyncs that directory. So nothing shows in new/ or cur/ that is not
 * complete and on disk.
 *   flags   NULL or letters from "DFPRST" in any order, repeats allowed;
 *           the name gets them sorted and once each.
 *   seen    adds 'S'.
 *   out_name  NULL, or receives an owned string (free()) with the name
 *           relative to the Maildir, "new/..." or "cur/...".
 * Releases d whatever the result; on failure the tmp file is removed.
 * Returns 0, or -1 with:
 *   QU_E_IOERR     write, fsync, close, rename or directory fsync failed.
 *                  If only the final directory fsync failed, the complete
 *                  file is already in place under its new name;
 *   QU_E_SOFTWARE  flags has a letter outside "DFPRST", or d had failed. */
int maildir_delivery_commit(struct maildir_delivery *d, const char *flags, bool seen,
	char **out_name, struct qu_err *err);
/* Removes the tmp file and releases d. NULL is a no-op. Never fails (an
 * unlink error leaves a stale tmp file for maildir_clean_tmp). */
void maildir_delivery_abort(struct maildir_delivery *d);
/* Bytes accepted by maildir_delivery_write so far. */
uint64_t maildir_delivery_size(const struct maildir_delivery *d);
/* Compares the bytes written so far with the file at path (for "already
 * stored?" checks before commit; pick candidates by maildir_name_size).
 * Flushes the write buffer first. Returns 1 when they are identical, 0
 * when not (or path is gone), -1 with QU_E_IOERR when the delivery cannot
 * be flushed or read, QU_E_NOINPUT when path cannot be read. */
int maildir_delivery_matches(struct maildir_delivery *d, const char *path, struct qu_err *err);

/* Delivers a whole message held in memory: begin, write, commit. Same
 * parameters, result and errors as those calls. */
int maildir_deliver(struct maildir *md, const char *p, size_t len, const char *flags, bool seen,
	char **out_name, struct qu_err *err);

/* Many messages delivered with one sync: each is written under tmp/ when
 * added, and commit fsyncs the files, renames them into new/ or cur/ (as
 * maildir_delivery_commit names them) and fsyncs those directories once.
 * So nothing shows that is not complete, and a copy is known durable
 * before a caller removes its source. Lifetime: maildir_batch_new to
 * maildir_batch_free; md must outlive it. Each added message holds an open
 * file until commit: keep batches to a few hundred. */
struct maildir_batch;
struct maildir_batch *maildir_batch_new(struct maildir *md);
/* Removes the tmp files of messages not committed; NULL is a no-op. */
void maildir_batch_free(struct maildir_batch *b);
/* Writes one message into tmp/ with flags (NULL or letters of "DFPRST"),
 * not yet synced or visible. Returns 0, or -1 with QU_E_IOERR, or
 * QU_E_SOFTWARE for a bad flag letter (the batch keeps its other messages). */
int maildir_batch_add(struct maildir_batch *b, const char *p, size_t len, const char *flags,
	struct qu_err *err);
/* Adds a message written through maildir_delivery_begin and _write (one
 * streamed from the network, say), not yet committed: the batch takes d
 * over whatever the result (on failure it is aborted). flags as
 * maildir_batch_add. Returns 0, or -1 with QU_E_IOERR or QU_E_SOFTWARE. */
int maildir_batch_add_delivery(struct maildir_batch *b, struct maildir_delivery *d,
	const char *flags, struct qu_err *err);
/* Messages and bytes added since the last commit. */
size_t maildir_batch_count(const struct maildir_batch *b);
uint64_t maildir_batch_bytes(const struct maildir_batch *b);
/* Makes the added messages durable and visible, in the order added, and
 * empties the batch. *placed: how many, from the first, are in place and
 * durable (all on success). Returns 0, or -1 with QU_E_IOERR: a file
 * fsync failure places none; a rename failure places those before it; a
 * directory fsync failure counts none as durable (they may show). */
int maildir_batch_commit(struct maildir_batch *b, size_t *placed, struct qu_err *err);
/* maildir_batch_commit, also naming the messages: names holds at least
 * maildir_batch_count entries; names[i] receives the owned name relative
 * to the Maildir ("new/..." or "cur/...") of the i-th message added, or
 * NULL when it was not renamed into place. A name is set also when a
 * directory fsync failed (the file may show, not known durable): the
 * caller frees every entry. */
int maildir_batch_commit_names(struct maildir_batch *b, size_t *placed, char **names,
	struct qu_err *err);

/* Removes regular files in tmp/ last modified more than max_age_seconds
 * ago (a killed process leaves them; the Maildir convention suggests 36
 * hours). Returns the number removed, or -1 with QU_E_IOERR when tmp/
 * cannot be read, QU_E_CANCELED once cancel (may be NULL) fires: it is
 * looked at before every file, so a tmp/ of many thousand files does not
 * hold up a stop. A file that cannot be removed is skipped. */
long maildir_clean_tmp(struct maildir *md, long max_age_seconds, const struct qu_cancel *cancel,
	struct qu_err *err);

/* The flags in a Maildir file name (base name, "...:2,FRS"); 0 when it has
 * no ":2," info. Letters outside "DFPRST" (e.g. Dovecot keywords a-z) are
 * ignored. */
unsigned maildir_flags_parse(const char *name);
/* Writes the letters for flags into out in ASCII order, NUL-terminated
 * (at most 6 letters). Returns out. */
char *maildir_flags_format(unsigned flags, char out[static 7]);
/* The size from a ",S=<size>" field before the ":2," info. Returns true
 * and sets *size when there is one. */
bool maildir_name_size(const char *name, uint64_t *size);

/* Sets the flags of one message: renames relpath ("new/NAME" or
 * "cur/NAME:2,...", relative to md) to "cur/NAME:2,FLAGS" (a message that
 * has been looked at belongs in cur/). Letters outside "DFPRST" in the old
 * info (keywords) are kept. The rename is made durable (cur/ fsynced)
 * unless opts has MAILDIR_NOSYNC: a caller renaming many then calls
 * maildir_sync once. new_relpath: NULL or receives an owned string with
 * the new relative name. Refuses to replace an existing file. Returns 0,
 * or -1 with QU_E_NOINPUT (relpath missing), QU_E_IOERR (rename failed or
 * the target exists), QU_E_SOFTWARE (relpath not under new/ or cur/). */
enum { MAILDIR_NOSYNC = 1u << 0 };
int maildir_set_flags(struct maildir *md, const char *relpath, unsigned flags, unsigned opts,
	char **new_relpath, struct qu_err *err);
/* Makes renames within new/ and cur/ durable (fsyncs both). QU_E_IOERR. */
int maildir_sync(struct maildir *md, struct qu_err *err);

/* One message seen by the iterator. Borrowed: valid until the next
 * maildir_iter_next or maildir_iter_free. */
struct maildir_entry {
	const char *path;  /* "<maildir>/cur/NAME" or "<maildir>/new/NAME" */
	const char *name;  /* the base name, a suffix of path */
	bool is_new;       /* in new/ (not yet seen by any reader) */
	unsigned flags;    /* enum maildir_flag bits from the ":2," info */
};

/* Iterates the messages of cur/ and new/ (not tmp/, not subfolders: a
 * Maildir++ ".Folder" is a Maildir of its own). Dot files are skipped.
 * Order is by name, with the leading decimal run (the delivery time)
 * compared as a number, so messages come in delivery order and the order
 * is stable across runs. Only names are held (memory grows with the number
 * of messages, never their size); reading a message is separate
 * (store_map_file). */
struct maildir_iter;

/* Lists cur/ and new/. A missing cur/ or new/ counts as empty.
 * Returns an owned iterator (maildir_iter_free), or NULL with QU_E_IOERR
 * when a directory cannot be read. md must outlive it. */
struct maildir_iter *maildir_iter_new(struct maildir *md, struct qu_err *err);
/* Fills *e with the next message. Returns true, or false at the end. */
bool maildir_iter_next(struct maildir_iter *it, struct maildir_entry *e);
/* Number of messages listed. */
size_t maildir_iter_count(const struct maildir_iter *it);
/* Entries of new/ and cur/ left out because they are not files (a FIFO,
 * a socket, a device, a directory), for a warning. */
size_t maildir_iter_skipped(const struct maildir_iter *it);
/* NULL is a no-op. */
void maildir_iter_free(struct maildir_iter *it);

/* ---- mbox (RFC 4155) ------------------------------------------------- */

/* How "From " lines inside messages were quoted when the mbox was written.
 *   MBOXO:  "From " became ">From "; undoing it turns ^>From  into ^From
 *           (">>From " stays; mboxo cannot tell it from a quoted line).
 *   MBOXRD: every ^>*From  got one more '>'; undoing it removes one '>'
 *           from each line matching ^>+From . */
enum mbox_format {
	MBOX_FORMAT_MBOXO,
	MBOX_FORMAT_MBOXRD,
};

const char *mbox_format_name(enum mbox_format format);

/* One message. Borrowed: p and from point into the mapped file (or the
 * caller's buffer for mbox_open_mem) and stay valid until mbox_free. */
struct mbox_msg {
	const char *from;  /* the whole From_ line ("From ..."), without its
	                    * line end; from_len 0 for a preamble (mbox_open) */
	size_t from_len;
	const char *p;     /* the message, still quoted (see mbox_unquote) */
	size_t len;
	uint64_t offset;   /* byte offset of the From_ line in the file */
	size_t index;      /* 0, 1, 2, ... */
};

/* An mbox being read, one message at a time. */
struct mbox;

/* Maps the mbox at path (store_map_file) and returns an iterator over it.
 * Errors: as store_map_file (QU_E_NOINPUT, QU_E_IOERR). Owned: mbox_free.
 *
 * How messages are split (RFC 4155 leaves it to the reader; this is the
 * conventional rule, and a deliberate choice):
 * - A message starts at a line beginning "From " (case-sensitive) at
 *   offset 0 or directly after an empty line ("\n" or "\r\n").
 * - A "From " line NOT preceded by an empty line is body text: it is kept
 *   in the message as is and nothing is recorded about it.
 * - A message's bytes exclude its From_ line and the one empty line before
 *   the next From_ line. The last message also loses one trailing empty
 *   line if the file ends with one. A file without a final newline keeps
 *   its last line as is.
 * - Bytes before the first From_ line that are not only line ends are
 *   yielded as a message with from_len 0, so a lone RFC 5322 file reads
 *   as a one-message mbox. An empty file has no messages.
 * - CRLF files work the same way: "\r\n" ends lines, the From_ line is
 *   given without its "\r", message bytes keep their CRLFs.
 * Nothing is indexed: memory does not grow with the mailbox. */
struct mbox *mbox_open(const char *path, struct qu_err *err);
/* The same over bytes the caller owns (borrowed until mbox_free); for
 * tests, fuzzing and stdin. Never fails. */
struct mbox *mbox_open_mem(const char *p, size_t len);
/* Fills *m with the next message. Returns true, or false at the end. */
bool mbox_next(struct mbox *mb, struct mbox_msg *m);
/* Unmaps (when mapped) and releases mb; NULL is a no-op. */
void mbox_free(struct mbox *mb);

/* Undoes From-quoting in one message (p, n from mbox_next).
 * Returns 0 when no line is quoted: the message is usable as is and out is
 * untouched (the zero-copy case). Returns 1 when out was reset and now
 * holds the unquoted message. Returns -1 when out's cap was reached (out
 * then holds a partial copy). */
int mbox_unquote(const char *p, size_t n, enum mbox_format format, struct qu_buf *out);

/* ---- private state directories ---------------------------------------- */

/* Makes path (and missing parents, 0700) when missing; when it exists, checks
 * that it is a directory itself (not a symbolic link), owned by the
 * effective user and not writable by group or others, since the files in
 * it are trusted (fetch state, the outbox). Returns 0, or -1 with
 * QU_E_IOERR (cannot make or inspect it) or QU_E_CONFIG (unsafe: the
 * message says why). */
int store_private_dir(const char *path, struct qu_err *err);

/* ---- fetch-state journals in DIR/.quail/ ----------------------------- */

/* An append-only file of lines, DIR/.quail/NAME. Lines are opaque bytes
 * (the POP3/IMAP layers choose the format) and may not contain '\n'.
 * A crash can leave a final partial line; it is never reported by
 * store_journal_read and is cut off by store_journal_open. */
struct store_journal;

/* One line for store_journal_compact (no '\n'). */
struct store_line {
	const char *p;
	size_t len;
};

/* Opens DIR/.quail/NAME for appending, creating DIR (mkdir -p) and
 * DIR/.quail (0700) and the file (0600) as needed, and fsyncing the
 * directories it adds entries to. A trailing partial line is truncated
 * away so the next append starts on a line of its own.
 * name must be a plain file name (no '/', not starting with '.').
 * DIR/.quail must pass store_private_dir, and neither it nor the file
 * may be a symbolic link.
 * Returns an owned journal (store_journal_free), or NULL with QU_E_IOERR,
 * QU_E_CONFIG (store_private_dir), or QU_E_SOFTWARE for a bad name. */
struct store_journal *store_journal_open(const char *dir, const char *name, struct qu_err *err);
/* Appends line (len bytes) and a '\n', and returns only once they are on
 * disk (fdatasync). On a write error the file is cut back to its previous
 * length, so it never keeps half a line that a later append would extend.
 * Returns 0, or -1 with QU_E_IOERR, or QU_E_SOFTWARE when line contains
 * '\n'. */
int store_journal_append(struct store_journal *j, const char *line, size_t len,
	struct qu_err *err);
/* Closes the journal; NULL is a no-op. */
void store_journal_free(struct store_journal *j);

/* Calls fn for each complete line of DIR/.quail/NAME in order (line
 * without its '\n', borrowed for the call). A missing directory or file is
 * an empty journal. Stops when fn returns -1 (it sets err) and returns -1.
 * Returns 0, or -1 with QU_E_IOERR when the file exists but cannot be
 * read (or is a symbolic link), QU_E_CONFIG when DIR/.quail fails
 * store_private_dir, QU_E_SOFTWARE for a bad name, or what fn set. */
int store_journal_read(const char *dir, const char *name,
	int (*fn)(void *ctx, const char *line, size_t len, struct qu_err *err), void *ctx,
	struct qu_err *err);
/* Replaces DIR/.quail/NAME with exactly the n given lines: writes a
 * temporary file beside it (created anew: O_EXCL, never through a link),
 * fsyncs it, renames it over NAME and fsyncs the directory, so a crash leaves either the old or the new journal. Close
 * any store_journal open on NAME first (it would keep appending to the
 * replaced file) and reopen it after. Returns 0, or -1 with QU_E_IOERR, or
 * QU_E_SOFTWARE for a bad name or a line containing '\n'. */
int store_journal_compact(const char *dir, const char *name, const struct store_line *lines,
	size_t n, struct qu_err *err);

/* mkdir -p: makes path and every missing parent with mode, fsyncing each
 * parent that gains an entry; an existing directory is fine. Returns 0, or
 * -1 with QU_E_IOERR. */
int store_mkdir_p(const char *path, mode_t mode, struct qu_err *err);

#endif
