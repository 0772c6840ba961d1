/*
 * threads.h - guest threads on the VM's vCPUs: clone, thread exit,
 * futexes, gettid and set_tid_address.
 *
 * vCPU 0 runs the program's first thread; clone() starts a new thread on
 * a parked vCPU (EAGAIN when none is left, so --vcpus bounds the threads).
 * These calls need the calling vCPU and its registers, so vcpu.c offers
 * them to threads_syscall() before the generic table.
 */
#ifndef AIVISOR_THREADS_H
#define AIVISOR_THREADS_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

enum thread_action {
	THREAD_CONTINUE,  /* return *ret to the guest */
	THREAD_EXIT,      /* this guest thread ended; its vCPU parks again */
	THREAD_VM_EXIT,   /* the last thread exited: the VM ends, status *ret */
};

void threads_init(struct vm *vm);

/* Returns true when r->rax is a thread call; then *ret and *action say
 * what to do.  r: the caller's registers at the system call. */
bool threads_syscall(struct vm *vm, unsigned idx, const struct kvm_regs *r, int64_t *ret,
		     enum thread_action *action);

/* Blocks vCPU idx's host thread until a guest thread should run on it:
 * true with its first registers in *r and FS base in *fs (vCPU 0: r
 * untouched), false when the VM is stopping. */
bool threads_park(struct vm *vm, unsigned idx, struct kvm_regs *r, uint64_t *fs);

/* Lets vCPU 0 run (end of vm_wait's start). */
void threads_start_first(struct vm *vm);

/* After THREAD_EXIT: CLONE_CHILD_CLEARTID (store 0, wake one waiter). */
void threads_exited(struct vm *vm, unsigned idx);

/* The VM is stopping: wakes every parked thread and futex waiter. */
void threads_stop(struct vm *vm);

#endif
