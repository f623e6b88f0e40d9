/*
 * Messages by UID: FETCH (RFC 3501 §6.4.5, §7.4.2) with bodies streamed
 * to a sink, batched and pipelined; SEARCH (ESEARCH, RFC 4731), STORE,
 * COPY, MOVE (RFC 6851) and UID EXPUNGE (UIDPLUS, RFC 4315).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/private.h"

/* Search results kept at most (a hostile "1:4294967295" must not expand). */
#define MAX_SEARCH (4u * 1024 * 1024)
/* Bytes allowed per message, beside its body, in a UID FETCH's overall
 * deadline (net_deadline_set): the "* n FETCH (UID .. FLAGS (..) BODY[]
 * {n}" line and its end. */
#define FETCH_LINE_ALLOWANCE 512

/* ---- sequence sets ---- */

void
imap_uidset_format(struct qu_buf *b, const uint32_t *uids, size_t n)
{
	size_t i = 0;
	bool first = true;
	while (i < n) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (!first)
			qu_buf_append_byte(b, ',');
		first = false;
		if (j == i)
			qu_buf_printf(b, "%u", (unsigned)uids[i]);
		else
			qu_buf_printf(b, "%u:%u", (unsigned)uids[i], (unsigned)uids[j]);
		i = j + 1;
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int
imap_seqset_parse(const char *p, size_t n, uint32_t **v, size_t *n_v, size_t *cap_v, size_t max)
{
	size_t i = 0, start = *n_v;
	while (i < n) {
		size_t e = i;
		while (e < n && p[e] != ',')
			e++;
		const char *c = memchr(p + i, ':', e - i);
		uint64_t lo, hi;
		if (c) {
			if (qu_parse_u64(p + i, (size_t)(c - (p + i)), UINT32_MAX, &lo) < 0 ||
			    qu_parse_u64(c + 1, (size_t)(p + e - c - 1), UINT32_MAX, &hi) < 0)
				return -1;
		} else {
			if (qu_parse_u64(p + i, e - i, UINT32_MAX, &lo) < 0)
				return -1;
			hi = lo;
		}
		if (lo > hi) {
			uint64_t t = lo;
			lo = hi;
			hi = t;
		}
		if (lo == 0 || hi - lo + 1 > max - *n_v)
			return -1;
		*v = xgrow(*v, cap_v, *n_v + (size_t)(hi - lo + 1), sizeof **v);
		for (uint64_t u = lo; u <= hi; u++)
			(*v)[(*n_v)++] = (uint32_t)u;
		i = e + 1;
		if (e == n)
			break;
	}
	if (*n_v - start > 1)
		qsort(*v + start, *n_v - start, sizeof **v, cmp_u32);
	return 0;
}

/* ---- FETCH responses ---- */


static bool
is_body_item(const char *a, size_t n)
{
	return (n >= 5 && qu_mem_eq_ci(a, 5, "BODY[")) || (n >= 7 && qu_mem_eq_ci(a, 7, "BINARY[")) ||
	       qu_mem_eq_ci(a, n, "RFC822") || qu_mem_eq_ci(a, n, "RFC822.TEXT") ||
	       qu_mem_eq_ci(a, n, "RFC822.HEADER");
}

/* Reads the items name/value pairs in nodes [first, last) into m. */
static void
msg_items(struct imap_fetch_ctx *c, const struct imap_resp *r, uint32_t first, uint32_t last,
	  struct imap_fetch_msg *m)
{
	for (uint32_t k = first; k < last; k = r->nodes[k].end) {
		uint32_t v = r->nodes[k].end;
		if (v >= last)
			break;
		size_t n;
		const char *a = imap_node_bytes(r, k, &n);
		const struct imap_node *vn = &r->nodes[v];
		uint64_t x;
		if (!a || r->nodes[k].kind != IMAP_NODE_ATOM) {
			k = v;
			continue;
		}
		if (qu_mem_eq_ci(a, n, "UID")) {
			if (imap_node_u64(r, v, UINT32_MAX, &x) == 0)
				m->uid = (uint32_t)x;
		} else if (qu_mem_eq_ci(a, n, "FLAGS")) {
			m->flags = imap_flag_list(r, v);
			m->has_flags = vn->kind == IMAP_NODE_LIST;
		} else if (qu_mem_eq_ci(a, n, "RFC822.SIZE")) {
			if (imap_node_u64(r, v, UINT64_MAX, &x) == 0) {
				m->size = x;
				m->has_size = true;
			}
		} else if (qu_mem_eq_ci(a, n, "MODSEQ")) {
			if (vn->kind == IMAP_NODE_LIST && v + 1 < vn->end &&
			    imap_node_u64(r, v + 1, UINT64_MAX, &x) == 0)
				m->modseq = x;
		} else if (qu_mem_eq_ci(a, n, "INTERNALDATE")) {
			size_t dn;
			const char *d = imap_node_bytes(r, v, &dn);
			if (d && dn < sizeof c->idate) {
				memcpy(c->idate, d, dn);
				c->idate[dn] = '\0';
				m->internaldate = c->idate;
			}
		} else if (qu_mem_eq_ci(a, n, "ENVELOPE")) {
			m->envelope = v;
		} else if (qu_mem_eq_ci(a, n, "BODYSTRUCTURE") || qu_mem_eq_ci(a, n, "BODY")) {
			m->bodystructure = v;
		} else if (is_body_item(a, n)) {
			m->has_body = vn->kind != IMAP_NODE_NIL;
			if (vn->kind == IMAP_NODE_STREAMED) {
				m->body_size = imap_node_size(vn);
			} else if (vn->kind == IMAP_NODE_STRING) {
				m->body = r->data + vn->off;
				m->body_size = vn->len;
			}
		}
		k = v;
	}
}

static int
fetch_untagged(void *ctx, const struct imap_resp *r, struct qu_err *err)
{
	struct imap_fetch_ctx *c = ctx;
	if (!r->has_num || !qu_mem_eq_ci(r->kw, r->kw_len, "FETCH") || r->args >= r->args_end ||
	    r->nodes[r->args].kind != IMAP_NODE_LIST)
		return 0;
	struct imap_fetch_msg m = {.seq = r->num};
	uint32_t l = r->args;
	msg_items(c, r, l + 1, r->nodes[l].end, &m);
	if (c->h->msg)
		return c->h->msg(c->ctx, &m, r, err);
	return 0;
}

static int
fetch_literal(void *ctx, const struct imap_literal_info *li, const struct imap_resp *partial,
	      net_sink_fn *sink, void **sctx, struct qu_err *err)
{
	struct imap_fetch_ctx *c = ctx;
	if (!c->h->body_begin || !li->in_fetch || li->depth != 1 || !li->item ||
	    !is_body_item(li->item, li->item_len))
		return 0;
	struct imap_fetch_msg m = {.seq = li->num};
	uint32_t l = partial->args;
	/* The list is still open: its items run to the last node. */
	if (l < partial->args_end && partial->nodes[l].kind == IMAP_NODE_LIST)
		msg_items(c, partial, l + 1, partial->args_end, &m);
	if (c->h->body_begin(c->ctx, &m, li->size, err) < 0)
		return -1;
	*sink = c->h->body_data;
	*sctx = c->ctx;
	return 1;
}

const struct imap_hooks imap_fetch_hooks = {
	.untagged = fetch_untagged,
	.literal = fetch_literal,
};

int
imap_session_uid_fetch(struct imap_session *s, const char *uidset, const char *items,
		       uint64_t changedsince, const struct imap_fetch_handler *h, void *ctx,
		       struct qu_err *err)
{
	unsigned tag = imap_cmd_start(s, "UID FETCH ", QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_printf(s, err, "%s %s", uidset, items) < 0)
		return -1;
	if (changedsince && imap_cmd_printf(s, err, " (CHANGEDSINCE %llu)",
					    (unsigned long long)changedsince) < 0)
		return -1;
	if (imap_cmd_end(s, err) < 0)
		return -1;
	struct imap_fetch_ctx c = {.s = s, .h = h, .ctx = ctx};
	imap_hooks_set(s, &imap_fetch_hooks, &c);
	int rc = imap_cmd_wait(s, tag, NULL, err);
	imap_hooks_set(s, NULL, NULL);
	return rc < 0 ? qu_err_prefix(err, "UID FETCH") : 0;
}

int
imap_session_fetch_bodies(struct imap_session *s, const struct imap_fetch_plan *plan,
			  const struct imap_fetch_handler *h, void *ctx, struct qu_err *err)
{
	size_t batch = plan->batch_msgs ? plan->batch_msgs : 500;
	uint64_t bytes_max = plan->batch_bytes ? plan->batch_bytes : 32u * 1000 * 1000;
	unsigned window = plan->window ? plan->window : 2;
	if (window > 8)
		window = 8;
	unsigned tags[8];
	uint64_t tbytes[8]; /* what each command brings: its deadline */
	size_t ntags = 0, next = 0;
	int rc = 0;
	struct imap_fetch_ctx c = {.s = s, .h = h, .ctx = ctx};
	struct qu_buf set;
	qu_buf_init(&set, SIZE_MAX);
	imap_hooks_set(s, &imap_fetch_hooks, &c);
	while ((next < plan->n || ntags) && rc == 0) {
		while (ntags < window && next < plan->n) {
			size_t j = next;
			uint64_t bytes = 0;
			while (j < plan->n && j - next < batch &&
			       (j == next || !plan->sizes || bytes + plan->sizes[j] <= bytes_max)) {
				bytes += plan->sizes ? plan->sizes[j] : 0;
				j++;
			}
			qu_buf_reset(&set);
			imap_uidset_format(&set, plan->uids + next, j - next);
			unsigned tag = imap_cmd_start(s, "UID FETCH ", QU_E_UNAVAILABLE, err);
			if (!tag || imap_cmd_raw(s, set.data, err) < 0 ||
			    imap_cmd_raw(s, " (UID FLAGS BODY.PEEK[])", err) < 0 ||
			    imap_cmd_end(s, err) < 0) {
				rc = -1;
				break;
			}
			/* The bodies and, per message, room for its FETCH line. */
			tbytes[ntags] = plan->sizes ? bytes + (j - next) * FETCH_LINE_ALLOWANCE : 0;
			tags[ntags++] = tag;
			next = j;
		}
		if (rc < 0)
			break;
		/* Without sizes there is no measure: only each wait's timeout. */
		if (tbytes[0])
			net_deadline_set(s->conn, tbytes[0]);
		rc = imap_cmd_wait(s, tags[0], NULL, err);
		net_deadline_clear(s->conn);
		memmove(tags, tags + 1, (ntags - 1) * sizeof *tags);
		memmove(tbytes, tbytes + 1, (ntags - 1) * sizeof *tbytes);
		ntags--;
	}
	/* After a NO the others are still answered: read them, so the session
	 * stays usable. */
	for (size_t i = 0; i < ntags && !s->broken; i++) {
		struct qu_err e;
		qu_err_clear(&e);
		imap_cmd_wait(s, tags[i], NULL, &e);
	}
	imap_hooks_set(s, NULL, NULL);
	qu_buf_clear(&set);
	return rc < 0 ? qu_err_prefix(err, "UID FETCH") : 0;
}

/* ---- SEARCH ---- */

struct search_ctx {
	uint32_t *v;
	size_t n, cap;
	bool bad;
	unsigned tag;
};

static int
search_untagged(void *ctx, const struct imap_resp *r, struct qu_err *err)
{
	struct search_ctx *c = ctx;
	(void)err;
	if (qu_mem_eq_ci(r->kw, r->kw_len, "SEARCH")) {
		for (uint32_t i = r->args; i < r->args_end; i = r->nodes[i].end) {
			uint64_t x;
			if (r->nodes[i].kind == IMAP_NODE_LIST)
				continue; /* (MODSEQ n) */
			if (imap_node_u64(r, i, UINT32_MAX, &x) < 0 || x == 0 || c->n >= MAX_SEARCH) {
				c->bad = true;
				continue;
			}
			c->v = xgrow(c->v, &c->cap, c->n + 1, sizeof *c->v);
			c->v[c->n++] = (uint32_t)x;
		}
		return 0;
	}
	if (!qu_mem_eq_ci(r->kw, r->kw_len, "ESEARCH"))
		return 0;
	/* (TAG "Qn") UID ALL set */
	for (uint32_t i = r->args; i < r->args_end; i = r->nodes[i].end) {
		uint32_t v = r->nodes[i].end;
		if (imap_node_is(r, i, "ALL") && v < r->args_end) {
			size_t n;
			const char *p = imap_node_bytes(r, v, &n);
			if (!p || imap_seqset_parse(p, n, &c->v, &c->n, &c->cap, MAX_SEARCH) < 0)
				c->bad = true;
			i = v;
		}
	}
	return 0;
}

int
imap_session_uid_search(struct imap_session *s, const char *criteria, uint32_t **uids, size_t *n,
			struct qu_err *err)
{
	*uids = NULL;
	*n = 0;
	bool es = imap_session_has_cap(s, "ESEARCH") || imap_session_has_cap(s, "IMAP4rev2");
	unsigned tag = imap_cmd_start(s, "UID SEARCH ", QU_E_UNAVAILABLE, err);
	if (!tag || (es && imap_cmd_raw(s, "RETURN (ALL) ", err) < 0) ||
	    imap_cmd_raw(s, criteria, err) < 0 || imap_cmd_end(s, err) < 0)
		return -1;
	struct search_ctx c = {0};
	static const struct imap_hooks hooks = {.untagged = search_untagged};
	imap_hooks_set(s, &hooks, &c);
	int rc = imap_cmd_wait(s, tag, NULL, err);
	imap_hooks_set(s, NULL, NULL);
	if (rc == 0 && c.bad)
		rc = qu_err_set(err, QU_E_UNAVAILABLE, "server sent a malformed or oversized result");
	if (rc < 0) {
		free(c.v);
		return qu_err_prefix(err, "UID SEARCH");
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof *c.v, cmp_u32);
	*uids = c.v;
	*n = c.n;
	return 0;
}

/* ---- STORE, COPY, MOVE, EXPUNGE ---- */

int
imap_session_uid_store(struct imap_session *s, const char *uidset, char op, unsigned flags,
		       struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, 4096);
	qu_buf_printf(&b, "%s %sFLAGS.SILENT ", uidset, op == '+' ? "+" : op == '-' ? "-" : "");
	imap_flags_format(&b, flags);
	unsigned tag = imap_cmd_start(s, "UID STORE ", QU_E_UNAVAILABLE, err);
	int rc = -1;
	if (tag && imap_cmd_raw(s, b.data, err) == 0 && imap_cmd_end(s, err) == 0)
		rc = imap_cmd_wait(s, tag, NULL, err);
	qu_buf_clear(&b);
	return rc < 0 ? qu_err_prefix(err, "UID STORE") : 0;
}

void
imap_uidplus_clear(struct imap_uidplus *u)
{
	free(u->src);
	free(u->dst);
	memset(u, 0, sizeof *u);
}

/* [COPYUID v src dst] / [APPENDUID v uids] into u. */
static void
uidplus_from(const struct imap_resp *r, struct imap_uidplus *u)
{
	bool copy = imap_resp_code_is(r, "COPYUID"), append = imap_resp_code_is(r, "APPENDUID");
	if (!u || (!copy && !append))
		return;
	uint32_t a = r->nodes[r->code].end;
	uint64_t v;
	if (a >= r->code_end || imap_node_u64(r, a, UINT32_MAX, &v) < 0)
		return;
	imap_uidplus_clear(u);
	u->uidvalidity = (uint32_t)v;
	uint32_t b = r->nodes[a].end;
	if (b >= r->code_end)
		return;
	if (copy) {
		u->src = imap_node_dup(r, b, NULL);
		b = r->nodes[b].end;
		if (b < r->code_end)
			u->dst = imap_node_dup(r, b, NULL);
	} else {
		u->dst = imap_node_dup(r, b, NULL);
	}
}

static int
copyuid_untagged(void *ctx, const struct imap_resp *r, struct qu_err *err)
{
	(void)err;
	if (r->status == IMAP_STATUS_OK)
		uidplus_from(r, ctx);
	return 0;
}

int
imap_session_uid_expunge(struct imap_session *s, const char *uidset, struct qu_err *err)
{
	return imap_session_uid_expunge_events(s, uidset, NULL, NULL, err);
}

int
imap_session_uid_expunge_events(struct imap_session *s, const char *uidset, imap_event_fn fn,
				void *ctx, struct qu_err *err)
{
	if (!imap_session_has_cap(s, "UIDPLUS") && !imap_session_has_cap(s, "IMAP4rev2"))
		return qu_err_set(err, QU_E_UNAVAILABLE, "UID EXPUNGE: the server lacks UIDPLUS");
	unsigned tag = imap_cmd_start(s, "UID EXPUNGE ", QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_raw(s, uidset, err) < 0 || imap_cmd_end(s, err) < 0)
		return -1;
	if (imap_cmd_wait_events(s, tag, fn, ctx, NULL, err) < 0)
		return qu_err_prefix(err, "UID EXPUNGE");
	return 0;
}

int
imap_session_uid_copy(struct imap_session *s, const char *uidset, const char *dst_wire,
		      size_t dst_len, bool move, struct imap_uidplus *u, struct qu_err *err)
{
	return imap_session_uid_copy_events(s, uidset, dst_wire, dst_len, move, NULL, NULL, u, err);
}

int
imap_session_uid_copy_events(struct imap_session *s, const char *uidset, const char *dst_wire,
			     size_t dst_len, bool move, imap_event_fn fn, void *ctx,
			     struct imap_uidplus *u, struct qu_err *err)
{
	bool has_move = imap_session_has_cap(s, "MOVE") || imap_session_has_cap(s, "IMAP4rev2");
	bool real_move = move && has_move;
	const char *verb = real_move ? "UID MOVE " : "UID COPY ";
	if (u)
		memset(u, 0, sizeof *u);
	unsigned tag = imap_cmd_start(s, verb, QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_raw(s, uidset, err) < 0 ||
	    imap_cmd_astring(s, tag, dst_wire, dst_len, false, err) < 0 || imap_cmd_end(s, err) < 0)
		return -1;
	/* RFC 6851 §4.3: MOVE reports the moved messages' removal from the
	 * source as EXPUNGE or VANISHED before its tagged OK; those go to fn
	 * like any other change to the selected folder. */
	bool fresh;
	int rc = imap_cmd_wait_events_also(s, tag, fn, ctx, copyuid_untagged, u, &fresh, err);
	if (rc < 0)
		return qu_err_prefix(err, "%s", real_move ? "UID MOVE" : "UID COPY");
	if (fresh)
		uidplus_from(&s->resp, u);
	if (!move || real_move)
		return 0;
	/* RFC 6851 §3.3: without MOVE, COPY then flag and expunge just these. */
	if (imap_session_uid_store(s, uidset, '+', IMAP_FLAG_DELETED, err) < 0)
		return -1;
	if (imap_session_has_cap(s, "UIDPLUS"))
		return imap_session_uid_expunge_events(s, uidset, fn, ctx, err);
	/* Without UIDPLUS only a plain EXPUNGE removes them; it also removes
	 * other messages already marked \Deleted (RFC 6851 §3.3). */
	return imap_session_expunge(s, fn, ctx, err);
}

void
imap_uidplus_from_resp(const struct imap_resp *r, struct imap_uidplus *u)
{
	uidplus_from(r, u);
}
