/*
 * cuda_backend.c - runs validated vGPU commands on the GPU: GEMM through
 * cuBLAS, everything else through cuda_kernels_*.cu, each on the tenant's
 * own stream, timed with CUDA events (see cuda_backend.h).
 *
 * The server validated every offset and length against the arena size,
 * and the device mirror has exactly that size, so dev + offset is always
 * inside the tenant's own allocation: nothing here re-checks ranges.
 */
#include "cuda_backend.h"

#include <errno.h>
#include <string.h>
#include "cuda_errmap.h"
#include "cuda_kernels.h"
#include "cuda_outputs.h"
#include "cuda_plan.h"
#include "cuda_select.h"
#include "cuda_spans.h"
#include "cuda_tenant.h"
#include "../common/vgpu_err.h"

_Static_assert(offsetof(struct vgpu_adam_hyper, step) == 5 * sizeof(uint32_t),
	       "cuda_kernels_adam reads step as the sixth word");

static int initialised;

#define DEV(t, off) ((void *)((t)->dev + (off)))
#define OPT(t, off) ((off) == VGPU_NO_OFF ? NULL : DEV(t, off))

static struct cuda_fault rt(cudaError_t e)
{
	return cuda_errmap_runtime(e);
}

static struct cuda_fault run_gemm(struct cuda_tenant *t, const struct vgpu_cmd *c,
				  uint32_t rb, uint32_t re)
{
	const struct vgpu_op_gemm *g = &c->u.gemm;
	struct vgpu_op_gemm band;
	if (re > g->m)
		re = g->m;
	if (rb >= re)
		return rt(cudaSuccess);
	if (cuda_plan_gemm_band(g, c->arg, rb, re - rb, &band) != 0)
		return cuda_errmap_kernel(CUDA_KERNELS_EBADARG);
	/* The validator keeps every dimension and stride <= INT32_MAX.
	 * Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T:
	 * swap the operands, keep each one's transpose flag. */
	cublasOperation_t opa = c->arg & VGPU_GEMM_TRANS_A ? CUBLAS_OP_T : CUBLAS_OP_N;
	cublasOperation_t opb = c->arg & VGPU_GEMM_TRANS_B ? CUBLAS_OP_T : CUBLAS_OP_N;
	return cuda_errmap_cublas(cublasSgemm(t->blas, opb, opa, (int)band.n, (int)band.m,
					      (int)band.k, &band.alpha, DEV(t, band.b),
					      (int)band.ldb, DEV(t, band.a), (int)band.lda,
					      &band.beta, DEV(t, band.c), (int)band.ldc));
}

static struct cuda_fault run_gemm_i8(struct cuda_tenant *t, const struct vgpu_cmd *c,
				     uint32_t rb, uint32_t re)
{
	const struct vgpu_op_gemm_i8 *g = &c->u.gemm_i8;
	if (re > g->m)
		re = g->m;
	for (uint32_t r = rb; r < re;) {
		uint32_t rows = re - r < CUDA_PLAN_I8_MAX_ROWS ? re - r : CUDA_PLAN_I8_MAX_ROWS;
		struct vgpu_op_gemm_i8 band;
		if (cuda_plan_gemm_i8_band(g, r, rows, &band) != 0)
			return cuda_errmap_kernel(CUDA_KERNELS_EBADARG);
		cudaError_t e = cuda_kernels_gemm_i8(t->stream, DEV(t, band.c), DEV(t, band.a),
						     DEV(t, band.b), DEV(t, band.scales),
						     OPT(t, band.bias), band.m, band.n, band.k,
						     (c->arg & VGPU_GEMM_TRANS_B) != 0);
		if (e != cudaSuccess)
			return rt(e);
		r += rows;
	}
	return rt(cudaSuccess);
}

/* memmove inside the device arena.  Overlapping ranges go through the
 * scratch area chunk by chunk, in the direction that never overwrites
 * source bytes not yet read. */
static struct cuda_fault run_copy(struct cuda_tenant *t, const struct vgpu_op_copy *o)
{
	uint64_t lo = o->dst < o->src ? o->dst : o->src, hi = o->dst < o->src ? o->src : o->dst;
	if (o->bytes == 0 || o->dst == o->src)
		return rt(cudaSuccess);
	if (hi - lo >= o->bytes)
		return rt(cudaMemcpyAsync(DEV(t, o->dst), DEV(t, o->src), o->bytes,
					  cudaMemcpyDeviceToDevice, t->stream));
	const uint64_t chunk = CUDA_KERNELS_SCRATCH_FLOATS * sizeof(float);
	uint64_t nchunks = (o->bytes + chunk - 1) / chunk;
	for (uint64_t i = 0; i < nchunks; i++) {
		uint64_t idx = o->dst > o->src ? nchunks - 1 - i : i;
		uint64_t at = idx * chunk;
		uint64_t n = o->bytes - at < chunk ? o->bytes - at : chunk;
		cudaError_t e = cudaMemcpyAsync(t->scratch, DEV(t, o->src + at), n,
						cudaMemcpyDeviceToDevice, t->stream);
		if (e == cudaSuccess)
			e = cudaMemcpyAsync(DEV(t, o->dst + at), t->scratch, n,
					    cudaMemcpyDeviceToDevice, t->stream);
		if (e != cudaSuccess)
			return rt(e);
	}
	return rt(cudaSuccess);
}

static struct cuda_fault dispatch(struct cuda_tenant *t, const struct vgpu_cmd *c, uint32_t rb,
				  uint32_t re)
{
	cudaStream_t s = t->stream;
	int *err = t->err_dev;

	switch (c->opcode) {
	case VGPU_OP_NOP:
		return rt(cudaSuccess);
	case VGPU_OP_FILL:
		return rt(cuda_kernels_fill(s, DEV(t, c->u.fill.dst), c->u.fill.value,
					    c->u.fill.count));
	case VGPU_OP_COPY:
		return run_copy(t, &c->u.copy);
	case VGPU_OP_GEMM:
		return run_gemm(t, c, rb, re);
	case VGPU_OP_BIAS_ADD:
		return rt(cuda_kernels_bias_add(s, DEV(t, c->u.bias_add.x),
						DEV(t, c->u.bias_add.bias), c->u.bias_add.rows,
						c->u.bias_add.cols));
	case VGPU_OP_BIAS_GRAD:
		return rt(cuda_kernels_bias_grad(s, DEV(t, c->u.bias_grad.db),
						 DEV(t, c->u.bias_grad.dy), c->u.bias_grad.rows,
						 c->u.bias_grad.cols, c->u.bias_grad.beta));
	case VGPU_OP_ACT_FWD:
		return rt(cuda_kernels_act_fwd(s, (enum cuda_kernels_act)c->arg,
					       DEV(t, c->u.act.dst), DEV(t, c->u.act.src),
					       c->u.act.count));
	case VGPU_OP_ACT_BWD:
		return rt(cuda_kernels_act_bwd(s, (enum cuda_kernels_act)c->arg,
					       DEV(t, c->u.act_bwd.dx), DEV(t, c->u.act_bwd.dy),
					       DEV(t, c->u.act_bwd.y), c->u.act_bwd.count));
	case VGPU_OP_SOFTMAX:
		return rt(cuda_kernels_softmax(s, DEV(t, c->u.softmax.dst), DEV(t, c->u.softmax.src),
					       c->u.softmax.rows, c->u.softmax.cols));
	case VGPU_OP_SOFTMAX_XENT:
		return rt(cuda_kernels_softmax_xent(s, OPT(t, c->u.xent.dlogits),
						    DEV(t, c->u.xent.loss), t->scratch,
						    DEV(t, c->u.xent.logits),
						    DEV(t, c->u.xent.labels), c->u.xent.rows,
						    c->u.xent.cols, err));
	case VGPU_OP_MSE:
		return rt(cuda_kernels_mse(s, OPT(t, c->u.mse.grad), DEV(t, c->u.mse.loss),
					   t->scratch, DEV(t, c->u.mse.pred),
					   DEV(t, c->u.mse.target), c->u.mse.count));
	case VGPU_OP_ADD:
	case VGPU_OP_MUL:
		return rt(cuda_kernels_binop(s, c->opcode == VGPU_OP_ADD ? CUDA_KERNELS_ADD
									 : CUDA_KERNELS_MUL,
					     DEV(t, c->u.binary.dst), DEV(t, c->u.binary.a),
					     DEV(t, c->u.binary.b), c->u.binary.count));
	case VGPU_OP_SCALE:
		return rt(cuda_kernels_scale(s, DEV(t, c->u.scale.dst), DEV(t, c->u.scale.src),
					     c->u.scale.alpha, c->u.scale.count));
	case VGPU_OP_AXPY:
		return rt(cuda_kernels_axpy(s, DEV(t, c->u.axpy.y), DEV(t, c->u.axpy.x),
					    c->u.axpy.alpha, c->u.axpy.count));
	case VGPU_OP_ARGMAX_ROWS:
		return rt(cuda_kernels_argmax(s, DEV(t, c->u.argmax.dst), DEV(t, c->u.argmax.src),
					      c->u.argmax.rows, c->u.argmax.cols));
	case VGPU_OP_COUNT_EQ:
		return rt(cuda_kernels_count_eq(s, DEV(t, c->u.count_eq.dst),
						(int32_t *)t->scratch, DEV(t, c->u.count_eq.a),
						DEV(t, c->u.count_eq.b), c->u.count_eq.count,
						(c->arg & VGPU_ACCUMULATE) != 0));
	case VGPU_OP_SUM:
		return rt(cuda_kernels_sum(s, DEV(t, c->u.sum.dst), t->scratch,
					   DEV(t, c->u.sum.src), c->u.sum.count,
					   (c->arg & VGPU_ACCUMULATE) != 0,
					   (c->arg & VGPU_MEAN) != 0));
	case VGPU_OP_SGD:
		return rt(cuda_kernels_sgd(s, DEV(t, c->u.sgd.param), DEV(t, c->u.sgd.grad),
					   c->u.sgd.lr, c->u.sgd.weight_decay, c->u.sgd.count));
	case VGPU_OP_SGD_MOMENTUM:
		return rt(cuda_kernels_momentum(s, DEV(t, c->u.sgd_momentum.param),
						DEV(t, c->u.sgd_momentum.velocity),
						DEV(t, c->u.sgd_momentum.grad),
						c->u.sgd_momentum.lr, c->u.sgd_momentum.momentum,
						c->u.sgd_momentum.weight_decay,
						c->u.sgd_momentum.count));
	case VGPU_OP_ADAM:
		return rt(cuda_kernels_adam(s, DEV(t, c->u.adam.param), DEV(t, c->u.adam.m),
					    DEV(t, c->u.adam.v), DEV(t, c->u.adam.grad),
					    DEV(t, c->u.adam.hyper), c->u.adam.count, err));
	case VGPU_OP_GATHER_ROWS:
		return rt(cuda_kernels_gather_rows(s, DEV(t, c->u.gather.dst),
						   DEV(t, c->u.gather.src), DEV(t, c->u.gather.idx),
						   c->u.gather.nidx, c->u.gather.cols,
						   c->u.gather.src_rows, err));
	case VGPU_OP_QUANTIZE_I8:
		return rt(cuda_kernels_quantize_i8(s, DEV(t, c->u.quantize.dst),
						   DEV(t, c->u.quantize.scale), t->scratch,
						   DEV(t, c->u.quantize.src), c->u.quantize.count));
	case VGPU_OP_GEMM_I8:
		return run_gemm_i8(t, c, rb, re);
	default:
		/* GRAPH_RUN is unrolled by the server; UPLOAD/DOWNLOAD are
		 * transfers, handled in cuda_run before dispatch; anything
		 * else was refused by the validator. */
		return cuda_errmap_kernel(CUDA_KERNELS_EBADARG);
	}
}

static struct cuda_fault check_finite(struct cuda_tenant *t, const struct vgpu_cmd *c,
				      uint32_t rb, uint32_t re)
{
	struct cuda_span o[2];
	int n = cuda_outputs_always(c, o);
	if (c->flags & VGPU_CMD_F_CHECK_FINITE)
		n += cuda_outputs_flagged(c, rb, re, o + n);
	for (int i = 0; i < n; i++) {
		cudaError_t e = cuda_kernels_check_finite(t->stream, DEV(t, o[i].off), o[i].rows,
							  o[i].cols, o[i].ld, t->err_dev);
		if (e != cudaSuccess)
			return rt(e);
	}
	return rt(cudaSuccess);
}

/* Enqueues the command between the timing events, waits, and folds the
 * launch status, the stream status and the device error word into one
 * fault.  The first failure wins. */
static struct cuda_fault execute(struct cuda_tenant *t, const struct vgpu_cmd *c, uint32_t rb,
				 uint32_t re)
{
	/* The launchers report cudaGetLastError(): drop a non-sticky error an
	 * earlier, already answered call left behind (a refused attach's
	 * cudaMalloc), so it is not blamed on this command.  Sticky errors
	 * stay and surface below. */
	(void)cudaGetLastError();
	struct cuda_fault f = rt(cudaMemsetAsync(t->err_dev, 0, sizeof(int), t->stream));
	if (f.code == VGPU_OK)
		f = rt(cudaEventRecord(t->t0, t->stream));
	if (f.code == VGPU_OK)
		f = dispatch(t, c, rb, re);
	if (f.code == VGPU_OK)
		f = check_finite(t, c, rb, re);
	if (f.code == VGPU_OK)
		f = rt(cudaMemcpyAsync(t->err_host, t->err_dev, sizeof(int), cudaMemcpyDeviceToHost,
				       t->stream));
	if (f.code == VGPU_OK)
		f = rt(cudaEventRecord(t->t1, t->stream));
	struct cuda_fault w = rt(cudaStreamSynchronize(t->stream));
	if (f.code == VGPU_OK)
		f = w;
	if (f.code != VGPU_OK)
		return f;
	float ms = 0.0f;
	if (cudaEventElapsedTime(&ms, t->t0, t->t1) == cudaSuccess && ms > 0.0f)
		__atomic_fetch_add(&t->busy_ns, (uint64_t)((double)ms * 1e6), __ATOMIC_RELAXED);
	return cuda_errmap_kernel(*t->err_host);
}

/*
 * Coherent mode: the command's spans go window -> device before it and its
 * outputs device -> window after it (also when it failed: the CPU backend
 * leaves partial outputs too), so the window's arena behaves as on the
 * OpenBLAS backend.  Outputs are uploaded as well, so bytes between the
 * rows of a strided output come back unchanged.
 */
static struct cuda_fault execute_coherent(struct cuda_tenant *t, const struct vgpu_cmd *c,
					  uint32_t rb, uint32_t re)
{
	/* The server runs a long GEMM as consecutive row bands of one command;
	 * the tenant may not touch a command's buffers before it completes, so
	 * what every band reads (B) is on the device since the first band. */
	int cont = (c->opcode == VGPU_OP_GEMM || c->opcode == VGPU_OP_GEMM_I8) && rb > 0 &&
		   t->last_ok && rb == t->last_re && memcmp(c, &t->last_cmd, sizeof *c) == 0;
	struct cuda_xfer s[CUDA_SPANS_MAX];
	int n = cuda_spans(c, rb, re, s);
	t->last_ok = 0;
	for (int i = 0; i < n; i++)
		if (!(cont && s[i].whole) && cuda_tenant_upload(t, s[i].off, s[i].bytes) != VGPU_OK)
			return (struct cuda_fault){ VGPU_E_BACKEND, CUDA_DAMAGE_TENANT };
	struct cuda_fault f = execute(t, c, rb, re);
	if (f.damage != CUDA_DAMAGE_NONE)
		return f;
	for (int i = 0; i < n; i++)
		if (s[i].out && cuda_tenant_download(t, s[i].off, s[i].bytes) != VGPU_OK)
			return (struct cuda_fault){ VGPU_E_BACKEND, CUDA_DAMAGE_TENANT };
	t->last_cmd = *c;
	t->last_re = re;
	t->last_ok = f.code == VGPU_OK;
	return f;
}

static int cuda_run(uint8_t *arena, uint64_t arena_size, const struct vgpu_cmd *c,
		    uint32_t row_begin, uint32_t row_end)
{
	(void)arena_size; /* the tenant's own size, fixed at attach, is used */
	struct cuda_tenant *t = cuda_tenant_get(arena);
	if (!t)
		return VGPU_E_BACKEND;
	uint64_t gen = t->gen;
	if (t->lost) {
		/* Its device state was rebuilt after a fault: tell it once. */
		t->lost = 0;
		cuda_tenant_put(t);
		return VGPU_E_BACKEND;
	}
	if (c->opcode == VGPU_OP_UPLOAD || c->opcode == VGPU_OP_DOWNLOAD) {
		/* Not a computation: no events, no coherent-mode spans. */
		cuda_tenant_put(t);
		return c->opcode == VGPU_OP_UPLOAD
			       ? cuda_backend_upload(arena, c->u.xfer.off, c->u.xfer.bytes)
			       : cuda_backend_download(arena, c->u.xfer.off, c->u.xfer.bytes);
	}
	struct cuda_fault f = t->dev ? (t->resident ? execute(t, c, row_begin, row_end)
						    : execute_coherent(t, c, row_begin, row_end))
				     : (struct cuda_fault){ VGPU_E_BACKEND, CUDA_DAMAGE_TENANT };
	if (f.damage == CUDA_DAMAGE_TENANT)
		cuda_tenant_reset(t);
	cuda_tenant_put(t);
	if (f.damage == CUDA_DAMAGE_DEVICE)
		cuda_tenant_device_lost(gen);
	return f.code;
}

static int cuda_init(int threads, char *err, size_t errlen)
{
	(void)threads; /* concurrency comes from one stream per tenant */
	struct cuda_probe p;
	cuda_probe_device(&p);
	if (!p.usable)
		return vgpu_err(err, errlen, -ENODEV, "%s", p.why);
	cudaError_t e = cudaSetDevice(0);
	if (e == cudaSuccess)
		e = cudaFree(NULL); /* creates the context now, not in a command */
	if (e != cudaSuccess)
		return vgpu_err(err, errlen, -EIO, "CUDA device 0: %s", cudaGetErrorString(e));
	initialised = 1;
	return 0;
}

static void cuda_fini(void)
{
	cuda_tenant_detach_all();
	initialised = 0;
}

static int cuda_threads(void)
{
	return 1;
}

const struct vgpu_backend vgpu_backend_cuda = {
	.name = "cuda",
	.init = cuda_init,
	.fini = cuda_fini,
	.threads = cuda_threads,
	.run = cuda_run,
	.attach = cuda_backend_attach,
	.detach = cuda_backend_detach,
};

int cuda_backend_attach(uint8_t *arena, uint64_t arena_size, char *err, size_t errlen)
{
	if (!initialised)
		return vgpu_err(err, errlen, -ENODEV, "CUDA backend not initialised");
	return cuda_tenant_attach(arena, arena_size, err, errlen);
}

void cuda_backend_detach(uint8_t *arena)
{
	cuda_tenant_detach(arena);
}

uint64_t cuda_backend_busy_ns(const uint8_t *arena)
{
	return cuda_tenant_busy_ns(arena);
}
