/*
 * Address lists (RFC 5322 §3.4 with the obsolete forms of §4.4), read as
 * real mailers write them: groups flattened, comments as names when there
 * is no display name (SPEC §7), routes dropped, missing angle brackets and
 * junk survived.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

enum tok_kind {
	T_ATOM,
	T_QUOTED,  /* span: the content; full: with the quotes */
	T_COMMENT, /* span: the content without the outer parentheses */
	T_DLIT,    /* [domain literal] */
	T_SPECIAL, /* < > @ , : ; . */
};

struct tok {
	enum tok_kind kind;
	char c;          /* the special */
	size_t start, len;
	size_t full, full_len;
	bool ws_before;  /* white space or a comment before it */
};

struct alex {
	const char *s;
	size_t n;
	struct tok *v;
	size_t nt, alloc;
	struct mime_defects *d;
	struct mime_charset_cache *cache;
	struct mime_addr_list *out;
};

static bool
is_special(char c)
{
	return c == '<' || c == '>' || c == '@' || c == ',' || c == ':' || c == ';' || c == '.';
}

static bool
ends_atom(char c)
{
	return mime_is_ws(c) || is_special(c) || c == '"' || c == '(' || c == '[';
}

static void
push(struct alex *x, enum tok_kind k, size_t st, size_t len, size_t full, size_t full_len,
	bool ws)
{
	x->v = xgrow(x->v, &x->alloc, x->nt + 1, sizeof *x->v);
	struct tok *t = &x->v[x->nt++];
	t->kind = k;
	t->c = x->s[full];
	t->start = st;
	t->len = len;
	t->full = full;
	t->full_len = full_len;
	t->ws_before = ws;
}

/* From the opening delimiter at i to its close (nested for comments);
 * returns the index after it. */
static size_t
scan_delimited(struct alex *x, size_t i, char open, char close, bool nest, bool *closed)
{
	*closed = true;
	size_t depth = 0;
	size_t j = i;
	for (; j < x->n; j++) {
		char c = x->s[j];
		if (c == '\\' && j + 1 < x->n) {
			j++;
		} else if (c == open && (nest || j == i)) {
			depth++;
		} else if (c == close && --depth == 0) {
			return j + 1;
		}
	}
	mime_defect(x->d, MIME_DEFECT_UNTERMINATED, i);
	*closed = false;
	return x->n;
}

static void
tokenize(struct alex *x)
{
	size_t i = 0;
	bool ws = false;
	while (i < x->n) {
		char c = x->s[i];
		size_t e;
		if (mime_is_ws(c)) {
			ws = true;
			i++;
			continue;
		}
		if (c == '"' || c == '(' || c == '[') {
			char close = c == '"' ? '"' : c == '(' ? ')' : ']';
			bool closed;
			e = scan_delimited(x, i, c, close, c == '(', &closed);
			size_t inner = e - i - 1 - (closed ? 1 : 0);
			enum tok_kind k = c == '"' ? T_QUOTED : c == '(' ? T_COMMENT : T_DLIT;
			push(x, k, i + 1, inner, i, e - i, ws);
			ws = k == T_COMMENT;
			i = e;
			continue;
		}
		if (is_special(c)) {
			push(x, T_SPECIAL, i, 1, i, 1, ws);
			ws = false;
			i++;
			continue;
		}
		/* An encoded word is one atom even when a mailer left a comma
		 * or another special in its Q text. */
		size_t el = mime_eword_len(x->s, x->n, i);
		e = el ? i + el : i + 1;
		while (e < x->n && !ends_atom(x->s[e]))
			e++;
		push(x, T_ATOM, i, e - i, i, e - i, ws);
		ws = false;
		i = e;
	}
}

static bool
is_sp(const struct tok *t, char c)
{
	return t->kind == T_SPECIAL && t->c == c;
}

/* Appends a quoted string's or comment's content without its escapes. */
static void
append_unescaped(struct qu_buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		qu_buf_append_byte(b, p[i]);
	}
}

/* Display name: the words as written with single spaces, quotes removed,
 * then RFC 2047 and raw 8-bit decoded; NULL when empty. */
static char *
render_phrase(struct alex *x, size_t a, size_t b)
{
	struct qu_buf raw, out;
	qu_buf_init(&raw, SIZE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	for (size_t k = a; k < b; k++) {
		const struct tok *t = &x->v[k];
		if (t->kind == T_COMMENT)
			continue;
		if (raw.len && t->ws_before)
			qu_buf_append_byte(&raw, ' ');
		if (t->kind == T_QUOTED)
			append_unescaped(&raw, x->s + t->start, t->len);
		else
			qu_buf_append(&raw, x->s + t->full, t->full_len);
	}
	mime_text_decode_into(raw.data ? raw.data : "", raw.len, &out, x->cache, x->d,
		a < x->nt ? x->v[a].full : 0);
	qu_buf_clear(&raw);
	mime_buf_trim(&out);
	if (out.len == 0) {
		qu_buf_clear(&out);
		return NULL;
	}
	return mime_buf_take_text(&out);
}

/* The first comment in [a, b) as a name (SPEC §7: `addr (Name)`). */
static char *
comment_name(struct alex *x, size_t a, size_t b)
{
	for (size_t k = a; k < b; k++) {
		const struct tok *t = &x->v[k];
		if (t->kind != T_COMMENT)
			continue;
		struct qu_buf raw, out;
		qu_buf_init(&raw, SIZE_MAX);
		qu_buf_init(&out, SIZE_MAX);
		append_unescaped(&raw, x->s + t->start, t->len);
		mime_text_decode_into(raw.data ? raw.data : "", raw.len, &out, x->cache, x->d,
			t->start);
		qu_buf_clear(&raw);
		mime_buf_trim(&out);
		if (out.len)
			return mime_buf_take_text(&out);
		qu_buf_clear(&out);
	}
	return NULL;
}

/* local@domain as written, without comments and white space. */
static char *
render_addr(struct alex *x, size_t a, size_t b)
{
	struct qu_buf raw, out;
	qu_buf_init(&raw, SIZE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	for (size_t k = a; k < b; k++) {
		const struct tok *t = &x->v[k];
		if (t->kind != T_COMMENT)
			qu_buf_append(&raw, x->s + t->full, t->full_len);
	}
	/* IDN domains stay UTF-8; other 8-bit is windows-1252 (SPEC §7). */
	mime_raw_to_utf8(raw.data ? raw.data : "", raw.len, &out, NULL);
	qu_buf_clear(&raw);
	return mime_buf_take_text(&out);
}

static void
emit(struct alex *x, char *name, char *addr)
{
	if (!name && !*addr) {
		free(addr);
		return;
	}
	struct mime_addr_list *l = x->out;
	l->v = xgrow(l->v, &l->alloc, l->n + 1, sizeof *l->v);
	l->v[l->n].name = name;
	l->v[l->n].address = addr;
	l->n++;
}

static bool
has_junk(struct alex *x, size_t a, size_t b)
{
	for (size_t k = a; k < b; k++)
		if (x->v[k].kind != T_COMMENT)
			return true;
	return false;
}

/* name <[@route,@route:]addr> [comments] */
static void
angle_mailbox(struct alex *x, size_t a, size_t lt, size_t b)
{
	size_t gt = lt + 1;
	while (gt < b && !is_sp(&x->v[gt], '>'))
		gt++;
	if (gt == b)
		mime_defect(x->d, MIME_DEFECT_UNTERMINATED, x->v[lt].full);
	size_t as = lt + 1;
	while (as < gt && x->v[as].kind == T_COMMENT)
		as++;
	if (as < gt && is_sp(&x->v[as], '@')) {
		/* obs-route (RFC 5322 §4.4): dropped. */
		size_t k = as;
		while (k < gt && !is_sp(&x->v[k], ':'))
			k++;
		if (k < gt)
			as = k + 1;
	}
	char *addr = render_addr(x, as, gt);
	size_t after = gt < b ? gt + 1 : b;
	if (has_junk(x, after, b))
		mime_defect(x->d, MIME_DEFECT_ADDR_SYNTAX, x->v[after].full);
	char *name = render_phrase(x, a, lt);
	if (!name)
		name = comment_name(x, after, b);
	emit(x, name, addr);
}

static bool
is_word(const struct tok *t)
{
	return t->kind == T_ATOM || t->kind == T_QUOTED;
}

/* The token before k in [a, k) that is no comment, or a - 1 (as SIZE_MAX
 * when a is 0). */
static size_t
prev_tok(struct alex *x, size_t a, size_t k)
{
	while (k > a) {
		k--;
		if (x->v[k].kind != T_COMMENT)
			return k;
	}
	return SIZE_MAX;
}

/* The token from k on in [k, b) that is no comment, or b. */
static size_t
next_tok(struct alex *x, size_t k, size_t b)
{
	while (k < b && x->v[k].kind == T_COMMENT)
		k++;
	return k;
}

/* addr-spec without angle brackets, maybe after a phrase. Comments and
 * white space may stand around the dots and the '@' (RFC 5322 §4.4). */
static void
bare_mailbox(struct alex *x, size_t a, size_t at, size_t b)
{
	/* Local part: words joined by dots, back from the '@'. */
	size_t ls = at;
	for (;;) {
		size_t w = prev_tok(x, a, ls);
		if (w == SIZE_MAX || !is_word(&x->v[w]))
			break;
		ls = w;
		size_t dot = prev_tok(x, a, w);
		if (dot == SIZE_MAX || !is_sp(&x->v[dot], '.'))
			break;
		ls = dot;
	}
	/* Domain: words or a literal joined by dots. */
	size_t de = at + 1;
	for (;;) {
		size_t w = next_tok(x, de, b);
		if (w == b || !(is_word(&x->v[w]) || x->v[w].kind == T_DLIT))
			break;
		de = w + 1;
		size_t dot = next_tok(x, de, b);
		size_t after = dot < b ? next_tok(x, dot + 1, b) : b;
		if (dot == b || !is_sp(&x->v[dot], '.') || after == b || !is_word(&x->v[after]))
			break;
		de = dot + 1;
	}
	char *name = NULL;
	if (has_junk(x, a, ls)) {
		mime_defect(x->d, MIME_DEFECT_ADDR_NO_ANGLE, x->v[a].full);
		name = render_phrase(x, a, ls);
	}
	if (has_junk(x, de, b))
		mime_defect(x->d, MIME_DEFECT_ADDR_SYNTAX, x->v[de].full);
	char *addr = render_addr(x, ls, de);
	if (!name)
		name = comment_name(x, de, b);
	emit(x, name, addr);
}

/* One element of the list: tokens [a, b). */
static void
mailbox(struct alex *x, size_t a, size_t b)
{
	if (!has_junk(x, a, b))
		return;
	for (size_t k = a; k < b; k++)
		if (is_sp(&x->v[k], '<')) {
			angle_mailbox(x, a, k, b);
			return;
		}
	for (size_t k = a; k < b; k++)
		if (is_sp(&x->v[k], '@')) {
			bare_mailbox(x, a, k, b);
			return;
		}
	/* No '@': a local name ("root"), or words that are no address. */
	size_t words = 0;
	for (size_t k = a + 1; k < b; k++)
		if (x->v[k].kind != T_COMMENT && x->v[k].ws_before)
			words++;
	if (words || !is_word(&x->v[a]))
		mime_defect(x->d, MIME_DEFECT_ADDR_SYNTAX, x->v[a].full);
	size_t e = a;
	while (e < b && x->v[e].kind != T_COMMENT)
		e++;
	emit(x, comment_name(x, e, b), render_addr(x, a, e));
}

static bool
group_start_ok(struct alex *x, size_t a, size_t k)
{
	for (size_t j = a; j < k; j++)
		if (is_sp(&x->v[j], '@') || is_sp(&x->v[j], '<'))
			return false;
	return true;
}

void
mime_addr_list_parse(const char *p, size_t n, struct mime_addr_list *l,
	struct mime_charset_cache *cache, struct mime_defects *d)
{
	struct qu_buf u;
	qu_buf_init(&u, SIZE_MAX);
	if (n && memchr(p, '\n', n)) {
		mime_unfold(p, n, &u);
		p = u.data;
		n = u.len;
	}
	struct alex x = {.s = p, .n = n, .d = d, .cache = cache, .out = l};
	tokenize(&x);
	size_t start = 0;
	bool angle = false;
	for (size_t k = 0; k < x.nt; k++) {
		const struct tok *t = &x.v[k];
		if (t->kind != T_SPECIAL)
			continue;
		if (t->c == '<')
			angle = true;
		else if (t->c == '>')
			angle = false;
		else if (angle)
			continue;
		else if (t->c == ',' || t->c == ';') {
			mailbox(&x, start, k);
			start = k + 1;
		} else if (t->c == ':' && group_start_ok(&x, start, k)) {
			/* A group (RFC 5322 §3.4): its name goes, its members stay. */
			start = k + 1;
		}
	}
	mailbox(&x, start, x.nt);
	free(x.v);
	qu_buf_clear(&u);
}

void
mime_addr_list_init(struct mime_addr_list *l)
{
	memset(l, 0, sizeof *l);
}

void
mime_addr_list_clear(struct mime_addr_list *l)
{
	for (size_t k = 0; k < l->n; k++) {
		free(l->v[k].name);
		free(l->v[k].address);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}
