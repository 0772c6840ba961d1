/*
 * report.h - tenant snapshots as the API and the metrics endpoint show
 * them, with the vGPU server's per-tenant accounting merged in.
 */
#ifndef AIVISOR_REPORT_H
#define AIVISOR_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "registry.h"
#include "vgpud.h"

/* Fills vgpu_time_ns / vgpu_queue_wait_ns / vgpu_commands of each running
 * tenant from the vGPU server's stats (matched by tenant name), and, when
 * backend is not NULL, the server's backend ("openblas", "cuda"; "" when
 * the server does not answer). */
void report_add_vgpu(struct vgpud *v, struct tenant_info *ti, size_t n, char *backend, size_t backend_len);

/* {"ok":true,"name","uuid","state","pid","restarts","crashes","last_exit",
 *  "exit_code","exit_signal","started_at","ended_at","vcpus","memory_mib",
 *  "cpu_weight","vgpu_priority","vgpu_weight","cpu_time_ns","rss_kib",
 *  "vgpu_time_ns","vgpu_queue_wait_ns","vgpu_commands"} */
json_t *report_tenant_summary(const struct tenant_info *ti);

/* {"ok":true,"host":{...},"tenants":[summary...]} */
json_t *report_stats(const struct tenant_info *ti, size_t n, const char *vgpu_status, unsigned vgpu_restarts,
		     const char *vgpu_backend);

/* Prometheus text exposition of the same figures; malloc'd. */
char *report_prometheus(const struct tenant_info *ti, size_t n, const char *vgpu_status, unsigned vgpu_restarts,
			const char *vgpu_backend);

const char *tenant_exit_name(enum tenant_exit_kind k);

#endif
