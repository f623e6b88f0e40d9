/*
 * `quail scan` (SPEC §6): one index entry per message, from its header
 * block only. A Maildir file is read in its first HEAD_READ bytes, and
 * more only when its header is longer; an mbox is split as it is read.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "store/store.h"
#include "app/app.h"
#include "app/mail_private.h"

/* Most header blocks fit; Received chains and DKIM signatures make them
 * a few KB. */
#define HEAD_READ ((size_t)16 << 10)
#define HEAD_MAX ((size_t)64 << 20)

/* The header block of an item into *p, *n (a Maildir file: its first
 * part, read again larger until the block ends). */
static int
head_of(struct app_reader *r, const struct app_source_item *item, struct mime_envelope *env,
	struct qu_err *err)
{
	if (item->p) {
		mime_envelope_parse(item->p, item->n, env, &r->cache, NULL, NULL);
		return 0;
	}
	for (size_t max = HEAD_READ;; max *= 4) {
		bool whole, ended;
		if (app_read_file(item->path, &r->msg, max, &whole, err) < 0)
			return -1;
		const char *p = r->msg.data ? r->msg.data : "";
		size_t n = r->msg.len;
		mime_envelope_parse(p, n, env, &r->cache, NULL, &ended);
		if (ended || whole || max >= HEAD_MAX)
			return 0;
		mime_envelope_clear(env);
	}
}

static void
emit(const struct mime_envelope *env, size_t index, app_scan_fn fn, void *ctx)
{
	char date[11];
	struct app_scan_entry e = {.number = index + 1, .subject = env->subject};
	if (env->date) {
		memcpy(date, env->date, 10);
		date[10] = '\0';
		e.date = date;
	}
	if (env->from.n) {
		const struct mime_addr *a = &env->from.v[0];
		e.sender = a->name ? a->name : a->address;
	}
	fn(ctx, &e);
}

int
app_scan(const char *path, const struct qu_cancel *cancel, app_scan_fn fn, void *ctx,
	 struct qu_err *err)
{
	struct app_source s;
	if (app_source_open(path, &s, err) < 0)
		return -1;
	struct app_reader *r = app_reader_new();
	struct app_source_item item;
	struct mime_envelope env;
	mime_envelope_init(&env);
	int rc = 0;
	while (rc == 0 && (rc = qu_cancel_check(cancel, err)) == 0 && app_source_next(&s, &item)) {
		rc = head_of(r, &item, &env, err);
		if (rc == 0)
			emit(&env, item.index, fn, ctx);
		else if (app_item_gone(&item))
			rc = 0; /* a Maildir file moved away since the listing */
		mime_envelope_clear(&env);
		app_source_release(&s, s.frontier);
	}
	app_reader_free(r);
	app_source_close(&s);
	return rc;
}
