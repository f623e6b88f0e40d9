/* quail fetch --imap (app_fetch_imap) and quail list (app_list) against
 * scripted servers: what is stored where, what the journal says, a second
 * run that only checks state, a hostile LIST, a UIDVALIDITY change,
 * resuming after an interruption, --delete, and refused folders. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "store/store.h"
#include "config/config.h"
#include "app/app.h"
#include "peer.h"

#define GREET "S:* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR LIST-STATUS UIDPLUS] hi"
#define LOGIN "C:Q1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", \
	"S:Q1 OK [CAPABILITY IMAP4rev1 LIST-STATUS UIDPLUS] in"
#define DELIM(n) "C:Q" #n " LIST \"\" \"\"", "S:* LIST (\\Noselect) \"/\" \"\"", "S:Q" #n " OK"
#define LOGOUT(n) "C:Q" #n " LOGOUT", "S:* BYE", "S:Q" #n " OK"
#define ITEMS "(MESSAGES UIDVALIDITY UIDNEXT)"

/* Three messages of 17 bytes. */
#define B1 "Subject: 1\r\n\r\nA\r\n"
#define B2 "Subject: 2\r\n\r\nB\r\n"
#define B3 "Subject: 3\r\n\r\nC\r\n"

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/quail-imapfetch-XXXXXX";
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

/* The names in DIR/SUB, sorted, joined by '|'. */
static char *
names(const char *dir, const char *sub)
{
	char *p = xasprintf("%s/%s", dir, sub);
	struct dirent **v;
	int n = scandir(p, &v, NULL, alphasort);
	free(p);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") != 0 && strcmp(v[i]->d_name, "..") != 0) {
			if (b.len)
				qu_buf_append_byte(&b, '|');
			qu_buf_append_str(&b, v[i]->d_name);
		}
		free(v[i]);
	}
	if (n > 0)
		free(v);
	return qu_buf_steal(&b, NULL);
}

static int
count(const char *dir, const char *sub)
{
	char *s = names(dir, sub);
	int n = *s ? 1 : 0;
	for (char *c = s; *c; c++)
		n += *c == '|';
	free(s);
	return n;
}

/* The ":2,..." info of each name in DIR/SUB, sorted, joined by ' '. */
static char *
infos(const char *dir, const char *sub)
{
	char *all = names(dir, sub);
	char *v[64];
	size_t n = 0;
	for (char *save, *t = strtok_r(all, "|", &save); t && n < 64; t = strtok_r(NULL, "|", &save)) {
		const char *i = strstr(t, ":2,");
		v[n++] = xstrdup(i ? i : "-");
	}
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(v[b - 1], v[b]) > 0; b--) {
			char *t = v[b];
			v[b] = v[b - 1];
			v[b - 1] = t;
		}
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t k = 0; k < n; k++) {
		qu_buf_printf(&b, "%s%s", k ? " " : "", v[k]);
		free(v[k]);
	}
	free(all);
	return qu_buf_steal(&b, NULL);
}

/* The one file in DIR/SUB (a Maildir's new/ or cur/). */
static char *
only_file(const char *dir, const char *sub)
{
	ck_assert_int_eq(count(dir, sub), 1);
	char *n = names(dir, sub);
	char *p = xasprintf("%s/%s/%s", dir, sub, n);
	free(n);
	struct store_map m;
	ck_assert_int_eq(store_map_file(p, &m, NULL), 0);
	char *s = xstrndup(m.p, m.len);
	store_unmap(&m);
	free(p);
	return s;
}

static char *
journal(const char *dir)
{
	char *p = xasprintf("%s/.quail/imap-alice@127.0.0.1", dir);
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
run_fetch(struct run *x, struct peer *p, const char *dir, const char *const *folders, size_t nf,
	  bool all, bool del)
{
	char *url = xasprintf("imap+insecure://127.0.0.1:%u", (unsigned)p->port);
	memset(x, 0, sizeof *x);
	x->a.max_message_size = run_max_size;
	x->a.imap = url;
	x->a.user = "alice";
	x->a.password = "secret";
	x->a.maildir = (char *)dir;
	x->o.folders = folders;
	x->o.n_folders = nf;
	x->o.all_folders = all;
	x->o.delete_after = del;
	struct app_net net = {.timeout_s = 5};
	x->rc = app_fetch_imap(&x->a, &x->o, &net, &x->r, &x->err);
	free(url);
}

#define INBOX_SELECT(n, v, next, exists)                                                     \
	"C:Q" #n " EXAMINE \"INBOX\"", "S:* " #exists " EXISTS", "S:* OK [UIDVALIDITY " #v "] x", \
		"S:* OK [UIDNEXT " #next "] x", "S:Q" #n " OK [READ-ONLY] done"

START_TEST(test_fetch_then_nothing_new)
{
	static const char *const first[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 3 UIDVALIDITY 5 UIDNEXT 4)",
		"S:Q3 OK",
		INBOX_SELECT(4, 5, 4, 3),
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"S:* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.SIZE 17)",
		"S:* 2 FETCH (UID 2 FLAGS (\\Answered \\Flagged $Forwarded) RFC822.SIZE 17)",
		"S:* 3 FETCH (UID 3 FLAGS () RFC822.SIZE 17)",
		"S:Q5 OK",
		"C:Q6 UID FETCH 1:3 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] {17}\r\n" B1 ")\r\n",
		"R:* 2 FETCH (UID 2 FLAGS (\\Answered \\Flagged $Forwarded) BODY[] {17}\r\n" B2 ")\r\n",
		"R:* 3 FETCH (UID 3 FLAGS (\\Recent) BODY[] {17}\r\n" B3 ")\r\n",
		"S:Q6 OK",
		LOGOUT(7), NULL,
	};
	static const char *const second[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 3 UIDVALIDITY 5 UIDNEXT 4)",
		"S:Q3 OK", LOGOUT(4), NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, first);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 3);
	ck_assert_uint_eq(x.r.bytes, 3 * 17);
	ck_assert_uint_eq(x.r.folders, 1);
	/* Seen and flagged mail in cur/ with its flags, the rest in new/. */
	ck_assert_int_eq(count(dir, "INBOX/cur"), 2);
	ck_assert_int_eq(count(dir, "INBOX/tmp"), 0);
	char *b3 = only_file(dir, "INBOX/new");
	ck_assert_str_eq(b3, B3);
	free(b3);
	char *cur = names(dir, "INBOX/cur");
	ck_assert_msg(strstr(cur, ",S=17:2,S") && strstr(cur, ",S=17:2,FPR"), "%s", cur);
	free(cur);
	char *j = journal(dir);
	ck_assert_ptr_nonnull(strstr(j, "F 0 INBOX\n"));
	ck_assert_ptr_nonnull(strstr(j, "V 0 5\n"));
	ck_assert_ptr_nonnull(strstr(j, "C 0 1 INBOX/cur/"));
	ck_assert_ptr_nonnull(strstr(j, "S 0 4 0\n"));
	ck_assert(strstr(j, "P 0 3") < strstr(j, "C 0 3"));
	free(j);

	/* Nothing new: no EXAMINE, no FETCH. */
	peer_start(&p, second);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 0);
	ck_assert_uint_eq(x.r.folders, 1);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Flags changed on a CONDSTORE server reach the stored copies: one UID
 * FETCH ... (CHANGEDSINCE n) of the synced UIDs; a FETCH for a UID that
 * is not stored, or not yet synced, changes nothing. */
#define CS_GREET "S:* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR CONDSTORE] hi"
#define CS_LOGIN "C:Q1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", \
	"S:Q1 OK [CAPABILITY IMAP4rev1 CONDSTORE] in"
#define CS_ITEMS "(MESSAGES UIDVALIDITY UIDNEXT HIGHESTMODSEQ)"
#define CS_SELECT(n, modseq)                                                                 \
	"C:Q" #n " EXAMINE \"INBOX\" (CONDSTORE)", "S:* 3 EXISTS", "S:* OK [UIDVALIDITY 5] x",  \
		"S:* OK [UIDNEXT 4] x", "S:* OK [HIGHESTMODSEQ " #modseq "] x",                \
		"S:Q" #n " OK [READ-ONLY] done"

START_TEST(test_flag_changes)
{
	static const char *const first[] = {
		CS_GREET, CS_LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " CS_ITEMS,
		"S:* STATUS INBOX (MESSAGES 3 UIDVALIDITY 5 UIDNEXT 4 HIGHESTMODSEQ 10)", "S:Q3 OK",
		CS_SELECT(4, 10),
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"S:* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.SIZE 17)",
		"S:* 2 FETCH (UID 2 FLAGS (\\Seen) RFC822.SIZE 17)",
		"S:* 3 FETCH (UID 3 FLAGS () RFC822.SIZE 17)",
		"S:Q5 OK",
		"C:Q6 UID FETCH 1:3 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] {17}\r\n" B1 ")\r\n",
		"R:* 2 FETCH (UID 2 FLAGS (\\Seen) BODY[] {17}\r\n" B2 ")\r\n",
		"R:* 3 FETCH (UID 3 FLAGS () BODY[] {17}\r\n" B3 ")\r\n",
		"S:Q6 OK",
		LOGOUT(7), NULL,
	};
	static const char *const second[] = {
		CS_GREET, CS_LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " CS_ITEMS,
		"S:* STATUS INBOX (MESSAGES 3 UIDVALIDITY 5 UIDNEXT 4 HIGHESTMODSEQ 14)", "S:Q3 OK",
		CS_SELECT(4, 14),
		"C:Q5 UID FETCH 1:3 (UID FLAGS) (CHANGEDSINCE 10)",
		"S:* 3 FETCH (UID 3 MODSEQ (11) FLAGS (\\Seen \\Flagged))",
		"S:* 1 FETCH (UID 1 MODSEQ (12) FLAGS ())",
		"S:* 9 FETCH (UID 99 MODSEQ (13) FLAGS (\\Deleted))",
		"S:* 4 FETCH (UID 4 MODSEQ (13) FLAGS (\\Deleted))",
		"S:* 2 FETCH (MODSEQ (14) FLAGS (\\Draft))",
		"S:Q5 OK",
		LOGOUT(6), NULL,
	};
	static const char *const third[] = {
		CS_GREET, CS_LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " CS_ITEMS,
		"S:* STATUS INBOX (MESSAGES 3 UIDVALIDITY 5 UIDNEXT 4 HIGHESTMODSEQ 14)", "S:Q3 OK",
		LOGOUT(4), NULL,
	};
	static const char *const fourth[] = {
		"S:* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR ENABLE CONDSTORE QRESYNC] hi",
		"C:Q1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==",
		"S:Q1 OK [CAPABILITY IMAP4rev1 ENABLE CONDSTORE QRESYNC] in",
		"C:Q2 ENABLE QRESYNC CONDSTORE", "S:* ENABLED QRESYNC CONDSTORE", "S:Q2 OK",
		DELIM(3),
		"C:Q4 STATUS \"INBOX\" " CS_ITEMS,
		"S:* STATUS INBOX (MESSAGES 2 UIDVALIDITY 5 UIDNEXT 4 HIGHESTMODSEQ 16)", "S:Q4 OK",
		"C:Q5 EXAMINE \"INBOX\" (QRESYNC (5 14 1:3))", "S:* 2 EXISTS",
		"S:* OK [UIDVALIDITY 5] x", "S:* OK [UIDNEXT 4] x", "S:* OK [HIGHESTMODSEQ 16] x",
		"S:* VANISHED (EARLIER) 2",
		"S:* 2 FETCH (UID 3 MODSEQ (16) FLAGS (\\Answered))",
		"S:* 1 FETCH (UID 1 MODSEQ (15) FLAGS (\\Seen))",
		"S:Q5 OK [READ-ONLY] done",
		LOGOUT(6), NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, first);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 3);
	char *j = journal(dir);
	ck_assert_ptr_nonnull(strstr(j, "S 0 4 10\n"));
	free(j);

	peer_start(&p, second);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 0);
	ck_assert_uint_eq(x.r.reflagged, 2);
	/* UID 3 left new/ for cur/ as seen and flagged; UID 1 lost \Seen;
	 * UID 2 (the FETCH without a UID) kept its flags. */
	ck_assert_int_eq(count(dir, "INBOX/new"), 0);
	char *inf = infos(dir, "INBOX/cur");
	ck_assert_str_eq(inf, ":2, :2,FS :2,S");
	free(inf);
	j = journal(dir);
	ck_assert_ptr_nonnull(strstr(j, "S 0 4 14\n"));
	ck_assert_ptr_nonnull(strstr(j, ":2,FS"));
	free(j);

	/* HIGHESTMODSEQ as recorded: not selected. */
	peer_start(&p, third);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.reflagged, 0);

	/* A QRESYNC server: the changes come with EXAMINE's reply, no UID
	 * FETCH; a message expunged there (VANISHED) keeps its copy. */
	peer_start(&p, fourth);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.reflagged, 2);
	ck_assert_int_eq(count(dir, "INBOX/cur"), 3);
	inf = infos(dir, "INBOX/cur");
	ck_assert_str_eq(inf, ":2,R :2,S :2,S");
	free(inf);
	j = journal(dir);
	ck_assert_ptr_nonnull(strstr(j, "S 0 4 16\n"));
	free(j);
	rm_rf(dir);
	free(dir);
}
END_TEST

#define ALL_LIST "C:Q2 LIST \"\" \"*\" RETURN (STATUS " ITEMS ")"
#define ST(name) "S:* STATUS " name " (MESSAGES 1 UIDVALIDITY 1 UIDNEXT 2)"

/* Names from the server never reach outside DIR, nor tmp/new/cur. */
START_TEST(test_hostile_list)
{
	static const char *const s2[] = {
		GREET, LOGIN, ALL_LIST,
		"S:* LIST () \"/\" \"../../x\"", ST("\"../../x\""),
		"S:* LIST () \"/\" \"/abs\"", ST("\"/abs\""),
		"S:* LIST () \"/\" \"a//b\"", ST("\"a//b\""),
		"S:* LIST () \"/\" \"cur\"", ST("\"cur\""),
		"S:* LIST () \"/\" \".quail\"", ST("\".quail\""),
		"S:* LIST () \"/\" \"x\x1b[2Jy\"", ST("\"x\x1b[2Jy\""),
		"S:* LIST (\\Noselect) \"/\" \"nope\"",
		"S:Q2 OK",
		"C:Q3 EXAMINE \"../../x\"", "S:* OK [UIDVALIDITY 1] x", "S:Q3 OK",
		"C:Q4 UID FETCH 1:* (UID FLAGS RFC822.SIZE)", "S:* 1 FETCH (UID 1 RFC822.SIZE 17)",
		"S:Q4 OK", "C:Q5 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n", "S:Q5 OK",
		"C:Q6 EXAMINE \"/abs\"", "S:* OK [UIDVALIDITY 1] x", "S:Q6 OK",
		"C:Q7 UID FETCH 1:* (UID FLAGS RFC822.SIZE)", "S:* 1 FETCH (UID 1 RFC822.SIZE 17)",
		"S:Q7 OK", "C:Q8 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n", "S:Q8 OK",
		"C:Q9 EXAMINE \"a//b\"", "S:* OK [UIDVALIDITY 1] x", "S:Q9 OK",
		"C:Q10 UID FETCH 1:* (UID FLAGS RFC822.SIZE)", "S:* 1 FETCH (UID 1 RFC822.SIZE 17)",
		"S:Q10 OK", "C:Q11 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n", "S:Q11 OK",
		"C:Q12 EXAMINE \"cur\"", "S:* OK [UIDVALIDITY 1] x", "S:Q12 OK",
		"C:Q13 UID FETCH 1:* (UID FLAGS RFC822.SIZE)", "S:* 1 FETCH (UID 1 RFC822.SIZE 17)",
		"S:Q13 OK", "C:Q14 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n", "S:Q14 OK",
		"C:Q15 EXAMINE \".quail\"", "S:* OK [UIDVALIDITY 1] x", "S:Q15 OK",
		"C:Q16 UID FETCH 1:* (UID FLAGS RFC822.SIZE)", "S:* 1 FETCH (UID 1 RFC822.SIZE 17)",
		"S:Q16 OK", "C:Q17 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n", "S:Q17 OK",
		"C:Q18 EXAMINE \"x\x1b[2Jy\"", "S:* OK [UIDVALIDITY 1] x", "S:Q18 OK",
		"C:Q19 UID FETCH 1:* (UID FLAGS RFC822.SIZE)", "S:* 1 FETCH (UID 1 RFC822.SIZE 17)",
		"S:Q19 OK", "C:Q20 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n", "S:Q20 OK",
		LOGOUT(21), NULL,
	};
	char *top = tmpdir();
	char *dir = xasprintf("%s/a/b/out", top);
	struct peer p;
	struct run x;
	peer_start(&p, s2);
	run_fetch(&x, &p, dir, NULL, 0, true, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 6);
	ck_assert_uint_eq(x.r.folders, 6);
	/* Nothing beside DIR, and each folder in its encoded place. */
	char *t = names(top, "a/b");
	ck_assert_str_eq(t, "out");
	free(t);
	char *d = names(dir, "");
	ck_assert_str_eq(d, "%|%2E.|%2Equail|%63ur|.quail|a|x%1B[2Jy");
	free(d);
	ck_assert_int_eq(count(dir, "%2E./%2E./x/new"), 1);
	ck_assert_int_eq(count(dir, "%/abs/new"), 1);
	ck_assert_int_eq(count(dir, "a/%/b/new"), 1);
	ck_assert_int_eq(count(dir, "%63ur/new"), 1);
	ck_assert_int_eq(count(dir, "%2Equail/new"), 1);
	ck_assert_int_eq(count(dir, "x%1B[2Jy/new"), 1);
	rm_rf(top);
	free(top);
	free(dir);
}
END_TEST

/* A new UIDVALIDITY re-fetches the folder; what is stored is not stored
 * again (SPEC §5). */
START_TEST(test_uidvalidity_change)
{
	static const char *const first[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 2 UIDVALIDITY 1 UIDNEXT 3)",
		"S:Q3 OK", INBOX_SELECT(4, 1, 3, 2),
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"S:* 1 FETCH (UID 1 RFC822.SIZE 17)", "S:* 2 FETCH (UID 2 RFC822.SIZE 17)", "S:Q5 OK",
		"C:Q6 UID FETCH 1:2 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n",
		"R:* 2 FETCH (UID 2 BODY[] {17}\r\n" B2 ")\r\n", "S:Q6 OK",
		LOGOUT(7), NULL,
	};
	static const char *const second[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 3 UIDVALIDITY 9 UIDNEXT 4)",
		"S:Q3 OK", INBOX_SELECT(4, 9, 4, 3),
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"S:* 1 FETCH (UID 1 RFC822.SIZE 17)", "S:* 2 FETCH (UID 2 RFC822.SIZE 17)",
		"S:* 3 FETCH (UID 3 RFC822.SIZE 17)", "S:Q5 OK",
		"C:Q6 UID FETCH 1:3 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B2 ")\r\n",
		"R:* 2 FETCH (UID 2 BODY[] {17}\r\n" B3 ")\r\n",
		"R:* 3 FETCH (UID 3 BODY[] {17}\r\n" B1 ")\r\n", "S:Q6 OK",
		LOGOUT(7), NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, first);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	peer_start(&p, second);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1); /* only B3 is new */
	ck_assert_uint_eq(x.r.already, 2);
	ck_assert_int_eq(count(dir, "INBOX/new"), 3);
	char *j = journal(dir);
	ck_assert_ptr_nonnull(strstr(j, "V 0 9\n"));
	ck_assert_ptr_nonnull(strstr(j, "S 0 4 0\n"));
	free(j);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* What a kill between the rename and the D entry leaves: uid 2 pending and
 * its file in new/. uid 1 has the same bytes and its D entry claims its
 * file, so that file is not taken for uid 2's. */
static const char *const resume_first[] = {
	GREET, LOGIN, DELIM(2),
	"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 1 UIDVALIDITY 1 UIDNEXT 2)",
	"S:Q3 OK", INBOX_SELECT(4, 1, 2, 1),
	"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)", "S:* 1 FETCH (UID 1 RFC822.SIZE 17)",
	"S:Q5 OK", "C:Q6 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
	"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n", "S:Q6 OK",
	LOGOUT(7), NULL,
};
static const char *const resume_second[] = {
	GREET, LOGIN, DELIM(2),
	"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 3 UIDVALIDITY 1 UIDNEXT 4)",
	"S:Q3 OK", INBOX_SELECT(4, 1, 4, 3),
	"C:Q5 UID FETCH 2:* (UID FLAGS RFC822.SIZE)", "S:* 2 FETCH (UID 2 RFC822.SIZE 17)",
	"S:* 3 FETCH (UID 3 RFC822.SIZE 17)", "S:Q5 OK",
	"C:Q6 UID FETCH 2:3 (UID FLAGS BODY.PEEK[])",
	"R:* 2 FETCH (UID 2 BODY[] {17}\r\n" B1 ")\r\n",
	"R:* 3 FETCH (UID 3 BODY[] {17}\r\n" B3 ")\r\n", "S:Q6 OK",
	LOGOUT(7), NULL,
};

static void
pretend_interrupted(const char *dir, bool stored)
{
	struct qu_err err;
	if (stored) {
		char *p = xasprintf("%s/INBOX", dir);
		struct maildir *md = maildir_open(p, true, &err);
		ck_assert_ptr_nonnull(md);
		ck_assert_int_eq(maildir_deliver(md, B1, 17, NULL, false, NULL, &err), 0);
		maildir_free(md);
		free(p);
	}
	struct store_journal *jn = store_journal_open(dir, "imap-alice@127.0.0.1", &err);
	ck_assert_ptr_nonnull(jn);
	ck_assert_int_eq(store_journal_append(jn, "P 0 2 P 0 3", 11, &err), 0);
	store_journal_free(jn);
}

START_TEST(test_resume_finds_stored_copy)
{
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, resume_first);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	pretend_interrupted(dir, true);
	peer_start(&p, resume_second);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.already, 1);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_int_eq(count(dir, "INBOX/new"), 3);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* A journal from before paths were encoded: D entries with a folder's
 * spaces in the path, several on one line. Every entry is read (uids 1
 * and 2 are stored), and new entries encode the path. */
START_TEST(test_legacy_journal_spaces)
{
	static const char *const script[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"Sent  Items\" " ITEMS,
		"S:* STATUS \"Sent  Items\" (MESSAGES 3 UIDVALIDITY 1 UIDNEXT 4)", "S:Q3 OK",
		"C:Q4 EXAMINE \"Sent  Items\"", "S:* 3 EXISTS", "S:* OK [UIDVALIDITY 1] x",
		"S:* OK [UIDNEXT 4] x", "S:Q4 OK [READ-ONLY] done",
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)", "S:* 1 FETCH (UID 1 RFC822.SIZE 17)",
		"S:* 2 FETCH (UID 2 RFC822.SIZE 17)", "S:* 3 FETCH (UID 3 RFC822.SIZE 17)",
		"S:Q5 OK", "C:Q6 UID FETCH 3 (UID FLAGS BODY.PEEK[])",
		"R:* 3 FETCH (UID 3 BODY[] {17}\r\n" B3 ")\r\n", "S:Q6 OK",
		LOGOUT(7), NULL,
	};
	char *dir = tmpdir();
	struct qu_err err;
	struct store_journal *jn = store_journal_open(dir, "imap-alice@127.0.0.1", &err);
	ck_assert_ptr_nonnull(jn);
	const char *old = "F 0 Sent%20%20Items V 0 1 D 0 1 Sent  Items/new/1.a.host,S=17 "
			  "D 0 2 Sent  Items/cur/2.b.host,S=17:2,S P 0 3";
	ck_assert_int_eq(store_journal_append(jn, old, strlen(old), &err), 0);
	store_journal_free(jn);
	struct peer p;
	struct run x;
	peer_start(&p, script);
	static const char *const folders[] = {"Sent  Items"};
	run_fetch(&x, &p, dir, folders, 1, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	char *j = journal(dir);
	ck_assert_msg(strstr(j, "C 0 3 Sent%20%20Items/new/"), "%s", j);
	free(j);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* A message over max_message_size is skipped, reported, and not recorded:
 * the next run, with a higher limit, fetches it. */
#define BIG "Subject: big\r\n\r\n0123456789012345678901\r\n" /* 40 bytes */
START_TEST(test_max_message_size)
{
	static const char *const first[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 2 UIDVALIDITY 1 UIDNEXT 3)",
		"S:Q3 OK", INBOX_SELECT(4, 1, 3, 2),
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)", "S:* 1 FETCH (UID 1 RFC822.SIZE 17)",
		"S:* 2 FETCH (UID 2 RFC822.SIZE 40)", "S:Q5 OK",
		"C:Q6 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n", "S:Q6 OK",
		LOGOUT(7), NULL,
	};
	static const char *const second[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 2 UIDVALIDITY 1 UIDNEXT 3)",
		"S:Q3 OK", INBOX_SELECT(4, 1, 3, 2),
		"C:Q5 UID FETCH 2:* (UID FLAGS RFC822.SIZE)", "S:* 2 FETCH (UID 2 RFC822.SIZE 40)",
		"S:Q5 OK", "C:Q6 UID FETCH 2 (UID FLAGS BODY.PEEK[])",
		"R:* 2 FETCH (UID 2 BODY[] {40}\r\n" BIG ")\r\n", "S:Q6 OK",
		LOGOUT(7), NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	run_max_size = 30;
	peer_start(&p, first);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_uint_eq(x.r.skipped, 1);
	ck_assert_uint_eq(x.r.max_size, 30);
	run_max_size = 0;
	peer_start(&p, second);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_uint_eq(x.r.skipped, 0);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_resume_pending_not_stored)
{
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, resume_first);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_int_eq(peer_finish(&p), 0);
	pretend_interrupted(dir, false);
	peer_start(&p, resume_second);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	/* uid 1's file has uid 2's bytes but is claimed: uid 2 is stored. */
	ck_assert_uint_eq(x.r.already, 0);
	ck_assert_uint_eq(x.r.messages, 2);
	ck_assert_int_eq(count(dir, "INBOX/new"), 3);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* The connection drops in the middle of the second body: the first is
 * kept, nothing partial shows, and the next run fetches only the rest. */
START_TEST(test_cut_then_resume)
{
	static const char *const first[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 2 UIDVALIDITY 1 UIDNEXT 3)",
		"S:Q3 OK", INBOX_SELECT(4, 1, 3, 2),
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"S:* 1 FETCH (UID 1 RFC822.SIZE 17)", "S:* 2 FETCH (UID 2 RFC822.SIZE 17)", "S:Q5 OK",
		"C:Q6 UID FETCH 1:2 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n",
		"R:* 2 FETCH (UID 2 BODY[] {17}\r\nSubject: 2", "SLEEP:100", "CLOSE", NULL,
	};
	static const char *const second[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 2 UIDVALIDITY 1 UIDNEXT 3)",
		"S:Q3 OK", INBOX_SELECT(4, 1, 3, 2),
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"S:* 1 FETCH (UID 1 RFC822.SIZE 17)", "S:* 2 FETCH (UID 2 RFC822.SIZE 17)", "S:Q5 OK",
		"C:Q6 UID FETCH 2 (UID FLAGS BODY.PEEK[])",
		"R:* 2 FETCH (UID 2 BODY[] {17}\r\n" B2 ")\r\n", "S:Q6 OK",
		LOGOUT(7), NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, first);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_eq(x.err.cls, QU_E_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(x.err.msg, "imap+insecure://127.0.0.1:"));
	ck_assert_uint_eq(x.r.messages, 1);
	peer_finish(&p);
	ck_assert_int_eq(count(dir, "INBOX/new"), 1);
	ck_assert_int_eq(count(dir, "INBOX/tmp"), 0);
	peer_start(&p, second);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_int_eq(count(dir, "INBOX/new"), 2);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* One --folder that is not there does not stop the others. */
START_TEST(test_missing_folder)
{
	static const char *const script[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"Nope\" " ITEMS, "C:Q4 STATUS \"Entw&APw-rfe\" " ITEMS,
		"S:Q3 NO [NONEXISTENT] no such mailbox",
		"S:* STATUS \"Entw&APw-rfe\" (MESSAGES 0 UIDVALIDITY 3 UIDNEXT 1)", "S:Q4 OK",
		"C:Q5 EXAMINE \"Entw&APw-rfe\"", "S:* 0 EXISTS", "S:* OK [UIDVALIDITY 3] x",
		"S:* OK [UIDNEXT 1] x", "S:Q5 OK",
		LOGOUT(6), NULL,
	};
	static const char *const folders[] = {"Nope", "Entw\xc3\xbcrfe"};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, folders, 2, false, false);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_eq(x.err.cls, QU_E_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(x.err.msg, "Nope: no such folder"));
	ck_assert_uint_eq(x.r.folders, 1);
	struct stat sb;
	char *p2 = xasprintf("%s/Entw\xc3\xbcrfe/cur", dir);
	ck_assert_int_eq(stat(p2, &sb), 0);
	free(p2);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_delete)
{
	static const char *const script[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 2 UIDVALIDITY 1 UIDNEXT 3)",
		"S:Q3 OK",
		"C:Q4 SELECT \"INBOX\"", "S:* 2 EXISTS", "S:* OK [UIDVALIDITY 1] x", "S:Q4 OK",
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"S:* 1 FETCH (UID 1 RFC822.SIZE 17)", "S:* 2 FETCH (UID 2 RFC822.SIZE 17)", "S:Q5 OK",
		"C:Q6 UID FETCH 1:2 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 BODY[] {17}\r\n" B1 ")\r\n",
		"R:* 2 FETCH (UID 2 BODY[] {17}\r\n" B2 ")\r\n", "S:Q6 OK",
		"C:Q7 UID STORE 1:2 +FLAGS.SILENT (\\Deleted)", "S:Q7 OK",
		"C:Q8 UID EXPUNGE 1:2", "S:* 1 EXPUNGE", "S:* 1 EXPUNGE", "S:Q8 OK",
		LOGOUT(9), NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, NULL, 0, false, true);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 2);
	ck_assert_uint_eq(x.r.deleted, 2);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(test_login_refused)
{
	static const char *const script[] = {
		GREET, "C:Q1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==",
		"S:Q1 NO [AUTHENTICATIONFAILED] nope", LOGOUT(2), NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_int_eq(x.rc, -1);
	ck_assert_int_eq(x.err.cls, QU_E_AUTH);
	rm_rf(dir);
	free(dir);
}
END_TEST

struct listed {
	struct qu_buf b;
};

static void
on_folder(void *ctx, const struct app_folder *f)
{
	struct listed *l = ctx;
	qu_buf_append(&l->b, f->name, f->name_len);
	if (f->has_counts)
		qu_buf_printf(&l->b, " %u/%u", (unsigned)f->messages, (unsigned)f->unseen);
	if (f->special)
		qu_buf_printf(&l->b, " %s", f->special);
	qu_buf_append_byte(&l->b, '\n');
}

/* Without LIST-STATUS: STATUS per selectable folder, pipelined. */
START_TEST(test_list)
{
	static const char *const script[] = {
		"S:* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] hi",
		"C:Q1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", "S:Q1 OK [CAPABILITY IMAP4rev1] in",
		"C:Q2 LIST \"\" \"*\"",
		"S:* LIST (\\HasNoChildren) \"/\" \"Sent\"",
		"S:* LIST (\\Noselect \\HasChildren) \"/\" \"&g0l6Pw-\"",
		"S:* LIST () \"/\" \"&g0l6Pw-/&W1B27l9V-\"",
		"S:* LIST () \"/\" INBOX", "S:Q2 OK",
		"C:Q3 STATUS \"Sent\" (MESSAGES UNSEEN)",
		"C:Q4 STATUS \"&g0l6Pw-/&W1B27l9V-\" (MESSAGES UNSEEN)",
		"C:Q5 STATUS \"INBOX\" (MESSAGES UNSEEN)",
		"S:* STATUS Sent (MESSAGES 4 UNSEEN 0)", "S:Q3 OK",
		"S:* STATUS \"&g0l6Pw-/&W1B27l9V-\" (MESSAGES 1 UNSEEN 1)", "S:Q4 OK",
		"S:* STATUS INBOX (MESSAGES 12 UNSEEN 3)", "S:Q5 OK",
		LOGOUT(6), NULL,
	};
	struct peer p;
	peer_start(&p, script);
	char *url = xasprintf("imap+insecure://127.0.0.1:%u", (unsigned)p.port);
	struct cfg_account a = {.imap = url, .user = "alice", .password = "secret"};
	struct app_net net = {.timeout_s = 5};
	struct listed l;
	qu_buf_init(&l.b, SIZE_MAX);
	struct qu_err err;
	ck_assert_msg(app_list(&a, &net, on_folder, &l, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_str_eq(l.b.data, "INBOX 12/3\nSent 4/0\n\xe8\x8d\x89\xe7\xa8\xbf\n"
				   "\xe8\x8d\x89\xe7\xa8\xbf/\xe5\xad\x90\xe7\x9b\xae\xe5\xbd\x95 1/1\n");
	qu_buf_clear(&l.b);
	free(url);
}
END_TEST

/* Save to Sent: the folder SPECIAL-USE marks, \Seen, CRLF line ends. */
START_TEST(test_append_sent)
{
	static const char *const script[] = {
		"S:* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR LIST-EXTENDED SPECIAL-USE LITERAL+] hi",
		"C:Q1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", "S:Q1 OK in",
		"C:Q2 CAPABILITY", "S:* CAPABILITY IMAP4rev1 LIST-EXTENDED SPECIAL-USE LITERAL+",
		"S:Q2 OK",
		"C:Q3 LIST \"\" \"*\" RETURN (SPECIAL-USE)",
		"S:* LIST (\\Drafts) \"/\" Drafts", "S:* LIST (\\Sent) \"/\" \"Gesendet\"", "S:Q3 OK",
		"C:Q4 APPEND \"Gesendet\" (\\Seen) {14+}", "C:Subject: x", "C:", "C:", "S:Q4 OK",
		LOGOUT(5), NULL,
	};
	struct peer p;
	peer_start(&p, script);
	char *url = xasprintf("imap+insecure://127.0.0.1:%u", (unsigned)p.port);
	struct cfg_account a = {.imap = url, .user = "alice", .password = "secret"};
	struct app_net net = {.timeout_s = 5};
	struct qu_err err;
	char *folder;
	ck_assert_int_eq(app_imap_append_sent(&a, &net, "Subject: x\n\n", 12, &folder, &err), 1);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_str_eq(folder, "Gesendet");
	free(folder);
	/* No imap URL: nothing to do. */
	struct cfg_account none = {.user = "alice"};
	ck_assert_int_eq(app_imap_append_sent(&none, &net, "x", 1, NULL, &err), 0);
	free(url);
}
END_TEST

/* An IMAP4rev2-only server (RFC 9051): the same dialogue, no \Recent, and
 * LITERAL- built in: a small APPEND does not wait for "+". */
START_TEST(test_imap4rev2_server)
{
	static const char *const script[] = {
		"S:* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN SASL-IR] hi",
		"C:Q1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", "S:Q1 OK [CAPABILITY IMAP4rev2] in",
		DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 1 UIDVALIDITY 8 UIDNEXT 2)",
		"S:Q3 OK",
		"C:Q4 EXAMINE \"INBOX\"", "S:* 1 EXISTS", "S:* OK [UIDVALIDITY 8] x",
		"S:* LIST () \"/\" INBOX", "S:Q4 OK [READ-ONLY] done",
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"S:* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.SIZE 17)", "S:Q5 OK",
		"C:Q6 UID FETCH 1 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] {17}\r\n" B1 ")\r\n", "S:Q6 OK",
		LOGOUT(7), NULL,
	};
	static const char *const append[] = {
		"S:* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN SASL-IR] hi",
		"C:Q1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", "S:Q1 OK [CAPABILITY IMAP4rev2] in",
		"C:Q2 APPEND \"Sent\" (\\Seen) {17+}", "C:Subject: 1", "C:", "C:A", "C:",
		"S:Q2 OK [APPENDUID 8 2] done",
		LOGOUT(3), NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 1);
	ck_assert_int_eq(count(dir, "INBOX/cur"), 1);
	peer_start(&p, append);
	char *url = xasprintf("imap+insecure://127.0.0.1:%u", (unsigned)p.port);
	struct cfg_account a = {.imap = url, .user = "alice", .password = "secret",
				.sent_folder = "Sent"};
	struct app_net net = {.timeout_s = 5};
	struct qu_err err;
	ck_assert_int_eq(app_imap_append_sent(&a, &net, B1, 17, NULL, &err), 1);
	ck_assert_int_eq(peer_finish(&p), 0);
	free(url);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* A server that leaves a listed message out (and says OK): the state
 * stops before it, so the next run asks from there again. */
START_TEST(test_message_left_out)
{
	static const char *const script[] = {
		GREET, LOGIN, DELIM(2),
		"C:Q3 STATUS \"INBOX\" " ITEMS, "S:* STATUS INBOX (MESSAGES 3 UIDVALIDITY 1 UIDNEXT 9)",
		"S:Q3 OK", INBOX_SELECT(4, 1, 9, 3),
		"C:Q5 UID FETCH 1:* (UID FLAGS RFC822.SIZE)",
		"S:* 1 FETCH (UID 3 RFC822.SIZE 17)", "S:* 2 FETCH (UID 5 RFC822.SIZE 17)",
		"S:* 3 FETCH (UID 8 RFC822.SIZE 17)", "S:Q5 OK",
		"C:Q6 UID FETCH 3,5,8 (UID FLAGS BODY.PEEK[])",
		"R:* 1 FETCH (UID 3 BODY[] {17}\r\n" B1 ")\r\n",
		"R:* 3 FETCH (UID 8 BODY[] {17}\r\n" B3 ")\r\n", "S:Q6 OK",
		LOGOUT(7), NULL,
	};
	char *dir = tmpdir();
	struct peer p;
	struct run x;
	peer_start(&p, script);
	run_fetch(&x, &p, dir, NULL, 0, false, false);
	ck_assert_msg(x.rc == 0, "%s", x.err.msg);
	ck_assert_int_eq(peer_finish(&p), 0);
	ck_assert_uint_eq(x.r.messages, 2);
	char *j = journal(dir);
	ck_assert_msg(strstr(j, "S 0 5 0\n") != NULL, "%s", j);
	free(j);
	rm_rf(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap-fetch");
	TCase *tc = tcase_create("fetch");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fetch_then_nothing_new);
	tcase_add_test(tc, test_flag_changes);
	tcase_add_test(tc, test_hostile_list);
	tcase_add_test(tc, test_uidvalidity_change);
	tcase_add_test(tc, test_resume_finds_stored_copy);
	tcase_add_test(tc, test_resume_pending_not_stored);
	tcase_add_test(tc, test_legacy_journal_spaces);
	tcase_add_test(tc, test_max_message_size);
	tcase_add_test(tc, test_cut_then_resume);
	tcase_add_test(tc, test_missing_folder);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_login_refused);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_append_sent);
	tcase_add_test(tc, test_imap4rev2_server);
	tcase_add_test(tc, test_message_left_out);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
