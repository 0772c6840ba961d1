/* rng.c - SplitMix64 and the draws built on it (engine_rng.h). */
#include "engine_rng.h"

void eng_rng_seed(struct eng_rng *rng, uint64_t seed)
{
	rng->state = seed;
}

uint64_t eng_rng_next(struct eng_rng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

float eng_rng_uniform(struct eng_rng *rng)
{
	return (float)(eng_rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}

uint64_t eng_rng_below(struct eng_rng *rng, uint64_t bound)
{
	/* Reject the top sliver that would make low values more likely. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t r;

	do
		r = eng_rng_next(rng);
	while (r >= limit);
	return r % bound;
}

void eng_rng_shuffle_u32(struct eng_rng *rng, uint32_t *idx, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)eng_rng_below(rng, i);
		uint32_t t = idx[i - 1];

		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}
