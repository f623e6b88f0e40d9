/*
 * `quail setup [ADDRESS]` (SPEC §11): asks on the terminal (/dev/tty, the
 * secret without echo) for what the options do not give, finds the
 * servers, checks the login, and writes the account into the config file.
 * With everything given as options it asks nothing (--yes answers the
 * confirmations), so scripts can run it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "cli/private.h"

/* A typed line longer than this is refused rather than cut. */
#define ANSWER_MAX 1024

static void
help(FILE *out)
{
	fputs("Usage: quail setup [ADDRESS] [--account NAME] [--imap URL | --pop3 URL]\n"
	      "                   [--smtp URL] [--password-command CMD] [--yes]\n"
	      "                   [--non-interactive] [options]\n"
	      "\n"
	      "Adds an account to the config file. Servers come from the options, else\n"
	      "quail's presets, else DNS SRV records (RFC 6186), else probing imap.,\n"
	      "smtp. and mail. + the domain with TLS. The login is checked on the\n"
	      "incoming server and on SMTP (no mail is sent) before anything is written.\n"
	      "What the options do not give is asked for on the terminal; a typed\n"
	      "password is stored (mode 0600) only when you say so.\n"
	      "\n"
	      "  --yes          replace an existing account of that name, ask nothing\n"
	      "  --non-interactive\n"
	      "                 never use the terminal: what the options do not give is\n"
	      "                 an error (an existing account still needs --yes)\n"
	      "  --oauth2       log in with OAuth 2 (Gmail, Microsoft): a device code to\n"
	      "                 enter in a browser; tokens kept in ~/.local/state/quail\n"
	      "  --oauth2-client-id ID, --oauth2-client-secret SECRET\n"
	      "                 the OAuth 2 client registered with the provider\n"
	      "\n",
	      out);
	cli_common_help(out);
}

struct tty {
	int fd; /* /dev/tty, or -1 */
};

static void
tty_put(struct tty *t, const char *s)
{
	/* Best effort: a prompt that cannot be shown is seen as no answer. */
	(void)qu_write_all(t->fd, s, strlen(s));
}

/* tty_put with controls made visible: the text may come from DNS or a
 * server. */
static void
tty_put_safe(struct tty *t, const char *s)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_safe(&b, s, strlen(s), false);
	tty_put(t, b.data ? b.data : "");
	qu_buf_clear(&b);
}

/* While echo is off, a signal must not end the process with the terminal
 * left silent: SIGINT's own handler is reset after its first delivery
 * (signals.c), so a second Ctrl-C would kill quail before the read
 * returns. For the length of a secret read these handlers put the
 * terminal's modes back first, then do what the replaced handler did (fire
 * the cancel). tcsetattr is async-signal-safe (POSIX.1-2017 §2.4.3).
 * Globals are allowed in cli (STYLE); there is one terminal. */
static const int echo_signals[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};
#define N_ECHO_SIGNALS (sizeof echo_signals / sizeof echo_signals[0])
static volatile sig_atomic_t echo_fd = -1;
static struct termios echo_saved, echo_quiet;
static struct sigaction echo_old[N_ECHO_SIGNALS];
/* Job control (Ctrl-Z, then fg): the shell shows what is typed while quail
 * is stopped, so echo goes back on for the stop and off again on SIGCONT,
 * with the prompt written anew (the shell's lines came in between).
 * echo_prompt is borrowed from tty_read's caller for the length of the
 * read; NULL when there is none. */
static const char *volatile echo_prompt;
static struct sigaction echo_old_tstp, echo_old_cont, echo_tstp_sa;

static void
echo_on_signal(int sig)
{
	int saved = errno;
	if (echo_fd >= 0)
		tcsetattr(echo_fd, TCSANOW, &echo_saved);
	/* SIGINT's SIG_DFL means a first one has fired the cancel already
	 * (signals.c): the read is ending, so nothing more to do. */
	for (size_t i = 0; i < N_ECHO_SIGNALS; i++) {
		if (echo_signals[i] != sig)
			continue;
		void (*h)(int) = echo_old[i].sa_handler;
		if (!(echo_old[i].sa_flags & SA_SIGINFO) && h != SIG_DFL && h != SIG_IGN)
			h(sig);
		else if (h == SIG_DFL && (sig != SIGINT || !qu_cancel_fired(cli_cancel())))
			_exit(128 + sig); /* what SIG_DFL would have done, echo back on */
	}
	errno = saved;
}

/* SIGTSTP: echo back on, then stop as SIG_DFL would. The signal is
 * blocked inside its own handler, so it is unblocked for the raise; the
 * process stops in raise() and goes on from there after SIGCONT. */
static void
echo_on_stop(int sig)
{
	int saved = errno;
	if (echo_fd >= 0)
		tcsetattr(echo_fd, TCSANOW, &echo_saved);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	/* Continued: ready for the next Ctrl-Z. SIGCONT, blocked here, is
	 * handled once this returns. */
	sigaction(sig, &echo_tstp_sa, NULL);
	errno = saved;
}

/* SIGCONT: echo off again and the prompt shown again, but only in the
 * foreground: after `bg` the terminal is the shell's (and tcsetattr would
 * stop quail with SIGTTOU); the read then stops quail on SIGTTIN and the
 * `fg` that follows comes back here. tcgetpgrp, getpgrp, tcsetattr and
 * write are async-signal-safe (POSIX.1-2017 §2.4.3). */
static void
echo_on_cont(int sig)
{
	(void)sig;
	int saved = errno;
	int fd = echo_fd;
	if (fd >= 0 && tcgetpgrp(fd) == getpgrp() && tcsetattr(fd, TCSANOW, &echo_quiet) == 0) {
		const char *p = echo_prompt;
		/* A short write only loses the reminder: the read goes on. */
		ssize_t w = p ? write(fd, p, strlen(p)) : 0;
		(void)w;
	}
	errno = saved;
}

/* Puts in the job-control handlers, unless the shell started quail with
 * SIGTSTP ignored (no job control): then Ctrl-Z does nothing, as before. */
static void
echo_job_control_on(void)
{
	sigaction(SIGTSTP, NULL, &echo_old_tstp);
	if (echo_old_tstp.sa_handler == SIG_IGN)
		return;
	memset(&echo_tstp_sa, 0, sizeof echo_tstp_sa);
	echo_tstp_sa.sa_handler = echo_on_stop;
	sigfillset(&echo_tstp_sa.sa_mask);
	sigaction(SIGTSTP, &echo_tstp_sa, NULL);
	struct sigaction cont;
	memset(&cont, 0, sizeof cont);
	cont.sa_handler = echo_on_cont;
	sigfillset(&cont.sa_mask);
	sigaction(SIGCONT, &cont, &echo_old_cont);
}

static void
echo_job_control_off(void)
{
	if (echo_old_tstp.sa_handler == SIG_IGN)
		return;
	sigaction(SIGTSTP, &echo_old_tstp, NULL);
	sigaction(SIGCONT, &echo_old_cont, NULL);
}

/* Echo off on t, with the handlers above in place; false when the
 * terminal's modes cannot be read or set (then nothing is changed). */
static bool
echo_off(struct tty *t)
{
	if (tcgetattr(t->fd, &echo_saved) < 0)
		return false;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = echo_on_signal;
	sigfillset(&sa.sa_mask);
	echo_fd = t->fd;
	for (size_t i = 0; i < N_ECHO_SIGNALS; i++)
		sigaction(echo_signals[i], &sa, &echo_old[i]);
	echo_quiet = echo_saved;
	echo_quiet.c_lflag &= ~(tcflag_t)ECHO;
	echo_quiet.c_lflag |= ECHONL;
	echo_job_control_on();
	if (tcsetattr(t->fd, TCSAFLUSH, &echo_quiet) == 0)
		return true;
	echo_job_control_off();
	for (size_t i = 0; i < N_ECHO_SIGNALS; i++)
		sigaction(echo_signals[i], &echo_old[i], NULL);
	echo_fd = -1;
	return false;
}

static void
echo_restore(struct tty *t)
{
	tcsetattr(t->fd, TCSAFLUSH, &echo_saved);
	echo_job_control_off();
	for (size_t i = 0; i < N_ECHO_SIGNALS; i++)
		sigaction(echo_signals[i], &echo_old[i], NULL);
	echo_fd = -1;
	echo_prompt = NULL;
}

/* Waits for a byte on the terminal or the cancel, so a Ctrl-C that came
 * just before the read is not missed. 1 with a byte in *c, 0 at end of
 * input, -1 on a cancel or an error (err says which). */
static int
tty_getc(struct tty *t, char *c, struct qu_err *err)
{
	const struct qu_cancel *cancel = cli_cancel();
	for (;;) {
		if (qu_cancel_check(cancel, err) < 0)
			return -1;
		/* Echo off, in the background (Ctrl-Z, then bg): poll would
		 * wait there with echo on, and fg sends no SIGCONT to a job
		 * that runs, so echo would stay on for the secret. The read
		 * stops quail with SIGTTIN instead; fg then continues it and
		 * echo_on_cont turns echo off. */
		if (echo_fd != t->fd || tcgetpgrp(t->fd) == getpgrp()) {
			struct pollfd p[2] = {
				{.fd = t->fd, .events = POLLIN},
				{.fd = cancel ? qu_cancel_fd(cancel) : -1, .events = POLLIN}};
			int n = poll(p, 2, -1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return qu_err_set(err, QU_E_USAGE, "terminal: %s", strerror(errno));
			if (p[1].revents)
				continue; /* the check above reports it */
		}
		ssize_t r = read(t->fd, c, 1);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return qu_err_set(err, QU_E_USAGE, "terminal: %s", strerror(errno));
		return r == 1;
	}
}

/* Shows prompt (when not NULL) and reads one line from the terminal, echo
 * off when secret. The prompt comes after echo is off: TCSAFLUSH drops
 * what was typed before, and a Ctrl-C at the prompt then finds the
 * handlers that restore echo. NULL on end of input or a signal (err says
 * which). New string; a secret one is freed with qu_free_secret. */
static char *
tty_read(struct tty *t, const char *prompt, bool secret, struct qu_err *err)
{
	bool restore = secret && echo_off(t);
	if (restore)
		echo_prompt = prompt;
	if (prompt)
		tty_put(t, prompt);
	struct qu_buf b;
	qu_buf_init(&b, ANSWER_MAX);
	int rc = 0;
	for (;;) {
		char c;
		int r = tty_getc(t, &c, err);
		if (r < 0) {
			rc = -1;
			break;
		}
		if (r == 0) {
			rc = qu_err_set(err, QU_E_USAGE, "no answer (end of input)");
			break;
		}
		if (c == '\n')
			break;
		if (c != '\r' && qu_buf_append_byte(&b, c) < 0) {
			rc = qu_err_set(err, QU_E_USAGE, "answer longer than %d bytes", ANSWER_MAX);
			break;
		}
	}
	if (restore)
		echo_restore(t);
	if (rc < 0) {
		qu_buf_clear_secret(&b);
		return NULL;
	}
	return qu_buf_steal(&b, NULL);
}

/* Asks with a default shown in brackets; an empty answer takes it. */
static char *
ask(struct tty *t, const char *question, const char *def, struct qu_err *err)
{
	tty_put(t, question);
	if (def) {
		tty_put(t, " [");
		tty_put_safe(t, def);
		tty_put(t, "]");
	}
	tty_put(t, ": ");
	char *a = tty_read(t, NULL, false, err);
	if (a && !*a && def) {
		free(a);
		return xstrdup(def);
	}
	return a;
}

/* A yes/no question; def is the answer to an empty line. -1 on no answer. */
static int
ask_yes(struct tty *t, const char *question, bool def, struct qu_err *err)
{
	for (;;) {
		tty_put(t, question);
		tty_put(t, def ? " [Y/n]: " : " [y/N]: ");
		char *a = tty_read(t, NULL, false, err);
		if (!a)
			return -1;
		int r = !*a ? def : (a[0] == 'y' || a[0] == 'Y') ? 1 : (a[0] == 'n' || a[0] == 'N') ? 0 : -2;
		free(a);
		if (r >= 0)
			return r;
	}
}

/* Progress of discovery and the login check, on stderr. */
static void
progress(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	fputs("setup: ", stderr);
	fputs(key, stderr);
	fputs(" ", stderr);
	cli_print_safe(stderr, value, strlen(value));
	fputc('\n', stderr);
}

struct setup {
	struct cli_common c;
	bool yes;
	bool non_interactive; /* never asks, even with a terminal */
	struct tty tty;
	char *address;
	char *name;
	struct app_setup_servers sv;
	char *password_command;
	char *password; /* typed; wiped */
	bool store_password;
	char *path;
	/* auth = oauth2 */
	bool oauth2;
	const char *client_id, *client_secret;
	const char *device_url, *token_url; /* for testing */
};

static void
setup_clear(struct setup *s)
{
	if (s->tty.fd >= 0)
		close(s->tty.fd);
	free(s->address);
	free(s->name);
	app_setup_servers_clear(&s->sv);
	free(s->password_command);
	qu_free_secret(s->password);
	free(s->path);
}

/* The terminal, when there is one; asking needs it. */
static int
need_tty(struct setup *s, const char *what, struct qu_err *err)
{
	if (s->non_interactive)
		return qu_err_set(err, QU_E_USAGE, "--non-interactive: give %s", what);
	if (s->tty.fd < 0)
		s->tty.fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (s->tty.fd < 0)
		return qu_err_set(err, QU_E_USAGE, "no terminal to ask on: give %s", what);
	return 0;
}

/* "example" for alice@example.com: the first label of the domain. */
static char *
default_name(const char *address)
{
	const char *at = strrchr(address, '@');
	const char *d = at ? at + 1 : address;
	size_t n = strcspn(d, ".");
	return n ? xstrndup(d, n) : xstrdup("mail");
}

static int
get_address(struct setup *s, struct qu_err *err)
{
	if (!s->address) {
		if (need_tty(s, "ADDRESS", err) < 0)
			return -1;
		s->address = ask(&s->tty, "Mail address", NULL, err);
		if (!s->address)
			return -1;
	}
	char *a = cfg_from_address(s->address);
	bool ok = a && strchr(a, '@') && strrchr(a, '@')[1];
	free(a);
	if (!ok)
		return qu_err_set(err, QU_E_USAGE, "'%s' is not a mail address", s->address);
	char *def = default_name(s->address);
	if (s->c.o.account) {
		s->name = xstrdup(s->c.o.account);
		free(def);
	} else if (!s->yes && s->tty.fd >= 0) {
		s->name = ask(&s->tty, "Account name", def, err);
		free(def);
	} else {
		s->name = def;
	}
	return s->name ? 0 : -1;
}

/* Lets the user look at the servers found and change them. */
static int
confirm_servers(struct setup *s, struct qu_err *err)
{
	if (s->yes || s->tty.fd < 0)
		return 0;
	const char *in = s->sv.imap ? s->sv.imap : s->sv.pop3;
	tty_put(&s->tty, "Incoming: ");
	tty_put_safe(&s->tty, in);
	tty_put(&s->tty, "\nOutgoing: ");
	tty_put_safe(&s->tty, s->sv.smtp);
	tty_put(&s->tty, "\n");
	int r = ask_yes(&s->tty, "Use these servers?", true, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	char *url = ask(&s->tty, "Incoming server URL (imaps://... or pop3s://...)", in, err);
	if (!url)
		return -1;
	free(s->sv.imap);
	free(s->sv.pop3);
	s->sv.imap = s->sv.pop3 = NULL;
	if (qu_str_has_prefix_ci(url, "pop3"))
		s->sv.pop3 = url;
	else
		s->sv.imap = url;
	url = ask(&s->tty, "Outgoing server URL (smtps://... or smtp://...)", s->sv.smtp, err);
	if (!url)
		return -1;
	free(s->sv.smtp);
	s->sv.smtp = url;
	return 0;
}

static int
get_servers(struct setup *s, struct qu_err *err)
{
	if (s->c.o.imap)
		s->sv.imap = xstrdup(s->c.o.imap);
	else if (s->c.o.pop3)
		s->sv.pop3 = xstrdup(s->c.o.pop3);
	if (s->c.o.smtp)
		s->sv.smtp = xstrdup(s->c.o.smtp);
	/* Servers given as options are not asked about again. */
	if ((s->sv.imap || s->sv.pop3) && s->sv.smtp)
		return 0;
	{
		char *addr = cfg_from_address(s->address);
		struct app_setup_opts o = {.use_dns = true, .probe = true, .ca_file = s->c.o.ca_file};
		struct app_net net = {.timeout_s = s->c.o.timeout_s, .cancel = cli_cancel()};
		int rc = app_setup_discover(addr, &o, &net, &s->sv, progress, NULL, err);
		free(addr);
		if (rc < 0)
			return -1;
	}
	return confirm_servers(s, err);
}

static int
get_secret(struct setup *s, struct qu_err *err)
{
	const struct cfg_preset *p = cfg_preset_for(s->address);
	if (p && p->auth_code) {
		fputs("setup: note: ", stderr);
		fputs(p->hint, stderr);
		fputc('\n', stderr);
	}
	if (s->c.o.password_command) {
		s->password_command = xstrdup(s->c.o.password_command);
		return 0;
	}
	if (need_tty(s, "--password-command CMD", err) < 0)
		return -1;
	char *cmd = ask(&s->tty, "Password command (empty: type the password)", NULL, err);
	if (!cmd)
		return -1;
	if (*cmd) {
		s->password_command = cmd;
		return 0;
	}
	free(cmd);
	s->password = tty_read(&s->tty, p && p->auth_code ? "Authorization code: " : "Password: ",
			       true, err);
	if (!s->password)
		return -1;
	if (!*s->password)
		return qu_err_set(err, QU_E_USAGE, "no password given");
	return 0;
}

/* Shows the device code (RFC 8628 §3.3) on the terminal, else on stderr. */
static void
show_code(void *ctx, const char *uri, const char *code)
{
	struct setup *s = ctx;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, "To log in, open ");
	qu_buf_append_safe(&b, uri, strlen(uri), false);
	qu_buf_append_str(&b, " and enter the code ");
	qu_buf_append_safe(&b, code, strlen(code), false);
	qu_buf_append_str(&b, "\nWaiting for the login (Ctrl-C stops)...\n");
	if (s->tty.fd >= 0) {
		tty_put(&s->tty, b.data);
	} else {
		fputs(b.data, stderr);
		fflush(stderr);
	}
	qu_buf_clear(&b);
}

/* The account as the login check and the file see it. */
static void
fill_account(struct setup *s, struct cfg_account *a, char *addr)
{
	memset(a, 0, sizeof *a);
	a->name = s->name;
	a->from = s->address;
	a->imap = s->sv.imap;
	a->pop3 = s->sv.pop3;
	a->smtp = s->sv.smtp;
	a->user = s->c.o.user ? (char *)s->c.o.user : addr;
	a->password = s->password;
	a->password_command = s->password_command;
	a->ca_file = (char *)s->c.o.ca_file;
	a->imap_id = true;
	if (s->oauth2) {
		const struct cfg_preset *p = cfg_preset_for(s->address);
		a->auth = CFG_AUTH_OAUTH2;
		a->provider = p ? p->domain : NULL;
		a->oauth2.client_id = (char *)s->client_id;
		a->oauth2.client_secret = (char *)s->client_secret;
		a->oauth2.device_url = (char *)s->device_url;
		a->oauth2.token_url = (char *)s->token_url;
	}
}

/* Where the block goes, asking before replacing an account. *replace is
 * set when the account is there. */
static int
check_file(struct setup *s, bool *replace, struct qu_err *err)
{
	s->path = cfg_default_path(s->c.o.config);
	int has = cfg_file_has_account(s->path, s->name, err);
	if (has < 0)
		return -1;
	*replace = has > 0;
	if (has > 0 && !s->yes) {
		if (s->tty.fd < 0)
			return qu_err_set(err, QU_E_CONFIG, "%s: [account %s] exists: --yes replaces it",
					  s->path, s->name);
		int r = ask_yes(&s->tty, "The account exists in the config file. Replace it?", false,
				err);
		if (r < 0)
			return -1;
		if (r == 0)
			return qu_err_set(err, QU_E_CONFIG, "%s: [account %s] left as it was", s->path,
					  s->name);
	}
	if (!s->password)
		return 0;
	int r = ask_yes(&s->tty, "Store the password in the config file (mode 0600)?", false, err);
	if (r < 0)
		return -1;
	s->store_password = r == 1;
	struct stat st;
	if (s->store_password && stat(s->path, &st) == 0 && (st.st_mode & 077))
		return qu_err_set(err, QU_E_CONFIG,
				  "%s is readable by group or others: 'chmod 600' it first", s->path);
	return 0;
}

/* The block as written, each secret value replaced by asterisks, for the
 * user to see what went into the file. New string. */
static char *
masked_block(const char *text)
{
	static const char *const secret_keys[] = {"password", "oauth2_client_secret"};
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	while (*text) {
		size_t n = strcspn(text, "\n");
		size_t k = strcspn(text, " =\n");
		bool secret = false;
		for (size_t i = 0; i < sizeof secret_keys / sizeof secret_keys[0]; i++)
			secret |= k == strlen(secret_keys[i]) && !strncmp(text, secret_keys[i], k);
		if (secret && memchr(text, '=', n)) {
			qu_buf_append(&b, text, k);
			qu_buf_append_str(&b, " = ********");
		} else {
			qu_buf_append(&b, text, n);
		}
		qu_buf_append_byte(&b, '\n');
		text += n + (text[n] == '\n');
	}
	return qu_buf_steal(&b, NULL);
}

/* Prints text line by line, each made safe: a URL or name in it came from
 * the user, DNS or a server. */
static void
show_lines(const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		cli_print_safe(stdout, text, n);
		fputc('\n', stdout);
		text += n + (text[n] == '\n');
	}
}

/* Writes the block; *shown gets it with its secrets masked. */
static int
write_account(struct setup *s, const struct cfg_account *a, bool replace, char **shown,
	      struct qu_err *err)
{
	struct cfg_new_account n = {
		.name = s->name,
		.from = s->address,
		.imap = a->imap,
		.pop3 = a->pop3,
		.smtp = a->smtp,
		.user = a->user,
		.password_command = s->password_command,
		.password = s->store_password ? s->password : NULL,
		.ca_file = s->c.o.ca_file,
		.oauth2 = s->oauth2,
		.oauth2_client_id = s->client_id,
		.oauth2_client_secret = s->client_secret,
		.oauth2_device_url = s->device_url,
		.oauth2_token_url = s->token_url,
	};
	char *text = cfg_account_text(&n, err);
	if (!text)
		return -1;
	int rc = cfg_file_put_account(s->path, s->name, text, replace, err);
	if (rc == 0)
		*shown = masked_block(text);
	qu_free_secret(text);
	return rc;
}

static int
setup(struct setup *s, struct qu_err *err)
{
	if (get_address(s, err) < 0 || get_servers(s, err) < 0)
		return -1;
	if (!s->oauth2 && get_secret(s, err) < 0)
		return -1;
	char *addr = cfg_from_address(s->address);
	struct cfg_account a;
	fill_account(s, &a, addr);
	struct app_net net = cli_net(&s->c);
	bool replace = false;
	char *shown = NULL;
	int rc = 0;
	if (s->oauth2) {
		/* The terminal, when there is one, shows the code. */
		if (s->tty.fd < 0 && !s->non_interactive)
			s->tty.fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
		rc = app_oauth2_device_login(&a, &net, show_code, s, err);
	}
	if (rc == 0)
		rc = app_setup_check(&a, &net, progress, NULL, err);
	if (rc < 0) {
		const struct cfg_preset *p = cfg_preset_for(s->address);
		if (p && err->cls == QU_E_AUTH)
			qu_err_prefix(err, "%s", p->hint);
	}
	if (rc == 0)
		rc = check_file(s, &replace, err);
	if (rc == 0)
		rc = write_account(s, &a, replace, &shown, err);
	if (rc == 0) {
		printf("%s [account ", replace ? "replaced" : "added");
		cli_print_safe(stdout, s->name, strlen(s->name));
		fputs("] in ", stdout);
		cli_print_safe(stdout, s->path, strlen(s->path));
		fputc('\n', stdout);
		show_lines(shown);
		if (s->password && !s->store_password)
			puts("the password was not stored: add password_command = CMD to the account");
	}
	free(shown);
	free(addr);
	return rc;
}

enum {
	OPT_YES = CLI_OPT_FIRST_OWN,
	OPT_NON_INTERACTIVE,
	OPT_OAUTH2,
	OPT_CLIENT_ID,
	OPT_CLIENT_SECRET,
	OPT_DEVICE_URL,
	OPT_TOKEN_URL,
};

static int
run(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"yes", no_argument, NULL, OPT_YES},
		{"non-interactive", no_argument, NULL, OPT_NON_INTERACTIVE},
		{"oauth2", no_argument, NULL, OPT_OAUTH2},
		{"oauth2-client-id", required_argument, NULL, OPT_CLIENT_ID},
		{"oauth2-client-secret", required_argument, NULL, OPT_CLIENT_SECRET},
		/* For testing against a local server; not in --help. */
		{"oauth2-device-url", required_argument, NULL, OPT_DEVICE_URL},
		{"oauth2-token-url", required_argument, NULL, OPT_TOKEN_URL},
		{NULL, 0, NULL, 0},
	};
	struct setup s;
	memset(&s, 0, sizeof s);
	s.tty.fd = -1;
	cli_common_init(&s.c);
	struct qu_err err;
	qu_err_clear(&err);
	int opt;
	while ((opt = getopt_long(argc, argv, "vy", longopts, NULL)) != -1) {
		int r = cli_common_opt(&s.c, opt, optarg, &err);
		if (r < 0)
			return cli_usage_error("setup", "%s", err.msg);
		if (r > 0)
			continue;
		switch (opt) {
		case 'y':
		case OPT_YES:
			s.yes = true;
			break;
		case OPT_NON_INTERACTIVE:
			s.non_interactive = true;
			break;
		case OPT_OAUTH2:
			s.oauth2 = true;
			break;
		case OPT_CLIENT_ID:
			s.client_id = optarg;
			break;
		case OPT_CLIENT_SECRET:
			s.client_secret = optarg;
			break;
		case OPT_DEVICE_URL:
			s.device_url = optarg;
			break;
		case OPT_TOKEN_URL:
			s.token_url = optarg;
			break;
		case CLI_OPT_HELP:
			help(stdout);
			return 0;
		default:
			return cli_bad_option("setup", optopt, argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("setup", "unexpected argument '%s'", argv[optind + 1]);
	if (s.c.o.imap && s.c.o.pop3)
		return cli_usage_error("setup", "give --imap or --pop3, not both");
	if (s.oauth2 && !s.client_id)
		return cli_usage_error("setup", "--oauth2 needs --oauth2-client-id ID");
	if (s.oauth2 && s.c.o.password_command)
		return cli_usage_error("setup", "give --oauth2 or --password-command, not both");
	if ((s.device_url || s.token_url || s.client_secret) && !s.oauth2)
		return cli_usage_error("setup", "the --oauth2-* options need --oauth2");
	if (optind < argc)
		s.address = xstrdup(argv[optind]);
	int rc = setup(&s, &err);
	setup_clear(&s);
	fflush(stdout);
	return rc < 0 ? cli_fail(&err) : 0;
}

const struct cli_command cli_setup = {
	.name = "setup",
	.summary = "add an account: find its servers, check the login, write the config",
	.run = run,
	.help = help,
};
