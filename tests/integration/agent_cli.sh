#!/bin/bash
# agent_cli.sh - aivisor-agent's answers to bad input (each a clear error
# naming the file and line where there is one, never a crash or garbage),
# divergence, and the serve verb.
. "$(dirname "$0")/../lib.sh"
AGENT=$GUEST/aivisor-agent
SOCK=$TMP/vgpu.sock
D=$ROOT/datasets

"$BIN/aivisor-vgpud" --socket "$SOCK" --threads 1 > "$TMP/vgpud.log" 2>&1 &
VGPUD=$!
trap 'kill $VGPUD 2>/dev/null; wait $VGPUD 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
export AIVISOR_VGPU=unix:$SOCK

printf 'a,b,label\n1,2,0\n3,1\n' > "$TMP/ragged.csv"
printf 'a,b,label\n1,2,0\n3,x,1\n' > "$TMP/text.csv"
: > "$TMP/empty.csv"
printf 'a,b,label\n1,2,0\n\n3,4,7\n' > "$TMP/range.csv"
t() { "$AGENT" train --model 2-4-3 "$@"; }
expect_run "ragged row names file and line" 1 "ragged.csv:3: ragged row: 2 fields, the header has 3" \
	t --data "$TMP/ragged.csv"
expect_run "non-numeric field names file, line and column" 1 "text.csv:3: non-numeric field 'x' in column 'b'" \
	t --data "$TMP/text.csv"
expect_run "empty file" 1 "empty.csv: empty file" t --data "$TMP/empty.csv"
expect_run "label out of range names the line" 1 "range.csv:4: label 7 out of range" \
	t --data "$TMP/range.csv"
expect_run "missing label column" 1 "no column named 'y'" t --data "$D/digits.csv" --label y
expect_run "missing data file" 1 "nope.csv: No such file" t --data "$TMP/nope.csv"
expect_run "impossible model spec" 2 "bad model spec '64-0-10'" \
	"$AGENT" train --data "$D/digits.csv" --model 64-0-10
expect_run "spec inputs must match the data" 1 "64 feature columns but --model takes 32 inputs" \
	"$AGENT" train --data "$D/digits.csv" --model 32-10
expect_run "unknown option" 2 "unknown option '--lrate'" \
	"$AGENT" train --data "$D/digits.csv" --model 64-10 --lrate 1
expect_run "bad number" 2 "--batch 0: want an integer" \
	"$AGENT" train --data "$D/digits.csv" --model 64-10 --batch 0
expect_run "unknown verb" 2 "unknown verb 'fly'" "$AGENT" fly
expect_run "divergence stops with a clear message" 1 "NaN or infinite" \
	"$AGENT" train --data "$D/diabetes.csv" --label target --model 10-16-1 --loss mse --lr 50 \
	--epochs 20 --quiet

"$AGENT" train --data "$D/digits.csv" --model 64-16-10 --lr 0.1 --epochs 3 --scale 1/16 --quiet \
	--save "$TMP/small.aim" > "$TMP/train.txt" 2>&1
check "a small model trains and saves" test -s "$TMP/small.aim"
for o in "momentum --lr 0.05" "adam --lr 0.005"; do
	"$AGENT" train --data "$D/digits.csv" --model 64-32-10 --activation tanh --optimizer $o \
		--epochs 5 --scale 1/16 --val-split 0.1 > "$TMP/opt.txt" 2>&1
	a=$(sed -n 's/^test: .*accuracy \([0-9.]*\).*/\1/p' "$TMP/opt.txt")
	check "--optimizer ${o%% *} --activation tanh learns digits (test accuracy $a > 0.9)" \
		awk -v a="$a" 'BEGIN { exit !(a != "" && a > 0.9) }'
done
check "--val-split prints validation metrics" grep -qE '^epoch 5/5 loss .* val_loss [0-9.]+ val_acc [0-9.]+ ' "$TMP/opt.txt"
head -4 "$D/digits.csv" > "$TMP/four.csv"
"$AGENT" predict --model "$TMP/small.aim" --data "$TMP/four.csv" --label label --proba > "$TMP/proba.txt" 2>&1
"$AGENT" predict --model "$TMP/small.aim" --data "$TMP/four.csv" --label label > "$TMP/class.txt" 2>&1
check "predict --proba: 10 probabilities per row summing to 1, largest at the predicted class" \
	awk -F, -v classes="$(tr '\n' ' ' < "$TMP/class.txt")" 'BEGIN { split(classes, c, " ") }
		{ s = 0; best = 1; for (i = 1; i <= NF; i++) { s += $i; if ($i > $best) best = i }
		  if (NF != 10 || s < 0.999 || s > 1.001 || best - 1 != c[NR]) bad = 1 }
		END { exit !(NR == 3 && !bad) }' "$TMP/proba.txt"
head -c 200 "$TMP/small.aim" > "$TMP/trunc.aim"
expect_run "truncated model file refused" 1 "trunc.aim: truncated model file" \
	"$AGENT" eval --model "$TMP/trunc.aim" --data "$D/digits.csv"
cp "$TMP/small.aim" "$TMP/flip.aim"
printf '\x55' | dd of="$TMP/flip.aim" bs=1 seek=500 conv=notrunc 2>/dev/null
expect_run "corrupt model file refused" 1 "flip.aim: corrupt model file: checksum mismatch" \
	"$AGENT" eval --model "$TMP/flip.aim" --data "$D/digits.csv"
expect_run "a model for another architecture is refused" 1 \
	"diabetes.csv has 10 feature columns but .*small.aim takes 64 inputs" \
	"$AGENT" eval --model "$TMP/small.aim" --data "$D/diabetes.csv" --label target
expect_run "not a model file" 1 "bad magic" "$AGENT" eval --model "$D/digits.csv" --data "$D/digits.csv"

expect_run "no vGPU server: a clear error" 1 "cannot open the vGPU \(AIVISOR_VGPU=unix:$TMP/none.sock\)" \
	env AIVISOR_VGPU=unix:$TMP/none.sock "$AGENT" train --data "$D/digits.csv" --model 64-10
if need_kvm "a microVM without a vGPU"; then
	expect_run "a microVM without a vGPU: a clear error" 1 "AIVISOR_VGPU is not set \(give the microVM a vGPU" \
		env -u AIVISOR_VGPU "$BIN/aivisor" run --share "$D:/data" "$AGENT" train --data /data/digits.csv --model 64-10
fi

# serve: answers each line, errors included, then latency percentiles.
{ sed -n '2,4p' "$D/digits.csv" | cut -d, -f1-64; echo "1,2,oops"; sed -n '5p' "$D/digits.csv" | cut -d, -f1-64; } |
	"$AGENT" serve --model "$TMP/small.aim" > "$TMP/serve.out" 2> "$TMP/serve.err"
check "serve answers one line per request" test "$(wc -l < "$TMP/serve.out")" = 5
check "serve answers a bad request with an error line" grep -q '^error: line 4: field 3 is not a number' "$TMP/serve.out"
check "serve predictions are classes" test "$(grep -cE '^[0-9]$' "$TMP/serve.out")" = 4
check "serve reports latency percentiles" grep -qE '^served 4 requests: latency p50 [0-9.]+ us, p90 .*p99' "$TMP/serve.err"
