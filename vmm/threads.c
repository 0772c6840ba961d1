/*
 * threads.c - clone, futex and friends for guest threads.
 *
 * One mutex (vm->thread_lock) guards the vCPU slots and the futex waiters;
 * each slot has a condition variable its host thread sleeps on, parked or
 * in FUTEX_WAIT.  Futexes are matched by guest address (all guest threads
 * share one address space); with at most 64 vCPUs a linear scan is enough.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "threads.h"
#include "vm.h"

/* RFLAGS bits a program may set through the r11 it returns with. */
#define USER_RFLAGS 0x3c0fd5ULL
/* What musl's and glibc's pthread_create pass; CLONE_DETACHED is ignored
 * by Linux too.  Anything else (fork, vfork, new namespaces) is refused. */
#define THREAD_FLAGS_NEEDED (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define THREAD_FLAGS_ALLOWED (THREAD_FLAGS_NEEDED | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
			      CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED)

void threads_init(struct vm *vm)
{
	pthread_mutex_init(&vm->thread_lock, NULL);
	pthread_mutex_init(&vm->guest_lock, NULL);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		vm->slots[i] = (struct vcpu_slot){ .vm = vm, .idx = i, .running = i == 0 };
		pthread_condattr_t a;
		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		pthread_cond_init(&vm->slots[i].cond, &a);
		pthread_condattr_destroy(&a);
	}
	vm->running = 1;
}

static int put_tid(struct vm *vm, gpa_t addr, uint32_t tid)
{
	return guest_mem_put(&vm->guest.mem, addr, &tid, sizeof(tid));
}

static int64_t do_clone(struct vm *vm, unsigned idx, const struct kvm_regs *r)
{
	uint64_t flags = r->rdi, newsp = r->rsi, ptid = r->rdx, ctid = r->r10, tls = r->r8;
	if (!(flags & CLONE_VM))
		return -ENOSYS; /* fork: one address space per VM */
	if ((flags & THREAD_FLAGS_NEEDED) != THREAD_FLAGS_NEEDED || (flags & ~(uint64_t)THREAD_FLAGS_ALLOWED & ~0xffULL))
		return -EINVAL;
	if (newsp < 8 || !guest_mem_user(&vm->guest.mem, newsp - 8, 8))
		return -EFAULT;
	if ((flags & CLONE_SETTLS) && tls >= 0x800000000000ULL)
		return -EPERM;
	uint64_t fs = tls;
	if (!(flags & CLONE_SETTLS) && kvm_vcpu_get_fs_base(&vm->vcpus[idx], &fs) < 0)
		return -EAGAIN;
	pthread_mutex_lock(&vm->thread_lock);
	unsigned i = 1;
	while (i < vm->nr_vcpus && (vm->slots[i].running || vm->slots[i].start))
		i++;
	if (i == vm->nr_vcpus) {
		pthread_mutex_unlock(&vm->thread_lock);
		return -EAGAIN; /* every vCPU has a thread: --vcpus bounds them */
	}
	uint32_t tid = i + 1;
	if (((flags & CLONE_PARENT_SETTID) && put_tid(vm, ptid, tid)) ||
	    ((flags & CLONE_CHILD_SETTID) && put_tid(vm, ctid, tid))) {
		pthread_mutex_unlock(&vm->thread_lock);
		return -EFAULT;
	}
	struct vcpu_slot *s = &vm->slots[i];
	/* The child resumes after its `syscall` with rax 0 on its own stack,
	 * at CPL3 whatever the host (the stub is not involved). */
	s->regs = *r;
	s->regs.rax = 0;
	s->regs.rsp = newsp;
	s->regs.rip = r->rcx;
	s->regs.rflags = (r->r11 & USER_RFLAGS) | 0x2;
	s->fs_base = fs;
	s->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
	s->start = true;
	vm->running++;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&vm->thread_lock);
	return tid;
}

/* Deadline for FUTEX_WAIT (relative timespec) or FUTEX_WAIT_BITSET
 * (absolute, CLOCK_MONOTONIC or, with FUTEX_CLOCK_REALTIME, realtime). */
static int futex_deadline(struct vm *vm, uint64_t gva, int op, struct timespec *end, bool *has)
{
	*has = gva != 0;
	if (!gva)
		return 0;
	int64_t t[2];
	if (guest_mem_get(&vm->guest.mem, gva, t, sizeof(t)))
		return -EFAULT;
	if (t[0] < 0 || t[1] < 0 || t[1] >= 1000000000)
		return -EINVAL;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET) {
		if (op & FUTEX_CLOCK_REALTIME) { /* convert to the monotonic clock */
			struct timespec real;
			clock_gettime(CLOCK_REALTIME, &real);
			t[0] -= real.tv_sec - now.tv_sec;
			t[1] -= real.tv_nsec - now.tv_nsec;
		}
		now.tv_sec = now.tv_nsec = 0;
	}
	int64_t sec = now.tv_sec + (t[0] > INT32_MAX ? INT32_MAX : t[0]);
	int64_t nsec = now.tv_nsec + t[1];
	while (nsec >= 1000000000) {
		nsec -= 1000000000;
		sec++;
	}
	while (nsec < 0) {
		nsec += 1000000000;
		sec--;
	}
	end->tv_sec = sec;
	end->tv_nsec = nsec;
	return 0;
}

static int64_t futex_wait(struct vm *vm, unsigned idx, gpa_t addr, uint32_t val, uint64_t ts, int op)
{
	struct timespec end;
	bool timed;
	int e = futex_deadline(vm, ts, op, &end, &timed);
	if (e)
		return e;
	struct vcpu_slot *s = &vm->slots[idx];
	pthread_mutex_lock(&vm->thread_lock);
	uint32_t cur;
	if (guest_mem_get(&vm->guest.mem, addr, &cur, sizeof(cur))) {
		pthread_mutex_unlock(&vm->thread_lock);
		return -EFAULT;
	}
	if (cur != val) {
		pthread_mutex_unlock(&vm->thread_lock);
		return -EAGAIN;
	}
	s->futex = addr;
	s->woken = false;
	int rc = 0;
	while (!s->woken && !atomic_load(&vm->stopping) && rc != ETIMEDOUT)
		rc = timed ? pthread_cond_timedwait(&s->cond, &vm->thread_lock, &end)
			   : pthread_cond_wait(&s->cond, &vm->thread_lock);
	int64_t r = s->woken ? 0 : atomic_load(&vm->stopping) ? -EINTR : -ETIMEDOUT;
	s->futex = 0;
	pthread_mutex_unlock(&vm->thread_lock);
	return r;
}

/* Wakes up to n waiters on addr, then moves up to requeue others to addr2.
 * Called with thread_lock held. */
static int64_t futex_wake_locked(struct vm *vm, gpa_t addr, uint64_t n, gpa_t addr2, uint64_t requeue)
{
	int64_t woken = 0;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu_slot *s = &vm->slots[i];
		if (s->futex != addr || s->woken)
			continue;
		if ((uint64_t)woken < n) {
			s->woken = true;
			pthread_cond_signal(&s->cond);
			woken++;
		} else if (requeue) {
			s->futex = addr2;
			requeue--;
		}
	}
	return woken;
}

static int64_t do_futex(struct vm *vm, unsigned idx, const struct kvm_regs *r)
{
	gpa_t addr = r->rdi, addr2 = r->r8;
	int op = (int)r->rsi;
	uint64_t val = (uint32_t)r->rdx, arg = r->r10;
	if (addr % 4 || !guest_mem_user(&vm->guest.mem, addr, 4))
		return addr % 4 ? -EINVAL : -EFAULT;
	int64_t woken;
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		return futex_wait(vm, idx, addr, (uint32_t)val, arg, op);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		pthread_mutex_lock(&vm->thread_lock);
		woken = futex_wake_locked(vm, addr, val, 0, 0);
		pthread_mutex_unlock(&vm->thread_lock);
		return woken;
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		if (addr2 % 4 || !guest_mem_user(&vm->guest.mem, addr2, 4))
			return addr2 % 4 ? -EINVAL : -EFAULT;
		pthread_mutex_lock(&vm->thread_lock);
		uint32_t cur;
		if ((op & FUTEX_CMD_MASK) == FUTEX_CMP_REQUEUE &&
		    (guest_mem_get(&vm->guest.mem, addr, &cur, 4) || cur != (uint32_t)r->r9)) {
			pthread_mutex_unlock(&vm->thread_lock);
			return -EAGAIN;
		}
		woken = futex_wake_locked(vm, addr, val, addr2, arg);
		pthread_mutex_unlock(&vm->thread_lock);
		return woken;
	default:
		return -ENOSYS;
	}
}

bool threads_syscall(struct vm *vm, unsigned idx, const struct kvm_regs *r, int64_t *ret,
		     enum thread_action *action)
{
	*action = THREAD_CONTINUE;
	switch (r->rax) {
	case SYS_clone:
		*ret = do_clone(vm, idx, r);
		return true;
	case SYS_futex:
		*ret = do_futex(vm, idx, r);
		return true;
	case SYS_gettid:
		*ret = idx + 1;
		return true;
	case SYS_set_tid_address:
		pthread_mutex_lock(&vm->thread_lock);
		vm->slots[idx].clear_tid = r->rdi;
		pthread_mutex_unlock(&vm->thread_lock);
		*ret = idx + 1;
		return true;
	case SYS_exit:
		pthread_mutex_lock(&vm->thread_lock);
		bool last = vm->running == 1;
		if (!last)
			vm->running--;
		pthread_mutex_unlock(&vm->thread_lock);
		*ret = (int64_t)(r->rdi & 0xff);
		*action = last ? THREAD_VM_EXIT : THREAD_EXIT;
		return true;
	default:
		return false;
	}
}

void threads_exited(struct vm *vm, unsigned idx)
{
	pthread_mutex_lock(&vm->thread_lock);
	struct vcpu_slot *s = &vm->slots[idx];
	/* Linux: store 0 at the clear-tid address and wake one waiter
	 * (pthread_join).  A bad address is the guest's problem only. */
	if (s->clear_tid && put_tid(vm, s->clear_tid, 0) == 0)
		futex_wake_locked(vm, s->clear_tid, 1, 0, 0);
	s->clear_tid = 0;
	s->running = false;
	pthread_mutex_unlock(&vm->thread_lock);
}

bool threads_park(struct vm *vm, unsigned idx, struct kvm_regs *r, uint64_t *fs)
{
	struct vcpu_slot *s = &vm->slots[idx];
	pthread_mutex_lock(&vm->thread_lock);
	while (!s->start && !atomic_load(&vm->stopping))
		pthread_cond_wait(&s->cond, &vm->thread_lock);
	bool go = s->start && !atomic_load(&vm->stopping);
	if (go) {
		s->start = false;
		s->running = true;
		*r = s->regs;
		*fs = s->fs_base;
	}
	pthread_mutex_unlock(&vm->thread_lock);
	return go;
}

void threads_start_first(struct vm *vm)
{
	pthread_mutex_lock(&vm->thread_lock);
	vm->slots[0].start = true;
	pthread_cond_signal(&vm->slots[0].cond);
	pthread_mutex_unlock(&vm->thread_lock);
}

void threads_stop(struct vm *vm)
{
	pthread_mutex_lock(&vm->thread_lock);
	atomic_store(&vm->stopping, true);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		pthread_cond_broadcast(&vm->slots[i].cond);
	pthread_mutex_unlock(&vm->thread_lock);
}
