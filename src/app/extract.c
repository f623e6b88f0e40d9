/*
 * `quail extract` (SPEC §6): every attachment of a message saved under its
 * decoded file name, made safe, never over an existing file.
 *
 * A name from a message is hostile until proven otherwise: it may hold
 * "../", a leading dot (a hidden or dot file such as .bashrc), escape
 * sequences for the terminal the name is printed on, or a newline. Only
 * the base name is kept, controls become '_', leading dots go, and the
 * file is made with O_EXCL|O_NOFOLLOW so that neither an existing file
 * nor a symbolic link planted in the directory is ever written through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/mail_private.h"

/* Bytes of a saved name; NAME_MAX is 255 and " (9999)" must still fit. */
#define NAME_CAP 200
/* Tries of "name (N).ext" before giving up. */
#define TRIES 10000

/* ---- safe names ---------------------------------------------------------- */

static size_t
utf8_char_len(const unsigned char *u, size_t n)
{
	unsigned c = u[0];
	size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 :
		c >= 0xC2 && c <= 0xDF ? 2 : 0;
	if (len == 0 || n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((u[i] & 0xC0) != 0x80)
			return 0;
	/* Overlong and surrogate forms are as bad as any invalid byte. */
	if ((c == 0xE0 && u[1] < 0xA0) || (c == 0xED && u[1] > 0x9F) ||
		(c == 0xF0 && u[1] < 0x90) || (c == 0xF4 && u[1] > 0x8F))
		return 0;
	return len;
}

/* Cuts s (len bytes of valid UTF-8) to at most cap bytes, keeping a short
 * extension; returns the new length. */
static size_t
cut_name(char *s, size_t len, size_t cap)
{
	if (len <= cap)
		return len;
	const char *dot = strrchr(s, '.');
	size_t ext = dot && (size_t)(s + len - dot) <= 16 ? (size_t)(s + len - dot) : 0;
	size_t keep = cap - ext;
	/* Back up to the start of a character. */
	while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
		keep--;
	memmove(s + keep, s + len - ext, ext);
	s[keep + ext] = '\0';
	return keep + ext;
}

char *
app_safe_filename(const char *name)
{
	if (!name)
		return NULL;
	/* The base name: whatever a sender put before a '/' or '\' goes. */
	const char *base = name;
	for (const char *c = name; *c; c++)
		if (*c == '/' || *c == '\\')
			base = c + 1;
	size_t n = strlen(base);
	const unsigned char *u = (const unsigned char *)base;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < n;) {
		if (u[i] >= 0x20 && u[i] < 0x7F) {
			qu_buf_append_byte(&b, (char)u[i++]);
			continue;
		}
		size_t l = u[i] >= 0x80 ? utf8_char_len(u + i, n - i) : 0;
		/* C0, DEL, C1 (U+0080..U+009F) and invalid bytes. */
		if (l == 0 || (l == 2 && u[i] == 0xC2 && u[i + 1] < 0xA0)) {
			qu_buf_append_byte(&b, '_');
			i += l ? l : 1;
			continue;
		}
		qu_buf_append(&b, base + i, l);
		i += l;
	}
	char *s = qu_buf_steal(&b, &n);
	size_t st = 0;
	while (st < n && (s[st] == '.' || s[st] == ' '))
		st++;
	while (n > st && s[n - 1] == ' ')
		n--;
	memmove(s, s + st, n - st);
	n -= st;
	s[n] = '\0';
	n = cut_name(s, n, NAME_CAP);
	if (n == 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* An extension for a part without a name. */
static const char *
type_ext(const char *type)
{
	static const struct {
		const char *type, *ext;
	} t[] = {
		{"text/plain", "txt"}, {"text/html", "html"}, {"text/csv", "csv"},
		{"text/calendar", "ics"}, {"image/png", "png"}, {"image/jpeg", "jpg"},
		{"image/gif", "gif"}, {"application/pdf", "pdf"}, {"application/zip", "zip"},
		{"message/rfc822", "eml"}, {"application/pgp-signature", "asc"},
		{"audio/mpeg", "mp3"}, {"video/mp4", "mp4"},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++)
		if (strcmp(type, t[i].type) == 0)
			return t[i].ext;
	return "bin";
}

/* ---- files --------------------------------------------------------------- */

int
app_create_unique(const char *dir, const char *name, char **chosen, struct qu_err *err)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);
	for (unsigned i = 0; i < TRIES; i++) {
		char *cand = i ? xasprintf("%.*s (%u)%s", (int)stem, name, i, name + stem) :
			xstrdup(name);
		char *path = xasprintf("%s/%s", dir, cand);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		int e = errno;
		free(path);
		if (fd >= 0) {
			*chosen = cand;
			return fd;
		}
		free(cand);
		if (e != EEXIST)
			return qu_err_sys(err, QU_E_IOERR, e, "%s/%s", dir, name);
	}
	return qu_err_set(err, QU_E_IOERR, "%s/%s: too many files of that name", dir, name);
}

static int
write_piece(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	return qu_write_all_err(*(int *)ctx, p, n, err, "write");
}

struct extract {
	const char *dir;
	app_extract_fn fn;
	void *ctx;
	struct app_reader *r;
	unsigned seq;        /* parts seen, for generated names */
	const struct qu_cancel *cancel;
	bool in_tnef;        /* saving the files of a TNEF part */
};

/* Saves bytes from a part (decoded by decode, or given as p, n). */
static int
save(struct extract *x, const char *want, const char *fallback, const struct mime_part *part,
	const char *p, size_t n, struct qu_err *err)
{
	char *safe = app_safe_filename(want);
	char *chosen = NULL;
	int fd = app_create_unique(x->dir, safe ? safe : fallback, &chosen, err);
	free(safe);
	if (fd < 0)
		return -1;
	int rc;
	uint64_t size = 0;
	struct qu_buf *piece = &x->r->scratch;
	if (part) {
		struct stat st;
		rc = mime_part_decode_each(part, piece, write_piece, &fd, NULL, err);
		size = rc == 0 && fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	} else {
		rc = write_piece(&fd, p, n, err);
		size = n;
	}
	if (close(fd) < 0 && rc == 0)
		rc = qu_err_sys(err, QU_E_IOERR, errno, "close");
	if (rc < 0) {
		char *path = xasprintf("%s/%s", x->dir, chosen);
		unlink(path);
		free(path);
		qu_err_prefix(err, "%s/%s", x->dir, chosen);
	} else if (x->fn) {
		struct app_extract_item it = {chosen,
			part ? part->content_type : "application/octet-stream", size,
			part == NULL && !x->in_tnef, x->in_tnef};
		x->fn(x->ctx, &it);
	}
	free(chosen);
	return rc;
}

/* The uuencoded files inside a text/plain part (old mailers' way of
 * attaching). */
static int
save_uu(struct extract *x, const struct mime_part *part, struct qu_err *err)
{
	struct app_reader *r = x->r;
	if (mime_part_text(part, &r->cache, &r->scratch, &r->text, NULL, NULL) < 0)
		return 0;
	struct mime_uu_block *b;
	size_t nb = mime_uu_find(r->text.data ? r->text.data : "", r->text.len, &b);
	int rc = 0;
	for (size_t i = 0; i < nb && rc == 0; i++) {
		struct qu_buf data;
		qu_buf_init(&data, APP_TEXT_MAX);
		mime_decode(MIME_CTE_UUENCODE, r->text.data + b[i].off, b[i].len, &data, NULL, NULL);
		char *fallback = xasprintf("uu-%u-%zu.bin", x->seq, i + 1);
		rc = save(x, b[i].name, fallback, NULL, data.data ? data.data : "", data.len, err);
		free(fallback);
		qu_buf_clear(&data);
	}
	mime_uu_blocks_free(b, nb);
	return rc;
}

/* The files inside a TNEF attachment, each under its own safe name. 1 when
 * the part is not readable TNEF (it is then saved as it is). */
static int
save_tnef(struct extract *x, const struct mime_part *part, struct qu_err *err)
{
	struct qu_buf raw;
	qu_buf_init(&raw, SIZE_MAX);
	struct app_tnef_file *f = NULL;
	size_t nf = 0;
	if (mime_part_decode(part, &raw, NULL, NULL) < 0 ||
		app_tnef_files(raw.data ? raw.data : "", raw.len, &f, &nf, NULL) < 0 || nf == 0) {
		qu_buf_clear(&raw);
		app_tnef_files_free(f, nf);
		return 1;
	}
	qu_buf_clear(&raw);
	int rc = 0;
	x->in_tnef = true;
	for (size_t i = 0; i < nf && rc == 0; i++) {
		char *fallback = xasprintf("tnef-%u-%zu.bin", x->seq, i + 1);
		rc = save(x, f[i].name, fallback, NULL, f[i].data, f[i].len, err);
		free(fallback);
	}
	x->in_tnef = false;
	app_tnef_files_free(f, nf);
	return rc;
}

static int
extract_message(void *ctx, const struct app_message *m, struct qu_err *err)
{
	struct extract *x = ctx;
	struct mime_opts o = {.cache = &x->r->cache};
	struct mime_part *root = mime_parse(m->p, m->n, &o, NULL);
	int rc = 0;
	for (struct mime_part *part = root; part && rc == 0; part = mime_part_next(part, root)) {
		if ((rc = qu_cancel_check(x->cancel, err)) < 0)
			break;
		x->seq++;
		if (mime_part_is_attachment(part) && app_is_tnef(part->content_type, part->filename) &&
			(rc = save_tnef(x, part, err)) <= 0) {
			continue;
		} else if (mime_part_is_attachment(part)) {
			rc = 0;
			char *fallback = xasprintf("part-%u.%s", x->seq, type_ext(part->content_type));
			rc = save(x, part->filename, fallback, part, NULL, 0, err);
			free(fallback);
		} else if (mime_part_is_text(part) && strcmp(part->content_type, "text/plain") == 0) {
			rc = save_uu(x, part, err);
		}
	}
	mime_part_free(root);
	return rc;
}

int
app_extract(const char *path, const char *dir, const struct qu_cancel *cancel, app_extract_fn fn,
	    void *ctx, struct qu_err *err)
{
	struct stat st;
	if (stat(path, &st) < 0 && strcmp(path, "-") != 0)
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path);
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s: mkdir", dir);
	struct extract x = {.dir = dir, .fn = fn, .ctx = ctx, .r = app_reader_new(),
			    .cancel = cancel};
	int rc = app_mailbox_each(path, extract_message, &x, err);
	app_reader_free(x.r);
	return rc;
}
