/*
 * Committing Maildir deliveries on worker threads, shared by every fetch.
 *
 * maildir_delivery_commit is two fsyncs and a rename. One after another
 * they cost a disk flush each; issued from several threads at once the
 * file system commits them together, which is what makes a fetch with an
 * fsync per message fast. The fetching thread keeps the network and the
 * journal; workers only commit. Only the fetching thread begins deliveries
 * on the shared struct maildir (its name counter); a commit touches it only
 * when the new name is already taken, which names unique to this process
 * rule out.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "store/store.h"
#include "app/app.h"
#include "app/private.h"

static void *
worker(void *arg)
{
	struct app_commit_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->qlen && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (!p->qlen)
			break;
		struct app_commit_job *j = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % APP_COMMIT_QUEUE;
		p->qlen--;
		pthread_mutex_unlock(&p->mu);
		/* Canceled: the rest is left uncommitted (the tmp/ file goes);
		 * its P entry makes the next run fetch it again. */
		if (qu_cancel_fired(p->cancel)) {
			j->rc = qu_err_canceled(&j->err);
			maildir_delivery_abort(j->d);
		} else {
			j->rc = maildir_delivery_commit(j->d, j->flags[0] ? j->flags : NULL, j->seen,
							&j->rel, &j->err);
		}
		j->d = NULL;
		pthread_mutex_lock(&p->mu);
		p->fin[p->nfin++] = j;
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
app_commit_pool_start(struct app_commit_pool *p, const struct qu_cancel *cancel,
		      struct qu_err *err)
{
	memset(p, 0, sizeof *p);
	p->cancel = cancel;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (; p->nth < APP_COMMIT_THREADS; p->nth++) {
		if (pthread_create(&p->th[p->nth], NULL, worker, p) != 0) {
			if (p->nth)
				break; /* fewer workers is only slower */
			return qu_err_set(err, QU_E_SOFTWARE, "cannot start a thread");
		}
	}
	p->started = true;
	return 0;
}

void
app_commit_pool_submit(struct app_commit_pool *p, struct app_commit_job *j)
{
	pthread_mutex_lock(&p->mu);
	p->queue[(p->qhead + p->qlen) % APP_COMMIT_QUEUE] = j;
	p->qlen++;
	p->in_flight++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

size_t
app_commit_pool_collect(struct app_commit_pool *p, struct app_commit_job **out, bool wait)
{
	pthread_mutex_lock(&p->mu);
	while (wait && p->nfin == 0 && p->in_flight > 0)
		pthread_cond_wait(&p->done, &p->mu);
	size_t n = p->nfin;
	memcpy(out, p->fin, n * sizeof *out);
	p->nfin = 0;
	p->in_flight -= n;
	pthread_mutex_unlock(&p->mu);
	return n;
}

size_t
app_commit_pool_in_flight(struct app_commit_pool *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->in_flight;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
app_commit_pool_stop(struct app_commit_pool *p)
{
	if (!p->started)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	p->nth = 0;
	p->started = false;
}

void
app_commit_job_free(struct app_commit_job *j)
{
	maildir_delivery_abort(j->d);
	free(j->rel);
	free(j);
}

void
app_commit_gather(struct app_commit_pool *p, struct app_commit_ready *r, bool wait)
{
	size_t got = app_commit_pool_collect(p, r->v + r->n, wait);
	for (size_t k = r->n; k < r->n + got; k++) {
		if (r->v[k]->rc < 0 && !r->failed) {
			r->failed = true;
			r->err = r->v[k]->err;
		}
	}
	r->n += got;
}

int
app_commit_hand(struct app_commit_pool *p, struct app_commit_ready *r, struct app_commit_job *j,
		int (*sync)(void *ctx, struct qu_err *err), void *ctx, struct qu_err *err)
{
	if (r->n + app_commit_pool_in_flight(p) >= APP_COMMIT_QUEUE - 1) {
		/* Full: wait for a commit, and journal what is done. */
		app_commit_gather(p, r, true);
		if (sync(ctx, err) < 0) {
			app_commit_job_free(j);
			return -1;
		}
	}
	if (j->already)
		r->v[r->n++] = j;
	else
		app_commit_pool_submit(p, j);
	app_commit_gather(p, r, false);
	if (r->n >= APP_COMMIT_QUEUE / 3)
		return sync(ctx, err);
	return 0;
}

int
app_commit_settle(struct app_commit_ready *r, int rc,
		  void (*done)(void *ctx, const struct app_commit_job *j), void *ctx,
		  struct app_fetch_result *res, struct qu_err *err)
{
	for (size_t k = 0; k < r->n; k++) {
		struct app_commit_job *j = r->v[k];
		if (rc == 0 && j->rc == 0) {
			done(ctx, j);
			if (j->already) {
				res->already++;
			} else {
				res->messages++;
				res->bytes += j->size;
			}
		}
		app_commit_job_free(j);
	}
	r->n = 0;
	if (rc == 0 && r->failed) {
		*err = r->err;
		return -1;
	}
	return rc;
}

void
app_commit_ready_clear(struct app_commit_ready *r)
{
	for (size_t k = 0; k < r->n; k++)
		app_commit_job_free(r->v[k]);
	r->n = 0;
	r->failed = false;
}
