/*
 * TLS sessions kept for resumption (RFC 8446 §2.2, RFC 5077), one file
 * per server in a private directory the caller checked (quail's state
 * directory, never a mail tree). A session is a secret (it holds the
 * keys to resume with), so its file is made anew with O_EXCL|O_NOFOLLOW
 * and mode 0600, and read only when it is a plain file of this user that
 * no one else can read. The file names the host, port and trust anchors
 * it was made with, and the SHA-256 of the session; a session is offered
 * only to the same three, and anything doubtful (damaged, foreign, too
 * large) is no session: the handshake is then a full one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"

#define MAGIC "quail-tls-session 1\n"
/* Sessions are a few kB at most (a ticket and the server's chain). */
#define MAX_FILE (64 * 1024)

struct net_tls_cache {
	struct net_tls_resume r;
	char *path; /* DIR/tls-<SHA-256 of key> */
	char *key;  /* "host port trust\n" */
	char *file; /* the file read: MAGIC, key, the session */
	size_t file_len;
};

/* The whole file, when it is one to trust; NULL otherwise. */
static char *
read_private(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	struct stat sb;
	char *p = NULL;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
	    !(sb.st_mode & 077) && sb.st_size > 0 && sb.st_size <= MAX_FILE) {
		size_t n = (size_t)sb.st_size, got = 0;
		p = xmalloc(n + 1);
		while (got < n) {
			ssize_t r = read(fd, p + got, n - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (got != n) {
			free(p);
			p = NULL;
		}
		*len = got;
	}
	close(fd);
	return p;
}

/* The SHA-256 of a session as 64 hex digits and '\n' (no NUL). */
static void
session_sum(const void *data, size_t len, char out[65])
{
	struct qu_sha256 h;
	unsigned char d[32];
	char hex[65];
	qu_sha256_init(&h);
	qu_sha256_update(&h, data, len);
	qu_sha256_final(&h, d);
	memcpy(out, qu_sha256_hex(d, hex), 64);
	out[64] = '\n';
}

static void
save(void *ctx, const void *data, size_t len)
{
	struct net_tls_cache *t = ctx;
	size_t head = strlen(MAGIC) + strlen(t->key) + 65;
	if (!len || len > MAX_FILE - head)
		return;
	char sum[65];
	session_sum(data, len, sum);
	/* Named by process and cache: connections closing at once (the UI
	 * has several) never write into one file; the last rename wins. */
	char *tmp = xasprintf("%s.%ld.%p.new", t->path, (long)getpid(), (void *)t);
	unlink(tmp); /* a leftover of an interrupted save */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(tmp);
		return;
	}
	bool ok = qu_write_all(fd, MAGIC, strlen(MAGIC)) == 0 &&
		  qu_write_all(fd, t->key, strlen(t->key)) == 0 && qu_write_all(fd, sum, 65) == 0 &&
		  qu_write_all(fd, data, len) == 0;
	ok = close(fd) == 0 && ok;
	/* No fsync: a lost session only costs a full handshake. */
	if (!ok || rename(tmp, t->path) < 0)
		unlink(tmp);
	free(tmp);
}

struct net_tls_cache *
net_tls_cache_new(const char *dir, const char *host, uint16_t port, const char *ca_file)
{
	struct net_tls_cache *t = xcalloc(1, sizeof *t);
	/* The key names the trust anchors too: a session verified against
	 * one CA file is not offered to a connection that trusts another. */
	t->key = xasprintf("%s %u %s\n", host, (unsigned)port, ca_file ? ca_file : "system");
	if (strchr(t->key, '\n') != t->key + strlen(t->key) - 1) {
		free(t->key);
		t->key = xstrdup("\n"); /* not a key a file can match */
	}
	struct qu_sha256 h;
	unsigned char d[32];
	char hex[65];
	qu_sha256_init(&h);
	qu_sha256_update(&h, t->key, strlen(t->key));
	qu_sha256_final(&h, d);
	t->path = xasprintf("%s/tls-%s", dir, qu_sha256_hex(d, hex));
	/* A key that could not be written is not saved under either. */
	t->r.save = strcmp(t->key, "\n") != 0 ? save : NULL;
	t->r.ctx = t;
	size_t n = 0, k = strlen(MAGIC) + strlen(t->key), head = k + 65;
	t->file = read_private(t->path, &n);
	t->file_len = t->file ? n : 0;
	if (t->file && n > head && memcmp(t->file, MAGIC, strlen(MAGIC)) == 0 &&
	    memcmp(t->file + strlen(MAGIC), t->key, strlen(t->key)) == 0) {
		/* GnuTLS trusts the bytes it is given to resume with (damaged
		 * ones can crash it): only an intact session is offered. */
		char sum[65];
		session_sum(t->file + head, n - head, sum);
		if (memcmp(sum, t->file + k, 65) == 0) {
			t->r.data = t->file + head;
			t->r.len = n - head;
		}
	}
	return t;
}

const struct net_tls_resume *
net_tls_cache_resume(const struct net_tls_cache *t)
{
	return t ? &t->r : NULL;
}

void
net_tls_cache_free(struct net_tls_cache *t)
{
	if (!t)
		return;
	if (t->file)
		qu_wipe(t->file, t->file_len);
	free(t->file);
	free(t->path);
	free(t->key);
	free(t);
}
