#!/bin/bash
# agent_diabetes.sh - linear regression on diabetes: Dense(1) on
# standardised features, trained by aivisor-agent on the vGPU, reaches an
# R^2 within 0.01 of the closed-form least-squares fit on the same rows
# (all 442; the normal equations are solved here in awk's doubles).
. "$(dirname "$0")/../lib.sh"
AGENT=$GUEST/aivisor-agent
SOCK=$TMP/vgpu.sock

"$BIN/aivisor-vgpud" --socket "$SOCK" --threads 1 > "$TMP/vgpud.log" 2>&1 &
VGPUD=$!
trap 'kill $VGPUD 2>/dev/null; wait $VGPUD 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
export AIVISOR_VGPU=unix:$SOCK

# Closed form: solve (X^T X) w = X^T y with an intercept column, then R^2.
closed_r2=$(tail -n +2 "$ROOT/datasets/diabetes.csv" | awk -F, '
{ n++; for (j = 1; j < NF; j++) x[n, j] = $j; x[n, NF] = 1; y[n] = $NF; p = NF }
END {
	for (a = 1; a <= p; a++) {
		for (b = 1; b <= p; b++) { s = 0; for (i = 1; i <= n; i++) s += x[i, a] * x[i, b]; A[a, b] = s }
		s = 0; for (i = 1; i <= n; i++) s += x[i, a] * y[i]; A[a, p + 1] = s
	}
	for (c = 1; c <= p; c++) {          # Gauss-Jordan with partial pivoting
		piv = c; for (r = c + 1; r <= p; r++) if ((A[r, c] < 0 ? -A[r, c] : A[r, c]) > (A[piv, c] < 0 ? -A[piv, c] : A[piv, c])) piv = r
		for (k = 1; k <= p + 1; k++) { t = A[c, k]; A[c, k] = A[piv, k]; A[piv, k] = t }
		for (r = 1; r <= p; r++) if (r != c) { f = A[r, c] / A[c, c]; for (k = c; k <= p + 1; k++) A[r, k] -= f * A[c, k] }
	}
	for (i = 1; i <= n; i++) { m += y[i] }; m /= n
	for (i = 1; i <= n; i++) {
		f = 0; for (j = 1; j <= p; j++) f += x[i, j] * A[j, p + 1] / A[j, j]
		sse += (y[i] - f) ^ 2; sst += (y[i] - m) ^ 2
	}
	printf "%.6f\n", 1 - sse / sst
}')

"$AGENT" train --data "$ROOT/datasets/diabetes.csv" --label target --model 10-1 --loss mse \
	--optimizer sgd --lr 0.02 --batch 32 --epochs 150 --seed 42 --test-split 0 \
	--scale standard --quiet --save "$TMP/diabetes.aim" > "$TMP/train.txt" 2>&1
r2=$(sed -n 's/^train: mse [0-9.]* r2 \([0-9.-]*\).*/\1/p' "$TMP/train.txt")
if [ -n "$r2" ] && awk -v a="$r2" -v b="$closed_r2" 'BEGIN { d = a - b; exit !(d < 0.01 && d > -0.01) }'; then
	ok "diabetes Dense(1): R^2 $r2 within 0.01 of least squares $closed_r2"
else
	notok "diabetes Dense(1): R^2 '$r2' within 0.01 of least squares '$closed_r2'" "$(tail -5 "$TMP/train.txt")"
fi

"$AGENT" predict --model "$TMP/diabetes.aim" --data "$ROOT/datasets/diabetes.csv" --label target \
	> "$TMP/pred.txt" 2>&1
pr2=$(paste -d, "$TMP/pred.txt" <(tail -n +2 "$ROOT/datasets/diabetes.csv" | awk -F, '{print $NF}') |
	awk -F, '{ p[NR] = $1; y[NR] = $2; m += $2 } END { m /= NR
		for (i = 1; i <= NR; i++) { e += (y[i] - p[i]) ^ 2; t += (y[i] - m) ^ 2 } printf "%.3f", 1 - e / t }')
check "predictions of the saved model reproduce its R^2 ($pr2 vs $r2)" \
	awk -v a="$pr2" -v b="$r2" 'BEGIN { d = a - b; exit !(a != "" && d < 0.002 && d > -0.002) }'
