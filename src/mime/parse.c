/*
 * The MIME part tree (RFC 2045 §5, RFC 2046 §5, RFC 5322 §2.1) over one
 * buffer, in one forward pass and without recursion.
 *
 * Every part whose end is not known yet is on an explicit stack: the
 * multiparts whose delimiters are looked for ("frames"), the message/rfc822
 * wrappers and the part being read. A delimiter line of any frame ends
 * every part above that frame (RFC 2046 §5.1.2: an enclosing boundary
 * closes what is inside it), so a missing close delimiter costs only the
 * part it should have ended. Delimiters are found by looking for "--" at
 * the start of a line with memchr, which skips base64 (whose alphabet has
 * no '-') at memory speed; with no frame open nothing is scanned at all.
 *
 * A base64 or quoted-printable message/rfc822 (SPEC §7) is decoded once its
 * end is known and queued as a job of its own: jobs run one after the
 * other, so nesting never becomes recursion. Depth, part count and the
 * decoded bytes are capped; what is over a cap stays an opaque leaf.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"
#include "mime/parse_private.h"

enum frame_state {
	IN_PREAMBLE,
	IN_PARTS,
	IN_EPILOGUE,
};

/* A part whose end is not known yet. */
struct entry {
	struct mime_part *part;
	bool frame;          /* a multipart whose delimiters are looked for */
	enum frame_state state;
	bool encoded;        /* a message/rfc822 to decode and parse when it ends */
};

/* A buffer to parse: the message, then each decoded message/rfc822. */
struct job {
	struct mime_part *parent; /* NULL for the message itself */
	const char *p;
	size_t n;
	unsigned depth;
	size_t anchor;            /* defect offset for the whole job */
};

struct parser {
	struct mime_defects *d;
	struct mime_charset_cache *cache;
	unsigned max_depth;
	size_t max_parts, nparts;
	size_t budget;            /* decoded message/rfc822 bytes still allowed */
	bool part_limit_seen;
	struct qu_buf tmp;

	/* the job being run */
	const char *p;
	size_t n;
	bool anchored;
	size_t anchor;
	struct entry *stack;
	size_t nstack, astack;
	size_t nmatch;            /* frames not in their epilogue */

	struct job *jobs;
	size_t njobs, ajobs, nextjob;
	struct mime_part *root;
};

static void
pdefect(struct parser *ps, enum mime_defect_kind kind, size_t off)
{
	if (!ps->d)
		return;
	size_t keep = ps->d->base;
	/* Inside a decoded message the offsets of the caller's buffer do not
	 * apply: report the encoded part's body. */
	mime_defect(ps->d, kind, ps->anchored ? ps->anchor - keep : off);
}

/* ---- parts --------------------------------------------------------------- */

static struct mime_part *
part_new(struct parser *ps, struct mime_part *parent, size_t off, unsigned depth)
{
	struct mime_part *part = xcalloc(1, sizeof *part);
	ps->nparts++;
	part->base = ps->p;
	part->off = off;
	part->depth = depth;
	part->parent = parent;
	if (parent) {
		if (parent->last)
			parent->last->next = part;
		else
			parent->child = part;
		parent->last = part;
		parent->nchildren++;
	}
	return part;
}

struct stop_ctx {
	struct parser *ps;
	size_t base;
};

static bool match_frame(struct parser *ps, size_t at, size_t *k, bool *close, size_t *next);

/* A delimiter line inside a header ends the header (and the part). */
static bool
header_stop(void *ctx, size_t off)
{
	struct stop_ctx *sc = ctx;
	size_t k, next;
	bool close;
	return match_frame(sc->ps, sc->base + off, &k, &close, &next);
}

/* Reads the header at h of a new part: its content fields, and its
 * envelope when it is the top part of a message. */
static struct mime_part *
entity_new(struct parser *ps, struct mime_part *parent, size_t h, unsigned depth,
	bool message)
{
	struct mime_part *part = part_new(ps, parent, h, depth);
	bool digest = parent && parent->kind == MIME_PART_MULTIPART &&
		strcmp(parent->content_type, "multipart/digest") == 0;
	if (message) {
		part->envelope = xmalloc(sizeof *part->envelope);
		mime_envelope_init(part->envelope);
	}
	struct mime_header_iter it;
	mime_header_iter_init(&it, ps->p + h, ps->n - h, ps->d);
	struct stop_ctx sc = {ps, h};
	if (ps->nmatch) {
		it.stop = header_stop;
		it.stop_ctx = &sc;
	}
	size_t keep = ps->d ? ps->d->base : 0;
	if (ps->d)
		ps->d->base = ps->anchored ? ps->anchor : keep + h;
	mime_header_read(&it, part, part->envelope, digest, ps->cache, ps->d, &ps->tmp);
	if (ps->d)
		ps->d->base = keep;
	part->body_off = h + mime_header_iter_body(&it);
	part->end = part->body_off;
	if (qu_str_has_prefix(part->content_type, "multipart/"))
		part->kind = MIME_PART_MULTIPART;
	else if (strcmp(part->content_type, "message/rfc822") == 0)
		part->kind = MIME_PART_MESSAGE;
	return part;
}

static void
push(struct parser *ps, struct mime_part *part, bool frame, bool encoded)
{
	ps->stack = xgrow(ps->stack, &ps->astack, ps->nstack + 1, sizeof *ps->stack);
	struct entry *e = &ps->stack[ps->nstack++];
	e->part = part;
	e->frame = frame;
	e->state = IN_PREAMBLE;
	e->encoded = encoded;
	if (frame)
		ps->nmatch++;
}

static void
make_opaque(struct mime_part *part)
{
	part->kind = MIME_PART_LEAF;
	part->opaque = true;
}

static bool
parts_left(struct parser *ps, size_t at)
{
	if (ps->nparts < ps->max_parts)
		return true;
	if (!ps->part_limit_seen)
		pdefect(ps, MIME_DEFECT_PART_LIMIT, at);
	ps->part_limit_seen = true;
	return false;
}

/* Puts a new part on the stack; a message/rfc822 in place brings its
 * message's top part along (a loop, not recursion). */
static void
open_entity(struct parser *ps, struct mime_part *part)
{
	for (;;) {
		bool encoded = part->cte == MIME_CTE_BASE64 || part->cte == MIME_CTE_QP;
		if (part->kind != MIME_PART_LEAF && part->depth >= ps->max_depth) {
			pdefect(ps, MIME_DEFECT_DEPTH_LIMIT, part->off);
			make_opaque(part);
		}
		if (part->kind == MIME_PART_MULTIPART) {
			/* RFC 2045 §6.4: no encoding but the identity for a
			 * multipart; one that claims another is read as is. */
			if (encoded)
				pdefect(ps, MIME_DEFECT_MULTIPART_ENCODED, part->off);
			if (!part->boundary)
				pdefect(ps, MIME_DEFECT_NO_BOUNDARY, part->off);
			push(ps, part, part->boundary != NULL, false);
			return;
		}
		if (part->kind == MIME_PART_MESSAGE && encoded) {
			/* RFC 2046 §5.2.1 forbids it; SPEC §7 decodes it. */
			pdefect(ps, MIME_DEFECT_MESSAGE_ENCODED, part->off);
			push(ps, part, false, true);
			return;
		}
		if (part->kind == MIME_PART_MESSAGE && !parts_left(ps, part->body_off))
			make_opaque(part);
		push(ps, part, false, false);
		if (part->kind != MIME_PART_MESSAGE)
			return;
		part = entity_new(ps, part, part->body_off, part->depth + 1, true);
	}
}

/* ---- encoded message/rfc822 ---------------------------------------------- */

static void
queue_job(struct parser *ps, struct mime_part *parent, const char *p, size_t n, unsigned depth,
	size_t anchor)
{
	ps->jobs = xgrow(ps->jobs, &ps->ajobs, ps->njobs + 1, sizeof *ps->jobs);
	ps->jobs[ps->njobs++] = (struct job){parent, p, n, depth, anchor};
}

/* The encoded message ended: decode it for a job of its own, unless that
 * would pass a cap. */
static void
decode_message(struct parser *ps, struct mime_part *part)
{
	size_t len = part->end - part->body_off;
	size_t anchor = ps->anchored ? ps->anchor : part->body_off;
	if (len > ps->budget) {
		pdefect(ps, MIME_DEFECT_SIZE_LIMIT, part->body_off);
		make_opaque(part);
		return;
	}
	if (!parts_left(ps, part->body_off)) {
		make_opaque(part);
		return;
	}
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	size_t keep = ps->d ? ps->d->base : 0;
	if (ps->d)
		ps->d->base = anchor;
	mime_decode(part->cte, part->base + part->body_off, len, &out, ps->d, NULL);
	if (ps->d)
		ps->d->base = keep;
	ps->budget -= out.len < ps->budget ? out.len : ps->budget;
	part->owned = qu_buf_steal(&out, &part->owned_len);
	queue_job(ps, part, part->owned, part->owned_len, part->depth + 1, anchor);
}

/* ---- closing parts ------------------------------------------------------- */

/* The part on top of the stack ends at end (not before its body). */
static void
pop(struct parser *ps, size_t end, size_t at)
{
	struct entry *e = &ps->stack[--ps->nstack];
	struct mime_part *part = e->part;
	part->end = end > part->body_off ? end : part->body_off;
	if (e->frame) {
		if (e->state == IN_PREAMBLE) {
			pdefect(ps, MIME_DEFECT_NO_START_BOUNDARY, at);
			part->preamble_end = part->end;
			part->epilogue_off = part->end;
		} else if (e->state == IN_PARTS) {
			pdefect(ps, MIME_DEFECT_NO_END_BOUNDARY, at);
			part->epilogue_off = part->end;
		}
		if (e->state != IN_EPILOGUE)
			ps->nmatch--;
	} else if (part->kind == MIME_PART_MULTIPART) {
		part->preamble_end = part->end;
		part->epilogue_off = part->end;
	}
	if (e->encoded)
		decode_message(ps, part);
}

/* ---- delimiters ---------------------------------------------------------- */

/* Is the line at `at` (which starts with "--") a delimiter of an open
 * frame? RFC 2046 §5.1.1: "--" boundary, "--" for the close delimiter,
 * then only white space to the line end. The innermost frame wins. */
static bool
match_frame(struct parser *ps, size_t at, size_t *k, bool *close, size_t *next)
{
	const char *p = ps->p;
	size_t n = ps->n;
	for (size_t i = ps->nstack; i-- > 0;) {
		struct entry *e = &ps->stack[i];
		if (!e->frame || e->state == IN_EPILOGUE)
			continue;
		const struct mime_part *mp = e->part;
		size_t bl = mp->boundary_len;
		if (n - at - 2 < bl || memcmp(p + at + 2, mp->boundary, bl) != 0)
			continue;
		size_t j = at + 2 + bl;
		bool c = j + 1 < n && p[j] == '-' && p[j + 1] == '-';
		if (c)
			j += 2;
		while (j < n && mime_is_wsp(p[j]))
			j++;
		if (j < n && p[j] != '\r' && p[j] != '\n')
			continue;
		*k = i;
		*close = c;
		if (j < n)
			mime_line_end(p, n, j, next);
		else
			*next = n;
		return true;
	}
	return false;
}

/* Where the line end before offset at starts: it belongs to the
 * delimiter (RFC 2046 §5.1.1, SPEC §7). */
static size_t
line_end_before(const char *p, size_t at)
{
	if (at > 0 && p[at - 1] == '\n')
		return at >= 2 && p[at - 2] == '\r' ? at - 2 : at - 1;
	if (at > 0 && p[at - 1] == '\r')
		return at - 1;
	return at;
}

/* A delimiter of frame k at `at`: closes what is above the frame, then
 * starts the next body part or the epilogue. Returns where scanning goes
 * on. */
static size_t
delimiter(struct parser *ps, size_t k, size_t at, bool close, size_t next)
{
	size_t le = line_end_before(ps->p, at);
	while (ps->nstack > k + 1)
		pop(ps, le, at);
	struct entry *e = &ps->stack[k];
	struct mime_part *mp = e->part;
	if (e->state == IN_PREAMBLE) {
		mp->preamble_end = le > mp->body_off ? le : mp->body_off;
		e->state = IN_PARTS;
	}
	if (close || !parts_left(ps, at)) {
		/* RFC 2046 §5.1.1: after the close delimiter, the epilogue. */
		e->state = IN_EPILOGUE;
		mp->closed = close;
		mp->epilogue_off = next;
		ps->nmatch--;
		return next;
	}
	struct mime_part *child = entity_new(ps, mp, next, mp->depth + 1, false);
	open_entity(ps, child);
	return ps->stack[ps->nstack - 1].part->body_off;
}

static bool
at_line_start(const char *p, size_t at)
{
	return at == 0 || p[at - 1] == '\n' || p[at - 1] == '\r';
}

/* Finds the delimiters of the open frames from offset i to the end. */
static void
scan(struct parser *ps, size_t i)
{
	const char *p = ps->p;
	size_t n = ps->n;
	while (ps->nmatch && i + 2 <= n) {
		const char *q = memchr(p + i, '-', n - i - 1);
		if (!q)
			break;
		size_t at = (size_t)(q - p);
		if (p[at + 1] != '-') {
			i = at + 2;
			continue;
		}
		size_t k, next;
		bool close;
		if (!at_line_start(p, at) || !match_frame(ps, at, &k, &close, &next)) {
			i = at + 1;
			continue;
		}
		i = delimiter(ps, k, at, close, next);
	}
}

/* ---- jobs ---------------------------------------------------------------- */

static void
run_job(struct parser *ps, const struct job *j)
{
	ps->p = j->p;
	ps->n = j->n;
	ps->anchored = j->parent != NULL;
	ps->anchor = j->anchor;
	ps->nstack = 0;
	ps->nmatch = 0;
	struct mime_part *top = entity_new(ps, j->parent, 0, j->depth, true);
	if (!j->parent)
		ps->root = top;
	open_entity(ps, top);
	scan(ps, ps->stack[ps->nstack - 1].part->body_off);
	while (ps->nstack)
		pop(ps, ps->n, ps->n);
}

struct mime_part *
mime_parse(const char *p, size_t n, const struct mime_opts *o, struct mime_defects *d)
{
	struct parser ps;
	memset(&ps, 0, sizeof ps);
	ps.d = d;
	ps.max_depth = o && o->max_depth ? o->max_depth : MIME_DEPTH_MAX;
	ps.max_parts = o && o->max_parts ? o->max_parts : MIME_PARTS_MAX;
	/* Decoded messages may add up to twice the message (base64 shrinks
	 * each level, quoted-printable could otherwise repeat it per level). */
	ps.budget = n < SIZE_MAX / 4 ? 2 * n + 65536 : SIZE_MAX / 2;
	struct mime_charset_cache local;
	ps.cache = o && o->cache ? o->cache : &local;
	if (ps.cache == &local)
		mime_charset_cache_init(&local);
	qu_buf_init(&ps.tmp, SIZE_MAX);
	queue_job(&ps, NULL, n ? p : "", n, 0, 0);
	while (ps.nextjob < ps.njobs) {
		struct job j = ps.jobs[ps.nextjob++];
		run_job(&ps, &j);
	}
	free(ps.jobs);
	free(ps.stack);
	qu_buf_clear(&ps.tmp);
	if (ps.cache == &local)
		mime_charset_cache_clear(&local);
	return ps.root;
}

/* ---- the tree ------------------------------------------------------------ */

static void
part_release(struct mime_part *part)
{
	free(part->content_type);
	free(part->charset);
	free(part->filename);
	free(part->content_id);
	free(part->boundary);
	if (part->envelope) {
		mime_envelope_clear(part->envelope);
		free(part->envelope);
	}
	free(part->owned);
	free(part);
}

void
mime_part_free(struct mime_part *root)
{
	struct mime_part *part = root;
	while (part) {
		if (part->child) {
			struct mime_part *c = part->child;
			part->child = NULL;
			part = c;
			continue;
		}
		struct mime_part *up = part == root ? NULL : part->next ? part->next : part->parent;
		part_release(part);
		part = up;
	}
}

struct mime_part *
mime_part_next(const struct mime_part *part, const struct mime_part *top)
{
	if (part->child)
		return part->child;
	while (part && part != top) {
		if (part->next)
			return part->next;
		part = part->parent;
	}
	return NULL;
}
