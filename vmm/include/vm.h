/*
 * vm.h - one microVM: its configuration, KVM objects, guest state and the
 * run phase.  main.c fills the configuration and does the set-up phase;
 * vcpu.c runs it.  Seccomp (a later issue) goes between the two phases.
 */
#ifndef AIVISOR_VM_H
#define AIVISOR_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvm_x86_64.h"
#include "vmm_guest.h"

#define VM_MAX_VCPUS 64

/* One vCPU's guest thread (threads.c). */
struct vcpu_slot {
	struct vm *vm;
	unsigned idx;
	pthread_cond_t cond;    /* parked or in FUTEX_WAIT */
	bool start;             /* asked to run (vm_wait for vCPU 0, clone) */
	bool running;           /* a guest thread runs on it */
	struct kvm_regs regs;   /* a cloned thread's first registers */
	uint64_t fs_base;
	gpa_t clear_tid;        /* CLONE_CHILD_CLEARTID / set_tid_address */
	gpa_t futex;            /* address it waits on, 0 if none */
	bool woken;
};

struct vm {
	struct kvm_vm kvm;
	struct kvm_vcpu vcpus[VM_MAX_VCPUS];
	pthread_t threads[VM_MAX_VCPUS];
	unsigned nr_vcpus;
	struct guest guest;
	struct vcpu_slot slots[VM_MAX_VCPUS];
	pthread_mutex_t guest_lock;  /* guest state (heap, fds) between vCPUs */
	pthread_mutex_t thread_lock; /* slots and futex waiters */
	unsigned running;            /* live guest threads */
	bool ended;                  /* exit_code is final (thread_lock) */
	int syscall_cpl;        /* CPL the syscall stub runs at (set-up probe) */
	atomic_bool stopping;
	sigset_t wait_set;      /* signals vm_wait waits for */
	int vgpu_complete_fd;   /* -1 without a vGPU */
	int exit_code;          /* the VMM's exit status, set by vCPU 0 */
};

/* The last step of set-up: signal handling and every vCPU thread, parked.
 * Returns 0, or 1 after a message.  After it the VMM needs no new threads,
 * files or mappings: a sandbox goes between vm_start and vm_wait. */
int vm_start(struct vm *vm);

/* The run phase: releases vCPU 0 and waits until the program exits,
 * faults, timeout_s passes (0: no limit) or SIGTERM/SIGINT arrives.
 * Returns the VMM's exit status: the guest's exit_group status, 128+signal
 * for a fault or a signal, 124 for a timeout, 1 for a host error. */
int vm_wait(struct vm *vm, unsigned timeout_s);

extern const struct guest_ops vm_guest_ops;

#endif
