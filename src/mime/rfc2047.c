/*
 * Unstructured header text: unfolding (RFC 5322 §2.2.3) and RFC 2047
 * encoded words, decoded as SPEC §7 says (also where the RFC does not allow
 * them, adjacent words of one charset joined as bytes).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

#define CHARSET_MAX 64
/* Longest encoded text looked at. RFC 2047 §2 allows 75 characters for the
 * whole word; mailers write longer ones, but a bound keeps a value full of
 * unclosed "=?" linear. */
#define EWORD_TEXT_MAX 2048

int
mime_unfold(const char *p, size_t n, struct qu_buf *out)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		size_t eol = 0;
		if (p[i] == '\n')
			eol = 1;
		else if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			eol = 2;
		if (!eol || i + eol >= n || !mime_is_wsp(p[i + eol]))
			continue;
		if (qu_buf_append(out, p + start, i - start) < 0)
			return -1;
		i += eol - 1;
		start = i + 1;
	}
	return qu_buf_append(out, p + start, n - start);
}

/* One encoded word =?charset[*lang]?enc?text?= found in the input. */
struct eword {
	const char *charset; /* without *lang */
	size_t charset_len;
	char enc;            /* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	size_t end;          /* offset after "?=" */
};

/* Parses the word starting at p[i] == '=' && p[i+1] == '?'. Returns 1 for
 * a word, 0 for no word, -1 for something that looked like one (defect). */
static int
parse_eword(const char *p, size_t n, size_t i, struct eword *w)
{
	size_t k = i + 2;
	size_t cs = k;
	while (k < n && p[k] != '?' && !mime_is_ws(p[k]) && k - cs <= CHARSET_MAX)
		k++;
	if (k == cs || k >= n || p[k] != '?')
		return 0;
	w->charset = p + cs;
	w->charset_len = k - cs;
	const char *star = memchr(w->charset, '*', w->charset_len);
	if (star)
		w->charset_len = (size_t)(star - w->charset); /* RFC 2231 §5 language */
	if (k + 2 >= n || p[k + 2] != '?')
		return -1;
	char e = p[k + 1];
	if (e != 'B' && e != 'b' && e != 'Q' && e != 'q')
		return -1;
	w->enc = e == 'b' || e == 'B' ? 'B' : 'Q';
	size_t ts = k + 3;
	size_t lim = n - ts > EWORD_TEXT_MAX ? ts + EWORD_TEXT_MAX + 1 : n;
	for (size_t t = ts; t + 1 < lim; t++) {
		if (p[t] == '?' && p[t + 1] == '=') {
			if (w->charset_len == 0)
				return -1;
			w->text = p + ts;
			w->text_len = t - ts;
			w->end = t + 2;
			return 1;
		}
		/* Not RFC 2047, but some mailers leave spaces in Q text; a
		 * line end or the start of another word ends the search. */
		if (p[t] == '\r' || p[t] == '\n')
			return -1;
		if (mime_is_wsp(p[t]) && t + 2 < n && p[t + 1] == '=' && p[t + 2] == '?')
			return -1;
	}
	return -1;
}

size_t
mime_eword_len(const char *p, size_t n, size_t i)
{
	struct eword w;
	if (i + 1 >= n || p[i] != '=' || p[i + 1] != '?' || parse_eword(p, n, i, &w) != 1)
		return 0;
	return w.end - i;
}

/* RFC 2047 §4.2: '_' is a space, =XX a byte; a bad '=' is kept. */
static bool
q_decode(const char *p, size_t n, struct qu_buf *out)
{
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '_') {
			c = ' ';
		} else if (c == '=') {
			int a = i + 1 < n ? qu_hex_val(p[i + 1]) : -1;
			int b = i + 2 < n ? qu_hex_val(p[i + 2]) : -1;
			if (a >= 0 && b >= 0) {
				c = (char)((a << 4) | b);
				i += 2;
			} else {
				ok = false;
			}
		}
		qu_buf_append_byte(out, c);
	}
	return ok;
}

static bool
b_decode(const char *p, size_t n, struct qu_buf *out)
{
	struct mime_b64 s;
	struct mime_defects bd = {0};
	mime_b64_init(&s);
	mime_b64_feed(&s, p, n, out, &bd, NULL);
	mime_b64_finish(&s, out, &bd, NULL);
	return bd.count == 0;
}

/* The decoder's state over one value. */
struct dec {
	struct qu_buf *out;
	struct mime_charset_cache *cache;
	struct mime_defects *d;
	size_t base;
	bool raw_utf8;      /* the raw bytes of the value are valid UTF-8 */
	bool raw_reported;
	struct qu_buf pend; /* bytes of adjacent words of one charset */
	char charset[CHARSET_MAX + 2];
	bool pending;
};

static void
flush_pending(struct dec *x)
{
	if (!x->pending)
		return;
	mime_charset_convert(x->cache, x->charset, x->pend.data ? x->pend.data : "", x->pend.len,
		x->out, x->d, false, NULL);
	qu_buf_reset(&x->pend);
	x->pending = false;
}

static void
emit_raw(struct dec *x, const char *p, size_t n, size_t off)
{
	if (n == 0)
		return;
	flush_pending(x);
	if (x->raw_utf8) {
		qu_buf_append(x->out, p, n);
		return;
	}
	size_t ok = qu_utf8_valid_prefix(p, n);
	if (ok < n && !x->raw_reported) {
		x->raw_reported = true;
		mime_defect(x->d, MIME_DEFECT_HEADER_8BIT, x->base + off + ok);
	}
	mime_cp1252_to_utf8(p, n, x->out);
}

static void
add_word(struct dec *x, const struct eword *w, size_t off)
{
	char cs[CHARSET_MAX + 2];
	size_t l = w->charset_len < CHARSET_MAX ? w->charset_len : CHARSET_MAX;
	memcpy(cs, w->charset, l);
	cs[l] = '\0';
	if (x->pending && strcasecmp(cs, x->charset) != 0)
		flush_pending(x);
	if (!x->pending) {
		memcpy(x->charset, cs, l + 1);
		x->pending = true;
	}
	bool ok = w->enc == 'B' ? b_decode(w->text, w->text_len, &x->pend)
				: q_decode(w->text, w->text_len, &x->pend);
	if (!ok)
		mime_defect(x->d, MIME_DEFECT_RFC2047_BAD_ENCODING, x->base + off);
}

static bool
all_ws(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!mime_is_ws(p[i]))
			return false;
	return true;
}

void
mime_text_decode_into(const char *p, size_t n, struct qu_buf *out,
	struct mime_charset_cache *cache, struct mime_defects *d, size_t base)
{
	struct dec x = {.out = out, .cache = cache, .d = d, .base = base};
	x.raw_utf8 = qu_utf8_valid_prefix(p, n) == n;
	qu_buf_init(&x.pend, SIZE_MAX);
	size_t done = 0; /* input before this is emitted */
	size_t i = 0;
	while (i + 1 < n) {
		const char *q = memchr(p + i, '=', n - i - 1);
		if (!q)
			break;
		i = (size_t)(q - p);
		if (p[i + 1] != '?') {
			i++;
			continue;
		}
		struct eword w;
		int r = parse_eword(p, n, i, &w);
		if (r <= 0) {
			if (r < 0)
				mime_defect(d, MIME_DEFECT_RFC2047_MALFORMED, base + i);
			i += 2;
			continue;
		}
		/* White space between adjacent encoded words is dropped
		 * (RFC 2047 §6.2). */
		if (!(x.pending && all_ws(p + done, i - done)))
			emit_raw(&x, p + done, i - done, done);
		add_word(&x, &w, i);
		done = i = w.end;
	}
	emit_raw(&x, p + done, n - done, done);
	flush_pending(&x);
	qu_buf_clear(&x.pend);
}

char *
mime_text_decode(const char *p, size_t n, unsigned flags, struct mime_charset_cache *cache,
	struct mime_defects *d)
{
	struct qu_buf u, out;
	qu_buf_init(&u, SIZE_MAX);
	qu_buf_init(&out, SIZE_MAX);
	const char *s = p;
	size_t sn = n;
	if (n && memchr(p, '\n', n)) {
		mime_unfold(p, n, &u);
		s = u.data;
		sn = u.len;
	}
	mime_text_decode_into(s ? s : "", sn, &out, cache, d, 0);
	qu_buf_clear(&u);
	if (flags & MIME_TEXT_TRIM)
		mime_buf_trim(&out);
	return mime_buf_take_text(&out);
}
