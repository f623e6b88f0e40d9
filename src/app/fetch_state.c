/*
 * What the POP3 and IMAP fetches share about their state in DIR/.quail/:
 * the journal's file name, the lock that keeps one run at a time, the
 * word reader for journal lines, and the index that finds a message
 * already stored by an interrupted run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "app/app.h"
#include "app/private.h"

char *
app_fetch_journal_name(const char *prefix, const char *user, const char *host)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, prefix);
	const char *parts[] = {user, "@", host};
	for (size_t k = 0; k < QU_ARRAY_LEN(parts); k++) {
		for (const unsigned char *s = (const unsigned char *)parts[k]; *s; s++) {
			if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9') || strchr("._+-@", *s))
				qu_buf_append_byte(&b, (char)*s);
			else
				qu_buf_printf(&b, "%%%02X", *s);
		}
	}
	return qu_buf_steal(&b, NULL);
}

int
app_fetch_lock(const char *dir, const char *name, struct qu_err *err)
{
	char *sd = xasprintf("%s/.quail", dir);
	char *path = xasprintf("%s/%s.lock", sd, name);
	int fd = -1;
	/* Made durable when new: the journal will live here. */
	if (store_private_dir(sd, err) < 0)
		goto out;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
		goto out;
	}
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int e = errno;
		close(fd);
		fd = -1;
		if (e == EACCES || e == EAGAIN)
			qu_err_set(err, QU_E_TEMPFAIL, "%s: another quail fetch is running", dir);
		else
			qu_err_sys(err, QU_E_IOERR, e, "%s: lock", path);
	}
out:
	free(path);
	free(sd);
	return fd;
}

#define PROGRESS_EVERY_MS 100
#define PROGRESS_EVERY_BYTES (256u * 1024)

void
app_progress_start(struct app_progress *p, const struct app_fetch_opts *o)
{
	p->o = o;
	p->t0 = qu_now_ms();
	/* The first report goes at once: a caller learns the totals, and
	 * may ask to stop, before any message moves. */
	p->last = p->t0 - PROGRESS_EVERY_MS;
	p->since = 0;
	app_progress_report(p, false);
}

void
app_progress_report(struct app_progress *p, bool last)
{
	if (!p->o || !p->o->progress)
		return;
	int64_t now = qu_now_ms();
	if (!last && now - p->last < PROGRESS_EVERY_MS)
		return;
	p->last = now;
	p->pr.elapsed_ms = now - p->t0;
	p->pr.last = last;
	if (p->o->progress(p->o->progress_ctx, &p->pr))
		p->stop = true;
}

int
app_progress_check(const struct app_progress *p, struct qu_err *err)
{
	if (p->stop)
		return qu_err_canceled(err);
	return qu_cancel_check(p->cancel, err);
}

void
app_progress_bytes(struct app_progress *p, size_t n)
{
	p->pr.bytes_done += n;
	p->since += n;
	if (p->since >= PROGRESS_EVERY_BYTES) {
		p->since = 0;
		app_progress_report(p, false);
	}
}

bool
app_word(const char **p, const char *end, const char **w, size_t *n)
{
	while (*p < end && **p == ' ')
		(*p)++;
	*w = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	*n = (size_t)(*p - *w);
	return *n > 0;
}

/* ---- finding a message already stored -------------------------------- */

size_t
app_maildir_base(const char *rel, const char **base)
{
	const char *s = strrchr(rel, '/');
	*base = s ? s + 1 : rel;
	const char *c = strchr(*base, ':');
	return c ? (size_t)(c - *base) : strlen(*base);
}

int
app_cmp_maildir_base(const void *a, const void *b)
{
	const char *x, *y;
	size_t xn = app_maildir_base(*(const char *const *)a, &x);
	size_t yn = app_maildir_base(*(const char *const *)b, &y);
	int c = memcmp(x, y, xn < yn ? xn : yn);
	return c ? c : (xn > yn) - (xn < yn);
}

static int
cmp_size(const void *a, const void *b)
{
	const struct app_stored *x = a, *y = b;
	return x->size < y->size ? -1 : x->size > y->size;
}

int
app_stored_index_build(struct maildir *md, const char **claimed, size_t nclaimed,
		       struct app_stored_index *ix, struct qu_err *err)
{
	struct maildir_iter *it = maildir_iter_new(md, err);
	if (!it)
		return -1;
	if (nclaimed > 1)
		qsort(claimed, nclaimed, sizeof *claimed, app_cmp_maildir_base);
	size_t cap = 0;
	struct maildir_entry me;
	while (maildir_iter_next(it, &me)) {
		if (qu_cancel_check(ix->cancel, err) < 0) {
			maildir_iter_free(it);
			return -1;
		}
		const char *key = me.name;
		if (nclaimed && bsearch(&key, claimed, nclaimed, sizeof *claimed, app_cmp_maildir_base))
			continue;
		uint64_t size;
		if (!maildir_name_size(me.name, &size)) {
			struct stat sb;
			if (stat(me.path, &sb) < 0)
				continue;
			size = (uint64_t)sb.st_size;
		}
		ix->v = xgrow(ix->v, &cap, ix->n + 1, sizeof *ix->v);
		ix->v[ix->n++] = (struct app_stored){size, xstrdup(me.path), false};
	}
	maildir_iter_free(it);
	if (ix->n > 1)
		qsort(ix->v, ix->n, sizeof *ix->v, cmp_size);
	ix->built = true;
	return 0;
}

char *
app_stored_find(struct app_stored_index *ix, struct maildir_delivery *d, size_t strip, int *rc,
		struct qu_err *err)
{
	*rc = 0;
	uint64_t size = maildir_delivery_size(d);
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->v[mid].size < size)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < ix->n && ix->v[i].size == size; i++) {
		if (ix->v[i].claimed)
			continue;
		int same = maildir_delivery_matches(d, ix->v[i].path, err);
		if (same < 0 && err->cls == QU_E_IOERR) {
			*rc = -1;
			return NULL;
		}
		if (same == 1) {
			/* Two server messages with the same bytes are two files. */
			ix->v[i].claimed = true;
			return xstrdup(ix->v[i].path + strip + 1);
		}
	}
	return NULL;
}

void
app_stored_index_clear(struct app_stored_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free(ix->v[i].path);
	free(ix->v);
	const struct qu_cancel *c = ix->cancel;
	memset(ix, 0, sizeof *ix);
	ix->cancel = c;
}
