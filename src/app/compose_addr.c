/*
 * Address completion: the addresses of the local index (senders and
 * recipients), ranked by how often and how recently they were seen, then
 * the account's query_command (mutt's format: a first line for a person,
 * then "address<TAB>name<TAB>other" lines). The command's output is
 * outside input: lines with control characters or without an address
 * are dropped, and nothing of it is run or shown raw.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "mime/mime.h"
#include "index/index.h"
#include "app/app.h"
#include "app/compose_private.h"

/* One code point folded to lower case: ASCII, Latin-1, Greek and
 * Cyrillic capitals (enough for names; CJK has no case). */
static uint32_t
fold(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
	    (c >= 0x391 && c <= 0x3A9) || (c >= 0x410 && c <= 0x42F))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F)
		return c + 0x50;
	return c;
}

/* Does s start with prefix, case folded. */
static bool
starts(const char *s, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix), i = 0, k = 0;
	while (k < pn) {
		if (i >= n)
			return false;
		uint32_t a, b;
		size_t la = qu_utf8_decode(s + i, n - i, &a);
		size_t lb = qu_utf8_decode(prefix + k, pn - k, &b);
		if (!la || !lb || fold(a) != fold(b))
			return false;
		i += la;
		k += lb;
	}
	return true;
}

/* The address, or any word of the name, starts with prefix. */
static bool
matches(const char *name, const char *addr, const char *prefix)
{
	if (!*prefix)
		return true;
	if (addr && starts(addr, strlen(addr), prefix))
		return true;
	for (const char *w = name; w && *w;) {
		if (starts(w, strlen(w), prefix))
			return true;
		size_t skip = strcspn(w, " \t.,-_\"'()");
		w += skip;
		w += strspn(w, " \t.,-_\"'()");
	}
	return false;
}

struct book {
	const char *prefix;
	int64_t now;
	struct app_addr_match *v;
	double *score;
	size_t n, alloc;
	/* Open addressing over v by address (ASCII case folded): an index
	 * holds tens of thousands of addresses. slot = index + 1, 0 empty. */
	size_t *slot;
	size_t nslot; /* a power of two, at least twice n */
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * 1099511628211ull;
	}
	return h;
}

static size_t
find(const struct book *b, const char *addr)
{
	if (!b->nslot)
		return SIZE_MAX;
	for (size_t k = hash(addr) & (b->nslot - 1);; k = (k + 1) & (b->nslot - 1)) {
		if (!b->slot[k])
			return SIZE_MAX;
		if (strcasecmp(b->v[b->slot[k] - 1].address, addr) == 0)
			return b->slot[k] - 1;
	}
}

static void
place(struct book *b, size_t i)
{
	size_t k = hash(b->v[i].address) & (b->nslot - 1);
	while (b->slot[k])
		k = (k + 1) & (b->nslot - 1);
	b->slot[k] = i + 1;
}

/* Appends a match for addr (not yet there) and returns its index. */
static size_t
add(struct book *b, char *addr)
{
	b->v = xgrow(b->v, &b->alloc, b->n + 1, sizeof *b->v);
	b->score = xrealloc(b->score, b->alloc * sizeof *b->score);
	size_t i = b->n++;
	memset(&b->v[i], 0, sizeof b->v[i]);
	b->v[i].address = addr;
	b->score[i] = 0;
	if (b->n * 2 > b->nslot) {
		free(b->slot);
		b->nslot = b->nslot ? b->nslot * 2 : 64;
		b->slot = xcalloc(b->nslot, sizeof *b->slot);
		for (size_t k = 0; k < b->n; k++)
			place(b, k);
	} else {
		place(b, i);
	}
	return i;
}

/* A message adds to an address's score by its age: 1 today, 1/2 a month
 * ago, 1/13 a year ago, so that a frequent old correspondent and a new
 * one both rank. */
static void
seen(struct book *b, const char *name, const char *addr, int64_t date)
{
	if (!addr || !*addr || !matches(name, addr, b->prefix))
		return;
	double age = date < b->now ? (double)(b->now - date) / 86400.0 : 0.0;
	size_t i = find(b, addr);
	if (i == SIZE_MAX)
		i = add(b, xstrdup(addr));
	struct app_addr_match *m = &b->v[i];
	b->score[i] += 1.0 / (1.0 + age / 30.0);
	m->count++;
	if (name && *name && (!m->name || date >= m->last)) {
		free(m->name);
		m->name = xstrdup(name);
	}
	if (date > m->last)
		m->last = date;
}

static void
seen_list(struct book *b, const char *list, int64_t date)
{
	if (!list)
		return;
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	mime_addr_list_parse(list, strlen(list), &l, NULL, NULL);
	for (size_t i = 0; i < l.n; i++)
		seen(b, l.v[i].name, l.v[i].address, date);
	mime_addr_list_clear(&l);
}

static int
on_row(void *ctx, const struct index_addr_row *r, struct qu_err *err)
{
	(void)err;
	struct book *b = ctx;
	seen(b, r->from_name, r->from_addr, r->date);
	seen_list(b, r->to_list, r->date);
	seen_list(b, r->cc_list, r->date);
	return 0;
}

static int
from_index(struct book *b, const char *db, struct qu_err *err)
{
	char *path = db ? xstrdup(db) : index_default_path(err);
	if (!path)
		return -1;
	if (access(path, F_OK) < 0) { /* no index yet: nothing to complete from */
		free(path);
		return 0;
	}
	struct index *ix = index_open(path, 0, err);
	free(path);
	if (!ix)
		return -1;
	int rc = index_addresses(ix, b->prefix, on_row, b, err);
	index_free(ix);
	return rc;
}

struct ranked {
	double score;
	struct app_addr_match m;
};

static int
by_rank(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;
	if (a->score > b->score + 1e-9)
		return -1;
	if (b->score > a->score + 1e-9)
		return 1;
	if (a->m.last != b->m.last)
		return a->m.last > b->m.last ? -1 : 1;
	return strcmp(a->m.address, b->m.address);
}

/* Sorts by score, then recency, then address; keeps the first max. */
static void
rank(struct book *b, size_t max)
{
	struct ranked *r = xcalloc(b->n + 1, sizeof *r);
	for (size_t i = 0; i < b->n; i++)
		r[i] = (struct ranked){b->score[i], b->v[i]};
	qsort(r, b->n, sizeof *r, by_rank);
	for (size_t i = 0; i < b->n; i++) {
		b->v[i] = r[i].m;
		b->score[i] = r[i].score;
	}
	free(r);
	while (b->n > max) {
		b->n--;
		free(b->v[b->n].name);
		free(b->v[b->n].address);
		free(b->v[b->n].other);
	}
	if (b->nslot)
		memset(b->slot, 0, b->nslot * sizeof *b->slot);
	for (size_t i = 0; i < b->n; i++)
		place(b, i);
}

/* ---- query_command --------------------------------------------------- */

static char *
shell_quote(const char *s)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_byte(&b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			qu_buf_append_str(&b, "'\\''");
		else
			qu_buf_append_byte(&b, *s);
	}
	qu_buf_append_byte(&b, '\'');
	return qu_buf_steal(&b, NULL);
}

/* The command with %s as the quoted prefix (appended when it has none). */
static char *
query_cmd(const char *fmt, const char *prefix)
{
	char *q = shell_quote(prefix);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	bool used = false;
	for (const char *c = fmt; *c; c++) {
		if (c[0] == '%' && c[1] == 's') {
			qu_buf_append_str(&b, q);
			used = true;
			c++;
		} else {
			qu_buf_append_byte(&b, *c);
		}
	}
	if (!used)
		qu_buf_printf(&b, " %s", q);
	free(q);
	return qu_buf_steal(&b, NULL);
}

static bool
clean(const char *p, size_t n)
{
	if (!qu_utf8_valid(p, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* One "addr\tname\tother" line into b (first line excepted). */
static void
query_line(struct book *b, const char *l, size_t n)
{
	const char *f[3] = {0};
	size_t fl[3] = {0};
	size_t k = 0;
	for (size_t i = 0, start = 0; i <= n && k < 3; i++) {
		if (i == n || l[i] == '\t') {
			f[k] = l + start;
			fl[k++] = i - start;
			start = i + 1;
		}
	}
	for (size_t i = 0; i < k; i++)
		if (!clean(f[i], fl[i]))
			return;
	if (!fl[0] || !memchr(f[0], '@', fl[0]) || memchr(f[0], ' ', fl[0]) || fl[0] > 254)
		return;
	char *addr = xstrndup(f[0], fl[0]);
	if (find(b, addr) != SIZE_MAX) {
		free(addr);
		return;
	}
	size_t i = add(b, addr); /* b->v may move */
	struct app_addr_match *m = &b->v[i];
	m->name = k > 1 && fl[1] ? xstrndup(f[1], fl[1]) : NULL;
	m->other = k > 2 && fl[2] ? xstrndup(f[2], fl[2]) : NULL;
	m->from_query = true;
}

static int
from_query(struct book *b, const struct app_addr_opts *o, struct qu_err *err)
{
	char *cmd = query_cmd(o->account->query_command, b->prefix);
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	int rc = compose_run("query_command", cmd, o->timeout_ms, o->cancel, &out, err);
	free(cmd);
	size_t pos = 0, line = 0;
	while (rc == 0 && pos < out.len) {
		const char *nl = memchr(out.data + pos, '\n', out.len - pos);
		size_t end = nl ? (size_t)(nl - out.data) : out.len, len = end - pos;
		if (len && out.data[end - 1] == '\r')
			len--;
		if (line++ > 0 && len)
			query_line(b, out.data + pos, len);
		pos = end + 1;
	}
	qu_buf_clear(&out);
	return rc;
}

int
app_addr_complete(const char *prefix, const struct app_addr_opts *o, struct app_addr_match **out,
		  size_t *n, struct qu_err *err)
{
	struct book b = {.prefix = prefix ? prefix : "", .now = (int64_t)time(NULL)};
	size_t max = o && o->max ? o->max : 50;
	int rc = from_index(&b, o ? o->db : NULL, err);
	if (rc == 0)
		rank(&b, max);
	if (rc == 0 && o && o->account && o->account->query_command && b.n < max) {
		rc = from_query(&b, o, err);
		while (b.n > max) {
			b.n--;
			free(b.v[b.n].name);
			free(b.v[b.n].address);
			free(b.v[b.n].other);
		}
	}
	free(b.score);
	free(b.slot);
	*out = b.v;
	*n = b.n;
	return rc;
}

void
app_addr_matches_free(struct app_addr_match *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].address);
		free(v[i].other);
	}
	free(v);
}
