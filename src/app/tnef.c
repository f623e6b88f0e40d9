/*
 * TNEF (application/ms-tnef, "winmail.dat"; MS-OXTNEF): the files that
 * Outlook wraps into one attachment, opened through libytnef.
 *
 * The stream is outside bytes, and libytnef reports what it does not
 * like with printf on stdout, which is where `quail parse --json` writes
 * and where the UI draws. So quail walks the attribute framing itself
 * first (MS-OXTNEF §2.1.3: level, id, length, data, checksum): a stream
 * whose lengths pass its end, whose checksums are wrong or that holds
 * too many attributes is refused before libytnef sees it, and only the
 * attributes that carry files (rendering data, which starts an
 * attachment, title and data; once each per attachment) are handed on,
 * so that the MAPI property blocks, the part of libytnef with the most
 * failure paths, are never parsed.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* ytnef.h needs FILE */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ytnef.h>

#include "util/util.h"
#include "app/app.h"

#define TNEF_SIGNATURE 0x223E9F78u
/* Attributes of a stream, at most; more is not a mail Outlook made. */
#define TNEF_MAX_ATTRS 100000u
/* Bytes of a stream, at most (libytnef keeps each attribute in memory). */
#define TNEF_MAX (64u << 20)

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Which attributes of the current attachment were handed on. */
struct seen {
	bool open, title, data;
};

/* Whether to hand an attribute on. Rendering data starts an attachment;
 * a title or data outside one, or given twice in one, is dropped:
 * libytnef would keep it in a place it never frees. */
static bool
kept(struct seen *s, uint8_t level, uint32_t id)
{
	if (level != LVL_ATTACHMENT)
		return false;
	if (id == attAttachRenddata) {
		*s = (struct seen){.open = true};
		return true;
	}
	bool *flag = id == attAttachTitle ? &s->title : id == attAttachData ? &s->data : NULL;
	if (!flag || !s->open || *flag)
		return false;
	*flag = true;
	return true;
}

/* Walks and checks the framing of p, n and writes the kept attributes to
 * out after a signature and key. Returns 0, or -1 with DATA. */
static int
reframe(const unsigned char *p, size_t n, struct qu_buf *out, struct qu_err *err)
{
	if (n < 6 || le32(p) != TNEF_SIGNATURE)
		return qu_err_set(err, QU_E_DATA, "not a TNEF stream");
	if (n > TNEF_MAX)
		return qu_err_set(err, QU_E_DATA, "TNEF stream too large");
	qu_buf_append(out, p, 6);
	struct seen seen = {0};
	size_t i = 6;
	for (unsigned count = 0; i < n; count++) {
		if (count >= TNEF_MAX_ATTRS)
			return qu_err_set(err, QU_E_DATA, "TNEF: too many attributes");
		if (n - i < 9)
			return qu_err_set(err, QU_E_DATA, "TNEF: truncated attribute at %zu", i);
		uint8_t level = p[i];
		uint32_t id = le32(p + i + 1), len = le32(p + i + 5);
		if (level != LVL_MESSAGE && level != LVL_ATTACHMENT)
			return qu_err_set(err, QU_E_DATA, "TNEF: bad level at %zu", i);
		/* libytnef refuses an empty attribute (with a printf). */
		if (len == 0 || len > n - i - 9 || n - i - 9 - len < 2)
			return qu_err_set(err, QU_E_DATA, "TNEF: attribute length past the end at %zu", i);
		const unsigned char *data = p + i + 9;
		uint16_t sum = 0;
		for (uint32_t k = 0; k < len; k++)
			sum = (uint16_t)(sum + data[k]);
		if ((uint16_t)(data[len] | data[len + 1] << 8) != sum)
			return qu_err_set(err, QU_E_DATA, "TNEF: bad checksum at %zu", i);
		if (kept(&seen, level, id))
			qu_buf_append(out, p + i, 9 + (size_t)len + 2);
		i += 9 + (size_t)len + 2;
	}
	return 0;
}

/* The title as it was written: a NUL-terminated 8-bit string; NUL and
 * what follows go. */
static char *
title_of(const variableLength *v)
{
	if (!v->data || v->size <= 0)
		return NULL;
	size_t n = strnlen((const char *)v->data, (size_t)v->size);
	return n ? xstrndup((const char *)v->data, n) : NULL;
}

/* libytnef, opened on first use: only a winmail.dat needs it. Filled once,
 * then only read. */
struct ytnef_lib {
	__typeof__(TNEFInitialize) *initialize;
	__typeof__(TNEFParseMemory) *parse_memory;
	__typeof__(TNEFFree) *free_;
};
#define YT_SYM(f, m) {#f, offsetof(struct ytnef_lib, m)}
static const struct qu_dl_sym yt_syms[] = {
	YT_SYM(TNEFInitialize, initialize), YT_SYM(TNEFParseMemory, parse_memory),
	YT_SYM(TNEFFree, free_),
};
/* Debian 12's runtime package libytnef0. */
static const struct qu_dl_lib yt_dl = {"libytnef.so.0", "libytnef0", "TNEF (winmail.dat)",
				       yt_syms, QU_ARRAY_LEN(yt_syms)};
static struct ytnef_lib yt;
static struct qu_dl_once yt_once = QU_DL_ONCE(&yt_dl, &yt, NULL);

int
app_tnef_files(const char *p, size_t n, struct app_tnef_file **files, size_t *nfiles,
	struct qu_err *err)
{
	*files = NULL;
	*nfiles = 0;
	if (qu_dl_open(&yt_once, err) < 0)
		return -1;
	struct qu_buf clean;
	qu_buf_init(&clean, SIZE_MAX);
	if (reframe((const unsigned char *)p, n, &clean, err) < 0) {
		qu_buf_clear(&clean);
		return -1;
	}
	TNEFStruct t;
	yt.initialize(&t);
	t.Debug = 0;
	int rc = 0;
	if (yt.parse_memory((BYTE *)clean.data, (long)clean.len, &t) < 0) {
		rc = qu_err_set(err, QU_E_DATA, "TNEF: unreadable");
	} else {
		size_t alloc = 0;
		for (Attachment *a = t.starting_attach.next; a; a = a->next) {
			/* Rendering data with no file (an embedded OLE object, say). */
			if (!a->FileData.data || a->FileData.size < 0)
				continue;
			*files = xgrow(*files, &alloc, *nfiles + 1, sizeof **files);
			struct app_tnef_file *f = &(*files)[(*nfiles)++];
			f->name = title_of(&a->Title);
			f->len = (size_t)a->FileData.size;
			f->data = xmalloc(f->len + 1);
			memcpy(f->data, a->FileData.data, f->len);
			f->data[f->len] = '\0';
		}
	}
	yt.free_(&t);
	qu_buf_clear(&clean);
	return rc;
}

void
app_tnef_files_free(struct app_tnef_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].data);
	}
	free(f);
}

bool
app_is_tnef(const char *type, const char *filename)
{
	if (type && (strcmp(type, "application/ms-tnef") == 0 ||
		    strcmp(type, "application/vnd.ms-tnef") == 0))
		return true;
	/* Mailers that label it application/octet-stream still name it so. */
	return filename && strcasecmp(filename, "winmail.dat") == 0 && type &&
		strcmp(type, "application/octet-stream") == 0;
}
