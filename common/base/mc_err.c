/* mc_err.c - texts for the project's error codes and errno mapping. */
#include "base/mc_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#define MC_ERR_TEXT(id, text) text,
static const char *const mc_err_texts[] = {MC_ERRORS(MC_ERR_TEXT)};
#undef MC_ERR_TEXT

const char *
mc_strerror(mc_err e)
{
	if ((int) e < 0 || e >= MC_ERR_COUNT)
		return "unknown error";
	return mc_err_texts[e];
}

mc_err
mc_from_errno(int e)
{
	switch (e) {
	case 0:
		return MC_OK;
	case ENOMEM:
		return MC_ENOMEM;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return MC_ENOSPC;
	case ENOENT:
		return MC_ENOENT;
	case EEXIST:
		return MC_EEXIST;
	case EINVAL:
		return MC_EINVAL;
	case EAGAIN:
		return MC_EAGAIN;
	case ETIMEDOUT:
		return MC_ETIMEDOUT;
	case ECONNREFUSED:
		return MC_EREFUSED;
	default:
		return MC_EIO;
	}
}

const char *
mc_diag_format(const mc_diag *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%zu:%zu: %s: %s", d->file[0] ? d->file : "-",
	    d->line, d->column, d->field[0] ? d->field : "-", d->msg);
	return buf;
}

void
mc_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
