/*
 * cuda_spans.h - the arena bytes a command reads and writes, for the CUDA
 * backend's coherent mode: a tenant that never asked for explicit
 * transfers gets its inputs uploaded before each command and its outputs
 * downloaded after, so the window's arena behaves exactly as on the
 * OpenBLAS backend (at the cost of the copies).
 *
 * Pure arithmetic on a validated command (no CUDA).  Every span lies inside
 * buffers the validator checked.  Outputs are also uploaded first, so the
 * bytes between the rows of a strided output travel unchanged.
 */
#ifndef AIVISOR_CUDA_SPANS_H
#define AIVISOR_CUDA_SPANS_H

#include <stdint.h>
#include "vgpu_abi.h"

#define CUDA_SPANS_MAX 6

struct cuda_xfer {
	uint64_t off, bytes;
	int out;                 /* 1: written by the command (download) */
	int whole;               /* 1: the same for every row band of a GEMM
	                            (B, scales, bias): a band that continues the
	                            previous one needs no new copy of it */
};

/* Fills s[] for rows [rb, re) of a GEMM/GEMM_I8 (other opcodes ignore
 * the range); returns how many spans (0 for NOP or an empty range). */
int cuda_spans(const struct vgpu_cmd *c, uint32_t rb, uint32_t re,
	       struct cuda_xfer s[CUDA_SPANS_MAX]);

#endif
