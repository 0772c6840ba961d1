/*
 * test_ivshmem_client.c - discovery and mapping of the ivshmem device, on
 * a sysfs-shaped directory tree of ordinary files (same names, same
 * contents format, BAR files whose size is the BAR's size), plus the
 * bounded wait.  The real device is exercised by the QEMU integration test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../client_ivshmem.h"

static char root[64];

static void put(const char *dev, const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root, dev);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%s/%s", root, dev, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void put_str(const char *dev, const char *name, const char *s)
{
	put(dev, name, s, strlen(s));
}

static void put_device(const char *dev, const char *vendor, const char *device,
		       size_t bar0, size_t bar2)
{
	put_str(dev, "vendor", vendor);
	put_str(dev, "device", device);
	put_str(dev, "enable", "0\n");
	uint8_t *ff = malloc(bar0 > bar2 ? bar0 : bar2);
	memset(ff, 0xff, bar0 > bar2 ? bar0 : bar2);
	if (bar0)
		put(dev, "resource0", ff, bar0);
	if (bar2)
		put(dev, "resource2", ff, bar2);
	free(ff);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/ivshmem-sysfs.XXXXXX");
	assert_non_null(mkdtemp(root));
	put_device("0000:00:01.0", "0x8086\n", "0x1237\n", 256, 4096);
	put_device("0000:00:05.0", "0x1af4\n", "0x1110\n", 256, 1 << 20);
	put_device("0000:00:04.0", "0x1af4\n", "0x1110\n", 256, 1 << 16);
	put_device("0000:00:06.0", "0x1af4\n", "0x1110\n", 8, 1 << 16);
	put_device("0000:00:07.0", "0x1af4\n", "0x1110\n", 256, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd);
}

static void read_file(const char *dev, const char *name, void *buf, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s/%s", root, dev, name);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void test_discovers_lowest_address_maps_and_enables(void **state)
{
	(void)state;
	struct ivshmem_client c;
	char err[256] = "";
	assert_int_equal(ivshmem_client_open(NULL, root, &c, err, sizeof err), 0);
	assert_non_null(strstr(c.dir, "0000:00:04.0"));
	assert_int_equal(c.window_size, 1 << 16);
	assert_int_equal(c.regs_size, 256);
	char en[2];
	read_file("0000:00:04.0", "enable", en, 1);
	assert_int_equal(en[0], '1');

	/* The window is the BAR2 file, shared. */
	((uint8_t *)c.window)[4095] = 0x5a;
	ivshmem_client_ring(&c);
	ivshmem_client_close(&c);
	uint8_t page[4096];
	read_file("0000:00:04.0", "resource2", page, sizeof page);
	assert_int_equal(page[4095], 0x5a);
	/* Doorbell: peer 0, vector 0 stored at offset 12; neighbours untouched. */
	uint8_t regs[16];
	read_file("0000:00:04.0", "resource0", regs, sizeof regs);
	const uint8_t want[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				   0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	assert_memory_equal(regs, want, 16);
}

static void test_named_device(void **state)
{
	(void)state;
	char dir[128], err[256] = "";
	struct ivshmem_client c;
	snprintf(dir, sizeof dir, "%s/0000:00:05.0", root);
	assert_int_equal(ivshmem_client_open(dir, NULL, &c, err, sizeof err), 0);
	assert_int_equal(c.window_size, 1 << 20);
	ivshmem_client_close(&c);

	snprintf(dir, sizeof dir, "%s/0000:00:01.0", root);
	assert_int_equal(ivshmem_client_open(dir, NULL, &c, err, sizeof err), -ENODEV);
	assert_non_null(strstr(err, "not an ivshmem device"));
}

static void test_bad_bars_are_refused_with_a_reason(void **state)
{
	(void)state;
	char dir[128], err[256] = "";
	struct ivshmem_client c;
	snprintf(dir, sizeof dir, "%s/0000:00:06.0", root);   /* registers too small */
	assert_int_equal(ivshmem_client_open(dir, NULL, &c, err, sizeof err), -ENODEV);
	assert_non_null(strstr(err, "resource0"));
	snprintf(dir, sizeof dir, "%s/0000:00:07.0", root);   /* no shared memory BAR */
	assert_int_equal(ivshmem_client_open(dir, NULL, &c, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "resource2"));
	assert_null(c.regs);
}

static void test_no_device(void **state)
{
	(void)state;
	char empty[] = "/tmp/ivshmem-empty.XXXXXX", err[256] = "";
	assert_non_null(mkdtemp(empty));
	struct ivshmem_client c;
	assert_int_equal(ivshmem_client_open(NULL, empty, &c, err, sizeof err), -ENODEV);
	assert_non_null(strstr(err, "1af4:1110"));
	rmdir(empty);
	assert_true(ivshmem_client_open(NULL, "/nonexistent-sysfs", &c, err, sizeof err) < 0);
}

static int calls;
static bool done_after_300(void *arg)
{
	(void)arg;
	return ++calls >= 300;
}
static bool never(void *arg)
{
	(void)arg;
	return false;
}

static void test_wait_spins_then_polls_and_times_out(void **state)
{
	(void)state;
	calls = 0;
	/* 100 spins, then 200 naps from 10 us doubling to 1 ms: ~0.2 s. */
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(ivshmem_client_wait(done_after_300, NULL, 100, 10000, -1), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(calls, 300);
	double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	assert_true(ms >= 150 && ms < 5000);   /* backed off: not 200 x 10 us */

	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(ivshmem_client_wait(never, NULL, 1000, 0, 30000000), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	assert_true(ms >= 30 && ms < 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovers_lowest_address_maps_and_enables),
		cmocka_unit_test(test_named_device),
		cmocka_unit_test(test_bad_bars_are_refused_with_a_reason),
		cmocka_unit_test(test_no_device),
		cmocka_unit_test(test_wait_spins_then_polls_and_times_out),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
