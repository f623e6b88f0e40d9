/*
 * Date values.
 */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_defects d = {0};
	char *iso = mime_date_decode((const char *)data, size, &d);
	if (iso) {
		/* 2019-01-12T17:25:43+08:00 */
		if (strlen(iso) != 25 || iso[10] != 'T' || (iso[19] != '+' && iso[19] != '-'))
			abort();
		struct mime_date t;
		if (mime_date_parse((const char *)data, size, &t, NULL) < 0)
			abort();
		(void)mime_date_to_unix(&t);
	} else if (d.count == 0) {
		abort(); /* unparsable is a defect */
	}
	free(iso);
	return 0;
}
