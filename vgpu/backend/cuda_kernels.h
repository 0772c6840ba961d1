/*
 * cuda_kernels.h - the small CUDA kernels behind the vGPU opcodes that
 * cuBLAS does not cover, callable from C.
 *
 * Every pointer is a device pointer the caller has already validated
 * against the tenant's arena (the server's command validation); every
 * count is the element count that validation accepted.  Matrices are
 * row-major, rows x cols.  Each launcher enqueues its work on the given
 * stream and returns the launch status (cudaGetLastError), never waiting.
 *
 * Kernels that read indices from tenant memory (labels, gather indices)
 * check them on the device: an index out of range leaves the output for
 * that row untouched and stores CUDA_KERNELS_EBADINDEX into *err (first
 * error wins), which the backend reads back when the batch completes.
 */
#ifndef AIVISOR_CUDA_KERNELS_H
#define AIVISOR_CUDA_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Reductions (softmax_xent, mse, sum) write per-block partial sums to a
 * per-tenant device scratch area of this many floats before the final
 * fixed-order pass; the backend reserves it at attach.
 */
#define CUDA_KERNELS_SCRATCH_FLOATS 65536u

/* Codes a kernel can leave in a command's device-side error word. */
enum {
	CUDA_KERNELS_OK = 0,
	CUDA_KERNELS_EBADINDEX = 1, /* label or gather index out of range */
	CUDA_KERNELS_EBADARG = 2,   /* an argument read from the arena is bad */
	CUDA_KERNELS_ENONFINITE = 3,/* a checked output is NaN or infinite */
};

/* Same values as VGPU_ACT_* (vgpu_abi.h). */
enum cuda_kernels_act {
	CUDA_KERNELS_RELU = 1,
	CUDA_KERNELS_SIGMOID = 2,
	CUDA_KERNELS_TANH = 3,
};

enum cuda_kernels_binop {
	CUDA_KERNELS_ADD = 0, /* z = x + y */
	CUDA_KERNELS_MUL = 1, /* z = x * y */
};

/* y[r][c] += bias[c] */
cudaError_t cuda_kernels_bias_add(cudaStream_t s, float *y, const float *bias,
				  size_t rows, size_t cols);
/* db[c] = beta * db[c] + sum over r of dy[r][c] (beta 0: db not read) */
cudaError_t cuda_kernels_bias_grad(cudaStream_t s, float *db, const float *dy,
				   size_t rows, size_t cols, float beta);
/* y = act(x) */
cudaError_t cuda_kernels_act_fwd(cudaStream_t s, enum cuda_kernels_act act,
				 float *y, const float *x, size_t n);
/* dx = dy * act'(...), where y is the forward output (relu uses y > 0) */
cudaError_t cuda_kernels_act_bwd(cudaStream_t s, enum cuda_kernels_act act,
				 float *dx, const float *dy, const float *y,
				 size_t n);
/* row-wise, numerically stable softmax: y[r] = softmax(x[r]) */
cudaError_t cuda_kernels_softmax(cudaStream_t s, float *y, const float *x,
				 size_t rows, size_t cols);
/*
 * Softmax + cross-entropy against integer class labels:
 *   grad[r] = (softmax(logits[r]) - onehot(labels[r])) / rows
 *   *loss   = mean over rows of -log(softmax(logits[r])[labels[r]])
 * grad may be NULL or alias logits.  loss is one float.
 */
cudaError_t cuda_kernels_softmax_xent(cudaStream_t s, float *grad, float *loss,
				      float *scratch, const float *logits,
				      const int32_t *labels, size_t rows,
				      size_t cols, int *err);
/* *loss = mean((y - t)^2); grad = 2 (y - t) / n (grad may be NULL) */
cudaError_t cuda_kernels_mse(cudaStream_t s, float *grad, float *loss,
			     float *scratch, const float *y, const float *t,
			     size_t n);
/* z = x (op) y */
cudaError_t cuda_kernels_binop(cudaStream_t s, enum cuda_kernels_binop op,
			       float *z, const float *x, const float *y,
			       size_t n);
/* y = alpha * x */
cudaError_t cuda_kernels_scale(cudaStream_t s, float *y, const float *x,
			       float alpha, size_t n);
/* y += alpha * x */
cudaError_t cuda_kernels_axpy(cudaStream_t s, float *y, const float *x,
			      float alpha, size_t n);
/* *dst = (accumulate ? *dst : 0) + number of i with a[i] == b[i] */
cudaError_t cuda_kernels_count_eq(cudaStream_t s, int32_t *dst, int32_t *scratch,
				  const int32_t *a, const int32_t *b,
				  size_t n, int accumulate);
/* idx[r] = first index of the largest value of x[r] */
cudaError_t cuda_kernels_argmax(cudaStream_t s, int32_t *idx, const float *x,
				size_t rows, size_t cols);
/* *out = (accumulate ? *out : 0) + sum(x[0..n)) / (mean ? n : 1) */
cudaError_t cuda_kernels_sum(cudaStream_t s, float *out, float *scratch,
			     const float *x, size_t n, int accumulate,
			     int mean);
/* w -= lr * (g + wd * w) */
cudaError_t cuda_kernels_sgd(cudaStream_t s, float *w, const float *g,
			     float lr, float wd, size_t n);
/* v = mu * v + g + wd * w; w -= lr * v */
cudaError_t cuda_kernels_momentum(cudaStream_t s, float *w, float *v,
				  const float *g, float lr, float mu, float wd,
				  size_t n);
/*
 * Adam with the hyper-parameters read from device memory: hyper points to
 * the six 32-bit words of struct vgpu_adam_hyper (lr, beta1, beta2, eps,
 * weight_decay as floats, then step >= 1 as uint32):
 *   g' = g + wd w;  m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2
 *   w -= lr * (m / (1 - b1^step)) / (sqrt(v / (1 - b2^step)) + eps)
 * step 0, a non-finite lr/eps/weight_decay, eps < 0 or a beta outside
 * [0, 1) store CUDA_KERNELS_EBADARG into *err and change nothing.
 */
cudaError_t cuda_kernels_adam(cudaStream_t s, float *w, float *m, float *v,
			      const float *g, const uint32_t *hyper, size_t n,
			      int *err);
/* out[r] = table[idx[r]] (rows of cols floats); idx checked < table_rows */
cudaError_t cuda_kernels_gather_rows(cudaStream_t s, float *out,
				     const float *table, const int32_t *idx,
				     size_t rows, size_t cols,
				     size_t table_rows, int *err);
/*
 * *scale = absmax(x) / 127 (1 when x is all zero), then
 * q = clamp(round(x / *scale), -127, 127); NaN quantizes to 0.
 */
cudaError_t cuda_kernels_quantize_i8(cudaStream_t s, int8_t *q, float *scale,
				     float *scratch, const float *x, size_t n);
/*
 * C[m][n] = sa * sb * sum_k A[m][k] * op(B)[k][n] (+ bias[n]), int8 x int8
 * with int32 accumulation; scales = {sa, sb} in device memory, bias may be
 * NULL.  A is m x k, B is k x n (n x k when trans_b), all contiguous.
 * Rows of C beyond 65535 * 16 must be split by the caller.
 */
cudaError_t cuda_kernels_gemm_i8(cudaStream_t s, float *c, const int8_t *a,
				 const int8_t *b, const float *scales,
				 const float *bias, size_t m, size_t n,
				 size_t k, int trans_b);
/* x[0..n) = the 32-bit pattern value */
cudaError_t cuda_kernels_fill(cudaStream_t s, uint32_t *x, uint32_t value,
			      size_t n);
/* *err = CUDA_KERNELS_ENONFINITE when any x[r * ld + c] (r < rows,
 * c < cols) is NaN or infinite */
cudaError_t cuda_kernels_check_finite(cudaStream_t s, const float *x,
				      size_t rows, size_t cols, size_t ld,
				      int *err);

#ifdef __cplusplus
}
#endif

#endif
