/* Finding the folders under a path: a Maildir, a root of Maildirs (the
 * fetch layout ROOT/INBOX, ROOT/A/B, and Maildir++ ROOT/.A.B), or an
 * mbox file (SPEC §9). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"
#include "store/store.h"

#include "index/private.h"
#include "index/walk.h"

/* Deeper trees are not walked (a loop made by bind mounts, or junk). */
#define WALK_DEPTH_MAX 24

void
index_folders_clear(struct index_folders *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		free(fl->v[i].path);
		free(fl->v[i].name);
	}
	free(fl->v);
	memset(fl, 0, sizeof *fl);
}

static void
add(struct index_folders *fl, const char *path, const char *name, int kind)
{
	fl->v = xgrow(fl->v, &fl->alloc, fl->n + 1, sizeof *fl->v);
	fl->v[fl->n].path = xstrdup(path);
	fl->v[fl->n].name = xstrdup(name);
	fl->v[fl->n].kind = kind;
	fl->n++;
}

static bool
is_dir(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool
is_maildir(const char *path)
{
	char *cur = xasprintf("%s/cur", path), *nw = xasprintf("%s/new", path);
	bool r = is_dir(cur) || is_dir(nw);
	free(cur);
	free(nw);
	return r;
}

/* The shown name of a subfolder at rel below the root: Maildir++ ".A.B"
 * is "A/B"; the fetch layout's "A/B" stays. */
static char *
shown_name(const char *rel)
{
	if (rel[0] != '.' || strchr(rel, '/'))
		return xstrdup(rel);
	char *s = xstrdup(rel + 1);
	for (char *p = s; *p; p++)
		if (*p == '.')
			*p = '/';
	return s;
}

static int
walk_dir(struct index_folders *fl, const char *path, const char *rel, int depth,
	struct qu_err *err)
{
	if (depth > WALK_DEPTH_MAX)
		return 0;
	DIR *dp = opendir(path);
	if (!dp)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(dp)) != NULL) {
		const char *nm = de->d_name;
		/* tmp/ holds unfinished deliveries; .quail is fetch state and
		 * .outbox the queue of unsent mail, neither is a folder. */
		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 || strcmp(nm, "cur") == 0 ||
			strcmp(nm, "new") == 0 || strcmp(nm, "tmp") == 0 ||
			strcmp(nm, ".quail") == 0 || strcmp(nm, ".outbox") == 0)
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue; /* symbolic links are not followed inside a root */
		char *sub = xasprintf("%s/%s", path, nm);
		char *srel = rel[0] ? xasprintf("%s/%s", rel, nm) : xstrdup(nm);
		struct stat sb;
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (is_maildir(sub)) {
				char *shown = shown_name(srel);
				add(fl, sub, shown, 0);
				free(shown);
			}
			r = walk_dir(fl, sub, srel, depth + 1, err);
		}
		free(sub);
		free(srel);
	}
	closedir(dp);
	return r;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

int
index_walk(const char *path, struct index_folders *fl, struct qu_err *err)
{
	enum store_kind k = store_kind(path);
	if (k == STORE_KIND_MBOX) {
		add(fl, path, base_name(path), 1);
		return 0;
	}
	if (k == STORE_KIND_MAILDIR) {
		/* A Maildir++ root is itself the inbox. */
		add(fl, path, base_name(path), 0);
		return walk_dir(fl, path, "", 1, err);
	}
	if (k == STORE_KIND_OTHER && is_dir(path))
		return walk_dir(fl, path, "", 0, err);
	return qu_err_set(err, QU_E_NOINPUT, "%s: no Maildir, folder of Maildirs or mbox there",
		path);
}
