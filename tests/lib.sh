# Shared helpers for integration tests (sourced).  Each check prints one
# line the runner counts: "ok - NAME", "not ok - NAME", "skip - NAME: WHY".
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/build/bin
GUEST=$ROOT/build/guest
TMP=$(mktemp -d /tmp/aivisor-test.XXXXXX)
# VMs drop to an unprivileged user once set up (security/): test shares
# live under TMP, so that user must be able to search it.
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT

ok()   { echo "ok - $1"; }
notok(){ echo "not ok - $1"; [ $# -gt 1 ] && printf '    %s\n' "$2"; return 0; }
skip() { echo "skip - $1: $2"; }

# check NAME COND-COMMAND...: ok if the command succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else notok "$n"; fi; }

# expect_run NAME WANT_RC WANT_REGEX CMD...: runs CMD, captures stdout+stderr,
# checks its exit code and that its output matches the extended regex.
expect_run() {
	local n=$1 want_rc=$2 re=$3; shift 3
	local out rc
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want_rc" ] && printf '%s' "$out" | grep -Eq -- "$re"; then
		ok "$n"
	else
		notok "$n" "exit $rc (want $want_rc), output: $(printf '%s' "$out" | head -c 600)"
	fi
}

need_kvm() { # NAME: prints skip and returns 1 when /dev/kvm is truly absent
	if [ ! -e /dev/kvm ]; then skip "$1" "/dev/kvm is absent on this host"; return 1; fi
	return 0
}
