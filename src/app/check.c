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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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
};

struct worker {
	struct shared *sh;
	pthread_t thread;
	struct app_reader *r;
	struct qu_buf piece;
	char *path;
	size_t start, end;        /* mbox: the region of the file */
	size_t pos;               /* mbox: where the next message starts */
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
static bool
take(struct worker *w, struct app_source_item *item)
{
	struct shared *sh = w->sh;
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

/* Where the empty line ending just before offset at begins, if it is a
 * whole line ("\n" or "\r\n") that starts at or after s; SIZE_MAX if not. */
static size_t
blank_before(const char *p, size_t s, size_t at)
{
	if (at == 0 || p[at - 1] != '\n')
		return SIZE_MAX;
	size_t b = at - 1;
	if (b > 0 && p[b - 1] == '\r')
		b--;
	if (b < s || b == 0 || p[b - 1] != '\n')
		return SIZE_MAX;
	return b;
}

/* The first offset at or after i (and past 2) that follows an empty line:
 * p[at - 1] is LF, and the byte before is LF, or CR after LF. n if none.
 * Every line of a 1 GB mbox passes here, and base64 lines never hold an
 * empty line, so SSE2 (part of every x86-64) looks at 16 bytes a time for
 * LF followed by LF or CR; elsewhere one memchr per line does. */
static size_t
after_blank(const char *p, size_t n, size_t i)
{
	if (i < 2)
		i = 2;
#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	for (size_t j = i - 2; j + 17 <= n; j += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + j + 1));
		__m128i hit = _mm_and_si128(_mm_cmpeq_epi8(a, lf),
			_mm_or_si128(_mm_cmpeq_epi8(b, lf), _mm_cmpeq_epi8(b, cr)));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		while (m) {
			size_t k = j + (size_t)__builtin_ctz(m);
			m &= m - 1;
			size_t at = p[k + 1] == '\n' ? k + 2 : k + 3;
			if (at >= i && at <= n && p[at - 1] == '\n')
				return at;
		}
		i = j + 16 > i ? j + 16 : i;
	}
#endif
	while (i < n) {
		const char *nl = memchr(p + i - 1, '\n', n - i + 1);
		if (!nl)
			return n;
		size_t at = (size_t)(nl - p) + 1;
		if (at >= i && at >= 2 && (p[at - 2] == '\n' ||
			(at >= 3 && p[at - 2] == '\r' && p[at - 3] == '\n')))
			return at;
		i = at + 1;
	}
	return n;
}

/* The next message of a region, split by the rule store.h gives at
 * mbox_open (a message starts at "From " after an empty line, its bytes
 * exclude its From_ line and the empty line before the next one, and the
 * last one's trailing empty line): store's reader looks at every line,
 * this only at empty lines. */
static bool
region_next(struct worker *w, const char *p, size_t n, size_t *start, size_t *len)
{
	size_t s = w->pos;
	if (s >= n)
		return false;
	if (n - s >= 5 && memcmp(p + s, "From ", 5) == 0) {
		const char *nl = memchr(p + s, '\n', n - s);
		s = nl ? (size_t)(nl - p) + 1 : n;
	}
	size_t end = n, next = n;
	for (size_t i = s + 1; i < n;) {
		size_t at = after_blank(p, n, i);
		if (at >= n)
			break;
		if (n - at >= 5 && memcmp(p + at, "From ", 5) == 0 &&
			blank_before(p, s, at) != SIZE_MAX) {
			end = blank_before(p, s, at);
			next = at;
			break;
		}
		i = at + 1;
	}
	if (next == n && blank_before(p, s, n) != SIZE_MAX)
		end = blank_before(p, s, n);
	*start = s;
	*len = end - s;
	w->pos = next;
	return true;
}

/* The worker's own part of an mbox. */
static void
work_region(struct worker *w)
{
	struct app_source *src = w->sh->src;
	size_t released = w->start;
	size_t start, len;
	w->pos = w->start;
	while (region_next(w, src->p, w->end, &start, &len)) {
		const char *p = src->p + start;
		size_t n = len;
		if (mbox_unquote(p, n, MBOX_FORMAT_MBOXRD, &w->r->msg) == 1) {
			p = w->r->msg.data;
			n = w->r->msg.len;
		}
		check_message(w, p, n);
		if (start + len >= released + RELEASE_STEP)
			released = app_source_release_range(src, released, start + len);
	}
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
app_parse_check(const char *path, unsigned threads, struct app_check_totals *t,
		struct qu_err *err)
{
	struct app_source src;
	if (app_source_open(path, &src, err) < 0)
		return -1;
	struct shared sh = {.src = &src};
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
