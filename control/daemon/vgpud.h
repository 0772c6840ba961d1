/*
 * vgpud.h - the daemon's vGPU server: started (aivisor-vgpud --socket
 * PATH) and watched by the daemon, restarted when it dies. Tenants started
 * meanwhile get the socket path; their VMMs report an attach error rather
 * than hang, and tenants started after the restart attach normally.
 */
#ifndef AIVISOR_VGPUD_H
#define AIVISOR_VGPUD_H

#include <stdbool.h>
#include <stddef.h>

struct vgpud;

/* binary NULL or missing: no server is run, vgpud_socket() returns NULL.
 * The server we run is recorded in <socket_path>.pid; a server already
 * answering on socket_path is adopted (watched, restarted) when that record
 * names it, else used as is (not owned). threads: the server's backend
 * threads, 0 = its default. */
struct vgpud *vgpud_start(const char *binary, const char *socket_path, const char *log_path, unsigned threads,
			  char *err, size_t errlen);
/* Stops watching. An owned server is terminated when terminate is set;
 * else it is left serving the VMs that outlive the daemon. */
void vgpud_stop(struct vgpud *v, bool terminate);

/* fn(ctx) is called (from the watcher thread) each time the server we run
 * dies, before it is restarted: the tenants attached to it have lost
 * their vGPU. */
void vgpud_on_death(struct vgpud *v, void (*fn)(void *ctx), void *ctx);

/* NULL when there is no vGPU server. */
const char *vgpud_socket(const struct vgpud *v);
/* "running", "restarting", "external" or "absent". */
const char *vgpud_status(struct vgpud *v);
unsigned vgpud_restarts(struct vgpud *v);

/* Per-tenant accounting from the server (vgpu_host.h's vgpu_stats JSON),
 * parsed; NULL (with err) when unavailable. */
struct json_t;
struct json_t *vgpud_stats(struct vgpud *v, char *err, size_t errlen);

#endif
