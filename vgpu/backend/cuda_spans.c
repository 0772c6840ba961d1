/*
 * cuda_spans.c - the bytes each opcode reads and writes (see cuda_spans.h).
 */
#include "cuda_spans.h"

#define F 4ull /* bytes per fp32 / int32 element */

struct list {
	struct cuda_xfer *s;
	int n;
};

static void add(struct list *l, uint64_t off, uint64_t bytes, int out)
{
	if (off == VGPU_NO_OFF || bytes == 0)
		return;
	l->s[l->n++] = (struct cuda_xfer){ off, bytes, out, 0 };
}

/* An input every row band reads in full. */
static void add_whole(struct list *l, uint64_t off, uint64_t bytes)
{
	int n = l->n;
	add(l, off, bytes, 0);
	if (l->n > n)
		l->s[n].whole = 1;
}

/* rows x cols elements of esz bytes, rows ld elements apart. */
static uint64_t mat_bytes(uint64_t rows, uint64_t cols, uint64_t ld, uint64_t esz)
{
	return rows ? ((rows - 1) * ld + cols) * esz : 0;
}

static void gemm(struct list *l, const struct vgpu_cmd *c, uint32_t rb, uint32_t re)
{
	const struct vgpu_op_gemm *g = &c->u.gemm;
	if (re > g->m)
		re = g->m;
	if (rb >= re)
		return;
	uint64_t rows = re - rb;
	if (c->arg & VGPU_GEMM_TRANS_A) /* A is k x m: columns rb..re of every row */
		add(l, g->a + rb * F, mat_bytes(g->k, rows, g->lda, F), 0);
	else
		add(l, g->a + rb * g->lda * F, mat_bytes(rows, g->k, g->lda, F), 0);
	if (c->arg & VGPU_GEMM_TRANS_B)
		add_whole(l, g->b, mat_bytes(g->n, g->k, g->ldb, F));
	else
		add_whole(l, g->b, mat_bytes(g->k, g->n, g->ldb, F));
	add(l, g->c + rb * g->ldc * F, mat_bytes(rows, g->n, g->ldc, F), 1);
}

static void gemm_i8(struct list *l, const struct vgpu_cmd *c, uint32_t rb, uint32_t re)
{
	const struct vgpu_op_gemm_i8 *g = &c->u.gemm_i8;
	if (re > g->m)
		re = g->m;
	if (rb >= re)
		return;
	add(l, g->a + (uint64_t)rb * g->k, (uint64_t)(re - rb) * g->k, 0);
	add_whole(l, g->b, (uint64_t)g->k * g->n);
	add_whole(l, g->scales, 2 * F);
	if (g->bias != VGPU_NO_OFF)
		add_whole(l, g->bias, g->n * F);
	add(l, g->c + (uint64_t)rb * g->n * F, (uint64_t)(re - rb) * g->n * F, 1);
}

int cuda_spans(const struct vgpu_cmd *c, uint32_t rb, uint32_t re,
	       struct cuda_xfer s[CUDA_SPANS_MAX])
{
	struct list l = { s, 0 };

	switch (c->opcode) {
	case VGPU_OP_FILL: add(&l, c->u.fill.dst, c->u.fill.count * F, 1); break;
	case VGPU_OP_COPY:
		add(&l, c->u.copy.src, c->u.copy.bytes, 0);
		add(&l, c->u.copy.dst, c->u.copy.bytes, 1);
		break;
	case VGPU_OP_GEMM: gemm(&l, c, rb, re); break;
	case VGPU_OP_GEMM_I8: gemm_i8(&l, c, rb, re); break;
	case VGPU_OP_BIAS_ADD:
		add(&l, c->u.bias_add.bias, c->u.bias_add.cols * F, 0);
		add(&l, c->u.bias_add.x, (uint64_t)c->u.bias_add.rows * c->u.bias_add.cols * F, 1);
		break;
	case VGPU_OP_BIAS_GRAD:
		add(&l, c->u.bias_grad.dy, (uint64_t)c->u.bias_grad.rows * c->u.bias_grad.cols * F, 0);
		add(&l, c->u.bias_grad.db, c->u.bias_grad.cols * F, 1);
		break;
	case VGPU_OP_ACT_FWD:
		add(&l, c->u.act.src, c->u.act.count * F, 0);
		add(&l, c->u.act.dst, c->u.act.count * F, 1);
		break;
	case VGPU_OP_ACT_BWD:
		add(&l, c->u.act_bwd.y, c->u.act_bwd.count * F, 0);
		add(&l, c->u.act_bwd.dy, c->u.act_bwd.count * F, 0);
		add(&l, c->u.act_bwd.dx, c->u.act_bwd.count * F, 1);
		break;
	case VGPU_OP_SOFTMAX: {
		uint64_t n = (uint64_t)c->u.softmax.rows * c->u.softmax.cols * F;
		add(&l, c->u.softmax.src, n, 0);
		add(&l, c->u.softmax.dst, n, 1);
		break;
	}
	case VGPU_OP_SOFTMAX_XENT: {
		uint64_t n = (uint64_t)c->u.xent.rows * c->u.xent.cols * F;
		add(&l, c->u.xent.logits, n, 0);
		add(&l, c->u.xent.labels, c->u.xent.rows * F, 0);
		add(&l, c->u.xent.loss, F, 1);
		add(&l, c->u.xent.dlogits, n, 1);
		break;
	}
	case VGPU_OP_MSE:
		add(&l, c->u.mse.pred, c->u.mse.count * F, 0);
		add(&l, c->u.mse.target, c->u.mse.count * F, 0);
		add(&l, c->u.mse.loss, F, 1);
		add(&l, c->u.mse.grad, c->u.mse.count * F, 1);
		break;
	case VGPU_OP_ADD:
	case VGPU_OP_MUL:
		add(&l, c->u.binary.a, c->u.binary.count * F, 0);
		add(&l, c->u.binary.b, c->u.binary.count * F, 0);
		add(&l, c->u.binary.dst, c->u.binary.count * F, 1);
		break;
	case VGPU_OP_SCALE:
		add(&l, c->u.scale.src, c->u.scale.count * F, 0);
		add(&l, c->u.scale.dst, c->u.scale.count * F, 1);
		break;
	case VGPU_OP_AXPY:
		add(&l, c->u.axpy.x, c->u.axpy.count * F, 0);
		add(&l, c->u.axpy.y, c->u.axpy.count * F, 1);
		break;
	case VGPU_OP_ARGMAX_ROWS:
		add(&l, c->u.argmax.src, (uint64_t)c->u.argmax.rows * c->u.argmax.cols * F, 0);
		add(&l, c->u.argmax.dst, c->u.argmax.rows * F, 1);
		break;
	case VGPU_OP_COUNT_EQ:
		add(&l, c->u.count_eq.a, c->u.count_eq.count * F, 0);
		add(&l, c->u.count_eq.b, c->u.count_eq.count * F, 0);
		add(&l, c->u.count_eq.dst, F, 1);
		break;
	case VGPU_OP_SUM:
		add(&l, c->u.sum.src, c->u.sum.count * F, 0);
		add(&l, c->u.sum.dst, F, 1);
		break;
	case VGPU_OP_SGD:
		add(&l, c->u.sgd.grad, c->u.sgd.count * F, 0);
		add(&l, c->u.sgd.param, c->u.sgd.count * F, 1);
		break;
	case VGPU_OP_SGD_MOMENTUM:
		add(&l, c->u.sgd_momentum.grad, c->u.sgd_momentum.count * F, 0);
		add(&l, c->u.sgd_momentum.param, c->u.sgd_momentum.count * F, 1);
		add(&l, c->u.sgd_momentum.velocity, c->u.sgd_momentum.count * F, 1);
		break;
	case VGPU_OP_ADAM:
		add(&l, c->u.adam.grad, c->u.adam.count * F, 0);
		add(&l, c->u.adam.hyper, sizeof(struct vgpu_adam_hyper), 0);
		add(&l, c->u.adam.param, c->u.adam.count * F, 1);
		add(&l, c->u.adam.m, c->u.adam.count * F, 1);
		add(&l, c->u.adam.v, c->u.adam.count * F, 1);
		break;
	case VGPU_OP_GATHER_ROWS:
		add(&l, c->u.gather.src, (uint64_t)c->u.gather.src_rows * c->u.gather.cols * F, 0);
		add(&l, c->u.gather.idx, c->u.gather.nidx * F, 0);
		add(&l, c->u.gather.dst, (uint64_t)c->u.gather.nidx * c->u.gather.cols * F, 1);
		break;
	case VGPU_OP_QUANTIZE_I8:
		add(&l, c->u.quantize.src, c->u.quantize.count * F, 0);
		add(&l, c->u.quantize.dst, c->u.quantize.count, 1);
		add(&l, c->u.quantize.scale, F, 1);
		break;
	default: /* NOP; GRAPH_RUN never reaches a backend; UPLOAD/DOWNLOAD
		  * are transfers themselves (cuda_run) */
		break;
	}
	return l.n;
}
