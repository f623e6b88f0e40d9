#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#include "config/config.h"
#include "config/private.h"

void
cfg_account_init(struct cfg_account *a)
{
	memset(a, 0, sizeof *a);
	a->auth = CFG_AUTH_DEFAULT;
	a->imap_id = true;
}

void
cfg_account_clear(struct cfg_account *a)
{
	free(a->name);
	free(a->from);
	free(a->smtp);
	free(a->imap);
	free(a->pop3);
	free(a->user);
	qu_free_secret(a->password);
	free(a->password_command);
	free(a->ca_file);
	free(a->sent_folder);
	free(a->maildir);
	free(a->alternates);
	free(a->signature);
	free(a->query_command);
	free(a->oauth2.client_id);
	qu_free_secret(a->oauth2.client_secret);
	free(a->oauth2.token_command);
	free(a->oauth2.device_url);
	free(a->oauth2.token_url);
	cfg_account_init(a);
}

void
cfg_account_free(struct cfg_account *a)
{
	if (!a)
		return;
	cfg_account_clear(a);
	free(a);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct cfg_account *
cfg_account_dup(const struct cfg_account *a)
{
	struct cfg_account *d = xmalloc(sizeof *d);
	*d = *a;
	d->name = dup_or_null(a->name);
	d->from = dup_or_null(a->from);
	d->smtp = dup_or_null(a->smtp);
	d->imap = dup_or_null(a->imap);
	d->pop3 = dup_or_null(a->pop3);
	d->user = dup_or_null(a->user);
	d->password = dup_or_null(a->password);
	d->password_command = dup_or_null(a->password_command);
	d->ca_file = dup_or_null(a->ca_file);
	d->sent_folder = dup_or_null(a->sent_folder);
	d->maildir = dup_or_null(a->maildir);
	d->alternates = dup_or_null(a->alternates);
	d->signature = dup_or_null(a->signature);
	d->query_command = dup_or_null(a->query_command);
	d->oauth2.client_id = dup_or_null(a->oauth2.client_id);
	d->oauth2.client_secret = dup_or_null(a->oauth2.client_secret);
	d->oauth2.token_command = dup_or_null(a->oauth2.token_command);
	d->oauth2.device_url = dup_or_null(a->oauth2.device_url);
	d->oauth2.token_url = dup_or_null(a->oauth2.token_url);
	return d;
}

void
cfg_set_str(char **field, const char *value)
{
	free(*field);
	*field = dup_or_null(value);
}

bool
cfg_has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return true;
	return false;
}

static const char *
proto_upper(enum cfg_proto p)
{
	switch (p) {
	case CFG_PROTO_SMTP:
		return "SMTP";
	case CFG_PROTO_IMAP:
		return "IMAP";
	case CFG_PROTO_POP3:
		return "POP3";
	}
	return "?";
}

int
cfg_url_check(const char *s, enum cfg_proto want, struct qu_err *err)
{
	struct cfg_url u;
	if (cfg_url_parse(s, &u, err) < 0)
		return -1;
	enum cfg_proto got = u.proto;
	cfg_url_clear(&u);
	if (got == want)
		return 0;
	const char *w = cfg_proto_name(want);
	return qu_err_set(err, QU_E_USAGE,
			  "%s URL where %s is expected (use %ss://, %s:// or %s+insecure://)",
			  proto_upper(got), proto_upper(want), w, w, w);
}

static const struct cfg_account *
find_named(const struct cfg *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_accounts; i++)
		if (strcmp(c->accounts[i].name, name) == 0)
			return &c->accounts[i];
	return NULL;
}

const struct cfg_account *
cfg_find_account(const struct cfg *c, const char *name, struct qu_err *err)
{
	const char *file = c && c->path ? c->path : NULL;
	if (name || (c && c->default_account)) {
		const char *want = name ? name : c->default_account;
		const struct cfg_account *a = find_named(c, want);
		if (!a && file)
			qu_err_set(err, QU_E_CONFIG, "no account '%s' in %s", want, file);
		else if (!a)
			qu_err_set(err, QU_E_CONFIG, "no account '%s' (no config file was read)", want);
		return a;
	}
	if (c && c->n_accounts == 1)
		return &c->accounts[0];
	if (c && c->n_accounts > 1)
		qu_err_set(err, QU_E_CONFIG,
			   "%s has %zu accounts and no default_account; choose one with --account",
			   file ? file : "the config file", c->n_accounts);
	else if (file)
		qu_err_set(err, QU_E_CONFIG, "no account in %s", file);
	else
		qu_err_set(err, QU_E_CONFIG, "no config file and no account");
	return NULL;
}
