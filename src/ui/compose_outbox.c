/*
 * The outbox retried while the UI runs: a message the compose screen
 * queued (a temporary failure, SPEC §4's queue = yes) is sent again by
 * app_queue_flush on a worker after 30 s, then 1, 2, 5 and 10 minutes,
 * then every 10 minutes, until the outbox is empty. The status line says
 * how many wait and what a retry did. A queued reply's original gets R
 * only when the flush sends it (the outbox entry names the file).
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "ui/private.h"
#include "ui/compose_private.h"

static const int backoff_s[] = {30, 60, 120, 300, 600};

/* One UI per process: the retry state lives here rather than in struct
 * ui, whose other users need not know about it. */
static struct {
	const struct cfg_account *account; /* borrowed from u->cfg */
	size_t step;                       /* the next back-off */
	int64_t due_ms;                    /* 0: nothing to retry */
	uint64_t req;                      /* the flush running, or 0 */
} ob;

struct flush_job {
	const struct cfg_account *account;
	struct app_flush_result res;
};

static void
counter(void *ctx, const struct app_queue_entry *e)
{
	(void)e;
	(*(size_t *)ctx)++;
}

static size_t
queued_count(void)
{
	size_t n = 0;
	struct qu_err err = {0};
	if (ob.account && app_queue_list(ob.account, counter, &n, &err) < 0)
		return 0;
	return n;
}

static void
schedule(struct ui *u, const char *before)
{
	int s = backoff_s[ob.step < QU_ARRAY_LEN(backoff_s) ? ob.step : QU_ARRAY_LEN(backoff_s) - 1];
	if (ob.step < QU_ARRAY_LEN(backoff_s))
		ob.step++;
	ob.due_ms = qu_now_ms() + (int64_t)s * 1000;
	size_t n = queued_count();
	if (s < 60)
		ui_message(u, false, "%s%zu queued: retrying in %d s.", before, n, s);
	else
		ui_message(u, false, "%s%zu queued: retrying in %d min.", before, n, s / 60);
}

void
ui_outbox_queued(struct ui *u, const struct cfg_account *a)
{
	if (!a)
		return;
	ob.account = a;
	ob.step = 0;
	if (!ob.req) /* a flush running reschedules when it ends */
		schedule(u, "Message queued; ");
	else
		ui_message(u, false, "Message queued.");
}

static void
flush_run(struct ui_job *j)
{
	struct flush_job *f = j->arg;
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_SENT;
	m->req = j->req;
	struct app_net net = {.timeout_s = 60, .cancel = j->cancel};
	m->rc = app_queue_flush(f->account, &net, NULL, NULL, &f->res, &m->err);
	m->payload = f;
	ui_pool_post(j->pool, m);
}

int
ui_outbox_timeout(const struct ui *u, int timeout)
{
	(void)u;
	if (!ob.due_ms || ob.req)
		return timeout;
	int64_t left = ob.due_ms - qu_now_ms();
	if (left < 0)
		left = 0;
	return timeout < 0 || left < timeout ? (int)(left > 600000 ? 600000 : left) : timeout;
}

void
ui_outbox_tick(struct ui *u)
{
	static bool announced;
	if (!announced && !u->scanning) {
		/* Once the first folder is read, so that its messages do not
		 * hide the line. */
		announced = true;
		ui_drafts_announce(u);
	}
	if (!ob.due_ms || ob.req || qu_now_ms() < ob.due_ms || !u->pool)
		return;
	struct flush_job *f = xcalloc(1, sizeof *f);
	f->account = ob.account;
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = flush_run;
	j->arg = f;
	ob.due_ms = 0;
	ob.req = ui_pool_submit(u->pool, j);
}

bool
ui_outbox_result(struct ui *u, struct ui_msg *m)
{
	if (!ob.req || m->req != ob.req || m->kind != UI_MSG_SENT)
		return false;
	struct flush_job *f = m->payload;
	m->payload = NULL;
	ob.req = 0;
	size_t sent = f->res.sent;
	char before[sizeof m->err.msg + 64] = "";
	if (sent)
		snprintf(before, sizeof before, "Sent %zu queued message%s; ", sent,
			sent == 1 ? "" : "s");
	else if (m->rc < 0) /* why it still waits (refused, no login, ...) */
		snprintf(before, sizeof before, "%s; ", m->err.msg);
	if (queued_count() == 0) {
		ob.due_ms = 0;
		if (sent)
			ui_message(u, false, "Sent %zu queued message%s.", sent, sent == 1 ? "" : "s");
		else if (m->rc < 0)
			ui_message(u, true, "%s", m->err.msg);
	} else if (m->rc < 0 && m->err.cls != QU_E_TEMPFAIL && m->err.cls != QU_E_UNAVAILABLE &&
		   m->err.cls != QU_E_CANCELED && !sent && f->res.deferred == 0) {
		ui_message(u, true, "%s", m->err.msg); /* not for a retry to mend */
	} else {
		if (sent)
			ob.step = 0;
		schedule(u, before);
	}
	free(f);
	u->dirty = true;
	return true;
}
