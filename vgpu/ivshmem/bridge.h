/*
 * bridge.h - the ivshmem bridge: gives one QEMU guest a vGPU window.
 *
 * Per tenant the bridge creates the window (a sealed memfd, vgpu_host.h),
 * attaches to the vGPU server as an ordinary tenant, and serves QEMU's
 * ivshmem-doorbell protocol (ivshmem_proto.h) on the tenant's own UNIX
 * socket: QEMU gets the window as its shared memory, the server's doorbell
 * eventfd as peer 0's vector 0 and the completion eventfd as its own
 * vector.  The bridge is not on the data path: after the greeting, guest
 * and server talk through the window and the eventfds only.
 *
 * One QEMU at a time per socket; a second connection is refused (closed).
 * When QEMU disconnects (the guest stopped, or QEMU died mid-command) the
 * bridge detaches that window and attaches a fresh one for the next boot,
 * so a guest never sees a previous guest's memory and the server and
 * other tenants carry on.
 *
 * Functions return 0 or a negative errno with a one-line reason in err.
 */
#ifndef IVSHMEM_BRIDGE_H
#define IVSHMEM_BRIDGE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vgpu_host.h"

struct ivshmem_bridge_config {
	const char *listen_path;  /* socket QEMU connects to (<shmem><server path=...>) */
	const char *vgpu_socket;  /* vGPU server; NULL = VGPU_DEFAULT_SOCKET */
	uint64_t window_size;     /* bytes; a power of two (it becomes a PCI BAR) */
	uint32_t sq_entries;      /* 0 = VGPU_SQ_DEFAULT */
	struct vgpu_tenant_opts tenant;
	mode_t socket_mode;       /* permissions of listen_path; 0 = 0600 */
	uid_t socket_uid;         /* owner given to listen_path; (uid_t)-1 = keep */
	gid_t socket_gid;         /* group given to listen_path; (gid_t)-1 = keep */
	void (*log)(const char *line); /* events (connect, refuse, ...); NULL = none */
};

struct ivshmem_bridge;

/* Creates and attaches the first window and listens on listen_path
 * (replacing a stale socket file; the path appears only once it accepts). */
int ivshmem_bridge_open(const struct ivshmem_bridge_config *c, struct ivshmem_bridge **out,
			char *err, size_t errlen);

/* Serves until *stop becomes non-zero (checked whenever a signal arrives:
 * ppoll waits with waitmask, so signals blocked by the caller and set in
 * no waitmask are delivered only while waiting) or until a fatal error: the
 * vGPU server hung up (-ECONNRESET) or a fresh window could not be
 * attached. */
int ivshmem_bridge_run(struct ivshmem_bridge *b, const sigset_t *waitmask,
		       volatile sig_atomic_t *stop, char *err, size_t errlen);

/* Connections served so far (QEMU greeted), for tests and stats. */
uint64_t ivshmem_bridge_sessions(const struct ivshmem_bridge *b);

/* Closes the QEMU connection, detaches, removes listen_path. */
void ivshmem_bridge_close(struct ivshmem_bridge *b);

#endif
