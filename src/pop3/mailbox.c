/*
 * The TRANSACTION state of RFC 1939 §5: STAT, LIST, UIDL, RETR, TOP, DELE,
 * RSET, NOOP, and the way out, QUIT or a dropped connection.
 *
 * Multi-line responses (RFC 1939 §3) are read line by line through net's
 * buffered reader and handed to a sink as they come, so a message is never
 * held whole in memory. With PIPELINING (RFC 2449 §6.6) RETR and DELE go
 * out in windows of commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "pop3/private.h"

/* Commands in flight at once when pipelining. Each is ~12 bytes, so the
 * whole window fits in any socket buffer: the client never blocks writing
 * while the server blocks writing replies the client is not reading. */
#define PIPELINE_WINDOW 64
/* RFC 1939 §7 allows 70 characters; real servers go beyond it. */
#define UID_MAX 512
/* Most messages a LIST may name: a server cannot make quail allocate
 * without bound (24 bytes an entry; UIDL entries must match LIST's). */
#define LIST_MAX 1000000

/* Marks the session out of step with the server and returns -1. */
static int
broken(struct pop3_session *s)
{
	s->broken = true;
	return -1;
}

static int
check_transaction(struct pop3_session *s, struct qu_err *err)
{
	if (s->state != POP3_STATE_TRANSACTION || !s->conn)
		return qu_err_set(err, QU_E_SOFTWARE, "POP3 session is in state %s, not TRANSACTION",
				  pop3_state_name(s->state));
	if (s->broken)
		return qu_err_set(err, QU_E_SOFTWARE, "POP3 session is out of step after an error");
	return 0;
}

/* Reads the status line of a command already sent. On -ERR sets err by
 * its response code (final: UNAVAILABLE) and returns 1; a lost connection
 * or a malformed line is -1 and breaks the session. */
static int
status(struct pop3_session *s, const char *what, struct qu_err *err)
{
	bool ok, cont;
	const char *t;
	size_t tl;
	if (pop3_read_status(s, &ok, &cont, &t, &tl, err) < 0)
		return broken(s);
	if (cont) {
		broken(s);
		return qu_err_set(err, QU_E_TEMPFAIL, "%s: unexpected continuation", what);
	}
	if (!ok) {
		pop3_err_from(t, tl, QU_E_UNAVAILABLE, err);
		qu_err_prefix(err, "%s", what);
		return 1;
	}
	return 0;
}

/* Sends a one-line command and reads its status: 0 (+OK), 1 (-ERR, err
 * set) or -1. */
static int
simple(struct pop3_session *s, const char *cmd, struct qu_err *err)
{
	if (pop3_command(s, cmd, err) < 0)
		return broken(s);
	return status(s, cmd, err);
}

/* The first max_line bytes of an overlong line, for read_multiline. */
struct piece {
	pop3_sink_fn sink;
	void *ctx;
	bool skip_dot; /* the piece starts a line: a leading '.' is stuffing */
	uint64_t n;
};

static int
long_piece(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct piece *pc = ctx;
	if (pc->skip_dot && n && p[0] == '.') {
		p++;
		n--;
	}
	pc->skip_dot = false;
	pc->n += n;
	return n ? pc->sink(pc->ctx, p, n, err) : 0;
}

/* The body of a multi-line response, up to and without the ".CRLF" that
 * ends it, dot-unstuffed, to sink. A terminating "." followed by a bare LF
 * is accepted too (servers on LF-only systems). A line longer than the
 * connection's cap is taken in pieces: net_read_line refuses it (DATA)
 * without consuming anything, and net_read_stream then hands over the
 * first max_line bytes, which are already buffered; the rest of the line
 * follows as the next "line". */
static int
read_multiline(struct pop3_session *s, pop3_sink_fn sink, void *ctx, uint64_t *octets,
	       struct qu_err *err)
{
	bool bol = true; /* at the beginning of a line */
	uint64_t total = 0;
	for (;;) {
		const char *line;
		size_t len;
		if (net_read_line(s->conn, &line, &len, err) < 0) {
			if (err->cls != QU_E_DATA)
				return broken(s);
			/* A long line: the first piece may carry a stuffed dot;
			 * it cannot be the terminator, which is short. */
			struct piece pc = {sink, ctx, bol, 0};
			if (net_read_stream(s->conn, s->max_line, long_piece, &pc, err) < 0)
				return broken(s);
			total += pc.n;
			bol = false;
			continue;
		}
		if (bol && len && line[0] == '.') {
			if ((len == 3 && line[1] == '\r' && line[2] == '\n') ||
			    (len == 2 && line[1] == '\n'))
				break;
			line++; /* RFC 1939 §3: byte-stuffed */
			len--;
		}
		if (len && sink(ctx, line, len, err) < 0)
			return broken(s);
		total += len;
		bol = true; /* net_read_line returns whole lines only */
	}
	if (octets)
		*octets = total;
	return 0;
}

/* One line of a multi-line listing (LIST, UIDL) without its line end:
 * returns 0 for a line, 1 at the terminating ".", -1 on error. */
static int
list_line(struct pop3_session *s, const char **p, size_t *n, struct qu_err *err)
{
	const char *line;
	size_t len;
	if (net_read_line(s->conn, &line, &len, err) < 0)
		return broken(s);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 1 && line[0] == '.')
		return 1;
	if (len && line[0] == '.') {
		line++;
		len--;
	}
	*p = line;
	*n = len;
	return 0;
}

/* Splits "num rest": the message-number and the word after it (RFC 1939
 * §5: further words may follow and are ignored). */
static int
split_num_word(const char *p, size_t n, uint32_t *num, const char **w, size_t *wn)
{
	size_t a = 0;
	while (a < n && p[a] != ' ')
		a++;
	uint64_t v;
	if (qu_parse_u64(p, a, UINT32_MAX, &v) < 0 || v == 0)
		return -1;
	*num = (uint32_t)v;
	while (a < n && p[a] == ' ')
		a++;
	size_t b = a;
	while (b < n && p[b] != ' ')
		b++;
	if (b == a)
		return -1;
	*w = p + a;
	*wn = b - a;
	return 0;
}

int
pop3_session_stat(struct pop3_session *s, uint32_t *count, uint64_t *octets, struct qu_err *err)
{
	bool ok, cont;
	const char *t;
	size_t tl;
	if (check_transaction(s, err) < 0)
		return -1;
	if (pop3_command(s, "STAT", err) < 0 || pop3_read_status(s, &ok, &cont, &t, &tl, err) < 0)
		return broken(s);
	if (!ok || cont) {
		pop3_err_from(t, tl, QU_E_UNAVAILABLE, err);
		return qu_err_prefix(err, "STAT");
	}
	/* RFC 1939 §5: "+OK nn mm" */
	uint64_t c, o;
	size_t k = 0;
	while (k < tl && t[k] != ' ')
		k++;
	size_t m = k < tl ? k + 1 : tl, e = m;
	while (e < tl && t[e] != ' ')
		e++;
	if (qu_parse_u64(t, k, UINT32_MAX, &c) < 0 || qu_parse_u64(t + m, e - m, UINT64_MAX, &o) < 0)
		return qu_err_set(err, QU_E_TEMPFAIL, "STAT: malformed answer");
	*count = (uint32_t)c;
	*octets = o;
	return 0;
}

static int
cmp_msg_num(const void *a, const void *b)
{
	const struct pop3_msg *x = a, *y = b;
	return x->num < y->num ? -1 : x->num > y->num;
}

static int
cmp_uid_ptr(const void *a, const void *b)
{
	const struct pop3_msg *const *x = a, *const *y = b;
	return strcmp((*x)->uid, (*y)->uid);
}

/* The LIST body into out. */
static int
read_list(struct pop3_session *s, struct pop3_listing *out, struct qu_err *err)
{
	size_t cap = 0;
	bool sorted = true;
	for (;;) {
		const char *p, *w;
		size_t n, wn;
		int r = list_line(s, &p, &n, err);
		if (r < 0)
			return -1;
		if (r > 0)
			break;
		uint32_t num;
		uint64_t size;
		if (split_num_word(p, n, &num, &w, &wn) < 0 ||
		    qu_parse_u64(w, wn, UINT64_MAX, &size) < 0) {
			broken(s);
			return qu_err_set(err, QU_E_TEMPFAIL, "LIST: malformed line");
		}
		if (out->n >= LIST_MAX) {
			broken(s);
			return qu_err_set(err, QU_E_UNAVAILABLE,
					  "LIST: more than %u messages; quail reads at most that many",
					  (unsigned)LIST_MAX);
		}
		out->msgs = xgrow(out->msgs, &cap, out->n + 1, sizeof *out->msgs);
		if (out->n && out->msgs[out->n - 1].num >= num)
			sorted = false;
		out->msgs[out->n++] = (struct pop3_msg){.num = num, .size = size};
	}
	if (!sorted)
		qsort(out->msgs, out->n, sizeof *out->msgs, cmp_msg_num);
	return 0;
}

static bool
uid_valid(const char *p, size_t n)
{
	if (n == 0 || n > UID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x21 || c == 0x7f)
			return false;
	}
	return true;
}

static void
no_uids(struct pop3_listing *out, const char *why)
{
	for (size_t i = 0; i < out->n; i++) {
		free(out->msgs[i].uid);
		out->msgs[i].uid = NULL;
	}
	out->has_uid = false;
	snprintf(out->no_uid_why, sizeof out->no_uid_why, "%s", why);
}

/* The UIDL body into out; unusable ids clear has_uid but the body is read
 * to its end all the same. */
static int
read_uidl(struct pop3_session *s, struct pop3_listing *out, struct qu_err *err)
{
	const char *bad = NULL;
	for (;;) {
		const char *p, *w;
		size_t n, wn;
		uint32_t num;
		int r = list_line(s, &p, &n, err);
		if (r < 0)
			return -1;
		if (r > 0)
			break;
		if (bad)
			continue;
		if (split_num_word(p, n, &num, &w, &wn) < 0 || !uid_valid(w, wn)) {
			bad = "the server sent a malformed UIDL line";
			continue;
		}
		struct pop3_msg key = {.num = num};
		/* An empty LIST leaves msgs NULL, which bsearch may not get even
		 * for n 0; a message that arrived between LIST and UIDL does
		 * that. */
		struct pop3_msg *m =
			out->n ? bsearch(&key, out->msgs, out->n, sizeof key, cmp_msg_num) : NULL;
		if (!m || m->uid) {
			bad = "UIDL does not match LIST";
			continue;
		}
		m->uid = xstrndup(w, wn);
	}
	for (size_t i = 0; !bad && i < out->n; i++)
		if (!out->msgs[i].uid)
			bad = "UIDL left out some messages";
	if (!bad && out->n > 1) {
		struct pop3_msg **v = xmalloc(out->n * sizeof *v);
		for (size_t i = 0; i < out->n; i++)
			v[i] = &out->msgs[i];
		qsort(v, out->n, sizeof *v, cmp_uid_ptr);
		for (size_t i = 1; !bad && i < out->n; i++)
			if (strcmp(v[i - 1]->uid, v[i]->uid) == 0)
				bad = "the server gave two messages the same unique-id";
		free(v);
	}
	if (bad)
		no_uids(out, bad);
	return 0;
}

int
pop3_session_listing(struct pop3_session *s, struct pop3_listing *out, struct qu_err *err)
{
	struct qu_err local;
	if (!err)
		err = &local;
	memset(out, 0, sizeof *out);
	if (check_transaction(s, err) < 0)
		return -1;
	if (net_write(s->conn, "LIST\r\n", 6, err) < 0 ||
	    (s->pipelining && net_write(s->conn, "UIDL\r\n", 6, err) < 0) ||
	    net_flush(s->conn, err) < 0)
		return broken(s);
	int r = status(s, "LIST", err);
	if (r < 0)
		return -1;
	if (r > 0) {
		/* Still read the pipelined UIDL's answer, to stay in step. */
		struct qu_err e2;
		if (s->pipelining && status(s, "UIDL", &e2) == 0) {
			struct pop3_listing scratch = {0};
			if (read_uidl(s, &scratch, &e2) < 0)
				return -1;
			pop3_listing_clear(&scratch);
		}
		return -1;
	}
	if (read_list(s, out, err) < 0)
		goto fail;
	if (!s->pipelining && pop3_command(s, "UIDL", err) < 0) {
		broken(s);
		goto fail;
	}
	out->has_uid = true;
	r = status(s, "UIDL", err);
	if (r < 0)
		goto fail;
	if (r > 0) {
		/* RFC 1939 §7: UIDL is optional. */
		char why[128];
		snprintf(why, sizeof why, "the server does not support UIDL (%.80s)", err->msg);
		no_uids(out, why);
		qu_err_clear(err);
		return 0;
	}
	if (read_uidl(s, out, err) < 0)
		goto fail;
	return 0;
fail:
	pop3_listing_clear(out);
	return -1;
}

void
pop3_listing_clear(struct pop3_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->msgs[i].uid);
	free(l->msgs);
	memset(l, 0, sizeof *l);
}

/* Sends cmd and streams its multi-line answer. */
static int
fetch_one(struct pop3_session *s, const char *cmd, pop3_sink_fn sink, void *ctx, uint64_t *octets,
	  struct qu_err *err)
{
	struct qu_err local;
	if (!err)
		err = &local;
	if (check_transaction(s, err) < 0)
		return -1;
	int r = simple(s, cmd, err);
	if (r != 0)
		return -1;
	return read_multiline(s, sink, ctx, octets, err);
}

int
pop3_session_retr(struct pop3_session *s, uint32_t num, pop3_sink_fn sink, void *ctx,
		  uint64_t *octets, struct qu_err *err)
{
	char cmd[32];
	snprintf(cmd, sizeof cmd, "RETR %lu", (unsigned long)num);
	return fetch_one(s, cmd, sink, ctx, octets, err);
}

int
pop3_session_top(struct pop3_session *s, uint32_t num, uint32_t lines, pop3_sink_fn sink,
		 void *ctx, struct qu_err *err)
{
	char cmd[48];
	snprintf(cmd, sizeof cmd, "TOP %lu %lu", (unsigned long)num, (unsigned long)lines);
	return fetch_one(s, cmd, sink, ctx, NULL, err);
}

/* Queues "VERB num" commands for nums[*sent..] until `window` are in
 * flight past index i, then flushes. */
static int
refill(struct pop3_session *s, const char *verb, const uint32_t *nums, size_t n, size_t i,
       size_t *sent, struct qu_err *err)
{
	size_t window = s->pipelining ? PIPELINE_WINDOW : 1;
	if (*sent > i && *sent - i > window / 2)
		return 0;
	if (*sent >= n)
		return 0;
	while (*sent < n && *sent - i < window) {
		char cmd[32];
		int k = snprintf(cmd, sizeof cmd, "%s %lu\r\n", verb, (unsigned long)nums[*sent]);
		if (net_write(s->conn, cmd, (size_t)k, err) < 0)
			return broken(s);
		(*sent)++;
	}
	if (net_flush(s->conn, err) < 0)
		return broken(s);
	return 0;
}

/* Stopping with answers still on their way leaves the session out of step. */
static int
stop(struct pop3_session *s, size_t i, size_t sent)
{
	if (sent > i + 1)
		s->broken = true;
	return -1;
}

int
pop3_session_retr_many(struct pop3_session *s, const uint32_t *nums, size_t n,
		       const struct pop3_retr_handler *h, void *ctx, struct qu_err *err)
{
	struct qu_err local;
	if (!err)
		err = &local;
	if (check_transaction(s, err) < 0)
		return -1;
	size_t sent = 0;
	for (size_t i = 0; i < n; i++) {
		if (refill(s, "RETR", nums, n, i, &sent, err) < 0)
			return -1;
		char what[32];
		snprintf(what, sizeof what, "RETR %lu", (unsigned long)nums[i]);
		int r = status(s, what, err);
		if (r < 0)
			return -1;
		if (r > 0) {
			struct qu_err why = *err;
			if (!h->refused || h->refused(ctx, i, &why, err) < 0)
				return stop(s, i, sent);
			continue;
		}
		uint64_t octets;
		if (h->begin(ctx, i, err) < 0)
			return broken(s);
		/* Dot-stuffing and line ends may add to LIST's size: room for a
		 * quarter more, and for the final line. */
		if (h->sizes)
			net_deadline_set(s->conn, h->sizes[i] + h->sizes[i] / 4 + 512);
		int rr = read_multiline(s, h->data, ctx, &octets, err);
		net_deadline_clear(s->conn);
		if (rr < 0)
			return -1;
		if (h->end(ctx, i, octets, err) < 0)
			return stop(s, i, sent);
	}
	return 0;
}

int
pop3_session_dele(struct pop3_session *s, uint32_t num, struct qu_err *err)
{
	return pop3_session_dele_many(s, &num, 1, err);
}

int
pop3_session_dele_many(struct pop3_session *s, const uint32_t *nums, size_t n, struct qu_err *err)
{
	if (check_transaction(s, err) < 0)
		return -1;
	size_t sent = 0;
	for (size_t i = 0; i < n; i++) {
		if (refill(s, "DELE", nums, n, i, &sent, err) < 0)
			return -1;
		char what[32];
		snprintf(what, sizeof what, "DELE %lu", (unsigned long)nums[i]);
		int r = status(s, what, err);
		if (r < 0)
			return -1;
		if (r > 0)
			return stop(s, i, sent);
		s->marked++;
	}
	return 0;
}

int
pop3_session_rset(struct pop3_session *s, struct qu_err *err)
{
	if (check_transaction(s, err) < 0)
		return -1;
	int r = simple(s, "RSET", err);
	if (r == 0)
		s->marked = 0;
	return r == 0 ? 0 : -1;
}

int
pop3_session_noop(struct pop3_session *s, struct qu_err *err)
{
	if (check_transaction(s, err) < 0)
		return -1;
	return simple(s, "NOOP", err) == 0 ? 0 : -1;
}

int
pop3_session_quit(struct pop3_session *s, struct qu_err *err)
{
	if (!s->conn || s->broken)
		return qu_err_set(err, QU_E_SOFTWARE, "POP3 session cannot QUIT: %s",
				  s->conn ? "it is out of step after an error" : "it is closed");
	struct qu_err local;
	if (!err)
		err = &local;
	int r = simple(s, "QUIT", err);
	net_conn_free(s->conn);
	s->conn = NULL;
	s->state = POP3_STATE_CLOSED;
	s->marked = 0;
	s->broken = false;
	if (r > 0)
		/* RFC 1939 §6: -ERR in the UPDATE state: not every message
		 * marked was removed. */
		err->cls = QU_E_UNAVAILABLE;
	return r == 0 ? 0 : -1;
}

void
pop3_session_drop(struct pop3_session *s)
{
	net_conn_free(s->conn);
	s->conn = NULL;
	s->state = POP3_STATE_CLOSED;
	s->marked = 0;
	s->broken = false;
}
