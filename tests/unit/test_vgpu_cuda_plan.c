/*
 * test_vgpu_cuda_plan.c - GEMM chunk mapping of the CUDA backend: a GEMM
 * (fp32 with every transpose combination and odd leading dimensions, and
 * int8) run band by band over an arena gives bit-identical results to the
 * unsplit GEMM, and bands outside the command are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../vgpu/backend/cuda_plan.h"

/* Plain row-major reference GEMM over an arena, reading the command's
 * offsets exactly as the ABI defines them. */
static void ref_gemm(float *arena, const struct vgpu_op_gemm *g, unsigned trans)
{
	const float *a = (const float *)((char *)arena + g->a);
	const float *b = (const float *)((char *)arena + g->b);
	float *c = (float *)((char *)arena + g->c);
	for (uint32_t i = 0; i < g->m; i++)
		for (uint32_t j = 0; j < g->n; j++) {
			float s = 0.0f;
			for (uint32_t p = 0; p < g->k; p++) {
				float av = trans & VGPU_GEMM_TRANS_A ? a[(size_t)p * g->lda + i]
								     : a[(size_t)i * g->lda + p];
				float bv = trans & VGPU_GEMM_TRANS_B ? b[(size_t)j * g->ldb + p]
								     : b[(size_t)p * g->ldb + j];
				s += av * bv;
			}
			float *cp = &c[(size_t)i * g->ldc + j];
			*cp = g->alpha * s + g->beta * *cp;
		}
}

static void test_chunks(void **state)
{
	(void)state;
	assert_int_equal(cuda_plan_chunks(5, 0), 0);
	assert_int_equal(cuda_plan_chunks(0, 7), 0);
	assert_int_equal(cuda_plan_chunks(1, 7), 1);
	assert_int_equal(cuda_plan_chunks(14, 7), 2);
	assert_int_equal(cuda_plan_chunks(15, 7), 3);
	assert_int_equal(cuda_plan_chunks(UINT32_MAX, 1), UINT32_MAX);
	assert_int_equal(cuda_plan_chunks(UINT32_MAX, CUDA_PLAN_I8_MAX_ROWS),
			 (UINT32_MAX + (uint64_t)CUDA_PLAN_I8_MAX_ROWS - 1) / CUDA_PLAN_I8_MAX_ROWS);
}

static void test_band_rejects_outside(void **state)
{
	(void)state;
	struct vgpu_op_gemm g = { .a = 0, .b = 0, .c = 0, .m = 10, .n = 4, .k = 4,
				  .lda = 4, .ldb = 4, .ldc = 4 }, band;
	assert_int_equal(cuda_plan_gemm_band(&g, 0, 0, 10, &band), 0);
	assert_int_equal(cuda_plan_gemm_band(&g, 0, 9, 1, &band), 0);
	assert_int_equal(cuda_plan_gemm_band(&g, 0, 9, 2, &band), -1);
	assert_int_equal(cuda_plan_gemm_band(&g, 0, 10, 1, &band), -1);
	assert_int_equal(cuda_plan_gemm_band(&g, 0, 0, 0, &band), -1);
	assert_int_equal(cuda_plan_gemm_band(&g, 0, 1, UINT32_MAX, &band), -1);
}

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 8) & 0xffff) / 65536.0f - 0.5f;
}

static void banded_equals_whole(unsigned trans, uint32_t m, uint32_t n, uint32_t k,
				uint32_t rows_per_chunk)
{
	uint32_t lda = (trans & VGPU_GEMM_TRANS_A ? m : k) + 3;
	uint32_t ldb = (trans & VGPU_GEMM_TRANS_B ? k : n) + 1;
	uint32_t ldc = n + 2;
	size_t a_el = (size_t)(trans & VGPU_GEMM_TRANS_A ? k : m) * lda;
	size_t b_el = (size_t)(trans & VGPU_GEMM_TRANS_B ? n : k) * ldb;
	size_t c_el = (size_t)m * ldc;
	size_t total = a_el + b_el + c_el;
	float *x = malloc(total * sizeof *x), *y = malloc(total * sizeof *y);
	assert_non_null(x);
	assert_non_null(y);
	unsigned seed = 7 + trans + m;
	for (size_t i = 0; i < total; i++)
		x[i] = frand(&seed);
	memcpy(y, x, total * sizeof *x);
	struct vgpu_op_gemm g = {
		.a = 0, .b = a_el * 4, .c = (a_el + b_el) * 4, .m = m, .n = n, .k = k,
		.lda = lda, .ldb = ldb, .ldc = ldc, .alpha = 1.5f, .beta = 0.25f,
	};
	ref_gemm(x, &g, trans);
	uint32_t chunks = cuda_plan_chunks(m, rows_per_chunk);
	for (uint32_t ch = 0; ch < chunks; ch++) {
		uint32_t r0 = ch * rows_per_chunk;
		uint32_t rows = m - r0 < rows_per_chunk ? m - r0 : rows_per_chunk;
		struct vgpu_op_gemm band;
		assert_int_equal(cuda_plan_gemm_band(&g, trans, r0, rows, &band), 0);
		ref_gemm(y, &band, trans);
	}
	assert_memory_equal(x, y, total * sizeof *x);
	free(x);
	free(y);
}

static void test_banded_gemm_matches(void **state)
{
	(void)state;
	for (unsigned trans = 0; trans < 4; trans++) {
		banded_equals_whole(trans, 37, 19, 23, 5);
		banded_equals_whole(trans, 64, 8, 3, 1);
		banded_equals_whole(trans, 33, 33, 1, 32);
		banded_equals_whole(trans, 16, 5, 9, 16);
	}
}

/* Reference int8 GEMM over an arena, as the ABI defines GEMM_I8. */
static void ref_gemm_i8(uint8_t *arena, const struct vgpu_op_gemm_i8 *g, unsigned trans)
{
	const int8_t *a = (const int8_t *)(arena + g->a), *b = (const int8_t *)(arena + g->b);
	float *c = (float *)(arena + g->c);
	const float *sc = (const float *)(arena + g->scales);
	for (uint32_t i = 0; i < g->m; i++)
		for (uint32_t j = 0; j < g->n; j++) {
			int32_t s = 0;
			for (uint32_t p = 0; p < g->k; p++)
				s += a[(size_t)i * g->k + p] *
				     (trans & VGPU_GEMM_TRANS_B ? b[(size_t)j * g->k + p]
								: b[(size_t)p * g->n + j]);
			c[(size_t)i * g->n + j] = sc[0] * sc[1] * (float)s;
		}
}

static void test_banded_gemm_i8_matches(void **state)
{
	(void)state;
	enum { M = 29, N = 11, K = 13 };
	size_t a_off = 0, b_off = M * K, s_off = 512, c_off = 1024;
	size_t total = c_off + M * N * 4;
	uint8_t *x = calloc(1, total), *y = calloc(1, total);
	assert_non_null(x);
	assert_non_null(y);
	unsigned seed = 3;
	for (size_t i = 0; i < (size_t)M * K + (size_t)K * N; i++)
		x[i] = (uint8_t)(frand(&seed) * 250.0f);
	float sc[2] = { 0.5f, 0.25f };
	memcpy(x + s_off, sc, sizeof sc);
	memcpy(y, x, total);
	for (unsigned trans = 0; trans <= VGPU_GEMM_TRANS_B; trans += VGPU_GEMM_TRANS_B) {
		struct vgpu_op_gemm_i8 g = { .a = a_off, .b = b_off, .c = c_off, .scales = s_off,
					     .bias = VGPU_NO_OFF, .m = M, .n = N, .k = K };
		ref_gemm_i8(x, &g, trans);
		for (uint32_t r0 = 0; r0 < M; r0 += 4) {
			struct vgpu_op_gemm_i8 band;
			uint32_t rows = M - r0 < 4 ? M - r0 : 4;
			assert_int_equal(cuda_plan_gemm_i8_band(&g, r0, rows, &band), 0);
			ref_gemm_i8(y, &band, trans);
		}
		assert_memory_equal(x, y, total);
		struct vgpu_op_gemm_i8 band;
		assert_int_equal(cuda_plan_gemm_i8_band(&g, M - 1, 2, &band), -1);
		assert_int_equal(cuda_plan_gemm_i8_band(&g, M, 1, &band), -1);
	}
	free(x);
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_band_rejects_outside),
		cmocka_unit_test(test_banded_gemm_matches),
		cmocka_unit_test(test_banded_gemm_i8_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
