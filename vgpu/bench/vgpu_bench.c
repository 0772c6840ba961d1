/*
 * vgpu-bench - measures the vGPU against the same work done natively, side
 * by side in one run (bench/vgpu.sh starts the server):
 *   sgemm N=256 and N=1024 through the vGPU vs cblas_sgemm in this process
 *     with the same OpenBLAS thread count (median time per call);
 *   empty-command round trip (NOP + sync): median and p99;
 *   small commands per second: one doorbell for a batch vs one per command.
 *
 *   vgpu-bench SPEC THREADS     host-process tenant, native baseline alongside
 *   vgpu-bench --native THREADS native sgemm only ("NATIVE N gflops" lines,
 *                               bench/vgpu.sh pairs them with the microVM run)
 * Built as a static musl guest too (VGPU_BENCH_GUEST: no OpenBLAS in the
 * guest): vgpu-bench-guest measures the vGPU side from inside a microVM and
 * prints "VGPU name value" lines.
 * Prints a table and "BENCH name value unit [baseline=] [ratio=]" lines.
 */
#ifndef VGPU_BENCH_GUEST
#include <cblas.h>
#endif
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

static void fill_inputs(float *a, float *b, float *c, int n)
{
	for (size_t i = 0; i < (size_t)n * n; i++) {
		a[i] = (float)((i * 7) % 13) / 13.0f;
		b[i] = (float)((i * 5) % 11) / 11.0f;
		c[i] = 0;
	}
}

#define ROUNDS 6

/* Median seconds per vGPU sgemm, measured in ROUNDS rounds separated by
 * pauses; round r runs after native round r (when there is one). */
struct gemm_run {
	struct vgpu *g;
	uint64_t a, b, c;
	int n, per;
	double *t;
};

static int vgpu_gemm_setup(struct gemm_run *r, struct vgpu *g, int n, int reps)
{
	size_t bytes = (size_t)n * n * 4;
	r->g = g;
	r->n = n;
	r->per = reps / ROUNDS;
	r->t = calloc((size_t)reps, sizeof(double));
	if (!r->t || vgpu_alloc(g, bytes, &r->a) || vgpu_alloc(g, bytes, &r->b) ||
	    vgpu_alloc(g, bytes, &r->c)) {
		fprintf(stderr, "vgpu-bench: arena too small for N=%d\n", n);
		return -1;
	}
	fill_inputs(vgpu_ptr(g, r->a), vgpu_ptr(g, r->b), vgpu_ptr(g, r->c), n);
	vgpu_gemm(g, 0, n, n, n, 1, r->a, n, r->b, n, 0, r->c, n);
	return vgpu_sync(g);
}

static int vgpu_gemm_round(struct gemm_run *r, int round)
{
	for (int i = 0; i < r->per; i++) {
		double t0 = now_s();
		vgpu_gemm(r->g, 0, r->n, r->n, r->n, 1, r->a, r->n, r->b, r->n, 0, r->c, r->n);
		if (vgpu_sync(r->g))
			return -1;
		r->t[round * r->per + i] = now_s() - t0;
	}
	return 0;
}

static void vgpu_gemm_done(struct gemm_run *r)
{
	free(r->t);
	vgpu_free(r->g, r->a);
	vgpu_free(r->g, r->b);
	vgpu_free(r->g, r->c);
}

static double gflops(int n, double *t, int m)
{
	return 2.0 * n * n * n / quantile(t, m, 0.5) / 1e9;
}

#ifndef VGPU_BENCH_GUEST
struct native_run {
	float *a, *b, *c;
	int n, per;
	double *t;
};

static int native_setup(struct native_run *r, int n, int reps)
{
	size_t bytes = (size_t)n * n * 4;
	r->n = n;
	r->per = reps / ROUNDS;
	r->a = aligned_alloc(64, bytes);
	r->b = aligned_alloc(64, bytes);
	r->c = aligned_alloc(64, bytes);
	r->t = calloc((size_t)reps, sizeof(double));
	if (!r->a || !r->b || !r->c || !r->t)
		return -1;
	fill_inputs(r->a, r->b, r->c, n);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, r->a, n, r->b, n, 0, r->c, n);
	return 0;
}

static void native_round(struct native_run *r, int round)
{
	int n = r->n;
	for (int i = 0; i < r->per; i++) {
		double t0 = now_s();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, r->a, n, r->b, n, 0,
			    r->c, n);
		r->t[round * r->per + i] = now_s() - t0;
	}
}

static void native_done(struct native_run *r)
{
	free(r->a);
	free(r->b);
	free(r->c);
	free(r->t);
}

static int bench_gemm(struct vgpu *g, int n, int reps, const char *label)
{
	struct gemm_run v;
	struct native_run nat;
	if (vgpu_gemm_setup(&v, g, n, reps) || native_setup(&nat, n, reps))
		return -1;
	/* Alternate rounds so drift on this shared machine hits both alike. */
	for (int r = 0; r < ROUNDS; r++) {
		settle();
		native_round(&nat, r);
		settle();
		if (vgpu_gemm_round(&v, r))
			return -1;
	}
	/* Same numbers up to blocking order (the server may split rows). */
	const float *pc = vgpu_ptr(g, v.c);
	for (size_t i = 0; i < (size_t)n * n; i++)
		if (!(fabsf(nat.c[i] - pc[i]) <= 1e-4f * (1.0f + fabsf(nat.c[i])))) {
			fprintf(stderr, "vgpu-bench: vGPU and native results differ for N=%d\n", n);
			return -1;
		}
	int m = ROUNDS * v.per;
	double gv = gflops(n, v.t, m), gn = gflops(n, nat.t, m);
	printf("sgemm N=%-5d %-8s %8.1f GFLOP/s   native %8.1f GFLOP/s   ratio %.3f\n", n, label, gv,
	       gn, gv / gn);
	printf("BENCH vgpu_sgemm_%d_%s_gflops %.1f GFLOP/s baseline=%.1f ratio=%.3f\n", n, label, gv,
	       gn, gv / gn);
	vgpu_gemm_done(&v);
	native_done(&nat);
	return 0;
}

static int native_only(int n, int reps)
{
	struct native_run nat;
	if (native_setup(&nat, n, reps))
		return -1;
	for (int r = 0; r < ROUNDS; r++)
		native_round(&nat, r);
	printf("NATIVE %d %.1f\n", n, gflops(n, nat.t, ROUNDS * nat.per));
	native_done(&nat);
	return 0;
}
#else
/* In a guest: the vGPU side only; bench/vgpu.sh adds the native baseline. */
static int bench_gemm(struct vgpu *g, int n, int reps, const char *label)
{
	struct gemm_run v;
	(void)label;
	if (vgpu_gemm_setup(&v, g, n, reps))
		return -1;
	for (int r = 0; r < ROUNDS; r++) {
		settle();
		if (vgpu_gemm_round(&v, r))
			return -1;
	}
	printf("VGPU sgemm_%d %.1f\n", n, gflops(n, v.t, ROUNDS * v.per));
	vgpu_gemm_done(&v);
	return 0;
}
#endif

static int bench_latency(struct vgpu *g, const char *label)
{
	const int n = 20000;
	double *t = calloc(n, sizeof(double));
	settle();
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
	const char *spec = NULL, *label = "microvm";
#ifndef VGPU_BENCH_GUEST
	if (argc != 3) {
		fprintf(stderr, "usage: vgpu-bench SPEC|--native THREADS\n");
		return 2;
	}
	int threads = atoi(argv[2]);
	if (threads < 1 || threads > 1024) {
		fprintf(stderr, "vgpu-bench: bad thread count %s\n", argv[2]);
		return 2;
	}
	openblas_set_num_threads(threads);
	if (!strcmp(argv[1], "--native"))
		return native_only(256, 300) || native_only(1024, 30) ? 1 : 0;
	spec = argv[1];
	label = "host";
#else
	(void)argc;
	(void)argv;
#endif
	struct vgpu *g;
	char err[256];
	struct vgpu_open_opts o = { .memory_bytes = 64 << 20, .tenant = { .name = "bench" } };
	if (vgpu_open_ex(spec, &o, &g, err, sizeof(err))) {
		fprintf(stderr, "vgpu-bench: %s\n", err);
		return 1;
	}
	int rc = bench_gemm(g, 256, 300, label) || bench_gemm(g, 1024, 30, label) ||
		 bench_latency(g, label) || bench_small(g, label);
	vgpu_close(g);
	return rc ? 1 : 0;
}
