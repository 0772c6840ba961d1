/* test_engine_model_file.c - the model file: round trips and every way a
 * damaged or foreign file must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine_params.h"
#include "engine_rng.h"

static void make_params(struct eng_params *p, enum eng_param_kind kind)
{
	struct eng_arch a;
	struct eng_err err;
	struct eng_rng rng;
	const struct eng_arch *pa;

	assert_int_equal(eng_arch_parse("5-7-3", ENG_ACT_TANH, ENG_LOSS_XENT, &a, &err), 0);
	assert_int_equal(eng_params_alloc(p, &a, kind, &err), 0);
	pa = &p->arch;
	eng_rng_seed(&rng, 1);
	for (size_t j = 0; j < 5; j++) {
		p->scaler.offset[j] = eng_rng_uniform(&rng);
		p->scaler.mul[j] = 1.0f + eng_rng_uniform(&rng);
	}
	if (kind == ENG_PARAMS_F32) {
		for (size_t i = 0; i < eng_arch_param_count(pa); i++)
			p->f[i] = eng_rng_uniform(&rng) - 0.5f;
		return;
	}
	for (size_t i = 0; i < eng_params_q_offset(pa, pa->n_layers); i++)
		p->q[i] = (int8_t)(eng_rng_below(&rng, 255) - 127);
	for (size_t i = 0; i < eng_params_col_offset(pa, pa->n_layers); i++)
		p->qbias[i] = eng_rng_uniform(&rng);
	p->qscale[0] = 0.01f;
	p->qscale[1] = 0.02f;
}

static void expect_decode_error(const uint8_t *buf, size_t len, const char *want)
{
	struct eng_params p;
	struct eng_err err = { "" };

	assert_int_equal(eng_params_decode(buf, len, "m.aim", &p, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("len %zu: error '%s' lacks '%s'", len, err.msg, want);
	assert_null(p.f);
}

static void round_trip(enum eng_param_kind kind)
{
	struct eng_params p, q;
	struct eng_err err;
	uint8_t *buf, *buf2;
	size_t len, len2;

	make_params(&p, kind);
	assert_int_equal(eng_params_encode(&p, &buf, &len, &err), 0);
	assert_int_equal(len, eng_params_file_size(&p));
	assert_int_equal(eng_params_decode(buf, len, "m.aim", &q, &err), 0);
	assert_int_equal(q.kind, kind);
	assert_memory_equal(&q.arch, &p.arch, sizeof(p.arch));
	assert_memory_equal(q.scaler.mul, p.scaler.mul, 5 * sizeof(float));
	/* Encoding what was decoded gives the same bytes. */
	assert_int_equal(eng_params_encode(&q, &buf2, &len2, &err), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(buf, buf2, len);
	free(buf);
	free(buf2);
	eng_params_free(&p);
	eng_params_free(&q);
}

static void test_round_trip_f32(void **state)
{
	(void)state;
	round_trip(ENG_PARAMS_F32);
}

static void test_round_trip_i8(void **state)
{
	(void)state;
	round_trip(ENG_PARAMS_I8);
}

static void test_quantized_file_is_smaller(void **state)
{
	struct eng_params f, q;

	(void)state;
	make_params(&f, ENG_PARAMS_F32);
	make_params(&q, ENG_PARAMS_I8);
	assert_true(eng_params_file_size(&q) < eng_params_file_size(&f));
	eng_params_free(&f);
	eng_params_free(&q);
}

static void test_every_truncation_and_bit_flip_is_refused(void **state)
{
	struct eng_params p;
	struct eng_err err;
	uint8_t *buf;
	size_t len;

	(void)state;
	make_params(&p, ENG_PARAMS_F32);
	assert_int_equal(eng_params_encode(&p, &buf, &len, &err), 0);
	for (size_t n = 0; n < len; n++)
		expect_decode_error(buf, n, n < 36 ? "truncated" : "m.aim");
	expect_decode_error(buf, len - 1, "truncated model file");
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit += 3) {
			buf[i] ^= (uint8_t)(1u << bit);
			expect_decode_error(buf, len, "m.aim: ");
			buf[i] ^= (uint8_t)(1u << bit);
		}
	free(buf);
	eng_params_free(&p);
}

static void test_specific_errors(void **state)
{
	struct eng_params p;
	struct eng_err err;
	uint8_t *buf, *big;
	size_t len;
	uint32_t crc;
	float nan = __builtin_nanf("");

	(void)state;
	make_params(&p, ENG_PARAMS_F32);
	assert_int_equal(eng_params_encode(&p, &buf, &len, &err), 0);
	buf[0] = 'X';
	expect_decode_error(buf, len, "bad magic");
	buf[0] = 'A';
	buf[8] = 2;
	expect_decode_error(buf, len, "version 2");
	buf[8] = 1;
	buf[len - 1] ^= 1;
	expect_decode_error(buf, len, "checksum mismatch");
	buf[len - 1] ^= 1;
	big = calloc(1, len + 3);
	memcpy(big, buf, len);
	expect_decode_error(big, len + 3, "3 bytes after the end");
	free(big);
	/* A NaN weight behind a valid checksum is still refused. */
	memcpy(buf + len - 8, &nan, 4);
	crc = eng_crc32(buf, len - 4);
	memcpy(buf + len - 4, &crc, 4);
	expect_decode_error(buf, len, "NaN or infinite");
	free(buf);
	eng_params_free(&p);
}

static void test_save_and_load(void **state)
{
	struct eng_params p, q;
	struct eng_err err;
	char path[] = "/tmp/aivisor-model-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	make_params(&p, ENG_PARAMS_F32);
	assert_int_equal(eng_params_save(&p, path, &err), 0);
	assert_int_equal(eng_params_load(path, &q, &err), 0);
	assert_memory_equal(q.f, p.f, eng_arch_param_count(&p.arch) * sizeof(float));
	eng_params_free(&q);
	assert_int_equal(truncate(path, 40), 0);
	assert_int_equal(eng_params_load(path, &q, &err), -1);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "truncated"));
	unlink(path);
	assert_int_equal(eng_params_load(path, &q, &err), -1);
	assert_non_null(strstr(err.msg, "No such file"));
	eng_params_free(&p);
}

static void test_crc32_known_value(void **state)
{
	(void)state;
	assert_int_equal(eng_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_f32),
		cmocka_unit_test(test_round_trip_i8),
		cmocka_unit_test(test_quantized_file_is_smaller),
		cmocka_unit_test(test_every_truncation_and_bit_flip_is_refused),
		cmocka_unit_test(test_specific_errors),
		cmocka_unit_test(test_save_and_load),
		cmocka_unit_test(test_crc32_known_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
