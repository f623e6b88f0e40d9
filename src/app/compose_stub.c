/* Writing mail: the parts not written yet answer "not yet". */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"

#define NOT_YET(err) qu_err_set(err, QU_E_SOFTWARE, "%s: not yet", __func__)

bool app_compose_ui_key(const char *key) { (void)key; return false; }
void app_compose_settings_init(struct app_compose_settings *s) { memset(s, 0, sizeof *s); }
int app_compose_settings_load(const struct cfg *c, struct app_compose_settings *s, struct qu_err *err)
{ (void)c; app_compose_settings_init(s); return NOT_YET(err); }
void app_compose_settings_clear(struct app_compose_settings *s) { memset(s, 0, sizeof *s); }
void app_draft_init(struct app_draft *d) { memset(d, 0, sizeof *d); }
void app_draft_clear(struct app_draft *d) { memset(d, 0, sizeof *d); }
void app_draft_text(const struct app_draft *d, struct qu_buf *out) { (void)d; (void)out; }
int app_draft_parse(const char *p, size_t n, struct app_draft *d, struct qu_err *err)
{ (void)p; (void)n; (void)d; return NOT_YET(err); }
bool app_is_own_address(const struct cfg *c, const char *addr) { (void)c; (void)addr; return false; }
const struct cfg_account *app_identity_for_message(const struct cfg *c,
	const struct cfg_account *def, const char *p, size_t n, char **from)
{ (void)c; (void)p; (void)n; *from = NULL; return def; }
const struct cfg_account *app_identity_for_from(const struct cfg *c,
	const struct cfg_account *def, const char *from)
{ (void)c; (void)from; return def; }
int app_compose_new(const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err)
{ (void)o; (void)d; return NOT_YET(err); }
int app_compose_reply(const char *p, size_t n, enum app_reply_kind kind,
	const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err)
{ (void)p; (void)n; (void)kind; (void)o; (void)d; return NOT_YET(err); }
int app_compose_forward(const char *p, size_t n, bool as_attachment,
	const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err)
{ (void)p; (void)n; (void)as_attachment; (void)o; (void)d; return NOT_YET(err); }
char *app_reply_subject(const char *subject) { return xasprintf("Re: %s", subject ? subject : ""); }
char *app_reply_references(const char *references, const char *in_reply_to,
	const char *message_id, size_t max)
{ (void)references; (void)in_reply_to; (void)message_id; (void)max; return NULL; }
char *app_attribution(const char *fmt, const char *p, size_t n) { (void)p; (void)n; return xstrdup(fmt); }
void app_quote_text(const char *text, size_t n, bool flowed, bool delsp, struct qu_buf *out)
{ (void)text; (void)n; (void)flowed; (void)delsp; (void)out; }
int app_draft_build(const struct cfg *c, const struct cfg_account *a, const struct app_draft *d,
	const struct mime_build_fixed *fixed, struct qu_buf *out, struct qu_err *err)
{ (void)c; (void)a; (void)d; (void)fixed; (void)out; return NOT_YET(err); }
void app_draft_sent_clear(struct app_draft_sent *r) { free(r->record); memset(r, 0, sizeof *r); }
int app_draft_send(const struct cfg *c, const struct cfg_account *a,
	const struct app_compose_settings *s, const struct app_draft *d, const struct app_net *net,
	app_send_note_fn note, void *ctx, struct app_draft_sent *r, struct qu_err *err)
{ (void)c; (void)a; (void)s; (void)d; (void)net; (void)note; (void)ctx; memset(r, 0, sizeof *r); return NOT_YET(err); }
int app_bounce_message(const char *p, size_t n, const char *from, const char *to,
	const struct mime_build_fixed *fixed, bool lf, struct qu_buf *out, struct qu_err *err)
{ (void)p; (void)n; (void)from; (void)to; (void)fixed; (void)lf; (void)out; return NOT_YET(err); }
int app_bounce(const struct cfg *c, const struct cfg_account *a, const char *p, size_t n,
	const char *to, const struct app_net *net, app_send_note_fn note, void *ctx,
	struct qu_buf *dry, struct qu_err *err)
{ (void)c; (void)a; (void)p; (void)n; (void)to; (void)net; (void)note; (void)ctx; (void)dry; return NOT_YET(err); }
int app_draft_postpone(const struct cfg_account *a, const struct app_compose_settings *s,
	const struct app_draft *d, char **path, struct qu_err *err)
{ (void)a; (void)s; (void)d; if (path) *path = NULL; return NOT_YET(err); }
int app_postponed_list(const struct cfg_account *a, const struct app_compose_settings *s,
	app_postponed_fn fn, void *ctx, struct qu_err *err)
{ (void)a; (void)s; (void)fn; (void)ctx; return NOT_YET(err); }
int app_draft_recall(const char *path, struct app_draft *d, struct qu_err *err)
{ (void)path; (void)d; return NOT_YET(err); }
int app_addr_complete(const char *prefix, const struct app_addr_opts *o,
	struct app_addr_match **out, size_t *n, struct qu_err *err)
{ (void)prefix; (void)o; *out = NULL; *n = 0; return NOT_YET(err); }
void app_addr_matches_free(struct app_addr_match *v, size_t n) { (void)n; free(v); }
