# libvirtd-local.sh - sourced by the QEMU tests and benchmark: makes sure a
# system libvirtd (and its virtlogd) answers on qemu:///system, starting
# them by hand where no service manager does (docs/QEMU.md), and stops on
# exit only what it started.
#
#   qemu_libvirt_up      0 when libvirt answers (started if needed), else 1
#                        with the reason in QEMU_LIBVIRT_WHY
#   qemu_libvirt_down    stops the daemons qemu_libvirt_up started
QEMU_URI=${AIVISOR_QEMU_URI:-qemu:///system}
QEMU_STARTED_DAEMONS=""

qemu_libvirt_answers() {
	virsh -c "$QEMU_URI" version >/dev/null 2>&1
}

qemu_libvirt_up() {
	QEMU_LIBVIRT_WHY=""
	local tool
	for tool in virsh libvirtd virtlogd qemu-system-x86_64; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			QEMU_LIBVIRT_WHY="$tool is not installed (scripts/deps.txt)"
			return 1
		fi
	done
	qemu_libvirt_answers && return 0
	if [ "$(id -u)" != 0 ]; then
		QEMU_LIBVIRT_WHY="libvirtd is not running and starting it needs root"
		return 1
	fi
	mkdir -p /var/log/libvirt /var/run/libvirt
	if ! pgrep -x virtlogd >/dev/null; then
		virtlogd -d || { QEMU_LIBVIRT_WHY="virtlogd failed to start"; return 1; }
		QEMU_STARTED_DAEMONS="virtlogd $QEMU_STARTED_DAEMONS"
	fi
	if ! pgrep -x libvirtd >/dev/null; then
		libvirtd -d || { QEMU_LIBVIRT_WHY="libvirtd failed to start"; return 1; }
		QEMU_STARTED_DAEMONS="libvirtd $QEMU_STARTED_DAEMONS"
	fi
	local i
	for i in $(seq 1 100); do
		qemu_libvirt_answers && return 0
		sleep 0.1
	done
	QEMU_LIBVIRT_WHY="libvirtd does not answer on $QEMU_URI"
	return 1
}

qemu_libvirt_down() {
	local d pid
	for d in $QEMU_STARTED_DAEMONS; do
		pid=$(cat "/var/run/$d.pid" 2>/dev/null) || continue
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	QEMU_STARTED_DAEMONS=""
}
