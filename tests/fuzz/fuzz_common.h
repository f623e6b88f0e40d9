/*
 * Invariants the fuzz targets check: what the mime decoders return is
 * always valid UTF-8 (or, for transfer decoding, independent of chunking).
 */
#ifndef QUAIL_TESTS_FUZZ_COMMON_H
#define QUAIL_TESTS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
fuzz_check_utf8(const char *s)
{
	if (s && !qu_utf8_valid(s, strlen(s)))
		abort();
}

#endif
