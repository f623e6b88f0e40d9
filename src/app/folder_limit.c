/*
 * Limit and search over a big folder on a worker (SPEC §8: the UI never
 * waits on a long job): the pattern is matched against a copy of the
 * view's messages taken on the view's thread, and the answer, one bit a
 * message, is given back to the view on its thread again.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"
#include "app/folder_private.h"

/* The view's strings, kept alive for the jobs that read them: a view
 * freed while a job runs hands its blocks here, and the last one out
 * frees them. */
struct app_pin {
	atomic_int refs;
	struct app_strs strs;
};

/* What a pattern reads of a message (app_pattern_match), a third of a
 * struct app_msg: the copy the UI thread makes costs it that much less. */
struct limit_msg {
	const char *path, *subject, *from_name, *from_addr, *to_addr, *cc_addr;
	unsigned flags;
};

struct app_limit {
	const struct app_view *view; /* compared, never read off its thread */
	char *pattern;
	struct app_pattern *pat;     /* NULL: everything matches */
	struct limit_msg *msgs;      /* a copy; strings in the view's blocks */
	size_t n;
	uint8_t *hits;
	unsigned *flags;             /* each message's flags when copied: msgs
	                              * is freed when the run ends */
	struct app_pin *pin;
	bool done;
};

void
app_pin_release(struct app_pin *p, struct app_strs *strs)
{
	if (!p)
		return;
	/* Only the view's thread adds to the blocks; a job never does. */
	if (strs)
		app_strs_move(&p->strs, strs);
	if (atomic_fetch_sub(&p->refs, 1) == 1) {
		app_strs_clear(&p->strs);
		free(p);
	}
}

static bool
is_all(const char *s)
{
	return !s || !*s || strcmp(s, "all") == 0 || strcmp(s, "~A") == 0 || strcmp(s, ".") == 0;
}

struct app_limit *
app_limit_new(struct app_view *f, const char *pattern, struct qu_err *err)
{
	struct app_pattern *p = NULL;
	if (!is_all(pattern) && !(p = app_pattern_parse(pattern, err)))
		return NULL;
	if (!f->pin) {
		f->pin = xcalloc(1, sizeof *f->pin);
		atomic_init(&f->pin->refs, 1); /* the view's */
	}
	atomic_fetch_add(&f->pin->refs, 1);
	struct app_limit *l = xcalloc(1, sizeof *l);
	l->view = f;
	l->pattern = is_all(pattern) ? NULL : xstrdup(pattern);
	l->pat = p;
	l->pin = f->pin;
	l->n = f->n;
	l->msgs = xmalloc((f->n + 1) * sizeof *l->msgs);
	l->flags = xmalloc((f->n + 1) * sizeof *l->flags);
	for (size_t i = 0; i < f->n; i++) {
		const struct app_msg *m = &f->msgs[i];
		l->msgs[i] = (struct limit_msg){m->path, m->subject, m->from_name, m->from_addr,
			m->to_addr, m->cc_addr, m->flags};
		l->flags[i] = m->flags;
	}
	l->hits = xcalloc(f->n + 1, 1);
	return l;
}

/* The job's answer for message slot i of f, or the message matched again
 * here when its flags changed since the copy (read, flagged, deleted
 * while the job ran: ~N, ~F and ~D must see the flags shown now). */
static bool
answer(const struct app_view *f, const struct app_limit *l, size_t i)
{
	if (l->flags[i] != f->msgs[i].flags)
		return !l->pat || app_pattern_match(l->pat, &f->msgs[i]);
	return l->hits[i];
}

int
app_limit_run(struct app_limit *l, const struct qu_cancel *cancel, struct qu_err *err)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i % 4096 == 0 && qu_cancel_check(cancel, err) < 0)
			return -1;
		const struct limit_msg *c = &l->msgs[i];
		struct app_msg m = {.path = (char *)c->path, .subject = (char *)c->subject,
			.from_name = (char *)c->from_name, .from_addr = (char *)c->from_addr,
			.to_addr = (char *)c->to_addr, .cc_addr = (char *)c->cc_addr,
			.flags = c->flags};
		l->hits[i] = !l->pat || app_pattern_match(l->pat, &m);
	}
	/* The copy's strings are not read again. */
	free(l->msgs);
	l->msgs = NULL;
	l->done = true;
	return 0;
}

void
app_limit_free(struct app_limit *l)
{
	if (!l)
		return;
	app_pin_release(l->pin, NULL);
	app_pattern_free(l->pat);
	free(l->pattern);
	free(l->msgs);
	free(l->hits);
	free(l->flags);
	free(l);
}

bool
app_view_limit_apply(struct app_view *f, struct app_limit *l)
{
	if (l->view != f || !l->done) {
		app_limit_free(l);
		return false;
	}
	/* The answer stands for the messages it saw as they were; those
	 * whose flags changed since are matched again, those added since
	 * are matched by the refresh, and later refreshes match again as
	 * before. */
	for (size_t i = 0; i < l->n && i < f->n; i++)
		l->hits[i] = answer(f, l, i);
	app_pattern_free(f->limit_pat);
	free(f->limit);
	f->limit_pat = l->pat;
	f->limit = l->pattern;
	l->pat = NULL;
	l->pattern = NULL;
	f->limit_hits = l->hits;
	f->nlimit_hits = l->n;
	l->hits = NULL;
	app_view_relimit(f);
	free(f->limit_hits);
	f->limit_hits = NULL;
	f->nlimit_hits = 0;
	app_limit_free(l);
	return true;
}

size_t
app_view_search_limit(const struct app_view *f, const struct app_limit *l, size_t from,
	bool forward)
{
	size_t n = f->nshown, hit = SIZE_MAX;
	if (l->view != f || !l->done)
		return SIZE_MAX;
	for (size_t k = 1; k <= n && hit == SIZE_MAX; k++) {
		size_t i = forward ? (from + k) % n : (from + n - k % n) % n;
		size_t slot = f->shown[i];
		if (slot < l->n ? answer(f, l, slot) : !l->pat || app_pattern_match(l->pat, &f->msgs[slot]))
			hit = i;
	}
	return hit;
}
