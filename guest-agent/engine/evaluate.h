/* evaluate.h - evaluation over a dataset already in the arena (internal). */
#ifndef ENGINE_EVALUATE_H
#define ENGINE_EVALUATE_H

#include "model_internal.h"

/* Sum of squared deviations of the targets from their mean (for R^2). */
double eng_target_sst(const struct eng_dataset *ds);
/* Uses the workspace as it is (at least one row). */
int eng_eval_device(struct eng_model *m, const struct eng_device_data *dd,
		    double sst, struct eng_metrics *out, struct eng_err *err);

#endif
