/*
 * The search language (src/index/query.c): any bytes either parse or fail
 * with a positioned usage error; what parses compiles to SQL that SQLite
 * prepares and runs, with exactly one bound value per placeholder and
 * every FTS5 MATCH string valid FTS5 syntax (a malformed one fails at
 * sqlite3_step). The tables are the schema's columns over the built-in
 * tokenizer, so only query.c and SQLite are under test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "index/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char schema[] =
	"CREATE TABLE folder (id INTEGER PRIMARY KEY, path TEXT, name TEXT);"
	"CREATE TABLE msg (id INTEGER PRIMARY KEY, folder INTEGER, size INTEGER, date INTEGER,"
	" from_name TEXT, from_addr TEXT, to_list TEXT, cc_list TEXT, subject TEXT,"
	" message_id TEXT, thread INTEGER, flags INTEGER, is_new INTEGER,"
	" has_attachment INTEGER, filenames TEXT);"
	"CREATE VIRTUAL TABLE fts USING fts5(subject, sender, recipients, filenames, body);"
	"CREATE TEMP TABLE tagged (id INTEGER PRIMARY KEY);"
	"INSERT INTO folder VALUES (1, '/m/INBOX', 'INBOX');"
	"INSERT INTO msg VALUES (1, 1, 100, 1770000000, 'Bob', 'bob@example.com', 'a@b', NULL,"
	" 'hello world', 'm1@x', 1, 1, 0, 0, NULL);"
	"INSERT INTO fts (rowid, subject, sender, body) VALUES (1, 'hello world', 'Bob', 'text');";

/* One connection for the process: opening and creating the schema per
 * input would be most of the time spent. */
static sqlite3 *
fuzz_db(void)
{
	static sqlite3 *db;
	if (!db && (sqlite3_open(":memory:", &db) != SQLITE_OK ||
		    sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK))
		abort();
	return db;
}

static size_t
count_placeholders(const char *sql)
{
	size_t n = 0;
	for (; *sql; sql++)
		n += *sql == '?';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qu_err err = {0};
	struct index_query *q = index_query_parse((const char *)data, size, &err);
	if (!q) {
		if (err.cls != QU_E_USAGE || strncmp(err.msg, "position ", 9) != 0)
			abort();
		return 0;
	}
	free(index_query_dump(q));
	(void)index_query_uses_fts(q);

	struct qu_buf sql;
	struct index_params p;
	qu_buf_init(&sql, SIZE_MAX);
	index_params_init(&p);
	qu_buf_append_str(&sql, "SELECT m.id FROM msg AS m JOIN folder AS f ON f.id = m.folder"
				" WHERE ");
	if (index_query_sql(q, 1772366400, &sql, &p, &err) < 0)
		abort();
	/* Nothing of the query is in the SQL, so every '?' is a placeholder. */
	if (count_placeholders(sql.data) != p.n)
		abort();
	sqlite3 *db = fuzz_db();
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK)
		abort();
	if (sqlite3_bind_parameter_count(st) != (int)p.n || index_params_bind(st, 1, &p) < 0)
		abort();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		abort();
	sqlite3_finalize(st);
	index_params_clear(&p);
	qu_buf_clear(&sql);
	index_query_free(q);
	return 0;
}
