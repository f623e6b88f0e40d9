#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

#include "config/config.h"
#include "config/private.h"

enum kind {
	K_STR,
	K_FROM,
	K_URL,
	K_PATH,
	K_BOOL,
	K_AUTH,
	K_PASSWORD,
	K_SIZE,
	K_ALTERNATES, /* comma-separated addresses */
	K_SIGNATURE,  /* a file, or a command ending in '|' */
};

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	enum cfg_proto proto; /* K_URL only */
};

#define FIELD(f) offsetof(struct cfg_account, f)

/* The keys of [account NAME] (SPEC §2); a key's index is its bit in
 * cfg_loader.account_keys. */
static const struct key account_keys[] = {
	{"from", K_FROM, FIELD(from), 0},
	{"smtp", K_URL, FIELD(smtp), CFG_PROTO_SMTP},
	{"imap", K_URL, FIELD(imap), CFG_PROTO_IMAP},
	{"pop3", K_URL, FIELD(pop3), CFG_PROTO_POP3},
	{"user", K_STR, FIELD(user), 0},
	{"password", K_PASSWORD, FIELD(password), 0},
	{"password_command", K_STR, FIELD(password_command), 0},
	{"ca_file", K_PATH, FIELD(ca_file), 0},
	{"sent_folder", K_STR, FIELD(sent_folder), 0},
	{"maildir", K_PATH, FIELD(maildir), 0},
	{"auth", K_AUTH, FIELD(auth), 0},
	{"queue", K_BOOL, FIELD(queue), 0},
	{"imap_id", K_BOOL, FIELD(imap_id), 0},
	{"max_message_size", K_SIZE, FIELD(max_message_size), 0},
	/* writing mail (compose) */
	{"alternates", K_ALTERNATES, FIELD(alternates), 0},
	{"signature", K_SIGNATURE, FIELD(signature), 0},
	{"query_command", K_STR, FIELD(query_command), 0},
	/* auth = oauth2 */
	{"oauth2_client_id", K_STR, FIELD(oauth2.client_id), 0},
	{"oauth2_client_secret", K_STR, FIELD(oauth2.client_secret), 0},
	{"oauth2_token_command", K_STR, FIELD(oauth2.token_command), 0},
	{"oauth2_device_url", K_STR, FIELD(oauth2.device_url), 0},
	{"oauth2_token_url", K_STR, FIELD(oauth2.token_url), 0},
};

static unsigned
key_bit(const char *name)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(account_keys); i++)
		if (strcmp(account_keys[i].name, name) == 0)
			return 1u << i;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < QU_ARRAY_LEN(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
set_url(struct cfg_loader *ld, const struct key *k, char **f, const char *v)
{
	struct qu_err why;
	if (cfg_url_check(v, k->proto, &why) < 0)
		return cfg_loader_error(ld, "%s: %s", k->name, why.msg);
	cfg_set_str(f, v);
	return 0;
}

static int
set_from(struct cfg_loader *ld, char **f, const char *v)
{
	char *addr = cfg_from_address(v);
	if (!addr)
		return cfg_loader_error(ld, "from: no address in '%s'", v);
	free(addr);
	cfg_set_str(f, v);
	return 0;
}

static int
set_password(struct cfg_loader *ld, char **f, const char *v)
{
	if (!ld->private_file)
		return cfg_loader_error(ld,
					"a password in a file that group or others can access; run "
					"'chmod 600 %s' or use password_command",
					ld->c->path);
	qu_free_secret(*f);
	*f = xstrdup(v);
	return 0;
}

/* alternates: every comma-separated item must be an address. */
static int
set_alternates(struct cfg_loader *ld, char **f, const char *v)
{
	char *copy = xstrdup(v), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save)) {
		char *addr = cfg_from_address(t);
		if (!addr || !strchr(addr, '@'))
			rc = cfg_loader_error(ld, "alternates: no address in '%s'", t);
		free(addr);
	}
	free(copy);
	if (rc == 0)
		cfg_set_str(f, v);
	return rc;
}

/* signature: "cmd |" is kept as written; a file gets ~ expanded. */
static void
set_signature(char **f, const char *v)
{
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	free(*f);
	*f = n && v[n - 1] == '|' ? xstrdup(v) : cfg_expand_home(v);
}

static int
set_value(struct cfg_loader *ld, const struct key *k, struct cfg_account *a, const char *v)
{
	void *field = (char *)a + k->off;
	switch (k->kind) {
	case K_STR:
		cfg_set_str(field, v);
		return 0;
	case K_FROM:
		return set_from(ld, field, v);
	case K_URL:
		return set_url(ld, k, field, v);
	case K_PATH:
		free(*(char **)field);
		*(char **)field = cfg_expand_home(v);
		return 0;
	case K_BOOL:
		if (parse_bool(v, field) < 0)
			return cfg_loader_error(ld, "%s must be yes or no, not '%s'", k->name, v);
		return 0;
	case K_AUTH:
		if (strcasecmp(v, "password") == 0)
			a->auth = CFG_AUTH_DEFAULT;
		else if (strcasecmp(v, "oauth2") == 0)
			a->auth = CFG_AUTH_OAUTH2;
		else
			return cfg_loader_error(ld, "auth must be password or oauth2, not '%s'", v);
		return 0;
	case K_PASSWORD:
		return set_password(ld, field, v);
	case K_SIZE:
		if (cfg_parse_size(v, field) < 0)
			return cfg_loader_error(ld, "%s must be a size such as 100M, not '%s'",
						k->name, v);
		return 0;
	case K_ALTERNATES:
		return set_alternates(ld, field, v);
	case K_SIGNATURE:
		set_signature(field, v);
		return 0;
	}
	return 0;
}

static int
account_key(struct cfg_loader *ld, const char *name, const char *value)
{
	size_t ai = ld->c->n_accounts - 1;
	struct cfg_account *a = &ld->c->accounts[ai];
	unsigned *seen = &ld->account_keys[ai];
	for (size_t i = 0; i < QU_ARRAY_LEN(account_keys); i++) {
		if (strcasecmp(name, account_keys[i].name) != 0)
			continue;
		if (*seen & (1u << i))
			return cfg_loader_error(ld, "duplicate key '%s' in [account %s]", name,
						a->name);
		*seen |= 1u << i;
		unsigned both = key_bit("password") | key_bit("password_command");
		if ((*seen & both) == both)
			return cfg_loader_error(ld,
						"both password and password_command in [account "
						"%s]; keep one",
						a->name);
		return set_value(ld, &account_keys[i], a, value);
	}
	return cfg_loader_error(ld, "unknown key '%s' in [account %s]", name, a->name);
}

static int
general_key(struct cfg_loader *ld, const char *name, const char *value)
{
	unsigned bit;
	char **field;
	if (strcasecmp(name, "max_message_size") == 0) {
		if (ld->general_keys & 4)
			return cfg_loader_error(ld, "duplicate key '%s' in [general]", name);
		ld->general_keys |= 4;
		if (cfg_parse_size(value, &ld->c->max_message_size) < 0)
			return cfg_loader_error(ld, "%s must be a size such as 100M, not '%s'",
						name, value);
		return 0;
	}
	if (strcasecmp(name, "default_account") == 0) {
		bit = 1;
		field = &ld->c->default_account;
		ld->default_line = ld->lineno;
	} else if (strcasecmp(name, "maildir") == 0) {
		bit = 2;
		field = &ld->c->maildir;
	} else {
		return cfg_loader_error(ld, "unknown key '%s' in [general]", name);
	}
	if (ld->general_keys & bit)
		return cfg_loader_error(ld, "duplicate key '%s' in [general]", name);
	ld->general_keys |= bit;
	free(*field);
	*field = bit == 2 ? cfg_expand_home(value) : xstrdup(value);
	return 0;
}

/* [ui] keys are kept for the UI to check (SPEC §8); only repeats are
 * refused here. */
static int
ui_key(struct cfg_loader *ld, const char *name, const char *value)
{
	struct cfg *c = ld->c;
	for (size_t i = 0; i < c->n_ui; i++)
		if (strcasecmp(c->ui[i].key, name) == 0)
			return cfg_loader_error(ld, "duplicate key '%s' in [ui]", name);
	c->ui = xgrow(c->ui, &ld->ui_alloc, c->n_ui + 1, sizeof *c->ui);
	c->ui[c->n_ui++] = (struct cfg_ui_setting){xstrdup(name), xstrdup(value), ld->lineno};
	return 0;
}

int
cfg_loader_key(struct cfg_loader *ld, const char *name, const char *value)
{
	if (!*value)
		return cfg_loader_error(ld, "empty value for '%s'", name);
	switch (ld->sec) {
	case CFG_SECTION_GENERAL:
		return general_key(ld, name, value);
	case CFG_SECTION_ACCOUNT:
		return account_key(ld, name, value);
	case CFG_SECTION_UI:
		return ui_key(ld, name, value);
	case CFG_SECTION_NONE:
		break;
	}
	return cfg_loader_error(ld, "key '%s' before any [section]", name);
}

void
cfg_loader_finish_account(struct cfg_loader *ld, size_t i)
{
	struct cfg_account *a = &ld->c->accounts[i];
	if (!a->maildir)
		a->maildir = xasprintf("%s/%s", ld->c->maildir, a->name);
	if (!a->max_message_size)
		a->max_message_size = ld->c->max_message_size;
	bool imap_id_set = ld->account_keys[i] & key_bit("imap_id");
	cfg_preset_apply(a, cfg_preset_for_account(a), !imap_id_set);
}

uint64_t
cfg_max_message_size(const struct cfg_account *a)
{
	return a->max_message_size ? a->max_message_size : CFG_MAX_MESSAGE_SIZE;
}

int
cfg_parse_size(const char *s, uint64_t *out)
{
	size_t n = strspn(s, "0123456789");
	uint64_t v;
	if (n == 0 || qu_parse_u64(s, n, UINT64_MAX, &v) < 0)
		return -1;
	const char *u = s + n;
	unsigned shift = 0;
	if (*u == 'k' || *u == 'K')
		shift = 10;
	else if (*u == 'm' || *u == 'M')
		shift = 20;
	else if (*u == 'g' || *u == 'G')
		shift = 30;
	if (shift) {
		u++;
		if (*u == 'i' || *u == 'I')
			u++;
		if (*u == 'b' || *u == 'B')
			u++;
	} else if (*u == 'b' || *u == 'B') {
		u++;
	}
	if (*u || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}
