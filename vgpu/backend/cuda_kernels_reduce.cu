/*
 * cuda_kernels_reduce.cu - kernels that reduce: softmax, cross-entropy, MSE, sums,
 * counts, argmax, int8 quantization.  Reductions are two-pass with a fixed
 * order (per-block partials in the tenant's scratch, then one block), so
 * results do not depend on what else the device runs.
 * Semantics of each operation: cuda_kernels.h.
 */
#include "cuda_kernels_common.cuh"

namespace {

__global__ void k_softmax(float *y, const float *x, size_t rows, size_t cols)
{
	for (size_t r = blockIdx.x; r < rows; r += gridDim.x) {
		const float *xr = x + r * cols;
		float *yr = y + r * cols;
		float m = -INFINITY;
		for (size_t c = threadIdx.x; c < cols; c += blockDim.x)
			m = fmaxf(m, xr[c]);
		m = block_max(m);
		float s = 0.0f;
		for (size_t c = threadIdx.x; c < cols; c += blockDim.x)
			s += expf(xr[c] - m);
		s = block_sum(s);
		for (size_t c = threadIdx.x; c < cols; c += blockDim.x)
			yr[c] = expf(xr[c] - m) / s;
	}
}

/*
 * Per row: gradient in place of (or beside) the logits; each block sums its
 * rows' losses into part[blockIdx.x] (fixed order: deterministic).
 */
__global__ void k_softmax_xent(float *grad, float *part, const float *logits,
			       const int32_t *labels, size_t rows, size_t cols, int *err)
{
	float block_loss = 0.0f;
	for (size_t r = blockIdx.x; r < rows; r += gridDim.x) {
		const float *xr = logits + r * cols;
		float *gr = grad ? grad + r * cols : nullptr;
		int32_t lab = labels[r];
		if (lab < 0 || (size_t)lab >= cols) {
			if (threadIdx.x == 0)
				flag_error(err, CUDA_KERNELS_EBADINDEX);
			continue;
		}
		float m = -INFINITY;
		for (size_t c = threadIdx.x; c < cols; c += blockDim.x)
			m = fmaxf(m, xr[c]);
		m = block_max(m);
		float s = 0.0f;
		for (size_t c = threadIdx.x; c < cols; c += blockDim.x)
			s += expf(xr[c] - m);
		s = block_sum(s);
		float xl = xr[lab]; /* read before grad (maybe == logits) is written */
		__syncthreads();
		float inv_rows = 1.0f / (float)rows;
		if (gr)
			for (size_t c = threadIdx.x; c < cols; c += blockDim.x) {
				float p = expf(xr[c] - m) / s;
				gr[c] = (p - (c == (size_t)lab ? 1.0f : 0.0f)) * inv_rows;
			}
		block_loss += logf(s) + m - xl; /* -log softmax[lab] */
	}
	if (threadIdx.x == 0)
		part[blockIdx.x] = block_loss;
}

/* Single-block deterministic (*out if accumulate) + sum(x[0..n)) / div. */
__global__ void k_final_sum(float *out, const float *x, size_t n, float div, int accumulate)
{
	float s = 0.0f;
	for (size_t i = threadIdx.x; i < n; i += blockDim.x)
		s += x[i];
	s = block_sum(s);
	if (threadIdx.x == 0)
		*out = (accumulate ? *out : 0.0f) + s / div;
}

__global__ void k_count_partial(int32_t *part, const int32_t *a, const int32_t *b, size_t n)
{
	__shared__ unsigned cnt;
	if (threadIdx.x == 0)
		cnt = 0;
	__syncthreads();
	unsigned c = 0;
	for (size_t i = gtid(); i < n; i += gstride())
		c += a[i] == b[i];
	atomicAdd(&cnt, c); /* integer: order does not matter */
	__syncthreads();
	if (threadIdx.x == 0)
		part[blockIdx.x] = (int32_t)cnt;
}

__global__ void k_count_final(int32_t *dst, const int32_t *part, unsigned n, int accumulate)
{
	__shared__ unsigned cnt;
	if (threadIdx.x == 0)
		cnt = 0;
	__syncthreads();
	unsigned c = 0;
	for (unsigned i = threadIdx.x; i < n; i += blockDim.x)
		c += (unsigned)part[i];
	atomicAdd(&cnt, c);
	__syncthreads();
	if (threadIdx.x == 0)
		*dst = (int32_t)((accumulate ? (unsigned)*dst : 0u) + cnt);
}

/* Per-block partial absolute maxima (NaN ignored). */
__global__ void k_absmax_partial(float *part, const float *x, size_t n)
{
	float m = 0.0f;
	for (size_t i = gtid(); i < n; i += gstride())
		m = fmaxf(m, fabsf(x[i]));
	m = block_max(m);
	if (threadIdx.x == 0)
		part[blockIdx.x] = m;
}

__global__ void k_quant_scale(float *scale, const float *part, unsigned n)
{
	float m = 0.0f;
	for (unsigned i = threadIdx.x; i < n; i += blockDim.x)
		m = fmaxf(m, part[i]);
	m = block_max(m);
	if (threadIdx.x == 0)
		*scale = m > 0.0f ? m / 127.0f : 1.0f;
}

/* Per-block partial sums of squared differences, plus the gradient. */
__global__ void k_mse_partial(float *part, float *grad, const float *y, const float *t, size_t n)
{
	float s = 0.0f;
	float g = 2.0f / (float)n;
	for (size_t i = gtid(); i < n; i += gstride()) {
		float d = y[i] - t[i];
		s += d * d;
		if (grad)
			grad[i] = g * d;
	}
	s = block_sum(s);
	if (threadIdx.x == 0)
		part[blockIdx.x] = s;
}

__global__ void k_sum_partial(float *part, const float *x, size_t n)
{
	float s = 0.0f;
	for (size_t i = gtid(); i < n; i += gstride())
		s += x[i];
	s = block_sum(s);
	if (threadIdx.x == 0)
		part[blockIdx.x] = s;
}

__global__ void k_argmax(int32_t *idx, const float *x, size_t rows, size_t cols)
{
	__shared__ float bv[kThreads];
	__shared__ size_t bi[kThreads];
	for (size_t r = blockIdx.x; r < rows; r += gridDim.x) {
		const float *xr = x + r * cols;
		float v = -INFINITY;
		size_t vi = (size_t)-1;
		/* As the CPU backend: NaNs never win, except that index 0 is
		 * the answer when x[0] is NaN (nothing compares above it). */
		for (size_t c = threadIdx.x; c < cols; c += blockDim.x)
			if (!isnan(xr[c]) && (vi == (size_t)-1 || xr[c] > v)) {
				v = xr[c];
				vi = c;
			}
		__syncthreads();
		bv[threadIdx.x] = v;
		bi[threadIdx.x] = vi;
		__syncthreads();
		/* Tree over threads; ties prefer the lower index. */
		for (unsigned h = blockDim.x / 2; h > 0; h >>= 1) {
			if (threadIdx.x < h) {
				float ov = bv[threadIdx.x + h];
				size_t oi = bi[threadIdx.x + h];
				size_t mi = bi[threadIdx.x];
				if (oi != (size_t)-1 &&
				    (mi == (size_t)-1 || ov > bv[threadIdx.x] ||
				     (ov == bv[threadIdx.x] && oi < mi))) {
					bv[threadIdx.x] = ov;
					bi[threadIdx.x] = oi;
				}
			}
			__syncthreads();
		}
		if (threadIdx.x == 0)
			idx[r] = bi[0] == (size_t)-1 || isnan(xr[0]) ? 0 : (int32_t)bi[0];
	}
}

__global__ void k_quantize(int8_t *q, const float *x, const float *scale, size_t n)
{
	float s = *scale;
	for (size_t i = gtid(); i < n; i += gstride()) {
		float v = roundf(x[i] / s);
		v = fminf(fmaxf(v, -127.0f), 127.0f); /* fmaxf/fminf drop NaN... */
		q[i] = (int8_t)(isnan(x[i]) ? 0.0f : v); /* ...so say it plainly */
	}
}

} /* namespace */

extern "C" {

cudaError_t cuda_kernels_softmax(cudaStream_t s, float *y, const float *x, size_t rows,
				 size_t cols)
{
	if (rows == 0 || cols == 0)
		return cudaSuccess;
	k_softmax<<<row_blocks(rows), kThreads, 0, s>>>(y, x, rows, cols);
	return LAUNCHED();
}

cudaError_t cuda_kernels_softmax_xent(cudaStream_t s, float *grad, float *loss, float *scratch,
				      const float *logits, const int32_t *labels, size_t rows,
				      size_t cols, int *err)
{
	if (rows == 0 || cols == 0)
		return store_zero(s, loss, sizeof *loss);
	unsigned b = row_blocks(rows);
	k_softmax_xent<<<b, kThreads, 0, s>>>(grad, scratch, logits, labels, rows, cols, err);
	cudaError_t e = LAUNCHED();
	if (e != cudaSuccess)
		return e;
	k_final_sum<<<1, kThreads, 0, s>>>(loss, scratch, b, (float)rows, 0);
	return LAUNCHED();
}

cudaError_t cuda_kernels_mse(cudaStream_t s, float *grad, float *loss, float *scratch,
			     const float *y, const float *t, size_t n)
{
	if (n == 0)
		return store_zero(s, loss, sizeof *loss);
	unsigned b = blocks_for(n);
	k_mse_partial<<<b, kThreads, 0, s>>>(scratch, grad, y, t, n);
	cudaError_t e = LAUNCHED();
	if (e != cudaSuccess)
		return e;
	k_final_sum<<<1, kThreads, 0, s>>>(loss, scratch, b, (float)n, 0);
	return LAUNCHED();
}

cudaError_t cuda_kernels_sum(cudaStream_t s, float *out, float *scratch, const float *x, size_t n,
			     int accumulate, int mean)
{
	if (n == 0)
		return accumulate ? cudaSuccess : store_zero(s, out, sizeof *out);
	unsigned b = blocks_for(n);
	k_sum_partial<<<b, kThreads, 0, s>>>(scratch, x, n);
	cudaError_t e = LAUNCHED();
	if (e != cudaSuccess)
		return e;
	k_final_sum<<<1, kThreads, 0, s>>>(out, scratch, b, mean ? (float)n : 1.0f, accumulate);
	return LAUNCHED();
}

cudaError_t cuda_kernels_count_eq(cudaStream_t s, int32_t *dst, int32_t *scratch,
				  const int32_t *a, const int32_t *b, size_t n, int accumulate)
{
	if (n == 0)
		return accumulate ? cudaSuccess : store_zero(s, dst, sizeof *dst);
	unsigned nb = blocks_for(n);
	k_count_partial<<<nb, kThreads, 0, s>>>(scratch, a, b, n);
	cudaError_t e = LAUNCHED();
	if (e != cudaSuccess)
		return e;
	k_count_final<<<1, kThreads, 0, s>>>(dst, scratch, nb, accumulate);
	return LAUNCHED();
}

cudaError_t cuda_kernels_argmax(cudaStream_t s, int32_t *idx, const float *x, size_t rows,
				size_t cols)
{
	if (rows == 0)
		return cudaSuccess;
	k_argmax<<<row_blocks(rows), kThreads, 0, s>>>(idx, x, rows, cols);
	return LAUNCHED();
}

cudaError_t cuda_kernels_quantize_i8(cudaStream_t s, int8_t *q, float *scale, float *scratch,
				     const float *x, size_t n)
{
	unsigned b = blocks_for(n);
	k_absmax_partial<<<b, kThreads, 0, s>>>(scratch, x, n);
	cudaError_t e = LAUNCHED();
	if (e != cudaSuccess)
		return e;
	k_quant_scale<<<1, kThreads, 0, s>>>(scale, scratch, b);
	e = LAUNCHED();
	if (e != cudaSuccess || n == 0)
		return e;
	k_quantize<<<b, kThreads, 0, s>>>(q, x, scale, n);
	return LAUNCHED();
}

} /* extern "C" */
