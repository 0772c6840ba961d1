/*
 * registry_internal.h - the registry's data, shared by registry.c (the
 * table and persistence) and lifecycle.c (processes, monitor, restarts).
 * Everything here is protected by registry.lock.
 */
#ifndef AIVISOR_REGISTRY_INTERNAL_H
#define AIVISOR_REGISTRY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "admission.h"
#include "cgroup_cpu.h"
#include "registry_daemon.h"
#include "vm_process.h"

struct tenant {
	struct tenant_def def;
	enum tenant_state state;
	struct vm_proc proc;        /* pidfd -1 when no process */
	bool our_child;             /* spawned by this daemon: exit status is ours to reap */
	bool stop_requested;
	bool busy;                  /* a stop owns the tenant */
	unsigned users;             /* threads waiting on it; it may not be freed */
	time_t started_at, ended_at;
	unsigned restarts, crashes;
	enum tenant_exit_kind last_exit;
	int exit_code, exit_signal;
	int64_t restart_due_ms;     /* monotonic ms; 0 = no restart pending */
	struct cgroup_cpu *cg;      /* its CPU cgroup while running, NULL if none */
	uint32_t id;                /* admission id, unique in this daemon */
	bool admitted;              /* holds host resources in r->adm */
};

struct registry {
	pthread_mutex_t lock;
	pthread_cond_t changed;     /* broadcast on every state change */
	struct tenant **t;
	size_t n, cap;
	struct registry_config cfg;
	char boot_id[40];
	struct cgroup_cpu_host cg_host;
	bool cg_ok;                 /* CPU cgroups usable: weights, caps, pinning apply */
	struct admission *adm;      /* host memory / vGPU memory / CPUs held by running tenants */
	uint32_t next_id;
	int epfd, wakefd;
	pthread_t monitor;
	bool monitor_running;
	pthread_t qemu_watcher;     /* polls kind qemu tenants' domains (qemu_tenant.c) */
	bool qemu_watcher_running;
	bool closing;
};

/* registry.c */
/* Formats an error into err/errlen (either may be NULL/0) and returns rc, so
 * that a failure path is one statement: return registry__set_err(...). */
int registry__set_err(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
struct tenant *registry__find(struct registry *r, const char *name);
int registry__persist(struct registry *r, struct tenant *t, char *err, size_t errlen);
void registry__log_path(const struct registry *r, const struct tenant_def *d, char *out, size_t size);

/* tenant_cgroup.c: CPU slicing of a running tenant (no-ops without cgroups) */
void tenant_cgroup_init(struct registry *r);
void tenant_cgroup_attach(struct registry *r, struct tenant *t);
void tenant_cgroup_release(struct tenant *t);
int tenant_cgroup_update(struct tenant *t, char *err, size_t errlen);

/* tenant_admission.c: running tenants must fit the host */
int tenant_admission_init(struct registry *r, char *err, size_t errlen);
int tenant_admit(struct registry *r, struct tenant *t, bool force, char *err, size_t errlen);
void tenant_admission_release(struct registry *r, struct tenant *t);
int tenant_admission_update(struct registry *r, struct tenant *t, const struct tenant_def *d, char *err,
			    size_t errlen);

/* lifecycle.c */
int lifecycle__watch(struct registry *r, struct tenant *t);
/* A start this daemon made: t runs as its child p, fresh (no stop asked, no
 * last exit, no restart pending). Locked; the caller persists it. */
void lifecycle__record_start(struct tenant *t, const struct vm_proc *p);
void lifecycle__record_end(struct registry *r, struct tenant *t, enum tenant_exit_kind kind, int code, int sig);
int lifecycle__spawn(struct registry *r, struct tenant *t, char *err, size_t errlen);
int lifecycle__monitor_start(struct registry *r, char *err, size_t errlen);
void lifecycle__monitor_stop(struct registry *r);
bool lifecycle__wait_ended(struct registry *r, struct tenant *t, int64_t deadline_ms);
int64_t lifecycle__backoff_ms(unsigned restarts);

/* qemu_tenant.c: kind qemu tenants, run as libvirt domains with an ivshmem
 * bridge process (t->proc) instead of a VMM process. */
int qemu_tenant__complete_def(const struct registry *r, struct tenant_def *d, char *err, size_t errlen);
void qemu_tenant__log_path(const struct registry *r, const struct tenant_def *d, char *out, size_t size);
/* Locked on entry and return; the lock is dropped while libvirt works,
 * with the tenant marked busy. */
int qemu_tenant__start(struct registry *r, struct tenant *t, char *err, size_t errlen);
int qemu_tenant__stop(struct registry *r, struct tenant *t, bool force, unsigned timeout_s, char *err,
		      size_t errlen);
void qemu_tenant__recover(struct registry *r, struct tenant *t, pid_t pid, uint64_t start_ticks,
			  const char *boot_id);
int qemu_tenant__watcher_start(struct registry *r, char *err, size_t errlen);
void qemu_tenant__watcher_stop(struct registry *r);

/* recovery.c */
void lifecycle__recover(struct registry *r, struct tenant *t, pid_t pid, uint64_t start_ticks,
			const char *boot_id);
void lifecycle__adopt_orphans(struct registry *r);
int64_t lifecycle__now_ms(void);

#endif
