/*
 * TNEF streams (winmail.dat): the framing check and libytnef behind it.
 * Whatever the bytes, either a refusal or files whose lengths hold, each
 * name a C string; never a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_tnef_file *f = NULL;
	size_t n = 0;
	struct qu_err err = {0};
	if (app_tnef_files((const char *)data, size, &f, &n, &err) < 0) {
		if (f || n || !err.msg[0])
			abort();
		return 0;
	}
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i].len > size || f[i].data[f[i].len] != '\0')
			abort();
		if (f[i].name && strlen(f[i].name) > size)
			abort();
		total += f[i].len;
	}
	/* The files are inside the stream: together never longer than it. */
	if (total > size)
		abort();
	app_tnef_files_free(f, n);
	return 0;
}
