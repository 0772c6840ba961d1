/*
 * client_ivshmem.c - finds QEMU's ivshmem PCI device in sysfs and maps its
 * BARs for the vGPU client inside a Linux guest (see client_ivshmem.h).
 * Built into static musl programs: only plain POSIX and Linux calls.
 */
#include "client_ivshmem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Reads a small sysfs attribute such as "0x1af4\n" as a number. */
static int read_attr(const char *dir, const char *name, unsigned long *out)
{
	char path[512], buf[32];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	char *end;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 0);
	if (errno || end == buf || (*end != '\0' && *end != '\n'))
		return -EINVAL;
	*out = v;
	return 0;
}

static bool is_ivshmem(const char *dir)
{
	unsigned long vendor, device;
	return read_attr(dir, "vendor", &vendor) == 0 && vendor == IVSHMEM_PCI_VENDOR &&
	       read_attr(dir, "device", &device) == 0 && device == IVSHMEM_PCI_DEVICE;
}

/* The ivshmem device with the lowest PCI address under root, so that the
 * choice does not depend on readdir order. */
static int discover(const char *root, char *out, size_t outlen)
{
	DIR *d = opendir(root);
	if (!d)
		return -errno;
	char best[256] = "";
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char dir[512];
		if ((size_t)snprintf(dir, sizeof dir, "%s/%s", root, e->d_name) >= sizeof dir)
			continue;
		if (!is_ivshmem(dir))
			continue;
		if (strlen(e->d_name) >= sizeof best)
			continue;
		if (best[0] == '\0' || strcmp(e->d_name, best) < 0)
			snprintf(best, sizeof best, "%s", e->d_name);
	}
	closedir(d);
	if (best[0] == '\0')
		return -ENODEV;
	if ((size_t)snprintf(out, outlen, "%s/%s", root, best) >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

/* Turns on memory decoding: with no kernel driver bound, nothing else does,
 * and a disabled device reads all ones from its BARs. */
static int enable_device(const char *dir)
{
	unsigned long enabled;
	if (read_attr(dir, "enable", &enabled) == 0 && enabled)
		return 0;
	char path[512];
	if ((size_t)snprintf(path, sizeof path, "%s/enable", dir) >= sizeof path)
		return -ENAMETOOLONG;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = write(fd, "1", 1) == 1 ? 0 : -errno;
	close(fd);
	return rc;
}

/* Maps BAR `bar` whole (at least min bytes); the sysfs resource file's size
 * is the BAR's size.  A BAR smaller than a page is mapped as one page
 * (page_round(*size), as ivshmem_client_close unmaps it). */
static int map_bar(const char *dir, int bar, uint64_t min, void **base, uint64_t *size,
		   char *err, size_t errlen)
{
	char path[512];
	if ((size_t)snprintf(path, sizeof path, "%s/resource%d", dir, bar) >= sizeof path)
		return fail(err, errlen, -ENAMETOOLONG, "ivshmem: path too long: %s", dir);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, -errno, "ivshmem: open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return fail(err, errlen, -e, "ivshmem: stat %s: %s", path, strerror(e));
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size < min) {
		close(fd);
		return fail(err, errlen, -ENODEV, "ivshmem: %s is %lld bytes, need %llu",
			    path, (long long)st.st_size, (unsigned long long)min);
	}
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t len = ((uint64_t)st.st_size + page - 1) / page * page;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED)
		return fail(err, errlen, -e, "ivshmem: mmap %s: %s", path, strerror(e));
	*base = p;
	*size = (uint64_t)st.st_size;
	return 0;
}

static uint64_t page_round(uint64_t n)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	return (n + page - 1) / page * page;
}

int ivshmem_client_open(const char *dev_dir, const char *sysfs_root,
			struct ivshmem_client *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	int rc;
	if (dev_dir && dev_dir[0]) {
		if (strlen(dev_dir) >= sizeof c->dir)
			return fail(err, errlen, -ENAMETOOLONG, "ivshmem: path too long: %s", dev_dir);
		snprintf(c->dir, sizeof c->dir, "%s", dev_dir);
		if (!is_ivshmem(c->dir))
			return fail(err, errlen, -ENODEV,
				    "ivshmem: %s is not an ivshmem device (PCI 1af4:1110)", c->dir);
	} else {
		const char *root = sysfs_root ? sysfs_root : IVSHMEM_SYSFS_PCI;
		rc = discover(root, c->dir, sizeof c->dir);
		if (rc)
			return fail(err, errlen, rc, "ivshmem: no device with PCI id 1af4:1110 under %s%s",
				    root, rc == -ENODEV ? "" : " (cannot read it)");
	}
	rc = enable_device(c->dir);
	if (rc)
		return fail(err, errlen, rc, "ivshmem: cannot enable %s: %s", c->dir, strerror(-rc));

	void *regs;
	rc = map_bar(c->dir, 0, IVSHMEM_REG_DOORBELL + 4, &regs, &c->regs_size, err, errlen);
	if (rc)
		return rc;
	c->regs = regs;
	rc = map_bar(c->dir, 2, 1, &c->window, &c->window_size, err, errlen);
	if (rc) {
		munmap(regs, page_round(c->regs_size));
		c->regs = NULL;
		return rc;
	}
	return 0;
}

void ivshmem_client_close(struct ivshmem_client *c)
{
	if (c->window)
		munmap(c->window, page_round(c->window_size));
	if (c->regs)
		munmap((void *)c->regs, page_round(c->regs_size));
	c->window = NULL;
	c->regs = NULL;
}

void ivshmem_client_ring(struct ivshmem_client *c)
{
	/* Commands and sq_tail must be visible before the doorbell store. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	c->regs[IVSHMEM_REG_DOORBELL / 4] = (IVSHMEM_VGPU_PEER << 16) | 0u;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ivshmem_client_wait(bool (*done)(void *arg), void *arg, uint32_t spin_iters,
			uint64_t poll_ns, int64_t timeout_ns)
{
	for (uint32_t i = 0; i < spin_iters; i++) {
		if (done(arg))
			return 0;
		__builtin_ia32_pause();
	}
	if (poll_ns == 0)
		poll_ns = IVSHMEM_POLL_NS;
	uint64_t max_ns = poll_ns > IVSHMEM_POLL_MAX_NS ? poll_ns : IVSHMEM_POLL_MAX_NS;
	int64_t start = now_ns();
	int64_t deadline = (timeout_ns < 0 || timeout_ns > INT64_MAX - start) ? INT64_MAX
									   : start + timeout_ns;
	for (;;) {
		if (done(arg))
			return 0;
		int64_t now = now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		/* Each wake-up costs the vCPU (dearly under TCG): naps double up
		 * to max_ns, so a long command costs few of them while a short
		 * one still gets a short first nap.  Never past the deadline. */
		uint64_t nap = poll_ns;
		if ((uint64_t)(deadline - now) < nap)
			nap = (uint64_t)(deadline - now);
		struct timespec ts = { .tv_sec = (time_t)(nap / 1000000000u),
				       .tv_nsec = (long)(nap % 1000000000u) };
		nanosleep(&ts, NULL);
		if (poll_ns < max_ns)
			poll_ns = poll_ns * 2 < max_ns ? poll_ns * 2 : max_ns;
	}
}
