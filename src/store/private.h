/*
 * store internals shared by the files of src/store; nothing outside the
 * folder includes this.
 */
#ifndef QUAIL_STORE_PRIVATE_H
#define QUAIL_STORE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/util.h"

/* Writes all n bytes, retrying short writes and EINTR. Returns 0, or -1
 * with errno set. */
/* fsync()s the directory at path so that entries added to or renamed into
 * it survive a crash. Returns 0, or -1 with QU_E_IOERR. */
int store_fsync_dir(const char *path, struct qu_err *err);
/* Makes one directory with mode; an existing directory is fine. On
 * creation, fsyncs the parent so the new entry is durable. *created (may
 * be NULL) tells whether it was made. Returns 0, or -1 with QU_E_IOERR. */
int store_mkdir(const char *path, mode_t mode, bool *created, struct qu_err *err);
/* The first occurrence of needle (nn > 0 bytes) in [p, p + n), or NULL.
 * memmem() is a GNU extension (POSIX only from 2024). */
const char *store_memmem(const char *p, size_t n, const char *needle, size_t nn);
/* fsync()s the directory holding path (dirname). */
int store_fsync_parent(const char *path, struct qu_err *err);

#endif
