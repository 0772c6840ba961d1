# aivisor top-level build.
#
# Every part owns a fragment `<part>/<part>.mk` that appends to the lists
# below; this file only holds the shared flags, the lists and the phony
# targets.  Outputs go to build/: bin/ (host programs), guest/ (static musl
# programs that run inside microVMs), lib/, obj/, test/ (unit tests built
# with sanitizers), fuzz/ (libFuzzer targets).

BUILD    := build
NPROC    := $(shell nproc)
CC       := gcc
MUSLCC   := musl-gcc
CLANG    := clang

WARN     := -Wall -Wextra -Werror
CSTD     := -std=c11 -D_GNU_SOURCE
# -iquote, not -I: project headers are included with quotes, and a project
# header may share a name with a system one (scheduler/include/sched.h vs
# the C library's <sched.h>, which <pthread.h> pulls in).
INCLUDES := -iquote vgpu/include -iquote vmm/include -iquote scheduler/include -iquote guest-agent/include -iquote control/include -iquote security/include
CFLAGS   := $(CSTD) $(WARN) -O2 -g $(INCLUDES) -MMD -MP
# Host-side unit tests run under AddressSanitizer and UBSan.
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Guest programs: static musl, no sanitizers, no libc other than musl.
GCFLAGS  := $(CSTD) $(WARN) -O2 -g $(INCLUDES) -static
FUZZFLAGS := $(CSTD) -Wall -Wextra -g -O1 $(INCLUDES) -fsanitize=fuzzer,address,undefined

# Lists the fragments append to.
BINS        :=   # build/bin/* host programs
GUESTS      :=   # build/guest/* static guest programs
UNIT_TESTS  :=   # build/test/* cmocka binaries (sanitized)
FUZZERS     :=   # build/fuzz/* libFuzzer binaries
BENCHES     :=   # build/bench/* or scripts run by `make bench`

# Pattern rules, one object tree per flavour, so a file can be linked into
# a host program, a sanitized unit test, a static guest and a fuzzer.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/obj-san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -c $< -o $@
$(BUILD)/obj-musl/%.o: %.c
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj-fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -MMD -MP -c $< -o $@

.PHONY: all deps test unit integration fuzz fuzz-smoke bench demo clean images gpu-check
all:

-include security/security.mk
-include vmm/vmm.mk
-include vgpu/vgpu.mk
-include vgpu/cuda.mk
-include vgpu/ivshmem/ivshmem.mk
-include images/images.mk
-include scheduler/scheduler.mk
-include guest-agent/agent.mk
-include control/control.mk
-include control/libvirt/libvirt.mk
-include control/cli/run.mk
-include bench/bench.mk
-include tests/tests.mk

all: $(BINS) $(GUESTS)

deps:
	@scripts/deps.sh

# The one test command (README.md, .ci/run): installs deps, builds, runs
# unit tests, integration tests against real KVM/virsh/QEMU, and a short
# bounded run of every fuzz target.
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_TESTS) $(FUZZERS)
	@scripts/run-tests.sh

fuzz: deps
	@$(MAKE) --no-print-directory -j$(NPROC) $(FUZZERS)
	@scripts/run-fuzz.sh $(FUZZ_SECONDS)

bench: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all $(BENCHES)
	@scripts/run-bench.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
