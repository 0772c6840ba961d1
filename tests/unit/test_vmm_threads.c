/* Unit tests: threads.c's futexes and clone/exit bookkeeping, on a struct
 * vm whose guest memory is a plain buffer (no KVM is touched: clones here
 * always pass CLONE_SETTLS, and no vCPU thread is started). */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <cmocka.h>

#include "threads.h"
#include "vm.h"

#define RAM (8ULL << 20)
#define A 0x300000ULL /* futex words in user memory */
#define B 0x300040ULL
#define TS 0x300100ULL

static struct vm vm;
static uint8_t *ram;

static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	ram = aligned_alloc(4096, RAM);
	memset(ram, 0, RAM);
	vm.guest.mem.ram = (struct guest_region){ .start = 0, .size = RAM, .host = ram };
	vm.nr_vcpus = 4;
	threads_init(&vm);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static int64_t call(unsigned idx, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		    uint64_t a4, uint64_t a5, enum thread_action *act)
{
	struct kvm_regs r = { .rax = nr, .rdi = a0, .rsi = a1, .rdx = a2, .r10 = a3, .r8 = a4, .r9 = a5,
			      .rcx = 0x401000, .r11 = 0x202 };
	int64_t ret = 0;
	enum thread_action dummy;
	assert_true(threads_syscall(&vm, idx, &r, &ret, act ? act : &dummy));
	return ret;
}

static uint32_t *word(gpa_t a) { return (uint32_t *)(ram + a); }

struct waiter {
	unsigned idx;
	gpa_t addr;
	int64_t ret;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	w->ret = call(w->idx, SYS_futex, w->addr, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0, NULL);
	return NULL;
}

/* Until n waiters sleep on addr (their slots say so). */
static void until_waiting(gpa_t addr, int n)
{
	for (;;) {
		int k = 0;
		pthread_mutex_lock(&vm.thread_lock);
		for (unsigned i = 0; i < vm.nr_vcpus; i++)
			k += vm.slots[i].futex == addr && !vm.slots[i].woken;
		pthread_mutex_unlock(&vm.thread_lock);
		if (k >= n)
			return;
		sched_yield();
	}
}

static void test_futex_value_and_args(void **state)
{
	(void)state;
	*word(A) = 5;
	assert_int_equal(call(0, SYS_futex, A, FUTEX_WAIT, 4, 0, 0, 0, NULL), -EAGAIN);
	assert_int_equal(call(0, SYS_futex, A + 1, FUTEX_WAIT, 5, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(call(0, SYS_futex, 0x1000, FUTEX_WAIT, 0, 0, 0, 0, NULL), -EFAULT);
	assert_int_equal(call(0, SYS_futex, RAM, FUTEX_WAKE, 1, 0, 0, 0, NULL), -EFAULT);
	assert_int_equal(call(0, SYS_futex, A, FUTEX_LOCK_PI, 0, 0, 0, 0, NULL), -ENOSYS);
	assert_int_equal(call(0, SYS_futex, A, FUTEX_WAKE, 10, 0, 0, 0, NULL), 0); /* nobody waits */
}

static void test_futex_timeout(void **state)
{
	(void)state;
	*word(A) = 0;
	int64_t ts[2] = { 0, 20000000 };
	memcpy(ram + TS, ts, sizeof(ts));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(call(0, SYS_futex, A, FUTEX_WAIT, 0, TS, 0, 0, NULL), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 19 && ms < 2000);
	ts[1] = 1000000000; /* invalid nanoseconds */
	memcpy(ram + TS, ts, sizeof(ts));
	assert_int_equal(call(0, SYS_futex, A, FUTEX_WAIT, 0, TS, 0, 0, NULL), -EINVAL);
	assert_int_equal(call(0, SYS_futex, A, FUTEX_WAIT, 0, 0x2000, 0, 0, NULL), -EFAULT);
	/* An absolute deadline in the past (WAIT_BITSET) times out at once. */
	ts[0] = 1;
	ts[1] = 0;
	memcpy(ram + TS, ts, sizeof(ts));
	assert_int_equal(call(0, SYS_futex, A, FUTEX_WAIT_BITSET, 0, TS, 0, ~0u, NULL), -ETIMEDOUT);
}

static void test_futex_wake_and_requeue(void **state)
{
	(void)state;
	*word(A) = 0;
	struct waiter w1 = { 1, A, 99 }, w2 = { 2, A, 99 };
	pthread_t t1, t2;
	pthread_create(&t1, NULL, wait_thread, &w1);
	pthread_create(&t2, NULL, wait_thread, &w2);
	until_waiting(A, 2);
	/* CMP_REQUEUE with the wrong expected value does nothing. */
	assert_int_equal(call(0, SYS_futex, A, FUTEX_CMP_REQUEUE, 1, 1, B, 7, NULL), -EAGAIN);
	/* Wake one, move the other to B. */
	assert_int_equal(call(0, SYS_futex, A, FUTEX_CMP_REQUEUE, 1, 1, B, 0, NULL), 1);
	until_waiting(B, 1);
	assert_int_equal(call(0, SYS_futex, A, FUTEX_WAKE, 10, 0, 0, 0, NULL), 0);
	assert_int_equal(call(0, SYS_futex, B, FUTEX_WAKE, 10, 0, 0, 0, NULL), 1);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(w1.ret, 0);
	assert_int_equal(w2.ret, 0);
}

static void test_stop_wakes_waiters(void **state)
{
	(void)state;
	*word(A) = 0;
	struct waiter w = { 3, A, 99 };
	pthread_t t;
	pthread_create(&t, NULL, wait_thread, &w);
	until_waiting(A, 1);
	threads_stop(&vm);
	pthread_join(t, NULL);
	assert_int_equal(w.ret, -EINTR);
}

static void test_clone_and_exit(void **state)
{
	(void)state;
	const uint64_t f = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
			   CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	enum thread_action act;
	assert_int_equal(call(0, SYS_clone, 0x11 /* fork-like */, 0, 0, 0, 0, 0, NULL), -ENOSYS);
	assert_int_equal(call(0, SYS_clone, CLONE_VM, 0x400000, 0, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(call(0, SYS_clone, f, 0x1000, A, B, 0x500000, 0, NULL), -EFAULT); /* stack */
	assert_int_equal(call(0, SYS_clone, f, 0x400000, 0x1000, B, 0x500000, 0, NULL), -EFAULT); /* ptid */
	assert_int_equal(call(0, SYS_clone, f, 0x400000, A, B, 1ULL << 60, 0, NULL), -EPERM); /* tls */
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(call(0, SYS_clone, f, 0x400000, A, B, 0x500000, 0, NULL), i + 1);
		assert_int_equal(*word(A), i + 1); /* CLONE_PARENT_SETTID */
		struct vcpu_slot *s = &vm.slots[i];
		assert_true(s->start);
		assert_int_equal(s->regs.rax, 0);
		assert_int_equal(s->regs.rsp, 0x400000);
		assert_int_equal(s->regs.rip, 0x401000); /* the parent's rcx */
		assert_int_equal(s->fs_base, 0x500000);
		assert_int_equal(s->clear_tid, B);
	}
	assert_int_equal(call(0, SYS_clone, f, 0x400000, A, B, 0x500000, 0, NULL), -EAGAIN); /* all used */
	assert_int_equal(vm.running, 4);
	/* A thread's exit; CLEARTID stores 0 and frees the vCPU. */
	*word(B) = 4;
	assert_int_equal(call(3, SYS_exit, 7, 0, 0, 0, 0, 0, &act), 7);
	assert_int_equal(act, THREAD_EXIT);
	vm.slots[3].running = true; /* as threads_park would have set */
	vm.slots[3].start = false;
	threads_exited(&vm, 3);
	assert_int_equal(*word(B), 0);
	assert_int_equal(call(0, SYS_clone, f, 0x400000, A, B, 0x500000, 0, NULL), 4);
	assert_int_equal(call(2, SYS_gettid, 0, 0, 0, 0, 0, 0, NULL), 3);
	assert_int_equal(call(2, SYS_set_tid_address, A, 0, 0, 0, 0, 0, NULL), 3);
	/* Exits until the last one ends the VM with its status. */
	vm.running = 2;
	assert_int_equal(call(1, SYS_exit, 1, 0, 0, 0, 0, 0, &act), 1);
	assert_int_equal(act, THREAD_EXIT);
	assert_int_equal(call(0, SYS_exit, 0x105, 0, 0, 0, 0, 0, &act), 5);
	assert_int_equal(act, THREAD_VM_EXIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_futex_value_and_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_futex_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_futex_wake_and_requeue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_wakes_waiters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_and_exit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
