/*
 * selftest.c - every opcode against a plain C reference (double
 * accumulation).  Tolerances are relative to 1 + |reference|:
 *   exact ops (fill, copy, gather, argmax, counts, int8 GEMM)  0
 *   elementwise arithmetic, optimizers                        1e-6
 *   transcendental (sigmoid, tanh, softmax, losses)           1e-5
 *   GEMM (k <= 300, inputs in [-1, 1])                        1e-4
 * Shapes are odd and leading dimensions padded, so indexing mistakes show.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selftest.h"

#define MAX_BUFS 32

struct ctx {
	struct vgpu *g;
	uint64_t offs[MAX_BUFS];
	int n;
	char *why;
	size_t whylen;
	uint32_t rng;
};

static void *bbuf(struct ctx *c, size_t bytes, uint64_t *off)
{
	if (c->n == MAX_BUFS || vgpu_alloc(c->g, bytes, off))
		return NULL;
	c->offs[c->n++] = *off;
	return vgpu_ptr(c->g, *off);
}

static float *fbuf(struct ctx *c, size_t n, uint64_t *off)
{
	return bbuf(c, n * sizeof(float), off);
}

static void release(struct ctx *c)
{
	while (c->n)
		vgpu_free(c->g, c->offs[--c->n]);
}

static float frand(struct ctx *c)
{
	c->rng = c->rng * 1664525u + 1013904223u;
	return (float)((c->rng >> 8) / 8388608.0 - 1.0);
}

static void frand_fill(struct ctx *c, float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = frand(c);
}

static int fail(struct ctx *c, const char *fmt, const char *what, size_t i, double got, double want)
{
	snprintf(c->why, c->whylen, fmt, what, i, got, want);
	return -1;
}

static int cmp(struct ctx *c, const char *what, const float *got, const double *want, size_t n,
	       double tol)
{
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - want[i]);
		if (!(d <= tol * (1.0 + fabs(want[i]))))
			return fail(c, "%s[%zu]: got %.9g, want %.9g", what, i, got[i], want[i]);
	}
	return 0;
}

static int sync_ok(struct ctx *c)
{
	int rc = vgpu_sync(c->g);
	if (rc) {
		struct vgpu_cqe e = { 0 };
		vgpu_next_error(c->g, &e);
		snprintf(c->why, c->whylen, "vgpu_sync: %d (%s: command %u, %s)", rc, strerror(-rc),
			 e.index, vgpu_strerror(e.status));
		return -1;
	}
	return 0;
}

#define TRY(x) do { if (x) return -1; } while (0)
#define NEED(p) do { if (!(p)) { snprintf(c->why, c->whylen, "arena allocation failed"); return -1; } } while (0)
#define ENC(x) do { int rc_ = (x); if (rc_) { snprintf(c->why, c->whylen, "%s: %d", #x, rc_); return -1; } } while (0)

static double *dbuf(size_t n)
{
	return calloc(n ? n : 1, sizeof(double));
}

/* ---- cases ------------------------------------------------------------ */

static int t_fill_copy(struct ctx *c)
{
	uint64_t a, b;
	float *pa = fbuf(c, 1000, &a), *pb = fbuf(c, 1000, &b);
	NEED(pa && pb);
	ENC(vgpu_fill(c->g, a, 1000, 2.5f));
	ENC(vgpu_copy(c->g, b, a, 400 * 4));
	/* Overlapping copy: memmove semantics. */
	ENC(vgpu_copy(c->g, a + 4, a, 10 * 4));
	ENC(vgpu_fill(c->g, b + 400 * 4, 600, -1.0f));
	TRY(sync_ok(c));
	double *w = dbuf(1000);
	for (int i = 0; i < 1000; i++)
		w[i] = i < 400 ? 2.5 : -1.0;
	int rc = cmp(c, "copy", pb, w, 1000, 0);
	for (int i = 0; i < 1000; i++)
		w[i] = 2.5;
	if (!rc)
		rc = cmp(c, "fill", pa, w, 1000, 0);
	free(w);
	return rc;
}

static int gemm_case(struct ctx *c, unsigned trans, uint32_t m, uint32_t n, uint32_t k)
{
	int ta = trans & VGPU_GEMM_TRANS_A, tb = trans & VGPU_GEMM_TRANS_B;
	uint32_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
	uint32_t lda = ac + 3, ldb = bc + 1, ldc = n + 2;
	uint64_t a, b, cc;
	float *pa = fbuf(c, (size_t)ar * lda, &a), *pb = fbuf(c, (size_t)br * ldb, &b);
	float *pc = fbuf(c, (size_t)m * ldc, &cc);
	NEED(pa && pb && pc);
	frand_fill(c, pa, (size_t)ar * lda);
	frand_fill(c, pb, (size_t)br * ldb);
	frand_fill(c, pc, (size_t)m * ldc);
	double *w = dbuf((size_t)m * ldc);
	float alpha = 0.5f, beta = 0.25f;
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < ldc; j++) {
			size_t o = (size_t)i * ldc + j;
			if (j >= n) {
				w[o] = pc[o];   /* padding must stay untouched */
				continue;
			}
			double s = 0;
			for (uint32_t p = 0; p < k; p++) {
				double x = ta ? pa[(size_t)p * lda + i] : pa[(size_t)i * lda + p];
				double y = tb ? pb[(size_t)j * ldb + p] : pb[(size_t)p * ldb + j];
				s += x * y;
			}
			w[o] = alpha * s + beta * pc[o];
		}
	ENC(vgpu_gemm(c->g, trans, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc));
	int rc = sync_ok(c);
	if (!rc)
		rc = cmp(c, "gemm C", pc, w, (size_t)m * ldc, 1e-4);
	free(w);
	return rc;
}

static int t_gemm_nn(struct ctx *c) { return gemm_case(c, 0, 37, 29, 41); }
static int t_gemm_tn(struct ctx *c) { return gemm_case(c, VGPU_GEMM_TRANS_A, 23, 31, 17); }
static int t_gemm_nt(struct ctx *c) { return gemm_case(c, VGPU_GEMM_TRANS_B, 19, 33, 27); }
static int t_gemm_tt(struct ctx *c)
{
	return gemm_case(c, VGPU_GEMM_TRANS_A | VGPU_GEMM_TRANS_B, 300, 70, 300);
}

static int t_bias(struct ctx *c)
{
	const uint32_t r = 13, n = 7;
	uint64_t x, b, dy, db;
	float *px = fbuf(c, r * n, &x), *pb = fbuf(c, n, &b), *pdy = fbuf(c, r * n, &dy);
	float *pdb = fbuf(c, n, &db);
	NEED(px && pb && pdy && pdb);
	frand_fill(c, px, r * n);
	frand_fill(c, pb, n);
	frand_fill(c, pdy, r * n);
	frand_fill(c, pdb, n);
	double *wx = dbuf(r * n), *wdb = dbuf(n);
	for (uint32_t i = 0; i < r * n; i++)
		wx[i] = (double)px[i] + pb[i % n];
	for (uint32_t j = 0; j < n; j++) {
		double s = 0;
		for (uint32_t i = 0; i < r; i++)
			s += pdy[i * n + j];
		wdb[j] = 0.5 * pdb[j] + s;
	}
	ENC(vgpu_bias_add(c->g, x, b, r, n));
	ENC(vgpu_bias_grad(c->g, dy, db, r, n, 0.5f));
	int rc = sync_ok(c);
	if (!rc)
		rc = cmp(c, "bias_add", px, wx, r * n, 1e-6);
	if (!rc)
		rc = cmp(c, "bias_grad", pdb, wdb, n, 1e-5);
	free(wx);
	free(wdb);
	return rc;
}

static double act_ref(unsigned a, double x)
{
	return a == VGPU_ACT_RELU ? (x > 0 ? x : 0) : a == VGPU_ACT_SIGMOID ? 1 / (1 + exp(-x)) : tanh(x);
}

static double dact_ref(unsigned a, double y)
{
	return a == VGPU_ACT_RELU ? (y > 0) : a == VGPU_ACT_SIGMOID ? y * (1 - y) : 1 - y * y;
}

static int t_act(struct ctx *c)
{
	const uint32_t n = 301;
	for (unsigned a = VGPU_ACT_RELU; a <= VGPU_ACT_TANH; a++) {
		uint64_t x, y, dy, dx;
		float *px = fbuf(c, n, &x), *py = fbuf(c, n, &y), *pdy = fbuf(c, n, &dy);
		float *pdx = fbuf(c, n, &dx);
		NEED(px && py && pdy && pdx);
		frand_fill(c, px, n);
		frand_fill(c, pdy, n);
		double *wy = dbuf(n), *wdx = dbuf(n), *wip = dbuf(n);
		for (uint32_t i = 0; i < n; i++) {
			wy[i] = act_ref(a, px[i]);
			wip[i] = act_ref(a, px[i]);
		}
		ENC(vgpu_act_fwd(c->g, a, x, y, n));
		ENC(vgpu_act_bwd(c->g, a, y, dy, dx, n));
		ENC(vgpu_act_fwd(c->g, a, x, x, n));   /* in place */
		int rc = sync_ok(c);
		for (uint32_t i = 0; i < n; i++)
			wdx[i] = (double)pdy[i] * dact_ref(a, py[i]);
		if (!rc)
			rc = cmp(c, "act_fwd", py, wy, n, 1e-5);
		if (!rc)
			rc = cmp(c, "act_bwd", pdx, wdx, n, 1e-5);
		if (!rc)
			rc = cmp(c, "act_fwd in place", px, wip, n, 1e-5);
		free(wy);
		free(wdx);
		free(wip);
		release(c);
		TRY(rc);
	}
	return 0;
}

static int t_softmax_xent(struct ctx *c)
{
	const uint32_t r = 9, n = 11;
	uint64_t lg, sm, lb, loss, dl;
	float *plg = fbuf(c, r * n, &lg), *psm = fbuf(c, r * n, &sm), *pl = fbuf(c, 1, &loss);
	float *pdl = fbuf(c, r * n, &dl);
	int32_t *plb = bbuf(c, r * 4, &lb);
	NEED(plg && psm && pl && pdl && plb);
	for (uint32_t i = 0; i < r * n; i++)
		plg[i] = 4 * frand(c);
	for (uint32_t i = 0; i < r; i++)
		plb[i] = (int32_t)((i * 7) % n);
	double *wsm = dbuf(r * n), *wdl = dbuf(r * n), wl = 0;
	for (uint32_t i = 0; i < r; i++) {
		double mx = -INFINITY, s = 0;
		for (uint32_t j = 0; j < n; j++)
			mx = fmax(mx, plg[i * n + j]);
		for (uint32_t j = 0; j < n; j++)
			s += exp(plg[i * n + j] - mx);
		for (uint32_t j = 0; j < n; j++) {
			double p = exp(plg[i * n + j] - mx) / s;
			wsm[i * n + j] = p;
			wdl[i * n + j] = (p - ((int32_t)j == plb[i])) / r;
		}
		wl -= log(wsm[i * n + plb[i]]);
	}
	wl /= r;
	ENC(vgpu_softmax(c->g, lg, sm, r, n));
	ENC(vgpu_softmax_xent(c->g, lg, lb, loss, dl, r, n));
	int rc = sync_ok(c);
	if (!rc)
		rc = cmp(c, "softmax", psm, wsm, r * n, 1e-5);
	if (!rc)
		rc = cmp(c, "xent loss", pl, &wl, 1, 1e-5);
	if (!rc)
		rc = cmp(c, "xent dlogits", pdl, wdl, r * n, 1e-5);
	/* In place (dlogits == logits) and without a gradient. */
	if (!rc) {
		ENC(vgpu_softmax_xent(c->g, lg, lb, loss, VGPU_NO_OFF, r, n));
		ENC(vgpu_softmax_xent(c->g, lg, lb, loss, lg, r, n));
		rc = sync_ok(c);
	}
	if (!rc)
		rc = cmp(c, "xent in place", plg, wdl, r * n, 1e-5);
	free(wsm);
	free(wdl);
	return rc;
}

static int t_mse(struct ctx *c)
{
	const uint32_t n = 77;
	uint64_t p, t, l, g;
	float *pp = fbuf(c, n, &p), *pt = fbuf(c, n, &t), *pl = fbuf(c, 1, &l), *pg = fbuf(c, n, &g);
	NEED(pp && pt && pl && pg);
	frand_fill(c, pp, n);
	frand_fill(c, pt, n);
	double wl = 0, *wg = dbuf(n);
	for (uint32_t i = 0; i < n; i++) {
		double d = (double)pp[i] - pt[i];
		wl += d * d / n;
		wg[i] = 2 * d / n;
	}
	ENC(vgpu_mse(c->g, p, t, l, g, n));
	int rc = sync_ok(c);
	if (!rc)
		rc = cmp(c, "mse loss", pl, &wl, 1, 1e-5);
	if (!rc)
		rc = cmp(c, "mse grad", pg, wg, n, 1e-5);
	free(wg);
	return rc;
}

static int t_elementwise(struct ctx *c)
{
	const uint32_t n = 129;
	uint64_t a, b, s, m, sc, y;
	float *pa = fbuf(c, n, &a), *pb = fbuf(c, n, &b), *ps = fbuf(c, n, &s);
	float *pm = fbuf(c, n, &m), *psc = fbuf(c, n, &sc), *py = fbuf(c, n, &y);
	NEED(pa && pb && ps && pm && psc && py);
	frand_fill(c, pa, n);
	frand_fill(c, pb, n);
	frand_fill(c, py, n);
	double *ws = dbuf(n), *wm = dbuf(n), *wsc = dbuf(n), *wy = dbuf(n);
	for (uint32_t i = 0; i < n; i++) {
		ws[i] = (double)pa[i] + pb[i];
		wm[i] = (double)pa[i] * pb[i];
		wsc[i] = -1.5 * pa[i];
		wy[i] = py[i] + 0.25 * pa[i];
	}
	ENC(vgpu_add(c->g, a, b, s, n));
	ENC(vgpu_mul(c->g, a, b, m, n));
	ENC(vgpu_scale(c->g, a, sc, n, -1.5f));
	ENC(vgpu_axpy(c->g, a, y, n, 0.25f));
	int rc = sync_ok(c);
	if (!rc)
		rc = cmp(c, "add", ps, ws, n, 1e-6);
	if (!rc)
		rc = cmp(c, "mul", pm, wm, n, 1e-6);
	if (!rc)
		rc = cmp(c, "scale", psc, wsc, n, 1e-6);
	if (!rc)
		rc = cmp(c, "axpy", py, wy, n, 1e-6);
	free(ws);
	free(wm);
	free(wsc);
	free(wy);
	return rc;
}

static int t_reductions(struct ctx *c)
{
	const uint32_t r = 17, n = 10;
	uint64_t x, am, lb, cnt, sum;
	float *px = fbuf(c, r * n, &x), *ps = fbuf(c, 1, &sum);
	int32_t *pam = bbuf(c, r * 4, &am), *plb = bbuf(c, r * 4, &lb), *pc = bbuf(c, 4, &cnt);
	NEED(px && ps && pam && plb && pc);
	frand_fill(c, px, r * n);
	int32_t want_eq = 0;
	double wsum = 0;
	for (uint32_t i = 0; i < r; i++) {
		uint32_t best = 0;
		for (uint32_t j = 1; j < n; j++)
			if (px[i * n + j] > px[i * n + best])
				best = j;
		plb[i] = i % 3 ? (int32_t)best : (int32_t)((best + 1) % n);
		want_eq += plb[i] == (int32_t)best;
	}
	for (uint32_t i = 0; i < r * n; i++)
		wsum += px[i];
	*pc = 5;
	*ps = 1.0f;
	ENC(vgpu_argmax_rows(c->g, x, am, r, n));
	ENC(vgpu_count_eq(c->g, am, lb, cnt, r, VGPU_ACCUMULATE));
	ENC(vgpu_sum(c->g, x, sum, r * n, VGPU_MEAN | VGPU_ACCUMULATE));
	TRY(sync_ok(c));
	for (uint32_t i = 0; i < r; i++) {
		uint32_t best = 0;
		for (uint32_t j = 1; j < n; j++)
			if (px[i * n + j] > px[i * n + best])
				best = j;
		if (pam[i] != (int32_t)best)
			return fail(c, "%s[%zu]: got %g, want %g", "argmax", i, pam[i], best);
	}
	if (*pc != 5 + want_eq)
		return fail(c, "%s[%zu]: got %g, want %g", "count_eq", 0, *pc, 5 + want_eq);
	double w = 1.0 + wsum / (r * n);
	return cmp(c, "sum", ps, &w, 1, 1e-6);
}

static int t_optimizers(struct ctx *c)
{
	const uint32_t n = 50;
	uint64_t p1, p2, p3, g, v, m, vv, h;
	float *pp1 = fbuf(c, n, &p1), *pp2 = fbuf(c, n, &p2), *pp3 = fbuf(c, n, &p3);
	float *pg = fbuf(c, n, &g), *pv = fbuf(c, n, &v), *pm = fbuf(c, n, &m), *pvv = fbuf(c, n, &vv);
	struct vgpu_adam_hyper *ph = bbuf(c, sizeof(*ph), &h);
	NEED(pp1 && pp2 && pp3 && pg && pv && pm && pvv && ph);
	frand_fill(c, pp1, n);
	memcpy(pp2, pp1, n * 4);
	memcpy(pp3, pp1, n * 4);
	frand_fill(c, pg, n);
	memset(pv, 0, n * 4);
	memset(pm, 0, n * 4);
	memset(pvv, 0, n * 4);
	double *w1 = dbuf(n), *w2 = dbuf(n), *w3 = dbuf(n), *wv = dbuf(n), *wm = dbuf(n), *wvv = dbuf(n);
	for (uint32_t i = 0; i < n; i++) {
		w1[i] = pp1[i] - 0.1 * (pg[i] + 0.01 * pp1[i]);
		w2[i] = pp2[i];
		w3[i] = pp3[i];
	}
	/* Two momentum steps and two Adam steps (step 1, then step 2 with
	 * the hyper-parameters rewritten in the arena between them). */
	for (int step = 1; step <= 2; step++) {
		for (uint32_t i = 0; i < n; i++) {
			wv[i] = 0.9 * wv[i] + pg[i] + 0.001 * w2[i];
			w2[i] -= 0.05 * wv[i];
			double gi = pg[i] + 0.0 * w3[i];
			wm[i] = 0.9 * wm[i] + 0.1 * gi;
			wvv[i] = 0.999 * wvv[i] + 0.001 * gi * gi;
			w3[i] -= 0.01 * (wm[i] / (1 - pow(0.9, step))) /
				 (sqrt(wvv[i] / (1 - pow(0.999, step))) + 1e-8);
		}
	}
	ENC(vgpu_sgd(c->g, p1, g, n, 0.1f, 0.01f));
	*ph = (struct vgpu_adam_hyper){ .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
					.weight_decay = 0.0f, .step = 1 };
	ENC(vgpu_sgd_momentum(c->g, p2, g, v, n, 0.05f, 0.9f, 0.001f));
	ENC(vgpu_adam(c->g, p3, g, m, vv, h, n));
	TRY(sync_ok(c));
	ph->step = 2;
	ENC(vgpu_sgd_momentum(c->g, p2, g, v, n, 0.05f, 0.9f, 0.001f));
	ENC(vgpu_adam(c->g, p3, g, m, vv, h, n));
	int rc = sync_ok(c);
	if (!rc)
		rc = cmp(c, "sgd", pp1, w1, n, 1e-6);
	if (!rc)
		rc = cmp(c, "momentum", pp2, w2, n, 1e-6);
	if (!rc)
		rc = cmp(c, "adam", pp3, w3, n, 1e-5);
	free(w1);
	free(w2);
	free(w3);
	free(wv);
	free(wm);
	free(wvv);
	return rc;
}

static int t_gather(struct ctx *c)
{
	const uint32_t rows = 20, cols = 6, k = 12;
	uint64_t src, idx, dst;
	float *ps = fbuf(c, rows * cols, &src), *pd = fbuf(c, k * cols, &dst);
	int32_t *pi = bbuf(c, k * 4, &idx);
	NEED(ps && pd && pi);
	frand_fill(c, ps, rows * cols);
	double *w = dbuf(k * cols);
	for (uint32_t i = 0; i < k; i++) {
		pi[i] = (int32_t)((i * 7 + 3) % rows);
		for (uint32_t j = 0; j < cols; j++)
			w[i * cols + j] = ps[pi[i] * cols + j];
	}
	ENC(vgpu_gather_rows(c->g, src, rows, cols, idx, k, dst));
	int rc = sync_ok(c);
	if (!rc)
		rc = cmp(c, "gather", pd, w, k * cols, 0);
	free(w);
	return rc;
}

static int t_int8(struct ctx *c)
{
	const uint32_t m = 5, n = 7, k = 33;
	uint64_t xa, xb, qa, qb, sc, bias, out, outt, qbt;
	float *pxa = fbuf(c, m * k, &xa), *pxb = fbuf(c, k * n, &xb), *psc = fbuf(c, 2, &sc);
	float *pbias = fbuf(c, n, &bias), *po = fbuf(c, m * n, &out), *pot = fbuf(c, m * n, &outt);
	int8_t *pqa = bbuf(c, m * k, &qa), *pqb = bbuf(c, k * n, &qb), *pqbt = bbuf(c, k * n, &qbt);
	NEED(pxa && pxb && psc && pbias && po && pot && pqa && pqb && pqbt);
	frand_fill(c, pxa, m * k);
	frand_fill(c, pxb, k * n);
	frand_fill(c, pbias, n);
	ENC(vgpu_quantize_i8(c->g, xa, qa, sc, m * k));
	ENC(vgpu_quantize_i8(c->g, xb, qb, sc + 4, k * n));
	TRY(sync_ok(c));
	/* Reference quantization: scale = absmax / 127, round half away. */
	double amax = 0, bmax = 0;
	for (uint32_t i = 0; i < m * k; i++)
		amax = fmax(amax, fabs(pxa[i]));
	for (uint32_t i = 0; i < k * n; i++)
		bmax = fmax(bmax, fabs(pxb[i]));
	float sa = (float)amax / 127.0f, sb = (float)bmax / 127.0f;
	double want_sc[2] = { sa, sb };
	TRY(cmp(c, "quantize scale", psc, want_sc, 2, 1e-7));
	for (uint32_t i = 0; i < m * k; i++)
		if (pqa[i] != (int8_t)roundf(pxa[i] / sa))
			return fail(c, "%s[%zu]: got %g, want %g", "quantize", i, pqa[i], roundf(pxa[i] / sa));
	/* B transposed copy for the TRANS_B variant. */
	for (uint32_t p = 0; p < k; p++)
		for (uint32_t j = 0; j < n; j++)
			pqbt[j * k + p] = pqb[p * n + j];
	double *w = dbuf(m * n);
	for (uint32_t i = 0; i < m; i++)
		for (uint32_t j = 0; j < n; j++) {
			int32_t acc = 0;
			for (uint32_t p = 0; p < k; p++)
				acc += pqa[i * k + p] * pqb[p * n + j];
			w[i * n + j] = (double)(psc[0] * psc[1] * (float)acc + pbias[j]);
		}
	ENC(vgpu_gemm_i8(c->g, 0, m, n, k, qa, qb, sc, bias, out));
	ENC(vgpu_gemm_i8(c->g, VGPU_GEMM_TRANS_B, m, n, k, qa, qbt, sc, bias, outt));
	int rc = sync_ok(c);
	if (!rc)
		rc = cmp(c, "gemm_i8", po, w, m * n, 1e-6);
	if (!rc)
		rc = cmp(c, "gemm_i8 trans_b", pot, w, m * n, 1e-6);
	free(w);
	return rc;
}

/* A recorded training-step-like graph, replayed twice with one command each. */
static int t_graph(struct ctx *c)
{
	const uint32_t m = 8, n = 5, k = 6;
	uint64_t x, wt, b, y;
	float *px = fbuf(c, m * k, &x), *pw = fbuf(c, k * n, &wt), *pb = fbuf(c, n, &b);
	float *py = fbuf(c, m * n, &y);
	NEED(px && pw && pb && py);
	frand_fill(c, px, m * k);
	frand_fill(c, pw, k * n);
	frand_fill(c, pb, n);
	struct vgpu_graph gr;
	ENC(vgpu_graph_begin(c->g));
	ENC(vgpu_gemm(c->g, 0, m, n, k, 1.0f, x, k, wt, n, 0.0f, y, n));
	ENC(vgpu_bias_add(c->g, y, b, m, n));
	ENC(vgpu_act_fwd(c->g, VGPU_ACT_RELU, y, y, m * n));
	ENC(vgpu_scale(c->g, x, x, m * k, 0.5f));
	ENC(vgpu_graph_end(c->g, &gr));
	double *w = dbuf(m * n);
	int rc = 0;
	for (int rep = 0; rep < 2 && !rc; rep++) {
		for (uint32_t i = 0; i < m; i++)
			for (uint32_t j = 0; j < n; j++) {
				double s = pb[j];
				for (uint32_t p = 0; p < k; p++)
					s += (double)px[i * k + p] * pw[p * n + j];
				w[i * n + j] = s > 0 ? s : 0;
			}
		uint64_t before = vgpu_ctrl(c->g)->commands;
		ENC(vgpu_graph_launch(c->g, &gr));
		rc = sync_ok(c);
		if (!rc)
			rc = cmp(c, "graph output", py, w, m * n, 1e-5);
		if (!rc && vgpu_ctrl(c->g)->commands != before + 1)
			rc = fail(c, "%s[%zu]: got %g, want %g", "graph commands", 0,
				  (double)(vgpu_ctrl(c->g)->commands - before), 1);
	}
	vgpu_graph_free(c->g, &gr);
	free(w);
	return rc;
}

/* Per-command errors: reported with the right index and code, the window
 * stays usable, later commands still run. */
static int t_errors(struct ctx *c)
{
	uint64_t x, lb, loss, out;
	float *px = fbuf(c, 16, &x), *pl = fbuf(c, 1, &loss), *po = fbuf(c, 4, &out);
	int32_t *plb = bbuf(c, 4 * 4, &lb);
	NEED(px && pl && plb && po);
	struct vgpu_cqe e;
	while (vgpu_next_error(c->g, &e) > 0)
		;
	for (int i = 0; i < 16; i++)
		px[i] = (float)i;
	plb[0] = 1; plb[1] = 2; plb[2] = 99; plb[3] = 0;
	uint32_t base = vgpu_seq(c->g);
	ENC(vgpu_softmax_xent(c->g, x, lb, loss, VGPU_NO_OFF, 4, 4));       /* E_INDEX */
	ENC(vgpu_fill(c->g, vgpu_arena_size(c->g) - 8, 4, 1.0f));           /* E_RANGE */
	ENC(vgpu_gemm(c->g, 0, 4, 4, 4, 1.0f, x, 4, x, 4, 0.0f, x, 4));     /* E_ALIAS */
	ENC(vgpu_fill(c->g, x, 4, NAN));
	vgpu_set_cmd_flags(c->g, VGPU_CMD_F_CHECK_FINITE, 77);
	ENC(vgpu_scale(c->g, x, out, 4, 2.0f));                              /* E_NONFINITE */
	vgpu_set_cmd_flags(c->g, VGPU_CMD_F_COMPLETE, 1234);
	ENC(vgpu_fill(c->g, out, 4, 3.0f));                                  /* ok, marker */
	vgpu_set_cmd_flags(c->g, 0, 0);
	struct vgpu_cmd bad = { .opcode = 200 };
	ENC(vgpu_push(c->g, &bad));                                          /* E_OPCODE */
	int rc = vgpu_sync(c->g);
	if (rc != -EREMOTEIO) {
		snprintf(c->why, c->whylen, "sync returned %d, want -EREMOTEIO", rc);
		return -1;
	}
	const struct { uint32_t idx; uint16_t st; uint32_t tag; } want[] = {
		{ 0, VGPU_E_INDEX, 0 }, { 1, VGPU_E_RANGE, 0 }, { 2, VGPU_E_ALIAS, 0 },
		{ 4, VGPU_E_NONFINITE, 77 }, { 5, VGPU_OK, 1234 }, { 6, VGPU_E_OPCODE, 0 },
	};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (vgpu_next_error(c->g, &e) != 1 || e.index != base + want[i].idx ||
		    e.status != want[i].st || e.tag != want[i].tag) {
			snprintf(c->why, c->whylen, "cqe %u: index %u status %u tag %u, want %u %u %u", i,
				 e.index - base, e.status, e.tag, want[i].idx, want[i].st, want[i].tag);
			return -1;
		}
	}
	if (vgpu_next_error(c->g, &e) != 0) {
		snprintf(c->why, c->whylen, "unexpected extra completion entry");
		return -1;
	}
	double three[4] = { 3, 3, 3, 3 };
	TRY(cmp(c, "fill after errors", po, three, 4, 0));
	/* A failing command inside a graph: reported with its position. */
	struct vgpu_graph gr;
	ENC(vgpu_graph_begin(c->g));
	ENC(vgpu_fill(c->g, x, 4, 1.0f));
	ENC(vgpu_fill(c->g, vgpu_arena_size(c->g), 1, 1.0f));
	ENC(vgpu_fill(c->g, out, 4, 9.0f));
	ENC(vgpu_graph_end(c->g, &gr));
	ENC(vgpu_graph_launch(c->g, &gr));
	rc = vgpu_sync(c->g);
	vgpu_graph_free(c->g, &gr);
	if (rc != -EREMOTEIO || vgpu_next_error(c->g, &e) != 1 || e.status != VGPU_E_RANGE ||
	    e.graph_pos != 2 || po[0] != 3.0f) {
		snprintf(c->why, c->whylen, "graph error: rc %d status %u pos %u out %g", rc, e.status,
			 e.graph_pos, po[0]);
		return -1;
	}
	return 0;
}

/* Many small commands, one doorbell: all run, in order. */
static int t_batch(struct ctx *c)
{
	uint64_t x;
	float *px = fbuf(c, 1, &x);
	NEED(px);
	*px = 0.0f;
	uint64_t before = vgpu_ctrl(c->g)->commands;
	const int n = 3000;   /* more than the ring holds: the encoder waits */
	for (int i = 0; i < n; i++)
		ENC(vgpu_scale(c->g, x, x, 1, 1.0f) || vgpu_fill(c->g, x, 1, (float)i));
	TRY(sync_ok(c));
	uint64_t ran = vgpu_ctrl(c->g)->commands - before;
	if (ran != 2ull * n || *px != (float)(n - 1))
		return fail(c, "%s[%zu]: got %g, want %g", "batch commands", 0, (double)ran, 2.0 * n);
	return 0;
}

/* A wait for an early fence returns when that fence passes, not when the
 * whole queue (here ~65 ms of GEMMs behind it) has drained. */
static int t_wait_early(struct ctx *c)
{
	const uint32_t n = 512;
	uint64_t a;
	float *pa = fbuf(c, 3 * n * n, &a);
	NEED(pa);
	memset(pa, 0, 3ull * n * n * 4);
	ENC(vgpu_nop(c->g));
	uint32_t early = vgpu_seq(c->g);
	for (int i = 0; i < 24; i++)
		ENC(vgpu_gemm(c->g, 0, n, n, n, 1.0f, a, n, a + n * n * 4ull, n, 0.0f,
			      a + 2ull * n * n * 4, n));
	ENC(vgpu_wait(c->g, early, 10000000000ll));
	uint32_t done = __atomic_load_n(&vgpu_ctrl(c->g)->sq_done, __ATOMIC_ACQUIRE);
	TRY(sync_ok(c));
	if (done == vgpu_seq(c->g))
		return fail(c, "%s[%zu]: got %g, want %g", "early wait returned at the drain", 0,
			    (double)done, (double)early);
	return 0;
}

/* Explicit transfers around a computation: the same bytes on every
 * backend.  On OpenBLAS they move nothing; on CUDA the tenant is resident
 * from here on (data stays on the device), so this case runs last. */
static int t_transfers(struct ctx *c)
{
	const size_t n = 300;
	uint64_t x, y;
	float *px = fbuf(c, n, &x), *py = fbuf(c, n, &y);
	double *wx = dbuf(n), *wy = dbuf(n);
	int rc = -1;
	if (!px || !py || !wx || !wy) {
		snprintf(c->why, c->whylen, "allocation failed");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		px[i] = frand(c);
		py[i] = -7.0f;
		wx[i] = px[i];
		wy[i] = 2.0 * px[i];
	}
	if (vgpu_upload(c->g, x, n * 4) || vgpu_upload(c->g, y, n * 4) ||
	    vgpu_scale(c->g, x, y, n, 2.0f) || vgpu_download(c->g, y, n * 4) ||
	    vgpu_download(c->g, x, n * 4)) {
		snprintf(c->why, c->whylen, "encoding a transfer failed");
		goto out;
	}
	if (sync_ok(c))
		goto out;
	rc = cmp(c, "downloaded result", py, wy, n, 0);
	if (!rc)
		rc = cmp(c, "round-tripped input", px, wx, n, 0);
out:
	free(wx);
	free(wy);
	return rc;
}

#define CASE(fn) \
	static int run_##fn(struct vgpu *g, char *why, size_t wl) \
	{ \
		struct ctx c = { .g = g, .why = why, .whylen = wl, .rng = 12345 }; \
		int rc = fn(&c); \
		release(&c); \
		return rc; \
	}
CASE(t_fill_copy) CASE(t_gemm_nn) CASE(t_gemm_tn) CASE(t_gemm_nt) CASE(t_gemm_tt)
CASE(t_bias) CASE(t_act) CASE(t_softmax_xent) CASE(t_mse) CASE(t_elementwise)
CASE(t_reductions) CASE(t_optimizers) CASE(t_gather) CASE(t_int8) CASE(t_graph)
CASE(t_errors) CASE(t_batch) CASE(t_wait_early) CASE(t_transfers)

const struct selftest_case selftest_cases[] = {
	{ "fill_copy", run_t_fill_copy },
	{ "gemm_nn", run_t_gemm_nn },
	{ "gemm_tn", run_t_gemm_tn },
	{ "gemm_nt", run_t_gemm_nt },
	{ "gemm_tt_300", run_t_gemm_tt },
	{ "bias_add_grad", run_t_bias },
	{ "activations", run_t_act },
	{ "softmax_xent", run_t_softmax_xent },
	{ "mse", run_t_mse },
	{ "elementwise", run_t_elementwise },
	{ "argmax_count_sum", run_t_reductions },
	{ "optimizers", run_t_optimizers },
	{ "gather_rows", run_t_gather },
	{ "int8_quantize_gemm", run_t_int8 },
	{ "graph", run_t_graph },
	{ "errors", run_t_errors },
	{ "batch", run_t_batch },
	{ "wait_early_fence", run_t_wait_early },
	{ "transfers", run_t_transfers },
};
const unsigned selftest_ncases = sizeof(selftest_cases) / sizeof(selftest_cases[0]);
