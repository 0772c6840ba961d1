/*
 * evaluate.c - evaluation, prediction and plain gradients.
 *
 * Evaluation runs the forward pass and loss over the dataset in chunks of
 * the workspace's rows straight from the uploaded dataset (no copies),
 * accumulating the loss and correct count on the vGPU; the tenant reads
 * two numbers at the end, after one sync.
 */
#include <math.h>
#include <string.h>

#include "evaluate.h"

#define EVAL_CHUNK 256u
double eng_target_sst(const struct eng_dataset *ds)
{
	double mean = 0.0, sst = 0.0;

	for (size_t i = 0; i < ds->n; i++)
		mean += ds->y[i];
	mean /= (double)ds->n;
	for (size_t i = 0; i < ds->n; i++)
		sst += (ds->y[i] - mean) * (ds->y[i] - mean);
	return sst;
}

int eng_eval_device(struct eng_model *m, const struct eng_device_data *dd,
		    double sst, struct eng_metrics *out, struct eng_err *err)
{
	uint32_t rows = m->ws.rows, tc = eng_target_cols(&m->arch);
	const float *sums = vgpu_ptr(m->g, m->ws.sums);
	int32_t correct;

	memset(out, 0, sizeof(*out));
	if (eng_vgpu_check(vgpu_fill(m->g, m->ws.sums, 2, 0.0f), "a fill", err) < 0)
		return -1;
	for (size_t s = 0; s < dd->n; s += rows) {
		uint32_t r = (uint32_t)(dd->n - s < rows ? dd->n - s : rows);
		uint64_t x = dd->x + (uint64_t)s * (dd->d + 1) * 4;
		uint64_t y = dd->y + (uint64_t)s * tc * 4;
		int rc = eng_encode_forward(m, x, r);

		if (rc == 0)
			rc = eng_encode_loss(m, y, r, false, (float)r / (float)dd->n);
		if (eng_vgpu_check(rc, "evaluation", err) < 0)
			return -1;
	}
	if (eng_vgpu_sync(m, "evaluation", err) < 0)
		return -1;
	memcpy(&correct, &sums[1], 4);
	out->n = dd->n;
	out->loss = sums[0];
	if (m->arch.loss == ENG_LOSS_XENT) {
		out->accuracy = (double)correct / (double)dd->n;
	} else {
		out->mse = out->loss;
		out->r2 = sst > 0.0 ? 1.0 - out->mse * (double)dd->n * tc / sst : 0.0;
	}
	if (!isfinite(out->loss))
		return eng_errorf(err, "evaluation: the loss is NaN or infinite");
	return 0;
}

int eng_model_evaluate(struct eng_model *m, const struct eng_dataset *ds,
		       struct eng_metrics *out, struct eng_err *err)
{
	struct eng_device_data dd;
	int rc;

	if (eng_workspace_ensure(m, EVAL_CHUNK, err) < 0 ||
	    eng_device_data_upload(m, ds, &dd, err) < 0)
		return -1;
	rc = eng_eval_device(m, &dd, m->arch.loss == ENG_LOSS_MSE ? eng_target_sst(ds) : 0.0,
			     out, err);
	eng_device_data_free(m, &dd);
	return rc;
}

/* Rows of x into the batch buffer, beside its ones column. */
static void copy_rows(struct eng_model *m, const float *x, uint32_t rows)
{
	uint32_t in = eng_arch_inputs(&m->arch);
	float *dst = vgpu_ptr(m->g, m->ws.x);

	for (uint32_t r = 0; r < rows; r++)
		memcpy(dst + (size_t)r * (in + 1), x + (size_t)r * in, in * 4);
}

/* Softmax probabilities overwrite the logits (in place, row-wise). */
static int encode_outputs(struct eng_model *m, uint32_t r)
{
	uint32_t L = m->arch.n_layers - 1;

	if (m->arch.layer[L].act != ENG_ACT_SOFTMAX)
		return 0;
	return vgpu_softmax(m->g, m->ws.a[L], m->ws.a[L], r, eng_arch_outputs(&m->arch));
}

int eng_model_predict(struct eng_model *m, const float *x, size_t n,
		      float *out, struct eng_err *err)
{
	uint32_t in = eng_arch_inputs(&m->arch), k = eng_arch_outputs(&m->arch);
	uint32_t rows = (uint32_t)(n < EVAL_CHUNK ? n : EVAL_CHUNK);

	if (n == 0)
		return 0;
	if (eng_workspace_ensure(m, rows, err) < 0)
		return -1;
	rows = m->ws.rows;
	for (size_t s = 0; s < n; s += rows) {
		uint32_t r = (uint32_t)(n - s < rows ? n - s : rows);
		int rc;

		copy_rows(m, x + s * in, r);
		rc = eng_encode_forward(m, m->ws.x, r);
		if (rc == 0)
			rc = encode_outputs(m, r);
		if (eng_vgpu_check(rc, "prediction", err) < 0 ||
		    eng_vgpu_sync(m, "prediction", err) < 0)
			return -1;
		memcpy(out + s * k, vgpu_ptr(m->g, m->ws.a[m->arch.n_layers - 1]),
		       (size_t)r * k * 4);
	}
	return 0;
}

int eng_model_gradients(struct eng_model *m, const float *x, const float *y,
			size_t n, double *loss, float *grads, struct eng_err *err)
{
	uint32_t tc = eng_target_cols(&m->arch);
	int rc;

	if (m->kind != ENG_PARAMS_F32)
		return eng_errorf(err, "gradients need a float model, not a quantized one");
	if (n == 0 || n > EVAL_CHUNK * 64)
		return eng_errorf(err, "gradients of %zu rows: want 1..%u", n, EVAL_CHUNK * 64);
	if (eng_workspace_ensure(m, (uint32_t)n, err) < 0)
		return -1;
	copy_rows(m, x, (uint32_t)n);
	if (m->arch.loss == ENG_LOSS_XENT) {
		int32_t *labels = vgpu_ptr(m->g, m->ws.y);

		for (size_t i = 0; i < n; i++)
			labels[i] = (int32_t)y[i];
	} else {
		memcpy(vgpu_ptr(m->g, m->ws.y), y, n * tc * 4);
	}
	rc = vgpu_fill(m->g, m->ws.sums, 2, 0.0f);
	if (rc == 0)
		rc = eng_encode_forward(m, m->ws.x, (uint32_t)n);
	if (rc == 0)
		rc = eng_encode_loss(m, m->ws.y, (uint32_t)n, true, 1.0f);
	if (rc == 0)
		rc = eng_encode_backward(m, m->ws.x, (uint32_t)n);
	if (eng_vgpu_check(rc, "gradients", err) < 0 ||
	    eng_vgpu_sync(m, "gradients", err) < 0)
		return -1;
	*loss = *(const float *)vgpu_ptr(m->g, m->ws.loss);
	memcpy(grads, vgpu_ptr(m->g, m->grads), m->n_params * 4);
	return 0;
}
