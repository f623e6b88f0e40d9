/*
 * Content-Type and Content-Disposition values: the type (RFC 2045 §5.1) or
 * disposition token (RFC 2183 §2), then parameters with RFC 2231 charsets
 * and continuations, and RFC 2047 words where mailers put them in plain
 * values (SPEC §7).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

/* More parameters than any real header has; the rest are ignored (it keeps
 * the joining below cheap on hostile input). */
#define PARAMS_MAX 256
/* Highest RFC 2231 section number accepted. */
#define SECTION_MAX 9999

/* One name[*N][*]=value as written. */
struct rawp {
	char name[80];
	int section;  /* -1 when none */
	bool encoded; /* a trailing '*': charset'lang'%XX (RFC 2231 §4) */
	bool used;
	const char *val; /* unquoted value, in the scratch buffer */
	size_t voff;     /* its offset there while the buffer may move */
	size_t len;
	size_t off;
};

struct pstate {
	const char *s;
	size_t n;
	size_t i;
	struct mime_defects *d;
	struct mime_charset_cache *cache;
	struct qu_buf vals; /* unquoted values, one after another */
	struct rawp *raw;
	size_t nraw;
	size_t nalloc;
	bool capped;
};

/* RFC 2045 §5.1 tspecials plus space and controls end a token. */
static bool
is_tspecial(char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL || (unsigned char)c <= ' ' ||
		(unsigned char)c >= 0x7F;
}

/* Skips white space and (nested) comments (RFC 5322 §3.2.2). */
static void
skip_cfws(struct pstate *ps)
{
	while (ps->i < ps->n) {
		char c = ps->s[ps->i];
		if (mime_is_ws(c)) {
			ps->i++;
			continue;
		}
		if (c != '(')
			return;
		size_t depth = 0;
		for (; ps->i < ps->n; ps->i++) {
			c = ps->s[ps->i];
			if (c == '\\' && ps->i + 1 < ps->n) {
				ps->i++;
			} else if (c == '(') {
				depth++;
			} else if (c == ')' && --depth == 0) {
				ps->i++;
				break;
			}
		}
		if (depth)
			mime_defect(ps->d, MIME_DEFECT_UNTERMINATED, ps->i);
	}
}

static size_t
read_token(struct pstate *ps)
{
	size_t st = ps->i;
	while (ps->i < ps->n && !is_tspecial(ps->s[ps->i]))
		ps->i++;
	return ps->i - st;
}

static char *
lower_dup(const char *p, size_t n)
{
	char *s = xstrndup(p, n);
	qu_str_lower(s);
	return s;
}

/* type "/" subtype, white space and comments allowed around the '/'. */
static char *
parse_ctype_token(struct pstate *ps)
{
	skip_cfws(ps);
	size_t ts = ps->i, tl = read_token(ps);
	skip_cfws(ps);
	if (ps->i >= ps->n || ps->s[ps->i] != '/' || tl == 0)
		return NULL;
	ps->i++;
	skip_cfws(ps);
	size_t ss = ps->i, sl = read_token(ps);
	if (sl == 0)
		return NULL;
	char *t = xasprintf("%.*s/%.*s", (int)tl, ps->s + ts, (int)sl, ps->s + ss);
	qu_str_lower(t);
	return t;
}

static void
skip_to_semicolon(struct pstate *ps)
{
	bool q = false;
	for (; ps->i < ps->n; ps->i++) {
		char c = ps->s[ps->i];
		if (c == '\\' && q && ps->i + 1 < ps->n)
			ps->i++;
		else if (c == '"')
			q = !q;
		else if (c == ';' && !q)
			return;
	}
}

/* A quoted string: only \" and \\ are escapes, so that Windows paths in
 * file names survive (other backslashes are kept as written). */
static void
read_quoted(struct pstate *ps)
{
	ps->i++;
	while (ps->i < ps->n && ps->s[ps->i] != '"') {
		char c = ps->s[ps->i];
		if (c == '\\' && ps->i + 1 < ps->n &&
			(ps->s[ps->i + 1] == '"' || ps->s[ps->i + 1] == '\\'))
			c = ps->s[++ps->i];
		qu_buf_append_byte(&ps->vals, c);
		ps->i++;
	}
	if (ps->i >= ps->n)
		mime_defect(ps->d, MIME_DEFECT_UNTERMINATED, ps->i);
	else
		ps->i++;
}

/* An unquoted value: everything up to ';' (spaces in file names happen),
 * less a trailing comment. */
static void
read_unquoted(struct pstate *ps)
{
	size_t st = ps->i;
	while (ps->i < ps->n && ps->s[ps->i] != ';')
		ps->i++;
	const char *v = ps->s + st;
	size_t l = ps->i - st;
	for (size_t k = 1; k < l; k++) {
		if (v[k] == '(' && mime_is_ws(v[k - 1])) {
			l = k;
			break;
		}
	}
	qu_mem_trim(&v, &l);
	qu_buf_append(&ps->vals, v, l);
}

/* Splits name*N* into its parts. Returns false for a bad section. */
static bool
split_name(struct rawp *r, const char *p, size_t n)
{
	r->section = -1;
	r->encoded = false;
	if (n && p[n - 1] == '*') {
		r->encoded = true;
		n--;
	}
	const char *star = memchr(p, '*', n);
	if (star && star + 1 < p + n) {
		uint64_t v;
		size_t sl = (size_t)(p + n - star - 1);
		if (qu_parse_u64(star + 1, sl, SECTION_MAX, &v) < 0)
			return false;
		r->section = (int)v;
		n = (size_t)(star - p);
	} else if (star) {
		return false;
	}
	if (n == 0 || n >= sizeof r->name)
		return false;
	for (size_t k = 0; k < n; k++)
		r->name[k] = mime_lower(p[k]);
	r->name[n] = '\0';
	return true;
}

static void
add_raw(struct pstate *ps, const char *name, size_t nl, size_t voff, size_t vlen, size_t off)
{
	if (ps->nraw == PARAMS_MAX) {
		if (!ps->capped)
			mime_defect(ps->d, MIME_DEFECT_PARAM_SYNTAX, off);
		ps->capped = true;
		return;
	}
	struct rawp r = {.off = off, .len = vlen};
	for (size_t k = 0; k < nl; k++) {
		if (is_tspecial(name[k]) && name[k] != '*') {
			mime_defect(ps->d, MIME_DEFECT_PARAM_SYNTAX, off);
			return;
		}
	}
	if (!split_name(&r, name, nl)) {
		mime_defect(ps->d, MIME_DEFECT_PARAM_BAD_RFC2231, off);
		return;
	}
	r.voff = voff;
	ps->raw = xgrow(ps->raw, &ps->nalloc, ps->nraw + 1, sizeof *ps->raw);
	ps->raw[ps->nraw++] = r;
}

/* One parameter at ps->i (after any ';'). */
static void
parse_one(struct pstate *ps)
{
	size_t off = ps->i;
	size_t ns = ps->i;
	while (ps->i < ps->n && ps->s[ps->i] != '=' && ps->s[ps->i] != ';' &&
		!mime_is_ws(ps->s[ps->i]) && ps->s[ps->i] != '(' && ps->s[ps->i] != '"')
		ps->i++;
	size_t nl = ps->i - ns;
	skip_cfws(ps);
	if (nl == 0 || ps->i >= ps->n || ps->s[ps->i] != '=') {
		mime_defect(ps->d, MIME_DEFECT_PARAM_SYNTAX, off);
		skip_to_semicolon(ps);
		return;
	}
	ps->i++;
	skip_cfws(ps);
	size_t voff = ps->vals.len;
	if (ps->i < ps->n && ps->s[ps->i] == '"') {
		read_quoted(ps);
		skip_cfws(ps);
		if (ps->i < ps->n && ps->s[ps->i] != ';') {
			mime_defect(ps->d, MIME_DEFECT_PARAM_SYNTAX, ps->i);
			skip_to_semicolon(ps);
		}
	} else {
		read_unquoted(ps);
	}
	add_raw(ps, ps->s + ns, nl, voff, ps->vals.len - voff, off);
}

static void
parse_params(struct pstate *ps)
{
	while (ps->i < ps->n) {
		skip_cfws(ps);
		if (ps->i >= ps->n)
			break;
		if (ps->s[ps->i] == ';') {
			ps->i++;
			continue;
		}
		parse_one(ps);
	}
	for (size_t k = 0; k < ps->nraw; k++)
		ps->raw[k].val = ps->vals.data ? ps->vals.data + ps->raw[k].voff : "";
}

/* RFC 2231 §4: %XX; a bad '%' is kept. */
static void
pct_decode(struct pstate *ps, const char *v, size_t n, struct qu_buf *out, size_t off)
{
	bool bad = false;
	for (size_t i = 0; i < n; i++) {
		int a = -1, b = -1;
		if (v[i] == '%') {
			a = i + 1 < n ? qu_hex_val(v[i + 1]) : -1;
			b = i + 2 < n ? qu_hex_val(v[i + 2]) : -1;
		}
		if (v[i] == '%' && a >= 0 && b >= 0) {
			qu_buf_append_byte(out, (char)((a << 4) | b));
			i += 2;
			continue;
		}
		if (v[i] == '%')
			bad = true;
		qu_buf_append_byte(out, v[i]);
	}
	if (bad)
		mime_defect(ps->d, MIME_DEFECT_PARAM_BAD_RFC2231, off);
}

/* Insertion sort by section, stable so that the first of two equal
 * numbers stays first. */
static void
sort_sections(struct rawp **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct rawp *x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1]->section > x->section) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Joins the sections of one name into bytes (and its raw value), taking
 * the charset from the first one (RFC 2231 §4.1). */
static void
join_sections(struct pstate *ps, struct rawp **v, size_t n, struct qu_buf *bytes,
	struct qu_buf *raw, char *charset, size_t cap)
{
	sort_sections(v, n);
	charset[0] = '\0';
	int expect = 0;
	for (size_t k = 0; k < n; k++) {
		struct rawp *r = v[k];
		if (k && r->section == v[k - 1]->section) {
			mime_defect(ps->d, MIME_DEFECT_PARAM_DUPLICATE, r->off);
			continue;
		}
		if (r->section != expect)
			mime_defect(ps->d, MIME_DEFECT_PARAM_MISSING_SECTION, r->off);
		expect = r->section + 1;
		qu_buf_append(raw, r->val, r->len);
		const char *val = r->val;
		size_t len = r->len;
		if (r->encoded && k == 0) {
			const char *q1 = memchr(val, '\'', len);
			const char *q2 = q1 ? memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - val)) : NULL;
			if (q2) {
				size_t cl = (size_t)(q1 - val) < cap - 1 ? (size_t)(q1 - val) : cap - 1;
				memcpy(charset, val, cl);
				charset[cl] = '\0';
				len -= (size_t)(q2 + 1 - val);
				val = q2 + 1;
			} else {
				mime_defect(ps->d, MIME_DEFECT_PARAM_BAD_RFC2231, r->off);
			}
		}
		if (r->encoded)
			pct_decode(ps, val, len, bytes, r->off);
		else
			qu_buf_append(bytes, val, len);
	}
}

static void
emit_param(struct mime_field *f, size_t *alloc, const char *name, struct qu_buf *value,
	struct qu_buf *raw)
{
	mime_buf_trim(value);
	f->params = xgrow(f->params, alloc, f->nparams + 1, sizeof *f->params);
	struct mime_param *p = &f->params[f->nparams++];
	p->name = xstrdup(name);
	p->value = mime_buf_take_text(value);
	p->raw_len = raw->len;
	p->raw = qu_buf_steal(raw, NULL);
}

/* Decides one name: RFC 2231 sections, else name*=, else the plain value
 * (with RFC 2047 words decoded). */
static void
combine_name(struct pstate *ps, size_t first, struct mime_field *f, size_t *alloc)
{
	struct rawp **secs = xcalloc(ps->nraw, sizeof *secs);
	size_t nsec = 0;
	struct rawp *star = NULL, *plain = NULL;
	const char *name = ps->raw[first].name;
	for (size_t k = first; k < ps->nraw; k++) {
		struct rawp *r = &ps->raw[k];
		if (r->used || strcmp(r->name, name) != 0)
			continue;
		r->used = true;
		if (r->section >= 0) {
			secs[nsec++] = r;
			continue;
		}
		struct rawp **slot = r->encoded ? &star : &plain;
		if (*slot)
			mime_defect(ps->d, MIME_DEFECT_PARAM_DUPLICATE, r->off);
		else
			*slot = r;
	}
	struct qu_buf bytes, raw, value;
	qu_buf_init(&bytes, SIZE_MAX);
	qu_buf_init(&raw, SIZE_MAX);
	qu_buf_init(&value, SIZE_MAX);
	char charset[64];
	if (!nsec && star) {
		star->section = 0;
		secs[nsec++] = star;
	}
	if (nsec) {
		/* name*= is section 0 of one; RFC 2231 beats a plain value. */
		join_sections(ps, secs, nsec, &bytes, &raw, charset, sizeof charset);
		mime_charset_convert(ps->cache, charset[0] ? charset : NULL,
			bytes.data ? bytes.data : "", bytes.len, &value, ps->d, false, NULL);
	} else {
		qu_buf_append(&raw, plain->val, plain->len);
		mime_text_decode_into(plain->val, plain->len, &value, ps->cache, ps->d, plain->off);
	}
	emit_param(f, alloc, name, &value, &raw);
	qu_buf_clear(&bytes);
	qu_buf_clear(&value);
	free(secs);
}

static void
parse_field(const char *p, size_t n, bool ctype, struct mime_field *out,
	struct mime_charset_cache *cache, struct mime_defects *d)
{
	struct qu_buf u;
	qu_buf_init(&u, SIZE_MAX);
	if (n && memchr(p, '\n', n)) {
		mime_unfold(p, n, &u);
		p = u.data;
		n = u.len;
	}
	struct pstate ps = {.s = p, .n = n, .d = d, .cache = cache};
	qu_buf_init(&ps.vals, SIZE_MAX);
	memset(out, 0, sizeof *out);
	if (ctype) {
		out->token = parse_ctype_token(&ps);
		if (!out->token)
			mime_defect(d, MIME_DEFECT_TYPE_SYNTAX, ps.i);
	} else {
		skip_cfws(&ps);
		size_t ts = ps.i, tl = read_token(&ps);
		out->token = tl ? lower_dup(p + ts, tl) : NULL;
	}
	skip_cfws(&ps);
	if (ps.i < ps.n && ps.s[ps.i] != ';') {
		/* "text/plain charset=x": junk, or a parameter without ';'. */
		mime_defect(d, MIME_DEFECT_PARAM_SYNTAX, ps.i);
		if (!out->token)
			skip_to_semicolon(&ps);
	}
	parse_params(&ps);
	size_t alloc = 0;
	for (size_t k = 0; k < ps.nraw; k++)
		if (!ps.raw[k].used)
			combine_name(&ps, k, out, &alloc);
	free(ps.raw);
	qu_buf_clear(&ps.vals);
	qu_buf_clear(&u);
}

void
mime_field_parse_content_type(const char *p, size_t n, struct mime_field *out,
	struct mime_charset_cache *cache, struct mime_defects *d)
{
	parse_field(p, n, true, out, cache, d);
}

void
mime_field_parse_disposition(const char *p, size_t n, struct mime_field *out,
	struct mime_charset_cache *cache, struct mime_defects *d)
{
	parse_field(p, n, false, out, cache, d);
}

void
mime_field_clear(struct mime_field *f)
{
	for (size_t k = 0; k < f->nparams; k++) {
		free(f->params[k].name);
		free(f->params[k].value);
		free(f->params[k].raw);
	}
	free(f->params);
	free(f->token);
	memset(f, 0, sizeof *f);
}

const struct mime_param *
mime_field_param(const struct mime_field *f, const char *name)
{
	for (size_t k = 0; k < f->nparams; k++)
		if (strcasecmp(f->params[k].name, name) == 0)
			return &f->params[k];
	return NULL;
}

const char *
mime_param_get(const struct mime_field *f, const char *name)
{
	const struct mime_param *p = mime_field_param(f, name);
	return p ? p->value : NULL;
}

const char *
mime_param_get_raw(const struct mime_field *f, const char *name, size_t *len)
{
	const struct mime_param *p = mime_field_param(f, name);
	if (p && len)
		*len = p->raw_len;
	return p ? p->raw : NULL;
}
