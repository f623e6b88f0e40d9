/*
 * Mailboxes: LIST (RFC 3501 §6.3.8, LIST-EXTENDED RFC 5258, SPECIAL-USE
 * RFC 6154, LIST-STATUS RFC 5819), STATUS (§6.3.10), SELECT/EXAMINE
 * (§6.3.1, CONDSTORE RFC 7162), and mailbox names on the wire.
 */
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/private.h"

/* The one table of the flags quail knows (RFC 3501 §2.3.2, $Forwarded
 * RFC 5788); the first six are the ones a client may set. */
static const struct {
	const char *name;
	unsigned bit;
} flag_names[] = {
	{"\\Seen", IMAP_FLAG_SEEN},       {"\\Answered", IMAP_FLAG_ANSWERED},
	{"\\Flagged", IMAP_FLAG_FLAGGED}, {"\\Deleted", IMAP_FLAG_DELETED},
	{"\\Draft", IMAP_FLAG_DRAFT},     {"$Forwarded", IMAP_FLAG_FORWARDED},
	{"\\Recent", IMAP_FLAG_RECENT},   {"\\*", IMAP_FLAG_ANY},
};
#define SETTABLE_FLAGS 6

unsigned
imap_flag_bit(const char *p, size_t n)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(flag_names); i++)
		if (qu_mem_eq_ci(p, n, flag_names[i].name))
			return flag_names[i].bit;
	return 0;
}

void
imap_flags_format(struct qu_buf *b, unsigned flags)
{
	qu_buf_append_byte(b, '(');
	bool first = true;
	for (size_t i = 0; i < SETTABLE_FLAGS; i++) {
		if (!(flags & flag_names[i].bit))
			continue;
		if (!first)
			qu_buf_append_byte(b, ' ');
		qu_buf_append_str(b, flag_names[i].name);
		first = false;
	}
	qu_buf_append_byte(b, ')');
}

unsigned
imap_flag_list(const struct imap_resp *r, uint32_t i)
{
	unsigned bits = 0;
	if (r->nodes[i].kind != IMAP_NODE_LIST)
		return 0;
	for (uint32_t j = i + 1; j < r->nodes[i].end; j = r->nodes[j].end) {
		size_t n;
		const char *a = imap_node_bytes(r, j, &n);
		if (a && r->nodes[j].kind == IMAP_NODE_ATOM)
			bits |= imap_flag_bit(a, n);
	}
	return bits;
}

void
imap_status_items(const struct imap_resp *r, uint32_t i, struct imap_mailbox_status *st)
{
	if (r->nodes[i].kind != IMAP_NODE_LIST)
		return;
	uint32_t end = r->nodes[i].end;
	for (uint32_t k = i + 1; k < end; k = r->nodes[k].end) {
		uint32_t v = r->nodes[k].end;
		if (v >= end)
			break;
		uint64_t x;
		if (imap_node_u64(r, v, UINT64_MAX, &x) == 0) {
			if (imap_node_is(r, k, "MESSAGES") && x <= UINT32_MAX) {
				st->messages = (uint32_t)x;
				st->have |= IMAP_MB_HAVE_MESSAGES;
			} else if (imap_node_is(r, k, "UNSEEN") && x <= UINT32_MAX) {
				st->unseen = (uint32_t)x;
				st->have |= IMAP_MB_HAVE_UNSEEN;
			} else if (imap_node_is(r, k, "RECENT") && x <= UINT32_MAX) {
				st->recent = (uint32_t)x;
				st->have |= IMAP_MB_HAVE_RECENT;
			} else if (imap_node_is(r, k, "UIDVALIDITY") && x <= UINT32_MAX) {
				st->uidvalidity = (uint32_t)x;
				st->have |= IMAP_MB_HAVE_UIDVALIDITY;
			} else if (imap_node_is(r, k, "UIDNEXT") && x <= UINT32_MAX) {
				st->uidnext = (uint32_t)x;
				st->have |= IMAP_MB_HAVE_UIDNEXT;
			} else if (imap_node_is(r, k, "HIGHESTMODSEQ")) {
				st->highestmodseq = x;
				st->have |= IMAP_MB_HAVE_HIGHESTMODSEQ;
			} else if (imap_node_is(r, k, "SIZE")) {
				st->size = x;
				st->have |= IMAP_MB_HAVE_SIZE;
			}
		}
		k = v;
	}
}

/* The STATUS item names for the IMAP_MB_HAVE_* bits the server can give. */
static void
status_items_text(const struct imap_session *s, unsigned items, struct qu_buf *b)
{
	static const struct {
		unsigned bit;
		const char *name;
		const char *cap;
	} t[] = {
		{IMAP_MB_HAVE_MESSAGES, "MESSAGES", NULL},
		{IMAP_MB_HAVE_UNSEEN, "UNSEEN", NULL},
		{IMAP_MB_HAVE_RECENT, "RECENT", NULL},
		{IMAP_MB_HAVE_UIDVALIDITY, "UIDVALIDITY", NULL},
		{IMAP_MB_HAVE_UIDNEXT, "UIDNEXT", NULL},
		{IMAP_MB_HAVE_HIGHESTMODSEQ, "HIGHESTMODSEQ", "CONDSTORE"},
		{IMAP_MB_HAVE_SIZE, "SIZE", "STATUS=SIZE"},
	};
	qu_buf_append_byte(b, '(');
	bool first = true;
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++) {
		if (!(items & t[i].bit))
			continue;
		if (t[i].bit == IMAP_MB_HAVE_RECENT && imap_session_has_cap(s, "IMAP4rev2") &&
		    !imap_session_has_cap(s, "IMAP4rev1"))
			continue; /* RFC 9051 removed \Recent */
		if (t[i].cap && !imap_session_has_cap(s, t[i].cap) &&
		    !(t[i].bit == IMAP_MB_HAVE_HIGHESTMODSEQ && (s->enabled & IMAP_ENABLE_CONDSTORE)))
			continue;
		if (!first)
			qu_buf_append_byte(b, ' ');
		qu_buf_append_str(b, t[i].name);
		first = false;
	}
	qu_buf_append_byte(b, ')');
}

/* ---- names ---- */

char *
imap_session_wire_name(const struct imap_session *s, const char *name)
{
	size_t n = strlen(name);
	if (!qu_utf8_valid(name, n))
		return NULL;
	/* INBOX is case-insensitive (RFC 3501 §5.1); say it the usual way. */
	if (qu_mem_eq_ci(name, n, "INBOX"))
		return xstrdup("INBOX");
	if (s->enabled & IMAP_ENABLE_UTF8)
		return xstrdup(name);
	return imap_mutf7_encode(name, n);
}

char *
imap_session_name_utf8(const struct imap_session *s, const char *wire, size_t n, size_t *outlen)
{
	char *d = NULL;
	if (s && (s->enabled & IMAP_ENABLE_UTF8) && qu_utf8_valid(wire, n)) {
		/* RFC 6855 §3: names are UTF-8 now. */
	} else {
		d = imap_mutf7_decode(wire, n, outlen);
	}
	if (!d) {
		d = xmalloc(n + 1);
		memcpy(d, wire, n);
		d[n] = '\0';
		if (outlen)
			*outlen = n;
	}
	return d;
}

/* ---- LIST ---- */

/* A name in the tree that finds entries by wire name (tsearch, so a
 * listing of n names costs O(n log n) whatever their order). wire points
 * at the entry's own copy, which does not move when out->v grows. */
struct list_key {
	const char *wire;
	size_t len;
	size_t index; /* in out->v */
};

struct list_ctx {
	struct imap_session *s;
	struct imap_list *out;
	size_t cap;
	void *tree;            /* of struct list_key */
	struct list_key **keys; /* each key once, to free them */
	size_t keys_cap;
};

void
imap_list_clear(struct imap_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].wire);
		free(l->v[i].name);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static unsigned
list_attrs(const struct imap_resp *r, uint32_t i)
{
	static const struct {
		const char *name;
		unsigned bit;
	} t[] = {
		{"\\Noselect", IMAP_LIST_NOSELECT},     {"\\Noinferiors", IMAP_LIST_NOINFERIORS},
		{"\\HasChildren", IMAP_LIST_HASCHILDREN}, {"\\HasNoChildren", IMAP_LIST_HASNOCHILDREN},
		{"\\NonExistent", IMAP_LIST_NONEXISTENT | IMAP_LIST_NOSELECT},
		{"\\Marked", IMAP_LIST_MARKED},         {"\\Unmarked", IMAP_LIST_UNMARKED},
		{"\\Subscribed", IMAP_LIST_SUBSCRIBED}, {"\\Remote", IMAP_LIST_REMOTE},
		{"\\All", IMAP_LIST_ALL},               {"\\Archive", IMAP_LIST_ARCHIVE},
		{"\\Drafts", IMAP_LIST_DRAFTS},         {"\\Flagged", IMAP_LIST_FLAGGED},
		{"\\Junk", IMAP_LIST_JUNK},             {"\\Sent", IMAP_LIST_SENT},
		{"\\Trash", IMAP_LIST_TRASH},           {"\\Important", IMAP_LIST_IMPORTANT},
	};
	unsigned bits = 0;
	for (uint32_t j = i + 1; j < r->nodes[i].end; j = r->nodes[j].end)
		for (size_t k = 0; k < QU_ARRAY_LEN(t); k++)
			if (imap_node_is(r, j, t[k].name))
				bits |= t[k].bit;
	return bits;
}

/* INBOX is case-insensitive (RFC 3501 §5.1): any spelling is one name. */
static bool
is_inbox(const char *p, size_t n)
{
	return n == 5 && qu_mem_eq_ci(p, 5, "INBOX");
}

static int
cmp_key(const void *a, const void *b)
{
	const struct list_key *x = a, *y = b;
	bool xi = is_inbox(x->wire, x->len), yi = is_inbox(y->wire, y->len);
	if (xi || yi)
		return (int)xi - (int)yi;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->wire, y->wire, x->len);
}

static struct imap_list_entry *
list_find(struct list_ctx *c, const char *wire, size_t n)
{
	struct list_key k = {wire, n, 0};
	struct list_key **hit = tfind(&k, &c->tree, cmp_key);
	return hit ? &c->out->v[(*hit)->index] : NULL;
}

static void
list_index_add(struct list_ctx *c, size_t i)
{
	struct list_key *k = xmalloc(sizeof *k);
	*k = (struct list_key){c->out->v[i].wire, c->out->v[i].wire_len, i};
	c->keys = xgrow(c->keys, &c->keys_cap, i + 1, sizeof *c->keys);
	c->keys[i] = k;
	tsearch(k, &c->tree, cmp_key);
}

static void
list_index_free(struct list_ctx *c)
{
	for (size_t i = 0; c->keys && i < c->out->n; i++) {
		tdelete(c->keys[i], &c->tree, cmp_key);
		free(c->keys[i]);
	}
	free(c->keys);
	c->keys = NULL;
	c->tree = NULL;
}

/* "* LIST (attrs) delim name [ext]" */
static void
list_entry(struct list_ctx *c, const struct imap_resp *r)
{
	uint32_t a = r->args;
	if (a >= r->args_end || r->nodes[a].kind != IMAP_NODE_LIST)
		return;
	uint32_t d = r->nodes[a].end, nm;
	if (d >= r->args_end || (nm = r->nodes[d].end) >= r->args_end)
		return;
	size_t wn, dn;
	const char *w = imap_node_bytes(r, nm, &wn);
	if (!w)
		return;
	const char *dl = imap_node_bytes(r, d, &dn);
	struct imap_list_entry *e = list_find(c, w, wn);
	if (!e) {
		c->out->v = xgrow(c->out->v, &c->cap, c->out->n + 1, sizeof *c->out->v);
		e = &c->out->v[c->out->n++];
		memset(e, 0, sizeof *e);
		e->wire = imap_node_dup(r, nm, &e->wire_len);
		e->name = imap_session_name_utf8(c->s, w, wn, &e->name_len);
		list_index_add(c, c->out->n - 1);
	}
	e->delim = dl && dn == 1 ? dl[0] : 0;
	e->attrs |= list_attrs(r, a);
}

/* The mailbox name of "* STATUS name (items)" and the index of the items
 * list. RFC 3501 §7.2.4 makes the name an astring, but some servers send
 * one with spaces unquoted ("* STATUS Caf&AOk- &- x (MESSAGES 3)"): then
 * the list is the last argument and the name the atoms before it, joined
 * by single spaces in tmp. NULL when the reply has no such shape. */
static const char *
status_name(const struct imap_resp *r, struct qu_buf *tmp, size_t *wn, uint32_t *items)
{
	uint32_t a = r->args, last = a, n = 0;
	for (uint32_t i = a; i < r->args_end; i = r->nodes[i].end) {
		last = i;
		n++;
	}
	if (n < 2 || r->nodes[last].kind != IMAP_NODE_LIST)
		return NULL;
	*items = last;
	if (n == 2)
		return imap_node_bytes(r, a, wn);
	for (uint32_t i = a; i < last; i = r->nodes[i].end) {
		if (r->nodes[i].kind != IMAP_NODE_ATOM)
			return NULL;
		size_t len;
		const char *p = imap_node_bytes(r, i, &len);
		if (i != a)
			qu_buf_append_byte(tmp, ' ');
		qu_buf_append(tmp, p, len);
	}
	*wn = tmp->len;
	return tmp->data;
}

static void
list_status(struct list_ctx *c, const struct imap_resp *r)
{
	struct qu_buf tmp;
	qu_buf_init(&tmp, IMAP_RESP_MAX);
	size_t wn;
	uint32_t items;
	const char *w = status_name(r, &tmp, &wn, &items);
	struct imap_list_entry *e = w ? list_find(c, w, wn) : NULL;
	if (e)
		imap_status_items(r, items, &e->status);
	qu_buf_clear(&tmp);
}

static int
list_untagged(void *ctx, const struct imap_resp *r, struct qu_err *err)
{
	struct list_ctx *c = ctx;
	(void)err;
	if (qu_mem_eq_ci(r->kw, r->kw_len, "LIST"))
		list_entry(c, r);
	else if (qu_mem_eq_ci(r->kw, r->kw_len, "STATUS"))
		list_status(c, r);
	return 0;
}


int
imap_session_list(struct imap_session *s, const char *ref, const char *pattern, unsigned listopts,
		  unsigned status_items, struct imap_list *out, struct qu_err *err)
{
	memset(out, 0, sizeof *out);
	if (imap_ensure_caps(s, err) < 0)
		return -1;
	char *wref = imap_session_wire_name(s, ref);
	char *wpat = imap_session_wire_name(s, pattern);
	int rc = -1;
	if (!wref || !wpat) {
		qu_err_set(err, QU_E_USAGE, "LIST: a mailbox name that is not UTF-8");
		goto out;
	}
	bool ext = imap_session_has_cap(s, "LIST-EXTENDED") || imap_session_has_cap(s, "IMAP4rev2");
	bool special = (listopts & IMAP_LISTOPT_SPECIAL_USE) && ext &&
		       imap_session_has_cap(s, "SPECIAL-USE");
	bool lstatus = status_items && imap_session_has_cap(s, "LIST-STATUS");
	unsigned tag = imap_cmd_start(s, "LIST", QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_astring(s, tag, wref, strlen(wref), false, err) < 0 ||
	    imap_cmd_astring(s, tag, wpat, strlen(wpat), false, err) < 0)
		goto out;
	if (special || lstatus) {
		struct qu_buf b;
		qu_buf_init(&b, 1024);
		qu_buf_append_str(&b, " RETURN (");
		if (special)
			qu_buf_append_str(&b, "SPECIAL-USE");
		if (lstatus) {
			qu_buf_append_str(&b, special ? " STATUS " : "STATUS ");
			status_items_text(s, status_items, &b);
		}
		qu_buf_append_byte(&b, ')');
		int r = imap_cmd_raw(s, b.data, err);
		qu_buf_clear(&b);
		if (r < 0)
			goto out;
	}
	if (imap_cmd_end(s, err) < 0)
		goto out;
	struct list_ctx c = {s, out, 0, NULL, NULL, 0};
	static const struct imap_hooks hooks = {.untagged = list_untagged};
	imap_hooks_set(s, &hooks, &c);
	rc = imap_cmd_wait(s, tag, NULL, err);
	imap_hooks_set(s, NULL, NULL);
	list_index_free(&c);
out:
	if (rc < 0) {
		imap_list_clear(out);
		qu_err_prefix(err, "LIST");
	}
	free(wref);
	free(wpat);
	return rc;
}

/* ---- STATUS ---- */

struct status_ctx {
	const char *const *wire;
	const size_t *wire_len;
	size_t n;
	struct imap_mailbox_status *st;
	size_t next; /* the oldest STATUS without an answer */
};

static int
status_untagged(void *ctx, const struct imap_resp *r, struct qu_err *err)
{
	struct status_ctx *c = ctx;
	(void)err;
	if (!qu_mem_eq_ci(r->kw, r->kw_len, "STATUS"))
		return 0;
	struct qu_buf tmp;
	qu_buf_init(&tmp, IMAP_RESP_MAX);
	size_t wn;
	uint32_t items;
	const char *w = status_name(r, &tmp, &wn, &items);
	if (!w) {
		qu_buf_clear(&tmp);
		return 0;
	}
	/* By name; servers answer in order, so the search starts there. */
	for (size_t k = 0; k < c->n; k++) {
		size_t i = (c->next + k) % c->n;
		if (c->wire_len[i] == wn && (memcmp(c->wire[i], w, wn) == 0 ||
					     (wn == 5 && qu_mem_eq_ci(w, 5, "INBOX") &&
					      qu_mem_eq_ci(c->wire[i], 5, "INBOX")))) {
			imap_status_items(r, items, &c->st[i]);
			c->next = i + 1;
			break;
		}
	}
	qu_buf_clear(&tmp);
	return 0;
}

int
imap_session_status_many(struct imap_session *s, const char *const *wire, const size_t *wire_len,
			 size_t n, unsigned items, struct imap_mailbox_status *st, bool *fail,
			 struct qu_err *err)
{
	if (imap_ensure_caps(s, err) < 0)
		return -1;
	struct status_ctx c = {wire, wire_len, n, st, 0};
	unsigned *tags = xcalloc(n ? n : 1, sizeof *tags);
	struct qu_buf it;
	qu_buf_init(&it, 1024);
	qu_buf_append_byte(&it, ' ');
	status_items_text(s, items, &it);
	static const struct imap_hooks hooks = {.untagged = status_untagged};
	imap_hooks_set(s, &hooks, &c);
	int rc = 0;
	size_t sent = 0, done = 0;
	for (size_t i = 0; i < n; i++)
		memset(&st[i], 0, sizeof st[i]);
	/* Pipelined, a window at a time. */
	while (done < n && rc == 0) {
		while (sent < n && sent - done < IMAP_MAX_PENDING / 2) {
			tags[sent] = imap_cmd_start(s, "STATUS", QU_E_UNAVAILABLE, err);
			if (!tags[sent] ||
			    imap_cmd_astring(s, tags[sent], wire[sent], wire_len[sent], false, err) < 0 ||
			    imap_cmd_raw(s, it.data, err) < 0 || imap_cmd_end(s, err) < 0) {
				rc = -1;
				break;
			}
			sent++;
		}
		if (rc < 0)
			break;
		struct qu_err e;
		qu_err_clear(&e);
		if (imap_cmd_wait(s, tags[done], NULL, &e) < 0) {
			if (e.cls == QU_E_UNAVAILABLE && !s->broken && fail &&
			    qu_err_is(&e, QU_R_REFUSED)) {
				fail[done] = true;
				memset(&st[done], 0, sizeof st[done]);
			} else {
				*err = e;
				rc = -1;
				break;
			}
		} else if (fail) {
			fail[done] = false;
		}
		done++;
	}
	/* Collect what is still in flight so the session stays in step. */
	for (; rc < 0 && !s->broken && done < sent; done++) {
		struct qu_err e;
		imap_cmd_wait(s, tags[done], NULL, &e);
	}
	imap_hooks_set(s, NULL, NULL);
	qu_buf_clear(&it);
	free(tags);
	return rc < 0 ? qu_err_prefix(err, "STATUS") : 0;
}

int
imap_session_create(struct imap_session *s, const char *wire, size_t wire_len, struct qu_err *err)
{
	unsigned tag = imap_cmd_start(s, "CREATE", QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_astring(s, tag, wire, wire_len, false, err) < 0 ||
	    imap_cmd_end(s, err) < 0)
		return -1;
	return imap_cmd_wait(s, tag, NULL, err) < 0 ? qu_err_prefix(err, "CREATE") : 0;
}

int
imap_session_delete(struct imap_session *s, const char *wire, size_t wire_len, struct qu_err *err)
{
	unsigned tag = imap_cmd_start(s, "DELETE", QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_astring(s, tag, wire, wire_len, false, err) < 0 ||
	    imap_cmd_end(s, err) < 0)
		return -1;
	return imap_cmd_wait(s, tag, NULL, err) < 0 ? qu_err_prefix(err, "DELETE") : 0;
}

/* ---- SELECT / EXAMINE ---- */

static int
select_cmd(struct imap_session *s, const char *wire, size_t wire_len, bool read_only,
	   const struct imap_qresync *q, const struct imap_fetch_handler *h, void *ctx,
	   struct imap_mailbox_status *st, struct qu_err *err)
{
	if (imap_ensure_caps(s, err) < 0)
		return -1;
	memset(&s->sel, 0, sizeof s->sel);
	s->track_sel = true;
	s->state = IMAP_STATE_AUTHENTICATED;
	unsigned tag = imap_cmd_start(s, read_only ? "EXAMINE" : "SELECT", QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_astring(s, tag, wire, wire_len, false, err) < 0)
		return -1;
	bool condstore = (s->enabled & IMAP_ENABLE_CONDSTORE) || imap_session_has_cap(s, "CONDSTORE");
	if (q && (s->enabled & IMAP_ENABLE_QRESYNC) && q->uidvalidity && q->modseq) {
		/* RFC 7162 §3.2.5: the changes since modseq come with the reply. */
		if (imap_cmd_printf(s, err, " (QRESYNC (%u %llu%s%s))", (unsigned)q->uidvalidity,
				    (unsigned long long)q->modseq, q->known_uids ? " " : "",
				    q->known_uids ? q->known_uids : "") < 0)
			return -1;
	} else if (condstore && imap_cmd_raw(s, " (CONDSTORE)", err) < 0) {
		return -1;
	}
	if (imap_cmd_end(s, err) < 0)
		return -1;
	struct imap_fetch_ctx c = {.s = s, .h = h, .ctx = ctx};
	if (h)
		imap_hooks_set(s, &imap_fetch_hooks, &c);
	bool fresh;
	int rc = imap_cmd_wait(s, tag, &fresh, err);
	if (h)
		imap_hooks_set(s, NULL, NULL);
	if (rc < 0) {
		/* RFC 3501 §6.3.1: a failed SELECT leaves no mailbox selected. */
		s->track_sel = false;
		return qu_err_prefix(err, "%s", read_only ? "EXAMINE" : "SELECT");
	}
	if (fresh && imap_resp_code_is(&s->resp, "READ-ONLY"))
		s->sel.read_only = true;
	if (read_only)
		s->sel.read_only = true;
	s->state = IMAP_STATE_SELECTED;
	if (st)
		*st = s->sel;
	return 0;
}

int
imap_session_select(struct imap_session *s, const char *wire, size_t wire_len, bool read_only,
		    struct imap_mailbox_status *st, struct qu_err *err)
{
	return select_cmd(s, wire, wire_len, read_only, NULL, NULL, NULL, st, err);
}

int
imap_session_select_qresync(struct imap_session *s, const char *wire, size_t wire_len,
			    bool read_only, const struct imap_qresync *q,
			    const struct imap_fetch_handler *h, void *ctx,
			    struct imap_mailbox_status *st, struct qu_err *err)
{
	return select_cmd(s, wire, wire_len, read_only, q, h, ctx, st, err);
}

const struct imap_mailbox_status *
imap_session_selected(const struct imap_session *s)
{
	return &s->sel;
}
