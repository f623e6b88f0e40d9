/*
 * Limit and search with full-text terms (SPEC §9: ~b ~B ~h body: ...):
 * the header fields a view holds cannot answer them, the local index
 * can. The query runs restricted to the folder and gives back the files
 * that match; the view (folder.c) shows or searches those. An index that
 * does not exist, or does not hold the folder, is not made here: that
 * is `quail index`'s work or the UI's background update, and the user is
 * told so.
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

#define NEEDS_INDEX "full-text search needs the index: run quail index"

struct collect {
	const struct qu_cancel *cancel;
	char **v;
	size_t n, alloc;
};

static int
on_hit(void *ctx, const struct index_row *r, struct qu_err *err)
{
	struct collect *c = ctx;
	if (qu_cancel_check(c->cancel, err) < 0)
		return -1;
	if (!r->path)
		return 0;
	c->v = xgrow(c->v, &c->alloc, c->n + 1, sizeof *c->v);
	c->v[c->n++] = xstrdup(r->path);
	return 0;
}

static bool
index_there(void)
{
	struct qu_err err = {0};
	char *db = index_default_path(&err);
	bool have = db && access(db, F_OK) == 0;
	free(db);
	return have;
}

struct app_match *
app_view_fts(const char *folder, const char *pattern, uint64_t total,
	const struct qu_cancel *cancel, struct qu_err *err)
{
	if (store_kind(folder) != STORE_KIND_MAILDIR || !index_there()) {
		qu_err_set(err, QU_E_NOINPUT, NEEDS_INDEX);
		return NULL;
	}
	char *abs = realpath(folder, NULL);
	if (!abs) {
		qu_err_sys(err, QU_E_NOINPUT, errno, "%s", folder);
		return NULL;
	}
	struct index *ix = index_open(NULL, INDEX_OPEN_QUICK, err);
	uint64_t held = 0, pending = 0;
	struct collect c = {.cancel = cancel};
	long rc = -1;
	if (ix && index_count(ix, abs, NULL, &held, err) == 0 &&
		index_text_pending(ix, abs, UINT64_MAX, &pending, err) == 0) {
		if (held == 0 || held < total)
			qu_err_set(err, QU_E_NOINPUT, NEEDS_INDEX);
		else if (pending > 0)
			/* Their rows are in, their text not yet: an answer
			 * now would leave them out without a word. */
			qu_err_set(err, QU_E_NOINPUT,
				"full-text search: the text of %llu messages is still being"
				" indexed", (unsigned long long)pending);
		else
			rc = index_search(ix, abs, pattern, INDEX_SORT_OLDEST, 0, UINT64_MAX, on_hit,
				&c, err);
	}
	index_free(ix);
	free(abs);
	if (rc < 0) {
		for (size_t i = 0; i < c.n; i++)
			free(c.v[i]);
		free(c.v);
		return NULL;
	}
	return app_match_new(c.v, c.n);
}
