/*
 * Starting and sending mail from the index and the pager: m (new), r g
 * L (reply, group reply, list reply), f (forward inline or attached per
 * [ui] mime_forward; with `;` the tagged messages attached), b (bounce),
 * R (recall a postponed draft), and y on the compose screen. Drafts
 * come from app (app_compose_*); sending and bouncing run on a worker
 * with the cancel handle ^G fires (SPEC §8: the UI never waits on the
 * network), and their result comes back as UI_MSG_SENT. A failed send
 * leaves the draft on the compose screen.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "util/util.h"
#include "app/app.h"
#include "ui/compose_private.h"
#include "ui/private.h"
#include "ui/uitext.h"

/* ---- the message under the cursor -------------------------------------- */

static size_t
current_id(const struct ui *u)
{
	if (u->screen == UI_SCREEN_PAGER && !u->pager.from_attach)
		return u->pager.id;
	return u->cursor_id;
}

/* The file of message id when it is a Maildir file (an mbox's messages
 * have none of their own); NULL otherwise. Borrowed. */
static const char *
maildir_file(const struct ui *u, size_t id)
{
	size_t row = app_view_find(u->view, id);
	struct app_row r;
	if (row == SIZE_MAX || !app_view_row(u->view, row, &r) || !r.path)
		return NULL;
	if (!strstr(r.path, "/cur/") && !strstr(r.path, "/new/"))
		return NULL;
	return r.path;
}

static int
read_message(struct ui *u, size_t id, struct qu_buf *msg)
{
	qu_buf_init(msg, SIZE_MAX);
	if (!u->view || id == SIZE_MAX || app_view_count(u->view) == 0) {
		ui_message(u, true, "No visible messages.");
		return -1;
	}
	struct qu_err err = {0};
	if (app_view_read(u->view, id, msg, &err) < 0) {
		ui_message(u, true, "%s", err.msg);
		ui_index_fix_cursor(u); /* a file gone took its row along */
		u->dirty = true;
		qu_buf_clear(msg);
		return -1;
	}
	return 0;
}

static int
read_current(struct ui *u, size_t *id, struct qu_buf *msg)
{
	*id = current_id(u);
	return read_message(u, *id, msg);
}

static struct app_compose_opts
compose_opts(struct ui *u, const char *path)
{
	return (struct app_compose_opts){
		.cfg = u->cfg,
		.account = u->account,
		.settings = &u->compose_settings,
		.path = path,
	};
}

/* ---- m, r, g, L, f ------------------------------------------------------ */

void
ui_fn_mail(struct ui *u)
{
	u->tag_prefix = false;
	struct ui_compose *c = ui_compose_new(u);
	struct app_compose_opts o = compose_opts(u, NULL);
	struct qu_err err = {0};
	if (app_compose_new(&o, &c->d, &err) < 0) {
		ui_message(u, true, "%s", err.msg);
		ui_compose_free(u);
		return;
	}
	c->is_new = true;
	ui_compose_begin(u);
}

static void
reply(struct ui *u, enum app_reply_kind kind)
{
	u->tag_prefix = false;
	size_t id;
	struct qu_buf msg;
	if (read_current(u, &id, &msg) < 0)
		return;
	const char *path = maildir_file(u, id);
	struct ui_compose *c = ui_compose_new(u);
	struct app_compose_opts o = compose_opts(u, path);
	struct qu_err err = {0};
	int rc = app_compose_reply(msg.data ? msg.data : "", msg.len, kind, &o, &c->d, &err);
	qu_buf_clear(&msg);
	if (rc < 0) {
		ui_message(u, true, "%s", err.msg);
		ui_compose_free(u);
		return;
	}
	if (path) {
		c->reply_folder = xstrdup(u->folder);
		c->reply_id = id;
	}
	ui_compose_begin(u);
}

void
ui_fn_reply(struct ui *u)
{
	reply(u, APP_REPLY);
}

void
ui_fn_group_reply(struct ui *u)
{
	reply(u, APP_REPLY_GROUP);
}

void
ui_fn_list_reply(struct ui *u)
{
	reply(u, APP_REPLY_LIST);
}

/* Files of the tagged messages after the first, attached as they are. */
static void
attach_tagged(struct ui *u, struct ui_compose *c, size_t first)
{
	size_t n = app_view_count(u->view);
	for (size_t i = 0; i < n; i++) {
		struct app_row r;
		if (!app_view_row(u->view, i, &r) || !(r.flags & APP_MSG_TAGGED) || r.id == first)
			continue;
		const char *path = maildir_file(u, r.id);
		if (!path)
			continue;
		c->d.attach = xrealloc(c->d.attach, (c->d.n_attach + 1) * sizeof *c->d.attach);
		c->d.attach[c->d.n_attach].path = xstrdup(path);
		c->d.attach[c->d.n_attach].description = NULL;
		c->d.n_attach++;
	}
}

static size_t
first_tagged(struct ui *u)
{
	size_t n = app_view_count(u->view);
	for (size_t i = 0; i < n; i++) {
		struct app_row r;
		if (app_view_row(u->view, i, &r) && (r.flags & APP_MSG_TAGGED))
			return r.id;
	}
	return SIZE_MAX;
}

static void
forward(struct ui *u, bool attached, bool tagged)
{
	size_t id = current_id(u);
	struct qu_buf msg;
	if (tagged) {
		id = first_tagged(u);
		if (id == SIZE_MAX) {
			ui_message(u, true, "No tagged messages.");
			return;
		}
		attached = true;
	}
	if (read_message(u, id, &msg) < 0)
		return;
	struct ui_compose *c = ui_compose_new(u);
	struct qu_err err = {0};
	struct app_compose_opts o = compose_opts(u, maildir_file(u, id));
	if (!attached && ui_tmp_create(&c->fwd, ".keep", "", 0, &err) == 0) {
		/* The original's attachments are saved in a private directory
		 * of their own, removed with the draft. */
		unlink(c->fwd.path);
		free(c->fwd.path);
		c->fwd.path = NULL;
		o.attach_dir = c->fwd.dir;
	}
	int rc = app_compose_forward(msg.data ? msg.data : "", msg.len, attached, &o, &c->d, &err);
	qu_buf_clear(&msg);
	if (rc < 0) {
		ui_message(u, true, "%s", err.msg);
		ui_compose_free(u);
		return;
	}
	if (tagged)
		attach_tagged(u, c, id);
	ui_compose_begin(u);
}

static void
forward_answer(struct ui *u, const char *a)
{
	if (!a)
		return;
	forward(u, a[0] == 'y' || a[0] == 'Y', u->forward_tagged);
}

void
ui_fn_forward(struct ui *u)
{
	u->forward_tagged = u->tag_prefix;
	u->tag_prefix = false;
	enum app_mime_forward m = u->compose_settings.mime_forward;
	if (m == APP_MIME_FORWARD_ASK && !u->forward_tagged) {
		ui_ask(u, "Forward as attachment? ([no]/yes): ", forward_answer, true);
		return;
	}
	forward(u, m == APP_MIME_FORWARD_YES, u->forward_tagged);
}

/* ---- sending on a worker ------------------------------------------------ */

struct send_job {
	bool bounce;
	/* Borrowed from the UI, which leaves them alone until UI_MSG_SENT
	 * (the compose keys wait while sending). */
	const struct cfg *cfg;
	const struct cfg_account *account;
	const struct app_compose_settings *settings;
	const struct app_draft *draft;
	/* bounce: owned; msgs (n_msgs of them) are bounced in turn, the
	 * first failure stops (bounced says how many went) */
	struct qu_buf *msgs;
	size_t n_msgs, bounced;
	char *to;
	struct app_draft_sent sent;
	struct ui_job *job;
};

static void
send_note(void *ctx, enum app_send_note kind, const char *subject, const char *text)
{
	struct send_job *s = ctx;
	static const char *const what[] = {"refused", "deferred", "queued", "warning", "hint"};
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_NOTE;
	m->req = s->job->req;
	m->payload = xasprintf("%s%s%s: %s", subject ? subject : "", subject ? " " : "",
		(size_t)kind < QU_ARRAY_LEN(what) ? what[kind] : "note", text ? text : "");
	ui_pool_post(s->job->pool, m);
}

static void
send_run(struct ui_job *j)
{
	struct send_job *s = j->arg;
	s->job = j;
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_SENT;
	m->req = j->req;
	struct app_net net = {.timeout_s = 60, .cancel = j->cancel};
	if (s->bounce) {
		m->rc = 0;
		for (size_t i = 0; m->rc == 0 && i < s->n_msgs; i++) {
			const struct qu_buf *b = &s->msgs[i];
			m->rc = app_bounce(s->cfg, s->account, b->data ? b->data : "", b->len, s->to,
				&net, send_note, s, NULL, &m->err);
			if (m->rc == 0)
				s->bounced++;
		}
	} else
		m->rc = app_draft_send(s->cfg, s->account, s->settings, s->draft, &net, send_note, s,
			&s->sent, &m->err);
	s->job = NULL;
	m->payload = s;
	ui_pool_post(j->pool, m);
}

static uint64_t
submit(struct ui *u, struct send_job *s)
{
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = send_run;
	j->arg = s;
	return ui_pool_submit(u->pool, j);
}

static void send_go(struct ui *u);

static void
empty_answer(struct ui *u, const char *a)
{
	if (a && (a[0] == 'y' || a[0] == 'Y'))
		send_go(u);
}

static bool
blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n')
			return false;
	return true;
}

/* After the checks: the worker gets the draft. */
static void
send_go(struct ui *u)
{
	struct ui_compose *c = u->compose;
	if (!c)
		return;
	struct app_draft *d = &c->d;
	/* The replied message in the view is flagged R here after the send
	 * (which renames its file and updates its row); the draft's
	 * reply_file is for a message no longer shown. A queued reply is
	 * flagged by the flush that finally sends it (the outbox keeps the
	 * file's name). */
	d->reply_by_caller = c->reply_folder && u->folder && strcmp(c->reply_folder, u->folder) == 0;
	struct send_job *s = xcalloc(1, sizeof *s);
	s->cfg = u->cfg;
	s->account = app_identity_for_from(u->cfg, u->account, d->from);
	s->settings = &u->compose_settings;
	s->draft = d;
	c->sending = true;
	c->send_req = submit(u, s);
	ui_message(u, false, "Sending message... (^G cancels)");
}

void
ui_fn_compose_send(struct ui *u)
{
	if (!ui_compose_idle(u))
		return;
	struct app_draft *d = &u->compose->d;
	if (blank(d->to) && blank(d->cc) && blank(d->bcc)) {
		/* mutt asks for a To rather than sending nowhere */
		u->compose->then_send = true;
		ui_compose_ask_field(u, 't');
		snprintf(u->prompt.label, sizeof u->prompt.label, "No recipients were specified. To: ");
		return;
	}
	if (blank(d->body) && d->n_attach == 0) {
		ui_ask(u, "The message is empty. Send it anyway? ([no]/yes): ", empty_answer, true);
		return;
	}
	send_go(u);
}

/* The replied message gets R in the view (its file renamed, the row
 * updated); a message of another folder was flagged by app. */
static void
mark_replied(struct ui *u, struct ui_compose *c)
{
	if (c->reply_id == SIZE_MAX || !c->reply_folder || !u->folder ||
		strcmp(c->reply_folder, u->folder) != 0)
		return;
	struct qu_err err = {0};
	if (app_view_set_flags(u->view, c->reply_id, APP_MSG_REPLIED, 0, &err) < 0)
		ui_message(u, true, "Sent, but the replied flag was not set: %s", err.msg);
}

void
ui_compose_sent(struct ui *u, struct ui_msg *m)
{
	if (ui_outbox_result(u, m)) /* a retry of the outbox */
		return;
	struct send_job *s = m->payload;
	m->payload = NULL;
	if (m->kind == UI_MSG_NOTE) {
		char *line = (char *)s;
		ui_message(u, false, "%s", line);
		free(line);
		return;
	}
	struct ui_compose *c = u->compose;
	if (s->bounce) {
		if (m->rc < 0 && s->n_msgs > 1)
			ui_message(u, true, "%zu of %zu messages bounced: %s", s->bounced, s->n_msgs,
				m->err.msg);
		else if (m->rc < 0)
			ui_message(u, true, "%s", m->err.msg);
		else if (s->n_msgs > 1)
			ui_message(u, false, "%zu messages bounced.", s->n_msgs);
		else
			ui_message(u, false, "Message bounced.");
	} else if (c && c->send_req == m->req) {
		c->sending = false;
		if (m->rc < 0) {
			/* The draft stays on the compose screen: nothing lost. */
			if (m->err.cls == QU_E_CANCELED)
				ui_message(u, true, "Sending canceled; the message is kept.");
			else
				ui_message(u, true, "%s", m->err.msg);
		} else {
			bool queued = s->sent.queued;
			if (!queued)
				mark_replied(u, c);
			const struct cfg_account *acct = s->sent.account;
			ui_compose_close(u);
			if (queued)
				ui_outbox_queued(u, acct); /* retried while the UI runs */
			else
				ui_message(u, false, "Mail sent.");
		}
	}
	app_draft_sent_clear(&s->sent);
	for (size_t i = 0; i < s->n_msgs; i++)
		qu_buf_clear(&s->msgs[i]);
	free(s->msgs);
	free(s->to);
	free(s);
	u->dirty = true;
}

/* ---- b: bounce ---------------------------------------------------------- */

/* The tagged messages (in view order), read whole into s->msgs; false
 * (with a message) when one cannot be read or none is tagged. */
static bool
read_tagged(struct ui *u, struct send_job *s)
{
	size_t n = u->view ? app_view_count(u->view) : 0;
	for (size_t i = 0; i < n; i++) {
		struct app_row r;
		if (!app_view_row(u->view, i, &r) || !(r.flags & APP_MSG_TAGGED))
			continue;
		s->msgs = xrealloc(s->msgs, (s->n_msgs + 1) * sizeof *s->msgs);
		if (read_message(u, r.id, &s->msgs[s->n_msgs]) < 0)
			return false;
		s->n_msgs++;
	}
	if (!s->n_msgs)
		ui_message(u, true, "No tagged messages.");
	return s->n_msgs > 0;
}

static void
bounce_confirm(struct ui *u, const char *a)
{
	char *to = u->bounce_to;
	bool tagged = u->bounce_tagged;
	u->bounce_to = NULL;
	u->bounce_tagged = false;
	if (!a || (a[0] != 'y' && a[0] != 'Y')) {
		free(to);
		return;
	}
	size_t id;
	struct send_job *s = xcalloc(1, sizeof *s);
	bool ok;
	if (tagged) {
		ok = read_tagged(u, s);
	} else {
		s->msgs = xcalloc(1, sizeof *s->msgs);
		ok = read_current(u, &id, &s->msgs[0]) == 0;
		s->n_msgs = ok ? 1 : 0;
	}
	if (!ok) {
		for (size_t i = 0; i < s->n_msgs; i++)
			qu_buf_clear(&s->msgs[i]);
		free(s->msgs);
		free(s);
		free(to);
		return;
	}
	s->bounce = true;
	s->cfg = u->cfg;
	s->account = u->account;
	s->to = to;
	submit(u, s);
	if (s->n_msgs > 1)
		ui_message(u, false, "Bouncing %zu messages... (^G cancels)", s->n_msgs);
	else
		ui_message(u, false, "Bouncing message... (^G cancels)");
}

static void
bounce_answer(struct ui *u, const char *a)
{
	if (!a || !*a) {
		u->bounce_tagged = false;
		return;
	}
	free(u->bounce_to);
	u->bounce_to = xstrdup(a);
	char *s = ui_text_sanitize(a, strlen(a), UI_TEXT_FIELD);
	char *label = u->bounce_tagged
		? xasprintf("Bounce tagged messages to %s? ([no]/yes): ", s)
		: xasprintf("Bounce message to %s? ([no]/yes): ", s);
	ui_ask(u, label, bounce_confirm, true);
	free(label);
	free(s);
}

/* Counts the tagged messages of the view. */
static size_t
count_tagged(struct ui *u)
{
	size_t n = u->view ? app_view_count(u->view) : 0, k = 0;
	for (size_t i = 0; i < n; i++) {
		struct app_row r;
		if (app_view_row(u->view, i, &r) && (r.flags & APP_MSG_TAGGED))
			k++;
	}
	return k;
}

/* b, and ; b as mutt's tag-prefix: every tagged message to the same
 * addresses, each unchanged but for its Resent-* fields (RFC 5322
 * §3.6.6). */
void
ui_fn_bounce(struct ui *u)
{
	bool tagged = u->tag_prefix;
	u->tag_prefix = false;
	if (!u->view || current_id(u) == SIZE_MAX) {
		ui_message(u, true, "No visible messages.");
		return;
	}
	if (tagged && count_tagged(u) == 0) {
		ui_message(u, true, "No tagged messages.");
		return;
	}
	u->bounce_tagged = tagged;
	ui_ask(u, tagged ? "Bounce tagged messages to: " : "Bounce message to: ", bounce_answer,
		false);
	u->prompt.complete_start = ui_complete_addresses_start;
}

/* ---- R: recall ----------------------------------------------------------- */

struct recall_list {
	char **labels, **paths;
	size_t n, alloc;
};

static void
on_postponed(void *ctx, const struct app_postponed *p)
{
	struct recall_list *l = ctx;
	l->labels = xgrow(l->labels, &l->alloc, l->n + 1, sizeof *l->labels);
	l->paths = xrealloc(l->paths, l->alloc * sizeof *l->paths);
	l->labels[l->n] = xasprintf("%-30.30s  %s", p->to ? p->to : "", p->subject ? p->subject : "");
	l->paths[l->n] = xstrdup(p->path);
	l->n++;
}

static void
recall_path(struct ui *u, const char *path)
{
	if (ui_draft_is_left(path)) { /* one a killed quail left */
		ui_draft_recover(u, path);
		return;
	}
	struct ui_compose *c = ui_compose_new(u);
	struct qu_err err = {0};
	if (app_draft_recall(path, &c->d, &err) < 0) {
		ui_message(u, true, "%s", err.msg);
		ui_compose_free(u);
		return;
	}
	ui_compose_rebuild(u);
	u->screen = UI_SCREEN_COMPOSE;
	u->dirty = true;
}

/* The drafts a killed quail left, listed first: they are the newest. */
static void
add_left(struct recall_list *l)
{
	char **paths = NULL;
	size_t n = ui_drafts_left(&paths);
	for (size_t i = 0; i < n; i++) {
		l->labels = xgrow(l->labels, &l->alloc, l->n + 1, sizeof *l->labels);
		l->paths = xrealloc(l->paths, l->alloc * sizeof *l->paths);
		l->labels[l->n] = xasprintf("(unsent, recovered)  %s", strrchr(paths[i], '/') + 1);
		l->paths[l->n++] = paths[i];
	}
	free(paths);
}

void
ui_fn_recall(struct ui *u)
{
	if (u->tag_prefix) {
		/* mutt's recall-message takes no tag-prefix either: a draft is
		 * one message, and tagging marks messages of the folder, not
		 * drafts */
		u->tag_prefix = false;
		ui_message(u, true, "R recalls one draft; ; does not apply to it.");
		return;
	}
	struct recall_list l = {0};
	struct qu_err err = {0};
	add_left(&l);
	if (u->account &&
		app_postponed_list(u->account, &u->compose_settings, on_postponed, &l, &err) < 0)
		ui_message(u, true, "%s", err.msg);
	else if (l.n == 0)
		ui_message(u, true, "No postponed messages.");
	else if (l.n == 1)
		recall_path(u, l.paths[0]);
	else
		ui_files_list(u, "Postponed messages", l.labels, l.paths, l.n, recall_path);
	for (size_t i = 0; i < l.n; i++) {
		free(l.labels[i]);
		free(l.paths[i]);
	}
	free(l.labels);
	free(l.paths);
}

/* ---- address completion -------------------------------------------------- */

/* "Name <addr>", the name quoted when it holds specials (RFC 5322 §3.2.3). */
static char *
format_address(const struct app_addr_match *m)
{
	if (!m->name || !*m->name)
		return xstrdup(m->address);
	if (strpbrk(m->name, "()<>[]:;@\\,.\""))
		return xasprintf("\"%s\" <%s>", m->name, m->address);
	return xasprintf("%s <%s>", m->name, m->address);
}

static bool
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* What a completion job found: whole replacements of the prompt's text. */
struct addr_found {
	char *text; /* the prompt's text it was asked for */
	char **out;
	size_t n;
};

void
ui_addr_found_free(void *payload)
{
	struct addr_found *f = payload;
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->out[i]);
	free(f->out);
	free(f->text);
	free(f);
}

/* The worker: j->path is the prompt's text, j->id where its last address
 * starts, j->arg the account (borrowed: the configuration outlives the
 * pool). query_command gets 10 s and is killed by ^G (the job's cancel). */
static void
addr_run(struct ui_job *j)
{
	const char *text = j->path;
	struct addr_found *f = xcalloc(1, sizeof *f);
	f->text = xstrdup(text);
	struct ui_msg *m = xcalloc(1, sizeof *m);
	m->kind = UI_MSG_ADDRS;
	m->req = j->req;
	struct app_addr_opts o = {.account = j->arg, .timeout_ms = 10000, .max = 20,
				  .cancel = j->cancel};
	struct app_addr_match *am = NULL;
	size_t k = 0;
	m->rc = app_addr_complete(text + j->id, &o, &am, &k, &m->err);
	f->out = k ? xcalloc(k, sizeof *f->out) : NULL;
	for (size_t i = 0; i < k; i++) {
		char *a = format_address(&am[i]);
		/* What mail says goes into the draft only as a clean line. */
		if (!has_control(a))
			f->out[f->n++] = xasprintf("%.*s%s", (int)j->id, text, a);
		free(a);
	}
	app_addr_matches_free(am, k);
	m->payload = f;
	ui_pool_post(j->pool, m);
}

/* Tab in an address prompt: the last address of the list is completed on
 * a worker, so that a slow address book or query_command leaves the
 * screen live; the answer comes as UI_MSG_ADDRS. */
void
ui_complete_addresses_start(struct ui *u)
{
	struct ui_prompt *p = &u->prompt;
	const char *comma = strrchr(p->buf, ',');
	const char *word = comma ? comma + 1 : p->buf;
	while (*word == ' ')
		word++;
	if (!*word) {
		ui_message(u, true, "No completions.");
		return;
	}
	if (p->complete_req) /* the older question is not awaited now */
		ui_pool_cancel(u->pool, p->complete_req);
	struct ui_job *j = xcalloc(1, sizeof *j);
	j->run = addr_run;
	j->path = xstrdup(p->buf);
	j->id = (size_t)(word - p->buf);
	j->arg = (void *)u->account;
	p->complete_req = ui_pool_submit(u->pool, j);
	ui_message(u, false, "Looking up addresses... (^G cancels)");
}

void
ui_complete_addresses_done(struct ui *u, struct ui_msg *m)
{
	struct ui_prompt *p = &u->prompt;
	struct addr_found *f = m->payload;
	if (!p->active || !m->req || m->req != p->complete_req)
		return; /* canceled, or the prompt is gone: ui_msg_free drops it */
	p->complete_req = 0;
	u->dirty = true;
	if (strcmp(f->text, p->buf) != 0) {
		/* typed on meanwhile: the answer is for text no longer there */
		ui_message(u, false, "The text changed meanwhile: Tab asks again.");
		return;
	}
	if (m->rc < 0 && f->n == 0) {
		if (m->err.cls == QU_E_CANCELED)
			ui_message(u, false, "Completion canceled.");
		else
			ui_message(u, true, "%s", m->err.msg);
		return;
	}
	u->status[0] = '\0';
	m->payload = NULL;
	ui_prompt_complete_with(u, f->out, f->n);
	f->out = NULL;
	f->n = 0;
	ui_addr_found_free(f);
}
