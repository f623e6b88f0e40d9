/* The UI's live IMAP session (app_imap_live) against scripted peers: the
 * owner thread idles once a folder is selected, reports EXISTS, leaves
 * IDLE when a request comes, reports a lost connection and retries with a
 * growing back-off; a queued request is dropped by its cancel and a running
 * one stopped at once; close ends it all promptly. */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "peer.h"

#define PREAUTH(caps) "S:* PREAUTH [CAPABILITY IMAP4rev1 " caps "] ready"

struct live {
	struct peer p;
	char url[64];
	struct cfg_account a;
	struct app_imap_live *l;
};

static void
live_start(struct live *t, const char *const *script)
{
	peer_start(&t->p, script);
	snprintf(t->url, sizeof t->url, "imap+insecure://127.0.0.1:%u", (unsigned)t->p.port);
	t->a = (struct cfg_account){.imap = t->url, .user = "alice", .password_command = "echo x"};
	struct app_net net = {.timeout_s = 5};
	struct qu_err err;
	t->l = app_imap_live_open(&t->a, &net, &err);
	ck_assert_msg(t->l != NULL, "%s", err.msg);
}

/* The next reply of a kind (and for id, when id > 0) within ms; others
 * before it are dropped. */
static struct app_live_reply *
next_of(struct live *t, enum app_live_kind kind, uint64_t id, int ms)
{
	int64_t end = qu_now_ms() + ms;
	for (;;) {
		struct app_live_reply *r;
		while ((r = app_imap_live_next_reply(t->l))) {
			if (r->kind == kind && (!id || r->id == id))
				return r;
			app_live_reply_free(r);
		}
		int64_t left = end - qu_now_ms();
		ck_assert_msg(left > 0, "no %d reply in %d ms", (int)kind, ms);
		struct pollfd p = {.fd = app_imap_live_fd(t->l), .events = POLLIN};
		poll(&p, 1, (int)left);
	}
}

START_TEST(test_idle_request_loss_backoff)
{
	static const char *const script[] = {
		PREAUTH("IDLE"),
		"C:Q1 SELECT \"INBOX\"", "S:* 3 EXISTS", "S:* OK [UIDVALIDITY 5] x",
		"S:Q1 OK [READ-WRITE] selected",
		"C:Q2 IDLE", "S:+ idling", "S:* 4 EXISTS",
		"C:DONE", "S:Q2 OK",
		"C:Q3 NOOP", "S:Q3 OK",
		"C:Q4 IDLE", "S:+ idling", "CLOSE",
		NULL,
	};
	struct live t;
	live_start(&t, script);
	struct app_live_reply *r = next_of(&t, APP_LIVE_CONN, 0, 5000);
	ck_assert_msg(r->up, "%s", r->err.msg);
	app_live_reply_free(r);

	uint64_t id = app_imap_live_post(t.l, &(struct app_live_req){.op = APP_LIVE_SELECT,
								   .folder = "INBOX"});
	r = next_of(&t, APP_LIVE_DONE, id, 5000);
	ck_assert_msg(r->err.cls == QU_E_OK, "%s", r->err.msg);
	ck_assert(r->has_status);
	ck_assert_uint_eq(r->status.messages, 3);
	ck_assert_uint_eq(r->status.uidvalidity, 5);
	app_live_reply_free(r);

	id = app_imap_live_post(t.l, &(struct app_live_req){.op = APP_LIVE_IDLE, .on = true});
	app_live_reply_free(next_of(&t, APP_LIVE_DONE, id, 5000));
	r = next_of(&t, APP_LIVE_EVENT, 0, 5000);
	ck_assert_int_eq(r->ev, APP_LIVE_EV_EXISTS);
	ck_assert_uint_eq(r->num, 4);
	app_live_reply_free(r);

	/* A request ends the IDLE (DONE) and runs. */
	int64_t t0 = qu_now_ms();
	id = app_imap_live_post(t.l, &(struct app_live_req){.op = APP_LIVE_NOOP});
	r = next_of(&t, APP_LIVE_DONE, id, 5000);
	ck_assert_msg(r->err.cls == QU_E_OK, "%s", r->err.msg);
	ck_assert_int_lt(qu_now_ms() - t0, 500);
	app_live_reply_free(r);

	/* Idling again, the server goes: reported, then retried after 1 s,
	 * which fails (the peer is gone) and waits 2 s. */
	r = next_of(&t, APP_LIVE_CONN, 0, 5000);
	ck_assert(!r->up);
	ck_assert_int_eq(r->err.cls, QU_E_TEMPFAIL);
	ck_assert_int_eq(r->retry_ms, 1000);
	app_live_reply_free(r);
	t0 = qu_now_ms();
	r = next_of(&t, APP_LIVE_CONN, 0, 5000);
	ck_assert(!r->up);
	ck_assert_int_eq(r->retry_ms, 2000);
	ck_assert_int_ge(qu_now_ms() - t0, 900);
	app_live_reply_free(r);

	/* While down, a request tries at once and says why it failed. */
	id = app_imap_live_post(t.l, &(struct app_live_req){.op = APP_LIVE_NOOP});
	r = next_of(&t, APP_LIVE_DONE, id, 3000);
	ck_assert_int_eq(r->err.cls, QU_E_TEMPFAIL);
	app_live_reply_free(r);

	t0 = qu_now_ms();
	app_imap_live_close(t.l);
	ck_assert_int_lt(qu_now_ms() - t0, 500);
	ck_assert_int_eq(peer_finish(&t.p), 0);
}
END_TEST

START_TEST(test_cancel_queued_and_running)
{
	static const char *const script[] = {
		PREAUTH(""), "C:Q1 SELECT \"Slow\"", "SLEEP:3000", NULL,
	};
	struct live t;
	live_start(&t, script);
	struct app_live_reply *r = next_of(&t, APP_LIVE_CONN, 0, 5000);
	ck_assert_msg(r->up, "%s", r->err.msg);
	app_live_reply_free(r);
	uint64_t slow = app_imap_live_post(t.l, &(struct app_live_req){.op = APP_LIVE_SELECT,
								     .folder = "Slow"});
	uint64_t queued = app_imap_live_post(t.l, &(struct app_live_req){.op = APP_LIVE_NOOP});
	ck_assert_uint_ne(slow, queued);
	ck_assert(app_imap_live_cancel(t.l, queued));
	r = next_of(&t, APP_LIVE_DONE, queued, 1000);
	ck_assert_int_eq(r->err.cls, QU_E_CANCELED);
	app_live_reply_free(r);
	ck_assert(!app_imap_live_cancel(t.l, queued)); /* gone */

	/* The SELECT is waiting for the server by now: stopped at once. */
	struct pollfd p = {.fd = -1};
	poll(&p, 0, 200);
	int64_t t0 = qu_now_ms();
	ck_assert(app_imap_live_cancel(t.l, slow));
	r = next_of(&t, APP_LIVE_DONE, slow, 1000);
	ck_assert_int_lt(qu_now_ms() - t0, 100);
	ck_assert_int_eq(r->err.cls, QU_E_CANCELED);
	app_live_reply_free(r);
	/* Cut mid-reply: the connection is made again at once, no back-off. */
	r = next_of(&t, APP_LIVE_CONN, 0, 1000);
	ck_assert(!r->up);
	ck_assert_int_eq(r->retry_ms, 0);
	app_live_reply_free(r);
	app_imap_live_close(t.l);
	ck_assert_int_eq(peer_finish(&t.p), 0);
}
END_TEST

START_TEST(test_open_needs_imap_url)
{
	struct cfg_account a = {.user = "alice"};
	struct qu_err err;
	ck_assert_ptr_null(app_imap_live_open(&a, NULL, &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	app_imap_live_close(NULL);
}
END_TEST

Suite *app_live_suite(void);

Suite *
app_live_suite(void)
{
	Suite *s = suite_create("app-live");
	TCase *tc = tcase_create("session");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_idle_request_loss_backoff);
	tcase_add_test(tc, test_cancel_queued_and_running);
	tcase_add_test(tc, test_open_needs_imap_url);
	suite_add_tcase(s, tc);
	return s;
}
