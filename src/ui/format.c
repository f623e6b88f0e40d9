/*
 * mutt's index_format language over struct ui_row, every width in cells.
 *
 * Codes (as mutt's manual describes them):
 *   %a author address        %b folder              %B list, else folder
 *   %c size (1.2K)           %C row number          %d %D sent date by
 *   date_format in the sender's / the local zone    %e %E number in thread,
 *   messages in thread       %f "name <addr>"       %F author, or "To name"
 *   when from the user       %g tags                %i Message-ID
 *   %l lines                 %L "To list" for a list, else as %F
 *   %M hidden by a collapsed thread                 %n author (sender rule)
 *   %N score                 %r To list             %R Cc list
 *   %s tree prefix + subject %S one status char     %t To (recipients)
 *   %T $to_chars char        %u author's login      %v author's first name
 *   %X attachments           %y %Y X-Label          %Z three status
 *   columns (N/O/r, D, * or ! or $to_chars)
 *   %{fmt} sent date in the sender's zone (%Z there is its offset, as
 *   mail names no zone), %[fmt] in the local zone,
 *   %(fmt) arrival date in the local zone (strftime; a leading '!' that
 *   asks mutt for the C locale is dropped)
 *   %?X?then&else? (the else part optional): then when X gives text other
 *   than "" and "0"; %>X right-aligns what follows, filling with X; %*X
 *   does the same but cuts the left part first when the row is too wide;
 *   %|X fills the rest of the row with X; %% is a percent sign.
 *   Flags: '-' left-justify, '0' pad numbers with zeros, a minimum width
 *   and a .precision (maximum), both in cells.
 * status_format (ui_format_status) runs the same engine over struct
 * ui_status with mutt's %b %d %f %F %h %l %m %M %n %o %p %P %r %s %S %t %u
 * %v %V.
 * Not implemented in index_format (shown as written; ui_format_check
 * refuses them): %A,
 * %H, %I, %J, %K, %m, %O, %P, %q, %W, %x, %z, %<fmt>, nested
 * conditionals, and mutt's thread-aware variants (%Y showing a label only
 * when it differs from the parent's, 'n'/'o' for collapsed threads in %Z).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "ui/uitext.h"

#define MAX_FIELD 1024 /* caps a width or precision read from the format */

enum item_kind { IT_LITERAL, IT_CODE, IT_COND, IT_FILL, IT_BAD };

struct item {
	enum item_kind kind;
	const char *p; /* literal text, a date's strftime format, a fill char */
	size_t n;
	char code;     /* the code letter; for a fill '>', '|' or '*' */
	bool left, zero;
	size_t width, prec;
	bool has_prec;
	const char *a, *b; /* conditional branches */
	size_t an, bn;
	const char *err;
};

struct item;

/* A format language: index_format or status_format. */
struct lang {
	const char *codes;   /* the code letters it knows */
	const char *dates;   /* those taking a strftime argument up to a bracket */
	const char *numbers; /* those a '0' flag pads with zeros */
	void (*value)(struct qu_buf *v, const void *data, const struct ui_format_opts *o,
		const struct item *it);
};

/* Skips a branch of %?X?a&b? up to one of the stop characters, stepping
 * over %-codes so that "%?" and "%&" inside it are literal. */
static size_t
branch_end(const char *f, size_t n, size_t i, const char *stops)
{
	while (i < n && !strchr(stops, f[i])) {
		if (f[i] == '%' && i + 1 < n)
			i++;
		i++;
	}
	return i;
}

static size_t
parse_cond(const struct lang *lg, const char *f, size_t n, size_t i, struct item *it)
{
	/* i is at the code after "%?" */
	if (i + 1 >= n || f[i + 1] != '?') {
		it->kind = IT_BAD;
		it->err = "conditional without '?' after its code";
		return n;
	}
	it->kind = IT_COND;
	it->code = f[i];
	size_t a = i + 2, e = branch_end(f, n, a, "&?");
	it->a = f + a;
	it->an = e - a;
	it->b = "";
	it->bn = 0;
	if (e < n && f[e] == '&') {
		size_t b = e + 1;
		e = branch_end(f, n, b, "?");
		it->b = f + b;
		it->bn = e - b;
	}
	if (e >= n) {
		it->kind = IT_BAD;
		it->err = "conditional not closed by '?'";
		return n;
	}
	if (!it->code || !strchr(lg->codes, it->code) || strchr(lg->dates, it->code)) {
		it->kind = IT_BAD;
		it->err = "unknown code in conditional";
	}
	return e + 1;
}

static size_t
parse_number(const char *f, size_t n, size_t i, size_t *v)
{
	*v = 0;
	while (i < n && f[i] >= '0' && f[i] <= '9') {
		if (*v < MAX_FIELD)
			*v = *v * 10 + (size_t)(f[i] - '0');
		i++;
	}
	if (*v > MAX_FIELD)
		*v = MAX_FIELD;
	return i;
}

/* Reads one item at f[i]; returns where the next starts. */
static size_t
parse_item(const struct lang *lg, const char *f, size_t n, size_t i, struct item *it)
{
	memset(it, 0, sizeof *it);
	it->p = f + i;
	if (f[i] != '%') {
		const char *e = memchr(f + i, '%', n - i);
		it->kind = IT_LITERAL;
		it->n = e ? (size_t)(e - (f + i)) : n - i;
		return i + it->n;
	}
	size_t start = i++;
	it->kind = IT_BAD;
	it->n = 1;
	if (i >= n) {
		it->err = "'%' at the end";
		return n;
	}
	if (f[i] == '%') {
		it->kind = IT_LITERAL;
		it->p = f + i;
		return i + 1;
	}
	if (f[i] == '?')
		return parse_cond(lg, f, n, i + 1, it);
	if (f[i] == '>' || f[i] == '|' || f[i] == '*') {
		it->kind = IT_FILL;
		it->code = f[i++];
		size_t w;
		it->p = i < n ? f + i : " ";
		it->n = i < n ? qu_utf8_cluster(f + i, n - i, &w) : 1;
		return i < n ? i + it->n : n;
	}
	for (; i < n && (f[i] == '-' || f[i] == '0'); i++) {
		if (f[i] == '-')
			it->left = true;
		else
			it->zero = true;
	}
	i = parse_number(f, n, i, &it->width);
	if (i < n && f[i] == '.') {
		it->has_prec = true;
		i = parse_number(f, n, i + 1, &it->prec);
	}
	if (i >= n) {
		it->err = "code missing after '%'";
		return n;
	}
	it->code = f[i++];
	const char *close = it->code == '{' ? "}" : it->code == '[' ? "]" : it->code == '(' ? ")" : NULL;
	if (!it->code || !strchr(lg->dates, it->code))
		close = NULL;
	if (close) {
		const char *e = memchr(f + i, close[0], n - i);
		if (!e) {
			it->err = "date format not closed";
			return n;
		}
		it->p = f + i;
		it->n = (size_t)(e - (f + i));
		i = (size_t)(e - f) + 1;
	} else if (!it->code || !strchr(lg->codes, it->code)) {
		it->err = "unknown code";
		it->p = f + start;
		it->n = i - start;
		return i;
	}
	it->kind = IT_CODE;
	return i;
}

/* ---- values ----------------------------------------------------------- */

char *
ui_format_size(uint64_t size, char *buf, size_t bufsz)
{
	/* Tenths rounded with integers: no locale decimal comma. */
	uint64_t k10 = (size * 10 + 512) / 1024, m10 = (size * 10 + 524288) / 1048576;
	if (size < 1000)
		snprintf(buf, bufsz, "%u", (unsigned)size);
	else if (k10 < 100)
		snprintf(buf, bufsz, "%u.%uK", (unsigned)(k10 / 10), (unsigned)(k10 % 10));
	else if ((size + 512) / 1024 < 1000)
		snprintf(buf, bufsz, "%uK", (unsigned)((size + 512) / 1024));
	else if (m10 < 100)
		snprintf(buf, bufsz, "%u.%uM", (unsigned)(m10 / 10), (unsigned)(m10 % 10));
	else
		snprintf(buf, bufsz, "%lluM", (unsigned long long)((size + 524288) / 1048576));
	return buf;
}

static void
put_str(struct qu_buf *v, const char *s)
{
	if (s)
		ui_text_sanitize_buf(v, s, strlen(s), UI_TEXT_FIELD);
}

static void
put_date(struct qu_buf *v, const char *fmt, size_t n, time_t t, bool local, int tz)
{
	if (n > 0 && fmt[0] == '!') {
		fmt++;
		n--;
	}
	/* Mail gives the sender's zone as an offset, with no name: %Z shows
	 * the offset there. */
	struct qu_buf fb;
	qu_buf_init(&fb, SIZE_MAX);
	for (size_t i = 0; i < n; i++) {
		qu_buf_append_byte(&fb, fmt[i]);
		if (fmt[i] == '%' && i + 1 < n) {
			i++;
			qu_buf_append_byte(&fb, !local && fmt[i] == 'Z' ? 'z' : fmt[i]);
		}
	}
	char *f = qu_buf_steal(&fb, NULL);
	struct tm tm;
	/* Far beyond any mail's date, and t + tz could overflow. */
	bool ok = t < ((time_t)1 << 40) && t > -((time_t)1 << 40);
	if (ok && local) {
		ok = localtime_r(&t, &tm) != NULL;
	} else if (ok) {
		/* The sender's own zone, from the offset of its Date:. */
		time_t s = t + (time_t)tz * 60;
		ok = gmtime_r(&s, &tm) != NULL;
		tm.tm_gmtoff = (long)tz * 60;
		tm.tm_zone = "";
	}
	char out[256];
	size_t k = ok && *f ? strftime(out, sizeof out, f, &tm) : 0;
	ui_text_sanitize_buf(v, out, k, UI_TEXT_FIELD);
	free(f);
}

static void
put_sender(struct qu_buf *v, const char *name, const char *addr)
{
	char *s = ui_sender_text(name, addr);
	qu_buf_append_str(v, s);
	free(s);
}

/* %F: the author, or "To <recipient>" for the user's own mail. */
static void
put_author(struct qu_buf *v, const struct ui_row *r)
{
	if (r->from_me) {
		qu_buf_append_str(v, "To ");
		put_sender(v, r->to_name, r->to_addr);
	} else {
		put_sender(v, r->from_name, r->from_addr);
	}
}

/* %v: the first word of the name, unless the sender rule adds the
 * address, which then stays. */
static void
put_first_name(struct qu_buf *v, const char *name, const char *addr)
{
	char *s = ui_sender_text(name, addr);
	char *plain = ui_text_sanitize(name ? name : "", name ? strlen(name) : 0, UI_TEXT_FIELD);
	const char *p = plain;
	while (*p == ' ')
		p++;
	if (*p && strncmp(s, p, strlen(s)) == 0)
		qu_buf_append(v, s, strcspn(s, " "));
	else
		qu_buf_append_str(v, s);
	free(plain);
	free(s);
}

static char
status_char(const struct ui_row *r)
{
	if (r->deleted)
		return 'D';
	if (r->tagged)
		return '*';
	if (r->flagged)
		return '!';
	if (r->replied)
		return 'r';
	if (r->read)
		return ' ';
	return r->old ? 'O' : 'N';
}

static const char to_chars[] = " +TCFL";

static void
put_flags(struct qu_buf *v, const struct ui_row *r)
{
	char z[4];
	z[0] = r->read ? (r->replied ? 'r' : ' ') : (r->old ? 'O' : 'N');
	z[1] = r->deleted ? 'D' : ' ';
	z[2] = r->tagged ? '*' : r->flagged ? '!' : to_chars[r->to <= UI_TO_LIST ? r->to : 0];
	z[3] = 0;
	qu_buf_append_str(v, z);
}

/* The number codes; false when c is not one. */
static bool
number_value(const struct ui_row *r, char c, uint64_t *x)
{
	switch (c) {
	case 'C': *x = r->num; return true;
	case 'e': *x = r->thread_num; return true;
	case 'E': *x = r->thread_count; return true;
	case 'l': *x = r->lines; return true;
	case 'M': *x = r->hidden; return true;
	case 'X': *x = r->attachments; return true;
	default: return false;
	}
}

static void
value(struct qu_buf *v, const struct ui_row *r, const struct ui_format_opts *o,
	const struct item *it)
{
	const char *df = o && o->date_format ? o->date_format : "!%a, %b %d, %Y at %I:%M:%S%p %Z";
	uint64_t x;
	char tmp[32];
	if (number_value(r, it->code, &x)) {
		qu_buf_printf(v, "%llu", (unsigned long long)x);
		return;
	}
	switch (it->code) {
	case 'a': put_str(v, r->from_addr); break;
	case 'b': put_str(v, r->folder); break;
	case 'B': put_str(v, r->list_name ? r->list_name : r->folder); break;
	case 'c': qu_buf_append_str(v, ui_format_size(r->size, tmp, sizeof tmp)); break;
	case 'd': put_date(v, df, strlen(df), r->date, false, r->date_tz); break;
	case 'D': put_date(v, df, strlen(df), r->date, true, 0); break;
	case '{': put_date(v, it->p, it->n, r->date, false, r->date_tz); break;
	case '[': put_date(v, it->p, it->n, r->date, true, 0); break;
	case '(': put_date(v, it->p, it->n, r->received, true, 0); break;
	case 'f':
		if (r->from_name && *r->from_name) {
			put_str(v, r->from_name);
			qu_buf_append_str(v, " <");
			put_str(v, r->from_addr);
			qu_buf_append_byte(v, '>');
		} else {
			put_str(v, r->from_addr);
		}
		break;
	case 'F': put_author(v, r); break;
	case 'L':
		if (r->list_name && *r->list_name) {
			qu_buf_append_str(v, "To ");
			put_str(v, r->list_name);
		} else {
			put_author(v, r);
		}
		break;
	case 'g': put_str(v, r->tags); break;
	case 'i': put_str(v, r->msgid); break;
	case 'n': put_sender(v, r->from_name, r->from_addr); break;
	case 'N': qu_buf_printf(v, "%d", r->score); break;
	case 'r':
	case 't': put_str(v, r->to_list); break;
	case 'R': put_str(v, r->cc_list); break;
	case 's':
		put_str(v, r->tree);
		put_str(v, r->subject);
		break;
	case 'S': qu_buf_append_byte(v, status_char(r)); break;
	case 'T': qu_buf_append_byte(v, to_chars[r->to <= UI_TO_LIST ? r->to : 0]); break;
	case 'u':
		if (r->from_addr)
			ui_text_sanitize_buf(v, r->from_addr, strcspn(r->from_addr, "@"), UI_TEXT_FIELD);
		break;
	case 'v':
		if (r->from_me)
			put_first_name(v, r->to_name, r->to_addr);
		else
			put_first_name(v, r->from_name, r->from_addr);
		break;
	case 'y':
	case 'Y': put_str(v, r->label); break;
	case 'Z': put_flags(v, r); break;
	default: break;
	}
}

/* ---- layout ----------------------------------------------------------- */

struct ctx {
	const struct lang *lang;
	const void *data;
	const struct ui_format_opts *o;
};

static void
pad_with(struct qu_buf *out, const char *c, size_t cn, size_t cells)
{
	/* A fill character the sanitiser would change (a control, a lone
	 * mark, a bad byte) is a space. */
	char *safe = ui_text_sanitize(c, cn, UI_TEXT_FIELD);
	if (strlen(safe) != cn || memcmp(safe, c, cn) != 0) {
		c = " ";
		cn = 1;
	}
	free(safe);
	size_t w = qu_utf8_cells(c, cn);
	/* A fill character that takes no cell or two would miss the edge:
	 * spaces make up the rest. */
	if (w == 1) {
		for (size_t i = 0; i < cells; i++)
			qu_buf_append(out, c, cn);
		return;
	}
	for (; w > 0 && cells >= w; cells -= w)
		qu_buf_append(out, c, cn);
	for (; cells > 0; cells--)
		qu_buf_append_byte(out, ' ');
}

static void
put_code(struct qu_buf *out, const struct ctx *c, const struct item *it)
{
	struct qu_buf v;
	qu_buf_init(&v, SIZE_MAX);
	c->lang->value(&v, c->data, c->o, it);
	const char *s = v.data ? v.data : "";
	size_t len = v.len;
	struct qu_buf cut;
	qu_buf_init(&cut, SIZE_MAX);
	if (it->has_prec && qu_utf8_cells(s, len) > it->prec) {
		ui_text_fit_buf(&cut, s, len, it->prec, false, c->o ? c->o->marker : NULL);
		s = cut.data;
		len = cut.len;
	}
	size_t w = qu_utf8_cells(s, len);
	size_t gap = it->width > w ? it->width - w : 0;
	if (it->left) {
		qu_buf_append(out, s, len);
		pad_with(out, " ", 1, gap);
	} else {
		bool zeros = it->zero && strchr(c->lang->numbers, it->code);
		pad_with(out, zeros ? "0" : " ", 1, gap);
		qu_buf_append(out, s, len);
	}
	qu_buf_clear(&cut);
	qu_buf_clear(&v);
}

static bool
cond_true(const struct ctx *c, char code)
{
	struct item probe;
	memset(&probe, 0, sizeof probe);
	probe.kind = IT_CODE;
	probe.code = code;
	struct qu_buf v;
	qu_buf_init(&v, SIZE_MAX);
	c->lang->value(&v, c->data, c->o, &probe);
	bool t = v.len > 0 && strcmp(v.data, "0") != 0;
	qu_buf_clear(&v);
	return t;
}

static void format_level(struct qu_buf *out, const struct ctx *c, const char *f, size_t n,
	size_t width, unsigned depth);

/* %>X, %*X, %|X: out[start..] is the left part, f[i..] the rest. */
static void
do_fill(struct qu_buf *out, size_t start, const struct ctx *c, const struct item *it,
	const char *rest, size_t rn, size_t width, unsigned depth)
{
	size_t lc = qu_utf8_cells(out->data ? out->data + start : "", out->len - start);
	if (it->code == '|') {
		if (lc < width)
			pad_with(out, it->p, it->n, width - lc);
		return;
	}
	struct qu_buf right;
	qu_buf_init(&right, SIZE_MAX);
	format_level(&right, c, rest, rn, width, depth + 1);
	const char *rs = right.data ? right.data : "";
	size_t rc = qu_utf8_cells(rs, right.len);
	if (lc + rc <= width) {
		pad_with(out, it->p, it->n, width - lc - rc);
		qu_buf_append(out, rs, right.len);
	} else if (it->code == '>' || rc >= width) {
		/* %>: the left part wins; %* when the right alone is too wide. */
		if (it->code == '*') {
			out->len = start;
			lc = 0;
		}
		if (lc < width)
			ui_text_fit_buf(out, rs, right.len, width - lc, false, NULL);
	} else {
		/* %*: the right part stays whole, the left is cut to make room. */
		char *left = xstrndup(out->data + start, out->len - start);
		out->len = start;
		ui_text_fit_buf(out, left, strlen(left), width - rc, true, NULL);
		qu_buf_append(out, rs, right.len);
		free(left);
	}
	qu_buf_clear(&right);
}

static void
format_level(struct qu_buf *out, const struct ctx *c, const char *f, size_t n, size_t width,
	unsigned depth)
{
	size_t start = out->len;
	size_t i = 0;
	while (i < n) {
		struct item it;
		size_t next = parse_item(c->lang, f, n, i, &it);
		switch (it.kind) {
		case IT_LITERAL:
			ui_text_sanitize_buf(out, it.p, it.n, UI_TEXT_FIELD);
			break;
		case IT_BAD:
			ui_text_sanitize_buf(out, f + i, next - i, UI_TEXT_FIELD);
			break;
		case IT_CODE:
			put_code(out, c, &it);
			break;
		case IT_COND:
			/* Branches hold codes, not further conditionals (mutt's
			 * syntax cannot close them); depth bounds it anyway. */
			if (depth < 4) {
				bool t = cond_true(c, it.code);
				format_level(out, c, t ? it.a : it.b, t ? it.an : it.bn, width, depth + 1);
			}
			break;
		case IT_FILL:
			if (depth < 4)
				do_fill(out, start, c, &it, f + next, n - next, width, depth);
			return;
		}
		i = next;
	}
}

static size_t
format_run(struct qu_buf *out, const struct lang *lg, const char *fmt, const void *data,
	const struct ui_format_opts *o, size_t width)
{
	struct ctx c = {lg, data, o};
	struct qu_buf tmp;
	qu_buf_init(&tmp, SIZE_MAX);
	format_level(&tmp, &c, fmt, strlen(fmt), width, 0);
	size_t w = ui_text_fit_buf(out, tmp.data ? tmp.data : "", tmp.len, width, true, NULL);
	qu_buf_clear(&tmp);
	return w;
}

static int
check_lang(const struct lang *lg, const char *fmt, struct qu_err *err)
{
	size_t n = strlen(fmt);
	for (size_t i = 0; i < n;) {
		struct item it;
		size_t next = parse_item(lg, fmt, n, i, &it);
		if (it.kind == IT_BAD) {
			char *shown = ui_text_sanitize(fmt + i, next - i, UI_TEXT_FIELD);
			qu_err_set(err, QU_E_CONFIG, "%s \"%s\" at offset %zu", it.err, shown, i);
			free(shown);
			return -1;
		}
		if (it.kind == IT_COND) {
			/* Branches are checked as formats of their own. */
			char *a = xstrndup(it.a, it.an), *b = xstrndup(it.b, it.bn);
			int ra = check_lang(lg, a, err), rb = ra == 0 ? check_lang(lg, b, err) : 0;
			free(a);
			free(b);
			if (ra < 0 || rb < 0)
				return qu_err_prefix(err, "in the conditional at offset %zu", i);
		}
		i = next;
	}
	return 0;
}

static void
index_value(struct qu_buf *v, const void *data, const struct ui_format_opts *o,
	const struct item *it)
{
	value(v, data, o, it);
}

static const struct lang index_lang = {
	"abBcCdDeEfFgiLlMnNrRsStTuvXyYZ{[(", "{[(", "CeElMNX", index_value,
};

size_t
ui_format_index(struct qu_buf *out, const char *fmt, const struct ui_row *row,
	const struct ui_format_opts *o, size_t width)
{
	return format_run(out, &index_lang, fmt, row, o, width);
}

int
ui_format_check(const char *fmt, struct qu_err *err)
{
	return check_lang(&index_lang, fmt, err);
}

/* ---- status_format ---------------------------------------------------- */

static void
status_value(struct qu_buf *v, const void *data, const struct ui_format_opts *o,
	const struct item *it)
{
	const struct ui_status *st = data;
	char tmp[32];
	switch (it->code) {
	case 'b': qu_buf_printf(v, "%zu", st->inc); break;
	case 'd': qu_buf_printf(v, "%zu", st->deleted); break;
	case 'f': put_str(v, st->folder); break;
	case 'F': qu_buf_printf(v, "%zu", st->flagged); break;
	case 'h': put_str(v, st->host); break;
	case 'l': qu_buf_append_str(v, ui_format_size(st->size, tmp, sizeof tmp)); break;
	case 'm': qu_buf_printf(v, "%zu", st->msgs); break;
	case 'M': qu_buf_printf(v, "%zu", st->shown); break;
	case 'n': qu_buf_printf(v, "%zu", st->new_msgs); break;
	case 'o': qu_buf_printf(v, "%zu", st->old); break;
	case 'p': qu_buf_printf(v, "%zu", st->postponed); break;
	case 'P': put_str(v, st->position); break;
	case 'r':
		/* mutt's $status_chars "-*%A": unchanged, changed, read-only,
		 * attach-message. */
		qu_buf_append_byte(v, st->readonly ? '%' : st->changed ? '*' : '-');
		break;
	case 's': put_str(v, st->sort); break;
	case 'S': put_str(v, st->sort_aux); break;
	case 't': qu_buf_printf(v, "%zu", st->tagged); break;
	case 'u': qu_buf_printf(v, "%zu", st->unread); break;
	case 'v': qu_buf_append_str(v, "quail " QUAIL_VERSION); break;
	case 'V': put_str(v, st->limit); break;
	default: break;
	}
}

static const struct lang status_lang = {
	"bdfFhlmMnopPrsStuvV", "", "bdFmMnoptu", status_value,
};

size_t
ui_format_status(struct qu_buf *out, const char *fmt, const struct ui_status *st, size_t width)
{
	return format_run(out, &status_lang, fmt, st, NULL, width);
}

int
ui_format_status_check(const char *fmt, struct qu_err *err)
{
	return check_lang(&status_lang, fmt, err);
}
