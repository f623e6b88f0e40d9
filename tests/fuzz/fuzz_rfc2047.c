/*
 * Unstructured header text: unfolding, RFC 2047 words, raw 8-bit.
 */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct mime_defects d = {0};
	struct mime_charset_cache cache;
	mime_charset_cache_init(&cache);
	char *a = mime_text_decode(p, size, 0, &cache, &d);
	char *b = mime_text_decode(p, size, MIME_TEXT_TRIM, NULL, &d);
	fuzz_check_utf8(a);
	fuzz_check_utf8(b);
	/* Trimming only removes white space at the ends. */
	if (strlen(b) > strlen(a))
		abort();
	free(a);
	free(b);
	mime_charset_cache_clear(&cache);
	return 0;
}
