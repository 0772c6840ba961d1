#!/bin/bash
# Concurrent CLI calls against one aivisord: racing starts of one tenant
# (exactly one wins), parallel defines and starts of many, racing
# shutdown/destroy, racing redefinitions (disk and daemon agree after).
source "$(dirname "$0")/../lib.sh"
source "$ROOT/control/tests/daemon_helpers.sh"
need_kvm "cli concurrency" || exit 0

start_daemon || { notok "daemon starts"; exit 1; }
# Plain `wait` would also wait for the daemon: wait for these jobs only.
jobs_=()
waitjobs() { wait "${jobs_[@]}"; jobs_=(); }

"$A" define "$(ticker_yaml race no 0 0 100)" > /dev/null
for i in $(seq 1 10); do ( "$A" start race > /dev/null 2>&1; echo $? > "$TMP/rc.$i" ) & jobs_+=($!); done
waitjobs
wins=$(cat "$TMP"/rc.* | grep -c '^0$'); busy=$(cat "$TMP"/rc.* | grep -c '^6$')
check "10 racing starts: exactly one wins, nine conflict ($wins/$busy)" test "$wins/$busy" = 1/9
check "exactly one VMM process for it" test "$(pgrep -P "$DPID" -f -- "--name race " | wc -l)" = 1

for i in $(seq 1 16); do ticker_yaml "par$i" no 0 0 200 > /dev/null; done
for i in $(seq 1 16); do "$A" define "$TMP/par$i.yaml" > /dev/null 2>&1 & jobs_+=($!); done
waitjobs
check "16 parallel defines all land" test "$("$A" list --all | grep -c '^par')" = 16
check "every state file is valid JSON" bash -c "for f in '$AIVISOR_STATE_DIR'/tenants/*.json; do /usr/bin/python3 -m json.tool \"\$f\" > /dev/null || exit 1; done"
for i in $(seq 1 16); do "$A" start "par$i" > /dev/null 2>&1 & jobs_+=($!); done
waitjobs
check "16 parallel starts all run" test "$("$A" list | grep -c '^par.* running ')" = 16

( "$A" shutdown race --timeout 5 > /dev/null 2>&1; echo $? > "$TMP/sd" ) &
jobs_+=($!)
( "$A" destroy race > /dev/null 2>&1; echo $? > "$TMP/ds" ) &
jobs_+=($!)
( "$A" shutdown race > /dev/null 2>&1; echo $? > "$TMP/sd2" ) &
jobs_+=($!)
waitjobs
check "racing shutdown/destroy: all return, tenant ends shut off" state_is race shutoff
check "racing shutdown/destroy: outcomes are success or conflict" \
	bash -c "grep -qE '^(0|6)$' '$TMP/sd' && grep -qE '^(0|6)$' '$TMP/ds' && grep -qE '^(0|6)$' '$TMP/sd2'"

for i in $(seq 1 8); do
	sed "s/memory_mib: 32/memory_mib: $((32 + i))/" "$TMP/race.yaml" > "$TMP/race$i.yaml"
	"$A" define "$TMP/race$i.yaml" > /dev/null 2>&1 &
	jobs_+=($!)
done
waitjobs
disk=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["def"]["memory_mib"])' "$AIVISOR_STATE_DIR/tenants/race.json")
check "racing redefinitions: disk and daemon agree ($disk)" test "$disk" = "$(field race memory_mib)"

for i in $(seq 1 16); do "$A" destroy "par$i" > /dev/null 2>&1 & jobs_+=($!); done
waitjobs
check "16 parallel destroys: nothing left running" test "$("$A" list | tail -n +2 | wc -l)" = 0
