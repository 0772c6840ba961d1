/*
 * init.c - weight initialisation from a seed: He-uniform for layers
 * followed by ReLU (limit sqrt(6 / fan_in)), Glorot-uniform otherwise
 * (limit sqrt(6 / (fan_in + fan_out))), zero biases.  Uniform draws need
 * no libm, so the same seed gives the same weights everywhere.
 */
#include <math.h>
#include <string.h>

#include "model_internal.h"
#include "engine_rng.h"

void eng_init_params(const struct eng_arch *arch, uint64_t seed, float *p)
{
	struct eng_rng rng;

	eng_rng_seed(&rng, seed);
	for (uint32_t l = 0; l < arch->n_layers; l++) {
		const struct eng_dense *d = &arch->layer[l];
		double fan = d->act == ENG_ACT_RELU ? d->in : (double)d->in + d->out;
		float limit = (float)sqrt(6.0 / fan);
		float *w = p + eng_arch_weight_offset(arch, l);
		size_t n = (size_t)d->in * d->out;

		for (size_t i = 0; i < n; i++)
			w[i] = (2.0f * eng_rng_uniform(&rng) - 1.0f) * limit;
		memset(p + eng_arch_bias_offset(arch, l), 0, d->out * sizeof(float));
	}
}
