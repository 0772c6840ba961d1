/*
 * tenant_cgroup.c - each running tenant's VMM in a CPU cgroup of its own
 * (scheduler/include/cgroup_cpu.h), carrying the tenant's CPU weight, cap
 * and pinning, changed live by `set`.
 *
 * Groups are named t-<uuid>, not by tenant name: two daemons (two state
 * directories) may each have a tenant called "web", and must not share a
 * group. Without usable cgroups the daemon still runs tenants, unsliced,
 * and says so once at start.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "registry_internal.h"

void tenant_cgroup_init(struct registry *r)
{
	char err[300];
	r->cg_ok = cgroup_cpu_detect(&r->cg_host, err, sizeof(err)) == 0;
	if (r->cg_ok)
		log_info("CPU slicing: cgroup v%d at %s", (int)r->cg_host.version, r->cg_host.cpu_root);
	else
		log_warn("CPU slicing off (tenants run without weights, caps or pinning): %s", err);
}

static void limits_of(const struct tenant_def *d, struct cgroup_cpu_limits *lim)
{
	cgroup_cpu_limits_init(lim);
	lim->weight = d->cpu_weight;
	lim->cap_pct = d->cpu_cap_percent;
	snprintf(lim->cpus, sizeof(lim->cpus), "%s", d->cpu_pinning);
}

void tenant_cgroup_attach(struct registry *r, struct tenant *t)
{
	char name[48], err[300];
	struct cgroup_cpu_limits lim;
	if (!r->cg_ok)
		return;
	snprintf(name, sizeof(name), "t-%s", t->def.uuid);
	limits_of(&t->def, &lim);
	if (!t->cg && cgroup_cpu_create(&r->cg_host, name, &t->cg, err, sizeof(err))) {
		log_warn("tenant '%s': no CPU cgroup, running unsliced: %s", t->def.name, err);
		return;
	}
	if (cgroup_cpu_set_limits(t->cg, &lim, err, sizeof(err)) ||
	    cgroup_cpu_attach_process(t->cg, t->proc.pid, err, sizeof(err))) {
		log_warn("tenant '%s': CPU cgroup %s: %s", t->def.name, cgroup_cpu_path(t->cg), err);
		return;
	}
	log_debug("tenant '%s': pid %d in %s", t->def.name, (int)t->proc.pid, cgroup_cpu_path(t->cg));
}

void tenant_cgroup_release(struct tenant *t)
{
	char err[300];
	if (t->cg && cgroup_cpu_destroy(t->cg, err, sizeof(err)))
		log_warn("tenant '%s': removing its CPU cgroup: %s", t->def.name, err);
	t->cg = NULL;
}

int tenant_cgroup_update(struct tenant *t, char *err, size_t errlen)
{
	struct cgroup_cpu_limits lim;
	if (!t->cg)
		return 0;
	limits_of(&t->def, &lim);
	return cgroup_cpu_set_limits(t->cg, &lim, err, errlen);
}
