/* Internals shared by app's send.c, send_verify.c and queue.c; nothing
 * outside src/app includes this. */
#ifndef QUAIL_APP_SEND_PRIVATE_H
#define QUAIL_APP_SEND_PRIVATE_H

#include "util/util.h"
#include "config/config.h"
#include "smtp/smtp.h"
#include "app/app.h"

/* Connects to the account's SMTP server (TLS as the URL's scheme says) and
 * logs in when the account has a password or password_command. *where
 * gets "scheme://host:port" (new string, also on failure when the URL
 * parsed, else NULL). Errors are prefixed with it; an AUTH failure gets the
 * provider's hint (163.com, 126.com, qq.com: the authorization code). */
struct smtp_session *app_smtp_open(const struct cfg_account *a, const struct app_net *net,
				   char **where, struct qu_err *err);

/* Called once a message has gone out (send and queue flush), with the
 * message as sent: saves a copy to the account's Sent folder over IMAP
 * APPEND through box (one session for a whole flush) when the account has
 * imap and a Sent folder; a failure there is a warning note, the message
 * having gone. */
struct app_sent_box;
void app_after_sent(struct app_sent_box *box, const char *p, size_t n, app_send_note_fn note,
		    void *ctx);

/* Notes hints for server text that has a known meaning (163.com's
 * "DT:SPM": judged as spam; qq.com's "mail from address must be same as
 * authorization user"). */
void app_send_hint(const struct cfg_account *a, const char *text, app_send_note_fn note, void *ctx);

/* "CODE ENH text" of a result, or its local reason; one line. New string. */
char *app_result_reason(const struct smtp_result *r);

/* The account's outbox, $XDG_STATE_HOME/quail/outbox/<account> (see
 * queue.c), after moving there an outbox left at <maildir>/.outbox. New
 * string, or NULL with CONFIG (no home; an unsafe directory) or IOERR
 * (the move failed; nothing is lost, a later call resumes it). */
char *app_outbox_path(const struct cfg_account *a, struct qu_err *err);

/* Stores the message with its envelope in the outbox (queue.c describes
 * the format); replied (may be NULL) is the Maildir file to flag R once
 * the message went out; *id (may be NULL) gets its id. Errors: CONFIG,
 * IOERR. */
int app_outbox_put(const struct cfg_account *a, const struct smtp_envelope *env, const char *reason,
		   const char *replied, const char *p, size_t n, char **id, struct qu_err *err);

#endif
