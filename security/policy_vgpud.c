/*
 * policy_vgpud.c - what aivisor-vgpud (OpenBLAS backend) may call once it
 * has started: socket bound, backend and OpenBLAS threads initialised,
 * executor and lane threads running.
 *
 * Everything that needs a path happens before the filter: binding the
 * socket, opening its directory (to remove it at the end) and
 * /proc/self/fd (to check attached fds are eventfds), seeding jansson's
 * hash from /dev/urandom.  After it the server only talks to tenants over
 * fds it holds.  Found with strace -f over the vgpu/sched tests; keep it
 * short: every tenant's commands reach this process.
 */
#include "policy.h"

#include <fcntl.h>

const struct sandbox_syscall policy_vgpud[] = {
	{ "epoll_wait", -1, 0, {0}, "the executor sleeps on doorbells, sockets and the lane" },
	{ "epoll_ctl", -1, 0, {0}, "adding and removing tenants' sockets and doorbells" },
	{ "accept4", -1, 0, {0}, "new connections on the already-bound listening socket" },
	{ "recvmsg", -1, 0, {0}, "ATTACH/STATS/SET requests, with the tenant's fds (SCM_RIGHTS)" },
	{ "recvfrom", -1, 0, {0}, "recv(2): hang-up checks on attached tenants' sockets" },
	{ "sendto", -1, 0, {0}, "send(2): answers and stats JSON" },
	{ "read", -1, 0, {0}, "draining doorbell and lane eventfds" },
	{ "write", -1, 0, {0}, "signalling completion and stop eventfds; error lines on stderr" },
	{ "close", -1, 0, {0}, "closing connections, detached tenants' fds" },
	{ "fcntl", 1, 3, { F_GET_SEALS, F_DUPFD_CLOEXEC, F_SETFL },
	  "attach: the window memfd must be sealed; the eventfds are duplicated and made non-blocking" },
	{ "newfstatat", -1, 0, {0}, "attach: fstat of the window memfd (its size)" },
	{ "readlinkat", -1, 0, {0}, "attach: is an fd an eventfd (under /proc/self/fd opened at start)" },
	{ "mmap", -1, 0, {0}, "attach: mapping a tenant's window; malloc; OpenBLAS buffers" },
	{ "munmap", -1, 0, {0}, "detach: unmapping a window; free" },
	{ "mprotect", -1, 0, {0}, "malloc arena growth" },
	{ "madvise", -1, 0, {0}, "glibc malloc and thread stacks give memory back" },
	{ "brk", -1, 0, {0}, "malloc" },
	{ "mbind", -1, 0, {0}, "OpenBLAS places its buffers on the local NUMA node" },
	{ "futex", -1, 0, {0}, "the lane's mutex/condition, OpenBLAS's thread pool, joins at stop" },
	{ "sched_yield", -1, 0, {0}, "OpenBLAS workers waiting for work" },
	{ "set_robust_list", -1, 0, {0}, "a thread started just before the filter finishes starting" },
	{ "rseq", -1, 0, {0}, "same (glibc registers restartable sequences per thread)" },
	{ "rt_sigprocmask", -1, 0, {0}, "thread signal masks (SIGINT/SIGTERM go to sigwait)" },
	{ "rt_sigtimedwait", -1, 0, {0}, "the main thread waits for SIGINT/SIGTERM" },
	{ "unlinkat", -1, 0, {0}, "removing the socket at the end, relative to its directory's fd" },
	{ "clock_gettime", -1, 0, {0}, "timing pieces, when the vDSO is not used" },
	{ "exit", -1, 0, {0}, "threads end at stop" },
	{ "exit_group", -1, 0, {0}, "the server ends" },
};
const size_t policy_vgpud_len = sizeof(policy_vgpud) / sizeof(policy_vgpud[0]);
