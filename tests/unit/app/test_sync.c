/*
 * quail sync's merge rules (src/app/sync_merge.c): the per-flag merge over
 * every combination of last-synced, local and server value, the decision
 * table of what happens to a message, the state file's lines and
 * names, the record of the Maildir's directories and the summary of a
 * state file (sync_state.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "app/sync_private.h"

#define S MAILDIR_FLAG_SEEN
#define F MAILDIR_FLAG_FLAGGED
#define R MAILDIR_FLAG_REPLIED

/* One flag, all eight combinations: the side that changed it wins; both
 * changed means both hold the same value. */
START_TEST(test_one_flag_table)
{
	static const struct {
		unsigned last, local, server, result;
	} t[] = {
		{0, 0, 0, 0}, /* unchanged */
		{0, S, 0, S}, /* set here */
		{0, 0, S, S}, /* set on the server */
		{0, S, S, S}, /* both set it */
		{S, S, S, S}, /* unchanged */
		{S, 0, S, 0}, /* cleared here */
		{S, S, 0, 0}, /* cleared on the server */
		{S, 0, 0, 0}, /* both cleared it */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct app_sync_flags m;
		app_sync_merge_flags(true, t[i].last, t[i].local, t[i].server, &m);
		ck_assert_msg(m.result == t[i].result, "case %zu: result %u", i, m.result);
		ck_assert_uint_eq(m.server_add, t[i].result & ~t[i].server);
		ck_assert_uint_eq(m.server_del, t[i].server & ~t[i].result);
		ck_assert_int_eq(m.local_change, t[i].result != t[i].local);
	}
}
END_TEST

/* Flags merge independently: one set here, another cleared there. */
START_TEST(test_flags_independent)
{
	struct app_sync_flags m;
	/* last S; here +F; server -S and +R */
	app_sync_merge_flags(true, S, S | F, R, &m);
	ck_assert_uint_eq(m.result, F | R);
	ck_assert_uint_eq(m.server_add, F);
	ck_assert_uint_eq(m.server_del, 0);
	ck_assert(m.local_change);
	/* T and keyword bits are never merged or pushed */
	app_sync_merge_flags(true, 0, MAILDIR_FLAG_TRASHED, 0, &m);
	ck_assert_uint_eq(m.result, 0);
	ck_assert_uint_eq(m.server_add, 0);
}
END_TEST

/* Never synced (paired by content): a union, nothing taken away. */
START_TEST(test_unknown_union)
{
	struct app_sync_flags m;
	app_sync_merge_flags(false, 0, S, F, &m);
	ck_assert_uint_eq(m.result, S | F);
	ck_assert_uint_eq(m.server_add, S);
	ck_assert_uint_eq(m.server_del, 0);
	ck_assert(m.local_change);
	/* a stale "last" is ignored */
	app_sync_merge_flags(false, S | F | R, 0, 0, &m);
	ck_assert_uint_eq(m.result, 0);
}
END_TEST

START_TEST(test_flag_mapping)
{
	unsigned md = S | F | R | MAILDIR_FLAG_DRAFT | MAILDIR_FLAG_PASSED;
	ck_assert_uint_eq(app_sync_flags_from_imap(app_sync_flags_to_imap(md)), md);
	ck_assert_uint_eq(app_sync_flags_to_imap(MAILDIR_FLAG_TRASHED), 0);
}
END_TEST

static enum app_sync_act
decide(bool synced, bool trusted, bool local, bool trash, bool moved, bool server)
{
	struct app_sync_case c = {synced, trusted, local, trash, moved, server};
	return app_sync_decide(&c);
}

START_TEST(test_decide_trusted)
{
	ck_assert_int_eq(decide(1, 1, 1, 0, 0, 1), APP_SYNC_KEEP);
	ck_assert_int_eq(decide(1, 1, 1, 1, 0, 1), APP_SYNC_DELETE_SERVER); /* trashed here */
	ck_assert_int_eq(decide(1, 1, 0, 0, 0, 1), APP_SYNC_DELETE_SERVER); /* removed here */
	ck_assert_int_eq(decide(1, 1, 0, 0, 1, 1), APP_SYNC_MOVE);          /* moved here */
	ck_assert_int_eq(decide(1, 1, 1, 0, 0, 0), APP_SYNC_DELETE_LOCAL);  /* expunged there */
	ck_assert_int_eq(decide(1, 1, 1, 1, 0, 0), APP_SYNC_DELETE_LOCAL);
	ck_assert_int_eq(decide(1, 1, 0, 0, 0, 0), APP_SYNC_FORGET);
	ck_assert_int_eq(decide(0, 1, 0, 0, 0, 1), APP_SYNC_DOWNLOAD);
	ck_assert_int_eq(decide(0, 1, 1, 0, 0, 0), APP_SYNC_UPLOAD);
	ck_assert_int_eq(decide(0, 1, 1, 1, 0, 0), APP_SYNC_SKIP); /* trashed, never synced */
}
END_TEST

/* Without trust nothing is deleted, whatever the entry says. */
START_TEST(test_decide_untrusted)
{
	for (int bits = 0; bits < 32; bits++) {
		bool local = bits & 1, trash = (bits & 2) && local, moved = bits & 4,
		     server = bits & 8, synced = bits & 16;
		enum app_sync_act a = decide(synced, false, local, trash, moved, server);
		ck_assert_msg(a != APP_SYNC_DELETE_LOCAL && a != APP_SYNC_DELETE_SERVER &&
				      a != APP_SYNC_MOVE && a != APP_SYNC_FORGET,
			      "bits %d: %s", bits, app_sync_act_name(a));
		if (server && !local)
			ck_assert_int_eq(a, APP_SYNC_DOWNLOAD);
		if (local && !server && !trash)
			ck_assert_int_eq(a, APP_SYNC_UPLOAD);
	}
}
END_TEST

START_TEST(test_state_names)
{
	char *n = app_sync_state_name("Mein Ordner/ü \"x\" 100%.", strlen("Mein Ordner/ü \"x\" 100%."));
	ck_assert_str_eq(n, "sync-Mein%20Ordner%2F%C3%BC%20%22x%22%20100%25%2E");
	free(n);
	n = app_sync_state_name("INBOX", 5);
	ck_assert_str_eq(n, "sync-INBOX");
	free(n);
}
END_TEST

START_TEST(test_state_lines)
{
	struct app_sync_state st;
	memset(&st, 0, sizeof st);
	ck_assert_int_eq(app_sync_state_line(&st, "V 7", 3), 0);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	app_sync_line_m(&b, 5, S | F, "a b%c", 5);
	ck_assert_str_eq(b.data, "M 5 FS a%20b%25c");
	ck_assert_int_eq(app_sync_state_line(&st, b.data, b.len), 0);
	ck_assert_int_eq(app_sync_state_line(&st, "M 3 - x.y", 9), 0);
	ck_assert_uint_eq(st.n, 2);
	ck_assert_uint_eq(st.v[0].uid, 3); /* sorted */
	struct app_sync_entry *e = app_sync_state_find(&st, 5);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->name, "a b%c");
	ck_assert_uint_eq(e->flags, S | F);
	ck_assert_int_eq(app_sync_state_line(&st, "X 5", 3), 0);
	ck_assert_ptr_null(app_sync_state_find(&st, 5));
	/* damaged lines are refused */
	ck_assert_int_eq(app_sync_state_line(&st, "M 0 - x", 7), -1);
	ck_assert_int_eq(app_sync_state_line(&st, "M 4 Q x", 7), -1);
	ck_assert_int_eq(app_sync_state_line(&st, "M 4 - a/b", 9), -1);
	ck_assert_int_eq(app_sync_state_line(&st, "M 4 - %2", 8), -1);
	ck_assert_int_eq(app_sync_state_line(&st, "Z 1", 3), -1);
	/* a new epoch forgets the old pairings */
	ck_assert_int_eq(app_sync_state_line(&st, "V 8", 3), 0);
	ck_assert_uint_eq(st.n, 0);
	qu_buf_clear(&b);
	app_sync_state_clear(&st);
}
END_TEST

/* Saved and loaded back; a damaged file loads untrusted and empty. */
START_TEST(test_state_file)
{
	char dir[] = "/tmp/quail-sync-test-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct qu_err err;
	qu_err_clear(&err);
	struct app_sync_state st;
	ck_assert_int_eq(app_sync_state_load(dir, "sync-INBOX", &st, &err), 0);
	ck_assert(!st.trusted);
	st.uidvalidity = 9;
	st.uidnext = 12;
	st.modseq = 99;
	app_sync_state_set(&st, 11, S, "n11", 3);
	app_sync_state_set(&st, 2, 0, "n2", 2);
	ck_assert_int_eq(app_sync_state_save(dir, "sync-INBOX", &st, &err), 0);
	app_sync_state_clear(&st);
	ck_assert_int_eq(app_sync_state_load(dir, "sync-INBOX", &st, &err), 0);
	ck_assert(st.trusted);
	ck_assert_uint_eq(st.n, 2);
	ck_assert_uint_eq(st.uidnext, 12);
	ck_assert_uint_eq(st.modseq, 99);
	app_sync_state_clear(&st);
	/* steps appended after the compaction count; a damaged one voids all */
	struct store_journal *j = store_journal_open(dir, "sync-INBOX", &err);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(store_journal_append(j, "X 2\tM 13 S n13", 14, &err), 0);
	ck_assert_int_eq(app_sync_state_load(dir, "sync-INBOX", &st, &err), 0);
	ck_assert(st.trusted);
	ck_assert_uint_eq(st.n, 2);
	ck_assert_ptr_nonnull(app_sync_state_find(&st, 13));
	ck_assert_ptr_null(app_sync_state_find(&st, 2));
	app_sync_state_clear(&st);
	ck_assert_int_eq(store_journal_append(j, "M garbage", 9, &err), 0);
	store_journal_free(j);
	ck_assert_int_eq(app_sync_state_load(dir, "sync-INBOX", &st, &err), 0);
	ck_assert(!st.trusted);
	ck_assert_uint_eq(st.n, 0);
	app_sync_state_clear(&st);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The record that lets a run skip listing an unchanged Maildir: its line
 * round-trips, damaged lines are refused, it names one state only, and a
 * change in cur/ is seen. */
START_TEST(test_dirs_record)
{
	char dir[] = "/tmp/quail-sync-test-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *md = xasprintf("%s/INBOX", dir), *cur = xasprintf("%s/cur", md),
	     *new = xasprintf("%s/new", md);
	struct app_sync_dirs d, d2;
	app_sync_dirs_stat(md, &d);
	ck_assert(!d.ok); /* no Maildir yet */
	ck_assert_int_eq(mkdir(md, 0700), 0);
	ck_assert_int_eq(mkdir(cur, 0700), 0);
	ck_assert_int_eq(mkdir(new, 0700), 0);
	app_sync_dirs_stat(md, &d);
	ck_assert(d.ok);
	ck_assert(!app_sync_dirs_settled(&d, (int64_t)d.sec[0]));
	ck_assert(app_sync_dirs_settled(&d, (int64_t)d.sec[0] + 10));
	struct app_sync_state st;
	memset(&st, 0, sizeof st);
	st.uidvalidity = 5;
	st.uidnext = 3;
	st.modseq = 77;
	app_sync_state_set(&st, 1, S, "a", 1);
	app_sync_state_set(&st, 2, 0, "b", 1);
	struct app_sync_dirs_rec r, back, other;
	app_sync_dirs_rec_of(&st, &d, &r);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	app_sync_dirs_format(&b, &r);
	ck_assert_int_eq(app_sync_dirs_parse(b.data, b.len, &back), 0);
	ck_assert(app_sync_dirs_rec_same(&r, &back));
	ck_assert_int_eq(app_sync_dirs_parse(b.data, b.len - 1, &back) == 0 &&
				 app_sync_dirs_rec_same(&r, &back),
			 0);
	ck_assert_int_eq(app_sync_dirs_parse("D 1 2 3", 7, &back), -1);
	ck_assert_int_eq(app_sync_dirs_parse("D 0 1 1 1 1 1 1 1 1 1 1 1 1", 27, &back), -1);
	ck_assert_int_eq(app_sync_dirs_parse("D 1 1 1 1 1 1 1 1 1000000000 1 1 1 1", 36, &back), -1);
	qu_buf_clear(&b);
	/* another flag in the state: another state */
	app_sync_state_set(&st, 2, F, "b", 1);
	app_sync_dirs_rec_of(&st, &d, &other);
	ck_assert(!app_sync_dirs_rec_same(&r, &other));
	/* saved and read back; a file added to cur/ changes the directory */
	struct qu_err err;
	qu_err_clear(&err);
	ck_assert_int_eq(app_sync_dirs_load(dir, "sync-INBOX", &back, &err), 0);
	ck_assert_int_eq(app_sync_dirs_save(dir, "sync-INBOX", &r, &err), 0);
	ck_assert_int_eq(app_sync_dirs_load(dir, "sync-INBOX", &back, &err), 1);
	ck_assert(app_sync_dirs_rec_same(&r, &back));
	usleep(20000);
	char *f = xasprintf("%s/x:2,S", cur);
	FILE *fp = fopen(f, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	app_sync_dirs_stat(md, &d2);
	ck_assert(!app_sync_dirs_same(&d, &d2));
	app_sync_state_clear(&st);
	free(f);
	free(md);
	free(cur);
	free(new);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The summary of a state file: written by every save, of that file only
 * (an append or a replacement makes it stale), its line round-trips and
 * damaged ones are refused; a state of an earlier version without one
 * gets it from what was read, only while the file is unchanged. */
START_TEST(test_summary)
{
	char dir[] = "/tmp/quail-sync-test-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct qu_err err;
	qu_err_clear(&err);
	struct app_sync_summary s, back;
	ck_assert_int_eq(app_sync_summary_load(dir, "sync-INBOX", &s, &err), 0);
	struct app_sync_state st;
	memset(&st, 0, sizeof st);
	st.uidvalidity = 9;
	st.uidnext = 12;
	st.modseq = 99;
	app_sync_state_set(&st, 11, S, "n11", 3);
	app_sync_state_set(&st, 2, 0, "n2", 2);
	ck_assert_int_eq(app_sync_state_save(dir, "sync-INBOX", &st, &err), 0);
	ck_assert_int_eq(app_sync_summary_load(dir, "sync-INBOX", &s, &err), 1);
	ck_assert_uint_eq(s.uidvalidity, 9);
	ck_assert_uint_eq(s.uidnext, 12);
	ck_assert_uint_eq(s.modseq, 99);
	ck_assert_uint_eq(s.n, 2);
	/* the same state and count as the record of the directories names */
	struct app_sync_dirs d = {0};
	struct app_sync_dirs_rec r;
	app_sync_dirs_rec_of(&st, &d, &r);
	ck_assert(r.sum == s.sum && r.n == s.n);
	char *p = xasprintf("%s/.quail/sync-INBOX.sum", dir);
	struct stat sb;
	ck_assert_int_eq(lstat(p, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	/* the line round-trips; damaged lines are refused */
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	app_sync_summary_format(&b, &s);
	ck_assert_int_eq(app_sync_summary_parse(b.data, b.len, &back), 0);
	ck_assert(back.sum == s.sum && back.n == s.n && back.id.ino == s.id.ino &&
		  back.id.size == s.id.size && back.id.mtime_nsec == s.id.mtime_nsec);
	ck_assert_int_eq(app_sync_summary_parse("U 1 2 3", 7, &back), -1);
	ck_assert_int_eq(app_sync_summary_parse("U 0 1 1 1 1 1 1 1 1 1 1 1", 25, &back), -1);
	ck_assert_int_eq(app_sync_summary_parse("U 1 1 1 1 1 1 1 1 1 1000000000 1 1", 34, &back),
			 -1);
	ck_assert_int_eq(app_sync_summary_parse("D 1 1 1 1 1 1 1 1 1 1 1 1", 25, &back), -1);
	qu_buf_clear(&b);
	/* an append to the state file makes it stale */
	struct store_journal *j = store_journal_open(dir, "sync-INBOX", &err);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(store_journal_append(j, "X 2", 3, &err), 0);
	store_journal_free(j);
	ck_assert_int_eq(app_sync_summary_load(dir, "sync-INBOX", &s, &err), 0);
	/* written from a load, while the file is as it was read */
	app_sync_state_clear(&st);
	ck_assert_int_eq(app_sync_state_load(dir, "sync-INBOX", &st, &err), 0);
	ck_assert(st.trusted && st.id.ok);
	ck_assert_int_eq(app_sync_summary_save_loaded(dir, "sync-INBOX", &st, &err), 0);
	ck_assert_int_eq(app_sync_summary_load(dir, "sync-INBOX", &s, &err), 1);
	ck_assert_uint_eq(s.n, 1);
	/* ... and not once it changed after the load */
	ck_assert_int_eq(unlink(p), 0);
	j = store_journal_open(dir, "sync-INBOX", &err);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(store_journal_append(j, "M 14 - n14", 10, &err), 0);
	store_journal_free(j);
	ck_assert_int_eq(app_sync_summary_save_loaded(dir, "sync-INBOX", &st, &err), 0);
	ck_assert_int_eq(lstat(p, &sb), -1);
	app_sync_state_clear(&st);
	/* a damaged summary is none */
	ck_assert_int_eq(app_sync_state_load(dir, "sync-INBOX", &st, &err), 0);
	ck_assert_int_eq(app_sync_state_save(dir, "sync-INBOX", &st, &err), 0);
	ck_assert_int_eq(app_sync_summary_load(dir, "sync-INBOX", &s, &err), 1);
	FILE *fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("quail-sync-sum 1\nU 9 12 99 2 x\n", fp);
	fclose(fp);
	ck_assert_int_eq(app_sync_summary_load(dir, "sync-INBOX", &s, &err), 0);
	app_sync_state_clear(&st);
	free(p);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* VANISHED UID sets (RFC 7162 §3.2.10). */
START_TEST(test_uidset)
{
	struct app_sync_range *v;
	size_t n;
	ck_assert_int_eq(app_sync_uidset_parse("3:5,9,12:10", &v, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(app_sync_in_ranges(v, n, 3) && app_sync_in_ranges(v, n, 5));
	ck_assert(!app_sync_in_ranges(v, n, 6) && app_sync_in_ranges(v, n, 9));
	ck_assert(app_sync_in_ranges(v, n, 11) && !app_sync_in_ranges(v, n, 13));
	ck_assert_uint_eq(v[2].lo, 10);
	free(v);
	ck_assert_int_eq(app_sync_uidset_parse("4294967295", &v, &n), 0);
	free(v);
	static const char *const bad[] = {"", "0", "1:", ":2", "1,,2", "1,", "*", "1:*",
					  "4294967296", "01", "1 2", "12345678901"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(app_sync_uidset_parse(bad[i], &v, &n), -1);
		ck_assert_ptr_null(v);
	}
}
END_TEST

/* The Message-ID a message is found by when the server gives no
 * APPENDUID: the first field, unfolded, and only when it quotes plainly. */
START_TEST(test_message_id)
{
	static const struct {
		const char *msg, *want;
	} t[] = {
		{"From: a\r\nMessage-ID: <x.1@h>\r\n\r\nbody", "<x.1@h>"},
		{"message-id:\t <x.2@h> \nSubject: s\n\n", "<x.2@h>"},
		{"Message-ID:\r\n <x.3@h>\r\n\r\n", "<x.3@h>"},
		{"Subject: s\n\nMessage-ID: <body@h>\n", NULL},
		{"Message-ID: <a\"b@h>\n\n", NULL},
		{"Message-ID: x@h\n\n", NULL},
		{"Message-ID: <\xc3\xa9@h>\n\n", NULL},
		{"Message-ID: <a@h> <b@h>\n\n", NULL},
		{"X-Message-ID: <no@h>\n\n", NULL},
		{"", NULL},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *got = app_sync_message_id(t[i].msg, strlen(t[i].msg));
		if (t[i].want)
			ck_assert_str_eq(got ? got : "(none)", t[i].want);
		else
			ck_assert_ptr_null(got);
		free(got);
	}
}
END_TEST

/* INBOX goes first, the others keep their order; without INBOX, or with
 * it first already, nothing moves. */
static void
order_of(const char *const *names, size_t n, char *out, size_t cap)
{
	struct app_sync_folder v[8] = {0};
	for (size_t i = 0; i < n; i++)
		v[i].name = (char *)names[i];
	app_sync_inbox_first(v, n);
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		strncat(out, v[i].name, cap - strlen(out) - 1);
		strncat(out, " ", cap - strlen(out) - 1);
	}
}

START_TEST(test_inbox_first)
{
	char got[128];
	const char *a[] = {"Archive", "F2", "INBOX", "Sent"};
	order_of(a, 4, got, sizeof got);
	ck_assert_str_eq(got, "INBOX Archive F2 Sent ");
	const char *b[] = {"INBOX", "F2"};
	order_of(b, 2, got, sizeof got);
	ck_assert_str_eq(got, "INBOX F2 ");
	const char *c[] = {"Inbox", "F2", "INBOXES"};
	order_of(c, 3, got, sizeof got);
	ck_assert_str_eq(got, "Inbox F2 INBOXES ");
	const char *d[] = {"F9", "INBOX"};
	order_of(d, 2, got, sizeof got);
	ck_assert_str_eq(got, "INBOX F9 ");
	app_sync_inbox_first(NULL, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sync");
	TCase *tc = tcase_create("merge");
	tcase_add_test(tc, test_one_flag_table);
	tcase_add_test(tc, test_flags_independent);
	tcase_add_test(tc, test_unknown_union);
	tcase_add_test(tc, test_flag_mapping);
	tcase_add_test(tc, test_decide_trusted);
	tcase_add_test(tc, test_decide_untrusted);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_state_lines);
	tcase_add_test(tc, test_state_file);
	tcase_add_test(tc, test_dirs_record);
	tcase_add_test(tc, test_summary);
	tcase_add_test(tc, test_uidset);
	tcase_add_test(tc, test_inbox_first);
	tcase_add_test(tc, test_message_id);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
