#!/bin/bash
# `make demo`: aivisor end to end on this machine, in under two minutes.
#
#  1. starts aivisord on a private socket and state directory, owning its
#     vGPU server (one backend thread: one "accelerator" to share);
#  2. trains a small digits model in a first tenant (it is what the
#     inference service will serve);
#  3. creates the high-priority inference service and three trainers with
#     vGPU weights 4:2:1 from configs/, all real microVMs sharing the vGPU;
#  4. shows live progress (epochs, vGPU time) once a second;
#  5. ends with each tenant's accuracy, its measured vGPU share against its
#     target share (measured while all three trainers ran), and the
#     inference service's latency percentiles;
#  6. removes everything it created.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/build/bin
A=$BIN/aivisor
DEMO=$ROOT/build/demo            # model and requests (configs/ point here)
TMP=$(mktemp -d /tmp/aivisor-demo.XXXXXX)
export AIVISOR_SOCKET=$TMP/aivisord.sock AIVISOR_STATE_DIR=$TMP/state
TRAINERS="trainer-a trainer-b trainer-c"
DPID=

cleanup() {
	for t in prep inference $TRAINERS; do "$A" destroy "$t" > /dev/null 2>&1; done
	[ -n "$DPID" ] && kill "$DPID" 2> /dev/null && wait "$DPID" 2> /dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "demo: $*" >&2; exit 1; }
for f in "$BIN/aivisord" "$BIN/aivisor-vmm" "$BIN/aivisor-vgpud" "$ROOT/build/guest/aivisor-agent"; do
	[ -x "$f" ] || die "$f is missing: run make all"
done
[ -r "$ROOT/datasets/digits.csv" ] || die "datasets/digits.csv is missing"
[ -e /dev/kvm ] || die "/dev/kvm is absent: the demo runs real microVMs"

echo "== starting aivisord (state in $TMP)"
"$BIN/aivisord" --no-libvirt --vgpu-threads 1 --metrics-socket "$TMP/metrics.sock" \
	--log-file "$TMP/aivisord.log" &
DPID=$!
for _ in $(seq 100); do "$A" list > /dev/null 2>&1 && break; sleep 0.05; done
"$A" stats | head -1 | grep -q "vGPU server: running" || die "daemon or vGPU server did not start: $(tail -3 "$TMP/aivisord.log")"

echo "== training the model the inference service will serve"
mkdir -p "$DEMO"
rm -f "$DEMO/digits.aim"
cat > "$TMP/prep.yaml" <<EOF
name: prep
memory_mib: 128
vgpu: {memory_mib: 64}
program: $ROOT/build/guest/aivisor-agent
args: [train, --data, /data/digits.csv, --model, 64-128-64-10, --lr, 0.1, --batch, 32,
       --epochs, 20, --scale, 1/16, --save, /out/digits.aim, --quiet]
shares:
  - {host: $ROOT/datasets, guest: /data}
  - {host: $DEMO, guest: /out, rw: true}
EOF
"$A" create "$TMP/prep.yaml" > /dev/null || die "cannot create the prep tenant"
for _ in $(seq 600); do "$A" list | grep -q '^prep ' || break; sleep 0.05; done
[ -s "$DEMO/digits.aim" ] || die "prep tenant did not save a model: $("$A" logs prep)"
"$A" undefine prep > /dev/null
# 20,000 requests: the digits pixels without their label, repeated.
# (The model saw 80% of these rows in training: the accuracy below checks
# that the service answers correctly, it is not a held-out test score.)
tail -n +2 "$ROOT/datasets/digits.csv" > "$TMP/rows.csv"
: > "$TMP/all.csv"
while [ "$(wc -l < "$TMP/all.csv")" -lt 20000 ]; do cat "$TMP/rows.csv" >> "$TMP/all.csv"; done
head -n 20000 "$TMP/all.csv" | cut -d, -f1-64 > "$DEMO/requests.csv"
head -n 20000 "$TMP/all.csv" | cut -d, -f65 > "$TMP/labels"

echo "== creating the inference service (high priority) and three trainers (vGPU weights 4:2:1)"
for c in inference-service trainer-a trainer-b trainer-c; do
	"$A" create "configs/$c.yaml" || die "cannot create $c"
done

# vgpu_s NAME: the tenant's vGPU seconds so far (0 when not running).
snapshot() { "$A" stats | awk 'NR > 2 { print $1, $2, $5 }'; }
declare -A first last
window_open=0
echo
echo "== progress (vGPU seconds; epochs from each trainer's console)"
start=$(date +%s)
while :; do
	snap=$(snapshot)
	line=""
	running=0
	all_three=1
	for t in $TRAINERS; do
		st=$(awk -v t="$t" '$1 == t { print $2 }' <<< "$snap")
		v=$(awk -v t="$t" '$1 == t { print $3 }' <<< "$snap")
		ep=$("$A" logs "$t" --bytes 400 2> /dev/null | grep -o 'epoch [0-9]*/[0-9]*' | tail -1)
		line+=$(printf "%-10s %-8s %-14s vgpu %6.2fs | " "$t" "$st" "${ep:-starting}" "${v:-0}")
		[ "$st" = running ] && running=$((running + 1))
		[ "$st" = running ] || all_three=0
	done
	# The share window: from the first sample where all three trainers run
	# to the last one where they all still do.
	if [ "$all_three" = 1 ]; then
		for t in $TRAINERS; do
			v=$(awk -v t="$t" '$1 == t { print $3 }' <<< "$snap")
			[ "$window_open" = 0 ] && first[$t]=$v
			last[$t]=$v
		done
		window_open=1
	fi
	inf=$(awk '$1 == "inference" { print $2 }' <<< "$snap")
	printf "%3ss  %s inference %s\n" "$(( $(date +%s) - start ))" "$line" "$inf"
	[ "$running" = 0 ] && [ "$inf" != running ] && break
	[ $(( $(date +%s) - start )) -gt 100 ] && { echo "demo: time limit reached, stopping"; break; }
	sleep 1
done

echo
echo "== results"
printf "%-10s %7s %12s %12s %14s\n" TENANT WEIGHT TARGET_SHARE VGPU_SHARE TEST_ACCURACY
total_w=0; total_d=0
for t in $TRAINERS; do
	w=$("$A" list --all | awk -v t="$t" '$1 == t { print $7 }')
	total_w=$((total_w + w))
	total_d=$(awk -v a="$total_d" -v f="${first[$t]:-0}" -v l="${last[$t]:-0}" 'BEGIN { print a + l - f }')
done
for t in $TRAINERS; do
	w=$("$A" list --all | awk -v t="$t" '$1 == t { print $7 }')
	acc=$("$A" logs "$t" | sed -n 's/^test: loss [0-9.]* accuracy \([0-9.]*\).*/\1/p' | tail -1)
	share=$(awk -v f="${first[$t]:-0}" -v l="${last[$t]:-0}" -v d="$total_d" \
		'BEGIN { if (d > 0) printf "%.1f%%", 100 * (l - f) / d; else printf "n/a" }')
	[ -n "$acc" ] && acc=$(awk -v a="$acc" 'BEGIN { printf "%.2f%%", 100 * a }')
	target=$(awk -v w="$w" -v tw="$total_w" 'BEGIN { printf "%.1f%%", 100 * w / tw }')
	printf "%-10s %7s %12s %12s %14s\n" "$t" "$w" "$target" "$share" "${acc:-n/a}"
done
echo "(shares measured over the interval in which all three trainers were running)"
lat=$("$A" logs inference | grep -E 'served [0-9]+ requests' | tail -1)
"$A" logs inference --bytes 262144 | grep -E '^[0-9]+$' > "$TMP/answers"
acc=$(paste -d' ' "$TMP/answers" "$TMP/labels" | awk 'NF == 2 { n++; ok += ($1 == $2) }
	END { if (n) printf "%.2f%% of %d answers", 100 * ok / n, n; else printf "no answers" }')
echo
echo "inference service (high priority): answers correct: $acc"
echo "inference service latency (parse + vGPU inference + format, under training load):"
echo "  ${lat:-no latency report (see: aivisor logs inference)}"
