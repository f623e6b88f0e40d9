/*
 * Lines of the HTML renderer: white space collapsed as a browser does
 * (HTML Living Standard, CSS white-space: normal), paragraphs wrapped by
 * terminal cells at spaces and between East Asian characters, prefixes for
 * quotes and list items.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/html_private.h"

/* The length of an hr when lines are not wrapped. */
#define HR_CELLS 40
/* The narrowest text column a deep prefix leaves (half the width when
 * that is less): lines may then pass the width, but stay readable. */
#define MIN_AVAIL 20

void
html_rnd_init(struct html_rnd *r, struct html_ctx *cx, struct qu_buf *out, size_t width)
{
	memset(r, 0, sizeof *r);
	r->cx = cx;
	r->out = out;
	r->width = width;
	qu_buf_init(&r->para, SIZE_MAX);
	qu_buf_init(&r->prefix, SIZE_MAX);
	qu_buf_init(&r->line, SIZE_MAX);
	qu_buf_init(&r->wrapbuf, SIZE_MAX);
}

void
html_rnd_clear(struct html_rnd *r)
{
	qu_buf_clear(&r->para);
	qu_buf_clear(&r->prefix);
	qu_buf_clear(&r->line);
	qu_buf_clear(&r->wrapbuf);
	free(r->marks);
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool
para_open(const struct html_rnd *r)
{
	return r->para.len && r->para.data[r->para.len - 1] != '\n';
}

/* <pre> text: kept as it is, tabs expanded to the next multiple of 8 (the
 * output holds no controls of its own making). */
static int
pre_text(struct html_rnd *r, const char *s, size_t n)
{
	r->para_pre = true;
	size_t i = 0;
	r->pre_start = false;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '\t' && s[j] != '\n')
			j++;
		if (qu_buf_append(&r->para, s + i, j - i) < 0)
			return -1;
		r->pre_col += qu_utf8_cells(s + i, j - i);
		if (j == n)
			break;
		if (s[j] == '\n') {
			if (qu_buf_append_byte(&r->para, '\n') < 0)
				return -1;
			r->pre_col = 0;
		} else {
			size_t pad = 8 - r->pre_col % 8;
			for (size_t k = 0; k < pad; k++)
				if (qu_buf_append_byte(&r->para, ' ') < 0)
					return -1;
			r->pre_col += pad;
		}
		i = j + 1;
	}
	return 0;
}

/* Appends a word without its soft hyphens: a browser shows one only where
 * it breaks the word, and this renderer never breaks there. */
static int
append_word(struct qu_buf *b, const char *s, size_t n)
{
	size_t i = 0, from = 0;
	const char *c2;
	while (i + 1 < n && (c2 = memchr(s + i, 0xC2, n - i - 1))) {
		i = (size_t)(c2 - s);
		if ((unsigned char)s[i + 1] != 0xAD) {
			i++;
			continue;
		}
		if (qu_buf_append(b, s + from, i - from) < 0)
			return -1;
		i += 2;
		from = i;
	}
	return qu_buf_append(b, s + from, n - from);
}

int
html_text(struct html_rnd *r, const char *s, size_t n, bool literal)
{
	if (r->pre) {
		/* A newline right after <pre> is not content (HTML §13.2.6.4.7). */
		if (!literal && r->pre_start && n && s[0] == '\n') {
			s++;
			n--;
		}
		return pre_text(r, s, n);
	}
	if (literal) {
		if (n == 1 && s[0] == '\n') {
			r->space = false;
			return qu_buf_append_byte(&r->para, '\n');
		}
		if (r->space && para_open(r) && qu_buf_append_byte(&r->para, ' ') < 0)
			return -1;
		r->space = false;
		return qu_buf_append(&r->para, s, n);
	}
	size_t i = 0;
	while (i < n) {
		if (is_ws(s[i])) {
			r->space = true;
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !is_ws(s[j]))
			j++;
		if (r->space && para_open(r) && qu_buf_append_byte(&r->para, ' ') < 0)
			return -1;
		r->space = false;
		if (append_word(&r->para, s + i, j - i) < 0)
			return -1;
		i = j;
	}
	return 0;
}

int
html_mark(struct html_rnd *r, const char *s, size_t n)
{
	if (r->pre)
		return pre_text(r, s, n);
	return qu_buf_append(&r->para, s, n);
}

static size_t
prefix_cells(const struct html_rnd *r)
{
	return qu_utf8_cells(r->prefix.data ? r->prefix.data : "", r->prefix.len);
}

size_t
html_avail(const struct html_rnd *r)
{
	if (!r->width)
		return 0;
	size_t pc = prefix_cells(r);
	size_t least = r->width / 2 < MIN_AVAIL ? r->width / 2 : MIN_AVAIL;
	size_t avail = r->width > pc ? r->width - pc : 0;
	return avail > least ? avail : least ? least : 1;
}

/* Appends s with no-break spaces as plain ones. */
static void
append_plain(struct qu_buf *b, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *nb = memchr(s + i, 0xC2, n - i);
		size_t j = nb ? (size_t)(nb - s) : n;
		qu_buf_append(b, s + i, j - i);
		if (j == n)
			break;
		if (j + 1 < n && (unsigned char)s[j + 1] == 0xA0) {
			qu_buf_append_byte(b, ' ');
			i = j + 2;
		} else {
			qu_buf_append_byte(b, s[j]);
			i = j + 1;
		}
	}
}

static void
rstrip(struct qu_buf *b, size_t keep)
{
	while (b->len > keep && b->data[b->len - 1] == ' ')
		b->len--;
	if (b->data)
		b->data[b->len] = '\0';
}

static int
put_line(struct html_rnd *r, struct qu_buf *l)
{
	qu_buf_append_byte(l, '\n');
	return qu_buf_append(r->out, l->data, l->len);
}

/* The blank line due before new text, behind the prefix that was in force
 * where the block ended (so the blank before a quote shows no "> "). */
static int
due_blank(struct html_rnd *r)
{
	if (!r->blank)
		return 0;
	r->blank = false;
	if (!r->any || r->last_blank)
		return 0;
	struct qu_buf *l = &r->line;
	qu_buf_reset(l);
	size_t plen = r->blank_plen < r->prefix.len ? r->blank_plen : r->prefix.len;
	qu_buf_append(l, r->prefix.data, plen);
	rstrip(l, 0);
	r->last_blank = true;
	return put_line(r, l);
}

int
html_emit_line(struct html_rnd *r, const char *s, size_t n)
{
	struct qu_buf *l = &r->line;
	if (due_blank(r) < 0)
		return -1;
	qu_buf_reset(l);
	if (r->marker[0] && r->marker_at <= r->prefix.len) {
		size_t ml = strlen(r->marker);
		qu_buf_append(l, r->prefix.data, r->marker_at);
		qu_buf_append(l, r->marker, ml);
		if (r->marker_at + ml < r->prefix.len)
			qu_buf_append(l, r->prefix.data + r->marker_at + ml,
				r->prefix.len - r->marker_at - ml);
		r->marker[0] = '\0';
	} else {
		qu_buf_append(l, r->prefix.data, r->prefix.len);
	}
	size_t plen = l->len;
	append_plain(l, s, n);
	rstrip(l, 0);
	if (l->len <= plen) {
		/* An empty line: one in a row is enough, but <pre> keeps its own. */
		if (!r->any || (r->last_blank && !r->para_pre))
			return 0;
		r->last_blank = true;
	} else {
		size_t cells = qu_utf8_cells(l->data + plen, l->len - plen);
		if (cells > r->max_cells)
			r->max_cells = cells;
		r->last_blank = false;
	}
	r->any = true;
	return put_line(r, l);
}

int
html_emit_cb(void *ctx, const char *s, size_t n)
{
	return html_emit_line(ctx, s, n);
}

int
html_lines(const char *p, size_t n, int (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t j = nl ? (size_t)(nl - p) : n;
		if (fn(ctx, p + i, j - i) < 0)
			return -1;
		i = j + 1;
	}
	/* A final \n opens one more, empty line. */
	if (n && p[n - 1] == '\n' && fn(ctx, "", 0) < 0)
		return -1;
	return 0;
}

/* A line of <pre wrap> text: as it is when it fits, else wrapped as a
 * paragraph (Thunderbird quotes plain text mail this way). */
static int
pre_wrap_cb(void *ctx, const char *s, size_t n)
{
	struct html_rnd *r = ctx;
	size_t avail = html_avail(r);
	if (!avail || qu_utf8_cells(s, n) <= avail)
		return html_emit_line(r, s, n);
	return html_wrap(s, n, avail, &r->wrapbuf, html_emit_cb, r);
}

int
html_flush(struct html_rnd *r, size_t *cells)
{
	r->max_cells = 0;
	r->space = false;
	if (!r->para.len) {
		if (cells)
			*cells = 0;
		return 0;
	}
	const char *p = r->para.data;
	size_t n = r->para.len;
	/* A final line break ends the last line and opens no empty one, but
	 * a paragraph that is a lone <br> is one empty line. */
	if (n > 1 && p[n - 1] == '\n')
		n--;
	int rc;
	if (!r->para_pre)
		rc = html_wrap(p, n, html_avail(r), &r->wrapbuf, html_emit_cb, r);
	else
		rc = html_lines(p, n, r->pre_wrap ? pre_wrap_cb : html_emit_cb, r);
	qu_buf_reset(&r->para);
	r->para_pre = false;
	r->pre_col = 0;
	r->flushes++;
	if (cells)
		*cells = r->max_cells;
	return rc;
}

int
html_break(struct html_rnd *r, int gap)
{
	if (html_flush(r, NULL) < 0)
		return -1;
	if (gap >= 2) {
		if (!r->blank || r->prefix.len < r->blank_plen)
			r->blank_plen = r->prefix.len;
		r->blank = true;
	}
	return 0;
}

int
html_rule(struct html_rnd *r, char c, size_t cells)
{
	if (html_flush(r, NULL) < 0)
		return -1;
	if (!cells)
		cells = r->width ? html_avail(r) : HR_CELLS;
	char *s = xmalloc(cells);
	memset(s, c, cells);
	int rc = html_emit_line(r, s, cells);
	free(s);
	return rc;
}

void
html_push_prefix(struct html_rnd *r, const char *s)
{
	r->marks = xgrow(r->marks, &r->amarks, r->nmarks + 1, sizeof *r->marks);
	r->marks[r->nmarks++] = r->prefix.len;
	qu_buf_append_str(&r->prefix, s);
}

int
html_push_marker(struct html_rnd *r, const char *marker)
{
	size_t ml = strlen(marker);
	if (ml >= sizeof r->marker)
		ml = sizeof r->marker - 1;
	r->marks = xgrow(r->marks, &r->amarks, r->nmarks + 1, sizeof *r->marks);
	r->marks[r->nmarks++] = r->prefix.len;
	r->marker_at = r->prefix.len;
	memcpy(r->marker, marker, ml);
	r->marker[ml] = '\0';
	for (size_t i = 0; i < ml; i++)
		qu_buf_append_byte(&r->prefix, ' ');
	return 0;
}

void
html_pop_prefix(struct html_rnd *r)
{
	if (!r->nmarks)
		return;
	r->prefix.len = r->marks[--r->nmarks];
	if (r->prefix.data)
		r->prefix.data[r->prefix.len] = '\0';
	/* The marker of an item that showed no line goes with it. */
	if (r->marker[0] && r->marker_at >= r->prefix.len)
		r->marker[0] = '\0';
}

int
html_link_list(struct html_rnd *r)
{
	if (html_break(r, 2) < 0)
		return -1;
	r->prefix.len = 0;
	r->blank_plen = 0;
	for (size_t i = 0; i < r->cx->nlinks; i++) {
		char *s = xasprintf("[%zu] %s", i + 1, r->cx->links[i]);
		int rc = html_emit_line(r, s, strlen(s));
		free(s);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- wrapping --------------------------------------------------------- */

/* No line starts with closing punctuation (Japanese kinsoku shori, and
 * the ASCII marks that follow a word). */
static bool
no_break_before(uint32_t cp)
{
	static const char ascii[] = ",.;:!?)]}%";
	if (cp < 0x80)
		return cp && strchr(ascii, (int)cp) != NULL;
	switch (cp) {
	case 0x3001: case 0x3002: case 0xFF0C: case 0xFF0E: case 0xFF1A: case 0xFF1B:
	case 0xFF1F: case 0xFF01: case 0xFF09: case 0xFF3D: case 0xFF5D: case 0x300D:
	case 0x300F: case 0x3011: case 0x3015: case 0x3009: case 0x300B: case 0x201D:
	case 0x2019: case 0x30FC: case 0x30FB: case 0x3005: case 0x301C: case 0x3041:
	case 0x3043: case 0x3045: case 0x3047: case 0x3049: case 0x3063: case 0x3083:
	case 0x3085: case 0x3087: case 0x308E: case 0x30A1: case 0x30A3: case 0x30A5:
	case 0x30A7: case 0x30A9: case 0x30C3: case 0x30E3: case 0x30E5: case 0x30E7:
	case 0x30EE: case 0x2026:
		return true;
	default:
		return false;
	}
}

/* No line ends with opening punctuation. */
static bool
no_break_after(uint32_t cp)
{
	switch (cp) {
	case '(': case '[': case '{': case 0xFF08: case 0xFF3B: case 0xFF5B: case 0x300C:
	case 0x300E: case 0x3010: case 0x3014: case 0x3008: case 0x300A: case 0x201C:
	case 0x2018:
		return true;
	default:
		return false;
	}
}

/* One unbreakable piece at p: a run of narrow characters, or one wide
 * (East Asian) character, either with the punctuation that may not be
 * parted from it. Returns its length; *cells gets its width. */
static size_t
segment(const char *p, size_t n, size_t *cells)
{
	size_t i = 0, w = 0, prev_w = 0;
	uint32_t prev_cp = 0;
	while (i < n && p[i] != ' ' && p[i] != '\n') {
		uint32_t cp;
		qu_utf8_decode(p + i, n - i, &cp);
		size_t cw;
		size_t l = qu_utf8_cluster(p + i, n - i, &cw);
		if (i > 0 && !no_break_before(cp) && !no_break_after(prev_cp) &&
			(cw == 2 || prev_w == 2))
			break;
		i += l;
		w += cw;
		prev_w = cw;
		prev_cp = cp;
	}
	*cells = w;
	return i;
}

size_t
html_min_width(const char *p, size_t n)
{
	size_t max = 0, i = 0;
	while (i < n) {
		if (p[i] == ' ' || p[i] == '\n') {
			i++;
			continue;
		}
		size_t c;
		i += segment(p + i, n - i, &c);
		if (c > max)
			max = c;
	}
	return max;
}

struct wrap {
	struct qu_buf *l;
	size_t cells;
	size_t spaces; /* pending spaces before the next segment */
	int (*fn)(void *ctx, const char *s, size_t n);
	void *ctx;
};

static int
wrap_out(struct wrap *w)
{
	int rc = w->fn(w->ctx, w->l->data ? w->l->data : "", w->l->len);
	qu_buf_reset(w->l);
	w->cells = 0;
	w->spaces = 0;
	return rc;
}

/* A segment wider than a line: cut into line-wide pieces. */
static int
wrap_long(struct wrap *w, const char *s, size_t n, size_t width)
{
	while (n) {
		size_t c;
		size_t k = qu_utf8_fit(s, n, width, &c);
		if (k == 0) {
			size_t cw;
			k = qu_utf8_cluster(s, n, &cw);
			c = cw;
		}
		qu_buf_append(w->l, s, k);
		w->cells = c;
		s += k;
		n -= k;
		if (n && wrap_out(w) < 0)
			return -1;
	}
	return 0;
}

int
html_wrap(const char *p, size_t n, size_t width, struct qu_buf *scratch,
	int (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
	struct wrap w = {.l = scratch, .fn = fn, .ctx = ctx};
	qu_buf_reset(scratch);
	size_t i = 0;
	while (i < n) {
		if (p[i] == '\n') {
			if (wrap_out(&w) < 0)
				return -1;
			i++;
			continue;
		}
		if (p[i] == ' ') {
			if (w.l->len)
				w.spaces++;
			i++;
			continue;
		}
		size_t sc = 0, sl = 1;
		if (width) {
			sl = segment(p + i, n - i, &sc);
		} else {
			/* No wrapping (the index's text): where segments
			 * end and how wide they are changes nothing, and
			 * measuring them was a tenth of indexing HTML mail. */
			while (i + sl < n && p[i + sl] != ' ' && p[i + sl] != '\n')
				sl++;
		}
		if (width && w.cells + w.spaces + sc > width && w.l->len) {
			if (wrap_out(&w) < 0)
				return -1;
		}
		if (width && sc > width) {
			if (wrap_long(&w, p + i, sl, width) < 0)
				return -1;
		} else {
			for (; w.spaces; w.spaces--, w.cells++)
				qu_buf_append_byte(w.l, ' ');
			qu_buf_append(w.l, p + i, sl);
			w.cells += sc;
		}
		i += sl;
	}
	if (w.l->len && wrap_out(&w) < 0)
		return -1;
	return 0;
}
