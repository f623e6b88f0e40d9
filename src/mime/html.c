/*
 * HTML mail as readable text: libxml2's HTML parser builds the tree (it
 * recovers from any tag soup), and a small text-mode renderer walks it into
 * wrapped lines, the way a careful text browser would. Nothing is fetched:
 * the parser runs with HTML_PARSE_NONET and images become "[image: ...]".
 */
#include <limits.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"
#include "mime/html_private.h"

/* Deeper trees render their text without structure: the walk is recursive
 * and a hostile message may nest thousands of elements. */
#define MAX_DEPTH 200

#define XML_SYM(f, m) {#f, offsetof(struct html_xml, m)}
static const struct qu_dl_sym xml_syms[] = {
	XML_SYM(xmlInitParser, init_parser), XML_SYM(htmlReadMemory, read_memory),
	XML_SYM(xmlFreeDoc, free_doc),       XML_SYM(xmlGetNoNsProp, get_prop),
	XML_SYM(xmlHasProp, has_prop),       XML_SYM(xmlFree, free_slot),
};
/* Debian 12's runtime package; the soname has been .so.2 since 2000. */
static const struct qu_dl_lib xml_dl = {"libxml2.so.2", "libxml2", "HTML mail", xml_syms,
					QU_ARRAY_LEN(xml_syms)};

struct html_xml html_xml;

static void
xml_init(void)
{
	html_xml.init_parser();
}

static struct qu_dl_once xml_once = QU_DL_ONCE(&xml_dl, &html_xml, xml_init);

static bool
name_is(const xmlNode *n, const char *s)
{
	return n->name && strcmp((const char *)n->name, s) == 0;
}

static bool
name_in(const xmlNode *n, const char *const *list)
{
	for (; *list; list++)
		if (name_is(n, *list))
			return true;
	return false;
}

/* The value of an attribute (owned by the caller, html_xml_free), or NULL. */
static char *
attr(const xmlNode *n, const char *name)
{
	return (char *)html_xml.get_prop(n, (const xmlChar *)name);
}

/* ---- links ------------------------------------------------------------ */

static size_t
hash_str(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* The number of url in the list at the end (1-based), adding it when new:
 * a URL linked twice keeps its first number. Takes url. */
static size_t
link_number_take(struct html_ctx *cx, char *url)
{
	if (cx->nlinks * 2 >= cx->nslots) {
		size_t ns = cx->nslots ? cx->nslots * 2 : 64;
		size_t *slots = xcalloc(ns, sizeof *slots);
		for (size_t i = 0; i < cx->nlinks; i++) {
			size_t h = hash_str(cx->links[i]) & (ns - 1);
			while (slots[h])
				h = (h + 1) & (ns - 1);
			slots[h] = i + 1;
		}
		free(cx->slots);
		cx->slots = slots;
		cx->nslots = ns;
	}
	size_t h = hash_str(url) & (cx->nslots - 1);
	while (cx->slots[h]) {
		if (strcmp(cx->links[cx->slots[h] - 1], url) == 0) {
			free(url);
			return cx->slots[h];
		}
		h = (h + 1) & (cx->nslots - 1);
	}
	cx->links = xgrow(cx->links, &cx->alinks, cx->nlinks + 1, sizeof *cx->links);
	cx->links[cx->nlinks++] = url;
	cx->slots[h] = cx->nlinks;
	return cx->nlinks;
}

/* An attribute value as one line: white space (a URL may be folded over
 * lines in the source) removed, controls dropped. Owned by the caller. */
static char *
clean_url(const char *s)
{
	size_t n = strlen(s);
	char *o = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c > 0x20 && c != 0x7F)
			o[k++] = (char)c;
	}
	o[k] = '\0';
	return o;
}

/* True when the link text just repeats the URL (with or without its
 * scheme or a final slash): a number would add nothing. */
static bool
text_is_url(const char *t, size_t tn, const char *url)
{
	qu_mem_trim(&t, &tn);
	size_t un = strlen(url);
	for (int pass = 0; pass < 2; pass++) {
		if (tn == un && memcmp(t, url, un) == 0)
			return true;
		if (un && url[un - 1] == '/' && tn == un - 1 && memcmp(t, url, tn) == 0)
			return true;
		const char *s = strstr(url, "://");
		if (pass || !s)
			break;
		un -= (size_t)(s + 3 - url);
		url = s + 3;
	}
	return false;
}

/* ---- the renderer ----------------------------------------------------- */

static int walk_children(struct html_rnd *r, const xmlNode *n);

static const char *const skip_tags[] = {"script", "style", "head", "title", "template",
	"noembed", "noframes", "iframe", "object", "embed", "select", "input", "button",
	"svg", "math", "meta", "link", NULL};

/* The inline style in lowercase without white space, so that
 * "Display : NONE" reads "display:none"; NULL when none (html_xml_free). */
static char *
style_of(const xmlNode *n)
{
	char *style = attr(n, "style");
	if (!style)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; style[i]; i++) {
		char c = style[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')
			continue;
		style[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	style[k] = '\0';
	return style;
}

static bool
style_has(const xmlNode *n, const char *decl)
{
	char *style = style_of(n);
	bool has = style && strstr(style, decl);
	html_xml_free(style);
	return has;
}

/* Hidden by the hidden attribute or an inline style (display:none and
 * visibility:hidden; mso-hide:all hides Outlook's duplicates). */
static bool
is_hidden(const xmlNode *n)
{
	if (!n->properties)
		return false;
	if (html_xml.has_prop(n, (const xmlChar *)"hidden"))
		return true;
	char *style = style_of(n);
	bool hidden = style && (strstr(style, "display:none") ||
				       strstr(style, "visibility:hidden") ||
				       strstr(style, "mso-hide:all"));
	html_xml_free(style);
	return hidden;
}

static int
render_img(struct html_rnd *r, const xmlNode *n)
{
	char *alt = attr(n, "alt");
	char *src = attr(n, "src");
	char *w = attr(n, "width");
	char *h = attr(n, "height");
	bool cid = src && qu_str_has_prefix_ci(src, "cid:");
	/* Spacers and tracking pixels say nothing, nor does an image whose alt
	 * is empty (HTML: a decorative image). */
	bool tiny = (w && atoi(w) <= 2 && w[0] >= '0' && w[0] <= '9') ||
		    (h && atoi(h) <= 2 && h[0] >= '0' && h[0] <= '9');
	const char *name = NULL;
	if (alt) {
		const char *a = alt;
		size_t an = strlen(a);
		qu_mem_trim(&a, &an);
		if (an)
			name = alt;
	}
	if (!name && cid)
		name = src + 4;
	int rc = 0;
	if (name && (cid || !tiny)) {
		rc = html_text(r, "[image: ", 8, true);
		if (rc == 0)
			rc = html_text(r, name, strlen(name), false);
		if (rc == 0)
			rc = html_text(r, "]", 1, true);
	} else if (!alt && !tiny) {
		rc = html_text(r, "[image]", 7, true);
	}
	html_xml_free(alt);
	html_xml_free(src);
	html_xml_free(w);
	html_xml_free(h);
	return rc;
}

static int
render_link(struct html_rnd *r, const xmlNode *n)
{
	char *href = attr(n, "href");
	size_t start = r->para.len;
	unsigned gen = r->flushes;
	int rc = walk_children(r, n);
	if (rc < 0 || !href) {
		html_xml_free(href);
		return rc;
	}
	char *url = clean_url(href);
	html_xml_free(href);
	/* The link's text, when it is still whole in the paragraph. */
	size_t tn = r->flushes == gen && r->para.len >= start ? r->para.len - start : 0;
	const char *text = tn ? r->para.data + start : "";
	bool empty = tn == 0 && r->flushes == gen;
	if (qu_str_has_prefix_ci(url, "mailto:")) {
		/* An address is shown as itself, never as a number. */
		char *addr = url + 7;
		addr[strcspn(addr, "?")] = '\0';
		if (*addr && !text_is_url(text, tn, addr)) {
			char *s = xasprintf(" <%s>", addr);
			rc = empty ? html_text(r, s + 1, strlen(s + 1), true) : html_mark(r, s, strlen(s));
			free(s);
		}
		free(url);
		return rc;
	}
	bool skip = !r->cx->o->links || empty || !*url || url[0] == '#' ||
		    qu_str_has_prefix_ci(url, "javascript:") || text_is_url(text, tn, url);
	if (skip) {
		free(url);
		return 0;
	}
	char mark[32];
	int k = snprintf(mark, sizeof mark, "[%zu]", link_number_take(r->cx, url));
	return html_mark(r, mark, (size_t)k);
}

/* A number attribute (start, value) within a sane range, or def. */
static long
num_attr(const xmlNode *n, const char *name, long def)
{
	char *v = attr(n, name);
	long num = v ? strtol(v, NULL, 10) : def;
	html_xml_free(v);
	return num < -1000000 || num > 1000000 ? def : num;
}

/* The marker of item num of an ordered list of the given type (HTML's
 * type attribute: 1, a, A, i, I). Letters and Roman numerals only count
 * from 1; below that, and for other types, decimal. */
static void
ol_marker(char *buf, size_t cap, long num, char type)
{
	if ((type == 'a' || type == 'A') && num >= 1) {
		char tmp[16];
		size_t k = sizeof tmp;
		tmp[--k] = '\0';
		for (long v = num; v > 0 && k > 0; v = (v - 1) / 26)
			tmp[--k] = (char)((type == 'a' ? 'a' : 'A') + (v - 1) % 26);
		snprintf(buf, cap, "%s. ", tmp + k);
		return;
	}
	if ((type == 'i' || type == 'I') && num >= 1 && num < 4000) {
		static const char *const lower[] = {"m", "cm", "d", "cd", "c", "xc", "l", "xl", "x",
			"ix", "v", "iv", "i"};
		static const char *const upper[] = {"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X",
			"IX", "V", "IV", "I"};
		static const int val[] = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
		size_t k = 0;
		long v = num;
		for (size_t i = 0; i < QU_ARRAY_LEN(val); i++)
			for (; v >= val[i]; v -= val[i])
				k += (size_t)snprintf(buf + k, cap - k, "%s",
					type == 'i' ? lower[i] : upper[i]);
		snprintf(buf + k, cap - k, ". ");
		return;
	}
	snprintf(buf, cap, "%ld. ", num);
}

static int
render_list(struct html_rnd *r, const xmlNode *n, bool ordered)
{
	long num = ordered ? num_attr(n, "start", 1) : 1;
	char type = '1';
	if (ordered) {
		char *t = attr(n, "type");
		if (t && t[0] && !t[1])
			type = t[0];
		html_xml_free(t);
	}
	if (html_break(r, r->list_depth ? 1 : 2) < 0)
		return -1;
	/* A list inside an item is indented two spaces from the item's marker,
	 * whatever the marker's width ("10. "). */
	size_t outer_at = r->li_at, outer_end = r->li_end;
	bool nested = r->list_depth && r->prefix.len == r->li_end && r->li_end > r->li_at + 2;
	if (nested) {
		r->prefix.len = r->li_at + 2;
		r->prefix.data[r->prefix.len] = '\0';
	}
	r->list_depth++;
	int rc = 0;
	for (const xmlNode *c = n->children; c && rc == 0; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || !name_is(c, "li")) {
			rc = html_node(r, c);
			continue;
		}
		if (is_hidden(c))
			continue;
		char marker[32] = "* ";
		if (ordered) {
			num = num_attr(c, "value", num);
			ol_marker(marker, sizeof marker, num++, type);
		}
		if (html_break(r, 1) < 0)
			return -1;
		r->li_at = r->prefix.len;
		rc = html_push_marker(r, marker);
		r->li_end = r->prefix.len;
		if (rc == 0)
			rc = walk_children(r, c);
		if (rc == 0)
			rc = html_break(r, 1);
		html_pop_prefix(r);
	}
	r->list_depth--;
	if (rc == 0)
		rc = html_break(r, r->list_depth ? 1 : 2);
	r->li_at = outer_at;
	r->li_end = outer_end;
	while (nested && r->prefix.len < r->li_end)
		qu_buf_append_byte(&r->prefix, ' ');
	return rc;
}

static int
render_heading(struct html_rnd *r, const xmlNode *n)
{
	char level = (char)n->name[1];
	if (html_break(r, 2) < 0 || walk_children(r, n) < 0)
		return -1;
	size_t cells = 0;
	if (html_flush(r, &cells) < 0)
		return -1;
	if (cells && (level == '1' || level == '2')) {
		if (html_rule(r, level == '1' ? '=' : '-', cells) < 0)
			return -1;
	}
	return html_break(r, 2);
}

static int
render_pre(struct html_rnd *r, const xmlNode *n)
{
	if (html_break(r, 2) < 0)
		return -1;
	bool outer_wrap = r->pre_wrap;
	if (!r->pre)
		r->pre_wrap = html_xml.has_prop(n, (const xmlChar *)"wrap") || style_has(n, "pre-wrap");
	r->pre++;
	r->pre_col = 0;
	r->pre_start = true;
	int rc = walk_children(r, n);
	if (rc == 0)
		rc = html_flush(r, NULL);
	r->pre--;
	r->pre_wrap = outer_wrap;
	if (rc == 0)
		rc = html_break(r, 2);
	return rc;
}

static int
render_quote(struct html_rnd *r, const xmlNode *n)
{
	if (html_break(r, 2) < 0)
		return -1;
	html_push_prefix(r, "> ");
	int rc = walk_children(r, n);
	if (rc == 0)
		rc = html_break(r, 2);
	html_pop_prefix(r);
	return rc;
}

/* Text of a subtree too deep to walk recursively, in document order with
 * an explicit climb back up. */
static int
render_flat(struct html_rnd *r, const xmlNode *top)
{
	const xmlNode *n = top->children;
	while (n && n != top) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content && html_text(r, (const char *)n->content,
						  strlen((const char *)n->content), false) < 0)
				return -1;
		}
		bool skip = n->type == XML_ELEMENT_NODE && name_in(n, skip_tags);
		if (n->type == XML_ELEMENT_NODE && n->children && !skip) {
			n = n->children;
			continue;
		}
		while (n && n != top && !n->next)
			n = n->parent;
		if (n && n != top)
			n = n->next;
	}
	return 0;
}

/* Outlook writes every line as <p class=MsoNormal> without margins, and
 * the blank lines as paragraphs of their own (<o:p>&nbsp;</o:p>). */
static bool
is_mso_line(const xmlNode *n)
{
	char *cls = attr(n, "class");
	bool mso = cls && strstr(cls, "MsoNormal");
	html_xml_free(cls);
	return mso;
}

/* Outlook's <o:p> reaches the tree as a p inside a p, which HTML itself
 * never nests: it is inline. Looks a few levels up only. */
static bool
inside_p(const xmlNode *n)
{
	int k = 0;
	for (const xmlNode *a = n->parent; a && k < 8; a = a->parent, k++)
		if (a->type == XML_ELEMENT_NODE && name_is(a, "p"))
			return true;
	return false;
}

static const char *const line_blocks[] = {"div", "section", "article", "header", "footer",
	"nav", "aside", "main", "center", "address", "figure", "figcaption", "form",
	"fieldset", "legend", "details", "summary", "dt", "tr", "td", "th", "caption", "body",
	NULL};
static const char *const para_blocks[] = {"p", "dl", NULL};

static int
render_element(struct html_rnd *r, const xmlNode *n)
{
	if (name_in(n, skip_tags) || is_hidden(n))
		return 0;
	if (name_is(n, "br"))
		return html_text(r, "\n", 1, true);
	if (name_is(n, "img"))
		return render_img(r, n);
	if (name_is(n, "a"))
		return render_link(r, n);
	if (name_is(n, "ul") || name_is(n, "menu") || name_is(n, "dir"))
		return render_list(r, n, false);
	if (name_is(n, "ol"))
		return render_list(r, n, true);
	if (name_is(n, "pre") || name_is(n, "xmp") || name_is(n, "listing") ||
		name_is(n, "plaintext"))
		return render_pre(r, n);
	if (name_is(n, "blockquote"))
		return render_quote(r, n);
	if (name_is(n, "table"))
		return html_table(r, n);
	if (n->name && n->name[0] == 'h' && n->name[1] >= '1' && n->name[1] <= '6' &&
		!n->name[2])
		return render_heading(r, n);
	if (name_is(n, "hr")) {
		if (html_break(r, 2) < 0 || html_rule(r, '-', 0) < 0)
			return -1;
		return html_break(r, 2);
	}
	if (name_is(n, "dd")) {
		if (html_break(r, 1) < 0)
			return -1;
		html_push_prefix(r, "    ");
		int rc = walk_children(r, n);
		if (rc == 0)
			rc = html_break(r, 1);
		html_pop_prefix(r);
		return rc;
	}
	int gap = name_in(n, para_blocks) ? 2 : name_in(n, line_blocks) || name_is(n, "li") ? 1 : 0;
	if (gap == 2 && is_mso_line(n))
		gap = 1;
	if (name_is(n, "p") && inside_p(n))
		gap = 0;
	if (gap && html_break(r, gap) < 0)
		return -1;
	if (walk_children(r, n) < 0)
		return -1;
	return gap ? html_break(r, gap) : 0;
}

int
html_node(struct html_rnd *r, const xmlNode *n)
{
	switch (n->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (!n->content)
			return 0;
		return html_text(r, (const char *)n->content, strlen((const char *)n->content), false);
	case XML_ELEMENT_NODE:
		if (r->depth >= MAX_DEPTH)
			return render_flat(r, n);
		r->depth++;
		int rc = render_element(r, n);
		r->depth--;
		return rc;
	case XML_DOCUMENT_NODE:
	case XML_HTML_DOCUMENT_NODE:
		return walk_children(r, n);
	default: /* comments (and Outlook's conditional ones), processing instructions, DTD */
		return 0;
	}
}

static int
walk_children(struct html_rnd *r, const xmlNode *n)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (html_node(r, c) < 0)
			return -1;
	return 0;
}

/* ---- entry ------------------------------------------------------------ */

/* The input as the parser should see it: NULs dropped (they would end
 * libxml2's strings), CR LF and lone CR as LF, invalid UTF-8 as U+FFFD (on
 * a bad byte the parser would switch the rest of the document to
 * Latin-1). NULL when the input is clean as it is. */
static char *
clean_input(const char *p, size_t n, size_t *outlen)
{
	size_t valid = qu_utf8_valid_prefix(p, n);
	if (valid == n && !memchr(p, '\0', n) && !memchr(p, '\r', n))
		return NULL;
	struct qu_buf t, u;
	qu_buf_init(&t, SIZE_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\0')
			continue;
		if (c == '\r') {
			c = '\n';
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		}
		qu_buf_append_byte(&t, c);
	}
	qu_buf_init(&u, SIZE_MAX);
	mime_utf8_sanitize(t.data ? t.data : "", t.len, &u, NULL);
	qu_buf_clear(&t);
	return qu_buf_steal(&u, outlen);
}

int
mime_html_to_text(const char *p, size_t n, const struct mime_html_opts *o, struct qu_buf *out)
{
	static const struct mime_html_opts plain = {0};
	if (!o)
		o = &plain;
	/* Without libxml2 the reader still learns why the part is blank. */
	struct qu_err xml_err = {0};
	if (qu_dl_open(&xml_once, &xml_err) < 0)
		return qu_buf_printf(out, "[HTML not shown: %s]\n", xml_err.msg) < 0 ? -1 : 0;
	size_t cn = 0;
	char *clean = clean_input(p, n, &cn);
	if (clean) {
		p = clean;
		n = cn;
	}
	/* libxml2 takes an int length: a bigger document is cut there. */
	if (n > INT_MAX)
		n = INT_MAX;
	/* XML_PARSE_HUGE: without it the parser stops at 256 nested elements
	 * and the rest of the text is lost; its tree is freed without
	 * recursion and the walk here goes flat past MAX_DEPTH. */
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		   HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT | XML_PARSE_HUGE;
	htmlDocPtr doc = n ? html_xml.read_memory(p, (int)n, NULL, "UTF-8", opts) : NULL;
	int rc = 0;
	if (doc) {
		struct html_ctx cx = {.o = o};
		struct html_rnd r;
		html_rnd_init(&r, &cx, out, o->width > 0 ? (size_t)o->width : 0);
		rc = html_node(&r, (const xmlNode *)doc);
		if (rc == 0)
			rc = html_flush(&r, NULL);
		if (rc == 0 && cx.nlinks)
			rc = html_link_list(&r);
		html_rnd_clear(&r);
		for (size_t i = 0; i < cx.nlinks; i++)
			free(cx.links[i]);
		free(cx.links);
		free(cx.slots);
		html_xml.free_doc(doc);
	}
	free(clean);
	return rc;
}
