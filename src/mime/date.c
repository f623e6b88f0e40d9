/*
 * Dates (RFC 5322 §3.3 and the obsolete syntax of §4.3), read leniently:
 * comments and white space anywhere, optional day name and seconds, two-
 * and three-digit years, named zones; the offset written is kept (SPEC §7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

#define DTOK_MAX 24

enum dtok_kind { D_NUM, D_WORD, D_ZONE, D_COLON, D_OTHER };

struct dtok {
	enum dtok_kind kind;
	int value;     /* D_NUM, D_ZONE: the digits' value (capped) */
	int digits;    /* D_NUM, D_ZONE */
	int sign;      /* D_ZONE: +1 or -1 */
	const char *p; /* D_WORD */
	size_t len;
	size_t off;
};

struct dlex {
	struct dtok v[DTOK_MAX];
	size_t n;
	bool overflow;
};

static size_t
skip_comment(const char *p, size_t n, size_t i)
{
	size_t depth = 0;
	for (; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		else if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && --depth == 0)
			return i + 1;
	}
	return n;
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t
lex_digits(const char *p, size_t n, size_t i, struct dtok *t)
{
	t->value = 0;
	t->digits = 0;
	while (i < n && is_digit(p[i])) {
		if (t->value < 100000)
			t->value = t->value * 10 + (p[i] - '0');
		t->digits++;
		i++;
	}
	return i;
}

static void
dlex(const char *p, size_t n, struct dlex *lx)
{
	size_t i = 0;
	lx->n = 0;
	lx->overflow = false;
	while (i < n) {
		char c = p[i];
		if (mime_is_ws(c) || c == ',' || c == '.') {
			i++;
			continue;
		}
		if (c == '(') {
			i = skip_comment(p, n, i);
			continue;
		}
		if (lx->n == DTOK_MAX) {
			lx->overflow = true;
			return;
		}
		struct dtok *t = &lx->v[lx->n++];
		memset(t, 0, sizeof *t);
		t->off = i;
		if (is_digit(c)) {
			t->kind = D_NUM;
			i = lex_digits(p, n, i, t);
		} else if ((c == '+' || c == '-') && i + 1 < n && is_digit(p[i + 1])) {
			t->kind = D_ZONE;
			t->sign = c == '-' ? -1 : 1;
			i = lex_digits(p, n, i + 1, t);
		} else if (is_alpha(c)) {
			t->kind = D_WORD;
			t->p = p + i;
			while (i < n && is_alpha(p[i]))
				i++;
			t->len = (size_t)(p + i - t->p);
		} else {
			t->kind = c == ':' ? D_COLON : D_OTHER;
			i++;
		}
	}
}

static const char *const months[12] = {
	"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december",
};

/* 1-12 for "Jan" or "January" (any case), else 0. */
static int
month_of(const struct dtok *t)
{
	if (!t || t->kind != D_WORD || t->len < 3)
		return 0;
	for (int m = 0; m < 12; m++) {
		size_t ml = strlen(months[m]);
		if (t->len != 3 && t->len != ml)
			continue;
		size_t k = 0;
		while (k < t->len && mime_lower(t->p[k]) == months[m][k])
			k++;
		if (k == t->len)
			return m + 1;
	}
	return 0;
}

/* RFC 5322 §4.3 obs-zone; military zones are +00:00 as it says. Returns
 * false for an unknown name. */
static bool
named_zone(const struct dtok *t, int *off)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {
		{"ut", 0}, {"utc", 0}, {"gmt", 0}, {"z", 0},
		{"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5},
		{"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7},
	};
	for (size_t k = 0; k < QU_ARRAY_LEN(zones); k++) {
		if (qu_mem_eq_ci(t->p, t->len, zones[k].name)) {
			*off = zones[k].hours * 60;
			return true;
		}
	}
	*off = 0;
	return t->len == 1 && mime_lower(t->p[0]) != 'j';
}

struct dparse {
	struct dlex lx;
	size_t i;
	struct mime_date *out;
	struct mime_defects *d;
};

static const struct dtok *
peek(struct dparse *ps, size_t ahead)
{
	return ps->i + ahead < ps->lx.n ? &ps->lx.v[ps->i + ahead] : NULL;
}

static bool
is_kind(const struct dtok *t, enum dtok_kind k)
{
	return t && t->kind == k;
}

/* hour ":" minute [":" second] */
static bool
parse_time(struct dparse *ps)
{
	const struct dtok *h = peek(ps, 0), *c1 = peek(ps, 1), *m = peek(ps, 2);
	if (!is_kind(h, D_NUM) || !is_kind(c1, D_COLON) || !is_kind(m, D_NUM) || h->digits > 2 ||
		m->digits != 2)
		return false;
	ps->out->hour = h->value;
	ps->out->minute = m->value;
	ps->out->second = 0;
	ps->i += 3;
	const struct dtok *c2 = peek(ps, 0), *s = peek(ps, 1);
	if (is_kind(c2, D_COLON) && is_kind(s, D_NUM) && s->digits == 2) {
		ps->out->second = s->value;
		ps->i += 2;
	}
	return ps->out->hour <= 23 && ps->out->minute <= 59 && ps->out->second <= 60;
}

/* RFC 5322 §4.3: two-digit years 00-49 are 20xx, 50-99 19xx; three-digit
 * ones are +1900. */
static bool
parse_year(struct dparse *ps)
{
	const struct dtok *y = peek(ps, 0);
	if (!is_kind(y, D_NUM) || y->digits > 4)
		return false;
	int v = y->value;
	if (y->digits <= 2)
		v += v < 50 ? 2000 : 1900;
	else if (y->digits == 3)
		v += 1900;
	ps->out->year = v;
	ps->i++;
	return true;
}

/* day month year, or the asctime order month day [time] year. */
static bool
parse_day_month_year(struct dparse *ps, bool *have_time)
{
	const struct dtok *a = peek(ps, 0), *b = peek(ps, 1);
	*have_time = false;
	if (is_kind(a, D_NUM) && month_of(b)) {
		ps->out->day = a->value;
		ps->out->month = month_of(b);
		ps->i += 2;
		if (!parse_year(ps))
			return false;
	} else if (month_of(a) && is_kind(b, D_NUM)) {
		ps->out->month = month_of(a);
		ps->out->day = b->value;
		ps->i += 2;
		if (is_kind(peek(ps, 1), D_COLON)) {
			if (!parse_time(ps))
				return false;
			*have_time = true;
		}
		if (!parse_year(ps))
			return false;
	} else {
		return false;
	}
	const struct dtok *day = a->kind == D_NUM ? a : b;
	return day->digits <= 2 && ps->out->day >= 1 && ps->out->day <= 31;
}

static void
parse_zone(struct dparse *ps)
{
	const struct dtok *z = peek(ps, 0);
	struct mime_date *o = ps->out;
	o->offset = 0;
	if (is_kind(z, D_WORD) && is_kind(peek(ps, 1), D_ZONE)) {
		/* "GMT+0800": the numbers say more than the name. */
		ps->i++;
		z = peek(ps, 0);
	}
	if (!z) {
		mime_defect(ps->d, MIME_DEFECT_DATE_NO_ZONE, 0);
		return;
	}
	ps->i++;
	if (z->kind == D_WORD) {
		if (!named_zone(z, &o->offset))
			mime_defect(ps->d, MIME_DEFECT_DATE_BAD_ZONE, z->off);
		return;
	}
	if (z->kind != D_ZONE) {
		ps->i--;
		mime_defect(ps->d, MIME_DEFECT_DATE_NO_ZONE, z->off);
		return;
	}
	int hh = z->value, mm = 0;
	if (z->digits >= 3) {
		hh = z->value / 100;
		mm = z->value % 100;
	} else if (is_kind(peek(ps, 0), D_COLON) && is_kind(peek(ps, 1), D_NUM)) {
		mm = peek(ps, 1)->value; /* "+08:00" */
		ps->i += 2;
	}
	if (z->digits > 4 || hh > 23 || mm > 59) {
		mime_defect(ps->d, MIME_DEFECT_DATE_BAD_ZONE, z->off);
		return;
	}
	o->offset = z->sign * (hh * 60 + mm);
}

int
mime_date_parse(const char *p, size_t n, struct mime_date *out, struct mime_defects *d)
{
	struct dparse ps = {.out = out, .d = d};
	memset(out, 0, sizeof *out);
	dlex(p, n, &ps.lx);
	/* The day of the week is optional and not checked. */
	if (is_kind(peek(&ps, 0), D_WORD) && !month_of(peek(&ps, 0)))
		ps.i++;
	bool have_time;
	if (!parse_day_month_year(&ps, &have_time) || (!have_time && !parse_time(&ps))) {
		mime_defect(d, MIME_DEFECT_DATE_INVALID, 0);
		memset(out, 0, sizeof *out);
		return -1;
	}
	parse_zone(&ps);
	if (ps.i < ps.lx.n || ps.lx.overflow)
		mime_defect(d, MIME_DEFECT_DATE_SYNTAX, ps.i < ps.lx.n ? ps.lx.v[ps.i].off : n);
	return 0;
}

char *
mime_date_iso(const struct mime_date *t, char *buf)
{
	int off = t->offset;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	snprintf(buf, MIME_DATE_ISO_MAX, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		t->year % 10000, t->month % 100, t->day % 100, t->hour % 100, t->minute % 100,
		t->second % 100, sign, (off / 60) % 100, off % 60);
	return buf;
}

char *
mime_date_decode(const char *p, size_t n, struct mime_defects *d)
{
	struct mime_date t;
	char buf[MIME_DATE_ISO_MAX];
	if (mime_date_parse(p, n, &t, d) < 0)
		return NULL;
	return xstrdup(mime_date_iso(&t, buf));
}

int64_t
mime_date_to_unix(const struct mime_date *t)
{
	/* Days from the civil date (proleptic Gregorian). */
	int64_t y = t->year - (t->month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (t->month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + t->day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return days * 86400 + t->hour * 3600 + t->minute * 60 + t->second -
		(int64_t)t->offset * 60;
}
