/*
 * Terminal cells of UTF-8 text, from quail's own Unicode 15 tables rather
 * than wcwidth(3), whose answer depends on the locale and the C library:
 * a line has to measure the same on every system.
 */
#include <stdint.h>

#include "util/util.h"

struct width_range {
	uint32_t lo, hi;
};

#include "util/width_table.h"

#define CP_INVALID 0xFFFFFFFFu
#define CP_ZWJ 0x200Du

size_t
qu_utf8_decode(const char *p, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned c = u[0];
	*cp = CP_INVALID;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		min = 0x10000;
	} else {
		return 1;
	}
	if (n < len)
		return 1;
	uint32_t v = c & (0xFFu >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 1;
		v = (v << 6) | (u[i] & 0x3Fu);
	}
	/* Overlong forms and surrogates are not UTF-8 (RFC 3629 §3). */
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 1;
	*cp = v;
	return len;
}

static bool
in_table(const struct width_range *t, size_t n, uint32_t cp)
{
	if (cp < t[0].lo || cp > t[n - 1].hi)
		return false;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp > t[mid].hi)
			lo = mid + 1;
		else if (cp < t[mid].lo)
			hi = mid;
		else
			return true;
	}
	return false;
}

int
qu_cp_cells(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return -1;
	if (cp < 0x300)
		return 1;
	if (in_table(zero_width, QU_ARRAY_LEN(zero_width), cp))
		return 0;
	if (in_table(double_width, QU_ARRAY_LEN(double_width), cp))
		return 2;
	return 1;
}

static bool
is_regional(uint32_t cp)
{
	return cp >= 0x1F1E6 && cp <= 0x1F1FF;
}

static bool
is_skin_tone(uint32_t cp)
{
	return cp >= 0x1F3FB && cp <= 0x1F3FF;
}

/* Cells of a code point that starts a cluster: controls and invalid bytes
 * count 1, as the display layer replaces them by an escape it measures
 * itself. */
static size_t
base_cells(uint32_t cp)
{
	if (cp == CP_INVALID)
		return 1;
	int w = qu_cp_cells(cp);
	return w < 0 ? 1 : (size_t)w;
}

size_t
qu_utf8_cluster(const char *p, size_t n, size_t *cells)
{
	uint32_t base, cp;
	size_t i = qu_utf8_decode(p, n, &base);
	*cells = base_cells(base);
	if (base == CP_INVALID || qu_cp_cells(base) < 0)
		return i;
	bool flag_open = is_regional(base);
	bool joined = false;
	while (i < n) {
		size_t l = qu_utf8_decode(p + i, n - i, &cp);
		if (cp == CP_INVALID)
			break;
		int w = qu_cp_cells(cp);
		/* After a ZWJ the next pictograph is drawn into the same glyph:
		 * the sequence takes the width its first character gives. */
		bool take = w == 0 || (joined && w > 0 && *cells == 2) || (flag_open && is_regional(cp)) ||
			    (is_skin_tone(cp) && *cells == 2 && !is_skin_tone(base));
		if (!take)
			break;
		if (flag_open && is_regional(cp))
			flag_open = false;
		joined = cp == CP_ZWJ;
		i += l;
	}
	return i;
}

size_t
qu_utf8_cells(const char *p, size_t n)
{
	size_t total = 0, i = 0;
	while (i < n) {
		/* Printable ASCII not followed by a combining mark: one cell. */
		if ((unsigned char)p[i] < 0x80 && (i + 1 == n || (unsigned char)p[i + 1] < 0x80)) {
			total++;
			i++;
			continue;
		}
		size_t w;
		i += qu_utf8_cluster(p + i, n - i, &w);
		total += w;
	}
	return total;
}

size_t
qu_utf8_fit(const char *p, size_t n, size_t max, size_t *cells)
{
	size_t total = 0, i = 0;
	while (i < n) {
		size_t w;
		size_t l = qu_utf8_cluster(p + i, n - i, &w);
		if (total + w > max)
			break;
		total += w;
		i += l;
	}
	if (cells)
		*cells = total;
	return i;
}
