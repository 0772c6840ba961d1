/*
 * agent.h - what aivisor-agent's verbs share: option parsing, loading
 * data the way training did, opening the vGPU.
 */
#ifndef AGENT_H
#define AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"

/* One `--name value` option; `value` keeps its default when absent. */
struct agent_opt {
	const char *name;
	const char *value;
	bool is_flag; /* takes no value; value becomes "1" */
};

/* Parses argv[0..argc) into opts; unknown options and stray words are
 * errors.  Returns 0 or -1 with err filled. */
int agent_parse_opts(int argc, char **argv, struct agent_opt *opts,
		     size_t n_opts, struct eng_err *err);
const char *agent_opt(const struct agent_opt *opts, size_t n_opts,
		      const char *name);
/* Numbers from option text, named in errors. */
int agent_u32(const char *name, const char *text, uint32_t lo, uint32_t hi,
	      uint32_t *out, struct eng_err *err);
int agent_u64(const char *name, const char *text, uint64_t *out,
	      struct eng_err *err);
int agent_double(const char *name, const char *text, double lo, double hi,
		 double *out, struct eng_err *err);

/* Reads a CSV into a dataset: `label` names the label column (NULL: none,
 * every column is a feature); classes as in eng_dataset_from_csv.  `model`
 * (NULL: no check) is what the features feed, for the error when their
 * number is not its `inputs`. */
int agent_load_dataset(const char *path, const char *label, unsigned classes,
		       const char *model, uint32_t inputs, struct eng_dataset *ds,
		       struct eng_err *err);
/*
 * The held-out test rows training used: with test_split > 0, the same
 * seeded (stratified for classes) split train did, keeping the test part;
 * with 0, all rows.  Replaces *ds.
 */
int agent_test_rows(struct eng_dataset *ds, double test_split, uint64_t seed,
		    struct eng_err *err);

int agent_open_vgpu(struct vgpu **g, struct eng_err *err);

/* A saved model in the vGPU and the rows of a CSV it should see, scaled
 * with the model's scaler.  labelled: the label column holds classes. */
struct agent_model_data {
	struct vgpu *g;
	struct eng_model *m;
	struct eng_dataset ds;
	size_t model_bytes;
};
int agent_model_data_open(const char *model, const char *data, const char *label,
			  bool labelled, double test_split, uint64_t seed,
			  struct agent_model_data *c, struct eng_err *err);
void agent_model_data_free(struct agent_model_data *c);
/* One line: the class index for a softmax model (its probabilities when
 * proba), else the output values. */
void agent_print_prediction(FILE *f, const struct eng_arch *a, const float *out,
			    bool proba);

double agent_now_us(void);

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Exit codes: 0 ok, 1 runtime failure, 2 usage error. */
#define AGENT_EXIT_FAIL 1
#define AGENT_EXIT_USAGE 2

#endif
