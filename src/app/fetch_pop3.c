/*
 * `quail fetch --pop3`: a POP3 maildrop into a Maildir, exactly once
 * (SPEC §5).
 *
 * The crash-safe protocol. State is one append-only journal,
 * DIR/.quail/pop3-USER@HOST, whose lines are sequences of entries
 *
 *     P <uid>            <uid> may be committed to INBOX/new/ from now on
 *     C <uid> <relpath>  <uid> is stored, as <relpath> under DIR
 *                        ("INBOX/new/...", %-encoded, so no path can
 *                        break the line)
 *     D <uid> <relpath>  the same, <relpath> as it is (older journals,
 *                        still read; "new/..." from before INBOX)
 *
 * Messages go into the Maildir DIR/INBOX (SPEC §5); a Maildir of an older
 * quail, with the messages in DIR itself, is moved there in place on the
 * first run (migrate_top).
 *
 * <uid> is as the server sent it: uids are printable, without spaces
 * (RFC 1939 §7, checked by pop3_session_list).
 * (e.g. "C u1 new/... C u2 new/... P u9 P u10"); one line is one append
 * and one fdatasync. A message goes through these steps, each finished
 * before the next begins:
 *
 *  1. "P <uid>" is durable. Entries for the next PENDING_AHEAD messages
 *     are written together, so this costs one sync per 64 messages.
 *  2. RETR streams the message into tmp/ (maildir_delivery_*); a worker
 *     thread commits it: fsync the file, rename into new/, fsync new/.
 *  3. "C <uid> <relpath>" is durable; several commits share one line.
 *  4. Only now is <uid> done: counted, and eligible for DELE.
 *
 * A kill or a lost connection at any point leaves in new/ and cur/ only
 * complete messages (a cut-off one stays in tmp/, removed by
 * maildir_clean_tmp after 36 hours), and any complete one without a C
 * entry has a P entry. The next run fetches a uid that is P without C
 * again and, before committing it, looks in new/ and cur/ for a file of
 * the same size and the same bytes (maildir_delivery_matches) that no C
 * entry claims; if there is one, it is recorded with a C entry instead of
 * being stored twice. Other messages are not compared, so two server
 * messages with identical bytes are both kept. DELE is sent only for uids
 * with a durable C entry, and only the QUIT of a session without error
 * commits it; after an error the connection is dropped without QUIT, so
 * (RFC 1939 §6) the server removes nothing.
 *
 * The steps shared with `fetch --imap` (the journal's P and C entries, the
 * commit hand-over, the check for a stored copy, compaction) live in
 * fetch_engine.c; this file gives it the uids and reads the journal.
 *
 * Without UIDL nothing can be tracked: such a server is refused unless
 * --delete is given; then every message is compared with the Maildir
 * before it is stored, and removed once stored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"
#include "store/store.h"
#include "config/config.h"
#include "pop3/pop3.h"
#include "app/private.h"

#define JOURNAL_PREFIX "pop3-"
/* The Maildir under DIR that POP3 delivers into (SPEC §5). */
#define INBOX "INBOX"
#define INBOX_PREFIX INBOX "/"
/* The Maildir convention's age for stale tmp/ files. */
#define TMP_MAX_AGE (36L * 3600)
/* Compact when the journal has this many entries more than it needs. */
#define COMPACT_SLACK 256

/* ---- the journal ----------------------------------------------------- */

/* The journal's state: a key per unique-id (fetch_engine.c); a done
 * one's rel is relative to DIR/INBOX. */
struct replay {
	struct app_fetch_keys *set;
	size_t entries;
};

static void
mark_done(struct app_fetch_keys *set, const char *uid, size_t un, const char *rel, size_t rn)
{
	app_fetch_key_done(app_fetch_keys_add(set, uid, un, NULL), rel, rn);
}

/* One journal line. Lines it does not understand are skipped: a later
 * quail may write more, and a damaged line must not stop every fetch. */
static int
replay_line(void *ctx, const char *line, size_t len, struct qu_err *err)
{
	struct replay *r = ctx;
	const char *p = line, *end = line + len, *tag, *uid, *rel;
	size_t tn, un, rn;
	(void)err;
	while (app_word(&p, end, &tag, &tn)) {
		if (tn != 1 || !app_word(&p, end, &uid, &un))
			return 0;
		r->entries++;
		if (*tag == 'C') {
			if (!app_word(&p, end, &rel, &rn))
				return 0;
			size_t n;
			char *d = qu_pct_decode(rel, rn, &n);
			/* Held relative to DIR/INBOX, as the commit pool names
			 * files; written with the prefix (path_prefix). */
			size_t skip = n > 6 && memcmp(d, INBOX_PREFIX, 6) == 0 ? 6 : 0;
			if (!memchr(d, '\0', n))
				mark_done(r->set, uid, un, d + skip, n - skip);
			free(d);
		} else if (*tag == 'D') {
			/* Older journals: quail's own file names, no spaces. */
			if (!app_word(&p, end, &rel, &rn))
				return 0;
			mark_done(r->set, uid, un, rel, rn);
		} else if (*tag == 'P') {
			app_fetch_keys_add(r->set, uid, un, NULL); /* stays DONE if it is */
		} else {
			return 0;
		}
	}
	return 0;
}

/* ---- the fetch ------------------------------------------------------- */

/* How far ahead of the message being committed the journal names pending
 * uids; one journal sync covers this many messages. */
#define PENDING_AHEAD 64

struct fetch {
	const struct app_fetch_opts *o;
	struct app_fetch_result *r;
	struct maildir *md;
	struct app_fetch_engine e; /* its journal: NULL without UIDL */
	struct app_fetch_keys set;
	struct pop3_listing list;
	size_t *todo;     /* the plan (e.n_todo): indexes into list.msgs */
	uint32_t *nums;   /* their message-numbers */
	bool *stored_now; /* per listing index: durably stored (or found) this run */
	uint64_t max_size; /* max_message_size */
	/* messages the server would not send */
	uint64_t refused;
	struct qu_err first_refusal;
};

static void
mark_committed(void *ctx, const struct app_commit_job *j)
{
	struct fetch *f = ctx;
	const char *uid = f->list.msgs[j->tag].uid;
	if (uid)
		mark_done(&f->set, uid, strlen(uid), j->rel, strlen(j->rel));
	f->stored_now[j->tag] = true;
}

/* ---- the engine's callbacks (fetch_engine.c) ---------------------------- */

static void
put_key(void *ctx, struct qu_buf *b, size_t tag)
{
	struct fetch *f = ctx;
	qu_buf_append_str(b, f->list.msgs[tag].uid);
}

static size_t
plan_tag(void *ctx, size_t i)
{
	struct fetch *f = ctx;
	return f->todo[i];
}

/* Every uid of the plan gets its P entry again: the entries are cheap,
 * and the journal then names what this run may store. */
static bool
pend(void *ctx, size_t tag)
{
	(void)ctx;
	(void)tag;
	return true;
}

/* The Maildir's files for the stored-copies check, without the files
 * that C (or D) entries claim. */
static int
build_index(void *ctx, struct app_stored_index *ix, struct qu_err *err)
{
	struct fetch *f = ctx;
	size_t nc;
	const char **claimed = app_fetch_keys_claimed(&f->set, &nc);
	int rc = app_stored_index_build(f->md, claimed, nc, ix, err);
	free(claimed);
	return rc;
}

static const struct app_fetch_engine_ops engine_ops = {put_key, plan_tag, pend, mark_committed,
						       build_index};

static int
on_begin(void *ctx, size_t i, struct qu_err *err)
{
	struct fetch *f = ctx;
	(void)i;
	return app_fetch_engine_begin(&f->e, f->md, err);
}

static int
on_data(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct fetch *f = ctx;
	/* LIST said it was small enough: a server that sends more than the
	 * limit anyway is not believed any further. */
	if (maildir_delivery_size(f->e.d) + n > f->max_size)
		return qu_err_set(err, QU_E_DATA,
				  "the server sends more than max_message_size (%llu bytes) for "
				  "a message it listed as smaller",
				  (unsigned long long)f->max_size);
	return app_fetch_engine_data(&f->e, p, n, err);
}

static int
on_end(void *ctx, size_t i, uint64_t octets, struct qu_err *err)
{
	struct fetch *f = ctx;
	(void)octets;
	struct app_commit_job *j = app_fetch_engine_job(&f->e, f->todo[i]);
	/* A pending uid may be in the Maildir already (the run that stored
	 * it was stopped before its C entry); without UIDL any message may
	 * be. */
	const char *uid = f->list.msgs[j->tag].uid;
	struct app_fetch_key *e = uid ? app_fetch_keys_find(&f->set, uid, strlen(uid)) : NULL;
	bool maybe = !f->e.j || (e && e->state == APP_KEY_PENDING);
	return app_fetch_engine_take(&f->e, j, i, maybe, err);
}

static int
on_refused(void *ctx, size_t i, const struct qu_err *why, struct qu_err *err)
{
	struct fetch *f = ctx;
	(void)err;
	if (!f->refused++)
		f->first_refusal = *why;
	f->e.prog.pr.msgs_done++;
	f->e.prog.pr.bytes_done += f->list.msgs[f->todo[i]].size;
	return 0;
}

/* Rewrites the journal without the uids the server no longer has, when
 * their entries have come to outnumber the rest. */
static int
maybe_compact(struct fetch *f, size_t entries, struct qu_err *err)
{
	size_t live = 0;
	for (size_t i = 0; i < f->set.cap; i++)
		if (f->set.v[i].key && f->set.v[i].mark)
			live++;
	if (entries <= 2 * live + COMPACT_SLACK)
		return 0;
	struct app_fetch_lines l = {0};
	app_fetch_lines_keys(&l, &f->set, "", INBOX_PREFIX, true);
	return app_fetch_lines_write(&l, f->e.dir, f->e.jname, err);
}

/* Which messages to fetch: those without a C or D line (all without UIDL). */
static void
plan(struct fetch *f)
{
	size_t n = f->list.n;
	f->todo = xcalloc(n ? n : 1, sizeof *f->todo);
	f->nums = xcalloc(n ? n : 1, sizeof *f->nums);
	f->stored_now = xcalloc(n ? n : 1, sizeof *f->stored_now);
	for (size_t i = 0; i < n; i++) {
		struct pop3_msg *m = &f->list.msgs[i];
		struct app_fetch_key *e = m->uid ? app_fetch_keys_find(&f->set, m->uid, strlen(m->uid))
						 : NULL;
		if (e)
			e->mark = true; /* on the server */
		if (e && e->state == APP_KEY_DONE)
			continue;
		/* Over max_message_size: skipped and not recorded, so a run
		 * with a higher limit fetches it. */
		if (m->size > f->max_size) {
			f->r->skipped++;
			continue;
		}
		f->todo[f->e.n_todo] = i;
		f->nums[f->e.n_todo++] = m->num;
		f->e.prog.pr.msgs_total++;
		f->e.prog.pr.bytes_total += m->size;
	}
}

/* --delete: DELE for every message whose copy is durable, by a C or D line
 * (this run's or an earlier one's) or, without UIDL, by this run. */
static int
delete_stored(struct fetch *f, struct pop3_session *s, struct qu_err *err)
{
	uint32_t *nums = xcalloc(f->list.n ? f->list.n : 1, sizeof *nums);
	size_t n = 0;
	for (size_t i = 0; i < f->list.n; i++) {
		struct pop3_msg *m = &f->list.msgs[i];
		struct app_fetch_key *e = m->uid ? app_fetch_keys_find(&f->set, m->uid, strlen(m->uid))
						 : NULL;
		if (m->uid ? (e && e->state == APP_KEY_DONE) : f->stored_now[i])
			nums[n++] = m->num;
	}
	int rc = n ? pop3_session_dele_many(s, nums, n, err) : 0;
	free(nums);
	if (rc == 0)
		f->r->deleted = n;
	return rc;
}

static void
fetch_clear(struct fetch *f)
{
	app_fetch_engine_clear(&f->e);
	maildir_free(f->md);
	app_fetch_keys_clear(&f->set);
	pop3_listing_clear(&f->list);
	free(f->todo);
	free(f->nums);
	free(f->stored_now);
}

/* Downloads the plan. On failure the commits already in flight are still
 * waited for and journaled (best effort), so they count as done. */
static int
transfer(struct fetch *f, struct pop3_session *s, struct qu_err *err)
{
	size_t n = f->e.n_todo;
	if (!n)
		return 0;
	if (app_fetch_engine_start(&f->e, err) < 0)
		return -1;
	uint64_t *sizes = xcalloc(n, sizeof *sizes);
	for (size_t i = 0; i < n; i++)
		sizes[i] = f->list.msgs[f->todo[i]].size;
	struct pop3_retr_handler h = {on_begin, on_data, on_end, on_refused, sizes};
	int rc = pop3_session_retr_many(s, f->nums, n, &h, f, err);
	free(sizes);
	return app_fetch_engine_end(&f->e, rc, err);
}

/* Everything after login. Any error leaves the session to be dropped. */
static int
fetch_session(struct fetch *f, struct pop3_session *s, size_t journal_entries, struct qu_err *err)
{
	if (pop3_session_listing(s, &f->list, err) < 0)
		return -1;
	if (!f->list.has_uid && !f->o->delete_after)
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "%s: without unique-ids quail cannot tell new messages from those "
				  "already fetched, so it fetches from this server only with --delete",
				  f->list.no_uid_why);
	plan(f);
	f->r->folders = 1;
	if (f->list.has_uid) {
		if (maybe_compact(f, journal_entries, err) < 0)
			return -1;
		f->e.j = store_journal_open(f->e.dir, f->e.jname, err);
		if (!f->e.j)
			return -1;
	}
	app_progress_start(&f->e.prog, f->o);
	if (transfer(f, s, err) < 0)
		return -1;
	app_progress_report(&f->e.prog, true);
	if (f->o->delete_after && delete_stored(f, s, err) < 0)
		return -1;
	if (pop3_session_quit(s, err) < 0) {
		f->r->deleted = 0;
		return -1;
	}
	if (f->refused) {
		*err = f->first_refusal;
		qu_err_prefix(err, "%llu message%s could not be retrieved, the first",
			      (unsigned long long)f->refused, f->refused == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/* Connects and logs in; returns the session or NULL. */
static struct pop3_session *
connect_login(const struct cfg_account *a, const struct cfg_url *u, const struct app_net *net,
	      struct app_creds *c, struct qu_err *err)
{
	struct net_opts no;
	app_net_opts(a, net, &no);
	struct pop3_opts po = {.host = u->host, .port = u->port, .tls = app_tls_mode(u->tls), .net = no};
	struct pop3_session *s = pop3_session_open(&po, err);
	if (!s)
		return NULL;
	if (app_creds_end(c, err) < 0) {
		pop3_session_close(s);
		return NULL;
	}
	bool allow_plain = u->tls == CFG_TLS_NONE || net_conn_is_tls(pop3_session_conn(s));
	if (pop3_session_auth(s, &c->c, allow_plain, NULL, err) < 0) {
		pop3_session_close(s);
		return NULL;
	}
	return s;
}

/* Moves the files of DIR/SUB into DIR/INBOX/SUB by rename: each one is
 * in one place or the other at any moment. */
static int
move_sub(const char *dir, const char *sub, struct qu_err *err)
{
	char *from = xasprintf("%s/%s", dir, sub);
	DIR *dp = opendir(from);
	int rc = 0;
	if (!dp) {
		if (errno != ENOENT)
			rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", from);
		free(from);
		return rc;
	}
	struct dirent *de;
	while (rc == 0 && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *a = xasprintf("%s/%s", from, de->d_name);
		char *b = xasprintf("%s/" INBOX "/%s/%s", dir, sub, de->d_name);
		if (rename(a, b) < 0)
			rc = qu_err_sys(err, QU_E_IOERR, errno, "moving %s to %s", a, b);
		free(a);
		free(b);
	}
	closedir(dp);
	free(from);
	return rc;
}

static int
fsync_path(const char *path, struct qu_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
	int rc = fsync(fd) < 0 ? qu_err_sys(err, QU_E_IOERR, errno, "%s: fsync", path) : 0;
	close(fd);
	return rc;
}

/* An older quail delivered POP3 mail into DIR itself (DIR/new, DIR/cur);
 * SPEC §5 puts it in DIR/INBOX. Under the fetch lock, before anything
 * else reads the Maildir, such messages move in place: each file is
 * renamed into DIR/INBOX (atomic: a kill leaves every message in one of
 * the two places, and the next run goes on), the renames are made
 * durable, then the emptied directories go (tmp/ with what is in it:
 * only deliveries cut off). The journal knows files by their unique
 * names, which do not change. */
static int
migrate_top(const char *dir, struct maildir *inbox, struct qu_err *err)
{
	char *n = xasprintf("%s/new", dir), *c = xasprintf("%s/cur", dir);
	int rc = 0;
	if (store_kind(n) != STORE_KIND_MISSING || store_kind(c) != STORE_KIND_MISSING) {
		if (move_sub(dir, "new", err) < 0 || move_sub(dir, "cur", err) < 0 ||
		    maildir_sync(inbox, err) < 0 || fsync_path(n, err) < 0 || fsync_path(c, err) < 0)
			rc = qu_err_prefix(err, "moving the POP3 Maildir %s into %s/" INBOX, dir, dir);
		if (rc == 0) {
			rmdir(n);
			rmdir(c);
			char *t = xasprintf("%s/tmp", dir);
			DIR *dp = opendir(t);
			struct dirent *de;
			while (dp && (de = readdir(dp)) != NULL) {
				if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
					continue;
				char *f = xasprintf("%s/%s", t, de->d_name);
				unlink(f);
				free(f);
			}
			if (dp)
				closedir(dp);
			rmdir(t);
			free(t);
		}
	}
	free(n);
	free(c);
	return rc;
}

int
app_fetch_pop3(const struct cfg_account *a, const struct app_fetch_opts *o,
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
	struct cfg_url u;
	if (app_server_url(a, CFG_PROTO_POP3, &u, err) < 0)
		return -1;
	char *where = cfg_url_format(&u);
	const struct qu_cancel *cancel = net ? net->cancel : NULL;
	struct fetch f = {.o = o, .r = r, .max_size = cfg_max_message_size(a),
			  .e = {.ops = &engine_ops, .r = r, .dir = dir, .path_prefix = INBOX_PREFIX,
				.ahead = PENDING_AHEAD,
				.prog = {.pr = {.folder = "INBOX"}, .cancel = cancel},
				.stored = {.cancel = cancel}}};
	f.e.ctx = &f;
	struct pop3_session *s = NULL;
	struct app_creds c;
	char *jname = NULL, *inbox = NULL;
	int rc = -1, lock = -1;
	bool remote = false;
	/* password_command runs while the Maildir is opened, the journal read
	 * and the connection set up. */
	struct net_opts po;
	app_net_opts(a, net, &po);
	if (app_creds_begin(a, &u, &po, &c, err) < 0)
		goto out;
	jname = app_fetch_journal_name(JOURNAL_PREFIX, c.user, u.host);
	f.e.jname = jname;
	lock = app_fetch_lock(dir, jname, err);
	if (lock < 0)
		goto out;
	inbox = xasprintf("%s/" INBOX, dir);
	f.md = maildir_open(inbox, true, err);
	if (!f.md || migrate_top(dir, f.md, err) < 0)
		goto out;
	f.e.strip = strlen(maildir_path(f.md));
	/* A killed run may have left tmp/ files; old ones are garbage. Only
	 * a stop ends the fetch here: a tmp/ that cannot be read is found
	 * again by the first delivery. */
	struct qu_err cerr;
	if (maildir_clean_tmp(f.md, TMP_MAX_AGE, cancel, &cerr) < 0 &&
	    cerr.cls == QU_E_CANCELED) {
		*err = cerr;
		goto out;
	}
	struct replay rp = {&f.set, 0};
	if (store_journal_read(dir, jname, replay_line, &rp, err) < 0)
		goto out;
	remote = true;
	s = connect_login(a, &u, net, &c, err);
	app_creds_clear(&c);
	if (!s)
		goto out;
	rc = fetch_session(&f, s, rp.entries, err);
	/* Local failures are said with their path, not the server's URL. */
	remote = err->cls != QU_E_IOERR;
out:
	if (rc < 0 && s)
		pop3_session_drop(s); /* no QUIT: RFC 1939 §6, nothing is removed */
	pop3_session_close(s);
	if (rc < 0 && remote && err->cls != QU_E_CANCELED)
		qu_err_prefix(err, "%s", where);
	app_creds_clear(&c);
	fetch_clear(&f);
	app_index_after_change(dir, r->messages + r->already > 0, net ? net->cancel : NULL,
			       &r->index_warning);
	if (lock >= 0)
		close(lock);
	free(jname);
	free(inbox);
	free(where);
	cfg_url_clear(&u);
	return rc;
}
