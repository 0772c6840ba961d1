/*
 * test_vgpu_chunks - the executor's row chunking: with the rate estimate
 * forced low, GEMM and GEMM_I8 (all transposes, padded leading dimensions,
 * beta != 0) run in many row bands, interleaved with a second tenant, and
 * still match a plain C reference; each band is charged to its tenant.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "sched.h"
#include "server_internal.h"

#define WINDOW (1u << 20)

static struct vgpu_server srv;
static struct tenant *ten[2];

static struct tenant *make_tenant(uint32_t id, int efd)
{
	struct tenant *t = calloc(1, sizeof(*t));
	uint8_t *win = aligned_alloc(4096, WINDOW);
	assert_non_null(t);
	assert_non_null(win);
	memset(win, 0, WINDOW);
	assert_int_equal(vgpu_layout_compute(WINDOW, 64, 64, &t->lay), 0);
	t->id = id;
	t->base = win;
	t->ctrl = (struct vgpu_ctrl *)win;
	t->sq = (const struct vgpu_cmd *)(win + t->lay.sq_offset);
	t->cq = (struct vgpu_cqe *)(win + t->lay.cq_offset);
	t->arena = win + t->lay.arena_offset;
	t->complete = efd;
	t->sock = t->doorbell = -1;
	struct sched_params p;
	sched_params_default(&p);
	assert_int_equal(sched_tenant_add(srv.sched, id, &p, NULL, 0), 0);
	return t;
}

static int setup(void **state)
{
	(void)state;
	srv.backend = &vgpu_backend_openblas;
	if (srv.backend->init(1, NULL, 0))
		return -1;
	srv.sched = sched_create(NULL);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!srv.sched || efd < 0)
		return -1;
	ten[0] = make_tenant(1, efd);
	ten[1] = make_tenant(2, efd);
	srv.tenants[0] = ten[0];
	srv.tenants[1] = ten[1];
	srv.ntenants = 2;
	return 0;
}

static void push(struct tenant *t, const struct vgpu_cmd *c)
{
	struct vgpu_cmd *sq = (struct vgpu_cmd *)t->sq;
	uint32_t tail = t->ctrl->sq_tail;
	sq[tail & (t->lay.sq_entries - 1)] = *c;
	__atomic_store_n(&t->ctrl->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

/* Runs until idle; returns the number of steps taken. */
static unsigned run_all(void)
{
	unsigned steps = 0;
	while (exec_scan(&srv, vgpu_now_ns())) {
		struct tenant *t = exec_pick(&srv, vgpu_now_ns());
		assert_non_null(t);
		exec_step(&srv, t);
		steps++;
		assert_true(steps < 100000);
	}
	return steps;
}

static float frand(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return (float)((*s >> 8) / 8388608.0 - 1.0);
}

static void gemm_case(unsigned trans)
{
	struct tenant *t = ten[0];
	const uint32_t m = 37, n = 11, k = 13;
	int ta = trans & VGPU_GEMM_TRANS_A, tb = trans & VGPU_GEMM_TRANS_B;
	uint32_t lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
	float *A = (float *)t->arena, *B = A + 4096, *C = B + 4096;
	uint32_t seed = 7 + trans;
	for (int i = 0; i < 4096; i++) {
		A[i] = frand(&seed);
		B[i] = frand(&seed);
		C[i] = frand(&seed);
	}
	double *want = calloc((size_t)m * ldc, sizeof(double));
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < ldc; j++) {
			double s = 0;
			if (j >= n) {
				want[i * ldc + j] = C[i * ldc + j];
				continue;
			}
			for (uint32_t p = 0; p < k; p++)
				s += (double)(ta ? A[p * lda + i] : A[i * lda + p]) *
				     (tb ? B[j * ldb + p] : B[p * ldb + j]);
			want[i * ldc + j] = 0.75 * s - 0.5 * C[i * ldc + j];
		}
	struct vgpu_cmd c = { .opcode = VGPU_OP_GEMM, .arg = (uint16_t)trans };
	c.u.gemm = (struct vgpu_op_gemm){ .a = 0, .b = 4096 * 4, .c = 8192 * 4, .m = m, .n = n,
		.k = k, .lda = lda, .ldb = ldb, .ldc = ldc, .alpha = 0.75f, .beta = -0.5f };
	/* A rate this low makes every chunk one row, alone (8 slices) or
	 * shared (one slice) with the other tenant's commands. */
	srv.flops_per_ns[0] = 2.0 * n * k * 1.5 / (8.0 * (double)sched_chunk_ns(srv.sched));
	struct vgpu_cmd nop = { .opcode = VGPU_OP_NOP };
	for (int i = 0; i < 8; i++)
		push(ten[1], &nop);
	uint64_t busy0 = t->busy_ns;
	push(t, &c);
	unsigned steps = run_all();
	/* It ran in pieces (a preempted piece may raise the rate estimate
	 * and merge later rows, so not necessarily row by row). */
	assert_true(steps >= 4);
	assert_true(t->busy_ns > busy0);  /* and each piece was charged */
	assert_int_equal(t->errors, 0);
	int bad = -1;
	for (uint32_t i = 0; i < m * ldc && bad < 0; i++)
		if (!(fabs(C[i] - want[i]) <= 1e-5 * (1 + fabs(want[i]))))
			bad = (int)i;
	free(want);
	if (bad >= 0)
		fail_msg("trans %u: C[%d] wrong", trans, bad);
}

static void test_gemm_chunks(void **state)
{
	(void)state;
	for (unsigned trans = 0; trans < 4; trans++)
		gemm_case(trans);
}

static void test_gemm_i8_chunks(void **state)
{
	(void)state;
	struct tenant *t = ten[0];
	const uint32_t m = 29, n = 7, k = 19;
	int8_t *A = (int8_t *)t->arena, *B = A + 1024;
	float *sc = (float *)(t->arena + 2048), *bias = sc + 2, *C = (float *)(t->arena + 4096);
	uint32_t seed = 99;
	for (int i = 0; i < 1024; i++) {
		A[i] = (int8_t)(frand(&seed) * 127);
		B[i] = (int8_t)(frand(&seed) * 127);
	}
	sc[0] = 0.5f;
	sc[1] = 0.25f;
	for (uint32_t j = 0; j < n; j++)
		bias[j] = (float)j;
	for (unsigned tb = 0; tb < 2; tb++) {
		struct vgpu_cmd c = { .opcode = VGPU_OP_GEMM_I8, .arg = tb ? VGPU_GEMM_TRANS_B : 0 };
		c.u.gemm_i8 = (struct vgpu_op_gemm_i8){ .a = 0, .b = 1024, .c = 4096, .scales = 2048,
			.bias = 2048 + 8, .m = m, .n = n, .k = k };
		srv.flops_per_ns[1] = 2.0 * n * k / (8.0 * (double)sched_chunk_ns(srv.sched));
		struct vgpu_cmd nop = { .opcode = VGPU_OP_NOP };
		for (int i = 0; i < 8; i++)
			push(ten[1], &nop);
		push(t, &c);
		assert_true(run_all() >= 4);
		for (uint32_t i = 0; i < m; i++)
			for (uint32_t j = 0; j < n; j++) {
				int32_t acc = 0;
				for (uint32_t p = 0; p < k; p++)
					acc += A[i * k + p] * (tb ? B[j * k + p] : B[p * n + j]);
				float want = 0.125f * (float)acc + (float)j;
				assert_true(C[i * n + j] == want);
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gemm_chunks),
		cmocka_unit_test(test_gemm_i8_chunks),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
