/* vgpu_gemm: inside a microVM, opens the vGPU the VMM announced in
 * AIVISOR_VGPU, runs C = A*B (row-major, M x K times K x N) on it and
 * checks the result against a plain loop; then a GEMM naming memory
 * outside the arena must be refused by the server.  Prints
 * "gemm ok ..." and exits 0 when all holds. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "vgpu_client.h"

#define M 96
#define N 64
#define K 80

int main(void)
{
	struct vgpu *g;
	char err[160];
	int rc = vgpu_open(NULL, &g, err, sizeof(err));
	if (rc) {
		printf("vgpu_open: %s\n", err);
		return 2;
	}
	uint64_t a, b, c;
	if (vgpu_alloc(g, M * K * 4, &a) || vgpu_alloc(g, K * N * 4, &b) || vgpu_alloc(g, M * N * 4, &c)) {
		printf("vgpu_alloc failed\n");
		return 2;
	}
	float *pa = vgpu_ptr(g, a), *pb = vgpu_ptr(g, b), *pc = vgpu_ptr(g, c);
	unsigned s = 12345;
	for (int i = 0; i < M * K; i++)
		pa[i] = (float)((s = s * 1103515245u + 12345u) >> 16 & 0xff) / 64.0f - 2.0f;
	for (int i = 0; i < K * N; i++)
		pb[i] = (float)((s = s * 1103515245u + 12345u) >> 16 & 0xff) / 64.0f - 2.0f;
	rc = vgpu_gemm(g, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
	if (!rc)
		rc = vgpu_sync(g);
	if (rc) {
		printf("gemm failed: %d\n", rc);
		return 1;
	}
	double max_err = 0;
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double ref = 0;
			for (int k = 0; k < K; k++)
				ref += (double)pa[i * K + k] * pb[k * N + j];
			double e = fabs(ref - pc[i * N + j]);
			if (e > max_err)
				max_err = e;
		}
	if (max_err > 1e-2) {
		printf("gemm WRONG: max error %g\n", max_err);
		return 1;
	}
	/* A buffer past the end of the arena: refused, not executed. */
	rc = vgpu_gemm(g, 0, M, N, K, 1.0f, vgpu_arena_size(g) - 16, K, b, N, 0.0f, c, N);
	if (!rc)
		rc = vgpu_sync(g);
	printf("gemm ok %dx%dx%d max_err=%.2g, out-of-arena gemm %s\n", M, N, K, max_err,
	       rc ? "refused" : "ACCEPTED");
	vgpu_close(g);
	return rc ? 0 : 1;
}
