#!/bin/bash
# agent_digits.sh - the digits recipe end to end with aivisor-agent:
# 80/20 stratified split (seed 42), pixels / 16, MLP 64-128-64-10 ReLU,
# SGD lr 0.1, batch 32, 20 epochs.  As a host process tenant and inside a
# microVM, test accuracy >= 94%; the saved model evaluates to the same
# accuracy after loading; predict prints one class per row; int8
# quantization loses at most 1 point and shrinks the file.
. "$(dirname "$0")/../lib.sh"
AGENT=$GUEST/aivisor-agent
SOCK=$TMP/vgpu.sock
RECIPE=(--label label --model 64-128-64-10 --activation relu --loss xent --optimizer sgd
	--lr 0.1 --batch 32 --epochs 20 --seed 42 --test-split 0.2 --scale 1/16)

"$BIN/aivisor-vgpud" --socket "$SOCK" --threads 1 > "$TMP/vgpud.log" 2>&1 &
VGPUD=$!
trap 'kill $VGPUD 2>/dev/null; wait $VGPUD 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
export AIVISOR_VGPU=unix:$SOCK

acc_of() { # WHAT FILE: the accuracy on the "WHAT: ..." line
	sed -n "s/^$1: .*accuracy \([0-9.]*\).*/\1/p" "$2" | head -1
}
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'; }

# Host process tenant.
"$AGENT" train --data "$ROOT/datasets/digits.csv" "${RECIPE[@]}" --save "$TMP/digits.aim" \
	> "$TMP/train.txt" 2>&1
acc=$(acc_of test "$TMP/train.txt")
if at_least "$acc" 0.94; then ok "digits recipe as a host process: test accuracy $acc >= 0.94"
else notok "digits recipe as a host process: test accuracy '$acc' >= 0.94" "$(tail -5 "$TMP/train.txt")"; fi
check "train prints one progress line per epoch" \
	test "$(grep -cE '^epoch [0-9]+/20 loss [0-9.]+ acc [0-9.]+ [0-9.]+ ms$' "$TMP/train.txt")" = 20

"$AGENT" eval --model "$TMP/digits.aim" --data "$ROOT/datasets/digits.csv" --test-split 0.2 \
	--seed 42 > "$TMP/eval.txt" 2>&1
check "a loaded model evaluates to the accuracy training reported" \
	test -n "$acc" -a "$(acc_of eval "$TMP/eval.txt")" = "$acc"

"$AGENT" predict --model "$TMP/digits.aim" --data "$ROOT/datasets/digits.csv" --label label \
	> "$TMP/pred.txt" 2>&1
right=$(paste -d, "$TMP/pred.txt" <(tail -n +2 "$ROOT/datasets/digits.csv" | awk -F, '{print $NF}') |
	awk -F, '$1 == $2 { n++ } END { print n + 0 }')
check "predict prints one class per row, mostly right ($right of 1797)" \
	test "$(wc -l < "$TMP/pred.txt")" = 1797 -a "$right" -ge 1690

"$AGENT" quantize --model "$TMP/digits.aim" --out "$TMP/digits-i8.aim" \
	--data "$ROOT/datasets/digits.csv" --test-split 0.2 --seed 42 > "$TMP/q.txt" 2>&1
f=$(sed -n 's/^float32: accuracy \([0-9.]*\).*/\1/p' "$TMP/q.txt")
q=$(sed -n 's/^int8: accuracy \([0-9.]*\).*/\1/p' "$TMP/q.txt")
fb=$(sed -n 's/^float32: .*, \([0-9]*\) bytes$/\1/p' "$TMP/q.txt")
qb=$(sed -n 's/^int8: .*, \([0-9]*\) bytes$/\1/p' "$TMP/q.txt")
if [ -n "$q" ] && at_least "$q" "$(awk -v f="$f" 'BEGIN { print f - 0.01 }')" && [ "$f" = "$acc" ]; then
	ok "int8 quantization: accuracy $f -> $q (at most 1 point lost)"
else notok "int8 quantization: accuracy '$f' -> '$q'" "$(cat "$TMP/q.txt")"; fi
check "int8 model file is under a third of the float one ($fb -> $qb bytes)" \
	test -n "$qb" -a -n "$fb" -a "$((qb * 3))" -lt "${fb:-0}"
"$AGENT" eval --model "$TMP/digits-i8.aim" --data "$ROOT/datasets/digits.csv" --test-split 0.2 \
	--seed 42 > "$TMP/eval-i8.txt" 2>&1
check "the saved int8 model evaluates to the accuracy quantize reported" \
	test -n "$q" -a "$(acc_of eval "$TMP/eval-i8.txt")" = "$q"

# Inside a microVM: train and save through a writable share, then serve.
if need_kvm "digits recipe inside a microVM"; then
	mkdir -p "$TMP/out"
	"$BIN/aivisor" run --share "$ROOT/datasets:/data" --share "$TMP/out:/out:rw" \
		--vgpu-socket "$SOCK" --vgpu-memory 64 \
		"$AGENT" train --data /data/digits.csv "${RECIPE[@]}" --save /out/vm.aim > "$TMP/vm.txt" 2>&1
	vacc=$(acc_of test "$TMP/vm.txt")
	if at_least "$vacc" 0.94; then ok "digits recipe inside a microVM: test accuracy $vacc >= 0.94"
	else notok "digits recipe inside a microVM: test accuracy '$vacc' >= 0.94" "$(tail -5 "$TMP/vm.txt")"; fi
	check "same seed, same accuracy in the microVM and on the host" test "$vacc" = "$acc"
	check "the model saved inside the microVM is the host's, byte for byte" \
		cmp -s "$TMP/out/vm.aim" "$TMP/digits.aim"

	sed -n '2,6p' "$ROOT/datasets/digits.csv" | cut -d, -f1-64 > "$TMP/rows.csv"
	"$BIN/aivisor" run --share "$TMP/out:/out" --vgpu-socket "$SOCK" --vgpu-memory 64 \
		"$AGENT" serve --model /out/vm.aim < "$TMP/rows.csv" > "$TMP/vm-serve.out" 2> "$TMP/vm-serve.err"
	{ printf 'h%s\n' "$(seq -s ,h 0 63)"; cat "$TMP/rows.csv"; } > "$TMP/rows-h.csv"
	"$AGENT" predict --model "$TMP/digits.aim" --data "$TMP/rows-h.csv" > "$TMP/host-pred.out" 2>&1
	check "serve inside a microVM answers as predict does on the host" \
		cmp -s "$TMP/vm-serve.out" "$TMP/host-pred.out"
	check "serve inside a microVM reports latency" grep -q '^served 5 requests' "$TMP/vm-serve.err"
fi
