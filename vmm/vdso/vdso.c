/*
 * vdso.c - the guest's vDSO: clock_gettime, gettimeofday and time computed
 * from the VMM's time page and rdtsc, without leaving the guest.
 *
 * Built with musl-gcc -shared -nostdlib into one PT_LOAD (vdso.lds) that
 * the VMM copies to a fixed guest address and names in AT_SYSINFO_EHDR.
 * Clocks it does not know return -ENOSYS; musl then makes the system call.
 */
#include <stdint.h>

#include "vdso_time.h"

#define ENOSYS 38
#define NSEC 1000000000LL

struct vdso_timespec {
	int64_t sec, nsec;
};
struct vdso_timeval {
	int64_t sec, usec;
};

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Nanoseconds of the clock, or -1 for clocks answered by the VMM. */
static int64_t now_ns(int clk)
{
	const volatile struct vdso_time *t = (const volatile struct vdso_time *)VDSO_TIME_PAGE_ADDR;
	uint32_t seq;
	int64_t ns;
	do {
		seq = t->seq;
		__asm__ volatile("" ::: "memory");
		if (!t->valid)
			return -1;
		uint64_t d = rdtsc() - t->tsc_base;
		int64_t off = (int64_t)(((unsigned __int128)d * t->mult) >> VDSO_TIME_SHIFT);
		switch (clk) {
		case 0: /* CLOCK_REALTIME */
		case 5: /* CLOCK_REALTIME_COARSE */
			ns = t->real_ns + off;
			break;
		case 1: /* CLOCK_MONOTONIC */
		case 4: /* CLOCK_MONOTONIC_RAW */
		case 6: /* CLOCK_MONOTONIC_COARSE */
		case 7: /* CLOCK_BOOTTIME */
			ns = t->mono_ns + off;
			break;
		default:
			return -1;
		}
		__asm__ volatile("" ::: "memory");
	} while ((seq & 1) || seq != t->seq);
	return ns;
}

int __vdso_clock_gettime(int clk, struct vdso_timespec *ts)
{
	int64_t ns = now_ns(clk);
	if (ns < 0)
		return -ENOSYS;
	ts->sec = ns / NSEC;
	ts->nsec = ns % NSEC;
	return 0;
}

int __vdso_gettimeofday(struct vdso_timeval *tv, void *tz)
{
	int64_t ns = now_ns(0);
	if (ns < 0 || tz)
		return -ENOSYS;
	if (tv) {
		tv->sec = ns / NSEC;
		tv->usec = ns % NSEC / 1000;
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	int64_t ns = now_ns(0);
	if (ns < 0)
		return -ENOSYS;
	if (t)
		*t = ns / NSEC;
	return ns / NSEC;
}
