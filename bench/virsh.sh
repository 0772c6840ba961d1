#!/bin/bash
# virsh against aivisor: latency of `virsh -c aivisor:///system list` with
# 100 defined tenants (median of 21 runs, each a fresh virsh process and
# connection, as virsh always does), side by side with `aivisor list` on the
# same host in the same run.  With --all every tenant is listed (virsh then
# makes one LIST_ALL_DOMAINS and one GET_STATE call per tenant).
#
# Server: aivisord when it serves libvirt (--libvirt-socket), so both
# clients read one registry; otherwise aivisor-lvtestd holds the 100
# tenants for virsh and aivisord holds them for the CLI (said in the table).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
N=${VIRSH_BENCH_TENANTS:-100}
RUNS=${VIRSH_BENCH_RUNS:-21}
if ! command -v virsh > /dev/null; then
	echo "virsh is not installed (libvirt-clients): no figures"
	exit 0
fi
TMP=$(mktemp -d /tmp/aivisor-bench-virsh.XXXXXX)
export AIVISOR_SOCKET=$TMP/aivisord.sock AIVISOR_STATE_DIR=$TMP/state
DPID= LPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# The plain URI needs the default socket; if another server owns it, name ours.
if [ -S /run/libvirt/virtaivisord-sock ]; then
	LSOCK=$TMP/lv-sock URI="aivisor+unix:///system?socket=$TMP/lv-sock"
else
	LSOCK=/run/libvirt/virtaivisord-sock URI="aivisor:///system"
fi

served=aivisord
dflags=(--no-vgpud --log-level error)
if "$BIN/aivisord" --help 2>&1 | grep -q -- --libvirt-socket; then
	dflags+=(--libvirt-socket "$LSOCK" --libvirt-ro-socket "$LSOCK-ro")
else
	served="aivisor-lvtestd (aivisord does not serve libvirt yet)"
fi
"$BIN/aivisord" "${dflags[@]}" > "$TMP/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do "$BIN/aivisor" list > /dev/null 2>&1 && break; sleep 0.05; done
for i in $(seq -w 1 "$N"); do
	printf 'name: bench-%s\nmemory_mib: 32\nprogram: %s\nargs: [0, 1000]\n' "$i" "$ROOT/build/guest/ticker" > "$TMP/t.yaml"
	"$BIN/aivisor" define "$TMP/t.yaml" > /dev/null || { echo "aivisor define failed"; tail "$TMP/daemon.log"; exit 1; }
done
if [ "$served" != aivisord ]; then
	"$BIN/aivisor-lvtestd" --socket "$LSOCK" --ro-socket "$LSOCK-ro" --preload "$N" "$ROOT/build/guest/ticker" > "$TMP/lvtestd.log" 2>&1 &
	LPID=$!
fi
for _ in $(seq 100); do [ -S "$LSOCK" ] && break; sleep 0.05; done
rows=$(virsh -c "$URI" list --all | grep -c 'shut off')
[ "$rows" = "$N" ] || { echo "virsh lists $rows tenants, expected $N"; exit 1; }

# median_ms CMD...: median wall time of RUNS runs, in ms with 0.1 precision
median_ms() {
	local t=()
	for _ in $(seq "$RUNS"); do
		local s e
		s=$(date +%s%N); "$@" > /dev/null 2>&1 || return 1; e=$(date +%s%N)
		t+=($(( (e - s) / 100000 )))
	done
	printf '%s\n' "${t[@]}" | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2) { printf "%.1f", $1 / 10 }'
}

vl=$(median_ms virsh -c "$URI" list) || { echo "virsh list failed"; exit 1; }
al=$(median_ms "$BIN/aivisor" list) || { echo "aivisor list failed"; exit 1; }
vla=$(median_ms virsh -c "$URI" list --all) || { echo "virsh list --all failed"; exit 1; }
ala=$(median_ms "$BIN/aivisor" list --all) || { echo "aivisor list --all failed"; exit 1; }
# virsh's own cost without any server: libvirt's built-in test driver
floor=$(median_ms virsh -c test:///default list) || floor="n/a"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "virsh vs aivisor CLI, $N defined tenants (none running), median of $RUNS runs"
echo "virsh URI: $URI, served by $served"
echo "(shared 2-core machine: absolute times are noisy, compare the columns)"
printf '%-22s %12s %14s %7s\n' "command" "virsh (ms)" "aivisor (ms)" "ratio"
printf '%-22s %12s %14s %7s\n' "list" "$vl" "$al" "$(ratio "$vl" "$al")"
printf '%-22s %12s %14s %7s\n' "list --all ($N rows)" "$vla" "$ala" "$(ratio "$vla" "$ala")"
printf '%-22s %12s %14s\n' "virsh floor (test://)" "$floor" "-"
echo "BENCH virsh_list_${N}_tenants_ms $vl ms baseline=$al ratio=$(ratio "$vl" "$al")"
echo "BENCH virsh_list_all_${N}_tenants_ms $vla ms baseline=$ala ratio=$(ratio "$vla" "$ala")"
