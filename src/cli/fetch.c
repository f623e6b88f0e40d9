/* `quail fetch` (SPEC §5): a mailbox into Maildir. The protocol comes from
 * --pop3 or --imap, else from the account (IMAP when it has both); each
 * protocol is one function below that calls its app_fetch_* use case. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "cli/private.h"

static void
help(FILE *out)
{
	fputs("Usage: quail fetch [--account NAME | --imap URL | --pop3 URL] [-o DIR]\n"
	      "                   [--folder NAME]... [--all-folders] [--delete] [--quiet]\n"
	      "\n"
	      "Downloads a mailbox into a Maildir: each message is written under tmp/,\n"
	      "fsynced and renamed into new/, byte for byte as the server sent it. State\n"
	      "in DIR/.quail/ makes the next run fetch only what is new, and an\n"
	      "interrupted run is completed by the next one without duplicates.\n"
	      "The last line on stdout is 'fetched N messages (B bytes) from F folders'.\n"
	      "\n"
	      "  -o, --output DIR  the Maildir root (default: the account's maildir);\n"
	      "                    IMAP folder A/B goes to DIR/A/B, POP3 to DIR/INBOX\n"
	      "  --folder NAME     IMAP: fetch this folder (repeatable; default INBOX)\n"
	      "  --all-folders     IMAP: fetch every folder\n"
	      "  --delete          remove each message from the server once its local\n"
	      "                    copy is on disk (never after an error)\n"
	      "  -q, --quiet       no progress display on stderr\n"
	      "\n"
	      "POP3 needs a server with UIDL, unless --delete is given.\n"
	      "\n",
	      out);
	cli_common_help(out);
}

/* The progress line, on stderr when it is a terminal. */
struct progress {
	bool shown; /* a line is on screen without its newline */
};

static void
human_bytes(char *out, size_t n, uint64_t b)
{
	if (b >= 1000000000ull)
		snprintf(out, n, "%.2f GB", (double)b / 1e9);
	else if (b >= 1000000)
		snprintf(out, n, "%.1f MB", (double)b / 1e6);
	else
		snprintf(out, n, "%.0f kB", (double)b / 1e3);
}

static bool
show_progress(void *ctx, const struct app_fetch_progress *p)
{
	struct progress *pg = ctx;
	char done[32], total[32], rate[48] = "", left[48] = "";
	human_bytes(done, sizeof done, p->bytes_done);
	human_bytes(total, sizeof total, p->bytes_total);
	if (p->elapsed_ms > 500 && p->bytes_done) {
		double bps = (double)p->bytes_done * 1000.0 / (double)p->elapsed_ms;
		char r[32];
		human_bytes(r, sizeof r, (uint64_t)bps);
		snprintf(rate, sizeof rate, ", %s/s", r);
		if (!p->last && p->bytes_total > p->bytes_done) {
			uint64_t s = (uint64_t)((double)(p->bytes_total - p->bytes_done) / bps);
			snprintf(left, sizeof left, ", %llu:%02llu left", (unsigned long long)(s / 60),
				 (unsigned long long)(s % 60));
		}
	}
	fputs("\r", stderr);
	cli_print_safe(stderr, p->folder, strlen(p->folder));
	fprintf(stderr, ": %llu/%llu messages, %s of %s%s%s", (unsigned long long)p->msgs_done,
		(unsigned long long)p->msgs_total, done, total, rate, left);
	if (p->last)
		fprintf(stderr, " in %.1f s", (double)p->elapsed_ms / 1000.0);
	fputs("\033[K", stderr);
	pg->shown = !p->last;
	if (p->last)
		fputc('\n', stderr);
	fflush(stderr);
	return false; /* Ctrl-C stops a fetch through the cancel handle */
}

static void
end_progress(struct progress *pg)
{
	if (pg->shown)
		fputc('\n', stderr);
	pg->shown = false;
}

static void
summary(const struct app_fetch_result *r)
{
	if (r->reflagged)
		printf("updated the flags of %llu stored messages\n",
		       (unsigned long long)r->reflagged);
	if (r->skipped)
		printf("skipped %llu messages larger than max_message_size (%llu bytes)\n",
		       (unsigned long long)r->skipped, (unsigned long long)r->max_size);
	printf("fetched %llu messages (%llu bytes) from %llu folders\n",
	       (unsigned long long)r->messages, (unsigned long long)r->bytes,
	       (unsigned long long)r->folders);
	fflush(stdout);
}

static int
fetch_pop3(const struct cfg_account *a, struct app_fetch_opts *fo, const struct app_net *net)
{
	struct qu_err err;
	struct app_fetch_result r;
	struct progress pg = {false};
	qu_err_clear(&err);
	if (fo->n_folders || fo->all_folders)
		return cli_usage_error("fetch", "POP3 has one mailbox: --folder and --all-folders are for IMAP");
	if (fo->progress)
		fo->progress_ctx = &pg;
	int rc = app_fetch_pop3(a, fo, net, &r, &err);
	end_progress(&pg);
	cli_index_warning(&r.index_warning);
	/* Interrupted, it still says how far it got. */
	if (rc == 0 || r.folders || err.cls == QU_E_CANCELED)
		summary(&r);
	return rc < 0 ? cli_fail_cmd(&err, "fetch") : 0;
}

static int
fetch_imap(const struct cfg_account *a, struct app_fetch_opts *fo, const struct app_net *net)
{
	struct qu_err err;
	struct app_fetch_result r;
	struct progress pg = {false};
	qu_err_clear(&err);
	if (fo->all_folders && fo->n_folders)
		return cli_usage_error("fetch", "give --folder or --all-folders, not both");
	if (fo->progress)
		fo->progress_ctx = &pg;
	int rc = app_fetch_imap(a, fo, net, &r, &err);
	end_progress(&pg);
	cli_index_warning(&r.index_warning);
	if (rc == 0 || r.folders || r.messages || err.cls == QU_E_CANCELED)
		summary(&r);
	return rc < 0 ? cli_fail_cmd(&err, "fetch") : 0;
}

enum { OPT_FOLDER = CLI_OPT_FIRST_OWN, OPT_ALL_FOLDERS, OPT_DELETE };

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"output", required_argument, NULL, 'o'},
		{"folder", required_argument, NULL, OPT_FOLDER},
		{"all-folders", no_argument, NULL, OPT_ALL_FOLDERS},
		{"delete", no_argument, NULL, OPT_DELETE},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	struct cli_common c;
	cli_common_init(&c);
	struct qu_err err;
	qu_err_clear(&err);
	struct app_fetch_opts fo = {0};
	const char **folders = xcalloc((size_t)argc + 1, sizeof *folders);
	bool quiet = false;
	int opt, rc;
	while ((opt = getopt_long(argc, argv, "+vqo:", longopts, NULL)) != -1) {
		int k = cli_common_opt(&c, opt, optarg, &err);
		if (k < 0) {
			rc = cli_usage_error("fetch", "%s", err.msg);
			goto out;
		}
		if (k > 0)
			continue;
		switch (opt) {
		case 'o':
			fo.dir = optarg;
			break;
		case OPT_FOLDER:
			folders[fo.n_folders++] = optarg;
			break;
		case OPT_ALL_FOLDERS:
			fo.all_folders = true;
			break;
		case OPT_DELETE:
			fo.delete_after = true;
			break;
		case 'q':
			quiet = true;
			break;
		case CLI_OPT_HELP:
			help(stdout);
			rc = 0;
			goto out;
		default:
			rc = cli_bad_option("fetch", optopt, argv);
			goto out;
		}
	}
	fo.folders = folders;
	if (optind < argc) {
		rc = cli_usage_error("fetch", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (c.o.pop3 && c.o.imap) {
		rc = cli_usage_error("fetch", "give --imap or --pop3, not both");
		goto out;
	}
	if (fo.dir && !*fo.dir) {
		rc = cli_usage_error("fetch", "-o needs a directory");
		goto out;
	}
	struct cfg_account *a = cli_resolve_account(&c, &err);
	if (!a) {
		rc = cli_fail(&err);
		goto out;
	}
	if (!quiet && isatty(STDERR_FILENO))
		fo.progress = show_progress;
	struct app_net net = cli_net(&c);
	bool pop3 = c.o.pop3 || (!c.o.imap && !a->imap && a->pop3);
	if (!pop3 && !a->imap) {
		qu_err_set(&err, QU_E_CONFIG,
			   "no server to fetch from: give --imap URL or --pop3 URL, or set imap = or "
			   "pop3 = in the account");
		rc = cli_fail(&err);
	} else {
		rc = pop3 ? fetch_pop3(a, &fo, &net) : fetch_imap(a, &fo, &net);
	}
	cfg_account_free(a);
out:
	free(folders);
	return rc;
}

const struct cli_command cli_fetch = {
	.name = "fetch",
	.summary = "download a mailbox (POP3 or IMAP) into a Maildir",
	.run = run,
	.help = help,
};
