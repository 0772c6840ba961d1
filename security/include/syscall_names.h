/* syscall_names.h - x86-64 system-call names by number, generated at build
 * time from libseccomp's tables (security/gen_syscall_names.c). */
#ifndef AIVISOR_SYSCALL_NAMES_H
#define AIVISOR_SYSCALL_NAMES_H

#define SYSCALL_NAMES_MAX 512
extern const char *const syscall_names[SYSCALL_NAMES_MAX];

#endif
