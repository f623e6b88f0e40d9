/*
 * Drives a reply through the writing-mail engine for compose-reply.sh:
 *   compose_driver CONFIG PARENT [TEXT]
 * makes a reply to the message file PARENT (a Maildir file) with the
 * accounts of CONFIG, puts TEXT above the quote, and sends it
 * (app_draft_send). Prints "sent via ACCOUNT" or the error on stderr;
 * exits 0, or the error's exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "store/store.h"
#include "app/app.h"

static void
note(void *ctx, enum app_send_note kind, const char *subject, const char *text)
{
	(void)ctx;
	struct qu_buf b;
	qu_buf_init(&b, 4096);
	qu_buf_append_safe(&b, text ? text : "", strlen(text ? text : ""), false);
	fprintf(stderr, "note %d %s: %s\n", (int)kind, subject ? subject : "-", b.data ? b.data : "");
	qu_buf_clear(&b);
}

static int
fail(const struct qu_err *err)
{
	fprintf(stderr, "compose_driver: %s\n", err->msg);
	return qu_err_exit_code(err->cls);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: compose_driver CONFIG PARENT [TEXT]\n");
		return 64;
	}
	struct qu_err err;
	struct cfg *c = cfg_load(argv[1], true, &err);
	if (!c)
		return fail(&err);
	struct app_compose_settings s;
	if (app_compose_settings_load(c, &s, &err) < 0)
		return fail(&err);
	struct store_map m;
	if (store_map_file(argv[2], &m, &err) < 0)
		return fail(&err);
	struct app_compose_opts o = {.cfg = c, .settings = &s, .path = argv[2]};
	struct app_draft d;
	app_draft_init(&d);
	if (app_compose_reply(m.p, m.len, APP_REPLY, &o, &d, &err) < 0)
		return fail(&err);
	store_unmap(&m);
	const char *text = argc > 3 ? argv[3] : "My answer.";
	char *body = xasprintf("%s\n\n%s", text, d.body);
	free(d.body);
	d.body = body;
	d.body_len = strlen(body);
	/* The editor round trip the UI makes. */
	struct qu_buf t;
	qu_buf_init(&t, SIZE_MAX);
	app_draft_text(&d, &t);
	if (app_draft_parse(t.data, t.len, &d, &err) < 0)
		return fail(&err);
	qu_buf_clear(&t);
	struct app_net net = {.timeout_s = 20};
	struct app_draft_sent r;
	int rc = app_draft_send(c, NULL, &s, &d, &net, note, NULL, &r, &err);
	if (rc < 0)
		return fail(&err);
	printf("sent via %s%s\n", r.account && r.account->name ? r.account->name : "-",
	       r.queued ? " (queued)" : "");
	if (r.record)
		printf("record %s\n", r.record);
	app_draft_sent_clear(&r);
	app_draft_clear(&d);
	app_compose_settings_clear(&s);
	cfg_free(c);
	return 0;
}
