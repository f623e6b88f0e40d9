#include <string.h>

#include "util/util.h"

static void
json_escape_byte(struct qu_buf *out, unsigned c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = {'\\', 'u', '0', '0', hex[(c >> 4) & 15], hex[c & 15]};
	qu_buf_append(out, e, 6);
}

/* Length of the valid UTF-8 sequence at u (Unicode Table 3-7), 0 when
 * there is none. */
static size_t
utf8_len(const unsigned char *u, size_t n)
{
	unsigned c = u[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((u[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

void
qu_json_string(struct qu_buf *out, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	qu_buf_append_byte(out, '"');
	size_t i = 0;
	while (i < n) {
		/* A run that needs no escape: printable ASCII and UTF-8 beyond
		 * the C1 controls. */
		size_t j = i;
		for (;;) {
			if (j < n && u[j] >= 0x20 && u[j] < 0x7F && u[j] != '"' && u[j] != '\\') {
				j++;
				continue;
			}
			size_t l = j < n && u[j] >= 0x80 ? utf8_len(u + j, n - j) : 0;
			if (l == 0 || (l == 2 && u[j] == 0xC2 && u[j + 1] < 0xA0))
				break;
			j += l;
		}
		qu_buf_append(out, p + i, j - i);
		if (j == n)
			break;
		i = j;
		unsigned c = u[i];
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			qu_buf_append(out, e, 2);
			i++;
		} else if (c < 0x80) {
			/* C0 controls and DEL. */
			json_escape_byte(out, c);
			i++;
		} else if (utf8_len(u + i, n - i) == 2) {
			/* C1 controls (U+0080..U+009F): escaped, so that no
			 * terminal takes them for CSI and friends. */
			json_escape_byte(out, u[i + 1]);
			i += 2;
		} else {
			/* Invalid UTF-8 is never written (SPEC §7). */
			qu_buf_append(out, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
	qu_buf_append_byte(out, '"');
}

void
qu_json_cstr(struct qu_buf *out, const char *s)
{
	if (s)
		qu_json_string(out, s, strlen(s));
	else
		qu_buf_append_str(out, "null");
}
