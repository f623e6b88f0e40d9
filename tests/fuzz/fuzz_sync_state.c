/*
 * The state file of `quail sync` (src/app/sync_state.c): lines as a
 * damaged or hand-edited file may hold them. Whatever is read, the entries
 * stay sorted by UID, unique, with a plain unique name (no '/', no NUL),
 * and writing an entry and reading it back gives the same entry. The
 * same bytes as a record of the Maildir's directories or as the summary of
 * a state file round-trip too, and as a VANISHED UID set give sound
 * ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/sync_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(struct app_sync_state *st)
{
	for (size_t i = 0; i < st->n; i++) {
		const struct app_sync_entry *e = &st->v[i];
		if (!e->uid || (i && st->v[i - 1].uid >= e->uid) || !e->name[0] || strchr(e->name, '/'))
			abort();
		if (e->flags & ~app_sync_flag_mask())
			abort();
		/* round trip through a line */
		struct app_sync_state t;
		memset(&t, 0, sizeof t);
		if (app_sync_state_line(&t, "V 1", 3) < 0)
			abort();
		struct qu_buf b;
		qu_buf_init(&b, SIZE_MAX);
		app_sync_line_m(&b, e->uid, e->flags, e->name, strlen(e->name));
		if (app_sync_state_line(&t, b.data, b.len) < 0 || t.n != 1 || t.v[0].uid != e->uid ||
		    t.v[0].flags != e->flags || strcmp(t.v[0].name, e->name) != 0)
			abort();
		qu_buf_clear(&b);
		app_sync_state_clear(&t);
	}
}

static bool
summary_same(const struct app_sync_summary *a, const struct app_sync_summary *b)
{
	return a->uidvalidity == b->uidvalidity && a->uidnext == b->uidnext &&
	       a->modseq == b->modseq && a->n == b->n && a->sum == b->sum &&
	       a->id.ok == b->id.ok && a->id.dev == b->id.dev && a->id.ino == b->id.ino &&
	       a->id.size == b->id.size && a->id.mtime_sec == b->id.mtime_sec &&
	       a->id.mtime_nsec == b->id.mtime_nsec && a->id.ctime_sec == b->id.ctime_sec &&
	       a->id.ctime_nsec == b->id.ctime_nsec;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_sync_state st;
	memset(&st, 0, sizeof st);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *q = p;
		while (q < end && *q != '\n' && *q != '\t')
			q++;
		(void)app_sync_state_line(&st, p, (size_t)(q - p));
		p = q + (q < end);
	}
	check(&st);
	/* The record of the Maildir's directories: what parses formats back
	 * to a record that parses the same. */
	struct app_sync_dirs_rec r, r2;
	if (app_sync_dirs_parse((const char *)data, size, &r) == 0) {
		struct qu_buf b;
		qu_buf_init(&b, SIZE_MAX);
		app_sync_dirs_format(&b, &r);
		if (app_sync_dirs_parse(b.data, b.len, &r2) < 0 || !app_sync_dirs_rec_same(&r, &r2))
			abort();
		qu_buf_clear(&b);
	}
	/* ... and as the summary of a state file. */
	struct app_sync_summary sm, sm2;
	if (app_sync_summary_parse((const char *)data, size, &sm) == 0) {
		struct qu_buf b;
		qu_buf_init(&b, SIZE_MAX);
		app_sync_summary_format(&b, &sm);
		if (app_sync_summary_parse(b.data, b.len, &sm2) < 0 || !summary_same(&sm, &sm2))
			abort();
		qu_buf_clear(&b);
	}
	/* The same bytes as a VANISHED UID set: ranges of non-zero UIDs. */
	char *z = xstrndup((const char *)data, size);
	struct app_sync_range *v;
	size_t n;
	if (app_sync_uidset_parse(z, &v, &n) == 0) {
		if (!n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!v[i].lo || v[i].lo > v[i].hi || !app_sync_in_ranges(v, n, v[i].hi))
				abort();
		free(v);
	}
	free(z);
	/* ... and as a message: a Message-ID fit to quote, or none. */
	char *mid = app_sync_message_id((const char *)data, size);
	if (mid) {
		size_t k = strlen(mid);
		if (k < 3 || k > 250 || mid[0] != '<' || mid[k - 1] != '>' || strpbrk(mid, "\"\\ \r\n"))
			abort();
		free(mid);
	}
	app_sync_state_clear(&st);
	return 0;
}
