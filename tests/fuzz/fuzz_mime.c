/*
 * The whole message reader: mime_parse, then every leaf transfer-decoded
 * (in pieces and whole, which must agree) and every text leaf converted,
 * uuencoded blocks looked for in text/plain, and the tree's invariants
 * checked: offsets inside their buffer and in order, decoded strings
 * valid UTF-8, text without CR.
 */
#include "fuzz_common.h"

/* A running FNV-1a hash of the pieces, to compare with the whole. */
struct sum {
	size_t n;
	uint64_t h;
};

static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static uint64_t
hash(const char *p, size_t n)
{
	return fnv(14695981039346656037ull, p, n);
}

static int
sum_piece(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct sum *s = ctx;
	(void)err;
	s->h = fnv(s->h, p, n);
	s->n += n;
	return 0;
}

static void
check_envelope(const struct mime_envelope *e)
{
	fuzz_check_utf8(e->subject);
	fuzz_check_utf8(e->date);
	fuzz_check_utf8(e->message_id);
	const struct mime_addr_list *l[3] = {&e->from, &e->to, &e->cc};
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < l[k]->n; i++)
			fuzz_check_utf8(l[k]->v[i].name);
}

/* The length of the buffer a part's offsets are in. */
static size_t
base_len(const struct mime_part *part, const struct mime_part *root, size_t n)
{
	for (const struct mime_part *q = part->parent; q; q = q->parent)
		if (q->owned && q->owned == part->base)
			return q->owned_len;
	(void)root;
	return n;
}

static void
check_leaf(const struct mime_part *part, struct mime_charset_cache *cache, struct qu_buf *whole,
	struct qu_buf *scratch, struct qu_buf *text)
{
	/* The fast paths of the part decoders against the plain decoder:
	 * the same bytes and the same number of defects. */
	struct mime_defects d1 = {0}, d2 = {0}, d3 = {0};
	size_t blen;
	const char *body = mime_part_body(part, &blen);
	qu_buf_reset(whole);
	mime_decode(part->cte, body, blen, whole, &d1, NULL);
	qu_buf_reset(text);
	mime_part_decode(part, text, &d2, NULL);
	if (text->len != whole->len || (whole->len && memcmp(text->data, whole->data, whole->len)))
		abort();
	struct sum s = {0, hash("", 0)};
	mime_part_decode_each(part, scratch, sum_piece, &s, &d3, NULL);
	if (s.n != whole->len || s.h != hash(whole->data, whole->len) || d1.count != d2.count ||
		d1.count != d3.count)
		abort();
	if (!mime_part_is_text(part))
		return;
	mime_part_text(part, cache, scratch, text, NULL, NULL);
	if (text->len && (!qu_utf8_valid(text->data, text->len) || memchr(text->data, '\r', text->len)))
		abort();
	struct mime_uu_block *b;
	size_t nb = mime_uu_find(text->data ? text->data : "", text->len, &b);
	for (size_t i = 0; i < nb; i++) {
		if (b[i].off + b[i].len > text->len)
			abort();
		fuzz_check_utf8(b[i].name);
	}
	mime_uu_blocks_free(b, nb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct mime_charset_cache cache;
	mime_charset_cache_init(&cache);
	struct mime_defects d = {0};
	struct mime_opts o = {.cache = &cache};
	struct mime_part *root = mime_parse(p, size, &o, &d);
	struct qu_buf whole, scratch, text;
	qu_buf_init(&whole, SIZE_MAX);
	qu_buf_init(&scratch, (size_t)256 << 10);
	qu_buf_init(&text, SIZE_MAX);
	size_t nparts = 0;
	for (struct mime_part *part = root; part; part = mime_part_next(part, root)) {
		size_t n = base_len(part, root, size);
		if (part->off > part->body_off || part->body_off > part->end || part->end > n)
			abort();
		if (part->depth > MIME_DEPTH_MAX || ++nparts > MIME_PARTS_MAX)
			abort();
		if (!part->content_type)
			abort();
		fuzz_check_utf8(part->content_type);
		fuzz_check_utf8(part->charset);
		fuzz_check_utf8(part->filename);
		fuzz_check_utf8(part->content_id);
		if (part->envelope)
			check_envelope(part->envelope);
		if (part->kind == MIME_PART_LEAF)
			check_leaf(part, &cache, &whole, &scratch, &text);
		else if (part->kind == MIME_PART_MESSAGE && part->nchildren != 1)
			abort();
	}
	mime_part_free(root);
	qu_buf_clear(&whole);
	qu_buf_clear(&scratch);
	qu_buf_clear(&text);
	mime_charset_cache_clear(&cache);
	return 0;
}
