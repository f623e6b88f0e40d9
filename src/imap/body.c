/*
 * ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2) from the
 * parser's nodes into structs. BODYSTRUCTURE nests; it is walked with an
 * explicit stack, so a deep structure costs memory (bounded by the
 * parser's limits), never C stack.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "imap/private.h"

/* The first max children of list i; returns how many there are (up to max). */
static size_t
children(const struct imap_resp *r, uint32_t i, uint32_t *out, size_t max)
{
	size_t n = 0;
	if (r->nodes[i].kind != IMAP_NODE_LIST)
		return 0;
	for (uint32_t j = i + 1; j < r->nodes[i].end && n < max; j = r->nodes[j].end)
		out[n++] = j;
	return n;
}

static char *
nstring(const struct imap_resp *r, uint32_t i)
{
	return imap_node_dup(r, i, NULL);
}

static char *
lower_dup(const struct imap_resp *r, uint32_t i)
{
	char *s = imap_node_dup(r, i, NULL);
	if (s)
		qu_str_lower(s);
	return s;
}

/* ---- ENVELOPE ---- */

static void
address_list(const struct imap_resp *r, uint32_t i, struct imap_address **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (r->nodes[i].kind != IMAP_NODE_LIST)
		return;
	size_t cap = 0;
	for (uint32_t j = i + 1; j < r->nodes[i].end; j = r->nodes[j].end) {
		uint32_t f[4];
		if (children(r, j, f, 4) != 4)
			continue;
		*v = xgrow(*v, &cap, *n + 1, sizeof **v);
		(*v)[(*n)++] = (struct imap_address){nstring(r, f[0]), nstring(r, f[1]),
						     nstring(r, f[2]), nstring(r, f[3])};
	}
}

static void
address_free(struct imap_address *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].adl);
		free(v[i].mailbox);
		free(v[i].host);
	}
	free(v);
}

int
imap_envelope_decode(const struct imap_resp *r, uint32_t i, struct imap_envelope *e)
{
	memset(e, 0, sizeof *e);
	uint32_t f[10];
	if (children(r, i, f, 10) != 10)
		return -1;
	e->date = nstring(r, f[0]);
	e->subject = nstring(r, f[1]);
	address_list(r, f[2], &e->from, &e->n_from);
	address_list(r, f[3], &e->sender, &e->n_sender);
	address_list(r, f[4], &e->reply_to, &e->n_reply_to);
	address_list(r, f[5], &e->to, &e->n_to);
	address_list(r, f[6], &e->cc, &e->n_cc);
	address_list(r, f[7], &e->bcc, &e->n_bcc);
	e->in_reply_to = nstring(r, f[8]);
	e->message_id = nstring(r, f[9]);
	return 0;
}

void
imap_envelope_clear(struct imap_envelope *e)
{
	free(e->date);
	free(e->subject);
	address_free(e->from, e->n_from);
	address_free(e->sender, e->n_sender);
	address_free(e->reply_to, e->n_reply_to);
	address_free(e->to, e->n_to);
	address_free(e->cc, e->n_cc);
	address_free(e->bcc, e->n_bcc);
	free(e->in_reply_to);
	free(e->message_id);
	memset(e, 0, sizeof *e);
}

/* ---- BODYSTRUCTURE ---- */

static void
params(const struct imap_resp *r, uint32_t i, struct imap_param **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (r->nodes[i].kind != IMAP_NODE_LIST)
		return;
	size_t cap = 0;
	for (uint32_t j = i + 1; j < r->nodes[i].end; j = r->nodes[j].end) {
		uint32_t k = r->nodes[j].end;
		if (k >= r->nodes[i].end)
			break;
		*v = xgrow(*v, &cap, *n + 1, sizeof **v);
		char *name = lower_dup(r, j);
		(*v)[(*n)++] = (struct imap_param){name ? name : xstrdup(""), nstring(r, k)};
		j = k;
	}
}

static void
params_free(struct imap_param *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* body-ext: md5 (single parts only), disposition, language, location,
 * from f[k] on. */
static void
extension(const struct imap_resp *r, const uint32_t *f, size_t nf, size_t k, bool md5,
	  struct imap_body_part *p)
{
	if (md5 && k < nf)
		p->md5 = nstring(r, f[k++]);
	if (k < nf) {
		uint32_t d[2];
		if (children(r, f[k], d, 2) == 2) {
			p->disposition = lower_dup(r, d[0]);
			params(r, d[1], &p->disp_params, &p->n_disp_params);
		}
		k++;
	}
	if (k < nf) {
		uint32_t l = f[k];
		if (r->nodes[l].kind == IMAP_NODE_LIST && l + 1 < r->nodes[l].end)
			l = l + 1;
		p->language = nstring(r, l);
		k++;
	}
	if (k < nf)
		p->location = nstring(r, f[k]);
}

struct work {
	uint32_t node, parent;
	uint32_t depth;
};

/* Adds part k under parent in order (last[] tracks each part's last child). */
static void
link_part(struct imap_bodystructure *b, uint32_t **last, size_t *last_cap, uint32_t k,
	  uint32_t parent, bool has_parent)
{
	*last = xgrow(*last, last_cap, b->n, sizeof **last);
	(*last)[k] = 0;
	if (!has_parent)
		return;
	b->parts[k].parent = parent;
	if ((*last)[parent])
		b->parts[(*last)[parent]].next_sibling = k;
	else
		b->parts[parent].first_child = k;
	(*last)[parent] = k;
}

/* A single part (node n) into p. Returns the node of the body inside a
 * message/rfc822, or 0. */
static uint32_t
single_part(const struct imap_resp *r, uint32_t n, struct imap_body_part *p)
{
	uint32_t f[16];
	size_t nf = children(r, n, f, 16);
	if (nf < 7)
		return 0;
	p->type = lower_dup(r, f[0]);
	p->subtype = lower_dup(r, f[1]);
	params(r, f[2], &p->params, &p->n_params);
	p->id = nstring(r, f[3]);
	p->description = nstring(r, f[4]);
	p->encoding = lower_dup(r, f[5]);
	uint64_t v;
	if (imap_node_u64(r, f[6], UINT64_MAX, &v) == 0)
		p->size = v;
	size_t ext = 7;
	uint32_t inner = 0;
	bool text = p->type && strcmp(p->type, "text") == 0;
	bool msg = p->type && strcmp(p->type, "message") == 0 && p->subtype &&
		   (strcmp(p->subtype, "rfc822") == 0 || strcmp(p->subtype, "global") == 0);
	if (text && nf > 7) {
		if (imap_node_u64(r, f[7], UINT64_MAX, &v) == 0)
			p->lines = v;
		ext = 8;
	} else if (msg && nf > 9) {
		p->has_envelope = true;
		if (imap_node_u64(r, f[9], UINT64_MAX, &v) == 0)
			p->lines = v;
		ext = 10;
		inner = f[8];
	}
	extension(r, f, nf, ext, true, p);
	return inner;
}

int
imap_bodystructure_decode(const struct imap_resp *r, uint32_t i, struct imap_bodystructure *b)
{
	memset(b, 0, sizeof *b);
	if (r->nodes[i].kind != IMAP_NODE_LIST)
		return -1;
	struct work *stack = NULL;
	size_t nstack = 0, cap_stack = 0, cap_parts = 0, last_cap = 0;
	uint32_t *last = NULL, *kids = NULL;
	size_t kids_cap = 0;
	stack = xgrow(stack, &cap_stack, 1, sizeof *stack);
	stack[nstack++] = (struct work){i, 0, 0};
	while (nstack) {
		struct work w = stack[--nstack];
		b->parts = xgrow(b->parts, &cap_parts, b->n + 1, sizeof *b->parts);
		uint32_t k = (uint32_t)b->n++;
		struct imap_body_part *p = &b->parts[k];
		memset(p, 0, sizeof *p);
		p->depth = w.depth;
		link_part(b, &last, &last_cap, k, w.parent, k > 0);
		p = &b->parts[k];
		uint32_t n = w.node;
		if (r->nodes[n].kind != IMAP_NODE_LIST || n + 1 >= r->nodes[n].end)
			continue; /* an empty or broken part stays empty */
		if (r->nodes[n + 1].kind == IMAP_NODE_LIST) {
			/* multipart: bodies, then subtype and extension data */
			size_t nk = 0;
			uint32_t j = n + 1;
			for (; j < r->nodes[n].end && r->nodes[j].kind == IMAP_NODE_LIST;
			     j = r->nodes[j].end) {
				kids = xgrow(kids, &kids_cap, nk + 1, sizeof *kids);
				kids[nk++] = j;
			}
			p->type = xstrdup("multipart");
			uint32_t f[8];
			size_t nf = 0;
			for (; j < r->nodes[n].end && nf < 8; j = r->nodes[j].end)
				f[nf++] = j;
			p->subtype = nf ? lower_dup(r, f[0]) : NULL;
			if (nf > 1)
				params(r, f[1], &p->params, &p->n_params);
			extension(r, f, nf, 2, false, p);
			stack = xgrow(stack, &cap_stack, nstack + nk, sizeof *stack);
			while (nk)
				stack[nstack++] = (struct work){kids[--nk], k, w.depth + 1};
			continue;
		}
		uint32_t inner = single_part(r, n, p);
		if (inner) {
			stack = xgrow(stack, &cap_stack, nstack + 1, sizeof *stack);
			stack[nstack++] = (struct work){inner, k, w.depth + 1};
		}
	}
	free(stack);
	free(last);
	free(kids);
	return 0;
}

void
imap_bodystructure_clear(struct imap_bodystructure *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct imap_body_part *p = &b->parts[i];
		free(p->type);
		free(p->subtype);
		params_free(p->params, p->n_params);
		free(p->id);
		free(p->description);
		free(p->encoding);
		free(p->md5);
		free(p->disposition);
		params_free(p->disp_params, p->n_disp_params);
		free(p->language);
		free(p->location);
	}
	free(b->parts);
	memset(b, 0, sizeof *b);
}
