/*
 * `quail fetch --imap`: IMAP folders into Maildirs, exactly once (SPEC §5).
 *
 * Folder "A/B" (split at the server's delimiter) is the Maildir DIR/A/B,
 * INBOX is DIR/INBOX; imap_mailbox_relpath encodes any component that
 * could leave DIR or clash with tmp/, new/, cur/ or .quail.
 *
 * The crash-safe protocol is the POP3 one (fetch_pop3.c) with UIDs, run by
 * the same engine (fetch_engine.c), its keys "<id> <uid>". State
 * is one append-only journal, DIR/.quail/imap-USER@HOST, of entries
 *
 *     F <id> <name>          folder <id> is <name> (UTF-8, %-encoded)
 *     V <id> <uidvalidity>   a new epoch of folder <id>: what came before
 *                            is void (its UIDs may be reused)
 *     P <id> <uid>           <uid> may be committed from now on
 *     C <id> <uid> <rel>     <uid> is stored, as DIR/<rel> (%-encoded)
 *     D <id> <uid> <rel>     the same, <rel> as it is (older journals,
 *                            still read; see legacy_rel)
 *     S <id> <uidnext> <modseq>  every message below <uidnext> that the
 *                            server had is stored (HIGHESTMODSEQ <modseq>)
 *
 * several to a line, one line per append and fdatasync. A message goes:
 * "P" durable (for the next PENDING_AHEAD together) -> UID FETCH streams
 * it into tmp/ -> a worker commits it (fsync, rename into new/ or cur/,
 * fsync the directory) -> "C" durable -> counted. "S" is written only when
 * every message of the folder's listing is C. So after a kill or a lost
 * connection, new/ and cur/ hold only complete messages, and one without
 * a C entry has a P entry: the next run fetches such a UID again and
 * first compares it (maildir_delivery_matches) with the files of the same
 * size that no C entry claims; an identical one is recorded instead of
 * stored twice. After a UIDVALIDITY change (and on a first sync into a
 * Maildir that already holds mail) every message is compared that way.
 *
 * A re-run with nothing new costs: LIST (with LIST-STATUS) or STATUS per
 * folder, pipelined; a folder whose UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ
 * match its S entry is not even selected. The journal is read on a thread
 * while the connection is set up.
 *
 * Flags changed on the server (CONDSTORE, RFC 7162) are carried over to
 * the stored copies: SELECT with QRESYNC (the S entry's UIDVALIDITY and
 * HIGHESTMODSEQ) brings the messages changed since in its reply, or, with
 * CONDSTORE alone, one UID FETCH of the synced UIDs with CHANGEDSINCE
 * does; each stored copy is renamed to the server's flags (keywords of
 * other Maildir writers kept), then a C entry names the new file. Local flag changes are
 * not sent back, and a message expunged on the server keeps its copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"
#include "store/store.h"
#include "config/config.h"
#include "imap/imap.h"
#include "app/private.h"
#include "app/imap_private.h"

#define JOURNAL_PREFIX "imap-"
#define TMP_MAX_AGE (36L * 3600)
#define COMPACT_SLACK 1024
/* One journal sync names this many UIDs ahead as pending. */
#define PENDING_AHEAD 128

/* ---- per-folder state from the journal ------------------------------- */

struct fstate {
	unsigned id;
	char *name; /* UTF-8 */
	size_t name_len;
	bool has_v, has_sync;
	uint32_t uidvalidity, uidnext;
	uint64_t modseq;
	struct app_fetch_keys uids; /* keys: the UIDs in decimal, num: the UID */
	size_t pending; /* entries still APP_KEY_PENDING */
};

static struct app_fetch_key *
map_find(const struct app_fetch_keys *m, uint32_t uid)
{
	char k[16];
	int n = snprintf(k, sizeof k, "%u", (unsigned)uid);
	return app_fetch_keys_find(m, k, (size_t)n);
}

static struct app_fetch_key *
map_add(struct app_fetch_keys *m, uint32_t uid, bool *added)
{
	char k[16];
	int n = snprintf(k, sizeof k, "%u", (unsigned)uid);
	struct app_fetch_key *e = app_fetch_keys_add(m, k, (size_t)n, added);
	e->num = uid;
	return e;
}

static void
fstate_mark_pending(struct fstate *fs, uint32_t uid)
{
	bool added;
	map_add(&fs->uids, uid, &added);
	if (added)
		fs->pending++;
}

static void
fstate_mark_done(struct fstate *fs, uint32_t uid, const char *rel, size_t rn)
{
	bool added;
	struct app_fetch_key *e = map_add(&fs->uids, uid, &added);
	if (!added && e->state == APP_KEY_PENDING)
		fs->pending--;
	app_fetch_key_done(e, rel, rn);
}

/* P entries below the synced UIDNEXT are stale (S is written only when
 * every listed UID below it is C: those were expunged): not pending. */
static void
fstate_recount(struct fstate *fs)
{
	fs->pending = 0;
	for (size_t i = 0; i < fs->uids.cap; i++) {
		const struct app_fetch_key *e = &fs->uids.v[i];
		if (e->key && e->state == APP_KEY_PENDING && (!fs->has_sync || e->num >= fs->uidnext))
			fs->pending++;
	}
}

static void
fstate_new_epoch(struct fstate *fs, uint32_t v)
{
	app_fetch_keys_clear(&fs->uids);
	fs->pending = 0;
	fs->has_v = true;
	fs->uidvalidity = v;
	fs->has_sync = false;
	fs->uidnext = 0;
	fs->modseq = 0;
}

struct state {
	struct fstate **v;
	size_t n, cap;
	unsigned next_id;
	size_t entries; /* in the journal file */
};

static struct fstate *
state_by_id(struct state *st, unsigned id)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i]->id == id)
			return st->v[i];
	return NULL;
}

static struct fstate *
state_by_name(struct state *st, const char *name, size_t n)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i]->name_len == n && memcmp(st->v[i]->name, name, n) == 0)
			return st->v[i];
	return NULL;
}

static struct fstate *
state_add(struct state *st, unsigned id, const char *name, size_t n)
{
	st->v = xgrow(st->v, &st->cap, st->n + 1, sizeof *st->v);
	struct fstate *fs = xcalloc(1, sizeof *fs);
	fs->id = id;
	fs->name = xmalloc(n + 1);
	memcpy(fs->name, name, n);
	fs->name[n] = '\0';
	fs->name_len = n;
	st->v[st->n++] = fs;
	if (id >= st->next_id)
		st->next_id = id + 1;
	return fs;
}

static void
state_clear(struct state *st)
{
	for (size_t i = 0; i < st->n; i++) {
		app_fetch_keys_clear(&st->v[i]->uids);
		free(st->v[i]->name);
		free(st->v[i]);
	}
	free(st->v);
	memset(st, 0, sizeof *st);
}

/* ---- the journal ----------------------------------------------------- */

/* Before paths were %-encoded (C entries), D entries held them as they
 * are, and a folder name's spaces went into the path unchanged. Such a
 * path has as many spaces as the folder's name (fewer if a long
 * component was cut), and its last two segments are cur/ or new/ and a
 * file name without spaces; no other segment is "cur" or "new", since
 * imap_mailbox_relpath encodes such components. Tries the count of
 * spaces the name has, then fewer. */
static bool
legacy_rel_ok(const char *s, size_t n)
{
	size_t marks = 0, nseg = 0, mark_at = 0, seg = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '/')
			continue;
		if (qu_mem_eq_ci(s + seg, i - seg, "cur") || qu_mem_eq_ci(s + seg, i - seg, "new")) {
			marks++;
			mark_at = nseg;
		}
		nseg++;
		seg = i + 1;
	}
	/* s + seg is the last segment, the file name: nseg segments before it */
	return marks == 1 && mark_at + 1 == nseg && seg < n && !memchr(s + seg, ' ', n - seg);
}

static bool
legacy_rel(const char **p, const char *end, const struct fstate *fs, const char **w, size_t *n)
{
	if (*p >= end || **p != ' ')
		return false;
	const char *s = *p + 1;
	size_t k = 0;
	for (size_t i = 0; i < fs->name_len; i++)
		k += fs->name[i] == ' ';
	for (;;) {
		const char *e = s;
		size_t seen = 0;
		while (e < end && (*e != ' ' || seen++ < k))
			e++;
		if (e > s && legacy_rel_ok(s, (size_t)(e - s))) {
			*w = s;
			*n = (size_t)(e - s);
			*p = e;
			return true;
		}
		if (k == 0)
			return false;
		k--;
	}
}

/* A C entry: the path %-encoded, so spaces in folder names stay in it. */
static void
put_done(struct qu_buf *b, unsigned id, uint32_t uid, const char *rel)
{
	qu_buf_printf(b, "C %u %u ", id, (unsigned)uid);
	qu_pct_encode(b, rel, strlen(rel), NULL);
}

static bool
word_u64(const char **p, const char *end, uint64_t max, uint64_t *v)
{
	const char *w;
	size_t n;
	return app_word(p, end, &w, &n) && qu_parse_u64(w, n, max, v) == 0;
}

/* One journal line. A line it cannot read is skipped from the entry on:
 * a later quail may write more, and damage must not stop every fetch. */
static int
replay_line(void *ctx, const char *line, size_t len, struct qu_err *err)
{
	struct state *st = ctx;
	const char *p = line, *end = line + len, *tag, *w;
	size_t tn, wn;
	uint64_t id, a, b;
	(void)err;
	while (app_word(&p, end, &tag, &tn)) {
		if (tn != 1 || !word_u64(&p, end, UINT32_MAX, &id))
			return 0;
		st->entries++;
		struct fstate *fs = state_by_id(st, (unsigned)id);
		switch (*tag) {
		case 'F': {
			if (!app_word(&p, end, &w, &wn))
				return 0;
			size_t n;
			char *name = qu_pct_decode(w, wn, &n);
			if (!fs && !state_by_name(st, name, n))
				state_add(st, (unsigned)id, name, n);
			free(name);
			break;
		}
		case 'V':
			if (!word_u64(&p, end, UINT32_MAX, &a) || !fs)
				return 0;
			fstate_new_epoch(fs, (uint32_t)a);
			break;
		case 'P':
			if (!word_u64(&p, end, UINT32_MAX, &a) || !fs || !a)
				return 0;
			fstate_mark_pending(fs, (uint32_t)a);
			break;
		case 'C': {
			if (!word_u64(&p, end, UINT32_MAX, &a) || !app_word(&p, end, &w, &wn) || !fs || !a)
				return 0;
			size_t n;
			char *rel = qu_pct_decode(w, wn, &n);
			if (!memchr(rel, '\0', n))
				fstate_mark_done(fs, (uint32_t)a, rel, n);
			free(rel);
			break;
		}
		case 'D': /* written before C: the path as it is */
			if (!word_u64(&p, end, UINT32_MAX, &a) || !fs || !a ||
			    !legacy_rel(&p, end, fs, &w, &wn))
				return 0;
			fstate_mark_done(fs, (uint32_t)a, w, wn);
			break;
		case 'S':
			if (!word_u64(&p, end, UINT32_MAX, &a) || !word_u64(&p, end, UINT64_MAX, &b) ||
			    !fs)
				return 0;
			fs->has_sync = true;
			fs->uidnext = (uint32_t)a;
			fs->modseq = b;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

/* Rewrites the journal with only what the current epochs need, when it has
 * grown to more than twice that. */
static int
maybe_compact(const char *dir, const char *jname, struct state *st, struct qu_err *err)
{
	size_t live = 0;
	for (size_t i = 0; i < st->n; i++)
		live += 3 + st->v[i]->uids.n;
	if (st->entries <= 2 * live + COMPACT_SLACK)
		return 0;
	struct app_fetch_lines l = {0};
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < st->n; i++) {
		struct fstate *fs = st->v[i];
		qu_buf_printf(&b, "F %u ", fs->id);
		qu_pct_encode(&b, fs->name, fs->name_len, NULL);
		if (fs->has_v)
			qu_buf_printf(&b, " V %u %u", fs->id, (unsigned)fs->uidvalidity);
		if (fs->has_sync)
			qu_buf_printf(&b, " S %u %u %llu", fs->id, (unsigned)fs->uidnext,
				      (unsigned long long)fs->modseq);
		app_fetch_lines_take(&l, &b);
		if (fs->has_v) {
			char scope[16];
			snprintf(scope, sizeof scope, "%u ", fs->id);
			app_fetch_lines_keys(&l, &fs->uids, scope, NULL, false);
		}
	}
	qu_buf_clear(&b);
	return app_fetch_lines_write(&l, dir, jname, err);
}

/* ---- finding a message already stored -------------------------------- */

/* Lists the folder's Maildir for app_stored_find, leaving out the files
 * that C entries of the current epoch claim. */
static int
index_build(struct maildir *md, const struct fstate *fs, struct app_stored_index *ix,
	    struct qu_err *err)
{
	size_t nc;
	const char **claimed = app_fetch_keys_claimed(&fs->uids, &nc);
	int rc = app_stored_index_build(md, claimed, nc, ix, err);
	free(claimed);
	return rc;
}

/* ---- one run --------------------------------------------------------- */

struct folder {
	char *name; /* UTF-8 */
	size_t name_len;
	char *wire;
	size_t wire_len;
	char delim;
	struct imap_mailbox_status st;
	bool have_status;
	bool missing; /* STATUS said NO */
};

/* A flag change on the server of a message stored earlier. */
struct flag_change {
	uint32_t uid;
	unsigned flags; /* IMAP_FLAG_* */
};

struct todo {
	uint32_t uid;
	uint64_t size;
	unsigned flags;
	bool recheck; /* pending from an interrupted run: may be stored */
};

struct run {
	const struct app_fetch_opts *o;
	struct app_fetch_result *r;
	struct app_imap c;
	const char *dir;
	char *jname;
	struct state st;
	/* the journal, the commit pool, progress (fetch_engine.c); its plan
	 * is the folder's todo list */
	struct app_fetch_engine e;
	/* the folder being fetched */
	struct fstate *fs;
	struct maildir *md;
	char *rel;           /* its path relative to DIR */
	struct todo *todo;   /* e.n_todo of them */
	size_t cap_todo;
	struct flag_change *chg;
	size_t n_chg, cap_chg;
	uint32_t from;       /* UIDs below were synced */
	bool check_all;      /* compare every message with what is stored */
	bool need_index;
	uint32_t d_uid;      /* the UID of the message being received (e.d) */
	uint64_t max_size;   /* max_message_size: larger messages are skipped */
	uint32_t skipped_from; /* the folder's lowest skipped UID, or 0 */
};

static int
journal_append(struct run *f, const struct qu_buf *line, struct qu_err *err)
{
	return app_fetch_engine_append(&f->e, line, err);
}

/* Index of uid in the todo list (ascending), or n_todo. */
static size_t
todo_index(const struct run *f, uint32_t uid)
{
	size_t lo = 0, hi = f->e.n_todo;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->todo[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->e.n_todo && f->todo[lo].uid == uid ? lo : f->e.n_todo;
}

static void
mark_committed(void *ctx, const struct app_commit_job *j)
{
	struct run *f = ctx;
	fstate_mark_done(f->fs, (uint32_t)j->tag, j->rel, strlen(j->rel));
}

/* ---- the engine's callbacks (fetch_engine.c) ---------------------------- */

static void
put_key(void *ctx, struct qu_buf *b, size_t tag)
{
	struct run *f = ctx;
	qu_buf_printf(b, "%u %u", f->fs->id, (unsigned)tag);
}

static size_t
plan_tag(void *ctx, size_t i)
{
	struct run *f = ctx;
	return f->todo[i].uid;
}

/* A UID pending from an earlier run has its P entry. */
static bool
pend(void *ctx, size_t tag)
{
	struct run *f = ctx;
	if (map_find(&f->fs->uids, (uint32_t)tag))
		return false;
	fstate_mark_pending(f->fs, (uint32_t)tag);
	return true;
}

static int
build_index(void *ctx, struct app_stored_index *ix, struct qu_err *err)
{
	struct run *f = ctx;
	return index_build(f->md, f->fs, ix, err);
}

static const struct app_fetch_engine_ops engine_ops = {put_key, plan_tag, pend, mark_committed,
						       build_index};

static void
flag_letters(unsigned flags, char out[8])
{
	size_t k = 0;
	if (flags & IMAP_FLAG_DRAFT)
		out[k++] = 'D';
	if (flags & IMAP_FLAG_FLAGGED)
		out[k++] = 'F';
	if (flags & IMAP_FLAG_FORWARDED)
		out[k++] = 'P';
	if (flags & IMAP_FLAG_ANSWERED)
		out[k++] = 'R';
	if (flags & IMAP_FLAG_SEEN)
		out[k++] = 'S';
	if (flags & IMAP_FLAG_DELETED)
		out[k++] = 'T';
	out[k] = '\0';
}

static int
on_body_begin(void *ctx, const struct imap_fetch_msg *m, uint64_t size, struct qu_err *err)
{
	struct run *f = ctx;
	/* The listing said it was small enough; a server that sends more
	 * than max_message_size anyway is not believed any further. */
	if (size > f->max_size)
		return qu_err_set(err, QU_E_DATA,
				  "UID %u: the server sends %llu bytes, more than max_message_size "
				  "(%llu) and more than it announced",
				  (unsigned)m->uid, (unsigned long long)size,
				  (unsigned long long)f->max_size);
	f->d_uid = m->uid;
	return app_fetch_engine_begin(&f->e, f->md, err);
}

static int
on_body_data(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct run *f = ctx;
	return app_fetch_engine_data(&f->e, p, n, err);
}

static int
on_msg(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r, struct qu_err *err)
{
	struct run *f = ctx;
	(void)r;
	if (!f->e.d || !m->has_body)
		return 0; /* a flag change, or a body that was not streamed */
	uint32_t uid = m->uid ? m->uid : f->d_uid;
	size_t ti = todo_index(f, uid);
	struct app_fetch_key *e = map_find(&f->fs->uids, uid);
	if (!uid || ti == f->e.n_todo || (e && e->state == APP_KEY_DONE)) {
		/* Not asked for (or twice): nothing records it, so it is not kept. */
		app_fetch_engine_drop(&f->e);
		return 0;
	}
	struct app_commit_job *j = app_fetch_engine_job(&f->e, uid);
	flag_letters(m->has_flags ? m->flags : f->todo[ti].flags, j->flags);
	/* Compared with what is stored when this UID may be there already. */
	return app_fetch_engine_take(&f->e, j, ti, f->check_all || f->todo[ti].recheck, err);
}

/* The listing: "UID FETCH from:* (UID FLAGS RFC822.SIZE)". */
static int
on_list_msg(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r,
	    struct qu_err *err)
{
	struct run *f = ctx;
	(void)r;
	(void)err;
	/* "n:*" also matches the last message when n is past it (RFC 3501
	 * §6.4.8): only UIDs from `from` on are new. */
	if (!m->uid || m->uid < f->from)
		return 0;
	struct app_fetch_key *e = map_find(&f->fs->uids, m->uid);
	if (e && e->state == APP_KEY_DONE)
		return 0;
	f->todo = xgrow(f->todo, &f->cap_todo, f->e.n_todo + 1, sizeof *f->todo);
	f->todo[f->e.n_todo++] = (struct todo){m->uid, m->has_size ? m->size : 0, m->flags,
					     e && e->state == APP_KEY_PENDING};
	return 0;
}

static int
cmp_todo(const void *a, const void *b)
{
	const struct todo *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
list_new(struct run *f, struct qu_err *err)
{
	static const struct imap_fetch_handler h = {.msg = on_list_msg};
	char set[32];
	snprintf(set, sizeof set, "%u:*", (unsigned)(f->from ? f->from : 1));
	f->e.n_todo = 0;
	if (imap_session_uid_fetch(f->c.s, set, "(UID FLAGS RFC822.SIZE)", 0, &h, f, err) < 0)
		return -1;
	if (f->e.n_todo > 1)
		qsort(f->todo, f->e.n_todo, sizeof *f->todo, cmp_todo);
	/* A UID listed twice (a flag change in between) counts once. A
	 * message over max_message_size is skipped, and not recorded, so a
	 * run with a higher limit fetches it. */
	size_t k = 0;
	f->skipped_from = 0;
	for (size_t i = 0; i < f->e.n_todo; i++) {
		if (k && f->todo[k - 1].uid == f->todo[i].uid)
			continue;
		if (f->todo[i].size > f->max_size) {
			if (!f->skipped_from)
				f->skipped_from = f->todo[i].uid;
			f->r->skipped++;
			continue;
		}
		f->todo[k++] = f->todo[i];
	}
	f->e.n_todo = k;
	return 0;
}

/* ---- flag changes on the server ----------------------------------------- */

static int
on_change_msg(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r,
	      struct qu_err *err)
{
	struct run *f = ctx;
	(void)r;
	(void)err;
	if (!m->uid || !m->has_flags || m->uid >= f->from)
		return 0;
	f->chg = xgrow(f->chg, &f->cap_chg, f->n_chg + 1, sizeof *f->chg);
	f->chg[f->n_chg++] = (struct flag_change){m->uid, m->flags};
	return 0;
}

/* The Maildir flags for IMAP flags (flag_letters' mapping). */
static unsigned
maildir_bits(unsigned imap)
{
	unsigned b = 0;
	if (imap & IMAP_FLAG_DRAFT)
		b |= MAILDIR_FLAG_DRAFT;
	if (imap & IMAP_FLAG_FLAGGED)
		b |= MAILDIR_FLAG_FLAGGED;
	if (imap & IMAP_FLAG_FORWARDED)
		b |= MAILDIR_FLAG_PASSED;
	if (imap & IMAP_FLAG_ANSWERED)
		b |= MAILDIR_FLAG_REPLIED;
	if (imap & IMAP_FLAG_SEEN)
		b |= MAILDIR_FLAG_SEEN;
	if (imap & IMAP_FLAG_DELETED)
		b |= MAILDIR_FLAG_TRASHED;
	return b;
}

/* The folder's files by unique name ("cur/NAME:2,S", sorted on NAME), to
 * find a copy that a reader moved or reflagged since its C entry. */
struct name_index {
	char **v;
	size_t n;
	bool built;
};

static const char *
name_find(struct run *f, struct name_index *ix, const char *base, size_t n)
{
	if (!ix->built) {
		ix->built = true;
		struct maildir_iter *it = maildir_iter_new(f->md, NULL);
		struct maildir_entry me;
		size_t cap = 0;
		while (it && maildir_iter_next(it, &me)) {
			ix->v = xgrow(ix->v, &cap, ix->n + 1, sizeof *ix->v);
			ix->v[ix->n++] = xasprintf("%s/%s", me.is_new ? "new" : "cur", me.name);
		}
		maildir_iter_free(it);
		if (ix->n)
			qsort(ix->v, ix->n, sizeof *ix->v, app_cmp_maildir_base);
	}
	char *key = xasprintf("new/%.*s", (int)n, base);
	char **hit = ix->n ? bsearch(&key, ix->v, ix->n, sizeof *ix->v, app_cmp_maildir_base) : NULL;
	free(key);
	return hit ? *hit : NULL;
}

/* Gives one stored copy the server's flags. Returns 1 when it was renamed
 * (*rel_out: its new path relative to DIR), 0 when there was nothing to do
 * (already so, or the copy is gone), -1 on a local error. */
static int
reflag_one(struct run *f, struct name_index *ix, const struct app_fetch_key *e, unsigned flags,
	   char **rel_out, struct qu_err *err)
{
	size_t pre = strlen(f->rel);
	const char *sub = NULL;
	if (strncmp(e->rel, f->rel, pre) == 0 && e->rel[pre] == '/')
		sub = e->rel + pre + 1;
	struct stat sb;
	char *path = xasprintf("%s/%s", f->dir, e->rel);
	bool there = sub && lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
	free(path);
	if (!there) {
		const char *b;
		size_t bn = app_maildir_base(e->rel, &b);
		sub = name_find(f, ix, b, bn);
		if (!sub)
			return 0; /* deleted by the user: nothing to flag */
	}
	unsigned want = maildir_bits(flags);
	if (want == maildir_flags_parse(sub + 4))
		return 0;
	char *nsub;
	if (maildir_set_flags(f->md, sub, want, MAILDIR_NOSYNC, &nsub, err) < 0)
		return err->cls == QU_E_NOINPUT ? 0 : -1;
	*rel_out = xasprintf("%s/%s", f->rel, nsub);
	free(nsub);
	return 1;
}

static const struct imap_fetch_handler change_handler = {.msg = on_change_msg};

/* Asks for the flag changes since HIGHESTMODSEQ `since` of the UIDs below
 * f->from, when SELECT could not bring them (CONDSTORE without QRESYNC):
 * one UID FETCH ... (CHANGEDSINCE since). */
static int
fetch_changes(struct run *f, uint64_t since, struct qu_err *err)
{
	char set[32];
	snprintf(set, sizeof set, "1:%u", (unsigned)(f->from - 1));
	f->n_chg = 0;
	return imap_session_uid_fetch(f->c.s, set, "(UID FLAGS)", since, &change_handler, f, err);
}

/* Gives the stored copies of the changed UIDs (f->chg) the server's flags. */
static int
apply_changes(struct run *f, struct qu_err *err)
{
	struct name_index ix = {0};
	struct qu_buf line;
	qu_buf_init(&line, SIZE_MAX);
	int rc = 0;
	uint64_t n = 0;
	/* In arrival order: a message changed twice ends with its last flags. */
	for (size_t i = 0; i < f->n_chg && rc == 0; i++) {
		/* Thousands of renames after a server-wide flag change: stop
		 * between two; what was renamed is journalled below. */
		if (qu_cancel_check(f->e.prog.cancel, err) < 0) {
			rc = -1;
			break;
		}
		struct app_fetch_key *e = map_find(&f->fs->uids, f->chg[i].uid);
		if (!e || e->state != APP_KEY_DONE)
			continue;
		char *rel = NULL;
		int r = reflag_one(f, &ix, e, f->chg[i].flags, &rel, err);
		if (r < 0) {
			rc = qu_err_prefix(err, "%s: setting flags", f->fs->name);
			break;
		}
		if (r == 0)
			continue;
		if (line.len)
			qu_buf_append_byte(&line, ' ');
		put_done(&line, f->fs->id, (uint32_t)e->num, rel);
		fstate_mark_done(f->fs, (uint32_t)e->num, rel, strlen(rel));
		free(rel);
		n++;
	}
	/* The renames are durable before the journal names the new files;
	 * after a failure, what was renamed is still recorded. */
	struct qu_err ignored;
	struct qu_err *e2 = rc < 0 ? &ignored : err;
	if (line.len && (maildir_sync(f->md, e2) < 0 || journal_append(f, &line, e2) < 0))
		rc = -1;
	if (rc == 0)
		f->r->reflagged += n;
	qu_buf_clear(&line);
	for (size_t i = 0; i < ix.n; i++)
		free(ix.v[i]);
	free(ix.v);
	return rc;
}

static int
transfer(struct run *f, struct qu_err *err)
{
	uint32_t *uids = xcalloc(f->e.n_todo, sizeof *uids);
	uint64_t *sizes = xcalloc(f->e.n_todo, sizeof *sizes);
	for (size_t i = 0; i < f->e.n_todo; i++) {
		uids[i] = f->todo[i].uid;
		sizes[i] = f->todo[i].size;
		f->e.prog.pr.bytes_total += f->todo[i].size;
	}
	f->e.prog.pr.msgs_total = f->e.n_todo;
	/* Started for the first folder with mail to store. */
	if (app_fetch_engine_start(&f->e, err) < 0) {
		free(uids);
		free(sizes);
		return -1;
	}
	struct imap_fetch_plan plan = {.uids = uids, .sizes = sizes, .n = f->e.n_todo,
				       .batch_msgs = 1000, .batch_bytes = 64u * 1000 * 1000,
				       .window = 2};
	static const struct imap_fetch_handler h = {on_body_begin, on_body_data, on_msg};
	int rc = imap_session_fetch_bodies(f->c.s, &plan, &h, f, err);
	rc = app_fetch_engine_end(&f->e, rc, err);
	free(uids);
	free(sizes);
	return rc;
}

static struct fstate *
folder_state(struct run *f, const struct folder *fo, struct qu_err *err)
{
	struct fstate *fs = state_by_name(&f->st, fo->name, fo->name_len);
	if (fs)
		return fs;
	fs = state_add(&f->st, f->st.next_id, fo->name, fo->name_len);
	struct qu_buf line;
	qu_buf_init(&line, SIZE_MAX);
	qu_buf_printf(&line, "F %u ", fs->id);
	qu_pct_encode(&line, fo->name, fo->name_len, NULL);
	int rc = journal_append(f, &line, err);
	qu_buf_clear(&line);
	return rc < 0 ? NULL : fs;
}

static int
write_state(struct run *f, struct qu_err *err, const char *fmt, ...) QU_PRINTF(3, 4);

static int
write_state(struct run *f, struct qu_err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct qu_buf line;
	qu_buf_init(&line, SIZE_MAX);
	qu_buf_vprintf(&line, fmt, ap);
	va_end(ap);
	int rc = journal_append(f, &line, err);
	qu_buf_clear(&line);
	return rc;
}

/* True when the folder's state says nothing can be new. */
static bool
unchanged(const struct fstate *fs, const struct imap_mailbox_status *st)
{
	unsigned need = IMAP_MB_HAVE_UIDVALIDITY | IMAP_MB_HAVE_UIDNEXT;
	if (!(fs->has_v && fs->has_sync && !fs->pending && (st->have & need) == need &&
	      st->uidvalidity == fs->uidvalidity && st->uidnext == fs->uidnext))
		return false;
	/* Flags changed (or a first HIGHESTMODSEQ to record). */
	return !(st->have & IMAP_MB_HAVE_HIGHESTMODSEQ) || st->highestmodseq == fs->modseq;
}

static void
folder_clear(struct run *f)
{
	app_fetch_engine_drop(&f->e);
	maildir_free(f->md);
	f->md = NULL;
	free(f->rel);
	f->rel = NULL;
	f->e.rel_prefix = NULL;
	app_fetch_engine_reset(&f->e);
	f->fs = NULL;
}

/* Does the Maildir hold any message? */
static bool
has_mail(struct maildir *md)
{
	struct maildir_iter *it = maildir_iter_new(md, NULL);
	bool any = it && maildir_iter_count(it) > 0;
	maildir_iter_free(it);
	return any;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* --delete: every message of the folder whose copy is durable (a C entry
 * of this epoch, from this run or an earlier one) is flagged \Deleted and
 * expunged by UID, so nothing else the user marked goes (UIDPLUS). */
static int
expunge_stored(struct run *f, struct qu_err *err)
{
	struct app_fetch_keys *m = &f->fs->uids;
	uint32_t *v = xcalloc(m->n ? m->n : 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < m->cap; i++)
		if (m->v[i].key && m->v[i].state == APP_KEY_DONE)
			v[n++] = (uint32_t)m->v[i].num;
	int rc = 0;
	if (n) {
		qsort(v, n, sizeof *v, cmp_u32);
		struct qu_buf set;
		qu_buf_init(&set, SIZE_MAX);
		imap_uidset_format(&set, v, n);
		uint32_t before = imap_session_selected(f->c.s)->messages;
		rc = imap_session_uid_store(f->c.s, set.data, '+', IMAP_FLAG_DELETED, err);
		if (rc == 0)
			rc = imap_session_uid_expunge(f->c.s, set.data, err);
		uint32_t after = imap_session_selected(f->c.s)->messages;
		if (rc == 0 && before > after)
			f->r->deleted += before - after;
		qu_buf_clear(&set);
	}
	free(v);
	return rc;
}

/* ---- one folder, step by step ------------------------------------------ */

/* SELECT (with QRESYNC when the last sync left a HIGHESTMODSEQ: the reply
 * then carries the flag changes of the UIDs synced before, RFC 7162 §3.2.5)
 * and check UIDVALIDITY: a new one starts a new epoch of the folder. */
static int
select_checked(struct run *f, const struct folder *fo, struct imap_mailbox_status *sel,
	       bool *qresync, struct qu_err *err)
{
	struct fstate *fs = f->fs;
	*qresync = fs->has_v && fs->has_sync && fs->modseq && fs->uidnext > 1 &&
		   (imap_session_enabled(f->c.s) & IMAP_ENABLE_QRESYNC);
	f->from = fs->has_sync ? fs->uidnext : 1;
	f->n_chg = 0;
	char known[32];
	snprintf(known, sizeof known, "1:%u", (unsigned)(f->from > 1 ? f->from - 1 : 1));
	struct imap_qresync q = {fs->uidvalidity, fs->modseq, known};
	if (imap_session_select_qresync(f->c.s, fo->wire, fo->wire_len, !f->o->delete_after,
					*qresync ? &q : NULL, &change_handler, f, sel, err) < 0)
		return -1;
	if (!(sel->have & IMAP_MB_HAVE_UIDVALIDITY))
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "%s: the server gave no UIDVALIDITY, so new mail cannot be told "
				  "from old", fo->name);
	if (!fs->has_v || fs->uidvalidity != sel->uidvalidity) {
		/* SPEC §5: a new UIDVALIDITY re-fetches the folder into the same
		 * Maildir, comparing with what is there. */
		if (write_state(f, err, "V %u %u", fs->id, (unsigned)sel->uidvalidity) < 0)
			return -1;
		fstate_new_epoch(fs, sel->uidvalidity);
		f->n_chg = 0; /* changes of the old epoch's UIDs mean nothing */
	}
	f->from = fs->has_sync ? fs->uidnext : 1;
	return 0;
}

/* Learns what changed since the last sync: true when nothing did. Until
 * an epoch's first sync completes (S), mail already in the Maildir may be
 * any of its messages: from the epoch before, from a first sync that was
 * interrupted, or put there by another program, so each message is then
 * compared with the files no C entry claims (check_all). */
static bool
learn_unchanged(struct run *f, const struct imap_mailbox_status *sel)
{
	f->check_all = !f->fs->has_sync && has_mail(f->md);
	return !f->check_all && unchanged(f->fs, sel);
}

/* Plans the new UIDs: lists them, unless only flags changed (UIDNEXT as
 * synced, nothing pending) or the folder is empty, and lists the Maildir
 * for the stored-copies check when a UID may be stored already. */
static int
plan_new(struct run *f, const struct imap_mailbox_status *sel, struct qu_err *err)
{
	struct fstate *fs = f->fs;
	bool only_flags = fs->has_sync && !fs->pending && !f->check_all &&
			  (sel->have & IMAP_MB_HAVE_UIDNEXT) && sel->uidnext == fs->uidnext;
	if (!only_flags && (!(sel->have & IMAP_MB_HAVE_MESSAGES) || sel->messages > 0) &&
	    list_new(f, err) < 0)
		return -1;
	/* A UID pending from an interrupted run may be stored already. */
	for (size_t i = 0; i < f->e.n_todo && !f->need_index; i++)
		f->need_index = f->todo[i].recheck;
	if (f->e.n_todo && (f->check_all || f->need_index) &&
	    index_build(f->md, fs, &f->e.stored, err) < 0)
		return -1;
	return 0;
}

/* Transfers the plan, with the folder's progress. */
static int
transfer_planned(struct run *f, const struct folder *fo, struct qu_err *err)
{
	if (!f->e.n_todo)
		return 0;
	f->e.prog.pr = (struct app_fetch_progress){.folder = fo->name};
	app_progress_start(&f->e.prog, f->o);
	if (transfer(f, err) < 0)
		return -1;
	app_progress_report(&f->e.prog, true);
	return 0;
}

/* The UIDNEXT the folder is now synced up to: the server's, or the first
 * planned UID that did not come (a server that left one out without
 * saying NO), or the first skipped one: the next run lists from there. */
static uint32_t
synced_upto(const struct run *f, const struct imap_mailbox_status *sel)
{
	uint32_t next = (sel->have & IMAP_MB_HAVE_UIDNEXT) ? sel->uidnext : 0;
	for (size_t i = 0; i < f->e.n_todo; i++)
		if (f->todo[i].uid >= next)
			next = f->todo[i].uid + 1;
	for (size_t i = 0; i < f->e.n_todo; i++) {
		const struct app_fetch_key *e = map_find(&f->fs->uids, f->todo[i].uid);
		if (!e || e->state != APP_KEY_DONE) {
			next = f->todo[i].uid;
			break;
		}
	}
	if (f->skipped_from && f->skipped_from < next)
		next = f->skipped_from;
	return next < f->from ? f->from : next;
}

/* Applies the flag changes since the last sync's HIGHESTMODSEQ to the
 * stored copies (CONDSTORE, RFC 7162): SELECT brought them with QRESYNC,
 * else one UID FETCH CHANGEDSINCE asks. Without a HIGHESTMODSEQ from the
 * last sync there is no "since". */
static int
apply_flag_changes(struct run *f, uint64_t modseq, bool qresync, struct qu_err *err)
{
	struct fstate *fs = f->fs;
	if (!(fs->has_sync && fs->modseq && modseq > fs->modseq && f->from > 1 &&
	      ((imap_session_enabled(f->c.s) & IMAP_ENABLE_CONDSTORE) ||
	       imap_session_has_cap(f->c.s, "CONDSTORE"))))
		return 0;
	if (!qresync && fetch_changes(f, fs->modseq, err) < 0)
		return -1;
	return apply_changes(f, err);
}

/* The S entry: every message below next is stored, at HIGHESTMODSEQ
 * modseq. */
static int
record_synced(struct run *f, uint32_t next, uint64_t modseq, struct qu_err *err)
{
	struct fstate *fs = f->fs;
	if (write_state(f, err, "S %u %u %llu", fs->id, (unsigned)next,
			(unsigned long long)modseq) < 0)
		return -1;
	fs->has_sync = true;
	fs->uidnext = next;
	fs->modseq = modseq;
	fstate_recount(fs);
	return 0;
}

/* One selected folder, as the protocol goes (SPEC §5). */
static int
sync_selected(struct run *f, const struct folder *fo, struct qu_err *err)
{
	struct imap_mailbox_status sel;
	bool qresync;
	if (select_checked(f, fo, &sel, &qresync, err) < 0)
		return -1;
	if (!learn_unchanged(f, &sel)) {
		if (plan_new(f, &sel, err) < 0 || transfer_planned(f, fo, err) < 0)
			return -1;
		uint32_t next = synced_upto(f, &sel);
		uint64_t modseq = (sel.have & IMAP_MB_HAVE_HIGHESTMODSEQ) ? sel.highestmodseq : 0;
		if (apply_flag_changes(f, modseq, qresync, err) < 0 ||
		    record_synced(f, next, modseq, err) < 0)
			return -1;
	}
	return f->o->delete_after ? expunge_stored(f, err) : 0;
}

static int
sync_folder(struct run *f, const struct folder *fo, struct qu_err *err)
{
	f->fs = folder_state(f, fo, err);
	if (!f->fs)
		return -1;
	f->check_all = f->need_index = false;
	if (fo->have_status && unchanged(f->fs, &fo->st) && !f->o->delete_after) {
		f->r->folders++;
		return 0; /* not even selected */
	}
	f->rel = imap_mailbox_relpath(fo->name, fo->name_len, fo->delim);
	f->e.rel_prefix = f->rel;
	char *path = xasprintf("%s/%s", f->dir, f->rel);
	f->md = maildir_open(path, true, err);
	free(path);
	if (!f->md)
		return -1;
	/* Only a stop ends the folder here: a tmp/ that cannot be read is
	 * found again by the first delivery. */
	struct qu_err cerr;
	if (maildir_clean_tmp(f->md, TMP_MAX_AGE, f->e.prog.cancel, &cerr) < 0 &&
	    cerr.cls == QU_E_CANCELED) {
		*err = cerr;
		return -1;
	}
	int rc = sync_selected(f, fo, err);
	if (rc == 0)
		f->r->folders++;
	return rc;
}

/* ---- choosing folders ------------------------------------------------ */

static void
folders_clear(struct folder *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].wire);
	}
	free(v);
}

static const unsigned status_items = IMAP_MB_HAVE_UIDVALIDITY | IMAP_MB_HAVE_UIDNEXT |
				     IMAP_MB_HAVE_HIGHESTMODSEQ | IMAP_MB_HAVE_MESSAGES;

/* Fills in STATUS for the folders that LIST-STATUS did not cover. */
static int
status_folders(struct run *f, struct folder *v, size_t n, struct qu_err *err)
{
	const char **w = xcalloc(n ? n : 1, sizeof *w);
	size_t *wl = xcalloc(n ? n : 1, sizeof *wl), *idx = xcalloc(n ? n : 1, sizeof *idx), k = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].have_status)
			continue;
		w[k] = v[i].wire;
		wl[k] = v[i].wire_len;
		idx[k++] = i;
	}
	struct imap_mailbox_status *st = xcalloc(k ? k : 1, sizeof *st);
	bool *fail = xcalloc(k ? k : 1, sizeof *fail);
	int rc = k ? imap_session_status_many(f->c.s, w, wl, k, status_items, st, fail, err) : 0;
	for (size_t i = 0; rc == 0 && i < k; i++) {
		v[idx[i]].st = st[i];
		v[idx[i]].have_status = !fail[i];
		v[idx[i]].missing = fail[i];
	}
	free(w);
	free(wl);
	free(idx);
	free(st);
	free(fail);
	return rc;
}

static int
choose_folders(struct run *f, struct folder **out, size_t *nout, struct qu_err *err)
{
	struct imap_session *s = f->c.s;
	struct imap_list l = {0};
	struct folder *v = NULL;
	size_t n = 0, cap = 0;
	*out = NULL;
	*nout = 0;
	if (f->o->all_folders) {
		if (imap_session_list(s, "", "*", 0, status_items, &l, err) < 0)
			return -1;
		for (size_t i = 0; i < l.n; i++) {
			struct imap_list_entry *e = &l.v[i];
			if (e->attrs & IMAP_LIST_NOSELECT)
				continue;
			v = xgrow(v, &cap, n + 1, sizeof *v);
			v[n++] = (struct folder){
				.name = e->name, .name_len = e->name_len, .wire = e->wire,
				.wire_len = e->wire_len, .delim = e->delim, .st = e->status,
				.have_status = (e->status.have & (IMAP_MB_HAVE_UIDVALIDITY |
								   IMAP_MB_HAVE_UIDNEXT)) ==
					       (IMAP_MB_HAVE_UIDVALIDITY | IMAP_MB_HAVE_UIDNEXT)};
			e->name = e->wire = NULL; /* moved */
		}
	} else {
		/* The delimiter (RFC 3501 §6.3.8: LIST "" ""), then each named folder. */
		if (imap_session_list(s, "", "", 0, 0, &l, err) < 0)
			return -1;
		char delim = l.n ? l.v[0].delim : 0;
		size_t nf = f->o->n_folders;
		for (size_t i = 0; i < (nf ? nf : 1); i++) {
			const char *name = nf ? f->o->folders[i] : "INBOX";
			char *wire = imap_session_wire_name(s, name);
			if (!wire) {
				imap_list_clear(&l);
				folders_clear(v, n);
				return qu_err_set(err, QU_E_USAGE, "--folder %s: not valid UTF-8", name);
			}
			v = xgrow(v, &cap, n + 1, sizeof *v);
			size_t un;
			char *utf8 = imap_session_name_utf8(s, wire, strlen(wire), &un);
			v[n++] = (struct folder){.name = utf8, .name_len = un, .wire = wire,
						 .wire_len = strlen(wire), .delim = delim};
		}
	}
	imap_list_clear(&l);
	if (status_folders(f, v, n, err) < 0) {
		folders_clear(v, n);
		return -1;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* ---- locking and the whole run ---------------------------------------- */

/* One run at a time per account and Maildir (app_fetch_lock); DIR may
 * not exist yet on a first fetch. */
static int
lock_state(const char *dir, const char *name, struct qu_err *err)
{
	if (store_mkdir_p(dir, 0700, err) < 0)
		return -1;
	return app_fetch_lock(dir, name, err);
}

static int
fetch_folders(struct run *f, struct qu_err *err)
{
	struct folder *v;
	size_t n;
	if (choose_folders(f, &v, &n, err) < 0)
		return -1;
	int rc = 0;
	struct qu_err first;
	qu_err_clear(&first);
	for (size_t i = 0; i < n; i++) {
		if ((rc = app_progress_check(&f->e.prog, err)) < 0)
			break;
		if (v[i].missing) {
			/* Named but not there: the others are still fetched. */
			if (first.cls == QU_E_OK)
				qu_err_set(&first, QU_E_UNAVAILABLE, "%s: no such folder", v[i].name);
			continue;
		}
		rc = sync_folder(f, &v[i], err);
		folder_clear(f);
		if (rc < 0) {
			if (err->cls != QU_E_IOERR && err->cls != QU_E_TEMPFAIL &&
			    err->cls != QU_E_CANCELED && !imap_session_broken(f->c.s) &&
			    err->cls != QU_E_SOFTWARE) {
				/* A folder the server refuses: go on with the others. */
				qu_err_prefix(err, "%s", v[i].name);
				if (first.cls == QU_E_OK)
					first = *err;
				rc = 0;
				continue;
			}
			break;
		}
	}
	folders_clear(v, n);
	if (rc == 0 && first.cls != QU_E_OK) {
		*err = first;
		rc = -1;
	}
	return rc;
}

/* Reading the journal (and compacting it) runs on a thread while the
 * connection is set up: on a re-run with nothing new the two are most of
 * the time. */
struct loader {
	struct run *f;
	int rc;
	struct qu_err err;
};

static void *
load_state(void *arg)
{
	struct loader *l = arg;
	struct run *f = l->f;
	l->rc = -1;
	if (store_journal_read(f->dir, f->jname, replay_line, &f->st, &l->err) < 0)
		return NULL;
	for (size_t i = 0; i < f->st.n; i++)
		fstate_recount(f->st.v[i]);
	if (maybe_compact(f->dir, f->jname, &f->st, &l->err) < 0)
		return NULL;
	f->e.j = store_journal_open(f->dir, f->jname, &l->err);
	if (f->e.j)
		l->rc = 0;
	return NULL;
}

int
app_fetch_imap(const struct cfg_account *a, const struct app_fetch_opts *o,
	       const struct app_net *net, struct app_fetch_result *r, struct qu_err *err)
{
	struct qu_err local;
	if (!err)
		err = &local;
	memset(r, 0, sizeof *r);
	r->max_size = cfg_max_message_size(a);
	const char *dir = o->dir ? o->dir : a->maildir;
	if (!dir || !*dir)
		return qu_err_set(err, QU_E_CONFIG, "no Maildir: give -o DIR or set maildir =");
	struct run f = {.o = o, .r = r, .dir = dir, .max_size = cfg_max_message_size(a),
		       .e = {.ops = &engine_ops, .r = r, .dir = dir, .strip = strlen(dir),
			     .ahead = PENDING_AHEAD, .prog = {.cancel = net ? net->cancel : NULL},
			     .stored = {.cancel = net ? net->cancel : NULL}}};
	f.e.ctx = &f;
	int rc = -1, lock = -1;
	struct cfg_url url;
	if (app_server_url(a, CFG_PROTO_IMAP, &url, err) < 0)
		return -1;
	/* The login's user, as app_imap_connect takes it; without one the
	 * connect fails with the reason. */
	const char *user = a->user ? a->user : url.user;
	if (user)
		f.jname = app_fetch_journal_name(JOURNAL_PREFIX, user, url.host);
	f.e.jname = f.jname;
	cfg_url_clear(&url);
	struct loader ld = {.f = &f, .rc = -1};
	qu_err_clear(&ld.err);
	pthread_t th;
	bool threaded = false;
	if (f.jname) {
		lock = lock_state(dir, f.jname, err);
		if (lock < 0)
			goto out;
		threaded = pthread_create(&th, NULL, load_state, &ld) == 0;
	}
	int crc = app_imap_connect(a, net, &f.c, err);
	if (threaded)
		pthread_join(th, NULL);
	else if (f.jname && crc == 0)
		load_state(&ld);
	if (crc < 0)
		goto out;
	if (ld.rc < 0) {
		*err = ld.err;
		goto out;
	}
	if (o->delete_after && !imap_session_has_cap(f.c.s, "UIDPLUS") &&
	    !imap_session_has_cap(f.c.s, "IMAP4rev2")) {
		/* A plain EXPUNGE would also remove what others flagged \Deleted. */
		qu_err_set(err, QU_E_UNAVAILABLE,
			   "--delete needs a server with UIDPLUS, to remove only what was fetched");
		app_imap_fail(&f.c, err);
		goto out;
	}
	rc = fetch_folders(&f, err);
	if (rc < 0)
		app_imap_fail(&f.c, err);
out:
	app_fetch_engine_clear(&f.e);
	folder_clear(&f);
	free(f.todo);
	free(f.chg);
	state_clear(&f.st);
	app_imap_close(&f.c);
	app_index_after_change(dir, r->messages + r->already + r->reflagged > 0, net ? net->cancel : NULL,
			       &r->index_warning);
	if (lock >= 0)
		close(lock);
	free(f.jname);
	return rc;
}
