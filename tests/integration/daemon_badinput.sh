#!/bin/bash
# Bad input: malformed and contradictory configs (each an error naming
# file:line), requests that are not JSON or too large, unknown commands,
# calls that conflict with a tenant's state, and a full disk while saving
# state (clear error, old definition intact, nothing half-written).
source "$(dirname "$0")/../lib.sh"
source "$ROOT/control/tests/daemon_helpers.sh"
need_kvm "daemon bad input" || exit 0
PY=/usr/bin/python3

start_daemon || { notok "daemon starts"; exit 1; }

bad() { # NAME REGEX YAML-TEXT: `aivisor define` must fail with exit 5 and REGEX
	printf '%s\n' "$3" > "$TMP/bad.yaml"
	expect_run "config: $1" 5 "$2" "$A" define "$TMP/bad.yaml"
}
P=$GUEST/ticker
bad "unknown key" "bad.yaml:3: unknown key 'memroy_mib'" "name: b1
program: $P
memroy_mib: 64"
bad "unknown nested key" "bad.yaml:4: vgpu: unknown key 'wieght'" "name: b1
program: $P
vgpu:
  wieght: 3"
bad "negative size" "bad.yaml:2: memory_mib: -64 is negative" "name: b1
memory_mib: -64
program: $P"
bad "negative vgpu memory" "bad.yaml:4: vgpu.memory_mib: -1 is negative" "name: b1
program: $P
vgpu:
  memory_mib: -1"
bad "size too small" "memory_mib: 1 is outside" "name: b1
memory_mib: 1
program: $P"
bad "duplicate key" "bad.yaml:3: duplicate key 'name'" "name: b1
program: $P
name: b2"
bad "duplicate tenant names" "bad.yaml:5: duplicate tenant name 'b1'" "name: b1
program: $P
---
program: $P
name: b1"
bad "missing program" "bad.yaml:1: program: missing" "name: b1
vcpus: 1"
bad "missing name" "name: missing" "program: $P"
bad "wrong type" "bad.yaml:3: vcpus: must be an integer" "name: b1
program: $P
vcpus: many"
bad "cap above vcpus" "bad.yaml:4: cpu.cap_percent: 300 exceeds 100 x vcpus" "name: b1
program: $P
vcpus: 2
cpu: {cap_percent: 300}"
bad "max_restarts without a restart policy" "max_restarts: set, but restart policy is 'no'" "name: b1
program: $P
max_restarts: 3"
bad "unknown restart policy" "bad.yaml:3: restart: must be no, on-failure or always" "name: b1
program: $P
restart: sometimes"
bad "bad priority" "vgpu.priority: must be high, normal or low" "name: b1
program: $P
vgpu: {priority: urgent}"
bad "bad cpu list" "cpu.pinning" "name: b1
program: $P
cpu: {pinning: '3-1'}"
bad "share escaping with .." "shares\[0\].host: .* without '..'" "name: b1
program: $P
shares: [{host: /tmp/../etc}]"
bad "YAML syntax error" "bad.yaml:2: YAML syntax error" "name: [b1
program: x"
bad "invalid name" "name: must be" "name: 'a b'
program: $P"
bad "empty file" "no tenant definition" ""
expect_run "config: missing file" 5 "cannot open" "$A" define "$TMP/nonexistent.yaml"
check "no bad config was defined" test "$("$A" list --all | tail -n +2 | wc -l)" = 0

# Raw protocol: one JSON request per line.
cat > "$TMP/raw.py" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
PYEOF
req() { # NAME REGEX REQUEST-TEXT
	printf '%s\n' "$3" > "$TMP/req.txt"
	expect_run "request: $1" 0 "$2" bash -c "'$PY' '$TMP/raw.py' '$AIVISOR_SOCKET' < '$TMP/req.txt' | tr '\n' ' '"
}
req "not JSON" '"code":"bad_request".*not JSON' 'hello there'
req "truncated JSON" '"code":"bad_request"' '{"cmd":"list"'
req "not an object" 'must be a JSON object' '[1,2]'
req "unknown cmd" "unknown cmd 'frobnicate'" '{"cmd":"frobnicate"}'
req "missing name" "missing string field 'name'" '{"cmd":"start"}'
req "hostile name" 'not a valid tenant name' '{"cmd":"info","name":"../../etc/passwd"}'
req "duplicate JSON keys" '"bad_request"' '{"cmd":"list","cmd":"ping"}'
req "invalid definition" '"code":"invalid".*vcpus' '{"cmd":"define","def":{"name":"x","program":"/x","vcpus":0}}'
req "bad field type" "'timeout' must be an integer" '{"cmd":"shutdown","name":"x","timeout":"soon"}'
req "several per connection, id echoed" '"id":7.*"id":8' '{"cmd":"ping","id":7}
{"cmd":"ping","id":8}'
req "oversized (100 KiB) refused" '"code":"too_large"' "{\"cmd\":\"ping\",\"pad\":\"$(head -c 100000 /dev/zero | tr '\0' x)\"}"
expect_run "daemon still serves after bad requests" 0 "NAME" "$A" list --all

# Calls that conflict with the tenant's state.
"$A" define "$(ticker_yaml c1 no 0 0 100)" > /dev/null
expect_run "stop a stopped tenant" 6 "not running" "$A" destroy c1
"$A" start c1 > /dev/null
expect_run "start a running tenant" 6 "already running" "$A" start c1
expect_run "redefine a running tenant" 6 "running" "$A" define "$TMP/c1.yaml"
expect_run "undefine a running tenant" 6 "running" "$A" undefine c1
expect_run "unknown tenant" 4 "no tenant named" "$A" start nosuch
expect_run "bad CLI usage" 2 "usage" "$A" shutdown c1 --timeout forever
expect_run "unknown verb" 2 "unknown verb" "$A" frob
"$A" destroy c1 > /dev/null
printf 'name: huge\nmemory_mib: 1048576\nprogram: %s\n' "$GUEST/ticker" > "$TMP/huge.yaml"
"$A" define "$TMP/huge.yaml" > /dev/null
expect_run "a tenant larger than the host is refused (admission)" 7 "does not fit: memory" "$A" start huge
check "refused tenant stays shut off" state_is huge shutoff
"$A" start c1 > /dev/null
expect_run "a live cap beyond the host's CPUs is refused" 5 "cpu.cap_percent" "$A" set c1 --cpu-cap 100000
"$A" destroy c1 > /dev/null

# Full disk while saving state: the state directory is a 192 KiB tmpfs.
stop_daemon TERM
rm -rf "$AIVISOR_STATE_DIR"; mkdir -p "$AIVISOR_STATE_DIR"
if mount -t tmpfs -o size=192k tmpfs "$AIVISOR_STATE_DIR" 2>/dev/null; then
	start_daemon || notok "daemon starts on a tiny tmpfs"
	"$A" define "$(ticker_yaml full1 no 0 0 100)" > /dev/null
	before=$(cat "$AIVISOR_STATE_DIR/tenants/full1.json")
	dd if=/dev/zero of="$AIVISOR_STATE_DIR/filler" bs=4k 2>/dev/null
	sed -i 's/memory_mib: 32/memory_mib: 48/' "$TMP/full1.yaml"
	expect_run "full disk: redefine fails clearly" 1 "No space left on device.*previous state kept" "$A" define "$TMP/full1.yaml"
	check "full disk: old definition intact on disk" test "$(cat "$AIVISOR_STATE_DIR/tenants/full1.json")" = "$before"
	check "full disk: old definition intact in the daemon" test "$(field full1 memory_mib)" = 32
	expect_run "full disk: new define fails clearly" 1 "No space left" "$A" define "$(ticker_yaml full2 no 0 0 100)"
	check "full disk: failed tenant not listed" bash -c "! '$A' list --all | grep -q full2"
	check "full disk: no temp file left" bash -c "! ls -a '$AIVISOR_STATE_DIR/tenants' | grep -q tmp"
	rm -f "$AIVISOR_STATE_DIR/filler"
	expect_run "space back: define works again" 0 "defined" "$A" define "$TMP/full1.yaml"
	stop_daemon TERM
	umount "$AIVISOR_STATE_DIR"
else
	skip "full disk" "cannot mount a tmpfs here"
fi
