#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/private.h"
#include "store/store.h"

const char *
store_memmem(const char *p, size_t n, const char *needle, size_t nn)
{
	const char *end = p + n;
	while ((size_t)(end - p) >= nn) {
		const char *c = memchr(p, needle[0], (size_t)(end - p) - nn + 1);
		if (!c)
			return NULL;
		if (memcmp(c, needle, nn) == 0)
			return c;
		p = c + 1;
	}
	return NULL;
}

int
store_fsync_dir(const char *path, struct qu_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s: open directory", path);
	if (fsync(fd) < 0) {
		int e = errno;
		/* Some file systems cannot fsync a directory at all; their
		 * renames are as durable as they get. */
		if (e != EINVAL && e != ENOTSUP) {
			close(fd);
			return qu_err_sys(err, QU_E_IOERR, e, "%s: fsync directory", path);
		}
	}
	close(fd);
	return 0;
}

int
store_fsync_parent(const char *path, struct qu_err *err)
{
	char *copy = xstrdup(path);
	int rc = store_fsync_dir(dirname(copy), err);
	free(copy);
	return rc;
}

int
store_mkdir(const char *path, mode_t mode, bool *created, struct qu_err *err)
{
	if (created)
		*created = false;
	if (mkdir(path, mode) == 0) {
		if (created)
			*created = true;
		return store_fsync_parent(path, err);
	}
	int e = errno;
	struct stat st;
	if (e == EEXIST && stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		e = ENOTDIR;
	}
	return qu_err_sys(err, QU_E_IOERR, e, "%s: mkdir", path);
}

int
store_open_regular(const char *path, struct qu_err *err)
{
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer
	 * for ever. It is cleared again once the file is known regular. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return qu_err_sys(err, QU_E_IOERR, e, "%s: fstat", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return qu_err_set(err, QU_E_NOINPUT, "%s: not a regular file", path);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return qu_err_sys(err, QU_E_IOERR, e, "%s: fcntl", path);
	}
	return fd;
}

int
store_private_dir(const char *path, struct qu_err *err)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
		if (store_mkdir_p(path, 0700, err) < 0)
			return -1;
		if (lstat(path, &st) < 0)
			return qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
	}
	if (S_ISLNK(st.st_mode))
		return qu_err_set(err, QU_E_CONFIG, "%s: is a symbolic link; refusing to use it", path);
	if (!S_ISDIR(st.st_mode))
		return qu_err_sys(err, QU_E_IOERR, ENOTDIR, "%s", path);
	if (st.st_uid != geteuid())
		return qu_err_set(err, QU_E_CONFIG,
				  "%s: owned by uid %lu, not by this user; refusing to use it", path,
				  (unsigned long)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return qu_err_set(err, QU_E_CONFIG,
				  "%s: writable by group or others (mode %03o); refusing to use it "
				  "(chmod 700 it)",
				  path, (unsigned)(st.st_mode & 0777));
	return 0;
}

int
store_mkdir_p(const char *path, mode_t mode, struct qu_err *err)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	char *copy = xstrdup(path);
	int rc = 0;
	/* Walk the components left to right; skip the leading '/' and
	 * repeated slashes, which name no new directory. */
	for (char *s = copy + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		rc = store_mkdir(copy, mode, NULL, err);
		*s = '/';
		if (rc < 0)
			goto out;
	}
	rc = store_mkdir(copy, mode, NULL, err);
out:
	free(copy);
	return rc;
}

/* ---- kind ------------------------------------------------------------ */

static bool
is_dir_at(const char *dir, const char *sub)
{
	char *p = xasprintf("%s/%s", dir, sub);
	struct stat st;
	bool ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return ok;
}

enum store_kind
store_kind(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return STORE_KIND_MISSING;
	if (S_ISREG(st.st_mode))
		return STORE_KIND_MBOX;
	if (S_ISDIR(st.st_mode) && (is_dir_at(path, "cur") || is_dir_at(path, "new")))
		return STORE_KIND_MAILDIR;
	return STORE_KIND_OTHER;
}

const char *
store_kind_name(enum store_kind kind)
{
	switch (kind) {
	case STORE_KIND_MISSING:
		return "missing";
	case STORE_KIND_MAILDIR:
		return "maildir";
	case STORE_KIND_MBOX:
		return "mbox";
	case STORE_KIND_OTHER:
		return "other";
	}
	return "?";
}

/* ---- mapping --------------------------------------------------------- */

int
store_map_file(const char *path, struct store_map *map, struct qu_err *err)
{
	map->p = "";
	map->len = 0;
	map->base_ = NULL;

	int fd = store_open_regular(path, err);
	if (fd < 0)
		return -1;
	struct stat st; /* for the size: the kind is checked */
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return qu_err_sys(err, QU_E_IOERR, e, "%s: fstat", path);
	}
	if ((uintmax_t)st.st_size > SIZE_MAX) {
		close(fd);
		return qu_err_sys(err, QU_E_IOERR, EFBIG, "%s", path);
	}
	size_t len = (size_t)st.st_size;
	if (len == 0) {
		/* mmap of length 0 is EINVAL; an empty file is just empty. */
		close(fd);
		return 0;
	}
	void *base = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (base == MAP_FAILED)
		return qu_err_sys(err, QU_E_IOERR, e, "%s: mmap", path);
	map->base_ = base;
	map->p = base;
	map->len = len;
	return 0;
}

void
store_unmap(struct store_map *map)
{
	if (map->base_)
		munmap(map->base_, map->len);
	map->base_ = NULL;
	map->p = "";
	map->len = 0;
}
