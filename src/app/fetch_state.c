/*
 * What the POP3 and IMAP fetches share about their state in DIR/.quail/:
 * the journal's file name, the lock that keeps one run at a time, and the
 * word reader for journal lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
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
	if (mkdir(sd, 0700) == 0) {
		/* The journal will live here: the new entry must be durable. */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int bad = dfd < 0 || fsync(dfd) < 0;
		if (dfd >= 0)
			close(dfd);
		if (bad) {
			qu_err_sys(err, QU_E_IOERR, errno, "%s: fsync", dir);
			goto out;
		}
	} else if (errno != EEXIST) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", sd);
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
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
