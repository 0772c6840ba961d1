/*
 * cuda_kernels_common.cuh - what the kernel files share: launch geometry,
 * thread indexing, the error word, deterministic block reductions.
 * Everything is internal to each file that includes it.
 */
#ifndef AIVISOR_CUDA_KERNELS_COMMON_CUH
#define AIVISOR_CUDA_KERNELS_COMMON_CUH

#include "cuda_kernels.h"

#include <math.h>

namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kMaxBlocks = 4096;
/* A row reduction uses one block per row; rows beyond this loop. */
constexpr unsigned kMaxRowBlocks = 65535;
static_assert(kMaxBlocks <= CUDA_KERNELS_SCRATCH_FLOATS, "scratch holds partials");
static_assert(kMaxRowBlocks <= CUDA_KERNELS_SCRATCH_FLOATS, "scratch holds partials");

inline unsigned blocks_for(size_t n)
{
	size_t b = (n + kThreads - 1) / kThreads;
	if (b == 0)
		b = 1;
	return b > kMaxBlocks ? kMaxBlocks : (unsigned)b;
}

inline unsigned row_blocks(size_t rows)
{
	if (rows == 0)
		return 1;
	return rows > kMaxRowBlocks ? kMaxRowBlocks : (unsigned)rows;
}

__device__ size_t gtid() { return (size_t)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ size_t gstride() { return (size_t)gridDim.x * blockDim.x; }

__device__ void flag_error(int *err, int code)
{
	if (err)
		atomicCAS(err, CUDA_KERNELS_OK, code);
}

/* Block-wide sum; every thread gets the result. blockDim.x == kThreads. */
__device__ float block_sum(float v)
{
	__shared__ float part[kThreads / 32];
	__syncthreads(); /* part[] may still be read by a previous call */
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_down_sync(0xffffffffu, v, o);
	unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	if (lane == 0)
		part[warp] = v;
	__syncthreads();
	float t = 0.0f;
	for (unsigned i = 0; i < kThreads / 32; i++)
		t += part[i];
	return t;
}

__device__ float block_max(float v)
{
	__shared__ float part[kThreads / 32];
	__syncthreads();
	for (int o = 16; o > 0; o >>= 1)
		v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
	unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
	if (lane == 0)
		part[warp] = v;
	__syncthreads();
	float t = part[0];
	for (unsigned i = 1; i < kThreads / 32; i++)
		t = fmaxf(t, part[i]);
	return t;
}
/* Writes one value (0 for an empty reduction) without a host round trip. */
inline cudaError_t store_zero(cudaStream_t s, void *p, size_t bytes)
{
	return cudaMemsetAsync(p, 0, bytes, s);
}

} /* namespace */

/* A launcher's status: the launch's own error, if any. */
#define LAUNCHED() cudaGetLastError()

#endif
