/*
 * cuda_bench_sgemm.c - sgemm through the vGPU's CUDA backend against
 * cuBLAS called directly, side by side in one process, plus the cost of
 * chunking, of coherent mode (no explicit transfers), of one empty command,
 * and the whole path through libvgpu and the embedded server.  Prints a
 * table and BENCH lines.
 *
 * usage: vgpu-cuda-sgemm [N [reps]]   (default 4096, 20)
 * Exits 0 with a "skip" line when there is no usable GPU.
 */
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cuda_backend.h"
#include "cuda_select.h"
#include "vgpu_client.h"
#include "vgpu_host.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define CHECK(what, ok)                                                        \
	do {                                                                   \
		if (!(ok)) {                                                   \
			fprintf(stderr, "vgpu-cuda-sgemm: %s failed\n", what); \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* cuBLAS directly: the same call the backend makes, on its own buffers. */
static double direct_gflops(int n, int reps)
{
	float *a, *b, *c;
	size_t bytes = (size_t)n * n * sizeof(float);
	CHECK("cudaMalloc", cudaMalloc((void **)&a, bytes) == cudaSuccess &&
				    cudaMalloc((void **)&b, bytes) == cudaSuccess &&
				    cudaMalloc((void **)&c, bytes) == cudaSuccess);
	cudaMemset(a, 0, bytes);
	cudaMemset(b, 0, bytes);
	cublasHandle_t h;
	cudaStream_t s;
	CHECK("cublasCreate", cublasCreate(&h) == CUBLAS_STATUS_SUCCESS);
	CHECK("stream", cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) == cudaSuccess);
	cublasSetStream(h, s);
	const float one = 1.0f, zero = 0.0f;
	double best = 1e30;
	for (int r = -2; r < reps; r++) { /* two warm-up calls */
		double t0 = now_s();
		CHECK("sgemm", cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, b, n, a, n,
					   &zero, c, n) == CUBLAS_STATUS_SUCCESS);
		CHECK("sync", cudaStreamSynchronize(s) == cudaSuccess);
		double dt = now_s() - t0;
		if (r >= 0 && dt < best)
			best = dt;
	}
	cublasDestroy(h);
	cudaStreamDestroy(s);
	cudaFree(a);
	cudaFree(b);
	cudaFree(c);
	return 2.0 * n * (double)n * n / best * 1e-9;
}

/* One GEMM command through the backend, in `chunks` row bands as the
 * server's scheduler issues a long command. */
static double vgpu_gflops(uint8_t *arena, uint64_t size, int n, int reps, int chunks)
{
	uint64_t mat = (uint64_t)n * n * sizeof(float);
	struct vgpu_cmd c = { .opcode = VGPU_OP_GEMM };
	c.u.gemm = (struct vgpu_op_gemm){ .a = 0, .b = mat, .c = 2 * mat, .m = (uint32_t)n,
					  .n = (uint32_t)n, .k = (uint32_t)n, .lda = (uint32_t)n,
					  .ldb = (uint32_t)n, .ldc = (uint32_t)n, .alpha = 1.0f };
	uint32_t band = (uint32_t)((n + chunks - 1) / chunks);
	double best = 1e30;
	for (int r = -2; r < reps; r++) {
		double t0 = now_s();
		for (uint32_t row = 0; row < (uint32_t)n; row += band) {
			uint32_t end = row + band < (uint32_t)n ? row + band : (uint32_t)n;
			CHECK("backend gemm", vgpu_backend_cuda.run(arena, size, &c, row, end) ==
						      VGPU_OK);
		}
		double dt = now_s() - t0;
		if (r >= 0 && dt < best)
			best = dt;
	}
	return 2.0 * n * (double)n * n / best * 1e-9;
}

/* The whole path: libvgpu in this process, the ring, the embedded server
 * (validator, scheduler, row chunking) on the CUDA backend.  The tenant
 * has no explicit transfers in the ABI yet, so it is in coherent mode. */
static double server_gflops(int n, int reps)
{
	char sock[64], err[256];
	snprintf(sock, sizeof sock, "/tmp/aivisor-cuda-bench.%d.sock", (int)getpid());
	struct vgpu_server_config cfg = { .socket_path = sock, .backend = "cuda" };
	struct vgpu_server *srv;
	if (vgpu_server_start(&cfg, &srv, err, sizeof err)) {
		fprintf(stderr, "vgpu-cuda-sgemm: server: %s\n", err);
		return 0.0;
	}
	uint64_t mat = (uint64_t)n * n * sizeof(float);
	struct vgpu_open_opts o = { .memory_bytes = 3 * mat + (16u << 20) };
	char spec[80];
	snprintf(spec, sizeof spec, "unix:%s", sock);
	struct vgpu *g;
	double best = 0.0;
	uint64_t a, b, c;
	if (vgpu_open_ex(spec, &o, &g, err, sizeof err)) {
		fprintf(stderr, "vgpu-cuda-sgemm: open: %s\n", err);
	} else {
		if (vgpu_alloc(g, mat, &a) == 0 && vgpu_alloc(g, mat, &b) == 0 &&
		    vgpu_alloc(g, mat, &c) == 0) {
			double t_best = 1e30;
			for (int r = -1; r < reps; r++) {
				double t0 = now_s();
				if (vgpu_gemm(g, 0, (uint32_t)n, (uint32_t)n, (uint32_t)n, 1.0f, a,
					      (uint32_t)n, b, (uint32_t)n, 0.0f, c, (uint32_t)n) ||
				    vgpu_sync(g)) {
					fprintf(stderr, "vgpu-cuda-sgemm: gemm through the server failed\n");
					t_best = 1e30;
					break;
				}
				double dt = now_s() - t0;
				if (r >= 0 && dt < t_best)
					t_best = dt;
			}
			if (t_best < 1e30)
				best = 2.0 * n * (double)n * n / t_best * 1e-9;
		}
		vgpu_close(g);
	}
	vgpu_server_stop(srv);
	return best;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4096, reps = argc > 2 ? atoi(argv[2]) : 20;
	if (n < 16 || n > 32768 || reps < 1) {
		fprintf(stderr, "usage: vgpu-cuda-sgemm [N (16..32768) [reps]]\n");
		return 2;
	}
	struct cuda_probe p;
	cuda_probe_device(&p);
	if (!p.usable) {
		printf("skip - vgpu-cuda-sgemm: %s\n", p.why);
		return 0;
	}
	char err[200];
	CHECK(err, vgpu_backend_cuda.init(0, err, sizeof err) == 0);
	uint64_t size = 3ull * n * n * sizeof(float);
	uint8_t *arena = aligned_alloc(4096, (size + 4095) / 4096 * 4096);
	CHECK("arena", arena != NULL);
	uint8_t *coherent = aligned_alloc(4096, (size + 4095) / 4096 * 4096);
	CHECK("arena", coherent != NULL);
	memset(arena, 0, size);
	memset(coherent, 0, size);
	if (cuda_backend_attach(arena, size, err, sizeof err) != 0 ||
	    cuda_backend_attach(coherent, size, err, sizeof err) != 0) {
		fprintf(stderr, "attach: %s\n", err);
		return 1;
	}
	/* One explicit transfer: this tenant keeps its data on the device. */
	CHECK("upload", cuda_backend_upload(arena, 0, size) == VGPU_OK);

	double direct = direct_gflops(n, reps);
	double whole = vgpu_gflops(arena, size, n, reps, 1);
	double chunked = vgpu_gflops(arena, size, n, reps, 4);
	/* Without explicit transfers A, B and C cross PCIe with every command. */
	double coh = vgpu_gflops(coherent, size, n, reps < 3 ? reps : 3, 1);

	/* An empty command: launch + events + sync, as the server sees it. */
	enum { NOPS = 2000 };
	static double lat[NOPS];
	struct vgpu_cmd nop = { .opcode = VGPU_OP_NOP };
	for (int i = 0; i < NOPS; i++) {
		double t0 = now_s();
		CHECK("nop", vgpu_backend_cuda.run(arena, size, &nop, 0, 0) == VGPU_OK);
		lat[i] = (now_s() - t0) * 1e6;
	}
	qsort(lat, NOPS, sizeof lat[0], cmp_double);

	printf("device: %s (sm_%d%d)\n", p.name, p.cc_major, p.cc_minor);
	printf("sgemm N=%d, best of %d (GFLOP/s)\n", n, reps);
	printf("%-34s %12.0f\n", "cuBLAS directly", direct);
	printf("%-34s %12.0f  (%.3fx)\n", "vGPU CUDA backend, one command", whole, whole / direct);
	printf("%-34s %12.0f  (%.3fx)\n", "vGPU CUDA backend, 4 row chunks", chunked,
	       chunked / direct);
	printf("%-34s %12.0f  (%.3fx)\n", "coherent mode (copies each time)", coh, coh / direct);
	printf("empty command through the backend: median %.1f us, p99 %.1f us\n",
	       lat[NOPS / 2], lat[NOPS * 99 / 100]);
	printf("BENCH cuda_sgemm_n%d_vgpu %.0f GFLOP/s baseline=%.0f ratio=%.3f\n", n, whole,
	       direct, whole / direct);
	printf("BENCH cuda_sgemm_n%d_vgpu_4chunks %.0f GFLOP/s baseline=%.0f ratio=%.3f\n", n,
	       chunked, direct, chunked / direct);
	printf("BENCH cuda_sgemm_n%d_coherent %.0f GFLOP/s baseline=%.0f ratio=%.3f\n", n, coh,
	       direct, coh / direct);
	printf("BENCH cuda_empty_cmd_median %.1f us\n", lat[NOPS / 2]);
	printf("BENCH cuda_empty_cmd_p99 %.1f us\n", lat[NOPS * 99 / 100]);

	cuda_backend_detach(arena);
	cuda_backend_detach(coherent);
	vgpu_backend_cuda.fini();
	free(arena);
	free(coherent);

	double served = server_gflops(n, reps < 3 ? reps : 3);
	printf("%-34s %12.0f  (%.3fx)\n", "through aivisor's server, coherent", served,
	       served / direct);
	printf("BENCH cuda_sgemm_n%d_server_coherent %.0f GFLOP/s baseline=%.0f ratio=%.3f\n", n,
	       served, direct, served / direct);
	return served > 0.0 ? 0 : 1;
}
