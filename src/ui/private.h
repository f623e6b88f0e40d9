/*
 * Internals of the curses screens; nothing outside src/ui includes this.
 *
 * Files: main.c (options, the folder to open), loop.c (struct ui, the
 * poll loop, signals, prompts), term.c (curses set-up, drawing sanitised
 * text by cells), worker.c (the thread pool and its typed results),
 * index.c (the index screen), pager.c (the pager), keys.c (the key
 * tables that both dispatch keys and list them for `?`, and the `:`
 * commands).
 */
#ifndef QUAIL_UI_PRIVATE_H
#define QUAIL_UI_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"
#include "app/app.h"

struct ui;

/* ---- worker.c: slow calls off the UI thread ---------------------------- */

enum ui_msg_kind {
	UI_MSG_BATCH,  /* messages read so far (payload: app_view_batch) */
	UI_MSG_SCANNED,/* the folder read through (or failed: rc, err) */
	UI_MSG_LOADED, /* a message for the pager (payload: qu_buf) */
	/* writing mail (compose*.c): payload owned by compose.c */
	UI_MSG_SENT,   /* a send ended (rc, err; payload: its job data) */
	UI_MSG_NOTE,   /* a line of progress from a send (payload: string) */
	UI_MSG_FOLDERS,/* folders: a listing (payload: app_local_folders) */
	/* Indexing the open folder: id messages read of total (their rows,
	 * or with text their text, the second pass); total 0 when the update
	 * ended. */
	UI_MSG_INDEXING,
	/* attachments: a copiousoutput viewer's output, marked lines
	 * (payload: qu_buf; viewer.c) */
	UI_MSG_VIEWED,
	/* move, copy, expunge (index.c): id done of total while it runs;
	 * the last one carries the job (payload: app_ops), rc and err. */
	UI_MSG_OPS,
	/* limit and search through the index (index.c): the files that
	 * match (payload: app_match), or rc and err */
	UI_MSG_FTS,
	/* limit and search over a big folder on a worker (index.c): the
	 * answer (payload: app_limit), or rc and err */
	UI_MSG_LIMIT,
	/* background sync: app_sync ended (rc, err; payload: sync.c's) */
	UI_MSG_SYNCED,
	/* writing mail: address completions for a prompt (rc, err;
	 * payload: compose_send.c's) */
	UI_MSG_ADDRS,
	/* The index after quitting (loop.c): the open's index update is
	 * over (rc 0: done, or failed for a reason another try would meet
	 * too) or was cut short (rc -1: canceled); payload: the folder's
	 * path as opened (a string). */
	UI_MSG_INDEXED,
};

/* A result travelling from a worker to the UI thread, matched to the
 * request by req. */
struct ui_msg {
	enum ui_msg_kind kind;
	uint64_t req;
	int rc;
	struct qu_err err;
	void *payload;
	size_t id;      /* the message a LOADED result is for */
	uint64_t total; /* INDEXING */
	bool text;      /* INDEXING: the second pass */
	struct ui_msg *next;
};

struct ui_job;
typedef void (*ui_job_fn)(struct ui_job *j);

/* One request. Owned by the pool until it is done. */
struct ui_job {
	uint64_t req;
	ui_job_fn run;
	struct qu_cancel *cancel;
	struct ui_pool *pool;
	char *path;          /* what to read */
	size_t id;           /* the message (LOADED) */
	struct qu_buf bytes; /* the message's bytes, read on the UI thread */
	bool full_headers;
	void *arg;           /* compose*.c: the job's own data */
	struct app_local_folders *folders; /* folders: the last listing (owned) */
	char *cmd;           /* attachments: a viewer's command (viewer.c) */
	const struct app_mailcap *mailcap; /* html = mailcap: the table, borrowed */
	struct ui_job *next;
	/* Opening a folder: the first page from the index in this order. */
	enum app_sort sort;
	bool reverse;
	size_t first_rows;
	/* Flag changes for the index: old and new path in turn (owned). */
	char **renames;
	size_t nrenames;
	/* New mail: file names in new/ (owned). */
	char **names;
	size_t nnames;
	/* Limit and search on a worker (owned until it runs). */
	struct app_limit *limit;
};

struct ui_pool;

/* Starts n worker threads with every signal blocked (signals belong to
 * the UI thread's self-pipe). wake_fd is written one byte per result. */
struct ui_pool *ui_pool_new(unsigned n, int wake_fd);
/* Fires every cancel handle, joins the threads, drops what is left. */
void ui_pool_free(struct ui_pool *p);
/* Queues j (owned by the pool from now on); returns its request id. */
uint64_t ui_pool_submit(struct ui_pool *p, struct ui_job *j);
/* Fires the cancel handle of request req (0: every request). */
void ui_pool_cancel(struct ui_pool *p, uint64_t req);
/* Posts a result (from a worker). */
void ui_pool_post(struct ui_pool *p, struct ui_msg *m);
/* Takes every result posted so far, oldest first (UI thread). */
struct ui_msg *ui_pool_take(struct ui_pool *p);
/* True while any request is queued or running. */
bool ui_pool_busy(struct ui_pool *p);
void ui_msg_free(struct ui_msg *m);

/* ---- term.c: the terminal ---------------------------------------------- */

/* Sets the locale (before any thread starts: setlocale is not safe beside
 * threads that use it) and checks that stdin and stdout are a terminal.
 * Returns 0, or -1 with USAGE. */
int ui_term_prepare(struct qu_err *err);
/* Installs the signal self-pipe and opens curses (after ui_term_prepare).
 * Returns 0, or -1 with SOFTWARE. */
int ui_term_open(int sig_fd_write, struct qu_err *err);
/* The terminal's lines: curses' once it is open, before that the size the
 * terminal reports (as curses will take it), else 24. */
int ui_term_lines(void);
void ui_term_close(void);
/* True when the locale is UTF-8 (else non-ASCII is drawn as '?'). */
bool ui_term_utf8(void);
/* Suspends the process like ^Z in a shell would, with the terminal
 * restored first and redrawn after SIGCONT. */
void ui_term_suspend(void);
/* Takes the terminal's new size after SIGWINCH. */
void ui_term_resize(void);
/* Draws s (sanitised UTF-8, one line) at row y, column x, in exactly
 * cells cells (cut or padded), with curses attributes attr. */
void ui_put(int y, int x, const char *s, size_t cells, int attr);
/* Runs cmd with /bin/sh -c, the terminal given back to it meanwhile;
 * input (may be NULL) is written to its stdin. Returns its exit status
 * or -1. */
int ui_term_run(const char *cmd, const char *input, size_t n);
/* Runs prog with one argument (no shell: the argument may come from
 * mail), the terminal given back meanwhile. Returns its exit status or
 * -1. */
int ui_term_run_arg(const char *prog, const char *arg);

/* Colour pairs. */
enum ui_color {
	UI_C_NORMAL,
	UI_C_INDICATOR,
	UI_C_STATUS,
	UI_C_TREE,
	UI_C_QUOTE1,
	UI_C_QUOTE2,
	UI_C_QUOTE3,
	UI_C_HEADER,
	UI_C_ERROR,
	UI_C_MARKER,
	UI_C_COUNT,
};
int ui_attr(enum ui_color c);
/* A curses attribute by name ("bold", "underline", "reverse",
 * "standout", "blink", "dim"); 0 when unknown. */
unsigned ui_attr_bit(const char *name);
/* Colours from [ui], applied when the terminal opens. fg, bg: -1 for the
 * terminal's default, else 0-255. */
void ui_color_override(enum ui_color c, short fg, short bg, unsigned attrs);

/* ---- loop.c, index.c, pager.c, keys.c ---------------------------------- */

enum ui_screen {
	UI_SCREEN_INDEX,
	UI_SCREEN_PAGER,
	UI_SCREEN_HELP,
	UI_SCREEN_ATTACH,
	/* writing mail (compose*.c) */
	UI_SCREEN_COMPOSE,
	UI_SCREEN_FILES,   /* the file browser and lists (compose_files.c) */
	UI_SCREEN_BROWSER, /* folders: the folder browser (browser.c) */
};

/* The attachment list of one message (attach.c). */
struct ui_attach {
	struct {
		char *line;  /* the row, sanitised */
		bool is_text;
		size_t part, sub;      /* as struct app_attachment */
		char *type, *charset;  /* decoded, not sanitised; charset may be NULL */
		char *name;            /* the part's file name, NULL when none */
	} *v;
	size_t n, alloc, cursor, top;
	struct qu_buf msg;   /* the message's bytes */
	enum ui_screen from;
};

/* A line being typed at the bottom of the screen. */
struct ui_prompt {
	bool active;
	char label[64];
	char buf[1024];
	size_t len;
	void (*done)(struct ui *u, const char *text); /* NULL text: aborted */
	bool one_key;   /* answered by the next key (the sort prompt) */
	bool folders;   /* Tab completes folder names */
	/* Tab: the completions of text, whole replacements (compose*.c) */
	char **(*complete)(struct ui *u, const char *text, size_t *n);
	/* compose*.c: Tab starts the completion on a worker instead (the
	 * address book and query_command may be slow); complete_req is the
	 * one running, 0 when none. ^G cancels it and leaves the prompt. */
	void (*complete_start)(struct ui *u);
	uint64_t complete_req;
};

/* One screen line of the pager: a piece of a view line. */
struct ui_pline {
	size_t off, len;     /* in ui_pager.text */
	char mark;           /* 'h' header, 'b' body, 'q' quoted, 'a' list */
	unsigned quote;      /* quote level of a 'q' line */
};

struct ui_pager {
	size_t id;           /* the message shown */
	uint64_t req;        /* its load, while loading */
	bool loading;
	bool full_headers;
	bool hide_quoted;
	char *text;          /* sanitised lines, each "M<text>\n" */
	size_t len;
	struct ui_pline *lines; /* wrapped to the screen width */
	size_t nlines, alloc;
	int width;           /* the width wrapped to */
	size_t top;
	char *subject;       /* for the status line, sanitised */
	bool from_attach;    /* a part shown from the attachment list */
	char *url;           /* the link ^F/^B picked (Enter opens it) */
	size_t url_line, url_end; /* where it is: line, end offset in it */
};

/* A key bound in [ui] (bind.SCREEN.KEY = FUNCTION). */
struct ui_user_binding {
	enum ui_screen screen;
	int key;
	void (*fn)(struct ui *u);
};

/* folders: the folder browser and the sidebar (browser.c, sidebar.c). */
struct ui_folders {
	struct app_local_folders list; /* the last listing of the root */
	uint64_t req;        /* a listing under way; 0 none */
	int64_t listed_ms;   /* when the last listing was asked */
	size_t current;      /* the open folder's entry; SIZE_MAX none */
	unsigned check_s;    /* [ui] mail_check: seconds between listings; 0: 5 */
	/* the browser */
	size_t cursor, top;
	enum ui_screen from;
	void (*pick)(struct ui *u, const char *path); /* NULL: open it */
	char *search;
	bool place;          /* put the cursor on the open folder when listed */
	/* the sidebar */
	bool sidebar;        /* [ui] sidebar, B */
	size_t sidebar_width;/* [ui] sidebar_width; 0: the default */
	size_t sb_hl;        /* sidebar-next/prev's entry, when sb_moved */
	bool sb_moved;       /* else the open folder is the one highlighted */
	/* leaving a folder: [ui] delete (mutt's $delete) */
	enum { UI_DELETE_ASK_YES, UI_DELETE_ASK_NO, UI_DELETE_YES, UI_DELETE_NO } delete;
	char *leave_to;      /* the folder to open once asked; NULL: quit */
	/* the open folder is an mbox: read-only (cached per view) */
	const struct app_view *ro_view;
	bool ro;
};

/* background sync (sync.c): app_sync on a worker, one at a time, and
 * the IDLE session that asks for it. */
struct ui_sync {
	/* [ui] sync_on_open, sync_interval, sync_all, sync_idle */
	bool no_on_open, no_idle, all, interval_set;
	unsigned interval_s;     /* 0: no timed sync */
	int64_t next_ms;         /* the next timed sync */
	uint64_t req;            /* the sync running; 0 none */
	bool queued;             /* asked again while it ran */
	bool reload;             /* the open folder's files changed */
	char what[256];          /* the folder being synced, for the status */
	char *keep;              /* after a reload: the cursor's file name */
	struct app_imap_live *live; /* IDLE on the open folder, or NULL */
	char *live_path;         /* u->folder when it was selected */
	bool live_ready;         /* its SELECT is done: events are news */
};

struct ui {
	struct ui_pool *pool;
	/* [ui] settings (config.c) */
	enum app_sort sort;
	bool sort_reverse;
	char *index_format, *date_format, *editor, *mailcap, *url_command;
	size_t pager_context;
	bool markers, html_mailcap;
	struct ui_user_binding *binds;
	size_t nbinds, binds_alloc;
	enum { UI_STICK_NONE, UI_STICK_FIRST, UI_STICK_LAST } stick;
	int wake[2], sig[2];
	bool quit;
	int exit_code;
	bool dirty;          /* something to draw */
	int rows, cols;

	enum ui_screen screen, help_from;
	struct app_view *view;
	char *folder;        /* the path shown */
	char *root;          /* the account's Maildir root (=NAME) */
	uint64_t scan_req;   /* reading the folder, 0 when done */
	bool scanning;
	size_t scanned;
	int64_t scan_start_ms;  /* [reading N...] shows UI_BUSY_SHOW_MS after */
	bool scan_paged;        /* ... when a first page showed at this open */
	uint64_t page_req;      /* the last first page asked for (ui_first_page) */
	int64_t hold_until_ms;  /* no drawing before then, 0 for none (UI_HOLD_MS) */
	/* The open folder's index update, for the status line. */
	bool indexing, index_text;
	uint64_t index_req, index_done, index_total;
	int64_t index_shown_ms; /* when the count was last put on screen */
	/* New mail: inotify on the open Maildir's new/ once it is read
	 * (watch_fd valid while watching); names seen, not yet read. */
	bool watching;
	int watch_fd;
	uint64_t newmail_req;
	char **new_names;
	size_t n_new, new_alloc;
	int64_t newmail_ms;  /* when names last went to a worker */
	int watch_cur_wd;    /* the watch on cur/ (events name "cur/NAME") */

	size_t cursor_id;    /* the message under the cursor; SIZE_MAX none */
	size_t cursor, top;  /* shown rows */
	size_t drawn_top;    /* the page last drawn (a new one is redrawn whole) */
	enum ui_screen drawn_screen;
	bool moved;          /* a key was pressed since the folder opened */
	bool tag_prefix;
	bool esc;            /* Esc was pressed: the next key is Esc-key */
	char *search;        /* the last search pattern */
	bool search_back;

	struct ui_prompt prompt;
	struct ui_pager pager;
	struct ui_attach attach;
	char status[512];    /* a message for the bottom line */
	bool status_error;
	size_t help_top;
	struct app_reader *reader;
	/* writing mail (compose*.c) */
	struct ui_compose *compose;  /* the message being written, or NULL */
	struct ui_files *files;      /* the file browser, or NULL */
	struct cfg *cfg;             /* the configuration (accounts), or NULL */
	const struct cfg_account *account; /* the account opened; NULL */
	struct app_compose_settings compose_settings; /* [ui] of writing mail */
	char *bounce_to;             /* b: the addresses, until confirmed */
	bool bounce_tagged;          /* ; b: every tagged message, until confirmed */
	bool forward_tagged;         /* ; f: until the mime_forward question */
	struct ui_folders fo; /* folders: browser and sidebar */
	struct ui_viewers *viewers; /* attachments: mailcap viewers (viewer.c) */
	/* move, copy, expunge on a worker (index.c): the job under way (0
	 * none), its progress, and the destination as typed, for messages */
	uint64_t ops_req;
	enum app_ops_kind ops_kind;
	uint64_t ops_done, ops_total;
	char *ops_dest;
	/* limit and search through the index (index.c): the query under way
	 * (0 none), what it is for, and its pattern */
	uint64_t fts_req;
	enum { UI_FTS_LIMIT, UI_FTS_FORWARD, UI_FTS_BACK } fts_mode;
	char *fts_pattern;
	bool fts_fallback; /* free words: the header fields when not indexed */
	/* Limit and search over a big folder on a worker: the request (0
	 * when none) and what it is for (a UI_FTS_ mode). */
	uint64_t match_req;
	int match_mode;
	struct ui_sync sync; /* background sync (sync.c) */
	/* The index after quitting (loop.c): folders opened whose index
	 * update has not ended yet; at the quit they go to a detached
	 * `quail index` unless [ui] index_after_quit = no or the quit came
	 * from SIGINT or SIGTERM. */
	char **unindexed;
	size_t n_unindexed, unindexed_alloc;
	bool no_index_after_quit;
	bool quit_signal;
};

/* Behind a first page from the index, which is already the screen the
 * folder opens on, the rest of the folder's read shows "[reading N...]"
 * only once it has taken this long: it usually ends well before (some
 * 290 ms for 100,000 messages), and an indicator that flashes for a
 * tenth of a second only redraws the status line twice. A read without
 * such a page shows it at once. */
#define UI_BUSY_SHOW_MS 500

/* The background update's "[indexing N/TOTAL...]" moves on at most this
 * often (loop.c). */
#define UI_INDEX_SHOW_MS 500

/* A folder being opened is drawn when its first rows come (a first page
 * from the index takes a few milliseconds), or after this long, or at
 * the first key: not as an empty index a moment before its rows, which
 * only flashes and writes the screen twice. */
#define UI_HOLD_MS 40

/* The key codes the tables use: a character, a curses KEY_ code with
 * UI_KEY_CURSES, and either with UI_KEY_ESC after an Esc. */
#define UI_KEY_CURSES 0x1000000
#define UI_KEY_ESC 0x2000000

struct ui_binding {
	enum ui_screen screen;
	int key;
	const char *name;    /* the key as shown by `?` */
	const char *func;    /* mutt's function name */
	void (*fn)(struct ui *u);
};

/* Calls the function bound to key on the current screen. Returns false
 * when nothing is bound. */
bool ui_keys_dispatch(struct ui *u, int key);
/* A named key ("<Enter>", "<Up>", "<PageDown>", ...); 0 when unknown. */
int ui_keys_named(const char *name);
/* Binds key on screen to the function called func there. Returns 0, or
 * -1 when the screen has no such function. */
int ui_keys_bind(struct ui *u, enum ui_screen screen, int key, const char *func);
/* The bindings, for `?`. */
const struct ui_binding *ui_keys_table(size_t *n);
/* The table as lines of screen title, key and function, tab-separated,
 * in table order: what doc/gen-keys.py makes quail-ui(1)'s KEYS of
 * (`quail ui --list-keys`, not in --help). */
void ui_keys_list(FILE *out);
/* The `:` commands as lines of name, other names (space-separated),
 * argument and summary, tab-separated, in table order: what
 * doc/gen-keys.py makes quail-ui(1)'s COMMANDS of (`quail ui
 * --list-commands`, not in --help). */
void ui_commands_list(FILE *out);
/* Runs one `:` command line. Returns 0, or -1 with a message in the
 * status line. */
int ui_command(struct ui *u, const char *line);

void ui_message(struct ui *u, bool error, const char *fmt, ...) QU_PRINTF(3, 4);
void ui_ask(struct ui *u, const char *label, void (*done)(struct ui *, const char *),
	bool one_key);
void ui_open_folder(struct ui *u, const char *path);
void ui_draw(struct ui *u);
/* Opens the terminal, runs until quit, gives the terminal back. */
int ui_run(struct ui *u, const char *const *commands, size_t ncommands, struct qu_err *err);
void ui_free(struct ui *u);

/* config.c: [ui] of the account file into u. Returns 0, or -1 with
 * CONFIG "FILE:LINE: why". */
struct cfg;
int ui_config_apply(struct ui *u, const struct cfg *c, struct qu_err *err);

/* index.c */
void ui_index_draw(struct ui *u);
void ui_index_fix_cursor(struct ui *u);
/* Asks for the first screen of the folder being read, in that order,
 * from the index (app_view_first_page) on a worker. */
void ui_first_page(struct ui *u, enum app_sort sort, bool reverse);
/* Whether the status line shows the folder's read (UI_BUSY_SHOW_MS). */
bool ui_reading_shown(const struct ui *u);
void ui_index_goto(struct ui *u, size_t row);
size_t ui_index_rows(const struct ui *u);
void ui_index_sort(struct ui *u, const char *name);
void ui_index_limit(struct ui *u, const char *pattern);
void ui_index_status(struct ui *u, char *buf, size_t n);
/* A flag change of many messages (the tag prefix) as a job: the rows
 * show it at once, the files are renamed on a worker (ui_ops_start's
 * progress and ^G). Nothing, with a message, while another job runs. */
void ui_ops_flags(struct ui *u, const size_t *ids, size_t n, unsigned set, unsigned clear,
	bool toggle);
/* Moves, copies (dest: a resolved path; shown: as typed) or expunges
 * (dest, shown NULL) on a worker, progress in the status line; false
 * (after a message) when another job runs or the plan fails. */
bool ui_ops_start(struct ui *u, enum app_ops_kind kind, const size_t *ids, size_t n,
	const char *dest, const char *shown);
/* A job's progress or end (UI_MSG_OPS) into the view. */
void ui_ops_result(struct ui *u, struct ui_msg *m);
/* `/`, `?` and `n` from the cursor: with full-text terms through the
 * index on a worker, else at once. */
void ui_index_search(struct ui *u, const char *pattern, bool back);
/* The index's answer (UI_MSG_FTS) applied as the limit or the search. */
void ui_fts_result(struct ui *u, struct ui_msg *m);
/* QUAIL_UI_TRACE=FILE: one line for a step of an open or a limit (loop.c;
 * nothing without it). */
void ui_trace_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Limit and search on a worker: its answer applied; ^G and leaving the
 * folder drop the one under way (true when there was one). */
void ui_limit_result(struct ui *u, struct ui_msg *m);
bool ui_limit_cancel(struct ui *u);

/* pager.c */
void ui_pager_open(struct ui *u, size_t id);
void ui_pager_loaded(struct ui *u, struct ui_msg *m);
void ui_pager_draw(struct ui *u);
void ui_pager_close(struct ui *u);
void ui_pager_relayout(struct ui *u);
void ui_pager_scroll(struct ui *u, long lines);
void ui_pager_search(struct ui *u, const char *pattern, bool next);
void ui_pager_skip_quoted(struct ui *u);
/* Shows marked lines (as app_message_view makes them) in the pager. */
void ui_pager_show(struct ui *u, const char *marked, size_t n);
/* ^F / ^B: the next or previous link; Enter on a picked link opens it. */
void ui_pager_url(struct ui *u, bool forward);
bool ui_pager_open_url(struct ui *u);

/* attach.c */
void ui_attach_open(struct ui *u);
void ui_attach_close(struct ui *u);
void ui_attach_draw(struct ui *u);
void ui_attach_move(struct ui *u, long d);
void ui_attach_save(struct ui *u);
void ui_attach_pipe(struct ui *u);
void ui_attach_view(struct ui *u);
void ui_attach_view_mailcap(struct ui *u);

/* viewer.c: an attachment shown by a program from mailcap (RFC 1524). */
struct ui_view_req {
	const char *data;   /* the decoded content, len bytes */
	size_t len;
	const char *type, *charset, *name; /* charset, name may be NULL */
	bool is_text;       /* the built-in view can show it */
};
/* Views r with its mailcap entry (needsterminal in the foreground,
 * copiousoutput on a worker into the pager, others detached). Unless
 * mailcap_only, text/plain, and a text part without an entry, give 1
 * (the caller shows it), anything else without an entry goes to xdg-open,
 * detached. Returns 0, 1, or -1 after a message. */
int ui_viewer_open(struct ui *u, const struct ui_view_req *r, bool mailcap_only);
/* The mailcap table of [ui] mailcap, loaded on first use; it is not
 * changed after, so workers may read it until ui_viewers_free. */
const struct app_mailcap *ui_viewer_mailcap(struct ui *u);
/* A copiousoutput viewer's result (UI_MSG_VIEWED) into the pager. */
void ui_viewer_done(struct ui *u, struct ui_msg *m);
/* Removes the private directory with what detached viewers were given. */
void ui_viewers_free(struct ui *u);

/* The functions the tables bind (keys.c dispatches to them). */
void ui_fn_quit(struct ui *u);
void ui_fn_exit(struct ui *u);

/* ---- writing mail (compose*.c) ------------------------------------------ */
/* Says in the status line when a killed quail left unsent drafts, which
 * R then offers (compose_recover.c). */
void ui_drafts_announce(struct ui *u);
/* The queued mail retried with back-off (compose_outbox.c): the poll
 * timeout shortened to the next retry, and the retry started when due;
 * the first tick after the first folder was read also calls
 * ui_drafts_announce. */
int ui_outbox_timeout(const struct ui *u, int timeout);
void ui_outbox_tick(struct ui *u);

/* compose_edit.c: a draft file in a private directory (0700, mkdtemp
 * under $XDG_RUNTIME_DIR, $TMPDIR or /tmp), the file 0600. */
struct ui_tmp {
	char *dir, *path;
};
/* Makes the directory and the file called name in it, holding data. */
int ui_tmp_create(struct ui_tmp *t, const char *name, const char *data, size_t n,
	struct qu_err *err);
/* Removes the file and the directory; t may be empty. */
void ui_tmp_remove(struct ui_tmp *t);
int ui_file_read(const char *path, struct qu_buf *out, struct qu_err *err);
/* [ui] editor, else $VISUAL, else $EDITOR, else vi. Borrowed. */
const char *ui_editor_command(const struct ui *u);
/* Runs the editor on path with the terminal given back. Returns 1 when
 * the file changed, 0 when not, -1 (err) when the editor failed. */
int ui_edit_file(struct ui *u, const char *path, struct qu_err *err);

/* compose_files.c: file names for the attach prompt, the file browser. */
char *ui_path_expand(const char *p);
char **ui_complete_files(struct ui *u, const char *text, size_t *n);
/* Puts the longest common start of the n completions c (whole
 * replacements of the prompt's text) into the prompt; frees c. */
void ui_prompt_complete_with(struct ui *u, char **c, size_t n);
/* Address completions arrived (UI_MSG_ADDRS, compose_send.c). */
void ui_complete_addresses_done(struct ui *u, struct ui_msg *m);
/* Frees a UI_MSG_ADDRS payload (compose_send.c). */
void ui_addr_found_free(void *payload);
void ui_files_open(struct ui *u, const char *dir, void (*pick)(struct ui *, const char *));
/* A list to pick one of (the postponed drafts): labels shown, the
 * picked one's path given to pick. */
void ui_files_list(struct ui *u, const char *title, char *const *labels, char *const *paths,
	size_t n, void (*pick)(struct ui *, const char *));
void ui_files_close(struct ui *u);
void ui_files_draw(struct ui *u);
void ui_files_move(struct ui *u, long d);
void ui_files_select(struct ui *u);

/* compose.c: the compose screen. */
void ui_compose_draw(struct ui *u);
void ui_compose_free(struct ui *u);
/* A result of a send job (UI_MSG_SENT). */
void ui_compose_sent(struct ui *u, struct ui_msg *m);
/* The functions the key table binds (index, pager and compose). */
void ui_fn_mail(struct ui *u);
void ui_fn_reply(struct ui *u);
void ui_fn_group_reply(struct ui *u);
void ui_fn_list_reply(struct ui *u);
void ui_fn_forward(struct ui *u);
void ui_fn_bounce(struct ui *u);
void ui_fn_recall(struct ui *u);
void ui_fn_compose_send(struct ui *u);
void ui_fn_compose_attach(struct ui *u);
void ui_fn_compose_detach(struct ui *u);
void ui_fn_compose_description(struct ui *u);
void ui_fn_compose_edit(struct ui *u);
void ui_fn_compose_edit_headers(struct ui *u);
void ui_fn_compose_to(struct ui *u);
void ui_fn_compose_cc(struct ui *u);
void ui_fn_compose_bcc(struct ui *u);
void ui_fn_compose_subject(struct ui *u);
void ui_fn_compose_from(struct ui *u);
void ui_fn_compose_reply_to(struct ui *u);
void ui_fn_compose_postpone(struct ui *u);
void ui_fn_compose_abort(struct ui *u);
void ui_fn_compose_down(struct ui *u);
void ui_fn_compose_up(struct ui *u);
/* ---- folders: browser.c, sidebar.c -------------------------------------- */

/* Opens the browser on every folder under the root; pick (NULL: open the
 * folder chosen) gets the chosen folder's path. */
void ui_browser_open(struct ui *u, void (*pick)(struct ui *, const char *));
void ui_browser_draw(struct ui *u);
void ui_browser_next(struct ui *u);
void ui_browser_prev(struct ui *u);
void ui_browser_first(struct ui *u);
void ui_browser_last(struct ui *u);
void ui_browser_page_down(struct ui *u);
void ui_browser_page_up(struct ui *u);
void ui_browser_select(struct ui *u);
void ui_browser_exit(struct ui *u);
void ui_browser_search(struct ui *u);
void ui_browser_search_next(struct ui *u);
/* The index's y: the browser of every folder. */
void ui_browser_mailboxes(struct ui *u);
/* A folder prompt answered with ? or Tab on nothing: the browser, whose
 * choice goes to the prompt's done. */
void ui_browser_from_prompt(struct ui *u);
/* Asks for a listing of the root on a worker (one at a time). */
void ui_folders_refresh(struct ui *u);
/* A listing arrived (UI_MSG_FOLDERS). */
void ui_folders_loaded(struct ui *u, struct ui_msg *m);
/* Called before each poll: lists again every mail_check seconds while
 * the sidebar or the browser shows; returns the poll timeout to use. */
int ui_folders_timeout(struct ui *u, int timeout);
/* Leaves the open folder for path (NULL: quits), asking first whether
 * to purge deleted messages as [ui] delete says (mutt's $delete). */
void ui_folder_leave(struct ui *u, const char *path);
/* After a folder opened: says so when it is read-only. */
void ui_folders_opened(struct ui *u);
/* True (with the message in the status line) when the open folder is an
 * mbox: keys that would change it do nothing. */
bool ui_folder_read_only(struct ui *u);
/* [ui] keys of folders: 1 taken, 0 not ours, -1 a bad value (*why). */
int ui_folders_config(struct ui *u, const char *key, const char *value, const char **why);
void ui_folders_free(struct ui *u);
/* Entry i's counts (the open folder's from its view); false when not
 * known yet. */
bool ui_folders_counts(struct ui *u, size_t i, size_t *total, size_t *unread);
/* Entry i's name made safe for a cell (a new string). */
char *ui_folders_name(const struct ui *u, size_t i);

/* The sidebar, left of the index and the pager: draws it and narrows the index (the
 * terminal's left margin) when shown. */
void ui_sidebar_draw(struct ui *u);
void ui_sidebar_toggle(struct ui *u);
/* The columns the sidebar and its divider take (0 when hidden): what the
 * pager wraps its text short of. */
size_t ui_sidebar_cols(const struct ui *u);
void ui_sidebar_next(struct ui *u);
void ui_sidebar_prev(struct ui *u);
void ui_sidebar_open(struct ui *u);

/* term.c: a left margin for the screens beside the sidebar: ui_put draws
 * from column left on, and ui_term_cols is what is left of COLS. */
void ui_term_left(int left);
int ui_term_cols(void);

/* ---- background sync: sync.c ------------------------------------------ */

/* True when the account has an imap server (and the workers run). */
bool ui_sync_enabled(const struct ui *u);
/* Once the terminal and workers are up: opens the IDLE session and runs
 * the first sync ([ui] sync_on_open). */
void ui_sync_start(struct ui *u);
/* Runs a sync of the open folder (every folder with sync_all), or
 * queues one (once) when one runs. */
void ui_sync_request(struct ui *u);
/* sync-account: the function bound to Esc-$ and `:sync-account`. */
void ui_fn_sync_account(struct ui *u);
/* ^G: cancels the running sync; false when none runs. */
bool ui_sync_cancel(struct ui *u);
/* A sync's result (UI_MSG_SYNCED). */
void ui_sync_done(struct ui *u, struct ui_msg *m);
void ui_sync_payload_free(void *payload);
/* After rows of the open folder came: the cursor back on the message it
 * was on before a reload. */
void ui_sync_rows_added(struct ui *u);
/* Before each poll: timed syncs, a reload, the status; returns the
 * poll timeout to use. */
int ui_sync_tick(struct ui *u, int timeout);
/* The IDLE session's descriptor to poll, or -1; its replies. */
int ui_sync_fd(const struct ui *u);
void ui_sync_read_live(struct ui *u);
/* Quitting: cancels the sync, closes the IDLE session. */
void ui_sync_stop(struct ui *u);
/* [ui] keys of sync: 1 taken, 0 not ours, -1 a bad value (*why). */
int ui_sync_config(struct ui *u, const char *key, const char *value, const char **why);

/* ==== text helpers (see uitext.h) ======================================= */

#endif
