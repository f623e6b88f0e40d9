/*
 * The DNS SRV answer `quail setup` picks a server from (src/app/setup_srv.c):
 * whatever the reply holds, a picked host is a plain host name that
 * app_host_ok accepts and a port that is not 0, and nothing is picked
 * otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "app/app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *host = NULL;
	uint16_t port = 0;
	int r = app_srv_pick(data, size, &host, &port);
	if (r == 1) {
		if (!host || !app_host_ok(host) || port == 0 || host[strlen(host) - 1] == '.')
			abort();
	} else if (host || r < -1 || r > 1) {
		abort();
	}
	free(host);
	return 0;
}
