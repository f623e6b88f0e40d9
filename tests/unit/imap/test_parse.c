/* The IMAP response parser: every response shape, literals kept and
 * streamed, limits, leniencies, and that the result never depends on how
 * the input is split. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "imap/imap.h"

/* Renders nodes [first, last) as text: atoms bare, strings quoted, streamed
 * literals as {n}, lists in parentheses. */
static void
render(struct qu_buf *b, const struct imap_resp *r, uint32_t first, uint32_t last)
{
	uint32_t ends[128];
	size_t ne = 0;
	for (uint32_t i = first; i < last; i++) {
		while (ne && ends[ne - 1] <= i) {
			qu_buf_append_byte(b, ')');
			ne--;
		}
		if (b->len && !strchr("(|[", b->data[b->len - 1]))
			qu_buf_append_byte(b, ' ');
		const struct imap_node *n = &r->nodes[i];
		switch (n->kind) {
		case IMAP_NODE_ATOM:
			qu_buf_append(b, r->data + n->off, n->len);
			break;
		case IMAP_NODE_STRING:
			qu_buf_append_byte(b, '"');
			qu_buf_append(b, r->data + n->off, n->len);
			qu_buf_append_byte(b, '"');
			break;
		case IMAP_NODE_STREAMED:
			qu_buf_printf(b, "{%llu}", (unsigned long long)imap_node_size(n));
			break;
		case IMAP_NODE_NIL:
			qu_buf_append_str(b, "NIL");
			break;
		case IMAP_NODE_LIST:
			qu_buf_append_byte(b, '(');
			if (ne < 128)
				ends[ne++] = n->end;
			break;
		}
	}
	while (ne--)
		qu_buf_append_byte(b, ')');
}

static void
describe(struct qu_buf *b, const struct imap_resp *r)
{
	qu_buf_printf(b, "%s|", imap_resp_type_name(r->type));
	qu_buf_append(b, r->tag, r->tag_len);
	qu_buf_append_byte(b, '|');
	if (r->has_num)
		qu_buf_printf(b, "%u|", (unsigned)r->num);
	qu_buf_append(b, r->kw, r->kw_len);
	qu_buf_printf(b, "|%s|", imap_status_name(r->status));
	render(b, r, r->args, r->args_end);
	qu_buf_append_str(b, "|[");
	render(b, r, r->code, r->code_end);
	qu_buf_append_str(b, "]|");
	qu_buf_append(b, r->text, r->text_len);
	if (r->lenient)
		qu_buf_append_str(b, "|lenient");
}

/* Parses all of in, fed in pieces of chunk bytes. Literals are kept,
 * except those of more than stream_over bytes, which are skipped (their
 * bytes dropped here as a sink would take them). Each response is one
 * line of the result; an error ends it with "ERROR: why". */
static char *
parse_all(const char *in, size_t n, size_t chunk, uint64_t stream_over)
{
	struct imap_parser p;
	struct imap_parser_limits lim = {.max_bytes = 4096, .max_nodes = 1000, .max_depth = 20};
	imap_parser_init(&p, &lim);
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	size_t off = 0;
	uint64_t skip = 0;
	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk;
		if (skip) {
			size_t t = skip < k ? (size_t)skip : k;
			skip -= t;
			off += t;
			continue;
		}
		size_t used;
		enum imap_parse r = imap_parser_feed(&p, in + off, k, &used);
		off += used;
		if (r == IMAP_PARSE_ERROR) {
			qu_buf_printf(&out, "ERROR: %s\n", imap_parser_error(&p));
			break;
		}
		if (r == IMAP_PARSE_LITERAL) {
			struct imap_literal_info li;
			imap_parser_literal_info(&p, &li);
			if (li.size > stream_over) {
				imap_parser_literal_skip(&p);
				skip = li.size;
			} else if (imap_parser_literal_accept(&p) < 0) {
				qu_buf_printf(&out, "ERROR: %s\n", imap_parser_error(&p));
				break;
			}
		} else if (r == IMAP_PARSE_DONE) {
			struct imap_resp resp;
			imap_parser_response(&p, &resp);
			describe(&out, &resp);
			qu_buf_append_byte(&out, '\n');
		}
	}
	imap_parser_clear(&p);
	return qu_buf_steal(&out, NULL);
}

static const struct {
	const char *in;
	const char *want;
} cases[] = {
	{"* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n",
	 "untagged|*|OK|OK||[CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN]|Dovecot ready.\n"},
	{"Q1 OK done\r\n", "tagged|Q1|OK|OK||[]|done\n"},
	{"Q2 NO [TRYCREATE] no such mailbox\r\n", "tagged|Q2|NO|NO||[TRYCREATE]|no such mailbox\n"},
	{"a.b BAD\r\n", "tagged|a.b|BAD|BAD||[]|\n"},
	{"* 23 EXISTS\r\n", "untagged|*|23|EXISTS|NONE||[]|\n"},
	{"* BYE going away\r\n", "untagged|*|BYE|BYE||[]|going away\n"},
	{"+ idling\r\n", "continue|+||NONE||[]|idling\n"},
	{"+\r\n", "continue|+||NONE||[]|\n"},
	{"+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=\r\n",
	 "continue|+||NONE||[]|YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=\n"},
	{"* OK [PERMANENTFLAGS (\\Answered \\Seen \\*)] Limited\r\n",
	 "untagged|*|OK|OK||[PERMANENTFLAGS (\\Answered \\Seen \\*)]|Limited\n"},
	{"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
	 "untagged|*|OK|OK||[UIDVALIDITY 3857529045]|UIDs valid\n"},
	{"* OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
	 "untagged|*|OK|OK||[COPYUID 38505 304,319:320 3956:3958]|Done\n"},
	{"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n",
	 "untagged|*|LIST|NONE|(\\HasNoChildren \\Sent) \"/\" \"Sent Items\"|[]|\n"},
	{"* LIST () NIL inbox\r\n", "untagged|*|LIST|NONE|() NIL inbox|[]|\n"},
	{"* LIST (\\Noselect) \"/\" {4}\r\na\"b)\r\n",
	 "untagged|*|LIST|NONE|(\\Noselect) \"/\" \"a\"b)\"|[]|\n"},
	{"* STATUS \"Entw&APw-rfe\" (MESSAGES 300 UNSEEN 2 UIDNEXT 301)\r\n",
	 "untagged|*|STATUS|NONE|\"Entw&APw-rfe\" (MESSAGES 300 UNSEEN 2 UIDNEXT 301)|[]|\n"},
	{"* 12 FETCH (UID 5 FLAGS (\\Seen $Forwarded) MODSEQ (7) RFC822.SIZE 44 BODY[] {5}\r\nHello)\r\n",
	 "untagged|*|12|FETCH|NONE|(UID 5 FLAGS (\\Seen $Forwarded) MODSEQ (7) RFC822.SIZE 44 BODY[] "
	 "\"Hello\")|[]|\n"},
	{"* 1 FETCH (BODY[HEADER.FIELDS (FROM \"TO\")]<0> {2}\r\nab BINARY[1] ~{3}\r\n\0\1\2)\r\n",
	 "untagged|*|1|FETCH|NONE|(BODY[HEADER.FIELDS (FROM \"TO\")]<0> \"ab\" BINARY[1] \"\0\1\2\")|[]|\n"},
	{"* 1 FETCH (BODY[] {0}\r\n)\r\n", "untagged|*|1|FETCH|NONE|(BODY[] \"\")|[]|\n"},
	{"* SEARCH 2 3 6\r\n", "untagged|*|SEARCH|NONE|2 3 6|[]|\n"},
	{"* ESEARCH (TAG \"Q5\") UID ALL 1:3,5\r\n",
	 "untagged|*|ESEARCH|NONE|(TAG \"Q5\") UID ALL 1:3,5|[]|\n"},
	{"* ID (\"name\" \"Dovecot\" \"x\\\"y\\\\z\" NIL)\r\n",
	 "untagged|*|ID|NONE|(\"name\" \"Dovecot\" \"x\"y\\z\" NIL)|[]|\n"},
	{"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n",
	 "untagged|*|NAMESPACE|NONE|((\"\" \"/\")) NIL NIL|[]|\n"},
	{"* VANISHED (EARLIER) 41,43:116\r\n",
	 "untagged|*|VANISHED|NONE|(EARLIER) 41,43:116|[]|\n"},
	/* Two responses, and one that ends with a bare LF (lenient). */
	{"* 1 EXISTS\r\n* 0 RECENT\n",
	 "untagged|*|1|EXISTS|NONE||[]|\nuntagged|*|0|RECENT|NONE||[]|\n"},
	/* Leniencies. */
	{"* XYZ a) b\r\n", "untagged|*|XYZ|NONE|a) b|[]|\n"},
	{"* XYZ (a (b\r\n", "untagged|*|XYZ|NONE|(a (b))|[]||lenient\n"},
	{"* XYZ \"unterminated\r\n", "untagged|*|XYZ|NONE|\"unterminated\"|[]||lenient\n"},
	{"* OK [ALERT unclosed\r\n", "untagged|*|OK|OK||[ALERT unclosed]||lenient\n"},
	{"* OK {5}\r\nhello more\r\n", "untagged|*|OK|OK||[]|{5}hello more|lenient\n"},
	{"* OK  two spaces\r\n", "untagged|*|OK|OK||[]|two spaces\n"},
	/* Errors. */
	{"\r\n", "ERROR: response without a tag\n"},
	{"Q1\r\n", "ERROR: tagged response without a status\n"},
	{"* X {12a}\r\n", "ERROR: malformed literal\n"},
	{"* X {5}x\r\n", "ERROR: malformed literal: no line end after {n}\n"},
	{"* X {123456789012345678901}\r\n", "ERROR: literal size too large\n"},
	{"* X {5000}\r\n", "ERROR: server announced a literal of 5000 bytes where none fits\n"},
};

START_TEST(table)
{
	const char *in = cases[_i].in;
	size_t n = strlen(in);
	/* The cases with NULs inside are written with an explicit length. */
	if (strstr(in, "~{3}"))
		n = strlen(in) + 3 + 3;
	char *got = parse_all(in, n, SIZE_MAX, UINT64_MAX);
	ck_assert_msg(strcmp(got, cases[_i].want) == 0, "input %s\ngot  %s\nwant %s", in, got,
		      cases[_i].want);
	free(got);
}
END_TEST

/* Fed a byte at a time, or in any other pieces, the result is the same. */
START_TEST(any_split)
{
	const char *in = cases[_i].in;
	size_t n = strlen(in);
	if (strstr(in, "~{3}"))
		n = strlen(in) + 3 + 3;
	char *whole = parse_all(in, n, SIZE_MAX, UINT64_MAX);
	for (size_t chunk = 1; chunk < 9; chunk++) {
		char *got = parse_all(in, n, chunk, UINT64_MAX);
		ck_assert_msg(strcmp(got, whole) == 0, "chunk %zu: %s vs %s", chunk, got, whole);
		free(got);
	}
	free(whole);
}
END_TEST

START_TEST(streamed_literal)
{
	const char in[] = "* 3 FETCH (UID 9 BODY[] {10}\r\n0123456789 FLAGS (\\Seen))\r\nQ1 OK\r\n";
	char *got = parse_all(in, sizeof in - 1, 3, 5);
	ck_assert_str_eq(got, "untagged|*|3|FETCH|NONE|(UID 9 BODY[] {10} FLAGS (\\Seen))|[]|\n"
			      "tagged|Q1|OK|OK||[]|\n");
	free(got);
}
END_TEST

/* 4 GiB announced: kept it is refused; streamed it is only a size. */
START_TEST(huge_literal)
{
	struct imap_parser p;
	imap_parser_init(&p, NULL);
	const char in[] = "* 1 FETCH (UID 4 BODY[] {4294967296}\r\n";
	size_t used;
	ck_assert_int_eq(imap_parser_feed(&p, in, sizeof in - 1, &used), IMAP_PARSE_LITERAL);
	ck_assert_uint_eq(used, sizeof in - 1);
	struct imap_literal_info li;
	imap_parser_literal_info(&p, &li);
	ck_assert_uint_eq(li.size, 4294967296ull);
	ck_assert(li.in_fetch);
	ck_assert_uint_eq(li.num, 1);
	ck_assert_uint_eq(li.depth, 1);
	ck_assert_int_eq((int)li.item_len, 6);
	ck_assert_int_eq(memcmp(li.item, "BODY[]", 6), 0);
	imap_parser_literal_skip(&p);
	ck_assert_int_eq(imap_parser_feed(&p, ")\r\n", 3, &used), IMAP_PARSE_DONE);
	struct imap_resp r;
	imap_parser_response(&p, &r);
	uint32_t l = r.args, body = r.nodes[r.nodes[l + 1].end].end + 1;
	ck_assert_int_eq(r.nodes[body].kind, IMAP_NODE_STREAMED);
	ck_assert_uint_eq(imap_node_size(&r.nodes[body]), 4294967296ull);
	/* Kept, it does not fit. */
	ck_assert_int_eq(imap_parser_feed(&p, in, sizeof in - 1, &used), IMAP_PARSE_LITERAL);
	ck_assert_int_eq(imap_parser_literal_accept(&p), -1);
	ck_assert_ptr_nonnull(strstr(imap_parser_error(&p), "4294967296"));
	ck_assert_int_eq(imap_parser_feed(&p, "x", 1, &used), IMAP_PARSE_ERROR);
	imap_parser_clear(&p);
}
END_TEST

/* 10,000 nested parentheses: refused at the depth limit, no recursion. */
START_TEST(deep_nesting)
{
	size_t n = 10000;
	char *in = xmalloc(2 * n + 16);
	memcpy(in, "* X ", 4);
	memset(in + 4, '(', n);
	memset(in + 4 + n, ')', n);
	memcpy(in + 4 + 2 * n, "\r\n", 2);
	struct imap_parser p;
	imap_parser_init(&p, NULL);
	size_t used;
	ck_assert_int_eq(imap_parser_feed(&p, in, 2 * n + 6, &used), IMAP_PARSE_ERROR);
	ck_assert_ptr_nonnull(strstr(imap_parser_error(&p), "nested"));
	/* 100 deep is fine. */
	imap_parser_reset(&p);
	memset(in + 4, '(', 100);
	memset(in + 104, ')', 100);
	memcpy(in + 204, "\r\n", 2);
	ck_assert_int_eq(imap_parser_feed(&p, in, 206, &used), IMAP_PARSE_DONE);
	imap_parser_clear(&p);
	free(in);
}
END_TEST

START_TEST(limits)
{
	struct imap_parser_limits lim = {.max_bytes = 16, .max_nodes = 4};
	struct imap_parser p;
	imap_parser_init(&p, &lim);
	size_t used;
	const char a[] = "* X aaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
	ck_assert_int_eq(imap_parser_feed(&p, a, sizeof a - 1, &used), IMAP_PARSE_ERROR);
	ck_assert_ptr_nonnull(strstr(imap_parser_error(&p), "longer"));
	imap_parser_reset(&p);
	const char b[] = "* X 1 2 3 4 5\r\n";
	ck_assert_int_eq(imap_parser_feed(&p, b, sizeof b - 1, &used), IMAP_PARSE_ERROR);
	ck_assert_ptr_nonnull(strstr(imap_parser_error(&p), "too many"));
	imap_parser_clear(&p);
}
END_TEST

START_TEST(node_helpers)
{
	struct imap_parser p;
	imap_parser_init(&p, NULL);
	const char in[] = "* 7 FETCH (UID 4294967295 X 4294967296 NAME \"a\\0b\")\r\n";
	size_t used;
	ck_assert_int_eq(imap_parser_feed(&p, in, sizeof in - 1, &used), IMAP_PARSE_DONE);
	struct imap_resp r;
	imap_parser_response(&p, &r);
	uint32_t uid = r.args + 2, x = uid + 2;
	uint64_t v;
	ck_assert(imap_node_is(&r, r.args + 1, "uid"));
	ck_assert_int_eq(imap_node_u64(&r, uid, UINT32_MAX, &v), 0);
	ck_assert_uint_eq(v, 4294967295u);
	ck_assert_int_eq(imap_node_u64(&r, x, UINT32_MAX, &v), -1);
	size_t n;
	char *s = imap_node_dup(&r, x + 2, &n);
	ck_assert_uint_eq(n, 3);
	free(s);
	ck_assert(imap_parser_between(&p));
	imap_parser_clear(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap-parse");
	TCase *tc = tcase_create("parse");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, table, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_loop_test(tc, any_split, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_test(tc, streamed_literal);
	tcase_add_test(tc, huge_literal);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, node_helpers);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
