#include <stdio.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "cli/private.h"
#include "cli/cli.h"

/* Only commands that work are listed (and dispatched). */
static const struct cli_command *const commands[] = {
	&cli_serverinfo,
	&cli_fetch,
	&cli_sync,
	&cli_list,
	&cli_send,
	&cli_queue,
	&cli_verify,
	&cli_parse,
	&cli_scan,
	&cli_extract,
	&cli_index,
	&cli_search,
	&cli_addr, /* quail addr: the address book */
	/* quail setup (SPEC §11) */
	&cli_setup,
};

static void
usage(FILE *out)
{
	fputs("Usage: quail COMMAND [options] [arguments]\n"
	      "       quail [ui] [-f MAILBOX] [-e COMMAND]...\n"
	      "       quail --help | --version\n"
	      "\n"
	      "quail is a mail client for the terminal.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < QU_ARRAY_LEN(commands); i++)
		fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
	fputs("  ui           read mail in the curses UI (also: quail alone on a terminal)\n"
	      "  help CMD     show the help of a command\n"
	      "\n"
	      "'quail COMMAND --help' shows a command's options. Exit codes follow\n"
	      "sysexits.h: 0 done, 64 usage, 65 bad input, 66 no input, 69 refused or TLS\n"
	      "failed, 70 internal, 74 local I/O, 75 try again later, 77 authentication,\n"
	      "78 configuration.\n",
	      out);
}

static void
version(void)
{
	printf("quail %s\n", QUAIL_VERSION);
	printf("GnuTLS %s\n", net_tls_library_version());
}

static const struct cli_command *
find(const char *name)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

int
cli_main(int argc, char **argv)
{
	/* Bad options are reported once, by cli_bad_option. */
	opterr = 0;
	cli_signals_init();
	/* Installed as sendmail (or mailq), quail stands in for it (send.c). */
	const char *base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : argc > 0 && argv[0] ? argv[0] : "";
	if (strcmp(base, "sendmail") == 0 || strcmp(base, "mailq") == 0)
		return cli_sendmail_main(argc, argv, strcmp(base, "mailq") == 0);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		version();
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		const struct cli_command *c = find(argv[2]);
		if (!c)
			return cli_usage_error(NULL, "unknown command '%s'", argv[2]);
		c->help(stdout);
		return 0;
	}
	if (cmd[0] == '-')
		return cli_usage_error(NULL, "unknown option '%s'", cmd);
	const struct cli_command *c = find(cmd);
	if (!c)
		return cli_usage_error(NULL, "unknown command '%s'", cmd);
	/* The command sees argv[0] = its name, so getopt starts after it. */
	optind = 1;
	return c->run(argc - 1, argv + 1);
}
