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

/* What serverinfo needs of a protocol session; s is its session. */
struct info_proto {
	void *(*open)(const struct cfg_url *u, const struct net_opts *no, struct qu_err *err);
	void (*close)(void *s);
	const char *(*greeting)(void *s);
	size_t (*discarded)(void *s);
	struct net_conn *(*conn)(void *s);
	/* capabilities and mechanisms, one line each (new strings) */
	char *(*caps)(void *s);
	char *(*auth)(void *s);
	int (*login)(void *s, const struct net_sasl_creds *c, bool plain_ok, const char **mech,
		     struct qu_err *err);
	/* what the server says of itself once logged in, or NULL */
	const char *(*caps_after)(void *s);
};

/* An extension's parameters end at the line's end. */
static char *
first_line(const char *s)
{
	return xstrndup(s, strcspn(s, "\n"));
}

static void *
smtp_open(const struct cfg_url *u, const struct net_opts *no, struct qu_err *err)
{
	struct smtp_opts o = {.host = u->host, .port = u->port, .tls = app_tls_mode(u->tls), .net = *no};
	return smtp_session_open(&o, err);
}
static void smtp_close(void *s) { smtp_session_close(s); }
static const char *smtp_greeting(void *s) { return smtp_session_greeting(s); }
static size_t smtp_discarded(void *s) { return smtp_session_discarded(s); }
static struct net_conn *smtp_conn(void *s) { return smtp_session_conn(s); }
static char *smtp_caps(void *s) { return join_lines(smtp_session_extensions(s), ", "); }
static char *
smtp_auth(void *s)
{
	const char *mechs = NULL;
	return first_line(smtp_session_has_ext(s, "AUTH", &mechs) ? mechs : "(none offered)");
}
static int
smtp_login(void *s, const struct net_sasl_creds *c, bool plain_ok, const char **mech,
	   struct qu_err *err)
{
	return smtp_session_auth(s, c, plain_ok, mech, err);
}

static void *
pop3_open(const struct cfg_url *u, const struct net_opts *no, struct qu_err *err)
{
	struct pop3_opts o = {.host = u->host, .port = u->port, .tls = app_tls_mode(u->tls), .net = *no};
	return pop3_session_open(&o, err);
}
static void pop3_close(void *s) { pop3_session_close(s); }
static const char *pop3_greeting(void *s) { return pop3_session_greeting(s); }
static size_t pop3_discarded(void *s) { return pop3_session_discarded(s); }
static struct net_conn *pop3_conn(void *s) { return pop3_session_conn(s); }
static char *pop3_caps(void *s) { return join_lines(pop3_session_capabilities(s), ", "); }
static char *
pop3_auth(void *s)
{
	const char *mechs = NULL;
	return first_line(pop3_session_has_cap(s, "SASL", &mechs) ? mechs
			  : pop3_session_has_cap(s, "USER", NULL) ? "USER" : "(none offered)");
}
static int
pop3_login(void *s, const struct net_sasl_creds *c, bool plain_ok, const char **mech,
	   struct qu_err *err)
{
	return pop3_session_auth(s, c, plain_ok, mech, err);
}

static void *
imap_open(const struct cfg_url *u, const struct net_opts *no, struct qu_err *err)
{
	struct imap_opts o = {.host = u->host, .port = u->port, .tls = app_tls_mode(u->tls), .net = *no};
	return imap_session_open(&o, err);
}
static void imap_close(void *s) { imap_session_close(s); }
static const char *imap_greeting(void *s) { return imap_session_greeting(s); }
static size_t imap_discarded(void *s) { return imap_session_discarded(s); }
static struct net_conn *imap_conn(void *s) { return imap_session_conn(s); }
static char *imap_caps(void *s) { return xstrdup(imap_session_capabilities(s)); }
static char *
imap_auth(void *s)
{
	char *m = imap_session_auth_mechs(s);
	if (*m)
		return m;
	free(m);
	return xstrdup("LOGIN command only");
}
static int
imap_login(void *s, const struct net_sasl_creds *c, bool plain_ok, const char **mech,
	   struct qu_err *err)
{
	return imap_session_auth(s, c, plain_ok, mech, err);
}
static const char *imap_caps_after(void *s) { return imap_session_capabilities(s); }

static const struct info_proto smtp_info = {smtp_open, smtp_close, smtp_greeting, smtp_discarded,
					    smtp_conn, smtp_caps, smtp_auth, smtp_login, NULL};
static const struct info_proto pop3_info = {pop3_open, pop3_close, pop3_greeting, pop3_discarded,
					    pop3_conn, pop3_caps, pop3_auth, pop3_login, NULL};
static const struct info_proto imap_info = {imap_open, imap_close, imap_greeting, imap_discarded,
					    imap_conn, imap_caps, imap_auth, imap_login,
					    imap_caps_after};

static void
emit_owned(app_emit_fn emit, void *ctx, const char *key, char *v)
{
	emit(ctx, key, v);
	free(v);
}

static int
info(const struct info_proto *pr, const struct cfg_account *a, const struct cfg_url *u, bool login,
     const struct net_opts *no, app_emit_fn emit, void *ctx, struct qu_err *err)
{
	void *s = pr->open(u, no, err);
	if (!s)
		return -1;
	int rc = -1;
	emit(ctx, "greeting", pr->greeting(s));
	emit_discarded(pr->discarded(s), emit, ctx);
	emit_tls(pr->conn(s), emit, ctx);
	emit_owned(emit, ctx, "capabilities", pr->caps(s));
	emit_owned(emit, ctx, "auth", pr->auth(s));
	if (login) {
		struct app_creds c;
		const char *mech = NULL;
		if (app_creds_get(a, u, no, &c, err) < 0)
			goto out;
		bool plain_ok = u->tls == CFG_TLS_NONE || net_conn_is_tls(pr->conn(s));
		int r = pr->login(s, &c.c, plain_ok, &mech, err);
		app_creds_clear(&c);
		if (r < 0)
			goto out;
		emit_owned(emit, ctx, "login", xasprintf("ok (%s)", mech ? mech : "?"));
		if (pr->caps_after)
			emit(ctx, "capabilities after login", pr->caps_after(s));
	}
	rc = 0;
out:
	pr->close(s);
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
	const struct info_proto *pr = proto == CFG_PROTO_SMTP ? &smtp_info
				      : proto == CFG_PROTO_POP3 ? &pop3_info : &imap_info;
	int rc = info(pr, acct, &u, login, &no, emit, ctx, err);
	if (rc < 0)
		qu_err_prefix(err, "%s", where);
	free(where);
	cfg_url_clear(&u);
	return rc;
}
