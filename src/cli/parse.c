/* `quail parse` (SPEC §6, §7): the MIME tree of messages, as JSON Lines
 * with --json, or counts over whole mailboxes with --check. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"
#include "cli/private.h"

static void
help(FILE *out)
{
	fputs("Usage: quail parse [--json] [FILE|-]...\n"
	      "       quail parse --check PATH...\n"
	      "\n"
	      "Shows each message's MIME tree: the decoded header fields, one line per\n"
	      "part with its type, charset, disposition, file name and decoded size,\n"
	      "then the text of each text part converted to UTF-8. A FILE that starts\n"
	      "with a 'From ' line is read as an mbox, a directory as a Maildir; '-'\n"
	      "(or no FILE) reads stdin.\n"
	      "\n"
	      "  --json    one JSON object per message per line (SPEC section 7)\n"
	      "  --check   parse every message in the files, Maildirs and mbox files\n"
	      "            named, decode every part, convert every text part, and print\n"
	      "            'messages: N parts: N bytes: N defects: N' (parts: leaf\n"
	      "            parts; bytes: their size after transfer decoding)\n"
	      "  --help    show this help\n"
	      "\n"
	      "Malformed mail is read leniently and counted as defects; the exit code\n"
	      "is 0 unless a file cannot be read (66).\n",
	      out);
}

struct out_ctx {
	struct app_reader *r;
	struct qu_buf buf;
	bool json;
	size_t shown;
};

static int
show(void *ctx, const struct app_message *m, struct qu_err *err)
{
	struct out_ctx *o = ctx;
	/* Ctrl-C ends a long mailbox between messages. */
	if (qu_cancel_check(cli_cancel(), err) < 0)
		return -1;
	qu_buf_reset(&o->buf);
	if (o->json) {
		app_parse_json(o->r, m->p, m->n, &o->buf, NULL);
		qu_buf_append_byte(&o->buf, '\n');
	} else {
		if (o->shown++)
			qu_buf_append_str(&o->buf, "\n");
		app_parse_view(o->r, m->p, m->n, &o->buf);
	}
	if (o->buf.len)
		fwrite(o->buf.data, 1, o->buf.len, stdout);
	return 0;
}

static int
run_check(int n, char **paths)
{
	struct app_check_totals t = {0};
	int rc = 0;
	for (int i = 0; i < n; i++) {
		struct qu_err err;
		qu_err_clear(&err);
		if (app_parse_check(paths[i], 0, cli_cancel(), &t, &err) < 0) {
			int code = cli_fail(&err);
			if (!rc)
				rc = code;
			if (err.cls == QU_E_CANCELED)
				break; /* the totals below say how far it got */
		}
	}
	printf("messages: %llu parts: %llu bytes: %llu defects: %llu\n",
	       (unsigned long long)t.messages, (unsigned long long)t.parts,
	       (unsigned long long)t.bytes, (unsigned long long)t.defects);
	return rc;
}

static int
run_show(int n, char **paths, bool json)
{
	static char *dash[] = {"-"};
	if (n == 0) {
		n = 1;
		paths = dash;
	}
	struct out_ctx o = {.r = app_reader_new(), .json = json};
	qu_buf_init(&o.buf, SIZE_MAX);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		struct qu_err err;
		qu_err_clear(&err);
		if (app_mailbox_each(paths[i], show, &o, &err) < 0) {
			fflush(stdout);
			int code = cli_fail(&err);
			if (!rc)
				rc = code;
			if (err.cls == QU_E_CANCELED)
				break;
		}
	}
	qu_buf_clear(&o.buf);
	app_reader_free(o.r);
	return rc;
}

enum { OPT_JSON = CLI_OPT_FIRST_OWN, OPT_CHECK };

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"check", no_argument, NULL, OPT_CHECK},
		{"help", no_argument, NULL, CLI_OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	bool json = false, check = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case CLI_OPT_HELP:
			help(stdout);
			return 0;
		default:
			return cli_bad_option("parse", optopt, argv);
		}
	}
	if (check && json)
		return cli_usage_error("parse", "--check and --json do not go together");
	if (check && optind == argc)
		return cli_usage_error("parse", "--check needs at least one PATH");
	int rc = check ? run_check(argc - optind, argv + optind) :
		run_show(argc - optind, argv + optind, json);
	if (fflush(stdout) != 0 && rc == 0) {
		struct qu_err err;
		qu_err_sys(&err, QU_E_IOERR, errno, "stdout");
		rc = cli_fail(&err);
	}
	return rc;
}

const struct cli_command cli_parse = {
	.name = "parse",
	.summary = "show the MIME tree of messages (--json, --check for mailboxes)",
	.run = run,
	.help = help,
};
