/*
 * vgpu_host.h - the host side of attaching a tenant to the vGPU server:
 * window creation, attach over the server's UNIX socket, stats, and an
 * embedded server that a process can run in a thread.
 *
 * Users: aivisor-vmm (creates a window, maps it into the guest, registers
 * the doorbell eventfd with KVM_IOEVENTFD and blocks on the completion
 * eventfd for AIVISOR_SYS_VGPU_WAIT), host-process tenants (through
 * vgpu_client.h, which calls this), the daemon (stats), tests.
 *
 * All functions return 0 or a negative errno and, on error, write a
 * one-line message into err (when err is not NULL).  Nothing is printed.
 */
#ifndef VGPU_HOST_H
#define VGPU_HOST_H

#include <stddef.h>
#include <stdint.h>

#define VGPU_DEFAULT_SOCKET "/run/aivisor/vgpu.sock"
#define VGPU_NAME_MAX       64     /* tenant name, including the NUL */
#define VGPU_WEIGHT_MIN     1u
#define VGPU_WEIGHT_MAX     10000u
#define VGPU_WEIGHT_DEFAULT 100u

/* Priority classes: strict order between classes, weighted fair sharing
 * inside a class. */
enum vgpu_prio {
	VGPU_PRIO_HIGH = 0,
	VGPU_PRIO_NORMAL = 1,
	VGPU_PRIO_LOW = 2,
};

/* A window: a memfd sealed against shrinking and growing (F_SEAL_SHRINK |
 * F_SEAL_GROW | F_SEAL_SEAL; the server refuses unsealed windows, so a
 * tenant can never make the server fault by truncating it), mapped shared
 * at base, with its control page initialised (vgpu_abi.h). */
struct vgpu_window {
	int fd;
	void *base;
	uint64_t size;
};

/* size: bytes, rounded up to a page; it is the tenant's device-memory
 * quota (minus the control page and rings).  sq_entries: 0 = default
 * (VGPU_SQ_DEFAULT); the completion ring gets the same number of entries. */
int vgpu_window_create(uint64_t size, uint32_t sq_entries, struct vgpu_window *w,
		       char *err, size_t errlen);
void vgpu_window_destroy(struct vgpu_window *w);

struct vgpu_tenant_opts {
	const char *name;    /* shown in stats; NULL = "pid-<pid>" */
	int prio;            /* enum vgpu_prio */
	uint32_t weight;     /* VGPU_WEIGHT_MIN..MAX; 0 = default */
};

/* A live attachment.  The tenant stays attached while sock is open; closing
 * it (or the process dying) detaches the tenant on the server. */
struct vgpu_attachment {
	int sock;
	int doorbell_fd;     /* eventfd: write 1 to ring (or KVM_IOEVENTFD) */
	int complete_fd;     /* eventfd: the server signals it for waiters */
	uint32_t tenant_id;
};

/* Creates the two eventfds (non-blocking, close-on-exec), connects to
 * socket_path (NULL = VGPU_DEFAULT_SOCKET), passes window fd + eventfds with
 * SCM_RIGHTS plus the options, and waits for the server's verdict.  A
 * refusal returns its errno and the server's message in err. */
int vgpu_attach(const char *socket_path, const struct vgpu_window *w,
		const struct vgpu_tenant_opts *o, struct vgpu_attachment *a,
		char *err, size_t errlen);
void vgpu_detach(struct vgpu_attachment *a);

/* Per-tenant accounting as JSON text (caller frees *json):
 * {"backend":..., "threads":N, "tenants":[{"id","name","prio","weight",
 *  "arena_bytes","commands","errors","busy_ns","queue_wait_ns","status"}]} */
int vgpu_stats(const char *socket_path, char **json, char *err, size_t errlen);

/* Live re-weighting: sets the priority class and weight of an attached
 * tenant, named by tenant_id (nonzero, as vgpu_attach returned it) or else
 * by name, at once (the scheduler keeps its accounting and busy state).
 * -ENOENT: no such tenant attached; -EEXIST: the name is not unique (use
 * the id); -EINVAL: class or weight out of range. */
int vgpu_tenant_set(const char *socket_path, const char *name, uint32_t tenant_id, int prio,
		    uint32_t weight, char *err, size_t errlen);

/* The embedded server (the same code as aivisor-vgpud), run in threads of
 * the calling process, e.g. for `aivisor run --vgpu-memory` when no server
 * is running. */
struct vgpu_server_config {
	const char *socket_path; /* NULL = VGPU_DEFAULT_SOCKET; the parent
	                            directory is created if missing */
	int threads;             /* backend threads; 0 = online cores */
	uint32_t slice_us;       /* scheduling slice; 0 = default 2000 */
	const char *backend;     /* NULL or "openblas" */
	/* Optional: called once the socket is bound and the backend (with its
	 * threads) initialised, before the server's own threads start, so
	 * they inherit what it sets up (aivisor-vgpud: sandbox_isolate's
	 * namespaces).  Nonzero (with err) refuses to start.  After start the
	 * server needs no file system: attach goes over the bound socket. */
	int (*before_threads)(void *arg, char *err, size_t errlen);
	void *before_threads_arg;
};
struct vgpu_server;

int vgpu_server_start(const struct vgpu_server_config *c, struct vgpu_server **out,
		      char *err, size_t errlen);
/* The backend the server runs ("openblas", "cuda"). */
const char *vgpu_server_backend(const struct vgpu_server *s);
/* Why that backend was chosen ("auto": the device found, or why there is
 * none); "" when it was asked for by name. */
const char *vgpu_server_backend_reason(const struct vgpu_server *s);
/* Stops the threads, detaches every tenant, removes the socket. */
void vgpu_server_stop(struct vgpu_server *s);

/* 1 when a server answers on socket_path, else 0. */
int vgpu_server_alive(const char *socket_path);

#endif
