/*
 * `quail parse` (SPEC §6, §7): a message as JSON, one object per line,
 * and as a tree a person reads. Both walk the part tree without recursion.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/mail_private.h"

/* ---- JSON (RFC 8259) ----------------------------------------------------- */

static void
json_key(struct qu_buf *out, const char *key, bool comma)
{
	if (comma)
		qu_buf_append_byte(out, ',');
	qu_buf_printf(out, "\"%s\":", key);
}

static void
json_str_or_null(struct qu_buf *out, const char *key, const char *s, bool comma)
{
	json_key(out, key, comma);
	if (s)
		qu_json_string(out, s, strlen(s));
	else
		qu_buf_append_str(out, "null");
}

static void
json_addrs(struct qu_buf *out, const char *key, const struct mime_addr_list *l)
{
	json_key(out, key, true);
	qu_buf_append_byte(out, '[');
	for (size_t i = 0; i < l->n; i++) {
		qu_buf_append_str(out, i ? ",{" : "{");
		json_str_or_null(out, "name", l->v[i].name, false);
		json_str_or_null(out, "address", l->v[i].address ? l->v[i].address : "", true);
		qu_buf_append_byte(out, '}');
	}
	qu_buf_append_byte(out, ']');
}

/* The message fields of SPEC §7, up to "body": (the part follows). */
static void
json_envelope(struct qu_buf *out, const struct mime_envelope *e)
{
	qu_buf_append_byte(out, '{');
	json_str_or_null(out, "subject", e->subject, false);
	json_addrs(out, "from", &e->from);
	json_addrs(out, "to", &e->to);
	json_addrs(out, "cc", &e->cc);
	json_str_or_null(out, "date", e->date, true);
	json_str_or_null(out, "message_id", e->message_id, true);
	json_key(out, "body", true);
}

struct hash_ctx {
	struct qu_sha256 sha;
	uint64_t size;
};

static int
hash_piece(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct hash_ctx *h = ctx;
	(void)err;
	qu_sha256_update(&h->sha, p, n);
	h->size += n;
	return 0;
}

static void
json_size_hash(struct qu_buf *out, struct hash_ctx *h)
{
	unsigned char dg[32];
	char hex[65];
	qu_sha256_final(&h->sha, dg);
	json_key(out, "size", true);
	qu_buf_printf(out, "%llu", (unsigned long long)h->size);
	json_str_or_null(out, "sha256", qu_sha256_hex(dg, hex), true);
}

/* size, sha256 and (text leaves) text. */
static void
json_leaf(struct app_reader *r, struct qu_buf *out, const struct mime_part *part,
	  struct mime_defects *d)
{
	struct hash_ctx h;
	qu_sha256_init(&h.sha);
	h.size = 0;
	if (!mime_part_is_text(part)) {
		mime_part_decode_each(part, &r->scratch, hash_piece, &h, d, NULL);
		json_size_hash(out, &h);
		return;
	}
	const char *p = "";
	size_t n = 0;
	mime_part_content(part, &r->scratch, &p, &n, d, NULL);
	hash_piece(&h, p, n, NULL);
	json_size_hash(out, &h);
	qu_buf_reset(&r->text);
	mime_charset_to_utf8(&r->cache, part->charset, p, n, &r->text, d, NULL);
	mime_eol_to_lf(&r->text);
	json_key(out, "text", true);
	qu_json_string(out, r->text.data ? r->text.data : "", r->text.len);
}

/* A TNEF leaf's files as "parts" (SPEC §7 extended): leaves of type
 * application/octet-stream with filename, size and sha256. */
static void
json_tnef(struct app_reader *r, struct qu_buf *out, const struct mime_part *part)
{
	qu_buf_reset(&r->scratch);
	struct app_tnef_file *f = NULL;
	size_t nf = 0;
	if (mime_part_decode(part, &r->scratch, NULL, NULL) < 0 ||
		app_tnef_files(r->scratch.data ? r->scratch.data : "", r->scratch.len, &f, &nf,
			NULL) < 0)
		return;
	json_key(out, "parts", true);
	qu_buf_append_byte(out, '[');
	for (size_t i = 0; i < nf; i++) {
		qu_buf_append_str(out, i ? ",{" : "{");
		json_str_or_null(out, "content_type", "application/octet-stream", false);
		json_str_or_null(out, "charset", NULL, true);
		json_str_or_null(out, "disposition", "attachment", true);
		json_str_or_null(out, "filename", f[i].name, true);
		json_str_or_null(out, "content_id", NULL, true);
		struct hash_ctx h;
		qu_sha256_init(&h.sha);
		h.size = 0;
		hash_piece(&h, f[i].data, f[i].len, NULL);
		json_size_hash(out, &h);
		qu_buf_append_byte(out, '}');
	}
	qu_buf_append_byte(out, ']');
	app_tnef_files_free(f, nf);
}

static void
json_part_open(struct app_reader *r, struct qu_buf *out, const struct mime_part *part,
	       struct mime_defects *d)
{
	const struct mime_part *up = part->parent;
	if (up && up->kind == MIME_PART_MULTIPART && up->child != part)
		qu_buf_append_byte(out, ',');
	if (part->envelope && up)
		json_envelope(out, part->envelope);
	static const char *const disp[] = {NULL, "inline", "attachment"};
	qu_buf_append_byte(out, '{');
	json_str_or_null(out, "content_type", part->content_type, false);
	json_str_or_null(out, "charset", part->charset, true);
	json_str_or_null(out, "disposition", disp[part->disposition], true);
	json_str_or_null(out, "filename", part->filename, true);
	json_str_or_null(out, "content_id", part->content_id, true);
	if (part->kind == MIME_PART_LEAF) {
		json_leaf(r, out, part, d);
		if (app_is_tnef(part->content_type, part->filename))
			json_tnef(r, out, part);
	} else if (part->kind == MIME_PART_MULTIPART) {
		json_key(out, "parts", true);
		qu_buf_append_byte(out, '[');
	} else {
		json_key(out, "message", true);
	}
}

static void
json_part_close(struct qu_buf *out, const struct mime_part *part)
{
	if (part->kind == MIME_PART_MULTIPART)
		qu_buf_append_byte(out, ']');
	qu_buf_append_byte(out, '}');
	/* The top part of a message/rfc822 ends that message's object. */
	if (part->envelope && part->parent)
		qu_buf_append_byte(out, '}');
}

void
app_parse_json(struct app_reader *r, const char *p, size_t n, struct qu_buf *out,
	       size_t *defects)
{
	struct mime_defects d = {0};
	struct mime_opts o = {.cache = &r->cache};
	struct mime_part *root = mime_parse(p, n, &o, &d);
	json_envelope(out, root->envelope);
	/* Depth first; a part's object closes once its children are done. */
	const struct mime_part *part = root;
	for (;;) {
		json_part_open(r, out, part, &d);
		if (part->child) {
			part = part->child;
			continue;
		}
		for (;;) {
			json_part_close(out, part);
			if (part == root)
				goto done;
			if (part->next) {
				part = part->next;
				break;
			}
			part = part->parent;
		}
	}
done:
	qu_buf_append_byte(out, '}');
	mime_part_free(root);
	if (defects)
		*defects = d.count;
}
