/*
 * sandbox.h - least privilege for aivisor's host processes.
 *
 * A VM process (and the vGPU server, and the daemon where it fits) calls
 * these once its set-up is done and before it touches guest input:
 *
 *   sandbox_limits()     resource limits: open files, address space, no cores
 *   sandbox_isolate()    private mount (empty root) and network views, as root
 *   sandbox_drop_user()  an unprivileged uid/gid, no supplementary groups
 *   sandbox_seccomp()    a system-call allowlist for every thread; any other
 *                        call ends the process with one clear log line
 *
 * Each returns 0 or -1 with a message in err naming what failed.
 */
#ifndef AIVISOR_SANDBOX_H
#define AIVISOR_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sandbox_limits {
	uint64_t max_open_files;    /* RLIMIT_NOFILE; 0 = leave as is */
	uint64_t address_space;     /* RLIMIT_AS in bytes; 0 = leave as is */
};

/* Sets the limits, RLIMIT_CORE = 0 (guest memory must never land in a core
 * file) and PR_SET_DUMPABLE = 0. */
int sandbox_limits(const struct sandbox_limits *l, char *err, size_t errlen);

/* The bytes of address space this process maps now (from /proc/self/statm);
 * callers add headroom to it for RLIMIT_AS. */
int sandbox_mapped_bytes(uint64_t *out, char *err, size_t errlen);

/* Unshares mount, network, IPC and UTS namespaces and pivots into an empty,
 * read-only tmpfs root, so the process sees no host files or network; open
 * file descriptors (share directories, /dev/kvm, sockets) keep working.
 * Needs CAP_SYS_ADMIN: without it (not root) this returns 1 and does
 * nothing, and says so in err; callers log it. */
int sandbox_isolate(char *err, size_t errlen);

/* Switches to uid/gid (drops supplementary groups), only when running as
 * root; returns 1 (nothing done) otherwise.  Sets no_new_privs. */
int sandbox_drop_user(uid_t uid, gid_t gid, char *err, size_t errlen);

/* Parses "UID[:GID]" or a user name into ids; default user is "nobody". */
int sandbox_parse_user(const char *spec, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/*
 * One allowed system call.  When arg_index >= 0 the call is allowed only
 * where that argument equals one of values[0..nvalues) (e.g. ioctl
 * requests, madvise advice).  why is the documentation shown by
 * `--print-seccomp`, kept next to the table.
 */
struct sandbox_syscall {
	const char *name;
	int arg_index;
	size_t nvalues;
	uint64_t values[8];
	const char *why;
};

/* Installs the allowlist on every thread of the process (TSYNC).  A call
 * outside it raises SIGSYS; the handler writes
 *   "<who>: seccomp: system call N (name) is not allowed; stopping"
 * to stderr and exits with 128+SIGSYS (159). */
int sandbox_seccomp(const char *who, const struct sandbox_syscall *allow, size_t n,
		    char *err, size_t errlen);

/* Exit status a process gets when the filter stops it. */
#define SANDBOX_SECCOMP_EXIT 159

#endif
