# Helpers for the daemon/CLI integration tests (sourced after tests/lib.sh).
# Every test runs its own aivisord on a socket and state directory under
# $TMP, and the exit trap kills whatever VMs and daemons it started.
A=$BIN/aivisor
export AIVISOR_SOCKET=$TMP/aivisord.sock
export AIVISOR_STATE_DIR=$TMP/state
DPID=

cleanup_daemon_test() {
	local pid
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	# VMs run in their own sessions and outlive the daemon by design.
	for f in "$AIVISOR_STATE_DIR"/tenants/*.json; do
		[ -f "$f" ] || continue
		pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$f")
		[ -n "$pid" ] && [ "$pid" != 0 ] && kill -9 "$pid" 2>/dev/null
	done
	[ -f "$TMP/vgpud.pid" ] && kill -9 "$(cat "$TMP/vgpud.pid")" 2>/dev/null
	mountpoint -q "$AIVISOR_STATE_DIR" 2>/dev/null && umount -l "$AIVISOR_STATE_DIR"
	rm -rf "$TMP"
}
trap cleanup_daemon_test EXIT

# start_daemon [FLAGS...]: starts aivisord, waits until it answers.
start_daemon() {
	"$BIN/aivisord" --no-vgpud --no-libvirt --log-level debug "$@" >> "$TMP/daemon.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		"$A" list > /dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "aivisord did not come up:"; tail -20 "$TMP/daemon.log"
	return 1
}

stop_daemon() { # SIGNAL (default TERM)
	kill -"${1:-TERM}" "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

# ticker_yaml NAME [RESTART] [MAX] [TICKER ARGS...]: a config for a ticker tenant.
ticker_yaml() {
	local name=$1 restart=${2:-no} max=${3:-0}
	shift 3 2>/dev/null || shift $#
	local args=${*:-0 100}
	{
		echo "name: $name"
		echo "memory_mib: 32"
		echo "program: $GUEST/ticker"
		echo "args: [${args// /, }]"
		echo "restart: $restart"
		[ "$max" != 0 ] && echo "max_restarts: $max"
	} > "$TMP/$name.yaml"
	echo "$TMP/$name.yaml"
}

# field NAME KEY: one field of `aivisor stats --json` for a tenant.
field() {
	"$A" stats --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for t in d["tenants"]:
    if t["name"] == sys.argv[1]:
        print(t[sys.argv[2]])' "$1" "$2"
}

# wait_until SECONDS CMD...: polls CMD every 50 ms.
wait_until() {
	local end=$(( $(date +%s%N) + $1 * 1000000000 )); shift
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

state_is() { [ "$(field "$1" state)" = "$2" ]; }
