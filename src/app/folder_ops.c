/*
 * Long jobs on a folder view (move, copy, expunge) in three steps, so the
 * UI never waits on the disk (SPEC §8): the plan is made from the view on
 * the thread that owns it, the files are written on a worker with no view
 * at all, and what was done is applied to the view back on its thread. A
 * cancel stops the worker between messages; what was done stays done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "app/app.h"
#include "app/folder_private.h"

struct app_ops_item {
	size_t id;          /* in the view planned from */
	struct app_msg msg; /* path, flags and mbox place: what run needs */
	char flags[7];      /* Maildir info of the copy */
	bool done;
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

void
app_ops_free(struct app_ops *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].msg.path);
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

/* One message: copied by delivery (tmp/, fsync, rename) with its flags,
 * then for a move its file removed. */
static int
run_one(const struct app_ops *o, struct maildir *md, const struct app_ops_item *it,
	struct qu_buf *b, struct qu_err *err)
{
	if (o->kind != APP_OPS_EXPUNGE) {
		if (app_msg_read(&it->msg, o->is_mbox, b, err) < 0)
			return -1;
		if (maildir_deliver(md, b->data ? b->data : "", b->len, it->flags, false, NULL, err) < 0)
			return -1;
		if (o->kind == APP_OPS_COPY)
			return 0;
	}
	if (unlink(it->msg.path) < 0 && errno != ENOENT)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s", it->msg.path);
	return 0;
}

int
app_ops_run(struct app_ops *o, const struct qu_cancel *cancel, app_index_progress_fn fn,
	void *ctx, struct qu_err *err)
{
	struct maildir *md = NULL;
	if (o->kind != APP_OPS_EXPUNGE && o->n && !(md = maildir_open(o->dest, true, err)))
		return -1;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	int rc = 0;
	for (size_t i = 0; i < o->n && rc == 0; i++) {
		if ((rc = qu_cancel_check(cancel, err)) < 0)
			break;
		if ((rc = run_one(o, md, &o->v[i], &b, err)) < 0)
			break;
		o->v[i].done = true;
		o->done++;
		if (fn)
			fn(ctx, o->done, o->n);
	}
	qu_buf_clear(&b);
	maildir_free(md);
	return rc;
}

size_t
app_ops_apply(struct app_view *f, const struct app_ops *o)
{
	if (o->kind == APP_OPS_COPY || strcmp(f->path, o->folder) != 0)
		return 0;
	size_t *ids = xmalloc((o->n + 1) * sizeof *ids), k = 0;
	/* The same message only: a view read again meanwhile has other ids,
	 * and a file renamed meanwhile was not removed. */
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].done && !app_view_gone(f, o->v[i].id) &&
			strcmp(f->msgs[o->v[i].id].path, o->v[i].msg.path) == 0)
			ids[k++] = o->v[i].id;
	app_view_drop(f, ids, k);
	free(ids);
	return k;
}
