/*
 * HTML mail as text: whatever the bytes, the text is valid UTF-8 without
 * NUL or CR, made of whole lines, and a capped buffer gets a prefix of
 * the uncapped text.
 */
#include "fuzz_common.h"

static void
check_text(const struct qu_buf *b)
{
	if (!b->len)
		return;
	if (!qu_utf8_valid(b->data, b->len) || memchr(b->data, '\0', b->len) ||
		memchr(b->data, '\r', b->len) || b->data[b->len - 1] != '\n')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	/* The first byte picks the width and whether links are numbered. */
	int width = size ? (data[0] & 0x7F) : 72;
	bool links = size && (data[0] & 0x80);
	struct mime_html_opts o = {.width = width, .links = links};
	struct qu_buf full, part;
	qu_buf_init(&full, SIZE_MAX);
	if (mime_html_to_text(p, size, &o, &full) < 0)
		abort();
	check_text(&full);
	if (full.len) {
		qu_buf_init(&part, full.len / 2);
		if (mime_html_to_text(p, size, &o, &part) != -1)
			abort();
		if (part.len > full.len / 2 || memcmp(part.data ? part.data : "", full.data, part.len))
			abort();
		qu_buf_clear(&part);
	}
	qu_buf_clear(&full);
	return 0;
}
