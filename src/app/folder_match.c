/*
 * Limit and search patterns of a folder view: mutt's patterns on header
 * fields and flags (~f ~t ~c ~s ~C ~L ~N ~O ~R ~U ~F ~D ~T ~A ~P ~Q, with
 * ! | and parentheses) and the terms of SPEC §9 that need no message
 * text (from: to: cc: subject: is: and free words, AND OR NOT -). Strings
 * match as substrings, ignoring case unless the pattern has a capital
 * letter (mutt's smart case). Body patterns (~b ~B ~h, body:) need the
 * index and are refused with a clear message.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "app/app.h"
#include "app/folder_private.h"

enum node_kind {
	N_AND,
	N_OR,
	N_NOT,
	N_ALL,
	N_FLAG,    /* m->flags & bits (set), or the exact test below */
	N_UNREAD,  /* ~U: not seen */
	N_NEWMSG,  /* ~N: in new/ and not seen */
	N_OLD,     /* ~O: unseen, already out of new/ */
	N_READ,    /* ~R */
	N_FROM,
	N_TO,
	N_CC,
	N_SUBJECT,
	N_RECIP,   /* ~C: to or cc */
	N_ANY,     /* ~L and free words: from, to, cc or subject */
	N_NAMES,   /* the index's answer: the files' unique names (names) */
};

struct app_pattern {
	enum node_kind kind;
	unsigned bits;
	char *text;
	bool icase;
	struct app_pattern *a, *b;
	struct app_match *names; /* N_NAMES, owned */
};

/* The files of a full-text answer by Maildir unique name (the base name
 * before ":2,"), sorted: a flag change renames a file, not its unique
 * name. */
struct app_match {
	char **v;
	size_t n;
};

void
app_pattern_free(struct app_pattern *p)
{
	if (!p)
		return;
	app_pattern_free(p->a);
	app_pattern_free(p->b);
	app_match_free(p->names);
	free(p->text);
	free(p);
}

static struct app_pattern *
node(enum node_kind k, struct app_pattern *a, struct app_pattern *b)
{
	struct app_pattern *p = xcalloc(1, sizeof *p);
	p->kind = k;
	p->a = a;
	p->b = b;
	return p;
}

struct parser {
	const char *s;
	size_t pos;
	struct qu_err *err;
	bool failed;
	bool needs_index; /* failed on a term only the index answers */
	bool free_word;   /* has a free word (SPEC §9: full text) */
	bool tagged;      /* has ~T or is:tagged (known in memory only) */
};

static void
skip_ws(struct parser *ps)
{
	while (ps->s[ps->pos] == ' ' || ps->s[ps->pos] == '\t')
		ps->pos++;
}

static struct app_pattern *fail(struct parser *ps, const char *what);

/* A word or a "quoted string": up to white space or a closing
 * parenthesis. Returns an owned string; NULL at the end. */
static char *
word(struct parser *ps)
{
	skip_ws(ps);
	const char *p = ps->s + ps->pos;
	if (*p == '"' || *p == '\'') {
		const char *e = strchr(p + 1, *p);
		if (!e) {
			fail(ps, "an unclosed quote");
			return NULL;
		}
		ps->pos += (size_t)(e - p) + 1;
		return xstrndup(p + 1, (size_t)(e - p - 1));
	}
	size_t n = 0;
	while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != ')' && p[n] != '|')
		n++;
	if (!n)
		return NULL;
	ps->pos += n;
	return xstrndup(p, n);
}

static struct app_pattern *
fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		qu_err_set(ps->err, QU_E_USAGE, "bad pattern at %zu: %s", ps->pos + 1, what);
	ps->failed = true;
	return NULL;
}

static struct app_pattern *
text_node(enum node_kind k, char *text)
{
	struct app_pattern *p = node(k, NULL, NULL);
	p->text = text;
	p->icase = true;
	for (const char *c = text; *c; c++)
		if (isupper((unsigned char)*c))
			p->icase = false;
	return p;
}

static struct app_pattern *
flag_node(enum node_kind k, unsigned bits)
{
	struct app_pattern *p = node(k, NULL, NULL);
	p->bits = bits;
	return p;
}

static struct app_pattern *
tilde(struct parser *ps)
{
	char c = ps->s[ps->pos++];
	switch (c) {
	case 'A': return node(N_ALL, NULL, NULL);
	case 'N': return flag_node(N_NEWMSG, 0);
	case 'O': return flag_node(N_OLD, 0);
	case 'U': return flag_node(N_UNREAD, 0);
	case 'R': return flag_node(N_READ, 0);
	case 'F': return flag_node(N_FLAG, APP_MSG_FLAGGED);
	case 'D': return flag_node(N_FLAG, APP_MSG_DELETED);
	case 'T': ps->tagged = true; return flag_node(N_FLAG, APP_MSG_TAGGED);
	case 'Q': return flag_node(N_FLAG, APP_MSG_REPLIED);
	default: break;
	}
	enum node_kind k;
	switch (c) {
	case 'f': k = N_FROM; break;
	case 't': k = N_TO; break;
	case 'c': k = N_CC; break;
	case 's': k = N_SUBJECT; break;
	case 'C': k = N_RECIP; break;
	case 'L': k = N_ANY; break;
	case 'b': case 'B': case 'h':
		ps->needs_index = true;
		return fail(ps, "body patterns need the index");
	default:
		return fail(ps, "an unknown ~ pattern");
	}
	char *w = word(ps);
	if (!w)
		return ps->failed ? NULL : fail(ps, "a pattern without its text");
	return text_node(k, w);
}

static struct app_pattern *
is_term(struct parser *ps, const char *v)
{
	if (strcmp(v, "unread") == 0) return flag_node(N_UNREAD, 0);
	if (strcmp(v, "read") == 0) return flag_node(N_READ, 0);
	if (strcmp(v, "flagged") == 0) return flag_node(N_FLAG, APP_MSG_FLAGGED);
	if (strcmp(v, "replied") == 0) return flag_node(N_FLAG, APP_MSG_REPLIED);
	if (strcmp(v, "deleted") == 0) return flag_node(N_FLAG, APP_MSG_DELETED);
	if (strcmp(v, "tagged") == 0) return flag_node(N_FLAG, APP_MSG_TAGGED);
	return fail(ps, "an unknown is: value");
}

/* A free word, or a field:value term. */
static struct app_pattern *
term(struct parser *ps)
{
	char *w = word(ps);
	if (!w)
		return ps->failed ? NULL : fail(ps, "a missing term");
	static const struct {
		const char *prefix;
		enum node_kind kind;
	} fields[] = {
		{"from:", N_FROM}, {"to:", N_TO}, {"cc:", N_CC}, {"subject:", N_SUBJECT},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(fields); i++) {
		size_t n = strlen(fields[i].prefix);
		if (strncmp(w, fields[i].prefix, n) == 0 && w[n]) {
			char *v = xstrdup(w + n);
			free(w);
			return text_node(fields[i].kind, v);
		}
	}
	if (strcmp(w, "is:tagged") == 0)
		ps->tagged = true;
	if (strncmp(w, "is:", 3) == 0) {
		struct app_pattern *p = is_term(ps, w + 3);
		free(w);
		return p;
	}
	if (strchr(w, ':') && strncmp(w, "http", 4) != 0) {
		free(w);
		ps->needs_index = true;
		return fail(ps, "a term that needs the index");
	}
	ps->free_word = true;
	return text_node(N_ANY, w);
}

static struct app_pattern *expr(struct parser *ps);

static bool
keyword(struct parser *ps, const char *kw)
{
	size_t n = strlen(kw);
	const char *p = ps->s + ps->pos;
	if (strncmp(p, kw, n) == 0 && (p[n] == ' ' || p[n] == '\t' || p[n] == '(')) {
		ps->pos += n;
		return true;
	}
	return false;
}

static struct app_pattern *
unary(struct parser *ps)
{
	skip_ws(ps);
	char c = ps->s[ps->pos];
	if (c == '!' || (c == '-' && ps->s[ps->pos + 1] && ps->s[ps->pos + 1] != ' ')) {
		ps->pos++;
		struct app_pattern *a = unary(ps);
		return a ? node(N_NOT, a, NULL) : NULL;
	}
	if (keyword(ps, "NOT")) {
		struct app_pattern *a = unary(ps);
		return a ? node(N_NOT, a, NULL) : NULL;
	}
	if (c == '(') {
		ps->pos++;
		struct app_pattern *a = expr(ps);
		skip_ws(ps);
		if (a && ps->s[ps->pos] != ')') {
			app_pattern_free(a);
			return fail(ps, "a missing ')'");
		}
		ps->pos++;
		return a;
	}
	if (c == '~' && ps->s[ps->pos + 1]) {
		ps->pos++;
		return tilde(ps);
	}
	return term(ps);
}

/* True at "OR" followed by a separator, without taking it. */
static bool
peek_or(const struct parser *ps)
{
	const char *p = ps->s + ps->pos;
	return strncmp(p, "OR", 2) == 0 && (p[2] == ' ' || p[2] == '\t' || p[2] == '(');
}

static struct app_pattern *
and_list(struct parser *ps)
{
	struct app_pattern *a = unary(ps);
	while (a) {
		skip_ws(ps);
		char c = ps->s[ps->pos];
		if (!c || c == '|' || c == ')' || peek_or(ps))
			break;
		keyword(ps, "AND");
		struct app_pattern *b = unary(ps);
		if (!b) {
			app_pattern_free(a);
			return NULL;
		}
		a = node(N_AND, a, b);
	}
	return a;
}

static struct app_pattern *
expr(struct parser *ps)
{
	struct app_pattern *a = and_list(ps);
	while (a) {
		skip_ws(ps);
		if (ps->s[ps->pos] == '|')
			ps->pos++;
		else if (!keyword(ps, "OR"))
			break;
		struct app_pattern *b = and_list(ps);
		if (!b) {
			app_pattern_free(a);
			return NULL;
		}
		a = node(N_OR, a, b);
	}
	return a;
}

struct app_pattern *
app_pattern_parse(const char *s, struct qu_err *err)
{
	struct parser ps = {.s = s, .err = err};
	struct app_pattern *p = expr(&ps);
	skip_ws(&ps);
	if (p && ps.s[ps.pos]) {
		app_pattern_free(p);
		return fail(&ps, "text after the pattern");
	}
	if (!p && !ps.failed)
		fail(&ps, "an empty pattern");
	return p;
}

static bool
has(const char *hay, const struct app_pattern *p)
{
	if (!hay)
		return false;
	if (!p->icase)
		return strstr(hay, p->text) != NULL;
	size_t n = strlen(p->text);
	for (const char *h = hay; *h; h++)
		if (strncasecmp(h, p->text, n) == 0)
			return true;
	return n == 0;
}

bool
app_pattern_match(const struct app_pattern *p, const struct app_msg *m)
{
	unsigned f = m->flags;
	switch (p->kind) {
	case N_AND: return app_pattern_match(p->a, m) && app_pattern_match(p->b, m);
	case N_OR: return app_pattern_match(p->a, m) || app_pattern_match(p->b, m);
	case N_NOT: return !app_pattern_match(p->a, m);
	case N_ALL: return true;
	case N_FLAG: return (f & p->bits) != 0;
	case N_UNREAD: return !(f & APP_MSG_SEEN);
	case N_NEWMSG: return !(f & APP_MSG_SEEN) && (f & APP_MSG_NEW);
	case N_OLD: return !(f & APP_MSG_SEEN) && !(f & APP_MSG_NEW);
	case N_READ: return (f & APP_MSG_SEEN) != 0;
	case N_FROM: return has(m->from_name, p) || has(m->from_addr, p);
	case N_TO: return has(m->to_addr, p);
	case N_CC: return has(m->cc_addr, p);
	case N_SUBJECT: return has(m->subject, p);
	case N_RECIP: return has(m->to_addr, p) || has(m->cc_addr, p);
	case N_ANY:
		return has(m->subject, p) || has(m->from_name, p) || has(m->from_addr, p) ||
			has(m->to_addr, p) || has(m->cc_addr, p);
	case N_NAMES: return app_match_has(p->names, m->path);
	}
	return false;
}

/* ---- full-text answers from the index (folder_fts.c) ------------------ */

bool
app_pattern_needs_index(const char *s)
{
	struct qu_err err = {0};
	struct parser ps = {.s = s, .err = &err};
	struct app_pattern *p = expr(&ps);
	app_pattern_free(p);
	return ps.needs_index;
}

bool
app_pattern_full_text(const char *s)
{
	/* What app_view_limit takes as "show all". */
	if (!*s || strcmp(s, "all") == 0 || strcmp(s, ".") == 0)
		return false;
	struct qu_err err = {0};
	struct parser ps = {.s = s, .err = &err};
	struct app_pattern *p = expr(&ps);
	app_pattern_free(p);
	return !ps.failed && ps.free_word && !ps.tagged;
}

static size_t
unique_len(const char *name)
{
	const char *colon = strchr(name, ':');
	return colon ? (size_t)(colon - name) : strlen(name);
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int
cmp_unique(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	return strcmp(x, y);
}

struct app_match *
app_match_new(char **paths, size_t n)
{
	struct app_match *m = xcalloc(1, sizeof *m);
	m->v = xcalloc(n + 1, sizeof *m->v);
	for (size_t i = 0; i < n; i++) {
		const char *b = base_name(paths[i]);
		m->v[m->n++] = xstrndup(b, unique_len(b));
		free(paths[i]);
	}
	free(paths);
	qsort(m->v, m->n, sizeof *m->v, cmp_unique);
	return m;
}

void
app_match_free(struct app_match *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	free(m);
}

size_t
app_match_count(const struct app_match *m)
{
	return m->n;
}

bool
app_match_has(const struct app_match *m, const char *path)
{
	const char *b = base_name(path);
	size_t len = unique_len(b);
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(m->v[mid], b, len);
		if (c == 0 && m->v[mid][len])
			c = 1; /* longer than the name looked for */
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

struct app_pattern *
app_pattern_match_set(struct app_match *m)
{
	struct app_pattern *p = node(N_NAMES, NULL, NULL);
	p->names = m;
	return p;
}
