/*
 * The UI's workers: a few threads that run the slow app calls, each
 * request with its own cancel handle, and post typed results back to the
 * UI thread through a queue and one byte on the wake pipe (the model is
 * aerc's worker messages: a result carries the id of the request that
 * asked, and a request nobody waits for any more is canceled, not
 * awaited).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "ui/private.h"

#define POOL_MAX 4

struct ui_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t threads[POOL_MAX];
	unsigned n;
	int wake_fd;
	bool stopping;
	uint64_t next_req;
	struct ui_job *queue, *queue_tail;
	struct ui_job *running[POOL_MAX];
	struct ui_msg *done, *done_tail;
};

static void
job_free(struct ui_job *j)
{
	if (!j)
		return;
	qu_cancel_free(j->cancel);
	qu_buf_clear(&j->bytes);
	for (size_t i = 0; i < 2 * j->nrenames; i++)
		free(j->renames[i]);
	free(j->renames);
	for (size_t i = 0; i < j->nnames; i++)
		free(j->names[i]);
	free(j->names);
	free(j->path);
	if (j->folders) /* folders */
		app_local_folders_clear(j->folders);
	free(j->folders);
	free(j->cmd); /* attachments: a viewer that never ran */
	app_limit_free(j->limit); /* limit on a worker: one that never ran */
	free(j);
}

void
ui_msg_free(struct ui_msg *m)
{
	if (!m)
		return;
	if (m->kind == UI_MSG_BATCH)
		app_view_batch_free(m->payload);
	else if ((m->kind == UI_MSG_LOADED || m->kind == UI_MSG_VIEWED) && m->payload) {
		qu_buf_clear(m->payload);
		free(m->payload);
	} else if (m->kind == UI_MSG_OPS) { /* move, copy, expunge */
		app_ops_free(m->payload);
	} else if (m->kind == UI_MSG_FTS) { /* limit, search through the index */
		app_match_free(m->payload);
	} else if (m->kind == UI_MSG_LIMIT) { /* limit, search on a worker */
		app_limit_free(m->payload);
	} else if (m->kind == UI_MSG_ADDRS) { /* writing mail: completions */
		ui_addr_found_free(m->payload);
	} else if (m->kind == UI_MSG_SYNCED) { /* background sync */
		ui_sync_payload_free(m->payload);
	} else if (m->kind == UI_MSG_INDEXED) { /* the index after quitting */
		free(m->payload);
	} else if (m->kind == UI_MSG_FOLDERS && m->payload) { /* folders */
		app_local_folders_clear(m->payload);
		free(m->payload);
	}
	free(m);
}

struct worker_arg {
	struct ui_pool *p;
	unsigned slot;
};

static void *
worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct ui_pool *p = wa->p;
	unsigned slot = wa->slot;
	free(wa);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->queue && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping)
			break;
		struct ui_job *j = p->queue;
		p->queue = j->next;
		if (!p->queue)
			p->queue_tail = NULL;
		p->running[slot] = j;
		pthread_mutex_unlock(&p->mu);
		j->run(j);
		pthread_mutex_lock(&p->mu);
		p->running[slot] = NULL;
		job_free(j);
		/* Wake the UI so that it sees the pool idle (progress ends). */
		if (write(p->wake_fd, "j", 1) < 0 && errno != EAGAIN) {
			/* the UI reads the queue on its next wake-up anyway */
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct ui_pool *
ui_pool_new(unsigned n, int wake_fd)
{
	struct ui_pool *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->wake_fd = wake_fd;
	p->next_req = 1;
	if (n > POOL_MAX)
		n = POOL_MAX;
	/* Signals go to the UI thread's self-pipe only: the workers block
	 * them all, so a SIGWINCH never interrupts a read on a worker. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < n; i++) {
		struct worker_arg *wa = xmalloc(sizeof *wa);
		*wa = (struct worker_arg){p, i};
		if (pthread_create(&p->threads[i], NULL, worker_main, wa) != 0) {
			free(wa);
			break;
		}
		p->n++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p;
}

void
ui_pool_free(struct ui_pool *p)
{
	if (!p)
		return;
	ui_pool_cancel(p, 0);
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	while (p->queue) {
		struct ui_job *j = p->queue;
		p->queue = j->next;
		job_free(j);
	}
	for (struct ui_msg *m = p->done; m;) {
		struct ui_msg *next = m->next;
		ui_msg_free(m);
		m = next;
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

uint64_t
ui_pool_submit(struct ui_pool *p, struct ui_job *j)
{
	j->pool = p;
	if (!j->cancel)
		j->cancel = qu_cancel_new();
	pthread_mutex_lock(&p->mu);
	j->req = p->next_req++;
	j->next = NULL;
	if (p->queue_tail)
		p->queue_tail->next = j;
	else
		p->queue = j;
	p->queue_tail = j;
	uint64_t req = j->req;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return req;
}

void
ui_pool_cancel(struct ui_pool *p, uint64_t req)
{
	pthread_mutex_lock(&p->mu);
	for (struct ui_job *j = p->queue; j; j = j->next)
		if (!req || j->req == req)
			qu_cancel_fire(j->cancel);
	for (unsigned i = 0; i < p->n; i++)
		if (p->running[i] && (!req || p->running[i]->req == req))
			qu_cancel_fire(p->running[i]->cancel);
	pthread_mutex_unlock(&p->mu);
}

void
ui_pool_post(struct ui_pool *p, struct ui_msg *m)
{
	m->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->done_tail)
		p->done_tail->next = m;
	else
		p->done = m;
	p->done_tail = m;
	pthread_mutex_unlock(&p->mu);
	/* The pipe is non-blocking: when it is full the UI is awake already. */
	if (write(p->wake_fd, "m", 1) < 0 && errno != EAGAIN) {
		/* nothing better to do: the queue is read on the next wake-up */
	}
}

struct ui_msg *
ui_pool_take(struct ui_pool *p)
{
	pthread_mutex_lock(&p->mu);
	struct ui_msg *m = p->done;
	p->done = p->done_tail = NULL;
	pthread_mutex_unlock(&p->mu);
	return m;
}

bool
ui_pool_busy(struct ui_pool *p)
{
	pthread_mutex_lock(&p->mu);
	bool busy = p->queue != NULL;
	for (unsigned i = 0; i < p->n && !busy; i++)
		busy = p->running[i] != NULL;
	pthread_mutex_unlock(&p->mu);
	return busy;
}
