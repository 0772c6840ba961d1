/*
 * sys_misc.c - process identity, exit, signals (accepted, never
 * delivered), limits, affinity, randomness, uname, arch_prctl and the
 * aivisor vGPU wait hypercall.
 *
 * The guest is one process with pid 1 and uid/gid 0 inside its own VM;
 * none of this gives it any right on the host.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sched.h>

#include "sys_handlers.h"

#define GUEST_ARCH_SET_FS 0x1002
#define GUEST_SIGSET_SIZE 8
#define GUEST_RLIM_INFINITY (~0ULL)

int64_t sys_exit_group(struct guest *g, const uint64_t *a)
{
	g->exited = true;
	g->exit_status = (int)(a[0] & 0xff);
	return 0;
}

int64_t sys_getpid(struct guest *g, const uint64_t *a) { (void)g; (void)a; return 1; }
int64_t sys_getppid(struct guest *g, const uint64_t *a) { (void)g; (void)a; return 0; }
int64_t sys_getuid(struct guest *g, const uint64_t *a) { (void)g; (void)a; return 0; }
int64_t sys_set_robust_list(struct guest *g, const uint64_t *a) { (void)g; (void)a; return 0; }
int64_t sys_sigaltstack(struct guest *g, const uint64_t *a) { (void)g; (void)a; return 0; }

int64_t sys_sched_yield(struct guest *g, const uint64_t *a)
{
	(void)g;
	(void)a;
	return sched_yield() < 0 ? -errno : 0;
}

int64_t sys_arch_prctl(struct guest *g, const uint64_t *a)
{
	if (a[0] != GUEST_ARCH_SET_FS)
		return -EINVAL;
	/* A non-canonical base would make the next VM entry fail. */
	if (a[1] >= 0x800000000000ULL)
		return -EPERM;
	return g->ops->set_fs_base(g->vcpu, a[1]);
}

int64_t sys_rt_sigaction(struct guest *g, const uint64_t *a)
{
	if (a[0] == 0 || a[0] > 64 || a[3] != GUEST_SIGSET_SIZE)
		return -EINVAL;
	if (a[1] && !guest_mem_user(&g->mem, a[1], 32))
		return -EFAULT;
	if (a[2]) {
		void *old = guest_mem_user(&g->mem, a[2], 32);
		if (!old)
			return -EFAULT;
		memset(old, 0, 32); /* SIG_DFL, no flags, empty mask */
	}
	return 0;
}

int64_t sys_rt_sigprocmask(struct guest *g, const uint64_t *a)
{
	if (a[3] != GUEST_SIGSET_SIZE || a[0] > 2)
		return -EINVAL;
	if (a[1] && !guest_mem_user(&g->mem, a[1], GUEST_SIGSET_SIZE))
		return -EFAULT;
	const uint64_t empty = 0;
	if (a[2] && guest_mem_put(&g->mem, a[2], &empty, sizeof(empty)))
		return -EFAULT;
	return 0;
}

static int64_t put_rlimit(struct guest *g, uint64_t res, uint64_t gva)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (!gva)
		return 0;
	uint64_t v = GUEST_RLIM_INFINITY;
	if (res == RLIMIT_STACK)
		v = g->stack_size;
	else if (res == RLIMIT_NOFILE)
		v = FD_TABLE_MAX;
	else if (res == RLIMIT_AS || res == RLIMIT_DATA)
		v = g->mem.ram.size;
	const uint64_t lim[2] = { v, v };
	return guest_mem_put(&g->mem, gva, lim, sizeof(lim));
}

int64_t sys_getrlimit(struct guest *g, const uint64_t *a) { return put_rlimit(g, a[0], a[1]); }

int64_t sys_prlimit64(struct guest *g, const uint64_t *a)
{
	if (a[0] != 0 && a[0] != 1)
		return -ESRCH;
	if (a[2])
		return -EPERM; /* limits are fixed by the VM's configuration */
	return put_rlimit(g, a[1], a[3]);
}

int64_t sys_sched_getaffinity(struct guest *g, const uint64_t *a)
{
	if (a[0] != 0 && a[0] != 1)
		return -ESRCH;
	if (a[1] < sizeof(uint64_t) || a[1] % sizeof(uint64_t))
		return -EINVAL;
	unsigned n = g->nr_vcpus < 64 ? g->nr_vcpus : 64;
	uint64_t mask = n == 64 ? ~0ULL : (1ULL << n) - 1;
	return guest_mem_put(&g->mem, a[2], &mask, sizeof(mask)) ? -EFAULT : (int64_t)sizeof(mask);
}

int64_t sys_getrandom(struct guest *g, const uint64_t *a)
{
	/* Linux returns at most 32 MiB - 1 per call. */
	uint64_t len = a[1] < (32u << 20) - 1 ? a[1] : (32u << 20) - 1;
	void *p = guest_mem_user(&g->mem, a[0], len);
	if (!p)
		return -EFAULT;
	if (a[2] & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	ssize_t n = getrandom(p, len, 0);
	return n < 0 ? -errno : n;
}

int64_t sys_uname(struct guest *g, const uint64_t *a)
{
	char (*u)[65] = guest_mem_user(&g->mem, a[0], 6 * 65);
	if (!u)
		return -EFAULT;
	memset(u, 0, 6 * 65);
	strcpy(u[0], "Linux");
	strncpy(u[1], g->name ? g->name : "aivisor", 64);
	strcpy(u[2], "6.1.0-aivisor");
	strcpy(u[3], "#1 aivisor-vmm");
	strcpy(u[4], "x86_64");
	strcpy(u[5], "(none)");
	return 0;
}

int64_t sys_vgpu_wait(struct guest *g, const uint64_t *a)
{
	if (!g->ops->vgpu_wait)
		return -ENODEV;
	return g->ops->vgpu_wait(g->ops_ctx, a[0]);
}
