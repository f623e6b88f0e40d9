/*
 * The parts of the HTML renderer (html.c: tree walk, html_text.c: lines
 * and wrapping, html_table.c: tables). Private to src/mime.
 */
#ifndef QUAIL_MIME_HTML_PRIVATE_H
#define QUAIL_MIME_HTML_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "util/util.h"
#include "mime/mime.h"

/* libxml2, opened on first use by mime_html_to_text (html.c) so that runs
 * without HTML do not map it and the ICU libraries it pulls in. Filled once,
 * then only read. Each member has the exact type the header declares;
 * xmlFree is a variable (a hook) whose address dlsym gives. */
struct html_xml {
	__typeof__(xmlInitParser) *init_parser;
	__typeof__(htmlReadMemory) *read_memory;
	__typeof__(xmlFreeDoc) *free_doc;
	__typeof__(xmlGetNoNsProp) *get_prop;
	__typeof__(xmlHasProp) *has_prop;
	xmlFreeFunc *free_slot;
};
extern struct html_xml html_xml;

/* xmlFree for what get_prop returned. */
static inline void
html_xml_free(void *p)
{
	(*html_xml.free_slot)(p);
}

/* What one conversion shares between its renderers (a table cell renders
 * into a renderer of its own): the options and the numbered links. */
struct html_ctx {
	const struct mime_html_opts *o;
	char **links; /* owned URLs; number i + 1 */
	size_t nlinks, alinks;
	size_t *slots; /* open hash of link index + 1, 0 free */
	size_t nslots;
	int table_nest;
};

/* A renderer: inline text collects in para until a block boundary, then
 * goes out as wrapped lines, each behind the prefix ("> " for a quote,
 * spaces for a list item). */
struct html_rnd {
	struct html_ctx *cx;
	struct qu_buf *out;  /* finished lines, each ending in \n */
	size_t width;        /* cells per line with the prefix; 0: no wrapping */
	struct qu_buf para;  /* inline text: single spaces, \n for <br> */
	bool space;          /* white space seen after the last text */
	bool para_pre;       /* para holds <pre> text: not wrapped */
	bool pre_wrap;       /* unless its lines wrap (<pre wrap>, pre-wrap) */
	bool pre_start;      /* no text of the <pre> yet */
	int pre;             /* inside this many <pre> */
	size_t pre_col;      /* cells since the last \n of <pre> text (tabs) */
	struct qu_buf prefix;
	size_t *marks;       /* prefix lengths before each push */
	size_t nmarks, amarks;
	char marker[32];     /* list marker the next line shows, "" when none */
	size_t marker_at;    /* prefix length where it goes */
	bool blank;          /* a blank line is due before the next line */
	size_t blank_plen;   /* of the prefix that blank line shows */
	bool any;            /* a line went out */
	bool last_blank;     /* the last line out was empty */
	unsigned flushes;    /* count of paragraphs gone out */
	int list_depth;
	size_t li_at, li_end; /* prefix lengths around the innermost item's
			       * indentation (spaces) */
	int depth;
	size_t max_cells;    /* widest line of the current flush */
	struct qu_buf line;  /* scratch of html_emit_line */
	struct qu_buf wrapbuf; /* scratch of html_wrap */
};

void html_rnd_init(struct html_rnd *r, struct html_ctx *cx, struct qu_buf *out, size_t width);
void html_rnd_clear(struct html_rnd *r);
/* Adds text to the paragraph: white space collapsed (outside <pre>), or,
 * when literal, as it is ("\n" is a line break). -1 when out is full. */
int html_text(struct html_rnd *r, const char *s, size_t n, bool literal);
/* Adds text right after the last, leaving white space seen before it for
 * what follows (a link's number goes after its text, not its space). */
int html_mark(struct html_rnd *r, const char *s, size_t n);
/* Ends the paragraph; gap 2 also asks for a blank line before the next. */
int html_break(struct html_rnd *r, int gap);
/* Writes out the paragraph; *cells (may be NULL) gets its widest line. */
int html_flush(struct html_rnd *r, size_t *cells);
/* A line of c: cells long, or as wide as the text column when 0. */
int html_rule(struct html_rnd *r, char c, size_t cells);
void html_push_prefix(struct html_rnd *r, const char *s);
/* Indents by the marker's width and shows the marker on the next line. */
int html_push_marker(struct html_rnd *r, const char *marker);
void html_pop_prefix(struct html_rnd *r);
/* Writes one finished line behind the prefix. */
int html_emit_line(struct html_rnd *r, const char *s, size_t n);
/* html_emit_line as a callback of html_wrap; ctx is the renderer. */
int html_emit_cb(void *ctx, const char *s, size_t n);
/* The cells left for text after the prefix (0: no wrapping). */
size_t html_avail(const struct html_rnd *r);
/* Breaks text (single spaces, \n hard breaks) into lines of at most width
 * cells (0: only at \n), calling fn for each. */
int html_wrap(const char *p, size_t n, size_t width, struct qu_buf *scratch,
	int (*fn)(void *ctx, const char *s, size_t n), void *ctx);
/* Cells of the widest piece html_wrap cannot break. */
size_t html_min_width(const char *p, size_t n);
/* Calls fn for each \n-separated line of p as it is (<pre>). */
int html_lines(const char *p, size_t n, int (*fn)(void *ctx, const char *s, size_t n), void *ctx);
int html_link_list(struct html_rnd *r);

int html_node(struct html_rnd *r, const xmlNode *n);
int html_table(struct html_rnd *r, const xmlNode *n);

#endif
