#include <string.h>
#include <strings.h>

#include "util/util.h"

bool
qu_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
qu_str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool
qu_mem_eq_ci(const char *p, size_t n, const char *s)
{
	size_t sl = strlen(s);
	if (sl != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != lower(s[i]))
			return false;
	return true;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

void
qu_mem_trim(const char **p, size_t *n)
{
	while (*n && is_ws(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_ws((*p)[*n - 1]))
		(*n)--;
}

void
qu_str_lower(char *s)
{
	for (; *s; s++)
		*s = lower(*s);
}

int
qu_parse_u64(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	if (n == 0)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t l = qu_utf8_decode((const char *)p, n, &cp);
	return cp == 0xFFFFFFFFu ? 0 : l;
}

size_t
qu_utf8_valid_prefix(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;
	while (i < n) {
		/* Eight ASCII bytes at a time. */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, u + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t l = utf8_seq(u + i, n - i);
		if (!l)
			return i;
		i += l;
	}
	return n;
}

bool
qu_utf8_valid(const char *p, size_t n)
{
	return qu_utf8_valid_prefix(p, n) == n;
}

/* The code point of the valid sequence p (l bytes) when it is one that
 * breaks a line or reorders what follows it on a terminal: the line and
 * paragraph separators U+2028/U+2029, and the bidirectional marks,
 * embeddings, overrides and isolates (U+061C, U+200E/F, U+202A..U+202E,
 * U+2066..U+2069): a name with U+202E could show its text backwards and
 * hide what comes after it. 0 for any other. */
static unsigned
hidden_format(const unsigned char *p, size_t l)
{
	if (l == 2)
		return p[0] == 0xD8 && p[1] == 0x9C ? 0x061C : 0;
	if (l != 3 || p[0] != 0xE2)
		return 0;
	unsigned cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
	bool hit = cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
		   (cp >= 0x2066 && cp <= 0x2069);
	return hit ? cp : 0;
}

int
qu_buf_append_safe(struct qu_buf *b, const char *p, size_t n, bool keep_tab)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;
	while (i < n) {
		unsigned c = u[i];
		if (c >= 0x20 && c < 0x7F) {
			size_t j = i;
			while (j < n && u[j] >= 0x20 && u[j] < 0x7F)
				j++;
			if (qu_buf_append(b, p + i, j - i) < 0)
				return -1;
			i = j;
			continue;
		}
		if (c == '\t' && keep_tab) {
			if (qu_buf_append_byte(b, '\t') < 0)
				return -1;
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t l = utf8_seq(u + i, n - i);
			unsigned cp = hidden_format(u + i, l);
			if (cp) {
				if (qu_buf_printf(b, "\\u%04X", cp) < 0)
					return -1;
				i += l;
				continue;
			}
			/* C1 controls U+0080..U+009F are C2 80..C2 9F. */
			if (l > 1 && !(l == 2 && c == 0xC2 && u[i + 1] < 0xA0)) {
				if (qu_buf_append(b, p + i, l) < 0)
					return -1;
				i += l;
				continue;
			}
			if (l == 2) {
				if (qu_buf_printf(b, "\\u%04X", (unsigned)u[i + 1]) < 0)
					return -1;
				i += 2;
				continue;
			}
		}
		int r = c == 0x1B ? qu_buf_append_str(b, "\\e") : qu_buf_printf(b, "\\x%02X", c);
		if (r < 0)
			return -1;
		i++;
	}
	return 0;
}

int
qu_hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
qu_pct_encode(struct qu_buf *b, const char *p, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= 0x20 || c == '%' || c == 0x7f || (c && extra && strchr(extra, c)))
			qu_buf_printf(b, "%%%02X", c);
		else
			qu_buf_append_byte(b, (char)c);
	}
}

char *
qu_pct_decode(const char *p, size_t n, size_t *out)
{
	char *d = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (p[i] == '%' && i + 2 < n && (h = qu_hex_val(p[i + 1])) >= 0 &&
		    (l = qu_hex_val(p[i + 2])) >= 0) {
			d[k++] = (char)(h * 16 + l);
			i += 2;
		} else {
			d[k++] = p[i];
		}
	}
	d[k] = '\0';
	*out = k;
	return d;
}

void
qu_xtext_encode(struct qu_buf *b, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c > 32 && *c < 127 && *c != '+' && *c != '=')
			qu_buf_append_byte(b, (char)*c);
		else
			qu_buf_printf(b, "+%02X", *c);
	}
}

char *
qu_xtext_decode(const char *p, size_t n)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (p[i] == '+' && i + 2 < n && (h = qu_hex_val(p[i + 1])) >= 0 &&
		    (l = qu_hex_val(p[i + 2])) >= 0) {
			qu_buf_append_byte(&b, (char)(h * 16 + l));
			i += 2;
		} else {
			qu_buf_append_byte(&b, p[i]);
		}
	}
	return qu_buf_steal(&b, NULL);
}
