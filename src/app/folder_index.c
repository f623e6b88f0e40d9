/*
 * A folder view read from the local index (SPEC §9: the UI keeps it
 * current). A Maildir the index already holds is brought up to date (a
 * folder whose cur/ and new/ did not change is not even listed) and its
 * rows read from the database, without opening a message file. A folder
 * never indexed is shown from its header blocks at once (folder_scan.c)
 * and indexed afterwards, on the same worker, for the next open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "index/index.h"
#include "store/store.h"
#include "app/app.h"
#include "app/folder_private.h"

struct load {
	app_batch_fn fn;
	void *ctx;
	struct app_view_batch *b;
	size_t want;
};

static char *
dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static unsigned
flags_of(const struct index_row *r)
{
	unsigned f = 0;
	f |= r->flags & INDEX_FLAG_SEEN ? APP_MSG_SEEN : 0;
	f |= r->flags & INDEX_FLAG_FLAGGED ? APP_MSG_FLAGGED : 0;
	f |= r->flags & INDEX_FLAG_REPLIED ? APP_MSG_REPLIED : 0;
	f |= r->flags & INDEX_FLAG_DELETED ? APP_MSG_DELETED : 0;
	f |= r->flags & INDEX_FLAG_DRAFT ? APP_MSG_DRAFT : 0;
	f |= r->is_new ? APP_MSG_NEW : 0;
	f |= r->has_attachment ? APP_MSG_ATTACH : 0;
	return f;
}

static int
on_row(void *ctx, const struct index_row *r, struct qu_err *err)
{
	struct load *l = ctx;
	struct app_view_batch *b = l->b;
	b->v = xgrow(b->v, &b->alloc, b->n + 1, sizeof *b->v);
	struct app_msg *m = &b->v[b->n++];
	memset(m, 0, sizeof *m);
	m->path = xstrdup(r->path);
	m->subject = dup_or_null(r->subject);
	m->from_name = dup_or_null(r->from_name);
	m->from_addr = dup_or_null(r->from_addr);
	m->to_addr = dup_or_null(r->to_list);
	m->cc_addr = dup_or_null(r->cc_list);
	m->msgid = dup_or_null(r->message_id);
	m->has_date = r->has_date;
	m->date = r->date;
	m->received = r->mtime;
	m->size = r->size;
	m->flags = flags_of(r);
	m->ix_id = r->id;
	m->ix_parent = r->parent;
	m->number = (size_t)r->id;
	if (b->n >= l->want) {
		l->fn(l->ctx, b);
		l->b = xcalloc(1, sizeof *l->b);
		if (l->want < 4096)
			l->want *= 4;
	}
	return 0;
}

int
app_view_load(const char *path, const struct qu_cancel *cancel, app_batch_fn fn, void *ctx,
	bool *need_index, struct qu_err *err)
{
	*need_index = false;
	char *abs = store_kind(path) == STORE_KIND_MAILDIR ? realpath(path, NULL) : NULL;
	struct qu_err ierr = {0};
	struct index *ix = abs ? index_open(NULL, 0, &ierr) : NULL;
	uint64_t count = 0;
	if (ix && index_count(ix, abs, NULL, &count, &ierr) < 0)
		count = 0;
	if (!ix || count == 0) {
		/* Never indexed (or no index to be had): the header blocks now,
		 * the index after. */
		index_free(ix);
		*need_index = abs != NULL;
		free(abs);
		return app_view_scan(path, cancel, fn, ctx, err);
	}
	const char *paths[] = {abs};
	struct index_update_opts o = {.cancel = cancel};
	int rc = index_update(ix, paths, 1, &o, NULL, err);
	struct load l = {fn, ctx, xcalloc(1, sizeof *l.b), 256};
	if (rc == 0 && index_search(ix, abs, NULL, INDEX_SORT_OLDEST, 0, UINT64_MAX, on_row, &l,
			       err) < 0)
		rc = -1;
	if (rc == 0 && l.b->n)
		fn(ctx, l.b);
	else
		app_view_batch_free(l.b);
	index_free(ix);
	free(abs);
	if (rc < 0 && err->cls != QU_E_CANCELED && l.want == 256) {
		/* The index could not be used (locked, damaged) before any
		 * row was shown: the files themselves. */
		qu_err_clear(err);
		return app_view_scan(path, cancel, fn, ctx, err);
	}
	return rc;
}

int
app_view_index(const char *path, const struct qu_cancel *cancel, struct qu_err *err)
{
	char *abs = realpath(path, NULL);
	if (!abs)
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path);
	struct index *ix = index_open(NULL, 0, err);
	int rc = -1;
	if (ix) {
		const char *paths[] = {abs};
		struct index_update_opts o = {.cancel = cancel};
		rc = index_update(ix, paths, 1, &o, NULL, err);
		index_free(ix);
	}
	free(abs);
	return rc;
}
