#!/bin/bash
# Real virsh against aivisord itself (issue 7's end-to-end case): a tenant
# running a real microVM goes define -> start -> schedinfo --set -> shutdown
# -> undefine through virsh, and the aivisor CLI and virsh see one registry
# both ways.  aivisord serves the endpoint on the sockets given by
# --libvirt-socket / --libvirt-ro-socket (docs/LIBVIRT.md).
source "$(dirname "$0")/../lib.sh"
source "$ROOT/control/tests/daemon_helpers.sh"

if ! command -v virsh > /dev/null; then
	skip "virsh against aivisord" "virsh is not installed (Debian package libvirt-clients)"
	exit 0
fi
if ! "$BIN/aivisord" --help 2>&1 | grep -q -- --libvirt-socket; then
	skip "virsh against aivisord" "this aivisord does not serve libvirt yet (it must call lv_endpoint_start, docs/LIBVIRT.md)"
	exit 0
fi
need_kvm "virsh against aivisord" || exit 0

SOCK=$TMP/lv-sock
U="aivisor+unix:///system?socket=$SOCK"
V() { virsh -c "$U" "$@"; }
# start_daemon passes --no-libvirt (other tests must not take the default
# sockets); this one starts aivisord with the endpoint on test sockets.
"$BIN/aivisord" --no-vgpud --log-level debug --libvirt-socket "$SOCK" --libvirt-ro-socket "$SOCK-ro" >> "$TMP/daemon.log" 2>&1 &
DPID=$!
check "daemon starts" wait_until 5 bash -c "'$A' list > /dev/null 2>&1"
check "libvirt socket is up" wait_until 5 test -S "$SOCK"
[ -S "$SOCK" ] || { tail -20 "$TMP/daemon.log"; exit 1; }

cat > "$TMP/vm1.xml" <<XML
<domain type='aivisor'>
  <name>vm1</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <cputune><shares>100</shares></cputune>
  <os><type arch='x86_64'>hvm</type><kernel>$GUEST/ticker</kernel><cmdline>0 100</cmdline></os>
  <metadata><aivisor:vgpu xmlns:aivisor="https://aivisor.dev/xmlns/1" class="normal" weight="100" memory="0"/></metadata>
</domain>
XML

expect_run "virsh define" 0 "Domain 'vm1' defined" V define "$TMP/vm1.xml"
expect_run "aivisor CLI sees the virsh tenant" 0 "vm1 +shutoff" "$A" list --all
expect_run "virsh start runs a microVM" 0 "Domain 'vm1' started" V start vm1
pid=$(field vm1 pid)
check "VMM process runs" kill -0 "$pid"
expect_run "virsh id is the VMM pid" 0 "^$pid\$" V domid vm1
check "guest output reaches the log" wait_until 5 bash -c "'$A' logs vm1 | grep -q 'tick 2'"
expect_run "virsh list shows it running" 0 " $pid +vm1 +running" V list
expect_run "dominfo running" 0 "State: +running.*CPU\(s\): +1" bash -c "virsh -c '$U' dominfo vm1 | tr '\n' ' '"
expect_run "schedinfo --set cpu_shares --live" 0 "cpu_shares +: 300" V schedinfo vm1 --set cpu_shares=300 --live
check "the daemon applied the cpu weight" test "$(field vm1 cpu_weight)" = 300
expect_run "schedinfo --set vgpu_weight --config" 0 "vgpu_weight +: 7" V schedinfo vm1 --set vgpu_weight=7 --config
check "the daemon stored the vGPU weight" test "$(field vm1 vgpu_weight)" = 7
expect_run "virsh shutdown" 0 "is being shutdown" V shutdown vm1
check "tenant stops" wait_until 15 bash -c "virsh -c '$U' domstate vm1 | grep -q 'shut off'"
check "VMM process is gone" bash -c "st=\$(ps -o stat= -p $pid); [ -z \"\$st\" ] || [[ \$st == Z* ]]"
expect_run "virsh undefine" 0 "has been undefined" V undefine vm1
expect_run "gone from the CLI too" 0 "^NAME" bash -c "'$A' list --all | grep -v vm1"

cfg=$(ticker_yaml cli1 no 0 0 100)
"$A" define "$cfg" > /dev/null
expect_run "CLI tenant listed by virsh" 0 "- +cli1 +shut off" V list --all
"$A" start cli1 > /dev/null
expect_run "CLI-started tenant running in virsh" 0 " $(field cli1 pid) +cli1 +running" V list
expect_run "dumpxml of a CLI tenant" 0 "<kernel>$GUEST/ticker</kernel>" V dumpxml cli1
expect_run "virsh destroy" 0 "destroyed" V destroy cli1
expect_run "read-only socket refuses undefine" 1 "read only" virsh -r -c "aivisor+unix:///system?socket=$SOCK-ro" undefine cli1
"$A" undefine cli1 > /dev/null
stop_daemon TERM
check "libvirt sockets removed at daemon exit" test ! -e "$SOCK"
