/*
 * APPEND (RFC 3501 §6.3.11, LITERAL+ RFC 7888, APPENDUID RFC 4315) and
 * IDLE (RFC 2177).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "imap/private.h"

static void
append_flags(struct qu_buf *b, unsigned flags)
{
	if (!flags)
		return;
	qu_buf_append_byte(b, ' ');
	imap_flags_format(b, flags);
}

/* A date-time as APPEND takes it: "dd-Mon-yyyy hh:mm:ss +zzzz" with a
 * space-padded day allowed; nothing else may be spliced in. */
static bool
date_ok(const char *d)
{
	size_t n = strlen(d);
	if (n != 26)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (!(c == ' ' || c == '-' || c == ':' || c == '+' || (c >= '0' && c <= '9') ||
		      (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return false;
	}
	return true;
}

int
imap_session_append(struct imap_session *s, const char *wire, size_t wire_len, unsigned flags,
		    const char *date, const char *p, size_t n, struct imap_uidplus *u,
		    struct qu_err *err)
{
	if (u)
		memset(u, 0, sizeof *u);
	if (date && !date_ok(date))
		return qu_err_set(err, QU_E_SOFTWARE, "APPEND: malformed date-time '%s'", date);
	if (!s->caps && imap_cmd_simple(s, "CAPABILITY", err) < 0)
		return -1;
	struct qu_buf b;
	qu_buf_init(&b, 4096);
	append_flags(&b, flags);
	if (date)
		qu_buf_printf(&b, " \"%s\"", date);
	unsigned tag = imap_cmd_start(s, "APPEND", QU_E_UNAVAILABLE, err);
	int rc = -1;
	bool fresh = false;
	if (!tag || imap_cmd_astring(s, tag, wire, wire_len, false, err) < 0 ||
	    (b.len && imap_cmd_raw(s, b.data, err) < 0) || imap_cmd_literal(s, tag, p, n, err) < 0 ||
	    imap_cmd_end(s, err) < 0)
		goto out;
	rc = imap_cmd_wait(s, tag, &fresh, err);
	if (rc == 0 && fresh)
		imap_uidplus_from_resp(&s->resp, u);
out:
	qu_buf_clear(&b);
	return rc < 0 ? qu_err_prefix(err, "APPEND") : 0;
}

/* ---- IDLE ---- */

struct idle_ctx {
	bool changed;
};

static int
idle_untagged(void *ctx, const struct imap_resp *r, struct qu_err *err)
{
	struct idle_ctx *c = ctx;
	(void)err;
	if (r->has_num || qu_mem_eq_ci(r->kw, r->kw_len, "VANISHED"))
		c->changed = true; /* EXISTS, EXPUNGE, FETCH, RECENT */
	return 0;
}

int
imap_session_idle(struct imap_session *s, bool *changed, struct qu_err *err)
{
	*changed = false;
	if (!imap_session_has_cap(s, "IDLE") && !imap_session_has_cap(s, "IMAP4rev2"))
		return qu_err_set(err, QU_E_UNAVAILABLE, "IDLE: not offered by the server");
	if (!s->idle_tag) {
		unsigned tag = imap_cmd_start(s, "IDLE", QU_E_UNAVAILABLE, err);
		if (!tag || imap_cmd_end(s, err) < 0)
			return -1;
		int w = imap_cmd_wait_continue(s, tag, err);
		if (w < 0)
			return qu_err_prefix(err, "IDLE");
		if (w == 0)
			return 0; /* ended at once: nothing to wait for */
		s->idle_tag = tag;
	}
	struct idle_ctx c = {false};
	static const struct imap_hooks hooks = {.untagged = idle_untagged};
	imap_hooks_set(s, &hooks, &c);
	int rc = 0;
	while (!c.changed) {
		s->idle_wait = true;
		rc = imap_read_response(s, err);
		s->idle_wait = false;
		if (rc < 0) {
			if (s->idle_timeout) {
				/* The deadline passed between responses: not an error. */
				s->idle_timeout = false;
				qu_err_clear(err);
				rc = 0;
			}
			break;
		}
		if (s->resp.type != IMAP_RESP_UNTAGGED) {
			rc = qu_err_set(err, QU_E_UNAVAILABLE, "IDLE: unexpected %s response",
					imap_resp_type_name(s->resp.type));
			imap_broken(s);
			break;
		}
	}
	imap_hooks_set(s, NULL, NULL);
	*changed = c.changed;
	return rc;
}

int
imap_session_idle_done(struct imap_session *s, struct qu_err *err)
{
	if (!s->idle_tag)
		return 0;
	unsigned tag = s->idle_tag;
	s->idle_tag = 0;
	if (imap_cmd_raw(s, "DONE\r\n", err) < 0)
		return -1;
	return imap_cmd_wait(s, tag, NULL, err) < 0 ? qu_err_prefix(err, "IDLE") : 0;
}
