/*
 * validate.c - checks every command before the backend sees it.  All size
 * arithmetic is done with overflow checks in 64 bits; buffers are
 * described as byte spans and compared against the private arena size.
 */
#include <stdbool.h>
#include <stdint.h>

#include "validate.h"

struct span {
	uint64_t off, bytes;
};

/* Result of describing a buffer; the first error wins. */
struct check {
	uint64_t arena;
	int err;
};

static void fail(struct check *k, int e)
{
	if (k->err == VGPU_OK)
		k->err = e;
}

/* A buffer of count elements of esz bytes (esz is also its alignment). */
static struct span buf(struct check *k, uint64_t off, uint64_t count, uint64_t esz)
{
	struct span s = { off, 0 };
	if (count == 0) {
		fail(k, VGPU_E_ARG);
		return s;
	}
	if (__builtin_mul_overflow(count, esz, &s.bytes)) {
		fail(k, VGPU_E_OVERFLOW);
		return s;
	}
	if (off > k->arena || s.bytes > k->arena - off)
		fail(k, VGPU_E_RANGE);
	else if (off % esz)
		fail(k, VGPU_E_ARG);
	return s;
}

/* A row-major matrix of rows x cols elements with row stride ld. */
static struct span mat(struct check *k, uint64_t off, uint64_t rows, uint64_t cols,
		       uint64_t ld, uint64_t esz)
{
	uint64_t n;
	if (rows == 0 || cols == 0 || ld < cols) {
		fail(k, VGPU_E_ARG);
		return (struct span){ off, 0 };
	}
	if (__builtin_mul_overflow(rows - 1, ld, &n) || __builtin_add_overflow(n, cols, &n)) {
		fail(k, VGPU_E_OVERFLOW);
		return (struct span){ off, 0 };
	}
	return buf(k, off, n, esz);
}

static uint64_t product(struct check *k, uint64_t a, uint64_t b)
{
	uint64_t r;
	if (__builtin_mul_overflow(a, b, &r)) {
		fail(k, VGPU_E_OVERFLOW);
		return 0;
	}
	return r;
}

static bool overlap(struct span a, struct span b)
{
	return a.off < b.off + b.bytes && b.off < a.off + a.bytes;
}

/* Elementwise: an output may be exactly an input (in place) or disjoint. */
static void same_or_apart(struct check *k, struct span out, struct span in)
{
	if (overlap(out, in) && !(out.off == in.off && out.bytes == in.bytes))
		fail(k, VGPU_E_ALIAS);
}

static void apart(struct check *k, struct span a, struct span b)
{
	if (overlap(a, b))
		fail(k, VGPU_E_ALIAS);
}

static void dims(struct check *k, uint64_t a, uint64_t b, uint64_t c)
{
	/* BLAS takes int dimensions; nothing sensible is bigger. */
	if (a == 0 || b == 0 || c == 0 || a > INT32_MAX || b > INT32_MAX || c > INT32_MAX)
		fail(k, VGPU_E_ARG);
}

static void check_gemm(struct check *k, const struct vgpu_cmd *c)
{
	const struct vgpu_op_gemm *g = &c->u.gemm;
	bool ta = c->arg & VGPU_GEMM_TRANS_A, tb = c->arg & VGPU_GEMM_TRANS_B;
	dims(k, g->m, g->n, g->k);
	if (g->lda > INT32_MAX || g->ldb > INT32_MAX || g->ldc > INT32_MAX)
		fail(k, VGPU_E_ARG);
	if (k->err)
		return;
	struct span a = ta ? mat(k, g->a, g->k, g->m, g->lda, 4) : mat(k, g->a, g->m, g->k, g->lda, 4);
	struct span b = tb ? mat(k, g->b, g->n, g->k, g->ldb, 4) : mat(k, g->b, g->k, g->n, g->ldb, 4);
	struct span cc = mat(k, g->c, g->m, g->n, g->ldc, 4);
	apart(k, cc, a);
	apart(k, cc, b);
}

static void check_gemm_i8(struct check *k, const struct vgpu_cmd *c)
{
	const struct vgpu_op_gemm_i8 *g = &c->u.gemm_i8;
	dims(k, g->m, g->n, g->k);
	if (g->k > VGPU_I8_K_MAX)   /* int32 accumulation must not overflow */
		fail(k, VGPU_E_ARG);
	if (k->err)
		return;
	struct span a = buf(k, g->a, product(k, g->m, g->k), 1);
	struct span b = buf(k, g->b, product(k, g->k, g->n), 1);
	struct span out = buf(k, g->c, product(k, g->m, g->n), 4);
	struct span sc = buf(k, g->scales, 2, 4);
	apart(k, out, a);
	apart(k, out, b);
	apart(k, out, sc);
	if (g->bias != VGPU_NO_OFF)
		apart(k, out, buf(k, g->bias, g->n, 4));
}

static void check_xent(struct check *k, const struct vgpu_op_xent *x)
{
	dims(k, x->rows, x->cols, 1);
	if (k->err)
		return;
	uint64_t n = product(k, x->rows, x->cols);
	struct span lg = buf(k, x->logits, n, 4);
	struct span lb = buf(k, x->labels, x->rows, 4);
	struct span loss = buf(k, x->loss, 1, 4);
	apart(k, loss, lg);
	apart(k, loss, lb);
	if (x->dlogits != VGPU_NO_OFF) {
		struct span d = buf(k, x->dlogits, n, 4);
		same_or_apart(k, d, lg);
		apart(k, d, lb);
		apart(k, d, loss);
	}
}

static void check_mse(struct check *k, const struct vgpu_op_mse *m)
{
	struct span p = buf(k, m->pred, m->count, 4);
	struct span t = buf(k, m->target, m->count, 4);
	struct span loss = buf(k, m->loss, 1, 4);
	apart(k, loss, p);
	apart(k, loss, t);
	if (m->grad != VGPU_NO_OFF) {
		struct span g = buf(k, m->grad, m->count, 4);
		same_or_apart(k, g, p);
		same_or_apart(k, g, t);
		apart(k, g, loss);
	}
}

static void check_adam(struct check *k, const struct vgpu_op_adam *a)
{
	struct span p = buf(k, a->param, a->count, 4);
	struct span g = buf(k, a->grad, a->count, 4);
	struct span m = buf(k, a->m, a->count, 4);
	struct span v = buf(k, a->v, a->count, 4);
	struct span h = buf(k, a->hyper, sizeof(struct vgpu_adam_hyper) / 4, 4);
	same_or_apart(k, p, g);
	apart(k, m, p);
	apart(k, m, g);
	apart(k, v, p);
	apart(k, v, g);
	apart(k, v, m);
	apart(k, h, p);
	apart(k, h, m);
	apart(k, h, v);
}

/* Allowed arg bits per opcode; anything else is VGPU_E_OPCODE. */
static uint16_t arg_mask(unsigned op)
{
	switch (op) {
	case VGPU_OP_GEMM: return VGPU_GEMM_TRANS_A | VGPU_GEMM_TRANS_B;
	case VGPU_OP_GEMM_I8: return VGPU_GEMM_TRANS_B;
	case VGPU_OP_ACT_FWD: case VGPU_OP_ACT_BWD: return 0x3;
	case VGPU_OP_COUNT_EQ: return VGPU_ACCUMULATE;
	case VGPU_OP_SUM: return VGPU_ACCUMULATE | VGPU_MEAN;
	default: return 0;
	}
}

static void check_body(struct check *k, const struct vgpu_cmd *c, int in_graph)
{
	switch (c->opcode) {
	case VGPU_OP_NOP:
		break;
	case VGPU_OP_FILL:
		buf(k, c->u.fill.dst, c->u.fill.count, 4);
		break;
	case VGPU_OP_COPY:
		/* memmove semantics: overlap is defined. */
		buf(k, c->u.copy.dst, c->u.copy.bytes, 1);
		buf(k, c->u.copy.src, c->u.copy.bytes, 1);
		break;
	case VGPU_OP_GEMM:
		check_gemm(k, c);
		break;
	case VGPU_OP_BIAS_ADD: {
		const struct vgpu_op_bias_add *b = &c->u.bias_add;
		dims(k, b->rows, b->cols, 1);
		if (!k->err)
			apart(k, buf(k, b->x, product(k, b->rows, b->cols), 4), buf(k, b->bias, b->cols, 4));
		break;
	}
	case VGPU_OP_BIAS_GRAD: {
		const struct vgpu_op_bias_grad *b = &c->u.bias_grad;
		dims(k, b->rows, b->cols, 1);
		if (!k->err)
			apart(k, buf(k, b->db, b->cols, 4), buf(k, b->dy, product(k, b->rows, b->cols), 4));
		break;
	}
	case VGPU_OP_ACT_FWD:
		if (c->arg < VGPU_ACT_RELU || c->arg > VGPU_ACT_TANH)
			fail(k, VGPU_E_ARG);
		same_or_apart(k, buf(k, c->u.act.dst, c->u.act.count, 4),
			      buf(k, c->u.act.src, c->u.act.count, 4));
		break;
	case VGPU_OP_ACT_BWD: {
		const struct vgpu_op_act_bwd *a = &c->u.act_bwd;
		if (c->arg < VGPU_ACT_RELU || c->arg > VGPU_ACT_TANH)
			fail(k, VGPU_E_ARG);
		struct span dx = buf(k, a->dx, a->count, 4);
		same_or_apart(k, dx, buf(k, a->y, a->count, 4));
		same_or_apart(k, dx, buf(k, a->dy, a->count, 4));
		break;
	}
	case VGPU_OP_SOFTMAX: {
		const struct vgpu_op_softmax *s = &c->u.softmax;
		dims(k, s->rows, s->cols, 1);
		if (!k->err) {
			uint64_t n = product(k, s->rows, s->cols);
			same_or_apart(k, buf(k, s->dst, n, 4), buf(k, s->src, n, 4));
		}
		break;
	}
	case VGPU_OP_SOFTMAX_XENT:
		check_xent(k, &c->u.xent);
		break;
	case VGPU_OP_MSE:
		check_mse(k, &c->u.mse);
		break;
	case VGPU_OP_ADD:
	case VGPU_OP_MUL: {
		const struct vgpu_op_binary *b = &c->u.binary;
		struct span d = buf(k, b->dst, b->count, 4);
		same_or_apart(k, d, buf(k, b->a, b->count, 4));
		same_or_apart(k, d, buf(k, b->b, b->count, 4));
		break;
	}
	case VGPU_OP_SCALE:
		same_or_apart(k, buf(k, c->u.scale.dst, c->u.scale.count, 4),
			      buf(k, c->u.scale.src, c->u.scale.count, 4));
		break;
	case VGPU_OP_AXPY:
		same_or_apart(k, buf(k, c->u.axpy.y, c->u.axpy.count, 4),
			      buf(k, c->u.axpy.x, c->u.axpy.count, 4));
		break;
	case VGPU_OP_ARGMAX_ROWS: {
		const struct vgpu_op_argmax *a = &c->u.argmax;
		dims(k, a->rows, a->cols, 1);
		if (!k->err)
			apart(k, buf(k, a->dst, a->rows, 4), buf(k, a->src, product(k, a->rows, a->cols), 4));
		break;
	}
	case VGPU_OP_COUNT_EQ: {
		const struct vgpu_op_count_eq *e = &c->u.count_eq;
		struct span d = buf(k, e->dst, 1, 4);
		apart(k, d, buf(k, e->a, e->count, 4));
		apart(k, d, buf(k, e->b, e->count, 4));
		break;
	}
	case VGPU_OP_SUM:
		apart(k, buf(k, c->u.sum.dst, 1, 4), buf(k, c->u.sum.src, c->u.sum.count, 4));
		break;
	case VGPU_OP_SGD:
		same_or_apart(k, buf(k, c->u.sgd.param, c->u.sgd.count, 4),
			      buf(k, c->u.sgd.grad, c->u.sgd.count, 4));
		break;
	case VGPU_OP_SGD_MOMENTUM: {
		const struct vgpu_op_sgd_momentum *s = &c->u.sgd_momentum;
		struct span p = buf(k, s->param, s->count, 4);
		struct span g = buf(k, s->grad, s->count, 4);
		struct span v = buf(k, s->velocity, s->count, 4);
		same_or_apart(k, p, g);
		apart(k, v, p);
		apart(k, v, g);
		break;
	}
	case VGPU_OP_ADAM:
		check_adam(k, &c->u.adam);
		break;
	case VGPU_OP_GATHER_ROWS: {
		const struct vgpu_op_gather *g = &c->u.gather;
		dims(k, g->nidx, g->cols, g->src_rows);
		if (k->err)
			break;
		struct span d = buf(k, g->dst, product(k, g->nidx, g->cols), 4);
		apart(k, d, buf(k, g->src, product(k, g->src_rows, g->cols), 4));
		apart(k, d, buf(k, g->idx, g->nidx, 4));
		break;
	}
	case VGPU_OP_QUANTIZE_I8: {
		const struct vgpu_op_quantize *q = &c->u.quantize;
		struct span s = buf(k, q->src, q->count, 4);
		struct span d = buf(k, q->dst, q->count, 1);
		struct span sc = buf(k, q->scale, 1, 4);
		apart(k, d, s);
		apart(k, sc, s);
		apart(k, sc, d);
		break;
	}
	case VGPU_OP_GEMM_I8:
		check_gemm_i8(k, c);
		break;
	case VGPU_OP_GRAPH_RUN:
		if (in_graph || c->u.graph.count > VGPU_GRAPH_MAX)
			fail(k, VGPU_E_GRAPH);
		else
			buf(k, c->u.graph.cmds, c->u.graph.count, VGPU_CMD_SIZE);
		break;
	case VGPU_OP_UPLOAD:
	case VGPU_OP_DOWNLOAD:
		buf(k, c->u.xfer.off, c->u.xfer.bytes, 1);
		break;
	default:
		fail(k, VGPU_E_OPCODE);
	}
}

int vgpu_validate(const struct vgpu_cmd *c, uint64_t arena_size, int in_graph)
{
	struct check k = { arena_size, VGPU_OK };
	if (c->opcode >= VGPU_OP_COUNT || (c->flags & ~VGPU_CMD_F_ALL) ||
	    (c->arg & ~arg_mask(c->opcode)))
		return VGPU_E_OPCODE;
	check_body(&k, c, in_graph);
	return k.err;
}

uint32_t vgpu_cmd_rows(const struct vgpu_cmd *c, uint64_t *flops_per_row)
{
	if (c->opcode == VGPU_OP_GEMM) {
		*flops_per_row = 2ull * c->u.gemm.n * c->u.gemm.k;
		return c->u.gemm.m;
	}
	if (c->opcode == VGPU_OP_GEMM_I8) {
		*flops_per_row = 2ull * c->u.gemm_i8.n * c->u.gemm_i8.k;
		return c->u.gemm_i8.m;
	}
	*flops_per_row = 0;
	return 0;
}
