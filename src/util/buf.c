#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void
qu_buf_init(struct qu_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void
qu_buf_clear(struct qu_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void
qu_buf_clear_secret(struct qu_buf *b)
{
	qu_wipe(b->data, b->alloc);
	qu_buf_clear(b);
}

void
qu_buf_reset(struct qu_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *
qu_buf_reserve(struct qu_buf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return NULL;
	size_t need = b->len + n + 1;
	if (need > b->alloc) {
		size_t a = b->alloc ? b->alloc : 64;
		while (a < need)
			a = a > SIZE_MAX / 2 ? need : a * 2;
		b->data = xrealloc(b->data, a);
		b->alloc = a;
	}
	return b->data + b->len;
}

void
qu_buf_commit(struct qu_buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

int
qu_buf_append(struct qu_buf *b, const void *p, size_t n)
{
	char *dst = qu_buf_reserve(b, n);
	if (!dst)
		return -1;
	if (n)
		memcpy(dst, p, n);
	qu_buf_commit(b, n);
	return 0;
}

int
qu_buf_append_str(struct qu_buf *b, const char *s)
{
	return qu_buf_append(b, s, strlen(s));
}

int
qu_buf_append_byte(struct qu_buf *b, char c)
{
	return qu_buf_append(b, &c, 1);
}

int
qu_buf_vprintf(struct qu_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	char probe[1];
	int n = vsnprintf(probe, sizeof probe, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -1;
	char *dst = qu_buf_reserve(b, (size_t)n);
	if (!dst)
		return -1;
	vsnprintf(dst, (size_t)n + 1, fmt, ap);
	qu_buf_commit(b, (size_t)n);
	return 0;
}

int
qu_buf_printf(struct qu_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = qu_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

void
qu_buf_consume(struct qu_buf *b, size_t n)
{
	if (n >= b->len) {
		qu_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

char *
qu_buf_steal(struct qu_buf *b, size_t *len)
{
	char *p = b->data ? b->data : xcalloc(1, 1);
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
