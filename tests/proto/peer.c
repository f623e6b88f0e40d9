#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "peer.h"

static int
read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r <= 0)
			return -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static void
send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r <= 0)
			return;
		p += r;
		n -= (size_t)r;
	}
}

/* Answers a SCRAM client-first message, the last word of the client's
 * line, with a server-first message for it (RFC 5802 §5.1): the client's
 * nonce must come back, so no fixed script line can. */
static int
scram_first(int fd, const char *prefix, char *line, size_t cap)
{
	if (read_line(fd, line, cap) < 0) {
		fprintf(stderr, "peer: client closed; expected a SCRAM client-first message\n");
		return 1;
	}
	const char *sp = strrchr(line, ' ');
	const char *b64 = sp ? sp + 1 : line;
	char *raw = NULL;
	size_t n;
	const char *nonce = NULL;
	if (qu_base64_decode(b64, strlen(b64), &raw, &n) == 0)
		nonce = strstr(raw, ",r=");
	if (!nonce) {
		fprintf(stderr, "peer: not a SCRAM client-first message: \"%s\"\n", line);
		free(raw);
		return 1;
	}
	nonce += 3;
	char *first = xasprintf("r=%.*speer,s=c2FsdA==,i=4096", (int)strcspn(nonce, ","), nonce);
	char *out = qu_base64_encode(first, strlen(first), NULL);
	send_all(fd, prefix, strlen(prefix));
	send_all(fd, out, strlen(out));
	send_all(fd, "\r\n", 2);
	free(out);
	free(first);
	free(raw);
	return 0;
}

static int
play(int fd, const char *const *script)
{
	char line[65536];
	for (const char *const *s = script; *s; s++) {
		const char *l = *s;
		if (strncmp(l, "S:", 2) == 0) {
			send_all(fd, l + 2, strlen(l + 2));
			send_all(fd, "\r\n", 2);
		} else if (strncmp(l, "R:", 2) == 0) {
			send_all(fd, l + 2, strlen(l + 2));
		} else if (strncmp(l, "C:", 2) == 0 || strcmp(l, "C*") == 0) {
			if (read_line(fd, line, sizeof line) < 0) {
				fprintf(stderr, "peer: client closed; expected \"%s\"\n", l + 2);
				return 1;
			}
			if (l[1] == ':' && strcmp(line, l + 2) != 0) {
				fprintf(stderr, "peer: expected \"%s\", got \"%s\"\n", l + 2, line);
				return 1;
			}
		} else if (strncmp(l, "SCRAM:", 6) == 0) {
			if (scram_first(fd, l + 6, line, sizeof line) != 0)
				return 1;
		} else if (strncmp(l, "SLEEP:", 6) == 0) {
			long ms = atol(l + 6);
			struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
			nanosleep(&ts, NULL);
		} else if (strcmp(l, "CLOSE") == 0) {
			close(fd);
			return 0;
		} else if (strcmp(l, "NOMORE") == 0) {
			char c;
			ssize_t r = read(fd, &c, 1);
			if (r > 0) {
				read_line(fd, line, sizeof line);
				fprintf(stderr, "peer: client sent more: \"%c%s\"\n", c, line);
				return 1;
			}
		}
	}
	return 0;
}

void
peer_start(struct peer *p, const char *const *script)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0) {
		perror("peer: bind");
		exit(2);
	}
	socklen_t len = sizeof a;
	getsockname(ls, (struct sockaddr *)&a, &len);
	p->port = ntohs(a.sin_port);
	fflush(NULL);
	p->pid = fork();
	if (p->pid == 0) {
		alarm(20);
		signal(SIGPIPE, SIG_IGN);
		int fd = accept(ls, NULL, NULL);
		close(ls);
		if (fd < 0)
			_exit(2);
		int rc = play(fd, script);
		_exit(rc);
	}
	close(ls);
}

int
peer_finish(struct peer *p)
{
	int st = 0;
	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	fprintf(stderr, "peer: script did not finish\n");
	return 1;
}
