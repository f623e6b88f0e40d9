/* ENVELOPE and BODYSTRUCTURE decoding (RFC 3501 §7.4.2), with extension
 * data, message/rfc822 inside, and nesting deep enough to need the
 * explicit stack. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "imap/imap.h"

static struct imap_parser p;

static void
parse(const char *in, struct imap_resp *r)
{
	imap_parser_init(&p, NULL);
	size_t used, n = strlen(in), off = 0;
	for (;;) {
		enum imap_parse pr = imap_parser_feed(&p, in + off, n - off, &used);
		off += used;
		if (pr == IMAP_PARSE_LITERAL) {
			ck_assert_int_eq(imap_parser_literal_accept(&p), 0);
			continue;
		}
		ck_assert_int_eq(pr, IMAP_PARSE_DONE);
		break;
	}
	imap_parser_response(&p, r);
}

/* The value after item name in "* n FETCH (...)". */
static uint32_t
item(const struct imap_resp *r, const char *name)
{
	uint32_t l = r->args;
	for (uint32_t i = l + 1; i < r->nodes[l].end; i = r->nodes[r->nodes[i].end].end)
		if (imap_node_is(r, i, name))
			return r->nodes[i].end;
	ck_abort_msg("no %s", name);
	return 0;
}

START_TEST(envelope)
{
	struct imap_resp r;
	parse("* 12 FETCH (ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
	      "\"IMAP4rev1 WG mtg summary and minutes\" "
	      "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	      "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	      "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	      "((NIL NIL \"imap\" \"cac.washington.edu\")) "
	      "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\") "
	      "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
	      "\"<B27397-0100000@cac.washington.edu>\"))\r\n",
	      &r);
	struct imap_envelope e;
	ck_assert_int_eq(imap_envelope_decode(&r, item(&r, "ENVELOPE"), &e), 0);
	ck_assert_str_eq(e.subject, "IMAP4rev1 WG mtg summary and minutes");
	ck_assert_uint_eq(e.n_from, 1);
	ck_assert_str_eq(e.from[0].name, "Terry Gray");
	ck_assert_ptr_null(e.from[0].adl);
	ck_assert_str_eq(e.from[0].host, "cac.washington.edu");
	ck_assert_uint_eq(e.n_cc, 2);
	ck_assert_str_eq(e.cc[1].mailbox, "KLENSIN");
	ck_assert_uint_eq(e.n_bcc, 0);
	ck_assert_ptr_null(e.in_reply_to);
	ck_assert_str_eq(e.message_id, "<B27397-0100000@cac.washington.edu>");
	imap_envelope_clear(&e);
	ck_assert_int_eq(imap_envelope_decode(&r, r.args, &e), -1);
	imap_parser_clear(&p);
}
END_TEST

START_TEST(bodystructure)
{
	struct imap_resp r;
	parse("* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	      "\"7BIT\" 1152 23 NIL NIL NIL NIL)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" "
	      "\"cc.diff\") \"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" "
	      "\"BASE64\" 4554 73 NIL (\"attachment\" (\"filename\" {7}\r\ncc.diff)) (\"en\" \"de\") "
	      "NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 342 (NIL \"inner\" NIL NIL NIL NIL NIL "
	      "NIL NIL NIL) (\"TEXT\" \"HTML\" NIL NIL NIL \"QUOTED-PRINTABLE\" 100 4) 12) \"MIXED\" "
	      "(\"BOUNDARY\" \"x\") NIL NIL \"http://loc\"))\r\n",
	      &r);
	struct imap_bodystructure b;
	ck_assert_int_eq(imap_bodystructure_decode(&r, item(&r, "BODYSTRUCTURE"), &b), 0);
	ck_assert_uint_eq(b.n, 5);
	const struct imap_body_part *root = &b.parts[0];
	ck_assert_str_eq(root->type, "multipart");
	ck_assert_str_eq(root->subtype, "mixed");
	ck_assert_str_eq(root->params[0].name, "boundary");
	ck_assert_str_eq(root->location, "http://loc");
	const struct imap_body_part *t1 = &b.parts[root->first_child];
	ck_assert_str_eq(t1->subtype, "plain");
	ck_assert_uint_eq(t1->size, 1152);
	ck_assert_uint_eq(t1->lines, 23);
	const struct imap_body_part *t2 = &b.parts[t1->next_sibling];
	ck_assert_str_eq(t2->encoding, "base64");
	ck_assert_str_eq(t2->disposition, "attachment");
	ck_assert_str_eq(t2->disp_params[0].value, "cc.diff");
	ck_assert_str_eq(t2->language, "en");
	ck_assert_str_eq(t2->description, "Compiler diff");
	const struct imap_body_part *m = &b.parts[t2->next_sibling];
	ck_assert_str_eq(m->type, "message");
	ck_assert(m->has_envelope);
	ck_assert_uint_eq(m->lines, 12);
	ck_assert_uint_eq(m->next_sibling, 0);
	const struct imap_body_part *inner = &b.parts[m->first_child];
	ck_assert_str_eq(inner->subtype, "html");
	ck_assert_uint_eq(inner->depth, 2);
	imap_bodystructure_clear(&b);
	imap_parser_clear(&p);
}
END_TEST

/* 90 nested multiparts decode without recursion. */
START_TEST(deep)
{
	struct qu_buf in;
	qu_buf_init(&in, SIZE_MAX);
	qu_buf_append_str(&in, "* 1 FETCH (BODY ");
	for (int i = 0; i < 90; i++)
		qu_buf_append_str(&in, "(");
	qu_buf_append_str(&in, "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)");
	for (int i = 0; i < 90; i++)
		qu_buf_append_str(&in, " \"mixed\")");
	qu_buf_append_str(&in, ")\r\n");
	struct imap_resp r;
	parse(in.data, &r);
	struct imap_bodystructure b;
	ck_assert_int_eq(imap_bodystructure_decode(&r, item(&r, "BODY"), &b), 0);
	ck_assert_uint_eq(b.n, 91);
	ck_assert_str_eq(b.parts[90].type, "text");
	ck_assert_uint_eq(b.parts[90].depth, 90);
	imap_bodystructure_clear(&b);
	imap_parser_clear(&p);
	qu_buf_clear(&in);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap-body");
	TCase *tc = tcase_create("body");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, envelope);
	tcase_add_test(tc, bodystructure);
	tcase_add_test(tc, deep);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
