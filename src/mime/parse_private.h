/*
 * Internals of the message reader (header.c, parse.c, part.c); nothing
 * outside src/mime includes this.
 */
#ifndef QUAIL_MIME_PARSE_PRIVATE_H
#define QUAIL_MIME_PARSE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"
#include "mime/mime.h"

/* The header fields the reader decodes. */
enum mime_hf {
	MIME_HF_OTHER,
	MIME_HF_CONTENT_TYPE,
	MIME_HF_CTE,
	MIME_HF_DISPOSITION,
	MIME_HF_CONTENT_ID,
	MIME_HF_SUBJECT,
	MIME_HF_DATE,
	MIME_HF_MESSAGE_ID,
	MIME_HF_FROM,
	MIME_HF_TO,
	MIME_HF_CC,
	MIME_HF__COUNT,
};

/* Which field a name is (case-insensitive). */
enum mime_hf mime_hf_kind(const char *name, size_t n);

/* The end of the line starting at i: returns where its line end (CRLF, LF
 * or a lone CR) starts, or n; *next gets where the next line starts. */
size_t mime_line_end(const char *p, size_t n, size_t i, size_t *next);

/* Reads one header block into part (content fields) and, when envelope
 * is not NULL, into it. it must be initialised on the block; the caller
 * may set its stop hook. base is added to defect offsets of the field
 * decoders (which count from the value). */
void mime_header_read(struct mime_header_iter *it, struct mime_part *part,
	struct mime_envelope *envelope, bool digest_child, struct mime_charset_cache *cache,
	struct mime_defects *d, struct qu_buf *tmp);

#endif
