#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
qu_base64_encode(const void *src, size_t n, size_t *outlen)
{
	const unsigned char *p = src;
	size_t len = (n + 2) / 3 * 4;
	char *out = xmalloc(len + 1);
	char *o = out;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = b64[(v >> 6) & 63];
		*o++ = b64[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		*o++ = b64[v >> 18];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	if (outlen)
		*outlen = len;
	return out;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
qu_base64_decode(const char *p, size_t n, char **out, size_t *outlen)
{
	if (n % 4)
		return -1;
	char *o = xmalloc(n / 4 * 3 + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			if (p[i + j] == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
			} else if (pad || (v[j] = b64val(p[i + j])) < 0) {
				free(o);
				return -1;
			}
		}
		unsigned x = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
		o[k++] = (char)(x >> 16);
		if (pad < 2)
			o[k++] = (char)(x >> 8);
		if (pad < 1)
			o[k++] = (char)x;
	}
	o[k] = '\0';
	*out = o;
	*outlen = k;
	return 0;
}

void
qu_trace_line(const struct qu_trace *t, char dir, const char *line, size_t len)
{
	if (t && t->fn)
		t->fn(t->ctx, dir, line, len);
}

void
qu_trace_note(const struct qu_trace *t, const char *fmt, ...)
{
	if (!t || !t->fn)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	t->fn(t->ctx, '*', line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

int64_t
qu_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
