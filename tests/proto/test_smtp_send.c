/* The SMTP mail transaction against scripted peers: PIPELINING order,
 * partial RCPT failure, 4xx against 5xx, SIZE, BDAT, DSN, 8BITMIME,
 * SMTPUTF8, RSET between messages, a connection lost during DATA, VRFY,
 * GBK replies, and the exact bytes on the wire (smuggling). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"
#include "smtp/smtp.h"
#include "peer.h"

static struct smtp_session *
open_peer(const struct peer *p, struct qu_err *err)
{
	struct smtp_opts o = {.host = "127.0.0.1", .port = p->port, .tls = NET_TLS_NONE,
			      .helo_name = "client.test", .net = {.timeout_ms = 5000}};
	return smtp_session_open(&o, err);
}

static const char *const rcpt2[] = {"bob@example.com", "carol@example.com"};
static const char *const rcpt1[] = {"bob@example.com"};
#define MSG "Subject: hi\r\n\r\nhello\r\n"

static struct smtp_msg
msg(const char *const *rcpt, size_t n, const char *data)
{
	struct smtp_msg m = {.env = {.from = "alice@example.com", .rcpt = rcpt, .n_rcpt = n},
			     .data = data, .len = strlen(data)};
	return m;
}

/* Sends m over the scripted peer; returns smtp_send's result code. */
static int
send_one(const char *const *script, const struct smtp_msg *m, struct smtp_result *r,
	 struct qu_err *err)
{
	struct peer p;
	peer_start(&p, script);
	struct smtp_session *s = open_peer(&p, err);
	ck_assert_msg(s != NULL, "%s", err->msg);
	int rc = smtp_send(s, m, r, err);
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	return rc;
}

#define EHLO_PIPE "S:220 mx", "C:EHLO client.test", "S:250-mx", "S:250-PIPELINING"

START_TEST(test_pipelining_order)
{
	/* The peer reads MAIL, both RCPTs and DATA before it answers any: a
	 * client that waited for a reply in between would stall here. */
	static const char *const script[] = {
		EHLO_PIPE, "S:250-SIZE 1000000", "S:250 8BITMIME",
		"C:MAIL FROM:<alice@example.com> SIZE=22", "C:RCPT TO:<bob@example.com>",
		"C:RCPT TO:<carol@example.com>", "C:DATA", "S:250 2.1.0 ok", "S:250 2.1.5 ok",
		"S:250 2.1.5 ok", "S:354 go ahead", "C:Subject: hi", "C:", "C:hello", "C:.",
		"S:250 2.0.0 queued as 1234", "C:QUIT", "S:221 bye", NULL,
	};
	struct smtp_msg m = msg(rcpt2, 2, MSG);
	struct smtp_result r;
	struct qu_err err;
	ck_assert_int_eq(send_one(script, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	ck_assert_uint_eq(r.n_accepted, 2);
	ck_assert_int_eq(r.code, 250);
	ck_assert_str_eq(r.enhanced, "2.0.0");
	ck_assert_str_eq(r.text, "queued as 1234");
	smtp_result_clear(&r);
}
END_TEST

START_TEST(test_partial_rcpt)
{
	static const char *const script[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:RCPT TO:<carol@example.com>", "C:DATA",
		"S:250 ok", "S:250 ok", "S:550 5.1.1 <carol@example.com>: no such user",
		"S:354 go", "C*", "C*", "C*", "C:.", "S:250 2.0.0 queued", "C:QUIT", "S:221 bye",
		NULL,
	};
	struct smtp_msg m = msg(rcpt2, 2, MSG);
	struct smtp_result r;
	struct qu_err err;
	ck_assert_int_eq(send_one(script, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	ck_assert_uint_eq(r.n_accepted, 1);
	ck_assert_uint_eq(r.n_rcpt, 2);
	ck_assert_int_eq(r.rcpt[0].code, 250);
	ck_assert_int_eq(r.rcpt[1].code, 550);
	ck_assert_str_eq(r.rcpt[1].enhanced, "5.1.1");
	ck_assert_str_eq(r.rcpt[1].address, "carol@example.com");
	ck_assert_str_eq(r.rcpt[1].text, "<carol@example.com>: no such user");
	smtp_result_clear(&r);
}
END_TEST

START_TEST(test_all_rcpt_refused)
{
	/* Temporary refusals only: TEMPFAIL. DATA is refused by the server and
	 * no data goes; the next transaction would need RSET. */
	static const char *const temp[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:RCPT TO:<carol@example.com>", "C:DATA",
		"S:250 ok", "S:450 4.2.0 mailbox busy", "S:451 4.3.0 try later",
		"S:554 5.5.1 no valid recipients", "C:QUIT", "S:221 bye", NULL,
	};
	/* A 5xx among them: FAILED. */
	static const char *const perm[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:RCPT TO:<carol@example.com>", "C:DATA",
		"S:250 ok", "S:450 4.2.0 mailbox busy", "S:550 5.1.1 unknown",
		"S:554 5.5.1 no valid recipients", "C:QUIT", "S:221 bye", NULL,
	};
	struct smtp_msg m = msg(rcpt2, 2, MSG);
	struct smtp_result r;
	struct qu_err err;
	ck_assert_int_eq(send_one(temp, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_TEMPFAIL);
	ck_assert_str_eq(r.stage, "RCPT");
	ck_assert_int_eq(r.code, 450);
	ck_assert_uint_eq(r.n_accepted, 0);
	smtp_result_clear(&r);
	ck_assert_int_eq(send_one(perm, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_FAILED);
	ck_assert_str_eq(r.stage, "RCPT");
	smtp_result_clear(&r);
}
END_TEST

START_TEST(test_mail_and_data_codes)
{
	static const char *const mail5[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:DATA",
		"S:501 5.1.0 mail from address must be same as authorization user",
		"S:503 5.5.1 need MAIL", "S:503 5.5.1 need RCPT", "C:QUIT", "S:221 bye", NULL,
	};
	static const char *const mail4[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:DATA", "S:421 4.7.0 too busy",
		"S:503 5.5.1 need MAIL", "S:503 5.5.1 need RCPT", "C:QUIT", "S:221 bye", NULL,
	};
	static const char *const final4[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:DATA", "S:250 ok", "S:250 ok", "S:354 go", "C*",
		"C*", "C*", "C:.", "S:451 4.3.0 local error", "C:QUIT", "S:221 bye", NULL,
	};
	static const char *const final5[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:DATA", "S:250 ok", "S:250 ok", "S:354 go", "C*",
		"C*", "C*", "C:.", "S:554 DT:SPM 163 smtp14, judged as spam", "C:QUIT",
		"S:221 bye", NULL,
	};
	static const char *const data4[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:DATA", "S:250 ok", "S:250 ok",
		"S:452 4.3.1 insufficient storage", "C:QUIT", "S:221 bye", NULL,
	};
	struct {
		const char *const *script;
		enum smtp_outcome outcome;
		const char *stage;
		int code;
	} cases[] = {
		{mail5, SMTP_OUTCOME_FAILED, "MAIL", 501},
		{mail4, SMTP_OUTCOME_TEMPFAIL, "MAIL", 421},
		{final4, SMTP_OUTCOME_TEMPFAIL, "message", 451},
		{final5, SMTP_OUTCOME_FAILED, "message", 554},
		{data4, SMTP_OUTCOME_TEMPFAIL, "DATA", 452},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(cases); i++) {
		struct smtp_msg m = msg(rcpt1, 1, MSG);
		struct smtp_result r;
		struct qu_err err;
		ck_assert_int_eq(send_one(cases[i].script, &m, &r, &err), 0);
		ck_assert_msg(r.outcome == cases[i].outcome, "case %zu: %s", i,
			      smtp_outcome_name(r.outcome));
		ck_assert_str_eq(r.stage, cases[i].stage);
		ck_assert_int_eq(r.code, cases[i].code);
		smtp_result_clear(&r);
	}
}
END_TEST

START_TEST(test_size_too_big)
{
	/* Nothing of the transaction is sent. */
	static const char *const script[] = {
		EHLO_PIPE, "S:250 SIZE 10", "C:QUIT", "S:221 bye", NULL,
	};
	struct smtp_msg m = msg(rcpt1, 1, MSG);
	struct smtp_result r;
	struct qu_err err;
	ck_assert_int_eq(send_one(script, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_FAILED);
	ck_assert_ptr_nonnull(strstr(r.text, "at most 10 (SIZE)"));
	smtp_result_clear(&r);
}
END_TEST

START_TEST(test_bdat)
{
	/* CHUNKING: one BDAT LAST with the exact wire size, no dot-stuffing,
	 * pipelined with the envelope. "a\n.b" is 7 bytes on the wire. */
	static const char *const script[] = {
		EHLO_PIPE, "S:250 CHUNKING", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:BDAT 7 LAST", "C:a", "C:.b", "S:250 ok",
		"S:250 ok", "S:250 2.0.0 queued", "C:QUIT", "S:221 bye", NULL,
	};
	struct smtp_msg m = msg(rcpt1, 1, "a\n.b");
	struct smtp_result r;
	struct qu_err err;
	ck_assert_int_eq(send_one(script, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	ck_assert_str_eq(r.stage, "BDAT");
	smtp_result_clear(&r);
	ck_assert_uint_eq(smtp_wire_size("a\n.b", 4), 7);
	ck_assert_uint_eq(smtp_wire_size("a\r\nb\r\n", 6), 6);
	ck_assert_uint_eq(smtp_wire_size("a\rb\n\r\n", 6), 8);
	ck_assert_uint_eq(smtp_wire_size("", 0), 0);
}
END_TEST

START_TEST(test_dsn_params)
{
	static const char *const script[] = {
		EHLO_PIPE, "S:250 DSN",
		"C:MAIL FROM:<alice@example.com> RET=HDRS ENVID=q+2B1",
		"C:RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.com",
		"C:DATA", "S:250 ok", "S:250 ok", "S:354 go", "C*", "C*", "C*", "C:.", "S:250 ok",
		"C:QUIT", "S:221 bye", NULL,
	};
	struct smtp_msg m = msg(rcpt1, 1, MSG);
	m.env.notify = SMTP_DSN_SUCCESS | SMTP_DSN_FAILURE;
	m.env.ret = SMTP_DSN_RET_HDRS;
	m.env.envid = "q+1";
	struct smtp_result r;
	struct qu_err err;
	ck_assert_int_eq(send_one(script, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	ck_assert(!r.dsn_dropped);
	smtp_result_clear(&r);
	/* Without DSN on offer the parameters are left out, and said so. */
	static const char *const nodsn[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:DATA", "S:250 ok", "S:250 ok", "S:354 go", "C*",
		"C*", "C*", "C:.", "S:250 ok", "C:QUIT", "S:221 bye", NULL,
	};
	m.env.notify = SMTP_DSN_NEVER;
	ck_assert_int_eq(send_one(nodsn, &m, &r, &err), 0);
	ck_assert(r.dsn_dropped);
	smtp_result_clear(&r);
}
END_TEST

START_TEST(test_8bitmime)
{
	static const char *const with[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com> BODY=8BITMIME",
		"C:RCPT TO:<bob@example.com>", "C:DATA", "S:250 ok", "S:250 ok", "S:354 go",
		"C:Subject: x", "C:", "C:gr\xc3\xbc\xc3\x9f", "C:.", "S:250 ok", "C:QUIT",
		"S:221 bye", NULL,
	};
	static const char *const without[] = {EHLO_PIPE, "S:250 SIZE", "C:QUIT", "S:221 bye", NULL};
	struct smtp_msg m = msg(rcpt1, 1, "Subject: x\r\n\r\ngr\xc3\xbc\xc3\x9f\r\n");
	struct smtp_result r;
	struct qu_err err;
	ck_assert_int_eq(send_one(with, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	smtp_result_clear(&r);
	ck_assert_int_eq(send_one(without, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_FAILED);
	ck_assert_ptr_nonnull(strstr(r.text, "8BITMIME"));
	smtp_result_clear(&r);
	/* A raw UTF-8 header with ASCII addresses: 8BITMIME, not SMTPUTF8
	 * (which would make relays refuse hops without it). */
	static const char *const utf8hdr[] = {
		EHLO_PIPE, "S:250-8BITMIME", "S:250 SMTPUTF8",
		"C:MAIL FROM:<alice@example.com> BODY=8BITMIME", "C:RCPT TO:<bob@example.com>",
		"C:DATA", "S:250 ok", "S:250 ok", "S:354 go", "C:Subject: \xe4\xb8\xad", "C:",
		"C:x", "C:.", "S:250 ok", "C:QUIT", "S:221 bye", NULL,
	};
	m = msg(rcpt1, 1, "Subject: \xe4\xb8\xad\r\n\r\nx\r\n");
	ck_assert_int_eq(send_one(utf8hdr, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	smtp_result_clear(&r);
}
END_TEST

START_TEST(test_smtputf8)
{
	static const char *const rc[] = {"用户@例子.测试", "info@例子.测试"};
	static const char *const with[] = {
		EHLO_PIPE, "S:250-8BITMIME", "S:250 SMTPUTF8",
		"C:MAIL FROM:<alice@example.com> SMTPUTF8", "C:RCPT TO:<用户@例子.测试>",
		"C:RCPT TO:<info@xn--fsqu00a.xn--0zwm56d>", "C:DATA", "S:250 ok", "S:250 ok", "S:250 ok",
		"S:354 go", "C*", "C*", "C*", "C:.", "S:250 ok", "C:QUIT", "S:221 bye", NULL,
	};
	/* Without SMTPUTF8: the IDN domain as its A-label; the UTF-8 local
	 * part is refused here, the other recipient gets the message. */
	static const char *const without[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<info@xn--fsqu00a.xn--0zwm56d>", "C:DATA", "S:250 ok", "S:250 ok",
		"S:354 go", "C*", "C*", "C*", "C:.", "S:250 ok", "C:QUIT", "S:221 bye", NULL,
	};
	struct smtp_msg m = msg(rc, 2, MSG);
	struct smtp_result r;
	struct qu_err err;
	ck_assert_int_eq(send_one(with, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	ck_assert_uint_eq(r.n_accepted, 2);
	smtp_result_clear(&r);
	ck_assert_int_eq(send_one(without, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	ck_assert_uint_eq(r.n_accepted, 1);
	ck_assert_int_eq(r.rcpt[0].code, 553);
	ck_assert_str_eq(r.rcpt[0].enhanced, "5.6.7");
	ck_assert_ptr_nonnull(strstr(r.rcpt[0].text, "SMTPUTF8"));
	smtp_result_clear(&r);
	/* Only that recipient: nothing is sent at all. */
	static const char *const none[] = {EHLO_PIPE, "S:250 8BITMIME", "C:QUIT", "S:221 bye",
					   NULL};
	m = msg(rc, 1, MSG);
	ck_assert_int_eq(send_one(none, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_FAILED);
	smtp_result_clear(&r);
}
END_TEST

/* Two messages for the batch tests. */
struct two {
	struct smtp_msg m[2];
	size_t given, done;
	enum smtp_outcome out[2];
	int code[2];
};

static int
two_next(void *ctx, struct smtp_msg *m, struct qu_err *err)
{
	(void)err;
	struct two *t = ctx;
	if (t->given == 2)
		return 0;
	*m = t->m[t->given++];
	return 1;
}

static void
two_done(void *ctx, const struct smtp_msg *m, const struct smtp_result *r)
{
	(void)m;
	struct two *t = ctx;
	t->out[t->done] = r->outcome;
	t->code[t->done] = r->code;
	t->done++;
}

START_TEST(test_batch_rset_pipelined)
{
	/* The second transaction (RSET first) goes out with the first one's
	 * data, before the first one's final reply. */
	static const char *const script[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:DATA", "S:250 ok", "S:250 ok", "S:354 go",
		"C:one", "C:.", "C:RSET", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:DATA", "S:250 2.0.0 first queued", "S:250 reset",
		"S:250 ok", "S:250 ok", "S:354 go", "C:two", "C:.", "S:550 5.7.1 second refused",
		"C:QUIT", "S:221 bye", NULL,
	};
	struct two t = {.m = {msg(rcpt1, 1, "one\n"), msg(rcpt1, 1, "two\n")}};
	struct smtp_batch b = {.next = two_next, .done = two_done, .ctx = &t};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = open_peer(&p, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(smtp_send_batch(s, &b, &err), 0);
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(t.done, 2);
	ck_assert_int_eq(t.out[0], SMTP_OUTCOME_SENT);
	ck_assert_int_eq(t.out[1], SMTP_OUTCOME_FAILED);
	ck_assert_int_eq(t.code[1], 550);
}
END_TEST

START_TEST(test_batch_bdat_window)
{
	/* PIPELINING and CHUNKING: both whole transactions go out before any
	 * reply is read (the peer answers nothing until it has read both). */
	static const char *const script[] = {
		EHLO_PIPE, "S:250 CHUNKING", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:BDAT 5 LAST", "C:one", "C:RSET",
		"C:MAIL FROM:<alice@example.com>", "C:RCPT TO:<bob@example.com>", "C:BDAT 5 LAST",
		"C:two", "S:250 ok", "S:250 ok", "S:250 2.0.0 first", "S:250 reset", "S:250 ok",
		"S:250 ok", "S:451 4.3.0 second deferred", "C:QUIT", "S:221 bye", NULL,
	};
	struct two t = {.m = {msg(rcpt1, 1, "one\n"), msg(rcpt1, 1, "two\n")}};
	struct smtp_batch b = {.next = two_next, .done = two_done, .ctx = &t};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = open_peer(&p, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(smtp_send_batch(s, &b, &err), 0);
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(t.done, 2);
	ck_assert_int_eq(t.out[0], SMTP_OUTCOME_SENT);
	ck_assert_int_eq(t.out[1], SMTP_OUTCOME_TEMPFAIL);
	ck_assert_int_eq(t.code[1], 451);
}
END_TEST

START_TEST(test_batch_window_lost)
{
	/* The connection drops after the first message's final reply: the
	 * second, already written, is TEMPFAIL, never sent. */
	static const char *const script[] = {
		EHLO_PIPE, "S:250 CHUNKING", "C*", "C*", "C*", "C*", "C*", "C*", "C*", "C*",
		"C*", "S:250 ok", "S:250 ok", "S:250 2.0.0 first", "CLOSE", NULL,
	};
	struct two t = {.m = {msg(rcpt1, 1, "one\n"), msg(rcpt1, 1, "two\n")}};
	struct smtp_batch b = {.next = two_next, .done = two_done, .ctx = &t};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = open_peer(&p, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(smtp_send_batch(s, &b, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	smtp_session_close(s);
	peer_finish(&p);
	ck_assert_uint_eq(t.done, 2);
	ck_assert_int_eq(t.out[0], SMTP_OUTCOME_SENT);
	ck_assert_int_eq(t.out[1], SMTP_OUTCOME_TEMPFAIL);
	ck_assert_int_eq(t.code[1], 0);
}
END_TEST

START_TEST(test_batch_lockstep_bdat)
{
	/* No PIPELINING: one command, one reply; CHUNKING; RSET between. */
	static const char *const script[] = {
		"S:220 mx", "C:EHLO client.test", "S:250-mx", "S:250 CHUNKING",
		"C:MAIL FROM:<alice@example.com>", "S:250 ok", "C:RCPT TO:<bob@example.com>",
		"S:250 ok", "C:BDAT 5 LAST", "C:one", "S:250 first", "C:RSET", "S:250 ok",
		"C:MAIL FROM:<alice@example.com>", "S:250 ok", "C:RCPT TO:<bob@example.com>",
		"S:250 ok", "C:BDAT 5 LAST", "C:two", "S:250 second", "C:QUIT", "S:221 bye", NULL,
	};
	struct two t = {.m = {msg(rcpt1, 1, "one\n"), msg(rcpt1, 1, "two\n")}};
	struct smtp_batch b = {.next = two_next, .done = two_done, .ctx = &t};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = open_peer(&p, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(smtp_send_batch(s, &b, &err), 0);
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(t.done, 2);
	ck_assert_int_eq(t.out[0], SMTP_OUTCOME_SENT);
	ck_assert_int_eq(t.out[1], SMTP_OUTCOME_SENT);
}
END_TEST

START_TEST(test_lockstep_data)
{
	static const char *const script[] = {
		"S:220 mx", "C:EHLO client.test", "S:250-mx", "S:250 8BITMIME",
		"C:MAIL FROM:<alice@example.com>", "S:250 ok", "C:RCPT TO:<bob@example.com>",
		"S:250 ok", "C:RCPT TO:<carol@example.com>", "S:550 no", "C:DATA", "S:354 go",
		"C*", "C*", "C*", "C:.", "S:250 done", "C:QUIT", "S:221 bye", NULL,
	};
	struct smtp_msg m = msg(rcpt2, 2, MSG);
	struct smtp_result r;
	struct qu_err err;
	ck_assert_int_eq(send_one(script, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	ck_assert_uint_eq(r.n_accepted, 1);
	smtp_result_clear(&r);
}
END_TEST

START_TEST(test_dropped_during_data)
{
	static const char *const script[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:MAIL FROM:<alice@example.com>",
		"C:RCPT TO:<bob@example.com>", "C:DATA", "S:250 ok", "S:250 ok", "S:354 go",
		"C:Subject: hi", "CLOSE", NULL,
	};
	struct smtp_msg m = msg(rcpt1, 1, MSG);
	struct smtp_result r;
	struct qu_err err;
	struct peer p;
	peer_start(&p, script);
	struct smtp_session *s = open_peer(&p, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(smtp_send(s, &m, &r, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_TEMPFAIL);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_TEMPFAIL);
	ck_assert_str_eq(r.stage, "connection");
	ck_assert_uint_eq(r.n_accepted, 0);
	smtp_result_clear(&r);
	smtp_session_close(s);
	peer_finish(&p);
}
END_TEST

START_TEST(test_vrfy_and_gbk)
{
	/* "用户不存在" in GBK. */
	static const char *const script[] = {
		EHLO_PIPE, "S:250 8BITMIME", "C:VRFY bob", "S:252 2.0.0 cannot verify, will try",
		"C:VRFY nobody", "S:550 5.1.1 \xd3\xc3\xbb\xa7\xb2\xbb\xb4\xe6\xd4\xda", "C:QUIT",
		"S:221 bye", NULL,
	};
	struct peer p;
	peer_start(&p, script);
	struct qu_err err;
	struct smtp_session *s = open_peer(&p, &err);
	ck_assert_ptr_nonnull(s);
	struct smtp_reply r;
	smtp_reply_init(&r);
	ck_assert_int_eq(smtp_verify(s, "bob", &r, &err), 0);
	ck_assert_int_eq(r.code, 252);
	ck_assert_int_eq(smtp_verify(s, "nobody", &r, &err), 0);
	ck_assert_int_eq(r.code, 550);
	ck_assert_str_eq(r.text.data, "用户不存在");
	ck_assert_int_eq(smtp_verify(s, "a\r\nRSET", &r, &err), -1);
	smtp_reply_clear(&r);
	smtp_session_close(s);
	ck_assert_int_eq(peer_finish(&p), 0);
}
END_TEST

/* ---- the exact bytes on the wire -------------------------------------- */

/* A server that answers each command line with a fixed reply and records
 * every byte it reads into a pipe for the test to compare. */
struct recorder {
	pid_t pid;
	uint16_t port;
	int rd;
};

static void
rec_reply(int fd, const char *s)
{
	ssize_t r = write(fd, s, strlen(s));
	(void)r;
}

static void
recorder_start(struct recorder *rc, const char *ext)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(ls, 1), 0);
	socklen_t len = sizeof a;
	getsockname(ls, (struct sockaddr *)&a, &len);
	rc->port = ntohs(a.sin_port);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	fflush(NULL);
	rc->pid = fork();
	if (rc->pid == 0) {
		alarm(20);
		close(pfd[0]);
		int fd = accept(ls, NULL, NULL);
		rec_reply(fd, "220 rec\r\n");
		char line[70000];
		size_t n = 0;
		bool data = false;
		for (;;) {
			char c;
			if (read(fd, &c, 1) != 1)
				break;
			ssize_t w = write(pfd[1], &c, 1);
			(void)w;
			if (n < sizeof line - 1)
				line[n++] = c;
			if (c != '\n')
				continue;
			line[n] = '\0';
			n = 0;
			if (data) {
				if (strcmp(line, ".\r\n") == 0) {
					data = false;
					rec_reply(fd, "250 ok\r\n");
				}
			} else if (strncmp(line, "EHLO", 4) == 0) {
				rec_reply(fd, ext);
			} else if (strncmp(line, "DATA", 4) == 0) {
				data = true;
				rec_reply(fd, "354 go\r\n");
			} else if (strncmp(line, "QUIT", 4) == 0) {
				rec_reply(fd, "221 bye\r\n");
				break;
			} else {
				rec_reply(fd, "250 ok\r\n");
			}
		}
		_exit(0);
	}
	close(ls);
	close(pfd[1]);
	rc->rd = pfd[0];
}

static char *
recorder_finish(struct recorder *rc)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	char tmp[4096];
	ssize_t r;
	while ((r = read(rc->rd, tmp, sizeof tmp)) > 0)
		qu_buf_append(&b, tmp, (size_t)r);
	close(rc->rd);
	int st;
	waitpid(rc->pid, &st, 0);
	return qu_buf_steal(&b, NULL);
}

START_TEST(test_smuggling_normalised)
{
	/* Lone LF and lone CR around dots, a "\n.\n" and a "\r\n.\r\n" inside
	 * the body: on the wire every line ends in CRLF and every dot line is
	 * stuffed, so nothing ends the data before the real end. */
	static const char body[] = "Subject: s\r\n\r\na\n.\nb\r.\rc\r\n.\r\nd\n..x\nlast";
	struct recorder rc;
	recorder_start(&rc, "250-rec\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
	struct smtp_opts o = {.host = "127.0.0.1", .port = rc.port, .tls = NET_TLS_NONE,
			      .helo_name = "client.test", .net = {.timeout_ms = 5000}};
	struct qu_err err;
	struct smtp_session *s = smtp_session_open(&o, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	struct smtp_msg m = msg(rcpt1, 1, body);
	struct smtp_result r;
	ck_assert_int_eq(smtp_send(s, &m, &r, &err), 0);
	ck_assert_int_eq(r.outcome, SMTP_OUTCOME_SENT);
	smtp_result_clear(&r);
	smtp_session_close(s);
	char *wire = recorder_finish(&rc);
	ck_assert_str_eq(wire, "EHLO client.test\r\n"
			       "MAIL FROM:<alice@example.com>\r\n"
			       "RCPT TO:<bob@example.com>\r\n"
			       "DATA\r\n"
			       "Subject: s\r\n\r\na\r\n..\r\nb\r\n..\r\nc\r\n..\r\nd\r\n...x\r\n"
			       "last\r\n.\r\n"
			       "QUIT\r\n");
	free(wire);
}
END_TEST

START_TEST(test_empty_and_dot_only)
{
	struct recorder rc;
	recorder_start(&rc, "250 rec\r\n");
	struct smtp_opts o = {.host = "127.0.0.1", .port = rc.port, .tls = NET_TLS_NONE,
			      .helo_name = "c", .net = {.timeout_ms = 5000}};
	struct qu_err err;
	struct smtp_session *s = smtp_session_open(&o, &err);
	ck_assert_ptr_nonnull(s);
	struct smtp_msg m = msg(rcpt1, 1, ".");
	struct smtp_result r;
	ck_assert_int_eq(smtp_send(s, &m, &r, &err), 0);
	smtp_result_clear(&r);
	smtp_session_close(s);
	char *wire = recorder_finish(&rc);
	ck_assert_ptr_nonnull(strstr(wire, "DATA\r\n..\r\n.\r\nQUIT\r\n"));
	free(wire);
}
END_TEST

Suite *smtp_send_suite(void);

Suite *
smtp_send_suite(void)
{
	Suite *s = suite_create("smtp_send");
	TCase *t = tcase_create("send");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_pipelining_order);
	tcase_add_test(t, test_partial_rcpt);
	tcase_add_test(t, test_all_rcpt_refused);
	tcase_add_test(t, test_mail_and_data_codes);
	tcase_add_test(t, test_size_too_big);
	tcase_add_test(t, test_bdat);
	tcase_add_test(t, test_dsn_params);
	tcase_add_test(t, test_8bitmime);
	tcase_add_test(t, test_smtputf8);
	tcase_add_test(t, test_batch_rset_pipelined);
	tcase_add_test(t, test_batch_bdat_window);
	tcase_add_test(t, test_batch_window_lost);
	tcase_add_test(t, test_batch_lockstep_bdat);
	tcase_add_test(t, test_lockstep_data);
	tcase_add_test(t, test_dropped_during_data);
	tcase_add_test(t, test_vrfy_and_gbk);
	tcase_add_test(t, test_smuggling_normalised);
	tcase_add_test(t, test_empty_and_dot_only);
	suite_add_tcase(s, t);
	return s;
}
