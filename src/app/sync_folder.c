/*
 * `quail sync`: one folder pair (SPEC §10). The steps, in order:
 *
 *   1. SELECT, and UID FETCH 1:* (UID FLAGS): what the server holds now.
 *      With QRESYNC and a sound state, SELECT (QRESYNC (uidvalidity
 *      modseq)) brings only what changed since (RFC 7162 §3.2.5.1): the
 *      rest is as the state says (list_delta), checked by the count.
 *   2. Each message the state knows is decided by app_sync_decide: gone
 *      here (or trashed) -> deleted on the server, gone there -> removed
 *      here, moved into another synced folder -> UID MOVE.
 *   3. Server messages the state does not know are downloaded, newest
 *      first (UID FETCH of descending ranges, the first one small); each
 *      is first compared (SHA-256 of its bytes without CRs) with the local
 *      files the state does not know, and one with the same bytes is
 *      paired with it instead of stored twice. The others are stored in
 *      batches (maildir_batch: one fsync per file, one per directory) and
 *      recorded once a batch is durable. The state records UIDs as a set,
 *      so a run killed here leaves the newest stored, the rest to come.
 *   4. Local files still unknown are APPENDed (flags, and the file's time
 *      as the internal date); APPENDUID names their UID.
 *   5. Flags are merged (app_sync_merge_flags) and pushed with UID STORE,
 *      UNCHANGEDSINCE the listing's HIGHESTMODSEQ where CONDSTORE is on
 *      (RFC 7162 §3.1.3): a message changed meanwhile keeps its old state
 *      for the bits pushed and is merged again on the next run.
 *   6. The state is compacted to what both sides hold now.
 *
 * Each step that adds or removes a pairing is appended to the folder's
 * state journal as soon as it is done (in batches of a few). A kill
 * between a step and its journal entry is harmless: a message stored or
 * appended but not recorded is unknown on both sides and is paired by
 * content on the next run (never copied again); one deleted on one side
 * but not recorded is gone from that side and is deleted on the other
 * or forgotten, as the run meant to; a flag pushed but not recorded is
 * the same on both sides next time, which the merge takes as agreement.
 */
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

#define JOURNAL_BATCH 256
/* Downloads: the first UID FETCH asks for FETCH_FIRST of the newest
 * messages (today's mail is on disk within a second), each next one for
 * twice as many, up to FETCH_MAX. The messages are stored in batches of
 * at most STORE_MSGS or STORE_BYTES (each holds an open file till its
 * commit), one fsync per file and one per directory each. */
#define FETCH_FIRST 32
#define FETCH_MAX 256
#define STORE_MSGS 256
#define STORE_BYTES (16u << 20)
/* The index (when there is one) is brought up to date after a stored
 * batch at most this often, and at most a fifth of the time. */
#define INDEX_EVERY_MS 2000

struct srv_msg {
	uint32_t uid;
	unsigned flags; /* Maildir bits */
	bool claimed;   /* known to the state or paired */
	size_t seq;     /* the order listed (srv_sort) */
};

/* A message on both sides whose flags are merged at the end. */
struct keep {
	uint32_t uid;
	struct app_sync_file *file;
	unsigned last, local, server;
	bool known;
};

struct fctx {
	struct app_sync_run *run;
	struct app_sync_folder *f;
	struct imap_session *s;
	struct maildir *md;
	struct srv_msg *srv;
	size_t n_srv, cap_srv;
	struct keep *keep;
	size_t n_keep, cap_keep;
	uint64_t modseq; /* HIGHESTMODSEQ at the listing, 0 without CONDSTORE */
	bool dry;
	bool clean0; /* this side held exactly the state's files at the listing */
	/* QRESYNC (RFC 7162 §3.2.5): the SELECT brought the changes since the
	 * state's HIGHESTMODSEQ; srv holds those changed, gone the vanished */
	bool delta;
	uint32_t uidnext0; /* UIDNEXT at the SELECT, 0: not known */
	struct app_sync_range *gone;
	size_t n_gone;
	/* the download under way */
	struct maildir_delivery *d;
	struct qu_sha256 h;
	uint32_t d_uid;
	/* the downloads stored but not yet committed: batch's messages, in
	 * the order added, are the server's UIDs dl (flags as stored) */
	struct maildir_batch *batch;
	struct dl_item {
		uint32_t uid;
		unsigned flags;
	} *dl;
	size_t n_dl, cap_dl;
	int64_t index_at, index_gap; /* ms: the last index update, the wait */
};

/* ---- the journal ------------------------------------------------------ */

static int
journal_flush(struct app_sync_run *run, struct qu_err *err)
{
	if (!run->n_pend)
		return 0;
	int rc = store_journal_append(run->j, run->pend.data, run->pend.len, err);
	run->journaled = true;
	qu_buf_reset(&run->pend);
	run->n_pend = 0;
	return rc;
}

/* Adds one step (already applied to the state in memory). */
static int
journal_step(struct app_sync_run *run, const struct qu_buf *step, struct qu_err *err)
{
	if (run->n_pend)
		qu_buf_append_byte(&run->pend, '\t');
	qu_buf_append(&run->pend, step->data, step->len);
	if (++run->n_pend < JOURNAL_BATCH)
		return 0;
	return journal_flush(run, err);
}

static int
record_pair(struct fctx *x, uint32_t uid, unsigned flags, const char *base, size_t n,
	    struct qu_err *err)
{
	app_sync_state_set(&x->f->st, uid, flags, base, n);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	app_sync_line_m(&b, uid, flags, base, n);
	int rc = journal_step(x->run, &b, err);
	qu_buf_clear(&b);
	return rc;
}

static int
record_gone(struct fctx *x, uint32_t uid, struct qu_err *err)
{
	app_sync_state_drop(&x->f->st, uid);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_printf(&b, "X %u", (unsigned)uid);
	int rc = journal_step(x->run, &b, err);
	qu_buf_clear(&b);
	return rc;
}

static int
check_cancel(struct fctx *x, struct qu_err *err)
{
	return qu_cancel_check(x->run->net ? x->run->net->cancel : NULL, err);
}

/* ---- the server's listing --------------------------------------------- */

static int
on_list(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r, struct qu_err *err)
{
	(void)r;
	(void)err;
	struct fctx *x = ctx;
	if (!m->uid || !m->has_flags)
		return 0;
	if (x->n_srv && x->srv[x->n_srv - 1].uid == m->uid) {
		x->srv[x->n_srv - 1].flags = app_sync_flags_from_imap(m->flags);
		return 0;
	}
	x->srv = xgrow(x->srv, &x->cap_srv, x->n_srv + 1, sizeof *x->srv);
	x->srv[x->n_srv++] = (struct srv_msg){m->uid, app_sync_flags_from_imap(m->flags), false, 0};
	return 0;
}

static int
cmp_srv(const void *a, const void *b)
{
	const struct srv_msg *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static struct srv_msg *
srv_find(struct fctx *x, uint32_t uid)
{
	if (!x->n_srv)
		return NULL;
	struct srv_msg key = {.uid = uid};
	return bsearch(&key, x->srv, x->n_srv, sizeof *x->srv, cmp_srv);
}

/* A FETCH or VANISHED (EARLIER) that a QRESYNC SELECT brought. */
static int
on_select_event(void *ctx, const struct imap_event *ev, struct qu_err *err)
{
	struct fctx *x = ctx;
	if (ev->kind == IMAP_EVENT_FETCH && ev->msg)
		return on_list(ctx, ev->msg, NULL, err);
	if (ev->kind == IMAP_EVENT_VANISHED) {
		struct app_sync_range *v;
		size_t n;
		if (app_sync_uidset_parse(ev->uids, &v, &n) < 0) {
			x->delta = false; /* not understood: the full listing */
			return 0;
		}
		x->gone = xrealloc(x->gone, (x->n_gone + n) * sizeof *x->gone);
		memcpy(x->gone + x->n_gone, v, n * sizeof *v);
		x->n_gone += n;
		free(v);
	}
	return 0;
}

/* Sorts srv by UID; a UID listed twice (a change in between) counts once,
 * the last one listed wins (a stable pass after the sort keeps order
 * among equals by the sequence field). */
static int
cmp_srv_seq(const void *a, const void *b)
{
	const struct srv_msg *x = a, *y = b;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
srv_sort(struct fctx *x)
{
	for (size_t i = 0; i < x->n_srv; i++)
		x->srv[i].seq = i;
	qsort(x->srv, x->n_srv, sizeof *x->srv, cmp_srv_seq);
	size_t o = 0;
	for (size_t i = 0; i < x->n_srv; i++) {
		if (o && x->srv[o - 1].uid == x->srv[i].uid)
			x->srv[o - 1] = x->srv[i];
		else
			x->srv[o++] = x->srv[i];
	}
	x->n_srv = o;
}

/* The server's listing from the QRESYNC SELECT: every message the state
 * knows, less the vanished, with the flags of the last sync unless the
 * SELECT said they changed (each change since the state's HIGHESTMODSEQ
 * came as a FETCH: our own stores of the last run too), and the messages
 * from the state's UIDNEXT on. It must count what the SELECT counted;
 * else (a message the state does not know, e.g. one appended without
 * APPENDUID, or mail arriving meanwhile) 0 asks for the full listing. */
static int
list_delta(struct fctx *x, const struct imap_mailbox_status *sel, struct qu_err *err)
{
	const struct app_sync_state *st = &x->f->st;
	const struct imap_fetch_handler h = {.msg = on_list};
	if ((sel->have & IMAP_MB_HAVE_UIDNEXT) && sel->uidnext > st->uidnext && st->uidnext) {
		char set[24];
		snprintf(set, sizeof set, "%u:*", (unsigned)st->uidnext);
		if (imap_session_uid_fetch(x->s, set, "(UID FLAGS)", 0, &h, x, err) < 0)
			return -1;
	}
	size_t changed = x->n_srv;
	for (size_t i = 0; i < st->n; i++)
		if (!app_sync_in_ranges(x->gone, x->n_gone, st->v[i].uid)) {
			x->srv = xgrow(x->srv, &x->cap_srv, x->n_srv + 1, sizeof *x->srv);
			x->srv[x->n_srv++] = (struct srv_msg){.uid = st->v[i].uid,
							      .flags = st->v[i].flags};
		}
	/* The changes go after the state's entries: last wins. */
	struct srv_msg *tmp = xcalloc(x->n_srv + 1, sizeof *tmp);
	memcpy(tmp, x->srv + changed, (x->n_srv - changed) * sizeof *tmp);
	memcpy(tmp + (x->n_srv - changed), x->srv, changed * sizeof *tmp);
	free(x->srv);
	x->srv = tmp;
	x->cap_srv = x->n_srv + 1;
	srv_sort(x);
	size_t o = 0;
	for (size_t i = 0; i < x->n_srv; i++)
		if (!app_sync_in_ranges(x->gone, x->n_gone, x->srv[i].uid))
			x->srv[o++] = x->srv[i];
	x->n_srv = o;
	return (sel->have & IMAP_MB_HAVE_MESSAGES) && sel->messages == x->n_srv;
}

static int
list_server(struct fctx *x, const struct imap_mailbox_status *sel, struct qu_err *err)
{
	if (x->delta) {
		int rc = list_delta(x, sel, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
		app_sync_note(x->run, "* %s: listing all (the changes did not add up)", x->f->name);
	}
	x->n_srv = 0;
	x->delta = false;
	if ((sel->have & IMAP_MB_HAVE_MESSAGES) && sel->messages == 0)
		return 0;
	const struct imap_fetch_handler h = {.msg = on_list};
	if (imap_session_uid_fetch(x->s, "1:*", "(UID FLAGS)", 0, &h, x, err) < 0)
		return -1;
	srv_sort(x);
	return 0;
}

/* ---- deletions and moves ---------------------------------------------- */

static void
keep_add(struct fctx *x, uint32_t uid, struct app_sync_file *file, unsigned last, unsigned server,
	 bool known)
{
	x->keep = xgrow(x->keep, &x->cap_keep, x->n_keep + 1, sizeof *x->keep);
	x->keep[x->n_keep++] = (struct keep){uid, file, last, file->flags, server, known};
}

/* The synced folder (not f) where a file of f's state went: one of its
 * files that its own state does not know. */
static ssize_t
move_target(struct app_sync_run *run, const struct app_sync_folder *f, const char *base, size_t n)
{
	for (size_t i = 0; i < run->n; i++) {
		struct app_sync_folder *g = &run->v[i];
		if (g == f)
			continue;
		struct app_sync_file *file = app_sync_file_find(g, base, n);
		if (file && (!file->claimed || file->move_in) && !app_sync_state_has_name(g, base, n))
			return (ssize_t)i;
	}
	return -1;
}

void
app_sync_find_moves(struct app_sync_run *run)
{
	/* Before any folder is synced: the target must not APPEND the file
	 * that the source is about to MOVE on the server. */
	for (size_t i = 0; i < run->n; i++) {
		struct app_sync_folder *f = &run->v[i];
		/* Not listed: unchanged here, so nothing left it. */
		for (size_t k = 0; f->listed && f->st.trusted && k < f->st.n; k++) {
			const char *name = f->st.v[k].name;
			if (app_sync_file_find(f, name, strlen(name)))
				continue;
			ssize_t gi = move_target(run, f, name, strlen(name));
			if (gi >= 0) {
				struct app_sync_file *file =
					app_sync_file_find(&run->v[gi], name, strlen(name));
				file->claimed = file->move_in = true;
			}
		}
	}
}

/* Where the file of a state entry moved (app_sync_find_moves), or -1. */
static ssize_t
moved_to(struct fctx *x, const char *base, size_t n)
{
	ssize_t gi = move_target(x->run, x->f, base, n);
	if (gi < 0 || !x->run->v[gi].on_server)
		return -1;
	struct app_sync_file *file = app_sync_file_find(&x->run->v[gi], base, n);
	return file->move_in ? gi : -1;
}

/* A file thought moved whose source is gone from the server: the target
 * may APPEND it after all (now, or on the next run if it was synced). */
static void
unclaim_move(struct fctx *x, const char *base, size_t n)
{
	ssize_t gi = move_target(x->run, x->f, base, n);
	if (gi >= 0) {
		struct app_sync_file *file = app_sync_file_find(&x->run->v[gi], base, n);
		if (file->move_in)
			file->claimed = file->move_in = false;
	}
}

static char *
file_path(const struct app_sync_folder *f, const struct app_sync_file *file)
{
	return xasprintf("%s/%s", f->path, file->rel);
}

/* Appends one step to another folder's state file (a move's target). */
static int
record_elsewhere(struct fctx *x, struct app_sync_folder *g, uint32_t uid, unsigned flags,
		 const char *base, size_t n, struct qu_err *err)
{
	app_sync_state_set(&g->st, uid, flags, base, n);
	if (!g->st.trusted)
		return 0; /* its run pairs it by content */
	struct store_journal *j = store_journal_open(x->run->dir, g->sname, err);
	if (!j)
		return -1;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	app_sync_line_m(&b, uid, flags, base, n);
	int rc = store_journal_append(j, b.data, b.len, err);
	qu_buf_clear(&b);
	store_journal_free(j);
	return rc;
}

static int
do_move(struct fctx *x, const struct app_sync_entry *e, size_t gi, struct qu_err *err)
{
	struct app_sync_folder *g = &x->run->v[gi];
	struct app_sync_file *file = app_sync_file_find(g, e->name, strlen(e->name));
	file->claimed = true;
	file->move_in = false; /* done */
	app_sync_note(x->run, "> server %s -> %s: uid %u", x->f->name, g->name, (unsigned)e->uid);
	x->run->r->srv_upd++;
	if (x->dry)
		return 0;
	char set[16];
	snprintf(set, sizeof set, "%u", (unsigned)e->uid);
	struct imap_uidplus u = {0};
	bool move = imap_session_has_cap(x->s, "MOVE");
	g->srv_known = false; /* its STATUS is out of date from here on */
	if (imap_session_uid_copy(x->s, set, g->wire, g->wire_len, move, &u, err) < 0)
		return -1;
	uint64_t nu = 0;
	int rc = 0;
	if (u.dst && qu_parse_u64(u.dst, strlen(u.dst), UINT32_MAX, &nu) == 0 && nu &&
	    u.uidvalidity && u.uidvalidity == g->st.uidvalidity)
		rc = record_elsewhere(x, g, (uint32_t)nu, e->flags, e->name, strlen(e->name), err);
	imap_uidplus_clear(&u);
	if (rc == 0)
		rc = record_gone(x, e->uid, err);
	return rc;
}

/* UID STORE +FLAGS (\Deleted), then UID EXPUNGE of those UIDs only
 * (RFC 4315 §2.1); without UIDPLUS they stay flagged and known, so a
 * plain EXPUNGE by another client removes them. */
static int
delete_server(struct fctx *x, uint32_t *uids, size_t n, struct qu_err *err)
{
	if (!n || x->dry)
		return 0;
	struct qu_buf set;
	qu_buf_init(&set, SIZE_MAX);
	imap_uidset_format(&set, uids, n);
	int rc = imap_session_uid_store(x->s, set.data, '+', IMAP_FLAG_DELETED, err);
	bool uidplus = imap_session_has_cap(x->s, "UIDPLUS") ||
		       imap_session_has_cap(x->s, "IMAP4rev2");
	if (rc == 0 && uidplus)
		rc = imap_session_uid_expunge(x->s, set.data, err);
	qu_buf_clear(&set);
	for (size_t i = 0; rc == 0 && uidplus && i < n; i++) {
		struct app_sync_entry *e = app_sync_state_find(&x->f->st, uids[i]);
		struct app_sync_file *file =
			e ? app_sync_file_find(x->f, e->name, strlen(e->name)) : NULL;
		if (file) {
			/* The trashed copy here goes with it. */
			char *p = file_path(x->f, file);
			if (unlink(p) < 0 && errno != ENOENT)
				rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", p);
			free(p);
		}
		if (rc == 0)
			rc = record_gone(x, uids[i], err);
	}
	return rc;
}

static int
delete_local(struct fctx *x, const struct app_sync_entry *e, struct app_sync_file *file,
	     struct qu_err *err)
{
	app_sync_note(x->run, "- here %s: %s", x->f->name, e->name);
	x->run->r->loc_del++;
	if (x->dry)
		return 0;
	char *p = file_path(x->f, file);
	int rc = 0;
	if (unlink(p) < 0 && errno != ENOENT)
		rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", p);
	free(p);
	return rc ? rc : record_gone(x, e->uid, err);
}

/* Step 2: every message the state knows. */
static int
known_messages(struct fctx *x, struct qu_err *err)
{
	struct app_sync_state *st = &x->f->st;
	uint32_t *del = xcalloc(st->n + 1, sizeof *del);
	size_t n_del = 0;
	int rc = 0;
	/* Copied: the loop drops entries from st. */
	size_t n = st->n;
	struct app_sync_entry *v = xcalloc(n + 1, sizeof *v);
	if (n)
		memcpy(v, st->v, n * sizeof *v);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct app_sync_entry e = v[i];
		struct srv_msg *sm = srv_find(x, e.uid);
		struct app_sync_file *file = app_sync_file_find(x->f, e.name, strlen(e.name));
		ssize_t gi = -1;
		if (sm)
			sm->claimed = true;
		if (file)
			file->claimed = true;
		else if (sm)
			gi = moved_to(x, e.name, strlen(e.name));
		else
			unclaim_move(x, e.name, strlen(e.name));
		struct app_sync_case c = {.synced = true, .trusted = st->trusted, .local = file != NULL,
					  .local_trash = file && (file->flags & MAILDIR_FLAG_TRASHED),
					  .moved = gi >= 0, .server = sm != NULL};
		switch (app_sync_decide(&c)) {
		case APP_SYNC_KEEP:
			keep_add(x, e.uid, file, e.flags, sm->flags, true);
			break;
		case APP_SYNC_DELETE_SERVER:
			app_sync_note(x->run, "- server %s: uid %u", x->f->name, (unsigned)e.uid);
			x->run->r->srv_del++;
			del[n_del++] = e.uid;
			break;
		case APP_SYNC_DELETE_LOCAL:
			rc = delete_local(x, &e, file, err);
			break;
		case APP_SYNC_FORGET:
			rc = x->dry ? 0 : record_gone(x, e.uid, err);
			break;
		case APP_SYNC_MOVE:
			rc = do_move(x, &e, (size_t)gi, err);
			break;
		default:
			break;
		}
		if (rc == 0)
			rc = check_cancel(x, err);
	}
	if (rc == 0)
		rc = delete_server(x, del, n_del, err);
	free(v);
	free(del);
	return rc;
}

/* ---- downloads -------------------------------------------------------- */

static void
hash_nocr(struct qu_sha256 *h, const char *p, size_t n)
{
	/* CRs are left out: a message appended with CRLF and the same one
	 * stored with LF pair up. */
	while (n) {
		const char *cr = memchr(p, '\r', n);
		size_t k = cr ? (size_t)(cr - p) : n;
		qu_sha256_update(h, p, k);
		if (!cr)
			break;
		p += k + 1;
		n -= k + 1;
	}
}

static int
hash_file(struct app_sync_folder *f, struct app_sync_file *file, struct qu_err *err)
{
	char *p = file_path(f, file);
	struct store_map map;
	int rc = store_map_file(p, &map, err);
	free(p);
	if (rc < 0)
		return err->cls == QU_E_NOINPUT ? 0 : -1; /* gone since the listing */
	struct qu_sha256 h;
	qu_sha256_init(&h);
	hash_nocr(&h, map.p, map.len);
	qu_sha256_final(&h, file->hash);
	file->hashed = true;
	store_unmap(&map);
	return 0;
}

static int
on_dl_begin(void *ctx, const struct imap_fetch_msg *m, uint64_t size, struct qu_err *err)
{
	(void)size;
	struct fctx *x = ctx;
	maildir_delivery_abort(x->d);
	x->d = maildir_delivery_begin(x->md, err);
	if (!x->d)
		return -1;
	qu_sha256_init(&x->h);
	x->d_uid = m->uid;
	return 0;
}

static int
on_dl_data(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct fctx *x = ctx;
	hash_nocr(&x->h, p, n);
	return maildir_delivery_write(x->d, p, n, err);
}

static struct app_sync_file *
pair_find(struct fctx *x, const unsigned char hash[32])
{
	for (size_t i = 0; i < x->f->n_files; i++) {
		struct app_sync_file *file = &x->f->files[i];
		if (!file->claimed && file->hashed && memcmp(file->hash, hash, 32) == 0)
			return file;
	}
	return NULL;
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* After a stored batch: the index sees the new mail while the download
 * goes on (the UI shows it land), no more often than INDEX_EVERY_MS and
 * never for more than a fifth of the run. Without an index it costs a
 * stat. A warning is kept for the report, as the one at the end. */
static void
dl_index(struct fctx *x)
{
	int64_t t0 = now_ms();
	if (t0 - x->index_at < x->index_gap)
		return;
	struct qu_err w = {0};
	app_index_after_change(x->run->dir, true, x->run->net ? x->run->net->cancel : NULL, &w);
	if (w.cls && !x->run->r->index_warning.cls)
		x->run->r->index_warning = w;
	int64_t t1 = now_ms();
	x->index_at = t1;
	x->index_gap = 4 * (t1 - t0) > INDEX_EVERY_MS ? 4 * (t1 - t0) : INDEX_EVERY_MS;
}

/* Makes the batch of downloads durable, then records each in the state
 * (SPEC §10: a message is known to the state only once its file is on
 * disk). A kill before the commit leaves tmp files only (maildir_clean_tmp
 * removes them; the messages are downloaded again); one after it leaves
 * files the state does not know, which the next run pairs by content. */
static int
dl_commit(struct fctx *x, struct qu_err *err)
{
	size_t n = x->n_dl, placed = 0;
	if (!n)
		return 0;
	char **names = xcalloc(n, sizeof *names);
	int crc = maildir_batch_commit_names(x->batch, &placed, names, err);
	/* After a failed commit, those placed before it are still recorded
	 * (best effort: err keeps the commit's failure). */
	struct qu_err e2 = {0};
	struct qu_err *rerr = crc < 0 ? &e2 : err;
	int rc = 0;
	for (size_t i = 0; i < placed; i++) {
		const char *base;
		size_t bn = app_maildir_base(names[i], &base);
		if (rc == 0)
			rc = record_pair(x, x->dl[i].uid, x->dl[i].flags, base, bn, rerr);
		app_sync_note(x->run, "+ here %s: uid %u", x->f->name, (unsigned)x->dl[i].uid);
		x->run->r->loc_add++;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	x->n_dl = 0;
	if (rc == 0)
		rc = journal_flush(x->run, rerr);
	if (crc < 0)
		return -1;
	if (rc == 0 && placed)
		dl_index(x);
	return rc ? rc : check_cancel(x, err);
}

static int
on_dl_msg(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r, struct qu_err *err)
{
	(void)r;
	struct fctx *x = ctx;
	if (!x->d || !m->has_body || !m->uid || m->uid != x->d_uid)
		return 0;
	struct maildir_delivery *d = x->d;
	x->d = NULL;
	unsigned char hash[32];
	qu_sha256_final(&x->h, hash);
	unsigned flags = m->has_flags ? app_sync_flags_from_imap(m->flags) : 0;
	struct srv_msg *sm = srv_find(x, m->uid);
	if (sm)
		flags = m->has_flags ? flags : sm->flags;
	struct app_sync_file *file = pair_find(x, hash);
	if (file) {
		/* Stored here already (an earlier run, or the same mail on both
		 * sides): paired, flags merged as never synced. */
		maildir_delivery_abort(d);
		file->claimed = true;
		keep_add(x, m->uid, file, 0, flags, false);
		return record_pair(x, m->uid, file->flags & flags, file->base, file->base_len, err);
	}
	char fl[7];
	maildir_flags_format(flags, fl);
	if (maildir_batch_add_delivery(x->batch, d, fl, err) < 0)
		return -1;
	x->dl = xgrow(x->dl, &x->cap_dl, x->n_dl + 1, sizeof *x->dl);
	x->dl[x->n_dl++] = (struct dl_item){m->uid, flags};
	if (maildir_batch_count(x->batch) >= STORE_MSGS ||
	    maildir_batch_bytes(x->batch) >= STORE_BYTES)
		return dl_commit(x, err);
	return check_cancel(x, err);
}

/* Step 3: server messages the state does not know, newest first. */
static int
download_new(struct fctx *x, struct qu_err *err)
{
	uint32_t *uids = xcalloc(x->n_srv + 1, sizeof *uids);
	size_t n = 0;
	for (size_t i = x->n_srv; i-- > 0;)
		if (!x->srv[i].claimed)
			uids[n++] = x->srv[i].uid;
	int rc = 0;
	for (size_t i = 0; x->dry && i < n; i++)
		app_sync_note(x->run, "+ here %s: uid %u", x->f->name, (unsigned)uids[i]);
	if (x->dry || !n) {
		x->run->r->loc_add += x->dry ? n : 0;
		free(uids);
		return 0;
	}
	for (size_t i = 0; rc == 0 && i < x->f->n_files; i++)
		if (!x->f->files[i].claimed)
			rc = hash_file(x->f, &x->f->files[i], err);
	const struct imap_fetch_handler h = {on_dl_begin, on_dl_data, on_dl_msg};
	struct qu_buf set;
	qu_buf_init(&set, SIZE_MAX);
	x->batch = maildir_batch_new(x->md);
	/* The first batch stored (the newest mail) goes to the index at once. */
	x->index_gap = INDEX_EVERY_MS;
	x->index_at = now_ms() - x->index_gap;
	size_t k = FETCH_FIRST;
	for (size_t i = 0; rc == 0 && i < n; i += k, k = k * 2 < FETCH_MAX ? k * 2 : FETCH_MAX) {
		k = n - i < k ? n - i : k;
		/* imap_uidset_format wants ascending UIDs: this range reversed. */
		uint32_t *b = xcalloc(k, sizeof *b);
		for (size_t j = 0; j < k; j++)
			b[j] = uids[i + k - 1 - j];
		qu_buf_reset(&set);
		imap_uidset_format(&set, b, k);
		free(b);
		rc = imap_session_uid_fetch(x->s, set.data, "(UID FLAGS BODY.PEEK[])", 0, &h, x, err);
		/* Each range is on disk before the next, older one is asked for. */
		if (rc == 0)
			rc = dl_commit(x, err);
	}
	if (rc < 0 && x->n_dl) {
		/* What came before the failure is kept and recorded. */
		struct qu_err e2 = {0};
		dl_commit(x, &e2);
	}
	maildir_delivery_abort(x->d);
	x->d = NULL;
	maildir_batch_free(x->batch);
	x->batch = NULL;
	x->n_dl = 0;
	qu_buf_clear(&set);
	free(uids);
	return rc;
}

/* ---- uploads ---------------------------------------------------------- */

/* "dd-Mon-yyyy hh:mm:ss +0000" (RFC 3501 §9 date-time) of t, in UTC. */
static void
imap_date(time_t t, char out[32])
{
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 32, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday, mon[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The message with every bare LF as CRLF (RFC 3501 §4.3: literals are
 * sent with CRLF line ends). */
static void
to_crlf(struct qu_buf *b, const char *p, size_t n)
{
	qu_buf_reset(b);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			qu_buf_append_byte(b, '\r');
		qu_buf_append_byte(b, p[i]);
	}
}

/* Without APPENDUID (no UIDPLUS, RFC 4315 §3) the message just appended
 * is found by its Message-ID among the UIDs from the SELECT's UIDNEXT on
 * that the state does not know (RFC 3501 §6.4.4 HEADER); exactly one
 * must match, else it stays unpaired and the next run pairs it by
 * content, downloading it once to compare. */
static int
pair_appended(struct fctx *x, struct app_sync_file *file, unsigned flags, const char *mid,
	      struct qu_err *err)
{
	if (!mid || !x->uidnext0)
		return 0;
	struct qu_buf c;
	qu_buf_init(&c, SIZE_MAX);
	qu_buf_printf(&c, "UID %u:* HEADER Message-ID ", (unsigned)x->uidnext0);
	bool lit;
	imap_quote(&c, mid, strlen(mid), &lit); /* a plain quoted string: see app_sync_message_id */
	uint32_t *uids = NULL, hit = 0;
	size_t n = 0, hits = 0;
	int rc = lit ? 0 : imap_session_uid_search(x->s, c.data, &uids, &n, err);
	qu_buf_clear(&c);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (uids[i] >= x->uidnext0 && !app_sync_state_find(&x->f->st, uids[i])) {
			hit = uids[i];
			hits++;
		}
	free(uids);
	if (rc == 0 && hits == 1)
		rc = record_pair(x, hit, flags, file->base, file->base_len, err);
	return rc;
}

static int
upload_one(struct fctx *x, struct app_sync_file *file, struct qu_buf *b, struct qu_err *err)
{
	char *path = file_path(x->f, file);
	struct store_map map;
	struct stat sb;
	int rc = store_map_file(path, &map, err);
	if (rc < 0) {
		free(path);
		/* Gone since the listing (another reader): the next run sees. */
		return err->cls == QU_E_NOINPUT ? 0 : -1;
	}
	char date[32] = "";
	if (stat(path, &sb) == 0)
		imap_date(sb.st_mtime, date);
	free(path);
	to_crlf(b, map.p, map.len);
	char *mid = app_sync_message_id(map.p, map.len);
	store_unmap(&map);
	struct imap_uidplus u = {0};
	unsigned flags = file->flags & app_sync_flag_mask();
	rc = imap_session_append(x->s, x->f->wire, x->f->wire_len, app_sync_flags_to_imap(flags),
				 date[0] ? date : NULL, b->data, b->len, &u, err);
	uint64_t uid = 0;
	/* APPENDUID counts from a server that announced UIDPLUS only. */
	bool uidplus = imap_session_has_cap(x->s, "UIDPLUS") ||
		       imap_session_has_cap(x->s, "IMAP4rev2");
	if (rc == 0 && uidplus && u.dst &&
	    qu_parse_u64(u.dst, strlen(u.dst), UINT32_MAX, &uid) == 0 && uid &&
	    u.uidvalidity == x->f->st.uidvalidity)
		rc = record_pair(x, (uint32_t)uid, flags, file->base, file->base_len, err);
	else if (rc == 0)
		rc = pair_appended(x, file, flags, mid, err);
	free(mid);
	imap_uidplus_clear(&u);
	if (rc == 0)
		x->run->r->srv_add++;
	return rc;
}

/* Step 4: local files still unknown. */
static int
upload_new(struct fctx *x, struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < x->f->n_files; i++) {
		struct app_sync_file *file = &x->f->files[i];
		struct app_sync_case c = {.local = true,
					  .local_trash = file->flags & MAILDIR_FLAG_TRASHED};
		if (file->claimed || app_sync_decide(&c) != APP_SYNC_UPLOAD)
			continue;
		app_sync_note(x->run, "+ server %s: %.*s", x->f->name, (int)file->base_len,
			      file->base);
		if (x->dry) {
			x->run->r->srv_add++;
			continue;
		}
		rc = upload_one(x, file, &b, err);
		if (rc == 0)
			rc = check_cancel(x, err);
	}
	qu_buf_clear(&b);
	int frc = journal_flush(x->run, err);
	return rc ? rc : frc;
}

/* ---- flags ------------------------------------------------------------ */

static void
flag_note(struct fctx *x, const char *side, uint32_t uid, unsigned add, unsigned del)
{
	char a[7], d[7];
	maildir_flags_format(add, a);
	maildir_flags_format(del, d);
	app_sync_note(x->run, "~ %s %s: uid %u%s%s%s%s", side, x->f->name, (unsigned)uid,
		      add ? " +" : "", a, del ? " -" : "", d);
}

/* Pushes op flags to the messages in uids (one STORE per distinct set). */
static int
push_flags(struct fctx *x, char op, const uint32_t *uids, const unsigned *sets,
	   const unsigned *uncond, size_t n, uint32_t **modified, size_t *n_mod, struct qu_err *err)
{
	bool *done = xcalloc(n + 1, sizeof *done);
	uint32_t *pick = xcalloc(n + 1, sizeof *pick);
	struct qu_buf set;
	qu_buf_init(&set, SIZE_MAX);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (done[i] || !sets[i])
			continue;
		size_t k = 0;
		bool cond = x->modseq && !(uncond && uncond[i]);
		for (size_t j = i; j < n; j++)
			if (!done[j] && sets[j] == sets[i] &&
			    cond == (x->modseq && !(uncond && uncond[j]))) {
				done[j] = true;
				pick[k++] = uids[j];
			}
		qu_buf_reset(&set);
		imap_uidset_format(&set, pick, k);
		unsigned imap = app_sync_flags_to_imap(sets[i]);
		if (cond) {
			uint32_t *m = NULL;
			size_t nm = 0;
			rc = imap_session_uid_store_cond(x->s, set.data, op, imap, x->modseq, NULL,
							 NULL, &m, &nm, err);
			if (nm) {
				*modified = xrealloc(*modified, (*n_mod + nm) * sizeof **modified);
				memcpy(*modified + *n_mod, m, nm * sizeof *m);
				*n_mod += nm;
			}
			free(m);
		} else {
			rc = imap_session_uid_store(x->s, set.data, op, imap, err);
		}
	}
	qu_buf_clear(&set);
	free(done);
	free(pick);
	return rc;
}

static bool
in_list(const uint32_t *v, size_t n, uint32_t uid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == uid)
			return true;
	return false;
}

static int
rename_local(struct fctx *x, struct keep *k, unsigned result, struct qu_err *err)
{
	unsigned want = result | (k->local & ~app_sync_flag_mask());
	char *nrel = NULL;
	if (maildir_set_flags(x->md, k->file->rel, want, MAILDIR_NOSYNC, &nrel, err) < 0)
		return err->cls == QU_E_NOINPUT ? 0 : -1;
	free(k->file->rel);
	k->file->rel = nrel;
	app_maildir_base(nrel, &k->file->base);
	k->file->flags = want;
	return 0;
}

/* Step 5: the merge of every message on both sides. */
static int
merge_flags(struct fctx *x, struct qu_err *err)
{
	size_t n = x->n_keep;
	uint32_t *uids = xcalloc(n + 1, sizeof *uids), *mod = NULL;
	unsigned *add = xcalloc(n + 1, sizeof *add), *del = xcalloc(n + 1, sizeof *del);
	struct app_sync_flags *m = xcalloc(n + 1, sizeof *m);
	size_t n_mod = 0;
	int rc = 0;
	bool renamed = false;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct keep *k = &x->keep[i];
		app_sync_merge_flags(k->known, k->last, k->local, k->server, &m[i]);
		uids[i] = k->uid;
		add[i] = m[i].server_add;
		del[i] = m[i].server_del;
		if (add[i] || del[i]) {
			flag_note(x, "server", k->uid, add[i], del[i]);
			x->run->r->srv_upd++;
		}
		if (m[i].local_change) {
			flag_note(x, "here", k->uid, m[i].result & ~k->local,
				  k->local & ~m[i].result & app_sync_flag_mask());
			x->run->r->loc_upd++;
			if (!x->dry) {
				rc = rename_local(x, k, m[i].result, err);
				renamed = true;
			}
		}
	}
	if (rc == 0 && !x->dry)
		rc = push_flags(x, '+', uids, add, NULL, n, &mod, &n_mod, err);
	/* A message given flags just now has a new MODSEQ: its removals are
	 * not conditional (the race is a round trip wide). */
	if (rc == 0 && !x->dry)
		rc = push_flags(x, '-', uids, del, add, n, &mod, &n_mod, err);
	if (rc == 0 && renamed)
		rc = maildir_sync(x->md, err);
	for (size_t i = 0; rc == 0 && !x->dry && i < n; i++) {
		struct keep *k = &x->keep[i];
		unsigned last = m[i].result;
		if (in_list(mod, n_mod, k->uid)) {
			/* Changed on the server since the listing: the bits pushed
			 * keep their old state and are merged again next run. */
			unsigned pushed = add[i] | del[i];
			last = (last & ~pushed) | (k->last & pushed);
		}
		app_sync_state_set(&x->f->st, k->uid, last, k->file->base, k->file->base_len);
	}
	free(uids);
	free(mod);
	free(add);
	free(del);
	free(m);
	return rc;
}

/* ---- the folder ------------------------------------------------------- */

static int
select_folder(struct fctx *x, struct imap_mailbox_status *sel, struct qu_err *err)
{
	struct app_sync_folder *f = x->f;
	if (!f->on_server) {
		app_sync_note(x->run, "+ server folder %s", f->name);
		if (x->dry)
			return 1;
		if (imap_session_create(x->s, f->wire, f->wire_len, err) < 0)
			return -1;
		f->on_server = true;
	}
	x->delta = f->st.trusted && f->st.modseq && f->st.uidvalidity && f->st.uidnext &&
		   (imap_session_enabled(x->s) & IMAP_ENABLE_QRESYNC);
	if (x->delta) {
		struct imap_qresync q = {f->st.uidvalidity, f->st.modseq, NULL};
		if (imap_session_select_events(x->s, f->wire, f->wire_len, false, &q,
					       on_select_event, x, sel, err) < 0)
			return -1;
	} else if (imap_session_select(x->s, f->wire, f->wire_len, false, sel, err) < 0) {
		return -1;
	}
	if (!(sel->have & IMAP_MB_HAVE_UIDVALIDITY))
		return qu_err_set(err, QU_E_UNAVAILABLE, "%s: the server gave no UIDVALIDITY",
				  f->name);
	x->uidnext0 = (sel->have & IMAP_MB_HAVE_UIDNEXT) ? sel->uidnext : 0;
	if (f->st.uidvalidity != sel->uidvalidity || sel->nomodseq ||
	    !(sel->have & IMAP_MB_HAVE_HIGHESTMODSEQ))
		x->delta = false;
	if (f->st.uidvalidity != sel->uidvalidity) {
		/* A new epoch (or none yet): pair by content, delete nothing. */
		app_sync_state_clear(&f->st);
		f->st.uidvalidity = sel->uidvalidity;
		if (!x->dry && app_sync_state_save(x->run->dir, f->sname, &f->st, err) < 0)
			return -1;
		f->st.trusted = false;
	}
	x->modseq = (imap_session_enabled(x->s) & (IMAP_ENABLE_CONDSTORE | IMAP_ENABLE_QRESYNC)) &&
			    !sel->nomodseq && (sel->have & IMAP_MB_HAVE_HIGHESTMODSEQ)
		    ? sel->highestmodseq
		    : 0;
	return 0;
}

/* True when this side holds exactly what the state says: every file known,
 * with the flags it had at the last sync, none missing, none trashed. */
bool
app_sync_local_unchanged(const struct app_sync_folder *f)
{
	if (!f->listed)
		return f->st.trusted; /* see unchanged_here in sync.c */
	if (!f->st.trusted || f->n_files != f->st.n)
		return false;
	for (size_t i = 0; i < f->n_files; i++) {
		const struct app_sync_file *file = &f->files[i];
		if (file->move_in || (file->flags & MAILDIR_FLAG_TRASHED))
			return false;
	}
	for (size_t i = 0; i < f->st.n; i++) {
		const struct app_sync_entry *e = &f->st.v[i];
		struct app_sync_file *file =
			app_sync_file_find((struct app_sync_folder *)f, e->name, strlen(e->name));
		if (!file || (file->flags & app_sync_flag_mask()) != e->flags)
			return false;
	}
	return true;
}

/* A folder where nothing changed on either side since the last run is
 * not even selected: STATUS (RFC 7162 §3.1.6 HIGHESTMODSEQ) says the
 * server's side, the listing and the state say this one. Returns 1 when
 * it can be skipped. */
int
app_sync_server_unchanged(struct app_sync_run *run, const struct app_sync_folder *f,
			  struct qu_err *err)
{
	struct imap_session *s = run->c->s;
	if (!f->st.trusted || !f->st.modseq ||
	    !(imap_session_enabled(s) & (IMAP_ENABLE_CONDSTORE | IMAP_ENABLE_QRESYNC)))
		return 0;
	if (f->srv_known)
		return f->srv_uidvalidity == f->st.uidvalidity && f->srv_uidnext == f->st.uidnext &&
		       f->srv_modseq == f->st.modseq && f->srv_messages == f->st.n;
	const char *w = f->wire;
	size_t wl = f->wire_len;
	struct imap_mailbox_status st = {0};
	bool fail = false;
	unsigned items = IMAP_MB_HAVE_UIDVALIDITY | IMAP_MB_HAVE_UIDNEXT |
			 IMAP_MB_HAVE_HIGHESTMODSEQ | IMAP_MB_HAVE_MESSAGES;
	if (imap_session_status_many(s, &w, &wl, 1, items, &st, &fail, err) < 0)
		return -1;
	return !fail && (st.have & items) == items && st.uidvalidity == f->st.uidvalidity &&
	       st.uidnext == f->st.uidnext && st.highestmodseq == f->st.modseq &&
	       st.messages == f->st.n;
}

static int
folder_unchanged(struct fctx *x, struct qu_err *err)
{
	if (!x->f->on_server || !app_sync_local_unchanged(x->f))
		return 0;
	return app_sync_server_unchanged(x->run, x->f, err);
}

static int
folder_steps(struct fctx *x, struct qu_err *err)
{
	x->clean0 = app_sync_local_unchanged(x->f);
	int same = folder_unchanged(x, err);
	if (same != 0)
		return same < 0 ? -1 : 0;
	if (!x->f->listed) {
		/* The server changed: this side is needed after all. */
		if (app_sync_folder_list(x->f, err) < 0)
			return -1;
		x->clean0 = app_sync_local_unchanged(x->f);
	}
	struct app_sync_dirs_rec before;
	app_sync_dirs_rec_of(&x->f->st, &x->f->d0, &before);
	bool trusted0 = x->f->st.trusted;
	x->run->journaled = false;
	struct imap_mailbox_status sel = {0};
	int rc = select_folder(x, &sel, err);
	if (rc != 0)
		return rc < 0 ? -1 : upload_new(x, err); /* dry run, no folder yet */
	if (!x->dry) {
		/* Opened after select_folder, which may rewrite the file. */
		x->run->j = store_journal_open(x->run->dir, x->f->sname, err);
		if (!x->run->j)
			return -1;
	}
	if (list_server(x, &sel, err) < 0 || check_cancel(x, err) < 0)
		return -1;
	if (known_messages(x, err) < 0 || journal_flush(x->run, err) < 0 ||
	    check_cancel(x, err) < 0)
		return -1;
	if (download_new(x, err) < 0 || check_cancel(x, err) < 0)
		return -1;
	if (upload_new(x, err) < 0 || check_cancel(x, err) < 0)
		return -1;
	if (merge_flags(x, err) < 0)
		return -1;
	if (x->dry)
		return 0;
	const struct imap_mailbox_status *now = imap_session_selected(x->s);
	x->f->st.uidnext = now && (now->have & IMAP_MB_HAVE_UIDNEXT) ? now->uidnext : sel.uidnext;
	x->f->st.modseq = x->modseq;
	x->f->st.trusted = true;
	struct app_sync_dirs_rec after;
	app_sync_dirs_rec_of(&x->f->st, &x->f->d0, &after);
	if (trusted0 && !x->run->journaled && app_sync_dirs_rec_same(&before, &after))
		return 0; /* the file says this already: no rewrite, no fsync */
	return app_sync_state_save(x->run->dir, x->f->sname, &x->f->st, err);
}

void
app_sync_inbox_first(struct app_sync_folder *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i].name, "INBOX")) {
			struct app_sync_folder inbox = v[i];
			memmove(v + 1, v, i * sizeof *v);
			v[0] = inbox;
			return;
		}
}

/* Writes the record that lets the next run skip listing this Maildir
 * (unchanged_here in sync.c), when it holds: the listing matched the
 * state, cur/ and new/ had settled before it, and nothing (this run
 * included) touched them since. Otherwise, or if the record cannot be
 * written, the next run lists the Maildir, which is always right. */
static void
dirs_record(struct fctx *x)
{
	struct app_sync_folder *f = x->f;
	if (x->dry || !x->clean0 || !f->d0_settled || !f->st.trusted)
		return;
	struct app_sync_dirs d1;
	app_sync_dirs_stat(f->path, &d1);
	if (!app_sync_dirs_same(&f->d0, &d1))
		return;
	struct app_sync_dirs_rec r;
	app_sync_dirs_rec_of(&f->st, &d1, &r);
	if (f->has_rec && app_sync_dirs_rec_same(&f->rec, &r))
		return;
	struct qu_err e;
	qu_err_clear(&e);
	if (app_sync_dirs_save(x->run->dir, f->sname, &r, &e) == 0) {
		f->rec = r;
		f->has_rec = true;
	}
}

int
app_sync_folder_run(struct app_sync_run *run, size_t i, struct qu_err *err)
{
	struct app_sync_folder *f = &run->v[i];
	struct fctx x = {.run = run, .f = f, .s = run->c->s, .dry = run->o->dry_run};
	if (!x.dry) {
		x.md = maildir_open(f->path, true, err);
		if (!x.md)
			return -1;
	}
	int rc = folder_steps(&x, err);
	if (rc == 0)
		dirs_record(&x);
	if (rc < 0 && run->j) {
		/* What was done is recorded: the next run starts from there. */
		struct qu_err e2;
		qu_err_clear(&e2);
		journal_flush(run, &e2);
	}
	store_journal_free(run->j);
	run->j = NULL;
	maildir_delivery_abort(x.d);
	maildir_free(x.md);
	free(x.srv);
	free(x.gone);
	free(x.keep);
	free(x.dl);
	return rc;
}
