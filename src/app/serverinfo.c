#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/private.h"

static void
emit_tls(struct net_conn *conn, app_emit_fn emit, void *ctx)
{
	char *d = net_tls_describe(conn);
	if (!d) {
		emit(ctx, "tls", "none");
		return;
	}
	/* One fact a line: "tls protocol: TLS1.3", ... */
	char *p = d;
	while (*p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		char *colon = strstr(p, ": ");
		if (colon) {
			*colon = '\0';
			char *key = xasprintf("tls %s", p);
			emit(ctx, key, colon + 2);
			free(key);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	free(d);
}

/* "KW a b\nKW2" -> "KW a b, KW2" for one line of output. */
static char *
join_lines(const char *s, const char *sep)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "\n");
		if (n) {
			if (b.len)
				qu_buf_append_str(&b, sep);
			qu_buf_append(&b, p, n);
		}
		p += n + (p[n] ? 1 : 0);
	}
	return qu_buf_steal(&b, NULL);
}

static void
emit_discarded(size_t n, app_emit_fn emit, void *ctx)
{
	if (!n)
		return;
	char v[96];
	snprintf(v, sizeof v, "%zu bytes sent before the TLS handshake were discarded", n);
	emit(ctx, "warning", v);
}

/* An extension's parameters end at the line's end. */
static void
emit_param(void *ctx, app_emit_fn emit, const char *param)
{
	char *v = xstrndup(param, strcspn(param, "\n"));
	emit(ctx, "auth", v);
	free(v);
}

static void
emit_login(const char *mech, app_emit_fn emit, void *ctx)
{
	char *v = xasprintf("ok (%s)", mech ? mech : "?");
	emit(ctx, "login", v);
	free(v);
}

static int
info_smtp(const struct cfg_account *a, const struct cfg_url *u, bool login,
	  const struct net_opts *no, app_emit_fn emit, void *ctx, struct qu_err *err)
{
	struct smtp_opts o = {.host = u->host, .port = u->port, .tls = app_tls_mode(u->tls), .net = *no};
	struct smtp_session *s = smtp_session_open(&o, err);
	if (!s)
		return -1;
	int rc = -1;
	emit(ctx, "greeting", smtp_session_greeting(s));
	emit_discarded(smtp_session_discarded(s), emit, ctx);
	emit_tls(smtp_session_conn(s), emit, ctx);
	char *caps = join_lines(smtp_session_extensions(s), ", ");
	emit(ctx, "capabilities", caps);
	free(caps);
	const char *mechs = NULL;
	emit_param(ctx, emit, smtp_session_has_ext(s, "AUTH", &mechs) ? mechs : "(none offered)");
	if (login) {
		struct app_creds c;
		const char *mech = NULL;
		if (app_creds_get(a, u, &c, err) < 0)
			goto out;
		int r = smtp_session_auth(s, &c.c, u->tls == CFG_TLS_NONE || net_conn_is_tls(smtp_session_conn(s)),
					  &mech, err);
		app_creds_clear(&c);
		if (r < 0)
			goto out;
		emit_login(mech, emit, ctx);
	}
	rc = 0;
out:
	smtp_session_close(s);
	return rc;
}

static int
info_pop3(const struct cfg_account *a, const struct cfg_url *u, bool login,
	  const struct net_opts *no, app_emit_fn emit, void *ctx, struct qu_err *err)
{
	struct pop3_opts o = {.host = u->host, .port = u->port, .tls = app_tls_mode(u->tls), .net = *no};
	struct pop3_session *s = pop3_session_open(&o, err);
	if (!s)
		return -1;
	int rc = -1;
	emit(ctx, "greeting", pop3_session_greeting(s));
	emit_discarded(pop3_session_discarded(s), emit, ctx);
	emit_tls(pop3_session_conn(s), emit, ctx);
	char *caps = join_lines(pop3_session_capabilities(s), ", ");
	emit(ctx, "capabilities", caps);
	free(caps);
	const char *mechs = NULL;
	emit_param(ctx, emit, pop3_session_has_cap(s, "SASL", &mechs) ? mechs
			      : pop3_session_has_cap(s, "USER", NULL) ? "USER" : "(none offered)");
	if (login) {
		struct app_creds c;
		const char *mech = NULL;
		if (app_creds_get(a, u, &c, err) < 0)
			goto out;
		int r = pop3_session_auth(s, &c.c, u->tls == CFG_TLS_NONE || net_conn_is_tls(pop3_session_conn(s)),
					  &mech, err);
		app_creds_clear(&c);
		if (r < 0)
			goto out;
		emit_login(mech, emit, ctx);
	}
	rc = 0;
out:
	pop3_session_close(s);
	return rc;
}

static char *
imap_auth_list(const char *caps)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (const char *p = caps; *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n > 5 && qu_mem_eq_ci(p, 5, "AUTH=")) {
			if (b.len)
				qu_buf_append_byte(&b, ' ');
			qu_buf_append(&b, p + 5, n - 5);
		}
		p += n;
	}
	if (!b.len)
		qu_buf_append_str(&b, "LOGIN command only");
	return qu_buf_steal(&b, NULL);
}

static int
info_imap(const struct cfg_account *a, const struct cfg_url *u, bool login,
	  const struct net_opts *no, app_emit_fn emit, void *ctx, struct qu_err *err)
{
	struct imap_opts o = {.host = u->host, .port = u->port, .tls = app_tls_mode(u->tls), .net = *no};
	struct imap_session *s = imap_session_open(&o, err);
	if (!s)
		return -1;
	int rc = -1;
	emit(ctx, "greeting", imap_session_greeting(s));
	emit_discarded(imap_session_discarded(s), emit, ctx);
	emit_tls(imap_session_conn(s), emit, ctx);
	emit(ctx, "capabilities", imap_session_capabilities(s));
	char *auth = imap_auth_list(imap_session_capabilities(s));
	emit(ctx, "auth", auth);
	free(auth);
	if (login) {
		struct app_creds c;
		const char *mech = NULL;
		if (app_creds_get(a, u, &c, err) < 0)
			goto out;
		int r = imap_session_auth(s, &c.c, u->tls == CFG_TLS_NONE || net_conn_is_tls(imap_session_conn(s)),
					  &mech, err);
		app_creds_clear(&c);
		if (r < 0)
			goto out;
		emit_login(mech, emit, ctx);
		emit(ctx, "capabilities after login", imap_session_capabilities(s));
	}
	rc = 0;
out:
	imap_session_close(s);
	return rc;
}

int
app_serverinfo(const struct cfg_account *acct, enum cfg_proto proto, bool login,
	       const struct app_net *net, app_emit_fn emit, void *ctx, struct qu_err *err)
{
	struct cfg_url u;
	if (app_server_url(acct, proto, &u, err) < 0)
		return -1;
	char *where = cfg_url_format(&u);
	emit(ctx, "server", where);
	struct net_opts no;
	app_net_opts(acct, net, &no);
	int rc;
	switch (proto) {
	case CFG_PROTO_SMTP:
		rc = info_smtp(acct, &u, login, &no, emit, ctx, err);
		break;
	case CFG_PROTO_POP3:
		rc = info_pop3(acct, &u, login, &no, emit, ctx, err);
		break;
	default:
		rc = info_imap(acct, &u, login, &no, emit, ctx, err);
		break;
	}
	if (rc < 0)
		qu_err_prefix(err, "%s", where);
	free(where);
	cfg_url_clear(&u);
	return rc;
}
