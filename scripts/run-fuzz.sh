#!/bin/bash
# Runs every libFuzzer target in build/fuzz/ for SECONDS (default 60) on a
# copy of its seed corpus tests/fuzz/corpus/<target>/.  Prints one
# "ok - fuzz NAME: X execs, Y exec/s" line per target; a crash is a failure
# and its reproducer is kept in build/fuzz-crashes/.
set -u
cd "$(dirname "$0")/.."
secs=${1:-60}
rc=0
mkdir -p build/fuzz-crashes build/fuzz-work
for f in build/fuzz/*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	work=build/fuzz-work/$name
	rm -rf "$work"; mkdir -p "$work"
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
	out=build/fuzz-work/$name.log
	if "$f" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix=build/fuzz-crashes/"$name"- \
	   -rss_limit_mb=2048 -timeout=10 "$work" > "$out" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out")
		echo "ok - fuzz $name: ${execs:-?} execs, ${rate:-?} exec/s in ${secs}s"
		echo "BENCH fuzz_${name}_execs_per_sec ${rate:-0} exec/s"
		echo "BENCH fuzz_${name}_execs ${execs:-0} execs"
	else
		echo "not ok - fuzz $name: crash, see $out and build/fuzz-crashes/"
		tail -40 "$out"
		rc=1
	fi
done
exit $rc
