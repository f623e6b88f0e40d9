/*
 * index/query: quail's search language (SPEC §9), parsed into a tree and
 * compiled to an SQL boolean expression with bound parameters.
 *
 * Private to src/index (index.h re-exports what app needs). Depends on util
 * and SQLite only; never reads the database itself.
 *
 * Grammar, loosest first (notmuch's precedence: NOT > AND > OR):
 *   or   := and (("OR" | "|") and)*
 *   and  := not (["AND"] not)*           juxtaposition is AND
 *   not  := ("NOT" | "-" | "!") not | atom
 *   atom := "(" or ")" | "\"phrase\"" | word | key:value | ~X [argument]
 * so `a OR b c` is `a OR (b AND c)`. AND, OR and NOT are keywords only in
 * capitals. The full language, with what each term matches, is in
 * docs/SEARCH.md.
 */
#ifndef QUAIL_INDEX_QUERY_H
#define QUAIL_INDEX_QUERY_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Longest query accepted, in bytes, and deepest nesting of parentheses and
 * NOTs: a hostile query is an error, never a deep recursion. The depth is
 * also what SQLite's parser takes: its stack (100 entries) overflows at
 * about 30 levels of parentheses, and each level of the query can cost one
 * in the SQL, beside the few of the leaves and the caller's statement. */
#define INDEX_QUERY_MAX_LEN 16384
#define INDEX_QUERY_MAX_DEPTH 16

/* A parsed query (a tree); opaque. */
struct index_query;

/* One value to bind. */
struct index_param {
	bool is_text;
	int64_t i;
	char *s; /* owned, NUL-terminated; len bytes */
	size_t len;
};

/* The values for the `?` placeholders of a compiled query, in order.
 * Embedded: index_params_init / index_params_clear. */
struct index_params {
	struct index_param *v;
	size_t n;
	size_t alloc;
};

/* Parses n bytes of query text (need not be NUL-terminated; a NUL byte is an
 * error). An empty or blank query matches every message. Returns an owned
 * tree, or NULL with QU_E_USAGE and a message naming the 1-based byte
 * position and what was expected: "position 7: missing closing
 * parenthesis". */
struct index_query *index_query_parse(const char *q, size_t n, struct qu_err *err);

/* Appends to where a boolean SQL expression over `msg AS m` and `folder AS
 * f` (the caller joins f.id = m.folder), and to p one value per `?` it
 * wrote, in order. No query text is ever part of the SQL: words, addresses
 * and full-text expressions are all bound. Full-text terms become
 * `m.id IN (SELECT rowid FROM fts WHERE fts MATCH ?)`, one lookup for all
 * the full-text terms ANDed (or ORed) together. Dates are resolved against
 * now (UTC epoch seconds) in the local time zone. The expression may name
 * temp.tagged (for ~T), which the caller must then provide. Returns 0, or
 * -1 with QU_E_USAGE when where's cap is reached. */
int index_query_sql(const struct index_query *q, int64_t now, struct qu_buf *where,
		    struct index_params *p, struct qu_err *err);

void index_params_init(struct index_params *p);
/* Binds every value, the first at placeholder first_index (1-based, as
 * sqlite3_bind_*). Texts are copied by SQLite. Returns 0, or -1 when SQLite
 * refuses one (sqlite3_errmsg of the statement's database says why). */
int index_params_bind(sqlite3_stmt *st, int first_index, const struct index_params *p);
/* Frees the values; p may be used again after index_params_init. */
void index_params_clear(struct index_params *p);

/* NULL is a no-op. */
void index_query_free(struct index_query *q);

/* True when the query has a full-text term (so relevance order means
 * something). */
bool index_query_uses_fts(const struct index_query *q);

/* The tree as an S-expression for tests and `-v` traces, for example
 * `(and (text "a") (or (from "bob") (is flagged)))`. Owned string. */
char *index_query_dump(const struct index_query *q);

#endif
