/*
 * A whole message from the user (`quail send -t`, sendmail): sendmail's
 * rules. Recipients come from To, Cc and Bcc; Bcc is removed; what a
 * message must have (From, Date, Message-ID, RFC 5322 §3.6) and
 * MIME-Version are added when missing; the body is not touched.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/build_private.h"

/* The end of the line starting at i (index of its '\n', or of a lone
 * '\r', or n), and where the next line starts. */
static size_t
line_end(const char *p, size_t n, size_t i, size_t *next)
{
	size_t j = i;
	while (j < n && p[j] != '\n' && p[j] != '\r')
		j++;
	if (j >= n)
		*next = n;
	else if (p[j] == '\r' && j + 1 < n && p[j + 1] == '\n')
		*next = j + 2;
	else
		*next = j + 1;
	return j;
}

/* Length of "Name" when the line is "Name:..." (RFC 5322 §2.2 ftext). */
static size_t
field_name(const char *p, size_t n)
{
	size_t k = 0;
	while (k < n && p[k] != ':' && (unsigned char)p[k] > 32 && (unsigned char)p[k] < 127)
		k++;
	return k < n && p[k] == ':' ? k : 0;
}

static void
put(struct qu_buf *out, const char *p, size_t n, bool lf)
{
	if (lf)
		build_eol(out, p, n, "\n");
	else
		qu_buf_append(out, p, n);
}

struct seen {
	bool from, date, msgid, mime;
	char *from_addr;
};

/* One header field, p[0..n) with its folded lines and their line ends. */
static void
take_field(const char *p, size_t n, size_t nl, struct qu_buf *out, bool lf,
	struct mime_addr_list *rcpts, struct seen *s)
{
	const char *v = p + nl + 1;
	size_t vn = n - nl - 1;
	bool is_to = qu_mem_eq_ci(p, nl, "To"), is_cc = qu_mem_eq_ci(p, nl, "Cc");
	bool is_bcc = qu_mem_eq_ci(p, nl, "Bcc");
	if (is_to || is_cc || is_bcc)
		mime_addr_list_parse(v, vn, rcpts, NULL, NULL);
	if (qu_mem_eq_ci(p, nl, "From")) {
		if (!s->from) {
			struct mime_addr_list l;
			mime_addr_list_init(&l);
			mime_addr_list_parse(v, vn, &l, NULL, NULL);
			if (l.n && l.v[0].address[0])
				s->from_addr = xstrdup(l.v[0].address);
			mime_addr_list_clear(&l);
		}
		s->from = true;
	}
	s->date |= qu_mem_eq_ci(p, nl, "Date");
	s->msgid |= qu_mem_eq_ci(p, nl, "Message-ID");
	s->mime |= qu_mem_eq_ci(p, nl, "MIME-Version");
	/* Bcc is for the envelope only (RFC 5322 §3.6.3, sendmail -t). */
	if (!is_bcc)
		put(out, p, n, lf);
}

/* Copies the header block; returns where the body starts (after the
 * empty line that ends the header, if there is one). */
static size_t
copy_header(const char *p, size_t n, size_t i, struct qu_buf *out, bool lf,
	struct mime_addr_list *rcpts, struct seen *s)
{
	while (i < n) {
		size_t next;
		size_t e = line_end(p, n, i, &next);
		if (e == i)
			return next;
		size_t nl = field_name(p + i, e - i);
		if (!nl)
			return i; /* not a field: the body starts here */
		/* The field runs on over lines that start with white space. */
		size_t end = next;
		while (end < n && (p[end] == ' ' || p[end] == '\t'))
			line_end(p, n, end, &end);
		take_field(p + i, end - i, nl, out, lf, rcpts, s);
		/* A last field without a line end gets one. */
		if (end == n && end > i && p[end - 1] != '\n' && p[end - 1] != '\r')
			qu_buf_append_str(out, lf ? "\n" : "\r\n");
		i = end;
	}
	return i;
}

int
mime_build_raw_message(const char *p, size_t n, const struct mime_build_raw *o,
	struct qu_buf *out, struct mime_addr_list *rcpts, char **from_addr, struct qu_err *err)
{
	const char *eol = o->lf ? "\n" : "\r\n";
	for (size_t i = 0; i < o->n_headers; i++) {
		const char *v;
		if (build_split_header(o->headers[i], &v, err) < 0)
			return -1;
	}
	if (o->from && build_check_header_text("From", o->from, err) < 0)
		return -1;
	size_t start = out->len;
	size_t i = 0;
	/* An mbox "From " line before the message is not part of it. */
	if (n >= 5 && memcmp(p, "From ", 5) == 0)
		line_end(p, n, 0, &i);
	struct seen s = {0};
	size_t body = copy_header(p, n, i, out, o->lf, rcpts, &s);
	int rc = 0;
	if (!s.from && o->from) {
		struct build_hdr h;
		build_hdr_begin(&h, out, eol, "From");
		struct mime_addr_list l;
		mime_addr_list_init(&l);
		rc = mime_build_addr_list(o->from, false, &l, err);
		for (size_t k = 0; rc == 0 && k < l.n; k++) {
			if (k)
				build_hdr_glue(&h, ",", 1);
			if (l.v[k].name)
				build_hdr_phrase(&h, " ", 1, l.v[k].name, strlen(l.v[k].name));
			char *t = l.v[k].name ? xasprintf("<%s>", l.v[k].address) : xstrdup(l.v[k].address);
			build_hdr_token(&h, " ", 1, t, strlen(t));
			free(t);
		}
		build_hdr_end(&h);
		if (rc == 0 && l.n)
			s.from_addr = xstrdup(l.v[0].address);
		mime_addr_list_clear(&l);
	}
	if (rc == 0 && !s.date) {
		char d[64];
		build_format_date(&o->fixed, d, sizeof d);
		qu_buf_printf(out, "Date: %s%s", d, eol);
	}
	if (rc == 0 && !s.msgid) {
		char *id = build_message_id(&o->fixed, s.from_addr);
		qu_buf_printf(out, "Message-ID: %s%s", id, eol);
		free(id);
	}
	if (rc == 0 && !s.mime)
		qu_buf_printf(out, "MIME-Version: 1.0%s", eol);
	for (size_t k = 0; rc == 0 && k < o->n_headers; k++) {
		const char *v;
		int nl = build_split_header(o->headers[k], &v, err);
		char *name = xstrndup(o->headers[k], (size_t)nl);
		struct build_hdr h;
		build_hdr_begin(&h, out, eol, name);
		build_hdr_text(&h, v, strlen(v));
		build_hdr_end(&h);
		free(name);
	}
	if (rc == 0) {
		qu_buf_append_str(out, eol);
		put(out, p + body, n - body, o->lf);
		if (out->max != SIZE_MAX && out->len + 2 >= out->max)
			rc = qu_err_set(err, QU_E_DATA, "message larger than %zu bytes", out->max);
	}
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		free(s.from_addr);
		return -1;
	}
	if (from_addr)
		*from_addr = s.from_addr;
	else
		free(s.from_addr);
	return 0;
}
