#!/bin/bash
# Benchmarks of aivisor-vmm (run by `make bench`).  Each figure prints one
# "BENCH name value unit [baseline=..] [ratio=..]" line; baselines are
# measured side by side in this run (the same static program run natively)
# except the published Firecracker/Solo5 figures, printed as references.
# Machines shared with other work give noisy timings: minima and medians
# of several runs are reported.
set -u
cd "$(dirname "$0")/.."
VMM=build/bin/aivisor-vmm G=build/guest HB=build/bench/vmm-bench
for f in "$VMM" "$HB" "$G/hello" "$G/cpuloop" "$G/sysbench" "$G/sleepy"; do
	[ -x "$f" ] || { echo "bench/vmm.sh: $f missing (run make first)"; exit 1; }
done
[ -e /dev/kvm ] || { echo "bench/vmm.sh: /dev/kvm absent, skipped"; exit 0; }

val() { sed -n "s/^$1 //p" <<< "$2" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

echo "== aivisor-vmm benchmarks ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"

# 1. Cold start: fork+exec of the VMM to the guest's first output byte.
vm=$("$HB" coldstart 100 "$VMM" "$G/hello") || exit 1
nat=$("$HB" coldstart 100 "$G/hello") || exit 1
med=$(val coldstart_median_us "$vm") p99=$(val coldstart_p99_us "$vm") nmed=$(val coldstart_median_us "$nat")
printf '%-44s %10s ms  (p99 %s ms, min %s ms; native process %s ms)\n' "cold start to first guest output, median" \
	"$(ms "$med")" "$(ms "$p99")" "$(ms "$(val coldstart_min_us "$vm")")" "$(ms "$nmed")"
echo "BENCH vmm_coldstart_median $(ms "$med") ms baseline=$(ms "$nmed") ratio=$(ratio "$med" "$nmed")"
echo "BENCH vmm_coldstart_p99 $(ms "$p99") ms"
echo "BENCH vmm_coldstart_vs_firecracker $(ms "$med") ms baseline=125 ratio=$(ratio "$(ms "$med")" 125)"
echo "BENCH vmm_coldstart_vs_solo5 $(ms "$med") ms baseline=10 ratio=$(ratio "$(ms "$med")" 10)"

# 2. Memory: the VMM's resident memory outside guest RAM while a guest runs.
m=$("$HB" memory 64 "$VMM" --memory 64 "$G/sleepy" 0 2000) || exit 1
nm=$("$HB" memory -1 "$G/sleepy" 0 2000) || exit 1
rss=$(val vmm_rss_outside_guest_kib "$m") priv=$(val vmm_private_outside_guest_kib "$m")
printf '%-44s %10s KiB (private %s KiB; guest pages %s KiB; native process %s KiB)\n' \
	"VMM RSS outside guest RAM (64 MiB guest)" "$rss" "$priv" "$(val guest_rss_kib "$m")" \
	"$(val vmm_rss_outside_guest_kib "$nm")"
echo "BENCH vmm_memory_overhead_rss $rss KiB baseline=5120 ratio=$(ratio "$rss" 5120)"
echo "BENCH vmm_memory_overhead_private $priv KiB baseline=5120 ratio=$(ratio "$priv" 5120)"

# 3. CPU-bound loop: the same static binary in the guest and natively,
#    interleaved, best of 3 each (timed inside the program).
best_vm="" best_nat=""
for i in 1 2 3; do
	v=$(val cpuloop_ns "$("$VMM" "$G/cpuloop" 100000000)" | cut -d' ' -f1)
	n=$(val cpuloop_ns "$("$G/cpuloop" 100000000)" | cut -d' ' -f1)
	[ -z "$best_vm" ] || [ "$v" -lt "$best_vm" ] && best_vm=$v
	[ -z "$best_nat" ] || [ "$n" -lt "$best_nat" ] && best_nat=$n
done
printf '%-44s %10s ms  (native %s ms)\n' "CPU loop in guest, best of 3" "$((best_vm / 1000000))" "$((best_nat / 1000000))"
echo "BENCH vmm_cpu_loop $((best_vm / 1000000)) ms baseline=$((best_nat / 1000000)) ratio=$(ratio "$best_vm" "$best_nat")"

# 4. System calls: one emulated call (exit to the VMM), with and without
#    KVM_CAP_SYNC_REGS; clock_gettime through the vDSO and as a system call.
s=$("$VMM" "$G/sysbench" 3000) ns=$("$VMM" --no-sync-regs "$G/sysbench" 3000)
nv=$("$VMM" --no-vdso "$G/sysbench" 1000) nat=$("$G/sysbench" 100000)
sc=$(val getppid_ns "$s") scn=$(val getppid_ns "$ns") cg=$(val clock_gettime_ns "$s")
cgs=$(val clock_gettime_ns "$nv") ncg=$(val clock_gettime_ns "$nat") nsc=$(val getppid_ns "$nat")
printf '%-44s %10s us  (without sync regs %s us; native %s us)\n' "emulated syscall (getppid)" \
	"$(ms "$sc")" "$(ms "$scn")" "$(ms "$nsc")"
printf '%-44s %10s ns  (as a syscall %s us; native %s ns)\n' "clock_gettime via vDSO" "$cg" "$(ms "$cgs")" "$ncg"
echo "BENCH vmm_syscall $(ms "$sc") us baseline=$(ms "$scn") ratio=$(ratio "$sc" "$scn")"
echo "BENCH vmm_syscall_native_ratio $(ms "$sc") us baseline=$(ms "$nsc") ratio=$(ratio "$sc" "$nsc")"
echo "BENCH vmm_clock_gettime_vdso $cg ns baseline=$ncg ratio=$(ratio "$cg" "$ncg")"
echo "BENCH vmm_clock_gettime_syscall $(ms "$cgs") us baseline=$cg ratio=$(ratio "$cgs" "$cg")"
