/*
 * test_ivshmem_proto.c - the ivshmem server messages, checked over a real
 * socket pair the way QEMU reads them: values, byte order, and that the
 * descriptors that arrive are the very objects the server holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ivshmem_proto.h"

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void same_file(int a, int b)
{
	struct stat sa, sb;
	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_true(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

static void test_greeting_order_values_and_fds(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	int shm = memfd_create("t", MFD_CLOEXEC);
	assert_true(shm >= 0);
	assert_int_equal(ftruncate(shm, 65536), 0);
	int bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int done = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(bell >= 0 && done >= 0);

	assert_int_equal(ivshmem_proto_greet(sv[0], shm, bell, done), 0);

	const int64_t want[] = { IVSHMEM_PROTO_VERSION, IVSHMEM_PEER_GUEST, IVSHMEM_SHM_MSG,
				 IVSHMEM_PEER_VGPU, IVSHMEM_PEER_GUEST };
	const int want_fd[] = { -1, -1, shm, bell, done };
	int got_fd[5];
	for (int i = 0; i < 5; i++) {
		int64_t v;
		assert_int_equal(ivshmem_proto_recv(sv[1], &v, &got_fd[i]), 0);
		assert_int_equal(v, want[i]);
		if (want_fd[i] < 0)
			assert_int_equal(got_fd[i], -1);
		else
			same_file(got_fd[i], want_fd[i]);
	}
	/* A doorbell written on QEMU's side reaches the server's eventfd. */
	uint64_t one = 1, v = 0;
	assert_int_equal(write(got_fd[3], &one, 8), 8);
	assert_int_equal(read(bell, &v, 8), 8);
	assert_int_equal(v, 1);
	/* The server's completion signal reaches QEMU's vector. */
	assert_int_equal(write(done, &one, 8), 8);
	assert_int_equal(read(got_fd[4], &v, 8), 8);
	/* Memory written through the received shm fd is the window. */
	uint32_t *a = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	uint32_t *b = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, got_fd[2], 0);
	assert_true(a != MAP_FAILED && b != MAP_FAILED);
	b[100] = 0xfeedbeef;
	assert_int_equal(a[100], 0xfeedbeef);
	munmap(a, 65536);
	munmap(b, 65536);

	/* Nothing more was sent: the next read sees the end. */
	close(sv[0]);
	int64_t x;
	int fd;
	assert_int_equal(ivshmem_proto_recv(sv[1], &x, &fd), -EPIPE);
	for (int i = 2; i < 5; i++)
		close(got_fd[i]);
	close(sv[1]);
	close(shm);
	close(bell);
	close(done);
}

static void test_little_endian_on_the_wire(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	assert_int_equal(ivshmem_proto_send(sv[0], 0x0102030405060708ll, -1), 0);
	assert_int_equal(ivshmem_proto_send(sv[0], -1, -1), 0);
	uint8_t raw[16];
	assert_int_equal(read(sv[1], raw, sizeof raw), 16);
	const uint8_t want[16] = { 8, 7, 6, 5, 4, 3, 2, 1,
				   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	assert_memory_equal(raw, want, 16);
	close(sv[0]);
	close(sv[1]);
}

static void test_short_message_is_a_protocol_error(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	assert_int_equal(write(sv[0], "abc", 3), 3);
	close(sv[0]);
	int64_t v;
	int fd;
	assert_int_equal(ivshmem_proto_recv(sv[1], &v, &fd), -EPROTO);
	assert_int_equal(fd, -1);
	close(sv[1]);
}

static void test_send_to_a_gone_peer_fails_without_sigpipe(void **state)
{
	(void)state;
	int sv[2];
	pair(sv);
	close(sv[1]);
	int bell = eventfd(0, EFD_CLOEXEC);
	/* MSG_NOSIGNAL: a QEMU that went away is an error, not a dead bridge. */
	assert_int_equal(ivshmem_proto_greet(sv[0], bell, bell, bell), -EPIPE);
	close(bell);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_order_values_and_fds),
		cmocka_unit_test(test_little_endian_on_the_wire),
		cmocka_unit_test(test_short_message_is_a_protocol_error),
		cmocka_unit_test(test_send_to_a_gone_peer_fails_without_sigpipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
