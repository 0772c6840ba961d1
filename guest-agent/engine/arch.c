/* arch.c - model architectures: names, spec parsing, checks, sizes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_arch.h"

static const char *const act_names[] = {
	[ENG_ACT_LINEAR] = "linear", [ENG_ACT_RELU] = "relu",
	[ENG_ACT_SIGMOID] = "sigmoid", [ENG_ACT_TANH] = "tanh",
	[ENG_ACT_SOFTMAX] = "softmax",
};

int eng_act_parse(const char *name, enum eng_act *act, struct eng_err *err)
{
	for (unsigned i = 0; i < sizeof(act_names) / sizeof(act_names[0]); i++)
		if (strcmp(name, act_names[i]) == 0) {
			*act = (enum eng_act)i;
			return 0;
		}
	return eng_errorf(err, "unknown activation '%s': want relu, sigmoid, tanh or linear",
			  name);
}

const char *eng_act_name(enum eng_act act)
{
	return (unsigned)act < sizeof(act_names) / sizeof(act_names[0]) ?
		act_names[act] : "?";
}

int eng_loss_parse(const char *name, enum eng_loss *loss, struct eng_err *err)
{
	if (strcmp(name, "mse") == 0)
		*loss = ENG_LOSS_MSE;
	else if (strcmp(name, "xent") == 0)
		*loss = ENG_LOSS_XENT;
	else
		return eng_errorf(err, "unknown loss '%s': want xent or mse", name);
	return 0;
}

const char *eng_loss_name(enum eng_loss loss)
{
	return loss == ENG_LOSS_XENT ? "xent" : loss == ENG_LOSS_MSE ? "mse" : "?";
}

void eng_arch_init(struct eng_arch *arch, enum eng_loss loss)
{
	memset(arch, 0, sizeof(*arch));
	arch->loss = loss;
}

int eng_arch_add_dense(struct eng_arch *arch, uint32_t in, uint32_t units,
		       enum eng_act act, struct eng_err *err)
{
	uint32_t n = arch->n_layers;

	if (n == ENG_MAX_LAYERS)
		return eng_errorf(err, "at most %u layers", ENG_MAX_LAYERS);
	if (n > 0 && in != arch->layer[n - 1].out)
		return eng_errorf(err, "layer %u takes %u inputs but layer %u gives %u",
				  n + 1, in, n, arch->layer[n - 1].out);
	arch->layer[n].in = in;
	arch->layer[n].out = units;
	arch->layer[n].act = act;
	arch->n_layers = n + 1;
	return 0;
}

int eng_arch_parse(const char *spec, enum eng_act hidden, enum eng_loss loss,
		   struct eng_arch *arch, struct eng_err *err)
{
	uint32_t width[ENG_MAX_LAYERS + 1];
	unsigned n = 0;
	const char *p = spec;

	eng_arch_init(arch, loss);
	if (hidden == ENG_ACT_SOFTMAX)
		return eng_errorf(err, "softmax is only for the output layer (use --loss xent)");
	for (;;) {
		char *end;
		unsigned long v;

		if (*p < '0' || *p > '9')
			return eng_errorf(err, "bad model spec '%s': want widths like 64-128-10",
					  spec);
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || v == 0 || v > ENG_MAX_WIDTH)
			return eng_errorf(err, "bad model spec '%s': widths must be 1..%u",
					  spec, ENG_MAX_WIDTH);
		if (n == ENG_MAX_LAYERS + 1)
			return eng_errorf(err, "bad model spec '%s': at most %u layers",
					  spec, ENG_MAX_LAYERS);
		width[n++] = (uint32_t)v;
		if (*end == '\0')
			break;
		if (*end != '-')
			return eng_errorf(err, "bad model spec '%s': unexpected '%c'", spec, *end);
		p = end + 1;
	}
	if (n < 2)
		return eng_errorf(err, "bad model spec '%s': want inputs and at least one layer",
				  spec);
	eng_arch_init(arch, loss);
	for (unsigned i = 0; i + 1 < n; i++) {
		enum eng_act act = i + 2 < n ? hidden :
				   loss == ENG_LOSS_XENT ? ENG_ACT_SOFTMAX : ENG_ACT_LINEAR;

		if (eng_arch_add_dense(arch, width[i], width[i + 1], act, err) < 0)
			return -1;
	}
	return eng_arch_check(arch, err);
}

int eng_arch_check(const struct eng_arch *a, struct eng_err *err)
{
	if (a->n_layers == 0 || a->n_layers > ENG_MAX_LAYERS)
		return eng_errorf(err, "%u layers: want 1..%u", a->n_layers, ENG_MAX_LAYERS);
	if (a->loss != ENG_LOSS_MSE && a->loss != ENG_LOSS_XENT)
		return eng_errorf(err, "unknown loss %d", (int)a->loss);
	for (uint32_t i = 0; i < a->n_layers; i++) {
		const struct eng_dense *l = &a->layer[i];
		int last = i + 1 == a->n_layers;

		if (l->in == 0 || l->in > ENG_MAX_WIDTH || l->out == 0 || l->out > ENG_MAX_WIDTH)
			return eng_errorf(err, "layer %u is %u -> %u: widths must be 1..%u",
					  i + 1, l->in, l->out, ENG_MAX_WIDTH);
		if (i > 0 && l->in != a->layer[i - 1].out)
			return eng_errorf(err, "layer %u takes %u inputs but layer %u gives %u",
					  i + 1, l->in, i, a->layer[i - 1].out);
		if ((unsigned)l->act > ENG_ACT_SOFTMAX)
			return eng_errorf(err, "layer %u: unknown activation %d", i + 1, (int)l->act);
		if (l->act == ENG_ACT_SOFTMAX && !last)
			return eng_errorf(err, "layer %u: softmax only on the output layer", i + 1);
		if (last && a->loss == ENG_LOSS_XENT && l->act != ENG_ACT_SOFTMAX)
			return eng_errorf(err, "cross-entropy needs a softmax output layer");
		if (last && a->loss == ENG_LOSS_XENT && l->out < 2)
			return eng_errorf(err, "cross-entropy needs at least 2 classes");
		if (last && a->loss == ENG_LOSS_MSE && l->act == ENG_ACT_SOFTMAX)
			return eng_errorf(err, "softmax output needs the xent loss");
	}
	return 0;
}

void eng_arch_format(const struct eng_arch *a, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (uint32_t i = 0; i <= a->n_layers && off < len; i++) {
		uint32_t w = i == 0 ? a->layer[0].in : a->layer[i - 1].out;
		int n = snprintf(buf + off, len - off, i ? "-%u" : "%u", w);

		if (n < 0)
			return;
		off += (size_t)n;
	}
}

uint32_t eng_arch_inputs(const struct eng_arch *a)
{
	return a->layer[0].in;
}

uint32_t eng_arch_outputs(const struct eng_arch *a)
{
	return a->layer[a->n_layers - 1].out;
}

/* Widths are <= 8192 and layers <= 16, so these sums cannot overflow. */
size_t eng_arch_weight_offset(const struct eng_arch *a, uint32_t layer)
{
	size_t off = 0;

	for (uint32_t i = 0; i < layer; i++)
		off += (size_t)a->layer[i].in * a->layer[i].out + a->layer[i].out;
	return off;
}

size_t eng_arch_bias_offset(const struct eng_arch *a, uint32_t layer)
{
	return eng_arch_weight_offset(a, layer) +
	       (size_t)a->layer[layer].in * a->layer[layer].out;
}

size_t eng_arch_param_count(const struct eng_arch *a)
{
	return eng_arch_weight_offset(a, a->n_layers);
}

unsigned eng_arch_classes(const struct eng_arch *a)
{
	return a->loss == ENG_LOSS_XENT ? eng_arch_outputs(a) : 0;
}
