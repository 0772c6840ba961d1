/*
 * test_engine_gradcheck.c - finite-difference gradient checks through the
 * real vGPU: for every activation and both losses, the gradients the
 * engine computes on the vGPU (eng_model_gradients) must match central
 * differences of a plain double-precision reference of the same network.
 * The loss itself and predictions are checked against the reference too.
 * The vGPU server is the real one, embedded in this process.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"
#include "engine_rng.h"
#include "engine_test_util.h"
#include "vgpu_client.h"

#define ROWS 8

static struct vgpu *gpu;

static int setup(void **state)
{
	(void)state;
	return engine_test_vgpu_start("gc", &gpu);
}

static int teardown(void **state)
{
	(void)state;
	engine_test_vgpu_stop(gpu);
	return 0;
}

/* The reference: the same network in double precision. */
static double act_ref(enum eng_act act, double z)
{
	switch (act) {
	case ENG_ACT_RELU:
		return z > 0 ? z : 0;
	case ENG_ACT_SIGMOID:
		return 1.0 / (1.0 + exp(-z));
	case ENG_ACT_TANH:
		return tanh(z);
	default:
		return z;
	}
}

/* Forward pass; out receives the last layer's values (logits for softmax). */
static void forward_ref(const struct eng_arch *a, const double *p, const float *x,
			size_t n, double *out)
{
	double buf[2][ROWS * 64];

	for (size_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < a->layer[0].in; j++)
			buf[0][i * a->layer[0].in + j] = x[i * a->layer[0].in + j];
	for (uint32_t l = 0; l < a->n_layers; l++) {
		const struct eng_dense *d = &a->layer[l];
		const double *w = p + eng_arch_weight_offset(a, l);
		const double *b = p + eng_arch_bias_offset(a, l);
		double *in = buf[l % 2], *o = buf[(l + 1) % 2];

		for (size_t i = 0; i < n; i++)
			for (uint32_t c = 0; c < d->out; c++) {
				double z = b[c];

				for (uint32_t k = 0; k < d->in; k++)
					z += in[i * d->in + k] * w[k * d->out + c];
				o[i * d->out + c] = act_ref(d->act, z);
			}
	}
	memcpy(out, buf[a->n_layers % 2], n * eng_arch_outputs(a) * sizeof(double));
}

static double loss_ref(const struct eng_arch *a, const double *p, const float *x,
		       const float *y, size_t n)
{
	uint32_t k = eng_arch_outputs(a);
	double out[ROWS * 64], loss = 0;

	forward_ref(a, p, x, n, out);
	for (size_t i = 0; i < n; i++) {
		const double *z = out + i * k;

		if (a->loss == ENG_LOSS_XENT) {
			double mx = z[0], s = 0;

			for (uint32_t c = 1; c < k; c++)
				mx = z[c] > mx ? z[c] : mx;
			for (uint32_t c = 0; c < k; c++)
				s += exp(z[c] - mx);
			loss += log(s) + mx - z[(int)y[i]];
		} else {
			for (uint32_t c = 0; c < k; c++)
				loss += (z[c] - y[i * k + c]) * (z[c] - y[i * k + c]);
		}
	}
	return a->loss == ENG_LOSS_XENT ? loss / (double)n : loss / (double)(n * k);
}

struct case_data {
	struct eng_arch arch;
	struct eng_params params;
	double *p;
	float x[ROWS * 64], y[ROWS * 64];
};

static void make_case(const char *spec, enum eng_act hidden, enum eng_loss loss,
		      uint64_t seed, struct case_data *c)
{
	struct eng_err err;
	struct eng_rng rng;
	size_t np;
	uint32_t k;

	if (eng_arch_parse(spec, hidden, loss, &c->arch, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(eng_params_alloc(&c->params, &c->arch, ENG_PARAMS_F32, &err), 0);
	np = eng_arch_param_count(&c->arch);
	c->p = malloc(np * sizeof(double));
	eng_rng_seed(&rng, seed);
	for (size_t i = 0; i < np; i++) {
		c->params.f[i] = eng_rng_uniform(&rng) * 1.2f - 0.6f;
		c->p[i] = c->params.f[i];
	}
	for (size_t i = 0; i < ROWS * eng_arch_inputs(&c->arch); i++)
		c->x[i] = eng_rng_uniform(&rng) * 2.0f - 1.0f;
	k = eng_arch_outputs(&c->arch);
	for (size_t i = 0; i < ROWS; i++)
		if (loss == ENG_LOSS_XENT)
			c->y[i] = (float)eng_rng_below(&rng, k);
		else
			for (uint32_t j = 0; j < k; j++)
				c->y[i * k + j] = eng_rng_uniform(&rng) * 2.0f - 1.0f;
}

static void free_case(struct case_data *c)
{
	eng_params_free(&c->params);
	free(c->p);
}

static void gradcheck(const char *spec, enum eng_act hidden, enum eng_loss loss)
{
	struct case_data c;
	struct eng_model *m;
	struct eng_err err;
	double vloss, want;
	float *g;
	size_t np;
	int bad = 0;

	make_case(spec, hidden, loss, 7, &c);
	np = eng_arch_param_count(&c.arch);
	g = malloc(np * sizeof(float));
	if (eng_model_from_params(gpu, &c.params, &m, &err) < 0 ||
	    eng_model_gradients(m, c.x, c.y, ROWS, &vloss, g, &err) < 0)
		fail_msg("%s: %s", spec, err.msg);
	want = loss_ref(&c.arch, c.p, c.x, c.y, ROWS);
	if (fabs(vloss - want) > 1e-5 * (1 + fabs(want)))
		fail_msg("%s %s: vGPU loss %.8f, reference %.8f", spec, eng_act_name(hidden),
			 vloss, want);
	for (size_t i = 0; i < np; i++) {
		const double h = 1e-5;
		double keep = c.p[i], up, down, fd;

		c.p[i] = keep + h;
		up = loss_ref(&c.arch, c.p, c.x, c.y, ROWS);
		c.p[i] = keep - h;
		down = loss_ref(&c.arch, c.p, c.x, c.y, ROWS);
		c.p[i] = keep;
		fd = (up - down) / (2 * h);
		if (fabs(g[i] - fd) > 1e-4 + 1e-3 * fabs(fd)) {
			print_error("%s %s: param %zu: vGPU %.7f, finite difference %.7f\n",
				    spec, eng_act_name(hidden), i, (double)g[i], fd);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	eng_model_free(m);
	free(g);
	free_case(&c);
}

static void test_gradcheck_relu_xent(void **state)
{
	(void)state;
	gradcheck("5-7-6-4", ENG_ACT_RELU, ENG_LOSS_XENT);
}

static void test_gradcheck_sigmoid_xent(void **state)
{
	(void)state;
	gradcheck("5-6-3", ENG_ACT_SIGMOID, ENG_LOSS_XENT);
}

static void test_gradcheck_tanh_mse(void **state)
{
	(void)state;
	gradcheck("4-6-5-2", ENG_ACT_TANH, ENG_LOSS_MSE);
}

static void test_gradcheck_relu_mse(void **state)
{
	(void)state;
	gradcheck("3-9-1", ENG_ACT_RELU, ENG_LOSS_MSE);
}

static void test_gradcheck_linear_mse(void **state)
{
	(void)state;
	gradcheck("6-2", ENG_ACT_LINEAR, ENG_LOSS_MSE);
}

static void test_gradcheck_linear_hidden_xent(void **state)
{
	(void)state;
	gradcheck("4-5-3", ENG_ACT_LINEAR, ENG_LOSS_XENT);
}

/* predict returns softmax probabilities / values equal to the reference. */
static void test_predict_matches_reference(void **state)
{
	static const struct {
		const char *spec;
		enum eng_act act;
		enum eng_loss loss;
	} cases[] = {
		{ "5-7-4", ENG_ACT_TANH, ENG_LOSS_XENT },
		{ "5-8-2", ENG_ACT_SIGMOID, ENG_LOSS_MSE },
	};

	(void)state;
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		struct case_data c;
		struct eng_model *m;
		struct eng_err err;
		uint32_t k;
		double ref[ROWS * 64];
		float out[ROWS * 64];

		make_case(cases[t].spec, cases[t].act, cases[t].loss, 11, &c);
		k = eng_arch_outputs(&c.arch);
		if (eng_model_from_params(gpu, &c.params, &m, &err) < 0 ||
		    eng_model_predict(m, c.x, ROWS, out, &err) < 0)
			fail_msg("%s", err.msg);
		forward_ref(&c.arch, c.p, c.x, ROWS, ref);
		for (size_t i = 0; i < ROWS; i++) {
			double mx = ref[i * k], s = 0;

			if (cases[t].loss == ENG_LOSS_XENT) {
				for (uint32_t j = 0; j < k; j++)
					mx = ref[i * k + j] > mx ? ref[i * k + j] : mx;
				for (uint32_t j = 0; j < k; j++)
					s += exp(ref[i * k + j] - mx);
			}
			for (uint32_t j = 0; j < k; j++) {
				double want = cases[t].loss == ENG_LOSS_XENT ?
					exp(ref[i * k + j] - mx) / s : ref[i * k + j];

				assert_true(fabs(out[i * k + j] - want) < 1e-5);
			}
		}
		eng_model_free(m);
		free_case(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gradcheck_relu_xent),
		cmocka_unit_test(test_gradcheck_sigmoid_xent),
		cmocka_unit_test(test_gradcheck_tanh_mse),
		cmocka_unit_test(test_gradcheck_relu_mse),
		cmocka_unit_test(test_gradcheck_linear_mse),
		cmocka_unit_test(test_gradcheck_linear_hidden_xent),
		cmocka_unit_test(test_predict_matches_reference),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
