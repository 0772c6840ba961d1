/*
 * optimizer.c - SGD, SGD with momentum and Adam over every parameter at
 * once: parameters and gradients are one contiguous vector each, so an
 * update is a single vGPU command.  Adam's step counter and learning rate
 * live in the arena (struct vgpu_adam_hyper); a recorded epoch keeps one
 * hyper block per step so each replay can carry the right step numbers.
 */
#include <errno.h>
#include <string.h>

#include "optimizer.h"

void eng_optimizer_defaults(enum eng_opt_kind kind, float lr,
			    struct eng_optimizer *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->kind = kind;
	opt->lr = lr;
	opt->momentum = 0.9f;
	opt->beta1 = 0.9f;
	opt->beta2 = 0.999f;
	opt->eps = 1e-7f;
}

int eng_optimizer_parse(const char *name, enum eng_opt_kind *kind,
			struct eng_err *err)
{
	if (strcmp(name, "sgd") == 0)
		*kind = ENG_OPT_SGD;
	else if (strcmp(name, "momentum") == 0)
		*kind = ENG_OPT_MOMENTUM;
	else if (strcmp(name, "adam") == 0)
		*kind = ENG_OPT_ADAM;
	else
		return eng_errorf(err, "unknown optimizer '%s': want sgd, momentum or adam",
				  name);
	return 0;
}

static int check(const struct eng_optimizer *o, struct eng_err *err)
{
	if (!(o->lr > 0.0f && o->lr < 1e3f))
		return eng_errorf(err, "learning rate %g: want a positive number", (double)o->lr);
	if (!(o->weight_decay >= 0.0f && o->weight_decay < 1.0f))
		return eng_errorf(err, "weight decay %g: want [0, 1)", (double)o->weight_decay);
	if (o->kind == ENG_OPT_MOMENTUM && !(o->momentum >= 0.0f && o->momentum < 1.0f))
		return eng_errorf(err, "momentum %g: want [0, 1)", (double)o->momentum);
	if (o->kind == ENG_OPT_ADAM &&
	    !(o->beta1 >= 0.0f && o->beta1 < 1.0f && o->beta2 >= 0.0f && o->beta2 < 1.0f &&
	      o->eps > 0.0f))
		return eng_errorf(err, "Adam needs beta1, beta2 in [0, 1) and eps > 0");
	return 0;
}

int eng_opt_state_init(struct eng_model *m, const struct eng_optimizer *opt,
		       uint32_t steps, struct eng_opt_state *st,
		       struct eng_err *err)
{
	uint64_t bytes = (uint64_t)m->n_params * 4;

	st->opt = *opt;
	st->s1 = st->s2 = st->hyper = VGPU_NO_OFF;
	st->steps = steps;
	st->done = 0;
	if (check(opt, err) < 0)
		return -1;
	if (opt->kind != ENG_OPT_SGD &&
	    eng_arena_alloc(m, bytes, "optimizer state", &st->s1, err) < 0)
		goto fail;
	if (opt->kind == ENG_OPT_ADAM &&
	    (eng_arena_alloc(m, bytes, "optimizer state", &st->s2, err) < 0 ||
	     eng_arena_alloc(m, (uint64_t)steps * sizeof(struct vgpu_adam_hyper),
			     "Adam steps", &st->hyper, err) < 0))
		goto fail;
	/* Moments start at zero. */
	if (st->s1 != VGPU_NO_OFF)
		memset(vgpu_ptr(m->g, st->s1), 0, bytes);
	if (st->s2 != VGPU_NO_OFF)
		memset(vgpu_ptr(m->g, st->s2), 0, bytes);
	return 0;
fail:
	eng_opt_state_free(m, st);
	return -1;
}

void eng_opt_state_free(struct eng_model *m, struct eng_opt_state *st)
{
	eng_arena_free(m, &st->s1);
	eng_arena_free(m, &st->s2);
	eng_arena_free(m, &st->hyper);
}

int eng_opt_encode_step(struct eng_model *m, const struct eng_opt_state *st,
			uint32_t step)
{
	const struct eng_optimizer *o = &st->opt;

	switch (o->kind) {
	case ENG_OPT_SGD:
		return vgpu_sgd(m->g, m->params, m->grads, m->n_params, o->lr,
				o->weight_decay);
	case ENG_OPT_MOMENTUM:
		return vgpu_sgd_momentum(m->g, m->params, m->grads, st->s1, m->n_params,
					 o->lr, o->momentum, o->weight_decay);
	case ENG_OPT_ADAM:
		return vgpu_adam(m->g, m->params, m->grads, st->s1, st->s2,
				 st->hyper + (uint64_t)step * sizeof(struct vgpu_adam_hyper),
				 m->n_params);
	}
	return -EINVAL; /* unreachable after check() */
}

void eng_opt_next_round(struct eng_model *m, struct eng_opt_state *st)
{
	struct vgpu_adam_hyper *h;

	if (st->opt.kind != ENG_OPT_ADAM)
		return;
	h = vgpu_ptr(m->g, st->hyper);
	for (uint32_t s = 0; s < st->steps; s++) {
		h[s].lr = st->opt.lr;
		h[s].beta1 = st->opt.beta1;
		h[s].beta2 = st->opt.beta2;
		h[s].eps = st->opt.eps;
		h[s].weight_decay = st->opt.weight_decay;
		h[s].step = (uint32_t)(st->done + s + 1);
	}
	st->done += st->steps;
}
