#!/bin/bash
# qemu_image.sh - the QEMU guest image (images/): reproducible bytes, the
# expected contents, static programs only (the image has no libc), and
# clear errors for missing inputs.  Booting it is qemu_vgpu.sh's job.
. "$(dirname "$0")/../lib.sh"
T=qemu-image
MK=$ROOT/images/mkinitramfs.sh
progs=(-p "$GUEST/aivisor-agent" -p "$GUEST/ivshmem-probe")
data=(-d "$ROOT/datasets/digits.csv")

if [ ! -x /bin/busybox ] || ! command -v cpio >/dev/null; then
	skip "$T" "busybox-static or cpio not installed (scripts/deps.txt)"
	exit 0
fi
"$MK" "$TMP/a.gz" "$ROOT/images/init" /bin/busybox "${progs[@]}" "${data[@]}"
sleep 1   # a different wall clock must not change the bytes
SOURCE_DATE_EPOCH=0 "$MK" "$TMP/b.gz" "$ROOT/images/init" /bin/busybox "${progs[@]}" "${data[@]}"
check "$T: the initramfs is byte-for-byte reproducible" cmp -s "$TMP/a.gz" "$TMP/b.gz"

zcat "$TMP/a.gz" | (cd "$TMP" && mkdir x && cd x && cpio -id --quiet 2>/dev/null)
for f in init bin/busybox bin/aivisor-agent bin/ivshmem-probe data/digits.csv; do
	[ -f "$TMP/x/$f" ] || missing="$missing $f"
done
check "$T: holds /init, busybox, aivisor-agent, ivshmem-probe and the data${missing:+ (missing:$missing)}" \
	test -z "$missing"
static_elf() { # a static ELF has no PT_INTERP program header
	! readelf -l "$1" 2>/dev/null | grep -q 'INTERP' && readelf -h "$1" >/dev/null 2>&1
}
check "$T: every program in the image is a static ELF" bash -c \
	"$(declare -f static_elf); static_elf '$TMP/x/bin/busybox' && static_elf '$TMP/x/bin/aivisor-agent' && static_elf '$TMP/x/bin/ivshmem-probe'"
check "$T: every entry has the fixed mtime and root owner" bash -c \
	"zcat '$TMP/a.gz' | cpio -itv --quiet 2>/dev/null | awk '\$3 != \"root\" || \$4 != \"root\" || \$8 != 1970 { bad = 1 } END { exit bad }'"
size=$(stat -c %s "$TMP/a.gz")
check "$T: the initramfs is small ($((size / 1024)) KiB < 4 MiB)" test "$size" -lt $((4 << 20))

expect_run "$T: a missing program is named" 1 'mkinitramfs: /nonexistent/agent: no such file' \
	"$MK" "$TMP/c.gz" "$ROOT/images/init" /bin/busybox -p /nonexistent/agent
check "$T: no half-written image is left behind" test ! -e "$TMP/c.gz"
expect_run "$T: a missing AIVISOR_KERNEL is named" 1 'AIVISOR_KERNEL=/nonexistent/bzImage: no such file' \
	env AIVISOR_KERNEL=/nonexistent/bzImage "$ROOT/images/fetch-kernel.sh" "$TMP/k/vmlinuz" "$TMP/deb"
