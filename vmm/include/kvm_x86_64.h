/*
 * kvm_x86_64.h - the KVM API calls the VMM makes: VM, memory slots, vCPUs
 * and their x86-64 state (CPUID, special registers, MSRs, XCR0).
 *
 * All return 0 or -1 with a one-line message in err.
 */
#ifndef AIVISOR_KVM_X86_64_H
#define AIVISOR_KVM_X86_64_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_vm {
	int kvm_fd, vm_fd;
	size_t run_size;
	bool sync_regs;   /* KVM_CAP_SYNC_REGS: registers in kvm_run on every exit */
	struct kvm_cpuid2 *cpuid;
};

struct kvm_vcpu {
	int fd;
	unsigned id;
	struct kvm_run *run;
};

int kvm_vm_open(struct kvm_vm *vm, bool want_sync_regs, char *err, size_t errlen);
int kvm_vm_add_memory(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host,
		      char *err, size_t errlen);
/* Routes 4-byte guest writes at gpa to eventfd fd without an exit. */
int kvm_vm_ioeventfd(struct kvm_vm *vm, uint64_t gpa, int fd, char *err, size_t errlen);
int kvm_vcpu_create(struct kvm_vm *vm, unsigned id, struct kvm_vcpu *c, char *err, size_t errlen);

/* Puts the vCPU in 64-bit CPL3 at entry with stack rsp (boot_x86_64.h
 * tables must already be in guest memory).  On the way it runs the
 * syscall probe once and stores in *syscall_cpl the privilege level the
 * syscall stub runs at on this host (0 on VMX/SVM, 3 where `syscall`
 * stays at CPL3), so the run loop knows how to return from a call. */
int kvm_vcpu_setup(struct kvm_vm *vm, struct kvm_vcpu *c, uint64_t entry, uint64_t rsp,
		   int *syscall_cpl, char *err, size_t errlen);

/* Gives a spare vCPU the program's CPL3 state (segments, control
 * registers, syscall MSRs, XCR0) at set-up, so that starting a thread on it
 * later needs only kvm_vcpu_setup_thread. */
int kvm_vcpu_prepare(struct kvm_vm *vm, struct kvm_vcpu *c, char *err, size_t errlen);

/* Starts a guest thread on a prepared vCPU: registers r, FS base fs_base. */
int kvm_vcpu_setup_thread(struct kvm_vm *vm, struct kvm_vcpu *c, const struct kvm_regs *r,
			  uint64_t fs_base, char *err, size_t errlen);

/* General registers: from kvm_run when synced, else KVM_GET_REGS. */
int kvm_vcpu_get_regs(struct kvm_vm *vm, struct kvm_vcpu *c, struct kvm_regs *r);
/* Marks kvm_run's registers dirty, or KVM_SET_REGS. */
int kvm_vcpu_put_regs(struct kvm_vm *vm, struct kvm_vcpu *c, struct kvm_regs *r);

int kvm_vcpu_set_fs_base(struct kvm_vcpu *c, uint64_t base);
int kvm_vcpu_get_fs_base(struct kvm_vcpu *c, uint64_t *base);
/* The guest's TSC (MSR 0x10) and its frequency in kHz. */
int kvm_vcpu_tsc(struct kvm_vcpu *c, uint64_t *tsc, uint64_t *khz);

void kvm_vm_close(struct kvm_vm *vm);

#endif
