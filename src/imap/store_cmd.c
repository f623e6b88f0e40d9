/*
 * What an interactive client does to messages it shows: conditional flag
 * changes (CONDSTORE, RFC 7162 §3.1.3), the list of messages with their
 * envelopes and structures (RFC 3501 §6.4.5, §7.4.2), and one message or
 * one part streamed to a sink.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/private.h"

/* Results of a MODIFIED code kept at most. */
#define MAX_MODIFIED (1024u * 1024)

/* Protocol syntax for a UID set, never user text: digits, ':', ',', '*'. */
static bool
seqset_syntax_ok(const char *p)
{
	if (!*p)
		return false;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == ':' || *p == ',' || *p == '*'))
			return false;
	return true;
}

static bool
has_condstore(const struct imap_session *s)
{
	return (imap_session_enabled(s) & IMAP_ENABLE_CONDSTORE) ||
	       imap_session_has_cap(s, "CONDSTORE") || imap_session_has_cap(s, "QRESYNC");
}

/* [MODIFIED 7,9] of the tagged response into *v. */
static void
modified_from(const struct imap_resp *r, uint32_t **v, size_t *n)
{
	if (!imap_resp_code_is(r, "MODIFIED"))
		return;
	uint32_t a = r->nodes[r->code].end;
	size_t len, cap = 0;
	const char *p = a < r->code_end ? imap_node_bytes(r, a, &len) : NULL;
	if (!p || imap_seqset_parse(p, len, v, n, &cap, MAX_MODIFIED) < 0) {
		free(*v);
		*v = NULL;
		*n = 0;
	}
}

int
imap_session_uid_store_cond(struct imap_session *s, const char *uidset, char op, unsigned flags,
			    uint64_t unchangedsince, imap_event_fn fn, void *ctx,
			    uint32_t **modified, size_t *n_modified, struct qu_err *err)
{
	uint32_t *mv = NULL;
	size_t mn = 0;
	if (!seqset_syntax_ok(uidset))
		return qu_err_set(err, QU_E_SOFTWARE, "UID STORE: malformed UID set");
	struct qu_buf b;
	qu_buf_init(&b, 4096);
	qu_buf_printf(&b, "%s ", uidset);
	if (unchangedsince && has_condstore(s))
		qu_buf_printf(&b, "(UNCHANGEDSINCE %llu) ", (unsigned long long)unchangedsince);
	qu_buf_printf(&b, "%sFLAGS%s ", op == '+' ? "+" : op == '-' ? "-" : "",
		      fn ? "" : ".SILENT");
	imap_flags_format(&b, flags);
	unsigned tag = imap_cmd_start(s, "UID STORE ", QU_E_UNAVAILABLE, err);
	int rc = -1;
	bool fresh = false;
	if (tag && imap_cmd_raw(s, b.data, err) == 0 && imap_cmd_end(s, err) == 0) {
		rc = imap_cmd_wait_events(s, tag, fn, ctx, &fresh, err);
		/* RFC 7162 §3.1.3: OK [MODIFIED set] names those left alone
		 * (NO [MODIFIED] with message numbers). */
		if (fresh)
			modified_from(&s->resp, &mv, &mn);
	}
	qu_buf_clear(&b);
	if (modified) {
		*modified = mv;
		*n_modified = mn;
	} else {
		free(mv);
	}
	return rc < 0 ? qu_err_prefix(err, "UID STORE") : 0;
}

/* ---- message summaries ---- */

struct summary_ctx {
	imap_summary_fn fn;
	void *ctx;
};

static int
summary_msg(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r,
	    struct qu_err *err)
{
	struct summary_ctx *c = ctx;
	if (!m->uid)
		return 0; /* an unsolicited FETCH (flags of another message) */
	struct imap_summary sm = {
		.seq = m->seq, .uid = m->uid, .flags = m->flags, .has_flags = m->has_flags,
		.size = m->size, .modseq = m->modseq, .internaldate = m->internaldate,
	};
	struct imap_envelope env;
	struct imap_bodystructure bs;
	memset(&env, 0, sizeof env);
	memset(&bs, 0, sizeof bs);
	if (m->envelope && imap_envelope_decode(r, m->envelope, &env) == 0)
		sm.envelope = &env;
	if (m->bodystructure && imap_bodystructure_decode(r, m->bodystructure, &bs) == 0)
		sm.body = &bs;
	int rc = c->fn(c->ctx, &sm, err);
	imap_envelope_clear(&env);
	imap_bodystructure_clear(&bs);
	return rc;
}

int
imap_session_fetch_summaries(struct imap_session *s, const char *uidset, unsigned want,
			     imap_summary_fn fn, void *ctx, struct qu_err *err)
{
	if (!seqset_syntax_ok(uidset))
		return qu_err_set(err, QU_E_SOFTWARE, "UID FETCH: malformed UID set");
	char items[128];
	snprintf(items, sizeof items, "(UID FLAGS INTERNALDATE RFC822.SIZE%s%s%s)",
		 (imap_session_enabled(s) & IMAP_ENABLE_CONDSTORE) ? " MODSEQ" : "",
		 (want & IMAP_SUMMARY_ENVELOPE) ? " ENVELOPE" : "",
		 (want & IMAP_SUMMARY_BODYSTRUCTURE) ? " BODYSTRUCTURE" : "");
	struct summary_ctx c = {fn, ctx};
	const struct imap_fetch_handler h = {.msg = summary_msg};
	return imap_session_uid_fetch(s, uidset, items, 0, &h, &c, err);
}

/* ---- one message or part ---- */

struct part_ctx {
	uint32_t uid;
	net_sink_fn sink;
	void *sctx;
	bool got;
	uint64_t size;
};

static int
part_begin(void *ctx, const struct imap_fetch_msg *m, uint64_t size, struct qu_err *err)
{
	struct part_ctx *c = ctx;
	/* Only one body was asked for; a server may put UID after it. */
	if ((m->uid && m->uid != c->uid) || c->got)
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "server sent a body that was not asked for");
	c->got = true;
	c->size = size;
	return 0;
}

static int
part_data(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct part_ctx *c = ctx;
	return c->sink(c->sctx, p, n, err);
}

static int
part_msg(void *ctx, const struct imap_fetch_msg *m, const struct imap_resp *r, struct qu_err *err)
{
	struct part_ctx *c = ctx;
	(void)r;
	/* A NIL body: the part does not exist; an empty body is just empty. */
	if (m->uid == c->uid && m->has_body && !c->got && m->body && m->body_size) {
		c->got = true;
		c->size = m->body_size;
		return c->sink(c->sctx, m->body, m->body_size, err);
	}
	if (m->uid == c->uid && m->has_body)
		c->got = true;
	return 0;
}

/* RFC 3501 §6.4.5 section-spec: part numbers and the few names. */
static bool
section_ok(const char *p)
{
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.' || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z')))
			return false;
	return true;
}

int
imap_session_fetch_part(struct imap_session *s, uint32_t uid, const char *section,
			net_sink_fn sink, void *ctx, uint64_t *size, struct qu_err *err)
{
	if (size)
		*size = 0;
	if (!uid || strlen(section) > 64 || !section_ok(section))
		return qu_err_set(err, QU_E_SOFTWARE, "UID FETCH: malformed section");
	char set[16], items[96];
	snprintf(set, sizeof set, "%u", (unsigned)uid);
	snprintf(items, sizeof items, "(UID BODY.PEEK[%s])", section);
	struct part_ctx c = {.uid = uid, .sink = sink, .sctx = ctx};
	const struct imap_fetch_handler h = {part_begin, part_data, part_msg};
	if (imap_session_uid_fetch(s, set, items, 0, &h, &c, err) < 0)
		return -1;
	if (!c.got) {
		qu_err_set(err, QU_E_UNAVAILABLE, "UID FETCH %u: no such message", (unsigned)uid);
		return qu_err_reason(err, QU_R_REFUSED, "NONEXISTENT");
	}
	if (size)
		*size = c.size;
	return 0;
}
