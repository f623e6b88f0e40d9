/* `quail queue list|flush|drop`: the outbox of mail that could not go out
 * for a temporary reason (quail send --queue, queue = yes). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "cli/private.h"

static void
help(FILE *out)
{
	fputs("Usage: quail queue list [options]\n"
	      "       quail queue flush [options]\n"
	      "       quail queue drop ID... [options]\n"
	      "\n"
	      "The outbox (<maildir>/.outbox) holds mail that could not go out for a\n"
	      "temporary reason. 'list' shows each message, its recipients and the\n"
	      "server's last word; 'flush' sends every pending message over one\n"
	      "connection and removes each once the server has taken it; a message\n"
	      "refused for good stays, with the reason, until 'drop ID' removes it.\n"
	      "flush exits 0 when everything went, 75 when something must wait, 69\n"
	      "when something was refused for good.\n"
	      "\n",
	      out);
	cli_common_help(out);
}

static void
print_safe_str(FILE *f, const char *s)
{
	cli_print_safe(f, s, strlen(s));
}

struct list_ctx {
	size_t n;
};

static void
show(void *ctx, const struct app_queue_entry *e)
{
	struct list_ctx *l = ctx;
	l->n++;
	char when[32] = "?";
	time_t t = (time_t)e->queued;
	struct tm tm;
	if (t && localtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
	print_safe_str(stdout, e->id);
	printf("  %s  %llu bytes  <", when, (unsigned long long)e->size);
	print_safe_str(stdout, e->from);
	printf(">%s\n", e->failed ? "  FAILED" : "");
	if (e->reason_queued[0]) {
		fputs("    queued: ", stdout);
		print_safe_str(stdout, e->reason_queued);
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < e->n_rcpt; i++) {
		fputs("    <", stdout);
		print_safe_str(stdout, e->rcpt[i]);
		printf(">: %s", e->state[i]);
		if (e->reason[i][0]) {
			fputs(": ", stdout);
			print_safe_str(stdout, e->reason[i]);
		}
		fputc('\n', stdout);
	}
}

static void
note(void *ctx, enum app_send_note kind, const char *subject, const char *text)
{
	(void)ctx;
	static const char *const what[] = {
		[APP_SEND_REFUSED] = "refused", [APP_SEND_DEFERRED] = "refused for now",
		[APP_SEND_QUEUED] = "queued", [APP_SEND_WARNING] = "warning",
		[APP_SEND_HINT] = "hint",
	};
	fputs("quail: ", stderr);
	if (subject) {
		print_safe_str(stderr, subject);
		fputs(": ", stderr);
	}
	fprintf(stderr, "%s: ", what[kind]);
	print_safe_str(stderr, text);
	fputc('\n', stderr);
}

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		help(stdout);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		return cli_usage_error("queue", "give list, flush or drop");
	const char *sub = argv[1];
	if (strcmp(sub, "list") != 0 && strcmp(sub, "flush") != 0 && strcmp(sub, "drop") != 0)
		return cli_usage_error("queue", "unknown subcommand '%s'", sub);
	argc--;
	argv++;
	optind = 1;
	struct cli_common c;
	cli_common_init(&c);
	struct qu_err err;
	qu_err_clear(&err);
	int opt;
	while ((opt = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		int r = cli_common_opt(&c, opt, optarg, &err);
		if (r < 0)
			return cli_usage_error("queue", "%s", err.msg);
		if (r > 0)
			continue;
		if (opt == CLI_OPT_HELP) {
			help(stdout);
			return 0;
		}
		return cli_bad_option("queue", optopt, argv);
	}
	bool drop = strcmp(sub, "drop") == 0;
	if (drop && optind >= argc)
		return cli_usage_error("queue", "drop: give the ID of a message ('quail queue list')");
	if (!drop && optind < argc)
		return cli_usage_error("queue", "unexpected argument '%s'", argv[optind]);
	struct cfg_account *a = cli_resolve_account(&c, &err);
	if (!a)
		return cli_fail(&err);
	int rc = 0;
	if (strcmp(sub, "list") == 0) {
		struct list_ctx l = {0};
		rc = app_queue_list(a, show, &l, &err);
		if (rc == 0 && !l.n)
			puts("the outbox is empty");
	} else if (strcmp(sub, "flush") == 0) {
		struct app_net net = cli_net(&c);
		struct app_flush_result r;
		rc = app_queue_flush(a, &net, note, NULL, &r, &err);
		printf("flushed: %zu sent, %zu failed, %zu deferred\n", r.sent, r.failed, r.deferred);
	} else {
		for (int i = optind; i < argc && rc == 0; i++)
			rc = app_queue_drop(a, argv[i], &err);
	}
	cfg_account_free(a);
	fflush(stdout);
	return rc < 0 ? cli_fail(&err) : 0;
}

const struct cli_command cli_queue = {
	.name = "queue",
	.summary = "list, send (flush) or drop the mail waiting in the outbox",
	.run = run,
	.help = help,
};
