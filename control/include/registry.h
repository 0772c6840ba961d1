/*
 * registry.h - the daemon's tenant registry: the one place tenants are
 * defined, started, stopped and inspected. The JSON API (aivisord) and the
 * libvirt endpoint both call these functions; every function is
 * thread-safe (one registry lock, never held across a blocking wait).
 *
 * Definitions are persisted in the state directory before a call returns,
 * so a definition acknowledged to a client survives a SIGKILL of the daemon.
 *
 * Every function returning int returns 0 on success or a negative errno:
 *   -ENOENT  no tenant by that name/uuid
 *   -EEXIST  a different tenant already has that name or uuid
 *   -EINVAL  invalid definition or parameter (reason in err)
 *   -EBUSY   the operation conflicts with the tenant's state (running,
 *            being stopped, being changed by a concurrent call)
 *   -ENOSPC  / -EIO / ...  persisting failed; the old definition is intact
 *   -ESRCH   the tenant is not running (stop/set-live on a stopped tenant)
 * and, where it takes err/errlen, a one-line human reason in err.
 */
#ifndef AIVISOR_REGISTRY_H
#define AIVISOR_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "tenant.h"

struct registry;

enum tenant_state {
	TENANT_STATE_SHUTOFF,   /* defined, not running (never started, or ended cleanly) */
	TENANT_STATE_RUNNING,   /* its VMM process is alive */
	TENANT_STATE_STOPPING,  /* shutdown requested, VMM still alive */
	TENANT_STATE_CRASHED,   /* ended abnormally and is not being restarted */
};

/* How the tenant's last VMM process ended. */
enum tenant_exit_kind {
	TENANT_EXIT_NONE,       /* never ran / still running */
	TENANT_EXIT_CODE,       /* exited with exit_code */
	TENANT_EXIT_SIGNAL,     /* killed by signal exit_signal */
	TENANT_EXIT_UNKNOWN,    /* ended while the daemon was not attached (status lost) */
};

/* A snapshot of one tenant: definition plus runtime state. */
struct tenant_info {
	struct tenant_def def;
	enum tenant_state state;
	pid_t pid;                      /* VMM pid while running, else 0 */
	time_t started_at;              /* wall clock of the last start, 0 if never */
	unsigned restarts;              /* automatic restarts so far (reset by start) */
	unsigned crashes;               /* abnormal ends recorded, ever */
	enum tenant_exit_kind last_exit;
	int exit_code;
	int exit_signal;
	time_t ended_at;
	/* Live figures, 0 when not running or not available. */
	uint64_t cpu_time_ns;           /* VMM process user+system time */
	uint64_t rss_kib;               /* VMM process resident memory */
	uint64_t vgpu_time_ns;          /* vGPU execution time charged to it */
	uint64_t vgpu_queue_wait_ns;    /* time its commands waited in the vGPU queue */
	uint64_t vgpu_commands;
};

/* Parameters `set` may change on a running (or stopped) tenant.
 * A field is applied only when its has_ flag is set. */
struct tenant_live_params {
	bool has_cpu_weight;
	unsigned cpu_weight;
	bool has_cpu_cap_percent;
	unsigned cpu_cap_percent;
	bool has_vgpu_weight;
	unsigned vgpu_weight;
	bool has_vgpu_priority;
	enum tenant_priority vgpu_priority;
};

/* Define a new tenant, or replace the definition of a stopped one with the
 * same name (and same uuid, when the new one names a uuid). A running tenant
 * cannot be redefined (-EBUSY). An empty uuid gets a generated one. The
 * stored definition (with its uuid) is copied to *stored when non-NULL. */
int registry_define(struct registry *r, const struct tenant_def *def,
		    struct tenant_def *stored, char *err, size_t errlen);

/* Remove a stopped tenant's definition (running: -EBUSY). */
int registry_undefine(struct registry *r, const char *name, char *err, size_t errlen);

/* Snapshots. lookup_uuid accepts the canonical lowercase form. */
int registry_lookup(struct registry *r, const char *name, struct tenant_info *out);
int registry_lookup_uuid(struct registry *r, const char *uuid, struct tenant_info *out);

/* All tenants sorted by name, into a malloc'd array the caller frees.
 * With running_only, only RUNNING/STOPPING tenants. */
int registry_list(struct registry *r, bool running_only, struct tenant_info **out, size_t *count);

/* Start a stopped tenant's VMM process. Running already: -EBUSY. */
int registry_start(struct registry *r, const char *name, char *err, size_t errlen);

/* Stop a running tenant. Graceful: SIGTERM to the VMM (which stops the
 * guest), then SIGKILL after timeout_s seconds. force: SIGKILL at once.
 * Blocks until the process is gone. A stopped tenant: -ESRCH. */
int registry_stop(struct registry *r, const char *name, bool force, unsigned timeout_s,
		  char *err, size_t errlen);

/* Change live parameters; persisted, and applied to the running VMM's CPU
 * cgroup and vGPU scheduler when it is running. */
int registry_set_live(struct registry *r, const char *name, const struct tenant_live_params *p,
		      char *err, size_t errlen);

/* Number of defined tenants (for host-level summaries). */
size_t registry_count(struct registry *r);

const char *tenant_state_name(enum tenant_state s);

#endif
