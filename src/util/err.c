#include <stdio.h>
#include <string.h>

#include "util/util.h"

void
qu_err_clear(struct qu_err *err)
{
	if (err) {
		err->cls = QU_E_OK;
		err->msg[0] = '\0';
	}
}

int
qu_err_set(struct qu_err *err, enum qu_err_class cls, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	err->cls = cls;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
qu_err_sys(struct qu_err *err, enum qu_err_class cls, int errnum, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	err->cls = cls;
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof err->msg)
		snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(errnum));
	return -1;
}

int
qu_err_prefix(struct qu_err *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char what[QU_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	/* Built by hand: the result is cut at the buffer's end on purpose. */
	char old[QU_ERR_MSG_MAX];
	memcpy(old, err->msg, sizeof old);
	size_t wl = strlen(what), ol = strnlen(old, sizeof old - 1), n = 0;
	size_t room = sizeof err->msg - 1;
	const char *parts[3] = {what, old[0] ? ": " : "", old};
	size_t lens[3] = {wl, old[0] ? 2 : 0, ol};
	for (int i = 0; i < 3; i++) {
		size_t k = lens[i] < room - n ? lens[i] : room - n;
		memcpy(err->msg + n, parts[i], k);
		n += k;
	}
	err->msg[n] = '\0';
	if (err->cls == QU_E_OK)
		err->cls = QU_E_SOFTWARE;
	return -1;
}

/* The one table from error classes to the exit codes of SPEC §3. */
static const struct {
	const char *name;
	int code;
} classes[] = {
	[QU_E_OK] = {"ok", 0},
	[QU_E_USAGE] = {"usage", 64},
	[QU_E_DATA] = {"data", 65},
	[QU_E_NOINPUT] = {"noinput", 66},
	[QU_E_UNAVAILABLE] = {"unavailable", 69},
	[QU_E_TLS] = {"tls", 69},
	[QU_E_SOFTWARE] = {"software", 70},
	[QU_E_IOERR] = {"ioerr", 74},
	[QU_E_TEMPFAIL] = {"tempfail", 75},
	[QU_E_AUTH] = {"auth", 77},
	[QU_E_CONFIG] = {"config", 78},
};

int
qu_err_exit_code(enum qu_err_class cls)
{
	if ((size_t)cls >= QU_ARRAY_LEN(classes))
		return 70;
	return classes[cls].code;
}

const char *
qu_err_class_name(enum qu_err_class cls)
{
	if ((size_t)cls >= QU_ARRAY_LEN(classes))
		return "software";
	return classes[cls].name;
}
