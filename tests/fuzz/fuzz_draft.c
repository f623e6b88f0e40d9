/*
 * The editor text of a draft (src/app/compose_draft.c), as an editor or a
 * person may leave it. Whatever is accepted: no header value holds a
 * control character other than a tab (no header injection reaches the
 * builder), and writing the draft and reading it back gives the same
 * text (so an edit that changes nothing changes nothing). A refused text
 * leaves the draft as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
no_controls(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++)
		if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
			abort();
}

static void
check(const struct app_draft *d)
{
	const char *v[] = {d->from, d->to, d->cc, d->bcc, d->subject, d->reply_to,
			   d->in_reply_to, d->references};
	for (size_t i = 0; i < QU_ARRAY_LEN(v); i++) {
		no_controls(v[i]);
		if (v[i] && !*v[i])
			abort(); /* empty fields are absent */
	}
	for (size_t i = 0; i < d->n_headers; i++) {
		no_controls(d->headers[i]);
		if (!strchr(d->headers[i], ':'))
			abort();
	}
	if (!d->body || strlen(d->body) > d->body_len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_draft d;
	app_draft_init(&d);
	d.subject = xstrdup("before");
	struct qu_err err;
	if (app_draft_parse((const char *)data, size, &d, &err) < 0) {
		if (!d.subject || strcmp(d.subject, "before") != 0 || err.cls == QU_E_OK)
			abort();
		app_draft_clear(&d);
		return 0;
	}
	check(&d);
	struct qu_buf t1, t2;
	qu_buf_init(&t1, SIZE_MAX);
	qu_buf_init(&t2, SIZE_MAX);
	app_draft_text(&d, &t1);
	struct app_draft e;
	app_draft_init(&e);
	if (app_draft_parse(t1.data, t1.len, &e, &err) < 0)
		abort();
	app_draft_text(&e, &t2);
	if (t1.len != t2.len || memcmp(t1.data, t2.data, t1.len) != 0)
		abort();
	qu_buf_clear(&t1);
	qu_buf_clear(&t2);
	app_draft_clear(&d);
	app_draft_clear(&e);
	return 0;
}
