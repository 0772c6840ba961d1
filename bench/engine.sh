#!/bin/bash
# bench/engine.sh - the engine against PyTorch on the CPU, side by side in
# one run:
#   - time per training epoch on digits (the REFERENCE.md recipe) inside a
#     microVM (aivisor run ... aivisor-agent bench) vs PyTorch on the bare host;
#   - inference latency for a batch of 1 and of 256 rows, likewise.
# The two sides alternate for ENGINE_BENCH_ROUNDS rounds (default 2) and each
# figure is the best round of its side, which damps the noise of a shared
# machine without favouring either side.
# PyTorch (Debian's python3-torch, run with /usr/bin/python3) is only the
# baseline: it is installed here if missing, never by the build or tests.
# Where it cannot be installed the REFERENCE.md figures are the baseline,
# marked baseline_source=reference.  THREADS (ENGINE_BENCH_THREADS, default
# all cores) is both the vGPU server's backend threads and PyTorch's
# intra-op threads.
set -u
cd "$(dirname "$0")/.."
EPOCHS=${ENGINE_BENCH_EPOCHS:-20}
RUNS=${ENGINE_BENCH_RUNS:-2000}
ROUNDS=${ENGINE_BENCH_ROUNDS:-2}
THREADS=${ENGINE_BENCH_THREADS:-$(nproc)}
agent=build/guest/aivisor-agent
out=$(mktemp -d /tmp/aivisor-bench.XXXXXX)
vgpud=""
trap '[ -n "$vgpud" ] && kill "$vgpud" 2>/dev/null; rm -rf "$out"' EXIT

for f in "$agent" build/bin/aivisor build/bin/aivisor-vgpud; do
	[ -x "$f" ] || { echo "engine bench: $f is not built (make all)"; exit 1; }
done

# The vGPU server runs with THREADS backend threads (PyTorch gets the same
# number of intra-op threads); the microVM attaches to it with --vgpu-socket.
# Where the microVM cannot run the agent (a VMM without vGPU support), the
# same workload runs as a host process tenant of that server and its
# figures are named engine_host_* instead.
build/bin/aivisor-vgpud --socket "$out/vgpu.sock" --threads "$THREADS" > "$out/vgpud.txt" 2>&1 &
vgpud=$!
for _ in $(seq 100); do [ -S "$out/vgpu.sock" ] && break; sleep 0.05; done
where=vm
run_engine() { # appends one round's figures to $out/engine.txt
	if [ "$where" = vm ]; then
		build/bin/aivisor run --share datasets:/data --vgpu-socket "$out/vgpu.sock" \
			--vgpu-memory 64 "$agent" bench --data /data/digits.csv --epochs "$EPOCHS" \
			--runs "$RUNS" > "$out/round.txt" 2>&1 &&
			{ cat "$out/round.txt" >> "$out/engine.txt"; return 0; }
		echo "engine bench: the microVM run failed: $(head -c 300 "$out/round.txt")"
		echo "engine bench: measuring as a host process tenant instead"
		where=host
	fi
	AIVISOR_VGPU=unix:$out/vgpu.sock "$agent" bench --data datasets/digits.csv \
		--epochs "$EPOCHS" --runs "$RUNS" > "$out/round.txt" 2>&1 ||
		{ echo "engine bench: the host run failed:"; cat "$out/round.txt"; return 1; }
	cat "$out/round.txt" >> "$out/engine.txt"
}

have_torch() { /usr/bin/python3 -c 'import torch' 2>/dev/null; }
if ! have_torch; then
	echo "engine bench: installing python3-torch for the baseline"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-torch \
		> "$out/apt.txt" 2>&1 || tail -3 "$out/apt.txt"
fi
source_note=""
if ! have_torch; then
	echo "engine bench: PyTorch unavailable; baseline from REFERENCE.md (2 cores, Zen 4)"
	printf 'pytorch train_epoch_ms 10.4 ms\npytorch test_accuracy 0.944 fraction\n' > "$out/torch.txt"
	printf 'pytorch infer_b1_us 17.8 us\npytorch infer_b256_us 118 us\n' >> "$out/torch.txt"
	source_note=" baseline_source=reference"
fi

: > "$out/engine.txt"
for round in $(seq "$ROUNDS"); do
	run_engine || exit 1
	[ -n "$source_note" ] && continue
	/usr/bin/python3 bench/pytorch_digits.py datasets/digits.csv "$THREADS" "$EPOCHS" "$RUNS" \
		>> "$out/torch.txt" 2>&1 || { echo "engine bench: PyTorch failed:"; cat "$out/torch.txt"; exit 1; }
done

best() { # FILE PREFIX NAME: the lowest time, or the accuracy of the first round
	awk -v p="$2" -v n="$3" '$1 == p && $2 == n {
		if (n == "test_accuracy") { if (v == "") v = $3 } else if (v == "" || $3 + 0 < v + 0) v = $3
	} END { print v }' "$1"
}

printf '%-22s %14s %14s %8s\n' figure "aivisor ($where)" "PyTorch (host)" ratio
status=0
BENCH_LINES=()
for name in train_epoch_ms infer_b1_us infer_b256_us test_accuracy; do
	v=$(best "$out/engine.txt" bench "$name")
	b=$(best "$out/torch.txt" pytorch "$name")
	if [ -z "$v" ] || [ -z "$b" ]; then
		echo "engine bench: missing figure $name"; cat "$out/engine.txt" "$out/torch.txt"; status=1
		continue
	fi
	ratio=$(awk -v v="$v" -v b="$b" 'BEGIN { printf "%.3f", (b > 0 ? v / b : 0) }')
	unit=${name##*_}
	[ "$name" = test_accuracy ] && unit=fraction
	printf '%-22s %14s %14s %8s\n' "$name" "$v" "$b" "$ratio"
	prefix=engine_
	[ "$where" = host ] && prefix=engine_host_
	BENCH_LINES+=("BENCH $prefix$name $v $unit baseline=$b ratio=$ratio$source_note")
done
echo "(best of $ROUNDS alternating rounds; epochs: $EPOCHS, inference runs: $RUNS, threads: $THREADS;"
echo " goals: epoch ratio <= 0.5, batch-1 under PyTorch's; shared 2-core machine: timings are noisy)"
for l in "${BENCH_LINES[@]}"; do echo "$l"; done
exit $status
