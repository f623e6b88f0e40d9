/*
 * The command engine: tags, pipelining, literals in commands, reading
 * responses (literals streamed where the operation wants them), and the
 * session's bookkeeping of untagged data (RFC 3501 §7: any untagged
 * response may come at any time, between any two lines of others).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/private.h"

int
imap_broken(struct imap_session *s)
{
	s->broken = true;
	return -1;
}

void
imap_hooks_set(struct imap_session *s, const struct imap_hooks *h, void *ctx)
{
	s->hooks = h;
	s->hctx = ctx;
}

/* ---- describing responses for messages ---- */

void
imap_describe_nodes(struct qu_buf *b, const struct imap_resp *r, uint32_t first, uint32_t last)
{
	/* Ends of the lists still open, to close them without recursion. */
	uint32_t ends[128];
	size_t nends = 0;
	bool sep = false;
	for (uint32_t i = first; i < last; i++) {
		while (nends && ends[nends - 1] <= i) {
			qu_buf_append_byte(b, ')');
			nends--;
		}
		const struct imap_node *n = &r->nodes[i];
		if (sep && b->len && b->data[b->len - 1] != '(')
			qu_buf_append_byte(b, ' ');
		sep = true;
		switch (n->kind) {
		case IMAP_NODE_ATOM:
			qu_buf_append_safe(b, r->data + n->off, n->len, false);
			break;
		case IMAP_NODE_STRING:
			qu_buf_append_byte(b, '"');
			qu_buf_append_safe(b, r->data + n->off, n->len, false);
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
			if (nends < QU_ARRAY_LEN(ends))
				ends[nends++] = n->end;
			break;
		}
	}
	while (nends--)
		qu_buf_append_byte(b, ')');
}

char *
imap_describe_status(const struct imap_resp *r)
{
	struct qu_buf b;
	qu_buf_init(&b, 2048);
	qu_buf_append_safe(&b, r->kw, r->kw_len, false);
	if (r->code != r->code_end) {
		qu_buf_append_str(&b, " [");
		imap_describe_nodes(&b, r, r->code, r->code_end);
		qu_buf_append_byte(&b, ']');
	}
	if (r->text_len) {
		qu_buf_append_byte(&b, ' ');
		qu_buf_append_safe(&b, r->text, r->text_len, false);
	}
	return qu_buf_steal(&b, NULL);
}

/* ---- untagged bookkeeping ---- */

void
imap_caps_set(struct imap_session *s, const struct imap_resp *r, uint32_t first, uint32_t last)
{
	struct qu_buf b;
	qu_buf_init(&b, 64 * 1024);
	for (uint32_t i = first; i < last; i = r->nodes[i].end) {
		size_t n;
		const char *a = imap_node_bytes(r, i, &n);
		if (!a || r->nodes[i].kind != IMAP_NODE_ATOM)
			continue;
		if (b.len)
			qu_buf_append_byte(&b, ' ');
		qu_buf_append(&b, a, n);
	}
	free(s->caps);
	s->caps = qu_buf_steal(&b, NULL);
	s->caps_gen++;
}

/* Response codes of status responses (RFC 3501 §7.1, RFC 4315, RFC 7162). */
static void
note_code(struct imap_session *s, const struct imap_resp *r)
{
	if (r->code == r->code_end)
		return;
	uint32_t a = r->nodes[r->code].end;
	bool arg = a < r->code_end;
	uint64_t v;
	if (imap_resp_code_is(r, "CAPABILITY")) {
		imap_caps_set(s, r, a, r->code_end);
		return;
	}
	if (!s->track_sel || r->type != IMAP_RESP_UNTAGGED) {
		if (imap_resp_code_is(r, "READ-ONLY") && s->track_sel)
			s->sel.read_only = true;
		return;
	}
	if (imap_resp_code_is(r, "UIDVALIDITY") && arg && imap_node_u64(r, a, UINT32_MAX, &v) == 0) {
		s->sel.uidvalidity = (uint32_t)v;
		s->sel.have |= IMAP_MB_HAVE_UIDVALIDITY;
	} else if (imap_resp_code_is(r, "UIDNEXT") && arg &&
		   imap_node_u64(r, a, UINT32_MAX, &v) == 0) {
		s->sel.uidnext = (uint32_t)v;
		s->sel.have |= IMAP_MB_HAVE_UIDNEXT;
	} else if (imap_resp_code_is(r, "HIGHESTMODSEQ") && arg &&
		   imap_node_u64(r, a, UINT64_MAX, &v) == 0) {
		s->sel.highestmodseq = v;
		s->sel.have |= IMAP_MB_HAVE_HIGHESTMODSEQ;
	} else if (imap_resp_code_is(r, "NOMODSEQ")) {
		s->sel.nomodseq = true;
	} else if (imap_resp_code_is(r, "UNSEEN") && arg && imap_node_u64(r, a, UINT32_MAX, &v) == 0) {
		/* The first unseen message's number, not a count: not kept. */
	} else if (imap_resp_code_is(r, "PERMANENTFLAGS") && arg) {
		s->sel.permanent_flags = imap_flag_list(r, a);
	}
}

/* RFC 7162 §3.2.10: with QRESYNC, VANISHED replaces EXPUNGE; (EARLIER)
 * reports old news and changes nothing. */
static void
vanished(struct imap_session *s, const struct imap_resp *r)
{
	uint32_t i = r->args;
	if (i < r->args_end && r->nodes[i].kind == IMAP_NODE_LIST)
		return;
	size_t n;
	const char *p = i < r->args_end ? imap_node_bytes(r, i, &n) : NULL;
	if (!p)
		return;
	uint64_t count = 0;
	for (size_t k = 0; k < n;) {
		size_t e = k;
		while (e < n && p[e] != ',')
			e++;
		const char *c = memchr(p + k, ':', e - k);
		uint64_t lo, hi;
		if (c && qu_parse_u64(p + k, (size_t)(c - p - k), UINT32_MAX, &lo) == 0 &&
		    qu_parse_u64(c + 1, (size_t)(p + e - c - 1), UINT32_MAX, &hi) == 0)
			count += lo > hi ? lo - hi + 1 : hi - lo + 1;
		else if (!c)
			count++;
		k = e + 1;
	}
	s->sel.messages = count >= s->sel.messages ? 0 : s->sel.messages - (uint32_t)count;
}

static void
untagged_data(struct imap_session *s, const struct imap_resp *r)
{
	if (qu_mem_eq_ci(r->kw, r->kw_len, "CAPABILITY")) {
		imap_caps_set(s, r, r->args, r->args_end);
		return;
	}
	if (qu_mem_eq_ci(r->kw, r->kw_len, "ENABLED")) {
		for (uint32_t i = r->args; i < r->args_end; i = r->nodes[i].end) {
			if (imap_node_is(r, i, "CONDSTORE"))
				s->enabled |= IMAP_ENABLE_CONDSTORE;
			else if (imap_node_is(r, i, "QRESYNC"))
				s->enabled |= IMAP_ENABLE_QRESYNC | IMAP_ENABLE_CONDSTORE;
			else if (imap_node_is(r, i, "UTF8=ACCEPT") || imap_node_is(r, i, "UTF8=ONLY"))
				s->enabled |= IMAP_ENABLE_UTF8;
		}
		return;
	}
	if (!s->track_sel)
		return;
	if (qu_mem_eq_ci(r->kw, r->kw_len, "VANISHED")) {
		/* The one mailbox-size response without a number before it. */
		vanished(s, r);
		return;
	}
	if (!r->has_num)
		return;
	if (qu_mem_eq_ci(r->kw, r->kw_len, "EXISTS")) {
		s->sel.messages = r->num;
		s->sel.have |= IMAP_MB_HAVE_MESSAGES;
	} else if (qu_mem_eq_ci(r->kw, r->kw_len, "RECENT")) {
		s->sel.recent = r->num;
		s->sel.have |= IMAP_MB_HAVE_RECENT;
	} else if (qu_mem_eq_ci(r->kw, r->kw_len, "EXPUNGE")) {
		if (s->sel.messages)
			s->sel.messages--;
	} else if (qu_mem_eq_ci(r->kw, r->kw_len, "FETCH")) {
		/* RFC 7162 §3.1.4: a FETCH with MODSEQ raises HIGHESTMODSEQ. */
		for (uint32_t i = r->args; i < r->args_end; i = r->nodes[i].end) {
			if (r->nodes[i].kind != IMAP_NODE_LIST)
				continue;
			for (uint32_t j = i + 1; j + 1 < r->nodes[i].end; j = r->nodes[j].end) {
				uint64_t v;
				uint32_t k = r->nodes[j].end;
				if (imap_node_is(r, j, "MODSEQ") && r->nodes[k].kind == IMAP_NODE_LIST &&
				    k + 1 < r->nodes[k].end && imap_node_u64(r, k + 1, UINT64_MAX, &v) == 0 &&
				    v > s->sel.highestmodseq && (s->sel.have & IMAP_MB_HAVE_HIGHESTMODSEQ))
					s->sel.highestmodseq = v;
			}
		}
	}
}

static int
untagged(struct imap_session *s, const struct imap_resp *r, struct qu_err *err)
{
	if (r->status != IMAP_STATUS_NONE) {
		note_code(s, r);
		if (r->status == IMAP_STATUS_BYE) {
			free(s->bye);
			s->bye = imap_describe_status(r);
		}
	} else {
		untagged_data(s, r);
	}
	if (s->hooks && s->hooks->untagged)
		return s->hooks->untagged(s->hctx, r, err);
	return 0;
}

/* ---- reading ---- */

struct feed_ctx {
	struct imap_session *s;
};

/* A literal kept in the response: its bytes go through the parser. */
static int
feed_sink(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct imap_parser *ps = ctx;
	size_t used;
	enum imap_parse r = imap_parser_feed(ps, p, n, &used);
	if (r == IMAP_PARSE_ERROR || used != n)
		return qu_err_set(err, QU_E_TEMPFAIL, "server sent a malformed response: %s",
				  imap_parser_error(ps));
	return 0;
}

static int
net_failed(struct imap_session *s, struct qu_err *err)
{
	if (s->idle_wait && qu_err_is(err, QU_R_TIMEOUT) &&
	    imap_parser_between(&s->parser)) {
		/* IDLE waits for the deadline between responses; nothing is lost. */
		s->idle_timeout = true;
		return -1;
	}
	if (s->bye && err->cls == QU_E_TEMPFAIL) {
		/* The server said why it went: say it too. */
		char *why = s->bye;
		s->bye = NULL;
		qu_err_prefix(err, "server closed the session (%s)", why);
		free(why);
	}
	return imap_broken(s);
}

static int
on_literal(struct imap_session *s, struct qu_err *err)
{
	struct imap_literal_info li;
	imap_parser_literal_info(&s->parser, &li);
	net_sink_fn sink = NULL;
	void *sctx = NULL;
	int want = 0;
	if (s->hooks && s->hooks->literal) {
		struct imap_resp partial;
		imap_parser_response(&s->parser, &partial);
		want = s->hooks->literal(s->hctx, &li, &partial, &sink, &sctx, err);
		if (want < 0)
			return imap_broken(s);
	}
	if (want > 0) {
		imap_parser_literal_skip(&s->parser);
		if (net_read_stream(s->conn, li.size, sink, sctx, err) < 0)
			return err->cls == QU_E_TEMPFAIL ? net_failed(s, err) : imap_broken(s);
		return 0;
	}
	if (imap_parser_literal_accept(&s->parser) < 0) {
		qu_err_set(err, QU_E_TEMPFAIL, "%s", imap_parser_error(&s->parser));
		return imap_broken(s);
	}
	if (net_read_stream(s->conn, li.size, feed_sink, &s->parser, err) < 0)
		return net_failed(s, err);
	return 0;
}

int
imap_read_response(struct imap_session *s, struct qu_err *err)
{
	if (s->broken)
		return qu_err_set(err, QU_E_TEMPFAIL, "the session was lost earlier");
	for (;;) {
		const char *line;
		size_t len, off = 0;
		if (net_read_line(s->conn, &line, &len, err) < 0)
			return net_failed(s, err);
		while (off < len) {
			size_t used;
			enum imap_parse r = imap_parser_feed(&s->parser, line + off, len - off, &used);
			off += used;
			if (r == IMAP_PARSE_MORE)
				continue;
			if (r == IMAP_PARSE_ERROR) {
				qu_err_set(err, QU_E_TEMPFAIL, "server sent a malformed response: %s",
					   imap_parser_error(&s->parser));
				return imap_broken(s);
			}
			if (r == IMAP_PARSE_LITERAL) {
				if (on_literal(s, err) < 0)
					return -1;
				continue;
			}
			/* DONE: a response ends with its line. */
			imap_parser_response(&s->parser, &s->resp);
			if (s->resp.type == IMAP_RESP_UNTAGGED && untagged(s, &s->resp, err) < 0)
				return imap_broken(s);
			return 0;
		}
	}
}

/* ---- commands ---- */

static struct imap_pending *
pending_find(struct imap_session *s, const char *tag, size_t n)
{
	if (n < 2 || tag[0] != 'Q')
		return NULL;
	uint64_t t;
	if (qu_parse_u64(tag + 1, n - 1, UINT32_MAX, &t) < 0)
		return NULL;
	for (size_t i = 0; i < s->npend; i++)
		if (s->pend[i].tag == t)
			return &s->pend[i];
	return NULL;
}

static struct imap_pending *
pending_by_tag(struct imap_session *s, unsigned tag)
{
	for (size_t i = 0; i < s->npend; i++)
		if (s->pend[i].tag == tag)
			return &s->pend[i];
	return NULL;
}

static void
pending_drop(struct imap_session *s, struct imap_pending *p)
{
	free(p->msg);
	size_t i = (size_t)(p - s->pend);
	memmove(&s->pend[i], &s->pend[i + 1], (s->npend - i - 1) * sizeof *p);
	s->npend--;
}

unsigned
imap_cmd_start(struct imap_session *s, const char *verb, enum qu_err_class no_cls,
	       struct qu_err *err)
{
	if (s->broken) {
		qu_err_set(err, QU_E_TEMPFAIL, "the session was lost earlier");
		return 0;
	}
	if (s->npend == IMAP_MAX_PENDING) {
		qu_err_set(err, QU_E_SOFTWARE, "too many IMAP commands in flight");
		return 0;
	}
	unsigned tag = ++s->tag;
	s->pend[s->npend++] = (struct imap_pending){.tag = tag, .no_cls = no_cls};
	s->commands++;
	if (net_printf(s->conn, err, "Q%u %s", tag, verb) < 0) {
		imap_broken(s);
		return 0;
	}
	return tag;
}

int
imap_cmd_raw(struct imap_session *s, const char *text, struct qu_err *err)
{
	if (net_write(s->conn, text, strlen(text), err) < 0)
		return imap_broken(s);
	return 0;
}

int
imap_cmd_printf(struct imap_session *s, struct qu_err *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *t = xvasprintf(fmt, ap);
	va_end(ap);
	int rc = imap_cmd_raw(s, t, err);
	free(t);
	return rc;
}

int
imap_cmd_end(struct imap_session *s, struct qu_err *err)
{
	return imap_cmd_raw(s, "\r\n", err);
}

/* Writes the announcement "{n}" / "{n+}" and, for a synchronizing
 * literal, waits for the server's go-ahead (RFC 3501 §7.5, RFC 7888). */
static int
literal_head(struct imap_session *s, unsigned tag, size_t n, struct qu_err *err)
{
	/* RFC 9051 §4.3: IMAP4rev2 has LITERAL- built in. */
	bool plus = imap_session_has_cap(s, "LITERAL+") ||
		    (n <= 4096 && (imap_session_has_cap(s, "LITERAL-") ||
				   imap_session_has_cap(s, "IMAP4rev2")));
	if (imap_cmd_printf(s, err, "{%zu%s}\r\n", n, plus ? "+" : "") < 0)
		return -1;
	if (plus)
		return 0;
	int r = imap_cmd_wait_continue(s, tag, err);
	if (r == 1)
		return 0;
	if (r == 0)
		qu_err_set(err, QU_E_UNAVAILABLE, "server completed the command without its literal");
	return -1;
}

int
imap_cmd_astring(struct imap_session *s, unsigned tag, const char *p, size_t n, bool secret,
		 struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	bool lit;
	imap_quote(&b, p, n, &lit);
	int rc = -1;
	if (imap_cmd_raw(s, " ", err) < 0)
		goto out;
	if (lit) {
		if (literal_head(s, tag, n, err) < 0)
			goto out;
		rc = secret ? net_write_secret(s->conn, p, n, err) : net_write(s->conn, p, n, err);
	} else {
		rc = secret ? net_write_secret(s->conn, b.data, b.len, err)
			    : net_write(s->conn, b.data, b.len, err);
	}
	if (rc < 0)
		imap_broken(s);
out:
	qu_buf_clear_secret(&b);
	return rc;
}

int
imap_cmd_literal(struct imap_session *s, unsigned tag, const char *p, size_t n, struct qu_err *err)
{
	if (imap_cmd_raw(s, " ", err) < 0 || literal_head(s, tag, n, err) < 0)
		return -1;
	if (net_write(s->conn, p, n, err) < 0)
		return imap_broken(s);
	return 0;
}

/* The response code's name, uppercase, for struct qu_err's code: only
 * atom letters, digits and '-' (RFC 5530 names), cut to fit. */
static void
code_name(const struct imap_resp *r, char *out, size_t cap)
{
	size_t n = 0, k = 0;
	const char *b = r->code != r->code_end ? imap_node_bytes(r, r->code, &n) : NULL;
	for (size_t i = 0; b && i < n && k + 1 < cap; i++) {
		char c = b[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.')
			out[k++] = c;
	}
	out[k] = '\0';
}

/* Why a tagged NO or BAD failed, for code that decides (RFC 5530 codes in
 * p->code): credentials, or the server refusing, or a protocol error. */
static enum qu_err_reason
failure_reason(const struct imap_pending *p, const struct imap_resp *r)
{
	if (r->status == IMAP_STATUS_BAD)
		return QU_R_PROTOCOL;
	if (imap_resp_code_is(r, "AUTHENTICATIONFAILED") ||
	    imap_resp_code_is(r, "AUTHORIZATIONFAILED") || imap_resp_code_is(r, "EXPIRED") ||
	    (p->no_cls == QU_E_AUTH && !imap_resp_code_is(r, "UNAVAILABLE")))
		return QU_R_AUTH;
	return QU_R_REFUSED;
}

/* Records a tagged completion; the response is in s->resp. */
static int
tagged(struct imap_session *s, struct qu_err *err)
{
	const struct imap_resp *r = &s->resp;
	struct imap_pending *p = pending_find(s, r->tag, r->tag_len);
	if (!p || p->done) {
		qu_err_set(err, QU_E_UNAVAILABLE, "response with an unknown tag");
		return imap_broken(s);
	}
	note_code(s, r);
	p->done = true;
	p->st = r->status;
	if (r->status == IMAP_STATUS_OK)
		return 0;
	char *d = imap_describe_status(r);
	p->msg = xasprintf("server said %s", d);
	free(d);
	p->cls = r->status == IMAP_STATUS_NO ? p->no_cls : QU_E_UNAVAILABLE;
	p->reason = failure_reason(p, r);
	code_name(r, p->code, sizeof p->code);
	/* RFC 5530 codes that say "try later". */
	if (imap_resp_code_is(r, "UNAVAILABLE") || imap_resp_code_is(r, "INUSE"))
		p->cls = QU_E_TEMPFAIL;
	if (r->status != IMAP_STATUS_NO && r->status != IMAP_STATUS_BAD) {
		free(p->msg);
		p->msg = xstrdup("server sent a tagged response without OK, NO or BAD");
		p->cls = QU_E_UNAVAILABLE;
		p->reason = QU_R_PROTOCOL;
	}
	return 0;
}

int
imap_cmd_note_tagged(struct imap_session *s, struct qu_err *err)
{
	return tagged(s, err);
}

static int
collect(struct imap_session *s, struct imap_pending *p, struct qu_err *err)
{
	int rc = 0;
	if (p->st != IMAP_STATUS_OK) {
		qu_err_set(err, p->cls, "%s", p->msg ? p->msg : "command failed");
		rc = qu_err_reason(err, p->reason, p->code);
	}
	pending_drop(s, p);
	return rc;
}

int
imap_cmd_wait(struct imap_session *s, unsigned tag, bool *fresh, struct qu_err *err)
{
	if (fresh)
		*fresh = false;
	struct imap_pending *p = pending_by_tag(s, tag);
	if (!p)
		return qu_err_set(err, QU_E_SOFTWARE, "waiting for an unknown IMAP command");
	if (p->done)
		return collect(s, p, err);
	if (net_flush(s->conn, err) < 0)
		return net_failed(s, err);
	for (;;) {
		if (imap_read_response(s, err) < 0)
			return -1;
		if (s->resp.type == IMAP_RESP_UNTAGGED)
			continue;
		if (s->resp.type == IMAP_RESP_CONTINUE) {
			qu_err_set(err, QU_E_UNAVAILABLE, "unexpected continuation request");
			return imap_broken(s);
		}
		if (tagged(s, err) < 0)
			return -1;
		p = pending_by_tag(s, tag);
		if (p->done) {
			if (fresh)
				*fresh = true;
			return collect(s, p, err);
		}
	}
}

int
imap_cmd_wait_continue(struct imap_session *s, unsigned tag, struct qu_err *err)
{
	if (net_flush(s->conn, err) < 0)
		return net_failed(s, err);
	for (;;) {
		if (imap_read_response(s, err) < 0)
			return -1;
		if (s->resp.type == IMAP_RESP_UNTAGGED)
			continue;
		if (s->resp.type == IMAP_RESP_CONTINUE)
			return 1;
		if (tagged(s, err) < 0)
			return -1;
		struct imap_pending *p = pending_by_tag(s, tag);
		if (p && p->done)
			return collect(s, p, err);
	}
}

int
imap_ensure_caps(struct imap_session *s, struct qu_err *err)
{
	return s->caps ? 0 : imap_cmd_simple(s, "CAPABILITY", err);
}

int
imap_cmd_simple(struct imap_session *s, const char *verb, struct qu_err *err)
{
	unsigned tag = imap_cmd_start(s, verb, QU_E_UNAVAILABLE, err);
	if (!tag || imap_cmd_end(s, err) < 0)
		return -1;
	return imap_cmd_wait(s, tag, NULL, err);
}
