# vgpu/ivshmem/: the vGPU for QEMU guests over ivshmem (docs/QEMU.md).
#
#   build/bin/aivisor-ivshmem    host bridge: one per QEMU tenant, serves
#                                QEMU's ivshmem-doorbell protocol
#   build/guest/ivshmem-probe    static guest tool: raw-ring sgemm and
#                                hostile-guest checks from inside the VM
#   IVSHMEM_CLIENT_SRCS          the guest-side transport (client_ivshmem.c),
#                                for libvgpu's ivshmem: spec
#   IVSHMEM_BRIDGE_SRCS          the bridge as a library (daemon, tests)

IVSHMEM_CLIENT_SRCS := vgpu/ivshmem/client_ivshmem.c
IVSHMEM_BRIDGE_SRCS := vgpu/ivshmem/bridge.c vgpu/ivshmem/ivshmem_proto.c \
	$(filter vgpu/host/%,$(VGPU_CLIENT_SRCS))

BINS   += $(BUILD)/bin/aivisor-ivshmem
GUESTS += $(BUILD)/guest/ivshmem-probe

$(BUILD)/bin/aivisor-ivshmem: $(BUILD)/obj/vgpu/ivshmem/main.o \
		$(IVSHMEM_BRIDGE_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

$(BUILD)/guest/ivshmem-probe: $(BUILD)/obj-musl/vgpu/ivshmem/guest_probe.o \
		$(IVSHMEM_CLIENT_SRCS:%.c=$(BUILD)/obj-musl/%.o)
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -o $@ $^ -lm

# Unit tests (cmocka, sanitized).
IVSHMEM_TESTS := $(BUILD)/test/test_ivshmem_proto $(BUILD)/test/test_ivshmem_client \
	$(BUILD)/test/test_ivshmem_bridge
UNIT_TESTS += $(IVSHMEM_TESTS)

$(BUILD)/test/test_ivshmem_proto: $(BUILD)/obj-san/vgpu/ivshmem/tests/test_ivshmem_proto.o \
		$(BUILD)/obj-san/vgpu/ivshmem/ivshmem_proto.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka

# The bridge against the real server, embedded in the test process.
$(BUILD)/test/test_ivshmem_bridge: $(BUILD)/obj-san/vgpu/ivshmem/tests/test_ivshmem_bridge.o \
		$(sort $(IVSHMEM_BRIDGE_SRCS:%.c=$(BUILD)/obj-san/%.o) \
		$(VGPU_SERVER_SRCS:%.c=$(BUILD)/obj-san/%.o) $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-san/%.o) \
		$(VGPU_SCHED_SRCS:%.c=$(BUILD)/obj-san/%.o))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(VGPU_SERVER_LIBS)

$(BUILD)/test/test_ivshmem_client: $(BUILD)/obj-san/vgpu/ivshmem/tests/test_ivshmem_client.o \
		$(IVSHMEM_CLIENT_SRCS:%.c=$(BUILD)/obj-san/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka

# The native baseline of bench/qemu.sh.
BENCHES += $(BUILD)/bench/qemu-sgemm-native
$(BUILD)/bench/qemu-sgemm-native: $(BUILD)/obj/vgpu/ivshmem/bench_sgemm_native.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lopenblas

# The libvirt side of QEMU tenants lives in control/qemu/; the top Makefile
# does not include its fragment, so it comes in with this one.
-include control/qemu/qemu.mk
