/*
 * cgroup_cpu_internal.h - shared by cgroup_cpu*.c only.
 */
#ifndef AIVISOR_CGROUP_CPU_INTERNAL_H
#define AIVISOR_CGROUP_CPU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define CGROUP_CPU_MAX_CPUS 1024u
#define CGROUP_CPU_MASK_WORDS (CGROUP_CPU_MAX_CPUS / 64)

/* snprintf into err when it is not NULL. */
void cgroup_cpu_err(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int cgroup_cpu_list_parse(const char *list, uint64_t mask[CGROUP_CPU_MASK_WORDS]);

#endif
