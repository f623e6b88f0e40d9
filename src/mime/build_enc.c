/*
 * Encoders for the message builder: folded header text, RFC 2047 encoded
 * words, RFC 2231 parameters, base64 and quoted-printable bodies. The
 * rest of the mime module decodes; these are its inverse.
 */
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/build_private.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hexdig[] = "0123456789ABCDEF";

/* Overhead of "=?UTF-8?B?" and "?=". */
#define EW_OVERHEAD 12
/* Below this many characters left on a line, a word goes to the next. */
#define EW_MIN 20

bool
build_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

bool
build_is_ascii(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return false;
	return true;
}

/* ---- folded headers -------------------------------------------------- */

void
build_hdr_begin(struct build_hdr *h, struct qu_buf *out, const char *eol, const char *name)
{
	h->out = out;
	h->eol = eol;
	h->eol_len = strlen(eol);
	qu_buf_append_str(out, name);
	qu_buf_append_byte(out, ':');
	h->col = strlen(name) + 1;
	h->min = 0; /* tokens on the current line */
}

void
build_hdr_token(struct build_hdr *h, const char *ws, size_t wsn, const char *p, size_t n)
{
	/* RFC 5322 §2.2.3: fold by putting CRLF before white space that is
	 * already there; never on a line that holds no token yet. */
	if (wsn && h->min && h->col + wsn + n > BUILD_LINE_MAX) {
		qu_buf_append(h->out, h->eol, h->eol_len);
		h->col = 0;
		h->min = 0;
	}
	qu_buf_append(h->out, ws, wsn);
	qu_buf_append(h->out, p, n);
	h->col += wsn + n;
	h->min++;
}

void
build_hdr_glue(struct build_hdr *h, const char *p, size_t n)
{
	qu_buf_append(h->out, p, n);
	h->col += n;
}

void
build_hdr_end(struct build_hdr *h)
{
	qu_buf_append(h->out, h->eol, h->eol_len);
}

/* ---- RFC 2047 encoded words ------------------------------------------ */

/* RFC 2047 §5 (1) and (3): what Q may leave as it is. */
static bool
q_literal(unsigned char c, enum build_ew_ctx ctx)
{
	if (ctx == BUILD_EW_PHRASE)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
	return c > 32 && c < 127 && c != '=' && c != '?' && c != '_';
}

static size_t
q_cost(unsigned char c, enum build_ew_ctx ctx)
{
	return c == ' ' || q_literal(c, ctx) ? 1 : 3;
}

/* Length of the UTF-8 character starting at p[i] (1 for a stray byte). */
static size_t
char_len(const char *p, size_t n, size_t i)
{
	size_t j = i + 1;
	if ((unsigned char)p[i] >= 0xC0)
		while (j < n && ((unsigned char)p[j] & 0xC0) == 0x80 && j - i < 4)
			j++;
	return j - i;
}

/* How many bytes from i fit in an encoded word of at most cap payload
 * characters, ending between characters (at least one character). */
static size_t
ew_take(const char *p, size_t n, size_t i, size_t cap, bool q, enum build_ew_ctx ctx)
{
	size_t j = i, used = 0;
	while (j < n) {
		size_t cl = char_len(p, n, j);
		size_t cost = 0;
		if (q)
			for (size_t k = j; k < j + cl; k++)
				cost += q_cost((unsigned char)p[k], ctx);
		else
			cost = ((j + cl - i + 2) / 3) * 4 - used;
		if (used + cost > cap && j > i)
			break;
		used += cost;
		j += cl;
	}
	return j - i;
}

static void
ew_write(struct qu_buf *w, const char *p, size_t n, bool q, enum build_ew_ctx ctx)
{
	qu_buf_append_str(w, q ? "=?UTF-8?Q?" : "=?UTF-8?B?");
	if (q) {
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];
			if (c == ' ')
				qu_buf_append_byte(w, '_');
			else if (q_literal(c, ctx))
				qu_buf_append_byte(w, (char)c);
			else {
				char e[3] = {'=', hexdig[c >> 4], hexdig[c & 15]};
				qu_buf_append(w, e, 3);
			}
		}
	} else {
		build_base64(w, p, n, "");
	}
	qu_buf_append_str(w, "?=");
}

/* Q when it is not longer than B for the whole text. */
static bool
ew_prefer_q(const char *p, size_t n, enum build_ew_ctx ctx)
{
	size_t q = 0;
	for (size_t i = 0; i < n; i++)
		q += q_cost((unsigned char)p[i], ctx);
	return q <= (n + 2) / 3 * 4;
}

void
build_hdr_ewords(struct build_hdr *h, const char *ws, size_t wsn, const char *p, size_t n,
	enum build_ew_ctx ctx)
{
	bool q = ew_prefer_q(p, n, ctx);
	struct qu_buf w;
	qu_buf_init(&w, SIZE_MAX);
	size_t i = 0;
	do {
		const char *cws = i ? " " : ws;
		size_t cwsn = i ? 1 : wsn;
		size_t avail = BUILD_LINE_MAX > h->col + cwsn ? BUILD_LINE_MAX - h->col - cwsn : 0;
		/* Too little room left: the word goes on a new line (the token
		 * writer folds it there). */
		if (avail < EW_MIN && cwsn && h->min)
			avail = BUILD_LINE_MAX - cwsn;
		if (avail > BUILD_EWORD_MAX)
			avail = BUILD_EWORD_MAX;
		size_t cap = avail > EW_OVERHEAD + 4 ? avail - EW_OVERHEAD : 4;
		size_t take = ew_take(p, n, i, cap, q, ctx);
		qu_buf_reset(&w);
		ew_write(&w, p + i, take, q, ctx);
		build_hdr_token(h, cws, cwsn, w.data, w.len);
		i += take;
	} while (i < n);
	qu_buf_clear(&w);
}

/* A word of unstructured text that cannot stay as it is. */
static bool
word_needs_encoding(const char *p, size_t n, size_t room)
{
	if (!build_is_ascii(p, n) || n > room)
		return true;
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '=' && p[i + 1] == '?')
			return true;
	return false;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

void
build_hdr_text(struct build_hdr *h, const char *p, size_t n)
{
	size_t i = 0;
	bool first = true;
	while (i < n) {
		/* White space, then a word. */
		size_t ws = i;
		while (i < n && is_wsp(p[i]))
			i++;
		size_t ws_end = i;
		size_t w = i;
		while (i < n && !is_wsp(p[i]))
			i++;
		if (w == i)
			break;
		const char *wsp = first ? " " : p + ws;
		size_t wsl = first ? 1 : ws_end - ws;
		size_t room = first ? (BUILD_LINE_MAX > h->col + 1 ? BUILD_LINE_MAX - h->col - 1 : 0)
				    : BUILD_LINE_MAX - wsl;
		if (!word_needs_encoding(p + w, i - w, room)) {
			build_hdr_token(h, wsp, wsl, p + w, i - w);
			first = false;
			continue;
		}
		/* A run of words that need encoding, with the white space between
		 * them inside the encoded text (decoders drop white space between
		 * adjacent encoded words, RFC 2047 §6.2). */
		size_t run_end = i;
		for (;;) {
			size_t j = run_end;
			while (j < n && is_wsp(p[j]))
				j++;
			size_t k = j;
			while (k < n && !is_wsp(p[k]))
				k++;
			if (k == j || !word_needs_encoding(p + j, k - j, BUILD_LINE_MAX - (j - run_end)))
				break;
			run_end = k;
		}
		build_hdr_ewords(h, wsp, wsl, p + w, run_end - w, BUILD_EW_TEXT);
		i = run_end;
		first = false;
	}
}

void
build_hdr_phrase(struct build_hdr *h, const char *ws, size_t wsn, const char *p, size_t n)
{
	bool printable = true, atoms = n > 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 32 || c > 126)
			printable = false;
		if (c == ' ') {
			if (i == 0 || i + 1 == n || p[i + 1] == ' ')
				atoms = false;
		} else if (!build_is_atext(c)) {
			atoms = false;
		}
		if (c == '=' && i + 1 < n && p[i + 1] == '?')
			printable = false;
	}
	if (!printable) {
		build_hdr_ewords(h, ws, wsn, p, n, BUILD_EW_PHRASE);
		return;
	}
	if (atoms) {
		size_t i = 0;
		while (i < n) {
			size_t j = i;
			while (j < n && p[j] != ' ')
				j++;
			build_hdr_token(h, i ? " " : ws, i ? 1 : wsn, p + i, j - i);
			i = j + 1;
		}
		return;
	}
	struct qu_buf q;
	qu_buf_init(&q, SIZE_MAX);
	qu_buf_append_byte(&q, '"');
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			qu_buf_append_byte(&q, '\\');
		qu_buf_append_byte(&q, p[i]);
	}
	qu_buf_append_byte(&q, '"');
	build_hdr_token(h, ws, wsn, q.data, q.len);
	qu_buf_clear(&q);
}

/* ---- parameters ------------------------------------------------------ */

/* RFC 2045 §5.1 token characters. */
static bool
is_token_char(unsigned char c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* RFC 2231 §7 attribute-char: what an extended value keeps as it is. */
static bool
is_attr_char(unsigned char c)
{
	return is_token_char(c) && c != '*' && c != '\'' && c != '%';
}

static void
param_simple(struct build_hdr *h, const char *name, const char *v, size_t n)
{
	bool token = n > 0;
	for (size_t i = 0; i < n; i++)
		if (!is_token_char((unsigned char)v[i]))
			token = false;
	struct qu_buf t;
	qu_buf_init(&t, SIZE_MAX);
	qu_buf_printf(&t, "%s=", name);
	if (!token)
		qu_buf_append_byte(&t, '"');
	for (size_t i = 0; i < n; i++) {
		if (!token && (v[i] == '"' || v[i] == '\\'))
			qu_buf_append_byte(&t, '\\');
		qu_buf_append_byte(&t, v[i]);
	}
	if (!token)
		qu_buf_append_byte(&t, '"');
	build_hdr_glue(h, ";", 1);
	build_hdr_token(h, " ", 1, t.data, t.len);
	qu_buf_clear(&t);
}

/* Percent-encodes one character (RFC 2231 §4) into t. */
static void
pct_char(struct qu_buf *t, const char *p, size_t cl)
{
	for (size_t k = 0; k < cl; k++) {
		unsigned char c = (unsigned char)p[k];
		if (is_attr_char(c)) {
			qu_buf_append_byte(t, (char)c);
		} else {
			char e[3] = {'%', hexdig[c >> 4], hexdig[c & 15]};
			qu_buf_append(t, e, 3);
		}
	}
}

static size_t
pct_len(const char *p, size_t cl)
{
	size_t l = 0;
	for (size_t k = 0; k < cl; k++)
		l += is_attr_char((unsigned char)p[k]) ? 1 : 3;
	return l;
}

void
build_hdr_param(struct build_hdr *h, const char *name, const char *value)
{
	size_t n = strlen(value), nl = strlen(name);
	bool printable = true;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)value[i] < 32 || (unsigned char)value[i] > 126)
			printable = false;
	/* "; name=\"value\"" on a line of its own must fit. */
	if (printable && 1 + nl + 3 + n + 2 <= BUILD_LINE_MAX) {
		param_simple(h, name, value, n);
		return;
	}
	size_t total = 0;
	for (size_t i = 0; i < n;) {
		size_t cl = char_len(value, n, i);
		total += pct_len(value + i, cl);
		i += cl;
	}
	struct qu_buf t;
	qu_buf_init(&t, SIZE_MAX);
	if (1 + nl + 9 + total + 1 <= BUILD_LINE_MAX) {
		qu_buf_printf(&t, "%s*=utf-8''", name);
		for (size_t i = 0; i < n;) {
			size_t cl = char_len(value, n, i);
			pct_char(&t, value + i, cl);
			i += cl;
		}
		build_hdr_glue(h, ";", 1);
		build_hdr_token(h, " ", 1, t.data, t.len);
		qu_buf_clear(&t);
		return;
	}
	/* RFC 2231 §3 continuations, one section a line, cut between
	 * characters so that every section decodes on its own too. */
	size_t i = 0;
	for (unsigned sec = 0; i < n; sec++) {
		qu_buf_reset(&t);
		qu_buf_printf(&t, "%s*%u*=%s", name, sec, sec ? "" : "utf-8''");
		while (i < n) {
			size_t cl = char_len(value, n, i);
			if (t.len + pct_len(value + i, cl) + 3 > BUILD_LINE_MAX && t.len > nl + 12)
				break;
			pct_char(&t, value + i, cl);
			i += cl;
		}
		build_hdr_glue(h, ";", 1);
		build_hdr_token(h, " ", 1, t.data, t.len);
	}
	qu_buf_clear(&t);
}

void
build_hdr_param_2047(struct build_hdr *h, const char *name, const char *value)
{
	size_t n = strlen(value);
	bool printable = true;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)value[i] < 32 || (unsigned char)value[i] > 126)
			printable = false;
	if (printable) {
		param_simple(h, name, value, n);
		return;
	}
	/* name="=?UTF-8?B?...?= =?UTF-8?B?...?=": words of at most 60
	 * characters, folded between them inside the quotes. */
	struct qu_buf t, w;
	qu_buf_init(&t, SIZE_MAX);
	qu_buf_init(&w, SIZE_MAX);
	build_hdr_glue(h, ";", 1);
	size_t i = 0;
	bool first = true;
	while (i < n) {
		size_t take = ew_take(value, n, i, 60 - EW_OVERHEAD - strlen(name), false,
				      BUILD_EW_PHRASE);
		qu_buf_reset(&w);
		ew_write(&w, value + i, take, false, BUILD_EW_PHRASE);
		i += take;
		qu_buf_reset(&t);
		if (first)
			qu_buf_printf(&t, "%s=\"", name);
		qu_buf_append(&t, w.data, w.len);
		if (i == n)
			qu_buf_append_byte(&t, '"');
		build_hdr_token(h, " ", 1, t.data, t.len);
		first = false;
	}
	qu_buf_clear(&t);
	qu_buf_clear(&w);
}

/* ---- bodies ---------------------------------------------------------- */

size_t
build_base64_len(size_t n, size_t eol_len)
{
	size_t chars = (n + 2) / 3 * 4;
	size_t lines = (chars + BUILD_ENC_LINE - 1) / BUILD_ENC_LINE;
	return chars + (lines > 1 ? (lines - 1) * eol_len : 0);
}

void
build_base64(struct qu_buf *out, const char *p, size_t n, const char *eol)
{
	size_t el = strlen(eol);
	char *dst = qu_buf_reserve(out, build_base64_len(n, el));
	if (!dst)
		return;
	char *o = dst;
	const unsigned char *s = (const unsigned char *)p;
	size_t col = 0;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		if (col == BUILD_ENC_LINE && el) {
			memcpy(o, eol, el);
			o += el;
			col = 0;
		}
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		o[0] = b64_alphabet[v >> 18];
		o[1] = b64_alphabet[(v >> 12) & 63];
		o[2] = b64_alphabet[(v >> 6) & 63];
		o[3] = b64_alphabet[v & 63];
		o += 4;
		col += 4;
	}
	if (i < n) {
		if (col == BUILD_ENC_LINE && el) {
			memcpy(o, eol, el);
			o += el;
		}
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
		o[0] = b64_alphabet[v >> 18];
		o[1] = b64_alphabet[(v >> 12) & 63];
		o[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		o[3] = '=';
		o += 4;
	}
	qu_buf_commit(out, (size_t)(o - dst));
}

void
build_eol(struct qu_buf *out, const char *p, size_t n, const char *eol)
{
	size_t el = strlen(eol);
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && p[j] != '\r' && p[j] != '\n')
			j++;
		qu_buf_append(out, p + i, j - i);
		if (j == n)
			break;
		qu_buf_append(out, eol, el);
		i = j + (p[j] == '\r' && j + 1 < n && p[j + 1] == '\n' ? 2 : 1);
	}
}

bool
build_is_7bit_text(const char *p, size_t n)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r' || c == '\n') {
			col = 0;
			continue;
		}
		if ((c < 32 && c != '\t') || c > 126)
			return false;
		if (++col > BUILD_LINE_MAX)
			return false;
	}
	return true;
}

static bool
is_break(const char *p, size_t n, size_t i)
{
	return i >= n || p[i] == '\r' || p[i] == '\n';
}

void
build_qp(struct qu_buf *out, const char *p, size_t n, const char *eol)
{
	size_t el = strlen(eol);
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
				i++;
			qu_buf_append(out, eol, el);
			col = 0;
			continue;
		}
		bool lit = (c >= 33 && c <= 126 && c != '=');
		/* White space before a line end would be lost in transport
		 * (RFC 2045 §6.7 (3)); "From " and "." at a line start upset
		 * mbox files and broken relays. */
		if ((c == ' ' || c == '\t') && !is_break(p, n, i + 1))
			lit = true;
		if (col == 0 && ((c == 'F' && n - i >= 5 && memcmp(p + i, "From ", 5) == 0) ||
				 c == '.'))
			lit = false;
		size_t len = lit ? 1 : 3;
		/* At most 76 characters including the soft break's '='. A
		 * character that ends its line may use the 76th column. */
		size_t limit = is_break(p, n, i + 1) ? BUILD_ENC_LINE : BUILD_ENC_LINE - 1;
		if (col + len > limit) {
			qu_buf_append_byte(out, '=');
			qu_buf_append(out, eol, el);
			col = 0;
		}
		if (lit) {
			qu_buf_append_byte(out, (char)c);
		} else {
			char e[3] = {'=', hexdig[c >> 4], hexdig[c & 15]};
			qu_buf_append(out, e, 3);
		}
		col += len;
	}
}
