/*
 * qemu_bridge.h - start and stop a tenant's aivisor-ivshmem bridge process
 * (vgpu/ivshmem/bridge.h), the vGPU endpoint its QEMU domain connects to.
 * One bridge process per QEMU tenant, like one VMM process per microVM.
 *
 * Functions return 0 or a negative errno with a one-line reason in err.
 */
#ifndef AIVISOR_QEMU_BRIDGE_H
#define AIVISOR_QEMU_BRIDGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct qemu_bridge_opts {
	const char *program;      /* path of aivisor-ivshmem */
	const char *socket;       /* the tenant's bridge socket (QEMU connects here) */
	const char *vgpu_socket;  /* vGPU server; NULL = its default */
	const char *name;         /* tenant name for the vGPU server's stats */
	uint64_t memory_mib;      /* window size, a power of two */
	const char *prio;         /* "high" | "normal" | "low"; NULL = normal */
	unsigned weight;          /* 0 = the server's default */
	const char *log_path;     /* bridge's stderr; NULL = inherit */
	const char *socket_owner; /* "UID:GID" for the socket; NULL = the user QEMU
	                             runs as under libvirt (qemu_bridge_qemu_owner) */
};

/* "UID:GID" of the user libvirt runs QEMU as (libvirt-qemu on Debian,
 * qemu on Fedora/RHEL) into buf, or "" when there is no such user (QEMU
 * then runs as root and the socket keeps its owner). */
void qemu_bridge_qemu_owner(char *buf, size_t len);

/* Starts the bridge and waits (up to timeout_ms) until it reports that
 * QEMU can connect.  If it fails to start, its error line is in err. */
int qemu_bridge_start(const struct qemu_bridge_opts *o, unsigned timeout_ms, pid_t *pid,
		      char *err, size_t errlen);

/* SIGTERM, then SIGKILL after timeout_ms; reaps it.  Returns 0 when it
 * exited 0, -ECHILD if it ended otherwise (an error the caller may log). */
int qemu_bridge_stop(pid_t pid, unsigned timeout_ms, char *err, size_t errlen);

#endif
