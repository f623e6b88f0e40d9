/*
 * MIME golden files: every tests/fixtures/mime/NAME.eml is turned into its
 * SPEC §7 JSON by app_parse_json and compared, field by field and in key
 * order, with NAME.json. A failure names the first field that differs
 * (".body.parts[1].filename") with both values. The output itself must be
 * one line of valid UTF-8 without raw control characters.
 *
 * Usage: test_fixtures DIR
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"

/* ---- a tiny JSON reader (RFC 8259), enough for the fixtures -------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	char *s;          /* J_STR: UTF-8 bytes; J_NUM: the number as written */
	size_t slen;
	bool b;
	struct jv *v;     /* J_ARR, J_OBJ: the values */
	char **keys;      /* J_OBJ: the keys, in order */
	size_t n;
};

struct jp {
	const char *p;
	size_t n, i;
	const char *err;
};

static void
ws(struct jp *j)
{
	while (j->i < j->n && strchr(" \t\r\n", j->p[j->i]) && j->p[j->i])
		j->i++;
}

static void
put_utf8(struct qu_buf *b, unsigned long c)
{
	char o[4];
	size_t k;
	if (c < 0x80) {
		o[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		o[0] = (char)(0xC0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3F));
		k = 2;
	} else if (c < 0x10000) {
		o[0] = (char)(0xE0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		k = 3;
	} else {
		o[0] = (char)(0xF0 | (c >> 18));
		o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		o[3] = (char)(0x80 | (c & 0x3F));
		k = 4;
	}
	qu_buf_append(b, o, k);
}

static unsigned long
hex4(struct jp *j)
{
	unsigned long v = 0;
	for (int k = 0; k < 4; k++) {
		char c = j->i < j->n ? j->p[j->i++] : 0;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0) {
			j->err = "bad \\u escape";
			return 0;
		}
		v = v * 16 + (unsigned long)d;
	}
	return v;
}

static char *
jstring(struct jp *j, size_t *len)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	j->i++; /* the quote */
	while (j->i < j->n && j->p[j->i] != '"' && !j->err) {
		char c = j->p[j->i++];
		if ((unsigned char)c < 0x20) {
			j->err = "raw control character in a string";
			break;
		}
		if (c != '\\') {
			qu_buf_append_byte(&b, c);
			continue;
		}
		char e = j->i < j->n ? j->p[j->i++] : 0;
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
		const char *at = e ? strchr(from, e) : NULL;
		if (at) {
			qu_buf_append_byte(&b, to[at - from]);
		} else if (e == 'u') {
			unsigned long c1 = hex4(j);
			if (c1 >= 0xD800 && c1 < 0xDC00 && j->i + 1 < j->n && j->p[j->i] == '\\') {
				j->i += 2;
				unsigned long c2 = hex4(j);
				c1 = 0x10000 + ((c1 - 0xD800) << 10) + (c2 - 0xDC00);
			}
			put_utf8(&b, c1);
		} else {
			j->err = "bad escape";
		}
	}
	if (j->i >= j->n && !j->err)
		j->err = "unterminated string";
	j->i++;
	return qu_buf_steal(&b, len);
}

static void jvalue(struct jp *j, struct jv *out);

static void
jcontainer(struct jp *j, struct jv *out, bool obj)
{
	size_t alloc = 0;
	out->t = obj ? J_OBJ : J_ARR;
	j->i++;
	ws(j);
	if (j->i < j->n && j->p[j->i] == (obj ? '}' : ']')) {
		j->i++;
		return;
	}
	while (!j->err) {
		ws(j);
		out->v = xgrow(out->v, &alloc, out->n + 1, sizeof *out->v);
		if (obj) {
			out->keys = xrealloc(out->keys, alloc * sizeof *out->keys);
			if (j->i >= j->n || j->p[j->i] != '"') {
				j->err = "object key expected";
				return;
			}
			size_t kl;
			out->keys[out->n] = jstring(j, &kl);
			ws(j);
			if (j->i >= j->n || j->p[j->i++] != ':') {
				j->err = "':' expected";
				return;
			}
		}
		memset(&out->v[out->n], 0, sizeof out->v[out->n]);
		jvalue(j, &out->v[out->n++]);
		ws(j);
		char c = j->i < j->n ? j->p[j->i++] : 0;
		if (c == (obj ? '}' : ']'))
			return;
		if (c != ',')
			j->err = "',' expected";
	}
}

static void
jvalue(struct jp *j, struct jv *out)
{
	ws(j);
	if (j->i >= j->n) {
		j->err = "value expected";
		return;
	}
	char c = j->p[j->i];
	if (c == '"') {
		out->t = J_STR;
		out->s = jstring(j, &out->slen);
	} else if (c == '{' || c == '[') {
		jcontainer(j, out, c == '{');
	} else if (strncmp(j->p + j->i, "null", 4) == 0) {
		out->t = J_NULL;
		j->i += 4;
	} else if (strncmp(j->p + j->i, "true", 4) == 0 || strncmp(j->p + j->i, "false", 5) == 0) {
		out->t = J_BOOL;
		out->b = c == 't';
		j->i += out->b ? 4 : 5;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		size_t s = j->i;
		while (j->i < j->n && strchr("-+.eE0123456789", j->p[j->i]) && j->p[j->i])
			j->i++;
		out->t = J_NUM;
		out->s = xstrndup(j->p + s, j->i - s);
		out->slen = j->i - s;
	} else {
		j->err = "unexpected character";
	}
}

static void
jfree(struct jv *v)
{
	free(v->s);
	for (size_t i = 0; i < v->n; i++) {
		jfree(&v->v[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->v);
	free(v->keys);
}

static const char *
jparse(const char *p, size_t n, struct jv *out)
{
	struct jp j = {p, n, 0, NULL};
	memset(out, 0, sizeof *out);
	jvalue(&j, out);
	ws(&j);
	if (!j.err && j.i != n)
		j.err = "junk after the value";
	return j.err;
}

/* ---- comparing ------------------------------------------------------------ */

static const char *const tnames[] = {"null", "bool", "number", "string", "array", "object"};

static void
show(const struct jv *v, char *buf, size_t cap)
{
	if (v->t == J_STR)
		snprintf(buf, cap, "\"%.*s\"", (int)(v->slen < 120 ? v->slen : 120), v->s);
	else if (v->t == J_NUM)
		snprintf(buf, cap, "%s", v->s);
	else
		snprintf(buf, cap, "%s", tnames[v->t]);
}

/* The first difference between got and want, described in msg; false
 * when there is none. */
static bool
jdiff(const struct jv *got, const struct jv *want, char *path, size_t plen, char *msg, size_t cap)
{
	char a[160], b[160];
	size_t keep = strlen(path);
	if (got->t != want->t || (got->t == J_BOOL && got->b != want->b) ||
		((got->t == J_STR || got->t == J_NUM) &&
			(got->slen != want->slen || memcmp(got->s, want->s, got->slen) != 0))) {
		show(got, a, sizeof a);
		show(want, b, sizeof b);
		snprintf(msg, cap, "%s: got %s, want %s", path[0] ? path : ".", a, b);
		return true;
	}
	if (got->t != J_ARR && got->t != J_OBJ)
		return false;
	for (size_t i = 0; i < got->n && i < want->n; i++) {
		if (got->t == J_OBJ && strcmp(got->keys[i], want->keys[i]) != 0) {
			snprintf(msg, cap, "%s: key %zu is \"%s\", want \"%s\"", path[0] ? path : ".", i,
				got->keys[i], want->keys[i]);
			return true;
		}
		if (got->t == J_OBJ)
			snprintf(path + keep, plen - keep, ".%s", got->keys[i]);
		else
			snprintf(path + keep, plen - keep, "[%zu]", i);
		if (jdiff(&got->v[i], &want->v[i], path, plen, msg, cap))
			return true;
		path[keep] = '\0';
	}
	if (got->n != want->n) {
		snprintf(msg, cap, "%s: %zu %s, want %zu", path[0] ? path : ".", got->n,
			got->t == J_OBJ ? "keys" : "items", want->n);
		return true;
	}
	return false;
}

/* ---- the fixtures ----------------------------------------------------------- */

static const char *dir;
static char **names;
static size_t nnames;

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	char tmp[65536];
	size_t r;
	while ((r = fread(tmp, 1, sizeof tmp, f)) > 0)
		qu_buf_append(&b, tmp, r);
	fclose(f);
	return qu_buf_steal(&b, len);
}

START_TEST(test_fixture)
{
	const char *name = names[_i];
	char *eml_path = xasprintf("%s/%s.eml", dir, name);
	char *json_path = xasprintf("%s/%s.json", dir, name);
	size_t eml_len, json_len;
	char *eml = slurp(eml_path, &eml_len);
	char *json = slurp(json_path, &json_len);
	struct app_reader *r = app_reader_new();
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	app_parse_json(r, eml, eml_len, &out, NULL);
	ck_assert_msg(qu_utf8_valid(out.data, out.len), "%s: output is not valid UTF-8", name);
	for (size_t i = 0; i < out.len; i++)
		ck_assert_msg((unsigned char)out.data[i] >= 0x20 && out.data[i] != 0x7F,
			"%s: raw control byte 0x%02x at %zu", name, (unsigned char)out.data[i], i);
	struct jv got, want;
	const char *e1 = jparse(out.data, out.len, &got);
	ck_assert_msg(!e1, "%s: output is not JSON: %s", name, e1);
	const char *e2 = jparse(json, json_len, &want);
	ck_assert_msg(!e2, "%s.json: %s", name, e2);
	char path[1024] = "", msg[1024];
	bool differ = jdiff(&got, &want, path, sizeof path, msg, sizeof msg);
	ck_assert_msg(!differ, "%s: %s", name, msg);
	jfree(&got);
	jfree(&want);
	qu_buf_clear(&out);
	app_reader_free(r);
	free(eml);
	free(json);
	free(eml_path);
	free(json_path);
}
END_TEST

/* The JSON writer on its own: escapes and key order of a tiny message. */
START_TEST(test_json_escapes)
{
	static const char m[] = "Subject: =?utf-8?q?a=22b=5Cc=09d=7F=C2=85=E2=80=A8?=\n\n";
	struct app_reader *r = app_reader_new();
	struct qu_buf out;
	qu_buf_init(&out, SIZE_MAX);
	app_parse_json(r, m, sizeof m - 1, &out, NULL);
	ck_assert_msg(qu_str_has_prefix(out.data,
			      "{\"subject\":\"a\\\"b\\\\c\\u0009d\\u007f\\u0085\xe2\x80\xa8\",\"from\":[],"
			      "\"to\":[],\"cc\":[],\"date\":null,\"message_id\":null,\"body\":{"),
		"%s", out.data);
	qu_buf_clear(&out);
	app_reader_free(r);
}
END_TEST

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
list_fixtures(void)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "test_fixtures: cannot open %s\n", dir);
		exit(1);
	}
	size_t alloc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".eml") != 0)
			continue;
		names = xgrow(names, &alloc, nnames + 1, sizeof *names);
		names[nnames++] = xstrndup(e->d_name, l - 4);
	}
	closedir(d);
	qsort(names, nnames, sizeof *names, by_name);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_fixtures DIR\n");
		return 2;
	}
	dir = argv[1];
	list_fixtures();
	printf("%zu fixtures in %s\n", nnames, dir);
	Suite *s = suite_create("fixtures");
	TCase *tc = tcase_create("mime");
	tcase_add_loop_test(tc, test_fixture, 0, (int)nnames);
	tcase_add_test(tc, test_json_escapes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return failed || nnames == 0 ? 1 : 0;
}
