/*
 * tenant_admission.c - a tenant starts only if it fits next to the running
 * ones (scheduler/include/admission.h): host memory for its RAM and vGPU
 * window, vGPU memory, and caps/pinning within the host's CPUs. A refusal
 * names what does not fit, instead of a VM that fails or swaps later.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/sysinfo.h>

#include "log.h"
#include "registry_internal.h"

int tenant_admission_init(struct registry *r, char *err, size_t errlen)
{
	struct admission_capacity cap;
	struct sysinfo si;
	if (sysinfo(&si)) {
		snprintf(err, errlen, "sysinfo: %m");
		return -errno;
	}
	/* The CPU vGPU backend computes in host memory: its device memory is
	 * the host's. */
	uint64_t vgpu_mem = (uint64_t)si.totalram * si.mem_unit;
	int rc = admission_capacity_detect(&cap, r->cfg.reserve_mib << 20, vgpu_mem, err, errlen);
	if (rc)
		return rc;
	r->adm = admission_create(&cap);
	if (!r->adm) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	log_info("admission: %llu MiB of host memory, %u CPUs for tenants",
		 (unsigned long long)(cap.mem_bytes >> 20), cap.ncpus);
	return 0;
}

static void request_of(const struct tenant_def *d, struct admission_request *q)
{
	q->ram_bytes = d->memory_mib << 20;
	q->vgpu_window_bytes = d->vgpu_memory_mib << 20;
	q->vgpu_min_permille = 0;
	q->cpu_cap_pct = d->cpu_cap_percent;
	struct cgroup_cpu_limits lim;
	cgroup_cpu_limits_init(&lim);
	snprintf(lim.cpus, sizeof(lim.cpus), "%s", d->cpu_pinning);
	q->cpu_max = cgroup_cpu_limits_max_cpu(&lim);
}

/* force: a VM that already runs (re-attached after a daemon restart) is
 * counted even when it does not fit, with a warning. Locked. */
int tenant_admit(struct registry *r, struct tenant *t, bool force, char *err, size_t errlen)
{
	struct admission_request q;
	char why[256];
	if (t->admitted)
		return 0;
	request_of(&t->def, &q);
	int rc = admission_admit(r->adm, t->id, &q, why, sizeof(why));
	if (rc && force) {
		log_warn("tenant '%s' runs beyond the host's capacity: %s", t->def.name, why);
		return 0;
	}
	if (rc) {
		snprintf(err, errlen, "tenant '%s' does not fit: %s", t->def.name, why);
		return -EAGAIN;
	}
	t->admitted = true;
	return 0;
}

void tenant_admission_release(struct registry *r, struct tenant *t)
{
	if (t->admitted && admission_release(r->adm, t->id))
		log_warn("tenant '%s': admission record missing", t->def.name);
	t->admitted = false;
}

/* A live change (cap) of a running tenant must still fit. Locked. */
int tenant_admission_update(struct registry *r, struct tenant *t, const struct tenant_def *d, char *err,
			    size_t errlen)
{
	struct admission_request q;
	char why[256];
	if (!t->admitted)
		return 0;
	request_of(d, &q);
	if (admission_update(r->adm, t->id, &q, why, sizeof(why))) {
		snprintf(err, errlen, "tenant '%s': %s", d->name, why);
		return -EAGAIN;
	}
	return 0;
}
