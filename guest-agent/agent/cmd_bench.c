/*
 * cmd_bench.c - `aivisor-agent bench`: the engine's benchmark workloads,
 * run where the agent runs (microVM or host process):
 *   - training: the digits recipe (80/20 stratified split, seed 42,
 *     pixels / 16, 64-128-64-10 ReLU, SGD lr 0.1, batch 32); the median
 *     epoch time and the final test accuracy;
 *   - inference: median latency of a batch of 1 and of 256 rows through
 *     eng_model_predict (copy in, forward on the vGPU, copy out).
 * Prints "bench NAME VALUE UNIT" lines for bench/engine.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "vgpu_client.h"

struct bench_cfg {
	const char *data, *label, *model;
	uint32_t epochs, runs;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

struct epoch_times {
	double *ms;
	uint32_t n;
};

static int record_epoch(const struct eng_epoch *e, void *ctx)
{
	struct epoch_times *t = ctx;

	t->ms[t->n++] = e->ms;
	return 0;
}

/* Median latency in microseconds of predicting `rows` rows, `runs` times. */
static int time_predict(struct eng_model *m, const struct eng_dataset *ds, size_t rows,
			uint32_t runs, double *us, struct eng_err *err)
{
	double *lat = malloc(runs * sizeof(*lat));
	float *out = malloc(rows * eng_arch_outputs(eng_model_arch(m)) * sizeof(float));
	int rc = -1;

	if (!lat || !out) {
		eng_errorf(err, "out of memory");
		goto out;
	}
	if (eng_model_predict(m, ds->x, rows, out, err) < 0) /* warm-up */
		goto out;
	for (uint32_t i = 0; i < runs; i++) {
		double t0 = agent_now_us();

		if (eng_model_predict(m, ds->x, rows, out, err) < 0)
			goto out;
		lat[i] = agent_now_us() - t0;
	}
	*us = median(lat, runs);
	rc = 0;
out:
	free(lat);
	free(out);
	return rc;
}

static int bench(const struct bench_cfg *c, struct eng_err *err)
{
	struct eng_arch arch;
	struct eng_dataset all = { 0 }, tr = { 0 }, te = { 0 };
	struct eng_scaler sc = { 0 };
	struct eng_optimizer opt;
	struct epoch_times t = { calloc(c->epochs, sizeof(double)), 0 };
	struct eng_fit_config fit = { .epochs = c->epochs, .batch = 32, .seed = 42,
				      .progress = record_epoch, .ctx = &t };
	struct vgpu *g = NULL;
	struct eng_model *m = NULL;
	struct eng_metrics mt;
	double b1, b256;
	int rc = -1;

	eng_optimizer_defaults(ENG_OPT_SGD, 0.1f, &opt);
	if (!t.ms) {
		eng_errorf(err, "out of memory");
		goto out;
	}
	if (eng_arch_parse(c->model, ENG_ACT_RELU, ENG_LOSS_XENT, &arch, err) < 0 ||
	    agent_load_dataset(c->data, c->label, eng_arch_classes(&arch), "--model",
			       eng_arch_inputs(&arch), &all, err) < 0 ||
	    eng_dataset_split(&all, 0.2, 42, true, &tr, &te, err) < 0 ||
	    eng_scaler_fit(ENG_SCALE_DIVISOR, 16.0, &tr, &sc, err) < 0 ||
	    eng_scaler_apply(&sc, &tr, err) < 0 || eng_scaler_apply(&sc, &te, err) < 0 ||
	    agent_open_vgpu(&g, err) < 0 || eng_model_create(g, &arch, 42, &m, err) < 0 ||
	    eng_model_fit(m, &opt, &tr, &fit, err) < 0 ||
	    eng_model_evaluate(m, &te, &mt, err) < 0)
		goto out;
	printf("bench train_epoch_ms %.3f ms (median of %u epochs, %zu rows, batch 32)\n",
	       median(t.ms, t.n), t.n, tr.n);
	printf("bench test_accuracy %.4f fraction (%zu rows)\n", mt.accuracy, mt.n);
	if (te.n < 256) {
		eng_errorf(err, "the inference benchmark needs 256 test rows, have %zu", te.n);
		goto out;
	}
	if (time_predict(m, &te, 1, c->runs, &b1, err) < 0 ||
	    time_predict(m, &te, 256, c->runs / 10 + 1, &b256, err) < 0)
		goto out;
	printf("bench infer_b1_us %.2f us (median of %u)\n", b1, c->runs);
	printf("bench infer_b256_us %.2f us (median of %u)\n", b256, c->runs / 10 + 1);
	rc = 0;
out:
	free(t.ms);
	eng_model_free(m);
	if (g)
		vgpu_close(g);
	eng_scaler_free(&sc);
	eng_dataset_free(&all);
	eng_dataset_free(&tr);
	eng_dataset_free(&te);
	return rc;
}

int cmd_bench(int argc, char **argv)
{
	struct agent_opt o[] = {
		{ "data", NULL, false }, { "label", "label", false },
		{ "model", "64-128-64-10", false }, { "epochs", "20", false },
		{ "runs", "2000", false },
	};
	struct bench_cfg c;
	struct eng_err err;

	if (agent_parse_opts(argc, argv, o, 5, &err) < 0 ||
	    (!o[0].value && eng_errorf(&err, "bench needs --data CSV (digits.csv)") < 0) ||
	    agent_u32("epochs", o[3].value, 1, 10000, &c.epochs, &err) < 0 ||
	    agent_u32("runs", o[4].value, 1, 10000000, &c.runs, &err) < 0) {
		fprintf(stderr, "aivisor-agent bench: %s\n", err.msg);
		return AGENT_EXIT_USAGE;
	}
	c.data = o[0].value;
	c.label = o[1].value;
	c.model = o[2].value;
	if (bench(&c, &err) < 0) {
		fprintf(stderr, "aivisor-agent bench: %s\n", err.msg);
		return AGENT_EXIT_FAIL;
	}
	return 0;
}
