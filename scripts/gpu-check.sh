#!/bin/bash
# gpu-check.sh - the CUDA backend's checks on a machine with an NVIDIA GPU,
# in one run of well under 5 minutes (`make gpu-check`):
#
#   1. build the CUDA backend, its tests, the bench, the server and the load
#      generator (skipped with GPU_CHECK_NO_BUILD=1 when build/ was carried
#      over from a machine with the toolchain);
#   2. numerical tests of every opcode against the OpenBLAS backend (same
#      tolerances as the CPU tests), transfers, two-tenant isolation, quota
#      refusal, device-time charging (build/test/test_vgpu_cuda_backend);
#   3. through the real server on the CUDA backend (aivisor-vgpud-cuda
#      --backend cuda): the vGPU opcode
#      selftest (aivisor-vgpu-selftest, CPU tolerances) and the
#      share/latency test:
#      three saturating tenants with weights 1:2:4 within 2 points of
#      14.3/28.6/57.1% per 1 s window; a high-priority batch-1 tenant's p99
#      under contention within 1.2x of its p99 alone;
#   4. BENCH figures: sgemm N=4096 through the backend vs cuBLAS directly in
#      one process (goal >= 0.95x), chunked, and an empty command's cost.
#
# Prints "ok - ", "not ok - ", "skip - " lines, BENCH lines, and a closing
# "N passed, N failed, N skipped"; exits non-zero when something failed.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=$ROOT/build/bin
TMP=$(mktemp -d /tmp/aivisor-gpu-check.XXXXXX)
pass=0 fail=0 skipped=0
ok()    { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; [ $# -gt 1 ] && printf '    %s\n' "$2"; fail=$((fail + 1)); }
skip()  { echo "skip - $1: $2"; skipped=$((skipped + 1)); }
start=$(date +%s)
step() { echo "== $1 ($(( $(date +%s) - start )) s)"; }
# Whatever hangs, the whole check ends within 5 minutes.
( sleep 290; echo "not ok - gpu-check: over 290 s, stopped"; kill -TERM $$ ) 2> /dev/null &
WATCHDOG=$!

# The scheduler's scenarios (run_shares, window_shares, run_latency), run
# against the daemon built with the CUDA backend, with host-process tenants
# (a GPU machine need not have /dev/kvm).
GUEST=$ROOT/build/guest
export TENANTS=${TENANTS:-host}
source "$ROOT/scheduler/scenarios.sh"
VGPUD=$BIN/aivisor-vgpud-cuda
trap 'vgpud_stop; kill "$WATCHDOG" 2> /dev/null; rm -rf "$TMP"' EXIT

step "device"
if command -v nvidia-smi > /dev/null; then
	nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
else
	echo "nvidia-smi not found"
fi

TARGETS="build/test/test_vgpu_cuda_backend build/test/test_vgpu_cuda_select
	build/test/test_vgpu_cuda_plan build/bench/vgpu-cuda-sgemm
	build/bin/aivisor-vgpud-cuda build/bin/aivisor-vgpu-load build/bin/aivisor-vgpu-selftest"
step "build"
if [ "${GPU_CHECK_NO_BUILD:-0}" = 1 ]; then
	echo "GPU_CHECK_NO_BUILD=1: using the binaries in build/"
elif ! timeout 240 make -j"$(nproc)" $TARGETS > "$TMP/build.log" 2>&1; then
	notok "gpu-check build" "$(tail -20 "$TMP/build.log")"
fi

# The probe decides everything else: without a usable GPU, say why and stop.
step "probe"
if [ ! -x build/test/test_vgpu_cuda_select ]; then
	notok "gpu-check probe" "build/test/test_vgpu_cuda_select is not built"
	echo "$pass passed, $fail failed, $skipped skipped"
	exit 1
fi
host=$(build/test/test_vgpu_cuda_select 2>&1 | sed -n 's/^# this host: //p')
echo "$host"
case "$host" in
CUDA\ device*) ;;
*)
	skip "gpu-check" "${host:-probe printed nothing}"
	echo "$pass passed, $fail failed, $skipped skipped"
	exit 0
	;;
esac

step "unit and numerical tests"
for t in test_vgpu_cuda_plan test_vgpu_cuda_select test_vgpu_cuda_backend; do
	if [ ! -x "build/test/$t" ]; then notok "$t" "not built"; continue; fi
	timeout 120 "build/test/$t" > "$TMP/$t.log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$TMP/$t.log" | awk '{s+=$1} END {print s+0}')
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$TMP/$t.log" | awk '{s+=$1} END {print s+0}')
	# On a GPU nothing may skip: a skip here hides a missing check.
	if [ "$rc" = 0 ] && [ "$s" = 0 ]; then
		ok "$t: $p passed"
	else
		notok "$t: exit $rc, $p passed, $s skipped" "$(grep -E 'FAILED|ERROR|Error|skip' "$TMP/$t.log" | head -20)"
	fi
done

step "selftest, shares and latency through aivisor-vgpud-cuda --backend cuda"
# Big enough GEMMs that device time, not launch overhead, dominates.
export GEMM_N=${GEMM_N:-2048} GEMM_N_BIG=${GEMM_N_BIG:-4096}
if ! vgpud_start --backend cuda 2> "$TMP/vgpud.err"; then
	notok "gpu share weights_1_2_4" "aivisor-vgpud-cuda --backend cuda did not start: $(head -c 400 "$TMP/vgpud.err")"
	notok "gpu latency_isolation" "no server"
else
	grep -i -m1 'cuda\|backend' "$TMP/vgpud.log" || true
	# Every opcode through the server and libvgpu, a tenant without explicit
	# transfers (coherent mode), the CPU selftest's own tolerances.
	if timeout 60 "$BIN/aivisor-vgpu-selftest" "unix:$VSOCK" > "$TMP/selftest.log" 2>&1; then
		ok "gpu selftest through aivisor-vgpud-cuda: $(grep -c '^ok - ' "$TMP/selftest.log") opcode checks"
	else
		notok "gpu selftest through aivisor-vgpud-cuda" "$(grep -v '^ok - ' "$TMP/selftest.log" | head -10)"
	fi
	# Shares: every 1 s window after the first in which all three ran.
	if check_shares_1_2_4 "gpu share weights_1_2_4"; then
		awk '{ for (i = 3; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2]; n[kv[1]]++ } }
			END { for (k in s) printf "BENCH gpu_share_%s %.2f %% baseline=%.2f\n", k,
				100 * s[k] / n[k], 100 * (k == "w1" ? 1/7 : k == "w2" ? 2/7 : 4/7) }' \
			"$TMP/w124.w"
	fi
	# Latency: the high-priority batch-1 tenant's p99 with two trainers
	# saturating the GPU vs without them (interleaved 1 s phases).
	read -r lp qp l50 q50 <<< "$(run_latency 6 high)"
	if [ -n "$lp" ] && [ -n "$qp" ]; then
		r=$(awk -v a="$qp" -v p="$lp" 'BEGIN { printf "%.2f", p / a }')
		msg="p99 alone ${qp} us, with two GEMM ${GEMM_N_BIG} trainers ${lp} us (${r}x); p50 ${q50}/${l50} us"
		echo "BENCH gpu_infer_p99_contended $lp us baseline=$qp ratio=$r"
		if awk -v r="$r" 'BEGIN { exit !(r <= 1.2) }'; then
			ok "gpu latency_isolation: $msg"
		else
			notok "gpu latency_isolation" "$msg; want <= 1.2x"
		fi
	else
		notok "gpu latency_isolation" "no latency figures: $(cat "$TMP"/trainer*.out | head -c 400)"
	fi
	vgpud_stop
fi

step "bench"
if [ -x build/bench/vgpu-cuda-sgemm ] && timeout 120 build/bench/vgpu-cuda-sgemm 4096 20 > "$TMP/bench.log" 2>&1; then
	cat "$TMP/bench.log"
	ratio=$(sed -n 's/^BENCH cuda_sgemm_n4096_vgpu .*ratio=\([0-9.]*\).*/\1/p' "$TMP/bench.log")
	if [ -n "$ratio" ] && awk -v r="$ratio" 'BEGIN { exit !(r >= 0.95) }'; then
		ok "gpu sgemm N=4096 vGPU/cuBLAS ${ratio}x (goal >= 0.95x)"
	else
		notok "gpu sgemm N=4096 vGPU/cuBLAS ${ratio:-?}x (goal >= 0.95x)"
	fi
else
	notok "gpu bench vgpu-cuda-sgemm" "$(tail -5 "$TMP/bench.log" 2>/dev/null)"
fi

step "done"
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ]
