#include <stddef.h>

#include "util/util.h"
#include "mime/mime.h"

static const char *const defect_names[MIME_DEFECT__COUNT] = {
	[MIME_DEFECT_B64_BAD_CHAR] = "base64_bad_char",
	[MIME_DEFECT_B64_NO_PADDING] = "base64_no_padding",
	[MIME_DEFECT_B64_AFTER_PADDING] = "base64_after_padding",
	[MIME_DEFECT_B64_TRUNCATED] = "base64_truncated",
	[MIME_DEFECT_QP_BAD_ESCAPE] = "qp_bad_escape",
	[MIME_DEFECT_UU_NO_BEGIN] = "uu_no_begin",
	[MIME_DEFECT_UU_NO_END] = "uu_no_end",
	[MIME_DEFECT_UU_BAD_LINE] = "uu_bad_line",
	[MIME_DEFECT_CTE_UNKNOWN] = "cte_unknown",
	[MIME_DEFECT_CHARSET_UNKNOWN] = "charset_unknown",
	[MIME_DEFECT_CHARSET_INVALID] = "charset_invalid",
	[MIME_DEFECT_CHARSET_GUESSED] = "charset_guessed",
	[MIME_DEFECT_HEADER_8BIT] = "header_8bit",
	[MIME_DEFECT_RFC2047_MALFORMED] = "rfc2047_malformed",
	[MIME_DEFECT_RFC2047_BAD_ENCODING] = "rfc2047_bad_encoding",
	[MIME_DEFECT_TYPE_SYNTAX] = "type_syntax",
	[MIME_DEFECT_PARAM_SYNTAX] = "param_syntax",
	[MIME_DEFECT_PARAM_DUPLICATE] = "param_duplicate",
	[MIME_DEFECT_PARAM_MISSING_SECTION] = "param_missing_section",
	[MIME_DEFECT_PARAM_BAD_RFC2231] = "param_bad_rfc2231",
	[MIME_DEFECT_UNTERMINATED] = "unterminated",
	[MIME_DEFECT_ADDR_SYNTAX] = "addr_syntax",
	[MIME_DEFECT_ADDR_NO_ANGLE] = "addr_no_angle",
	[MIME_DEFECT_DATE_INVALID] = "date_invalid",
	[MIME_DEFECT_DATE_NO_ZONE] = "date_no_zone",
	[MIME_DEFECT_DATE_BAD_ZONE] = "date_bad_zone",
	[MIME_DEFECT_DATE_SYNTAX] = "date_syntax",
	[MIME_DEFECT_HEADER_JUNK] = "header_junk",
	[MIME_DEFECT_HEADER_NO_SEPARATOR] = "header_no_separator",
	[MIME_DEFECT_NO_BOUNDARY] = "no_boundary",
	[MIME_DEFECT_NO_START_BOUNDARY] = "no_start_boundary",
	[MIME_DEFECT_NO_END_BOUNDARY] = "no_end_boundary",
	[MIME_DEFECT_MULTIPART_ENCODED] = "multipart_encoded",
	[MIME_DEFECT_MESSAGE_ENCODED] = "message_encoded",
	[MIME_DEFECT_DEPTH_LIMIT] = "depth_limit",
	[MIME_DEFECT_PART_LIMIT] = "part_limit",
	[MIME_DEFECT_SIZE_LIMIT] = "size_limit",
};

const char *
mime_defect_name(enum mime_defect_kind kind)
{
	if ((unsigned)kind >= MIME_DEFECT__COUNT || !defect_names[kind])
		return "unknown";
	return defect_names[kind];
}

void
mime_defect(struct mime_defects *d, enum mime_defect_kind kind, size_t offset)
{
	if (!d)
		return;
	d->count++;
	if (d->fn)
		d->fn(d->ctx, kind, d->base + offset);
}
