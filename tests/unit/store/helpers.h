/*
 * Small file-system helpers shared by the store unit tests: a scratch
 * directory per test, whole-file read/write, recursive removal.
 */
#ifndef QUAIL_TESTS_STORE_HELPERS_H
#define QUAIL_TESTS_STORE_HELPERS_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

/* A fresh directory under $TMPDIR (or /tmp); owned string. */
static inline char *
th_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/quail-store-XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	return tmpl;
}

static inline void
th_rmrf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		chmod(path, 0700);
		DIR *dp = opendir(path);
		if (dp) {
			struct dirent *de;
			while ((de = readdir(dp)) != NULL) {
				if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
					continue;
				char *sub = xasprintf("%s/%s", path, de->d_name);
				th_rmrf(sub);
				free(sub);
			}
			closedir(dp);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

static inline void
th_write(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* The whole file (NUL-terminated for convenience), or NULL if missing. */
static inline char *
th_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	char chunk[4096];
	size_t r;
	while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
		qu_buf_append(&b, chunk, r);
	fclose(f);
	return qu_buf_steal(&b, len);
}

/* Number of entries in dir, not counting "." and "..". -1 if unreadable. */
static inline int
th_count(const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

/* Runs suite s in fork mode; the exit status for main(). */
static inline int
th_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
