/*
 * engine.h - the aivisor training and inference engine: a Keras-like
 * sequential model of Dense layers whose parameters, gradients, optimizer
 * state and activations live in a vGPU arena, and whose arithmetic runs
 * as vGPU commands.
 *
 *   struct eng_model *m;
 *   eng_model_create(gpu, &arch, seed, &m, &err);      // Glorot/He init
 *   eng_model_fit(m, &opt, &train, &cfg, &err);          // one graph per epoch
 *   eng_model_evaluate(m, &test, &metrics, &err);
 *   eng_model_predict(m, x, n, out, &err);
 *
 * Data handed to the model is already scaled (eng_model_scaler() holds the
 * scaler that goes into the model file with the weights).  Each call
 * returns 0, or -1 with err filled; vGPU failures are reported with the
 * failing command.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_arch.h"
#include "engine_data.h"
#include "engine_error.h"
#include "engine_params.h"

struct vgpu;
struct eng_model;

enum eng_opt_kind {
	ENG_OPT_SGD,
	ENG_OPT_MOMENTUM,
	ENG_OPT_ADAM,
};

struct eng_optimizer {
	enum eng_opt_kind kind;
	float lr;
	float momentum;	    /* MOMENTUM; 0.9 is usual */
	float beta1, beta2; /* ADAM; 0.9, 0.999 */
	float eps;	    /* ADAM; 1e-7 */
	float weight_decay; /* L2, added to the gradient */
};

/* Defaults for `kind` with learning rate lr. */
void eng_optimizer_defaults(enum eng_opt_kind kind, float lr,
			    struct eng_optimizer *opt);
int eng_optimizer_parse(const char *name, enum eng_opt_kind *kind,
			struct eng_err *err);

struct eng_metrics {
	size_t n;	 /* samples */
	double loss;	 /* mean loss */
	double accuracy; /* classification: fraction correct */
	double mse;	 /* regression: mean squared error */
	double r2;	 /* regression: coefficient of determination */
};

struct eng_epoch {
	uint32_t epoch, epochs; /* 1-based */
	struct eng_metrics train;
	bool has_val;
	struct eng_metrics val;
	double ms; /* wall time of the epoch's training (not validation) */
};

struct eng_fit_config {
	uint32_t epochs;
	uint32_t batch;
	uint64_t seed;	  /* shuffles and the validation split */
	double val_split; /* 0: none; else this share of the training rows */
	/* Called after every epoch; a non-zero return stops training. */
	int (*progress)(const struct eng_epoch *e, void *ctx);
	void *ctx;
};

/* A fresh float model with Glorot-uniform weights (He-uniform before ReLU),
 * zero biases, an identity scaler. */
int eng_model_create(struct vgpu *g, const struct eng_arch *arch,
		     uint64_t seed, struct eng_model **out, struct eng_err *err);
/* A model from parameters (float or int8), e.g. loaded from a file. */
int eng_model_from_params(struct vgpu *g, const struct eng_params *p,
			  struct eng_model **out, struct eng_err *err);
/* Copies the parameters back from the arena (for saving). */
int eng_model_to_params(struct eng_model *m, struct eng_params *p,
			struct eng_err *err);
void eng_model_free(struct eng_model *m);
/* The model file (docs/MODEL-FORMAT.md); file_bytes (may be NULL) gets its
 * size. */
int eng_model_save(struct eng_model *m, const char *path, size_t *file_bytes,
		   struct eng_err *err);
int eng_model_load(struct vgpu *g, const char *path, struct eng_model **m,
		   size_t *file_bytes, struct eng_err *err);

const struct eng_arch *eng_model_arch(const struct eng_model *m);
bool eng_model_quantized(const struct eng_model *m);
struct eng_scaler *eng_model_scaler(struct eng_model *m);

/* Trains on `train` (its classes must match the model's).  Progress goes to
 * cfg->progress once per epoch.  A NaN or infinite loss stops training with
 * an error naming the epoch. */
int eng_model_fit(struct eng_model *m, const struct eng_optimizer *opt,
		  const struct eng_dataset *train,
		  const struct eng_fit_config *cfg, struct eng_err *err);
int eng_model_evaluate(struct eng_model *m, const struct eng_dataset *ds,
		       struct eng_metrics *out, struct eng_err *err);
/* out: n x outputs floats; class probabilities for a softmax model. */
int eng_model_predict(struct eng_model *m, const float *x, size_t n,
		      float *out, struct eng_err *err);
/* Mean loss over n rows and its gradient with respect to every parameter
 * (grads: eng_arch_param_count() floats, the parameter layout); float
 * models only.  For checks and tools: fit does not go through it. */
int eng_model_gradients(struct eng_model *m, const float *x, const float *y,
			size_t n, double *loss, float *grads, struct eng_err *err);

/* Post-training int8 quantization: a new int8 model from a float one. */
int eng_model_quantize(struct eng_model *m, struct eng_model **out,
		       struct eng_err *err);

#endif
