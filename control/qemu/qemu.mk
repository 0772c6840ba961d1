# control/qemu/: tenants as libvirt/QEMU domains (docs/QEMU.md).
#
#   QEMU_CONTROL_SRCS   the module the daemon links (with -lvirt):
#                       qemu_domain.h (define/start/stop/undefine/state, XML)
#                       qemu_bridge.h (the tenant's aivisor-ivshmem process)
#   build/bin/aivisor-qemu   the same from the command line

QEMU_CONTROL_SRCS := control/qemu/qemu_domain.c control/qemu/qemu_xml.c \
	control/qemu/qemu_bridge.c control/qemu/qemu_err.c
QEMU_CONTROL_LIBS := -lvirt

BINS += $(BUILD)/bin/aivisor-qemu

$(BUILD)/bin/aivisor-qemu: $(BUILD)/obj/control/qemu/main.o \
		$(QEMU_CONTROL_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(QEMU_CONTROL_LIBS)

UNIT_TESTS += $(BUILD)/test/test_qemu_xml
$(BUILD)/test/test_qemu_xml: $(BUILD)/obj-san/control/qemu/tests/test_qemu_xml.o \
		$(BUILD)/obj-san/control/qemu/qemu_xml.o $(BUILD)/obj-san/control/qemu/qemu_err.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka

# Fuzz target: the domain XML builder on hostile names, jobs and paths.
FUZZERS += $(BUILD)/fuzz/qemu_xml
$(BUILD)/obj-fuzz/tests/fuzz/fuzz_qemu_xml.o: FUZZFLAGS += -I/usr/include/libxml2
$(BUILD)/fuzz/qemu_xml: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_qemu_xml.o \
		$(BUILD)/obj-fuzz/control/qemu/qemu_xml.o $(BUILD)/obj-fuzz/control/qemu/qemu_err.o
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^ -lxml2
