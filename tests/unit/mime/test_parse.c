/*
 * The part-tree parser: boundaries (prefixes of one another, missing,
 * never found, line ends that belong to them), bare CR, nesting limits,
 * digests, encoded message/rfc822, header blocks, and decoding leaves.
 */
#include "tcommon.h"

/* Compares bytes with a string literal (which may hold NULs). */
#define ck_mem_lit(got, n, lit) ck_assert_mem_eq_n(got, n, lit, sizeof(lit) - 1)

/* A parsed message and its defects. */
struct parsed {
	struct tdefects td;
	struct mime_part *root;
};

static void
parse_s(struct parsed *ps, const char *p, size_t n)
{
	tdefects_init(&ps->td);
	ps->root = mime_parse(p, n, NULL, &ps->td.d);
	ck_assert_ptr_nonnull(ps->root);
}

/* The i-th leaf in walk order (0-based), or NULL. */
static struct mime_part *
leaf(struct mime_part *root, size_t i)
{
	for (struct mime_part *p = root; p; p = mime_part_next(p, root))
		if (p->kind == MIME_PART_LEAF && i-- == 0)
			return p;
	return NULL;
}

static size_t
count_leaves(struct mime_part *root)
{
	size_t n = 0;
	for (struct mime_part *p = root; p; p = mime_part_next(p, root))
		n += p->kind == MIME_PART_LEAF;
	return n;
}

/* The body bytes of a leaf, decoded. */
static void
ck_body(const struct mime_part *part, const char *want)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_int_eq(mime_part_decode(part, &b, NULL, NULL), 0);
	ck_assert_mem_eq_n(b.data ? b.data : "", b.len, want, strlen(want));
	qu_buf_clear(&b);
}

START_TEST(test_single_part)
{
	static const char m[] = "Subject: hi\nFrom: A <a@x>\n\nbody\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	ck_assert_int_eq(ps.root->kind, MIME_PART_LEAF);
	ck_assert_str_eq(ps.root->content_type, "text/plain");
	ck_assert_ptr_null(ps.root->charset);
	ck_assert_str_eq(ps.root->envelope->subject, "hi");
	ck_assert_uint_eq(ps.root->body_off, 27);
	ck_body(ps.root, "body\n");
	ck_assert_uint_eq(ps.td.d.count, 0);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_line_end_belongs_to_boundary)
{
	static const char lf[] = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n\n--b\n\ntwo\n--b--\n";
	static const char crlf[] = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n\r\n"
				   "--b\r\n\r\ntwo\r\n--b--\r\n";
	struct parsed ps;
	parse_s(&ps, S(lf));
	ck_assert_uint_eq(ps.root->nchildren, 2);
	ck_body(leaf(ps.root, 0), "one\n");
	ck_body(leaf(ps.root, 1), "two");
	ck_assert(ps.root->closed);
	mime_part_free(ps.root);
	parse_s(&ps, S(crlf));
	ck_body(leaf(ps.root, 0), "one\r\n");
	ck_body(leaf(ps.root, 1), "two");
	ck_assert_uint_eq(ps.td.d.count, 0);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_bare_cr)
{
	static const char m[] = "Subject: old\r mac\rContent-Type: multipart/mixed; boundary=q\r\r"
				"--q\rContent-Type: text/plain\r\rline1\rline2\r--q--\r";
	struct parsed ps;
	parse_s(&ps, S(m));
	ck_assert_str_eq(ps.root->envelope->subject, "old mac");
	ck_assert_int_eq(ps.root->kind, MIME_PART_MULTIPART);
	ck_assert_uint_eq(ps.root->nchildren, 1);
	ck_body(leaf(ps.root, 0), "line1\rline2");
	struct qu_buf t;
	qu_buf_init(&t, SIZE_MAX);
	ck_assert_int_eq(mime_part_text(leaf(ps.root, 0), NULL, NULL, &t, NULL, NULL), 0);
	ck_assert_str_eq(t.data, "line1\nline2");
	qu_buf_clear(&t);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_prefix_boundaries)
{
	/* The inner boundary starts with the outer one, and the other way
	 * round: a delimiter is the boundary then only white space. */
	static const char m[] =
		"Content-Type: multipart/mixed; boundary=\"abc\"\n\n"
		"--abc\n"
		"Content-Type: multipart/alternative; boundary=\"abcdef\"\n\n"
		"--abcdef\n\nx1\n"
		"--abcdef \n\nx2\n"
		"--abcdef--\n"
		"--abc\n\ny\n"
		"--abcx\n"
		"--abc--  \n";
	struct parsed ps;
	parse_s(&ps, S(m));
	ck_assert_uint_eq(count_leaves(ps.root), 3);
	ck_body(leaf(ps.root, 0), "x1");
	ck_body(leaf(ps.root, 1), "x2");
	ck_body(leaf(ps.root, 2), "y\n--abcx");
	ck_assert_uint_eq(ps.td.d.count, 0);
	mime_part_free(ps.root);

	static const char m2[] =
		"Content-Type: multipart/mixed; boundary=\"abcdef\"\n\n"
		"--abcdef\n"
		"Content-Type: multipart/alternative; boundary=\"abc\"\n\n"
		"--abc\n\nin\n--abc--\n"
		"--abcdef--\n";
	parse_s(&ps, S(m2));
	ck_assert_uint_eq(count_leaves(ps.root), 1);
	ck_body(leaf(ps.root, 0), "in");
	ck_assert_uint_eq(ps.td.d.count, 0);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_missing_final_boundary)
{
	static const char m[] = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	ck_assert_uint_eq(ps.root->nchildren, 2);
	ck_body(leaf(ps.root, 1), "two\n");
	ck_assert(!ps.root->closed);
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_NO_END_BOUNDARY], 1);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_outer_closes_inner)
{
	static const char m[] = "Content-Type: multipart/mixed; boundary=out\n\n"
				"--out\nContent-Type: multipart/alternative; boundary=in\n\n"
				"--in\n\na\n--in\n\nb\n"
				"--out\n\nc\n--out--\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	ck_assert_uint_eq(count_leaves(ps.root), 3);
	ck_body(leaf(ps.root, 1), "b");
	ck_body(leaf(ps.root, 2), "c");
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_NO_END_BOUNDARY], 1);
	ck_assert(ps.root->closed);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_preamble_epilogue)
{
	static const char m[] = "Content-Type: multipart/mixed; boundary=b\n\n"
				"pre\namble\n--b\n\nx\n--b--\nepi\nlogue\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	const struct mime_part *r = ps.root;
	ck_assert_mem_eq_n(m + r->body_off, r->preamble_end - r->body_off, "pre\namble", 9);
	ck_assert_mem_eq_n(m + r->epilogue_off, r->end - r->epilogue_off, "epi\nlogue\n", 10);
	/* A delimiter inside the epilogue is text. */
	static const char m2[] = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n--b\n\ny\n";
	mime_part_free(ps.root);
	parse_s(&ps, S(m2));
	ck_assert_uint_eq(count_leaves(ps.root), 1);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_no_usable_boundary)
{
	static const char none[] = "Content-Type: multipart/mixed\n\n--b\n\nx\n--b--\n";
	static const char empty[] = "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx\n";
	static const char never[] = "Content-Type: multipart/mixed; boundary=zz\n\n--b\n\nx\n--b--\n";
	struct parsed ps;
	parse_s(&ps, S(none));
	ck_assert_int_eq(ps.root->kind, MIME_PART_MULTIPART);
	ck_assert_uint_eq(ps.root->nchildren, 0);
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_NO_BOUNDARY], 1);
	mime_part_free(ps.root);
	parse_s(&ps, S(empty));
	ck_assert_uint_eq(ps.root->nchildren, 0);
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_NO_BOUNDARY], 1);
	mime_part_free(ps.root);
	parse_s(&ps, S(never));
	ck_assert_uint_eq(ps.root->nchildren, 0);
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_NO_START_BOUNDARY], 1);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_empty_parts_and_headerless)
{
	static const char m[] = "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\n--b\nno header line\n--b--";
	struct parsed ps;
	parse_s(&ps, S(m));
	ck_assert_uint_eq(ps.root->nchildren, 3);
	ck_body(leaf(ps.root, 0), "");
	ck_body(leaf(ps.root, 1), "");
	ck_body(leaf(ps.root, 2), "no header line");
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_HEADER_NO_SEPARATOR], 2);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_digest_default)
{
	static const char m[] = "Content-Type: multipart/digest; boundary=d\n\n"
				"--d\n\nSubject: first\n\none\n"
				"--d\nContent-Type: text/plain\n\nplain\n"
				"--d\n\nSubject: third\nContent-Type: multipart/mixed; boundary=e\n\n"
				"--e\n\nin\n--e--\n"
				"--d--\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	const struct mime_part *c = ps.root->child;
	ck_assert_str_eq(c->content_type, "message/rfc822");
	ck_assert_int_eq(c->kind, MIME_PART_MESSAGE);
	ck_assert_str_eq(c->child->envelope->subject, "first");
	ck_assert_str_eq(c->child->content_type, "text/plain");
	ck_assert_str_eq(c->next->content_type, "text/plain");
	const struct mime_part *third = c->next->next;
	ck_assert_str_eq(third->child->envelope->subject, "third");
	ck_assert_int_eq(third->child->kind, MIME_PART_MULTIPART);
	ck_assert_uint_eq(count_leaves(ps.root), 3);
	ck_body(leaf(ps.root, 2), "in");
	ck_assert_uint_eq(ps.td.d.count, 0);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_encoded_message)
{
	/* base64 of "Subject: inner\n\nhello\n" */
	static const char b64[] = "Content-Type: multipart/mixed; boundary=b\n\n"
				  "--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
				  "U3ViamVjdDogaW5uZXIKCmhlbGxvCg==\n--b--\n";
	static const char qp[] = "Content-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n"
				 "Subject: =3D?\nContent-Type: text/plain; charset=utf-8\n\ncaf=C3=A9=\n!\n";
	struct parsed ps;
	parse_s(&ps, S(b64));
	const struct mime_part *msg = ps.root->child;
	ck_assert_int_eq(msg->kind, MIME_PART_MESSAGE);
	ck_assert_ptr_nonnull(msg->owned);
	ck_assert_str_eq(msg->child->envelope->subject, "inner");
	ck_body(msg->child, "hello\n");
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_MESSAGE_ENCODED], 1);
	mime_part_free(ps.root);
	parse_s(&ps, S(qp));
	ck_assert_int_eq(ps.root->kind, MIME_PART_MESSAGE);
	ck_assert_str_eq(ps.root->child->envelope->subject, "=?");
	ck_body(ps.root->child, "caf\xc3\xa9!\n");
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_message_in_place)
{
	static const char m[] = "Content-Type: multipart/mixed; boundary=b\n\n"
				"--b\nContent-Type: message/rfc822\n\n"
				"From: x@y\nSubject: fwd\nContent-Type: multipart/alternative; boundary=c\n\n"
				"--c\n\nt1\n--c\n\nt2\n"
				"--b--\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	const struct mime_part *msg = ps.root->child;
	ck_assert_int_eq(msg->kind, MIME_PART_MESSAGE);
	ck_assert_ptr_null(msg->owned);
	ck_assert_str_eq(msg->child->envelope->subject, "fwd");
	ck_assert_uint_eq(msg->child->envelope->from.n, 1);
	ck_assert_uint_eq(count_leaves(ps.root), 2);
	ck_body(leaf(ps.root, 1), "t2");
	mime_part_free(ps.root);
}
END_TEST

/* depth nested multiparts, boundary "bN" (or the same one for all). */
static char *
nested(size_t depth, bool same, size_t *len)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, "Subject: deep\n");
	for (size_t i = 0; i < depth; i++)
		qu_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%zu\"\n\n--b%zu\n",
			same ? 0 : i, same ? 0 : i);
	qu_buf_append_str(&b, "Content-Type: text/plain\n\ncore\n");
	for (size_t i = depth; i-- > 0;)
		qu_buf_printf(&b, "--b%zu--\n", same ? 0 : i);
	return qu_buf_steal(&b, len);
}

START_TEST(test_depth_limit)
{
	size_t n;
	char *m = nested(10000, false, &n);
	struct parsed ps;
	parse_s(&ps, m, n);
	unsigned maxd = 0;
	size_t parts = 0;
	for (struct mime_part *p = ps.root; p; p = mime_part_next(p, ps.root)) {
		maxd = p->depth > maxd ? p->depth : maxd;
		parts++;
	}
	ck_assert_uint_eq(maxd, MIME_DEPTH_MAX);
	ck_assert_uint_eq(parts, MIME_DEPTH_MAX + 1);
	struct mime_part *deep = leaf(ps.root, 0);
	ck_assert(deep->opaque);
	ck_assert_str_eq(deep->content_type, "multipart/mixed");
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_DEPTH_LIMIT], 1);
	/* Every level above the limit found its own close delimiter. */
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_NO_END_BOUNDARY], 0);
	ck_assert(ps.root->closed);
	mime_part_free(ps.root);
	free(m);

	/* One boundary for all: each level past the limit is a sibling. */
	m = nested(10000, true, &n);
	parse_s(&ps, m, n);
	ck_assert_uint_ge(ps.td.kinds[MIME_DEFECT_DEPTH_LIMIT], 1);
	for (struct mime_part *p = ps.root; p; p = mime_part_next(p, ps.root))
		ck_assert_uint_le(p->depth, MIME_DEPTH_MAX);
	mime_part_free(ps.root);
	free(m);

	/* message/rfc822 inside message/rfc822, 10000 deep. */
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (int i = 0; i < 10000; i++)
		qu_buf_append_str(&b, "Content-Type: message/rfc822\n\n");
	qu_buf_append_str(&b, "\ncore\n");
	parse_s(&ps, b.data, b.len);
	ck_assert_uint_eq(count_leaves(ps.root), 1);
	ck_assert(leaf(ps.root, 0)->opaque);
	mime_part_free(ps.root);
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_part_limit)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (int i = 0; i < MIME_PARTS_MAX + 500; i++)
		qu_buf_append_str(&b, "--b\n\nx\n");
	qu_buf_append_str(&b, "--b--\n");
	struct parsed ps;
	parse_s(&ps, b.data, b.len);
	ck_assert_uint_eq(ps.root->nchildren, MIME_PARTS_MAX - 1);
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_PART_LIMIT], 1);
	mime_part_free(ps.root);
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_signed_byte_exact)
{
	static const char signed_part[] = "Content-Type: text/plain; charset=us-ascii\r\n"
					  "Content-Transfer-Encoding: 7bit\r\n\r\n"
					  "Signed text  \r\nwith trailing blanks\t\r\n";
	static const char m[] = "Content-Type: multipart/signed; boundary=s; protocol=\"application/pgp-signature\"; micalg=pgp-sha256\r\n\r\n"
				"--s\r\n"
				"Content-Type: text/plain; charset=us-ascii\r\n"
				"Content-Transfer-Encoding: 7bit\r\n\r\n"
				"Signed text  \r\nwith trailing blanks\t\r\n"
				"\r\n--s\r\n"
				"Content-Type: application/pgp-signature\r\n\r\n"
				"-----BEGIN PGP SIGNATURE-----\r\nxx\r\n-----END PGP SIGNATURE-----\r\n"
				"\r\n--s--\r\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	size_t n;
	const char *raw = mime_part_raw(ps.root->child, &n);
	/* RFC 1847 §5.1: what was signed is the part up to the CRLF
	 * that belongs to the boundary, byte for byte. */
	ck_assert_mem_eq_n(raw, n, signed_part, sizeof signed_part - 1);
	const char *sig = mime_part_body(ps.root->child->next, &n);
	ck_mem_lit(sig, n, "-----BEGIN PGP SIGNATURE-----\r\nxx\r\n-----END PGP SIGNATURE-----\r\n");
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_headers)
{
	static const char m[] =
		"From MAILER-DAEMON Mon Nov  2 09:14:03 2026\n"
		" junk continuation\n"
		"Subject : first\n"
		"Subject: second\n"
		"To: a@x,\n b@x\n"
		"To: c@x\n"
		": empty name\n"
		"Message-ID: (comment) <id@host> \n"
		"Content-Type: TEXT/Plain;\n\tcharset=\"UTF-8\"\n"
		"Content-Type: text/html\n"
		"Content-Disposition: x-unknown; filename=\"  a b.txt \"\n"
		"Content-ID: <cid1>\n"
		"not a header\n"
		"body\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	const struct mime_part *r = ps.root;
	ck_assert_str_eq(r->envelope->subject, "first");
	ck_assert_uint_eq(r->envelope->to.n, 3);
	ck_assert_str_eq(r->envelope->to.v[2].address, "c@x");
	ck_assert_str_eq(r->envelope->message_id, "id@host");
	ck_assert_str_eq(r->content_type, "text/plain");
	ck_assert_str_eq(r->charset, "utf-8");
	ck_assert_int_eq(r->disposition, MIME_DISPOSITION_ATTACHMENT);
	ck_assert_str_eq(r->filename, "a b.txt");
	ck_assert_str_eq(r->content_id, "cid1");
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_HEADER_JUNK], 2);
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_HEADER_NO_SEPARATOR], 1);
	ck_body(r, "not a header\nbody\n");
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_filename_fallback_and_defaults)
{
	static const char m[] = "Content-Type: multipart/mixed; boundary=b\n\n"
				"--b\nContent-Type: application/pdf; name=\"=?UTF-8?B?5oql5ZGKLnBkZg==?=\"\n\n%PDF\n"
				"--b\nContent-Type: image/png; name=n.png\nContent-Disposition: inline; filename*=UTF-8''%E5%9B%BE.png\n\nP\n"
				"--b\nContent-Type: ???\nContent-Transfer-Encoding: x-rot13\n\nuryyb\n"
				"--b--\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	const struct mime_part *a = leaf(ps.root, 0), *b = leaf(ps.root, 1), *c = leaf(ps.root, 2);
	ck_assert_str_eq(a->filename, "\xe6\x8a\xa5\xe5\x91\x8a.pdf");
	ck_assert_int_eq(a->disposition, MIME_DISPOSITION_NONE);
	ck_assert(mime_part_is_attachment(a));
	ck_assert_str_eq(b->filename, "\xe5\x9b\xbe.png");
	ck_assert_int_eq(b->disposition, MIME_DISPOSITION_INLINE);
	ck_assert_str_eq(c->content_type, "text/plain");
	ck_assert_int_eq(c->cte, MIME_CTE_UNKNOWN);
	ck_body(c, "uryyb");
	ck_assert(!mime_part_is_attachment(c));
	ck_assert_uint_eq(ps.td.kinds[MIME_DEFECT_CTE_UNKNOWN], 1);
	mime_part_free(ps.root);
}
END_TEST

START_TEST(test_delimiter_in_header)
{
	/* A boundary with ':' looks like a field; the delimiter still wins. */
	static const char m[] = "Content-Type: multipart/mixed; boundary=\"a:b\"\n\n"
				"--a:b\nContent-Type: text/plain\n--a:b\n\nsecond\n--a:b--\n";
	struct parsed ps;
	parse_s(&ps, S(m));
	ck_assert_uint_eq(ps.root->nchildren, 2);
	ck_body(leaf(ps.root, 0), "");
	ck_body(leaf(ps.root, 1), "second");
	mime_part_free(ps.root);
}
END_TEST

static int
collect_piece(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	(void)err;
	qu_buf_append(ctx, p, n);
	return 0;
}

START_TEST(test_decode_each_matches_whole)
{
	struct qu_buf m, whole, pieces, scratch;
	qu_buf_init(&m, SIZE_MAX);
	qu_buf_init(&whole, SIZE_MAX);
	qu_buf_init(&pieces, SIZE_MAX);
	qu_buf_init(&scratch, (size_t)256 << 10);
	qu_buf_append_str(&m, "Content-Transfer-Encoding: base64\n\n");
	for (int i = 0; i < 20000; i++)
		qu_buf_append_str(&m, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\n");
	struct parsed ps;
	parse_s(&ps, m.data, m.len);
	ck_assert_int_eq(mime_part_decode(ps.root, &whole, NULL, NULL), 0);
	ck_assert_int_eq(mime_part_decode_each(ps.root, &scratch, collect_piece, &pieces, NULL, NULL), 0);
	ck_assert_uint_eq(whole.len, 20000 * 48);
	ck_assert_mem_eq_n(pieces.data, pieces.len, whole.data, whole.len);
	mime_part_free(ps.root);
	qu_buf_clear(&m);
	qu_buf_clear(&whole);
	qu_buf_clear(&pieces);
	qu_buf_clear(&scratch);
}
END_TEST

/* The fast path of decode_each over 76-character lines must agree with
 * the decoder byte for byte and defect for defect, wherever the pieces
 * cut and whatever junk, padding or line ends come. */
START_TEST(test_decode_each_base64_lines)
{
	static const char *const variants[] = {"\n", "\r\n", "\n", "\r\n"};
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t v = 0; v < QU_ARRAY_LEN(variants); v++) {
		for (size_t junk_at = 0; junk_at < 200000; junk_at += 49151) {
			struct qu_buf m, whole, pieces, scratch;
			qu_buf_init(&m, SIZE_MAX);
			qu_buf_init(&whole, SIZE_MAX);
			qu_buf_init(&pieces, SIZE_MAX);
			qu_buf_init(&scratch, (size_t)256 << 10);
			qu_buf_append_str(&m, "Content-Transfer-Encoding: base64\n\n");
			size_t body = m.len;
			uint32_t x = 12345 + (uint32_t)junk_at;
			for (int line = 0; line < 3000; line++) {
				for (int i = 0; i < 76; i++) {
					x = x * 1103515245u + 12345u;
					qu_buf_append_byte(&m, alpha[(x >> 16) & 63]);
				}
				qu_buf_append_str(&m, variants[v]);
			}
			/* odd ends: a short last line with padding, or junk */
			qu_buf_append_str(&m, v >= 2 ? "QUI=\n" : "QUJD\nQQ");
			if (junk_at)
				m.data[body + junk_at] = v & 1 ? '!' : '=';
			struct tdefects d1, d2;
			tdefects_init(&d1);
			tdefects_init(&d2);
			struct parsed ps;
			parse_s(&ps, m.data, m.len);
			ck_assert_int_eq(mime_part_decode(ps.root, &whole, &d1.d, NULL), 0);
			ck_assert_int_eq(mime_part_decode_each(ps.root, &scratch, collect_piece, &pieces,
						 &d2.d, NULL),
				0);
			ck_assert_msg(whole.len == pieces.len &&
					memcmp(whole.data, pieces.data, whole.len) == 0,
				"variant %zu junk %zu: %zu vs %zu bytes", v, junk_at, whole.len, pieces.len);
			ck_assert_uint_eq(d1.d.count, d2.d.count);
			mime_part_free(ps.root);
			qu_buf_clear(&m);
			qu_buf_clear(&whole);
			qu_buf_clear(&pieces);
			qu_buf_clear(&scratch);
		}
	}
}
END_TEST

START_TEST(test_uu_find)
{
	static const char t[] = "Here it is:\n\nbegin 644 hi.txt\n#:&D*\n`\nend\nbye\n"
				"begin 600 not uu\nplain text line\n";
	struct mime_uu_block *b;
	size_t n = mime_uu_find(S(t), &b);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(b[0].name, "hi.txt");
	ck_assert_uint_eq(b[0].mode, 0644);
	ck_mem_lit(t + b[0].off, b[0].len, "begin 644 hi.txt\n#:&D*\n`\nend\n");
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	mime_decode(MIME_CTE_UUENCODE, t + b[0].off, b[0].len, &out, NULL, NULL);
	ck_assert_mem_eq_n(out.data, out.len, "hi\n", 3);
	qu_buf_clear(&out);
	mime_uu_blocks_free(b, n);
}
END_TEST

START_TEST(test_header_iter_and_unfold)
{
	static const char h[] = "A: 1\r\n 2\rB:x\n\tY\n\nbody";
	struct mime_header_iter it;
	struct mime_header_field f;
	mime_header_iter_init(&it, S(h), NULL);
	ck_assert(mime_header_iter_next(&it, &f));
	ck_assert_mem_eq_n(f.name, f.name_len, "A", 1);
	struct qu_buf u;
	qu_buf_init(&u, SIZE_MAX);
	mime_header_unfold(f.value, f.value_len, &u);
	ck_assert_str_eq(u.data, " 1 2");
	ck_assert(mime_header_iter_next(&it, &f));
	ck_assert_mem_eq_n(f.name, f.name_len, "B", 1);
	ck_assert_mem_eq_n(f.value, f.value_len, "x\n\tY", 4);
	ck_assert(!mime_header_iter_next(&it, &f));
	ck_assert(mime_header_iter_ended(&it));
	ck_assert_uint_eq(mime_header_iter_body(&it), sizeof h - 5);
	qu_buf_clear(&u);

	/* A header that runs into the end of what was read. */
	static const char cut[] = "Subject: a\nFrom: b";
	struct mime_envelope e;
	mime_envelope_init(&e);
	bool ended = true;
	mime_envelope_parse(S(cut), &e, NULL, NULL, &ended);
	ck_assert(!ended);
	ck_assert_str_eq(e.subject, "a");
	mime_envelope_clear(&e);
}
END_TEST

START_TEST(test_empty_and_tiny)
{
	static const char *const inputs[] = {"", "\n", "\r", "-", "--", "\n\n", "a", "a:", ":",
		"Content-Type: multipart/mixed; boundary=b", "Content-Type: multipart/mixed; boundary=b\n\n--b",
		"Content-Type: multipart/mixed; boundary=b\n\n--b--", "Content-Type: message/rfc822\n\n"};
	for (size_t i = 0; i < QU_ARRAY_LEN(inputs); i++) {
		struct parsed ps;
		parse_s(&ps, inputs[i], strlen(inputs[i]));
		for (struct mime_part *p = ps.root; p; p = mime_part_next(p, ps.root)) {
			ck_assert_uint_le(p->off, p->body_off);
			ck_assert_uint_le(p->body_off, p->end);
			ck_assert_uint_le(p->end, strlen(inputs[i]));
		}
		mime_part_free(ps.root);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_single_part);
	tcase_add_test(tc, test_line_end_belongs_to_boundary);
	tcase_add_test(tc, test_bare_cr);
	tcase_add_test(tc, test_prefix_boundaries);
	tcase_add_test(tc, test_missing_final_boundary);
	tcase_add_test(tc, test_outer_closes_inner);
	tcase_add_test(tc, test_preamble_epilogue);
	tcase_add_test(tc, test_no_usable_boundary);
	tcase_add_test(tc, test_empty_parts_and_headerless);
	tcase_add_test(tc, test_digest_default);
	tcase_add_test(tc, test_encoded_message);
	tcase_add_test(tc, test_message_in_place);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_part_limit);
	tcase_add_test(tc, test_signed_byte_exact);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_filename_fallback_and_defaults);
	tcase_add_test(tc, test_delimiter_in_header);
	tcase_add_test(tc, test_decode_each_matches_whole);
	tcase_add_test(tc, test_decode_each_base64_lines);
	tcase_add_test(tc, test_uu_find);
	tcase_add_test(tc, test_header_iter_and_unfold);
	tcase_add_test(tc, test_empty_and_tiny);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
