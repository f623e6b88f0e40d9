/*
 * util: the ground every other module stands on.
 *
 * Allocation that never returns NULL, capped byte buffers, the error type and
 * its exit-code table, string helpers and the protocol-trace hook.
 * Depends on the C library only; includes no other quail module.
 */
#ifndef QUAIL_UTIL_UTIL_H
#define QUAIL_UTIL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define QU_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define QU_NORETURN __attribute__((noreturn))
#else
#define QU_PRINTF(a, b)
#define QU_NORETURN
#endif

#define QU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation ------------------------------------------------------ */

/* These never return NULL: when memory runs out they print one line and exit
 * with 70 (EX_SOFTWARE). Sizes are checked for overflow. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array of nmemb elements of size bytes to at least need elements,
 * doubling; updates *nmemb. */
void *xgrow(void *p, size_t *nmemb, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) QU_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) QU_PRINTF(1, 0);
/* Overwrites n bytes with zeros in a way the compiler keeps (for secrets). */
void qu_wipe(void *p, size_t n);
/* Wipes and frees a NUL-terminated secret; NULL is a no-op. */
void qu_free_secret(char *s);

/* ---- errors ---------------------------------------------------------- */

/* Error classes, decided where the fact is known and never reclassified
 * higher up. qu_err_exit_code() maps them to the exit codes of SPEC §3. */
enum qu_err_class {
	QU_E_OK = 0,
	QU_E_USAGE,       /* 64: bad command line */
	QU_E_DATA,        /* 65: input message or file malformed beyond use */
	QU_E_NOINPUT,     /* 66: input file missing or unreadable */
	QU_E_UNAVAILABLE, /* 69: server refused for good (5xx, -ERR, NO/BAD) */
	QU_E_TLS,         /* 69: TLS failed (handshake, certificate) */
	QU_E_SOFTWARE,    /* 70: internal error */
	QU_E_IOERR,       /* 74: local I/O error */
	QU_E_TEMPFAIL,    /* 75: connection lost, timeout, 4xx: retry later */
	QU_E_AUTH,        /* 77: authentication failed */
	QU_E_CONFIG,      /* 78: configuration error */
};

#define QU_ERR_MSG_MAX 1024

/* An error: a class and a message of the form "what: why". The lowest layer
 * sets the "why" (qu_err_set); each caller that knows more adds "what" in
 * front (qu_err_prefix). Only the CLI prints it. */
struct qu_err {
	enum qu_err_class cls;
	char msg[QU_ERR_MSG_MAX];
};

void qu_err_clear(struct qu_err *err);
/* Sets class and message; returns -1 so callers can `return qu_err_set(...)`.
 * err may be NULL. */
int qu_err_set(struct qu_err *err, enum qu_err_class cls, const char *fmt, ...) QU_PRINTF(3, 4);
/* Like qu_err_set with ": strerror(errnum)" appended. */
int qu_err_sys(struct qu_err *err, enum qu_err_class cls, int errnum, const char *fmt, ...)
	QU_PRINTF(4, 5);
/* Prepends "what: " to the message; keeps the class. Returns -1. */
int qu_err_prefix(struct qu_err *err, const char *fmt, ...) QU_PRINTF(2, 3);
/* The exit code of SPEC §3 for a class (0 for QU_E_OK). */
int qu_err_exit_code(enum qu_err_class cls);
/* A stable lowercase name for traces and tests ("tempfail", "tls", ...). */
const char *qu_err_class_name(enum qu_err_class cls);

/* ---- byte buffers ---------------------------------------------------- */

/* A growable byte buffer with a hard cap. data is always NUL-terminated for
 * convenience but is never assumed to be text. Embedded: qu_buf_init /
 * qu_buf_clear. */
struct qu_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t max; /* hard cap on len; SIZE_MAX for none */
};

void qu_buf_init(struct qu_buf *b, size_t max);
/* Frees the storage; the buffer may be reused after qu_buf_init. */
void qu_buf_clear(struct qu_buf *b);
/* Wipes the contents (for secrets), then frees. */
void qu_buf_clear_secret(struct qu_buf *b);
/* Empties the buffer, keeping its storage. */
void qu_buf_reset(struct qu_buf *b);
/* Appends n bytes. Returns -1 (and appends nothing) when len would pass max. */
int qu_buf_append(struct qu_buf *b, const void *p, size_t n);
int qu_buf_append_str(struct qu_buf *b, const char *s);
int qu_buf_append_byte(struct qu_buf *b, char c);
int qu_buf_printf(struct qu_buf *b, const char *fmt, ...) QU_PRINTF(2, 3);
int qu_buf_vprintf(struct qu_buf *b, const char *fmt, va_list ap) QU_PRINTF(2, 0);
/* Makes room for n more bytes and returns where they go; commit with
 * qu_buf_commit. NULL when that would pass max. */
char *qu_buf_reserve(struct qu_buf *b, size_t n);
void qu_buf_commit(struct qu_buf *b, size_t n);
/* Removes the first n bytes. */
void qu_buf_consume(struct qu_buf *b, size_t n);
/* Hands the storage to the caller (NUL-terminated, possibly empty string);
 * the buffer is left empty. */
char *qu_buf_steal(struct qu_buf *b, size_t *len);

/* ---- strings --------------------------------------------------------- */

bool qu_str_has_prefix(const char *s, const char *prefix);
bool qu_str_has_prefix_ci(const char *s, const char *prefix);
/* ASCII case-insensitive comparison of a byte range with a C string. */
bool qu_mem_eq_ci(const char *p, size_t n, const char *s);
/* Trims ASCII white space from both ends of [*p, *p + *n). */
void qu_mem_trim(const char **p, size_t *n);
/* In-place ASCII lowercase. */
void qu_str_lower(char *s);
/* Parses a decimal number without sign that must fill [p, p+n) and be at
 * most max. Returns 0 or -1. */
int qu_parse_u64(const char *p, size_t n, uint64_t max, uint64_t *out);
/* True when the bytes are valid UTF-8 (no overlongs, no surrogates). */
bool qu_utf8_valid(const char *p, size_t n);
/* Appends p to b so that it is safe on a terminal: C0 and C1 controls and
 * DEL shown as \xNN (ESC as \e, tab kept when keep_tab), invalid UTF-8 bytes
 * as \xNN. Returns -1 when b's cap is reached. */
int qu_buf_append_safe(struct qu_buf *b, const char *p, size_t n, bool keep_tab);

/* ---- base64 (small, whole-buffer; the MIME decoders stream) ---------- */

/* Standard alphabet with padding. Returns a new NUL-terminated string. */
char *qu_base64_encode(const void *p, size_t n, size_t *outlen);
/* Strict: only the alphabet and padding. Returns -1 on bad input. The
 * result is NUL-terminated; *outlen excludes the NUL. */
int qu_base64_decode(const char *p, size_t n, char **out, size_t *outlen);

/* ---- protocol trace -------------------------------------------------- */

/* Where `-v` lines go. dir is 'C' (client to server), 'S' (server to
 * client) or '*' (a note such as "TLS started"). line has no line end. The
 * CLI installs a hook that writes "C: line" to stderr; library code never
 * prints. */
struct qu_trace {
	void (*fn)(void *ctx, char dir, const char *line, size_t len);
	void *ctx;
};

void qu_trace_line(const struct qu_trace *t, char dir, const char *line, size_t len);
void qu_trace_note(const struct qu_trace *t, const char *fmt, ...) QU_PRINTF(2, 3);

/* ---- time ------------------------------------------------------------ */

/* Monotonic milliseconds. */
int64_t qu_now_ms(void);

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------- */

/* A streaming SHA-256. Embedded: qu_sha256_init, then update with the data
 * in pieces of any size, then final once. */
struct qu_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t nbuf;
};

void qu_sha256_init(struct qu_sha256 *s);
void qu_sha256_update(struct qu_sha256 *s, const void *p, size_t n);
/* Writes the 32-byte digest; s must be initialised again before reuse. */
void qu_sha256_final(struct qu_sha256 *s, unsigned char out[32]);
/* The digest as 64 lowercase hex digits and a NUL; returns out. */
char *qu_sha256_hex(const unsigned char digest[32], char out[65]);

#endif
