/*
 * dataset.c - features and targets taken from a CSV table, subsets, and
 * the deterministic (optionally stratified) train/test split.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_data.h"
#include "engine_rng.h"

static int dataset_alloc(struct eng_dataset *ds, size_t n, size_t d,
			 unsigned classes, struct eng_err *err)
{
	memset(ds, 0, sizeof(*ds));
	if (n == 0 || d == 0 || n > ENG_CSV_MAX_ROWS || d > ENG_CSV_MAX_COLS)
		return eng_errorf(err, "dataset of %zu x %zu is empty or too large", n, d);
	ds->x = malloc(n * d * sizeof(float));
	ds->y = calloc(n, sizeof(float));
	if (!ds->x || !ds->y) {
		eng_dataset_free(ds);
		return eng_errorf(err, "out of memory for a %zu x %zu dataset", n, d);
	}
	ds->n = n;
	ds->d = d;
	ds->classes = classes;
	return 0;
}

int eng_dataset_from_csv(const struct eng_csv *csv, long label,
			 unsigned classes, const char *source,
			 struct eng_dataset *ds, struct eng_err *err)
{
	size_t d = csv->cols - (label >= 0 ? 1 : 0);

	if (label >= 0 && (size_t)label >= csv->cols)
		return eng_errorf(err, "%s: label column %ld out of range", source, label);
	if (d == 0)
		return eng_errorf(err, "%s: no feature columns besides the label", source);
	if (dataset_alloc(ds, csv->rows, d, classes, err) < 0)
		return -1;
	for (size_t r = 0; r < csv->rows; r++) {
		const float *row = csv->values + r * csv->cols;
		float *x = ds->x + r * d;

		for (size_t c = 0, k = 0; c < csv->cols; c++) {
			if ((long)c == label)
				ds->y[r] = row[c];
			else
				x[k++] = row[c];
		}
		if (label >= 0 && classes > 0) {
			float y = ds->y[r];

			if (!(y >= 0.0f && y < (float)classes && y == floorf(y))) {
				eng_errorf(err, "%s:%u: label %g out of range: want an integer in [0, %u)",
					   source, csv->line_no[r], (double)y, classes);
				eng_dataset_free(ds);
				return -1;
			}
		}
	}
	return 0;
}

void eng_dataset_free(struct eng_dataset *ds)
{
	free(ds->x);
	free(ds->y);
	memset(ds, 0, sizeof(*ds));
}

int eng_dataset_subset(const struct eng_dataset *src, const uint32_t *idx,
		       size_t n, struct eng_dataset *dst, struct eng_err *err)
{
	if (dataset_alloc(dst, n, src->d, src->classes, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= src->n) {
			eng_dataset_free(dst);
			return eng_errorf(err, "subset row %u out of range", idx[i]);
		}
		memcpy(dst->x + i * src->d, src->x + (size_t)idx[i] * src->d,
		       src->d * sizeof(float));
		dst->y[i] = src->y[idx[i]];
	}
	return 0;
}

/*
 * Stratified: shuffle each class's rows and send round(share) of each to
 * the test side, then shuffle both sides so classes interleave.
 */
static size_t split_indices(const struct eng_dataset *all, double test_frac,
			    bool stratified, struct eng_rng *rng, uint32_t *idx,
			    uint32_t *is_test)
{
	size_t n = all->n, n_test = 0;

	for (size_t i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	eng_rng_shuffle_u32(rng, idx, n);
	memset(is_test, 0, n * sizeof(*is_test));
	if (!stratified) {
		n_test = (size_t)llround((double)n * test_frac);
		for (size_t i = 0; i < n_test; i++)
			is_test[idx[i]] = 1;
		return n_test;
	}
	for (unsigned c = 0; c < all->classes; c++) {
		size_t in_class = 0, want, taken = 0;

		for (size_t i = 0; i < n; i++)
			in_class += all->y[idx[i]] == (float)c;
		want = (size_t)llround((double)in_class * test_frac);
		for (size_t i = 0; i < n && taken < want; i++)
			if (all->y[idx[i]] == (float)c) {
				is_test[idx[i]] = 1;
				taken++;
			}
		n_test += taken;
	}
	return n_test;
}

int eng_dataset_split(const struct eng_dataset *all, double test_frac,
		      uint64_t seed, bool stratified, struct eng_dataset *train,
		      struct eng_dataset *test, struct eng_err *err)
{
	struct eng_rng rng;
	uint32_t *idx, *is_test, *tr, *te;
	size_t n_test, nt = 0, nr = 0;
	int rc = -1;

	memset(train, 0, sizeof(*train));
	memset(test, 0, sizeof(*test));
	if (!(test_frac > 0.0 && test_frac < 1.0))
		return eng_errorf(err, "split fraction %g: want a number in (0, 1)", test_frac);
	if (stratified && all->classes == 0)
		return eng_errorf(err, "a stratified split needs class labels");
	idx = malloc(all->n * sizeof(*idx));
	is_test = malloc(all->n * sizeof(*is_test));
	tr = malloc(all->n * sizeof(*tr));
	te = malloc(all->n * sizeof(*te));
	if (!idx || !is_test || !tr || !te) {
		eng_errorf(err, "out of memory splitting %zu rows", all->n);
		goto out;
	}
	eng_rng_seed(&rng, seed);
	n_test = split_indices(all, test_frac, stratified, &rng, idx, is_test);
	if (n_test == 0 || n_test >= all->n) {
		eng_errorf(err, "splitting %zu rows by %g leaves one side empty",
			   all->n, test_frac);
		goto out;
	}
	/* Keep the shuffled order so neither side is sorted by class. */
	for (size_t i = 0; i < all->n; i++) {
		if (is_test[idx[i]])
			te[nt++] = idx[i];
		else
			tr[nr++] = idx[i];
	}
	if (eng_dataset_subset(all, tr, nr, train, err) < 0)
		goto out;
	if (eng_dataset_subset(all, te, nt, test, err) < 0) {
		eng_dataset_free(train);
		goto out;
	}
	rc = 0;
out:
	free(idx);
	free(is_test);
	free(tr);
	free(te);
	return rc;
}
