/*
 * model_internal.h - what the engine's files share about a model in the
 * vGPU arena: where its buffers are and the encoders that queue its work.
 * Not a public header.
 *
 * Arena layout of a float model: params (every layer's W then b, the
 * eng_arch_param_count() layout) and grads with the same layout, so one
 * optimizer command updates every parameter.  An int8 model: int8 weights,
 * a pair of scales per layer [activation scale, weight scale] as GEMM_I8
 * takes them, and float biases.  The workspace holds a batch's activations.
 */
#ifndef MODEL_INTERNAL_H
#define MODEL_INTERNAL_H

#include "engine.h"
#include "vgpu_client.h"

/* Activations and their gradients for up to `rows` rows. */
struct eng_workspace {
	uint32_t rows;
	uint64_t x;	/* rows x inputs: an input batch */
	uint64_t y;	/* rows x targets: int32 labels or float targets */
	uint64_t z[ENG_MAX_LAYERS];  /* rows x out: pre-activation */
	uint64_t a[ENG_MAX_LAYERS];  /* rows x out: post-activation (= z
					for linear and softmax layers) */
	uint64_t dz[ENG_MAX_LAYERS]; /* gradient wrt z */
	uint64_t da[ENG_MAX_LAYERS]; /* gradient wrt a (hidden layers) */
	uint64_t x8;	/* int8 models: the quantized input of a layer */
	uint64_t pred;	/* rows int32: argmax of the outputs */
	uint64_t loss;	/* f32: loss of the latest batch */
	uint64_t sums;	/* f32 loss sum, int32 correct count */
};

struct eng_model {
	struct vgpu *g;
	struct eng_arch arch;
	struct eng_scaler scaler;
	enum eng_param_kind kind;
	size_t n_params;
	uint64_t params, grads;	/* F32 */
	uint64_t q, qpairs, qbias; /* I8 */
	struct eng_workspace ws;
};

/* A dataset copied into the arena once: x as rows x d floats, y as int32
 * labels (classification) or rows x targets floats (regression). */
struct eng_device_data {
	size_t n, d;
	uint64_t x, y;
};

int eng_arena_alloc(struct eng_model *m, uint64_t bytes, const char *what,
		    uint64_t *off, struct eng_err *err);
void eng_arena_free(struct eng_model *m, uint64_t *off);
/* vgpu_sync with every failed command turned into one error line. */
int eng_vgpu_sync(struct eng_model *m, const char *what, struct eng_err *err);
/* Turns a negative errno from an encoder into an error line. */
int eng_vgpu_check(int rc, const char *what, struct eng_err *err);

/* Columns of y: 1 for class labels, the output width for regression. */
uint32_t eng_target_cols(const struct eng_arch *arch);

int eng_workspace_ensure(struct eng_model *m, uint32_t rows, struct eng_err *err);
void eng_workspace_free(struct eng_model *m);

int eng_device_data_upload(struct eng_model *m, const struct eng_dataset *ds,
			   struct eng_device_data *dd, struct eng_err *err);
void eng_device_data_free(struct eng_model *m, struct eng_device_data *dd);

/* Queue the forward pass of `rows` rows at `input` (rows x inputs) into
 * the workspace; the outputs land in ws.a[L-1] (logits for softmax). */
int eng_encode_forward(struct eng_model *m, uint64_t input, uint32_t rows);
/* Loss of ws outputs vs labels/targets at `y`: the batch's mean loss into
 * ws.loss and, when with_grad, dL/dz of the last layer into ws.dz[L-1];
 * then ws.sums[0] += weight * loss and, for classification,
 * ws.sums[1] += number correct. */
int eng_encode_loss(struct eng_model *m, uint64_t y, uint32_t rows,
		    bool with_grad, float weight);
/* Queue the backward pass (after eng_encode_loss with gradients): fills
 * grads for the batch at `input`. */
int eng_encode_backward(struct eng_model *m, uint64_t input, uint32_t rows);

void eng_init_params(const struct eng_arch *arch, uint64_t seed, float *p);

#endif
