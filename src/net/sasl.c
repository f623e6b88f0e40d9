/*
 * SASL client (RFC 4422) for SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE,
 * and the challenge/response exchange the three share.
 *
 * SCRAM, CRAM-MD5, PLAIN and LOGIN run in GNU SASL; OAUTHBEARER (RFC 7628)
 * and XOAUTH2 are built here because libgsasl 2.2 has neither. The API
 * speaks base64 both ways because every caller puts base64 on the wire.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsasl.h>

#include "util/util.h"
#include "net/net.h"

enum mech_kind {
	MECH_KIND_GSASL,
	MECH_KIND_OAUTHBEARER,
	MECH_KIND_XOAUTH2,
};

struct mech {
	const char *name;
	enum mech_kind kind;
	bool oauth;        /* takes an OAuth 2 token, not a password */
	bool reveals;      /* puts the secret itself on the wire: only over TLS */
	bool client_first; /* RFC 4422 §5: the client sends the first message */
};

/* Strongest first; a session only looks at the rows whose oauth matches
 * creds->oauth2. */
static const struct mech mechs[] = {
	{"OAUTHBEARER", MECH_KIND_OAUTHBEARER, true, true, true},
	{"XOAUTH2", MECH_KIND_XOAUTH2, true, true, true},
	{"SCRAM-SHA-256", MECH_KIND_GSASL, false, false, true},
	{"SCRAM-SHA-1", MECH_KIND_GSASL, false, false, true},
	{"CRAM-MD5", MECH_KIND_GSASL, false, false, false},
	{"PLAIN", MECH_KIND_GSASL, false, true, true},
	{"LOGIN", MECH_KIND_GSASL, false, true, false},
};

struct net_sasl {
	const struct mech *mech;
	Gsasl *ctx;          /* GNU SASL mechanisms only */
	Gsasl_session *sess; /* GNU SASL mechanisms only */
	char *ir;            /* OAuth initial response; holds the token */
	size_t ir_len;
	unsigned steps;      /* responses produced so far */
	bool done;
	bool over;           /* failed, or an OAuth error was answered: no more steps */
};

/* Properties in which GNU SASL keeps the password or values derived from
 * it; wiped before gsasl_finish, which frees them without wiping. */
static const Gsasl_property secret_props[] = {
	GSASL_PASSWORD,
	GSASL_SCRAM_SALTED_PASSWORD,
	GSASL_SCRAM_SERVERKEY,
	GSASL_SCRAM_STOREDKEY,
};

/* libgsasl, opened on first use: it brings libidn, libntlm and libgssglue
 * to every start, while only logging in with a password needs it. Filled
 * once, then only read. */
struct gsasl_lib {
	__typeof__(gsasl_client_support_p) *client_support_p;
	__typeof__(gsasl_client_start) *client_start;
	__typeof__(gsasl_strerror) *strerror;
	__typeof__(gsasl_property_set) *property_set;
	__typeof__(gsasl_init) *init;
	__typeof__(gsasl_done) *done;
	__typeof__(gsasl_step) *step;
	__typeof__(gsasl_free) *free;
	__typeof__(gsasl_property_fast) *property_fast;
	__typeof__(gsasl_finish) *finish;
};
#define GS_SYM(f) {"gsasl_" #f, offsetof(struct gsasl_lib, f)}
static const struct qu_dl_sym gs_syms[] = {GS_SYM(client_support_p), GS_SYM(client_start), GS_SYM(strerror), GS_SYM(property_set), GS_SYM(init), GS_SYM(done), GS_SYM(step), GS_SYM(free), GS_SYM(property_fast), GS_SYM(finish)};
/* Debian 12's runtime package libgsasl18. */
static const struct qu_dl_lib gs_dl = {"libgsasl.so.18", "libgsasl18", "password login (SASL)",
				       gs_syms, QU_ARRAY_LEN(gs_syms)};
static struct gsasl_lib gs;
static struct qu_dl_once gs_once = QU_DL_ONCE(&gs_dl, &gs, NULL);

static int
gs_load(struct qu_err *err)
{
	return qu_dl_open(&gs_once, err);
}

static bool
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Mechanism lists (EHLO AUTH, CAPA SASL, IMAP AUTH=) are case-insensitive
 * (RFC 4422 §3.1) and servers pad them with stray spaces. */
static bool
mech_listed(const char *list, const char *name)
{
	const char *p = list ? list : "";
	while (*p) {
		while (is_sep(*p))
			p++;
		const char *start = p;
		while (*p && !is_sep(*p))
			p++;
		if (p > start && qu_mem_eq_ci(start, (size_t)(p - start), name))
			return true;
	}
	return false;
}

static bool
mech_usable(const struct mech *m, bool oauth2, bool allow_plain, Gsasl *ctx)
{
	if (m->oauth != oauth2)
		return false;
	if (m->reveals && !allow_plain)
		return false;
	if (m->kind == MECH_KIND_GSASL)
		return ctx && gs.client_support_p(ctx, m->name);
	return true;
}

static const struct mech *
mech_choose(const char *server_mechs, bool oauth2, bool allow_plain, Gsasl *ctx)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(mechs); i++) {
		if (mech_usable(&mechs[i], oauth2, allow_plain, ctx) &&
		    mech_listed(server_mechs, mechs[i].name))
			return &mechs[i];
	}
	return NULL;
}

/* The message names both lists so that the user can see what to change;
 * the server's names are made safe for a terminal. */
static void
no_shared_error(const char *server_mechs, bool oauth2, bool allow_plain, Gsasl *ctx,
		struct qu_err *err)
{
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	size_t before = b.len;
	const char *p = server_mechs ? server_mechs : "";
	while (*p) {
		while (is_sep(*p))
			p++;
		const char *start = p;
		while (*p && !is_sep(*p))
			p++;
		if (p > start) {
			if (b.len > before)
				qu_buf_append_byte(&b, ' ');
			qu_buf_append_safe(&b, start, (size_t)(p - start), false);
		}
	}
	if (b.len == before)
		qu_buf_append_str(&b, "nothing");
	qu_buf_append_str(&b, ", quail supports");
	before = b.len;
	bool left_out = false;
	for (size_t i = 0; i < QU_ARRAY_LEN(mechs); i++) {
		if (mech_usable(&mechs[i], oauth2, allow_plain, ctx))
			qu_buf_printf(&b, " %s", mechs[i].name);
		else if (mechs[i].oauth == oauth2 && mechs[i].reveals && !allow_plain)
			left_out = true;
	}
	if (b.len == before)
		qu_buf_append_str(&b, " none");
	if (oauth2)
		qu_buf_append_str(&b, " for OAuth 2");
	if (left_out)
		qu_buf_append_str(&b, " without TLS");
	qu_err_set(err, QU_E_AUTH, "no shared authentication mechanism: server offers %s", b.data);
	qu_buf_clear(&b);
}

/* A control character would break the \x01-separated framing of the OAuth
 * messages (RFC 7628 §3.1) or smuggle in a key of its own. */
static bool
has_ctl(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

/* OAUTHBEARER's GS2 header carries the user as a saslname, in which ','
 * and '=' are written =2C and =3D (RFC 5801 §4, RFC 7628 §3.1). */
static void
append_saslname(struct qu_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ',')
			qu_buf_append_str(b, "=2C");
		else if (*s == '=')
			qu_buf_append_str(b, "=3D");
		else
			qu_buf_append_byte(b, *s);
	}
}

static int
oauth_begin(struct net_sasl *s, const struct net_sasl_creds *creds, struct qu_err *err)
{
	const char *host = creds->host ? creds->host : "";
	if (has_ctl(creds->user) || has_ctl(host))
		return qu_err_set(err, QU_E_AUTH,
				  "%s: user name or host contains a control character",
				  s->mech->name);
	if (has_ctl(creds->secret))
		return qu_err_set(err, QU_E_AUTH, "%s: the token contains a control character",
				  s->mech->name);
	/* The part before the token holds no secret; the whole message is
	 * then copied once into a buffer of its final size, so that no
	 * reallocation leaves an unwiped copy of the token behind. */
	struct qu_buf b;
	qu_buf_init(&b, SIZE_MAX);
	if (s->mech->kind == MECH_KIND_OAUTHBEARER) {
		/* RFC 7628 §3.1: gs2-header, then host and port (optional
		 * keys, sent when known), then the bearer token. */
		qu_buf_append_str(&b, "n,a=");
		append_saslname(&b, creds->user);
		qu_buf_append_byte(&b, ',');
		if (*host)
			qu_buf_printf(&b, "\x01host=%s", host);
		if (creds->port)
			qu_buf_printf(&b, "\x01port=%u", (unsigned)creds->port);
		qu_buf_append_str(&b, "\x01");
	} else {
		/* XOAUTH2 as Google documents it: no GS2 header. */
		qu_buf_printf(&b, "user=%s\x01", creds->user);
	}
	qu_buf_append_str(&b, "auth=Bearer ");
	size_t tok_len = strlen(creds->secret);
	s->ir_len = b.len + tok_len + 2;
	s->ir = xmalloc(s->ir_len + 1);
	memcpy(s->ir, b.data, b.len);
	memcpy(s->ir + b.len, creds->secret, tok_len);
	memcpy(s->ir + b.len + tok_len, "\x01\x01", 3);
	qu_buf_clear(&b);
	return 0;
}

static int
gsasl_begin(struct net_sasl *s, const struct net_sasl_creds *creds, const char *service,
	    struct qu_err *err)
{
	int rc = gs.client_start(s->ctx, s->mech->name, &s->sess);
	if (rc != GSASL_OK)
		return qu_err_set(err, QU_E_SOFTWARE, "%s: GNU SASL: %s", s->mech->name,
				  gs.strerror(rc));
	/* Properties are set up front so that no callback is needed. */
	struct {
		Gsasl_property prop;
		const char *val;
	} props[] = {
		{GSASL_AUTHID, creds->user},
		{GSASL_PASSWORD, creds->secret},
		{GSASL_SERVICE, service},
		{GSASL_HOSTNAME, creds->host},
	};
	for (size_t i = 0; i < QU_ARRAY_LEN(props); i++) {
		if (!props[i].val)
			continue;
		rc = gs.property_set(s->sess, props[i].prop, props[i].val);
		if (rc != GSASL_OK)
			return qu_err_set(err, QU_E_SOFTWARE, "%s: GNU SASL: %s", s->mech->name,
					  gs.strerror(rc));
	}
	return 0;
}

struct net_sasl *
net_sasl_start(const struct net_sasl_creds *creds, const char *server_mechs, bool allow_plain,
	       const char *service, struct qu_err *err)
{
	if (!creds->user || !creds->secret) {
		const char *what = !creds->user ? "user name"
				   : creds->oauth2 ? "OAuth 2 token"
						   : "password";
		qu_err_set(err, QU_E_AUTH, "no %s to authenticate with", what);
		return NULL;
	}
	Gsasl *ctx = NULL;
	if (!creds->oauth2) {
		if (gs_load(err) < 0)
			return NULL;
		int rc = gs.init(&ctx);
		if (rc != GSASL_OK) {
			qu_err_set(err, QU_E_SOFTWARE, "GNU SASL: %s", gs.strerror(rc));
			return NULL;
		}
	}
	const struct mech *m = mech_choose(server_mechs, creds->oauth2, allow_plain, ctx);
	if (!m) {
		no_shared_error(server_mechs, creds->oauth2, allow_plain, ctx, err);
		if (ctx)
			gs.done(ctx);
		return NULL;
	}
	struct net_sasl *s = xcalloc(1, sizeof *s);
	s->mech = m;
	s->ctx = ctx;
	int rc = m->kind == MECH_KIND_GSASL ? gsasl_begin(s, creds, service, err)
					    : oauth_begin(s, creds, err);
	if (rc < 0) {
		net_sasl_free(s);
		return NULL;
	}
	return s;
}

const char *
net_sasl_mech(const struct net_sasl *s)
{
	return s->mech->name;
}

bool
net_sasl_client_first(const struct net_sasl *s)
{
	return s->mech->client_first;
}

bool
net_sasl_done(const struct net_sasl *s)
{
	return s->done;
}

static bool
is_scram(const struct net_sasl *s)
{
	return qu_str_has_prefix(s->mech->name, "SCRAM-");
}

static int
gsasl_step_error(const struct net_sasl *s, int rc, struct qu_err *err)
{
	/* RFC 5802 §3: the third SCRAM step checks the server's signature,
	 * which proves that the server knows the password. */
	if (is_scram(s) && s->steps == 2)
		return qu_err_set(err, QU_E_AUTH,
				  "%s: the server's final message does not verify: %s",
				  s->mech->name, gs.strerror(rc));
	return qu_err_set(err, QU_E_AUTH, "%s: %s", s->mech->name, gs.strerror(rc));
}

/* The most PBKDF2 iterations a SCRAM server may ask for: about a second
 * of work here, 244 times RFC 7677's 4096. A server's i= sets how long the
 * client computes before it can answer, and no read timeout covers that. */
#define SCRAM_MAX_ITERATIONS 1000000u

/* The i= attribute of a SCRAM server-first message, 0 when absent or not a
 * number below UINT32_MAX. */
static uint64_t
scram_iterations(const char *in, size_t n)
{
	for (size_t k = 0; k + 2 <= n; k++) {
		if ((k == 0 || in[k - 1] == ',') && in[k] == 'i' && in[k + 1] == '=') {
			size_t e = k + 2;
			while (e < n && in[e] != ',')
				e++;
			uint64_t v;
			return qu_parse_u64(in + k + 2, e - k - 2, UINT32_MAX, &v) == 0 ? v : 0;
		}
	}
	return 0;
}

static int
gsasl_mech_step(struct net_sasl *s, const char *in, size_t in_len, char **out_b64,
		struct qu_err *err)
{
	if (s->done)
		return qu_err_set(err, QU_E_AUTH,
				  "%s: server sent a challenge after the exchange was complete",
				  s->mech->name);
	if (is_scram(s) && s->steps == 1) {
		uint64_t it = scram_iterations(in, in_len);
		if (it > SCRAM_MAX_ITERATIONS)
			return qu_err_set(err, QU_E_AUTH,
					  "%s: server asks for %llu iterations (at most %u are done)",
					  s->mech->name, (unsigned long long)it,
					  SCRAM_MAX_ITERATIONS);
	}
	char *out = NULL;
	size_t out_len = 0;
	/* gsasl_step, not gsasl_step64: the latter frees the plain response
	 * (for PLAIN and LOGIN, the password) without wiping it. */
	int rc = gs.step(s->sess, in, in_len, &out, &out_len);
	if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE)
		return gsasl_step_error(s, rc, err);
	*out_b64 = qu_base64_encode(out ? out : "", out ? out_len : 0, NULL);
	if (out) {
		qu_wipe(out, out_len);
		gs.free(out);
	}
	s->steps++;
	/* GSASL_OK comes for SCRAM only once the server signature checked
	 * out, for the others with the last response. */
	s->done = rc == GSASL_OK;
	return 0;
}

static int
oauth_step(struct net_sasl *s, size_t in_len, char **out_b64, struct qu_err *err)
{
	if (s->steps == 0) {
		/* An empty challenge is a server that does not take an
		 * initial response with the command (RFC 4422 §5). */
		if (in_len != 0)
			return qu_err_set(err, QU_E_AUTH,
					  "%s: server sent a challenge before the initial response",
					  s->mech->name);
		*out_b64 = qu_base64_encode(s->ir, s->ir_len, NULL);
		s->steps++;
		s->done = true;
		return 0;
	}
	/* A challenge after the token is the server's error status (JSON,
	 * RFC 7628 §3.2.2). The client must answer it, OAUTHBEARER with the
	 * dummy "\x01" (§3.2.3), XOAUTH2 with an empty response, and the
	 * server then fails the command. */
	if (s->mech->kind == MECH_KIND_OAUTHBEARER)
		*out_b64 = qu_base64_encode("\x01", 1, NULL);
	else
		*out_b64 = xstrdup("");
	s->steps++;
	s->done = false;
	s->over = true;
	return 0;
}

int
net_sasl_step(struct net_sasl *s, const char *in_b64, size_t in_len, char **out_b64,
	      struct qu_err *err)
{
	*out_b64 = NULL;
	if (s->over)
		return qu_err_set(err, QU_E_AUTH, "%s: the exchange has already failed",
				  s->mech->name);
	char *in = NULL;
	size_t n = 0;
	if (in_len > 0 && qu_base64_decode(in_b64, in_len, &in, &n) < 0) {
		s->over = true;
		return qu_err_set(err, QU_E_AUTH, "%s: server challenge is not valid base64",
				  s->mech->name);
	}
	int rc = s->mech->kind == MECH_KIND_GSASL ? gsasl_mech_step(s, in, n, out_b64, err)
						  : oauth_step(s, n, out_b64, err);
	free(in);
	if (rc < 0) {
		s->done = false;
		s->over = true;
	}
	return rc;
}

void
net_sasl_free(struct net_sasl *s)
{
	if (!s)
		return;
	if (s->sess) {
		/* The values are heap copies owned by the session; wiping them
		 * in place just before gsasl_finish frees them is safe. */
		for (size_t i = 0; i < QU_ARRAY_LEN(secret_props); i++) {
			const char *v = gs.property_fast(s->sess, secret_props[i]);
			if (v)
				qu_wipe((char *)v, strlen(v));
		}
		gs.finish(s->sess);
	}
	if (s->ctx)
		gs.done(s->ctx);
	if (s->ir) {
		qu_wipe(s->ir, s->ir_len);
		free(s->ir);
	}
	free(s);
}

int
net_sasl_exchange(struct net_sasl *s, const struct net_sasl_proto *p, void *ctx,
		  struct qu_err *err)
{
	char *out = NULL;
	const char *ir = NULL;
	int rc = -1;
	/* The first response is made before the command goes out, so that a
	 * failure leaves no half-written command behind. */
	if (p->initial_response && s->mech->client_first) {
		if (net_sasl_step(s, "", 0, &out, err) < 0)
			return -1;
		ir = *out ? out : "=";
	}
	if (p->begin(ctx, s->mech->name, ir, err) < 0)
		goto out;
	for (;;) {
		qu_free_secret(out);
		out = NULL;
		const char *chal = "";
		size_t chal_len = 0;
		int r = p->next(ctx, &chal, &chal_len, err);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (net_sasl_step(s, chal, chal_len, &out, err) < 0) {
			p->cancel(ctx);
			goto out;
		}
		if (p->respond(ctx, out, err) < 0)
			goto out;
	}
	/* RFC 5802 §9: SCRAM lets the client authenticate the server too; a
	 * success that skipped the server signature may come from a server
	 * that never had the password. */
	if (is_scram(s) && !s->done) {
		qu_err_set(err, QU_E_AUTH,
			   "%s: server reported success without proving that it knows the password",
			   s->mech->name);
		goto out;
	}
	rc = 0;
out:
	qu_free_secret(out);
	return rc;
}
