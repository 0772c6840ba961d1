/*
 * cuda_plan.c - GEMM chunk planning for the CUDA backend (see cuda_plan.h).
 */
#include "cuda_plan.h"

uint32_t cuda_plan_chunks(uint32_t m, uint32_t rows_per_chunk)
{
	if (rows_per_chunk == 0)
		return 0;
	return (uint32_t)(((uint64_t)m + rows_per_chunk - 1) / rows_per_chunk);
}

int cuda_plan_gemm_band(const struct vgpu_op_gemm *g, unsigned trans,
			uint32_t row0, uint32_t rows, struct vgpu_op_gemm *band)
{
	if (rows == 0 || row0 >= g->m || rows > g->m - row0)
		return -1;
	*band = *g;
	band->m = rows;
	if (trans & VGPU_GEMM_TRANS_A)
		band->a = g->a + (uint64_t)row0 * sizeof(float);
	else
		band->a = g->a + (uint64_t)row0 * g->lda * sizeof(float);
	band->c = g->c + (uint64_t)row0 * g->ldc * sizeof(float);
	return 0;
}

int cuda_plan_gemm_i8_band(const struct vgpu_op_gemm_i8 *g, uint32_t row0,
			   uint32_t rows, struct vgpu_op_gemm_i8 *band)
{
	if (rows == 0 || row0 >= g->m || rows > g->m - row0)
		return -1;
	*band = *g;
	band->m = rows;
	band->a = g->a + (uint64_t)row0 * g->k;
	band->c = g->c + (uint64_t)row0 * g->n * sizeof(float);
	return 0;
}
