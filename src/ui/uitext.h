/*
 * ui text: the pure text layer under the curses screens.
 *
 * Turns mail text into what may reach a terminal cell (the sanitiser and
 * the sender rule of SPEC §6 and §8), fits it into a number of cells,
 * wraps and reflows message bodies for the pager (RFC 3676), weeds header
 * fields, expands mutt's index_format codes and draws thread trees. Every
 * width is counted in terminal cells through util's width functions.
 * Depends on util only; includes no curses and draws nothing, so all of it
 * is unit-testable. Files: text.c, wrap.c, format.c, tree.c.
 */
#ifndef QUAIL_UI_UITEXT_H
#define QUAIL_UI_UITEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/util.h"

/* ==== text.c: the sanitiser and fitting by cells ==================== */

/* How the sanitiser treats line structure:
 *  - UI_TEXT_FIELD: one terminal line (a header value, a file name, a
 *    folder name). TAB, CR, LF, CRLF and U+2028/2029 each become one
 *    space, so no decoded header can break a line (SPEC §6).
 *  - UI_TEXT_PAGER: a body. LF is kept and ends a line, CRLF becomes LF,
 *    TAB is kept (the wrapper expands it by cells); a lone CR is escaped.
 *
 * In both modes:
 *  - C0 controls and DEL show as caret notation: ^@ .. ^_ and ^?; ESC is
 *    ^[, so no escape sequence ever reaches the terminal;
 *  - C1 controls (U+0080-U+009F, valid UTF-8) show as \u0080 .. \u009F;
 *  - a byte that is not part of valid UTF-8 shows as \xNN;
 *  - dropped: bidi embeddings and overrides U+202A-U+202E, isolates
 *    U+2066-U+2069, LRM/RLM U+200E/U+200F, ALM U+061C, soft hyphen U+00AD,
 *    BOM/ZWNBSP U+FEFF, ZWSP U+200B, ZWNJ U+200C, word joiner and invisible
 *    operators U+2060-U+2064, Mongolian vowel separator U+180E,
 *    interlinear annotation marks U+FFF9-U+FFFB;
 *  - ZWJ U+200D is kept only between two emoji (an emoji ZWJ sequence),
 *    dropped elsewhere; emoji tag characters U+E0020-U+E007F only after an
 *    emoji or another tag;
 *  - a combining mark with no base (at the start, after a control, a TAB
 *    or a line break) gets U+25CC DOTTED CIRCLE as its base; a variation
 *    selector with no base is dropped.
 * The result is valid UTF-8 with no control character other than the LF
 * and TAB of pager mode. */
enum ui_text_mode {
	UI_TEXT_FIELD,
	UI_TEXT_PAGER,
};

/* Appends the display form of p[0..n) (mail bytes, UTF-8 after decoding;
 * NULs allowed) to out. */
void ui_text_sanitize_buf(struct qu_buf *out, const char *p, size_t n, enum ui_text_mode mode);
/* The same into a new NUL-terminated string (free()). */
char *ui_text_sanitize(const char *p, size_t n, enum ui_text_mode mode);

/* The sender rule of SPEC §6: what to show for an author with display
 * name and address (either may be NULL). The name alone when it is safe;
 * "name <addr>" when the name contains an at sign (also U+FF20, U+FE6B) or
 * a word that looks like a domain ("paypal.com"), unless it is the address
 * itself; the address when there is no name. Both are sanitised as a
 * field first, so hidden characters cannot make a name look innocent.
 * Returns a new string (free()), "" when both are empty. */
char *ui_sender_text(const char *name, const char *addr);

/* Appends s[0..n) (sanitised display text) to out fitted into cells
 * terminal cells: cut without splitting a character or a cluster; when it
 * is cut, marker (may be NULL or "", e.g. "…" or ">") takes the last cells
 * if it fits; a wide glyph that would straddle the limit becomes a space.
 * With pad, spaces fill the rest, so exactly cells cells are appended.
 * Returns the cells appended. */
size_t ui_text_fit_buf(struct qu_buf *out, const char *s, size_t n, size_t cells, bool pad,
	const char *marker);
/* The same for a NUL-terminated s into a new string (free()). */
char *ui_text_fit(const char *s, size_t cells, bool pad, const char *marker);

/* ==== wrap.c: pager lines ============================================ */

/* A URL inside one pager line: bytes [start, end) of its text; url is the
 * index into the ui_lines' url list of the whole URL (a long URL cut over
 * two lines has a span on each). */
struct ui_url_span {
	size_t start, end;
	size_t url;
};

/* One screen line of the pager. */
struct ui_line {
	char *text;         /* sanitised, TABs expanded, no LF; owned */
	size_t len;         /* bytes of text */
	size_t cells;       /* terminal cells of text, <= the width wrapped to
			     * (a wide character on a 1-cell screen aside) */
	unsigned quote;     /* quote depth: 0 for own text, 1 for "> ", ... */
	bool header;        /* a header field line (ui_lines_add_headers) */
	bool signature;     /* a line exactly "-- " (after the quote markers)
			     * and what follows at its depth */
	bool cont;          /* continues the line above (a wrap, not a break) */
	struct ui_url_span *urls;
	size_t nurls;
};

/* Lines plus the URLs found in them, in order. Embedded: ui_lines_init /
 * ui_lines_clear. */
struct ui_lines {
	struct ui_line *v;
	size_t n, alloc;
	char **urls; /* each URL once per occurrence, whole, in text order */
	size_t nurls, urls_alloc;
};

void ui_lines_init(struct ui_lines *l);
void ui_lines_clear(struct ui_lines *l);

struct ui_wrap_opts {
	size_t width;   /* cells per line; 0 is taken as 1 */
	bool flowed;    /* Content-Type format=flowed (RFC 3676) */
	bool delsp;     /* its DelSp=yes parameter (RFC 3676 §4.2) */
	size_t tabstop; /* cells between tab stops; 0 means 8 */
};

/* Appends the lines of a text part (its decoded UTF-8 text, sanitised
 * here in pager mode) wrapped to o->width. Plain text: each line is cut at
 * word boundaries by cells, between two CJK characters too, never inside a
 * URL unless the URL alone is wider than the line; quote depth comes from
 * leading ">" (spaces between allowed). Flowed text: soft line breaks are
 * joined, quote depth is the count of leading ">", space-stuffing removed,
 * then each paragraph is wrapped with a "> " prefix per depth. */
void ui_lines_add_text(struct ui_lines *l, const char *p, size_t n, const struct ui_wrap_opts *o);

/* A decoded header field (UTF-8; sanitised here). */
struct ui_header {
	const char *name;
	const char *value;
};

/* Appends header lines "Name: value", wrapped to width with a 4-cell
 * indent on continuation lines. weed: only the fields mutt shows by default
 * (Date, From, Reply-To, To, Cc, Subject, then Organization, User-Agent,
 * X-Mailer, X-Newsreader, X-Mailing-List, Posted-To), in that fixed order,
 * repeated fields in message order; !weed: every field as given. */
void ui_lines_add_headers(struct ui_lines *l, const struct ui_header *h, size_t n, bool weed,
	size_t width);

/* True when a field of this name is shown when headers are weeded. */
bool ui_header_shown(const char *name);

/* A URL found in text: bytes [start, end). */
struct ui_url {
	size_t start, end;
};

/* Finds every URL in p[0..n) in order: http://, https://, ftp://, mailto:
 * and www. forms starting at a word boundary; trailing punctuation
 * (.,;:!?'"), and a closing bracket with no opening one inside the URL,
 * are not part of it. Returns a new array (free(); NULL when none) and
 * sets *count. */
struct ui_url *ui_url_find(const char *p, size_t n, size_t *count);

/* ==== tree.c: thread trees ========================================== */

/* One row of a threaded index, in display order. */
struct ui_tree_node {
	unsigned depth;      /* 0 for a thread root */
	bool missing_parent; /* its parent is not in the folder */
	bool duplicate;      /* same Message-ID as an earlier message */
	size_t hidden;       /* collapsed: messages hidden under it */
};

enum ui_tree_style {
	UI_TREE_UNICODE, /* ├─> └─> │ (box drawing, one cell each) */
	UI_TREE_ASCII,   /* |-> `-> | */
};

/* Builds the tree prefix of every row (put before the subject by %s):
 * nothing for a root; for depth d, d - 1 columns of "│ " or "  " (does the
 * ancestor at that depth have a sibling further down?), then "├─>" or
 * "└─>" (does the row have one?). A missing parent draws '*' instead of
 * the '─' ("*>" for a root), a duplicate '='. A collapsed row (hidden > 0)
 * ends with "(N) " after its connector. A depth over 1024 draws as 1024.
 * Returns n new strings in a new
 * array; free with ui_tree_free. */
char **ui_tree_build(const struct ui_tree_node *nodes, size_t n, enum ui_tree_style style);
void ui_tree_free(char **prefixes, size_t n);

/* ==== format.c: index_format ========================================= */

/* How a message relates to the user, mutt's $to_chars " +TCFL". */
enum ui_to {
	UI_TO_NONE,  /* ' ' not addressed to the user */
	UI_TO_ONLY,  /* '+' the user is the only recipient */
	UI_TO_TO,    /* 'T' the user is in To */
	UI_TO_CC,    /* 'C' the user is in Cc */
	UI_TO_FROM,  /* 'F' from the user */
	UI_TO_LIST,  /* 'L' sent to a subscribed list */
};

/* What one index row shows. Strings are borrowed, may be NULL, and are
 * sanitised by the formatter. */
struct ui_row {
	size_t num;                  /* %C: 1-based */
	const char *from_name;       /* %n %F %L %v */
	const char *from_addr;       /* %a %u %f */
	const char *to_name;         /* %F %L %v when from_me */
	const char *to_addr;
	const char *to_list;         /* %t: the To field as shown */
	const char *cc_list;         /* %R */
	const char *list_name;       /* %B %L: mailing list of the message */
	const char *subject;         /* %s */
	const char *tree;            /* %s: thread prefix (ui_tree_build) */
	const char *msgid;           /* %i */
	const char *label;           /* %y: X-Label */
	const char *tags;            /* %g */
	const char *folder;          /* %b */
	time_t date;                 /* %d %D %{} %[]: sent */
	int date_tz;                 /* minutes east of UTC in its Date: */
	time_t received;             /* %(): arrival */
	uint64_t size;               /* %c */
	size_t lines;                /* %l: 0 when unknown */
	size_t thread_num;           /* %e */
	size_t thread_count;         /* %E */
	size_t hidden;               /* %M: hidden under a collapsed row */
	size_t attachments;          /* %X */
	int score;                   /* %N */
	bool from_me;
	enum ui_to to;               /* %T, third column of %Z */
	bool read, old, replied, flagged, deleted, tagged;
};

struct ui_format_opts {
	const char *date_format; /* strftime for %d %D; NULL: "!%a, %b %d, %Y at %I:%M:%S%p %Z" */
	const char *marker;      /* marks a field cut by its precision; NULL: none */
};

/* The index_format mutt ships: "%4C %Z %{%b %d} %-15.15L (%?l?%4l&%4c?) %s". */
#define UI_INDEX_FORMAT_DEFAULT "%4C %Z %{%b %d} %-15.15L (%?l?%4l&%4c?) %s"

/* Appends row formatted by fmt (mutt's index_format language) to out,
 * exactly width cells (cut or padded with spaces). Codes: see format.c's
 * comment and docs/DEVIATIONS.md; an unknown code shows as itself.
 * Returns the cells appended (width). */
size_t ui_format_index(struct qu_buf *out, const char *fmt, const struct ui_row *row,
	const struct ui_format_opts *o, size_t width);
/* 0 when every code in fmt is one ui_format_index knows and every
 * conditional is closed; -1 with QU_E_CONFIG and "unknown code %x at
 * offset N" (or the syntax fault) otherwise. */
int ui_format_check(const char *fmt, struct qu_err *err);

/* What the status line shows (mutt's status_format codes). Strings are
 * borrowed, may be NULL, and are sanitised by the formatter. */
struct ui_status {
	const char *folder;   /* %f */
	const char *sort;     /* %s: "date", "threads", ... */
	const char *sort_aux; /* %S */
	const char *limit;    /* %V: the limit pattern, NULL when none */
	const char *position; /* %P: "all", "top", "end" or "42%" */
	const char *host;     /* %h */
	size_t msgs;          /* %m */
	size_t shown;         /* %M: shown under a limit; 0 when none */
	size_t new_msgs;      /* %n */
	size_t old;           /* %o */
	size_t unread;        /* %u */
	size_t deleted;       /* %d */
	size_t flagged;       /* %F */
	size_t tagged;        /* %t */
	size_t postponed;     /* %p */
	size_t inc;           /* %b: other folders with new mail */
	uint64_t size;        /* %l: folder size */
	bool changed;         /* %r: '*' */
	bool readonly;        /* %r: '%' (else '-') */
};

/* mutt's default status_format with quail's name. */
#define UI_STATUS_FORMAT_DEFAULT                                                                   \
	"-%r-quail: %f [Msgs:%?M?%M/?%m%?n? New:%n?%?o? Old:%o?%?d? Del:%d?%?F? Flag:%F?%?t? "   \
	"Tag:%t?%?p? Post:%p?%?b? Inc:%b?%?l? %l?]---(%s/%S)-%>-(%P)---"

/* The status line: st formatted by fmt (status_format: the codes above,
 * %v for quail's version, conditionals and fills as in index_format),
 * exactly width cells. */
size_t ui_format_status(struct qu_buf *out, const char *fmt, const struct ui_status *st,
	size_t width);
/* As ui_format_check, for status_format. */
int ui_format_status_check(const char *fmt, struct qu_err *err);

/* mutt's short size: 512, 1.2K, 34K, 5.6M, 12M. Writes to buf (>= 16
 * bytes) and returns it. */
char *ui_format_size(uint64_t size, char *buf, size_t bufsz);

#endif
