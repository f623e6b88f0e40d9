/* Drives app_imap_live for tests/integration/imap-live.sh: commands on
 * stdin, one answer line each on stdout, so that the script can act on the
 * server (deliver, kick, doveadm) between them.
 *
 *   live_driver URL USER PASSWORD_COMMAND CA_FILE
 *
 * Commands (times are CLOCK_REALTIME milliseconds, "now" as the script's
 * date +%s%3N):
 *   select FOLDER          -> ok messages=N uidvalidity=N uidnext=N
 *   headers UIDS FILE      -> ok count=N ms=T; FILE gets "uid flags msgid"
 *   part UID SECTION FILE  -> ok size=N ms=T; FILE gets the bytes
 *   store UIDS OP FLAGS [MODSEQ] -> ok modified=N   (FLAGS: letters of
 *                             SFDTA; MODSEQ: UNCHANGEDSINCE)
 *   move UIDS FOLDER       -> ok new=UIDS
 *   copy UIDS FOLDER       -> ok new=UIDS
 *   append FOLDER FILE     -> ok new=UID
 *   folders                -> ok n=N; then one line "NAME messages unseen
 *                             special" a folder
 *   expunge                -> ok
 *   idle on|off            -> ok
 *   noop-timed             -> ok ms=T   (post to DONE, from IDLE)
 *   cancel-timed           -> ok ms=T class=C running=1  (a HEADERS 1:*
 *                             canceled after its first batch came)
 *   wait-event KIND MS     -> ok at=TIME num=N  (exists, expunge, flags, vanished)
 *   wait-conn up|down MS   -> ok at=TIME folder=F messages=N
 *   now                    -> ok at=TIME
 * Failures answer "err CLASS REASON: message". */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "config/config.h"
#include "app/app.h"

#define MAX_SEEN 4096

static int64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Replies taken from the session, each with when it was taken. */
struct seen {
	struct app_live_reply *r;
	int64_t at;
};

struct drv {
	struct app_imap_live *l;
	struct seen v[MAX_SEEN];
	size_t n;
	FILE *headers; /* the open file of a HEADERS request */
	size_t count;
};

static void
pump(struct drv *d, int ms)
{
	struct pollfd p = {.fd = app_imap_live_fd(d->l), .events = POLLIN};
	if (poll(&p, 1, ms) <= 0)
		return;
	struct app_live_reply *r;
	while ((r = app_imap_live_next_reply(d->l))) {
		int64_t at = wall_ms();
		if (r->kind == APP_LIVE_MESSAGES && d->headers) {
			for (size_t i = 0; i < r->n_msgs; i++) {
				const struct app_live_msg *m = &r->msgs[i];
				struct qu_buf b;
				qu_buf_init(&b, 4096);
				if (m->message_id)
					qu_buf_append_safe(&b, m->message_id,
							   strlen(m->message_id), false);
				fprintf(d->headers, "%u %u %s\n", (unsigned)m->uid, m->flags,
					b.len ? b.data : "-");
				qu_buf_clear(&b);
			}
			d->count += r->n_msgs;
			app_live_reply_free(r);
			continue;
		}
		if (d->n == MAX_SEEN) {
			app_live_reply_free(r);
			continue;
		}
		d->v[d->n++] = (struct seen){r, at};
	}
}

static void
forget(struct drv *d, size_t i)
{
	app_live_reply_free(d->v[i].r);
	memmove(&d->v[i], &d->v[i + 1], (d->n - i - 1) * sizeof d->v[0]);
	d->n--;
}

/* Waits for the DONE of id; returns its index or -1 after ms. */
static long
wait_done(struct drv *d, uint64_t id, int ms)
{
	int64_t end = qu_now_ms() + ms;
	for (;;) {
		for (size_t i = 0; i < d->n; i++)
			if (d->v[i].r->kind == APP_LIVE_DONE && d->v[i].r->id == id)
				return (long)i;
		int64_t left = end - qu_now_ms();
		if (left <= 0)
			return -1;
		pump(d, (int)left);
	}
}

static void
print_err(const struct qu_err *e)
{
	struct qu_buf b;
	qu_buf_init(&b, 2048);
	qu_buf_append_safe(&b, e->msg, strlen(e->msg), false);
	printf("err %s %s/%s: %s\n", qu_err_class_name(e->cls), qu_err_reason_name(e->reason),
	       e->code[0] ? e->code : "-", b.data);
	qu_buf_clear(&b);
}

/* Posts r, waits for its DONE (60 s); prints "err ..." and returns -1 on
 * failure, else the index of the DONE (to be forgotten by the caller). */
static long
call(struct drv *d, const struct app_live_req *r)
{
	uint64_t id = app_imap_live_post(d->l, r);
	long i = wait_done(d, id, 60000);
	if (i < 0) {
		printf("err timeout no answer\n");
		return -1;
	}
	if (d->v[i].r->err.cls != QU_E_OK) {
		print_err(&d->v[i].r->err);
		forget(d, (size_t)i);
		return -1;
	}
	return i;
}

static unsigned
flag_letters(const char *s)
{
	unsigned f = 0;
	for (; *s; s++) {
		switch (*s) {
		case 'S': f |= APP_LIVE_SEEN; break;
		case 'F': f |= APP_LIVE_FLAGGED; break;
		case 'D': f |= APP_LIVE_DRAFT; break;
		case 'T': f |= APP_LIVE_DELETED; break;
		case 'A': f |= APP_LIVE_ANSWERED; break;
		}
	}
	return f;
}

static int
file_sink(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	if (fwrite(p, 1, n, ctx) != n)
		return qu_err_sys(err, QU_E_IOERR, errno, "write");
	return 0;
}

static const char *
ev_name(enum app_live_event_kind k)
{
	switch (k) {
	case APP_LIVE_EV_EXISTS: return "exists";
	case APP_LIVE_EV_EXPUNGE: return "expunge";
	case APP_LIVE_EV_FLAGS: return "flags";
	case APP_LIVE_EV_VANISHED: return "vanished";
	}
	return "?";
}

static void
wait_event(struct drv *d, const char *kind, int ms)
{
	int64_t end = qu_now_ms() + ms;
	for (;;) {
		for (size_t i = 0; i < d->n; i++) {
			struct app_live_reply *r = d->v[i].r;
			if (r->kind != APP_LIVE_EVENT || strcmp(ev_name(r->ev), kind) != 0)
				continue;
			printf("ok at=%lld num=%u\n", (long long)d->v[i].at, (unsigned)r->num);
			forget(d, i);
			return;
		}
		int64_t left = end - qu_now_ms();
		if (left <= 0) {
			printf("err timeout no %s event\n", kind);
			return;
		}
		pump(d, (int)left);
	}
}

static void
wait_conn(struct drv *d, bool up, int ms)
{
	int64_t end = qu_now_ms() + ms;
	for (;;) {
		for (size_t i = 0; i < d->n; i++) {
			struct app_live_reply *r = d->v[i].r;
			if (r->kind != APP_LIVE_CONN || r->up != up)
				continue;
			printf("ok at=%lld folder=%s messages=%u\n", (long long)d->v[i].at,
			       r->folder ? r->folder : "-", (unsigned)r->status.messages);
			forget(d, i);
			return;
		}
		int64_t left = end - qu_now_ms();
		if (left <= 0) {
			printf("err timeout no conn %s\n", up ? "up" : "down");
			return;
		}
		pump(d, (int)left);
	}
}

static void
cmd_headers(struct drv *d, const char *uids, const char *file)
{
	d->headers = fopen(file, "w");
	if (!d->headers) {
		printf("err ioerr cannot write %s\n", file);
		return;
	}
	d->count = 0;
	int64_t t0 = qu_now_ms();
	struct app_live_req r = {.op = APP_LIVE_HEADERS, .uids = uids,
				 .want = APP_LIVE_WANT_ENVELOPE | APP_LIVE_WANT_STRUCTURE};
	long i = call(d, &r);
	fclose(d->headers);
	d->headers = NULL;
	if (i < 0)
		return;
	printf("ok count=%zu ms=%lld\n", d->count, (long long)(qu_now_ms() - t0));
	forget(d, (size_t)i);
}

static void
cmd_part(struct drv *d, const char *uid, const char *section, const char *file)
{
	FILE *f = fopen(file, "w");
	if (!f) {
		printf("err ioerr cannot write %s\n", file);
		return;
	}
	int64_t t0 = qu_now_ms();
	struct app_live_req r = {.op = APP_LIVE_PART, .uid = (uint32_t)strtoul(uid, NULL, 10),
				 .section = strcmp(section, "-") ? section : "", .sink = file_sink,
				 .sink_ctx = f};
	long i = call(d, &r);
	fclose(f);
	if (i < 0)
		return;
	printf("ok size=%llu ms=%lld\n", (unsigned long long)d->v[i].r->part_size,
	       (long long)(qu_now_ms() - t0));
	forget(d, (size_t)i);
}

/* A request while idling: how long from posting to its answer. */
static void
cmd_noop_timed(struct drv *d)
{
	int64_t t0 = qu_now_ms();
	struct app_live_req r = {.op = APP_LIVE_NOOP};
	long i = call(d, &r);
	if (i < 0)
		return;
	printf("ok ms=%lld\n", (long long)(qu_now_ms() - t0));
	forget(d, (size_t)i);
}

/* A long request canceled at once: how long until it says so. */
static void
cmd_cancel_timed(struct drv *d)
{
	struct app_live_req r = {.op = APP_LIVE_HEADERS, .uids = "1:*",
				 .want = APP_LIVE_WANT_ENVELOPE | APP_LIVE_WANT_STRUCTURE};
	uint64_t id = app_imap_live_post(d->l, &r);
	/* Canceled once it runs: after its first batch of messages. */
	bool running = false;
	int64_t end = qu_now_ms() + 10000;
	while (!running && qu_now_ms() < end) {
		pump(d, 10);
		for (size_t k = 0; k < d->n; k++)
			if (d->v[k].r->kind == APP_LIVE_MESSAGES && d->v[k].r->id == id)
				running = true;
	}
	int64_t t0 = qu_now_ms();
	app_imap_live_cancel(d->l, id);
	long i = wait_done(d, id, 60000);
	if (i < 0) {
		printf("err timeout no answer\n");
		return;
	}
	printf("ok ms=%lld class=%s running=%d\n", (long long)(qu_now_ms() - t0),
	       qu_err_class_name(d->v[i].r->err.cls), running);
	forget(d, (size_t)i);
	/* Messages of the canceled request are not wanted. */
	for (size_t k = 0; k < d->n;)
		if (d->v[k].r->kind == APP_LIVE_MESSAGES)
			forget(d, k);
		else
			k++;
}

static void
print_new(struct drv *d, size_t i)
{
	const char *u = d->v[i].r->new_uids ? d->v[i].r->new_uids : "-";
	struct qu_buf b;
	qu_buf_init(&b, 4096);
	qu_buf_append_safe(&b, u, strlen(u), false);
	printf("ok new=%s\n", b.data);
	qu_buf_clear(&b);
	forget(d, i);
}

static void
cmd_append(struct drv *d, const char *folder, const char *file)
{
	FILE *f = fopen(file, "rb");
	struct qu_buf m;
	qu_buf_init(&m, 64u << 20);
	char buf[65536];
	size_t k;
	while (f && (k = fread(buf, 1, sizeof buf, f)) > 0)
		qu_buf_append(&m, buf, k);
	if (f)
		fclose(f);
	struct app_live_req r = {.op = APP_LIVE_APPEND, .folder = folder, .msg = m.data,
				 .msg_len = m.len, .flags = APP_LIVE_SEEN};
	long i = call(d, &r);
	qu_buf_clear(&m);
	if (i >= 0)
		print_new(d, (size_t)i);
}

static void
cmd_folders(struct drv *d)
{
	long i = call(d, &(struct app_live_req){.op = APP_LIVE_FOLDERS});
	if (i < 0)
		return;
	const struct app_live_reply *r = d->v[i].r;
	printf("ok n=%zu\n", r->n_folders);
	for (size_t k = 0; k < r->n_folders; k++) {
		const struct app_live_folder *f = &r->folders[k];
		struct qu_buf b;
		qu_buf_init(&b, 4096);
		qu_buf_append_safe(&b, f->name, f->name_len, false);
		printf("%s %u %u %s\n", b.data, (unsigned)f->messages, (unsigned)f->unseen,
		       f->special ? f->special : "-");
		qu_buf_clear(&b);
	}
	forget(d, (size_t)i);
}

static void
command(struct drv *d, char *line)
{
	char *w[5] = {0};
	int n = 0;
	for (char *t = strtok(line, " \n"); t && n < 5; t = strtok(NULL, " \n"))
		w[n++] = t;
	if (!n)
		return;
	struct app_live_req r = {0};
	long i;
	if (!strcmp(w[0], "select") && n == 2) {
		r.op = APP_LIVE_SELECT;
		r.folder = w[1];
		if ((i = call(d, &r)) >= 0) {
			const struct app_live_status *st = &d->v[i].r->status;
			printf("ok messages=%u uidvalidity=%u uidnext=%u\n", (unsigned)st->messages,
			       (unsigned)st->uidvalidity, (unsigned)st->uidnext);
			forget(d, (size_t)i);
		}
	} else if (!strcmp(w[0], "headers") && n == 3) {
		cmd_headers(d, w[1], w[2]);
	} else if (!strcmp(w[0], "part") && n == 4) {
		cmd_part(d, w[1], w[2], w[3]);
	} else if (!strcmp(w[0], "store") && n >= 4) {
		r.op = APP_LIVE_STORE;
		r.uids = w[1];
		r.store_op = w[2][0];
		r.flags = flag_letters(w[3]);
		r.unchangedsince = n > 4 ? strtoull(w[4], NULL, 10) : 0;
		if ((i = call(d, &r)) >= 0) {
			printf("ok modified=%zu\n", d->v[i].r->n_modified);
			forget(d, (size_t)i);
		}
	} else if ((!strcmp(w[0], "move") || !strcmp(w[0], "copy")) && n == 3) {
		r.op = w[0][0] == 'm' ? APP_LIVE_MOVE : APP_LIVE_COPY;
		r.uids = w[1];
		r.folder = w[2];
		if ((i = call(d, &r)) >= 0)
			print_new(d, (size_t)i);
	} else if (!strcmp(w[0], "append") && n == 3) {
		cmd_append(d, w[1], w[2]);
	} else if (!strcmp(w[0], "folders")) {
		cmd_folders(d);
	} else if (!strcmp(w[0], "expunge") || !strcmp(w[0], "idle")) {
		r.op = w[0][0] == 'e' ? APP_LIVE_EXPUNGE : APP_LIVE_IDLE;
		r.on = n > 1 && !strcmp(w[1], "on");
		if ((i = call(d, &r)) >= 0) {
			printf("ok\n");
			forget(d, (size_t)i);
		}
	} else if (!strcmp(w[0], "noop-timed")) {
		cmd_noop_timed(d);
	} else if (!strcmp(w[0], "cancel-timed")) {
		cmd_cancel_timed(d);
	} else if (!strcmp(w[0], "wait-event") && n == 3) {
		wait_event(d, w[1], atoi(w[2]));
	} else if (!strcmp(w[0], "wait-conn") && n == 3) {
		wait_conn(d, !strcmp(w[1], "up"), atoi(w[2]));
	} else if (!strcmp(w[0], "now")) {
		printf("ok at=%lld\n", (long long)wall_ms());
	} else if (!strcmp(w[0], "clear")) {
		pump(d, 0);
		while (d->n)
			forget(d, 0);
		printf("ok\n");
	} else {
		printf("err usage unknown command\n");
	}
}

int
main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: live_driver URL USER PASSWORD_COMMAND CA_FILE\n");
		return 64;
	}
	struct cfg_account a = {.imap = argv[1], .user = argv[2], .password_command = argv[3],
				.ca_file = argv[4], .imap_id = true};
	struct app_net net = {.timeout_s = 20};
	struct qu_err err;
	struct drv *d = xcalloc(1, sizeof *d);
	d->l = app_imap_live_open(&a, &net, &err);
	if (!d->l) {
		print_err(&err);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	char line[4096];
	for (;;) {
		/* Replies are taken (and timed) while the script is quiet. */
		struct pollfd p[2] = {{.fd = 0, .events = POLLIN},
				      {.fd = app_imap_live_fd(d->l), .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			pump(d, 0);
		if (!p[0].revents)
			continue;
		if (!fgets(line, sizeof line, stdin) || !strncmp(line, "quit", 4))
			break;
		command(d, line);
	}
	int64_t t0 = qu_now_ms();
	app_imap_live_close(d->l);
	fprintf(stderr, "closed in %lld ms\n", (long long)(qu_now_ms() - t0));
	while (d->n)
		forget(d, 0);
	free(d);
	return 0;
}
