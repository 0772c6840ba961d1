/*
 * optimizer.h - the optimizer's state in the arena and its update command
 * (internal to the engine).
 */
#ifndef ENGINE_OPTIMIZER_H
#define ENGINE_OPTIMIZER_H

#include "model_internal.h"

struct eng_opt_state {
	struct eng_optimizer opt;
	uint64_t s1, s2;  /* momentum velocity / Adam m and v */
	uint64_t hyper;	  /* Adam: `steps` struct vgpu_adam_hyper */
	uint32_t steps;	  /* updates per replayed round (an epoch) */
	uint64_t done;	  /* updates made so far */
};

/* steps: how many updates one replay of the recorded epoch makes. */
int eng_opt_state_init(struct eng_model *m, const struct eng_optimizer *opt,
		       uint32_t steps, struct eng_opt_state *st,
		       struct eng_err *err);
void eng_opt_state_free(struct eng_model *m, struct eng_opt_state *st);
/* Queues the update for step `step` (0-based inside the round). */
int eng_opt_encode_step(struct eng_model *m, const struct eng_opt_state *st,
			uint32_t step);
/* Before each replay: writes the Adam step numbers of the coming round. */
void eng_opt_next_round(struct eng_model *m, struct eng_opt_state *st);

#endif
