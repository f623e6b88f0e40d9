/*
 * Internals of the local-mail use cases (mailbox.c, check.c, parse.c,
 * scan.c, extract.c); nothing outside src/app includes this.
 */
#ifndef QUAIL_APP_MAIL_PRIVATE_H
#define QUAIL_APP_MAIL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"
#include "mime/mime.h"
#include "store/store.h"
#include "app/app.h"

/* Caps of what one message may grow into while it is read. */
#define APP_TEXT_MAX ((size_t)1 << 30)

struct app_reader {
	struct mime_charset_cache cache;
	struct qu_buf scratch; /* transfer-decoded content */
	struct qu_buf text;    /* converted text */
	struct qu_buf msg;     /* a message read from a file, or unquoted */
};

enum app_source_kind {
	APP_SOURCE_MAILDIR,
	APP_SOURCE_MBOX,
	APP_SOURCE_ONE, /* one message: a file or stdin */
};

/* A mailbox being read, one message at a time. */
struct app_source {
	enum app_source_kind kind;
	struct maildir *md;
	struct maildir_iter *it;
	struct store_map map;  /* the mbox or single file */
	struct qu_buf in;      /* stdin */
	const char *p;         /* the mbox or single message bytes */
	size_t n;
	struct mbox *mb;
	size_t released;       /* mbox bytes before this were given back */
	size_t frontier;       /* end of the last message handed out */
	size_t index;
	bool done;
	char *path;
};

/* One message of a source. Maildir: path is set (borrowed until the next
 * call), the bytes are to be read. mbox and single messages: p, n (mbox:
 * still From-quoted when quoted is true). */
struct app_source_item {
	const char *path;
	const char *p;
	size_t n;
	size_t start;          /* offset in the source's bytes */
	size_t index;
	bool quoted;
};

/* Opens path ("-": stdin) as app_mailbox_each describes. Errors: NOINPUT,
 * IOERR. */
int app_source_open(const char *path, struct app_source *s, struct qu_err *err);
bool app_source_next(struct app_source *s, struct app_source_item *item);
/* Gives back the pages of mbox bytes before offset upto (done with). */
void app_source_release(struct app_source *s, size_t upto);
/* Gives back the whole pages inside [start, end) of an mbox (done with,
 * while the bytes around may still be read by another worker). Returns
 * where that stopped (end rounded down to a page), start when nothing
 * was given back. */
size_t app_source_release_range(struct app_source *s, size_t start, size_t end);
void app_source_close(struct app_source *s);

/* The message bytes of an item: a Maildir file read into r->msg, an mbox
 * message unquoted into r->msg when needed, else the item's bytes.
 * Returns 0, or -1 with NOINPUT or IOERR (a Maildir file). */
int app_item_bytes(struct app_reader *r, const struct app_source_item *item, const char **p,
		   size_t *n, struct qu_err *err);

/* True when the Maildir file of an item that could not be read no longer
 * exists (another reader moved it from new/ to cur/ since the listing) or
 * is not a regular file (a FIFO would block the reader): it is skipped
 * rather than an error. */
bool app_item_gone(const struct app_source_item *item);

/* Reads at most max bytes of the file at path into b (reset first);
 * *whole tells whether that was all of it. Errors: NOINPUT, IOERR. */
int app_read_file(const char *path, struct qu_buf *b, size_t max, bool *whole,
		  struct qu_err *err);

/* Makes a new file dir/name (O_EXCL, O_NOFOLLOW), or "stem (N).ext" when
 * that is taken (SPEC §6: never overwrite). *chosen gets the name used
 * (owned). Returns the descriptor, or -1 with IOERR. */
int app_create_unique(const char *dir, const char *name, char **chosen, struct qu_err *err);

#endif
