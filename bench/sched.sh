#!/bin/bash
# Scheduler benchmark: vGPU shares vs weights (target side by side), the
# high-priority tenant's p99 latency prioritized vs plain time slicing (both
# measured in this run, with its p99 alone), the CPU split of two tenants
# with CPU weights 1:3 on one core, and build/bench/shares.png (per-tenant
# vGPU shares over time, targets dashed).  Timings on the shared 2-core
# build machines are noisy: compare the figures of one run with each other.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
GUEST=$ROOT/build/guest
TMP=$(mktemp -d /tmp/aivisor-bench.XXXXXX)
OUTDIR=$ROOT/build/bench
mkdir -p "$OUTDIR"
source "$ROOT/scheduler/scenarios.sh"
trap 'vgpud_stop; rm -rf "$TMP"' EXIT
SECS=${SCHED_BENCH_SECONDS:-10}

pct() { awk -v x="$1" 'BEGIN { printf "%.1f", 100 * x }'; }

# --- CPU split: two CPU-bound microVMs, weights 1:3, on one core --------
CS=$BIN/aivisor-cpuslice
if [ -x "$CS" ] && [ -x "$BIN/aivisor-vmm" ] && [ -x "$GUEST/cpuloop" ]; then
	for w in 100 300; do
		"$CS" --name "bench-cpu-$$-$w" --cpus 0 --cpu-weight "$w" --seconds 4 -- \
			"$BIN/aivisor-vmm" --memory 64 "$GUEST/cpuloop" 100000000000 > "$TMP/c$w" 2>&1 &
	done
	wait
	a=$(sed -n 's/^cpu_ns \([0-9]*\).*/\1/p' "$TMP/c100"); b=$(sed -n 's/^cpu_ns \([0-9]*\).*/\1/p' "$TMP/c300")
	if [ -n "$a" ] && [ -n "$b" ]; then
		sa=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", 100 * a / (a + b) }')
		sb=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", 100 * b / (a + b) }')
		echo "CPU slicing, two CPU-bound microVMs on CPU 0, CPU weights 1:3 (4 s)"
		printf '  %-10s %8s %8s\n' tenant target measured
		printf '  %-10s %7s%% %7s%%\n' "weight 1" 25.0 "$sa" "weight 3" 75.0 "$sb"
		echo "BENCH sched_cpu_share_w1 $sa % baseline=25.0 ratio=$(awk -v s="$sa" 'BEGIN { printf "%.3f", s / 25 }')"
		echo "BENCH sched_cpu_share_w3 $sb % baseline=75.0 ratio=$(awk -v s="$sb" 'BEGIN { printf "%.3f", s / 75 }')"
	else
		echo "CPU slicing: no figures ($(cat "$TMP/c100" "$TMP/c300"))"
	fi
fi

# --- vGPU shares and latency ---------------------------------------------
# One backend thread: the "device" is one core, the other is left to the
# tenants' processes, as a GPU would leave the CPUs to them.
missing=$(scenario_missing)
if [ -n "$missing" ] || ! vgpud_start --threads 1; then
	echo "vGPU scheduling: no figures (not built: ${missing:-none}; or aivisor-vgpud did not start)"
	exit 0
fi

run_shares "$SECS" "$TMP/w124" w1:normal:100 w2:normal:200 w4:normal:400
window_shares "$TMP/w124" | awk 'NF == 5' | tail -n +2 > "$TMP/w124.w"
echo
echo "vGPU time shares, three saturating GEMM microVMs, weights 1:2:4 (${SECS} s, 1 s windows, first dropped)"
printf '  %-10s %8s %8s %8s %8s\n' tenant target mean min max
for n in w1 w2 w4; do
	w=${n#w}
	awk -v n="$n" -v w="$w" -v out="$TMP/bench_lines" '{
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == n) { s = 100 * kv[2]; sum += s; k++
			if (k == 1 || s < lo) lo = s; if (k == 1 || s > hi) hi = s } } }
		END { t = 100 * w / 7; if (k == 0) { printf "  %-10s %7.1f%%   (no windows)\n", "weight " w, t; exit }
			m = sum / k
			printf "  %-10s %7.1f%% %7.1f%% %7.1f%% %7.1f%%\n", "weight " w, t, m, lo, hi
			printf "BENCH sched_vgpu_share_%s %.1f %% baseline=%.1f ratio=%.3f\n", n, m, t, m / t >> out }' \
		"$TMP/w124.w"
done
cat "$TMP/bench_lines" 2>/dev/null
busy=$(awk '{ s += $2; k++ } END { if (k) printf "%.1f", 100 * s / k }' "$TMP/w124.w")
[ -n "$busy" ] && echo "BENCH sched_vgpu_device_busy $busy %"

# The plot: shares per window (percent) with the targets dashed.
awk 'NR == 1 { t0 = $1 - 1 } { printf "%.0f", $1 - t0; for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = 100 * kv[2] }
	printf " %.2f %.2f %.2f\n", v["w1"], v["w2"], v["w4"] }' "$TMP/w124.w" > "$OUTDIR/shares.dat"
if command -v gnuplot > /dev/null && [ -s "$OUTDIR/shares.dat" ] &&
   gnuplot -e "data='$OUTDIR/shares.dat'; out='$OUTDIR/shares.png'" "$ROOT/bench/plot_shares.gp"; then
	echo "  plot: build/bench/shares.png"
fi

read -r lp qp l50 q50 _ <<< "$(run_latency "$SECS" high)"
read -r lp2 qp2 l502 q502 _ <<< "$(run_latency "$SECS" normal)"
echo
echo "Batch-1 inference (MLP 64-128-64-10, one request per 0.5 ms) in a microVM next to two GEMM microVMs"
echo "(1024^3) that saturate the vGPU in alternate 1 s phases; quiet = the phases without them;"
echo "p99 = median over the phases of each phase's p99"
printf '  %-36s %10s %10s %10s %10s\n' setting "quiet p50" "p50" "quiet p99" "p99"
printf '  %-36s %10s %10s %10s %10s\n' "high priority (prioritized)" "$q50" "$l50" "$qp" "$lp"
printf '  %-36s %10s %10s %10s %10s\n' "one class, equal weights (plain)" "$q502" "$l502" "$qp2" "$lp2"
if [ -n "$lp" ] && [ -n "$qp" ] && [ -n "$lp2" ] && [ -n "$qp2" ]; then
	echo "BENCH sched_p99_prioritized $lp us baseline=$lp2 ratio=$(awk -v p="$lp" -v b="$lp2" 'BEGIN { printf "%.3f", p / b }')"
	echo "BENCH sched_p99_prioritized_vs_alone $(awk -v p="$lp" -v a="$qp" 'BEGIN { printf "%.3f", p / a }') x baseline=1.2"
	echo "BENCH sched_p99_plain_vs_alone $(awk -v p="$lp2" -v a="$qp2" 'BEGIN { printf "%.3f", p / a }') x"
	echo "BENCH sched_p99_alone $qp us"
	echo "BENCH sched_p50_prioritized $l50 us baseline=$l502 ratio=$(awk -v p="$l50" -v b="$l502" 'BEGIN { printf "%.3f", p / b }')"
fi
echo "(load average during the run: $(cut -d' ' -f1-3 /proc/loadavg); the build machines are shared and noisy)"
