/*
 * The compose screen (SPEC §8: mutt's keys in every screen, compose
 * included): the header fields of the draft, its attachments (name,
 * type, size, description), the MIME structure of what would be sent
 * (built by app_draft_build after every change) and a status line. mutt's
 * keys: y send, a attach, D detach, d describe, e and E edit again, t c b
 * s f r change the fields, P postpone, q abort. Sending is compose_send.c's. Every string
 * from the draft or from mail goes through the sanitiser before it is
 * drawn.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curses.h>

#include "util/util.h"
#include "app/app.h"
#include "ui/compose_private.h"
#include "ui/private.h"
#include "ui/uitext.h"

/* ---- the draft's life -------------------------------------------------- */

/* Removes the files a forward saved the original's attachments as. */
static void
remove_attach_dir(struct ui_tmp *t)
{
	if (!t->dir)
		return;
	DIR *d = opendir(t->dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *p = xasprintf("%s/%s", t->dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	ui_tmp_remove(t);
}

void
ui_compose_free(struct ui *u)
{
	struct ui_compose *c = u->compose;
	if (!c)
		return;
	app_draft_clear(&c->d);
	ui_tmp_remove(&c->tmp);
	ui_draft_keep_remove(c);
	remove_attach_dir(&c->fwd);
	qu_buf_clear(&c->preview);
	qu_buf_clear(&c->pending);
	free(c->parts);
	free(c->preview_err);
	free(c->reply_folder);
	free(c);
	u->compose = NULL;
}

struct ui_compose *
ui_compose_new(struct ui *u)
{
	ui_compose_free(u);
	struct ui_compose *c = xcalloc(1, sizeof *c);
	app_draft_init(&c->d);
	qu_buf_init(&c->preview, SIZE_MAX);
	qu_buf_init(&c->pending, SIZE_MAX);
	c->reply_id = SIZE_MAX;
	c->from = u->screen == UI_SCREEN_PAGER ? UI_SCREEN_PAGER : UI_SCREEN_INDEX;
	u->compose = c;
	return c;
}

/* Back to the screen compose was started from. */
void
ui_compose_close(struct ui *u)
{
	enum ui_screen back = u->compose ? u->compose->from : UI_SCREEN_INDEX;
	ui_compose_free(u);
	u->screen = back == UI_SCREEN_PAGER && u->pager.text ? UI_SCREEN_PAGER : UI_SCREEN_INDEX;
	if (u->screen == UI_SCREEN_INDEX)
		ui_index_fix_cursor(u);
	clearok(curscr, TRUE);
	u->dirty = true;
}

static void
on_part(void *ctx, size_t i, const struct app_attachment *a)
{
	struct ui_compose *c = ctx;
	(void)i;
	c->parts = xgrow(c->parts, &c->parts_alloc, c->nparts + 1, sizeof *c->parts);
	struct ui_compose_part *p = &c->parts[c->nparts++];
	p->depth = a->depth;
	p->size = a->size;
	snprintf(p->type, sizeof p->type, "%s", a->type);
	snprintf(p->name, sizeof p->name, "%s", a->filename ? a->filename : "");
	snprintf(p->description, sizeof p->description, "%s",
		 a->description ? a->description : "");
}

/* Builds the message as it would be sent, for the preview. */
void
ui_compose_rebuild(struct ui *u)
{
	struct ui_compose *c = u->compose;
	struct qu_err err = {0};
	qu_buf_reset(&c->preview);
	free(c->preview_err);
	c->preview_err = NULL;
	c->nparts = 0;
	if (app_draft_build(u->cfg, NULL, &c->d, NULL, &c->preview, &err) < 0)
		c->preview_err = xstrdup(err.msg);
	else
		app_message_parts(c->preview.data ? c->preview.data : "", c->preview.len, on_part, c);
	ui_draft_keep_save(u); /* every change is kept: a crash loses nothing */
	u->dirty = true;
}

/* ---- editing ----------------------------------------------------------- */

/* Reads the edited text back. A text that does not parse is kept (the
 * next e or E starts from it) and the error is shown: nothing is lost. */
static int
take_text(struct ui *u, const char *p, size_t n, bool with_headers)
{
	struct ui_compose *c = u->compose;
	struct qu_err err = {0};
	if (!with_headers) {
		free(c->d.body);
		c->d.body = xstrndup(p, n);
		c->d.body_len = n;
		return 0;
	}
	if (app_draft_parse(p, n, &c->d, &err) < 0) {
		qu_buf_reset(&c->pending);
		qu_buf_append(&c->pending, p, n);
		ui_message(u, true, "%s (E edits it again)", err.msg);
		return -1;
	}
	qu_buf_reset(&c->pending);
	return 0;
}

int
ui_compose_edit(struct ui *u, bool with_headers, bool initial)
{
	struct ui_compose *c = u->compose;
	struct qu_err err = {0};
	struct qu_buf text;
	qu_buf_init(&text, SIZE_MAX);
	if (c->pending.len && with_headers)
		qu_buf_append(&text, c->pending.data, c->pending.len);
	else if (with_headers)
		app_draft_text(&c->d, &text);
	else
		qu_buf_append(&text, c->d.body ? c->d.body : "", c->d.body ? c->d.body_len : 0);
	int rc = ui_draft_keep_edit_file(c, with_headers, text.data ? text.data : "", text.len, &err);
	qu_buf_clear(&text);
	if (rc < 0) {
		ui_message(u, true, "%s", err.msg);
		return -1;
	}
	rc = ui_edit_file(u, c->tmp.path, &err);
	if (rc < 0) {
		ui_message(u, true, "%s", err.msg);
	} else if (rc == 0 && initial && c->is_new) {
		ui_message(u, true, "Aborted unmodified message.");
		rc = -1;
	} else if (rc == 1 || (c->pending.len && with_headers)) {
		struct qu_buf back;
		if (ui_file_read(c->tmp.path, &back, &err) < 0) {
			ui_message(u, true, "%s", err.msg);
			rc = -1;
		} else {
			if (take_text(u, back.data ? back.data : "", back.len, with_headers) == 0 &&
				rc == 1)
				c->changed = true;
			qu_buf_clear(&back);
		}
	}
	ui_tmp_remove(&c->tmp);
	ui_compose_rebuild(u);
	clearok(curscr, TRUE);
	return rc < 0 ? -1 : 0;
}

/* The editor first, then the compose screen; a failed first edit drops
 * the draft. */
void
ui_compose_begin(struct ui *u)
{
	struct ui_compose *c = u->compose;
	if (ui_compose_edit(u, true, true) < 0 && !c->pending.len) {
		ui_compose_close(u);
		return;
	}
	u->screen = UI_SCREEN_COMPOSE;
	u->dirty = true;
}

/* ---- drawing ----------------------------------------------------------- */

static void
put_field(int y, const char *label, const char *value)
{
	char *v = value ? ui_text_sanitize(value, strlen(value), UI_TEXT_FIELD) : xstrdup("");
	char *l = xasprintf("%10s %s", label, v);
	ui_put(y, 0, l, (size_t)COLS, (int)A_NORMAL);
	free(l);
	free(v);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The type the builder gave the attachment called name, "" when none. */
static const char *
part_type(const struct ui_compose *c, const char *name)
{
	for (size_t i = 0; i < c->nparts; i++)
		if (c->parts[i].name[0] && strcmp(c->parts[i].name, name) == 0)
			return c->parts[i].type;
	return "";
}

static char *
attach_row(const struct ui_compose *c, size_t i)
{
	char size[16] = "";
	if (i == 0) {
		ui_format_size(c->d.body ? c->d.body_len : 0, size, sizeof size);
		return xasprintf("%3d %-36s [text/plain, %s]", 1, "(the message)", size);
	}
	const char *path = c->d.attach[i - 1].path;
	struct stat st;
	if (stat(path, &st) == 0)
		ui_format_size((uint64_t)st.st_size, size, sizeof size);
	else
		snprintf(size, sizeof size, "missing");
	const char *name = base_name(path);
	char *sname = ui_text_sanitize(name, strlen(name), UI_TEXT_FIELD);
	const char *type = part_type(c, name);
	char *stype = ui_text_sanitize(type, strlen(type), UI_TEXT_FIELD);
	const char *desc = c->d.attach[i - 1].description;
	char *sdesc = desc ? ui_text_sanitize(desc, strlen(desc), UI_TEXT_FIELD) : NULL;
	char *l = xasprintf("%3zu %-36s [%s, %s]%s%s%s", i + 1, sname, stype[0] ? stype : "?",
		size, sdesc ? "  \"" : "", sdesc ? sdesc : "", sdesc ? "\"" : "");
	free(sname);
	free(stype);
	free(sdesc);
	return l;
}

/* The MIME structure: one row per part, indented by depth. */
static size_t
draw_structure(struct ui *u, int y, int last)
{
	struct ui_compose *c = u->compose;
	ui_put(y++, 0, "-- MIME structure (what is sent)", (size_t)COLS, ui_attr(UI_C_HEADER));
	if (c->preview_err) {
		char *e = ui_text_sanitize(c->preview_err, strlen(c->preview_err), UI_TEXT_FIELD);
		ui_put(y++, 0, e, (size_t)COLS, ui_attr(UI_C_ERROR));
		free(e);
	}
	for (size_t i = 0; i < c->nparts && y <= last; i++) {
		const struct ui_compose_part *p = &c->parts[i];
		char size[16];
		ui_format_size(p->size, size, sizeof size);
		char *l = xasprintf("%*s%s%s%s  %s%s%s%s", (int)(2 * p->depth + 2), "", p->type,
			p->name[0] ? " " : "", p->name, size, p->description[0] ? "  \"" : "",
			p->description, p->description[0] ? "\"" : "");
		char *s = ui_text_sanitize(l, strlen(l), UI_TEXT_FIELD);
		ui_put(y++, 0, s, (size_t)COLS, (int)A_NORMAL);
		free(s);
		free(l);
	}
	return (size_t)y;
}

void
ui_compose_draw(struct ui *u)
{
	struct ui_compose *c = u->compose;
	ui_put(0, 0, "y:Send  q:Abort  t:To  c:CC  s:Subj  a:Attach file  D:Detach  e:Edit  ?:Help",
		(size_t)COLS, ui_attr(UI_C_STATUS));
	const struct app_draft *d = &c->d;
	const char *labels[] = {"From:", "To:", "Cc:", "Bcc:", "Subject:", "Reply-To:"};
	const char *values[] = {d->from, d->to, d->cc, d->bcc, d->subject, d->reply_to};
	int y = 1;
	for (size_t i = 0; i < QU_ARRAY_LEN(labels); i++)
		put_field(y++, labels[i], values[i]);
	ui_put(y++, 0, "-- Attachments", (size_t)COLS, ui_attr(UI_C_HEADER));
	size_t n = d->n_attach + 1;
	if (c->cursor >= n)
		c->cursor = n - 1;
	int last = LINES - 3;
	for (size_t i = 0; i < n && y <= last; i++) {
		char *l = attach_row(c, i);
		ui_put(y++, 0, l, (size_t)COLS,
			i == c->cursor ? ui_attr(UI_C_INDICATOR) : (int)A_NORMAL);
		free(l);
	}
	if (y <= last)
		y = (int)draw_structure(u, y, last);
	for (; y <= last; y++)
		ui_put(y, 0, "", (size_t)COLS, (int)A_NORMAL);
	char size[16];
	ui_format_size(c->preview.len, size, sizeof size);
	char *st = xasprintf("-- Quail: Compose  [Approx. msg size: %s   Atts: %zu]%s", size,
		d->n_attach, c->sending ? "  Sending..." : "");
	ui_put(LINES - 2, 0, st, (size_t)COLS, ui_attr(UI_C_STATUS));
	free(st);
}

/* ---- keys -------------------------------------------------------------- */

/* False (with a message) while a send runs: the draft is the worker's. */
bool
ui_compose_idle(struct ui *u)
{
	if (!u->compose)
		return false;
	if (u->compose->sending) {
		ui_message(u, true, "Sending; ^G cancels.");
		return false;
	}
	return true;
}

void
ui_fn_compose_down(struct ui *u)
{
	struct ui_compose *c = u->compose;
	if (c->cursor < c->d.n_attach)
		c->cursor++;
	u->dirty = true;
}

void
ui_fn_compose_up(struct ui *u)
{
	struct ui_compose *c = u->compose;
	if (c->cursor)
		c->cursor--;
	u->dirty = true;
}

void
ui_fn_compose_edit(struct ui *u)
{
	if (ui_compose_idle(u))
		ui_compose_edit(u, false, false);
}

void
ui_fn_compose_edit_headers(struct ui *u)
{
	if (ui_compose_idle(u))
		ui_compose_edit(u, true, false);
}

static void
add_attachment(struct ui *u, const char *path)
{
	struct ui_compose *c = u->compose;
	if (!c)
		return;
	char *full = ui_path_expand(path);
	struct stat st;
	if (stat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
		char *s = ui_text_sanitize(path, strlen(path), UI_TEXT_FIELD);
		ui_message(u, true, "%s: not a file", s);
		free(s);
		free(full);
		return;
	}
	c->d.attach = xrealloc(c->d.attach, (c->d.n_attach + 1) * sizeof *c->d.attach);
	c->d.attach[c->d.n_attach].path = full;
	c->d.attach[c->d.n_attach].description = NULL;
	c->d.n_attach++;
	c->cursor = c->d.n_attach;
	c->changed = true;
	ui_compose_rebuild(u);
}

static void
attach_answer(struct ui *u, const char *a)
{
	if (!a || !*a)
		return;
	char *full = ui_path_expand(a);
	struct stat st;
	bool dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
	free(full);
	/* mutt's '?' (or a directory) opens the browser. */
	if (strcmp(a, "?") == 0 || dir)
		ui_files_open(u, strcmp(a, "?") == 0 ? "." : a, add_attachment);
	else
		add_attachment(u, a);
}

void
ui_fn_compose_attach(struct ui *u)
{
	if (!ui_compose_idle(u))
		return;
	ui_ask(u, "Attach file ('?' for list): ", attach_answer, false);
	u->prompt.complete = ui_complete_files;
}

void
ui_fn_compose_detach(struct ui *u)
{
	if (!ui_compose_idle(u))
		return;
	struct ui_compose *c = u->compose;
	if (c->cursor == 0) {
		ui_message(u, true, "You may not delete the message text.");
		return;
	}
	size_t k = c->cursor - 1;
	free(c->d.attach[k].path);
	free(c->d.attach[k].description);
	memmove(&c->d.attach[k], &c->d.attach[k + 1], (c->d.n_attach - k - 1) * sizeof *c->d.attach);
	c->d.n_attach--;
	if (c->cursor > c->d.n_attach)
		c->cursor = c->d.n_attach;
	c->changed = true;
	ui_compose_rebuild(u);
}

static void
description_answer(struct ui *u, const char *a)
{
	struct ui_compose *c = u->compose;
	if (!a || !c || c->cursor == 0 || c->cursor > c->d.n_attach)
		return;
	struct app_draft_attach *at = &c->d.attach[c->cursor - 1];
	const char *old = at->description ? at->description : "";
	if (strcmp(old, a) == 0)
		return;
	free(at->description);
	at->description = *a ? xstrdup(a) : NULL;
	c->changed = true;
	ui_compose_rebuild(u);
}

/* mutt's edit-description: the attachment under the cursor gets a
 * Content-Description (RFC 2045 §8); an empty answer removes it. */
void
ui_fn_compose_description(struct ui *u)
{
	if (!ui_compose_idle(u))
		return;
	struct ui_compose *c = u->compose;
	if (c->cursor == 0) {
		ui_message(u, true, "The message text has no description; pick an attachment.");
		return;
	}
	ui_ask(u, "Description: ", description_answer, false);
	const char *v = c->d.attach[c->cursor - 1].description;
	if (v && strlen(v) < sizeof u->prompt.buf) {
		snprintf(u->prompt.buf, sizeof u->prompt.buf, "%s", v);
		u->prompt.len = strlen(v);
	}
}

/* The field a prompt changes; set before ui_ask. */
static char **field_target(struct ui *u, char which)
{
	struct app_draft *d = &u->compose->d;
	switch (which) {
	case 't': return &d->to;
	case 'c': return &d->cc;
	case 'b': return &d->bcc;
	case 's': return &d->subject;
	case 'f': return &d->from;
	default: return &d->reply_to;
	}
}

static void
field_answer(struct ui *u, const char *a)
{
	struct ui_compose *c = u->compose;
	if (!c)
		return;
	if (!a) {
		c->then_send = false;
		return;
	}
	char **f = field_target(u, c->field);
	const char *old = *f ? *f : "";
	if (strcmp(old, a) != 0) {
		free(*f);
		*f = *a ? xstrdup(a) : NULL;
		c->changed = true;
		ui_compose_rebuild(u);
	}
	if (c->then_send) {
		c->then_send = false;
		ui_fn_compose_send(u);
	}
}

/* Asks for field which, the prompt holding its value as now. */
void
ui_compose_ask_field(struct ui *u, char which)
{
	static const struct {
		char which;
		const char *label;
		bool addresses;
	} t[] = {
		{'t', "To: ", true}, {'c', "Cc: ", true}, {'b', "Bcc: ", true},
		{'s', "Subject: ", false}, {'f', "From: ", true}, {'r', "Reply-To: ", true},
	};
	struct ui_compose *c = u->compose;
	size_t i = 0;
	while (i + 1 < QU_ARRAY_LEN(t) && t[i].which != which)
		i++;
	c->field = which;
	ui_ask(u, t[i].label, field_answer, false);
	if (t[i].addresses)
		u->prompt.complete_start = ui_complete_addresses_start;
	const char *v = *field_target(u, which);
	if (v && strlen(v) < sizeof u->prompt.buf) {
		snprintf(u->prompt.buf, sizeof u->prompt.buf, "%s", v);
		u->prompt.len = strlen(v);
	}
}

#define FIELD_FN(name, ch)                                                                     \
	void name(struct ui *u)                                                                \
	{                                                                                      \
		if (ui_compose_idle(u))                                                        \
			ui_compose_ask_field(u, ch);                                           \
	}
FIELD_FN(ui_fn_compose_to, 't')
FIELD_FN(ui_fn_compose_cc, 'c')
FIELD_FN(ui_fn_compose_bcc, 'b')
FIELD_FN(ui_fn_compose_subject, 's')
FIELD_FN(ui_fn_compose_from, 'f')
FIELD_FN(ui_fn_compose_reply_to, 'r')

void
ui_fn_compose_postpone(struct ui *u)
{
	if (!ui_compose_idle(u))
		return;
	struct qu_err err = {0};
	char *path = NULL;
	const struct cfg_account *a = app_identity_for_from(u->cfg, u->account, u->compose->d.from);
	if (!a) {
		ui_message(u, true, "No account to keep the draft in.");
		return;
	}
	if (app_draft_postpone(a, &u->compose_settings, &u->compose->d, &path, &err) < 0) {
		ui_message(u, true, "%s", err.msg);
		return;
	}
	free(path);
	ui_compose_close(u);
	ui_message(u, false, "Message postponed.");
}

static void
abort_answer(struct ui *u, const char *a)
{
	if (a && (a[0] == 'y' || a[0] == 'Y')) {
		ui_compose_close(u);
		ui_message(u, false, "Message aborted.");
	}
}

void
ui_fn_compose_abort(struct ui *u)
{
	if (!ui_compose_idle(u))
		return;
	if (!u->compose->changed) {
		ui_compose_close(u);
		ui_message(u, false, "Message aborted.");
		return;
	}
	ui_ask(u, "Abort this message? ([no]/yes): ", abort_answer, true);
}
