/* The FTS5 tokenizer "quail": SQLite's unicode61 for alphabetic text, and
 * one token per character for Chinese, Japanese and Korean, which are
 * written without spaces between words (SPEC §9: CJK queries find what a
 * substring search would).
 *
 * A CJK run c0 c1 ... c(n-1) is indexed as the token ci at position i. A
 * query run is tokenized the same way, and FTS5 matches its tokens as a
 * phrase, at consecutive positions: so a query string occurs in a
 * document's token stream exactly where the run holds it as a substring.
 * What lies between two CJK characters and is no token (a line break in
 * hard-wrapped text, a space, punctuation) takes no position: the run
 * goes on over it.
 *
 * Indexes written before also hold, colocated with each ci, the bigram
 * ci c(i+1); phrases of single characters find those documents just the
 * same. The bigrams are no longer written: half the tokens of CJK text,
 * they made quail index take a third longer on the UI bench's corpus
 * (20,000 messages, 3.3 million CJK characters). Everything between CJK
 * runs goes through unicode61 (lower case, diacritics removed, letters and
 * digits only). */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#include "index/private.h"

bool
index_is_cjk(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x11FF) ||   /* Hangul Jamo */
	       (c >= 0x2E80 && c <= 0x2FDF) ||   /* CJK and Kangxi radicals */
	       c == 0x3005 || c == 0x3007 ||     /* 々 〇 */
	       (c >= 0x3040 && c <= 0x30FF) ||   /* Hiragana, Katakana */
	       (c >= 0x3130 && c <= 0x318F) ||   /* Hangul compatibility Jamo */
	       (c >= 0x31F0 && c <= 0x31FF) ||   /* Katakana phonetic extensions */
	       (c >= 0x3400 && c <= 0x4DBF) ||   /* CJK extension A */
	       (c >= 0x4E00 && c <= 0x9FFF) ||   /* CJK unified ideographs */
	       (c >= 0xA960 && c <= 0xA97F) ||   /* Hangul Jamo extended A */
	       (c >= 0xAC00 && c <= 0xD7FF) ||   /* Hangul syllables, Jamo ext. B */
	       (c >= 0xF900 && c <= 0xFAFF) ||   /* CJK compatibility ideographs */
	       (c >= 0xFF66 && c <= 0xFF9F) ||   /* halfwidth Katakana */
	       (c >= 0x20000 && c <= 0x3FFFF);   /* CJK extensions B and later */
}

/* Decodes one UTF-8 sequence at p[0..n); returns its length (1 for an
 * invalid byte, which then decodes as U+FFFD and is never CJK). */
static size_t
utf8_next(const unsigned char *p, size_t n, uint32_t *c)
{
	unsigned char b = p[0];
	size_t len;
	uint32_t v;
	if (b < 0x80) {
		*c = b;
		return 1;
	} else if (b >= 0xC2 && b <= 0xDF) {
		len = 2;
		v = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		len = 3;
		v = b & 0x0F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		len = 4;
		v = b & 0x07;
	} else {
		*c = 0xFFFD;
		return 1;
	}
	if (len > n)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			goto bad;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
		(v >= 0xD800 && v <= 0xDFFF))
		goto bad;
	*c = v;
	return len;
bad:
	*c = 0xFFFD;
	return 1;
}

typedef int (*token_cb)(void *ctx, int flags, const char *tok, int ntok, int start, int end);

struct quail_tok {
	fts5_tokenizer base;  /* unicode61's methods */
	Fts5Tokenizer *inner; /* an instance of unicode61 */
};

/* Forwards unicode61's tokens with offsets moved by the segment's start. */
struct shift_ctx {
	void *ctx;
	token_cb cb;
	int off;
};

static int
shift_cb(void *p, int flags, const char *tok, int ntok, int start, int end)
{
	struct shift_ctx *s = p;
	return s->cb(s->ctx, flags, tok, ntok, start + s->off, end + s->off);
}

static int
tok_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int ntext, token_cb cb)
{
	struct quail_tok *q = (struct quail_tok *)t;
	const unsigned char *u = (const unsigned char *)text;
	int rc = SQLITE_OK;
	int seg = 0; /* start of the pending non-CJK segment */
	int i = 0;
	while (i < ntext && rc == SQLITE_OK) {
		/* ASCII is never CJK: most mail text skips the decoding. */
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t c;
		int l = (int)utf8_next(u + i, (size_t)(ntext - i), &c);
		if (!index_is_cjk(c)) {
			i += l;
			continue;
		}
		if (seg < i) {
			struct shift_ctx s = {ctx, cb, seg};
			rc = q->base.xTokenize(q->inner, &s, flags, text + seg, i - seg, shift_cb);
			if (rc != SQLITE_OK)
				break;
		}
		rc = cb(ctx, 0, text + i, l, i, i + l);
		i += l;
		seg = i;
	}
	if (rc == SQLITE_OK && seg < ntext) {
		struct shift_ctx s = {ctx, cb, seg};
		rc = q->base.xTokenize(q->inner, &s, flags, text + seg, ntext - seg, shift_cb);
	}
	return rc;
}

static int
tok_create(void *api_ptr, const char **argv, int argc, Fts5Tokenizer **out)
{
	fts5_api *api = api_ptr;
	void *ud = NULL;
	fts5_tokenizer base;
	if (api->xFindTokenizer(api, "unicode61", &ud, &base) != SQLITE_OK)
		return SQLITE_ERROR;
	struct quail_tok *q = xcalloc(1, sizeof *q);
	q->base = base;
	/* Arguments, if any, are unicode61's (remove_diacritics, ...). */
	int rc = base.xCreate(ud, argv, argc, &q->inner);
	if (rc != SQLITE_OK) {
		free(q);
		return rc;
	}
	*out = (Fts5Tokenizer *)q;
	return SQLITE_OK;
}

static void
tok_delete(Fts5Tokenizer *t)
{
	struct quail_tok *q = (struct quail_tok *)t;
	if (!q)
		return;
	q->base.xDelete(q->inner);
	free(q);
}

/* The fts5_api of db, got the documented way: SELECT fts5(?1) with a
 * pointer bound under the type "fts5_api_ptr". */
static fts5_api *
fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

int
index_tokenizer_register(sqlite3 *db, struct qu_err *err)
{
	fts5_api *api = fts5_api_of(db);
	if (!api)
		return qu_err_set(err, QU_E_SOFTWARE, "SQLite has no FTS5");
	fts5_tokenizer t = {tok_create, tok_delete, tok_tokenize};
	if (api->xCreateTokenizer(api, "quail", api, &t, NULL) != SQLITE_OK)
		return index_db_err(db, err, "FTS5 tokenizer");
	return 0;
}
