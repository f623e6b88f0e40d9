/*
 * config: server URLs, the account file, provider presets, password_command
 * and the command-line overrides of SPEC §1-§3.
 *
 * Depends on util and libinih only. Knows nothing of sockets or TLS: a URL's
 * TLS rule is stated as an enum that app/ hands to net/.
 */
#ifndef QUAIL_CONFIG_CONFIG_H
#define QUAIL_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

/* ---- URLs (SPEC §1) -------------------------------------------------- */

enum cfg_proto {
	CFG_PROTO_SMTP,
	CFG_PROTO_IMAP,
	CFG_PROTO_POP3,
};

enum cfg_tls {
	CFG_TLS_IMPLICIT, /* smtps, imaps, pop3s */
	CFG_TLS_STARTTLS, /* smtp, imap, pop3: STARTTLS/STLS required */
	CFG_TLS_NONE,     /* smtp+insecure, imap+insecure, pop3+insecure */
};

struct cfg_url {
	enum cfg_proto proto;
	enum cfg_tls tls;
	char *scheme; /* as written, lowercased: "smtps", "imap+insecure", ... */
	char *user;   /* percent-decoded, or NULL */
	char *host;   /* without brackets for IPv6 literals */
	uint16_t port; /* explicit, or the scheme's default */
	char *path;   /* percent-decoded, without the leading '/', or NULL */
};

/* Parses scheme://[user@]host[:port][/path]. Schemes and default ports as
 * SPEC §1: smtps 465, smtp 587, smtp+insecure 25, imaps 993, imap and
 * imap+insecure 143, pop3s 995, pop3 and pop3+insecure 110. IPv6 literals in
 * brackets. Errors: USAGE naming what is wrong. */
int cfg_url_parse(const char *s, struct cfg_url *out, struct qu_err *err);
void cfg_url_clear(struct cfg_url *u);
/* "scheme://host:port" (IPv6 in brackets), for messages. New string. */
char *cfg_url_format(const struct cfg_url *u);
const char *cfg_proto_name(enum cfg_proto p); /* "smtp", "imap", "pop3" */

/* ---- accounts (SPEC §2) ---------------------------------------------- */

enum cfg_auth {
	CFG_AUTH_DEFAULT, /* strongest shared SASL mechanism */
	CFG_AUTH_OAUTH2,  /* XOAUTH2/OAUTHBEARER; password_command prints a token */
};

struct cfg_account {
	char *name;             /* NULL for an account made from the command line alone */
	char *from;             /* "Name <addr>" or "addr" */
	/* URLs as written (or from a preset), or NULL. A preset fills imap and
	 * pop3 together, and only when neither is set: with both set, fetch
	 * should prefer imap. */
	char *smtp, *imap, *pop3;
	char *user;
	char *password;         /* in the file; only allowed when it is private */
	char *password_command; /* run with /bin/sh -c; first line of stdout */
	char *ca_file;
	char *sent_folder;
	char *maildir;          /* this account's Maildir root, ~ expanded */
	enum cfg_auth auth;
	bool queue;             /* queue = yes: keep unsendable mail in the outbox */
	bool imap_id;           /* send IMAP ID (default on; presets 163/126 need it) */
	uint64_t max_message_size; /* bytes; a fetch skips larger messages. 0:
				    * [general]'s, else CFG_MAX_MESSAGE_SIZE */
	const char *provider;   /* preset name ("163.com", ...) or NULL; static */
	const char *password_hint; /* e.g. "use the client authorization code"; static */
	/* Writing mail (SPEC §2): */
	char *alternates;       /* other addresses of this person, comma-separated, or NULL */
	char *signature;        /* a file (~ expanded), or a command ending in '|'; NULL */
	char *query_command;    /* external address book, %s the prefix; NULL */
	/* auth = oauth2 (SPEC §11): the oauth2_* keys. The token comes from
	 * password_command or token_command when set, else from the device
	 * flow's tokens that quail keeps. device_url and token_url replace the
	 * built-in endpoints of the provider; they are meant for testing. */
	struct cfg_oauth2 {
		char *client_id, *client_secret;
		char *token_command;
		char *device_url, *token_url;
	} oauth2;
};

/* One "key = value" of [ui], kept as written: the UI checks keys and
 * values itself (it knows its sort names, colours and functions) and
 * reports a bad one with the file and line. */
struct cfg_ui_setting {
	char *key;
	char *value;
	int line;
};

struct cfg {
	char *path;            /* the file read, or NULL when none */
	struct cfg_ui_setting *ui; /* [ui], in file order */
	size_t n_ui;
	char *default_account;
	char *maildir;         /* [general] maildir, ~ expanded; default ~/Mail */
	uint64_t max_message_size; /* [general] max_message_size; 0 when unset */
	struct cfg_account *accounts;
	size_t n_accounts;
};

/* The default max_message_size (SPEC §2): 512 MiB. */
#define CFG_MAX_MESSAGE_SIZE (512ull * 1024 * 1024)
/* The account's max_message_size in bytes, the default when unset. */
uint64_t cfg_max_message_size(const struct cfg_account *a);
/* Parses a size: a number of bytes, or one with K, M or G (KiB, MiB,
 * GiB; case-insensitive, an optional "B" or "iB" after it). 0 and
 * overflow are refused. Returns 0 or -1. */
int cfg_parse_size(const char *s, uint64_t *out);

/* The file to read: --config FILE, else $QUAIL_CONFIG, else
 * $XDG_CONFIG_HOME/quail/config, else ~/.config/quail/config. New string. */
char *cfg_default_path(const char *cli_path);
/* quail's state directory: $XDG_STATE_HOME/quail, else
 * ~/.local/state/quail (the outbox lives there, outside every Maildir).
 * New string. */
char *cfg_state_home(void);

/* Reads an INI file (SPEC §2); path NULL means cfg_default_path(NULL). A
 * missing file is not an error when must_exist is false (an empty struct cfg
 * results, with path NULL). Errors: NOINPUT (a named file missing or
 * unreadable, a directory), CONFIG as "FILE:LINE: why" (syntax, unknown keys
 * or sections, duplicates, bad or wrong-protocol URLs, a password in a file
 * readable by group or others, a line longer than libinih's 199 characters).
 * Presets are applied to each account. Returns an owned struct. */
struct cfg *cfg_load(const char *path, bool must_exist, struct qu_err *err);
void cfg_free(struct cfg *c);

/* The account called name, or the default account when name is NULL (the
 * [general] default_account, else the only account). NULL when there is
 * none; err then says why (CONFIG), also when name was NULL. c may be NULL.
 * Borrowed: valid until cfg_free(c). */
const struct cfg_account *cfg_find_account(const struct cfg *c, const char *name,
					   struct qu_err *err);

/* Command-line overrides of SPEC §3, applied on top of an account. */
struct cfg_overrides {
	const char *account;
	const char *config;
	const char *user;
	const char *password_command;
	const char *ca_file;
	const char *smtp, *imap, *pop3;
	const char *from;
	int timeout_s; /* 0: default 60 */
};

/* Builds the effective account: the named (or default) account from c, if
 * any, with overrides laid over it, and presets filled from `from` (else
 * from an address-like user) for what is still missing. --imap alone drops
 * the account's pop3 and --pop3 alone its imap: they name the mailbox to
 * read. user defaults to the user@ of the first URL that has one, else the
 * address of from. With no config file and no account, overrides alone may
 * describe one (e.g. --smtp URL --user U --password-command CMD): its name
 * is NULL and its maildir <general maildir>/default. c and o may be NULL.
 * Returns an owned account (free with cfg_account_free). Errors: CONFIG (no
 * such account, nothing describes a server), USAGE (a bad --smtp, --imap,
 * --pop3 URL or --from address). */
struct cfg_account *cfg_resolve(const struct cfg *c, const struct cfg_overrides *o,
				struct qu_err *err);
void cfg_account_free(struct cfg_account *a);

/* How long password_command may run and what stops it. */
struct cfg_password_opts {
	int timeout_ms;                 /* <= 0: 60 s */
	const struct qu_cancel *cancel; /* NULL: only the deadline ends it */
};

/* The password (or token): the account's password, else the first line of
 * password_command's stdout, run with /bin/sh -c in its own process group,
 * stdin from /dev/null, stdout and stderr read through pipes (never
 * reaching the terminal: a screen may be up). o may be NULL. The command
 * failing is CONFIG with reason PASSWORD_COMMAND: "exited with status N"
 * or "killed by signal N", then ": " and the first line of its stderr made
 * safe; printing nothing is CONFIG too. Passing o->timeout_ms is TEMPFAIL
 * (reason PASSWORD_COMMAND, code "timeout") and o->cancel firing is
 * CANCELED; either way the process group is killed and reaped. The output
 * never appears in a message. NULL with err cleared when the account has
 * neither. Free with qu_free_secret. */
char *cfg_password(const struct cfg_account *a, const struct cfg_password_opts *o,
		   struct qu_err *err);

/* The same in two steps, so that the command runs while the caller does
 * something else (connects): cfg_password_start forks password_command
 * (nothing for an account with a password or neither), and the deadline
 * starts; cfg_password_finish reads and reaps it and returns what
 * cfg_password would. Every started job is finished, also when its result
 * is not wanted. Start's errors: CONFIG (pipe or fork failed), CANCELED. */
struct cfg_password_job {
	const struct cfg_account *a;
	int pid;  /* 0: no command running */
	int fd;   /* its stdout */
	int err_fd; /* its stderr */
	int timeout_ms;
	int64_t deadline;
	const struct qu_cancel *cancel; /* borrowed from the opts */
};
int cfg_password_start(const struct cfg_account *a, const struct cfg_password_opts *o,
		       struct cfg_password_job *j, struct qu_err *err);
char *cfg_password_finish(struct cfg_password_job *j, struct qu_err *err);

/* ---- presets --------------------------------------------------------- */

struct cfg_preset {
	const char *domain;     /* "163.com" */
	const char *smtp, *imap, *pop3; /* URLs */
	bool imap_id;           /* needs the IMAP ID command before SELECT */
	bool auth_code;         /* needs a client authorization code, not the web password */
	bool envelope_is_login; /* MAIL FROM must equal the login (qq.com) */
	const char *hint;       /* what to tell a user whose login fails */
};

/* The preset for an address's domain ("alice@163.com" or "Alice <a@qq.com>"),
 * or NULL. */
const struct cfg_preset *cfg_preset_for(const char *from);

/* The address part of "Name <addr>" or "addr"; new string, NULL if none. */
char *cfg_from_address(const char *from);

/* Expands a leading "~/" with $HOME. New string. */
char *cfg_expand_home(const char *path);

/* ---- writing an account (quail setup, SPEC §11) ---------------------- */

/* An account as `quail setup` writes it; NULL members are left out. */
struct cfg_new_account {
	const char *name;
	const char *from;
	const char *imap, *pop3, *smtp;
	const char *user;
	const char *password_command;
	const char *password; /* only into a file that is private (0600) */
	const char *ca_file;
	bool oauth2;          /* auth = oauth2, with the oauth2_* keys below */
	const char *oauth2_client_id, *oauth2_client_secret;
	const char *oauth2_device_url, *oauth2_token_url;
};

/* The "[account NAME]" section with one "key = value" line per member,
 * ending in a newline. Errors: CONFIG when a value cannot be read back as
 * written (a control character, white space at an end, " ;" which starts a
 * comment, a line longer than the loader takes) or the name is unusable.
 * New string; it may hold the password: free with qu_free_secret. */
char *cfg_account_text(const struct cfg_new_account *a, struct qu_err *err);

/* Finds the section "[account NAME]" in the file's bytes [p, p+n): it runs
 * from its header line to the next section header (or the end). Returns 1
 * with [*start, *end) set, or 0. */
int cfg_text_find_account(const char *p, size_t n, const char *name, size_t *start,
			  size_t *end);

/* 1 when the file at path has [account NAME], 0 when not or when there is
 * no such file, -1 when it cannot be read (NOINPUT). */
int cfg_file_has_account(const char *path, const char *name, struct qu_err *err);

/* Puts text (from cfg_account_text) into the file at path: in place of the
 * account's section when it has one and replace is true, else appended
 * after a blank line. Every other byte of the file stays as it was. A new
 * file (and its missing directories, 0700) is made with mode 0600; an
 * existing one keeps its mode. Written to a temporary file beside it,
 * synced and renamed over it (over a symbolic link's target). Errors:
 * CONFIG (the section exists and replace is false), NOINPUT, IOERR. */
int cfg_file_put_account(const char *path, const char *name, const char *text, bool replace,
			 struct qu_err *err);

#endif
