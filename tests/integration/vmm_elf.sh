#!/bin/bash
# aivisor-vmm refuses bad ELF files before a VM starts (exit 1, clear error).
. "$(dirname "$0")/../lib.sh"
VMM=$BIN/aivisor-vmm
need_kvm "vmm elf" || exit 0

H=$GUEST/hello
# patch FILE OFFSET BYTES...: overwrite bytes (given in hex) at OFFSET.
patch() {
	local f=$1 off=$2; shift 2
	local b s=""
	for b in "$@"; do s+="\\x$b"; done
	printf "$s" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
le64() { # VALUE: 8 little-endian hex bytes
	local v=$1 i out=()
	for i in 0 1 2 3 4 5 6 7; do out+=("$(printf '%02x' $(( (v >> (8 * i)) & 255 )))"); done
	echo "${out[@]}"
}
u32at() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
u64at() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
# Offsets of the PT_LOAD program headers of hello.
phoff=$(u64at "$H" 32)
phnum=$(od -An -tu2 -j 56 -N2 "$H" | tr -d ' ')
loads=()
for ((i = 0; i < phnum; i++)); do
	o=$((phoff + 56 * i))
	[ "$(u32at "$H" "$o")" = 1 ] && loads+=("$o")
done
check "vmm elf: test binary has two or more PT_LOADs" test "${#loads[@]}" -ge 2

bad() { # NAME FILE REGEX
	expect_run "vmm refuses bad ELF: $1" 1 "bad ELF: .*($3)" "$VMM" "$2"
}
head -c 40 "$H" > "$TMP/trunc-header"; bad "truncated header" "$TMP/trunc-header" 'truncated ELF header'
head -c 1000 "$H" > "$TMP/trunc"; bad "truncated segments" "$TMP/trunc" 'outside the file'
echo "#!/bin/sh" > "$TMP/text"; bad "not ELF" "$TMP/text" 'truncated|not an ELF'
head -c 4096 /dev/urandom > "$TMP/random"; bad "random bytes" "$TMP/random" 'not an ELF'
cp "$H" "$TMP/arm"; patch "$TMP/arm" 18 b7 00; bad "wrong machine" "$TMP/arm" 'wrong machine 183'
cp "$H" "$TMP/c32"; patch "$TMP/c32" 4 01; bad "32-bit class" "$TMP/c32" 'not a 64-bit'
cp "$H" "$TMP/phnum"; patch "$TMP/phnum" 56 ff ff; bad "huge phnum" "$TMP/phnum" 'bad program header count'
cp "$H" "$TMP/phoff"; patch "$TMP/phoff" 32 $(le64 $((0x7ffffffffffffff0))); bad "phoff beyond file" "$TMP/phoff" 'outside the file'
first=${loads[0]} second=${loads[1]}
vaddr0=$(u64at "$H" $((first + 16)))
cp "$H" "$TMP/overlap"; patch "$TMP/overlap" $((second + 16)) $(le64 "$vaddr0"); bad "overlapping segments" "$TMP/overlap" 'overlap'
cp "$H" "$TMP/far"; patch "$TMP/far" $((second + 16)) $(le64 $((1 << 33))); bad "segment outside guest memory" "$TMP/far" 'outside guest memory'
cp "$H" "$TMP/low"; patch "$TMP/low" $((first + 16)) $(le64 $((0x1000))); bad "segment in the VMM's boot area" "$TMP/low" 'below 0x200000'
cp "$H" "$TMP/huge"; patch "$TMP/huge" $((second + 40)) $(le64 $((0x7fffffffffff0000))); bad "huge memsz" "$TMP/huge" 'outside guest memory'
cp "$H" "$TMP/wrap"; patch "$TMP/wrap" $((second + 16)) $(le64 -4096); bad "address wrapping around" "$TMP/wrap" 'outside guest memory|overflows'
cp "$H" "$TMP/filesz"; patch "$TMP/filesz" $((second + 32)) $(le64 $((1 << 40))); bad "filesz beyond file" "$TMP/filesz" 'exceeds memory size|outside the file'
cp "$H" "$TMP/entry"; patch "$TMP/entry" 24 $(le64 $((0x10))); bad "entry outside segments" "$TMP/entry" 'entry point'
out=$("$VMM" "$TMP/overlap" 2>&1)
check "vmm bad ELF: no guest output, one-line error" test "$(printf '%s\n' "$out" | wc -l)" = 1
