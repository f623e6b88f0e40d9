/*
 * app: quail's use cases, each a function the CLI (and later the UI) calls.
 *
 * Wires config to the protocol sessions and the stores: resolves the
 * account, turns its URLs into sessions with the TLS rule of SPEC §1, gets
 * the password, and hands results back as data. Never prints: output goes
 * through callbacks.
 */
#ifndef QUAIL_APP_APP_H
#define QUAIL_APP_APP_H

#include <stdbool.h>

#include "util/util.h"
#include "config/config.h"

/* What every network use case needs besides the account. */
struct app_net {
	int timeout_s;                 /* 0: 60 */
	const struct qu_trace *trace;  /* -v, or NULL */
};

/* Receives "key: value" facts; value is raw server text that the caller
 * must make safe before showing it. */
typedef void (*app_emit_fn)(void *ctx, const char *key, const char *value);

/* `quail serverinfo`: connects to the account's server for proto (TLS per
 * the URL's scheme), and emits server, greeting, tls (several), capabilities
 * and auth facts; with login, also authenticates and emits "login". Errors
 * carry "URL: what: why" and the class of the failure (TLS, TEMPFAIL, AUTH,
 * UNAVAILABLE, CONFIG). */
int app_serverinfo(const struct cfg_account *acct, enum cfg_proto proto, bool login,
		   const struct app_net *net, app_emit_fn emit, void *ctx, struct qu_err *err);

#endif
