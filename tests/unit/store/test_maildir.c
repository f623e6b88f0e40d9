/* Maildir delivery, flags and iteration (store/maildir.c). */
#define _GNU_SOURCE /* unshare(CLONE_NEWUTS) to test host name escaping */
#include <check.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
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

static struct maildir *
open_md(const char *sub)
{
	struct qu_err err = {0};
	char *p = xasprintf("%s/%s", root, sub);
	struct maildir *md = maildir_open(p, true, &err);
	ck_assert_msg(md != NULL, "%s", err.msg);
	free(p);
	return md;
}

static char *
md_file(struct maildir *md, const char *rel)
{
	return xasprintf("%s/%s", maildir_path(md), rel);
}

static int
md_count(struct maildir *md, const char *sub)
{
	char *p = md_file(md, sub);
	int n = th_count(p);
	free(p);
	return n;
}

/* ---- open ------------------------------------------------------------ */

START_TEST(open_creates_tree)
{
	struct maildir *md = open_md("a/b/Mail");
	static const char *const subs[] = {"", "/tmp", "/new", "/cur"};
	for (size_t i = 0; i < QU_ARRAY_LEN(subs); i++) {
		char *p = xasprintf("%s%s", maildir_path(md), subs[i]);
		struct stat st;
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert(S_ISDIR(st.st_mode));
		ck_assert_int_eq(st.st_mode & 0777, 0700);
		free(p);
	}
	maildir_free(md);
	/* Opening again (existing tree) is fine. */
	maildir_free(open_md("a/b/Mail"));
	maildir_free(NULL);
}
END_TEST

START_TEST(open_existing_only)
{
	struct qu_err err = {0};
	char *missing = xasprintf("%s/nope", root);
	ck_assert_ptr_null(maildir_open(missing, false, &err));
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, missing));

	/* A plain directory is not a Maildir. */
	qu_err_clear(&err);
	ck_assert_ptr_null(maildir_open(root, false, &err));
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);

	/* cur/ alone is enough to read. */
	char *cur = xasprintf("%s/cur", root);
	ck_assert_int_eq(mkdir(cur, 0700), 0);
	struct maildir *md = maildir_open(root, false, &err);
	ck_assert_ptr_nonnull(md);
	maildir_free(md);
	free(cur);
	free(missing);
}
END_TEST

START_TEST(open_create_over_file_fails)
{
	struct qu_err err = {0};
	char *p = xasprintf("%s/file", root);
	th_write(p, "x", 1);
	char *sub = xasprintf("%s/Mail", p);
	ck_assert_ptr_null(maildir_open(sub, true, &err));
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_ptr_nonnull(strstr(err.msg, "Not a directory"));
	free(sub);
	free(p);
}
END_TEST

/* ---- delivery -------------------------------------------------------- */

START_TEST(deliver_byte_exact_chunks)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	/* NULs, 8-bit bytes, bare CR, CRLF and a "From " line; bigger than the
	 * write buffer so both the buffered and the direct path run. */
	size_t n = 300000;
	char *msg = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		msg[i] = (char)((i * 7919u + (i >> 9)) & 0xff);
	memcpy(msg, "Subject: x\r\n\r\nFrom here\n", 25);

	struct maildir_delivery *d = maildir_delivery_begin(md, &err);
	ck_assert_msg(d != NULL, "%s", err.msg);
	ck_assert_int_eq(md_count(md, "tmp"), 1);
	static const size_t chunks[] = {1, 0, 17, 4096, 65536, 70000, 3, 100000};
	size_t off = 0;
	for (size_t i = 0; off < n; i++) {
		size_t c = chunks[i % QU_ARRAY_LEN(chunks)];
		if (c > n - off)
			c = n - off;
		ck_assert_int_eq(maildir_delivery_write(d, msg + off, c, &err), 0);
		off += c;
	}
	ck_assert_uint_eq(maildir_delivery_size(d), n);
	/* Nothing visible before commit. */
	ck_assert_int_eq(md_count(md, "new"), 0);
	char *name = NULL;
	ck_assert_int_eq(maildir_delivery_commit(d, NULL, false, &name, &err), 0);
	ck_assert_ptr_nonnull(name);
	ck_assert(strncmp(name, "new/", 4) == 0);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	ck_assert_int_eq(md_count(md, "new"), 1);
	ck_assert_int_eq(md_count(md, "cur"), 0);

	uint64_t size;
	ck_assert(maildir_name_size(name + 4, &size));
	ck_assert_uint_eq(size, n);
	char *want = xasprintf(",S=%zu", n);
	ck_assert_ptr_nonnull(strstr(name, want));

	char *path = md_file(md, name);
	size_t got_len;
	char *got = th_read(path, &got_len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got_len, n);
	ck_assert(memcmp(got, msg, n) == 0);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	free(got);
	free(path);
	free(want);
	free(name);
	free(msg);
	maildir_free(md);
}
END_TEST

START_TEST(deliver_empty_and_name_format)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	char *name = NULL;
	ck_assert_int_eq(maildir_deliver(md, "", 0, "", false, &name, &err), 0);
	/* new/SECONDS.M<usec>P<pid>Q<n>.<host>,S=0 */
	const char *s = name + 4;
	char *end;
	long long secs = strtoll(s, &end, 10);
	ck_assert(secs > 1000000000LL);
	ck_assert(strncmp(end, ".M", 2) == 0);
	long usec = strtol(end + 2, &end, 10);
	ck_assert(usec >= 0 && usec < 1000000);
	ck_assert_int_eq(*end, 'P');
	ck_assert_int_eq(strtol(end + 1, &end, 10), (long)getpid());
	ck_assert_int_eq(*end, 'Q');
	strtoul(end + 1, &end, 10);
	ck_assert_int_eq(*end, '.');
	const char *tail = end + strlen(end) - 4;
	ck_assert_str_eq(tail, ",S=0");
	ck_assert_ptr_null(strchr(name + 4, '/'));
	ck_assert_ptr_null(strchr(name + 4, ':'));
	char *path = md_file(md, name);
	size_t len = 99;
	char *got = th_read(path, &len);
	ck_assert_uint_eq(len, 0);
	free(got);
	free(path);
	free(name);
	maildir_free(md);
}
END_TEST

START_TEST(hostname_is_escaped)
{
	/* Needs a private UTS namespace (root); otherwise nothing to test. */
	if (unshare(CLONE_NEWUTS) < 0 || sethostname("a/b:c", 5) < 0)
		return;
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	char *name = NULL;
	ck_assert_int_eq(maildir_deliver(md, "x", 1, NULL, true, &name, &err), 0);
	ck_assert_ptr_nonnull(strstr(name, ".a\\057b\\072c,S=1:2,S"));
	free(name);
	maildir_free(md);
}
END_TEST

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(names_unique_1000)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	enum { N = 1000 };
	char **names = xcalloc(N, sizeof *names);
	for (int i = 0; i < N; i++) {
		char body[32];
		int n = snprintf(body, sizeof body, "message %d\n", i);
		ck_assert_int_eq(maildir_deliver(md, body, (size_t)n, NULL, false, &names[i], &err),
			0);
	}
	ck_assert_int_eq(md_count(md, "new"), N);
	qsort(names, N, sizeof *names, cmp_str);
	for (int i = 1; i < N; i++)
		ck_assert_str_ne(names[i - 1], names[i]);
	/* A second Maildir object on the same directory (its own counter)
	 * still never overwrites. */
	struct maildir *md2 = open_md("M");
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(maildir_deliver(md, "a", 1, NULL, false, NULL, &err), 0);
		ck_assert_int_eq(maildir_deliver(md2, "b", 1, NULL, false, NULL, &err), 0);
	}
	ck_assert_int_eq(md_count(md, "new"), N + 100);
	for (int i = 0; i < N; i++)
		free(names[i]);
	free(names);
	maildir_free(md2);
	maildir_free(md);
}
END_TEST

START_TEST(abort_leaves_nothing)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	struct maildir_delivery *d = maildir_delivery_begin(md, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(maildir_delivery_write(d, "partial", 7, &err), 0);
	ck_assert_int_eq(maildir_delivery_write(d, NULL, 0, &err), 0);
	maildir_delivery_abort(d);
	maildir_delivery_abort(NULL);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	ck_assert_int_eq(md_count(md, "new"), 0);
	ck_assert_int_eq(md_count(md, "cur"), 0);
	maildir_free(md);
}
END_TEST

/* A batch shows nothing in new/ or cur/ until commit, then all of it,
 * names and flags as a single delivery makes them; what was never
 * committed leaves no tmp file. */
START_TEST(batch_commit_places_all_at_once)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	struct maildir_batch *b = maildir_batch_new(md);
	ck_assert_int_eq(maildir_batch_add(b, "one\n", 4, NULL, &err), 0);
	ck_assert_int_eq(maildir_batch_add(b, "two!\n", 5, "SF", &err), 0);
	ck_assert_int_eq(maildir_batch_add(b, "", 0, "", &err), 0);
	/* A bad letter is refused alone; the batch keeps the others. */
	ck_assert_int_eq(maildir_batch_add(b, "x", 1, "Z", &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	ck_assert_uint_eq(maildir_batch_count(b), 3);
	ck_assert_uint_eq(maildir_batch_bytes(b), 9);
	ck_assert_int_eq(md_count(md, "tmp"), 3);
	ck_assert_int_eq(md_count(md, "new") + md_count(md, "cur"), 0);
	size_t placed = 99;
	ck_assert_int_eq(maildir_batch_commit(b, &placed, &err), 0);
	ck_assert_uint_eq(placed, 3);
	ck_assert_uint_eq(maildir_batch_count(b), 0);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	ck_assert_int_eq(md_count(md, "new"), 2);
	ck_assert_int_eq(md_count(md, "cur"), 1);
	struct maildir_iter *it = maildir_iter_new(md, &err);
	ck_assert_ptr_nonnull(it);
	struct maildir_entry e;
	int flagged = 0;
	uint64_t total = 0;
	while (maildir_iter_next(it, &e)) {
		uint64_t sz;
		ck_assert(maildir_name_size(e.name, &sz));
		total += sz;
		if (e.flags == (MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED)) {
			flagged++;
			ck_assert_ptr_nonnull(strstr(e.name, ",S=5:2,FS"));
		}
	}
	maildir_iter_free(it);
	ck_assert_int_eq(flagged, 1);
	ck_assert_uint_eq(total, 9);
	/* Reused after a commit; freed with an uncommitted message. */
	ck_assert_int_eq(maildir_batch_add(b, "three\n", 6, NULL, &err), 0);
	ck_assert_int_eq(md_count(md, "tmp"), 1);
	maildir_batch_free(b);
	maildir_batch_free(NULL);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	ck_assert_int_eq(md_count(md, "new"), 2);
	maildir_free(md);
}
END_TEST

/* A streamed delivery handed to a batch lands with the others, and the
 * names given back are those on disk, in the order added, with the flags
 * and the size of each. */
START_TEST(batch_streamed_deliveries_named)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	struct maildir_batch *b = maildir_batch_new(md);
	struct maildir_delivery *d = maildir_delivery_begin(md, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(maildir_delivery_write(d, "stre", 4, &err), 0);
	ck_assert_int_eq(maildir_delivery_write(d, "amed\n", 5, &err), 0);
	ck_assert_int_eq(maildir_batch_add_delivery(b, d, "S", &err), 0);
	ck_assert_int_eq(maildir_batch_add(b, "held\n", 5, NULL, &err), 0);
	/* A bad letter: the delivery is aborted, its tmp file gone. */
	d = maildir_delivery_begin(md, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(maildir_batch_add_delivery(b, d, "Q", &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	ck_assert_uint_eq(maildir_batch_count(b), 2);
	ck_assert_uint_eq(maildir_batch_bytes(b), 14);
	ck_assert_int_eq(md_count(md, "tmp"), 2);
	char *names[2] = {(char *)"x", (char *)"y"};
	size_t placed = 0;
	ck_assert_int_eq(maildir_batch_commit_names(b, &placed, names, &err), 0);
	ck_assert_uint_eq(placed, 2);
	ck_assert_ptr_nonnull(names[0]);
	ck_assert_ptr_nonnull(names[1]);
	ck_assert_int_eq(strncmp(names[0], "cur/", 4), 0);
	ck_assert_ptr_nonnull(strstr(names[0], ",S=9:2,S"));
	ck_assert_int_eq(strncmp(names[1], "new/", 4), 0);
	ck_assert_ptr_nonnull(strstr(names[1], ",S=5"));
	for (int i = 0; i < 2; i++) {
		char *p = xasprintf("%s/%s", maildir_path(md), names[i]);
		struct stat st;
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_int_eq(st.st_size, i ? 5 : 9);
		free(p);
		free(names[i]);
	}
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	maildir_batch_free(b);
	maildir_free(md);
}
END_TEST

/* A rename that fails (here new/ gone) places none of the batch, counts
 * none as placed, and leaves no tmp file behind. */
START_TEST(batch_commit_failure_places_none)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	struct maildir_batch *b = maildir_batch_new(md);
	ck_assert_int_eq(maildir_batch_add(b, "one\n", 4, NULL, &err), 0);
	ck_assert_int_eq(maildir_batch_add(b, "two\n", 4, NULL, &err), 0);
	char *newdir = md_file(md, "new");
	ck_assert_int_eq(rmdir(newdir), 0);
	size_t placed = 99;
	ck_assert_int_eq(maildir_batch_commit(b, &placed, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_uint_eq(placed, 0);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	ck_assert_int_eq(md_count(md, "cur"), 0);
	maildir_batch_free(b);
	free(newdir);
	maildir_free(md);
}
END_TEST

static const struct {
	const char *flags;
	bool seen;
	const char *dir;
	const char *suffix; /* what the name ends with */
} commit_cases[] = {
	{NULL, false, "new/", ",S=5"},
	{"", false, "new/", ",S=5"},
	{"SF", false, "cur/", ",S=5:2,FS"},
	{"F", true, "cur/", ",S=5:2,FS"},
	{NULL, true, "cur/", ",S=5:2,S"},
	{"TSRPFD", false, "cur/", ",S=5:2,DFPRST"},
	{"SSFF", true, "cur/", ",S=5:2,FS"},
};

START_TEST(commit_flags)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	char *name = NULL;
	ck_assert_int_eq(maildir_deliver(md, "hello", 5, commit_cases[_i].flags,
				 commit_cases[_i].seen, &name, &err),
		0);
	ck_assert_msg(strncmp(name, commit_cases[_i].dir, 4) == 0, "%s", name);
	size_t nl = strlen(name), sl = strlen(commit_cases[_i].suffix);
	ck_assert_msg(nl > sl && strcmp(name + nl - sl, commit_cases[_i].suffix) == 0, "%s", name);
	ck_assert_int_eq(md_count(md, commit_cases[_i].dir[0] == 'n' ? "new" : "cur"), 1);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	char *path = md_file(md, name);
	size_t len;
	char *got = th_read(path, &len);
	ck_assert_uint_eq(len, 5);
	ck_assert(memcmp(got, "hello", 5) == 0);
	free(got);
	free(path);
	free(name);
	maildir_free(md);
}
END_TEST

START_TEST(commit_bad_flag)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	char *name = (char *)"untouched";
	ck_assert_int_eq(maildir_deliver(md, "x", 1, "Sx", false, &name, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	ck_assert_ptr_null(name);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	ck_assert_int_eq(md_count(md, "new"), 0);
	ck_assert_int_eq(md_count(md, "cur"), 0);
	maildir_free(md);
}
END_TEST

/* Gives up root so that permission bits apply, handing the scratch
 * directory to the new user so teardown can still remove it; false if that
 * is not possible here. The test runs in its own process (CK_FORK). */
static bool
drop_root(void)
{
	if (geteuid() != 0)
		return true;
	return chown(root, 65534, 65534) == 0 && setgid(65534) == 0 && setuid(65534) == 0;
}

START_TEST(readonly_tmp_is_ioerr)
{
	if (!drop_root())
		return;
	const char *mine = root;
	char *p = xasprintf("%s/M", mine);
	struct qu_err err = {0};
	struct maildir *md = maildir_open(p, true, &err);
	ck_assert_ptr_nonnull(md);
	char *tmp = md_file(md, "tmp");
	ck_assert_int_eq(chmod(tmp, 0500), 0);
	ck_assert_ptr_null(maildir_delivery_begin(md, &err));
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_ptr_nonnull(strstr(err.msg, tmp));
	ck_assert_ptr_nonnull(strstr(err.msg, "Permission denied"));
	chmod(tmp, 0700);

	/* new/ read-only: the rename fails, nothing is left in tmp/. */
	char *new = md_file(md, "new");
	ck_assert_int_eq(chmod(new, 0500), 0);
	qu_err_clear(&err);
	ck_assert_int_eq(maildir_deliver(md, "x", 1, NULL, false, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_ptr_nonnull(strstr(err.msg, "Permission denied"));
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	chmod(new, 0700);
	ck_assert_int_eq(md_count(md, "new"), 0);

	/* And creating a Maildir inside a read-only directory. */
	ck_assert_int_eq(chmod(mine, 0500), 0);
	char *q = xasprintf("%s/N", mine);
	ck_assert_ptr_null(maildir_open(q, true, &err));
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	chmod(mine, 0700);

	free(q);
	free(new);
	free(tmp);
	maildir_free(md);
	free(p);
}
END_TEST

START_TEST(tmp_not_a_directory_is_ioerr)
{
	/* Works as root too: tmp/ replaced by a file. */
	struct maildir *md = open_md("M");
	char *tmp = md_file(md, "tmp");
	ck_assert_int_eq(rmdir(tmp), 0);
	th_write(tmp, "", 0);
	struct qu_err err = {0};
	ck_assert_ptr_null(maildir_delivery_begin(md, &err));
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_ptr_nonnull(strstr(err.msg, "Not a directory"));
	free(tmp);
	maildir_free(md);
}
END_TEST

START_TEST(write_failure_is_ioerr)
{
	/* A file size limit makes write() fail the way a full disk does. */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = {.rlim_cur = 100000, .rlim_max = RLIM_INFINITY};
	struct rlimit old;
	getrlimit(RLIMIT_FSIZE, &old);
	rl.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);

	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	struct maildir_delivery *d = maildir_delivery_begin(md, &err);
	ck_assert_ptr_nonnull(d);
	char chunk[10000];
	memset(chunk, 'a', sizeof chunk);
	int rc = 0;
	for (int i = 0; i < 20 && rc == 0; i++)
		rc = maildir_delivery_write(d, chunk, sizeof chunk, &err);
	if (rc == 0)
		rc = maildir_delivery_commit(d, NULL, false, NULL, &err);
	else
		maildir_delivery_abort(d);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_ptr_nonnull(strstr(err.msg, "/tmp/"));
	ck_assert_ptr_nonnull(strstr(err.msg, "File too large"));
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	ck_assert_int_eq(md_count(md, "new"), 0);
	maildir_free(md);
}
END_TEST

START_TEST(write_failure_at_commit)
{
	/* The failure shows only at the final flush in commit. */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, rl;
	getrlimit(RLIMIT_FSIZE, &old);
	rl.rlim_cur = 10;
	rl.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	char *name = (char *)"untouched";
	ck_assert_int_eq(maildir_deliver(md, "more than ten bytes", 19, NULL, false, &name, &err),
		-1);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	ck_assert_ptr_null(name);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	ck_assert_int_eq(md_count(md, "new"), 0);
	maildir_free(md);
}
END_TEST

/* The cancel handle, fired from a timer signal as a stop from another
 * thread would, with the time it fired. */
static struct qu_cancel *clean_cancel;
static volatile int64_t clean_fired_ms;

static void
fire_clean_cancel(int sig)
{
	(void)sig;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	clean_fired_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	qu_cancel_fire(clean_cancel);
}

static void
make_tmp_files(struct maildir *md, int n)
{
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/tmp/%d.M1P1Q1.host", maildir_path(md), i);
		th_write(p, "x", 1);
		free(p);
	}
}

START_TEST(clean_tmp_stops_on_cancel)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	enum { N = 30000 };
	make_tmp_files(md, 100);
	clean_cancel = qu_cancel_new();
	/* Fired before: nothing is removed. */
	qu_cancel_fire(clean_cancel);
	ck_assert_int_eq(maildir_clean_tmp(md, -1, clean_cancel, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert_int_eq(md_count(md, "tmp"), 100);
	qu_cancel_reset(clean_cancel);

	/* Fired 5 ms into a clean of many files (max age -1: every file is
	 * stale): it returns within 100 ms of the fire, with files left. */
	make_tmp_files(md, N);
	struct sigaction sa = {.sa_handler = fire_clean_cancel, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	struct sigaction old;
	ck_assert_int_eq(sigaction(SIGALRM, &sa, &old), 0);
	clean_fired_ms = 0;
	struct itimerval it = {.it_value = {.tv_usec = 5000}};
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	long rc = maildir_clean_tmp(md, -1, clean_cancel, &err);
	int64_t back = qu_now_ms();
	sigaction(SIGALRM, &old, NULL);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert_int_ne(clean_fired_ms, 0);
	ck_assert_int_lt(back - clean_fired_ms, 100);
	int left = md_count(md, "tmp");
	ck_assert_int_gt(left, 0);
	ck_assert_int_lt(left, N + 100);

	/* Without a fire the rest goes. */
	qu_cancel_reset(clean_cancel);
	ck_assert_int_eq(maildir_clean_tmp(md, -1, clean_cancel, &err), left);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	qu_cancel_free(clean_cancel);
	clean_cancel = NULL;
	maildir_free(md);
}
END_TEST

START_TEST(clean_tmp_removes_stale)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	char *old = md_file(md, "tmp/1.M1P1Q1.host");
	char *fresh = md_file(md, "tmp/2.M1P1Q1.host");
	th_write(old, "x", 1);
	th_write(fresh, "y", 1);
	struct timespec ts[2] = {{.tv_sec = time(NULL) - 48 * 3600}, {.tv_sec = time(NULL) - 48 * 3600}};
	ck_assert_int_eq(utimensat(AT_FDCWD, old, ts, 0), 0);
	/* An in-flight delivery is fresh and must survive. */
	struct maildir_delivery *d = maildir_delivery_begin(md, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(maildir_clean_tmp(md, 36 * 3600, NULL, &err), 1);
	ck_assert_int_eq(access(old, F_OK), -1);
	ck_assert_int_eq(access(fresh, F_OK), 0);
	ck_assert_int_eq(maildir_delivery_write(d, "z", 1, &err), 0);
	ck_assert_int_eq(maildir_delivery_commit(d, NULL, false, NULL, &err), 0);
	ck_assert_int_eq(md_count(md, "new"), 1);
	ck_assert_int_eq(maildir_clean_tmp(md, 36 * 3600, NULL, &err), 0);

	char *tmp = md_file(md, "tmp");
	rmdir(tmp);
	th_rmrf(tmp);
	ck_assert_int_eq(maildir_clean_tmp(md, 0, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	free(tmp);
	free(old);
	free(fresh);
	maildir_free(md);
}
END_TEST

START_TEST(delivery_matches_existing)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	char *name;
	ck_assert_int_eq(maildir_deliver(md, "same bytes\n", 11, NULL, false, &name, &err), 0);
	char *path = md_file(md, name);
	char *other = md_file(md, "cur/other");
	th_write(other, "diff bytes\n", 11);
	char *missing = md_file(md, "cur/missing");

	struct maildir_delivery *d = maildir_delivery_begin(md, &err);
	ck_assert_int_eq(maildir_delivery_write(d, "same ", 5, &err), 0);
	ck_assert_int_eq(maildir_delivery_matches(d, path, &err), 0); /* shorter */
	ck_assert_int_eq(maildir_delivery_write(d, "bytes\n", 6, &err), 0);
	ck_assert_int_eq(maildir_delivery_matches(d, path, &err), 1);
	ck_assert_int_eq(maildir_delivery_matches(d, other, &err), 0);
	ck_assert_int_eq(maildir_delivery_matches(d, missing, &err), 0);
	maildir_delivery_abort(d);
	ck_assert_int_eq(md_count(md, "tmp"), 0);
	free(missing);
	free(other);
	free(path);
	free(name);
	maildir_free(md);
}
END_TEST

/* ---- flags and names ------------------------------------------------- */

static const struct {
	const char *name;
	unsigned flags;
} parse_cases[] = {
	{"1.M2P3Q4.host", 0},
	{"1.M2P3Q4.host:2,", 0},
	{"1.M2P3Q4.host,S=12:2,S", MAILDIR_FLAG_SEEN},
	{"x:2,FRS", MAILDIR_FLAG_FLAGGED | MAILDIR_FLAG_REPLIED | MAILDIR_FLAG_SEEN},
	{"x:2,DFPRST", 0x3f},
	{"x:2,Sab", MAILDIR_FLAG_SEEN},     /* Dovecot keywords ignored */
	{"x:1,S", 0},                       /* experimental info: not flags */
	{"x:2,T", MAILDIR_FLAG_TRASHED},
	{"x:2,D", MAILDIR_FLAG_DRAFT},
	{"x:2,P", MAILDIR_FLAG_PASSED},
	{"x\\072y:2,R", MAILDIR_FLAG_REPLIED},
};

START_TEST(flags_parse_table)
{
	ck_assert_msg(maildir_flags_parse(parse_cases[_i].name) == parse_cases[_i].flags, "%s",
		parse_cases[_i].name);
}
END_TEST

START_TEST(flags_format)
{
	char out[7];
	ck_assert_str_eq(maildir_flags_format(0, out), "");
	ck_assert_str_eq(maildir_flags_format(0x3f, out), "DFPRST");
	ck_assert_str_eq(maildir_flags_format(MAILDIR_FLAG_SEEN | MAILDIR_FLAG_FLAGGED, out), "FS");
	ck_assert_uint_eq(maildir_flags_parse("x:2,DFPRST"), 0x3f);
}
END_TEST

static const struct {
	const char *name;
	bool ok;
	uint64_t size;
} size_cases[] = {
	{"1.M1P1Q1.host,S=123", true, 123},
	{"1.M1P1Q1.host,S=12,W=14:2,S", true, 12},
	{"1.M1P1Q1.host,S=0", true, 0},
	{"1.M1P1Q1.host", false, 0},
	{"1.M1P1Q1.host,S=:2,S", false, 0},
	{"1.M1P1Q1.host,S=1x", false, 0},
	{"1.M1P1Q1.host:2,S=5", false, 0}, /* inside the info: not a size */
	{"1.M1P1Q1.host,W=9,S=77", true, 77},
};

START_TEST(name_size_table)
{
	uint64_t size = 999;
	ck_assert_msg(maildir_name_size(size_cases[_i].name, &size) == size_cases[_i].ok, "%s",
		size_cases[_i].name);
	if (size_cases[_i].ok)
		ck_assert_uint_eq(size, size_cases[_i].size);
}
END_TEST

START_TEST(set_flags_moves_to_cur)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	char *name, *n2, *n3;
	ck_assert_int_eq(maildir_deliver(md, "m", 1, NULL, false, &name, &err), 0);
	ck_assert_int_eq(maildir_set_flags(md, name, MAILDIR_FLAG_SEEN, 0, &n2, &err), 0);
	ck_assert(strncmp(n2, "cur/", 4) == 0);
	ck_assert_str_eq(n2 + strlen(n2) - 4, ":2,S");
	ck_assert_str_eq(n2 + 4 + strlen(name + 4), ":2,S");
	ck_assert_int_eq(md_count(md, "new"), 0);
	ck_assert_int_eq(md_count(md, "cur"), 1);
	ck_assert_int_eq(
		maildir_set_flags(md, n2, MAILDIR_FLAG_FLAGGED | MAILDIR_FLAG_SEEN, 0, &n3, &err), 0);
	ck_assert_str_eq(n3 + strlen(n3) - 5, ":2,FS");
	/* Same flags again: a no-op. */
	free(n2);
	ck_assert_int_eq(
		maildir_set_flags(md, n3, MAILDIR_FLAG_FLAGGED | MAILDIR_FLAG_SEEN, MAILDIR_NOSYNC, &n2, &err), 0);
	ck_assert_str_eq(n2, n3);
	ck_assert_int_eq(md_count(md, "cur"), 1);

	/* Keywords of other writers survive, in ASCII order. */
	char *kw = md_file(md, "cur/9.x:2,Sba");
	th_write(kw, "k", 1);
	char *n4;
	ck_assert_int_eq(maildir_set_flags(md, "cur/9.x:2,Sba", MAILDIR_FLAG_REPLIED, MAILDIR_NOSYNC, &n4, &err), 0);
	ck_assert_str_eq(n4, "cur/9.x:2,Rab");
	ck_assert_int_eq(maildir_sync(md, &err), 0);

	ck_assert_int_eq(maildir_set_flags(md, "cur/nope", 0, 0, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_int_eq(maildir_set_flags(md, "tmp/x", 0, 0, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);
	ck_assert_int_eq(maildir_set_flags(md, "cur/../x", 0, 0, NULL, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_SOFTWARE);

	/* Never replaces another message. */
	char *a = md_file(md, "cur/7.y:2,S");
	char *b = md_file(md, "cur/7.y:2,F");
	th_write(a, "a", 1);
	th_write(b, "b", 1);
	ck_assert_int_eq(maildir_set_flags(md, "cur/7.y:2,S", MAILDIR_FLAG_FLAGGED, 0, NULL, &err),
		-1);
	ck_assert_int_eq(err.cls, QU_E_IOERR);
	size_t len;
	char *got = th_read(b, &len);
	ck_assert(len == 1 && got[0] == 'b');
	free(got);
	free(a);
	free(b);
	free(kw);
	free(n4);
	free(n3);
	free(n2);
	free(name);
	maildir_free(md);
}
END_TEST

/* ---- iteration ------------------------------------------------------- */

START_TEST(iterate_sorted_with_flags)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	/* Hand-made names to control the order: numeric, not lexical. */
	static const char *const files[] = {
		"cur/1000000000.M1P1Q1.h,S=1:2,RS",
		"new/999999999.M1P1Q1.h,S=1",
		"cur/1000000001.M1P1Q1.h,S=1:2,T",
		"new/1000000000.M2P1Q1.h,S=1",
		"cur/.hidden",          /* dot file: skipped */
		"new/.also-hidden",
		"tmp/5.not-a-message",  /* tmp/ is not read */
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(files); i++) {
		char *p = md_file(md, files[i]);
		th_write(p, files[i], strlen(files[i]));
		free(p);
	}
	/* A Maildir++ subfolder is a Maildir of its own, not part of this one. */
	maildir_free(open_md("M/.Sub"));
	char *sub_msg = xasprintf("%s/M/.Sub/new/1.x", root);
	th_write(sub_msg, "s", 1);

	struct maildir_iter *it = maildir_iter_new(md, &err);
	ck_assert_msg(it != NULL, "%s", err.msg);
	ck_assert_uint_eq(maildir_iter_count(it), 4);
	static const struct {
		const char *rel;
		bool is_new;
		unsigned flags;
	} want[] = {
		{"new/999999999.M1P1Q1.h,S=1", true, 0},
		{"cur/1000000000.M1P1Q1.h,S=1:2,RS", false, MAILDIR_FLAG_REPLIED | MAILDIR_FLAG_SEEN},
		{"new/1000000000.M2P1Q1.h,S=1", true, 0},
		{"cur/1000000001.M1P1Q1.h,S=1:2,T", false, MAILDIR_FLAG_TRASHED},
	};
	struct maildir_entry e;
	for (size_t i = 0; i < QU_ARRAY_LEN(want); i++) {
		ck_assert(maildir_iter_next(it, &e));
		char *p = md_file(md, want[i].rel);
		ck_assert_str_eq(e.path, p);
		ck_assert_str_eq(e.name, want[i].rel + 4);
		ck_assert_int_eq(e.is_new, want[i].is_new);
		ck_assert_uint_eq(e.flags, want[i].flags);
		/* The path is readable and holds what was written. */
		size_t len;
		char *got = th_read(e.path, &len);
		ck_assert_uint_eq(len, strlen(want[i].rel));
		free(got);
		free(p);
	}
	ck_assert(!maildir_iter_next(it, &e));
	ck_assert(!maildir_iter_next(it, &e));
	maildir_iter_free(it);
	maildir_iter_free(NULL);
	free(sub_msg);
	maildir_free(md);
}
END_TEST

START_TEST(iterate_delivered_and_missing_dirs)
{
	struct maildir *md = open_md("M");
	struct qu_err err = {0};
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(maildir_deliver(md, "x", 1, NULL, i % 2, NULL, &err), 0);
	struct maildir_iter *it = maildir_iter_new(md, &err);
	ck_assert_uint_eq(maildir_iter_count(it), 5);
	struct maildir_entry e;
	int seen = 0;
	while (maildir_iter_next(it, &e))
		seen += (e.flags & MAILDIR_FLAG_SEEN) != 0 && !e.is_new;
	ck_assert_int_eq(seen, 2);
	maildir_iter_free(it);

	/* Without new/ (cur/ only) it is still a Maildir, just smaller. */
	char *new = md_file(md, "new");
	th_rmrf(new);
	it = maildir_iter_new(md, &err);
	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(maildir_iter_count(it), 2);
	maildir_iter_free(it);
	free(new);
	maildir_free(md);
}
END_TEST

/* A FIFO among the messages is left out of the listing, and a reader
 * that meets one anyway gets an error at once instead of waiting for a
 * writer. */
START_TEST(fifo_is_no_message)
{
	struct maildir *md = open_md("F");
	struct qu_err err = {0};
	ck_assert_int_eq(maildir_deliver(md, "x", 1, NULL, 0, NULL, &err), 0);
	char *fifo = md_file(md, "cur/1.fifo:2,S");
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	struct maildir_iter *it = maildir_iter_new(md, &err);
	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(maildir_iter_count(it), 1);
	ck_assert_uint_eq(maildir_iter_skipped(it), 1);
	maildir_iter_free(it);
	alarm(10); /* a blocking open would hang here */
	struct store_map m;
	ck_assert_int_eq(store_map_file(fifo, &m, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_NOINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
	ck_assert_int_eq(store_open_regular(fifo, &err), -1);
	alarm(0);
	free(fifo);
	maildir_free(md);
}
END_TEST

static Suite *
maildir_suite(void)
{
	Suite *s = suite_create("store-maildir");
	TCase *tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, open_creates_tree);
	tcase_add_test(tc, open_existing_only);
	tcase_add_test(tc, open_create_over_file_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("deliver");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, deliver_byte_exact_chunks);
	tcase_add_test(tc, deliver_empty_and_name_format);
	tcase_add_test(tc, hostname_is_escaped);
	tcase_add_test(tc, names_unique_1000);
	tcase_add_test(tc, abort_leaves_nothing);
	tcase_add_test(tc, batch_commit_places_all_at_once);
	tcase_add_test(tc, batch_commit_failure_places_none);
	tcase_add_test(tc, batch_streamed_deliveries_named);
	tcase_add_loop_test(tc, commit_flags, 0, (int)QU_ARRAY_LEN(commit_cases));
	tcase_add_test(tc, commit_bad_flag);
	tcase_add_test(tc, readonly_tmp_is_ioerr);
	tcase_add_test(tc, tmp_not_a_directory_is_ioerr);
	tcase_add_test(tc, write_failure_is_ioerr);
	tcase_add_test(tc, write_failure_at_commit);
	tcase_add_test(tc, clean_tmp_removes_stale);
	tcase_add_test(tc, clean_tmp_stops_on_cancel);
	tcase_add_test(tc, delivery_matches_existing);
	suite_add_tcase(s, tc);

	tc = tcase_create("flags");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, flags_parse_table, 0, (int)QU_ARRAY_LEN(parse_cases));
	tcase_add_test(tc, flags_format);
	tcase_add_loop_test(tc, name_size_table, 0, (int)QU_ARRAY_LEN(size_cases));
	tcase_add_test(tc, set_flags_moves_to_cur);
	suite_add_tcase(s, tc);

	tc = tcase_create("iterate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, iterate_sorted_with_flags);
	tcase_add_test(tc, iterate_delivered_and_missing_dirs);
	tcase_add_test(tc, fifo_is_no_message);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return th_run(maildir_suite());
}
