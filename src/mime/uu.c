/*
 * uuencode (the x-uuencode transfer encoding, and uuencoded blocks):
 * "begin MODE NAME", lines whose first character gives their byte count,
 * a zero-length line, "end". Not in any RFC; this follows POSIX uuencode.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

enum uu_state {
	UU_BEFORE, /* looking for "begin" */
	UU_BODY,
	UU_DONE, /* after "end" or the zero-length line: the rest is ignored */
};

enum {
	SEEN_LINE = 1,
};

void
mime_uu_init(struct mime_uu *s)
{
	memset(s, 0, sizeof *s);
	s->state = UU_BEFORE;
}

/* "begin" SP octal-mode [SP name] */
static bool
parse_begin(struct mime_uu *s, const char *l, size_t n)
{
	if (n < 6 || memcmp(l, "begin", 5) != 0 || !mime_is_wsp(l[5]))
		return false;
	size_t i = 5;
	while (i < n && mime_is_wsp(l[i]))
		i++;
	if (i == n || l[i] < '0' || l[i] > '7')
		return false;
	unsigned mode = 0;
	while (i < n && l[i] >= '0' && l[i] <= '7') {
		mode = (mode * 8 + (unsigned)(l[i] - '0')) & 07777;
		i++;
	}
	while (i < n && mime_is_wsp(l[i]))
		i++;
	size_t e = n;
	while (e > i && mime_is_ws(l[e - 1]))
		e--;
	size_t nl = e - i < MIME_UU_NAME_MAX - 1 ? e - i : MIME_UU_NAME_MAX - 1;
	memcpy(s->name, l + i, nl);
	s->name[nl] = '\0';
	s->mode = mode;
	return true;
}

static unsigned
uu_val(struct mime_uu *s, unsigned char c, struct mime_defects *d)
{
	if (c < 0x20 || c > 0x60)
		mime_defect_once(d, &s->seen, SEEN_LINE, MIME_DEFECT_UU_BAD_LINE, s->line_off);
	return (unsigned)(c - 0x20) & 0x3F;
}

/* Decodes one body line into out; switches to UU_DONE at the end. */
static int
body_line(struct mime_uu *s, const char *l, size_t n, struct qu_buf *out,
	struct mime_defects *d)
{
	size_t e = n;
	while (e > 0 && mime_is_ws(l[e - 1]))
		e--;
	if (e == 3 && memcmp(l, "end", 3) == 0) {
		s->state = UU_DONE;
		return 0;
	}
	if (n == 0) {
		/* The zero-length line ("`" or a stripped space). */
		s->state = UU_DONE;
		return 0;
	}
	size_t want = uu_val(s, (unsigned char)l[0], d);
	if (want == 0) {
		s->state = UU_DONE;
		return 0;
	}
	size_t nchars = (want + 2) / 3 * 4;
	if (n - 1 < nchars)
		mime_defect_once(d, &s->seen, SEEN_LINE, MIME_DEFECT_UU_BAD_LINE, s->line_off);
	unsigned char o[66];
	size_t k = 0;
	for (size_t g = 0; k < want; g++) {
		unsigned v[4];
		for (size_t j = 0; j < 4; j++) {
			size_t at = 1 + g * 4 + j;
			/* Missing characters count as zero: trailing spaces get stripped. */
			v[j] = at < n ? uu_val(s, (unsigned char)l[at], d) : 0;
		}
		uint32_t q = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
		for (int b = 2; b >= 0 && k < want; b--)
			o[k++] = (unsigned char)(q >> (8 * b));
	}
	return qu_buf_append(out, o, k);
}

static int
uu_line(struct mime_uu *s, struct qu_buf *out, struct mime_defects *d)
{
	size_t n = s->nline;
	if (n && s->line[n - 1] == '\r')
		n--;
	s->nline = 0;
	if (s->state == UU_BEFORE) {
		if (parse_begin(s, s->line, n))
			s->state = UU_BODY;
		return 0;
	}
	if (s->state == UU_BODY)
		return body_line(s, s->line, n, out, d);
	return 0;
}

int
mime_uu_feed(struct mime_uu *s, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (s->nline == 0)
			s->line_off = s->off + i;
		if (p[i] == '\n') {
			if (s->state != UU_DONE && uu_line(s, out, d) < 0) {
				s->off += i;
				return mime_out_full(out, err);
			}
			s->nline = 0;
			continue;
		}
		if (s->nline < MIME_UU_LINE_MAX)
			s->line[s->nline++] = p[i];
		else if (s->state == UU_BODY)
			mime_defect_once(d, &s->seen, SEEN_LINE, MIME_DEFECT_UU_BAD_LINE, s->line_off);
	}
	s->off += n;
	return 0;
}

int
mime_uu_finish(struct mime_uu *s, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err)
{
	if (s->nline && s->state != UU_DONE && uu_line(s, out, d) < 0)
		return mime_out_full(out, err);
	if (s->state == UU_BEFORE)
		mime_defect(d, MIME_DEFECT_UU_NO_BEGIN, 0);
	else if (s->state == UU_BODY)
		mime_defect(d, MIME_DEFECT_UU_NO_END, s->off);
	s->state = UU_DONE;
	return 0;
}
