/* Opening an IMAP session for an account: what every IMAP use case does
 * first. */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "net/net.h"
#include "config/config.h"
#include "store/store.h"
#include "imap/imap.h"
#include "app/private.h"
#include "app/imap_private.h"

/* What quail says about itself in ID (RFC 2971). */
#define ID_NAME "quail"
#define ID_VENDOR "quail"
#define ID_SUPPORT "quail@users.noreply.invalid"

int
app_imap_fail(struct app_imap *c, struct qu_err *err)
{
	if (err->cls != QU_E_IOERR && err->cls != QU_E_CANCELED && c->where)
		qu_err_prefix(err, "%s", c->where);
	return -1;
}

/* The TLS session cache of the URL's server (net_tls_cache_new) in
 * $XDG_STATE_HOME/quail/tls/, never in a mail tree; NULL without TLS or
 * when that directory cannot be made or is unsafe (store_private_dir):
 * every handshake is then a full one. */
static struct net_tls_cache *
tls_cache(const struct cfg_account *a, const struct cfg_url *u)
{
	if (u->tls == CFG_TLS_NONE)
		return NULL;
	char *home = cfg_state_home();
	if (!home)
		return NULL;
	char *dir = xasprintf("%s/tls", home);
	struct qu_err e;
	qu_err_clear(&e);
	struct net_tls_cache *t =
		store_private_dir(dir, &e) == 0 ? net_tls_cache_new(dir, u->host, u->port, a->ca_file)
						 : NULL;
	free(dir);
	free(home);
	return t;
}

int
app_imap_connect(const struct cfg_account *a, const struct app_net *net, struct app_imap *c,
		 struct qu_err *err)
{
	memset(c, 0, sizeof *c);
	if (app_server_url(a, CFG_PROTO_IMAP, &c->url, err) < 0)
		return -1;
	c->where = cfg_url_format(&c->url);
	struct app_creds cr;
	/* password_command runs while the connection is set up. */
	struct net_opts po;
	app_net_opts(a, net, &po);
	if (app_creds_begin(a, &c->url, &po, &cr, err) < 0) {
		app_imap_close(c);
		return -1;
	}
	c->user = xstrdup(cr.user);
	struct net_opts no;
	app_net_opts(a, net, &no);
	c->tls = tls_cache(a, &c->url);
	no.resume = net_tls_cache_resume(c->tls);
	struct imap_opts io = {.host = c->url.host, .port = c->url.port,
			       .tls = app_tls_mode(c->url.tls), .net = no};
	c->s = imap_session_open(&io, err);
	int rc = -1;
	if (!c->s)
		goto out;
	if (app_creds_end(&cr, err) < 0) {
		/* A local failure: said without the URL. */
		app_creds_clear(&cr);
		app_imap_close(c);
		return -1;
	}
	bool allow_plain = c->url.tls == CFG_TLS_NONE || net_conn_is_tls(imap_session_conn(c->s));
	if (imap_session_auth(c->s, &cr.c, allow_plain, NULL, err) < 0)
		goto out;
	/* ID before any SELECT (163.com and 126.com refuse it otherwise),
	 * ENABLE (RFC 5161) and COMPRESS (RFC 4978): one round trip. */
	struct imap_id id = {ID_NAME, QUAIL_VERSION, ID_VENDOR, ID_SUPPORT};
	if (imap_session_setup(c->s, a->imap_id ? &id : NULL,
			       IMAP_ENABLE_CONDSTORE | IMAP_ENABLE_QRESYNC | IMAP_ENABLE_UTF8, true,
			       err) < 0)
		goto out;
	rc = 0;
out:
	app_creds_clear(&cr);
	if (rc < 0) {
		app_imap_fail(c, err);
		app_imap_close(c);
	}
	return rc;
}

void
app_imap_close(struct app_imap *c)
{
	imap_session_close(c->s);
	net_tls_cache_free(c->tls); /* after the session: its close saves one */
	cfg_url_clear(&c->url);
	free(c->where);
	free(c->user);
	memset(c, 0, sizeof *c);
}
