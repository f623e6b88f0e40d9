/*
 * Reading local mail one message at a time: a Maildir (store's iterator,
 * each file read into a reused buffer), an mbox (mapped, split by store's
 * mbox reader, mboxrd quoting undone, and the pages behind the reader
 * given back so that memory does not grow with the file), a single
 * message file, or stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "mime/mime.h"
#include "store/store.h"
#include "app/app.h"
#include "app/mail_private.h"

/* Give mbox pages back in steps of at least this much. */
#define RELEASE_STEP ((size_t)1 << 20)

struct app_reader *
app_reader_new(void)
{
	struct app_reader *r = xcalloc(1, sizeof *r);
	mime_charset_cache_init(&r->cache);
	qu_buf_init(&r->scratch, APP_TEXT_MAX);
	qu_buf_init(&r->text, APP_TEXT_MAX);
	qu_buf_init(&r->msg, APP_TEXT_MAX);
	return r;
}

void
app_reader_free(struct app_reader *r)
{
	if (!r)
		return;
	mime_charset_cache_clear(&r->cache);
	qu_buf_clear(&r->scratch);
	qu_buf_clear(&r->text);
	qu_buf_clear(&r->msg);
	free(r);
}

int
app_read_file(const char *path, struct qu_buf *b, size_t max, bool *whole, struct qu_err *err)
{
	qu_buf_reset(b);
	/* Never a FIFO or device: it could block the reader for ever. */
	int fd = store_open_regular(path, err);
	if (fd < 0)
		return -1;
	struct stat st;
	size_t want = max;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < want)
		want = (size_t)st.st_size;
	*whole = false;
	for (;;) {
		size_t chunk = want > b->len ? want - b->len : 0;
		if (chunk == 0) {
			/* The size may have been wrong: one more byte tells. */
			if (b->len >= max)
				break;
			chunk = 65536 < max - b->len ? 65536 : max - b->len;
		}
		char *dst = qu_buf_reserve(b, chunk);
		if (!dst)
			break;
		ssize_t r = read(fd, dst, chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return qu_err_sys(err, QU_E_IOERR, e, "%s: read", path);
		}
		if (r == 0) {
			*whole = true;
			break;
		}
		qu_buf_commit(b, (size_t)r);
	}
	close(fd);
	return 0;
}

/* ---- sources ------------------------------------------------------------- */

static bool
starts_mbox(const char *p, size_t n)
{
	return n >= 5 && memcmp(p, "From ", 5) == 0;
}

static int
read_stdin(struct app_source *s, struct qu_err *err)
{
	qu_buf_init(&s->in, SIZE_MAX);
	for (;;) {
		char *dst = qu_buf_reserve(&s->in, 65536);
		ssize_t r = read(0, dst, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return qu_err_sys(err, QU_E_IOERR, errno, "stdin: read");
		if (r == 0)
			break;
		qu_buf_commit(&s->in, (size_t)r);
	}
	s->p = s->in.data ? s->in.data : "";
	s->n = s->in.len;
	return 0;
}

static int
open_file(const char *path, struct app_source *s, struct qu_err *err)
{
	if (strcmp(path, "-") == 0) {
		if (read_stdin(s, err) < 0)
			return -1;
	} else {
		if (store_map_file(path, &s->map, err) < 0)
			return -1;
		s->p = s->map.p;
		s->n = s->map.len;
	}
	if (starts_mbox(s->p, s->n)) {
		s->kind = APP_SOURCE_MBOX;
		s->mb = mbox_open_mem(s->p, s->n);
		/* Read once, front to back. Only advice. */
		if (s->map.len)
			posix_madvise((void *)s->map.p, s->map.len, POSIX_MADV_SEQUENTIAL);
	} else {
		s->kind = APP_SOURCE_ONE;
		s->done = s->n == 0;
	}
	return 0;
}

int
app_source_open(const char *path, struct app_source *s, struct qu_err *err)
{
	memset(s, 0, sizeof *s);
	qu_buf_init(&s->in, SIZE_MAX);
	s->path = xstrdup(path);
	enum store_kind k = strcmp(path, "-") == 0 ? STORE_KIND_MBOX : store_kind(path);
	int rc = 0;
	switch (k) {
	case STORE_KIND_MAILDIR:
		s->kind = APP_SOURCE_MAILDIR;
		s->md = maildir_open(path, false, err);
		s->it = s->md ? maildir_iter_new(s->md, err) : NULL;
		rc = s->it ? 0 : -1;
		break;
	case STORE_KIND_MBOX:
		rc = open_file(path, s, err);
		break;
	case STORE_KIND_MISSING:
		rc = qu_err_set(err, QU_E_NOINPUT, "%s: no such file or directory", path);
		break;
	default:
		rc = qu_err_set(err, QU_E_NOINPUT, "%s: not a Maildir, mbox or message file", path);
		break;
	}
	if (rc < 0)
		app_source_close(s);
	return rc;
}

bool
app_source_next(struct app_source *s, struct app_source_item *item)
{
	memset(item, 0, sizeof *item);
	if (s->done)
		return false;
	item->index = s->index++;
	if (s->kind == APP_SOURCE_MAILDIR) {
		struct maildir_entry e;
		if (!maildir_iter_next(s->it, &e)) {
			s->done = true;
			return false;
		}
		item->path = e.path;
		return true;
	}
	item->path = s->path;
	if (s->kind == APP_SOURCE_ONE) {
		item->p = s->p;
		item->n = s->n;
		s->done = true;
		return true;
	}
	struct mbox_msg m;
	if (!mbox_next(s->mb, &m)) {
		s->done = true;
		return false;
	}
	item->p = m.p;
	item->n = m.len;
	item->start = (size_t)(m.p - s->p);
	item->quoted = true;
	s->frontier = item->start + m.len;
	return true;
}

void
app_source_release(struct app_source *s, size_t upto)
{
	if (s->kind != APP_SOURCE_MBOX || !s->map.len || upto < s->released + RELEASE_STEP)
		return;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t from = s->released / page * page;
	size_t to = upto / page * page;
	if (to <= from)
		return;
	/* The mapping is private and never written: dropped pages come back
	 * from the file if touched again. This keeps the resident size of a
	 * 1 GB mbox to the messages being read. */
	madvise((char *)s->map.p + from, to - from, MADV_DONTNEED);
	s->released = to;
}

size_t
app_source_release_range(struct app_source *s, size_t start, size_t end)
{
	if (s->kind != APP_SOURCE_MBOX || !s->map.len)
		return start;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t from = (start + page - 1) / page * page;
	size_t to = end / page * page;
	/* Only whole pages inside the range: what is around it may be in
	 * use by another worker. */
	if (to <= from)
		return start;
	madvise((char *)s->map.p + from, to - from, MADV_DONTNEED);
	return to;
}

void
app_source_close(struct app_source *s)
{
	mbox_free(s->mb);
	maildir_iter_free(s->it);
	maildir_free(s->md);
	store_unmap(&s->map);
	qu_buf_clear(&s->in);
	free(s->path);
	memset(s, 0, sizeof *s);
}

int
app_item_bytes(struct app_reader *r, const struct app_source_item *item, const char **p,
	       size_t *n, struct qu_err *err)
{
	if (!item->p) {
		bool whole;
		if (app_read_file(item->path, &r->msg, SIZE_MAX, &whole, err) < 0)
			return -1;
		*p = r->msg.data ? r->msg.data : "";
		*n = r->msg.len;
		return 0;
	}
	*p = item->p;
	*n = item->n;
	if (item->quoted && mbox_unquote(item->p, item->n, MBOX_FORMAT_MBOXRD, &r->msg) == 1) {
		*p = r->msg.data;
		*n = r->msg.len;
	}
	return 0;
}

bool
app_item_gone(const struct app_source_item *item)
{
	if (item->p || !item->path)
		return false;
	/* Moved away since the listing, or no file at all (a FIFO made
	 * there): skipped, never read. */
	struct stat st;
	if (stat(item->path, &st) < 0)
		return errno == ENOENT;
	return !S_ISREG(st.st_mode);
}

int
app_mailbox_each(const char *path, app_message_fn fn, void *ctx, struct qu_err *err)
{
	struct app_source s;
	if (app_source_open(path, &s, err) < 0)
		return -1;
	struct app_reader *r = app_reader_new();
	struct app_source_item item;
	int rc = 0;
	while (rc == 0 && app_source_next(&s, &item)) {
		struct app_message m = {.path = item.path, .index = item.index};
		rc = app_item_bytes(r, &item, &m.p, &m.n, err);
		if (rc == 0)
			rc = fn(ctx, &m, err);
		else if (app_item_gone(&item))
			rc = 0; /* a Maildir file moved away since the listing */
		app_source_release(&s, s.frontier);
	}
	app_reader_free(r);
	app_source_close(&s);
	return rc;
}
