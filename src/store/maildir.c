/*
 * Maildir: delivery, flags and iteration (https://cr.yp.to/proto/maildir.html).
 *
 * A message only ever appears in new/ or cur/ complete and fsynced: it is
 * written under tmp/, fsynced, renamed, and then the directory it went
 * into is fsynced so the rename itself survives a crash.
 */
#ifdef __linux__
#define _GNU_SOURCE /* sync_file_range: a write-back hint for batches */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "store/private.h"
#include "store/store.h"

/* Big enough that a fetch writes in large chunks, small enough to keep
 * per-delivery memory flat whatever the message size. */
#define DELIVERY_BUF (64 * 1024)
/* Name collisions need the same second, microsecond, pid and counter; a
 * few retries with a fresh clock reading and counter are plenty. */
#define NAME_TRIES 100

struct maildir {
	char *path;
	char *host;             /* gethostname(), made safe for a file name */
	unsigned long counter;  /* the Q part: deliveries made through this object */
};

struct maildir_delivery {
	struct maildir *md;
	int fd;
	char *base;     /* "SECONDS.M<usec>P<pid>Q<n>.<host>" */
	char *tmp_path; /* "<md>/tmp/<base>" */
	uint64_t size;
	bool failed;
	size_t buf_len;
	char *buf;
};

static const char flag_letters[] = "DFPRST";

/* ---- open ------------------------------------------------------------ */

/* The Maildir convention: '/' and ':' in the host name would break the
 * path or the ":2," info, so they are written as octal escapes. */
static char *
safe_hostname(void)
{
	char host[256];
	if (gethostname(host, sizeof host) < 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof host - 1] = '\0';
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (const char *s = host; *s; s++) {
		if (*s == '/')
			qu_buf_append_str(&b, "\\057");
		else if (*s == ':')
			qu_buf_append_str(&b, "\\072");
		else
			qu_buf_append_byte(&b, *s);
	}
	return qu_buf_steal(&b, NULL);
}

static int
create_maildir(const char *path, struct qu_err *err)
{
	static const char *const subs[] = {"tmp", "new", "cur"};
	if (store_mkdir_p(path, 0700, err) < 0)
		return -1;
	for (size_t i = 0; i < QU_ARRAY_LEN(subs); i++) {
		char *sub = xasprintf("%s/%s", path, subs[i]);
		int rc = store_mkdir(sub, 0700, NULL, err);
		free(sub);
		if (rc < 0)
			return -1;
	}
	return 0;
}

struct maildir *
maildir_open(const char *path, bool create, struct qu_err *err)
{
	if (create) {
		if (create_maildir(path, err) < 0)
			return NULL;
	} else {
		enum store_kind k = store_kind(path);
		if (k == STORE_KIND_MISSING) {
			qu_err_sys(err, QU_E_NOINPUT, ENOENT, "%s", path);
			return NULL;
		}
		if (k != STORE_KIND_MAILDIR) {
			qu_err_set(err, QU_E_NOINPUT, "%s: not a Maildir (no cur/ or new/)", path);
			return NULL;
		}
	}
	struct maildir *md = xcalloc(1, sizeof *md);
	md->path = xstrdup(path);
	md->host = safe_hostname();
	return md;
}

void
maildir_free(struct maildir *md)
{
	if (!md)
		return;
	free(md->path);
	free(md->host);
	free(md);
}

const char *
maildir_path(const struct maildir *md)
{
	return md->path;
}

/* ---- delivery -------------------------------------------------------- */

static char *
unique_base(struct maildir *md)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	md->counter++;
	return xasprintf("%lld.M%ldP%ldQ%lu.%s", (long long)ts.tv_sec, ts.tv_nsec / 1000L,
		(long)getpid(), md->counter, md->host);
}

struct maildir_delivery *
maildir_delivery_begin(struct maildir *md, struct qu_err *err)
{
	for (int i = 0; i < NAME_TRIES; i++) {
		char *base = unique_base(md);
		char *tmp = xasprintf("%s/tmp/%s", md->path, base);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			struct maildir_delivery *d = xcalloc(1, sizeof *d);
			d->md = md;
			d->fd = fd;
			d->base = base;
			d->tmp_path = tmp;
			d->buf = xmalloc(DELIVERY_BUF);
			return d;
		}
		int e = errno;
		if (e != EEXIST) {
			qu_err_sys(err, QU_E_IOERR, e, "%s", tmp);
			free(tmp);
			free(base);
			return NULL;
		}
		free(tmp);
		free(base);
	}
	qu_err_set(err, QU_E_IOERR, "%s/tmp: cannot find an unused file name", md->path);
	return NULL;
}

static void
delivery_free(struct maildir_delivery *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free(d->buf);
	free(d->tmp_path);
	free(d->base);
	free(d);
}

static int
delivery_flush(struct maildir_delivery *d, struct qu_err *err)
{
	if (d->failed)
		return qu_err_set(err, QU_E_SOFTWARE, "%s: delivery already failed", d->tmp_path);
	if (d->buf_len == 0)
		return 0;
	if (qu_write_all(d->fd, d->buf, d->buf_len) < 0) {
		d->failed = true;
		return qu_err_sys(err, QU_E_IOERR, errno, "%s: write", d->tmp_path);
	}
	d->buf_len = 0;
	return 0;
}

int
maildir_delivery_write(struct maildir_delivery *d, const void *p, size_t n, struct qu_err *err)
{
	if (d->failed)
		return qu_err_set(err, QU_E_SOFTWARE, "%s: delivery already failed", d->tmp_path);
	if (n == 0)
		return 0; /* p may be NULL then, which memcpy does not allow */
	const char *c = p;
	if (d->buf_len + n > DELIVERY_BUF) {
		if (delivery_flush(d, err) < 0)
			return -1;
		/* A big chunk goes straight to the file instead of through the
		 * buffer. */
		if (n >= DELIVERY_BUF) {
			if (qu_write_all(d->fd, c, n) < 0) {
				d->failed = true;
				return qu_err_sys(err, QU_E_IOERR, errno, "%s: write", d->tmp_path);
			}
			d->size += n;
			return 0;
		}
	}
	memcpy(d->buf + d->buf_len, c, n);
	d->buf_len += n;
	d->size += n;
	return 0;
}

uint64_t
maildir_delivery_size(const struct maildir_delivery *d)
{
	return d->size;
}

static int
flags_from_letters(const char *letters, unsigned *out, struct qu_err *err)
{
	*out = 0;
	for (const char *s = letters ? letters : ""; *s; s++) {
		const char *at = strchr(flag_letters, *s);
		if (!at)
			return qu_err_set(err, QU_E_SOFTWARE, "Maildir flag '%c' is not one of %s",
				*s, flag_letters);
		*out |= 1u << (at - flag_letters);
	}
	return 0;
}

/* Renames the finished tmp file to sub/NAME,S=size[info] under a name no
 * file has; returns the name relative to the Maildir. */
static char *
delivery_place(struct maildir_delivery *d, const char *sub, const char *info, struct qu_err *err)
{
	struct maildir *md = d->md;
	for (int i = 0; i < NAME_TRIES; i++) {
		char *rel = xasprintf("%s/%s,S=%" PRIu64 "%s", sub, d->base, d->size, info);
		char *dest = xasprintf("%s/%s", md->path, rel);
		struct stat st;
		/* rename() would silently replace an existing message; look
		 * first. A clash needs the same second, microsecond, pid and
		 * counter, so this is about correctness, not speed. */
		if (lstat(dest, &st) == 0) {
			free(rel);
			free(dest);
			free(d->base);
			d->base = unique_base(md);
			continue;
		}
		int rc = errno == ENOENT ? rename(d->tmp_path, dest) : -1;
		if (rc < 0) {
			qu_err_sys(err, QU_E_IOERR, errno, "%s", dest);
			free(rel);
			free(dest);
			return NULL;
		}
		free(dest);
		return rel;
	}
	qu_err_set(err, QU_E_IOERR, "%s/%s: cannot find an unused file name", md->path, sub);
	return NULL;
}

int
maildir_delivery_commit(struct maildir_delivery *d, const char *flags, bool seen,
	char **out_name, struct qu_err *err)
{
	unsigned bits;
	int cfd;
	char info[16] = "";
	char letters[7];
	const char *sub = "new";
	char *rel;
	if (out_name)
		*out_name = NULL;
	if (flags_from_letters(flags, &bits, err) < 0 || delivery_flush(d, err) < 0)
		goto fail;
	if (seen)
		bits |= MAILDIR_FLAG_SEEN;
	if (fsync(d->fd) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s: fsync", d->tmp_path);
		goto fail;
	}
	/* close() can report a deferred write error (NFS); it counts. */
	cfd = d->fd;
	d->fd = -1;
	if (close(cfd) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s: close", d->tmp_path);
		goto fail;
	}
	if (bits) {
		strcpy(info, ":2,");
		strcat(info, maildir_flags_format(bits, letters));
		sub = "cur";
	}
	rel = delivery_place(d, sub, info, err);
	if (!rel)
		goto fail;
	/* The rename is only durable once the directory is. */
	char *dir = xasprintf("%s/%s", d->md->path, sub);
	int rc = store_fsync_dir(dir, err);
	free(dir);
	if (out_name && rc == 0)
		*out_name = rel;
	else
		free(rel);
	delivery_free(d);
	return rc;
fail:
	unlink(d->tmp_path);
	delivery_free(d);
	return -1;
}

void
maildir_delivery_abort(struct maildir_delivery *d)
{
	if (!d)
		return;
	unlink(d->tmp_path);
	delivery_free(d);
}

int
maildir_delivery_matches(struct maildir_delivery *d, const char *path, struct qu_err *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path);
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != d->size)
		return 0;
	if (delivery_flush(d, err) < 0)
		return -1;
	struct store_map ours, theirs;
	if (store_map_file(d->tmp_path, &ours, err) < 0) {
		/* Our own tmp file being unreadable is a local I/O problem. */
		if (err)
			err->cls = QU_E_IOERR;
		return -1;
	}
	if (store_map_file(path, &theirs, err) < 0) {
		store_unmap(&ours);
		return -1;
	}
	int same = ours.len == theirs.len && memcmp(ours.p, theirs.p, ours.len) == 0;
	store_unmap(&theirs);
	store_unmap(&ours);
	return same;
}

int
maildir_deliver(struct maildir *md, const char *p, size_t len, const char *flags, bool seen,
	char **out_name, struct qu_err *err)
{
	if (out_name)
		*out_name = NULL;
	struct maildir_delivery *d = maildir_delivery_begin(md, err);
	if (!d)
		return -1;
	if (maildir_delivery_write(d, p, len, err) < 0) {
		maildir_delivery_abort(d);
		return -1;
	}
	return maildir_delivery_commit(d, flags, seen, out_name, err);
}

/* ---- batched delivery ------------------------------------------------ */

struct maildir_batch_item {
	struct maildir_delivery *d;
	unsigned bits; /* enum maildir_flag */
};

struct maildir_batch {
	struct maildir *md;
	struct maildir_batch_item *v;
	size_t n, cap;
	uint64_t bytes;
};

struct maildir_batch *
maildir_batch_new(struct maildir *md)
{
	struct maildir_batch *b = xcalloc(1, sizeof *b);
	b->md = md;
	return b;
}

static void
batch_drop(struct maildir_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		maildir_delivery_abort(b->v[i].d);
	b->n = 0;
	b->bytes = 0;
}

void
maildir_batch_free(struct maildir_batch *b)
{
	if (!b)
		return;
	batch_drop(b);
	free(b->v);
	free(b);
}

size_t
maildir_batch_count(const struct maildir_batch *b)
{
	return b->n;
}

uint64_t
maildir_batch_bytes(const struct maildir_batch *b)
{
	return b->bytes;
}

int
maildir_batch_add_delivery(struct maildir_batch *b, struct maildir_delivery *d, const char *flags,
	struct qu_err *err)
{
	unsigned bits;
	if (flags_from_letters(flags, &bits, err) < 0 || delivery_flush(d, err) < 0) {
		maildir_delivery_abort(d);
		return -1;
	}
	/* Nothing more is written: a batch of hundreds keeps no buffers. */
	free(d->buf);
	d->buf = NULL;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start the write-back now, so that the fsyncs at commit find the
	 * data (and its block allocation) mostly done together instead of one
	 * journal commit each. Only a hint: commit's fsync is what counts. */
	(void)sync_file_range(d->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->v = xrealloc(b->v, b->cap * sizeof *b->v);
	}
	b->v[b->n++] = (struct maildir_batch_item){d, bits};
	b->bytes += d->size;
	return 0;
}

int
maildir_batch_add(struct maildir_batch *b, const char *p, size_t len, const char *flags,
	struct qu_err *err)
{
	unsigned bits;
	/* Checked first: a bad letter costs no tmp file. */
	if (flags_from_letters(flags, &bits, err) < 0)
		return -1;
	struct maildir_delivery *d = maildir_delivery_begin(b->md, err);
	if (!d)
		return -1;
	if (maildir_delivery_write(d, p, len, err) < 0) {
		maildir_delivery_abort(d);
		return -1;
	}
	return maildir_batch_add_delivery(b, d, flags, err);
}

/* Every file of the batch on disk and closed; on failure none is placed. */
static int
batch_sync_files(struct maildir_batch *b, struct qu_err *err)
{
	for (size_t i = 0; i < b->n; i++) {
		struct maildir_delivery *d = b->v[i].d;
		if (fsync(d->fd) < 0)
			return qu_err_sys(err, QU_E_IOERR, errno, "%s: fsync", d->tmp_path);
		int fd = d->fd;
		d->fd = -1;
		/* close() can report a deferred write error (NFS); it counts. */
		if (close(fd) < 0)
			return qu_err_sys(err, QU_E_IOERR, errno, "%s: close", d->tmp_path);
	}
	return 0;
}

int
maildir_batch_commit(struct maildir_batch *b, size_t *placed, struct qu_err *err)
{
	return maildir_batch_commit_names(b, placed, NULL, err);
}

int
maildir_batch_commit_names(struct maildir_batch *b, size_t *placed, char **names,
	struct qu_err *err)
{
	*placed = 0;
	for (size_t i = 0; names && i < b->n; i++)
		names[i] = NULL;
	if (batch_sync_files(b, err) < 0) {
		batch_drop(b);
		return -1;
	}
	size_t k = 0;
	bool used[2] = {false, false}; /* new/, cur/ */
	int rc = 0;
	for (; k < b->n; k++) {
		struct maildir_batch_item *it = &b->v[k];
		char info[16] = "", letters[7];
		if (it->bits) {
			strcpy(info, ":2,");
			strcat(info, maildir_flags_format(it->bits, letters));
		}
		char *rel = delivery_place(it->d, it->bits ? "cur" : "new", info, err);
		if (!rel) {
			rc = -1;
			break;
		}
		if (names)
			names[k] = rel;
		else
			free(rel);
		used[it->bits != 0] = true;
		delivery_free(it->d);
		it->d = NULL;
	}
	/* The renames are only durable once the directories are: one fsync
	 * each for the whole batch. */
	const char *subs[] = {"new", "cur"};
	struct qu_err derr = {0};
	int drc = 0;
	for (int s = 0; s < 2 && drc == 0; s++) {
		if (!used[s])
			continue;
		char *dir = xasprintf("%s/%s", b->md->path, subs[s]);
		drc = store_fsync_dir(dir, rc < 0 ? &derr : err);
		free(dir);
	}
	if (drc == 0)
		*placed = k;
	/* What was not placed goes (its tmp file removed); the placed ones
	 * were released above. */
	for (size_t i = k; i < b->n; i++)
		maildir_delivery_abort(b->v[i].d);
	b->n = 0;
	b->bytes = 0;
	return rc < 0 || drc < 0 ? -1 : 0;
}

long
maildir_clean_tmp(struct maildir *md, long max_age_seconds, const struct qu_cancel *cancel,
	struct qu_err *err)
{
	char *dir = xasprintf("%s/tmp", md->path);
	DIR *dp = opendir(dir);
	if (!dp) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", dir);
		free(dir);
		return -1;
	}
	time_t now = time(NULL);
	long removed = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (qu_cancel_check(cancel, err) < 0) {
			removed = -1;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		/* mtime, not atime: a delivery in progress keeps writing, and
		 * atime is often not maintained (noatime). */
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > max_age_seconds &&
			unlink(p) == 0)
			removed++;
		free(p);
	}
	closedir(dp);
	free(dir);
	return removed;
}

/* ---- flags and names ------------------------------------------------- */

/* Where the ":2," info starts in name, or NULL. */
static const char *
find_info(const char *name)
{
	const char *c = strrchr(name, ':');
	return c && c[1] == '2' && c[2] == ',' ? c : NULL;
}

unsigned
maildir_flags_parse(const char *name)
{
	const char *info = find_info(name);
	unsigned bits = 0;
	if (!info)
		return 0;
	for (const char *s = info + 3; *s; s++) {
		const char *at = strchr(flag_letters, *s);
		if (at)
			bits |= 1u << (at - flag_letters);
	}
	return bits;
}

char *
maildir_flags_format(unsigned flags, char out[static 7])
{
	size_t n = 0;
	for (size_t i = 0; flag_letters[i]; i++)
		if (flags & (1u << i))
			out[n++] = flag_letters[i];
	out[n] = '\0';
	return out;
}

bool
maildir_name_size(const char *name, uint64_t *size)
{
	const char *end = strchr(name, ':');
	if (!end)
		end = name + strlen(name);
	for (const char *s = name; s + 3 <= end; s++) {
		if (memcmp(s, ",S=", 3) != 0)
			continue;
		const char *d = s + 3;
		const char *e = d;
		while (e < end && *e != ',')
			e++;
		uint64_t v;
		if (e > d && qu_parse_u64(d, (size_t)(e - d), UINT64_MAX, &v) == 0) {
			*size = v;
			return true;
		}
	}
	return false;
}

static int
cmp_char(const void *a, const void *b)
{
	return *(const unsigned char *)a - *(const unsigned char *)b;
}

/* The ":2," info for flags, keeping letters other writers put there that
 * quail does not manage (Dovecot keywords a-z), in ASCII order as the
 * convention asks. */
static char *
merged_info(const char *old_info, unsigned flags)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	char letters[7];
	qu_buf_append_str(&b, maildir_flags_format(flags, letters));
	for (const char *s = old_info ? old_info + 3 : ""; *s; s++)
		if (!strchr(flag_letters, *s) && !memchr(b.data, *s, b.len) && *s != ',' &&
			*s != '/')
			qu_buf_append_byte(&b, *s);
	if (b.len)
		qsort(b.data, b.len, 1, cmp_char);
	char *info = xasprintf(":2,%s", b.len ? b.data : "");
	qu_buf_clear(&b);
	return info;
}

int
maildir_set_flags(struct maildir *md, const char *relpath, unsigned flags, unsigned opts,
	char **new_relpath, struct qu_err *err)
{
	if (new_relpath)
		*new_relpath = NULL;
	if ((strncmp(relpath, "new/", 4) != 0 && strncmp(relpath, "cur/", 4) != 0) ||
		relpath[4] == '\0' || strchr(relpath + 4, '/'))
		return qu_err_set(err, QU_E_SOFTWARE, "%s: not a message name under new/ or cur/",
			relpath);
	const char *name = relpath + 4;
	const char *info = find_info(name);
	size_t base_len = info ? (size_t)(info - name) : strlen(name);
	char *new_info = merged_info(info, flags);
	char *rel = xasprintf("cur/%.*s%s", (int)base_len, name, new_info);
	char *from = xasprintf("%s/%s", md->path, relpath);
	char *to = xasprintf("%s/%s", md->path, rel);
	int rc = -1;
	struct stat st;
	if (lstat(from, &st) < 0) {
		qu_err_sys(err, errno == ENOENT ? QU_E_NOINPUT : QU_E_IOERR, errno, "%s", from);
		goto out;
	}
	if (strcmp(from, to) != 0) {
		if (lstat(to, &st) == 0) {
			qu_err_sys(err, QU_E_IOERR, EEXIST, "%s", to);
			goto out;
		}
		if (rename(from, to) < 0) {
			qu_err_sys(err, QU_E_IOERR, errno, "%s", to);
			goto out;
		}
		if (!(opts & MAILDIR_NOSYNC)) {
			char *cur = xasprintf("%s/cur", md->path);
			rc = store_fsync_dir(cur, err);
			free(cur);
			if (rc < 0)
				goto out;
		}
	}
	rc = 0;
	if (new_relpath) {
		*new_relpath = rel;
		rel = NULL;
	}
out:
	free(to);
	free(from);
	free(rel);
	free(new_info);
	return rc;
}

int
maildir_sync(struct maildir *md, struct qu_err *err)
{
	static const char *const sub[] = {"new", "cur"};
	for (size_t i = 0; i < 2; i++) {
		char *dir = xasprintf("%s/%s", md->path, sub[i]);
		int rc = store_fsync_dir(dir, err);
		free(dir);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- iteration ------------------------------------------------------- */

struct iter_ent {
	char *name;
	bool is_new;
};

struct maildir_iter {
	struct maildir *md;
	struct iter_ent *ents;
	size_t n;
	size_t cap;
	size_t pos;
	size_t skipped; /* entries that are not files */
	char *path; /* the last entry's path, freed on the next call */
};

static int
list_dir(struct maildir_iter *it, const char *sub, bool is_new, struct qu_err *err)
{
	char *dir = xasprintf("%s/%s", it->md->path, sub);
	DIR *dp = opendir(dir);
	if (!dp) {
		int e = errno;
		int rc = e == ENOENT ? 0 : qu_err_sys(err, QU_E_IOERR, e, "%s", dir);
		free(dir);
		return rc;
	}
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(dp);
		if (!de) {
			if (errno != 0)
				rc = qu_err_sys(err, QU_E_IOERR, errno, "%s: readdir", dir);
			break;
		}
		/* Dot files are not messages: ".", "..", editor and sync-tool
		 * leftovers. */
		if (de->d_name[0] == '.')
			continue;
		/* A FIFO, socket, device or directory is no message; readers
		 * check again when they open a file (store_open_regular). */
		if (de->d_type != DT_UNKNOWN && de->d_type != DT_REG && de->d_type != DT_LNK) {
			it->skipped++;
			continue;
		}
		it->ents = xgrow(it->ents, &it->cap, it->n + 1, sizeof *it->ents);
		it->ents[it->n].name = xstrdup(de->d_name);
		it->ents[it->n].is_new = is_new;
		it->n++;
	}
	closedir(dp);
	free(dir);
	return rc;
}

/* By name, but the leading run of digits (the delivery time in seconds)
 * compares as a number, so 999999999.x sorts before 1000000000.x. */
static int
cmp_ent(const void *a, const void *b)
{
	const struct iter_ent *x = a, *y = b;
	size_t dx = strspn(x->name, "0123456789");
	size_t dy = strspn(y->name, "0123456789");
	if (dx && dy && dx != dy)
		return dx < dy ? -1 : 1;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (int)x->is_new - (int)y->is_new;
}

struct maildir_iter *
maildir_iter_new(struct maildir *md, struct qu_err *err)
{
	struct maildir_iter *it = xcalloc(1, sizeof *it);
	it->md = md;
	if (list_dir(it, "cur", false, err) < 0 || list_dir(it, "new", true, err) < 0) {
		maildir_iter_free(it);
		return NULL;
	}
	if (it->n > 1)
		qsort(it->ents, it->n, sizeof *it->ents, cmp_ent);
	return it;
}

bool
maildir_iter_next(struct maildir_iter *it, struct maildir_entry *e)
{
	free(it->path);
	it->path = NULL;
	if (it->pos >= it->n)
		return false;
	const struct iter_ent *ent = &it->ents[it->pos++];
	it->path = xasprintf("%s/%s/%s", it->md->path, ent->is_new ? "new" : "cur", ent->name);
	e->path = it->path;
	e->name = it->path + strlen(it->path) - strlen(ent->name);
	e->is_new = ent->is_new;
	e->flags = maildir_flags_parse(ent->name);
	return true;
}

size_t
maildir_iter_count(const struct maildir_iter *it)
{
	return it->n;
}

size_t
maildir_iter_skipped(const struct maildir_iter *it)
{
	return it->skipped;
}

void
maildir_iter_free(struct maildir_iter *it)
{
	if (!it)
		return;
	for (size_t i = 0; i < it->n; i++)
		free(it->ents[i].name);
	free(it->ents);
	free(it->path);
	free(it);
}
