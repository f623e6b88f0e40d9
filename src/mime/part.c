/*
 * What callers do with the leaves of a part tree: their bytes, their
 * transfer decoding (RFC 2045 §6) in pieces or whole, their text (SPEC §7
 * "text"), and the uuencoded files that old mailers put inside text.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"
#include "mime/parse_private.h"

/* Input per piece: a piece of base64 decodes to 3/4 of this. */
#define PIECE (48u * 1024u)

const char *
mime_part_body(const struct mime_part *part, size_t *len)
{
	*len = part->end - part->body_off;
	return part->base + part->body_off;
}

const char *
mime_part_raw(const struct mime_part *part, size_t *len)
{
	*len = part->end - part->off;
	return part->base + part->off;
}

bool
mime_part_is_text(const struct mime_part *part)
{
	return part->kind == MIME_PART_LEAF && qu_str_has_prefix(part->content_type, "text/");
}

bool
mime_part_is_attachment(const struct mime_part *part)
{
	if (part->kind != MIME_PART_LEAF || qu_str_has_prefix(part->content_type, "multipart/"))
		return false;
	return part->disposition == MIME_DISPOSITION_ATTACHMENT || part->filename ||
		!qu_str_has_prefix(part->content_type, "text/");
}

static bool
is_identity(enum mime_cte cte)
{
	return cte != MIME_CTE_BASE64 && cte != MIME_CTE_QP && cte != MIME_CTE_UUENCODE;
}

/* Sets d->base so that decoder offsets land in part->base; returns the
 * caller's base. */
static size_t
defects_at_body(struct mime_defects *d, const struct mime_part *part)
{
	size_t keep = d ? d->base : 0;
	if (d)
		d->base = keep + part->body_off;
	return keep;
}

/* ---- base64 in pieces ----------------------------------------------------- */

/* The sextet of each byte of the base64 alphabet, 0x80 for any other. */
static void
b64_table(unsigned char rev[256])
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	memset(rev, 0x80, 256);
	for (unsigned i = 0; i < 64; i++)
		rev[(unsigned char)alpha[i]] = (unsigned char)i;
}

/* 19 quanta and a line end: the 76-character line encoders write (RFC
 * 2045 §6.8). Decoded without a branch per quantum; false (and nothing
 * written) when a byte is not of the alphabet. */
static bool
b64_line(const unsigned char *p, const unsigned char *rev, unsigned char *o)
{
	unsigned bad = 0;
	for (int q = 0; q < 19; q++, p += 4, o += 3) {
		unsigned a = rev[p[0]], b = rev[p[1]], c = rev[p[2]], e = rev[p[3]];
		bad |= a | b | c | e;
		uint32_t v = (a << 18) | (b << 12) | (c << 6) | e;
		o[0] = (unsigned char)(v >> 16);
		o[1] = (unsigned char)(v >> 8);
		o[2] = (unsigned char)v;
	}
	return !(bad & 0x80);
}

/* What the base64 decoder would do from a clean state (no partial
 * quantum, no padding seen), only faster: whole quanta of the alphabet and
 * line ends, which it skips without a defect. Stops at anything else and
 * returns how much was read; *k gets the bytes written to o. */
static size_t
b64_fast(const unsigned char *p, size_t n, const unsigned char *rev, unsigned char *o, size_t *k)
{
	size_t i = 0, w = 0;
	while (i < n) {
		if (n - i >= 77 && (p[i + 76] == '\n' || p[i + 76] == '\r') &&
			b64_line(p + i, rev, o + w)) {
			i += 77;
			w += 57;
			continue;
		}
		if (p[i] == '\n' || p[i] == '\r') {
			i++;
			continue;
		}
		if (n - i < 4)
			break;
		unsigned a = rev[p[i]], b = rev[p[i + 1]], c = rev[p[i + 2]], e = rev[p[i + 3]];
		if ((a | b | c | e) & 0x80)
			break;
		uint32_t v = (a << 18) | (b << 12) | (c << 6) | e;
		o[w++] = (unsigned char)(v >> 16);
		o[w++] = (unsigned char)(v >> 8);
		o[w++] = (unsigned char)v;
		i += 4;
	}
	*k = w;
	return i;
}

/* One piece of a base64 body: the fast path while the decoder's state is
 * clean, the decoder itself for the rest (padding, junk, a quantum cut by
 * the end of the piece), with its offset kept right for defects. */
static int
b64_piece(struct mime_b64 *s, const unsigned char *rev, const char *p, size_t n,
	struct qu_buf *out, struct mime_defects *d, struct qu_err *err)
{
	size_t used = 0;
	while (used < n) {
		unsigned char *o = s->nsext == 0 && s->npad == 0 ?
			(unsigned char *)qu_buf_reserve(out, (n - used) / 4 * 3 + 3) : NULL;
		if (o) {
			size_t k;
			size_t r = b64_fast((const unsigned char *)p + used, n - used, rev, o, &k);
			qu_buf_commit(out, k);
			s->off += r;
			used += r;
			if (used == n)
				break;
		}
		/* The decoder takes the rest of the line: after it, the state
		 * is usually clean again. */
		const char *nl = memchr(p + used, '\n', n - used);
		size_t upto = nl ? (size_t)(nl - p) + 1 : n;
		if (mime_b64_feed(s, p + used, upto - used, out, d, err) < 0)
			return -1;
		used = upto;
	}
	return 0;
}

/* ---- quoted-printable in pieces --------------------------------------------- */

/* Bytes that end a plain run of quoted-printable text. */
static bool
qp_stop(unsigned char c)
{
	return c == '=' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* What the quoted-printable decoder does in its text state with no white
 * space pending (RFC 2045 §6.7), for the common cases: plain runs, "=XX",
 * soft line breaks, CRLF and LF, and white space that text follows on the
 * line. Stops at anything else (white space before a line end, a bad
 * escape, the end of the piece in the middle of something) and returns
 * how much was read; *k gets the bytes written to o. */
static size_t
qp_fast(const unsigned char *p, size_t n, unsigned char *o, size_t *k)
{
	size_t i = 0, w = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (!qp_stop(c)) {
			size_t j = i + 1;
			while (j < n && !qp_stop(p[j]))
				j++;
			memcpy(o + w, p + i, j - i);
			w += j - i;
			i = j;
		} else if (c == '\n') {
			o[w++] = '\n';
			i++;
		} else if (c == '\r') {
			if (i + 1 >= n)
				break;
			/* CRLF is a line end; a lone CR is data. */
			o[w++] = '\r';
			if (p[i + 1] == '\n')
				o[w++] = p[++i];
			i++;
		} else if (c == '=') {
			int h = i + 2 < n ? qu_hex_val(p[i + 1]) : -1;
			int l = h >= 0 ? qu_hex_val(p[i + 2]) : -1;
			if (l >= 0) {
				o[w++] = (unsigned char)((h << 4) | l);
				i += 3;
			} else if (i + 1 < n && p[i + 1] == '\n') {
				i += 2;
			} else if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') {
				i += 3;
			} else {
				break;
			}
		} else {
			size_t j = i + 1;
			while (j < n && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j == n || p[j] == '\r' || p[j] == '\n')
				break;
			memcpy(o + w, p + i, j - i);
			w += j - i;
			i = j;
		}
	}
	*k = w;
	return i;
}

/* One piece of a quoted-printable body: the fast path while the decoder
 * is in its text state with nothing pending, the decoder for the rest of
 * a line it stopped in. text is the decoder's text state. */
static int
qp_piece(struct mime_qp *s, int text, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err)
{
	size_t used = 0;
	while (used < n) {
		unsigned char *o = s->state == text && s->nws == 0 ?
			(unsigned char *)qu_buf_reserve(out, n - used) : NULL;
		if (o) {
			size_t k;
			size_t r = qp_fast((const unsigned char *)p + used, n - used, o, &k);
			qu_buf_commit(out, k);
			s->off += r;
			used += r;
			if (used == n)
				break;
		}
		const char *nl = memchr(p + used, '\n', n - used);
		size_t upto = nl ? (size_t)(nl - p) + 1 : n;
		if (mime_qp_feed(s, p + used, upto - used, out, d, err) < 0)
			return -1;
		used = upto;
	}
	return 0;
}

/* The decoders of one body, with their fast paths. */
struct piecewise {
	struct mime_decoder dec;
	unsigned char rev[256]; /* base64 */
	int qp_text;            /* the quoted-printable decoder's text state */
};

static void
piecewise_init(struct piecewise *pw, enum mime_cte cte)
{
	mime_decoder_init(&pw->dec, cte);
	if (cte == MIME_CTE_BASE64) {
		b64_table(pw->rev);
	} else if (cte == MIME_CTE_QP) {
		struct mime_qp fresh;
		mime_qp_init(&fresh);
		pw->qp_text = fresh.state;
	}
}

static int
piecewise_feed(struct piecewise *pw, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err)
{
	switch (pw->dec.cte) {
	case MIME_CTE_BASE64:
		return b64_piece(&pw->dec.u.b64, pw->rev, p, n, out, d, err);
	case MIME_CTE_QP:
		return qp_piece(&pw->dec.u.qp, pw->qp_text, p, n, out, d, err);
	default:
		return mime_decoder_feed(&pw->dec, p, n, out, d, err);
	}
}

int
mime_part_decode_each(const struct mime_part *part, struct qu_buf *scratch, mime_sink_fn fn,
	void *ctx, struct mime_defects *d, struct qu_err *err)
{
	size_t n;
	const char *p = mime_part_body(part, &n);
	/* The identity needs no copy: the body is the content. */
	if (is_identity(part->cte))
		return n ? fn(ctx, p, n, err) : 0;
	size_t keep = defects_at_body(d, part);
	struct piecewise pw;
	piecewise_init(&pw, part->cte);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i += PIECE) {
		size_t k = n - i < PIECE ? n - i : PIECE;
		qu_buf_reset(scratch);
		rc = piecewise_feed(&pw, p + i, k, scratch, d, err);
		if (rc == 0 && scratch->len)
			rc = fn(ctx, scratch->data, scratch->len, err);
	}
	if (rc == 0) {
		qu_buf_reset(scratch);
		rc = mime_decoder_finish(&pw.dec, scratch, d, err);
		if (rc == 0 && scratch->len)
			rc = fn(ctx, scratch->data, scratch->len, err);
	}
	if (d)
		d->base = keep;
	return rc;
}

int
mime_part_decode(const struct mime_part *part, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err)
{
	size_t n;
	const char *p = mime_part_body(part, &n);
	size_t keep = defects_at_body(d, part);
	struct piecewise pw;
	piecewise_init(&pw, part->cte);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i += PIECE)
		rc = piecewise_feed(&pw, p + i, n - i < PIECE ? n - i : PIECE, out, d, err);
	if (rc == 0)
		rc = mime_decoder_finish(&pw.dec, out, d, err);
	if (d)
		d->base = keep;
	return rc;
}

int
mime_part_content(const struct mime_part *part, struct qu_buf *scratch, const char **p,
	size_t *n, struct mime_defects *d, struct qu_err *err)
{
	*p = mime_part_body(part, n);
	if (is_identity(part->cte))
		return 0;
	qu_buf_reset(scratch);
	int rc = mime_part_decode(part, scratch, d, err);
	*p = scratch->data ? scratch->data : "";
	*n = scratch->len;
	return rc;
}

int
mime_part_text(const struct mime_part *part, struct mime_charset_cache *cache,
	struct qu_buf *scratch, struct qu_buf *out, struct mime_defects *d, struct qu_err *err)
{
	struct qu_buf own;
	qu_buf_init(&own, SIZE_MAX);
	const char *p;
	size_t n;
	qu_buf_reset(out);
	int rc = mime_part_content(part, scratch ? scratch : &own, &p, &n, d, err);
	if (rc == 0) {
		size_t keep = defects_at_body(d, part);
		rc = mime_charset_to_utf8(cache, part->charset, p, n, out, d, err);
		if (d)
			d->base = keep;
	}
	if (rc == 0)
		mime_eol_to_lf(out);
	qu_buf_clear(&own);
	return rc;
}

/* ---- uuencoded blocks ---------------------------------------------------- */

/* "begin" SP 3-4 octal digits SP name: *name_at where the name starts. */
static bool
begin_line(const char *l, size_t n, unsigned *mode, size_t *name_at)
{
	if (n < 10 || memcmp(l, "begin ", 6) != 0)
		return false;
	size_t i = 6;
	unsigned m = 0;
	while (i < n && l[i] >= '0' && l[i] <= '7' && i < 10)
		m = m * 8 + (unsigned)(l[i++] - '0');
	if (i < 9 || i >= n || l[i] != ' ')
		return false;
	*mode = m;
	*name_at = i + 1;
	return true;
}

/* A line of encoded data: a length character, then about 4/3 of that
 * many characters from the uuencode alphabet. */
static bool
data_line(const char *l, size_t n)
{
	while (n && (l[n - 1] == ' ' || l[n - 1] == '\r'))
		n--;
	if (n == 0)
		return false;
	unsigned c = (unsigned char)l[0];
	if (c < 0x21 || c > 0x60)
		return c == '`' || c == ' ';
	size_t want = (((c - 0x20) & 0x3F) * 4 + 2) / 3;
	if (n - 1 + 2 < want || n - 1 > want + 4)
		return false;
	for (size_t i = 1; i < n; i++)
		if ((unsigned char)l[i] < 0x20 || (unsigned char)l[i] > 0x60)
			return false;
	return true;
}

static size_t
next_line(const char *p, size_t n, size_t i, size_t *len)
{
	const char *nl = memchr(p + i, '\n', n - i);
	size_t e = nl ? (size_t)(nl - p) : n;
	*len = e - i;
	return nl ? e + 1 : n;
}

/* From the begin line at i: where the block ends. */
static size_t
block_end(const char *p, size_t n, size_t i)
{
	size_t len;
	size_t j = next_line(p, n, i, &len);
	while (j < n) {
		size_t k = next_line(p, n, j, &len);
		size_t t = len;
		while (t && (p[j + t - 1] == ' ' || p[j + t - 1] == '\r'))
			t--;
		if (t == 3 && memcmp(p + j, "end", 3) == 0)
			return k;
		if (!data_line(p + j, len))
			return j;
		j = k;
	}
	return n;
}

size_t
mime_uu_find(const char *p, size_t n, struct mime_uu_block **out)
{
	struct mime_uu_block *v = NULL;
	size_t nv = 0, alloc = 0;
	size_t i = 0;
	*out = NULL;
	while (i < n) {
		size_t len;
		size_t j = next_line(p, n, i, &len);
		unsigned mode;
		size_t name_at;
		size_t l2;
		if (!begin_line(p + i, len, &mode, &name_at) || j >= n) {
			i = j;
			continue;
		}
		next_line(p, n, j, &l2);
		if (!data_line(p + j, l2) || p[j] == '`' || p[j] == ' ') {
			i = j;
			continue;
		}
		size_t e = block_end(p, n, i);
		v = xgrow(v, &alloc, nv + 1, sizeof *v);
		struct mime_uu_block *b = &v[nv++];
		b->off = i;
		b->len = e - i;
		b->mode = mode;
		const char *nm = p + i + name_at;
		size_t nl = len - name_at;
		qu_mem_trim(&nm, &nl);
		struct qu_buf nb;
		qu_buf_init(&nb, SIZE_MAX);
		mime_raw_to_utf8(nm, nl, &nb, NULL);
		b->name = mime_buf_take_text(&nb);
		i = e > j ? e : j;
	}
	*out = v;
	return nv;
}

void
mime_uu_blocks_free(struct mime_uu_block *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}
