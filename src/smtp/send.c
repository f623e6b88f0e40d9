/*
 * The mail transaction (RFC 5321 §3.3) and its extensions: PIPELINING
 * (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531),
 * DSN (RFC 3461), CHUNKING (RFC 3030); VRFY.
 *
 * One engine sends one message or many over a session. With PIPELINING a
 * transaction's commands go out in one write (RFC 2920 §3.1: MAIL, every
 * RCPT, then DATA or BDAT as the last), and the next transaction's group
 * (RSET first) goes out with the previous one's data, so the connection
 * never waits for a round trip between messages. A message's outcome is
 * known only from the server's final reply to it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "smtp/smtp.h"

/* Written per net_write, so that net's buffer never holds more. */
#define WRITE_CHUNK (64 * 1024)

/* A message made ready for one session. */
struct prep {
	struct smtp_msg m;
	struct smtp_result res;
	char *from;        /* the reverse-path as sent */
	char **rcpt;       /* forward-paths as sent; NULL: refused here */
	size_t n_sent;     /* RCPTs sent */
	uint64_t size;     /* smtp_wire_size */
	bool utf8;         /* SMTPUTF8 on MAIL */
	bool eight;        /* BODY=8BITMIME */
	bool dsn;          /* DSN parameters go out */
	bool local_fail;   /* decided here; nothing to send */
	bool mail_ok;
	bool data_sent;    /* the data (and its end) went out */
	bool rset;         /* RSET precedes it */
};

const char *
smtp_outcome_name(enum smtp_outcome o)
{
	static const char *const names[] = {"sent", "tempfail", "failed"};
	return (size_t)o < QU_ARRAY_LEN(names) ? names[o] : "?";
}

void
smtp_result_init(struct smtp_result *r)
{
	memset(r, 0, sizeof *r);
	r->outcome = SMTP_OUTCOME_TEMPFAIL;
	r->text = xstrdup("");
	r->stage = "connection";
}

void
smtp_result_clear(struct smtp_result *r)
{
	for (size_t i = 0; i < r->n_rcpt; i++)
		free(r->rcpt[i].text);
	free(r->rcpt);
	free(r->text);
	memset(r, 0, sizeof *r);
}

/* ---- the wire form of the data ------------------------------------- */

uint64_t
smtp_wire_size(const char *p, size_t n)
{
	uint64_t size = n;
	size_t i = 0;
	bool bol = true;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n;
		const char *cr = memchr(p + i, '\r', e - i);
		if (cr)
			e = (size_t)(cr - p);
		if (e == n) {
			bol = false;
			break;
		}
		if (p[e] == '\r' && e + 1 < n && p[e + 1] == '\n') {
			i = e + 2;
		} else {
			size++; /* a lone CR or LF becomes CRLF */
			i = e + 1;
		}
		bol = true;
	}
	return size + (bol ? 0 : 2);
}

/* Writes the data with every line end as CRLF and, for DATA, dots
 * doubled at line starts and the end mark. The bytes between changes go
 * out as they are, a chunk at a time. */
static int
write_data(struct net_conn *c, const char *p, size_t n, bool stuff, struct qu_err *err)
{
	size_t i = 0, run = 0;
	bool bol = true;
	while (i < n) {
		if (bol && stuff && p[i] == '.') {
			/* RFC 5321 §4.5.2 transparency. */
			if (net_write(c, p + run, i - run, err) < 0 || net_write(c, ".", 1, err) < 0)
				return -1;
			run = i;
		}
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n;
		const char *cr = memchr(p + i, '\r', e - i);
		if (cr)
			e = (size_t)(cr - p);
		if (e == n) {
			bol = false;
			break;
		}
		if (p[e] == '\r' && e + 1 < n && p[e + 1] == '\n') {
			i = e + 2;
		} else {
			/* A lone CR or LF: CRLF, so that "\n.\n" or "\r.\r" in the
			 * body can never end the data early (SMTP smuggling). */
			if (net_write(c, p + run, e - run, err) < 0 || net_write(c, "\r\n", 2, err) < 0)
				return -1;
			i = e + 1;
			run = i;
		}
		bol = true;
		if (i - run >= WRITE_CHUNK) {
			if (net_write(c, p + run, i - run, err) < 0)
				return -1;
			run = i;
		}
	}
	while (run < n) {
		size_t k = n - run < WRITE_CHUNK ? n - run : WRITE_CHUNK;
		if (net_write(c, p + run, k, err) < 0)
			return -1;
		run += k;
	}
	if (!bol && net_write(c, "\r\n", 2, err) < 0)
		return -1;
	if (stuff && net_write(c, ".\r\n", 3, err) < 0)
		return -1;
	return 0;
}

/* ---- preparing a message ------------------------------------------- */

static bool
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static bool
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || *s == 127)
			return true;
	return false;
}

/* The address as it can go to this server, or NULL with *why. An IDN
 * domain always goes as its A-label (RFC 5890), which every server and
 * every later hop takes; only a non-ASCII local part needs SMTPUTF8 (RFC
 * 6531), since asking for it makes relays refuse to pass the message to a
 * hop that lacks it. */
static char *
wire_address(const char *a, bool smtputf8, bool *utf8, const char **why)
{
	if (has_control(a)) {
		*why = "the address holds a control character";
		return NULL;
	}
	if (is_ascii(a))
		return xstrdup(a);
	const char *at = strrchr(a, '@');
	bool local_ascii = true;
	for (const char *c = a; c < (at ? at : a + strlen(a)); c++)
		if ((unsigned char)*c >= 0x80)
			local_ascii = false;
	if (!local_ascii) {
		if (smtputf8) {
			*utf8 = true;
			return xstrdup(a);
		}
		*why = "the address has a non-ASCII local part and the server does not offer "
		       "SMTPUTF8 (RFC 6531)";
		return NULL;
	}
	struct qu_err ierr = {0};
	char *ace = qu_idna_to_ascii(at + 1, &ierr);
	if (!ace) {
		*why = ierr.cls == QU_E_UNAVAILABLE ? "libidn2 (Debian package libidn2-0) cannot be opened"
			: "the domain is not a valid international domain name";
		return NULL;
	}
	char *r = xasprintf("%.*s@%s", (int)(at - a), a, ace);
	free(ace);
	return r;
}

static void
set_text(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s ? s : "");
}

/* Refuses the whole message here (nothing is sent for it). */
static void
local_fail(struct prep *p, const char *fmt, ...) QU_PRINTF(2, 3);
static void
local_fail(struct prep *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(p->res.text);
	p->res.text = xvasprintf(fmt, ap);
	va_end(ap);
	p->res.outcome = SMTP_OUTCOME_FAILED;
	p->res.stage = "message";
	p->res.code = 0;
	p->local_fail = true;
}

static bool
has_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return true;
	return false;
}

static void
prepare(struct smtp_session *s, const struct smtp_msg *m, struct prep *p)
{
	memset(p, 0, sizeof *p);
	p->m = *m;
	smtp_result_init(&p->res);
	p->res.stage = "message";
	p->res.n_rcpt = m->env.n_rcpt;
	p->res.rcpt = xcalloc(m->env.n_rcpt + 1, sizeof *p->res.rcpt);
	p->rcpt = xcalloc(m->env.n_rcpt + 1, sizeof *p->rcpt);
	for (size_t i = 0; i < m->env.n_rcpt; i++) {
		p->res.rcpt[i].address = m->env.rcpt[i];
		p->res.rcpt[i].text = xstrdup("not sent");
	}
	if (!m->env.n_rcpt) {
		local_fail(p, "no recipients");
		return;
	}
	p->size = smtp_wire_size(m->data, m->len);
	const char *param = NULL;
	if (smtp_session_has_ext(s, "SIZE", &param)) {
		uint64_t max = 0;
		size_t pl = strcspn(param, "\n");
		if (pl && qu_parse_u64(param, pl, UINT64_MAX, &max) == 0 && max && p->size > max) {
			local_fail(p, "the message is %" PRIu64 " bytes; the server takes at most %" PRIu64
				      " (SIZE)", p->size, max);
			return;
		}
	}
	bool smtputf8 = smtp_session_has_ext(s, "SMTPUTF8", NULL);
	if (has_8bit(m->data, m->len)) {
		if (!smtp_session_has_ext(s, "8BITMIME", NULL)) {
			local_fail(p, "the message has 8-bit data and the server does not offer 8BITMIME "
				      "(RFC 6152)");
			return;
		}
		/* Raw UTF-8 in the header goes as 8BITMIME data: SMTPUTF8 is
		 * asked for only when an address needs it (see wire_address). */
		p->eight = true;
	}
	const char *why = NULL;
	p->from = wire_address(m->env.from ? m->env.from : "", smtputf8, &p->utf8, &why);
	if (!p->from) {
		local_fail(p, "sender <%s>: %s", m->env.from, why);
		return;
	}
	size_t ok = 0;
	for (size_t i = 0; i < m->env.n_rcpt; i++) {
		p->rcpt[i] = wire_address(m->env.rcpt[i], smtputf8, &p->utf8, &why);
		if (p->rcpt[i]) {
			ok++;
			continue;
		}
		/* 553 5.6.7 is what a server would say (RFC 6531 §3.6.2). */
		p->res.rcpt[i].code = 553;
		snprintf(p->res.rcpt[i].enhanced, sizeof p->res.rcpt[i].enhanced, "5.6.7");
		set_text(&p->res.rcpt[i].text, why);
	}
	if (!ok) {
		local_fail(p, "no recipient can be sent to this server: %s", why);
		return;
	}
	bool want_dsn = m->env.notify || m->env.ret != SMTP_DSN_RET_DEFAULT || m->env.envid;
	if (want_dsn) {
		p->dsn = smtp_session_has_ext(s, "DSN", NULL);
		p->res.dsn_dropped = !p->dsn;
	}
}

static void
prep_free(struct prep *p)
{
	free(p->from);
	for (size_t i = 0; p->rcpt && i < p->m.env.n_rcpt; i++)
		free(p->rcpt[i]);
	free(p->rcpt);
	smtp_result_clear(&p->res);
}

/* ---- commands ------------------------------------------------------ */

static int
put_line(struct net_conn *c, struct qu_buf *b, struct qu_err *err)
{
	qu_buf_append(b, "\r\n", 2);
	int r = net_write(c, b->data, b->len, err);
	qu_buf_reset(b);
	return r;
}

static int
write_mail(struct smtp_session *s, const struct prep *p, struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_printf(&b, "MAIL FROM:<%s>", p->from);
	if (smtp_session_has_ext(s, "SIZE", NULL))
		qu_buf_printf(&b, " SIZE=%" PRIu64, p->size);
	if (p->eight)
		qu_buf_append_str(&b, " BODY=8BITMIME");
	if (p->utf8)
		qu_buf_append_str(&b, " SMTPUTF8");
	if (p->dsn && p->m.env.ret != SMTP_DSN_RET_DEFAULT)
		qu_buf_append_str(&b, p->m.env.ret == SMTP_DSN_RET_FULL ? " RET=FULL" : " RET=HDRS");
	if (p->dsn && p->m.env.envid) {
		qu_buf_append_str(&b, " ENVID=");
		qu_xtext_encode(&b, p->m.env.envid); /* RFC 3461 §4 */
	}
	int r = put_line(smtp_session_conn(s), &b, err);
	qu_buf_clear(&b);
	return r;
}

static int
write_rcpt(struct smtp_session *s, const struct prep *p, size_t i, struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_printf(&b, "RCPT TO:<%s>", p->rcpt[i]);
	unsigned nt = p->m.env.notify;
	if (p->dsn && nt) {
		if (nt & SMTP_DSN_NEVER) {
			qu_buf_append_str(&b, " NOTIFY=NEVER");
		} else {
			const char *sep = " NOTIFY=";
			static const struct {
				unsigned bit;
				const char *name;
			} kw[] = {{SMTP_DSN_SUCCESS, "SUCCESS"}, {SMTP_DSN_FAILURE, "FAILURE"},
				  {SMTP_DSN_DELAY, "DELAY"}};
			for (size_t k = 0; k < QU_ARRAY_LEN(kw); k++)
				if (nt & kw[k].bit) {
					qu_buf_printf(&b, "%s%s", sep, kw[k].name);
					sep = ",";
				}
		}
	}
	/* ORCPT keeps the address the user wrote (RFC 3461 §4.2). */
	if (p->dsn && is_ascii(p->m.env.rcpt[i])) {
		qu_buf_append_str(&b, " ORCPT=rfc822;");
		qu_xtext_encode(&b, p->m.env.rcpt[i]);
	}
	int r = put_line(smtp_session_conn(s), &b, err);
	qu_buf_clear(&b);
	return r;
}

/* The envelope commands of p: [RSET] MAIL RCPT... */
static int
write_envelope(struct smtp_session *s, struct prep *p, struct qu_err *err)
{
	struct net_conn *c = smtp_session_conn(s);
	if (p->rset && net_write(c, "RSET\r\n", 6, err) < 0)
		return -1;
	if (write_mail(s, p, err) < 0)
		return -1;
	for (size_t i = 0; i < p->m.env.n_rcpt; i++)
		if (p->rcpt[i]) {
			if (write_rcpt(s, p, i, err) < 0)
				return -1;
			p->n_sent++;
		}
	return 0;
}

/* RFC 3030 §2: one chunk, the last, of the exact wire size. */
static int
write_bdat(struct smtp_session *s, struct prep *p, struct qu_err *err)
{
	struct net_conn *c = smtp_session_conn(s);
	if (net_printf(c, err, "BDAT %" PRIu64 " LAST\r\n", p->size) < 0 ||
	    write_data(c, p->m.data, p->m.len, false, err) < 0)
		return -1;
	p->data_sent = true;
	return 0;
}

/* ---- replies ------------------------------------------------------- */

static void
decide(struct prep *p, enum smtp_outcome o, const char *stage, const struct smtp_reply *r)
{
	p->res.outcome = o;
	p->res.stage = stage;
	p->res.code = r ? r->code : 0;
	snprintf(p->res.enhanced, sizeof p->res.enhanced, "%s", r ? r->enhanced : "");
	set_text(&p->res.text, r && r->text.data ? r->text.data : "");
}

static enum smtp_outcome
outcome_of(int code)
{
	return code >= 200 && code < 300   ? SMTP_OUTCOME_SENT
	       : code >= 400 && code < 500 ? SMTP_OUTCOME_TEMPFAIL
					   : SMTP_OUTCOME_FAILED;
}

static int
read_mail(struct smtp_session *s, struct prep *p, struct smtp_reply *r, struct qu_err *err)
{
	if (smtp_read_reply(s, r, err) < 0)
		return -1;
	p->mail_ok = r->code >= 200 && r->code < 300;
	if (!p->mail_ok)
		decide(p, outcome_of(r->code) == SMTP_OUTCOME_SENT ? SMTP_OUTCOME_FAILED
								     : outcome_of(r->code),
		       "MAIL", r);
	return 0;
}

static int
read_rcpts(struct smtp_session *s, struct prep *p, struct smtp_reply *r, struct qu_err *err)
{
	const struct smtp_reply *first_refusal = NULL;
	struct smtp_reply keep;
	smtp_reply_init(&keep);
	bool any_perm = false;
	for (size_t i = 0; i < p->m.env.n_rcpt; i++) {
		if (!p->rcpt[i])
			continue;
		if (smtp_read_reply(s, r, err) < 0) {
			smtp_reply_clear(&keep);
			return -1;
		}
		struct smtp_rcpt_result *rr = &p->res.rcpt[i];
		rr->code = r->code;
		snprintf(rr->enhanced, sizeof rr->enhanced, "%s", r->enhanced);
		set_text(&rr->text, r->text.data);
		if (r->code >= 200 && r->code < 300 && p->mail_ok) {
			p->res.n_accepted++;
		} else if (p->mail_ok) {
			any_perm |= r->code >= 500 || r->code < 400;
			if (!first_refusal) {
				keep.code = r->code;
				memcpy(keep.enhanced, r->enhanced, sizeof keep.enhanced);
				qu_buf_append(&keep.text, r->text.data ? r->text.data : "", r->text.len);
				first_refusal = &keep;
			}
		}
	}
	for (size_t i = 0; i < p->m.env.n_rcpt; i++)
		if (!p->rcpt[i])
			any_perm = true;
	if (p->mail_ok && !p->res.n_accepted)
		decide(p, any_perm ? SMTP_OUTCOME_FAILED : SMTP_OUTCOME_TEMPFAIL, "RCPT", first_refusal);
	smtp_reply_clear(&keep);
	return 0;
}

static bool
accepted(const struct prep *p)
{
	return p->mail_ok && p->res.n_accepted > 0;
}

/* The reply to the end of the data (DATA's final reply, or BDAT LAST's). */
static int
read_final(struct smtp_session *s, struct prep *p, const char *stage, struct smtp_reply *r,
	struct qu_err *err)
{
	int rc = smtp_read_reply(s, r, err);
	/* The data phase is over (data_deadline). */
	net_deadline_clear(smtp_session_conn(s));
	if (rc < 0)
		return -1;
	/* Only what the server accepted can be sent; a stray 2xx to a
	 * transaction without recipients sends nothing. */
	if (accepted(p))
		decide(p, outcome_of(r->code), stage, r);
	return 0;
}

/* After DATA: 354 means the data goes. A 354 to a transaction with no
 * recipient is answered with the end mark alone (RFC 2920 §3.1). */
static int
read_data_reply(struct smtp_session *s, struct prep *p, struct smtp_reply *r, bool *send_data,
	struct qu_err *err)
{
	*send_data = false;
	if (smtp_read_reply(s, r, err) < 0)
		return -1;
	if (r->code == 354) {
		*send_data = true;
		return 0;
	}
	if (accepted(p))
		decide(p, outcome_of(r->code) == SMTP_OUTCOME_SENT ? SMTP_OUTCOME_FAILED
								     : outcome_of(r->code),
		       "DATA", r);
	return 0;
}

/* The data phase (the message going out, then the server's final reply)
 * must end within the timeout plus its size at NET_FLOOR_RATE, a quarter
 * more for dot-stuffing and line ends: a server reading a byte a minute
 * cannot hold quail for ever. read_final clears it. */
static void
data_deadline(struct smtp_session *s, uint64_t bytes)
{
	net_deadline_set(smtp_session_conn(s), bytes + bytes / 4 + 512);
}

static int
send_after_354(struct smtp_session *s, struct prep *p, struct qu_err *err)
{
	struct net_conn *c = smtp_session_conn(s);
	data_deadline(s, p->m.len);
	if (accepted(p)) {
		p->data_sent = true;
		return write_data(c, p->m.data, p->m.len, true, err);
	}
	p->data_sent = true;
	return net_write(c, ".\r\n", 3, err);
}

/* ---- the engine ---------------------------------------------------- */

/* Transactions in flight with CHUNKING: every BDAT transaction can be
 * pipelined whole (RFC 3030 §4.2), so the server always has the next
 * message to read and never waits for us; its replies (about 150 bytes a
 * message) stay far below any socket buffer. */
#define WINDOW 32
/* ... and at most this much data in flight (beyond the first message), so
 * that the mapped messages waiting for their replies stay few. */
#define WINDOW_BYTES (8u << 20)

struct engine {
	struct smtp_session *s;
	const struct smtp_batch *b;
	bool chunking, first;
	struct prep slot[WINDOW];
	bool used[WINDOW];
	int head;          /* the oldest transaction in flight */
	struct smtp_reply r;
};

static void
finish(struct engine *e, int k)
{
	e->b->done(e->b->ctx, &e->slot[k].m, &e->slot[k].res);
	prep_free(&e->slot[k]);
	e->used[k] = false;
}

/* The connection is gone: everything given and not done is TEMPFAIL, in
 * the order given. */
static int
lost(struct engine *e, struct qu_err *err)
{
	net_deadline_clear(smtp_session_conn(e->s));
	for (int i = 0; i < WINDOW; i++) {
		int k = (e->head + i) % WINDOW;
		if (!e->used[k])
			continue;
		struct prep *p = &e->slot[k];
		p->res.outcome = SMTP_OUTCOME_TEMPFAIL;
		p->res.stage = "connection";
		p->res.code = 0;
		p->res.enhanced[0] = '\0';
		p->res.n_accepted = 0;
		set_text(&p->res.text, err->msg);
		finish(e, k);
	}
	return -1;
}

/* Takes messages from next() until one is to be sent (those refused here
 * are done at once). Returns 1, 0 (no more) or -1. */
static int
take(struct engine *e, int k, struct qu_err *err)
{
	for (;;) {
		struct smtp_msg m;
		memset(&m, 0, sizeof m);
		int r = e->b->next(e->b->ctx, &m, err);
		if (r <= 0)
			return r;
		prepare(e->s, &m, &e->slot[k]);
		e->used[k] = true;
		if (!e->slot[k].local_fail) {
			e->slot[k].rset = !e->first;
			e->first = false;
			return 1;
		}
		finish(e, k);
	}
}

/* Without PIPELINING: one command, one reply. */
static int
lockstep(struct engine *e, struct qu_err *err)
{
	struct smtp_session *s = e->s;
	struct net_conn *c = smtp_session_conn(s);
	for (;;) {
		int t = take(e, 0, err);
		if (t <= 0)
			return t;
		struct prep *p = &e->slot[0];
		if (p->rset) {
			if (smtp_command(s, err, "RSET") < 0 || smtp_read_reply(s, &e->r, err) < 0)
				return lost(e, err);
			p->rset = false;
		}
		if (write_mail(s, p, err) < 0 || net_flush(c, err) < 0 || read_mail(s, p, &e->r, err) < 0)
			return lost(e, err);
		if (!p->mail_ok) {
			finish(e, 0);
			continue;
		}
		for (size_t i = 0; i < p->m.env.n_rcpt; i++) {
			if (!p->rcpt[i])
				continue;
			if (write_rcpt(s, p, i, err) < 0 || net_flush(c, err) < 0 ||
			    smtp_read_reply(s, &e->r, err) < 0)
				return lost(e, err);
			struct smtp_rcpt_result *rr = &p->res.rcpt[i];
			rr->code = e->r.code;
			snprintf(rr->enhanced, sizeof rr->enhanced, "%s", e->r.enhanced);
			set_text(&rr->text, e->r.text.data);
			if (e->r.code >= 200 && e->r.code < 300)
				p->res.n_accepted++;
		}
		if (!p->res.n_accepted) {
			/* Every recipient refused: that decides (RFC 5321 §3.3). */
			const struct smtp_rcpt_result *first = NULL;
			bool perm = false;
			for (size_t i = 0; i < p->m.env.n_rcpt; i++) {
				const struct smtp_rcpt_result *rr = &p->res.rcpt[i];
				perm |= rr->code >= 500 || rr->code < 400;
				if (!first && p->rcpt[i])
					first = rr;
			}
			p->res.outcome = perm ? SMTP_OUTCOME_FAILED : SMTP_OUTCOME_TEMPFAIL;
			p->res.stage = "RCPT";
			p->res.code = first ? first->code : 0;
			snprintf(p->res.enhanced, sizeof p->res.enhanced, "%s", first ? first->enhanced : "");
			set_text(&p->res.text, first ? first->text : "");
			/* The transaction stays open: RSET closes it. */
			finish(e, 0);
			continue;
		}
		if (e->chunking) {
			data_deadline(s, p->m.len);
			if (write_bdat(s, p, err) < 0 || net_flush(c, err) < 0 ||
			    read_final(s, p, "BDAT", &e->r, err) < 0)
				return lost(e, err);
		} else {
			bool go;
			if (smtp_command(s, err, "DATA") < 0 || read_data_reply(s, p, &e->r, &go, err) < 0)
				return lost(e, err);
			if (go && (send_after_354(s, p, err) < 0 || net_flush(c, err) < 0 ||
				   read_final(s, p, "message", &e->r, err) < 0))
				return lost(e, err);
		}
		finish(e, 0);
	}
}

/* Writes a transaction's group: the envelope, then DATA, or BDAT with the
 * data. */
static int
write_group(struct engine *e, struct prep *p, struct qu_err *err)
{
	if (write_envelope(e->s, p, err) < 0)
		return -1;
	if (e->chunking)
		return write_bdat(e->s, p, err);
	return net_write(smtp_session_conn(e->s), "DATA\r\n", 6, err);
}

/* The replies to a group's envelope: RSET, MAIL, each RCPT. */
static int
read_envelope(struct engine *e, struct prep *p, struct qu_err *err)
{
	if (p->rset && smtp_read_reply(e->s, &e->r, err) < 0)
		return -1;
	if (read_mail(e->s, p, &e->r, err) < 0)
		return -1;
	return read_rcpts(e->s, p, &e->r, err);
}

/* With PIPELINING and CHUNKING: up to WINDOW whole transactions ahead of
 * the replies. */
static int
windowed(struct engine *e, struct qu_err *err)
{
	struct net_conn *c = smtp_session_conn(e->s);
	int count = 0, more = 1;
	uint64_t bytes = 0;
	struct qu_err nerr;
	qu_err_clear(&nerr);
	for (;;) {
		while (more > 0 && count < WINDOW && (!count || bytes < WINDOW_BYTES)) {
			int k = (e->head + count) % WINDOW;
			more = take(e, k, &nerr);
			if (more > 0) {
				if (write_group(e, &e->slot[k], err) < 0)
					return lost(e, err);
				bytes += e->slot[k].size;
				count++;
			}
		}
		/* What is in flight must go out and be answered in time. */
		if (count)
			data_deadline(e->s, bytes);
		if (net_flush(c, err) < 0)
			return lost(e, err);
		if (!count)
			break;
		struct prep *p = &e->slot[e->head];
		if (read_envelope(e, p, err) < 0 || read_final(e->s, p, "BDAT", &e->r, err) < 0)
			return lost(e, err);
		bytes -= p->size;
		finish(e, e->head);
		e->head = (e->head + 1) % WINDOW;
		count--;
	}
	if (more < 0) {
		*err = nerr;
		return -1;
	}
	return 0;
}

/* With PIPELINING and DATA (RFC 2920): the data waits for 354, so one
 * transaction at a time, the next one's commands going out with the data. */
static int
pipelined(struct engine *e, struct qu_err *err)
{
	struct net_conn *c = smtp_session_conn(e->s);
	int cur = e->head;
	int t = take(e, cur, err);
	if (t <= 0)
		return t;
	if (write_group(e, &e->slot[cur], err) < 0 || net_flush(c, err) < 0)
		return lost(e, err);
	for (;;) {
		struct prep *p = &e->slot[cur];
		int nx = (cur + 1) % WINDOW;
		if (read_envelope(e, p, err) < 0)
			return lost(e, err);
		bool go = false;
		if (read_data_reply(e->s, p, &e->r, &go, err) < 0)
			return lost(e, err);
		if (go && send_after_354(e->s, p, err) < 0)
			return lost(e, err);
		struct qu_err nerr;
		qu_err_clear(&nerr);
		int more = take(e, nx, &nerr);
		if (more > 0 && write_group(e, &e->slot[nx], err) < 0)
			return lost(e, err);
		if (net_flush(c, err) < 0)
			return lost(e, err);
		if (go && read_final(e->s, p, "message", &e->r, err) < 0)
			return lost(e, err);
		finish(e, cur);
		e->head = nx;
		if (more < 0) {
			*err = nerr;
			return -1;
		}
		if (more == 0)
			return 0;
		cur = nx;
	}
}

int
smtp_send_batch(struct smtp_session *s, const struct smtp_batch *b, struct qu_err *err)
{
	struct engine e = {.s = s, .b = b, .first = true};
	e.chunking = smtp_session_has_ext(s, "CHUNKING", NULL);
	smtp_reply_init(&e.r);
	int rc;
	if (!smtp_session_has_ext(s, "PIPELINING", NULL))
		rc = lockstep(&e, err);
	else if (e.chunking)
		rc = windowed(&e, err);
	else
		rc = pipelined(&e, err);
	smtp_reply_clear(&e.r);
	return rc;
}

/* smtp_send: a batch of one. */
struct one {
	const struct smtp_msg *m;
	struct smtp_result *r;
	bool given;
};

static int
one_next(void *ctx, struct smtp_msg *m, struct qu_err *err)
{
	(void)err;
	struct one *o = ctx;
	if (o->given)
		return 0;
	o->given = true;
	*m = *o->m;
	return 1;
}

static void
one_done(void *ctx, const struct smtp_msg *m, const struct smtp_result *r)
{
	(void)m;
	struct one *o = ctx;
	struct smtp_result *d = o->r;
	*d = *r;
	d->rcpt = xcalloc(r->n_rcpt + 1, sizeof *d->rcpt);
	for (size_t i = 0; i < r->n_rcpt; i++) {
		d->rcpt[i] = r->rcpt[i];
		d->rcpt[i].text = xstrdup(r->rcpt[i].text);
	}
	d->text = xstrdup(r->text);
}

int
smtp_send(struct smtp_session *s, const struct smtp_msg *m, struct smtp_result *r,
	struct qu_err *err)
{
	struct one o = {.m = m, .r = r};
	memset(r, 0, sizeof *r);
	struct smtp_batch b = {.next = one_next, .done = one_done, .ctx = &o};
	return smtp_send_batch(s, &b, err);
}

int
smtp_verify(struct smtp_session *s, const char *addr, struct smtp_reply *r, struct qu_err *err)
{
	if (has_control(addr))
		return qu_err_set(err, QU_E_USAGE, "VRFY: the address holds a control character");
	if (smtp_command(s, err, "VRFY %s", addr) < 0)
		return -1;
	return smtp_read_reply(s, r, err);
}
