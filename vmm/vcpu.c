/*
 * vcpu.c - vCPU threads, the run loop, exit handling and the timeout.
 *
 * Every vCPU and its host thread exist before the run phase (so nothing is
 * created after a sandbox is in place).  vCPU 0 runs the program; the
 * others park until clone() gives them a guest thread (threads.c).
 * System calls of different vCPUs are serialised by guest_lock, except
 * those that only sleep, which would otherwise stall every thread.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "aivisor_guest.h"
#include "boot_x86_64.h"
#include "syscall.h"
#include "threads.h"
#include "vm.h"

#define EXIT_TIMEOUT 124
/* RFLAGS bits a program may set through the r11 it returns with. */
#define USER_RFLAGS 0x3c0fd5ULL
#define KICK_SIGNAL SIGUSR1

static int vm_set_fs_base(void *vcpu, uint64_t base) { return kvm_vcpu_set_fs_base(vcpu, base); }

static int vm_sleep_ns(void *ctx, uint64_t ns)
{
	struct vm *vm = ctx;
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL) };
	if (atomic_load(&vm->stopping))
		return -EINTR;
	int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	return r ? -r : 0;
}

static int vm_vgpu_wait(void *ctx, uint64_t timeout_ns)
{
	struct vm *vm = ctx;
	if (vm->vgpu_complete_fd < 0)
		return -ENODEV;
	uint64_t ms = timeout_ns / 1000000ULL + (timeout_ns % 1000000ULL != 0);
	struct pollfd p = { .fd = vm->vgpu_complete_fd, .events = POLLIN };
	int r = poll(&p, 1, ms > INT32_MAX ? INT32_MAX : (int)ms);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	uint64_t v;
	if (read(vm->vgpu_complete_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

const struct guest_ops vm_guest_ops = {
	.set_fs_base = vm_set_fs_base,
	.sleep_ns = vm_sleep_ns,
	.vgpu_wait = vm_vgpu_wait,
};

/* Calls that may sleep run without guest_lock. */
static bool only_sleeps(uint64_t nr)
{
	return nr == SYS_nanosleep || nr == SYS_clock_nanosleep || nr == SYS_sched_yield ||
	       nr == AIVISOR_SYS_VGPU_WAIT;
}

enum { SYSCALL_CONTINUE, SYSCALL_VM_EXIT, SYSCALL_THREAD_EXIT, SYSCALL_ERROR };

/* One system call of vCPU idx.  *status: the exit status on SYSCALL_VM_EXIT. */
static int handle_syscall(struct vm *vm, unsigned idx, int *status)
{
	struct kvm_vcpu *c = &vm->vcpus[idx];
	struct kvm_regs r;
	if (kvm_vcpu_get_regs(&vm->kvm, c, &r) < 0) {
		fprintf(stderr, "aivisor-vmm: KVM_GET_REGS: %s\n", strerror(errno));
		return SYSCALL_ERROR;
	}
	if (r.rip != HC_SYSCALL_RIP)
		return SYSCALL_CONTINUE; /* a stray `out` from the program: ignored */
	int64_t ret;
	enum thread_action act;
	if (threads_syscall(vm, idx, &r, &ret, &act)) {
		if (act != THREAD_CONTINUE) {
			*status = (int)ret;
			return act == THREAD_EXIT ? SYSCALL_THREAD_EXIT : SYSCALL_VM_EXIT;
		}
	} else {
		struct syscall_args a = { r.rax, { r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9 } };
		bool lock = !only_sleeps(r.rax);
		if (lock) {
			pthread_mutex_lock(&vm->guest_lock);
			vm->guest.vcpu = c;
		}
		ret = syscall_dispatch(&vm->guest, &a);
		bool exited = vm->guest.exited;
		*status = vm->guest.exit_status;
		if (lock)
			pthread_mutex_unlock(&vm->guest_lock);
		if (exited)
			return SYSCALL_VM_EXIT;
	}
	r.rax = (uint64_t)ret;
	if (vm->syscall_cpl == 3) {
		r.rip = r.rcx;
		r.rflags = (r.r11 & USER_RFLAGS) | 0x2;
	}
	if (kvm_vcpu_put_regs(&vm->kvm, c, &r) < 0) {
		fprintf(stderr, "aivisor-vmm: KVM_SET_REGS: %s\n", strerror(errno));
		return SYSCALL_ERROR;
	}
	return SYSCALL_CONTINUE;
}

/* An exception stub reported a fault: print it, return 128+signal. */
static int handle_fault(struct vm *vm, struct kvm_vcpu *c, int *code)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (kvm_vcpu_get_regs(&vm->kvm, c, &r) < 0 || ioctl(c->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(stderr, "aivisor-vmm: reading registers after a guest fault: %s\n", strerror(errno));
		*code = 1;
		return 1;
	}
	if (r.rip < BOOT_FAULT_STUBS || r.rip >= BOOT_FAULT_STUBS + 32 * FAULT_STUB_SIZE)
		return 0; /* not from a stub: a stray `out`, ignored */
	const void *frame = guest_mem_ptr(&vm->guest.mem, r.rsp, 7 * 8);
	uint64_t f[7];
	if (!frame) {
		fprintf(stderr, "aivisor-vmm: guest fault with a corrupt exception frame\n");
		*code = 128 + SIGSEGV;
		return 1;
	}
	memcpy(f, frame, sizeof(f)); /* vector, error, rip, cs, rflags, rsp, ss */
	unsigned vec = (unsigned)f[0];
	char addr[40] = "";
	if (vec == 14)
		snprintf(addr, sizeof(addr), " addr=0x%llx", (unsigned long long)s.cr2);
	fprintf(stderr, "aivisor-vmm: guest fault: %s at rip=0x%llx%s err=0x%llx\n", boot_vector_name(vec),
		(unsigned long long)f[2], addr, (unsigned long long)f[1]);
	*code = 128 + boot_vector_signal(vec);
	return 1;
}

#define RUN_THREAD_EXIT (-1)

/* Runs vCPU idx until its guest thread ends (RUN_THREAD_EXIT) or the VM
 * must end (the VMM's exit status). */
static int run_loop(struct vm *vm, unsigned idx)
{
	struct kvm_vcpu *c = &vm->vcpus[idx];
	struct kvm_run *run = c->run;
	for (;;) {
		if (atomic_load(&vm->stopping))
			return EXIT_TIMEOUT;
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "aivisor-vmm: KVM_RUN: %s\n", strerror(errno));
			return 1;
		}
		int code = 0, r;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == HC_PORT_SYSCALL) {
				r = handle_syscall(vm, idx, &code);
				if (r == SYSCALL_ERROR)
					return 1;
				if (r == SYSCALL_VM_EXIT)
					return code;
				if (r == SYSCALL_THREAD_EXIT)
					return RUN_THREAD_EXIT;
			} else if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == HC_PORT_FAULT) {
				if (handle_fault(vm, c, &code))
					return code;
			} else if (run->io.direction == KVM_EXIT_IO_IN) {
				/* No devices: reads of any port see all ones. */
				memset((uint8_t *)run + run->io.data_offset, 0xff,
				       (size_t)run->io.size * run->io.count);
			}
			break;
		case KVM_EXIT_MMIO:
			/* Only the doorbell page is mapped without memory; accesses
			 * KVM_IOEVENTFD does not catch read zero and are dropped. */
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
			break;
		case KVM_EXIT_SHUTDOWN:
			fprintf(stderr, "aivisor-vmm: guest fault: triple fault (VM shut down)\n");
			return 128 + SIGSEGV;
		case KVM_EXIT_HLT:
			fprintf(stderr, "aivisor-vmm: guest halted\n");
			return 128 + SIGSEGV;
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, "aivisor-vmm: VM entry failed (reason 0x%llx)\n",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			return 128 + SIGSEGV;
		case KVM_EXIT_INTERNAL_ERROR:
			fprintf(stderr, "aivisor-vmm: KVM internal error (suberror %u)\n", run->internal.suberror);
			return 128 + SIGSEGV;
		default:
			fprintf(stderr, "aivisor-vmm: unexpected KVM exit %u\n", run->exit_reason);
			return 128 + SIGSEGV;
		}
	}
}

#define DONE_SIGNAL SIGUSR2
static pthread_t main_thread;

/* The first vCPU (or vm_wait) to end the VM sets its exit status. */
static void end_vm(struct vm *vm, int code)
{
	pthread_mutex_lock(&vm->thread_lock);
	bool first = !vm->ended;
	if (first) {
		vm->ended = true;
		vm->exit_code = code;
	}
	pthread_mutex_unlock(&vm->thread_lock);
	if (first)
		pthread_kill(main_thread, DONE_SIGNAL); /* ends vm_wait's wait */
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_slot *s = arg;
	struct vm *vm = s->vm;
	struct kvm_regs r;
	uint64_t fs;
	while (threads_park(vm, s->idx, &r, &fs)) {
		char err[256];
		if (s->idx != 0 && kvm_vcpu_setup_thread(&vm->kvm, &vm->vcpus[s->idx], &r, fs, err, sizeof(err))) {
			fprintf(stderr, "aivisor-vmm: vCPU %u: %s\n", s->idx, err);
			end_vm(vm, 1);
			return NULL;
		}
		int code = run_loop(vm, s->idx);
		if (code != RUN_THREAD_EXIT) {
			end_vm(vm, code);
			return NULL;
		}
		threads_exited(vm, s->idx);
	}
	return NULL;
}

static void on_kick(int sig) { (void)sig; }

/* Stops every vCPU thread: the stop flag wakes parked and waiting ones,
 * immediate_exit and a signal get the others out of KVM_RUN or a sleep. */
static void stop_vcpus(struct vm *vm, unsigned nthreads)
{
	threads_stop(vm);
	for (unsigned i = 0; i < nthreads; i++) {
		vm->vcpus[i].run->immediate_exit = 1;
		pthread_kill(vm->threads[i], KICK_SIGNAL);
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(vm->threads[i], NULL);
}

/* Waits for one of `set` (blocked in every thread) or the deadline
 * (timeout_s 0: none).  Returns the signal, or 0 at the deadline. */
static int wait_for_end(const sigset_t *set, unsigned timeout_s)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_s;
	for (;;) {
		int sig;
		if (!timeout_s) {
			sig = sigwaitinfo(set, NULL);
		} else {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			int64_t left = (int64_t)(end.tv_sec - now.tv_sec) * 1000000000LL + (end.tv_nsec - now.tv_nsec);
			if (left <= 0)
				return 0;
			struct timespec ts = { .tv_sec = left / 1000000000LL, .tv_nsec = left % 1000000000LL };
			sig = sigtimedwait(set, NULL, &ts);
			if (sig < 0 && errno == EAGAIN)
				return 0;
		}
		if (sig > 0)
			return sig;
	}
}

int vm_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = on_kick }; /* no SA_RESTART: interrupt KVM_RUN and sleeps */
	sigemptyset(&sa.sa_mask);
	/* A closed stdout gives the program EPIPE, as signals are never
	 * delivered to it; the VMM itself must live on to clean up. */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, DONE_SIGNAL);
	vm->wait_set = set;
	if (sigaction(KICK_SIGNAL, &sa, NULL) < 0 || sigaction(SIGPIPE, &ign, NULL) < 0 ||
	    pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		fprintf(stderr, "aivisor-vmm: setting up signals: %s\n", strerror(errno));
		return 1;
	}
	main_thread = pthread_self();
	threads_init(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		int e = pthread_create(&vm->threads[i], NULL, vcpu_thread, &vm->slots[i]);
		if (e) {
			fprintf(stderr, "aivisor-vmm: cannot start vCPU thread %u: %s\n", i, strerror(e));
			stop_vcpus(vm, i);
			return 1;
		}
	}
	return 0;
}

int vm_wait(struct vm *vm, unsigned timeout_s)
{
	threads_start_first(vm);
	int sig = wait_for_end(&vm->wait_set, timeout_s);
	if (sig != DONE_SIGNAL) {
		pthread_mutex_lock(&vm->thread_lock);
		bool first = !vm->ended;
		if (first) {
			vm->ended = true;
			vm->exit_code = sig == 0 ? EXIT_TIMEOUT : 128 + sig;
		}
		pthread_mutex_unlock(&vm->thread_lock);
		if (first && sig == 0)
			fprintf(stderr, "aivisor-vmm: guest stopped after --timeout %u s\n", timeout_s);
		else if (first)
			fprintf(stderr, "aivisor-vmm: guest stopped by %s\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	}
	stop_vcpus(vm, vm->nr_vcpus);
	return vm->exit_code;
}
