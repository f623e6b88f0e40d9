/*
 * `quail sync`: the merge rules (SPEC §10), pure functions so that the
 * decision table is tested on its own (tests/unit/app/test_sync.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "store/store.h"
#include "imap/imap.h"
#include "app/sync_private.h"

static const struct {
	unsigned md, imap;
} flag_table[] = {
	{MAILDIR_FLAG_SEEN, IMAP_FLAG_SEEN},       {MAILDIR_FLAG_REPLIED, IMAP_FLAG_ANSWERED},
	{MAILDIR_FLAG_FLAGGED, IMAP_FLAG_FLAGGED}, {MAILDIR_FLAG_DRAFT, IMAP_FLAG_DRAFT},
	{MAILDIR_FLAG_PASSED, IMAP_FLAG_FORWARDED},
};

unsigned
app_sync_flag_mask(void)
{
	return MAILDIR_FLAG_SEEN | MAILDIR_FLAG_REPLIED | MAILDIR_FLAG_FLAGGED | MAILDIR_FLAG_DRAFT |
	       MAILDIR_FLAG_PASSED;
}

unsigned
app_sync_flags_from_imap(unsigned imap)
{
	unsigned md = 0;
	for (size_t i = 0; i < sizeof flag_table / sizeof flag_table[0]; i++)
		if (imap & flag_table[i].imap)
			md |= flag_table[i].md;
	return md;
}

unsigned
app_sync_flags_to_imap(unsigned md)
{
	unsigned imap = 0;
	for (size_t i = 0; i < sizeof flag_table / sizeof flag_table[0]; i++)
		if (md & flag_table[i].md)
			imap |= flag_table[i].imap;
	return imap;
}

void
app_sync_merge_flags(bool known, unsigned last, unsigned local, unsigned server,
		     struct app_sync_flags *out)
{
	unsigned mask = app_sync_flag_mask();
	local &= mask;
	server &= mask;
	last &= mask;
	unsigned result;
	if (!known) {
		result = local | server;
	} else {
		/* Bits the server changed come from the server, the others from
		 * here: a bit both changed has the same value on both sides. */
		unsigned srv_changed = server ^ last;
		result = (server & srv_changed) | (local & ~srv_changed);
	}
	out->result = result;
	out->server_add = result & ~server;
	out->server_del = server & ~result;
	out->local_change = result != local;
}

const char *
app_sync_act_name(enum app_sync_act a)
{
	switch (a) {
	case APP_SYNC_KEEP:
		return "keep";
	case APP_SYNC_DOWNLOAD:
		return "download";
	case APP_SYNC_UPLOAD:
		return "upload";
	case APP_SYNC_DELETE_SERVER:
		return "delete-server";
	case APP_SYNC_DELETE_LOCAL:
		return "delete-local";
	case APP_SYNC_FORGET:
		return "forget";
	case APP_SYNC_MOVE:
		return "move";
	case APP_SYNC_SKIP:
		return "skip";
	}
	return "?";
}

enum app_sync_act
app_sync_decide(const struct app_sync_case *c)
{
	if (!c->synced || !c->trusted) {
		/* Never synced (or the state cannot say): copy, never delete. A
		 * file trashed before it was ever synced stays here only. */
		if (c->local && c->server)
			return APP_SYNC_KEEP;
		if (c->server)
			return APP_SYNC_DOWNLOAD;
		if (c->local)
			return c->local_trash ? APP_SYNC_SKIP : APP_SYNC_UPLOAD;
		return APP_SYNC_SKIP;
	}
	if (c->local && c->server)
		return c->local_trash ? APP_SYNC_DELETE_SERVER : APP_SYNC_KEEP;
	if (c->server)
		return c->moved ? APP_SYNC_MOVE : APP_SYNC_DELETE_SERVER;
	if (c->local)
		return APP_SYNC_DELETE_LOCAL;
	return APP_SYNC_FORGET;
}

/* ---- UID sets --------------------------------------------------------- */

static bool
parse_uid(const char **p, uint32_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	while (**p >= '0' && **p <= '9' && *p - s < 10)
		v = v * 10 + (uint64_t)(*(*p)++ - '0');
	if (*p == s || *s == '0' || v > UINT32_MAX || (**p >= '0' && **p <= '9'))
		return false;
	*out = (uint32_t)v;
	return true;
}

int
app_sync_uidset_parse(const char *s, struct app_sync_range **v, size_t *n)
{
	struct app_sync_range *r = NULL;
	size_t cap = 0, k = 0;
	const char *p = s;
	for (;;) {
		uint32_t a, b;
		if (!parse_uid(&p, &a))
			break;
		b = a;
		if (*p == ':') {
			p++;
			if (!parse_uid(&p, &b))
				break;
		}
		r = xgrow(r, &cap, k + 1, sizeof *r);
		r[k++] = (struct app_sync_range){a < b ? a : b, a < b ? b : a};
		if (*p == '\0') {
			*v = r;
			*n = k;
			return 0;
		}
		if (*p++ != ',')
			break;
	}
	free(r);
	*v = NULL;
	*n = 0;
	return -1;
}

bool
app_sync_in_ranges(const struct app_sync_range *v, size_t n, uint32_t uid)
{
	for (size_t i = 0; i < n; i++)
		if (uid >= v[i].lo && uid <= v[i].hi)
			return true;
	return false;
}

/* ---- Message-ID ------------------------------------------------------- */

#define MSGID_MAX 250

char *
app_sync_message_id(const char *p, size_t n)
{
	static const char name[] = "Message-ID:";
	const size_t nl = sizeof name - 1;
	const char *end = p + n, *line = p;
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *le = eol ? eol : end;
		size_t len = (size_t)(le - line);
		if (len == 0 || (len == 1 && line[0] == '\r'))
			return NULL; /* the header ends */
		if (len > nl && strncasecmp(line, name, nl) == 0) {
			char buf[MSGID_MAX + 1];
			size_t k = 0;
			const char *q = line + nl;
			/* the value, over folded lines (RFC 5322 §2.2.3) */
			for (;;) {
				for (; q < le; q++) {
					unsigned char c = (unsigned char)*q;
					if (c == ' ' || c == '\t' || c == '\r')
						continue;
					if (c < 0x21 || c > 0x7e || c == '"' || c == '\\' || k >= MSGID_MAX)
						return NULL;
					buf[k++] = (char)c;
				}
				if (le == end || le + 1 >= end || (le[1] != ' ' && le[1] != '\t'))
					break;
				q = le + 1;
				const char *e2 = memchr(q, '\n', (size_t)(end - q));
				le = e2 ? e2 : end;
			}
			buf[k] = '\0';
			if (k < 3 || buf[0] != '<' || buf[k - 1] != '>' || memchr(buf + 1, '<', k - 1) ||
			    memchr(buf, '>', k - 1))
				return NULL;
			return xstrdup(buf);
		}
		if (!eol)
			break;
		line = eol + 1;
	}
	return NULL;
}
