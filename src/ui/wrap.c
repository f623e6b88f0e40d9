/*
 * Pager lines: the text of a part cut into screen lines by cells, with
 * format=flowed reflowed (RFC 3676), quote depth, signature and URL spans
 * on each line, and header fields weeded the way mutt shows them.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "ui/uitext.h"

void
ui_lines_init(struct ui_lines *l)
{
	memset(l, 0, sizeof *l);
}

void
ui_lines_clear(struct ui_lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].urls);
	}
	free(l->v);
	for (size_t i = 0; i < l->nurls; i++)
		free(l->urls[i]);
	free(l->urls);
	memset(l, 0, sizeof *l);
}

/* ---- URLs ------------------------------------------------------------- */

static const char *const url_prefixes[] = {"http://", "https://", "ftp://", "mailto:", "www."};

static bool
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* RFC 3986 characters plus '%' and '#'; what a URL in running text is
 * made of. Brackets, quotes and spaces end it. */
static bool
is_url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7F && !strchr("<>\"`{}|\\^", c);
}

static size_t
count_char(const char *p, size_t n, char c)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == c;
	return k;
}

/* Drops what ends a sentence rather than the URL: trailing punctuation,
 * and a closing bracket the URL did not open ("(see http://x/y)"). The
 * bracket counts are taken once, so a run of ")))" costs linear time. */
static size_t
url_trim(const char *p, size_t start, size_t end, size_t min)
{
	size_t open_p = count_char(p + start, end - start, '(');
	size_t close_p = count_char(p + start, end - start, ')');
	size_t open_b = count_char(p + start, end - start, '[');
	size_t close_b = count_char(p + start, end - start, ']');
	while (end > min) {
		char c = p[end - 1];
		if (c == ')' && open_p < close_p)
			close_p--;
		else if (c == ']' && open_b < close_b)
			close_b--;
		else if (!strchr(".,;:!?'\"*", c))
			break;
		end--;
	}
	return end;
}

/* A URL starting at i: returns its end, or i when there is none. */
static size_t
url_at(const char *p, size_t n, size_t i)
{
	if (i > 0) {
		unsigned char b = (unsigned char)p[i - 1];
		if (is_alnum(b) || strchr("@./-_+%", b))
			return i;
	}
	for (size_t k = 0; k < QU_ARRAY_LEN(url_prefixes); k++) {
		size_t pl = strlen(url_prefixes[k]);
		if (n - i <= pl || !qu_mem_eq_ci(p + i, pl, url_prefixes[k]))
			continue;
		size_t e = i + pl;
		while (e < n && is_url_char((unsigned char)p[e]))
			e++;
		e = url_trim(p, i, e, i + pl);
		/* Something must follow the scheme; "www." needs a host. */
		if (e == i + pl || (k == 4 && !is_alnum((unsigned char)p[i + pl])))
			return i;
		return e;
	}
	return i;
}

struct ui_url *
ui_url_find(const char *p, size_t n, size_t *count)
{
	struct ui_url *v = NULL;
	size_t nv = 0, alloc = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)p[i] | 0x20;
		size_t e = (c == 'h' || c == 'f' || c == 'm' || c == 'w') ? url_at(p, n, i) : i;
		if (e == i) {
			i++;
			continue;
		}
		v = xgrow(v, &alloc, nv + 1, sizeof *v);
		v[nv].start = i;
		v[nv].end = e;
		nv++;
		i = e;
	}
	*count = nv;
	return v;
}

/* ---- lines ------------------------------------------------------------ */

struct attr {
	unsigned quote;
	bool header, signature;
};

/* A logical line being cut: its text and the URLs in it (indices into
 * the ui_lines' URL list start at url_base). */
struct logical {
	const char *t;
	size_t n;
	struct ui_url *urls;
	size_t nurls, url_base;
};

/* The first URL that ends after q (URLs are in order and do not
 * overlap), so that a line with many URLs costs no more than a short one. */
static size_t
first_url_after(const struct logical *lg, size_t q)
{
	size_t lo = 0, hi = lg->nurls;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (lg->urls[mid].end <= q)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
add_line(struct ui_lines *l, const char *prefix, size_t plen, const struct logical *lg,
	size_t from, size_t to, struct attr a, bool cont)
{
	l->v = xgrow(l->v, &l->alloc, l->n + 1, sizeof *l->v);
	struct ui_line *ln = &l->v[l->n++];
	memset(ln, 0, sizeof *ln);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append(&b, prefix, plen);
	qu_buf_append(&b, lg->t + from, to - from);
	ln->text = qu_buf_steal(&b, &ln->len);
	ln->cells = qu_utf8_cells(ln->text, ln->len);
	ln->quote = a.quote;
	ln->header = a.header;
	ln->signature = a.signature;
	ln->cont = cont;
	for (size_t i = first_url_after(lg, from); i < lg->nurls && lg->urls[i].start < to; i++) {
		size_t s = lg->urls[i].start > from ? lg->urls[i].start : from;
		size_t e = lg->urls[i].end < to ? lg->urls[i].end : to;
		if (s >= e)
			continue;
		ln->urls = xrealloc(ln->urls, (ln->nurls + 1) * sizeof *ln->urls);
		ln->urls[ln->nurls].start = plen + s - from;
		ln->urls[ln->nurls].end = plen + e - from;
		ln->urls[ln->nurls].url = lg->url_base + i;
		ln->nurls++;
	}
}

/* qu_utf8_cluster with a shortcut for the common case: printable ASCII
 * not followed by a combining mark is one byte and one cell. */
static size_t
cluster(const char *p, size_t n, size_t *w)
{
	unsigned char c = (unsigned char)p[0];
	if (c >= 0x20 && c < 0x7F && (n == 1 || (unsigned char)p[1] < 0x80)) {
		*w = 1;
		return 1;
	}
	return qu_utf8_cluster(p, n, w);
}

static bool
inside_url(const struct logical *lg, size_t q)
{
	size_t i = first_url_after(lg, q);
	return i < lg->nurls && q > lg->urls[i].start;
}

/* Where to end the line that starts at pos, to fit width cells: the last
 * break opportunity (a space, or either side of a wide CJK character;
 * never inside a URL) whose text before it, trailing spaces aside, fits.
 * Returns pos when there is none. */
static size_t
find_break(const struct logical *lg, size_t pos, size_t width)
{
	size_t best = pos, q = pos, cells = 0, content = 0;
	size_t prev_w = 0;
	bool prev_space = false;
	while (q < lg->n) {
		size_t w;
		size_t len = cluster(lg->t + q, lg->n - q, &w);
		/* A space carrying a combining mark is a character, not a gap. */
		bool space = lg->t[q] == ' ' && len == 1;
		if (q > pos && !inside_url(lg, q) &&
		    (space || prev_space || w == 2 || prev_w == 2) && content <= width)
			best = q;
		cells += w;
		if (!space)
			content = cells;
		if (content > width)
			break;
		prev_w = w;
		prev_space = space;
		q += len;
	}
	if (q >= lg->n && content <= width)
		return lg->n;
	return best;
}

/* Cuts one logical line into screen lines of at most width cells, each
 * after prefix; lines after the first also after indent. */
static void
wrap_logical(struct ui_lines *l, const char *prefix, const char *indent,
	const struct logical *lg, size_t width, struct attr a)
{
	size_t plen = strlen(prefix), ilen = strlen(indent);
	size_t pcells = qu_utf8_cells(prefix, plen), icells = qu_utf8_cells(indent, ilen);
	size_t pos = 0;
	bool first = true;
	do {
		size_t avail = width - pcells - (first ? 0 : icells);
		size_t end = find_break(lg, pos, avail);
		if (end == pos && pos < lg->n) {
			/* One word (or URL) wider than the line: cut it by
			 * cells, at least one character to move on. */
			end = pos + qu_utf8_fit(lg->t + pos, lg->n - pos, avail, NULL);
			if (end == pos) {
				size_t w;
				end = pos + qu_utf8_cluster(lg->t + pos, lg->n - pos, &w);
			}
		}
		/* Spaces at a break go; at the end of the text they are kept
		 * ("-- ", a flowed line's) as far as they fit. */
		size_t to = end;
		while (to > pos && lg->t[to - 1] == ' ' &&
		       (end < lg->n || qu_utf8_cells(lg->t + pos, to - pos) > avail))
			to--;
		if (first) {
			add_line(l, prefix, plen, lg, pos, to, a, false);
		} else {
			char *pi = xasprintf("%s%s", prefix, indent);
			add_line(l, pi, plen + ilen, lg, pos, to, a, true);
			free(pi);
		}
		pos = end;
		while (pos < lg->n && lg->t[pos] == ' ')
			pos++;
		first = false;
	} while (pos < lg->n);
}

/* Expands TABs to the next multiple of tabstop cells. */
static char *
expand_tabs(const char *p, size_t n, size_t tabstop, size_t *outlen)
{
	if (!memchr(p, '\t', n)) {
		*outlen = n;
		return xstrndup(p, n);
	}
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	size_t col = 0, i = 0;
	while (i < n) {
		if (p[i] == '\t') {
			size_t k = tabstop - col % tabstop;
			for (size_t j = 0; j < k; j++)
				qu_buf_append_byte(&b, ' ');
			col += k;
			i++;
			continue;
		}
		size_t w;
		size_t len = cluster(p + i, n - i, &w);
		qu_buf_append(&b, p + i, len);
		col += w;
		i += len;
	}
	return qu_buf_steal(&b, outlen);
}

/* Records the URLs of a logical line and cuts it. */
static void
emit_logical(struct ui_lines *l, const char *prefix, const char *indent, const char *t,
	size_t n, size_t width, size_t tabstop, struct attr a)
{
	struct logical lg;
	char *x = expand_tabs(t, n, tabstop, &lg.n);
	lg.t = x;
	lg.urls = ui_url_find(x, lg.n, &lg.nurls);
	lg.url_base = l->nurls;
	for (size_t i = 0; i < lg.nurls; i++) {
		l->urls = xgrow(l->urls, &l->urls_alloc, l->nurls + 1, sizeof *l->urls);
		l->urls[l->nurls++] = xstrndup(x + lg.urls[i].start, lg.urls[i].end - lg.urls[i].start);
	}
	/* A prefix as wide as the screen leaves no room: keep half. */
	/* Prefix and indent (ASCII) take at most half the screen and leave
	 * room for a wide character, so every line fits. */
	size_t maxp = width / 2;
	if (width >= 2 && maxp > width - 2)
		maxp = width - 2;
	const char *ind = strlen(indent) <= maxp ? indent : "";
	char *p = xstrdup(prefix);
	if (strlen(p) > maxp - strlen(ind))
		p[maxp - strlen(ind)] = 0;
	wrap_logical(l, p, ind, &lg, width, a);
	free(p);
	free(lg.urls);
	free(x);
}

/* ---- plain text and format=flowed ------------------------------------ */

struct sig_state {
	bool on;
	unsigned depth;
};

static bool
sig_update(struct sig_state *s, unsigned depth, bool separator)
{
	if (separator) {
		s->on = true;
		s->depth = depth;
	} else if (s->on && depth != s->depth) {
		s->on = false;
	}
	return s->on;
}

/* Quote depth of a plain line: leading '>' with spaces between them
 * ("> > x" is 2). Sets *body to where the text after the markers starts. */
static unsigned
plain_quote(const char *p, size_t n, size_t *body)
{
	unsigned d = 0;
	size_t i = 0;
	while (i < n && p[i] == '>') {
		d++;
		i++;
		size_t k = i;
		while (k < n && p[k] == ' ')
			k++;
		if (k < n && p[k] == '>')
			i = k;
	}
	while (d > 0 && i < n && p[i] == ' ')
		i++;
	*body = i;
	return d;
}

static void
add_plain(struct ui_lines *l, const char *s, size_t n, const struct ui_wrap_opts *o)
{
	struct sig_state sig = {false, 0};
	for (size_t i = 0;;) {
		const char *e = memchr(s + i, '\n', n - i);
		size_t len = e ? (size_t)(e - (s + i)) : n - i;
		size_t body;
		unsigned d = plain_quote(s + i, len, &body);
		bool sep = len - body == 3 && memcmp(s + i + body, "-- ", 3) == 0;
		struct attr a = {d, false, sig_update(&sig, d, sep)};
		emit_logical(l, "", "", s + i, len, o->width, o->tabstop ? o->tabstop : 8, a);
		if (!e)
			break;
		i += len + 1;
	}
}

/* One line of flowed text, taken apart (RFC 3676 §4.2-4.5). */
struct flowed_line {
	unsigned depth;
	const char *p;
	size_t n;
	bool flowed, sig;
};

static struct flowed_line
flowed_parse(const char *p, size_t n, bool delsp)
{
	struct flowed_line f = {0, p, n, false, false};
	/* §4.5: the quote depth is the number of '>' at the start. */
	while (f.n > 0 && f.p[0] == '>') {
		f.depth++;
		f.p++;
		f.n--;
	}
	/* §4.4: one space after the markers is stuffing. */
	if (f.n > 0 && f.p[0] == ' ') {
		f.p++;
		f.n--;
	}
	/* §4.3: the signature separator is never flowed. */
	f.sig = f.n == 3 && memcmp(f.p, "-- ", 3) == 0;
	f.flowed = !f.sig && f.n > 0 && f.p[f.n - 1] == ' ';
	/* §4.2: with DelSp=yes the space that marks a soft break goes. */
	if (f.flowed && delsp)
		f.n--;
	return f;
}

static void
flowed_flush(struct ui_lines *l, struct qu_buf *para, unsigned depth, bool sig_line,
	struct sig_state *sig, const struct ui_wrap_opts *o)
{
	char prefix[64];
	size_t k = depth < sizeof prefix - 2 ? depth : sizeof prefix - 2;
	memset(prefix, '>', k);
	if (k > 0 && para->len > 0)
		prefix[k++] = ' ';
	prefix[k] = 0;
	struct attr a = {depth, false, sig_update(sig, depth, sig_line)};
	emit_logical(l, prefix, "", para->data ? para->data : "", para->len, o->width,
		o->tabstop ? o->tabstop : 8, a);
	qu_buf_reset(para);
}

static void
add_flowed(struct ui_lines *l, const char *s, size_t n, const struct ui_wrap_opts *o)
{
	struct sig_state sig = {false, 0};
	struct qu_buf para;
	qu_buf_init(&para, SIZE_MAX);
	bool open = false;
	unsigned depth = 0;
	for (size_t i = 0;;) {
		const char *e = memchr(s + i, '\n', n - i);
		size_t len = e ? (size_t)(e - (s + i)) : n - i;
		struct flowed_line f = flowed_parse(s + i, len, o->delsp);
		/* §4.5: a change of depth ends a paragraph even after a
		 * flowed line; so does the signature separator (§4.3). */
		if (open && (f.depth != depth || f.sig))
			flowed_flush(l, &para, depth, false, &sig, o);
		depth = f.depth;
		qu_buf_append(&para, f.p, f.n);
		open = f.flowed;
		if (!f.flowed)
			flowed_flush(l, &para, depth, f.sig, &sig, o);
		if (!e)
			break;
		i += len + 1;
	}
	if (open)
		flowed_flush(l, &para, depth, false, &sig, o);
	qu_buf_clear(&para);
}

void
ui_lines_add_text(struct ui_lines *l, const char *p, size_t n, const struct ui_wrap_opts *o)
{
	if (n == 0)
		return;
	struct ui_wrap_opts w = *o;
	if (w.width == 0)
		w.width = 1;
	size_t sn;
	char *s = ui_text_sanitize(p, n, UI_TEXT_PAGER);
	sn = strlen(s);
	/* The LF that ends the last line opens no new one. */
	if (sn > 0 && s[sn - 1] == '\n')
		sn--;
	if (w.flowed)
		add_flowed(l, s, sn, &w);
	else
		add_plain(l, s, sn, &w);
	free(s);
}

/* ---- headers ---------------------------------------------------------- */

/* mutt's default `ignore *` and `unignore from: date subject to cc`
 * (plus its organization, x-mailer, x-newsreader, x-mailing-list,
 * posted-to and the reply-to and user-agent readers expect), in the
 * order they are shown. */
static const char *const shown_headers[] = {
	"Date", "From", "Reply-To", "To", "Cc", "Subject", "Organization", "Organisation",
	"User-Agent", "X-Mailer", "X-Newsreader", "X-Mailing-List", "Posted-To",
};

bool
ui_header_shown(const char *name)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(shown_headers); i++)
		if (qu_mem_eq_ci(name, strlen(name), shown_headers[i]))
			return true;
	return false;
}

static void
add_header(struct ui_lines *l, const struct ui_header *h, size_t width)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	const char *name = h->name ? h->name : "";
	const char *value = h->value ? h->value : "";
	ui_text_sanitize_buf(&b, name, strlen(name), UI_TEXT_FIELD);
	qu_buf_append_str(&b, ": ");
	ui_text_sanitize_buf(&b, value, strlen(value), UI_TEXT_FIELD);
	struct attr a = {0, true, false};
	emit_logical(l, "", "    ", b.data, b.len, width ? width : 1, 8, a);
	qu_buf_clear(&b);
}

void
ui_lines_add_headers(struct ui_lines *l, const struct ui_header *h, size_t n, bool weed,
	size_t width)
{
	if (!weed) {
		for (size_t i = 0; i < n; i++)
			add_header(l, &h[i], width);
		return;
	}
	for (size_t k = 0; k < QU_ARRAY_LEN(shown_headers); k++)
		for (size_t i = 0; i < n; i++)
			if (h[i].name && qu_mem_eq_ci(h[i].name, strlen(h[i].name), shown_headers[k]))
				add_header(l, &h[i], width);
}
