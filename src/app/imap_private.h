/* Shared by the IMAP use cases of app (fetch_imap.c, list.c,
 * imap_append.c); nothing outside src/app includes this. */
#ifndef QUAIL_APP_IMAP_PRIVATE_H
#define QUAIL_APP_IMAP_PRIVATE_H

#include "util/util.h"
#include "config/config.h"
#include "imap/imap.h"
#include "app/app.h"

/* A logged-in IMAP session for an account. */
struct app_imap {
	struct imap_session *s;
	struct cfg_url url;
	char *where; /* "imaps://host:port", for messages */
	char *user;  /* the login name */
	struct net_tls_cache *tls; /* TLS session resumption, or NULL */
};

/* Connects to the account's IMAP server (TLS per the URL, SPEC §1), logs
 * in, sends ID when the server lists it and the account wants it (the
 * default; RFC 2971), ENABLEs CONDSTORE, QRESYNC and UTF8=ACCEPT where
 * offered and starts COMPRESS=DEFLATE when offered. On failure c is
 * empty and err says "URL: what: why" (CONFIG, TLS, TEMPFAIL, AUTH,
 * UNAVAILABLE). Release with app_imap_close. */
int app_imap_connect(const struct cfg_account *a, const struct app_net *net, struct app_imap *c,
		     struct qu_err *err);
/* The folders of a logged-in session as app_list gives them (list.c). */
int app_imap_folders(struct imap_session *s, app_folder_fn fn, void *ctx, struct qu_err *err);

/* LOGOUT (skipped when the session broke) and frees. */
void app_imap_close(struct app_imap *c);
/* Adds "URL: " in front of err, unless it is a local (IOERR) failure. */
int app_imap_fail(struct app_imap *c, struct qu_err *err);

/* Save to Sent for several messages over one IMAP session (a queue flush):
 * connected on the first append, the folder found once. After a session
 * broke, the next append connects again; after a connect failed, the
 * others fail at once with the same error instead of each waiting for it. */
struct app_sent_box {
	const struct cfg_account *a;
	const struct app_net *net;
	struct app_imap c;
	bool up;          /* c is logged in */
	bool looked;      /* wire is known (NULL: no Sent folder) */
	bool dead;        /* connecting failed: why */
	struct qu_err why;
	char *wire;
	size_t wire_len;
	bool named;       /* sent_folder in the config, not SPECIAL-USE */
};
void app_sent_box_init(struct app_sent_box *b, const struct cfg_account *a,
		       const struct app_net *net);
/* As app_imap_append_sent, for one message. */
int app_sent_box_append(struct app_sent_box *b, const char *p, size_t n, char **folder,
			struct qu_err *err);
/* Logs out. */
void app_sent_box_close(struct app_sent_box *b);

#endif
