/* `quail index` and `quail search` (SPEC §9): the index with the Maildir
 * roots of the config, and search results in the shape people and scripts
 * read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util/util.h"
#include "config/config.h"
#include "index/index.h"
#include "app/app.h"

static bool
exists(const char *path)
{
	struct stat sb;
	return path && stat(path, &sb) == 0;
}

static void
add_path(char ***v, size_t *n, size_t *alloc, const char *p)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], p) == 0)
			return;
	*v = xgrow(*v, alloc, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(p);
}

size_t
app_index_default_paths(const struct cfg *c, char ***out)
{
	char **v = NULL;
	size_t n = 0, alloc = 0;
	for (size_t i = 0; c && i < c->n_accounts; i++)
		if (exists(c->accounts[i].maildir))
			add_path(&v, &n, &alloc, c->accounts[i].maildir);
	if (!c || c->n_accounts == 0) {
		char *home = getenv("HOME") ? xasprintf("%s/Mail", getenv("HOME")) : NULL;
		const char *dflt = c && c->maildir ? c->maildir : home;
		if (exists(dflt))
			add_path(&v, &n, &alloc, dflt);
		free(home);
	}
	*out = v;
	return n;
}

static void
free_paths(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Opens the index and updates it with o's paths (or the defaults, plus
 * extra when not NULL). Returns the open index, or NULL. */
static struct index *
open_updated(const struct cfg *c, const struct app_index_opts *o, const char *extra,
	struct index_stats *st, struct qu_err *err)
{
	struct index *ix = index_open(o->db, o->rebuild ? INDEX_OPEN_REBUILD : 0, err);
	if (!ix)
		return NULL;
	char **defs = NULL;
	size_t ndefs = 0;
	const char *const *paths = o->paths;
	size_t n = o->n_paths;
	if (n == 0) {
		size_t alloc = 0;
		ndefs = app_index_default_paths(c, &defs);
		alloc = ndefs;
		if (extra && exists(extra))
			add_path(&defs, &ndefs, &alloc, extra);
		paths = (const char *const *)defs;
		n = ndefs;
	}
	struct index_update_opts uo = {
		.cancel = o->cancel,
		.progress = o->progress,
		.progress_ctx = o->progress_ctx,
	};
	int r = index_update(ix, paths, n, &uo, st, err);
	free_paths(defs, ndefs);
	if (r < 0) {
		index_free(ix);
		return NULL;
	}
	return ix;
}

int
app_index_update(const struct cfg *c, const struct app_index_opts *o, struct index_stats *st,
	int64_t *elapsed_ms, struct qu_err *err)
{
	int64_t t0 = qu_now_ms();
	struct index *ix = open_updated(c, o, NULL, st, err);
	if (elapsed_ms)
		*elapsed_ms = qu_now_ms() - t0;
	if (!ix)
		return -1;
	index_free(ix);
	return 0;
}

/* SPEC §6: a display name that holds '@' could pass for an address, so
 * the real address goes beside it. */
static char *
sender_text(const struct index_row *r)
{
	const char *name = r->from_name, *addr = r->from_addr;
	if (!name || !*name)
		return addr ? xstrdup(addr) : NULL;
	if (!addr || !*addr)
		return xstrdup(name);
	if (strchr(name, '@') || strchr(name, '<') || strchr(name, '>'))
		return xasprintf("%s <%s>", name, addr);
	return xstrdup(name);
}

struct search_ctx {
	app_search_fn fn;
	void *ctx;
};

static int
on_row(void *ctx, const struct index_row *r, struct qu_err *err)
{
	struct search_ctx *s = ctx;
	struct app_search_hit h = {.row = r};
	h.date[0] = '\0';
	if (r->has_date) {
		time_t t = (time_t)r->date;
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(h.date, sizeof h.date, "%Y-%m-%d %H:%M", &tm);
	}
	char *sender = sender_text(r);
	h.sender = sender;
	int rc = s->fn(s->ctx, &h, err);
	free(sender);
	return rc;
}

long
app_search(const struct cfg *c, const struct app_search_opts *o, app_search_fn fn, void *ctx,
	struct qu_err *err)
{
	/* A folder given as a path is named by its absolute path in the
	 * index; one outside the configured roots is indexed on the way. */
	char *folder = NULL;
	if (o->folder && strchr(o->folder, '/')) {
		folder = realpath(o->folder, NULL);
		if (!folder) {
			qu_err_sys(err, QU_E_NOINPUT, errno, "%s", o->folder);
			return -1;
		}
	}
	struct index_stats st;
	struct index *ix = open_updated(c, &o->index, folder, &st, err);
	long n = -1;
	if (ix) {
		struct search_ctx s = {fn, ctx};
		n = index_search(ix, folder ? folder : o->folder, o->query, o->sort, 0,
			o->limit ? o->limit : UINT64_MAX, on_row, &s, err);
		index_free(ix);
	}
	free(folder);
	return n;
}
