#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#include "config/config.h"

/* SPEC §1: the only schemes, their TLS rule and default port. */
static const struct scheme {
	const char *name;
	enum cfg_proto proto;
	enum cfg_tls tls;
	uint16_t port;
} schemes[] = {
	{"smtps", CFG_PROTO_SMTP, CFG_TLS_IMPLICIT, 465},
	{"smtp", CFG_PROTO_SMTP, CFG_TLS_STARTTLS, 587},
	{"smtp+insecure", CFG_PROTO_SMTP, CFG_TLS_NONE, 25},
	{"imaps", CFG_PROTO_IMAP, CFG_TLS_IMPLICIT, 993},
	{"imap", CFG_PROTO_IMAP, CFG_TLS_STARTTLS, 143},
	{"imap+insecure", CFG_PROTO_IMAP, CFG_TLS_NONE, 143},
	{"pop3s", CFG_PROTO_POP3, CFG_TLS_IMPLICIT, 995},
	{"pop3", CFG_PROTO_POP3, CFG_TLS_STARTTLS, 110},
	{"pop3+insecure", CFG_PROTO_POP3, CFG_TLS_NONE, 110},
};

#define SCHEME_LIST                                                                    \
	"smtps, smtp, smtp+insecure, imaps, imap, imap+insecure, pop3s, pop3 or "      \
	"pop3+insecure"

const char *
cfg_proto_name(enum cfg_proto p)
{
	switch (p) {
	case CFG_PROTO_SMTP:
		return "smtp";
	case CFG_PROTO_IMAP:
		return "imap";
	case CFG_PROTO_POP3:
		return "pop3";
	}
	return "?";
}

void
cfg_url_clear(struct cfg_url *u)
{
	if (!u)
		return;
	free(u->scheme);
	free(u->user);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof *u);
}

char *
cfg_url_format(const struct cfg_url *u)
{
	if (strchr(u->host, ':'))
		return xasprintf("%s://[%s]:%u", u->scheme, u->host, (unsigned)u->port);
	return xasprintf("%s://%s:%u", u->scheme, u->host, (unsigned)u->port);
}

/* A piece of the user's input made safe to quote in a message. */
static char *
quote(const char *p, size_t n)
{
	struct qu_buf b;
	qu_buf_init(&b, 256);
	qu_buf_append_safe(&b, p, n, false);
	return qu_buf_steal(&b, NULL);
}

/* Percent-decodes [p, p+n) into a new string. A decoded control character
 * (or NUL) is refused: it would end up in protocol commands. */
static int
pct_decode(const char *p, size_t n, const char *what, char **out, struct qu_err *err)
{
	char *s = xmalloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];
		if (c == '%') {
			int hi = i + 2 < n ? qu_hex_val(p[i + 1]) : -1;
			int lo = hi >= 0 ? qu_hex_val(p[i + 2]) : -1;
			if (lo < 0) {
				free(s);
				return qu_err_set(err, QU_E_USAGE, "bad percent escape in %s", what);
			}
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			free(s);
			return qu_err_set(err, QU_E_USAGE, "control character in %s", what);
		}
		s[j++] = (char)c;
	}
	s[j] = '\0';
	*out = s;
	return 0;
}

/* Characters that never belong in a server URL. Checked on the raw text so
 * the message can say what is wrong before any splitting. */
static int
check_chars(const char *s, struct qu_err *err)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return qu_err_set(err, QU_E_USAGE, "control character in URL");
		if (*p == ' ')
			return qu_err_set(err, QU_E_USAGE, "space in URL");
		if (*p == '?')
			return qu_err_set(err, QU_E_USAGE,
					  "a query ('?') is not allowed in a server URL");
		if (*p == '#')
			return qu_err_set(err, QU_E_USAGE,
					  "a fragment ('#') is not allowed in a server URL");
	}
	return 0;
}

static int
parse_scheme(const char *s, size_t n, struct cfg_url *u, struct qu_err *err)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(schemes); i++) {
		if (qu_mem_eq_ci(s, n, schemes[i].name)) {
			u->scheme = xstrdup(schemes[i].name);
			u->proto = schemes[i].proto;
			u->tls = schemes[i].tls;
			u->port = schemes[i].port;
			return 0;
		}
	}
	char *q = quote(s, n);
	qu_err_set(err, QU_E_USAGE, "unknown scheme '%s' (use " SCHEME_LIST ")", q);
	free(q);
	return -1;
}

/* userinfo is the part before the last '@' of the authority, so an
 * unencoded '@' in a login name ("a@b.com@host") still works. */
static int
parse_user(const char *p, size_t n, struct cfg_url *u, struct qu_err *err)
{
	if (n == 0)
		return qu_err_set(err, QU_E_USAGE, "empty user name before '@'");
	/* Never quote this part: after a ':' would come a password. */
	if (memchr(p, ':', n))
		return qu_err_set(err, QU_E_USAGE,
				  "a password in the URL is not supported; use password_command");
	return pct_decode(p, n, "user name", &u->user, err);
}

static int
parse_port(const char *p, size_t n, struct cfg_url *u, struct qu_err *err)
{
	uint64_t v;
	if (n == 0)
		return qu_err_set(err, QU_E_USAGE, "empty port after ':'");
	if (qu_parse_u64(p, n, 65535, &v) < 0 || v == 0) {
		char *q = quote(p, n);
		qu_err_set(err, QU_E_USAGE, "bad port '%s' (must be 1-65535)", q);
		free(q);
		return -1;
	}
	u->port = (uint16_t)v;
	return 0;
}

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* "[v6]" or "[v6]:port"; p points at '['. */
static int
parse_ipv6(const char *p, size_t n, struct cfg_url *u, struct qu_err *err)
{
	const char *close = memchr(p, ']', n);
	if (!close)
		return qu_err_set(err, QU_E_USAGE, "missing ']' after IPv6 address");
	size_t hl = (size_t)(close - p) - 1;
	char *host = xstrndup(p + 1, hl);
	unsigned char addr[16];
	if (hl == 0 || inet_pton(AF_INET6, host, addr) != 1) {
		free(host);
		return qu_err_set(err, QU_E_USAGE, "bad IPv6 address in brackets");
	}
	u->host = host;
	const char *rest = close + 1;
	size_t rn = n - (size_t)(rest - p);
	if (rn == 0)
		return 0;
	if (*rest != ':')
		return qu_err_set(err, QU_E_USAGE, "unexpected text after ']'");
	return parse_port(rest + 1, rn - 1, u, err);
}

static int
parse_hostport(const char *p, size_t n, struct cfg_url *u, struct qu_err *err)
{
	if (n > 0 && *p == '[')
		return parse_ipv6(p, n, u, err);
	const char *colon = memchr(p, ':', n);
	size_t hl = colon ? (size_t)(colon - p) : n;
	if (colon && memchr(colon + 1, ':', n - hl - 1))
		return qu_err_set(err, QU_E_USAGE, "an IPv6 address needs [brackets]");
	if (hl == 0)
		return qu_err_set(err, QU_E_USAGE, "empty host");
	for (size_t i = 0; i < hl; i++)
		if (!host_char(p[i]))
			return qu_err_set(err, QU_E_USAGE,
					  "invalid character in host name");
	u->host = xstrndup(p, hl);
	if (!colon)
		return 0;
	return parse_port(colon + 1, n - hl - 1, u, err);
}

/* authority "/" path, after "scheme://". */
static int
parse_rest(const char *s, struct cfg_url *u, struct qu_err *err)
{
	const char *slash = strchr(s, '/');
	size_t an = slash ? (size_t)(slash - s) : strlen(s);
	const char *at = NULL;
	for (size_t i = 0; i < an; i++)
		if (s[i] == '@')
			at = s + i;
	const char *hp = s;
	if (at) {
		if (parse_user(s, (size_t)(at - s), u, err) < 0)
			return -1;
		hp = at + 1;
	}
	if (parse_hostport(hp, an - (size_t)(hp - s), u, err) < 0)
		return -1;
	if (slash && slash[1])
		return pct_decode(slash + 1, strlen(slash + 1), "path", &u->path, err);
	return 0;
}

int
cfg_url_parse(const char *s, struct cfg_url *out, struct qu_err *err)
{
	struct cfg_url u = {0};
	if (!s || !*s)
		return qu_err_set(err, QU_E_USAGE, "empty URL");
	if (check_chars(s, err) < 0)
		return -1;
	const char *sep = strstr(s, "://");
	if (!sep)
		return qu_err_set(err, QU_E_USAGE,
				  "missing '://' (write scheme://host, e.g. imaps://imap.example.com)");
	if (parse_scheme(s, (size_t)(sep - s), &u, err) < 0 || parse_rest(sep + 3, &u, err) < 0) {
		cfg_url_clear(&u);
		return -1;
	}
	*out = u;
	return 0;
}
