/*
 * test_vgpu_cuda_outputs.c - the CUDA backend's map from a command to the
 * arena spans it checks for NaN/infinity covers exactly the elements the
 * CPU backend checks (cpu_ops_check_outputs), for every opcode with an
 * fp32 output, on commands the server's validator accepts (vgpu_validate:
 * the range checks are the server's, reused here, not repeated), including
 * GEMM row chunks and padded leading dimensions.  No GPU needed.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../vgpu/backend/cpu_ops.h"
#include "../../vgpu/backend/cuda_outputs.h"
#include "../../vgpu/server/validate.h"

#define ARENA 16384u

static int covered(const struct cuda_span *o, int n, uint64_t byte)
{
	for (int i = 0; i < n; i++) {
		if (byte < o[i].off || byte % 4)
			continue;
		uint64_t el = (byte - o[i].off) / 4, r = el / o[i].ld, c = el % o[i].ld;
		if (r < o[i].rows && c < o[i].cols)
			return 1;
	}
	return 0;
}

/* For every float slot of the arena: a NaN there fails the CPU check iff
 * the CUDA spans cover it. */
static void same_coverage(const struct vgpu_cmd *c, uint32_t rb, uint32_t re)
{
	static float arena[ARENA / 4];
	assert_int_equal(vgpu_validate(c, ARENA, 0), VGPU_OK);
	struct cuda_span o[1];
	int n = cuda_outputs_flagged(c, rb, re, o);
	memset(arena, 0, sizeof arena);
	for (uint64_t i = 0; i < ARENA / 4; i++) {
		arena[i] = NAN;
		int cpu = cpu_ops_check_outputs((uint8_t *)arena, c, rb, re) == VGPU_E_NONFINITE;
		arena[i] = 0.0f;
		if (cpu != covered(o, n, i * 4))
			fail_msg("opcode %u: float %llu: cpu checks %d, cuda checks %d", c->opcode,
				 (unsigned long long)i, cpu, !cpu);
	}
}

static struct vgpu_cmd cmd(unsigned op, unsigned arg)
{
	struct vgpu_cmd c = { .opcode = (uint8_t)op, .flags = VGPU_CMD_F_CHECK_FINITE,
			      .arg = (uint16_t)arg };
	return c;
}

static void test_gemms(void **state)
{
	(void)state;
	for (unsigned tr = 0; tr < 4; tr++) {
		struct vgpu_cmd c = cmd(VGPU_OP_GEMM, tr);
		c.u.gemm = (struct vgpu_op_gemm){ .a = 0, .b = 1024, .c = 4096, .m = 9, .n = 5,
						  .k = 7, .lda = 10, .ldb = 9, .ldc = 8,
						  .alpha = 1, .beta = 0 };
		same_coverage(&c, 0, 9);
		same_coverage(&c, 2, 5);
		same_coverage(&c, 8, 9);
	}
	struct vgpu_cmd c = cmd(VGPU_OP_GEMM_I8, VGPU_GEMM_TRANS_B);
	c.u.gemm_i8 = (struct vgpu_op_gemm_i8){ .a = 0, .b = 256, .c = 1024, .scales = 2048,
						.bias = 2056, .m = 6, .n = 7, .k = 5 };
	same_coverage(&c, 0, 6);
	same_coverage(&c, 3, 4);
}

static void test_row_ops(void **state)
{
	(void)state;
	struct vgpu_cmd c = cmd(VGPU_OP_BIAS_ADD, 0);
	c.u.bias_add = (struct vgpu_op_bias_add){ .x = 64, .bias = 4096, .rows = 7, .cols = 9 };
	same_coverage(&c, 0, 0);
	c = cmd(VGPU_OP_BIAS_GRAD, 0);
	c.u.bias_grad = (struct vgpu_op_bias_grad){ .dy = 64, .db = 4096, .rows = 7, .cols = 9 };
	same_coverage(&c, 0, 0);
	c = cmd(VGPU_OP_SOFTMAX, 0);
	c.u.softmax = (struct vgpu_op_softmax){ .src = 64, .dst = 4096, .rows = 3, .cols = 11 };
	same_coverage(&c, 0, 0);
	c = cmd(VGPU_OP_SOFTMAX_XENT, 0);
	c.u.xent = (struct vgpu_op_xent){ .logits = 64, .labels = 2048, .loss = 3000,
					  .dlogits = 4096, .rows = 3, .cols = 11 };
	same_coverage(&c, 0, 0);
	c.u.xent.dlogits = VGPU_NO_OFF;
	same_coverage(&c, 0, 0);
	c = cmd(VGPU_OP_GATHER_ROWS, 0);
	c.u.gather = (struct vgpu_op_gather){ .src = 64, .idx = 2048, .dst = 4096, .nidx = 5,
					      .cols = 6, .src_rows = 4 };
	same_coverage(&c, 0, 0);
}

static void test_vectors(void **state)
{
	(void)state;
	struct vgpu_cmd c;
	for (unsigned act = VGPU_ACT_RELU; act <= VGPU_ACT_TANH; act++) {
		c = cmd(VGPU_OP_ACT_FWD, act);
		c.u.act = (struct vgpu_op_act){ .src = 64, .dst = 4096, .count = 33 };
		same_coverage(&c, 0, 0);
		c = cmd(VGPU_OP_ACT_BWD, act);
		c.u.act_bwd = (struct vgpu_op_act_bwd){ .y = 64, .dy = 1024, .dx = 4096, .count = 33 };
		same_coverage(&c, 0, 0);
	}
	c = cmd(VGPU_OP_MSE, 0);
	c.u.mse = (struct vgpu_op_mse){ .pred = 64, .target = 1024, .loss = 2048, .grad = 4096,
					.count = 20 };
	same_coverage(&c, 0, 0);
	for (unsigned op = VGPU_OP_ADD; op <= VGPU_OP_MUL; op++) {
		c = cmd(op, 0);
		c.u.binary = (struct vgpu_op_binary){ .a = 64, .b = 1024, .dst = 4096, .count = 20 };
		same_coverage(&c, 0, 0);
	}
	c = cmd(VGPU_OP_SCALE, 0);
	c.u.scale = (struct vgpu_op_scale){ .src = 64, .dst = 4096, .count = 20, .alpha = 2 };
	same_coverage(&c, 0, 0);
	c = cmd(VGPU_OP_AXPY, 0);
	c.u.axpy = (struct vgpu_op_axpy){ .x = 64, .y = 4096, .count = 20, .alpha = 2 };
	same_coverage(&c, 0, 0);
	c = cmd(VGPU_OP_SGD, 0);
	c.u.sgd = (struct vgpu_op_sgd){ .param = 64, .grad = 4096, .count = 20, .lr = 0.1f };
	same_coverage(&c, 0, 0);
	c = cmd(VGPU_OP_SGD_MOMENTUM, 0);
	c.u.sgd_momentum = (struct vgpu_op_sgd_momentum){ .param = 64, .grad = 1024,
							  .velocity = 4096, .count = 20 };
	same_coverage(&c, 0, 0);
	c = cmd(VGPU_OP_ADAM, 0);
	c.u.adam = (struct vgpu_op_adam){ .param = 64, .grad = 1024, .m = 2048, .v = 4096,
					  .hyper = 8192, .count = 20 };
	same_coverage(&c, 0, 0);
	/* No fp32 output: nothing checked on either backend. */
	c = cmd(VGPU_OP_ARGMAX_ROWS, 0);
	c.u.argmax = (struct vgpu_op_argmax){ .src = 64, .dst = 4096, .rows = 3, .cols = 5 };
	same_coverage(&c, 0, 0);
	c = cmd(VGPU_OP_QUANTIZE_I8, 0);
	c.u.quantize = (struct vgpu_op_quantize){ .src = 64, .dst = 4096, .scale = 8192,
						  .count = 20 };
	same_coverage(&c, 0, 0);
}

/* Losses and sums are checked whatever the flags: one span, the scalar. */
static void test_always(void **state)
{
	(void)state;
	struct cuda_span o[1];
	struct vgpu_cmd c = cmd(VGPU_OP_SOFTMAX_XENT, 0);
	c.u.xent = (struct vgpu_op_xent){ .logits = 64, .labels = 2048, .loss = 3000,
					  .dlogits = VGPU_NO_OFF, .rows = 3, .cols = 11 };
	assert_int_equal(cuda_outputs_always(&c, o), 1);
	assert_true(o[0].off == 3000 && o[0].rows == 1 && o[0].cols == 1);
	c = cmd(VGPU_OP_MSE, 0);
	c.u.mse = (struct vgpu_op_mse){ .pred = 64, .target = 1024, .loss = 2048,
					.grad = VGPU_NO_OFF, .count = 20 };
	assert_int_equal(cuda_outputs_always(&c, o), 1);
	assert_true(o[0].off == 2048 && o[0].rows * o[0].cols == 1);
	c = cmd(VGPU_OP_SUM, VGPU_MEAN);
	c.u.sum = (struct vgpu_op_sum){ .src = 64, .dst = 4096, .count = 20 };
	assert_int_equal(cuda_outputs_always(&c, o), 1);
	assert_true(o[0].off == 4096 && o[0].rows * o[0].cols == 1);
	c = cmd(VGPU_OP_AXPY, 0);
	assert_int_equal(cuda_outputs_always(&c, o), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gemms),
		cmocka_unit_test(test_row_ops),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_always),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
