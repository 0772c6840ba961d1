/*
 * dense.c - the Dense layer as vGPU commands, with the bias folded into
 * the GEMMs through the ones column (model_internal.h).
 *
 * Forward (float):  z = [x 1] [W; b]          GEMM; a = f(z)  ACT_FWD
 * Forward (int8):   x8 = quantize(x);  z = sx*sw * x8 W8 + b
 *                                             QUANTIZE_I8, GEMM_I8
 * Backward:         [dW; db] = [x 1]^T dz     GEMM (A transposed)
 *                   da_prev = dz W^T          GEMM (B transposed)
 *                   dz_prev = da_prev * f'(a_prev)   ACT_BWD, in place
 * W is stored in x out, row-major, so x W needs no transpose.
 */
#include "model_internal.h"

static unsigned vgpu_act(enum eng_act act)
{
	switch (act) {
	case ENG_ACT_RELU:
		return VGPU_ACT_RELU;
	case ENG_ACT_SIGMOID:
		return VGPU_ACT_SIGMOID;
	case ENG_ACT_TANH:
		return VGPU_ACT_TANH;
	default:
		return 0; /* linear; softmax is fused into the loss */
	}
}

static int forward_f32(struct eng_model *m, uint32_t l, uint64_t in, uint32_t rows)
{
	const struct eng_dense *d = &m->arch.layer[l];
	uint64_t wb = m->params + eng_arch_weight_offset(&m->arch, l) * 4;

	return vgpu_gemm(m->g, 0, rows, d->out, d->in + 1, 1.0f, in, d->in + 1, wb, d->out,
			 0.0f, m->ws.z[l], eng_stride(m, l));
}

static int forward_i8(struct eng_model *m, uint32_t l, uint64_t in, uint32_t rows)
{
	const struct eng_dense *d = &m->arch.layer[l];
	uint64_t w8 = m->q + eng_q_arena_offset(&m->arch, l);
	uint64_t b = m->qbias + eng_params_col_offset(&m->arch, l) * 4;
	uint64_t pair = m->qpairs + (uint64_t)l * 8;
	/* The batch has the ones column, which meets W8's zero row; later
	 * layers' inputs are contiguous and use the first `in` rows only. */
	uint32_t k = eng_in_stride(m, l);
	int rc;

	rc = vgpu_quantize_i8(m->g, in, m->ws.x8, pair, (uint64_t)rows * k);
	return rc ? rc : vgpu_gemm_i8(m->g, 0, rows, d->out, k, m->ws.x8, w8, pair, b,
				      m->ws.z[l]);
}

int eng_encode_forward(struct eng_model *m, uint64_t input, uint32_t rows)
{
	uint64_t in = input;

	for (uint32_t l = 0; l < m->arch.n_layers; l++) {
		const struct eng_dense *d = &m->arch.layer[l];
		unsigned act = vgpu_act(d->act);
		int rc = m->kind == ENG_PARAMS_I8 ? forward_i8(m, l, in, rows) :
						    forward_f32(m, l, in, rows);

		if (rc == 0 && act)
			rc = vgpu_act_fwd(m->g, act, m->ws.z[l], m->ws.a[l],
					  (uint64_t)rows * eng_stride(m, l));
		if (rc)
			return rc;
		in = m->ws.a[l];
	}
	return 0;
}

int eng_encode_backward(struct eng_model *m, uint64_t input, uint32_t rows)
{
	for (uint32_t l = m->arch.n_layers; l-- > 0;) {
		const struct eng_dense *d = &m->arch.layer[l];
		uint64_t in = l ? m->ws.a[l - 1] : input;
		uint64_t w = m->params + eng_arch_weight_offset(&m->arch, l) * 4;
		uint64_t dwb = m->grads + eng_arch_weight_offset(&m->arch, l) * 4;
		uint32_t stride = eng_stride(m, l);
		int rc;

		rc = vgpu_gemm(m->g, VGPU_GEMM_TRANS_A, d->in + 1, d->out, rows, 1.0f,
			       in, d->in + 1, m->ws.dz[l], stride, 0.0f, dwb, d->out);
		if (rc || l == 0)
			return rc;
		unsigned act = vgpu_act(m->arch.layer[l - 1].act);

		rc = vgpu_gemm(m->g, VGPU_GEMM_TRANS_B, rows, d->in, d->out, 1.0f,
			       m->ws.dz[l], stride, w, d->out, 0.0f, m->ws.dz[l - 1], d->in + 1);
		if (rc == 0 && act)
			rc = vgpu_act_bwd(m->g, act, m->ws.a[l - 1], m->ws.dz[l - 1],
					  m->ws.dz[l - 1], (uint64_t)rows * (d->in + 1));
		if (rc)
			return rc;
	}
	return 0;
}
