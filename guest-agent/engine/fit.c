/*
 * fit.c - training.
 *
 * The whole epoch is recorded once as vGPU graphs: for every step, gather
 * the batch's rows from the training set (uploaded once) through a slice of
 * a permutation in the arena, forward, loss, backward, one optimizer
 * command.  Each epoch the tenant only rewrites the permutation (and Adam's
 * step numbers), launches the graph, waits once, and reads two numbers: the
 * epoch's mean loss and its correct count.  So an epoch costs one doorbell,
 * however many steps it has.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_rng.h"
#include "evaluate.h"
#include "optimizer.h"

#define EVAL_ROWS 256u
#define GRAPH_SLACK 16u

struct fit_run {
	struct eng_model *m;
	const struct eng_fit_config *cfg;
	struct eng_device_data tr, val;
	bool has_val;
	double val_sst;
	uint32_t batch, steps;
	uint64_t perm;		/* int32[n]: this epoch's row order */
	struct eng_opt_state opt;
	struct vgpu_graph *graphs;
	uint32_t n_graphs;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* An upper bound on the commands one step records. */
static uint32_t cmds_per_step(const struct eng_model *m)
{
	return 8 * m->arch.n_layers + 8;
}

static int encode_step(struct fit_run *r, uint32_t s)
{
	struct eng_model *m = r->m;
	uint32_t n = (uint32_t)r->tr.n;
	uint32_t first = s * r->batch;
	uint32_t rows = n - first < r->batch ? n - first : r->batch;
	uint64_t idx = r->perm + (uint64_t)first * 4;
	uint32_t tc = eng_target_cols(&m->arch);
	int rc;

	rc = vgpu_gather_rows(m->g, r->tr.x, n, (uint32_t)r->tr.d + 1, idx, rows, m->ws.x);
	if (rc == 0)
		rc = vgpu_gather_rows(m->g, r->tr.y, n, tc, idx, rows, m->ws.y);
	if (rc == 0)
		rc = eng_encode_forward(m, m->ws.x, rows);
	if (rc == 0)
		rc = eng_encode_loss(m, m->ws.y, rows, true, (float)rows / (float)n);
	if (rc == 0)
		rc = eng_encode_backward(m, m->ws.x, rows);
	if (rc == 0)
		rc = eng_opt_encode_step(m, &r->opt, s);
	return rc;
}

static int record_epoch(struct fit_run *r, struct eng_err *err)
{
	uint32_t per_graph = (VGPU_GRAPH_MAX - GRAPH_SLACK) / cmds_per_step(r->m);
	uint32_t s = 0;

	r->n_graphs = (r->steps + per_graph - 1) / per_graph;
	r->graphs = calloc(r->n_graphs, sizeof(*r->graphs));
	if (!r->graphs)
		return eng_errorf(err, "out of memory");
	for (uint32_t gi = 0; gi < r->n_graphs; gi++) {
		int rc = vgpu_graph_begin(r->m->g);

		if (rc == 0 && gi == 0)
			rc = vgpu_fill(r->m->g, r->m->ws.sums, 2, 0.0f);
		for (uint32_t k = 0; rc == 0 && k < per_graph && s < r->steps; k++, s++)
			rc = encode_step(r, s);
		if (rc == 0)
			rc = vgpu_graph_end(r->m->g, &r->graphs[gi]);
		else
			vgpu_graph_end(r->m->g, &r->graphs[gi]);
		if (eng_vgpu_check(rc, "recording the training step", err) < 0)
			return -1;
	}
	return 0;
}

static int run_epoch(struct fit_run *r, struct eng_rng *rng, uint32_t *order,
		     uint32_t epoch, struct eng_metrics *mt, struct eng_err *err)
{
	struct eng_model *m = r->m;
	int32_t *perm = vgpu_ptr(m->g, r->perm);
	const float *sums = vgpu_ptr(m->g, m->ws.sums);
	int32_t correct;
	char what[64];

	eng_rng_shuffle_u32(rng, order, r->tr.n);
	for (size_t i = 0; i < r->tr.n; i++)
		perm[i] = (int32_t)order[i];
	eng_opt_next_round(m, &r->opt);
	for (uint32_t gi = 0; gi < r->n_graphs; gi++)
		if (eng_vgpu_check(vgpu_graph_launch(m->g, &r->graphs[gi]),
				   "launching the epoch", err) < 0)
			return -1;
	snprintf(what, sizeof(what), "training epoch %u", epoch);
	if (eng_vgpu_sync(m, what, err) < 0)
		return -1;
	memset(mt, 0, sizeof(*mt));
	memcpy(&correct, &sums[1], 4);
	mt->n = r->tr.n;
	mt->loss = sums[0];
	if (!isfinite(mt->loss))
		return eng_errorf(err, "training epoch %u: the loss is NaN or infinite; "
				  "lower the learning rate or scale the inputs", epoch);
	if (m->arch.loss == ENG_LOSS_XENT)
		mt->accuracy = (double)correct / (double)r->tr.n;
	else
		mt->mse = mt->loss;
	return 0;
}

static int check_config(const struct eng_model *m, const struct eng_dataset *train,
			const struct eng_fit_config *cfg, struct eng_err *err)
{
	if (m->kind != ENG_PARAMS_F32)
		return eng_errorf(err, "a quantized model cannot be trained");
	if (cfg->epochs == 0 || cfg->epochs > 1000000)
		return eng_errorf(err, "epochs %u: want 1..1000000", cfg->epochs);
	if (cfg->batch == 0 || cfg->batch > 65536)
		return eng_errorf(err, "batch %u: want 1..65536", cfg->batch);
	if (!(cfg->val_split >= 0.0 && cfg->val_split < 1.0))
		return eng_errorf(err, "validation split %g: want [0, 1)", cfg->val_split);
	if (train->n < 2)
		return eng_errorf(err, "training needs at least 2 rows, got %zu", train->n);
	return 0;
}

static int prepare(struct fit_run *r, const struct eng_optimizer *opt,
		   const struct eng_dataset *train, struct eng_err *err)
{
	struct eng_model *m = r->m;
	struct eng_dataset tr = *train, val;
	bool split = r->cfg->val_split > 0.0;
	int rc = -1;

	if (split && eng_dataset_split(train, r->cfg->val_split, r->cfg->seed ^ 0x5eed,
				       train->classes > 0, &tr, &val, err) < 0)
		return -1;
	r->has_val = split;
	r->batch = r->cfg->batch < tr.n ? r->cfg->batch : (uint32_t)tr.n;
	r->steps = (uint32_t)((tr.n + r->batch - 1) / r->batch);
	if (eng_workspace_ensure(m, r->batch > EVAL_ROWS ? r->batch : EVAL_ROWS, err) < 0 ||
	    eng_device_data_upload(m, &tr, &r->tr, err) < 0 ||
	    (split && eng_device_data_upload(m, &val, &r->val, err) < 0) ||
	    eng_arena_alloc(m, (uint64_t)tr.n * 4, "the permutation", &r->perm, err) < 0 ||
	    eng_opt_state_init(m, opt, r->steps, &r->opt, err) < 0 ||
	    record_epoch(r, err) < 0)
		goto out;
	if (split && m->arch.loss == ENG_LOSS_MSE)
		r->val_sst = eng_target_sst(&val);
	rc = 0;
out:
	if (split) {
		eng_dataset_free(&tr);
		eng_dataset_free(&val);
	}
	return rc;
}

static void release(struct fit_run *r)
{
	struct eng_model *m = r->m;

	for (uint32_t gi = 0; r->graphs && gi < r->n_graphs; gi++)
		vgpu_graph_free(m->g, &r->graphs[gi]);
	free(r->graphs);
	eng_opt_state_free(m, &r->opt);
	eng_arena_free(m, &r->perm);
	eng_device_data_free(m, &r->tr);
	eng_device_data_free(m, &r->val);
}

int eng_model_fit(struct eng_model *m, const struct eng_optimizer *opt,
		  const struct eng_dataset *train,
		  const struct eng_fit_config *cfg, struct eng_err *err)
{
	struct fit_run r = { .m = m, .cfg = cfg };
	struct eng_rng rng;
	uint32_t *order = NULL;
	int rc = -1;

	r.tr.x = r.tr.y = r.val.x = r.val.y = r.perm = VGPU_NO_OFF;
	r.opt.s1 = r.opt.s2 = r.opt.hyper = VGPU_NO_OFF;
	if (check_config(m, train, cfg, err) < 0 || prepare(&r, opt, train, err) < 0)
		goto out;
	order = malloc(r.tr.n * sizeof(*order));
	if (!order) {
		eng_errorf(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r.tr.n; i++)
		order[i] = (uint32_t)i;
	eng_rng_seed(&rng, cfg->seed);
	for (uint32_t e = 1; e <= cfg->epochs; e++) {
		struct eng_epoch ep = { .epoch = e, .epochs = cfg->epochs, .has_val = r.has_val };
		double t0 = now_ms();

		if (run_epoch(&r, &rng, order, e, &ep.train, err) < 0)
			goto out;
		ep.ms = now_ms() - t0;
		if (r.has_val && eng_eval_device(m, &r.val, r.val_sst, &ep.val, err) < 0)
			goto out;
		if (cfg->progress && cfg->progress(&ep, cfg->ctx) != 0)
			break;
	}
	rc = 0;
out:
	free(order);
	release(&r);
	return rc;
}
