/*
 * Long jobs on a folder view (move, copy, expunge, the flags of many
 * messages) in three steps, so the
 * UI never waits on the disk (SPEC §8): the plan is made from the view on
 * the thread that owns it, the files are written on a worker with no view
 * at all, and what was done is applied to the view back on its thread. A
 * cancel stops the worker between messages; what was written by then is
 * committed whole, and what was done stays done.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "app/app.h"
#include "app/folder_private.h"

struct app_ops_item {
	size_t id;          /* in the view planned from */
	struct app_msg msg; /* path, flags and mbox place: what run needs */
	char flags[7];      /* Maildir info of the copy */
	unsigned set_to;    /* FLAGS: the view's flags the plan gave it */
	char *to;           /* FLAGS: the path it was renamed to */
	bool done;
	bool refound;       /* msg.path is where another program renamed it */
};

struct app_ops {
	enum app_ops_kind kind;
	char *folder;       /* the view's path, to match it at apply */
	char *dest;         /* NULL for expunge */
	bool is_mbox;
	struct app_ops_item *v;
	size_t n, done;
};

static void
add_item(struct app_ops *o, const struct app_view *f, size_t id)
{
	struct app_ops_item *it = &o->v[o->n++];
	const struct app_msg *m = &f->msgs[id];
	it->id = id;
	it->msg.path = xstrdup(m->path);
	it->msg.size = m->size;
	it->msg.mbox_off = m->mbox_off;
	it->msg.mbox_quoted = m->mbox_quoted;
	it->msg.flags = m->flags;
	app_msg_maildir_flags(m, it->flags);
}

struct app_ops *
app_ops_new(const struct app_view *f, enum app_ops_kind kind, const size_t *ids, size_t n,
	const char *dest, struct qu_err *err)
{
	if (kind != APP_OPS_EXPUNGE && strcmp(dest, f->path) == 0) {
		qu_err_set(err, QU_E_USAGE, "%s: the folder itself", dest);
		return NULL;
	}
	if (f->is_mbox && kind != APP_OPS_COPY) {
		qu_err_set(err, QU_E_USAGE, "%s: an mbox is read-only here", f->path);
		return NULL;
	}
	struct app_ops *o = xcalloc(1, sizeof *o);
	o->kind = kind;
	o->folder = xstrdup(f->path);
	o->dest = kind == APP_OPS_EXPUNGE ? NULL : xstrdup(dest);
	o->is_mbox = f->is_mbox;
	if (kind == APP_OPS_EXPUNGE) {
		o->v = xcalloc(f->n + 1, sizeof *o->v);
		for (size_t i = 0; i < f->n; i++)
			if (!app_view_gone(f, i) && (f->msgs[i].flags & APP_MSG_DELETED))
				add_item(o, f, i);
		return o;
	}
	o->v = xcalloc(n + 1, sizeof *o->v);
	for (size_t i = 0; i < n; i++)
		if (!app_view_gone(f, ids[i]))
			add_item(o, f, ids[i]);
	return o;
}

struct app_ops *
app_ops_flags(struct app_view *f, const size_t *ids, size_t n, unsigned set, unsigned clear,
	bool toggle)
{
	struct app_ops *o = xcalloc(1, sizeof *o);
	o->kind = APP_OPS_FLAGS;
	o->folder = xstrdup(f->path);
	o->is_mbox = f->is_mbox;
	o->v = xcalloc(n + 1, sizeof *o->v);
	for (size_t i = 0; i < n; i++) {
		if (app_view_gone(f, ids[i]))
			continue;
		struct app_msg *m = &f->msgs[ids[i]];
		unsigned s = set, c = clear, old = m->flags;
		if (toggle) {
			s = old & set ? 0 : set;
			c = old & set ? set : 0;
		}
		m->flags = (old | s) & ~c;
		/* An mbox keeps its flags in memory only (read-only here);
		 * a change the name does not carry (tags) has no file. */
		if (f->is_mbox || !((old ^ m->flags) & APP_MSG_DISK_FLAGS))
			continue;
		add_item(o, f, ids[i]);
		struct app_ops_item *it = &o->v[o->n - 1];
		it->msg.flags = old;
		it->set_to = m->flags;
	}
	return o;
}

void
app_ops_free(struct app_ops *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].msg.path);
		free(o->v[i].to);
	}
	free(o->v);
	free(o->folder);
	free(o->dest);
	free(o);
}

size_t
app_ops_total(const struct app_ops *o)
{
	return o->n;
}

size_t
app_ops_done(const struct app_ops *o)
{
	return o->done;
}

enum app_ops_kind
app_ops_kind(const struct app_ops *o)
{
	return o->kind;
}

/* A copy or move is made durable in batches: every file of a batch is
 * written, then all are synced together (one directory fsync, not one per
 * message), and only then are the sources of a move removed. A sync per
 * message made 2,000 messages take seconds; a batch keeps the open files
 * and the data at risk in memory bounded. */
#define OPS_BATCH_MSGS 256
#define OPS_BATCH_BYTES (64u << 20)

struct ops_run {
	struct app_ops *o;
	struct maildir_batch *batch;
	size_t first;        /* the first item of the pending batch */
	app_index_progress_fn fn;
	void *ctx;
};

/* The removals of a move made durable: each source directory (cur/, new/)
 * fsynced once, so that a crash cannot bring a moved message back. */
static int
sync_sources(const struct app_ops *o, size_t first, size_t n, struct qu_err *err)
{
	char *done[2] = {NULL, NULL};
	int rc = 0;
	for (size_t i = first; i < first + n && rc == 0; i++) {
		const char *p = o->v[i].msg.path, *slash = strrchr(p, '/');
		if (!slash)
			continue;
		char *dir = xstrndup(p, (size_t)(slash - p));
		size_t k = 0;
		while (k < 2 && done[k] && strcmp(done[k], dir) != 0)
			k++;
		if (k < 2 && done[k]) {
			free(dir);
			continue;
		}
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			rc = qu_err_sys(err, QU_E_IOERR, errno, "%s: fsync", dir);
		if (fd >= 0)
			close(fd);
		if (k < 2)
			done[k] = dir;
		else
			free(dir);
	}
	free(done[0]);
	free(done[1]);
	return rc;
}

/* Commits items first..upto-1: the copies durable, then a move's sources
 * removed (and that made durable too). Only then are they done, so a
 * message is never lost: at worst, after a failure, it is in both. */
static int
ops_commit(struct ops_run *r, size_t upto, struct qu_err *err)
{
	struct app_ops *o = r->o;
	size_t placed = 0;
	int rc = maildir_batch_commit(r->batch, &placed, err);
	for (size_t i = r->first; i < r->first + placed; i++) {
		struct app_ops_item *it = &o->v[i];
		if (o->kind == APP_OPS_MOVE && unlink(it->msg.path) < 0 && errno != ENOENT) {
			if (rc == 0)
				rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", it->msg.path);
			continue; /* in both folders: not gone from this one */
		}
		it->done = true;
		o->done++;
	}
	if (o->kind == APP_OPS_MOVE && placed &&
		sync_sources(o, r->first, placed, rc < 0 ? NULL : err) < 0)
		rc = -1;
	r->first = upto;
	if (r->fn && placed)
		r->fn(r->ctx, o->done, o->n);
	return rc;
}

static bool
batch_full(const struct maildir_batch *b)
{
	return maildir_batch_count(b) >= OPS_BATCH_MSGS ||
		maildir_batch_bytes(b) >= OPS_BATCH_BYTES;
}

/* The file of it where another program renamed it since the job was
 * planned (flags set by another reader, new/ moved to cur/): found by
 * its unique name in the folder. Returns true when msg.path changed. */
static bool
refind(const struct app_ops *o, struct app_ops_item *it)
{
	struct stat st;
	if (o->is_mbox || stat(it->msg.path, &st) == 0 || errno != ENOENT)
		return false;
	char *found;
	if (app_maildir_find_unique(o->folder, it->msg.path, &found) != 1)
		return false;
	free(it->msg.path);
	it->msg.path = found;
	it->refound = true;
	return true;
}

/* Copy or move: read each message, add it to the batch, commit when the
 * batch is full, at the end, and on a cancel (what was written is kept). */
static int
run_copy(struct ops_run *r, const struct qu_cancel *cancel, struct qu_err *err)
{
	struct app_ops *o = r->o;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	int rc = 0;
	size_t i = 0;
	for (; i < o->n; i++) {
		if ((rc = qu_cancel_check(cancel, err)) < 0)
			break;
		struct app_ops_item *it = &o->v[i];
		rc = app_msg_read(&it->msg, o->is_mbox, &b, err);
		if (rc < 0 && refind(o, it)) {
			qu_err_clear(err);
			rc = app_msg_read(&it->msg, o->is_mbox, &b, err);
		}
		if (rc < 0)
			break;
		if ((rc = maildir_batch_add(r->batch, b.data ? b.data : "", b.len, it->flags, err)) < 0)
			break;
		if (batch_full(r->batch) && (rc = ops_commit(r, i + 1, err)) < 0)
			break;
	}
	qu_buf_clear(&b);
	if (maildir_batch_count(r->batch)) {
		/* A cancel or a failure keeps what was written whole: the first
		 * error is the one reported. */
		struct qu_err cerr = {0};
		if (ops_commit(r, i, rc < 0 ? &cerr : err) < 0 && rc == 0)
			rc = -1;
	}
	return rc;
}

/* Flags: each file renamed to carry its new flags, the directories synced
 * once a batch rather than once a file (a sync per rename made 2,000
 * messages take half a second). */
static int
run_flags(struct ops_run *r, const struct qu_cancel *cancel, struct qu_err *err)
{
	struct app_ops *o = r->o;
	struct maildir *md = maildir_open(o->folder, false, err);
	if (!md)
		return -1;
	size_t root = strlen(o->folder), pending = 0;
	int rc = 0;
	for (size_t i = 0; i < o->n && rc == 0; i++) {
		if ((rc = qu_cancel_check(cancel, err)) < 0)
			break;
		struct app_ops_item *it = &o->v[i];
		refind(o, it);
		const char *p = it->msg.path;
		if (strncmp(p, o->folder, root) != 0 || p[root] != '/') {
			rc = qu_err_set(err, QU_E_SOFTWARE, "%s: not in %s", p, o->folder);
			break;
		}
		char *rel = NULL;
		rc = maildir_set_flags(md, p + root + 1, app_msg_maildir_bits(it->set_to),
			MAILDIR_NOSYNC, &rel, err);
		if (rc < 0)
			break;
		it->to = xasprintf("%s/%s", o->folder, rel);
		free(rel);
		it->done = true;
		o->done++;
		if (++pending == OPS_BATCH_MSGS || i + 1 == o->n) {
			rc = maildir_sync(md, err);
			pending = 0;
		}
		if (r->fn)
			r->fn(r->ctx, o->done, o->n);
	}
	if (pending) {
		struct qu_err serr = {0};
		if (maildir_sync(md, rc < 0 ? &serr : err) < 0 && rc == 0)
			rc = -1;
	}
	maildir_free(md);
	return rc;
}

/* Expunge: the files go one by one, each a step a cancel can stop at. */
static int
run_expunge(struct ops_run *r, const struct qu_cancel *cancel, struct qu_err *err)
{
	struct app_ops *o = r->o;
	for (size_t i = 0; i < o->n; i++) {
		if (qu_cancel_check(cancel, err) < 0)
			return -1;
		struct app_ops_item *it = &o->v[i];
		bool gone = unlink(it->msg.path) < 0;
		if (gone && errno != ENOENT)
			return qu_err_sys(err, QU_E_IOERR, errno, "%s", it->msg.path);
		/* Not under its name (and only then): renamed by another
		 * reader, removed only while its name still says deleted (T);
		 * one undeleted there stays. */
		if (gone && refind(o, it)) {
			const char *b = strrchr(it->msg.path, '/');
			if (!(maildir_flags_parse(b ? b + 1 : it->msg.path) & MAILDIR_FLAG_TRASHED))
				continue;
			if (unlink(it->msg.path) < 0 && errno != ENOENT)
				return qu_err_sys(err, QU_E_IOERR, errno, "%s", it->msg.path);
		}
		it->done = true;
		o->done++;
		if (r->fn)
			r->fn(r->ctx, o->done, o->n);
	}
	return 0;
}

int
app_ops_run(struct app_ops *o, const struct qu_cancel *cancel, app_index_progress_fn fn,
	void *ctx, struct qu_err *err)
{
	struct ops_run r = {.o = o, .fn = fn, .ctx = ctx};
	if (o->kind == APP_OPS_FLAGS)
		return o->n ? run_flags(&r, cancel, err) : 0;
	if (o->kind == APP_OPS_EXPUNGE || o->n == 0)
		return run_expunge(&r, cancel, err);
	struct maildir *md = maildir_open(o->dest, true, err);
	if (!md)
		return -1;
	r.batch = maildir_batch_new(md);
	int rc = run_copy(&r, cancel, err);
	maildir_batch_free(r.batch);
	maildir_free(md);
	return rc;
}

/* Flags: a renamed file's row takes its new name; one the job did not
 * get to (a cancel, a failure) gets back the flags its name still says,
 * unless the view changed them again meanwhile. */
static size_t
apply_flags(struct app_view *f, const struct app_ops *o)
{
	size_t k = 0;
	for (size_t i = 0; i < o->n; i++) {
		const struct app_ops_item *it = &o->v[i];
		if (app_view_gone(f, it->id))
			continue;
		struct app_msg *m = &f->msgs[it->id];
		bool same = strcmp(m->path, it->msg.path) == 0 ||
			app_same_unique(m->path, it->msg.path);
		if (!same)
			continue;
		if (it->done) {
			/* By the name the job renamed from: the row may have
			 * taken the new one already (the watch saw it). */
			app_view_renamed(f, it->id, it->msg.path, it->to);
			k++;
		} else if (m->flags == it->set_to) {
			m->flags = it->msg.flags;
		}
	}
	return k;
}

size_t
app_ops_apply(struct app_view *f, const struct app_ops *o)
{
	if (o->kind == APP_OPS_COPY || strcmp(f->path, o->folder) != 0)
		return 0;
	if (o->kind == APP_OPS_FLAGS)
		return apply_flags(f, o);
	size_t *ids = xmalloc((o->n + 1) * sizeof *ids), k = 0;
	/* The same message only: a view read again meanwhile has other ids,
	 * and a file renamed meanwhile was not removed (unless the job found
	 * it under its new name). */
	for (size_t i = 0; i < o->n; i++) {
		const struct app_ops_item *it = &o->v[i];
		if (!it->done || app_view_gone(f, it->id))
			continue;
		const char *p = f->msgs[it->id].path;
		if (strcmp(p, it->msg.path) == 0 ||
			(it->refound && app_same_unique(p, it->msg.path)))
			ids[k++] = it->id;
	}
	app_view_drop(f, ids, k);
	free(ids);
	return k;
}
