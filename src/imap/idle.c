/*
 * Changes the server reports on its own, and IDLE (RFC 2177) that waits
 * for them while the caller can still interrupt: the wait polls the socket
 * beside the caller's wake descriptor, then leaves with DONE so that the
 * session is ready for the next command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/private.h"

const char *
imap_event_kind_name(enum imap_event_kind k)
{
	switch (k) {
	case IMAP_EVENT_EXISTS:
		return "exists";
	case IMAP_EVENT_EXPUNGE:
		return "expunge";
	case IMAP_EVENT_FETCH:
		return "fetch";
	case IMAP_EVENT_VANISHED:
		return "vanished";
	}
	return "?";
}

struct event_ctx {
	imap_event_fn fn;
	void *ctx;
	struct imap_fetch_ctx fetch;
	/* Every untagged response also goes here first (a command's own
	 * data, e.g. COPYUID in an untagged OK); may be NULL. */
	int (*also)(void *ctx, const struct imap_resp *r, struct qu_err *err);
	void *also_ctx;
};

static int
fetch_event(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r,
	    struct qu_err *err)
{
	struct event_ctx *c = ctx;
	(void)r;
	struct imap_event ev = {.kind = IMAP_EVENT_FETCH, .num = m->seq, .msg = m};
	return c->fn(c->ctx, &ev, err);
}

static const struct imap_fetch_handler fetch_events = {.msg = fetch_event};

/* True when p is a UID set: digits, ':' and ',' only (never spliced raw
 * anywhere, but the caller may show it). */
static bool
uidset_ok(const char *p, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == ':' || p[i] == ','))
			return false;
	return true;
}

/* "* VANISHED (EARLIER) 3:5" (RFC 7162 §3.2.10). */
static int
vanished_event(struct event_ctx *c, const struct imap_resp *r, struct qu_err *err)
{
	struct imap_event ev = {.kind = IMAP_EVENT_VANISHED};
	uint32_t i = r->args;
	if (i < r->args_end && r->nodes[i].kind == IMAP_NODE_LIST) {
		ev.earlier = i + 1 < r->nodes[i].end && imap_node_is(r, i + 1, "EARLIER");
		i = r->nodes[i].end;
	}
	size_t n;
	const char *p = i < r->args_end ? imap_node_bytes(r, i, &n) : NULL;
	if (!p || r->nodes[i].kind != IMAP_NODE_ATOM || !uidset_ok(p, n))
		return 0; /* malformed: nothing to report */
	char *uids = xstrndup(p, n);
	ev.uids = uids;
	int rc = c->fn(c->ctx, &ev, err);
	free(uids);
	return rc;
}

static int
event_untagged(void *ctx, const struct imap_resp *r, struct qu_err *err)
{
	struct event_ctx *c = ctx;
	if (c->also && c->also(c->also_ctx, r, err) < 0)
		return -1;
	if (!c->fn || r->status != IMAP_STATUS_NONE)
		return 0;
	if (qu_mem_eq_ci(r->kw, r->kw_len, "VANISHED"))
		return vanished_event(c, r, err);
	if (!r->has_num)
		return 0;
	struct imap_event ev = {.num = r->num};
	if (qu_mem_eq_ci(r->kw, r->kw_len, "EXISTS"))
		ev.kind = IMAP_EVENT_EXISTS;
	else if (qu_mem_eq_ci(r->kw, r->kw_len, "EXPUNGE"))
		ev.kind = IMAP_EVENT_EXPUNGE;
	else if (qu_mem_eq_ci(r->kw, r->kw_len, "FETCH"))
		return imap_fetch_hooks.untagged(&c->fetch, r, err);
	else
		return 0;
	return c->fn(c->ctx, &ev, err);
}

static const struct imap_hooks event_hooks = {.untagged = event_untagged};

static void
events_init(struct event_ctx *c, struct imap_session *s, imap_event_fn fn, void *ctx)
{
	*c = (struct event_ctx){.fn = fn, .ctx = ctx};
	c->fetch.s = s;
	c->fetch.h = &fetch_events;
	c->fetch.ctx = c;
}

int
imap_cmd_wait_events(struct imap_session *s, unsigned tag, imap_event_fn fn, void *ctx, bool *fresh,
	    struct qu_err *err)
{
	return imap_cmd_wait_events_also(s, tag, fn, ctx, NULL, NULL, fresh, err);
}

int
imap_cmd_wait_events_also(struct imap_session *s, unsigned tag, imap_event_fn fn, void *ctx,
			  int (*also)(void *, const struct imap_resp *, struct qu_err *),
			  void *also_ctx, bool *fresh, struct qu_err *err)
{
	struct event_ctx c;
	events_init(&c, s, fn, ctx);
	c.also = also;
	c.also_ctx = also_ctx;
	imap_hooks_set(s, &event_hooks, &c);
	int rc = imap_cmd_wait(s, tag, fresh, err);
	imap_hooks_set(s, NULL, NULL);
	return rc;
}

int
imap_session_noop_events(struct imap_session *s, imap_event_fn fn, void *ctx, struct qu_err *err)
{
	unsigned tag = imap_cmd_start(s, "NOOP", QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_end(s, err) < 0)
		return -1;
	if (imap_cmd_wait_events(s, tag, fn, ctx, NULL, err) < 0)
		return qu_err_prefix(err, "NOOP");
	return 0;
}

int
imap_session_expunge(struct imap_session *s, imap_event_fn fn, void *ctx, struct qu_err *err)
{
	unsigned tag = imap_cmd_start(s, "EXPUNGE", QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_end(s, err) < 0)
		return -1;
	if (imap_cmd_wait_events(s, tag, fn, ctx, NULL, err) < 0)
		return qu_err_prefix(err, "EXPUNGE");
	return 0;
}

/* Reads what the server sends while idling until wake_fd, the deadline
 * or the server's own completion of IDLE. Returns 1 woken, 0 deadline,
 * 2 completed by the server, -1 error. */
static int
idle_loop(struct imap_session *s, int wake_fd, int timeout_ms, struct qu_err *err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : qu_now_ms() + timeout_ms;
	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			int64_t l = deadline - qu_now_ms();
			left = l <= 0 ? 0 : l > 0x7fffffff ? 0x7fffffff : (int)l;
		}
		int r = net_wait_readable(imap_session_conn(s), wake_fd, left, err);
		if (r < 0)
			return imap_broken(s);
		if (r == 0)
			return deadline >= 0 && qu_now_ms() >= deadline ? 0 : 1;
		if (imap_read_response(s, err) < 0)
			return -1;
		if (s->resp.type == IMAP_RESP_CONTINUE) {
			qu_err_set(err, QU_E_UNAVAILABLE, "unexpected continuation request");
			return imap_broken(s);
		}
		if (s->resp.type != IMAP_RESP_TAGGED)
			continue;
		if (imap_cmd_note_tagged(s, err) < 0)
			return -1;
		return 2;
	}
}

int
imap_session_idle_run(struct imap_session *s, int wake_fd, int timeout_ms, imap_event_fn fn,
		      void *ctx, struct qu_err *err)
{
	if (!imap_session_has_cap(s, "IDLE") && !imap_session_has_cap(s, "IMAP4rev2"))
		return qu_err_set(err, QU_E_UNAVAILABLE, "IDLE: not offered by the server");
	unsigned tag = imap_cmd_start(s, "IDLE", QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_end(s, err) < 0)
		return -1;
	struct event_ctx c;
	events_init(&c, s, fn, ctx);
	imap_hooks_set(s, &event_hooks, &c);
	int rc = imap_cmd_wait_continue(s, tag, err);
	if (rc == 1) {
		rc = idle_loop(s, wake_fd, timeout_ms, err);
		if (rc == 0 || rc == 1) {
			/* RFC 2177 §3: DONE ends it; the tagged OK follows what
			 * the server still had to say, which is reported too. */
			int w = rc;
			if (imap_cmd_raw(s, "DONE\r\n", err) < 0 ||
			    imap_cmd_wait(s, tag, NULL, err) < 0)
				rc = -1;
			else
				rc = w;
		} else if (rc == 2) {
			rc = imap_cmd_wait(s, tag, NULL, err) < 0 ? -1 : 0;
		}
	}
	imap_hooks_set(s, NULL, NULL);
	return rc < 0 ? qu_err_prefix(err, "IDLE") : rc;
}

int
imap_session_select_events(struct imap_session *s, const char *wire, size_t wire_len,
			   bool read_only, const struct imap_qresync *q, imap_event_fn fn,
			   void *ctx, struct imap_mailbox_status *st, struct qu_err *err)
{
	struct event_ctx c;
	events_init(&c, s, fn, ctx);
	imap_hooks_set(s, &event_hooks, &c);
	int rc = imap_session_select_qresync(s, wire, wire_len, read_only, q, NULL, NULL, st, err);
	imap_hooks_set(s, NULL, NULL);
	return rc;
}
