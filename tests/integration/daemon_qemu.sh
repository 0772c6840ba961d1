#!/bin/bash
# daemon_qemu.sh - aivisord runs a tenant of kind qemu as a libvirt/QEMU
# domain (TCG here, KVM where the CPU has VMX/SVM) and the aivisor verbs
# work on it:
#   - defined from YAML through the daemon (image defaults filled in),
#     started: listed by `virsh -c qemu:///system list` AND `aivisor list`,
#     and by virsh against aivisord's own libvirt endpoint;
#   - its job (3 digits epochs in the guest, math on the daemon's vGPU
#     server) ends by itself: the daemon notices, records exit code 0, the
#     domain is undefined, and `aivisor logs` shows the accuracy;
#   - started again, the daemon restarted: the tenant is re-attached (same
#     bridge pid), then destroyed: gone from libvirt, bridge gone;
#   - a graceful shutdown (ACPI ignored by the image: destroyed after the
#     timeout) ends it cleanly;
#   - its bridge killed under a running guest: noticed, domain destroyed,
#     recorded as a crash (signal 9);
#   - a failing job: recorded as a crash with its exit code, restarted per
#     its policy and budget;
#   - undefine; bad definitions: a missing kernel image (named), a window
#     that is not a power of two, a program on a qemu tenant, a kind change.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/control/tests/daemon_helpers.sh"
. "$ROOT/control/qemu/libvirtd-local.sh"
. "$ROOT/control/qemu/tests/qemu_test_helpers.sh"

T=daemon-qemu
NAME=dq-$$
MIN_ACC=0.90   # 3 epochs of the digits recipe reach 0.944 here (10 epochs 0.96)
LVSOCK=$TMP/lv-sock

cleanup() {
	qemu_domains_gone "$NAME" "$NAME-f"
	qemu_libvirt_down
	local f="$AIVISOR_STATE_DIR/vgpu.sock.pid"
	[ -f "$f" ] && kill -9 "$(awk '{print $1}' "$f")" 2>/dev/null
	cleanup_daemon_test
}
trap cleanup EXIT

qemu_test_ready "$T"

run_daemon() {
	"$BIN/aivisord" --log-level debug --vgpu-threads 1 --libvirt-socket "$LVSOCK" \
		--libvirt-ro-socket "$LVSOCK-ro" >> "$TMP/daemon.log" 2>&1 &
	DPID=$!
	wait_until 10 bash -c "'$A' list > /dev/null 2>&1"
}
check "$T: aivisord starts with its vGPU server" run_daemon

cat > "$TMP/q.yaml" <<YAML
name: $NAME
kind: qemu
memory_mib: 256
vgpu:
  memory_mib: 64
job: "train --data digits.csv --model 64-128-64-10 --epochs 3 --lr 0.1 --batch 32 --test-split 0.2 --seed 42 --scale 1/16"
YAML
expect_run "$T: a qemu tenant is defined from YAML" 0 "$NAME" "$A" define "$TMP/q.yaml"
expect_run "$T: info shows kind qemu and the default image" 0 \
	"kind: +qemu.*\"kernel\": \"$ROOT/build/images/vmlinuz\"" bash -c "'$A' info $NAME | tr '\n' ' '"

LV="aivisor+unix:///system?socket=$LVSOCK"
virsh -c "$LV" dumpxml "$NAME" > "$TMP/lv.xml" 2> "$TMP/lv.err"
check "$T: virsh dumpxml on aivisord's endpoint shows the qemu tenant" grep -q "<name>$NAME</name>" "$TMP/lv.xml"
expect_run "$T: virsh define over the qemu tenant is refused with a reason" 1 "kind|kernel|program" \
	virsh -c "$LV" define "$TMP/lv.xml"
expect_run "$T: ... and the tenant is still kind qemu" 0 "kind: +qemu" "$A" info "$NAME"

start=$(date +%s)
expect_run "$T: start boots the domain" 0 "" "$A" start "$NAME"
check "$T: virsh -c $QEMU_URI lists the domain" \
	bash -c "virsh -c '$QEMU_URI' list --name | grep -qx '$NAME'"
check "$T: aivisor list shows it running" bash -c "'$A' list | grep -Eq '^$NAME +running'"
check "$T: virsh against aivisord's endpoint lists it too" \
	bash -c "virsh -c '$LV' list --all --name | grep -qx '$NAME'"
sock=$(ls "$AIVISOR_STATE_DIR"/qemu/ 2>/dev/null | grep -c "^$NAME.sock$")
check "$T: the bridge socket lies in a directory only QEMU's user may search" \
	bash -c "[ '$sock' = 1 ] && [ \"\$(stat -c '%a %U' '$AIVISOR_STATE_DIR/qemu')\" = '700 $(id -un libvirt-qemu 2>/dev/null || echo root)' ]"

check "$T: the job ends the domain and the daemon notices (within 180 s)" wait_until 180 state_is "$NAME" shutoff
echo "# guest run: $(( $(date +%s) - start )) s"
how="$(field "$NAME" last_exit) $(field "$NAME" exit_code)"
check "$T: recorded as '$how', want 'exit 0' (the job's code from the serial log)" test "$how" = "exit 0"
check "$T: the domain is undefined once it ended" \
	bash -c "! virsh -c '$QEMU_URI' list --all --name | grep -qx '$NAME'"
"$A" logs "$NAME" > "$TMP/logs.txt" 2>&1
acc=$(sed -n 's/^test: loss [0-9.]* accuracy \([0-9.]*\).*/\1/p' "$TMP/logs.txt" | tail -1)
check "$T: aivisor logs shows the guest's test accuracy $acc >= $MIN_ACC" \
	awk -v a="${acc:-0}" -v m="$MIN_ACC" 'BEGIN { exit !(a >= m) }'
check "$T: the guest's math ran on the daemon's vGPU server" \
	grep -q "detached after [1-9][0-9]* commands" "$AIVISOR_STATE_DIR/qemu/$NAME.bridge.log"

# A long job, so it is still running across the daemon restart.
sed -i 's|^job: .*|job: "/bin/busybox sleep 300"|' "$TMP/q.yaml"
expect_run "$T: redefined while stopped" 0 "$NAME" "$A" define "$TMP/q.yaml"
expect_run "$T: started again" 0 "" "$A" start "$NAME"
pid=$(field "$NAME" pid)
stop_daemon TERM
check "$T: the domain keeps running while the daemon is down" \
	bash -c "virsh -c '$QEMU_URI' list --name | grep -qx '$NAME' && kill -0 $pid"
run_daemon
check "$T: a restarted daemon re-attaches (running, same bridge pid $pid)" \
	bash -c "[ \"\$('$A' list | awk '\$1 == \"$NAME\" {print \$2, \$3}')\" = 'running $pid' ]"
grep -q "re-attached to bridge pid $pid" "$TMP/daemon.log" || notok "$T: re-attach logged" "$(tail -5 "$TMP/daemon.log")"
expect_run "$T: destroy" 0 "" "$A" destroy "$NAME"
check "$T: destroyed: shut off" bash -c "'$A' list --all | grep -Eq '^$NAME +shutoff'"
check "$T: destroyed: gone from libvirt" bash -c "! virsh -c '$QEMU_URI' list --all --name | grep -qx '$NAME'"
# Not our child after the restart: it may linger as a zombie of init.
check "$T: destroyed: its bridge ended" bash -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
# A graceful shutdown: the image ignores the ACPI button, so the domain is
# destroyed after the timeout; a user stop is a clean end (exit 0).
expect_run "$T: started again for a graceful shutdown" 0 "" "$A" start "$NAME"
expect_run "$T: shutdown --timeout 1" 0 "" "$A" shutdown "$NAME" --timeout 1
how="$(field "$NAME" state) $(field "$NAME" last_exit) $(field "$NAME" exit_code)"
check "$T: shut down: '$how', want 'shutoff exit 0'" test "$how" = "shutoff exit 0"
check "$T: shut down: gone from libvirt" bash -c "! virsh -c '$QEMU_URI' list --all --name | grep -qx '$NAME'"

# The bridge dies under a running guest: the domain is destroyed, and the
# end recorded with the bridge's status (restart: no, so it stays crashed).
expect_run "$T: started a third time" 0 "" "$A" start "$NAME"
pid=$(field "$NAME" pid)
kill -9 "$pid"
check "$T: a killed bridge is noticed (within 5 s): crashed" wait_until 5 state_is "$NAME" crashed
how="$(field "$NAME" last_exit) $(field "$NAME" exit_signal)"
check "$T: recorded as '$how', want 'signal 9' (the bridge's end)" test "$how" = "signal 9"
check "$T: its domain was destroyed and undefined" \
	bash -c "! virsh -c '$QEMU_URI' list --all --name | grep -qx '$NAME'"
expect_run "$T: undefine" 0 "" "$A" undefine "$NAME"
expect_run "$T: info of the undefined tenant: not found" 4 "no tenant" "$A" info "$NAME"

# Bad definitions: refused by the daemon/CLI with the reason.
bad() { # NAME WANT_REGEX YAML-LINES...
	local n=$1 re=$2; shift 2
	printf '%s\n' "name: bad-$$" "kind: qemu" "$@" > "$TMP/bad.yaml"
	expect_run "$T: $n" 5 "$re" "$A" define "$TMP/bad.yaml"
}
bad "a missing kernel image is named" "kernel: guest image $TMP/none/vmlinuz is missing.*make images" \
	"vgpu: {memory_mib: 64}" "kernel: $TMP/none/vmlinuz"
bad "a window that is not a power of two" "vgpu.memory_mib: 48.*power of two" "vgpu: {memory_mib: 48}"
bad "a program on a qemu tenant" "program: not used by kind qemu" "vgpu: {memory_mib: 64}" "program: /bin/true"
bad "a quote in the job" "job: may not contain" "vgpu: {memory_mib: 64}" "job: 'a \"b'"
printf '%s\n' "name: bad-$$" "program: /bin/true" "kernel: /boot/vmlinuz" > "$TMP/bad.yaml"
expect_run "$T: kernel on a microvm tenant" 5 "kernel: only for kind qemu" "$A" define "$TMP/bad.yaml"
printf '%s\n' "name: kc-$$" "memory_mib: 32" "program: $GUEST/ticker" > "$TMP/kc.yaml"
"$A" define "$TMP/kc.yaml" > /dev/null
printf '%s\n' "name: kc-$$" "kind: qemu" "vgpu: {memory_mib: 64}" > "$TMP/kc.yaml"
expect_run "$T: changing a tenant's kind is refused" 6 "is of kind microvm, not qemu" "$A" define "$TMP/kc.yaml"
# A failing job: the end is a crash with the job's code, restarted per policy.
cat > "$TMP/f.yaml" <<YAML
name: $NAME-f
kind: qemu
memory_mib: 128
vgpu: {memory_mib: 16}
job: "/bin/busybox false"
restart: on-failure
max_restarts: 1
YAML
"$A" create "$TMP/f.yaml" > "$TMP/f.out" 2>&1 || notok "$T: create a failing qemu tenant" "$(cat "$TMP/f.out")"
crashed_twice() { [ "$(field "$NAME-f" state) $(field "$NAME-f" restarts) $(field "$NAME-f" crashes)" = "crashed 1 2" ]; }
check "$T: a failing job is a crash, restarted once (max_restarts 1), then left crashed" wait_until 120 crashed_twice
how="$(field "$NAME-f" last_exit) $(field "$NAME-f" exit_code)"
check "$T: its end is recorded as '$how', want 'exit 1' (busybox false)" test "$how" = "exit 1"
check "$T: the crashed tenant's domain is undefined" \
	bash -c "! virsh -c '$QEMU_URI' list --all --name | grep -qx '$NAME-f'"
check "$T: the daemon is still up" kill -0 "$DPID"
stop_daemon TERM
