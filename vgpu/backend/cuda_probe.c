/*
 * cuda_probe.c - asks the CUDA runtime whether device 0 can run the CUDA
 * backend (built only where the CUDA toolkit is present; see cuda.mk).
 */
#include <cuda_runtime_api.h>
#include <string.h>
#include "cuda_select.h"
#include "../common/vgpu_err.h"

void cuda_probe_device(struct cuda_probe *p)
{
	memset(p, 0, sizeof *p);
	int n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess) {
		vgpu_err(p->why, sizeof p->why, 0, "no CUDA device: %s", cudaGetErrorString(e));
		return;
	}
	p->device_count = n;
	if (n <= 0) {
		vgpu_err(p->why, sizeof p->why, 0, "no CUDA device: none found");
		return;
	}
	struct cudaDeviceProp prop;
	e = cudaGetDeviceProperties(&prop, 0);
	if (e != cudaSuccess) {
		vgpu_err(p->why, sizeof p->why, 0, "no CUDA device: device 0: %s",
			 cudaGetErrorString(e));
		return;
	}
	p->cc_major = prop.major;
	p->cc_minor = prop.minor;
	p->mem_total = prop.totalGlobalMem;
	vgpu_err(p->name, sizeof p->name, 0, "%s", prop.name);
	if (prop.major < CUDA_MIN_CC_MAJOR) {
		vgpu_err(p->why, sizeof p->why, 0,
			 "no CUDA device: %s is sm_%d%d, the backend needs sm_%d0 or newer",
			 p->name, prop.major, prop.minor, CUDA_MIN_CC_MAJOR);
		return;
	}
	p->usable = 1;
}
