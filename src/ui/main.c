/*
 * `quail [ui] [-f MAILBOX] [--account NAME] [-e COMMAND]...` (SPEC §8):
 * options and the folder to open are settled before the screen opens, so
 * a bad option, a missing mailbox or a bad configuration exits 64, 66 or
 * 78 with the usual one-line message and never leaves a blank screen.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "ui/ui.h"
#include "ui/private.h"
#include "ui/uitext.h"

enum { OPT_ACCOUNT = 256, OPT_CONFIG, OPT_HELP, OPT_LIST_KEYS, OPT_LIST_COMMANDS };

static const struct option longopts[] = {
	{"account", required_argument, NULL, OPT_ACCOUNT},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"help", no_argument, NULL, OPT_HELP},
	/* The key table for quail-ui(1) at build time; not in --help. */
	{"list-keys", no_argument, NULL, OPT_LIST_KEYS},
	/* The `:` commands for quail-ui(1) at build time; not in --help. */
	{"list-commands", no_argument, NULL, OPT_LIST_COMMANDS},
	{NULL, 0, NULL, 0},
};

bool
ui_wanted(int argc, char **argv, bool tty)
{
	if (argc < 2)
		return tty;
	const char *a = argv[1];
	return strcmp(a, "ui") == 0 || strcmp(a, "-f") == 0 || qu_str_has_prefix(a, "-f") ||
		strcmp(a, "-e") == 0 || qu_str_has_prefix(a, "--account");
}

static void
usage(FILE *out)
{
	fputs("Usage: quail [ui] [-f MAILBOX] [--account NAME] [--config FILE] [-e COMMAND]...\n"
	      "\n"
	      "Opens the mail reader on MAILBOX: a Maildir, an mbox, or =FOLDER under the\n"
	      "account's Maildir root (default: the default account's INBOX). -e runs a\n"
	      "command of the ':' language after start (e.g. -e 'sort threads').\n"
	      "Keys are mutt's; '?' lists them.\n",
	      out);
}

static int
fail(const struct qu_err *err)
{
	char *s = ui_text_sanitize(err->msg, strlen(err->msg), UI_TEXT_FIELD);
	fprintf(stderr, "quail: %s\n", s);
	free(s);
	int code = qu_err_exit_code(err->cls);
	return code ? code : 70;
}

static int
usage_error(const char *fmt, const char *arg)
{
	fputs("quail: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'quail ui --help'.\n", stderr);
	return 64;
}

struct opts {
	const char *mailbox, *account, *config;
	const char **commands;
	size_t ncommands;
};

static int
parse(int argc, char **argv, struct opts *o)
{
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:e:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->mailbox = optarg;
			break;
		case 'e':
			o->commands = xrealloc(o->commands, (o->ncommands + 1) * sizeof *o->commands);
			o->commands[o->ncommands++] = optarg;
			break;
		case OPT_ACCOUNT:
			o->account = optarg;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 1;
		case OPT_LIST_KEYS:
			ui_keys_list(stdout);
			return 1;
		case OPT_LIST_COMMANDS:
			ui_commands_list(stdout);
			return 1;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* The Maildir root of the account (for =NAME and the default INBOX). */
static char *
maildir_root(struct ui *u, const struct opts *o, struct qu_err *err)
{
	char *path = cfg_default_path(o->config);
	bool must = o->config || getenv("QUAIL_CONFIG");
	struct cfg *cfg = cfg_load(path, must, err);
	free(path);
	if (!cfg)
		return NULL;
	char *root = NULL;
	if (o->account || cfg->n_accounts) {
		const struct cfg_account *a = cfg_find_account(cfg, o->account, err);
		u->account = a; /* writing mail: the account to send with */
		if (a)
			root = xstrdup(a->maildir);
		else if (!o->account && o->mailbox)
			qu_err_clear(err); /* -f alone needs no account */
	} else if (cfg->maildir) {
		root = xstrdup(cfg->maildir);
	}
	if (!root && !err->msg[0] && !o->mailbox)
		qu_err_set(err, QU_E_CONFIG, "no account to read: give -f MAILBOX");
	if (!err->msg[0] && ui_config_apply(u, cfg, err) < 0) {
		free(root);
		root = NULL;
	}
	/* writing mail: [ui] keys of compose, and the accounts kept for
	 * identities and sending (freed by ui_free) */
	struct qu_err cerr = {0};
	if (!err->msg[0] && app_compose_settings_load(cfg, &u->compose_settings, &cerr) < 0 &&
		cerr.cls == QU_E_CONFIG) {
		/* a bad value stops the start; else the defaults stand */
		*err = cerr;
		free(root);
		root = NULL;
	}
	u->cfg = cfg;
	return root;
}

static char *
mailbox_path(const struct opts *o, const char *root, struct qu_err *err)
{
	if (o->mailbox)
		return app_view_resolve(o->mailbox, root, err);
	return app_view_resolve("=INBOX", root, err);
}

int
ui_main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "ui") == 0) {
		argc--;
		argv++;
	}
	struct opts o = {0};
	int rc = parse(argc, argv, &o);
	if (rc != 0) {
		free(o.commands);
		return rc == 1 ? 0 : rc;
	}
	struct qu_err err = {0};
	struct ui u = {.cursor_id = SIZE_MAX, .wake = {-1, -1}, .sig = {-1, -1}};
	u.root = maildir_root(&u, &o, &err);
	if (!u.root && err.msg[0]) {
		ui_free(&u);
		free(o.commands);
		return fail(&err);
	}
	u.folder = mailbox_path(&o, u.root, &err);
	struct app_view *probe = u.folder ? app_view_new(u.folder, &err) : NULL;
	if (!probe) {
		ui_free(&u);
		free(o.commands);
		return fail(&err);
	}
	app_view_free(probe);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		ui_free(&u);
		free(o.commands);
		fputs("quail: the mail reader needs a terminal\n", stderr);
		return 64;
	}
	/* Blocks of 128 KiB and more (a batch of rows while a folder is
	 * read, a message's text) are mapped and unmapped each time rather
	 * than left in the arena of the worker that made them: glibc would
	 * otherwise raise this threshold after the first such block is freed,
	 * and the UI kept a 20,000-message read's spent batches (4 MB) for
	 * its whole life. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	rc = ui_run(&u, o.commands, o.ncommands, &err);
	ui_free(&u);
	free(o.commands);
	return rc < 0 ? fail(&err) : u.exit_code;
}
