/* app internals; nothing outside src/app includes this. */
#ifndef QUAIL_APP_PRIVATE_H
#define QUAIL_APP_PRIVATE_H

#include "util/util.h"
#include "net/net.h"
#include "config/config.h"
#include "smtp/smtp.h"
#include "pop3/pop3.h"
#include "imap/imap.h"
#include "app/app.h"

/* The account's URL for proto, parsed. Errors: CONFIG when the account has
 * none for that protocol. */
int app_server_url(const struct cfg_account *a, enum cfg_proto proto, struct cfg_url *url,
		   struct qu_err *err);

/* net_opts from the account and the common options. */
void app_net_opts(const struct cfg_account *a, const struct app_net *n, struct net_opts *o);

enum net_tls_mode app_tls_mode(enum cfg_tls t);

/* Credentials for SASL: user from the account (else the URL's), secret from
 * cfg_password. The strings are owned by c; free with app_creds_clear.
 * Errors: CONFIG (no user, no password, password_command failed). */
struct app_creds {
	struct net_sasl_creds c;
	char *user;
	char *secret;
};
int app_creds_get(const struct cfg_account *a, const struct cfg_url *url, struct app_creds *c,
		  struct qu_err *err);
void app_creds_clear(struct app_creds *c);

#endif
