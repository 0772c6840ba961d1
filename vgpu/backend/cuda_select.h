/*
 * cuda_select.h - choosing the vGPU backend: `auto` (CUDA when a usable
 * GPU is found, else OpenBLAS, saying why), `cuda` (fails clearly without
 * a GPU) or `openblas`.
 *
 * The choice is pure logic over a probe result, so it is tested on hosts
 * with and without a GPU; cuda_probe_device() fills the probe from the real
 * CUDA runtime (or, in a build without the CUDA toolkit, says so).
 */
#ifndef AIVISOR_CUDA_SELECT_H
#define AIVISOR_CUDA_SELECT_H

#include <stddef.h>
#include <stdint.h>

enum vgpu_backend_kind {
	VGPU_BACKEND_OPENBLAS = 0,
	VGPU_BACKEND_CUDA = 1,
};

/* Oldest compute capability the kernels are built for (cuda.mk). */
#define CUDA_MIN_CC_MAJOR 8

struct cuda_probe {
	int usable;             /* 1: device 0 can run the backend */
	int device_count;       /* as cudaGetDeviceCount reported (0 on error) */
	int cc_major, cc_minor; /* device 0 */
	uint64_t mem_total;     /* bytes, device 0 */
	char name[96];          /* device 0 */
	char why[160];          /* when !usable: "no CUDA device: <reason>" */
};

/* Asks the CUDA runtime about device 0.  Never fails: an unusable or
 * absent GPU is a result (p->usable = 0, p->why says why). */
void cuda_probe_device(struct cuda_probe *p);

/*
 * requested: NULL or "auto", "cuda", "openblas".  On success returns 0,
 * sets *kind and writes a one-line reason into why (the chosen device, or
 * why `auto` fell back to OpenBLAS).  Returns -ENODEV when "cuda" was asked
 * for and p is not usable, -EINVAL for an unknown name; why says which.
 */
int cuda_select_backend(const char *requested, const struct cuda_probe *p,
			enum vgpu_backend_kind *kind, char *why, size_t whylen);

const char *vgpu_backend_name(enum vgpu_backend_kind kind);

#endif
