/*
 * Picking files to attach: file-name completion on Tab in the attach
 * prompt, and a small file browser (mutt's, reached by answering `?`):
 * one entry per row with its size, directories first, Enter goes into a
 * directory or picks a file. Names come from the file system and are
 * shown through the sanitiser like any other outside bytes.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curses.h>

#include "util/util.h"
#include "ui/private.h"
#include "ui/uitext.h"

struct browse_entry {
	char *name;
	char *path;     /* a list's entry: what picking it gives */
	bool dir;
	uint64_t size;
};

struct ui_files {
	char *dir;
	struct browse_entry *v;
	size_t n, alloc, cursor, top;
	enum ui_screen from;
	void (*pick)(struct ui *u, const char *path);
	char *title;    /* a list (ui_files_list), not a directory */
};

/* "~/x" with $HOME. A new string. */
char *
ui_path_expand(const char *p)
{
	const char *home = getenv("HOME");
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0') && home)
		return xasprintf("%s%s", home, p + 1);
	return xstrdup(p);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct browse_entry *x = a, *y = b;
	if (x->dir != y->dir)
		return x->dir ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool
is_dir(const char *dir, const char *name, uint64_t *size)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool d = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	if (size)
		*size = stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
	free(p);
	return d;
}

char **
ui_complete_files(struct ui *u, const char *text, size_t *n)
{
	(void)u;
	*n = 0;
	char *full = ui_path_expand(text);
	const char *slash = strrchr(full, '/');
	char *dir = slash ? xstrndup(full, slash == full ? 1 : (size_t)(slash - full)) : xstrdup(".");
	const char *base = slash ? slash + 1 : full;
	/* What is typed before the base stays as typed (keeps "~/"). */
	size_t keep = strlen(text) - strlen(base);
	char **out = NULL;
	size_t alloc = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!qu_str_has_prefix(e->d_name, base) || (e->d_name[0] == '.' && base[0] != '.'))
			continue;
		out = xgrow(out, &alloc, *n + 1, sizeof *out);
		bool sub = is_dir(dir, e->d_name, NULL);
		out[(*n)++] = xasprintf("%.*s%s%s", (int)keep, text, e->d_name, sub ? "/" : "");
	}
	if (d)
		closedir(d);
	free(dir);
	free(full);
	return out;
}

/* ---- the browser --------------------------------------------------------- */

static void
browser_clear(struct ui_files *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].name);
		free(b->v[i].path);
	}
	free(b->v);
	b->v = NULL;
	b->n = b->alloc = b->cursor = b->top = 0;
}

static int
browser_read(struct ui *u, struct ui_files *b, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		char *s = ui_text_sanitize(dir, strlen(dir), UI_TEXT_FIELD);
		ui_message(u, true, "%s: %s", s, strerror(errno));
		free(s);
		return -1;
	}
	browser_clear(b);
	char *real = realpath(dir, NULL);
	free(b->dir);
	b->dir = real ? real : xstrdup(dir);
	for (struct dirent *e; (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0)
			continue;
		b->v = xgrow(b->v, &b->alloc, b->n + 1, sizeof *b->v);
		struct browse_entry *x = &b->v[b->n++];
		*x = (struct browse_entry){.name = xstrdup(e->d_name)};
		x->dir = is_dir(b->dir, e->d_name, &x->size);
	}
	closedir(d);
	qsort(b->v, b->n, sizeof *b->v, entry_cmp);
	u->dirty = true;
	return 0;
}

void
ui_files_open(struct ui *u, const char *dir, void (*pick)(struct ui *, const char *))
{
	struct ui_files *b = u->files ? u->files : xcalloc(1, sizeof *b);
	u->files = b;
	char *d = ui_path_expand(*dir ? dir : ".");
	if (browser_read(u, b, d) < 0) {
		free(d);
		return;
	}
	free(d);
	b->pick = pick;
	if (u->screen != UI_SCREEN_FILES)
		b->from = u->screen;
	u->screen = UI_SCREEN_FILES;
}

void
ui_files_close(struct ui *u)
{
	struct ui_files *b = u->files;
	if (!b)
		return;
	u->screen = b->from;
	browser_clear(b);
	free(b->dir);
	free(b->title);
	free(b);
	u->files = NULL;
	u->dirty = true;
}

void
ui_files_draw(struct ui *u)
{
	struct ui_files *b = u->files;
	ui_put(0, 0, "q:Exit  <Enter>:Select  ?:Help", (size_t)COLS, ui_attr(UI_C_STATUS));
	size_t rows = LINES > 3 ? (size_t)(LINES - 3) : 1;
	if (b->cursor < b->top)
		b->top = b->cursor;
	if (b->cursor >= b->top + rows)
		b->top = b->cursor - rows + 1;
	for (size_t i = 0; i < rows; i++) {
		size_t k = b->top + i;
		char *l = NULL;
		if (k < b->n) {
			char size[16];
			ui_format_size(b->v[k].size, size, sizeof size);
			char *name = ui_text_sanitize(b->v[k].name, strlen(b->v[k].name), UI_TEXT_FIELD);
			if (b->title)
				l = xasprintf("%4zu %s", k + 1, name);
			else
				l = xasprintf("%4zu %s %8s  %s%s", k + 1, b->v[k].dir ? "d" : "-",
				b->v[k].dir ? "" : size, name, b->v[k].dir ? "/" : "");
			free(name);
		}
		ui_put((int)i + 1, 0, l ? l : "", (size_t)COLS,
			k == b->cursor ? ui_attr(UI_C_INDICATOR) : (int)A_NORMAL);
		free(l);
	}
	const char *where = b->title ? b->title : b->dir;
	char *dir = ui_text_sanitize(where, strlen(where), UI_TEXT_FIELD);
	char *st = xasprintf("-- %s%s [%zu]", b->title ? "" : "Directory: ", dir, b->n);
	ui_put(LINES - 2, 0, st, (size_t)COLS, ui_attr(UI_C_STATUS));
	free(st);
	free(dir);
}

void
ui_files_move(struct ui *u, long d)
{
	struct ui_files *b = u->files;
	long c = (long)b->cursor + d;
	if (c < 0)
		c = 0;
	if (b->n && (size_t)c >= b->n)
		c = (long)b->n - 1;
	b->cursor = (size_t)c;
	u->dirty = true;
}

void
ui_files_select(struct ui *u)
{
	struct ui_files *b = u->files;
	if (b->cursor >= b->n)
		return;
	if (b->title) {
		char *path = xstrdup(b->v[b->cursor].path);
		void (*pick)(struct ui *, const char *) = b->pick;
		ui_files_close(u);
		pick(u, path);
		free(path);
		return;
	}
	char *p = xasprintf("%s/%s", strcmp(b->dir, "/") ? b->dir : "", b->v[b->cursor].name);
	if (b->v[b->cursor].dir) {
		browser_read(u, b, p);
		free(p);
		return;
	}
	void (*pick)(struct ui *, const char *) = b->pick;
	ui_files_close(u);
	if (pick)
		pick(u, p);
	free(p);
}

void
ui_files_list(struct ui *u, const char *title, char *const *labels, char *const *paths, size_t n,
	void (*pick)(struct ui *, const char *))
{
	if (u->files)
		ui_files_close(u);
	struct ui_files *b = xcalloc(1, sizeof *b);
	u->files = b;
	b->title = xstrdup(title);
	b->dir = xstrdup("");
	b->pick = pick;
	for (size_t i = 0; i < n; i++) {
		b->v = xgrow(b->v, &b->alloc, b->n + 1, sizeof *b->v);
		b->v[b->n++] = (struct browse_entry){.name = xstrdup(labels[i]),
			.path = xstrdup(paths[i])};
	}
	b->from = u->screen;
	u->screen = UI_SCREEN_FILES;
	u->dirty = true;
}
