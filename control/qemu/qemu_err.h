/* qemu_err.h - one-line error messages for control/qemu (internal). */
#ifndef AIVISOR_QEMU_ERR_H
#define AIVISOR_QEMU_ERR_H

#include <stddef.h>

/* Formats the message into err (when not NULL) and returns rc. */
int qemu_err(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
