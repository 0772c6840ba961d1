#!/bin/bash
# Hostile guests (tests/hostile/): each attacks through one interface and
# must be refused or contained, with the host, the vGPU server and a
# neighbour tenant unaffected.
. "$(dirname "$0")/../lib.sh"
need_kvm "hostile guests" || exit 0
H=$GUEST

# 1. System-call escapes: processes, threads, host devices and kernel files
#    through a read-only share of the host's root, other users' secrets.
expect_run "hostile: escape attempts through system calls and shares are refused" 0 \
	'0 escape\(s\) not refused' "$BIN/aivisor" run --share /:/host --timeout 20 "$H/hostile-escape" /host

# 2. The vGPU window: malformed commands, ring index jumps, doorbell flood.
expect_run "hostile: vGPU attacks are refused and the window recovers" 0 \
	'recovered after reset.*0 attack\(s\) not refused' \
	bash -c "'$BIN/aivisor' run --vgpu-memory 16 --timeout 60 '$H/hostile-vgpu_attacker' | tr '\n' ' '"

# 3. A neighbour on the same vGPU server trains to the identical result
#    while an attacker hammers the server.
SOCK=$TMP/vgpu.sock
"$BIN/aivisor-vgpud" --socket "$SOCK" > "$TMP/vgpud.log" 2>&1 &
VGPUD=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
train() {
	"$BIN/aivisor" run --memory 256 --share "$ROOT/datasets:/data" --vgpu-socket "$SOCK" --vgpu-memory 32 \
		--timeout 120 "$GUEST/aivisor-agent" train --data /data/digits.csv --label label \
		--model 64-32-10 --epochs 4 --batch 32 --lr 0.1 --seed 7 --scale 1/16 2>&1 |
		sed -E 's/[0-9.]+ ms//g; s/in [0-9.]+ (ms|s)//g'
}
train > "$TMP/alone.txt"
"$BIN/aivisor" run --vgpu-memory 16 --vgpu-socket "$SOCK" --timeout 120 "$H/hostile-vgpu_attacker" forever \
	> "$TMP/attacker.txt" 2>&1 &
ATT=$!
sleep 0.5
train > "$TMP/beside.txt"
attacker_alive=0; kill -0 "$ATT" 2>/dev/null && attacker_alive=1
kill "$ATT" 2>/dev/null; wait "$ATT" 2>/dev/null
if grep -q 'test: .*accuracy' "$TMP/alone.txt" && [ "$attacker_alive" = 1 ] &&
   grep -q 'refused doorbell-flood' "$TMP/attacker.txt" && ! grep -q 'NOT refused' "$TMP/attacker.txt" &&
   diff -u "$TMP/alone.txt" "$TMP/beside.txt" > "$TMP/diff.txt"; then
	ok "hostile: neighbour's training result is identical with an attacker on the same vGPU server"
else
	notok "hostile: neighbour's training result is identical with an attacker on the same vGPU server" \
		"attacker alive=$attacker_alive; $(head -c 400 "$TMP/diff.txt" 2>/dev/null) $(tail -3 "$TMP/attacker.txt")"
fi
if kill -0 "$VGPUD" 2>/dev/null; then ok "hostile: vGPU server survives the attacker"; else notok "hostile: vGPU server survives the attacker"; fi
kill "$VGPUD" 2>/dev/null; wait "$VGPUD" 2>/dev/null

# 4. Console flood: output keeps to the console rate (default 4 MiB/s after
#    a 1 MiB burst, vmm/console_rate.c) and the VM is stopped on time.
start=$(date +%s%N)
"$BIN/aivisor" run --timeout 2 "$H/hostile-flood" 2>/dev/null | wc -c > "$TMP/flood.bytes"
rc=${PIPESTATUS[0]}
ms=$(( ($(date +%s%N) - start) / 1000000 ))
bytes=$(cat "$TMP/flood.bytes")
if [ "$rc" = 124 ] && [ "$ms" -lt 6000 ] && [ "$bytes" -gt $((1 << 20)) ] && [ "$bytes" -le $((12 << 20)) ]; then
	ok "hostile: a console flood keeps to the console rate and stops on --timeout ($bytes bytes in ${ms} ms)"
else
	notok "hostile: a console flood keeps to the console rate and stops on --timeout" "rc=$rc, $bytes bytes after ${ms} ms"
fi
"$BIN/aivisor" run --console-rate 1000 --timeout 2 "$H/hostile-flood" 2>/dev/null | wc -c > "$TMP/flood.bytes"
bytes=$(cat "$TMP/flood.bytes")
# 1 MiB burst, then 1000 B/s: the flood's 4 KiB writes add at most a few.
if [ "$bytes" -le $(( (1 << 20) + 4 * 4096 )) ]; then
	ok "hostile: --console-rate sets the rate ($bytes bytes in 2 s at 1000 B/s)"
else
	notok "hostile: --console-rate sets the rate" "$bytes bytes"
fi
