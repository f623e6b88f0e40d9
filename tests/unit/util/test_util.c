#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/util.h"

START_TEST(test_buf_cap)
{
	struct qu_buf b;
	qu_buf_init(&b, 8);
	ck_assert_int_eq(qu_buf_append(&b, "abcd", 4), 0);
	ck_assert_int_eq(qu_buf_append(&b, "efgh", 4), 0);
	ck_assert_int_eq(qu_buf_append(&b, "i", 1), -1);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_str_eq(b.data, "abcdefgh");
	qu_buf_consume(&b, 3);
	ck_assert_str_eq(b.data, "defgh");
	ck_assert_int_eq(qu_buf_printf(&b, "%d", 12), 0);
	ck_assert_str_eq(b.data, "defgh12");
	ck_assert_int_eq(qu_buf_printf(&b, "%d", 123), -1);
	size_t len;
	char *s = qu_buf_steal(&b, &len);
	ck_assert_uint_eq(len, 7);
	ck_assert_ptr_null(b.data);
	free(s);
	qu_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_binary)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	ck_assert_int_eq(qu_buf_append(&b, "a\0b", 3), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_int_eq(memcmp(b.data, "a\0b", 4), 0); /* NUL-terminated too */
	qu_buf_clear_secret(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_err_prefix_and_codes)
{
	struct qu_err e;
	qu_err_clear(&e);
	ck_assert_int_eq(qu_err_set(&e, QU_E_TLS, "certificate has %s", "expired"), -1);
	qu_err_prefix(&e, "imaps://%s:%d", "h", 993);
	ck_assert_str_eq(e.msg, "imaps://h:993: certificate has expired");
	ck_assert_int_eq(e.cls, QU_E_TLS);
	static const struct {
		enum qu_err_class c;
		int code;
	} t[] = {
		{QU_E_OK, 0},           {QU_E_USAGE, 64},   {QU_E_DATA, 65},
		{QU_E_NOINPUT, 66},     {QU_E_UNAVAILABLE, 69}, {QU_E_TLS, 69},
		{QU_E_SOFTWARE, 70},    {QU_E_IOERR, 74},   {QU_E_TEMPFAIL, 75},
		{QU_E_AUTH, 77},        {QU_E_CONFIG, 78},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++)
		ck_assert_int_eq(qu_err_exit_code(t[i].c), t[i].code);
	ck_assert_str_eq(qu_err_class_name(QU_E_TEMPFAIL), "tempfail");
	qu_err_sys(&e, QU_E_IOERR, 28, "write %s", "x");
	ck_assert(strstr(e.msg, "write x: ") == e.msg);
}
END_TEST

START_TEST(test_base64)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++) {
		size_t n;
		char *e = qu_base64_encode(t[i].in, strlen(t[i].in), &n);
		ck_assert_str_eq(e, t[i].out);
		ck_assert_uint_eq(n, strlen(t[i].out));
		char *d;
		ck_assert_int_eq(qu_base64_decode(e, n, &d, &n), 0);
		ck_assert_uint_eq(n, strlen(t[i].in));
		ck_assert_str_eq(d, t[i].in);
		free(e);
		free(d);
	}
	char *d;
	size_t n;
	ck_assert_int_eq(qu_base64_decode("Zm9", 3, &d, &n), -1);
	ck_assert_int_eq(qu_base64_decode("Zm=v", 4, &d, &n), -1);
	ck_assert_int_eq(qu_base64_decode("Zm9v!A==", 8, &d, &n), -1);
	ck_assert_int_eq(qu_base64_decode("Zg==Zg==", 8, &d, &n), -1);
}
END_TEST

START_TEST(test_utf8_valid)
{
	ck_assert(qu_utf8_valid("abc", 3));
	ck_assert(qu_utf8_valid("\xe4\xb8\xad\xe6\x96\x87", 6));
	ck_assert(qu_utf8_valid("\xf0\x9f\x98\x80", 4));
	ck_assert(!qu_utf8_valid("\xc0\xaf", 2));     /* overlong */
	ck_assert(!qu_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	ck_assert(!qu_utf8_valid("\xe4\xb8", 2));     /* truncated */
	ck_assert(!qu_utf8_valid("\xf5\x80\x80\x80", 4));
	ck_assert(!qu_utf8_valid("\xff", 1));
}
END_TEST

START_TEST(test_safe_output)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} t[] = {
		{"plain", 5, "plain"},
		{"\x1b[31mred", 8, "\\e[31mred"},
		{"a\rb\nc", 5, "a\\x0Db\\x0Ac"},
		{"t\tab", 4, "t\tab"},
		{"nul\0x", 5, "nul\\x00x"},
		{"\xc2\x9b" "2J", 4, "\\u009B2J"}, /* C1 CSI */
		{"\xe4\xb8\xad", 3, "\xe4\xb8\xad"},
		{"\xff\x7f", 2, "\\xFF\\x7F"},
		/* SPEC §6: nothing may break a line or reorder what follows */
		{"a\xe2\x80\xae" "b", 5, "a\\u202Eb"},     /* RIGHT-TO-LEFT OVERRIDE */
		{"a\xe2\x80\xa8" "b", 5, "a\\u2028b"},     /* LINE SEPARATOR */
		{"\xe2\x81\xa7x\xe2\x81\xa9", 7, "\\u2067x\\u2069"}, /* RLI ... PDI */
		{"\xe2\x80\x8f\xd8\x9c", 5, "\\u200F\\u061C"},
		{"\xe2\x80\x94", 3, "\xe2\x80\x94"}, /* an em dash stays */
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(t); i++) {
		struct qu_buf b;
		qu_buf_init(&b, 1024);
		ck_assert_int_eq(qu_buf_append_safe(&b, t[i].in, t[i].n, true), 0);
		ck_assert_str_eq(b.data, t[i].out);
		qu_buf_clear(&b);
	}
}
END_TEST

START_TEST(test_parse_u64)
{
	uint64_t v;
	ck_assert_int_eq(qu_parse_u64("123", 3, 1000, &v), 0);
	ck_assert_uint_eq(v, 123);
	ck_assert_int_eq(qu_parse_u64("1001", 4, 1000, &v), -1);
	ck_assert_int_eq(qu_parse_u64("18446744073709551616", 20, UINT64_MAX, &v), -1);
	ck_assert_int_eq(qu_parse_u64("18446744073709551615", 20, UINT64_MAX, &v), 0);
	ck_assert_int_eq(qu_parse_u64("", 0, 10, &v), -1);
	ck_assert_int_eq(qu_parse_u64("1a", 2, 100, &v), -1);
	ck_assert_int_eq(qu_parse_u64("-1", 2, 100, &v), -1);
}
END_TEST

START_TEST(test_strings)
{
	ck_assert(qu_mem_eq_ci("StartTLS", 8, "STARTTLS"));
	ck_assert(!qu_mem_eq_ci("STARTTL", 7, "STARTTLS"));
	const char *p = "  x y \r\n";
	size_t n = strlen(p);
	qu_mem_trim(&p, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(p, "x y", 3), 0);
	ck_assert(qu_str_has_prefix_ci("AUTH=PLAIN", "auth="));
	char s[] = "MiXeD";
	qu_str_lower(s);
	ck_assert_str_eq(s, "mixed");
	char *a = xasprintf("%s-%d", "x", 7);
	ck_assert_str_eq(a, "x-7");
	free(a);
}
END_TEST

/* Journal paths (SPEC §5): a path with spaces, '%', controls and 8-bit
 * bytes becomes one word and comes back whole. */
START_TEST(test_pct)
{
	static const struct {
		const char *in, *enc, *extra;
	} t[] = {
		{"Sent Items/cur/1.M2:2,S", "Sent%20Items/cur/1.M2:2,S", NULL},
		{"100% \"x\".", "100%25%20\"x\".", NULL},
		{"a\tb\x7f\xc3\xa9", "a%09b%7F\xc3\xa9", NULL},
		{"a:b/c", "a%3Ab%2Fc", ":/"},
		{"", "", NULL},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct qu_buf b;
		qu_buf_init(&b, SIZE_MAX);
		qu_pct_encode(&b, t[i].in, strlen(t[i].in), t[i].extra);
		ck_assert_str_eq(b.data ? b.data : "", t[i].enc);
		size_t n;
		char *d = qu_pct_decode(b.data ? b.data : "", b.len, &n);
		ck_assert_uint_eq(n, strlen(t[i].in));
		ck_assert_str_eq(d, t[i].in);
		free(d);
		qu_buf_clear(&b);
	}
	/* a '%' without two hex digits stays, at the end too */
	size_t n;
	char *d = qu_pct_decode("%4%zz%4", 7, &n);
	ck_assert_str_eq(d, "%4%zz%4");
	free(d);
	d = qu_pct_decode("x%41", 4, &n);
	ck_assert_str_eq(d, "xA");
	free(d);
	d = qu_pct_decode("%00", 3, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(d[0], 0);
	free(d);
	ck_assert_int_eq(qu_hex_val('f'), 15);
	ck_assert_int_eq(qu_hex_val('B'), 11);
	ck_assert_int_eq(qu_hex_val('g'), -1);
}
END_TEST

/* xtext (RFC 3461 §4) both ways, and the UTF-8 prefix check. */
START_TEST(test_xtext_utf8)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_xtext_encode(&b, "a+b=c d\x01\xc3\xa9");
	ck_assert_str_eq(b.data, "a+2Bb+3Dc+20d+01+C3+A9");
	char *d = qu_xtext_decode(b.data, b.len);
	ck_assert_str_eq(d, "a+b=c d\x01\xc3\xa9");
	free(d);
	d = qu_xtext_decode("x+4y+", 5);
	ck_assert_str_eq(d, "x+4y+");
	free(d);
	qu_buf_clear(&b);
	ck_assert_uint_eq(qu_utf8_valid_prefix("plain ascii text!", 17), 17);
	ck_assert_uint_eq(qu_utf8_valid_prefix("caf\xc3\xa9 ok", 8), 8);
	ck_assert_uint_eq(qu_utf8_valid_prefix("12345678na\xefve", 12), 10);
	ck_assert_uint_eq(qu_utf8_valid_prefix("\xed\xa0\x80", 3), 0); /* a surrogate */
	ck_assert_uint_eq(qu_utf8_valid_prefix("\xc0\xaf", 2), 0);     /* overlong */
	ck_assert_uint_eq(qu_utf8_valid_prefix("ab\xe4\xb8", 4), 2);   /* cut short */
	ck_assert(qu_utf8_valid("\xf0\x9f\x98\x80", 4));
}
END_TEST

START_TEST(test_cancel)
{
	struct qu_cancel *c = qu_cancel_new();
	struct qu_err err;
	qu_err_clear(&err);
	ck_assert(!qu_cancel_fired(c));
	ck_assert_int_eq(qu_cancel_check(c, &err), 0);
	struct pollfd pfd = {.fd = qu_cancel_fd(c), .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	qu_cancel_fire(c);
	qu_cancel_fire(c);
	ck_assert(qu_cancel_fired(c));
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	ck_assert_int_eq(poll(&pfd, 1, 0), 1); /* stays readable */
	ck_assert_int_eq(qu_cancel_check(c, &err), -1);
	ck_assert_int_eq(err.cls, QU_E_CANCELED);
	ck_assert(qu_err_is(&err, QU_R_CANCELED));
	ck_assert_int_eq(qu_err_exit_code(err.cls), 75);
	qu_cancel_reset(c);
	ck_assert(!qu_cancel_fired(c));
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	qu_cancel_free(c);
	ck_assert(!qu_cancel_fired(NULL));
	ck_assert_int_eq(qu_cancel_fd(NULL), -1);
	ck_assert_int_eq(qu_cancel_check(NULL, &err), 0);
}
END_TEST

/* qu_dl_load: a library found fills the table; a missing library or symbol
 * is exit 69 with a message naming what to install, never a crash. */
struct dl_table {
	size_t (*strlen)(const char *);
};

START_TEST(test_dl_load)
{
	static const struct qu_dl_sym ok_syms[] = {{"strlen", offsetof(struct dl_table, strlen)}};
	static const struct qu_dl_sym bad_syms[] = {
		{"quail_no_such_symbol", offsetof(struct dl_table, strlen)}};
	struct dl_table t = {NULL};
	struct qu_err err;
	qu_err_clear(&err);
	struct qu_dl_lib libc = {"libc.so.6", "libc6", "the test", ok_syms, 1};
	ck_assert_int_eq(qu_dl_load(&libc, &t, &err), 0);
	ck_assert(t.strlen != NULL);
	ck_assert_uint_eq(t.strlen("quail"), 5);

	struct qu_dl_lib missing = {"libquail-missing.so.9", "libquail-missing9", "auth = test",
				    ok_syms, 1};
	ck_assert_int_eq(qu_dl_load(&missing, &t, &err), -1);
	ck_assert_int_eq(qu_err_exit_code(err.cls), 69);
	ck_assert_ptr_nonnull(strstr(err.msg, "auth = test needs libquail-missing.so.9"));
	ck_assert_ptr_nonnull(strstr(err.msg, "Debian package libquail-missing9"));

	qu_err_clear(&err);
	struct qu_dl_lib nosym = {"libc.so.6", "libc6", "the test", bad_syms, 1};
	ck_assert_int_eq(qu_dl_load(&nosym, &t, &err), -1);
	ck_assert_int_eq(qu_err_exit_code(err.cls), 69);
	ck_assert_ptr_nonnull(strstr(err.msg, "quail_no_such_symbol"));
}
END_TEST

/* qu_dl_open: the first caller of any thread opens the library and runs
 * the hook once; every later caller of a failed one gets its message. */
static struct dl_table once_t;
static atomic_int hook_runs;

static void
count_hook(void)
{
	atomic_fetch_add(&hook_runs, 1);
}

static const struct qu_dl_sym once_syms[] = {{"strlen", offsetof(struct dl_table, strlen)}};
static const struct qu_dl_lib once_libc = {"libc.so.6", "libc6", "the test", once_syms, 1};
static struct qu_dl_once once_ok = QU_DL_ONCE(&once_libc, &once_t, count_hook);

static void *
open_ok(void *arg)
{
	return (void *)(intptr_t)qu_dl_open(&once_ok, NULL);
}

START_TEST(test_dl_open)
{
	pthread_t th[8];
	for (size_t i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, open_ok, NULL), 0);
	for (size_t i = 0; i < 8; i++) {
		void *rc;
		pthread_join(th[i], &rc);
		ck_assert_int_eq((int)(intptr_t)rc, 0);
	}
	ck_assert_int_eq(atomic_load(&hook_runs), 1);
	ck_assert_uint_eq(once_t.strlen("quail"), 5);
	ck_assert_int_eq(qu_dl_open(&once_ok, NULL), 0);
	ck_assert_int_eq(atomic_load(&hook_runs), 1);

	static struct dl_table t;
	static const struct qu_dl_lib missing = {"libquail-missing.so.9", "libquail-missing9",
		"auth = test", once_syms, 1};
	static struct qu_dl_once once_missing = QU_DL_ONCE(&missing, &t, count_hook);
	for (int i = 0; i < 2; i++) {
		struct qu_err err;
		qu_err_clear(&err);
		ck_assert_int_eq(qu_dl_open(&once_missing, &err), -1);
		ck_assert_int_eq(qu_err_exit_code(err.cls), 69);
		ck_assert_ptr_nonnull(strstr(err.msg, "Debian package libquail-missing9"));
	}
	ck_assert_int_eq(qu_dl_open(&once_missing, NULL), -1);
	ck_assert_int_eq(atomic_load(&hook_runs), 1);
}
END_TEST

START_TEST(test_err_reason)
{
	struct qu_err err;
	qu_err_clear(&err);
	qu_err_set(&err, QU_E_UNAVAILABLE, "server said NO");
	qu_err_reason(&err, QU_R_REFUSED, "TRYCREATE");
	qu_err_prefix(&err, "APPEND Sent");
	ck_assert(qu_err_is(&err, QU_R_REFUSED));
	ck_assert_str_eq(err.code, "TRYCREATE");
	ck_assert_str_eq(err.msg, "APPEND Sent: server said NO");
	ck_assert_str_eq(qu_err_reason_name(err.reason), "refused");
	ck_assert(qu_err_code_is(&err, QU_R_REFUSED, "trycreate"));
	ck_assert(!qu_err_code_is(&err, QU_R_AUTH, "TRYCREATE"));
	ck_assert(!qu_err_code_is(&err, QU_R_REFUSED, "TRYCREATEX"));
	ck_assert(!qu_err_code_is(NULL, QU_R_REFUSED, "TRYCREATE"));
	qu_err_set(&err, QU_E_TEMPFAIL, "again");
	ck_assert(qu_err_is(&err, QU_R_NONE));
	ck_assert_str_eq(err.code, "");
	qu_err_sys(&err, QU_E_IOERR, ENOSPC, "write");
	ck_assert(qu_err_is(&err, QU_R_DISK_FULL));
}
END_TEST

/* The reader starts late and takes small pieces, while SIGALRM (no
 * SA_RESTART) keeps interrupting the blocked writer: write(2) then returns
 * EINTR or a short count, and every byte must still arrive once, in order. */
struct pipe_reader {
	int fd;
	size_t got;
	bool in_order;
};

static void *
read_slowly(void *arg)
{
	struct pipe_reader *r = arg;
	usleep(20000);
	char b[1000];
	ssize_t n;
	while ((n = read(r->fd, b, sizeof b)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			if ((unsigned char)b[i] != (unsigned char)((r->got + (size_t)i) % 251))
				r->in_order = false;
		r->got += (size_t)n;
	}
	return NULL;
}

static void
on_alarm(int sig)
{
	(void)sig;
}

START_TEST(test_write_all)
{
	size_t n = 4u << 20;
	unsigned char *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i % 251);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, &old), 0);
	struct pipe_reader r = {.fd = p[0], .in_order = true};
	pthread_t t;
	sigset_t block, prev;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, &prev); /* the reader inherits it */
	ck_assert_int_eq(pthread_create(&t, NULL, read_slowly, &r), 0);
	pthread_sigmask(SIG_SETMASK, &prev, NULL);
	struct itimerval it = {.it_interval = {0, 1000}, .it_value = {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_int_eq(qu_write_all(p[1], data, n), 0);
	struct itimerval off = {0};
	setitimer(ITIMER_REAL, &off, NULL);
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	sigaction(SIGALRM, &old, NULL);
	ck_assert_uint_eq(r.got, n);
	ck_assert(r.in_order);

	/* A device that takes nothing: the error says ENOSPC, in errno and
	 * as a reason. */
	int full = open("/dev/full", O_WRONLY);
	if (full >= 0) {
		errno = 0;
		ck_assert_int_eq(qu_write_all(full, data, 10), -1);
		ck_assert_int_eq(errno, ENOSPC);
		struct qu_err err;
		qu_err_clear(&err);
		ck_assert_int_eq(qu_write_all_err(full, data, 10, &err, "part.bin"), -1);
		ck_assert_int_eq(err.cls, QU_E_IOERR);
		ck_assert(qu_err_is(&err, QU_R_DISK_FULL));
		ck_assert_ptr_nonnull(strstr(err.msg, "part.bin"));
		close(full);
	}
	ck_assert_int_eq(qu_write_all(-1, data, 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(qu_write_all(-1, data, 0), 0);
	free(data);
}
END_TEST

START_TEST(test_json_string)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	qu_json_string(&b, "a\"b\\c\n\x1b[2J\x7f", 11);
	ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\u000a\\u001b[2J\\u007f\"");
	qu_buf_reset(&b);
	/* C1 (U+009B is CSI on some terminals) escaped; CJK and emoji kept;
	 * a lone continuation byte and a truncated sequence become U+FFFD. */
	qu_json_string(&b, "\xc2\x9b\xe6\xb5\x8b\xf0\x9f\x98\x80\x80\xe6\xb5", 12);
	ck_assert_str_eq(b.data, "\"\\u009b\xe6\xb5\x8b\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	qu_buf_reset(&b);
	qu_json_cstr(&b, NULL);
	qu_json_cstr(&b, "");
	ck_assert_str_eq(b.data, "null\"\"");
	qu_buf_clear(&b);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_buf_cap);
	tcase_add_test(tc, test_buf_binary);
	tcase_add_test(tc, test_err_prefix_and_codes);
	tcase_add_test(tc, test_base64);
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_safe_output);
	tcase_add_test(tc, test_parse_u64);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_pct);
	tcase_add_test(tc, test_xtext_utf8);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_err_reason);
	tcase_add_test(tc, test_dl_load);
	tcase_add_test(tc, test_dl_open);
	tcase_add_test(tc, test_write_all);
	tcase_add_test(tc, test_json_string);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(util_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
