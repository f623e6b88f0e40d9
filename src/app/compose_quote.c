/*
 * The pieces of a reply that are pure text: the subject without its
 * reply prefixes, References (RFC 5322 §3.6.4), the attribution line
 * (mutt's % codes) and quoting, with format=flowed (RFC 3676) unwrapped
 * first and the signature left out.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/compose_private.h"

/* The length of one reply prefix at s ("Re:", "RE:", "Re[2]:", "AW:",
 * "SV:", "回复:", "答复:", with an ASCII or full-width colon), with the
 * white space after it; 0 when there is none. */
static size_t
prefix_len(const char *s)
{
	static const char *const words[] = {"re", "aw", "sv", "vs", "antw", "回复", "答复", "回覆"};
	for (size_t i = 0; i < QU_ARRAY_LEN(words); i++) {
		size_t w = strlen(words[i]);
		if (strncasecmp(s, words[i], w) != 0)
			continue;
		const char *c = s + w;
		if (*c == '[' || *c == '(') {
			char close = *c == '[' ? ']' : ')';
			size_t d = strspn(c + 1, "0123456789");
			if (!d || c[1 + d] != close)
				continue;
			c += d + 2;
		}
		while (*c == ' ')
			c++;
		if (*c == ':')
			c++;
		else if (strncmp(c, "\xef\xbc\x9a", 3) == 0) /* U+FF1A FULLWIDTH COLON */
			c += 3;
		else
			continue;
		while (*c == ' ' || *c == '\t')
			c++;
		return (size_t)(c - s);
	}
	return 0;
}

char *
app_reply_subject(const char *subject)
{
	const char *s = subject ? subject : "";
	while (*s == ' ' || *s == '\t')
		s++;
	for (size_t n; (n = prefix_len(s)) != 0;)
		s += n;
	return xasprintf("Re: %s", s);
}

/* Appends every "<id>" of v to ids. */
static void
collect_ids(const char *v, char ***ids, size_t *n)
{
	for (const char *c = v ? v : ""; (c = strchr(c, '<')) != NULL;) {
		const char *e = strchr(c, '>');
		if (!e)
			break;
		char *id = xstrndup(c, (size_t)(e - c) + 1);
		if (!strpbrk(id, " \t\r\n")) {
			*ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
			(*ids)[(*n)++] = id;
		} else {
			free(id);
		}
		c = e + 1;
	}
}

char *
app_reply_references(const char *references, const char *in_reply_to, const char *message_id,
		     size_t max)
{
	char **ids = NULL;
	size_t n = 0;
	collect_ids(references, &ids, &n);
	if (!n && in_reply_to) {
		collect_ids(in_reply_to, &ids, &n);
		while (n > 1) /* In-Reply-To may name several parents: the first */
			free(ids[--n]);
	}
	collect_ids(message_id, &ids, &n);
	if (!max)
		max = 20;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < n; i++) {
		/* Keep the first (the thread's root) and the newest max - 1. */
		if (n > max && i > 0 && i < n - (max - 1))
			continue;
		qu_buf_printf(&b, "%s%s", b.len ? " " : "", ids[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return b.len ? qu_buf_steal(&b, NULL) : (qu_buf_clear(&b), NULL);
}

char *
app_attribution(const char *fmt, const char *p, size_t n)
{
	struct mime_envelope e;
	mime_envelope_init(&e);
	mime_envelope_parse(p, n, &e, NULL, NULL, NULL);
	char *date = compose_header_raw(p, n, "Date");
	const struct mime_addr *a = e.from.n ? &e.from.v[0] : NULL;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (const char *c = fmt; *c; c++) {
		if (*c != '%' || !c[1]) {
			qu_buf_append_byte(&b, *c);
			continue;
		}
		c++;
		const char *v = NULL;
		if (*c == 'd')
			v = date;
		else if (*c == 'n')
			v = a ? (a->name ? a->name : a->address) : NULL;
		else if (*c == 'a')
			v = a ? a->address : NULL;
		else if (*c == 's')
			v = e.subject;
		else if (*c == '%')
			v = "%";
		else
			qu_buf_append_byte(&b, '%'), qu_buf_append_byte(&b, *c);
		if (v)
			qu_buf_append_str(&b, v);
	}
	free(date);
	mime_envelope_clear(&e);
	return qu_buf_steal(&b, NULL);
}

/* RFC 3676 §4.2: a line ending in a space is soft (continued by the next
 * line of the same quote depth), except the signature separator. Writes
 * the text with soft breaks joined, quote marks and space-stuffing as
 * they were turned into plain text. */
static void
unflow(const char *p, size_t n, bool delsp, struct qu_buf *out)
{
	size_t pos = 0;
	int open_depth = -1; /* depth of a paragraph still going on */
	while (pos < n) {
		const char *nl = memchr(p + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - p) : n;
		const char *l = p + pos;
		size_t len = end - pos;
		int depth = 0;
		while ((size_t)depth < len && l[depth] == '>')
			depth++;
		const char *c = l + depth;
		size_t cl = len - (size_t)depth;
		if (cl && *c == ' ') /* space-stuffing (§4.4) */
			c++, cl--;
		if (open_depth >= 0 && depth != open_depth)
			qu_buf_append_byte(out, '\n'); /* a quote depth change ends it */
		if (open_depth != depth) {
			for (int i = 0; i < depth; i++)
				qu_buf_append_byte(out, '>');
			/* A space after the marks, or before text that would
			 * read as a quote mark at depth 0. */
			if (depth || (cl && (*c == '>' || *c == ' ')))
				qu_buf_append_byte(out, ' ');
		}
		bool sig = cl == 3 && memcmp(c, "-- ", 3) == 0;
		bool soft = cl && c[cl - 1] == ' ' && !sig;
		qu_buf_append(out, c, soft && delsp ? cl - 1 : cl);
		if (soft) {
			open_depth = depth;
		} else {
			qu_buf_append_byte(out, '\n');
			open_depth = -1;
		}
		pos = end + 1;
	}
	if (open_depth >= 0)
		qu_buf_append_byte(out, '\n');
}

/* Where the signature starts (a line "-- "), else n. */
static size_t
signature_at(const char *t, size_t n)
{
	for (size_t pos = 0; pos < n;) {
		const char *nl = memchr(t + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - t) : n, len = end - pos;
		if (len && t[end - 1] == '\r')
			len--;
		if (len == 3 && memcmp(t + pos, "-- ", 3) == 0)
			return pos;
		pos = end + 1;
	}
	return n;
}

void
app_quote_text(const char *text, size_t n, bool flowed, bool delsp, struct qu_buf *out)
{
	struct qu_buf plain;
	qu_buf_init(&plain, SIZE_MAX);
	if (flowed) {
		unflow(text, n, delsp, &plain);
		text = plain.data ? plain.data : "";
		n = plain.len;
	}
	n = signature_at(text, n);
	/* Empty lines at the end are not quoted. */
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r') &&
	       (n < 2 || text[n - 2] == '\n' || text[n - 2] == '\r'))
		n--;
	for (size_t pos = 0; pos < n;) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - text) : n, len = end - pos;
		const char *l = text + pos;
		if (len && l[len - 1] == '\r')
			len--;
		bool stuffed = flowed && len && l[0] == ' '; /* unflow's own */
		if (stuffed)
			l++, len--;
		if (len == 0)
			qu_buf_append_str(out, ">\n");
		else {
			qu_buf_append_str(out, l[0] == '>' && !stuffed ? ">" : "> ");
			qu_buf_append(out, l, len);
			qu_buf_append_byte(out, '\n');
		}
		pos = end + 1;
	}
	qu_buf_clear(&plain);
}
