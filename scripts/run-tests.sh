#!/bin/bash
# Runs every test the build produced and prints one closing line:
#   N passed, N failed, N skipped
# Unit tests: build/test/* (cmocka, sanitized).  Integration tests:
# tests/integration/*.sh, which report through tests/lib.sh as
# "ok - NAME", "not ok - NAME" or "skip - NAME: REASON".  Fuzz smoke:
# every build/fuzz/* target for a few seconds on its seed corpus.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 skip=0
failed_names=()
log=build/test-logs
mkdir -p "$log"

count_tap() { # file
	local p f s
	p=$(grep -c '^ok - ' "$1"); f=$(grep -c '^not ok - ' "$1"); s=$(grep -c '^skip - ' "$1")
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	while IFS= read -r l; do failed_names+=("$l"); done < <(grep '^not ok - ' "$1")
}

only=${TESTS:-}   # optional filter: substring of a test file name
for t in build/test/*; do
	[ -x "$t" ] || continue
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	name=$(basename "$t")
	echo "== unit: $name"
	if "$t" > "$log/$name.log" 2>&1; then rc=0; else rc=$?; fi
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/$name.log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/$name.log" | awk '{s+=$1} END {print s+0}')
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log/$name.log" | awk '{s+=$1} END {print s+0}')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed before its summary
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	if [ "$f" != 0 ]; then failed_names+=("unit $name (see $log/$name.log)"); tail -30 "$log/$name.log"; fi
	echo "   $p passed, $f failed, $s skipped"
	[ "$s" != 0 ] && grep -E '^\[  SKIPPED \]|skip' "$log/$name.log" | grep -v '^\[  SKIPPED \] [0-9]' | head -3 | sed 's/^/   /'
done

for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	[ -n "$only" ] && [[ "$t" != *"$only"* ]] && continue
	name=$(basename "$t" .sh)
	echo "== integration: $name"
	start=$(date +%s)
	if bash "$t" > "$log/$name.log" 2>&1; then rc=0; else rc=$?; fi
	grep -E '^(ok|not ok|skip) - ' "$log/$name.log" | sed 's/^/   /'
	count_tap "$log/$name.log"
	if [ "$rc" != 0 ] && ! grep -q '^not ok - ' "$log/$name.log"; then
		fail=$((fail + 1)); failed_names+=("integration $name exited $rc"); tail -20 "$log/$name.log"
	fi
	echo "   ($(( $(date +%s) - start )) s)"
done

if [ -z "$only" ] || [[ "fuzz" == *"$only"* ]]; then
	echo "== fuzz smoke"
	if scripts/run-fuzz.sh "${FUZZ_SMOKE_SECONDS:-5}" > "$log/fuzz.log" 2>&1; then rc=0; else rc=$?; fi
	grep -E '^(ok|not ok|skip) - ' "$log/fuzz.log" | sed 's/^/   /'
	count_tap "$log/fuzz.log"
	[ "$rc" != 0 ] && ! grep -q '^not ok - ' "$log/fuzz.log" && { fail=$((fail + 1)); failed_names+=("fuzz runner exited $rc"); }
fi

echo
for n in "${failed_names[@]}"; do echo "FAILED: $n"; done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
