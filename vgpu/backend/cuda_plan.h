/*
 * cuda_plan.h - how the CUDA backend cuts a long GEMM into chunks, so a
 * newly arrived high-priority command waits for at most about one chunk
 * (the scheduler's slice) instead of a whole long kernel.  The server picks
 * the row ranges (vgpu_cmd_rows); this file maps a range onto the arena.
 *
 * Pure arithmetic on validated command fields: no CUDA, testable anywhere.
 * A chunk is a band of consecutive rows of C; each band is an independent
 * GEMM whose output rows no other band touches, so alpha/beta apply exactly
 * once per element and the result equals the unsplit GEMM.
 */
#ifndef AIVISOR_CUDA_PLAN_H
#define AIVISOR_CUDA_PLAN_H

#include <stdint.h>
#include "vgpu_abi.h"

/* The GEMM_I8 kernel's grid limits one launch to this many rows of C. */
#define CUDA_PLAN_I8_MAX_ROWS (65535u * 16u)

/* Number of bands of rows_per_chunk rows that cover m rows. */
uint32_t cuda_plan_chunks(uint32_t m, uint32_t rows_per_chunk);

/*
 * The sub-GEMM for rows [row0, row0 + rows) of C: a copy of g with m =
 * rows and a, c advanced to the band (byte offsets in the arena).  With
 * VGPU_GEMM_TRANS_A, A is stored k x m and the band is a column block
 * (a + row0 * 4); otherwise a row block (a + row0 * lda * 4).  Returns 0,
 * or -1 when the band lies outside g (the caller's bug).
 */
int cuda_plan_gemm_band(const struct vgpu_op_gemm *g, unsigned trans,
			uint32_t row0, uint32_t rows, struct vgpu_op_gemm *band);

/* The same for GEMM_I8, whose A (m x k int8) and C (m x n fp32) are
 * contiguous: a + row0 * k, c + row0 * n * 4. */
int cuda_plan_gemm_i8_band(const struct vgpu_op_gemm_i8 *g, uint32_t row0,
			   uint32_t rows, struct vgpu_op_gemm_i8 *band);

#endif
