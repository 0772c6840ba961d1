/*
 * vgpu_abi.h - the vGPU window ABI, shared by every tenant (microVM guest,
 * host process, QEMU guest) and the vGPU server.  Version 1.
 *
 * A tenant's window is one shared memory object (a sealed memfd):
 *
 *   offset 0                      control page (struct vgpu_ctrl, 4 KiB)
 *   VGPU_SQ_OFFSET                submission ring: sq_entries x 64-byte commands
 *   sq_offset + sq_entries*64     completion ring: cq_entries x 16-byte entries
 *   arena_offset (4 KiB aligned)  the arena, up to the end of the window
 *
 * The window size IS the tenant's device-memory quota: commands name buffers
 * by byte offset inside the arena (never by pointer), and the server checks
 * every offset and length against its own private copy of the geometry taken
 * at attach, so nothing outside the arena can be named.
 *
 * Ring protocol.  All indices are free-running uint32_t; slot = index &
 * (entries - 1).  The tenant writes commands into slots, then publishes them
 * by storing sq_tail (release), then rings the doorbell (a 4-byte store to
 * the doorbell address in a microVM, a write to the doorbell eventfd in a
 * host process) unless the server advertises server_polling.  The server
 * copies each command into private memory before looking at it (no double
 * fetch), advances sq_head when it has taken a command, and sq_done when the
 * command has finished (sq_done is the fence: every command with index <
 * sq_done is complete).  A failed command, or one flagged
 * VGPU_CMD_F_COMPLETE, posts a struct vgpu_cqe to the completion ring.
 *
 * Waiting.  A tenant that wants to block stores the fence value it awaits in
 * wait_seq, sets `waiting` to 1, issues a full memory fence, re-reads sq_done and status, and only then blocks on its
 * completion eventfd (microVM: the AIVISOR_SYS_VGPU_WAIT hypercall).  The
 * server, after publishing sq_done (when sq_done reaches wait_seq or the
 * queue is drained) or a status change, issues a full fence and signals the
 * eventfd when `waiting` is set.  Either side's fence makes
 * the other see its store, so no wake-up is lost.
 *
 * Errors.  Per-command errors (VGPU_E_*) go to the completion ring and are
 * counted in the control page; the command is skipped and sq_done still
 * advances.  Ring corruption (sq_tail more than sq_entries ahead of sq_head)
 * sets status = VGPU_STATUS_ERROR with a reason; the server then executes
 * nothing from this window until the tenant requests a reset.
 *
 * Reset.  The tenant stops submitting, increments reset_request and rings
 * the doorbell.  The server drops everything not yet taken, sets
 * sq_head = sq_done = sq_tail, cq_tail = cq_head, status = OK, and finally
 * copies reset_request into reset_ack.
 *
 * Numbers: fp32 tensors are row-major, 4-byte aligned; int32 the same; int8
 * tensors are byte arrays.  An arena offset of VGPU_NO_OFF marks an optional
 * output as absent.
 */
#ifndef VGPU_ABI_H
#define VGPU_ABI_H

#include <stdint.h>

#define VGPU_MAGIC        0x55504756u /* "VGPU" little-endian */
#define VGPU_ABI_VERSION  1u
#define VGPU_PAGE_SIZE    4096u
#define VGPU_CMD_SIZE     64u
#define VGPU_CQE_SIZE     16u
#define VGPU_SQ_OFFSET    VGPU_PAGE_SIZE
#define VGPU_SQ_MIN       16u
#define VGPU_SQ_MAX       65536u
#define VGPU_SQ_DEFAULT   1024u
#define VGPU_GRAPH_MAX    65536u     /* commands in one recorded graph */
#define VGPU_NO_OFF       UINT64_MAX /* "no buffer" for optional outputs */
#define VGPU_I8_K_MAX     65536u     /* GEMM_I8: k*127*127 fits int32 */

/* Feature bits (ctrl.features), set by whoever initialises the window. */
#define VGPU_FEAT_GRAPH        (1ull << 0) /* GRAPH_RUN */
#define VGPU_FEAT_INT8         (1ull << 1) /* QUANTIZE_I8, GEMM_I8 */
#define VGPU_FEAT_POLL_HINT    (1ull << 2) /* server_polling may be trusted */
#define VGPU_FEATURES_V1 (VGPU_FEAT_GRAPH | VGPU_FEAT_INT8 | VGPU_FEAT_POLL_HINT)

/* ctrl.status */
#define VGPU_STATUS_OK    0u
#define VGPU_STATUS_ERROR 1u /* needs reset; see status_reason */

/* ctrl.status_reason */
#define VGPU_REASON_NONE      0u
#define VGPU_REASON_SQ_JUMP   1u /* sq_tail - sq_head > sq_entries */
#define VGPU_REASON_DETACHED  2u /* the server dropped this tenant */

/* The control page.  Fields are grouped by writer, one cache line each, so
 * the two sides do not false-share.  Access shared fields with atomic loads
 * and stores (__atomic_*); never trust a value written by the other side. */
struct vgpu_ctrl {
	/* Geometry: written once when the window is created, read-only after.
	 * The server validates it at attach and keeps a private copy. */
	uint32_t magic;          /* VGPU_MAGIC */
	uint32_t version;        /* VGPU_ABI_VERSION */
	uint64_t features;       /* VGPU_FEAT_* */
	uint64_t window_size;    /* bytes, multiple of VGPU_PAGE_SIZE */
	uint32_t sq_entries;     /* power of two, VGPU_SQ_MIN..VGPU_SQ_MAX */
	uint32_t cq_entries;     /* power of two, same bounds */
	uint64_t sq_offset;      /* from window start */
	uint64_t cq_offset;
	uint64_t arena_offset;
	uint64_t arena_size;     /* window_size - arena_offset */

	/* Written by the tenant. */
	uint32_t sq_tail __attribute__((aligned(64)));
	uint32_t cq_head;        /* completion entries consumed */
	uint32_t waiting;        /* 1: tenant is (about to be) blocked */
	uint32_t reset_request;  /* increment to ask for a reset */
	uint32_t wait_seq;       /* with waiting: the fence value awaited; the
	                            server also wakes the tenant when sq_done
	                            reaches it (not only when the queue drains) */

	/* Written by the server. */
	uint32_t sq_head __attribute__((aligned(64))); /* commands taken */
	uint32_t sq_done;        /* fence: commands finished */
	uint32_t cq_tail;        /* completion entries posted */
	uint32_t status;         /* VGPU_STATUS_* */
	uint32_t status_reason;  /* VGPU_REASON_* */
	uint32_t reset_ack;      /* last reset_request served */
	uint32_t server_polling; /* 1: server is polling, doorbell optional */
	uint32_t last_error;     /* VGPU_E_* of the latest failed command */
	uint32_t last_error_index; /* its submission index */
	uint32_t pad0;
	uint64_t commands;       /* commands finished (ok or failed) */
	uint64_t errors;         /* commands that failed */
	uint64_t cq_overflows;   /* completion entries dropped: ring was full */
	uint64_t busy_ns;        /* device time charged to this tenant */
};

/* Command opcodes.  fp32 unless noted.  "count" = number of elements. */
enum vgpu_opcode {
	VGPU_OP_NOP = 0,       /* nothing; with F_COMPLETE, a fence marker */
	VGPU_OP_FILL,          /* dst[count] = 32-bit pattern value */
	VGPU_OP_COPY,          /* memmove(dst, src, bytes) inside the arena */
	VGPU_OP_GEMM,          /* C = alpha*op(A)*op(B) + beta*C */
	VGPU_OP_BIAS_ADD,      /* x[rows][cols] += bias[cols] */
	VGPU_OP_BIAS_GRAD,     /* db[cols] = beta*db + sum over rows of dy */
	VGPU_OP_ACT_FWD,       /* dst = f(src); arg = VGPU_ACT_* */
	VGPU_OP_ACT_BWD,       /* dx = dy * f'(from y = f(x)); arg = VGPU_ACT_* */
	VGPU_OP_SOFTMAX,       /* row-wise softmax */
	VGPU_OP_SOFTMAX_XENT,  /* mean cross-entropy of logits vs int32 labels,
	                          dlogits = (softmax - onehot) / rows */
	VGPU_OP_MSE,           /* loss = mean (p-t)^2, grad = 2(p-t)/count */
	VGPU_OP_ADD,           /* dst = a + b */
	VGPU_OP_MUL,           /* dst = a * b */
	VGPU_OP_SCALE,         /* dst = alpha * src */
	VGPU_OP_AXPY,          /* y += alpha * x */
	VGPU_OP_ARGMAX_ROWS,   /* int32 dst[rows] = argmax of each row */
	VGPU_OP_COUNT_EQ,      /* int32 dst = number of i with a[i] == b[i]
	                          (int32 vectors); arg VGPU_ACCUMULATE adds */
	VGPU_OP_SUM,           /* dst = sum(src); arg VGPU_ACCUMULATE, VGPU_MEAN */
	VGPU_OP_SGD,           /* p -= lr * (g + wd * p) */
	VGPU_OP_SGD_MOMENTUM,  /* v = mu*v + g + wd*p; p -= lr * v */
	VGPU_OP_ADAM,          /* Adam with bias correction; hyper in the arena */
	VGPU_OP_GATHER_ROWS,   /* dst[i] = src[idx[i]] (rows of cols floats) */
	VGPU_OP_QUANTIZE_I8,   /* int8 dst = round(src / s), s = absmax/127 ->
	                          *scale (s = 1 when src is all zero) */
	VGPU_OP_GEMM_I8,       /* fp32 C = sa*sb * A8 * op(B8) (+ bias[n]) */
	VGPU_OP_GRAPH_RUN,     /* run count commands stored in the arena */
	/* Explicit transfers: a compatible addition to ABI v1 (appended, so
	 * every earlier opcode keeps its number; an older server answers
	 * VGPU_E_OPCODE).  On a backend whose device memory is the arena
	 * itself (OpenBLAS) both are no-ops that succeed. */
	VGPU_OP_UPLOAD,        /* the arena range's bytes become the device's
	                          copy (struct vgpu_op_xfer) */
	VGPU_OP_DOWNLOAD,      /* the device's copy of the range becomes
	                          visible in the window (struct vgpu_op_xfer) */
	VGPU_OP_COUNT          /* number of opcodes; not an opcode */
};

/* vgpu_cmd.flags */
#define VGPU_CMD_F_COMPLETE     0x01u /* post a completion entry on success */
#define VGPU_CMD_F_CHECK_FINITE 0x02u /* fail with E_NONFINITE if an output
                                         is NaN/Inf (outputs still written) */
#define VGPU_CMD_F_ALL          0x03u

/* vgpu_cmd.arg values */
#define VGPU_GEMM_TRANS_A 0x1u  /* GEMM: use A^T (A stored k x m) */
#define VGPU_GEMM_TRANS_B 0x2u  /* GEMM, GEMM_I8: use B^T (B stored n x k) */
#define VGPU_ACT_RELU     1u
#define VGPU_ACT_SIGMOID  2u
#define VGPU_ACT_TANH     3u
#define VGPU_ACCUMULATE   0x1u  /* SUM, COUNT_EQ: add to dst */
#define VGPU_MEAN         0x2u  /* SUM: divide by count */

/* Per-command error codes (vgpu_cqe.status, ctrl.last_error). */
enum vgpu_error {
	VGPU_OK = 0,
	VGPU_E_OPCODE,     /* unknown opcode, or flags/arg bits not defined */
	VGPU_E_RANGE,      /* a buffer lies (partly) outside the arena */
	VGPU_E_OVERFLOW,   /* a size computation overflows 64 bits */
	VGPU_E_ALIAS,      /* outputs overlap inputs where that is undefined */
	VGPU_E_ARG,        /* bad dimension, leading dimension, alignment, step */
	VGPU_E_INDEX,      /* a label or gather index is out of range */
	VGPU_E_GRAPH,      /* graph too long, nested GRAPH_RUN */
	VGPU_E_NONFINITE,  /* a checked output is NaN or infinite */
	VGPU_E_BACKEND,    /* the backend failed (out of host memory, ...) */
	VGPU_E_COUNT
};

struct vgpu_op_fill  { uint64_t dst, count; uint32_t value; };
struct vgpu_op_copy  { uint64_t dst, src, bytes; };
struct vgpu_op_gemm  {
	uint64_t a, b, c;
	uint32_t m, n, k;        /* C is m x n, op(A) m x k, op(B) k x n */
	uint32_t lda, ldb, ldc;  /* row strides in elements */
	float alpha, beta;
};
struct vgpu_op_bias_add  { uint64_t x, bias; uint32_t rows, cols; };
struct vgpu_op_bias_grad { uint64_t dy, db; uint32_t rows, cols; float beta; };
struct vgpu_op_act       { uint64_t src, dst, count; };
struct vgpu_op_act_bwd   { uint64_t y, dy, dx, count; };
struct vgpu_op_softmax   { uint64_t src, dst; uint32_t rows, cols; };
struct vgpu_op_xent {
	uint64_t logits, labels, loss, dlogits; /* dlogits may be VGPU_NO_OFF */
	uint32_t rows, cols;
};
struct vgpu_op_mse   { uint64_t pred, target, loss, grad, count; } ;
struct vgpu_op_binary { uint64_t a, b, dst, count; };          /* ADD, MUL */
struct vgpu_op_scale { uint64_t src, dst, count; float alpha; };
struct vgpu_op_axpy  { uint64_t x, y, count; float alpha; };
struct vgpu_op_argmax { uint64_t src, dst; uint32_t rows, cols; };
struct vgpu_op_count_eq { uint64_t a, b, dst, count; };
struct vgpu_op_sum   { uint64_t src, dst, count; };
struct vgpu_op_sgd   { uint64_t param, grad, count; float lr, weight_decay; };
struct vgpu_op_sgd_momentum {
	uint64_t param, grad, velocity, count;
	float lr, momentum, weight_decay;
};
/* Adam hyper-parameters live in the arena so that a recorded graph picks up
 * a new step (and learning rate) each time the tenant rewrites them. */
struct vgpu_adam_hyper {
	float lr, beta1, beta2, eps, weight_decay;
	uint32_t step;           /* >= 1; bias correction uses beta^step */
};
struct vgpu_op_adam { uint64_t param, grad, m, v, hyper, count; };
struct vgpu_op_gather {
	uint64_t src, idx, dst;  /* idx: int32[nidx], each in [0, src_rows) */
	uint32_t nidx, cols, src_rows;
};
struct vgpu_op_quantize { uint64_t src, dst, scale, count; };
struct vgpu_op_gemm_i8 {
	uint64_t a, b, c;        /* A int8 m x k, B int8 k x n (n x k with
	                            TRANS_B), C fp32 m x n, all contiguous */
	uint64_t scales;         /* two floats: scale of A, scale of B */
	uint64_t bias;           /* fp32[n] or VGPU_NO_OFF */
	uint32_t m, n, k;
};
struct vgpu_op_graph { uint64_t cmds; uint32_t count; };
struct vgpu_op_xfer  { uint64_t off, bytes; };           /* UPLOAD, DOWNLOAD */

/* One submission: 64 bytes. */
struct vgpu_cmd {
	uint8_t  opcode;         /* enum vgpu_opcode */
	uint8_t  flags;          /* VGPU_CMD_F_* */
	uint16_t arg;            /* opcode-specific (VGPU_GEMM_*, VGPU_ACT_*) */
	uint32_t tag;            /* free for the tenant; echoed in the cqe */
	union {
		uint8_t raw[56];
		struct vgpu_op_fill fill;
		struct vgpu_op_copy copy;
		struct vgpu_op_gemm gemm;
		struct vgpu_op_bias_add bias_add;
		struct vgpu_op_bias_grad bias_grad;
		struct vgpu_op_act act;
		struct vgpu_op_act_bwd act_bwd;
		struct vgpu_op_softmax softmax;
		struct vgpu_op_xent xent;
		struct vgpu_op_mse mse;
		struct vgpu_op_binary binary;
		struct vgpu_op_scale scale;
		struct vgpu_op_axpy axpy;
		struct vgpu_op_argmax argmax;
		struct vgpu_op_count_eq count_eq;
		struct vgpu_op_sum sum;
		struct vgpu_op_sgd sgd;
		struct vgpu_op_sgd_momentum sgd_momentum;
		struct vgpu_op_adam adam;
		struct vgpu_op_gather gather;
		struct vgpu_op_quantize quantize;
		struct vgpu_op_gemm_i8 gemm_i8;
		struct vgpu_op_graph graph;
		struct vgpu_op_xfer xfer;
	} u;
};

/* One completion: 16 bytes. */
struct vgpu_cqe {
	uint32_t index;          /* submission index of the command */
	uint32_t tag;            /* the command's tag */
	uint16_t status;         /* enum vgpu_error */
	uint8_t  opcode;         /* the failing command's opcode */
	uint8_t  reserved;
	uint32_t graph_pos;      /* inside a GRAPH_RUN: 1-based position of the
	                            failing command in the graph; else 0 */
};

_Static_assert(sizeof(struct vgpu_cmd) == VGPU_CMD_SIZE, "command is 64 bytes");
_Static_assert(sizeof(struct vgpu_cqe) == VGPU_CQE_SIZE, "cqe is 16 bytes");
_Static_assert(sizeof(struct vgpu_ctrl) <= VGPU_PAGE_SIZE, "ctrl fits a page");
_Static_assert(sizeof(struct vgpu_adam_hyper) == 24, "adam hyper is 24 bytes");

/* The window layout both sides derive from (window_size, sq_entries,
 * cq_entries).  Returns 0 and fills the offsets, or -1 when the geometry is
 * invalid (entries not a power of two or out of bounds, window not page
 * aligned, or no room for at least one arena page). */
struct vgpu_layout {
	uint64_t window_size, sq_offset, cq_offset, arena_offset, arena_size;
	uint32_t sq_entries, cq_entries;
};

static inline int vgpu_layout_compute(uint64_t window_size, uint32_t sq_entries,
				      uint32_t cq_entries, struct vgpu_layout *l)
{
	if (sq_entries < VGPU_SQ_MIN || sq_entries > VGPU_SQ_MAX ||
	    (sq_entries & (sq_entries - 1)) != 0)
		return -1;
	if (cq_entries < VGPU_SQ_MIN || cq_entries > VGPU_SQ_MAX ||
	    (cq_entries & (cq_entries - 1)) != 0)
		return -1;
	if (window_size % VGPU_PAGE_SIZE != 0)
		return -1;
	uint64_t cq_off = VGPU_SQ_OFFSET + (uint64_t)sq_entries * VGPU_CMD_SIZE;
	uint64_t end = cq_off + (uint64_t)cq_entries * VGPU_CQE_SIZE;
	uint64_t arena = (end + VGPU_PAGE_SIZE - 1) / VGPU_PAGE_SIZE * VGPU_PAGE_SIZE;
	if (window_size < arena + VGPU_PAGE_SIZE)
		return -1;
	l->window_size = window_size;
	l->sq_entries = sq_entries;
	l->cq_entries = cq_entries;
	l->sq_offset = VGPU_SQ_OFFSET;
	l->cq_offset = cq_off;
	l->arena_offset = arena;
	l->arena_size = window_size - arena;
	return 0;
}

#endif
