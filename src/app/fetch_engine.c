/*
 * The crash-safe fetch protocol of SPEC §5, written once for `quail fetch
 * --pop3` (fetch_pop3.c) and `quail fetch --imap` (fetch_imap.c).
 *
 * What a journal says about each message is held in a set of keys: a key
 * is a byte string naming one message of the server (POP3: its unique-id;
 * IMAP: its UID within the folder whose set it is), pending ("P": it may
 * be committed from now on) or done ("C": it is stored, with the file's
 * path). The protocols read and write their own journal lines; the set
 * only answers what is known.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/private.h"

/* ---- the set of keys ------------------------------------------------- */

static uint64_t
hash_key(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Open addressing with linear probing: the slot of key, or the free slot
 * where it would go. */
static struct app_fetch_key *
key_slot(struct app_fetch_key *v, size_t cap, const char *key, size_t len)
{
	size_t i = (size_t)hash_key(key, len) & (cap - 1);
	while (v[i].key && !(v[i].len == len && memcmp(v[i].key, key, len) == 0))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

struct app_fetch_key *
app_fetch_keys_find(const struct app_fetch_keys *s, const char *key, size_t len)
{
	if (!s->cap)
		return NULL;
	struct app_fetch_key *e = key_slot(s->v, s->cap, key, len);
	return e->key ? e : NULL;
}

struct app_fetch_key *
app_fetch_keys_add(struct app_fetch_keys *s, const char *key, size_t len, bool *added)
{
	/* Grows at half full: probes stay short. */
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct app_fetch_key *v = xcalloc(cap, sizeof *v);
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i].key)
				*key_slot(v, cap, s->v[i].key, s->v[i].len) = s->v[i];
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	struct app_fetch_key *e = key_slot(s->v, s->cap, key, len);
	if (added)
		*added = !e->key;
	if (!e->key) {
		*e = (struct app_fetch_key){.key = xstrndup(key, len), .len = len,
					    .state = APP_KEY_PENDING};
		s->n++;
	}
	return e;
}

void
app_fetch_key_done(struct app_fetch_key *e, const char *rel, size_t rn)
{
	e->state = APP_KEY_DONE;
	free(e->rel);
	e->rel = xstrndup(rel, rn);
}

const char **
app_fetch_keys_claimed(const struct app_fetch_keys *s, size_t *n)
{
	const char **v = xcalloc(s->n + 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].key && s->v[i].state == APP_KEY_DONE && s->v[i].rel)
			v[(*n)++] = s->v[i].rel;
	return v;
}

void
app_fetch_keys_clear(struct app_fetch_keys *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		free(s->v[i].key);
		free(s->v[i].rel);
	}
	free(s->v);
	memset(s, 0, sizeof *s);
}
