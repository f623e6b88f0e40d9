/*
 * From/To/Cc address lists.
 */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_defects d = {0};
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	mime_addr_list_parse((const char *)data, size, &l, NULL, &d);
	for (size_t k = 0; k < l.n; k++) {
		if (!l.v[k].address)
			abort();
		if (l.v[k].name && !l.v[k].name[0])
			abort(); /* an empty name is NULL */
		fuzz_check_utf8(l.v[k].name);
		fuzz_check_utf8(l.v[k].address);
	}
	mime_addr_list_clear(&l);
	return 0;
}
