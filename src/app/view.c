/*
 * `quail parse` without --json: a message for a person. The decoded
 * header fields, the part tree (one line per part, indented by depth, with
 * a number like IMAP's section numbers), then the text of each text part.
 * Everything taken from the message goes through qu_buf_append_safe, so an
 * escape sequence or an encoded newline shows as \e or \x0A and can never
 * start a line of its own (SPEC §6).
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/mail_private.h"

static void
safe(struct qu_buf *out, const char *s)
{
	if (s)
		qu_buf_append_safe(out, s, strlen(s), true);
}

static void
view_addrs(struct qu_buf *out, const char *indent, const char *label,
	   const struct mime_addr_list *l)
{
	if (!l->n)
		return;
	qu_buf_printf(out, "%s%s: ", indent, label);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			qu_buf_append_str(out, ", ");
		if (l->v[i].name) {
			/* A name with specials is quoted, as it was written. */
			bool q = strpbrk(l->v[i].name, ",;:<>@\"()") != NULL;
			if (q)
				qu_buf_append_byte(out, '"');
			safe(out, l->v[i].name);
			if (q)
				qu_buf_append_byte(out, '"');
			qu_buf_append_str(out, " <");
			safe(out, l->v[i].address);
			qu_buf_append_byte(out, '>');
		} else {
			safe(out, l->v[i].address);
		}
	}
	qu_buf_append_byte(out, '\n');
}

static void
view_field(struct qu_buf *out, const char *indent, const char *label, const char *value)
{
	if (!value)
		return;
	qu_buf_printf(out, "%s%s: ", indent, label);
	safe(out, value);
	qu_buf_append_byte(out, '\n');
}

static void
view_envelope(struct qu_buf *out, const char *indent, const struct mime_envelope *e)
{
	view_field(out, indent, "Subject", e->subject);
	view_addrs(out, indent, "From", &e->from);
	view_addrs(out, indent, "To", &e->to);
	view_addrs(out, indent, "Cc", &e->cc);
	view_field(out, indent, "Date", e->date);
	view_field(out, indent, "Message-ID", e->message_id);
}

/* Section numbers: the root is 1, its children 1.1, 1.2, ... Kept up to
 * date along a depth-first walk, so that numbering is linear. */
struct section {
	unsigned idx[MIME_DEPTH_MAX + 1];
};

static void
section_step(struct section *s, const struct mime_part *part)
{
	unsigned d = part->depth <= MIME_DEPTH_MAX ? part->depth : MIME_DEPTH_MAX;
	s->idx[d] = !part->parent || part->parent->child == part ? 1 : s->idx[d] + 1;
}

static void
number(struct qu_buf *out, const struct section *s, const struct mime_part *part)
{
	unsigned d = part->depth <= MIME_DEPTH_MAX ? part->depth : MIME_DEPTH_MAX;
	for (unsigned i = 0; i <= d; i++)
		qu_buf_printf(out, "%u%s", s->idx[i], i < d ? "." : "");
}

static int
count_piece(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	(void)p;
	(void)err;
	*(uint64_t *)ctx += n;
	return 0;
}

static void
view_uu(struct qu_buf *out, const char *indent, const struct qu_buf *text)
{
	struct mime_uu_block *b;
	size_t nb = mime_uu_find(text->data ? text->data : "", text->len, &b);
	for (size_t i = 0; i < nb; i++) {
		qu_buf_printf(out, "%s  uuencoded file \"", indent);
		safe(out, b[i].name);
		qu_buf_append_str(out, "\"\n");
	}
	mime_uu_blocks_free(b, nb);
}

/* The files inside a TNEF part, one line each under the part's line. */
static void
view_tnef(struct app_reader *r, struct qu_buf *out, const char *indent,
	  const struct mime_part *part)
{
	qu_buf_reset(&r->scratch);
	struct app_tnef_file *f = NULL;
	size_t nf = 0;
	if (mime_part_decode(part, &r->scratch, NULL, NULL) < 0 ||
		app_tnef_files(r->scratch.data ? r->scratch.data : "", r->scratch.len, &f, &nf,
			NULL) < 0) {
		qu_buf_printf(out, "%s  (TNEF not readable)\n", indent);
		return;
	}
	for (size_t i = 0; i < nf; i++) {
		qu_buf_printf(out, "%s  TNEF file \"", indent);
		safe(out, f[i].name ? f[i].name : "");
		qu_buf_printf(out, "\"; %zu bytes\n", f[i].len);
	}
	app_tnef_files_free(f, nf);
}

/* One line for a part: number, type and what else is known. */
static void
view_part_line(struct app_reader *r, struct qu_buf *out, const struct section *sec,
	       const struct mime_part *part, struct mime_defects *d)
{
	char indent[2 * MIME_DEPTH_MAX + 3];
	size_t w = 2 * (size_t)part->depth < sizeof indent - 1 ? 2 * (size_t)part->depth :
		sizeof indent - 1;
	memset(indent, ' ', w);
	indent[w] = '\0';
	qu_buf_append_str(out, indent);
	number(out, sec, part);
	qu_buf_append_byte(out, ' ');
	safe(out, part->content_type);
	if (part->charset) {
		qu_buf_append_str(out, "; charset=");
		safe(out, part->charset);
	}
	if (part->disposition)
		qu_buf_append_str(out, part->disposition == MIME_DISPOSITION_INLINE ? "; inline" :
			"; attachment");
	if (part->filename) {
		qu_buf_append_str(out, "; file \"");
		safe(out, part->filename);
		qu_buf_append_byte(out, '"');
	}
	if (part->content_id) {
		qu_buf_append_str(out, "; cid:");
		safe(out, part->content_id);
	}
	if (part->kind == MIME_PART_LEAF) {
		uint64_t size = 0;
		mime_part_decode_each(part, &r->scratch, count_piece, &size, d, NULL);
		qu_buf_printf(out, "; %llu bytes", (unsigned long long)size);
	}
	if (part->opaque)
		qu_buf_append_str(out, " (not parsed)");
	else if (part->kind == MIME_PART_MULTIPART && !part->child)
		qu_buf_append_str(out, " (no parts)");
	qu_buf_append_byte(out, '\n');
	if (part->kind == MIME_PART_MESSAGE && part->child && part->child->envelope) {
		/* The forwarded message's fields, under its line. */
		char inner[sizeof indent + 4];
		memcpy(inner, indent, w);
		memcpy(inner + w, "    ", 5);
		view_envelope(out, inner, part->child->envelope);
	}
	if (mime_part_is_text(part) && strcmp(part->content_type, "text/plain") == 0) {
		mime_part_text(part, &r->cache, &r->scratch, &r->text, d, NULL);
		view_uu(out, indent, &r->text);
	}
	if (part->kind == MIME_PART_LEAF && app_is_tnef(part->content_type, part->filename))
		view_tnef(r, out, indent, part);
}

/* The text of a text part, line by line, each made safe. */
static void
view_text(struct app_reader *r, struct qu_buf *out, const struct section *sec,
	  const struct mime_part *part, struct mime_defects *d)
{
	qu_buf_append_str(out, "\n--- ");
	number(out, sec, part);
	qu_buf_append_byte(out, ' ');
	safe(out, part->content_type);
	qu_buf_append_str(out, " ---\n");
	mime_part_text(part, &r->cache, &r->scratch, &r->text, d, NULL);
	const char *t = r->text.data ? r->text.data : "";
	size_t n = r->text.len;
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(t + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - t) : n;
		qu_buf_append_safe(out, t + i, e - i, true);
		qu_buf_append_byte(out, '\n');
		i = e + 1;
	}
}

void
app_parse_view(struct app_reader *r, const char *p, size_t n, struct qu_buf *out)
{
	struct mime_defects d = {0};
	struct mime_opts o = {.cache = &r->cache};
	struct mime_part *root = mime_parse(p, n, &o, &d);
	view_envelope(out, "", root->envelope);
	qu_buf_append_byte(out, '\n');
	struct section sec;
	for (const struct mime_part *part = root; part; part = mime_part_next(part, root)) {
		section_step(&sec, part);
		view_part_line(r, out, &sec, part, &d);
	}
	for (const struct mime_part *part = root; part; part = mime_part_next(part, root)) {
		section_step(&sec, part);
		if (mime_part_is_text(part))
			view_text(r, out, &sec, part, &d);
	}
	if (d.count)
		qu_buf_printf(out, "\n(defects: %zu)\n", d.count);
	mime_part_free(root);
}
