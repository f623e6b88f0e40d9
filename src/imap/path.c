/*
 * Mailbox names to directories (SPEC §5: folder A/B is DIR/A/B). Names
 * come from the server, so a hostile LIST ("../../x", "/abs", "a//b",
 * control characters) must not reach outside DIR or clash with the
 * Maildir's own tmp/, new/ and cur/: such components are encoded, never
 * used as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "imap/imap.h"

#define COMPONENT_MAX 200

static void
put_hex(struct qu_buf *b, unsigned char c)
{
	qu_buf_printf(b, "%%%02X", c);
}

static bool
reserved(const char *p, size_t n)
{
	return qu_mem_eq_ci(p, n, "cur") || qu_mem_eq_ci(p, n, "new") || qu_mem_eq_ci(p, n, "tmp");
}

static void
component(struct qu_buf *b, const char *p, size_t n, bool first)
{
	if (n == 0) {
		qu_buf_append_byte(b, '%');
		return;
	}
	if (first && qu_mem_eq_ci(p, n, "INBOX")) {
		qu_buf_append_str(b, "INBOX");
		return;
	}
	size_t start = b->len;
	bool utf8 = qu_utf8_valid(p, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		bool enc = c < 0x20 || c == 0x7f || c == '%' || c == '/' || c == '\\' ||
			   (c >= 0x80 && !utf8) || (i == 0 && (c == '.' || reserved(p, n)));
		if (enc)
			put_hex(b, c);
		else
			qu_buf_append_byte(b, (char)c);
	}
	if (b->len - start <= COMPONENT_MAX)
		return;
	/* Too long for a file name: keep a prefix (whole characters) and a
	 * hash of the whole name, so different names stay apart. */
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	size_t cut = start + COMPONENT_MAX - 20;
	while (cut > start && ((unsigned char)b->data[cut] & 0xc0) == 0x80)
		cut--;
	b->len = cut;
	b->data[cut] = '\0';
	qu_buf_printf(b, "%%#%016llx", (unsigned long long)h);
}

char *
imap_mailbox_relpath(const char *name, size_t n, char delim)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	size_t i = 0;
	bool first = true;
	for (;;) {
		size_t e = i;
		while (e < n && (delim == 0 || name[e] != delim))
			e++;
		if (!first)
			qu_buf_append_byte(&b, '/');
		component(&b, name + i, e - i, first);
		first = false;
		if (e >= n)
			break;
		i = e + 1;
	}
	return qu_buf_steal(&b, NULL);
}
