/*
 * International domain names to ASCII (IDNA 2008, RFC 5891) through
 * libidn2, opened on first use: linked, it and libunistring (1.7 MB of
 * relocations) were loaded at every start, while only writing and sending
 * mail needs it.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include <idn2.h>

#include "util/util.h"

struct idn2_lib {
	__typeof__(idn2_to_ascii_8z) *to_ascii_8z;
	__typeof__(idn2_free) *free;
};
static const struct qu_dl_sym idn2_syms[] = {
	{"idn2_to_ascii_8z", offsetof(struct idn2_lib, to_ascii_8z)},
	{"idn2_free", offsetof(struct idn2_lib, free)},
};
/* Debian 12's runtime package libidn2-0. */
static const struct qu_dl_lib idn2_dl = {"libidn2.so.0", "libidn2-0", "international domain names",
					 idn2_syms, QU_ARRAY_LEN(idn2_syms)};
static struct idn2_lib idn;
static struct qu_dl_once idn_once = QU_DL_ONCE(&idn2_dl, &idn, NULL);

char *
qu_idna_to_ascii(const char *domain, struct qu_err *err)
{
	if (qu_dl_open(&idn_once, err) < 0)
		return NULL;
	char *ace = NULL;
	if (idn.to_ascii_8z(domain, &ace, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK) {
		idn.free(ace);
		if (err)
			qu_err_set(err, QU_E_DATA, "%s is not a valid international domain name",
				   domain);
		return NULL;
	}
	char *r = xstrdup(ace);
	idn.free(ace);
	return r;
}
