/*
 * The message builder (SPEC §4): headers, the MIME tree, and the files.
 *
 * The whole message is written into one qu_buf. Files are mapped and
 * encoded straight into it, a piece at a time, with the pages already
 * encoded given back (MADV_DONTNEED), so a 10 MB attachment costs about
 * its 13.7 MB of base64 and little more.
 */
#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/build_private.h"

/* libmagic looks at this much of a file. */
#define MAGIC_BYTES (1024 * 1024)
/* Encoded per step: whole base64 lines (57 bytes) and whole pages, so
 * that the lines run on evenly and done pages can be given back. */
#define ENCODE_STEP (57 * 4096 * 4)

/* A file being included. */
struct bfile {
	const struct mime_build_file *f;
	char *name;       /* UTF-8 name shown */
	char *cid;        /* Content-ID without <> (inline) */
	char type[128];   /* type/subtype */
	bool utf8;        /* a text type whose content is valid UTF-8 */
	const char *p;
	size_t len;
	void *map;        /* mmap'ed, or NULL: p is in buf */
	struct qu_buf buf;
};

struct builder {
	const struct mime_build *b;
	struct qu_buf *out;
	const char *eol;
	size_t eol_len;
	char bbase[64];   /* boundary prefix */
	unsigned nboundary;
	struct bfile *inl, *att;
	struct qu_err *err;
};

/* ---- randomness, dates, ids ------------------------------------------ */

static void
random_bytes(void *p, size_t n)
{
	unsigned char *o = p;
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(o + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < n) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t r = read(fd, o + got, n - got);
			if (r > 0)
				got += (size_t)r;
			close(fd);
		}
	}
	/* Last resort: not secret, only unlikely to repeat. */
	uint64_t x = (uint64_t)qu_now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)p;
	for (; got < n; got++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		o[got] = (unsigned char)x;
	}
}

/* n random characters from [a-z0-9] into s (NUL-terminated). */
static void
random_word(char *s, size_t n)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[64];
	if (n > sizeof r)
		n = sizeof r;
	random_bytes(r, n);
	for (size_t i = 0; i < n; i++)
		s[i] = al[r[i] % 36];
	s[n] = '\0';
}

void
mime_format_date(const struct mime_build_fixed *fx, char *buf, size_t cap)
{
	build_format_date(fx, buf, cap);
}

/* RFC 5322 §3.3 date-time in English whatever the locale. */
void
build_format_date(const struct mime_build_fixed *fx, char *buf, size_t cap)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	long off;
	if (fx && fx->date) {
		time_t t = (time_t)(fx->date + (int64_t)fx->date_offset * 60);
		gmtime_r(&t, &tm);
		off = fx->date_offset;
	} else {
		time_t t = time(NULL);
		localtime_r(&t, &tm);
		off = tm.tm_gmtoff / 60;
	}
	long a = off < 0 ? -off : off;
	snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday % 7],
		 tm.tm_mday, mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, off < 0 ? '-' : '+', a / 60, a % 60);
}

/* The domain of an address as ASCII (IDN as A-label), or NULL. */
static char *
addr_domain_ascii(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	if (!at || !at[1])
		return NULL;
	const char *d = at + 1;
	if (build_is_ascii(d, strlen(d)))
		return xstrdup(d);
	return qu_idna_to_ascii(d, NULL);
}

/* "<random@domain>" (RFC 5322 §3.6.4). */
char *
build_message_id(const struct mime_build_fixed *fx, const char *addr)
{
	if (fx && fx->message_id)
		return xasprintf("<%s>", fx->message_id);
	char w[25];
	random_word(w, 24);
	char *d = addr_domain_ascii(addr);
	char host[256] = "localhost.localdomain";
	if (!d && gethostname(host, sizeof host - 1) == 0)
		host[sizeof host - 1] = '\0';
	/* The domain goes in as it is only when it is a plain dot-atom. */
	const char *dom = d ? d : host;
	for (const char *c = dom; *c; c++)
		if (!build_is_atext((unsigned char)*c) && *c != '.')
			dom = "localhost.localdomain";
	char *id = xasprintf("<%s@%s>", w, dom);
	free(d);
	return id;
}

/* ---- checking what users give ---------------------------------------- */

/* Anything that becomes a header may hold no line break (header
 * injection) and no other control character but tab. */
int
build_check_header_text(const char *what, const char *s, struct qu_err *err)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '\r' || *c == '\n')
			return qu_err_set(err, QU_E_USAGE,
					  "%s: contains a line break (refused: it would inject headers)",
					  what);
		if ((*c < 32 && *c != '\t') || *c == 127)
			return qu_err_set(err, QU_E_USAGE, "%s: contains a control character", what);
	}
	return 0;
}

/* local@domain: a dot-atom or quoted local part (UTF-8 allowed, RFC 6532)
 * and a dot-atom or literal domain. */
static bool
addr_spec_ok(const char *a, bool need_domain)
{
	size_t n = strlen(a);
	if (!n)
		return false;
	const char *at = NULL;
	size_t i = 0;
	if (a[0] == '"') {
		for (i = 1; i < n && a[i] != '"'; i++)
			if (a[i] == '\\')
				i++;
		if (i >= n)
			return false;
		i++;
	} else {
		bool dot_ok = false;
		for (; i < n && a[i] != '@'; i++) {
			unsigned char c = (unsigned char)a[i];
			if (c == '.') {
				if (!dot_ok)
					return false;
				dot_ok = false;
			} else if (build_is_atext(c) || c >= 0x80) {
				dot_ok = true;
			} else {
				return false;
			}
		}
		if (!dot_ok)
			return false;
	}
	if (i == n)
		return !need_domain;
	if (a[i] != '@')
		return false;
	at = a + i + 1;
	size_t dn = strlen(at);
	if (!dn)
		return false;
	if (at[0] == '[')
		return at[dn - 1] == ']' && !memchr(at + 1, '[', dn - 2) && !memchr(at, ' ', dn);
	bool dot_ok = false;
	for (size_t k = 0; k < dn; k++) {
		unsigned char c = (unsigned char)at[k];
		if (c == '.') {
			if (!dot_ok)
				return false;
			dot_ok = false;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_' || c >= 0x80) {
			dot_ok = true;
		} else {
			return false;
		}
	}
	return dot_ok;
}

static void
count_defect(void *ctx, enum mime_defect_kind kind, size_t off)
{
	(void)kind;
	(void)off;
	(*(size_t *)ctx)++;
}

int
mime_build_addr_list(const char *s, bool need_domain, struct mime_addr_list *l,
	struct qu_err *err)
{
	if (build_check_header_text("address", s, err) < 0) {
		qu_err_prefix(err, "'%s'", s);
		return -1;
	}
	size_t bad = 0;
	struct mime_defects d = {.fn = count_defect, .ctx = &bad};
	struct mime_addr_list tmp;
	mime_addr_list_init(&tmp);
	mime_addr_list_parse(s, strlen(s), &tmp, NULL, &d);
	int rc = 0;
	if (bad || !tmp.n) {
		rc = qu_err_set(err, QU_E_USAGE, "'%s': not an address or a list of addresses", s);
	} else {
		for (size_t i = 0; i < tmp.n; i++)
			if (!addr_spec_ok(tmp.v[i].address, need_domain)) {
				rc = qu_err_set(err, QU_E_USAGE, "'%s': not a valid address%s",
						tmp.v[i].address, need_domain ? " (local@domain)" : "");
				break;
			}
	}
	if (rc == 0) {
		for (size_t i = 0; i < tmp.n; i++) {
			l->v = xgrow(l->v, &l->alloc, l->n + 1, sizeof *l->v);
			l->v[l->n++] = tmp.v[i];
		}
		tmp.n = 0;
	}
	mime_addr_list_clear(&tmp);
	return rc;
}

/* -H: "Name: value" with Name of ftext (RFC 5322 §3.6.8). Returns the
 * length of the name, or -1. */
int
build_split_header(const char *h, const char **value, struct qu_err *err)
{
	size_t n = 0;
	while (h[n] && h[n] != ':') {
		unsigned char c = (unsigned char)h[n];
		if (c < 33 || c > 126)
			return qu_err_set(err, QU_E_USAGE,
					  "-H '%s': a header name is printable ASCII without spaces", h);
		n++;
	}
	if (!n || h[n] != ':')
		return qu_err_set(err, QU_E_USAGE, "-H '%s': give 'Name: value'", h);
	if (build_check_header_text("-H", h, err) < 0)
		return -1;
	const char *v = h + n + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	*value = v;
	return (int)n;
}

/* Fields quail writes from options or for the MIME structure. */
static const char *
reserved_header(const char *name, size_t n)
{
	static const struct {
		const char *name, *use;
	} r[] = {
		{"From", "--from"}, {"To", "recipient arguments"}, {"Cc", "-c"}, {"Bcc", "-b"},
		{"Subject", "-s"}, {"Reply-To", "--reply-to"}, {"Sender", "--from and the account"},
		{"MIME-Version", NULL},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(r); i++)
		if (qu_mem_eq_ci(name, n, r[i].name))
			return r[i].use ? r[i].use : "";
	if (n >= 8 && qu_mem_eq_ci(name, 8, "Content-"))
		return "";
	return NULL;
}

static int
check_headers(const struct mime_build *b, struct qu_err *err)
{
	for (size_t i = 0; i < b->n_headers; i++) {
		const char *v;
		int n = build_split_header(b->headers[i], &v, err);
		if (n < 0)
			return -1;
		const char *use = reserved_header(b->headers[i], (size_t)n);
		if (use)
			return qu_err_set(err, QU_E_USAGE, "-H %.*s: %s%s", n, b->headers[i],
					  *use ? "use " : "quail writes this field itself",
					  *use ? use : "");
	}
	return 0;
}

/* The -H field called name, or NULL. */
static const char *
extra_header(const struct mime_build *b, const char *name)
{
	for (size_t i = 0; i < b->n_headers; i++) {
		size_t n = strcspn(b->headers[i], ":");
		if (qu_mem_eq_ci(b->headers[i], n, name))
			return b->headers[i];
	}
	return NULL;
}

/* ---- writing headers --------------------------------------------------- */

/* An address for a header: an IDN domain as its A-label when the local
 * part is ASCII (valid everywhere), else UTF-8 as it is (RFC 6532). */
static char *
header_addr(const char *addr, struct qu_err *err)
{
	const char *at = strrchr(addr, '@');
	if (!at || build_is_ascii(addr, strlen(addr)) || !build_is_ascii(addr, (size_t)(at - addr)))
		return xstrdup(addr);
	char *d = addr_domain_ascii(addr);
	if (!d) {
		qu_err_set(err, QU_E_USAGE, "'%s': not a valid international domain name", at + 1);
		return NULL;
	}
	char *r = xasprintf("%.*s@%s", (int)(at - addr), addr, d);
	free(d);
	return r;
}

static int
write_mailboxes(struct build_hdr *h, const struct mime_addr_list *l, struct qu_err *err)
{
	for (size_t i = 0; i < l->n; i++) {
		char *a = header_addr(l->v[i].address, err);
		if (!a)
			return -1;
		if (i)
			build_hdr_glue(h, ",", 1);
		const char *name = l->v[i].name;
		if (name && *name) {
			build_hdr_phrase(h, " ", 1, name, strlen(name));
			char *t = xasprintf("<%s>", a);
			build_hdr_token(h, " ", 1, t, strlen(t));
			free(t);
		} else {
			build_hdr_token(h, " ", 1, a, strlen(a));
		}
		free(a);
	}
	return 0;
}

/* A header with an address list from one or more arguments. */
static int
write_addr_header(struct builder *w, const char *name, const char *const *lists, size_t n)
{
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = mime_build_addr_list(lists[i], false, &l, w->err);
	if (rc == 0 && l.n) {
		struct build_hdr h;
		build_hdr_begin(&h, w->out, w->eol, name);
		rc = write_mailboxes(&h, &l, w->err);
		build_hdr_end(&h);
	}
	mime_addr_list_clear(&l);
	if (rc < 0)
		qu_err_prefix(w->err, "%s", name);
	return rc;
}

static void
write_simple(struct builder *w, const char *name, const char *value)
{
	struct build_hdr h;
	build_hdr_begin(&h, w->out, w->eol, name);
	build_hdr_token(&h, " ", 1, value, strlen(value));
	build_hdr_end(&h);
}

/* From and, by RFC 5322 §3.6.2, Sender. Returns the address that stands
 * for the sender (for the Message-ID), owned, or NULL with err set. */
static char *
write_from(struct builder *w)
{
	const struct mime_build *b = w->b;
	struct mime_addr_list l;
	mime_addr_list_init(&l);
	if (!b->from || mime_build_addr_list(b->from, true, &l, w->err) < 0) {
		if (!b->from)
			qu_err_set(w->err, QU_E_USAGE, "no From address");
		else
			qu_err_prefix(w->err, "From");
		mime_addr_list_clear(&l);
		return NULL;
	}
	struct build_hdr h;
	build_hdr_begin(&h, w->out, w->eol, "From");
	int rc = write_mailboxes(&h, &l, w->err);
	build_hdr_end(&h);
	const char *sender = b->sender;
	if (!sender && l.n > 1)
		sender = l.v[0].address;
	if (rc == 0 && sender && build_check_header_text("sender", sender, w->err) < 0)
		rc = -1;
	if (rc == 0 && sender && (l.n > 1 || strcasecmp(sender, l.v[0].address) != 0)) {
		char *a = header_addr(sender, w->err);
		if (!a)
			rc = -1;
		else
			write_simple(w, "Sender", a);
		free(a);
	}
	char *id_addr = rc == 0 ? xstrdup(sender ? sender : l.v[0].address) : NULL;
	mime_addr_list_clear(&l);
	return id_addr;
}

static int
write_headers(struct builder *w)
{
	const struct mime_build *b = w->b;
	char date[64];
	if (!extra_header(b, "Date")) {
		build_format_date(&b->fixed, date, sizeof date);
		write_simple(w, "Date", date);
	}
	char *id_addr = write_from(w);
	if (!id_addr)
		return -1;
	int rc = 0;
	if (b->reply_to)
		rc = write_addr_header(w, "Reply-To", &b->reply_to, 1);
	if (rc == 0 && b->n_to)
		rc = write_addr_header(w, "To", b->to, b->n_to);
	else if (rc == 0)
		write_simple(w, "To", "undisclosed-recipients:;");
	if (rc == 0 && b->n_cc)
		rc = write_addr_header(w, "Cc", b->cc, b->n_cc);
	if (rc == 0 && b->subject) {
		const char *s = b->subject;
		size_t n = strlen(s);
		qu_mem_trim(&s, &n);
		struct build_hdr h;
		build_hdr_begin(&h, w->out, w->eol, "Subject");
		build_hdr_text(&h, s, n);
		build_hdr_end(&h);
	}
	if (rc == 0 && !extra_header(b, "Message-ID")) {
		char *id = build_message_id(&b->fixed, id_addr);
		write_simple(w, "Message-ID", id);
		free(id);
	}
	for (size_t i = 0; rc == 0 && i < b->n_headers; i++) {
		const char *v;
		int n = build_split_header(b->headers[i], &v, w->err);
		char *name = xstrndup(b->headers[i], (size_t)n);
		const char *e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		struct build_hdr h;
		build_hdr_begin(&h, w->out, w->eol, name);
		build_hdr_text(&h, v, (size_t)(e - v));
		build_hdr_end(&h);
		free(name);
	}
	if (rc == 0)
		write_simple(w, "MIME-Version", "1.0");
	free(id_addr);
	return rc;
}

/* ---- files ----------------------------------------------------------- */

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

static int
file_load(struct bfile *bf, const struct mime_build_file *f, const char *what, struct qu_err *err)
{
	memset(bf, 0, sizeof *bf);
	bf->f = f;
	qu_buf_init(&bf->buf, SIZE_MAX);
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return qu_err_sys(err, errno == EIO ? QU_E_IOERR : QU_E_NOINPUT, errno, "%s %s", what,
				  f->path);
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = qu_err_sys(err, QU_E_IOERR, errno, "%s %s", what, f->path);
	} else if (S_ISDIR(st.st_mode)) {
		rc = qu_err_set(err, QU_E_NOINPUT, "%s %s: is a directory", what, f->path);
	} else if (S_ISREG(st.st_mode) && st.st_size > 0) {
		bf->len = (size_t)st.st_size;
		bf->map = mmap(NULL, bf->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (bf->map == MAP_FAILED) {
			bf->map = NULL;
			rc = qu_err_sys(err, QU_E_IOERR, errno, "%s %s", what, f->path);
		} else {
			bf->p = bf->map;
			madvise(bf->map, bf->len, MADV_SEQUENTIAL);
		}
	} else {
		/* A pipe, a device, an empty file: read it. */
		for (;;) {
			char *dst = qu_buf_reserve(&bf->buf, 65536);
			ssize_t r = dst ? read(fd, dst, 65536) : -1;
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = qu_err_sys(err, QU_E_IOERR, errno, "%s %s", what, f->path);
				break;
			}
			if (r == 0)
				break;
			qu_buf_commit(&bf->buf, (size_t)r);
		}
		bf->p = bf->buf.data ? bf->buf.data : "";
		bf->len = bf->buf.len;
	}
	close(fd);
	if (rc < 0)
		return -1;
	/* The name: as given, or the base name, made UTF-8 (a file name from
	 * a legacy locale is converted as text of unknown charset is). */
	const char *raw = f->name ? f->name : base_name(f->path);
	struct qu_buf nb;
	qu_buf_init(&nb, 4096);
	mime_charset_to_utf8(NULL, NULL, raw, strlen(raw), &nb, NULL, NULL);
	bf->name = qu_buf_steal(&nb, NULL);
	return 0;
}

static void
file_free(struct bfile *bf)
{
	if (bf->map)
		munmap(bf->map, bf->len);
	qu_buf_clear(&bf->buf);
	free(bf->name);
	free(bf->cid);
}

/* libmagic, opened on first use: it and the compression libraries it
 * brings (bzip2, xz) would be mapped at every start, while only attaching
 * files needs it. Without it files go out as application/octet-stream, as
 * when libmagic cannot tell. Filled once, then only read. */
struct magic_lib {
	__typeof__(magic_open) *open;
	__typeof__(magic_load) *load;
	__typeof__(magic_buffer) *buffer;
	__typeof__(magic_close) *close;
};
#define MAGIC_SYM(f) {"magic_" #f, offsetof(struct magic_lib, f)}
static const struct qu_dl_sym magic_syms[] = {
	MAGIC_SYM(open), MAGIC_SYM(load), MAGIC_SYM(buffer), MAGIC_SYM(close),
};
/* Debian 12's runtime package libmagic1. */
static const struct qu_dl_lib magic_dl = {"libmagic.so.1", "libmagic1", "file types",
					  magic_syms, QU_ARRAY_LEN(magic_syms)};
static struct magic_lib ml;
static struct qu_dl_once magic_once = QU_DL_ONCE(&magic_dl, &ml, NULL);

/* A loaded libmagic cookie, or NULL (no libmagic or no database). */
static magic_t
magic_start(void)
{
	magic_t m = qu_dl_open(&magic_once, NULL) == 0 ? ml.open(MAGIC_MIME_TYPE | MAGIC_ERROR) : NULL;
	if (m && ml.load(m, NULL) != 0) {
		ml.close(m);
		m = NULL;
	}
	return m;
}

/* The MIME type from the content (libmagic, MAGIC_MIME_TYPE), else
 * application/octet-stream. */
static void
file_type(struct bfile *bf, magic_t m)
{
	const char *t = NULL;
	if (m && bf->len)
		t = ml.buffer(m, bf->p, bf->len < MAGIC_BYTES ? bf->len : MAGIC_BYTES);
	bool ok = t && strchr(t, '/') && strlen(t) < sizeof bf->type && !strstr(t, "x-empty");
	for (const char *c = t; ok && *c; c++)
		if (!(build_is_atext((unsigned char)*c) || *c == '.') || *c == '=' || *c == '?')
			ok = false;
	snprintf(bf->type, sizeof bf->type, "%s", ok ? t : "application/octet-stream");
	if (strncmp(bf->type, "text/", 5) == 0)
		bf->utf8 = qu_utf8_valid(bf->p, bf->len);
}

/* Content-ID of an inline file: its name (SPEC §4: the HTML refers to
 * cid:NAME); what a msg-id may not hold is %-escaped as in a cid: URL
 * (RFC 2392). */
static char *
make_cid(const char *name)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		if ((build_is_atext(*c) && *c != '%') || *c == '.' || *c == '@')
			qu_buf_append_byte(&b, (char)*c);
		else
			qu_buf_printf(&b, "%%%02X", *c);
	}
	return qu_buf_steal(&b, NULL);
}

static int
files_load(struct builder *w)
{
	const struct mime_build *b = w->b;
	size_t total = b->n_inlines + b->n_attachments;
	if (!total)
		return 0;
	w->inl = xcalloc(b->n_inlines + 1, sizeof *w->inl);
	w->att = xcalloc(b->n_attachments + 1, sizeof *w->att);
	for (size_t i = 0; i < total; i++) {
		struct bfile *bf = i < b->n_inlines ? &w->inl[i] : &w->att[i - b->n_inlines];
		bf->f = NULL;
		qu_buf_init(&bf->buf, SIZE_MAX);
	}
	magic_t m = magic_start();
	int rc = 0;
	for (size_t i = 0; i < total && rc == 0; i++) {
		bool inl = i < b->n_inlines;
		struct bfile *bf = inl ? &w->inl[i] : &w->att[i - b->n_inlines];
		const struct mime_build_file *f = inl ? &b->inlines[i] : &b->attachments[i - b->n_inlines];
		rc = file_load(bf, f, inl ? "--inline" : "-a", w->err);
		if (rc == 0 && f->description)
			rc = build_check_header_text("attachment description", f->description,
						     w->err);
		if (rc == 0) {
			file_type(bf, m);
			if (inl)
				bf->cid = make_cid(bf->name);
		}
	}
	/* libmagic's compiled database is large: gone before encoding. */
	if (m)
		ml.close(m);
	return rc;
}

static void
files_free(struct builder *w)
{
	const struct mime_build *b = w->b;
	for (size_t i = 0; w->inl && i < b->n_inlines; i++)
		file_free(&w->inl[i]);
	for (size_t i = 0; w->att && i < b->n_attachments; i++)
		file_free(&w->att[i]);
	free(w->inl);
	free(w->att);
}

/* Base64 of a file, a step at a time, giving back the mapped pages that
 * are done. */
static void
encode_file(struct builder *w, struct bfile *bf)
{
	qu_buf_reserve(w->out, build_base64_len(bf->len, w->eol_len) + w->eol_len);
	size_t off = 0;
	while (off < bf->len) {
		size_t n = bf->len - off < ENCODE_STEP ? bf->len - off : ENCODE_STEP;
		if (off)
			qu_buf_append(w->out, w->eol, w->eol_len);
		build_base64(w->out, bf->p + off, n, w->eol);
		if (bf->map)
			madvise((char *)bf->map + off, n, MADV_DONTNEED);
		off += n;
	}
}

/* ---- the MIME tree ----------------------------------------------------- */

static void
eol(struct builder *w)
{
	qu_buf_append(w->out, w->eol, w->eol_len);
}

static void
new_boundary(struct builder *w, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s-%u", w->bbase, ++w->nboundary);
}

static void
write_text_leaf(struct builder *w, const char *subtype, const char *p, size_t n)
{
	struct qu_buf *o = w->out;
	qu_buf_printf(o, "Content-Type: text/%s; charset=utf-8%s", subtype, w->eol);
	if (build_is_7bit_text(p, n)) {
		qu_buf_printf(o, "Content-Transfer-Encoding: 7bit%s%s", w->eol, w->eol);
		build_eol(o, p, n, w->eol);
		return;
	}
	/* The shorter of quoted-printable and base64 of the canonical (CRLF)
	 * text, RFC 2045 §6.1. */
	struct qu_buf qp, canon;
	qu_buf_init(&qp, SIZE_MAX);
	qu_buf_init(&canon, SIZE_MAX);
	build_qp(&qp, p, n, w->eol);
	build_eol(&canon, p, n, "\r\n");
	if (qp.len <= build_base64_len(canon.len, w->eol_len)) {
		qu_buf_printf(o, "Content-Transfer-Encoding: quoted-printable%s%s", w->eol, w->eol);
		qu_buf_append(o, qp.data, qp.len);
	} else {
		qu_buf_printf(o, "Content-Transfer-Encoding: base64%s%s", w->eol, w->eol);
		build_base64(o, canon.data ? canon.data : "", canon.len, w->eol);
	}
	qu_buf_clear(&qp);
	qu_buf_clear(&canon);
}

static void
write_file_leaf(struct builder *w, struct bfile *bf, bool inl)
{
	struct build_hdr h;
	build_hdr_begin(&h, w->out, w->eol, "Content-Type");
	build_hdr_token(&h, " ", 1, bf->type, strlen(bf->type));
	if (bf->utf8)
		build_hdr_param(&h, "charset", "utf-8");
	build_hdr_param_2047(&h, "name", bf->name);
	build_hdr_end(&h);
	build_hdr_begin(&h, w->out, w->eol, "Content-Disposition");
	build_hdr_token(&h, " ", 1, inl ? "inline" : "attachment", inl ? 6 : 10);
	build_hdr_param(&h, "filename", bf->name);
	build_hdr_end(&h);
	if (bf->f->description) {
		const char *v = bf->f->description;
		size_t n = strlen(v);
		qu_mem_trim(&v, &n);
		if (n) {
			build_hdr_begin(&h, w->out, w->eol, "Content-Description");
			build_hdr_text(&h, v, n);
			build_hdr_end(&h);
		}
	}
	if (inl) {
		char *id = xasprintf("<%s>", bf->cid);
		write_simple(w, "Content-ID", id);
		free(id);
	}
	qu_buf_printf(w->out, "Content-Transfer-Encoding: base64%s%s", w->eol, w->eol);
	encode_file(w, bf);
}

static void
multipart_begin(struct builder *w, const char *subtype, const char *type, char *bnd, size_t cap)
{
	new_boundary(w, bnd, cap);
	struct build_hdr h;
	build_hdr_begin(&h, w->out, w->eol, "Content-Type");
	char *t = xasprintf("multipart/%s", subtype);
	build_hdr_token(&h, " ", 1, t, strlen(t));
	free(t);
	/* RFC 2387 §3.1: related says what its root is. */
	if (type)
		build_hdr_param(&h, "type", type);
	build_hdr_param(&h, "boundary", bnd);
	build_hdr_end(&h);
	eol(w);
}

static void
delimiter(struct builder *w, const char *bnd, bool close)
{
	qu_buf_printf(w->out, "--%s%s", bnd, close ? "--" : "");
}

/* alternative(text, html), or text alone. */
static void
write_alternative(struct builder *w)
{
	const struct mime_build *b = w->b;
	if (!b->html) {
		write_text_leaf(w, "plain", b->text ? b->text : "", b->text_len);
		return;
	}
	char bnd[96];
	multipart_begin(w, "alternative", NULL, bnd, sizeof bnd);
	delimiter(w, bnd, false);
	eol(w);
	write_text_leaf(w, "plain", b->text ? b->text : "", b->text_len);
	eol(w);
	delimiter(w, bnd, false);
	eol(w);
	write_text_leaf(w, "html", b->html, b->html_len);
	eol(w);
	delimiter(w, bnd, true);
}

static void
write_related(struct builder *w)
{
	const struct mime_build *b = w->b;
	if (!b->n_inlines) {
		write_alternative(w);
		return;
	}
	char bnd[96];
	multipart_begin(w, "related", b->html ? "multipart/alternative" : "text/plain", bnd,
			sizeof bnd);
	delimiter(w, bnd, false);
	eol(w);
	write_alternative(w);
	for (size_t i = 0; i < b->n_inlines; i++) {
		eol(w);
		delimiter(w, bnd, false);
		eol(w);
		write_file_leaf(w, &w->inl[i], true);
	}
	eol(w);
	delimiter(w, bnd, true);
}

static void
write_mixed(struct builder *w)
{
	const struct mime_build *b = w->b;
	if (!b->n_attachments) {
		write_related(w);
		return;
	}
	char bnd[96];
	multipart_begin(w, "mixed", NULL, bnd, sizeof bnd);
	delimiter(w, bnd, false);
	eol(w);
	write_related(w);
	for (size_t i = 0; i < b->n_attachments; i++) {
		eol(w);
		delimiter(w, bnd, false);
		eol(w);
		write_file_leaf(w, &w->att[i], false);
	}
	eol(w);
	delimiter(w, bnd, true);
}

static bool
contains(const char *p, size_t n, const char *s)
{
	size_t sl = strlen(s);
	for (size_t i = 0; sl && i + sl <= n; i++) {
		const char *c = memchr(p + i, s[0], n - i - sl + 1);
		if (!c)
			return false;
		i = (size_t)(c - p);
		if (memcmp(c, s, sl) == 0)
			return true;
	}
	return false;
}

/* A boundary that occurs in no 7bit text (the only parts that can hold
 * one: quoted-printable and base64 never write "=_"). */
static void
choose_boundary(struct builder *w)
{
	const struct mime_build *b = w->b;
	if (b->fixed.boundary) {
		snprintf(w->bbase, sizeof w->bbase, "%s", b->fixed.boundary);
		return;
	}
	for (int tries = 0; tries < 8; tries++) {
		char r[25];
		random_word(r, 24);
		snprintf(w->bbase, sizeof w->bbase, "=_quail_%s", r);
		bool clash = (b->text && contains(b->text, b->text_len, w->bbase)) ||
			     (b->html && contains(b->html, b->html_len, w->bbase));
		if (!clash)
			return;
	}
}

int
mime_build_message(const struct mime_build *b, struct qu_buf *out, struct qu_err *err)
{
	struct builder w = {.b = b, .out = out, .eol = b->lf ? "\n" : "\r\n", .err = err};
	w.eol_len = strlen(w.eol);
	if (b->subject && build_check_header_text("Subject", b->subject, err) < 0)
		return -1;
	if (check_headers(b, err) < 0)
		return -1;
	for (size_t i = 0; i < b->n_attachments + b->n_inlines; i++) {
		const struct mime_build_file *f =
			i < b->n_inlines ? &b->inlines[i] : &b->attachments[i - b->n_inlines];
		if (f->name && build_check_header_text("file name", f->name, err) < 0)
			return -1;
	}
	size_t start = out->len;
	int rc = write_headers(&w);
	if (rc == 0)
		rc = files_load(&w);
	if (rc == 0) {
		choose_boundary(&w);
		write_mixed(&w);
		/* The message ends with a line end (a single part's text may
		 * already have one). */
		if (out->len < w.eol_len ||
		    memcmp(out->data + out->len - w.eol_len, w.eol, w.eol_len) != 0)
			eol(&w);
	}
	files_free(&w);
	/* qu_buf_append stops at the cap; a message cut short is no message. */
	if (rc == 0 && out->max != SIZE_MAX && out->len + 2 * w.eol_len >= out->max)
		rc = qu_err_set(err, QU_E_DATA, "message larger than %zu bytes", out->max);
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}
