/*
 * The folders under an account's Maildir root, for the folder browser
 * and the sidebar (SPEC §8). fetch lays a root out as DIR/INBOX and
 * DIR/A/B (SPEC §5); other tools leave Maildir++ folders (DIR/.Name, the
 * root itself then being INBOX) and mbox files beside them, so all three
 * are found.
 *
 * Counting reads directory names only: a Maildir's flags live in its
 * file names, so no message is opened and a folder of 100k messages
 * costs two readdir passes. That is what the index would have to do too
 * to know that its counts are still current.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "app/app.h"

/* Deep enough for any real hierarchy; a bound all the same, since a
 * root may hold anything. */
#define MAX_DEPTH 32
/* And at most this many directories: a root given by mistake (a home
 * directory) ends the walk early instead of reading the whole disk. */
#define MAX_DIRS 4096

struct walk {
	const char *root;
	const struct qu_cancel *cancel;
	struct app_local_folders *out;
	size_t alloc;
	struct {
		uint64_t dev, ino;
	} *seen;
	size_t nseen, seen_alloc;
};

/* Marks a directory visited; false when it was already, which is how
 * a symbolic link back up the tree (or to a sibling) is not followed
 * twice. Linear: a root holds tens or hundreds of folders, not more. */
static bool
visit(struct walk *w, const struct stat *st)
{
	if (w->nseen >= MAX_DIRS)
		return false;
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == (uint64_t)st->st_dev &&
			w->seen[i].ino == (uint64_t)st->st_ino)
			return false;
	w->seen = xgrow(w->seen, &w->seen_alloc, w->nseen + 1, sizeof *w->seen);
	w->seen[w->nseen].dev = (uint64_t)st->st_dev;
	w->seen[w->nseen].ino = (uint64_t)st->st_ino;
	w->nseen++;
	return true;
}

/* A Maildir has cur/ and new/ as directories. */
static bool
is_maildir(const char *path)
{
	static const char *const subs[] = {"cur", "new"};
	for (size_t i = 0; i < QU_ARRAY_LEN(subs); i++) {
		char *p = xasprintf("%s/%s", path, subs[i]);
		struct stat st;
		int rc = stat(p, &st);
		free(p);
		if (rc < 0 || !S_ISDIR(st.st_mode))
			return false;
	}
	return true;
}

/* An mbox starts with a From_ line (RFC 4155); other files in a root
 * (state, indexes, notes) do not. Only five bytes are read. */
static bool
is_mbox_file(const char *path)
{
	struct qu_err err = {0};
	int fd = store_open_regular(path, &err);
	if (fd < 0)
		return false;
	char head[5];
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	return n == 5 && memcmp(head, "From ", 5) == 0;
}

static void
add(struct walk *w, const char *name, const char *path, enum app_local_kind kind,
	const struct stat *st)
{
	struct app_local_folders *o = w->out;
	o->v = xgrow(o->v, &w->alloc, o->n + 1, sizeof *o->v);
	o->v[o->n++] = (struct app_local_folder){
		.name = xstrdup(name),
		.path = xstrdup(path),
		.kind = kind,
		.dev = (uint64_t)st->st_dev,
		.ino = (uint64_t)st->st_ino,
	};
}

static int walk_dir(struct walk *w, const char *rel, int depth, bool in_maildir,
	struct qu_err *err);

/* One entry of a directory being walked. */
static int
walk_entry(struct walk *w, const char *rel, const char *name, int depth, bool in_maildir,
	struct qu_err *err)
{
	if (in_maildir && (!strcmp(name, "cur") || !strcmp(name, "new") || !strcmp(name, "tmp")))
		return 0;
	char *crel = rel[0] ? xasprintf("%s/%s", rel, name) : xstrdup(name);
	char *path = xasprintf("%s/%s", w->root, crel);
	struct stat st;
	int rc = 0;
	if (stat(path, &st) < 0) {
		/* gone meanwhile, or a dangling link: not a folder */
	} else if (S_ISDIR(st.st_mode)) {
		bool md = is_maildir(path);
		/* A dot directory is a Maildir++ folder or private state
		 * (.quail, .notmuch): never walked into. */
		if (visit(w, &st) && (name[0] != '.' || md)) {
			if (md)
				add(w, crel, path, APP_LOCAL_MAILDIR, &st);
			if (name[0] != '.' && depth + 1 < MAX_DEPTH)
				rc = walk_dir(w, crel, depth + 1, md, err);
		}
	} else if (S_ISREG(st.st_mode) && name[0] != '.' && is_mbox_file(path)) {
		add(w, crel, path, APP_LOCAL_MBOX, &st);
	}
	free(path);
	free(crel);
	return rc;
}

static int
walk_dir(struct walk *w, const char *rel, int depth, bool in_maildir, struct qu_err *err)
{
	char *path = rel[0] ? xasprintf("%s/%s", w->root, rel) : xstrdup(w->root);
	DIR *d = opendir(path);
	if (!d) {
		int e = errno;
		int rc = 0;
		if (depth == 0)
			rc = qu_err_sys(err,
				e == ENOENT || e == ENOTDIR ? QU_E_NOINPUT : QU_E_IOERR, e, "%s",
				path);
		free(path);
		return rc; /* a subdirectory we may not read is left out */
	}
	free(path);
	/* Names first: the walk recurses, and a DIR stays open meanwhile
	 * only one level at a time. */
	char **names = NULL;
	size_t n = 0, alloc = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xgrow(names, &alloc, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && qu_cancel_check(w->cancel, err) < 0)
			rc = -1;
		if (rc == 0)
			rc = walk_entry(w, rel, names[i], depth, in_maildir, err);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
rank(const char *name)
{
	return name[0] == '\0' ? 0 : strcmp(name, "INBOX") == 0 ? 1 : 2;
}

static int
cmp_folder(const void *a, const void *b)
{
	const struct app_local_folder *x = a, *y = b;
	int rx = rank(x->name), ry = rank(y->name);
	if (rx != ry)
		return rx - ry;
	return strcmp(x->name, y->name);
}

int
app_local_folders_list(const char *root, const struct qu_cancel *cancel, bool count,
	struct app_local_folders *out, struct qu_err *err)
{
	memset(out, 0, sizeof *out);
	struct walk w = {.root = root, .cancel = cancel, .out = out};
	struct stat st;
	if (stat(root, &st) < 0) {
		int e = errno;
		return qu_err_sys(err, e == ENOENT ? QU_E_NOINPUT : QU_E_IOERR, e, "%s", root);
	}
	visit(&w, &st);
	bool md = S_ISDIR(st.st_mode) && is_maildir(root);
	if (md) /* Maildir++: the root is INBOX */
		add(&w, "", root, APP_LOCAL_MAILDIR, &st);
	int rc = walk_dir(&w, "", 0, md, err);
	free(w.seen);
	if (rc == 0 && out->n)
		qsort(out->v, out->n, sizeof *out->v, cmp_folder);
	if (rc == 0 && count)
		rc = app_local_folders_count(out, NULL, cancel, err);
	if (rc < 0)
		app_local_folders_clear(out);
	return rc;
}

/* ---- counting ---------------------------------------------------------- */

/* Names in dir (dot files are not messages); with unread, those whose
 * Maildir info has no S (seen) flag too. */
static int
count_names(const char *dir, size_t *total, size_t *unread, struct qu_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s", dir);
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		(*total)++;
		if (!unread)
			continue;
		const char *info = strstr(de->d_name, ":2,");
		if (!info || !strchr(info + 3, 'S'))
			(*unread)++;
	}
	closedir(d);
	return 0;
}

/* An mbox message is read when its header has a Status: field with R
 * (the convention of mbox readers since mail(1)). */
static bool
mbox_msg_read(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (p + i)) : n - i;
		if (len == 0 || (len == 1 && p[i] == '\r'))
			return false; /* the header ends */
		if (len > 7 && strncasecmp(p + i, "Status:", 7) == 0 &&
			memchr(p + i + 7, 'R', len - 7))
			return true;
		i += len + 1;
	}
	return false;
}

/* A directory modified this recently may change again within the
 * file system's timestamp granularity without its mtime moving: its
 * counts are not reused (mutt's Maildir check has the same caveat). */
#define SETTLED_NS (2 * INT64_C(1000000000))

static int64_t
mtime_ns(const char *path, int64_t now_ns)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;
	int64_t t = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return now_ns - t < SETTLED_NS ? 0 : t;
}

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The modification times that say whether f changed since counted. */
static void
stamps(const struct app_local_folder *f, int64_t *mnew, int64_t *mcur)
{
	int64_t now = now_ns();
	if (f->kind == APP_LOCAL_MBOX) {
		*mnew = *mcur = mtime_ns(f->path, now);
		return;
	}
	char *nd = xasprintf("%s/new", f->path), *cd = xasprintf("%s/cur", f->path);
	*mnew = mtime_ns(nd, now);
	*mcur = mtime_ns(cd, now);
	free(nd);
	free(cd);
}

int
app_local_folders_count(struct app_local_folders *l, const struct app_local_folders *prev,
	const struct qu_cancel *cancel, struct qu_err *err)
{
	for (size_t i = 0; i < l->n; i++) {
		if (qu_cancel_check(cancel, err) < 0)
			return -1;
		struct app_local_folder *f = &l->v[i];
		const struct app_local_folder *p = NULL;
		for (size_t k = 0; prev && k < prev->n && !p; k++)
			if (prev->v[k].dev == f->dev && prev->v[k].ino == f->ino &&
				prev->v[k].counted)
				p = &prev->v[k];
		if (p && p->mtime_new && p->mtime_cur) {
			int64_t mnew, mcur;
			stamps(f, &mnew, &mcur);
			if (mnew == p->mtime_new && mcur == p->mtime_cur) {
				f->total = p->total;
				f->unread = p->unread;
				f->has_new = p->has_new;
				f->mtime_new = mnew;
				f->mtime_cur = mcur;
				f->counted = true;
				continue;
			}
		}
		struct qu_err cerr = {0};
		app_local_folder_count(f, &cerr); /* an uncounted folder shows as such */
	}
	return 0;
}

void
app_local_folders_copy(struct app_local_folders *to, const struct app_local_folders *l)
{
	to->n = l->n;
	to->v = l->n ? xmalloc(l->n * sizeof *to->v) : NULL;
	for (size_t i = 0; i < l->n; i++) {
		to->v[i] = l->v[i];
		to->v[i].name = xstrdup(l->v[i].name);
		to->v[i].path = xstrdup(l->v[i].path);
	}
}

int
app_local_folder_count(struct app_local_folder *f, struct qu_err *err)
{
	size_t total = 0, unread = 0, fresh = 0, dummy = 0;
	f->counted = false;
	/* Taken before reading: a change during the count moves them. */
	stamps(f, &f->mtime_new, &f->mtime_cur);
	if (f->kind == APP_LOCAL_MBOX) {
		struct mbox *mb = mbox_open(f->path, err);
		if (!mb)
			return -1;
		struct mbox_msg m;
		while (mbox_next(mb, &m)) {
			total++;
			unread += !mbox_msg_read(m.p, m.len);
		}
		mbox_free(mb);
	} else {
		char *nd = xasprintf("%s/new", f->path), *cd = xasprintf("%s/cur", f->path);
		int rc = count_names(nd, &fresh, NULL, err);
		if (rc == 0)
			rc = count_names(cd, &total, &dummy, err);
		free(nd);
		free(cd);
		if (rc < 0)
			return -1;
		unread = dummy + fresh;
		total += fresh;
	}
	f->total = total;
	f->unread = unread;
	f->has_new = f->kind == APP_LOCAL_MAILDIR ? fresh > 0 : unread > 0;
	f->counted = true;
	return 0;
}

size_t
app_local_folders_find(const struct app_local_folders *l, const char *path)
{
	struct stat st;
	if (!path || stat(path, &st) < 0)
		return SIZE_MAX;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].dev == (uint64_t)st.st_dev && l->v[i].ino == (uint64_t)st.st_ino)
			return i;
	return SIZE_MAX;
}

void
app_local_folders_clear(struct app_local_folders *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].path);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool
app_local_is_mbox(const char *path)
{
	return path && store_kind(path) == STORE_KIND_MBOX;
}
