/*
 * vgpu_attacker: a hostile microVM tenant.  It attacks its vGPU window with
 * every kind of malformed command, jumps the ring indices, floods the
 * doorbell and tries to reach outside its arena.  Each attack must be
 * refused with the right error, and the window must recover after a reset.
 * Prints "refused NAME" per attack; exits 0 only if every check held.
 * With argument `forever`, keeps attacking until killed (neighbour tests).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aivisor_guest.h"
#include "vgpu_abi.h"
#include "vgpu_client.h"

static int failures;

static int last_error_of(struct vgpu *g, unsigned *code)
{
	struct vgpu_cqe e;
	int found = 0;
	while (vgpu_next_error(g, &e) > 0) {
		*code = e.status;
		found = 1;
	}
	return found;
}

/* Submits one raw command and checks it fails with want. */
static void expect_refused(struct vgpu *g, const char *name, const struct vgpu_cmd *c, unsigned want)
{
	int rc = vgpu_push(g, c);
	if (rc == 0)
		rc = vgpu_submit(g);
	if (rc == 0)
		rc = vgpu_sync(g);
	unsigned code = 0;
	int got = last_error_of(g, &code);
	if (rc == 0 || !got || code != want) {
		printf("NOT refused %s: rc=%d error=%u (want %u: %s)\n", name, rc, got ? code : 0, want,
		       vgpu_strerror(want));
		failures++;
	} else {
		printf("refused %s: %s\n", name, vgpu_strerror(code));
	}
}

static struct vgpu_cmd cmd(uint8_t op)
{
	struct vgpu_cmd c;
	memset(&c, 0, sizeof(c));
	c.opcode = op;
	return c;
}

static void attack_commands(struct vgpu *g, uint64_t arena)
{
	struct vgpu_cmd c = cmd(250);
	expect_refused(g, "unknown-opcode", &c, VGPU_E_OPCODE);

	c = cmd(VGPU_OP_NOP);
	c.flags = 0x80;
	expect_refused(g, "undefined-flag-bits", &c, VGPU_E_OPCODE);

	c = cmd(VGPU_OP_FILL);
	c.u.fill.dst = arena - 8;
	c.u.fill.count = 16;
	expect_refused(g, "fill-past-arena-end", &c, VGPU_E_RANGE);

	c = cmd(VGPU_OP_COPY);
	c.u.copy.dst = 0;
	c.u.copy.src = 4096;
	c.u.copy.bytes = UINT64_MAX - 100;
	expect_refused(g, "copy-length-wraps", &c, VGPU_E_RANGE);

	c = cmd(VGPU_OP_COPY);
	c.u.copy.dst = UINT64_MAX - 10;
	c.u.copy.src = 0;
	c.u.copy.bytes = 64;
	expect_refused(g, "copy-offset-wraps", &c, VGPU_E_RANGE);

	c = cmd(VGPU_OP_FILL);
	c.u.fill.dst = 0;
	c.u.fill.count = UINT64_MAX / 2; /* count * 4 overflows 64 bits */
	expect_refused(g, "fill-size-overflow", &c, VGPU_E_OVERFLOW);

	c = cmd(VGPU_OP_GEMM);
	c.u.gemm.m = c.u.gemm.n = c.u.gemm.k = 0x80000000u;
	c.u.gemm.lda = c.u.gemm.ldb = c.u.gemm.ldc = 0x80000000u;
	expect_refused(g, "gemm-huge-dims", &c, VGPU_E_ARG);

	c = cmd(VGPU_OP_GEMM);
	c.u.gemm.m = c.u.gemm.n = c.u.gemm.k = 8;
	c.u.gemm.lda = 4; /* smaller than k */
	c.u.gemm.ldb = c.u.gemm.ldc = 8;
	c.u.gemm.b = 1024;
	c.u.gemm.c = 2048;
	expect_refused(g, "gemm-bad-leading-dim", &c, VGPU_E_ARG);

	c = cmd(VGPU_OP_GEMM);
	c.u.gemm.m = c.u.gemm.n = c.u.gemm.k = 64;
	c.u.gemm.lda = c.u.gemm.ldb = c.u.gemm.ldc = 64;
	c.u.gemm.a = 0;
	c.u.gemm.b = 0;
	c.u.gemm.c = 0; /* C overlaps A and B */
	c.u.gemm.beta = 1.0f;
	expect_refused(g, "gemm-output-aliases-input", &c, VGPU_E_ALIAS);

	c = cmd(VGPU_OP_GATHER_ROWS);
	uint64_t idx;
	if (vgpu_alloc(g, 64, &idx) == 0) {
		int32_t *p = vgpu_ptr(g, idx);
		p[0] = 1 << 30; /* far past src_rows */
		c.u.gather.src = 4096;
		c.u.gather.idx = idx;
		c.u.gather.dst = 8192;
		c.u.gather.nidx = 1;
		c.u.gather.cols = 4;
		c.u.gather.src_rows = 2;
		expect_refused(g, "gather-index-out-of-range", &c, VGPU_E_INDEX);
		vgpu_free(g, idx);
	}

	c = cmd(VGPU_OP_GRAPH_RUN);
	c.u.graph.cmds = arena - 64;
	c.u.graph.count = 1000;
	expect_refused(g, "graph-outside-arena", &c, VGPU_E_RANGE);

	/* A graph that runs itself: nesting must be refused, not recursed. */
	uint64_t gcmd;
	if (vgpu_alloc(g, sizeof(struct vgpu_cmd), &gcmd) == 0) {
		struct vgpu_cmd *inner = vgpu_ptr(g, gcmd);
		*inner = cmd(VGPU_OP_GRAPH_RUN);
		inner->u.graph.cmds = gcmd;
		inner->u.graph.count = 1;
		c = cmd(VGPU_OP_GRAPH_RUN);
		c.u.graph.cmds = gcmd;
		c.u.graph.count = 1;
		expect_refused(g, "graph-runs-itself", &c, VGPU_E_GRAPH);
		vgpu_free(g, gcmd);
	}
}

/* Moves sq_tail far past the head: the window must go to ERROR, and a
 * reset must bring it back to a working state. */
static void attack_ring(struct vgpu *g, uint64_t doorbell)
{
	struct vgpu_ctrl *ctrl = (struct vgpu_ctrl *)vgpu_ctrl(g);
	uint32_t head = __atomic_load_n(&ctrl->sq_head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&ctrl->sq_tail, head + ctrl->sq_entries * 3u, __ATOMIC_RELEASE);
	*(volatile uint32_t *)(uintptr_t)doorbell = 1;
	for (int i = 0; i < 2000000 && __atomic_load_n(&ctrl->status, __ATOMIC_ACQUIRE) != VGPU_STATUS_ERROR; i++)
		__builtin_ia32_pause();
	if (ctrl->status != VGPU_STATUS_ERROR || ctrl->status_reason != VGPU_REASON_SQ_JUMP) {
		printf("NOT refused ring-index-jump: status %u reason %u\n", ctrl->status, ctrl->status_reason);
		failures++;
		return;
	}
	printf("refused ring-index-jump: window in error state\n");
	/* The reset alone must recover: the client takes its indices from the
	 * server's post-reset head, whatever the tail was left at. */
	int rc = vgpu_reset(g);
	if (rc) {
		printf("reset failed: %d\n", rc);
		failures++;
		return;
	}
	/* After the reset a valid command works again. */
	uint64_t buf;
	if (vgpu_alloc(g, 64 * sizeof(float), &buf) || vgpu_fill(g, buf, 64, 3.14159274f) || vgpu_submit(g) ||
	    vgpu_sync(g) || ((float *)vgpu_ptr(g, buf))[63] != 3.14159274f) {
		printf("window did not recover after reset\n");
		failures++;
		return;
	}
	vgpu_free(g, buf);
	printf("recovered after reset\n");
}

static void flood_doorbell(uint64_t doorbell, long n)
{
	for (long i = 0; i < n; i++)
		*(volatile uint32_t *)(uintptr_t)doorbell = (uint32_t)i;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *spec = getenv(AIVISOR_VGPU_ENV);
	unsigned long long win = 0, size = 0, doorbell = 0;
	if (!spec || sscanf(spec, "mvm:%llx:%llx:%llx", &win, &size, &doorbell) != 3) {
		fprintf(stderr, "vgpu_attacker: needs a microVM vGPU (%s=%s)\n", AIVISOR_VGPU_ENV, spec ? spec : "");
		return 2;
	}
	struct vgpu *g;
	char err[256];
	if (vgpu_open(NULL, &g, err, sizeof(err))) {
		fprintf(stderr, "vgpu_attacker: %s\n", err);
		return 2;
	}
	uint64_t arena = vgpu_arena_size(g);
	int forever = argc > 1 && !strcmp(argv[1], "forever");
	do {
		attack_commands(g, arena);
		attack_ring(g, doorbell);
		flood_doorbell(doorbell, forever ? 20000 : 100000);
		printf("refused doorbell-flood: still serving\n");
		fflush(stdout);
	} while (forever && failures == 0);
	vgpu_close(g);
	printf("%d attack(s) not refused\n", failures);
	return failures ? 1 : 0;
}
