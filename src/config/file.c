#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/util.h"

#include "config/config.h"
#include "config/private.h"

int
cfg_loader_error(struct cfg_loader *ld, const char *fmt, ...)
{
	char why[QU_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	ld->failed = true;
	return qu_err_set(ld->err, QU_E_CONFIG, "%s:%d: %s", ld->c->path, ld->lineno, why);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *
trim(char *p)
{
	while (is_blank(*p))
		p++;
	size_t n = strlen(p);
	while (n > 0 && is_blank(p[n - 1]))
		p[--n] = '\0';
	return p;
}

static int
add_account(struct cfg_loader *ld, const char *name)
{
	struct cfg *c = ld->c;
	if (!*name)
		return cfg_loader_error(ld, "an account section needs a name: [account NAME]");
	/* The name becomes a directory under the Maildir root. */
	if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cfg_loader_error(ld, "account name '%s' may not contain '/' or be '.' or '..'",
					name);
	for (size_t i = 0; i < c->n_accounts; i++)
		if (strcmp(c->accounts[i].name, name) == 0)
			return cfg_loader_error(ld, "duplicate [account %s]", name);
	/* Both arrays grow from the same size, so one counter serves. */
	size_t alloc = ld->accounts_alloc;
	c->accounts = xgrow(c->accounts, &alloc, c->n_accounts + 1, sizeof *c->accounts);
	ld->account_keys = xgrow(ld->account_keys, &ld->accounts_alloc, c->n_accounts + 1,
				 sizeof *ld->account_keys);
	struct cfg_account *a = &c->accounts[c->n_accounts];
	cfg_account_init(a);
	a->name = xstrdup(name);
	ld->account_keys[c->n_accounts++] = 0;
	ld->sec = CFG_SECTION_ACCOUNT;
	return 0;
}

/* "[general]" or "[account NAME]"; p points at '['. Sections are handled
 * here rather than by inih so that an empty or repeated section is seen
 * too, and at its own line. */
static int
start_section(struct cfg_loader *ld, char *p)
{
	char *close = strchr(p, ']');
	if (!close)
		return cfg_loader_error(ld, "missing ']' in section header");
	if (close[1])
		return cfg_loader_error(ld, "unexpected text after ']'");
	*close = '\0';
	char *name = trim(p + 1);
	if (strcasecmp(name, "general") == 0) {
		if (ld->general_seen)
			return cfg_loader_error(ld, "duplicate [general]");
		ld->general_seen = true;
		ld->sec = CFG_SECTION_GENERAL;
		return 0;
	}
	if (strcasecmp(name, "ui") == 0) {
		if (ld->ui_seen)
			return cfg_loader_error(ld, "duplicate [ui]");
		ld->ui_seen = true;
		ld->sec = CFG_SECTION_UI;
		return 0;
	}
	if (strcasecmp(name, "account") == 0)
		return add_account(ld, "");
	if (strncasecmp(name, "account", 7) == 0 && is_blank(name[7]))
		return add_account(ld, trim(name + 8));
	return cfg_loader_error(ld, "unknown section [%s]", name);
}

/* Cuts comments: a line starting with ';' or '#', and ';' after white space
 * (as inih does when built with inline comments; done here so that quail
 * does not depend on how libinih was built). */
static char *
strip_comment(char *p)
{
	if (*p == ';' || *p == '#')
		return p + strlen(p);
	for (char *q = p; *q; q++)
		if (*q == ';' && q > p && is_blank(q[-1])) {
			*q = '\0';
			break;
		}
	return p;
}

static char *
bad_line(struct cfg_loader *ld, const char *why)
{
	cfg_loader_error(ld, "%s", why);
	return NULL;
}

/* Checks one line and reduces it to what inih should see: "" for blank
 * lines, comments and section headers, else "key = value" without leading
 * white space (which inih would take for a continuation line). */
static char *
normalize(struct cfg_loader *ld, size_t n)
{
	char *p = ld->line;
	if (memchr(p, '\0', n))
		return bad_line(ld, "NUL byte");
	if (ld->lineno == 1 && qu_str_has_prefix(p, "\xEF\xBB\xBF"))
		p += 3;
	size_t len = strlen(p);
	if (len > 0 && p[len - 1] == '\n')
		p[--len] = '\0';
	if (len > 0 && p[len - 1] == '\r')
		p[--len] = '\0';
	if (cfg_has_control(p))
		return bad_line(ld, "control character");
	p = trim(strip_comment(trim(p)));
	if (*p == '[')
		return start_section(ld, p) < 0 ? NULL : p + strlen(p);
	if (!*p)
		return p;
	size_t eq = strcspn(p, "=:");
	if (p[eq] != '=')
		return bad_line(ld, "expected 'key = value' or '[section]'");
	if (eq == 0)
		return bad_line(ld, "missing key name before '='");
	return p;
}

/* inih's reader: one line per call, like fgets. */
static char *
read_line(char *str, int num, void *stream)
{
	struct cfg_loader *ld = stream;
	if (ld->failed)
		return NULL;
	errno = 0;
	ssize_t n = getline(&ld->line, &ld->line_alloc, ld->fp);
	if (n < 0) {
		if (ferror(ld->fp)) {
			qu_err_sys(ld->err, QU_E_NOINPUT, errno, "%s", ld->c->path);
			ld->failed = true;
		}
		return NULL;
	}
	ld->lineno++;
	char *p = normalize(ld, (size_t)n);
	if (!p)
		return NULL;
	size_t len = strlen(p);
	if (len + 1 > (size_t)num) {
		cfg_loader_error(ld, "line too long (at most %d characters)", num - 1);
		return NULL;
	}
	memcpy(str, p, len + 1);
	return str;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_loader *ld = user;
	(void)section;
	if (ld->failed)
		return 1;
	return cfg_loader_key(ld, name, value) == 0;
}

/* Defaults that depend on the whole file. */
static int
finish(struct cfg_loader *ld)
{
	struct cfg *c = ld->c;
	if (!c->maildir)
		c->maildir = cfg_expand_home("~/Mail");
	if (c->default_account && !cfg_find_account(c, c->default_account, NULL)) {
		ld->lineno = ld->default_line;
		return cfg_loader_error(ld, "default_account '%s' has no [account %s]",
					c->default_account, c->default_account);
	}
	for (size_t i = 0; i < c->n_accounts; i++)
		cfg_loader_finish_account(ld, i);
	return 0;
}

static int
parse(struct cfg *c, FILE *fp, struct qu_err *err)
{
	struct cfg_loader ld = {.c = c, .err = err, .fp = fp};
	struct stat st;
	if (fstat(fileno(fp), &st) < 0)
		return qu_err_sys(err, QU_E_NOINPUT, errno, "%s", c->path);
	if (S_ISDIR(st.st_mode))
		return qu_err_set(err, QU_E_NOINPUT, "%s: is a directory", c->path);
	ld.private_file = (st.st_mode & 077) == 0;
	int rc = ini_parse_stream(read_line, &ld, on_key, &ld);
	if (!ld.failed && rc > 0) {
		ld.lineno = rc;
		cfg_loader_error(&ld, "syntax error");
	} else if (!ld.failed && rc != 0) {
		qu_err_set(err, QU_E_SOFTWARE, "%s: ini_parse_stream failed (%d)", c->path, rc);
		ld.failed = true;
	}
	if (!ld.failed)
		finish(&ld);
	qu_wipe(ld.line, ld.line_alloc);
	free(ld.line);
	free(ld.account_keys);
	return ld.failed ? -1 : 0;
}

struct cfg *
cfg_load(const char *path, bool must_exist, struct qu_err *err)
{
	char *def = path ? NULL : cfg_default_path(NULL);
	struct cfg *c = xcalloc(1, sizeof *c);
	FILE *fp = fopen(path ? path : def, "r");
	if (!fp && errno == ENOENT && !must_exist) {
		free(def);
		c->maildir = cfg_expand_home("~/Mail");
		return c;
	}
	if (!fp) {
		qu_err_sys(err, QU_E_NOINPUT, errno, "%s", path ? path : def);
		free(def);
		cfg_free(c);
		return NULL;
	}
	c->path = xstrdup(path ? path : def);
	free(def);
	int rc = parse(c, fp, err);
	fclose(fp);
	if (rc < 0) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

void
cfg_free(struct cfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_accounts; i++)
		cfg_account_clear(&c->accounts[i]);
	free(c->accounts);
	for (size_t i = 0; i < c->n_ui; i++) {
		free(c->ui[i].key);
		free(c->ui[i].value);
	}
	free(c->ui);
	free(c->path);
	free(c->default_account);
	free(c->maildir);
	free(c);
}
