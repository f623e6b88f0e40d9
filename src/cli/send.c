/* `quail send` (SPEC §4), and quail invoked as `sendmail`: reads the
 * message from stdin, calls app_send, reports refused recipients. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "cli/private.h"

static void
help(FILE *out)
{
	fputs("Usage: quail send [-s SUBJECT] [-c ADDR]... [-b ADDR]... [-a FILE]...\n"
	      "                  [--html FILE] [--inline FILE]... [--from ADDR]\n"
	      "                  [--reply-to ADDR] [-H 'Name: value']... [--dry-run] [-t]\n"
	      "                  [--dsn LIST] [--dsn-ret hdrs|full] [--queue] [RECIPIENT]...\n"
	      "\n"
	      "Sends a message. The text body is read from stdin (UTF-8; other text is\n"
	      "converted from its detected charset). Non-ASCII subjects, names and file\n"
	      "names are encoded as mail readers expect (RFC 2047, RFC 2231).\n"
	      "\n"
	      "  -s SUBJECT        the subject\n"
	      "  -c ADDR           a Cc recipient (repeatable; a list is fine)\n"
	      "  -b ADDR           a Bcc recipient: gets the message, is named nowhere in it\n"
	      "  -a FILE           attach FILE (type from its content, name its base name)\n"
	      "  --html FILE       an HTML version; stdin is the text alternative\n"
	      "  --inline FILE     an image the HTML shows as <img src=\"cid:NAME\">, NAME\n"
	      "                    being the file's base name\n"
	      "  --from ADDR       the author (default: the account's from); the account's\n"
	      "                    address then goes in Sender\n"
	      "  --reply-to ADDR   where replies should go\n"
	      "  -H 'Name: value'  an extra header (Date and Message-ID replace quail's)\n"
	      "  -t                stdin is a whole message: recipients from its To, Cc and\n"
	      "                    Bcc (Bcc removed), plus any RECIPIENT arguments\n"
	      "  --dry-run         print the message (LF line ends) instead of sending it\n"
	      "  --dsn LIST        delivery status notifications: success,failure,delay or\n"
	      "                    never (where the server offers DSN)\n"
	      "  --dsn-ret R       what a notification returns: hdrs or full\n"
	      "  --envelope-from ADDR  the envelope sender (MAIL FROM)\n"
	      "  --queue           if the message cannot go now (no network, 4xx), keep it\n"
	      "                    in the outbox and exit 0 ('quail queue flush' sends it);\n"
	      "                    an account's queue = yes does the same\n"
	      "\n"
	      "Recipients the server refuses are named on stderr; the others get the\n"
	      "message, and the exit code is 69 (75 when every refusal was temporary).\n"
	      "\n",
	      out);
	cli_common_help(out);
}

/* Reads all of stdin. */
static int
read_stdin(struct qu_buf *b, struct qu_err *err)
{
	for (;;) {
		char *dst = qu_buf_reserve(b, 1 << 16);
		if (!dst)
			return qu_err_set(err, QU_E_DATA, "stdin: message too large");
		ssize_t r = read(0, dst, 1 << 16);
		if (r < 0 && errno == EINTR) {
			if (qu_cancel_check(cli_cancel(), err) < 0)
				return -1;
			continue;
		}
		if (r < 0)
			return qu_err_sys(err, QU_E_IOERR, errno, "stdin");
		if (r == 0)
			return 0;
		qu_buf_commit(b, (size_t)r);
	}
}

/* A growing list of option arguments. */
struct strv {
	const char **v;
	size_t n, alloc;
};

static void
strv_add(struct strv *s, const char *x)
{
	s->v = xgrow(s->v, &s->alloc, s->n + 1, sizeof *s->v);
	s->v[s->n++] = x;
}

static int
parse_dsn(const char *arg, unsigned *out, struct qu_err *err)
{
	*out = 0;
	char *s = xstrdup(arg);
	int rc = 0;
	for (char *t = strtok(s, ", "); t && rc == 0; t = strtok(NULL, ", ")) {
		if (strcasecmp(t, "success") == 0)
			*out |= 1u << 0;
		else if (strcasecmp(t, "failure") == 0)
			*out |= 1u << 1;
		else if (strcasecmp(t, "delay") == 0)
			*out |= 1u << 2;
		else if (strcasecmp(t, "never") == 0)
			*out |= 1u << 3;
		else
			rc = qu_err_set(err, QU_E_USAGE,
					"--dsn takes success, failure, delay (comma-separated) or never");
	}
	free(s);
	if (rc == 0 && !*out)
		rc = qu_err_set(err, QU_E_USAGE, "--dsn: give success, failure, delay or never");
	if (rc == 0 && (*out & (1u << 3)) && *out != (1u << 3))
		rc = qu_err_set(err, QU_E_USAGE, "--dsn: never goes alone");
	return rc;
}

static int
parse_ret(const char *arg, int *out, struct qu_err *err)
{
	if (strcasecmp(arg, "hdrs") == 0)
		*out = 1;
	else if (strcasecmp(arg, "full") == 0)
		*out = 2;
	else
		return qu_err_set(err, QU_E_USAGE, "--dsn-ret takes hdrs or full");
	return 0;
}

static void
note(void *ctx, enum app_send_note kind, const char *subject, const char *text)
{
	(void)ctx;
	switch (kind) {
	case APP_SEND_QUEUED:
		fputs("queued: ", stderr);
		cli_print_safe(stderr, text, strlen(text));
		fputc('\n', stderr);
		return;
	case APP_SEND_REFUSED:
	case APP_SEND_DEFERRED:
		fputs("quail: ", stderr);
		cli_print_safe(stderr, subject, strlen(subject));
		fputs(kind == APP_SEND_REFUSED ? ": refused: " : ": refused for now: ", stderr);
		break;
	case APP_SEND_WARNING:
		fputs("quail: warning: ", stderr);
		break;
	case APP_SEND_HINT:
		fputs("quail: hint: ", stderr);
		break;
	}
	cli_print_safe(stderr, text, strlen(text));
	fputc('\n', stderr);
}

/* The account; for --dry-run, a blank one will do when none resolves. A
 * --from goes into the overrides only when the account has no from of its
 * own (the author is then not the account's, which keeps its address for
 * the envelope and Sender). */
static struct cfg_account *
resolve(struct cli_common *c, const char *from, bool dry_run, struct qu_err *err)
{
	struct cfg_account *a = cli_resolve_account(c, err);
	if (a && !a->from && from) {
		cfg_account_free(a);
		c->o.from = from;
		a = cli_resolve_account(c, err);
		c->o.from = NULL;
	}
	if (!a && dry_run && err->cls == QU_E_CONFIG) {
		a = xcalloc(1, sizeof *a);
		qu_err_clear(err);
	}
	return a;
}

/* Runs app_send and reports; shared by send and sendmail. */
static int
run_send(struct cli_common *c, struct app_send_opts *o, struct qu_err *err)
{
	struct qu_buf in;
	qu_buf_init(&in, SIZE_MAX);
	if (read_stdin(&in, err) < 0) {
		qu_buf_clear(&in);
		return cli_fail(err);
	}
	o->input = in.data ? in.data : "";
	o->input_len = in.len;
	struct cfg_account *a = resolve(c, o->from, o->dry_run, err);
	if (!a) {
		qu_buf_clear(&in);
		return cli_fail(err);
	}
	struct app_net net = cli_net(c);
	struct qu_buf dry;
	qu_buf_init(&dry, SIZE_MAX);
	int rc = app_send(a, o, &net, note, NULL, &dry, err);
	if (rc == 0 && o->dry_run && dry.len)
		fwrite(dry.data, 1, dry.len, stdout);
	qu_buf_clear(&dry);
	qu_buf_clear(&in);
	cfg_account_free(a);
	if (fflush(stdout) != 0 && rc == 0)
		rc = qu_err_sys(err, QU_E_IOERR, errno, "stdout");
	return rc < 0 ? cli_fail(err) : 0;
}

enum {
	OPT_HTML = CLI_OPT_FIRST_OWN,
	OPT_INLINE,
	OPT_FROM,
	OPT_REPLY_TO,
	OPT_DRY_RUN,
	OPT_DSN,
	OPT_DSN_RET,
	OPT_QUEUE,
	OPT_ENVELOPE_FROM,
	OPT_ENVID,
};

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"subject", required_argument, NULL, 's'},
		{"cc", required_argument, NULL, 'c'},
		{"bcc", required_argument, NULL, 'b'},
		{"attach", required_argument, NULL, 'a'},
		{"header", required_argument, NULL, 'H'},
		{"html", required_argument, NULL, OPT_HTML},
		{"inline", required_argument, NULL, OPT_INLINE},
		{"from", required_argument, NULL, OPT_FROM},
		{"reply-to", required_argument, NULL, OPT_REPLY_TO},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"dsn", required_argument, NULL, OPT_DSN},
		{"dsn-ret", required_argument, NULL, OPT_DSN_RET},
		{"dsn-envid", required_argument, NULL, OPT_ENVID},
		{"queue", no_argument, NULL, OPT_QUEUE},
		{"envelope-from", required_argument, NULL, OPT_ENVELOPE_FROM},
		{NULL, 0, NULL, 0},
	};
	struct cli_common c;
	cli_common_init(&c);
	struct qu_err err;
	qu_err_clear(&err);
	struct app_send_opts o;
	memset(&o, 0, sizeof o);
	struct strv cc = {0}, bcc = {0}, att = {0}, inl = {0}, hdr = {0}, to = {0};
	int rc = -1;
	int opt;
	while ((opt = getopt_long(argc, argv, "+vs:c:b:a:H:t", longopts, NULL)) != -1) {
		int r = cli_common_opt(&c, opt, optarg, &err);
		if (r < 0) {
			rc = cli_usage_error("send", "%s", err.msg);
			goto out;
		}
		if (r > 0)
			continue;
		switch (opt) {
		case 's':
			o.subject = optarg;
			break;
		case 'c':
			strv_add(&cc, optarg);
			break;
		case 'b':
			strv_add(&bcc, optarg);
			break;
		case 'a':
			strv_add(&att, optarg);
			break;
		case 'H':
			strv_add(&hdr, optarg);
			break;
		case 't':
			o.raw = true;
			o.header_rcpts = true;
			break;
		case OPT_HTML:
			o.html = optarg;
			break;
		case OPT_INLINE:
			strv_add(&inl, optarg);
			break;
		case OPT_FROM:
			o.from = optarg;
			break;
		case OPT_REPLY_TO:
			o.reply_to = optarg;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_DSN:
			if (parse_dsn(optarg, &o.dsn_notify, &err) < 0) {
				rc = cli_usage_error("send", "%s", err.msg);
				goto out;
			}
			break;
		case OPT_DSN_RET:
			if (parse_ret(optarg, &o.dsn_ret, &err) < 0) {
				rc = cli_usage_error("send", "%s", err.msg);
				goto out;
			}
			break;
		case OPT_ENVID:
			o.envid = optarg;
			break;
		case OPT_QUEUE:
			o.queue = true;
			break;
		case OPT_ENVELOPE_FROM:
			o.envelope_from = optarg;
			break;
		case CLI_OPT_HELP:
			help(stdout);
			rc = 0;
			goto out;
		default:
			rc = cli_bad_option("send", optopt, argv);
			goto out;
		}
	}
	for (int i = optind; i < argc; i++)
		strv_add(&to, argv[i]);
	if (!to.n && !o.raw) {
		rc = cli_usage_error("send", "give at least one recipient (or -t)");
		goto out;
	}
	if (o.envid) {
		for (const char *p = o.envid; *p; p++)
			if ((unsigned char)*p < 33 || (unsigned char)*p > 126) {
				rc = cli_usage_error("send", "--dsn-envid: printable ASCII without spaces");
				goto out;
			}
	}
	o.to = to.v;
	o.n_to = to.n;
	o.cc = cc.v;
	o.n_cc = cc.n;
	o.bcc = bcc.v;
	o.n_bcc = bcc.n;
	o.attach = att.v;
	o.n_attach = att.n;
	o.inlines = inl.v;
	o.n_inlines = inl.n;
	o.headers = hdr.v;
	o.n_headers = hdr.n;
	rc = run_send(&c, &o, &err);
out:
	free(to.v);
	free(cc.v);
	free(bcc.v);
	free(att.v);
	free(inl.v);
	free(hdr.v);
	return rc;
}

const struct cli_command cli_send = {
	.name = "send",
	.summary = "send a message (text, HTML, attachments) over SMTP",
	.run = run,
	.help = help,
};

/* ---- sendmail -------------------------------------------------------- */

static void
sendmail_help(FILE *out)
{
	fputs("Usage: sendmail [-t] [-i] [-f ADDR] [-F NAME] [-N DSN] [-R RET] [-V ENVID]\n"
	      "                [-C CONFIG] [-v] [--account NAME] [RECIPIENT]...\n"
	      "       sendmail -bp | mailq         list quail's outbox\n"
	      "       sendmail -q                  send what is in the outbox\n"
	      "\n"
	      "quail standing in for sendmail (for cron and scripts): stdin is a whole\n"
	      "message, read to its end (-i is always on). Recipients are the arguments;\n"
	      "with -t, or with no arguments, also To, Cc and Bcc (Bcc removed). The\n"
	      "account is the config's default (or --account); set queue = yes in it so\n"
	      "that mail which cannot go now waits in the outbox. -o..., -B..., -odi,\n"
	      "-oem and the like are accepted and ignored.\n",
	      out);
}

int
cli_sendmail_main(int argc, char **argv, bool mailq)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct cli_common c;
	cli_common_init(&c);
	struct qu_err err;
	qu_err_clear(&err);
	struct app_send_opts o;
	memset(&o, 0, sizeof o);
	o.raw = true;
	o.any_address = true;
	bool t = false, list = mailq, flush = false;
	int opt;
	optind = 1;
	opterr = 0;
	while (!mailq && (opt = getopt_long(argc, argv, "+A:B:b:C:d:F:f:Gh:iL:mN:n:o:O:p:q::R:r:tUvV:X:",
					    longopts, NULL)) != -1) {
		int r = cli_common_opt(&c, opt, optarg, &err);
		if (r < 0)
			return cli_usage_error("sendmail", "%s", err.msg);
		if (r > 0)
			continue;
		switch (opt) {
		case 't':
			t = true;
			break;
		case 'f':
		case 'r':
			o.envelope_from = optarg;
			break;
		case 'F':
			o.full_name = optarg;
			break;
		case 'C':
			c.o.config = optarg;
			break;
		case 'N':
			if (parse_dsn(optarg, &o.dsn_notify, &err) < 0)
				return cli_usage_error("sendmail", "-N: %s", err.msg);
			break;
		case 'R':
			if (parse_ret(optarg, &o.dsn_ret, &err) < 0)
				return cli_usage_error("sendmail", "-R: %s", err.msg);
			break;
		case 'V':
			o.envid = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "p") == 0)
				list = true;
			else if (strcmp(optarg, "m") != 0)
				return cli_usage_error("sendmail", "-b%s is not supported", optarg);
			break;
		case 'q':
			flush = true;
			break;
		case CLI_OPT_HELP:
			sendmail_help(stdout);
			return 0;
		case '?':
		case ':':
			return cli_bad_option("sendmail", optopt, argv);
		default:
			/* -i, -o*, -B*, -A, -d, -G, -h, -L, -m, -n, -O, -p, -U, -X:
			 * sendmail's own knobs, meaningless here. */
			break;
		}
	}
	if (list || flush) {
		/* mailq and sendmail -q: the queue command. */
		char *qargv[] = {(char *)"queue", (char *)(flush ? "flush" : "list"), NULL};
		char *cfg_argv[6];
		int n = 0;
		cfg_argv[n++] = qargv[0];
		cfg_argv[n++] = qargv[1];
		if (c.o.config) {
			cfg_argv[n++] = (char *)"--config";
			cfg_argv[n++] = (char *)c.o.config;
		}
		if (c.o.account) {
			cfg_argv[n++] = (char *)"--account";
			cfg_argv[n++] = (char *)c.o.account;
		}
		optind = 1;
		return cli_queue.run(n, cfg_argv);
	}
	struct strv to = {0};
	for (int i = optind; i < argc; i++)
		strv_add(&to, argv[i]);
	/* Without -t and without arguments: recipients from the header. */
	o.header_rcpts = t || !to.n;
	o.to = to.v;
	o.n_to = to.n;
	int rc = run_send(&c, &o, &err);
	free(to.v);
	return rc;
}
