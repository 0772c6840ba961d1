/*
 * cpu_ops.c - the non-BLAS opcodes in plain C, computing in place on the
 * tenant's arena.  The tenant may change its arena while we run: every
 * value that decides where we read or write (labels, indices, scales,
 * Adam's step) is read exactly once (READ_ONCE) and checked before use;
 * other races only change numbers, never addresses.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_ops.h"

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define F32(off) ((float *)(arena + (off)))
#define I32(off) ((int32_t *)(arena + (off)))

/* Activations with the kind chosen once per command, outside the loop: a
 * switch per element kept the loops from vectorising (~3x slower). */
static void act_fwd(unsigned a, const float *s, float *d, uint64_t n)
{
	switch (a) {
	case VGPU_ACT_RELU:
		for (uint64_t i = 0; i < n; i++)
			d[i] = s[i] > 0.0f ? s[i] : 0.0f;
		break;
	case VGPU_ACT_SIGMOID:
		for (uint64_t i = 0; i < n; i++)
			d[i] = 1.0f / (1.0f + expf(-s[i]));
		break;
	default:
		for (uint64_t i = 0; i < n; i++)
			d[i] = tanhf(s[i]);
	}
}

static void act_bwd(unsigned a, const float *y, const float *dy, float *dx, uint64_t n)
{
	switch (a) {
	case VGPU_ACT_RELU:
		for (uint64_t i = 0; i < n; i++)
			dx[i] = dy[i] * (y[i] > 0.0f ? 1.0f : 0.0f);
		break;
	case VGPU_ACT_SIGMOID:
		for (uint64_t i = 0; i < n; i++)
			dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
		break;
	default:
		for (uint64_t i = 0; i < n; i++)
			dx[i] = dy[i] * (1.0f - y[i] * y[i]);
	}
}

static void bias_grad(float *dy, float *db, uint32_t rows, uint32_t cols, float beta)
{
	for (uint32_t j = 0; j < cols; j++)
		db[j] = beta == 0.0f ? 0.0f : beta * db[j];
	for (uint32_t i = 0; i < rows; i++) {
		const float *r = dy + (size_t)i * cols;
		for (uint32_t j = 0; j < cols; j++)
			db[j] += r[j];
	}
}

static void softmax_row(const float *x, float *y, uint32_t cols)
{
	float mx = x[0];
	for (uint32_t j = 1; j < cols; j++)
		mx = x[j] > mx ? x[j] : mx;
	double s = 0;
	for (uint32_t j = 0; j < cols; j++) {
		y[j] = expf(x[j] - mx);
		s += y[j];
	}
	float inv = (float)(1.0 / s);
	for (uint32_t j = 0; j < cols; j++)
		y[j] *= inv;
}

static int xent(uint8_t *arena, const struct vgpu_op_xent *x)
{
	float *lg = F32(x->logits), *d = x->dlogits == VGPU_NO_OFF ? NULL : F32(x->dlogits);
	const int32_t *lb = I32(x->labels);
	double total = 0;
	for (uint32_t i = 0; i < x->rows; i++) {
		float *r = lg + (size_t)i * x->cols;
		int32_t l = READ_ONCE(lb[i]);
		if (l < 0 || (uint32_t)l >= x->cols)
			return VGPU_E_INDEX;
		float mx = r[0];
		for (uint32_t j = 1; j < x->cols; j++)
			mx = r[j] > mx ? r[j] : mx;
		double s = 0;
		for (uint32_t j = 0; j < x->cols; j++)
			s += exp((double)r[j] - mx);
		total += log(s) + mx - r[l];
		if (d) {
			float *o = d + (size_t)i * x->cols;
			float inv = (float)(1.0 / (s * x->rows)), hot = 1.0f / (float)x->rows;
			for (uint32_t j = 0; j < x->cols; j++)
				o[j] = expf(r[j] - mx) * inv - ((uint32_t)l == j ? hot : 0.0f);
		}
	}
	float loss = (float)(total / x->rows);
	*F32(x->loss) = loss;
	return isfinite(loss) ? VGPU_OK : VGPU_E_NONFINITE;
}

static int mse(uint8_t *arena, const struct vgpu_op_mse *m)
{
	float *p = F32(m->pred), *t = F32(m->target);
	float *g = m->grad == VGPU_NO_OFF ? NULL : F32(m->grad);
	double s = 0;
	float k = 2.0f / (float)m->count;
	for (uint64_t i = 0; i < m->count; i++) {
		float d = p[i] - t[i];
		s += (double)d * d;
		if (g)
			g[i] = k * d;
	}
	float loss = (float)(s / (double)m->count);
	*F32(m->loss) = loss;
	return isfinite(loss) ? VGPU_OK : VGPU_E_NONFINITE;
}

static int adam(uint8_t *arena, const struct vgpu_op_adam *a)
{
	struct vgpu_adam_hyper h;
	const volatile uint8_t *src = arena + a->hyper;
	for (size_t i = 0; i < sizeof(h); i++)
		((uint8_t *)&h)[i] = src[i];
	if (h.step == 0 || !isfinite(h.lr) || !isfinite(h.eps) || !isfinite(h.weight_decay) ||
	    !(h.beta1 >= 0.0f && h.beta1 < 1.0f) || !(h.beta2 >= 0.0f && h.beta2 < 1.0f) ||
	    !(h.eps >= 0.0f))
		return VGPU_E_ARG;
	float bc1 = 1.0f - powf(h.beta1, (float)h.step), bc2 = 1.0f - powf(h.beta2, (float)h.step);
	float *p = F32(a->param), *g = F32(a->grad), *m = F32(a->m), *v = F32(a->v);
	for (uint64_t i = 0; i < a->count; i++) {
		float gi = g[i] + h.weight_decay * p[i];
		m[i] = h.beta1 * m[i] + (1.0f - h.beta1) * gi;
		v[i] = h.beta2 * v[i] + (1.0f - h.beta2) * gi * gi;
		p[i] -= h.lr * (m[i] / bc1) / (sqrtf(v[i] / bc2) + h.eps);
	}
	return VGPU_OK;
}

static int gather(uint8_t *arena, const struct vgpu_op_gather *g)
{
	const float *src = F32(g->src);
	const int32_t *idx = I32(g->idx);
	float *dst = F32(g->dst);
	for (uint32_t i = 0; i < g->nidx; i++) {
		int32_t r = READ_ONCE(idx[i]);
		if (r < 0 || (uint32_t)r >= g->src_rows)
			return VGPU_E_INDEX;
		memcpy(dst + (size_t)i * g->cols, src + (size_t)r * g->cols, (size_t)g->cols * 4);
	}
	return VGPU_OK;
}

static void quantize(uint8_t *arena, const struct vgpu_op_quantize *q)
{
	const float *x = F32(q->src);
	int8_t *d = (int8_t *)(arena + q->dst);
	float mx = 0.0f;
	for (uint64_t i = 0; i < q->count; i++) {
		float a = fabsf(x[i]);
		mx = a > mx ? a : mx;   /* NaN compares false: ignored */
	}
	float s = mx > 0.0f ? mx / 127.0f : 1.0f;
	*F32(q->scale) = s;
	for (uint64_t i = 0; i < q->count; i++) {
		float v = roundf(x[i] / s);
		d[i] = v != v ? 0 : v > 127.0f ? 127 : v < -127.0f ? -127 : (int8_t)v;
	}
}

int cpu_ops_gemm_i8(uint8_t *arena, const struct vgpu_cmd *c, uint32_t rb, uint32_t re)
{
	const struct vgpu_op_gemm_i8 *g = &c->u.gemm_i8;
	const int8_t *A = (const int8_t *)(arena + g->a), *B = (const int8_t *)(arena + g->b);
	float *C = F32(g->c);
	float sa = READ_ONCE(*F32(g->scales)), sb = READ_ONCE(*F32(g->scales + 4));
	const float *bias = g->bias == VGPU_NO_OFF ? NULL : F32(g->bias);
	int tb = c->arg & VGPU_GEMM_TRANS_B;
	/* Per call, not static: servers in one process must not share it. */
	int32_t *acc_buf = malloc((size_t)g->n * sizeof(*acc_buf));
	if (!acc_buf)
		return VGPU_E_BACKEND;
	float s = sa * sb;
	for (uint32_t i = rb; i < re; i++) {
		const int8_t *a = A + (size_t)i * g->k;
		int32_t *acc = acc_buf;
		if (tb) {
			for (uint32_t j = 0; j < g->n; j++) {
				const int8_t *b = B + (size_t)j * g->k;
				int32_t t = 0;
				for (uint32_t p = 0; p < g->k; p++)
					t += (int32_t)a[p] * b[p];
				acc[j] = t;
			}
		} else {
			memset(acc, 0, (size_t)g->n * sizeof(*acc));
			for (uint32_t p = 0; p < g->k; p++) {
				int32_t av = a[p];
				const int8_t *b = B + (size_t)p * g->n;
				for (uint32_t j = 0; j < g->n; j++)
					acc[j] += av * b[j];
			}
		}
		float *o = C + (size_t)i * g->n;
		for (uint32_t j = 0; j < g->n; j++)
			o[j] = s * (float)acc[j] + (bias ? bias[j] : 0.0f);
	}
	free(acc_buf);
	return VGPU_OK;
}

int cpu_ops_run(uint8_t *arena, const struct vgpu_cmd *c)
{
	switch (c->opcode) {
	case VGPU_OP_NOP:
	case VGPU_OP_UPLOAD:   /* the arena is the memory computed on: */
	case VGPU_OP_DOWNLOAD: /* there is no other copy to move to or from */
		return VGPU_OK;
	case VGPU_OP_FILL: {
		uint32_t *d = (uint32_t *)(arena + c->u.fill.dst);
		for (uint64_t i = 0; i < c->u.fill.count; i++)
			d[i] = c->u.fill.value;
		return VGPU_OK;
	}
	case VGPU_OP_COPY:
		memmove(arena + c->u.copy.dst, arena + c->u.copy.src, c->u.copy.bytes);
		return VGPU_OK;
	case VGPU_OP_BIAS_ADD: {
		const struct vgpu_op_bias_add *b = &c->u.bias_add;
		float *x = F32(b->x), *bias = F32(b->bias);
		for (uint32_t i = 0; i < b->rows; i++)
			for (uint32_t j = 0; j < b->cols; j++)
				x[(size_t)i * b->cols + j] += bias[j];
		return VGPU_OK;
	}
	case VGPU_OP_BIAS_GRAD:
		bias_grad(F32(c->u.bias_grad.dy), F32(c->u.bias_grad.db), c->u.bias_grad.rows,
			  c->u.bias_grad.cols, c->u.bias_grad.beta);
		return VGPU_OK;
	case VGPU_OP_ACT_FWD: {
		act_fwd(c->arg, F32(c->u.act.src), F32(c->u.act.dst), c->u.act.count);
		return VGPU_OK;
	}
	case VGPU_OP_ACT_BWD: {
		const struct vgpu_op_act_bwd *a = &c->u.act_bwd;
		act_bwd(c->arg, F32(a->y), F32(a->dy), F32(a->dx), a->count);
		return VGPU_OK;
	}
	case VGPU_OP_SOFTMAX: {
		const struct vgpu_op_softmax *s = &c->u.softmax;
		for (uint32_t i = 0; i < s->rows; i++)
			softmax_row(F32(s->src) + (size_t)i * s->cols, F32(s->dst) + (size_t)i * s->cols,
				    s->cols);
		return VGPU_OK;
	}
	case VGPU_OP_SOFTMAX_XENT:
		return xent(arena, &c->u.xent);
	case VGPU_OP_MSE:
		return mse(arena, &c->u.mse);
	case VGPU_OP_ADD:
	case VGPU_OP_MUL: {
		const struct vgpu_op_binary *b = &c->u.binary;
		float *x = F32(b->a), *y = F32(b->b), *d = F32(b->dst);
		if (c->opcode == VGPU_OP_ADD)
			for (uint64_t i = 0; i < b->count; i++)
				d[i] = x[i] + y[i];
		else
			for (uint64_t i = 0; i < b->count; i++)
				d[i] = x[i] * y[i];
		return VGPU_OK;
	}
	case VGPU_OP_SCALE: {
		float *s = F32(c->u.scale.src), *d = F32(c->u.scale.dst);
		for (uint64_t i = 0; i < c->u.scale.count; i++)
			d[i] = c->u.scale.alpha * s[i];
		return VGPU_OK;
	}
	case VGPU_OP_AXPY: {
		float *x = F32(c->u.axpy.x), *y = F32(c->u.axpy.y);
		for (uint64_t i = 0; i < c->u.axpy.count; i++)
			y[i] += c->u.axpy.alpha * x[i];
		return VGPU_OK;
	}
	case VGPU_OP_ARGMAX_ROWS: {
		const struct vgpu_op_argmax *a = &c->u.argmax;
		for (uint32_t i = 0; i < a->rows; i++) {
			const float *r = F32(a->src) + (size_t)i * a->cols;
			uint32_t best = 0;
			for (uint32_t j = 1; j < a->cols; j++)
				if (r[j] > r[best])
					best = j;
			I32(a->dst)[i] = (int32_t)best;
		}
		return VGPU_OK;
	}
	case VGPU_OP_COUNT_EQ: {
		const struct vgpu_op_count_eq *e = &c->u.count_eq;
		uint32_t n = 0;
		for (uint64_t i = 0; i < e->count; i++)
			n += I32(e->a)[i] == I32(e->b)[i];
		uint32_t *d = (uint32_t *)(arena + e->dst);
		*d = (c->arg & VGPU_ACCUMULATE ? *d : 0) + n;
		return VGPU_OK;
	}
	case VGPU_OP_SUM: {
		const float *x = F32(c->u.sum.src);
		double s = 0;
		for (uint64_t i = 0; i < c->u.sum.count; i++)
			s += x[i];
		if (c->arg & VGPU_MEAN)
			s /= (double)c->u.sum.count;
		float *d = F32(c->u.sum.dst);
		*d = (c->arg & VGPU_ACCUMULATE ? *d : 0.0f) + (float)s;
		return isfinite(*d) ? VGPU_OK : VGPU_E_NONFINITE;
	}
	case VGPU_OP_SGD: {
		const struct vgpu_op_sgd *s = &c->u.sgd;
		float *p = F32(s->param), *g = F32(s->grad);
		for (uint64_t i = 0; i < s->count; i++)
			p[i] -= s->lr * (g[i] + s->weight_decay * p[i]);
		return VGPU_OK;
	}
	case VGPU_OP_SGD_MOMENTUM: {
		const struct vgpu_op_sgd_momentum *s = &c->u.sgd_momentum;
		float *p = F32(s->param), *g = F32(s->grad), *v = F32(s->velocity);
		for (uint64_t i = 0; i < s->count; i++) {
			v[i] = s->momentum * v[i] + g[i] + s->weight_decay * p[i];
			p[i] -= s->lr * v[i];
		}
		return VGPU_OK;
	}
	case VGPU_OP_ADAM:
		return adam(arena, &c->u.adam);
	case VGPU_OP_GATHER_ROWS:
		return gather(arena, &c->u.gather);
	case VGPU_OP_QUANTIZE_I8:
		quantize(arena, &c->u.quantize);
		return VGPU_OK;
	default:
		return VGPU_E_OPCODE;   /* GEMMs and graphs never come here */
	}
}

static int finite_span(const float *x, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return VGPU_E_NONFINITE;
	return VGPU_OK;
}

static int finite_rows(const float *x, uint32_t rb, uint32_t re, uint32_t cols, uint32_t ld)
{
	for (uint32_t i = rb; i < re; i++)
		if (finite_span(x + (size_t)i * ld, cols))
			return VGPU_E_NONFINITE;
	return VGPU_OK;
}

int cpu_ops_check_outputs(uint8_t *arena, const struct vgpu_cmd *c, uint32_t rb, uint32_t re)
{
	switch (c->opcode) {
	case VGPU_OP_GEMM:
		return finite_rows(F32(c->u.gemm.c), rb, re, c->u.gemm.n, c->u.gemm.ldc);
	case VGPU_OP_GEMM_I8:
		return finite_rows(F32(c->u.gemm_i8.c), rb, re, c->u.gemm_i8.n, c->u.gemm_i8.n);
	case VGPU_OP_BIAS_ADD:
		return finite_span(F32(c->u.bias_add.x), (uint64_t)c->u.bias_add.rows * c->u.bias_add.cols);
	case VGPU_OP_BIAS_GRAD:
		return finite_span(F32(c->u.bias_grad.db), c->u.bias_grad.cols);
	case VGPU_OP_ACT_FWD:
		return finite_span(F32(c->u.act.dst), c->u.act.count);
	case VGPU_OP_ACT_BWD:
		return finite_span(F32(c->u.act_bwd.dx), c->u.act_bwd.count);
	case VGPU_OP_SOFTMAX:
		return finite_span(F32(c->u.softmax.dst), (uint64_t)c->u.softmax.rows * c->u.softmax.cols);
	case VGPU_OP_SOFTMAX_XENT:
		return c->u.xent.dlogits == VGPU_NO_OFF ? VGPU_OK :
			finite_span(F32(c->u.xent.dlogits), (uint64_t)c->u.xent.rows * c->u.xent.cols);
	case VGPU_OP_MSE:
		return c->u.mse.grad == VGPU_NO_OFF ? VGPU_OK : finite_span(F32(c->u.mse.grad), c->u.mse.count);
	case VGPU_OP_ADD:
	case VGPU_OP_MUL:
		return finite_span(F32(c->u.binary.dst), c->u.binary.count);
	case VGPU_OP_SCALE:
		return finite_span(F32(c->u.scale.dst), c->u.scale.count);
	case VGPU_OP_AXPY:
		return finite_span(F32(c->u.axpy.y), c->u.axpy.count);
	case VGPU_OP_SGD:
		return finite_span(F32(c->u.sgd.param), c->u.sgd.count);
	case VGPU_OP_SGD_MOMENTUM:
		return finite_span(F32(c->u.sgd_momentum.param), c->u.sgd_momentum.count);
	case VGPU_OP_ADAM:
		return finite_span(F32(c->u.adam.param), c->u.adam.count);
	case VGPU_OP_GATHER_ROWS:
		return finite_span(F32(c->u.gather.dst), (uint64_t)c->u.gather.nidx * c->u.gather.cols);
	default:
		return VGPU_OK;   /* no fp32 output, or always checked (losses) */
	}
}
