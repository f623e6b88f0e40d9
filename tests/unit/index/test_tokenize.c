/* The "quail" FTS5 tokenizer (index/tokenize.c): what tokens a text gives,
 * and that CJK queries find exactly what a substring search finds. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "index/private.h"

static sqlite3 *db;

static void
setup(void)
{
	struct qu_err err = {0};
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(index_tokenizer_register(db, &err), 0);
	ck_assert_int_eq(index_db_exec(db,
		"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='quail');"
		"CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');", &err), 0);
}

static void
teardown(void)
{
	sqlite3_close(db);
}

/* The tokens of text as "term@offset" joined by spaces, in position
 * order (colocated tokens share an offset); owned. */
static char *
tokens(const char *text)
{
	struct qu_err err = {0};
	ck_assert_int_eq(index_db_exec(db, "DELETE FROM t", &err), 0);
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO t (rowid, x) VALUES (1, ?)", -1, &st,
		NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_prepare_v2(db,
		"SELECT term, offset FROM v ORDER BY offset, length(term), term", -1, &st, NULL),
		SQLITE_OK);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, "");
	while (sqlite3_step(st) == SQLITE_ROW)
		qu_buf_printf(&b, "%s%s@%d", b.len ? " " : "", sqlite3_column_text(st, 0),
			sqlite3_column_int(st, 1));
	sqlite3_finalize(st);
	return qu_buf_steal(&b, NULL);
}

static const struct {
	const char *text;
	const char *want;
} token_cases[] = {
	{"Hello, World", "hello@0 world@1"},
	{"Café déjà-vu 42", "cafe@0 deja@1 vu@2 42@3"},
	{"测", "测@0"},
	{"测试", "测@0 试@1"},
	{"软件测试", "软@0 件@1 测@2 试@3"},
	{"abc测试def", "abc@0 测@1 试@2 def@3"},
	{"会議の資料", "会@0 議@1 の@2 資@3 料@4"},
	{"カタカナ", "カ@0 タ@1 カ@2 ナ@3"},
	{"한국어 메일", "한@0 국@1 어@2 메@3 일@4"},
	{"测，试", "测@0 试@1"},
	{"", ""},
	{"\xff\xfe bad", "bad@0"},
};

START_TEST(token_table)
{
	char *got = tokens(token_cases[_i].text);
	ck_assert_msg(strcmp(got, token_cases[_i].want) == 0, "%s: got \"%s\" want \"%s\"",
		token_cases[_i].text, got, token_cases[_i].want);
	free(got);
}
END_TEST

static const char *const docs[] = {
	"这是一个测试邮件",
	"测试",
	"我们明天开会",
	"会議の資料を送ります",
	"明日の会議について",
	"unrelated english text about tests",
	"测",
	"试测",
	"한국어 메일 테스트",
	"mixed 测试abc text",
};

/* Every query is checked against a substring scan of docs. */
static const char *const queries[] = {
	"测试", "测", "试", "会議", "会", "議の資料", "明", "开会", "메일", "테스트", "测试邮件",
	"这是一个", "料", "一个测试邮件", "试测",
};

/* docs[] into table t of h, at rowids 1... */
static void
put_docs(sqlite3 *h)
{
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(h, "INSERT INTO t (rowid, x) VALUES (?, ?)", -1, &st,
		NULL), SQLITE_OK);
	for (size_t i = 0; i < QU_ARRAY_LEN(docs); i++) {
		sqlite3_bind_int(st, 1, (int)i + 1);
		sqlite3_bind_text(st, 2, docs[i], -1, SQLITE_STATIC);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* Each query of queries[] as a phrase against table t of h (docs[] at
 * rowids 1...): the documents found are those holding it as a substring. */
static void
check_queries(sqlite3 *h)
{
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(h,
		"SELECT rowid FROM t WHERE t MATCH ? ORDER BY rowid", -1, &st, NULL), SQLITE_OK);
	for (size_t q = 0; q < QU_ARRAY_LEN(queries); q++) {
		char *phrase = xasprintf("\"%s\"", queries[q]);
		sqlite3_bind_text(st, 1, phrase, -1, SQLITE_TRANSIENT);
		unsigned got = 0, want = 0;
		while (sqlite3_step(st) == SQLITE_ROW)
			got |= 1u << (sqlite3_column_int(st, 0) - 1);
		sqlite3_reset(st);
		for (size_t i = 0; i < QU_ARRAY_LEN(docs); i++)
			if (strstr(docs[i], queries[q]))
				want |= 1u << i;
		ck_assert_msg(got == want, "%s: got %#x want %#x", queries[q], got, want);
		ck_assert_uint_ne(want, 0);
		free(phrase);
	}
	sqlite3_finalize(st);
}

START_TEST(cjk_like_substring)
{
	struct qu_err err = {0};
	ck_assert_int_eq(index_db_exec(db, "DELETE FROM t", &err), 0);
	put_docs(db);
	check_queries(db);
}
END_TEST

/* The tokens indexes written before held for CJK: at each character
 * its unigram and, colocated, the bigram it starts. Pure CJK text only,
 * anything else ending a run. */
static int
old_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int ntext,
	int (*cb)(void *, int, const char *, int, int, int))
{
	int offs[64];
	int n = 0, i = 0, rc = SQLITE_OK;
	while (rc == SQLITE_OK) {
		bool cjk = false;
		int l = 1;
		if (i < ntext && (unsigned char)text[i] >= 0xE0) {
			l = 3; /* the code points of docs[] all take three bytes */
			uint32_t c = ((uint32_t)(text[i] & 0x0F) << 12) |
				((uint32_t)(text[i + 1] & 0x3F) << 6) | (uint32_t)(text[i + 2] & 0x3F);
			cjk = index_is_cjk(c);
		}
		if (cjk && n < 63) {
			offs[n++] = i;
		} else if (n) {
			offs[n] = i;
			for (int k = 0; k < n && rc == SQLITE_OK; k++) {
				rc = cb(ctx, 0, text + offs[k], offs[k + 1] - offs[k], offs[k], offs[k + 1]);
				if (rc == SQLITE_OK && k + 1 < n)
					rc = cb(ctx, FTS5_TOKEN_COLOCATED, text + offs[k],
						offs[k + 2] - offs[k], offs[k], offs[k + 2]);
			}
			n = 0;
		}
		if (i >= ntext)
			break;
		i += l;
	}
	return rc;
}

static int
old_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
	*out = (Fts5Tokenizer *)ud;
	return SQLITE_OK;
}

static void
old_delete(Fts5Tokenizer *t)
{
}

/* An index whose CJK text was written with bigrams answers the queries
 * of today as a substring search would. */
START_TEST(cjk_old_index)
{
	char tmpl[] = "/tmp/quail-tok-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	char *path = xasprintf("%s/fts.sqlite", tmpl);
	sqlite3 *old = NULL;
	ck_assert_int_eq(sqlite3_open(path, &old), SQLITE_OK);
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(old, "SELECT fts5(?1)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	ck_assert_ptr_nonnull(api);
	static int token;
	fts5_tokenizer t = {old_create, old_delete, old_tokenize};
	ck_assert_int_eq(api->xCreateTokenizer(api, "quail", &token, &t, NULL), SQLITE_OK);
	struct qu_err err = {0};
	ck_assert_int_eq(index_db_exec(old, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='quail')",
		&err), 0);
	put_docs(old);
	sqlite3_close(old);
	sqlite3 *now = NULL;
	ck_assert_int_eq(sqlite3_open(path, &now), SQLITE_OK);
	ck_assert_int_eq(index_tokenizer_register(now, &err), 0);
	/* The old tokenizer's bigrams are there, beside the unigrams. */
	ck_assert_int_eq(index_db_exec(now, "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, t, 'row')",
		&err), 0);
	ck_assert_int_eq(sqlite3_prepare_v2(now, "SELECT doc FROM v WHERE term = '测试'", -1, &st,
		NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 3); /* 这是一个测试邮件, 测试, mixed 测试abc */
	sqlite3_finalize(st);
	check_queries(now);
	sqlite3_close(now);
	unlink(path);
	rmdir(tmpl);
	free(path);
}
END_TEST

START_TEST(cjk_ranges)
{
	ck_assert(index_is_cjk(0x6D4B)); /* 测 */
	ck_assert(index_is_cjk(0x3042)); /* あ */
	ck_assert(index_is_cjk(0x30AB)); /* カ */
	ck_assert(index_is_cjk(0xD55C)); /* 한 */
	ck_assert(index_is_cjk(0x20000));
	ck_assert(!index_is_cjk('a'));
	ck_assert(!index_is_cjk(0x3001)); /* 、 */
	ck_assert(!index_is_cjk(0xFF0C)); /* ， */
	ck_assert(!index_is_cjk(0xE9));   /* é */
}
END_TEST

static Suite *
tokenize_suite(void)
{
	Suite *s = suite_create("index-tokenize");
	TCase *tc = tcase_create("tokenize");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, token_table, 0, (int)QU_ARRAY_LEN(token_cases));
	tcase_add_test(tc, cjk_like_substring);
	tcase_add_test(tc, cjk_old_index);
	tcase_add_test(tc, cjk_ranges);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	Suite *s = tokenize_suite();
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
