#!/bin/bash
# Security figures: the size of each process's system-call allowlist
# (compare Solo5 hvt's ~19), the sandbox's cost at VM start, and a short
# run of every fuzz target (executions per second and in total).
set -u
cd "$(dirname "$0")/.."
BIN=build/bin GUEST=build/guest

count() { "$1" --print-seccomp 2>/dev/null | sed -n 's/^[^:]*: \([0-9]*\) allowed.*/\1/p'; }
vmm=$(count "$BIN/aivisor-vmm")
vgpud=$(count "$BIN/aivisor-vgpud")
printf '%-34s %8s %12s\n' "process" "allowed" "Solo5 hvt"
printf '%-34s %8s %12s\n' "aivisor-vmm (run phase)" "${vmm:-?}" 19
printf '%-34s %8s %12s\n' "aivisor-vgpud (after start-up)" "${vgpud:-n/a}" "-"
[ -n "$vmm" ] && echo "BENCH seccomp_allowed_syscalls_vmm $vmm calls baseline=19 ratio=$(awk "BEGIN {printf \"%.2f\", $vmm / 19}")"
[ -n "$vgpud" ] && echo "BENCH seccomp_allowed_syscalls_vgpud $vgpud calls"

# What confinement costs at start: hello with and without the sandbox,
# interleaved, median of 40 each.
med() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
: > /tmp/aivisor-bench-sb.on; : > /tmp/aivisor-bench-sb.off
for _ in $(seq 40); do
	for mode in on off; do
		flag=; [ "$mode" = off ] && flag=--no-sandbox
		s=$(date +%s%N); "$BIN/aivisor-vmm" $flag "$GUEST/hello" > /dev/null; e=$(date +%s%N)
		echo $(( (e - s) / 1000 )) >> /tmp/aivisor-bench-sb.$mode
	done
done
on=$(med < /tmp/aivisor-bench-sb.on) off=$(med < /tmp/aivisor-bench-sb.off)
rm -f /tmp/aivisor-bench-sb.on /tmp/aivisor-bench-sb.off
printf 'hello, whole process: %s us sandboxed, %s us without (median of 40)\n' "$on" "$off"
echo "BENCH vmm_start_sandboxed_us $on us baseline=$off ratio=$(awk "BEGIN {printf \"%.2f\", $on / $off}")"

echo "fuzz targets, ${FUZZ_BENCH_SECONDS:-10} s each:"
scripts/run-fuzz.sh "${FUZZ_BENCH_SECONDS:-10}" | grep -E '^(ok|not ok|BENCH)'
