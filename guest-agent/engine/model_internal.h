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
 *
 * Bias folding: every layer input carries an extra column of ones, so that
 * [x 1] [W; b] = x W + b is one GEMM, and [x 1]^T dz gives dW and db in
 * one GEMM too; W followed by b is exactly the (in+1) x out matrix [W; b].
 * Inputs (the dataset in the arena, the batch buffer) are stored with
 * in+1 columns, the last set to 1.  A hidden layer's output buffers are
 * out+1 wide: GEMM writes the first out columns and never the last, which
 * holds a value the activation maps to exactly 1: 1 for ReLU (in place)
 * and linear, +inf for sigmoid and tanh (written once into z, read into a
 * separate a).  Elementwise commands run over the whole buffer, the extra
 * column included, harmlessly (its gradient is 0 and stays 0).  Int8
 * weights get a zero row in place of b, since GEMM_I8 adds b itself.
 */
#ifndef MODEL_INTERNAL_H
#define MODEL_INTERNAL_H

#include "engine.h"
#include "vgpu_client.h"

/* Activations and their gradients for up to `rows` rows. */
struct eng_workspace {
	uint32_t rows;
	uint64_t x;	/* rows x (inputs+1): an input batch, ones column */
	uint64_t y;	/* rows x targets: int32 labels or float targets */
	uint64_t z[ENG_MAX_LAYERS];  /* rows x stride: pre-activation */
	uint64_t a[ENG_MAX_LAYERS];  /* rows x stride: post-activation (= z
					unless sigmoid or tanh) */
	uint64_t dz[ENG_MAX_LAYERS]; /* rows x stride: dL/da, then in place
					dL/dz */
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

/* A dataset copied into the arena once: x as rows x (d+1) floats (ones
 * column), y as int32 labels (classification) or float targets. */
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

/* Row stride of layer l's output buffers: out+1 with the ones column for
 * a float model's hidden layers, else out (GEMM_I8 writes C contiguous and
 * adds the bias itself, so int8 layers after the first need no ones). */
static inline uint32_t eng_stride(const struct eng_model *m, uint32_t l)
{
	bool ones = m->kind == ENG_PARAMS_F32 && l + 1 < m->arch.n_layers;

	return m->arch.layer[l].out + (ones ? 1 : 0);
}

/* Row stride of layer l's input: the batch or the previous layer's output. */
static inline uint32_t eng_in_stride(const struct eng_model *m, uint32_t l)
{
	return l == 0 ? m->arch.layer[0].in + 1 : eng_stride(m, l - 1);
}

/* Arena offset (bytes from m->q) of layer l's int8 weights, (in+1) x out. */
static inline uint64_t eng_q_arena_offset(const struct eng_arch *a, uint32_t l)
{
	uint64_t off = 0;

	for (uint32_t i = 0; i < l; i++)
		off += (uint64_t)(a->layer[i].in + 1) * a->layer[i].out;
	return off;
}

/* Columns of y: 1 for class labels, the output width for regression. */
uint32_t eng_target_cols(const struct eng_arch *arch);

int eng_workspace_ensure(struct eng_model *m, uint32_t rows, struct eng_err *err);
void eng_workspace_free(struct eng_model *m);

int eng_device_data_upload(struct eng_model *m, const struct eng_dataset *ds,
			   struct eng_device_data *dd, struct eng_err *err);
void eng_device_data_free(struct eng_model *m, struct eng_device_data *dd);

/* Queue the forward pass of `rows` rows at `input` (rows x (inputs+1)) into
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
