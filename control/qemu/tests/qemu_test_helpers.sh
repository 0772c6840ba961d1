# qemu_test_helpers.sh - the set-up and clean-up that the QEMU integration
# tests (daemon_qemu.sh, qemu_vgpu.sh) and bench/qemu.sh share.  Source it
# after control/qemu/libvirtd-local.sh (it uses QEMU_URI and
# qemu_libvirt_up/down); qemu_test_ready also needs tests/lib.sh.
#
#   qemu_domains_gone DOM...  destroys and undefines each libvirt domain
#                             (quietly: most are already gone)
#   qemu_test_cleanup DOM...  that, then kills the caller's background
#                             processes (its array pids), waits for them,
#                             leaves libvirt (qemu_libvirt_down), removes $TMP
#   qemu_test_ready T         libvirt answers and the guest images are built,
#                             or reports skip / not ok for test T and exits;
#                             then lets QEMU's user pass through $TMP

qemu_domains_gone() {
	local d
	for d in "$@"; do
		virsh -c "$QEMU_URI" destroy "$d" >/dev/null 2>&1
		virsh -c "$QEMU_URI" undefine "$d" >/dev/null 2>&1
	done
}

qemu_test_cleanup() {
	local p
	qemu_domains_gone "$@"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	qemu_libvirt_down
	rm -rf "$TMP"
}

qemu_test_ready() {
	if ! qemu_libvirt_up; then
		skip "$1" "$QEMU_LIBVIRT_WHY"
		exit 0
	fi
	if ! make -C "$ROOT" -s images > "$TMP/images.log" 2>&1; then
		if grep -q "apt-get download\|cannot resolve" "$TMP/images.log"; then
			skip "$1" "no guest kernel: $(tail -1 "$TMP/images.log")"
			exit 0
		fi
		notok "$1: make images" "$(tail -5 "$TMP/images.log")"
		exit 1
	fi
	# QEMU runs as libvirt's QEMU user: it must reach sockets and files
	# under $TMP (the bridge's, the daemon's qemu directory).
	chmod 711 "$TMP"
}
