/*
 * fakeserver: a misbehaving mail server for the integration tests.
 *
 * It listens on 127.0.0.1 only, prints "port N" on stdout once it listens,
 * and acts out one scenario for every connection it accepts, one connection
 * at a time. Every line it receives is appended to the log file (-l) as
 * "C: line", every line it sends as "S: line", so a test can check what a
 * client sent (for example that no password crossed a plaintext link).
 *
 *   fakeserver [-p PORT] [-l LOG] [-t SECONDS] SCENARIO [ARG]
 *   fakeserver ports N          print N free loopback ports and exit
 *
 * Scenarios:
 *   close              accept, then close at once (clean FIN, no data)
 *   greet-close LINE   send LINE, then close
 *   silent             send nothing; hold the connection until the client
 *                      closes it or 60 s pass
 *   nostarttls PROTO   a plaintext imap|pop3|smtp server that offers
 *                      AUTH but not STARTTLS/STLS, and refuses every login
 *   script FILE        play FILE: "S: text" sends a line, "C: text" reads a
 *                      line (logged, "!! expected" on a mismatch), "data"
 *                      reads lines up to a "." line, "sleep N",
 *                      "close"; '#' starts a comment line
 *
 * Everything is bounded: the process ends after -t seconds (default 120)
 * through alarm(), and every read waits at most 30 s.
 *
 * Test-only code: it depends on nothing in src/.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 8192
#define READ_TIMEOUT_MS 30000
#define SILENT_HOLD_MS 60000
#define DRAIN_MS 2000

struct conn {
	int fd;
	FILE *log;	/* NULL: no log */
	char buf[LINE_MAX_LEN];
	size_t len;
};

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fakeserver: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void
log_line(struct conn *c, const char *who, const char *p, size_t len)
{
	if (c->log == NULL)
		return;
	fprintf(c->log, "%s%.*s\n", who, (int)len, p);
	fflush(c->log);
}

static int
listen_loopback(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind 127.0.0.1:%d: %s", port, strerror(errno));
	if (listen(fd, 16) < 0)
		die("listen: %s", strerror(errno));
	return fd;
}

static int
bound_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		die("getsockname: %s", strerror(errno));
	return ntohs(sa.sin_port);
}

/* Bind all N sockets before closing any, so the N ports differ. */
static int
print_free_ports(int n)
{
	int fds[64];

	if (n < 1 || n > 64)
		die("ports: N must be 1..64");
	for (int i = 0; i < n; i++)
		fds[i] = listen_loopback(0);
	for (int i = 0; i < n; i++) {
		printf("%d\n", bound_port(fds[i]));
		close(fds[i]);
	}
	return 0;
}

static void
send_line(struct conn *c, const char *line)
{
	size_t len = strlen(line);
	char out[LINE_MAX_LEN + 2];

	if (len > LINE_MAX_LEN)
		len = LINE_MAX_LEN;
	memcpy(out, line, len);
	memcpy(out + len, "\r\n", 2);
	log_line(c, "S: ", line, len);
	for (size_t off = 0; off < len + 2;) {
		ssize_t n = write(c->fd, out + off, len + 2 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/*
 * Read one line (without CR LF) into line. Returns its length, or -1 on
 * EOF, error or after timeout_ms without a complete line.
 */
static long
read_line(struct conn *c, char *line, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (nl != NULL || c->len == sizeof(c->buf)) {
			size_t take = nl ? (size_t)(nl - c->buf) + 1 : c->len;
			size_t ll = take;

			while (ll > 0 && (c->buf[ll - 1] == '\n' || c->buf[ll - 1] == '\r'))
				ll--;
			memcpy(line, c->buf, ll);
			line[ll] = '\0';
			memmove(c->buf, c->buf + take, c->len - take);
			c->len -= take;
			log_line(c, "C: ", line, ll);
			return (long)ll;
		}
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (c->len > 0)	/* log a last partial line */
				log_line(c, "C: ", c->buf, c->len);
			c->len = 0;
			return -1;
		}
		c->len += (size_t)n;
	}
}

/*
 * Half-close, then read (and log) until the client closes or ms pass, so
 * the client sees a clean end of stream rather than a reset caused by
 * unread data (for instance a TLS ClientHello).
 */
static void
finish(struct conn *c, int ms)
{
	char line[LINE_MAX_LEN + 1];

	shutdown(c->fd, SHUT_WR);
	while (read_line(c, line, ms) >= 0)
		;
}

/* Case-insensitive: does word start the string, followed by end or space? */
static bool
is_cmd(const char *s, const char *word)
{
	size_t n = strlen(word);

	return strncasecmp(s, word, n) == 0 && (s[n] == '\0' || s[n] == ' ');
}

static void
play_imap(struct conn *c)
{
	char line[LINE_MAX_LEN + 1], out[LINE_MAX_LEN + 64];

	send_line(c, "* OK fake IMAP server ready");
	while (read_line(c, line, READ_TIMEOUT_MS) >= 0) {
		char *sp = strchr(line, ' ');
		const char *cmd = sp ? sp + 1 : "";

		if (sp)
			*sp = '\0';
		if (is_cmd(cmd, "CAPABILITY")) {
			send_line(c, "* CAPABILITY IMAP4rev1 AUTH=PLAIN");
			snprintf(out, sizeof(out), "%s OK CAPABILITY completed", line);
		} else if (is_cmd(cmd, "NOOP")) {
			snprintf(out, sizeof(out), "%s OK NOOP completed", line);
		} else if (is_cmd(cmd, "LOGOUT")) {
			send_line(c, "* BYE logging out");
			snprintf(out, sizeof(out), "%s OK LOGOUT completed", line);
			send_line(c, out);
			return;
		} else if (is_cmd(cmd, "LOGIN") || is_cmd(cmd, "AUTHENTICATE")) {
			snprintf(out, sizeof(out), "%s NO [AUTHENTICATIONFAILED] no logins here",
			    line);
		} else {
			snprintf(out, sizeof(out), "%s BAD command not supported", line);
		}
		send_line(c, out);
	}
}

static void
play_pop3(struct conn *c)
{
	char line[LINE_MAX_LEN + 1];

	send_line(c, "+OK fake POP3 server ready");
	while (read_line(c, line, READ_TIMEOUT_MS) >= 0) {
		if (is_cmd(line, "CAPA")) {
			send_line(c, "+OK capability list follows");
			send_line(c, "USER");
			send_line(c, "SASL PLAIN");
			send_line(c, "UIDL");
			send_line(c, ".");
		} else if (is_cmd(line, "QUIT")) {
			send_line(c, "+OK bye");
			return;
		} else {
			send_line(c, "-ERR command not supported");
		}
	}
}

static void
play_smtp(struct conn *c)
{
	char line[LINE_MAX_LEN + 1];

	send_line(c, "220 fake.example.test ESMTP fake server ready");
	while (read_line(c, line, READ_TIMEOUT_MS) >= 0) {
		if (is_cmd(line, "EHLO")) {
			send_line(c, "250-fake.example.test");
			send_line(c, "250-AUTH PLAIN LOGIN");
			send_line(c, "250-8BITMIME");
			send_line(c, "250 SIZE 10485760");
		} else if (is_cmd(line, "HELO")) {
			send_line(c, "250 fake.example.test");
		} else if (is_cmd(line, "QUIT")) {
			send_line(c, "221 2.0.0 bye");
			return;
		} else if (is_cmd(line, "AUTH")) {
			send_line(c, "535 5.7.8 no logins here");
		} else {
			send_line(c, "502 5.5.2 command not supported");
		}
	}
}

static void
play_script(struct conn *c, const char *path)
{
	char step[LINE_MAX_LEN + 1], line[LINE_MAX_LEN + 1];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "fakeserver: %s: %s\n", path, strerror(errno));
		return;
	}
	while (fgets(step, sizeof(step), f) != NULL) {
		step[strcspn(step, "\r\n")] = '\0';
		if (step[0] == '#' || step[0] == '\0') {
			continue;
		} else if (strncmp(step, "S: ", 3) == 0) {
			send_line(c, step + 3);
		} else if (strncmp(step, "C:", 2) == 0) {
			const char *want = step[2] == ' ' ? step + 3 : step + 2;

			if (read_line(c, line, READ_TIMEOUT_MS) < 0) {
				log_line(c, "!! eof, expected ", want, strlen(want));
				break;
			}
			if (want[0] != '\0' && strcmp(line, want) != 0)
				log_line(c, "!! expected ", want, strlen(want));
		} else if (strcmp(step, "data") == 0) {
			/* the message after DATA, up to its "." line */
			do {
				if (read_line(c, line, READ_TIMEOUT_MS) < 0) {
					log_line(c, "!! eof, expected ", ".", 1);
					break;
				}
			} while (strcmp(line, ".") != 0);
		} else if (strncmp(step, "sleep ", 6) == 0) {
			struct timespec ts = { .tv_sec = atoi(step + 6) };

			nanosleep(&ts, NULL);
		} else if (strcmp(step, "close") == 0) {
			break;
		} else {
			fprintf(stderr, "fakeserver: %s: bad step: %s\n", path, step);
		}
	}
	fclose(f);
}

static void
serve(struct conn *c, const char *scenario, const char *arg)
{
	if (strcmp(scenario, "close") == 0) {
		/* nothing to say */
	} else if (strcmp(scenario, "greet-close") == 0) {
		send_line(c, arg);
	} else if (strcmp(scenario, "silent") == 0) {
		char line[LINE_MAX_LEN + 1];

		/* no shutdown: the client must see an open, mute connection */
		while (read_line(c, line, SILENT_HOLD_MS) >= 0)
			;
		return;
	} else if (strcmp(scenario, "nostarttls") == 0) {
		if (strcmp(arg, "imap") == 0)
			play_imap(c);
		else if (strcmp(arg, "pop3") == 0)
			play_pop3(c);
		else
			play_smtp(c);
	} else {
		play_script(c, arg);
	}
	finish(c, DRAIN_MS);
}

static void
usage(void)
{
	fputs("usage: fakeserver [-p PORT] [-l LOG] [-t SECONDS] SCENARIO [ARG]\n"
	      "       fakeserver ports N\n"
	      "scenarios: close | greet-close LINE | silent | nostarttls imap|pop3|smtp"
	      " | script FILE\n", stderr);
	exit(64);
}

int
main(int argc, char **argv)
{
	const char *scenario, *arg = "";
	FILE *log = NULL;
	int opt, port = 0, lifetime = 120, lfd;
	unsigned long nconn = 0;

	while ((opt = getopt(argc, argv, "p:l:t:")) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'l':
			log = fopen(optarg, "a");
			if (log == NULL)
				die("%s: %s", optarg, strerror(errno));
			break;
		case 't':
			lifetime = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	scenario = argv[optind];
	if (optind + 1 < argc)
		arg = argv[optind + 1];
	if (strcmp(scenario, "ports") == 0)
		return print_free_ports(atoi(arg));
	if (strcmp(scenario, "close") != 0 && strcmp(scenario, "silent") != 0 &&
	    strcmp(scenario, "greet-close") != 0 && strcmp(scenario, "nostarttls") != 0 &&
	    strcmp(scenario, "script") != 0)
		usage();
	if (strcmp(scenario, "nostarttls") == 0 && strcmp(arg, "imap") != 0 &&
	    strcmp(arg, "pop3") != 0 && strcmp(arg, "smtp") != 0)
		usage();
	if ((strcmp(scenario, "greet-close") == 0 || strcmp(scenario, "script") == 0) &&
	    arg[0] == '\0')
		usage();

	signal(SIGPIPE, SIG_IGN);
	alarm(lifetime > 0 ? (unsigned)lifetime : 120);
	lfd = listen_loopback(port);
	printf("port %d\n", bound_port(lfd));
	fflush(stdout);

	for (;;) {
		struct conn c = { .log = log };
		char note[64];

		c.fd = accept(lfd, NULL, NULL);
		if (c.fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept: %s", strerror(errno));
		}
		snprintf(note, sizeof(note), "connection %lu", ++nconn);
		log_line(&c, "-- ", note, strlen(note));
		serve(&c, scenario, arg);
		close(c.fd);
		log_line(&c, "-- ", "closed", 6);
	}
}
