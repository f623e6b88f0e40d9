/* `quail addr [--json] [--limit N] [--account NAME] [--config FILE] QUERY`:
 * the address book the compose screen completes from (app_addr_complete:
 * the index's senders and recipients, ranked, then the account's
 * query_command), one match per line. Exit 1 when nothing matches, as
 * grep does, so scripts can test for a known address. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "cli/private.h"

enum { OPT_JSON = CLI_OPT_FIRST_OWN, OPT_LIMIT, OPT_ACCOUNT, OPT_CONFIG };

static void
help(FILE *out)
{
	fputs("Usage: quail addr [--json] [--limit N] [--account NAME] [--config FILE] QUERY\n"
	      "\n"
	      "Prints the addresses whose address or any word of whose name starts with\n"
	      "QUERY (case-insensitive): those of the index (senders and recipients,\n"
	      "ranked by how often and how recently they were seen), then those the\n"
	      "account's query_command gives. One line per match: Name <address>.\n"
	      "Exits 0 when something matched, 1 when nothing did.\n"
	      "\n"
	      "  --json           one JSON object per line: name, address, count, last\n"
	      "  --limit N        at most N matches (default 50)\n"
	      "  --account NAME   use this account's query_command (default: the\n"
	      "                   default account's, when there is one)\n"
	      "  --config FILE    the configuration file naming the accounts\n"
	      "  --help           show this help\n",
	      out);
}

/* "last" as an ISO 8601 UTC time, null when never seen in the index
 * (a query_command match). */
static void
json_time(struct qu_buf *b, int64_t t)
{
	if (t <= 0) {
		qu_buf_append_str(b, "null");
		return;
	}
	char iso[40];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(iso, sizeof iso, "\"%Y-%m-%dT%H:%M:%S+00:00\"", &tm);
	qu_buf_append_str(b, iso);
}

/* One match as a line: JSON, or "Name <addr>" (the bare address when there
 * is no name) made safe for a terminal (SPEC §6). */
static void
format_match(struct qu_buf *b, const struct app_addr_match *m, bool json)
{
	if (json) {
		qu_buf_append_str(b, "{\"name\": ");
		qu_json_cstr(b, m->name && *m->name ? m->name : NULL);
		qu_buf_append_str(b, ", \"address\": ");
		qu_json_cstr(b, m->address);
		qu_buf_printf(b, ", \"count\": %llu, \"last\": ", (unsigned long long)m->count);
		json_time(b, m->last);
		qu_buf_append_byte(b, '}');
	} else if (m->name && *m->name) {
		qu_buf_append_safe(b, m->name, strlen(m->name), false);
		qu_buf_append_str(b, " <");
		qu_buf_append_safe(b, m->address, strlen(m->address), false);
		qu_buf_append_byte(b, '>');
	} else {
		qu_buf_append_safe(b, m->address, strlen(m->address), false);
	}
	qu_buf_append_byte(b, '\n');
}

/* Prints the matches; -1 when stdout failed. */
static int
print_matches(const struct app_addr_match *v, size_t n, bool json)
{
	struct qu_buf line;
	qu_buf_init(&line, SIZE_MAX);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		qu_buf_reset(&line);
		format_match(&line, &v[i], json);
		if (fwrite(line.data, 1, line.len, stdout) != line.len)
			rc = -1;
	}
	qu_buf_clear(&line);
	if (fflush(stdout) != 0)
		rc = -1;
	return rc;
}

struct addr_args {
	bool json;
	uint64_t limit;
	const char *account, *config, *query;
};

/* Parses the options into a; returns -1 to go on, else an exit code. */
static int
parse_args(int argc, char **argv, struct addr_args *a)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"account", required_argument, NULL, OPT_ACCOUNT},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"help", no_argument, NULL, CLI_OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (opt) {
		case CLI_OPT_HELP:
			help(stdout);
			return 0;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_LIMIT:
			if (qu_parse_u64(optarg, strlen(optarg), 100000, &a->limit) < 0 ||
				a->limit == 0)
				return cli_usage_error("addr", "--limit wants a number from 1 to 100000");
			break;
		case OPT_ACCOUNT:
			a->account = optarg;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		default:
			return cli_bad_option("addr", optopt, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("addr", "give one QUERY");
	a->query = argv[optind];
	return -1;
}

static int
run(int argc, char **argv)
{
	struct addr_args a = {.limit = 50};
	int ec = parse_args(argc, argv, &a);
	if (ec >= 0)
		return ec;
	struct qu_err err;
	qu_err_clear(&err);
	struct cfg *c = cli_load_cfg(a.config, &err);
	if (!c)
		return cli_fail(&err);
	/* A named account must exist; without one the default account's
	 * query_command is used when there is a default, else none. */
	const struct cfg_account *acct = cfg_find_account(c, a.account, &err);
	if (!acct && a.account) {
		cfg_free(c);
		return cli_fail(&err);
	}
	qu_err_clear(&err);
	struct app_addr_opts o = {.account = acct, .max = (size_t)a.limit, .cancel = cli_cancel()};
	struct app_addr_match *v = NULL;
	size_t n = 0;
	int rc = app_addr_complete(a.query, &o, &v, &n, &err);
	/* What the index gave is printed even when query_command failed. */
	int prc = print_matches(v, n, a.json);
	app_addr_matches_free(v, n);
	cfg_free(c);
	if (rc < 0)
		return cli_fail(&err);
	if (prc < 0) {
		qu_err_set(&err, QU_E_IOERR, "stdout: write failed");
		return cli_fail(&err);
	}
	return n ? 0 : 1;
}

const struct cli_command cli_addr = {
	.name = "addr",
	.summary = "look addresses up in the address book",
	.run = run,
	.help = help,
};
