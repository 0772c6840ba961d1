#!/bin/bash
# Fault isolation: SIGKILL of a VM process (noticed at once, recorded,
# restarted per policy, others unaffected), restart budgets, SIGKILL of the
# daemon mid-operation (no tenant lost, running VMs re-attached, VMs that
# died meanwhile recorded), and the vGPU server dying (restarted).
source "$(dirname "$0")/../lib.sh"
source "$ROOT/control/tests/daemon_helpers.sh"
need_kvm "daemon faults" || exit 0

start_daemon || { notok "daemon starts"; exit 1; }
"$A" create "$(ticker_yaml fa on-failure 0 0 100)" > /dev/null
"$A" create "$(ticker_yaml fb no 0 0 100)" > /dev/null
"$A" create "$(ticker_yaml fc always 0 0 100)" > /dev/null
"$A" create "$(ticker_yaml fz no 0 0 100)" > /dev/null
pa=$(field fa pid) pb=$(field fb pid) pc=$(field fc pid)
check "three tenants running" test "$(field fa state)$(field fb state)$(field fc state)" = runningrunningrunning

kill -9 "$pa"
check "crash noticed within 1 s and restarted (on-failure)" \
	wait_until 1 bash -c "'$A' list | awk '\$1==\"fa\" && \$2==\"running\" && \$3!=\"$pa\" {f=1} END {exit !f}'"
check "crash recorded (crashes=1, restarts=1)" test "$(field fa crashes)/$(field fa restarts)" = 1/1
check "other tenants unaffected" test "$(field fb pid)/$(field fc pid)" = "$pb/$pc"

kill -9 "$pb"
check "restart=no: crashed, not restarted" wait_until 2 state_is fb crashed
check "killing signal recorded" test "$(field fb exit_signal)" = 9
sleep 0.5
check "restart=no stays down" state_is fb crashed
check "others still unaffected" test "$(field fc pid)" = "$pc"

"$A" create "$(ticker_yaml fd on-failure 2 1 10 1)" > /dev/null
check "restart budget: stops after max_restarts" \
	wait_until 8 bash -c "'$A' list --all | awk '\$1==\"fd\" && \$2==\"crashed\" && \$8==2 {f=1} END {exit !f}'"
sleep 0.6
check "budget exhausted: no further restarts" test "$(field fd restarts)/$(field fd state)" = 2/crashed

"$A" create "$(ticker_yaml fe always 0 1 10 0)" > /dev/null
check "restart=always restarts after a clean exit" wait_until 3 bash -c "[ \$(cd '$ROOT'; '$A' stats --json | python3 -c 'import json,sys; print([t for t in json.load(sys.stdin)[\"tenants\"] if t[\"name\"]==\"fe\"][0][\"restarts\"])') -ge 1 ]"
"$A" destroy fe > /dev/null
check "a crash-looping tenant is stoppable" state_is fe shutoff

# SIGKILL of the daemon in the middle of a burst of defines and starts.
for i in $(seq 1 8); do ticker_yaml "burst$i" no 0 0 200 > /dev/null; done
( for i in $(seq 1 8); do "$A" create "$TMP/burst$i.yaml" > /dev/null 2>&1; done ) &
burst=$!
sleep 0.15
stop_daemon KILL
wait "$burst"
field_from_state() { sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$AIVISOR_STATE_DIR/tenants/$1.json"; }
pa=$(field_from_state fa)
kill -9 "$pc" "$(field_from_state fz)" # die while no daemon watches
sleep 0.1
before=$(ls "$AIVISOR_STATE_DIR/tenants" | grep -c '\.json$')
start_daemon || notok "daemon restarts after SIGKILL"
after=$("$A" list --all | tail -n +2 | wc -l)
check "no tenant lost across SIGKILL ($before state files, $after listed)" test "$before" = "$after"
check "no half-written state file" bash -c "! ls -a '$AIVISOR_STATE_DIR/tenants' | grep -q tmp"
check "running VM re-attached after SIGKILL" test "$(field fa pid)/$(field fa state)" = "$pa/running"
check "VM that died meanwhile recorded as ended" test "$(field fz state)/$(field fz last_exit)" = shutoff/unknown
check "restart=always restarts one after recovery" \
	wait_until 3 bash -c "'$A' list | awk '\$1==\"fc\" && \$3!=\"$pc\" {f=1} END {exit !f}'"
for f in "$AIVISOR_STATE_DIR"/tenants/burst*.json; do
	n=$(basename "$f" .json); p=$(field "$n" pid)
	[ "$p" != 0 ] && ! kill -0 "$p" 2>/dev/null && { notok "burst tenant $n claims dead pid $p"; }
done
ok "burst tenants are consistent with their processes"
# A VM spawned just before the SIGKILL, before its record was written, must
# have been adopted: every VMM carrying one of our tenants' uuids is known.
check "no orphaned VM unknown to the daemon" env BIN="$BIN" /usr/bin/python3 - "$AIVISOR_STATE_DIR" <<'PYEOF'
import json, os, subprocess, sys
stats = json.loads(subprocess.check_output([os.environ["BIN"] + "/aivisor", "stats", "--json"]))
by_uuid = {t["uuid"]: t["pid"] for t in stats["tenants"]}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        st = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        continue
    for e in env:
        if e.startswith(b"AIVISOR_TENANT_UUID="):
            u = e.split(b"=", 1)[1].decode()
            if u in by_uuid and by_uuid[u] != int(pid) and st != "Z":
                print(f"pid {pid} runs tenant {u} but the daemon says pid {by_uuid[u]}")
                sys.exit(1)
PYEOF

kill -9 "$(field fa pid)"
check "re-attached VM's death noticed" wait_until 2 bash -c "[ \"\$('$A' list | awk '\$1==\"fa\"{print \$3}')\" != '$pa' ]"
stop_daemon TERM

# The vGPU server dies: noticed and restarted.
if [ -x "$BIN/aivisor-vgpud" ]; then
	"$BIN/aivisord" --vgpud "$BIN/aivisor-vgpud" --no-libvirt --log-level debug >> "$TMP/daemon.log" 2>&1 &
	DPID=$!
	wait_until 5 "$A" list > /dev/null 2>&1
	vp=$(pgrep -f "aivisor-vgpud --socket $AIVISOR_STATE_DIR/vgpu.sock" | head -1)
	echo "$vp" > "$TMP/vgpud.pid"
	expect_run "vGPU server running" 0 "vGPU server: running" "$A" stats
	cat > "$TMP/vt.yaml" <<EOF
name: vt
memory_mib: 128
vgpu: {memory_mib: 64}
program: $GUEST/aivisor-agent
args: [train, --data, /data/digits.csv, --model, 64-128-64-10, --lr, 0.1, --epochs, 100000, --scale, 1/16]
shares: [{host: $ROOT/datasets, guest: /data}]
restart: on-failure
EOF
	"$A" create "$TMP/vt.yaml" > /dev/null
	wait_until 10 bash -c "'$A' logs vt | grep -q '^epoch 2/'"
	vtpid=$(field vt pid)
	kill -9 "$vp"
	check "vGPU server death noticed and restarted" \
		wait_until 5 bash -c "'$A' stats | grep -qE 'vGPU server: running, backend [a-z]+ \(1 restarts\)'"
	check "its vGPU tenant is not left hanging: killed, restarted per policy" \
		wait_until 8 bash -c "'$A' list | awk '\$1==\"vt\" && \$2==\"running\" && \$3!=\"$vtpid\" && \$8>=1 {f=1} END {exit !f}'"
	lines=$("$A" logs vt --bytes 262144 | grep -c '^epoch')
	check "the restarted tenant trains on the new server" \
		wait_until 10 bash -c "[ \$('$A' logs vt --bytes 262144 | grep -c '^epoch') -gt $((lines + 2)) ]"
	"$A" destroy vt > /dev/null
	pgrep -f "aivisor-vgpud --socket $AIVISOR_STATE_DIR/vgpu.sock" > "$TMP/vgpud.pid"
	# A daemon restart with a tenant running leaves the server up; the
	# next daemon adopts it and still restarts it when it dies.
	"$A" create "$(ticker_yaml vg no 0 0 200)" > /dev/null
	stop_daemon TERM
	vp=$(cat "$TMP/vgpud.pid")
	check "vGPU server outlives a daemon stop while tenants run" kill -0 "$vp"
	"$BIN/aivisord" --vgpud "$BIN/aivisor-vgpud" --no-libvirt --log-level debug >> "$TMP/daemon.log" 2>&1 &
	DPID=$!
	wait_until 5 "$A" list > /dev/null 2>&1
	check "next daemon adopts it" grep -q "vGPU server pid $vp (started by a previous daemon) adopted" "$TMP/daemon.log"
	kill -9 "$vp"
	check "adopted server's death noticed and restarted" \
		wait_until 5 bash -c "'$A' stats | grep -qE 'vGPU server: running, backend [a-z]+ \(1 restarts\)'"
	pgrep -f "aivisor-vgpud --socket $AIVISOR_STATE_DIR/vgpu.sock" > "$TMP/vgpud.pid"
	"$A" destroy vg > /dev/null
	stop_daemon TERM
else
	skip "vGPU server restart" "build/bin/aivisor-vgpud not built"
fi
