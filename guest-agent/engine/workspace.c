/*
 * workspace.c - the arena buffers for one batch's activations and
 * gradients, sized for a number of rows and reused by every batch.
 */
#include <string.h>

#include "model_internal.h"

static void ws_reset(struct eng_workspace *ws)
{
	ws->rows = 0;
	ws->x = ws->y = ws->x8 = ws->pred = ws->loss = ws->sums = VGPU_NO_OFF;
	for (unsigned l = 0; l < ENG_MAX_LAYERS; l++)
		ws->z[l] = ws->a[l] = ws->dz[l] = ws->da[l] = VGPU_NO_OFF;
}

void eng_workspace_free(struct eng_model *m)
{
	struct eng_workspace *ws = &m->ws;

	if (ws->rows == 0)
		return;
	eng_arena_free(m, &ws->x);
	eng_arena_free(m, &ws->y);
	eng_arena_free(m, &ws->x8);
	eng_arena_free(m, &ws->pred);
	eng_arena_free(m, &ws->loss);
	eng_arena_free(m, &ws->sums);
	for (unsigned l = 0; l < m->arch.n_layers; l++) {
		if (m->ws.a[l] != m->ws.z[l])
			eng_arena_free(m, &ws->a[l]);
		eng_arena_free(m, &ws->z[l]);
		eng_arena_free(m, &ws->dz[l]);
		eng_arena_free(m, &ws->da[l]);
	}
	ws_reset(ws);
}

static int ws_alloc(struct eng_model *m, uint32_t rows, struct eng_err *err)
{
	const struct eng_arch *a = &m->arch;
	struct eng_workspace *ws = &m->ws;
	uint64_t r = rows, widest = eng_arch_inputs(a);

	ws_reset(ws);
	ws->rows = rows;
	if (eng_arena_alloc(m, r * eng_arch_inputs(a) * 4, "the input batch", &ws->x, err) ||
	    eng_arena_alloc(m, r * eng_target_cols(a) * 4, "the target batch", &ws->y, err) ||
	    eng_arena_alloc(m, r * 4, "predictions", &ws->pred, err) ||
	    eng_arena_alloc(m, 4, "the loss", &ws->loss, err) ||
	    eng_arena_alloc(m, 8, "metric sums", &ws->sums, err))
		return -1;
	for (uint32_t l = 0; l < a->n_layers; l++) {
		const struct eng_dense *d = &a->layer[l];
		uint64_t bytes = r * d->out * 4;
		int hidden_act = d->act != ENG_ACT_LINEAR && d->act != ENG_ACT_SOFTMAX;

		widest = d->in > widest ? d->in : widest;
		if (eng_arena_alloc(m, bytes, "activations", &ws->z[l], err))
			return -1;
		ws->a[l] = ws->z[l];
		if (hidden_act && eng_arena_alloc(m, bytes, "activations", &ws->a[l], err))
			return -1;
		/* Int8 models do not train, but MSE always writes a gradient. */
		if (m->kind == ENG_PARAMS_I8 && l + 1 < a->n_layers)
			continue;
		if (eng_arena_alloc(m, bytes, "gradients", &ws->dz[l], err) ||
		    (l + 1 < a->n_layers &&
		     m->kind == ENG_PARAMS_F32 &&
		     eng_arena_alloc(m, bytes, "gradients", &ws->da[l], err)))
			return -1;
	}
	if (m->kind == ENG_PARAMS_I8 &&
	    eng_arena_alloc(m, r * widest, "int8 activations", &ws->x8, err))
		return -1;
	return 0;
}

int eng_workspace_ensure(struct eng_model *m, uint32_t rows, struct eng_err *err)
{
	if (rows == 0)
		return eng_errorf(err, "a batch needs at least one row");
	if (m->ws.rows >= rows)
		return 0;
	eng_workspace_free(m);
	if (ws_alloc(m, rows, err) < 0) {
		m->ws.rows = rows; /* free what was allocated */
		eng_workspace_free(m);
		return -1;
	}
	return 0;
}
