/*
 * Writing an account section into the config file, for `quail setup`
 * (SPEC §11). The rest of the file stays byte for byte as it was: the
 * section is replaced in place or appended, and the whole file is written
 * to a temporary file beside it, synced and renamed over it, so a reader
 * sees the old file or the new one and never half of either.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#include "config/config.h"
#include "config/private.h"

/* A config file larger than this is not one quail wrote or a person did. */
#define FILE_MAX ((size_t)16 << 20)
/* libinih reads lines of at most 199 characters (file.c). */
#define LINE_MAX_CHARS 199

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A value the loader reads back unchanged: no control characters, no
 * white space at either end (trimmed), no ';' after white space (an
 * inline comment), and short enough for one line. */
static int
check_value(const char *key, const char *v, struct qu_err *err)
{
	size_t n = strlen(v);
	if (!n)
		return qu_err_set(err, QU_E_CONFIG, "%s: empty value", key);
	if (cfg_has_control(v) || strchr(v, '\t'))
		return qu_err_set(err, QU_E_CONFIG, "%s: control character in the value", key);
	if (is_blank(v[0]) || is_blank(v[n - 1]))
		return qu_err_set(err, QU_E_CONFIG, "%s: white space at the start or end", key);
	for (size_t i = 1; i < n; i++)
		if (v[i] == ';' && is_blank(v[i - 1]))
			return qu_err_set(err, QU_E_CONFIG,
					  "%s: ' ;' would start a comment in the config file", key);
	if (strlen(key) + 3 + n > LINE_MAX_CHARS)
		return qu_err_set(err, QU_E_CONFIG, "%s: longer than a config line may be", key);
	return 0;
}

static int
put(struct qu_buf *b, const char *key, const char *v, struct qu_err *err)
{
	if (!v)
		return 0;
	if (check_value(key, v, err) < 0)
		return -1;
	qu_buf_printf(b, "%s = %s\n", key, v);
	return 0;
}

char *
cfg_account_text(const struct cfg_new_account *a, struct qu_err *err)
{
	const char *name = a->name;
	if (!name || !*name || strchr(name, '/') || strchr(name, ']') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || check_value("name", name, err) < 0) {
		qu_err_set(err, QU_E_CONFIG, "account name '%s' is not usable: no '/' or ']'",
			   name ? name : "");
		return NULL;
	}
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_printf(&b, "[account %s]\n", name);
	int rc = put(&b, "from", a->from, err);
	rc = rc < 0 ? rc : put(&b, "imap", a->imap, err);
	rc = rc < 0 ? rc : put(&b, "pop3", a->pop3, err);
	rc = rc < 0 ? rc : put(&b, "smtp", a->smtp, err);
	rc = rc < 0 ? rc : put(&b, "user", a->user, err);
	rc = rc < 0 ? rc : put(&b, "password_command", a->password_command, err);
	rc = rc < 0 ? rc : put(&b, "password", a->password, err);
	rc = rc < 0 ? rc : put(&b, "ca_file", a->ca_file, err);
	/* OAuth 2 accounts (auth = oauth2): the keys of their own block. */
	rc = rc < 0 ? rc : put(&b, "auth", a->oauth2 ? "oauth2" : NULL, err);
	if (a->oauth2) {
		rc = rc < 0 ? rc : put(&b, "oauth2_client_id", a->oauth2_client_id, err);
		rc = rc < 0 ? rc : put(&b, "oauth2_client_secret", a->oauth2_client_secret, err);
		rc = rc < 0 ? rc : put(&b, "oauth2_device_url", a->oauth2_device_url, err);
		rc = rc < 0 ? rc : put(&b, "oauth2_token_url", a->oauth2_token_url, err);
	}
	if (rc < 0) {
		qu_buf_clear_secret(&b);
		return NULL;
	}
	return qu_buf_steal(&b, NULL);
}

/* True when the line [p, p+n) is the header "[account NAME]" (white space
 * around the name and inside the brackets allowed, as the loader does). */
static bool
is_account_header(const char *p, size_t n, const char *name)
{
	qu_mem_trim(&p, &n);
	if (n < 2 || p[0] != '[' || p[n - 1] != ']')
		return false;
	p++;
	n -= 2;
	qu_mem_trim(&p, &n);
	if (n < 8 || strncasecmp(p, "account", 7) != 0 || !is_blank(p[7]))
		return false;
	p += 8;
	n -= 8;
	qu_mem_trim(&p, &n);
	return n == strlen(name) && memcmp(p, name, n) == 0;
}

static bool
is_header(const char *p, size_t n)
{
	qu_mem_trim(&p, &n);
	return n > 0 && p[0] == '[';
}

int
cfg_text_find_account(const char *p, size_t n, const char *name, size_t *start, size_t *end)
{
	bool in = false;
	for (size_t off = 0; off < n;) {
		const char *nl = memchr(p + off, '\n', n - off);
		size_t len = nl ? (size_t)(nl - (p + off)) : n - off;
		size_t next = off + len + (nl ? 1 : 0);
		if (in && is_header(p + off, len)) {
			*end = off;
			return 1;
		}
		if (!in && is_account_header(p + off, len, name)) {
			in = true;
			*start = off;
		}
		off = next;
	}
	if (in)
		*end = n;
	return in ? 1 : 0;
}

/* Reads the whole file into b; a missing file leaves b empty and sets
 * *exists false. */
static int
slurp(const char *path, struct qu_buf *b, bool *exists, mode_t *mode, struct qu_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			*exists = false;
			return 0;
		}
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path);
	}
	*exists = true;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return qu_err_set(err, QU_E_NOINPUT, "%s: not a regular file", path);
	}
	*mode = st.st_mode & 07777;
	for (;;) {
		char *dst = qu_buf_reserve(b, 65536);
		if (!dst) {
			close(fd);
			return qu_err_set(err, QU_E_CONFIG, "%s: larger than 16 MiB", path);
		}
		ssize_t r = read(fd, dst, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return qu_err_sys(err, QU_E_NOINPUT, e, "%s", path);
		}
		if (r == 0)
			break;
		qu_buf_commit(b, (size_t)r);
	}
	close(fd);
	return 0;
}

int
cfg_file_has_account(const char *path, const char *name, struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, FILE_MAX);
	bool exists = false;
	mode_t mode = 0;
	size_t s, e;
	int rc = slurp(path, &b, &exists, &mode, err);
	if (rc == 0)
		rc = cfg_text_find_account(b.data ? b.data : "", b.len, name, &s, &e);
	qu_buf_clear_secret(&b);
	return rc;
}

/* The directory part of path ("." when none). New string. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Writes data to a temporary file beside path with the given mode, syncs
 * it, renames it over path and syncs the directory. */
static int
replace_file(const char *path, const char *data, size_t n, mode_t mode, struct qu_err *err)
{
	char *tmp = xasprintf("%s.setup-XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", tmp);
		free(tmp);
		return -1;
	}
	int rc = -1;
	if (fchmod(fd, mode) < 0 || qu_write_all(fd, data, n) < 0 || fsync(fd) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", tmp);
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
		goto out;
	}
	char *dir = dir_of(path);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
	rc = 0;
out:
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* mkdir -p of path's directory, each new level 0700 (it holds secrets). */
static int
make_parent(const char *path, struct qu_err *err)
{
	char *dir = dir_of(path);
	for (char *p = dir + 1;; p++) {
		bool last = *p == '\0';
		if (*p == '/' || last) {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
				qu_err_sys(err, QU_E_IOERR, errno, "%s", dir);
				free(dir);
				return -1;
			}
			*p = c;
		}
		if (last)
			break;
	}
	free(dir);
	return 0;
}

int
cfg_file_put_account(const char *path, const char *name, const char *text, bool replace,
		     struct qu_err *err)
{
	struct qu_buf old, out;
	qu_buf_init(&old, FILE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	bool exists = false;
	mode_t mode = 0600;
	int rc = -1;
	if (slurp(path, &old, &exists, &mode, err) < 0)
		goto out;
	const char *p = old.data ? old.data : "";
	size_t s = 0, e = 0;
	if (cfg_text_find_account(p, old.len, name, &s, &e)) {
		if (!replace) {
			qu_err_set(err, QU_E_CONFIG, "%s: [account %s] exists already", path, name);
			goto out;
		}
		/* The text ends in a newline; a blank line before the next
		 * section stays if there was one. */
		bool gap = e > 1 && e < old.len && p[e - 1] == '\n' && p[e - 2] == '\n';
		qu_buf_append(&out, p, s);
		qu_buf_append_str(&out, text);
		if (gap)
			qu_buf_append_byte(&out, '\n');
		qu_buf_append(&out, p + e, old.len - e);
	} else {
		qu_buf_append(&out, p, old.len);
		if (old.len && p[old.len - 1] != '\n')
			qu_buf_append_byte(&out, '\n');
		if (old.len)
			qu_buf_append_byte(&out, '\n');
		qu_buf_append_str(&out, text);
	}
	if (!exists && make_parent(path, err) < 0)
		goto out;
	/* A symbolic link (a config kept in a dotfiles repository) stays one:
	 * its target is what gets replaced. */
	char *real = exists ? realpath(path, NULL) : NULL;
	rc = replace_file(real ? real : path, out.data, out.len, exists ? mode : 0600, err);
	free(real);
out:
	qu_buf_clear_secret(&old);
	qu_buf_clear_secret(&out);
	return rc;
}
