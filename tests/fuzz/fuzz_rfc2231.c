/*
 * Content-Type and Content-Disposition values: parameters, RFC 2231,
 * RFC 2047 in parameters.
 */
#include "fuzz_common.h"

static void
check_field(const struct mime_field *f)
{
	fuzz_check_utf8(f->token);
	for (size_t k = 0; k < f->nparams; k++) {
		fuzz_check_utf8(f->params[k].name);
		fuzz_check_utf8(f->params[k].value);
		if (!f->params[k].raw)
			abort();
	}
	size_t len = 0;
	const char *raw = mime_param_get_raw(f, "boundary", &len);
	if (raw && strlen(raw) > len)
		abort();
	fuzz_check_utf8(mime_param_get(f, "filename"));
	fuzz_check_utf8(mime_param_get(f, "name"));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct mime_defects d = {0};
	struct mime_field f;
	mime_field_parse_content_type(p, size, &f, NULL, &d);
	check_field(&f);
	mime_field_clear(&f);
	mime_field_parse_disposition(p, size, &f, NULL, &d);
	check_field(&f);
	mime_field_clear(&f);
	return 0;
}
