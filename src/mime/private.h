/*
 * mime internals shared by the files of this folder only.
 */
#ifndef QUAIL_MIME_PRIVATE_H
#define QUAIL_MIME_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"
#include "mime/mime.h"

/* Records kind once per decoder: bit is the decoder's own bit for it. */
static inline void
mime_defect_once(struct mime_defects *d, unsigned *seen, unsigned bit,
	enum mime_defect_kind kind, size_t off)
{
	if (*seen & bit)
		return;
	*seen |= bit;
	mime_defect(d, kind, off);
}

static inline bool
mime_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool
mime_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline char
mime_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Appends n bytes made by the caller: returns where to write at least n
 * bytes (in out, or in *tmp which the caller passes to mime_out_commit). */
char *mime_out_begin(struct qu_buf *out, size_t n, char **tmp);
/* Commits the k bytes written; returns -1 (err set) when out's cap is hit. */
int mime_out_commit(struct qu_buf *out, char *tmp, size_t k, struct qu_err *err);
/* The error for a full output buffer; returns -1. */
int mime_out_full(struct qu_buf *out, struct qu_err *err);

/* Appends p with each maximal invalid subpart replaced by U+FFFD; returns
 * the number of replacements, or -1 when out's cap is hit; *first gets the
 * offset of the first bad byte. */
long mime_utf8_sanitize(const char *p, size_t n, struct qu_buf *out, size_t *first);
/* windows-1252 (WHATWG: the five holes map to C1 controls) to UTF-8. */
int mime_cp1252_to_utf8(const char *p, size_t n, struct qu_buf *out);

/* mime_charset_to_utf8, with detect false for header text: undeclared
 * 8-bit that is not UTF-8 is then windows-1252 without asking uchardet. */
int mime_charset_convert(struct mime_charset_cache *cache, const char *charset, const char *p,
	size_t n, struct qu_buf *out, struct mime_defects *d, bool detect, struct qu_err *err);

/* Steals b as a NUL-terminated string, NULs turned into U+FFFD. */
char *mime_buf_take_text(struct qu_buf *b);

/* Decodes RFC 2047 words and raw 8-bit in an already unfolded value into
 * out (rfc2047.c). */
void mime_text_decode_into(const char *p, size_t n, struct qu_buf *out,
	struct mime_charset_cache *cache, struct mime_defects *d, size_t base);

/* Length of the RFC 2047 encoded word at p[i], 0 when there is none (so
 * that address parsing keeps one whole, specials and all). */
size_t mime_eword_len(const char *p, size_t n, size_t i);

/* Trims white space (including CR LF) at both ends of a buffer in place. */
void mime_buf_trim(struct qu_buf *b);

#endif
