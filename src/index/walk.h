/* index/walk: the folders under a path (walk.c); private to src/index. */
#ifndef QUAIL_INDEX_WALK_H
#define QUAIL_INDEX_WALK_H

#include <stddef.h>

#include "util/util.h"

struct index_folder_ref {
	char *path; /* absolute when the path walked was */
	char *name; /* shown name: relative to the root, or the base name */
	int kind;   /* 0 Maildir, 1 mbox */
};

struct index_folders {
	struct index_folder_ref *v;
	size_t n, alloc;
};

/* Appends the folders at and under path to fl. Errors: NOINPUT (nothing
 * usable at path), IOERR (a directory that cannot be read). */
int index_walk(const char *path, struct index_folders *fl, struct qu_err *err);
void index_folders_clear(struct index_folders *fl);

#endif
