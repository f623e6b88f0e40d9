/* `quail extract` (SPEC §6): a message's attachments into files whose
 * names are made safe, never over an existing file. */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"
#include "cli/private.h"

static void
help(FILE *out)
{
	fputs("Usage: quail extract [-o DIR] FILE\n"
	      "\n"
	      "Saves every attachment of the message in FILE ('-': stdin) into DIR\n"
	      "(default: the current directory) under its decoded file name, made safe:\n"
	      "no directory parts, no leading dot, no control characters. An existing\n"
	      "file is never overwritten: a taken name gets ' (1)', ' (2)', ... A part\n"
	      "without a name is saved as part-N.EXT. Files uuencoded inside the text\n"
	      "are saved too, and the files inside a TNEF (winmail.dat) attachment in\n"
	      "its place. Prints one line per file saved.\n"
	      "\n"
	      "  -o, --output DIR   where to save (made if missing)\n"
	      "  --help             show this help\n",
	      out);
}

struct shown {
	const char *dir;
};

static void
saved(void *ctx, const struct app_extract_item *it)
{
	struct shown *s = ctx;
	fputs("saved ", stdout);
	if (strcmp(s->dir, ".") != 0) {
		cli_print_safe(stdout, s->dir, strlen(s->dir));
		fputc('/', stdout);
	}
	cli_print_safe(stdout, it->name, strlen(it->name));
	fprintf(stdout, " (%llu bytes, ", (unsigned long long)it->size);
	cli_print_safe(stdout, it->type, strlen(it->type));
	fputs(it->uuencoded ? ", uuencoded)\n" : it->tnef ? ", from winmail.dat)\n" : ")\n", stdout);
}

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, CLI_OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	const char *dir = ".";
	int opt;
	while ((opt = getopt_long(argc, argv, "+o:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			dir = optarg;
			break;
		case CLI_OPT_HELP:
			help(stdout);
			return 0;
		default:
			return cli_bad_option("extract", optopt, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("extract", "give one FILE");
	struct shown s = {dir};
	struct qu_err err;
	qu_err_clear(&err);
	int rc = app_extract(argv[optind], dir, cli_cancel(), saved, &s, &err);
	fflush(stdout);
	return rc < 0 ? cli_fail(&err) : 0;
}

const struct cli_command cli_extract = {
	.name = "extract",
	.summary = "save the attachments of a message under safe file names",
	.run = run,
	.help = help,
};
