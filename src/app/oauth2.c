/*
 * OAuth 2 for auth = oauth2 accounts (SPEC §11): the device authorization
 * grant (RFC 8628) to log in once, the refresh token grant (RFC 6749 §6)
 * before the access token expires, and the tokens kept in
 * $XDG_STATE_HOME/quail/oauth2/ACCOUNT with mode 0600.
 *
 * HTTP goes through libcurl built on GnuTLS (libcurl4-gnutls), HTTPS only,
 * certificates checked against the system store or the account's ca_file.
 * JSON is parsed by json-c. Both are opened on first use (qu_dl_open), not
 * linked: most runs never need them and libcurl's dependencies are many.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "util/util.h"
#include "app/private.h"

/* A token endpoint's answer is a few hundred bytes; this is plenty. */
#define BODY_MAX ((size_t)64 << 10)
/* Refresh this long before the access token runs out. */
#define REFRESH_MARGIN_S 120
#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"

/* ---- libcurl and json-c, opened on first use --------------------------- */

/* Each member has the exact type of the function the header declares. */
struct json_lib {
	__typeof__(json_object_object_get_ex) *json_object_object_get_ex;
	__typeof__(json_object_is_type) *json_object_is_type;
	__typeof__(json_object_get_string_len) *json_object_get_string_len;
	__typeof__(json_object_get_string) *json_object_get_string;
	__typeof__(json_object_get_int64) *json_object_get_int64;
	__typeof__(json_object_put) *json_object_put;
	__typeof__(json_tokener_new) *json_tokener_new;
	__typeof__(json_tokener_parse_ex) *json_tokener_parse_ex;
	__typeof__(json_tokener_get_parse_end) *json_tokener_get_parse_end;
	__typeof__(json_tokener_get_error) *json_tokener_get_error;
	__typeof__(json_tokener_free) *json_tokener_free;
};

/* Without the curl_ prefix: curl.h makes curl_easy_setopt a macro. */
struct curl_lib {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

#define JSON_SYM(f) {#f, offsetof(struct json_lib, f)}
static const struct qu_dl_sym json_syms[] = {
	JSON_SYM(json_object_object_get_ex), JSON_SYM(json_object_is_type),
	JSON_SYM(json_object_get_string_len), JSON_SYM(json_object_get_string),
	JSON_SYM(json_object_get_int64), JSON_SYM(json_object_put),
	JSON_SYM(json_tokener_new), JSON_SYM(json_tokener_parse_ex),
	JSON_SYM(json_tokener_get_parse_end), JSON_SYM(json_tokener_get_error),
	JSON_SYM(json_tokener_free),
};
#define CURL_SYM(f) {"curl_" #f, offsetof(struct curl_lib, f)}
static const struct qu_dl_sym curl_syms[] = {
	CURL_SYM(global_init), CURL_SYM(easy_init), CURL_SYM(easy_setopt),
	CURL_SYM(easy_perform), CURL_SYM(easy_getinfo), CURL_SYM(easy_strerror),
	CURL_SYM(easy_cleanup), CURL_SYM(slist_append), CURL_SYM(slist_free_all),
};
/* The sonames of Debian 12's runtime packages (libjson-c5, libcurl3-gnutls). */
static const struct qu_dl_lib json_dl = {"libjson-c.so.5", "libjson-c5", "auth = oauth2", json_syms,
					 QU_ARRAY_LEN(json_syms)};
static const struct qu_dl_lib curl_dl = {"libcurl-gnutls.so.4", "libcurl3-gnutls",
					 "auth = oauth2", curl_syms, QU_ARRAY_LEN(curl_syms)};

/* Filled once, then only read; a load that failed gives every later
 * caller the same message. */
static struct json_lib J;
static struct curl_lib C;

static void
curl_loaded(void)
{
	C.global_init(CURL_GLOBAL_DEFAULT);
}

static struct qu_dl_once json_once = QU_DL_ONCE(&json_dl, &J, NULL);
static struct qu_dl_once curl_once = QU_DL_ONCE(&curl_dl, &C, curl_loaded);

static int
json_load(struct qu_err *err)
{
	return qu_dl_open(&json_once, err);
}

static int
curl_load(struct qu_err *err)
{
	return qu_dl_open(&curl_once, err);
}

struct provider {
	const char *preset; /* cfg preset domain */
	const char *device_url, *token_url, *scope;
};

static const struct provider providers[] = {
	{"gmail.com", "https://oauth2.googleapis.com/device/code", "https://oauth2.googleapis.com/token",
	 "https://mail.google.com/"},
	{"outlook.com", "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
	 "https://login.microsoftonline.com/common/oauth2/v2.0/token",
	 "offline_access https://outlook.office.com/IMAP.AccessAsUser.All "
	 "https://outlook.office.com/POP.AccessAsUser.All https://outlook.office.com/SMTP.Send"},
};

struct endpoints {
	const char *device_url, *token_url, *scope;
};

static int
endpoints_of(const struct cfg_account *a, struct endpoints *e, struct qu_err *err)
{
	memset(e, 0, sizeof *e);
	for (size_t i = 0; i < QU_ARRAY_LEN(providers); i++)
		if (a->provider && strcmp(a->provider, providers[i].preset) == 0) {
			e->device_url = providers[i].device_url;
			e->token_url = providers[i].token_url;
			e->scope = providers[i].scope;
		}
	if (a->oauth2.device_url)
		e->device_url = a->oauth2.device_url;
	if (a->oauth2.token_url)
		e->token_url = a->oauth2.token_url;
	if (!e->device_url || !e->token_url)
		return qu_err_set(err, QU_E_CONFIG,
				  "no OAuth 2 endpoints for this account: quail knows Gmail and "
				  "Microsoft; else use oauth2_token_command");
	if (!a->oauth2.client_id)
		return qu_err_set(err, QU_E_CONFIG, "auth = oauth2 needs oauth2_client_id");
	return 0;
}

void
app_oauth2_tokens_clear(struct app_oauth2_tokens *t)
{
	qu_free_secret(t->access_token);
	qu_free_secret(t->refresh_token);
	memset(t, 0, sizeof *t);
}

/* RFC 6750 §2.1 b64token characters (plus the few more some providers
 * use): a token goes into a SASL message and a file line, so nothing else
 * is taken. */
static bool
token_ok(const char *s, size_t n)
{
	if (!n || n > 8192)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static const char *
json_str(json_object *o, const char *key, size_t *n)
{
	json_object *v;
	if (!J.json_object_object_get_ex(o, key, &v) || !J.json_object_is_type(v, json_type_string))
		return NULL;
	if (n)
		*n = (size_t)J.json_object_get_string_len(v);
	return J.json_object_get_string(v);
}

static bool
json_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;
	if (!J.json_object_object_get_ex(o, key, &v))
		return false;
	/* Some servers send numbers as strings. */
	if (J.json_object_is_type(v, json_type_int)) {
		*out = J.json_object_get_int64(v);
		return true;
	}
	if (J.json_object_is_type(v, json_type_string)) {
		uint64_t u;
		const char *s = J.json_object_get_string(v);
		if (qu_parse_u64(s, strlen(s), INT32_MAX, &u) == 0) {
			*out = (int64_t)u;
			return true;
		}
	}
	return false;
}

static json_object *
parse_object(const char *p, size_t n)
{
	if (n > BODY_MAX || n > INT32_MAX)
		return NULL;
	json_tokener *tok = J.json_tokener_new();
	json_object *o = J.json_tokener_parse_ex(tok, p, (int)n);
	/* Only white space may follow the value. */
	size_t end = o ? J.json_tokener_get_parse_end(tok) : 0;
	while (end < n && (p[end] == ' ' || p[end] == '\t' || p[end] == '\r' || p[end] == '\n'))
		end++;
	if (o && (J.json_tokener_get_error(tok) != json_tokener_success || end != n ||
		  !J.json_object_is_type(o, json_type_object))) {
		J.json_object_put(o);
		o = NULL;
	}
	J.json_tokener_free(tok);
	return o;
}

/* A short, safe copy of a server's error code for messages. */
static void
copy_code(char *dst, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s && s[i] && i + 1 < cap; i++)
		dst[i] = (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ? s[i] : '?';
	dst[i] = '\0';
}

int
app_oauth2_parse_token(const char *p, size_t n, int64_t now, struct app_oauth2_tokens *t,
		       char *code, struct qu_err *err)
{
	memset(t, 0, sizeof *t);
	code[0] = '\0';
	if (json_load(err) < 0)
		return -1;
	json_object *o = parse_object(p, n);
	if (!o)
		return qu_err_set(err, QU_E_UNAVAILABLE, "the token endpoint did not answer with JSON");
	int rc = -1;
	const char *e = json_str(o, "error", NULL);
	if (e) {
		/* RFC 6749 §5.2, RFC 8628 §3.5 */
		copy_code(code, 32, e);
		qu_err_set(err, QU_E_AUTH, "the token endpoint said %s", code);
		goto out;
	}
	size_t an = 0, rn = 0;
	const char *at = json_str(o, "access_token", &an);
	const char *rt = json_str(o, "refresh_token", &rn);
	if (!at || !token_ok(at, an)) {
		qu_err_set(err, QU_E_UNAVAILABLE, "the token endpoint gave no usable access_token");
		goto out;
	}
	if (rt && !token_ok(rt, rn)) {
		qu_err_set(err, QU_E_UNAVAILABLE, "the token endpoint gave an unusable refresh_token");
		goto out;
	}
	int64_t exp = 3600;
	if (json_int(o, "expires_in", &exp) && (exp < 0 || exp > 10 * 365 * 86400))
		exp = 3600;
	int64_t at_abs;
	/* The store holds expires_at itself. */
	if (json_int(o, "expires_at", &at_abs) && !J.json_object_object_get_ex(o, "expires_in", NULL))
		t->expires_at = at_abs;
	else
		t->expires_at = now + exp;
	t->access_token = xstrndup(at, an);
	t->refresh_token = rt ? xstrndup(rt, rn) : NULL;
	rc = 0;
out:
	J.json_object_put(o);
	return rc;
}

/* ---- HTTP -------------------------------------------------------------- */

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct qu_buf *b = ctx;
	/* Returning less than given makes libcurl stop: the cap is reached. */
	return qu_buf_append(b, p, size * nmemb) < 0 ? 0 : size * nmemb;
}

static int
on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a;
	(void)b;
	(void)c;
	(void)d;
	return qu_cancel_fired(ctx) ? 1 : 0;
}

static int
curl_error(CURLcode rc, const char *url, const char *detail, const struct app_net *net,
	   struct qu_err *err)
{
	if (rc == CURLE_ABORTED_BY_CALLBACK && qu_cancel_fired(net->cancel))
		return qu_err_canceled(err);
	enum qu_err_class cls = QU_E_TEMPFAIL;
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
	    rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT)
		cls = QU_E_UNAVAILABLE;
	return qu_err_set(err, cls, "%s: %s", url, detail[0] ? detail : C.easy_strerror(rc));
}

/* POSTs the form body; out gets the answer (at most BODY_MAX bytes). */
static int
http_post(const char *url, const char *body, const char *ca_file, const struct app_net *net,
	  struct qu_buf *out, long *status, struct qu_err *err)
{
	if (curl_load(err) < 0)
		return -1;
	CURL *c = C.easy_init();
	if (!c)
		return qu_err_set(err, QU_E_SOFTWARE, "libcurl could not start");
	char detail[CURL_ERROR_SIZE] = "";
	long ms = (net->timeout_s > 0 ? net->timeout_s : 60) * 1000L;
	struct curl_slist *hdr = C.slist_append(NULL, "Accept: application/json");
	C.easy_setopt(c, CURLOPT_URL, url);
	C.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	C.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	C.easy_setopt(c, CURLOPT_POSTFIELDS, body);
	C.easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	C.easy_setopt(c, CURLOPT_USERAGENT, "quail/" QUAIL_VERSION);
	C.easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	C.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	C.easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	C.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	C.easy_setopt(c, CURLOPT_WRITEDATA, out);
	C.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	C.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	C.easy_setopt(c, CURLOPT_XFERINFODATA, (void *)net->cancel);
	if (ca_file)
		C.easy_setopt(c, CURLOPT_CAINFO, ca_file);
	CURLcode rc = C.easy_perform(c);
	int r = 0;
	if (rc != CURLE_OK)
		r = curl_error(rc, url, detail, net, err);
	else
		C.easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	C.slist_free_all(hdr);
	C.easy_cleanup(c);
	return r;
}

/* Appends "&key=value" (form-encoded) to b. */
static void
form_add(struct qu_buf *b, const char *key, const char *value)
{
	if (!value)
		return;
	if (b->len)
		qu_buf_append_byte(b, '&');
	qu_buf_append_str(b, key);
	qu_buf_append_byte(b, '=');
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			qu_buf_append_byte(b, (char)*p);
		else
			qu_buf_printf(b, "%%%02X", *p);
	}
}

/* One request to the token endpoint; code gets the OAuth error, if any. */
static int
token_request(const struct cfg_account *a, const char *url, struct qu_buf *form,
	      const struct app_net *net, struct app_oauth2_tokens *t, char code[32],
	      struct qu_err *err)
{
	struct qu_buf out;
	qu_buf_init(&out, BODY_MAX);
	long status = 0;
	int rc = http_post(url, form->data, a->ca_file, net, &out, &status, err);
	if (rc == 0) {
		rc = app_oauth2_parse_token(out.data ? out.data : "", out.len, (int64_t)time(NULL), t,
					    code, err);
		if (rc < 0 && status >= 500 && !code[0])
			err->cls = QU_E_TEMPFAIL;
		/* An error page (a proxy's HTML) is named by its status. */
		if (rc < 0 && !code[0] && (status < 200 || status > 299))
			qu_err_prefix(err, "HTTP %ld", status);
		if (rc < 0)
			qu_err_prefix(err, "%s", url);
	}
	qu_buf_clear_secret(&out);
	return rc;
}

/* ---- the store ---------------------------------------------------------- */

char *
app_oauth2_store_path(const struct cfg_account *a)
{
	char *state = cfg_state_home();
	char *p = xasprintf("%s/oauth2/%s", state, a->name ? a->name : "default");
	free(state);
	return p;
}

static int
store_read(const struct cfg_account *a, struct app_oauth2_tokens *t, struct qu_err *err)
{
	char *path = app_oauth2_store_path(a);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		qu_err_set(err, QU_E_AUTH,
			   "no OAuth 2 login for this account yet: run 'quail setup --oauth2' "
			   "(%s)",
			   path);
		free(path);
		return -1;
	}
	struct qu_buf b;
	qu_buf_init(&b, BODY_MAX);
	for (;;) {
		char *dst = qu_buf_reserve(&b, 4096);
		ssize_t r = dst ? read(fd, dst, 4096) : -1;
		if (r <= 0)
			break;
		qu_buf_commit(&b, (size_t)r);
	}
	close(fd);
	char code[32];
	int rc = app_oauth2_parse_token(b.data ? b.data : "", b.len, 0, t, code, err);
	if (rc < 0)
		qu_err_prefix(err, "%s", path);
	qu_buf_clear_secret(&b);
	free(path);
	return rc;
}

/* mkdir -p with 0700 for each new level. */
static int
make_dirs(char *dir, struct qu_err *err)
{
	for (char *p = dir + 1;; p++) {
		bool last = *p == '\0';
		if (*p == '/' || last) {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) < 0 && errno != EEXIST)
				return qu_err_sys(err, QU_E_IOERR, errno, "%s", dir);
			*p = c;
		}
		if (last)
			return 0;
	}
}

int
app_oauth2_store_write(const struct cfg_account *a, const struct app_oauth2_tokens *t,
		       struct qu_err *err)
{
	char *path = app_oauth2_store_path(a);
	char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	char *tmp = xasprintf("%s.XXXXXX", path);
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	int rc = -1, fd = -1;
	if (make_dirs(dir, err) < 0)
		goto out;
	/* Tokens are checked to hold no '"' or '\\' (token_ok). */
	qu_buf_printf(&b, "{\"access_token\": \"%s\", \"expires_at\": %lld", t->access_token,
		      (long long)t->expires_at);
	if (t->refresh_token)
		qu_buf_printf(&b, ", \"refresh_token\": \"%s\"", t->refresh_token);
	qu_buf_append_str(&b, "}\n");
	fd = mkstemp(tmp); /* 0600 */
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		qu_err_sys(err, QU_E_IOERR, errno, "%s", path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && fd >= 0)
		unlink(tmp);
	qu_buf_clear_secret(&b);
	free(tmp);
	free(dir);
	free(path);
	return rc;
}

/* ---- refresh and device login ------------------------------------------ */

static void
form_client(struct qu_buf *f, const struct cfg_account *a)
{
	form_add(f, "client_id", a->oauth2.client_id);
	form_add(f, "client_secret", a->oauth2.client_secret);
}

char *
app_oauth2_access_token(const struct cfg_account *a, const struct app_net *net,
			struct qu_err *err)
{
	struct app_oauth2_tokens t;
	if (store_read(a, &t, err) < 0)
		return NULL;
	if (t.expires_at - REFRESH_MARGIN_S > (int64_t)time(NULL)) {
		char *s = t.access_token;
		t.access_token = NULL;
		app_oauth2_tokens_clear(&t);
		return s;
	}
	struct endpoints e;
	char *out = NULL;
	if (!t.refresh_token) {
		qu_err_set(err, QU_E_AUTH,
			   "the OAuth 2 token expired and there is no refresh token: run 'quail "
			   "setup --oauth2' again");
		goto done;
	}
	if (endpoints_of(a, &e, err) < 0)
		goto done;
	/* RFC 6749 §6 */
	struct qu_buf f;
	qu_buf_init(&f, SIZE_MAX);
	form_add(&f, "grant_type", "refresh_token");
	form_add(&f, "refresh_token", t.refresh_token);
	form_client(&f, a);
	struct app_oauth2_tokens n;
	char code[32];
	int rc = token_request(a, e.token_url, &f, net, &n, code, err);
	qu_buf_clear_secret(&f);
	/* RFC 6749 §5.2: invalid_grant on a refresh means the grant was
	 * revoked or has expired; only a new login helps, so say that. */
	if (rc < 0 && !strcmp(code, "invalid_grant"))
		qu_err_set(err, QU_E_AUTH,
			   "%s: the refresh token was refused (invalid_grant: revoked or expired): "
			   "run 'quail setup --oauth2' again",
			   e.token_url);
	if (rc < 0)
		goto done;
	/* §6: a new refresh token is optional; the old one stays good. */
	if (!n.refresh_token) {
		n.refresh_token = t.refresh_token;
		t.refresh_token = NULL;
	}
	if (app_oauth2_store_write(a, &n, err) == 0) {
		out = n.access_token;
		n.access_token = NULL;
	}
	app_oauth2_tokens_clear(&n);
done:
	app_oauth2_tokens_clear(&t);
	return out;
}

/* Sleeps s seconds unless the cancel handle fires. */
static int
wait_s(int64_t s, const struct app_net *net, struct qu_err *err)
{
	struct pollfd p = {.fd = qu_cancel_fd(net->cancel), .events = POLLIN};
	poll(&p, p.fd >= 0 ? 1 : 0, (int)(s * 1000));
	return qu_cancel_check(net->cancel, err);
}

struct device {
	char *device_code, *user_code, *uri;
	int64_t expires_in, interval;
};

static void
device_clear(struct device *d)
{
	qu_free_secret(d->device_code);
	free(d->user_code);
	free(d->uri);
}

/* RFC 8628 §3.1-§3.2 */
static int
device_start(const struct cfg_account *a, const struct endpoints *e, const struct app_net *net,
	     struct device *d, struct qu_err *err)
{
	memset(d, 0, sizeof *d);
	if (json_load(err) < 0)
		return -1;
	struct qu_buf f, out;
	qu_buf_init(&f, SIZE_MAX);
	qu_buf_init(&out, BODY_MAX);
	form_add(&f, "client_id", a->oauth2.client_id);
	form_add(&f, "scope", e->scope);
	long status = 0;
	int rc = http_post(e->device_url, f.data, a->ca_file, net, &out, &status, err);
	json_object *o = rc == 0 ? parse_object(out.data ? out.data : "", out.len) : NULL;
	if (rc == 0) {
		size_t dn = 0, un = 0;
		const char *dc = o ? json_str(o, "device_code", &dn) : NULL;
		const char *uc = o ? json_str(o, "user_code", &un) : NULL;
		/* Google calls it verification_url. */
		const char *uri = o ? json_str(o, "verification_uri", NULL) : NULL;
		if (o && !uri)
			uri = json_str(o, "verification_url", NULL);
		if (status != 200 || !dc || !uc || !uri || !token_ok(dc, dn) || !un) {
			rc = qu_err_set(err, status >= 500 ? QU_E_TEMPFAIL : QU_E_UNAVAILABLE,
					"%s: no device code (HTTP %ld)", e->device_url, status);
		} else {
			d->device_code = xstrndup(dc, dn);
			d->user_code = xstrndup(uc, un);
			d->uri = xstrdup(uri);
			if (!json_int(o, "interval", &d->interval) || d->interval < 1 ||
			    d->interval > 60)
				d->interval = 5;
			if (!json_int(o, "expires_in", &d->expires_in) || d->expires_in < 1 ||
			    d->expires_in > 3600)
				d->expires_in = 900;
		}
	}
	J.json_object_put(o);
	qu_buf_clear_secret(&f);
	qu_buf_clear_secret(&out);
	return rc;
}

int
app_oauth2_device_login(const struct cfg_account *a, const struct app_net *net,
			app_oauth2_prompt_fn prompt, void *ctx, struct qu_err *err)
{
	struct endpoints e;
	struct device d;
	if (endpoints_of(a, &e, err) < 0 || device_start(a, &e, net, &d, err) < 0)
		return -1;
	prompt(ctx, d.uri, d.user_code);
	int rc = -1;
	int64_t deadline = (int64_t)time(NULL) + d.expires_in;
	struct qu_buf f;
	qu_buf_init(&f, SIZE_MAX);
	form_add(&f, "grant_type", DEVICE_GRANT);
	form_add(&f, "device_code", d.device_code);
	form_client(&f, a);
	for (;;) {
		if (wait_s(d.interval, net, err) < 0)
			break;
		if ((int64_t)time(NULL) > deadline) {
			qu_err_set(err, QU_E_AUTH, "the device code expired before the login was done");
			break;
		}
		struct app_oauth2_tokens t;
		char code[32];
		if (token_request(a, e.token_url, &f, net, &t, code, err) == 0) {
			rc = app_oauth2_store_write(a, &t, err);
			app_oauth2_tokens_clear(&t);
			break;
		}
		/* RFC 8628 §3.5 */
		if (strcmp(code, "authorization_pending") == 0)
			continue;
		if (strcmp(code, "slow_down") == 0) {
			d.interval += 5;
			continue;
		}
		break;
	}
	qu_buf_clear_secret(&f);
	device_clear(&d);
	return rc;
}
