/*
 * Identities: which of one's accounts a message was sent to, and so which
 * account and From answer it (mutt's reverse_name with alternates), and
 * which account a draft's From sends through.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "util/util.h"
#include "config/config.h"
#include "mime/mime.h"
#include "app/app.h"
#include "app/compose_private.h"

/* The domain in ASCII (IDNA 2008, as the builder writes it), lowercased.
 * New string. */
static char *
domain_ascii(const char *d)
{
	char *r = qu_idna_to_ascii(d, NULL);
	if (!r)
		r = xstrdup(d);
	qu_str_lower(r);
	return r;
}

bool
compose_addr_eq(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	const char *ea = strrchr(a, '@'), *eb = strrchr(b, '@');
	if (!ea || !eb)
		return strcasecmp(a, b) == 0;
	if (ea - a != eb - b || strncasecmp(a, b, (size_t)(ea - a)) != 0)
		return false;
	if (strcasecmp(ea, eb) == 0)
		return true;
	char *da = domain_ascii(ea + 1), *db = domain_ascii(eb + 1);
	bool eq = strcmp(da, db) == 0;
	free(da);
	free(db);
	return eq;
}

void
compose_clean(char *s)
{
	for (unsigned char *c = (unsigned char *)s; c && *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

char *
compose_mailbox(const char *name, const char *addr)
{
	if (!name || !*name)
		return xstrdup(addr);
	char *clean = xstrdup(name);
	compose_clean(clean);
	name = clean;
	bool quote = strpbrk(name, "()<>[]:;@\\,.\"") != NULL;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	if (quote)
		qu_buf_append_byte(&b, '"');
	for (const char *c = name; *c; c++) {
		if (quote && (*c == '"' || *c == '\\'))
			qu_buf_append_byte(&b, '\\');
		qu_buf_append_byte(&b, *c);
	}
	if (quote)
		qu_buf_append_byte(&b, '"');
	qu_buf_printf(&b, " <%s>", addr);
	free(clean);
	return qu_buf_steal(&b, NULL);
}

char *
compose_from_name(const char *from)
{
	if (!from)
		return NULL;
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	mime_addr_list_parse(from, strlen(from), &l, NULL, NULL);
	char *name = l.n && l.v[0].name ? xstrdup(l.v[0].name) : NULL;
	mime_addr_list_clear(&l);
	return name;
}

/* Does the account own addr: its from, or one of its alternates. */
bool
compose_account_owns(const struct cfg_account *a, const char *addr)
{
	char *own = a->from ? cfg_from_address(a->from) : NULL;
	bool yes = own && compose_addr_eq(own, addr);
	free(own);
	if (yes || !a->alternates)
		return yes;
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	mime_addr_list_parse(a->alternates, strlen(a->alternates), &l, NULL, NULL);
	for (size_t i = 0; i < l.n && !yes; i++)
		yes = compose_addr_eq(l.v[i].address, addr);
	mime_addr_list_clear(&l);
	return yes;
}

const struct cfg_account *
compose_account_of(const struct cfg *c, const char *addr)
{
	for (size_t i = 0; c && addr && i < c->n_accounts; i++)
		if (compose_account_owns(&c->accounts[i], addr))
			return &c->accounts[i];
	return NULL;
}

bool
app_is_own_address(const struct cfg *c, const char *addr)
{
	return compose_account_of(c, addr) != NULL;
}

const struct cfg_account *
compose_default_account(const struct cfg *c, const struct cfg_account *def)
{
	if (def)
		return def;
	struct qu_err e;
	return c ? cfg_find_account(c, NULL, &e) : NULL;
}

char *
compose_header_raw(const char *p, size_t n, const char *name)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	mime_header_iter_init(&it, p, n, NULL);
	while (mime_header_iter_next(&it, &f)) {
		if (!qu_mem_eq_ci(f.name, f.name_len, name))
			continue;
		struct qu_buf b;
		qu_buf_init(&b, SIZE_MAX);
		mime_header_unfold(f.value, f.value_len, &b);
		const char *v = b.data ? b.data : "";
		size_t vl = b.len;
		qu_mem_trim(&v, &vl);
		char *r = xstrndup(v, vl);
		qu_buf_clear(&b);
		return r;
	}
	return NULL;
}

void
compose_header_addrs(const char *p, size_t n, const char *name, struct mime_addr_list *l)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	mime_header_iter_init(&it, p, n, NULL);
	while (mime_header_iter_next(&it, &f))
		if (qu_mem_eq_ci(f.name, f.name_len, name))
			mime_addr_list_parse(f.value, f.value_len, l, NULL, NULL);
}

const struct cfg_account *
app_identity_for_message(const struct cfg *c, const struct cfg_account *def, const char *p,
			 size_t n, char **from)
{
	static const char *const fields[] = {"To", "Cc", "Delivered-To", "X-Original-To"};
	*from = NULL;
	for (size_t i = 0; c && i < QU_ARRAY_LEN(fields) && !*from; i++) {
		struct mime_addr_list l;
		mime_addr_list_init(&l);
		compose_header_addrs(p, n, fields[i], &l);
		for (size_t k = 0; k < l.n; k++) {
			const struct cfg_account *a = compose_account_of(c, l.v[k].address);
			if (!a)
				continue;
			char *name = compose_from_name(a->from);
			*from = compose_mailbox(name, l.v[k].address);
			free(name);
			mime_addr_list_clear(&l);
			return a;
		}
		mime_addr_list_clear(&l);
	}
	const struct cfg_account *a = compose_default_account(c, def);
	*from = a && a->from ? xstrdup(a->from) : NULL;
	return a;
}

const struct cfg_account *
app_identity_for_from(const struct cfg *c, const struct cfg_account *def, const char *from)
{
	char *addr = from ? cfg_from_address(from) : NULL;
	const struct cfg_account *a = compose_account_of(c, addr);
	free(addr);
	return a ? a : compose_default_account(c, def);
}
