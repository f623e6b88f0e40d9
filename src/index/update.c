/* index_update: bringing the index up to date with the folders on disk
 * (SPEC §9: a run where nothing changed reads no message).
 *
 * Per folder: when the mtimes of cur/ and new/ are those stored at the last
 * full listing, nothing is listed. Otherwise the listing and the index are
 * merged by Maildir unique part (the name before ":2,"): a known unique
 * part under another name is a rename (flags, new/ -> cur/) and costs one
 * UPDATE; a file whose size or mtime changed is parsed again; names not
 * listed any more are removed. New files are parsed by two threads and
 * written by this one in transactions of INDEX_BATCH messages; a bounded
 * queue between them keeps memory flat whatever the folder's size.
 *
 * A new message is written in two passes. The first writes its row
 * (envelope, flags, thread, attachment names) and notes it in fts_todo;
 * once every folder under a path has its rows, the second reads the
 * messages again for their text and writes that into fts. The full text
 * is most of an index's writing (a 20,000-message folder: about 2 s of
 * rows, 3 s of text), and a folder opens from its rows (SPEC §8): so it
 * opens from the index seconds sooner after its first sight, and search
 * knows, from fts_todo, which messages it cannot answer for yet. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util/util.h"
#include "store/store.h"

#include "index/private.h"
#include "index/walk.h"

#define INDEX_BATCH 2000
#define PARSERS 2
#define QUEUE_MAX 16 /* parsed messages waiting: at most 16 MiB of text */

struct upd {
	struct index *ix;
	const struct index_update_opts *o;
	struct index_stats *st;
	uint64_t pending; /* messages written in the open transaction */
	int64_t changes0; /* sqlite3_total_changes64 at its start */
	bool refill;      /* the full-text rebuild (collect_garbage) */
	bool text;        /* the second pass: text for fts_todo's rows */
};

/* ---- statements ------------------------------------------------------- */

static const char sql_folder_get[] =
	"SELECT id, cur_mtime, new_mtime, name = ?2 AND kind = ?3 FROM folder WHERE path = ?1";
static const char sql_folder_add[] =
	"INSERT INTO folder (path, name, kind, msgs) VALUES (?, ?, ?, 0)"
	" ON CONFLICT (path) DO UPDATE SET name = excluded.name, kind = excluded.kind";
static const char sql_folder_mtimes[] =
	"UPDATE folder SET cur_mtime = ?, new_mtime = ? WHERE id = ?";
static const char sql_folder_msgs_known[] = "SELECT msgs FROM folder WHERE id = ?";
static const char sql_folder_count[] = "SELECT count(*) FROM msg WHERE folder = ?";
static const char sql_folder_msgs_set[] = "UPDATE folder SET msgs = ? WHERE id = ?";
static const char sql_marks_known[] = "SELECT 1 FROM folder_marks WHERE folder = ?";
static const char sql_marks_fill[] = "INSERT OR REPLACE INTO folder_marks SELECT ?1,"
	" (SELECT count(*) FROM msg WHERE folder = ?1 AND flags & 1 = 0),"
	" (SELECT count(*) FROM msg WHERE folder = ?1 AND flags & 2 <> 0),"
	" (SELECT count(*) FROM msg WHERE folder = ?1 AND flags & 8 <> 0)";
static const char sql_existing[] =
	"SELECT id, uniq, file, size, mtime FROM msg WHERE folder = ? ORDER BY uniq";
static const char sql_rename[] =
	"UPDATE msg SET file = ?, flags = ?, is_new = ? WHERE id = ?";
static const char sql_insert[] =
	"INSERT INTO msg (folder, uniq, file, size, mtime, date, from_name, from_addr, to_list,"
	" cc_list, subject, message_id, in_reply_to, refs, list_id, flags, is_new,"
	" has_attachment, filenames, thread, parent)"
	" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	" ON CONFLICT (folder, uniq) DO NOTHING";
static const char sql_fts[] =
	"INSERT INTO fts (rowid, subject, sender, recipients, filenames, body)"
	" VALUES (?, ?, ?, ?, ?, ?)";
static const char sql_todo_add[] = "INSERT OR IGNORE INTO fts_todo VALUES (?)";
static const char sql_todo_take[] = "DELETE FROM fts_todo WHERE id = ?";
static const char sql_folders_under[] =
	"SELECT id, path FROM folder WHERE path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '/'";
static const char sql_folder_msgs[] = "SELECT id FROM msg WHERE folder = ?";
static const char sql_folder_del[] = "DELETE FROM folder WHERE id = ?";

/* ---- transactions ----------------------------------------------------- */

static int
tx_begin(struct upd *u, struct qu_err *err)
{
	u->pending = 0;
	u->changes0 = sqlite3_total_changes64(u->ix->db);
	return index_db_exec(u->ix->db, "BEGIN IMMEDIATE", err);
}

static int
tx_commit(struct upd *u, struct qu_err *err)
{
	/* A transaction that changed no row (a run where nothing changed)
	 * dirtied no thread: the flush's four statements are skipped. */
	if (sqlite3_total_changes64(u->ix->db) != u->changes0 &&
		index_thread_flush(u->ix, err) < 0)
		return -1;
	return index_db_exec(u->ix->db, "COMMIT", err);
}

/* Commits every INDEX_BATCH messages, so a crash or a cancel loses little
 * and other processes get the lock now and then. */
static int
tx_tick(struct upd *u, struct qu_err *err)
{
	if (++u->pending < INDEX_BATCH)
		return 0;
	if (tx_commit(u, err) < 0)
		return -1;
	/* An index file removed meanwhile (its cache directory cleared)
	 * is not filled on: what is written to it is lost. */
	if (!index_still_there(u->ix))
		return qu_err_set(err, QU_E_IOERR, "%s: removed while it was updated",
			u->ix->path);
	return tx_begin(u, err);
}

/* ---- writing one message ---------------------------------------------- */

static int
write_fts(struct index *ix, int64_t id, const struct index_doc *d, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql_fts, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	index_bind_str(st, 2, d->subject);
	index_bind_str(st, 3, d->sender);
	index_bind_str(st, 4, d->recipients);
	index_bind_str(st, 5, d->filenames);
	sqlite3_bind_text(st, 6, d->body.data ? d->body.data : "", (int)d->body.len,
		SQLITE_STATIC);
	return index_step_done(ix, st, err);
}

/* The text of a message whose row is written (d->rowid). */
static int
write_text(struct upd *u, struct index_doc *d, struct qu_err *err)
{
	struct index *ix = u->ix;
	if (u->refill) {
		/* The full-text rebuild: one transaction, no ticks; it
		 * empties fts_todo at its end. */
		u->st->fts_rebuilt++;
		return write_fts(ix, d->rowid, d, err);
	}
	/* Taken from fts_todo first: another run may have written this
	 * text since our list was made, and fts must not get it twice. */
	if (index_exec_id(ix, sql_todo_take, d->rowid, err) < 0)
		return -1;
	if (sqlite3_changes(ix->db) == 0)
		return 0;
	if (write_fts(ix, d->rowid, d, err) < 0)
		return -1;
	u->st->texts++;
	return tx_tick(u, err);
}

/* A message whose row is written and whose file is there but cannot be
 * read any more (its mode changed between the passes): it goes without
 * text, as a file unreadable at the first pass goes without a row, rather
 * than wait for text for ever and keep its folder from being current. A
 * rewrite of the file (its size or mtime) reads it again. */
static int
drop_text(struct upd *u, const struct index_doc *d, struct qu_err *err)
{
	if (index_exec_id(u->ix, sql_todo_take, d->rowid, err) < 0)
		return -1;
	return sqlite3_changes(u->ix->db) ? tx_tick(u, err) : 0;
}

static int
write_doc(struct upd *u, int64_t fid, struct index_doc *d, struct qu_err *err)
{
	struct index *ix = u->ix;
	if (d->rowid > 0)
		return write_text(u, d, err);
	/* Its thread and parent first, so the row is written once. */
	struct index_place pl;
	bool by_subject = u->o && u->o->subject_threads;
	if (index_thread_place(ix, d, by_subject, &pl, err) < 0)
		return -1;
	sqlite3_stmt *st = index_stmt(ix, sql_insert, err);
	if (!st)
		return -1;
	int i = 1;
	sqlite3_bind_int64(st, i++, fid);
	index_bind_str(st, i++, d->uniq);
	index_bind_str(st, i++, d->file);
	sqlite3_bind_int64(st, i++, d->size);
	sqlite3_bind_int64(st, i++, d->mtime);
	if (d->has_date)
		sqlite3_bind_int64(st, i, d->date);
	i++;
	const char *strs[] = {d->from_name, d->from_addr, d->to_list, d->cc_list, d->subject,
		d->message_id, d->in_reply_to, d->refs, d->list_id};
	for (size_t k = 0; k < QU_ARRAY_LEN(strs); k++)
		index_bind_str(st, i++, strs[k]);
	sqlite3_bind_int(st, i++, (int)d->flags);
	sqlite3_bind_int(st, i++, d->is_new);
	sqlite3_bind_int(st, i++, d->has_attachment);
	index_bind_str(st, i++, d->filenames);
	sqlite3_bind_int64(st, i++, pl.thread);
	if (pl.parent)
		sqlite3_bind_int64(st, i, pl.parent);
	i++;
	if (index_step_done(ix, st, err) < 0)
		return -1;
	/* Another run wrote it between our listing and now. */
	if (sqlite3_changes(ix->db) == 0)
		return 0;
	int64_t id = sqlite3_last_insert_rowid(ix->db);
	if (index_exec_id(ix, sql_todo_add, id, err) < 0 || index_thread_link(ix, id, d, err) < 0)
		return -1;
	if (d->rewritten)
		u->st->changed++;
	else
		u->st->added++;
	return tx_tick(u, err);
}

/* One file of the listing. */
struct entry {
	char *uniq;
	char *file;      /* "cur/NAME" or "new/NAME"; mbox "" */
	unsigned flags;  /* INDEX_FLAG_* */
	bool is_new;
	const char *mem; /* mbox: the message */
	size_t mem_len;
	int64_t size;    /* mbox: known from the listing; Maildir: -1 until stat */
};

/* A message to parse: its listing entry (the listing outlives the parse)
 * and what the index update knows of it. The index_doc is made only when a
 * parsing thread takes the job, so a folder of many new files holds 40
 * bytes a file here, not one document. */
struct job {
	const struct entry *e;
	int64_t size, mtime;
	int64_t rowid;
	bool rewritten;
};

/* ---- the parsing threads ---------------------------------------------- */

static struct index_doc *
new_doc(const char *dir, const struct job *j)
{
	const struct entry *e = j->e;
	struct index_doc *d = xcalloc(1, sizeof *d);
	d->path = e->mem ? xstrdup(dir) : xasprintf("%s/%s", dir, e->file);
	d->file = xstrdup(e->file);
	d->uniq = xstrdup(e->uniq);
	d->size = j->size;
	d->mtime = j->mtime;
	d->flags = e->flags;
	d->is_new = e->is_new;
	d->mem = e->mem;
	d->mem_len = e->mem_len;
	d->rewritten = j->rewritten;
	d->rowid = j->rowid;
	d->no_text = j->rowid == 0; /* the first pass: the row only */
	return d;
}

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t more;  /* a result was queued */
	pthread_cond_t room;  /* a result was taken */
	const char *dir;
	const struct job *jobs;
	size_t njobs, next;   /* jobs[next..] not yet taken */
	struct index_doc *q[QUEUE_MAX];
	size_t head, count;
	bool stop;
};

static void *
parser_main(void *arg)
{
	struct pipe *p = arg;
	struct index_parser *ps = index_parser_new();
	for (;;) {
		pthread_mutex_lock(&p->mu);
		if (p->stop || p->next == p->njobs) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		const struct job *j = &p->jobs[p->next++];
		pthread_mutex_unlock(&p->mu);
		struct index_doc *d = new_doc(p->dir, j);
		index_parser_run(ps, d);
		pthread_mutex_lock(&p->mu);
		while (p->count == QUEUE_MAX && !p->stop)
			pthread_cond_wait(&p->room, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			index_doc_free(d);
			break;
		}
		p->q[(p->head + p->count++) % QUEUE_MAX] = d;
		pthread_cond_signal(&p->more);
		pthread_mutex_unlock(&p->mu);
	}
	index_parser_free(ps);
	return NULL;
}

static void
progress(struct upd *u, const char *folder, uint64_t done, uint64_t total)
{
	if (!u->o || !u->o->progress)
		return;
	struct index_progress pr = {folder, done, total, u->text};
	u->o->progress(u->o->progress_ctx, &pr);
}

/* Parses jobs[0..n) of the folder at fpath and writes each into folder
 * fid. */
static int
parse_and_write(struct upd *u, int64_t fid, const char *fpath, const struct job *jobs,
	size_t n, struct qu_err *err)
{
	if (n == 0)
		return 0;
	const struct qu_cancel *cancel = u->o ? u->o->cancel : NULL;
	struct pipe p = {.dir = fpath, .jobs = jobs, .njobs = n};
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.more, NULL);
	pthread_cond_init(&p.room, NULL);
	pthread_t th[PARSERS];
	size_t nth = 0;
	for (; nth < PARSERS && nth < n; nth++)
		if (pthread_create(&th[nth], NULL, parser_main, &p) != 0)
			break;
	int r = 0;
	if (nth == 0)
		r = qu_err_set(err, QU_E_SOFTWARE, "index: cannot start a parsing thread");
	for (size_t done = 0; r == 0 && done < n; done++) {
		if (qu_cancel_check(cancel, err) < 0) {
			r = -1;
			break;
		}
		pthread_mutex_lock(&p.mu);
		while (p.count == 0)
			pthread_cond_wait(&p.more, &p.mu);
		struct index_doc *d = p.q[p.head];
		p.head = (p.head + 1) % QUEUE_MAX;
		p.count--;
		pthread_cond_signal(&p.room);
		pthread_mutex_unlock(&p.mu);
		if (!d->vanished)
			r = write_doc(u, fid, d, err);
		else if (d->unreadable && d->rowid > 0 && !u->refill)
			r = drop_text(u, d, err);
		index_doc_free(d);
		if ((done + 1) % INDEX_BATCH == 0)
			progress(u, fpath, done + 1, n);
	}
	pthread_mutex_lock(&p.mu);
	p.stop = true;
	pthread_cond_broadcast(&p.room);
	pthread_mutex_unlock(&p.mu);
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i < p.count; i++)
		index_doc_free(p.q[(p.head + i) % QUEUE_MAX]);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.more);
	pthread_cond_destroy(&p.room);
	return r;
}

/* ---- listing a folder and merging it with the index ------------------- */

struct listing {
	struct entry *v;
	size_t n, alloc;
};

static void
listing_clear(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].uniq);
		free(l->v[i].file);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->uniq, ((const struct entry *)b)->uniq);
}

static int64_t
mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* Lists DIR/sub (cur or new) into l. A missing directory is empty. */
static int
list_dir(const char *dir, const char *sub, struct listing *l, const struct qu_cancel *cancel,
	struct qu_err *err)
{
	char *path = xasprintf("%s/%s", dir, sub);
	DIR *dp = opendir(path);
	if (!dp) {
		int e = errno;
		int r = e == ENOENT ? 0 : qu_err_sys(err, QU_E_IOERR, e, "%s", path);
		free(path);
		return r;
	}
	free(path);
	struct dirent *de;
	int r = 0;
	size_t k = 0;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((++k & 1023) == 0 && (r = qu_cancel_check(cancel, err)) < 0)
			break;
		/* The unique part is what comes before the info (":2,..."),
		 * the part a flag change leaves alone. */
		const char *colon = strchr(de->d_name, ':');
		size_t ulen = colon ? (size_t)(colon - de->d_name) : strlen(de->d_name);
		l->v = xgrow(l->v, &l->alloc, l->n + 1, sizeof *l->v);
		struct entry *e = &l->v[l->n++];
		e->uniq = xstrndup(de->d_name, ulen);
		e->file = xasprintf("%s/%s", sub, de->d_name);
		e->is_new = strcmp(sub, "new") == 0;
		e->flags = index_flags_from_maildir(maildir_flags_parse(de->d_name));
		e->mem = NULL;
		e->mem_len = 0;
		e->size = -1;
	}
	closedir(dp);
	return r;
}

/* What the index holds for a folder, sorted by uniq. */
struct known {
	int64_t id;
	char *uniq, *file;
	int64_t size, mtime;
};

struct known_list {
	struct known *v;
	size_t n, alloc;
};

static void
known_clear(struct known_list *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].uniq);
		free(k->v[i].file);
	}
	free(k->v);
	memset(k, 0, sizeof *k);
}

static int
load_known_sql(struct index *ix, const char *sql, int64_t fid, struct known_list *k,
	struct qu_err *err);

static int
load_known(struct index *ix, int64_t fid, struct known_list *k, struct qu_err *err)
{
	return load_known_sql(ix, sql_existing, fid, k, err);
}

/* The rows of folder fid by sql (id, uniq, file[, size, mtime]). */
static int
load_known_sql(struct index *ix, const char *sql, int64_t fid, struct known_list *k,
	struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(ix, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, fid);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k->v = xgrow(k->v, &k->alloc, k->n + 1, sizeof *k->v);
		struct known *e = &k->v[k->n++];
		e->id = sqlite3_column_int64(st, 0);
		e->uniq = xstrdup((const char *)sqlite3_column_text(st, 1));
		e->file = xstrdup((const char *)sqlite3_column_text(st, 2));
		e->size = sqlite3_column_count(st) > 3 ? sqlite3_column_int64(st, 3) : 0;
		e->mtime = sqlite3_column_count(st) > 4 ? sqlite3_column_int64(st, 4) : 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return index_db_err(ix->db, err, "index");
	return 0;
}

static int
remove_msg(struct upd *u, int64_t id, struct qu_err *err)
{
	if (index_msg_remove(u->ix, id, err) < 0)
		return -1;
	u->st->gone++;
	return tx_tick(u, err);
}

static int
rename_msg(struct upd *u, int64_t id, const struct entry *e, struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(u->ix, sql_rename, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, e->file, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)e->flags);
	sqlite3_bind_int(st, 3, e->is_new);
	sqlite3_bind_int64(st, 4, id);
	if (index_step_done(u->ix, st, err) < 0)
		return -1;
	u->st->changed++;
	return tx_tick(u, err);
}

/* Compares one listed file with what the index knows of its unique part;
 * queues it for parsing when it is new or was rewritten. */
static int
merge_one(struct upd *u, const char *dir, int64_t mbox_mtime, const struct entry *e,
	const struct known *k, struct job *jobs, size_t *njobs, struct qu_err *err)
{
	int64_t size = e->size, mtime = mbox_mtime;
	if (!e->mem) {
		char *path = xasprintf("%s/%s", dir, e->file);
		struct stat sb;
		int r = stat(path, &sb);
		free(path);
		if (r < 0)
			return 0; /* gone since the listing: the next run sees it */
		size = sb.st_size;
		mtime = sb.st_mtim.tv_sec;
	}
	if (k && k->size == size && (e->mem || k->mtime == mtime)) {
		if (strcmp(k->file, e->file) == 0)
			return 0;
		return rename_msg(u, k->id, e, err);
	}
	if (k) {
		/* Rewritten under the same name: a new message row (fresh
		 * id, so the old full-text row stays unreachable). */
		if (index_msg_remove(u->ix, k->id, err) < 0)
			return -1;
	}
	jobs[(*njobs)++] = (struct job){e, size, mtime, 0, k != NULL};
	return 0;
}

/* Merges the sorted listing with the sorted index rows of folder fid. */
static int
merge(struct upd *u, int64_t fid, const char *dir, int64_t mbox_mtime, struct listing *l,
	struct qu_err *err)
{
	struct known_list k = {0};
	/* At most one job a listed file: sized once, so a big folder's jobs
	 * are not copied as they grow (untouched room costs no memory). */
	struct job *jobs = xmalloc((l->n + 1) * sizeof *jobs);
	size_t njobs = 0;
	const struct qu_cancel *cancel = u->o ? u->o->cancel : NULL;
	int r = load_known(u->ix, fid, &k, err);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, cmp_entry);
	size_t i = 0, j = 0;
	while (r == 0 && (i < l->n || j < k.n)) {
		if (((i + j) & 1023) == 0 && (r = qu_cancel_check(cancel, err)) < 0)
			break;
		int c = i == l->n ? 1 : j == k.n ? -1 : strcmp(l->v[i].uniq, k.v[j].uniq);
		if (c > 0) {
			r = remove_msg(u, k.v[j++].id, err);
			continue;
		}
		/* A unique part listed twice (in new/ and cur/ at once) is
		 * one message: the first listed counts. */
		if (i > 0 && strcmp(l->v[i].uniq, l->v[i - 1].uniq) == 0) {
			i++;
			continue;
		}
		r = merge_one(u, dir, mbox_mtime, &l->v[i], c == 0 ? &k.v[j] : NULL, jobs, &njobs,
			err);
		i++;
		j += c == 0;
	}
	known_clear(&k);
	if (r == 0) {
		progress(u, dir, 0, njobs);
		r = parse_and_write(u, fid, dir, jobs, njobs, err);
	}
	free(jobs);
	return r;
}

/* ---- one folder ------------------------------------------------------- */

/* The folder's row: its id and the mtimes stored (-1 when none). */
static int
folder_row(struct upd *u, const struct index_folder_ref *f, int64_t *fid, int64_t m[2],
	struct qu_err *err)
{
	struct index *ix = u->ix;
	/* Written only when new or renamed: a run where nothing changed
	 * writes nothing, so it leaves no WAL to checkpoint either. */
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *st = index_stmt(ix, sql_folder_get, err);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, f->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, f->kind);
		int rc = sqlite3_step(st);
		bool same = rc == SQLITE_ROW && sqlite3_column_int(st, 3) == 1;
		if (rc == SQLITE_ROW && (same || pass == 1)) {
			*fid = sqlite3_column_int64(st, 0);
			for (int i = 0; i < 2; i++)
				m[i] = sqlite3_column_type(st, 1 + i) == SQLITE_NULL
					       ? -1 : sqlite3_column_int64(st, 1 + i);
			sqlite3_reset(st);
			return 0;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return index_db_err(ix->db, err, "index: folder");
		if (pass == 1 || !(st = index_stmt(ix, sql_folder_add, err)))
			break;
		sqlite3_bind_text(st, 1, f->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, f->kind);
		if (index_step_done(ix, st, err) < 0)
			return -1;
	}
	return index_db_err(ix->db, err, "index: folder");
}

static int
store_mtimes(struct upd *u, int64_t fid, const int64_t m[2], struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(u->ix, sql_folder_mtimes, err);
	if (!st)
		return -1;
	/* A directory changed within the last two seconds may change again
	 * within the same timestamp after our listing; leave it to be
	 * listed again next time. */
	int64_t now = (int64_t)time(NULL) * 1000000000;
	for (int i = 0; i < 2; i++)
		if (m[i] >= 0 && m[i] < now - 2000000000LL)
			sqlite3_bind_int64(st, 1 + i, m[i]);
	sqlite3_bind_int64(st, 3, fid);
	return index_step_done(u->ix, st, err);
}

/* One integer from sql with id bound; *null says it was NULL or absent. */
static int
int_by_id(struct upd *u, const char *sql, int64_t id, int64_t *v, bool *null,
	struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(u->ix, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	*null = rc != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL;
	*v = *null ? 0 : sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return index_db_err(u->ix->db, err, "index");
	return 0;
}

/* Adds the folder's messages to the stats: folder.msgs, kept by
 * triggers; counted once when not known (a file migrated from version
 * 2). */
/* Gives folder fid its folder_marks row (schema.c MARKS_SQL) when it has
 * none: counted once, kept by the triggers after. A file without the
 * table (busy when its full open tried to add it) goes without. */
static int
fill_marks(struct upd *u, int64_t fid, struct qu_err *err)
{
	struct qu_err none = {0};
	sqlite3_stmt *st = index_stmt(u->ix, sql_marks_known, &none);
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, fid);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return index_db_err(u->ix->db, err, "index: marks");
	return index_exec_id(u->ix, sql_marks_fill, fid, err);
}

static int
count_folder(struct upd *u, int64_t fid, struct qu_err *err)
{
	int64_t n;
	bool null;
	if (int_by_id(u, sql_folder_msgs_known, fid, &n, &null, err) < 0)
		return -1;
	if (null) {
		if (int_by_id(u, sql_folder_count, fid, &n, &null, err) < 0)
			return -1;
		sqlite3_stmt *st = index_stmt(u->ix, sql_folder_msgs_set, err);
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, n);
		sqlite3_bind_int64(st, 2, fid);
		if (index_step_done(u->ix, st, err) < 0)
			return -1;
	}
	if (fill_marks(u, fid, err) < 0)
		return -1;
	u->st->messages += (uint64_t)n;
	return 0;
}

static int
update_maildir(struct upd *u, const struct index_folder_ref *f, struct qu_err *err)
{
	int64_t fid, old[2], now[2] = {-1, -1};
	if (folder_row(u, f, &fid, old, err) < 0)
		return -1;
	static const char *const sub[] = {"cur", "new"};
	for (int i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", f->path, sub[i]);
		struct stat sb;
		if (stat(p, &sb) == 0)
			now[i] = mtime_ns(&sb);
		free(p);
	}
	int r = 0;
	if (now[0] != old[0] || now[1] != old[1] || now[0] < 0 || now[1] < 0) {
		u->st->listed++;
		struct listing l = {0};
		const struct qu_cancel *cancel = u->o ? u->o->cancel : NULL;
		r = list_dir(f->path, "cur", &l, cancel, err);
		if (r == 0)
			r = list_dir(f->path, "new", &l, cancel, err);
		if (r == 0)
			r = merge(u, fid, f->path, 0, &l, err);
		listing_clear(&l);
		/* Only a complete pass may say the folder is current. */
		if (r == 0)
			r = store_mtimes(u, fid, now, err);
	}
	return r < 0 ? -1 : count_folder(u, fid, err);
}

/* An mbox is listed when its mtime or size changed; messages are known by
 * the byte offset of their From_ line, so an appended mbox parses only
 * what was appended. */
static int
update_mbox(struct upd *u, const struct index_folder_ref *f, struct qu_err *err)
{
	int64_t fid, old[2];
	if (folder_row(u, f, &fid, old, err) < 0)
		return -1;
	struct stat sb;
	if (stat(f->path, &sb) < 0)
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", f->path);
	int64_t now[2] = {mtime_ns(&sb), (int64_t)sb.st_size};
	if (now[0] == old[0] && now[1] == old[1])
		return count_folder(u, fid, err);
	u->st->listed++;
	struct mbox *mb = mbox_open(f->path, err);
	if (!mb)
		return -1;
	struct listing l = {0};
	struct mbox_msg m;
	while (mbox_next(mb, &m)) {
		l.v = xgrow(l.v, &l.alloc, l.n + 1, sizeof *l.v);
		struct entry *e = &l.v[l.n++];
		e->uniq = xasprintf("%020llu", (unsigned long long)m.offset);
		e->file = xstrdup("");
		e->flags = 0;
		e->is_new = false;
		e->mem = m.p;
		e->mem_len = m.len;
		e->size = (int64_t)m.len;
	}
	int r = merge(u, fid, f->path, sb.st_mtim.tv_sec, &l, err);
	listing_clear(&l);
	mbox_free(mb);
	if (r == 0)
		r = store_mtimes(u, fid, now, err);
	return r < 0 ? -1 : count_folder(u, fid, err);
}

/* ---- folders that went away ------------------------------------------- */

static int
path_in(const struct index_folders *fl, const char *path)
{
	for (size_t i = 0; i < fl->n; i++)
		if (strcmp(fl->v[i].path, path) == 0)
			return 1;
	return 0;
}

/* Removes the folders under root that the walk no longer found. */
static int
prune(struct upd *u, const char *root, const struct index_folders *fl, struct qu_err *err)
{
	struct index *ix = u->ix;
	sqlite3_stmt *st = index_stmt(ix, sql_folders_under, err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
	int64_t *gone = NULL;
	size_t n = 0, alloc = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (path_in(fl, (const char *)sqlite3_column_text(st, 1)))
			continue;
		gone = xgrow(gone, &alloc, n + 1, sizeof *gone);
		gone[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (!(st = index_stmt(ix, sql_folder_msgs, err))) {
			r = -1;
			break;
		}
		sqlite3_bind_int64(st, 1, gone[i]);
		int64_t *ids = NULL;
		size_t nid = 0, aid = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			ids = xgrow(ids, &aid, nid + 1, sizeof *ids);
			ids[nid++] = sqlite3_column_int64(st, 0);
		}
		sqlite3_reset(st);
		const struct qu_cancel *cancel = u->o ? u->o->cancel : NULL;
		for (size_t k = 0; k < nid && r == 0; k++) {
			if ((k & 255) == 0 && (r = qu_cancel_check(cancel, err)) < 0)
				break;
			r = remove_msg(u, ids[k], err);
		}
		free(ids);
		if (r == 0)
			r = index_exec_id(ix, sql_folder_del, gone[i], err);
	}
	free(gone);
	return r;
}

/* ---- dropping the full text of removed messages ------------------------ */

/* fts is contentless: a removed message's row cannot be deleted without
 * its text, so it stays as garbage (counted in meta 'fts_garbage' by a
 * trigger). When the garbage passes a fifth of the rows, the table is
 * emptied and the text of every message still indexed is read again, in
 * one transaction: a cancel or a failure leaves the old table. Its cost
 * is that of parsing the live messages, paid once per fifth of them
 * removed, so the index stays within 25% of its size without garbage
 * however often mail comes and goes. */

static const char sql_garbage[] =
	"SELECT coalesce((SELECT value FROM meta WHERE key = 'fts_garbage'), 0),"
	" (SELECT sum(msgs) FROM folder), (SELECT count(*) FROM folder WHERE msgs IS NULL)";
static const char sql_folders_all[] = "SELECT id, path, kind FROM folder ORDER BY id";
static const char sql_folder_rows[] =
	"SELECT id, uniq, file FROM msg WHERE folder = ? ORDER BY uniq";
static const char sql_garbage_reset[] =
	"INSERT OR REPLACE INTO meta VALUES ('fts_garbage', 0)";
static const char sql_todo_clear[] = "DELETE FROM fts_todo";

/* Reads the text of folder fid's messages that sql gives (id, uniq,
 * file, by uniq) into fts. */
static int
text_folder(struct upd *u, const char *sql, int64_t fid, const char *path, int kind,
	struct qu_err *err)
{
	struct known_list k = {0};
	if (load_known_sql(u->ix, sql, fid, &k, err) < 0) {
		known_clear(&k);
		return -1;
	}
	struct mbox *mb = NULL;
	struct job *jobs = xcalloc(k.n + 1, sizeof *jobs);
	struct entry *ents = xcalloc(k.n + 1, sizeof *ents);
	size_t n = 0;
	struct qu_err gone = {0};
	if (kind == 1 && k.n && !(mb = mbox_open(path, &gone))) {
		/* Gone or unreadable since the update: its rows go at the
		 * next one, without text meanwhile. */
		free(ents);
		free(jobs);
		known_clear(&k);
		return 0;
	}
	struct mbox_msg m;
	size_t j = 0;
	while (mb ? mbox_next(mb, &m) : j < k.n) {
		struct entry e = {.file = mb ? "" : k.v[j].file};
		char off[24];
		if (mb) {
			/* Rows are sorted by the zero-padded offset, as the
			 * mbox is. */
			snprintf(off, sizeof off, "%020llu", (unsigned long long)m.offset);
			while (j < k.n && strcmp(k.v[j].uniq, off) < 0)
				j++;
			if (j == k.n || strcmp(k.v[j].uniq, off) != 0)
				continue;
			e.mem = m.p;
			e.mem_len = m.len;
		}
		e.uniq = k.v[j].uniq;
		ents[n] = e;
		jobs[n] = (struct job){.e = &ents[n], .rowid = k.v[j++].id};
		n++;
	}
	if (u->text)
		progress(u, path, 0, n);
	int r = parse_and_write(u, fid, path, jobs, n, err);
	free(ents);
	free(jobs);
	mbox_free(mb);
	known_clear(&k);
	return r;
}

/* The text of the messages rows_sql gives (text_folder) in each folder
 * list_sql gives (id, path, kind; root bound to ?1 unless NULL). */
static int
text_folders(struct upd *u, const char *list_sql, const char *root, const char *rows_sql,
	struct qu_err *err)
{
	sqlite3_stmt *st = index_stmt(u->ix, list_sql, err);
	if (!st)
		return -1;
	if (root)
		sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
	struct {
		int64_t id;
		char *path;
		int kind;
	} *v = NULL;
	size_t n = 0, alloc = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xgrow(v, &alloc, n + 1, sizeof *v);
		v[n].id = sqlite3_column_int64(st, 0);
		v[n].path = xstrdup((const char *)sqlite3_column_text(st, 1));
		v[n++].kind = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	int r = rc == SQLITE_DONE ? 0 : index_db_err(u->ix->db, err, "index");
	for (size_t i = 0; i < n && r == 0; i++) {
		r = text_folder(u, rows_sql, v[i].id, v[i].path, v[i].kind, err);
		if (r < 0 && err && err->cls != QU_E_CANCELED)
			qu_err_prefix(err, "%s", v[i].path);
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	return r;
}

static int
collect_garbage(struct upd *u, struct qu_err *err)
{
	struct index *ix = u->ix;
	sqlite3_stmt *st = index_stmt(ix, sql_garbage, err);
	if (!st)
		return -1;
	int rc = sqlite3_step(st);
	int64_t garbage = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	int64_t live = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
	int64_t unknown = rc == SQLITE_ROW ? sqlite3_column_int64(st, 2) : 1;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return index_db_err(ix->db, err, "index");
	if (unknown || garbage <= 0 || garbage * 5 <= garbage + live)
		return 0;
	if (index_db_exec(ix->db, "BEGIN IMMEDIATE; INSERT INTO fts(fts) VALUES ('delete-all');",
		    err) < 0)
		return -1;
	u->refill = true;
	int r = text_folders(u, sql_folders_all, NULL, sql_folder_rows, err);
	u->refill = false;
	/* Every message's text is in now, those still waiting for theirs
	 * too. */
	const char *const after[] = {sql_garbage_reset, sql_todo_clear};
	for (size_t i = 0; i < QU_ARRAY_LEN(after) && r == 0; i++) {
		if ((st = index_stmt(ix, after[i], err)) == NULL)
			r = -1;
		else
			r = index_step_done(ix, st, err);
	}
	if (r == 0)
		r = index_db_exec(ix->db, "COMMIT", err);
	if (r < 0) {
		sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
		u->st->fts_rebuilt = 0;
	}
	return r;
}

/* ---- the second pass: text ---------------------------------------------- */

/* The folders at root or under it with messages waiting for their text,
 * those of earlier runs that were stopped too. */
static const char sql_todo_folders[] =
	"SELECT DISTINCT f.id, f.path, f.kind FROM fts_todo t JOIN msg m ON m.id = t.id"
	" JOIN folder f ON f.id = m.folder"
	" WHERE f.path = ?1 OR substr(f.path, 1, length(?1) + 1) = ?1 || '/' ORDER BY f.id";
static const char sql_todo_rows[] =
	"SELECT m.id, m.uniq, m.file FROM fts_todo t JOIN msg m ON m.id = t.id"
	" WHERE m.folder = ? ORDER BY m.uniq";

static int
text_under(struct upd *u, const char *root, struct qu_err *err)
{
	u->text = true;
	int r = text_folders(u, sql_todo_folders, root, sql_todo_rows, err);
	u->text = false;
	return r;
}

/* ---- the run ------------------------------------------------------------ */

/* The absolute, symlink-free form of path, so one folder has one row
 * whichever way it was named. */
static char *
absolute(const char *path, struct qu_err *err)
{
	char *r = realpath(path, NULL);
	if (!r)
		qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path);
	return r;
}

static int
update_path(struct upd *u, const char *path, struct qu_err *err)
{
	char *root = absolute(path, err);
	if (!root)
		return -1;
	struct index_folders fl = {0};
	int r = index_walk(root, &fl, err);
	for (size_t i = 0; i < fl.n && r == 0; i++) {
		u->st->folders++;
		if (qu_cancel_check(u->o ? u->o->cancel : NULL, err) < 0)
			r = -1;
		else if (fl.v[i].kind == 1)
			r = update_mbox(u, &fl.v[i], err);
		else
			r = update_maildir(u, &fl.v[i], err);
		if (r < 0 && err && err->cls != QU_E_CANCELED)
			qu_err_prefix(err, "%s", fl.v[i].path);
	}
	if (r == 0)
		r = prune(u, root, &fl, err);
	index_folders_clear(&fl);
	free(root);
	return r;
}

int
index_update(struct index *ix, const char *const *paths, size_t n,
	const struct index_update_opts *o, struct index_stats *st, struct qu_err *err)
{
	struct index_stats dummy;
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof *st);
	struct upd u = {.ix = ix, .o = o, .st = st};
	if (tx_begin(&u, err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = update_path(&u, paths[i], err);
	/* Every folder's rows first, then their text. */
	for (size_t i = 0; i < n && r == 0; i++) {
		char *root = absolute(paths[i], err);
		r = root ? text_under(&u, root, err) : -1;
		free(root);
	}
	/* What was written is consistent (every message whole, a folder's
	 * mtimes stored only after its complete pass), so even a canceled
	 * or failed run keeps it. */
	struct qu_err cerr = {0};
	if (tx_commit(&u, r == 0 ? err : &cerr) < 0) {
		sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return r == 0 ? collect_garbage(&u, err) : r;
}
