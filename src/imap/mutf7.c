/*
 * Modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable US-ASCII
 * stands for itself ("&" as "&-"), everything else is UTF-16 in a base64
 * variant (',' for '/', no padding) between "&" and "-".
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "imap/imap.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* The next code point of valid UTF-8 at s (n > 0); advances *i. */
static uint32_t
utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t cp;
	int more;
	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xf0) {
		cp = c & 0x07;
		more = 3;
	} else if (c >= 0xe0) {
		cp = c & 0x0f;
		more = 2;
	} else {
		cp = c & 0x1f;
		more = 1;
	}
	(*i)++;
	while (more-- > 0 && *i < n)
		cp = (cp << 6) | (s[(*i)++] & 0x3f);
	return cp;
}

static void
put_utf8(struct qu_buf *b, uint32_t cp)
{
	char o[4];
	size_t k;
	if (cp < 0x80) {
		o[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		o[0] = (char)(0xf0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	qu_buf_append(b, o, k);
}

struct b64w {
	uint32_t bits;
	int nbits;
};

static void
b64_put16(struct qu_buf *b, struct b64w *w, uint32_t unit)
{
	w->bits = (w->bits << 16) | unit;
	w->nbits += 16;
	while (w->nbits >= 6) {
		w->nbits -= 6;
		qu_buf_append_byte(b, b64[(w->bits >> w->nbits) & 0x3f]);
	}
	w->bits &= (1u << w->nbits) - 1;
}

static void
b64_close(struct qu_buf *b, struct b64w *w)
{
	if (w->nbits)
		qu_buf_append_byte(b, b64[(w->bits << (6 - w->nbits)) & 0x3f]);
	qu_buf_append_byte(b, '-');
	w->bits = 0;
	w->nbits = 0;
}

char *
imap_mutf7_encode(const char *s, size_t n)
{
	if (!qu_utf8_valid(s, n))
		return NULL;
	const unsigned char *u = (const unsigned char *)s;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	struct b64w w = {0, 0};
	bool open = false;
	size_t i = 0;
	while (i < n) {
		uint32_t cp = utf8_next(u, n, &i);
		if (cp >= 0x20 && cp <= 0x7e) {
			if (open) {
				b64_close(&b, &w);
				open = false;
			}
			qu_buf_append_byte(&b, (char)cp);
			if (cp == '&')
				qu_buf_append_byte(&b, '-');
			continue;
		}
		if (!open) {
			qu_buf_append_byte(&b, '&');
			open = true;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			b64_put16(&b, &w, 0xd800 | (cp >> 10));
			b64_put16(&b, &w, 0xdc00 | (cp & 0x3ff));
		} else {
			b64_put16(&b, &w, cp);
		}
	}
	if (open)
		b64_close(&b, &w);
	return qu_buf_steal(&b, NULL);
}

/* Decodes one base64 run s[*i..] up to its '-'. Returns 0 or -1. */
static int
decode_run(const unsigned char *s, size_t n, size_t *i, struct qu_buf *out)
{
	uint32_t bits = 0, hi = 0;
	int nbits = 0;
	size_t units = 0;
	bool all_ascii = true;
	while (*i < n && s[*i] != '-') {
		int v = b64_value(s[*i]);
		if (v < 0)
			return -1;
		(*i)++;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		units++;
		if (hi) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return -1;
			put_utf8(out, 0x10000 + ((hi - 0xd800) << 10) + (unit - 0xdc00));
			hi = 0;
			all_ascii = false;
			continue;
		}
		if (unit >= 0xd800 && unit <= 0xdbff) {
			hi = unit;
			continue;
		}
		if (unit >= 0xdc00 && unit <= 0xdfff)
			return -1;
		if (unit < 0x20 || unit > 0x7e)
			all_ascii = false;
		put_utf8(out, unit);
	}
	if (*i >= n || hi || nbits >= 6 || bits != 0 || units == 0 || all_ascii)
		return -1;
	(*i)++; /* the '-' */
	return 0;
}

char *
imap_mutf7_decode(const char *str, size_t n, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)str;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x20 || c > 0x7e)
			goto bad;
		if (c != '&') {
			qu_buf_append_byte(&b, (char)c);
			i++;
			continue;
		}
		i++;
		if (i < n && s[i] == '-') {
			qu_buf_append_byte(&b, '&');
			i++;
			continue;
		}
		if (decode_run(s, n, &i, &b) < 0)
			goto bad;
	}
	size_t len;
	char *r = qu_buf_steal(&b, &len);
	if (outlen)
		*outlen = len;
	return r;
bad:
	qu_buf_clear(&b);
	return NULL;
}
