/*
 * test_vgpu_isolation - two tenants on one real server.  The attacker
 * crafts out-of-bounds, overflowing, aliasing and corrupt-ring input,
 * floods its doorbell and hangs up mid-work; the victim's arena is never
 * touched and its results stay correct.  Also: the server refuses windows
 * that are not sealed or whose geometry lies.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "vgpu_client.h"
#include "vgpu_host.h"
#include "vgpu_test_server.h"

#define N 64
#define PATTERN 0x5aa5c33cu

static struct vgpu_server *server;
static char sock_path[VGPU_TEST_SOCK_MAX], spec[VGPU_TEST_SPEC_MAX];

static struct vgpu *open_tenant(const char *name, uint64_t mem)
{
	struct vgpu *g;
	char err[256];
	struct vgpu_open_opts o = { .memory_bytes = mem, .tenant = { .name = name } };
	if (vgpu_open_ex(spec, &o, &g, err, sizeof(err)))
		fail_msg("open %s: %s", name, err);
	return g;
}

static int setup(void **state)
{
	(void)state;
	server = vgpu_test_server_start("vgpu-iso", 0, sock_path, spec);
	return server ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vgpu_server_stop(server);
	return 0;
}

/* The victim: a pattern over its whole arena except one GEMM's buffers. */
struct victim {
	struct vgpu *g;
	uint64_t a, b, c;
};

static void victim_start(struct victim *v)
{
	v->g = open_tenant("victim", 1 << 20);
	uint32_t *all = vgpu_ptr(v->g, 0);
	for (uint64_t i = 0; i < vgpu_arena_size(v->g) / 4; i++)
		all[i] = PATTERN;
	assert_int_equal(vgpu_alloc(v->g, N * N * 4, &v->a), 0);
	assert_int_equal(vgpu_alloc(v->g, N * N * 4, &v->b), 0);
	assert_int_equal(vgpu_alloc(v->g, N * N * 4, &v->c), 0);
}

/* Runs C = A * B with A = 1, B = 2 and checks both the result and that
 * every word outside its three buffers still holds the pattern. */
static void victim_check(struct victim *v)
{
	assert_int_equal(vgpu_fill(v->g, v->a, N * N, 1.0f), 0);
	assert_int_equal(vgpu_fill(v->g, v->b, N * N, 2.0f), 0);
	assert_int_equal(vgpu_gemm(v->g, 0, N, N, N, 1.0f, v->a, N, v->b, N, 0.0f, v->c, N), 0);
	assert_int_equal(vgpu_sync(v->g), 0);
	const float *c = vgpu_ptr(v->g, v->c);
	for (int i = 0; i < N * N; i++)
		assert_true(c[i] == 2.0f * N);
	const uint32_t *all = vgpu_ptr(v->g, 0);
	uint64_t used_end = v->c + N * N * 4;
	for (uint64_t i = used_end / 4; i < vgpu_arena_size(v->g) / 4; i++)
		if (all[i] != PATTERN)
			fail_msg("victim arena word %llu changed", (unsigned long long)i);
}

static void push_expect_error(struct vgpu *g, struct vgpu_cmd *c, unsigned *count)
{
	assert_int_equal(vgpu_push(g, c), 0);
	(*count)++;
}

static void test_hostile_commands(void **state)
{
	(void)state;
	struct victim v;
	victim_start(&v);
	struct vgpu *bad = open_tenant("attacker", 256 << 10);
	uint64_t as = vgpu_arena_size(bad);
	const uint64_t offs[] = { as, as - 4, as + 4096, UINT64_MAX, UINT64_MAX - 63,
				  (uint64_t)1 << 63, as * 2 };
	unsigned sent = 0;
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		uint64_t o = offs[i];
		struct vgpu_cmd c;
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_FILL };
		c.u.fill = (struct vgpu_op_fill){ .dst = o, .count = 16, .value = 0xdeadbeef };
		push_expect_error(bad, &c, &sent);
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_COPY };
		c.u.copy = (struct vgpu_op_copy){ .dst = 0, .src = o, .bytes = 4096 };
		push_expect_error(bad, &c, &sent);
		c.u.copy = (struct vgpu_op_copy){ .dst = o, .src = 0, .bytes = 64 };
		push_expect_error(bad, &c, &sent);
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_GEMM };
		c.u.gemm = (struct vgpu_op_gemm){ .a = 0, .b = 0, .c = o, .m = 8, .n = 8, .k = 8,
			.lda = 8, .ldb = 8, .ldc = 8, .alpha = 1 };
		push_expect_error(bad, &c, &sent);
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_GATHER_ROWS };
		c.u.gather = (struct vgpu_op_gather){ .src = 0, .idx = 1024, .dst = o, .nidx = 4,
			.cols = 4, .src_rows = 4 };
		push_expect_error(bad, &c, &sent);
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_GRAPH_RUN };
		c.u.graph = (struct vgpu_op_graph){ .cmds = o & ~63ull, .count = 4 };
		push_expect_error(bad, &c, &sent);
	}
	/* Sizes that overflow, huge counts, wrapping leading dimensions. */
	struct vgpu_cmd c = { .opcode = VGPU_OP_SCALE };
	c.u.scale = (struct vgpu_op_scale){ .src = 0, .dst = 0, .count = UINT64_MAX / 4 + 2 };
	push_expect_error(bad, &c, &sent);
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_GEMM };
	c.u.gemm = (struct vgpu_op_gemm){ .a = 0, .b = 0, .c = 4096, .m = 0xffffffffu, .n = 8,
		.k = 8, .lda = 0xffffffffu, .ldb = 8, .ldc = 8 };
	push_expect_error(bad, &c, &sent);
	/* Indices from the arena, out of range: checked as they are read. */
	int32_t *idx = vgpu_ptr(bad, 1024);
	idx[0] = 0; idx[1] = 1000000; idx[2] = -1; idx[3] = 2;
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_GATHER_ROWS };
	c.u.gather = (struct vgpu_op_gather){ .src = 0, .idx = 1024, .dst = 4096, .nidx = 4,
		.cols = 4, .src_rows = 4 };
	push_expect_error(bad, &c, &sent);
	/* A graph that contains a graph, and one whose command goes out. */
	struct vgpu_cmd *graph = vgpu_ptr(bad, 8192);
	graph[0] = (struct vgpu_cmd){ .opcode = VGPU_OP_GRAPH_RUN };
	graph[0].u.graph = (struct vgpu_op_graph){ .cmds = 8192, .count = 1 };
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_GRAPH_RUN };
	c.u.graph = (struct vgpu_op_graph){ .cmds = 8192, .count = 1 };
	push_expect_error(bad, &c, &sent);
	graph[1] = (struct vgpu_cmd){ .opcode = VGPU_OP_FILL };
	graph[1].u.fill = (struct vgpu_op_fill){ .dst = as - 8, .count = 1000 };
	c.u.graph = (struct vgpu_op_graph){ .cmds = 8192 + 64, .count = 1 };
	push_expect_error(bad, &c, &sent);

	uint64_t before = vgpu_ctrl(bad)->errors;
	assert_int_equal(vgpu_sync(bad), -EREMOTEIO);
	assert_int_equal(vgpu_ctrl(bad)->errors - before, sent);
	victim_check(&v);
	vgpu_close(bad);
	victim_check(&v);
	vgpu_close(v.g);
}

static void test_ring_jump_and_reset(void **state)
{
	(void)state;
	struct victim v;
	victim_start(&v);
	struct vgpu *bad = open_tenant("jumper", 256 << 10);
	struct vgpu_ctrl *ctrl = (struct vgpu_ctrl *)vgpu_ctrl(bad);
	/* Publish a tail far beyond the ring and lie about cq_head.  No
	 * doorbell: the victim's work makes the server scan every ring. */
	ctrl->cq_head = 0x7fffffff;
	__atomic_store_n(&ctrl->sq_tail, ctrl->sq_head + ctrl->sq_entries + 5, __ATOMIC_RELEASE);
	victim_check(&v);
	for (int i = 0; i < 200 && __atomic_load_n(&ctrl->status, __ATOMIC_ACQUIRE) == VGPU_STATUS_OK; i++) {
		victim_check(&v);
		usleep(5000);
	}
	assert_int_equal(ctrl->status, VGPU_STATUS_ERROR);
	assert_int_equal(ctrl->status_reason, VGPU_REASON_SQ_JUMP);
	/* Sticky: nothing runs until a reset, and waiting says so. */
	assert_int_equal(vgpu_nop(bad), 0);
	assert_int_equal(vgpu_sync(bad), -EIO);
	victim_check(&v);
	/* Reset alone recovers, the corrupted tail left in place: the client
	 * takes the server's post-reset head as its own tail. */
	uint32_t corrupt = __atomic_load_n(&ctrl->sq_tail, __ATOMIC_ACQUIRE);
	assert_int_equal(vgpu_reset(bad), 0);
	assert_int_equal(ctrl->status, VGPU_STATUS_OK);
	assert_int_equal(ctrl->sq_head, corrupt);
	assert_int_equal(vgpu_seq(bad), corrupt);
	uint64_t x;
	assert_int_equal(vgpu_alloc(bad, 16, &x), 0);
	assert_int_equal(vgpu_fill(bad, x, 4, 7.0f), 0);
	assert_int_equal(vgpu_sync(bad), 0);
	assert_true(((float *)vgpu_ptr(bad, x))[3] == 7.0f);
	vgpu_close(bad);
	vgpu_close(v.g);
}

static void test_flood_and_hangup(void **state)
{
	(void)state;
	struct victim v;
	victim_start(&v);
	/* A raw attachment: the flooder writes its ring and rings its
	 * doorbell eventfd itself, as fast as it can. */
	char err[256];
	struct vgpu_window w;
	struct vgpu_attachment at;
	struct vgpu_tenant_opts o = { .name = "flooder", .prio = VGPU_PRIO_HIGH, .weight = 10000 };
	assert_int_equal(vgpu_window_create(8 << 20, 0, &w, err, sizeof(err)), 0);
	assert_int_equal(vgpu_attach(sock_path, &w, &o, &at, err, sizeof(err)), 0);
	struct vgpu_ctrl *ctrl = w.base;
	struct vgpu_cmd *sq = (struct vgpu_cmd *)((uint8_t *)w.base + ctrl->sq_offset);
	const uint64_t mat = 512 * 512 * 4;
	for (int i = 0; i < 20; i++) {
		sq[i] = (struct vgpu_cmd){ .opcode = VGPU_OP_GEMM };
		sq[i].u.gemm = (struct vgpu_op_gemm){ .a = 0, .b = mat, .c = 2 * mat, .m = 512,
			.n = 512, .k = 512, .lda = 512, .ldb = 512, .ldc = 512, .alpha = 1 };
	}
	__atomic_store_n(&ctrl->sq_tail, 20, __ATOMIC_RELEASE);
	uint64_t one = 1;
	for (int i = 0; i < 100000; i++)
		assert_true(write(at.doorbell_fd, &one, sizeof(one)) == sizeof(one));
	victim_check(&v);
	/* Hang up with work still queued: detached cleanly, victim fine. */
	vgpu_detach(&at);
	vgpu_window_destroy(&w);
	victim_check(&v);
	char *json;
	/* The hang-up is handled by the server's thread: give it a moment. */
	for (int i = 0; ; i++) {
		assert_int_equal(vgpu_stats(sock_path, &json, err, sizeof(err)), 0);
		if (!strstr(json, "\"flooder\"") || i == 200)
			break;
		free(json);
		usleep(10000);
	}
	assert_non_null(strstr(json, "\"victim\""));
	assert_null(strstr(json, "\"flooder\""));
	free(json);
	vgpu_close(v.g);
}

static void test_refuse_bad_windows(void **state)
{
	(void)state;
	char err[256];
	struct vgpu_attachment at;
	/* Silent connections first: they must not lock anyone out. */
	int silent[48];
	for (int i = 0; i < 48; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
		silent[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		assert_true(silent[i] >= 0);
		assert_int_equal(connect(silent[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	/* Not sealed: a tenant could shrink it under the server. */
	int fd = memfd_create("unsealed", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	struct vgpu_window w = { .fd = fd, .size = 1 << 20 };
	assert_int_equal(vgpu_attach(sock_path, &w, NULL, &at, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "sealed"));
	close(fd);
	/* Sealed, but the control page lies about the size. */
	struct vgpu_window ok;
	assert_int_equal(vgpu_window_create(1 << 20, 0, &ok, err, sizeof(err)), 0);
	((struct vgpu_ctrl *)ok.base)->window_size = 64ull << 30;
	assert_int_equal(vgpu_attach(sock_path, &ok, NULL, &at, err, sizeof(err)), -EINVAL);
	((struct vgpu_ctrl *)ok.base)->window_size = 1 << 20;
	((struct vgpu_ctrl *)ok.base)->sq_entries = 3;   /* not a power of two */
	assert_int_equal(vgpu_attach(sock_path, &ok, NULL, &at, err, sizeof(err)), -EINVAL);
	((struct vgpu_ctrl *)ok.base)->sq_entries = VGPU_SQ_DEFAULT;
	struct vgpu_tenant_opts o = { .name = "w", .prio = 7, .weight = 1 };
	assert_int_equal(vgpu_attach(sock_path, &ok, &o, &at, err, sizeof(err)), -EINVAL);
	o.prio = VGPU_PRIO_HIGH;
	assert_int_equal(vgpu_attach(sock_path, &ok, &o, &at, err, sizeof(err)), 0);
	vgpu_detach(&at);
	vgpu_window_destroy(&ok);
	for (int i = 0; i < 48; i++)
		close(silent[i]);
}

/* Live re-weighting through the socket: by name and by id, visible in the
 * stats at once; unknown, ambiguous and out-of-range requests refused. */
static void test_set_live(void **state)
{
	(void)state;
	char err[256], *json;
	struct vgpu *a = open_tenant("setme", 256 << 10);
	struct vgpu *d1 = open_tenant("twin", 256 << 10), *d2 = open_tenant("twin", 256 << 10);
	assert_int_equal(vgpu_tenant_set(sock_path, "setme", 0, VGPU_PRIO_HIGH, 700, err, sizeof(err)), 0);
	assert_int_equal(vgpu_stats(sock_path, &json, err, sizeof(err)), 0);
	const char *me = strstr(json, "\"name\":\"setme\"");
	assert_non_null(me);
	assert_ptr_equal(strstr(json, "\"name\":\"setme\",\"prio\":\"high\",\"weight\":700,"), me);
	unsigned id = 0;
	for (const char *p = me; p > json && !id; p--)
		if (!strncmp(p, "{\"id\":", 6))
			id = (unsigned)strtoul(p + 6, NULL, 10);
	free(json);
	assert_true(id > 0);
	assert_int_equal(vgpu_tenant_set(sock_path, NULL, id, VGPU_PRIO_LOW, 3, err, sizeof(err)), 0);
	assert_int_equal(vgpu_stats(sock_path, &json, err, sizeof(err)), 0);
	assert_non_null(strstr(json, "\"name\":\"setme\",\"prio\":\"low\",\"weight\":3,"));
	free(json);
	/* Still a working tenant. */
	assert_int_equal(vgpu_nop(a), 0);
	assert_int_equal(vgpu_sync(a), 0);
	assert_int_equal(vgpu_tenant_set(sock_path, "nobody", 0, VGPU_PRIO_LOW, 3, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(vgpu_tenant_set(sock_path, NULL, 999999, VGPU_PRIO_LOW, 3, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(vgpu_tenant_set(sock_path, "twin", 0, VGPU_PRIO_LOW, 3, err, sizeof(err)),
			 -EEXIST);
	assert_int_equal(vgpu_tenant_set(sock_path, "setme", 0, VGPU_PRIO_LOW, 0, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(vgpu_tenant_set(sock_path, "setme", 0, VGPU_PRIO_LOW, 10001, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(vgpu_tenant_set(sock_path, "setme", 0, 7, 5, err, sizeof(err)), -EINVAL);
	vgpu_close(d2);
	vgpu_close(d1);
	vgpu_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_commands),
		cmocka_unit_test(test_ring_jump_and_reset),
		cmocka_unit_test(test_flood_and_hangup),
		cmocka_unit_test(test_refuse_bad_windows),
		cmocka_unit_test(test_set_live),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
