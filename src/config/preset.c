#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#include "config/config.h"
#include "config/private.h"

/* Providers whose servers and login quirks are well known (SPEC §2). */
static const struct cfg_preset presets[] = {
	{
		.domain = "163.com",
		.smtp = "smtps://smtp.163.com",
		.imap = "imaps://imap.163.com",
		.pop3 = "pop3s://pop.163.com",
		.imap_id = true,
		.auth_code = true,
		.hint = "163.com needs the client authorization code (客户端授权码) from its "
			"web settings, not the web password",
	},
	{
		.domain = "126.com",
		.smtp = "smtps://smtp.126.com",
		.imap = "imaps://imap.126.com",
		.pop3 = "pop3s://pop.126.com",
		.imap_id = true,
		.auth_code = true,
		.hint = "126.com needs the client authorization code (客户端授权码) from its "
			"web settings, not the web password",
	},
	{
		.domain = "qq.com",
		.smtp = "smtps://smtp.qq.com",
		.imap = "imaps://imap.qq.com",
		.pop3 = "pop3s://pop.qq.com",
		.auth_code = true,
		.envelope_is_login = true,
		.hint = "qq.com needs the authorization code (授权码) from QQ Mail's settings "
			"(POP3/IMAP/SMTP service), not the QQ password",
	},
	{
		.domain = "gmail.com",
		.smtp = "smtps://smtp.gmail.com",
		.imap = "imaps://imap.gmail.com",
		.pop3 = "pop3s://pop.gmail.com",
		.hint = "gmail.com needs an app password or auth = oauth2",
	},
	{
		.domain = "outlook.com",
		.smtp = "smtp://smtp-mail.outlook.com",
		.imap = "imaps://outlook.office365.com",
		.pop3 = "pop3s://outlook.office365.com",
		.hint = "outlook.com refuses plain passwords: use auth = oauth2 with a "
			"password_command that prints an access token",
	},
};

/* Domains served by another domain's preset. */
static const struct {
	const char *domain;
	const char *preset;
} aliases[] = {
	{"foxmail.com", "qq.com"},
	{"hotmail.com", "outlook.com"},
	{"live.com", "outlook.com"},
};

static const struct cfg_preset *
preset_by_domain(const char *d)
{
	size_t n = strlen(d);
	for (size_t i = 0; i < QU_ARRAY_LEN(aliases); i++)
		if (qu_mem_eq_ci(d, n, aliases[i].domain)) {
			d = aliases[i].preset;
			n = strlen(d);
		}
	for (size_t i = 0; i < QU_ARRAY_LEN(presets); i++)
		if (qu_mem_eq_ci(d, n, presets[i].domain))
			return &presets[i];
	return NULL;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

char *
cfg_from_address(const char *from)
{
	if (!from)
		return NULL;
	const char *p = from;
	size_t n;
	/* The last '<' so that a quoted display name may contain one. */
	const char *lt = strrchr(from, '<');
	if (lt) {
		p = lt + 1;
		const char *gt = strchr(p, '>');
		n = gt ? (size_t)(gt - p) : strlen(p);
		qu_mem_trim(&p, &n);
	} else {
		/* "addr" or "addr (Comment)": the first word. */
		while (is_ws(*p))
			p++;
		n = strcspn(p, " \t(");
	}
	return n ? xstrndup(p, n) : NULL;
}

const struct cfg_preset *
cfg_preset_for(const char *from)
{
	char *addr = cfg_from_address(from);
	if (!addr)
		return NULL;
	const char *at = strrchr(addr, '@');
	const struct cfg_preset *p = at ? preset_by_domain(at + 1) : NULL;
	free(addr);
	return p;
}

const struct cfg_preset *
cfg_preset_for_account(const struct cfg_account *a)
{
	const struct cfg_preset *p = cfg_preset_for(a->from);
	if (!p && !a->from && a->user && strchr(a->user, '@'))
		p = cfg_preset_for(a->user);
	return p;
}

void
cfg_preset_apply(struct cfg_account *a, const struct cfg_preset *p, bool set_imap_id)
{
	if (!p)
		return;
	a->provider = p->domain;
	a->password_hint = p->hint;
	if (!a->smtp)
		a->smtp = xstrdup(p->smtp);
	/* Filling pop3 beside a user's imap (or the reverse) would change
	 * which protocol fetch uses, so the incoming pair goes in together. */
	if (!a->imap && !a->pop3) {
		a->imap = xstrdup(p->imap);
		a->pop3 = xstrdup(p->pop3);
	}
	if (set_imap_id)
		a->imap_id = p->imap_id;
}
