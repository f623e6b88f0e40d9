/* `quail list` (SPEC §5): the account's IMAP folders with their counts. */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "imap/imap.h"
#include "app/private.h"
#include "app/imap_private.h"

static const char *
special_name(unsigned attrs)
{
	static const struct {
		unsigned bit;
		const char *name;
	} t[] = {
		{IMAP_LIST_SENT, "\\Sent"},     {IMAP_LIST_DRAFTS, "\\Drafts"},
		{IMAP_LIST_TRASH, "\\Trash"},   {IMAP_LIST_JUNK, "\\Junk"},
		{IMAP_LIST_ARCHIVE, "\\Archive"}, {IMAP_LIST_ALL, "\\All"},
		{IMAP_LIST_FLAGGED, "\\Flagged"}, {IMAP_LIST_IMPORTANT, "\\Important"},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++)
		if (attrs & t[i].bit)
			return t[i].name;
	return NULL;
}

/* INBOX first, then by name (bytes: UTF-8 sorts by code point). */
static int
cmp_entry(const void *a, const void *b)
{
	const struct imap_list_entry *x = a, *y = b;
	bool xi = x->name_len == 5 && qu_mem_eq_ci(x->name, 5, "INBOX");
	bool yi = y->name_len == 5 && qu_mem_eq_ci(y->name, 5, "INBOX");
	if (xi != yi)
		return xi ? -1 : 1;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* STATUS for the selectable folders that LIST-STATUS did not answer. */
static int
fill_status(struct imap_session *s, struct imap_list *l, unsigned items, struct qu_err *err)
{
	const char **w = xcalloc(l->n + 1, sizeof *w);
	size_t *wl = xcalloc(l->n + 1, sizeof *wl), *idx = xcalloc(l->n + 1, sizeof *idx), k = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct imap_list_entry *e = &l->v[i];
		if ((e->attrs & IMAP_LIST_NOSELECT) || (e->status.have & items) == items)
			continue;
		w[k] = e->wire;
		wl[k] = e->wire_len;
		idx[k++] = i;
	}
	struct imap_mailbox_status *st = xcalloc(k + 1, sizeof *st);
	bool *fail = xcalloc(k + 1, sizeof *fail);
	int rc = k ? imap_session_status_many(s, w, wl, k, items, st, fail, err) : 0;
	for (size_t i = 0; rc == 0 && i < k; i++)
		l->v[idx[i]].status = st[i];
	free(w);
	free(wl);
	free(idx);
	free(st);
	free(fail);
	return rc;
}

int
app_imap_folders(struct imap_session *s, app_folder_fn fn, void *ctx, struct qu_err *err)
{
	const unsigned items = IMAP_MB_HAVE_MESSAGES | IMAP_MB_HAVE_UNSEEN;
	struct imap_list l = {0};
	int rc = imap_session_list(s, "", "*", IMAP_LISTOPT_SPECIAL_USE, items, &l, err);
	if (rc == 0)
		rc = fill_status(s, &l, items, err);
	if (rc == 0) {
		if (l.n > 1)
			qsort(l.v, l.n, sizeof *l.v, cmp_entry);
		for (size_t i = 0; i < l.n; i++) {
			const struct imap_list_entry *e = &l.v[i];
			struct app_folder f = {
				.name = e->name,
				.name_len = e->name_len,
				.selectable = !(e->attrs & IMAP_LIST_NOSELECT),
				.has_counts = (e->status.have & items) == items,
				.messages = e->status.messages,
				.unseen = e->status.unseen,
				.special = special_name(e->attrs),
			};
			fn(ctx, &f);
		}
	}
	imap_list_clear(&l);
	return rc;
}

int
app_list(const struct cfg_account *a, const struct app_net *net, app_folder_fn fn, void *ctx,
	 struct qu_err *err)
{
	struct app_imap c;
	if (app_imap_connect(a, net, &c, err) < 0)
		return -1;
	int rc = app_imap_folders(c.s, fn, ctx, err);
	if (rc < 0)
		app_imap_fail(&c, err);
	app_imap_close(&c);
	return rc;
}
