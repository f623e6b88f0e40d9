/*
 * A message as the pager shows it (SPEC §8): weeded header fields, the
 * text of its text parts converted to UTF-8 (HTML through mime's renderer,
 * its links numbered and listed), quoted lines marked with
 * their level, and the attachments listed at the end. Every line is made
 * safe with qu_buf_append_safe (control characters and escape sequences
 * shown escaped), so no decoded byte can start a line or move the cursor;
 * the UI still escapes invisible format characters when it draws.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/mail_private.h"

/* The fields a reader sees by default (mutt's common ignore/unignore). */
static const char *const weeded[] = {"Date", "From", "To", "Cc", "Subject"};

static void
line(struct qu_buf *out, char mark, const char *p, size_t n)
{
	qu_buf_append_byte(out, mark);
	qu_buf_append_safe(out, p, n, true);
	qu_buf_append_byte(out, '\n');
}

/* Decoded header fields (RFC 2047 words), in the order written. */
static void
view_headers(struct app_reader *r, const char *p, size_t n, bool full, struct qu_buf *out)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	struct qu_buf raw;
	qu_buf_init(&raw, (size_t)1 << 20);
	mime_header_iter_init(&it, p, n, NULL);
	while (mime_header_iter_next(&it, &f)) {
		bool show = full;
		for (size_t i = 0; i < QU_ARRAY_LEN(weeded) && !show; i++)
			show = qu_mem_eq_ci(f.name, f.name_len, weeded[i]);
		if (!show)
			continue;
		qu_buf_reset(&raw);
		mime_header_unfold(f.value, f.value_len, &raw);
		const char *rv = raw.data ? raw.data : "";
		size_t rn = raw.len;
		qu_mem_trim(&rv, &rn);
		char *v = mime_text_decode(rv, rn, 0, &r->cache, NULL);
		char *l = xasprintf("%.*s: %s", (int)f.name_len, f.name, v);
		line(out, 'h', l, strlen(l));
		free(l);
		free(v);
	}
	qu_buf_clear(&raw);
}

/* How deep a line is quoted: the '>' at its start, spaces between. */
static unsigned
quote_level(const char *p, size_t n)
{
	unsigned lv = 0;
	for (size_t i = 0; i < n && (p[i] == '>' || p[i] == ' '); i++)
		if (p[i] == '>')
			lv++;
	return lv > 9 ? 9 : lv;
}

static void
view_lines(const char *t, size_t n, struct qu_buf *out)
{
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - t) : n;
		unsigned q = quote_level(t + i, e - i);
		if (q) {
			qu_buf_append_byte(out, 'q');
			line(out, (char)('0' + q), t + i, e - i);
		} else {
			line(out, 'b', t + i, e - i);
		}
		i = e + 1;
	}
}

/* In a multipart/alternative, only the plain text is shown when there is
 * one (RFC 2046 §5.1.4: the reader picks one of the alternatives). */
static bool
shown_alternative(const struct mime_part *part)
{
	const struct mime_part *parent = part->parent;
	if (!parent || strcmp(parent->content_type, "multipart/alternative") != 0)
		return true;
	bool plain = false;
	for (const struct mime_part *c = parent->child; c; c = c->next)
		plain |= strcmp(c->content_type, "text/plain") == 0;
	return !plain || strcmp(part->content_type, "text/plain") == 0;
}

/* The format=flowed parameters of a text/plain part (RFC 3676 §4), from
 * its Content-Type as written. */
static bool
is_flowed(const struct mime_part *part, bool *delsp)
{
	*delsp = false;
	if (strcmp(part->content_type, "text/plain") != 0)
		return false;
	struct mime_header_iter it;
	struct mime_header_field f;
	bool flowed = false;
	mime_header_iter_init(&it, part->base + part->off, part->body_off - part->off, NULL);
	while (mime_header_iter_next(&it, &f)) {
		if (!qu_mem_eq_ci(f.name, f.name_len, "content-type"))
			continue;
		struct qu_buf v;
		qu_buf_init(&v, (size_t)1 << 16);
		mime_header_unfold(f.value, f.value_len, &v);
		struct mime_field mf;
		mime_field_parse_content_type(v.data ? v.data : "", v.len, &mf, NULL, NULL);
		const char *fmt = mime_param_get(&mf, "format");
		const char *ds = mime_param_get(&mf, "delsp");
		flowed = fmt && strcasecmp(fmt, "flowed") == 0;
		*delsp = ds && strcasecmp(ds, "yes") == 0;
		mime_field_clear(&mf);
		qu_buf_clear(&v);
		break;
	}
	return flowed;
}

/* RFC 3676 §4.1-4.5: a line ending in a space is a soft break; lines of
 * one quote depth joined at soft breaks make one paragraph; space-
 * stuffing is undone; DelSp=yes drops the space of each soft break. The
 * pager wraps the paragraphs to the screen. */
static void
unflow(const char *t, size_t n, bool delsp, struct qu_buf *out)
{
	unsigned open_depth = 0;
	bool open = false;
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - t) : n;
		const char *l = t + i;
		size_t len = e - i;
		unsigned depth = 0;
		while (depth < len && l[depth] == '>')
			depth++;
		const char *body = l + depth;
		size_t blen = len - depth;
		if (blen && body[0] == ' ')
			body++, blen--; /* space-stuffed (§4.4) */
		bool sig = blen == 3 && memcmp(body, "-- ", 3) == 0;
		bool soft = !sig && blen && body[blen - 1] == ' ';
		if (open && depth != open_depth) {
			qu_buf_append_byte(out, '\n'); /* a quote depth change ends it */
			open = false;
		}
		if (!open) {
			for (unsigned q = 0; q < depth; q++)
				qu_buf_append_byte(out, '>');
			if (depth)
				qu_buf_append_byte(out, ' ');
		}
		qu_buf_append(out, body, soft && delsp ? blen - 1 : blen);
		open = soft;
		open_depth = depth;
		if (!soft)
			qu_buf_append_byte(out, '\n');
		i = e + 1;
	}
	if (open)
		qu_buf_append_byte(out, '\n');
}

/* HTML through the mailcap entry of [ui] html = mailcap; false when there
 * is none or it fails (the built-in renderer is used then). */
static bool
html_by_mailcap(const struct app_pager_opts *o, const char *t, size_t n, struct qu_buf *out)
{
	if (!o || !o->html_mailcap)
		return false;
	struct qu_buf h;
	qu_buf_init(&h, SIZE_MAX);
	/* The text is UTF-8 by now, whatever the part declared. */
	struct app_mailcap_vars v = {.type = "text/html", .charset = "utf-8"};
	int rc = app_mailcap_filter(o->html_mailcap, &v, t, n, &h, APP_TEXT_MAX, 30000, NULL);
	if (rc == 0)
		view_lines(h.data ? h.data : "", h.len, out);
	qu_buf_clear(&h);
	return rc == 0;
}

static void
view_part(struct app_reader *r, const struct mime_part *part, const struct app_pager_opts *o,
	bool *first, struct qu_buf *out)
{
	if (mime_part_text(part, &r->cache, &r->scratch, &r->text, NULL, NULL) < 0)
		return;
	if (!*first)
		line(out, 'a', "", 0);
	*first = false;
	const char *t = r->text.data ? r->text.data : "";
	bool html = strcmp(part->content_type, "text/html") == 0;
	if (html && html_by_mailcap(o, t, r->text.len, out))
		return;
	if (html) {
		struct qu_buf h;
		qu_buf_init(&h, APP_TEXT_MAX);
		struct mime_html_opts ho = {.width = 0, .links = true};
		mime_html_to_text(t, r->text.len, &ho, &h);
		view_lines(h.data ? h.data : "", h.len, out);
		qu_buf_clear(&h);
	} else {
		bool delsp;
		if (is_flowed(part, &delsp)) {
			struct qu_buf f;
			qu_buf_init(&f, APP_TEXT_MAX);
			unflow(t, r->text.len, delsp, &f);
			view_lines(f.data ? f.data : "", f.len, out);
			qu_buf_clear(&f);
		} else {
			view_lines(t, r->text.len, out);
		}
	}
}

static void
attachment_line(const struct mime_part *part, size_t nr, struct qu_buf *out)
{
	size_t len = 0;
	mime_part_body(part, &len);
	char *l = xasprintf("[-- Attachment #%zu: %s (%s, %zu bytes) --]", nr,
		part->filename ? part->filename : "(no name)", part->content_type, len);
	line(out, 'a', l, strlen(l));
	free(l);
}

void
app_message_view(struct app_reader *r, const char *p, size_t n, const struct app_pager_opts *o,
	struct qu_buf *out)
{
	struct mime_opts mo = {.cache = &r->cache};
	struct mime_part *root = mime_parse(p, n, &mo, NULL);
	view_headers(r, p, n, o && o->full_headers, out);
	line(out, 'h', "", 0);
	bool first = true;
	size_t nr = 0;
	for (const struct mime_part *part = root; part; part = mime_part_next(part, root)) {
		if (part->kind != MIME_PART_LEAF)
			continue;
		if (mime_part_is_text(part) && !mime_part_is_attachment(part) &&
			shown_alternative(part))
			view_part(r, part, o, &first, out);
	}
	for (const struct mime_part *part = root; part; part = mime_part_next(part, root))
		if (part->kind == MIME_PART_LEAF && part != root && mime_part_is_attachment(part)) {
			if (nr == 0)
				line(out, 'a', "", 0);
			attachment_line(part, ++nr, out);
		}
	mime_part_free(root);
}
