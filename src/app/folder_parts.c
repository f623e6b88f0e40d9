/*
 * The attachment list of the UI (SPEC §8 `v`): a message's MIME parts in
 * tree order, one part's content or text, and a part saved under a safe
 * name (SPEC §6: no directory parts, no leading dot, no control
 * characters, never over an existing file).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/mail_private.h"

void
app_message_parts(const char *p, size_t n, app_attachment_fn fn, void *ctx)
{
	struct mime_part *root = mime_parse(p, n, NULL, NULL);
	size_t i = 0;
	for (const struct mime_part *part = root; part; part = mime_part_next(part, root)) {
		size_t len = 0;
		mime_part_body(part, &len);
		struct app_attachment a = {
			.depth = part->depth,
			.type = part->content_type,
			.filename = part->filename,
			.size = len,
			.is_text = part->kind == MIME_PART_LEAF && mime_part_is_text(part),
		};
		fn(ctx, i++, &a);
	}
	mime_part_free(root);
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
app_message_part(struct app_reader *r, const char *p, size_t n, size_t i, bool as_text,
	struct qu_buf *out, struct qu_err *err)
{
	qu_buf_reset(out);
	struct mime_opts o = {.cache = &r->cache};
	struct mime_part *root = mime_parse(p, n, &o, NULL);
	const struct mime_part *part = nth(root, i);
	int rc;
	if (!part || part->kind != MIME_PART_LEAF)
		rc = qu_err_set(err, QU_E_USAGE, "no such part");
	else if (as_text && !mime_part_is_text(part))
		rc = qu_err_set(err, QU_E_USAGE, "%s is not text", part->content_type);
	else if (as_text)
		rc = mime_part_text(part, &r->cache, &r->scratch, out, NULL, err);
	else
		rc = mime_part_decode(part, out, NULL, err);
	mime_part_free(root);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n, struct qu_err *err)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return qu_err_sys(err, QU_E_IOERR, w < 0 ? errno : ENOSPC, "write");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
app_message_save_part(struct app_reader *r, const char *p, size_t n, size_t i, const char *dir,
	char **saved, struct qu_err *err)
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
	char *safe = part->filename ? app_safe_filename(part->filename) : NULL;
	char *fallback = xasprintf("part-%zu.bin", i + 1);
	char *chosen = NULL;
	int fd = app_create_unique(dir, safe ? safe : fallback, &chosen, err);
	if (fd >= 0) {
		qu_buf_reset(&r->scratch);
		rc = mime_part_decode(part, &r->scratch, NULL, err);
		if (rc == 0)
			rc = write_all(fd, r->scratch.data ? r->scratch.data : "", r->scratch.len, err);
		if (close(fd) < 0 && rc == 0)
			rc = qu_err_sys(err, QU_E_IOERR, errno, "close");
		char *path = xasprintf("%s/%s", dir, chosen);
		if (rc < 0)
			unlink(path);
		*saved = rc == 0 ? path : (free(path), NULL);
	}
	free(chosen);
	free(fallback);
	free(safe);
	mime_part_free(root);
	return rc;
}
