/*
 * The POP3 client reading a server (src/pop3): the input is all the server
 * says, then the connection ends. A session is opened over it and driven
 * as quail fetch drives one: login (SASL, APOP or USER/PASS, as greeting
 * and CAPA offer), STAT, LIST and UIDL, RETR and TOP of the first messages
 * listed, the pipelined RETR of a few, DELE, RSET, NOOP and QUIT. Any step
 * may fail. Checked: the listing is in order and its unique-ids are valid
 * and distinct or all absent; what a sink gets came from the input, adds
 * up to the octets reported and ends with a line end; the handler of
 * pop3_session_retr_many sees each message once, in order.
 */
#define _GNU_SOURCE
#include "fuzz_conn.h"

#include "pop3/pop3.h"

/* RETR and TOP go to the first messages listed; the pipelined RETR to a
 * few more. */
#define N_FETCH 3
#define N_MANY 5
/* A line cap far below net's default, so that short inputs reach the
 * streaming of overlong lines. */
#define MAX_LINE 1000
/* Pieces checked against the input, so that a long body costs no more
 * than this many searches. */
#define N_SEARCH 64

struct sink {
	const uint8_t *in;
	size_t in_len;
	uint64_t n;       /* bytes of the current message */
	uint64_t total;   /* bytes of every message */
	char last;        /* the last byte given */
	unsigned searched;
	/* pop3_session_retr_many */
	size_t next;      /* the index expected next */
	bool in_msg;      /* between begin and end */
};

static int
sink_data(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct sink *k = ctx;
	(void)err;
	if (n == 0)
		abort();
	if (k->searched < N_SEARCH) {
		k->searched++;
		if (!fuzz_from_input(k->in, k->in_len, p, n))
			abort();
	}
	k->n += n;
	k->total += n;
	/* Never more than the server sent, stuffing dots taken away. */
	if (k->total > k->in_len)
		abort();
	k->last = p[n - 1];
	return 0;
}

static void
sink_begin(struct sink *k)
{
	k->n = 0;
	k->last = '\n';
}

/* A complete message is empty or ends with its last line's end: the reader
 * hands over whole lines only. */
static void
sink_end(const struct sink *k, uint64_t octets)
{
	if (octets != k->n || (k->n && k->last != '\n'))
		abort();
}

static int
many_begin(void *ctx, size_t i, struct qu_err *err)
{
	struct sink *k = ctx;
	(void)err;
	if (k->in_msg || i != k->next)
		abort();
	k->in_msg = true;
	sink_begin(k);
	return 0;
}

static int
many_end(void *ctx, size_t i, uint64_t octets, struct qu_err *err)
{
	struct sink *k = ctx;
	(void)err;
	if (!k->in_msg || i != k->next)
		abort();
	sink_end(k, octets);
	k->in_msg = false;
	k->next++;
	return 0;
}

static int
many_refused(void *ctx, size_t i, const struct qu_err *why, struct qu_err *err)
{
	struct sink *k = ctx;
	(void)err;
	if (k->in_msg || i != k->next)
		abort();
	if (why->cls != QU_E_UNAVAILABLE && why->cls != QU_E_TEMPFAIL)
		abort();
	k->next++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
check_listing(const struct pop3_listing *l, int rc)
{
	if (rc < 0) {
		if (l->msgs || l->n)
			abort();
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct pop3_msg *m = &l->msgs[i];
		if (m->num == 0 || (i && l->msgs[i - 1].num > m->num))
			abort();
		if (!l->has_uid) {
			if (m->uid)
				abort();
			continue;
		}
		size_t ul = m->uid ? strlen(m->uid) : 0;
		if (ul == 0 || ul > 512)
			abort();
		for (size_t j = 0; j < ul; j++)
			if ((unsigned char)m->uid[j] < 0x21 || m->uid[j] == 0x7f)
				abort();
	}
	if (!l->has_uid && !l->no_uid_why[0])
		abort();
	if (l->has_uid && l->n > 1) {
		const char **v = xmalloc(l->n * sizeof *v);
		for (size_t i = 0; i < l->n; i++)
			v[i] = l->msgs[i].uid;
		qsort(v, l->n, sizeof *v, cmp_str);
		for (size_t i = 1; i < l->n; i++)
			if (strcmp(v[i - 1], v[i]) == 0)
				abort();
		free(v);
	}
}

static void
check_caps(const struct pop3_session *s)
{
	const char *caps = pop3_session_capabilities(s);
	size_t cl = strlen(caps);
	static const char *const tags[] = {"SASL", "PIPELINING", "UIDL", "USER", "TOP", "STLS"};
	for (size_t i = 0; i < QU_ARRAY_LEN(tags); i++) {
		const char *param = NULL;
		if (pop3_session_has_cap(s, tags[i], &param) && (param < caps || param > caps + cl))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int server;
	struct net_conn *c = fuzz_conn(data, size, "pop.example.org", MAX_LINE, &server);
	if (!c)
		return 0;
	struct qu_err err;
	struct pop3_session *s = pop3_session_open_conn(c, NET_TLS_NONE, MAX_LINE, &err);
	if (!s) {
		close(server);
		return 0;
	}
	check_caps(s);
	static const struct net_sasl_creds creds = {
		.user = "alice", .secret = "secret", .host = "pop.example.org", .port = 110};
	const char *mech = NULL;
	if (pop3_session_auth(s, &creds, true, &mech, &err) < 0) {
		pop3_session_close(s);
		close(server);
		return 0;
	}
	if (pop3_session_state(s) != POP3_STATE_TRANSACTION || !mech)
		abort();

	uint32_t count;
	uint64_t octets;
	pop3_session_stat(s, &count, &octets, &err);

	struct pop3_listing l;
	check_listing(&l, pop3_session_listing(s, &l, &err));
	uint32_t nums[N_MANY] = {1, 2, 3, 4, 5};
	size_t n_nums = l.n ? (l.n < N_MANY ? l.n : N_MANY) : 2;
	for (size_t i = 0; i < l.n && i < N_MANY; i++)
		nums[i] = l.msgs[i].num;
	pop3_listing_clear(&l);

	struct sink k = {.in = data, .in_len = size};
	for (size_t i = 0; i < n_nums && i < N_FETCH; i++) {
		sink_begin(&k);
		if (pop3_session_retr(s, nums[i], sink_data, &k, &octets, &err) == 0)
			sink_end(&k, octets);
		sink_begin(&k);
		if (pop3_session_top(s, nums[i], i, sink_data, &k, &err) == 0)
			sink_end(&k, k.n);
	}

	static const struct pop3_retr_handler h = {
		.begin = many_begin, .data = sink_data, .end = many_end, .refused = many_refused};
	if (pop3_session_retr_many(s, nums, n_nums, &h, &k, &err) == 0 && k.next != n_nums)
		abort();

	pop3_session_dele(s, nums[0], &err);
	pop3_session_rset(s, &err);
	pop3_session_dele_many(s, nums, n_nums, &err);
	pop3_session_noop(s, &err);
	pop3_session_quit(s, &err);
	pop3_session_close(s);
	close(server);
	return 0;
}
