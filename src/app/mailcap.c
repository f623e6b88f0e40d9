/*
 * mailcap (RFC 1524): which program shows a content type. Entries are read
 * from the files of `[ui] mailcap` (default $MAILCAPS, else ~/.mailcap and
 * /etc/mailcap), the first entry whose type matches and whose test=
 * command succeeds wins (RFC 1524 §3).
 *
 * Commands are run by /bin/sh, so every value put into one is quoted for
 * the place it lands in: a value from a message (a charset parameter) is
 * as hostile as any other outside byte, and even the file name, which
 * quail picks itself, is quoted so that an entry written as '%s' or "%s"
 * still gets one word.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "app/app.h"

/* A mailcap file larger than this is not read whole (a mistake, or /dev/zero). */
#define MAILCAP_MAX (4u << 20)
/* How long a test= command may run before it counts as failed. */
#define TEST_MS 2000

struct app_mailcap {
	struct app_mailcap_entry *v;
	size_t n, alloc;
};

struct app_mailcap *
app_mailcap_new(void)
{
	return xcalloc(1, sizeof(struct app_mailcap));
}

void
app_mailcap_free(struct app_mailcap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].type);
		free(m->v[i].view);
		free(m->v[i].test);
		free(m->v[i].nametemplate);
	}
	free(m->v);
	free(m);
}

size_t
app_mailcap_count(const struct app_mailcap *m)
{
	return m->n;
}

/* ---- parsing (RFC 1524 §2) ----------------------------------------------- */

/* One field of a logical line, from *p up to an unescaped ';' or the end:
 * "\;" is a ';' and "\\" a '\' inside it; any other backslash is kept for
 * the shell. White space around the field goes. */
static char *
next_field(const char **p)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	const char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s && *s != ';'; s++) {
		if (*s == '\\' && (s[1] == ';' || s[1] == '\\'))
			s++;
		qu_buf_append_byte(&b, *s);
	}
	*p = *s == ';' ? s + 1 : s;
	size_t n;
	char *f = qu_buf_steal(&b, &n);
	while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'))
		f[--n] = '\0';
	return f;
}

static void
set_flag(struct app_mailcap_entry *e, char *f)
{
	char *eq = strchr(f, '=');
	size_t klen = eq ? (size_t)(eq - f) : strlen(f);
	while (klen > 0 && (f[klen - 1] == ' ' || f[klen - 1] == '\t'))
		klen--;
	const char *v = eq ? eq + 1 : "";
	while (*v == ' ' || *v == '\t')
		v++;
	if (!eq && qu_mem_eq_ci(f, klen, "copiousoutput"))
		e->copiousoutput = true;
	else if (!eq && qu_mem_eq_ci(f, klen, "needsterminal"))
		e->needsterminal = true;
	else if (eq && qu_mem_eq_ci(f, klen, "test") && !e->test)
		e->test = xstrdup(v);
	else if (eq && qu_mem_eq_ci(f, klen, "nametemplate") && !e->nametemplate)
		e->nametemplate = xstrdup(v);
	/* compose=, print=, edit=, x11-bitmap= ...: not used by a reader. */
}

static void
parse_line(struct app_mailcap *m, const char *line)
{
	const char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '#' || *p == '\0')
		return;
	char *type = next_field(&p);
	char *view = next_field(&p);
	if (!*type) {
		free(type);
		free(view);
		return;
	}
	/* A bare major type means all its subtypes (RFC 1524 §2.1). */
	if (!strchr(type, '/')) {
		char *t = xasprintf("%s/*", type);
		free(type);
		type = t;
	}
	qu_str_lower(type);
	m->v = xgrow(m->v, &m->alloc, m->n + 1, sizeof *m->v);
	struct app_mailcap_entry *e = &m->v[m->n++];
	memset(e, 0, sizeof *e);
	e->type = type;
	e->view = view;
	while (*p) {
		char *f = next_field(&p);
		if (*f)
			set_flag(e, f);
		free(f);
	}
}

void
app_mailcap_parse(struct app_mailcap *m, const char *p, size_t n)
{
	/* Logical lines: a backslash before the line end joins the next one
	 * (RFC 1524 §2: "\" followed by newline). A NUL ends nothing but is
	 * dropped so that a line stays one C string. */
	struct qu_buf line;
	qu_buf_init(&line, SIZE_MAX);
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '\n') {
			if (line.len && line.data[line.len - 1] == '\r')
				line.data[--line.len] = '\0';
			if (line.len && line.data[line.len - 1] == '\\' && i < n) {
				line.data[--line.len] = '\0';
				continue;
			}
			if (line.len)
				parse_line(m, line.data);
			qu_buf_reset(&line);
		} else if (p[i] != '\0') {
			qu_buf_append_byte(&line, p[i]);
		}
	}
	qu_buf_clear(&line);
}

int
app_mailcap_load(struct app_mailcap *m, const char *paths, struct qu_err *err)
{
	char *copy = xstrdup(paths ? paths : "");
	char *save = NULL;
	int rc = 0;
	for (char *f = strtok_r(copy, ":", &save); f; f = strtok_r(NULL, ":", &save)) {
		int fd = open(f, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			/* A missing file of the list is normal (RFC 1524 App. A). */
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			rc = qu_err_sys(err, QU_E_NOINPUT, errno, "%s", f);
			break;
		}
		struct qu_buf b;
		qu_buf_init(&b, MAILCAP_MAX);
		char tmp[8192];
		ssize_t r;
		while ((r = read(fd, tmp, sizeof tmp)) > 0 || (r < 0 && errno == EINTR))
			if (r > 0 && qu_buf_append(&b, tmp, (size_t)r) < 0)
				break;
		close(fd);
		app_mailcap_parse(m, b.data ? b.data : "", b.len);
		qu_buf_clear(&b);
	}
	free(copy);
	return rc;
}

char *
app_mailcap_default_path(void)
{
	const char *env = getenv("MAILCAPS");
	if (env && *env)
		return xstrdup(env);
	const char *home = getenv("HOME");
	if (home && *home)
		return xasprintf("%s/.mailcap:/etc/mailcap", home);
	return xstrdup("/etc/mailcap");
}

/* ---- commands (RFC 1524 §4) ---------------------------------------------- */

/* Where a substitution lands in the command as sh reads it. */
enum quote { Q_NONE, Q_SINGLE, Q_DOUBLE };

/* Appends v so that sh reads it back as the bytes of v, one word. Control
 * bytes never reach a command line: they become '_'. */
static void
append_quoted(struct qu_buf *b, const char *v, enum quote q)
{
	if (q == Q_NONE)
		qu_buf_append_byte(b, '\'');
	for (const char *c = v; *c; c++) {
		char ch = (unsigned char)*c < 0x20 || *c == 0x7f ? '_' : *c;
		if (ch == '\'' && q != Q_DOUBLE)
			qu_buf_append_str(b, "'\\''");
		else if (q == Q_DOUBLE && strchr("\"\\$`", ch)) {
			qu_buf_append_byte(b, '\\');
			qu_buf_append_byte(b, ch);
		} else
			qu_buf_append_byte(b, ch);
	}
	if (q == Q_NONE)
		qu_buf_append_byte(b, '\'');
}

/* The value of %{name}: only charset is known; other parameters are empty. */
static const char *
param_value(const struct app_mailcap_vars *v, const char *name, size_t len)
{
	if (qu_mem_eq_ci(name, len, "charset") && v->charset)
		return v->charset;
	return "";
}

char *
app_mailcap_expand(const char *cmd, const struct app_mailcap_vars *v, bool *used_file)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	enum quote q = Q_NONE;
	if (used_file)
		*used_file = false;
	for (const char *c = cmd; *c; c++) {
		if (*c == '\\' && q != Q_SINGLE && c[1]) {
			/* "\%" is a literal percent (RFC 1524 §4); other escapes are the shell's. */
			if (c[1] != '%')
				qu_buf_append_byte(&b, *c);
			qu_buf_append_byte(&b, *++c);
			continue;
		}
		if (*c == '\'' && q != Q_DOUBLE)
			q = q == Q_SINGLE ? Q_NONE : Q_SINGLE;
		else if (*c == '"' && q != Q_SINGLE)
			q = q == Q_DOUBLE ? Q_NONE : Q_DOUBLE;
		if (*c != '%' || !c[1]) {
			qu_buf_append_byte(&b, *c);
			continue;
		}
		c++;
		if (*c == 's') {
			append_quoted(&b, v->file ? v->file : "", q);
			if (used_file)
				*used_file = true;
		} else if (*c == 't') {
			append_quoted(&b, v->type ? v->type : "", q);
		} else if (*c == '{' && strchr(c, '}')) {
			const char *e = strchr(c, '}');
			append_quoted(&b, param_value(v, c + 1, (size_t)(e - c - 1)), q);
			c = e;
		} else if (*c == '%') {
			qu_buf_append_byte(&b, '%');
		} else if (*c == 'n' || *c == 'F') {
			/* Multipart counts and files: quail hands over one part. */
			append_quoted(&b, *c == 'n' ? "1" : "", q);
		} else {
			qu_buf_append_byte(&b, '%');
			qu_buf_append_byte(&b, *c);
		}
	}
	return qu_buf_steal(&b, NULL);
}

char *
app_mailcap_command(const struct app_mailcap_entry *e, const struct app_mailcap_vars *v)
{
	bool used = false;
	char *cmd = app_mailcap_expand(e->view, v, &used);
	if (used)
		return cmd;
	/* No %s: the content goes to stdin (RFC 1524 §3). */
	char *file = app_mailcap_expand("%s", v, NULL);
	char *full = xasprintf("( %s ) < %s", cmd, file);
	free(file);
	free(cmd);
	return full;
}

/* ---- running a test= ------------------------------------------------------ */

/* In a child before exec: a worker thread blocks every signal and the UI
 * ignores SIGPIPE, and exec keeps both; a viewer gets the defaults. */
static void
child_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int
app_mailcap_run_bounded(const char *cmd, int timeout_ms)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		child_signals();
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	int st = 0;
	for (int waited = 0;; waited += 10) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -1;
		if (waited >= timeout_ms) {
			/* The whole group: a shell's children go too. */
			kill(-pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		sleep_ms(10);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- choosing an entry (RFC 1524 §3) ------------------------------------- */

static bool
type_matches(const char *pattern, const char *type)
{
	const char *ps = strchr(pattern, '/');
	if (ps && strcmp(ps + 1, "*") == 0)
		return strncasecmp(pattern, type, (size_t)(ps - pattern) + 1) == 0;
	return strcasecmp(pattern, type) == 0;
}

const struct app_mailcap_entry *
app_mailcap_find(const struct app_mailcap *m, const char *type, unsigned want,
	const struct app_mailcap_vars *v)
{
	for (size_t i = 0; m && i < m->n; i++) {
		const struct app_mailcap_entry *e = &m->v[i];
		if (!type_matches(e->type, type) || !*e->view)
			continue;
		if ((want & APP_MAILCAP_COPIOUS) && !e->copiousoutput)
			continue;
		if (e->test && *e->test) {
			/* A test that names %s fails while there is no file yet. */
			bool used = false;
			char *cmd = app_mailcap_expand(e->test, v, &used);
			int st = used && !v->file ? -1 : app_mailcap_run_bounded(cmd, TEST_MS);
			free(cmd);
			if (st != 0)
				continue;
		}
		return e;
	}
	return NULL;
}

/* ---- a copiousoutput entry as a filter ----------------------------------- */

/* Reads fd to EOF into out (at most cap bytes kept) until deadline_ms.
 * 0 at EOF, -1 at the deadline. */
static int
read_until(int fd, struct qu_buf *out, size_t cap, int64_t deadline_ms)
{
	char tmp[8192];
	for (;;) {
		int64_t left = deadline_ms - qu_now_ms();
		if (left <= 0)
			return -1;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int n = poll(&pf, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0)
			continue;
		ssize_t r = read(fd, tmp, sizeof tmp);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		size_t keep = out->len >= cap ? 0 : cap - out->len < (size_t)r ? cap - out->len :
			(size_t)r;
		qu_buf_append(out, tmp, keep);
	}
}

/* Runs cmd by sh, stdin /dev/null, stdout into out; the process group is
 * killed at the deadline. Returns 0, or -1 with SOFTWARE or TEMPFAIL. */
static int
run_capture(const char *cmd, struct qu_buf *out, size_t cap, int timeout_ms, struct qu_err *err)
{
	int fd[2];
	if (pipe(fd) < 0)
		return qu_err_sys(err, QU_E_SOFTWARE, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return qu_err_sys(err, QU_E_SOFTWARE, errno, "fork");
	}
	if (pid == 0) {
		setpgid(0, 0);
		child_signals();
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(fd[1], 1);
		dup2(null, 2);
		close(fd[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	close(fd[1]);
	int rc = read_until(fd[0], out, cap, qu_now_ms() + timeout_ms);
	close(fd[0]);
	kill(-pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return rc < 0 ? qu_err_set(err, QU_E_TEMPFAIL, "viewer: no answer in %d ms", timeout_ms) : 0;
}

int
app_mailcap_filter(const struct app_mailcap *m, const struct app_mailcap_vars *v, const char *p,
	size_t n, struct qu_buf *out, size_t cap, int timeout_ms, struct qu_err *err)
{
	/* The file's name is quail's own, in a directory only the user can
	 * enter; it is gone before this returns. */
	const char *t = getenv("TMPDIR");
	char *dir = xasprintf("%s/quail-filter-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir)) {
		int rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", dir);
		free(dir);
		return rc;
	}
	char *path = xasprintf("%s/part%s", dir, strcmp(v->type, "text/html") == 0 ? ".html" : "");
	int rc = 1;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
	} else {
		bool whole = qu_write_all(fd, p, n) == 0;
		int e_write = errno;
		close(fd);
		struct app_mailcap_vars fv = *v;
		fv.file = path;
		const struct app_mailcap_entry *e =
			whole ? app_mailcap_find(m, v->type, APP_MAILCAP_COPIOUS, &fv) : NULL;
		if (!whole)
			rc = qu_err_sys(err, QU_E_IOERR, e_write, "%s", path);
		if (e) {
			char *cmd = app_mailcap_command(e, &fv);
			rc = run_capture(cmd, out, cap, timeout_ms, err);
			free(cmd);
		}
	}
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	return rc;
}
