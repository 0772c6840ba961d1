# guest-agent/: the engine library and aivisor-agent, the program tenants
# run (a static musl ELF that also runs on the host as a process tenant).
ENGINE_DATA_SRCS := guest-agent/engine/error.c guest-agent/engine/rng.c \
	guest-agent/engine/csv.c guest-agent/engine/dataset.c \
	guest-agent/engine/scale.c guest-agent/engine/arch.c \
	guest-agent/engine/crc32.c guest-agent/engine/params.c \
	guest-agent/engine/model_file.c guest-agent/engine/file_read.c
ENGINE_VGPU_SRCS := guest-agent/engine/model.c guest-agent/engine/init.c \
	guest-agent/engine/workspace.c guest-agent/engine/device_data.c \
	guest-agent/engine/dense.c guest-agent/engine/loss.c \
	guest-agent/engine/optimizer.c guest-agent/engine/evaluate.c \
	guest-agent/engine/fit.c guest-agent/engine/quantize.c \
	guest-agent/engine/model_io.c
ENGINE_SRCS := $(ENGINE_DATA_SRCS) $(ENGINE_VGPU_SRCS)

# Unit tests that need no vGPU.
ENGINE_DATA_TESTS := data arch model_file
UNIT_TESTS += $(ENGINE_DATA_TESTS:%=$(BUILD)/test/test_engine_%)
$(ENGINE_DATA_TESTS:%=$(BUILD)/test/test_engine_%): $(BUILD)/test/test_engine_%: \
		$(BUILD)/obj-san/tests/unit/test_engine_%.o $(ENGINE_DATA_SRCS:%.c=$(BUILD)/obj-san/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka -lm

# Fuzz targets for the two file formats the agent reads.
ENGINE_FUZZ := engine_csv engine_model
FUZZERS += $(ENGINE_FUZZ:%=$(BUILD)/fuzz/%)
$(ENGINE_FUZZ:%=$(BUILD)/fuzz/%): $(BUILD)/fuzz/%: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_%.o \
		$(ENGINE_DATA_SRCS:%.c=$(BUILD)/obj-fuzz/%.o)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^ -lm

# aivisor-agent: static musl, with the vGPU client linked in.
AGENT_SRCS := guest-agent/agent/main.c guest-agent/agent/options.c \
	guest-agent/agent/common.c guest-agent/agent/cmd_train.c \
	guest-agent/agent/cmd_eval.c guest-agent/agent/cmd_quantize.c \
	guest-agent/agent/cmd_serve.c guest-agent/agent/cmd_bench.c
GUESTS += $(BUILD)/guest/aivisor-agent
$(BUILD)/guest/aivisor-agent: $(AGENT_SRCS:%.c=$(BUILD)/obj-musl/%.o) \
		$(ENGINE_SRCS:%.c=$(BUILD)/obj-musl/%.o) $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-musl/%.o)
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -o $@ $^ -lm

# Unit tests through the real vGPU: the server runs inside the test process
# (vgpu_server_start), sanitized like the engine.
ENGINE_VGPU_TESTS := gradcheck train
UNIT_TESTS += $(ENGINE_VGPU_TESTS:%=$(BUILD)/test/test_engine_%)
$(ENGINE_VGPU_TESTS:%=$(BUILD)/test/test_engine_%): $(BUILD)/test/test_engine_%: \
		$(BUILD)/obj-san/tests/unit/test_engine_%.o $(BUILD)/obj-san/tests/unit/engine_test_util.o \
		$(VGPU_TEST_SERVER_OBJ) \
		$(ENGINE_SRCS:%.c=$(BUILD)/obj-san/%.o) \
		$(VGPU_SERVER_SRCS:%.c=$(BUILD)/obj-san/%.o) $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-san/%.o) \
		$(VGPU_SCHED_SRCS:%.c=$(BUILD)/obj-san/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(VGPU_SERVER_LIBS)
