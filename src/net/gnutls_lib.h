/* GnuTLS, opened on first use (gnutls_lib.c); only tls.c and digest.c
 * include this. */
#ifndef QUAIL_NET_GNUTLS_LIB_H
#define QUAIL_NET_GNUTLS_LIB_H

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "util/util.h"

/* The functions quail calls, each with the exact type the header gives it.
 * Filled once by net_gnutls_load, then only read. */
struct net_gnutls {
	__typeof__(gnutls_bye) *bye;
	__typeof__(gnutls_certificate_allocate_credentials) *certificate_allocate_credentials;
	__typeof__(gnutls_certificate_free_credentials) *certificate_free_credentials;
	__typeof__(gnutls_certificate_get_peers) *certificate_get_peers;
	__typeof__(gnutls_certificate_set_x509_system_trust) *certificate_set_x509_system_trust;
	__typeof__(gnutls_certificate_set_x509_trust_file) *certificate_set_x509_trust_file;
	__typeof__(gnutls_certificate_verification_status_print) *certificate_verification_status_print;
	__typeof__(gnutls_check_version) *check_version;
	__typeof__(gnutls_credentials_set) *credentials_set;
	__typeof__(gnutls_deinit) *deinit;
	__typeof__(gnutls_error_is_fatal) *error_is_fatal;
	__typeof__(gnutls_handshake) *handshake;
	__typeof__(gnutls_hash_fast) *hash_fast;
	__typeof__(gnutls_init) *init;
	__typeof__(gnutls_priority_set_direct) *priority_set_direct;
	__typeof__(gnutls_protocol_get_name) *protocol_get_name;
	__typeof__(gnutls_protocol_get_version) *protocol_get_version;
	__typeof__(gnutls_record_check_pending) *record_check_pending;
	__typeof__(gnutls_record_get_direction) *record_get_direction;
	__typeof__(gnutls_record_recv) *record_recv;
	__typeof__(gnutls_record_send) *record_send;
	__typeof__(gnutls_server_name_set) *server_name_set;
	__typeof__(gnutls_session_get_data2) *session_get_data2;
	__typeof__(gnutls_session_get_desc) *session_get_desc;
	__typeof__(gnutls_session_get_flags) *session_get_flags;
	__typeof__(gnutls_session_get_verify_cert_status) *session_get_verify_cert_status;
	__typeof__(gnutls_session_is_resumed) *session_is_resumed;
	__typeof__(gnutls_session_set_data) *session_set_data;
	__typeof__(gnutls_session_set_verify_cert) *session_set_verify_cert;
	__typeof__(gnutls_strerror) *strerror;
	__typeof__(gnutls_transport_set_int2) *transport_set_int2;
	__typeof__(gnutls_x509_crt_deinit) *x509_crt_deinit;
	__typeof__(gnutls_x509_crt_get_activation_time) *x509_crt_get_activation_time;
	__typeof__(gnutls_x509_crt_get_dn3) *x509_crt_get_dn3;
	__typeof__(gnutls_x509_crt_get_expiration_time) *x509_crt_get_expiration_time;
	__typeof__(gnutls_x509_crt_get_fingerprint) *x509_crt_get_fingerprint;
	__typeof__(gnutls_x509_crt_get_issuer_dn3) *x509_crt_get_issuer_dn3;
	__typeof__(gnutls_x509_crt_import) *x509_crt_import;
	__typeof__(gnutls_x509_crt_init) *x509_crt_init;
	/* A variable, not a function: the address of GnuTLS's own
	 * gnutls_free pointer, read at each call. */
	gnutls_free_function *free_fn;
};

/* The table, or NULL with err set (QU_E_UNAVAILABLE, naming the library
 * and its Debian package) when libgnutls cannot be opened. Thread safe;
 * the library is opened once and kept. err may be NULL. */
const struct net_gnutls *net_gnutls_load(struct qu_err *err);

/* Frees memory GnuTLS handed out (gnutls_free). */
void net_gnutls_free(const struct net_gnutls *g, void *p);

#endif
