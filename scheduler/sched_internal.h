/*
 * sched_internal.h - helpers shared by the scheduler's own files only.
 */
#ifndef AIVISOR_SCHED_INTERNAL_H
#define AIVISOR_SCHED_INTERNAL_H

#include <stddef.h>

#define SCHED_MAX_LAG_LIMIT_NS 5000000000ull /* 5 s */

/* snprintf into why when it is not NULL. */
void sched_why(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
