/*
 * The SMTP client reading a server (src/smtp): the input is all the server
 * says, then the connection ends. A session is opened over it (greeting,
 * EHLO or HELO) and driven as quail send drives one: AUTH when offered,
 * one message to three recipients with DSN parameters, then a batch of two
 * (8-bit data, an SMTPUTF8 and an IDN recipient, one recipient refused
 * here), so that the fuzzed EHLO picks lock step, PIPELINING with DATA or
 * PIPELINING with BDAT; then VRFY and QUIT. Any step may fail. Checked:
 * every message given gets exactly one outcome, in order, with one result
 * per recipient; a message is reported sent only after a 2xx for it and
 * for at least one recipient; a lost connection is never reported as
 * sent; all server text handed out is valid UTF-8.
 */
#define _GNU_SOURCE
#include "fuzz_conn.h"

#include "smtp/smtp.h"

/* RFC 5321 §4.5.3.1.5 allows reply lines of 512 octets; a lower cap than
 * net's default lets short inputs pass it. */
#define MAX_LINE 1000

static void
check_text(const char *t)
{
	if (!t || !qu_utf8_valid(t, strlen(t)))
		abort();
}

static void
check_enhanced(const char *e)
{
	if (!memchr(e, '\0', 16))
		abort();
}

static void
check_result(const struct smtp_msg *m, const struct smtp_result *r)
{
	if (r->n_rcpt != m->env.n_rcpt || !r->rcpt || !r->stage)
		abort();
	if (r->outcome != SMTP_OUTCOME_SENT && r->outcome != SMTP_OUTCOME_TEMPFAIL &&
	    r->outcome != SMTP_OUTCOME_FAILED)
		abort();
	size_t ok = 0;
	for (size_t i = 0; i < r->n_rcpt; i++) {
		const struct smtp_rcpt_result *rr = &r->rcpt[i];
		if (rr->address != m->env.rcpt[i])
			abort();
		check_text(rr->text);
		check_enhanced(rr->enhanced);
		if (rr->code != 0 && (rr->code < 200 || rr->code > 599))
			abort();
		ok += rr->code >= 200 && rr->code < 300;
	}
	if (r->n_accepted > ok)
		abort();
	if (r->outcome == SMTP_OUTCOME_SENT &&
	    (r->n_accepted == 0 || r->code < 200 || r->code >= 300))
		abort();
	if (strcmp(r->stage, "connection") == 0 && r->outcome != SMTP_OUTCOME_TEMPFAIL)
		abort();
	check_text(r->text);
	check_enhanced(r->enhanced);
}

/* The batch: the messages handed out and the outcomes seen, in order. */
struct batch {
	const struct smtp_msg *msgs;
	size_t n, given, done;
};

static int
batch_next(void *ctx, struct smtp_msg *m, struct qu_err *err)
{
	struct batch *b = ctx;
	(void)err;
	if (b->given == b->n)
		return 0;
	*m = b->msgs[b->given++];
	return 1;
}

static void
batch_done(void *ctx, const struct smtp_msg *m, const struct smtp_result *r)
{
	struct batch *b = ctx;
	if (b->done >= b->given || m->data != b->msgs[b->done].data)
		abort();
	b->done++;
	check_result(m, r);
}

static const char *const rcpt1[] = {"bob@example.net", "carol@example.com", "dave@example.com"};
static const char *const rcpt2[] = {"\xce\xb4\xce\xbf\xce\xba\xce\xb9\xce\xbc\xce\xae@example.gr",
				    "user@b\xc3\xbc" "cher.example"};
static const char *const rcpt3[] = {"bob@example.net", "bad\x01@example.net"};

/* Dot-stuffing, a lone LF, a lone CR, a last line without its end. */
static const char data1[] = "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: test\r\n"
			    "\r\n.leading dot\nlone LF\rlone CR\r\n.\r\nno line end";
static const char data2[] = "Subject: caf\xc3\xa9\r\n\r\nk\xc3\xa9\r\n";
static const char data3[] = "Subject: x\r\n\r\nshort\r\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int server;
	struct net_conn *c = fuzz_conn(data, size, "smtp.example.org", MAX_LINE, &server);
	if (!c)
		return 0;
	struct qu_err err;
	struct smtp_session *s = smtp_session_open_conn(c, NET_TLS_NONE, "client.example", &err);
	if (!s) {
		close(server);
		return 0;
	}
	check_text(smtp_session_greeting(s));
	check_text(smtp_session_extensions(s));

	if (smtp_session_has_ext(s, "AUTH", NULL)) {
		static const struct net_sasl_creds creds = {
			.user = "alice", .secret = "secret", .host = "smtp.example.org", .port = 587};
		smtp_session_auth(s, &creds, true, NULL, &err);
	}

	const struct smtp_msg m1 = {
		.env = {.from = "alice@example.org", .rcpt = rcpt1, .n_rcpt = QU_ARRAY_LEN(rcpt1),
			.notify = SMTP_DSN_FAILURE | SMTP_DSN_DELAY, .ret = SMTP_DSN_RET_HDRS,
			.envid = "quail+1=x"},
		.data = data1, .len = sizeof data1 - 1};
	struct smtp_result r;
	int rc = smtp_send(s, &m1, &r, &err);
	check_result(&m1, &r);
	if (rc < 0 && (r.outcome != SMTP_OUTCOME_TEMPFAIL || strcmp(r.stage, "connection") != 0))
		abort();
	smtp_result_clear(&r);

	const struct smtp_msg more[] = {
		{.env = {.from = "alice@example.org", .rcpt = rcpt2, .n_rcpt = QU_ARRAY_LEN(rcpt2)},
		 .data = data2, .len = sizeof data2 - 1},
		{.env = {.from = "", .rcpt = rcpt3, .n_rcpt = QU_ARRAY_LEN(rcpt3),
			 .notify = SMTP_DSN_NEVER},
		 .data = data3, .len = sizeof data3 - 1},
	};
	struct batch b = {.msgs = more, .n = QU_ARRAY_LEN(more)};
	const struct smtp_batch sb = {.next = batch_next, .done = batch_done, .ctx = &b};
	smtp_send_batch(s, &sb, &err);
	if (b.done != b.given)
		abort();

	struct smtp_reply v;
	smtp_reply_init(&v);
	if (smtp_verify(s, "bob", &v, &err) == 0) {
		if (v.code < 200 || v.code > 599)
			abort();
		check_enhanced(v.enhanced);
		if (v.text.len && !qu_utf8_valid(v.text.data, v.text.len))
			abort();
	}
	smtp_reply_clear(&v);
	smtp_session_close(s);
	close(server);
	return 0;
}
