/*
 * sys_handlers.h - handler prototypes shared by syscall.c (the table) and
 * the sys_*.c groups.  Each takes the guest and the six raw arguments and
 * returns a Linux result (>= 0, or -errno).
 */
#ifndef AIVISOR_SYS_HANDLERS_H
#define AIVISOR_SYS_HANDLERS_H

#include <stdint.h>

#include "vmm_guest.h"

typedef int64_t sys_fn(struct guest *g, const uint64_t *a);

/* sys_io.c */
sys_fn sys_read, sys_write, sys_readv, sys_writev, sys_pread64, sys_pwrite64, sys_lseek,
	sys_close, sys_ioctl, sys_fcntl;
/* sys_fs.c */
sys_fn sys_open, sys_openat, sys_fstat, sys_newfstatat, sys_stat, sys_lstat, sys_access,
	sys_faccessat, sys_getcwd, sys_getdents64;
/* sys_mem.c */
sys_fn sys_brk, sys_mmap, sys_munmap, sys_mprotect, sys_madvise, sys_mremap;
/* sys_time.c */
sys_fn sys_clock_gettime, sys_clock_getres, sys_gettimeofday, sys_time, sys_nanosleep,
	sys_clock_nanosleep;
/* sys_misc.c */
sys_fn sys_exit_group, sys_getpid, sys_getppid, sys_getuid,
	sys_arch_prctl, sys_rt_sigaction, sys_rt_sigprocmask, sys_sigaltstack, sys_sched_yield,
	sys_prlimit64, sys_getrlimit, sys_sched_getaffinity, sys_getrandom, sys_uname,
	sys_set_robust_list, sys_vgpu_wait;

#endif
