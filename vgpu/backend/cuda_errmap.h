/*
 * cuda_errmap.h - what a CUDA runtime, cuBLAS or device-kernel failure
 * means for a tenant: the per-command error it gets (enum vgpu_error) and
 * how far the damage reaches.
 */
#ifndef AIVISOR_CUDA_ERRMAP_H
#define AIVISOR_CUDA_ERRMAP_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include "vgpu_abi.h"

enum cuda_damage {
	CUDA_DAMAGE_NONE = 0,    /* the command failed; the tenant goes on */
	CUDA_DAMAGE_TENANT = 1,  /* the tenant's stream/handle state is suspect:
	                            rebuild it, put its window in ERROR */
	CUDA_DAMAGE_DEVICE = 2,  /* sticky error: the process' CUDA context is
	                            lost for every tenant (illegal address,
	                            launch failure, ECC...) */
};

struct cuda_fault {
	enum vgpu_error code;    /* answered to the tenant */
	enum cuda_damage damage;
};

struct cuda_fault cuda_errmap_runtime(cudaError_t e);
struct cuda_fault cuda_errmap_cublas(cublasStatus_t s);
/* A code a kernel left in a command's error word (CUDA_KERNELS_E*). */
struct cuda_fault cuda_errmap_kernel(int code);

#endif
