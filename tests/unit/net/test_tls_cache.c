/*
 * The files of kept TLS sessions (src/net/tls_cache.c): a session saved
 * is offered back only to the same host, port and trust anchors; its
 * file is 0600; a damaged, foreign, group-readable or linked file is no
 * session.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "net/net.h"

static char dir[] = "/tmp/quail-tls-cache-XXXXXX";

static void
setup(void)
{
	strcpy(dir, "/tmp/quail-tls-cache-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Saves SESSION for host/port/ca through a cache's save callback. */
static void
store(const char *host, uint16_t port, const char *ca, const char *session)
{
	struct net_tls_cache *t = net_tls_cache_new(dir, host, port, ca);
	const struct net_tls_resume *r = net_tls_cache_resume(t);
	ck_assert_ptr_nonnull(r);
	ck_assert(r->save != NULL);
	r->save(r->ctx, session, strlen(session));
	net_tls_cache_free(t);
}

/* The session offered for host/port/ca, as a new string, or NULL. */
static char *
offered(const char *host, uint16_t port, const char *ca)
{
	struct net_tls_cache *t = net_tls_cache_new(dir, host, port, ca);
	const struct net_tls_resume *r = net_tls_cache_resume(t);
	char *s = r->data ? xstrndup(r->data, r->len) : NULL;
	net_tls_cache_free(t);
	return s;
}

/* The one file in dir. */
static char *
the_file(void)
{
	char *cmd = xasprintf("ls '%s'/tls-* 2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	free(cmd);
	ck_assert_ptr_nonnull(p);
	char line[512] = "";
	ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

START_TEST(test_round_trip)
{
	ck_assert_ptr_null(offered("mail.example", 993, NULL));
	store("mail.example", 993, NULL, "session-bytes\n\0x");
	char *s = offered("mail.example", 993, NULL);
	ck_assert_str_eq(s, "session-bytes\n");
	free(s);
	/* another port, host or trust: none */
	ck_assert_ptr_null(offered("mail.example", 143, NULL));
	ck_assert_ptr_null(offered("other.example", 993, NULL));
	ck_assert_ptr_null(offered("mail.example", 993, "/etc/ca.pem"));
	char *f = the_file();
	struct stat sb;
	ck_assert_int_eq(lstat(f, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	/* a newer session replaces it */
	store("mail.example", 993, NULL, "second");
	s = offered("mail.example", 993, NULL);
	ck_assert_str_eq(s, "second");
	free(s);
	free(f);
}
END_TEST

START_TEST(test_doubtful_files)
{
	store("mail.example", 993, NULL, "session");
	char *f = the_file();
	/* readable by the group: refused */
	ck_assert_int_eq(chmod(f, 0640), 0);
	ck_assert_ptr_null(offered("mail.example", 993, NULL));
	ck_assert_int_eq(chmod(f, 0600), 0);
	char *s = offered("mail.example", 993, NULL);
	ck_assert_str_eq(s, "session");
	free(s);
	/* damaged: another header */
	FILE *fp = fopen(f, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("quail-tls-session 9\nmail.example 993 system\nsession", fp);
	fclose(fp);
	ck_assert_ptr_null(offered("mail.example", 993, NULL));
	/* a session byte changed: its checksum no longer matches */
	store("mail.example", 993, NULL, "session");
	fp = fopen(f, "r+");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fseek(fp, -1, SEEK_END), 0);
	fputc('N', fp);
	fclose(fp);
	ck_assert_ptr_null(offered("mail.example", 993, NULL));
	/* cut short: the header alone */
	fp = fopen(f, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("quail-tls-session 1\nmail.example 993 system\n", fp);
	fclose(fp);
	ck_assert_ptr_null(offered("mail.example", 993, NULL));
	/* a symbolic link to a sound file: refused */
	char *real = xasprintf("%s/real", dir);
	ck_assert_int_eq(rename(f, real), 0);
	store("mail.example", 993, NULL, "session");
	ck_assert_int_eq(rename(f, real), 0);
	ck_assert_int_eq(symlink(real, f), 0);
	ck_assert_ptr_null(offered("mail.example", 993, NULL));
	/* saving replaces the link itself, never writes through it */
	store("mail.example", 993, NULL, "third");
	struct stat sb;
	ck_assert_int_eq(lstat(f, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	s = offered("mail.example", 993, NULL);
	ck_assert_str_eq(s, "third");
	free(s);
	free(real);
	free(f);
}
END_TEST

static Suite *
tls_cache_suite(void)
{
	Suite *s = suite_create("net_tls_cache");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_doubtful_files);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tls_cache_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
