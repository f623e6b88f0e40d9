/* `quail verify` (SPEC §4): VRFY, after AUTH when the account has a
 * password (many servers answer VRFY only to clients that logged in). */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "smtp/smtp.h"
#include "app/private.h"
#include "app/send_private.h"

int
app_verify(const struct cfg_account *a, const char *addr, const struct app_net *net, int *code,
	   char **text, struct qu_err *err)
{
	*code = 0;
	*text = NULL;
	char *where = NULL;
	struct smtp_session *s = app_smtp_open(a, net, &where, err);
	if (!s) {
		free(where);
		return -1;
	}
	struct smtp_reply r;
	smtp_reply_init(&r);
	int rc = smtp_verify(s, addr, &r, err);
	if (rc == 0) {
		*code = r.code;
		*text = xstrndup(r.text.data ? r.text.data : "", r.text.len);
		if (r.enhanced[0]) {
			char *t = xasprintf("%s %s", r.enhanced, *text);
			free(*text);
			*text = t;
		}
	} else {
		qu_err_prefix(err, "%s: VRFY", where);
	}
	smtp_reply_clear(&r);
	smtp_session_close(s);
	free(where);
	return rc;
}
