/*
 * cuda_kernels_gemm_i8.cu - the int8 GEMM of quantized inference: 16x16 tiles
 * in shared memory, int32 accumulation, per-tensor scales and bias applied
 * in the epilogue.
 * Semantics of each operation: cuda_kernels.h.
 */
#include "cuda_kernels_common.cuh"

namespace {

/* Tiled int8 GEMM, int32 accumulation; one 16x16 output tile per block. */
constexpr unsigned kTile = 16;

__global__ void k_gemm_i8(float *c, const int8_t *a, const int8_t *b, const float *scales,
			  const float *bias, size_t m, size_t n, size_t k, int trans_b)
{
	__shared__ int32_t as[kTile][kTile];
	__shared__ int32_t bs[kTile][kTile];
	size_t row = (size_t)blockIdx.y * kTile + threadIdx.y;
	size_t col = (size_t)blockIdx.x * kTile + threadIdx.x;
	/* The B tile is loaded by (k, n) position; with trans_b B is n x k. */
	size_t bcol = (size_t)blockIdx.x * kTile + threadIdx.y;
	int32_t acc = 0;
	for (size_t k0 = 0; k0 < k; k0 += kTile) {
		size_t ka = k0 + threadIdx.x;
		as[threadIdx.y][threadIdx.x] = row < m && ka < k ? a[row * k + ka] : 0;
		if (trans_b) /* bs[kk][j] = B[j][kk], loaded k-fastest for coalescing */
			bs[threadIdx.x][threadIdx.y] = ka < k && bcol < n ? b[bcol * k + ka] : 0;
		else {
			size_t kb = k0 + threadIdx.y;
			bs[threadIdx.y][threadIdx.x] = kb < k && col < n ? b[kb * n + col] : 0;
		}
		__syncthreads();
		for (unsigned kk = 0; kk < kTile; kk++)
			acc += as[threadIdx.y][kk] * bs[kk][threadIdx.x];
		__syncthreads();
	}
	if (row < m && col < n) {
		float r = scales[0] * scales[1] * (float)acc;
		c[row * n + col] = bias ? r + bias[col] : r;
	}
}

} /* namespace */

extern "C" {

cudaError_t cuda_kernels_gemm_i8(cudaStream_t s, float *c, const int8_t *a, const int8_t *b,
				 const float *scales, const float *bias, size_t m, size_t n,
				 size_t k, int trans_b)
{
	if (m == 0 || n == 0)
		return cudaSuccess;
	if ((m + kTile - 1) / kTile > 65535 || (n + kTile - 1) / kTile > 0x7fffffffu)
		return cudaErrorInvalidValue; /* the backend splits rows below this */
	dim3 grid((unsigned)((n + kTile - 1) / kTile), (unsigned)((m + kTile - 1) / kTile));
	k_gemm_i8<<<grid, dim3(kTile, kTile), 0, s>>>(c, a, b, scales, bias, m, n, k, trans_b);
	return LAUNCHED();
}

} /* extern "C" */
