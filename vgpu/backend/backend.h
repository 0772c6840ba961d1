/*
 * backend.h - what the server needs from a compute backend.  A backend
 * runs commands the validator has accepted, directly on the tenant's arena
 * (host memory on the CPU; a CUDA backend would mirror it in a device
 * allocation).  One file per backend: openblas.c; cuda later.
 */
#ifndef VGPU_BACKEND_H
#define VGPU_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "vgpu_abi.h"

struct vgpu_backend {
	const char *name;
	/* threads: 0 = online cores.  Returns 0 or -errno with a message. */
	int (*init)(int threads, char *err, size_t errlen);
	void (*fini)(void);
	int (*threads)(void);
	/*
	 * Runs one validated command, except GRAPH_RUN (the server unrolls
	 * graphs).  For GEMM and GEMM_I8 only output rows [row_begin,
	 * row_end) are computed, so the server can split a long command into
	 * chunks; other opcodes ignore the range.  Returns VGPU_OK or a
	 * VGPU_E_* code (index out of range, non-finite, out of memory).
	 */
	int (*run)(uint8_t *arena, uint64_t arena_size, const struct vgpu_cmd *c,
		   uint32_t row_begin, uint32_t row_end);
	/* Optional (NULL: nothing to do).  attach reserves what a tenant's
	 * arena needs on the device (the key of later run calls); a failure
	 * refuses the tenant with err.  detach frees it. */
	int (*attach)(uint8_t *arena, uint64_t arena_size, char *err, size_t errlen);
	void (*detach)(uint8_t *arena);
};

extern const struct vgpu_backend vgpu_backend_openblas;

/* Looks a backend up by name: NULL or "openblas"; "cuda" and "auto" (CUDA
 * when a usable GPU is found, else OpenBLAS) in builds with the CUDA
 * backend.  Returns NULL with the reason in why when there is none. */
const struct vgpu_backend *vgpu_backend_find(const char *name, char *why, size_t whylen);

#endif
