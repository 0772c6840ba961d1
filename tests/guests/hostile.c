/* hostile: system calls with hostile pointers, lengths and counts.  Each
 * must fail with the expected errno and change nothing; the program then
 * checks it still runs normally.  argv[1]: guest RAM in MiB.  Exit status:
 * the number of calls that did not fail as expected. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int bad;

static void expect(const char *what, long r, int want_errno)
{
	/* syscall() returns -1 and sets errno, like on Linux. */
	if (r == -1 && errno == want_errno) {
		printf("ok %s -> %s\n", what, want_errno == EFAULT ? "EFAULT" : "refused");
	} else {
		printf("FAIL %s -> r=%ld errno=%d (want errno %d)\n", what, r, errno, want_errno);
		bad++;
	}
}

int main(int argc, char **argv)
{
	uint64_t ram = (argc > 1 ? strtoull(argv[1], NULL, 10) : 64) << 20;
	char buf[64] = "x";
	const uintptr_t boot = 0x1000, stub = 0x8000, host = 0x7f0000000000ULL;

	expect("write from boot area", syscall(SYS_write, 1, boot, 16), EFAULT);
	expect("read into page tables", syscall(SYS_read, 0, boot, 16), EFAULT);
	expect("write from host-like address", syscall(SYS_write, 1, host, 16), EFAULT);
	expect("write crossing end of RAM", syscall(SYS_write, 1, ram - 8, 64), EFAULT);
	expect("write starting at end of RAM", syscall(SYS_write, 1, ram, 1), EFAULT);
	expect("write wrapping around", syscall(SYS_write, 1, (uintptr_t)-4096, 8192), EFAULT);
	expect("write huge length", syscall(SYS_write, 1, buf, (size_t)-1), EINVAL);
	expect("write null", syscall(SYS_write, 1, 0, 1), EFAULT);

	struct iovec iov[2] = { { buf, 1 }, { (void *)host, 8 } };
	expect("writev host iov", syscall(SYS_writev, 1, iov, 2), EFAULT);
	expect("writev iov array in boot area", syscall(SYS_writev, 1, boot, 1), EFAULT);
	expect("writev count 2^30", syscall(SYS_writev, 1, iov, 1L << 30), EINVAL);
	expect("writev count -1", syscall(SYS_writev, 1, iov, -1L), EINVAL);
	struct iovec ov[2] = { { buf, (size_t)1 << 62 }, { buf, (size_t)1 << 62 } };
	expect("writev lengths overflowing", syscall(SYS_writev, 1, ov, 2), EINVAL);
	expect("readv into syscall stub", syscall(SYS_readv, 0, stub, 1), EFAULT);

	expect("openat path in boot area", syscall(SYS_openat, AT_FDCWD, boot, O_RDONLY), EFAULT);
	expect("openat path at host address", syscall(SYS_openat, AT_FDCWD, host, O_RDONLY), EFAULT);
	expect("fstat to wrapping address", syscall(SYS_fstat, 1, (uintptr_t)-64), EFAULT);
	expect("clock_gettime into boot area", syscall(SYS_clock_gettime, 0, boot), EFAULT);
	expect("uname into syscall stub", syscall(SYS_uname, stub), EFAULT);
	expect("getrandom into boot area", syscall(SYS_getrandom, boot, 16, 0), EFAULT);
	expect("nanosleep bad pointer", syscall(SYS_nanosleep, host, 0), EFAULT);
	struct timespec bad_ts = { 0, 2000000000L };
	expect("nanosleep bad nsec", syscall(SYS_nanosleep, &bad_ts, 0), EINVAL);
	expect("rt_sigaction bad pointer", syscall(SYS_rt_sigaction, 2, host, 0, 8), EFAULT);

	expect("mmap fixed over boot area", syscall(SYS_mmap, boot, 4096, 3, 0x32, -1, 0), EINVAL);
	expect("munmap boot area", syscall(SYS_munmap, boot, 4096), EINVAL);
	expect("munmap huge length", syscall(SYS_munmap, ram / 2, (size_t)-4096), EINVAL);
	expect("mmap length beyond RAM", syscall(SYS_mmap, 0, (size_t)1 << 46, 3, 0x22, -1, 0), ENOMEM);
	expect("madvise outside RAM", syscall(SYS_madvise, host, 4096, 4), ENOMEM);

	expect("read bad fd", syscall(SYS_read, 999, buf, 1), EBADF);
	expect("close negative fd", syscall(SYS_close, -5), EBADF);
	expect("unknown syscall", syscall(9999), ENOSYS);
	expect("vgpu wait without vGPU", syscall(0x1000, 0), ENODEV);

	/* Still alive, and the boot area still works: another round trip. */
	printf("%s: %d unexpected\n", bad ? "hostile calls NOT all refused" : "all hostile calls refused", bad);
	return bad;
}
