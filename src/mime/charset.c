/*
 * Charset conversion to UTF-8 (SPEC §7 "text"): the aliases mail needs
 * (WHATWG Encoding Standard labels as the reference), iconv with U+FFFD for
 * invalid sequences, uchardet for undeclared 8-bit text, windows-1252 as
 * the last resort, and the line-end normalisation of text.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchardet/uchardet.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

#define NAME_MAX_LEN 32
/* How much of an undeclared text uchardet looks at. */
#define DETECT_MAX (1u << 20)

/* uchardet, opened on first use: it is C++ and brings libstdc++ into every
 * start, while only undeclared 8-bit text needs it. Without it that text is
 * read as windows-1252, the same as when uchardet has no answer. Filled
 * once, then only read. */
struct ud_lib {
	__typeof__(uchardet_new) *new_;
	__typeof__(uchardet_delete) *delete_;
	__typeof__(uchardet_reset) *reset;
	__typeof__(uchardet_handle_data) *handle_data;
	__typeof__(uchardet_data_end) *data_end;
	__typeof__(uchardet_get_charset) *get_charset;
};
#define UD_SYM(f, m) {#f, offsetof(struct ud_lib, m)}
static const struct qu_dl_sym ud_syms[] = {
	UD_SYM(uchardet_new, new_),		UD_SYM(uchardet_delete, delete_),
	UD_SYM(uchardet_reset, reset),		UD_SYM(uchardet_handle_data, handle_data),
	UD_SYM(uchardet_data_end, data_end), UD_SYM(uchardet_get_charset, get_charset),
};
/* Debian 12's runtime package libuchardet0. */
static const struct qu_dl_lib ud_dl = {"libuchardet.so.0", "libuchardet0",
				       "charset detection", ud_syms, QU_ARRAY_LEN(ud_syms)};
static struct ud_lib udl;
static struct qu_dl_once ud_once = QU_DL_ONCE(&ud_dl, &udl, NULL);

/* A new detector, or NULL when uchardet is not installed. */
static uchardet_t
ud_new(void)
{
	return qu_dl_open(&ud_once, NULL) == 0 ? udl.new_() : NULL;
}
/* How many 8-bit bytes a detection needs before it is believed. */
#define DETECT_MIN_HIGH 8

static const char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

enum {
	SEEN_UNKNOWN = 1,
	SEEN_INVALID = 2,
	SEEN_GUESSED = 4,
};

/* Label -> iconv name. "" means: decode as undeclared (the us-ascii
 * labels, SPEC §7). Names that glibc knows as they are need no entry. */
static const struct {
	const char *label;
	const char *name;
} aliases[] = {
	/* UTF-8 */
	{"utf-8", "UTF-8"}, {"utf8", "UTF-8"}, {"unicode-1-1-utf-8", "UTF-8"},
	{"unicode11utf8", "UTF-8"}, {"unicode20utf8", "UTF-8"}, {"x-unicode20utf8", "UTF-8"},
	/* us-ascii: undeclared */
	{"us-ascii", ""}, {"ascii", ""}, {"ansi_x3.4-1968", ""}, {"ansi_x3.4-1986", ""},
	{"iso646-us", ""}, {"iso-ir-6", ""}, {"us", ""}, {"cp367", ""}, {"ibm367", ""},
	{"csascii", ""}, {"iso_646.irv:1991", ""}, {"646", ""},
	/* iso-8859-1 as windows-1252 */
	{"windows-1252", "WINDOWS-1252"}, {"cp1252", "WINDOWS-1252"}, {"x-cp1252", "WINDOWS-1252"},
	{"iso-8859-1", "WINDOWS-1252"}, {"iso8859-1", "WINDOWS-1252"}, {"iso88591", "WINDOWS-1252"},
	{"iso_8859-1", "WINDOWS-1252"}, {"iso_8859-1:1987", "WINDOWS-1252"},
	{"iso-ir-100", "WINDOWS-1252"}, {"csisolatin1", "WINDOWS-1252"}, {"l1", "WINDOWS-1252"},
	{"latin1", "WINDOWS-1252"}, {"latin-1", "WINDOWS-1252"}, {"cp819", "WINDOWS-1252"},
	{"ibm819", "WINDOWS-1252"},
	/* iso-8859-9 as windows-1254 */
	{"windows-1254", "CP1254"}, {"cp1254", "CP1254"}, {"x-cp1254", "CP1254"},
	{"iso-8859-9", "CP1254"}, {"iso8859-9", "CP1254"}, {"iso88599", "CP1254"},
	{"iso_8859-9", "CP1254"}, {"iso_8859-9:1989", "CP1254"}, {"iso-ir-148", "CP1254"},
	{"csisolatin5", "CP1254"}, {"l5", "CP1254"}, {"latin5", "CP1254"},
	/* tis-620 as windows-874 */
	{"tis-620", "CP874"}, {"tis620", "CP874"}, {"windows-874", "CP874"}, {"dos-874", "CP874"},
	{"cp874", "CP874"}, {"iso-8859-11", "CP874"}, {"iso8859-11", "CP874"},
	{"iso885911", "CP874"},
	/* gb2312 and gbk as gb18030 */
	{"gb2312", "GB18030"}, {"gb_2312", "GB18030"}, {"gb_2312-80", "GB18030"},
	{"csgb2312", "GB18030"}, {"csiso58gb231280", "GB18030"}, {"iso-ir-58", "GB18030"},
	{"chinese", "GB18030"}, {"gbk", "GB18030"}, {"x-gbk", "GB18030"}, {"cp936", "GB18030"},
	{"ms936", "GB18030"}, {"windows-936", "GB18030"}, {"euc-cn", "GB18030"},
	{"euccn", "GB18030"}, {"x-euc-cn", "GB18030"}, {"gb18030", "GB18030"},
	/* big5 as Big5-HKSCS */
	{"big5", "BIG5-HKSCS"}, {"big-5", "BIG5-HKSCS"}, {"big5-hkscs", "BIG5-HKSCS"},
	{"cn-big5", "BIG5-HKSCS"}, {"csbig5", "BIG5-HKSCS"}, {"x-x-big5", "BIG5-HKSCS"},
	{"cp950", "BIG5-HKSCS"},
	/* shift_jis as CP932 */
	{"shift_jis", "CP932"}, {"shift-jis", "CP932"}, {"sjis", "CP932"}, {"x-sjis", "CP932"},
	{"csshiftjis", "CP932"}, {"ms932", "CP932"}, {"ms_kanji", "CP932"}, {"cp932", "CP932"},
	{"windows-31j", "CP932"}, {"x-ms-cp932", "CP932"},
	/* euc-kr as CP949 */
	{"euc-kr", "CP949"}, {"euckr", "CP949"}, {"cseuckr", "CP949"}, {"ks_c_5601-1987", "CP949"},
	{"ks_c_5601-1989", "CP949"}, {"ks_c_5601", "CP949"}, {"ksc5601", "CP949"},
	{"ksc_5601", "CP949"}, {"csksc56011987", "CP949"}, {"iso-ir-149", "CP949"},
	{"korean", "CP949"}, {"windows-949", "CP949"}, {"cp949", "CP949"}, {"uhc", "CP949"},
	/* Japanese: ISO-2022-JP-2 is a superset that also takes ESC ( I */
	{"iso-2022-jp", "ISO-2022-JP-2"}, {"csiso2022jp", "ISO-2022-JP-2"},
	{"euc-jp", "EUC-JP"}, {"x-euc-jp", "EUC-JP"}, {"cseucpkdfmtjapanese", "EUC-JP"},
	/* Unicode */
	{"utf-16", "UTF-16"}, {"unicode", "UTF-16"}, {"ucs-2", "UTF-16"}, {"csunicode", "UTF-16"},
	{"iso-10646-ucs-2", "UTF-16"}, {"unicodefeff", "UTF-16LE"}, {"utf-16le", "UTF-16LE"},
	{"utf-16be", "UTF-16BE"}, {"unicodefffe", "UTF-16BE"},
	{"utf-7", "UTF-7"}, {"unicode-1-1-utf-7", "UTF-7"}, {"csunicode11utf7", "UTF-7"},
	{"x-unicode-2-0-utf-7", "UTF-7"},
	/* Cyrillic and others in the WHATWG table glibc spells differently */
	{"koi8-r", "KOI8-R"}, {"koi8_r", "KOI8-R"}, {"koi8", "KOI8-R"}, {"koi", "KOI8-R"},
	{"cskoi8r", "KOI8-R"}, {"koi8-u", "KOI8-U"}, {"koi8-ru", "KOI8-RU"},
	{"ibm866", "IBM866"}, {"cp866", "IBM866"}, {"866", "IBM866"}, {"csibm866", "IBM866"},
	{"macintosh", "MACINTOSH"}, {"mac", "MACINTOSH"}, {"csmacintosh", "MACINTOSH"},
	{"x-mac-roman", "MACINTOSH"}, {"x-mac-cyrillic", "MAC-CYRILLIC"},
	{"x-mac-ukrainian", "MAC-CYRILLIC"},
	{"iso-8859-8-i", "ISO-8859-8"}, {"csiso88598i", "ISO-8859-8"}, {"logical", "ISO-8859-8"},
	{"iso-8859-8-e", "ISO-8859-8"}, {"csiso88598e", "ISO-8859-8"}, {"visual", "ISO-8859-8"},
	{"iso-8859-6-i", "ISO-8859-6"}, {"iso-8859-6-e", "ISO-8859-6"},
	{"csiso88596i", "ISO-8859-6"}, {"csiso88596e", "ISO-8859-6"},
	{"x-cp1250", "CP1250"}, {"x-cp1251", "CP1251"}, {"x-cp1253", "CP1253"},
	{"x-cp1255", "CP1255"}, {"x-cp1256", "CP1256"}, {"x-cp1257", "CP1257"},
	{"x-cp1258", "CP1258"},
};

/* glibc names that are no charset of mail text. */
static const char *const refused[] = {"char", "wchar_t", "internal", "ucs-4-internal"};

static bool
label_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		c == '.' || c == ':' || c == '+' || c == '(' || c == ')';
}

/* mime_charset_canonical; *ascii tells a us-ascii label from an unusable
 * one when NULL comes back. */
static const char *
canonical(const char *label, size_t n, char *buf, size_t cap, bool *ascii)
{
	char low[NAME_MAX_LEN];
	*ascii = false;
	if (!label)
		return NULL;
	while (n && (mime_is_ws(*label) || *label == '"' || *label == '\'')) {
		label++;
		n--;
	}
	while (n && (mime_is_ws(label[n - 1]) || label[n - 1] == '"' || label[n - 1] == '\''))
		n--;
	if (n == 0 || n >= sizeof low || cap == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		low[i] = mime_lower(label[i]);
		if (!label_char_ok(low[i]))
			return NULL;
	}
	low[n] = '\0';
	const char *name = NULL;
	for (size_t i = 0; i < QU_ARRAY_LEN(aliases) && !name; i++)
		if (strcmp(low, aliases[i].label) == 0)
			name = aliases[i].name;
	for (size_t i = 0; i < QU_ARRAY_LEN(refused) && !name; i++)
		if (strcmp(low, refused[i]) == 0)
			return NULL;
	if (name && !*name) {
		*ascii = true;
		return NULL;
	}
	if (!name) {
		for (size_t i = 0; i < n; i++)
			low[i] = (low[i] >= 'a' && low[i] <= 'z') ? (char)(low[i] - 32) : low[i];
		name = low;
	}
	size_t l = strlen(name);
	if (l >= cap)
		return NULL;
	memcpy(buf, name, l + 1);
	return buf;
}

const char *
mime_charset_canonical(const char *label, size_t n, char *buf, size_t cap)
{
	bool ascii;
	return canonical(label, n, buf, cap, &ascii);
}

/* ---- the cache ----------------------------------------------------------- */

void
mime_charset_cache_init(struct mime_charset_cache *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < MIME_CHARSET_SLOTS; i++)
		c->slot[i].cd = NULL;
	c->det = NULL;
}

static void
slot_close(struct mime_charset_cache *c, size_t i)
{
	void *cd = c->slot[i].cd;
	if (cd && cd != (void *)-1)
		iconv_close((iconv_t)cd);
	c->slot[i].cd = NULL;
	c->slot[i].name[0] = '\0';
}

void
mime_charset_cache_clear(struct mime_charset_cache *c)
{
	for (size_t i = 0; i < MIME_CHARSET_SLOTS; i++)
		slot_close(c, i);
	if (c->det)
		udl.delete_((uchardet_t)c->det);
	c->det = NULL;
}

/* The descriptor name -> UTF-8, or (iconv_t)-1 (failed opens are cached
 * too: glibc searches its modules each time). */
static iconv_t
cache_get(struct mime_charset_cache *c, const char *name)
{
	c->tick++;
	for (size_t i = 0; i < MIME_CHARSET_SLOTS; i++) {
		if (c->slot[i].cd && strcmp(c->slot[i].name, name) == 0) {
			c->slot[i].used = c->tick;
			return (iconv_t)c->slot[i].cd;
		}
	}
	size_t victim = 0;
	for (size_t i = 0; i < MIME_CHARSET_SLOTS; i++) {
		if (!c->slot[i].cd) {
			victim = i;
			break;
		}
		if (c->slot[i].used < c->slot[victim].used)
			victim = i;
	}
	slot_close(c, victim);
	iconv_t cd = iconv_open("UTF-8", name);
	snprintf(c->slot[victim].name, sizeof c->slot[victim].name, "%s", name);
	c->slot[victim].cd = (void *)cd;
	c->slot[victim].used = c->tick;
	return cd;
}

/* Charsets whose iconv state includes a byte order learnt from a BOM. */
static bool
learns_from_bom(const char *name)
{
	/* Spelt with or without '-' or '_' ("UTF16" is a glibc alias too). */
	char k[16];
	size_t n = 0;
	for (const char *q = name; *q && n + 1 < sizeof k; q++)
		if (*q != '-' && *q != '_')
			k[n++] = *q;
	k[n] = '\0';
	return strcmp(k, "UTF16") == 0 || strcmp(k, "UTF32") == 0 || strcmp(k, "UCS2") == 0 ||
	       strcmp(k, "UCS4") == 0 || strcmp(k, "UNICODE") == 0;
}

/* ---- conversion ---------------------------------------------------------- */

struct conv {
	struct mime_charset_cache *cache;
	struct qu_buf *out;
	struct mime_defects *d;
	unsigned seen;
	bool detect; /* false for headers: no uchardet on a few words */
};

static int
conv_full(struct conv *cv, struct qu_err *err)
{
	return qu_err_set(err, QU_E_DATA, "converted text larger than %zu bytes", cv->out->max);
}

/* UTF-8 with replacement; a leading BOM goes. */
static int
conv_utf8(struct conv *cv, const char *p, size_t n, struct qu_err *err)
{
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		n -= 3;
	}
	size_t first = 0;
	long bad = mime_utf8_sanitize(p, n, cv->out, &first);
	if (bad < 0)
		return conv_full(cv, err);
	if (bad > 0)
		mime_defect_once(cv->d, &cv->seen, SEEN_INVALID, MIME_DEFECT_CHARSET_INVALID, first);
	return 0;
}

/* Room for up to want bytes in out (less near the cap); NULL when full. */
static char *
reserve_some(struct qu_buf *out, size_t want, size_t *got)
{
	size_t left = out->max - out->len;
	if (want > left)
		want = left;
	if (want == 0)
		return NULL;
	*got = want;
	return qu_buf_reserve(out, want);
}

/* How many bytes an invalid sequence skips: one, or the code unit of the
 * wide encodings (skipping one byte there would misalign the rest). */
static size_t
skip_unit(const char *name)
{
	if (qu_str_has_prefix(name, "UTF-16") || qu_str_has_prefix(name, "UCS-2"))
		return 2;
	if (qu_str_has_prefix(name, "UTF-32") || qu_str_has_prefix(name, "UCS-4"))
		return 4;
	return 1;
}

/* iconv with U+FFFD: EILSEQ skips one byte (code unit), EINVAL (a
 * truncated last sequence) ends the input. */
static int conv_iconv_raw(struct conv *cv, iconv_t cd, const char *name, const char *p,
	size_t n, struct qu_err *err);

/* glibc's UCS-4 decoder passes values above U+10FFFF, which come out as
 * 5- and 6-byte "UTF-8": what iconv wrote is checked, and fixed. */
static int
conv_iconv(struct conv *cv, iconv_t cd, const char *name, const char *p, size_t n,
	struct qu_err *err)
{
	size_t start = cv->out->len;
	if (conv_iconv_raw(cv, cd, name, p, n, err) < 0)
		return -1;
	size_t len = cv->out->len - start;
	if (qu_utf8_valid_prefix(cv->out->data + start, len) == len)
		return 0;
	char *tmp = xmalloc(len);
	memcpy(tmp, cv->out->data + start, len);
	cv->out->len = start;
	int r = 0;
	size_t i = 0;
	while (i < len && r == 0) {
		size_t ok = qu_utf8_valid_prefix(tmp + i, len - i);
		r = qu_buf_append(cv->out, tmp + i, ok);
		i += ok;
		if (i == len || r < 0)
			break;
		/* One U+FFFD for the whole over-long character. */
		i++;
		while (i < len && ((unsigned char)tmp[i] & 0xC0) == 0x80)
			i++;
		r = qu_buf_append(cv->out, fffd, 3);
	}
	free(tmp);
	if (r < 0)
		return conv_full(cv, err);
	mime_defect_once(cv->d, &cv->seen, SEEN_INVALID, MIME_DEFECT_CHARSET_INVALID, 0);
	return 0;
}

static int
conv_iconv_raw(struct conv *cv, iconv_t cd, const char *name, const char *p, size_t n,
	struct qu_err *err)
{
	size_t unit = skip_unit(name);
	char *in = (char *)p;
	size_t inleft = n;
	bool flushed = false;
	iconv(cd, NULL, NULL, NULL, NULL);
	while (!flushed) {
		size_t room;
		size_t want = inleft < (1u << 18) ? inleft * 4 + 32 : (1u << 20);
		char *o = reserve_some(cv->out, want, &room);
		if (!o)
			return conv_full(cv, err);
		char *op = o;
		size_t oleft = room;
		size_t before = inleft;
		size_t r;
		if (inleft)
			r = iconv(cd, &in, &inleft, &op, &oleft);
		else
			r = iconv(cd, NULL, NULL, &op, &oleft); /* the shift state's end */
		int e = errno;
		qu_buf_commit(cv->out, room - oleft);
		if (r != (size_t)-1) {
			flushed = before == 0;
			continue;
		}
		if (e == E2BIG) {
			/* No progress: not even one character fits under the cap. */
			if (oleft == room && inleft == before)
				return conv_full(cv, err);
			continue;
		}
		size_t at = (size_t)(in - p);
		mime_defect_once(cv->d, &cv->seen, SEEN_INVALID, MIME_DEFECT_CHARSET_INVALID, at);
		if (qu_buf_append(cv->out, fffd, 3) < 0)
			return conv_full(cv, err);
		if (e == EINVAL || inleft == 0) {
			inleft = 0;
			iconv(cd, NULL, NULL, NULL, NULL);
		} else {
			size_t k = inleft < unit ? inleft : unit;
			in += k;
			inleft -= k;
		}
	}
	return 0;
}

static bool
all_ascii(const char *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			return false;
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return false;
	return true;
}

/* Charsets in which ASCII bytes are ASCII characters, so that all-ASCII
 * text can be copied. (Not UTF-7, ISO-2022-*, UTF-16/32, EBCDIC.) */
static bool
ascii_compatible(const char *name)
{
	static const char *const prefixes[] = {
		"GB18030", "BIG5", "CP932", "CP949", "CP950", "CP874", "CP125", "WINDOWS-",
		"ISO-8859", "ISO8859", "ISO_8859", "KOI8", "EUC-", "IBM866", "MACINTOSH", "MAC-",
		"TIS-620", "LATIN",
	};
	/* Prefixes, but no EBCDIC code page starts like these. */
	for (size_t i = 0; i < QU_ARRAY_LEN(prefixes); i++)
		if (qu_str_has_prefix(name, prefixes[i]))
			return true;
	return false;
}

/* UTF-16 without a BOM: the side of each 16-bit unit that holds more zero
 * bytes is the high side (mostly ASCII and Latin text); a tie is big endian
 * (RFC 2781 §4.3). */
static const char *
utf16_guess(const char *p, size_t n)
{
	size_t z[2] = {0, 0};
	size_t lim = n < 4096 ? n : 4096;
	for (size_t i = 0; i < lim; i++)
		if (p[i] == 0)
			z[i & 1]++;
	return z[1] > z[0] ? "UTF-16LE" : "UTF-16BE";
}

static int conv_named(struct conv *cv, const char *name, const char *p, size_t n,
	struct qu_err *err);

/* Whether uchardet's answer (iconv name cd) can be trusted over
 * windows-1252. Debian 12's uchardet (0.0.7) gives no confidence, so it
 * is judged here: there must be DETECT_MIN_HIGH bytes with the top bit
 * set (one accented letter in "na\xefve" says nothing about the
 * charset), and the sample must convert without an invalid sequence (a
 * sequence cut by the sample's end is fine). */
static bool
confident(iconv_t cd, const char *p, size_t n)
{
	size_t high = 0;
	for (size_t i = 0; i < n && high < DETECT_MIN_HIGH; i++)
		high += ((unsigned char)p[i] & 0x80) != 0;
	if (high < DETECT_MIN_HIGH)
		return false;
	iconv(cd, NULL, NULL, NULL, NULL);
	char *in = (char *)p;
	size_t left = n;
	char scratch[4096];
	while (left > 0) {
		char *o = scratch;
		size_t room = sizeof scratch;
		if (iconv(cd, &in, &left, &o, &room) != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		iconv(cd, NULL, NULL, NULL, NULL);
		return errno == EINVAL;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	return true;
}

/* Undeclared text (SPEC §7): UTF-8 when valid, else a confident uchardet
 * answer, else windows-1252. */
static int
conv_undeclared(struct conv *cv, const char *p, size_t n, struct qu_err *err)
{
	size_t ok = qu_utf8_valid_prefix(p, n);
	if (ok == n)
		return conv_utf8(cv, p, n, err);
	mime_defect_once(cv->d, &cv->seen, SEEN_GUESSED, MIME_DEFECT_CHARSET_GUESSED, ok);
	if (!cv->detect) {
		if (mime_cp1252_to_utf8(p, n, cv->out) < 0)
			return conv_full(cv, err);
		return 0;
	}
	if (!cv->cache->det)
		cv->cache->det = ud_new();
	uchardet_t ud = (uchardet_t)cv->cache->det;
	const char *got = NULL;
	if (ud) {
		udl.reset(ud);
		if (udl.handle_data(ud, p, n < DETECT_MAX ? n : DETECT_MAX) == 0) {
			udl.data_end(ud);
			got = udl.get_charset(ud);
		}
	}
	char buf[NAME_MAX_LEN];
	const char *name = got ? mime_charset_canonical(got, strlen(got), buf, sizeof buf) : NULL;
	size_t sample = n < DETECT_MAX ? n : DETECT_MAX;
	if (name && strcmp(name, "UTF-8") != 0) {
		iconv_t cd = strcmp(name, "WINDOWS-1252") == 0 ? (iconv_t)-1 : cache_get(cv->cache, name);
		if (cd != (iconv_t)-1 && confident(cd, p, sample))
			return conv_named(cv, name, p, n, err);
	}
	/* (A "UTF-8" answer for text that is not valid UTF-8 is no answer.) */
	if (mime_cp1252_to_utf8(p, n, cv->out) < 0)
		return conv_full(cv, err);
	return 0;
}

/* Text in a known iconv name (canonical, as mime_charset_canonical gives). */
static int
conv_named(struct conv *cv, const char *name, const char *p, size_t n, struct qu_err *err)
{
	if (strcmp(name, "UTF-8") == 0)
		return conv_utf8(cv, p, n, err);
	if (strcmp(name, "WINDOWS-1252") == 0) {
		if (mime_cp1252_to_utf8(p, n, cv->out) < 0)
			return conv_full(cv, err);
		return 0;
	}
	if (strcmp(name, "UTF-16") == 0) {
		/* RFC 2781 §3.3: the BOM decides, and is no character. */
		if (n >= 2 && (unsigned char)p[0] == 0xFE && (unsigned char)p[1] == 0xFF)
			return conv_named(cv, "UTF-16BE", p, n, err);
		if (n >= 2 && (unsigned char)p[0] == 0xFF && (unsigned char)p[1] == 0xFE)
			return conv_named(cv, "UTF-16LE", p, n, err);
		name = utf16_guess(p, n);
	}
	if (n >= 2 && ((strcmp(name, "UTF-16BE") == 0 && memcmp(p, "\xFE\xFF", 2) == 0) ||
			(strcmp(name, "UTF-16LE") == 0 && memcmp(p, "\xFF\xFE", 2) == 0))) {
		p += 2;
		n -= 2;
	}
	if (ascii_compatible(name) && all_ascii(p, n)) {
		if (qu_buf_append(cv->out, p, n) < 0)
			return conv_full(cv, err);
		return 0;
	}
	/* glibc's UTF-16/UTF-32 decoders keep the byte order a BOM taught them
	 * even across a state reset, so a cached descriptor would read the next
	 * text without a BOM in the last one's order: open those afresh. */
	bool fresh = learns_from_bom(name);
	iconv_t cd = fresh ? iconv_open("UTF-8", name) : cache_get(cv->cache, name);
	if (cd == (iconv_t)-1) {
		mime_defect_once(cv->d, &cv->seen, SEEN_UNKNOWN, MIME_DEFECT_CHARSET_UNKNOWN, 0);
		return conv_undeclared(cv, p, n, err);
	}
	int r = conv_iconv(cv, cd, name, p, n, err);
	if (fresh)
		iconv_close(cd);
	return r;
}

int
mime_charset_to_utf8(struct mime_charset_cache *cache, const char *charset, const char *p,
	size_t n, struct qu_buf *out, struct mime_defects *d, struct qu_err *err)
{
	return mime_charset_convert(cache, charset, p, n, out, d, true, err);
}

int
mime_charset_convert(struct mime_charset_cache *cache, const char *charset, const char *p,
	size_t n, struct qu_buf *out, struct mime_defects *d, bool detect, struct qu_err *err)
{
	struct mime_charset_cache local;
	struct conv cv = {.cache = cache, .out = out, .d = d, .seen = 0, .detect = detect};
	if (!cache) {
		mime_charset_cache_init(&local);
		cv.cache = &local;
	}
	char buf[NAME_MAX_LEN];
	const char *name = NULL;
	if (charset) {
		bool ascii;
		size_t l = strlen(charset);
		name = canonical(charset, l, buf, sizeof buf, &ascii);
		/* Empty and us-ascii labels are undeclared text; others unknown. */
		qu_mem_trim(&charset, &l);
		if (!name && !ascii && l)
			mime_defect_once(d, &cv.seen, SEEN_UNKNOWN, MIME_DEFECT_CHARSET_UNKNOWN, 0);
	}
	int r = name ? conv_named(&cv, name, p, n, err) : conv_undeclared(&cv, p, n, err);
	if (!cache)
		mime_charset_cache_clear(&local);
	return r;
}
