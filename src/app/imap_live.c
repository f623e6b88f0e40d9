/*
 * A live IMAP session for the UI: one owner thread holds the connection
 * and runs requests one at a time; between them it IDLEs (RFC 2177) on the
 * selected folder. Two pipes join it to the UI: requests wake the owner
 * (the IDLE wait polls that pipe beside the socket), replies wake the UI.
 * The connection is the owner's alone, so nothing below needs a lock; the
 * lock guards only the two queues and the id of the request running.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"
#include "config/config.h"
#include "imap/imap.h"
#include "app/private.h"
#include "app/imap_private.h"

/* RFC 2177 §3: leave and enter IDLE again before 30 minutes pass. */
#define IDLE_RENEW_MS (29 * 60 * 1000)
/* Without IDLE (or with idle off), a NOOP this often keeps the session
 * and finds a dead connection. */
#define NOOP_EVERY_MS (60 * 1000)
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000
/* Messages of a HEADERS request per APP_LIVE_MESSAGES reply. */
#define BATCH 256

/* The UI's flag bits are imap's, passed through unchanged. */
_Static_assert((unsigned)APP_LIVE_SEEN == IMAP_FLAG_SEEN &&
		       (unsigned)APP_LIVE_ANSWERED == IMAP_FLAG_ANSWERED &&
		       (unsigned)APP_LIVE_FLAGGED == IMAP_FLAG_FLAGGED &&
		       (unsigned)APP_LIVE_DELETED == IMAP_FLAG_DELETED &&
		       (unsigned)APP_LIVE_DRAFT == IMAP_FLAG_DRAFT &&
		       (unsigned)APP_LIVE_RECENT == IMAP_FLAG_RECENT &&
		       (unsigned)APP_LIVE_FORWARDED == IMAP_FLAG_FORWARDED,
	       "APP_LIVE_* flags are IMAP_FLAG_*");

struct live_req {
	struct live_req *next;
	uint64_t id;
	struct app_live_req r; /* its strings point into the copies below */
	char *folder, *uids, *section, *msg;
};

struct live_reply {
	struct live_reply *next;
	struct app_live_reply *r;
};

struct app_imap_live {
	const struct cfg_account *a;
	struct app_net net;
	struct qu_cancel *cancel; /* fires for the running request and close */
	pthread_t th;
	int req_pipe[2]; /* UI -> owner: a request waits, or close */
	int rep_pipe[2]; /* owner -> UI: a reply waits */

	pthread_mutex_t mu; /* guards what follows up to the owner's part */
	struct live_req *rq_head, *rq_tail;
	struct live_reply *rp_head, *rp_tail;
	uint64_t next_id;
	uint64_t running; /* the request the owner runs, 0 for none */
	bool busy;        /* connecting or running: a cancel must fire */
	bool closing;

	/* The owner's alone. */
	struct app_imap c;
	bool up;
	int backoff_ms;
	int64_t retry_at;
	bool idle;
	char *sel;        /* the folder selected (UTF-8), or NULL */
	bool sel_ro;
	struct imap_qresync q; /* for selecting it again */
	uint64_t cur_id;  /* the request running, for its events */
	struct app_live_reply *batch;
};

const char *
app_live_op_name(enum app_live_op op)
{
	static const char *const n[] = {"folders", "select", "headers", "part", "store", "copy",
					"move", "expunge", "append", "idle", "noop"};
	return (size_t)op < QU_ARRAY_LEN(n) ? n[op] : "?";
}

/* ---- replies ---- */

static struct app_live_reply *
reply_new(enum app_live_kind kind, uint64_t id, enum app_live_op op)
{
	struct app_live_reply *r = xcalloc(1, sizeof *r);
	r->kind = kind;
	r->id = id;
	r->op = op;
	qu_err_clear(&r->err);
	return r;
}

static void
msg_clear(struct app_live_msg *m)
{
	free(m->internaldate);
	free(m->date);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	free(m->from);
	free(m->to);
}

void
app_live_reply_free(struct app_live_reply *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_folders; i++)
		free(r->folders[i].name);
	free(r->folders);
	for (size_t i = 0; i < r->n_msgs; i++)
		msg_clear(&r->msgs[i]);
	free(r->msgs);
	free(r->folder);
	free(r->modified);
	free(r->new_uids);
	free(r->uids);
	free(r);
}

static void
wake(int fd)
{
	/* A full pipe already wakes its reader: the byte is not needed. */
	ssize_t w = write(fd, "x", 1);
	(void)w;
}

static void
drain(int fd)
{
	char b[64];
	while (read(fd, b, sizeof b) > 0)
		;
}

static void
push_reply(struct app_imap_live *l, struct app_live_reply *r)
{
	struct live_reply *n = xcalloc(1, sizeof *n);
	n->r = r;
	pthread_mutex_lock(&l->mu);
	if (l->rp_tail)
		l->rp_tail->next = n;
	else
		l->rp_head = n;
	l->rp_tail = n;
	pthread_mutex_unlock(&l->mu);
	wake(l->rep_pipe[1]);
}

int
app_imap_live_fd(const struct app_imap_live *l)
{
	return l->rep_pipe[0];
}

struct app_live_reply *
app_imap_live_next_reply(struct app_imap_live *l)
{
	/* Drained before the queue is looked at: a reply pushed after this
	 * leaves its byte, so the next poll wakes. */
	drain(l->rep_pipe[0]);
	pthread_mutex_lock(&l->mu);
	struct live_reply *n = l->rp_head;
	if (n) {
		l->rp_head = n->next;
		if (!l->rp_head)
			l->rp_tail = NULL;
	}
	pthread_mutex_unlock(&l->mu);
	if (!n)
		return NULL;
	struct app_live_reply *r = n->r;
	free(n);
	return r;
}

/* ---- requests ---- */

static void
req_free(struct live_req *q)
{
	if (!q)
		return;
	free(q->folder);
	free(q->uids);
	free(q->section);
	if (q->msg)
		qu_wipe(q->msg, q->r.msg_len);
	free(q->msg);
	free(q);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

uint64_t
app_imap_live_post(struct app_imap_live *l, const struct app_live_req *r)
{
	struct live_req *q = xcalloc(1, sizeof *q);
	q->r = *r;
	q->folder = dup_or_null(r->folder);
	q->uids = dup_or_null(r->uids);
	q->section = dup_or_null(r->section);
	if (r->msg) {
		q->msg = xmalloc(r->msg_len + 1);
		memcpy(q->msg, r->msg, r->msg_len);
	}
	q->r.folder = q->folder;
	q->r.uids = q->uids;
	q->r.section = q->section;
	q->r.msg = q->msg;
	pthread_mutex_lock(&l->mu);
	q->id = ++l->next_id;
	if (l->rq_tail)
		l->rq_tail->next = q;
	else
		l->rq_head = q;
	l->rq_tail = q;
	uint64_t id = q->id;
	pthread_mutex_unlock(&l->mu);
	wake(l->req_pipe[1]);
	return id;
}

bool
app_imap_live_cancel(struct app_imap_live *l, uint64_t id)
{
	struct live_req *found = NULL;
	bool running = false;
	pthread_mutex_lock(&l->mu);
	for (struct live_req **p = &l->rq_head; *p; p = &(*p)->next) {
		if ((*p)->id != id)
			continue;
		found = *p;
		*p = found->next;
		if (l->rq_tail == found) {
			l->rq_tail = NULL;
			for (struct live_req *t = l->rq_head; t; t = t->next)
				l->rq_tail = t;
		}
		break;
	}
	if (!found && id && l->running == id) {
		/* Fired under the lock: the owner resets the handle under it
		 * too, so a later request is never hit by this cancel. */
		qu_cancel_fire(l->cancel);
		running = true;
	}
	pthread_mutex_unlock(&l->mu);
	if (found) {
		struct app_live_reply *r = reply_new(APP_LIVE_DONE, id, found->r.op);
		qu_err_canceled(&r->err);
		push_reply(l, r);
		req_free(found);
	}
	return found || running;
}

/* Takes the next request and marks it running; NULL when none (or when
 * closing: what is left is dropped by close). */
static struct live_req *
take(struct app_imap_live *l, bool *closing)
{
	pthread_mutex_lock(&l->mu);
	struct live_req *q = l->closing ? NULL : l->rq_head;
	if (q) {
		l->rq_head = q->next;
		if (!l->rq_head)
			l->rq_tail = NULL;
		l->running = q->id;
		l->busy = true;
	}
	*closing = l->closing;
	pthread_mutex_unlock(&l->mu);
	return q;
}

/* Marks the owner busy (a cancel must fire) or done with a request or a
 * connect. */
static void
set_busy(struct app_imap_live *l, bool busy)
{
	pthread_mutex_lock(&l->mu);
	l->busy = busy;
	if (!busy) {
		l->running = 0;
		/* A cancel that came too late for what it meant is forgotten;
		 * one for close stays. */
		if (!l->closing)
			qu_cancel_reset(l->cancel);
	}
	pthread_mutex_unlock(&l->mu);
}

/* ---- events ---- */

static int
on_event(void *ctx, const struct imap_event *ev, struct qu_err *err)
{
	struct app_imap_live *l = ctx;
	(void)err;
	struct app_live_reply *r = reply_new(APP_LIVE_EVENT, l->cur_id, APP_LIVE_NOOP);
	r->num = ev->num;
	switch (ev->kind) {
	case IMAP_EVENT_EXISTS:
		r->ev = APP_LIVE_EV_EXISTS;
		break;
	case IMAP_EVENT_EXPUNGE:
		r->ev = APP_LIVE_EV_EXPUNGE;
		break;
	case IMAP_EVENT_FETCH:
		if (!ev->msg->has_flags) {
			free(r);
			return 0; /* nothing the UI shows changed */
		}
		r->ev = APP_LIVE_EV_FLAGS;
		r->uid = ev->msg->uid;
		r->flags = ev->msg->flags;
		r->modseq = ev->msg->modseq;
		break;
	case IMAP_EVENT_VANISHED:
		r->ev = APP_LIVE_EV_VANISHED;
		r->uids = xstrdup(ev->uids);
		r->earlier = ev->earlier;
		break;
	}
	push_reply(l, r);
	return 0;
}

/* ---- the connection ---- */

static void
note_selected(struct app_imap_live *l)
{
	const struct imap_mailbox_status *st = imap_session_selected(l->c.s);
	l->q.uidvalidity = st->uidvalidity;
	l->q.modseq = st->highestmodseq;
}

static void
status_of(const struct imap_mailbox_status *st, struct app_live_status *o)
{
	o->messages = st->messages;
	o->uidvalidity = st->uidvalidity;
	o->uidnext = st->uidnext;
	o->highestmodseq = st->highestmodseq;
	o->read_only = st->read_only;
}

/* SELECT (or EXAMINE) by UTF-8 name, with QRESYNC when q knows the folder. */
static int
select_folder(struct app_imap_live *l, const char *name, bool ro, const struct imap_qresync *q,
	      struct imap_mailbox_status *st, struct qu_err *err)
{
	char *wire = imap_session_wire_name(l->c.s, name);
	if (!wire)
		return qu_err_set(err, QU_E_USAGE, "folder name is not UTF-8");
	int rc = imap_session_select_events(l->c.s, wire, strlen(wire), ro, q, on_event, l, st,
					    err);
	free(wire);
	return rc;
}

/* 1 s, 2 s, 4 s ... 60 s. */
static int
next_backoff(int ms)
{
	return ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
}

static void
lost(struct app_imap_live *l, const struct qu_err *why)
{
	app_imap_close(&l->c);
	l->up = false;
	/* A cut made by a cancel is no reason to wait. */
	int wait = why->cls == QU_E_CANCELED ? 0 : l->backoff_ms;
	l->retry_at = qu_now_ms() + wait;
	if (wait)
		l->backoff_ms = next_backoff(l->backoff_ms);
	struct app_live_reply *r = reply_new(APP_LIVE_CONN, 0, APP_LIVE_NOOP);
	r->err = *why;
	r->retry_ms = wait;
	push_reply(l, r);
}

/* Connects and logs in, then selects the folder that was selected. */
static int
live_connect(struct app_imap_live *l, struct qu_err *err)
{
	int rc = app_imap_connect(l->a, &l->net, &l->c, err);
	struct app_live_reply *r = reply_new(APP_LIVE_CONN, 0, APP_LIVE_NOOP);
	if (rc < 0) {
		r->err = *err;
		r->retry_ms = l->backoff_ms;
		l->retry_at = qu_now_ms() + l->backoff_ms;
		l->backoff_ms = next_backoff(l->backoff_ms);
		push_reply(l, r);
		return -1;
	}
	l->up = true;
	l->backoff_ms = BACKOFF_FIRST_MS;
	r->up = true;
	if (l->sel) {
		/* RFC 7162 §3.2.5: the changes while away come with the reply. */
		struct imap_mailbox_status st;
		if (select_folder(l, l->sel, l->sel_ro, &l->q, &st, err) == 0) {
			note_selected(l);
			r->has_status = true;
			status_of(&st, &r->status);
			r->folder = xstrdup(l->sel);
		} else {
			r->err = *err;
			free(l->sel);
			l->sel = NULL;
		}
	}
	push_reply(l, r);
	if (l->sel == NULL && imap_session_broken(l->c.s)) {
		lost(l, err);
		return -1;
	}
	return 0;
}

/* Connects outside a request, as a cancelable step. */
static void
connect_step(struct app_imap_live *l)
{
	struct qu_err err;
	qu_err_clear(&err);
	set_busy(l, true);
	live_connect(l, &err);
	set_busy(l, false);
}

/* ---- running a request ---- */

static void
folder_cb(void *ctx, const struct app_folder *f)
{
	struct app_live_reply *r = ctx;
	r->folders = xrealloc(r->folders, (r->n_folders + 1) * sizeof *r->folders);
	struct app_live_folder *o = &r->folders[r->n_folders++];
	o->name = xmalloc(f->name_len + 1);
	memcpy(o->name, f->name, f->name_len);
	o->name[f->name_len] = '\0';
	o->name_len = f->name_len;
	o->selectable = f->selectable;
	o->has_counts = f->has_counts;
	o->messages = f->messages;
	o->unseen = f->unseen;
	o->special = f->special;
}

static void
addr_list(struct qu_buf *b, const struct imap_address *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!v[i].host)
			continue; /* a group marker (RFC 3501 §7.4.2) */
		if (b->len)
			qu_buf_append_str(b, ", ");
		if (v[i].name)
			qu_buf_printf(b, "%s <", v[i].name);
		qu_buf_printf(b, "%s@%s", v[i].mailbox ? v[i].mailbox : "", v[i].host);
		if (v[i].name)
			qu_buf_append_byte(b, '>');
	}
}

static char *
addrs(const struct imap_address *v, size_t n)
{
	struct qu_buf b;
	qu_buf_init(&b, 64 * 1024);
	addr_list(&b, v, n);
	if (!b.len) {
		qu_buf_clear(&b);
		return NULL;
	}
	return qu_buf_steal(&b, NULL);
}

static void
flush_batch(struct app_imap_live *l)
{
	if (l->batch && l->batch->n_msgs)
		push_reply(l, l->batch);
	else
		app_live_reply_free(l->batch);
	l->batch = NULL;
}

static int
summary_cb(void *ctx, const struct imap_summary *s, struct qu_err *err)
{
	struct app_imap_live *l = ctx;
	/* Data that keeps coming never makes a read wait, where the cancel
	 * handle is polled: look at it here too. */
	if (qu_cancel_check(l->cancel, err) < 0)
		return -1;
	if (!l->batch) {
		l->batch = reply_new(APP_LIVE_MESSAGES, l->cur_id, APP_LIVE_HEADERS);
		l->batch->msgs = xcalloc(BATCH, sizeof *l->batch->msgs);
	}
	struct app_live_msg *m = &l->batch->msgs[l->batch->n_msgs++];
	m->uid = s->uid;
	m->seq = s->seq;
	m->flags = s->flags;
	m->size = s->size;
	m->modseq = s->modseq;
	m->internaldate = dup_or_null(s->internaldate);
	if (s->envelope) {
		const struct imap_envelope *e = s->envelope;
		m->date = dup_or_null(e->date);
		m->subject = dup_or_null(e->subject);
		m->message_id = dup_or_null(e->message_id);
		m->in_reply_to = dup_or_null(e->in_reply_to);
		m->from = addrs(e->from, e->n_from);
		m->to = addrs(e->to, e->n_to);
	}
	if (s->body) {
		m->n_parts = (uint32_t)s->body->n;
		for (size_t i = 0; i < s->body->n; i++)
			if (s->body->parts[i].disposition &&
			    qu_mem_eq_ci(s->body->parts[i].disposition,
					 strlen(s->body->parts[i].disposition), "attachment"))
				m->has_attachment = true;
	}
	if (l->batch->n_msgs == BATCH)
		flush_batch(l);
	return 0;
}

static int
run_select(struct app_imap_live *l, const struct app_live_req *q, struct app_live_reply *r,
	   struct qu_err *err)
{
	bool same = l->sel && strcmp(l->sel, q->folder) == 0;
	free(l->sel);
	l->sel = NULL;
	struct imap_mailbox_status st;
	if (select_folder(l, q->folder, q->read_only, same ? &l->q : NULL, &st, err) < 0)
		return -1;
	l->sel = xstrdup(q->folder);
	l->sel_ro = q->read_only;
	note_selected(l);
	r->has_status = true;
	status_of(&st, &r->status);
	return 0;
}

static int
run_copy(struct app_imap_live *l, const struct app_live_req *q, struct app_live_reply *r,
	 struct qu_err *err)
{
	char *wire = imap_session_wire_name(l->c.s, q->folder);
	if (!wire)
		return qu_err_set(err, QU_E_USAGE, "folder name is not UTF-8");
	struct imap_uidplus u;
	int rc;
	if (q->op == APP_LIVE_APPEND)
		rc = imap_session_append(l->c.s, wire, strlen(wire), q->flags, NULL, q->msg,
					 q->msg_len, &u, err);
	else
		rc = imap_session_uid_copy_events(l->c.s, q->uids, wire, strlen(wire),
						  q->op == APP_LIVE_MOVE, on_event, l, &u, err);
	free(wire);
	if (rc == 0) {
		r->uidvalidity = u.uidvalidity;
		r->new_uids = u.dst;
		u.dst = NULL;
	}
	imap_uidplus_clear(&u);
	return rc;
}

struct part_sink {
	struct app_imap_live *l;
	const struct app_live_req *q;
};

static int
part_sink(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct part_sink *k = ctx;
	/* As in summary_cb: a body streaming in never waits. */
	if (qu_cancel_check(k->l->cancel, err) < 0)
		return -1;
	return k->q->sink(k->q->sink_ctx, p, n, err);
}

static bool
uids_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == ':' || *s == ',' || *s == '*'))
			return false;
	return true;
}

static int
run_op(struct app_imap_live *l, const struct app_live_req *q, struct app_live_reply *r,
       struct qu_err *err)
{
	struct imap_session *s = l->c.s;
	bool need_uids = q->op == APP_LIVE_HEADERS || q->op == APP_LIVE_STORE ||
			 q->op == APP_LIVE_COPY || q->op == APP_LIVE_MOVE;
	bool need_folder = q->op == APP_LIVE_SELECT || q->op == APP_LIVE_COPY ||
			   q->op == APP_LIVE_MOVE || q->op == APP_LIVE_APPEND;
	if ((need_uids && !uids_ok(q->uids)) || (need_folder && !q->folder) ||
	    (q->op == APP_LIVE_PART && !q->sink) || (q->op == APP_LIVE_APPEND && !q->msg))
		return qu_err_set(err, QU_E_USAGE, "%s: incomplete request",
				  app_live_op_name(q->op));
	switch (q->op) {
	case APP_LIVE_FOLDERS:
		return app_imap_folders(s, folder_cb, r, err);
	case APP_LIVE_SELECT:
		return run_select(l, q, r, err);
	case APP_LIVE_HEADERS: {
		unsigned want = 0;
		if (q->want & APP_LIVE_WANT_ENVELOPE)
			want |= IMAP_SUMMARY_ENVELOPE;
		if (q->want & APP_LIVE_WANT_STRUCTURE)
			want |= IMAP_SUMMARY_BODYSTRUCTURE;
		int rc = imap_session_fetch_summaries(s, q->uids, want, summary_cb, l, err);
		flush_batch(l);
		return rc;
	}
	case APP_LIVE_PART: {
		struct part_sink k = {l, q};
		return imap_session_fetch_part(s, q->uid, q->section ? q->section : "", part_sink,
					       &k, &r->part_size, err);
	}
	case APP_LIVE_STORE:
		return imap_session_uid_store_cond(s, q->uids, q->store_op, q->flags,
						   q->unchangedsince, on_event, l, &r->modified,
						   &r->n_modified, err);
	case APP_LIVE_COPY:
	case APP_LIVE_MOVE:
	case APP_LIVE_APPEND:
		return run_copy(l, q, r, err);
	case APP_LIVE_EXPUNGE:
		return imap_session_expunge(s, on_event, l, err);
	case APP_LIVE_IDLE:
		l->idle = q->on;
		return 0;
	case APP_LIVE_NOOP:
		return imap_session_noop_events(s, on_event, l, err);
	}
	return qu_err_set(err, QU_E_USAGE, "unknown request");
}

static void
run(struct app_imap_live *l, struct live_req *q)
{
	struct app_live_reply *r = reply_new(APP_LIVE_DONE, q->id, q->r.op);
	struct qu_err err;
	qu_err_clear(&err);
	l->cur_id = q->id;
	int rc = 0;
	if (q->r.op == APP_LIVE_IDLE) {
		l->idle = q->r.on; /* needs no connection */
	} else if (!l->up && live_connect(l, &err) < 0) {
		/* A request is the user waiting: one try now, whatever the
		 * back-off says; the error is the answer. */
		rc = -1;
	} else {
		rc = run_op(l, &q->r, r, &err);
	}
	if (rc < 0) {
		if (err.cls == QU_E_OK)
			qu_err_set(&err, QU_E_SOFTWARE, "%s failed", app_live_op_name(q->r.op));
		r->err = err;
		if (l->c.where && err.cls != QU_E_CANCELED && err.cls != QU_E_USAGE)
			qu_err_prefix(&r->err, "%s", l->c.where);
	}
	push_reply(l, r);
	l->cur_id = 0;
	if (l->up)
		note_selected(l);
	if (l->up && imap_session_broken(l->c.s))
		lost(l, &err);
	set_busy(l, false);
}

/* ---- waiting ---- */

/* Sleeps until a request comes or ms pass. */
static void
wait_requests(struct app_imap_live *l, int ms)
{
	struct pollfd p = {.fd = l->req_pipe[0], .events = POLLIN};
	while (poll(&p, 1, ms < 0 ? -1 : ms) < 0 && errno == EINTR)
		;
}

static void
wait_idle(struct app_imap_live *l)
{
	struct qu_err err;
	qu_err_clear(&err);
	if (!l->up) {
		int64_t left = l->retry_at - qu_now_ms();
		if (left > 0)
			wait_requests(l, left > INT32_MAX ? INT32_MAX : (int)left);
		else
			connect_step(l);
		return;
	}
	struct imap_session *s = l->c.s;
	bool can_idle = imap_session_has_cap(s, "IDLE") || imap_session_has_cap(s, "IMAP4rev2");
	if (l->idle && l->sel && can_idle) {
		int64_t t0 = qu_now_ms();
		int rc = imap_session_idle_run(s, l->req_pipe[0], IDLE_RENEW_MS, on_event, l, &err);
		if (rc == 0 && qu_now_ms() - t0 < 1000) {
			/* The server ended IDLE at once: no spinning on it. */
			wait_requests(l, 1000);
		}
		if (rc < 0) {
			if (imap_session_broken(s)) {
				lost(l, &err);
				return;
			}
			l->idle = false; /* refused: news by NOOP from now on */
		}
		note_selected(l);
		return;
	}
	struct pollfd p = {.fd = l->req_pipe[0], .events = POLLIN};
	int r = poll(&p, 1, NOOP_EVERY_MS);
	if (r == 0 && imap_session_noop_events(s, on_event, l, &err) < 0 &&
	    imap_session_broken(s))
		lost(l, &err);
}

static void *
owner(void *arg)
{
	struct app_imap_live *l = arg;
	connect_step(l);
	for (;;) {
		drain(l->req_pipe[0]);
		bool closing;
		struct live_req *q = take(l, &closing);
		if (q) {
			run(l, q);
			req_free(q);
			continue;
		}
		if (closing)
			break;
		wait_idle(l);
	}
	if (l->up) {
		/* A cancel fired for close must not cut the goodbye short. */
		qu_cancel_reset(l->cancel);
		app_imap_close(&l->c);
		l->up = false;
	}
	return NULL;
}

/* ---- open and close ---- */

static void
pipe_or_die(int fd[2])
{
	/* Like allocation failure: nothing sensible is left to do. */
	if (pipe(fd) < 0)
		exit(70);
	for (int i = 0; i < 2; i++) {
		fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
		fcntl(fd[i], F_SETFD, FD_CLOEXEC);
	}
}

struct app_imap_live *
app_imap_live_open(const struct cfg_account *a, const struct app_net *net, struct qu_err *err)
{
	struct cfg_url url;
	if (app_server_url(a, CFG_PROTO_IMAP, &url, err) < 0)
		return NULL;
	cfg_url_clear(&url);
	struct app_imap_live *l = xcalloc(1, sizeof *l);
	l->a = a;
	if (net)
		l->net = *net;
	l->cancel = qu_cancel_new();
	l->net.cancel = l->cancel;
	l->backoff_ms = BACKOFF_FIRST_MS;
	pipe_or_die(l->req_pipe);
	pipe_or_die(l->rep_pipe);
	pthread_mutex_init(&l->mu, NULL);
	int e = pthread_create(&l->th, NULL, owner, l);
	if (e) {
		qu_err_sys(err, QU_E_SOFTWARE, e, "starting the IMAP thread");
		pthread_mutex_destroy(&l->mu);
		close(l->req_pipe[0]);
		close(l->req_pipe[1]);
		close(l->rep_pipe[0]);
		close(l->rep_pipe[1]);
		qu_cancel_free(l->cancel);
		free(l);
		return NULL;
	}
	return l;
}

void
app_imap_live_close(struct app_imap_live *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->closing = true;
	/* Stop what runs (a request, a connect, its password command); an
	 * IDLE is ended by the wake below and logs out cleanly. */
	if (l->busy)
		qu_cancel_fire(l->cancel);
	pthread_mutex_unlock(&l->mu);
	wake(l->req_pipe[1]);
	pthread_join(l->th, NULL);
	while (l->rq_head) {
		struct live_req *q = l->rq_head;
		l->rq_head = q->next;
		req_free(q);
	}
	while (l->rp_head) {
		struct live_reply *n = l->rp_head;
		l->rp_head = n->next;
		app_live_reply_free(n->r);
		free(n);
	}
	free(l->sel);
	pthread_mutex_destroy(&l->mu);
	close(l->req_pipe[0]);
	close(l->req_pipe[1]);
	close(l->rep_pipe[0]);
	close(l->rep_pipe[1]);
	qu_cancel_free(l->cancel);
	free(l);
}
