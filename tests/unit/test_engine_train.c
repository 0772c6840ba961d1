/*
 * test_engine_train.c - training, evaluation, model round trips and int8
 * quantization through the real vGPU (the server embedded in this
 * process): every optimizer learns a separable problem, divergence stops
 * with a clear error, a saved and reloaded model predicts identically, the
 * quantized model stays close, bad inputs are refused.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine.h"
#include "engine_rng.h"
#include "engine_test_util.h"
#include "vgpu_client.h"

static struct vgpu *gpu;

static int setup(void **state)
{
	(void)state;
	return engine_test_vgpu_start("tr", &gpu);
}

static int teardown(void **state)
{
	(void)state;
	engine_test_vgpu_stop(gpu);
	return 0;
}

/* Three Gaussian blobs in 4 dimensions, class = blob; n rows. */
static void make_blobs(size_t n, uint64_t seed, struct eng_dataset *ds)
{
	struct eng_rng rng;

	eng_rng_seed(&rng, seed);
	ds->n = n;
	ds->d = 4;
	ds->classes = 3;
	ds->x = malloc(n * 4 * sizeof(float));
	ds->y = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned)(i % 3);

		ds->y[i] = (float)c;
		for (unsigned j = 0; j < 4; j++) {
			float noise = eng_rng_uniform(&rng) + eng_rng_uniform(&rng) - 1.0f;

			ds->x[i * 4 + j] = (j == c ? 2.0f : 0.0f) + noise;
		}
	}
}

/* y = 3 x0 - 2 x1 + 0.5 + small noise. */
static void make_linear(size_t n, struct eng_dataset *ds)
{
	struct eng_rng rng;

	eng_rng_seed(&rng, 5);
	ds->n = n;
	ds->d = 2;
	ds->classes = 0;
	ds->x = malloc(n * 2 * sizeof(float));
	ds->y = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; i++) {
		float a = eng_rng_uniform(&rng) * 2 - 1, b = eng_rng_uniform(&rng) * 2 - 1;

		ds->x[2 * i] = a;
		ds->x[2 * i + 1] = b;
		ds->y[i] = 3 * a - 2 * b + 0.5f + 0.01f * (eng_rng_uniform(&rng) - 0.5f);
	}
}

struct seen {
	uint32_t epochs;
	double first_loss, last_loss, last_val_acc;
	bool had_val;
};

static int on_epoch(const struct eng_epoch *e, void *ctx)
{
	struct seen *s = ctx;

	if (e->epoch == 1)
		s->first_loss = e->train.loss;
	s->last_loss = e->train.loss;
	s->epochs = e->epoch;
	s->had_val = e->has_val;
	s->last_val_acc = e->val.accuracy;
	assert_true(e->ms >= 0.0);
	return 0;
}

static void train_blobs(enum eng_opt_kind kind, float lr)
{
	struct eng_dataset ds;
	struct eng_arch a;
	struct eng_model *m;
	struct eng_optimizer opt;
	struct eng_metrics mt;
	struct eng_err err;
	struct seen s = { 0 };
	struct eng_fit_config cfg = { .epochs = 15, .batch = 16, .seed = 3, .val_split = 0.2,
				      .progress = on_epoch, .ctx = &s };

	make_blobs(300, 1, &ds);
	assert_int_equal(eng_arch_parse("4-16-3", ENG_ACT_RELU, ENG_LOSS_XENT, &a, &err), 0);
	eng_optimizer_defaults(kind, lr, &opt);
	if (eng_model_create(gpu, &a, 9, &m, &err) < 0 ||
	    eng_model_fit(m, &opt, &ds, &cfg, &err) < 0 ||
	    eng_model_evaluate(m, &ds, &mt, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(s.epochs, 15);
	assert_true(s.had_val);
	assert_true(s.last_loss < s.first_loss * 0.6);
	assert_true(mt.accuracy > 0.95);
	assert_true(s.last_val_acc > 0.9);
	assert_int_equal(mt.n, 300);
	eng_model_free(m);
	eng_dataset_free(&ds);
}

static void test_sgd_learns(void **state)
{
	(void)state;
	train_blobs(ENG_OPT_SGD, 0.1f);
}

static void test_momentum_learns(void **state)
{
	(void)state;
	train_blobs(ENG_OPT_MOMENTUM, 0.02f);
}

static void test_adam_learns(void **state)
{
	(void)state;
	train_blobs(ENG_OPT_ADAM, 0.01f);
}

static void test_linear_regression_fits(void **state)
{
	struct eng_dataset ds;
	struct eng_arch a;
	struct eng_model *m;
	struct eng_optimizer opt;
	struct eng_metrics mt;
	struct eng_params p;
	struct eng_err err;
	struct eng_fit_config cfg = { .epochs = 40, .batch = 16, .seed = 1 };

	(void)state;
	make_linear(400, &ds);
	assert_int_equal(eng_arch_parse("2-1", ENG_ACT_LINEAR, ENG_LOSS_MSE, &a, &err), 0);
	eng_optimizer_defaults(ENG_OPT_SGD, 0.1f, &opt);
	if (eng_model_create(gpu, &a, 2, &m, &err) < 0 ||
	    eng_model_fit(m, &opt, &ds, &cfg, &err) < 0 ||
	    eng_model_evaluate(m, &ds, &mt, &err) < 0 || eng_model_to_params(m, &p, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(fabs(p.f[0] - 3.0f) < 0.02 && fabs(p.f[1] + 2.0f) < 0.02);
	assert_true(fabs(p.f[2] - 0.5f) < 0.02);
	assert_true(mt.mse < 1e-3 && mt.r2 > 0.999);
	eng_params_free(&p);
	eng_model_free(m);
	eng_dataset_free(&ds);
}

/* 5000 steps of batch 1 are more than one vGPU graph holds: the epoch is
 * recorded as several graphs, launched back to back. */
static void test_epoch_longer_than_one_graph(void **state)
{
	struct eng_dataset ds;
	struct eng_arch a;
	struct eng_model *m;
	struct eng_optimizer opt;
	struct eng_params p;
	struct eng_err err;
	struct eng_fit_config cfg = { .epochs = 2, .batch = 1, .seed = 1 };

	(void)state;
	make_linear(5000, &ds);
	assert_int_equal(eng_arch_parse("2-1", ENG_ACT_LINEAR, ENG_LOSS_MSE, &a, &err), 0);
	eng_optimizer_defaults(ENG_OPT_SGD, 0.01f, &opt);
	if (eng_model_create(gpu, &a, 2, &m, &err) < 0 ||
	    eng_model_fit(m, &opt, &ds, &cfg, &err) < 0 || eng_model_to_params(m, &p, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(fabs(p.f[0] - 3.0f) < 0.05 && fabs(p.f[1] + 2.0f) < 0.05);
	eng_params_free(&p);
	eng_model_free(m);
	eng_dataset_free(&ds);
}

/* R^2 of the least-squares fit of tr (with an intercept), solved by
 * Gauss-Jordan on the normal equations in double precision, on rows `on`. */
static double closed_form_r2(const struct eng_dataset *tr, const struct eng_dataset *on)
{
	enum { P = 11 };
	double A[P][P + 1] = { { 0 } }, w[P], mean = 0, sse = 0, sst = 0;
	size_t p = tr->d + 1;

	assert_true(p <= P);
	for (size_t i = 0; i < tr->n; i++)
		for (size_t a = 0; a < p; a++) {
			double xa = a < tr->d ? tr->x[i * tr->d + a] : 1.0;

			for (size_t b = 0; b < p; b++)
				A[a][b] += xa * (b < tr->d ? tr->x[i * tr->d + b] : 1.0);
			A[a][p] += xa * tr->y[i];
		}
	for (size_t c = 0; c < p; c++) {
		size_t piv = c;

		for (size_t r = c + 1; r < p; r++)
			piv = fabs(A[r][c]) > fabs(A[piv][c]) ? r : piv;
		for (size_t k = 0; k <= p; k++) {
			double t = A[c][k];

			A[c][k] = A[piv][k];
			A[piv][k] = t;
		}
		for (size_t r = 0; r < p; r++)
			if (r != c) {
				double f = A[r][c] / A[c][c];

				for (size_t k = c; k <= p; k++)
					A[r][k] -= f * A[c][k];
			}
	}
	for (size_t a = 0; a < p; a++)
		w[a] = A[a][p] / A[a][a];
	for (size_t i = 0; i < on->n; i++)
		mean += on->y[i];
	mean /= (double)on->n;
	for (size_t i = 0; i < on->n; i++) {
		double f = w[tr->d];

		for (size_t j = 0; j < tr->d; j++)
			f += w[j] * on->x[i * tr->d + j];
		sse += (on->y[i] - f) * (on->y[i] - f);
		sst += (on->y[i] - mean) * (on->y[i] - mean);
	}
	return 1.0 - sse / sst;
}

/* Diabetes, 80/20 split (seed 42), standardised on the training rows:
 * Dense(1) trained on the vGPU is within 0.01 R^2 of least squares on
 * both the training and the test rows. */
static void test_diabetes_matches_least_squares(void **state)
{
	struct eng_csv csv;
	struct eng_dataset all, tr, te;
	struct eng_scaler sc;
	struct eng_arch a;
	struct eng_model *m;
	struct eng_optimizer opt;
	struct eng_metrics mtr, mte;
	struct eng_err err;
	struct eng_fit_config cfg = { .epochs = 300, .batch = 128, .seed = 42 };
	double want_tr, want_te;

	(void)state;
	if (eng_csv_load("datasets/diabetes.csv", &csv, &err) < 0 ||
	    eng_dataset_from_csv(&csv, eng_csv_column(&csv, "target", &err), 0, "diabetes.csv",
				 &all, &err) < 0 ||
	    eng_dataset_split(&all, 0.2, 42, false, &tr, &te, &err) < 0 ||
	    eng_scaler_fit(ENG_SCALE_STANDARD, 1.0, &tr, &sc, &err) < 0 ||
	    eng_scaler_apply(&sc, &tr, &err) < 0 || eng_scaler_apply(&sc, &te, &err) < 0)
		fail_msg("%s", err.msg);
	want_tr = closed_form_r2(&tr, &tr);
	want_te = closed_form_r2(&tr, &te);
	assert_int_equal(eng_arch_parse("10-1", ENG_ACT_LINEAR, ENG_LOSS_MSE, &a, &err), 0);
	eng_optimizer_defaults(ENG_OPT_SGD, 0.1f, &opt);
	if (eng_model_create(gpu, &a, 42, &m, &err) < 0 ||
	    eng_model_fit(m, &opt, &tr, &cfg, &err) < 0 ||
	    eng_model_evaluate(m, &tr, &mtr, &err) < 0 || eng_model_evaluate(m, &te, &mte, &err) < 0)
		fail_msg("%s", err.msg);
	if (fabs(mtr.r2 - want_tr) > 0.01 || fabs(mte.r2 - want_te) > 0.01)
		fail_msg("R^2 train %.4f (least squares %.4f), test %.4f (least squares %.4f)",
			 mtr.r2, want_tr, mte.r2, want_te);
	assert_true(want_tr > 0.4); /* the closed form itself is sane */
	eng_model_free(m);
	eng_scaler_free(&sc);
	eng_dataset_free(&tr);
	eng_dataset_free(&te);
	eng_dataset_free(&all);
	eng_csv_free(&csv);
}

static void test_divergence_stops_with_clear_error(void **state)
{
	struct eng_dataset ds;
	struct eng_arch a;
	struct eng_model *m;
	struct eng_optimizer opt;
	struct eng_err err = { "" };
	struct eng_fit_config cfg = { .epochs = 50, .batch = 8, .seed = 1 };

	(void)state;
	make_linear(64, &ds);
	for (size_t i = 0; i < ds.n * ds.d; i++)
		ds.x[i] *= 1e6f;
	assert_int_equal(eng_arch_parse("2-8-1", ENG_ACT_RELU, ENG_LOSS_MSE, &a, &err), 0);
	eng_optimizer_defaults(ENG_OPT_SGD, 10.0f, &opt);
	assert_int_equal(eng_model_create(gpu, &a, 2, &m, &err), 0);
	assert_int_equal(eng_model_fit(m, &opt, &ds, &cfg, &err), -1);
	if (!strstr(err.msg, "NaN or infinite"))
		fail_msg("error '%s'", err.msg);
	eng_model_free(m);
	eng_dataset_free(&ds);
}

static void test_save_load_quantize(void **state)
{
	struct eng_dataset ds;
	struct eng_arch a;
	struct eng_model *m, *back, *q, *qback;
	struct eng_optimizer opt;
	struct eng_params qp;
	struct eng_metrics fm, qm;
	struct eng_err err;
	struct eng_fit_config cfg = { .epochs = 10, .batch = 32, .seed = 4 };
	float *o1 = malloc(300 * 3 * sizeof(float)), *o2 = malloc(300 * 3 * sizeof(float));
	char path[64];
	size_t len, len2;

	(void)state;
	make_blobs(300, 2, &ds);
	assert_int_equal(eng_arch_parse("4-32-16-3", ENG_ACT_TANH, ENG_LOSS_XENT, &a, &err), 0);
	eng_optimizer_defaults(ENG_OPT_ADAM, 0.01f, &opt);
	snprintf(path, sizeof(path), "/tmp/aivisor-tr-%d.aim", (int)getpid());
	if (eng_model_create(gpu, &a, 5, &m, &err) < 0 ||
	    eng_model_fit(m, &opt, &ds, &cfg, &err) < 0 ||
	    eng_model_save(m, path, &len, &err) < 0 ||
	    eng_model_load(gpu, path, &back, &len2, &err) < 0 ||
	    eng_model_predict(m, ds.x, ds.n, o1, &err) < 0 ||
	    eng_model_predict(back, ds.x, ds.n, o2, &err) < 0)
		fail_msg("%s", err.msg);
	unlink(path);
	assert_int_equal(len, len2);
	assert_memory_equal(o1, o2, ds.n * 3 * sizeof(float));

	if (eng_model_quantize(back, &q, &err) < 0 || eng_model_evaluate(back, &ds, &fm, &err) < 0 ||
	    eng_model_evaluate(q, &ds, &qm, &err) < 0 || eng_model_to_params(q, &qp, &err) < 0 ||
	    eng_model_from_params(gpu, &qp, &qback, &err) < 0 ||
	    eng_model_predict(q, ds.x, ds.n, o1, &err) < 0 ||
	    eng_model_predict(qback, ds.x, ds.n, o2, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(eng_model_quantized(q));
	assert_true(qm.accuracy >= fm.accuracy - 0.02);
	assert_memory_equal(o1, o2, ds.n * 3 * sizeof(float));
	/* int8 weights: scale = absmax / 127 of each layer's float weights. */
	assert_true(qp.qscale[0] > 0.0f && qp.qscale[0] < 1.0f);
	eng_params_free(&qp);
	/* A quantized model is for inference only. */
	assert_int_equal(eng_model_fit(q, &opt, &ds, &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "quantized"));
	eng_model_free(qback);
	eng_model_free(q);
	eng_model_free(back);
	eng_model_free(m);
	eng_dataset_free(&ds);
	free(o1);
	free(o2);
}

static void test_bad_inputs_refused(void **state)
{
	struct eng_dataset ds;
	struct eng_arch a;
	struct eng_model *m;
	struct eng_optimizer opt;
	struct eng_metrics mt;
	struct eng_err err;
	struct eng_fit_config cfg = { .epochs = 1, .batch = 8, .seed = 1 };

	(void)state;
	make_blobs(30, 3, &ds);
	assert_int_equal(eng_arch_parse("5-3", ENG_ACT_RELU, ENG_LOSS_XENT, &a, &err), 0);
	eng_optimizer_defaults(ENG_OPT_SGD, 0.1f, &opt);
	assert_int_equal(eng_model_create(gpu, &a, 1, &m, &err), 0);
	assert_int_equal(eng_model_fit(m, &opt, &ds, &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "4 features, the model takes 5"));
	assert_int_equal(eng_model_evaluate(m, &ds, &mt, &err), -1);
	eng_model_free(m);
	assert_int_equal(eng_arch_parse("4-3", ENG_ACT_RELU, ENG_LOSS_XENT, &a, &err), 0);
	assert_int_equal(eng_model_create(gpu, &a, 1, &m, &err), 0);
	cfg.batch = 0;
	assert_int_equal(eng_model_fit(m, &opt, &ds, &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "batch 0"));
	cfg.batch = 8;
	opt.lr = -1.0f;
	assert_int_equal(eng_model_fit(m, &opt, &ds, &cfg, &err), -1);
	assert_non_null(strstr(err.msg, "learning rate"));
	eng_model_free(m);
	/* A model larger than the arena is refused, not crashed on. */
	assert_int_equal(eng_arch_parse("8192-8192-8192-10", ENG_ACT_RELU, ENG_LOSS_XENT, &a,
					&err), 0);
	assert_int_equal(eng_model_create(gpu, &a, 1, &m, &err), -1);
	assert_non_null(strstr(err.msg, "arena"));
	eng_dataset_free(&ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sgd_learns),
		cmocka_unit_test(test_momentum_learns),
		cmocka_unit_test(test_adam_learns),
		cmocka_unit_test(test_linear_regression_fits),
		cmocka_unit_test(test_diabetes_matches_least_squares),
		cmocka_unit_test(test_epoch_longer_than_one_graph),
		cmocka_unit_test(test_divergence_stops_with_clear_error),
		cmocka_unit_test(test_save_load_quantize),
		cmocka_unit_test(test_bad_inputs_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
