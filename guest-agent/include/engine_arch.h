/*
 * engine_arch.h - a model's architecture: a stack of Dense layers, each
 * with an activation, and the loss it is trained with.
 *
 * Text form ("spec"): layer widths joined by '-', inputs first, e.g.
 * "64-128-64-10" is Dense(128) -> Dense(64) -> Dense(10) on 64 inputs.
 * Hidden layers use one activation; the output layer's follows from the
 * loss: softmax for cross-entropy, linear for MSE.
 */
#ifndef ENGINE_ARCH_H
#define ENGINE_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "engine_error.h"

#define ENG_MAX_LAYERS 16
#define ENG_MAX_WIDTH 8192

enum eng_act {
	ENG_ACT_LINEAR = 0,
	ENG_ACT_RELU = 1,
	ENG_ACT_SIGMOID = 2,
	ENG_ACT_TANH = 3,
	ENG_ACT_SOFTMAX = 4, /* output layer only, with cross-entropy */
};

enum eng_loss {
	ENG_LOSS_MSE = 0,
	ENG_LOSS_XENT = 1, /* softmax cross-entropy on integer class labels */
};

struct eng_dense {
	uint32_t in, out;
	enum eng_act act;
};

struct eng_arch {
	uint32_t n_layers;
	enum eng_loss loss;
	struct eng_dense layer[ENG_MAX_LAYERS];
};

int eng_act_parse(const char *name, enum eng_act *act, struct eng_err *err);
const char *eng_act_name(enum eng_act act);
int eng_loss_parse(const char *name, enum eng_loss *loss, struct eng_err *err);
const char *eng_loss_name(enum eng_loss loss);

/* Keras-like building: start with the input width and the loss, then add
 * Dense layers in order (check with eng_arch_check when done). */
void eng_arch_init(struct eng_arch *arch, enum eng_loss loss);
int eng_arch_add_dense(struct eng_arch *arch, uint32_t in, uint32_t units,
		       enum eng_act act, struct eng_err *err);

/* Builds an arch from a spec; `hidden` is the hidden layers' activation. */
int eng_arch_parse(const char *spec, enum eng_act hidden, enum eng_loss loss,
		   struct eng_arch *arch, struct eng_err *err);
/* Checks widths, chaining, activations against the loss. */
int eng_arch_check(const struct eng_arch *arch, struct eng_err *err);
/* Writes the spec form ("64-128-64-10") into buf. */
void eng_arch_format(const struct eng_arch *arch, char *buf, size_t len);

uint32_t eng_arch_inputs(const struct eng_arch *arch);
uint32_t eng_arch_outputs(const struct eng_arch *arch);
/* Float parameters: every layer's weights (in x out, row-major) then its
 * bias (out), layer after layer. */
size_t eng_arch_param_count(const struct eng_arch *arch);
size_t eng_arch_weight_offset(const struct eng_arch *arch, uint32_t layer);
size_t eng_arch_bias_offset(const struct eng_arch *arch, uint32_t layer);
/* Number of classes for cross-entropy models, 0 for regression. */
unsigned eng_arch_classes(const struct eng_arch *arch);

#endif
