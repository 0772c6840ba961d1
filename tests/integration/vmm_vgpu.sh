#!/bin/bash
# aivisor-vmm --vgpu-*: a guest runs GEMM on the vGPU through the window
# mapped into its memory, the ioeventfd doorbell and AIVISOR_SYS_VGPU_WAIT.
. "$(dirname "$0")/../lib.sh"
VMM=$BIN/aivisor-vmm
need_kvm "vmm vgpu" || exit 0
if [ ! -x "$BIN/aivisor-vgpud" ] || [ ! -x "$GUEST/vgpu_gemm" ]; then
	skip "vmm vgpu" "aivisor-vgpud or the vgpu_gemm guest is not built"
	exit 0
fi

servers() { pgrep -fc '[a]ivisor-vgpud --socket /tmp/aivisor-vmm'; }
before=$(ls -d /tmp/aivisor-vmm.* 2>/dev/null | wc -l) before_srv=$(servers)
expect_run "vmm vgpu GEMM in a guest, private vGPU server" 0 'gemm ok 96x64x80 max_err=0, out-of-arena gemm refused' \
	"$VMM" --vgpu-memory 16 --timeout 60 "$GUEST/vgpu_gemm"
after=$(ls -d /tmp/aivisor-vmm.* 2>/dev/null | wc -l)
check "vmm vgpu private server cleaned up its socket directory" test "$after" = "$before"
check "vmm vgpu private server stopped with the VM" test "$(servers)" -le "$before_srv"

"$VMM" --vgpu-memory 8 "$GUEST/loop" > "$TMP/loop.out" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q spinning "$TMP/loop.out" && break; sleep 0.05; done
kill -TERM "$pid"; wait "$pid"; rc=$?
check "vmm vgpu SIGTERM: exit 143, private server and its directory gone" \
	test "$rc:$(servers):$(ls -d /tmp/aivisor-vmm.* 2>/dev/null | wc -l)" = "143:$before_srv:$before"

"$VMM" --vgpu-memory 8 "$GUEST/loop" > "$TMP/loop2.out" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q spinning "$TMP/loop2.out" && break; sleep 0.05; done
kill -KILL "$pid"; wait "$pid" 2>/dev/null
for _ in $(seq 40); do [ "$(servers)" -le "$before_srv" ] && break; sleep 0.05; done
check "vmm vgpu SIGKILL of the VMM: private server and directory gone too" \
	test "$(servers):$(ls -d /tmp/aivisor-vmm.* 2>/dev/null | wc -l)" = "$before_srv:$before"

SOCK=$TMP/vgpu.sock
"$BIN/aivisor-vgpud" --socket "$SOCK" --threads 1 2>/dev/null &
PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
expect_run "vmm vgpu GEMM through --vgpu-socket with priority and weight" 0 'gemm ok' \
	"$VMM" --vgpu-memory 16 --vgpu-socket "$SOCK" --priority high --vgpu-weight 300 --name gemm-vm \
	--timeout 60 "$GUEST/vgpu_gemm"
expect_run "vmm vgpu two VMs one after the other on the same server" 0 'gemm ok' \
	"$VMM" --vgpu-memory 8 --vgpu-socket "$SOCK" --priority low --timeout 60 "$GUEST/vgpu_gemm"
kill -TERM "$PID"; wait "$PID" 2>/dev/null

expect_run "vmm vgpu: the VMM's AIVISOR_VGPU wins over --env" 0 'gemm ok' \
	"$VMM" --vgpu-memory 8 --env AIVISOR_VGPU=unix:/nonexistent --timeout 60 "$GUEST/vgpu_gemm"
expect_run "vmm vgpu attach to a missing server fails before the VM starts" 1 'vGPU attach' \
	"$VMM" --vgpu-memory 16 --vgpu-socket "$TMP/nosuch.sock" "$GUEST/hello"
expect_run "vmm vgpu absent: the guest's vGPU wait gets ENODEV" 0 'all hostile calls refused' \
	"$VMM" "$GUEST/hostile" 64 < /dev/null
expect_run "vmm usage error: --vgpu-socket without --vgpu-memory" 2 'need --vgpu-memory' \
	"$VMM" --vgpu-socket "$SOCK" "$GUEST/hello"
expect_run "vmm usage error: --priority bogus" 2 'want high, normal or low' \
	"$VMM" --vgpu-memory 16 --priority bogus "$GUEST/hello"
expect_run "vmm usage error: --vgpu-weight 10001" 2 'want 1 to 10000' \
	"$VMM" --vgpu-memory 16 --vgpu-weight 10001 "$GUEST/hello"
expect_run "vmm usage error: --vgpu-memory 0" 2 'between 1 and 16384' \
	"$VMM" --vgpu-memory 0 "$GUEST/hello"
