#!/bin/bash
# Hostile tenants under aivisord: a VMM bug a guest triggers is stopped by
# the seccomp filter (only that VMM ends, the daemon records it), and a
# console flood neither fills the disk nor starves the daemon.
. "$(dirname "$0")/../lib.sh"
need_kvm "hostile under the daemon" || exit 0
. "$ROOT/control/tests/daemon_helpers.sh"

start_daemon --vmm "$ROOT/build/test-bin/aivisor-vmm-buginject" --console-log-cap 65536 || {
	notok "hostile daemon: aivisord starts"; exit 0; }

"$A" create "$(ticker_yaml neighbour no 0 0 100)" > /dev/null
printf 'name: buggy\nmemory_mib: 32\nprogram: %s\nrestart: no\n' "$GUEST/hostile-buginject" > "$TMP/buggy.yaml"
"$A" create "$TMP/buggy.yaml" > /dev/null
wait_until 10 state_is buggy crashed
if [ "$(field buggy exit_code)" = 159 ] && grep -q 'seccomp: system call 41 (socket) is not allowed' \
	"$AIVISOR_STATE_DIR/logs/buggy.log"; then
	ok "hostile daemon: a VMM bug outside the allowlist ends that VMM (exit 159, logged)"
else
	notok "hostile daemon: a VMM bug outside the allowlist ends that VMM (exit 159, logged)" \
		"state=$(field buggy state) exit=$(field buggy exit_code) log: $(tail -c 300 "$AIVISOR_STATE_DIR/logs/buggy.log")"
fi
check "hostile daemon: the guest never ran past the injected bug" \
	bash -c "! grep -q 'still running' '$AIVISOR_STATE_DIR/logs/buggy.log'"
check "hostile daemon: the neighbour keeps running" state_is neighbour running
check "hostile daemon: the daemon keeps answering" bash -c "'$A' list > /dev/null"

# A console flood: the log stays within its cap (plus one rotated file)
# and the daemon answers quickly meanwhile.
printf 'name: flood\nmemory_mib: 32\nprogram: %s\nrestart: no\n' "$GUEST/hostile-flood" > "$TMP/flood.yaml"
"$A" create "$TMP/flood.yaml" > /dev/null
sleep 2
worst=0
for _ in $(seq 10); do
	s=$(date +%s%N); "$A" list > /dev/null; ms=$(( ($(date +%s%N) - s) / 1000000 ))
	[ "$ms" -gt "$worst" ] && worst=$ms
	sleep 0.1
done
bytes=$(cat "$AIVISOR_STATE_DIR"/logs/flood.log* 2>/dev/null | wc -c)
"$A" destroy flood > /dev/null
# The log file is rotated at 64 KiB (checked every 200 ms) and the VMM keeps
# the console to 4 MiB/s: the log and its one rotated file stay small.
if [ "$bytes" -gt 0 ] && [ "$bytes" -lt $((4 << 20)) ]; then
	ok "hostile daemon: a console flood's log stays bounded ($bytes bytes)"
else
	notok "hostile daemon: a console flood's log stays bounded" "$bytes bytes"
fi
if [ "$worst" -lt 2000 ]; then
	ok "hostile daemon: the daemon answers during a console flood (worst ${worst} ms)"
else
	notok "hostile daemon: the daemon answers during a console flood" "worst ${worst} ms"
fi
check "hostile daemon: the neighbour survived it all" state_is neighbour running
