/*
 * mime: reading mail as the SPEC §7 decoding conventions say.
 *
 * This first half holds the leaf codecs and header decoders: defects, the
 * incremental transfer decoders (base64, quoted-printable, uuencode,
 * identity), charset conversion to UTF-8 (iconv with the aliases mail needs,
 * uchardet for undeclared text, U+FFFD for invalid sequences), RFC 2047
 * encoded words, structured header parameters (RFC 2045 + RFC 2231),
 * address lists and dates. The part-tree parser is built on top of these,
 * and HTML bodies become readable text through libxml2's HTML parser.
 *
 * Depends on util, iconv (the C library), uchardet, libmagic and libidn2
 * (the builder) and libxml2 (HTML) only. Never prints, keeps no globals
 * (libxml2 is initialised once per process, under pthread_once), and never
 * fails on malformed mail: decoders record a defect and go on. The only errors are resource caps (a qu_buf that is
 * full).
 *
 * Mail data is `const char *p, size_t n`: never NUL-terminated, may hold NULs
 * and 8-bit bytes. Strings returned to the caller (names, values, decoded
 * headers) are NUL-terminated UTF-8 owned by the caller (free()).
 */
#ifndef QUAIL_MIME_MIME_H
#define QUAIL_MIME_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* ---- defects --------------------------------------------------------- */

/* What was wrong with the input. Malformed mail is never an error: the
 * decoder records one of these with a byte offset and goes on. */
enum mime_defect_kind {
	MIME_DEFECT_B64_BAD_CHAR,        /* byte outside the base64 alphabet, skipped */
	MIME_DEFECT_B64_NO_PADDING,      /* last quantum without '=' padding, decoded */
	MIME_DEFECT_B64_AFTER_PADDING,   /* data after the padding, decoded as more base64 */
	MIME_DEFECT_B64_TRUNCATED,       /* a lone last sextet or misplaced '=': bits dropped */
	MIME_DEFECT_QP_BAD_ESCAPE,       /* '=' not followed by 2 hex digits or a line end: kept */
	MIME_DEFECT_UU_NO_BEGIN,         /* uuencoded data without a "begin" line */
	MIME_DEFECT_UU_NO_END,           /* uuencoded data without its "end" line */
	MIME_DEFECT_UU_BAD_LINE,         /* uuencoded line too short or too long */
	MIME_DEFECT_CTE_UNKNOWN,         /* unknown Content-Transfer-Encoding: identity */
	MIME_DEFECT_CHARSET_UNKNOWN,     /* charset label iconv does not know */
	MIME_DEFECT_CHARSET_INVALID,     /* invalid sequence, replaced by U+FFFD */
	MIME_DEFECT_CHARSET_GUESSED,     /* undeclared 8-bit text that is not UTF-8 */
	MIME_DEFECT_HEADER_8BIT,         /* raw 8-bit header bytes, not UTF-8: windows-1252 */
	MIME_DEFECT_RFC2047_MALFORMED,   /* "=?" that is no encoded word: left as it is */
	MIME_DEFECT_RFC2047_BAD_ENCODING,/* bad base64 or Q text inside an encoded word */
	MIME_DEFECT_TYPE_SYNTAX,         /* Content-Type without a usable type/subtype */
	MIME_DEFECT_PARAM_SYNTAX,        /* parameter without '=' or name, or junk after it */
	MIME_DEFECT_PARAM_DUPLICATE,     /* parameter given twice: the first counts */
	MIME_DEFECT_PARAM_MISSING_SECTION, /* RFC 2231 continuation with a gap */
	MIME_DEFECT_PARAM_BAD_RFC2231,   /* bad %XX or missing charset'lang' quotes */
	MIME_DEFECT_UNTERMINATED,        /* quoted string, comment, <...> or [...] not closed */
	MIME_DEFECT_ADDR_SYNTAX,         /* address list element that is no mailbox, or junk */
	MIME_DEFECT_ADDR_NO_ANGLE,       /* "Name user@host" without the angle brackets */
	MIME_DEFECT_DATE_INVALID,        /* unparsable date: no result */
	MIME_DEFECT_DATE_NO_ZONE,        /* date without a zone: +00:00 */
	MIME_DEFECT_DATE_BAD_ZONE,       /* unknown or out of range zone: +00:00 */
	MIME_DEFECT_DATE_SYNTAX,         /* junk after a usable date */
	/* The part-tree parser's defects go here. */
	MIME_DEFECT_HEADER_JUNK,         /* header line that is no field (continuation first,
	                                  * empty name): skipped */
	MIME_DEFECT_HEADER_NO_SEPARATOR, /* a non-field line ended the header: body starts there */
	MIME_DEFECT_NO_BOUNDARY,         /* multipart without a usable boundary: no parts */
	MIME_DEFECT_NO_START_BOUNDARY,   /* multipart whose delimiter never comes: no parts */
	MIME_DEFECT_NO_END_BOUNDARY,     /* multipart without its close delimiter */
	MIME_DEFECT_MULTIPART_ENCODED,   /* multipart with base64/QP (RFC 2045 §6.4): ignored */
	MIME_DEFECT_MESSAGE_ENCODED,     /* message/rfc822 with base64/QP: decoded, then parsed */
	MIME_DEFECT_DEPTH_LIMIT,         /* nested too deep: the rest is an opaque leaf */
	MIME_DEFECT_PART_LIMIT,          /* too many parts: the rest is not split */
	MIME_DEFECT_SIZE_LIMIT,          /* encoded messages decode to too much: kept opaque */
	MIME_DEFECT__COUNT
};

/* A stable lowercase name ("base64_bad_char"), "unknown" out of range. */
const char *mime_defect_name(enum mime_defect_kind kind);

/* Where defects go. Every decoder takes a `struct mime_defects *` that may be
 * NULL. count is incremented for each defect recorded, then fn (if set) is
 * called with the kind and the offset: base plus the offset of the defect in
 * the input of the call (for the streaming decoders, in all the input fed so
 * far). The caller sets base to where that input starts in the message.
 *
 * How often: the transfer decoders record each kind at most once per decoder
 * (per part), charset conversion each kind at most once per call; header
 * decoders record each occurrence. */
struct mime_defects {
	size_t count;
	size_t base;
	void (*fn)(void *ctx, enum mime_defect_kind kind, size_t offset);
	void *ctx;
};

/* Records one defect (d may be NULL). */
void mime_defect(struct mime_defects *d, enum mime_defect_kind kind, size_t offset);

/* ---- transfer decoding (RFC 2045 §6) --------------------------------- */

enum mime_cte {
	MIME_CTE_7BIT,    /* also: no header */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,      /* quoted-printable */
	MIME_CTE_BASE64,
	MIME_CTE_UUENCODE, /* x-uuencode, uuencode, x-uue */
	MIME_CTE_UNKNOWN, /* decoded as the identity */
};

const char *mime_cte_name(enum mime_cte cte);

/* Maps a Content-Transfer-Encoding value (case-insensitive, white space,
 * comments and quotes around it ignored) to its enum. An empty value is 7bit;
 * an unknown one is MIME_CTE_UNKNOWN plus MIME_DEFECT_CTE_UNKNOWN. */
enum mime_cte mime_cte_parse(const char *p, size_t n, struct mime_defects *d);

/* The decoder states. Embed one in your own struct, init it, feed it the
 * encoded bytes in chunks of any size (a chunk may end anywhere, even between
 * '=' and its hex digits), then finish it once. The state is O(1): a 50 MB
 * attachment decodes in chunks without being held in memory.
 *
 * Output: decoded bytes are appended to the qu_buf passed to each feed and to
 * finish (the caller may hash and reset it between calls). Line ends in
 * quoted-printable and identity output are as in the input.
 *
 * feed and finish return 0, or -1 with QU_E_DATA in err when out's cap is
 * reached (the output is then incomplete; stop decoding this part). */

struct mime_b64 {
	uint32_t acc;      /* sextets of the current quantum */
	unsigned nsext;    /* how many (0-3) */
	unsigned npad;     /* '=' seen after the current data */
	unsigned seen;     /* defect kinds already recorded (once per decoder) */
	size_t off;        /* input bytes fed so far */
};

/* Lenient base64 (RFC 2045 §6.8): bytes outside the alphabet are skipped
 * (CR, LF, space and tab silently, others with a defect); a last quantum
 * without padding is decoded; base64 after padding is decoded as a new
 * stream (concatenated encoder output). */
void mime_b64_init(struct mime_b64 *s);
int mime_b64_feed(struct mime_b64 *s, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err);
int mime_b64_finish(struct mime_b64 *s, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err);

#define MIME_QP_WS_MAX 128

struct mime_qp {
	int state;         /* private */
	char hex1;         /* first hex digit after '=' */
	unsigned seen;
	size_t nws;        /* pending white space (may be deleted at a line end) */
	char ws[MIME_QP_WS_MAX];
	size_t off;
};

/* Quoted-printable (RFC 2045 §6.7): "=XX" with upper or lower case hex; a
 * soft line break is '=' then optional white space then CRLF or LF, or '='
 * (and white space) at the very end of the data, whose line end belongs to
 * the boundary; white space before a line end is deleted (a run longer than
 * MIME_QP_WS_MAX has its first bytes kept); a bad escape ("=ZZ", "=4") is
 * kept as it is with a defect. Line ends are kept as written. */
void mime_qp_init(struct mime_qp *s);
int mime_qp_feed(struct mime_qp *s, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err);
int mime_qp_finish(struct mime_qp *s, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err);

#define MIME_UU_LINE_MAX 256
#define MIME_UU_NAME_MAX 256

struct mime_uu {
	int state;         /* private */
	unsigned seen;
	size_t nline;
	char line[MIME_UU_LINE_MAX];
	unsigned mode;     /* from "begin MODE NAME", 0 if none */
	char name[MIME_UU_NAME_MAX]; /* NUL-terminated NAME, raw bytes, "" if none */
	size_t off;
	size_t line_off;   /* offset of the line being collected */
};

/* uuencode: lines before "begin MODE NAME" are skipped, each line after it
 * is decoded (its first character gives the byte count; missing characters
 * count as zero, as when trailing spaces were stripped) until "end" or an
 * empty line; anything after is ignored. mode and name are filled from the
 * begin line. */
void mime_uu_init(struct mime_uu *s);
int mime_uu_feed(struct mime_uu *s, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err);
int mime_uu_finish(struct mime_uu *s, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err);

/* One decoder for any transfer encoding: identity for 7bit, 8bit, binary
 * and unknown ones. */
struct mime_decoder {
	enum mime_cte cte;
	union {
		struct mime_b64 b64;
		struct mime_qp qp;
		struct mime_uu uu;
		size_t off;
	} u;
};

void mime_decoder_init(struct mime_decoder *dec, enum mime_cte cte);
int mime_decoder_feed(struct mime_decoder *dec, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err);
int mime_decoder_finish(struct mime_decoder *dec, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err);

/* init + feed + finish over one buffer. */
int mime_decode(enum mime_cte cte, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err);

/* ---- charsets (SPEC §7 "text") --------------------------------------- */

#define MIME_CHARSET_SLOTS 4

/* iconv descriptors (including failed opens) and the uchardet detector,
 * reused across calls. Owned by the caller, one per thread; embedded:
 * mime_charset_cache_init / mime_charset_cache_clear. Every function that
 * takes one also accepts NULL (and then opens and closes per call). */
struct mime_charset_cache {
	struct {
		char name[32];
		void *cd;          /* iconv_t; (void *)-1 when iconv_open failed */
		unsigned long used;
	} slot[MIME_CHARSET_SLOTS];
	void *det;             /* uchardet_t, made on first use */
	unsigned long tick;
};

void mime_charset_cache_init(struct mime_charset_cache *c);
void mime_charset_cache_clear(struct mime_charset_cache *c);

/* The iconv name mail needs for a charset label (case-insensitive, white
 * space and quotes trimmed), after the aliases of SPEC §7 and the WHATWG
 * Encoding Standard's labels: "gb2312" -> "GB18030", "latin1" ->
 * "WINDOWS-1252", "shift_jis" -> "CP932", ... A label with no alias comes
 * back uppercased; "UTF-8" for the UTF-8 labels. Returns NULL for an empty
 * label, the us-ascii labels and labels no iconv name may be made from:
 * those are decoded as undeclared text. Writes at most cap bytes. */
const char *mime_charset_canonical(const char *label, size_t n, char *buf, size_t cap);

/* Converts text in charset (a NUL-terminated label as declared, or NULL when
 * undeclared) to UTF-8 appended to out. Undeclared, us-ascii and unknown
 * labels: UTF-8 when valid, else what uchardet detects (an empty answer is
 * not confident), else windows-1252. Invalid or truncated sequences become
 * U+FFFD (one per maximal bad UTF-8 subpart, one per bad byte elsewhere) and
 * conversion goes on. A byte order mark is removed (UTF-8, UTF-16, which
 * without a BOM is guessed from where the zero bytes are). Line ends are
 * kept: see mime_eol_to_lf. Defects: CHARSET_UNKNOWN, CHARSET_INVALID,
 * CHARSET_GUESSED, each at most once per call. Returns 0, or -1 with
 * QU_E_DATA when out's cap is reached. */
int mime_charset_to_utf8(struct mime_charset_cache *cache, const char *charset, const char *p,
	size_t n, struct qu_buf *out, struct mime_defects *d, struct qu_err *err);

/* SPEC §7 for raw 8-bit header bytes: appends p as it is when it is valid
 * UTF-8, else converted from windows-1252 (MIME_DEFECT_HEADER_8BIT at the
 * first 8-bit byte). Returns -1 when out's cap is reached. */
int mime_raw_to_utf8(const char *p, size_t n, struct qu_buf *out, struct mime_defects *d);

/* SPEC §7 "CRLF and lone CR become LF", in place, for text after
 * conversion. */
void mime_eol_to_lf(struct qu_buf *b);

/* ---- header text (RFC 5322 §2.2.3, RFC 2047) ------------------------- */

/* Removes folding: each CRLF or LF followed by a space or tab is dropped
 * (the white space stays). Appends to out; -1 on cap. */
int mime_unfold(const char *p, size_t n, struct qu_buf *out);

enum {
	MIME_TEXT_TRIM = 1 << 0, /* trim white space at both ends (Subject, names) */
};

/* Decodes an unstructured header value (Subject, and the phrases and
 * parameters that go through it) to UTF-8: unfolds it, decodes RFC 2047
 * encoded words (=?charset[*lang]?B|Q?text?=) wherever they are, drops white
 * space between adjacent encoded words, joins the bytes of adjacent words of
 * one charset before converting them (a character split across two words
 * survives), and converts the raw 8-bit bytes around them (UTF-8 when the
 * value is valid UTF-8, else windows-1252). Malformed words stay as they
 * are. NUL bytes, which no header may hold, become U+FFFD. flags:
 * MIME_TEXT_*. Defect offsets are in the unfolded value. Returns a new
 * string (never NULL). */
char *mime_text_decode(const char *p, size_t n, unsigned flags, struct mime_charset_cache *cache,
	struct mime_defects *d);

/* ---- parameters (RFC 2045 §5.1, RFC 2183, RFC 2231) ------------------ */

struct mime_param {
	char *name;  /* lowercase, without the RFC 2231 '*' and section number */
	char *value; /* decoded UTF-8 (RFC 2231 or RFC 2047), trimmed */
	char *raw;   /* unquoted, not decoded: the bytes as written (sections joined) */
	size_t raw_len;
};

/* A Content-Type or Content-Disposition value. */
struct mime_field {
	/* Content-Type: lowercase "type/subtype", or NULL when there is no
	 * usable one (MIME_DEFECT_TYPE_SYNTAX; the caller applies the default).
	 * Content-Disposition: the lowercase token, or NULL when empty. */
	char *token;
	struct mime_param *params; /* in the order written, one per name */
	size_t nparams;
};

/* Parse a Content-Type or Content-Disposition value (unfolded here).
 * Parameters: names case-insensitive; values quoted (only \" and \\ are
 * escapes, other backslashes are kept, as Windows paths need) or not (up to
 * ';'); RFC 2231 charset'lang'%XX values and continuations (name*0,
 * name*1*, ..., in any order, plain and encoded sections mixed; a gap is a
 * defect and the sections present are joined), preferred over a plain value
 * of the same name; RFC 2047 words in plain values decoded; a duplicate name
 * keeps the first value. out is overwritten; free it with mime_field_clear. */
void mime_field_parse_content_type(const char *p, size_t n, struct mime_field *out,
	struct mime_charset_cache *cache, struct mime_defects *d);
void mime_field_parse_disposition(const char *p, size_t n, struct mime_field *out,
	struct mime_charset_cache *cache, struct mime_defects *d);
void mime_field_clear(struct mime_field *f);

/* The parameter called name (case-insensitive), or NULL. Valid until
 * mime_field_clear. */
const struct mime_param *mime_field_param(const struct mime_field *f, const char *name);
/* Its decoded UTF-8 value ("filename", "charset", ...), or NULL. */
const char *mime_param_get(const struct mime_field *f, const char *name);
/* Its raw value (for "boundary": unquoted, never decoded), or NULL; *len
 * gets its length when len is not NULL. */
const char *mime_param_get_raw(const struct mime_field *f, const char *name, size_t *len);

/* ---- addresses (RFC 5322 §3.4, §4.4) --------------------------------- */

struct mime_addr {
	char *name;    /* decoded UTF-8 display name, trimmed; NULL when empty */
	char *address; /* local@domain as written, without <> and comments */
};

struct mime_addr_list {
	struct mime_addr *v;
	size_t n;
	size_t alloc;
};

void mime_addr_list_init(struct mime_addr_list *l);
void mime_addr_list_clear(struct mime_addr_list *l);

/* Parses a From/To/Cc value and appends its mailboxes to l (so that every
 * To header can go into one list). Groups are flattened into their members
 * ("undisclosed-recipients:;" gives none); display names may be quoted,
 * RFC 2047 (also inside quotes) or raw 8-bit; with no display name, a
 * comment after the address is the name; obsolete routes (<@a,@b:u@h>) are
 * dropped; "Name user@host" without angle brackets is understood; junk
 * after an address is ignored with a defect. IDN domains stay as written
 * (UTF-8, or xn--). */
void mime_addr_list_parse(const char *p, size_t n, struct mime_addr_list *l,
	struct mime_charset_cache *cache, struct mime_defects *d);

/* ---- dates (RFC 5322 §3.3, §4.3) ------------------------------------- */

struct mime_date {
	int year, month, day;     /* month 1-12 */
	int hour, minute, second; /* second 0-60 */
	int offset;               /* minutes east of UTC, as written */
};

/* Parses a Date value. Day of week optional and not checked; comments and
 * extra white space anywhere; seconds optional; two-digit years 00-49 are
 * 20xx, 50-99 19xx, three-digit years +1900; zones: numeric as written,
 * -0000, UT, GMT, unknown and military ones +00:00, EST/EDT/CST/CDT/MST/
 * MDT/PST/PDT per RFC 5322 §4.3; no zone is +00:00 with a defect. Returns 0,
 * or -1 (MIME_DEFECT_DATE_INVALID) when no date can be read. */
int mime_date_parse(const char *p, size_t n, struct mime_date *out, struct mime_defects *d);

#define MIME_DATE_ISO_MAX 32

/* Writes "2019-01-12T17:25:43+08:00" into buf (at least MIME_DATE_ISO_MAX
 * bytes); returns buf. */
char *mime_date_iso(const struct mime_date *t, char *buf);

/* mime_date_parse then mime_date_iso into a new string; NULL when
 * unparsable. */
char *mime_date_decode(const char *p, size_t n, struct mime_defects *d);

/* Seconds since the epoch (UTC) of a parsed date, for sorting. */
int64_t mime_date_to_unix(const struct mime_date *t);

/* ==== reading messages: header fields and the part tree ============== */
/*
 * RFC 5322 header blocks and the MIME part tree of RFC 2045-2049, read the
 * way SPEC §7 says. Files: header.c (fields, envelopes, part fields),
 * parse.c (the tree), part.c (decoding leaves, uuencoded blocks). Lines may
 * end in CRLF, LF or a lone CR. Nothing here copies a body: parts are
 * offsets into the caller's buffer, except inside a base64 or
 * quoted-printable message/rfc822, which is decoded into a buffer the part
 * owns and parsed there.
 */

/* One header field as written. Borrowed from the buffer iterated. */
struct mime_header_field {
	const char *name;  /* the field name, without white space and colon */
	size_t name_len;
	const char *value; /* after the colon: folded, raw bytes, without the
	                    * final line end */
	size_t value_len;
	size_t off;        /* offset of the field in the buffer iterated */
};

/* Iterates the fields of a header block (RFC 5322 §2.2, obsolete syntax
 * of §4.5: white space before the colon). Fields are unfolded by the
 * caller (mime_header_unfold). A first line "From ..." (an mbox envelope
 * line) is skipped; a continuation line with no field before it and a
 * field with an empty name are skipped with MIME_DEFECT_HEADER_JUNK; a
 * line that is no field ends the block and starts the body
 * (MIME_DEFECT_HEADER_NO_SEPARATOR). Fields are private. */
struct mime_header_iter {
	const char *p;
	size_t n;
	size_t pos;
	size_t body;
	bool first, done, ended;
	struct mime_defects *d;
	/* Optional: called with each line that starts with "--"; returning
	 * true ends the block there (a boundary of an enclosing multipart). */
	bool (*stop)(void *ctx, size_t off);
	void *stop_ctx;
};

void mime_header_iter_init(struct mime_header_iter *it, const char *p, size_t n,
	struct mime_defects *d);
/* Fills *f with the next field; false at the end of the block. */
bool mime_header_iter_next(struct mime_header_iter *it, struct mime_header_field *f);
/* After the end: where the body starts (after the empty line), n when the
 * data ended first. */
size_t mime_header_iter_body(const struct mime_header_iter *it);
/* After the end: true when an empty line (or a line that is no field)
 * ended the block, false when the data ran out first (the header may go
 * on past what was read). */
bool mime_header_iter_ended(const struct mime_header_iter *it);

/* Appends a field value to out with its folding removed: every line end
 * (CRLF, LF or lone CR) that white space follows is dropped (RFC 5322
 * §2.2.3). Returns -1 when out's cap is reached. */
int mime_header_unfold(const char *p, size_t n, struct qu_buf *out);

/* What an index view and `parse --json` show of a message (SPEC §7): the
 * first Subject, Date and Message-ID, every From, To and Cc. */
struct mime_envelope {
	char *subject;     /* decoded UTF-8, trimmed; NULL without a Subject */
	struct mime_addr_list from, to, cc;
	char *date;        /* "2019-01-12T17:25:43+08:00", NULL if none or unparsable */
	struct mime_date when; /* the parsed date when date is not NULL */
	char *message_id;  /* without angle brackets; NULL if none or empty */
};

void mime_envelope_init(struct mime_envelope *e);
void mime_envelope_clear(struct mime_envelope *e);
/* Reads the header block at the start of p into e (which must be
 * initialised; fields already set are kept, as the first occurrence
 * counts). Returns the offset where the body starts; *ended (may be NULL)
 * as mime_header_iter_ended. cache may be NULL. */
size_t mime_envelope_parse(const char *p, size_t n, struct mime_envelope *e,
	struct mime_charset_cache *cache, struct mime_defects *d, bool *ended);

enum mime_part_kind {
	MIME_PART_LEAF,      /* anything with a body of its own */
	MIME_PART_MULTIPART, /* multipart: the children are its body parts */
	MIME_PART_MESSAGE,   /* message/rfc822: one child, the message's top part */
};

enum mime_disposition {
	MIME_DISPOSITION_NONE,
	MIME_DISPOSITION_INLINE,
	MIME_DISPOSITION_ATTACHMENT, /* also any other disposition (SPEC §7) */
};

/* One part of the tree. All fields are the caller's to read; the tree is
 * released only as a whole, by mime_part_free on its root. */
struct mime_part {
	enum mime_part_kind kind;
	struct mime_part *parent, *child, *next; /* first child, next sibling */
	struct mime_part *last;  /* last child (for appending) */
	size_t nchildren;
	unsigned depth;          /* 0 for the message's top part */

	/* Where the part is: offsets into base, which is the buffer given to
	 * mime_parse, or inside a transfer-encoded message/rfc822 the decoded
	 * bytes an ancestor owns. [off, body_off) is the header with its empty
	 * line, [body_off, end) the body; the line end before a boundary
	 * belongs to the boundary (SPEC §7), so [off, end) is the part byte
	 * for byte as RFC 1847 signatures need it. */
	const char *base;
	size_t off, body_off, end;
	/* multipart: the preamble is [body_off, preamble_end), the epilogue
	 * [epilogue_off, end) when epilogue_off < end. */
	size_t preamble_end, epilogue_off;

	/* Decoded fields (SPEC §7); strings are UTF-8 the part owns. */
	char *content_type;      /* lowercase "type/subtype", never NULL */
	char *charset;           /* lowercase as declared, NULL when not */
	enum mime_disposition disposition;
	char *filename;          /* Content-Disposition filename, else Content-Type
	                          * name, decoded and trimmed; NULL if none */
	char *content_id;        /* without angle brackets; NULL if none */
	enum mime_cte cte;
	char *boundary;          /* multipart: the raw boundary, NUL-terminated */
	size_t boundary_len;
	/* The message's header fields, for the top part of a message (the
	 * root, and the child of each message/rfc822); NULL elsewhere. */
	struct mime_envelope *envelope;

	bool opaque;   /* a multipart or message/rfc822 kept as a leaf (too deep,
	                * too many parts, too large once decoded) */
	bool closed;   /* multipart: its close delimiter was seen */
	char *owned;   /* the decoded body of an encoded message/rfc822 */
	size_t owned_len;
};

/* Containers nested deeper than this are opaque leaves. */
#define MIME_DEPTH_MAX 64
/* At most this many parts per message; the rest is not split. */
#define MIME_PARTS_MAX 10000

struct mime_opts {
	unsigned max_depth; /* 0: MIME_DEPTH_MAX */
	size_t max_parts;   /* 0: MIME_PARTS_MAX */
	/* Charset descriptors for decoding header fields; NULL: one made and
	 * dropped per call. */
	struct mime_charset_cache *cache;
};

/* Parses the message in p (n bytes, which the tree borrows: p must outlive
 * it) into its part tree, without recursion and without copying bodies.
 * multiparts at any depth, with the delimiters of every enclosing
 * multipart recognised (an outer one closes the inner parts, so a missing
 * close delimiter costs only the part it ends); delimiter lines are
 * "--" boundary ["--"] [white space] line end, so boundaries that are
 * prefixes of one another are told apart; multipart/digest children
 * default to message/rfc822; message/rfc822 is parsed as a message
 * (decoded first when base64 or quoted-printable). Never fails: every
 * deviation is a defect in d (may be NULL), offsets into p. o may be NULL.
 * Returns the root, owned: mime_part_free. */
struct mime_part *mime_parse(const char *p, size_t n, const struct mime_opts *o,
	struct mime_defects *d);
/* Releases a whole tree (root as mime_parse returned it); NULL is a no-op. */
void mime_part_free(struct mime_part *root);

/* The part after part in a depth-first walk of the tree under top (children
 * before siblings), or NULL when the walk is done. */
struct mime_part *mime_part_next(const struct mime_part *part, const struct mime_part *top);
/* The body bytes [body_off, end), still transfer-encoded; valid while the
 * tree and its buffer are. */
const char *mime_part_body(const struct mime_part *part, size_t *len);
/* The whole part [off, end), header and body, exactly as written. */
const char *mime_part_raw(const struct mime_part *part, size_t *len);
/* True for a leaf of type text (text/plain, text/html, ...): the parts
 * whose text SPEC §7 shows. */
bool mime_part_is_text(const struct mime_part *part);
/* True for a leaf a reader would save as an attachment: disposition
 * attachment, or a file name, or content that is not of type text. */
bool mime_part_is_attachment(const struct mime_part *part);

/* Receives decoded bytes; returns 0, or -1 (with err set) to stop. */
typedef int (*mime_sink_fn)(void *ctx, const char *p, size_t n, struct qu_err *err);

/* Transfer-decodes the body of a leaf in pieces: each piece goes through
 * scratch (reset before each; its cap bounds the piece, so keep it at
 * least 64 KiB) to fn; the identity encodings hand the body itself to fn
 * in one call. Defect offsets are those in part->base (d->base plus
 * body_off plus the offset in the body). Returns 0, or -1 with what fn set
 * or QU_E_DATA when scratch is too small. */
int mime_part_decode_each(const struct mime_part *part, struct qu_buf *scratch, mime_sink_fn fn,
	void *ctx, struct mime_defects *d, struct qu_err *err);
/* The transfer-decoded content of a leaf in *p, *n: the body itself for
 * the identity encodings (no copy), else decoded into scratch (reset
 * first). Valid until scratch changes or the tree goes. Returns 0, or -1
 * with QU_E_DATA when scratch's cap is reached. */
int mime_part_content(const struct mime_part *part, struct qu_buf *scratch, const char **p,
	size_t *n, struct mime_defects *d, struct qu_err *err);
/* Transfer-decodes the whole body of a leaf, appended to out. Returns 0, or
 * -1 with QU_E_DATA when out's cap is reached. */
int mime_part_decode(const struct mime_part *part, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err);
/* The text of a text leaf (SPEC §7 "text"): transfer-decoded into
 * scratch (reset first; NULL: a buffer of its own), converted from its
 * charset to UTF-8 and with CRLF and lone CR made LF, into out (reset
 * first). cache may be NULL. Returns 0, or -1 with QU_E_DATA when a cap is
 * hit. */
int mime_part_text(const struct mime_part *part, struct mime_charset_cache *cache,
	struct qu_buf *scratch, struct qu_buf *out, struct mime_defects *d, struct qu_err *err);

/* A uuencoded file inside text: [off, off + len) spans its "begin" line to
 * its "end" line (or to where the encoded lines stop). */
struct mime_uu_block {
	size_t off, len;
	unsigned mode;
	char *name; /* from the begin line, raw bytes made UTF-8 (as header
	             * bytes are); "" when none */
};

/* Finds the uuencoded blocks in text (decoded text/plain): a line
 * "begin MODE NAME" (MODE three or four octal digits) followed by a line
 * of uuencoded data. Returns how many, and an owned array in *out (NULL
 * when none) to release with mime_uu_blocks_free. Decode one with
 * mime_decode(MIME_CTE_UUENCODE, text + off, len, ...). */
size_t mime_uu_find(const char *p, size_t n, struct mime_uu_block **out);
void mime_uu_blocks_free(struct mime_uu_block *v, size_t n);

/* ==== building messages (SPEC §4) ==================================== */
/*
 * The other direction, for `quail send`: the builder writes a message with
 * the structure mixed(related(alternative(text, html), inline...),
 * attachments...), every level with one child left out; RFC 2047 words for
 * non-ASCII Subject and display names, RFC 2231 (and RFC 2047 in name=)
 * for file names; text as 7bit when it is short-lined ASCII, else
 * quoted-printable or base64, whichever is shorter; files as base64 with
 * their type from libmagic; no line longer than 78 characters (a structured
 * -H value without white space excepted). Files: build.c, build_enc.c,
 * build_raw.c. Besides util it uses libmagic and libidn2.
 */

/* A file to include. */
struct mime_build_file {
	const char *path; /* read when the message is built */
	const char *name; /* the file name to show; NULL: the base name of path */
	/* Content-Description (RFC 2045 §8), UTF-8, RFC 2047 words when not
	 * ASCII; NULL: none. A line break in it is refused (USAGE). */
	const char *description;
};

/* Fixed values in place of the clock and randomness, for tests; zero
 * values mean the real ones. */
struct mime_build_fixed {
	int64_t date;           /* seconds since the epoch; 0: now, local zone */
	int date_offset;        /* minutes east of UTC, used with date */
	const char *message_id; /* without <>; NULL: random@sender-domain */
	const char *boundary;   /* boundaries are BOUNDARY-1, -2, ...; NULL: random */
};

struct mime_build {
	const char *from;       /* From: a mailbox list, "Name <a@b>", UTF-8 */
	const char *sender;     /* who sends it (an address), or NULL. RFC 5322
				 * §3.6.2: a Sender field is written when it
				 * differs from a single From address, and with
				 * several From addresses (their first when NULL) */
	const char *reply_to;   /* NULL or an address list */
	const char *const *to;  /* address lists, n_to of them */
	size_t n_to;
	const char *const *cc;
	size_t n_cc;
	const char *subject;    /* UTF-8, or NULL */
	const char *text;       /* the text body: UTF-8, any line ends */
	size_t text_len;
	const char *html;       /* NULL: no HTML part; else UTF-8 */
	size_t html_len;
	const struct mime_build_file *inlines;     /* --inline: Content-ID <name> */
	size_t n_inlines;
	const struct mime_build_file *attachments; /* -a */
	size_t n_attachments;
	const char *const *headers; /* "Name: value" (-H), n_headers of them */
	size_t n_headers;
	bool lf;                /* LF line ends (--dry-run); false: CRLF */
	struct mime_build_fixed fixed;
};

/* The Date a message built now (or at fx->date, when fx is not NULL and
 * sets it) gets: RFC 5322 §3.3 date-time in English whatever the locale,
 * in the local zone. buf should hold 40 bytes. */
void mime_format_date(const struct mime_build_fixed *fx, char *buf, size_t cap);

/* Writes the message into out (appended). No To recipients gives
 * "To: undisclosed-recipients:;". Date, Message-ID and MIME-Version are
 * added; an -H Date or Message-ID replaces the one quail would write.
 * Errors: USAGE (a line break or other control character in anything that
 * becomes a header: no header injection; a bad address or -H name; -H of a
 * field quail writes from options: From, To, Cc, Bcc, Subject, Reply-To,
 * Sender, MIME-Version, Content-*), NOINPUT (a file missing, unreadable, a
 * directory), IOERR (a read failed), DATA (out's cap reached). Files are
 * mapped and encoded piece by piece: memory is about the encoded size. */
int mime_build_message(const struct mime_build *b, struct qu_buf *out, struct qu_err *err);

/* Parses an address list written by a user ("a@b", "Name <a@b>", "a@b,
 * Name <c@d>") and appends its mailboxes to l. Errors: USAGE for control
 * characters (line breaks: header injection), a list that does not parse
 * cleanly, or (need_domain) an address that is not local@domain. */
int mime_build_addr_list(const char *s, bool need_domain, struct mime_addr_list *l,
	struct qu_err *err);

struct mime_build_raw {
	const char *from;       /* written as From when the message has none */
	const char *const *headers; /* -H fields to add */
	size_t n_headers;
	bool lf;                /* all line ends LF (--dry-run); false: kept */
	struct mime_build_fixed fixed;
};

/* `quail send -t` and sendmail: p is a whole message. Appends to out the
 * message with every Bcc field removed, From, Date, Message-ID and
 * MIME-Version added where missing, and the -H fields; the body is kept
 * byte for byte (a leading mbox "From " line is dropped; text without a
 * header block is all body). The addresses of To, Cc and Bcc are appended
 * to rcpts; *from_addr (may be NULL) gets the first From address or NULL
 * (free()). Errors: USAGE (bad -H), DATA (out's cap reached). */
int mime_build_raw_message(const char *p, size_t n, const struct mime_build_raw *o,
	struct qu_buf *out, struct mime_addr_list *rcpts, char **from_addr, struct qu_err *err);

/* ==== end of the builder ============================================= */

/* ---- HTML as text (html.c) ------------------------------------------- */

/* How mime_html_to_text lays text out. */
struct mime_html_opts {
	int width;  /* wrap paragraphs at this many terminal cells; 0: no wrapping */
	bool links; /* number links as text[1] and list the URLs at the end */
};

/* Appends the readable text of an HTML document to out: paragraphs and
 * blocks parted by blank lines, white space collapsed outside <pre>, lists
 * as "* " and "1. ", quotes behind "> ", tables as aligned columns,
 * images as "[image: ALT]", scripts, styles, comments and hidden elements
 * left out. p is UTF-8 already (the caller converted the charset; a <meta
 * charset> is ignored, invalid bytes become U+FFFD). Lines end in \n; the
 * text holds no NUL and no CR, but any other control the document carries
 * stays for the display layer to escape. o may be NULL: no wrapping and no
 * link list (the text to index). Uses libxml2's HTML parser with
 * the network off; safe to call from several threads at once. Returns 0,
 * or -1 when out's cap is reached (out then holds a part). Never fails on
 * malformed HTML. */
int mime_html_to_text(const char *p, size_t n, const struct mime_html_opts *o,
	struct qu_buf *out);

#endif
