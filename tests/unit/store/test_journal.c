/* Fetch-state journals in DIR/.quail/ (store/journal.c). */
#include <check.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "helpers.h"

static char *root;

static void
setup(void)
{
	root = th_mkdtemp();
}

static void
teardown(void)
{
	th_rmrf(root);
	free(root);
}

/* Collects replayed lines, joined with '|' for easy comparison. */
struct collect {
	struct qu_buf b;
	int n;
	int stop_at; /* fail on this line (1-based); 0: never */
};

static int
collect_line(void *ctx, const char *line, size_t len, struct qu_err *err)
{
	struct collect *c = ctx;
	c->n++;
	if (c->n == c->stop_at)
		return qu_err_set(err, QU_E_DATA, "bad state line %d", c->n);
	if (c->n > 1)
		qu_buf_append_byte(&c->b, '|');
	qu_buf_append(&c->b, line, len);
	return 0;
}

/* Replays DIR/.quail/NAME; the joined lines (owned), or NULL on error. */
static char *
replay(const char *dir, const char *name, int *count)
{
	struct collect c = {.n = 0};
	qu_buf_init(&c.b, SIZE_MAX);
	qu_buf_append_str(&c.b, "");
	struct qu_err err = {0};
	if (store_journal_read(dir, name, collect_line, &c, &err) < 0) {
		qu_buf_clear(&c.b);
		return NULL;
	}
	if (count)
		*count = c.n;
	return qu_buf_steal(&c.b, NULL);
}

static void
append(struct store_journal *j, const char *line)
{
	struct qu_err err = {0};
	ck_assert_msg(store_journal_append(j, line, strlen(line), &err) == 0, "%s", err.msg);
}

START_TEST(append_and_replay)
{
	char *dir = xasprintf("%s/deep/Maildir", root);
	struct qu_err err = {0};
	struct store_journal *j = store_journal_open(dir, "pop3-uidl", &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	append(j, "uidl 1 abc");
	append(j, "");
	append(j, "uidl 2 d\xe9" "f\r");
	store_journal_free(j);
	store_journal_free(NULL);

	char *q = xasprintf("%s/.quail", dir);
	char *f = xasprintf("%s/.quail/pop3-uidl", dir);
	struct stat st;
	ck_assert_int_eq(stat(q, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	size_t len;
	char *raw = th_read(f, &len);
	ck_assert_uint_eq(len, 24);
	ck_assert(memcmp(raw, "uidl 1 abc\n\nuidl 2 d\xe9" "f\r\n", len) == 0);

	int n;
	char *got = replay(dir, "pop3-uidl", &n);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(got, "uidl 1 abc||uidl 2 d\xe9" "f\r");
	free(got);

	/* Reopening appends after what is there. */
	j = store_journal_open(dir, "pop3-uidl", &err);
	append(j, "uidl 3 x");
	store_journal_free(j);
	got = replay(dir, "pop3-uidl", &n);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(got, "uidl 1 abc||uidl 2 d\xe9" "f\r|uidl 3 x");
	free(got);
	free(raw);
	free(f);
	free(q);
	free(dir);
}
END_TEST

START_TEST(binary_line)
{
	struct qu_err err = {0};
	struct store_journal *j = store_journal_open(root, "bin", &err);
	ck_assert_int_eq(store_journal_append(j, "a\0b", 3, &err), 0);
	ck_assert_int_eq(store_journal_append(j, NULL, 0, &err), 0);
	store_journal_free(j);
	int n;
	char *got = replay(root, "bin", &n);
	ck_assert_int_eq(n, 2);
	ck_assert(memcmp(got, "a\0b|", 5) == 0);
	free(got);
}
END_TEST

START_TEST(missing_is_empty)
{
	int n = -1;
	char *got = replay(root, "none", &n);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(n, 0);
	free(got);
	char *dir = xasprintf("%s/no/such/dir", root);
	got = replay(dir, "none", &n);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(n, 0);
	free(got);
	/* Reading creates nothing. */
	ck_assert_int_eq(access(dir, F_OK), -1);
	free(dir);
}
END_TEST

START_TEST(trailing_partial_line)
{
	char *q = xasprintf("%s/.quail", root);
	ck_assert_int_eq(mkdir(q, 0700), 0);
	char *f = xasprintf("%s/.quail/imap", root);
	th_write(f, "a\nb\npart", 8);

	int n;
	char *got = replay(root, "imap", &n);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(got, "a|b");
	free(got);

	/* Opening cuts the fragment off, so the next line stands alone. */
	struct qu_err err = {0};
	struct store_journal *j = store_journal_open(root, "imap", &err);
	ck_assert_ptr_nonnull(j);
	append(j, "c");
	store_journal_free(j);
	size_t len;
	char *raw = th_read(f, &len);
	ck_assert_str_eq(raw, "a\nb\nc\n");
	free(raw);

	/* A file that is only a fragment. */
	th_write(f, "xyz", 3);
	got = replay(root, "imap", &n);
	ck_assert_int_eq(n, 0);
	free(got);
	j = store_journal_open(root, "imap", &err);
	append(j, "d");
	store_journal_free(j);
	raw = th_read(f, &len);
	ck_assert_str_eq(raw, "d\n");
	free(raw);

	/* A fragment longer than the backwards read chunk. */
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, "keep\n");
	for (int i = 0; i < 10000; i++)
		qu_buf_append_byte(&b, 'z');
	th_write(f, b.data, b.len);
	qu_buf_clear(&b);
	j = store_journal_open(root, "imap", &err);
	append(j, "e");
	store_journal_free(j);
	raw = th_read(f, &len);
	ck_assert_str_eq(raw, "keep\ne\n");
	free(raw);
	free(f);
	free(q);
}
END_TEST

START_TEST(reject_newline)
{
	struct qu_err err = {0};
	struct store_journal *j = store_journal_open(root, "j", &err);
	append(j, "ok");
	ck_assert_int_eq(store_journal_append(j, "a\nb", 3, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	store_journal_free(j);
	int n;
	char *got = replay(root, "j", &n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(got, "ok");
	free(got);
}
END_TEST

START_TEST(bad_names)
{
	static const char *const names[] = {"", ".hidden", "a/b", "..", "/abs"};
	struct qu_err err = {0};
	struct store_line l = {"x", 1};
	for (size_t i = 0; i < QU_ARRAY_LEN(names); i++) {
		qu_err_clear(&err);
		ck_assert_ptr_null(store_journal_open(root, names[i], &err));
		ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
		qu_err_clear(&err);
		ck_assert_int_eq(store_journal_read(root, names[i], collect_line, NULL, &err), -1);
		ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
		qu_err_clear(&err);
		ck_assert_int_eq(store_journal_compact(root, names[i], &l, 1, &err), -1);
		ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	}
}
END_TEST

START_TEST(callback_stops_replay)
{
	struct qu_err err = {0};
	struct store_journal *j = store_journal_open(root, "j", &err);
	append(j, "1");
	append(j, "2");
	append(j, "3");
	store_journal_free(j);
	struct collect c = {.stop_at = 2};
	qu_buf_init(&c.b, SIZE_MAX);
	ck_assert_int_eq(store_journal_read(root, "j", collect_line, &c, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_DATA);
	ck_assert_str_eq(err.msg, "bad state line 2");
	ck_assert_int_eq(c.n, 2);
	qu_buf_clear(&c.b);
}
END_TEST

START_TEST(compact_replaces)
{
	struct qu_err err = {0};
	struct store_journal *j = store_journal_open(root, "imap-INBOX", &err);
	for (int i = 0; i < 50; i++) {
		char line[32];
		snprintf(line, sizeof line, "uid %d", i);
		append(j, line);
	}
	store_journal_free(j);

	struct store_line lines[] = {{"uidvalidity 7", 13}, {"", 0}, {"high 49", 7}};
	ck_assert_int_eq(store_journal_compact(root, "imap-INBOX", lines, 3, &err), 0);
	int n;
	char *got = replay(root, "imap-INBOX", &n);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(got, "uidvalidity 7||high 49");
	free(got);
	/* No temporary file is left beside it. */
	char *q = xasprintf("%s/.quail", root);
	ck_assert_int_eq(th_count(q), 1);
	char *f = xasprintf("%s/.quail/imap-INBOX", root);
	struct stat st;
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	/* Appending goes on after a reopen. */
	j = store_journal_open(root, "imap-INBOX", &err);
	append(j, "uid 50");
	store_journal_free(j);
	got = replay(root, "imap-INBOX", &n);
	ck_assert_str_eq(got, "uidvalidity 7||high 49|uid 50");
	free(got);

	/* A line with '\n' is refused and the journal stays as it was. */
	struct store_line bad[] = {{"ok", 2}, {"a\nb", 3}};
	ck_assert_int_eq(store_journal_compact(root, "imap-INBOX", bad, 2, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	got = replay(root, "imap-INBOX", &n);
	ck_assert_int_eq(n, 4);
	free(got);

	/* Compacting to nothing, and compacting a journal that never was. */
	ck_assert_int_eq(store_journal_compact(root, "imap-INBOX", NULL, 0, &err), 0);
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(store_journal_compact(root, "fresh", lines, 1, &err), 0);
	got = replay(root, "fresh", &n);
	ck_assert_str_eq(got, "uidvalidity 7");
	free(got);
	ck_assert_int_eq(th_count(q), 2);
	free(f);
	free(q);
}
END_TEST

START_TEST(compact_large)
{
	/* More than the write buffer holds. */
	enum { N = 20000 };
	struct store_line *lines = xcalloc(N, sizeof *lines);
	char **texts = xcalloc(N, sizeof *texts);
	for (int i = 0; i < N; i++) {
		texts[i] = xasprintf("uidl %d 0123456789abcdef", i);
		lines[i].p = texts[i];
		lines[i].len = strlen(texts[i]);
	}
	struct qu_err err = {0};
	ck_assert_int_eq(store_journal_compact(root, "big", lines, N, &err), 0);
	int n;
	char *got = replay(root, "big", &n);
	ck_assert_int_eq(n, N);
	char *last = strrchr(got, '|');
	ck_assert_str_eq(last + 1, texts[N - 1]);
	free(got);
	for (int i = 0; i < N; i++)
		free(texts[i]);
	free(texts);
	free(lines);
}
END_TEST

START_TEST(disk_full_is_ioerr)
{
	/* A file size limit fails the write (EFBIG) as a full disk would;
	 * (a link to /dev/full is refused: journals are never followed
	 * through links). */
	struct qu_err err = {0};
	struct store_journal *j = store_journal_open(root, "full", &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	append(j, "ok");
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = {4, 4};
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(store_journal_append(j, "longer", 6, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_ptr_nonnull(strstr(err.msg, "/.quail/full"));
	ck_assert_ptr_nonnull(strstr(err.msg, "too large"));
	store_journal_free(j);
	/* the failed append was rolled back */
	char *got = replay(root, "full", NULL);
	ck_assert_str_eq(got, "ok");
	free(got);
	char *f = xasprintf("%s/.quail/dev-full", root);
	if (symlink("/dev/full", f) == 0) {
		ck_assert_ptr_null(store_journal_open(root, "dev-full", &err));
		ck_assert_int_eq(err.cls, QU_E_IOERR);
	}
	free(f);
}
END_TEST

START_TEST(dir_is_a_file)
{
	char *f = xasprintf("%s/file", root);
	th_write(f, "", 0);
	struct qu_err err = {0};
	ck_assert_ptr_null(store_journal_open(f, "j", &err));
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	struct store_line l = {"x", 1};
	qu_err_clear(&err);
	ck_assert_int_eq(store_journal_compact(f, "j", &l, 1, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	/* Reading state under a file: there is none. */
	int n = -1;
	char *got = replay(f, "j", &n);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(n, 0);
	free(got);
	free(f);
}
END_TEST

START_TEST(readonly_state_dir)
{
	if (geteuid() == 0 && (chown(root, 65534, 65534) < 0 || setgid(65534) < 0 ||
				      setuid(65534) < 0))
		return;
	struct qu_err err = {0};
	struct store_journal *j = store_journal_open(root, "j", &err);
	ck_assert_ptr_nonnull(j);
	append(j, "kept");
	store_journal_free(j);
	char *q = xasprintf("%s/.quail", root);
	ck_assert_int_eq(chmod(q, 0500), 0);
	struct store_line l = {"new", 3};
	ck_assert_int_eq(store_journal_compact(root, "j", &l, 1, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_ptr_nonnull(strstr(err.msg, "Permission denied"));
	ck_assert_ptr_null(store_journal_open(root, "other", &err));
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	int n;
	char *got = replay(root, "j", &n);
	ck_assert_str_eq(got, "kept");
	free(got);
	chmod(q, 0700);
	free(q);
}
END_TEST

static char *
slurp(const char *path)
{
	struct store_map m;
	struct qu_err err = {0};
	ck_assert_msg(store_map_file(path, &m, &err) == 0, "%s", err.msg);
	char *s = xstrndup(m.p, m.len);
	store_unmap(&m);
	return s;
}

static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* No journal file is followed through a symbolic link: not on open, not
 * on read, and compaction's temporary file never writes through one. */
START_TEST(no_symlinks_followed)
{
	struct qu_err err = {0};
	char *target = xasprintf("%s/target", root);
	put_file(target, "precious\n");
	struct store_journal *j = store_journal_open(root, "j", &err);
	ck_assert_ptr_nonnull(j);
	store_journal_free(j);
	char *link = xasprintf("%s/.quail/k", root);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_ptr_null(store_journal_open(root, "k", &err));
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_ptr_null(replay(root, "k", NULL));
	/* a link where compaction writes its temporary file */
	char *tmp = xasprintf("%s/.quail/.j.tmp", root);
	ck_assert_int_eq(symlink(target, tmp), 0);
	struct store_line l = {"new", 3};
	ck_assert_msg(store_journal_compact(root, "j", &l, 1, &err) == 0, "%s", err.msg);
	char *got = slurp(target);
	ck_assert_str_eq(got, "precious\n");
	free(got);
	got = replay(root, "j", NULL);
	ck_assert_str_eq(got, "new");
	free(got);
	free(tmp);
	free(link);
	free(target);
}
END_TEST

/* A .quail that others could write to, or a link to one, is refused. */
START_TEST(unsafe_state_dir)
{
	struct qu_err err = {0};
	char *q = xasprintf("%s/.quail", root);
	ck_assert_int_eq(mkdir(q, 0700), 0);
	ck_assert_int_eq(chmod(q, 0777), 0);
	ck_assert_ptr_null(store_journal_open(root, "j", &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "writable by group or others"));
	ck_assert_int_eq(chmod(q, 0720), 0);
	ck_assert_ptr_null(store_journal_open(root, "j", &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	/* a journal in such a directory is not read either */
	char *jp = xasprintf("%s/j", q);
	put_file(jp, "forged\n");
	ck_assert_int_eq(store_journal_read(root, "j", collect_line, &(struct collect){0}, &err),
			 -1);
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_int_eq(chmod(q, 0755), 0);
	struct store_journal *j = store_journal_open(root, "j", &err);
	ck_assert_msg(j != NULL, "%s", err.msg);
	store_journal_free(j);
	if (geteuid() == 0) {
		/* owned by someone else */
		ck_assert_int_eq(chown(q, 65534, 65534), 0);
		ck_assert_ptr_null(store_journal_open(root, "j", &err));
		ck_assert_int_eq(err.cls, QU_E_CONFIG);
		ck_assert_ptr_nonnull(strstr(err.msg, "not by this user"));
		ck_assert_int_eq(chown(q, 0, 0), 0);
	}
	/* a link to a directory */
	char *real = xasprintf("%s/real", root);
	char *sub = xasprintf("%s/sub", root);
	char *subq = xasprintf("%s/sub/.quail", root);
	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(symlink(real, subq), 0);
	ck_assert_ptr_null(store_journal_open(sub, "j", &err));
	ck_assert_int_eq(err.cls, QU_E_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "symbolic link"));
	free(subq);
	free(sub);
	free(real);
	free(jp);
	free(q);
}
END_TEST

static Suite *
journal_suite(void)
{
	Suite *s = suite_create("store-journal");
	TCase *tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, append_and_replay);
	tcase_add_test(tc, binary_line);
	tcase_add_test(tc, missing_is_empty);
	tcase_add_test(tc, trailing_partial_line);
	tcase_add_test(tc, reject_newline);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, callback_stops_replay);
	tcase_add_test(tc, compact_replaces);
	tcase_add_test(tc, compact_large);
	tcase_add_test(tc, disk_full_is_ioerr);
	tcase_add_test(tc, dir_is_a_file);
	tcase_add_test(tc, readonly_state_dir);
	tcase_add_test(tc, no_symlinks_followed);
	tcase_add_test(tc, unsafe_state_dir);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return th_run(journal_suite());
}
