/*
 * cmd_eval.c - `eval` (metrics of a saved model on a CSV) and `predict`
 * (one prediction per line).  Both scale the raw rows with the scaler
 * stored in the model file, as training did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "vgpu_client.h"

void agent_model_data_free(struct agent_model_data *c)
{
	eng_model_free(c->m);
	if (c->g)
		vgpu_close(c->g);
	eng_dataset_free(&c->ds);
}

int agent_model_data_open(const char *model, const char *data, const char *label,
			  bool labelled, double test_split, uint64_t seed,
			  struct agent_model_data *c, struct eng_err *err)
{
	const struct eng_arch *a;

	memset(c, 0, sizeof(*c));
	if (agent_open_vgpu(&c->g, err) < 0 ||
	    eng_model_load(c->g, model, &c->m, &c->model_bytes, err) < 0)
		return -1;
	a = eng_model_arch(c->m);
	if (agent_load_dataset(data, label, labelled ? eng_arch_classes(a) : 0, model,
			       eng_arch_inputs(a), &c->ds, err) < 0)
		return -1;
	if (agent_test_rows(&c->ds, test_split, seed, err) < 0)
		return -1;
	return eng_scaler_apply(eng_model_scaler(c->m), &c->ds, err);
}

static void print_eval(const char *what, struct eng_model *m, const struct eng_metrics *mt)
{
	if (eng_model_arch(m)->loss == ENG_LOSS_XENT)
		printf("%s: loss %.4f accuracy %.4f (%zu rows)\n", what, mt->loss, mt->accuracy,
		       mt->n);
	else
		printf("%s: mse %.6f r2 %.6f (%zu rows)\n", what, mt->mse, mt->r2, mt->n);
}

int cmd_eval(int argc, char **argv)
{
	struct agent_opt o[] = {
		{ "model", NULL, false }, { "data", NULL, false }, { "label", "label", false },
		{ "test-split", "0", false }, { "seed", "42", false },
	};
	struct eng_err err;
	struct agent_model_data c;
	struct eng_metrics mt;
	double split;
	uint64_t seed;
	char spec[128];

	if (agent_parse_opts(argc, argv, o, 5, &err) < 0 ||
	    ((!o[0].value || !o[1].value) &&
	     eng_errorf(&err, "eval needs --model FILE and --data CSV") < 0) ||
	    agent_double("test-split", o[3].value, 0.0, 0.9, &split, &err) < 0 ||
	    agent_u64("seed", o[4].value, &seed, &err) < 0) {
		fprintf(stderr, "aivisor-agent eval: %s\n", err.msg);
		return AGENT_EXIT_USAGE;
	}
	if (agent_model_data_open(o[0].value, o[1].value, o[2].value, true, split, seed, &c,
				 &err) < 0 ||
	    eng_model_evaluate(c.m, &c.ds, &mt, &err) < 0) {
		fprintf(stderr, "aivisor-agent eval: %s\n", err.msg);
		agent_model_data_free(&c);
		return AGENT_EXIT_FAIL;
	}
	eng_arch_format(eng_model_arch(c.m), spec, sizeof(spec));
	printf("model: %s %s %s %s, %zu bytes\n", spec,
	       eng_act_name(eng_model_arch(c.m)->layer[0].act),
	       eng_loss_name(eng_model_arch(c.m)->loss),
	       eng_model_quantized(c.m) ? "int8" : "float32", c.model_bytes);
	print_eval("eval", c.m, &mt);
	agent_model_data_free(&c);
	return 0;
}

void agent_print_prediction(FILE *f, const struct eng_arch *a, const float *out,
			    bool proba)
{
	uint32_t k = eng_arch_outputs(a);

	if (a->loss == ENG_LOSS_XENT && !proba) {
		uint32_t best = 0;

		for (uint32_t j = 1; j < k; j++)
			best = out[j] > out[best] ? j : best;
		fprintf(f, "%u\n", best);
		return;
	}
	for (uint32_t j = 0; j < k; j++)
		fprintf(f, j + 1 < k ? "%.6g," : "%.6g\n", (double)out[j]);
}

int cmd_predict(int argc, char **argv)
{
	struct agent_opt o[] = {
		{ "model", NULL, false }, { "data", NULL, false }, { "label", NULL, false },
		{ "proba", NULL, true },
	};
	struct eng_err err;
	struct agent_model_data c;
	float *out = NULL;
	const struct eng_arch *a;

	if (agent_parse_opts(argc, argv, o, 4, &err) < 0 ||
	    ((!o[0].value || !o[1].value) &&
	     eng_errorf(&err, "predict needs --model FILE and --data CSV") < 0)) {
		fprintf(stderr, "aivisor-agent predict: %s\n", err.msg);
		return AGENT_EXIT_USAGE;
	}
	if (agent_model_data_open(o[0].value, o[1].value, o[2].value, false, 0.0, 0, &c,
				 &err) < 0)
		goto fail;
	a = eng_model_arch(c.m);
	out = malloc(c.ds.n * eng_arch_outputs(a) * sizeof(float));
	if (!out) {
		eng_errorf(&err, "out of memory");
		goto fail;
	}
	if (eng_model_predict(c.m, c.ds.x, c.ds.n, out, &err) < 0)
		goto fail;
	for (size_t i = 0; i < c.ds.n; i++)
		agent_print_prediction(stdout, a, out + i * eng_arch_outputs(a),
				       o[3].value != NULL);
	free(out);
	agent_model_data_free(&c);
	return 0;
fail:
	fprintf(stderr, "aivisor-agent predict: %s\n", err.msg);
	free(out);
	agent_model_data_free(&c);
	return AGENT_EXIT_FAIL;
}
