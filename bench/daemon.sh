#!/bin/bash
# aivisord benchmark:
#  - time from `aivisor create FILE` to the tenant's first console output,
#    median and p99 over N tenants; baseline: `aivisor-vmm` started
#    directly to its first output, measured side by side in this run;
#  - the daemon's resident memory with 100 tenants defined and 20 running;
#    baseline: the same daemon with no tenants, in this run.
# The guest is build/guest/ticker (prints at once, then sleeps).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/build/bin
A=$BIN/aivisor
TICKER=$ROOT/build/guest/ticker
N=${BENCH_DAEMON_N:-30}
TMP=$(mktemp -d /tmp/aivisor-bench-daemon.XXXXXX)
export AIVISOR_SOCKET=$TMP/aivisord.sock AIVISOR_STATE_DIR=$TMP/state
DPID=
cleanup() {
	for f in "$AIVISOR_STATE_DIR"/tenants/*.json; do
		[ -f "$f" ] || continue
		p=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$f")
		[ -n "$p" ] && [ "$p" != 0 ] && kill -9 "$p" 2> /dev/null
	done
	[ -n "$DPID" ] && kill -9 "$DPID" 2> /dev/null && wait "$DPID" 2> /dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ -e /dev/kvm ] || { echo "bench daemon: /dev/kvm absent, skipped"; exit 0; }
for f in "$BIN/aivisord" "$BIN/aivisor-vmm" "$TICKER"; do [ -x "$f" ] || { echo "missing $f"; exit 1; }; done

now_us() { echo $(( $(date +%s%N) / 1000 )); }
# wait_output FILE: until FILE is non-empty (1 ms polls), max 10 s.
wait_output() {
	local end=$(( $(date +%s) + 10 ))
	while [ ! -s "$1" ]; do
		[ "$(date +%s)" -gt "$end" ] && return 1
		sleep 0.001
	done
}
# stats FILE: "median p99" of the numbers in FILE.
stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.999); if (i > NR) i = NR;
	printf "%.2f %.2f", v[int((NR + 1) / 2)] / 1000, v[i] / 1000 }'; }

"$BIN/aivisord" --no-vgpud --no-libvirt --log-level warn > "$TMP/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do "$A" list > /dev/null 2>&1 && break; sleep 0.05; done
idle_rss=$(awk '/VmRSS/ { print $2 }' /proc/$DPID/status)

# Side by side: a direct VMM start, then a daemon create, N times each.
: > "$TMP/direct.us"; : > "$TMP/daemon.us"
for i in $(seq 1 "$N"); do
	out=$TMP/direct$i.out
	t0=$(now_us)
	"$BIN/aivisor-vmm" --memory 32 "$TICKER" 0 1000 > "$out" 2>&1 &
	vp=$!
	wait_output "$out" && echo $(( $(now_us) - t0 )) >> "$TMP/direct.us"
	kill -9 "$vp"; wait "$vp" 2> /dev/null

	printf 'name: b%d\nmemory_mib: 32\nprogram: %s\nargs: [0, 1000]\n' "$i" "$TICKER" > "$TMP/b$i.yaml"
	t0=$(now_us)
	"$A" create "$TMP/b$i.yaml" > /dev/null || { echo "create b$i failed"; exit 1; }
	wait_output "$AIVISOR_STATE_DIR/logs/b$i.log" && echo $(( $(now_us) - t0 )) >> "$TMP/daemon.us"
	"$A" destroy "b$i" > /dev/null
	"$A" undefine "b$i" > /dev/null
done
read -r d_med d_p99 <<< "$(stats "$TMP/daemon.us")"
read -r v_med v_p99 <<< "$(stats "$TMP/direct.us")"

# 100 defined, 20 running.
for i in $(seq 1 100); do
	printf 'name: m%d\nmemory_mib: 32\nprogram: %s\nargs: [0, 1000]\n' "$i" "$TICKER" > "$TMP/m$i.yaml"
	"$A" define "$TMP/m$i.yaml" > /dev/null || { echo "define m$i failed"; exit 1; }
done
for i in $(seq 1 20); do "$A" start "m$i" > /dev/null || { echo "start m$i failed"; exit 1; }; done
sleep 0.5
"$A" list > /dev/null
rss=$(awk '/VmRSS/ { print $2 }' /proc/$DPID/status)
running=$("$A" list | tail -n +2 | wc -l)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "aivisord (2 shared cores; timings are noisy)        median      p99"
printf "create+start to first output, via daemon  %8.2f ms %8.2f ms  (%d tenants)\n" "$d_med" "$d_p99" "$N"
printf "aivisor-vmm started directly (baseline)   %8.2f ms %8.2f ms\n" "$v_med" "$v_p99"
printf "daemon RSS: %d KiB with 100 defined / %d running; %d KiB idle (baseline)\n" "$rss" "$running" "$idle_rss"
echo "BENCH daemon_create_first_output_median $d_med ms baseline=$v_med ratio=$(ratio "$d_med" "$v_med")"
echo "BENCH daemon_create_first_output_p99 $d_p99 ms baseline=$v_p99 ratio=$(ratio "$d_p99" "$v_p99")"
echo "BENCH daemon_rss_100_defined_20_running $rss KiB baseline=$idle_rss ratio=$(ratio "$rss" "$idle_rss")"
