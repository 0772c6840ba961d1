/*
 * cpu_ops.h - plain C implementations of the opcodes BLAS does not cover,
 * for CPU backends.  Arguments are commands the validator accepted.
 */
#ifndef VGPU_CPU_OPS_H
#define VGPU_CPU_OPS_H

#include <stdint.h>
#include "vgpu_abi.h"

/* Runs a validated non-GEMM command on the arena; VGPU_OK or VGPU_E_*. */
int cpu_ops_run(uint8_t *arena, const struct vgpu_cmd *c);
/* int8 GEMM rows [rb, re) with int32 accumulation. */
int cpu_ops_gemm_i8(uint8_t *arena, const struct vgpu_cmd *c, uint32_t rb, uint32_t re);
/* VGPU_E_NONFINITE when an fp32 output of c (rows [rb, re) of a GEMM) holds
 * a NaN or infinity; checked only where the ABI says so. */
int cpu_ops_check_outputs(uint8_t *arena, const struct vgpu_cmd *c, uint32_t rb, uint32_t re);

#endif
