#!/bin/bash
# vGPU benchmarks: sgemm through the vGPU vs native OpenBLAS (same thread
# count, same run), empty-command round trip, small-command throughput.
# Host-process tenant of a real aivisor-vgpud.  Timings on shared 2-core
# machines are noisy: compare the side-by-side ratios, not absolutes.
set -u
cd "$(dirname "$0")/.."
THREADS=${VGPU_BENCH_THREADS:-$(nproc)}
TMP=$(mktemp -d /tmp/aivisor-vgpu-bench.XXXXXX)
SOCK=$TMP/vgpu.sock
build/bin/aivisor-vgpud --socket "$SOCK" --threads "$THREADS" 2>"$TMP/vgpud.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do
	build/bin/aivisor-vgpud --socket "$SOCK" --stats >/dev/null 2>&1 && break
	sleep 0.05
done
echo "vGPU vs native OpenBLAS, $THREADS thread(s), host-process tenant"
build/bench/vgpu-bench "unix:$SOCK" "$THREADS"
rc=$?

# The same from inside a microVM (doorbell = KVM_IOEVENTFD, wait = the
# VGPU_WAIT hypercall); the native baseline runs just before and after.
if build/bin/aivisor-vmm --help 2>&1 | grep -q -- '--vgpu-memory'; then
	echo
	echo "vGPU from a microVM vs native OpenBLAS, $THREADS thread(s)"
	n1=$(build/bench/vgpu-bench --native "$THREADS") || rc=1
	guest=$(build/bin/aivisor-vmm --vgpu-memory 64 --vgpu-socket "$SOCK" --timeout 300 \
		build/guest/vgpu-bench-guest) || { echo "microVM bench failed: $guest"; rc=1; }
	n2=$(build/bench/vgpu-bench --native "$THREADS") || rc=1
	for n in 256 1024; do
		v=$(printf '%s\n' "$guest" | awk -v k="sgemm_$n" '$1 == "VGPU" && $2 == k {print $3}')
		nat=$(printf '%s\n%s\n' "$n1" "$n2" | awk -v n="$n" '$1 == "NATIVE" && $2 == n {s += $3; c++} END {if (c) printf "%.1f", s / c}')
		[ -n "$v" ] && [ -n "$nat" ] || continue
		ratio=$(awk -v a="$v" -v b="$nat" 'BEGIN {printf "%.3f", a / b}')
		printf 'sgemm N=%-5d microvm  %8.1f GFLOP/s   native %8.1f GFLOP/s   ratio %s\n' "$n" "$v" "$nat" "$ratio"
		echo "BENCH vgpu_sgemm_${n}_microvm_gflops $v GFLOP/s baseline=$nat ratio=$ratio"
	done
	printf '%s\n' "$guest" | grep -v '^VGPU '
else
	echo "(microVM figures: aivisor-vmm has no --vgpu-memory)"
fi
exit $rc
