/*
 * Picking the server from a DNS SRV answer (RFC 2782, RFC 6186) for
 * `quail setup`. Kept apart from the lookup so that the fuzz target can
 * feed it any bytes.
 */
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"

/* A host name as DNS may hand it out: letters, digits, '-', '.' and '_'.
 * Anything else is not put into a URL or shown. */
bool
app_host_ok(const char *h)
{
	size_t n = strlen(h);
	if (!n || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

int
app_srv_pick(const unsigned char *ans, size_t len, char **host, uint16_t *port)
{
	*host = NULL;
	ns_msg msg;
	if (len > 65535 || ns_initparse(ans, (int)len, &msg) < 0)
		return 0;
	int best_prio = 65536, best_weight = -1;
	char best[NS_MAXDNAME] = "";
	uint16_t best_port = 0;
	int n = ns_msg_count(msg, ns_s_an);
	for (int i = 0; i < n; i++) {
		ns_rr rr;
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return 0;
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in || ns_rr_rdlen(rr) < 7)
			continue;
		const unsigned char *rd = ns_rr_rdata(rr);
		int prio = rd[0] << 8 | rd[1];
		int weight = rd[2] << 8 | rd[3];
		uint16_t p = (uint16_t)(rd[4] << 8 | rd[5]);
		char target[NS_MAXDNAME];
		if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rd + 6, target,
				       sizeof target) < 0)
			continue;
		/* RFC 2782: the lowest priority wins; among equals this takes
		 * the heaviest rather than drawing at random, so that setup
		 * writes the same file each time. */
		if (prio < best_prio || (prio == best_prio && weight > best_weight)) {
			best_prio = prio;
			best_weight = weight;
			best_port = p;
			memcpy(best, target, sizeof best);
		}
	}
	if (best_weight < 0)
		return 0;
	/* RFC 2782 and RFC 6186 §3.4: a target of "." says the service is
	 * not offered at all. */
	if (!best[0] || strcmp(best, ".") == 0 || best_port == 0)
		return -1;
	size_t bl = strlen(best);
	if (best[bl - 1] == '.')
		best[bl - 1] = '\0';
	if (!app_host_ok(best))
		return 0;
	*host = xstrdup(best);
	*port = best_port;
	return 1;
}
