/* quail fetch --pop3 (app_fetch_pop3) against scripted servers: what is
 * stored, what the journal says, resuming after an interruption, and that
 * DELE and QUIT come only when every copy is safe. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "config/config.h"
#include "app/app.h"
#include "peer.h"

#define LOGIN                                                                                \
	"S:+OK ready", "C:CAPA", "S:+OK", "S:USER", "S:UIDL", "S:PIPELINING", "S:.",            \
		"C:USER alice", "S:+OK", "C:PASS secret", "S:+OK in"
#define LIST2                                                                                \
	"C:LIST", "C:UIDL", "S:+OK", "S:1 14", "S:2 14", "S:.", "S:+OK", "S:1 u1", "S:2 u2", \
		"S:."
#define MSG1 "S:+OK", "S:Subject: 1", "S:."
#define MSG2 "S:+OK", "S:Subject: 2", "S:..", "S:."

static const char msg2[] = "Subject: 2\r\n.\r\n";

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/quail-fetch-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void
rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* Number of files in DIR/SUB. */
static int
count(const char *dir, const char *sub)
{
	char *p = xasprintf("%s/%s", dir, sub);
	DIR *d = opendir(p);
	free(p);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The journal's text. */
static char *
journal(const char *dir)
{
	char *p = xasprintf("%s/.quail/pop3-alice@127.0.0.1", dir);
	struct store_map m;
	char *s = store_map_file(p, &m, NULL) == 0 ? xstrndup(m.p, m.len) : xstrdup("");
	store_unmap(&m);
	free(p);
	return s;
}

struct run {
	struct cfg_account a;
	struct app_fetch_opts o;
	struct app_fetch_result r;
	struct qu_err err;
	int rc;
};

/* max_message_size for the next run_fetch (0: the default). */
static uint64_t run_max_size;

static void
run_fetch(struct run *x, struct peer *p, const char *dir, bool del)
{
	char *url = xasprintf("pop3+insecure://127.0.0.1:%u", (unsigned)p->port);
	memset(x, 0, sizeof *x);
	x->a.max_message_size = run_max_size;
	x->a.pop3 = url;
	x->a.user = "alice";
	x->a.password = "secret";
	x->a.maildir = (char *)dir;
	x->o.delete_after = del;
	struct app_net net = {.timeout_s = 5};
	x->rc = app_fetch_pop3(&x->a, &x->o, &net, &x->r, &x->err);
	free(url);
}

/* A message over max_message_size (by LIST) is skipped, reported and not
 * recorded, nor deleted with --delete; a run with a higher limit fetches
 * it. One that LIST calls small but that comes larger stops the run. */
START_TEST(test_max_message_size)
{
	static const char *const first[] = {
		LOGIN, "C:LIST", "C:UIDL", "S:+OK", "S:1 14", "S:2 5000", "S:.", "S:+OK", "S:1 u1",
		"S:2 u2", "S:.", "C:RETR 1", MSG1, "C:DELE 1", "S:+OK", "C:QUIT", "S:+OK", NULL,
	};
	static const char *const second[] = {
		LOGIN, "C:LIST", "C:UIDL", "S:+OK", "S:1 5000", "S:.", "S:+OK", "S:1 u2", "S:.",
		"C:RETR 1", MSG2, "C:QUIT", "S:+OK", NULL,
	};
	static const char *const liar[] = {
		LOGIN, "C:LIST", "C:UIDL", "S:+OK", "S:1 5", "S:.", "S:+OK", "S:1 u3", "S:.",
		"C:RETR 1", "S:+OK", "S:Subject: a lot longer than LIST said", "S:.", NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	run_max_size = 1000;
	peer_start(&p, first);
	run_fetch(&x, &p, dir, true);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_uint_eq(x.r.skipped, 1);
	ck_assert_uint_eq(x.r.deleted, 1);
	char *j = journal(dir);
	ck_assert_ptr_null(strstr(j, "u2"));
	free(j);
	run_max_size = 0;
	peer_start(&p, second);
	run_fetch(&x, &p, dir, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_uint_eq(x.r.skipped, 0);
	run_max_size = 20;
	peer_start(&p, liar);
	run_fetch(&x, &p, dir, false);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_ptr_nonnull(strstr(x.err.msg, "max_message_size"));
	peer_finish(&p);
	run_max_size = 0;
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_fetch_then_nothing_new)
{
	static const char *const first[] = {
		LOGIN, LIST2, "C:RETR 1", "C:RETR 2", MSG1, MSG2, "C:QUIT", "S:+OK", NULL,
	};
	static const char *const second[] = {LOGIN, LIST2, "C:QUIT", "S:+OK", NULL};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, first);
	run_fetch(&x, &p, dir, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 2);
	ck_assert_uint_eq(x.r.bytes, 12 + 15);
	ck_assert_uint_eq(x.r.folders, 1);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	ck_assert_int_eq(count(dir, "INBOX/tmp"), 0);
	char *j = journal(dir);
	ck_assert_ptr_nonnull(strstr(j, "C u1 INBOX/new/"));
	ck_assert_ptr_nonnull(strstr(j, "C u2 INBOX/new/"));
	ck_assert(strstr(j, "P u1") < strstr(j, "C u1"));
	free(j);

	peer_start(&p, second);
	run_fetch(&x, &p, dir, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 0);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Sets up what a run killed between rename and its D entry leaves: u1
 * done, u2 pending and (when stored) already in new/. u1's file has the
 * same bytes as u2 (a server may hold two identical messages): its D entry
 * claims it, so it must not be taken for u2's copy. */
static void
interrupted(const char *dir, bool stored)
{
	struct qu_err err;
	struct maildir *md = maildir_open(dir, true, &err);
	ck_assert_ptr_nonnull(md);
	char *rel1 = NULL;
	ck_assert_int_eq(maildir_deliver(md, msg2, sizeof msg2 - 1, NULL, false, &rel1, &err), 0);
	if (stored)
		ck_assert_int_eq(maildir_deliver(md, msg2, sizeof msg2 - 1, NULL, false, NULL, &err), 0);
	struct store_journal *jn = store_journal_open(dir, "pop3-alice@127.0.0.1", &err);
	ck_assert_ptr_nonnull(jn);
	char *line = xasprintf("P u1 D u1 %s P u2", rel1);
	ck_assert_int_eq(store_journal_append(jn, line, strlen(line), &err), 0);
	free(line);
	store_journal_free(jn);
	free(rel1);
	maildir_free(md);
}

/* A progress callback that asks to stop, and counts its calls. */
static bool
stop_now(void *ctx, const struct app_fetch_progress *pr)
{
	(void)pr;
	(*(int *)ctx)++;
	return true;
}

START_TEST(test_progress_stop_is_cancel)
{
	/* Stopped at the first message: no DELE, no QUIT (nothing removed),
	 * and the next run stores both. */
	static const char *const first[] = {
		LOGIN, LIST2, "C:RETR 1", "C:RETR 2", MSG1, MSG2, "NOMORE", NULL,
	};
	static const char *const second[] = {
		LOGIN, LIST2, "C:RETR 1", "C:RETR 2", MSG1, MSG2, "C:QUIT", "S:+OK", NULL,
	};
	char *dir = tmpdir();
	char *url = NULL;
	struct peer p;
	struct run x;
	peer_start(&p, first);
	memset(&x, 0, sizeof x);
	url = xasprintf("pop3+insecure://127.0.0.1:%u", (unsigned)p.port);
	x.a.pop3 = url;
	x.a.user = "alice";
	x.a.password = "secret";
	x.a.maildir = dir;
	int calls = 0;
	x.o.delete_after = true;
	x.o.progress = stop_now;
	x.o.progress_ctx = &calls;
	struct app_net net = {.timeout_s = 5};
	x.rc = app_fetch_pop3(&x.a, &x.o, &net, &x.r, &x.err);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_msg(x.err.cls == QU_E_CANCELED, "%s", x.err.msg);
	ck_assert(qu_err_is(&x.err, QU_R_CANCELED));
	ck_assert_int_gt(calls, 0);
	ck_assert_uint_eq(x.r.deleted, 0);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_int_eq(count(dir, "INBOX/new"), 0);
	free(url);

	peer_start(&p, second);
	run_fetch(&x, &p, dir, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 2);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	ck_assert_int_eq(count(dir, "INBOX/tmp"), 0);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* A stop that comes while the stale files of tmp/ are removed ends the
 * fetch there (CANCELED, exit 75) without removing the rest and without
 * connecting: nothing listens on the port. */
START_TEST(test_cancel_during_tmp_clean)
{
	char *dir = tmpdir();
	struct qu_err err = {0};
	char *inbox = xasprintf("%s/INBOX", dir);
	struct maildir *md = maildir_open(inbox, true, &err);
	ck_assert_ptr_nonnull(md);
	struct timespec old[2] = {{.tv_sec = time(NULL) - 48 * 3600}, {.tv_sec = time(NULL) - 48 * 3600}};
	for (int i = 0; i < 50; i++) {
		char *f = xasprintf("%s/tmp/%d.M1P1Q1.host", inbox, i);
		int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
		ck_assert_int_eq(utimensat(AT_FDCWD, f, old, 0), 0);
		free(f);
	}
	struct qu_cancel *c = qu_cancel_new();
	qu_cancel_fire(c);
	struct run x;
	memset(&x, 0, sizeof x);
	x.a.pop3 = "pop3+insecure://127.0.0.1:1";
	x.a.user = "alice";
	x.a.password = "secret";
	x.a.maildir = dir;
	struct app_net net = {.timeout_s = 5, .cancel = c};
	x.rc = app_fetch_pop3(&x.a, &x.o, &net, &x.r, &x.err);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_msg(x.err.cls == QU_E_CANCELED, "%s", x.err.msg);
	ck_assert_int_eq(count(dir, "INBOX/tmp"), 50);
	/* Without the stop they go (and the closed port is the error). */
	qu_cancel_reset(c);
	x.rc = app_fetch_pop3(&x.a, &x.o, &net, &x.r, &x.err);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_ne(x.err.cls, QU_E_CANCELED);
	ck_assert_int_eq(count(dir, "INBOX/tmp"), 0);
	qu_cancel_free(c);
	maildir_free(md);
	free(inbox);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_resume_finds_stored_copy)
{
	static const char *const script[] = {
		LOGIN, LIST2, "C:RETR 2", MSG2, "C:QUIT", "S:+OK", NULL,
	};
	char *dir = tmpdir();
	interrupted(dir, true);
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 0);
	ck_assert_uint_eq(x.r.already, 1);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	ck_assert_int_eq(count(dir, "INBOX/tmp"), 0);
	char *j = journal(dir);
	ck_assert_ptr_nonnull(strstr(j, "C u2 INBOX/new/"));
	free(j);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* A Maildir of an older quail, messages in DIR itself, whose move into
 * DIR/INBOX a kill cut short: one file moved, one not. The run finishes
 * the move, fetches nothing again, and leaves no DIR/new or DIR/cur. */
START_TEST(test_migrate_interrupted)
{
	static const char *const script[] = {LOGIN, LIST2, "C:QUIT", "S:+OK", NULL};
	char *dir = tmpdir();
	struct qu_err err;
	struct maildir *md = maildir_open(dir, true, &err);
	ck_assert_ptr_nonnull(md);
	char *rel1 = NULL, *rel2 = NULL;
	ck_assert_int_eq(maildir_deliver(md, msg2, sizeof msg2 - 1, NULL, false, &rel1, &err), 0);
	ck_assert_int_eq(maildir_deliver(md, "Subject: 1\r\n", 12, NULL, true, &rel2, &err), 0);
	maildir_free(md);
	struct store_journal *jn = store_journal_open(dir, "pop3-alice@127.0.0.1", &err);
	ck_assert_ptr_nonnull(jn);
	char *line = xasprintf("P u1 P u2 D u1 %s D u2 %s", rel1, rel2);
	ck_assert_int_eq(store_journal_append(jn, line, strlen(line), &err), 0);
	store_journal_free(jn);
	/* the kill came after the first rename */
	char *in = xasprintf("%s/INBOX", dir);
	md = maildir_open(in, true, &err);
	ck_assert_ptr_nonnull(md);
	maildir_free(md);
	char *a = xasprintf("%s/%s", dir, rel1), *b = xasprintf("%s/%s", in, rel1);
	ck_assert_int_eq(rename(a, b), 0);
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 0);
	ck_assert_int_eq(count(dir, "INBOX/new"), 1);
	ck_assert_int_eq(count(dir, "INBOX/cur"), 1);
	char *old = xasprintf("%s/new", dir);
	ck_assert_int_eq(access(old, F_OK), -1);
	free(old);
	old = xasprintf("%s/cur", dir);
	ck_assert_int_eq(access(old, F_OK), -1);
	free(old);
	free(a);
	free(b);
	free(in);
	free(line);
	free(rel1);
	free(rel2);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_resume_pending_not_stored)
{
	static const char *const script[] = {
		LOGIN, LIST2, "C:RETR 2", MSG2, "C:QUIT", "S:+OK", NULL,
	};
	char *dir = tmpdir();
	interrupted(dir, false);
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_uint_eq(x.r.already, 0);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Two pending messages with the same bytes and one stored copy: the copy
 * is found for one of them only, and the other is stored. */
START_TEST(test_resume_two_identical_pending)
{
	static const char *const script[] = {
		LOGIN, LIST2, "C:RETR 1", "C:RETR 2", MSG2, MSG2, "C:QUIT", "S:+OK", NULL,
	};
	char *dir = tmpdir();
	struct qu_err err;
	struct maildir *md = maildir_open(dir, true, &err);
	ck_assert_ptr_nonnull(md);
	ck_assert_int_eq(maildir_deliver(md, msg2, sizeof msg2 - 1, NULL, false, NULL, &err), 0);
	maildir_free(md);
	struct store_journal *jn = store_journal_open(dir, "pop3-alice@127.0.0.1", &err);
	ck_assert_ptr_nonnull(jn);
	ck_assert_int_eq(store_journal_append(jn, "P u1 P u2", 9, &err), 0);
	store_journal_free(jn);
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.already, 1);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	char *j = journal(dir);
	ck_assert_ptr_nonnull(strstr(j, "C u1 INBOX/new/"));
	ck_assert_ptr_nonnull(strstr(j, "C u2 INBOX/new/"));
	free(j);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_no_uidl_refused_without_delete)
{
	static const char *const script[] = {
		LOGIN, "C:LIST", "C:UIDL", "S:+OK", "S:1 14", "S:.", "S:-ERR no UIDL here", "NOMORE",
		NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, false);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_eq(x.err.cls, QU_E_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(x.err.msg, "UIDL"));
	ck_assert_ptr_nonnull(strstr(x.err.msg, "--delete"));
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_int_eq(count(dir, "INBOX/new"), 0);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_no_uidl_with_delete)
{
	static const char *const script[] = {
		LOGIN, "C:LIST", "C:UIDL", "S:+OK", "S:1 14", "S:.", "S:-ERR no UIDL here",
		"C:RETR 1", MSG1, "C:DELE 1", "S:+OK", "C:QUIT", "S:+OK", NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, true);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_uint_eq(x.r.deleted, 1);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_delete_after_durable)
{
	static const char *const script[] = {
		LOGIN, LIST2, "C:RETR 1", "C:RETR 2", MSG1, MSG2, "C:DELE 1", "C:DELE 2", "S:+OK",
		"S:+OK", "C:QUIT", "S:+OK", NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, true);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.deleted, 2);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_lost_connection_then_resume_with_delete)
{
	/* The connection dies inside message 2: no DELE, no QUIT, 75. */
	static const char *const cut[] = {
		LOGIN, LIST2, "C:RETR 1", "C:RETR 2", MSG1, "S:+OK", "S:Subject: 2", "CLOSE", NULL,
	};
	/* The next run fetches only message 2, and deletes both. */
	static const char *const again[] = {
		LOGIN, LIST2, "C:RETR 2", MSG2, "C:DELE 1", "C:DELE 2", "S:+OK", "S:+OK", "C:QUIT",
		"S:+OK", NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, cut);
	run_fetch(&x, &p, dir, true);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_eq(x.err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(x.err.msg, "pop3+insecure://127.0.0.1:"));
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_uint_eq(x.r.deleted, 0);
	ck_assert_int_eq(count(dir, "INBOX/new"), 1);
	ck_assert_int_eq(count(dir, "INBOX/tmp"), 0);

	peer_start(&p, again);
	run_fetch(&x, &p, dir, true);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_uint_eq(x.r.deleted, 2);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_retr_refused)
{
	/* A message the server will not send: the others are stored and
	 * deleted, that one stays, and the run fails (69). */
	static const char *const script[] = {
		LOGIN, LIST2, "C:RETR 1", "C:RETR 2", "S:-ERR message is corrupt", MSG2, "C:DELE 2",
		"S:+OK", "C:QUIT", "S:+OK", NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, true);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_eq(x.err.cls, QU_E_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(x.err.msg, "1 message could not be retrieved"));
	ck_assert_ptr_nonnull(strstr(x.err.msg, "corrupt"));
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_uint_eq(x.r.deleted, 1);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_login_refused)
{
	static const char *const script[] = {
		"S:+OK ready", "C:CAPA", "S:+OK", "S:USER", "S:.", "C:USER alice", "S:+OK",
		"C:PASS secret", "S:-ERR [AUTH] wrong", "C*", NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, true);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_eq(x.err.cls, QU_E_AUTH);
	ck_assert_int_eq(qu_err_exit_code(x.err.cls), 77);
	ck_assert_int_eq(peer_finish(&p), 0);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_maildir_unwritable)
{
	/* The Maildir path is a regular file: 74 before any connection. */
	char *dir = tmpdir();
	char *file = xasprintf("%s/file", dir);
	FILE *fp = fopen(file, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	struct peer p = {.port = 9};
	struct run x;
	run_fetch(&x, &p, file, false);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_eq(x.err.cls, QU_E_IOERR);
	ck_assert_int_eq(qu_err_exit_code(x.err.cls), 74);
	free(file);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_second_fetch_waits_for_lock)
{
	/* Another process holds the lock: 75, before any connection. */
	char *dir = tmpdir();
	char *sd = xasprintf("%s/.quail", dir);
	char *lk = xasprintf("%s/pop3-alice@127.0.0.1.lock", sd);
	ck_assert_int_eq(mkdir(sd, 0700), 0);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(lk, O_RDWR | O_CREAT, 0600);
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		sleep(10);
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	struct peer p = {.port = 9};
	struct run x;
	run_fetch(&x, &p, dir, false);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_eq(x.err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(x.err.msg, "another quail fetch"));
	close(fds[0]);
	close(fds[1]);
	free(lk);
	free(sd);
	rm_rf(dir);
	free(dir);
}
END_TEST

static Suite *
fetch_suite(void)
{
	Suite *s = suite_create("pop3-fetch");
	TCase *tc = tcase_create("fetch");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fetch_then_nothing_new);
	tcase_add_test(tc, test_max_message_size);
	tcase_add_test(tc, test_migrate_interrupted);
	tcase_add_test(tc, test_resume_finds_stored_copy);
	tcase_add_test(tc, test_resume_pending_not_stored);
	tcase_add_test(tc, test_resume_two_identical_pending);
	tcase_add_test(tc, test_no_uidl_refused_without_delete);
	tcase_add_test(tc, test_no_uidl_with_delete);
	tcase_add_test(tc, test_delete_after_durable);
	tcase_add_test(tc, test_lost_connection_then_resume_with_delete);
	tcase_add_test(tc, test_retr_refused);
	tcase_add_test(tc, test_login_refused);
	tcase_add_test(tc, test_maildir_unwritable);
	tcase_add_test(tc, test_second_fetch_waits_for_lock);
	tcase_add_test(tc, test_progress_stop_is_cancel);
	tcase_add_test(tc, test_cancel_during_tmp_clean);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	SRunner *sr = srunner_create(fetch_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
