#!/bin/bash
# aivisord + aivisor CLI: the whole lifecycle of real microVM tenants
# (define, start, logs, set, shutdown, create, destroy, undefine), exit
# status recording, metrics, and a daemon restart that re-attaches.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/control/tests/daemon_helpers.sh"
need_kvm "daemon lifecycle" || exit 0

start_daemon --metrics-socket "$TMP/metrics.sock" || { notok "daemon starts"; exit 1; }
ok "daemon starts and answers"

cfg=$(ticker_yaml t1 no 0 0 50)
expect_run "define from YAML" 0 "tenant t1 defined" "$A" define "$cfg"
expect_run "list --all shows it shut off" 0 "t1 +shutoff" "$A" list --all
expect_run "list hides stopped tenants" 0 "^NAME[^\n]*$" "$A" list
check "state file written" test -s "$AIVISOR_STATE_DIR/tenants/t1.json"

expect_run "start" 0 "tenant t1 started" "$A" start t1
pid=$(field t1 pid)
check "VMM process runs" kill -0 "$pid"
check "process is a session leader (own group)" test "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid"
check "console output reaches the log" wait_until 5 bash -c "'$A' logs t1 | grep -q 'tick 2'"
expect_run "start twice is a conflict" 6 "already running" "$A" start t1

expect_run "set live parameters" 0 "updated" "$A" set t1 --vgpu-weight 4 --cpu-weight 300 --priority high
check "set is visible" test "$(field t1 vgpu_weight)/$(field t1 cpu_weight)/$(field t1 vgpu_priority)" = "4/300/high"
check "set is persisted" grep -q '"weight":300' "$AIVISOR_STATE_DIR/tenants/t1.json"
cg=$(sed -n "s/.*tenant 't1': pid $pid in \(.*\)/\1/p" "$TMP/daemon.log" | tail -1)
if [ -n "$cg" ]; then
	check "VM is in its CPU cgroup" grep -qx "$pid" "$cg/cgroup.procs"
	if [ -f "$cg/cpu.weight" ]; then want="cpu.weight=300"; got="cpu.weight=$(cat "$cg/cpu.weight")"
	else want="cpu.shares=3072"; got="cpu.shares=$(cat "$cg/cpu.shares")"; fi
	check "live CPU weight reaches the cgroup ($got)" test "$got" = "$want"
else
	skip "CPU cgroup" "no usable CPU cgroup controller: $(grep -m1 'CPU slicing off' "$TMP/daemon.log")"
fi
expect_run "set with a bad weight is refused" 5 "cpu.weight" "$A" set t1 --cpu-weight 0

expect_run "metrics endpoint" 0 'aivisor_tenant_up\{tenant="t1"\} 1' \
	curl -s --unix-socket "$TMP/metrics.sock" http://localhost/metrics
expect_run "metrics has cpu, memory, vgpu and restarts" 0 \
	'aivisor_tenant_cpu_seconds_total.*aivisor_tenant_memory_bytes\{tenant="t1"\} [1-9]' \
	bash -c "curl -s --unix-socket '$TMP/metrics.sock' http://localhost/metrics | tr '\n' ' '"

# Daemon restart: the VM keeps running and is re-attached.
stop_daemon TERM
check "VM survives a daemon stop" kill -0 "$pid"
start_daemon --metrics-socket "$TMP/metrics.sock" --console-log-cap 4096 || notok "daemon restarts"
check "re-attached after restart (same pid, running)" test "$(field t1 pid)/$(field t1 state)" = "$pid/running"
check "set survived the restart" test "$(field t1 vgpu_weight)" = 4

expect_run "top shows live shares" 0 "t1 +running .*%" "$A" top --count 1 --interval 0.3
expect_run "console follows the output" 124 "tick [0-9]+" timeout 1 "$A" console t1

"$A" create "$(ticker_yaml chatty no 0 0 1)" > /dev/null
log=$AIVISOR_STATE_DIR/logs/chatty.log
check "console log rotated at the cap" wait_until 5 test -s "$log.1"
check "console log stays near the cap" test "$(stat -c %s "$log")" -lt 65536
"$A" destroy chatty > /dev/null

expect_run "graceful shutdown" 0 "shut down" "$A" shutdown t1 --timeout 3
# Re-attached VMs are no longer the daemon's children: once dead they may
# linger as zombies of whatever reaps orphans here.
check "VMM process is gone" bash -c "st=\$(ps -o stat= -p $pid); [ -z \"\$st\" ] || [[ \$st == Z* ]]"
expect_run "shutdown of a stopped tenant is a conflict" 6 "not running" "$A" shutdown t1

cfg2=$(ticker_yaml t2 no 0 0 50)
expect_run "create defines and starts" 0 "created and started" "$A" create "$cfg2"
check "created tenant runs" state_is t2 running
expect_run "destroy" 0 "destroyed" "$A" destroy t2
check "destroy records SIGKILL" test "$(field t2 state)/$(field t2 exit_signal)" = "shutoff/9"

cfg3=$(ticker_yaml t3 no 0 2 10 3)
"$A" create "$cfg3" > /dev/null
check "guest exit code recorded" wait_until 5 bash -c "[ \"\$('$A' list --all | awk '\$1==\"t3\"{print \$2, \$NF}')\" = 'crashed 3' ]"

expect_run "undefine a running tenant is refused" 6 "running" bash -c "'$A' start t1 >/dev/null; '$A' undefine t1"
"$A" destroy t1 > /dev/null
expect_run "undefine" 0 "undefined" "$A" undefine t1
check "state file removed" test ! -e "$AIVISOR_STATE_DIR/tenants/t1.json"
expect_run "undefine again: not found" 4 "no tenant named 't1'" "$A" undefine t1
expect_run "info of a missing tenant" 4 "no tenant" "$A" info nosuch

stop_daemon TERM
expect_run "daemon unreachable exit code" 3 "cannot reach aivisord" "$A" list
