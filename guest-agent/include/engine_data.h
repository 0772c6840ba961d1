/*
 * engine_data.h - tabular data for the engine: CSV files, datasets,
 * train/test splits and feature scaling.
 *
 * A CSV file has one header line of column names and rows of numeric
 * fields separated by commas.  Everything read is hostile: every error
 * names the file and line.
 */
#ifndef ENGINE_DATA_H
#define ENGINE_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_error.h"

/* Hard limits that keep sizes small enough for 32-bit row indices. */
#define ENG_CSV_MAX_COLS 65536u
#define ENG_CSV_MAX_ROWS 16777216u

struct eng_csv {
	size_t rows, cols;
	char **names;  /* cols column names from the header */
	float *values; /* rows x cols, row-major */
	uint32_t *line_no; /* rows: each row's line in the file, for errors */
};

/* Parses buf[0..len) (not NUL-terminated); `source` names it in errors. */
int eng_csv_parse(const char *buf, size_t len, const char *source,
		  struct eng_csv *csv, struct eng_err *err);
int eng_csv_load(const char *path, struct eng_csv *csv, struct eng_err *err);
void eng_csv_free(struct eng_csv *csv);
/* A column given by name, or by a decimal index when no column has that
 * name.  Returns the index, or -1 with err filled. */
long eng_csv_column(const struct eng_csv *csv, const char *name_or_index,
		    struct eng_err *err);

/*
 * A dataset: n samples of d float features, one float target each.  For
 * classification (classes > 0) every target is an integer in [0, classes).
 */
struct eng_dataset {
	size_t n, d;
	unsigned classes; /* 0: regression */
	float *x;	  /* n x d, row-major */
	float *y;	  /* n */
};

/*
 * Takes every column but `label` as features.  label < 0: no label column
 * (prediction input; y is all zero).  classes > 0 checks that each label is
 * an integer in [0, classes) and reports the first bad one by line.
 */
int eng_dataset_from_csv(const struct eng_csv *csv, long label,
			 unsigned classes, const char *source,
			 struct eng_dataset *ds, struct eng_err *err);
void eng_dataset_free(struct eng_dataset *ds);
/* A copy of rows idx[0..n). */
int eng_dataset_subset(const struct eng_dataset *src, const uint32_t *idx,
		       size_t n, struct eng_dataset *dst, struct eng_err *err);

/*
 * Deterministic split by seed: test gets round(n * test_frac) rows (at least
 * one of each, train at least one).  Stratified keeps each class's share in
 * both parts (classification only).  Row order inside each part follows the
 * seeded shuffle.
 */
int eng_dataset_split(const struct eng_dataset *all, double test_frac,
		      uint64_t seed, bool stratified, struct eng_dataset *train,
		      struct eng_dataset *test, struct eng_err *err);

/* Feature scaling x' = (x - offset) * mul, column by column. */
enum eng_scale_kind {
	ENG_SCALE_NONE,
	ENG_SCALE_STANDARD, /* mean 0, variance 1 on the training split */
	ENG_SCALE_MINMAX,   /* [0, 1] on the training split */
	ENG_SCALE_DIVISOR,  /* a constant divisor, e.g. 16 for digits */
};

struct eng_scaler {
	size_t d;
	float *offset, *mul; /* d each */
};

/* Parses "none", "standard", "minmax" or "1/N" (N > 0). */
int eng_scale_parse(const char *text, enum eng_scale_kind *kind,
		    double *divisor, struct eng_err *err);
/* Fits on `train` only; constant columns get mul = 1. */
int eng_scaler_fit(enum eng_scale_kind kind, double divisor,
		   const struct eng_dataset *train, struct eng_scaler *sc,
		   struct eng_err *err);
/* An identity scaler of width d. */
int eng_scaler_identity(size_t d, struct eng_scaler *sc, struct eng_err *err);
int eng_scaler_apply(const struct eng_scaler *sc, struct eng_dataset *ds,
		     struct eng_err *err);
void eng_scaler_free(struct eng_scaler *sc);

#endif
