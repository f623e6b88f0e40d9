/*
 * util: the ground every other module stands on.
 *
 * Allocation that never returns NULL, capped byte buffers, the error type and
 * its exit-code table, string helpers, terminal cell widths of UTF-8 text
 * and the protocol-trace hook.
 * Depends on the C library only; includes no other quail module.
 */
#ifndef QUAIL_UTIL_UTIL_H
#define QUAIL_UTIL_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
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
	QU_E_CANCELED,    /* 75: stopped on request (Ctrl-C, the UI's ^G) */
};

/* Why an error happened, for code to decide on (retry, ask for a password,
 * create the folder and try again) without reading the message text. Set
 * where the fact is known, beside the class; kept by qu_err_prefix. */
enum qu_err_reason {
	QU_R_NONE = 0,
	QU_R_TIMEOUT,        /* a deadline passed */
	QU_R_CONN_LOST,      /* the peer closed or reset the connection */
	QU_R_CONNECT,        /* no address answered (refused, unreachable) */
	QU_R_DNS,            /* the host name did not resolve */
	QU_R_TLS,            /* TLS handshake or record error */
	QU_R_TLS_CERT,       /* the certificate was refused; code says why */
	QU_R_AUTH,           /* credentials refused */
	QU_R_REFUSED,        /* the server said no; code holds the IMAP response
			      * code ("TRYCREATE") or the SMTP enhanced status
			      * ("5.1.1") or reply code ("550") */
	QU_R_PROTOCOL,       /* the server broke the protocol */
	QU_R_CANCELED,       /* a cancel handle fired */
	QU_R_DISK_FULL,      /* ENOSPC or EDQUOT */
	QU_R_TOO_BIG,        /* a size cap was passed */
	QU_R_PASSWORD_COMMAND, /* password_command failed or timed out */
};

#define QU_ERR_MSG_MAX 1024

/* An error: a class and a message of the form "what: why". The lowest layer
 * sets the "why" (qu_err_set); each caller that knows more adds "what" in
 * front (qu_err_prefix). Only the CLI prints it. */
struct qu_err {
	enum qu_err_class cls;
	enum qu_err_reason reason;
	char code[32];            /* detail of the reason ("TRYCREATE", "5.2.2",
				   * "expired"); "" when none */
	char msg[QU_ERR_MSG_MAX];
};

void qu_err_clear(struct qu_err *err);
/* Sets class and message (and clears reason and code); returns -1 so
 * callers can `return qu_err_set(...)`. err may be NULL. */
int qu_err_set(struct qu_err *err, enum qu_err_class cls, const char *fmt, ...) QU_PRINTF(3, 4);
/* Like qu_err_set with ": strerror(errnum)" appended. */
int qu_err_sys(struct qu_err *err, enum qu_err_class cls, int errnum, const char *fmt, ...)
	QU_PRINTF(4, 5);
/* Records why (and a detail, which may be NULL) beside the class already
 * set; the detail is cut at sizeof code - 1 bytes. Returns -1. */
int qu_err_reason(struct qu_err *err, enum qu_err_reason reason, const char *code);
/* Sets class QU_E_CANCELED, reason QU_R_CANCELED and "canceled". Returns -1. */
int qu_err_canceled(struct qu_err *err);
/* True when err holds reason r. NULL err: false. */
bool qu_err_is(const struct qu_err *err, enum qu_err_reason r);
/* True when err holds reason r with code (compared ignoring case). */
bool qu_err_code_is(const struct qu_err *err, enum qu_err_reason r, const char *code);
/* A stable lowercase name of a reason for traces and tests. */
const char *qu_err_reason_name(enum qu_err_reason r);
/* Prepends "what: " to the message; keeps class and reason. Returns -1. */
int qu_err_prefix(struct qu_err *err, const char *fmt, ...) QU_PRINTF(2, 3);
/* The exit code of SPEC §3 for a class (0 for QU_E_OK). */
int qu_err_exit_code(enum qu_err_class cls);
/* A stable lowercase name for traces and tests ("tempfail", "tls", ...). */
const char *qu_err_class_name(enum qu_err_class cls);

/* ---- cancellation ---------------------------------------------------- */

/* A cancel handle: a flag plus a descriptor that becomes readable once the
 * handle fires, so a wait in poll() wakes at once. It travels with every
 * long call (inside struct net_opts, struct app_net, ...); NULL everywhere
 * means "cannot be canceled". qu_cancel_fire is async-signal-safe and may be
 * called from any thread; the others from any thread once the handle
 * exists. */
struct qu_cancel;

/* A new handle that has not fired. Exits 70 when no pipe can be made. */
struct qu_cancel *qu_cancel_new(void);
/* Frees the handle; NULL is a no-op. No call may be using it. */
void qu_cancel_free(struct qu_cancel *c);
/* Fires the handle: every present and later wait on it returns. */
void qu_cancel_fire(struct qu_cancel *c);
/* Makes a fired handle usable again (for the next request). */
void qu_cancel_reset(struct qu_cancel *c);
/* True once fired; false for NULL. */
bool qu_cancel_fired(const struct qu_cancel *c);
/* The descriptor to poll for POLLIN beside others; -1 for NULL. */
int qu_cancel_fd(const struct qu_cancel *c);
/* 0, or -1 with qu_err_canceled when the handle has fired. */
int qu_cancel_check(const struct qu_cancel *c, struct qu_err *err);

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
/* The length of the longest valid UTF-8 prefix of the bytes (n when all
 * are valid); fast on ASCII. */
size_t qu_utf8_valid_prefix(const char *p, size_t n);
/* Appends p to b so that it is safe on a terminal: C0 and C1 controls and
 * DEL shown as \xNN (ESC as \e, tab kept when keep_tab), invalid UTF-8 bytes
 * as \xNN, and the characters that break a line or reorder what follows
 * (U+2028/U+2029, bidirectional controls) as \uXXXX. Returns -1 when b's
 * cap is reached. */
int qu_buf_append_safe(struct qu_buf *b, const char *p, size_t n, bool keep_tab);
/* xtext (RFC 3461 §4): appends s with '+', '=' and every byte that is not
 * printable ASCII as "+XX". */
void qu_xtext_encode(struct qu_buf *b, const char *s);
/* Reverses it ("+XX" of either case); other bytes stay. New string. */
char *qu_xtext_decode(const char *p, size_t n);
/* The value of one hex digit (either case), or -1. */
int qu_hex_val(char c);
/* Appends p to b with every byte that is a control, space, DEL, '%' or
 * in the extra set (NULL: none) written as %XX (uppercase). */
void qu_pct_encode(struct qu_buf *b, const char *p, size_t n, const char *extra);
/* Decodes %XX escapes (a '%' not followed by two hex digits stays as it
 * is). Returns a new NUL-terminated string; *out is its length. */
char *qu_pct_decode(const char *p, size_t n, size_t *out);

/* ---- files (io.c) ---------------------------------------------------- */

/* Writes all n bytes, retrying after EINTR and short writes. Returns 0, or
 * -1 with errno set (ENOSPC when the file takes no more bytes). */
int qu_write_all(int fd, const void *p, size_t n);
/* qu_write_all with the failure as QU_E_IOERR "WHAT: strerror" in err. */
int qu_write_all_err(int fd, const void *p, size_t n, struct qu_err *err, const char *what);

/* ---- JSON strings (json.c) -------------------------------------------- */

/* A JSON string (RFC 8259 §7) of p, n appended to out: '"' and '\\'
 * escaped, C0 controls, DEL and C1 controls as \u00XX (no terminal takes
 * them for a command), invalid UTF-8 as U+FFFD (SPEC §7). */
void qu_json_string(struct qu_buf *out, const char *p, size_t n);
/* The same of a C string; null for NULL. */
void qu_json_cstr(struct qu_buf *out, const char *s);

/* ---- terminal cells (width.c) ------------------------------------------ */

/* Widths come from quail's own Unicode 15 tables (tools/gen-width.py), not
 * from wcwidth(3), so a string measures the same under every locale and C
 * library. */

/* Decodes one UTF-8 code point at p (n >= 1 bytes left): returns its length
 * (1..4) and sets *cp; an invalid, overlong, surrogate or truncated sequence
 * returns 1 and sets *cp to 0xFFFFFFFF. */
size_t qu_utf8_decode(const char *p, size_t n, uint32_t *cp);
/* Cells of one code point: -1 for C0 and C1 controls and DEL; 2 for East
 * Asian Wide and Fullwidth characters and emoji presentation; 0 for
 * combining marks, format characters (ZWJ, zero-width space, bidi marks)
 * and variation selectors (the soft hyphen, drawn as a hyphen, is 1);
 * 1 otherwise. */
int qu_cp_cells(uint32_t cp);
/* The byte length of the character at p (n >= 1) with what a terminal draws
 * into its cells: combining marks and variation selectors, the rest of a
 * ZWJ emoji sequence, the second half of a flag, a skin tone. *cells gets
 * the width its first code point gives; a control or an invalid byte is a
 * cluster of 1 byte and 1 cell (the display layer escapes it and measures
 * the escape itself). */
size_t qu_utf8_cluster(const char *p, size_t n, size_t *cells);
/* Cells a UTF-8 string takes on a terminal: the sum over its clusters. */
size_t qu_utf8_cells(const char *p, size_t n);
/* The longest prefix of p that fits in max cells without splitting a
 * cluster; returns its byte length and sets *cells (may be NULL) to its
 * width. */
size_t qu_utf8_fit(const char *p, size_t n, size_t max, size_t *cells);

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

/* ---- optional libraries (dl.c) ----------------------------------------- */

/* One function a caller's table wants: its name and where its pointer lives
 * (offsetof the member). The member must have the function's exact type. */
struct qu_dl_sym {
	const char *name;
	size_t offset;
};

struct qu_dl_lib {
	const char *soname;  /* "libcurl-gnutls.so.4" */
	const char *package; /* the Debian package that ships it */
	const char *feature; /* what needs it, for the message: "auth = oauth2" */
	const struct qu_dl_sym *syms;
	size_t nsyms;
};

/* Opens lib->soname and stores each symbol's address into table. On failure
 * returns -1 with QU_E_UNAVAILABLE (exit 69) naming feature, library and
 * package; table may then be partly filled and must not be used. Not thread
 * safe: callers go through qu_dl_open. */
int qu_dl_load(const struct qu_dl_lib *lib, void *table, struct qu_err *err);

/* A library opened at most once per process, by the first caller of
 * qu_dl_open on any thread; the table is then only read. Defined static
 * with QU_DL_ONCE. */
struct qu_dl_once {
	const struct qu_dl_lib *lib;
	void *table;
	void (*loaded)(void); /* run once after a load that succeeded; NULL: none */
	pthread_mutex_t mu;
	atomic_int state;     /* 0: not tried; 1: open; -1: failed, err says why */
	struct qu_err err;
};
#define QU_DL_ONCE(lib, table, loaded) \
	{(lib), (table), (loaded), PTHREAD_MUTEX_INITIALIZER, 0, {0}}

/* Opens o's library the first time (qu_dl_load, then o->loaded); returns 0
 * when it is open, or -1 with the first attempt's error copied to err (may
 * be NULL) on every call. */
int qu_dl_open(struct qu_dl_once *o, struct qu_err *err);

/* ---- international domain names (idna.c) ------------------------------ */

/* The domain (UTF-8) as IDNA 2008 ASCII, A-labels for non-ASCII labels
 * (NFC first, non-transitional): a new string. NULL with err (may be NULL)
 * set: QU_E_DATA when it is no valid domain name, QU_E_UNAVAILABLE when
 * libidn2 cannot be opened. Thread safe. */
char *qu_idna_to_ascii(const char *domain, struct qu_err *err);

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
