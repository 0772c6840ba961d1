/*
 * cuda_outputs.c - the fp32 outputs the CUDA backend checks for
 * finiteness (see cuda_outputs.h); mirrors cpu_ops_check_outputs.
 */
#include "cuda_outputs.h"

#define OUT(i, a, r, cl, l) (o[i] = (struct cuda_span){ (a), (r), (cl), (l) })
#define VEC(i, a, n) OUT(i, a, 1, n, n)

int cuda_outputs_always(const struct vgpu_cmd *c, struct cuda_span o[1])
{
	switch (c->opcode) {
	case VGPU_OP_SOFTMAX_XENT: VEC(0, c->u.xent.loss, 1); return 1;
	case VGPU_OP_MSE: VEC(0, c->u.mse.loss, 1); return 1;
	case VGPU_OP_SUM: VEC(0, c->u.sum.dst, 1); return 1;
	default: return 0;
	}
}

int cuda_outputs_flagged(const struct vgpu_cmd *c, uint32_t rb, uint32_t re,
			 struct cuda_span o[1])
{
	switch (c->opcode) {
	case VGPU_OP_GEMM: {
		const struct vgpu_op_gemm *g = &c->u.gemm;
		if (re > g->m)
			re = g->m;
		if (rb >= re)
			return 0;
		OUT(0, g->c + (uint64_t)rb * g->ldc * 4, re - rb, g->n, g->ldc);
		return 1;
	}
	case VGPU_OP_GEMM_I8: {
		const struct vgpu_op_gemm_i8 *g = &c->u.gemm_i8;
		if (re > g->m)
			re = g->m;
		if (rb >= re)
			return 0;
		OUT(0, g->c + (uint64_t)rb * g->n * 4, re - rb, g->n, g->n);
		return 1;
	}
	case VGPU_OP_BIAS_ADD:
		VEC(0, c->u.bias_add.x, (uint64_t)c->u.bias_add.rows * c->u.bias_add.cols);
		return 1;
	case VGPU_OP_BIAS_GRAD: VEC(0, c->u.bias_grad.db, c->u.bias_grad.cols); return 1;
	case VGPU_OP_ACT_FWD: VEC(0, c->u.act.dst, c->u.act.count); return 1;
	case VGPU_OP_ACT_BWD: VEC(0, c->u.act_bwd.dx, c->u.act_bwd.count); return 1;
	case VGPU_OP_SOFTMAX:
		VEC(0, c->u.softmax.dst, (uint64_t)c->u.softmax.rows * c->u.softmax.cols);
		return 1;
	case VGPU_OP_SOFTMAX_XENT:
		if (c->u.xent.dlogits == VGPU_NO_OFF)
			return 0;
		VEC(0, c->u.xent.dlogits, (uint64_t)c->u.xent.rows * c->u.xent.cols);
		return 1;
	case VGPU_OP_MSE:
		if (c->u.mse.grad == VGPU_NO_OFF)
			return 0;
		VEC(0, c->u.mse.grad, c->u.mse.count);
		return 1;
	case VGPU_OP_ADD:
	case VGPU_OP_MUL: VEC(0, c->u.binary.dst, c->u.binary.count); return 1;
	case VGPU_OP_SCALE: VEC(0, c->u.scale.dst, c->u.scale.count); return 1;
	case VGPU_OP_AXPY: VEC(0, c->u.axpy.y, c->u.axpy.count); return 1;
	case VGPU_OP_SGD: VEC(0, c->u.sgd.param, c->u.sgd.count); return 1;
	case VGPU_OP_SGD_MOMENTUM:
		VEC(0, c->u.sgd_momentum.param, c->u.sgd_momentum.count);
		return 1;
	case VGPU_OP_ADAM: VEC(0, c->u.adam.param, c->u.adam.count); return 1;
	case VGPU_OP_GATHER_ROWS:
		VEC(0, c->u.gather.dst, (uint64_t)c->u.gather.nidx * c->u.gather.cols);
		return 1;
	default: return 0; /* no fp32 output */
	}
}

#undef VEC
#undef OUT
