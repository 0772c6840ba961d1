# vgpu/: the vGPU (ABI, client library, server, backends, daemon).
#
# VGPU_CLIENT_SRCS: libvgpu, for anything that is a tenant.  Compiles for
# the host (build/obj), sanitized (build/obj-san) and static musl guests
# (build/obj-musl): link $(VGPU_CLIENT_SRCS:%.c=$(BUILD)/obj-musl/%.o).
VGPU_CLIENT_SRCS := vgpu/client/client.c vgpu/client/queue.c vgpu/client/encode.c \
	vgpu/client/arena.c vgpu/host/window.c vgpu/host/attach.c
