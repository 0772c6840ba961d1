#!/bin/bash
# bench/qemu.sh - a QEMU/libvirt Linux guest on the vGPU through ivshmem:
#   - sgemm N=1024 from inside the guest (ivshmem-probe: raw ring, one
#     doorbell per batch) vs the same sgemm natively on the host with
#     OpenBLAS, same thread count (vGPU server --threads T = OPENBLAS_NUM_THREADS=T);
#   - boot of the image through libvirt to the agent's first output, vs the
#     same guest started by plain qemu-system-x86_64 (no libvirt);
#   - 10 digits epochs inside the guest vs a host-process tenant, both on
#     the same vGPU server.
# TCG here (no VMX/SVM): guest CPU work is emulated, vGPU work is native.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
. "$ROOT/control/qemu/libvirtd-local.sh"
. "$ROOT/control/qemu/tests/qemu_test_helpers.sh"
TMP=$(mktemp -d /tmp/aivisor-bench-qemu.XXXXXX)
chmod 711 "$TMP"
DOM=aivisor-bench-$$
N=1024 ITERS=${QEMU_BENCH_ITERS:-20}
KERNEL=$ROOT/build/images/vmlinuz
INITRD=$ROOT/build/images/initramfs.cpio.gz
TRAIN="--model 64-128-64-10 --epochs 10 --lr 0.1 --batch 32 --test-split 0.2 --seed 42 --scale 1/16"
pids=()
trap 'qemu_test_cleanup "$DOM"' EXIT

if ! qemu_libvirt_up; then
	echo "qemu bench skipped: $QEMU_LIBVIRT_WHY"
	exit 0
fi
make -C "$ROOT" -s images build/bench/qemu-sgemm-native >/dev/null || { echo "qemu bench: build failed"; exit 1; }

start_server() { # THREADS
	"$BIN/aivisor-vgpud" --socket "$TMP/vgpu.sock" --threads "$1" > "$TMP/vgpud.log" 2>&1 &
	server=$!
	pids+=($server)
	for _ in $(seq 50); do [ -S "$TMP/vgpu.sock" ] && return 0; sleep 0.1; done
	echo "qemu bench: vGPU server did not start"; exit 1
}
stop_server() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; }
gflops_of() { sed -n 's/^sgemm .* gflops=\([0-9.]*\).*/\1/p' "$1" | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
guest_run() { # JOB SERIAL
	"$BIN/aivisor-qemu" run --name "$DOM" --kernel "$KERNEL" --initrd "$INITRD" --job "$1" \
		--vgpu-socket "$TMP/t.sock" --vgpu-memory-mib 64 --bridge "$BIN/aivisor-ivshmem" \
		--vgpu-server "$TMP/vgpu.sock" --serial-log "$2" --timeout 300 >/dev/null 2>&1
}

echo "domain type: $(grep -o "type='[a-z]*'" <("$BIN/aivisor-qemu" xml --name x --kernel "$KERNEL" --initrd "$INITRD") | head -1)"
printf '%-34s %14s %14s %8s\n' "figure" "QEMU guest" "baseline" "ratio"
lines=()
for t in 1 2; do
	start_server "$t"
	OPENBLAS_NUM_THREADS=$t "$ROOT/build/bench/qemu-sgemm-native" $N "$ITERS" > "$TMP/native.$t" 2>&1
	guest_run "/bin/ivshmem-probe sgemm $N $ITERS" "$TMP/guest.$t.serial"
	stop_server
	g=$(gflops_of "$TMP/guest.$t.serial") n=$(gflops_of "$TMP/native.$t")
	printf '%-34s %14s %14s %8s\n' "sgemm N=$N, $t thread(s), GFLOP/s" "${g:-failed}" "${n:-failed}" "$(ratio "${g:-0}" "${n:-0}")"
	[ -n "$g" ] && lines+=("BENCH qemu_guest_sgemm${N}_t$t $g GFLOP/s baseline=${n:-0} ratio=$(ratio "$g" "${n:-0}")")
done

# Boot to the agent's first output: libvirt, then plain QEMU on the same bridge.
start_server 1
first_output_ms() { # SERIAL START_NS -> ms until the agent's first line
	for _ in $(seq 6000); do
		if grep -q '^epoch 1/' "$1" 2>/dev/null; then
			echo $(( ($(date +%s%N) - $2) / 1000000 ))
			return 0
		fi
		sleep 0.01
	done
	echo ""
}
"$BIN/aivisor-ivshmem" --socket "$TMP/b.sock" --memory-mib 64 --vgpu-socket "$TMP/vgpu.sock" \
	--socket-owner "$(id -u libvirt-qemu 2>/dev/null || echo 0):$(id -g libvirt-qemu 2>/dev/null || echo 0)" \
	> "$TMP/bridge.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do grep -q '^ready' "$TMP/bridge.out" 2>/dev/null && break; sleep 0.1; done
"$BIN/aivisor-qemu" define --name "$DOM" --kernel "$KERNEL" --initrd "$INITRD" \
	--job "train --data digits.csv $TRAIN" --vgpu-socket "$TMP/b.sock" --vgpu-memory-mib 64 \
	--serial-log "$TMP/boot.serial" >/dev/null
t0=$(date +%s%N)
"$BIN/aivisor-qemu" start "$DOM"
boot_lv=$(first_output_ms "$TMP/boot.serial" "$t0")
for _ in $(seq 600); do [ "$("$BIN/aivisor-qemu" state "$DOM")" = "shut off" ] && break; sleep 0.1; done
"$BIN/aivisor-qemu" undefine "$DOM"

t0=$(date +%s%N)
timeout 300 qemu-system-x86_64 -accel tcg -machine pc -m 256 -nodefaults -nographic -no-reboot \
	-serial "file:$TMP/direct.serial" -kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 quiet panic=-1 aivisor.job=\"train --data digits.csv $TRAIN\"" \
	-chardev "socket,path=$TMP/b.sock,id=vgpu" -device ivshmem-doorbell,chardev=vgpu,vectors=1 \
	>/dev/null 2>&1 &
qpid=$!
boot_direct=$(first_output_ms "$TMP/direct.serial" "$t0")
wait "$qpid"
printf '%-34s %14s %14s %8s\n' "boot to agent output, ms" "${boot_lv:-failed}" "${boot_direct:-failed}" \
	"$(ratio "${boot_lv:-0}" "${boot_direct:-0}")"
[ -n "$boot_lv" ] && lines+=("BENCH qemu_boot_to_agent_output $boot_lv ms baseline=${boot_direct:-0} ratio=$(ratio "$boot_lv" "${boot_direct:-0}")")

# Training: in the guest (libvirt run above) vs a host-process tenant.
AIVISOR_VGPU=unix:$TMP/vgpu.sock "$ROOT/build/guest/aivisor-agent" train \
	--data "$ROOT/datasets/digits.csv" $TRAIN > "$TMP/host.train" 2>&1
train_ms() { sed -n 's/^trained [0-9]* epochs in \([0-9.]*\) ms.*/\1/p' "$1" | tail -1; }
tg=$(train_ms "$TMP/boot.serial") th=$(train_ms "$TMP/host.train")
printf '%-34s %14s %14s %8s\n' "10 digits epochs, ms" "${tg:-failed}" "${th:-failed}" "$(ratio "${tg:-0}" "${th:-0}")"
[ -n "$tg" ] && lines+=("BENCH qemu_guest_train10_digits $tg ms baseline=${th:-0} ratio=$(ratio "$tg" "${th:-0}")")
stop_server

echo "(baselines: native OpenBLAS in a host process; plain qemu-system-x86_64; a host-process vGPU tenant)"
for l in "${lines[@]}"; do echo "$l"; done
