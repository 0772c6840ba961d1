/*
 * ivshmem-probe: a small static program for the QEMU guest image that
 * drives the vGPU window through the ivshmem device with the raw ring
 * protocol of vgpu_abi.h (no client library), for the benchmark and for
 * the hostile-guest tests:
 *
 *   ivshmem-probe info                 geometry of the window
 *   ivshmem-probe sgemm N ITERS        C = A*B, ITERS times, one doorbell;
 *                                      prints GFLOP/s and checks C
 *   ivshmem-probe hostile ROUNDS       garbage commands, a corrupt ring
 *                                      index and a doorbell flood, then
 *                                      reset and check that a real GEMM
 *                                      still computes the right result
 *
 * Several commands may follow one another in one invocation
 * (`hostile 1 sgemm 1024 400`); they run in order and stop at the first
 * failure.
 * The device is $AIVISOR_VGPU (ivshmem:<sysfs-dir>) or found by PCI id.
 * Exit status 0 only when every check passed.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_ivshmem.h"
#include "vgpu_abi.h"

#define WAIT_NS (120ll * 1000000000ll)   /* TCG guests are slow: be patient */

struct probe {
	struct ivshmem_client dev;
	struct vgpu_ctrl *ctrl;
	struct vgpu_layout lay;
	struct vgpu_cmd *sq;
	uint8_t *arena;
	uint32_t tail;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int probe_open(struct probe *p)
{
	char err[256];
	const char *spec = getenv("AIVISOR_VGPU");
	const char *dir = NULL;
	if (spec && !strncmp(spec, "ivshmem:", 8))
		dir = spec + 8;
	if (ivshmem_client_open(dir, NULL, &p->dev, err, sizeof err)) {
		fprintf(stderr, "ivshmem-probe: %s\n", err);
		return -1;
	}
	p->ctrl = p->dev.window;
	/* The window's geometry comes from the host: check it against the BAR
	 * before using any offset from it. */
	uint64_t size = p->ctrl->window_size;
	if (p->ctrl->magic != VGPU_MAGIC || p->ctrl->version != VGPU_ABI_VERSION ||
	    size > p->dev.window_size ||
	    vgpu_layout_compute(size, p->ctrl->sq_entries, p->ctrl->cq_entries, &p->lay)) {
		fprintf(stderr, "ivshmem-probe: the shared memory holds no valid vGPU window\n");
		return -1;
	}
	p->sq = (struct vgpu_cmd *)((uint8_t *)p->dev.window + p->lay.sq_offset);
	p->arena = (uint8_t *)p->dev.window + p->lay.arena_offset;
	p->tail = __atomic_load_n(&p->ctrl->sq_tail, __ATOMIC_ACQUIRE);
	return 0;
}

/* Queues one command; the ring has room because every batch is waited for. */
static void push(struct probe *p, const struct vgpu_cmd *c)
{
	p->sq[p->tail & (p->lay.sq_entries - 1)] = *c;
	p->tail++;
}

static void submit(struct probe *p)
{
	__atomic_store_n(&p->ctrl->sq_tail, p->tail, __ATOMIC_RELEASE);
	ivshmem_client_ring(&p->dev);
}

struct fence_arg {
	struct probe *p;
	uint32_t seq;
};

static bool fence_done(void *arg)
{
	struct fence_arg *f = arg;
	return (int32_t)(__atomic_load_n(&f->p->ctrl->sq_done, __ATOMIC_ACQUIRE) - f->seq) >= 0 ||
	       __atomic_load_n(&f->p->ctrl->status, __ATOMIC_ACQUIRE) != VGPU_STATUS_OK;
}

static int wait_all(struct probe *p)
{
	struct fence_arg f = { p, p->tail };
	if (ivshmem_client_wait(fence_done, &f, 20000, 0, WAIT_NS)) {
		fprintf(stderr, "ivshmem-probe: no completion within %lld s\n", WAIT_NS / 1000000000);
		return -1;
	}
	if (p->ctrl->status != VGPU_STATUS_OK) {
		fprintf(stderr, "ivshmem-probe: window in ERROR state (reason %u)\n",
			p->ctrl->status_reason);
		return -1;
	}
	return 0;
}

static struct vgpu_cmd gemm_cmd(uint32_t n, uint64_t a, uint64_t b, uint64_t c)
{
	struct vgpu_cmd cmd = { .opcode = VGPU_OP_GEMM };
	cmd.u.gemm = (struct vgpu_op_gemm){ .a = a, .b = b, .c = c, .m = n, .n = n, .k = n,
					    .lda = n, .ldb = n, .ldc = n,
					    .alpha = 1.0f, .beta = 0.0f };
	return cmd;
}

/* A[i][k] and B[k][j] small integers-ish so the float result is exact
 * enough to check against a double dot product. */
static float a_at(uint32_t i, uint32_t k) { return (float)((i * 7 + k * 3) % 11) - 5.0f; }
static float b_at(uint32_t k, uint32_t j) { return (float)((k * 5 + j * 2) % 13) - 6.0f; }

static int check_gemm(struct probe *p, uint32_t n, uint64_t c)
{
	const float *cm = (const float *)(p->arena + c);
	uint32_t probes[][2] = { { 0, 0 }, { n - 1, n - 1 }, { n / 2, n / 3 }, { 1, n - 2 } };
	for (size_t t = 0; t < sizeof probes / sizeof probes[0]; t++) {
		uint32_t i = probes[t][0], j = probes[t][1];
		double want = 0;
		for (uint32_t k = 0; k < n; k++)
			want += (double)a_at(i, k) * b_at(k, j);
		double got = cm[(uint64_t)i * n + j];
		if (fabs(got - want) > 1e-3 * (fabs(want) + 1)) {
			fprintf(stderr, "ivshmem-probe: C[%u][%u] = %g, want %g\n", i, j, got, want);
			return -1;
		}
	}
	return 0;
}

/* Lays out A, B, C at the arena's start; returns -1 when they do not fit. */
static int setup_gemm(struct probe *p, uint32_t n, uint64_t *a, uint64_t *b, uint64_t *c)
{
	uint64_t bytes = (uint64_t)n * n * sizeof(float);
	if (n == 0 || n > 16384 || 3 * bytes > p->lay.arena_size) {
		fprintf(stderr, "ivshmem-probe: %u x %u GEMM needs %llu bytes, arena has %llu\n", n, n,
			(unsigned long long)(3 * bytes), (unsigned long long)p->lay.arena_size);
		return -1;
	}
	*a = 0, *b = bytes, *c = 2 * bytes;
	float *am = (float *)(p->arena + *a), *bm = (float *)(p->arena + *b);
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < n; k++) {
			am[(uint64_t)i * n + k] = a_at(i, k);
			bm[(uint64_t)i * n + k] = b_at(i, k);
		}
	return 0;
}

static int cmd_sgemm(struct probe *p, uint32_t n, uint32_t iters)
{
	uint64_t a, b, c;
	if (setup_gemm(p, n, &a, &b, &c))
		return -1;
	if (iters == 0 || iters >= p->lay.sq_entries) {
		fprintf(stderr, "ivshmem-probe: iterations must be 1..%u\n", p->lay.sq_entries - 1);
		return -1;
	}
	/* One warm-up command, so the backend's first-call costs are not timed. */
	struct vgpu_cmd cmd = gemm_cmd(n, a, b, c);
	push(p, &cmd);
	submit(p);
	if (wait_all(p))
		return -1;
	printf("sgemm n=%u: warm, timing %u\n", n, iters);
	fflush(stdout);
	uint64_t errors0 = p->ctrl->errors;
	double t0 = now_s();
	for (uint32_t i = 0; i < iters; i++)
		push(p, &cmd);
	submit(p);
	if (wait_all(p))
		return -1;
	double dt = now_s() - t0;
	if (p->ctrl->errors != errors0) {
		fprintf(stderr, "ivshmem-probe: the server failed %llu GEMMs (last error %u)\n",
			(unsigned long long)(p->ctrl->errors - errors0), p->ctrl->last_error);
		return -1;
	}
	if (check_gemm(p, n, c))
		return -1;
	printf("sgemm n=%u iters=%u seconds=%.4f gflops=%.2f\n", n, iters, dt,
	       2.0 * n * n * (double)n * iters / dt / 1e9);
	return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int reset_window(struct probe *p)
{
	uint32_t want = p->ctrl->reset_request + 1;
	__atomic_store_n(&p->ctrl->reset_request, want, __ATOMIC_RELEASE);
	ivshmem_client_ring(&p->dev);
	double t0 = now_s();
	while (__atomic_load_n(&p->ctrl->reset_ack, __ATOMIC_ACQUIRE) != want) {
		if (now_s() - t0 > WAIT_NS / 1e9) {
			fprintf(stderr, "ivshmem-probe: reset not acknowledged\n");
			return -1;
		}
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
		ivshmem_client_ring(&p->dev);
	}
	p->tail = __atomic_load_n(&p->ctrl->sq_tail, __ATOMIC_ACQUIRE);
	return 0;
}

static int cmd_hostile(struct probe *p, uint32_t rounds)
{
	for (uint32_t r = 0; r < rounds; r++) {
		/* A ring full of random commands: random opcodes, offsets, sizes. */
		for (uint32_t i = 0; i + 1 < p->lay.sq_entries; i++) {
			struct vgpu_cmd c;
			for (size_t w = 0; w < sizeof c / 8; w++) {
				uint64_t v = rnd();
				memcpy((uint8_t *)&c + w * 8, &v, 8);
			}
			c.opcode %= VGPU_OP_COUNT + 2;
			push(p, &c);
		}
		submit(p);
		for (int i = 0; i < 20000; i++)   /* doorbell flood */
			ivshmem_client_ring(&p->dev);
		if (wait_all(p))
			return -1;
		/* A ring index far past the head: the server must refuse the
		 * window (ERROR), not walk off the ring. */
		__atomic_store_n(&p->ctrl->sq_tail, p->tail + 3 * p->lay.sq_entries + 5,
				 __ATOMIC_RELEASE);
		ivshmem_client_ring(&p->dev);
		double t0 = now_s();
		while (p->ctrl->status == VGPU_STATUS_OK && now_s() - t0 < 30) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		if (p->ctrl->status != VGPU_STATUS_ERROR) {
			fprintf(stderr, "ivshmem-probe: corrupt sq_tail did not put the window in ERROR\n");
			return -1;
		}
		if (reset_window(p))
			return -1;
	}
	printf("hostile: %u rounds, server errors counted %llu, status ok after reset\n", rounds,
	       (unsigned long long)p->ctrl->errors);
	/* And the window still computes correctly. */
	return cmd_sgemm(p, 64, 2);
}

static const char usage[] = "usage: ivshmem-probe CMD...  with CMD: info | sgemm N ITERS | hostile ROUNDS\n";

int main(int argc, char **argv)
{
	struct probe p = { 0 };
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (probe_open(&p))
		return 1;
	int rc = 0;
	for (int i = 1; i < argc && rc == 0;) {
		if (!strcmp(argv[i], "info")) {
			printf("window %llu bytes (BAR %llu), sq %u, arena %llu bytes, device %s\n",
			       (unsigned long long)p.lay.window_size,
			       (unsigned long long)p.dev.window_size, p.lay.sq_entries,
			       (unsigned long long)p.lay.arena_size, p.dev.dir);
			i += 1;
		} else if (!strcmp(argv[i], "sgemm") && i + 2 < argc) {
			rc = cmd_sgemm(&p, (uint32_t)strtoul(argv[i + 1], NULL, 10),
				       (uint32_t)strtoul(argv[i + 2], NULL, 10));
			i += 3;
		} else if (!strcmp(argv[i], "hostile") && i + 1 < argc) {
			rc = cmd_hostile(&p, (uint32_t)strtoul(argv[i + 1], NULL, 10));
			i += 2;
		} else {
			fprintf(stderr, "ivshmem-probe: bad command at '%s'\n%s", argv[i], usage);
			rc = -1;
		}
	}
	ivshmem_client_close(&p.dev);
	return rc ? 1 : 0;
}
