/*
 * sandbox.c - resource limits, namespaces and the user switch.
 * The seccomp allowlist is in seccomp.c.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int set_limit(int res, const char *name, uint64_t v, char *err, size_t errlen)
{
	struct rlimit rl = { .rlim_cur = v, .rlim_max = v };
	if (setrlimit(res, &rl))
		return fail(err, errlen, "setrlimit(%s, %llu): %s", name, (unsigned long long)v, strerror(errno));
	return 0;
}

int sandbox_limits(const struct sandbox_limits *l, char *err, size_t errlen)
{
	if (set_limit(RLIMIT_CORE, "RLIMIT_CORE", 0, err, errlen))
		return -1;
	if (l->max_open_files && set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", l->max_open_files, err, errlen))
		return -1;
	if (l->address_space && set_limit(RLIMIT_AS, "RLIMIT_AS", l->address_space, err, errlen))
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return fail(err, errlen, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	return 0;
}

int sandbox_mapped_bytes(uint64_t *out, char *err, size_t errlen)
{
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return fail(err, errlen, "/proc/self/statm: %s", strerror(errno));
	unsigned long long pages = 0;
	int n = fscanf(f, "%llu", &pages);
	fclose(f);
	if (n != 1)
		return fail(err, errlen, "/proc/self/statm: unexpected format");
	*out = pages * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

/*
 * An empty network namespace (loopback only, down).  Creating one costs
 * ~0.7 ms, most of a VM's start, so the first VM publishes its own on
 * SHARED_NETNS (a bind mount, like `ip netns add`) and later ones join it
 * (~10 us).  Sharing is harmless: nothing in it reaches anything, and the
 * VMs' filters allow no sockets anyway.  Publishing is best effort.
 */
#define SHARED_NETNS_DIR "/run/aivisor"
#define SHARED_NETNS SHARED_NETNS_DIR "/netns-empty"

static int enter_empty_netns(char *err, size_t errlen)
{
	int fd = open(SHARED_NETNS, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		int r = setns(fd, CLONE_NEWNET);
		close(fd);
		if (r == 0)
			return 0;
		/* Not (yet) a namespace: another VM is publishing it. */
	}
	if (unshare(CLONE_NEWNET))
		return fail(err, errlen, "unshare(net): %s", strerror(errno));
	mkdir(SHARED_NETNS_DIR, 0755);
	int f = open(SHARED_NETNS, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
	if (f >= 0) {
		close(f);
		if (mount("/proc/self/ns/net", SHARED_NETNS, NULL, MS_BIND, NULL))
			unlink(SHARED_NETNS);
	}
	return 0;
}

int sandbox_isolate(char *err, size_t errlen)
{
	if (geteuid() != 0) {
		snprintf(err, errlen, "not root: keeping the host's mount and network view");
		return 1;
	}
	/* The network first: publishing the namespace needs the host's mounts. */
	if (enter_empty_netns(err, errlen))
		return -1;
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS))
		return fail(err, errlen, "unshare(mount, ipc, uts): %s", strerror(errno));
	/* Nothing we mount below may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return fail(err, errlen, "making / private: %s", strerror(errno));
	/* An empty tmpfs becomes the root; the old root is detached, so no
	 * path lookup can reach a host file.  Open fds stay valid.  It is
	 * mounted over /tmp, which exists everywhere: the mount is private to
	 * our namespace, so the host's /tmp is untouched. */
	const char *dir = "/tmp";
	if (mount("aivisor-root", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555"))
		return fail(err, errlen, "mounting the empty root on %s: %s", dir, strerror(errno));
	if (chdir(dir))
		return fail(err, errlen, "chdir %s: %s", dir, strerror(errno));
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * detaching "." then leaves only the new root (see pivot_root(2)). */
	if (syscall(SYS_pivot_root, ".", "."))
		return fail(err, errlen, "pivot_root: %s", strerror(errno));
	if (umount2(".", MNT_DETACH))
		return fail(err, errlen, "detaching the old root: %s", strerror(errno));
	if (chdir("/"))
		return fail(err, errlen, "chdir /: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return fail(err, errlen, "remounting the new root read-only: %s", strerror(errno));
	return 0;
}

int sandbox_drop_user(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	if (geteuid() != 0) {
		snprintf(err, errlen, "not root: keeping uid %u", (unsigned)geteuid());
		return 1;
	}
	if (setgroups(0, NULL))
		return fail(err, errlen, "setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid))
		return fail(err, errlen, "setresgid(%u): %s", (unsigned)gid, strerror(errno));
	if (setresuid(uid, uid, uid))
		return fail(err, errlen, "setresuid(%u): %s", (unsigned)uid, strerror(errno));
	/* Make sure the switch cannot be undone. */
	if (uid != 0 && setresuid(0, 0, 0) == 0)
		return fail(err, errlen, "could regain uid 0 after dropping to %u", (unsigned)uid);
	return 0;
}

static int parse_id(const char *s, unsigned long *v)
{
	char *end;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && end != s && *end == '\0' && *v < 0xffffffffUL ? 0 : -1;
}

int sandbox_parse_user(const char *spec, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	if (!spec || !*spec)
		spec = "nobody";
	char buf[256];
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return fail(err, errlen, "user '%.40s...' is too long", spec);
	char *colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';
	unsigned long u, g;
	if (parse_id(buf, &u) == 0) {
		*uid = (uid_t)u;
		*gid = (gid_t)u;
	} else {
		struct passwd *pw = getpwnam(buf);
		if (!pw)
			return fail(err, errlen, "unknown user '%s'", buf);
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (colon) {
		if (parse_id(colon, &g) == 0) {
			*gid = (gid_t)g;
		} else {
			struct group *gr = getgrnam(colon);
			if (!gr)
				return fail(err, errlen, "unknown group '%s'", colon);
			*gid = gr->gr_gid;
		}
	}
	return 0;
}
