/*
 * Reading a folder for a view: the header block of every message, on a
 * worker thread, handed over in batches. The first batch is small so that
 * the UI can draw a first page while the rest is read (SPEC §8: the UI
 * never waits on a long disk job).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"
#include "mime/mime.h"
#include "store/store.h"
#include "app/app.h"
#include "app/mail_private.h"
#include "app/folder_private.h"

#define HEAD_READ ((size_t)8 << 10)
#define HEAD_MAX ((size_t)16 << 20)

/* ---- strings in blocks ------------------------------------------------ */

struct app_strs_block {
	struct app_strs_block *next;
	size_t used, cap;
	char data[];
};

/* Blocks grow from 4 KiB (a first page, a new mail) to 64 KiB, so a
 * small batch stays small and a large one costs a malloc per few hundred
 * messages, with at most one partly used block per batch. */
#define STRS_FIRST ((size_t)4 << 10)
#define STRS_MAX ((size_t)64 << 10)

char *
app_strs_dupn(struct app_strs *s, const char *p, size_t n)
{
	struct app_strs_block *b = s->head;
	if (!b || b->cap - b->used < n + 1) {
		size_t cap = b ? b->cap * 2 : STRS_FIRST;
		if (cap > STRS_MAX)
			cap = STRS_MAX;
		if (cap < n + 1)
			cap = n + 1;
		struct app_strs_block *nb = xmalloc(sizeof *nb + cap);
		nb->used = 0;
		nb->cap = cap;
		/* A full block goes behind the new one; a block with room left
		 * (before a large string) stays at the head for the next. */
		if (b && b->cap - b->used >= 64 && cap > STRS_MAX) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			s->head = nb;
		}
		s->bytes += sizeof *nb + cap;
		b = nb;
	}
	char *out = b->data + b->used;
	memcpy(out, p, n);
	out[n] = '\0';
	b->used += n + 1;
	return out;
}

char *
app_strs_dup(struct app_strs *s, const char *str, bool empty_null)
{
	if (!str || (empty_null && !*str))
		return NULL;
	return app_strs_dupn(s, str, strlen(str));
}

void
app_strs_move(struct app_strs *to, struct app_strs *from)
{
	if (!from->head)
		return;
	/* from's blocks go behind to's head, which keeps its room. */
	struct app_strs_block *last = from->head;
	while (last->next)
		last = last->next;
	if (to->head) {
		last->next = to->head->next;
		to->head->next = from->head;
	} else {
		to->head = from->head;
	}
	to->bytes += from->bytes;
	from->head = NULL;
	from->bytes = 0;
}

void
app_strs_clear(struct app_strs *s)
{
	for (struct app_strs_block *b = s->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	s->head = NULL;
	s->bytes = 0;
}

void
app_view_batch_free(struct app_view_batch *b)
{
	if (!b)
		return;
	app_strs_clear(&b->strs);
	free(b->v);
	free(b);
}

/* The last <id> of a References or In-Reply-To value (RFC 5322 §3.6.4:
 * the parent is the last of References). */
static char *
last_msgid(struct app_strs *s, const char *p, size_t n)
{
	const char *lt = NULL, *gt = NULL;
	for (size_t i = n; i-- > 0;) {
		if (p[i] == '>' && !gt)
			gt = p + i;
		else if (p[i] == '<' && gt) {
			lt = p + i;
			break;
		}
	}
	if (!lt || gt - lt < 2)
		return NULL;
	return app_strs_dupn(s, lt + 1, (size_t)(gt - lt - 1));
}

/* The fields the envelope parser leaves out: threading and whether the
 * message has attachments. */
static void
extra_fields(struct app_strs *s, const char *p, size_t n, struct app_msg *m)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	char *irt = NULL, *refs = NULL;
	mime_header_iter_init(&it, p, n, NULL);
	while (mime_header_iter_next(&it, &f)) {
		if (qu_mem_eq_ci(f.name, f.name_len, "references") && !refs)
			refs = last_msgid(s, f.value, f.value_len);
		else if (qu_mem_eq_ci(f.name, f.name_len, "in-reply-to") && !irt)
			irt = last_msgid(s, f.value, f.value_len);
		else if (qu_mem_eq_ci(f.name, f.name_len, "content-type")) {
			const char *v = f.value;
			size_t vn = f.value_len;
			qu_mem_trim(&v, &vn);
			if (vn >= 15 && qu_mem_eq_ci(v, 15, "multipart/mixed"))
				m->flags |= APP_MSG_ATTACH;
		}
	}
	m->parent_id = refs ? refs : irt;
}

static void
from_envelope(struct app_strs *s, const struct mime_envelope *env, struct app_msg *m)
{
	m->subject = app_strs_dup(s, env->subject, false);
	if (env->from.n) {
		m->from_name = app_strs_dup(s, env->from.v[0].name, false);
		m->from_addr = app_strs_dup(s, env->from.v[0].address, false);
	}
	if (env->to.n)
		m->to_addr = app_strs_dup(s, env->to.v[0].name ? env->to.v[0].name
							     : env->to.v[0].address, false);
	if (env->cc.n)
		m->cc_addr = app_strs_dup(s, env->cc.v[0].address, false);
	m->msgid = app_strs_dup(s, env->message_id, false);
	if (env->date) {
		m->has_date = true;
		m->date = mime_date_to_unix(&env->when);
		m->offset = (int16_t)env->when.offset;
	}
}

static void
parse_head(struct app_reader *r, struct app_strs *s, const char *p, size_t n, struct app_msg *m)
{
	struct mime_envelope env;
	mime_envelope_init(&env);
	mime_envelope_parse(p, n, &env, &r->cache, NULL, NULL);
	from_envelope(s, &env, m);
	mime_envelope_clear(&env);
	extra_fields(s, p, n, m);
}

static unsigned
from_maildir_flags(unsigned f, bool is_new)
{
	unsigned out = 0;
	out |= f & MAILDIR_FLAG_SEEN ? APP_MSG_SEEN : 0;
	out |= f & MAILDIR_FLAG_FLAGGED ? APP_MSG_FLAGGED : 0;
	out |= f & MAILDIR_FLAG_REPLIED ? APP_MSG_REPLIED : 0;
	out |= f & MAILDIR_FLAG_TRASHED ? APP_MSG_DELETED : 0;
	out |= f & MAILDIR_FLAG_DRAFT ? APP_MSG_DRAFT : 0;
	out |= is_new ? APP_MSG_NEW : 0;
	return out;
}

/* Reads the header block of one Maildir file: a first piece, more only
 * when the header is longer. Returns 0, or -1 when the file is gone. */
static int
maildir_head(struct app_reader *r, struct app_strs *s, const struct maildir_entry *e,
	struct app_msg *m)
{
	struct qu_err err = {0};
	for (size_t max = HEAD_READ;; max *= 8) {
		bool whole;
		if (app_read_file(e->path, &r->msg, max, &whole, &err) < 0) {
			qu_err_clear(&err);
			return -1;
		}
		const char *p = r->msg.data ? r->msg.data : "";
		struct mime_header_iter it;
		struct mime_header_field f;
		mime_header_iter_init(&it, p, r->msg.len, NULL);
		while (mime_header_iter_next(&it, &f))
			;
		if (mime_header_iter_ended(&it) || whole || max >= HEAD_MAX) {
			parse_head(r, s, p, r->msg.len, m);
			if (whole)
				m->size = r->msg.len;
			return 0;
		}
	}
}

static void
batch_push(struct app_view_batch *b, struct app_msg *m)
{
	b->v = xgrow(b->v, &b->alloc, b->n + 1, sizeof *b->v);
	b->v[b->n++] = *m;
	memset(m, 0, sizeof *m);
}

/* Hands b over when it holds *want messages, and lets the next grow. */
static struct app_view_batch *
maybe_flush(struct app_view_batch *b, size_t *want, bool last, app_batch_fn fn, void *ctx)
{
	if (b->n == 0 || (!last && b->n < *want))
		return b;
	fn(ctx, b);
	if (*want < 4096)
		*want *= 4;
	return xcalloc(1, sizeof *b);
}

static int
scan_maildir(const char *path, const struct qu_cancel *cancel, app_batch_fn fn, void *ctx,
	struct qu_err *err)
{
	struct maildir *md = maildir_open(path, false, err);
	struct maildir_iter *it = md ? maildir_iter_new(md, err) : NULL;
	if (!it) {
		maildir_free(md);
		return -1;
	}
	struct app_reader *r = app_reader_new();
	struct app_view_batch *b = xcalloc(1, sizeof *b);
	size_t want = 64, number = 0;
	struct maildir_entry e;
	int rc = 0;
	while (maildir_iter_next(it, &e)) {
		if (qu_cancel_check(cancel, err) < 0) {
			rc = -1;
			break;
		}
		struct app_msg m = {.flags = from_maildir_flags(e.flags, e.is_new)};
		if (maildir_head(r, &b->strs, &e, &m) < 0)
			continue; /* moved away since the listing */
		m.path = app_strs_dup(&b->strs, e.path, false);
		m.number = (uint32_t)++number;
		m.received = (int64_t)strtoll(e.name, NULL, 10);
		uint64_t sz;
		if (!m.size && maildir_name_size(e.name, &sz))
			m.size = sz;
		batch_push(b, &m);
		b = maybe_flush(b, &want, false, fn, ctx);
	}
	if (rc == 0)
		b = maybe_flush(b, &want, true, fn, ctx);
	app_view_batch_free(b);
	app_reader_free(r);
	maildir_iter_free(it);
	maildir_free(md);
	return rc;
}

static int
scan_mbox(const char *path, const struct qu_cancel *cancel, app_batch_fn fn, void *ctx,
	struct qu_err *err)
{
	struct app_source s;
	if (app_source_open(path, &s, err) < 0)
		return -1;
	struct app_reader *r = app_reader_new();
	struct app_view_batch *b = xcalloc(1, sizeof *b);
	size_t want = 64;
	struct app_source_item item;
	int rc = 0;
	while (app_source_next(&s, &item)) {
		if (qu_cancel_check(cancel, err) < 0) {
			rc = -1;
			break;
		}
		struct app_msg m = {.number = (uint32_t)(item.index + 1), .flags = APP_MSG_SEEN};
		parse_head(r, &b->strs, item.p, item.n, &m);
		m.path = app_strs_dup(&b->strs, path, false);
		m.size = item.n;
		m.mbox_off = item.start;
		m.mbox_quoted = item.quoted;
		m.received = m.date;
		batch_push(b, &m);
		b = maybe_flush(b, &want, false, fn, ctx);
		app_source_release(&s, s.frontier);
	}
	if (rc == 0)
		b = maybe_flush(b, &want, true, fn, ctx);
	app_view_batch_free(b);
	app_reader_free(r);
	app_source_close(&s);
	return rc;
}

int
app_view_scan(const char *path, const struct qu_cancel *cancel, app_batch_fn fn, void *ctx,
	struct qu_err *err)
{
	enum store_kind k = store_kind(path);
	if (k == STORE_KIND_MAILDIR)
		return scan_maildir(path, cancel, fn, ctx, err);
	if (k == STORE_KIND_MBOX)
		return scan_mbox(path, cancel, fn, ctx, err);
	return qu_err_set(err, QU_E_NOINPUT, "%s: not a Maildir or mbox", path);
}

/* The header blocks of names (as app_view_scan_new takes them) to fn, in
 * batches of want messages growing as app_view_scan's do (SIZE_MAX: one
 * batch), checking cancel before each file. Returns 1 when a batch was
 * given, 0 when none, -1 with NOINPUT or CANCELED. */
static int
scan_names(const char *path, char *const *names, size_t n, const struct qu_cancel *cancel,
	size_t want, app_batch_fn fn, void *ctx, struct qu_err *err)
{
	if (store_kind(path) != STORE_KIND_MAILDIR)
		return qu_err_set(err, QU_E_NOINPUT, "%s: not a Maildir", path);
	struct app_reader *r = app_reader_new();
	struct app_view_batch *b = xcalloc(1, sizeof *b), *next;
	int given = 0, rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (qu_cancel_check(cancel, err) < 0) {
			rc = -1;
			break;
		}
		/* Names come from the kernel's events for new/ and cur/, or
		 * from a listing of them: one path component under one of
		 * them, never a dot file (a Maildir writer's temporary). */
		const char *rel = names[i];
		bool is_new = rel && strncmp(rel, "new/", 4) == 0;
		if (!rel || (!is_new && strncmp(rel, "cur/", 4) != 0))
			continue;
		const char *name = rel + 4;
		if (!*name || name[0] == '.' || strchr(name, '/'))
			continue;
		char *file = xasprintf("%s/%s", path, rel);
		struct maildir_entry e = {.path = file, .name = name, .is_new = is_new};
		unsigned mf = is_new ? 0 : maildir_flags_parse(name);
		struct app_msg m = {.flags = from_maildir_flags(mf, is_new)};
		if (maildir_head(r, &b->strs, &e, &m) == 0) {
			m.path = app_strs_dup(&b->strs, file, false);
			m.received = (int64_t)strtoll(name, NULL, 10);
			uint64_t sz;
			if (!m.size && maildir_name_size(name, &sz))
				m.size = sz;
			batch_push(b, &m);
			next = maybe_flush(b, &want, false, fn, ctx);
			given |= next != b;
			b = next;
		} /* else gone already (read, moved to cur/ by another reader) */
		free(file);
	}
	if (rc == 0) {
		next = maybe_flush(b, &want, true, fn, ctx);
		given |= next != b;
		b = next;
	}
	app_view_batch_free(b);
	app_reader_free(r);
	return rc < 0 ? -1 : given;
}

int
app_view_scan_new(const char *path, char *const *names, size_t n, app_batch_fn fn, void *ctx,
	struct qu_err *err)
{
	return scan_names(path, names, n, NULL, SIZE_MAX, fn, ctx, err);
}

int
app_view_scan_names(const char *path, char *const *names, size_t n,
	const struct qu_cancel *cancel, app_batch_fn fn, void *ctx, struct qu_err *err)
{
	return scan_names(path, names, n, cancel, 64, fn, ctx, err);
}
