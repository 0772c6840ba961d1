/* error.c - the engine's one way of reporting a failure (engine_error.h). */
#include <stdarg.h>
#include <stdio.h>

#include "engine_error.h"

int eng_errorf(struct eng_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}
