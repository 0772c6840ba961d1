/*
 * device_data.c - a dataset copied into the arena once, so that training
 * batches are selected on the vGPU (GATHER_ROWS) instead of being copied
 * by the tenant at every step.  Class labels become int32, the type
 * SOFTMAX_XENT and COUNT_EQ take; features get the ones column
 * (model_internal.h).
 */
#include <string.h>

#include "model_internal.h"

int eng_device_data_upload(struct eng_model *m, const struct eng_dataset *ds,
			   struct eng_device_data *dd, struct eng_err *err)
{
	const struct eng_arch *a = &m->arch;
	uint32_t tc = eng_target_cols(a);
	unsigned classes = eng_arch_classes(a);

	dd->x = dd->y = VGPU_NO_OFF;
	dd->n = ds->n;
	dd->d = ds->d;
	if (ds->d != eng_arch_inputs(a))
		return eng_errorf(err, "the data has %zu features, the model takes %u",
				  ds->d, eng_arch_inputs(a));
	if (classes && ds->classes != classes)
		return eng_errorf(err, "the data has %u classes, the model outputs %u",
				  ds->classes, classes);
	if (!classes && tc != 1)
		return eng_errorf(err, "regression data has one target, the model outputs %u",
				  tc);
	if (ds->n > UINT32_MAX / 2)
		return eng_errorf(err, "%zu rows: too many", ds->n);
	if (eng_arena_alloc(m, (uint64_t)ds->n * (ds->d + 1) * 4, "the dataset", &dd->x, err) ||
	    eng_arena_alloc(m, (uint64_t)ds->n * 4, "the dataset labels", &dd->y, err)) {
		eng_device_data_free(m, dd);
		return -1;
	}
	float *x = vgpu_ptr(m->g, dd->x);

	/* Each row gets the ones column of the bias folding. */
	for (size_t i = 0; i < ds->n; i++) {
		memcpy(x + i * (ds->d + 1), ds->x + i * ds->d, ds->d * 4);
		x[i * (ds->d + 1) + ds->d] = 1.0f;
	}
	if (classes) {
		int32_t *y = vgpu_ptr(m->g, dd->y);

		for (size_t i = 0; i < ds->n; i++)
			y[i] = (int32_t)ds->y[i];
	} else {
		memcpy(vgpu_ptr(m->g, dd->y), ds->y, ds->n * 4);
	}
	return 0;
}

void eng_device_data_free(struct eng_model *m, struct eng_device_data *dd)
{
	eng_arena_free(m, &dd->x);
	eng_arena_free(m, &dd->y);
}
