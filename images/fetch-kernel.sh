#!/bin/sh
# fetch-kernel.sh OUT_VMLINUZ DEB_DIR
#
# Puts Debian's stock x86-64 kernel at OUT_VMLINUZ without installing a
# kernel on the host: resolves the linux-image-amd64 meta package to the
# versioned package it depends on, downloads that .deb once into DEB_DIR
# with `apt-get download` (kept as a cache; delete it to pick up a newer
# kernel) and extracts only boot/vmlinuz-* from it.
#
# Overrides: AIVISOR_KERNEL=/path/to/bzImage uses that file instead;
# AIVISOR_KERNEL_PKG=linux-image-6.1.0-NN-amd64 pins the package.
set -eu
out=$1
debdir=$2
mkdir -p "$(dirname "$out")"

if [ -n "${AIVISOR_KERNEL:-}" ]; then
	if [ ! -f "$AIVISOR_KERNEL" ]; then
		echo "images: AIVISOR_KERNEL=$AIVISOR_KERNEL: no such file" >&2
		exit 1
	fi
	cp "$AIVISOR_KERNEL" "$out.tmp.$$"
	mv "$out.tmp.$$" "$out"
	exit 0
fi

pkg=${AIVISOR_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	# A kernel already downloaded wins over asking apt again, so an offline
	# rebuild works and the image does not change under our feet.
	deb=$(ls "$debdir"/linux-image-*-amd64_*.deb 2>/dev/null | LC_ALL=C sort | tail -n 1 || true)
	if [ -n "$deb" ]; then
		pkg=$(basename "$deb" | sed 's/_.*//')
	else
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	fi
fi
if [ -z "$pkg" ]; then
	echo "images: cannot resolve linux-image-amd64 to a kernel package (run apt-get update, or set AIVISOR_KERNEL)" >&2
	exit 1
fi

deb=$(ls "$debdir"/"$pkg"_*.deb 2>/dev/null | LC_ALL=C sort | tail -n 1 || true)
if [ -z "$deb" ]; then
	mkdir -p "$debdir"
	if ! (cd "$debdir" && apt-get download -q "$pkg" >/dev/null 2>"$pkg.err"); then
		echo "images: apt-get download $pkg failed: $(cat "$debdir/$pkg.err")" >&2
		exit 1
	fi
	rm -f "$debdir/$pkg.err"
	deb=$(ls "$debdir"/"$pkg"_*.deb | LC_ALL=C sort | tail -n 1)
fi

version=${pkg#linux-image-}
if ! dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./boot/vmlinuz-$version" > "$out.tmp.$$"; then
	rm -f "$out.tmp.$$"
	echo "images: $deb holds no ./boot/vmlinuz-$version" >&2
	exit 1
fi
if [ ! -s "$out.tmp.$$" ]; then
	rm -f "$out.tmp.$$"
	echo "images: extracted kernel from $deb is empty" >&2
	exit 1
fi
mv "$out.tmp.$$" "$out"
echo "$pkg $(basename "$deb")" > "$(dirname "$out")/kernel-package"
