/* qemu_err.c - one-line error messages for control/qemu. */
#include "qemu_err.h"

#include <stdarg.h>
#include <stdio.h>

int qemu_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}
