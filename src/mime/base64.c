/*
 * base64 transfer decoding (RFC 2045 §6.8), lenient as SPEC §7 says:
 * characters outside the alphabet are skipped and a last quantum without
 * padding is decoded.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

enum {
	SEEN_BAD = 1,
	SEEN_NOPAD = 2,
	SEEN_AFTER = 4,
	SEEN_TRUNC = 8,
};

#define B64_PAD 65
#define B64_WS 66

/* sextet + 1 for the alphabet, B64_PAD for '=', B64_WS for CR LF SP HT,
 * 0 for everything else. */
static const unsigned char b64tab[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 66, 66, 0, 0, 66, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	66, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 63, 0, 0, 0, 64,
	53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 0, 0, 0, 65, 0, 0,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 0, 0, 0, 0, 0,
	0, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41,
	42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

void
mime_b64_init(struct mime_b64 *s)
{
	memset(s, 0, sizeof *s);
}

/* The bytes of a partial quantum of nsext (2 or 3) sextets. */
static size_t
b64_flush_partial(struct mime_b64 *s, char *o)
{
	size_t k = 0;
	if (s->nsext == 2) {
		o[k++] = (char)(s->acc >> 4);
	} else if (s->nsext == 3) {
		o[k++] = (char)(s->acc >> 10);
		o[k++] = (char)(s->acc >> 2);
	}
	s->nsext = 0;
	s->acc = 0;
	return k;
}

/* '=' (RFC 2045 §6.8): ends the data with 1 or 2 bytes pending. Extra '='
 * signs are accepted. */
static size_t
b64_pad(struct mime_b64 *s, char *o, struct mime_defects *d, size_t off)
{
	if (s->npad == 0 && (s->nsext == 0 || s->nsext == 1))
		mime_defect_once(d, &s->seen, SEEN_TRUNC, MIME_DEFECT_B64_TRUNCATED, off);
	s->npad++;
	if (s->nsext == 1) {
		s->nsext = 0;
		s->acc = 0;
		return 0;
	}
	return b64_flush_partial(s, o);
}

static size_t
b64_run(struct mime_b64 *s, const unsigned char *p, size_t n, char *o, struct mime_defects *d)
{
	size_t k = 0;
	size_t i = 0;
	while (i < n) {
		/* Fast path: whole quanta of alphabet characters. */
		if (s->nsext == 0 && s->npad == 0) {
			while (i + 4 <= n) {
				unsigned a = b64tab[p[i]], b = b64tab[p[i + 1]];
				unsigned c = b64tab[p[i + 2]], e = b64tab[p[i + 3]];
				if (a - 1 >= 64 || b - 1 >= 64 || c - 1 >= 64 || e - 1 >= 64)
					break;
				uint32_t v = ((a - 1) << 18) | ((b - 1) << 12) | ((c - 1) << 6) | (e - 1);
				o[k++] = (char)(v >> 16);
				o[k++] = (char)(v >> 8);
				o[k++] = (char)v;
				i += 4;
			}
			if (i >= n)
				break;
		}
		unsigned v = b64tab[p[i]];
		if (v >= 1 && v <= 64) {
			if (s->npad) {
				/* Concatenated encoder output: go on decoding. */
				mime_defect_once(d, &s->seen, SEEN_AFTER, MIME_DEFECT_B64_AFTER_PADDING,
					s->off + i);
				s->npad = 0;
			}
			s->acc = (s->acc << 6) | (v - 1);
			if (++s->nsext == 4) {
				o[k++] = (char)(s->acc >> 16);
				o[k++] = (char)(s->acc >> 8);
				o[k++] = (char)s->acc;
				s->nsext = 0;
				s->acc = 0;
			}
		} else if (v == B64_PAD) {
			k += b64_pad(s, o + k, d, s->off + i);
		} else if (v != B64_WS) {
			mime_defect_once(d, &s->seen, SEEN_BAD, MIME_DEFECT_B64_BAD_CHAR, s->off + i);
		}
		i++;
	}
	return k;
}

int
mime_b64_feed(struct mime_b64 *s, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err)
{
	if (n == 0)
		return 0;
	char *tmp;
	char *o = mime_out_begin(out, n / 4 * 3 + 6, &tmp);
	size_t k = b64_run(s, (const unsigned char *)p, n, o, d);
	s->off += n;
	return mime_out_commit(out, tmp, k, err);
}

int
mime_b64_finish(struct mime_b64 *s, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err)
{
	char o[4];
	size_t k = 0;
	if (s->nsext == 1) {
		mime_defect_once(d, &s->seen, SEEN_TRUNC, MIME_DEFECT_B64_TRUNCATED, s->off);
	} else if (s->nsext > 1) {
		mime_defect_once(d, &s->seen, SEEN_NOPAD, MIME_DEFECT_B64_NO_PADDING, s->off);
		k = b64_flush_partial(s, o);
	}
	s->nsext = 0;
	s->acc = 0;
	s->npad = 0;
	if (k && qu_buf_append(out, o, k) < 0)
		return mime_out_full(out, err);
	return 0;
}
