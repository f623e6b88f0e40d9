/*
 * The fetch engine shared by `quail fetch --pop3` and `--imap`
 * (src/app/fetch_engine.c): the set of journal keys, and the protocol
 * driven with a journal, a Maildir and the commit pool: P entries before
 * any file is committed, C entries once it is, a stored copy found
 * instead of stored twice.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "app/private.h"

/* Keys are byte strings compared whole: a prefix is another key. */
START_TEST(test_keys_add_find)
{
	struct app_fetch_keys s = {0};
	ck_assert_ptr_null(app_fetch_keys_find(&s, "a", 1));
	bool added;
	struct app_fetch_key *e = app_fetch_keys_add(&s, "abc", 3, &added);
	ck_assert(added);
	ck_assert_int_eq(e->state, APP_KEY_PENDING);
	ck_assert_str_eq(e->key, "abc");
	ck_assert_ptr_null(e->rel);
	ck_assert_ptr_null(app_fetch_keys_find(&s, "ab", 2));
	ck_assert_ptr_null(app_fetch_keys_find(&s, "abcd", 4));
	/* the length counts, not a NUL */
	ck_assert_ptr_eq(app_fetch_keys_find(&s, "abcdef", 3), e);
	app_fetch_key_done(e, "new/1.x", 7);
	e = app_fetch_keys_add(&s, "abc", 3, &added);
	ck_assert(!added);
	ck_assert_int_eq(e->state, APP_KEY_DONE); /* a later P keeps it done */
	ck_assert_str_eq(e->rel, "new/1.x");
	app_fetch_key_done(e, "cur/1.x:2,S", 11);
	ck_assert_str_eq(app_fetch_keys_find(&s, "abc", 3)->rel, "cur/1.x:2,S");
	ck_assert_uint_eq(s.n, 1);
	app_fetch_keys_clear(&s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_ptr_null(app_fetch_keys_find(&s, "abc", 3));
}
END_TEST

/* Many keys: the table grows and every one is still found, with its state;
 * claimed lists exactly the done ones. */
START_TEST(test_keys_grow_claimed)
{
	struct app_fetch_keys s = {0};
	enum { N = 5000 };
	char k[32], r[32];
	for (unsigned i = 0; i < N; i++) {
		int n = snprintf(k, sizeof k, "%u %u", i % 7, i);
		struct app_fetch_key *e = app_fetch_keys_add(&s, k, (size_t)n, NULL);
		e->num = i;
		if (i % 3 == 0) {
			int rn = snprintf(r, sizeof r, "new/%u", i);
			app_fetch_key_done(e, r, (size_t)rn);
		}
	}
	ck_assert_uint_eq(s.n, N);
	ck_assert_uint_ge(s.cap, 2 * N);
	for (unsigned i = 0; i < N; i++) {
		int n = snprintf(k, sizeof k, "%u %u", i % 7, i);
		struct app_fetch_key *e = app_fetch_keys_find(&s, k, (size_t)n);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->num, i);
		ck_assert_int_eq(e->state, i % 3 == 0 ? APP_KEY_DONE : APP_KEY_PENDING);
	}
	ck_assert_ptr_null(app_fetch_keys_find(&s, "7 1", 3));
	size_t nc;
	const char **c = app_fetch_keys_claimed(&s, &nc);
	ck_assert_uint_eq(nc, (N + 2) / 3);
	for (size_t i = 0; i < nc; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(c[i], "new/%u", &v), 1);
		ck_assert_uint_eq(v % 3, 0);
	}
	free(c);
	app_fetch_keys_clear(&s);
}
END_TEST

/* ---- the protocol --------------------------------------------------- */

/* A plan of messages "m0", "m1", ... with tags 10, 11, ...; what the
 * engine asked and told. */
struct fake {
	struct maildir *md;
	size_t n;
	int committed;        /* ops->committed calls */
	size_t last_tag;
	int pends, builds;
	bool have_p[8];
};

static void
fk_put_key(void *ctx, struct qu_buf *b, size_t tag)
{
	(void)ctx;
	qu_buf_printf(b, "m%zu", tag - 10);
}

static size_t
fk_plan_tag(void *ctx, size_t i)
{
	(void)ctx;
	return 10 + i;
}

static bool
fk_pend(void *ctx, size_t tag)
{
	struct fake *f = ctx;
	f->pends++;
	bool had = f->have_p[tag - 10];
	f->have_p[tag - 10] = true;
	return !had;
}

static void
fk_committed(void *ctx, const struct app_commit_job *j)
{
	struct fake *f = ctx;
	f->committed++;
	f->last_tag = j->tag;
	ck_assert_ptr_nonnull(j->rel);
}

static int
fk_build(void *ctx, struct app_stored_index *ix, struct qu_err *err)
{
	struct fake *f = ctx;
	f->builds++;
	return app_stored_index_build(f->md, NULL, 0, ix, err);
}

static const struct app_fetch_engine_ops fk_ops = {fk_put_key, fk_plan_tag, fk_pend, fk_committed,
						   fk_build};

static char *
mkroot(void)
{
	char *dir = xstrdup("/tmp/quail-test-engine-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void
rmroot(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* The journal's lines joined by '|'. */
static int
collect(void *ctx, const char *line, size_t len, struct qu_err *err)
{
	(void)err;
	struct qu_buf *b = ctx;
	if (b->len)
		qu_buf_append_byte(b, '|');
	qu_buf_append(b, line, len);
	return 0;
}

static char *
journal_text(const char *dir)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	struct qu_err err = {0};
	ck_assert_int_eq(store_journal_read(dir, "j", collect, &b, &err), 0);
	qu_buf_append_byte(&b, '\0');
	return qu_buf_steal(&b, NULL);
}

static struct app_commit_job *
job(struct app_fetch_engine *e, struct fake *f, size_t i, const char *body)
{
	struct qu_err err = {0};
	struct app_commit_job *j = xcalloc(1, sizeof *j);
	j->tag = fk_plan_tag(f, i);
	j->d = maildir_delivery_begin(f->md, &err);
	ck_assert_ptr_nonnull(j->d);
	ck_assert_int_eq(maildir_delivery_write(j->d, body, strlen(body), &err), 0);
	j->size = strlen(body);
	(void)e;
	return j;
}

static void
engine_init(struct app_fetch_engine *e, struct fake *f, struct app_fetch_result *r, const char *dir)
{
	struct qu_err err = {0};
	char *inbox = xasprintf("%s/INBOX", dir);
	f->md = maildir_open(inbox, true, &err);
	ck_assert_ptr_nonnull(f->md);
	*e = (struct app_fetch_engine){.ops = &fk_ops, .ctx = f, .r = r, .dir = dir, .jname = "j",
				       .path_prefix = "INBOX/", .strip = strlen(inbox), .ahead = 2,
				       .n_todo = f->n};
	free(inbox);
	e->j = store_journal_open(dir, "j", &err);
	ck_assert_ptr_nonnull(e->j);
	ck_assert_int_eq(app_fetch_engine_start(e, &err), 0);
}

/* Each message is durably P before it is handed over; C entries follow
 * with the path under the prefix; all are counted. */
START_TEST(test_engine_p_before_c)
{
	char *dir = mkroot();
	struct fake f = {.n = 3};
	struct app_fetch_result r = {0};
	struct app_fetch_engine e;
	struct qu_err err = {0};
	engine_init(&e, &f, &r, dir);

	ck_assert_int_eq(app_fetch_engine_take(&e, job(&e, &f, 0, "one\n"), 0, false, &err), 0);
	/* the first take covers `ahead` messages in one line */
	char *t = journal_text(dir);
	ck_assert_str_eq(t, "P m0 P m1");
	free(t);
	ck_assert_uint_eq(e.covered, 2);
	ck_assert_int_eq(app_fetch_engine_take(&e, job(&e, &f, 1, "two\n"), 1, false, &err), 0);
	ck_assert_int_eq(app_fetch_engine_take(&e, job(&e, &f, 2, "three\n"), 2, false, &err), 0);
	ck_assert_uint_eq(e.covered, 3);
	ck_assert_int_eq(app_fetch_engine_finish(&e, &err), 0);
	ck_assert_int_eq(f.committed, 3);
	ck_assert_uint_eq(r.messages, 3);
	ck_assert_uint_eq(r.bytes, 4 + 4 + 6);
	ck_assert_uint_eq(r.already, 0);
	ck_assert_int_eq(e.prog.pr.msgs_done, 3);

	/* Every message has exactly one P before any C, and one C naming a
	 * file under INBOX/ that exists. */
	t = journal_text(dir);
	for (int m = 0; m < 3; m++) {
		char p[8], c[8];
		snprintf(p, sizeof p, "P m%d", m);
		snprintf(c, sizeof c, "C m%d ", m);
		char *pp = strstr(t, p), *cp = strstr(t, c);
		ck_assert_msg(pp && cp && pp < cp, "%s", t);
		ck_assert_ptr_null(strstr(pp + 1, p));
		ck_assert_ptr_null(strstr(cp + 1, c));
		const char *rel = cp + strlen(c);
		size_t rn = strcspn(rel, " |");
		ck_assert(rn > 10 && strncmp(rel, "INBOX/new/", 10) == 0);
		char *path = xasprintf("%s/%.*s", dir, (int)rn, rel);
		ck_assert_int_eq(access(path, F_OK), 0);
		free(path);
	}
	free(t);
	ck_assert_int_eq(f.builds, 0);
	app_fetch_engine_clear(&e);
	ck_assert_ptr_null(e.j);
	maildir_free(f.md);
	rmroot(dir);
	free(dir);
}
END_TEST

/* A message that may be stored already and is: recorded with the file
 * found, not stored twice; pend() false writes no second P. */
START_TEST(test_engine_finds_stored)
{
	char *dir = mkroot();
	struct fake f = {.n = 2};
	struct app_fetch_result r = {0};
	struct app_fetch_engine e;
	struct qu_err err = {0};
	engine_init(&e, &f, &r, dir);
	char *name = NULL;
	ck_assert_int_eq(maildir_deliver(f.md, "same\n", 5, NULL, false, &name, &err), 0);
	f.have_p[0] = true; /* an earlier run's P */

	ck_assert_int_eq(app_fetch_engine_take(&e, job(&e, &f, 0, "same\n"), 0, true, &err), 0);
	ck_assert_int_eq(app_fetch_engine_take(&e, job(&e, &f, 1, "other\n"), 1, true, &err), 0);
	ck_assert_int_eq(app_fetch_engine_finish(&e, &err), 0);
	ck_assert_int_eq(f.builds, 1);
	ck_assert_uint_eq(r.already, 1);
	ck_assert_uint_eq(r.messages, 1);
	char *t = journal_text(dir);
	ck_assert_msg(strncmp(t, "P m1", 4) == 0, "%s", t);
	ck_assert_ptr_null(strstr(t, "P m0"));
	char *c0 = xasprintf("C m0 INBOX/%s", name);
	ck_assert_msg(strstr(t, c0) != NULL, "%s", t);
	ck_assert_ptr_nonnull(strstr(t, "C m1 INBOX/new/"));
	free(c0);
	free(t);
	struct maildir_iter *it = maildir_iter_new(f.md, &err);
	ck_assert_uint_eq(maildir_iter_count(it), 2);
	maildir_iter_free(it);
	free(name);
	app_fetch_engine_clear(&e);
	maildir_free(f.md);
	rmroot(dir);
	free(dir);
}
END_TEST

/* Without a journal (POP3 without UIDL) nothing is written; the commits
 * still count. */
START_TEST(test_engine_no_journal)
{
	char *dir = mkroot();
	struct fake f = {.n = 1};
	struct app_fetch_result r = {0};
	struct app_fetch_engine e;
	struct qu_err err = {0};
	engine_init(&e, &f, &r, dir);
	store_journal_free(e.j);
	e.j = NULL;
	ck_assert_int_eq(app_fetch_engine_take(&e, job(&e, &f, 0, "x\n"), 0, false, &err), 0);
	ck_assert_int_eq(app_fetch_engine_finish(&e, &err), 0);
	ck_assert_uint_eq(r.messages, 1);
	ck_assert_int_eq(f.committed, 1);
	ck_assert_int_eq(f.pends, 0);
	char *t = journal_text(dir);
	ck_assert_str_eq(t, "");
	free(t);
	app_fetch_engine_clear(&e);
	maildir_free(f.md);
	rmroot(dir);
	free(dir);
}
END_TEST

/* A compacted journal holds the entries the fetches write: P for a
 * pending key, C with the path %-encoded under the prefix for a done one;
 * with marked_only, only the marked keys. */
START_TEST(test_compact_lines)
{
	char *dir = mkroot();
	struct app_fetch_keys s = {0};
	struct app_fetch_key *e = app_fetch_keys_add(&s, "u1", 2, NULL);
	app_fetch_key_done(e, "new/1.a b:2,S", 13);
	e->mark = true;
	app_fetch_keys_add(&s, "u2", 2, NULL)->mark = true;
	app_fetch_key_done(app_fetch_keys_add(&s, "gone", 4, NULL), "cur/2", 5);
	struct app_fetch_lines l = {0};
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_buf_append_str(&b, "F 3 x");
	app_fetch_lines_take(&l, &b);
	ck_assert_uint_eq(b.len, 0);
	app_fetch_lines_keys(&l, &s, "", "INBOX/", true);
	ck_assert_uint_eq(l.n, 3);
	app_fetch_lines_keys(&l, &s, "3 ", NULL, false);
	ck_assert_uint_eq(l.n, 6);
	qu_buf_clear(&b);
	struct qu_err err = {0};
	ck_assert_int_eq(app_fetch_lines_write(&l, dir, "j", &err), 0);
	ck_assert_uint_eq(l.n, 0);
	char *t = journal_text(dir);
	ck_assert_msg(strncmp(t, "F 3 x|", 6) == 0, "%s", t);
	const char *want[] = {"|C u1 INBOX/new/1.a%20b:2,S|", "|P u2|", "|C 3 u1 new/1.a%20b:2,S",
			      "|P 3 u2", "|C 3 gone cur/2"};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		ck_assert_msg(strstr(t, want[i]) != NULL, "%s in %s", want[i], t);
	ck_assert_ptr_null(strstr(t, "C gone"));
	free(t);
	app_fetch_keys_clear(&s);
	rmroot(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fetch_engine");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, test_keys_add_find);
	tcase_add_test(tc, test_keys_grow_claimed);
	suite_add_tcase(s, tc);
	tc = tcase_create("engine");
	tcase_add_test(tc, test_engine_p_before_c);
	tcase_add_test(tc, test_engine_finds_stored);
	tcase_add_test(tc, test_engine_no_journal);
	tcase_add_test(tc, test_compact_lines);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
