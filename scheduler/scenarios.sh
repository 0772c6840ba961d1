# Scheduling scenarios on the real vGPU server, shared by
# tests/integration/sched_vgpu.sh and bench/sched.sh (sourced).  Needs BIN
# (build/bin), GUEST (build/guest) and TMP (a scratch directory).
# Tenants are microVMs (aivisor-vmm running build/guest/aivisor-vgpu-load,
# class and weight from --priority/--vgpu-weight); TENANTS=host runs the
# same load as host processes instead.
VLOAD=$BIN/aivisor-vgpu-load
VGPUD=$BIN/aivisor-vgpud
VMM=$BIN/aivisor-vmm
VSOCK=$TMP/vgpu.sock

# The programs the scenarios need, one per line, that are not built.
scenario_missing() {
	local f
	for f in "$VGPUD" "$VLOAD" "$VMM" "$GUEST/aivisor-vgpu-load"; do
		[ -x "$f" ] || echo "$f"
	done
}

# tenant NAME PRIO WEIGHT MODE ARGS...: runs aivisor-vgpu-load MODE as one
# tenant, in the foreground.
tenant() {
	local name=$1 prio=$2 weight=$3
	shift 3
	if [ "${TENANTS:-mvm}" = host ]; then
		"$VLOAD" "$@" --socket "$VSOCK" --name "$name" --prio "$prio" --weight "$weight"
	else
		"$VMM" --name "$name" --memory 128 --vgpu-memory 64 --vgpu-socket "$VSOCK" \
			--priority "$prio" --vgpu-weight "$weight" "$GUEST/aivisor-vgpu-load" "$@"
	fi
}

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
# SECONDS, each reporting its device time per 1 s window of the system-wide
# clock; their "share" lines go to OUT.  Returns non-zero when a tenant
# failed.
run_shares() {
	local secs=$1 out=$2 spec name prio weight pids=() rc=0
	shift 2
	: > "$out"
	for spec in "$@"; do
		IFS=: read -r name prio weight <<< "$spec"
		tenant "$name" "$prio" "$weight" gemm --name "$name" --n "${GEMM_N:-1024}" \
			--report-ms 1000 --seconds "$secs" > "$TMP/$name.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	for spec in "$@"; do
		grep '^share ' "$TMP/${spec%%:*}.out" >> "$out"
	done
	return $rc
}

# window_shares FILE: per window (ending on a whole second), the device's
# busy fraction and each tenant's share of the device time used:
#   <t_s> <busy fraction> <name>=<share> ...
# Each tenant measured its own window (busy ns / wall ns, read together),
# so a tenant that reports a little late does not skew the others.  The
# first window of each tenant starts at its first report (warm-up is the
# time before it); windows under 0.9 s (a partial last one) are left out.
window_shares() {
	awk '$1 == "share" && $5 >= 900000000 {
		t = $2; if (!(t in seen)) { seen[t] = 1; order[++n] = t }
		f = $4 / $5; tot[t] += f; line[t] = line[t] " " $3 "=" f
	}
	END {
		for (i = 1; i <= n; i++) {
			t = order[i]; printf "%s %.4f", t, tot[t]
			m = split(line[t], parts, " ")
			for (j = 1; j <= m; j++) {
				split(parts[j], kv, "="); printf " %s=%.4f", kv[1], kv[2] / tot[t]
			}
			printf "\n"
		}
	}' "$1"
}

# run_latency SECONDS INFER_PRIO: a batch-1 inference tenant (class
# INFER_PRIO, weight 100) next to two normal-class GEMM tenants (weight 100,
# N = GEMM_N_BIG) that saturate the vGPU in alternate 1 s phases.  Prints
# "<loaded p99> <quiet p99> <loaded p50> <quiet p50> <loaded rounds>
# <quiet rounds>" in us: loaded vs quiet, interleaved in one run, so the
# host's slow drifts cancel.  Each p99 is the median over the phases
# (rounds) of that phase's p99, so one noisy moment of the shared host
# spoils one round, not the figure.
run_latency() {
	local secs=$1 iprio=$2 pids=() n out
	for n in 1 2; do
		tenant "trainer$n" normal 100 gemm --n "${GEMM_N_BIG:-1024}" --batch 1 --inflight 2 \
			--duty-ms 1000 --seconds "$secs" > "$TMP/trainer$n.out" 2>&1 &
		pids+=($!)
	done
	out=$(tenant infer "$iprio" 100 infer --interval-us 500 --duty-ms 1000 --guard-ms 250 \
		--seconds "$secs")
	for n in "${pids[@]}"; do wait "$n"; done
	printf '%s\n' "$out" | awk '$1 == "loaded_round_p99_us" { lp = $3; lr = $9 }
		$1 == "quiet_round_p99_us" { qp = $3; qr = $9 }
		$1 == "loaded_lat_us" { l50 = $3 } $1 == "quiet_lat_us" { q50 = $3 }
		END { if (lr > 0 && qr > 0) print lp, qp, l50, q50, lr, qr }'
}

# check_shares_1_2_4 NAME: three saturating tenants with vGPU weights 1:2:4
# for 6 s; every 1 s window after the first (warm-up) in which all three
# ran must be within 2 points of 14.3 / 28.6 / 57.1%, at least 3 such.
# Reports through the caller's ok/notok; leaves the windows in
# $TMP/w124.w (lines "t busy w1=.. w2=.. w4=..") for figures.
check_shares_1_2_4() {
	local name=$1 bad
	if ! run_shares 6 "$TMP/w124" w1:normal:100 w2:normal:200 w4:normal:400; then
		notok "$name" "a tenant failed: $(cat "$TMP"/*.out | head -c 600)"
		return 1
	fi
	window_shares "$TMP/w124" | awk 'NF == 5' | tail -n +2 > "$TMP/w124.w"
	bad=$(awk '{
		for (i = 3; i <= NF; i++) {
			split($i, kv, "="); want = (kv[1] == "w1") ? 1/7 : (kv[1] == "w2") ? 2/7 : 4/7
			if (kv[2] < want - 0.02 || kv[2] > want + 0.02) print
		} }' "$TMP/w124.w")
	if [ "$(wc -l < "$TMP/w124.w")" -ge 3 ] && [ -z "$bad" ]; then
		ok "$name: $(awk '{printf "[%s] ", $0}' "$TMP/w124.w")"
	else
		notok "$name" "windows (t busy shares): $(cat "$TMP/w124.w")"
	fi
	return 0
}
