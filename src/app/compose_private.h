/* Internals shared by app's compose*.c; nothing outside src/app includes
 * this. */
#ifndef QUAIL_APP_COMPOSE_PRIVATE_H
#define QUAIL_APP_COMPOSE_PRIVATE_H

#include "util/util.h"
#include "config/config.h"
#include "mime/mime.h"
#include "app/app.h"

void compose_draft_add_header(struct app_draft *d, const char *name, const char *value);
void compose_draft_add_attach(struct app_draft *d, const char *path, const char *description);

/* Two addresses are one: local parts compared case-insensitively (as
 * every provider does), domains after IDNA conversion. */
bool compose_addr_eq(const char *a, const char *b);
/* "Name <addr>" with the name quoted when it must be (RFC 5322 §3.2.3),
 * or "addr" with no name. New string. */
char *compose_mailbox(const char *name, const char *addr);
/* The display name of an account's from; NULL when none. New string. */
char *compose_from_name(const char *from);
/* Appends the addresses of every field called name in the header block
 * of (p, n) to l. */
void compose_header_addrs(const char *p, size_t n, const char *name, struct mime_addr_list *l);
/* The unfolded raw value of the first field called name; NULL when
 * none. New string. */
char *compose_header_raw(const char *p, size_t n, const char *name);
/* The account whose from or alternates hold addr, or NULL. */
const struct cfg_account *compose_account_of(const struct cfg *c, const char *addr);
/* True when addr is a's from or one of its alternates. */
bool compose_account_owns(const struct cfg_account *a, const char *addr);
/* Adds R to the flags of the Maildir message file at path (renamed
 * through the store layer). Errors: NOINPUT, IOERR. */
int compose_flag_replied(const char *path, struct qu_err *err);
/* The account to use when none matched: def, else c's default. */
const struct cfg_account *compose_default_account(const struct cfg *c,
	const struct cfg_account *def);
/* The signature of the account (file or "cmd |"), appended after
 * "-- \n" to out; nothing when it has none. Errors: CONFIG, TEMPFAIL. */
int compose_signature(const struct cfg_account *a, int timeout_ms, struct qu_buf *out,
	struct qu_err *err);
/* A Maildir named by a setting: "=NAME" or "+NAME" under the account's
 * maildir, "~/" expanded, else as given. New string; NULL with CONFIG. */
char *compose_folder(const struct cfg_account *a, const char *setting, struct qu_err *err);

/* The text to quote or forward: the first text/plain that is no
 * attachment, else the first text/html as plain text, UTF-8 appended to
 * out; *flowed and *delsp from its Content-Type (RFC 3676). */
int compose_body_text(const char *p, size_t n, struct qu_buf *out, bool *flowed, bool *delsp);
/* Runs cmd with /bin/sh -c in its own process group, stdin /dev/null,
 * at most timeout_ms (<= 0: 5 s) and until cancel fires: stdout into out
 * (at most 1 MiB kept), the first line of stderr into the error. Errors:
 * CONFIG ("what: exited with status N: stderr"), TEMPFAIL (timeout),
 * CANCELED; the process group is killed and reaped on each. */
int compose_run(const char *what, const char *cmd, int timeout_ms,
	const struct qu_cancel *cancel, struct qu_buf *out, struct qu_err *err);

#endif
