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

/* Code points of a token, or -1 when it mixes CJK and other text or is
 * not UTF-8. */
static int
cjk_count(const char *p, int n, bool *cjk)
{
	int count = 0, kinds = 0;
	for (int i = 0; i < n;) {
		uint32_t c;
		size_t l = qu_utf8_decode(p + i, (size_t)(n - i), &c);
		if (c == 0xFFFFFFFF)
			return -1;
		kinds |= index_is_cjk(c) ? 1 : 2;
		i += (int)l;
		count++;
	}
	if (kinds == 3)
		return -1;
	*cjk = kinds == 1;
	return count;
}

static int
check_token(void *ctx, int flags, const char *tok, int ntok, int start, int end)
{
	int ntext = *(int *)ctx;
	bool cjk = false;
	int k = cjk_count(tok, ntok, &cjk);
	if (start < 0 || end > ntext || start > end || ntok <= 0 || k < 0 || (cjk && k > 2))
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
	for (size_t i = 0; i < 2; i++)
		if (t.xTokenize(tok, &n, modes[i], text, n, check_token) != SQLITE_OK)
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
	index_parser_free(ps);
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
