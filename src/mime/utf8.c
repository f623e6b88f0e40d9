/*
 * UTF-8 helpers of the module: a fast validator, U+FFFD replacement of
 * invalid sequences (one per maximal subpart, as Unicode §3.9 and the
 * WHATWG decoder do), windows-1252, raw header bytes, line ends.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

static const char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

/* Bounds of the second byte of a sequence led by c (Unicode Table 3-7);
 * returns the sequence length, 0 for a byte that cannot lead. */
static size_t
lead_info(unsigned c, unsigned *lo, unsigned *hi)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF) {
		if (c == 0xE0)
			*lo = 0xA0;
		else if (c == 0xED)
			*hi = 0x9F;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (c == 0xF0)
			*lo = 0x90;
		else if (c == 0xF4)
			*hi = 0x8F;
		return 4;
	}
	return 0;
}

/* Length of the valid sequence at p, or of its maximal invalid subpart
 * (at least 1) with *ok false. */
static size_t
seq_at(const unsigned char *p, size_t n, bool *ok)
{
	unsigned lo, hi;
	size_t len = lead_info(p[0], &lo, &hi);
	*ok = false;
	if (len == 0)
		return 1;
	if (n < 2 || p[1] < lo || p[1] > hi)
		return 1;
	size_t i = 2;
	while (i < len && i < n && p[i] >= 0x80 && p[i] <= 0xBF)
		i++;
	*ok = i == len;
	return i;
}

long
mime_utf8_sanitize(const char *p, size_t n, struct qu_buf *out, size_t *first)
{
	long bad = 0;
	size_t i = 0;
	while (i < n) {
		size_t run = qu_utf8_valid_prefix(p + i, n - i);
		if (qu_buf_append(out, p + i, run) < 0)
			return -1;
		i += run;
		if (i == n)
			break;
		bool ok;
		size_t l = seq_at((const unsigned char *)p + i, n - i, &ok);
		if (bad++ == 0 && first)
			*first = i;
		if (qu_buf_append(out, fffd, 3) < 0)
			return -1;
		i += l;
	}
	return bad;
}

/* windows-1252 0x80-0x9F (WHATWG index; its holes are the C1 controls). */
static const uint16_t cp1252_c1[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

int
mime_cp1252_to_utf8(const char *p, size_t n, struct qu_buf *out)
{
	if (n > SIZE_MAX / 3)
		return -1;
	char *o = qu_buf_reserve(out, n * 3);
	if (!o) {
		/* Near the cap: one character at a time. */
		if (n == 1)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (mime_cp1252_to_utf8(p + i, 1, out) < 0)
				return -1;
		return 0;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)p[i];
		if (c < 0x80) {
			o[k++] = (char)c;
			continue;
		}
		unsigned cp = c < 0xA0 ? cp1252_c1[c - 0x80] : c;
		if (cp < 0x800) {
			o[k++] = (char)(0xC0 | (cp >> 6));
			o[k++] = (char)(0x80 | (cp & 0x3F));
		} else {
			o[k++] = (char)(0xE0 | (cp >> 12));
			o[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			o[k++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	qu_buf_commit(out, k);
	return 0;
}

int
mime_raw_to_utf8(const char *p, size_t n, struct qu_buf *out, struct mime_defects *d)
{
	size_t ok = qu_utf8_valid_prefix(p, n);
	if (ok == n)
		return qu_buf_append(out, p, n);
	mime_defect(d, MIME_DEFECT_HEADER_8BIT, ok);
	return mime_cp1252_to_utf8(p, n, out);
}

void
mime_eol_to_lf(struct qu_buf *b)
{
	char *cr = b->len ? memchr(b->data, '\r', b->len) : NULL;
	if (!cr)
		return;
	size_t w = (size_t)(cr - b->data);
	size_t r = w;
	while (r < b->len) {
		char *next = memchr(b->data + r, '\r', b->len - r);
		size_t end = next ? (size_t)(next - b->data) : b->len;
		if (end > r) {
			memmove(b->data + w, b->data + r, end - r);
			w += end - r;
		}
		if (!next)
			break;
		/* CRLF and a lone CR both become LF. */
		b->data[w++] = '\n';
		r = end + 1;
		if (r < b->len && b->data[r] == '\n')
			r++;
	}
	b->len = w;
	b->data[w] = '\0';
}

char *
mime_buf_take_text(struct qu_buf *b)
{
	if (b->len && memchr(b->data, '\0', b->len)) {
		struct qu_buf t;
		qu_buf_init(&t, SIZE_MAX);
		for (size_t i = 0; i < b->len; i++) {
			if (b->data[i])
				qu_buf_append_byte(&t, b->data[i]);
			else
				qu_buf_append(&t, fffd, 3);
		}
		qu_buf_clear(b);
		*b = t;
	}
	return qu_buf_steal(b, NULL);
}

void
mime_buf_trim(struct qu_buf *b)
{
	size_t s = 0;
	while (s < b->len && mime_is_ws(b->data[s]))
		s++;
	size_t e = b->len;
	while (e > s && mime_is_ws(b->data[e - 1]))
		e--;
	if (s)
		memmove(b->data, b->data + s, e - s);
	b->len = e - s;
	if (b->data)
		b->data[b->len] = '\0';
}
