/* Keeping the local index current from the places that change Maildirs
 * (SPEC §9: "Fetch, sync and the UI keep it current"). Each works only
 * on an index file that already exists: a user who never ran `quail
 * index` or `quail search` gets none made behind their back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"
#include "index/index.h"
#include "app/app.h"

/* The database path (db, or the default) when that file exists; NULL
 * otherwise, err untouched unless no default path can be made. */
static char *
existing_db(const char *db, struct qu_err *err)
{
	char *p = db ? xstrdup(db) : index_default_path(err);
	struct stat sb;
	if (p && stat(p, &sb) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* path ("DIR/cur/NAME") with DIR made absolute and symlink-free, as the
 * index names folders; DIR must exist. NULL with NOINPUT otherwise. */
static char *
canonical(const char *path, struct qu_err *err)
{
	const char *base = strrchr(path, '/');
	const char *sub = base;
	if (base)
		for (sub = base; sub > path && sub[-1] != '/'; sub--)
			;
	if (!base || sub <= path) {
		qu_err_set(err, QU_E_NOINPUT, "%s: not a file in a Maildir", path);
		return NULL;
	}
	char *dir = xstrndup(path, (size_t)(sub - 1 - path));
	char *abs = realpath(dir[0] ? dir : "/", NULL);
	int e = errno;
	free(dir);
	if (!abs) {
		qu_err_sys(err, QU_E_NOINPUT, e, "%s", path);
		return NULL;
	}
	char *r = xasprintf("%s/%s", abs, sub);
	free(abs);
	return r;
}

long
app_index_renamed_pairs(const char *db, char *const *pairs, size_t n, struct qu_err *err)
{
	struct qu_err derr = {0};
	char *dbp = existing_db(db, &derr);
	if (!dbp)
		return 0;
	char **abs = xcalloc(2 * n + 1, sizeof *abs);
	size_t k = 0;
	while (k < 2 * n && (abs[k] = canonical(pairs[k], err)) != NULL)
		k++;
	long rc = -1;
	if (k == 2 * n) {
		struct index *ix = index_open(dbp, INDEX_OPEN_QUICK, err);
		if (ix) {
			rc = index_rename_pairs(ix, (const char *const *)abs, n, err);
			index_free(ix);
		}
	}
	for (size_t i = 0; i < k; i++)
		free(abs[i]);
	free(abs);
	free(dbp);
	return rc;
}

int
app_index_renamed(const char *db, const char *from, const char *to, struct qu_err *err)
{
	char *const pair[] = {(char *)from, (char *)to};
	return (int)app_index_renamed_pairs(db, pair, 1, err);
}

void
app_index_after_change(const char *dir, bool changed, const struct qu_cancel *cancel,
	struct qu_err *warning)
{
	struct qu_err derr = {0};
	char *dbp = changed && dir && !qu_cancel_fired(cancel) ? existing_db(NULL, &derr) : NULL;
	if (!dbp)
		return;
	char *root = realpath(dir, NULL);
	struct qu_err err = {0};
	struct index *ix = root ? index_open(dbp, 0, &err) : NULL;
	int held = ix ? index_holds(ix, root, &err) : 0;
	if (held > 0) {
		const char *paths[] = {root};
		struct index_update_opts o = {.cancel = cancel};
		held = index_update(ix, paths, 1, &o, NULL, &err) < 0 ? -1 : 1;
	}
	/* A cancel stops the update where it is (what is written stays
	 * consistent; the next run finds the rest): no news for the user. */
	if ((held < 0 || (root && !ix)) && err.cls != QU_E_CANCELED && warning) {
		*warning = err;
		qu_err_prefix(warning, "index");
	}
	index_free(ix);
	free(root);
	free(dbp);
}
