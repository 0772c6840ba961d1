#!/bin/bash
# The vGPU backend the daemon's server chose is reported by `aivisor stats`
# and in the metrics (issue 9: openblas here, with the reason in the
# server's log when `auto` finds no GPU).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/control/tests/daemon_helpers.sh"
port=$((20000 + RANDOM % 20000))
"$BIN/aivisord" --no-libvirt --metrics-port "$port" >> "$TMP/daemon.log" 2>&1 &
DPID=$!
wait_until 10 bash -c "'$A' stats > /dev/null 2>&1" || { notok "daemon backend: aivisord starts" "$(tail -5 "$TMP/daemon.log")"; exit 0; }
wait_until 10 bash -c "'$A' stats | grep -q 'backend openblas'"
expect_run "daemon backend: aivisor stats names the vGPU backend" 0 'vGPU server: (running|external), backend openblas' "$A" stats
expect_run "daemon backend: stats --json carries vgpu_backend" 0 '"vgpu_backend": "openblas"' "$A" stats --json
expect_run "daemon backend: metrics expose the backend" 0 'aivisor_vgpu_backend_info\{backend="openblas"\} 1' \
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3; cat <&3"
expect_run "daemon backend: the server logs its backend" 0 'listening on .*backend openblas' \
	cat "$AIVISOR_STATE_DIR/vgpud.log"
# The daemon-started server outlives a killed daemon by design: stop it here.
pgrep -f "aivisor-vgpud --socket $AIVISOR_STATE_DIR/vgpu.sock" > "$TMP/vgpud.pid"
