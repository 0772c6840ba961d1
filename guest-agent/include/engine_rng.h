/*
 * engine_rng.h - the engine's seeded random numbers.
 *
 * SplitMix64: tiny, fast, and defined only by 64-bit integer arithmetic, so
 * one seed gives bit-identical weights, shuffles and splits on the host
 * (glibc or musl) and inside a microVM.  Floats are made from the top 24
 * bits, never through libm.
 */
#ifndef ENGINE_RNG_H
#define ENGINE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct eng_rng {
	uint64_t state;
};

void eng_rng_seed(struct eng_rng *rng, uint64_t seed);
uint64_t eng_rng_next(struct eng_rng *rng);
/* Uniform in [0, 1) with 24 bits of precision. */
float eng_rng_uniform(struct eng_rng *rng);
/* Uniform integer in [0, bound), bound > 0, without modulo bias. */
uint64_t eng_rng_below(struct eng_rng *rng, uint64_t bound);
/* Fisher-Yates shuffle of idx[0..n). */
void eng_rng_shuffle_u32(struct eng_rng *rng, uint32_t *idx, size_t n);

#endif
