/*
 * Unit tests: the socket endpoint (control/libvirt/lv_endpoint.c) with real
 * UNIX sockets and its own thread: many clients side by side, silent and
 * hostile clients dropped without disturbing others, read-only socket,
 * client limit, clean stop.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "lv_endpoint.h"
#include "lv_memstore.h"
#include "lv_rpc.h"

struct fx {
	char dir[64], rw[128], ro[128];
	struct lv_memstore *m;
	struct lv_backend be;
	struct lv_endpoint *ep;
};

static int start(void **state, int idle_ms, unsigned max_clients)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	snprintf(f->dir, sizeof(f->dir), "/tmp/lvep.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->rw, sizeof(f->rw), "%s/sock", f->dir);
	snprintf(f->ro, sizeof(f->ro), "%s/sock-ro", f->dir);
	f->m = lv_memstore_new();
	lv_memstore_backend(f->m, &f->be);
	struct lv_endpoint_opts o = { f->rw, f->ro, idle_ms, max_clients };
	if (lv_endpoint_start(&o, &f->be, &f->ep, err, sizeof(err)))
		fail_msg("start: %s", err);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return start(state, 400, 8);
}

/* for tests whose clients wait longer than 400 ms without sending */
static int setup_patient(void **state)
{
	return start(state, 10000, 8);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	lv_endpoint_stop(f->ep);
	assert_int_equal(access(f->rw, F_OK), -1);	/* sockets removed */
	assert_int_equal(access(f->ro, F_OK), -1);
	lv_memstore_free(f->m);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void send_call(int fd, int32_t proc, uint32_t serial, const struct lv_xdr_wr *args)
{
	struct lv_xdr_wr p;
	struct lv_hdr h = { LV_PROG_REMOTE, 1, proc, LV_CALL, serial, 0 };
	lv_xdr_wr_init(&p, LV_PACKET_MAX);
	lv_rpc_put_packet(&p, &h, LV_CALL, 0, args ? args->buf : NULL, args ? args->len : 0);
	send_all(fd, p.buf, p.len);
	lv_xdr_wr_free(&p);
}

/* Reads one packet within timeout_ms; returns its length, 0 on EOF, -1 on timeout. */
static ssize_t recv_packet(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	size_t have = 0, want = 4;
	while (have < want) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		ssize_t n = recv(fd, buf + have, want - have, 0);
		if (n <= 0)
			return n == 0 ? 0 : -1;
		have += (size_t)n;
		if (have == 4) {
			want = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
			assert_true(want >= 28 && want <= cap);
		}
	}
	return (ssize_t)have;
}

/* A GET_VERSION round trip on fd; asserts a successful reply. */
static void version_ok(int fd, uint32_t serial)
{
	uint8_t buf[256];
	send_call(fd, 4, serial, NULL);
	ssize_t n = recv_packet(fd, buf, sizeof(buf), 2000);
	assert_int_equal(n, 36);
	assert_int_equal(buf[23], serial & 0xff);
	assert_int_equal(buf[27], LV_STATUS_OK);
}

static void open_conn(int fd, uint32_t serial)
{
	struct lv_xdr_wr a;
	uint8_t buf[256];
	lv_xdr_wr_init(&a, 256);
	lv_xdr_put_opt_cstring(&a, "aivisor:///system");
	lv_xdr_put_u32(&a, 0);
	send_call(fd, 1, serial, &a);
	assert_int_equal(recv_packet(fd, buf, sizeof(buf), 2000), 28);
	lv_xdr_wr_free(&a);
}

static void silent_client_does_not_block_others(void **state)
{
	struct fx *f = *state;
	int silent = connect_to(f->rw);
	int half = connect_to(f->rw);
	send_all(half, "\x00\x00\x01\x00\x20\x00", 6);	/* a partial packet, then nothing */
	int c = connect_to(f->rw);
	open_conn(c, 0);
	version_ok(c, 1);
	version_ok(c, 2);
	close(c);
	close(half);
	close(silent);
}

static void idle_connection_is_closed(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64];
	int silent = connect_to(f->rw);
	int slow = connect_to(f->rw);
	send_all(slow, "\x00\x00", 2);	/* starts a packet it never finishes */
	/* idle timeout is 400 ms: both get EOF well within 3 s */
	assert_int_equal(recv_packet(silent, buf, sizeof(buf), 3000), 0);
	assert_int_equal(recv_packet(slow, buf, sizeof(buf), 3000), 0);
	close(silent);
	close(slow);
}

static void keepalive_keeps_connection(void **state)
{
	struct fx *f = *state;
	static const uint8_t ping[] = { 0, 0, 0, 0x1c, 0x6b, 0x65, 0x65, 0x70, 0, 0, 0, 1, 0, 0, 0, 1,
					0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t buf[64];
	int c = connect_to(f->rw);
	/* pinging every 200 ms for 1.2 s (3 idle timeouts) keeps it open */
	for (int i = 0; i < 6; i++) {
		usleep(200 * 1000);
		send_all(c, ping, sizeof(ping));
		assert_int_equal(recv_packet(c, buf, sizeof(buf), 2000), 28);
		assert_int_equal(buf[15], 2);	/* PONG */
	}
	open_conn(c, 0);
	version_ok(c, 1);
	close(c);
}

static void bad_length_closes_only_that_client(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64];
	int good = connect_to(f->rw);
	open_conn(good, 0);
	int bad = connect_to(f->rw);
	send_all(bad, "\xff\xff\xff\xff", 4);	/* 4 GiB packet */
	assert_int_equal(recv_packet(bad, buf, sizeof(buf), 2000), 0);
	int tiny = connect_to(f->rw);
	send_all(tiny, "\x00\x00\x00\x04", 4);	/* shorter than a header */
	assert_int_equal(recv_packet(tiny, buf, sizeof(buf), 2000), 0);
	int big = connect_to(f->rw);
	send_all(big, "\x01\x00\x00\x04", 4);	/* 16 MiB: over our call limit */
	assert_int_equal(recv_packet(big, buf, sizeof(buf), 2000), 0);
	version_ok(good, 1);
	close(good);
	close(bad);
	close(tiny);
	close(big);
}

static void read_only_socket_refuses_define(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	uint8_t buf[1024];
	int c = connect_to(f->ro);
	open_conn(c, 0);
	lv_xdr_wr_init(&a, 4096);
	lv_xdr_put_cstring(&a, "<domain type='aivisor'><name>x</name><memory>65536</memory><os><kernel>/p</kernel></os></domain>");
	send_call(c, 11, 1, &a);
	ssize_t n = recv_packet(c, buf, sizeof(buf), 2000);
	assert_true(n > 36);
	assert_int_equal(buf[27], LV_STATUS_ERROR);
	assert_int_equal(buf[31], LV_ERR_OPERATION_DENIED);
	version_ok(c, 2);	/* reads still work */
	lv_xdr_wr_free(&a);
	close(c);
}

static void pipelined_calls_all_answered(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	int c = connect_to(f->rw);
	open_conn(c, 0);
	for (uint32_t s = 1; s <= 40; s++)
		send_call(c, 4, s, NULL);
	for (uint32_t s = 1; s <= 40; s++) {
		assert_int_equal(recv_packet(c, buf, sizeof(buf), 2000), 36);
		assert_int_equal(buf[23], s);
	}
	close(c);
}

static void client_limit(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64];
	int fds[8];
	for (int i = 0; i < 8; i++) {
		fds[i] = connect_to(f->rw);
		open_conn(fds[i], 0);	/* each one accepted and served */
	}
	int extra = connect_to(f->rw);
	assert_int_equal(recv_packet(extra, buf, sizeof(buf), 2000), 0);	/* ninth: closed */
	close(extra);
	version_ok(fds[0], 1);
	for (int i = 0; i < 8; i++)
		close(fds[i]);
}

static void read_only_clients_cannot_take_every_slot(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64];
	int fds[6];
	for (int i = 0; i < 6; i++) {	/* 8 slots, 2 reserved for read-write */
		fds[i] = connect_to(f->ro);
		open_conn(fds[i], 0);
	}
	int extra = connect_to(f->ro);
	assert_int_equal(recv_packet(extra, buf, sizeof(buf), 2000), 0);
	close(extra);
	int rw = connect_to(f->rw);	/* root still gets in */
	open_conn(rw, 0);
	version_ok(rw, 1);
	close(rw);
	for (int i = 0; i < 6; i++)
		close(fds[i]);
}

/* Reads packets until one is a lifecycle event; returns its event number, -1 if none in time. */
static int next_event(int fd, char *name, size_t namesz, int32_t *detail)
{
	uint8_t buf[512];
	for (;;) {
		ssize_t n = recv_packet(fd, buf, sizeof(buf), 3000);
		if (n <= 0)
			return -1;
		struct lv_xdr_rd r;
		struct lv_hdr h;
		lv_xdr_rd_init(&r, buf, (size_t)n);
		assert_true(lv_rpc_decode_hdr(&r, (size_t)n, &h));
		if (h.proc != 318)
			continue;
		assert_int_equal(h.type, LV_MESSAGE);
		int32_t cb, id, ev;
		unsigned char uuid[16];
		assert_true(lv_xdr_get_i32(&r, &cb) && lv_xdr_get_cstring(&r, name, namesz) &&
			    lv_xdr_get_fixed(&r, uuid, 16) && lv_xdr_get_i32(&r, &id) && lv_xdr_get_i32(&r, &ev) &&
			    lv_xdr_get_i32(&r, detail));
		return ev;
	}
}

static void lifecycle_events_reach_listeners(void **state)
{
	struct fx *f = *state;
	struct lv_xdr_wr a;
	uint8_t buf[512];
	char name[64];
	int32_t detail;
	lv_xdr_wr_init(&a, 4096);
	int listener = connect_to(f->ro);	/* read-only clients may listen */
	open_conn(listener, 0);
	lv_xdr_put_i32(&a, 0);
	lv_xdr_put_u32(&a, 0);
	send_call(listener, 316, 1, &a);
	assert_int_equal(recv_packet(listener, buf, sizeof(buf), 2000), 32);

	int actor = connect_to(f->rw);
	open_conn(actor, 0);
	a.len = 0;
	lv_xdr_put_cstring(&a, "<domain type='aivisor'><name>ev1</name><memory>65536</memory><os><kernel>/p</kernel></os></domain>");
	send_call(actor, 11, 1, &a);
	ssize_t n = recv_packet(actor, buf, sizeof(buf), 2000);
	assert_true(n > 28);
	assert_int_equal(buf[27], LV_STATUS_OK);
	/* start it by the reference the define returned */
	a.len = 0;
	lv_xdr_put_fixed(&a, buf + 28, (size_t)n - 28);
	send_call(actor, 9, 2, &a);
	assert_int_equal(recv_packet(actor, buf, sizeof(buf), 2000), 28);

	assert_int_equal(next_event(listener, name, sizeof(name), &detail), 0);	/* defined */
	assert_string_equal(name, "ev1");
	assert_int_equal(next_event(listener, name, sizeof(name), &detail), 2);	/* started */
	assert_int_equal(detail, 0);
	lv_xdr_wr_free(&a);
	close(actor);
	close(listener);
}

static void refuses_a_socket_in_use(void **state)
{
	struct fx *f = *state;
	struct lv_endpoint *second;
	char err[256] = "";
	struct lv_endpoint_opts o = { f->rw, "", 0, 0 };
	assert_int_equal(lv_endpoint_start(&o, &f->be, &second, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in use"));
	int c = connect_to(f->rw);	/* the first one still serves */
	open_conn(c, 0);
	close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(silent_client_does_not_block_others, setup, teardown),
		cmocka_unit_test_setup_teardown(idle_connection_is_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(keepalive_keeps_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_length_closes_only_that_client, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only_socket_refuses_define, setup, teardown),
		cmocka_unit_test_setup_teardown(pipelined_calls_all_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(client_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only_clients_cannot_take_every_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(lifecycle_events_reach_listeners, setup_patient, teardown),
		cmocka_unit_test_setup_teardown(refuses_a_socket_in_use, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
