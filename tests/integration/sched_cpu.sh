#!/bin/bash
# CPU slicing on the real kernel: weights, caps, pinning through the host's
# cgroups (v1 here, v2 where the unified hierarchy has the cpu controller).
# Tenants are CPU-bound host processes run by aivisor-cpuslice; the same
# cgroup code is what aivisor-vmm applies to its vCPU threads.
source "$(dirname "$0")/../lib.sh"
CS=$BIN/aivisor-cpuslice
SPIN='while :; do :; done'
tag=t$$

if [ ! -x "$CS" ]; then
	notok "sched_cpu: build/bin/aivisor-cpuslice exists" "run make first"
	exit 0
fi
# A host without any cgroup cpu controller (or without the right to write
# it) cannot slice CPU: that is a real missing prerequisite.
probe=$("$CS" --name "${tag}probe" -- true 2>&1)
if ! printf '%s' "$probe" | grep -q '^cpu_ns '; then
	for n in weights_1_3 weights_1_3_microvm live_weight_change cap_30 pinning; do
		skip "sched_cpu $n" "no writable cgroup cpu controller: $probe"
	done
	exit 0
fi

field() { sed -n "s/.*$1 \([0-9]*\).*/\1/p" "$2"; }

# Two CPU-bound tenants with CPU weights 1:3 on one core: 25/75 within 5 points.
"$CS" --name "${tag}a" --cpus 0 --cpu-weight 100 --seconds 3 -- sh -c "$SPIN" > "$TMP/a" &
"$CS" --name "${tag}b" --cpus 0 --cpu-weight 300 --seconds 3 -- sh -c "$SPIN" > "$TMP/b" &
wait
a=$(field cpu_ns "$TMP/a"); b=$(field cpu_ns "$TMP/b")
if [ -n "$a" ] && [ -n "$b" ] && [ $((a + b)) -gt 0 ]; then
	pa=$(( a * 1000 / (a + b) ))   # permille
	if [ "$pa" -ge 200 ] && [ "$pa" -le 300 ]; then
		ok "sched_cpu weights_1_3: shares $((pa / 10)).$((pa % 10))% / $(( (1000 - pa) / 10 )).$(( (1000 - pa) % 10 ))%"
	else
		notok "sched_cpu weights_1_3" "want 25/75 within 5 points, got a=$a b=$b ns ($pa permille)"
	fi
else
	notok "sched_cpu weights_1_3" "no usage: $(cat "$TMP/a" "$TMP/b")"
fi

# The same with real microVMs: two aivisor-vmm running a CPU-bound guest,
# each VMM (and so its vCPU threads) in its own slice.
if [ -x "$BIN/aivisor-vmm" ] && [ -x "$GUEST/cpuloop" ] && need_kvm "sched_cpu weights_1_3_microvm"; then
	for w in 100 300; do
		"$CS" --name "${tag}vm$w" --cpus 0 --cpu-weight "$w" --seconds 3 -- \
			"$BIN/aivisor-vmm" --memory 64 "$GUEST/cpuloop" 100000000000 > "$TMP/vm$w" &
	done
	wait
	a=$(field cpu_ns "$TMP/vm100"); b=$(field cpu_ns "$TMP/vm300")
	pa=$(( ${a:-0} + ${b:-0} > 0 ? ${a:-0} * 1000 / (${a:-0} + ${b:-0}) : 0 ))
	if [ -n "$a" ] && [ -n "$b" ] && [ "$pa" -ge 200 ] && [ "$pa" -le 300 ]; then
		ok "sched_cpu weights_1_3_microvm: shares $((pa / 10)).$((pa % 10))% / $(( (1000 - pa) / 10 )).$(( (1000 - pa) % 10 ))%"
	else
		notok "sched_cpu weights_1_3_microvm" "want 25/75 within 5 points: $(cat "$TMP/vm100" "$TMP/vm300")"
	fi
elif [ -e /dev/kvm ]; then
	notok "sched_cpu weights_1_3_microvm" "build/bin/aivisor-vmm or build/guest/cpuloop is not built"
fi

# A live change: two tenants start at weights 1:1; after 1.5 s one is set
# to 3 without restarting anything; from then on they split 25/75.
"$CS" --name "${tag}la" --cpus 0 --cpu-weight 100 --seconds 4 -- sh -c "$SPIN" > "$TMP/la" &
"$CS" --name "${tag}lb" --cpus 0 --cpu-weight 100 --seconds 4 -- sh -c "$SPIN" > "$TMP/lb" &
sleep 1.5
"$CS" --set "${tag}la" --cpus 0 --cpu-weight 100 > "$TMP/la.mid" 2>&1
"$CS" --set "${tag}lb" --cpus 0 --cpu-weight 300 > "$TMP/lb.mid" 2>&1
wait
a0=$(field cpu_ns "$TMP/la.mid"); b0=$(field cpu_ns "$TMP/lb.mid")
a1=$(field cpu_ns "$TMP/la"); b1=$(field cpu_ns "$TMP/lb")
if [ -n "$a0" ] && [ -n "$b0" ] && [ -n "$a1" ] && [ -n "$b1" ] && [ $((a1 - a0 + b1 - b0)) -gt 0 ]; then
	pa=$(( (a1 - a0) * 1000 / (a1 - a0 + b1 - b0) ))
	if [ "$pa" -ge 200 ] && [ "$pa" -le 300 ]; then
		ok "sched_cpu live_weight_change: after 1:1 -> 1:3, shares $((pa / 10)).$((pa % 10))% / $(( (1000 - pa) / 10 )).$(( (1000 - pa) % 10 ))%"
	else
		notok "sched_cpu live_weight_change" "want 25/75 within 5 points after the change, got $pa permille"
	fi
else
	notok "sched_cpu live_weight_change" "$(cat "$TMP/la" "$TMP/lb" "$TMP/la.mid" "$TMP/lb.mid")"
fi
expect_run "sched_cpu set needs an existing slice" 1 "no CPU slice .*${tag}none" \
	"$CS" --set "${tag}none" --cpu-weight 100

# A hard cap of 30% of one CPU holds a spinning tenant there (+- 5 points;
# the first CFS period may run a little over).
"$CS" --name "${tag}c" --cpu-cap 30 --seconds 2 -- sh -c "$SPIN" > "$TMP/c"
c=$(field cpu_ns "$TMP/c"); w=$(field wall_ns "$TMP/c")
if [ -n "$c" ] && [ -n "$w" ] && [ "$w" -gt 0 ]; then
	pc=$(( c * 1000 / w ))
	if [ "$pc" -ge 250 ] && [ "$pc" -le 350 ]; then
		ok "sched_cpu cap_30: $((pc / 10)).$((pc % 10))% of one CPU"
	else
		notok "sched_cpu cap_30" "want 30% +- 5, got $pc permille ($c / $w ns)"
	fi
else
	notok "sched_cpu cap_30" "no usage: $(cat "$TMP/c")"
fi

# Pinning: the tenant sees only the CPU it was given.
expect_run "sched_cpu pinning" 0 'Cpus_allowed_list:[[:space:]]+0$' \
	"$CS" --name "${tag}d" --cpus 0 -- grep Cpus_allowed_list /proc/self/status

# Bad input is refused with a message naming what is wrong.
expect_run "sched_cpu refuses bad weight" 2 'cpu-weight 0: want a number in 1..10000' \
	"$CS" --name "${tag}e" --cpu-weight 0 -- true
expect_run "sched_cpu refuses offline cpu" 2 'CPU 4095|want a CPU list' \
	"$CS" --name "${tag}e" --cpus 4095 -- true
expect_run "sched_cpu names the cgroup problem" 1 'cgroup.controllers does not list cpu' \
	env AIVISOR_CGROUP_ROOT="$TMP" "$CS" --name "${tag}e" -- true

# Without the right to write cgroups the error names the file and why.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	expect_run "sched_cpu names a missing permission" 1 \
		"mkdir /sys/fs/cgroup/.*aivisor/${tag}f: Permission denied \(writing cgroups needs root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$CS" --name "${tag}f" -- true
fi

# Nothing is left behind.
left=$(ls -d /sys/fs/cgroup/*/aivisor/"$tag"* /sys/fs/cgroup/aivisor/"$tag"* 2>/dev/null)
check "sched_cpu cleans up its cgroups" test -z "$left"
