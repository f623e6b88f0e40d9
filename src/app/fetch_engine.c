/*
 * The crash-safe fetch protocol of SPEC §5, written once for `quail fetch
 * --pop3` (fetch_pop3.c) and `quail fetch --imap` (fetch_imap.c).
 *
 * What a journal says about each message is held in a set of keys: a key
 * is a byte string naming one message of the server (POP3: its unique-id;
 * IMAP: its UID within the folder whose set it is), pending ("P": it may
 * be committed from now on) or done ("C": it is stored, with the file's
 * path). The protocols read and write their own journal lines; the set
 * only answers what is known.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "store/store.h"
#include "app/private.h"

/* ---- the set of keys ------------------------------------------------- */

static uint64_t
hash_key(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Open addressing with linear probing: the slot of key, or the free slot
 * where it would go. */
static struct app_fetch_key *
key_slot(struct app_fetch_key *v, size_t cap, const char *key, size_t len)
{
	size_t i = (size_t)hash_key(key, len) & (cap - 1);
	while (v[i].key && !(v[i].len == len && memcmp(v[i].key, key, len) == 0))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

struct app_fetch_key *
app_fetch_keys_find(const struct app_fetch_keys *s, const char *key, size_t len)
{
	if (!s->cap)
		return NULL;
	struct app_fetch_key *e = key_slot(s->v, s->cap, key, len);
	return e->key ? e : NULL;
}

struct app_fetch_key *
app_fetch_keys_add(struct app_fetch_keys *s, const char *key, size_t len, bool *added)
{
	/* Grows at half full: probes stay short. */
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct app_fetch_key *v = xcalloc(cap, sizeof *v);
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i].key)
				*key_slot(v, cap, s->v[i].key, s->v[i].len) = s->v[i];
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	struct app_fetch_key *e = key_slot(s->v, s->cap, key, len);
	if (added)
		*added = !e->key;
	if (!e->key) {
		*e = (struct app_fetch_key){.key = xstrndup(key, len), .len = len,
					    .state = APP_KEY_PENDING};
		s->n++;
	}
	return e;
}

void
app_fetch_key_done(struct app_fetch_key *e, const char *rel, size_t rn)
{
	e->state = APP_KEY_DONE;
	free(e->rel);
	e->rel = xstrndup(rel, rn);
}

const char **
app_fetch_keys_claimed(const struct app_fetch_keys *s, size_t *n)
{
	const char **v = xcalloc(s->n + 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].key && s->v[i].state == APP_KEY_DONE && s->v[i].rel)
			v[(*n)++] = s->v[i].rel;
	return v;
}

void
app_fetch_keys_clear(struct app_fetch_keys *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		free(s->v[i].key);
		free(s->v[i].rel);
	}
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* ---- the journal and the commit hand-over ----------------------------- */

int
app_fetch_engine_append(struct app_fetch_engine *e, const struct qu_buf *line, struct qu_err *err)
{
	if (!e->j || !line->len)
		return 0;
	if (store_journal_append(e->j, line->data, line->len, err) < 0)
		return qu_err_prefix(err, "%s/.quail/%s", e->dir, e->jname);
	return 0;
}

/* A C entry: the key, then the path %-encoded so that no byte of it (a
 * folder name's spaces) can break the line. */
static void
put_done(struct app_fetch_engine *e, struct qu_buf *b, const struct app_commit_job *j)
{
	if (b->len)
		qu_buf_append_byte(b, ' ');
	qu_buf_append_str(b, "C ");
	e->ops->put_key(e->ctx, b, j->tag);
	qu_buf_append_byte(b, ' ');
	if (e->path_prefix)
		qu_pct_encode(b, e->path_prefix, strlen(e->path_prefix), NULL);
	qu_pct_encode(b, j->rel, strlen(j->rel), NULL);
}

int
app_fetch_engine_sync(struct app_fetch_engine *e, size_t upto, struct qu_err *err)
{
	struct qu_buf line;
	qu_buf_init(&line, SIZE_MAX);
	for (size_t k = 0; e->j && k < e->ready.n; k++) {
		struct app_commit_job *j = e->ready.v[k];
		if (j->rc < 0)
			continue;
		if (e->rel_prefix && !j->already) {
			/* The pool names the file under the Maildir; the keys
			 * hold it under the prefix. */
			char *rel = xasprintf("%s/%s", e->rel_prefix, j->rel);
			free(j->rel);
			j->rel = rel;
		}
		put_done(e, &line, j);
	}
	if (upto > e->n_todo)
		upto = e->n_todo;
	for (; e->j && e->covered < upto; e->covered++) {
		size_t tag = e->ops->plan_tag(e->ctx, e->covered);
		if (!e->ops->pend(e->ctx, tag))
			continue; /* the journal has its P already */
		qu_buf_append_str(&line, line.len ? " P " : "P ");
		e->ops->put_key(e->ctx, &line, tag);
	}
	int rc = app_fetch_engine_append(e, &line, err);
	qu_buf_clear(&line);
	return app_commit_settle(&e->ready, rc, e->ops->committed, e->ctx, e->r, err);
}

static int
sync_covered(void *ctx, struct qu_err *err)
{
	struct app_fetch_engine *e = ctx;
	return app_fetch_engine_sync(e, e->covered, err);
}

int
app_fetch_engine_start(struct app_fetch_engine *e, struct qu_err *err)
{
	if (e->pool_up)
		return 0;
	if (app_commit_pool_start(&e->pool, e->prog.cancel, err) < 0)
		return -1;
	e->pool_up = true;
	return 0;
}

/* A message of the plan may already be stored: compares it with the
 * Maildir's files that no C entry claims (listed on first use). */
static int
check_stored(struct app_fetch_engine *e, struct app_commit_job *j, struct qu_err *err)
{
	if (!e->stored.built && e->ops->build_index(e->ctx, &e->stored, err) < 0)
		return -1;
	int rc;
	j->rel = app_stored_find(&e->stored, j->d, e->strip, &rc, err);
	if (rc < 0)
		return -1;
	if (j->rel) {
		maildir_delivery_abort(j->d);
		j->d = NULL;
		j->already = true;
	}
	return 0;
}

int
app_fetch_engine_take(struct app_fetch_engine *e, struct app_commit_job *j, size_t i,
		      bool maybe_stored, struct qu_err *err)
{
	if (maybe_stored && check_stored(e, j, err) < 0)
		goto fail;
	e->prog.pr.msgs_done++;
	app_progress_report(&e->prog, false);
	if (app_progress_check(&e->prog, err) < 0)
		goto fail;
	/* Step 1 of the protocol: the message is durably pending before its
	 * file can appear in new/ or cur/. One sync names the next `ahead`. */
	if (e->j && e->covered <= i && app_fetch_engine_sync(e, i + e->ahead, err) < 0)
		goto fail;
	return app_commit_hand(&e->pool, &e->ready, j, sync_covered, e, err);
fail:
	app_commit_job_free(j);
	return -1;
}

int
app_fetch_engine_finish(struct app_fetch_engine *e, struct qu_err *err)
{
	while (e->pool_up && app_commit_pool_in_flight(&e->pool) > 0)
		app_commit_gather(&e->pool, &e->ready, true);
	return app_fetch_engine_sync(e, e->covered, err);
}

int
app_fetch_engine_end(struct app_fetch_engine *e, int rc, struct qu_err *err)
{
	app_fetch_engine_drop(e);
	if (rc < 0) {
		/* What is committed still counts: journaled as well as can be,
		 * the transfer's error kept. */
		struct qu_err ignored;
		app_fetch_engine_finish(e, &ignored);
		return -1;
	}
	return app_fetch_engine_finish(e, err);
}

void
app_fetch_engine_reset(struct app_fetch_engine *e)
{
	app_fetch_engine_drop(e);
	app_commit_ready_clear(&e->ready);
	app_stored_index_clear(&e->stored);
	e->n_todo = 0;
	e->covered = 0;
}

void
app_fetch_engine_clear(struct app_fetch_engine *e)
{
	if (e->pool_up)
		app_commit_pool_stop(&e->pool);
	e->pool_up = false;
	app_fetch_engine_reset(e);
	store_journal_free(e->j);
	e->j = NULL;
}

/* ---- receiving a message ------------------------------------------- */

int
app_fetch_engine_begin(struct app_fetch_engine *e, struct maildir *md, struct qu_err *err)
{
	app_fetch_engine_drop(e);
	e->d = maildir_delivery_begin(md, err);
	return e->d ? 0 : -1;
}

int
app_fetch_engine_data(struct app_fetch_engine *e, const char *p, size_t n, struct qu_err *err)
{
	if (maildir_delivery_write(e->d, p, n, err) < 0)
		return -1;
	app_progress_bytes(&e->prog, n);
	/* A fast server never makes the reads wait, so the handle is looked
	 * at here too. */
	return app_progress_check(&e->prog, err);
}

struct app_commit_job *
app_fetch_engine_job(struct app_fetch_engine *e, size_t tag)
{
	struct app_commit_job *j = xcalloc(1, sizeof *j);
	j->tag = tag;
	j->d = e->d;
	e->d = NULL;
	j->size = maildir_delivery_size(j->d);
	return j;
}

void
app_fetch_engine_drop(struct app_fetch_engine *e)
{
	maildir_delivery_abort(e->d);
	e->d = NULL;
}

/* ---- compaction ----------------------------------------------------- */

void
app_fetch_lines_take(struct app_fetch_lines *l, struct qu_buf *b)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n].len = b->len;
	l->v[l->n++].p = qu_buf_steal(b, NULL);
	qu_buf_init(b, SIZE_MAX);
}

void
app_fetch_lines_keys(struct app_fetch_lines *l, const struct app_fetch_keys *s, const char *scope,
		     const char *path_prefix, bool marked_only)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < s->cap; i++) {
		const struct app_fetch_key *e = &s->v[i];
		if (!e->key || (marked_only && !e->mark))
			continue;
		qu_buf_printf(&b, "%c %s%s", e->state == APP_KEY_DONE ? 'C' : 'P', scope, e->key);
		if (e->state == APP_KEY_DONE) {
			qu_buf_append_byte(&b, ' ');
			if (path_prefix)
				qu_pct_encode(&b, path_prefix, strlen(path_prefix), NULL);
			qu_pct_encode(&b, e->rel, strlen(e->rel), NULL);
		}
		app_fetch_lines_take(l, &b);
	}
	qu_buf_clear(&b);
}

int
app_fetch_lines_write(struct app_fetch_lines *l, const char *dir, const char *jname,
		      struct qu_err *err)
{
	int rc = store_journal_compact(dir, jname, l->v, l->n, err);
	for (size_t i = 0; i < l->n; i++)
		free((char *)l->v[i].p);
	free(l->v);
	memset(l, 0, sizeof *l);
	return rc;
}
