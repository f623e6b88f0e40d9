/*
 * The one sanitiser every string from mail passes before it reaches a
 * terminal cell (SPEC §8: the screen never shows raw bytes from mail), the
 * sender rule (SPEC §6) and fitting text into a number of cells.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "ui/uitext.h"

#define CP_INVALID 0xFFFFFFFFu
#define CP_ZWJ 0x200Du
#define CP_DOTTED_CIRCLE "\xE2\x97\x8C"

/* Extended pictographs and the parts of emoji sequences (skin tones,
 * regional indicators fall inside 1F000-1FAFF), as far as a ZWJ between
 * two of them makes one glyph (UTS #51 §1.4.9). */
static bool
is_pictographic(uint32_t cp)
{
	static const struct {
		uint32_t lo, hi;
	} r[] = {
		{0x00A9, 0x00A9}, {0x00AE, 0x00AE}, {0x203C, 0x203C}, {0x2049, 0x2049},
		{0x2122, 0x2122}, {0x2139, 0x2139}, {0x2194, 0x21AA}, {0x231A, 0x23FF},
		{0x24C2, 0x24C2}, {0x25AA, 0x25FE}, {0x2600, 0x27BF}, {0x2934, 0x2935},
		{0x2B05, 0x2B55}, {0x3030, 0x3030}, {0x303D, 0x303D}, {0x3297, 0x3299},
		{0x1F000, 0x1FAFF}, {0x1FC00, 0x1FFFD},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(r); i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return true;
	return false;
}

/* Invisible format characters that can hide or reorder what is shown
 * (the list mutt calls display-corrupting, plus zero-width spaces and
 * other invisible operators). */
static bool
is_dropped(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200E || cp == 0x200F || cp == 0x061C || cp == 0x00AD || cp == 0xFEFF ||
	       cp == 0x200B || cp == 0x200C || (cp >= 0x2060 && cp <= 0x2064) || cp == 0x180E ||
	       (cp >= 0xFFF9 && cp <= 0xFFFB);
}

static bool
is_variation_selector(uint32_t cp)
{
	return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

static bool
is_tag(uint32_t cp)
{
	return cp >= 0xE0020 && cp <= 0xE007F;
}

struct san {
	struct qu_buf *out;
	enum ui_text_mode mode;
	bool have_base;     /* the last thing out can carry a combining mark */
	uint32_t last;      /* last code point out, 0 after a break or escape */
	uint32_t last_pict; /* last emoji base/modifier out (for ZWJ), or 0 */
};

static void
put_escape(struct san *s, const char *e)
{
	qu_buf_append_str(s->out, e);
	s->have_base = false;
	s->last = 0;
	s->last_pict = 0;
}

static void
put_break(struct san *s, char c)
{
	qu_buf_append_byte(s->out, c);
	s->have_base = false;
	s->last = 0;
	s->last_pict = 0;
}

/* A C0 control or DEL, with the next byte for CRLF. Returns bytes used. */
static size_t
do_control(struct san *s, unsigned c, const char *p, size_t n)
{
	bool field = s->mode == UI_TEXT_FIELD;
	if (c == '\r' && n > 1 && p[1] == '\n') {
		put_break(s, field ? ' ' : '\n');
		return 2;
	}
	if (!field && (c == '\n' || c == '\t')) {
		put_break(s, (char)c);
		return 1;
	}
	if (field && (c == '\t' || c == '\r' || c == '\n')) {
		put_break(s, ' ');
		return 1;
	}
	char e[3] = {'^', c == 0x7F ? '?' : (char)(c + '@'), 0};
	put_escape(s, e);
	return 1;
}

/* A zero-width code point: keep, drop or give a base. */
static void
do_zero_width(struct san *s, uint32_t cp, const char *p, size_t l, uint32_t next)
{
	if (cp == CP_ZWJ) {
		/* UTS #51: a ZWJ joins two emoji into one glyph; elsewhere it
		 * only serves to hide things. */
		if (s->last_pict && is_pictographic(next)) {
			qu_buf_append(s->out, p, l);
			s->last = cp;
		}
		return;
	}
	if (is_tag(cp)) {
		if (s->last_pict) {
			qu_buf_append(s->out, p, l);
			s->last = cp;
		}
		return;
	}
	if (!s->have_base) {
		if (is_variation_selector(cp))
			return;
		qu_buf_append_str(s->out, CP_DOTTED_CIRCLE);
		s->have_base = true;
	}
	qu_buf_append(s->out, p, l);
	s->last = cp;
}

static void
do_code_point(struct san *s, uint32_t cp, const char *p, size_t l, uint32_t next)
{
	if (cp >= 0x80 && cp < 0xA0) {
		char e[8];
		e[0] = '\\';
		e[1] = 'u';
		e[2] = '0';
		e[3] = '0';
		e[4] = "0123456789ABCDEF"[cp >> 4];
		e[5] = "0123456789ABCDEF"[cp & 15];
		e[6] = 0;
		put_escape(s, e);
		return;
	}
	if (cp == 0x2028 || cp == 0x2029) {
		put_break(s, ' ');
		return;
	}
	if (is_dropped(cp))
		return;
	if (qu_cp_cells(cp) == 0) {
		do_zero_width(s, cp, p, l, next);
		return;
	}
	qu_buf_append(s->out, p, l);
	s->have_base = true;
	s->last = cp;
	/* A skin tone or VS16 keeps the emoji open for a following ZWJ. */
	if (is_pictographic(cp))
		s->last_pict = cp;
	else
		s->last_pict = 0;
}

void
ui_text_sanitize_buf(struct qu_buf *out, const char *p, size_t n, enum ui_text_mode mode)
{
	struct san s = {out, mode, false, 0, 0};
	size_t i = 0;
	while (i < n) {
		unsigned c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7F) {
			i += do_control(&s, c, p + i, n - i);
			continue;
		}
		if (c < 0x80) {
			/* A run of printable ASCII goes out in one piece. */
			size_t j = i + 1;
			while (j < n && (unsigned char)p[j] >= 0x20 && (unsigned char)p[j] < 0x7F)
				j++;
			qu_buf_append(out, p + i, j - i);
			s.have_base = true;
			s.last = (unsigned char)p[j - 1];
			s.last_pict = 0;
			i = j;
			continue;
		}
		uint32_t cp, next = 0;
		size_t l = qu_utf8_decode(p + i, n - i, &cp);
		if (cp == CP_INVALID) {
			char e[8];
			e[0] = '\\';
			e[1] = 'x';
			e[2] = "0123456789ABCDEF"[c >> 4];
			e[3] = "0123456789ABCDEF"[c & 15];
			e[4] = 0;
			put_escape(&s, e);
			i++;
			continue;
		}
		if (i + l < n)
			qu_utf8_decode(p + i + l, n - i - l, &next);
		/* VS16 after an emoji is part of it, for a ZWJ after it. */
		uint32_t keep_pict = s.last_pict;
		do_code_point(&s, cp, p + i, l, next);
		if (is_variation_selector(cp) || is_tag(cp))
			s.last_pict = keep_pict;
		i += l;
	}
}

char *
ui_text_sanitize(const char *p, size_t n, enum ui_text_mode mode)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ui_text_sanitize_buf(&b, p, n, mode);
	return qu_buf_steal(&b, NULL);
}

/* ---- the sender rule --------------------------------------------------- */

static bool
is_label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* One word (no spaces) shaped like a domain: labels joined by dots, the
 * last of two or more letters ("paypal.com", "x.co.uk"). */
static bool
word_is_domain(const char *w, size_t n)
{
	size_t dots = 0, label = 0;
	bool alpha = true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if (c == '.') {
			if (label == 0)
				return false;
			dots++;
			label = 0;
			alpha = true;
		} else if (is_label_char(c)) {
			label++;
			alpha = alpha && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
		} else {
			return false;
		}
	}
	return dots > 0 && label >= 2 && alpha;
}

static bool
looks_like_address(const char *s)
{
	if (strchr(s, '@') || strstr(s, "\xEF\xBC\xA0") || strstr(s, "\xEF\xB9\xAB"))
		return true;
	const char *w = s;
	while (*w) {
		while (*w == ' ' || *w == '"' || *w == '\'' || *w == '(' || *w == '<')
			w++;
		size_t len = strcspn(w, " \"'()<>,");
		/* A trailing dot ends a sentence, not a domain. */
		size_t wl = len;
		while (wl > 0 && w[wl - 1] == '.')
			wl--;
		if (wl > 0 && word_is_domain(w, wl))
			return true;
		w += len;
		while (*w && *w != ' ')
			w++;
	}
	return false;
}

/* The name is the address itself, perhaps quoted or in brackets. */
static bool
same_as_address(const char *name, const char *addr)
{
	size_t n = strlen(name);
	while (n > 1 && ((name[0] == '"' && name[n - 1] == '"') ||
			 (name[0] == '\'' && name[n - 1] == '\'') ||
			 (name[0] == '<' && name[n - 1] == '>'))) {
		name++;
		n -= 2;
	}
	return n == strlen(addr) && qu_mem_eq_ci(name, n, addr);
}

char *
ui_sender_text(const char *name, const char *addr)
{
	char *n = ui_text_sanitize(name ? name : "", name ? strlen(name) : 0, UI_TEXT_FIELD);
	char *a = ui_text_sanitize(addr ? addr : "", addr ? strlen(addr) : 0, UI_TEXT_FIELD);
	const char *pn = n, *pa = a;
	size_t ln = strlen(n), la = strlen(a);
	qu_mem_trim(&pn, &ln);
	qu_mem_trim(&pa, &la);
	char *tn = xstrndup(pn, ln), *ta = xstrndup(pa, la);
	free(n);
	free(a);
	char *r;
	if (!*tn) {
		r = ta;
		ta = NULL;
	} else if (!*ta || !looks_like_address(tn)) {
		r = tn;
		tn = NULL;
	} else if (same_as_address(tn, ta)) {
		r = ta;
		ta = NULL;
	} else {
		r = xasprintf("%s <%s>", tn, ta);
	}
	free(tn);
	free(ta);
	return r;
}

/* ---- fitting by cells ------------------------------------------------- */

static void
pad_spaces(struct qu_buf *out, size_t k)
{
	char *d = qu_buf_reserve(out, k);
	if (!d)
		return;
	memset(d, ' ', k);
	qu_buf_commit(out, k);
}

size_t
ui_text_fit_buf(struct qu_buf *out, const char *s, size_t n, size_t cells, bool pad,
	const char *marker)
{
	size_t used;
	size_t fit = qu_utf8_fit(s, n, cells, &used);
	if (fit < n) {
		size_t mcells = marker ? qu_utf8_cells(marker, strlen(marker)) : 0;
		if (mcells > 0 && mcells <= cells) {
			fit = qu_utf8_fit(s, n, cells - mcells, &used);
			qu_buf_append(out, s, fit);
			/* The wide glyph that did not fit leaves a gap before
			 * the marker, which stays at the right edge. */
			pad_spaces(out, cells - mcells - used);
			qu_buf_append_str(out, marker);
			return cells;
		}
		qu_buf_append(out, s, fit);
		/* A wide glyph straddling the limit becomes a space. */
		if (used < cells && fit < n) {
			pad_spaces(out, 1);
			used++;
		}
	} else {
		qu_buf_append(out, s, fit);
	}
	if (pad && used < cells) {
		pad_spaces(out, cells - used);
		used = cells;
	}
	return used;
}

char *
ui_text_fit(const char *s, size_t cells, bool pad, const char *marker)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ui_text_fit_buf(&b, s, strlen(s), cells, pad, marker);
	return qu_buf_steal(&b, NULL);
}
