/* params.c - allocation and layout of a model's host-side parameters. */
#include <stdlib.h>
#include <string.h>

#include "engine_params.h"

size_t eng_params_q_offset(const struct eng_arch *a, uint32_t l)
{
	size_t off = 0;

	for (uint32_t i = 0; i < l; i++)
		off += (size_t)a->layer[i].in * a->layer[i].out;
	return off;
}

size_t eng_params_col_offset(const struct eng_arch *a, uint32_t l)
{
	size_t off = 0;

	for (uint32_t i = 0; i < l; i++)
		off += a->layer[i].out;
	return off;
}

int eng_params_alloc(struct eng_params *p, const struct eng_arch *arch,
		     enum eng_param_kind kind, struct eng_err *err)
{
	memset(p, 0, sizeof(*p));
	if (eng_arch_check(arch, err) < 0)
		return -1;
	p->arch = *arch;
	p->kind = kind;
	if (eng_scaler_identity(eng_arch_inputs(arch), &p->scaler, err) < 0)
		return -1;
	if (kind == ENG_PARAMS_F32) {
		p->f = calloc(eng_arch_param_count(arch), sizeof(float));
		if (!p->f)
			goto oom;
	} else {
		size_t nq = eng_params_q_offset(arch, arch->n_layers);
		size_t nc = eng_params_col_offset(arch, arch->n_layers);

		p->q = calloc(nq, 1);
		p->qscale = calloc(arch->n_layers, sizeof(float));
		p->qbias = calloc(nc, sizeof(float));
		if (!p->q || !p->qscale || !p->qbias)
			goto oom;
	}
	return 0;
oom:
	eng_params_free(p);
	return eng_errorf(err, "out of memory for model parameters");
}

void eng_params_free(struct eng_params *p)
{
	eng_scaler_free(&p->scaler);
	free(p->f);
	free(p->q);
	free(p->qscale);
	free(p->qbias);
	memset(p, 0, sizeof(*p));
}
