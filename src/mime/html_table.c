/*
 * Tables of the HTML renderer. Mail uses tables two ways: for layout
 * (newsletters nest one-column tables many levels deep) and for data. A
 * table whose rows hold at most one cell with content is layout: its cells
 * render as the blocks they are. Otherwise each cell renders on its own,
 * unwrapped, and the cells line up in text columns measured in terminal
 * cells; too wide a table wraps its columns, and a table that cannot fit
 * even so shows one cell after the other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/html_private.h"

/* Tables nested deeper than this render cell after cell, as do tables
 * wider than this many cells when lines are not wrapped: each table level
 * copies its cells' text once more and pads every line. */
#define MAX_TABLE_NEST 8
#define MAX_TABLE_CELLS 250
#define SEP 2 /* spaces between columns */
/* More columns than this show one cell after the other (and a colspan is
 * cut to it): no terminal is wide enough for them. */
#define MAX_COLS 64

static bool
is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name && strcmp((const char *)n->name, name) == 0;
}

static bool
is_cell(const xmlNode *n)
{
	return is(n, "td") || is(n, "th");
}

/* The rows of a table, its own only: directly or in thead, tbody, tfoot
 * (the parser adds a tbody where the source has none). */
static const xmlNode *
next_row(const xmlNode *table, const xmlNode *prev)
{
	const xmlNode *n = prev ? prev->next : table->children;
	for (;;) {
		while (!n && prev && prev->parent != table) {
			n = prev->parent->next;
			prev = prev->parent;
		}
		if (!n)
			return NULL;
		if (is(n, "tr"))
			return n;
		if ((is(n, "tbody") || is(n, "thead") || is(n, "tfoot")) && n->children) {
			prev = n->children;
			n = prev;
			continue;
		}
		prev = n;
		n = n->next;
	}
}

/* Whether text shows anything: a character of some width other than the
 * no-break space (spacer cells hold &nbsp; or &zwnj;). */
static bool
text_shows(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (c > ' ')
				return true;
			i++;
			continue;
		}
		uint32_t cp;
		i += qu_utf8_decode(s + i, n - i, &cp);
		if (cp != 0xA0 && (cp == 0xFFFFFFFF || qu_cp_cells(cp) > 0))
			return true;
	}
	return false;
}

/* Whether a cell shows anything: text or an image. Stops at the first. */
static bool
has_content(const xmlNode *top)
{
	const xmlNode *n = top->children;
	while (n && n != top) {
		if (n->type == XML_TEXT_NODE && n->content && text_shows((const char *)n->content))
			return true;
		if (is(n, "img"))
			return true;
		bool skip = is(n, "style") || is(n, "script");
		if (n->type == XML_ELEMENT_NODE && n->children && !skip) {
			n = n->children;
			continue;
		}
		while (n && n != top && !n->next)
			n = n->parent;
		if (n && n != top)
			n = n->next;
	}
	return false;
}

static int
walk_cell(struct html_rnd *r, const xmlNode *cell)
{
	for (const xmlNode *c = cell->children; c; c = c->next)
		if (html_node(r, c) < 0)
			return -1;
	return 0;
}

/* A layout table: the cells with content as blocks, one after the other. */
static int
table_linear(struct html_rnd *r, const xmlNode *t)
{
	for (const xmlNode *row = next_row(t, NULL); row; row = next_row(t, row)) {
		for (const xmlNode *c = row->children; c; c = c->next) {
			if (!is_cell(c) || !has_content(c))
				continue;
			if (html_break(r, 1) < 0 || walk_cell(r, c) < 0 || html_break(r, 1) < 0)
				return -1;
		}
	}
	return 0;
}

struct cell {
	size_t row, col, span;
	char *text; /* rendered, unwrapped, without the final \n */
	size_t len;
	size_t nat, minw;
};

struct grid {
	struct cell *cells;
	size_t n, alloc;
	size_t nrows, ncols;
	size_t *colw;
	bool *keep; /* column shows something */
};

static int
render_cell(struct html_rnd *r, const xmlNode *c, struct cell *cell)
{
	struct qu_buf out;
	struct html_rnd sub;
	qu_buf_init(&out, r->out->max);
	html_rnd_init(&sub, r->cx, &out, 0);
	/* The depth goes on counting inside the cell: the walk stays flat past
	 * MAX_DEPTH whichever renderer is at work. */
	sub.depth = r->depth;
	int rc = walk_cell(&sub, c);
	if (rc == 0)
		rc = html_flush(&sub, NULL);
	html_rnd_clear(&sub);
	while (out.len && out.data[out.len - 1] == '\n')
		out.len--;
	cell->text = qu_buf_steal(&out, &cell->len);
	size_t i = 0;
	while (i < cell->len) {
		const char *nl = memchr(cell->text + i, '\n', cell->len - i);
		size_t j = nl ? (size_t)(nl - cell->text) : cell->len;
		size_t w = qu_utf8_cells(cell->text + i, j - i);
		if (w > cell->nat)
			cell->nat = w;
		i = j + 1;
	}
	/* Only marks or zero-width characters: an empty cell. */
	if (!cell->nat)
		cell->len = 0;
	cell->minw = html_min_width(cell->text, cell->len);
	return rc;
}

static size_t
colspan(const xmlNode *c)
{
	char *v = (char *)html_xml.get_prop(c, (const xmlChar *)"colspan");
	long span = v ? strtol(v, NULL, 10) : 1;
	html_xml_free(v);
	return span < 1 ? 1 : span > MAX_COLS ? MAX_COLS : (size_t)span;
}

static int
grid_fill(struct html_rnd *r, const xmlNode *t, struct grid *g)
{
	for (const xmlNode *row = next_row(t, NULL); row; row = next_row(t, row)) {
		size_t col = 0;
		for (const xmlNode *c = row->children; c; c = c->next) {
			if (!is_cell(c))
				continue;
			g->cells = xgrow(g->cells, &g->alloc, g->n + 1, sizeof *g->cells);
			struct cell *cell = &g->cells[g->n++];
			memset(cell, 0, sizeof *cell);
			cell->row = g->nrows;
			cell->col = col;
			cell->span = colspan(c);
			col += cell->span;
			if (render_cell(r, c, cell) < 0)
				return -1;
		}
		if (col > g->ncols)
			g->ncols = col;
		g->nrows++;
	}
	return 0;
}

/* Cells a cell spanning from column col takes: its kept columns and the
 * separators between them. */
static size_t
span_width(const struct grid *g, const struct cell *c)
{
	size_t w = 0, k = 0;
	for (size_t i = c->col; i < c->col + c->span && i < g->ncols; i++) {
		if (!g->keep[i])
			continue;
		w += g->colw[i] + (k++ ? SEP : 0);
	}
	return w;
}

/* Widens the last column under each cell spanning several whose text
 * would wrap, as far as limit allows. */
static void
widen_for_spans(struct grid *g, size_t limit)
{
	size_t total = 0, k = 0;
	for (size_t c = 0; c < g->ncols; c++)
		if (g->keep[c])
			total += g->colw[c] + (k++ ? SEP : 0);
	for (size_t i = 0; i < g->n && total < limit; i++) {
		struct cell *c = &g->cells[i];
		size_t w = span_width(g, c);
		if (c->span < 2 || c->nat <= w)
			continue;
		size_t last = c->col + c->span - 1;
		if (last >= g->ncols)
			last = g->ncols - 1;
		while (last > c->col && !g->keep[last])
			last--;
		size_t add = c->nat - w < limit - total ? c->nat - w : limit - total;
		g->colw[last] += add;
		total += add;
	}
}

/* Column widths that fit limit cells, or false when even the narrowest
 * columns do not. */
static bool
grid_widths(struct grid *g, size_t limit)
{
	size_t *nat = xcalloc(g->ncols, sizeof *nat);
	size_t *minw = xcalloc(g->ncols, sizeof *minw);
	g->keep = xcalloc(g->ncols, sizeof *g->keep);
	g->colw = xcalloc(g->ncols, sizeof *g->colw);
	for (size_t i = 0; i < g->n; i++) {
		struct cell *c = &g->cells[i];
		if (c->len)
			g->keep[c->col] = true;
		if (c->span > 1)
			continue;
		if (c->nat > nat[c->col])
			nat[c->col] = c->nat;
		if (c->minw > minw[c->col])
			minw[c->col] = c->minw;
	}
	size_t k = 0, tnat = 0, tmin = 0;
	for (size_t c = 0; c < g->ncols; c++) {
		if (!g->keep[c])
			continue;
		k++;
		tnat += nat[c];
		tmin += minw[c];
	}
	size_t seps = k ? SEP * (k - 1) : 0;
	bool ok = true;
	if (tnat + seps <= limit) {
		memcpy(g->colw, nat, g->ncols * sizeof *nat);
	} else if (tmin + seps <= limit) {
		/* Each column gets its longest word and a share of the rest as
		 * large as the part of its text that would not fit. */
		size_t extra = limit - seps - tmin, want = tnat - tmin, given = 0;
		for (size_t c = 0; c < g->ncols; c++) {
			size_t add = want ? (size_t)((double)extra * (double)(nat[c] - minw[c]) / (double)want) : 0;
			g->colw[c] = minw[c] + add;
			given += add;
		}
		for (size_t c = 0; c < g->ncols && given < extra; c++)
			if (g->keep[c] && g->colw[c] < nat[c]) {
				g->colw[c]++;
				given++;
			}
	} else {
		ok = false;
	}
	if (ok)
		widen_for_spans(g, limit);
	free(nat);
	free(minw);
	return ok;
}

struct lines {
	struct qu_buf b; /* the lines, each ending in \n */
	size_t n;
	size_t pos; /* of the next line to show */
};

static int
collect_line(void *ctx, const char *s, size_t n)
{
	struct lines *l = ctx;
	qu_buf_append(&l->b, s, n);
	qu_buf_append_byte(&l->b, '\n');
	l->n++;
	return 0;
}

/* The next line of the list (empty past the end). */
static const char *
next_line(struct lines *l, size_t *len)
{
	if (l->pos >= l->b.len) {
		*len = 0;
		return "";
	}
	const char *p = l->b.data + l->pos;
	*len = (size_t)((const char *)memchr(p, '\n', l->b.len - l->pos) - p);
	l->pos += *len + 1;
	return p;
}

static int
grid_row(struct html_rnd *r, struct grid *g, size_t first, size_t end, struct qu_buf *scratch)
{
	/* at[c]: the cell starting at column c, shown in width[c] cells. */
	struct lines *ls = xcalloc(g->ncols, sizeof *ls);
	struct cell **at = xcalloc(g->ncols, sizeof *at);
	size_t *width = xcalloc(g->ncols, sizeof *width);
	size_t height = 0;
	int rc = 0;
	for (size_t i = first; i < end; i++) {
		struct cell *c = &g->cells[i];
		struct lines *l = &ls[c->col];
		at[c->col] = c;
		width[c->col] = span_width(g, c);
		qu_buf_init(&l->b, SIZE_MAX);
		if (c->nat <= width[c->col])
			html_lines(c->text, c->len, collect_line, l);
		else
			html_wrap(c->text, c->len, width[c->col], scratch, collect_line, l);
		if (!c->len)
			l->n = 0;
		if (l->n > height)
			height = l->n;
	}
	/* Each line of the row: the cells' lines padded to their columns. */
	struct qu_buf row;
	qu_buf_init(&row, SIZE_MAX);
	for (size_t y = 0; y < height && rc == 0; y++) {
		qu_buf_reset(&row);
		bool first_col = true;
		for (size_t c = 0; c < g->ncols;) {
			size_t span = at[c] ? at[c]->span : 1;
			size_t w = at[c] ? width[c] : g->keep[c] ? g->colw[c] : 0;
			bool shown = at[c] ? w > 0 : g->keep[c];
			if (shown) {
				size_t n;
				const char *s = next_line(&ls[c], &n);
				if (!first_col)
					for (int k = 0; k < SEP; k++)
						qu_buf_append_byte(&row, ' ');
				first_col = false;
				qu_buf_append(&row, s, n);
				for (size_t cw = qu_utf8_cells(s, n); cw < w; cw++)
					qu_buf_append_byte(&row, ' ');
			}
			c += span;
		}
		rc = html_emit_line(r, row.data ? row.data : "", row.len);
	}
	qu_buf_clear(&row);
	for (size_t c = 0; c < g->ncols; c++)
		qu_buf_clear(&ls[c].b);
	free(ls);
	free(at);
	free(width);
	return rc;
}

/* Too wide: every cell with content is a paragraph of its own and rows
 * are parted by blank lines. */
static int
grid_cells(struct html_rnd *r, struct grid *g, struct qu_buf *scratch)
{
	for (size_t i = 0; i < g->n; i++) {
		struct cell *c = &g->cells[i];
		if (i && c->row != g->cells[i - 1].row && html_break(r, 2) < 0)
			return -1;
		if (!c->len)
			continue;
		if (html_wrap(c->text, c->len, html_avail(r), scratch, html_emit_cb, r) < 0)
			return -1;
	}
	return 0;
}

static int
table_grid(struct html_rnd *r, const xmlNode *t)
{
	struct grid g = {0};
	struct qu_buf scratch;
	qu_buf_init(&scratch, SIZE_MAX);
	int rc = grid_fill(r, t, &g);
	if (rc == 0 && html_break(r, 2) < 0)
		rc = -1;
	size_t limit = r->width ? html_avail(r) : MAX_TABLE_CELLS;
	if (rc == 0 && g.ncols && g.ncols <= MAX_COLS && grid_widths(&g, limit)) {
		size_t i = 0;
		while (i < g.n && rc == 0) {
			size_t j = i;
			bool any = false;
			while (j < g.n && g.cells[j].row == g.cells[i].row)
				any |= g.cells[j++].len > 0;
			if (any)
				rc = grid_row(r, &g, i, j, &scratch);
			i = j;
		}
	} else if (rc == 0 && g.ncols) {
		rc = grid_cells(r, &g, &scratch);
	}
	if (rc == 0)
		rc = html_break(r, 2);
	for (size_t i = 0; i < g.n; i++)
		free(g.cells[i].text);
	free(g.cells);
	free(g.colw);
	free(g.keep);
	qu_buf_clear(&scratch);
	return rc;
}

/* What the parser left in the table outside any cell (text or an element
 * between rows): a browser shows it before the table, and so does this. */
static int
foster(struct html_rnd *r, const xmlNode *parent, int level)
{
	for (const xmlNode *c = parent->children; c; c = c->next) {
		bool group = is(c, "tbody") || is(c, "thead") || is(c, "tfoot");
		if ((group && level == 0) || (is(c, "tr") && level < 2)) {
			if (foster(r, c, is(c, "tr") ? 2 : 1) < 0)
				return -1;
			continue;
		}
		if (is_cell(c) || is(c, "caption") || is(c, "colgroup") || is(c, "col") ||
			c->type == XML_COMMENT_NODE)
			continue;
		if (html_node(r, c) < 0)
			return -1;
	}
	return 0;
}

int
html_table(struct html_rnd *r, const xmlNode *t)
{
	size_t most = 0;
	for (const xmlNode *row = next_row(t, NULL); row; row = next_row(t, row)) {
		size_t k = 0;
		for (const xmlNode *c = row->children; c; c = c->next)
			if (is_cell(c) && has_content(c))
				k++;
		if (k > most)
			most = k;
	}
	for (const xmlNode *c = t->children; c; c = c->next)
		if (is(c, "caption") && html_node(r, c) < 0)
			return -1;
	if (foster(r, t, 0) < 0)
		return -1;
	if (most <= 1 || r->cx->table_nest >= MAX_TABLE_NEST)
		return table_linear(r, t);
	r->cx->table_nest++;
	int rc = table_grid(r, t);
	r->cx->table_nest--;
	return rc;
}
