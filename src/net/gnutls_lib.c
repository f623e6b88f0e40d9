/*
 * GnuTLS, opened on first use.
 *
 * Linked, libgnutls and the seven libraries it needs (p11-kit, tasn1,
 * nettle, hogweed, gmp, unistring, ffi) are mapped and relocated at every
 * start, and its constructor builds its ASN.1 trees and reads its config
 * before main: about 4 ms of CPU that the UI's first screen, `quail index`
 * and every command that never opens a connection paid for nothing. The
 * first connection, MD5 digest or version query opens it instead.
 */
#include <pthread.h>
#include <stddef.h>

#include "net/gnutls_lib.h"

#define G_SYM(f) {"gnutls_" #f, offsetof(struct net_gnutls, f)}
static const struct qu_dl_sym g_syms[] = {
	G_SYM(bye),
	G_SYM(certificate_allocate_credentials),
	G_SYM(certificate_free_credentials),
	G_SYM(certificate_get_peers),
	G_SYM(certificate_set_x509_system_trust),
	G_SYM(certificate_set_x509_trust_file),
	G_SYM(certificate_verification_status_print),
	G_SYM(check_version),
	G_SYM(credentials_set),
	G_SYM(deinit),
	G_SYM(error_is_fatal),
	G_SYM(handshake),
	G_SYM(hash_fast),
	G_SYM(init),
	G_SYM(priority_set_direct),
	G_SYM(protocol_get_name),
	G_SYM(protocol_get_version),
	G_SYM(record_check_pending),
	G_SYM(record_get_direction),
	G_SYM(record_recv),
	G_SYM(record_send),
	G_SYM(server_name_set),
	G_SYM(session_get_data2),
	G_SYM(session_get_desc),
	G_SYM(session_get_flags),
	G_SYM(session_get_verify_cert_status),
	G_SYM(session_is_resumed),
	G_SYM(session_set_data),
	G_SYM(session_set_verify_cert),
	G_SYM(strerror),
	G_SYM(transport_set_int2),
	G_SYM(x509_crt_deinit),
	G_SYM(x509_crt_get_activation_time),
	G_SYM(x509_crt_get_dn3),
	G_SYM(x509_crt_get_expiration_time),
	G_SYM(x509_crt_get_fingerprint),
	G_SYM(x509_crt_get_issuer_dn3),
	G_SYM(x509_crt_import),
	G_SYM(x509_crt_init),
	{"gnutls_free", offsetof(struct net_gnutls, free_fn)},
};
#undef G_SYM

/* Debian 12's runtime package of GnuTLS 3.7. */
static const struct qu_dl_lib g_dl = {"libgnutls.so.30", "libgnutls30", "TLS",
				      g_syms, QU_ARRAY_LEN(g_syms)};

static struct net_gnutls g;
static struct qu_dl_once g_once = QU_DL_ONCE(&g_dl, &g, NULL);

const struct net_gnutls *
net_gnutls_load(struct qu_err *err)
{
	return qu_dl_open(&g_once, err) == 0 ? &g : NULL;
}

void
net_gnutls_free(const struct net_gnutls *lib, void *p)
{
	if (p)
		(*lib->free_fn)(p);
}
