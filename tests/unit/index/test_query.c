/* The search language (index/query.c, SPEC §9): query text to tree,
 * query text to error position, and compiled queries run against a small
 * index whose answers are known. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "index/private.h"
#include "index/query.h"
#include "../store/helpers.h"

/* ---- parser: text to tree -------------------------------------------- */

static const struct {
	const char *q;
	const char *dump;
} parse_rows[] = {
	{"", "(all)"},
	{"  \t ", "(all)"},
	{"hello", "(text \"hello\")"},
	{"hello world", "(and (text \"hello\") (text \"world\"))"},
	{"hello AND world", "(and (text \"hello\") (text \"world\"))"},
	{"a\tb\nc", "(and (text \"a\") (text \"b\") (text \"c\"))"},
	{"a OR b", "(or (text \"a\") (text \"b\"))"},
	/* NOT > AND > OR, as notmuch. */
	{"a OR b c", "(or (text \"a\") (and (text \"b\") (text \"c\")))"},
	{"a b OR c", "(or (and (text \"a\") (text \"b\")) (text \"c\"))"},
	{"a OR b AND c OR d",
	 "(or (text \"a\") (and (text \"b\") (text \"c\")) (text \"d\"))"},
	{"NOT a b", "(and (not (text \"a\")) (text \"b\"))"},
	{"NOT NOT a", "(not (not (text \"a\")))"},
	{"-a", "(not (text \"a\"))"},
	{"a -b", "(and (text \"a\") (not (text \"b\")))"},
	{"foo-bar", "(text \"foo-bar\")"},
	{"-(a b)", "(not (and (text \"a\") (text \"b\")))"},
	{"(a OR b) c", "(and (or (text \"a\") (text \"b\")) (text \"c\"))"},
	{"a AND (b OR (c d))",
	 "(and (text \"a\") (or (text \"b\") (and (text \"c\") (text \"d\"))))"},
	{"((a))", "(text \"a\")"},
	{"a and b", "(and (text \"a\") (text \"and\") (text \"b\"))"},
	{"a|b", "(or (text \"a\") (text \"b\"))"},
	{"\"quoted phrase\"", "(text \"quoted phrase\")"},
	{"\"say \"\"hi\"\"\"", "(text \"say \\\"hi\\\"\")"},
	{"foo*", "(text \"foo\" *)"},
	{"unknown:x", "(text \"unknown:x\")"},
	{"测试", "(text \"测试\")"},
	{"会議 OR 회의", "(or (text \"会議\") (text \"회의\"))"},
	{"from:bob", "(from \"bob\")"},
	{"FROM:bob", "(from \"bob\")"},
	{"from:\"Bob Smith\"", "(from \"Bob Smith\")"},
	{"to:alice@example.com", "(to \"alice@example.com\")"},
	{"cc:carol", "(cc \"carol\")"},
	{"subject:meeting", "(subject \"meeting\")"},
	{"subject:\"weekly meeting\"", "(subject \"weekly meeting\")"},
	{"subject:rep*", "(subject \"rep\" *)"},
	{"body:invoice", "(body \"invoice\")"},
	{"filename:report.pdf", "(filename \"report.pdf\")"},
	{"folder:INBOX", "(folder \"INBOX\")"},
	{"id:<abc@x>", "(id \"abc@x\")"},
	{"id:abc@x", "(id \"abc@x\")"},
	{"thread:42", "(thread 42)"},
	{"thread:abc@x", "(thread \"abc@x\")"},
	{"is:unread", "(is unread)"},
	{"is:read", "(is read)"},
	{"is:flagged", "(is flagged)"},
	{"is:replied", "(is replied)"},
	{"is:deleted", "(is deleted)"},
	{"is:new", "(is new)"},
	{"is:draft", "(is draft)"},
	{"IS:Unread", "(is unread)"},
	{"has:attachment", "(has attachment)"},
	{"date:2026-01-01..2026-02-01", "(date 2026-01-01 2026-02-01)"},
	{"date:7d..", "(date 7d ..)"},
	{"date:..2026-01-01", "(date .. 2026-01-01)"},
	{"date:2026-01", "(date 2026-01 2026-01)"},
	{"date:2026", "(date 2026 2026)"},
	{"date:2w", "(date 2w ..)"},
	{"date:3m..1m", "(date 3m 1m)"},
	{"date:yesterday..today", "(date =1d =0d)"},
	{"size:>1M", "(size 1048577 ..)"},
	{"size:<10k", "(size .. 10239)"},
	{"size:>=1k", "(size 1024 ..)"},
	{"size:1k..2M", "(size 1024 2097152)"},
	{"size:500", "(size 500 500)"},
	{"~f bob", "(from \"bob\")"},
	{"~fbob", "(from \"bob\")"},
	{"~t alice", "(to \"alice\")"},
	{"~c carol", "(cc \"carol\")"},
	{"~s \"hello world\"", "(subject~ \"hello world\")"},
	{"~s\"x y\"", "(subject~ \"x y\")"},
	{"~b invoice", "(body \"invoice\")"},
	{"~B invoice", "(text \"invoice\")"},
	{"~h list", "(header \"list\")"},
	{"~i <x@y>", "(id \"x@y\")"},
	{"~N", "(is new)"},
	{"~O", "(is old)"},
	{"~F", "(is flagged)"},
	{"~D", "(is deleted)"},
	{"~U", "(is unread)"},
	{"~A", "(all)"},
	{"~T", "(tagged)"},
	{"~=", "(duplicate)"},
	{"~d 01/02/2026-", "(date 2026-02-01 ..)"},
	{"~d -01/02/2026", "(date .. 2026-02-01)"},
	{"~d 01/02/26-15/02/26", "(date 2026-02-01 2026-02-15)"},
	{"~d 15", "(date *-*-15 *-*-15)"},
	{"~d 15/03", "(date *-03-15 *-03-15)"},
	{"~d <3d", "(date 3d ..)"},
	{"~d >1m", "(date .. 1m)"},
	{"~d =1w", "(date =1w =1w)"},
	{"~d 2026-01-01..", "(date 2026-01-01 ..)"},
	{"~d 2026-01-01", "(date 2026-01-01 2026-01-01)"},
	{"~z >1M", "(size 1048577 ..)"},
	{"~z 1k-2k", "(size 1024 2048)"},
	{"~z -2k", "(size .. 2048)"},
	{"!~F", "(not (is flagged))"},
	{"! ~F", "(not (is flagged))"},
	{"~F | ~N", "(or (is flagged) (is new))"},
	{"~F|~N", "(or (is flagged) (is new))"},
	{"~F ~N", "(and (is flagged) (is new))"},
	{"~F~N", "(and (is flagged) (is new))"},
	{"!(~f bob | ~s hi)", "(not (or (from \"bob\") (subject~ \"hi\")))"},
	{"from:bob ~F", "(and (from \"bob\") (is flagged))"},
	{"~f bob OR is:unread date:2026",
	 "(or (from \"bob\") (and (is unread) (date 2026 2026)))"},
};

START_TEST(parse_table)
{
	struct qu_err err = {0};
	const char *q = parse_rows[_i].q;
	struct index_query *iq = index_query_parse(q, strlen(q), &err);
	ck_assert_msg(iq != NULL, "%s: %s", q, err.msg);
	char *d = index_query_dump(iq);
	ck_assert_msg(strcmp(d, parse_rows[_i].dump) == 0, "%s: got %s, want %s", q, d,
		      parse_rows[_i].dump);
	free(d);
	index_query_free(iq);
}
END_TEST

/* ---- parser: text to error ------------------------------------------- */

static const struct {
	const char *q;
	size_t pos; /* 1-based */
	const char *why;
} error_rows[] = {
	{"(a", 3, "missing closing parenthesis"},
	{"((a)", 5, "missing closing parenthesis"},
	{"a)", 2, "unexpected closing parenthesis"},
	{")", 1, "unexpected closing parenthesis"},
	{"()", 2, "empty parentheses"},
	{"\"abc", 1, "missing closing quote"},
	{"from:\"abc", 6, "missing closing quote"},
	{"\"\"", 1, "empty phrase"},
	{"a OR", 5, "expected a term after OR"},
	{"a | | b", 5, "expected a term after OR"},
	{"OR a", 1, "expected a term"},
	{"a AND", 6, "expected a term after AND"},
	{"a AND OR b", 7, "expected a term after AND"},
	{"NOT", 4, "expected a term after NOT"},
	{"a NOT )", 7, "expected a term after NOT"},
	{"-", 2, "expected a term after -"},
	{"a - b", 4, "expected a term after -"},
	{"from:", 6, "from: needs a value"},
	{"to: bob", 4, "to: needs a value"},
	{"is:bogus", 4, "is: takes"},
	{"has:wings", 5, "has: takes attachment"},
	{"date:2026-13", 6, "date: takes"},
	{"date:2026-02-30", 6, "date: takes"},
	{"date:..", 6, "date: takes"},
	{"date:7x", 6, "date: takes"},
	{"size:>x", 6, "size: takes"},
	{"size:99999999999999999999", 6, "size: takes"},
	{"~X", 1, "unknown pattern ~X"},
	{"~", 1, "~ needs a pattern letter"},
	{"~f", 3, "~f needs an argument"},
	{"(~f )", 5, "~f needs an argument"},
	{"~d 32/01/2026", 4, "~d takes"},
	{"~d 29/02/2025", 4, "~d takes"},
	{"~d <3x", 4, "~d takes"},
	{"~z 1q", 4, "~z takes"},
};

START_TEST(error_table)
{
	struct qu_err err = {0};
	const char *q = error_rows[_i].q;
	struct index_query *iq = index_query_parse(q, strlen(q), &err);
	ck_assert_msg(iq == NULL, "%s: parsed", q);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	char *want = xasprintf("position %zu: %s", error_rows[_i].pos, error_rows[_i].why);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s: got \"%s\", want \"%s\"", q,
		      err.msg, want);
	free(want);
}
END_TEST

/* A NUL byte is refused where it stands. */
START_TEST(error_nul)
{
	struct qu_err err = {0};
	ck_assert_ptr_null(index_query_parse("ab\0c", 4, &err));
	ck_assert_str_eq(err.msg, "position 3: NUL byte in query");
}
END_TEST

static void
assert_error_at(const char *q, size_t n, const char *want)
{
	struct qu_err err = {0};
	ck_assert_ptr_null(index_query_parse(q, n, &err));
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	ck_assert_msg(strstr(err.msg, want) != NULL, "got %s", err.msg);
}

/* 10,000 parentheses, NOTs or bangs are an error, not a deep recursion. */
START_TEST(hostile_nesting)
{
	size_t n = 10000;
	char *q = xmalloc(2 * n + 2);
	memset(q, '(', n);
	q[n] = 'a';
	memset(q + n + 1, ')', n);
	assert_error_at(q, 2 * n + 1, "query longer than");
	assert_error_at(q, n + 1, "position 17: query nested more than 16 deep");
	memset(q, '!', n);
	assert_error_at(q, n + 1, "position 17: query nested more than 16 deep");
	memset(q, '-', n);
	assert_error_at(q, n + 1, "nested");
	free(q);

	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (int i = 0; i < 1000; i++)
		qu_buf_append_str(&b, "NOT ");
	qu_buf_append_str(&b, "a");
	assert_error_at(b.data, b.len, "nested");
	qu_buf_clear(&b);

	/* Exactly as deep as allowed still parses. */
	char ok[2 * INDEX_QUERY_MAX_DEPTH + 2];
	memset(ok, '(', INDEX_QUERY_MAX_DEPTH);
	ok[INDEX_QUERY_MAX_DEPTH] = 'a';
	memset(ok + INDEX_QUERY_MAX_DEPTH + 1, ')', INDEX_QUERY_MAX_DEPTH);
	struct qu_err err = {0};
	struct index_query *iq = index_query_parse(ok, sizeof ok - 1, &err);
	ck_assert_msg(iq != NULL, "%s", err.msg);
	index_query_free(iq);
}
END_TEST

/* A long flat query is fine up to the length limit, an error past it. */
START_TEST(long_queries)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	while (b.len + 4 <= INDEX_QUERY_MAX_LEN)
		qu_buf_append_str(&b, "a b ");
	struct qu_err err = {0};
	struct index_query *iq = index_query_parse(b.data, b.len, &err);
	ck_assert_msg(iq != NULL, "%s", err.msg);
	index_query_free(iq);
	qu_buf_append_str(&b, "xxxx");
	assert_error_at(b.data, b.len, "longer than 16384 bytes");
	qu_buf_clear(&b);
}
END_TEST

/* ---- compiled SQL against a known index ------------------------------ */

/* 2026-03-01 12:00:00 UTC; the tests run with TZ=UTC unless they say. */
#define NOW 1772366400

static sqlite3 *db;

static const char fixture_sql[] =
	"INSERT INTO folder (id, path, name, kind) VALUES (1, '/m/INBOX', 'INBOX', 0),"
	" (2, '/m/Work', 'Work', 0);"
	"INSERT INTO msg (id, folder, uniq, file, size, mtime, date, from_name, from_addr,"
	" to_list, cc_list, subject, message_id, thread, flags, is_new, has_attachment,"
	" filenames) VALUES"
	" (1, 1, 'u1', 'cur/1', 1000, 0, 1768471200, 'Bob Smith', 'bob@example.com',"
	"  'Alice <alice@example.org>', NULL, 'Weekly meeting notes', 'm1@x', 1, 1, 0, 0, NULL),"
	" (2, 1, 'u2', 'cur/2', 2048, 0, 1769904000, 'Alice', 'alice@example.org',"
	"  'Bob <bob@example.com>', 'Carol <carol@example.net>', 'Re: Weekly meeting notes',"
	"  'm2@x', 1, 5, 0, 0, NULL),"
	" (3, 1, 'u3', 'new/3', 3145728, 0, 1772182800, 'Carol', 'carol@example.net',"
	"  'alice@example.org', NULL, 'Quarterly report', 'm3@x', 3, 2, 1, 1,"
	"  'report.pdf' || char(10) || 'chart.png'),"
	" (4, 2, 'u4', 'new/4', 500, 0, 1772319600, NULL, 'dave@work.example',"
	"  'team@work.example', 'bob@example.com', '测试邮件', 'm4@x', 4, 0, 1, 0, NULL),"
	" (5, 2, 'u5', 'cur/5', 1500, 0, 1767225599, '山田', 'yamada@example.jp',"
	"  'team@work.example', NULL, '会議の予定', 'm5@x', 5, 1, 0, 0, NULL),"
	" (6, 2, 'u6', 'cur/6', 800, 0, NULL, 'Kim', 'kim@example.kr',"
	"  'team@work.example', NULL, '회의 일정', 'm6@x', 6, 9, 0, 0, NULL),"
	" (7, 1, 'u7', 'cur/7', 700, 0, 1770710400, 'Lin', 'lin@example.tw',"
	"  'team@work.example', NULL, '會議記錄', 'm1@x', 7, 16, 0, 0, NULL),"
	" (8, 1, 'u8', 'cur/8', 1048577, 0, 1769903999, 'Eve', 'eve@evil.example',"
	"  'bob@example.com', NULL, 'Invoice 2026', 'm8@x', 8, 33, 0, 1, 'invoice.pdf'),"
	" (9, 1, 'u9', 'cur/9', 1048576, 0, 1771592400, 'Bob Builder', 'bob@builder.example',"
	"  'team@work.example', NULL, 'Report on building', 'm9@x', 9, 0, 0, 0, NULL),"
	" (10, 2, 'u10', 'new/10', 100, 0, 1772362800, 'O''Brien', 'obrien@example.ie',"
	"  'team@work.example', NULL, 'say \"hi\" 100%_done', 'm10@x', 10, 0, 1, 0, NULL),"
	" (11, 1, 'u11', 'cur/11', 300, 0, 1771718400, 'Bob Smith', 'bob@example.com',"
	"  'carol@example.net', NULL, 'Re: Quarterly report', 'm11@x', 3, 1, 0, 0, NULL),"
	" (12, 2, 'u12', 'cur/12', 400, 0, 1772002800, 'Alice', 'alice@example.org',"
	"  'bob@example.com', NULL, 'prefix test', 'm12@x', 12, 1, 0, 0, NULL);"
	"INSERT INTO fts (rowid, subject, sender, recipients, filenames, body)"
	" SELECT id, subject, ifnull(from_name, '') || ' ' || from_addr,"
	"  ifnull(to_list, '') || ' ' || ifnull(cc_list, ''), ifnull(filenames, ''),"
	"  CASE id WHEN 1 THEN 'the meeting is on monday' WHEN 2 THEN 'thanks for the notes'"
	"  WHEN 3 THEN 'please find the report attached' WHEN 4 THEN '这是一个测试'"
	"  WHEN 5 THEN '明日の会議について' WHEN 6 THEN '안녕하세요 회의'"
	"  WHEN 7 THEN 'body with 100% discount_code' WHEN 8 THEN 'invoice attached'"
	"  WHEN 9 THEN 'construction report' WHEN 10 THEN 'quoted \"text\" here'"
	"  WHEN 11 THEN 'looks good' ELSE 'preferably prefetching' END FROM msg;"
	"CREATE TEMP TABLE tagged (id INTEGER PRIMARY KEY);"
	"INSERT INTO temp.tagged VALUES (3), (5);";

static void
db_setup(void)
{
	struct qu_err err = {0};
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_msg(index_db_open_path(":memory:", &db, &err) == 0, "%s", err.msg);
	ck_assert_msg(index_db_exec(db, fixture_sql, &err) == 0, "%s", err.msg);
}

static void
db_teardown(void)
{
	sqlite3_close(db);
	db = NULL;
}

/* The ids a query selects, "1 2 3", or "error: ..." */
static char *
run_query(const char *q, int64_t now, size_t *nmatch)
{
	struct qu_err err = {0};
	struct index_query *iq = index_query_parse(q, strlen(q), &err);
	if (!iq)
		return xasprintf("error: %s", err.msg);
	struct qu_buf sql;
	struct index_params p;
	qu_buf_init(&sql, SIZE_MAX);
	index_params_init(&p);
	qu_buf_append_str(&sql, "SELECT m.id FROM msg AS m JOIN folder AS f ON f.id = m.folder"
				" WHERE ");
	ck_assert_int_eq(index_query_sql(iq, now, &sql, &p, &err), 0);
	qu_buf_append_str(&sql, " ORDER BY m.id");
	if (nmatch) {
		*nmatch = 0;
		for (const char *s = sql.data; (s = strstr(s, "MATCH")) != NULL; s++)
			(*nmatch)++;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql.data, -1, &st, NULL);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s: %s", q, sql.data, sqlite3_errmsg(db));
	ck_assert_int_eq(index_params_bind(st, 1, &p), 0);
	ck_assert_int_eq(sqlite3_bind_parameter_count(st), (int)p.n);
	struct qu_buf ids;
	qu_buf_init(&ids, SIZE_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		qu_buf_printf(&ids, "%s%lld", ids.len ? " " : "", sqlite3_column_int64(st, 0));
	ck_assert_msg(rc == SQLITE_DONE, "%s: %s", q, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	index_params_clear(&p);
	qu_buf_clear(&sql);
	index_query_free(iq);
	return qu_buf_steal(&ids, NULL);
}

static const struct {
	const char *q;
	const char *ids;
} sql_rows[] = {
	{"", "1 2 3 4 5 6 7 8 9 10 11 12"},
	{"~A", "1 2 3 4 5 6 7 8 9 10 11 12"},
	{"NOT ~A", ""},
	{"meeting", "1 2"},
	{"notes meeting", "1 2"},
	{"MEETING", "1 2"},
	{"report", "3 9 11"},
	{"subject:report", "3 9 11"},
	{"body:report", "3 9"},
	{"filename:pdf", "3 8"},
	{"filename:report.pdf", "3"},
	{"\"weekly meeting\"", "1 2"},
	{"\"meeting weekly\"", ""},
	{"\"say \"\"hi\"\"\"", "10"},
	{"pref*", "12"},
	{"subject:pref*", "12"},
	{"测试", "4"},
	{"会議", "5"},
	{"회의", "6"},
	{"會議", "7"},
	{"from:bob", "1 9 11"},
	{"from:BOB@EXAMPLE.COM", "1 11"},
	{"from:\"O'Brien\"", "10"},
	{"~f builder", "9"},
	{"from:山田", "5"},
	{"to:bob", "2 8 12"},
	{"cc:bob", "4"},
	{"~c carol", "2"},
	{"~t carol", "11"},
	{"~s weekly", "1 2"},
	{"~s eekl", "1 2"},
	{"subject:eekl", ""},
	/* LIKE's wildcards in a pattern are plain characters. */
	{"~s %", "10"},
	{"~s _", "10"},
	{"~s 0%_d", "10"},
	{"~h alice", "1 2 3 12"},
	{"~B alice", "1 2 3 12"},
	{"~b 100", "7"},
	{"is:unread", "3 4 7 9 10"},
	{"~U", "3 4 7 9 10"},
	{"is:read", "1 2 5 6 8 11 12"},
	{"is:flagged", "3"},
	{"~F", "3"},
	{"is:replied", "2"},
	{"is:deleted", "6"},
	{"~D", "6"},
	{"is:draft", "7"},
	{"is:passed", "8"},
	{"is:new", "3 4 10"},
	{"~N", "3 4 10"},
	{"~O", "7 9"},
	{"has:attachment", "3 8"},
	{"date:2026-02-01..2026-02-20", "2 7 9"},
	{"date:2026-01", "1 8"},
	{"date:..2026-01-01", "5"},
	{"date:2025", "5"},
	{"date:7d..", "3 4 10 12"},
	{"date:..7d", "1 2 5 7 8 9 11"},
	{"NOT date:2026", "5 6"},
	{"date:today", "10"},
	{"date:yesterday", "4"},
	{"~d <3d", "3 4 10"},
	{"~d >1m", "1 2 5 8"},
	{"~d =1w", "11"},
	{"~d 01/02/2026-", "2 3 4 7 9 10 11 12"},
	{"~d -31/01/2026", "1 5 8"},
	{"~d 2026-02-20..", "3 4 9 10 11 12"},
	{"~d 27/02", "3"},
	{"~d 27", ""},
	{"size:>1M", "3 8"},
	{"size:<1k", "1 4 6 7 10 11 12"},
	{"size:1k..2k", "2 5"},
	{"size:1048576", "9"},
	{"~z >1M", "3 8"},
	{"folder:Work", "4 5 6 10 12"},
	{"folder:/m/INBOX", "1 2 3 7 8 9 11"},
	{"id:m3@x", "3"},
	{"id:<m3@x>", "3"},
	{"~i m12@x", "12"},
	{"thread:3", "3 11"},
	{"thread:m11@x", "3 11"},
	{"~T", "3 5"},
	{"~=", "1 7"},
	{"from:bob OR ~F", "1 3 9 11"},
	{"from:carol ~F", "3"},
	{"from:bob ~F", ""},
	{"report -subject:quarterly", "9"},
	{"report NOT is:unread", "11"},
	{"meeting OR invoice", "1 2 8"},
	{"(meeting OR invoice) is:read", "1 2 8"},
	{"!~F ~s report", "9 11"},
	{"report (from:bob OR from:carol)", "3 9 11"},
	{"NOT (report OR meeting) folder:INBOX", "7 8"},
	{"~f bob | ~f alice", "1 2 9 11 12"},
	{"NOT from:bob", "2 3 4 5 6 7 8 10 12"},
};

START_TEST(sql_table)
{
	const char *q = sql_rows[_i].q;
	char *got = run_query(q, NOW, NULL);
	ck_assert_msg(strcmp(got, sql_rows[_i].ids) == 0, "%s: got [%s], want [%s]", q, got,
		      sql_rows[_i].ids);
	free(got);
}
END_TEST

/* Dates are local time: in Tokyo (UTC+9) January 2026 starts at
 * 2025-12-31 15:00 UTC, so message 5 (23:59:59 UTC that day) is in it. */
START_TEST(sql_local_time)
{
	setenv("TZ", "JST-9", 1);
	tzset();
	char *got = run_query("date:2026-01", NOW, NULL);
	ck_assert_str_eq(got, "1 5");
	free(got);
	got = run_query("date:2025", NOW, NULL);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

/* Words ANDed or ORed together cost one full-text lookup. */
START_TEST(sql_one_match)
{
	size_t n;
	char *got = run_query("notes weekly meeting", NOW, &n);
	ck_assert_str_eq(got, "1 2");
	ck_assert_int_eq(n, 1);
	free(got);
	got = run_query("notes OR invoice OR subject:chart", NOW, &n);
	ck_assert_str_eq(got, "1 2 8");
	ck_assert_int_eq(n, 1);
	free(got);
	got = run_query("report -quarterly is:unread", NOW, &n);
	ck_assert_str_eq(got, "9");
	ck_assert_int_eq(n, 1);
	free(got);
}
END_TEST

/* No byte of the query reaches the SQL text: everything is bound. */
START_TEST(sql_no_splicing)
{
	const char *q = "from:\"x'); DROP TABLE msg; --\" OR \"zz' OR 1=1 --\" OR "
			"folder:\"'||'\" OR id:Zq9 OR ~s Zq8 OR thread:Zq7";
	struct qu_err err = {0};
	struct index_query *iq = index_query_parse(q, strlen(q), &err);
	ck_assert_ptr_nonnull(iq);
	struct qu_buf sql;
	struct index_params p;
	qu_buf_init(&sql, SIZE_MAX);
	index_params_init(&p);
	ck_assert_int_eq(index_query_sql(iq, NOW, &sql, &p, &err), 0);
	ck_assert_ptr_null(strstr(sql.data, "DROP"));
	ck_assert_ptr_null(strstr(sql.data, "1=1"));
	ck_assert_ptr_null(strstr(sql.data, "'||'"));
	ck_assert_ptr_null(strstr(sql.data, "Zq"));
	ck_assert_int_eq(p.n, 8);
	index_params_clear(&p);
	qu_buf_clear(&sql);
	index_query_free(iq);
	char *got = run_query(q, NOW, NULL);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

/* A full buffer is an error, not a truncated expression. */
START_TEST(sql_buffer_cap)
{
	struct qu_err err = {0};
	struct index_query *iq = index_query_parse("a OR b OR c", 11, &err);
	ck_assert_ptr_nonnull(iq);
	struct qu_buf sql;
	struct index_params p;
	qu_buf_init(&sql, 10);
	index_params_init(&p);
	ck_assert_int_eq(index_query_sql(iq, NOW, &sql, &p, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_USAGE);
	index_params_clear(&p);
	qu_buf_clear(&sql);
	index_query_free(iq);
}
END_TEST

/* Values past the statement's last placeholder are refused. */
START_TEST(params_bind_range)
{
	struct qu_err err = {0};
	struct index_query *iq = index_query_parse("from:bob", 8, &err);
	ck_assert_ptr_nonnull(iq);
	struct qu_buf sql;
	struct index_params p;
	qu_buf_init(&sql, SIZE_MAX);
	index_params_init(&p);
	ck_assert_int_eq(index_query_sql(iq, NOW, &sql, &p, &err), 0);
	ck_assert_int_eq(p.n, 2);
	ck_assert(p.v[0].is_text);
	ck_assert_str_eq(p.v[0].s, "%bob%");
	sqlite3_stmt *st = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT ?, ?, ?", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(index_params_bind(st, 2, &p), 0);
	ck_assert_int_eq(index_params_bind(st, 3, &p), -1);
	sqlite3_finalize(st);
	index_params_clear(&p);
	ck_assert_int_eq(p.n, 0);
	qu_buf_clear(&sql);
	index_query_free(iq);
}
END_TEST

START_TEST(uses_fts)
{
	static const struct {
		const char *q;
		bool fts;
	} rows[] = {
		{"", false}, {"from:bob ~F", false}, {"a", true}, {"~F OR ~b x", true},
		{"NOT subject:x", true}, {"~s x", false},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(rows); i++) {
		struct qu_err err = {0};
		struct index_query *iq = index_query_parse(rows[i].q, strlen(rows[i].q), &err);
		ck_assert_ptr_nonnull(iq);
		ck_assert_msg(index_query_uses_fts(iq) == rows[i].fts, "%s", rows[i].q);
		index_query_free(iq);
	}
	index_query_free(NULL);
}
END_TEST

static Suite *
query_suite(void)
{
	Suite *s = suite_create("index-query");
	TCase *tc = tcase_create("parse");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, parse_table, 0, QU_ARRAY_LEN(parse_rows));
	tcase_add_loop_test(tc, error_table, 0, QU_ARRAY_LEN(error_rows));
	tcase_add_test(tc, error_nul);
	tcase_add_test(tc, hostile_nesting);
	tcase_add_test(tc, long_queries);
	tcase_add_test(tc, uses_fts);
	suite_add_tcase(s, tc);

	tc = tcase_create("sql");
	tcase_add_checked_fixture(tc, db_setup, db_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, sql_table, 0, QU_ARRAY_LEN(sql_rows));
	tcase_add_test(tc, sql_local_time);
	tcase_add_test(tc, sql_one_match);
	tcase_add_test(tc, sql_no_splicing);
	tcase_add_test(tc, sql_buffer_cap);
	tcase_add_test(tc, params_bind_range);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return th_run(query_suite());
}
