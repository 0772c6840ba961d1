/*
 * sys_io.c - read/write family, lseek, close, ioctl, fcntl.
 *
 * Console fds pass straight to the host's stdin/stdout/stderr; file fds to
 * the host fd opened under a share.  Buffers are checked with
 * guest_mem_user() and then read or written in place: no bounce copy.
 */
#include <errno.h>
#include <time.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sys_handlers.h"

/* Linux's UIO_MAXIOV. */
#define GUEST_IOV_MAX 1024

struct guest_iovec {
	uint64_t base;
	uint64_t len;
};

static int64_t ret_errno(ssize_t r) { return r < 0 ? -errno : r; }

static struct guest_fd *get_fd(struct guest *g, uint64_t fd) { return fd_table_get(&g->fds, (long)fd); }

/* The checks read and write share, in the order Linux makes them: the fd,
 * the length, the buffer, then whether the fd was opened for this direction
 * (denied: the access mode that rules it out).  A zero length succeeds with
 * nothing checked past the fd.  Returns 0 with *f and *p set (*p NULL for a
 * zero length), or -errno. */
static int64_t io_prepare(struct guest *g, uint64_t fd, uint64_t buf, uint64_t len, int denied,
			  struct guest_fd **f, void **p)
{
	*p = NULL;
	*f = get_fd(g, fd);
	if (!*f)
		return -EBADF;
	if (len > SSIZE_MAX)
		return -EINVAL;
	if (len == 0)
		return 0;
	*p = guest_mem_user(&g->mem, buf, len);
	if (!*p)
		return -EFAULT;
	if (((*f)->open_flags & O_ACCMODE) == denied)
		return -EBADF;
	return 0;
}

static int64_t do_read(struct guest *g, uint64_t fd, uint64_t buf, uint64_t len, int64_t off)
{
	struct guest_fd *f;
	void *p;
	int64_t r = io_prepare(g, fd, buf, len, O_WRONLY, &f, &p);
	if (r || !p)
		return r;
	if (off >= 0)
		return f->kind == FD_CONSOLE ? -ESPIPE : ret_errno(pread(f->host_fd, p, len, off));
	return ret_errno(read(f->host_fd, p, len));
}

/* Console output keeps to the VM's rate (console_rate.h): a guest that
 * prints faster is slowed down, like on a serial line, never refused. */
static void console_pace(struct guest *g, uint64_t len)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t wait = console_rate_take(&g->console, len, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	if (wait) {
		/* One sleep: a stop request (the kick signal) cuts it short. */
		struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000ull), .tv_nsec = (long)(wait % 1000000000ull) };
		nanosleep(&ts, NULL);
	}
}

static int64_t do_write(struct guest *g, uint64_t fd, uint64_t buf, uint64_t len, int64_t off)
{
	struct guest_fd *f;
	void *p;
	int64_t r = io_prepare(g, fd, buf, len, O_RDONLY, &f, &p);
	if (r || !p)
		return r;
	if (off >= 0)
		return f->kind == FD_CONSOLE ? -ESPIPE : ret_errno(pwrite(f->host_fd, p, len, off));
	if (f->kind == FD_CONSOLE)
		console_pace(g, len);
	return ret_errno(write(f->host_fd, p, len));
}

int64_t sys_read(struct guest *g, const uint64_t *a) { return do_read(g, a[0], a[1], a[2], -1); }
int64_t sys_write(struct guest *g, const uint64_t *a) { return do_write(g, a[0], a[1], a[2], -1); }

int64_t sys_pread64(struct guest *g, const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return do_read(g, a[0], a[1], a[2], (int64_t)a[3]);
}

int64_t sys_pwrite64(struct guest *g, const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return do_write(g, a[0], a[1], a[2], (int64_t)a[3]);
}

/* Translates a guest iovec array into host iovecs, checking every piece
 * and that the total fits in ssize_t (Linux answers EINVAL otherwise). */
static int64_t map_iov(struct guest *g, uint64_t iov, uint64_t cnt, struct iovec *out)
{
	if (cnt > GUEST_IOV_MAX)
		return -EINVAL;
	struct guest_iovec v[GUEST_IOV_MAX]; /* one copy: the guest may change its own */
	if (guest_mem_get(&g->mem, iov, v, cnt * sizeof(v[0])))
		return -EFAULT;
	uint64_t total = 0;
	for (uint64_t i = 0; i < cnt; i++) {
		if (v[i].len > SSIZE_MAX - total)
			return -EINVAL;
		total += v[i].len;
	}
	for (uint64_t i = 0; i < cnt; i++) {
		/* Linux never touches the base of an empty buffer (musl passes
		 * NULL ones), so neither is it checked. */
		out[i].iov_base = v[i].len ? guest_mem_user(&g->mem, v[i].base, v[i].len) : NULL;
		if (v[i].len && !out[i].iov_base)
			return -EFAULT;
		out[i].iov_len = v[i].len;
	}
	return 0;
}

int64_t sys_readv(struct guest *g, const uint64_t *a)
{
	struct guest_fd *f = get_fd(g, a[0]);
	if (!f || (f->open_flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	struct iovec iov[GUEST_IOV_MAX];
	int64_t r = map_iov(g, a[1], a[2], iov);
	if (r)
		return r;
	return ret_errno(readv(f->host_fd, iov, (int)a[2]));
}

int64_t sys_writev(struct guest *g, const uint64_t *a)
{
	struct guest_fd *f = get_fd(g, a[0]);
	if (!f || (f->open_flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	struct iovec iov[GUEST_IOV_MAX];
	int64_t r = map_iov(g, a[1], a[2], iov);
	if (r)
		return r;
	if (f->kind == FD_CONSOLE) {
		uint64_t total = 0;
		for (uint64_t i = 0; i < a[2]; i++)
			total += iov[i].iov_len; /* map_iov bounded the sum */
		console_pace(g, total);
	}
	return ret_errno(writev(f->host_fd, iov, (int)a[2]));
}

int64_t sys_lseek(struct guest *g, const uint64_t *a)
{
	struct guest_fd *f = get_fd(g, a[0]);
	if (!f)
		return -EBADF;
	if (f->kind == FD_CONSOLE)
		return -ESPIPE;
	if (a[2] != SEEK_SET && a[2] != SEEK_CUR && a[2] != SEEK_END)
		return -EINVAL;
	return ret_errno(lseek(f->host_fd, (off_t)a[1], (int)a[2]));
}

int64_t sys_close(struct guest *g, const uint64_t *a) { return fd_table_close(&g->fds, (long)a[0]); }

int64_t sys_ioctl(struct guest *g, const uint64_t *a)
{
	/* No terminal is emulated: musl's TIOCGWINSZ probe gets ENOTTY, so
	 * stdout is fully buffered exactly as when piped on a host. */
	return get_fd(g, a[0]) ? -ENOTTY : -EBADF;
}

int64_t sys_fcntl(struct guest *g, const uint64_t *a)
{
	struct guest_fd *f = get_fd(g, a[0]);
	if (!f)
		return -EBADF;
	switch (a[1]) {
	case F_GETFD:
		return f->cloexec ? FD_CLOEXEC : 0;
	case F_SETFD:
		f->cloexec = a[2] & FD_CLOEXEC;
		return 0;
	case F_GETFL:
		return f->open_flags;
	case F_SETFL:
		return 0; /* O_NONBLOCK/O_APPEND changes are not supported; harmless to ignore */
	default:
		return -EINVAL;
	}
}
