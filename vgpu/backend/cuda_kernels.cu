/*
 * cuda_kernels.cu - device code for the vGPU opcodes cuBLAS does not
 * cover (see cuda_kernels.h for each operation's exact semantics).
 *
 * Elementwise kernels use grid-stride loops with a bounded grid, so any
 * size the validator accepted launches with one fixed configuration.
 * Reductions are deterministic (fixed tree order, no float atomics), so a
 * tenant's results do not depend on what else the device is running.
 */
#include "cuda_kernels.h"

#include <math.h>

namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kMaxBlocks = 4096;
/* A row reduction uses one block per row; rows beyond this loop. */
constexpr unsigned kMaxRowBlocks = 65535;
static_assert(kMaxBlocks <= CUDA_KERNELS_SCRATCH_FLOATS, "scratch holds partials");
static_assert(kMaxRowBlocks <= CUDA_KERNELS_SCRATCH_FLOATS, "scratch holds partials");

unsigned blocks_for(size_t n)
{
	size_t b = (n + kThreads - 1) / kThreads;
	if (b == 0)
		b = 1;
	return b > kMaxBlocks ? kMaxBlocks : (unsigned)b;
}

unsigned row_blocks(size_t rows)
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

__global__ void k_check_finite(const float *x, size_t rows, size_t cols, size_t ld, int *err)
{
	size_t n = rows * cols;
	for (size_t i = gtid(); i < n; i += gstride())
		if (!isfinite(x[(i / cols) * ld + i % cols])) {
			flag_error(err, CUDA_KERNELS_ENONFINITE);
			return;
		}
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

__global__ void k_quantize(int8_t *q, const float *x, const float *scale, size_t n)
{
	float s = *scale;
	for (size_t i = gtid(); i < n; i += gstride()) {
		float v = roundf(x[i] / s);
		v = fminf(fmaxf(v, -127.0f), 127.0f); /* fmaxf/fminf drop NaN... */
		q[i] = (int8_t)(isnan(x[i]) ? 0.0f : v); /* ...so say it plainly */
	}
}

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

__global__ void k_fill(uint32_t *x, uint32_t value, size_t n)
{
	for (size_t i = gtid(); i < n; i += gstride())
		x[i] = value;
}

} /* namespace */

#define LAUNCHED() cudaGetLastError()

/* Writes one float (0 for an empty reduction) without a host round trip. */
static cudaError_t store_zero(cudaStream_t s, void *p, size_t bytes)
{
	return cudaMemsetAsync(p, 0, bytes, s);
}

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

cudaError_t cuda_kernels_argmax(cudaStream_t s, int32_t *idx, const float *x, size_t rows,
				size_t cols)
{
	if (rows == 0)
		return cudaSuccess;
	k_argmax<<<row_blocks(rows), kThreads, 0, s>>>(idx, x, rows, cols);
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
