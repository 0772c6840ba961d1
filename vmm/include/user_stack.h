/*
 * user_stack.h - the initial stack a Linux x86-64 program expects:
 * argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL, then the strings
 * and AT_RANDOM's 16 bytes near the top.
 */
#ifndef AIVISOR_USER_STACK_H
#define AIVISOR_USER_STACK_H

#include <stdint.h>

#include "elf_load.h"
#include "guest_mem.h"

struct user_stack_info {
	const struct elf_image *img;
	uint64_t vdso;         /* AT_SYSINFO_EHDR, 0 for none */
	uint64_t hwcap;        /* AT_HWCAP (CPUID.1:EDX) */
	char *const *argv;
	char *const *envp;
	const uint8_t *random; /* 16 bytes for AT_RANDOM */
};

/* Builds the stack below `top` within [bottom, top) of guest memory.
 * Returns the initial rsp (16-byte aligned, pointing at argc), or 0 when
 * the arguments do not fit (E2BIG). */
gpa_t user_stack_build(const struct guest_mem *m, gpa_t bottom, gpa_t top,
		       const struct user_stack_info *info);

#endif
