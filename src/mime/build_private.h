/*
 * Internals of the message builder (build.c, build_enc.c, build_raw.c);
 * nothing outside src/mime includes this.
 */
#ifndef QUAIL_MIME_BUILD_PRIVATE_H
#define QUAIL_MIME_BUILD_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"
#include "mime/mime.h"

/* RFC 5322 §2.1.1: lines SHOULD be at most 78 characters (without CRLF). */
#define BUILD_LINE_MAX 78
/* RFC 2047 §2: an encoded word is at most 75 characters. */
#define BUILD_EWORD_MAX 75
/* RFC 2045 §6.7 (5) and §6.8: encoded lines of at most 76 characters. */
#define BUILD_ENC_LINE 76

/* A header being written with folding (RFC 5322 §2.2.3): text is appended
 * as tokens, each with the white space before it; a line that would pass
 * BUILD_LINE_MAX is folded before that white space. */
struct build_hdr {
	struct qu_buf *out;
	const char *eol;
	size_t eol_len;
	size_t col;   /* characters on the current line */
	size_t min;   /* fold only when col is past this (the field name) */
};

void build_hdr_begin(struct build_hdr *h, struct qu_buf *out, const char *eol, const char *name);
/* Appends ws (white space, may be empty: then no fold is possible before
 * the token) and the token p[0..n). */
void build_hdr_token(struct build_hdr *h, const char *ws, size_t wsn, const char *p, size_t n);
/* Appends bytes without a fold point (e.g. ";" or ","). */
void build_hdr_glue(struct build_hdr *h, const char *p, size_t n);
void build_hdr_end(struct build_hdr *h);

/* Where an encoded word stands (RFC 2047 §5): in unstructured text, or as
 * a word of a phrase, where Q may use fewer characters as they are. */
enum build_ew_ctx {
	BUILD_EW_TEXT,
	BUILD_EW_PHRASE,
};

/* Appends UTF-8 text as one or more encoded words (B or Q, whichever is
 * shorter), each at most 75 characters and split only between characters,
 * fitted to the current line and separated by folding white space. The
 * first word follows ws. */
void build_hdr_ewords(struct build_hdr *h, const char *ws, size_t wsn, const char *p, size_t n,
	enum build_ew_ctx ctx);

/* Unstructured text (Subject, -H values): words that are ASCII stay as they
 * are, runs of words with other bytes (or that look like encoded words, or
 * that are too long for a line) become encoded words. White space is kept
 * exactly, so unfolding and decoding give the text back. */
void build_hdr_text(struct build_hdr *h, const char *p, size_t n);

/* A display name (RFC 5322 §3.2.5 phrase): atoms, a quoted string, or
 * encoded words when it is not ASCII. */
void build_hdr_phrase(struct build_hdr *h, const char *ws, size_t wsn, const char *p, size_t n);

/* A parameter "; name=value" of Content-Type or Content-Disposition: a
 * token or quoted string when ASCII and short, else RFC 2231 (charset
 * utf-8, continuations when long, cut between characters). */
void build_hdr_param(struct build_hdr *h, const char *name, const char *value);
/* "; name=\"=?UTF-8?B?...?=\"" for old readers (not RFC 2231 aware); plain
 * quoted when ASCII. Encoded words are folded inside the quotes. */
void build_hdr_param_2047(struct build_hdr *h, const char *name, const char *value);

/* Base64 of p[0..n) in lines of 76 characters separated by eol (no eol
 * after the last line). */
void build_base64(struct qu_buf *out, const char *p, size_t n, const char *eol);
/* The length build_base64 would append. */
size_t build_base64_len(size_t n, size_t eol_len);

/* Quoted-printable (RFC 2045 §6.7) of text whose line ends (CRLF, LF or a
 * lone CR) are line breaks: each becomes eol, trailing white space and
 * "From " at a line start are encoded, lines are at most 76 characters. */
void build_qp(struct qu_buf *out, const char *p, size_t n, const char *eol);

/* Appends p with every line end (CRLF, LF, lone CR) written as eol. */
void build_eol(struct qu_buf *out, const char *p, size_t n, const char *eol);

/* True when p is ASCII without controls other than tab and line ends and
 * has no line longer than BUILD_LINE_MAX: it can go as 7bit. */
bool build_is_7bit_text(const char *p, size_t n);

bool build_is_ascii(const char *p, size_t n);

/* RFC 5322 atext. */
bool build_is_atext(unsigned char c);

/* Date (RFC 5322 §3.3) of fx->date, else now in the local zone. */
void build_format_date(const struct mime_build_fixed *fx, char *buf, size_t cap);
/* "<random@domain>" with the domain of addr (A-label for IDN), else the
 * host name; fx->message_id when set. New string. */
char *build_message_id(const struct mime_build_fixed *fx, const char *addr);
/* USAGE unless s is free of line breaks and controls other than tab. */
int build_check_header_text(const char *what, const char *s, struct qu_err *err);
/* Checks an -H argument "Name: value": returns the length of Name and sets
 * *value, or -1 (USAGE). */
int build_split_header(const char *h, const char **value, struct qu_err *err);

#endif
