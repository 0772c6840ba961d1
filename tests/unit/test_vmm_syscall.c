/* Unit tests: the syscall decoder and handlers over a fake guest (no KVM). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "aivisor_guest.h"
#include "syscall.h"
#include "test_vmm_fake_guest.h"

#define BUF 0x300000ULL /* a user address in fake RAM */

struct fixture {
	struct guest g;
	struct fake_state st;
	int out[2], in[2];
	char dir[64];
};

static int64_t sc(struct guest *g, uint64_t nr, const uint64_t *args)
{
	struct syscall_args a = { .nr = nr };
	memcpy(a.a, args, sizeof(a.a));
	return syscall_dispatch(g, &a);
}
/* Missing arguments are zero. */
#define SC(g, nr, ...) sc(g, nr, (const uint64_t[6]){ __VA_ARGS__ })
#define SC6 SC

static uint8_t *gp(struct guest *g, gpa_t a) { return guest_mem_ptr(&g->mem, a, 1); }

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(pipe(f->out), 0);
	assert_int_equal(pipe(f->in), 0);
	assert_int_equal(fake_guest_init(&f->g, &f->st, f->in[0], f->out[1], f->out[1]), 0);
	strcpy(f->dir, "/tmp/test_vmm_syscall.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/data.txt", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("0123456789", fp);
	fclose(fp);
	char spec[128], err[256];
	snprintf(spec, sizeof(spec), "%s:/data", f->dir);
	assert_int_equal(shares_add(&f->g.shares, spec, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	fake_guest_free(&f->g);
	close(f->out[0]);
	close(f->out[1]);
	close(f->in[0]);
	close(f->in[1]);
	free(f);
	return 0;
}

static void test_write_and_writev(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->g;
	memcpy(gp(g, BUF), "hello world", 11);
	assert_int_equal(SC(g, SYS_write, 1, BUF, 5), 5);
	uint64_t *iov = (uint64_t *)gp(g, BUF + 0x100);
	iov[0] = BUF + 5; iov[1] = 6;
	iov[2] = 0;       iov[3] = 0; /* empty iovec with a NULL base is fine */
	assert_int_equal(SC(g, SYS_writev, 1, BUF + 0x100, 2), 6);
	char got[16] = "";
	assert_int_equal(read(f->out[0], got, sizeof(got)), 11);
	assert_memory_equal(got, "hello world", 11);
	assert_int_equal(SC(g, SYS_write, 1, 0x1000, 4), -EFAULT);
	assert_int_equal(SC(g, SYS_write, 1, FAKE_RAM - 2, 4), -EFAULT);
	assert_int_equal(SC(g, SYS_write, 1, BUF, 0), 0);
	assert_int_equal(SC(g, SYS_write, 1, BUF, UINT64_MAX), -EINVAL);
	assert_int_equal(SC(g, SYS_write, 0, BUF, 1), -EBADF);  /* stdin is read-only */
	assert_int_equal(SC(g, SYS_write, 77, BUF, 1), -EBADF);
	iov[1] = UINT64_MAX / 2; iov[3] = UINT64_MAX / 2;
	assert_int_equal(SC(g, SYS_writev, 1, BUF + 0x100, 2), -EINVAL);
	assert_int_equal(SC(g, SYS_writev, 1, BUF + 0x100, 1025), -EINVAL);
	assert_int_equal(SC(g, SYS_writev, 1, FAKE_RAM - 8, 1), -EFAULT);
}

static void test_read(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->g;
	assert_int_equal(write(f->in[1], "abc", 3), 3);
	assert_int_equal(SC(g, SYS_read, 0, BUF, 10), 3);
	assert_memory_equal(gp(g, BUF), "abc", 3);
	assert_int_equal(SC(g, SYS_read, 0, 0x2000, 10), -EFAULT);
	assert_int_equal(SC(g, SYS_read, 1, BUF, 1), -EBADF);
	assert_int_equal(SC(g, SYS_lseek, 1, 0, SEEK_SET), -ESPIPE);
}

static void test_files(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->g;
	strcpy((char *)gp(g, BUF), "/data/data.txt");
	int64_t fd = SC(g, SYS_openat, (uint64_t)AT_FDCWD, BUF, O_RDONLY);
	assert_true(fd >= 3);
	assert_int_equal(SC(g, SYS_read, fd, BUF + 0x100, 4), 4);
	assert_memory_equal(gp(g, BUF + 0x100), "0123", 4);
	assert_int_equal(SC(g, SYS_pread64, fd, BUF + 0x100, 3, 7), 3);
	assert_memory_equal(gp(g, BUF + 0x100), "789", 3);
	assert_int_equal(SC(g, SYS_pread64, fd, BUF + 0x100, 3, UINT64_MAX), -EINVAL);
	assert_int_equal(SC(g, SYS_lseek, fd, 0, SEEK_END), 10);
	assert_int_equal(SC(g, SYS_lseek, fd, 0, 99), -EINVAL);
	assert_int_equal(SC(g, SYS_fstat, fd, BUF + 0x200), 0);
	assert_int_equal(*(int64_t *)gp(g, BUF + 0x200 + 48), 10); /* st_size */
	assert_true(S_ISREG(*(uint32_t *)gp(g, BUF + 0x200 + 24)));
	assert_int_equal(SC(g, SYS_write, fd, BUF, 1), -EBADF);
	/* Private file mapping: a copy of the file. */
	int64_t m = SC6(g, SYS_mmap, 0, 4096, 1, 2 /* MAP_PRIVATE */, fd, 0);
	assert_true(m > 0);
	assert_memory_equal(gp(g, (gpa_t)m), "0123456789", 10);
	assert_int_equal(*gp(g, (gpa_t)m + 10), 0);
	assert_int_equal(SC6(g, SYS_mmap, 0, 4096, 3, 1 /* MAP_SHARED */, fd, 0), -ENODEV);
	assert_int_equal(SC(g, SYS_close, fd), 0);
	assert_int_equal(SC(g, SYS_close, fd), -EBADF);
	/* newfstatat with AT_EMPTY_PATH, and by path. */
	*(char *)gp(g, BUF + 0x300) = 0;
	assert_int_equal(SC(g, SYS_newfstatat, 1, BUF + 0x300, BUF + 0x200, 0x1000), 0);
	assert_true(S_ISCHR(*(uint32_t *)gp(g, BUF + 0x200 + 24)));
	assert_int_equal(SC(g, SYS_newfstatat, (uint64_t)AT_FDCWD, BUF, BUF + 0x200, 0), 0);
	assert_int_equal(*(int64_t *)gp(g, BUF + 0x200 + 48), 10);
}

static void test_confinement(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->g;
	strcpy((char *)gp(g, BUF), "/data/../../etc/passwd");
	assert_int_equal(SC(g, SYS_openat, (uint64_t)AT_FDCWD, BUF, O_RDONLY), -EXDEV);
	strcpy((char *)gp(g, BUF), "/etc/passwd");
	assert_int_equal(SC(g, SYS_open, BUF, O_RDONLY), -ENOENT);
	strcpy((char *)gp(g, BUF), "/data/new");
	assert_int_equal(SC(g, SYS_openat, (uint64_t)AT_FDCWD, BUF, O_WRONLY | O_CREAT, 0644), -EROFS);
	strcpy((char *)gp(g, BUF), "/data/data.txt");
	assert_int_equal(SC(g, SYS_openat, (uint64_t)AT_FDCWD, BUF, O_RDONLY | O_TRUNC), -EROFS);
	assert_int_equal(SC(g, SYS_openat, (uint64_t)AT_FDCWD, 0x1000, O_RDONLY), -EFAULT);
	memset(gp(g, BUF), 'a', 5000); /* no NUL within PATH_MAX */
	assert_int_equal(SC(g, SYS_openat, (uint64_t)AT_FDCWD, BUF, O_RDONLY), -ENAMETOOLONG);
}

static void test_fd_table_bounded(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->g;
	strcpy((char *)gp(g, BUF), "/data/data.txt");
	int opened = 0;
	int64_t r;
	while ((r = SC(g, SYS_open, BUF, O_RDONLY)) >= 0)
		opened++;
	assert_int_equal(r, -EMFILE);
	assert_int_equal(opened, FD_TABLE_MAX - 3);
}

static void test_memory(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->g;
	int64_t b = SC(g, SYS_brk, 0);
	assert_int_equal(b, FAKE_MM_LO);
	assert_int_equal(SC(g, SYS_brk, b + 8192), b + 8192);
	int64_t m = SC6(g, SYS_mmap, 0, 8192, 3, 0x22, (uint64_t)-1, 0);
	assert_true(m >= (int64_t)FAKE_MM_LO && m + 8192 <= (int64_t)FAKE_MM_HI);
	memset(gp(g, (gpa_t)m), 0xee, 8192);
	assert_int_equal(SC(g, SYS_munmap, m, 8192), 0);
	int64_t m2 = SC6(g, SYS_mmap, 0, 8192, 3, 0x22, (uint64_t)-1, 0);
	assert_int_equal(m2, m);
	assert_int_equal(*gp(g, (gpa_t)m2), 0); /* re-mapped memory reads zero */
	assert_int_equal(SC6(g, SYS_mmap, 0, 0, 3, 0x22, (uint64_t)-1, 0), -EINVAL);
	assert_int_equal(SC6(g, SYS_mmap, 0, 4096, 3, 0x20, (uint64_t)-1, 0), -EINVAL); /* no type */
	assert_int_equal(SC6(g, SYS_mmap, 0, 4096, 3, 0x02, 55, 0), -EBADF);
	assert_int_equal(SC(g, SYS_mprotect, m2, 8192, 1), 0);
	assert_int_equal(SC(g, SYS_mprotect, 0x1000, 4096, 1), -ENOMEM);
	/* mremap grows by moving and keeps the contents. */
	*gp(g, (gpa_t)m2) = 42;
	int64_t m3 = SC(g, SYS_mremap, m2, 8192, 1 << 20, 1 /* MREMAP_MAYMOVE */);
	assert_true(m3 > 0);
	assert_int_equal(*gp(g, (gpa_t)m3), 42);
	assert_int_equal(SC(g, SYS_mremap, m3, 1 << 20, 4096, 0), m3);
	assert_int_equal(SC(g, SYS_mremap, 0x1000, 4096, 8192, 1), -EFAULT);
	/* An unmapped old range is refused (the fuzzer once made the new
	 * mapping overlap it). */
	assert_int_equal(SC(g, SYS_mremap, FAKE_MM_LO + (1 << 20), 1 << 20, 2 << 20, 1), -EFAULT);
	assert_int_equal(SC(g, SYS_madvise, m3, 4096, 4 /* MADV_DONTNEED */), 0);
	assert_int_equal(*gp(g, (gpa_t)m3), 0);
}

static void test_misc(void **state)
{
	struct fixture *f = *state;
	struct guest *g = &f->g;
	assert_int_equal(SC(g, 9999, 0), -ENOSYS);
	assert_int_equal(SC(g, UINT64_MAX, 0), -ENOSYS);
	assert_int_equal(SC(g, AIVISOR_SYS_VGPU_WAIT, 1000), -ENODEV);
	assert_string_equal(syscall_name(SYS_write), "write");
	assert_null(syscall_name(9999));
	assert_int_equal(SC(g, SYS_arch_prctl, 0x1002, 0x7000), 0);
	assert_int_equal(f->st.fs_base, 0x7000);
	assert_int_equal(SC(g, SYS_arch_prctl, 0x1002, 0xffff800000000000ULL), -EPERM);
	assert_int_equal(SC(g, SYS_arch_prctl, 0x9999, 0), -EINVAL);
	assert_int_equal(SC(g, SYS_uname, BUF), 0);
	assert_string_equal((char *)gp(g, BUF), "Linux");
	assert_string_equal((char *)gp(g, BUF + 4 * 65), "x86_64");
	assert_int_equal(SC(g, SYS_sched_getaffinity, 0, 128, BUF), 8);
	assert_int_equal(*(uint64_t *)gp(g, BUF), 3);
	assert_int_equal(SC(g, SYS_getrandom, BUF, 32, 0), 32);
	assert_int_equal(SC(g, SYS_getrandom, 0x1000, 32, 0), -EFAULT);
	assert_int_equal(SC(g, SYS_ioctl, 1, 0x5413, BUF), -ENOTTY);
	assert_int_equal(SC(g, SYS_prlimit64, 0, 3 /* RLIMIT_STACK */, 0, BUF), 0);
	assert_int_equal(*(uint64_t *)gp(g, BUF), 2 << 20);
	assert_int_equal(SC(g, SYS_clock_gettime, 1, BUF), 0);
	assert_true(*(int64_t *)gp(g, BUF) > 0 || *(int64_t *)gp(g, BUF + 8) > 0);
	assert_int_equal(SC(g, SYS_clock_gettime, 99, BUF), -EINVAL);
	*(int64_t *)gp(g, BUF) = 2;
	*(int64_t *)gp(g, BUF + 8) = 5;
	assert_int_equal(SC(g, SYS_nanosleep, BUF, 0), 0);
	assert_int_equal(f->st.slept_ns, 2000000005ULL);
	assert_false(g->exited);
	assert_int_equal(SC(g, SYS_exit_group, 0x1234), 0);
	assert_true(g->exited);
	assert_int_equal(g->exit_status, 0x34);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_and_writev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confinement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_table_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misc, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
