/*
 * sys_fs.c - opening and inspecting files under --share directories.
 *
 * Paths are copied out of guest memory (bounded by PATH_MAX) before use and
 * resolved by shares.c; no other host path is reachable.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys_handlers.h"

/* struct stat as the x86-64 Linux kernel lays it out (144 bytes). */
struct guest_stat {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	uint64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	int64_t unused[3];
};
_Static_assert(sizeof(struct guest_stat) == 144, "x86-64 struct stat is 144 bytes");

#define GUEST_AT_FDCWD (-100)
#define GUEST_AT_EMPTY_PATH 0x1000

static int64_t copy_path(struct guest *g, uint64_t gva, char *buf)
{
	long n = guest_mem_user_str(&g->mem, gva, buf, PATH_MAX);
	return n < 0 ? n : 0;
}

/* Opens guest path relative to guest dirfd (AT_FDCWD = "/"). */
static int open_guest_path(struct guest *g, int64_t dirfd, const char *path, int flags,
			   unsigned mode, int *share_idx)
{
	if (path[0] == '/' || dirfd == GUEST_AT_FDCWD)
		return shares_open(&g->shares, path, flags, mode, share_idx);
	struct guest_fd *d = fd_table_get(&g->fds, (long)dirfd);
	if (!d)
		return -EBADF;
	if (d->kind != FD_FILE)
		return -ENOTDIR;
	*share_idx = d->share_idx;
	return shares_open_at(&g->shares, d->share_idx, d->host_fd, path, flags, mode);
}

static int64_t do_openat(struct guest *g, int64_t dirfd, uint64_t path_gva, uint64_t flags, uint64_t mode)
{
	char path[PATH_MAX];
	int64_t r = copy_path(g, path_gva, path);
	if (r)
		return r;
	int share = -1;
	int fd = open_guest_path(g, dirfd, path, (int)flags, (unsigned)mode, &share);
	if (fd < 0)
		return fd;
	int gfd = fd_table_install(&g->fds, fd, share, (int)(flags & (O_ACCMODE | O_APPEND)));
	if (gfd >= 0 && (flags & O_CLOEXEC))
		g->fds.fd[gfd].cloexec = true;
	return gfd;
}

int64_t sys_open(struct guest *g, const uint64_t *a) { return do_openat(g, GUEST_AT_FDCWD, a[0], a[1], a[2]); }
int64_t sys_openat(struct guest *g, const uint64_t *a) { return do_openat(g, (int32_t)a[0], a[1], a[2], a[3]); }

static int64_t put_stat(struct guest *g, uint64_t gva, const struct stat *st)
{
	struct guest_stat gs = {
		.dev = st->st_dev, .ino = st->st_ino, .nlink = st->st_nlink,
		.mode = st->st_mode, .uid = 0, .gid = 0, .rdev = st->st_rdev,
		.size = st->st_size, .blksize = st->st_blksize, .blocks = st->st_blocks,
		.atime = (uint64_t)st->st_atim.tv_sec, .atime_ns = (uint64_t)st->st_atim.tv_nsec,
		.mtime = (uint64_t)st->st_mtim.tv_sec, .mtime_ns = (uint64_t)st->st_mtim.tv_nsec,
		.ctime = (uint64_t)st->st_ctim.tv_sec, .ctime_ns = (uint64_t)st->st_ctim.tv_nsec,
	};
	return guest_mem_put(&g->mem, gva, &gs, sizeof(gs));
}

static int64_t stat_fd(struct guest *g, uint64_t fd, uint64_t buf)
{
	struct guest_fd *f = fd_table_get(&g->fds, (long)fd);
	if (!f)
		return -EBADF;
	struct stat st;
	if (f->kind == FD_CONSOLE) {
		/* A character device, like a terminal or a pipe would look. */
		memset(&st, 0, sizeof(st));
		st.st_mode = S_IFCHR | 0620;
		st.st_blksize = 4096;
		return put_stat(g, buf, &st);
	}
	if (fstat(f->host_fd, &st) < 0)
		return -errno;
	return put_stat(g, buf, &st);
}

static int64_t stat_path(struct guest *g, int64_t dirfd, uint64_t path_gva, uint64_t buf, uint64_t flags)
{
	char path[PATH_MAX];
	int64_t r = copy_path(g, path_gva, path);
	if (r)
		return r;
	if (path[0] == '\0') {
		if (!(flags & GUEST_AT_EMPTY_PATH))
			return -ENOENT;
		return stat_fd(g, (uint64_t)dirfd, buf);
	}
	int share = -1;
	int fd = open_guest_path(g, dirfd, path, O_PATH | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0, &share);
	if (fd < 0)
		return fd;
	struct stat st;
	r = fstat(fd, &st) < 0 ? -errno : put_stat(g, buf, &st);
	close(fd);
	return r;
}

int64_t sys_fstat(struct guest *g, const uint64_t *a) { return stat_fd(g, a[0], a[1]); }
int64_t sys_stat(struct guest *g, const uint64_t *a) { return stat_path(g, GUEST_AT_FDCWD, a[0], a[1], 0); }
int64_t sys_lstat(struct guest *g, const uint64_t *a)
{
	return stat_path(g, GUEST_AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
}
int64_t sys_newfstatat(struct guest *g, const uint64_t *a)
{
	return stat_path(g, (int32_t)a[0], a[1], a[2], a[3]);
}

static int64_t do_access(struct guest *g, int64_t dirfd, uint64_t path_gva, uint64_t mode)
{
	char path[PATH_MAX];
	int64_t r = copy_path(g, path_gva, path);
	if (r)
		return r;
	int share = -1;
	int fd = open_guest_path(g, dirfd, path, O_PATH, 0, &share);
	if (fd < 0)
		return fd;
	close(fd);
	if ((mode & W_OK) && !g->shares.s[share].writable)
		return -EROFS;
	return 0;
}

int64_t sys_access(struct guest *g, const uint64_t *a) { return do_access(g, GUEST_AT_FDCWD, a[0], a[1]); }
int64_t sys_faccessat(struct guest *g, const uint64_t *a) { return do_access(g, (int32_t)a[0], a[1], a[2]); }

int64_t sys_getdents64(struct guest *g, const uint64_t *a)
{
	/* struct linux_dirent64 is the same for guest and host: the kernel
	 * fills the checked guest buffer directly. */
	struct guest_fd *f = fd_table_get(&g->fds, (long)a[0]);
	if (!f)
		return -EBADF;
	if (f->kind != FD_FILE)
		return -ENOTDIR;
	uint64_t len = a[2] > INT32_MAX ? INT32_MAX : a[2];
	void *p = guest_mem_user(&g->mem, a[1], len);
	if (!p)
		return -EFAULT;
	long n = syscall(SYS_getdents64, f->host_fd, p, (unsigned long)len);
	return n < 0 ? -errno : n;
}

int64_t sys_getcwd(struct guest *g, const uint64_t *a)
{
	/* The guest's working directory is always "/". */
	if (a[1] < 2)
		return -ERANGE;
	return guest_mem_put(&g->mem, a[0], "/", 2) ? -EFAULT : 2;
}
