/*
 * Thread tree prefixes (src/ui/tree.c): nested, collapsed, missing-parent
 * and duplicate rows, in box drawing and in ASCII.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "ui/uitext.h"

#define MAX_ROWS 12
#define D(d) {d, false, false, 0}

struct tree_case {
	const char *name;
	enum ui_tree_style style;
	size_t n;
	struct ui_tree_node nodes[MAX_ROWS];
	const char *want; /* prefixes, one per line */
};

static const struct tree_case tree_cases[] = {
	{"empty", UI_TREE_UNICODE, 0, {D(0)}, ""},
	{"flat", UI_TREE_UNICODE, 3, {D(0), D(0), D(0)}, "\n\n\n"},
	{"one reply", UI_TREE_UNICODE, 2, {D(0), D(1)}, "\n\xE2\x94\x94\xE2\x94\x80>\n"},
	{"nested", UI_TREE_ASCII, 4, {D(0), D(1), D(2), D(1)}, "\n|->\n| `->\n`->\n"},
	{"nested unicode", UI_TREE_UNICODE, 4, {D(0), D(1), D(2), D(1)},
		"\n\xE2\x94\x9C\xE2\x94\x80>\n\xE2\x94\x82 \xE2\x94\x94\xE2\x94\x80>\n"
		"\xE2\x94\x94\xE2\x94\x80>\n"},
	{"deep last branch", UI_TREE_ASCII, 5, {D(0), D(1), D(2), D(3), D(1)},
		"\n|->\n| `->\n|   `->\n`->\n"},
	{"siblings at depth 2", UI_TREE_ASCII, 6, {D(0), D(1), D(2), D(2), D(3), D(2)},
		"\n`->\n  |->\n  |->\n  | `->\n  `->\n"},
	{"two threads", UI_TREE_ASCII, 5, {D(0), D(1), D(1), D(0), D(1)}, "\n|->\n`->\n\n`->\n"},
	{"thread ends, next deeper", UI_TREE_ASCII, 4, {D(0), D(1), D(0), D(2)},
		"\n`->\n\n  `->\n"},
	{"missing parent root", UI_TREE_ASCII, 2, {{0, true, false, 0}, D(1)}, "*>\n`->\n"},
	{"missing parent inside", UI_TREE_ASCII, 3, {D(0), {1, true, false, 0}, D(1)},
		"\n|*>\n`->\n"},
	{"missing parent unicode", UI_TREE_UNICODE, 2, {D(0), {1, true, false, 0}},
		"\n\xE2\x94\x94*>\n"},
	{"duplicate", UI_TREE_ASCII, 3, {D(0), D(1), {1, false, true, 0}}, "\n|->\n`=>\n"},
	{"collapsed root", UI_TREE_ASCII, 2, {{0, false, false, 4}, D(0)}, "(4) \n\n"},
	{"collapsed child", UI_TREE_ASCII, 3, {D(0), {1, false, false, 2}, D(1)},
		"\n|->(2) \n`->\n"},
	{"skipped level", UI_TREE_ASCII, 3, {D(0), D(2), D(1)}, "\n| `->\n`->\n"},
};

START_TEST(test_tree)
{
	const struct tree_case *c = &tree_cases[_i];
	char **p = ui_tree_build(c->nodes, c->n, c->style);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	for (size_t i = 0; i < c->n; i++) {
		qu_buf_append_str(&b, p[i]);
		qu_buf_append_byte(&b, '\n');
	}
	const char *got = b.data ? b.data : "";
	ck_assert_msg(strcmp(got, c->want) == 0, "%s:\ngot:\n%s\nwant:\n%s", c->name, got, c->want);
	/* Box drawing and ASCII take the same cells. */
	char **a = ui_tree_build(c->nodes, c->n,
		c->style == UI_TREE_ASCII ? UI_TREE_UNICODE : UI_TREE_ASCII);
	for (size_t i = 0; i < c->n; i++)
		ck_assert_uint_eq(qu_utf8_cells(p[i], strlen(p[i])), qu_utf8_cells(a[i], strlen(a[i])));
	ui_tree_free(a, c->n);
	ui_tree_free(p, c->n);
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_tree_deep)
{
	/* A chain 300 deep: the last row has 299 columns of spaces. */
	struct ui_tree_node nodes[300];
	for (unsigned i = 0; i < 300; i++)
		nodes[i] = (struct ui_tree_node){i, false, false, 0};
	char **p = ui_tree_build(nodes, 300, UI_TREE_ASCII);
	ck_assert_uint_eq(strlen(p[299]), 298 * 2 + 3);
	ck_assert(strcmp(p[299] + 298 * 2, "`->") == 0);
	ck_assert_uint_eq(strspn(p[299], " "), 298 * 2);
	ui_tree_free(p, 300);
	ui_tree_free(NULL, 0);
	/* A depth past any screen draws as 1024 deep. */
	struct ui_tree_node huge[2] = {{0, false, false, 0}, {4000000000u, false, false, 0}};
	p = ui_tree_build(huge, 2, UI_TREE_ASCII);
	ck_assert_uint_eq(strlen(p[1]), 1023 * 2 + 3);
	ui_tree_free(p, 2);
}
END_TEST

static Suite *
tree_suite(void)
{
	Suite *s = suite_create("ui_tree");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_tree, 0, (int)QU_ARRAY_LEN(tree_cases));
	tcase_add_test(tc, test_tree_deep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tree_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
