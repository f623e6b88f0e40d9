/*
 * `quail sync`: the state of one folder pair in DIR/.quail/ (the format is
 * described in sync_private.h). The file is a store journal: each step of a
 * run is one durable append, and the end of a run compacts it (a temporary
 * file, fsync, rename), so a kill at any point leaves the old or the new
 * state, plus the steps already done.
 */
#include <stdio.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "app/sync_private.h"

#define HEADER "quail-sync 1"
#define DIRS_HEADER "quail-sync-dirs 1"
/* The coarsest ctime tick among common file systems (FAT: 2 s). */
#define DIRS_GRAIN 2

static bool
name_byte_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

char *
app_sync_state_name(const char *folder, size_t n)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, "sync-");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)folder[i];
		if (name_byte_plain(c))
			qu_buf_append_byte(&b, (char)c);
		else
			qu_buf_printf(&b, "%%%02X", c);
	}
	return qu_buf_steal(&b, NULL);
}

/* A unique name in a line: printable ASCII but space and '%' as is. */
static void
name_encode(struct qu_buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c > ' ' && c < 0x7f && c != '%')
			qu_buf_append_byte(b, (char)c);
		else
			qu_buf_printf(b, "%%%02X", c);
	}
}

/* Decodes %XX in place; -1 on a bad escape or a NUL or '/'. */
static int
name_decode(char *s, size_t *len)
{
	size_t o = 0, n = *len;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int h = qu_hex_val(s[i + 1]), l = qu_hex_val(s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = (char)(h * 16 + l);
			i += 2;
		}
		if (c == '\0' || c == '/')
			return -1;
		s[o++] = c;
	}
	s[o] = '\0';
	*len = o;
	return o ? 0 : -1;
}

void
app_sync_line_m(struct qu_buf *b, uint32_t uid, unsigned flags, const char *name, size_t name_len)
{
	char fl[7];
	maildir_flags_format(flags, fl);
	qu_buf_printf(b, "M %u %s ", (unsigned)uid, fl[0] ? fl : "-");
	name_encode(b, name, name_len);
}

static bool file_id(const char *dir, const char *sname, struct app_sync_file_id *id);
static bool file_id_same(const struct app_sync_file_id *a, const struct app_sync_file_id *b);

static int
cmp_entry(const void *a, const void *b)
{
	const struct app_sync_entry *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

struct app_sync_entry *
app_sync_state_find(struct app_sync_state *st, uint32_t uid)
{
	if (!st->n)
		return NULL; /* bsearch wants a base even for no elements */
	struct app_sync_entry key = {.uid = uid};
	/* Kept sorted by uid: entries are added in ascending order by a run
	 * (UIDs grow) and re-sorted when one is not. */
	return bsearch(&key, st->v, st->n, sizeof *st->v, cmp_entry);
}

void
app_sync_state_set(struct app_sync_state *st, uint32_t uid, unsigned flags, const char *name,
		   size_t name_len)
{
	struct app_sync_entry *e = app_sync_state_find(st, uid);
	if (!e) {
		st->v = xgrow(st->v, &st->cap, st->n + 1, sizeof *st->v);
		e = &st->v[st->n++];
		*e = (struct app_sync_entry){.uid = uid};
		if (st->n > 1 && st->v[st->n - 2].uid > uid) {
			qsort(st->v, st->n, sizeof *st->v, cmp_entry);
			e = app_sync_state_find(st, uid);
		}
	}
	if (!e->name || strlen(e->name) != name_len || memcmp(e->name, name, name_len) != 0) {
		free(e->name);
		e->name = xstrndup(name, name_len);
	}
	e->flags = flags & app_sync_flag_mask();
}

void
app_sync_state_drop(struct app_sync_state *st, uint32_t uid)
{
	struct app_sync_entry *e = app_sync_state_find(st, uid);
	if (!e)
		return;
	free(e->name);
	size_t i = (size_t)(e - st->v);
	memmove(e, e + 1, (st->n - i - 1) * sizeof *e);
	st->n--;
}

static void
entries_clear(struct app_sync_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->v[i].name);
	st->n = 0;
}

void
app_sync_state_clear(struct app_sync_state *st)
{
	entries_clear(st);
	free(st->v);
	memset(st, 0, sizeof *st);
}

static bool
word_u64(const char **p, const char *end, uint64_t max, uint64_t *v)
{
	while (*p < end && **p == ' ')
		(*p)++;
	const char *s = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	return s < *p && qu_parse_u64(s, (size_t)(*p - s), max, v) == 0;
}

static int
parse_m(struct app_sync_state *st, const char *p, const char *end)
{
	uint64_t uid;
	if (!word_u64(&p, end, UINT32_MAX, &uid) || uid == 0)
		return -1;
	while (p < end && *p == ' ')
		p++;
	const char *f = p;
	while (p < end && *p != ' ')
		p++;
	char fl[16] = "";
	size_t fn = (size_t)(p - f);
	if (fn == 0 || fn >= sizeof fl)
		return -1;
	memcpy(fl, f, fn);
	if (strcmp(fl, "-") != 0 && strspn(fl, "DFPRS") != fn)
		return -1;
	while (p < end && *p == ' ')
		p++;
	size_t nl = (size_t)(end - p);
	/* A NUL would also cut xstrndup's copy short of nl bytes. */
	if (!nl || memchr(p, ' ', nl) || memchr(p, '\0', nl))
		return -1;
	char *name = xstrndup(p, nl);
	int rc = name_decode(name, &nl);
	if (rc == 0) {
		char buf[24];
		snprintf(buf, sizeof buf, ":2,%s", strcmp(fl, "-") ? fl : "");
		app_sync_state_set(st, (uint32_t)uid, maildir_flags_parse(buf), name, nl);
	}
	free(name);
	return rc;
}

int
app_sync_state_line(struct app_sync_state *st, const char *line, size_t len)
{
	const char *end = line + len, *p = line + 1;
	uint64_t a, b;
	if (len < 2 || line[1] != ' ')
		return -1;
	switch (line[0]) {
	case 'V':
		if (!word_u64(&p, end, UINT32_MAX, &a) || p != end || a == 0)
			return -1;
		if (st->uidvalidity != a)
			entries_clear(st); /* a new epoch: old UIDs mean nothing */
		st->uidvalidity = (uint32_t)a;
		return 0;
	case 'S':
		if (!word_u64(&p, end, UINT32_MAX, &a) || !word_u64(&p, end, UINT64_MAX, &b) ||
		    p != end)
			return -1;
		st->uidnext = (uint32_t)a;
		st->modseq = b;
		return 0;
	case 'M':
		return st->uidvalidity ? parse_m(st, p, end) : -1;
	case 'X':
		if (!word_u64(&p, end, UINT32_MAX, &a) || p != end)
			return -1;
		app_sync_state_drop(st, (uint32_t)a);
		return 0;
	}
	return -1;
}

struct loader {
	struct app_sync_state *st;
	size_t lines;
	bool bad;
};

static int
load_line(void *ctx, const char *line, size_t len, struct qu_err *err)
{
	(void)err;
	struct loader *l = ctx;
	if (l->bad)
		return 0;
	if (l->lines++ == 0) {
		if (len != strlen(HEADER) || memcmp(line, HEADER, len) != 0)
			l->bad = true;
		return 0;
	}
	/* One append may hold several steps, separated by tabs. */
	const char *end = line + len;
	while (line < end) {
		const char *t = memchr(line, '\t', (size_t)(end - line));
		size_t n = t ? (size_t)(t - line) : (size_t)(end - line);
		if (app_sync_state_line(l->st, line, n) < 0)
			l->bad = true;
		line += n + (t ? 1 : 0);
	}
	return 0;
}

int
app_sync_state_load(const char *dir, const char *name, struct app_sync_state *st,
		    struct qu_err *err)
{
	memset(st, 0, sizeof *st);
	struct loader l = {.st = st};
	struct app_sync_file_id before, after;
	file_id(dir, name, &before);
	if (store_journal_read(dir, name, load_line, &l, err) < 0)
		return -1;
	if (file_id(dir, name, &after) && file_id_same(&before, &after))
		st->id = after;
	st->trusted = !l.bad && l.lines > 0 && st->uidvalidity != 0;
	if (!st->trusted) {
		/* Suspect: pair by content and delete nothing (SPEC §10). */
		entries_clear(st);
		st->uidvalidity = st->uidnext = 0;
		st->modseq = 0;
	}
	return 0;
}

int
app_sync_state_save(const char *dir, const char *name, const struct app_sync_state *st,
		    struct qu_err *err)
{
	size_t n = st->n + 3;
	struct store_line *lines = xcalloc(n, sizeof *lines);
	struct qu_buf *bufs = xcalloc(n, sizeof *bufs);
	for (size_t i = 0; i < n; i++)
		qu_buf_init(&bufs[i], SIZE_MAX);
	qu_buf_append_str(&bufs[0], HEADER);
	qu_buf_printf(&bufs[1], "V %u", (unsigned)st->uidvalidity);
	qu_buf_printf(&bufs[2], "S %u %llu", (unsigned)st->uidnext,
		      (unsigned long long)st->modseq);
	for (size_t i = 0; i < st->n; i++)
		app_sync_line_m(&bufs[i + 3], st->v[i].uid, st->v[i].flags, st->v[i].name,
				strlen(st->v[i].name));
	for (size_t i = 0; i < n; i++)
		lines[i] = (struct store_line){bufs[i].data, bufs[i].len};
	int rc = store_journal_compact(dir, name, lines, n, err);
	for (size_t i = 0; i < n; i++)
		qu_buf_clear(&bufs[i]);
	free(bufs);
	free(lines);
	if (rc == 0) {
		struct qu_err e; /* a cache: without it the next run reads the state */
		qu_err_clear(&e);
		app_sync_summary_save(dir, name, st, &e);
	}
	return rc;
}

/* ---- the Maildir's directories ---------------------------------------- */

void
app_sync_dirs_stat(const char *path, struct app_sync_dirs *d)
{
	static const char *const sub[2] = {"cur", "new"};
	memset(d, 0, sizeof *d);
	for (int i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", path, sub[i]);
		struct stat sb;
		int rc = lstat(p, &sb);
		free(p);
		if (rc < 0 || !S_ISDIR(sb.st_mode))
			return;
		d->dev[i] = (uint64_t)sb.st_dev;
		d->ino[i] = (uint64_t)sb.st_ino;
		d->sec[i] = (uint64_t)sb.st_ctim.tv_sec;
		d->nsec[i] = (uint64_t)sb.st_ctim.tv_nsec;
	}
	d->ok = true;
}

bool
app_sync_dirs_same(const struct app_sync_dirs *a, const struct app_sync_dirs *b)
{
	if (!a->ok || !b->ok)
		return false;
	for (int i = 0; i < 2; i++)
		if (a->dev[i] != b->dev[i] || a->ino[i] != b->ino[i] || a->sec[i] != b->sec[i] ||
		    a->nsec[i] != b->nsec[i])
			return false;
	return true;
}

bool
app_sync_dirs_settled(const struct app_sync_dirs *d, int64_t now_sec)
{
	if (!d->ok || now_sec < DIRS_GRAIN)
		return false;
	for (int i = 0; i < 2; i++)
		if (d->sec[i] >= (uint64_t)(now_sec - DIRS_GRAIN))
			return false;
	return true;
}

/* Folds the decimal digits of v and a space into h (the bytes
 * printf("%u ") gives, without its cost: a no-change run sums every
 * entry of every folder). */
static uint64_t
sum_u32(uint64_t h, uint32_t v)
{
	char d[10];
	int k = 0;
	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (k > 0)
		h = (h ^ (unsigned char)d[--k]) * 0x100000001b3u;
	return (h ^ ' ') * 0x100000001b3u;
}

/* FNV-1a (64 bit) over each entry's "UID FLAGS NAME\0". */
static uint64_t
state_sum(const struct app_sync_state *st)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < st->n; i++) {
		h = sum_u32(h, st->v[i].uid);
		h = sum_u32(h, st->v[i].flags);
		const char *p = st->v[i].name;
		do
			h = (h ^ (unsigned char)*p) * 0x100000001b3u;
		while (*p++);
	}
	return h;
}

void
app_sync_dirs_rec_of(const struct app_sync_state *st, const struct app_sync_dirs *d,
		     struct app_sync_dirs_rec *r)
{
	*r = (struct app_sync_dirs_rec){.uidvalidity = st->uidvalidity, .uidnext = st->uidnext,
					.modseq = st->modseq, .n = st->n, .sum = state_sum(st),
					.d = *d};
}

bool
app_sync_dirs_rec_same(const struct app_sync_dirs_rec *a, const struct app_sync_dirs_rec *b)
{
	return a->uidvalidity == b->uidvalidity && a->uidnext == b->uidnext &&
	       a->modseq == b->modseq && a->n == b->n && a->sum == b->sum &&
	       app_sync_dirs_same(&a->d, &b->d);
}

void
app_sync_dirs_format(struct qu_buf *b, const struct app_sync_dirs_rec *r)
{
	qu_buf_printf(b, "D %u %u %llu %llu %llu", (unsigned)r->uidvalidity, (unsigned)r->uidnext,
		      (unsigned long long)r->modseq, (unsigned long long)r->n,
		      (unsigned long long)r->sum);
	for (int i = 0; i < 2; i++)
		qu_buf_printf(b, " %llu %llu %llu %llu", (unsigned long long)r->d.dev[i],
			      (unsigned long long)r->d.ino[i], (unsigned long long)r->d.sec[i],
			      (unsigned long long)r->d.nsec[i]);
}

int
app_sync_dirs_parse(const char *line, size_t len, struct app_sync_dirs_rec *r)
{
	const char *p = line + 1, *end = line + len;
	uint64_t v[13];
	memset(r, 0, sizeof *r);
	if (len < 2 || line[0] != 'D' || line[1] != ' ')
		return -1;
	for (int i = 0; i < 13; i++)
		if (!word_u64(&p, end, i < 2 ? UINT32_MAX : UINT64_MAX, &v[i]))
			return -1;
	if (p != end || !v[0])
		return -1;
	r->uidvalidity = (uint32_t)v[0];
	r->uidnext = (uint32_t)v[1];
	r->modseq = v[2];
	r->n = v[3];
	r->sum = v[4];
	for (int i = 0; i < 2; i++) {
		r->d.dev[i] = v[5 + 4 * i];
		r->d.ino[i] = v[6 + 4 * i];
		r->d.sec[i] = v[7 + 4 * i];
		r->d.nsec[i] = v[8 + 4 * i];
		if (r->d.nsec[i] >= 1000000000u)
			return -1;
	}
	r->d.ok = true;
	return 0;
}

struct dirs_loader {
	struct app_sync_dirs_rec *r;
	size_t lines;
	bool good;
};

static int
dirs_line(void *ctx, const char *line, size_t len, struct qu_err *err)
{
	(void)err;
	struct dirs_loader *l = ctx;
	size_t k = l->lines++;
	if (k == 0 && (len != strlen(DIRS_HEADER) || memcmp(line, DIRS_HEADER, len) != 0))
		l->lines = 3; /* not ours: ignored */
	else if (k == 1)
		l->good = app_sync_dirs_parse(line, len, l->r) == 0;
	else if (k > 1)
		l->good = false; /* one record only */
	return 0;
}

static char *
dirs_name(const char *sname)
{
	return xasprintf("%s.dirs", sname);
}

int
app_sync_dirs_load(const char *dir, const char *sname, struct app_sync_dirs_rec *r,
		   struct qu_err *err)
{
	char *name = dirs_name(sname);
	struct dirs_loader l = {.r = r};
	int rc = store_journal_read(dir, name, dirs_line, &l, err);
	free(name);
	if (rc < 0)
		return -1;
	return l.good ? 1 : 0;
}

int
app_sync_dirs_save(const char *dir, const char *sname, const struct app_sync_dirs_rec *r,
		   struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	app_sync_dirs_format(&b, r);
	struct store_line lines[2] = {{DIRS_HEADER, strlen(DIRS_HEADER)}, {b.data, b.len}};
	char *name = dirs_name(sname);
	int rc = store_journal_compact(dir, name, lines, 2, err);
	free(name);
	qu_buf_clear(&b);
	return rc;
}

/* ---- the summary of a state file -------------------------------------- */

#define SUM_HEADER "quail-sync-sum 1"
#define SUM_FIELDS 12

static char *
sum_name(const char *sname)
{
	return xasprintf("%s.sum", sname);
}

/* The identity of DIR/.quail/<sname>: every append grows it and every
 * compaction renames a new file over it, so an equal identity means the
 * bytes the summary was made of. */
static bool
file_id(const char *dir, const char *sname, struct app_sync_file_id *id)
{
	char *p = xasprintf("%s/.quail/%s", dir, sname);
	struct stat sb;
	int rc = lstat(p, &sb);
	free(p);
	memset(id, 0, sizeof *id);
	if (rc < 0 || !S_ISREG(sb.st_mode))
		return false;
	*id = (struct app_sync_file_id){
		.ok = true,
		.dev = (uint64_t)sb.st_dev,
		.ino = (uint64_t)sb.st_ino,
		.size = (uint64_t)sb.st_size,
		.mtime_sec = (uint64_t)sb.st_mtim.tv_sec,
		.mtime_nsec = (uint64_t)sb.st_mtim.tv_nsec,
		.ctime_sec = (uint64_t)sb.st_ctim.tv_sec,
		.ctime_nsec = (uint64_t)sb.st_ctim.tv_nsec,
	};
	return true;
}

static bool
file_id_same(const struct app_sync_file_id *a, const struct app_sync_file_id *b)
{
	return a->ok && b->ok && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec &&
	       a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

void
app_sync_summary_format(struct qu_buf *b, const struct app_sync_summary *s)
{
	qu_buf_printf(b, "U %u %u %llu %llu %llu", (unsigned)s->uidvalidity, (unsigned)s->uidnext,
		      (unsigned long long)s->modseq, (unsigned long long)s->n,
		      (unsigned long long)s->sum);
	qu_buf_printf(b, " %llu %llu %llu %llu %llu %llu %llu", (unsigned long long)s->id.dev,
		      (unsigned long long)s->id.ino, (unsigned long long)s->id.size,
		      (unsigned long long)s->id.mtime_sec, (unsigned long long)s->id.mtime_nsec,
		      (unsigned long long)s->id.ctime_sec, (unsigned long long)s->id.ctime_nsec);
}

int
app_sync_summary_parse(const char *line, size_t len, struct app_sync_summary *s)
{
	const char *p = line + 1, *end = line + len;
	uint64_t v[SUM_FIELDS];
	memset(s, 0, sizeof *s);
	if (len < 2 || line[0] != 'U' || line[1] != ' ')
		return -1;
	for (int i = 0; i < SUM_FIELDS; i++)
		if (!word_u64(&p, end, i < 2 ? UINT32_MAX : UINT64_MAX, &v[i]))
			return -1;
	if (p != end || !v[0] || v[9] >= 1000000000u || v[11] >= 1000000000u)
		return -1;
	*s = (struct app_sync_summary){
		.uidvalidity = (uint32_t)v[0],
		.uidnext = (uint32_t)v[1],
		.modseq = v[2],
		.n = v[3],
		.sum = v[4],
		.id = {.ok = true, .dev = v[5], .ino = v[6], .size = v[7], .mtime_sec = v[8],
		       .mtime_nsec = v[9], .ctime_sec = v[10], .ctime_nsec = v[11]},
	};
	return 0;
}

/* Same reader as the record of the directories: a header, one line. */
struct sum_loader {
	struct app_sync_summary *s;
	size_t lines;
	bool good;
};

static int
sum_line(void *ctx, const char *line, size_t len, struct qu_err *err)
{
	(void)err;
	struct sum_loader *l = ctx;
	size_t k = l->lines++;
	if (k == 0 && (len != strlen(SUM_HEADER) || memcmp(line, SUM_HEADER, len) != 0))
		l->lines = 3; /* not ours: ignored */
	else if (k == 1)
		l->good = app_sync_summary_parse(line, len, l->s) == 0;
	else if (k > 1)
		l->good = false;
	return 0;
}

int
app_sync_summary_load(const char *dir, const char *sname, struct app_sync_summary *s,
		      struct qu_err *err)
{
	char *name = sum_name(sname);
	struct sum_loader l = {.s = s};
	int rc = store_journal_read(dir, name, sum_line, &l, err);
	free(name);
	if (rc < 0)
		return -1;
	struct app_sync_file_id now;
	return l.good && file_id(dir, sname, &now) && file_id_same(&now, &s->id) ? 1 : 0;
}

/* Written after the state file (never before: the identity is of the new
 * file). A failure leaves no summary, never an old one beside a new
 * state: an old one would not match the new file anyway, but removing it
 * costs nothing. */
static int
summary_write(const char *dir, const char *sname, const struct app_sync_state *st,
	      const struct app_sync_file_id *id, struct qu_err *err)
{
	struct app_sync_summary s = {.uidvalidity = st->uidvalidity, .uidnext = st->uidnext,
				     .modseq = st->modseq, .n = st->n, .sum = state_sum(st),
				     .id = *id};
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	app_sync_summary_format(&b, &s);
	struct store_line lines[2] = {{SUM_HEADER, strlen(SUM_HEADER)}, {b.data, b.len}};
	char *name = sum_name(sname);
	int rc = store_journal_compact(dir, name, lines, 2, err);
	if (rc < 0) {
		char *p = xasprintf("%s/.quail/%s", dir, name);
		unlink(p);
		free(p);
	}
	free(name);
	qu_buf_clear(&b);
	return rc;
}

int
app_sync_summary_save(const char *dir, const char *sname, const struct app_sync_state *st,
		      struct qu_err *err)
{
	struct app_sync_file_id id;
	if (!st->uidvalidity || !file_id(dir, sname, &id))
		return 0; /* nothing a run could skip on */
	return summary_write(dir, sname, st, &id, err);
}

int
app_sync_summary_save_loaded(const char *dir, const char *sname, const struct app_sync_state *st,
			     struct qu_err *err)
{
	struct app_sync_file_id now;
	/* Only when the file is still the one read: the summary must be of
	 * its bytes. */
	if (!st->trusted || !st->id.ok || !file_id(dir, sname, &now) ||
	    !file_id_same(&now, &st->id))
		return 0;
	return summary_write(dir, sname, st, &now, err);
}
