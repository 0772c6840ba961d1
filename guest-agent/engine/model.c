/*
 * model.c - a model's life in the vGPU arena: creation from an
 * architecture or from parameters, copying parameters back, freeing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

int eng_arena_alloc(struct eng_model *m, uint64_t bytes, const char *what,
		    uint64_t *off, struct eng_err *err)
{
	int rc = vgpu_alloc(m->g, bytes ? bytes : 4, off);

	if (rc < 0)
		return eng_errorf(err, "vGPU arena: no room for %s (%llu bytes; arena %llu MiB): %s",
				  what, (unsigned long long)bytes,
				  (unsigned long long)(vgpu_arena_size(m->g) >> 20),
				  strerror(-rc));
	return 0;
}

void eng_arena_free(struct eng_model *m, uint64_t *off)
{
	if (*off != VGPU_NO_OFF)
		vgpu_free(m->g, *off);
	*off = VGPU_NO_OFF;
}

int eng_vgpu_check(int rc, const char *what, struct eng_err *err)
{
	if (rc < 0)
		return eng_errorf(err, "vGPU: queueing %s failed: %s", what, strerror(-rc));
	return 0;
}

int eng_vgpu_sync(struct eng_model *m, const char *what, struct eng_err *err)
{
	int rc = vgpu_sync(m->g);
	struct vgpu_cqe e;

	if (rc == 0)
		return 0;
	if (rc != -EREMOTEIO)
		return eng_errorf(err, "vGPU: %s: %s", what, strerror(-rc));
	memset(&e, 0, sizeof(e));
	while (vgpu_next_error(m->g, &e) > 0)
		if (e.status != VGPU_OK)
			break;
	if (e.status == VGPU_E_NONFINITE)
		return eng_errorf(err, "%s: NaN or infinite values (opcode %u%s%u); "
				  "lower the learning rate or scale the inputs",
				  what, e.opcode, e.graph_pos ? ", graph command " : "",
				  e.graph_pos);
	return eng_errorf(err, "vGPU: %s: command (opcode %u, graph position %u) failed: %s",
			  what, e.opcode, e.graph_pos, vgpu_strerror(e.status));
}

uint32_t eng_target_cols(const struct eng_arch *arch)
{
	return arch->loss == ENG_LOSS_XENT ? 1 : eng_arch_outputs(arch);
}

static int model_new(struct vgpu *g, const struct eng_arch *arch,
		     enum eng_param_kind kind, struct eng_model **out,
		     struct eng_err *err)
{
	struct eng_model *m;

	*out = NULL;
	if (eng_arch_check(arch, err) < 0)
		return -1;
	m = calloc(1, sizeof(*m));
	if (!m)
		return eng_errorf(err, "out of memory");
	m->g = g;
	m->arch = *arch;
	m->kind = kind;
	m->n_params = eng_arch_param_count(arch);
	m->params = m->grads = m->q = m->qpairs = m->qbias = VGPU_NO_OFF;
	if (eng_scaler_identity(eng_arch_inputs(arch), &m->scaler, err) < 0) {
		free(m);
		return -1;
	}
	if (kind == ENG_PARAMS_F32) {
		if (eng_arena_alloc(m, m->n_params * 4, "parameters", &m->params, err) < 0 ||
		    eng_arena_alloc(m, m->n_params * 4, "gradients", &m->grads, err) < 0)
			goto fail;
	} else {
		uint64_t nq = eng_q_arena_offset(arch, arch->n_layers);
		size_t nc = eng_params_col_offset(arch, arch->n_layers);

		if (eng_arena_alloc(m, nq, "int8 weights", &m->q, err) < 0 ||
		    eng_arena_alloc(m, (uint64_t)arch->n_layers * 8, "int8 scales",
				    &m->qpairs, err) < 0 ||
		    eng_arena_alloc(m, nc * 4, "biases", &m->qbias, err) < 0)
			goto fail;
		/* Each layer's zero row (where float models keep b). */
		memset(vgpu_ptr(g, m->q), 0, nq);
	}
	*out = m;
	return 0;
fail:
	eng_model_free(m);
	return -1;
}

int eng_model_create(struct vgpu *g, const struct eng_arch *arch,
		     uint64_t seed, struct eng_model **out, struct eng_err *err)
{
	if (model_new(g, arch, ENG_PARAMS_F32, out, err) < 0)
		return -1;
	eng_init_params(arch, seed, vgpu_ptr(g, (*out)->params));
	return 0;
}

int eng_model_from_params(struct vgpu *g, const struct eng_params *p,
			  struct eng_model **out, struct eng_err *err)
{
	struct eng_model *m;
	const struct eng_arch *a = &p->arch;

	if (p->scaler.d != eng_arch_inputs(a))
		return eng_errorf(err, "scaler width %zu does not match %u inputs",
				  p->scaler.d, eng_arch_inputs(a));
	if (model_new(g, a, p->kind, &m, err) < 0)
		return -1;
	memcpy(m->scaler.offset, p->scaler.offset, p->scaler.d * sizeof(float));
	memcpy(m->scaler.mul, p->scaler.mul, p->scaler.d * sizeof(float));
	if (p->kind == ENG_PARAMS_F32) {
		memcpy(vgpu_ptr(g, m->params), p->f, m->n_params * 4);
	} else {
		float *pairs = vgpu_ptr(g, m->qpairs);

		int8_t *q = vgpu_ptr(g, m->q);

		for (uint32_t l = 0; l < a->n_layers; l++)
			memcpy(q + eng_q_arena_offset(a, l), p->q + eng_params_q_offset(a, l),
			       (size_t)a->layer[l].in * a->layer[l].out);
		memcpy(vgpu_ptr(g, m->qbias), p->qbias,
		       eng_params_col_offset(a, a->n_layers) * 4);
		/* pairs[2l] is the activation scale QUANTIZE_I8 writes. */
		for (uint32_t l = 0; l < a->n_layers; l++) {
			pairs[2 * l] = 1.0f;
			pairs[2 * l + 1] = p->qscale[l];
		}
	}
	*out = m;
	return 0;
}

int eng_model_to_params(struct eng_model *m, struct eng_params *p,
			struct eng_err *err)
{
	const struct eng_arch *a = &m->arch;

	if (eng_vgpu_sync(m, "reading the parameters", err) < 0)
		return -1;
	if (eng_params_alloc(p, a, m->kind, err) < 0)
		return -1;
	memcpy(p->scaler.offset, m->scaler.offset, m->scaler.d * sizeof(float));
	memcpy(p->scaler.mul, m->scaler.mul, m->scaler.d * sizeof(float));
	if (m->kind == ENG_PARAMS_F32) {
		memcpy(p->f, vgpu_ptr(m->g, m->params), m->n_params * 4);
	} else {
		const float *pairs = vgpu_ptr(m->g, m->qpairs);

		const int8_t *q = vgpu_ptr(m->g, m->q);

		for (uint32_t l = 0; l < a->n_layers; l++)
			memcpy(p->q + eng_params_q_offset(a, l), q + eng_q_arena_offset(a, l),
			       (size_t)a->layer[l].in * a->layer[l].out);
		memcpy(p->qbias, vgpu_ptr(m->g, m->qbias),
		       eng_params_col_offset(a, a->n_layers) * 4);
		for (uint32_t l = 0; l < a->n_layers; l++)
			p->qscale[l] = pairs[2 * l + 1];
	}
	return 0;
}

void eng_model_free(struct eng_model *m)
{
	if (!m)
		return;
	eng_workspace_free(m);
	eng_arena_free(m, &m->params);
	eng_arena_free(m, &m->grads);
	eng_arena_free(m, &m->q);
	eng_arena_free(m, &m->qpairs);
	eng_arena_free(m, &m->qbias);
	eng_scaler_free(&m->scaler);
	free(m);
}

const struct eng_arch *eng_model_arch(const struct eng_model *m)
{
	return &m->arch;
}

bool eng_model_quantized(const struct eng_model *m)
{
	return m->kind == ENG_PARAMS_I8;
}

struct eng_scaler *eng_model_scaler(struct eng_model *m)
{
	return &m->scaler;
}
