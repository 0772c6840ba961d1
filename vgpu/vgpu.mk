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
	vgpu/server/listener.c vgpu/server/tenant.c vgpu/server/stats.c \
	vgpu/server/validate.c vgpu/backend/registry.c vgpu/backend/openblas.c \
	vgpu/backend/cpu_ops.c
VGPU_SERVER_LIBS := -lopenblas -ljansson -lpthread -lm

VGPU_SCHED_SRCS := scheduler/sched.c scheduler/sched_params.c scheduler/sched_stats.c

BINS += $(BUILD)/bin/aivisor-vgpud
$(BUILD)/bin/aivisor-vgpud: $(BUILD)/obj/vgpu/daemon/main.o \
		$(VGPU_SERVER_SRCS:%.c=$(BUILD)/obj/%.o) $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj/%.o) \
		$(VGPU_SCHED_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(VGPU_SERVER_LIBS)
