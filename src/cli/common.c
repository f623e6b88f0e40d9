#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "cli/private.h"

void
cli_print_safe(FILE *out, const char *p, size_t n)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_safe(&b, p, n, true);
	if (b.len)
		fwrite(b.data, 1, b.len, out);
	qu_buf_clear(&b);
}

/* The -v trace: every line from or to the server, made safe, on stderr. */
static void
trace_to_stderr(void *ctx, char dir, const char *line, size_t len)
{
	(void)ctx;
	if (dir == '*')
		fputs("*  ", stderr);
	else
		fprintf(stderr, "%c: ", dir);
	cli_print_safe(stderr, line, len);
	fputc('\n', stderr);
}

void
cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof *c);
	c->trace.fn = trace_to_stderr;
}

void
cli_common_help(FILE *out)
{
	fputs("Common options:\n"
	      "  --account NAME           use this account of the config file\n"
	      "  --config FILE            read FILE instead of ~/.config/quail/config\n"
	      "  --user USER              log in as USER\n"
	      "  --password-command CMD   the first line CMD prints is the password\n"
	      "  --ca-file FILE           trust the CA certificates in FILE (PEM)\n"
	      "  --timeout SECONDS        give up on a silent server after this long (60)\n"
	      "  --smtp URL, --imap URL, --pop3 URL\n"
	      "                           use this server instead of the account's\n"
	      "  -v, --verbose            trace the dialogue on stderr (passwords hidden)\n"
	      "  --help                   show this help\n",
	      out);
}

int
cli_common_opt(struct cli_common *c, int opt, const char *arg, struct qu_err *err)
{
	switch (opt) {
	case CLI_OPT_ACCOUNT:
		c->o.account = arg;
		return 1;
	case CLI_OPT_CONFIG:
		c->o.config = arg;
		return 1;
	case CLI_OPT_USER:
		c->o.user = arg;
		return 1;
	case CLI_OPT_PASSWORD_COMMAND:
		c->o.password_command = arg;
		return 1;
	case CLI_OPT_CA_FILE:
		c->o.ca_file = arg;
		return 1;
	case CLI_OPT_SMTP:
		c->o.smtp = arg;
		return 1;
	case CLI_OPT_IMAP:
		c->o.imap = arg;
		return 1;
	case CLI_OPT_POP3:
		c->o.pop3 = arg;
		return 1;
	case CLI_OPT_TIMEOUT: {
		uint64_t v;
		if (qu_parse_u64(arg, strlen(arg), 86400, &v) < 0 || v == 0)
			return qu_err_set(err, QU_E_USAGE,
					  "--timeout takes a whole number of seconds from 1 to 86400");
		c->o.timeout_s = (int)v;
		return 1;
	}
	case 'v':
		c->verbose = true;
		return 1;
	}
	return 0;
}

struct cfg_account *
cli_resolve_account(const struct cli_common *c, struct qu_err *err)
{
	char *path = cfg_default_path(c->o.config);
	/* A file named on the command line or in QUAIL_CONFIG must exist. */
	bool must = c->o.config || getenv("QUAIL_CONFIG");
	struct cfg *cfg = cfg_load(path, must, err);
	free(path);
	if (!cfg)
		return NULL;
	struct cfg_account *a = cfg_resolve(cfg, &c->o, err);
	cfg_free(cfg);
	return a;
}

int
cli_fail(const struct qu_err *err)
{
	fputs("quail: ", stderr);
	cli_print_safe(stderr, err->msg, strlen(err->msg));
	fputc('\n', stderr);
	int code = qu_err_exit_code(err->cls);
	return code ? code : 70;
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "quail: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	cli_print_safe(stderr, msg, strlen(msg));
	fprintf(stderr, "\nTry 'quail %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

int
cli_bad_option(const char *cmd, int optopt_, char **argv)
{
	/* getopt_long leaves the offending word at argv[optind - 1]. */
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	if (optopt_ && optopt_ < 256 && word[0] == '-' && word[1] != '-')
		return cli_usage_error(cmd, "option -%c is unknown or lacks its argument", optopt_);
	return cli_usage_error(cmd, "option %s is unknown or lacks its argument", word);
}

struct app_net
cli_net(const struct cli_common *c)
{
	return (struct app_net){.timeout_s = c->o.timeout_s,
				.trace = c->verbose ? &c->trace : NULL,
				.cancel = cli_cancel()};
}

int
cli_fail_cmd(struct qu_err *err, const char *cmd)
{
	if (err->cls == QU_E_CANCELED) {
		qu_err_canceled(err);
		qu_err_prefix(err, "%s", cmd);
	}
	return cli_fail(err);
}
