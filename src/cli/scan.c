/* `quail scan` (SPEC §6): one index line per message, as mutt's index or
 * mblaze's mscan show them: number, date, sender, subject. Text from the
 * message is made safe, and cut to the terminal's width when stdout is
 * one, counting columns as a terminal does (CJK characters take two). */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"
#include "cli/private.h"

/* Columns of the sender field. */
#define SENDER_COLS 20

static void
help(FILE *out)
{
	fputs("Usage: quail scan MAILBOX\n"
	      "\n"
	      "Prints one line per message of a Maildir or mbox file: its number, date,\n"
	      "sender and subject, decoded. Lines are cut to the terminal's width when\n"
	      "the output is a terminal.\n"
	      "\n"
	      "  --help   show this help\n",
	      out);
}

/* Columns a character takes (East Asian Wide and Fullwidth: 2, combining
 * marks and zero-width characters: 0). The table is coarse but enough for
 * an index line, and does not depend on the locale. */
static int
char_width(uint32_t c)
{
	static const uint32_t zero[][2] = {
		{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
		{0x064B, 0x065F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
		{0x202A, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F},
		{0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF},
	};
	static const uint32_t wide[][2] = {
		{0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x2E80, 0x303E},
		{0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
		{0xA960, 0xA97F}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19},
		{0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
		{0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(zero); i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (size_t i = 0; i < QU_ARRAY_LEN(wide); i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

/* The character at s (valid UTF-8, as qu_buf_append_safe leaves it):
 * its length, and its code point in *c. */
static size_t
next_char(const unsigned char *s, size_t n, uint32_t *c)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (len > n)
		len = n;
	uint32_t v = len == 1 ? s[0] : s[0] & (0x3F >> (len - 1));
	for (size_t i = 1; i < len; i++)
		v = (v << 6) | (s[i] & 0x3F);
	*c = v;
	return len;
}

/* Appends s made safe (tabs as spaces, controls escaped) and cut to cols
 * columns; pads with spaces to cols when pad. Returns the columns used. */
static size_t
fit(struct qu_buf *out, const char *s, size_t cols, bool pad)
{
	struct qu_buf t, safe;
	qu_buf_init(&t, SIZE_MAX);
	qu_buf_init(&safe, SIZE_MAX);
	for (const char *c = s; *c; c++)
		qu_buf_append_byte(&t, *c == '\t' ? ' ' : *c);
	qu_buf_append_safe(&safe, t.data ? t.data : "", t.len, false);
	const unsigned char *u = (const unsigned char *)(safe.data ? safe.data : "");
	size_t used = 0, i = 0;
	while (i < safe.len) {
		uint32_t c;
		size_t l = next_char(u + i, safe.len - i, &c);
		size_t w = (size_t)char_width(c);
		if (used + w > cols)
			break;
		qu_buf_append(out, u + i, l);
		used += w;
		i += l;
	}
	while (pad && used < cols) {
		qu_buf_append_byte(out, ' ');
		used++;
	}
	qu_buf_clear(&t);
	qu_buf_clear(&safe);
	return used;
}

struct scan_out {
	struct qu_buf line;
	size_t width; /* 0: no limit */
};

static void
line(void *ctx, const struct app_scan_entry *e)
{
	struct scan_out *o = ctx;
	qu_buf_reset(&o->line);
	qu_buf_printf(&o->line, "%4zu ", e->number);
	fit(&o->line, e->date ? e->date : "----------", 10, true);
	qu_buf_append_byte(&o->line, ' ');
	fit(&o->line, e->sender ? e->sender : "(no sender)", SENDER_COLS, true);
	qu_buf_append_byte(&o->line, ' ');
	size_t used = 4 + 1 + 10 + 1 + SENDER_COLS + 1;
	if (e->number > 9999)
		used += 1 + (e->number > 99999);
	size_t left = o->width == 0 ? SIZE_MAX : o->width > used ? o->width - used : 0;
	fit(&o->line, e->subject && *e->subject ? e->subject : "(no subject)", left, false);
	qu_buf_append_byte(&o->line, '\n');
	fwrite(o->line.data, 1, o->line.len, stdout);
}

/* The terminal's width when stdout is one, else 0 (no limit). */
static size_t
term_width(void)
{
	if (!isatty(STDOUT_FILENO))
		return 0;
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	uint64_t v;
	if (c && qu_parse_u64(c, strlen(c), 10000, &v) == 0 && v > 0)
		return (size_t)v;
	return 80;
}

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, CLI_OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (opt == CLI_OPT_HELP) {
			help(stdout);
			return 0;
		}
		return cli_bad_option("scan", optopt, argv);
	}
	if (optind != argc - 1)
		return cli_usage_error("scan", "give one MAILBOX (a Maildir or mbox file)");
	struct scan_out o = {.width = term_width()};
	qu_buf_init(&o.line, SIZE_MAX);
	struct qu_err err;
	qu_err_clear(&err);
	int rc = app_scan(argv[optind], cli_cancel(), line, &o, &err);
	qu_buf_clear(&o.line);
	fflush(stdout);
	return rc < 0 ? cli_fail(&err) : 0;
}

const struct cli_command cli_scan = {
	.name = "scan",
	.summary = "list the messages of a Maildir or mbox, one line each",
	.run = run,
	.help = help,
};
