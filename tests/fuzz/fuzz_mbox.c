/*
 * The mbox reader (src/store/mbox.c): splitting and From-unquoting, each
 * checked against a plain byte-by-byte statement of the rule store.h
 * gives at mbox_open and mbox_unquote. The reader scans for empty lines
 * with SSE2; the reference looks at every byte, so any disagreement
 * between the two is a bug in one of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
from_at(const char *p, size_t n, size_t at)
{
	return n - at >= 5 && memcmp(p + at, "From ", 5) == 0;
}

/* Where the empty line just before `at` begins, when the bytes before at
 * are a whole empty line starting at or after s; SIZE_MAX if not. */
static size_t
blank_before(const char *p, size_t s, size_t at)
{
	if (at == 0 || p[at - 1] != '\n')
		return SIZE_MAX;
	size_t b = at - 1;
	if (b > 0 && p[b - 1] == '\r')
		b--;
	if (b < s || b == 0 || p[b - 1] != '\n')
		return SIZE_MAX;
	return b;
}

struct ref {
	const char *p;
	size_t n, pos;
	bool started;
};

/* The next message by the rule, one byte at a time. */
static bool
ref_next(struct ref *r, size_t *start, size_t *body, size_t *end)
{
	const char *p = r->p;
	size_t n = r->n;
	if (!r->started) {
		r->started = true;
		while (r->pos < n && (p[r->pos] == '\n' || p[r->pos] == '\r'))
			r->pos++;
	}
	if (r->pos >= n)
		return false;
	size_t s = *start = r->pos;
	if (from_at(p, n, s)) {
		while (s < n && p[s] != '\n')
			s++;
		if (s < n)
			s++;
	}
	*body = s;
	for (size_t at = s + 1; at < n; at++) {
		size_t b;
		if (from_at(p, n, at) && (b = blank_before(p, s, at)) != SIZE_MAX) {
			*end = b;
			r->pos = at;
			return true;
		}
	}
	size_t b = blank_before(p, s, n);
	*end = b != SIZE_MAX ? b : n;
	r->pos = n;
	return true;
}

/* mboxrd unquoting by the rule: one '>' less on each line ^>+From . */
static void
ref_unquote(const char *p, size_t n, struct qu_buf *out)
{
	qu_buf_reset(out);
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && p[e] != '\n')
			e++;
		if (e < n)
			e++;
		size_t j = i;
		while (j < e && p[j] == '>')
			j++;
		bool quoted = j > i && e - j >= 5 && memcmp(p + j, "From ", 5) == 0;
		qu_buf_append(out, p + i + (quoted ? 1 : 0), e - i - (quoted ? 1 : 0));
		i = e;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct mbox *mb = mbox_open_mem(p, size);
	struct ref r = {p, size, 0, false};
	struct mbox_msg m;
	struct qu_buf got, want;
	qu_buf_init(&got, SIZE_MAX);
	qu_buf_init(&want, SIZE_MAX);
	size_t index = 0;
	for (;;) {
		size_t start, body, end;
		bool more = mbox_next(mb, &m);
		if (more != ref_next(&r, &start, &body, &end))
			abort();
		if (!more)
			break;
		if (m.index != index++ || m.offset != start || m.p != p + body || m.len != end - body)
			abort();
		if (m.from != p + start || (m.from_len != 0) != from_at(p, size, start))
			abort();
		if (m.from_len && (memchr(m.from, '\n', m.from_len) ||
				   (m.from + m.from_len < p + size && m.from[m.from_len] != '\n' &&
				    m.from[m.from_len] != '\r')))
			abort();
		int q = mbox_unquote(m.p, m.len, MBOX_FORMAT_MBOXRD, &got);
		ref_unquote(m.p, m.len, &want);
		if (q < 0)
			abort();
		const char *g = q ? got.data : m.p;
		size_t gl = q ? got.len : m.len;
		if (gl != want.len || (gl && memcmp(g, want.data, gl) != 0))
			abort();
		/* mboxo never removes more than mboxrd does. */
		q = mbox_unquote(m.p, m.len, MBOX_FORMAT_MBOXO, &got);
		if (q < 0 || (q ? got.len : m.len) < want.len)
			abort();
	}
	qu_buf_clear(&got);
	qu_buf_clear(&want);
	mbox_free(mb);
	return 0;
}
