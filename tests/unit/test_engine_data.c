/* test_engine_data.c - CSV reading, datasets, splits and scaling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine_data.h"

static int parse(const char *text, struct eng_csv *csv, struct eng_err *err)
{
	return eng_csv_parse(text, strlen(text), "t.csv", csv, err);
}

/* Parsing must fail with a message containing `want`. */
static void expect_csv_error(const char *text, const char *want)
{
	struct eng_csv csv;
	struct eng_err err = { "" };

	assert_int_equal(parse(text, &csv, &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' lacks '%s'", err.msg, want);
	assert_null(csv.values);
}

static void test_csv_parses_header_and_rows(void **state)
{
	struct eng_csv csv;
	struct eng_err err;

	(void)state;
	assert_int_equal(parse("a, b ,\"c\"\r\n1,2.5,-3e2\r\n\n4, 5 ,6", &csv, &err), 0);
	assert_int_equal(csv.rows, 2);
	assert_int_equal(csv.cols, 3);
	assert_string_equal(csv.names[1], "b");
	assert_string_equal(csv.names[2], "c");
	assert_true(csv.values[2] == -300.0f);
	assert_true(csv.values[4] == 5.0f);
	assert_int_equal(csv.line_no[1], 4); /* the blank line 3 is skipped */
	eng_csv_free(&csv);
}

static void test_csv_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_csv_error("", "t.csv: empty file");
	expect_csv_error("\n \n", "empty file");
	expect_csv_error("a,b\n", "no data rows");
	expect_csv_error("a,b\n1,2\n3\n", "t.csv:3: ragged row: 1 fields, the header has 2");
	expect_csv_error("a,b\n1,2,3\n", "t.csv:2: ragged row");
	expect_csv_error("a,b\n1,x2\n", "t.csv:2: non-numeric field 'x2' in column 'b'");
	expect_csv_error("a,b\n1,nan\n", "non-numeric field 'nan'");
	expect_csv_error("a,b\n1,1e39\n", "non-numeric");
	expect_csv_error("a,b\n1,\n", "t.csv:2: empty field in column 'b'");
	expect_csv_error("a,,b\n1,2,3\n", "column 2 has an empty name");
}

static void test_csv_embedded_nul_is_refused(void **state)
{
	static const char text[] = "a,b\n1,2\0\n";
	struct eng_csv csv;
	struct eng_err err;

	(void)state;
	assert_int_equal(eng_csv_parse(text, sizeof(text) - 1, "t.csv", &csv, &err), -1);
	assert_non_null(strstr(err.msg, "t.csv:2: non-numeric"));
}

static void test_csv_column_by_name_or_index(void **state)
{
	struct eng_csv csv;
	struct eng_err err;

	(void)state;
	assert_int_equal(parse("x,label,2\n1,2,3\n", &csv, &err), 0);
	assert_int_equal(eng_csv_column(&csv, "label", &err), 1);
	assert_int_equal(eng_csv_column(&csv, "2", &err), 2);	/* a name wins */
	assert_int_equal(eng_csv_column(&csv, "0", &err), 0);
	assert_int_equal(eng_csv_column(&csv, "-1", &err), 2);
	assert_int_equal(eng_csv_column(&csv, "3", &err), -1);
	assert_non_null(strstr(err.msg, "out of range"));
	assert_int_equal(eng_csv_column(&csv, "nope", &err), -1);
	assert_non_null(strstr(err.msg, "no column named 'nope'"));
	eng_csv_free(&csv);
}

static void test_csv_load_missing_file(void **state)
{
	struct eng_csv csv;
	struct eng_err err;

	(void)state;
	assert_int_equal(eng_csv_load("/nonexistent/x.csv", &csv, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/x.csv"));
}

static void test_label_out_of_range_names_line(void **state)
{
	struct eng_csv csv;
	struct eng_dataset ds;
	struct eng_err err;

	(void)state;
	assert_int_equal(parse("f,label\n1,0\n\n2,1\n3,2.5\n", &csv, &err), 0);
	assert_int_equal(eng_dataset_from_csv(&csv, 1, 3, "t.csv", &ds, &err), -1);
	assert_non_null(strstr(err.msg, "t.csv:5: label 2.5 out of range"));
	assert_int_equal(eng_dataset_from_csv(&csv, 1, 2, "t.csv", &ds, &err), -1);
	assert_int_equal(eng_dataset_from_csv(&csv, 1, 0, "t.csv", &ds, &err), 0);
	assert_int_equal(ds.d, 1);
	assert_true(ds.y[2] == 2.5f && ds.x[2] == 3.0f);
	eng_dataset_free(&ds);
	eng_csv_free(&csv);
}

/* 100 rows, 4 classes of 10, 20, 30, 40 rows; x = row number. */
static void make_classes(struct eng_dataset *ds)
{
	struct eng_err err;
	char *text = malloc(4096);
	size_t off = 0;
	struct eng_csv csv;

	off += (size_t)sprintf(text, "x,y\n");
	for (int i = 0; i < 100; i++)
		off += (size_t)sprintf(text + off, "%d,%d\n", i, i < 10 ? 0 : i < 30 ? 1 : i < 60 ? 2 : 3);
	assert_int_equal(eng_csv_parse(text, off, "c.csv", &csv, &err), 0);
	assert_int_equal(eng_dataset_from_csv(&csv, 1, 4, "c.csv", ds, &err), 0);
	eng_csv_free(&csv);
	free(text);
}

static void test_split_is_stratified_and_deterministic(void **state)
{
	struct eng_dataset all, tr, te, tr2, te2;
	struct eng_err err;
	int count[4] = { 0 }, seen[100] = { 0 };

	(void)state;
	make_classes(&all);
	assert_int_equal(eng_dataset_split(&all, 0.2, 42, true, &tr, &te, &err), 0);
	assert_int_equal(te.n, 20);
	assert_int_equal(tr.n, 80);
	for (size_t i = 0; i < te.n; i++)
		count[(int)te.y[i]]++;
	assert_int_equal(count[0], 2);
	assert_int_equal(count[1], 4);
	assert_int_equal(count[2], 6);
	assert_int_equal(count[3], 8);
	/* Every row lands on exactly one side, with its own label. */
	for (size_t i = 0; i < tr.n; i++)
		seen[(int)tr.x[i]]++;
	for (size_t i = 0; i < te.n; i++)
		seen[(int)te.x[i]]++;
	for (int i = 0; i < 100; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(eng_dataset_split(&all, 0.2, 42, true, &tr2, &te2, &err), 0);
	assert_memory_equal(te.x, te2.x, te.n * sizeof(float));
	eng_dataset_free(&tr2);
	eng_dataset_free(&te2);
	assert_int_equal(eng_dataset_split(&all, 0.2, 43, true, &tr2, &te2, &err), 0);
	assert_memory_not_equal(te.x, te2.x, te.n * sizeof(float));
	eng_dataset_free(&tr2);
	eng_dataset_free(&te2);
	assert_int_equal(eng_dataset_split(&all, 1.0, 42, true, &tr2, &te2, &err), -1);
	assert_int_equal(eng_dataset_split(&all, 0.001, 42, false, &tr2, &te2, &err), -1);
	assert_non_null(strstr(err.msg, "empty"));
	eng_dataset_free(&tr);
	eng_dataset_free(&te);
	eng_dataset_free(&all);
}

static void test_scalers_fit_on_train_only(void **state)
{
	struct eng_dataset all, tr, te;
	struct eng_scaler sc;
	struct eng_err err;
	enum eng_scale_kind kind;
	double div, mean = 0, var = 0, lo = 1e9, hi = -1e9;

	(void)state;
	make_classes(&all);
	assert_int_equal(eng_dataset_split(&all, 0.3, 7, false, &tr, &te, &err), 0);
	assert_int_equal(eng_scale_parse("standard", &kind, &div, &err), 0);
	assert_int_equal(eng_scaler_fit(kind, div, &tr, &sc, &err), 0);
	assert_int_equal(eng_scaler_apply(&sc, &tr, &err), 0);
	for (size_t i = 0; i < tr.n; i++)
		mean += tr.x[i];
	mean /= (double)tr.n;
	for (size_t i = 0; i < tr.n; i++)
		var += (tr.x[i] - mean) * (tr.x[i] - mean);
	assert_true(fabs(mean) < 1e-5 && fabs(var / (double)tr.n - 1.0) < 1e-4);
	eng_scaler_free(&sc);

	assert_int_equal(eng_scale_parse("minmax", &kind, &div, &err), 0);
	assert_int_equal(eng_scaler_fit(kind, div, &te, &sc, &err), 0);
	assert_int_equal(eng_scaler_apply(&sc, &te, &err), 0);
	for (size_t i = 0; i < te.n; i++) {
		lo = te.x[i] < lo ? te.x[i] : lo;
		hi = te.x[i] > hi ? te.x[i] : hi;
	}
	assert_true(fabs(lo) < 1e-6 && fabs(hi - 1.0) < 1e-6);
	eng_scaler_free(&sc);

	assert_int_equal(eng_scale_parse("1/16", &kind, &div, &err), 0);
	assert_int_equal(kind, ENG_SCALE_DIVISOR);
	assert_true(div == 16.0);
	assert_int_equal(eng_scaler_fit(kind, div, &te, &sc, &err), 0);
	assert_true(sc.mul[0] == 1.0f / 16.0f && sc.offset[0] == 0.0f);
	eng_scaler_free(&sc);
	assert_int_equal(eng_scale_parse("1/0", &kind, &div, &err), -1);
	assert_int_equal(eng_scale_parse("1/x", &kind, &div, &err), -1);
	assert_int_equal(eng_scale_parse("zscore", &kind, &div, &err), -1);
	assert_non_null(strstr(err.msg, "zscore"));
	eng_dataset_free(&tr);
	eng_dataset_free(&te);
	eng_dataset_free(&all);
}

static void test_digits_split_sizes(void **state)
{
	struct eng_csv csv;
	struct eng_dataset all, tr, te;
	struct eng_err err;

	(void)state;
	if (eng_csv_load("datasets/digits.csv", &csv, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(csv.rows, 1797);
	assert_int_equal(eng_dataset_from_csv(&csv, eng_csv_column(&csv, "label", &err), 10,
					      "digits.csv", &all, &err), 0);
	assert_int_equal(all.d, 64);
	assert_int_equal(eng_dataset_split(&all, 0.2, 42, true, &tr, &te, &err), 0);
	/* Per-class rounding: 359-361 of 1797 rows; sklearn takes 360. */
	assert_true(te.n >= 355 && te.n <= 365);
	assert_int_equal(tr.n + te.n, 1797);
	eng_dataset_free(&tr);
	eng_dataset_free(&te);
	eng_dataset_free(&all);
	eng_csv_free(&csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_parses_header_and_rows),
		cmocka_unit_test(test_csv_errors_name_file_and_line),
		cmocka_unit_test(test_csv_embedded_nul_is_refused),
		cmocka_unit_test(test_csv_column_by_name_or_index),
		cmocka_unit_test(test_csv_load_missing_file),
		cmocka_unit_test(test_label_out_of_range_names_line),
		cmocka_unit_test(test_split_is_stratified_and_deterministic),
		cmocka_unit_test(test_scalers_fit_on_train_only),
		cmocka_unit_test(test_digits_split_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
