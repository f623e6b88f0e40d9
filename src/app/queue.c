/*
 * The outbox: mail that could not go out for a temporary reason, kept
 * until `quail queue flush` sends it. Nothing is ever lost: a message
 * leaves the outbox only after the server's final 2xx for every one of its
 * recipients (or when the user drops it).
 *
 * Where: $XDG_STATE_HOME/quail/outbox/<account>/ (~/.local/state by
 * default), 0700, outside every Maildir so that no sync of the mail tree
 * sees it (the files carry Bcc recipients); an outbox left at the older
 * place, <maildir>/.outbox, is moved there on first use (migrate). It is
 * a Maildir: a message is one file, delivered like any mail (tmp/, fsync,
 * rename into new/), so it is complete or absent.
 *
 * The envelope travels inside the file, atomically with the message: the
 * file starts with a block of header lines of quail's own, then the
 * message exactly as it was to be sent:
 *
 *     X-Quail-Envelope: 1                   format version, always first
 *     X-Quail-From: <alice@example.com>     reverse-path ("<>" for none)
 *     X-Quail-To: <bob@example.com>         one per recipient
 *     X-Quail-DSN: NOTIFY=SUCCESS,FAILURE RET=HDRS ENVID=xtext   (optional)
 *     X-Quail-Queued: 1700000000 451 4.3.0 why it was queued
 *     X-Quail-Replied: /path/cur/file:2,S   a reply's original (optional):
 *                                           flagged R once all went out
 *     X-Quail-End: 1                        the message follows
 *
 * These lines are valid header fields, so the file still reads as a
 * message in any mail reader; the block is cut off before sending.
 *
 * What became of each recipient is in the journal <outbox>/.quail/outbox
 * (store_journal), one line per event, fields separated by tabs:
 *
 *     ID  ok|fail|temp  TIME  TEXT  [RCPT...]
 *
 * "ok" lists recipients the server took, "fail" ones refused for good,
 * "temp" ones refused for now; without recipients, "fail" and "temp" are
 * about the whole message (MAIL or the data refused). A flush sends a
 * message to its recipients that are neither ok nor failed. A message
 * whose recipients all went is simply removed (no journal line: if a
 * crash undoes the removal, the message is sent again, a duplicate rather
 * than a loss). One that has failed recipients and nothing pending stays,
 * with the reason, until `quail queue drop ID`. Lines of messages no
 * longer in the outbox are compacted away after a flush. A lock file in
 * .quail/ keeps two flushes apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "config/config.h"
#include "smtp/smtp.h"
#include "app/private.h"
#include "app/send_private.h"
#include "app/imap_private.h"
#include "app/compose_private.h"

#define JOURNAL "outbox"
#define MAGIC_LINE "X-Quail-Envelope: 1"
#define END_FIELD "X-Quail-End:"

static int outbox_lock(const char *path, struct qu_err *err);

/* The outbox's directory name for an account: its name %-encoded, never
 * a dot name or one with a '/'. */
static char *
outbox_dir(const struct cfg_account *a, struct qu_err *err)
{
	char *home = cfg_state_home();
	if (!home || home[0] != '/') {
		qu_err_set(err, QU_E_CONFIG,
			   "no place for the outbox: set HOME or XDG_STATE_HOME");
		free(home);
		return NULL;
	}
	const char *name = a->name && *a->name ? a->name : "default";
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_printf(&b, "%s/outbox/", home);
	if (name[0] == '.')
		qu_buf_append_str(&b, "%2E");
	qu_pct_encode(&b, name + (name[0] == '.'), strlen(name + (name[0] == '.')), "/\\");
	free(home);
	return qu_buf_steal(&b, NULL);
}

/* Copies the file from to the path to (through tmp, a free name in the
 * same directory tree) when a link cannot cross file systems. */
static int
copy_file(const char *from, const char *tmp, const char *to, struct qu_err *err)
{
	struct store_map m;
	if (store_map_file(from, &m, err) < 0)
		return -1;
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(tmp, flags, 0600);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, flags, 0600);
	int rc = -1;
	if (fd < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", tmp);
		goto out;
	}
	if (qu_write_all(fd, m.p, m.len) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s: write", tmp);
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		qu_err_sys(err, QU_E_IOERR, errno, "%s: fsync", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, to) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", to);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	store_unmap(&m);
	return rc;
}

/* Puts one message of the old outbox into the new one under the same name
 * (the journal knows it by that name); one already there is left. */
static int
move_in(const char *to_root, const struct maildir_entry *e, struct qu_err *err)
{
	char *to = xasprintf("%s/%s/%s", to_root, e->is_new ? "new" : "cur", e->name);
	char *tmp = xasprintf("%s/tmp/%s", to_root, e->name);
	struct stat st;
	int rc = 0;
	if (lstat(to, &st) == 0)
		goto out;
	if (link(e->path, to) == 0)
		goto out;
	if (errno == EXDEV)
		rc = copy_file(e->path, tmp, to, err);
	else
		rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", to);
out:
	free(tmp);
	free(to);
	return rc;
}

static int
append_line(void *ctx, const char *line, size_t len, struct qu_err *err)
{
	return store_journal_append(ctx, line, len, err);
}

/* Removes the old outbox once everything in it is durable in the new. */
static void
remove_old(const char *old, struct maildir *omd)
{
	struct qu_err ignored;
	struct maildir_iter *it = maildir_iter_new(omd, &ignored);
	struct maildir_entry e;
	while (it && maildir_iter_next(it, &e))
		unlink(e.path);
	maildir_iter_free(it);
	static const char *const files[] = {".quail/" JOURNAL, ".quail/lock", ".quail/.outbox.tmp"};
	for (size_t i = 0; i < QU_ARRAY_LEN(files); i++) {
		char *f = xasprintf("%s/%s", old, files[i]);
		unlink(f);
		free(f);
	}
	/* rmdir only: anything unexpected left behind stays. */
	static const char *const dirs[] = {".quail", "tmp", "new", "cur", ""};
	for (size_t i = 0; i < QU_ARRAY_LEN(dirs); i++) {
		char *d = xasprintf("%s/%s", old, dirs[i]);
		rmdir(d);
		free(d);
	}
}

/* The outbox used to be the Maildir folder <maildir>/.outbox, inside the
 * mail tree, where a sync of it would see the queued mail and its Bcc
 * recipients. On first use its journal and messages move to the new
 * place. Every step may be repeated after a crash: the journal lines
 * first (a repeated line says nothing new), then each message under its
 * own name (one already there is not copied again, so none is sent
 * twice), made durable before the old copies go. */
static int
migrate(const struct cfg_account *a, const char *path, struct qu_err *err)
{
	if (!a->maildir || !*a->maildir)
		return 0;
	char *old = xasprintf("%s/.outbox", a->maildir);
	int rc = 0, lock = -1;
	struct maildir *omd = NULL, *nmd = NULL;
	struct store_journal *j = NULL;
	if (store_kind(old) == STORE_KIND_MISSING)
		goto out;
	rc = -1;
	if (store_private_dir(old, err) < 0 || store_private_dir(path, err) < 0)
		goto out;
	if ((lock = outbox_lock(path, err)) < 0)
		goto out;
	omd = maildir_open(old, false, err);
	nmd = omd ? maildir_open(path, true, err) : NULL;
	j = nmd ? store_journal_open(path, JOURNAL, err) : NULL;
	if (j && store_journal_read(old, JOURNAL, append_line, j, err) == 0) {
		struct maildir_iter *it = maildir_iter_new(omd, err);
		struct maildir_entry e;
		rc = it ? 0 : -1;
		while (rc == 0 && maildir_iter_next(it, &e))
			rc = move_in(path, &e, err);
		maildir_iter_free(it);
		if (rc == 0)
			rc = maildir_sync(nmd, err);
		if (rc == 0)
			remove_old(old, omd);
	}
	close(lock);
out:
	if (rc < 0)
		qu_err_prefix(err, "moving the outbox %s to %s", old, path);
	store_journal_free(j);
	maildir_free(nmd);
	maildir_free(omd);
	free(old);
	return rc;
}

char *
app_outbox_path(const struct cfg_account *a, struct qu_err *err)
{
	char *path = outbox_dir(a, err);
	if (path && migrate(a, path, err) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* One line, no tabs or line breaks (journal fields, reasons). */
static void
append_clean(struct qu_buf *b, const char *s)
{
	for (; s && *s; s++)
		qu_buf_append_byte(b, (unsigned char)*s < 32 ? ' ' : *s);
}

int
app_outbox_put(const struct cfg_account *a, const struct smtp_envelope *env, const char *reason,
	       const char *replied, const char *p, size_t n, char **id, struct qu_err *err)
{
	char *path = app_outbox_path(a, err);
	if (!path)
		return -1;
	struct maildir *md = store_private_dir(path, err) < 0 ? NULL : maildir_open(path, true, err);
	if (!md) {
		qu_err_prefix(err, "outbox");
		free(path);
		return -1;
	}
	struct qu_buf h;
	qu_buf_init(&h, SIZE_MAX);
	qu_buf_printf(&h, MAGIC_LINE "\nX-Quail-From: <%s>\n", env->from ? env->from : "");
	for (size_t i = 0; i < env->n_rcpt; i++)
		qu_buf_printf(&h, "X-Quail-To: <%s>\n", env->rcpt[i]);
	if (env->notify || env->ret != SMTP_DSN_RET_DEFAULT || env->envid) {
		qu_buf_append_str(&h, "X-Quail-DSN:");
		if (env->notify & SMTP_DSN_NEVER) {
			qu_buf_append_str(&h, " NOTIFY=NEVER");
		} else if (env->notify) {
			static const struct {
				unsigned bit;
				const char *name;
			} kw[] = {{SMTP_DSN_SUCCESS, "SUCCESS"}, {SMTP_DSN_FAILURE, "FAILURE"},
				  {SMTP_DSN_DELAY, "DELAY"}};
			const char *sep = " NOTIFY=";
			for (size_t k = 0; k < QU_ARRAY_LEN(kw); k++)
				if (env->notify & kw[k].bit) {
					qu_buf_printf(&h, "%s%s", sep, kw[k].name);
					sep = ",";
				}
		}
		if (env->ret != SMTP_DSN_RET_DEFAULT)
			qu_buf_append_str(&h, env->ret == SMTP_DSN_RET_FULL ? " RET=FULL" : " RET=HDRS");
		if (env->envid) {
			qu_buf_append_str(&h, " ENVID=");
			qu_xtext_encode(&h, env->envid);
		}
		qu_buf_append_byte(&h, '\n');
	}
	qu_buf_printf(&h, "X-Quail-Queued: %" PRId64 " ", (int64_t)time(NULL));
	append_clean(&h, reason);
	/* A path with a control character could not be read back: such a
	 * reply is simply not flagged. */
	bool clean = replied && *replied;
	for (const char *c = replied; clean && *c; c++)
		clean = (unsigned char)*c >= 32 && *c != 0x7f;
	if (clean)
		qu_buf_printf(&h, "\nX-Quail-Replied: %s", replied);
	qu_buf_append_str(&h, "\n" END_FIELD " 1\n");
	int rc = -1;
	char *name = NULL;
	struct maildir_delivery *d = maildir_delivery_begin(md, err);
	if (d && maildir_delivery_write(d, h.data, h.len, err) == 0 &&
	    maildir_delivery_write(d, p, n, err) == 0)
		rc = maildir_delivery_commit(d, NULL, false, &name, err);
	else if (d)
		maildir_delivery_abort(d);
	if (rc < 0)
		qu_err_prefix(err, "outbox %s", path);
	if (rc == 0 && id) {
		const char *base = strrchr(name, '/');
		base = base ? base + 1 : name;
		*id = xstrndup(base, strcspn(base, ",:"));
	}
	free(name);
	qu_buf_clear(&h);
	maildir_free(md);
	free(path);
	return rc;
}

/* ---- reading the outbox ------------------------------------------------ */

/* A message in the outbox with its envelope and what the journal says. */
struct qmsg {
	char *path;
	char *id;
	char *from;
	char **rcpt;
	const char **state; /* "pending", "sent", "failed" (static strings) */
	char **reason;    /* owned */
	size_t n_rcpt, alloc;
	char *queued_why;
	int64_t queued;
	char *replied; /* X-Quail-Replied, or NULL */
	unsigned notify;
	enum smtp_dsn_ret ret;
	char *envid;
	size_t body_off;  /* where the message starts in the file */
	uint64_t size;
	struct store_map map;
};

static void
qmsg_free(struct qmsg *q)
{
	free(q->path);
	free(q->id);
	free(q->from);
	for (size_t i = 0; i < q->n_rcpt; i++) {
		free(q->rcpt[i]);
		free(q->reason[i]);
	}
	free(q->rcpt);
	free(q->state);
	free(q->reason);
	free(q->queued_why);
	free(q->replied);
	free(q->envid);
	store_unmap(&q->map);
}

/* The text between '<' and the last '>' of a field value. */
static char *
angle(const char *v, size_t n)
{
	const char *lt = memchr(v, '<', n);
	if (!lt)
		return xstrndup(v, n);
	const char *gt = v + n;
	while (gt > lt && gt[-1] != '>')
		gt--;
	if (gt == lt)
		gt = v + n + 1;
	return xstrndup(lt + 1, (size_t)(gt - 1 - (lt + 1)));
}

static void
parse_dsn(struct qmsg *q, const char *v, size_t n)
{
	char *s = xstrndup(v, n);
	for (char *tok = strtok(s, " "); tok; tok = strtok(NULL, " ")) {
		if (strncmp(tok, "NOTIFY=", 7) == 0) {
			q->notify = (strstr(tok, "SUCCESS") ? SMTP_DSN_SUCCESS : 0) |
				    (strstr(tok, "FAILURE") ? SMTP_DSN_FAILURE : 0) |
				    (strstr(tok, "DELAY") ? SMTP_DSN_DELAY : 0) |
				    (strstr(tok, "NEVER") ? SMTP_DSN_NEVER : 0);
		} else if (strcmp(tok, "RET=FULL") == 0) {
			q->ret = SMTP_DSN_RET_FULL;
		} else if (strcmp(tok, "RET=HDRS") == 0) {
			q->ret = SMTP_DSN_RET_HDRS;
		} else if (strncmp(tok, "ENVID=", 6) == 0) {
			free(q->envid);
			q->envid = qu_xtext_decode(tok + 6, strlen(tok + 6));
		}
	}
	free(s);
}

/* Reads the envelope block of a mapped file. Returns -1 for a file that is
 * no outbox message. */
static int
parse_envelope(struct qmsg *q)
{
	const char *p = q->map.p;
	size_t n = q->map.len, i = 0;
	size_t ml = strlen(MAGIC_LINE);
	if (n < ml + 1 || memcmp(p, MAGIC_LINE, ml) != 0 || p[ml] != '\n')
		return -1;
	i = ml + 1;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		if (!nl)
			return -1;
		const char *l = p + i;
		size_t ll = (size_t)(nl - l);
		i = (size_t)(nl - p) + 1;
		const char *colon = memchr(l, ':', ll);
		if (!colon)
			return -1;
		size_t kl = (size_t)(colon - l);
		const char *v = colon + 1;
		size_t vn = ll - kl - 1;
		while (vn && *v == ' ') {
			v++;
			vn--;
		}
		if (qu_mem_eq_ci(l, kl, "X-Quail-End")) {
			q->body_off = i;
			q->size = n - i;
			return q->from ? 0 : -1;
		} else if (qu_mem_eq_ci(l, kl, "X-Quail-From")) {
			free(q->from);
			q->from = angle(v, vn);
		} else if (qu_mem_eq_ci(l, kl, "X-Quail-To")) {
			q->rcpt = xgrow(q->rcpt, &q->alloc, q->n_rcpt + 1, sizeof *q->rcpt);
			q->state = xrealloc(q->state, q->alloc * sizeof *q->state);
			q->reason = xrealloc(q->reason, q->alloc * sizeof *q->reason);
			q->rcpt[q->n_rcpt] = angle(v, vn);
			q->state[q->n_rcpt] = "pending";
			q->reason[q->n_rcpt] = xstrdup("");
			q->n_rcpt++;
		} else if (qu_mem_eq_ci(l, kl, "X-Quail-DSN")) {
			parse_dsn(q, v, vn);
		} else if (qu_mem_eq_ci(l, kl, "X-Quail-Replied")) {
			free(q->replied);
			q->replied = vn ? xstrndup(v, vn) : NULL;
		} else if (qu_mem_eq_ci(l, kl, "X-Quail-Queued")) {
			char *s = xstrndup(v, vn);
			char *sp = strchr(s, ' ');
			q->queued = strtoll(s, NULL, 10);
			q->queued_why = xstrdup(sp ? sp + 1 : "");
			free(s);
		}
	}
	return -1;
}

/* ---- the journal --------------------------------------------------------- */

struct jline {
	char *id;
	char *kind;
	char *text;
	char **rcpt;
	size_t n_rcpt;
	char *raw;
};

struct journal {
	struct jline *v;
	size_t n, alloc;
};

static int
jline_read(void *ctx, const char *line, size_t len, struct qu_err *err)
{
	(void)err;
	struct journal *j = ctx;
	char *raw = xstrndup(line, len);
	char *f[5] = {0};
	char *s = raw;
	int k = 0;
	for (; k < 4 && s; k++) {
		f[k] = s;
		s = strchr(s, '\t');
		if (s)
			*s++ = '\0';
	}
	if (k < 4 || !f[3]) {
		free(raw);
		return 0; /* not ours: ignored */
	}
	j->v = xgrow(j->v, &j->alloc, j->n + 1, sizeof *j->v);
	struct jline *l = &j->v[j->n++];
	memset(l, 0, sizeof *l);
	l->raw = xstrndup(line, len);
	l->id = xstrdup(f[0]);
	l->kind = xstrdup(f[1]);
	l->text = xstrdup(f[3]);
	size_t alloc = 0;
	while (s) {
		char *t = strchr(s, '\t');
		if (t)
			*t++ = '\0';
		l->rcpt = xgrow(l->rcpt, &alloc, l->n_rcpt + 1, sizeof *l->rcpt);
		l->rcpt[l->n_rcpt++] = xstrdup(s);
		s = t;
	}
	free(raw);
	return 0;
}

static void
journal_clear(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++) {
		struct jline *l = &j->v[i];
		free(l->id);
		free(l->kind);
		free(l->text);
		for (size_t k = 0; k < l->n_rcpt; k++)
			free(l->rcpt[k]);
		free(l->rcpt);
		free(l->raw);
	}
	free(j->v);
	memset(j, 0, sizeof *j);
}

/* Applies the journal's lines for q to its recipients' states. */
static void
apply_journal(struct qmsg *q, const struct journal *j)
{
	for (size_t i = 0; i < j->n; i++) {
		const struct jline *l = &j->v[i];
		if (strcmp(l->id, q->id) != 0)
			continue;
		bool ok = strcmp(l->kind, "ok") == 0, fail = strcmp(l->kind, "fail") == 0;
		for (size_t r = 0; r < q->n_rcpt; r++) {
			bool named = !l->n_rcpt;
			for (size_t k = 0; k < l->n_rcpt && !named; k++)
				named = strcmp(l->rcpt[k], q->rcpt[r]) == 0;
			if (!named || strcmp(q->state[r], "sent") == 0 ||
			    (!l->n_rcpt && strcmp(q->state[r], "failed") == 0))
				continue;
			q->state[r] = ok ? "sent" : fail ? "failed" : "pending";
			free(q->reason[r]);
			q->reason[r] = xstrdup(l->text);
		}
	}
}

static size_t
count_state(const struct qmsg *q, const char *st)
{
	size_t n = 0;
	for (size_t i = 0; i < q->n_rcpt; i++)
		n += strcmp(q->state[i], st) == 0;
	return n;
}

/* Every message of the outbox, in delivery order. A missing outbox is
 * empty. */
static int
load_outbox(const char *path, const struct journal *j, struct qmsg **out, size_t *nout,
	    struct qu_err *err)
{
	*out = NULL;
	*nout = 0;
	if (store_kind(path) == STORE_KIND_MISSING)
		return 0;
	/* Its files are trusted (recipients, the journal): it exists, so
	 * this only checks it is the user's alone. */
	if (store_private_dir(path, err) < 0)
		return -1;
	struct maildir *md = maildir_open(path, false, err);
	if (!md)
		return -1;
	struct maildir_iter *it = maildir_iter_new(md, err);
	if (!it) {
		maildir_free(md);
		return -1;
	}
	size_t alloc = 0;
	struct maildir_entry e;
	while (maildir_iter_next(it, &e)) {
		struct qmsg q;
		memset(&q, 0, sizeof q);
		struct qu_err merr;
		if (store_map_file(e.path, &q.map, &merr) < 0)
			continue; /* gone meanwhile */
		q.path = xstrdup(e.path);
		q.id = xstrndup(e.name, strcspn(e.name, ",:"));
		if (parse_envelope(&q) < 0) {
			qmsg_free(&q);
			continue; /* not an outbox message: left alone */
		}
		apply_journal(&q, j);
		/* Only the envelope is needed until it is sent. */
		store_unmap(&q.map);
		*out = xgrow(*out, &alloc, *nout + 1, sizeof **out);
		(*out)[(*nout)++] = q;
	}
	maildir_iter_free(it);
	maildir_free(md);
	return 0;
}

static void
free_outbox(struct qmsg *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		qmsg_free(&v[i]);
	free(v);
}

int
app_queue_list(const struct cfg_account *a, app_queue_fn fn, void *ctx, struct qu_err *err)
{
	char *path = app_outbox_path(a, err);
	if (!path)
		return -1;
	struct journal j = {0};
	struct qmsg *v = NULL;
	size_t n = 0;
	int rc = store_journal_read(path, JOURNAL, jline_read, &j, err);
	if (rc == 0)
		rc = load_outbox(path, &j, &v, &n, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct qmsg *q = &v[i];
		struct app_queue_entry e = {
			.id = q->id, .queued = q->queued, .size = q->size, .from = q->from,
			.n_rcpt = q->n_rcpt, .rcpt = (const char *const *)q->rcpt,
			.state = (const char *const *)q->state, .reason = (const char *const *)q->reason,
			.reason_queued = q->queued_why ? q->queued_why : "",
			.failed = count_state(q, "pending") == 0,
		};
		fn(ctx, &e);
	}
	if (rc < 0)
		qu_err_prefix(err, "outbox %s", path);
	free_outbox(v, n);
	journal_clear(&j);
	free(path);
	return rc;
}

/* ---- the lock ------------------------------------------------------------- */

static int
outbox_lock(const char *path, struct qu_err *err)
{
	char *dir = xasprintf("%s/.quail", path);
	if (store_private_dir(path, err) < 0 || store_private_dir(dir, err) < 0) {
		qu_err_prefix(err, "outbox");
		free(dir);
		return -1;
	}
	char *lock = xasprintf("%s/lock", dir);
	free(dir);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", lock);
		free(lock);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		qu_err_set(err, QU_E_TEMPFAIL, "%s: the outbox is in use by another quail", lock);
		close(fd);
		free(lock);
		return -1;
	}
	free(lock);
	return fd;
}

/* ---- flushing -------------------------------------------------------------- */

struct flush {
	const struct cfg_account *a;
	const char *path;
	struct qmsg *v;
	size_t n, next;
	struct store_journal *jr;
	struct app_flush_result *res;
	app_send_note_fn note;
	void *ctx;
	char **pending;     /* the envelope handed to smtp for the current one */
	struct app_sent_box sent; /* Save to Sent: one IMAP session for the flush */
	struct qu_err jerr; /* a journal write that failed */
	bool refused_for_good;
	const struct qu_cancel *cancel; /* stops before the next message */
};

static int
flush_next(void *ctx, struct smtp_msg *m, struct qu_err *err)
{
	struct flush *f = ctx;
	if (qu_cancel_check(f->cancel, err) < 0)
		return -1; /* what was sent is journaled; the rest stays queued */
	while (f->next < f->n) {
		struct qmsg *q = &f->v[f->next++];
		if (!count_state(q, "pending"))
			continue;
		/* A delivered file never changes: its envelope was read by
		 * load_outbox and the message is where it was. */
		struct qu_err merr;
		if (store_map_file(q->path, &q->map, &merr) < 0 || q->map.len != q->body_off + q->size) {
			store_unmap(&q->map);
			continue; /* dropped meanwhile */
		}
		char **rc = xcalloc(q->n_rcpt + 1, sizeof *rc);
		size_t k = 0;
		for (size_t i = 0; i < q->n_rcpt; i++)
			if (strcmp(q->state[i], "pending") == 0)
				rc[k++] = q->rcpt[i];
		m->env.from = q->from;
		m->env.rcpt = (const char *const *)rc;
		m->env.n_rcpt = k;
		m->env.notify = q->notify;
		m->env.ret = q->ret;
		m->env.envid = q->envid;
		m->data = q->map.p + q->body_off;
		m->len = q->map.len - q->body_off;
		m->ctx = q;
		return 1;
	}
	return 0;
}

static void
journal_add(struct flush *f, const struct qmsg *q, const char *kind, const char *text,
	    const char *const *rcpt, size_t n)
{
	if (!f->jr && f->jerr.cls == QU_E_OK) {
		f->jr = store_journal_open(f->path, JOURNAL, &f->jerr);
		if (!f->jr)
			return;
	}
	if (!f->jr)
		return;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_printf(&b, "%s\t%s\t%" PRId64 "\t", q->id, kind, (int64_t)time(NULL));
	append_clean(&b, text);
	for (size_t i = 0; i < n; i++) {
		qu_buf_append_byte(&b, '\t');
		append_clean(&b, rcpt[i]);
	}
	if (store_journal_append(f->jr, b.data, b.len, &f->jerr) < 0) {
		store_journal_free(f->jr);
		f->jr = NULL;
	}
	qu_buf_clear(&b);
}

static void
set_state(struct qmsg *q, const char *addr, const char *st, const char *why)
{
	for (size_t i = 0; i < q->n_rcpt; i++)
		if (strcmp(q->rcpt[i], addr) == 0 && strcmp(q->state[i], "pending") == 0) {
			q->state[i] = st;
			free(q->reason[i]);
			q->reason[i] = xstrdup(why);
		}
}

/* A queued reply went out: only now is its original answered. */
static void
flag_replied(struct flush *f, const struct qmsg *q)
{
	struct qu_err e;
	if (!q->replied || compose_flag_replied(q->replied, &e) == 0 || !f->note)
		return;
	char *w = xasprintf("the message was sent, but the replied message could not be "
			    "flagged: %s", e.msg);
	f->note(f->ctx, APP_SEND_WARNING, q->id, w);
	free(w);
}

static void
flush_done(void *ctx, const struct smtp_msg *m, const struct smtp_result *r)
{
	struct flush *f = ctx;
	struct qmsg *q = m->ctx;
	char *reason = app_result_reason(r);
	char subject[512];
	if (r->outcome == SMTP_OUTCOME_SENT) {
		const char **ok = xcalloc(r->n_rcpt + 1, sizeof *ok);
		size_t nok = 0;
		for (size_t i = 0; i < r->n_rcpt; i++) {
			const struct smtp_rcpt_result *rr = &r->rcpt[i];
			if (rr->code >= 200 && rr->code < 300) {
				ok[nok++] = rr->address;
				continue;
			}
			struct smtp_result tmp = {.code = rr->code, .text = rr->text};
			memcpy(tmp.enhanced, rr->enhanced, sizeof tmp.enhanced);
			char *why = app_result_reason(&tmp);
			bool temp = rr->code >= 400 && rr->code < 500;
			journal_add(f, q, temp ? "temp" : "fail", why, &rr->address, 1);
			snprintf(subject, sizeof subject, "%s: %s", q->id, rr->address);
			if (f->note)
				f->note(f->ctx, temp ? APP_SEND_DEFERRED : APP_SEND_REFUSED, subject, why);
			if (!temp)
				app_send_hint(f->a, rr->text, f->note, f->ctx);
			set_state(q, rr->address, temp ? "pending" : "failed", why);
			free(why);
		}
		for (size_t i = 0; i < nok; i++)
			set_state(q, ok[i], "sent", "");
		bool all_sent = count_state(q, "sent") == q->n_rcpt;
		app_after_sent(&f->sent, m->data, m->len, f->note, f->ctx);
		if (all_sent) {
			/* The server has it for everyone: out of the outbox. */
			unlink(q->path);
			f->res->sent++;
			flag_replied(f, q);
		} else {
			journal_add(f, q, "ok", reason, ok, nok);
			if (count_state(q, "pending"))
				f->res->deferred++;
			else
				f->res->failed++;
		}
		free(ok);
	} else {
		bool temp = r->outcome == SMTP_OUTCOME_TEMPFAIL;
		/* A lost connection says nothing about the message. */
		if (strcmp(r->stage, "connection") != 0)
			journal_add(f, q, temp ? "temp" : "fail", reason, NULL, 0);
		if (!temp)
			for (size_t i = 0; i < m->env.n_rcpt; i++)
				set_state(q, m->env.rcpt[i], "failed", reason);
		if (f->note) {
			snprintf(subject, sizeof subject, "%s", q->id);
			f->note(f->ctx, temp ? APP_SEND_DEFERRED : APP_SEND_REFUSED, subject, reason);
		}
		if (!temp)
			app_send_hint(f->a, r->text, f->note, f->ctx);
		if (temp)
			f->res->deferred++;
		else
			f->res->failed++;
	}
	f->refused_for_good |= count_state(q, "failed") > 0;
	free(reason);
	free((void *)m->env.rcpt);
	store_unmap(&q->map);
}

/* Drops journal lines of messages that are gone. */
static void
compact_journal(struct flush *f)
{
	struct journal now = {0};
	struct qu_err e;
	if (store_journal_read(f->path, JOURNAL, jline_read, &now, &e) < 0)
		return;
	struct store_line *keep = xcalloc(now.n + 1, sizeof *keep);
	size_t nk = 0;
	for (size_t i = 0; i < now.n; i++) {
		bool live = false;
		for (size_t k = 0; k < f->n && !live; k++)
			live = strcmp(f->v[k].id, now.v[i].id) == 0 && access(f->v[k].path, F_OK) == 0;
		if (live) {
			keep[nk].p = now.v[i].raw;
			keep[nk].len = strlen(now.v[i].raw);
			nk++;
		}
	}
	if (nk < now.n)
		store_journal_compact(f->path, JOURNAL, keep, nk, &e);
	free(keep);
	journal_clear(&now);
}

int
app_queue_flush(const struct cfg_account *a, const struct app_net *net, app_send_note_fn note,
		void *ctx, struct app_flush_result *r, struct qu_err *err)
{
	memset(r, 0, sizeof *r);
	char *path = app_outbox_path(a, err);
	if (!path)
		return -1;
	if (store_kind(path) == STORE_KIND_MISSING) {
		free(path);
		return 0;
	}
	int lock = outbox_lock(path, err);
	if (lock < 0) {
		free(path);
		return -1;
	}
	struct journal j = {0};
	struct flush f = {.a = a, .path = path, .res = r, .note = note, .ctx = ctx,
			  .cancel = net ? net->cancel : NULL};
	qu_err_clear(&f.jerr);
	app_sent_box_init(&f.sent, a, net);
	int rc = store_journal_read(path, JOURNAL, jline_read, &j, err);
	if (rc == 0)
		rc = load_outbox(path, &j, &f.v, &f.n, err);
	size_t pending = 0;
	for (size_t i = 0; rc == 0 && i < f.n; i++) {
		if (count_state(&f.v[i], "pending")) {
			pending++;
		} else if (count_state(&f.v[i], "sent") == f.v[i].n_rcpt) {
			unlink(f.v[i].path); /* sent before a crash */
		}
	}
	if (rc == 0 && pending) {
		char *where = NULL;
		struct smtp_session *s = app_smtp_open(a, net, &where, err);
		if (!s) {
			rc = -1;
			r->deferred = pending;
		} else {
			struct smtp_batch b = {.next = flush_next, .done = flush_done, .ctx = &f};
			if (smtp_send_batch(s, &b, err) < 0) {
				if (err->cls != QU_E_CANCELED)
					qu_err_prefix(err, "%s", where);
				rc = -1;
			}
			smtp_session_close(s);
		}
		free(where);
	}
	app_sent_box_close(&f.sent);
	if (f.jr)
		store_journal_free(f.jr);
	if (rc == 0 && f.jerr.cls != QU_E_OK) {
		*err = f.jerr;
		rc = -1;
	}
	if (rc == 0 && f.refused_for_good)
		rc = qu_err_set(err, QU_E_UNAVAILABLE,
				"%zu message%s refused for good (kept in the outbox: quail queue list)",
				r->failed, r->failed == 1 ? "" : "s");
	else if (rc == 0 && r->deferred)
		rc = qu_err_set(err, QU_E_TEMPFAIL, "%zu message%s deferred (still in the outbox)",
				r->deferred, r->deferred == 1 ? "" : "s");
	compact_journal(&f);
	free_outbox(f.v, f.n);
	journal_clear(&j);
	close(lock);
	free(path);
	return rc;
}

int
app_queue_drop(const struct cfg_account *a, const char *id, struct qu_err *err)
{
	/* An empty prefix would match every message. */
	if (!*id)
		return qu_err_set(err, QU_E_USAGE, "an empty message ID matches every message");
	char *path = app_outbox_path(a, err);
	if (!path)
		return -1;
	int lock = outbox_lock(path, err);
	if (lock < 0) {
		free(path);
		return -1;
	}
	struct journal j = {0};
	struct qmsg *v = NULL;
	size_t n = 0;
	int rc = load_outbox(path, &j, &v, &n, err);
	size_t hit = SIZE_MAX, hits = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (strncmp(v[i].id, id, strlen(id)) == 0) {
			hit = i;
			hits++;
			if (strcmp(v[i].id, id) == 0) {
				hits = 1;
				break;
			}
		}
	if (rc == 0 && hits != 1)
		rc = qu_err_set(err, hits ? QU_E_USAGE : QU_E_NOINPUT, "%s: %s in the outbox", id,
				hits ? "matches more than one message" : "no such message");
	if (rc == 0 && unlink(v[hit].path) < 0)
		rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", v[hit].path);
	free_outbox(v, n);
	close(lock);
	free(path);
	return rc;
}
