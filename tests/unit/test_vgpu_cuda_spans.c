/*
 * test_vgpu_cuda_spans.c - the spans the CUDA backend's coherent mode
 * copies are complete, checked against the CPU backend as the oracle, for
 * every opcode on commands the server's validator accepts:
 *   - every byte the OpenBLAS backend writes lies in an output span;
 *   - the output spans' bytes do not change when every byte outside all
 *     spans is changed before the command (nothing else is read).
 * No GPU needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../vgpu/backend/backend.h"
#include "../../vgpu/backend/cuda_outputs.h"
#include "../../vgpu/backend/cuda_spans.h"
#include "../../vgpu/server/validate.h"

#define ARENA 65536u

static uint8_t base[ARENA], a1[ARENA], a2[ARENA];

static void fill_random(uint8_t *p, unsigned seed)
{
	/* Small floats, so that no opcode overflows; ints stay small too. */
	for (size_t i = 0; i < ARENA; i += 4) {
		seed = seed * 1103515245u + 12345u;
		float f = (float)((seed >> 9) & 0xffff) / 65536.0f - 0.5f;
		memcpy(p + i, &f, 4);
	}
}

static int in_spans(const struct cuda_xfer *s, int n, uint64_t byte, int want_out)
{
	for (int i = 0; i < n; i++)
		if ((!want_out || s[i].out) && byte >= s[i].off && byte - s[i].off < s[i].bytes)
			return 1;
	return 0;
}

static void check(const struct vgpu_cmd *c, uint32_t rb, uint32_t re, void (*prep)(uint8_t *))
{
	assert_int_equal(vgpu_validate(c, ARENA, 0), VGPU_OK);
	struct cuda_xfer s[CUDA_SPANS_MAX];
	int n = cuda_spans(c, rb, re, s);
	for (int i = 0; i < n; i++)
		assert_true(s[i].off <= ARENA && s[i].bytes <= ARENA - s[i].off);

	fill_random(base, 1);
	if (prep)
		prep(base);
	memcpy(a1, base, ARENA);
	int rc1 = vgpu_backend_openblas.run(a1, ARENA, c, rb, re);
	for (uint64_t i = 0; i < ARENA; i++)
		if (a1[i] != base[i] && !in_spans(s, n, i, 1))
			fail_msg("opcode %u wrote byte %llu outside its output spans", c->opcode,
				 (unsigned long long)i);

	fill_random(a2, 2);
	for (uint64_t i = 0; i < ARENA; i++)
		if (in_spans(s, n, i, 0))
			a2[i] = base[i];
	int rc2 = vgpu_backend_openblas.run(a2, ARENA, c, rb, re);
	assert_int_equal(rc1, rc2);
	for (uint64_t i = 0; i < ARENA; i++)
		if (in_spans(s, n, i, 1) && a1[i] != a2[i])
			fail_msg("opcode %u: output byte %llu depends on bytes outside its spans",
				 c->opcode, (unsigned long long)i);
}

static struct vgpu_cmd cmd(unsigned op, unsigned arg)
{
	return (struct vgpu_cmd){ .opcode = (uint8_t)op, .arg = (uint16_t)arg };
}

static void labels_prep(uint8_t *p)
{
	for (int32_t i = 0; i < 64; i++) {
		int32_t v = i % 5;
		memcpy(p + 8192 + 4 * i, &v, 4);
	}
}

static void hyper_prep(uint8_t *p)
{
	struct vgpu_adam_hyper h = { 0.01f, 0.9f, 0.999f, 1e-8f, 0.001f, 2 };
	memcpy(p + 40000, &h, sizeof h);
}

static void scales_prep(uint8_t *p)
{
	float sc[2] = { 0.5f, 0.25f };
	memcpy(p + 30000, sc, sizeof sc);
}

static int setup(void **state)
{
	(void)state;
	char err[100];
	return vgpu_backend_openblas.init(1, err, sizeof err);
}

static void test_gemm(void **state)
{
	(void)state;
	for (unsigned tr = 0; tr < 4; tr++) {
		struct vgpu_cmd c = cmd(VGPU_OP_GEMM, tr);
		c.u.gemm = (struct vgpu_op_gemm){ .a = 64, .b = 8192, .c = 16384, .m = 19, .n = 13,
						  .k = 11, .lda = 23, .ldb = 17, .ldc = 15,
						  .alpha = 1.5f, .beta = 0.5f };
		check(&c, 0, 19, NULL);
		check(&c, 4, 9, NULL);
		check(&c, 18, 19, NULL);
	}
	for (unsigned tr = 0; tr <= VGPU_GEMM_TRANS_B; tr += VGPU_GEMM_TRANS_B) {
		struct vgpu_cmd c = cmd(VGPU_OP_GEMM_I8, tr);
		c.u.gemm_i8 = (struct vgpu_op_gemm_i8){ .a = 64, .b = 4096, .c = 16384,
							.scales = 30000, .bias = 31000,
							.m = 17, .n = 9, .k = 21 };
		check(&c, 0, 17, scales_prep);
		check(&c, 3, 8, scales_prep);
		c.u.gemm_i8.bias = VGPU_NO_OFF;
		check(&c, 0, 17, scales_prep);
	}
}

static void test_others(void **state)
{
	(void)state;
	struct vgpu_cmd c;
	c = cmd(VGPU_OP_FILL, 0);
	c.u.fill = (struct vgpu_op_fill){ .dst = 128, .count = 100, .value = 7 };
	check(&c, 0, 0, NULL);
	c = cmd(VGPU_OP_COPY, 0);
	c.u.copy = (struct vgpu_op_copy){ .dst = 1000, .src = 1200, .bytes = 555 };
	check(&c, 0, 0, NULL);
	c = cmd(VGPU_OP_BIAS_ADD, 0);
	c.u.bias_add = (struct vgpu_op_bias_add){ .x = 64, .bias = 8192, .rows = 7, .cols = 9 };
	check(&c, 0, 0, NULL);
	c = cmd(VGPU_OP_BIAS_GRAD, 0);
	c.u.bias_grad = (struct vgpu_op_bias_grad){ .dy = 64, .db = 8192, .rows = 7, .cols = 9,
						    .beta = 0.5f };
	check(&c, 0, 0, NULL);
	for (unsigned act = VGPU_ACT_RELU; act <= VGPU_ACT_TANH; act++) {
		c = cmd(VGPU_OP_ACT_FWD, act);
		c.u.act = (struct vgpu_op_act){ .src = 64, .dst = 8192, .count = 33 };
		check(&c, 0, 0, NULL);
		c = cmd(VGPU_OP_ACT_BWD, act);
		c.u.act_bwd = (struct vgpu_op_act_bwd){ .y = 64, .dy = 4096, .dx = 8192, .count = 33 };
		check(&c, 0, 0, NULL);
	}
	c = cmd(VGPU_OP_SOFTMAX, 0);
	c.u.softmax = (struct vgpu_op_softmax){ .src = 64, .dst = 4096, .rows = 3, .cols = 11 };
	check(&c, 0, 0, NULL);
	c = cmd(VGPU_OP_SOFTMAX_XENT, 0);
	c.u.xent = (struct vgpu_op_xent){ .logits = 64, .labels = 8192, .loss = 9000,
					  .dlogits = 12000, .rows = 6, .cols = 5 };
	check(&c, 0, 0, labels_prep);
	c.u.xent.dlogits = VGPU_NO_OFF;
	check(&c, 0, 0, labels_prep);
	c = cmd(VGPU_OP_MSE, 0);
	c.u.mse = (struct vgpu_op_mse){ .pred = 64, .target = 1024, .loss = 2048, .grad = 4096,
					.count = 20 };
	check(&c, 0, 0, NULL);
	for (unsigned op = VGPU_OP_ADD; op <= VGPU_OP_MUL; op++) {
		c = cmd(op, 0);
		c.u.binary = (struct vgpu_op_binary){ .a = 64, .b = 1024, .dst = 4096, .count = 20 };
		check(&c, 0, 0, NULL);
	}
	c = cmd(VGPU_OP_SCALE, 0);
	c.u.scale = (struct vgpu_op_scale){ .src = 64, .dst = 4096, .count = 20, .alpha = 2 };
	check(&c, 0, 0, NULL);
	c = cmd(VGPU_OP_AXPY, 0);
	c.u.axpy = (struct vgpu_op_axpy){ .x = 64, .y = 4096, .count = 20, .alpha = 2 };
	check(&c, 0, 0, NULL);
	c = cmd(VGPU_OP_ARGMAX_ROWS, 0);
	c.u.argmax = (struct vgpu_op_argmax){ .src = 64, .dst = 4096, .rows = 3, .cols = 5 };
	check(&c, 0, 0, NULL);
	for (unsigned arg = 0; arg <= VGPU_ACCUMULATE; arg++) {
		c = cmd(VGPU_OP_COUNT_EQ, arg);
		c.u.count_eq = (struct vgpu_op_count_eq){ .a = 8192, .b = 8192 + 64, .dst = 4096,
							  .count = 16 };
		check(&c, 0, 0, labels_prep);
	}
	for (unsigned arg = 0; arg < 4; arg++) {
		c = cmd(VGPU_OP_SUM, arg);
		c.u.sum = (struct vgpu_op_sum){ .src = 64, .dst = 4096, .count = 20 };
		check(&c, 0, 0, NULL);
	}
	c = cmd(VGPU_OP_SGD, 0);
	c.u.sgd = (struct vgpu_op_sgd){ .param = 64, .grad = 4096, .count = 20, .lr = 0.1f,
					.weight_decay = 0.01f };
	check(&c, 0, 0, NULL);
	c = cmd(VGPU_OP_SGD_MOMENTUM, 0);
	c.u.sgd_momentum = (struct vgpu_op_sgd_momentum){ .param = 64, .grad = 1024,
							  .velocity = 4096, .count = 20,
							  .lr = 0.1f, .momentum = 0.9f };
	check(&c, 0, 0, NULL);
	c = cmd(VGPU_OP_ADAM, 0);
	c.u.adam = (struct vgpu_op_adam){ .param = 64, .grad = 1024, .m = 2048, .v = 4096,
					  .hyper = 40000, .count = 20 };
	check(&c, 0, 0, hyper_prep);
	c = cmd(VGPU_OP_GATHER_ROWS, 0);
	c.u.gather = (struct vgpu_op_gather){ .src = 64, .idx = 8192, .dst = 12000, .nidx = 6,
					      .cols = 7, .src_rows = 5 };
	check(&c, 0, 0, labels_prep);
	c = cmd(VGPU_OP_QUANTIZE_I8, 0);
	c.u.quantize = (struct vgpu_op_quantize){ .src = 64, .dst = 4096, .scale = 8192,
						  .count = 21 };
	check(&c, 0, 0, NULL);
	struct cuda_xfer s[CUDA_SPANS_MAX];
	c = cmd(VGPU_OP_NOP, 0);
	assert_int_equal(cuda_spans(&c, 0, 0, s), 0);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A field value: mostly small, sometimes near the arena's end or huge. */
static uint64_t field(uint64_t *s)
{
	switch (rnd(s) % 8) {
	case 0: return rnd(s);
	case 1: return ARENA - rnd(s) % 64;
	case 2: return UINT32_MAX - rnd(s) % 4;
	default: return (rnd(s) % 512) * 4 * (rnd(s) % 2 ? 1 : 8);
	}
}

/* Half of the GEMM, GEMM_I8, ADAM, GATHER, MSE and XENT commands get dimensions and
 * strides that fit, so that the validator accepts enough of them; offsets
 * stay random (4-byte aligned), near the arena's end included. */
static void plausible(struct vgpu_cmd *c, uint64_t *s)
{
	if (rnd(s) % 2)
		return;
#define DIM() (1 + (uint32_t)(rnd(s) % 24))
#define OFF() ((rnd(s) % (ARENA / 4)) * 4)
	switch (c->opcode) {
	case VGPU_OP_GEMM: {
		struct vgpu_op_gemm *g = &c->u.gemm;
		g->m = DIM(), g->n = DIM(), g->k = DIM();
		g->lda = (c->arg & VGPU_GEMM_TRANS_A ? g->m : g->k) + (uint32_t)(rnd(s) % 3);
		g->ldb = (c->arg & VGPU_GEMM_TRANS_B ? g->k : g->n) + (uint32_t)(rnd(s) % 3);
		g->ldc = g->n + (uint32_t)(rnd(s) % 3);
		g->a = OFF(), g->b = OFF(), g->c = OFF();
		break;
	}
	case VGPU_OP_GEMM_I8: {
		struct vgpu_op_gemm_i8 *g = &c->u.gemm_i8;
		g->m = DIM(), g->n = DIM(), g->k = DIM();
		g->a = OFF(), g->b = OFF(), g->c = OFF(), g->scales = OFF();
		g->bias = rnd(s) % 2 ? VGPU_NO_OFF : OFF();
		break;
	}
	case VGPU_OP_ADAM:
		c->u.adam = (struct vgpu_op_adam){ OFF(), OFF(), OFF(), OFF(), OFF(), DIM() };
		break;
	case VGPU_OP_MSE:
		c->u.mse = (struct vgpu_op_mse){ OFF(), OFF(), OFF(),
						 rnd(s) % 2 ? VGPU_NO_OFF : OFF(), DIM() };
		break;
	case VGPU_OP_GATHER_ROWS:
		c->u.gather = (struct vgpu_op_gather){ OFF(), OFF(), OFF(), DIM(), DIM(), DIM() };
		break;
	case VGPU_OP_SOFTMAX_XENT:
		c->u.xent = (struct vgpu_op_xent){ OFF(), OFF(), OFF(),
						   rnd(s) % 2 ? VGPU_NO_OFF : OFF(), DIM(), DIM() };
		break;
	}
#undef DIM
#undef OFF
}

/* Whatever a hostile tenant sends: for every command the validator
 * accepts, the coherent-mode spans (of any GEMM row band) and the
 * finiteness spans stay inside the arena, so coherent mode never copies a
 * byte outside the tenant's window. */
static void test_random_commands_stay_inside(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned accepted = 0, hits[VGPU_OP_COUNT] = { 0 };
	for (int it = 0; it < 300000; it++) {
		struct vgpu_cmd c;
		uint8_t *raw = (uint8_t *)&c;
		for (size_t i = 0; i < sizeof c; i += 8) {
			uint64_t v = field(&seed);
			memcpy(raw + i, &v, sizeof c - i < 8 ? sizeof c - i : 8);
		}
		c.opcode = (uint8_t)(rnd(&seed) % VGPU_OP_COUNT);
		c.flags = (uint8_t)(rnd(&seed) % 4);
		c.arg = (uint16_t)(rnd(&seed) % 4);
		/* Dimensions and counts small enough to be accepted now and then. */
		uint32_t *w = (uint32_t *)c.u.raw;
		for (int i = 0; i < 14; i++)
			if (rnd(&seed) % 3 == 0)
				w[i] = (uint32_t)(rnd(&seed) % 40);
		plausible(&c, &seed);
		if (vgpu_validate(&c, ARENA, 0) != VGPU_OK)
			continue;
		accepted++;
		hits[c.opcode]++;
		uint32_t rows = c.opcode == VGPU_OP_GEMM ? c.u.gemm.m
			      : c.opcode == VGPU_OP_GEMM_I8 ? c.u.gemm_i8.m : 0;
		uint32_t rb = rows ? (uint32_t)(rnd(&seed) % rows) : 0;
		uint32_t re = rows ? rb + 1 + (uint32_t)(rnd(&seed) % (rows - rb)) : 0;
		struct cuda_xfer s[CUDA_SPANS_MAX + 2], all[CUDA_SPANS_MAX];
		int n = cuda_spans(&c, rb, re, s);
		/* What every band reads is the same whatever the band. */
		int na = cuda_spans(&c, 0, rows, all);
		for (int i = 0, j = 0; i < n; i++) {
			if (!s[i].whole)
				continue;
			while (j < na && !all[j].whole)
				j++;
			assert_true(j < na && all[j].off == s[i].off && all[j].bytes == s[i].bytes);
			j++;
		}
		/* The finiteness checks read device memory at the same offsets. */
		struct cuda_span o[2];
		int no = cuda_outputs_always(&c, o);
		no += cuda_outputs_flagged(&c, rb, re, o + no);
		for (int i = 0; i < no; i++)
			s[n++] = (struct cuda_xfer){ o[i].off,
						     ((o[i].rows - 1) * o[i].ld + o[i].cols) * 4, 1, 0 };
		for (int i = 0; i < n; i++)
			if (s[i].off > ARENA || s[i].bytes > ARENA - s[i].off)
				fail_msg("opcode %u: span %llu+%llu outside the arena", c.opcode,
					 (unsigned long long)s[i].off,
					 (unsigned long long)s[i].bytes);
	}
	/* The generator must reach every opcode's accepted case. */
	assert_true(accepted > 1000);
	for (unsigned op = VGPU_OP_FILL; op < VGPU_OP_GRAPH_RUN; op++)
		if (hits[op] < 10)
			fail_msg("opcode %u accepted only %u times", op, hits[op]);
	printf("# %u of 300000 random commands accepted by the validator\n", accepted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gemm),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_random_commands_stay_inside),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
