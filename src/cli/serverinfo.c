#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "cli/private.h"

static void
help(FILE *out)
{
	fputs("Usage: quail serverinfo (--smtp URL | --imap URL | --pop3 URL | --account NAME\n"
	      "                         [--protocol smtp|imap|pop3]) [--login] [options]\n"
	      "\n"
	      "Connects to a server the way every other command does (TLS as the URL's\n"
	      "scheme says, certificate and host name checked) and shows its greeting,\n"
	      "TLS session and certificate, capabilities and authentication mechanisms.\n"
	      "With --login it also logs in, to check the account's credentials.\n"
	      "\n"
	      "  --protocol P   which of the account's servers: smtp, imap or pop3\n"
	      "                 (default: the one given as a URL option, else smtp)\n"
	      "  --login        authenticate too, and report the mechanism used\n"
	      "\n",
	      out);
	cli_common_help(out);
}

static void
emit(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	cli_print_safe(stdout, key, strlen(key));
	fputs(": ", stdout);
	cli_print_safe(stdout, value, strlen(value));
	fputc('\n', stdout);
}

enum { OPT_LOGIN = CLI_OPT_FIRST_OWN, OPT_PROTOCOL };

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"login", no_argument, NULL, OPT_LOGIN},
		{"protocol", required_argument, NULL, OPT_PROTOCOL},
		{NULL, 0, NULL, 0},
	};
	struct cli_common c;
	cli_common_init(&c);
	struct qu_err err;
	qu_err_clear(&err);
	bool login = false;
	const char *protocol = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "+v", longopts, NULL)) != -1) {
		int r = cli_common_opt(&c, opt, optarg, &err);
		if (r < 0)
			return cli_usage_error("serverinfo", "%s", err.msg);
		if (r > 0)
			continue;
		switch (opt) {
		case OPT_LOGIN:
			login = true;
			break;
		case OPT_PROTOCOL:
			protocol = optarg;
			break;
		case CLI_OPT_HELP:
			help(stdout);
			return 0;
		default:
			return cli_bad_option("serverinfo", optopt, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("serverinfo", "unexpected argument '%s'", argv[optind]);
	enum cfg_proto proto;
	int given = !!c.o.smtp + !!c.o.imap + !!c.o.pop3;
	if (protocol) {
		if (strcmp(protocol, "smtp") == 0)
			proto = CFG_PROTO_SMTP;
		else if (strcmp(protocol, "imap") == 0)
			proto = CFG_PROTO_IMAP;
		else if (strcmp(protocol, "pop3") == 0)
			proto = CFG_PROTO_POP3;
		else
			return cli_usage_error("serverinfo", "--protocol takes smtp, imap or pop3");
	} else if (given > 1) {
		return cli_usage_error("serverinfo", "give one of --smtp, --imap and --pop3, or --protocol");
	} else {
		proto = c.o.imap ? CFG_PROTO_IMAP : c.o.pop3 ? CFG_PROTO_POP3 : CFG_PROTO_SMTP;
	}
	struct cfg_account *a = cli_resolve_account(&c, &err);
	if (!a)
		return cli_fail(&err);
	struct app_net net = cli_net(&c);
	int rc = app_serverinfo(a, proto, login, &net, emit, NULL, &err);
	cfg_account_free(a);
	fflush(stdout);
	return rc < 0 ? cli_fail(&err) : 0;
}

const struct cli_command cli_serverinfo = {
	.name = "serverinfo",
	.summary = "connect to a server and show its TLS, capabilities and login",
	.run = run,
	.help = help,
};
