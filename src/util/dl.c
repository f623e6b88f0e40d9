/*
 * Optional shared libraries opened on first use.
 *
 * Every library named on the link line is mapped and relocated at each start,
 * whether the command uses it or not; libcurl alone drags in some twenty more
 * (HTTP/2, SSH, LDAP, Kerberos). Features that only some runs need open their
 * library here instead, so `quail --version` or a no-change `quail index` pay
 * nothing for OAuth 2.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "util/util.h"

int
qu_dl_load(const struct qu_dl_lib *lib, void *table, struct qu_err *err)
{
	/* RTLD_LOCAL: the symbols are reached only through table, so they
	 * cannot clash with anything else in the process. */
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		return qu_err_set(err, QU_E_UNAVAILABLE, "%s needs %s (Debian package %s): %s",
				  lib->feature, lib->soname, lib->package, why ? why : "not found");
	}
	for (size_t i = 0; i < lib->nsyms; i++) {
		void *f = dlsym(h, lib->syms[i].name);
		if (!f) {
			qu_err_set(err, QU_E_UNAVAILABLE, "%s needs %s with %s (Debian package %s)",
				   lib->feature, lib->soname, lib->syms[i].name, lib->package);
			dlclose(h);
			return -1;
		}
		/* POSIX guarantees a data pointer can hold a function's address;
		 * memcpy avoids the cast ISO C leaves undefined. */
		memcpy((char *)table + lib->syms[i].offset, &f, sizeof f);
	}
	/* The handle stays open for the life of the process: table points
	 * into it. */
	return 0;
}

int
qu_dl_open(struct qu_dl_once *o, struct qu_err *err)
{
	int state = atomic_load_explicit(&o->state, memory_order_acquire);
	if (state == 0) {
		pthread_mutex_lock(&o->mu);
		state = atomic_load_explicit(&o->state, memory_order_relaxed);
		if (state == 0) {
			state = qu_dl_load(o->lib, o->table, &o->err) == 0 ? 1 : -1;
			if (state == 1 && o->loaded)
				o->loaded();
			/* err and the table are written before state says so. */
			atomic_store_explicit(&o->state, state, memory_order_release);
		}
		pthread_mutex_unlock(&o->mu);
	}
	if (state < 0) {
		if (err)
			*err = o->err;
		return -1;
	}
	return 0;
}
