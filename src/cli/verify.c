/* `quail verify ADDR` (SPEC §4): asks the SMTP server with VRFY. */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "cli/private.h"

static void
help(FILE *out)
{
	fputs("Usage: quail verify ADDR [options]\n"
	      "\n"
	      "Asks the account's SMTP server whether it knows ADDR (VRFY, after logging\n"
	      "in when the account has a password) and prints its answer. Exit 0 for\n"
	      "250, 251 and 252 (252: cannot verify, but will try to deliver), 69 when\n"
	      "the server says no (or does not do VRFY), 75 for a temporary failure.\n"
	      "\n",
	      out);
	cli_common_help(out);
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
			return cli_usage_error("verify", "%s", err.msg);
		if (r > 0)
			continue;
		if (opt == CLI_OPT_HELP) {
			help(stdout);
			return 0;
		}
		return cli_bad_option("verify", optopt, argv);
	}
	if (optind + 1 != argc)
		return cli_usage_error("verify", "give one address");
	const char *addr = argv[optind];
	for (const char *p = addr; *p; p++)
		if ((unsigned char)*p < 32 || *p == 127)
			return cli_usage_error("verify", "the address holds a control character");
	struct cfg_account *a = cli_resolve_account(&c, &err);
	if (!a)
		return cli_fail(&err);
	struct app_net net = cli_net(&c);
	int code = 0;
	char *text = NULL;
	int rc = app_verify(a, addr, &net, &code, &text, &err);
	cfg_account_free(a);
	if (rc < 0)
		return cli_fail(&err);
	/* One line per line of the answer, each with its code. */
	for (const char *p = text; p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		printf("%d ", code);
		cli_print_safe(stdout, p, n);
		fputc('\n', stdout);
		p = nl ? nl + 1 : NULL;
	}
	free(text);
	fflush(stdout);
	if (code == 250 || code == 251 || code == 252)
		return 0;
	return code >= 400 && code < 500 ? 75 : 69;
}

const struct cli_command cli_verify = {
	.name = "verify",
	.summary = "ask the SMTP server whether it knows an address (VRFY)",
	.run = run,
	.help = help,
};
