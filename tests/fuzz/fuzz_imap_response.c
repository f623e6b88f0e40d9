/*
 * The IMAP response parser (src/imap/parse.c) with what reads its nodes:
 * ENVELOPE and BODYSTRUCTURE decoding, modified UTF-7 names and the folder
 * path mapping. The first byte picks how the rest is split into pieces;
 * literals over 64 bytes are skipped as a streaming caller would. Checked:
 * the node tree is well formed, the path mapping never leaves the root,
 * and the responses are the same whether the input comes in pieces or
 * whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "imap/imap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_path(const char *p, size_t n)
{
	static const char delims[] = {0, '.', '/'};
	for (size_t k = 0; k < sizeof delims; k++) {
		char *r = imap_mailbox_relpath(p, n, delims[k]);
		size_t rl = strlen(r);
		if (rl == 0 || r[0] == '/' || r[rl - 1] == '/' || strstr(r, "//") ||
		    strncmp(r, "../", 3) == 0 || strstr(r, "/../") || strcmp(r, "..") == 0 ||
		    strstr(r, "/.") || r[0] == '.')
			abort();
		free(r);
	}
}

/* Walks a response, checking the tree and running the decoders; appends a
 * digest of it to out. */
static void
visit(const struct imap_resp *r, uint32_t n_nodes, struct qu_buf *out)
{
	qu_buf_printf(out, "%d|%d|%u|", (int)r->type, (int)r->status, r->has_num ? r->num : 0);
	qu_buf_append(out, r->tag, r->tag_len);
	qu_buf_append(out, r->kw, r->kw_len);
	qu_buf_append(out, r->text, r->text_len);
	if (r->args > r->args_end || r->args_end > n_nodes || r->code > r->code_end ||
	    r->code_end > n_nodes)
		abort();
	for (uint32_t i = 0; i < n_nodes; i++) {
		const struct imap_node *nd = &r->nodes[i];
		if (nd->end <= i || nd->end > n_nodes)
			abort();
		if (nd->kind != IMAP_NODE_LIST && nd->end != i + 1)
			abort();
		qu_buf_printf(out, "(%u %u %u)", nd->kind, nd->end, nd->kind == IMAP_NODE_STREAMED
									   ? (unsigned)imap_node_size(nd)
									   : nd->len);
		size_t len;
		const char *b = imap_node_bytes(r, i, &len);
		if (b) {
			qu_buf_append(out, b, len);
			char *d = imap_mutf7_decode(b, len, NULL);
			if (d) {
				char *e = imap_mutf7_encode(d, strlen(d));
				free(e);
			}
			free(d);
			check_path(b, len);
		}
		if (nd->kind == IMAP_NODE_LIST) {
			/* A list's children stay inside it. */
			for (uint32_t j = i + 1; j < nd->end; j = r->nodes[j].end)
				if (r->nodes[j].end > nd->end)
					abort();
			struct imap_envelope e;
			if (imap_envelope_decode(r, i, &e) == 0)
				imap_envelope_clear(&e);
			struct imap_bodystructure bs;
			if (imap_bodystructure_decode(r, i, &bs) == 0) {
				for (size_t k = 1; k < bs.n; k++)
					if (bs.parts[k].parent >= k)
						abort();
				imap_bodystructure_clear(&bs);
			}
		}
	}
}

/* Parses everything, fed in pieces of `chunk` bytes; returns the digest
 * (*len bytes). */
static char *
parse(const char *p, size_t n, size_t chunk, size_t *len)
{
	struct imap_parser ps;
	struct imap_parser_limits lim = {.max_bytes = 1 << 16, .max_nodes = 4096, .max_depth = 64};
	imap_parser_init(&ps, &lim);
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
		enum imap_parse r = imap_parser_feed(&ps, p + off, k, &used);
		off += used;
		if (used > k)
			abort();
		if (r == IMAP_PARSE_ERROR) {
			qu_buf_printf(&out, "E:%s", imap_parser_error(&ps));
			break;
		}
		if (r == IMAP_PARSE_LITERAL) {
			struct imap_literal_info li;
			imap_parser_literal_info(&ps, &li);
			qu_buf_printf(&out, "L%llu", (unsigned long long)li.size);
			if (li.size > 64) {
				imap_parser_literal_skip(&ps);
				skip = li.size;
			} else if (imap_parser_literal_accept(&ps) < 0) {
				qu_buf_printf(&out, "E:%s", imap_parser_error(&ps));
				break;
			}
			continue;
		}
		if (r == IMAP_PARSE_DONE) {
			struct imap_resp resp;
			imap_parser_response(&ps, &resp);
			visit(&resp, ps.n_nodes, &out);
			qu_buf_append_byte(&out, '\n');
		} else if (used != k) {
			abort(); /* MORE means all was used */
		}
	}
	imap_parser_clear(&ps);
	return qu_buf_steal(&out, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = 1 + data[0] % 17;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	size_t al, bl;
	char *a = parse(p, n, chunk, &al);
	char *b = parse(p, n, SIZE_MAX, &bl);
	if (al != bl || memcmp(a, b, al) != 0)
		abort();
	free(a);
	free(b);
	return 0;
}
