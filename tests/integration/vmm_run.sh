#!/bin/bash
# aivisor-vmm: programs run in real KVM guests; output and exit codes.
. "$(dirname "$0")/../lib.sh"
VMM=$BIN/aivisor-vmm
need_kvm "vmm run" || exit 0

expect_run "vmm hello prints its greeting" 0 '^Hello from an aivisor microVM!$' "$VMM" "$GUEST/hello"
expect_run "aivisor run hello (CLI in front of the VMM)" 0 'Hello from an aivisor microVM!' "$BIN/aivisor" run "$GUEST/hello"
expect_rc() { # NAME RC CMD...: exit status RC and no output at all
	local n=$1 want=$2 out rc; shift 2
	out=$("$@" 2>&1); rc=$?
	check "$n" test "$rc:$out" = "$want:"
}
expect_rc "vmm exit status via exit()" 42 "$VMM" "$GUEST/exitcode" 42
expect_rc "vmm exit status via raw exit_group" 7 "$VMM" "$GUEST/exitcode" 7 raw
expect_rc "vmm exit status 0" 0 "$VMM" "$GUEST/exitcode" 0
expect_rc "vmm exit status 255" 255 "$VMM" "$GUEST/exitcode" 255

out=$("$VMM" --env FOO=bar --env 'EMPTY=' "$GUEST/args" one 'two words' 2>&1); rc=$?
want=$'argc=3\nargv[0]='"$GUEST/args"$'\nargv[1]=one\nargv[2]=two words\nenv=FOO=bar\nenv=EMPTY=\npagesz=4096\nrandom=yes\nvdso=yes'
check "vmm argv, envp and auxv as Linux sets them" test "$rc:$out" = "0:$want"
out=$("$VMM" --env FOO=bar "$GUEST/args-pie" one 2>&1); rc=$?
check "vmm static-pie (ET_DYN) program runs with its arguments" test "$rc:$(head -4 <<< "$out")" = \
	"0:argc=2"$'\n'"argv[0]=$GUEST/args-pie"$'\n'"argv[1]=one"$'\n'"env=FOO=bar"
expect_run "vmm --no-vdso leaves AT_SYSINFO_EHDR out" 0 'vdso=no' "$VMM" --no-vdso "$GUEST/args"
expect_run "vmm host environment does not leak in" 0 'argc=1' env SECRET=x "$VMM" "$GUEST/args"
out=$(SECRET=x "$VMM" "$GUEST/args" 2>&1)
check "vmm guest sees no host variables" test "${out/SECRET/}" = "$out"

expect_run "vmm clocks: vDSO, syscall, nanosleep agree" 0 'clocks ok' "$VMM" "$GUEST/clock"
expect_run "vmm clocks without vDSO" 0 'clocks ok' "$VMM" --no-vdso "$GUEST/clock"
expect_run "vmm clocks without KVM sync regs" 0 'clocks ok' "$VMM" --no-sync-regs "$GUEST/clock"

expect_run "vmm allocates most of 64 MiB guest RAM" 0 'allocated 44 MiB ok, oversize malloc refused' \
	"$VMM" --memory 64 "$GUEST/alloc" 44
expect_run "vmm allocates most of 512 MiB guest RAM" 0 'allocated 440 MiB ok' "$VMM" --memory 512 "$GUEST/alloc" 440
expect_run "vmm allocation beyond guest RAM fails in the guest" 1 'malloc of 80 MiB failed' \
	"$VMM" --memory 64 "$GUEST/alloc" 80

expect_run "vmm hostile syscall pointers/lengths all refused" 0 'all hostile calls refused: 0 unexpected' \
	"$VMM" --memory 64 "$GUEST/hostile" 64 < /dev/null
expect_run "vmm hostile syscalls without sync regs" 0 'all hostile calls refused' \
	"$VMM" --no-sync-regs --memory 128 "$GUEST/hostile" 128 < /dev/null

fault() { # NAME KIND RC REGEX
	expect_run "vmm fault $1" "$3" "$4" "$VMM" "$GUEST/fault" "$2"
}
fault "null dereference -> #PF, 139" null 139 'guest fault: page fault \(#PF\) at rip=0x[0-9a-f]+ addr=0x0 err=0x4'
fault "write to page tables -> #PF, 139" kernel-write 139 'page fault \(#PF\) at rip=0x[0-9a-f]+ addr=0x1000 err=0x7'
fault "ud2 -> #UD, 132" ud 132 'guest fault: invalid opcode \(#UD\) at rip=0x[0-9a-f]+'
fault "divide by zero -> #DE, 136" de 136 'guest fault: divide error \(#DE\) at rip=0x[0-9a-f]+'
fault "non-canonical access -> #GP, 139" gp 139 'guest fault: general protection \(#GP\) at rip=0x[0-9a-f]+'
fault "int3 -> #BP, 133" bp 133 'guest fault: breakpoint \(#BP\) at rip=0x[0-9a-f]+'
fault "stack overflow hits the guard -> #PF, 139" stack 139 'page fault \(#PF\) at rip=0x[0-9a-f]+ addr=0x[0-9a-f]+ err=0x6'

start=$(date +%s%N)
expect_run "vmm --timeout stops an infinite loop with 124" 124 'guest stopped after --timeout 1 s' \
	"$VMM" --timeout 1 "$GUEST/loop"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "vmm --timeout 1 stops within 3 s (took ${ms} ms)" test "$ms" -lt 3000

"$VMM" "$GUEST/loop" > "$TMP/term.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q spinning "$TMP/term.out" && break; sleep 0.05; done
kill -TERM "$pid"; wait "$pid"; rc=$?
check "vmm SIGTERM stops the guest: exit 143 and a message" \
	bash -c "[ $rc = 143 ] && grep -q 'guest stopped by SIGTERM' '$TMP/term.out'"

expect_run "vmm --vcpus 4 creates parked vCPUs, program runs on vCPU 0" 0 'Hello' "$VMM" --vcpus 4 "$GUEST/hello"
expect_run "vmm threads: 3 pthreads on 4 vCPUs (mutex, condvar, TLS, join)" 0 '^threads ok 3$' \
	"$VMM" --vcpus 4 "$GUEST/threads" 3
expect_run "vmm threads: 7 pthreads on 8 vCPUs" 0 '^threads ok 7$' "$VMM" --vcpus 8 "$GUEST/threads" 7
expect_run "vmm threads: more threads than spare vCPUs -> EAGAIN" 3 'pthread_create: Resource temporarily unavailable' \
	"$VMM" --vcpus 2 "$GUEST/threads" 3
expect_run "vmm threads: exit() in one thread ends the VM while others wait" 42 'exit42: 3 threads started' \
	"$VMM" --vcpus 5 --timeout 20 "$GUEST/threads" 3 exit42
start=$(date +%s%N)
expect_run "vmm threads: --timeout stops every spinning vCPU" 124 'guest stopped after --timeout 1 s' \
	"$VMM" --vcpus 4 --timeout 1 "$GUEST/threads" 3 spin
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "vmm threads: stopped within 3 s (took ${ms} ms)" test "$ms" -lt 3000
expect_run "vmm --debug logs an unimplemented syscall" 0 'debug: unimplemented syscall 9999 -> ENOSYS' \
	"$VMM" --debug "$GUEST/hostile" 64 < /dev/null
expect_run "vmm --name is accepted" 0 'Hello' "$VMM" --name tenant1 "$GUEST/hello"

usage() { # NAME ARGS...
	local n=$1; shift
	expect_run "vmm usage error: $n" 2 'usage: aivisor-vmm' "$VMM" "$@"
}
usage "no program"
usage "unknown flag" --bogus "$GUEST/hello"
usage "memory not a number" --memory lots "$GUEST/hello"
usage "memory too small" --memory 4 "$GUEST/hello"
usage "memory too large" --memory 99999999 "$GUEST/hello"
usage "vcpus 0" --vcpus 0 "$GUEST/hello"
usage "vcpus 65" --vcpus 65 "$GUEST/hello"
usage "negative timeout" --timeout -1 "$GUEST/hello"
usage "missing flag value" --memory
usage "share of a missing dir" --share /nonexistent/dir "$GUEST/hello"
usage "env without =" --env FOO "$GUEST/hello"
expect_run "vmm missing program file" 1 'No such file' "$VMM" "$TMP/none"
