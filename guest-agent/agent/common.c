/* common.c - data loading, model files and the vGPU for the verbs. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "agent.h"
#include "aivisor_guest.h"
#include "vgpu_client.h"

int agent_load_dataset(const char *path, const char *label, unsigned classes,
		       const char *model, uint32_t inputs, struct eng_dataset *ds,
		       struct eng_err *err)
{
	struct eng_csv csv;
	long col = -1;
	size_t features;
	int rc;

	if (eng_csv_load(path, &csv, err) < 0)
		return -1;
	if (label && (col = eng_csv_column(&csv, label, err)) < 0) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		eng_csv_free(&csv);
		return eng_errorf(err, "%s: --label: %.400s", path, why);
	}
	features = csv.cols - (col >= 0 ? 1 : 0);
	if (model && features != inputs) {
		eng_csv_free(&csv);
		return eng_errorf(err, "%s has %zu feature columns but %s takes %u inputs%s",
				  path, features, model, inputs,
				  label ? "" : " (name the label column with --label)");
	}
	rc = eng_dataset_from_csv(&csv, col, classes, path, ds, err);
	eng_csv_free(&csv);
	return rc;
}

int agent_test_rows(struct eng_dataset *ds, double test_split, uint64_t seed,
		    struct eng_err *err)
{
	struct eng_dataset tr, te;

	if (test_split <= 0.0)
		return 0;
	if (eng_dataset_split(ds, test_split, seed, ds->classes > 0, &tr, &te, err) < 0)
		return -1;
	eng_dataset_free(&tr);
	eng_dataset_free(ds);
	*ds = te;
	return 0;
}

int agent_open_vgpu(struct vgpu **g, struct eng_err *err)
{
	char why[256];
	int rc = vgpu_open(NULL, g, why, sizeof(why));

	if (rc < 0 && !getenv(AIVISOR_VGPU_ENV))
		return eng_errorf(err, "cannot open the vGPU: %s; %s is not set (give the microVM "
				  "a vGPU with --vgpu-memory MIB, or set %s=unix:SOCKET for a "
				  "host process)", why, AIVISOR_VGPU_ENV, AIVISOR_VGPU_ENV);
	if (rc < 0)
		return eng_errorf(err, "cannot open the vGPU (%s=%s): %s", AIVISOR_VGPU_ENV,
				  getenv(AIVISOR_VGPU_ENV), why);
	return 0;
}

double agent_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}
