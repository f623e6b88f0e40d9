#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/private.h"

int
app_server_url(const struct cfg_account *a, enum cfg_proto proto, struct cfg_url *url,
	       struct qu_err *err)
{
	const char *s = proto == CFG_PROTO_SMTP ? a->smtp : proto == CFG_PROTO_IMAP ? a->imap : a->pop3;
	if (!s)
		return qu_err_set(err, QU_E_CONFIG, "no %s server: give --%s URL or set %s = in the account",
				  cfg_proto_name(proto), cfg_proto_name(proto), cfg_proto_name(proto));
	if (cfg_url_parse(s, url, err) < 0) {
		err->cls = QU_E_CONFIG;
		return -1;
	}
	if (url->proto != proto) {
		cfg_url_clear(url);
		return qu_err_set(err, QU_E_CONFIG, "%s is not a %s URL", s, cfg_proto_name(proto));
	}
	return 0;
}

void
app_net_opts(const struct cfg_account *a, const struct app_net *n, struct net_opts *o)
{
	memset(o, 0, sizeof *o);
	o->timeout_ms = (n && n->timeout_s > 0 ? n->timeout_s : 60) * 1000;
	o->ca_file = a->ca_file;
	o->trace = n ? n->trace : NULL;
	o->cancel = n ? n->cancel : NULL;
}

enum net_tls_mode
app_tls_mode(enum cfg_tls t)
{
	switch (t) {
	case CFG_TLS_IMPLICIT:
		return NET_TLS_IMPLICIT;
	case CFG_TLS_STARTTLS:
		return NET_TLS_STARTTLS;
	case CFG_TLS_NONE:
		return NET_TLS_NONE;
	}
	return NET_TLS_IMPLICIT;
}

int
app_creds_begin(const struct cfg_account *a, const struct cfg_url *url, const struct net_opts *no,
		struct app_creds *c, struct qu_err *err)
{
	memset(c, 0, sizeof *c);
	const char *user = a->user ? a->user : url->user;
	if (!user)
		return qu_err_set(err, QU_E_CONFIG, "no user name: give --user or set user = in the account");
	/* auth = oauth2 without a password command: oauth2_token_command
	 * runs in its place, else the token quail keeps (oauth2.c). */
	if (a->auth == CFG_AUTH_OAUTH2 && !a->password && !a->password_command) {
		if (a->oauth2.token_command) {
			c->shadow = *a;
			c->shadow.password_command = a->oauth2.token_command;
			a = &c->shadow;
		} else {
			struct app_net n = {.timeout_s = no ? no->timeout_ms / 1000 : 0,
					    .cancel = no ? no->cancel : NULL};
			c->secret = app_oauth2_access_token(a, &n, err);
			if (!c->secret)
				return -1;
			c->c.secret = c->secret;
		}
	}
	/* The command gets the connection's deadline and cancel handle. */
	struct cfg_password_opts po = {.timeout_ms = no ? no->timeout_ms : 0,
				       .cancel = no ? no->cancel : NULL};
	if (!c->secret && cfg_password_start(a, &po, &c->job, err) < 0)
		return -1;
	c->running = !c->secret;
	c->user = xstrdup(user);
	c->c.user = c->user;
	c->c.oauth2 = a->auth == CFG_AUTH_OAUTH2;
	c->c.host = url->host;
	c->c.port = url->port;
	return 0;
}

int
app_creds_end(struct app_creds *c, struct qu_err *err)
{
	if (!c->running)
		return c->secret ? 0 : qu_err_set(err, QU_E_SOFTWARE, "no credentials begun");
	c->running = false;
	c->secret = cfg_password_finish(&c->job, err);
	if (!c->secret) {
		if (err && err->cls != QU_E_OK)
			return -1;
		return qu_err_set(err, QU_E_CONFIG,
				  "no password: give --password-command or set password_command = in the account");
	}
	c->c.secret = c->secret;
	return 0;
}

int
app_creds_get(const struct cfg_account *a, const struct cfg_url *url, const struct net_opts *no,
	      struct app_creds *c, struct qu_err *err)
{
	if (app_creds_begin(a, url, no, c, err) < 0)
		return -1;
	if (app_creds_end(c, err) < 0) {
		app_creds_clear(c);
		return -1;
	}
	return 0;
}

void
app_creds_clear(struct app_creds *c)
{
	if (c->running) {
		/* Reaped even when its secret is not wanted. */
		struct qu_err ignored;
		qu_free_secret(cfg_password_finish(&c->job, &ignored));
	}
	free(c->user);
	qu_free_secret(c->secret);
	memset(c, 0, sizeof *c);
}
