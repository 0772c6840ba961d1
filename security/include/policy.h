/*
 * policy.h - the system-call allowlists of aivisor's processes, each
 * documented call by call next to its table (policy_*.c).
 */
#ifndef AIVISOR_POLICY_H
#define AIVISOR_POLICY_H

#include "sandbox.h"

/* aivisor-vmm's run phase: KVM_RUN, the syscall emulation, console,
 * share files already resolved under open directory fds, vGPU waits. */
extern const struct sandbox_syscall policy_vmm[];
extern const size_t policy_vmm_len;

/* aivisor-vgpud after start-up: epoll on doorbells, the control socket,
 * OpenBLAS threads.  No file system. */
extern const struct sandbox_syscall policy_vgpud[];
extern const size_t policy_vgpud_len;

/* Prints a table (name, argument filter, why) for --print-seccomp. */
void policy_print(const char *who, const struct sandbox_syscall *p, size_t n);

#endif
