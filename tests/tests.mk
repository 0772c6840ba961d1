# tests/: fuzz targets owned by no single part (configs and the JSON API).
FUZZERS += $(BUILD)/fuzz/config
$(BUILD)/obj-fuzz/tests/fuzz/fuzz_config.o: FUZZFLAGS += -Icontrol/daemon
$(BUILD)/fuzz/config: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_config.o $(CONTROL_COMMON_SRCS:%.c=$(BUILD)/obj-fuzz/%.o)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^ -ljansson -lyaml

FUZZERS += $(BUILD)/fuzz/api
# The daemon minus its main(): whatever the daemon links, the fuzzer links.
FUZZ_API_SRCS = $(filter-out control/daemon/main.c,$(AIVISORD_SRCS)) $(CONTROL_COMMON_SRCS)
$(BUILD)/obj-fuzz/tests/fuzz/fuzz_api.o: FUZZFLAGS += -Icontrol/daemon
$(BUILD)/fuzz/api: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_api.o $(FUZZ_API_SRCS:%.c=$(BUILD)/obj-fuzz/%.o)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^ $(CONTROL_LIBS)

# tests/hostile/: guest programs that attack through every interface.
HOSTILE_GUESTS := $(patsubst tests/hostile/%.c,$(BUILD)/guest/hostile-%,$(wildcard tests/hostile/*.c))
GUESTS += $(HOSTILE_GUESTS)
$(BUILD)/guest/hostile-%: $(BUILD)/obj-musl/tests/hostile/%.o $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-musl/%.o)
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -o $@ $^ -lm

# A VMM with an injected bug a guest can trigger (vmm/syscall.c under
# AIVISOR_BUG_INJECTION): proves the seccomp filter contains VMM bugs.
VMM_BUGINJECT := $(BUILD)/test-bin/aivisor-vmm-buginject
BINS += $(VMM_BUGINJECT)
$(BUILD)/obj-buginject/vmm/syscall.o: vmm/syscall.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DAIVISOR_BUG_INJECTION -c $< -o $@
$(VMM_BUGINJECT): $(filter-out $(BUILD)/obj/vmm/syscall.o,$(VMM_SRCS:%.c=$(BUILD)/obj/%.o)) \
		$(BUILD)/obj-buginject/vmm/syscall.o $(VMM_VGPU_SRCS:%.c=$(BUILD)/obj/%.o) \
		$(SECURITY_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread $(SECURITY_LIBS)
