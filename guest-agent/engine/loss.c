/*
 * loss.c - losses and the metric sums as vGPU commands.
 *
 * Cross-entropy: SOFTMAX_XENT on the last layer's logits gives the batch's
 * mean loss and dL/dlogits = (softmax - onehot) / rows in one command.
 * MSE: MSE gives mean (p - t)^2 and 2 (p - t) / count.
 * Both check their output for NaN/inf (VGPU_CMD_F_CHECK_FINITE), which is
 * how divergence stops training.  The batch loss is added to sums[0] with
 * a weight (rows / n, so an epoch sums to the mean over samples); for
 * classification ARGMAX_ROWS + COUNT_EQ add the correct count to sums[1].
 */
#include "model_internal.h"

int eng_encode_loss(struct eng_model *m, uint64_t y, uint32_t rows,
		    bool with_grad, float weight)
{
	uint32_t L = m->arch.n_layers - 1;
	uint32_t k = eng_arch_outputs(&m->arch);
	uint64_t out = m->ws.a[L];
	/* MSE's gradient output is not optional: give it the buffer. */
	uint64_t grad = with_grad || m->arch.loss == ENG_LOSS_MSE ? m->ws.dz[L] :
								    VGPU_NO_OFF;
	int rc;

	vgpu_set_cmd_flags(m->g, VGPU_CMD_F_CHECK_FINITE, 0);
	if (m->arch.loss == ENG_LOSS_XENT)
		rc = vgpu_softmax_xent(m->g, out, y, m->ws.loss, grad, rows, k);
	else
		rc = vgpu_mse(m->g, out, y, m->ws.loss, grad, (uint64_t)rows * k);
	vgpu_set_cmd_flags(m->g, 0, 0);
	if (rc == 0)
		rc = vgpu_axpy(m->g, m->ws.loss, m->ws.sums, 1, weight);
	if (rc == 0 && m->arch.loss == ENG_LOSS_XENT) {
		rc = vgpu_argmax_rows(m->g, out, m->ws.pred, rows, k);
		if (rc == 0)
			rc = vgpu_count_eq(m->g, m->ws.pred, y, m->ws.sums + 4, rows,
					   VGPU_ACCUMULATE);
	}
	return rc;
}
