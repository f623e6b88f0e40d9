/*
 * A draft as the editor shows it (mutt's edit_headers): header lines
 * From, To, Cc, Bcc, Subject, Reply-To, any other field the user adds,
 * one "Attach: PATH [description]" per attachment, an empty line, the
 * body. The text comes back from an editor, so it is outside input: a
 * value with a CR or another control character (a header injection) is
 * refused, as are the fields quail writes itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "app/compose_private.h"

void
app_draft_init(struct app_draft *d)
{
	memset(d, 0, sizeof *d);
}

static void
editor_fields_free(struct app_draft *d)
{
	free(d->from);
	free(d->to);
	free(d->cc);
	free(d->bcc);
	free(d->subject);
	free(d->reply_to);
	for (size_t i = 0; i < d->n_headers; i++)
		free(d->headers[i]);
	free(d->headers);
	for (size_t i = 0; i < d->n_attach; i++) {
		free(d->attach[i].path);
		free(d->attach[i].description);
	}
	free(d->attach);
	free(d->body);
}

void
app_draft_clear(struct app_draft *d)
{
	editor_fields_free(d);
	free(d->in_reply_to);
	free(d->references);
	free(d->reply_file);
	free(d->forward_file);
	free(d->postponed);
	app_draft_init(d);
}

void
compose_draft_add_header(struct app_draft *d, const char *name, const char *value)
{
	d->headers = xrealloc(d->headers, (d->n_headers + 1) * sizeof *d->headers);
	d->headers[d->n_headers++] = xasprintf("%s: %s", name, value);
}

void
compose_draft_add_attach(struct app_draft *d, const char *path, const char *description)
{
	d->attach = xrealloc(d->attach, (d->n_attach + 1) * sizeof *d->attach);
	d->attach[d->n_attach].path = xstrdup(path);
	d->attach[d->n_attach].description = description ? xstrdup(description) : NULL;
	d->n_attach++;
}

/* A value on one line: what came from mail may hold line breaks or other
 * controls, which become spaces. */
static void
put_value(struct qu_buf *out, const char *v)
{
	for (const unsigned char *c = (const unsigned char *)(v ? v : ""); *c; c++)
		qu_buf_append_byte(out, *c < 0x20 || *c == 0x7f ? ' ' : (char)*c);
}

static void
put_field(struct qu_buf *out, const char *name, const char *v)
{
	qu_buf_printf(out, "%s: ", name);
	put_value(out, v);
	qu_buf_append_byte(out, '\n');
}

void
app_draft_text(const struct app_draft *d, struct qu_buf *out)
{
	put_field(out, "From", d->from);
	put_field(out, "To", d->to);
	put_field(out, "Cc", d->cc);
	put_field(out, "Bcc", d->bcc);
	put_field(out, "Subject", d->subject);
	put_field(out, "Reply-To", d->reply_to);
	for (size_t i = 0; i < d->n_headers; i++) {
		put_value(out, d->headers[i]);
		qu_buf_append_byte(out, '\n');
	}
	for (size_t i = 0; i < d->n_attach; i++) {
		qu_buf_append_str(out, "Attach: ");
		for (const char *c = d->attach[i].path; *c; c++) {
			if (*c == ' ' || *c == '\t' || *c == '\\')
				qu_buf_append_byte(out, '\\');
			qu_buf_append_byte(out, (unsigned char)*c < 0x20 ? '?' : *c);
		}
		const char *desc = d->attach[i].description;
		size_t dn = desc ? strlen(desc) : 0;
		if (dn && (desc[0] == '"' || desc[0] == ' ' || desc[0] == '\t' ||
			desc[dn - 1] == ' ' || desc[dn - 1] == '\t')) {
			/* quoted, or reading it back would take the quotes, or
			 * the blanks at either end, off */
			qu_buf_append_str(out, " \"");
			for (const char *c = desc; *c; c++) {
				if (*c == '"' || *c == '\\')
					qu_buf_append_byte(out, '\\');
				qu_buf_append_byte(out, (unsigned char)*c < 0x20 || *c == 0x7f ? ' ' : *c);
			}
			qu_buf_append_byte(out, '"');
		} else if (desc) {
			qu_buf_append_byte(out, ' ');
			put_value(out, desc);
		}
		qu_buf_append_byte(out, '\n');
	}
	qu_buf_append_byte(out, '\n');
	if (d->body)
		qu_buf_append(out, d->body, d->body_len);
}

/* ---- reading it back ------------------------------------------------- */

/* Fields the builder writes from the draft or by itself; X-Quail-* are
 * postponed drafts' own. */
static bool
reserved(const char *name)
{
	static const char *const no[] = {"MIME-Version", "Sender", "Content-Type",
					 "Content-Transfer-Encoding", "Content-Disposition"};
	for (size_t i = 0; i < QU_ARRAY_LEN(no); i++)
		if (strcasecmp(name, no[i]) == 0)
			return true;
	return qu_str_has_prefix_ci(name, "Content-") || qu_str_has_prefix_ci(name, "X-Quail-");
}

static bool
name_ok(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f || p[i] == ':')
			return false;
	return true;
}

/* A description in double quotes (Attach: FILE "the report") without
 * them, \" and \\ undone; any other text as it is. Owned; NULL for "". */
static char *
attach_description(const char *c)
{
	size_t n = strlen(c);
	if (n < 2 || c[0] != '"' || c[n - 1] != '"')
		return n ? xstrdup(c) : NULL;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 1; i + 1 < n; i++) {
		if (c[i] == '\\' && i + 2 < n)
			i++;
		qu_buf_append_byte(&b, c[i]);
	}
	if (!b.len) {
		qu_buf_clear(&b);
		return NULL;
	}
	return qu_buf_steal(&b, NULL);
}

/* One Attach: value: the path (backslash escapes undone, ~ expanded),
 * then an optional description, as mutt's edit_headers writes it or in
 * double quotes. */
static int
parse_attach(struct app_draft *d, const char *v, int line, struct qu_err *err)
{
	struct qu_buf path;
	qu_buf_init(&path, SIZE_MAX);
	const char *c = v;
	for (; *c && *c != ' ' && *c != '\t'; c++) {
		if (*c == '\\' && c[1])
			c++;
		qu_buf_append_byte(&path, *c);
	}
	while (*c == ' ' || *c == '\t')
		c++;
	if (!path.len) {
		qu_buf_clear(&path);
		return qu_err_set(err, QU_E_USAGE, "line %d: Attach: without a file", line);
	}
	char *full = path.data[0] == '~' ? cfg_expand_home(path.data) : xstrdup(path.data);
	qu_buf_clear(&path);
	struct stat st;
	int rc = 0;
	if (stat(full, &st) < 0)
		rc = qu_err_sys(err, QU_E_NOINPUT, errno, "Attach: %s", full);
	else if (!S_ISREG(st.st_mode))
		rc = qu_err_set(err, QU_E_NOINPUT, "Attach: %s: not a regular file", full);
	else if (access(full, R_OK) < 0)
		rc = qu_err_sys(err, QU_E_NOINPUT, errno, "Attach: %s", full);
	if (rc == 0) {
		char *desc = attach_description(c);
		compose_draft_add_attach(d, full, desc);
		free(desc);
	}
	free(full);
	return rc;
}

/* Where each known field goes; NULL: a list of its own. */
static char **
slot(struct app_draft *d, const char *name)
{
	static const char *const names[] = {"From", "To", "Cc", "Bcc", "Subject", "Reply-To",
					    "In-Reply-To", "References"};
	char **slots[] = {&d->from, &d->to, &d->cc, &d->bcc, &d->subject, &d->reply_to,
			  &d->in_reply_to, &d->references};
	for (size_t i = 0; i < QU_ARRAY_LEN(names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return slots[i];
	return NULL;
}

static int
take_field(struct app_draft *d, const char *name, const char *v, int line, struct qu_err *err)
{
	if (reserved(name))
		return qu_err_set(err, QU_E_USAGE, "line %d: quail writes %s itself", line, name);
	if (strcasecmp(name, "Attach") == 0)
		return *v ? parse_attach(d, v, line, err) : 0;
	char **s = slot(d, name);
	if (s && *s && s != &d->in_reply_to && s != &d->references)
		return qu_err_set(err, QU_E_USAGE, "line %d: a second %s", line, name);
	if (!*v)
		return 0;
	if (s) {
		free(*s);
		*s = xstrdup(v);
	} else {
		compose_draft_add_header(d, name, v);
	}
	return 0;
}

/* A header line: a value with a control character in it (a lone CR, a
 * NUL, an escape) is refused: it would let text reach the header block
 * unseen. */
static int
check_value(const char *p, size_t n, int line, struct qu_err *err)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return qu_err_set(err, QU_E_USAGE,
					  "line %d: a control character (0x%02x) in a header line",
					  line, c);
	}
	return 0;
}

/* The header lines of p up to the empty line: complete fields with
 * folding joined, handed one by one to take_field. *body gets the
 * offset of the body. */
static int
parse_header(const char *p, size_t n, struct app_draft *d, size_t *body, struct qu_err *err)
{
	struct qu_buf f;
	qu_buf_init(&f, SIZE_MAX);
	size_t pos = 0, name_len = 0;
	int line = 0, field_line = 0, rc = 0;
	while (rc == 0) {
		const char *nl = pos < n ? memchr(p + pos, '\n', n - pos) : NULL;
		size_t end = nl ? (size_t)(nl - p) : n, len = end - pos;
		if (len && p[end - 1] == '\r' && nl)
			len--; /* an editor's CRLF */
		line++;
		bool more = pos < n && len && (p[pos] == ' ' || p[pos] == '\t');
		if (!more && f.len) {
			f.data[name_len] = '\0';
			const char *v = f.data + name_len + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			char *val = xstrdup(v);
			size_t vl = strlen(val);
			while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
				val[--vl] = '\0';
			rc = take_field(d, f.data, val, field_line, err);
			free(val);
			qu_buf_reset(&f);
			if (rc < 0)
				break;
		}
		if (pos >= n || len == 0) {
			*body = pos >= n ? n : end + 1;
			break;
		}
		rc = check_value(p + pos, len, line, err);
		if (rc < 0)
			break;
		if (more) {
			if (!f.len)
				rc = qu_err_set(err, QU_E_USAGE, "line %d: a continuation line "
						"with no field before it", line);
			qu_buf_append(&f, p + pos, len);
		} else {
			const char *colon = memchr(p + pos, ':', len);
			if (!colon || !name_ok(p + pos, (size_t)(colon - (p + pos))))
				rc = qu_err_set(err, QU_E_USAGE, "line %d: not a header field "
						"(\"Name: value\"); the body starts after an empty line",
						line);
			else {
				name_len = (size_t)(colon - (p + pos));
				field_line = line;
				qu_buf_append(&f, p + pos, len);
			}
		}
		pos = end + 1;
	}
	qu_buf_clear(&f);
	return rc;
}

int
app_draft_parse(const char *p, size_t n, struct app_draft *d, struct qu_err *err)
{
	struct app_draft t;
	app_draft_init(&t);
	t.in_reply_to = d->in_reply_to ? xstrdup(d->in_reply_to) : NULL;
	t.references = d->references ? xstrdup(d->references) : NULL;
	/* A field read replaces what d had; the parser refuses a second one,
	 * so In-Reply-To and References are let through once by slot(). */
	size_t body = n;
	if (parse_header(p, n, &t, &body, err) < 0) {
		app_draft_clear(&t);
		return -1;
	}
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	/* Line ends become LF: every CR before an LF goes ("\r\r\n" too,
	 * so that reading the text again changes nothing). */
	for (size_t i = body; i < n; i++) {
		if (p[i] == '\r') {
			size_t k = i;
			while (k < n && p[k] == '\r')
				k++;
			if (k < n && p[k] == '\n') {
				i = k - 1;
				continue;
			}
		}
		qu_buf_append_byte(&b, p[i]);
	}
	t.body = qu_buf_steal(&b, &t.body_len);
	editor_fields_free(d);
	free(d->in_reply_to);
	free(d->references);
	d->from = t.from;
	d->to = t.to;
	d->cc = t.cc;
	d->bcc = t.bcc;
	d->subject = t.subject;
	d->reply_to = t.reply_to;
	d->headers = t.headers;
	d->n_headers = t.n_headers;
	d->attach = t.attach;
	d->n_attach = t.n_attach;
	d->body = t.body;
	d->body_len = t.body_len;
	d->in_reply_to = t.in_reply_to;
	d->references = t.references;
	return 0;
}
