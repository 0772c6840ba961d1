/*
 * scale.c - feature scaling x' = (x - offset) * mul, fitted on the training
 * split only so no statistic of the test rows leaks into training.  The
 * offsets and multipliers are saved in the model file, so predictions on
 * raw CSV rows are scaled exactly as in training.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_data.h"

int eng_scale_parse(const char *text, enum eng_scale_kind *kind,
		    double *divisor, struct eng_err *err)
{
	char *end;

	*divisor = 1.0;
	if (strcmp(text, "none") == 0)
		*kind = ENG_SCALE_NONE;
	else if (strcmp(text, "standard") == 0)
		*kind = ENG_SCALE_STANDARD;
	else if (strcmp(text, "minmax") == 0)
		*kind = ENG_SCALE_MINMAX;
	else if (strncmp(text, "1/", 2) == 0) {
		*divisor = strtod(text + 2, &end);
		if (end == text + 2 || *end || !isfinite(*divisor) || *divisor <= 0.0)
			return eng_errorf(err, "bad scale '%s': want 1/N with N > 0", text);
		*kind = ENG_SCALE_DIVISOR;
	} else
		return eng_errorf(err, "bad scale '%s': want none, standard, minmax or 1/N",
				  text);
	return 0;
}

int eng_scaler_identity(size_t d, struct eng_scaler *sc, struct eng_err *err)
{
	memset(sc, 0, sizeof(*sc));
	if (d == 0 || d > ENG_CSV_MAX_COLS)
		return eng_errorf(err, "scaler width %zu out of range", d);
	sc->offset = calloc(d, sizeof(float));
	sc->mul = malloc(d * sizeof(float));
	if (!sc->offset || !sc->mul) {
		eng_scaler_free(sc);
		return eng_errorf(err, "out of memory");
	}
	for (size_t j = 0; j < d; j++)
		sc->mul[j] = 1.0f;
	sc->d = d;
	return 0;
}

static void fit_column(enum eng_scale_kind kind, const struct eng_dataset *t,
		       size_t j, float *offset, float *mul)
{
	double a = 0.0, b = 0.0;

	if (kind == ENG_SCALE_STANDARD) {
		for (size_t i = 0; i < t->n; i++)
			a += t->x[i * t->d + j];
		a /= (double)t->n;
		for (size_t i = 0; i < t->n; i++) {
			double v = t->x[i * t->d + j] - a;

			b += v * v;
		}
		b = sqrt(b / (double)t->n);
	} else { /* minmax */
		a = b = t->x[j];
		for (size_t i = 1; i < t->n; i++) {
			double v = t->x[i * t->d + j];

			a = v < a ? v : a;
			b = v > b ? v : b;
		}
		b -= a;
	}
	*offset = (float)a;
	*mul = b > 1e-12 ? (float)(1.0 / b) : 1.0f; /* constant column */
}

int eng_scaler_fit(enum eng_scale_kind kind, double divisor,
		   const struct eng_dataset *train, struct eng_scaler *sc,
		   struct eng_err *err)
{
	if (eng_scaler_identity(train->d, sc, err) < 0)
		return -1;
	for (size_t j = 0; j < train->d; j++) {
		switch (kind) {
		case ENG_SCALE_NONE:
			break;
		case ENG_SCALE_DIVISOR:
			sc->mul[j] = (float)(1.0 / divisor);
			break;
		case ENG_SCALE_STANDARD:
		case ENG_SCALE_MINMAX:
			fit_column(kind, train, j, &sc->offset[j], &sc->mul[j]);
			break;
		}
	}
	return 0;
}

int eng_scaler_apply(const struct eng_scaler *sc, struct eng_dataset *ds,
		     struct eng_err *err)
{
	if (sc->d != ds->d)
		return eng_errorf(err, "data has %zu features, the model expects %zu",
				  ds->d, sc->d);
	for (size_t i = 0; i < ds->n; i++)
		for (size_t j = 0; j < ds->d; j++) {
			float *v = &ds->x[i * ds->d + j];

			*v = (*v - sc->offset[j]) * sc->mul[j];
		}
	return 0;
}

void eng_scaler_free(struct eng_scaler *sc)
{
	free(sc->offset);
	free(sc->mul);
	memset(sc, 0, sizeof(*sc));
}
