/*
 * Rows that follow files renamed or removed by other programs. A Maildir
 * file keeps its unique name (the part before ":2,") for life; its flags
 * and its directory change with every reader (another quail, mbsync, a
 * webmail sync, mv). The view finds its messages by that unique name: a
 * table from unique name to message slot tells new mail from a known
 * file in O(1) on the UI thread (SPEC §8: no pass over a folder of
 * 100,000 messages per delivery), and a file gone from where the row says
 * is looked for again in cur/ and new/ before a message is opened.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"
#include "store/store.h"
#include "app/app.h"
#include "app/folder_private.h"

/* What a file name says; the rest of a row's flags (tag, attachment) are
 * the view's own. */
#define NAME_FLAGS                                                                                 \
	(APP_MSG_SEEN | APP_MSG_FLAGGED | APP_MSG_REPLIED | APP_MSG_DELETED | APP_MSG_DRAFT |       \
		APP_MSG_NEW)

static const char *
base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static size_t
unique_len(const char *name)
{
	const char *colon = strchr(name, ':');
	return colon ? (size_t)(colon - name) : strlen(name);
}

/* FNV-1a over the unique part of path's base name. */
static uint64_t
unique_hash(const char *path, const char **u, size_t *n)
{
	*u = base_of(path);
	*n = unique_len(*u);
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < *n; i++)
		h = (h ^ (unsigned char)(*u)[i]) * 1099511628211u;
	return h;
}

static bool
same_unique(const char *path, const char *u, size_t n)
{
	const char *b = base_of(path);
	return strncmp(b, u, n) == 0 && unique_len(b) == n;
}

bool
app_same_unique(const char *a, const char *b)
{
	const char *u = base_of(b);
	return same_unique(a, u, unique_len(u));
}

/* ---- the table -------------------------------------------------------- */

/* Open addressing over message slots (slot + 1, 0 for empty), at most half
 * full; the key is read from the message's path, so the table holds no
 * strings of its own and a rename by a flag change (same unique name)
 * leaves it right. */
struct app_uniq {
	uint32_t *v;
	size_t cap, used;
	size_t upto; /* messages [0, upto) of the array are in it */
};

static void
uniq_put(struct app_uniq *t, const struct app_msg *msgs, uint32_t slot)
{
	const char *u;
	size_t n;
	size_t i = (size_t)unique_hash(msgs[slot].path, &u, &n) & (t->cap - 1);
	while (t->v[i])
		i = (i + 1) & (t->cap - 1);
	t->v[i] = slot + 1;
	t->used++;
}

static void
uniq_grow(struct app_uniq *t, const struct app_msg *msgs, size_t want)
{
	if (t->cap && (t->used + want) * 2 <= t->cap)
		return;
	size_t cap = t->cap ? t->cap : 64;
	while (cap < (t->used + want) * 2)
		cap *= 2;
	uint32_t *old = t->v;
	size_t oldcap = t->cap;
	t->v = xcalloc(cap, sizeof *t->v);
	t->cap = cap;
	t->used = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			uniq_put(t, msgs, old[i] - 1);
	free(old);
}

/* The first slot of msgs in t whose file has path's unique name, else
 * APP_MSG_NONE. A row that left the view holds its name no more: a file
 * that comes back under it (moved out and back by another program) is
 * new mail, not hidden behind the gone row. */
static uint32_t
uniq_get(const struct app_uniq *t, const struct app_msg *msgs, const char *path)
{
	if (!t || !t->cap)
		return APP_MSG_NONE;
	const char *u;
	size_t n;
	size_t i = (size_t)unique_hash(path, &u, &n) & (t->cap - 1);
	for (; t->v[i]; i = (i + 1) & (t->cap - 1)) {
		const struct app_msg *m = &msgs[t->v[i] - 1];
		if (m->path && !(m->flags & GONE_FLAG) && same_unique(m->path, u, n))
			return t->v[i] - 1;
	}
	return APP_MSG_NONE;
}

static void
uniq_free(struct app_uniq *t)
{
	if (t)
		free(t->v);
	free(t);
}

void
app_uniq_reset(struct app_view *f)
{
	uniq_free(f->uniq);
	f->uniq = NULL;
}

void
app_uniq_update(struct app_view *f)
{
	if (f->is_mbox || f->page)
		return; /* an mbox has no names; a page's rows are replaced */
	if (!f->uniq)
		f->uniq = xcalloc(1, sizeof *f->uniq);
	struct app_uniq *t = f->uniq;
	if (t->upto > f->n) { /* the rows were replaced */
		app_uniq_reset(f);
		app_uniq_update(f);
		return;
	}
	uniq_grow(t, f->msgs, f->n - t->upto);
	for (; t->upto < f->n; t->upto++)
		if (f->msgs[t->upto].path)
			uniq_put(t, f->msgs, (uint32_t)t->upto);
}

/* ---- finding a file again --------------------------------------------- */

/* The file in dir (a Maildir's cur/ or new/) named like unique u[0..n). */
static char *
find_in(const char *dir, const char *u, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char *out = NULL;
	struct dirent *e;
	while (!out && (e = readdir(d)))
		if (e->d_name[0] != '.' && same_unique(e->d_name, u, n))
			out = xasprintf("%s/%s", dir, e->d_name);
	closedir(d);
	return out;
}

int
app_maildir_find_unique(const char *maildir, const char *name, char **found)
{
	*found = NULL;
	const char *u = base_of(name);
	size_t n = unique_len(u);
	if (n == 0 || u[0] == '.')
		return 0;
	/* Another reader moves new/ to cur/ and renames within cur/: cur/
	 * first, one listing of each. */
	static const char *const subdirs[] = {"cur", "new"};
	for (size_t i = 0; i < 2 && !*found; i++) {
		char *dir = xasprintf("%s/%s", maildir, subdirs[i]);
		*found = find_in(dir, u, n);
		free(dir);
	}
	return *found ? 1 : 0;
}

/* The flags a file name at path gives (new/: none read yet). */
static unsigned
flags_of_path(const char *path)
{
	const char *b = base_of(path);
	bool in_new = b - path >= 4 && strncmp(b - 4, "new/", 4) == 0;
	if (in_new)
		return APP_MSG_NEW;
	unsigned mf = maildir_flags_parse(b), out = 0;
	out |= mf & MAILDIR_FLAG_SEEN ? APP_MSG_SEEN : 0;
	out |= mf & MAILDIR_FLAG_FLAGGED ? APP_MSG_FLAGGED : 0;
	out |= mf & MAILDIR_FLAG_REPLIED ? APP_MSG_REPLIED : 0;
	out |= mf & MAILDIR_FLAG_TRASHED ? APP_MSG_DELETED : 0;
	out |= mf & MAILDIR_FLAG_DRAFT ? APP_MSG_DRAFT : 0;
	return out;
}

/* m now lives at path (a string of f's): its name's flags replace the
 * ones the old name gave. */
static void
take_path(struct app_msg *m, char *path)
{
	m->path = path;
	m->flags = (m->flags & ~NAME_FLAGS) | flags_of_path(path);
}

int
app_view_locate(struct app_view *f, size_t id, struct qu_err *err)
{
	if (app_view_gone(f, id))
		return qu_err_set(err, QU_E_NOINPUT, "no such message");
	struct app_msg *m = &f->msgs[id];
	struct stat st;
	if (f->is_mbox || !m->path || stat(m->path, &st) == 0)
		return 0;
	if (errno != ENOENT && errno != ENOTDIR)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s", m->path);
	char *found;
	if (app_maildir_find_unique(f->path, m->path, &found) == 1) {
		take_path(m, app_strs_dup(&f->strs, found, false));
		free(found);
		if (f->limit_pat)
			app_view_relimit(f); /* a limit on flags may see it otherwise */
		return 1;
	}
	/* Deleted, or moved to another folder: the row goes. */
	app_view_drop(f, &id, 1);
	return qu_err_set(err, QU_E_NOINPUT,
		"The message is gone: another program deleted it or moved it out of this folder.");
}

/* ---- new mail and renames seen by the watch ---------------------------- */

/* A file of the batch whose unique name the view holds at slot s: a file
 * another program renamed (flags set elsewhere, or new/ moved to cur/)
 * moves the row to it. The view's own renames show up here too, with the
 * row already at that name; and a row whose file is still there is right
 * (the event is older than a later rename of the view's). */
static bool
adopt(struct app_view *f, uint32_t s, const struct app_msg *nm)
{
	struct app_msg *m = &f->msgs[s];
	if (app_view_gone(f, s) || strcmp(m->path, nm->path) == 0)
		return false;
	struct stat st;
	if (stat(m->path, &st) == 0)
		return false;
	take_path(m, app_strs_dup(&f->strs, nm->path, false));
	return true;
}

size_t
app_view_take_new(struct app_view *f, struct app_view_batch *b, size_t *renamed)
{
	*renamed = 0;
	if (f->page || f->is_mbox) {
		/* Not read through yet: the read lists these files itself. */
		app_view_batch_free(b);
		return 0;
	}
	app_uniq_update(f);
	/* The batch's own duplicates (new/K read before another reader
	 * moved it to cur/K:2,S, then that too) by a table of its own. */
	struct app_uniq mine = {0};
	uniq_grow(&mine, b->v, b->n);
	size_t keep = 0;
	for (size_t i = 0; i < b->n; i++) {
		uint32_t s = uniq_get(f->uniq, f->msgs, b->v[i].path);
		if (s != APP_MSG_NONE) {
			*renamed += adopt(f, s, &b->v[i]);
			continue;
		}
		if (uniq_get(&mine, b->v, b->v[i].path) != APP_MSG_NONE)
			continue;
		b->v[keep] = b->v[i];
		uniq_put(&mine, b->v, (uint32_t)keep);
		keep++;
	}
	free(mine.v);
	b->n = keep;
	if (*renamed && f->limit_pat)
		app_view_relimit(f);
	if (keep == 0) {
		app_view_batch_free(b);
		return 0;
	}
	app_view_add(f, b);
	return keep;
}

/* The file rel ("cur/NAME" or "new/NAME" as the watch names it) when the
 * watch may name it: one component, no dot file. */
static bool
watch_name(const char *rel)
{
	if (!rel || (strncmp(rel, "cur/", 4) != 0 && strncmp(rel, "new/", 4) != 0))
		return false;
	const char *name = rel + 4;
	return *name && name[0] != '.' && !strchr(name, '/');
}

size_t
app_view_follow(struct app_view *f, char **names, size_t *n)
{
	if (f->page || f->is_mbox || !f->uniq)
		return 0; /* not read through: the worker's batch decides */
	size_t keep = 0, moved = 0;
	for (size_t i = 0; i < *n; i++) {
		char *rel = names[i];
		uint32_t s = watch_name(rel) ? uniq_get(f->uniq, f->msgs, rel) : APP_MSG_NONE;
		if (s == APP_MSG_NONE) {
			names[keep++] = rel;
			continue;
		}
		/* Known: no file to read. Only a file that is there now is
		 * taken (a name seen in passing may be gone already). */
		char *path = xasprintf("%s/%s", f->path, rel);
		struct stat st;
		struct app_msg nm = {.path = path};
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			moved += adopt(f, s, &nm);
		free(path);
		free(rel);
	}
	*n = keep;
	if (moved && f->limit_pat)
		app_view_relimit(f);
	return moved;
}
