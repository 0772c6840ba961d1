/*
 * openblas.c - the CPU backend: sgemm through OpenBLAS directly on the
 * tenant's arena (zero copies), everything else through cpu_ops.c.
 */
#include <cblas.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "cpu_ops.h"
#include "../common/vgpu_err.h"

static int nthreads;

/* GEMMs with fewer multiply-adds than this run on one thread.  Measured
 * here (2 cores, OpenBLAS 0.3.21): 32x128x65 8.6 us on one thread vs 17 us
 * on two, 256x64x128 57 vs 122 us, 128^3 81 vs 89 us; waking the pool
 * costs more than it gains below ~4M.  openblas_set_num_threads costs
 * ~5 ns when the pool already exists. */
#define SMALL_GEMM_MNK (1ull << 22)

static int ob_init(int threads, char *err, size_t errlen)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 0 || threads > 1024)
		return vgpu_err(err, errlen, -EINVAL, "bad thread count %d", threads);
	nthreads = threads ? threads : (cores > 0 ? (int)cores : 1);
	openblas_set_num_threads(nthreads);
	return 0;
}

static void ob_fini(void)
{
}

static int ob_threads(void)
{
	return nthreads;
}

static void gemm_rows(uint8_t *arena, const struct vgpu_cmd *c, uint32_t rb, uint32_t re)
{
	const struct vgpu_op_gemm *g = &c->u.gemm;
	int ta = c->arg & VGPU_GEMM_TRANS_A, tb = c->arg & VGPU_GEMM_TRANS_B;
	const float *A = (const float *)(arena + g->a);
	/* Row i of op(A) starts at row i of A, or at column i when transposed. */
	A += ta ? rb : (size_t)rb * g->lda;
	/* The thread count is process-wide: a piece the second lane starts
	 * meanwhile may run on one thread too (slower, never wrong). */
	bool one = nthreads > 1 && (uint64_t)(re - rb) * g->n * g->k < SMALL_GEMM_MNK;
	if (one)
		openblas_set_num_threads(1);
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
		    (int)(re - rb), (int)g->n, (int)g->k, g->alpha, A, (int)g->lda,
		    (const float *)(arena + g->b), (int)g->ldb, g->beta,
		    (float *)(arena + g->c) + (size_t)rb * g->ldc, (int)g->ldc);
	if (one)
		openblas_set_num_threads(nthreads);
}

static int ob_run(uint8_t *arena, uint64_t arena_size, const struct vgpu_cmd *c,
		  uint32_t rb, uint32_t re)
{
	(void)arena_size;
	int rc;
	if (c->opcode == VGPU_OP_GEMM) {
		gemm_rows(arena, c, rb, re);
		rc = VGPU_OK;
	} else if (c->opcode == VGPU_OP_GEMM_I8) {
		rc = cpu_ops_gemm_i8(arena, c, rb, re);
	} else {
		rc = cpu_ops_run(arena, c);
	}
	if (rc == VGPU_OK && (c->flags & VGPU_CMD_F_CHECK_FINITE))
		rc = cpu_ops_check_outputs(arena, c, rb, re);
	return rc;
}

const struct vgpu_backend vgpu_backend_openblas = {
	.name = "openblas",
	.init = ob_init,
	.fini = ob_fini,
	.threads = ob_threads,
	.run = ob_run,
};
