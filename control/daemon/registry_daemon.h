/*
 * registry_daemon.h - the parts of the registry only the daemon's own
 * main and endpoints use: opening it over a state directory (which recovers
 * definitions and re-attaches to running VMs) and per-tenant log paths.
 */
#ifndef AIVISOR_REGISTRY_DAEMON_H
#define AIVISOR_REGISTRY_DAEMON_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

struct registry_config {
	char state_dir[PATH_MAX];
	char vmm_path[PATH_MAX];
	char vgpu_socket[PATH_MAX];   /* "" = tenants get no vGPU wiring */
	uint64_t log_cap_bytes;       /* console log size cap, rotated to .1 */
	uint64_t reserve_mib;         /* host memory kept out of admission */
	/* kind qemu tenants (docs/QEMU.md) */
	char qemu_uri[PATH_MAX];      /* libvirt connection, default qemu:///system */
	char qemu_dir[PATH_MAX];      /* bridge sockets and serial logs; only QEMU's user may search it */
	char ivshmem_path[PATH_MAX];  /* the aivisor-ivshmem bridge */
	char images_dir[PATH_MAX];    /* default vmlinuz and initramfs.cpio.gz */
};

/* Loads every record in the state dir, re-attaches to VMs still running,
 * records how the others ended, and starts the monitor thread. */
struct registry *registry_open(const struct registry_config *cfg, char *err, size_t errlen);

/* Stops the monitor. Running VMs are left running (a later daemon
 * re-attaches to them). */
void registry_close(struct registry *r);

/* The vGPU server died: every running tenant with a vGPU lost it, and its
 * guest would wait forever for completions. Kills their VMs, so each ends
 * as a crash and is restarted per its policy onto the restarted server. */
void registry_vgpu_lost(void *registry);

/* Where the tenant's console output goes. -ENOENT for an unknown name. */
int registry_log_path(struct registry *r, const char *name, char *out, size_t size);

#endif
