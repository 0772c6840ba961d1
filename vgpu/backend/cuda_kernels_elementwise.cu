/*
 * cuda_kernels_elementwise.cu - elementwise and per-column kernels: bias, activations,
 * arithmetic, optimizer updates, gather, fill, finiteness checks, all with
 * grid-stride loops over a bounded grid.
 * Semantics of each operation: cuda_kernels.h.
 */
#include "cuda_kernels_common.cuh"

namespace {

__global__ void k_bias_add(float *y, const float *bias, size_t rows, size_t cols)
{
	size_t n = rows * cols;
	for (size_t i = gtid(); i < n; i += gstride())
		y[i] += bias[i % cols];
}

/* One thread per column walks all rows: coalesced across columns. */
__global__ void k_bias_grad(float *db, const float *dy, size_t rows, size_t cols, float beta)
{
	for (size_t c = gtid(); c < cols; c += gstride()) {
		float s = 0.0f;
		for (size_t r = 0; r < rows; r++)
			s += dy[r * cols + c];
		db[c] = beta == 0.0f ? s : beta * db[c] + s;
	}
}

__device__ float act(int a, float x)
{
	switch (a) {
	case CUDA_KERNELS_RELU: return x > 0.0f ? x : 0.0f;
	case CUDA_KERNELS_SIGMOID: return 1.0f / (1.0f + expf(-x));
	default: return tanhf(x);
	}
}

/* Derivative expressed through the forward output y. */
__device__ float act_grad(int a, float y)
{
	switch (a) {
	case CUDA_KERNELS_RELU: return y > 0.0f ? 1.0f : 0.0f;
	case CUDA_KERNELS_SIGMOID: return y * (1.0f - y);
	default: return 1.0f - y * y;
	}
}

__global__ void k_act_fwd(int a, float *y, const float *x, size_t n)
{
	for (size_t i = gtid(); i < n; i += gstride())
		y[i] = act(a, x[i]);
}

__global__ void k_act_bwd(int a, float *dx, const float *dy, const float *y, size_t n)
{
	for (size_t i = gtid(); i < n; i += gstride())
		dx[i] = dy[i] * act_grad(a, y[i]);
}

__global__ void k_binop(int op, float *z, const float *x, const float *y, size_t n)
{
	for (size_t i = gtid(); i < n; i += gstride()) {
		float a = x[i], b = y[i];
		z[i] = op == CUDA_KERNELS_ADD ? a + b : a * b;
	}
}

__global__ void k_scale(float *y, const float *x, float alpha, size_t n)
{
	for (size_t i = gtid(); i < n; i += gstride())
		y[i] = alpha * x[i];
}

__global__ void k_axpy(float *y, const float *x, float alpha, size_t n)
{
	for (size_t i = gtid(); i < n; i += gstride())
		y[i] += alpha * x[i];
}

__global__ void k_sgd(float *w, const float *g, float lr, float wd, size_t n)
{
	for (size_t i = gtid(); i < n; i += gstride())
		w[i] -= lr * (g[i] + wd * w[i]);
}

__global__ void k_momentum(float *w, float *v, const float *g, float lr, float mu, float wd,
			   size_t n)
{
	for (size_t i = gtid(); i < n; i += gstride()) {
		float vi = mu * v[i] + g[i] + wd * w[i];
		v[i] = vi;
		w[i] -= lr * vi;
	}
}

/* hyper: lr, beta1, beta2, eps, weight_decay (floats), step (uint32). */
__global__ void k_adam(float *w, float *m, float *v, const float *g, const uint32_t *hyper,
		       size_t n, int *err)
{
	float lr = __uint_as_float(hyper[0]), b1 = __uint_as_float(hyper[1]);
	float b2 = __uint_as_float(hyper[2]), eps = __uint_as_float(hyper[3]);
	float wd = __uint_as_float(hyper[4]);
	uint32_t step = hyper[5];
	/* The same refusals as the CPU backend (cpu_ops.c), nothing written. */
	if (step == 0 || !isfinite(lr) || !isfinite(eps) || !isfinite(wd) ||
	    !(b1 >= 0.0f && b1 < 1.0f) || !(b2 >= 0.0f && b2 < 1.0f) || !(eps >= 0.0f)) {
		if (gtid() == 0)
			flag_error(err, CUDA_KERNELS_EBADARG);
		return;
	}
	float c1 = 1.0f - powf(b1, (float)step);
	float c2 = 1.0f - powf(b2, (float)step);
	for (size_t i = gtid(); i < n; i += gstride()) {
		float gi = g[i] + wd * w[i];
		float mi = b1 * m[i] + (1.0f - b1) * gi;
		float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		w[i] -= lr * (mi / c1) / (sqrtf(vi / c2) + eps);
	}
}

__global__ void k_gather_rows(float *out, const float *table, const int32_t *idx, size_t rows,
			      size_t cols, size_t table_rows, int *err)
{
	for (size_t r = blockIdx.x; r < rows; r += gridDim.x) {
		int32_t t = idx[r];
		if (t < 0 || (size_t)t >= table_rows) {
			if (threadIdx.x == 0)
				flag_error(err, CUDA_KERNELS_EBADINDEX);
			continue;
		}
		for (size_t c = threadIdx.x; c < cols; c += blockDim.x)
			out[r * cols + c] = table[(size_t)t * cols + c];
	}
}

__global__ void k_fill(uint32_t *x, uint32_t value, size_t n)
{
	for (size_t i = gtid(); i < n; i += gstride())
		x[i] = value;
}

__global__ void k_check_finite(const float *x, size_t rows, size_t cols, size_t ld, int *err)
{
	size_t n = rows * cols;
	for (size_t i = gtid(); i < n; i += gstride())
		if (!isfinite(x[(i / cols) * ld + i % cols])) {
			flag_error(err, CUDA_KERNELS_ENONFINITE);
			return;
		}
}

} /* namespace */

extern "C" {

cudaError_t cuda_kernels_bias_add(cudaStream_t s, float *y, const float *bias, size_t rows,
				  size_t cols)
{
	if (rows == 0 || cols == 0)
		return cudaSuccess;
	k_bias_add<<<blocks_for(rows * cols), kThreads, 0, s>>>(y, bias, rows, cols);
	return LAUNCHED();
}

cudaError_t cuda_kernels_bias_grad(cudaStream_t s, float *db, const float *dy, size_t rows,
				   size_t cols, float beta)
{
	if (cols == 0)
		return cudaSuccess;
	k_bias_grad<<<blocks_for(cols), kThreads, 0, s>>>(db, dy, rows, cols, beta);
	return LAUNCHED();
}

cudaError_t cuda_kernels_act_fwd(cudaStream_t s, enum cuda_kernels_act a, float *y,
				 const float *x, size_t n)
{
	if (n == 0)
		return cudaSuccess;
	k_act_fwd<<<blocks_for(n), kThreads, 0, s>>>((int)a, y, x, n);
	return LAUNCHED();
}

cudaError_t cuda_kernels_act_bwd(cudaStream_t s, enum cuda_kernels_act a, float *dx,
				 const float *dy, const float *y, size_t n)
{
	if (n == 0)
		return cudaSuccess;
	k_act_bwd<<<blocks_for(n), kThreads, 0, s>>>((int)a, dx, dy, y, n);
	return LAUNCHED();
}

cudaError_t cuda_kernels_binop(cudaStream_t s, enum cuda_kernels_binop op, float *z,
			       const float *x, const float *y, size_t n)
{
	if (n == 0)
		return cudaSuccess;
	k_binop<<<blocks_for(n), kThreads, 0, s>>>((int)op, z, x, y, n);
	return LAUNCHED();
}

cudaError_t cuda_kernels_scale(cudaStream_t s, float *y, const float *x, float alpha, size_t n)
{
	if (n == 0)
		return cudaSuccess;
	k_scale<<<blocks_for(n), kThreads, 0, s>>>(y, x, alpha, n);
	return LAUNCHED();
}

cudaError_t cuda_kernels_axpy(cudaStream_t s, float *y, const float *x, float alpha, size_t n)
{
	if (n == 0)
		return cudaSuccess;
	k_axpy<<<blocks_for(n), kThreads, 0, s>>>(y, x, alpha, n);
	return LAUNCHED();
}

cudaError_t cuda_kernels_sgd(cudaStream_t s, float *w, const float *g, float lr, float wd,
			     size_t n)
{
	if (n == 0)
		return cudaSuccess;
	k_sgd<<<blocks_for(n), kThreads, 0, s>>>(w, g, lr, wd, n);
	return LAUNCHED();
}

cudaError_t cuda_kernels_momentum(cudaStream_t s, float *w, float *v, const float *g, float lr,
				  float mu, float wd, size_t n)
{
	if (n == 0)
		return cudaSuccess;
	k_momentum<<<blocks_for(n), kThreads, 0, s>>>(w, v, g, lr, mu, wd, n);
	return LAUNCHED();
}

cudaError_t cuda_kernels_adam(cudaStream_t s, float *w, float *m, float *v, const float *g,
			      const uint32_t *hyper, size_t n, int *err)
{
	k_adam<<<blocks_for(n), kThreads, 0, s>>>(w, m, v, g, hyper, n, err);
	return LAUNCHED();
}

cudaError_t cuda_kernels_gather_rows(cudaStream_t s, float *out, const float *table,
				     const int32_t *idx, size_t rows, size_t cols,
				     size_t table_rows, int *err)
{
	if (rows == 0 || cols == 0)
		return cudaSuccess;
	k_gather_rows<<<row_blocks(rows), kThreads, 0, s>>>(out, table, idx, rows, cols,
							    table_rows, err);
	return LAUNCHED();
}

cudaError_t cuda_kernels_fill(cudaStream_t s, uint32_t *x, uint32_t value, size_t n)
{
	if (n == 0)
		return cudaSuccess;
	k_fill<<<blocks_for(n), kThreads, 0, s>>>(x, value, n);
	return LAUNCHED();
}

cudaError_t cuda_kernels_check_finite(cudaStream_t s, const float *x, size_t rows, size_t cols,
				      size_t ld, int *err)
{
	if (rows == 0 || cols == 0)
		return cudaSuccess;
	k_check_finite<<<blocks_for(rows * cols), kThreads, 0, s>>>(x, rows, cols, ld, err);
	return LAUNCHED();
}

} /* extern "C" */
