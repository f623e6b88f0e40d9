#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#include "config/config.h"
#include "config/private.h"

/* An account made from the command line alone: no name, and a Maildir beside
 * those of the named accounts. */
static struct cfg_account *
cmdline_account(const struct cfg *c)
{
	struct cfg_account *a = xmalloc(sizeof *a);
	cfg_account_init(a);
	if (c)
		a->max_message_size = c->max_message_size;
	if (c && c->maildir) {
		a->maildir = xasprintf("%s/default", c->maildir);
	} else {
		char *root = cfg_expand_home("~/Mail");
		a->maildir = xasprintf("%s/default", root);
		free(root);
	}
	return a;
}

static int
override_url(char **field, const char *url, enum cfg_proto proto, struct qu_err *err)
{
	if (!url)
		return 0;
	if (cfg_url_check(url, proto, err) < 0)
		return qu_err_prefix(err, "--%s", cfg_proto_name(proto));
	cfg_set_str(field, url);
	return 0;
}

static int
override_urls(struct cfg_account *a, const struct cfg_overrides *o, struct qu_err *err)
{
	if (override_url(&a->smtp, o->smtp, CFG_PROTO_SMTP, err) < 0 ||
	    override_url(&a->imap, o->imap, CFG_PROTO_IMAP, err) < 0 ||
	    override_url(&a->pop3, o->pop3, CFG_PROTO_POP3, err) < 0)
		return -1;
	/* --imap URL or --pop3 URL names the mailbox to read (SPEC §5), so
	 * the account's other incoming server must not compete with it. */
	if (o->imap && !o->pop3)
		cfg_set_str(&a->pop3, NULL);
	if (o->pop3 && !o->imap)
		cfg_set_str(&a->imap, NULL);
	return 0;
}

static int
override_strings(struct cfg_account *a, const struct cfg_overrides *o, struct qu_err *err)
{
	if (o->from) {
		char *addr = cfg_from_address(o->from);
		bool ok = addr && !cfg_has_control(o->from);
		free(addr);
		if (!ok)
			return qu_err_set(err, QU_E_USAGE, "--from: no usable address");
		cfg_set_str(&a->from, o->from);
	}
	if (o->user)
		cfg_set_str(&a->user, o->user);
	if (o->password_command) {
		qu_free_secret(a->password);
		a->password = NULL;
		cfg_set_str(&a->password_command, o->password_command);
	}
	if (o->ca_file) {
		free(a->ca_file);
		a->ca_file = cfg_expand_home(o->ca_file);
	}
	return 0;
}

/* The user@ part of the first URL that has one. */
static char *
user_from_urls(const struct cfg_account *a)
{
	const char *urls[] = {a->smtp, a->imap, a->pop3};
	for (size_t i = 0; i < QU_ARRAY_LEN(urls); i++) {
		struct cfg_url u;
		if (!urls[i] || cfg_url_parse(urls[i], &u, NULL) < 0)
			continue;
		char *user = u.user;
		u.user = NULL;
		cfg_url_clear(&u);
		if (user)
			return user;
	}
	return NULL;
}

static void
fill_defaults(struct cfg_account *a, bool from_file)
{
	/* Recomputed because --from or --user may have changed the domain; an
	 * account from the file keeps its imap_id, which cfg_load settled. */
	const struct cfg_preset *p = cfg_preset_for_account(a);
	a->provider = NULL;
	a->password_hint = NULL;
	cfg_preset_apply(a, p, !from_file);
	if (!a->user)
		a->user = user_from_urls(a);
	if (!a->user)
		a->user = cfg_from_address(a->from);
}

struct cfg_account *
cfg_resolve(const struct cfg *c, const struct cfg_overrides *o, struct qu_err *err)
{
	static const struct cfg_overrides none;
	if (!o)
		o = &none;
	struct qu_err why;
	qu_err_clear(&why);
	const struct cfg_account *base = NULL;
	if (o->account) {
		base = cfg_find_account(c, o->account, err);
		if (!base)
			return NULL;
	} else if (c) {
		base = cfg_find_account(c, NULL, &why);
	}
	struct cfg_account *a = base ? cfg_account_dup(base) : cmdline_account(c);
	if (override_urls(a, o, err) < 0 || override_strings(a, o, err) < 0)
		goto fail;
	fill_defaults(a, base != NULL);
	if (!base && !a->smtp && !a->imap && !a->pop3) {
		if (why.cls != QU_E_OK && err)
			*err = why;
		else
			qu_err_set(err, QU_E_CONFIG,
				   "no account: write a config file or give --smtp, --imap or --pop3");
		goto fail;
	}
	return a;
fail:
	cfg_account_free(a);
	return NULL;
}
