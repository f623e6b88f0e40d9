/*
 * mbox reader (RFC 4155): one message at a time out of a mapped file,
 * without copying. The split rule is spelled out in store.h at mbox_open.
 */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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

/* The first offset at or after i (and past 2) that follows an empty line:
 * p[at - 1] is LF, and the byte before is LF, or CR after LF; n if none.
 * Every line of an mbox passes here, and most lines (base64 above all) are
 * not empty, so SSE2 (part of every x86-64) looks at 16 bytes at a time
 * for LF followed by LF or CR; elsewhere one memchr per line does. */
static size_t
after_blank(const char *p, size_t n, size_t i)
{
	if (i < 2)
		i = 2;
#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	for (size_t j = i - 2; j + 17 <= n; j += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + j + 1));
		__m128i hit = _mm_and_si128(_mm_cmpeq_epi8(a, lf),
			_mm_or_si128(_mm_cmpeq_epi8(b, lf), _mm_cmpeq_epi8(b, cr)));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		while (m) {
			size_t k = j + (size_t)__builtin_ctz(m);
			m &= m - 1;
			size_t at = p[k + 1] == '\n' ? k + 2 : k + 3;
			if (at >= i && at <= n && p[at - 1] == '\n')
				return at;
		}
		i = j + 16 > i ? j + 16 : i;
	}
#endif
	while (i < n) {
		const char *nl = memchr(p + i - 1, '\n', n - i + 1);
		if (!nl)
			return n;
		size_t at = (size_t)(nl - p) + 1;
		if (at >= i && at >= 2 && (p[at - 2] == '\n' ||
			(at >= 3 && p[at - 2] == '\r' && p[at - 3] == '\n')))
			return at;
		i = at + 1;
	}
	return n;
}

/* Finds the end of the message whose body starts at s: *end is where its
 * bytes stop, *next where the next From_ line starts (len at the end).
 * Only lines after an empty line can start a message. */
static void
find_end(const struct mbox *mb, size_t s, size_t *end, size_t *next)
{
	const char *p = mb->p;
	size_t len = mb->len;
	for (size_t i = s + 1; i < len;) {
		size_t at = after_blank(p, len, i);
		if (at >= len)
			break;
		size_t b;
		if (from_at(mb, at) && (b = blank_line_before(mb, s, at)) != SIZE_MAX) {
			*end = b;
			*next = at;
			return;
		}
		/* "From " not after an empty line: body text, kept as is. */
		i = at + 1;
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
