/*
 * test_vgpu_lane - the server's second lane, on a real embedded server:
 * while a normal-class tenant's GEMM runs as one long piece, a
 * high-priority tenant's commands complete at once (with one executor the
 * piece would have to end first); a tenant that hangs up while its piece
 * is in flight is detached only after the piece, and the server goes on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vgpu_client.h"
#include "vgpu_host.h"
#include "vgpu_test_server.h"

/* 1536^3 is ~7 GFLOP: tens of ms on one core, and with the longest slice
 * (30 ms, 8 chunks for a tenant alone among idle ones) and the initial
 * rate estimate one piece covers all 1536 rows. */
#define DIM 1536u
#define MAT ((uint64_t)DIM * DIM * 4)

static struct vgpu_server *server;
static char sock_path[VGPU_TEST_SOCK_MAX], spec[VGPU_TEST_SPEC_MAX];

static struct vgpu *open_tenant(const char *name, int prio, uint64_t mem)
{
	struct vgpu *g;
	char err[256];
	struct vgpu_open_opts o = { .memory_bytes = mem, .tenant = { .name = name, .prio = prio } };
	if (vgpu_open_ex(spec, &o, &g, err, sizeof(err)))
		fail_msg("open %s: %s", name, err);
	return g;
}

static int setup(void **state)
{
	(void)state;
	server = vgpu_test_server_start("vgpu-lane", 30000, sock_path, spec);
	return server ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vgpu_server_stop(server);
	return 0;
}

/* Queues one big GEMM and returns once the server has taken it. */
static void start_gemm(struct vgpu *g, uint64_t a, uint64_t b, uint64_t c)
{
	const struct vgpu_ctrl *ctrl = vgpu_ctrl(g);
	uint32_t head = __atomic_load_n(&ctrl->sq_head, __ATOMIC_ACQUIRE);
	assert_int_equal(vgpu_gemm(g, 0, DIM, DIM, DIM, 1.0f, a, DIM, b, DIM, 0.0f, c, DIM), 0);
	assert_int_equal(vgpu_submit(g), 0);
	for (int i = 0; __atomic_load_n(&ctrl->sq_head, __ATOMIC_ACQUIRE) == head; i++) {
		assert_true(i < 100000);
		usleep(50);
	}
}

static void test_high_runs_during_piece(void **state)
{
	(void)state;
	struct vgpu *hi = open_tenant("hi", VGPU_PRIO_HIGH, 1 << 20);
	struct vgpu *lo = open_tenant("lo", VGPU_PRIO_NORMAL, 4 * MAT);
	uint64_t a, b, c, x;
	assert_int_equal(vgpu_alloc(lo, MAT, &a), 0);
	assert_int_equal(vgpu_alloc(lo, MAT, &b), 0);
	assert_int_equal(vgpu_alloc(lo, MAT, &c), 0);
	float *A = vgpu_ptr(lo, a), *B = vgpu_ptr(lo, b), *C = vgpu_ptr(lo, c);
	for (uint64_t i = 0; i < (uint64_t)DIM * DIM; i++) {
		A[i] = 1.0f;
		B[i] = 0.5f;
	}
	assert_int_equal(vgpu_alloc(hi, 256, &x), 0);
	const struct vgpu_ctrl *lc = vgpu_ctrl(lo);

	/* Several rounds: each is decided by the order of two events, not
	 * by a time limit, yet one lucky round proves nothing. */
	int early = 0;
	for (int round = 0; round < 3; round++) {
		start_gemm(lo, a, b, c);
		uint32_t lo_done = __atomic_load_n(&lc->sq_done, __ATOMIC_ACQUIRE);
		assert_int_equal(vgpu_fill(hi, x, 64, (float)round), 0);
		assert_int_equal(vgpu_sync(hi), 0);
		early += __atomic_load_n(&lc->sq_done, __ATOMIC_ACQUIRE) == lo_done;
		assert_true(((float *)vgpu_ptr(hi, x))[63] == (float)round);
		assert_int_equal(vgpu_sync(lo), 0);
		/* The piece ran whole and right. */
		assert_true(C[0] == 0.5f * DIM && C[(uint64_t)DIM * DIM - 1] == 0.5f * DIM);
		C[0] = 0;
	}
	assert_int_equal(early, 3);
	/* ...and the GEMMs kept their size: about one piece each (the
	 * quarter chunks of a single executor would be ~20 each). */
	char *json, err[256];
	assert_int_equal(vgpu_stats(sock_path, &json, err, sizeof(err)), 0);
	const char *me = strstr(json, "\"name\":\"lo\"");
	const char *pc = me ? strstr(me, "\"pieces\":") : NULL;
	assert_non_null(pc);
	long pieces = strtol(pc + strlen("\"pieces\":"), NULL, 10);
	free(json);
	assert_true(pieces >= 3 && pieces <= 6);

	/* Hang up while the lane computes in the arena: the detach waits for
	 * the piece, then unmaps; the other tenant is served on. */
	start_gemm(lo, a, b, c);
	vgpu_close(lo);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(vgpu_fill(hi, x, 64, 9.0f), 0);
		assert_int_equal(vgpu_sync(hi), 0);
	}
	for (int i = 0; ; i++) {
		assert_int_equal(vgpu_stats(sock_path, &json, err, sizeof(err)), 0);
		int gone = strstr(json, "\"lo\"") == NULL;
		assert_non_null(strstr(json, "\"lane_nice_error\":0"));
		free(json);
		if (gone)
			break;
		assert_true(i < 1000);
		usleep(2000);
	}
	vgpu_close(hi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_high_runs_during_piece),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
