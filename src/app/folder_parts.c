/*
 * The attachment list of the UI (SPEC §8 `v`): a message's MIME parts in
 * tree order, one part's content or text, and a part saved under a safe
 * name (SPEC §6: no directory parts, no leading dot, no control
 * characters, never over an existing file).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/util.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/mail_private.h"

/* The rows of a TNEF part's files, after its own. */
static void
tnef_rows(const struct mime_part *part, size_t pi, size_t *i, app_attachment_fn fn, void *ctx)
{
	struct qu_buf raw;
	qu_buf_init(&raw, SIZE_MAX);
	struct app_tnef_file *f = NULL;
	size_t nf = 0;
	if (mime_part_decode(part, &raw, NULL, NULL) == 0 &&
		app_tnef_files(raw.data ? raw.data : "", raw.len, &f, &nf, NULL) == 0)
		for (size_t k = 0; k < nf; k++) {
			struct app_attachment a = {
				.depth = part->depth + 1,
				.type = "application/octet-stream",
				.filename = f[k].name,
				.size = f[k].len,
				.part = pi,
				.sub = k + 1,
			};
			fn(ctx, (*i)++, &a);
		}
	app_tnef_files_free(f, nf);
	qu_buf_clear(&raw);
}

/* A leaf's Content-Description (RFC 2045 §8), decoded (RFC 2047); NULL
 * when it has none. Owned. */
static char *
part_description(const struct mime_part *part)
{
	if (part->kind != MIME_PART_LEAF || part->body_off <= part->off)
		return NULL;
	struct mime_header_iter it;
	mime_header_iter_init(&it, part->base + part->off, part->body_off - part->off, NULL);
	struct mime_header_field f;
	while (mime_header_iter_next(&it, &f))
		if (f.name_len == 19 && strncasecmp(f.name, "Content-Description", 19) == 0)
			return mime_text_decode(f.value, f.value_len, MIME_TEXT_TRIM, NULL, NULL);
	return NULL;
}

void
app_message_parts(const char *p, size_t n, app_attachment_fn fn, void *ctx)
{
	struct mime_part *root = mime_parse(p, n, NULL, NULL);
	size_t i = 0, pi = 0;
	for (const struct mime_part *part = root; part; part = mime_part_next(part, root), pi++) {
		size_t len = 0;
		mime_part_body(part, &len);
		struct app_attachment a = {
			.depth = part->depth,
			.type = part->content_type,
			.filename = part->filename,
			.size = len,
			.is_text = part->kind == MIME_PART_LEAF && mime_part_is_text(part),
			.part = pi,
			.charset = part->charset,
			.description = part_description(part),
		};
		fn(ctx, i++, &a);
		free((char *)a.description);
		if (part->kind == MIME_PART_LEAF && app_is_tnef(part->content_type, part->filename))
			tnef_rows(part, pi, &i, fn, ctx);
	}
	mime_part_free(root);
}

/* File sub (from 1) of the TNEF part into out; its name, owned, in *name. */
static int
tnef_file(const struct mime_part *part, size_t sub, struct qu_buf *out, char **name,
	struct qu_err *err)
{
	qu_buf_reset(out);
	struct qu_buf raw;
	qu_buf_init(&raw, SIZE_MAX);
	struct app_tnef_file *f = NULL;
	size_t nf = 0;
	int rc = mime_part_decode(part, &raw, NULL, err);
	if (rc == 0)
		rc = app_tnef_files(raw.data ? raw.data : "", raw.len, &f, &nf, err);
	if (rc == 0 && sub > nf)
		rc = qu_err_set(err, QU_E_USAGE, "no such part");
	if (rc == 0) {
		qu_buf_append(out, f[sub - 1].data, f[sub - 1].len);
		if (name)
			*name = f[sub - 1].name ? xstrdup(f[sub - 1].name) : NULL;
	}
	app_tnef_files_free(f, nf);
	qu_buf_clear(&raw);
	return rc;
}

static const struct mime_part *
nth(const struct mime_part *root, size_t i)
{
	const struct mime_part *part = root;
	for (size_t k = 0; part && k < i; k++)
		part = mime_part_next(part, root);
	return part;
}

int
app_message_part_sub(struct app_reader *r, const char *p, size_t n, size_t i, size_t sub,
	bool as_text, struct qu_buf *out, struct qu_err *err)
{
	qu_buf_reset(out);
	struct mime_opts o = {.cache = &r->cache};
	struct mime_part *root = mime_parse(p, n, &o, NULL);
	const struct mime_part *part = nth(root, i);
	int rc;
	if (!part || part->kind != MIME_PART_LEAF)
		rc = qu_err_set(err, QU_E_USAGE, "no such part");
	else if (sub > 0 && as_text)
		rc = qu_err_set(err, QU_E_USAGE, "a file inside TNEF is not shown as text");
	else if (sub > 0)
		rc = tnef_file(part, sub, out, NULL, err);
	else if (as_text && !mime_part_is_text(part))
		rc = qu_err_set(err, QU_E_USAGE, "%s is not text", part->content_type);
	else if (as_text)
		rc = mime_part_text(part, &r->cache, &r->scratch, out, NULL, err);
	else
		rc = mime_part_decode(part, out, NULL, err);
	mime_part_free(root);
	return rc;
}

int
app_message_part(struct app_reader *r, const char *p, size_t n, size_t i, bool as_text,
	struct qu_buf *out, struct qu_err *err)
{
	return app_message_part_sub(r, p, n, i, 0, as_text, out, err);
}

int
app_message_save_part_sub(struct app_reader *r, const char *p, size_t n, size_t i, size_t sub,
	const char *dir, char **saved, struct qu_err *err)
{
	*saved = NULL;
	struct mime_part *root = mime_parse(p, n, NULL, NULL);
	const struct mime_part *part = nth(root, i);
	int rc = -1;
	if (!part || part->kind != MIME_PART_LEAF) {
		qu_err_set(err, QU_E_USAGE, "no such part");
		mime_part_free(root);
		return -1;
	}
	char *name = NULL;
	qu_buf_reset(&r->scratch);
	if (sub > 0)
		rc = tnef_file(part, sub, &r->scratch, &name, err);
	else
		rc = mime_part_decode(part, &r->scratch, NULL, err);
	char *safe = app_safe_filename(sub > 0 ? name : part->filename);
	char *fallback = sub > 0 ? xasprintf("part-%zu-%zu.bin", i + 1, sub) :
		xasprintf("part-%zu.bin", i + 1);
	char *chosen = NULL;
	int fd = rc == 0 ? app_create_unique(dir, safe ? safe : fallback, &chosen, err) : -1;
	if (fd >= 0) {
		rc = qu_write_all_err(fd, r->scratch.data ? r->scratch.data : "", r->scratch.len, err,
			"write");
		if (close(fd) < 0 && rc == 0)
			rc = qu_err_sys(err, QU_E_IOERR, errno, "close");
		char *path = xasprintf("%s/%s", dir, chosen);
		if (rc < 0)
			unlink(path);
		*saved = rc == 0 ? path : (free(path), NULL);
	} else {
		rc = -1;
	}
	free(chosen);
	free(fallback);
	free(safe);
	free(name);
	mime_part_free(root);
	return rc;
}

int
app_message_save_part(struct app_reader *r, const char *p, size_t n, size_t i, const char *dir,
	char **saved, struct qu_err *err)
{
	return app_message_save_part_sub(r, p, n, i, 0, dir, saved, err);
}
