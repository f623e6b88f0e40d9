/*
 * Header blocks (RFC 5322 §2.2, obsolete syntax §4.5) and the fields of
 * them SPEC §7 decodes: the content fields of every part (RFC 2045 §5,
 * §6, RFC 2183, RFC 2392) and a message's envelope (Subject, From, To,
 * Cc, Date, Message-ID).
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"
#include "mime/parse_private.h"

size_t
mime_line_end(const char *p, size_t n, size_t i, size_t *next)
{
	const char *nl = memchr(p + i, '\n', n - i);
	size_t lim = nl ? (size_t)(nl - p) : n;
	const char *cr = lim > i ? memchr(p + i, '\r', lim - i) : NULL;
	if (cr) {
		size_t e = (size_t)(cr - p);
		*next = (e + 1 < n && p[e + 1] == '\n') ? e + 2 : e + 1;
		return e;
	}
	*next = nl ? lim + 1 : n;
	return lim;
}

/* ---- the iterator -------------------------------------------------------- */

void
mime_header_iter_init(struct mime_header_iter *it, const char *p, size_t n,
	struct mime_defects *d)
{
	memset(it, 0, sizeof *it);
	it->p = p;
	it->n = n;
	it->first = true;
	it->d = d;
}

static bool
finish(struct mime_header_iter *it, size_t body, bool ended)
{
	it->done = true;
	it->body = body;
	it->ended = ended;
	return false;
}

/* RFC 5322 §3.6.8 ftext: printable ASCII but ':'. */
static bool
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* The mbox envelope line "From sender date" (RFC 4155), not the obsolete
 * field form "From :" (§4.5.1 allows white space before the colon). */
static bool
is_envelope_line(const char *p, size_t len)
{
	if (len < 5 || memcmp(p, "From ", 5) != 0)
		return false;
	size_t i = 5;
	while (i < len && mime_is_wsp(p[i]))
		i++;
	return i == len || p[i] != ':';
}

/* Skips the continuation lines after the line ending at next; returns
 * where the value ends (before the last line end) and sets *next. */
static size_t
continuation(const struct mime_header_iter *it, size_t vend, size_t *next)
{
	while (*next < it->n && mime_is_wsp(it->p[*next])) {
		size_t nn;
		vend = mime_line_end(it->p, it->n, *next, &nn);
		*next = nn;
	}
	return vend;
}

bool
mime_header_iter_next(struct mime_header_iter *it, struct mime_header_field *f)
{
	while (!it->done) {
		const char *p = it->p;
		size_t pos = it->pos;
		if (pos >= it->n)
			return finish(it, it->n, false);
		size_t next;
		size_t eol = mime_line_end(p, it->n, pos, &next);
		if (eol == pos)
			return finish(it, next, true);
		bool first = it->first;
		it->first = false;
		if (first && is_envelope_line(p + pos, eol - pos)) {
			it->pos = next;
			continue;
		}
		if (mime_is_wsp(p[pos])) {
			/* A continuation with no field before it. */
			mime_defect(it->d, MIME_DEFECT_HEADER_JUNK, pos);
			it->pos = next;
			continue;
		}
		if (it->stop && eol - pos >= 2 && p[pos] == '-' && p[pos + 1] == '-' &&
			it->stop(it->stop_ctx, pos)) {
			mime_defect(it->d, MIME_DEFECT_HEADER_NO_SEPARATOR, pos);
			return finish(it, pos, true);
		}
		size_t i = pos;
		while (i < eol && is_ftext((unsigned char)p[i]))
			i++;
		size_t name_end = i;
		while (i < eol && mime_is_wsp(p[i]))
			i++;
		if (i == eol || p[i] != ':') {
			/* RFC 5322 §2.1: the body follows an empty line; a line
			 * that is no field means it was left out. */
			mime_defect(it->d, MIME_DEFECT_HEADER_NO_SEPARATOR, pos);
			return finish(it, pos, true);
		}
		size_t vstart = i + 1;
		size_t vend = continuation(it, eol, &next);
		it->pos = next;
		if (name_end == pos) {
			mime_defect(it->d, MIME_DEFECT_HEADER_JUNK, pos);
			continue;
		}
		f->name = p + pos;
		f->name_len = name_end - pos;
		f->value = p + vstart;
		f->value_len = vend > vstart ? vend - vstart : 0;
		f->off = pos;
		return true;
	}
	return false;
}

size_t
mime_header_iter_body(const struct mime_header_iter *it)
{
	return it->body;
}

bool
mime_header_iter_ended(const struct mime_header_iter *it)
{
	return it->ended;
}

int
mime_header_unfold(const char *p, size_t n, struct qu_buf *out)
{
	size_t i = 0;
	while (i < n) {
		size_t next;
		size_t e = mime_line_end(p, n, i, &next);
		if (qu_buf_append(out, p + i, e - i) < 0)
			return -1;
		i = next;
	}
	return 0;
}

/* ---- which field --------------------------------------------------------- */

enum mime_hf
mime_hf_kind(const char *name, size_t n)
{
	switch (n) {
	case 2:
		if (qu_mem_eq_ci(name, n, "to"))
			return MIME_HF_TO;
		if (qu_mem_eq_ci(name, n, "cc"))
			return MIME_HF_CC;
		break;
	case 4:
		if (qu_mem_eq_ci(name, n, "from"))
			return MIME_HF_FROM;
		if (qu_mem_eq_ci(name, n, "date"))
			return MIME_HF_DATE;
		break;
	case 7:
		if (qu_mem_eq_ci(name, n, "subject"))
			return MIME_HF_SUBJECT;
		break;
	case 10:
		if (qu_mem_eq_ci(name, n, "message-id"))
			return MIME_HF_MESSAGE_ID;
		if (qu_mem_eq_ci(name, n, "content-id"))
			return MIME_HF_CONTENT_ID;
		break;
	case 12:
		if (qu_mem_eq_ci(name, n, "content-type"))
			return MIME_HF_CONTENT_TYPE;
		break;
	case 19:
		if (qu_mem_eq_ci(name, n, "content-disposition"))
			return MIME_HF_DISPOSITION;
		break;
	case 25:
		if (qu_mem_eq_ci(name, n, "content-transfer-encoding"))
			return MIME_HF_CTE;
		break;
	}
	return MIME_HF_OTHER;
}

/* ---- decoding the fields ------------------------------------------------- */

/* The first value of each field, unfolded into one buffer. */
struct fields {
	size_t off[MIME_HF__COUNT], len[MIME_HF__COUNT], at[MIME_HF__COUNT];
	bool seen[MIME_HF__COUNT];
};

/* A value without its folding: p itself when it has no line end. */
static const char *
unfolded(const struct mime_header_field *f, struct qu_buf *tmp, size_t *len)
{
	if (!memchr(f->value, '\n', f->value_len) && !memchr(f->value, '\r', f->value_len)) {
		*len = f->value_len;
		return f->value;
	}
	qu_buf_reset(tmp);
	mime_header_unfold(f->value, f->value_len, tmp);
	*len = tmp->len;
	return tmp->data ? tmp->data : "";
}

/* "<id@host>" (RFC 5322 §3.6.4, RFC 2392): the text between the first '<'
 * and the next '>', else the trimmed value; NULL when empty. */
static char *
msg_id(const char *p, size_t n)
{
	const char *lt = memchr(p, '<', n);
	if (lt) {
		const char *gt = memchr(lt, '>', n - (size_t)(lt - p));
		size_t l = gt ? (size_t)(gt - lt - 1) : n - (size_t)(lt - p) - 1;
		p = lt + 1;
		n = l;
	}
	qu_mem_trim(&p, &n);
	if (n == 0)
		return NULL;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	mime_raw_to_utf8(p, n, &b, NULL);
	return mime_buf_take_text(&b);
}

static char *
dup_nonempty_lower(const char *s)
{
	if (!s || !*s)
		return NULL;
	char *r = xstrdup(s);
	qu_str_lower(r);
	return r;
}

static char *
dup_nonempty(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/* Content-Type (RFC 2045 §5): type, charset, boundary, name. */
static void
read_content_type(struct mime_part *part, const char *v, size_t n, bool present,
	bool digest_child, char **name, struct mime_charset_cache *cache, struct mime_defects *d)
{
	struct mime_field f = {0};
	if (present)
		mime_field_parse_content_type(v, n, &f, cache, d);
	if (f.token) {
		part->content_type = xstrdup(f.token);
	} else {
		/* RFC 2045 §5.2 for a missing or unusable field; RFC 2046
		 * §5.1.5 for a missing one in a digest. */
		part->content_type = xstrdup(digest_child && !present ? "message/rfc822" : "text/plain");
	}
	part->charset = dup_nonempty_lower(mime_param_get(&f, "charset"));
	*name = dup_nonempty(mime_param_get(&f, "name"));
	size_t bl = 0;
	const char *b = mime_param_get_raw(&f, "boundary", &bl);
	/* RFC 2046 §5.1.1: a boundary does not end in white space. */
	while (b && bl && mime_is_ws(b[bl - 1]))
		bl--;
	if (b && bl && qu_str_has_prefix(part->content_type, "multipart/")) {
		/* Raw bytes: a NUL in it must not cut it short. */
		part->boundary = xmalloc(bl + 1);
		memcpy(part->boundary, b, bl);
		part->boundary[bl] = '\0';
		part->boundary_len = bl;
	}
	mime_field_clear(&f);
}

/* Content-Disposition (RFC 2183 §2): anything but inline is attachment
 * (SPEC §7). */
static void
read_disposition(struct mime_part *part, const char *v, size_t n, char **filename,
	struct mime_charset_cache *cache, struct mime_defects *d)
{
	struct mime_field f = {0};
	mime_field_parse_disposition(v, n, &f, cache, d);
	if (f.token)
		part->disposition = strcmp(f.token, "inline") == 0 ? MIME_DISPOSITION_INLINE :
			MIME_DISPOSITION_ATTACHMENT;
	*filename = dup_nonempty(mime_param_get(&f, "filename"));
	mime_field_clear(&f);
}

static void
read_envelope_field(struct mime_envelope *e, enum mime_hf k, const char *v, size_t n,
	bool first, struct mime_charset_cache *cache, struct mime_defects *d)
{
	switch (k) {
	case MIME_HF_FROM:
		mime_addr_list_parse(v, n, &e->from, cache, d);
		break;
	case MIME_HF_TO:
		mime_addr_list_parse(v, n, &e->to, cache, d);
		break;
	case MIME_HF_CC:
		mime_addr_list_parse(v, n, &e->cc, cache, d);
		break;
	case MIME_HF_SUBJECT:
		if (first && !e->subject)
			e->subject = mime_text_decode(v, n, MIME_TEXT_TRIM, cache, d);
		break;
	case MIME_HF_DATE:
		if (first && !e->date && mime_date_parse(v, n, &e->when, d) == 0) {
			char iso[MIME_DATE_ISO_MAX];
			e->date = xstrdup(mime_date_iso(&e->when, iso));
		}
		break;
	case MIME_HF_MESSAGE_ID:
		if (first && !e->message_id)
			e->message_id = msg_id(v, n);
		break;
	default:
		break;
	}
}

static bool
is_envelope_kind(enum mime_hf k)
{
	return k == MIME_HF_FROM || k == MIME_HF_TO || k == MIME_HF_CC || k == MIME_HF_SUBJECT ||
		k == MIME_HF_DATE || k == MIME_HF_MESSAGE_ID;
}

/* Collects the first occurrence of each content field (their values are
 * copied into keep, since tmp is reused) and decodes envelope fields as
 * they come. */
static void
collect(struct mime_header_iter *it, struct fields *fs, struct qu_buf *keep,
	struct mime_envelope *env, struct mime_charset_cache *cache, struct mime_defects *d,
	struct qu_buf *tmp)
{
	size_t base = d ? d->base : 0;
	struct mime_header_field f;
	while (mime_header_iter_next(it, &f)) {
		enum mime_hf k = mime_hf_kind(f.name, f.name_len);
		if (k == MIME_HF_OTHER || (!env && is_envelope_kind(k)))
			continue;
		bool first = !fs->seen[k];
		fs->seen[k] = true;
		size_t n;
		const char *v = unfolded(&f, tmp, &n);
		if (d)
			d->base = base + (size_t)(f.value - it->p);
		if (is_envelope_kind(k)) {
			read_envelope_field(env, k, v, n, first, cache, d);
		} else if (first) {
			fs->off[k] = keep->len;
			fs->len[k] = n;
			fs->at[k] = (size_t)(f.value - it->p);
			qu_buf_append(keep, v, n);
		}
		if (d)
			d->base = base;
	}
}

/* Defect offsets of the field decoders count from their value. */
static void
set_base(struct mime_defects *d, size_t base)
{
	if (d)
		d->base = base;
}

void
mime_header_read(struct mime_header_iter *it, struct mime_part *part,
	struct mime_envelope *envelope, bool digest_child, struct mime_charset_cache *cache,
	struct mime_defects *d, struct qu_buf *tmp)
{
	struct fields fs;
	memset(&fs, 0, sizeof fs);
	struct qu_buf keep;
	qu_buf_init(&keep, SIZE_MAX);
	collect(it, &fs, &keep, envelope, cache, d, tmp);
	size_t base = d ? d->base : 0;
	const char *k = keep.data ? keep.data : "";
	char *name = NULL, *filename = NULL;
	set_base(d, base + fs.at[MIME_HF_CONTENT_TYPE]);
	read_content_type(part, k + fs.off[MIME_HF_CONTENT_TYPE], fs.len[MIME_HF_CONTENT_TYPE],
		fs.seen[MIME_HF_CONTENT_TYPE], digest_child, &name, cache, d);
	if (fs.seen[MIME_HF_DISPOSITION]) {
		set_base(d, base + fs.at[MIME_HF_DISPOSITION]);
		read_disposition(part, k + fs.off[MIME_HF_DISPOSITION], fs.len[MIME_HF_DISPOSITION],
			&filename, cache, d);
	}
	if (fs.seen[MIME_HF_CTE]) {
		set_base(d, base + fs.at[MIME_HF_CTE]);
		part->cte = mime_cte_parse(k + fs.off[MIME_HF_CTE], fs.len[MIME_HF_CTE], d);
	}
	if (fs.seen[MIME_HF_CONTENT_ID])
		part->content_id = msg_id(k + fs.off[MIME_HF_CONTENT_ID], fs.len[MIME_HF_CONTENT_ID]);
	set_base(d, base);
	/* SPEC §7: filename, else name. */
	part->filename = filename ? filename : name;
	if (filename)
		free(name);
	qu_buf_clear(&keep);
}

/* ---- envelopes ----------------------------------------------------------- */

void
mime_envelope_init(struct mime_envelope *e)
{
	memset(e, 0, sizeof *e);
	mime_addr_list_init(&e->from);
	mime_addr_list_init(&e->to);
	mime_addr_list_init(&e->cc);
}

void
mime_envelope_clear(struct mime_envelope *e)
{
	free(e->subject);
	free(e->date);
	free(e->message_id);
	mime_addr_list_clear(&e->from);
	mime_addr_list_clear(&e->to);
	mime_addr_list_clear(&e->cc);
	mime_envelope_init(e);
}

size_t
mime_envelope_parse(const char *p, size_t n, struct mime_envelope *e,
	struct mime_charset_cache *cache, struct mime_defects *d, bool *ended)
{
	struct mime_header_iter it;
	mime_header_iter_init(&it, p, n, d);
	struct qu_buf tmp;
	qu_buf_init(&tmp, SIZE_MAX);
	struct mime_charset_cache local;
	if (!cache) {
		mime_charset_cache_init(&local);
		cache = &local;
	}
	struct fields fs;
	memset(&fs, 0, sizeof fs);
	struct qu_buf keep;
	qu_buf_init(&keep, SIZE_MAX);
	collect(&it, &fs, &keep, e, cache, d, &tmp);
	qu_buf_clear(&keep);
	qu_buf_clear(&tmp);
	if (cache == &local)
		mime_charset_cache_clear(&local);
	if (ended)
		*ended = mime_header_iter_ended(&it);
	return mime_header_iter_body(&it);
}
