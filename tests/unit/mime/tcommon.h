/*
 * Helpers shared by the mime unit tests.
 */
#ifndef QUAIL_TESTS_MIME_TCOMMON_H
#define QUAIL_TESTS_MIME_TCOMMON_H

#include <check.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"

/* A string literal and its length (it may hold NULs). */
#define S(x) x, (sizeof(x) - 1)

/* Prints bytes as C escapes for failure messages (static buffer: one use
 * per message). */
static inline const char *
esc(const char *p, size_t n, char *buf, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 5 < cap; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c < 0x7F && c != '\\')
			buf[k++] = (char)c;
		else
			k += (size_t)snprintf(buf + k, cap - k, "\\x%02X", c);
	}
	buf[k] = '\0';
	return buf;
}

#define ck_assert_mem_eq_n(got, gotlen, want, wantlen)                                    \
	do {                                                                               \
		char eb1_[1024], eb2_[1024];                                               \
		ck_assert_msg((gotlen) == (wantlen) && memcmp((got), (want), (wantlen)) == 0, \
			"got \"%s\" (%zu), want \"%s\" (%zu)",                             \
			esc((got), (gotlen), eb1_, sizeof eb1_), (size_t)(gotlen),         \
			esc((want), (wantlen), eb2_, sizeof eb2_), (size_t)(wantlen));     \
	} while (0)

/* Converts UTF-8 test text into a legacy charset with iconv (so that the
 * test data stays readable in the source). */
static inline void
to_charset(const char *utf8, const char *cs, struct qu_buf *out)
{
	iconv_t cd = iconv_open(cs, "UTF-8");
	ck_assert_msg(cd != (iconv_t)-1, "iconv_open %s", cs);
	char *in = (char *)utf8;
	size_t inleft = strlen(utf8);
	char tmp[8192];
	char *o = tmp;
	size_t oleft = sizeof tmp;
	size_t r = iconv(cd, &in, &inleft, &o, &oleft);
	ck_assert_msg(r != (size_t)-1, "iconv to %s", cs);
	iconv(cd, NULL, NULL, &o, &oleft);
	iconv_close(cd);
	qu_buf_append(out, tmp, sizeof tmp - oleft);
}

/* Records the kinds of defects seen. */
struct tdefects {
	struct mime_defects d;
	unsigned kinds[MIME_DEFECT__COUNT];
};

static inline void
tdefects_fn(void *ctx, enum mime_defect_kind kind, size_t off)
{
	struct tdefects *t = ctx;
	(void)off;
	if ((unsigned)kind < MIME_DEFECT__COUNT)
		t->kinds[kind]++;
}

static inline void
tdefects_init(struct tdefects *t)
{
	memset(t, 0, sizeof *t);
	t->d.fn = tdefects_fn;
	t->d.ctx = t;
}

static inline int
run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif
