/* Save to Sent: a sent message APPENDed to the account's Sent folder. */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "imap/imap.h"
#include "app/private.h"
#include "app/imap_private.h"

/* The wire name of the folder to append to, or NULL (none). */
static char *
sent_folder(const struct cfg_account *a, struct imap_session *s, size_t *len, bool *named,
	    struct qu_err *err, int *rc)
{
	*rc = 0;
	*named = a->sent_folder && *a->sent_folder;
	if (*named) {
		char *w = imap_session_wire_name(s, a->sent_folder);
		if (!w)
			*rc = qu_err_set(err, QU_E_CONFIG, "sent_folder = %s: not UTF-8", a->sent_folder);
		else
			*len = strlen(w);
		return w;
	}
	/* RFC 6154: the folder the server marks \Sent. */
	struct imap_list l = {0};
	char *w = NULL;
	if (imap_session_list(s, "", "*", IMAP_LISTOPT_SPECIAL_USE, 0, &l, err) < 0) {
		*rc = -1;
		return NULL;
	}
	for (size_t i = 0; i < l.n && !w; i++) {
		if ((l.v[i].attrs & IMAP_LIST_SENT) && !(l.v[i].attrs & IMAP_LIST_NOSELECT)) {
			w = l.v[i].wire;
			*len = l.v[i].wire_len;
			l.v[i].wire = NULL;
		}
	}
	imap_list_clear(&l);
	return w;
}

/* A copy with every bare LF made CRLF (RFC 3501 §6.3.11: messages are
 * RFC 5322, CRLF), or NULL when p is fine as it is. */
static char *
crlf_copy(const char *p, size_t n, size_t *outlen)
{
	bool bare = false;
	for (size_t i = 0; i < n && !bare; i++)
		bare = p[i] == '\n' && (i == 0 || p[i - 1] != '\r');
	if (!bare)
		return NULL;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			qu_buf_append_byte(&b, '\r');
		qu_buf_append_byte(&b, p[i]);
	}
	return qu_buf_steal(&b, outlen);
}

void
app_sent_box_init(struct app_sent_box *b, const struct cfg_account *a, const struct app_net *net)
{
	memset(b, 0, sizeof *b);
	b->a = a;
	b->net = net;
}

void
app_sent_box_close(struct app_sent_box *b)
{
	if (b->up)
		app_imap_close(&b->c);
	free(b->wire);
	memset(b, 0, sizeof *b);
}

/* Connects (again, after a broken session) and finds the folder once. */
static int
box_ready(struct app_sent_box *b, struct qu_err *err)
{
	if (b->up && imap_session_broken(b->c.s)) {
		app_imap_close(&b->c);
		b->up = false;
	}
	if (b->dead) {
		*err = b->why;
		return -1;
	}
	if (!b->up) {
		if (app_imap_connect(b->a, b->net, &b->c, err) < 0) {
			b->dead = true;
			b->why = *err;
			return -1;
		}
		b->up = true;
	}
	if (!b->looked) {
		int rc;
		b->wire = sent_folder(b->a, b->c.s, &b->wire_len, &b->named, err, &rc);
		if (rc < 0)
			return app_imap_fail(&b->c, err);
		b->looked = true;
	}
	return 0;
}

int
app_sent_box_append(struct app_sent_box *b, const char *p, size_t n, char **folder,
		    struct qu_err *err)
{
	if (folder)
		*folder = NULL;
	if (!b->a->imap)
		return 0;
	if (box_ready(b, err) < 0)
		return -1;
	if (!b->wire)
		return 0;
	size_t cl = 0;
	char *conv = crlf_copy(p, n, &cl);
	const char *m = conv ? conv : p;
	size_t ml = conv ? cl : n;
	int rc = imap_session_append(b->c.s, b->wire, b->wire_len, IMAP_FLAG_SEEN, NULL, m, ml,
				     NULL, err);
	if (rc < 0 && b->named && qu_err_code_is(err, QU_R_REFUSED, "TRYCREATE")) {
		/* RFC 3501 §6.3.11: the folder named in the config is missing. */
		qu_err_clear(err);
		rc = imap_session_create(b->c.s, b->wire, b->wire_len, err);
		if (rc == 0)
			rc = imap_session_append(b->c.s, b->wire, b->wire_len, IMAP_FLAG_SEEN, NULL, m,
						 ml, NULL, err);
	}
	free(conv);
	if (rc < 0)
		return app_imap_fail(&b->c, err);
	if (folder)
		*folder = imap_session_name_utf8(b->c.s, b->wire, b->wire_len, NULL);
	return 1;
}

int
app_imap_append_sent(const struct cfg_account *a, const struct app_net *net, const char *p,
		     size_t n, char **folder, struct qu_err *err)
{
	struct app_sent_box b;
	app_sent_box_init(&b, a, net);
	int rc = app_sent_box_append(&b, p, n, folder, err);
	app_sent_box_close(&b);
	return rc;
}
