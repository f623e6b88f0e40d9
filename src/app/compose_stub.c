/* Writing mail: the parts not written yet answer "not yet". */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"

#define NOT_YET(err) qu_err_set(err, QU_E_SOFTWARE, "%s: not yet", __func__)

int app_compose_forward(const char *p, size_t n, bool as_attachment,
	const struct app_compose_opts *o, struct app_draft *d, struct qu_err *err)
{ (void)p; (void)n; (void)as_attachment; (void)o; (void)d; return NOT_YET(err); }
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
