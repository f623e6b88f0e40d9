/* Mailbox names to safe directories (SPEC §5), from a table; hostile LIST
 * names included. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "imap/imap.h"

static const struct {
	const char *name;
	char delim;
	const char *path;
} cases[] = {
	{"INBOX", '/', "INBOX"},
	{"inbox", '/', "INBOX"},
	{"Inbox/Sub", '/', "INBOX/Sub"},
	{"A/B", '/', "A/B"},
	{"A.B", '.', "A/B"},
	{"A/B", '.', "A%2FB"},
	{"A/B", 0, "A%2FB"},
	{"INBOX.Sent", '.', "INBOX/Sent"},
	{"Entw\xc3\xbcrfe", '/', "Entw\xc3\xbcrfe"},
	{"\xe8\x8d\x89\xe7\xa8\xbf/\xe5\xad\x90", '/', "\xe8\x8d\x89\xe7\xa8\xbf/\xe5\xad\x90"},
	{"../../x", '/', "%2E./%2E./x"},
	{"..", '/', "%2E."},
	{".", '/', "%2E"},
	{"/abs", '/', "%/abs"},
	{"/", '/', "%/%"},
	{"a//b", '/', "a/%/b"},
	{"a/", '/', "a/%"},
	{"", '/', "%"},
	{".quail", '/', "%2Equail"},
	{"A/.hidden", '/', "A/%2Ehidden"},
	{"A/cur", '/', "A/%63ur"},
	{"new", '/', "%6Eew"},
	{"A/TMP", '/', "A/%54MP"},
	{"current", '/', "current"},
	{"a\nb", '/', "a%0Ab"},
	{"a\x1b[31m", '/', "a%1B[31m"},
	{"100%", '/', "100%25"},
	{"a\\b", '/', "a%5Cb"},
	{"\xff\xfe", '/', "%FF%FE"},
	{"..\\..\\x", '\\', "%2E./%2E./x"},
};

START_TEST(table)
{
	const char *n = cases[_i].name;
	char *p = imap_mailbox_relpath(n, strlen(n), cases[_i].delim);
	ck_assert_str_eq(p, cases[_i].path);
	free(p);
}
END_TEST

/* Whatever the name, no component is empty, "." or "..", the path is
 * relative, and it holds no control character. */
START_TEST(never_escapes)
{
	unsigned seed = 12345;
	const char alphabet[] = "./\\\0\n\x7f" "ab%&\xc3\xbc";
	for (int k = 0; k < 20000; k++) {
		char name[24];
		size_t n = (size_t)(k % 23);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			name[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		char delim = k % 3 == 0 ? '/' : k % 3 == 1 ? '.' : 0;
		char *p = imap_mailbox_relpath(name, n, delim);
		ck_assert(p[0] != '\0' && p[0] != '/');
		char *save = NULL, *copy = xstrdup(p);
		for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
			ck_assert(strcmp(c, ".") != 0 && strcmp(c, "..") != 0 && c[0] != '.');
			ck_assert(strcmp(c, "cur") != 0 && strcmp(c, "new") != 0 && strcmp(c, "tmp") != 0);
		}
		ck_assert(strstr(p, "//") == NULL);
		ck_assert(p[strlen(p) - 1] != '/');
		for (const char *c = p; *c; c++)
			ck_assert((unsigned char)*c >= 0x20 && *c != 0x7f);
		free(copy);
		free(p);
	}
}
END_TEST

START_TEST(long_component_is_cut)
{
	char name[1000];
	memset(name, 'x', sizeof name);
	char *p = imap_mailbox_relpath(name, sizeof name, '/');
	ck_assert_uint_le(strlen(p), 200);
	name[999] = 'y';
	char *q = imap_mailbox_relpath(name, sizeof name, '/');
	ck_assert_str_ne(p, q);
	free(p);
	free(q);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap-path");
	TCase *tc = tcase_create("path");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, table, 0, (int)QU_ARRAY_LEN(cases));
	tcase_add_test(tc, never_escapes);
	tcase_add_test(tc, long_component_is_cut);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
