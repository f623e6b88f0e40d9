/* cli internals; nothing outside src/cli includes this. */
#ifndef QUAIL_CLI_PRIVATE_H
#define QUAIL_CLI_PRIVATE_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"

#define EXIT_USAGE 64

/* A subcommand. run returns the exit code. */
struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*help)(FILE *out);
};

extern const struct cli_command cli_serverinfo;
extern const struct cli_command cli_fetch;
extern const struct cli_command cli_sync;
extern const struct cli_command cli_list;
extern const struct cli_command cli_send;
extern const struct cli_command cli_queue;
extern const struct cli_command cli_verify;
extern const struct cli_command cli_parse;
extern const struct cli_command cli_scan;
extern const struct cli_command cli_extract;
extern const struct cli_command cli_index;
extern const struct cli_command cli_search;
extern const struct cli_command cli_setup; /* quail setup (SPEC §11) */
extern const struct cli_command cli_addr;  /* quail addr: the address book */

/* Loads the configuration file (path, else the default; a file named or
 * in QUAIL_CONFIG must exist). Returns an owned struct or NULL with err
 * (index.c). */
struct cfg *cli_load_cfg(const char *path, struct qu_err *err);

/* quail run as sendmail (mailq: as mailq): sendmail -t -i's options, the
 * message from stdin (send.c). Returns the exit code. */
int cli_sendmail_main(int argc, char **argv, bool mailq);

/* The options SPEC §3 gives every network command. */
struct cli_common {
	struct cfg_overrides o;
	bool verbose;
	struct qu_trace trace;
};

/* Long-option codes for the common options (above any short option). */
enum {
	CLI_OPT_ACCOUNT = 1000,
	CLI_OPT_CONFIG,
	CLI_OPT_USER,
	CLI_OPT_PASSWORD_COMMAND,
	CLI_OPT_CA_FILE,
	CLI_OPT_TIMEOUT,
	CLI_OPT_SMTP,
	CLI_OPT_IMAP,
	CLI_OPT_POP3,
	CLI_OPT_HELP,
	CLI_OPT_FIRST_OWN, /* commands number their own long options from here */
};

#define CLI_COMMON_LONGOPTS                                                          \
	{"account", required_argument, NULL, CLI_OPT_ACCOUNT},                       \
	{"config", required_argument, NULL, CLI_OPT_CONFIG},                         \
	{"user", required_argument, NULL, CLI_OPT_USER},                             \
	{"password-command", required_argument, NULL, CLI_OPT_PASSWORD_COMMAND},     \
	{"ca-file", required_argument, NULL, CLI_OPT_CA_FILE},                       \
	{"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},                       \
	{"smtp", required_argument, NULL, CLI_OPT_SMTP},                             \
	{"imap", required_argument, NULL, CLI_OPT_IMAP},                             \
	{"pop3", required_argument, NULL, CLI_OPT_POP3},                             \
	{"verbose", no_argument, NULL, 'v'},                                         \
	{"help", no_argument, NULL, CLI_OPT_HELP}

/* The help text of the common options, for each command's --help. */
void cli_common_help(FILE *out);

void cli_common_init(struct cli_common *c);
/* Handles one common option. Returns 1 when it was one, 0 when not, -1 on
 * a bad value (err is USAGE). */
int cli_common_opt(struct cli_common *c, int opt, const char *arg, struct qu_err *err);

/* Loads the config file and resolves the account with the overrides.
 * Returns an owned account or NULL with err set. */
struct cfg_account *cli_resolve_account(const struct cli_common *c, struct qu_err *err);

/* The network settings the common options give: --timeout, -v's
 * protocol trace, and the cancel handle Ctrl-C fires. c must outlive it
 * (the trace is borrowed). */
struct app_net cli_net(const struct cli_common *c);

/* Prints `quail: msg` on stderr, made safe for the terminal, and returns
 * the exit code of the error's class. */
int cli_fail(const struct qu_err *err);
/* cli_fail for a command's own failure: a cancel (Ctrl-C) is reported as
 * `quail: CMD: canceled` (where it stopped is no news to the user, SPEC
 * §3), any other error as it is. */
int cli_fail_cmd(struct qu_err *err, const char *cmd);
/* A usage error: prints `quail: cmd: msg` and a hint, returns 64. */
int cli_usage_error(const char *cmd, const char *fmt, ...) QU_PRINTF(2, 3);
/* Reports an option getopt_long did not accept (call on '?' or ':'). */
int cli_bad_option(const char *cmd, int optopt_, char **argv);

/* Makes SIGINT and SIGTERM fire the process's cancel handle (signals.c):
 * the first asks the running command to stop, the second kills at once. */
void cli_signals_init(void);
/* The handle the signals fire, for struct app_net and the local commands'
 * options; NULL before cli_signals_init. */
const struct qu_cancel *cli_cancel(void);

/* Writes text to out with control characters escaped. */
void cli_print_safe(FILE *out, const char *p, size_t n);

/* Keeping the index current after fetch and sync (index.c): prints
 * `quail: warning: index: ...` when w is set (not QU_E_OK); the command's
 * exit code does not change. */
void cli_index_warning(const struct qu_err *w);

#endif
