/* `quail search [--json] [--limit N] [--sort newest|oldest|relevance]
 * [-f MAILBOX] QUERY...` (SPEC §9): the index brought up to date, then one
 * line (or one JSON object) per matching message. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "config/config.h"
#include "mime/mime.h"
#include "app/app.h"
#include "cli/private.h"

enum { OPT_JSON = CLI_OPT_FIRST_OWN, OPT_LIMIT, OPT_SORT, OPT_CONFIG };

#define SENDER_CELLS 22

static void
help(FILE *out)
{
	fputs("Usage: quail search [--json] [--limit N] [--sort newest|oldest|relevance]\n"
	      "                    [-f MAILBOX] QUERY...\n"
	      "\n"
	      "Searches the index (brought up to date first) and prints one line per\n"
	      "message: date, sender, subject, folder. QUERY: words (Chinese and Japanese\n"
	      "too), \"phrases\", from: to: cc: subject: body: filename: folder: id:\n"
	      "thread: is:unread|read|flagged|replied|deleted has:attachment\n"
	      "date:2026-01-01..2026-02-01 date:7d.. size:>1M, AND OR NOT - ( ), and mutt\n"
	      "patterns (~f ~s ~b ~d ~N ~F ...).\n"
	      "\n"
	      "  --json           one JSON object per line\n"
	      "  --limit N        at most N messages\n"
	      "  --sort ORDER     newest (default), oldest or relevance\n"
	      "  -f MAILBOX       only this folder (a path, or a folder's name)\n"
	      "  --config FILE    the configuration file naming the accounts\n"
	      "  --help           show this help\n",
	      out);
}

static void
json_addr(struct qu_buf *b, const char *name, const char *addr, bool *first)
{
	qu_buf_append_str(b, *first ? "{\"name\": " : ", {\"name\": ");
	*first = false;
	qu_json_cstr(b, name && *name ? name : NULL);
	qu_buf_append_str(b, ", \"address\": ");
	qu_json_cstr(b, addr);
	qu_buf_append_byte(b, '}');
}

/* The stored "Name <addr>, ..." lists, read back into addresses. */
static void
json_list(struct qu_buf *b, const char *key, const char *list1, const char *list2)
{
	qu_buf_printf(b, ", \"%s\": [", key);
	bool first = true;
	const char *lists[] = {list1, list2};
	for (size_t k = 0; k < 2; k++) {
		if (!lists[k])
			continue;
		struct mime_addr_list l;
		mime_addr_list_init(&l);
		mime_addr_list_parse(lists[k], strlen(lists[k]), &l, NULL, NULL);
		for (size_t i = 0; i < l.n; i++)
			json_addr(b, l.v[i].name, l.v[i].address, &first);
		mime_addr_list_clear(&l);
	}
	qu_buf_append_byte(b, ']');
}

static void
json_row(struct qu_buf *b, const struct index_row *r)
{
	qu_buf_append_str(b, "{\"path\": ");
	qu_json_cstr(b, r->path);
	qu_buf_append_str(b, ", \"folder\": ");
	qu_json_cstr(b, r->folder);
	qu_buf_append_str(b, ", \"date\": ");
	if (r->has_date) {
		char iso[40];
		time_t t = (time_t)r->date;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
		qu_json_cstr(b, iso);
	} else {
		qu_buf_append_str(b, "null");
	}
	qu_buf_append_str(b, ", \"from\": [");
	bool first = true;
	if (r->from_addr || r->from_name)
		json_addr(b, r->from_name, r->from_addr, &first);
	qu_buf_append_byte(b, ']');
	json_list(b, "to", r->to_list, NULL);
	qu_buf_append_str(b, ", \"subject\": ");
	qu_json_cstr(b, r->subject);
	qu_buf_append_str(b, ", \"message_id\": ");
	qu_json_cstr(b, r->message_id);
	qu_buf_printf(b, ", \"thread\": %lld, \"flags\": [", (long long)r->thread);
	static const struct {
		unsigned bit;
		const char *name;
	} flags[] = {
		{INDEX_FLAG_SEEN, "seen"}, {INDEX_FLAG_FLAGGED, "flagged"},
		{INDEX_FLAG_REPLIED, "replied"}, {INDEX_FLAG_DELETED, "deleted"},
		{INDEX_FLAG_DRAFT, "draft"},
	};
	const char *sep = "";
	for (size_t i = 0; i < QU_ARRAY_LEN(flags); i++) {
		if (r->flags & flags[i].bit) {
			qu_buf_printf(b, "%s\"%s\"", sep, flags[i].name);
			sep = ", ";
		}
	}
	qu_buf_printf(b, "], \"size\": %llu}", (unsigned long long)r->size);
}

/* Appends s made safe for a terminal (SPEC §6: no decoded text may break
 * the line or hide what follows), cut to max cells, padded when pad. */
static void
safe_cells(struct qu_buf *b, const char *s, size_t max, bool pad)
{
	struct qu_buf t;
	qu_buf_init(&t, SIZE_MAX);
	qu_buf_append_safe(&t, s ? s : "", s ? strlen(s) : 0, false);
	size_t cells = 0;
	size_t n = qu_utf8_fit(t.data ? t.data : "", t.len, max, &cells);
	qu_buf_append(b, t.data ? t.data : "", n);
	while (pad && cells++ < max)
		qu_buf_append_byte(b, ' ');
	qu_buf_clear(&t);
}

struct out {
	bool json;
	struct qu_buf line;
};

static int
on_hit(void *ctx, const struct app_search_hit *h, struct qu_err *err)
{
	struct out *o = ctx;
	qu_buf_reset(&o->line);
	if (o->json) {
		json_row(&o->line, h->row);
	} else {
		safe_cells(&o->line, h->date[0] ? h->date : "----------------", 16, true);
		qu_buf_append_str(&o->line, "  ");
		safe_cells(&o->line, h->sender ? h->sender : "(no sender)", SENDER_CELLS, true);
		qu_buf_append_str(&o->line, "  ");
		const char *subj = h->row->subject && *h->row->subject ? h->row->subject
								   : "(no subject)";
		safe_cells(&o->line, subj, SIZE_MAX, false);
		qu_buf_append_str(&o->line, "  [");
		safe_cells(&o->line, h->row->folder, SIZE_MAX, false);
		qu_buf_append_byte(&o->line, ']');
	}
	qu_buf_append_byte(&o->line, '\n');
	if (fwrite(o->line.data, 1, o->line.len, stdout) != o->line.len)
		return qu_err_set(err, QU_E_IOERR, "stdout: write failed");
	return 0;
}

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"sort", required_argument, NULL, OPT_SORT},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"help", no_argument, NULL, CLI_OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	struct app_search_opts so = {.sort = INDEX_SORT_NEWEST};
	struct out o = {0};
	const char *config = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "+f:", longopts, NULL)) != -1) {
		switch (opt) {
		case CLI_OPT_HELP:
			help(stdout);
			return 0;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_LIMIT:
			if (qu_parse_u64(optarg, strlen(optarg), UINT64_MAX / 2, &so.limit) < 0 ||
				so.limit == 0)
				return cli_usage_error("search", "--limit wants a positive number");
			break;
		case OPT_SORT:
			if (strcmp(optarg, "newest") != 0 && strcmp(optarg, "oldest") != 0 &&
				strcmp(optarg, "relevance") != 0)
				return cli_usage_error("search", "--sort is newest, oldest or relevance");
			index_sort_parse(optarg, &so.sort);
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case 'f':
			so.folder = optarg;
			break;
		default:
			return cli_bad_option("search", optopt, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("search", "give a QUERY");
	struct qu_buf q;
	qu_buf_init(&q, SIZE_MAX);
	for (int i = optind; i < argc; i++)
		qu_buf_printf(&q, "%s%s", i > optind ? " " : "", argv[i]);
	so.query = q.data;
	struct qu_err err;
	qu_err_clear(&err);
	struct cfg *c = cli_load_cfg(config, &err);
	if (!c) {
		qu_buf_clear(&q);
		return cli_fail(&err);
	}
	qu_buf_init(&o.line, SIZE_MAX);
	long n = app_search(c, &so, on_hit, &o, &err);
	cfg_free(c);
	qu_buf_clear(&o.line);
	qu_buf_clear(&q);
	fflush(stdout);
	if (n < 0)
		return cli_fail(&err);
	return 0;
}

const struct cli_command cli_search = {
	.name = "search",
	.summary = "search the index of local mail",
	.run = run,
	.help = help,
};
