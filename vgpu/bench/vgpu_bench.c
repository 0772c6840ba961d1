/*
 * vgpu-bench - measures the vGPU against the same work done natively, side
 * by side in one run (bench/vgpu.sh starts the server):
 *   sgemm N=256 and N=1024 through the vGPU vs cblas_sgemm in this process
 *     with the same OpenBLAS thread count (median time per call);
 *   empty-command round trip (NOP + sync): median and p99;
 *   small commands per second: one doorbell for a batch vs one per command.
 *
 *   vgpu-bench SPEC THREADS
 * Prints a table and "BENCH name value unit [baseline=] [ratio=]" lines.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_client.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile(double *v, int n, double q)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	int i = (int)(q * (n - 1) + 0.5);
	return v[i];
}

/* Lets OpenBLAS worker threads (ours or the server's) stop spinning before
 * the other side measures. */
static void settle(void)
{
	usleep(300000);
}

static int bench_gemm(struct vgpu *g, int n, int reps, const char *label)
{
	size_t bytes = (size_t)n * n * 4;
	uint64_t a, b, c;
	if (vgpu_alloc(g, bytes, &a) || vgpu_alloc(g, bytes, &b) || vgpu_alloc(g, bytes, &c)) {
		fprintf(stderr, "vgpu-bench: arena too small for N=%d\n", n);
		return -1;
	}
	float *na = aligned_alloc(64, bytes), *nb = aligned_alloc(64, bytes), *nc = aligned_alloc(64, bytes);
	if (!na || !nb || !nc)
		return -1;
	float *pa = vgpu_ptr(g, a), *pb = vgpu_ptr(g, b), *pc = vgpu_ptr(g, c);
	for (size_t i = 0; i < (size_t)n * n; i++) {
		na[i] = pa[i] = (float)((i * 7) % 13) / 13.0f;
		nb[i] = pb[i] = (float)((i * 5) % 11) / 11.0f;
		nc[i] = pc[i] = 0;
	}
	double *tn = calloc((size_t)reps, sizeof(double)), *tv = calloc((size_t)reps, sizeof(double));
	/* Warm both paths (page faults, OpenBLAS buffers), then alternate
	 * rounds so drift on this shared machine hits both alike. */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, na, n, nb, n, 0, nc, n);
	vgpu_gemm(g, 0, n, n, n, 1, a, n, b, n, 0, c, n);
	if (vgpu_sync(g))
		return -1;
	int rounds = 3, per = reps / rounds;
	for (int r = 0; r < rounds; r++) {
		settle();
		for (int i = 0; i < per; i++) {
			double t0 = now_s();
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, na, n, nb, n, 0,
				    nc, n);
			tn[r * per + i] = now_s() - t0;
		}
		settle();
		for (int i = 0; i < per; i++) {
			double t0 = now_s();
			vgpu_gemm(g, 0, n, n, n, 1, a, n, b, n, 0, c, n);
			if (vgpu_sync(g))
				return -1;
			tv[r * per + i] = now_s() - t0;
		}
	}
	int m = rounds * per;
	/* Same numbers up to blocking order (the server may split rows). */
	for (size_t i = 0; i < (size_t)n * n; i++)
		if (!(fabsf(nc[i] - pc[i]) <= 1e-4f * (1.0f + fabsf(nc[i])))) {
			fprintf(stderr, "vgpu-bench: vGPU and native results differ for N=%d\n", n);
			return -1;
		}
	double flops = 2.0 * n * n * n;
	double gn = flops / quantile(tn, m, 0.5) / 1e9, gv = flops / quantile(tv, m, 0.5) / 1e9;
	printf("sgemm N=%-5d %-12s %8.1f GFLOP/s   native %8.1f GFLOP/s   ratio %.3f\n", n, label, gv,
	       gn, gv / gn);
	printf("BENCH vgpu_sgemm_%d_%s_gflops %.1f GFLOP/s baseline=%.1f ratio=%.3f\n", n, label, gv,
	       gn, gv / gn);
	free(tn);
	free(tv);
	free(na);
	free(nb);
	free(nc);
	vgpu_free(g, a);
	vgpu_free(g, b);
	vgpu_free(g, c);
	return 0;
}

static int bench_latency(struct vgpu *g, const char *label)
{
	const int n = 20000;
	double *t = calloc(n, sizeof(double));
	for (int i = 0; i < 1000; i++) {
		vgpu_nop(g);
		if (vgpu_sync(g))
			return -1;
	}
	for (int i = 0; i < n; i++) {
		double t0 = now_s();
		vgpu_nop(g);
		if (vgpu_sync(g))
			return -1;
		t[i] = now_s() - t0;
	}
	double p50 = quantile(t, n, 0.5) * 1e6, p99 = quantile(t, n, 0.99) * 1e6;
	printf("empty command round trip %-8s median %6.2f us   p99 %6.2f us\n", label, p50, p99);
	printf("BENCH vgpu_roundtrip_%s_median_us %.2f us\n", label, p50);
	printf("BENCH vgpu_roundtrip_%s_p99_us %.2f us\n", label, p99);
	free(t);
	return 0;
}

static int bench_small(struct vgpu *g, const char *label)
{
	uint64_t x;
	if (vgpu_alloc(g, 64 * 4, &x))
		return -1;
	const int n = 50000, single = 10000;
	double t0 = now_s();
	for (int i = 0; i < n; i++)
		vgpu_scale(g, x, x, 64, 1.0f);
	if (vgpu_sync(g))
		return -1;
	double batched = n / (now_s() - t0);
	t0 = now_s();
	for (int i = 0; i < single; i++) {
		vgpu_scale(g, x, x, 64, 1.0f);
		if (vgpu_sync(g))
			return -1;
	}
	double one = single / (now_s() - t0);
	printf("small commands (scale, 64 floats) %-8s batched %10.0f /s   one doorbell each %10.0f /s\n",
	       label, batched, one);
	printf("BENCH vgpu_small_cmds_batched_%s %.0f cmd/s baseline=%.0f ratio=%.2f\n", label, batched,
	       one, batched / one);
	vgpu_free(g, x);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: vgpu-bench SPEC THREADS\n");
		return 2;
	}
	int threads = atoi(argv[2]);
	if (threads < 1 || threads > 1024) {
		fprintf(stderr, "vgpu-bench: bad thread count %s\n", argv[2]);
		return 2;
	}
	openblas_set_num_threads(threads);
	struct vgpu *g;
	char err[256];
	struct vgpu_open_opts o = { .memory_bytes = 64 << 20, .tenant = { .name = "bench" } };
	if (vgpu_open_ex(argv[1], &o, &g, err, sizeof(err))) {
		fprintf(stderr, "vgpu-bench: %s\n", err);
		return 1;
	}
	const char *label = "host";
	int rc = bench_gemm(g, 256, 300, label) || bench_gemm(g, 1024, 30, label) ||
		 bench_latency(g, label) || bench_small(g, label);
	vgpu_close(g);
	return rc ? 1 : 0;
}
