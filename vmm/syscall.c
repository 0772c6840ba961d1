/*
 * syscall.c - the dispatch table: Linux x86-64 syscall number -> handler.
 *
 * Calls about threads (clone, exit, futex, gettid, set_tid_address) need
 * the calling vCPU and are answered by threads.c before this table.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "aivisor_guest.h"
#include "sys_handlers.h"
#include "syscall.h"

struct syscall_desc {
	sys_fn *fn;
	const char *name;
};

#define SYSCALL(nr, f) [nr] = { sys_##f, #f }

static const struct syscall_desc table[] = {
	SYSCALL(SYS_read, read),
	SYSCALL(SYS_write, write),
	SYSCALL(SYS_open, open),
	SYSCALL(SYS_close, close),
	SYSCALL(SYS_stat, stat),
	SYSCALL(SYS_fstat, fstat),
	SYSCALL(SYS_lstat, lstat),
	SYSCALL(SYS_lseek, lseek),
	SYSCALL(SYS_mmap, mmap),
	SYSCALL(SYS_mprotect, mprotect),
	SYSCALL(SYS_munmap, munmap),
	SYSCALL(SYS_brk, brk),
	SYSCALL(SYS_rt_sigaction, rt_sigaction),
	SYSCALL(SYS_rt_sigprocmask, rt_sigprocmask),
	SYSCALL(SYS_ioctl, ioctl),
	SYSCALL(SYS_pread64, pread64),
	SYSCALL(SYS_pwrite64, pwrite64),
	SYSCALL(SYS_readv, readv),
	SYSCALL(SYS_writev, writev),
	SYSCALL(SYS_access, access),
	SYSCALL(SYS_sched_yield, sched_yield),
	SYSCALL(SYS_mremap, mremap),
	SYSCALL(SYS_madvise, madvise),
	SYSCALL(SYS_nanosleep, nanosleep),
	SYSCALL(SYS_getpid, getpid),
	SYSCALL(SYS_uname, uname),
	SYSCALL(SYS_fcntl, fcntl),
	SYSCALL(SYS_getcwd, getcwd),
	SYSCALL(SYS_gettimeofday, gettimeofday),
	SYSCALL(SYS_getrlimit, getrlimit),
	SYSCALL(SYS_getuid, getuid),
	SYSCALL(SYS_getgid, getuid),
	SYSCALL(SYS_geteuid, getuid),
	SYSCALL(SYS_getegid, getuid),
	SYSCALL(SYS_getppid, getppid),
	SYSCALL(SYS_sigaltstack, sigaltstack),
	SYSCALL(SYS_arch_prctl, arch_prctl),
	SYSCALL(SYS_time, time),
	SYSCALL(SYS_sched_getaffinity, sched_getaffinity),
	SYSCALL(SYS_getdents64, getdents64),
	SYSCALL(SYS_clock_gettime, clock_gettime),
	SYSCALL(SYS_clock_getres, clock_getres),
	SYSCALL(SYS_clock_nanosleep, clock_nanosleep),
	SYSCALL(SYS_exit_group, exit_group),
	SYSCALL(SYS_openat, openat),
	SYSCALL(SYS_newfstatat, newfstatat),
	SYSCALL(SYS_faccessat, faccessat),
	SYSCALL(SYS_set_robust_list, set_robust_list),
	SYSCALL(SYS_prlimit64, prlimit64),
	SYSCALL(SYS_getrandom, getrandom),
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

const char *syscall_name(uint64_t nr)
{
	return nr < TABLE_LEN ? table[nr].name : NULL;
}

/* Logs an unimplemented number once (debug only): programs probe for
 * optional calls and a log line per probe would be noise. */
static void note_unknown(struct guest *g, uint64_t nr)
{
	if (!g->debug)
		return;
	uint64_t bit = nr < 64 * 8 ? nr : 64 * 8 - 1;
	if (g->warned[bit / 64] & (1ULL << (bit % 64)))
		return;
	g->warned[bit / 64] |= 1ULL << (bit % 64);
	fprintf(stderr, "aivisor-vmm: debug: unimplemented syscall %llu -> ENOSYS\n",
		(unsigned long long)nr);
}

int64_t syscall_dispatch(struct guest *g, const struct syscall_args *args)
{
	if (args->nr < TABLE_LEN && table[args->nr].fn)
		return table[args->nr].fn(g, args->a);
	if (args->nr == AIVISOR_SYS_VGPU_WAIT)
		return sys_vgpu_wait(g, args->a);
#ifdef AIVISOR_BUG_INJECTION
	/* Test builds only (tests/tests.mk): a VMM bug a guest can reach that
	 * makes a host system call outside the seccomp allowlist.  The
	 * filter must stop this VMM, and only this VMM. */
	if (args->nr == AIVISOR_SYS_BASE + 0xff)
		return syscall(SYS_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
#endif
	note_unknown(g, args->nr);
	return -ENOSYS;
}
