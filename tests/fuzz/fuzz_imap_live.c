/*
 * The IMAP commands of the UI's live session reading a hostile server
 * (src/imap idle.c, store_cmd.c): the input is all the server says after
 * the connection opens, then the connection ends. The session is driven
 * as app_imap_live drives it: a SELECT with QRESYNC whose changes come as
 * events, IDLE (left by its deadline), a conditional STORE reading
 * MODIFIED, summaries with ENVELOPE and BODYSTRUCTURE, one part to a sink,
 * EXPUNGE and NOOP. Any step may fail. Checked: events are of known kinds
 * and a VANISHED set holds only digits, ':' and ','; MODIFIED UIDs are
 * ascending and not 0; summaries have a UID; what the part sink gets came
 * from the input and never adds up to more than the size announced.
 */
#define _GNU_SOURCE
#include "fuzz_conn.h"

#include "imap/imap.h"

#define MAX_LINE 4096
#define N_SEARCH 64

struct ck {
	const uint8_t *in;
	size_t in_len;
	uint64_t got;
	unsigned searched;
};

static int
on_event(void *ctx, const struct imap_event *ev, struct qu_err *err)
{
	(void)ctx;
	(void)err;
	switch (ev->kind) {
	case IMAP_EVENT_EXISTS:
	case IMAP_EVENT_EXPUNGE:
		break;
	case IMAP_EVENT_FETCH:
		if (!ev->msg)
			abort();
		break;
	case IMAP_EVENT_VANISHED:
		if (!ev->uids || !*ev->uids || strspn(ev->uids, "0123456789:,") != strlen(ev->uids))
			abort();
		break;
	default:
		abort();
	}
	return 0;
}

static int
on_summary(void *ctx, const struct imap_summary *m, struct qu_err *err)
{
	(void)ctx;
	(void)err;
	if (!m->uid)
		abort();
	if (m->envelope && m->envelope->n_from && !m->envelope->from)
		abort();
	if (m->body && (!m->body->n || !m->body->parts))
		abort();
	return 0;
}

static int
on_part(void *ctx, const char *p, size_t n, struct qu_err *err)
{
	struct ck *k = ctx;
	(void)err;
	if (k->searched < N_SEARCH) {
		k->searched++;
		if (n && !fuzz_from_input(k->in, k->in_len, p, n))
			abort();
	}
	k->got += n;
	if (k->got > k->in_len)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int server;
	/* A PREAUTH greeting first, so that the input is what follows it. */
	static const char greet[] =
		"* PREAUTH [CAPABILITY IMAP4rev1 IDLE CONDSTORE QRESYNC MOVE UIDPLUS] hi\r\n";
	uint8_t *in = malloc(sizeof greet - 1 + size + 1);
	if (!in)
		return 0;
	memcpy(in, greet, sizeof greet - 1);
	if (size)
		memcpy(in + sizeof greet - 1, data, size);
	size_t n = sizeof greet - 1 + size;
	struct net_conn *c = fuzz_conn(in, n, "fuzz", MAX_LINE, &server);
	if (!c) {
		free(in);
		return 0;
	}
	struct qu_err err;
	struct imap_session *s = imap_session_open_conn(c, NET_TLS_NONE, &err);
	c = NULL; /* the session owns it, or freed it */
	if (!s)
		goto out;
	struct imap_qresync q = {.uidvalidity = 7, .modseq = 100};
	struct imap_mailbox_status st;
	imap_session_select_events(s, "INBOX", 5, false, &q, on_event, NULL, &st, &err);
	if (!imap_session_broken(s))
		imap_session_idle_run(s, -1, 0, on_event, NULL, &err);
	uint32_t *mod = NULL;
	size_t nmod = 0;
	if (!imap_session_broken(s) &&
	    imap_session_uid_store_cond(s, "1:*", '+', IMAP_FLAG_SEEN, 5, on_event, NULL, &mod,
					&nmod, &err) == 0) {
		for (size_t i = 0; i < nmod; i++)
			if (!mod[i] || (i && mod[i] < mod[i - 1]))
				abort();
	}
	free(mod);
	if (!imap_session_broken(s))
		imap_session_fetch_summaries(s, "1:*",
					     IMAP_SUMMARY_ENVELOPE | IMAP_SUMMARY_BODYSTRUCTURE,
					     on_summary, NULL, &err);
	struct ck k = {.in = in, .in_len = n};
	uint64_t size_said = 0;
	if (!imap_session_broken(s) &&
	    imap_session_fetch_part(s, 4, "1.2", on_part, &k, &size_said, &err) == 0 &&
	    k.got > size_said)
		abort();
	if (!imap_session_broken(s))
		imap_session_expunge(s, on_event, NULL, &err);
	if (!imap_session_broken(s))
		imap_session_noop_events(s, on_event, NULL, &err);
	imap_session_close(s);
out:
	net_conn_free(c);
	close(server);
	free(in);
	return 0;
}
