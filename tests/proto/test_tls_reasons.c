/* Why a TLS handshake failed, as code tests it: reason tls-certificate
 * with a stable code. The server is GnuTLS in a child process with a
 * certificate made here (ECDSA, signed by itself), trusted or not by the
 * client's ca_file. */
#include <arpa/inet.h>
#include <check.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"

struct cert {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	char ca_path[32]; /* the certificate as PEM, for a client to trust */
};

/* A self-signed certificate for dns (and 127.0.0.1 when ip), valid from
 * from to until (seconds from now). */
static void
cert_make(struct cert *c, const char *dns, bool ip, long from, long until)
{
	ck_assert_int_eq(gnutls_x509_privkey_init(&c->key), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(c->key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&c->crt), 0);
	gnutls_x509_crt_set_version(c->crt, 3);
	gnutls_x509_crt_set_serial(c->crt, "\x01", 1);
	time_t now = time(NULL);
	gnutls_x509_crt_set_activation_time(c->crt, now + from);
	gnutls_x509_crt_set_expiration_time(c->crt, now + until);
	gnutls_x509_crt_set_dn_by_oid(c->crt, GNUTLS_OID_X520_COMMON_NAME, 0, dns, strlen(dns));
	gnutls_x509_crt_set_subject_alt_name(c->crt, GNUTLS_SAN_DNSNAME, dns, strlen(dns),
					     GNUTLS_FSAN_SET);
	if (ip) {
		unsigned char lo[4] = {127, 0, 0, 1};
		gnutls_x509_crt_set_subject_alt_name(c->crt, GNUTLS_SAN_IPADDRESS, lo, 4,
						     GNUTLS_FSAN_APPEND);
	}
	gnutls_x509_crt_set_basic_constraints(c->crt, 1, -1);
	gnutls_x509_crt_set_key_usage(c->crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN);
	gnutls_x509_crt_set_key(c->crt, c->key);
	ck_assert_int_eq(gnutls_x509_crt_sign2(c->crt, c->crt, c->key, GNUTLS_DIG_SHA256, 0), 0);
	gnutls_datum_t pem;
	ck_assert_int_eq(gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_PEM, &pem), 0);
	snprintf(c->ca_path, sizeof c->ca_path, "/tmp/quail-tls-XXXXXX");
	int fd = mkstemp(c->ca_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, pem.data, pem.size), (ssize_t)pem.size);
	close(fd);
	gnutls_free(pem.data);
}

static void
cert_free(struct cert *c)
{
	unlink(c->ca_path);
	gnutls_x509_crt_deinit(c->crt);
	gnutls_x509_privkey_deinit(c->key);
}

/* A child that accepts one connection and runs the server side of the
 * handshake with c; *port gets its port. */
static pid_t
serve(struct cert *c, uint16_t *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	socklen_t sl = sizeof sa;
	getsockname(l, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid > 0) {
		close(l);
		return pid;
	}
	alarm(10);
	int fd = accept(l, NULL, NULL);
	gnutls_certificate_credentials_t cred;
	gnutls_certificate_allocate_credentials(&cred);
	gnutls_certificate_set_x509_key(cred, &c->crt, 1, c->key);
	gnutls_session_t s;
	gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_transport_set_int(s, fd);
	int r;
	do
		r = gnutls_handshake(s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	/* Wait for the client to hang up. */
	char b[64];
	while (read(fd, b, sizeof b) > 0)
		;
	_exit(0);
}

/* Connects with implicit TLS trusting ca; returns the error. */
static struct qu_err
try_connect(struct cert *server, const char *ca)
{
	uint16_t port;
	pid_t pid = serve(server, &port);
	struct net_opts o = {.timeout_ms = 5000, .ca_file = ca};
	struct qu_err err;
	qu_err_clear(&err);
	struct net_conn *c = net_connect("127.0.0.1", port, NET_TLS_IMPLICIT, &o, &err);
	net_conn_free(c);
	/* SIGKILL: the runner's SIGTERM handler would end the whole group. */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return err;
}

START_TEST(test_cert_reasons)
{
	struct cert good, expired, wrong, other;
	cert_make(&good, "localhost", true, -3600, 86400);
	cert_make(&expired, "localhost", true, -86400 * 2, -86400);
	cert_make(&wrong, "other.example", false, -3600, 86400);
	cert_make(&other, "unrelated.example", false, -3600, 86400);

	struct qu_err e = try_connect(&good, good.ca_path);
	ck_assert_msg(e.cls == QU_E_OK, "%s", e.msg);

	e = try_connect(&expired, expired.ca_path);
	ck_assert_int_eq(e.cls, QU_E_TLS);
	ck_assert_msg(qu_err_code_is(&e, QU_R_TLS_CERT, "expired"), "%s %s: %s",
		      qu_err_reason_name(e.reason), e.code, e.msg);
	ck_assert_ptr_nonnull(strstr(e.msg, "certificate has expired"));

	e = try_connect(&wrong, wrong.ca_path);
	ck_assert_msg(qu_err_code_is(&e, QU_R_TLS_CERT, "name-mismatch"), "%s %s: %s",
		      qu_err_reason_name(e.reason), e.code, e.msg);

	/* Signed by a key the client does not trust. */
	e = try_connect(&good, other.ca_path);
	ck_assert_msg(qu_err_code_is(&e, QU_R_TLS_CERT, "unknown-issuer"), "%s %s: %s",
		      qu_err_reason_name(e.reason), e.code, e.msg);

	cert_free(&good);
	cert_free(&expired);
	cert_free(&wrong);
	cert_free(&other);
}
END_TEST

Suite *tls_reasons_suite(void);

Suite *
tls_reasons_suite(void)
{
	Suite *s = suite_create("tls-reasons");
	TCase *tc = tcase_create("certificates");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cert_reasons);
	suite_add_tcase(s, tc);
	return s;
}
