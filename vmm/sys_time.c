/*
 * sys_time.c - clocks and sleeping.
 *
 * Clocks are the host's.  CPU-time clocks report the vCPU thread's time,
 * which is the guest program's.  Sleeping goes through ops->sleep_ns so a
 * VM being stopped (--timeout) interrupts it and so the fuzzer never
 * sleeps.
 */
#include <errno.h>
#include <time.h>

#include "sys_handlers.h"

struct guest_timespec {
	int64_t sec, nsec;
};
struct guest_timeval {
	int64_t sec, usec;
};

#define NSEC 1000000000LL

static int host_clock(uint64_t clk, clockid_t *out)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		*out = (clockid_t)clk;
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		*out = CLOCK_THREAD_CPUTIME_ID;
		return 0;
	default:
		return -EINVAL;
	}
}

static int64_t put_time(struct guest *g, uint64_t clk, uint64_t gva, bool res)
{
	clockid_t c;
	if (host_clock(clk, &c))
		return -EINVAL;
	struct timespec ts;
	if ((res ? clock_getres(c, &ts) : clock_gettime(c, &ts)) < 0)
		return -errno;
	if (gva == 0 && res)
		return 0;
	struct guest_timespec t = { ts.tv_sec, ts.tv_nsec };
	return guest_mem_put(&g->mem, gva, &t, sizeof(t));
}

int64_t sys_clock_gettime(struct guest *g, const uint64_t *a) { return put_time(g, a[0], a[1], false); }
int64_t sys_clock_getres(struct guest *g, const uint64_t *a) { return put_time(g, a[0], a[1], true); }

int64_t sys_gettimeofday(struct guest *g, const uint64_t *a)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct guest_timeval tv = { ts.tv_sec, ts.tv_nsec / 1000 };
	if (a[0] && guest_mem_put(&g->mem, a[0], &tv, sizeof(tv)))
		return -EFAULT;
	const int32_t utc[2] = { 0, 0 };
	if (a[1] && guest_mem_put(&g->mem, a[1], utc, sizeof(utc)))
		return -EFAULT;
	return 0;
}

int64_t sys_time(struct guest *g, const uint64_t *a)
{
	int64_t t = time(NULL);
	if (a[0] && guest_mem_put(&g->mem, a[0], &t, sizeof(t)))
		return -EFAULT;
	return t;
}

/* Reads and validates a guest timespec into nanoseconds (saturating). */
static int64_t get_duration(struct guest *g, uint64_t gva, uint64_t *ns)
{
	struct guest_timespec t;
	if (guest_mem_get(&g->mem, gva, &t, sizeof(t)))
		return -EFAULT;
	if (t.sec < 0 || t.nsec < 0 || t.nsec >= NSEC)
		return -EINVAL;
	*ns = (uint64_t)t.sec > (UINT64_MAX - (uint64_t)t.nsec) / NSEC ? UINT64_MAX
		: (uint64_t)t.sec * NSEC + (uint64_t)t.nsec;
	return 0;
}

static int64_t do_sleep(struct guest *g, uint64_t ns, uint64_t rem_gva)
{
	int r = g->ops->sleep_ns(g->ops_ctx, ns);
	const struct guest_timespec none = { 0, 0 };
	if (r == -EINTR && rem_gva && guest_mem_put(&g->mem, rem_gva, &none, sizeof(none)))
		return -EFAULT;
	return r;
}

int64_t sys_nanosleep(struct guest *g, const uint64_t *a)
{
	uint64_t ns;
	int64_t r = get_duration(g, a[0], &ns);
	return r ? r : do_sleep(g, ns, a[1]);
}

int64_t sys_clock_nanosleep(struct guest *g, const uint64_t *a)
{
	clockid_t c;
	if (host_clock(a[0], &c) || c == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	uint64_t ns;
	int64_t r = get_duration(g, a[2], &ns);
	if (r)
		return r;
	if (a[1] & TIMER_ABSTIME) {
		struct timespec now;
		clock_gettime(c, &now);
		uint64_t now_ns = (uint64_t)now.tv_sec * NSEC + (uint64_t)now.tv_nsec;
		ns = ns > now_ns ? ns - now_ns : 0;
		return do_sleep(g, ns, 0);
	}
	return do_sleep(g, ns, a[3]);
}
