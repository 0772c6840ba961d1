/*
 * test_ivshmem_bridge.c - the bridge against the real vGPU server (run
 * embedded in this process), with the test playing QEMU: it reads the
 * greeting, maps the window, queues a command and rings the doorbell
 * through the received eventfd; then checks one QEMU per socket, a fresh
 * window per session, and that the bridge stops when the server goes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../bridge.h"
#include "../ivshmem_proto.h"
#include "vgpu_abi.h"

#define WIN_SIZE (1u << 20)

struct fixture {
	char dir[64], vsock[96], bsock[96];
	struct vgpu_server *server;
	struct ivshmem_bridge *bridge;
	pthread_t thread;
	volatile sig_atomic_t stop;
	int run_rc;
	char run_err[256];
	sigset_t waitmask;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void *run_bridge(void *arg)
{
	struct fixture *f = arg;
	f->run_rc = ivshmem_bridge_run(f->bridge, &f->waitmask, &f->stop, f->run_err,
				       sizeof f->run_err);
	return NULL;
}

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof f);
	snprintf(f.dir, sizeof f.dir, "/tmp/ivshmem-bridge.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.vsock, sizeof f.vsock, "%s/vgpu.sock", f.dir);
	snprintf(f.bsock, sizeof f.bsock, "%s/tenant.sock", f.dir);
	char err[256];
	struct vgpu_server_config sc = { .socket_path = f.vsock, .threads = 1 };
	assert_int_equal(vgpu_server_start(&sc, &f.server, err, sizeof err), 0);

	struct ivshmem_bridge_config bc = {
		.listen_path = f.bsock, .vgpu_socket = f.vsock, .window_size = WIN_SIZE,
		.tenant = { .name = "bridge-test" },
		.socket_uid = (uid_t)-1, .socket_gid = (gid_t)-1,
	};
	assert_int_equal(ivshmem_bridge_open(&bc, &f.bridge, err, sizeof err), 0);

	/* The bridge thread sleeps in ppoll with SIGUSR1 unblocked only there. */
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &f.waitmask);
	sigdelset(&f.waitmask, SIGUSR1);
	assert_int_equal(pthread_create(&f.thread, NULL, run_bridge, &f), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	f->stop = 1;
	pthread_kill(f->thread, SIGUSR1);
	pthread_join(f->thread, NULL);
	ivshmem_bridge_close(f->bridge);
	if (f->server)
		vgpu_server_stop(f->server);
	rmdir(f->dir);
	return 0;
}

static int connect_qemu(const char *path)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
	return s;
}

struct session {
	int sock, shm, bell, done;
	struct vgpu_ctrl *ctrl;
	ino_t ino;
};

/* Returns -EPIPE when the bridge refused the connection (busy). */
static int try_greet(struct fixture *f, struct session *s)
{
	s->sock = connect_qemu(f->bsock);
	int64_t v[5];
	int fd[5];
	for (int i = 0; i < 5; i++) {
		int rc = ivshmem_proto_recv(s->sock, &v[i], &fd[i]);
		if (rc == -EPIPE && i == 0) {
			close(s->sock);
			return rc;
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(v[0], 0);
	assert_int_equal(v[1], IVSHMEM_PEER_GUEST);
	assert_int_equal(v[2], -1);
	assert_int_equal(v[3], IVSHMEM_PEER_VGPU);
	assert_int_equal(v[4], IVSHMEM_PEER_GUEST);
	s->shm = fd[2], s->bell = fd[3], s->done = fd[4];
	struct stat st;
	assert_int_equal(fstat(s->shm, &st), 0);
	assert_int_equal(st.st_size, WIN_SIZE);
	s->ino = st.st_ino;
	s->ctrl = mmap(NULL, WIN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->shm, 0);
	assert_true(s->ctrl != MAP_FAILED);
	assert_int_equal(s->ctrl->magic, VGPU_MAGIC);
	return 0;
}

static void greet(struct fixture *f, struct session *s)
{
	assert_int_equal(try_greet(f, s), 0);
}

static void end_session(struct session *s)
{
	munmap(s->ctrl, WIN_SIZE);
	close(s->sock);
	close(s->shm);
	close(s->bell);
	close(s->done);
}

/* FILL 256 floats with 2.5 through the ring, as a guest would. */
static void fill_through_ring(struct session *s)
{
	struct vgpu_ctrl *c = s->ctrl;
	struct vgpu_cmd *sq = (struct vgpu_cmd *)((uint8_t *)c + c->sq_offset);
	float *arena = (float *)((uint8_t *)c + c->arena_offset);
	uint32_t tail = c->sq_tail;
	float pattern = 2.5f;
	struct vgpu_cmd cmd = { .opcode = VGPU_OP_FILL };
	cmd.u.fill.dst = 0;
	cmd.u.fill.count = 256;
	memcpy(&cmd.u.fill.value, &pattern, 4);
	sq[tail & (c->sq_entries - 1)] = cmd;
	__atomic_store_n(&c->sq_tail, tail + 1, __ATOMIC_RELEASE);
	uint64_t one = 1;
	assert_int_equal(write(s->bell, &one, 8), 8);   /* what QEMU does on a doorbell write */
	for (int i = 0; i < 5000 && (int32_t)(__atomic_load_n(&c->sq_done, __ATOMIC_ACQUIRE) - (tail + 1)) < 0; i++)
		usleep(1000);
	assert_int_equal(c->sq_done, tail + 1);
	assert_int_equal(c->errors, 0);
	assert_true(arena[0] == 2.5f && arena[255] == 2.5f);
}

static void wait_sessions(struct fixture *f, uint64_t n)
{
	for (int i = 0; i < 2000 && ivshmem_bridge_sessions(f->bridge) < n; i++)
		usleep(1000);
	assert_int_equal(ivshmem_bridge_sessions(f->bridge), n);
}

static void test_guest_commands_reach_the_server(void **state)
{
	struct fixture *f = *state;
	struct session s;
	greet(f, &s);
	wait_sessions(f, 1);
	fill_through_ring(&s);

	/* A second QEMU on the same socket gets nothing: end of stream. */
	int other = connect_qemu(f->bsock);
	int64_t v;
	int fd;
	struct timeval tv = { 5, 0 };
	setsockopt(other, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	assert_int_equal(ivshmem_proto_recv(other, &v, &fd), -EPIPE);
	close(other);
	assert_int_equal(ivshmem_bridge_sessions(f->bridge), 1);

	/* QEMU goes away; the next one gets a fresh, clean window. */
	ino_t first = s.ino;
	end_session(&s);
	struct session s2;
	int rc = -EPIPE;
	for (int i = 0; i < 100 && rc; i++) {   /* refused until it saw the hang-up */
		rc = try_greet(f, &s2);
		if (rc)
			usleep(10000);
	}
	assert_int_equal(rc, 0);
	wait_sessions(f, 2);
	assert_true(s2.ino != first);
	assert_int_equal(s2.ctrl->sq_tail, 0);
	assert_int_equal(s2.ctrl->commands, 0);
	fill_through_ring(&s2);
	end_session(&s2);
}

static void test_bridge_stops_when_the_server_goes(void **state)
{
	struct fixture *f = *state;
	vgpu_server_stop(f->server);
	f->server = NULL;
	pthread_join(f->thread, NULL);
	assert_int_equal(f->run_rc, -ECONNRESET);
	assert_non_null(strstr(f->run_err, "vGPU server"));
	/* teardown joins again: give it a thread that returns at once. */
	f->stop = 1;
	assert_int_equal(pthread_create(&f->thread, NULL, run_bridge, f), 0);
}

static void test_bad_configs(void **state)
{
	(void)state;
	struct ivshmem_bridge *b;
	char err[256];
	struct ivshmem_bridge_config c = { .listen_path = "/tmp/x.sock", .window_size = 3 << 20,
					   .vgpu_socket = "/nonexistent.sock" };
	assert_int_equal(ivshmem_bridge_open(&c, &b, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "power of two"));
	c.window_size = 1 << 20;
	c.listen_path = "";
	assert_int_equal(ivshmem_bridge_open(&c, &b, err, sizeof err), -EINVAL);
	c.listen_path = "/tmp/x.sock";
	assert_true(ivshmem_bridge_open(&c, &b, err, sizeof err) < 0);
	assert_non_null(strstr(err, "/nonexistent.sock"));
	assert_int_equal(access("/tmp/x.sock", F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_guest_commands_reach_the_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge_stops_when_the_server_goes, setup, teardown),
		cmocka_unit_test(test_bad_configs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
