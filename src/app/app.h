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
#include <stdint.h>

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

/* ---- quail fetch (SPEC §5) ------------------------------------------- */

/* Where a fetch stands, for a progress display. Totals are what the server
 * announced for this run's new messages (POP3 LIST sizes). */
struct app_fetch_progress {
	const char *folder;       /* "INBOX" for POP3 */
	uint64_t msgs_done, msgs_total;
	uint64_t bytes_done, bytes_total;
	int64_t elapsed_ms;
	bool last;                /* the final call of this folder */
};
typedef void (*app_progress_fn)(void *ctx, const struct app_fetch_progress *p);

struct app_fetch_opts {
	const char *dir;              /* Maildir root; NULL: the account's maildir */
	bool delete_after;            /* --delete: remove what is safely stored */
	const char *const *folders;   /* IMAP --folder names (n_folders of them) */
	size_t n_folders;
	bool all_folders;             /* IMAP --all-folders */
	app_progress_fn progress;     /* NULL: no progress; called at most ~10 times a second */
	void *progress_ctx;
};

/* What a fetch did; filled in also when it fails part way. */
struct app_fetch_result {
	uint64_t messages;  /* stored in the Maildir by this run */
	uint64_t bytes;     /* their size as stored */
	uint64_t folders;   /* folders (mailboxes) fetched from: 1 for POP3 */
	uint64_t deleted;   /* removed from the server (QUIT succeeded) */
	uint64_t already;   /* found stored by an interrupted run and not stored again */
};

/* `quail fetch --pop3`: downloads the account's POP3 maildrop into the
 * Maildir o->dir (else the account's maildir; the messages go into its
 * new/), exactly once across runs and interruptions. State is the journal
 * DIR/.quail/pop3-USER@HOST of the unique-ids stored (the protocol is
 * described in fetch_pop3.c). With o->delete_after, every message whose
 * copy is on disk and journaled is marked with DELE and removed by the
 * QUIT that ends a successful session; after any error the connection is
 * dropped without QUIT, so the server removes nothing. A server without
 * UIDL is refused unless o->delete_after (then each message is stored
 * unless identical bytes are already in the Maildir, and removed).
 * Errors: CONFIG (no pop3 URL, no user or password, no Maildir), TLS,
 * TEMPFAIL (connection lost, timeout, -ERR [IN-USE]), AUTH (-ERR on
 * login), UNAVAILABLE (-ERR, no UIDL without --delete, messages the
 * server would not send), IOERR (Maildir or journal). Server errors carry
 * "URL: what: why". */
int app_fetch_pop3(const struct cfg_account *a, const struct app_fetch_opts *o,
		   const struct app_net *net, struct app_fetch_result *r, struct qu_err *err);

#endif
