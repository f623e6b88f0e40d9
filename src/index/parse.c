/* One message to what the index stores: the envelope (SPEC §7 decoding),
 * the thread headers, attachment names and the text of its text parts. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "mime/mime.h"
#include "store/store.h"

#include "index/private.h"

/* Most of a message file read for the index. */
#define INDEX_FILE_MAX (64u << 20)

struct index_parser {
	struct mime_charset_cache cache;
	struct qu_buf scratch, text, hdr;
	struct qu_buf file; /* the message being parsed */
};

struct index_parser *
index_parser_new(void)
{
	struct index_parser *ps = xcalloc(1, sizeof *ps);
	mime_charset_cache_init(&ps->cache);
	qu_buf_init(&ps->scratch, 64u << 20);
	qu_buf_init(&ps->text, 64u << 20);
	qu_buf_init(&ps->hdr, 1u << 20);
	qu_buf_init(&ps->file, INDEX_FILE_MAX + 1);
	return ps;
}

void
index_parser_free(struct index_parser *ps)
{
	if (!ps)
		return;
	mime_charset_cache_clear(&ps->cache);
	qu_buf_clear(&ps->scratch);
	qu_buf_clear(&ps->text);
	qu_buf_clear(&ps->hdr);
	qu_buf_clear(&ps->file);
	free(ps);
}

void
index_doc_free(struct index_doc *d)
{
	if (!d)
		return;
	char **s[] = {&d->path, &d->file, &d->uniq, &d->from_name, &d->from_addr, &d->to_list,
		&d->cc_list, &d->subject, &d->message_id, &d->in_reply_to, &d->refs, &d->list_id,
		&d->filenames, &d->sender, &d->recipients};
	for (size_t i = 0; i < QU_ARRAY_LEN(s); i++)
		free(*s[i]);
	qu_buf_clear(&d->body);
	free(d);
}

unsigned
index_flags_from_maildir(unsigned m)
{
	unsigned f = 0;
	f |= (m & MAILDIR_FLAG_SEEN) ? INDEX_FLAG_SEEN : 0;
	f |= (m & MAILDIR_FLAG_FLAGGED) ? INDEX_FLAG_FLAGGED : 0;
	f |= (m & MAILDIR_FLAG_REPLIED) ? INDEX_FLAG_REPLIED : 0;
	f |= (m & MAILDIR_FLAG_TRASHED) ? INDEX_FLAG_DELETED : 0;
	f |= (m & MAILDIR_FLAG_DRAFT) ? INDEX_FLAG_DRAFT : 0;
	f |= (m & MAILDIR_FLAG_PASSED) ? INDEX_FLAG_PASSED : 0;
	return f;
}

/* RFC 5322 §3.6.4: msg-id is "<" id-left "@" id-right ">"; real mail
 * also has ids without "@", with spaces, or bare. Angle-bracketed ids are
 * taken as written (inner white space removed); a value without any "<"
 * is taken whole as one id when it has no white space. */
char *
index_msgids(const char *p, size_t n)
{
	struct qu_buf b;
	qu_buf_init(&b, 1u << 20);
	size_t i = 0;
	bool any = false;
	while (i < n) {
		if (p[i] != '<') {
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < n && p[j] != '>' && p[j] != '<')
			j++;
		if (j >= n || p[j] != '>') {
			i = j;
			continue;
		}
		size_t start = b.len;
		if (b.len)
			qu_buf_append_byte(&b, ' ');
		size_t mark = b.len;
		for (size_t k = i + 1; k < j; k++)
			if (!isspace((unsigned char)p[k]))
				qu_buf_append_byte(&b, p[k]);
		if (b.len == mark) {
			b.len = start; /* "<>" names nothing */
			if (b.data)
				b.data[b.len] = '\0';
		} else {
			any = true;
		}
		i = j + 1;
	}
	if (!any) {
		const char *q = p;
		size_t m = n;
		qu_mem_trim(&q, &m);
		bool ws = false;
		for (size_t k = 0; k < m; k++)
			ws = ws || isspace((unsigned char)q[k]) || q[k] == '<' || q[k] == '>';
		if (m && !ws && memchr(q, '@', m)) {
			qu_buf_reset(&b);
			qu_buf_append(&b, q, m);
			any = true;
		}
	}
	if (!any) {
		qu_buf_clear(&b);
		return NULL;
	}
	return qu_buf_steal(&b, NULL);
}

/* "Name <addr>, addr2, ..." of a list; NULL when empty. Also appends
 * names and addresses to fts (space separated) for the full text. */
static char *
addr_list_text(const struct mime_addr_list *l, struct qu_buf *fts)
{
	if (l->n == 0)
		return NULL;
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < l->n; i++) {
		const struct mime_addr *a = &l->v[i];
		if (i)
			qu_buf_append_str(&b, ", ");
		if (a->name && a->address) {
			/* Quoted when it holds specials (RFC 5322 §3.2.3), so
			 * the list reads back as the same addresses. */
			if (strpbrk(a->name, ",;:<>\"@()[]\\")) {
				qu_buf_append_byte(&b, '"');
				for (const char *c = a->name; *c; c++) {
					if (*c == '"' || *c == '\\')
						qu_buf_append_byte(&b, '\\');
					qu_buf_append_byte(&b, *c);
				}
				qu_buf_printf(&b, "\" <%s>", a->address);
			} else {
				qu_buf_printf(&b, "%s <%s>", a->name, a->address);
			}
		} else
			qu_buf_append_str(&b, a->name ? a->name : a->address ? a->address : "");
		qu_buf_printf(fts, "%s%s %s", fts->len ? " " : "", a->name ? a->name : "",
			a->address ? a->address : "");
	}
	return qu_buf_steal(&b, NULL);
}

/* An mbox keeps flags in Status (R read, O old) and X-Status (A
 * answered, F flagged, D deleted, T draft), as mutt and Thunderbird
 * write them. */
static void
mbox_flags(const char *p, size_t n, struct index_doc *d)
{
	for (size_t i = 0; i < n; i++) {
		switch (p[i]) {
		case 'R':
			d->flags |= INDEX_FLAG_SEEN;
			break;
		case 'A':
			d->flags |= INDEX_FLAG_REPLIED;
			break;
		case 'F':
			d->flags |= INDEX_FLAG_FLAGGED;
			break;
		case 'D':
			d->flags |= INDEX_FLAG_DELETED;
			break;
		case 'T':
			d->flags |= INDEX_FLAG_DRAFT;
			break;
		default:
			break;
		}
	}
}

/* The first In-Reply-To, References and List-Id of the header block,
 * and an mbox message's flags. */
static void
thread_headers(struct index_parser *ps, const char *p, size_t n, struct index_doc *d)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	mime_header_iter_init(&it, p, n, NULL);
	while (mime_header_iter_next(&it, &f)) {
		char **slot = NULL;
		if (d->mem && (qu_mem_eq_ci(f.name, f.name_len, "status") ||
				      qu_mem_eq_ci(f.name, f.name_len, "x-status"))) {
			mbox_flags(f.value, f.value_len, d);
			continue;
		}
		if (qu_mem_eq_ci(f.name, f.name_len, "in-reply-to"))
			slot = &d->in_reply_to;
		else if (qu_mem_eq_ci(f.name, f.name_len, "references"))
			slot = &d->refs;
		else if (qu_mem_eq_ci(f.name, f.name_len, "list-id"))
			slot = &d->list_id;
		if (!slot || *slot)
			continue;
		qu_buf_reset(&ps->hdr);
		if (mime_header_unfold(f.value, f.value_len, &ps->hdr) < 0)
			continue;
		if (slot == &d->list_id) {
			char *s = index_msgids(ps->hdr.data, ps->hdr.len);
			*slot = s ? s : mime_text_decode(ps->hdr.data, ps->hdr.len, MIME_TEXT_TRIM,
						 &ps->cache, NULL);
		} else {
			*slot = index_msgids(ps->hdr.data, ps->hdr.len);
		}
		if (slot == &d->in_reply_to && *slot) {
			/* Only the first id counts; the rest is often junk. */
			char *sp = strchr(*slot, ' ');
			if (sp)
				*sp = '\0';
		}
	}
}

/* Appends the text of the text leaves (not attachments) to d->body
 * (unless d->no_text), and collects attachment names. */
static void
parts(struct index_parser *ps, struct mime_part *root, struct index_doc *d)
{
	struct qu_buf names;
	qu_buf_init(&names, 1u << 20);
	for (struct mime_part *pt = root; pt; pt = mime_part_next(pt, root)) {
		if (pt->kind != MIME_PART_LEAF)
			continue;
		if (pt->filename && *pt->filename) {
			if (names.len)
				qu_buf_append_byte(&names, '\n');
			qu_buf_append_str(&names, pt->filename);
		}
		if (mime_part_is_attachment(pt))
			d->has_attachment = true;
		if (d->no_text || !mime_part_is_text(pt) ||
			pt->disposition == MIME_DISPOSITION_ATTACHMENT || d->body.len >= INDEX_BODY_MAX)
			continue;
		struct qu_err err = {0};
		if (mime_part_text(pt, &ps->cache, &ps->scratch, &ps->text, NULL, &err) < 0 ||
			ps->text.len == 0)
			continue;
		size_t room = INDEX_BODY_MAX - d->body.len;
		size_t start = d->body.len;
		if (start)
			qu_buf_append_byte(&d->body, '\n');
		if (strcmp(pt->content_type, "text/html") == 0) {
			/* Full at the cap is fine: the start is indexed. */
			struct mime_html_opts ho = {.width = 0, .links = false};
			(void)mime_html_to_text(ps->text.data, ps->text.len, &ho, &d->body);
		} else
			qu_buf_append(&d->body, ps->text.data, ps->text.len < room ? ps->text.len : room);
	}
	if (names.len)
		d->filenames = qu_buf_steal(&names, NULL);
	qu_buf_clear(&names);
}

static void
parse_bytes(struct index_parser *ps, const char *p, size_t n, struct index_doc *d)
{
	struct mime_opts o = {.cache = &ps->cache};
	struct mime_part *root = mime_parse(p, n, &o, NULL);
	const struct mime_envelope *e = root->envelope;
	if (e) {
		if (e->subject)
			d->subject = xstrdup(e->subject);
		if (e->message_id)
			d->message_id = xstrdup(e->message_id);
		if (e->date) {
			d->has_date = true;
			d->date = mime_date_to_unix(&e->when);
		}
		if (e->from.n) {
			if (e->from.v[0].name)
				d->from_name = xstrdup(e->from.v[0].name);
			if (e->from.v[0].address)
				d->from_addr = xstrdup(e->from.v[0].address);
		}
		struct qu_buf s, r;
		qu_buf_init(&s, SIZE_MAX);
		qu_buf_init(&r, SIZE_MAX);
		free(addr_list_text(&e->from, &s));
		d->to_list = addr_list_text(&e->to, &r);
		d->cc_list = addr_list_text(&e->cc, &r);
		d->sender = s.len ? qu_buf_steal(&s, NULL) : NULL;
		d->recipients = r.len ? qu_buf_steal(&r, NULL) : NULL;
		qu_buf_clear(&s);
		qu_buf_clear(&r);
	}
	thread_headers(ps, p, root->body_off, d);
	parts(ps, root, d);
	mime_part_free(root);
}

/* Files up to this size are read into the parser's reused buffer; larger
 * ones (mostly attachments) are mapped for their parse and unmapped after,
 * so no buffer stays at the size of the largest message seen. */
#define INDEX_READ_MAX (256u << 10)

/* A working buffer grown past this by one big message is let go after it. */
#define INDEX_KEEP_MAX (512u << 10)

/* A message file as the parser sees it: read into the parser's buffer, or
 * mapped (p and n the mapping) when larger than INDEX_READ_MAX. */
struct msg_bytes {
	const char *p;
	size_t n;
	bool mapped;
};

/* Reads the file at path into b (reset first), or maps it when it is larger
 * than INDEX_READ_MAX. Returns 0, -1 when it is gone (ENOENT, ENOTDIR), or
 * -2 when it is there and cannot be read (no permission, not a regular
 * file); at most INDEX_FILE_MAX bytes are parsed: the rest of
 * a larger message is attachments the index does not read anyway. Reading
 * small files into one reused buffer, rather than mapping each, spares the
 * two parsing threads a TLB shootdown per message. */
static int
read_file(const char *path, struct qu_buf *b, struct msg_bytes *m)
{
	/* O_NONBLOCK: a FIFO among the messages would hold the open for ever
	 * waiting for a writer; it is no regular file and is left out. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -1 : -2;
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -2;
	}
	qu_buf_reset(b);
	size_t want = (uint64_t)sb.st_size < INDEX_FILE_MAX ? (size_t)sb.st_size : INDEX_FILE_MAX;
	if (want > INDEX_READ_MAX) {
		void *p = mmap(NULL, want, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			close(fd);
			*m = (struct msg_bytes){p, want, true};
			return 0;
		}
	}
	char *dst = qu_buf_reserve(b, want + 1);
	size_t got = 0;
	while (dst && got < want) {
		ssize_t r = read(fd, dst + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* shorter than stat said: take what is there */
		got += (size_t)r;
	}
	close(fd);
	if (dst)
		qu_buf_commit(b, got);
	*m = (struct msg_bytes){b->data ? b->data : "", b->len, false};
	return 0;
}

static void
buf_trim(struct qu_buf *b)
{
	if (b->alloc > INDEX_KEEP_MAX)
		qu_buf_clear(b);
}

void
index_parser_run(struct index_parser *ps, struct index_doc *d)
{
	qu_buf_init(&d->body, INDEX_BODY_MAX + 16);
	if (d->mem) {
		parse_bytes(ps, d->mem, d->mem_len, d);
		return;
	}
	struct msg_bytes m;
	int r = read_file(d->path, &ps->file, &m);
	if (r < 0) {
		/* Gone between the listing and now (moved by another
		 * reader): the next run finds it under its new name. */
		d->vanished = true;
		d->unreadable = r == -2;
		return;
	}
	parse_bytes(ps, m.p, m.n, d);
	if (m.mapped)
		munmap((void *)m.p, m.n);
	buf_trim(&ps->file);
	buf_trim(&ps->scratch);
	buf_trim(&ps->text);
	buf_trim(&ps->hdr);
}
