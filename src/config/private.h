/*
 * config internals shared between the files of src/config; nothing outside
 * this folder includes it.
 */
#ifndef QUAIL_CONFIG_PRIVATE_H
#define QUAIL_CONFIG_PRIVATE_H

#include <stdbool.h>
#include <stdio.h>

#include "util/util.h"

#include "config/config.h"

/* account.c */

/* An account with the defaults of SPEC §2 (imap_id on, queue off). */
void cfg_account_init(struct cfg_account *a);
/* Frees the strings (the password wiped); a is left initialised. */
void cfg_account_clear(struct cfg_account *a);
/* A deep copy. */
struct cfg_account *cfg_account_dup(const struct cfg_account *a);
/* Replaces *field with a copy of value (NULL clears it). */
void cfg_set_str(char **field, const char *value);
/* True when s has a C0 control character other than tab, or DEL. */
bool cfg_has_control(const char *s);
/* Parses s and checks that it is a URL of protocol want. The message says
 * why; the class is USAGE. */
int cfg_url_check(const char *s, enum cfg_proto want, struct qu_err *err);

/* file.c and keys.c: the state of one cfg_load. */

enum cfg_section {
	CFG_SECTION_NONE,
	CFG_SECTION_GENERAL,
	CFG_SECTION_ACCOUNT,
	CFG_SECTION_UI,
};

struct cfg_loader {
	struct cfg *c;
	struct qu_err *err;
	FILE *fp;
	char *line; /* getline's buffer; wiped, since it held passwords */
	size_t line_alloc;
	int lineno;
	bool failed;       /* an error is in err: read no further */
	bool private_file; /* no group or other permission bits */
	enum cfg_section sec;
	bool general_seen;
	bool ui_seen;
	size_t ui_alloc;
	unsigned general_keys;  /* bit i: key i of its table was set */
	unsigned *account_keys; /* parallel to c->accounts */
	size_t accounts_alloc;
	int default_line; /* where default_account was set */
};

/* Sets a CONFIG error "FILE:LINE: message" and stops the load. Returns -1. */
int cfg_loader_error(struct cfg_loader *ld, const char *fmt, ...) QU_PRINTF(2, 3);
/* Handles one "name = value" of the current section. */
int cfg_loader_key(struct cfg_loader *ld, const char *name, const char *value);
/* After the whole file: the account's maildir default and its preset. */
void cfg_loader_finish_account(struct cfg_loader *ld, size_t i);

/* preset.c */

/* Fills from the preset p what a is missing: smtp; imap and pop3 when both
 * are unset; provider and password_hint always; imap_id when set_imap_id. */
void cfg_preset_apply(struct cfg_account *a, const struct cfg_preset *p, bool set_imap_id);
/* The preset for the account's from address, else for its user when that
 * looks like an address; NULL when none. */
const struct cfg_preset *cfg_preset_for_account(const struct cfg_account *a);

#endif
