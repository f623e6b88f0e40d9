/*
 * `quail sync`: two-way IMAP and Maildir (SPEC §10).
 *
 * Layout as `quail fetch` (SPEC §5): IMAP folder A/B is the Maildir
 * DIR/A/B (imap_mailbox_relpath), INBOX is DIR/INBOX, and the flags map
 * as in app_sync_flags_from_imap. Each folder pair has its own state,
 * DIR/.quail/sync-<folder> (sync_state.c): UIDVALIDITY, UIDNEXT,
 * HIGHESTMODSEQ, and per message its UID, its Maildir unique name and the
 * flags both sides had at the last sync. One run at a time holds
 * DIR/.quail/sync.lock.
 *
 * This file chooses the folders (the named ones, or with --all-folders
 * every folder of either side: one that exists on one side only is made
 * on the other), loads every folder's state and Maildir listing first (so
 * a file moved here from one synced folder into another is seen as a move
 * before either is synced; a Maildir unchanged since the state, by the
 * record of its directories, is not listed: unchanged_here) and every
 * folder's STATUS in one flight (status_all), then syncs the folders one
 * by one. A folder whose record and state summary (sync_state.c) show
 * this side unchanged has only its state's header read at first
 * (summary_here); its entries are read when STATUS shows a change on the
 * server, so a run with nothing to do reads no entries at all
 * (sync_folder.c describes the steps and why an interruption anywhere is
 * safe). A folder deleted on one side is made again there, and its
 * messages copied; with --delete-folders it is deleted on the other side
 * instead when that copy is unchanged since the last sync (folder_deleted).
 *
 * Trust: a state file that is missing, damaged, of another version, or of
 * another UIDVALIDITY holds no pairings, and without pairings nothing can
 * be deleted: every message is then paired by content (SHA-256 of its
 * bytes without CRs; the Message-ID is among those bytes) and copied where
 * it is missing. Flags of messages paired so are merged as a union.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "imap/imap.h"
#include "app/private.h"
#include "app/imap_private.h"
#include "app/sync_private.h"

#define LOCK_NAME "sync"
/* Folders below DIR are looked for this deep. */
#define WALK_DEPTH 16

void
app_sync_note(struct app_sync_run *run, const char *fmt, ...)
{
	if (!run->o->note)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	run->o->note(run->o->note_ctx, line);
	free(line);
}

/* ---- lookups ---------------------------------------------------------- */

static int
cmp_base(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

static int
cmp_file(const void *a, const void *b)
{
	const struct app_sync_file *x = a, *y = b;
	return cmp_base(x->base, x->base_len, y->base, y->base_len);
}

struct app_sync_file *
app_sync_file_find(struct app_sync_folder *f, const char *base, size_t n)
{
	size_t lo = 0, hi = f->n_files;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp_base(f->files[mid].base, f->files[mid].base_len, base, n);
		if (c == 0)
			return &f->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool
app_sync_state_has_name(const struct app_sync_folder *f, const char *base, size_t n)
{
	size_t lo = 0, hi = f->n_names;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = cmp_base(f->names[mid], strlen(f->names[mid]), base, n);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* ---- a folder's local side -------------------------------------------- */

int
app_sync_folder_list(struct app_sync_folder *f, struct qu_err *err)
{
	f->listed = true;
	struct qu_err e2;
	struct maildir *md = maildir_open(f->path, false, &e2);
	if (!md)
		return 0; /* no Maildir here yet */
	f->on_local = true;
	struct maildir_iter *it = maildir_iter_new(md, err);
	if (!it) {
		maildir_free(md);
		return -1;
	}
	size_t cap = 0, plen = strlen(f->path);
	struct maildir_entry me;
	while (maildir_iter_next(it, &me)) {
		f->files = xgrow(f->files, &cap, f->n_files + 1, sizeof *f->files);
		struct app_sync_file *file = &f->files[f->n_files++];
		*file = (struct app_sync_file){.rel = xstrdup(me.path + plen + 1), .flags = me.flags};
		file->base_len = app_maildir_base(file->rel, &file->base);
	}
	maildir_iter_free(it);
	maildir_free(md);
	if (f->n_files > 1) /* files is NULL for an empty folder: qsort's UB */
		qsort(f->files, f->n_files, sizeof *f->files, cmp_file);
	return 0;
}

/* True when the Maildir need not be listed: the record says it held the
 * state's files while cur/ and new/ were as they are now. The record is
 * written (sync_folder.c) only when the listing matched the state, the
 * directories were already settled when it began and were the same after
 * the run, so no change can hide behind an equal ctime. */
static bool
unchanged_here(struct app_sync_run *run, struct app_sync_folder *f, struct qu_err *err)
{
	if (!f->st.trusted || !f->d0.ok)
		return false;
	int k = app_sync_dirs_load(run->dir, f->sname, &f->rec, err);
	if (k <= 0) {
		qu_err_clear(err); /* a cache: without it the Maildir is listed */
		return false;
	}
	f->has_rec = true;
	struct app_sync_dirs_rec now;
	app_sync_dirs_rec_of(&f->st, &f->d0, &now);
	return app_sync_dirs_rec_same(&f->rec, &now);
}

/* Reads f's whole state and lists its Maildir unless the record shows it
 * unchanged (f->d0 was taken before). */
static int
load_state(struct app_sync_run *run, struct app_sync_folder *f, struct qu_err *err)
{
	app_sync_state_clear(&f->st);
	f->summary_only = false;
	f->has_rec = false;
	f->on_local = false;
	if (app_sync_state_load(run->dir, f->sname, &f->st, err) < 0)
		return -1;
	struct app_sync_summary s;
	struct qu_err e2;
	qu_err_clear(&e2);
	if (!run->o->dry_run && f->st.trusted &&
	    app_sync_summary_load(run->dir, f->sname, &s, &e2) == 0)
		app_sync_summary_save_loaded(run->dir, f->sname, &f->st, &e2); /* a cache */
	if (unchanged_here(run, f, err))
		f->on_local = true;
	else if (app_sync_folder_list(f, err) < 0)
		return -1;
	f->names = xcalloc(f->st.n + 1, sizeof *f->names);
	for (size_t i = 0; i < f->st.n; i++)
		f->names[f->n_names++] = xstrdup(f->st.v[i].name); /* st changes */
	qsort(f->names, f->n_names, sizeof *f->names, cmp_str);
	return 0;
}

/* True when the summary of f's state (sync_state.c) is of the state file
 * as it is, and the record of the directories is of that same state and
 * of cur/ and new/ as they are: this side is as the last run left it, and
 * only the header is needed unless the server changed. */
static bool
summary_here(struct app_sync_run *run, struct app_sync_folder *f)
{
	struct app_sync_summary s;
	struct app_sync_dirs_rec r;
	struct qu_err e2; /* a cache: any doubt reads the whole state */
	qu_err_clear(&e2);
	if (!f->d0.ok || app_sync_summary_load(run->dir, f->sname, &s, &e2) <= 0 ||
	    app_sync_dirs_load(run->dir, f->sname, &r, &e2) <= 0)
		return false;
	if (r.uidvalidity != s.uidvalidity || r.uidnext != s.uidnext || r.modseq != s.modseq ||
	    r.n != s.n || r.sum != s.sum || !app_sync_dirs_same(&r.d, &f->d0))
		return false;
	f->st = (struct app_sync_state){.trusted = true, .uidvalidity = s.uidvalidity,
					.uidnext = s.uidnext, .modseq = s.modseq};
	f->summary_only = true;
	f->summary_n = s.n;
	f->rec = r;
	f->has_rec = true;
	f->on_local = true;
	return true;
}

static int
load_folder(struct app_sync_run *run, struct app_sync_folder *f, struct qu_err *err)
{
	/* Before the listing: a change after it gets a later ctime. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	app_sync_dirs_stat(f->path, &f->d0);
	f->d0_settled = app_sync_dirs_settled(&f->d0, (int64_t)now.tv_sec);
	if (summary_here(run, f))
		return 0;
	return load_state(run, f, err);
}

static void
folder_clear(struct app_sync_folder *f)
{
	for (size_t i = 0; i < f->n_files; i++)
		free(f->files[i].rel);
	free(f->files);
	for (size_t i = 0; i < f->n_names; i++)
		free((char *)f->names[i]);
	free(f->names);
	app_sync_state_clear(&f->st);
	free(f->name);
	free(f->wire);
	free(f->path);
	free(f->sname);
}

/* ---- choosing folders ------------------------------------------------- */

struct folders {
	struct app_sync_folder *v;
	size_t n, cap;
	char delim;
};

static struct app_sync_folder *
folder_named(struct folders *fs, const char *name, size_t n)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].name_len == n && memcmp(fs->v[i].name, name, n) == 0)
			return &fs->v[i];
	return NULL;
}

/* Adds the folder (UTF-8 name) once; NULL when its name cannot be sent. */
static struct app_sync_folder *
folder_add(struct app_sync_run *run, struct folders *fs, const char *name, size_t n)
{
	struct app_sync_folder *f = folder_named(fs, name, n);
	if (f)
		return f;
	char *z = xstrndup(name, n);
	char *wire = memchr(name, '\0', n) ? NULL : imap_session_wire_name(run->c->s, z);
	free(z);
	if (!wire)
		return NULL;
	fs->v = xgrow(fs->v, &fs->cap, fs->n + 1, sizeof *fs->v);
	f = &fs->v[fs->n++];
	char *rel = imap_mailbox_relpath(name, n, fs->delim);
	*f = (struct app_sync_folder){.name = xstrndup(name, n), .name_len = n, .wire = wire,
				      .wire_len = strlen(wire),
				      .path = xasprintf("%s/%s", run->dir, rel),
				      .sname = app_sync_state_name(name, n)};
	free(rel);
	return f;
}

/* A local folder's name from its path below DIR: each component %XX-
 * decoded and joined with the server's delimiter. It counts only when
 * imap_mailbox_relpath gives the same path back (else it is not a folder
 * quail could have made, e.g. a component holding the delimiter). */
static char *
name_of_rel(const char *rel, char delim)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (const char *p = rel; *p; p++) {
		unsigned h, l;
		if (*p == '/' && delim)
			qu_buf_append_byte(&b, delim);
		else if (*p == '%' && sscanf(p + 1, "%1x%1x", &h, &l) == 2) {
			qu_buf_append_byte(&b, (char)(h * 16 + l));
			p += 2;
		} else
			qu_buf_append_byte(&b, *p);
	}
	char *name = qu_buf_steal(&b, NULL);
	char *back = imap_mailbox_relpath(name, strlen(name), delim);
	if (strcmp(back, rel) != 0 || !qu_utf8_valid(name, strlen(name))) {
		free(name);
		name = NULL;
	}
	free(back);
	return name;
}

static bool
is_maildir(const char *path)
{
	struct stat sb;
	char *c = xasprintf("%s/cur", path), *n = xasprintf("%s/new", path);
	bool yes = (stat(c, &sb) == 0 && S_ISDIR(sb.st_mode)) ||
		   (stat(n, &sb) == 0 && S_ISDIR(sb.st_mode));
	free(c);
	free(n);
	return yes;
}

/* The Maildirs below DIR/rel (depth-first), each as a folder. */
static void
walk_local(struct app_sync_run *run, struct folders *fs, const char *rel, int depth)
{
	char *path = rel[0] ? xasprintf("%s/%s", run->dir, rel) : xstrdup(run->dir);
	DIR *d = depth < WALK_DEPTH ? opendir(path) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *n = de->d_name;
		if (n[0] == '.' || !strcmp(n, "cur") || !strcmp(n, "new") || !strcmp(n, "tmp"))
			continue;
		char *sub = rel[0] ? xasprintf("%s/%s", rel, n) : xstrdup(n);
		char *full = xasprintf("%s/%s", run->dir, sub);
		struct stat sb;
		if (lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			char *name = is_maildir(full) ? name_of_rel(sub, fs->delim) : NULL;
			if (name)
				folder_add(run, fs, name, strlen(name));
			free(name);
			walk_local(run, fs, sub, depth + 1);
		}
		free(full);
		free(sub);
	}
	if (d)
		closedir(d);
	free(path);
}

/* What tells whether a folder changed on the server (RFC 7162 §3.1.6). */
#define STATUS_ITEMS                                                                        \
	(IMAP_MB_HAVE_UIDVALIDITY | IMAP_MB_HAVE_UIDNEXT | IMAP_MB_HAVE_HIGHESTMODSEQ |     \
	 IMAP_MB_HAVE_MESSAGES)

void
app_sync_status_keep(struct app_sync_folder *f, const struct imap_mailbox_status *st)
{
	f->srv_known = (st->have & STATUS_ITEMS) == STATUS_ITEMS;
	f->srv_uidvalidity = st->uidvalidity;
	f->srv_uidnext = st->uidnext;
	f->srv_messages = st->messages;
	f->srv_modseq = st->highestmodseq;
}

static bool
has_modseq(struct app_sync_run *run)
{
	return imap_session_enabled(run->c->s) & (IMAP_ENABLE_CONDSTORE | IMAP_ENABLE_QRESYNC);
}

/* One pipelined STATUS flight for the folders that may turn out unchanged
 * and have no STATUS yet (no LIST-STATUS, or not in the listing): each
 * folder's own check then needs no round trip. */
static int
status_all(struct app_sync_run *run, struct folders *fs, struct qu_err *err)
{
	if (!has_modseq(run))
		return 0;
	const char **w = xcalloc(fs->n + 1, sizeof *w);
	size_t *wl = xcalloc(fs->n + 1, sizeof *wl), *which = xcalloc(fs->n + 1, sizeof *which);
	size_t n = 0;
	for (size_t i = 0; i < fs->n; i++) {
		struct app_sync_folder *f = &fs->v[i];
		if (f->srv_known || !f->on_server || !f->st.trusted || !f->st.modseq)
			continue;
		w[n] = f->wire;
		wl[n] = f->wire_len;
		which[n++] = i;
	}
	struct imap_mailbox_status *st = xcalloc(n + 1, sizeof *st);
	bool *fail = xcalloc(n + 1, sizeof *fail);
	int rc = n ? imap_session_status_many(run->c->s, w, wl, n, STATUS_ITEMS, st, fail, err) : 0;
	for (size_t k = 0; rc == 0 && k < n; k++)
		if (!fail[k])
			app_sync_status_keep(&fs->v[which[k]], &st[k]);
	free(w);
	free(wl);
	free(which);
	free(st);
	free(fail);
	return rc;
}

static int
choose_folders(struct app_sync_run *run, struct folders *fs, struct qu_err *err)
{
	struct imap_list l = {0};
	/* With --all-folders every folder's STATUS comes with the listing
	 * where LIST-STATUS is offered (RFC 5819); named folders get theirs
	 * in status_all, so a large account is not asked about every one. */
	unsigned items = run->o->all_folders && has_modseq(run) ? STATUS_ITEMS : 0;
	if (imap_session_list(run->c->s, "", "*", 0, items, &l, err) < 0)
		return -1;
	fs->delim = '/';
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].delim) {
			fs->delim = l.v[i].delim;
			break;
		}
	size_t nf = run->o->n_folders;
	if (run->o->all_folders) {
		for (size_t i = 0; i < l.n; i++) {
			if (l.v[i].attrs & (IMAP_LIST_NOSELECT | IMAP_LIST_NONEXISTENT))
				continue;
			struct app_sync_folder *f = folder_add(run, fs, l.v[i].name, l.v[i].name_len);
			if (f) {
				f->on_server = true;
				app_sync_status_keep(f, &l.v[i].status);
			}
		}
		walk_local(run, fs, "", 0);
	} else {
		for (size_t i = 0; i < (nf ? nf : 1); i++) {
			const char *name = nf ? run->o->folders[i] : "INBOX";
			if (!qu_utf8_valid(name, strlen(name)) ||
			    !folder_add(run, fs, name, strlen(name))) {
				imap_list_clear(&l);
				return qu_err_set(err, QU_E_USAGE, "--folder %s: not valid UTF-8",
						  name);
			}
		}
		for (size_t i = 0; i < l.n; i++) {
			struct app_sync_folder *f = folder_named(fs, l.v[i].name, l.v[i].name_len);
			if (f && !(l.v[i].attrs & (IMAP_LIST_NOSELECT | IMAP_LIST_NONEXISTENT)))
				f->on_server = true;
		}
	}
	imap_list_clear(&l);
	for (size_t i = 0; i < fs->n; i++) {
		/* INBOX always exists on the server (RFC 3501 §5.1). */
		if (!strcmp(fs->v[i].name, "INBOX"))
			fs->v[i].on_server = true;
		if (load_folder(run, &fs->v[i], err) < 0)
			return -1;
	}
	return status_all(run, fs, err);
}

/* True when f, read from its summary only, is unchanged on the server as
 * well (its STATUS: RFC 7162 §3.1.6, as app_sync_server_unchanged): there
 * is nothing to do, and its entries are never read. */
static bool
summary_unchanged(struct app_sync_run *run, const struct app_sync_folder *f)
{
	return f->summary_only && f->on_server && f->on_local && has_modseq(run) &&
	       f->st.modseq && f->srv_known && f->srv_uidvalidity == f->st.uidvalidity &&
	       f->srv_uidnext == f->st.uidnext && f->srv_modseq == f->st.modseq &&
	       f->srv_messages == f->summary_n;
}

/* ---- --delete-folders ------------------------------------------------- */

/* Removes DIR/.quail/<sname> and its record: the folder is no longer
 * synced. */
static int
forget_folder(struct app_sync_run *run, const struct app_sync_folder *f, struct qu_err *err)
{
	char *p = xasprintf("%s/.quail/%s", run->dir, f->sname);
	char *d = xasprintf("%s.dirs", p), *m = xasprintf("%s.sum", p);
	int rc = 0;
	if ((unlink(m) < 0 && errno != ENOENT) || (unlink(p) < 0 && errno != ENOENT) ||
	    (unlink(d) < 0 && errno != ENOENT))
		rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", p);
	free(p);
	free(d);
	free(m);
	return rc;
}

/* True when the folder's directory holds cur/ and new/ (and an empty tmp/)
 * only: no subfolder, no delivery under way. */
static bool
plain_maildir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool ok = d != NULL;
	while (ok && (de = readdir(d))) {
		const char *n = de->d_name;
		ok = !strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "cur") || !strcmp(n, "new") ||
		     !strcmp(n, "tmp");
	}
	if (d)
		closedir(d);
	char *tmp = xasprintf("%s/tmp", path);
	DIR *t = ok ? opendir(tmp) : NULL;
	while (t && (de = readdir(t)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			ok = false;
	if (t)
		closedir(t);
	free(tmp);
	return ok;
}

/* Removes a renamed Maildir: its files, cur/ new/ tmp/, itself. */
static void
remove_tree(const char *path, int depth)
{
	DIR *d = depth < 2 ? opendir(path) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *p = xasprintf("%s/%s", path, de->d_name);
		struct stat sb;
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			remove_tree(p, depth + 1);
		else
			unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

/* Gone from the server, unchanged here: the Maildir is first renamed into
 * DIR/.quail/ (one atomic step: a kill leaves it whole or gone from the
 * folder tree), then the state is dropped and the files removed. */
static int
delete_here(struct app_sync_run *run, struct app_sync_folder *f, struct qu_err *err)
{
	if (!app_sync_local_unchanged(f) || !plain_maildir(f->path))
		return 0;
	app_sync_note(run, "- here folder %s", f->name);
	if (run->o->dry_run)
		return 1;
	char *trash = xasprintf("%s/.quail/deleted-%s", run->dir, f->sname);
	remove_tree(trash, 0); /* a leftover of an interrupted run */
	int rc = 1;
	if (rename(f->path, trash) < 0)
		rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", f->path);
	if (rc == 1 && forget_folder(run, f, err) < 0)
		rc = -1;
	if (rc == 1)
		remove_tree(trash, 0);
	free(trash);
	return rc;
}

/* Gone here, unchanged on the server: DELETE there (RFC 3501 §6.3.4). */
static int
delete_there(struct app_sync_run *run, struct app_sync_folder *f, struct qu_err *err)
{
	/* The STATUS taken with the LIST at the start of the run may be
	 * minutes old by now: mail delivered since must keep the folder, so
	 * ask again right before deleting. */
	f->srv_known = false;
	int same = app_sync_server_unchanged(run, f, err);
	if (same <= 0)
		return same;
	app_sync_note(run, "- server folder %s", f->name);
	if (run->o->dry_run)
		return 1;
	if (imap_session_delete(run->c->s, f->wire, f->wire_len, err) < 0)
		return -1;
	return forget_folder(run, f, err) < 0 ? -1 : 1;
}

/* --delete-folders: a folder whose state says a run saw it on both sides
 * (a sound state exists only then), now on one side only, is deleted on
 * the other when that copy is unchanged since; otherwise (or without the
 * option) it is made again. INBOX is never deleted. Returns 1 when the
 * folder was deleted (or would be, in a dry run), 0 to sync it. */
static int
folder_deleted(struct app_sync_run *run, struct app_sync_folder *f, struct qu_err *err)
{
	if (!run->o->delete_folders || !f->st.trusted || f->on_server == f->on_local ||
	    !strcmp(f->name, "INBOX"))
		return 0;
	return f->on_local ? delete_here(run, f, err) : delete_there(run, f, err);
}

/* ---- the run ---------------------------------------------------------- */

static int
sync_all(struct app_sync_run *run, struct qu_err *err)
{
	struct folders fs = {0};
	int rc = choose_folders(run, &fs, err);
	/* INBOX first (sync_folder.c) */
	app_sync_inbox_first(fs.v, fs.n);
	run->v = fs.v;
	run->n = fs.n;
	if (rc == 0)
		app_sync_find_moves(run);
	for (size_t i = 0; rc == 0 && i < fs.n; i++) {
		rc = qu_cancel_check(run->net ? run->net->cancel : NULL, err);
		if (rc == 0 && summary_unchanged(run, &fs.v[i])) {
			run->r->folders++;
			continue;
		}
		if (rc == 0 && fs.v[i].summary_only)
			rc = load_state(run, &fs.v[i], err);
		if (rc == 0)
			rc = folder_deleted(run, &fs.v[i], err);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc == 0 && fs.v[i].st.trusted && (!fs.v[i].on_local || !fs.v[i].on_server)) {
			/* Gone from one side and not deleted: made again there with
			 * every message. Its state would read the missing copy as
			 * every message deleted, so it pairs by content instead. */
			app_sync_state_clear(&fs.v[i].st);
		}
		if (rc == 0)
			rc = app_sync_folder_run(run, i, err);
		if (rc < 0 && err->cls != QU_E_CANCELED)
			qu_err_prefix(err, "%s", fs.v[i].name);
		if (rc == 0)
			run->r->folders++;
	}
	for (size_t i = 0; i < fs.n; i++)
		folder_clear(&fs.v[i]);
	free(fs.v);
	run->v = NULL;
	run->n = 0;
	return rc;
}

int
app_sync(const struct cfg_account *a, const struct app_sync_opts *o, const struct app_net *net,
	 struct app_sync_result *r, struct qu_err *err)
{
	struct qu_err local;
	if (!err)
		err = &local;
	memset(r, 0, sizeof *r);
	const char *dir = o->dir ? o->dir : a->maildir;
	if (!dir || !*dir)
		return qu_err_set(err, QU_E_CONFIG, "no Maildir: give -o DIR or set maildir =");
	if (o->all_folders && o->n_folders)
		return qu_err_set(err, QU_E_USAGE, "give --folder or --all-folders, not both");
	if (store_mkdir_p(dir, 0700, err) < 0)
		return -1;
	int lock = app_fetch_lock(dir, LOCK_NAME, err);
	if (lock < 0)
		return -1;
	struct app_imap c;
	int rc = app_imap_connect(a, net, &c, err);
	if (rc == 0) {
		struct app_sync_run run = {.o = o, .net = net, .r = r, .dir = dir, .c = &c};
		qu_buf_init(&run.pend, SIZE_MAX);
		rc = sync_all(&run, err);
		qu_buf_clear(&run.pend);
		if (rc < 0) {
			app_imap_fail(&c, err);
		} else {
			/* Every reply was read: LOGOUT's own is not waited for. */
			imap_session_quit(c.s);
			c.s = NULL;
		}
		app_imap_close(&c);
	}
	app_index_after_change(dir, !o->dry_run && r->loc_add + r->loc_del + r->loc_upd,
			       net ? net->cancel : NULL, &r->index_warning);
	close(lock);
	return rc;
}
