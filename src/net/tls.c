#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "net/gnutls_lib.h"
#include "net/private.h"

/* TLS 1.2 is the floor; GnuTLS's NORMAL set otherwise (RFC 8996, RFC 8314 §4.1). */
#define PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* GnuTLS's functions. Every path here starts from net_tls_start or
 * net_tls_library_version, which open the library (gnutls_lib.c) or fail
 * first; after that this only reads the loaded table. */
static const struct net_gnutls *
gt(void)
{
	return net_gnutls_load(NULL);
}

struct net_tls {
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	bool shared_cred; /* the process's system-store credentials: not ours */
	bool up;          /* the handshake succeeded */
};

/* The system trust store, loaded once per process: parsing ~150 CA
 * certificates costs tens of milliseconds of CPU that no cancel can
 * interrupt, and credentials may be shared by any number of sessions and
 * threads once set up. Kept until exit. */
static pthread_once_t system_once = PTHREAD_ONCE_INIT;
static gnutls_certificate_credentials_t system_cred;
static int system_rc;

static void
load_system_trust(void)
{
	system_rc = gt()->certificate_allocate_credentials(&system_cred);
	if (system_rc < 0)
		return;
	system_rc = gt()->certificate_set_x509_system_trust(system_cred);
	if (system_rc <= 0) {
		gt()->certificate_free_credentials(system_cred);
		system_cred = NULL;
	}
}

/* After a would-block, waits for the direction GnuTLS needs. */
static int
tls_wait(struct net_conn *c, struct qu_err *err)
{
	short ev = gt()->record_get_direction(c->tls->s) ? POLLOUT : POLLIN;
	return net_wait(c, ev, err);
}

static int
tls_io_error(int r, struct qu_err *err)
{
	if (r == GNUTLS_E_PREMATURE_TERMINATION || r == GNUTLS_E_PULL_ERROR ||
	    r == GNUTLS_E_PUSH_ERROR)
		qu_err_set(err, QU_E_TEMPFAIL, "connection closed by server");
	else
		/* A stream cut inside a record shows up as a decoding error; to
		 * the user it is the same lost connection. */
		qu_err_set(err, QU_E_TEMPFAIL, "connection lost (TLS: %s)", gt()->strerror(r));
	return qu_err_reason(err, QU_R_CONN_LOST, NULL);
}

static ssize_t
tls_read(struct net_conn *c, void *p, size_t n, struct qu_err *err)
{
	for (;;) {
		ssize_t r = gt()->record_recv(c->tls->s, p, n);
		if (r >= 0)
			return r;
		if (r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r == GNUTLS_E_AGAIN) {
			if (tls_wait(c, err) < 0)
				return -1;
			continue;
		}
		/* A peer that closes without close_notify has still ended the stream;
		 * the protocols above frame their data, so treat it as end of stream. */
		if (r == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		if (!gt()->error_is_fatal((int)r))
			continue;
		return tls_io_error((int)r, err);
	}
}

static ssize_t
tls_write(struct net_conn *c, const void *p, size_t n, struct qu_err *err)
{
	for (;;) {
		ssize_t r = gt()->record_send(c->tls->s, p, n);
		if (r >= 0)
			return r;
		if (r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r == GNUTLS_E_AGAIN) {
			if (tls_wait(c, err) < 0)
				return -1;
			/* GnuTLS wants the same call repeated with the same data. */
			continue;
		}
		return tls_io_error((int)r, err);
	}
}

static void
tls_free(struct net_tls *t)
{
	if (!t)
		return;
	if (t->s)
		gt()->deinit(t->s);
	if (t->cred && !t->shared_cred)
		gt()->certificate_free_credentials(t->cred);
	free(t);
}

/* Hands the session to c->resume->save when it can be resumed: in TLS
 * 1.3 only once the server sent a ticket (RFC 8446 §4.6.1), which comes
 * after the handshake, so this waits for the close. */
static void
tls_save_session(struct net_conn *c)
{
	gnutls_session_t s = c->tls->s;
	if (!c->resume || !c->resume->save)
		return;
	if (gt()->protocol_get_version(s) == GNUTLS_TLS1_3 &&
	    !(gt()->session_get_flags(s) & GNUTLS_SFLAGS_SESSION_TICKET))
		return;
	gnutls_datum_t d = {0};
	if (gt()->session_get_data2(s, &d) == 0 && d.size > 0)
		c->resume->save(c->resume->ctx, d.data, d.size);
	net_gnutls_free(gt(), d.data);
}

static void
tls_close(struct net_conn *c)
{
	if (!c->tls)
		return;
	if (c->tls->up)
		tls_save_session(c);
	/* One non-blocking attempt at close_notify; never wait for the peer. */
	gt()->bye(c->tls->s, GNUTLS_SHUT_WR);
	tls_free(c->tls);
	c->tls = NULL;
}

const struct net_transport net_tls_transport = {
	.name = "tls",
	.read = tls_read,
	.write = tls_write,
	.close = tls_close,
};

bool
net_is_ip_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* The first reason of a verification status as a stable word for code that
 * decides (struct qu_err's code); the message keeps every reason. */
static const char *
cert_code(unsigned st)
{
	static const struct {
		unsigned flag;
		const char *code;
	} codes[] = {
		{GNUTLS_CERT_EXPIRED, "expired"},
		{GNUTLS_CERT_NOT_ACTIVATED, "not-yet-valid"},
		{GNUTLS_CERT_UNEXPECTED_OWNER, "name-mismatch"},
		{GNUTLS_CERT_REVOKED, "revoked"},
		{GNUTLS_CERT_SIGNER_NOT_FOUND, "unknown-issuer"},
		{GNUTLS_CERT_SIGNER_NOT_CA, "issuer-not-ca"},
		{GNUTLS_CERT_INSECURE_ALGORITHM, "insecure-algorithm"},
		{GNUTLS_CERT_SIGNATURE_FAILURE, "bad-signature"},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(codes); i++)
		if (st & codes[i].flag)
			return codes[i].code;
	return "invalid";
}

/* Names why verification failed, in the words SPEC §1 asks for. */
static int
verify_error(struct net_conn *c, struct qu_err *err)
{
	unsigned st = gt()->session_get_verify_cert_status(c->tls->s);
	char why[512] = "";
	size_t n = 0;
#define WHY(flag, text)                                                                          \
	if (st & (flag))                                                                         \
	n += (size_t)snprintf(why + n, n < sizeof why ? sizeof why - n : 0, "%s%s", n ? "; " : "", \
			      text)
	WHY(GNUTLS_CERT_EXPIRED, "certificate has expired");
	WHY(GNUTLS_CERT_NOT_ACTIVATED, "certificate is not yet valid");
	WHY(GNUTLS_CERT_SIGNER_NOT_FOUND, "certificate issuer is unknown");
	WHY(GNUTLS_CERT_SIGNER_NOT_CA, "certificate issuer is not a CA");
	WHY(GNUTLS_CERT_REVOKED, "certificate has been revoked");
	WHY(GNUTLS_CERT_INSECURE_ALGORITHM, "certificate uses an insecure algorithm");
#undef WHY
	if (st & GNUTLS_CERT_UNEXPECTED_OWNER)
		n += (size_t)snprintf(why + n, n < sizeof why ? sizeof why - n : 0,
				      "%scertificate does not match host name %s", n ? "; " : "",
				      c->host);
	if (!n) {
		gnutls_datum_t out = {0};
		if (gt()->certificate_verification_status_print(st, GNUTLS_CRT_X509, &out, 0) == 0) {
			snprintf(why, sizeof why, "%s", (const char *)out.data);
			net_gnutls_free(gt(), out.data);
		} else {
			snprintf(why, sizeof why, "certificate verification failed");
		}
	}
	qu_err_set(err, QU_E_TLS, "%s", why);
	return qu_err_reason(err, QU_R_TLS_CERT, cert_code(st));
}

static int
setup_session(struct net_conn *c, struct qu_err *err)
{
	struct net_tls *t = c->tls;
	int r;
	if (c->ca_file) {
		r = gt()->certificate_allocate_credentials(&t->cred);
		if (r < 0)
			return qu_err_set(err, QU_E_TLS, "%s", gt()->strerror(r));
		r = gt()->certificate_set_x509_trust_file(t->cred, c->ca_file, GNUTLS_X509_FMT_PEM);
		if (r <= 0)
			return qu_err_set(err, QU_E_CONFIG, "cannot load CA file %s: %s", c->ca_file,
					  r < 0 ? gt()->strerror(r) : "no certificates in it");
	} else {
		pthread_once(&system_once, load_system_trust);
		if (!system_cred)
			return qu_err_set(err, QU_E_TLS, "cannot load the system trust store: %s",
					  system_rc < 0 ? gt()->strerror(system_rc) : "no certificates");
		t->cred = system_cred;
		t->shared_cred = true;
	}
	/* No SIGPIPE from GnuTLS's own send() when the server has gone. */
	if ((r = gt()->init(&t->s, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL)) < 0 ||
	    (r = gt()->priority_set_direct(t->s, PRIORITY, NULL)) < 0 ||
	    (r = gt()->credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, t->cred)) < 0)
		return qu_err_set(err, QU_E_TLS, "%s", gt()->strerror(r));
	/* SNI carries DNS names only (RFC 6066 §3). */
	if (!net_is_ip_literal(c->host))
		gt()->server_name_set(t->s, GNUTLS_NAME_DNS, c->host, strlen(c->host));
	/* Chain, validity and host name (IP literals against IP SANs). */
	gt()->session_set_verify_cert(t->s, c->host, 0);
	gt()->transport_set_int2(t->s, c->fd, c->fd);
	return 0;
}

/* Offers the kept session (RFC 8446 §2.2). One GnuTLS refuses (stale,
 * of another version) leaves a session of its own making: a fresh one is
 * set up instead. A session the server refuses costs a full handshake. */
static int
offer_session(struct net_conn *c, struct qu_err *err)
{
	const struct net_tls_resume *r = c->resume;
	if (!r || !r->data || !r->len || r->len > UINT_MAX)
		return 0;
	if (gt()->session_set_data(c->tls->s, r->data, r->len) == 0)
		return 0;
	gt()->deinit(c->tls->s);
	c->tls->s = NULL;
	if ((c->tls->cred && !c->tls->shared_cred))
		gt()->certificate_free_credentials(c->tls->cred);
	c->tls->cred = NULL;
	c->tls->shared_cred = false;
	return setup_session(c, err);
}

int
net_tls_start(struct net_conn *c, size_t *discarded, struct qu_err *err)
{
	if (c->tls)
		return qu_err_set(err, QU_E_SOFTWARE, "TLS already started");
	/* Nothing read before the handshake may be taken as coming over TLS. */
	size_t junk = c->rend - c->rstart;
	c->rstart = c->rend = 0;
	if (discarded)
		*discarded = junk;
	if (junk)
		qu_trace_note(c->trace, "discarded %zu bytes received before the TLS handshake", junk);
	if (!net_gnutls_load(err) || net_flush(c, err) < 0)
		return -1;
	c->tls = xcalloc(1, sizeof *c->tls);
	if (setup_session(c, err) < 0 || offer_session(c, err) < 0)
		goto fail;
	int r;
	do {
		r = gt()->handshake(c->tls->s);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			if (tls_wait(c, err) < 0)
				goto fail;
		} else if (r < 0 && !gt()->error_is_fatal(r)) {
			r = GNUTLS_E_AGAIN;
		}
	} while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		verify_error(c, err);
		goto fail;
	}
	if (r < 0) {
		if (r == GNUTLS_E_PREMATURE_TERMINATION || r == GNUTLS_E_PULL_ERROR ||
		    r == GNUTLS_E_PUSH_ERROR) {
			/* Lost, not refused: safe to retry (STYLE: a dropped connection is TEMPFAIL). */
			qu_err_set(err, QU_E_TEMPFAIL, "TLS handshake: connection closed by server");
			qu_err_reason(err, QU_R_CONN_LOST, NULL);
		} else {
			qu_err_set(err, QU_E_TLS, "TLS handshake: %s", gt()->strerror(r));
			qu_err_reason(err, QU_R_TLS, NULL);
		}
		goto fail;
	}
	c->tr = &net_tls_transport;
	c->tls->up = true;
	char *desc = gt()->session_get_desc(c->tls->s);
	qu_trace_note(c->trace, "TLS started: %s%s", desc ? desc : "?",
		      gt()->session_is_resumed(c->tls->s) ? " (resumed)" : "");
	net_gnutls_free(gt(), desc);
	return 0;
fail:
	tls_free(c->tls);
	c->tls = NULL;
	return -1;
}

static void
append_time(struct qu_buf *b, const char *key, time_t t)
{
	struct tm tm;
	char s[64];
	gmtime_r(&t, &tm);
	strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S UTC", &tm);
	qu_buf_printf(b, "%s: %s\n", key, s);
}

static void
describe_cert(struct qu_buf *b, const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt;
	if (gt()->x509_crt_init(&crt) < 0)
		return;
	if (gt()->x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) == 0) {
		gnutls_datum_t dn = {0};
		if (gt()->x509_crt_get_dn3(crt, &dn, 0) == 0) {
			qu_buf_printf(b, "subject: %s\n", (const char *)dn.data);
			net_gnutls_free(gt(), dn.data);
		}
		if (gt()->x509_crt_get_issuer_dn3(crt, &dn, 0) == 0) {
			qu_buf_printf(b, "issuer: %s\n", (const char *)dn.data);
			net_gnutls_free(gt(), dn.data);
		}
		append_time(b, "not before", gt()->x509_crt_get_activation_time(crt));
		append_time(b, "not after", gt()->x509_crt_get_expiration_time(crt));
		unsigned char fp[32];
		size_t fplen = sizeof fp;
		if (gt()->x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fplen) == 0) {
			qu_buf_append_str(b, "sha256 fingerprint: ");
			for (size_t i = 0; i < fplen; i++)
				qu_buf_printf(b, "%s%02X", i ? ":" : "", fp[i]);
			qu_buf_append_byte(b, '\n');
		}
	}
	gt()->x509_crt_deinit(crt);
}

char *
net_tls_describe(const struct net_conn *c)
{
	if (!c->tls)
		return NULL;
	gnutls_session_t s = c->tls->s;
	struct qu_buf b;
	qu_buf_init(&b, 64 * 1024);
	qu_buf_printf(&b, "protocol: %s\n",
		      gt()->protocol_get_name(gt()->protocol_get_version(s)));
	char *desc = gt()->session_get_desc(s);
	if (desc) {
		qu_buf_printf(&b, "session: %s\n", desc);
		net_gnutls_free(gt(), desc);
	}
	unsigned n = 0;
	const gnutls_datum_t *certs = gt()->certificate_get_peers(s, &n);
	if (certs && n)
		describe_cert(&b, &certs[0]);
	return qu_buf_steal(&b, NULL);
}

const char *
net_tls_library_version(void)
{
	const struct net_gnutls *g = net_gnutls_load(NULL);
	return g ? g->check_version(NULL) : "not available";
}

bool
net_tls_pending(const struct net_conn *c)
{
	/* Records already decrypted but not yet read: poll() on the socket
	 * cannot see them. */
	return c->tls && gt()->record_check_pending(c->tls->s) > 0;
}
