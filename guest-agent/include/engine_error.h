/*
 * engine_error.h - how the engine reports errors.
 *
 * Every fallible engine function returns 0 on success or -1 on failure and,
 * on failure, fills a caller-provided struct eng_err with one line that
 * names the file, line or argument at fault.  Nothing in the engine prints
 * or exits: the agent decides what to show the user.
 */
#ifndef ENGINE_ERROR_H
#define ENGINE_ERROR_H

#include <stddef.h>

struct eng_err {
	char msg[512];
};

/* Formats into err->msg (err may be NULL); always returns -1. */
int eng_errorf(struct eng_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
