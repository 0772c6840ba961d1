#!/bin/bash
# `aivisor run --cpu-weight/--cpu-cap/--cpus`: the microVM runs in a CPU
# slice of its own (cgroup v1 cpu.shares or v2 cpu.weight), removed after.
. "$(dirname "$0")/../lib.sh"
need_kvm "aivisor run CPU slice" || exit 0
A=$BIN/aivisor

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
vmm_of() { for _ in $(seq 100); do p=$(pgrep -P "$1" -f aivisor-vmm) && { echo "$p"; return; }; sleep 0.02; done; }

"$A" run --cpus 0 --cpu-weight 100 --timeout 6 "$GUEST/loop" > /dev/null 2>&1 &
r1=$!
"$A" run --cpus 0 --cpu-weight 300 --timeout 6 "$GUEST/loop" > /dev/null 2>&1 &
r2=$!
v1=$(vmm_of $r1) v2=$(vmm_of $r2)
sleep 1.5
a1=$(ticks "$v1") a2=$(ticks "$v2")
sleep 3
b1=$(ticks "$v1") b2=$(ticks "$v2")
groups=$(ls -d /sys/fs/cgroup/cpu/aivisor/run-$r1 /sys/fs/cgroup/unified/aivisor/run-$r1 /sys/fs/cgroup/aivisor/run-$r1 2>/dev/null | wc -l)
wait $r1 $r2
d1=$((b1 - a1)) d2=$((b2 - a2))
share=$(( d1 + d2 > 0 ? 1000 * d2 / (d1 + d2) : 0 ))
if [ -n "$v1" ] && [ -n "$v2" ] && [ "$share" -ge 700 ] && [ "$share" -le 800 ]; then
	ok "aivisor run: CPU weights 1:3 on one core give 25/75 (heavier got $((share / 10)).$((share % 10))%)"
else
	notok "aivisor run: CPU weights 1:3 on one core give 25/75" "vmm pids '$v1' '$v2', ticks $d1 / $d2"
fi
check "aivisor run: each VM ran in its own group" test "$groups" -ge 1
left=$(ls -d /sys/fs/cgroup/cpu/aivisor/run-$r1 /sys/fs/cgroup/cpu/aivisor/run-$r2 2>/dev/null | wc -l)
check "aivisor run: the groups are removed when the VMs end" test "$left" = 0

# A cap: one VM capped at 20% of a CPU gets about that much.
"$A" run --cpu-cap 20 --timeout 4 "$GUEST/loop" > /dev/null 2>&1 &
r=$!
v=$(vmm_of $r)
sleep 1
a=$(ticks "$v"); sleep 2; b=$(ticks "$v")
wait $r
hz=$(getconf CLK_TCK)
pct=$(( (b - a) * 100 / (2 * hz) ))
if [ "$pct" -ge 12 ] && [ "$pct" -le 28 ]; then
	ok "aivisor run: --cpu-cap 20 holds the VM near 20% ($pct%)"
else
	notok "aivisor run: --cpu-cap 20 holds the VM near 20%" "$pct%"
fi

expect_run "aivisor run: a bad --cpus list is a usage error" 2 'cpu' "$A" run --cpus 999 "$GUEST/hello"
expect_run "aivisor run: a bad --cpu-slicing value is a usage error" 2 'required or best-effort' \
	"$A" run --cpu-weight 10 --cpu-slicing maybe "$GUEST/hello"
expect_run "aivisor run: without slice flags the VM runs as before" 0 'Hello from an aivisor microVM' \
	"$A" run "$GUEST/hello"
# Without the right to write cgroups: a clear error, unless best effort was asked for.
if id nobody > /dev/null 2>&1 && command -v setpriv > /dev/null; then
	expect_run "aivisor run: no cgroup permission is a clear error" 1 'CPU slice: .*(Permission|denied|EACCES|cgroup)' \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$A" run --cpu-weight 50 "$GUEST/hello"
	# (as nobody the VMM itself then cannot open /dev/kvm: proof it was started)
	expect_run "aivisor run: --cpu-slicing best-effort starts the VM unsliced, with a warning" 0 \
		'warning: running without a CPU slice.*aivisor-vmm: cannot open /dev/kvm' \
		bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$A' run --cpu-weight 50 --cpu-slicing best-effort '$GUEST/hello' 2>&1 | tr '\n' ' '"
fi
