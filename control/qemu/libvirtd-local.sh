# libvirtd-local.sh - sourced by the QEMU tests and benchmark: makes sure a
# system libvirtd (and its virtlogd) answers on qemu:///system, starting
# them by hand where no service manager does (docs/QEMU.md), and stops them
# when the last user that needed them is done.
#
# Several test runs may share the machine (and the one system libvirtd) at
# once, so users are counted: each registers its pid under
# $QEMU_USERS_DIR, and only the last one out (dead users ignored) stops the
# daemons, and only those some user started (recorded in started-by-tests).
#
#   qemu_libvirt_up      0 when libvirt answers (started if needed), else 1
#                        with the reason in QEMU_LIBVIRT_WHY
#   qemu_libvirt_down    unregisters; stops the daemons if last user
QEMU_URI=${AIVISOR_QEMU_URI:-qemu:///system}
QEMU_USERS_DIR=/run/aivisor-qemu-tests
QEMU_REGISTERED=""

qemu_libvirt_answers() {
	virsh -c "$QEMU_URI" version >/dev/null 2>&1
}

# Runs "$@" holding the users lock.
qemu__locked() {
	mkdir -p "$QEMU_USERS_DIR/users"
	(
		flock 9
		"$@"
	) 9> "$QEMU_USERS_DIR/lock"
}

qemu__start_daemons() {
	qemu_libvirt_answers && return 0
	mkdir -p /var/log/libvirt /var/run/libvirt
	# A daemon that is already running refuses to start (its pid file is
	# locked); only a daemon that did start is ours to stop later.
	# 9>&-: a daemon must not inherit (and so hold forever) the lock.
	local d
	for d in virtlogd libvirtd; do
		"$d" -d 9>&- 2>/dev/null && echo "$d" >> "$QEMU_USERS_DIR/started-by-tests"
	done
	return 0
}

qemu__stop_if_last() {
	rm -f "$QEMU_USERS_DIR/users/$$"
	local u d pid
	for u in "$QEMU_USERS_DIR"/users/*; do
		[ -e "$u" ] || continue
		if kill -0 "$(basename "$u")" 2>/dev/null; then
			return 0   # someone still needs libvirt
		fi
		rm -f "$u"
	done
	[ -f "$QEMU_USERS_DIR/started-by-tests" ] || return 0
	for d in $(sort -u "$QEMU_USERS_DIR/started-by-tests"); do
		pid=$(cat "/var/run/$d.pid" 2>/dev/null)
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	rm -f "$QEMU_USERS_DIR/started-by-tests"
}

qemu_libvirt_up() {
	QEMU_LIBVIRT_WHY=""
	local tool
	for tool in virsh libvirtd virtlogd qemu-system-x86_64 flock; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			QEMU_LIBVIRT_WHY="$tool is not installed (scripts/deps.txt)"
			return 1
		fi
	done
	if ! qemu_libvirt_answers && [ "$(id -u)" != 0 ]; then
		QEMU_LIBVIRT_WHY="libvirtd is not running and starting it needs root"
		return 1
	fi
	if [ "$(id -u)" = 0 ]; then
		qemu__locked touch "$QEMU_USERS_DIR/users/$$"
		QEMU_REGISTERED=1
		qemu__locked qemu__start_daemons
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
	[ -n "$QEMU_REGISTERED" ] || return 0
	QEMU_REGISTERED=""
	qemu__locked qemu__stop_if_last
}
