/*
 * The UI's text layer over hostile mail text: the sanitiser, fitting by
 * cells, the pager wrapper (plain and flowed), URL finding, index_format
 * with the input as format and as row values, thread trees.
 * Byte 0 picks the width, byte 1 the options; the rest is the text.
 * Invariants: what the sanitiser gives is valid UTF-8 with no control
 * character but the pager's LF and TAB, and sanitising it again changes
 * nothing; fitted text takes exactly the cells asked for when padded;
 * pager lines fit the width (from 2 cells up) and their URL spans lie
 * inside them; a formatted row takes exactly its width.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "ui/uitext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_display(const char *s, size_t n, bool pager)
{
	if (!qu_utf8_valid(s, n))
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && !(pager && (c == '\n' || c == '\t'))) || c == 0x7F)
			abort();
	}
}

static void
check_sanitize(const char *p, size_t n)
{
	for (int m = 0; m < 2; m++) {
		enum ui_text_mode mode = m ? UI_TEXT_PAGER : UI_TEXT_FIELD;
		char *s = ui_text_sanitize(p, n, mode);
		size_t sl = strlen(s);
		check_display(s, sl, m == 1);
		char *t = ui_text_sanitize(s, sl, mode);
		if (strcmp(s, t) != 0)
			abort();
		free(t);
		free(s);
	}
}

static void
check_fit(const char *p, size_t n, size_t width)
{
	char *s = ui_text_sanitize(p, n, UI_TEXT_FIELD);
	const char *markers[] = {NULL, ">", "\xE2\x80\xA6", "\xE4\xB8\xAD"};
	for (size_t k = 0; k < QU_ARRAY_LEN(markers); k++) {
		struct qu_buf b;
		qu_buf_init(&b, SIZE_MAX);
		size_t w = ui_text_fit_buf(&b, s, strlen(s), width, k & 1, markers[k]);
		size_t c = qu_utf8_cells(b.data ? b.data : "", b.len);
		if (c != w || c > width || ((k & 1) && c != width))
			abort();
		qu_buf_clear(&b);
	}
	free(s);
}

static void
check_wrap(const char *p, size_t n, size_t width, uint8_t flags)
{
	struct ui_lines l;
	ui_lines_init(&l);
	struct ui_wrap_opts o = {width, flags & 1, (flags & 2) != 0, (flags >> 4) & 7};
	ui_lines_add_text(&l, p, n, &o);
	for (size_t i = 0; i < l.n; i++) {
		const struct ui_line *ln = &l.v[i];
		check_display(ln->text, ln->len, false);
		if (ln->len != strlen(ln->text) || ln->cells != qu_utf8_cells(ln->text, ln->len))
			abort();
		if (width >= 2 && ln->cells > width)
			abort();
		for (size_t k = 0; k < ln->nurls; k++)
			if (ln->urls[k].start >= ln->urls[k].end || ln->urls[k].end > ln->len ||
			    ln->urls[k].url >= l.nurls)
				abort();
	}
	struct ui_header h[2] = {{"Subject", NULL}, {"X-Raw", NULL}};
	char *v = xstrndup(p, n);
	h[0].value = v;
	h[1].value = v;
	ui_lines_add_headers(&l, h, 2, flags & 4, width);
	free(v);
	ui_lines_clear(&l);
}

static void
check_urls(const char *p, size_t n)
{
	size_t k;
	struct ui_url *u = ui_url_find(p, n, &k);
	size_t last = 0;
	for (size_t i = 0; i < k; i++) {
		if (u[i].start < last || u[i].end <= u[i].start || u[i].end > n)
			abort();
		last = u[i].end;
	}
	free(u);
}

static void
check_format(const char *p, size_t n, size_t width)
{
	/* n bytes and a NUL: the row's strings start inside it and stop at
	 * the first NUL after their start. */
	char *s = xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = 0;
	struct ui_row r;
	memset(&r, 0, sizeof r);
	r.num = n;
	r.from_name = s;
	r.from_addr = s + n / 2;
	r.subject = s;
	r.tree = s + n / 3;
	r.size = (uint64_t)n * 1000003u;
	r.date = (time_t)n * 86400 * 31;
	r.date_tz = (int)(n % 1440) - 720;
	struct ui_format_opts o = {s, ">"};
	const char *fmts[] = {s, UI_INDEX_FORMAT_DEFAULT, "%s%*.%C%>-%n%|x"};
	for (size_t i = 0; i < QU_ARRAY_LEN(fmts); i++) {
		struct qu_buf b;
		qu_buf_init(&b, SIZE_MAX);
		size_t w = ui_format_index(&b, fmts[i], &r, &o, width);
		check_display(b.data ? b.data : "", b.len, false);
		if (w != width || qu_utf8_cells(b.data ? b.data : "", b.len) != width)
			abort();
		qu_buf_clear(&b);
	}
	struct qu_err err;
	qu_err_clear(&err);
	ui_format_check(s, &err);
	char *sender = ui_sender_text(s, s + n / 2);
	check_display(sender, strlen(sender), false);
	free(sender);
	free(s);
}

static void
check_tree(const uint8_t *d, size_t n)
{
	size_t k = n < 64 ? n : 64;
	struct ui_tree_node nodes[64] = {{0, false, false, 0}};
	for (size_t i = 0; i < k; i++)
		nodes[i] = (struct ui_tree_node){d[i] % 12, d[i] & 0x10, d[i] & 0x20, d[i] >> 6};
	char **t = ui_tree_build(nodes, k, (d[0] & 1) ? UI_TREE_ASCII : UI_TREE_UNICODE);
	for (size_t i = 0; i < k; i++)
		check_display(t[i], strlen(t[i]), false);
	ui_tree_free(t, k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t width = data[0] % 121;
	uint8_t flags = data[1];
	const char *p = (const char *)data + 2;
	size_t n = size - 2;
	check_sanitize(p, n);
	check_fit(p, n, width);
	check_wrap(p, n, width, flags);
	check_urls(p, n);
	check_format(p, n, width);
	if (n > 0)
		check_tree(data + 2, n);
	return 0;
}
