/*
 * Append-only line journals in DIR/.quail/ (SPEC §5: fetch state).
 *
 * A line counts once append has returned, which is after fdatasync. A crash
 * mid-append can leave a final line without its '\n'; readers skip it and
 * store_journal_open cuts it off. Compaction writes a whole new file and
 * renames it into place, so a crash leaves the old or the new journal,
 * never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/private.h"
#include "store/store.h"

#define STATE_DIR ".quail"
/* Compaction writes through a buffer of this size. */
#define COMPACT_BUF (64 * 1024)

struct store_journal {
	int fd;
	char *path;
	off_t size; /* length of the complete lines: where a failed append rolls back to */
};

static int
check_name(const char *name, struct qu_err *err)
{
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/'))
		return qu_err_set(err, QU_E_SOFTWARE, "journal name \"%s\" is not a plain file name",
			name);
	return 0;
}

/* The length of the file up to and including its last '\n' (0 if none),
 * reading backwards from size so only the tail is touched. */
static int
complete_length(int fd, off_t size, off_t *out)
{
	char chunk[4096];
	off_t at = size;
	while (at > 0) {
		size_t n = at < (off_t)sizeof chunk ? (size_t)at : sizeof chunk;
		ssize_t r = pread(fd, chunk, n, at - (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)n) {
			if (r >= 0)
				errno = EIO;
			return -1;
		}
		for (size_t i = n; i > 0; i--) {
			if (chunk[i - 1] == '\n') {
				*out = at - (off_t)n + (off_t)i;
				return 0;
			}
		}
		at -= (off_t)n;
	}
	*out = 0;
	return 0;
}

/* Cuts off a partial last line left by a crash, so the next append does
 * not glue onto it. That line was never acknowledged to anyone. */
static int
drop_partial_line(struct store_journal *j, struct qu_err *err)
{
	struct stat st;
	if (fstat(j->fd, &st) < 0)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s: fstat", j->path);
	off_t keep;
	if (complete_length(j->fd, st.st_size, &keep) < 0)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s: read", j->path);
	if (keep != st.st_size) {
		if (ftruncate(j->fd, keep) < 0 || fsync(j->fd) < 0)
			return qu_err_sys(err, QU_E_IOERR, errno, "%s: truncate", j->path);
	}
	j->size = keep;
	return 0;
}

/* Makes DIR and DIR/.quail; returns the latter (owned). */
static char *
make_state_dir(const char *dir, struct qu_err *err)
{
	if (store_mkdir_p(dir, 0700, err) < 0)
		return NULL;
	char *qdir = xasprintf("%s/" STATE_DIR, dir);
	if (store_private_dir(qdir, err) < 0) {
		free(qdir);
		return NULL;
	}
	return qdir;
}

struct store_journal *
store_journal_open(const char *dir, const char *name, struct qu_err *err)
{
	if (check_name(name, err) < 0)
		return NULL;
	char *qdir = make_state_dir(dir, err);
	if (!qdir)
		return NULL;
	struct store_journal *j = xcalloc(1, sizeof *j);
	j->path = xasprintf("%s/%s", qdir, name);
	int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW;
	bool created = true;
	j->fd = open(j->path, flags | O_CREAT | O_EXCL, 0600);
	if (j->fd < 0 && errno == EEXIST) {
		created = false;
		j->fd = open(j->path, flags);
	}
	if (j->fd < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", j->path);
		goto fail;
	}
	/* A new file's directory entry must be durable before any line in it
	 * is acknowledged. */
	if (created && store_fsync_dir(qdir, err) < 0)
		goto fail;
	if (drop_partial_line(j, err) < 0)
		goto fail;
	free(qdir);
	return j;
fail:
	store_journal_free(j);
	free(qdir);
	return NULL;
}

void
store_journal_free(struct store_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j);
}

int
store_journal_append(struct store_journal *j, const char *line, size_t len, struct qu_err *err)
{
	if (len && memchr(line, '\n', len))
		return qu_err_set(err, QU_E_SOFTWARE, "%s: journal line contains a newline", j->path);
	/* One write for line and '\n', so a crash leaves at most one partial
	 * line, at the end. */
	char *rec = xmalloc(len + 1);
	if (len)
		memcpy(rec, line, len);
	rec[len] = '\n';
	int rc = 0;
	if (qu_write_all(j->fd, rec, len + 1) < 0)
		rc = qu_err_sys(err, QU_E_IOERR, errno, "%s: write", j->path);
	else if (fdatasync(j->fd) < 0)
		rc = qu_err_sys(err, QU_E_IOERR, errno, "%s: fdatasync", j->path);
	free(rec);
	if (rc < 0) {
		/* Roll back, so a retry or the next append starts on a clean
		 * line. If even this fails, open's cleanup handles it. */
		if (ftruncate(j->fd, j->size) < 0) {
			/* The write error is the one to report. */
		}
		return -1;
	}
	j->size += (off_t)len + 1;
	return 0;
}

int
store_journal_read(const char *dir, const char *name,
	int (*fn)(void *ctx, const char *line, size_t len, struct qu_err *err), void *ctx,
	struct qu_err *err)
{
	if (check_name(name, err) < 0)
		return -1;
	char *qdir = xasprintf("%s/" STATE_DIR, dir);
	char *path = xasprintf("%s/%s", qdir, name);
	int rc = 0;
	struct stat st;
	if (lstat(path, &st) < 0) {
		/* No state yet: a first run. */
		if (errno != ENOENT && errno != ENOTDIR)
			rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
		free(path);
		free(qdir);
		return rc;
	}
	/* The journal exists, so .quail does: this only checks it. */
	if (store_private_dir(qdir, err) < 0) {
		free(path);
		free(qdir);
		return -1;
	}
	free(qdir);
	if (S_ISLNK(st.st_mode)) {
		rc = qu_err_set(err, QU_E_IOERR, "%s: is a symbolic link; refusing to read it", path);
		free(path);
		return rc;
	}
	struct store_map map;
	if (store_map_file(path, &map, err) < 0) {
		/* Our own state file: unreadable means a local I/O problem, not
		 * bad user input. */
		if (err)
			err->cls = QU_E_IOERR;
		free(path);
		return -1;
	}
	const char *p = map.p;
	const char *end = map.p + map.len;
	const char *nl;
	/* A final line without '\n' is an append cut short: skipped. */
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (fn(ctx, p, (size_t)(nl - p), err) < 0) {
			rc = -1;
			break;
		}
		p = nl + 1;
	}
	store_unmap(&map);
	free(path);
	return rc;
}

static int
write_lines(int fd, const char *path, const struct store_line *lines, size_t n,
	struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (lines[i].len)
			qu_buf_append(&b, lines[i].p, lines[i].len);
		qu_buf_append_byte(&b, '\n');
		if (b.len >= COMPACT_BUF || i + 1 == n) {
			if (qu_write_all(fd, b.data, b.len) < 0)
				rc = qu_err_sys(err, QU_E_IOERR, errno, "%s: write", path);
			qu_buf_reset(&b);
		}
	}
	qu_buf_clear(&b);
	return rc;
}

int
store_journal_compact(const char *dir, const char *name, const struct store_line *lines, size_t n,
	struct qu_err *err)
{
	if (check_name(name, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (lines[i].len && memchr(lines[i].p, '\n', lines[i].len))
			return qu_err_set(err, QU_E_SOFTWARE,
				"%s: journal line %zu contains a newline", name, i + 1);
	char *qdir = make_state_dir(dir, err);
	if (!qdir)
		return -1;
	/* A dot name can never be a journal's (check_name), so it cannot
	 * clobber one. */
	char *tmp = xasprintf("%s/.%s.tmp", qdir, name);
	char *path = xasprintf("%s/%s", qdir, name);
	int rc = -1;
	int cfd;
	/* Created anew, never through a link; one left by a crash goes. */
	int tflags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(tmp, tflags, 0600);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, tflags, 0600);
	if (fd < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", tmp);
		goto out;
	}
	if (write_lines(fd, tmp, lines, n, err) < 0)
		goto out_unlink;
	if (fsync(fd) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s: fsync", tmp);
		goto out_unlink;
	}
	cfd = fd;
	fd = -1;
	if (close(cfd) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s: close", tmp);
		goto out_unlink;
	}
	if (rename(tmp, path) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
		goto out_unlink;
	}
	rc = store_fsync_dir(qdir, err);
	goto out;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(path);
	free(tmp);
	free(qdir);
	return rc;
}
