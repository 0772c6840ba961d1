/* sandbox_vmm.h - confine the VMM before the guest runs (security/). */
#ifndef AIVISOR_SANDBOX_VMM_H
#define AIVISOR_SANDBOX_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vmm_sandbox_opts {
	uid_t uid;       /* user the run phase runs as when started as root */
	gid_t gid;
	bool verbose;    /* say which steps were skipped (not root) */
};

struct shares;

/* Started as root: picks the run-phase user (without --user: the owner of
 * the first writable share, else nobody) and checks that it may use every
 * share directory, so a mistake is a clear error before the VM starts. */
int vmm_sandbox_choose_user(struct vmm_sandbox_opts *o, bool user_given, const struct shares *sh,
			    char *err, size_t errlen);

/* Rlimits, empty root + own network (root), uid switch (root), seccomp.
 * Returns 0, or -1 with err; after -1 the VM must not run. */
int vmm_sandbox(const struct vmm_sandbox_opts *o, char *err, size_t errlen);

#endif
