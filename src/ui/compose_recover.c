/*
 * Drafts that survive a crash: while the compose screen is open, the
 * draft's text (as `E` shows it) is kept in
 * $XDG_STATE_HOME/quail/drafts/draft-PID-TIME-N.eml (directory 0700,
 * files 0600), written again after every change, and the editor works on
 * a file beside it (.edit for the whole draft, .body for the text alone);
 * .link keeps what the text leaves out (the message replied to and the
 * In-Reply-To and References for it, a forwarded file). They are removed when the draft is sent, queued, postponed or aborted.
 * A file whose PID is no longer running was left by a quail that was
 * killed: the next start says so and R offers it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"
#include "ui/private.h"
#include "ui/compose_private.h"

/* The directory, made (0700, parents too) when make. Owned; NULL with
 * err when there is no home. */
static char *
drafts_dir(bool make, struct qu_err *err)
{
	char *state = cfg_state_home();
	if (!state) {
		qu_err_set(err, QU_E_CONFIG, "no place for drafts: set HOME or XDG_STATE_HOME");
		return NULL;
	}
	char *dir = xasprintf("%s/drafts", state);
	if (make) {
		/* Each level 0700: the state directory may not exist yet. */
		for (char *p = dir + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			qu_err_sys(err, QU_E_IOERR, errno, "%s", dir);
			free(state);
			free(dir);
			return NULL;
		}
	}
	free(state);
	return dir;
}

/* Writes path whole (0600) through a temporary name and rename, so a
 * crash leaves the old text or the new one, never half of one. */
static int
write_file(const char *path, const char *data, size_t n, struct qu_err *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = fd < 0 ? -1 : qu_write_all(fd, data, n);
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s: cannot keep the draft", path);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* c's base name (no extension), chosen on first use. */
static const char *
keep_base(struct ui_compose *c, struct qu_err *err)
{
	static unsigned seq;
	if (c->keep)
		return c->keep;
	char *dir = drafts_dir(true, err);
	if (!dir)
		return NULL;
	c->keep = xasprintf("%s/draft-%ld-%lld-%u", dir, (long)getpid(), (long long)time(NULL),
		seq++);
	free(dir);
	return c->keep;
}

int
ui_draft_keep_edit_file(struct ui_compose *c, bool with_headers, const char *data, size_t n,
	struct qu_err *err)
{
	const char *base = keep_base(c, err);
	if (!base)
		return -1;
	ui_tmp_remove(&c->tmp);
	/* The first edit comes before any change was kept: the same text as
	 * the .eml, so that a kill inside the editor is found next time. */
	char *eml = xasprintf("%s.eml", base);
	int rc = with_headers && access(eml, F_OK) < 0 ? write_file(eml, data, n, err) : 0;
	free(eml);
	if (rc < 0)
		return -1;
	char *path = xasprintf("%s%s", base, with_headers ? ".edit" : ".body");
	if (write_file(path, data, n, err) < 0) {
		free(path);
		return -1;
	}
	c->tmp.path = path; /* no directory of its own: ui_tmp_remove unlinks the file alone */
	return 0;
}

/* ---- what the editor text leaves out (BASE.link) ---- */
/* The draft's links, which app_draft_text does not write: "Name: value"
 * lines, values percent-encoded. The message replied to is kept as its
 * Maildir and the unique part of its file name (before ":2,"): another
 * program setting a flag renames the file (or moves it from new/ to
 * cur/) but leaves that part alone, so recovery finds the file again. */

static void
put_link(struct qu_buf *b, const char *name, const char *v, size_t n)
{
	qu_buf_printf(b, "%s: ", name);
	qu_pct_encode(b, v, n, NULL);
	qu_buf_append_byte(b, '\n');
}

static void
link_text(const struct app_draft *d, struct qu_buf *b)
{
	if (d->in_reply_to)
		put_link(b, "In-Reply-To", d->in_reply_to, strlen(d->in_reply_to));
	if (d->references)
		put_link(b, "References", d->references, strlen(d->references));
	const char *f = d->reply_file;
	const char *slash = f ? strrchr(f, '/') : NULL;
	if (slash && slash - f >= 4 && (!strncmp(slash - 4, "/cur", 4) || !strncmp(slash - 4, "/new", 4))) {
		put_link(b, "Reply-Maildir", f, (size_t)(slash - 4 - f));
		const char *colon = strchr(slash + 1, ':');
		put_link(b, "Reply-Unique", slash + 1,
			 colon ? (size_t)(colon - slash - 1) : strlen(slash + 1));
	}
	if (d->forward_file)
		put_link(b, "Forward-File", d->forward_file, strlen(d->forward_file));
	if (d->postponed)
		put_link(b, "Postponed", d->postponed, strlen(d->postponed));
}

static int
keep_links(const char *base, const struct app_draft *d, struct qu_err *err)
{
	struct qu_buf t;
	qu_buf_init(&t, SIZE_MAX);
	link_text(d, &t);
	char *path = xasprintf("%s.link", base);
	int rc = 0;
	if (t.len)
		rc = write_file(path, t.data, t.len, err);
	else
		unlink(path);
	free(path);
	qu_buf_clear(&t);
	return rc;
}

void
ui_draft_keep_save(struct ui *u)
{
	struct ui_compose *c = u->compose;
	struct qu_err err = {0};
	const char *base = keep_base(c, &err);
	struct qu_buf text;
	qu_buf_init(&text, SIZE_MAX);
	if (c->pending.len)
		qu_buf_append(&text, c->pending.data, c->pending.len);
	else
		app_draft_text(&c->d, &text);
	char *path = base ? xasprintf("%s.eml", base) : NULL;
	/* Without its links a recovered reply would lose In-Reply-To and the
	 * R flag: say so as for the text. */
	if (!path || write_file(path, text.data ? text.data : "", text.len, &err) < 0 ||
	    keep_links(base, &c->d, &err) < 0)
		ui_message(u, true, "%s", err.msg);
	free(path);
	qu_buf_clear(&text);
}

static void
remove_base(const char *base)
{
	static const char *const ext[] = {".eml", ".edit", ".body", ".link", ".eml.tmp",
		".edit.tmp", ".body.tmp", ".link.tmp"};
	for (size_t i = 0; i < QU_ARRAY_LEN(ext); i++) {
		char *p = xasprintf("%s%s", base, ext[i]);
		unlink(p);
		free(p);
	}
}

void
ui_draft_keep_remove(struct ui_compose *c)
{
	if (!c->keep)
		return;
	remove_base(c->keep);
	free(c->keep);
	c->keep = NULL;
}

/* The PID in "draft-PID-...", or 0. */
static long
name_pid(const char *name)
{
	if (strncmp(name, "draft-", 6) != 0)
		return 0;
	char *end;
	long pid = strtol(name + 6, &end, 10);
	return *end == '-' && pid > 0 ? pid : 0;
}

/* Left behind: ours by name, its quail gone (not this one, not another
 * running one; EPERM means someone else's process runs). */
static bool
orphaned(const char *name)
{
	size_t n = strlen(name);
	if (n < 5 || strcmp(name + n - 4, ".eml") != 0)
		return false;
	long pid = name_pid(name);
	if (!pid || pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

size_t
ui_drafts_left(char ***paths)
{
	struct qu_err err = {0};
	char *dir = drafts_dir(false, &err);
	DIR *d = dir ? opendir(dir) : NULL;
	size_t n = 0, alloc = 0;
	if (paths)
		*paths = NULL;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (!orphaned(e->d_name))
			continue;
		if (paths) {
			*paths = xgrow(*paths, &alloc, n + 1, sizeof **paths);
			(*paths)[n] = xasprintf("%s/%s", dir, e->d_name);
		}
		n++;
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}

bool
ui_draft_is_left(const char *path)
{
	struct qu_err err = {0};
	char *dir = drafts_dir(false, &err);
	size_t dl = dir ? strlen(dir) : 0;
	bool r = dir && strncmp(path, dir, dl) == 0 && path[dl] == '/';
	free(dir);
	return r;
}

void
ui_drafts_announce(struct ui *u)
{
	size_t n = ui_drafts_left(NULL);
	if (n == 1)
		ui_message(u, false, "1 unsent draft from an earlier run: R recovers it.");
	else if (n > 1)
		ui_message(u, false, "%zu unsent drafts from an earlier run: R recovers them.", n);
}

/* The text an editor was saving when quail died wins over the kept one. */
static int
load_left(const char *base, struct ui_compose *c, struct qu_err *err)
{
	struct qu_buf text, part;
	char *p = xasprintf("%s.edit", base);
	int rc = ui_file_read(p, &text, err);
	free(p);
	if (rc < 0) {
		p = xasprintf("%s.eml", base);
		rc = ui_file_read(p, &text, err);
		free(p);
	}
	if (rc < 0)
		return -1;
	if (app_draft_parse(text.data ? text.data : "", text.len, &c->d, err) < 0) {
		/* Kept for E to fix (an Attach: whose file is gone). */
		qu_buf_append(&c->pending, text.data ? text.data : "", text.len);
		qu_buf_clear(&text);
		return 1;
	}
	qu_buf_clear(&text);
	p = xasprintf("%s.body", base);
	if (ui_file_read(p, &part, err) == 0) {
		free(c->d.body);
		c->d.body_len = part.len;
		c->d.body = xstrndup(part.data ? part.data : "", part.len);
		qu_buf_clear(&part);
	}
	free(p);
	return 0;
}

/* The file of Maildir mdir whose name is uniq, or uniq and ":2,..."
 * (cur/ first). Owned; NULL when it is gone. */
static char *
find_unique(const char *mdir, const char *uniq)
{
	size_t n = strlen(uniq);
	if (!n || strchr(uniq, '/') || uniq[0] == '.')
		return NULL;
	char *found = NULL;
	for (int k = 0; k < 2 && !found; k++) {
		char *dir = xasprintf("%s/%s", mdir, k ? "new" : "cur");
		DIR *d = opendir(dir);
		for (struct dirent *e; d && !found && (e = readdir(d));)
			if (strncmp(e->d_name, uniq, n) == 0 &&
				(e->d_name[n] == '\0' || e->d_name[n] == ':'))
				found = xasprintf("%s/%s", dir, e->d_name);
		if (d)
			closedir(d);
		free(dir);
	}
	return found;
}

static bool
same_dir(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	bool same = ra && rb && strcmp(ra, rb) == 0;
	free(ra);
	free(rb);
	return same;
}

/* The replied message found again: its row in the open folder, if it is
 * there, so that the view flags it R once the reply is sent (as for a
 * reply started in this run); else app flags the file. */
static void
relink_reply(struct ui *u, struct ui_compose *c, const char *mdir, const char *uniq)
{
	c->d.reply_file = find_unique(mdir, uniq);
	if (!c->d.reply_file || !u->view || !u->folder || !same_dir(mdir, u->folder))
		return;
	struct app_row r;
	for (size_t i = 0; i < app_view_count(u->view); i++)
		if (app_view_row(u->view, i, &r) && r.path && strcmp(r.path, c->d.reply_file) == 0) {
			c->reply_folder = xstrdup(u->folder);
			c->reply_id = r.id;
			return;
		}
}

static void
take_link(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* A control character in a value read back from base.link: it would go
 * into a header (In-Reply-To, References), so the value is refused. */
static bool
has_ctl(const char *v)
{
	for (const unsigned char *c = (const unsigned char *)v; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return true;
	return false;
}

/* Reads base.link (a draft without links has none). */
static void
load_links(struct ui *u, const char *base, struct ui_compose *c)
{
	struct qu_err err = {0};
	struct qu_buf t;
	char *p = xasprintf("%s.link", base);
	int rc = ui_file_read(p, &t, &err);
	free(p);
	if (rc < 0)
		return;
	char *mdir = NULL, *uniq = NULL;
	const char *s = t.data ? t.data : "", *end = s + t.len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		const char *sep = memchr(s, ':', (size_t)(le - s));
		size_t vn = 0;
		char *v = sep && sep + 1 < le ? qu_pct_decode(sep + 2, (size_t)(le - sep - 2), &vn)
					      : NULL;
		size_t kn = sep ? (size_t)(sep - s) : 0;
		if (v && strlen(v) == vn && vn && !has_ctl(v)) { /* NUL, CR, LF...: refused */
			if (kn == 11 && !strncmp(s, "In-Reply-To", kn))
				take_link(&c->d.in_reply_to, v);
			else if (kn == 10 && !strncmp(s, "References", kn))
				take_link(&c->d.references, v);
			else if (kn == 13 && !strncmp(s, "Reply-Maildir", kn))
				take_link(&mdir, v);
			else if (kn == 12 && !strncmp(s, "Reply-Unique", kn))
				take_link(&uniq, v);
			else if (kn == 12 && !strncmp(s, "Forward-File", kn))
				take_link(&c->d.forward_file, v);
			else if (kn == 9 && !strncmp(s, "Postponed", kn))
				take_link(&c->d.postponed, v);
		}
		free(v);
		s = le + 1;
	}
	if (mdir && uniq)
		relink_reply(u, c, mdir, uniq);
	free(mdir);
	free(uniq);
	qu_buf_clear(&t);
}

void
ui_draft_recover(struct ui *u, const char *path)
{
	size_t n = strlen(path);
	char *base = xstrndup(path, n > 4 ? n - 4 : n); /* without ".eml" */
	struct ui_compose *c = ui_compose_new(u);
	struct qu_err err = {0};
	int rc = load_left(base, c, &err);
	if (rc < 0) {
		ui_message(u, true, "%s", err.msg);
		ui_compose_free(u);
		free(base);
		return;
	}
	load_links(u, base, c);
	c->changed = true;
	ui_compose_rebuild(u); /* kept under this quail's name first */
	remove_base(base);
	free(base);
	u->screen = UI_SCREEN_COMPOSE;
	u->dirty = true;
	if (rc > 0)
		ui_message(u, true, "%s (E edits it again)", err.msg);
	else
		ui_message(u, false, "Draft recovered.");
}
