/*
 * test_vgpu_cuda_backend.c - the CUDA backend.
 *
 * Everywhere: the mapping of CUDA/cuBLAS/kernel failures onto tenant
 * errors, and the backend's answers without a usable GPU (init refuses
 * with "no CUDA device: <reason>", attach, commands and transfers are
 * refused, never a crash, also from two threads at once).
 *
 * On a GPU (skipped here with the reason otherwise): every opcode against
 * the OpenBLAS backend on the same arena bytes (the guest-visible
 * semantics are the same on both), in resident mode (explicit transfers)
 * and in coherent mode (none), with the CPU tests' tolerances; GEMM
 * split into row chunks equals the whole; transfers (direct and as
 * UPLOAD/DOWNLOAD commands) round-trip and refuse bad ranges; two tenants
 * run from two threads at once; two tenants cannot see each other's device memory; a quota
 * the device cannot hold refuses the attach; device time is charged.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../vgpu/backend/cuda_backend.h"
#include "../../vgpu/backend/cuda_errmap.h"
#include "../../vgpu/backend/cuda_kernels.h"
#include "../../vgpu/backend/cuda_select.h"

#define ARENA (8u << 20)

/*
 * This test runs under AddressSanitizer.  On a GPU the CUDA driver maps
 * memory where ASan's shadow gap is protected, and keeps allocations it
 * never frees: the runtime needs the gap unprotected, and the driver's own
 * allocations are not our leaks.
 */
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);

const char *__asan_default_options(void)
{
	return "protect_shadow_gap=0";
}

const char *__lsan_default_suppressions(void)
{
	return "leak:libcuda.so\nleak:libcudart.so\nleak:libcublas.so\nleak:libcublasLt.so\n"
	       "leak:libnvidia\n";
}

static struct cuda_probe probe;

static void test_errmap(void **state)
{
	(void)state;
	struct cuda_fault f = cuda_errmap_runtime(cudaSuccess);
	assert_int_equal(f.code, VGPU_OK);
	assert_int_equal(f.damage, CUDA_DAMAGE_NONE);
	f = cuda_errmap_runtime(cudaErrorMemoryAllocation);
	assert_int_equal(f.code, VGPU_E_BACKEND);
	assert_int_equal(f.damage, CUDA_DAMAGE_NONE);
	f = cuda_errmap_runtime(cudaErrorIllegalAddress);
	assert_int_equal(f.damage, CUDA_DAMAGE_DEVICE);
	f = cuda_errmap_runtime(cudaErrorLaunchFailure);
	assert_int_equal(f.damage, CUDA_DAMAGE_DEVICE);
	f = cuda_errmap_runtime(cudaErrorInvalidResourceHandle);
	assert_int_equal(f.code, VGPU_E_BACKEND);
	assert_int_equal(f.damage, CUDA_DAMAGE_TENANT);

	f = cuda_errmap_cublas(CUBLAS_STATUS_SUCCESS);
	assert_int_equal(f.code, VGPU_OK);
	f = cuda_errmap_cublas(CUBLAS_STATUS_INVALID_VALUE);
	assert_int_equal(f.code, VGPU_E_ARG);
	assert_int_equal(f.damage, CUDA_DAMAGE_NONE);
	f = cuda_errmap_cublas(CUBLAS_STATUS_EXECUTION_FAILED);
	assert_int_equal(f.damage, CUDA_DAMAGE_TENANT);

	assert_int_equal(cuda_errmap_kernel(CUDA_KERNELS_OK).code, VGPU_OK);
	assert_int_equal(cuda_errmap_kernel(CUDA_KERNELS_EBADINDEX).code, VGPU_E_INDEX);
	assert_int_equal(cuda_errmap_kernel(CUDA_KERNELS_EBADARG).code, VGPU_E_ARG);
	assert_int_equal(cuda_errmap_kernel(CUDA_KERNELS_ENONFINITE).code, VGPU_E_NONFINITE);
	f = cuda_errmap_kernel(12345);
	assert_int_equal(f.code, VGPU_E_BACKEND);
	assert_int_equal(f.damage, CUDA_DAMAGE_TENANT);
}

/* Before init (and on a host without a GPU, ever): refusals, not crashes. */
static void test_refusals_without_device(void **state)
{
	(void)state;
	static uint8_t arena[4096];
	char err[200] = "";
	assert_int_equal(cuda_backend_attach(arena, sizeof arena, err, sizeof err), -ENODEV);
	assert_non_null(strstr(err, "not initialised"));
	struct vgpu_cmd c = { .opcode = VGPU_OP_NOP };
	assert_int_equal(vgpu_backend_cuda.run(arena, sizeof arena, &c, 0, 0), VGPU_E_BACKEND);
	assert_int_equal(cuda_backend_upload(arena, 0, 16), VGPU_E_BACKEND);
	assert_int_equal(cuda_backend_download(arena, 0, 16), VGPU_E_BACKEND);
	assert_int_equal(cuda_backend_busy_ns(arena), 0);
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_UPLOAD };
	c.u.xfer = (struct vgpu_op_xfer){ .off = 0, .bytes = 16 };
	assert_int_equal(vgpu_backend_cuda.run(arena, sizeof arena, &c, 0, 0), VGPU_E_BACKEND);
	c.opcode = VGPU_OP_DOWNLOAD;
	assert_int_equal(vgpu_backend_cuda.run(arena, sizeof arena, &c, 0, 0), VGPU_E_BACKEND);
	if (!probe.usable) {
		int rc = vgpu_backend_cuda.init(0, err, sizeof err);
		assert_int_equal(rc, -ENODEV);
		assert_int_equal(strncmp(err, "no CUDA device: ", 16), 0);
		printf("# %s\n", err);
	}
}

/* Two threads (as the server's executor and lane) looking tenants up,
 * running and transferring at once: the table, device and tenant locks
 * never deadlock and every unknown arena is refused, on any host. */
struct hammer {
	uint8_t arena[4096];
	int refused;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	struct vgpu_cmd c = { .opcode = VGPU_OP_DOWNLOAD };
	c.u.xfer = (struct vgpu_op_xfer){ .off = 0, .bytes = 64 };
	for (int i = 0; i < 20000; i++) {
		c.opcode = i % 3 ? VGPU_OP_DOWNLOAD : VGPU_OP_NOP;
		h->refused += vgpu_backend_cuda.run(h->arena, sizeof h->arena, &c, 0, 0) ==
			      VGPU_E_BACKEND;
		h->refused += cuda_backend_upload(h->arena, 0, 64) == VGPU_E_BACKEND;
		h->refused += cuda_backend_busy_ns(h->arena) == 0;
	}
	return NULL;
}

static void test_two_threads_without_tenants(void **state)
{
	(void)state;
	struct hammer h[2] = { 0 };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer_thread, &h[i]), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(h[i].refused, 3 * 20000);
	}
}

/* ---- GPU part ---------------------------------------------------------- */

struct pair {
	uint8_t *cpu;  /* arena run by the OpenBLAS backend */
	uint8_t *gpu;  /* window arena of a CUDA tenant in resident mode */
	uint8_t *coh;  /* window arena of a CUDA tenant in coherent mode */
	uint64_t used;
};

static int gpu_setup(void **state)
{
	char err[200];
	if (!probe.usable)
		return 0;
	if (vgpu_backend_cuda.init(0, err, sizeof err) != 0 ||
	    vgpu_backend_openblas.init(1, err, sizeof err) != 0) {
		fprintf(stderr, "init: %s\n", err);
		return -1;
	}
	struct pair *p = calloc(1, sizeof *p);
	p->cpu = aligned_alloc(4096, ARENA);
	p->gpu = aligned_alloc(4096, ARENA);
	p->coh = aligned_alloc(4096, ARENA);
	if (!p->cpu || !p->gpu || !p->coh ||
	    cuda_backend_attach(p->gpu, ARENA, err, sizeof err) != 0 ||
	    cuda_backend_attach(p->coh, ARENA, err, sizeof err) != 0) {
		fprintf(stderr, "attach: %s\n", err);
		return -1;
	}
	*state = p;
	return 0;
}

static int gpu_teardown(void **state)
{
	struct pair *p = *state;
	if (!p)
		return 0;
	cuda_backend_detach(p->gpu);
	cuda_backend_detach(p->coh);
	vgpu_backend_cuda.fini();
	free(p->cpu);
	free(p->gpu);
	free(p->coh);
	free(p);
	return 0;
}

#define NEED_GPU()                                                     \
	do {                                                           \
		if (!probe.usable) {                                   \
			printf("# skip: %s\n", probe.why);             \
			skip();                                        \
		}                                                      \
	} while (0)

static unsigned seed = 12345;
static float frand(void)
{
	seed = seed * 1103515245u + 12345u;
	return (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* Bump allocation of n floats (64-byte aligned) in both arenas. */
static uint64_t buf(struct pair *p, uint64_t nfloats)
{
	uint64_t off = p->used;
	p->used += (nfloats * 4 + 63) / 64 * 64;
	assert_true(p->used <= ARENA);
	for (uint64_t i = 0; i < nfloats; i++)
		((float *)(p->cpu + off))[i] = frand();
	return off;
}

static void set_i32(struct pair *p, uint64_t off, uint64_t i, int32_t v)
{
	memcpy(p->cpu + off + i * 4, &v, 4);
}

/* Runs c on the CPU and on both CUDA tenants from identical arenas (the
 * resident one with explicit transfers around it, the coherent one with
 * none); all must give `want`. */
static void run_both(struct pair *p, const struct vgpu_cmd *c, uint32_t rows, int want)
{
	memcpy(p->gpu, p->cpu, p->used);
	memcpy(p->coh, p->cpu, p->used);
	assert_int_equal(cuda_backend_upload(p->gpu, 0, p->used), VGPU_OK);
	assert_int_equal(vgpu_backend_openblas.run(p->cpu, ARENA, c, 0, rows), want);
	assert_int_equal(vgpu_backend_cuda.run(p->gpu, ARENA, c, 0, rows), want);
	assert_int_equal(vgpu_backend_cuda.run(p->coh, ARENA, c, 0, rows), want);
	assert_int_equal(cuda_backend_download(p->gpu, 0, p->used), VGPU_OK);
}

/* |gpu - cpu| <= tol * (1 + |cpu|), the CPU tests' relative tolerance,
 * for both CUDA tenants. */
static void same_f32(struct pair *p, uint64_t off, uint64_t n, float tol)
{
	const float *a = (const float *)(p->cpu + off);
	const float *g[2] = { (const float *)(p->gpu + off), (const float *)(p->coh + off) };
	for (int m = 0; m < 2; m++)
		for (uint64_t i = 0; i < n; i++)
			if (!(fabsf(a[i] - g[m][i]) <= tol * (1.0f + fabsf(a[i]))))
				fail_msg("%s element %llu: cpu %g gpu %g",
					 m ? "coherent" : "resident", (unsigned long long)i,
					 a[i], g[m][i]);
}

static void same_bytes(struct pair *p, uint64_t off, uint64_t n)
{
	assert_memory_equal(p->cpu + off, p->gpu + off, n);
	assert_memory_equal(p->cpu + off, p->coh + off, n);
}

static void test_gemm(void **state)
{
	NEED_GPU();
	struct pair *p = *state;
	for (unsigned tr = 0; tr < 4; tr++) {
		p->used = 0;
		uint32_t m = 67, n = 45, k = 130;
		uint32_t lda = (tr & VGPU_GEMM_TRANS_A ? m : k) + 3;
		uint32_t ldb = (tr & VGPU_GEMM_TRANS_B ? k : n) + 1, ldc = n + 2;
		struct vgpu_cmd c = { .opcode = VGPU_OP_GEMM, .arg = (uint16_t)tr };
		c.u.gemm = (struct vgpu_op_gemm){
			.a = buf(p, (uint64_t)(tr & VGPU_GEMM_TRANS_A ? k : m) * lda),
			.b = buf(p, (uint64_t)(tr & VGPU_GEMM_TRANS_B ? n : k) * ldb),
			.c = buf(p, (uint64_t)m * ldc), .m = m, .n = n, .k = k,
			.lda = lda, .ldb = ldb, .ldc = ldc, .alpha = 0.75f, .beta = 0.5f };
		run_both(p, &c, m, VGPU_OK);
		same_f32(p, c.u.gemm.c, (uint64_t)m * ldc, 1e-4f);
		/* The same GEMM in row chunks, as the server splits it. */
		memcpy(p->gpu, p->cpu, p->used);
		memcpy(p->coh, p->cpu, p->used);
		struct vgpu_cmd again = c;
		again.u.gemm.beta = 0.0f;
		assert_int_equal(cuda_backend_upload(p->gpu, 0, p->used), VGPU_OK);
		assert_int_equal(vgpu_backend_openblas.run(p->cpu, ARENA, &again, 0, m), VGPU_OK);
		for (uint32_t r = 0; r < m; r += 16) {
			uint32_t e = r + 16 < m ? r + 16 : m;
			assert_int_equal(vgpu_backend_cuda.run(p->gpu, ARENA, &again, r, e), VGPU_OK);
			assert_int_equal(vgpu_backend_cuda.run(p->coh, ARENA, &again, r, e), VGPU_OK);
		}
		assert_int_equal(cuda_backend_download(p->gpu, 0, p->used), VGPU_OK);
		same_f32(p, c.u.gemm.c, (uint64_t)m * ldc, 1e-4f);
	}
}

static void test_elementwise_and_rows(void **state)
{
	NEED_GPU();
	struct pair *p = *state;
	const uint32_t R = 33, C = 300, N = R * C;
	struct vgpu_cmd c;

	for (unsigned act = VGPU_ACT_RELU; act <= VGPU_ACT_TANH; act++) {
		p->used = 0;
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_ACT_FWD, .arg = (uint16_t)act };
		c.u.act = (struct vgpu_op_act){ .src = buf(p, N), .dst = buf(p, N), .count = N };
		run_both(p, &c, 0, VGPU_OK);
		same_f32(p, c.u.act.dst, N, 1e-5f);
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_ACT_BWD, .arg = (uint16_t)act };
		c.u.act_bwd = (struct vgpu_op_act_bwd){ .y = buf(p, N), .dy = buf(p, N),
							.dx = buf(p, N), .count = N };
		run_both(p, &c, 0, VGPU_OK);
		same_f32(p, c.u.act_bwd.dx, N, 1e-5f);
	}

	p->used = 0;
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_BIAS_ADD };
	c.u.bias_add = (struct vgpu_op_bias_add){ .x = buf(p, N), .bias = buf(p, C), .rows = R,
						  .cols = C };
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.bias_add.x, N, 1e-6f);

	for (int b = 0; b < 2; b++) {
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_BIAS_GRAD };
		c.u.bias_grad = (struct vgpu_op_bias_grad){ .dy = buf(p, N), .db = buf(p, C),
							    .rows = R, .cols = C,
							    .beta = b ? 0.5f : 0.0f };
		run_both(p, &c, 0, VGPU_OK);
		same_f32(p, c.u.bias_grad.db, C, 1e-5f);
	}

	c = (struct vgpu_cmd){ .opcode = VGPU_OP_SOFTMAX };
	c.u.softmax = (struct vgpu_op_softmax){ .src = buf(p, N), .dst = buf(p, N), .rows = R,
						.cols = C };
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.softmax.dst, N, 1e-5f);

	c = (struct vgpu_cmd){ .opcode = VGPU_OP_ARGMAX_ROWS };
	c.u.argmax = (struct vgpu_op_argmax){ .src = buf(p, N), .dst = buf(p, R), .rows = R,
					      .cols = C };
	run_both(p, &c, 0, VGPU_OK);
	same_bytes(p, c.u.argmax.dst, R * 4);

	for (int op = 0; op < 2; op++) {
		c = (struct vgpu_cmd){ .opcode = op ? VGPU_OP_MUL : VGPU_OP_ADD };
		c.u.binary = (struct vgpu_op_binary){ .a = buf(p, N), .b = buf(p, N),
						      .dst = buf(p, N), .count = N };
		run_both(p, &c, 0, VGPU_OK);
		same_f32(p, c.u.binary.dst, N, 1e-6f);
	}
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_SCALE };
	c.u.scale = (struct vgpu_op_scale){ .src = buf(p, N), .dst = buf(p, N), .count = N,
					    .alpha = -1.5f };
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.scale.dst, N, 1e-6f);
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_AXPY };
	c.u.axpy = (struct vgpu_op_axpy){ .x = buf(p, N), .y = buf(p, N), .count = N,
					  .alpha = 0.3f };
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.axpy.y, N, 1e-6f);

	c = (struct vgpu_cmd){ .opcode = VGPU_OP_FILL };
	c.u.fill = (struct vgpu_op_fill){ .dst = buf(p, N), .count = N - 1, .value = 0xdeadbeef };
	run_both(p, &c, 0, VGPU_OK);
	same_bytes(p, c.u.fill.dst, N * 4);

	/* memmove both ways, overlapping by more than the scratch area. */
	p->used = 0;
	uint64_t big = buf(p, 200000);
	for (int dir = 0; dir < 2; dir++) {
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_COPY };
		c.u.copy = (struct vgpu_op_copy){ .dst = dir ? big + 4 * 1000 : big,
						  .src = dir ? big : big + 4 * 1000,
						  .bytes = 4 * 199000 - 4 };
		run_both(p, &c, 0, VGPU_OK);
		same_bytes(p, big, 4 * 200000);
	}
}

static void test_losses_reductions(void **state)
{
	NEED_GPU();
	struct pair *p = *state;
	const uint32_t R = 70, C = 10, N = 100003;
	struct vgpu_cmd c;

	p->used = 0;
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_SOFTMAX_XENT };
	c.u.xent = (struct vgpu_op_xent){ .logits = buf(p, R * C), .labels = buf(p, R),
					  .loss = buf(p, 1), .dlogits = buf(p, R * C), .rows = R,
					  .cols = C };
	for (uint32_t i = 0; i < R; i++)
		set_i32(p, c.u.xent.labels, i, (int32_t)(i * 7 % C));
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.xent.loss, 1, 1e-5f);
	same_f32(p, c.u.xent.dlogits, R * C, 1e-5f);
	/* A label out of range is the tenant's error on both backends. */
	set_i32(p, c.u.xent.labels, R / 2, (int32_t)C);
	run_both(p, &c, 0, VGPU_E_INDEX);
	c.u.xent.dlogits = VGPU_NO_OFF;
	set_i32(p, c.u.xent.labels, R / 2, 1);
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.xent.loss, 1, 1e-5f);

	c = (struct vgpu_cmd){ .opcode = VGPU_OP_MSE };
	c.u.mse = (struct vgpu_op_mse){ .pred = buf(p, N), .target = buf(p, N), .loss = buf(p, 1),
					.grad = buf(p, N), .count = N };
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.mse.loss, 1, 1e-5f);
	same_f32(p, c.u.mse.grad, N, 1e-5f);

	for (unsigned arg = 0; arg < 4; arg++) {
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_SUM, .arg = (uint16_t)arg };
		c.u.sum = (struct vgpu_op_sum){ .src = buf(p, N), .dst = buf(p, 1), .count = N };
		run_both(p, &c, 0, VGPU_OK);
		same_f32(p, c.u.sum.dst, 1, 1e-5f);
	}
	/* A non-finite loss fails on both. */
	((float *)(p->cpu + c.u.sum.src))[5] = INFINITY;
	run_both(p, &c, 0, VGPU_E_NONFINITE);

	for (unsigned arg = 0; arg < 2; arg++) {
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_COUNT_EQ, .arg = (uint16_t)arg };
		c.u.count_eq = (struct vgpu_op_count_eq){ .a = buf(p, N), .b = buf(p, N),
							  .dst = buf(p, 1), .count = N };
		for (uint32_t i = 0; i < N; i++) {
			set_i32(p, c.u.count_eq.a, i, (int32_t)(i % 10));
			set_i32(p, c.u.count_eq.b, i, (int32_t)(i % 7));
		}
		set_i32(p, c.u.count_eq.dst, 0, 5);
		run_both(p, &c, 0, VGPU_OK);
		same_bytes(p, c.u.count_eq.dst, 4);
	}
}

static void test_optimizers_gather_int8(void **state)
{
	NEED_GPU();
	struct pair *p = *state;
	const uint32_t N = 50001;
	struct vgpu_cmd c;

	p->used = 0;
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_SGD, .flags = VGPU_CMD_F_CHECK_FINITE };
	c.u.sgd = (struct vgpu_op_sgd){ .param = buf(p, N), .grad = buf(p, N), .count = N,
					.lr = 0.1f, .weight_decay = 0.01f };
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.sgd.param, N, 1e-6f);

	c = (struct vgpu_cmd){ .opcode = VGPU_OP_SGD_MOMENTUM };
	c.u.sgd_momentum = (struct vgpu_op_sgd_momentum){
		.param = buf(p, N), .grad = buf(p, N), .velocity = buf(p, N), .count = N,
		.lr = 0.05f, .momentum = 0.9f, .weight_decay = 0.001f };
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.sgd_momentum.param, N, 1e-6f);
	same_f32(p, c.u.sgd_momentum.velocity, N, 1e-6f);

	c = (struct vgpu_cmd){ .opcode = VGPU_OP_ADAM };
	c.u.adam = (struct vgpu_op_adam){ .param = buf(p, N), .grad = buf(p, N), .m = buf(p, N),
					  .v = buf(p, N), .hyper = buf(p, 6), .count = N };
	for (uint64_t i = 0; i < N; i++) /* v is a running mean of squares */
		((float *)(p->cpu + c.u.adam.v))[i] = fabsf(((float *)(p->cpu + c.u.adam.v))[i]);
	struct vgpu_adam_hyper h = { 0.001f, 0.9f, 0.999f, 1e-8f, 0.0f, 3 };
	memcpy(p->cpu + c.u.adam.hyper, &h, sizeof h);
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.adam.param, N, 1e-6f);
	same_f32(p, c.u.adam.m, N, 1e-6f);
	same_f32(p, c.u.adam.v, N, 1e-6f);
	h.step = 0;
	memcpy(p->cpu + c.u.adam.hyper, &h, sizeof h);
	run_both(p, &c, 0, VGPU_E_ARG);
	same_f32(p, c.u.adam.param, N, 0.0f); /* nothing written on either */

	const uint32_t rows = 40, cols = 33, nidx = 77;
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_GATHER_ROWS };
	c.u.gather = (struct vgpu_op_gather){ .src = buf(p, rows * cols), .idx = buf(p, nidx),
					      .dst = buf(p, nidx * cols), .nidx = nidx,
					      .cols = cols, .src_rows = rows };
	for (uint32_t i = 0; i < nidx; i++)
		set_i32(p, c.u.gather.idx, i, (int32_t)((i * 13) % rows));
	run_both(p, &c, 0, VGPU_OK);
	same_bytes(p, c.u.gather.dst, nidx * cols * 4);
	set_i32(p, c.u.gather.idx, 3, -1);
	run_both(p, &c, 0, VGPU_E_INDEX);

	c = (struct vgpu_cmd){ .opcode = VGPU_OP_QUANTIZE_I8 };
	c.u.quantize = (struct vgpu_op_quantize){ .src = buf(p, N), .dst = buf(p, N / 4 + 1),
						  .scale = buf(p, 1), .count = N };
	run_both(p, &c, 0, VGPU_OK);
	same_f32(p, c.u.quantize.scale, 1, 1e-6f);
	/* Rounding of x / s may differ by one step where x / s is a tie. */
	const int8_t *qa = (const int8_t *)(p->cpu + c.u.quantize.dst);
	const int8_t *qb = (const int8_t *)(p->gpu + c.u.quantize.dst);
	for (uint32_t i = 0; i < N; i++)
		assert_true(abs(qa[i] - qb[i]) <= 1);

	for (unsigned tr = 0; tr <= VGPU_GEMM_TRANS_B; tr += VGPU_GEMM_TRANS_B) {
		const uint32_t m = 37, n = 29, k = 71;
		c = (struct vgpu_cmd){ .opcode = VGPU_OP_GEMM_I8, .arg = (uint16_t)tr };
		c.u.gemm_i8 = (struct vgpu_op_gemm_i8){ .a = buf(p, m * k / 4 + 1),
							.b = buf(p, k * n / 4 + 1),
							.c = buf(p, m * n), .scales = buf(p, 2),
							.bias = tr ? buf(p, n) : VGPU_NO_OFF,
							.m = m, .n = n, .k = k };
		float sc[2] = { 0.02f, 0.03f };
		memcpy(p->cpu + c.u.gemm_i8.scales, sc, sizeof sc);
		run_both(p, &c, m, VGPU_OK);
		same_f32(p, c.u.gemm_i8.c, m * n, 1e-6f);
	}
}

static void test_transfers(void **state)
{
	NEED_GPU();
	struct pair *p = *state;
	/* More than two staging buffers, odd length and offset. */
	const uint64_t off = 3, len = 2 * CUDA_BACKEND_STAGING_BYTES + 12345;
	for (uint64_t i = 0; i < len; i++)
		p->gpu[off + i] = (uint8_t)(i * 31 + 7);
	memcpy(p->cpu, p->gpu, off + len);
	assert_int_equal(cuda_backend_upload(p->gpu, off, len), VGPU_OK);
	memset(p->gpu, 0, off + len);
	assert_int_equal(cuda_backend_download(p->gpu, off, len), VGPU_OK);
	assert_memory_equal(p->cpu + off, p->gpu + off, len);
	assert_int_equal(cuda_backend_upload(p->gpu, ARENA - 8, 9), VGPU_E_RANGE);
	assert_int_equal(cuda_backend_download(p->gpu, 16, UINT64_MAX - 8), VGPU_E_OVERFLOW);
	assert_int_equal(cuda_backend_upload(p->gpu, ARENA, 0), VGPU_OK);
}

/* The UPLOAD/DOWNLOAD commands: after an upload the tenant is resident,
 * a command changes only the device copy, and a download brings it back. */
static void test_transfer_opcodes(void **state)
{
	NEED_GPU();
	(void)state;
	char err[200];
	const uint64_t size = 1u << 20, n = 1000;
	uint8_t *b = aligned_alloc(4096, size);
	assert_non_null(b);
	assert_int_equal(cuda_backend_attach(b, size, err, sizeof err), 0);
	float *x = (float *)b;
	for (uint64_t i = 0; i < n; i++)
		x[i] = (float)i - 300.0f;
	struct vgpu_cmd c = { .opcode = VGPU_OP_UPLOAD };
	c.u.xfer = (struct vgpu_op_xfer){ .off = 0, .bytes = n * 4 };
	assert_int_equal(vgpu_backend_cuda.run(b, size, &c, 0, 0), VGPU_OK);
	memset(b, 0, n * 4);
	struct vgpu_cmd s = { .opcode = VGPU_OP_SCALE };
	s.u.scale = (struct vgpu_op_scale){ .src = 0, .dst = 0, .count = n, .alpha = 2.0f };
	assert_int_equal(vgpu_backend_cuda.run(b, size, &s, 0, 0), VGPU_OK);
	for (uint64_t i = 0; i < n; i++)   /* resident: the window is untouched */
		assert_true(x[i] == 0.0f);
	c.opcode = VGPU_OP_DOWNLOAD;
	assert_int_equal(vgpu_backend_cuda.run(b, size, &c, 0, 0), VGPU_OK);
	for (uint64_t i = 0; i < n; i++)
		assert_true(x[i] == 2.0f * ((float)i - 300.0f));
	cuda_backend_detach(b);
	free(b);
}

/* The executor and the lane run two tenants at once: each sees only its
 * own results, and a device-wide lock does not deadlock them. */
struct racer {
	uint8_t *arena;
	uint64_t size;
	uint32_t base;
	int bad;
};

static void *racer_thread(void *arg)
{
	struct racer *r = arg;
	const uint64_t n = r->size / 4;
	for (uint32_t it = 0; it < 200 && !r->bad; it++) {
		struct vgpu_cmd c = { .opcode = VGPU_OP_FILL };
		c.u.fill = (struct vgpu_op_fill){ .dst = 0, .count = n, .value = r->base + it };
		r->bad |= vgpu_backend_cuda.run(r->arena, r->size, &c, 0, 0) != VGPU_OK;
		const uint32_t *w = (const uint32_t *)r->arena;
		r->bad |= w[0] != r->base + it || w[n - 1] != r->base + it;
	}
	return NULL;
}

static void test_two_tenants_two_threads(void **state)
{
	NEED_GPU();
	(void)state;
	char err[200];
	struct racer r[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){ .size = 4u << 20, .base = (uint32_t)i << 24 };
		r[i].arena = aligned_alloc(4096, r[i].size);
		assert_non_null(r[i].arena);
		assert_int_equal(cuda_backend_attach(r[i].arena, r[i].size, err, sizeof err), 0);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, racer_thread, &r[i]), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_false(r[i].bad);
		assert_true(cuda_backend_busy_ns(r[i].arena) > 0);
		cuda_backend_detach(r[i].arena);
		free(r[i].arena);
	}
}

/* Two tenants: whatever one writes, the other's device memory is intact;
 * a failing tenant does not disturb the other. */
static void test_isolation(void **state)
{
	NEED_GPU();
	struct pair *p = *state;
	char err[200];
	const uint64_t size = 1u << 20;
	uint8_t *b = aligned_alloc(4096, size);
	assert_non_null(b);
	assert_int_equal(cuda_backend_attach(b, size, err, sizeof err), 0);
	assert_int_equal(cuda_backend_attach(b, size, err, sizeof err), -EEXIST);
	/* A fresh tenant's device arena reads back as zeros. */
	memset(b, 0xff, size);
	assert_int_equal(cuda_backend_download(b, 0, size), VGPU_OK);
	for (uint64_t i = 0; i < size; i++)
		assert_int_equal(b[i], 0);

	for (uint64_t i = 0; i < ARENA; i++)
		p->gpu[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(cuda_backend_upload(p->gpu, 0, ARENA), VGPU_OK);

	/* Tenant b fills and copies across its whole arena, then fails. */
	struct vgpu_cmd c = { .opcode = VGPU_OP_FILL };
	c.u.fill = (struct vgpu_op_fill){ .dst = 0, .count = size / 4, .value = 0x41414141 };
	assert_int_equal(vgpu_backend_cuda.run(b, size, &c, 0, 0), VGPU_OK);
	c = (struct vgpu_cmd){ .opcode = VGPU_OP_GATHER_ROWS };
	c.u.gather = (struct vgpu_op_gather){ .src = 0, .idx = 4096, .dst = 8192, .nidx = 1,
					      .cols = 4, .src_rows = 2 };
	assert_int_equal(vgpu_backend_cuda.run(b, size, &c, 0, 0), VGPU_E_INDEX);

	memset(p->cpu, 0, ARENA);
	assert_int_equal(cuda_backend_download(p->gpu, 0, ARENA), VGPU_OK);
	for (uint64_t i = 0; i < ARENA; i++)
		assert_int_equal(p->gpu[i], (uint8_t)(i * 7 + 1));
	cuda_backend_detach(b);
	assert_int_equal(cuda_backend_upload(b, 0, 4), VGPU_E_BACKEND);
	free(b);
}

static void test_quota_refused_and_time_charged(void **state)
{
	NEED_GPU();
	struct pair *p = *state;
	char err[200];
	/* Far beyond any device: the reservation fails, the attach is refused. */
	static uint8_t key;
	int rc = cuda_backend_attach(&key, probe.mem_total * 4, err, sizeof err);
	assert_int_equal(rc, -ENOMEM);
	assert_non_null(strstr(err, "does not fit"));
	/* The refusal's error is not blamed on the next kernel launch. */
	struct vgpu_cmd f = { .opcode = VGPU_OP_FILL };
	f.u.fill = (struct vgpu_op_fill){ .dst = 0, .count = 1024, .value = 0 };
	assert_int_equal(vgpu_backend_cuda.run(p->gpu, ARENA, &f, 0, 0), VGPU_OK);

	uint64_t before = cuda_backend_busy_ns(p->gpu);
	struct vgpu_cmd c = { .opcode = VGPU_OP_GEMM };
	c.u.gemm = (struct vgpu_op_gemm){ .a = 0, .b = 1u << 20, .c = 2u << 20, .m = 512,
					  .n = 512, .k = 512, .lda = 512, .ldb = 512,
					  .ldc = 512, .alpha = 1.0f };
	assert_int_equal(vgpu_backend_cuda.run(p->gpu, ARENA, &c, 0, 512), VGPU_OK);
	assert_true(cuda_backend_busy_ns(p->gpu) > before);
}

int main(void)
{
	cuda_probe_device(&probe);
	const struct CMUnitTest nogpu[] = {
		cmocka_unit_test(test_errmap),
		cmocka_unit_test(test_refusals_without_device),
		cmocka_unit_test(test_two_threads_without_tenants),
	};
	const struct CMUnitTest gpu[] = {
		cmocka_unit_test(test_gemm),
		cmocka_unit_test(test_elementwise_and_rows),
		cmocka_unit_test(test_losses_reductions),
		cmocka_unit_test(test_optimizers_gather_int8),
		cmocka_unit_test(test_transfers),
		cmocka_unit_test(test_transfer_opcodes),
		cmocka_unit_test(test_two_tenants_two_threads),
		cmocka_unit_test(test_isolation),
		cmocka_unit_test(test_quota_refused_and_time_charged),
	};
	int rc = cmocka_run_group_tests_name("cuda_no_gpu", nogpu, NULL, NULL);
	return rc | cmocka_run_group_tests_name("cuda_gpu", gpu, gpu_setup, gpu_teardown);
}
