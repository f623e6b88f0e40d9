/*
 * What new mail costs the UI thread in a big folder (SPEC §8): a view of
 * the Maildir given is read, then batches of names it already holds (the
 * watch's echo of its own flag changes, a sync's renames) are matched by
 * app_view_take_new, beside the pass over the whole view that matching
 * used to take (kept here as the baseline); then one new message from a
 * scratch Maildir is added. Reads the folder only; never writes to it.
 *
 * Usage: bench_app_newmail MAILDIR NAMES_FILE
 * (NAMES_FILE: "cur/NAME" or "new/NAME" lines of files in MAILDIR.)
 * Not run by meson test: built on request (meson compile bench_app_newmail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "app/app.h"
#include "app/folder_private.h"

enum { ROUNDS = 31, NAMES = 10 };

static double
now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void
add_batch(void *ctx, struct app_view_batch *b)
{
	app_view_add(ctx, b);
}

static void
keep(void *ctx, struct app_view_batch *b)
{
	*(struct app_view_batch **)ctx = b;
}

/* The baseline: b's names matched by one pass over every message of f. */
static size_t
full_pass(const struct app_view *f, const struct app_view_batch *b)
{
	char **paths = xcalloc(b->n + 1, sizeof *paths);
	for (size_t i = 0; i < b->n; i++)
		paths[i] = xstrdup(b->v[i].path);
	struct app_match *in_b = app_match_new(paths, b->n);
	size_t hits = 0;
	for (size_t i = 0; i < f->n && hits < b->n; i++)
		hits += f->msgs[i].path && app_match_has(in_b, f->msgs[i].path);
	app_match_free(in_b);
	return hits;
}

static int
cmp_ms(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* NAMES names spread over the file's lines. */
static size_t
read_names(const char *file, char **names)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return 0;
	char line[1024];
	size_t n = 0, lines = 0;
	while (n < NAMES && fgets(line, sizeof line, f))
		if (lines++ % 8000 == 0) {
			line[strcspn(line, "\n")] = '\0';
			names[n++] = xstrdup(line);
		}
	fclose(f);
	return n;
}

/* One new message in the scratch Maildir scratch, added to v. */
static double
add_one(struct app_view *v, const char *scratch, int r)
{
	char *rel = xasprintf("new/1900000000.Mbench%dP1.test", r);
	char *file = xasprintf("%s/%s", scratch, rel);
	FILE *f = fopen(file, "w");
	if (f) {
		fprintf(f, "From: a@example.org\nSubject: bench %d\n\nx\n", r);
		fclose(f);
	}
	struct app_view_batch *b = NULL;
	struct qu_err err = {0};
	double ms = -1;
	if (app_view_scan_new(scratch, &rel, 1, keep, &b, &err) == 1) {
		size_t renamed;
		double t = now_ms();
		if (app_view_take_new(v, b, &renamed) == 1)
			ms = now_ms() - t;
	}
	free(file);
	free(rel);
	return ms;
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s MAILDIR NAMES_FILE\n", argv[0]);
		return 2;
	}
	struct qu_err err = {0};
	struct app_view *v = app_view_new(argv[1], &err);
	double t = now_ms();
	if (!v || app_view_scan(argv[1], NULL, add_batch, v, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	app_view_end_page(v); /* as the UI does once the folder is read */
	printf("read %zu messages in %.0f ms\n", app_view_total(v), now_ms() - t);
	char *names[NAMES];
	size_t n = read_names(argv[2], names);
	char tmpl[] = "/tmp/quail-bench-XXXXXX";
	if (n == 0 || !mkdtemp(tmpl))
		return 1;
	char *cmd = xasprintf("mkdir -p '%s/new' '%s/cur' '%s/tmp'", tmpl, tmpl, tmpl);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	double pass[ROUNDS], table[ROUNDS], added[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		struct app_view_batch *b = NULL;
		if (app_view_scan_new(argv[1], names, n, keep, &b, &err) != 1)
			return 1;
		t = now_ms();
		size_t hits = full_pass(v, b);
		pass[r] = now_ms() - t;
		size_t renamed;
		t = now_ms();
		size_t kept = app_view_take_new(v, b, &renamed);
		table[r] = now_ms() - t;
		if (hits != n || kept || renamed)
			return 1;
		added[r] = add_one(v, tmpl, r);
	}
	printf("first new messages added: %.2f %.2f %.2f ms\n", added[0], added[1], added[2]);
	qsort(pass, ROUNDS, sizeof *pass, cmp_ms);
	qsort(table, ROUNDS, sizeof *table, cmp_ms);
	qsort(added, ROUNDS, sizeof *added, cmp_ms);
	printf("%zu known names, median of %d: pass over the view %.3f ms, "
	       "app_view_take_new %.4f ms\n", n, ROUNDS, pass[ROUNDS / 2], table[ROUNDS / 2]);
	printf("one new message added (match, merge into the order, rows shown): %.2f ms\n", added[ROUNDS / 2]);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	app_view_free(v);
	cmd = xasprintf("rm -rf '%s'", tmpl);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : 1;
}
