/*
 * workspace.c - the arena buffers for one batch's activations and
 * gradients, sized for a number of rows and reused by every batch.  The
 * constant columns of the bias folding (model_internal.h) are written here,
 * once per allocation.
 */
#include <math.h>
#include <string.h>

#include "model_internal.h"

static void ws_reset(struct eng_workspace *ws)
{
	ws->rows = 0;
	ws->x = ws->y = ws->x8 = ws->pred = ws->loss = ws->sums = VGPU_NO_OFF;
	for (unsigned l = 0; l < ENG_MAX_LAYERS; l++)
		ws->z[l] = ws->a[l] = ws->dz[l] = VGPU_NO_OFF;
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
		if (ws->a[l] != ws->z[l])
			eng_arena_free(m, &ws->a[l]);
		eng_arena_free(m, &ws->z[l]);
		eng_arena_free(m, &ws->dz[l]);
	}
	ws_reset(ws);
}

/* Sets column `col` of a rows x stride buffer to v. */
static void fill_column(struct eng_model *m, uint64_t buf, uint32_t rows,
			uint32_t stride, uint32_t col, float v)
{
	float *p = vgpu_ptr(m->g, buf);

	for (uint32_t r = 0; r < rows; r++)
		p[(size_t)r * stride + col] = v;
}

static int alloc_layer(struct eng_model *m, uint32_t l, uint32_t rows, struct eng_err *err)
{
	const struct eng_dense *d = &m->arch.layer[l];
	struct eng_workspace *ws = &m->ws;
	uint32_t stride = eng_stride(m, l);
	uint64_t bytes = (uint64_t)rows * stride * 4;
	bool hidden = l + 1 < m->arch.n_layers;
	bool separate = d->act == ENG_ACT_SIGMOID || d->act == ENG_ACT_TANH;

	if (eng_arena_alloc(m, bytes, "activations", &ws->z[l], err) < 0)
		return -1;
	ws->a[l] = ws->z[l];
	if (separate && eng_arena_alloc(m, bytes, "activations", &ws->a[l], err) < 0)
		return -1;
	/* MSE always writes a gradient, so the output layer of an int8 model
	 * needs one too; int8 models need no other gradient. */
	if ((m->kind == ENG_PARAMS_F32 || !hidden) &&
	    eng_arena_alloc(m, bytes, "gradients", &ws->dz[l], err) < 0)
		return -1;
	if (stride == d->out)
		return 0; /* no ones column */
	/* The ones column: f(v) = 1 exactly (sigmoid(+inf) = tanh(+inf) = 1). */
	fill_column(m, ws->z[l], rows, stride, d->out, separate ? INFINITY : 1.0f);
	if (ws->dz[l] != VGPU_NO_OFF)
		memset(vgpu_ptr(m->g, ws->dz[l]), 0, bytes);
	return 0;
}

static int ws_alloc(struct eng_model *m, uint32_t rows, struct eng_err *err)
{
	const struct eng_arch *a = &m->arch;
	struct eng_workspace *ws = &m->ws;
	uint64_t r = rows, widest = 0;

	ws_reset(ws);
	ws->rows = rows;
	if (eng_arena_alloc(m, r * (eng_arch_inputs(a) + 1) * 4, "the input batch", &ws->x, err) ||
	    eng_arena_alloc(m, r * eng_target_cols(a) * 4, "the target batch", &ws->y, err) ||
	    eng_arena_alloc(m, r * 4, "predictions", &ws->pred, err) ||
	    eng_arena_alloc(m, 4, "the loss", &ws->loss, err) ||
	    eng_arena_alloc(m, 8, "metric sums", &ws->sums, err))
		return -1;
	fill_column(m, ws->x, rows, eng_arch_inputs(a) + 1, eng_arch_inputs(a), 1.0f);
	for (uint32_t l = 0; l < a->n_layers; l++) {
		widest = eng_in_stride(m, l) > widest ? eng_in_stride(m, l) : widest;
		if (alloc_layer(m, l, rows, err) < 0)
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
