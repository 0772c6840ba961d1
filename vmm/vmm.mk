# vmm/: aivisor-vmm, its test guests, unit tests and fuzzers.

# Pure code, linked into the VMM, the unit tests and the fuzzers.
VMM_CORE_SRCS := vmm/guest_mem.c vmm/console_rate.c vmm/elf_load.c vmm/mm.c vmm/syscall.c vmm/sys_io.c \
	vmm/sys_fs.c vmm/sys_mem.c vmm/sys_time.c vmm/sys_misc.c vmm/shares.c vmm/fd_table.c \
	vmm/user_stack.c vmm/boot_x86_64.c
VMM_SRCS := $(VMM_CORE_SRCS) vmm/main.c vmm/kvm_x86_64.c vmm/vcpu.c \
	vmm/vdso_install.c vmm/vdso_image.c vmm/vgpu_wire.c vmm/threads.c vmm/sandbox_vmm.c
# The vGPU host side the VMM needs: window creation and attach (no server,
# no OpenBLAS: a private server runs as its own aivisor-vgpud process).
VMM_VGPU_SRCS := vgpu/host/window.c vgpu/host/attach.c

BINS += $(BUILD)/bin/aivisor-vmm
$(BUILD)/bin/aivisor-vmm: $(VMM_SRCS:%.c=$(BUILD)/obj/%.o) $(VMM_VGPU_SRCS:%.c=$(BUILD)/obj/%.o) \
		$(SECURITY_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread $(SECURITY_LIBS)

# The vDSO: a tiny shared object run by the guest, embedded in the VMM.
VDSO_SO := $(BUILD)/vmm/vdso.so
$(VDSO_SO): vmm/vdso/vdso.c vmm/vdso/vdso.lds vmm/include/vdso_time.h
	@mkdir -p $(@D)
	$(MUSLCC) $(CSTD) $(WARN) -O2 -Ivmm/include -fPIC -shared -nostdlib -fno-stack-protector \
		-fno-asynchronous-unwind-tables -Wl,--hash-style=sysv -Wl,-soname,linux-vdso.so.1 \
		-Wl,-T,vmm/vdso/vdso.lds -Wl,--no-undefined -o $@ $<
$(BUILD)/obj/vmm/vdso_image.o: $(VDSO_SO)
$(BUILD)/obj/vmm/vdso_image.o: CFLAGS += -DVDSO_SO=$(VDSO_SO)

# Test guests: one static musl program per tests/guests/*.c; vgpu_gemm
# also links the vGPU client library (VGPU_CLIENT_SRCS, from vgpu/vgpu.mk,
# which is read after this file: hence the second expansion).
VMM_TEST_GUESTS := $(patsubst tests/guests/%.c,$(BUILD)/guest/%,$(wildcard tests/guests/*.c))
GUESTS += $(VMM_TEST_GUESTS)
$(filter-out $(BUILD)/guest/vgpu_gemm,$(VMM_TEST_GUESTS)): $(BUILD)/guest/%: $(BUILD)/obj-musl/tests/guests/%.o
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -o $@ $^ -lm
# args-pie: the args guest as a static PIE (ET_DYN, loaded at a fixed
# bias).  musl-gcc's specs cannot link -static-pie, so it is linked by hand
# from musl's rcrt1.o and libc.a.
MUSL_LIBDIR = $(dir $(shell grep -o '/[^"]*musl-gcc.specs' $$(command -v $(MUSLCC))))
GUESTS += $(BUILD)/guest/args-pie
$(BUILD)/obj-musl/tests/guests/args-pie.o: tests/guests/args.c
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -fPIE -c $< -o $@
$(BUILD)/guest/args-pie: $(BUILD)/obj-musl/tests/guests/args-pie.o
	@mkdir -p $(@D)
	$(CC) -static-pie -nostdlib -o $@ $(MUSL_LIBDIR)rcrt1.o $(MUSL_LIBDIR)crti.o $< \
		$(MUSL_LIBDIR)libc.a $$($(CC) -print-libgcc-file-name) $(MUSL_LIBDIR)crtn.o

VMM_VGPU_CLIENT_OBJS = $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-musl/%.o)
.SECONDEXPANSION:
$(BUILD)/guest/vgpu_gemm: $(BUILD)/obj-musl/tests/guests/vgpu_gemm.o $$(VMM_VGPU_CLIENT_OBJS)
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -o $@ $^ -lm

# Unit tests (cmocka, ASan+UBSan) over the pure code.
VMM_UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/test/%,$(wildcard tests/unit/test_vmm_*.c))
UNIT_TESTS += $(VMM_UNIT_TESTS)
$(VMM_UNIT_TESTS): $(BUILD)/test/%: $(BUILD)/obj-san/tests/unit/%.o $(VMM_CORE_SRCS:%.c=$(BUILD)/obj-san/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka

# Fuzzers (libFuzzer): the ELF loader, and the syscall decoder + handlers.
FUZZERS += $(BUILD)/fuzz/elf $(BUILD)/fuzz/syscall
$(BUILD)/fuzz/elf: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_elf.o $(BUILD)/obj-fuzz/vmm/elf_load.o
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^
$(BUILD)/fuzz/syscall: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_syscall.o $(VMM_CORE_SRCS:%.c=$(BUILD)/obj-fuzz/%.o)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^

# Benchmark helper for bench/vmm.sh.
BENCHES += $(BUILD)/bench/vmm-bench
$(BUILD)/bench/vmm-bench: $(BUILD)/obj/vmm/tools/vmm_bench.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^
# threads.c needs struct vm (and links kvm_x86_64.c, whose ioctls the test never reaches).
$(BUILD)/test/test_vmm_threads: $(BUILD)/obj-san/vmm/threads.o $(BUILD)/obj-san/vmm/kvm_x86_64.o
