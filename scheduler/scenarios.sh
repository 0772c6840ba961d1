# Scheduling scenarios on the real vGPU server with host-process tenants,
# shared by tests/integration/sched_vgpu.sh and bench/sched.sh (sourced).
# Needs BIN (build/bin) and TMP (a scratch directory).
VLOAD=$BIN/aivisor-vgpu-load
VGPUD=$BIN/aivisor-vgpud
VSOCK=$TMP/vgpu.sock

# vgpud_start: runs the vGPU server on $VSOCK; returns 1 (with its log on
# stderr) when it does not answer within 10 s.
vgpud_start() {
	"$VGPUD" --socket "$VSOCK" "$@" > "$TMP/vgpud.log" 2>&1 &
	VGPUD_PID=$!
	for _ in $(seq 100); do
		[ -S "$VSOCK" ] && return 0
		kill -0 "$VGPUD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/vgpud.log" >&2
	return 1
}

vgpud_stop() {
	[ -n "${VGPUD_PID:-}" ] || return 0
	kill "$VGPUD_PID" 2>/dev/null
	wait "$VGPUD_PID" 2>/dev/null
	VGPUD_PID=
}

# run_shares SECONDS OUT NAME:PRIO:WEIGHT... : saturating GEMM tenants for
# SECONDS while the watcher writes 1 s windows to OUT.  Returns non-zero
# when a tenant failed.
run_shares() {
	local secs=$1 out=$2 spec name prio weight pids=() rc=0
	shift 2
	for spec in "$@"; do
		IFS=: read -r name prio weight <<< "$spec"
		"$VLOAD" gemm --socket "$VSOCK" --name "$name" --prio "$prio" --weight "$weight" \
			--n "${GEMM_N:-512}" --seconds "$secs" > "$TMP/$name.out" 2>&1 &
		pids+=($!)
	done
	"$VLOAD" watch --socket "$VSOCK" --interval-ms 1000 --seconds "$((secs - 1))" > "$out" || rc=1
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return $rc
}

# window_shares FILE: per window, each tenant's share of the busy device
# time, and the device's busy fraction of the window:
#   <t_s> <busy/wall> <name>=<share> ...
window_shares() {
	awk '$1 == "share" {
		t = $2; if (!(t in seen)) { seen[t] = 1; order[++n] = t }
		busy[t] += $4; wall[t] = $5; line[t] = line[t] " " $3 "=" $4
	}
	END {
		for (i = 1; i <= n; i++) {
			t = order[i]; printf "%s %.4f", t, busy[t] / wall[t]
			m = split(line[t], parts, " ")
			for (j = 1; j <= m; j++) {
				split(parts[j], kv, "="); printf " %s=%.4f", kv[1], kv[2] / busy[t]
			}
			printf "\n"
		}
	}' "$1"
}

# run_latency SECONDS INFER_PRIO: a batch-1 inference tenant (class
# INFER_PRIO, weight 100) next to two normal-class GEMM tenants (weight 100,
# N = GEMM_N_BIG) that saturate the vGPU in alternate 1 s phases.  Prints
# "<loaded p99> <quiet p99> <loaded p50> <quiet p50>" in us: loaded vs
# quiet, interleaved in one run, so the host's slow drifts cancel.
run_latency() {
	local secs=$1 iprio=$2 pids=() n out
	for n in 1 2; do
		"$VLOAD" gemm --socket "$VSOCK" --name "trainer$n" --prio normal --weight 100 \
			--n "${GEMM_N_BIG:-1024}" --inflight 2 --duty-ms 1000 --seconds "$secs" > "$TMP/trainer$n.out" 2>&1 &
		pids+=($!)
	done
	out=$("$VLOAD" infer --socket "$VSOCK" --name infer --prio "$iprio" --weight 100 \
		--interval-us 500 --duty-ms 1000 --guard-ms 250 --seconds "$secs")
	for n in "${pids[@]}"; do wait "$n"; done
	printf '%s\n' "$out" | awk '$1 == "loaded_lat_us" { lp = $5; l50 = $3 } $1 == "quiet_lat_us" { qp = $5; q50 = $3 }
		END { if (lp != "" && qp != "") print lp, qp, l50, q50 }'
}
