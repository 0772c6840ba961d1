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
if ! build/bin/aivisor-vmm --help 2>&1 | grep -q -- '--vgpu-memory'; then
	echo "(microVM figures: aivisor-vmm has no --vgpu-memory yet)"
fi
exit $rc
