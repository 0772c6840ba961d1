/*
 * sandbox_vmm.c - confine aivisor-vmm between set-up and the run phase.
 *
 * By then everything that needs a path or a privilege is done: /dev/kvm,
 * the program, the share directories (kept as directory fds), the vGPU
 * socket and window.  What remains is KVM_RUN and answering the guest, so
 * the process gives up the rest (security/sandbox.h, in this order):
 * limits, an empty root and no network, an unprivileged user, the
 * system-call allowlist (security/policy_vmm.c).
 */
#include "sandbox_vmm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>

#include "policy.h"
#include "sandbox.h"
#include "shares.h"

/* Address space the run phase may add to what is mapped at set-up: glibc
 * malloc arenas for vCPU threads reserve up to 64 MiB each. */
#define AS_HEADROOM (1ull << 30)
/* Files the run phase may open: the guest's fd table plus the VMM's own. */
#define RUN_FILES 256

int vmm_sandbox(const struct vmm_sandbox_opts *o, char *err, size_t errlen)
{
	char why[256];
	uint64_t mapped;
	if (sandbox_mapped_bytes(&mapped, err, errlen))
		return -1;
	struct sandbox_limits lim = { .max_open_files = RUN_FILES, .address_space = mapped + AS_HEADROOM };
	/* Never lower the fd limit below what is already open. */
	long open_max = sysconf(_SC_OPEN_MAX);
	if (open_max > 0 && (uint64_t)open_max < lim.max_open_files)
		lim.max_open_files = (uint64_t)open_max;
	if (sandbox_limits(&lim, err, errlen))
		return -1;
	int r = sandbox_isolate(why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (r > 0 && o->verbose)
		fprintf(stderr, "aivisor-vmm: sandbox: %s\n", why);
	r = sandbox_drop_user(o->uid, o->gid, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (r > 0 && o->verbose)
		fprintf(stderr, "aivisor-vmm: sandbox: %s\n", why);
	return sandbox_seccomp("aivisor-vmm", policy_vmm, policy_vmm_len, err, errlen);
}

/* Whether uid/gid may use a directory: search (and list) it, and create
 * files in it when the share is writable.  Mode bits are enough here:
 * share directories are the VMM's own choice of what to expose. */
static bool dir_allows(const struct stat *st, uid_t uid, gid_t gid, bool writable)
{
	unsigned need = 05 | (writable ? 02 : 0);
	unsigned bits = st->st_uid == uid ? (st->st_mode >> 6) & 7
		      : st->st_gid == gid ? (st->st_mode >> 3) & 7
		      : st->st_mode & 7;
	return (bits & need) == need;
}

int vmm_sandbox_choose_user(struct vmm_sandbox_opts *o, bool user_given, const struct shares *sh,
			    char *err, size_t errlen)
{
	if (geteuid() != 0)
		return 0; /* no uid switch: the caller's own rights apply */
	struct stat st;
	if (!user_given) {
		for (int i = 0; i < sh->n; i++) {
			if (!sh->s[i].writable)
				continue;
			if (fstat(sh->s[i].dir_fd, &st) < 0) {
				snprintf(err, errlen, "share %s: %s", sh->s[i].guest_dir, strerror(errno));
				return -1;
			}
			/* Files the guest creates then belong to the share's owner. */
			o->uid = st.st_uid;
			o->gid = st.st_gid;
			break;
		}
	}
	for (int i = 0; i < sh->n; i++) {
		if (fstat(sh->s[i].dir_fd, &st) < 0) {
			snprintf(err, errlen, "share %s: %s", sh->s[i].guest_dir, strerror(errno));
			return -1;
		}
		if (o->uid != 0 && !dir_allows(&st, o->uid, o->gid, sh->s[i].writable)) {
			snprintf(err, errlen,
				 "the share for %s (owner %u, mode %04o) is not %s by uid %u, which the VM runs as "
				 "after set-up; give that user access or choose one with --user",
				 sh->s[i].guest_dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
				 sh->s[i].writable ? "writable" : "readable", (unsigned)o->uid);
			return -1;
		}
	}
	return 0;
}
