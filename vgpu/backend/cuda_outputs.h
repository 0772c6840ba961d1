/*
 * cuda_outputs.h - which fp32 outputs of a command the CUDA backend checks
 * for NaN/infinity on the device, as spans of the arena.
 *
 * The same elements as the CPU backend (cpu_ops.c), so a tenant gets the
 * same VGPU_E_NONFINITE on both backends: losses and sums always, the
 * other outputs only with VGPU_CMD_F_CHECK_FINITE.  Pure arithmetic on a
 * validated command (no CUDA), tested against cpu_ops_check_outputs.
 */
#ifndef AIVISOR_CUDA_OUTPUTS_H
#define AIVISOR_CUDA_OUTPUTS_H

#include <stdint.h>
#include "vgpu_abi.h"

/* rows x cols floats at arena offset off, rows ld floats apart. */
struct cuda_span {
	uint64_t off, rows, cols, ld;
};

/* Outputs checked whatever the flags say (losses, sums): 0 or 1 spans. */
int cuda_outputs_always(const struct vgpu_cmd *c, struct cuda_span o[1]);
/* Outputs checked under F_CHECK_FINITE, for output rows [rb, re) of a
 * GEMM/GEMM_I8 (other opcodes ignore the range): 0 or 1 spans. */
int cuda_outputs_flagged(const struct vgpu_cmd *c, uint32_t rb, uint32_t re,
			 struct cuda_span o[1]);

#endif
