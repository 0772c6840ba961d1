/*
 * engine_params.h - a model's parameters in host memory, and the model
 * file that stores them (format: docs/MODEL-FORMAT.md).
 *
 * A float model holds every layer's weights and bias in one array laid out
 * as eng_arch_param_count() describes.  A quantized model holds int8
 * weights with one scale per layer (symmetric, absmax / 127, as the vGPU's
 * QUANTIZE_I8 and GEMM_I8 use) and float biases.  Both carry
 * the input scaler fitted at training time.
 */
#ifndef ENGINE_PARAMS_H
#define ENGINE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_arch.h"
#include "engine_data.h"
#include "engine_error.h"

#define ENG_MODEL_MAGIC "AIVMODEL"
#define ENG_MODEL_VERSION 1u

enum eng_param_kind {
	ENG_PARAMS_F32 = 0,
	ENG_PARAMS_I8 = 1,
};

struct eng_params {
	struct eng_arch arch;
	struct eng_scaler scaler; /* width = inputs */
	enum eng_param_kind kind;
	float *f;      /* F32: eng_arch_param_count() floats */
	int8_t *q;     /* I8: sum of in*out weights, layer after layer */
	float *qscale; /* I8: n_layers: weight = q * qscale[layer] */
	float *qbias;  /* I8: sum of out, layer after layer */
};

/* Allocates zeroed storage for `kind` and an identity scaler. */
int eng_params_alloc(struct eng_params *p, const struct eng_arch *arch,
		     enum eng_param_kind kind, struct eng_err *err);
void eng_params_free(struct eng_params *p);
/* Offsets of layer l's int8 weights and of its biases. */
size_t eng_params_q_offset(const struct eng_arch *arch, uint32_t l);
size_t eng_params_col_offset(const struct eng_arch *arch, uint32_t l);

/* Bytes the file takes, and the bytes themselves (malloc'd). */
size_t eng_params_file_size(const struct eng_params *p);
int eng_params_encode(const struct eng_params *p, uint8_t **buf, size_t *len,
		      struct eng_err *err);
int eng_params_decode(const uint8_t *buf, size_t len, const char *source,
		      struct eng_params *p, struct eng_err *err);
int eng_params_save(const struct eng_params *p, const char *path,
		    struct eng_err *err);
int eng_params_load(const char *path, struct eng_params *p, struct eng_err *err);

uint32_t eng_crc32(const uint8_t *buf, size_t len);

#endif
