#!/bin/bash
# Runs every benchmark script in bench/*.sh in turn.  Each prints a table
# for people and one "BENCH name value unit [baseline=] [ratio=]" line per
# figure.
set -u
cd "$(dirname "$0")/.."
rc=0
for b in bench/*.sh; do
	[ -f "$b" ] || continue
	echo "=== $(basename "$b" .sh)"
	bash "$b" || { echo "bench $b failed"; rc=1; }
done
exit $rc
