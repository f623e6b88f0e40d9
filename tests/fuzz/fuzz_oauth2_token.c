/*
 * What an OAuth 2 token endpoint answers, and quail's token file
 * (src/app/oauth2.c, app_oauth2_parse_token): whatever the bytes, a token
 * read is non-empty printable ASCII without quotes, backslashes or
 * spaces, and an error code is at most 31 bytes of [a-z_?].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_token(const char *t)
{
	if (!t || !*t)
		abort();
	for (const char *p = t; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\\')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_oauth2_tokens t;
	char code[32];
	struct qu_err err;
	int rc = app_oauth2_parse_token((const char *)data, size, 1000, &t, code, &err);
	if (strlen(code) > 31 || strspn(code, "abcdefghijklmnopqrstuvwxyz_?") != strlen(code))
		abort();
	if (rc == 0) {
		check_token(t.access_token);
		if (t.refresh_token)
			check_token(t.refresh_token);
	} else if (t.access_token || t.refresh_token) {
		abort();
	}
	app_oauth2_tokens_clear(&t);
	return 0;
}
