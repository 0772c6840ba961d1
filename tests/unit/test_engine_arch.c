/* test_engine_arch.c - model specs, architecture checks and layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine_arch.h"

static void expect_bad(const char *spec, enum eng_act hidden, enum eng_loss loss,
		       const char *want)
{
	struct eng_arch a;
	struct eng_err err = { "" };

	assert_int_equal(eng_arch_parse(spec, hidden, loss, &a, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("spec '%s': error '%s' lacks '%s'", spec, err.msg, want);
}

static void test_spec_parses(void **state)
{
	struct eng_arch a;
	struct eng_err err;
	char buf[64];

	(void)state;
	assert_int_equal(eng_arch_parse("64-128-64-10", ENG_ACT_RELU, ENG_LOSS_XENT, &a, &err), 0);
	assert_int_equal(a.n_layers, 3);
	assert_int_equal(a.layer[0].in, 64);
	assert_int_equal(a.layer[1].out, 64);
	assert_int_equal(a.layer[1].act, ENG_ACT_RELU);
	assert_int_equal(a.layer[2].act, ENG_ACT_SOFTMAX);
	assert_int_equal(eng_arch_inputs(&a), 64);
	assert_int_equal(eng_arch_outputs(&a), 10);
	assert_int_equal(eng_arch_classes(&a), 10);
	assert_int_equal(eng_arch_param_count(&a), 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
	assert_int_equal(eng_arch_weight_offset(&a, 1), 64 * 128 + 128);
	assert_int_equal(eng_arch_bias_offset(&a, 1), 64 * 128 + 128 + 128 * 64);
	eng_arch_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "64-128-64-10");

	assert_int_equal(eng_arch_parse("10-1", ENG_ACT_TANH, ENG_LOSS_MSE, &a, &err), 0);
	assert_int_equal(a.n_layers, 1);
	assert_int_equal(a.layer[0].act, ENG_ACT_LINEAR);
	assert_int_equal(eng_arch_classes(&a), 0);
}

static void test_bad_specs(void **state)
{
	(void)state;
	expect_bad("", ENG_ACT_RELU, ENG_LOSS_XENT, "want widths");
	expect_bad("64", ENG_ACT_RELU, ENG_LOSS_XENT, "at least one layer");
	expect_bad("64-", ENG_ACT_RELU, ENG_LOSS_XENT, "want widths");
	expect_bad("64--10", ENG_ACT_RELU, ENG_LOSS_XENT, "want widths");
	expect_bad("64-0-10", ENG_ACT_RELU, ENG_LOSS_XENT, "1..8192");
	expect_bad("64-99999999999999999999-10", ENG_ACT_RELU, ENG_LOSS_XENT, "1..8192");
	expect_bad("64-x", ENG_ACT_RELU, ENG_LOSS_XENT, "want widths");
	expect_bad("64-10a", ENG_ACT_RELU, ENG_LOSS_XENT, "unexpected 'a'");
	expect_bad("-64-10", ENG_ACT_RELU, ENG_LOSS_XENT, "want widths");
	expect_bad("64-1", ENG_ACT_RELU, ENG_LOSS_XENT, "at least 2 classes");
	expect_bad("64-10", ENG_ACT_SOFTMAX, ENG_LOSS_XENT, "only for the output");
	expect_bad("1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1", ENG_ACT_RELU, ENG_LOSS_MSE,
		   "at most 16 layers");
}

static void test_arch_check_refuses_bad_chains(void **state)
{
	struct eng_arch a;
	struct eng_err err;

	(void)state;
	assert_int_equal(eng_arch_parse("4-8-3", ENG_ACT_RELU, ENG_LOSS_XENT, &a, &err), 0);
	a.layer[1].in = 7;
	assert_int_equal(eng_arch_check(&a, &err), -1);
	assert_non_null(strstr(err.msg, "layer 2 takes 7 inputs but layer 1 gives 8"));
	a.layer[1].in = 8;
	a.layer[0].act = ENG_ACT_SOFTMAX;
	assert_int_equal(eng_arch_check(&a, &err), -1);
	a.layer[0].act = (enum eng_act)9;
	assert_int_equal(eng_arch_check(&a, &err), -1);
	a.layer[0].act = ENG_ACT_RELU;
	a.loss = ENG_LOSS_MSE;
	assert_int_equal(eng_arch_check(&a, &err), -1);
	assert_non_null(strstr(err.msg, "softmax output needs the xent loss"));
}

static void test_keras_like_building(void **state)
{
	struct eng_arch a, b;
	struct eng_err err;

	(void)state;
	eng_arch_init(&a, ENG_LOSS_XENT);
	assert_int_equal(eng_arch_add_dense(&a, 64, 128, ENG_ACT_RELU, &err), 0);
	assert_int_equal(eng_arch_add_dense(&a, 128, 64, ENG_ACT_RELU, &err), 0);
	assert_int_equal(eng_arch_add_dense(&a, 32, 10, ENG_ACT_SOFTMAX, &err), -1);
	assert_non_null(strstr(err.msg, "layer 3 takes 32 inputs but layer 2 gives 64"));
	assert_int_equal(eng_arch_add_dense(&a, 64, 10, ENG_ACT_SOFTMAX, &err), 0);
	assert_int_equal(eng_arch_check(&a, &err), 0);
	assert_int_equal(eng_arch_parse("64-128-64-10", ENG_ACT_RELU, ENG_LOSS_XENT, &b, &err), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	for (int i = 3; i < ENG_MAX_LAYERS; i++)
		assert_int_equal(eng_arch_add_dense(&a, 10, 10, ENG_ACT_SOFTMAX, &err), 0);
	assert_int_equal(eng_arch_add_dense(&a, 10, 10, ENG_ACT_SOFTMAX, &err), -1);
	assert_non_null(strstr(err.msg, "at most 16 layers"));
}

static void test_names(void **state)
{
	enum eng_act act;
	enum eng_loss loss;
	struct eng_err err;

	(void)state;
	assert_int_equal(eng_act_parse("tanh", &act, &err), 0);
	assert_int_equal(act, ENG_ACT_TANH);
	assert_string_equal(eng_act_name(ENG_ACT_SIGMOID), "sigmoid");
	assert_int_equal(eng_act_parse("gelu", &act, &err), -1);
	assert_non_null(strstr(err.msg, "gelu"));
	assert_int_equal(eng_loss_parse("mse", &loss, &err), 0);
	assert_int_equal(loss, ENG_LOSS_MSE);
	assert_int_equal(eng_loss_parse("hinge", &loss, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parses),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_arch_check_refuses_bad_chains),
		cmocka_unit_test(test_keras_like_building),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
