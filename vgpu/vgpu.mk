# vgpu/: the vGPU (ABI, client library, server, backends, daemon).  docs/VGPU.md
#
# VGPU_CLIENT_SRCS: libvgpu, for anything that is a tenant.  Compiles for
# the host (build/obj), sanitized (build/obj-san) and static musl guests
# (build/obj-musl): link $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-musl/%.o).
VGPU_CLIENT_SRCS := vgpu/client/client.c vgpu/client/queue.c vgpu/client/encode.c \
	vgpu/client/arena.c vgpu/host/window.c vgpu/host/attach.c \
	vgpu/ivshmem/client_ivshmem.c

# VGPU_SERVER_SRCS: the server as a library (vgpu_server_start in
# vgpu_host.h), e.g. for an embedded server.  Link with $(VGPU_CLIENT_SRCS)
# objects, the scheduler ($(SCHED_SRCS) or $(SCHED_LIB)) and $(VGPU_SERVER_LIBS).
VGPU_SERVER_SRCS := vgpu/server/server.c vgpu/server/executor.c vgpu/server/exec.c \
	vgpu/server/lane.c \
	vgpu/server/listener.c vgpu/server/tenant.c vgpu/server/stats.c \
	vgpu/server/validate.c vgpu/backend/registry.c vgpu/backend/openblas.c \
	vgpu/backend/cpu_ops.c
VGPU_SERVER_LIBS := -lopenblas -ljansson -lpthread -lm

# The elementwise kernels vectorise only with GCC's "cheap" cost model (-O2
# uses "very cheap", which refuses loops of unknown length): ~3x faster
# ReLU/sigmoid/add over 32k floats here.  GCC builds only; clang (fuzz)
# vectorises at -O2 already.
$(BUILD)/obj/vgpu/backend/cpu_ops.o $(BUILD)/obj-san/vgpu/backend/cpu_ops.o: \
	CFLAGS += -fvect-cost-model=cheap

VGPU_SCHED_SRCS := scheduler/sched.c scheduler/sched_params.c scheduler/sched_stats.c

BINS += $(BUILD)/bin/aivisor-vgpud
$(BUILD)/bin/aivisor-vgpud: $(BUILD)/obj/vgpu/daemon/main.o \
		$(VGPU_SERVER_SRCS:%.c=$(BUILD)/obj/%.o) $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj/%.o) \
		$(VGPU_SCHED_SRCS:%.c=$(BUILD)/obj/%.o) $(SECURITY_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(VGPU_SERVER_LIBS) $(SECURITY_LIBS)

# aivisor-vgpud-cuda: the same daemon with the CUDA backend (--backend
# cuda|auto) when vgpu/cuda.mk found the toolkit.  Separate, because loading
# cuBLAS costs ~0.2-0.9 s per start and every microVM may start a private
# server.  cuda.mk is read after this file: hence $$ and run-time expansion.
BINS += $(BUILD)/bin/aivisor-vgpud-cuda
$(BUILD)/obj/vgpu/backend/registry_cuda.o: vgpu/backend/registry.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(VGPU_CUDA_CFLAGS) -c $< -o $@
$(BUILD)/bin/aivisor-vgpud-cuda: $(BUILD)/obj/vgpu/daemon/main.o \
		$(filter-out %/registry.o,$(VGPU_SERVER_SRCS:%.c=$(BUILD)/obj/%.o)) \
		$(BUILD)/obj/vgpu/backend/registry_cuda.o \
		$(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj/%.o) $(VGPU_SCHED_SRCS:%.c=$(BUILD)/obj/%.o) \
		$(SECURITY_SRCS:%.c=$(BUILD)/obj/%.o) $$(VGPU_CUDA_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(VGPU_SERVER_LIBS) $(SECURITY_LIBS) $(VGPU_CUDA_LIBS)

# The opcode selftest: host program and static microVM guest, same source.
VGPU_SELFTEST_SRCS := vgpu/tests-guest/selftest.c vgpu/tests-guest/main.c
BINS   += $(BUILD)/bin/aivisor-vgpu-selftest
GUESTS += $(BUILD)/guest/vgpu-selftest
$(BUILD)/bin/aivisor-vgpu-selftest: $(VGPU_SELFTEST_SRCS:%.c=$(BUILD)/obj/%.o) \
		$(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lm
$(BUILD)/guest/vgpu-selftest: $(VGPU_SELFTEST_SRCS:%.c=$(BUILD)/obj-musl/%.o) \
		$(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-musl/%.o)
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -o $@ $^ -lm

# Unit tests (cmocka, ASan+UBSan): the server runs in the test process.
# The server started inside a test's process (tests/unit/vgpu_test_server.c).
VGPU_TEST_SERVER_OBJ := $(BUILD)/obj-san/tests/unit/vgpu_test_server.o
VGPU_SAN_OBJS := $(VGPU_SERVER_SRCS:%.c=$(BUILD)/obj-san/%.o) \
	$(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-san/%.o) $(VGPU_SCHED_SRCS:%.c=$(BUILD)/obj-san/%.o)
UNIT_TESTS += $(BUILD)/test/test_vgpu_ops $(BUILD)/test/test_vgpu_validate \
	$(BUILD)/test/test_vgpu_isolation $(BUILD)/test/test_vgpu_chunks $(BUILD)/test/test_vgpu_client \
	$(BUILD)/test/test_vgpu_lane
$(BUILD)/test/test_vgpu_lane: $(BUILD)/obj-san/tests/unit/test_vgpu_lane.o $(VGPU_TEST_SERVER_OBJ) $(VGPU_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(VGPU_SERVER_LIBS)
$(BUILD)/obj-san/tests/unit/test_vgpu_ops.o: CFLAGS += -iquote vgpu/tests-guest
$(BUILD)/obj-san/tests/unit/test_vgpu_validate.o: CFLAGS += -iquote vgpu/server
$(BUILD)/test/test_vgpu_ops: $(BUILD)/obj-san/tests/unit/test_vgpu_ops.o $(VGPU_TEST_SERVER_OBJ) \
		$(BUILD)/obj-san/vgpu/tests-guest/selftest.o $(VGPU_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(VGPU_SERVER_LIBS)
$(BUILD)/test/test_vgpu_validate: $(BUILD)/obj-san/tests/unit/test_vgpu_validate.o \
		$(BUILD)/obj-san/vgpu/server/validate.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka
$(BUILD)/test/test_vgpu_client: $(BUILD)/obj-san/tests/unit/test_vgpu_client.o \
		$(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-san/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka
$(BUILD)/obj-san/tests/unit/test_vgpu_chunks.o: CFLAGS += -iquote vgpu/server
$(BUILD)/test/test_vgpu_chunks: $(BUILD)/obj-san/tests/unit/test_vgpu_chunks.o $(VGPU_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(VGPU_SERVER_LIBS)
$(BUILD)/test/test_vgpu_isolation: $(BUILD)/obj-san/tests/unit/test_vgpu_isolation.o $(VGPU_TEST_SERVER_OBJ) \
		$(VGPU_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(VGPU_SERVER_LIBS)

# Fuzz target: the executor + validator + backend on fuzzer-made windows.
FUZZERS += $(BUILD)/fuzz/vgpu_cmd
VGPU_FUZZ_SRCS := vgpu/server/exec.c vgpu/server/lane.c vgpu/server/validate.c vgpu/backend/openblas.c \
	vgpu/backend/cpu_ops.c $(VGPU_SCHED_SRCS)
$(BUILD)/obj-fuzz/tests/fuzz/fuzz_vgpu_cmd.o: FUZZFLAGS += -iquote vgpu/server
$(BUILD)/fuzz/vgpu_cmd: $(BUILD)/obj-fuzz/tests/fuzz/fuzz_vgpu_cmd.o \
		$(VGPU_FUZZ_SRCS:%.c=$(BUILD)/obj-fuzz/%.o)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZFLAGS) -o $@ $^ -lopenblas -lpthread -lm

# Benchmark program (bench/vgpu.sh).
BENCHES += $(BUILD)/bench/vgpu-bench
$(BUILD)/bench/vgpu-bench: $(BUILD)/obj/vgpu/bench/vgpu_bench.o $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lopenblas -lm
# The same benchmark as a static microVM guest (vGPU side only).
BENCHES += $(BUILD)/guest/vgpu-bench-guest
$(BUILD)/obj-musl/vgpu/bench/vgpu_bench.o: GCFLAGS += -DVGPU_BENCH_GUEST
$(BUILD)/guest/vgpu-bench-guest: $(BUILD)/obj-musl/vgpu/bench/vgpu_bench.o \
		$(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-musl/%.o)
	@mkdir -p $(@D)
	$(MUSLCC) $(GCFLAGS) -o $@ $^ -lm
