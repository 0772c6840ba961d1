# control/: the aivisor CLI, the daemon aivisord (docs/DAEMON.md), the
# tenant config format (docs/CONFIG.md), their tests, the demo.
CONTROL_COMMON_SRCS := control/common/tenant.c control/common/tenant_json.c control/common/tenant_yaml.c
AIVISORD_SRCS := control/daemon/main.c control/daemon/api_server.c control/daemon/api_handlers.c control/daemon/registry.c \
	control/daemon/lifecycle.c control/daemon/recovery.c control/daemon/vm_process.c control/daemon/state_store.c \
	control/daemon/vgpud.c control/daemon/metrics.c control/daemon/report.c control/daemon/log.c \
	control/daemon/tenant_cgroup.c control/daemon/tenant_admission.c control/daemon/qemu_tenant.c \
	control/qemu/qemu_domain.c control/qemu/qemu_xml.c control/qemu/qemu_bridge.c control/qemu/qemu_err.c \
	vgpu/host/attach.c vgpu/host/window.c \
	scheduler/cgroup_cpu.c scheduler/cgroup_cpu_detect.c scheduler/cgroup_cpu_limits.c scheduler/admission.c
AIVISOR_CLI_SRCS := control/cli/aivisor.c control/cli/client.c control/cli/cmd_lifecycle.c \
	control/cli/cmd_show.c control/cli/cmd_top.c
CONTROL_LIBS := -ljansson -lyaml -lpthread -lvirt
AIVISOR_CLI_LIBS := -ljansson -lyaml -lpthread

BINS += $(BUILD)/bin/aivisor $(BUILD)/bin/aivisord

# The daemon's private headers live next to its sources; it runs kind qemu
# tenants through control/qemu (qemu_domain.h, qemu_bridge.h).
$(BUILD)/obj/control/%.o: CFLAGS += -Icontrol/daemon -Icontrol/qemu
$(BUILD)/obj-san/control/%.o: CFLAGS += -Icontrol/daemon -Icontrol/qemu
$(BUILD)/obj-fuzz/control/%.o: FUZZFLAGS += -Icontrol/daemon -Icontrol/qemu

$(BUILD)/bin/aivisor: $(AIVISOR_CLI_SRCS:%.c=$(BUILD)/obj/%.o) $(CONTROL_COMMON_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(AIVISOR_CLI_LIBS)

$(BUILD)/bin/aivisord: $(AIVISORD_SRCS:%.c=$(BUILD)/obj/%.o) $(CONTROL_COMMON_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(CONTROL_LIBS)

# ticker: a sleeping guest program for the daemon's tests and benchmark.
GUESTS += $(BUILD)/guest/ticker
$(BUILD)/guest/ticker: $(BUILD)/obj-musl/control/guests/ticker.o
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -o $@ $^

# The README's main command (scripts/demo.sh).
demo: deps all
	@scripts/demo.sh

# Unit tests (cmocka, ASan+UBSan).
CONTROL_SAN_COMMON := $(CONTROL_COMMON_SRCS:%.c=$(BUILD)/obj-san/%.o)
UNIT_TESTS += $(BUILD)/test/test_control_tenant $(BUILD)/test/test_control_yaml $(BUILD)/test/test_control_store
$(BUILD)/test/test_control_tenant $(BUILD)/test/test_control_yaml: $(BUILD)/test/%: $(BUILD)/obj-san/tests/unit/%.o $(CONTROL_SAN_COMMON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -ljansson -lyaml -lcmocka
$(BUILD)/test/test_control_store: $(BUILD)/obj-san/tests/unit/test_control_store.o $(BUILD)/obj-san/control/daemon/state_store.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -ljansson -lcmocka
$(BUILD)/obj-san/tests/unit/test_control_%.o: CFLAGS += -Icontrol/daemon
UNIT_TESTS += $(BUILD)/test/test_control_kind
$(BUILD)/test/test_control_kind: $(BUILD)/obj-san/control/tests/test_tenant_kind.o $(CONTROL_SAN_COMMON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -ljansson -lyaml -lcmocka

