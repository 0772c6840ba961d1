#!/bin/bash
# Real virsh (Debian libvirt-clients 9.0.0) against the libvirt endpoint
# served by aivisor-lvtestd (the endpoint over an in-memory registry): every
# command of issue 7 with its output and exit code, read-only access, hostile
# clients, and an interactive session held idle for 65 s (kept by keepalive
# against a 10 s idle timeout).  The same endpoint against aivisord with real
# microVMs is tests/integration/virsh_aivisord.sh.
source "$(dirname "$0")/../lib.sh"

if ! command -v virsh > /dev/null; then
	skip "virsh protocol" "virsh is not installed (Debian package libvirt-clients)"
	exit 0
fi
SOCK=$TMP/lv-sock
U="aivisor+unix:///system?socket=$SOCK"
UR="aivisor+unix:///system?socket=$SOCK-ro"
V() { virsh -c "$U" "$@"; }
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "${IPID:-}" ] && kill "$IPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

"$BIN/aivisor-lvtestd" --socket "$SOCK" --ro-socket "$SOCK-ro" --idle-ms 10000 > "$TMP/d.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do [ -S "$SOCK-ro" ] && break; sleep 0.05; done
check "test server listens" test -S "$SOCK"

# An interactive session that stays idle 65 s runs alongside the rest.
mkfifo "$TMP/in"
virsh -c "$U" < "$TMP/in" > "$TMP/interactive.out" 2>&1 &
IPID=$!
exec 7> "$TMP/in"
echo "hostname" >&7

cat > "$TMP/t1.xml" <<XML
<domain type='aivisor'>
  <name>t1</name>
  <uuid>0a1b2c3d-0000-4000-8000-00000000a001</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu>2</vcpu>
  <cputune><shares>200</shares></cputune>
  <os><type arch='x86_64'>hvm</type><kernel>/opt/agent</kernel><cmdline>train --epochs 3 'two words'</cmdline></os>
  <metadata><aivisor:vgpu xmlns:aivisor="https://aivisor.dev/xmlns/1" class="high" weight="40" memory="64"/></metadata>
</domain>
XML

# lifecycle events, watched from the read-only socket while the rest runs
timeout 25 virsh -r -c "$UR" event --event lifecycle --loop > "$TMP/events.out" 2>&1 &
EVPID=$!
sleep 1

expect_run "define" 0 "Domain 't1' defined" V define "$TMP/t1.xml"
expect_run "list --all shows it shut off" 0 "t1 +shut off" V list --all
expect_run "list hides it" 0 "^ Id +Name +State" bash -c "virsh -c '$U' list | grep -v t1"
expect_run "dominfo" 0 "UUID: +0a1b2c3d-0000-4000-8000-00000000a001.*State: +shut off.*CPU\(s\): +2.*Max memory: +131072 KiB.*Persistent: +yes" \
	bash -c "virsh -c '$U' dominfo t1 | tr '\n' ' '"
expect_run "dumpxml keeps the vGPU slice and args" 0 "<shares>200</shares>.*class=\"high\" weight=\"40\" memory=\"64\".*<cmdline>train --epochs 3 'two words'</cmdline>" \
	bash -c "virsh -c '$U' dumpxml t1 | tr '\n' ' '"
V dumpxml t1 > "$TMP/dump.xml"
expect_run "dumpxml output defines again (round trip)" 0 "defined" V define "$TMP/dump.xml"
expect_run "domstate shut off" 0 "^shut off" V domstate t1
expect_run "start" 0 "Domain 't1' started" V start t1
expect_run "list shows it running with an id" 0 " [0-9]+ +t1 +running" V list
expect_run "domstate --reason" 0 "running \(booted\)" V domstate --reason t1
expect_run "dominfo by id" 0 "Name: +t1" bash -c "virsh -c '$U' dominfo \$(virsh -c '$U' domid t1)"
expect_run "dominfo by uuid" 0 "Name: +t1" V dominfo 0a1b2c3d-0000-4000-8000-00000000a001
expect_run "schedinfo" 0 "Scheduler +: posix.*cpu_shares +: 200.*vgpu_weight +: 40" bash -c "virsh -c '$U' schedinfo t1 | tr '\n' ' '"
expect_run "schedinfo --set cpu_shares --live" 0 "cpu_shares +: 300" V schedinfo t1 --set cpu_shares=300 --live
expect_run "schedinfo --set vgpu_weight --config" 0 "vgpu_weight +: 7" V schedinfo t1 --set vgpu_weight=7 --config
expect_run "--config value kept apart from live" 0 "cpu_shares +: 200.*vgpu_weight +: 7" bash -c "virsh -c '$U' schedinfo t1 --config | tr '\n' ' '"
expect_run "live value" 0 "cpu_shares +: 300.*vgpu_weight +: 40" bash -c "virsh -c '$U' schedinfo t1 --live | tr '\n' ' '"
expect_run "schedinfo --set out of range" 1 "cpu weight range" V schedinfo t1 --set cpu_shares=0 --config
expect_run "schedinfo --set unknown parameter" 1 "invalid scheduler option" V schedinfo t1 --set vcpu_quota=5
expect_run "start twice" 1 "already (running|active)" V start t1
expect_run "undefine while running is refused" 1 "shut it down first" V undefine t1
expect_run "shutdown" 0 "is being shutdown" V shutdown t1
expect_run "shut off after shutdown" 0 "^shut off" V domstate t1
expect_run "destroy a stopped tenant" 1 "not running" V destroy t1
V start t1 > /dev/null
expect_run "destroy" 0 "Domain 't1' destroyed" V destroy t1
expect_run "domstate --reason after destroy" 0 "shut off \(destroyed\)" V domstate --reason t1
expect_run "undefine" 0 "Domain 't1' has been undefined" V undefine t1
expect_run "gone" 1 "failed to get domain 't1'" V dominfo t1

sleep 1
kill "$EVPID" 2>/dev/null; wait "$EVPID" 2>/dev/null
expect_run "virsh event: lifecycle in order" 0 \
	"for domain 't1': Defined Added.*for domain 't1': Started Booted.*for domain 't1': Stopped Shutdown.*Started Booted.*Stopped Destroyed.*for domain 't1': Undefined Removed" \
	bash -c "tr '\n' ' ' < '$TMP/events.out'"

expect_run "version" 0 "Running hypervisor: aivisor 0.1.0" V version
expect_run "nodeinfo" 0 "CPU\(s\): +$(nproc).*Memory size: +[0-9]+ KiB" bash -c "virsh -c '$U' nodeinfo | tr '\n' ' '"
expect_run "hostname" 0 "^$(hostname)" V hostname
expect_run "capabilities" 0 "<domain type='aivisor'/>" V capabilities

printf '<domain type="qemu"><name>q</name><devices/></domain>' > "$TMP/bad.xml"
expect_run "define refuses foreign XML" 1 "must be 'aivisor'" V define "$TMP/bad.xml"
printf '<!DOCTYPE d [<!ENTITY a "aaaa">]><domain type="aivisor"><name>&a;</name></domain>' > "$TMP/ent.xml"
expect_run "define refuses entities" 1 "DOCTYPE" V define "$TMP/ent.xml"
{ printf "<domain type='aivisor'><!-- "; head -c 1500000 /dev/zero | tr '\0' x; printf " --><name>big</name></domain>"; } > "$TMP/huge.xml"
expect_run "define refuses a huge document" 1 "more than the 1048576 allowed" V define "$TMP/huge.xml"
expect_run "nothing half-defined" 0 "^ Id +Name +State[ -]*$" bash -c "virsh -c '$U' list --all | tr '\n' ' '"

# read-only socket (what `virsh -r` uses)
V define "$TMP/t1.xml" > /dev/null
expect_run "unsupported procedure answers no-support" 1 "not supported by the aivisor driver" V suspend t1
expect_run "read-only: list" 0 "t1 +shut off" virsh -r -c "$UR" list --all
expect_run "read-only: dominfo" 0 "Name: +t1" virsh -r -c "$UR" dominfo t1
expect_run "read-only: start refused" 1 "read only" virsh -r -c "$UR" start t1
expect_run "read-only: define refused" 1 "read only" virsh -r -c "$UR" define "$TMP/t1.xml"
expect_run "read-only: schedinfo --set refused" 1 "read only" virsh -r -c "$UR" schedinfo t1 --set cpu_shares=500 --config
expect_run "read-only: dumpxml --security-info refused" 1 "forbidden" virsh -r -c "$UR" dumpxml --security-info t1
expect_run "-r on the rw socket is read-only too" 1 "read only" virsh -r -c "$U" undefine t1

# hostile clients do not disturb the server
python3 - "$SOCK" <<'PY' > "$TMP/hostile.out" 2>&1
import socket, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); return s
silent = conn()
bad = conn(); bad.sendall(b"\xff\xff\xff\xff")
trunc = conn(); trunc.sendall(b"\x00\x00\x00\x40\x20\x00\x80\x86")
# a whole packet of the STREAM type: no client may send one to us
junk = conn(); junk.sendall(b"\x00\x00\x00\x1c\x20\x00\x80\x86\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x03" + bytes(8))
for s in (bad, junk):
    s.settimeout(3)
    try:
        while s.recv(4096): pass
        print("closed")
    except OSError as e:
        print("error", e)
trunc.close(); silent.close()
print("done")
PY
expect_run "malformed packets: those connections are closed" 0 "closed.closed.done" bash -c "tr '\n' '.' < '$TMP/hostile.out'"
expect_run "server still answers after hostile clients" 0 "t1" V list --all
check "server process still alive" kill -0 "$DPID"

# the plain URI: virsh finds /run/libvirt/virtaivisord-sock by itself
if [ -S /run/libvirt/virtaivisord-sock ]; then
	skip "virsh -c aivisor:///system" "a server (aivisord?) already owns /run/libvirt/virtaivisord-sock"
else
	"$BIN/aivisor-lvtestd" > "$TMP/default.log" 2>&1 &
	DEFPID=$!
	for _ in $(seq 100); do [ -S /run/libvirt/virtaivisord-sock-ro ] && break; sleep 0.05; done
	expect_run "virsh -c aivisor:///system (default socket)" 0 "^ Id +Name +State" virsh -c aivisor:///system list --all
	expect_run "virsh -r -c aivisor:///system (default read-only socket)" 0 "Running hypervisor: aivisor" virsh -r -c aivisor:///system version
	kill "$DEFPID"; wait "$DEFPID" 2>/dev/null
	check "default sockets removed on exit" test ! -e /run/libvirt/virtaivisord-sock
fi

# the interactive session: idle until 65 s after it opened, then used again
sleep_until=$(( $(stat -c %Y "$TMP/in") + ${VIRSH_IDLE_S:-65} ))
while [ "$(date +%s)" -lt "$sleep_until" ]; do sleep 1; done
echo "list --all" >&7
echo "quit" >&7
exec 7>&-
wait "$IPID"; irc=$?; IPID=
expect_run "interactive session idle 65 s stays connected" 0 "t1 +shut off" bash -c "cat '$TMP/interactive.out'; exit $irc"
check "no keepalive disconnect in the idle session" bash -c "! grep -qi 'disconnect\|keepalive\|error' '$TMP/interactive.out'"
