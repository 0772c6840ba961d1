# vgpu/cuda.mk: the CUDA backend of the vGPU (vgpu/backend/cuda_*).
#
# Built when the CUDA toolkit is present ($(NVCC) exists); everything else
# builds and tests the same without it.  For the vGPU server's link line:
#
#   VGPU_CUDA_SRCS      C sources: the CUDA backend, or (no toolkit) only
#                       the backend choice with a probe that reports
#                       "built without the CUDA toolkit"; any flavour
#   VGPU_CUDA_KERNELS_OBJ  the nvcc-built kernels, vgpu/backend/cuda_kernels_*.cu
#                       (empty without the toolkit),
#                       to link with VGPU_CUDA_SRCS objects of any flavour
#   VGPU_CUDA_OBJS      host objects: $(VGPU_CUDA_SRCS) + kernels
#   VGPU_CUDA_SAN_OBJS  the same for sanitized unit tests
#   VGPU_CUDA_LIBS      libraries to add after the objects (empty without
#                       the toolkit)
#   VGPU_CUDA_CFLAGS    -DAIVISOR_WITH_CUDA with the toolkit: code that
#                       names vgpu_backend_cuda compiles under it
#
# `make gpu-check` runs scripts/gpu-check.sh (needs a GPU).

CUDA_HOME    ?= /usr/local/cuda
NVCC         := $(CUDA_HOME)/bin/nvcc
HAVE_CUDA    := $(if $(wildcard $(NVCC)),1,)
# sm_80 (A100) and sm_90 (H100/H200) code, plus PTX that newer GPUs JIT.
CUDA_GENCODE ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
	-gencode arch=compute_90,code=compute_90
NVCCFLAGS    := -std=c++17 -O3 $(CUDA_GENCODE) \
	-Xcompiler -Wall,-Wextra,-Werror -Werror all-warnings

VGPU_CUDA_COMMON_SRCS := vgpu/backend/cuda_select.c vgpu/backend/cuda_plan.c \
	vgpu/backend/cuda_outputs.c vgpu/backend/cuda_spans.c

ifeq ($(HAVE_CUDA),1)
VGPU_CUDA_SRCS := $(VGPU_CUDA_COMMON_SRCS) vgpu/backend/cuda_probe.c vgpu/backend/cuda_errmap.c \
	vgpu/backend/cuda_tenant.c vgpu/backend/cuda_transfer.c vgpu/backend/cuda_backend.c
VGPU_CUDA_KERNELS_OBJ := $(patsubst %.cu,$(BUILD)/obj-cuda/%.o,$(wildcard vgpu/backend/cuda_kernels_*.cu))
VGPU_CUDA_OBJS     := $(VGPU_CUDA_SRCS:%.c=$(BUILD)/obj/%.o) $(VGPU_CUDA_KERNELS_OBJ)
VGPU_CUDA_SAN_OBJS := $(VGPU_CUDA_SRCS:%.c=$(BUILD)/obj-san/%.o) $(VGPU_CUDA_KERNELS_OBJ)
VGPU_CUDA_LIBS     := -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
VGPU_CUDA_CFLAGS   := -DAIVISOR_WITH_CUDA

# The CUDA headers are system headers: our warnings apply to our code only.
$(BUILD)/obj/vgpu/backend/cuda_%.o $(BUILD)/obj-san/vgpu/backend/cuda_%.o \
$(BUILD)/obj-san/tests/unit/test_vgpu_cuda_%.o: \
	CFLAGS += -isystem $(CUDA_HOME)/include

$(BUILD)/obj-cuda/%.o: %.cu vgpu/backend/cuda_kernels.h vgpu/backend/cuda_kernels_common.cuh
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) -c $< -o $@
# Whoever links the backend's objects finds the kernels built (a link
# line that has $(VGPU_CUDA_SRCS) objects adds $(VGPU_CUDA_KERNELS_OBJ)).
$(VGPU_CUDA_SRCS:%.c=$(BUILD)/obj/%.o) $(VGPU_CUDA_SRCS:%.c=$(BUILD)/obj-san/%.o): \
	| $(VGPU_CUDA_KERNELS_OBJ)

# Needs a GPU to test anything beyond the no-GPU paths, which it checks here.
UNIT_TESTS += $(BUILD)/test/test_vgpu_cuda_backend
$(BUILD)/test/test_vgpu_cuda_backend: $(BUILD)/obj-san/tests/unit/test_vgpu_cuda_backend.o \
		$(VGPU_CUDA_SAN_OBJS) $(BUILD)/obj-san/vgpu/backend/openblas.o \
		$(BUILD)/obj-san/vgpu/backend/cpu_ops.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(VGPU_CUDA_LIBS) -lopenblas -lm

# sgemm through the backend vs cuBLAS called directly, same process.
BENCHES += $(BUILD)/bench/vgpu-cuda-sgemm
# With the embedded server for the whole path (its CUDA-aware registry
# object comes from vgpu.mk, as for aivisor-vgpud-cuda).
$(BUILD)/bench/vgpu-cuda-sgemm: $(BUILD)/obj/vgpu/backend/cuda_bench_sgemm.o $(VGPU_CUDA_OBJS) \
		$(filter-out %/registry.o,$(VGPU_SERVER_SRCS:%.c=$(BUILD)/obj/%.o)) \
		$(BUILD)/obj/vgpu/backend/registry_cuda.o \
		$(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj/%.o) $(VGPU_SCHED_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(VGPU_SERVER_LIBS) $(VGPU_CUDA_LIBS)
else
VGPU_CUDA_SRCS := $(VGPU_CUDA_COMMON_SRCS) vgpu/backend/cuda_probe_none.c
VGPU_CUDA_KERNELS_OBJ :=
VGPU_CUDA_OBJS     := $(VGPU_CUDA_SRCS:%.c=$(BUILD)/obj/%.o)
VGPU_CUDA_SAN_OBJS := $(VGPU_CUDA_SRCS:%.c=$(BUILD)/obj-san/%.o)
VGPU_CUDA_LIBS     :=
VGPU_CUDA_CFLAGS   :=
endif

# No GPU, no toolkit needed: chunk mapping, backend choice, and the
# finiteness and transfer spans checked against the CPU backend on
# validated commands.
UNIT_TESTS += $(BUILD)/test/test_vgpu_cuda_plan $(BUILD)/test/test_vgpu_cuda_select \
	$(BUILD)/test/test_vgpu_cuda_outputs $(BUILD)/test/test_vgpu_cuda_spans
$(BUILD)/test/test_vgpu_cuda_spans: $(BUILD)/obj-san/tests/unit/test_vgpu_cuda_spans.o \
		$(BUILD)/obj-san/vgpu/backend/cuda_spans.o $(BUILD)/obj-san/vgpu/backend/cuda_outputs.o \
		$(BUILD)/obj-san/vgpu/backend/openblas.o \
		$(BUILD)/obj-san/vgpu/backend/cpu_ops.o $(BUILD)/obj-san/vgpu/server/validate.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka -lopenblas -lm
$(BUILD)/test/test_vgpu_cuda_outputs: $(BUILD)/obj-san/tests/unit/test_vgpu_cuda_outputs.o \
		$(BUILD)/obj-san/vgpu/backend/cuda_outputs.o $(BUILD)/obj-san/vgpu/backend/cpu_ops.o \
		$(BUILD)/obj-san/vgpu/server/validate.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka -lm
$(BUILD)/test/test_vgpu_cuda_plan: $(BUILD)/obj-san/tests/unit/test_vgpu_cuda_plan.o \
		$(BUILD)/obj-san/vgpu/backend/cuda_plan.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka
$(BUILD)/test/test_vgpu_cuda_select: $(BUILD)/obj-san/tests/unit/test_vgpu_cuda_select.o \
		$(VGPU_CUDA_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcmocka $(VGPU_CUDA_LIBS)

gpu-check:
	@scripts/gpu-check.sh
