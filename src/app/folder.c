/*
 * A folder view for the UI (SPEC §8): the messages of one Maildir or
 * mbox, in a sort order or in threads, with a limit and folded threads;
 * flags written to the Maildir file names at once, deletion undoable
 * until expunge.
 *
 * Rows are keyed by message (the index into msgs, stable while the view
 * lives, as expunge and move only mark holes), so the UI can keep its
 * cursor on a message across a sort or a limit.
 *
 * Memory (SPEC §8: nothing loads a whole mailbox): a message is one small
 * fixed record; its header strings sit in the view's blocks (app_strs),
 * written once and freed with the view, and the tree column of a threaded
 * sort in one buffer rebuilt with the order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "app/app.h"
#include "app/mail_private.h"
#include "app/folder_private.h"

static const struct {
	const char *name;
	enum app_sort sort;
} sort_names[] = {
	{"date", APP_SORT_DATE},
	{"date-sent", APP_SORT_DATE},
	{"received", APP_SORT_RECEIVED},
	{"date-received", APP_SORT_RECEIVED},
	{"from", APP_SORT_FROM},
	{"subject", APP_SORT_SUBJECT},
	{"to", APP_SORT_TO},
	{"size", APP_SORT_SIZE},
	{"threads", APP_SORT_THREADS},
	{"unsorted", APP_SORT_UNSORTED},
};

int
app_sort_parse(const char *s, enum app_sort *sort, bool *reverse)
{
	*reverse = qu_str_has_prefix(s, "reverse-");
	if (*reverse)
		s += 8;
	for (size_t i = 0; i < QU_ARRAY_LEN(sort_names); i++)
		if (strcmp(s, sort_names[i].name) == 0) {
			*sort = sort_names[i].sort;
			return 0;
		}
	return -1;
}

const char *
app_sort_name(enum app_sort sort)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(sort_names); i++)
		if (sort_names[i].sort == sort)
			return sort_names[i].name;
	return "?";
}

char *
app_view_resolve(const char *arg, const char *root, struct qu_err *err)
{
	if (arg[0] == '=' || arg[0] == '+') {
		if (!root) {
			qu_err_set(err, QU_E_USAGE, "%s: no Maildir root to look under", arg);
			return NULL;
		}
		const char *name = arg[1] ? arg + 1 : "INBOX";
		if (strstr(name, ".."))
			return qu_err_set(err, QU_E_USAGE, "%s: bad folder name", arg), NULL;
		return xasprintf("%s/%s", root, name);
	}
	if (arg[0] == '~' && arg[1] == '/') {
		const char *home = getenv("HOME");
		if (home)
			return xasprintf("%s%s", home, arg + 1);
	}
	return xstrdup(arg);
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
app_view_complete(const char *arg, const char *root, size_t *n)
{
	*n = 0;
	char *dir, *prefix;
	const char *lead = "";
	if ((arg[0] == '=' || arg[0] == '+') && root) {
		dir = xstrdup(root);
		prefix = xstrdup(arg + 1);
		lead = arg[0] == '=' ? "=" : "+";
	} else {
		const char *slash = strrchr(arg, '/');
		dir = slash ? xstrndup(arg, (size_t)(slash - arg + 1)) : xstrdup("./");
		prefix = xstrdup(slash ? slash + 1 : arg);
		lead = NULL;
	}
	char **out = NULL;
	size_t alloc = 0;
	DIR *d = opendir(dir[0] ? dir : "/");
	struct dirent *e;
	size_t pn = strlen(prefix);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, pn) != 0)
			continue;
		char *full = xasprintf("%s/%s", dir, e->d_name);
		bool is_dir = store_kind(full) == STORE_KIND_OTHER;
		free(full);
		out = xgrow(out, &alloc, *n + 1, sizeof *out);
		if (lead)
			out[(*n)++] = xasprintf("%s%s", lead, e->d_name);
		else
			out[(*n)++] = xasprintf("%s%s%s", strcmp(dir, "./") == 0 && arg[0] != '.' ? "" : dir,
				e->d_name, is_dir ? "/" : "");
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(out, *n, sizeof *out, cmp_strp);
	free(dir);
	free(prefix);
	return out;
}

struct app_view *
app_view_new(const char *path, struct qu_err *err)
{
	enum store_kind k = store_kind(path);
	if (k == STORE_KIND_MISSING) {
		qu_err_set(err, QU_E_NOINPUT, "%s: no such file or directory", path);
		return NULL;
	}
	if (k != STORE_KIND_MAILDIR && k != STORE_KIND_MBOX) {
		qu_err_set(err, QU_E_NOINPUT, "%s: not a Maildir or mbox", path);
		return NULL;
	}
	struct app_view *f = xcalloc(1, sizeof *f);
	f->path = xstrdup(path);
	qu_buf_init(&f->trees, SIZE_MAX);
	f->is_mbox = k == STORE_KIND_MBOX;
	return f;
}

void
app_view_free(struct app_view *f)
{
	if (!f)
		return;
	if (f->pin) { /* limit on a worker: a job may read the strings still */
		app_pin_release(f->pin, &f->strs);
	}
	app_strs_clear(&f->strs);
	qu_buf_clear(&f->trees);
	free(f->msgs);
	free(f->order);
	free(f->shown);
	free(f->row_of);
	free(f->path);
	free(f->limit);
	app_pattern_free(f->limit_pat);
	for (size_t i = 0; i < f->nrenames; i++)
		free(f->renames[i]);
	free(f->renames);
	app_uniq_reset(f);
	free(f);
}

const char *
app_view_path(const struct app_view *f)
{
	return f->path;
}

/* ---- sorting ---------------------------------------------------------- */

/* qsort has no context argument; the sort runs on the owner's thread
 * only, one at a time. */
static _Thread_local const struct app_view *sorting;

static int
cmp_str(const char *a, const char *b)
{
	return strcasecmp(a ? a : "", b ? b : "");
}

static int
cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_key(const struct app_msg *a, const struct app_msg *b, enum app_sort s)
{
	int c = 0;
	switch (s) {
	case APP_SORT_RECEIVED:
		c = cmp_i64(a->received, b->received);
		break;
	case APP_SORT_FROM:
		c = cmp_str(a->from_name ? a->from_name : a->from_addr,
			b->from_name ? b->from_name : b->from_addr);
		break;
	case APP_SORT_SUBJECT:
		c = cmp_str(a->subject, b->subject);
		break;
	case APP_SORT_TO:
		c = cmp_str(a->to_addr, b->to_addr);
		break;
	case APP_SORT_SIZE:
		c = a->size < b->size ? -1 : a->size > b->size;
		break;
	default:
		break;
	}
	if (c == 0 && s != APP_SORT_UNSORTED)
		c = cmp_i64(a->date, b->date);
	if (c == 0)
		c = a->number < b->number ? -1 : a->number > b->number;
	return c;
}

static int
cmp_order(const void *pa, const void *pb)
{
	const struct app_msg *a = &sorting->msgs[*(const uint32_t *)pa];
	const struct app_msg *b = &sorting->msgs[*(const uint32_t *)pb];
	int c = cmp_key(a, b, sorting->sort == APP_SORT_THREADS ? APP_SORT_DATE : sorting->sort);
	return sorting->reverse ? -c : c;
}

/* ---- threads ---------------------------------------------------------- */

/* An open-addressing table from Message-ID to message. */
struct id_table {
	size_t *slot;
	size_t cap;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static void
id_table_build(struct id_table *t, const struct app_view *f)
{
	t->cap = 16;
	while (t->cap < f->n * 2)
		t->cap *= 2;
	t->slot = xmalloc(t->cap * sizeof *t->slot);
	for (size_t i = 0; i < t->cap; i++)
		t->slot[i] = SIZE_MAX;
	for (size_t i = 0; i < f->n; i++) {
		if (!f->msgs[i].msgid || (f->msgs[i].flags & GONE_FLAG))
			continue;
		size_t h = hash_str(f->msgs[i].msgid) & (t->cap - 1);
		while (t->slot[h] != SIZE_MAX) {
			if (strcmp(f->msgs[t->slot[h]].msgid, f->msgs[i].msgid) == 0)
				break; /* a duplicate id: the first one stays */
			h = (h + 1) & (t->cap - 1);
		}
		if (t->slot[h] == SIZE_MAX)
			t->slot[h] = i;
	}
}

static size_t
id_table_get(const struct id_table *t, const struct app_view *f, const char *id)
{
	size_t h = hash_str(id) & (t->cap - 1);
	for (; t->slot[h] != SIZE_MAX; h = (h + 1) & (t->cap - 1))
		if (strcmp(f->msgs[t->slot[h]].msgid, id) == 0)
			return t->slot[h];
	return SIZE_MAX;
}

/* Messages by index id, for rows read from the index (its thread links
 * are by id): open addressing over message slots, 4 bytes a slot at
 * most half full, with no sort of the folder's ids. */
struct ix_table {
	uint32_t *slot;
	size_t cap;
};

static size_t
ix_hash(int64_t id, size_t cap)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15u;
	return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

static void
ix_table_build(struct ix_table *t, const struct app_view *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->msgs[i].ix_id && !(f->msgs[i].flags & GONE_FLAG);
	t->slot = NULL;
	t->cap = 0;
	if (n == 0)
		return;
	for (t->cap = 16; t->cap < 2 * n;)
		t->cap *= 2;
	t->slot = xmalloc(t->cap * sizeof *t->slot);
	memset(t->slot, 0xff, t->cap * sizeof *t->slot); /* APP_MSG_NONE */
	for (size_t i = 0; i < f->n; i++) {
		int64_t id = f->msgs[i].ix_id;
		if (!id || (f->msgs[i].flags & GONE_FLAG))
			continue;
		size_t h = ix_hash(id, t->cap);
		while (t->slot[h] != APP_MSG_NONE && f->msgs[t->slot[h]].ix_id != id)
			h = (h + 1) & (t->cap - 1);
		if (t->slot[h] == APP_MSG_NONE)
			t->slot[h] = (uint32_t)i;
	}
}

static uint32_t
ix_table_get(const struct ix_table *t, const struct app_view *f, int64_t id)
{
	if (!t->cap)
		return APP_MSG_NONE;
	for (size_t h = ix_hash(id, t->cap); t->slot[h] != APP_MSG_NONE; h = (h + 1) & (t->cap - 1))
		if (f->msgs[t->slot[h]].ix_id == id)
			return t->slot[h];
	return APP_MSG_NONE;
}

static uint32_t
parent_of(const struct app_view *f, const struct app_msg *m, const struct id_table *t,
	const struct ix_table *ix)
{
	if (m->ix_parent)
		return ix_table_get(ix, f, m->ix_parent);
	size_t p = m->parent_id ? id_table_get(t, f, m->parent_id) : SIZE_MAX;
	return p == SIZE_MAX ? APP_MSG_NONE : (uint32_t)p;
}

/* Parents from References / In-Reply-To (RFC 5322 §3.6.4), or the
 * index's links, refusing a link that would close a loop. */
static void
link_parents(struct app_view *f)
{
	/* Rows from the index link by its ids; the table of Message-IDs
	 * (a hash of every one) is built only when a row read from its
	 * file (new mail, a folder not indexed) needs it. */
	bool by_msgid = false;
	for (size_t i = 0; i < f->n && !by_msgid; i++)
		by_msgid = f->msgs[i].parent_id && !f->msgs[i].ix_parent &&
			!(f->msgs[i].flags & GONE_FLAG);
	struct id_table t = {0};
	if (by_msgid)
		id_table_build(&t, f);
	struct ix_table ix;
	ix_table_build(&ix, f);
	for (size_t i = 0; i < f->n; i++) {
		struct app_msg *m = &f->msgs[i];
		m->parent = APP_MSG_NONE;
		if ((!m->parent_id && !m->ix_parent) || (m->flags & GONE_FLAG))
			continue;
		uint32_t p = parent_of(f, m, &t, &ix);
		for (uint32_t a = p, steps = 0; a != APP_MSG_NONE && steps <= f->n; steps++) {
			if (a == i) {
				p = APP_MSG_NONE;
				break;
			}
			a = f->msgs[a].parent;
		}
		m->parent = p;
	}
	free(ix.slot);
	free(t.slot);
}

/* Builds child lists in sort order (order[] already sorted by date),
 * then writes the thread order into order[] by a depth-first walk. */
static void
thread_order(struct app_view *f, size_t live)
{
	for (size_t i = 0; i < f->n; i++)
		f->msgs[i].first_child = f->msgs[i].next_sibling = APP_MSG_NONE;
	size_t *roots = xmalloc((live + 1) * sizeof *roots);
	size_t nroots = 0;
	/* Walk backwards so that prepending keeps the sorted order. */
	for (size_t k = live; k-- > 0;) {
		size_t i = f->order[k];
		struct app_msg *m = &f->msgs[i];
		if (m->parent == APP_MSG_NONE) {
			roots[nroots++] = i;
		} else {
			m->next_sibling = f->msgs[m->parent].first_child;
			f->msgs[m->parent].first_child = (uint32_t)i;
		}
	}
	size_t *stack = xmalloc((live + 1) * sizeof *stack);
	size_t out = 0;
	for (size_t r = nroots; r-- > 0;) {
		size_t sp = 0;
		stack[sp++] = roots[r];
		while (sp) {
			size_t i = stack[--sp];
			f->order[out++] = (uint32_t)i;
			/* children pushed last-first so the first pops first */
			size_t kids = 0;
			for (uint32_t c = f->msgs[i].first_child; c != APP_MSG_NONE;
				c = f->msgs[c].next_sibling)
				kids++;
			sp += kids;
			size_t at = sp;
			for (uint32_t c = f->msgs[i].first_child; c != APP_MSG_NONE;
				c = f->msgs[c].next_sibling)
				stack[--at] = c;
		}
	}
	free(stack);
	free(roots);
}

static size_t
depth_of(const struct app_view *f, size_t i)
{
	size_t d = 0;
	for (uint32_t p = f->msgs[i].parent; p != APP_MSG_NONE; p = f->msgs[p].parent)
		d++;
	return d;
}

/* The tree column of each message, into f->trees: for every ancestor
 * level whether a line goes on below, then the message's own branch. */
static void
thread_trees(struct app_view *f, size_t live)
{
	qu_buf_reset(&f->trees);
	for (size_t k = 0; k < live; k++) {
		struct app_msg *m = &f->msgs[f->order[k]];
		size_t d = depth_of(f, f->order[k]);
		m->tree = (uint32_t)f->trees.len;
		char *tree = qu_buf_reserve(&f->trees, d + 1);
		tree[d] = '\0';
		size_t at = f->order[k];
		for (size_t lv = d; lv-- > 0;) {
			const struct app_msg *a = &f->msgs[at];
			bool more = a->next_sibling != APP_MSG_NONE;
			if (lv == d - 1)
				tree[lv] = more ? '+' : '`';
			else
				tree[lv] = more ? '|' : ' ';
			at = a->parent;
		}
		qu_buf_commit(&f->trees, d + 1);
		m->subject_repeats = m->parent != APP_MSG_NONE &&
			cmp_str(m->subject, f->msgs[m->parent].subject) == 0;
	}
}

/* ---- the shown rows --------------------------------------------------- */

static size_t
root_of(const struct app_view *f, size_t i)
{
	while (f->msgs[i].parent != APP_MSG_NONE)
		i = f->msgs[i].parent;
	return i;
}

static void
rebuild_shown(struct app_view *f, size_t live)
{
	bool threads = f->sort == APP_SORT_THREADS;
	f->shown = xrealloc(f->shown, (live + 1) * sizeof *f->shown);
	f->row_of = xrealloc(f->row_of, (f->n + 1) * sizeof *f->row_of);
	for (size_t i = 0; i < f->n; i++) {
		f->row_of[i] = APP_MSG_NONE;
		f->msgs[i].hidden = 0;
	}
	f->nshown = 0;
	for (size_t k = 0; k < live; k++) {
		size_t i = f->order[k];
		struct app_msg *m = &f->msgs[i];
		if (f->limit_pat && !(i < f->nlimit_hits ? f->limit_hits[i]
			: app_pattern_match(f->limit_pat, m)))
			continue;
		if (threads && m->parent != APP_MSG_NONE) {
			size_t r = root_of(f, i);
			if (f->msgs[r].folded) {
				f->msgs[r].hidden++;
				continue;
			}
		}
		f->row_of[i] = (uint32_t)f->nshown;
		f->shown[f->nshown++] = (uint32_t)i;
	}
}

static void
refresh(struct app_view *f)
{
	f->order = xrealloc(f->order, (f->n + 1) * sizeof *f->order);
	size_t live = 0;
	for (size_t i = 0; i < f->n; i++)
		if (!(f->msgs[i].flags & GONE_FLAG))
			f->order[live++] = (uint32_t)i;
	f->nlive = live;
	sorting = f;
	qsort(f->order, live, sizeof *f->order, cmp_order);
	sorting = NULL;
	if (f->sort == APP_SORT_THREADS) {
		link_parents(f);
		thread_order(f, live);
		thread_trees(f, live);
	}
	rebuild_shown(f, live);
}

/* A new limit over the same messages: the order and threads stand, only
 * the shown rows change (no sort of the folder on the UI's thread). */
void
app_view_relimit(struct app_view *f)
{
	rebuild_shown(f, f->nlive);
}

/* Drops the rows of a first page before the folder's own rows come. */
static void
drop_page(struct app_view *f)
{
	/* The page's strings are all the view holds (a page is taken only
	 * by an empty view). */
	app_strs_clear(&f->strs);
	f->n = 0;
	f->page = false;
	app_uniq_reset(f);
}

/* The array of messages grew by doubling while batches came: once the
 * folder is read through it is cut to fit (up to half of it was room). */
static void
trim(struct app_view *f)
{
	if (f->n && f->alloc > f->n + f->n / 16) {
		f->msgs = xrealloc(f->msgs, f->n * sizeof *f->msgs);
		f->alloc = f->n;
	}
}

bool
app_view_end_page(struct app_view *f)
{
	if (!f->page) {
		trim(f);
		return false;
	}
	drop_page(f);
	refresh(f);
	return true;
}

/* Messages [first, n) into an order sorted flat (not threads): sorted
 * among themselves, then merged in from the end, each placed by a binary
 * search over the order. New mail in a folder of 100,000 messages costs
 * the UI thread a few comparisons and one pass of moves, not a sort of
 * the whole folder (SPEC §8). */
static void
merge_new(struct app_view *f, size_t first)
{
	size_t k = f->n - first, old = f->nlive;
	uint32_t *add = xmalloc((k + 1) * sizeof *add);
	for (size_t i = 0; i < k; i++)
		add[i] = (uint32_t)(first + i);
	f->order = xrealloc(f->order, (f->n + 1) * sizeof *f->order);
	sorting = f;
	qsort(add, k, sizeof *add, cmp_order);
	size_t w = old + k, hi = old;
	for (size_t j = k; j-- > 0;) {
		size_t lo = 0, top = hi; /* the first of order[0, hi) after add[j] */
		while (lo < top) {
			size_t mid = lo + (top - lo) / 2;
			if (cmp_order(&f->order[mid], &add[j]) <= 0)
				lo = mid + 1;
			else
				top = mid;
		}
		memmove(f->order + w - (hi - lo), f->order + lo, (hi - lo) * sizeof *f->order);
		w -= hi - lo;
		f->order[--w] = add[j];
		hi = lo;
	}
	sorting = NULL;
	free(add);
	f->nlive = old + k;
	rebuild_shown(f, f->nlive);
}

bool
app_view_add(struct app_view *f, struct app_view_batch *b)
{
	bool replaced = false;
	if (b->page) {
		/* A page sorted otherwise (the sort changed since it was asked
		 * for) or after rows came would draw a wrong order or tree. */
		if (f->n || b->sort != f->sort || b->reverse != f->reverse) {
			app_view_batch_free(b);
			return false;
		}
		f->page = true;
		f->page_mk = b->mk;
	} else if (f->page) {
		drop_page(f);
		replaced = true;
	}
	if (f->n == 0) {
		/* The first rows (a whole folder from the index comes as one
		 * batch): the batch's array becomes the view's, rather than
		 * a copy of it being held beside it at the peak. */
		free(f->msgs);
		f->msgs = b->v;
		f->alloc = b->alloc;
		f->n = b->n;
		b->v = NULL;
		b->alloc = 0;
		for (size_t i = 0; i < f->n; i++)
			f->msgs[i].parent = APP_MSG_NONE;
	} else {
		f->msgs = xgrow(f->msgs, &f->alloc, f->n + b->n, sizeof *f->msgs);
		for (size_t i = 0; i < b->n; i++) {
			f->msgs[f->n] = b->v[i];
			f->msgs[f->n].parent = APP_MSG_NONE;
			f->n++;
		}
	}
	size_t first = f->n - b->n;
	app_strs_move(&f->strs, &b->strs);
	b->n = 0;
	app_view_batch_free(b);
	/* More rows for an order that stands: merged in. Threads link the
	 * new rows to old ones and are built again. */
	if (first && !replaced && !f->page && f->sort != APP_SORT_THREADS && f->order)
		merge_new(f, first);
	else
		refresh(f);
	app_uniq_update(f);
	return replaced;
}

size_t
app_view_count(const struct app_view *f)
{
	return f->nshown;
}

size_t
app_view_total(const struct app_view *f)
{
	if (f->page)
		return f->page_mk.total;
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += !(f->msgs[i].flags & GONE_FLAG);
	return n;
}

void
app_view_counts(const struct app_view *f, size_t *unread, size_t *flagged, size_t *deleted,
	size_t *tagged)
{
	*unread = *flagged = *deleted = *tagged = 0;
	if (f->page) {
		/* The index's, when it had them (nothing is tagged yet). */
		if (f->page_mk.counted) {
			*unread = f->page_mk.unread;
			*flagged = f->page_mk.flagged;
			*deleted = f->page_mk.deleted;
		}
		return;
	}
	for (size_t i = 0; i < f->n; i++) {
		unsigned fl = f->msgs[i].flags;
		if (fl & GONE_FLAG)
			continue;
		*unread += !(fl & APP_MSG_SEEN);
		*flagged += !!(fl & APP_MSG_FLAGGED);
		*deleted += !!(fl & APP_MSG_DELETED);
		*tagged += !!(fl & APP_MSG_TAGGED);
	}
}

size_t
app_view_row_base(const struct app_view *f)
{
	return f->page ? f->page_mk.base : 0;
}

bool
app_view_paged(const struct app_view *f)
{
	return f->page;
}

bool
app_view_row(const struct app_view *f, size_t i, struct app_row *r)
{
	if (i >= f->nshown)
		return false;
	size_t id = f->shown[i];
	const struct app_msg *m = &f->msgs[id];
	*r = (struct app_row){
		.id = id,
		.number = m->number,
		.path = m->path,
		.subject = m->subject,
		.from_name = m->from_name,
		.from_addr = m->from_addr,
		.to_addr = m->to_addr,
		.has_date = m->has_date,
		.date = m->date,
		.offset = m->offset,
		.size = m->size,
		.flags = m->flags,
		.tree = f->sort == APP_SORT_THREADS && f->trees.data ? f->trees.data + m->tree : "",
		.hidden = m->hidden,
		.subject_repeats = f->sort == APP_SORT_THREADS && m->subject_repeats,
	};
	return true;
}

size_t
app_view_find(const struct app_view *f, size_t id)
{
	return id < f->n && f->row_of && f->row_of[id] != APP_MSG_NONE ? f->row_of[id] : SIZE_MAX;
}

void
app_view_sort(struct app_view *f, enum app_sort sort, bool reverse)
{
	/* A first page's rows were read for its order: in another they
	 * would be a wrong slice (a thread tree of a few rows), so they go;
	 * the total and counts stay, and a page in the new order may come
	 * (app_view_add takes it). */
	if (f->page && (sort != f->sort || reverse != f->reverse)) {
		app_strs_clear(&f->strs);
		f->n = 0;
		app_uniq_reset(f); /* none is kept for a page; never a stale one */
	}
	f->sort = sort;
	f->reverse = reverse;
	refresh(f);
}

enum app_sort
app_view_sort_get(const struct app_view *f, bool *reverse)
{
	if (reverse)
		*reverse = f->reverse;
	return f->sort;
}

static bool
pattern_is_all(const char *s)
{
	return !s || !*s || strcmp(s, "all") == 0 || strcmp(s, "~A") == 0 || strcmp(s, ".") == 0;
}

int
app_view_limit(struct app_view *f, const char *pattern, struct qu_err *err)
{
	struct app_pattern *p = NULL;
	if (!pattern_is_all(pattern) && !(p = app_pattern_parse(pattern, err)))
		return -1;
	app_pattern_free(f->limit_pat);
	free(f->limit);
	f->limit_pat = p;
	f->limit = p ? xstrdup(pattern) : NULL;
	app_view_relimit(f);
	return 0;
}

const char *
app_view_limit_get(const struct app_view *f)
{
	return f->limit;
}

static size_t
search_with(const struct app_view *f, const struct app_pattern *p, size_t from, bool forward)
{
	size_t n = f->nshown, hit = SIZE_MAX;
	for (size_t k = 1; k <= n && hit == SIZE_MAX; k++) {
		size_t i = forward ? (from + k) % n : (from + n - k % n) % n;
		if (app_pattern_match(p, &f->msgs[f->shown[i]]))
			hit = i;
	}
	return hit;
}

size_t
app_view_search(const struct app_view *f, const char *pattern, size_t from, bool forward,
	struct qu_err *err)
{
	struct app_pattern *p = app_pattern_parse(pattern, err);
	if (!p || f->nshown == 0) {
		app_pattern_free(p);
		return SIZE_MAX;
	}
	size_t hit = search_with(f, p, from, forward);
	app_pattern_free(p);
	return hit;
}

/* ---- full-text answers (folder_fts.c) ------------------------------- */

void
app_view_limit_match(struct app_view *f, const char *pattern, struct app_match *m)
{
	app_pattern_free(f->limit_pat);
	free(f->limit);
	f->limit_pat = app_pattern_match_set(m);
	f->limit = xstrdup(pattern);
	app_view_relimit(f);
}

size_t
app_view_search_match(const struct app_view *f, const struct app_match *m, size_t from,
	bool forward)
{
	size_t n = f->nshown, hit = SIZE_MAX;
	for (size_t k = 1; k <= n && hit == SIZE_MAX; k++) {
		size_t i = forward ? (from + k) % n : (from + n - k % n) % n;
		if (app_match_has(m, f->msgs[f->shown[i]].path))
			hit = i;
	}
	return hit;
}

long
app_view_tag_pattern(struct app_view *f, const char *pattern, bool tag, struct qu_err *err)
{
	struct app_pattern *p = app_pattern_parse(pattern, err);
	if (!p)
		return -1;
	long changed = 0;
	for (size_t k = 0; k < f->nshown; k++) {
		struct app_msg *m = &f->msgs[f->shown[k]];
		if (!app_pattern_match(p, m) || !!(m->flags & APP_MSG_TAGGED) == tag)
			continue;
		m->flags ^= APP_MSG_TAGGED;
		changed++;
	}
	app_pattern_free(p);
	return changed;
}

void
app_view_collapse(struct app_view *f, size_t id, bool fold)
{
	if (id >= f->n || f->sort != APP_SORT_THREADS)
		return;
	f->msgs[root_of(f, id)].folded = fold;
	refresh(f);
}

void
app_view_collapse_all(struct app_view *f, bool fold)
{
	if (f->sort != APP_SORT_THREADS)
		return;
	for (size_t i = 0; i < f->n; i++)
		f->msgs[i].folded = fold && f->msgs[i].parent == APP_MSG_NONE;
	refresh(f);
}

bool
app_view_collapsed(const struct app_view *f, size_t id)
{
	return id < f->n && f->sort == APP_SORT_THREADS && f->msgs[root_of(f, id)].folded;
}

/* ---- changes written to disk ----------------------------------------- */

unsigned
app_msg_maildir_bits(unsigned f)
{
	unsigned out = 0;
	out |= f & APP_MSG_SEEN ? MAILDIR_FLAG_SEEN : 0;
	out |= f & APP_MSG_FLAGGED ? MAILDIR_FLAG_FLAGGED : 0;
	out |= f & APP_MSG_REPLIED ? MAILDIR_FLAG_REPLIED : 0;
	out |= f & APP_MSG_DELETED ? MAILDIR_FLAG_TRASHED : 0;
	out |= f & APP_MSG_DRAFT ? MAILDIR_FLAG_DRAFT : 0;
	return out;
}

#define DISK_FLAGS APP_MSG_DISK_FLAGS

/* Renames the file of m to carry its flags (store's maildir_set_flags:
 * cur/NAME:2,FLAGS). */
static int
write_flags(struct app_view *f, struct app_msg *m, struct qu_err *err)
{
	size_t root = strlen(f->path);
	if (strncmp(m->path, f->path, root) != 0 || m->path[root] != '/')
		return qu_err_set(err, QU_E_SOFTWARE, "%s: not in %s", m->path, f->path);
	struct maildir *md = maildir_open(f->path, false, err);
	if (!md)
		return -1;
	char *rel = NULL;
	int rc = maildir_set_flags(md, m->path + root + 1, app_msg_maildir_bits(m->flags), 0, &rel, err);
	maildir_free(md);
	if (rc < 0)
		return -1;
	char *to = xasprintf("%s/%s", f->path, rel);
	free(rel);
	app_view_renamed(f, (size_t)(m - f->msgs), m->path, to);
	free(to);
	return 0;
}

void
app_view_renamed(struct app_view *f, size_t id, const char *from, const char *to)
{
	struct app_msg *m = &f->msgs[id];
	f->renames = xgrow(f->renames, &f->renames_alloc, f->nrenames + 2, sizeof *f->renames);
	/* The index's row goes by the old name. The new one joins the
	 * view's strings; the old stays there unused until the view goes
	 * (a flag change costs its name's bytes once). */
	f->renames[f->nrenames++] = xstrdup(from);
	f->renames[f->nrenames++] = xstrdup(to);
	m->path = app_strs_dup(&f->strs, to, false);
	m->flags &= ~APP_MSG_NEW;
}

size_t
app_view_take_renames(struct app_view *f, char ***pairs)
{
	size_t n = f->nrenames / 2;
	*pairs = f->renames;
	f->renames = NULL;
	f->nrenames = f->renames_alloc = 0;
	return n;
}

int
app_view_set_flags(struct app_view *f, size_t id, unsigned set, unsigned clear,
	struct qu_err *err)
{
	if (id >= f->n || (f->msgs[id].flags & GONE_FLAG))
		return qu_err_set(err, QU_E_NOINPUT, "no such message");
	/* A file another program renamed is renamed from where it is. */
	if (app_view_locate(f, id, err) < 0)
		return -1;
	struct app_msg *m = &f->msgs[id];
	unsigned old = m->flags;
	m->flags = (old | set) & ~clear;
	if (f->is_mbox || !((old ^ m->flags) & DISK_FLAGS))
		return 0;
	if (write_flags(f, m, err) < 0) {
		m->flags = old;
		return -1;
	}
	return 0;
}

/* Hides message id for good (moved, expunged). */
static void
drop(struct app_view *f, size_t id)
{
	f->msgs[id].flags |= GONE_FLAG;
}

/* Copies the file of m into the Maildir dest by delivery (tmp/, fsync,
 * rename), with its flags. */
static int
copy_into(struct app_view *f, size_t id, struct maildir *dest, struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	int rc = app_view_read(f, id, &b, err);
	if (rc == 0) {
		char fl[7];
		maildir_flags_format(app_msg_maildir_bits(f->msgs[id].flags), fl);
		rc = maildir_deliver(dest, b.data ? b.data : "", b.len, fl, false, NULL, err);
	}
	qu_buf_clear(&b);
	return rc;
}

int
app_view_transfer(struct app_view *f, size_t id, const char *dest, bool move,
	struct qu_err *err)
{
	if (id >= f->n || (f->msgs[id].flags & GONE_FLAG))
		return qu_err_set(err, QU_E_NOINPUT, "no such message");
	if (strcmp(dest, f->path) == 0)
		return qu_err_set(err, QU_E_USAGE, "%s: the folder itself", dest);
	struct maildir *md = maildir_open(dest, true, err);
	if (!md)
		return -1;
	int rc = copy_into(f, id, md, err);
	maildir_free(md);
	if (rc < 0 || !move)
		return rc;
	if (f->is_mbox)
		return qu_err_set(err, QU_E_USAGE, "copied: an mbox is read-only here");
	if (unlink(f->msgs[id].path) < 0 && errno != ENOENT)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s", f->msgs[id].path);
	drop(f, id);
	refresh(f);
	return 0;
}

long
app_view_expunge(struct app_view *f, struct qu_err *err)
{
	if (f->is_mbox)
		return 0;
	long gone = 0;
	int rc = 0;
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		struct app_msg *m = &f->msgs[i];
		if ((m->flags & GONE_FLAG) || !(m->flags & APP_MSG_DELETED))
			continue;
		if (unlink(m->path) < 0 && errno != ENOENT) {
			rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", m->path);
			break;
		}
		drop(f, i);
		gone++;
	}
	if (gone)
		refresh(f);
	return rc < 0 ? -1 : gone;
}

/* An mbox message as written, with its mboxrd quoting (">From " for
 * "From ") undone when it was quoted. */
static int
read_mbox(const struct app_msg *m, struct qu_buf *out, struct qu_err *err)
{
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", m->path);
	char *p = qu_buf_reserve(out, m->size);
	ssize_t got = pread(fd, p, m->size, (off_t)m->mbox_off);
	close(fd);
	if (got < 0)
		return qu_err_sys(err, QU_E_IOERR, errno, "%s", m->path);
	qu_buf_commit(out, (size_t)got);
	if (!m->mbox_quoted)
		return 0;
	size_t w = 0;
	for (size_t i = 0; i < out->len;) {
		size_t q = i;
		while (q < out->len && out->data[q] == '>')
			q++;
		size_t skip = q > i && out->len - q >= 5 && memcmp(out->data + q, "From ", 5) == 0;
		const char *nl = memchr(out->data + i, '\n', out->len - i);
		size_t e = nl ? (size_t)(nl - out->data) + 1 : out->len;
		memmove(out->data + w, out->data + i + skip, e - i - skip);
		w += e - i - skip;
		i = e;
	}
	out->len = w;
	return 0;
}

int
app_view_read(struct app_view *f, size_t id, struct qu_buf *out, struct qu_err *err)
{
	qu_buf_reset(out);
	if (id >= f->n)
		return qu_err_set(err, QU_E_NOINPUT, "no such message");
	/* Found again by its unique name when another program moved it. */
	if (!f->is_mbox && app_view_locate(f, id, err) < 0)
		return -1;
	return app_msg_read(&f->msgs[id], f->is_mbox, out, err);
}

/* ---- for folder_ops.c: jobs planned here, run on a worker ------------- */

int
app_msg_read(const struct app_msg *m, bool is_mbox, struct qu_buf *out, struct qu_err *err)
{
	qu_buf_reset(out);
	if (is_mbox)
		return read_mbox(m, out, err);
	bool whole;
	return app_read_file(m->path, out, SIZE_MAX - 1, &whole, err);
}

void
app_msg_maildir_flags(const struct app_msg *m, char fl[7])
{
	maildir_flags_format(app_msg_maildir_bits(m->flags), fl);
}

bool
app_view_gone(const struct app_view *f, size_t id)
{
	return id >= f->n || (f->msgs[id].flags & GONE_FLAG);
}

void
app_view_drop(struct app_view *f, const size_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] < f->n)
			drop(f, ids[i]);
	if (n)
		refresh(f);
}
