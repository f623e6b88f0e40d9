/*
 * The addresses the index holds, for completing an address as it is
 * typed (app's address book): the sender and recipients of every
 * message, with its date.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "index/index.h"
#include "index/private.h"

/* ASCII letters compare case-insensitively in LIKE; the caller filters
 * exactly, so this only has to let through every row that may match. */
static const char sql_like[] =
	"SELECT from_name, from_addr, to_list, cc_list, coalesce(date, mtime) FROM msg"
	" WHERE from_name LIKE ?1 ESCAPE '\\' OR from_addr LIKE ?1 ESCAPE '\\'"
	" OR to_list LIKE ?1 ESCAPE '\\' OR cc_list LIKE ?1 ESCAPE '\\'";
static const char sql_all[] =
	"SELECT from_name, from_addr, to_list, cc_list, coalesce(date, mtime) FROM msg";

static bool
ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int
index_addresses(struct index *ix, const char *prefix, index_addr_fn fn, void *ctx,
		struct qu_err *err)
{
	/* A non-ASCII prefix may differ in case from the text (É, é): then
	 * every row is read. */
	bool like = prefix && *prefix && ascii(prefix);
	sqlite3_stmt *st = index_stmt(ix, like ? sql_like : sql_all, err);
	if (!st)
		return -1;
	char *pat = NULL;
	if (like) {
		struct qu_buf b;
		qu_buf_init(&b, SIZE_MAX);
		qu_buf_append_byte(&b, '%');
		for (const char *c = prefix; *c; c++) {
			if (*c == '%' || *c == '_' || *c == '\\')
				qu_buf_append_byte(&b, '\\');
			qu_buf_append_byte(&b, *c);
		}
		qu_buf_append_byte(&b, '%');
		pat = qu_buf_steal(&b, NULL);
		sqlite3_bind_text(st, 1, pat, -1, SQLITE_STATIC);
	}
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct index_addr_row r = {
			.from_name = col(st, 0), .from_addr = col(st, 1),
			.to_list = col(st, 2), .cc_list = col(st, 3),
			.date = sqlite3_column_int64(st, 4),
		};
		if (fn(ctx, &r, err) < 0) {
			ret = -1;
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = index_db_err(ix->db, err, "reading addresses");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(pat);
	return ret;
}
