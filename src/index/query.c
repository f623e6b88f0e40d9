/*
 * The search language of SPEC §9: a recursive-descent parser into a small
 * tree, and a compiler from that tree to an SQL expression whose every
 * value is a bound parameter. Dates stay symbolic in the tree (relative
 * ones need "now") and are resolved at compile time in local time.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

#include "index/query.h"

enum node_kind {
	N_ALL,
	N_AND,
	N_OR,
	N_NOT,
	N_FTS,    /* full text: sub is an enum fts_col */
	N_SUB,    /* case-insensitive substring: sub is an enum sub_field */
	N_FLAG,   /* sub is an enum flag */
	N_ATTACH,
	N_DATE,
	N_SIZE,
	N_FOLDER,
	N_ID,
	N_THREAD,
	N_TAGGED,
	N_DUP,
};

enum fts_col { FTS_ALL, FTS_SUBJECT, FTS_BODY, FTS_FILENAME, FTS_HEADER };
enum sub_field { SUB_FROM, SUB_TO, SUB_CC, SUB_SUBJECT };
enum flag {
	FL_UNREAD,
	FL_READ,
	FL_FLAGGED,
	FL_UNFLAGGED,
	FL_REPLIED,
	FL_DELETED,
	FL_DRAFT,
	FL_PASSED,
	FL_NEW,
	FL_OLD,
};

/* A date bound as written; resolved against "now" when compiled. */
enum qdate_kind {
	QD_NONE,   /* open end */
	QD_ABS,    /* a calendar period: year, month or day (y/mo 0: current) */
	QD_REL,    /* n units before now */
	QD_RELDAY, /* the calendar day that holds "n units before now" */
};
enum qdate_gran { QG_YEAR, QG_MONTH, QG_DAY };

struct qdate {
	enum qdate_kind kind;
	enum qdate_gran gran;
	char unit; /* d w m y */
	int y, mo, d;
	int n;
};

struct node {
	enum node_kind kind;
	int sub;
	bool prefix;  /* N_FTS: last word is a prefix */
	bool is_num;  /* N_THREAD: num, not text */
	char *text;   /* owned, NUL-terminated */
	size_t len;
	int64_t num;
	struct qdate lo, hi;
	int64_t smin, smax; /* N_SIZE, inclusive; -1 open */
	struct node **kids;
	size_t nkids, akids;
};

struct index_query {
	struct node *root;
};

/* ---- tree ------------------------------------------------------------ */

static struct node *
node_new(enum node_kind kind, int sub)
{
	struct node *nd = xcalloc(1, sizeof *nd);
	nd->kind = kind;
	nd->sub = sub;
	nd->smin = nd->smax = -1;
	return nd;
}

static struct node *
node_text(enum node_kind kind, int sub, const char *p, size_t n)
{
	struct node *nd = node_new(kind, sub);
	nd->text = xstrndup(p, n);
	nd->len = n;
	return nd;
}

static void
node_add(struct node *nd, struct node *kid)
{
	/* Flatten (a AND b) AND c into one list: deep left chains would
	 * otherwise cost recursion in every later walk. */
	if (kid->kind == nd->kind && (kid->kind == N_AND || kid->kind == N_OR)) {
		for (size_t i = 0; i < kid->nkids; i++)
			node_add(nd, kid->kids[i]);
		kid->nkids = 0;
		free(kid->kids);
		free(kid);
		return;
	}
	nd->kids = xgrow(nd->kids, &nd->akids, nd->nkids + 1, sizeof *nd->kids);
	nd->kids[nd->nkids++] = kid;
}

static void
node_free(struct node *nd)
{
	if (!nd)
		return;
	for (size_t i = 0; i < nd->nkids; i++)
		node_free(nd->kids[i]);
	free(nd->kids);
	free(nd->text);
	free(nd);
}

void
index_query_free(struct index_query *q)
{
	if (!q)
		return;
	node_free(q->root);
	free(q);
}

static bool
node_uses_fts(const struct node *nd)
{
	if (nd->kind == N_FTS)
		return true;
	for (size_t i = 0; i < nd->nkids; i++)
		if (node_uses_fts(nd->kids[i]))
			return true;
	return false;
}

bool
index_query_uses_fts(const struct index_query *q)
{
	return q && node_uses_fts(q->root);
}

/* ---- lexing ---------------------------------------------------------- */

struct parser {
	const char *s;
	size_t n;
	size_t pos;
	int depth;
	struct qu_err *err;
};

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Where a bare word ends. */
static bool
is_stop(char c)
{
	return is_ws(c) || c == '(' || c == ')' || c == '|';
}

static bool
at_end(const struct parser *p)
{
	return p->pos >= p->n;
}

static char
cur(const struct parser *p)
{
	return p->pos < p->n ? p->s[p->pos] : '\0';
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->n && is_ws(p->s[p->pos]))
		p->pos++;
}

static int
perr(struct parser *p, size_t at, const char *fmt, ...) QU_PRINTF(3, 4);

/* "position N: why", N 1-based; the end of the query is length + 1. */
static int
perr(struct parser *p, size_t at, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return qu_err_set(p->err, QU_E_USAGE, "position %zu: %s", at + 1, why);
}

static size_t
word_len(const struct parser *p, size_t from)
{
	size_t i = from;
	while (i < p->n && !is_stop(p->s[i]))
		i++;
	return i - from;
}

/* True when a keyword (AND, OR, NOT; capitals only) starts at pos. */
static bool
at_keyword(const struct parser *p, const char *kw)
{
	size_t k = strlen(kw);
	return word_len(p, p->pos) == k && memcmp(p->s + p->pos, kw, k) == 0;
}

static bool
at_or(const struct parser *p)
{
	return cur(p) == '|' || at_keyword(p, "OR");
}

/* Nothing more for the current list: end, ')' or an OR. */
static bool
at_list_end(const struct parser *p)
{
	return at_end(p) || cur(p) == ')' || at_or(p);
}

/* A quoted string at pos ('"'); "" inside stands for one quote. The
 * result is owned. Returns NULL after an error. */
static char *
read_quoted(struct parser *p, size_t *len)
{
	size_t open = p->pos;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	p->pos++;
	for (;;) {
		if (at_end(p)) {
			qu_buf_clear(&b);
			perr(p, open, "missing closing quote");
			return NULL;
		}
		char c = p->s[p->pos++];
		if (c == '"') {
			if (cur(p) != '"')
				break;
			p->pos++;
		}
		qu_buf_append_byte(&b, c);
	}
	return qu_buf_steal(&b, len);
}

/* A value after key: or a mutt pattern: quoted, or a bare word. */
static char *
read_value(struct parser *p, size_t *len, bool *quoted)
{
	*quoted = cur(p) == '"';
	if (*quoted)
		return read_quoted(p, len);
	size_t wl = word_len(p, p->pos);
	char *v = xstrndup(p->s + p->pos, wl);
	*len = wl;
	p->pos += wl;
	return v;
}

/* ---- values: dates --------------------------------------------------- */

static bool
all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int
days_in_month(int y, int mo)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[mo - 1];
}

static bool
ymd_valid(int y, int mo, int d)
{
	if (mo == 0)
		return d >= 0 && d <= 31;
	if (mo < 1 || mo > 12)
		return false;
	return d == 0 || (d >= 1 && d <= (y ? days_in_month(y, mo) : days_in_month(2000, mo)));
}

/* "7d", "2w", "3m", "1y": n units back. */
static bool
parse_rel(const char *s, size_t n, int *num, char *unit)
{
	uint64_t v;
	if (n < 2 || !strchr("dwmy", s[n - 1]) || qu_parse_u64(s, n - 1, 99999, &v) < 0)
		return false;
	*num = (int)v;
	*unit = s[n - 1];
	return true;
}

/* One end of a date: range: YYYY, YYYY-MM, YYYY-MM-DD, a relative amount,
 * today, yesterday. */
static bool
parse_iso_point(const char *s, size_t n, struct qdate *qd)
{
	memset(qd, 0, sizeof *qd);
	if (parse_rel(s, n, &qd->n, &qd->unit)) {
		qd->kind = QD_REL;
		return true;
	}
	if (qu_mem_eq_ci(s, n, "today") || qu_mem_eq_ci(s, n, "yesterday")) {
		qd->kind = QD_RELDAY;
		qd->unit = 'd';
		qd->n = n == 5 ? 0 : 1;
		return true;
	}
	if (n != 4 && n != 7 && n != 10)
		return false;
	if (!all_digits(s, 4) || (n > 4 && (s[4] != '-' || !all_digits(s + 5, 2))) ||
	    (n > 7 && (s[7] != '-' || !all_digits(s + 8, 2))))
		return false;
	qd->kind = QD_ABS;
	qd->y = atoi(s);
	qd->gran = n == 4 ? QG_YEAR : n == 7 ? QG_MONTH : QG_DAY;
	qd->mo = n > 4 ? (s[5] - '0') * 10 + (s[6] - '0') : 1;
	qd->d = n > 7 ? (s[8] - '0') * 10 + (s[9] - '0') : 1;
	return qd->y >= 1000 && ymd_valid(qd->y, qd->mo, qd->d);
}

static const char *
find_dots(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '.' && s[i + 1] == '.')
			return s + i;
	return NULL;
}

/* date:A..B, date:A.., date:..B, date:A. A lone relative amount is "since";
 * a lone period is that period. */
static bool
parse_date_range(const char *s, size_t n, struct qdate *lo, struct qdate *hi)
{
	const char *dots = find_dots(s, n);
	memset(lo, 0, sizeof *lo);
	memset(hi, 0, sizeof *hi);
	if (!dots) {
		if (!parse_iso_point(s, n, lo))
			return false;
		if (lo->kind != QD_REL)
			*hi = *lo;
		return true;
	}
	size_t ln = (size_t)(dots - s), rn = n - ln - 2;
	if (ln == 0 && rn == 0)
		return false;
	if (ln && !parse_iso_point(s, ln, lo))
		return false;
	return rn == 0 || parse_iso_point(dots + 2, rn, hi);
}

/* mutt's absolute date: DD[/MM[/[CC]YY]]; what is left out is the current
 * month and year. Two-digit years below 70 are 20YY, as mutt reads them. */
static bool
parse_mutt_abs(const char *s, size_t n, struct qdate *qd)
{
	int part[3] = {0, 0, 0};
	size_t np = 0, i = 0;
	memset(qd, 0, sizeof *qd);
	while (np < 3) {
		size_t st = i;
		while (i < n && isdigit((unsigned char)s[i]) && i - st < 4)
			i++;
		if (i == st)
			return false;
		part[np++] = atoi(s + st);
		if (np < 3 && i < n && s[i] == '/')
			i++;
		else
			break;
	}
	if (i != n || part[0] < 1 || part[0] > 31)
		return false;
	qd->kind = QD_ABS;
	qd->gran = QG_DAY;
	qd->d = part[0];
	qd->mo = part[1];
	qd->y = part[2];
	if (np == 3 && qd->y < 100)
		qd->y += qd->y < 70 ? 2000 : 1900;
	if ((np >= 2 && (qd->mo < 1 || qd->mo > 12)) || (np == 3 && qd->y < 1000))
		return false;
	return ymd_valid(qd->y, qd->mo, qd->d);
}

/* ~d: "<3d" (younger), ">1m" (older), "=1w" (that day), "A-B", "A-", "-B",
 * "A" in mutt's DD/MM/YYYY, or date:'s own ISO forms. */
static bool
parse_mutt_date(const char *s, size_t n, struct qdate *lo, struct qdate *hi)
{
	memset(lo, 0, sizeof *lo);
	memset(hi, 0, sizeof *hi);
	if (n == 0)
		return false;
	if (find_dots(s, n) || (n >= 4 && all_digits(s, 4)))
		return parse_date_range(s, n, lo, hi);
	if (s[0] == '<' || s[0] == '>' || s[0] == '=') {
		struct qdate r = {.kind = QD_REL};
		if (!parse_rel(s + 1, n - 1, &r.n, &r.unit))
			return false;
		if (s[0] == '<')
			*lo = r;
		else if (s[0] == '>')
			*hi = r;
		else {
			r.kind = QD_RELDAY;
			*lo = *hi = r;
		}
		return true;
	}
	const char *dash = memchr(s, '-', n);
	if (!dash) {
		if (!parse_mutt_abs(s, n, lo))
			return false;
		*hi = *lo;
		return true;
	}
	size_t ln = (size_t)(dash - s), rn = n - ln - 1;
	if (ln == 0 && rn == 0)
		return false;
	if (ln && !parse_mutt_abs(s, ln, lo))
		return false;
	return rn == 0 || parse_mutt_abs(dash + 1, rn, hi);
}

/* ---- values: sizes --------------------------------------------------- */

/* N with an optional k, M or G (powers of 1024, either case). */
static bool
parse_size_num(const char *s, size_t n, int64_t *out)
{
	int64_t mult = 1;
	uint64_t v;
	if (n > 0) {
		switch (s[n - 1]) {
		case 'k': case 'K': mult = 1024; n--; break;
		case 'm': case 'M': mult = 1024 * 1024; n--; break;
		case 'g': case 'G': mult = 1024 * 1024 * 1024; n--; break;
		default: break;
		}
	}
	if (qu_parse_u64(s, n, (uint64_t)(INT64_MAX / mult), &v) < 0)
		return false;
	*out = (int64_t)v * mult;
	return true;
}

/* size:>N, <N, >=N, <=N, N..M, N.., ..M, N; with sep "-" also mutt's ~z
 * forms N-M, N-, -M. */
static bool
parse_size_range(const char *s, size_t n, const char *sep, int64_t *lo, int64_t *hi)
{
	*lo = *hi = -1;
	if (n > 0 && (s[0] == '<' || s[0] == '>')) {
		bool eq = n > 1 && s[1] == '=';
		int64_t v;
		if (!parse_size_num(s + 1 + eq, n - 1 - eq, &v))
			return false;
		if (s[0] == '>')
			*lo = eq ? v : (v == INT64_MAX ? v : v + 1);
		else if (eq || v > 0)
			*hi = eq ? v : v - 1;
		else
			*lo = *hi = INT64_MAX; /* "< 0": nothing */
		return true;
	}
	size_t sl = strlen(sep);
	const char *at = NULL;
	for (size_t i = 0; i + sl <= n; i++)
		if (memcmp(s + i, sep, sl) == 0) {
			at = s + i;
			break;
		}
	if (!at) {
		if (!parse_size_num(s, n, lo))
			return false;
		*hi = *lo;
		return true;
	}
	size_t ln = (size_t)(at - s), rn = n - ln - sl;
	if (ln == 0 && rn == 0)
		return false;
	if (ln && !parse_size_num(s, ln, lo))
		return false;
	return rn == 0 || parse_size_num(at + sl, rn, hi);
}

/* ---- parser ---------------------------------------------------------- */

static struct node *parse_or(struct parser *p);

static const struct {
	const char *name;
	enum flag fl;
} is_values[] = {
	{"unread", FL_UNREAD}, {"read", FL_READ}, {"seen", FL_READ},
	{"flagged", FL_FLAGGED}, {"unflagged", FL_UNFLAGGED}, {"replied", FL_REPLIED},
	{"deleted", FL_DELETED}, {"trashed", FL_DELETED}, {"draft", FL_DRAFT},
	{"passed", FL_PASSED}, {"forwarded", FL_PASSED}, {"new", FL_NEW}, {"old", FL_OLD},
};

/* A full-text node; a bare word ending in '*' is a prefix. */
static struct node *
fts_node(struct parser *p, int col, char *v, size_t len, bool quoted, size_t at)
{
	bool prefix = false;
	if (!quoted && len > 1 && v[len - 1] == '*') {
		prefix = true;
		len--;
	}
	if (len == 0) {
		free(v);
		perr(p, at, "empty phrase");
		return NULL;
	}
	struct node *nd = node_text(N_FTS, col, v, len);
	nd->prefix = prefix;
	free(v);
	return nd;
}

static struct node *
term_is(struct parser *p, const char *v, size_t len, size_t at, bool has)
{
	if (has) {
		if (qu_mem_eq_ci(v, len, "attachment") || qu_mem_eq_ci(v, len, "attachments"))
			return node_new(N_ATTACH, 0);
		perr(p, at, "has: takes attachment");
		return NULL;
	}
	for (size_t i = 0; i < QU_ARRAY_LEN(is_values); i++)
		if (qu_mem_eq_ci(v, len, is_values[i].name))
			return node_new(N_FLAG, (int)is_values[i].fl);
	perr(p, at, "is: takes unread, read, flagged, replied, deleted, draft or new");
	return NULL;
}

static struct node *
term_id(const char *v, size_t len)
{
	if (len > 1 && v[0] == '<' && v[len - 1] == '>') {
		v++;
		len -= 2;
	}
	return node_text(N_ID, 0, v, len);
}

static struct node *
term_thread(const char *v, size_t len)
{
	struct node *nd = node_text(N_THREAD, 0, v, len);
	uint64_t t;
	if (len <= 18 && qu_parse_u64(v, len, INT64_MAX, &t) == 0) {
		nd->is_num = true;
		nd->num = (int64_t)t;
	}
	return nd;
}

enum key {
	K_FROM, K_TO, K_CC, K_SUBJECT, K_BODY, K_FILENAME, K_FOLDER, K_ID,
	K_THREAD, K_IS, K_HAS, K_DATE, K_SIZE,
};
static const char *const key_names[] = {
	"from", "to", "cc", "subject", "body", "filename", "folder", "id",
	"thread", "is", "has", "date", "size",
};

/* key:value once the key is known; v is owned and consumed. */
static struct node *
term_value(struct parser *p, enum key k, char *v, size_t len, bool quoted, size_t at)
{
	struct node *nd = NULL;
	switch (k) {
	case K_FROM: case K_TO: case K_CC:
		nd = node_text(N_SUB, k == K_FROM ? SUB_FROM : k == K_TO ? SUB_TO : SUB_CC, v,
			       len);
		break;
	case K_SUBJECT:
		return fts_node(p, FTS_SUBJECT, v, len, quoted, at);
	case K_BODY:
		return fts_node(p, FTS_BODY, v, len, quoted, at);
	case K_FILENAME:
		return fts_node(p, FTS_FILENAME, v, len, quoted, at);
	case K_FOLDER: nd = node_text(N_FOLDER, 0, v, len); break;
	case K_ID: nd = term_id(v, len); break;
	case K_THREAD: nd = term_thread(v, len); break;
	case K_IS: case K_HAS: nd = term_is(p, v, len, at, k == K_HAS); break;
	case K_DATE:
		nd = node_new(N_DATE, 0);
		if (!parse_date_range(v, len, &nd->lo, &nd->hi)) {
			node_free(nd);
			nd = NULL;
			perr(p, at, "date: takes YYYY[-MM[-DD]] or Nd/Nw/Nm/Ny, or a range A..B");
		}
		break;
	case K_SIZE:
		nd = node_new(N_SIZE, 0);
		if (!parse_size_range(v, len, "..", &nd->smin, &nd->smax)) {
			node_free(nd);
			nd = NULL;
			perr(p, at, "size: takes N[k|M|G] with <, > or a range A..B");
		}
		break;
	}
	free(v);
	return nd;
}

/* key:value, or NULL with *matched false when the word has no known key. */
static struct node *
parse_term(struct parser *p, bool *matched)
{
	size_t kl = 0;
	*matched = false;
	while (p->pos + kl < p->n && isalpha((unsigned char)p->s[p->pos + kl]))
		kl++;
	if (p->pos + kl >= p->n || p->s[p->pos + kl] != ':')
		return NULL;
	for (size_t k = 0; k < QU_ARRAY_LEN(key_names); k++) {
		if (strlen(key_names[k]) != kl || !qu_mem_eq_ci(p->s + p->pos, kl, key_names[k]))
			continue;
		*matched = true;
		p->pos += kl + 1;
		size_t at = p->pos, len;
		bool quoted;
		char *v = read_value(p, &len, &quoted);
		if (!v)
			return NULL;
		if (len == 0 && !quoted) {
			free(v);
			perr(p, at, "%s: needs a value", key_names[k]);
			return NULL;
		}
		return term_value(p, (enum key)k, v, len, quoted, at);
	}
	return NULL;
}

/* The node of a mutt pattern that takes an argument; v is owned and
 * consumed. */
static struct node *
mutt_arg_node(struct parser *p, char c, char *v, size_t len, bool quoted, size_t at)
{
	struct node *nd = NULL;
	switch (c) {
	case 'f': nd = node_text(N_SUB, SUB_FROM, v, len); break;
	case 't': nd = node_text(N_SUB, SUB_TO, v, len); break;
	case 'c': nd = node_text(N_SUB, SUB_CC, v, len); break;
	case 's': nd = node_text(N_SUB, SUB_SUBJECT, v, len); break;
	case 'b': return fts_node(p, FTS_BODY, v, len, quoted, at);
	case 'B': return fts_node(p, FTS_ALL, v, len, quoted, at);
	case 'h': return fts_node(p, FTS_HEADER, v, len, quoted, at);
	case 'i': nd = term_id(v, len); break;
	case 'd':
		nd = node_new(N_DATE, 0);
		if (!parse_mutt_date(v, len, &nd->lo, &nd->hi)) {
			node_free(nd);
			nd = NULL;
			perr(p, at, "~d takes [<>=]N[dwmy], DD/MM/YYYY[-DD/MM/YYYY] or A..B");
		}
		break;
	default: /* 'z' */
		nd = node_new(N_SIZE, 0);
		if (!parse_size_range(v, len, "-", &nd->smin, &nd->smax)) {
			node_free(nd);
			nd = NULL;
			perr(p, at, "~z takes [<>]N[kMG] or a range N-M");
		}
		break;
	}
	free(v);
	return nd;
}

/* mutt's patterns (NeoMutt's manual, "Patterns"): ~X, and for those
 * taking one, an argument right after or after white space. */
static struct node *
parse_mutt(struct parser *p)
{
	size_t at = p->pos;
	char c = p->pos + 1 < p->n ? p->s[p->pos + 1] : '\0';
	p->pos += c ? 2 : 1;
	switch (c) {
	case 'A': return node_new(N_ALL, 0);
	case 'D': return node_new(N_FLAG, FL_DELETED);
	case 'F': return node_new(N_FLAG, FL_FLAGGED);
	case 'N': return node_new(N_FLAG, FL_NEW);
	case 'O': return node_new(N_FLAG, FL_OLD);
	case 'Q': return node_new(N_FLAG, FL_REPLIED);
	case 'R': return node_new(N_FLAG, FL_READ);
	case 'U': return node_new(N_FLAG, FL_UNREAD);
	case 'T': return node_new(N_TAGGED, 0);
	case '=': return node_new(N_DUP, 0);
	case 'f': case 't': case 'c': case 's': case 'b': case 'B': case 'h': case 'd':
	case 'i': case 'z': break;
	default:
		if (c > ' ' && c < 0x7f)
			perr(p, at, "unknown pattern ~%c", c);
		else
			perr(p, at, "~ needs a pattern letter");
		return NULL;
	}
	skip_ws(p);
	size_t vat = p->pos, len;
	if (at_end(p) || is_stop(cur(p))) {
		perr(p, vat, "~%c needs an argument", c);
		return NULL;
	}
	bool quoted;
	char *v = read_value(p, &len, &quoted);
	return v ? mutt_arg_node(p, c, v, len, quoted, vat) : NULL;
}

static bool
deeper(struct parser *p, size_t at)
{
	if (++p->depth > INDEX_QUERY_MAX_DEPTH) {
		perr(p, at, "query nested more than %d deep", INDEX_QUERY_MAX_DEPTH);
		return false;
	}
	return true;
}

static struct node *
parse_group(struct parser *p)
{
	size_t open = p->pos;
	if (!deeper(p, open))
		return NULL;
	p->pos++;
	skip_ws(p);
	if (cur(p) == ')') {
		perr(p, p->pos, "empty parentheses");
		return NULL;
	}
	struct node *nd = parse_or(p);
	if (!nd)
		return NULL;
	skip_ws(p);
	if (cur(p) != ')') {
		node_free(nd);
		perr(p, p->pos, "missing closing parenthesis (opened at position %zu)", open + 1);
		return NULL;
	}
	p->pos++;
	p->depth--;
	return nd;
}

static struct node *
parse_atom(struct parser *p)
{
	size_t at = p->pos;
	char c = cur(p);
	if (c == '(')
		return parse_group(p);
	if (c == ')') {
		perr(p, at, "unexpected closing parenthesis");
		return NULL;
	}
	if (at_end(p) || at_or(p) || at_keyword(p, "AND")) {
		perr(p, at, "expected a term");
		return NULL;
	}
	if (c == '"') {
		size_t len;
		char *v = read_quoted(p, &len);
		if (!v)
			return NULL;
		return fts_node(p, FTS_ALL, v, len, true, at);
	}
	if (c == '~')
		return parse_mutt(p);
	bool matched;
	struct node *nd = parse_term(p, &matched);
	if (matched)
		return nd;
	size_t wl = word_len(p, p->pos);
	p->pos += wl;
	return fts_node(p, FTS_ALL, xstrndup(p->s + at, wl), wl, false, at);
}

static struct node *
parse_not(struct parser *p)
{
	size_t at = p->pos;
	size_t skip = 0;
	if (at_keyword(p, "NOT"))
		skip = 3;
	else if (cur(p) == '!')
		skip = 1;
	else if (cur(p) == '-') {
		/* "a - b" is more likely a typo than "a AND NOT b". */
		if (p->pos + 1 >= p->n || is_ws(p->s[p->pos + 1])) {
			perr(p, p->pos + 1, "expected a term after -");
			return NULL;
		}
		skip = 1;
	}
	if (!skip)
		return parse_atom(p);
	if (!deeper(p, at))
		return NULL;
	p->pos += skip;
	skip_ws(p);
	if (at_list_end(p) || at_keyword(p, "AND")) {
		perr(p, p->pos, "expected a term after %.*s", (int)skip, p->s + at);
		return NULL;
	}
	struct node *kid = parse_not(p);
	if (!kid)
		return NULL;
	p->depth--;
	struct node *nd = node_new(N_NOT, 0);
	node_add(nd, kid);
	return nd;
}

/* Juxtaposition and AND. */
static struct node *
parse_and(struct parser *p)
{
	struct node *first = parse_not(p), *list = NULL;
	if (!first)
		return NULL;
	for (;;) {
		skip_ws(p);
		if (at_list_end(p))
			break;
		if (at_keyword(p, "AND")) {
			p->pos += 3;
			skip_ws(p);
			if (at_list_end(p) || at_keyword(p, "AND")) {
				perr(p, p->pos, "expected a term after AND");
				goto fail;
			}
		}
		struct node *next = parse_not(p);
		if (!next)
			goto fail;
		if (!list) {
			list = node_new(N_AND, 0);
			node_add(list, first);
		}
		node_add(list, next);
	}
	return list ? list : first;
fail:
	node_free(list ? list : first);
	return NULL;
}

static struct node *
parse_or(struct parser *p)
{
	struct node *first = parse_and(p), *list = NULL;
	if (!first)
		return NULL;
	for (;;) {
		skip_ws(p);
		if (!at_or(p))
			break;
		p->pos += cur(p) == '|' ? 1 : 2;
		skip_ws(p);
		if (at_list_end(p) || at_keyword(p, "AND")) {
			perr(p, p->pos, "expected a term after OR");
			goto fail;
		}
		struct node *next = parse_and(p);
		if (!next)
			goto fail;
		if (!list) {
			list = node_new(N_OR, 0);
			node_add(list, first);
		}
		node_add(list, next);
	}
	return list ? list : first;
fail:
	node_free(list ? list : first);
	return NULL;
}

struct index_query *
index_query_parse(const char *q, size_t n, struct qu_err *err)
{
	struct parser p = {.s = q, .n = n, .err = err};
	if (n > INDEX_QUERY_MAX_LEN) {
		perr(&p, INDEX_QUERY_MAX_LEN, "query longer than %d bytes", INDEX_QUERY_MAX_LEN);
		return NULL;
	}
	const char *nul = n ? memchr(q, '\0', n) : NULL;
	if (nul) {
		perr(&p, (size_t)(nul - q), "NUL byte in query");
		return NULL;
	}
	skip_ws(&p);
	struct node *root;
	if (at_end(&p))
		root = node_new(N_ALL, 0);
	else if (!(root = parse_or(&p)))
		return NULL;
	skip_ws(&p);
	if (!at_end(&p)) {
		/* parse_or stops early only at a ')' without its '('. */
		node_free(root);
		perr(&p, p.pos, "unexpected closing parenthesis");
		return NULL;
	}
	struct index_query *iq = xmalloc(sizeof *iq);
	iq->root = root;
	return iq;
}

/* ---- dump ------------------------------------------------------------ */

static void
dump_str(struct qu_buf *b, const char *s, size_t n)
{
	qu_buf_append_byte(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			qu_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			qu_buf_printf(b, "\\x%02x", c);
		else
			qu_buf_append_byte(b, (char)c);
	}
	qu_buf_append_byte(b, '"');
}

static void
dump_date(struct qu_buf *b, const struct qdate *d)
{
	switch (d->kind) {
	case QD_NONE: qu_buf_append_str(b, ".."); break;
	case QD_REL: qu_buf_printf(b, "%d%c", d->n, d->unit); break;
	case QD_RELDAY: qu_buf_printf(b, "=%d%c", d->n, d->unit); break;
	case QD_ABS:
		if (d->y)
			qu_buf_printf(b, "%04d", d->y);
		else
			qu_buf_append_byte(b, '*');
		if (d->gran == QG_YEAR)
			break;
		if (d->mo)
			qu_buf_printf(b, "-%02d", d->mo);
		else
			qu_buf_append_str(b, "-*");
		if (d->gran == QG_DAY)
			qu_buf_printf(b, "-%02d", d->d);
		break;
	}
}

static void
dump_size(struct qu_buf *b, int64_t v)
{
	if (v < 0)
		qu_buf_append_str(b, "..");
	else
		qu_buf_printf(b, "%lld", (long long)v);
}

static const char *const fts_names[] = {"text", "subject", "body", "filename", "header"};
static const char *const sub_names[] = {"from", "to", "cc", "subject~"};
static const char *const flag_names[] = {
	"unread", "read", "flagged", "unflagged", "replied",
	"deleted", "draft", "passed", "new", "old",
};

static void
dump_node(struct qu_buf *b, const struct node *nd)
{
	static const char *const simple[] = {
		[N_ALL] = "(all)", [N_ATTACH] = "(has attachment)",
		[N_TAGGED] = "(tagged)", [N_DUP] = "(duplicate)",
	};
	switch (nd->kind) {
	case N_ALL: case N_ATTACH: case N_TAGGED: case N_DUP:
		qu_buf_append_str(b, simple[nd->kind]);
		return;
	case N_AND: case N_OR: case N_NOT:
		qu_buf_append_str(b, nd->kind == N_AND ? "(and" : nd->kind == N_OR ? "(or" : "(not");
		for (size_t i = 0; i < nd->nkids; i++) {
			qu_buf_append_byte(b, ' ');
			dump_node(b, nd->kids[i]);
		}
		break;
	case N_FTS: case N_SUB: case N_FOLDER: case N_ID: case N_THREAD:
		qu_buf_printf(b, "(%s ",
			      nd->kind == N_FTS ? fts_names[nd->sub]
			      : nd->kind == N_SUB ? sub_names[nd->sub]
			      : nd->kind == N_FOLDER ? "folder"
			      : nd->kind == N_ID ? "id" : "thread");
		if (nd->kind == N_THREAD && nd->is_num)
			qu_buf_printf(b, "%lld", (long long)nd->num);
		else
			dump_str(b, nd->text, nd->len);
		if (nd->prefix)
			qu_buf_append_str(b, " *");
		break;
	case N_FLAG: qu_buf_printf(b, "(is %s", flag_names[nd->sub]); break;
	case N_DATE:
		qu_buf_append_str(b, "(date ");
		dump_date(b, &nd->lo);
		qu_buf_append_byte(b, ' ');
		dump_date(b, &nd->hi);
		break;
	case N_SIZE:
		qu_buf_append_str(b, "(size ");
		dump_size(b, nd->smin);
		qu_buf_append_byte(b, ' ');
		dump_size(b, nd->smax);
		break;
	}
	qu_buf_append_byte(b, ')');
}

char *
index_query_dump(const struct index_query *q)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	dump_node(&b, q->root);
	return qu_buf_steal(&b, NULL);
}

/* ---- parameters ------------------------------------------------------ */

void
index_params_init(struct index_params *p)
{
	memset(p, 0, sizeof *p);
}

void
index_params_clear(struct index_params *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].s);
	free(p->v);
	index_params_init(p);
}

static struct index_param *
param_add(struct index_params *p)
{
	p->v = xgrow(p->v, &p->alloc, p->n + 1, sizeof *p->v);
	struct index_param *v = &p->v[p->n++];
	memset(v, 0, sizeof *v);
	return v;
}

static void
param_int(struct index_params *p, int64_t i)
{
	param_add(p)->i = i;
}

/* Takes ownership of s. */
static void
param_text_take(struct index_params *p, char *s, size_t len)
{
	struct index_param *v = param_add(p);
	v->is_text = true;
	v->s = s;
	v->len = len;
}

int
index_params_bind(sqlite3_stmt *st, int first_index, const struct index_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		int idx = first_index + (int)i, rc;
		const struct index_param *v = &p->v[i];
		if (v->is_text)
			rc = sqlite3_bind_text(st, idx, v->s, (int)v->len, SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_int64(st, idx, v->i);
		if (rc != SQLITE_OK)
			return -1;
	}
	return 0;
}

/* ---- compiler -------------------------------------------------------- */

struct compiler {
	struct qu_buf *w;
	struct index_params *p;
	int64_t now;
	bool full;
};

static void
emit(struct compiler *c, const char *s)
{
	if (qu_buf_append_str(c->w, s) < 0)
		c->full = true;
}

/* A node the full-text index answers alone: a text leaf, or AND/OR of
 * such. FTS5 has no unary NOT, so NOT is not one. */
static bool
fts_pure(const struct node *nd)
{
	if (nd->kind == N_FTS)
		return true;
	if (nd->kind != N_AND && nd->kind != N_OR)
		return false;
	for (size_t i = 0; i < nd->nkids; i++)
		if (!fts_pure(nd->kids[i]))
			return false;
	return true;
}

/* The FTS5 expression of a pure node. Every word is a double-quoted FTS5
 * string with its quotes doubled, so no query byte is FTS5 syntax; the
 * tokenizer splits it into a phrase. */
static void
fts_build(struct qu_buf *m, const struct node *nd)
{
	static const char *const cols[] = {
		"", "{subject} : ", "{body} : ", "{filenames} : ",
		"{subject sender recipients} : ",
	};
	if (nd->kind == N_FTS) {
		qu_buf_append_str(m, cols[nd->sub]);
		qu_buf_append_byte(m, '"');
		for (size_t i = 0; i < nd->len; i++) {
			if (nd->text[i] == '"')
				qu_buf_append_byte(m, '"');
			qu_buf_append_byte(m, nd->text[i]);
		}
		qu_buf_append_byte(m, '"');
		if (nd->prefix)
			qu_buf_append_str(m, " *");
		return;
	}
	for (size_t i = 0; i < nd->nkids; i++) {
		if (i)
			qu_buf_append_str(m, nd->kind == N_AND ? " AND " : " OR ");
		qu_buf_append_byte(m, '(');
		fts_build(m, nd->kids[i]);
		qu_buf_append_byte(m, ')');
	}
}

static void
emit_match(struct compiler *c, struct qu_buf *m)
{
	size_t len;
	emit(c, "m.id IN (SELECT rowid FROM fts WHERE fts MATCH ?)");
	char *s = qu_buf_steal(m, &len);
	param_text_take(c->p, s, len);
}

static void compile_node(struct compiler *c, const struct node *nd);

/* AND or OR. The children the full-text index answers become one MATCH
 * (one index lookup however many words); under AND, NOTs of such children
 * join it as FTS5's binary NOT. */
static void
compile_list(struct compiler *c, const struct node *nd)
{
	bool and = nd->kind == N_AND;
	size_t npure = 0, nneg = 0;
	for (size_t i = 0; i < nd->nkids; i++)
		npure += fts_pure(nd->kids[i]);
	if (and && npure)
		for (size_t i = 0; i < nd->nkids; i++)
			nneg += nd->kids[i]->kind == N_NOT && fts_pure(nd->kids[i]->kids[0]);
	bool first = true;
	emit(c, "(");
	if (npure) {
		struct qu_buf m;
		qu_buf_init(&m, SIZE_MAX);
		for (size_t i = 0; i < nneg; i++)
			qu_buf_append_byte(&m, '(');
		bool mfirst = true;
		for (size_t i = 0; i < nd->nkids; i++) {
			if (!fts_pure(nd->kids[i]))
				continue;
			qu_buf_append_str(&m, mfirst ? "(" : and ? " AND (" : " OR (");
			fts_build(&m, nd->kids[i]);
			qu_buf_append_byte(&m, ')');
			mfirst = false;
		}
		for (size_t i = 0; i < nd->nkids && nneg; i++) {
			const struct node *k = nd->kids[i];
			if (k->kind != N_NOT || !fts_pure(k->kids[0]))
				continue;
			qu_buf_append_str(&m, " NOT (");
			fts_build(&m, k->kids[0]);
			qu_buf_append_str(&m, "))");
		}
		emit_match(c, &m);
		first = false;
	}
	for (size_t i = 0; i < nd->nkids; i++) {
		const struct node *k = nd->kids[i];
		if (fts_pure(k) || (nneg && k->kind == N_NOT && fts_pure(k->kids[0])))
			continue;
		if (!first)
			emit(c, and ? " AND " : " OR ");
		compile_node(c, k);
		first = false;
	}
	emit(c, ")");
}

/* "%text%" for LIKE, with \ as the escape of %, _ and itself. */
static void
param_like(struct index_params *p, const char *s, size_t n)
{
	struct qu_buf b;
	size_t len;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_byte(&b, '%');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
			qu_buf_append_byte(&b, '\\');
		qu_buf_append_byte(&b, s[i]);
	}
	qu_buf_append_byte(&b, '%');
	char *v = qu_buf_steal(&b, &len);
	param_text_take(p, v, len);
}

static void
compile_sub(struct compiler *c, const struct node *nd)
{
	static const char *const col[] = {NULL, "m.to_list", "m.cc_list", "m.subject"};
	if (nd->sub == SUB_FROM) {
		emit(c, "(ifnull(m.from_name,'') LIKE ? ESCAPE '\\' OR "
			"ifnull(m.from_addr,'') LIKE ? ESCAPE '\\')");
		param_like(c->p, nd->text, nd->len);
		param_like(c->p, nd->text, nd->len);
		return;
	}
	emit(c, "ifnull(");
	emit(c, col[nd->sub]);
	emit(c, ",'') LIKE ? ESCAPE '\\'");
	param_like(c->p, nd->text, nd->len);
}

static void
compile_flag(struct compiler *c, enum flag fl)
{
	/* Bits of msg.flags: 1 seen, 2 flagged, 4 replied, 8 deleted, 16
	 * draft, 32 passed (Maildir's S F R T D P). */
	static const char *const sql[] = {
		[FL_UNREAD] = "(ifnull(m.flags,0) & 1) = 0",
		[FL_READ] = "(ifnull(m.flags,0) & 1) <> 0",
		[FL_FLAGGED] = "(ifnull(m.flags,0) & 2) <> 0",
		[FL_UNFLAGGED] = "(ifnull(m.flags,0) & 2) = 0",
		[FL_REPLIED] = "(ifnull(m.flags,0) & 4) <> 0",
		[FL_DELETED] = "(ifnull(m.flags,0) & 8) <> 0",
		[FL_DRAFT] = "(ifnull(m.flags,0) & 16) <> 0",
		[FL_PASSED] = "(ifnull(m.flags,0) & 32) <> 0",
		[FL_NEW] = "(ifnull(m.is_new,0) <> 0 AND (ifnull(m.flags,0) & 1) = 0)",
		[FL_OLD] = "(ifnull(m.is_new,0) = 0 AND (ifnull(m.flags,0) & 1) = 0)",
	};
	emit(c, sql[fl]);
}

static int64_t
local_mktime(struct tm *tm)
{
	tm->tm_isdst = -1;
	return (int64_t)mktime(tm);
}

/* n units before now, same wall-clock time. */
static int64_t
rel_time(int64_t now, int n, char unit, struct tm *tm)
{
	time_t t = (time_t)now;
	localtime_r(&t, tm);
	switch (unit) {
	case 'd': tm->tm_mday -= n; break;
	case 'w': tm->tm_mday -= 7 * n; break;
	case 'm': tm->tm_mon -= n; break;
	default: tm->tm_year -= n; break;
	}
	return local_mktime(tm);
}

/* The first second of a bound (lower) or the first second after it
 * (upper); false for an open end. */
static bool
date_resolve(const struct qdate *d, bool upper, int64_t now, int64_t *out)
{
	struct tm tm;
	time_t t = (time_t)now;
	switch (d->kind) {
	case QD_NONE: return false;
	case QD_REL: *out = rel_time(now, d->n, d->unit, &tm); return true;
	case QD_RELDAY:
		rel_time(now, d->n, d->unit, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_mday += upper;
		*out = local_mktime(&tm);
		return true;
	case QD_ABS:
		localtime_r(&t, &tm);
		if (d->y)
			tm.tm_year = d->y - 1900;
		if (d->mo)
			tm.tm_mon = d->mo - 1;
		tm.tm_mday = d->d;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		if (upper)
			switch (d->gran) {
			case QG_YEAR: tm.tm_year++; break;
			case QG_MONTH: tm.tm_mon++; break;
			case QG_DAY: tm.tm_mday++; break;
			}
		*out = local_mktime(&tm);
		return true;
	}
	return false;
}

static void
compile_date(struct compiler *c, const struct node *nd)
{
	int64_t t;
	/* A message without a date is in no range, and NOT of a range holds
	 * it: the expression is 0, never NULL. */
	emit(c, "(m.date IS NOT NULL");
	if (date_resolve(&nd->lo, false, c->now, &t)) {
		emit(c, " AND m.date >= ?");
		param_int(c->p, t);
	}
	if (date_resolve(&nd->hi, true, c->now, &t)) {
		emit(c, " AND m.date < ?");
		param_int(c->p, t);
	}
	emit(c, ")");
}

static void
compile_size(struct compiler *c, const struct node *nd)
{
	emit(c, "(1");
	if (nd->smin >= 0) {
		emit(c, " AND ifnull(m.size,0) >= ?");
		param_int(c->p, nd->smin);
	}
	if (nd->smax >= 0) {
		emit(c, " AND ifnull(m.size,0) <= ?");
		param_int(c->p, nd->smax);
	}
	emit(c, ")");
}

static void
compile_node(struct compiler *c, const struct node *nd)
{
	switch (nd->kind) {
	case N_ALL: emit(c, "1"); break;
	case N_AND: case N_OR: compile_list(c, nd); break;
	case N_NOT:
		/* A list brings its own parentheses; one level fewer keeps
		 * SQLite's parser stack further from its end. */
		if (nd->kids[0]->kind == N_AND || nd->kids[0]->kind == N_OR) {
			emit(c, "NOT ");
			compile_node(c, nd->kids[0]);
		} else {
			emit(c, "NOT (");
			compile_node(c, nd->kids[0]);
			emit(c, ")");
		}
		break;
	case N_FTS: {
		struct qu_buf m;
		qu_buf_init(&m, SIZE_MAX);
		fts_build(&m, nd);
		emit_match(c, &m);
		break;
	}
	case N_SUB: compile_sub(c, nd); break;
	case N_FLAG: compile_flag(c, (enum flag)nd->sub); break;
	case N_ATTACH: emit(c, "ifnull(m.has_attachment,0) <> 0"); break;
	case N_DATE: compile_date(c, nd); break;
	case N_SIZE: compile_size(c, nd); break;
	case N_FOLDER:
		emit(c, "(f.name IS ? OR f.path IS ?)");
		param_text_take(c->p, xstrndup(nd->text, nd->len), nd->len);
		param_text_take(c->p, xstrndup(nd->text, nd->len), nd->len);
		break;
	case N_ID:
		emit(c, "m.message_id IS ?");
		param_text_take(c->p, xstrndup(nd->text, nd->len), nd->len);
		break;
	case N_THREAD:
		if (nd->is_num) {
			emit(c, "m.thread IS ?");
			param_int(c->p, nd->num);
		} else {
			/* thread:<message-id>: the thread holding that message. */
			emit(c, "m.thread IN (SELECT t.thread FROM msg AS t WHERE t.message_id = ?)");
			param_text_take(c->p, xstrndup(nd->text, nd->len), nd->len);
		}
		break;
	case N_TAGGED: emit(c, "m.id IN (SELECT id FROM temp.tagged)"); break;
	case N_DUP:
		emit(c, "(ifnull(m.message_id,'') <> '' AND EXISTS (SELECT 1 FROM msg AS d "
			"WHERE d.message_id = m.message_id AND d.id <> m.id))");
		break;
	}
}

int
index_query_sql(const struct index_query *q, int64_t now, struct qu_buf *where,
		struct index_params *p, struct qu_err *err)
{
	struct compiler c = {.w = where, .p = p, .now = now};
	compile_node(&c, q->root);
	if (c.full)
		return qu_err_set(err, QU_E_USAGE, "query too long once compiled to SQL");
	return 0;
}
