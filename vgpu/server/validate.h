/*
 * validate.h - the command validator: the only gate between a tenant's
 * bytes and the backend.
 */
#ifndef VGPU_VALIDATE_H
#define VGPU_VALIDATE_H

#include <stdint.h>
#include "vgpu_abi.h"

/*
 * Checks one command (already copied into private memory) against an arena
 * of arena_size bytes: opcode, flag and arg bits, dimensions and leading
 * dimensions, every buffer inside the arena (overflow-safe), alignment, and
 * overlaps that would make the result undefined.  GRAPH_RUN is refused when
 * in_graph is set.  Values inside buffers (labels, indices, Adam's step)
 * are checked by the backend as it reads them.  Returns VGPU_OK or VGPU_E_*.
 */
int vgpu_validate(const struct vgpu_cmd *c, uint64_t arena_size, int in_graph);

/* Output rows of a command the server may split into row chunks (GEMM,
 * GEMM_I8), with the work per row in flops; 0 for everything else. */
uint32_t vgpu_cmd_rows(const struct vgpu_cmd *c, uint64_t *flops_per_row);

#endif
