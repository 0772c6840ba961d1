/*
 * test_vgpu_validate - the command validator on its own: every class of
 * hostile command gets its specific error, legal edge cases pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "validate.h"

#define ARENA (1u << 20)

static struct vgpu_cmd gemm(uint32_t m, uint32_t n, uint32_t k, uint64_t a, uint64_t b, uint64_t c)
{
	struct vgpu_cmd x = { .opcode = VGPU_OP_GEMM };
	x.u.gemm = (struct vgpu_op_gemm){ .a = a, .b = b, .c = c, .m = m, .n = n, .k = k,
		.lda = k, .ldb = n, .ldc = n, .alpha = 1, .beta = 0 };
	return x;
}

static struct vgpu_cmd fill(uint64_t dst, uint64_t count)
{
	struct vgpu_cmd x = { .opcode = VGPU_OP_FILL };
	x.u.fill.dst = dst;
	x.u.fill.count = count;
	return x;
}

static void test_gemm_ok_and_bounds(void **s)
{
	(void)s;
	struct vgpu_cmd c = gemm(16, 16, 16, 0, 1024, 2048);
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_OK);
	/* C ends exactly at the arena end: fine; one float more: not. */
	c = gemm(16, 16, 16, 0, 1024, ARENA - 1024);
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_OK);
	c = gemm(16, 16, 16, 0, 1024, ARENA - 1020);
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_RANGE);
	c = gemm(16, 16, 16, UINT64_MAX - 3, 1024, 4096);
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_RANGE);
	c = gemm(0, 16, 16, 0, 1024, 4096);
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_ARG);
	c = gemm(16, 16, 16, 0, 1024, 4096);
	c.u.gemm.lda = 15;           /* shorter than a row */
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_ARG);
	c = gemm(16, 16, 16, 2, 1024, 4096);   /* misaligned */
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_ARG);
}

static void test_gemm_overflow(void **s)
{
	(void)s;
	/* A of (2^31-2)*lda + k floats: 2^64 - 2^34 bytes, computed without
	 * wrapping, so it is a range error rather than a small buffer. */
	struct vgpu_cmd c = gemm(INT32_MAX, 1, INT32_MAX, 0, 0, 4096);
	c.u.gemm.lda = INT32_MAX;
	c.u.gemm.ldb = 1;
	c.u.gemm.ldc = 1;
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_RANGE);
	c = gemm(16, 16, 16, 0, 0, 0);
	c.u.gemm.lda = 0x80000000u;   /* beyond BLAS's int */
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_ARG);
	struct vgpu_cmd f = fill(0, UINT64_MAX / 2);
	assert_int_equal(vgpu_validate(&f, UINT64_MAX, 0), VGPU_E_OVERFLOW);
	f = fill(4, (ARENA - 4) / 4);
	assert_int_equal(vgpu_validate(&f, ARENA, 0), VGPU_OK);
	f = fill(8, (ARENA - 4) / 4);
	assert_int_equal(vgpu_validate(&f, ARENA, 0), VGPU_E_RANGE);
}

static void test_gemm_transposed_extent(void **s)
{
	(void)s;
	/* A^T: A is stored k x m, so lda must cover m, not k. */
	struct vgpu_cmd c = gemm(32, 8, 4, 0, 65536, 131072);
	c.arg = VGPU_GEMM_TRANS_A;
	c.u.gemm.lda = 4;
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_ARG);
	c.u.gemm.lda = 32;
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_OK);
	/* Stored A spans k rows of lda: ending past the arena is caught. */
	c.u.gemm.a = ARENA - 4 * 32 * 4 + 4;
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_RANGE);
}

static void test_aliasing(void **s)
{
	(void)s;
	struct vgpu_cmd c = gemm(16, 16, 16, 0, 1024, 512);   /* C overlaps A */
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_ALIAS);
	struct vgpu_cmd a = { .opcode = VGPU_OP_ACT_FWD, .arg = VGPU_ACT_RELU };
	a.u.act = (struct vgpu_op_act){ .src = 0, .dst = 0, .count = 64 };
	assert_int_equal(vgpu_validate(&a, ARENA, 0), VGPU_OK);   /* exactly in place */
	a.u.act.dst = 4;
	assert_int_equal(vgpu_validate(&a, ARENA, 0), VGPU_E_ALIAS);
	a.u.act.dst = 256;
	assert_int_equal(vgpu_validate(&a, ARENA, 0), VGPU_OK);
	struct vgpu_cmd x = { .opcode = VGPU_OP_SOFTMAX_XENT };
	x.u.xent = (struct vgpu_op_xent){ .logits = 0, .labels = 4096, .loss = 8192,
		.dlogits = VGPU_NO_OFF, .rows = 4, .cols = 10 };
	assert_int_equal(vgpu_validate(&x, ARENA, 0), VGPU_OK);
	x.u.xent.loss = 8;           /* loss inside logits */
	assert_int_equal(vgpu_validate(&x, ARENA, 0), VGPU_E_ALIAS);
	struct vgpu_cmd copy = { .opcode = VGPU_OP_COPY };
	copy.u.copy = (struct vgpu_op_copy){ .dst = 1, .src = 0, .bytes = 100 };
	assert_int_equal(vgpu_validate(&copy, ARENA, 0), VGPU_OK);   /* memmove */
}

static void test_opcode_flags_args(void **s)
{
	(void)s;
	struct vgpu_cmd c = { .opcode = VGPU_OP_COUNT };
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_OPCODE);
	c.opcode = 255;
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_OPCODE);
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_NOP, .flags = 0x80 };
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_OPCODE);
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_NOP, .arg = 1 };
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_OPCODE);
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_NOP, .flags = VGPU_CMD_F_ALL };
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_OK);
	struct vgpu_cmd g = gemm(4, 4, 4, 0, 64, 128);
	g.arg = 4;
	assert_int_equal(vgpu_validate(&g, ARENA, 0), VGPU_E_OPCODE);
	struct vgpu_cmd a = { .opcode = VGPU_OP_ACT_FWD, .arg = 0 };
	a.u.act = (struct vgpu_op_act){ .src = 0, .dst = 0, .count = 4 };
	assert_int_equal(vgpu_validate(&a, ARENA, 0), VGPU_E_ARG);
}

static void test_zero_sizes_every_opcode(void **s)
{
	(void)s;
	/* An all-zero body names empty buffers: refused for every opcode
	 * that has buffers, so no opcode skips its checks. */
	for (unsigned op = 0; op < VGPU_OP_COUNT; op++) {
		struct vgpu_cmd c = { .opcode = (uint8_t)op };
		if (op == VGPU_OP_ACT_FWD || op == VGPU_OP_ACT_BWD)
			c.arg = VGPU_ACT_TANH;
		int rc = vgpu_validate(&c, ARENA, 0);
		if (op == VGPU_OP_NOP)
			assert_int_equal(rc, VGPU_OK);
		else
			assert_int_not_equal(rc, VGPU_OK);
	}
}

static void test_graph(void **s)
{
	(void)s;
	struct vgpu_cmd c = { .opcode = VGPU_OP_GRAPH_RUN };
	c.u.graph = (struct vgpu_op_graph){ .cmds = 4096, .count = 10 };
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_OK);
	assert_int_equal(vgpu_validate(&c, ARENA, 1), VGPU_E_GRAPH);   /* nested */
	c.u.graph.count = VGPU_GRAPH_MAX + 1;
	assert_int_equal(vgpu_validate(&c, UINT64_MAX, 0), VGPU_E_GRAPH);
	c.u.graph = (struct vgpu_op_graph){ .cmds = ARENA - 64 * 9, .count = 10 };
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_RANGE);
	c.u.graph = (struct vgpu_op_graph){ .cmds = 32, .count = 1 };
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_ARG);   /* unaligned */
}

static void test_transfers(void **s)
{
	(void)s;
	static const uint8_t ops[] = { VGPU_OP_UPLOAD, VGPU_OP_DOWNLOAD };
	for (size_t i = 0; i < sizeof ops; i++) {
		struct vgpu_cmd c = { .opcode = ops[i] };
		/* Any byte range inside the arena, unaligned too, up to its end. */
		c.u.xfer = (struct vgpu_op_xfer){ .off = 3, .bytes = 1000 };
		assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_OK);
		c.u.xfer = (struct vgpu_op_xfer){ .off = 0, .bytes = ARENA };
		assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_OK);
		assert_int_equal(vgpu_validate(&c, ARENA, 1), VGPU_OK);   /* in a graph */
		/* One byte past the end; starting past the end. */
		c.u.xfer = (struct vgpu_op_xfer){ .off = 1, .bytes = ARENA };
		assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_RANGE);
		c.u.xfer = (struct vgpu_op_xfer){ .off = ARENA + 1, .bytes = 1 };
		assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_RANGE);
		/* off + bytes wraps around to a small number: still refused. */
		c.u.xfer = (struct vgpu_op_xfer){ .off = UINT64_MAX - 10, .bytes = 100 };
		assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_RANGE);
		c.u.xfer = (struct vgpu_op_xfer){ .off = 8, .bytes = UINT64_MAX };
		assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_RANGE);
		c.u.xfer = (struct vgpu_op_xfer){ .off = 8, .bytes = UINT64_MAX - 8 };
		assert_int_equal(vgpu_validate(&c, UINT64_MAX, 0), VGPU_OK);
		/* Empty transfer: refused like any empty buffer; no arg bits. */
		c.u.xfer = (struct vgpu_op_xfer){ .off = 0, .bytes = 0 };
		assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_ARG);
		c.u.xfer.bytes = 4;
		c.arg = 1;
		assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_OPCODE);
	}
	/* Appended: the earlier opcodes keep their ABI v1 numbers. */
	assert_int_equal(VGPU_OP_GRAPH_RUN, 24);
	assert_int_equal(VGPU_OP_UPLOAD, 25);
	assert_int_equal(VGPU_OP_DOWNLOAD, 26);
}

static void test_int8_and_optional(void **s)
{
	(void)s;
	struct vgpu_cmd c = { .opcode = VGPU_OP_GEMM_I8 };
	c.u.gemm_i8 = (struct vgpu_op_gemm_i8){ .a = 0, .b = 4096, .c = 8192, .scales = 16384,
		.bias = VGPU_NO_OFF, .m = 8, .n = 8, .k = 64 };
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_OK);
	c.u.gemm_i8.k = VGPU_I8_K_MAX + 1;
	assert_int_equal(vgpu_validate(&c, UINT64_MAX, 0), VGPU_E_ARG);
	c.u.gemm_i8.k = 64;
	c.u.gemm_i8.bias = 8192 + 4;   /* bias inside C */
	assert_int_equal(vgpu_validate(&c, ARENA, 0), VGPU_E_ALIAS);
	struct vgpu_cmd m = { .opcode = VGPU_OP_MSE };
	m.u.mse = (struct vgpu_op_mse){ .pred = 0, .target = 400, .loss = 800,
		.grad = VGPU_NO_OFF, .count = 100 };
	assert_int_equal(vgpu_validate(&m, ARENA, 0), VGPU_OK);
	m.u.mse.grad = ARENA;   /* present but outside */
	assert_int_equal(vgpu_validate(&m, ARENA, 0), VGPU_E_RANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gemm_ok_and_bounds),
		cmocka_unit_test(test_gemm_overflow),
		cmocka_unit_test(test_gemm_transposed_extent),
		cmocka_unit_test(test_aliasing),
		cmocka_unit_test(test_opcode_flags_args),
		cmocka_unit_test(test_zero_sizes_every_opcode),
		cmocka_unit_test(test_graph),
		cmocka_unit_test(test_transfers),
		cmocka_unit_test(test_int8_and_optional),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
