/* Message digests the protocols need that SASL does not cover. */
#include "util/util.h"
#include "net/gnutls_lib.h"
#include "net/net.h"

int
net_md5_hex(const void *p, size_t n, char out[static 33], struct qu_err *err)
{
	unsigned char md[16];
	static const char hex[] = "0123456789abcdef";
	out[0] = '\0';
	const struct net_gnutls *g = net_gnutls_load(err);
	if (!g)
		return -1;
	int r = g->hash_fast(GNUTLS_DIG_MD5, p, n, md);
	if (r < 0) {
		/* e.g. MD5 switched off in FIPS mode */
		return qu_err_set(err, QU_E_SOFTWARE, "MD5: %s", g->strerror(r));
	}
	for (size_t i = 0; i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
	qu_wipe(md, sizeof md);
	return 0;
}
