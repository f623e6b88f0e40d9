/*
 * `quail sync` in the background (SPEC §8, §10): the UI runs app_sync of
 * the open folder (or of every folder with [ui] sync_all) on a worker, at
 * open, every [ui] sync_interval seconds, on sync-account, and when the
 * server says (IDLE, RFC 2177) that the open folder got or lost messages.
 * One sync runs at a time; a request while it runs is kept once and run
 * after it. Progress and the result go to the status line, never a
 * dialog; ^G fires the running sync's cancel handle (its app_net's).
 *
 * The IDLE watch is a live IMAP session (app_imap_live) that EXAMINEs the
 * open folder and IDLEs; it only tells when to sync, the sync itself is
 * the same app_sync the command line runs, so both agree on the state.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "ui/private.h"

/* What a sync job hands back (payload of UI_MSG_SYNCED). */
struct sync_out {
	struct app_sync_result r;
	char *folder; /* the folder synced, or NULL for every folder */
};

void
ui_sync_payload_free(void *payload)
{
	struct sync_out *o = payload;
	if (!o)
		return;
	free(o->folder);
	free(o);
}

/* The IMAP name of the open folder: its path under the account's root
 * (INBOX is ROOT/INBOX, A/B is ROOT/A/B as sync.c lays them out); NULL
 * when the folder is not under the root. Owned. */
static char *
open_folder_name(const struct ui *u)
{
	if (!u->root || !u->folder)
		return NULL;
	/* Both resolved: the root may be given with "//", "..", or a link. */
	char *root = realpath(u->root, NULL), *dir = realpath(u->folder, NULL);
	char *name = NULL;
	size_t n = root ? strlen(root) : 0;
	if (root && dir && !strncmp(dir, root, n) && dir[n] == '/' && dir[n + 1])
		name = xstrdup(dir + n + 1);
	free(root);
	free(dir);
	return name;
}

static void
sync_run(struct ui_job *j)
{
	struct sync_out *out = xcalloc(1, sizeof *out);
	const struct cfg_account *a = j->arg;
	const char *one = j->path;
	struct app_sync_opts o = {0};
	if (one) {
		o.folders = &one;
		o.n_folders = 1;
	} else {
		o.all_folders = true;
	}
	struct app_net net = {.timeout_s = 30, .cancel = j->cancel};
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_SYNCED;
	m->req = j->req;
	m->rc = app_sync(a, &o, &net, &out->r, &m->err);
	out->folder = one ? xstrdup(one) : NULL;
	m->payload = out;
	ui_pool_post(j->pool, m);
}

bool
ui_sync_enabled(const struct ui *u)
{
	return u->account && u->account->imap && u->account->imap[0] && u->pool;
}

/* asked: by the user, who hears why nothing runs; the automatic ones
 * (open, timer, IDLE) stay quiet on a folder outside the account. */
static void
request(struct ui *u, bool asked)
{
	struct ui_sync *s = &u->sync;
	if (!ui_sync_enabled(u))
		return;
	if (s->req) {
		s->queued = true; /* once, however often asked meanwhile */
		return;
	}
	char *name = s->all ? NULL : open_folder_name(u);
	if (!s->all && !name) {
		if (asked)
			ui_message(u, true, "sync: this folder is not under the account's Maildir");
		return;
	}
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = sync_run;
	j->arg = (void *)u->account;
	j->path = name; /* the job's now */
	snprintf(s->what, sizeof s->what, "%s", name ? name : "every folder");
	s->queued = false;
	s->req = ui_pool_submit(u->pool, j);
	ui_message(u, false, "syncing %s...", s->what);
	if (s->interval_s)
		s->next_ms = qu_now_ms() + (int64_t)s->interval_s * 1000;
}

void
ui_sync_request(struct ui *u)
{
	request(u, false);
}

void
ui_fn_sync_account(struct ui *u)
{
	if (!ui_sync_enabled(u)) {
		ui_message(u, true, "sync: the account has no imap server");
		return;
	}
	request(u, true);
}

bool
ui_sync_cancel(struct ui *u)
{
	struct ui_sync *s = &u->sync;
	if (!s->req)
		return false;
	ui_pool_cancel(u->pool, s->req);
	s->queued = false;
	ui_message(u, false, "sync of %s: canceling...", s->what);
	return true;
}

/* The open folder's rows read again, the cursor kept on the message it
 * was on (by file name without flags: a sync renames files for flags). */
static void
reload_view(struct ui *u)
{
	char *keep = NULL;
	struct app_row r;
	if (u->view && u->cursor_id != SIZE_MAX) {
		size_t n = app_view_count(u->view);
		for (size_t i = 0; i < n; i++)
			if (app_view_row(u->view, i, &r) && r.id == u->cursor_id && r.path) {
				const char *b = strrchr(r.path, '/');
				b = b ? b + 1 : r.path;
				keep = xstrndup(b, strcspn(b, ":"));
				break;
			}
	}
	bool moved = u->moved;
	enum ui_screen screen = u->screen;
	ui_open_folder(u, u->folder);
	u->screen = screen;
	free(u->sync.keep);
	u->sync.keep = keep;
	u->moved = moved && keep;
}

void
ui_sync_rows_added(struct ui *u)
{
	if (!u->sync.keep || !u->view)
		return;
	size_t n = app_view_count(u->view), k = strlen(u->sync.keep);
	struct app_row r;
	for (size_t i = 0; i < n; i++) {
		if (!app_view_row(u->view, i, &r) || !r.path)
			continue;
		const char *b = strrchr(r.path, '/');
		b = b ? b + 1 : r.path;
		if (!strncmp(b, u->sync.keep, k) && (b[k] == ':' || b[k] == '\0')) {
			ui_index_goto(u, i);
			u->moved = true;
			return;
		}
	}
}

void
ui_sync_done(struct ui *u, struct ui_msg *m)
{
	struct ui_sync *s = &u->sync;
	struct sync_out *o = m->payload;
	if (!o || m->req != s->req)
		return;
	s->req = 0;
	const struct app_sync_result *r = &o->r;
	if (m->rc < 0 && m->err.cls == QU_E_CANCELED)
		ui_message(u, false, "sync of %s canceled.", s->what);
	else if (m->rc < 0)
		ui_message(u, true, "sync: %s", m->err.msg);
	else if (r->loc_add + r->loc_del + r->loc_upd + r->srv_add + r->srv_del + r->srv_upd == 0)
		ui_message(u, false, "sync: nothing new");
	else
		ui_message(u, false, "sync: +%llu -%llu ~%llu here, +%llu -%llu ~%llu on the server",
			(unsigned long long)r->loc_add, (unsigned long long)r->loc_del,
			(unsigned long long)r->loc_upd, (unsigned long long)r->srv_add,
			(unsigned long long)r->srv_del, (unsigned long long)r->srv_upd);
	/* What the sync stored, removed or renamed here is in the files
	 * (also after a cancel: the steps done stay); the index rows are
	 * read again when the open folder was among them. */
	char *name = open_folder_name(u);
	bool ours = !o->folder || (name && !strcmp(name, o->folder));
	free(name);
	if (ours && r->loc_add + r->loc_del + r->loc_upd > 0 && u->view)
		s->reload = true;
	if (s->queued)
		ui_sync_request(u);
}

/* ---- the IDLE watch ---------------------------------------------------- */

static void
live_select(struct ui *u)
{
	struct ui_sync *s = &u->sync;
	char *name = open_folder_name(u);
	if (!name)
		return;
	struct app_live_req rq = {.op = APP_LIVE_SELECT, .folder = name, .read_only = true};
	app_imap_live_post(s->live, &rq);
	free(name);
	rq = (struct app_live_req){.op = APP_LIVE_IDLE, .on = true};
	app_imap_live_post(s->live, &rq);
}

void
ui_sync_read_live(struct ui *u)
{
	struct ui_sync *s = &u->sync;
	struct app_live_reply *r;
	while (s->live && (r = app_imap_live_next_reply(s->live))) {
		/* New or gone messages in the open folder: the same sync as
		 * the command's brings them (SPEC §10). Flag events are not
		 * followed: a sync's own uploads would ask for another. */
		if (r->kind == APP_LIVE_EVENT && r->ev != APP_LIVE_EV_FLAGS && s->live_ready)
			ui_sync_request(u);
		else if (r->kind == APP_LIVE_DONE && r->op == APP_LIVE_SELECT)
			s->live_ready = r->err.cls == QU_E_OK;
		app_live_reply_free(r);
	}
}

int
ui_sync_fd(const struct ui *u)
{
	return u->sync.live ? app_imap_live_fd(u->sync.live) : -1;
}

void
ui_sync_start(struct ui *u)
{
	struct ui_sync *s = &u->sync;
	if (!ui_sync_enabled(u))
		return;
	if (!s->interval_set)
		s->interval_s = 300;
	if (s->interval_s)
		s->next_ms = qu_now_ms() + (int64_t)s->interval_s * 1000;
	if (!s->no_idle) {
		struct qu_err err = {0};
		struct app_net net = {.timeout_s = 30};
		s->live = app_imap_live_open(u->account, &net, &err);
	}
	if (!s->no_on_open)
		ui_sync_request(u);
}

int
ui_sync_tick(struct ui *u, int timeout)
{
	struct ui_sync *s = &u->sync;
	if (!ui_sync_enabled(u))
		return timeout;
	/* Rows are read again on the index only: the pager and the other
	 * screens hold ids of the rows they came from. */
	if (s->reload && u->screen == UI_SCREEN_INDEX && !u->prompt.active && !u->scanning) {
		s->reload = false;
		reload_view(u);
	}
	/* The open folder changed: IDLE on the new one (the path is kept
	 * to see it without resolving it before every poll). */
	if (s->live && u->folder && (!s->live_path || strcmp(s->live_path, u->folder))) {
		free(s->live_path);
		s->live_path = xstrdup(u->folder);
		s->live_ready = false;
		live_select(u);
	}
	/* The progress stays in the status line while the sync runs (SPEC
	 * §8); an error shown meanwhile stays until a key. */
	if (s->req && !u->status_error && strncmp(u->status, "syncing ", 8) &&
	    strncmp(u->status, "sync of ", 8))
		ui_message(u, false, "syncing %s...", s->what);
	if (!s->interval_s)
		return timeout;
	int64_t left = s->next_ms - qu_now_ms();
	if (left <= 0) {
		ui_sync_request(u);
		s->next_ms = qu_now_ms() + (int64_t)s->interval_s * 1000;
		left = (int64_t)s->interval_s * 1000;
	}
	if (timeout < 0 || left < timeout)
		timeout = (int)(left > 0x7fffffff ? 0x7fffffff : left);
	return timeout;
}

void
ui_sync_stop(struct ui *u)
{
	struct ui_sync *s = &u->sync;
	if (s->req)
		ui_pool_cancel(u->pool, s->req);
	s->queued = false;
	app_imap_live_close(s->live);
	s->live = NULL;
	free(s->live_path);
	s->live_path = NULL;
	free(s->keep);
	s->keep = NULL;
}

static int
yes_no(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
		*out = false;
	else
		return -1;
	return 0;
}

int
ui_sync_config(struct ui *u, const char *key, const char *value, const char **why)
{
	struct ui_sync *s = &u->sync;
	bool b;
	if (!strcmp(key, "sync_on_open") || !strcmp(key, "sync_idle") || !strcmp(key, "sync_all")) {
		if (yes_no(value, &b) < 0) {
			*why = "takes yes or no, not";
			return -1;
		}
		if (!strcmp(key, "sync_on_open"))
			s->no_on_open = !b;
		else if (!strcmp(key, "sync_idle"))
			s->no_idle = !b;
		else
			s->all = b;
		return 1;
	}
	if (!strcmp(key, "sync_interval")) {
		uint64_t n;
		if (qu_parse_u64(value, strlen(value), 86400 * 7, &n) < 0) {
			*why = "sync_interval takes seconds (0: off), not";
			return -1;
		}
		s->interval_s = (unsigned)n;
		s->interval_set = true;
		return 1;
	}
	return 0;
}
