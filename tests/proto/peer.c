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

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "util/util.h"
#include "peer.h"

/* The peer's TLS session once a "TLS" step has run (child only), and the
 * files peer_tls_ca made. */
static gnutls_session_t tls_s;
static char tls_dir[64], tls_cert[96], tls_key[96];

static ssize_t
io_read(int fd, void *p, size_t n)
{
	if (!tls_s)
		return read(fd, p, n);
	ssize_t r;
	do
		r = gnutls_record_recv(tls_s, p, n);
	while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	return r;
}

static ssize_t
io_write(int fd, const void *p, size_t n)
{
	if (!tls_s)
		return write(fd, p, n);
	ssize_t r;
	do
		r = gnutls_record_send(tls_s, p, n);
	while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	return r;
}

static int
read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		char c;
		ssize_t r = io_read(fd, &c, 1);
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
		ssize_t r = io_write(fd, p, n);
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

/* The server side of a TLS handshake with peer_tls_ca's certificate. */
static int
tls_server(int fd)
{
	gnutls_certificate_credentials_t cred;
	gnutls_certificate_allocate_credentials(&cred);
	if (!tls_cert[0] ||
	    gnutls_certificate_set_x509_key_file(cred, tls_cert, tls_key, GNUTLS_X509_FMT_PEM) < 0) {
		fprintf(stderr, "peer: no certificate for TLS (call peer_tls_ca)\n");
		return 1;
	}
	gnutls_init(&tls_s, GNUTLS_SERVER);
	gnutls_set_default_priority(tls_s);
	gnutls_credentials_set(tls_s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_transport_set_int(tls_s, fd);
	int r;
	do
		r = gnutls_handshake(tls_s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		fprintf(stderr, "peer: TLS handshake: %s\n", gnutls_strerror(r));
		return 1;
	}
	return 0;
}

static int
write_pem(const char *path, const gnutls_datum_t *d)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = fwrite(d->data, 1, d->size, f) == d->size ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

static void
tls_cleanup(void)
{
	unlink(tls_cert);
	unlink(tls_key);
	rmdir(tls_dir);
}

const char *
peer_tls_ca(void)
{
	if (tls_cert[0])
		return tls_cert;
	snprintf(tls_dir, sizeof tls_dir, "/tmp/quail-peer.XXXXXX");
	if (!mkdtemp(tls_dir))
		abort();
	snprintf(tls_cert, sizeof tls_cert, "%s/cert.pem", tls_dir);
	snprintf(tls_key, sizeof tls_key, "%s/key.pem", tls_dir);
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_init(&key);
	gnutls_x509_crt_init(&crt);
	time_t now = time(NULL);
	static const unsigned char ip[4] = {127, 0, 0, 1};
	unsigned char serial[1] = {1};
	gnutls_datum_t cd = {NULL, 0}, kd = {NULL, 0};
	if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof serial) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 86400) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "127.0.0.1", 9) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, sizeof ip,
						 GNUTLS_FSAN_SET) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 1, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
						    GNUTLS_KEY_KEY_CERT_SIGN) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cd) < 0 ||
	    gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kd) < 0 ||
	    write_pem(tls_cert, &cd) < 0 || write_pem(tls_key, &kd) < 0) {
		fprintf(stderr, "peer: cannot make a test certificate\n");
		abort();
	}
	gnutls_free(cd.data);
	gnutls_free(kd.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	atexit(tls_cleanup);
	return tls_cert;
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
		} else if (strncmp(l, "TRICKLE:", 8) == 0) {
			/* "TRICKLE:ms:text": text and CRLF, a byte every ms */
			char *colon;
			long ms = strtol(l + 8, &colon, 10);
			const char *t = *colon == ':' ? colon + 1 : colon;
			char *all = xasprintf("%s\r\n", t);
			struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
			for (const char *c = all; *c; c++) {
				if (io_write(fd, c, 1) != 1)
					break; /* the client gave up */
				nanosleep(&ts, NULL);
			}
			free(all);
		} else if (strcmp(l, "TLS") == 0) {
			if (tls_server(fd) != 0)
				return 1;
		} else if (strcmp(l, "CLOSE") == 0) {
			close(fd);
			return 0;
		} else if (strcmp(l, "NOMORE") == 0) {
			char c;
			ssize_t r = io_read(fd, &c, 1);
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
