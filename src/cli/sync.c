/* `quail sync` (SPEC §10): IMAP folders and their Maildirs kept the same,
 * both ways, through app_sync. */
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
	fputs("Usage: quail sync [--account NAME | --imap URL] [-o DIR] [--folder NAME]...\n"
	      "                  [--all-folders] [--delete-folders] [--dry-run] [--quiet]\n"
	      "\n"
	      "Keeps IMAP folders and their Maildirs the same, both ways: new messages,\n"
	      "flags (each merged by its changes since the last sync), deletions and\n"
	      "moves. Nothing is deleted on either side when the state in DIR/.quail/\n"
	      "is missing or suspect: messages are then paired by content. The last\n"
	      "line on stdout is\n"
	      "'synced F folders: +N -D ~U on the server, +N -D ~U here'.\n"
	      "\n"
	      "  -o, --output DIR  the Maildir root (default: the account's maildir)\n"
	      "  --folder NAME     sync this folder (repeatable; default INBOX)\n"
	      "  --all-folders     sync every folder of either side\n"
	      "  --delete-folders  delete a folder deleted on the other side since the\n"
	      "                    last sync, if unchanged here since (else remake it)\n"
	      "  -n, --dry-run     print each change that would be made, make none\n"
	      "  -q, --quiet       do not print each change\n"
	      "\n",
	      out);
	cli_common_help(out);
}

struct notes {
	bool show;
};

/* Folder and file names come from the server or the disk: made safe. */
static void
note(void *ctx, const char *line)
{
	struct notes *n = ctx;
	if (!n->show)
		return;
	cli_print_safe(stdout, line, strlen(line));
	fputc('\n', stdout);
}

static void
summary(const struct app_sync_result *r)
{
	printf("synced %llu folders: +%llu -%llu ~%llu on the server, +%llu -%llu ~%llu here\n",
	       (unsigned long long)r->folders, (unsigned long long)r->srv_add,
	       (unsigned long long)r->srv_del, (unsigned long long)r->srv_upd,
	       (unsigned long long)r->loc_add, (unsigned long long)r->loc_del,
	       (unsigned long long)r->loc_upd);
	fflush(stdout);
}

enum { OPT_FOLDER = CLI_OPT_FIRST_OWN, OPT_ALL_FOLDERS, OPT_DELETE_FOLDERS };

static int
sync_run(const struct cli_common *c, struct app_sync_opts *so)
{
	struct qu_err err;
	qu_err_clear(&err);
	struct cfg_account *a = cli_resolve_account(c, &err);
	if (!a)
		return cli_fail(&err);
	if (!a->imap) {
		cfg_account_free(a);
		qu_err_set(&err, QU_E_CONFIG, "no server to sync with: give --imap URL or set imap =");
		return cli_fail(&err);
	}
	struct app_net net = cli_net(c);
	struct app_sync_result r;
	int rc = app_sync(a, so, &net, &r, &err);
	cli_index_warning(&r.index_warning);
	cfg_account_free(a);
	if (rc == 0 || err.cls == QU_E_CANCELED)
		summary(&r);
	return rc == 0 ? 0 : cli_fail_cmd(&err, "sync");
}

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"output", required_argument, NULL, 'o'},
		{"folder", required_argument, NULL, OPT_FOLDER},
		{"all-folders", no_argument, NULL, OPT_ALL_FOLDERS},
		{"delete-folders", no_argument, NULL, OPT_DELETE_FOLDERS},
		{"dry-run", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	struct cli_common c;
	cli_common_init(&c);
	struct qu_err err;
	qu_err_clear(&err);
	struct app_sync_opts so = {0};
	struct notes notes = {true};
	const char **folders = xcalloc((size_t)argc + 1, sizeof *folders);
	int opt, rc;
	while ((opt = getopt_long(argc, argv, "+vqno:", longopts, NULL)) != -1) {
		int k = cli_common_opt(&c, opt, optarg, &err);
		if (k < 0) {
			rc = cli_usage_error("sync", "%s", err.msg);
			goto out;
		}
		if (k > 0)
			continue;
		switch (opt) {
		case 'o':
			so.dir = optarg;
			break;
		case OPT_FOLDER:
			folders[so.n_folders++] = optarg;
			break;
		case OPT_ALL_FOLDERS:
			so.all_folders = true;
			break;
		case OPT_DELETE_FOLDERS:
			so.delete_folders = true;
			break;
		case 'n':
			so.dry_run = true;
			break;
		case 'q':
			notes.show = false;
			break;
		case CLI_OPT_HELP:
			help(stdout);
			rc = 0;
			goto out;
		default:
			rc = cli_bad_option("sync", optopt, argv);
			goto out;
		}
	}
	so.folders = folders;
	if (optind < argc) {
		rc = cli_usage_error("sync", "unexpected argument '%s'", argv[optind]);
	} else if (c.o.pop3 || c.o.smtp) {
		rc = cli_usage_error("sync", "sync is for IMAP: give --imap URL");
	} else if (so.all_folders && so.n_folders) {
		rc = cli_usage_error("sync", "give --folder or --all-folders, not both");
	} else if (so.dir && !*so.dir) {
		rc = cli_usage_error("sync", "-o needs a directory");
	} else {
		/* --dry-run always lists its plan: that is what it is for. */
		notes.show = notes.show || so.dry_run;
		so.note = note;
		so.note_ctx = &notes;
		rc = sync_run(&c, &so);
	}
out:
	free(folders);
	return rc;
}

const struct cli_command cli_sync = {
	.name = "sync",
	.summary = "keep IMAP folders and Maildirs the same, both ways",
	.run = run,
	.help = help,
};
