/*
 * Server text for people: replies are ASCII by RFC 5321, but Chinese
 * providers answer in GBK (QQ Mail: "501 mail from address must be same as
 * authorization user" comes with Chinese text). What is not UTF-8 is read
 * as GB18030, the superset of GBK and GB2312.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "smtp/smtp.h"

void
smtp_text_to_utf8(struct qu_buf *text)
{
	if (!text->len || qu_utf8_valid(text->data, text->len))
		return;
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1)
		return;
	struct qu_buf out;
	qu_buf_init(&out, text->max);
	char *in = text->data;
	size_t left = text->len;
	while (left) {
		char tmp[1024];
		char *o = tmp;
		size_t room = sizeof tmp;
		size_t r = iconv(cd, &in, &left, &o, &room);
		qu_buf_append(&out, tmp, sizeof tmp - room);
		if (r == (size_t)-1 && errno != E2BIG) {
			/* A byte that is no GB18030: U+FFFD, and on. */
			qu_buf_append_str(&out, "\xEF\xBF\xBD");
			in++;
			left--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
	qu_buf_clear(text);
	*text = out;
	if (!text->data)
		qu_buf_append(text, "", 0);
}
