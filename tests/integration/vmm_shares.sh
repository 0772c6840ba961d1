#!/bin/bash
# aivisor-vmm --share: files visible only under shares; no escapes.
. "$(dirname "$0")/../lib.sh"
VMM=$BIN/aivisor-vmm
need_kvm "vmm shares" || exit 0

S=$TMP/share
mkdir -p "$S/sub" "$TMP/outside"
echo "hello share" > "$S/data.txt"
echo "TOPSECRET-CONTENT" > "$TMP/outside/secret.txt"
ln -s ../data.txt "$S/sub/inside-link"
ln -s "$TMP/outside/secret.txt" "$S/abs-escape"
ln -s ../../outside/secret.txt "$S/sub/rel-escape"
ln -s /proc/self/root/etc/passwd "$S/magic"
F=$GUEST/files

expect_run "vmm share read: content, fstat size, pread" 0 'ok cat /data/data.txt size=12 pread=ello' \
	"$VMM" --share "$S:/data" "$F" cat /data/data.txt
expect_run "vmm share relative path resolves from /" 0 'ok cat data/data.txt' "$VMM" --share "$S:/data" "$F" cat data/data.txt
expect_run "vmm share symlink inside the share works" 0 'ok cat /data/sub/inside-link size=12' \
	"$VMM" --share "$S:/data" "$F" cat /data/sub/inside-link
expect_run "vmm share default guest dir is the host path" 0 "ok cat $S/data.txt" "$VMM" --share "$S" "$F" cat "$S/data.txt"
expect_run "vmm share stat and private file mmap" 0 'ok mmap /data/data.txt first=hello share' \
	"$VMM" --share "$S:/data" "$F" stat /data/data.txt mmap /data/data.txt

expect_run "vmm share directory listing (getdents64)" 0 'ok ls /data: abs-escape data.txt magic sub' \
	"$VMM" --share "$S:/data" "$F" ls /data
expect_run "vmm share listing of an escaping path refused" 1 'error opendir /data/..: (Cross-device link|No such file)' \
	"$VMM" --share "$S:/data" "$F" ls /data/..

esc() { # NAME PATH REGEX
	expect_run "vmm share escape refused: $1" 1 "$3" "$VMM" --share "$S:/data" "$F" cat "$2"
}
esc "dot-dot" /data/../outside/secret.txt 'error open /data/../outside/secret.txt: (Cross-device link|No such file)'
esc "deep dot-dot" /data/sub/../../../../etc/passwd 'error open .*: (Cross-device link|No such file)'
esc "absolute symlink" /data/abs-escape 'error open /data/abs-escape: (Cross-device link|No such file)'
esc "relative symlink" /data/sub/rel-escape 'error open /data/sub/rel-escape: (Cross-device link|No such file)'
esc "magic link" /data/magic 'error open /data/magic: (Cross-device link|No such file|Too many levels)'
esc "path outside every share" /etc/passwd 'error open /etc/passwd: No such file'
esc "prefix that is not a component" /database/x 'error open /database/x: No such file'
out=$("$VMM" --share "$S:/data" "$F" cat /data/../outside/secret.txt cat /data/abs-escape 2>&1)
check "vmm share escapes never print the secret" test "${out/TOPSECRET-CONTENT/}" = "$out"

expect_run "vmm write to read-only share refused (EROFS)" 1 'error open /data/new.txt: Read-only file system' \
	"$VMM" --share "$S:/data" "$F" write /data/new.txt x
check "vmm read-only share left unchanged" test ! -e "$S/new.txt"
expect_run "vmm write to :rw share" 0 'ok cat /data/new.txt size=5 pread=ello' \
	"$VMM" --share "$S:/data:rw" "$F" write /data/new.txt hello cat /data/new.txt
check "vmm :rw share write reached the host file" test "$(cat "$S/new.txt" 2>/dev/null)" = hello
expect_run "vmm :rw share still confined" 1 'error open /data/../outside/x: (Cross-device link|No such file)' \
	"$VMM" --share "$S:/data:rw" "$F" write /data/../outside/x evil
check "vmm :rw escape created nothing outside" test ! -e "$TMP/outside/x"
mkdir -p "$TMP/two"; echo two > "$TMP/two/f"
expect_run "vmm two shares, longest prefix wins" 0 'ok cat /data/two/f size=4' \
	"$VMM" --share "$S:/data" --share "$TMP/two:/data/two" "$F" cat /data/two/f cat /data/data.txt
