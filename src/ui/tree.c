/*
 * Thread tree prefixes as mutt draws them, from the depth of each row in
 * display order: one backward pass knows, for every depth, whether a row
 * at that depth follows before the thread climbs above it.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "ui/uitext.h"

struct glyphs {
	const char *vert, *tee, *corner, *horiz, *arrow;
};

static const struct glyphs unicode_glyphs = {
	"\xE2\x94\x82", /* │ */
	"\xE2\x94\x9C", /* ├ */
	"\xE2\x94\x94", /* └ */
	"\xE2\x94\x80", /* ─ */
	">",
};

static const struct glyphs ascii_glyphs = {"|", "|", "`", "-", ">"};

/* Deeper rows draw as this deep: the prefix is already wider than any
 * screen, and the bookkeeping stays small whatever depth comes in. */
#define MAX_DEPTH 1024u

static unsigned
depth_of(const struct ui_tree_node *nd)
{
	return nd->depth < MAX_DEPTH ? nd->depth : MAX_DEPTH;
}

static char *
build_one(const struct ui_tree_node *nd, const bool *more, bool next, const struct glyphs *g)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	unsigned depth = depth_of(nd);
	if (depth == 0) {
		if (nd->missing_parent)
			qu_buf_append_str(&b, "*>");
	} else {
		/* One column of two cells per ancestor below the root. */
		for (unsigned k = 1; k < depth; k++) {
			qu_buf_append_str(&b, more[k] ? g->vert : " ");
			qu_buf_append_byte(&b, ' ');
		}
		qu_buf_append_str(&b, next ? g->tee : g->corner);
		qu_buf_append_str(&b, nd->missing_parent ? "*" : nd->duplicate ? "=" : g->horiz);
		qu_buf_append_str(&b, g->arrow);
	}
	if (nd->hidden > 0)
		qu_buf_printf(&b, "(%zu) ", nd->hidden);
	return qu_buf_steal(&b, NULL);
}

char **
ui_tree_build(const struct ui_tree_node *nodes, size_t n, enum ui_tree_style style)
{
	const struct glyphs *g = style == UI_TREE_ASCII ? &ascii_glyphs : &unicode_glyphs;
	char **out = xcalloc(n ? n : 1, sizeof *out);
	unsigned maxd = 0;
	for (size_t i = 0; i < n; i++)
		if (depth_of(&nodes[i]) > maxd)
			maxd = depth_of(&nodes[i]);
	/* seen[d]: a row at depth d lies below, with nothing shallower
	 * between: the ancestor at d has a sibling further down. */
	bool *seen = xcalloc((size_t)maxd + 2, sizeof *seen);
	unsigned top = 0; /* no seen[k] above it is set */
	for (size_t i = n; i-- > 0;) {
		unsigned d = depth_of(&nodes[i]);
		out[i] = build_one(&nodes[i], seen, seen[d], g);
		seen[d] = true;
		for (unsigned k = d + 1; k <= top; k++)
			seen[k] = false;
		top = d;
	}
	free(seen);
	return out;
}

void
ui_tree_free(char **prefixes, size_t n)
{
	if (!prefixes)
		return;
	for (size_t i = 0; i < n; i++)
		free(prefixes[i]);
	free(prefixes);
}
