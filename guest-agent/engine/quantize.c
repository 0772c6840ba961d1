/*
 * quantize.c - post-training int8 quantization.
 *
 * Each layer's weight matrix is quantized on the vGPU (QUANTIZE_I8:
 * symmetric, one scale = absmax / 127 per tensor) straight into the new
 * model's int8 buffer and scale slot; biases stay float.  At inference
 * each layer's input is quantized the same way on the fly and multiplied
 * with GEMM_I8, which applies both scales and adds the bias.
 */
#include "model_internal.h"

int eng_model_quantize(struct eng_model *m, struct eng_model **out,
		       struct eng_err *err)
{
	const struct eng_arch *a = &m->arch;
	struct eng_params p;
	struct eng_model *q;
	int rc = 0;

	*out = NULL;
	if (m->kind != ENG_PARAMS_F32)
		return eng_errorf(err, "the model is already quantized");
	/* An int8 model with zero weights and scales; the vGPU fills them in. */
	if (eng_params_alloc(&p, a, ENG_PARAMS_I8, err) < 0)
		return -1;
	rc = eng_model_from_params(m->g, &p, &q, err);
	eng_params_free(&p);
	if (rc < 0)
		return -1;
	for (size_t j = 0; j < m->scaler.d; j++) {
		q->scaler.offset[j] = m->scaler.offset[j];
		q->scaler.mul[j] = m->scaler.mul[j];
	}
	for (uint32_t l = 0; l < a->n_layers && rc == 0; l++) {
		const struct eng_dense *d = &a->layer[l];
		uint64_t w = m->params + eng_arch_weight_offset(a, l) * 4;
		uint64_t b = m->params + eng_arch_bias_offset(a, l) * 4;

		rc = vgpu_quantize_i8(m->g, w, q->q + eng_q_arena_offset(a, l),
				      q->qpairs + (uint64_t)l * 8 + 4, (uint64_t)d->in * d->out);
		if (rc == 0)
			rc = vgpu_copy(m->g, q->qbias + eng_params_col_offset(a, l) * 4, b,
				       (uint64_t)d->out * 4);
	}
	if (eng_vgpu_check(rc, "quantization", err) < 0 ||
	    eng_vgpu_sync(m, "quantization", err) < 0) {
		eng_model_free(q);
		return -1;
	}
	*out = q;
	return 0;
}
