/* `quail list` (SPEC §5): each IMAP folder with its message and unseen
 * counts. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "cli/private.h"

static void
help(FILE *out)
{
	fputs("Usage: quail list [--account NAME | --imap URL] [options]\n"
	      "\n"
	      "Lists the folders of the account's IMAP server, one a line: the name\n"
	      "(decoded from modified UTF-7), a tab, the number of messages, a tab, the\n"
	      "number of unseen messages. A folder that cannot hold messages shows '-'\n"
	      "for both. INBOX comes first, then the others by name.\n"
	      "\n",
	      out);
	cli_common_help(out);
}

static void
show(void *ctx, const struct app_folder *f)
{
	(void)ctx;
	cli_print_safe(stdout, f->name, f->name_len);
	if (f->has_counts)
		printf("\t%u\t%u\n", (unsigned)f->messages, (unsigned)f->unseen);
	else
		fputs("\t-\t-\n", stdout);
}

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct cli_common c;
	cli_common_init(&c);
	struct qu_err err;
	qu_err_clear(&err);
	int opt;
	while ((opt = getopt_long(argc, argv, "+v", longopts, NULL)) != -1) {
		int r = cli_common_opt(&c, opt, optarg, &err);
		if (r < 0)
			return cli_usage_error("list", "%s", err.msg);
		if (r > 0)
			continue;
		if (opt == CLI_OPT_HELP) {
			help(stdout);
			return 0;
		}
		return cli_bad_option("list", optopt, argv);
	}
	if (optind < argc)
		return cli_usage_error("list", "unexpected argument '%s'", argv[optind]);
	if (c.o.smtp || c.o.pop3)
		return cli_usage_error("list", "list shows IMAP folders: give --imap URL or an account");
	struct cfg_account *a = cli_resolve_account(&c, &err);
	if (!a)
		return cli_fail(&err);
	struct app_net net = cli_net(&c);
	int rc = app_list(a, &net, show, NULL, &err);
	cfg_account_free(a);
	fflush(stdout);
	return rc < 0 ? cli_fail(&err) : 0;
}

const struct cli_command cli_list = {
	.name = "list",
	.summary = "list the IMAP folders with their message and unseen counts",
	.run = run,
	.help = help,
};
