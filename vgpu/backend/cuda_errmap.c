/*
 * cuda_errmap.c - CUDA/cuBLAS/kernel failures to tenant errors.
 *
 * Everything a tenant can send is validated before it reaches the device,
 * so a CUDA failure is either resource exhaustion (the command fails, the
 * tenant goes on), a broken stream or handle (that tenant is rebuilt), or a
 * sticky context error, which CUDA makes process-wide: no runtime call
 * works afterwards, so the backend must rebuild every tenant.
 */
#include "cuda_errmap.h"
#include "cuda_kernels.h"

struct cuda_fault cuda_errmap_runtime(cudaError_t e)
{
	struct cuda_fault f = { VGPU_OK, CUDA_DAMAGE_NONE };

	switch (e) {
	case cudaSuccess:
		return f;
	case cudaErrorMemoryAllocation:
	case cudaErrorInvalidValue:
	case cudaErrorInvalidConfiguration:
	case cudaErrorLaunchOutOfResources:
		f.code = VGPU_E_BACKEND;
		return f;
	/* Sticky: the context is unusable for the whole process. */
	case cudaErrorIllegalAddress:
	case cudaErrorLaunchFailure:
	case cudaErrorLaunchTimeout:
	case cudaErrorHardwareStackError:
	case cudaErrorIllegalInstruction:
	case cudaErrorMisalignedAddress:
	case cudaErrorInvalidAddressSpace:
	case cudaErrorInvalidPc:
	case cudaErrorECCUncorrectable:
	case cudaErrorAssert:
	case cudaErrorContextIsDestroyed:
	case cudaErrorDevicesUnavailable:
	case cudaErrorUnknown:
		f.code = VGPU_E_BACKEND;
		f.damage = CUDA_DAMAGE_DEVICE;
		return f;
	default:
		f.code = VGPU_E_BACKEND;
		f.damage = CUDA_DAMAGE_TENANT;
		return f;
	}
}

struct cuda_fault cuda_errmap_cublas(cublasStatus_t s)
{
	struct cuda_fault f = { VGPU_OK, CUDA_DAMAGE_NONE };

	switch (s) {
	case CUBLAS_STATUS_SUCCESS:
		return f;
	case CUBLAS_STATUS_INVALID_VALUE:
		/* Validation should have caught it: a dimension cuBLAS refuses. */
		f.code = VGPU_E_ARG;
		return f;
	case CUBLAS_STATUS_ALLOC_FAILED:
	case CUBLAS_STATUS_NOT_SUPPORTED:
	case CUBLAS_STATUS_ARCH_MISMATCH:
		f.code = VGPU_E_BACKEND;
		return f;
	case CUBLAS_STATUS_EXECUTION_FAILED:
	case CUBLAS_STATUS_MAPPING_ERROR:
		/* The kernel did not run or faulted; the caller asks the runtime
		 * whether the context survived (cudaGetLastError). */
		f.code = VGPU_E_BACKEND;
		f.damage = CUDA_DAMAGE_TENANT;
		return f;
	default: /* NOT_INITIALIZED, INTERNAL_ERROR, LICENSE_ERROR */
		f.code = VGPU_E_BACKEND;
		f.damage = CUDA_DAMAGE_TENANT;
		return f;
	}
}

struct cuda_fault cuda_errmap_kernel(int code)
{
	struct cuda_fault f = { VGPU_OK, CUDA_DAMAGE_NONE };

	switch (code) {
	case CUDA_KERNELS_OK:
		return f;
	case CUDA_KERNELS_EBADINDEX:
		f.code = VGPU_E_INDEX;
		return f;
	case CUDA_KERNELS_EBADARG:
		f.code = VGPU_E_ARG;
		return f;
	case CUDA_KERNELS_ENONFINITE:
		f.code = VGPU_E_NONFINITE;
		return f;
	default:
		/* Device memory we own holds a value no kernel writes: suspect. */
		f.code = VGPU_E_BACKEND;
		f.damage = CUDA_DAMAGE_TENANT;
		return f;
	}
}
