#!/bin/bash
# vGPU end to end: aivisor-vgpud as a daemon, the opcode selftest as a
# host-process tenant (and inside a microVM when aivisor-vmm can wire a
# vGPU), stats over the socket, flag errors, a second server refused,
# clean shutdown.
. "$(dirname "$0")/../lib.sh"

SOCK=$TMP/vgpu.sock
"$BIN/aivisor-vgpud" --socket "$SOCK" --threads 1 2>"$TMP/vgpud.log" &
PID=$!
for _ in $(seq 100); do
	"$BIN/aivisor-vgpud" --socket "$SOCK" --stats >/dev/null 2>&1 && break
	sleep 0.05
done
if "$BIN/aivisor-vgpud" --socket "$SOCK" --stats >/dev/null; then ok "vgpu daemon answers stats"
else notok "vgpu daemon answers stats" "$(cat "$TMP/vgpud.log")"; fi

# The sandbox: the running server is under its seccomp filter (every
# thread) and, as root, sees an empty root; the allowlist prints.
check "vgpud threads run under seccomp" bash -c "! grep -h '^Seccomp:' /proc/$PID/task/*/status | grep -qv '2\$'"
if [ "$(id -u)" = 0 ]; then
	check "vgpud sees an empty root" test -z "$(ls -A "/proc/$PID/root/" 2>&1)"
else
	skip "vgpud sees an empty root" "not root: sandbox_isolate needs CAP_SYS_ADMIN"
fi
expect_run "vgpud --print-seccomp lists its allowlist" 0 "aivisor-vgpud: [0-9]+ allowed system calls" \
	"$BIN/aivisor-vgpud" --print-seccomp

# Every opcode against the C reference, host-process tenant.
out=$("$BIN/aivisor-vgpu-selftest" "unix:$SOCK" 2>&1); rc=$?
printf '%s\n' "$out" | sed -n 's/^\(ok\|not ok\) - vgpu /\1 - vgpu host: /p'
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^ok - ')" -ge 18 ] \
	&& ok "vgpu host selftest: all cases" || notok "vgpu host selftest: all cases" "exit $rc"

# Stats: well-formed JSON; the selftest tenant is gone after it exited.
json=$("$BIN/aivisor-vgpud" --socket "$SOCK" --stats)
check "vgpu stats is JSON with the backend and no stale tenant" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["backend"] == "openblas" and d["threads"] == 1, d
assert d["tenants"] == [], d' "$json"

# Stats while a tenant is attached: AIVISOR_VGPU from the environment.
AIVISOR_VGPU="unix:$SOCK" "$BIN/aivisor-vgpu-selftest" >/dev/null 2>&1 &
TP=$!
seen=no
for _ in $(seq 200); do
	"$BIN/aivisor-vgpud" --socket "$SOCK" --stats 2>/dev/null | grep -q '"commands":[1-9]' && { seen=yes; break; }
	kill -0 $TP 2>/dev/null || break
done
wait $TP
if [ "$seen" = yes ]; then ok "vgpu stats count an attached tenant's commands"
else skip "vgpu stats count an attached tenant's commands" "the tenant finished before a stats poll (timing)"; fi

# A tenant killed mid-work is detached; the server keeps serving others.
"$BIN/aivisor-vgpu-selftest" "unix:$SOCK" >/dev/null 2>&1 &
KP=$!
sleep 0.05
kill -KILL $KP 2>/dev/null; wait $KP 2>/dev/null
gone=no
for _ in $(seq 100); do
	"$BIN/aivisor-vgpud" --socket "$SOCK" --stats 2>/dev/null | grep -q '"tenants":\[\]' && { gone=yes; break; }
	sleep 0.02
done
out=$("$BIN/aivisor-vgpu-selftest" "unix:$SOCK" 2>&1); rc=$?
[ "$gone" = yes ] && [ "$rc" = 0 ] && ok "a killed tenant is detached and the server serves the next one" \
	|| notok "a killed tenant is detached and the server serves the next one" "gone=$gone rc=$rc"

expect_run "vgpud rejects --threads 0" 2 "threads wants" "$BIN/aivisor-vgpud" --threads 0
expect_run "vgpud rejects a bad slice" 2 "slice-ms wants" "$BIN/aivisor-vgpud" --slice-ms 100
expect_run "vgpud rejects an unknown backend" 1 "unknown backend .nope." \
	"$BIN/aivisor-vgpud" --socket "$TMP/other.sock" --backend nope
expect_run "second vgpud on the same socket is refused" 1 "already answers" \
	"$BIN/aivisor-vgpud" --socket "$SOCK"
touch "$TMP/not-a-socket"
expect_run "vgpud will not delete a non-socket at its path" 1 "not a socket" \
	"$BIN/aivisor-vgpud" --socket "$TMP/not-a-socket"
check "the file is still there" test -f "$TMP/not-a-socket"
expect_run "client reports a missing server" 2 "connect .*nosuch" \
	"$BIN/aivisor-vgpu-selftest" "unix:$TMP/nosuch.sock"

# Inside a microVM, when the VMM can give it a vGPU window.
if need_kvm "vgpu microVM selftest"; then
	if "$BIN/aivisor-vmm" --help 2>&1 | grep -q -- '--vgpu-memory'; then
		out=$("$BIN/aivisor-vmm" --vgpu-memory 64 --vgpu-socket "$SOCK" --timeout 60 \
			"$GUEST/vgpu-selftest" 2>&1); rc=$?
		printf '%s\n' "$out" | sed -n 's/^\(ok\|not ok\) - vgpu /\1 - vgpu microVM: /p'
		[ "$rc" = 0 ] && ok "vgpu microVM selftest: all cases" \
			|| notok "vgpu microVM selftest: all cases" "exit $rc: $(printf '%s' "$out" | tail -5)"
	else
		skip "vgpu microVM selftest" "aivisor-vmm has no --vgpu-memory (VMM wiring not there yet)"
	fi
fi

kill -TERM $PID
wait $PID; rc=$?
[ "$rc" = 0 ] && [ ! -e "$SOCK" ] && ok "vgpud exits cleanly on SIGTERM and removes its socket" \
	|| notok "vgpud exits cleanly on SIGTERM and removes its socket" "exit $rc"
