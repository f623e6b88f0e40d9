#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

void
qu_err_clear(struct qu_err *err)
{
	if (err) {
		err->cls = QU_E_OK;
		err->reason = QU_R_NONE;
		err->code[0] = '\0';
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
	err->reason = QU_R_NONE;
	err->code[0] = '\0';
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
	err->reason = errnum == ENOSPC || errnum == EDQUOT ? QU_R_DISK_FULL : QU_R_NONE;
	err->code[0] = '\0';
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
	[QU_E_CANCELED] = {"canceled", 75},
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

int
qu_err_reason(struct qu_err *err, enum qu_err_reason reason, const char *code)
{
	if (!err)
		return -1;
	err->reason = reason;
	snprintf(err->code, sizeof err->code, "%s", code ? code : "");
	return -1;
}

int
qu_err_canceled(struct qu_err *err)
{
	qu_err_set(err, QU_E_CANCELED, "canceled");
	return qu_err_reason(err, QU_R_CANCELED, NULL);
}

bool
qu_err_is(const struct qu_err *err, enum qu_err_reason r)
{
	return err && err->reason == r;
}

bool
qu_err_code_is(const struct qu_err *err, enum qu_err_reason r, const char *code)
{
	return qu_err_is(err, r) && strcasecmp(err->code, code) == 0;
}

static const char *const reason_names[] = {
	[QU_R_NONE] = "none",
	[QU_R_TIMEOUT] = "timeout",
	[QU_R_CONN_LOST] = "connection-lost",
	[QU_R_CONNECT] = "connect",
	[QU_R_DNS] = "dns",
	[QU_R_TLS] = "tls",
	[QU_R_TLS_CERT] = "tls-certificate",
	[QU_R_AUTH] = "auth",
	[QU_R_REFUSED] = "refused",
	[QU_R_PROTOCOL] = "protocol",
	[QU_R_CANCELED] = "canceled",
	[QU_R_DISK_FULL] = "disk-full",
	[QU_R_TOO_BIG] = "too-big",
	[QU_R_PASSWORD_COMMAND] = "password-command",
};

const char *
qu_err_reason_name(enum qu_err_reason r)
{
	if ((size_t)r >= QU_ARRAY_LEN(reason_names) || !reason_names[r])
		return "none";
	return reason_names[r];
}
