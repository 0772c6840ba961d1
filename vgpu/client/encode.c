/*
 * encode.c - one encoder per opcode: fill a 64-byte command and queue it.
 * Encoders do not validate (the server does, and must anyway).
 */
#include <string.h>

#include "client_internal.h"

static struct vgpu_cmd cmd(const struct vgpu *g, uint8_t op, uint16_t arg)
{
	struct vgpu_cmd c;
	memset(&c, 0, sizeof(c));
	c.opcode = op;
	c.flags = g->cmd_flags;
	c.arg = arg;
	c.tag = g->cmd_tag;
	return c;
}

int vgpu_nop(struct vgpu *g)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_NOP, 0);
	return vgpu__queue(g, &c);
}

int vgpu_fill(struct vgpu *g, uint64_t dst, uint64_t count, float value)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_FILL, 0);
	c.u.fill.dst = dst;
	c.u.fill.count = count;
	memcpy(&c.u.fill.value, &value, sizeof(value));
	return vgpu__queue(g, &c);
}

int vgpu_copy(struct vgpu *g, uint64_t dst, uint64_t src, uint64_t bytes)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_COPY, 0);
	c.u.copy = (struct vgpu_op_copy){ .dst = dst, .src = src, .bytes = bytes };
	return vgpu__queue(g, &c);
}

static int xfer(struct vgpu *g, uint8_t op, uint64_t off, uint64_t bytes)
{
	struct vgpu_cmd c = cmd(g, op, 0);
	c.u.xfer = (struct vgpu_op_xfer){ .off = off, .bytes = bytes };
	return vgpu__queue(g, &c);
}

int vgpu_upload(struct vgpu *g, uint64_t off, uint64_t bytes)
{
	return xfer(g, VGPU_OP_UPLOAD, off, bytes);
}

int vgpu_download(struct vgpu *g, uint64_t off, uint64_t bytes)
{
	return xfer(g, VGPU_OP_DOWNLOAD, off, bytes);
}

int vgpu_gemm(struct vgpu *g, unsigned trans, uint32_t m, uint32_t n, uint32_t k,
	      float alpha, uint64_t a, uint32_t lda, uint64_t b, uint32_t ldb,
	      float beta, uint64_t c_, uint32_t ldc)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_GEMM, (uint16_t)trans);
	c.u.gemm = (struct vgpu_op_gemm){ .a = a, .b = b, .c = c_, .m = m, .n = n, .k = k,
		.lda = lda, .ldb = ldb, .ldc = ldc, .alpha = alpha, .beta = beta };
	if (!g->recording)
		g->queued_flops += 2ull * m * n * k;
	return vgpu__queue(g, &c);
}

int vgpu_bias_add(struct vgpu *g, uint64_t x, uint64_t bias, uint32_t rows, uint32_t cols)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_BIAS_ADD, 0);
	c.u.bias_add = (struct vgpu_op_bias_add){ .x = x, .bias = bias, .rows = rows, .cols = cols };
	return vgpu__queue(g, &c);
}

int vgpu_bias_grad(struct vgpu *g, uint64_t dy, uint64_t db, uint32_t rows, uint32_t cols,
		   float beta)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_BIAS_GRAD, 0);
	c.u.bias_grad = (struct vgpu_op_bias_grad){ .dy = dy, .db = db, .rows = rows,
		.cols = cols, .beta = beta };
	return vgpu__queue(g, &c);
}

int vgpu_act_fwd(struct vgpu *g, unsigned act, uint64_t src, uint64_t dst, uint64_t count)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_ACT_FWD, (uint16_t)act);
	c.u.act = (struct vgpu_op_act){ .src = src, .dst = dst, .count = count };
	return vgpu__queue(g, &c);
}

int vgpu_act_bwd(struct vgpu *g, unsigned act, uint64_t y, uint64_t dy, uint64_t dx,
		 uint64_t count)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_ACT_BWD, (uint16_t)act);
	c.u.act_bwd = (struct vgpu_op_act_bwd){ .y = y, .dy = dy, .dx = dx, .count = count };
	return vgpu__queue(g, &c);
}

int vgpu_softmax(struct vgpu *g, uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_SOFTMAX, 0);
	c.u.softmax = (struct vgpu_op_softmax){ .src = src, .dst = dst, .rows = rows, .cols = cols };
	return vgpu__queue(g, &c);
}

int vgpu_softmax_xent(struct vgpu *g, uint64_t logits, uint64_t labels, uint64_t loss,
		      uint64_t dlogits, uint32_t rows, uint32_t cols)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_SOFTMAX_XENT, 0);
	c.u.xent = (struct vgpu_op_xent){ .logits = logits, .labels = labels, .loss = loss,
		.dlogits = dlogits, .rows = rows, .cols = cols };
	return vgpu__queue(g, &c);
}

int vgpu_mse(struct vgpu *g, uint64_t pred, uint64_t target, uint64_t loss, uint64_t grad,
	     uint64_t count)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_MSE, 0);
	c.u.mse = (struct vgpu_op_mse){ .pred = pred, .target = target, .loss = loss,
		.grad = grad, .count = count };
	return vgpu__queue(g, &c);
}

static int binary(struct vgpu *g, uint8_t op, uint64_t a, uint64_t b, uint64_t dst,
		  uint64_t count)
{
	struct vgpu_cmd c = cmd(g, op, 0);
	c.u.binary = (struct vgpu_op_binary){ .a = a, .b = b, .dst = dst, .count = count };
	return vgpu__queue(g, &c);
}

int vgpu_add(struct vgpu *g, uint64_t a, uint64_t b, uint64_t dst, uint64_t count)
{
	return binary(g, VGPU_OP_ADD, a, b, dst, count);
}

int vgpu_mul(struct vgpu *g, uint64_t a, uint64_t b, uint64_t dst, uint64_t count)
{
	return binary(g, VGPU_OP_MUL, a, b, dst, count);
}

int vgpu_scale(struct vgpu *g, uint64_t src, uint64_t dst, uint64_t count, float alpha)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_SCALE, 0);
	c.u.scale = (struct vgpu_op_scale){ .src = src, .dst = dst, .count = count, .alpha = alpha };
	return vgpu__queue(g, &c);
}

int vgpu_axpy(struct vgpu *g, uint64_t x, uint64_t y, uint64_t count, float alpha)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_AXPY, 0);
	c.u.axpy = (struct vgpu_op_axpy){ .x = x, .y = y, .count = count, .alpha = alpha };
	return vgpu__queue(g, &c);
}

int vgpu_argmax_rows(struct vgpu *g, uint64_t src, uint64_t dst, uint32_t rows, uint32_t cols)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_ARGMAX_ROWS, 0);
	c.u.argmax = (struct vgpu_op_argmax){ .src = src, .dst = dst, .rows = rows, .cols = cols };
	return vgpu__queue(g, &c);
}

int vgpu_count_eq(struct vgpu *g, uint64_t a, uint64_t b, uint64_t dst, uint64_t count,
		  unsigned arg)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_COUNT_EQ, (uint16_t)arg);
	c.u.count_eq = (struct vgpu_op_count_eq){ .a = a, .b = b, .dst = dst, .count = count };
	return vgpu__queue(g, &c);
}

int vgpu_sum(struct vgpu *g, uint64_t src, uint64_t dst, uint64_t count, unsigned arg)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_SUM, (uint16_t)arg);
	c.u.sum = (struct vgpu_op_sum){ .src = src, .dst = dst, .count = count };
	return vgpu__queue(g, &c);
}

int vgpu_sgd(struct vgpu *g, uint64_t param, uint64_t grad, uint64_t count, float lr,
	     float weight_decay)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_SGD, 0);
	c.u.sgd = (struct vgpu_op_sgd){ .param = param, .grad = grad, .count = count, .lr = lr,
		.weight_decay = weight_decay };
	return vgpu__queue(g, &c);
}

int vgpu_sgd_momentum(struct vgpu *g, uint64_t param, uint64_t grad, uint64_t velocity,
		      uint64_t count, float lr, float momentum, float weight_decay)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_SGD_MOMENTUM, 0);
	c.u.sgd_momentum = (struct vgpu_op_sgd_momentum){ .param = param, .grad = grad,
		.velocity = velocity, .count = count, .lr = lr, .momentum = momentum,
		.weight_decay = weight_decay };
	return vgpu__queue(g, &c);
}

int vgpu_adam(struct vgpu *g, uint64_t param, uint64_t grad, uint64_t m, uint64_t v,
	      uint64_t hyper, uint64_t count)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_ADAM, 0);
	c.u.adam = (struct vgpu_op_adam){ .param = param, .grad = grad, .m = m, .v = v,
		.hyper = hyper, .count = count };
	return vgpu__queue(g, &c);
}

int vgpu_gather_rows(struct vgpu *g, uint64_t src, uint32_t src_rows, uint32_t cols,
		     uint64_t idx, uint32_t nidx, uint64_t dst)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_GATHER_ROWS, 0);
	c.u.gather = (struct vgpu_op_gather){ .src = src, .idx = idx, .dst = dst, .nidx = nidx,
		.cols = cols, .src_rows = src_rows };
	return vgpu__queue(g, &c);
}

int vgpu_quantize_i8(struct vgpu *g, uint64_t src, uint64_t dst, uint64_t scale,
		     uint64_t count)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_QUANTIZE_I8, 0);
	c.u.quantize = (struct vgpu_op_quantize){ .src = src, .dst = dst, .scale = scale,
		.count = count };
	return vgpu__queue(g, &c);
}

int vgpu_gemm_i8(struct vgpu *g, unsigned trans, uint32_t m, uint32_t n, uint32_t k,
		 uint64_t a, uint64_t b, uint64_t scales, uint64_t bias, uint64_t c_)
{
	struct vgpu_cmd c = cmd(g, VGPU_OP_GEMM_I8, (uint16_t)trans);
	c.u.gemm_i8 = (struct vgpu_op_gemm_i8){ .a = a, .b = b, .c = c_, .scales = scales,
		.bias = bias, .m = m, .n = n, .k = k };
	return vgpu__queue(g, &c);
}
