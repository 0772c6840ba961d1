/*
 * syscall.h - the guest's Linux system calls, decoded and dispatched.
 *
 * The vCPU loop turns the registers of a `syscall` into struct
 * syscall_args (rax = nr; rdi, rsi, rdx, r10, r8, r9 = a[0..5]) and hands
 * them here; the result goes back in rax.  Unknown numbers get -ENOSYS.
 * Numbers from AIVISOR_SYS_BASE on are aivisor hypercalls
 * (vgpu/include/aivisor_guest.h).
 */
#ifndef AIVISOR_SYSCALL_H
#define AIVISOR_SYSCALL_H

#include <stdint.h>

#include "vmm_guest.h"

struct syscall_args {
	uint64_t nr;
	uint64_t a[6];
};

int64_t syscall_dispatch(struct guest *g, const struct syscall_args *args);

/* Name of a Linux syscall number this VMM implements, or NULL. */
const char *syscall_name(uint64_t nr);

#endif
