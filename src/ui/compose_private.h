/*
 * Internals of writing mail in the UI (compose*.c): the message being
 * written and the calls between the compose screen (compose.c) and the
 * starting and sending of drafts (compose_send.c).
 */
#ifndef QUAIL_UI_COMPOSE_PRIVATE_H
#define QUAIL_UI_COMPOSE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"
#include "app/app.h"
#include "ui/private.h"

/* One part of the built message, for the MIME structure shown. */
struct ui_compose_part {
	unsigned depth;
	uint64_t size;
	char type[64];
	char name[128];
	char description[128]; /* Content-Description as built; "" when none */
};

struct ui_compose {
	struct app_draft d;
	struct ui_tmp tmp;        /* the editor's file, while the editor runs */
	struct ui_tmp fwd;        /* an inline forward's saved attachments */
	struct qu_buf pending;    /* edited text that did not parse, kept */
	bool is_new;              /* m: an unchanged first edit aborts */
	bool changed;             /* q asks */
	bool then_send;           /* a To asked for by y: send after it */
	char field;               /* the field a prompt changes (t c b s f r) */
	size_t cursor;            /* 0: the text, 1...: the attachments */
	enum ui_screen from;      /* where compose was started */
	struct qu_buf preview;    /* app_draft_build's message */
	char *preview_err;
	struct ui_compose_part *parts;
	size_t nparts, parts_alloc;
	/* The message replied to, flagged R in the view once sent. */
	char *reply_folder;
	size_t reply_id;
	/* A send running on a worker. */
	bool sending;
	uint64_t send_req;
	/* Where the draft is kept while this screen is open, without the
	 * extension (compose_recover.c); NULL until first kept. */
	char *keep;
};

struct ui_compose *ui_compose_new(struct ui *u);
void ui_compose_close(struct ui *u);
void ui_compose_rebuild(struct ui *u);
/* Runs the editor on the draft (with its header fields, or the text
 * alone). Returns 0, or -1 with a message (initial: an unchanged new
 * message is aborted). */
int ui_compose_edit(struct ui *u, bool with_headers, bool initial);
/* The first edit, then the compose screen. */
void ui_compose_begin(struct ui *u);
bool ui_compose_idle(struct ui *u);
void ui_compose_ask_field(struct ui *u, char which);
/* Tab in an address prompt: the last address of the list completed on a
 * worker (ui_complete_addresses_done takes the answer). */
void ui_complete_addresses_start(struct ui *u);

/* ---- the outbox retried while the UI runs (compose_outbox.c) ---- */
/* A send queued a message of account a (borrowed from u->cfg): the
 * outbox is flushed on a worker with back-off until it is empty. */
void ui_outbox_queued(struct ui *u, const struct cfg_account *a);
/* A flush's result: true when m was one (and is handled). */
bool ui_outbox_result(struct ui *u, struct ui_msg *m);

/* ---- drafts that survive a crash (compose_recover.c) ---- */
/* Writes the editor's file beside the kept draft (.edit with the header
 * fields, .body for the text alone) into c->tmp. */
int ui_draft_keep_edit_file(struct ui_compose *c, bool with_headers, const char *data, size_t n,
	struct qu_err *err);
/* Keeps the draft's text as it is now; a failure is shown. */
void ui_draft_keep_save(struct ui *u);
/* Removes what was kept (sent, queued, postponed or aborted). */
void ui_draft_keep_remove(struct ui_compose *c);
/* The drafts a killed quail left (their .eml paths, owned, when paths). */
size_t ui_drafts_left(char ***paths);
/* path is one of them (in the drafts directory). */
bool ui_draft_is_left(const char *path);
/* Opens the compose screen on a left draft, which is then removed. */
void ui_draft_recover(struct ui *u, const char *path);

#endif
