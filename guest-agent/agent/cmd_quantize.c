/*
 * cmd_quantize.c - `aivisor-agent quantize`: post-training int8
 * quantization of a saved float model, with accuracy and size before and
 * after when given data to measure on.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "vgpu_client.h"

static void report(const char *what, const struct eng_arch *a, const struct eng_metrics *mt,
		   size_t bytes)
{
	if (!mt)
		printf("%s: %zu bytes\n", what, bytes);
	else if (a->loss == ENG_LOSS_XENT)
		printf("%s: accuracy %.4f loss %.4f, %zu bytes\n", what, mt->accuracy, mt->loss,
		       bytes);
	else
		printf("%s: mse %.6f r2 %.6f, %zu bytes\n", what, mt->mse, mt->r2, bytes);
}

static int quantize(const struct agent_opt *o, double split, uint64_t seed,
		    struct eng_err *err)
{
	struct agent_model_data c;
	struct eng_model *q = NULL;
	struct eng_metrics before, after;
	const char *data = o[2].value;
	size_t qbytes;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	if (data) {
		if (agent_model_data_open(o[0].value, data, o[3].value, true, split, seed, &c,
					  err) < 0)
			goto out;
	} else if (agent_open_vgpu(&c.g, err) < 0 ||
		   eng_model_load(c.g, o[0].value, &c.m, &c.model_bytes, err) < 0) {
		goto out;
	}
	if (eng_model_quantize(c.m, &q, err) < 0 ||
	    (data && (eng_model_evaluate(c.m, &c.ds, &before, err) < 0 ||
		      eng_model_evaluate(q, &c.ds, &after, err) < 0)) ||
	    eng_model_save(q, o[1].value, &qbytes, err) < 0)
		goto out;
	report("float32", eng_model_arch(c.m), data ? &before : NULL, c.model_bytes);
	report("int8", eng_model_arch(q), data ? &after : NULL, qbytes);
	if (data && eng_model_arch(q)->loss == ENG_LOSS_XENT)
		printf("accuracy change: %+.2f points", 100.0 * (after.accuracy - before.accuracy));
	else if (data)
		printf("r2 change: %+.4f", after.r2 - before.r2);
	printf("%ssize: %.2fx smaller; saved %s\n", data ? "; " : "",
	       (double)c.model_bytes / (double)qbytes, o[1].value);
	rc = 0;
out:
	eng_model_free(q);
	agent_model_data_free(&c);
	return rc;
}

int cmd_quantize(int argc, char **argv)
{
	struct agent_opt o[] = {
		{ "model", NULL, false }, { "out", NULL, false }, { "data", NULL, false },
		{ "label", "label", false }, { "test-split", "0", false }, { "seed", "42", false },
	};
	struct eng_err err;
	double split;
	uint64_t seed;

	if (agent_parse_opts(argc, argv, o, 6, &err) < 0 ||
	    ((!o[0].value || !o[1].value) &&
	     eng_errorf(&err, "quantize needs --model FILE and --out FILE") < 0) ||
	    agent_double("test-split", o[4].value, 0.0, 0.9, &split, &err) < 0 ||
	    agent_u64("seed", o[5].value, &seed, &err) < 0) {
		fprintf(stderr, "aivisor-agent quantize: %s\n", err.msg);
		return AGENT_EXIT_USAGE;
	}
	if (quantize(o, split, seed, &err) < 0) {
		fprintf(stderr, "aivisor-agent quantize: %s\n", err.msg);
		return AGENT_EXIT_FAIL;
	}
	return 0;
}
