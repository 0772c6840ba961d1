# scheduler/: the slicing policy (libaivisor-sched), CPU cgroups, admission.
# Other parts link $(SCHED_LIB) (host objects) or list $(SCHED_SRCS) in
# their own flavour (e.g. $(SCHED_SRCS:%.c=$(BUILD)/obj-san/%.o)).
SCHED_SRCS := scheduler/sched.c scheduler/sched_params.c scheduler/sched_stats.c \
	scheduler/cgroup_cpu.c scheduler/cgroup_cpu_detect.c scheduler/cgroup_cpu_limits.c \
	scheduler/admission.c
SCHED_LIB  := $(BUILD)/lib/libaivisor-sched.a

$(SCHED_LIB): $(SCHED_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

all: $(SCHED_LIB)

SCHED_SAN_OBJS := $(SCHED_SRCS:%.c=$(BUILD)/obj-san/%.o)
SCHED_UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/test/%,$(wildcard tests/unit/test_sched_*.c))
UNIT_TESTS += $(SCHED_UNIT_TESTS)

$(SCHED_UNIT_TESTS): $(BUILD)/test/%: $(BUILD)/obj-san/tests/unit/%.o $(SCHED_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka

# aivisor-cpuslice: run a command in a CPU slice (tests, benches, host jobs).
BINS += $(BUILD)/bin/aivisor-cpuslice
$(BUILD)/bin/aivisor-cpuslice: $(BUILD)/obj/scheduler/cpuslice_main.o $(SCHED_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

# aivisor-vgpu-load: vGPU tenants that saturate with GEMMs (reporting their
# device time per window) or serve batch-1 inference, as a host process and
# as a static guest for microVMs.  For the vGPU scheduling tests and
# bench/sched.sh.
BINS += $(BUILD)/bin/aivisor-vgpu-load
GUESTS += $(BUILD)/guest/aivisor-vgpu-load
$(BUILD)/bin/aivisor-vgpu-load: $(BUILD)/obj/scheduler/vgpu_load_main.o \
		$(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/scheduler/sched_params.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^
$(BUILD)/guest/aivisor-vgpu-load: $(BUILD)/obj-musl/scheduler/vgpu_load_main.o \
		$(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-musl/%.o) $(BUILD)/obj-musl/scheduler/sched_params.o
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -o $@ $^
