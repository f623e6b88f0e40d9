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

#endif
