/* vgpu_err.h - one-line error messages returned through (err, errlen). */
#ifndef VGPU_ERR_H
#define VGPU_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the message (when err is not NULL) and returns rc, so callers can
 * `return vgpu_err(err, len, -EINVAL, "...")`. */
__attribute__((format(printf, 4, 5)))
static inline int vgpu_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

#endif
