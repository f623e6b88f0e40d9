/*
 * A folder view read from the local index (SPEC §9: the UI keeps it
 * current). When the index says the folder's cur/ and new/ have not
 * changed since its last complete pass (their mtimes are those it
 * recorded), the rows come from the database alone: the Maildir is not
 * listed on the way to the screen. Otherwise, when the index holds every
 * file the Maildir lists now, the rows come from the database with the
 * names and flags as listed (a rename since the last update is seen). A
 * folder the index is behind on is shown from its header blocks at once
 * (folder_scan.c). Either way the index is brought up to date afterwards,
 * on the same worker, for the next open and for search: that pass is
 * the check of rows taken on the index's word.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "index/index.h"
#include "store/store.h"
#include "app/app.h"
#include "app/folder_private.h"
#include "app/private.h"

/* The folder's files as listed now, by their unique part (the name
 * before ":2,"), so that rows from the index take the current name and
 * flags: a rename by another reader since the last update is seen
 * without asking the index to catch up first. */
struct listing {
	struct {
		char *key, *path;
		unsigned flags;
		bool is_new, used;
	} *v;
	size_t n;
	size_t *slot;
	size_t cap;
};

static uint64_t
hash_key(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

static size_t
key_len(const char *name)
{
	const char *colon = strstr(name, ":2,");
	return colon ? (size_t)(colon - name) : strlen(name);
}

static void
listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].path);
	}
	free(l->v);
	free(l->slot);
}

static int
listing_read(const char *path, struct listing *l, struct qu_err *err)
{
	memset(l, 0, sizeof *l);
	struct maildir *md = maildir_open(path, false, err);
	struct maildir_iter *it = md ? maildir_iter_new(md, err) : NULL;
	if (!it) {
		maildir_free(md);
		return -1;
	}
	size_t total = maildir_iter_count(it);
	l->v = xcalloc(total + 1, sizeof *l->v);
	for (l->cap = 16; l->cap < 2 * total + 2;)
		l->cap *= 2;
	l->slot = xmalloc(l->cap * sizeof *l->slot);
	for (size_t i = 0; i < l->cap; i++)
		l->slot[i] = SIZE_MAX;
	struct maildir_entry e;
	while (l->n < total && maildir_iter_next(it, &e)) {
		size_t kn = key_len(e.name);
		size_t h = hash_key(e.name, kn) & (l->cap - 1);
		while (l->slot[h] != SIZE_MAX)
			h = (h + 1) & (l->cap - 1);
		l->slot[h] = l->n;
		l->v[l->n].key = xstrndup(e.name, kn);
		l->v[l->n].path = xstrdup(e.path);
		l->v[l->n].flags = e.flags;
		l->v[l->n].is_new = e.is_new;
		l->n++;
	}
	maildir_iter_free(it);
	maildir_free(md);
	return 0;
}

static size_t
listing_find(const struct listing *l, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t kn = key_len(base);
	size_t h = hash_key(base, kn) & (l->cap - 1);
	for (; l->slot[h] != SIZE_MAX; h = (h + 1) & (l->cap - 1)) {
		size_t i = l->slot[h];
		if (strlen(l->v[i].key) == kn && memcmp(l->v[i].key, base, kn) == 0)
			return i;
	}
	return SIZE_MAX;
}

static bool
index_exists(void)
{
	struct qu_err err = {0};
	char *db = index_default_path(&err);
	bool have = db && access(db, F_OK) == 0;
	free(db);
	return have;
}

struct load {
	struct listing *files; /* NULL: the index is current, its names go */
	struct app_view_batch *b;
	size_t matched;
};

/* The header fields of a row from the index into m (strings into s). */
static void
fill_from_index(struct app_strs *s, struct app_msg *m, const struct index_row *r)
{
	m->subject = app_strs_dup(s, r->subject, true);
	m->from_name = app_strs_dup(s, r->from_name, true);
	m->from_addr = app_strs_dup(s, r->from_addr, true);
	m->to_addr = app_strs_dup(s, r->to_list, true);
	m->cc_addr = app_strs_dup(s, r->cc_list, true);
	m->msgid = app_strs_dup(s, r->message_id, true);
	m->has_date = r->has_date;
	m->date = r->date;
	m->received = r->mtime;
	m->size = r->size;
}

static unsigned
flags_of(unsigned md, bool is_new, bool attach)
{
	unsigned f = 0;
	f |= md & MAILDIR_FLAG_SEEN ? APP_MSG_SEEN : 0;
	f |= md & MAILDIR_FLAG_FLAGGED ? APP_MSG_FLAGGED : 0;
	f |= md & MAILDIR_FLAG_REPLIED ? APP_MSG_REPLIED : 0;
	f |= md & MAILDIR_FLAG_TRASHED ? APP_MSG_DELETED : 0;
	f |= md & MAILDIR_FLAG_DRAFT ? APP_MSG_DRAFT : 0;
	f |= is_new ? APP_MSG_NEW : 0;
	f |= attach ? APP_MSG_ATTACH : 0;
	return f;
}

static unsigned
index_md_flags(unsigned f)
{
	unsigned md = 0;
	md |= f & INDEX_FLAG_SEEN ? MAILDIR_FLAG_SEEN : 0;
	md |= f & INDEX_FLAG_FLAGGED ? MAILDIR_FLAG_FLAGGED : 0;
	md |= f & INDEX_FLAG_REPLIED ? MAILDIR_FLAG_REPLIED : 0;
	md |= f & INDEX_FLAG_DELETED ? MAILDIR_FLAG_TRASHED : 0;
	md |= f & INDEX_FLAG_DRAFT ? MAILDIR_FLAG_DRAFT : 0;
	return md;
}

static struct app_msg *
push_row(struct app_view_batch *b, const struct index_row *r)
{
	b->v = xgrow(b->v, &b->alloc, b->n + 1, sizeof *b->v);
	struct app_msg *m = &b->v[b->n++];
	memset(m, 0, sizeof *m);
	fill_from_index(&b->strs, m, r);
	m->ix_id = r->id;
	m->ix_parent = r->parent;
	m->number = (uint32_t)r->id;
	return m;
}

static int
on_row(void *ctx, const struct index_row *r, struct qu_err *err)
{
	(void)err;
	struct load *l = ctx;
	if (!l->files) {
		/* The index is current: its name and flags are the file's. */
		struct app_msg *m = push_row(l->b, r);
		m->path = app_strs_dup(&l->b->strs, r->path, false);
		m->flags = flags_of(index_md_flags(r->flags), r->is_new, r->has_attachment);
		l->matched++;
		return 0;
	}
	size_t fi = listing_find(l->files, r->path);
	if (fi == SIZE_MAX || l->files->v[fi].used)
		return 0; /* gone since the index saw it */
	l->files->v[fi].used = true;
	l->matched++;
	struct app_msg *m = push_row(l->b, r);
	m->path = app_strs_dup(&l->b->strs, l->files->v[fi].path, false);
	/* Read no more (used is set): the name is held once, not twice,
	 * while the rows are built. */
	free(l->files->v[fi].path);
	l->files->v[fi].path = NULL;
	m->flags = flags_of(l->files->v[fi].flags, l->files->v[fi].is_new, r->has_attachment);
	return 0;
}

/* The files of a listing no row of the index matched, as "cur/NAME" or
 * "new/NAME" (app_view_scan_new's names); their number in *n. */
static char **
unmatched(const struct listing *l, size_t *n)
{
	char **v = xcalloc(l->n + 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].used || !l->v[i].path)
			continue;
		const char *base = strrchr(l->v[i].path, '/');
		v[(*n)++] = xasprintf("%s/%s", l->v[i].is_new ? "new" : "cur",
			base ? base + 1 : l->v[i].path);
	}
	return v;
}

/* The rows of the Maildir abs from the index, when it holds every file
 * listed now (names and flags as listed): returns 1 with *out filled.
 * When it holds some of them (mail delivered by another program since,
 * or an index update still running or cut short), returns 2 with those
 * rows in *out and the names of the others in *missing (*nmissing of
 * them), so that only these are read from their files: a row costs a
 * small part of what parsing its file does. Returns 0 when the index
 * holds none, -1 on error. */
static int
from_index(const char *abs, struct app_view_batch **out, char ***missing, size_t *nmissing,
	struct qu_err *err)
{
	/* An index that exists already and holds the folder as it is now:
	 * no listing (SPEC §8: opening a folder the index holds does not
	 * wait on its directory). */
	struct index *ix = index_exists() ? index_open(NULL, INDEX_OPEN_QUICK, err) : NULL;
	uint64_t total = 0;
	bool current = ix && index_folder_current(ix, abs, err) == 1 &&
		index_count(ix, abs, NULL, &total, err) == 0 && total > 0;
	struct listing files = {0};
	if (!current) {
		index_free(ix);
		ix = NULL;
		if (listing_read(abs, &files, err) < 0)
			return -1;
		total = files.n;
		ix = files.n ? index_open(NULL, 0, err) : NULL;
	}
	int rc = 0;
	struct load l = {current ? NULL : &files, xcalloc(1, sizeof *l.b), 0};
	/* One array for the whole folder, not one that doubles (and is
	 * copied) on the way. */
	l.b->alloc = total + 1;
	l.b->v = xmalloc(l.b->alloc * sizeof *l.b->v);
	if (ix && index_search(ix, abs, NULL, INDEX_SORT_OLDEST, 0, UINT64_MAX, on_row, &l, err) >= 0)
		rc = l.matched == total ? 1 : l.matched ? 2 : 0;
	else
		rc = -1;
	index_free(ix);
	if (rc == 2)
		*missing = unmatched(&files, nmissing);
	listing_free(&files);
	if (rc >= 1)
		*out = l.b;
	else
		app_view_batch_free(l.b);
	return rc;
}

int
app_view_load(const char *path, const struct qu_cancel *cancel, app_batch_fn fn, void *ctx,
	bool *need_index, struct qu_err *err)
{
	*need_index = false;
	char *abs = store_kind(path) == STORE_KIND_MAILDIR ? realpath(path, NULL) : NULL;
	struct app_view_batch *b = NULL;
	struct qu_err ierr = {0};
	char **missing = NULL;
	size_t nmissing = 0;
	int rc = abs ? from_index(abs, &b, &missing, &nmissing, &ierr) : 0;
	/* Renames and deliveries since the last run are indexed after the
	 * rows are shown, for the next open and for search. */
	*need_index = abs != NULL;
	free(abs);
	if (rc == 1) {
		fn(ctx, b);
		return 0;
	}
	if (rc == 2) {
		/* The index's rows, then the header blocks of the files it
		 * does not hold yet (most of the folder, while an update has
		 * just begun) in batches of their own, up to a cancel. */
		fn(ctx, b);
		int r = app_view_scan_names(path, missing, nmissing, cancel, fn, ctx, err) < 0 ? -1 : 0;
		for (size_t i = 0; i < nmissing; i++)
			free(missing[i]);
		free(missing);
		return r;
	}
	/* Not (fully) indexed, or no index to be had: the header blocks. */
	return app_view_scan(path, cancel, fn, ctx, err);
}

/* Hands index_update's progress on as (done, total) of this folder. */
struct watch {
	app_index_watch_fn fn;
	void *ctx;
};

static void
on_progress(void *ctx, const struct index_progress *p)
{
	struct watch *w = ctx;
	w->fn(w->ctx, p->done, p->total, p->text);
}

bool
app_index_current(const char *abs)
{
	struct qu_err e = {0};
	struct index *ix = index_exists() ? index_open(NULL, INDEX_OPEN_QUICK, &e) : NULL;
	uint64_t pending = 0;
	bool current = ix && index_folder_current(ix, abs, &e) == 1 &&
		index_text_pending(ix, abs, 1, &pending, &e) == 0 && pending == 0;
	index_free(ix);
	return current;
}

/* The update in this process, with progress when fn is not NULL. */
static int
update_here(const char *abs, const struct qu_cancel *cancel, app_index_watch_fn fn, void *ctx,
	struct qu_err *err)
{
	struct index *ix = index_open(NULL, 0, err);
	if (!ix)
		return -1;
	const char *paths[] = {abs};
	struct watch w = {fn, ctx};
	struct index_update_opts o = {
		.cancel = cancel,
		.progress = fn ? on_progress : NULL,
		.progress_ctx = &w,
	};
	int rc = index_update(ix, paths, 1, &o, NULL, err);
	index_free(ix);
	return rc;
}

int
app_view_index_watch(const char *path, const struct qu_cancel *cancel, app_index_watch_fn fn,
	void *ctx, struct qu_err *err)
{
	char *abs = realpath(path, NULL);
	if (!abs)
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path);
	/* In a process of its own (index_child.c), unless the index holds
	 * the folder as it is now: then the update reads no message (two
	 * stat calls and a few rows) and is not worth a process; here too
	 * when the binary cannot be run again. */
	int rc = app_index_current(abs) ? 1 : app_index_child(abs, cancel, fn, ctx, err);
	if (rc == 1)
		rc = update_here(abs, cancel, fn, ctx, err);
	free(abs);
	return rc;
}

int
app_view_index(const char *path, const struct qu_cancel *cancel, struct qu_err *err)
{
	char *abs = realpath(path, NULL);
	if (!abs)
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path);
	int rc = update_here(abs, cancel, NULL, NULL, err);
	free(abs);
	return rc;
}

/* ---- the first page ------------------------------------------------------ */

struct page {
	struct app_view_batch *b;
};

/* A row of the first page as the index last saw it: its name and flags
 * may be behind a rename since, which the folder's own rows put right
 * a moment later. */
static int
on_page_row(void *ctx, const struct index_row *r, struct qu_err *err)
{
	struct page *pg = ctx;
	struct app_view_batch *b = pg->b;
	(void)err;
	struct app_msg *m = push_row(b, r);
	m->path = app_strs_dup(&b->strs, r->path, false);
	m->flags = flags_of(index_md_flags(r->flags), r->is_new, r->has_attachment);
	return 0;
}

/* The index order that gives a view's rows from its last one back (the
 * view's order turned round, ties aside: the folder's own rows put those
 * right a moment later); false for an order the index does not keep
 * (threads as the view builds them, folder order). */
static bool
page_order(enum app_sort sort, bool reverse, enum index_sort *out)
{
	static const struct {
		enum app_sort sort;
		enum index_sort back, back_reverse;
	} map[] = {
		{APP_SORT_DATE, INDEX_SORT_NEWEST, INDEX_SORT_OLDEST},
		{APP_SORT_RECEIVED, INDEX_SORT_RECEIVED, INDEX_SORT_RECEIVED_OLDEST},
		{APP_SORT_FROM, INDEX_SORT_FROM_DESC, INDEX_SORT_FROM},
		{APP_SORT_SUBJECT, INDEX_SORT_SUBJECT_DESC, INDEX_SORT_SUBJECT},
		{APP_SORT_SIZE, INDEX_SORT_SIZE, INDEX_SORT_SIZE_SMALLEST},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(map); i++)
		if (map[i].sort == sort) {
			*out = reverse ? map[i].back_reverse : map[i].back;
			return true;
		}
	return false;
}

/* A threaded page holds whole threads (the view draws their glyphs from
 * the page's own links); past this many rows it is not worth it. */
#define THREAD_PAGE_MAX 2000

/* The page's counts from the index's marks, when it has them; the cursor
 * row (in view order) the folder opens on when it can tell: the first
 * unread message, else the last (initial_cursor in src/ui). Returns the
 * row, or SIZE_MAX when the first unread's place is not known in this
 * order. */
static size_t
page_marks(struct index *ix, const char *abs, enum app_sort sort, bool reverse,
	struct app_view_batch *b, struct qu_err *err)
{
	struct index_marks im;
	if (index_folder_marks(ix, abs, reverse, &im, err) != 1 || im.total != b->mk.total)
		return SIZE_MAX;
	b->mk.counted = true;
	b->mk.unread = (size_t)im.unread;
	b->mk.flagged = (size_t)im.flagged;
	b->mk.deleted = (size_t)im.deleted;
	if (im.unread == 0)
		return b->mk.total - 1;
	/* The place is by date (then id): the view's order only when it
	 * sorts by date. */
	return sort == APP_SORT_DATE ? (size_t)im.first_unread : SIZE_MAX;
}

/* The rows a flat order shows first: the screen whose last row is the
 * cursor's (rows from the top when it is among the first ones), as the
 * whole folder will show it; without a known cursor, the last rows.
 * Read from whichever end of the order is nearer, in view order. */
static int
flat_page(struct index *ix, const char *abs, enum app_sort sort, bool reverse, size_t rows,
	struct page *pg, struct qu_err *err)
{
	struct app_view_batch *b = pg->b;
	enum index_sort fwd = INDEX_SORT_OLDEST, back = INDEX_SORT_NEWEST;
	page_order(sort, !reverse, &fwd);
	page_order(sort, reverse, &back);
	size_t cursor = page_marks(ix, abs, sort, reverse, b, err);
	if (cursor == SIZE_MAX)
		cursor = b->mk.total - 1;
	size_t top = cursor >= rows ? cursor - rows + 1 : 0;
	size_t n = b->mk.total - top < rows ? b->mk.total - top : rows;
	size_t after = b->mk.total - top - n; /* rows below the page */
	b->mk.base = top;
	if (top <= after)
		return index_search(ix, abs, NULL, fwd, top, n, on_page_row, pg, err) < 0 ? -1 : 0;
	if (index_search(ix, abs, NULL, back, after, n, on_page_row, pg, err) < 0)
		return -1;
	for (size_t i = 0; i < b->n / 2; i++) {
		struct app_msg t = b->v[i];
		b->v[i] = b->v[b->n - 1 - i];
		b->v[b->n - 1 - i] = t;
	}
	return 0;
}

/* A threaded first page, in view order: with unread mail, whole threads
 * from the oldest on to the screen that ends on the first unread message
 * (where the cursor starts) when that is near enough the start; else the
 * newest whole threads, the folder's last rows. The counts for the
 * status line either way. Returns 0 or -1. */
static int
thread_page(struct index *ix, const char *abs, size_t rows, struct page *pg, struct qu_err *err)
{
	struct app_view_batch *b = pg->b;
	page_marks(ix, abs, APP_SORT_THREADS, false, b, err);
	if (b->mk.counted && b->mk.unread) {
		uint64_t base = 0, unread = 0;
		long n = index_thread_head(ix, abs, rows, THREAD_PAGE_MAX, on_page_row, pg, &base,
			&unread, err);
		if (n < 0)
			return -1;
		if (n > 0) {
			b->mk.base = (size_t)base;
			return 0;
		}
	}
	if (index_thread_tail(ix, abs, rows, THREAD_PAGE_MAX, on_page_row, pg, err) < 0)
		return -1;
	/* The newest threads are the folder's last rows. */
	b->mk.base = b->n <= b->mk.total ? b->mk.total - b->n : 0;
	return 0;
}

int
app_view_first_page(const char *path, enum app_sort sort, bool reverse, size_t rows,
	app_batch_fn fn, void *ctx, struct qu_err *err)
{
	enum index_sort back = INDEX_SORT_NEWEST;
	bool threads = sort == APP_SORT_THREADS && !reverse;
	if ((!threads && !page_order(sort, reverse, &back)) || rows == 0 ||
		store_kind(path) != STORE_KIND_MAILDIR)
		return 0;
	char *abs = realpath(path, NULL);
	if (!abs)
		return 0;
	/* Only an index that exists already: the first page is not the
	 * one to create it (the full open is). */
	bool have = index_exists();
	/* One query of a page: never the daily check of the whole file. */
	struct index *ix = have ? index_open(NULL, INDEX_OPEN_QUICK, err) : NULL;
	if (!have) {
		free(abs);
		return 0;
	}
	struct page pg = {xcalloc(1, sizeof *pg.b)};
	pg.b->page = true;
	pg.b->sort = sort;
	pg.b->reverse = reverse;
	int rc = -1;
	uint64_t total = 0;
	if (ix && index_count(ix, abs, NULL, &total, err) == 0) {
		pg.b->mk.total = (size_t)total;
		rc = 0;
		if (threads && pg.b->mk.total) {
			rc = thread_page(ix, abs, rows, &pg, err);
		} else if (pg.b->mk.total) {
			rc = flat_page(ix, abs, sort, reverse, rows, &pg, err);
		}
	}
	index_free(ix);
	free(abs);
	if (rc == 0 && pg.b->n) {
		fn(ctx, pg.b);
		return 1;
	}
	app_view_batch_free(pg.b);
	return rc;
}

/* ---- flag changes into the index ------------------------------------------ */

int
app_view_index_renames(const char *folder, char *const *pairs, size_t n,
	const struct qu_cancel *cancel, struct qu_err *err)
{
	if (n == 0 || !pairs || !index_exists())
		return 0;
	/* The rows renamed in one transaction, however many (a flag job of
	 * thousands: a commit, no listing and no message read). One that
	 * fails brings the folder up to date instead: the renames changed
	 * its directory's mtime, so it alone is listed, and a renamed file
	 * is matched by its unique name without reading the message. */
	if (qu_cancel_check(cancel, err) < 0)
		return -1;
	struct qu_err e = {0};
	if (app_index_renamed_pairs(NULL, pairs, n, &e) >= 0)
		return 0;
	return app_view_index(folder, cancel, err);
}
