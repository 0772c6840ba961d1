#!/bin/sh
# mkinitramfs.sh OUT.cpio.gz INIT BUSYBOX [-p PROGRAM]... [-d DATA_FILE]...
#
# Builds the QEMU guest's initramfs: /init, /bin/busybox (its applets are
# linked at boot by `busybox --install`), the static programs under /bin
# (aivisor-agent, ivshmem-probe) and the data files under /data.  Reproducible: every entry gets the same mtime
# (SOURCE_DATE_EPOCH, default 0), owner root, a sorted order, and gzip
# stores no name or time, so the same inputs give the same bytes.
set -eu
out=$1 init=$2 busybox=$3
shift 3
epoch=${SOURCE_DATE_EPOCH:-0}
progs="" data=""
while [ $# -gt 0 ]; do
	case $1 in
	-p) progs="$progs $2" ;;
	-d) data="$data $2" ;;
	*) echo "mkinitramfs: unexpected argument $1" >&2; exit 2 ;;
	esac
	shift 2
done

# File names come from the build (no spaces), so word splitting is safe.
# shellcheck disable=SC2086
for f in "$init" "$busybox" $progs $data; do
	if [ ! -f "$f" ]; then
		echo "mkinitramfs: $f: no such file" >&2
		exit 1
	fi
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/aivisor-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/data" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp"
install -m 0755 "$init" "$stage/init"
install -m 0755 "$busybox" "$stage/bin/busybox"
for f in $progs; do
	install -m 0755 "$f" "$stage/bin/$(basename "$f")"
done
for f in $data; do
	install -m 0644 "$f" "$stage/data/$(basename "$f")"
done
chmod 0755 "$stage" "$stage/bin" "$stage/data" "$stage/proc" "$stage/sys" "$stage/dev"
chmod 1777 "$stage/tmp"
find "$stage" -exec touch -h -d "@$epoch" {} +

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --reproducible -R 0:0 --quiet) | gzip -n -9 > "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
