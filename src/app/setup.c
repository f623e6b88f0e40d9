/*
 * `quail setup` (SPEC §11): finding an address's servers and checking a
 * login before anything is written.
 *
 * Servers come, in this order, from the built-in presets, from DNS SRV
 * records (RFC 6186, with the implicit-TLS services of RFC 8314 §5.1
 * preferred), and from probing the names providers usually use. Probing
 * only keeps a server that completes TLS (implicit, or STARTTLS on the
 * plain-text ports), since SPEC §1 never sends a password without it.
 */
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/private.h"

void
app_setup_servers_clear(struct app_setup_servers *s)
{
	free(s->imap);
	free(s->pop3);
	free(s->smtp);
	memset(s, 0, sizeof *s);
}

/* One SRV lookup, bounded: one try of at most timeout_s seconds. Returns
 * a new URL "scheme://host:port", or NULL. */
static char *
srv_url(const char *service, const char *domain, const char *scheme, int timeout_s)
{
	struct __res_state st;
	memset(&st, 0, sizeof st);
	if (res_ninit(&st) < 0)
		return NULL;
	st.retrans = timeout_s > 5 ? 5 : timeout_s < 1 ? 1 : timeout_s;
	st.retry = 1;
	char *name = xasprintf("%s.%s", service, domain);
	unsigned char ans[4096];
	int n = res_nquery(&st, name, ns_c_in, ns_t_srv, ans, sizeof ans);
	free(name);
	res_nclose(&st);
	char *host = NULL, *url = NULL;
	uint16_t port = 0;
	if (n > 0 && app_srv_pick(ans, (size_t)n, &host, &port) > 0)
		url = xasprintf("%s://%s:%u", scheme, host, (unsigned)port);
	free(host);
	return url;
}

static void
ignore(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	(void)key;
	(void)value;
}

/* True when url answers with TLS (implicit or STARTTLS) within the probe's
 * time. */
static bool
probe(const char *url, enum cfg_proto proto, const char *ca_file, const struct app_net *net)
{
	struct cfg_account a;
	memset(&a, 0, sizeof a);
	a.ca_file = (char *)ca_file;
	if (proto == CFG_PROTO_SMTP)
		a.smtp = (char *)url;
	else if (proto == CFG_PROTO_IMAP)
		a.imap = (char *)url;
	else
		a.pop3 = (char *)url;
	struct qu_err err;
	qu_err_clear(&err);
	return app_serverinfo(&a, proto, false, net, ignore, NULL, &err) == 0;
}

struct service {
	enum cfg_proto proto;
	const char *srv;    /* RFC 6186 service label */
	const char *scheme; /* what the SRV answer becomes */
};

/* RFC 8314 §5.1: implicit TLS first, then STARTTLS. */
static const struct service in_services[] = {
	{CFG_PROTO_IMAP, "_imaps._tcp", "imaps"},
	{CFG_PROTO_IMAP, "_imap._tcp", "imap"},
	{CFG_PROTO_POP3, "_pop3s._tcp", "pop3s"},
	{CFG_PROTO_POP3, "_pop3._tcp", "pop3"},
};
static const struct service out_services[] = {
	{CFG_PROTO_SMTP, "_submissions._tcp", "smtps"},
	{CFG_PROTO_SMTP, "_submission._tcp", "smtp"},
};

/* Names to try, "%s" the domain: implicit TLS before STARTTLS, the
 * protocol's own name before mail. and the bare domain. */
static const struct {
	enum cfg_proto proto;
	const char *fmt;
} guesses[] = {
	{CFG_PROTO_IMAP, "imaps://imap.%s"}, {CFG_PROTO_IMAP, "imaps://mail.%s"},
	{CFG_PROTO_IMAP, "imaps://%s"},      {CFG_PROTO_IMAP, "imap://imap.%s"},
	{CFG_PROTO_IMAP, "imap://mail.%s"},  {CFG_PROTO_POP3, "pop3s://pop.%s"},
	{CFG_PROTO_POP3, "pop3s://pop3.%s"}, {CFG_PROTO_POP3, "pop3s://mail.%s"},
	{CFG_PROTO_POP3, "pop3://pop.%s"},   {CFG_PROTO_SMTP, "smtps://smtp.%s"},
	{CFG_PROTO_SMTP, "smtps://mail.%s"}, {CFG_PROTO_SMTP, "smtps://%s"},
	{CFG_PROTO_SMTP, "smtp://smtp.%s"},  {CFG_PROTO_SMTP, "smtp://mail.%s"},
};

size_t
app_setup_guesses(const char *domain, enum cfg_proto proto, char ***out)
{
	size_t n = 0;
	*out = xcalloc(QU_ARRAY_LEN(guesses), sizeof **out);
	for (size_t i = 0; i < QU_ARRAY_LEN(guesses); i++)
		if (guesses[i].proto == proto) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			(*out)[n++] = xasprintf(guesses[i].fmt, domain);
#pragma GCC diagnostic pop
		}
	return n;
}

static char **
slot(struct app_setup_servers *s, enum cfg_proto p)
{
	return p == CFG_PROTO_SMTP ? &s->smtp : p == CFG_PROTO_IMAP ? &s->imap : &s->pop3;
}

static void
note(app_emit_fn fn, void *ctx, const char *key, const char *value)
{
	if (fn)
		fn(ctx, key, value);
}

/* Fills the incoming (want_in) or outgoing server from SRV records. */
static void
from_srv(const char *domain, const struct service *sv, size_t n, const struct app_net *net,
	 struct app_setup_servers *out, app_emit_fn fn, void *ctx)
{
	for (size_t i = 0; i < n && !qu_cancel_fired(net->cancel); i++) {
		char *url = srv_url(sv[i].srv, domain, sv[i].scheme, net->timeout_s);
		if (!url)
			continue;
		note(fn, ctx, "srv", url);
		*slot(out, sv[i].proto) = url;
		return;
	}
}

static void
from_guesses(const char *domain, enum cfg_proto proto, const char *ca_file,
	     const struct app_net *net, struct app_setup_servers *out, app_emit_fn fn, void *ctx)
{
	char **g;
	size_t n = app_setup_guesses(domain, proto, &g);
	/* One probe may not use all of --timeout: several are tried. */
	struct app_net pn = *net;
	int t = net->timeout_s > 0 ? net->timeout_s : 60;
	pn.timeout_s = t > 5 ? 5 : t;
	for (size_t i = 0; i < n; i++) {
		if (!*slot(out, proto) && !qu_cancel_fired(net->cancel)) {
			note(fn, ctx, "probe", g[i]);
			if (probe(g[i], proto, ca_file, &pn)) {
				*slot(out, proto) = g[i];
				g[i] = NULL;
			}
		}
		free(g[i]);
	}
	free(g);
}

int
app_setup_discover(const char *address, const struct app_setup_opts *o, const struct app_net *net,
		   struct app_setup_servers *out, app_emit_fn fn, void *ctx, struct qu_err *err)
{
	const struct cfg_preset *p = cfg_preset_for(address);
	bool need_in = !out->imap && !out->pop3;
	if (p) {
		if (need_in)
			out->imap = xstrdup(p->imap);
		if (!out->smtp)
			out->smtp = xstrdup(p->smtp);
		note(fn, ctx, "preset", p->domain);
		return 0;
	}
	const char *at = strrchr(address, '@');
	const char *domain = at ? at + 1 : NULL;
	if (!domain || !app_host_ok(domain))
		return qu_err_set(err, QU_E_USAGE, "'%s' is not a mail address with a domain", address);
	if (o->use_dns) {
		if (need_in)
			from_srv(domain, in_services, QU_ARRAY_LEN(in_services), net, out, fn, ctx);
		if (!out->smtp)
			from_srv(domain, out_services, QU_ARRAY_LEN(out_services), net, out, fn, ctx);
	}
	if (o->probe) {
		if (!out->imap && !out->pop3)
			from_guesses(domain, CFG_PROTO_IMAP, o->ca_file, net, out, fn, ctx);
		if (!out->imap && !out->pop3)
			from_guesses(domain, CFG_PROTO_POP3, o->ca_file, net, out, fn, ctx);
		if (!out->smtp)
			from_guesses(domain, CFG_PROTO_SMTP, o->ca_file, net, out, fn, ctx);
	}
	if (qu_cancel_check(net->cancel, err) < 0)
		return -1;
	if (!out->imap && !out->pop3)
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "no IMAP or POP3 server found for %s: give --imap or --pop3 URL",
				  domain);
	if (!out->smtp)
		return qu_err_set(err, QU_E_UNAVAILABLE,
				  "no SMTP server found for %s: give --smtp URL", domain);
	return 0;
}

/* The login check on both servers with one password_command run: the
 * command may ask for a passphrase or a hardware key's touch (pass, gpg),
 * and a second prompt for the same secret seconds later reads as a fault.
 * The secret lives on a copy of the account and is wiped when done. An
 * account with a password, or with auth = oauth2 and no command (the
 * token comes from oauth2.c), runs nothing here. */
int
app_setup_check(const struct cfg_account *a, const struct app_net *net, app_emit_fn fn, void *ctx,
		struct qu_err *err)
{
	struct cfg_account once = *a;
	char *secret = NULL;
	if (!a->password && a->password_command) {
		struct cfg_password_opts po = {
			.timeout_ms = net->timeout_s > 0 ? net->timeout_s * 1000 : 0,
			.cancel = net->cancel};
		secret = cfg_password(a, &po, err);
		if (!secret) {
			if (err->cls == QU_E_OK)
				qu_err_set(err, QU_E_CONFIG, "password_command printed nothing");
			return -1;
		}
		once.password = secret;
		once.password_command = NULL;
	}
	enum cfg_proto in = a->imap ? CFG_PROTO_IMAP : CFG_PROTO_POP3;
	/* serverinfo --login: greeting, TLS, capabilities, AUTH; for SMTP
	 * EHLO and AUTH then QUIT, so no mail is sent. */
	int rc = app_serverinfo(&once, in, true, net, ignore, NULL, err);
	if (rc == 0) {
		note(fn, ctx, "login ok", a->imap ? a->imap : a->pop3);
		rc = app_serverinfo(&once, CFG_PROTO_SMTP, true, net, ignore, NULL, err);
	}
	if (rc == 0)
		note(fn, ctx, "login ok", a->smtp);
	qu_free_secret(secret);
	return rc;
}
