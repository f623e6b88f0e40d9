/*
 * Internals of the folder views (folder.c, folder_scan.c,
 * folder_match.c); nothing outside src/app includes this.
 */
#ifndef QUAIL_APP_FOLDER_PRIVATE_H
#define QUAIL_APP_FOLDER_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"
#include "app/app.h"

/* Strings of many messages in a few large blocks (SPEC §8: a folder of
 * 100,000 messages must not cost a malloc per header field). Blocks never
 * move, so a string stays where it was written until app_strs_clear; a
 * batch's blocks are handed to the view whole (app_strs_move). */
struct app_strs_block;
struct app_strs {
	struct app_strs_block *head;
	size_t bytes; /* held in blocks */
};

/* A NUL-terminated copy of p[0..n) in s. */
char *app_strs_dupn(struct app_strs *s, const char *p, size_t n);
/* A copy of str, or NULL for NULL (and, with empty_null, for ""). */
char *app_strs_dup(struct app_strs *s, const char *str, bool empty_null);
/* Moves every block of from to to; from is empty after. */
void app_strs_move(struct app_strs *to, struct app_strs *from);
void app_strs_clear(struct app_strs *s);
/* The files of a Maildir the index lacks (folder_index.c), named as
 * app_view_scan_new takes them: their header blocks to fn in batches that
 * grow as app_view_scan's do, so that the first rows show early; -1 with
 * CANCELED when cancel fires between two files. Else as
 * app_view_scan_new. */
int app_view_scan_names(const char *path, char *const *names, size_t n,
	const struct qu_cancel *cancel, app_batch_fn fn, void *ctx, struct qu_err *err);

#define APP_MSG_NONE UINT32_MAX

/* One message of a folder: what sort, limit and threads need, with its
 * strings in the folder's (or batch's) app_strs, never freed one by one.
 * Kept small: a view holds one per message. */
struct app_msg {
	char *path;        /* Maildir: the file; mbox: the mbox */
	char *subject, *from_name, *from_addr, *to_addr, *cc_addr;
	char *msgid;       /* without <> */
	char *parent_id;   /* the last References id, else In-Reply-To */
	int64_t date, received;
	uint64_t size;
	uint64_t mbox_off; /* mbox: where the message starts (unquoted) */
	int64_t ix_id, ix_parent; /* read from the index: its ids, 0 when not */
	uint32_t number;
	/* threads: message slots, APP_MSG_NONE for none */
	uint32_t parent, first_child, next_sibling;
	uint32_t hidden;
	uint32_t tree;     /* offset of the tree column in the view's trees */
	unsigned flags;    /* enum app_msg_flag */
	int16_t offset;
	bool has_date;
	bool mbox_quoted;
	bool folded;       /* a root whose thread is collapsed */
	bool subject_repeats;
};

/* What a first page knows of the whole folder, from the index. */
struct app_page_marks {
	size_t total; /* the folder's messages */
	size_t base;  /* the page's first row's place in the whole order */
	bool counted; /* the status line's counts below are known */
	size_t unread, flagged, deleted;
};

struct app_view_batch {
	struct app_msg *v;
	size_t n, alloc;
	struct app_strs strs; /* the strings of v */
	/* A first page from the index (app_view_first_page): rows in sort
	 * order (sort, reverse) and the folder's total as the index has it;
	 * the next batch that is not a page replaces it. */
	bool page;
	enum app_sort sort;
	bool reverse;
	struct app_page_marks mk;
};

struct app_view {
	char *path;
	bool is_mbox;
	struct app_msg *msgs;
	size_t n, alloc;
	struct app_strs strs;  /* the strings of msgs */
	struct qu_buf trees;   /* the tree columns of a threaded sort */
	/* Message slots, 32 bits as in struct app_msg's links: */
	uint32_t *order;   /* every message in sort order */
	uint32_t *shown;   /* the rows shown: order after limit and folding */
	size_t nshown;
	uint32_t *row_of;  /* message -> shown row, APP_MSG_NONE when not shown */
	enum app_sort sort;
	bool reverse;
	char *limit;
	struct app_pattern *limit_pat;
	/* Holding only a first page: the folder's total and counts are the
	 * index's (page_mk), the page's rows are rows page_mk.base on. */
	bool page;
	struct app_page_marks page_mk;
	/* Files renamed by flag changes, not yet told to the index: old and
	 * new path in turn (app_view_take_renames). */
	char **renames;
	size_t nrenames, renames_alloc;
	/* Limit on a worker (folder_limit.c): the strings kept for jobs that
	 * read them (NULL until the first), and a worker's answer while it is
	 * applied (one byte a message slot, nlimit_hits of them). */
	struct app_pin *pin;
	uint8_t *limit_hits;
	size_t nlimit_hits;
	size_t nlive; /* messages in order (not gone) at the last refresh */
	/* Messages by Maildir unique name (folder_stale.c): new mail and
	 * other programs' renames are matched against it in O(1). */
	struct app_uniq *uniq;
};

/* folder_limit.c: drops a hold on the strings, the view's with its
 * blocks strs (emptied) handed over, a job's with NULL; the last hold
 * frees them. */
struct app_pin;
void app_pin_release(struct app_pin *p, struct app_strs *strs);
/* folder.c: the limit applied again to the messages in order. */
void app_view_relimit(struct app_view *f);

/* A parsed pattern (folder_match.c). */
struct app_pattern;
struct app_pattern *app_pattern_parse(const char *s, struct qu_err *err);
void app_pattern_free(struct app_pattern *p);
bool app_pattern_match(const struct app_pattern *p, const struct app_msg *m);
/* A pattern matching the messages whose file is in m (owned by it). */
struct app_pattern *app_pattern_match_set(struct app_match *m);
/* True when path's unique name is in m. */
bool app_match_has(const struct app_match *m, const char *path);


/* For folder_ops.c (folder.c). The bytes of m as app_view_read gives
 * them; runs on any thread (reads only m). */
int app_msg_read(const struct app_msg *m, bool is_mbox, struct qu_buf *out, struct qu_err *err);
/* m's flags as a Maildir info suffix ("FRS"). */
void app_msg_maildir_flags(const struct app_msg *m, char fl[7]);
/* The flags a Maildir file name carries, and APP_MSG_* flags as store's
 * MAILDIR_FLAG_* bits. */
#define APP_MSG_DISK_FLAGS \
	(APP_MSG_SEEN | APP_MSG_FLAGGED | APP_MSG_REPLIED | APP_MSG_DELETED | APP_MSG_DRAFT)
unsigned app_msg_maildir_bits(unsigned flags);
/* Message id's file was renamed from -> to (by the view, or by a job it
 * planned): the view takes the new name, and the pair is kept for the
 * index (app_view_take_renames). */
void app_view_renamed(struct app_view *f, size_t id, const char *from, const char *to);
/* True when id is past the end or has left the view. */
bool app_view_gone(const struct app_view *f, size_t id);
/* The flag of a message that left the view (moved, expunged, deleted by
 * another program): it keeps its slot. */
#define GONE_FLAG (1u << 30)
/* Hides messages ids for good (moved or expunged on a worker). */
void app_view_drop(struct app_view *f, const size_t *ids, size_t n);

/* folder_stale.c: the table of unique names brought up to the messages
 * the view holds (the new ones added; all again after the rows were
 * replaced), and dropped (rows replaced, view freed). */
struct app_uniq;
void app_uniq_update(struct app_view *f);
void app_uniq_reset(struct app_view *f);
/* True when the files a and b (paths or base names) have one Maildir
 * unique name: the same message under other flags or in new/. */
bool app_same_unique(const char *a, const char *b);

#endif
