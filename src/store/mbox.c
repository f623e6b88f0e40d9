/*
 * mbox reader (RFC 4155): one message at a time out of a mapped file,
 * without copying. The split rule is spelled out in store.h at mbox_open.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/util.h"
#include "store/private.h"
#include "store/store.h"

struct mbox {
	struct store_map map; /* empty for mbox_open_mem */
	const char *p;
	size_t len;
	size_t pos; /* where the next message (its From_ line) starts */
	size_t index;
	bool started;
};

static const char from_[] = "From ";
#define FROM_LEN (sizeof from_ - 1)

struct mbox *
mbox_open(const char *path, struct qu_err *err)
{
	struct mbox *mb = xcalloc(1, sizeof *mb);
	if (store_map_file(path, &mb->map, err) < 0) {
		free(mb);
		return NULL;
	}
	mb->p = mb->map.p;
	mb->len = mb->map.len;
	/* Read once front to back: let the kernel read ahead and drop pages
	 * behind us. Only advice, so its result does not matter. */
	if (mb->map.base_)
		posix_madvise(mb->map.base_, mb->map.len, POSIX_MADV_SEQUENTIAL);
	return mb;
}

struct mbox *
mbox_open_mem(const char *p, size_t len)
{
	struct mbox *mb = xcalloc(1, sizeof *mb);
	mb->map.p = "";
	mb->p = len ? p : "";
	mb->len = len;
	return mb;
}

void
mbox_free(struct mbox *mb)
{
	if (!mb)
		return;
	store_unmap(&mb->map);
	free(mb);
}

static bool
from_at(const struct mbox *mb, size_t at)
{
	return mb->len - at >= FROM_LEN && memcmp(mb->p + at, from_, FROM_LEN) == 0;
}

/* Where the empty line ending just before offset at begins, if the bytes
 * before at are a whole empty line ("\n" or "\r\n") that begins at or
 * after body start s. SIZE_MAX when they are not. */
static size_t
blank_line_before(const struct mbox *mb, size_t s, size_t at)
{
	const char *p = mb->p;
	if (at == 0 || p[at - 1] != '\n')
		return SIZE_MAX;
	size_t b = at - 1;
	if (b > 0 && p[b - 1] == '\r')
		b--;
	/* The empty line must start a line: the byte before it ends the
	 * previous line (for b == s that is the From_ line's own '\n'). */
	if (b < s || b == 0 || p[b - 1] != '\n')
		return SIZE_MAX;
	return b;
}

/* Finds the end of the message whose body starts at s: *end is where its
 * bytes stop, *next where the next From_ line starts (len at the end). */
static void
find_end(const struct mbox *mb, size_t s, size_t *end, size_t *next)
{
	const char *p = mb->p;
	size_t len = mb->len;
	/* Start at the '\n' ending the From_ line, so a From_ line right
	 * after it is seen (and rejected: no empty line between). */
	size_t h = s ? s - 1 : 0;
	while (h < len) {
		const char *q = store_memmem(p + h, len - h, "\nFrom ", FROM_LEN + 1);
		if (!q)
			break;
		size_t at = (size_t)(q - p) + 1;
		size_t b = blank_line_before(mb, s, at);
		if (b != SIZE_MAX) {
			*end = b;
			*next = at;
			return;
		}
		/* "From " not after an empty line: body text, kept as is. */
		h = at;
	}
	*next = len;
	*end = len;
	/* RFC 4155: every message ends with an empty line, including the
	 * last; it belongs to the file format, not the message. */
	size_t b = blank_line_before(mb, s, len);
	if (b != SIZE_MAX)
		*end = b;
}

bool
mbox_next(struct mbox *mb, struct mbox_msg *m)
{
	const char *p = mb->p;
	if (!mb->started) {
		mb->started = true;
		/* Line ends before the first From_ line carry nothing. */
		while (mb->pos < mb->len && (p[mb->pos] == '\n' || p[mb->pos] == '\r'))
			mb->pos++;
	}
	if (mb->pos >= mb->len)
		return false;
	size_t start = mb->pos;
	size_t s = start;
	m->from = p + start;
	m->from_len = 0;
	if (from_at(mb, start)) {
		const char *nl = memchr(p + start, '\n', mb->len - start);
		size_t eol = nl ? (size_t)(nl - p) : mb->len;
		s = nl ? eol + 1 : mb->len;
		if (eol > start && p[eol - 1] == '\r')
			eol--;
		m->from_len = eol - start;
	}
	size_t end, next;
	find_end(mb, s, &end, &next);
	m->p = p + s;
	m->len = end - s;
	m->offset = start;
	m->index = mb->index++;
	mb->pos = next;
	return true;
}

const char *
mbox_format_name(enum mbox_format format)
{
	switch (format) {
	case MBOX_FORMAT_MBOXO:
		return "mboxo";
	case MBOX_FORMAT_MBOXRD:
		return "mboxrd";
	}
	return "?";
}

int
mbox_unquote(const char *p, size_t n, enum mbox_format format, struct qu_buf *out)
{
	bool copying = false;
	size_t done = 0; /* bytes of p already in out, or skipped */
	size_t h = 0;
	/* Every quoted line, in either format, contains ">From " at its last
	 * '>'; find those and look back for the line start. */
	while (h < n) {
		const char *q = store_memmem(p + h, n - h, ">From ", FROM_LEN + 1);
		if (!q)
			break;
		size_t i = (size_t)(q - p);
		size_t j = i;
		while (j > 0 && p[j - 1] == '>')
			j--;
		bool line_start = j == 0 || p[j - 1] == '\n';
		if (line_start && (format == MBOX_FORMAT_MBOXRD || j == i)) {
			if (!copying) {
				qu_buf_reset(out);
				copying = true;
			}
			if (qu_buf_append(out, p + done, j - done) < 0)
				return -1;
			done = j + 1; /* drop one '>' */
		}
		h = i + FROM_LEN + 1;
	}
	if (!copying)
		return 0;
	if (qu_buf_append(out, p + done, n - done) < 0)
		return -1;
	return 1;
}
