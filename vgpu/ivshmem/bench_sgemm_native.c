/*
 * qemu-sgemm-native: the baseline of bench/qemu.sh - the same square sgemm
 * the guest's ivshmem-probe sends through the vGPU, called directly on
 * OpenBLAS in a host process (threads from OPENBLAS_NUM_THREADS).
 *
 *   qemu-sgemm-native N ITERS   prints "sgemm n=N iters=I seconds=S gflops=G"
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: qemu-sgemm-native N ITERS\n");
		return 2;
	}
	long n = strtol(argv[1], NULL, 10), iters = strtol(argv[2], NULL, 10);
	if (n < 1 || n > 16384 || iters < 1 || iters > 100000) {
		fprintf(stderr, "qemu-sgemm-native: N must be 1..16384, ITERS 1..100000\n");
		return 2;
	}
	size_t count = (size_t)n * (size_t)n;
	float *a = malloc(count * sizeof *a), *b = malloc(count * sizeof *b),
	      *c = malloc(count * sizeof *c);
	if (!a || !b || !c) {
		fprintf(stderr, "qemu-sgemm-native: out of memory\n");
		return 1;
	}
	/* Same values as the guest probe, so both sides do identical work. */
	for (long i = 0; i < n; i++)
		for (long k = 0; k < n; k++) {
			a[i * n + k] = (float)((i * 7 + k * 3) % 11) - 5.0f;
			b[i * n + k] = (float)((i * 5 + k * 2) % 13) - 6.0f;
		}
	/* One warm-up call, as the probe does. */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
	double t0 = now_s();
	for (long i = 0; i < iters; i++)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n,
			    0.0f, c, n);
	double dt = now_s() - t0;
	printf("sgemm n=%ld iters=%ld seconds=%.4f gflops=%.2f\n", n, iters, dt,
	       2.0 * (double)n * n * n * iters / dt / 1e9);
	free(a);
	free(b);
	free(c);
	return 0;
}
