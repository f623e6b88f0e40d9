/* `quail index [--rebuild] [PATH]...` (SPEC §9): brings the local index up
 * to date and says what changed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "cli/private.h"

enum { OPT_REBUILD = CLI_OPT_FIRST_OWN, OPT_CONFIG, OPT_PROGRESS_FD };

static void
help(FILE *out)
{
	fputs("Usage: quail index [--rebuild] [--progress-fd FD] [PATH]...\n"
	      "\n"
	      "Brings the search index ($XDG_CACHE_HOME/quail/index.sqlite) up to date with\n"
	      "each PATH: a Maildir, a folder holding Maildirs (Maildir++ too) or an mbox\n"
	      "file; default: every account's Maildir root. Only what changed is read.\n"
	      "Prints: indexed N messages (M new, K changed, D gone) in S s\n"
	      "\n"
	      "  --rebuild        throw the index away and build it again\n"
	      "  --progress-fd FD write progress to descriptor FD, lines \"DONE TOTAL\"\n"
	      "  --config FILE    the configuration file naming the accounts\n"
	      "  --help           show this help\n",
	      out);
}

/* Progress on stderr when it is a terminal, one line rewritten. */
static void
progress(void *ctx, const struct index_progress *p)
{
	(void)ctx;
	if (p->total == 0)
		return;
	struct qu_buf b;
	qu_buf_init(&b, 4096);
	qu_buf_append_str(&b, "\rindexing ");
	size_t n = strlen(p->folder);
	size_t fit = qu_utf8_fit(p->folder, n, 50, NULL);
	qu_buf_append_safe(&b, p->folder, fit, false);
	qu_buf_printf(&b, ": %s%llu/%llu\033[K", p->text ? "text " : "",
		(unsigned long long)p->done, (unsigned long long)p->total);
	fwrite(b.data, 1, b.len, stderr);
	qu_buf_clear(&b);
}

/* Progress for a program that runs this one (the UI: index_child.c), a
 * line "DONE TOTAL" for each step of a folder, "DONE TOTAL text" in the
 * second pass (the messages' text). A reader that went away is
 * no reason to stop: the index is still worth finishing. */
static void
progress_fd(void *ctx, const struct index_progress *p)
{
	int fd = *(const int *)ctx;
	char line[64];
	int n = snprintf(line, sizeof line, "%llu %llu%s\n", (unsigned long long)p->done,
		(unsigned long long)p->total, p->text ? " text" : "");
	if (n > 0 && (size_t)n < sizeof line)
		(void)qu_write_all(fd, line, (size_t)n);
}

struct cfg *
cli_load_cfg(const char *path, struct qu_err *err)
{
	char *p = cfg_default_path(path);
	bool must = path || getenv("QUAIL_CONFIG");
	struct cfg *c = cfg_load(p, must, err);
	free(p);
	return c;
}

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"rebuild", no_argument, NULL, OPT_REBUILD},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"progress-fd", required_argument, NULL, OPT_PROGRESS_FD},
		{"help", no_argument, NULL, CLI_OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	/* ^C and SIGTERM stop the update at the next message; what was
	 * written stays. */
	struct app_index_opts o = {.cancel = cli_cancel()};
	const char *config = NULL;
	int pfd = -1;
	int opt;
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (opt) {
		case CLI_OPT_HELP:
			help(stdout);
			return 0;
		case OPT_REBUILD:
			o.rebuild = true;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_PROGRESS_FD: {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > INT_MAX ||
				fcntl((int)v, F_GETFD) < 0) {
				return cli_usage_error("index", "--progress-fd: not an open descriptor");
			}
			pfd = (int)v;
			break;
		}
		default:
			return cli_bad_option("index", optopt, argv);
		}
	}
	o.paths = (const char *const *)argv + optind;
	o.n_paths = (size_t)(argc - optind);
	bool tty = isatty(STDERR_FILENO);
	if (pfd >= 0) {
		o.progress = progress_fd;
		o.progress_ctx = &pfd;
	} else if (tty) {
		o.progress = progress;
	}
	struct qu_err err;
	qu_err_clear(&err);
	struct cfg *c = NULL;
	if (o.n_paths == 0 && !(c = cli_load_cfg(config, &err)))
		return cli_fail(&err);
	/* A PATH that is not there is said and left out; the others are
	 * indexed, and the run exits 66. With none left the index is not
	 * opened, which would create it: a run after the UI quit
	 * (index_detach.c) whose folders were removed meanwhile leaves no
	 * empty index behind, and one whose folder was removed still
	 * indexes the others. */
	const char **there = xcalloc(o.n_paths + 1, sizeof *there);
	size_t n_there = 0;
	int missing = 0;
	for (size_t i = 0; i < o.n_paths; i++) {
		if (access(o.paths[i], F_OK) == 0) {
			there[n_there++] = o.paths[i];
			continue;
		}
		qu_err_sys(&err, QU_E_NOINPUT, errno, "%s", o.paths[i]);
		missing = cli_fail(&err);
	}
	if (missing && n_there == 0) {
		free(there);
		return missing;
	}
	if (o.n_paths) {
		o.paths = there;
		o.n_paths = n_there;
	}
	struct index_stats st;
	int64_t ms = 0;
	int r = app_index_update(c, &o, &st, &ms, &err);
	free(there);
	cfg_free(c);
	if (tty && pfd < 0)
		fputs("\r\033[K", stderr);
	if (r < 0)
		return cli_fail(&err);
	printf("indexed %llu messages (%llu new, %llu changed, %llu gone) in %.2f s\n",
		(unsigned long long)st.messages, (unsigned long long)st.added,
		(unsigned long long)st.changed, (unsigned long long)st.gone, (double)ms / 1000.0);
	return missing;
}

const struct cli_command cli_index = {
	.name = "index",
	.summary = "bring the search index up to date",
	.run = run,
	.help = help,
};

void
cli_index_warning(const struct qu_err *w)
{
	if (w->cls == QU_E_OK)
		return;
	fputs("quail: warning: ", stderr);
	cli_print_safe(stderr, w->msg, strlen(w->msg));
	fputc('\n', stderr);
}
