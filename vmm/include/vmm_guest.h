/*
 * vmm_guest.h - what a guest program's system calls act on.
 *
 * The syscall handlers see only this struct: guest memory, the heap, the
 * fd table, the shares and a few callbacks to the vCPU.  Nothing here needs
 * KVM, so the fuzzer drives the very same handlers over a plain buffer.
 */
#ifndef AIVISOR_VMM_GUEST_H
#define AIVISOR_VMM_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "fd_table.h"
#include "guest_mem.h"
#include "mm.h"
#include "shares.h"
#include "console_rate.h"

struct guest_ops {
	/* arch_prctl(ARCH_SET_FS): sets the FS base of the calling vCPU. */
	int (*set_fs_base)(void *vcpu, uint64_t base);
	/* Sleeps; returns 0 or -EINTR when the VM is being stopped. */
	int (*sleep_ns)(void *ctx, uint64_t ns);
	/* AIVISOR_SYS_VGPU_WAIT; NULL when the VM has no vGPU (-ENODEV). */
	int (*vgpu_wait)(void *ctx, uint64_t timeout_ns);
};

struct guest {
	struct guest_mem mem;
	struct mm mm;
	struct fd_table fds;
	struct shares shares;
	const struct guest_ops *ops;
	void *ops_ctx;
	void *vcpu;              /* passed to ops->set_fs_base */
	const char *name;        /* uname nodename */
	unsigned nr_vcpus;
	uint64_t stack_size;     /* RLIMIT_STACK */
	bool exited;
	int exit_status;
	bool debug;              /* log unknown syscalls (once each) */
	struct console_rate console; /* stdout/stderr output rate */
	uint64_t warned[8];      /* bitmap of syscall numbers already logged */
};

#endif
