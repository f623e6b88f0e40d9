/*
 * `quail scan` (SPEC §6): one index entry per message, from its header
 * block only. A Maildir file is read in its first HEAD_READ bytes, and
 * more only when its header is longer; an mbox is split as it is read.
 */
#include <ctype.h>
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

/* True when s could pass for an address: it has an at sign (also the
 * fullwidth and small forms) or a domain-like word ("paypal.com": a dot
 * between letters or digits, then two or more letters). */
static bool
looks_like_address(const char *s)
{
	if (strchr(s, '@') || strstr(s, "\xef\xbc\xa0") || strstr(s, "\xef\xb9\xab"))
		return true;
	for (const char *d = strchr(s, '.'); d; d = strchr(d + 1, '.')) {
		if (d == s || !isalnum((unsigned char)d[-1]))
			continue;
		size_t n = 0;
		while (isalpha((unsigned char)d[1 + n]))
			n++;
		if (n >= 2 && !isalnum((unsigned char)d[1 + n]) && d[1 + n] != '_')
			return true;
	}
	return false;
}

/* The sender as scan shows it (SPEC §6): the display name, but never a
 * name that looks like an address without the real address, which comes
 * first so that no cut of the column can leave only the name. Returns
 * what to show; *own is what the caller frees. */
static const char *
sender_of(const struct mime_addr *a, char **own)
{
	*own = NULL;
	if (!a->name || !*a->name)
		return a->address;
	if (!a->address || !*a->address || !looks_like_address(a->name))
		return a->name;
	*own = xasprintf("%s (%s)", a->address, a->name);
	return *own;
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
	char *own = NULL;
	if (env->from.n)
		e.sender = sender_of(&env->from.v[0], &own);
	fn(ctx, &e);
	free(own);
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
