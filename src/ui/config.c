/*
 * `[ui]` of the account file (SPEC §8): sort, threads, index_format,
 * date_format, editor, pager_context, markers, mailcap, html,
 * url_command, index_after_quit, color.<object> = fg bg [attrs],
 * bind.<screen>.<key> = <function>. Config keeps the lines as written; they are checked here,
 * where the sort names, colours and functions are known, and a bad one is
 * a CONFIG error (exit 78) naming the file and line, before the screen
 * opens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "ui/private.h"
#include "ui/uitext.h"

static int
bad(struct qu_err *err, const struct cfg *c, const struct cfg_ui_setting *s, const char *why)
{
	return qu_err_set(err, QU_E_CONFIG, "%s:%d: %s '%s' in [ui]", c->path ? c->path : "config",
		s->line, why, s->value);
}

static void
cfg_set(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

static int
parse_yes_no(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off")) {
		*out = false;
		return 0;
	}
	return -1;
}

/* ---- colours ------------------------------------------------------------ */

static const struct {
	const char *name;
	enum ui_color c;
} objects[] = {
	{"normal", UI_C_NORMAL}, {"indicator", UI_C_INDICATOR}, {"status", UI_C_STATUS},
	{"tree", UI_C_TREE}, {"quoted", UI_C_QUOTE1}, {"quoted1", UI_C_QUOTE2},
	{"quoted2", UI_C_QUOTE3}, {"header", UI_C_HEADER}, {"error", UI_C_ERROR},
	{"markers", UI_C_MARKER},
};

static int
color_number(const char *s, short *out)
{
	static const char *const names[] = {"black", "red", "green", "yellow", "blue", "magenta",
		"cyan", "white"};
	if (!strcasecmp(s, "default")) {
		*out = -1;
		return 0;
	}
	for (short i = 0; i < 8; i++)
		if (!strcasecmp(s, names[i])) {
			*out = i;
			return 0;
		}
	uint64_t n;
	if (!strncasecmp(s, "color", 5) && qu_parse_u64(s + 5, strlen(s + 5), 255, &n) == 0) {
		*out = (short)n;
		return 0;
	}
	return -1;
}

static int
color_setting(const char *object, const char *value)
{
	size_t i = 0;
	while (i < QU_ARRAY_LEN(objects) && strcmp(objects[i].name, object) != 0)
		i++;
	if (i == QU_ARRAY_LEN(objects))
		return -1;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", value);
	char *save = NULL, *fg = strtok_r(buf, " \t", &save), *bg = strtok_r(NULL, " \t", &save);
	short f, b;
	if (!fg || !bg || color_number(fg, &f) < 0 || color_number(bg, &b) < 0)
		return -1;
	unsigned attrs = 0;
	for (char *a; (a = strtok_r(NULL, " \t", &save));) {
		unsigned bit = ui_attr_bit(a);
		if (!bit && strcmp(a, "none") != 0)
			return -1;
		attrs |= bit;
	}
	ui_color_override(objects[i].c, f, b, attrs);
	return 0;
}

/* ---- bindings ----------------------------------------------------------- */

/* "x", "^X", "<Enter>", "<Tab>", "<Up>", "Esc-x", "\ex". */
static int
key_code(const char *s)
{
	int esc = 0;
	if (!strncmp(s, "Esc-", 4) || !strncmp(s, "\\e", 2)) {
		esc = UI_KEY_ESC;
		s += s[0] == 'E' ? 4 : 2;
	}
	if (s[0] && !s[1] && (unsigned char)s[0] >= 0x20 && (unsigned char)s[0] < 0x7f)
		return esc | s[0];
	if (s[0] == '^' && s[1] && !s[2] && ((s[1] >= '@' && s[1] <= '_') || (s[1] >= 'a' && s[1] <= 'z')))
		return esc | (s[1] & 0x1f);
	int k = ui_keys_named(s);
	return k ? esc | k : 0;
}

static int
bind_setting(struct ui *u, const char *what, const char *func)
{
	const char *dot = strchr(what, '.');
	if (!dot)
		return -1;
	enum ui_screen screen;
	if (!strncmp(what, "index.", 6))
		screen = UI_SCREEN_INDEX;
	else if (!strncmp(what, "pager.", 6))
		screen = UI_SCREEN_PAGER;
	else if (!strncmp(what, "compose.", 8)) /* writing mail */
		screen = UI_SCREEN_COMPOSE;
	else if (!strncmp(what, "browser.", 8)) /* folders */
		screen = UI_SCREEN_BROWSER;
	else
		return -1;
	int key = key_code(dot + 1);
	if (!key)
		return -1;
	return ui_keys_bind(u, screen, key, func);
}

/* ---- the keys --------------------------------------------------------- */

static int
one(struct ui *u, const struct cfg *c, const struct cfg_ui_setting *s, struct qu_err *err)
{
	const char *k = s->key, *v = s->value;
	const char *why = NULL;
	int taken;
	if (!strcmp(k, "sort")) {
		bool rev;
		if (app_sort_parse(v, &u->sort, &rev) < 0)
			return bad(err, c, s, "unknown sort");
		u->sort_reverse = rev;
	} else if (!strcmp(k, "threads")) {
		bool t;
		if (parse_yes_no(v, &t) < 0)
			return bad(err, c, s, "threads takes yes or no, not");
		if (t)
			u->sort = APP_SORT_THREADS;
	} else if (!strcmp(k, "index_format")) {
		struct qu_err fe = {0};
		if (ui_format_check(v, &fe) < 0)
			return qu_err_set(err, QU_E_CONFIG, "%s:%d: index_format: %s",
				c->path ? c->path : "config", s->line, fe.msg);
		cfg_set(&u->index_format, v);
	} else if (!strcmp(k, "date_format")) {
		cfg_set(&u->date_format, v);
	} else if (!strcmp(k, "editor") || !strcmp(k, "mailcap") || !strcmp(k, "url_command")) {
		cfg_set(!strcmp(k, "editor") ? &u->editor
			: !strcmp(k, "mailcap") ? &u->mailcap : &u->url_command, v);
	} else if (!strcmp(k, "pager_context")) {
		uint64_t n;
		if (qu_parse_u64(v, strlen(v), 1000, &n) < 0)
			return bad(err, c, s, "pager_context takes a number, not");
		u->pager_context = (size_t)n;
	} else if (!strcmp(k, "markers")) {
		if (parse_yes_no(v, &u->markers) < 0)
			return bad(err, c, s, "markers takes yes or no, not");
	} else if (!strcmp(k, "index_after_quit")) {
		bool yes;
		if (parse_yes_no(v, &yes) < 0)
			return bad(err, c, s, "index_after_quit takes yes or no, not");
		u->no_index_after_quit = !yes;
	} else if (!strcmp(k, "html")) {
		if (strcmp(v, "builtin") && strcmp(v, "mailcap"))
			return bad(err, c, s, "html takes builtin or mailcap, not");
		u->html_mailcap = !strcmp(v, "mailcap");
	} else if (!strncmp(k, "color.", 6)) {
		if (color_setting(k + 6, v) < 0)
			return bad(err, c, s, "a colour is OBJECT = FG BG [ATTRS] with known names, not");
	} else if ((taken = ui_folders_config(u, k, v, &why)) != 0) { /* folders */
		if (taken < 0)
			return bad(err, c, s, why);
	} else if ((taken = ui_sync_config(u, k, v, &why)) != 0) { /* background sync */
		if (taken < 0)
			return bad(err, c, s, why);
	} else if (!strncmp(k, "bind.", 5)) {
		if (bind_setting(u, k + 5, v) < 0)
			return bad(err, c, s, "bind.SCREEN.KEY needs index, pager, compose or browser, a key and a function of that screen, not");
	} else if (app_compose_ui_key(k)) {
		/* writing mail: app_compose_settings_load checks these */
	} else {
		return qu_err_set(err, QU_E_CONFIG, "%s:%d: unknown key '%s' in [ui]",
			c->path ? c->path : "config", s->line, k);
	}
	return 0;
}

int
ui_config_apply(struct ui *u, const struct cfg *c, struct qu_err *err)
{
	for (size_t i = 0; c && i < c->n_ui; i++)
		if (one(u, c, &c->ui[i], err) < 0)
			return -1;
	return 0;
}
