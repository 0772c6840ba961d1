/*
 * vm_process.h - one tenant's VMM process: spawn it, identify it across a
 * daemon restart, signal it.
 *
 * A pid alone is not an identity (pids are reused), so a process is named
 * by (pid, start time in clock ticks since boot, from /proc/PID/stat).
 */
#ifndef AIVISOR_VM_PROCESS_H
#define AIVISOR_VM_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tenant.h"

struct vm_spawn_opts {
	const char *vmm_path;      /* the aivisor-vmm binary */
	const char *log_path;      /* console output, appended */
	const char *vgpu_socket;   /* NULL: no vGPU wiring */
	const char *tenant_uuid;   /* put in the VMM's environment (see below) */
};

/* Every VMM carries AIVISOR_TENANT_UUID=<uuid> in its environment, so a
 * daemon killed between spawning a VM and recording it can still find and
 * adopt it after a restart (vm_process_find_tenant_uuid). */
#define VM_TENANT_ENV "AIVISOR_TENANT_UUID="

struct vm_proc {
	pid_t pid;
	uint64_t start_ticks;
	int pidfd;                 /* readable when the process ends */
};

/* Starts the VMM in its own session and process group, stdin the
 * tenant's stdin file (else /dev/null),
 * stdout+stderr appended to the log. -errno with a reason in err. */
int vm_process_spawn(const struct tenant_def *def, const struct vm_spawn_opts *opts, struct vm_proc *out,
		     char *err, size_t errlen);

/* The same for any program: argv[0] is the path; envp NULL = ours. */
int vm_process_spawn_argv(char *const argv[], char *const envp[], const char *stdin_path, const char *log_path,
			  struct vm_proc *out, char *err, size_t errlen);

/* The tenant uuid in process pid's environment: 0 and out filled, or -1. */
int vm_process_tenant_uuid(pid_t pid, char *out, size_t size);

/* Start time of pid (field 22 of /proc/PID/stat); -errno if it is gone. */
int vm_process_start_ticks(pid_t pid, uint64_t *ticks);

/* Re-finds a process recorded earlier: opens a pidfd and checks that the
 * pid still names the same process. 0 with out->pidfd set, or -ESRCH. */
int vm_process_reattach(pid_t pid, uint64_t start_ticks, struct vm_proc *out);

/* Signal through the pidfd, immune to pid reuse. */
int vm_process_signal(const struct vm_proc *p, int sig);

/* CPU time (user+system, all threads) and resident memory of a live process. */
int vm_process_usage(pid_t pid, uint64_t *cpu_ns, uint64_t *rss_kib);

#endif
