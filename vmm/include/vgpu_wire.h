/*
 * vgpu_wire.h - gives a microVM a vGPU: the tenant's window (memfd) mapped
 * into guest-physical memory above RAM, a doorbell address that
 * KVM_IOEVENTFD turns into an eventfd signal for the vGPU server (no exit
 * to the VMM), and the completion eventfd AIVISOR_SYS_VGPU_WAIT blocks on.
 *
 * The server is the one at --vgpu-socket, or, without it, an
 * aivisor-vgpud started by the VMM on a private socket for this VM only.
 */
#ifndef AIVISOR_VGPU_WIRE_H
#define AIVISOR_VGPU_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest_mem.h"
#include "kvm_x86_64.h"
#include "vgpu_host.h"

struct vgpu_wire_opts {
	uint64_t memory_mib;   /* window size; 0 = no vGPU */
	const char *socket;    /* NULL: start a private aivisor-vgpud */
	int prio;              /* enum vgpu_prio */
	uint32_t weight;       /* 0 = server default */
	const char *name;      /* tenant name, NULL = server default */
	bool quiet_server;     /* private server's output to /dev/null */
	/* Run a private server as this user (the VMM's own run-phase user
	 * when it is sandboxed), so the VMM can still stop it after its own
	 * uid switch; -1: keep ours. */
	long server_uid, server_gid;
};

struct vgpu_wire {
	struct vgpu_window win;
	struct vgpu_attachment att;
	pid_t server_pid;      /* private server, or 0 */
	char dir[64];          /* private server's socket directory, or "" */
	gpa_t win_gpa, doorbell_gpa;
	uint64_t win_size;
	char env[128];         /* AIVISOR_VGPU=mvm:... for the program */
};

/* Creates the window above ram_size and attaches it to the server.
 * Returns 0 or -1 with a message in err (everything is undone). */
int vgpu_wire_attach(struct vgpu_wire *v, const struct vgpu_wire_opts *o, uint64_t ram_size,
		     char *err, size_t errlen);

/* Adds the window as memory slot `slot`, registers the doorbell and
 * records the window in m (so syscalls may name window addresses). */
int vgpu_wire_map(struct vgpu_wire *v, struct kvm_vm *vm, uint32_t slot, struct guest_mem *m,
		  char *err, size_t errlen);

/* Detaches, stops a private server, unmaps the window. */
void vgpu_wire_close(struct vgpu_wire *v);

#endif
