/*
 * `quail parse --check` (SPEC §6): parse every message, transfer-decode
 * every leaf, convert every text leaf to UTF-8, and count. Messages are
 * independent, so worker threads share the work, each with its own charset
 * converters and buffers:
 * - a Maildir: workers take files one at a time from the listing, under a
 *   lock;
 * - an mbox: the file is cut into one region per worker at message starts
 *   (a "From " line after an empty line, as the reader splits), and each
 *   worker splits and reads its region alone, so that finding the message
 *   boundaries (a scan of every line) is not done by one thread for all.
 *   Each gives back the pages behind it as it goes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "mime/mime.h"
#include "store/store.h"
#include "app/app.h"
#include "app/mail_private.h"

#define MAX_WORKERS 4
/* Pieces of binary leaves decode through a buffer this size. */
#define SCRATCH_MAX ((size_t)256 << 10)
/* An mbox worker gives pages back in steps of this much. */
#define RELEASE_STEP ((size_t)1 << 20)

struct shared {
	pthread_mutex_t mu;
	struct app_source *src;
	struct qu_err err;        /* the first I/O error */
	bool failed;
	const struct qu_cancel *cancel;
};

struct worker {
	struct shared *sh;
	pthread_t thread;
	struct app_reader *r;
	struct qu_buf piece;
	char *path;
	size_t start, end;        /* mbox: the region of the file */
	struct app_check_totals t;
	struct mime_defects d;
};

static int
count_bytes(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	(void)p;
	(void)err;
	*(uint64_t *)ctx += n;
	return 0;
}

/* Decodes one leaf: text is converted (and thrown away), anything else
 * only counted, piece by piece. */
static void
check_leaf(struct worker *w, const struct mime_part *part)
{
	struct app_reader *r = w->r;
	w->t.parts++;
	if (mime_part_is_text(part)) {
		const char *p;
		size_t n;
		if (mime_part_content(part, &r->scratch, &p, &n, &w->d, NULL) < 0)
			return;
		w->t.bytes += n;
		qu_buf_reset(&r->text);
		mime_charset_to_utf8(&r->cache, part->charset, p, n, &r->text, &w->d, NULL);
		return;
	}
	uint64_t size = 0;
	mime_part_decode_each(part, &w->piece, count_bytes, &size, &w->d, NULL);
	w->t.bytes += size;
}

static void
check_message(struct worker *w, const char *p, size_t n)
{
	struct mime_opts o = {.cache = &w->r->cache};
	struct mime_part *root = mime_parse(p, n, &o, &w->d);
	for (struct mime_part *part = root; part; part = mime_part_next(part, root))
		if (part->kind == MIME_PART_LEAF)
			check_leaf(w, part);
	mime_part_free(root);
	w->t.messages++;
}

/* Under the lock: the next Maildir file (its path copied for the worker),
 * or the single message. */
static void fail(struct shared *sh, const struct qu_err *err);

/* Stops every worker at its next message once the handle fired. */
static bool
canceled(struct shared *sh)
{
	if (!qu_cancel_fired(sh->cancel))
		return false;
	struct qu_err err;
	qu_err_canceled(&err);
	fail(sh, &err);
	return true;
}

static bool
take(struct worker *w, struct app_source_item *item)
{
	struct shared *sh = w->sh;
	if (canceled(sh))
		return false;
	pthread_mutex_lock(&sh->mu);
	bool got = !sh->failed && app_source_next(sh->src, item);
	if (got && item->path && !item->p) {
		free(w->path);
		w->path = xstrdup(item->path);
		item->path = w->path;
	}
	pthread_mutex_unlock(&sh->mu);
	return got;
}

static void
fail(struct shared *sh, const struct qu_err *err)
{
	pthread_mutex_lock(&sh->mu);
	if (!sh->failed)
		sh->err = *err;
	sh->failed = true;
	pthread_mutex_unlock(&sh->mu);
}

static void
work_items(struct worker *w)
{
	struct app_source_item item;
	while (take(w, &item)) {
		const char *p;
		size_t n;
		struct qu_err err;
		if (app_item_bytes(w->r, &item, &p, &n, &err) < 0) {
			/* A Maildir file renamed away since the listing (another
			 * reader moved it to cur/): gone, not an error. */
			if (app_item_gone(&item))
				continue;
			fail(w->sh, &err);
			break;
		}
		check_message(w, p, n);
	}
}

/* The worker's own part of an mbox, split by store's reader: a region
 * starts at a message and ends where the next region's first one starts. */
static void
work_region(struct worker *w)
{
	struct app_source *src = w->sh->src;
	size_t released = w->start;
	struct mbox *mb = mbox_open_mem(src->p + w->start, w->end - w->start);
	struct mbox_msg m;
	while (!canceled(w->sh) && mbox_next(mb, &m)) {
		const char *p = m.p;
		size_t n = m.len;
		size_t stop = (size_t)(m.p + m.len - src->p);
		if (mbox_unquote(p, n, MBOX_FORMAT_MBOXRD, &w->r->msg) == 1) {
			p = w->r->msg.data;
			n = w->r->msg.len;
		}
		check_message(w, p, n);
		if (stop >= released + RELEASE_STEP)
			released = app_source_release_range(src, released, stop);
	}
	mbox_free(mb);
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	if (w->sh->src->kind == APP_SOURCE_MBOX)
		work_region(w);
	else
		work_items(w);
	return NULL;
}

/* Where the first message at or after offset `from` of an mbox starts:
 * "From " at the start of a line that follows an empty line (the rule of
 * store's mbox reader); n when there is none. */
static size_t
message_start(const char *p, size_t n, size_t from)
{
	size_t i = from;
	while (i + 5 <= n) {
		const char *nl = memchr(p + i, '\n', n - i);
		if (!nl)
			break;
		size_t at = (size_t)(nl - p) + 1;
		bool blank = at >= 2 && (p[at - 2] == '\n' ||
			(at >= 3 && p[at - 2] == '\r' && p[at - 3] == '\n'));
		if (blank && n - at >= 5 && memcmp(p + at, "From ", 5) == 0)
			return at;
		i = at;
	}
	return n;
}

/* Gives each worker a region of the mbox; returns how many have one. */
static unsigned
cut_regions(struct worker *w, unsigned nw, const struct app_source *src)
{
	size_t start = 0;
	unsigned k = 0;
	for (unsigned i = 0; i < nw && start < src->n; i++) {
		size_t end = i + 1 == nw ? src->n :
			message_start(src->p, src->n, src->n / nw * (i + 1));
		if (end <= start)
			continue;
		w[k].start = start;
		w[k].end = end;
		k++;
		start = end;
	}
	return k ? k : 1;
}

static unsigned
worker_count(unsigned threads)
{
	if (threads == 0) {
		long np = sysconf(_SC_NPROCESSORS_ONLN);
		threads = np > 0 ? (unsigned)np : 1;
	}
	return threads > MAX_WORKERS ? MAX_WORKERS : threads;
}

int
app_parse_check(const char *path, unsigned threads, const struct qu_cancel *cancel,
		struct app_check_totals *t, struct qu_err *err)
{
	struct app_source src;
	if (app_source_open(path, &src, err) < 0)
		return -1;
	struct shared sh = {.src = &src, .cancel = cancel};
	pthread_mutex_init(&sh.mu, NULL);
	unsigned nw = worker_count(threads);
	struct worker w[MAX_WORKERS];
	memset(w, 0, sizeof w);
	if (src.kind == APP_SOURCE_MBOX)
		nw = cut_regions(w, nw, &src);
	for (unsigned i = 0; i < nw; i++) {
		w[i].sh = &sh;
		w[i].r = app_reader_new();
		qu_buf_init(&w[i].piece, SCRATCH_MAX);
	}
	/* Worker 0 is this thread; it also does the share of a worker whose
	 * thread could not be made. */
	bool started[MAX_WORKERS] = {false};
	for (unsigned i = 1; i < nw; i++)
		started[i] = pthread_create(&w[i].thread, NULL, work, &w[i]) == 0;
	work(&w[0]);
	for (unsigned i = 1; i < nw; i++)
		if (!started[i])
			work(&w[i]);
	for (unsigned i = 0; i < nw; i++) {
		if (started[i])
			pthread_join(w[i].thread, NULL);
		t->messages += w[i].t.messages;
		t->parts += w[i].t.parts;
		t->bytes += w[i].t.bytes;
		t->defects += w[i].d.count;
		app_reader_free(w[i].r);
		qu_buf_clear(&w[i].piece);
		free(w[i].path);
	}
	pthread_mutex_destroy(&sh.mu);
	app_source_close(&src);
	if (sh.failed) {
		*err = sh.err;
		return -1;
	}
	return 0;
}
