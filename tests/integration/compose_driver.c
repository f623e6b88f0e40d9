/*
 * Drives a reply through the writing-mail engine for compose-reply.sh:
 *   compose_driver CONFIG PARENT [TEXT]
 *   compose_driver --bounce CONFIG MESSAGE TO
 *   compose_driver --postponed CONFIG PARENT  (postpone, recall, send)
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

/* Bounces MESSAGE to TO through the default account (app_bounce). */
static int
bounce(const char *config, const char *path, const char *to)
{
	struct qu_err err;
	struct cfg *c = cfg_load(config, true, &err);
	if (!c)
		return fail(&err);
	struct store_map m;
	if (store_map_file(path, &m, &err) < 0)
		return fail(&err);
	struct app_net net = {.timeout_s = 20};
	const struct cfg_account *a = cfg_find_account(c, NULL, &err);
	int rc = app_bounce(c, a, m.p, m.len, to, &net, note, NULL, NULL, &err);
	store_unmap(&m);
	cfg_free(c);
	if (rc < 0)
		return fail(&err);
	printf("bounced\n");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "--bounce") == 0)
		return bounce(argv[2], argv[3], argv[4]);
	if (argc < 3) {
		fprintf(stderr, "usage: compose_driver CONFIG PARENT [TEXT]\n");
		return 64;
	}
	struct qu_err err;
	int arg = strcmp(argv[1], "--postponed") == 0 ? 2 : 1;
	struct cfg *c = cfg_load(argv[arg], true, &err);
	if (!c)
		return fail(&err);
	struct app_compose_settings s;
	if (app_compose_settings_load(c, &s, &err) < 0)
		return fail(&err);
	struct store_map m;
	if (store_map_file(argv[arg + 1], &m, &err) < 0)
		return fail(&err);
	struct app_compose_opts o = {.cfg = c, .settings = &s, .path = argv[arg + 1]};
	struct app_draft d;
	app_draft_init(&d);
	if (app_compose_reply(m.p, m.len, APP_REPLY, &o, &d, &err) < 0)
		return fail(&err);
	store_unmap(&m);
	bool postponed = strcmp(argv[1], "--postponed") == 0;
	const char *text = argc > 3 && !postponed ? argv[3] : "My answer.";
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
	if (postponed) {
		/* Put away and taken up again: what is sent is the recalled
		 * draft, and its file goes once it is sent. */
		d.bcc = xstrdup("alice@example.test");
		char *where = NULL;
		const struct cfg_account *a = app_identity_for_from(c, NULL, d.from);
		if (app_draft_postpone(a, &s, &d, &where, &err) < 0)
			return fail(&err);
		printf("postponed %s\n", where);
		app_draft_clear(&d);
		if (app_draft_recall(where, &d, &err) < 0)
			return fail(&err);
		free(where);
	}
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
