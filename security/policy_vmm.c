/*
 * policy_vmm.c - what aivisor-vmm may call once its VM is set up.
 *
 * Everything that needs a path (opening /dev/kvm, the program, share
 * directories, the vGPU socket) happens before the filter.  After it, the
 * VMM only runs vCPUs and answers the guest.  Keep this list short: each
 * entry is attack surface a guest that found a VMM bug could reach.
 */
#include "policy.h"

#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

const struct sandbox_syscall policy_vmm[] = {
	{ "ioctl", 1, 5, { KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS },
	  "run vCPUs; registers for syscall emulation (when KVM_CAP_SYNC_REGS is absent), "
	  "FS base for arch_prctl and fault reports" },
	{ "read", -1, 0, {0}, "guest read(2) of stdin and share files; eventfd reads" },
	{ "readv", -1, 0, {0}, "guest readv(2)" },
	{ "pwrite64", -1, 0, {0}, "guest pwrite(2) on writable shares" },
	{ "pread64", -1, 0, {0}, "guest pread(2) on share files" },
	{ "write", -1, 0, {0}, "guest output to stdout/stderr, writable shares, our own error reports" },
	{ "writev", -1, 0, {0}, "guest writev(2) to stdout/stderr" },
	{ "lseek", -1, 0, {0}, "guest lseek(2) on share files" },
	{ "fstat", -1, 0, {0}, "guest fstat(2) of its open files" },
	{ "newfstatat", -1, 0, {0}, "guest fstatat(AT_EMPTY_PATH); glibc's fstat" },
	{ "openat2", -1, 0, {0}, "guest opens under a share: RESOLVE_BENEATH relative to the share's directory fd" },
	{ "close", -1, 0, {0}, "guest close(2) of share files" },
	{ "getdents64", -1, 0, {0}, "guest directory listing inside a share" },
	{ "madvise", 2, 1, { MADV_DONTNEED }, "munmap of guest memory gives its pages back to the host" },
	{ "mmap", -1, 0, {0}, "malloc in the VMM (stdio buffers, large allocations)" },
	{ "munmap", -1, 0, {0}, "free in the VMM" },
	{ "mprotect", -1, 0, {0}, "malloc arena growth in the VMM" },
	{ "brk", -1, 0, {0}, "malloc in the VMM" },
	{ "futex", -1, 0, {0}, "locks and condition variables between vCPU threads" },
	{ "poll", -1, 0, {0}, "AIVISOR_SYS_VGPU_WAIT: wait for the vGPU completion eventfd" },
	{ "ppoll", -1, 0, {0}, "same, as some libcs implement poll" },
	{ "clock_gettime", -1, 0, {0}, "guest clock_gettime when the vDSO is not used; timeouts" },
	{ "clock_getres", -1, 0, {0}, "guest clock_getres(2)" },
	{ "clock_nanosleep", -1, 0, {0}, "guest nanosleep" },
	{ "nanosleep", -1, 0, {0}, "guest nanosleep" },
	{ "getrandom", -1, 0, {0}, "guest getrandom(2)" },
	{ "sched_yield", -1, 0, {0}, "guest sched_yield(2); spinning waits" },
	{ "tgkill", -1, 0, {0}, "kick a vCPU thread out of KVM_RUN (timeout, exit)" },
	{ "rt_sigprocmask", -1, 0, {0}, "thread signal masks" },
	{ "rt_sigreturn", -1, 0, {0}, "return from the kick signal handler" },
	{ "rt_sigtimedwait", -1, 0, {0}, "the main thread waits for the end, a timeout or SIGTERM" },
	{ "kill", 1, 1, { SIGTERM }, "stop the private vGPU server at the end (SIGTERM only)" },
	{ "wait4", -1, 0, {0}, "reap the private vGPU server" },
	{ "getpid", -1, 0, {0}, "tgkill needs our pid" },
	{ "gettid", -1, 0, {0}, "thread identity for kicks" },
	{ "exit", -1, 0, {0}, "vCPU thread exit" },
	{ "exit_group", -1, 0, {0}, "the VM ends" },
};
const size_t policy_vmm_len = sizeof(policy_vmm) / sizeof(policy_vmm[0]);
