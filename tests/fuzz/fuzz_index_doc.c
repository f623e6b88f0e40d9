/*
 * What the index reads from a message (src/index/parse.c: envelope,
 * References and In-Reply-To, mbox Status flags, text and HTML parts) and
 * the "quail" FTS5 tokenizer over the text it gives (tokenize.c), checked
 * against its rule: every CJK token is one or two CJK characters, every
 * other token has no CJK character, and offsets lie inside the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "index/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Code points of a token, or -1 when it mixes CJK and other text. A
 * byte that is not UTF-8 (unicode61 passes such bytes on in its tokens)
 * counts as other text. */
static int
cjk_count(const char *p, int n, bool *cjk)
{
	int count = 0, kinds = 0;
	for (int i = 0; i < n;) {
		uint32_t c;
		size_t l = qu_utf8_decode(p + i, (size_t)(n - i), &c);
		kinds |= c != 0xFFFFFFFF && index_is_cjk(c) ? 1 : 2;
		i += (int)l;
		count++;
	}
	if (kinds == 3)
		return -1;
	*cjk = kinds == 1;
	return count;
}

struct text {
	int n;
	bool utf8; /* the rule holds for UTF-8 text, which is all the index
		    * ever gives it (mime converts everything); on other
		    * bytes unicode61 decodes junk its own way */
};

static int
check_token(void *ctx, int flags, const char *tok, int ntok, int start, int end)
{
	const struct text *t = ctx;
	bool cjk = false;
	int k = cjk_count(tok, ntok, &cjk);
	if (start < 0 || end > t->n || start > end || ntok <= 0)
		abort();
	if (t->utf8 && (k < 0 || (cjk && k > 2)))
		abort();
	(void)flags;
	return SQLITE_OK;
}

/* Runs the tokenizer on text in both modes through the fts5_api. */
static void
tokenize(sqlite3 *db, const char *text, int n)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	void *ud = NULL;
	fts5_tokenizer t;
	Fts5Tokenizer *tok = NULL;
	if (!api || api->xFindTokenizer(api, "quail", &ud, &t) != SQLITE_OK ||
		t.xCreate(ud, NULL, 0, &tok) != SQLITE_OK)
		abort();
	int modes[] = {FTS5_TOKENIZE_DOCUMENT, FTS5_TOKENIZE_QUERY};
	struct text tx = {n, qu_utf8_valid(text, (size_t)n)};
	for (size_t i = 0; i < 2; i++)
		if (t.xTokenize(tok, &tx, modes[i], text, n, check_token) != SQLITE_OK)
			abort();
	t.xDelete(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct index_doc *d = xcalloc(1, sizeof *d);
	d->mem = (const char *)data;
	d->mem_len = size;
	d->path = xstrdup("fuzz");
	struct index_parser *ps = index_parser_new();
	index_parser_run(ps, d);
	/* The first pass of an update (the row without the text) gives the
	 * row that a whole parse gives, and no text. */
	struct index_doc *row = xcalloc(1, sizeof *row);
	row->mem = d->mem;
	row->mem_len = d->mem_len;
	row->path = xstrdup("fuzz");
	row->no_text = true;
	index_parser_run(ps, row);
	index_parser_free(ps);
	if (row->body.len || row->has_attachment != d->has_attachment ||
		row->has_date != d->has_date || (row->has_date && row->date != d->date))
		abort();
	const char *a[] = {row->subject, row->message_id, row->from_addr, row->to_list,
		row->refs, row->in_reply_to, row->filenames};
	const char *b[] = {d->subject, d->message_id, d->from_addr, d->to_list, d->refs,
		d->in_reply_to, d->filenames};
	for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
		if ((a[i] == NULL) != (b[i] == NULL) || (a[i] && strcmp(a[i], b[i]) != 0))
			abort();
	index_doc_free(row);
	char *ids = index_msgids((const char *)data, size);
	if (ids && (strchr(ids, '<') || strchr(ids, '>')))
		abort();
	free(ids);
	sqlite3 *db = NULL;
	struct qu_err err = {0};
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || index_tokenizer_register(db, &err) < 0)
		abort();
	if (d->body.len < INT32_MAX)
		tokenize(db, d->body.data ? d->body.data : "", (int)d->body.len);
	if (size < INT32_MAX)
		tokenize(db, (const char *)data, (int)size);
	sqlite3_close(db);
	index_doc_free(d);
	return 0;
}
