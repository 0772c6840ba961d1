/*
 * report.c - what clients and Prometheus see of each tenant.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

const char *tenant_exit_name(enum tenant_exit_kind k)
{
	static const char *const names[] = { "none", "exit", "signal", "unknown" };
	return (unsigned)k < 4 ? names[k] : "?";
}

void report_add_vgpu(struct vgpud *v, struct tenant_info *ti, size_t n, char *backend, size_t backend_len)
{
	char err[256];
	if (backend && backend_len)
		backend[0] = '\0';
	json_t *st = vgpud_stats(v, err, sizeof(err));
	if (!st)
		return;
	const char *be = json_string_value(json_object_get(st, "backend"));
	if (backend && backend_len && be)
		snprintf(backend, backend_len, "%s", be);
	const json_t *tenants = json_object_get(st, "tenants");
	size_t i;
	const json_t *e;
	json_array_foreach((json_t *)tenants, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		if (!name)
			continue;
		for (size_t k = 0; k < n; k++) {
			if (strcmp(ti[k].def.name, name) || !ti[k].pid)
				continue;
			/* A tenant may attach more than once (restarts): sum. */
			ti[k].vgpu_time_ns += (uint64_t)json_integer_value(json_object_get(e, "busy_ns"));
			ti[k].vgpu_queue_wait_ns += (uint64_t)json_integer_value(json_object_get(e, "queue_wait_ns"));
			ti[k].vgpu_commands += (uint64_t)json_integer_value(json_object_get(e, "commands"));
		}
	}
	json_decref(st);
}

json_t *report_tenant_summary(const struct tenant_info *t)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "name", json_string(t->def.name));
	json_object_set_new(o, "uuid", json_string(t->def.uuid));
	json_object_set_new(o, "kind", json_string(tenant_kind_name(t->def.kind)));
	json_object_set_new(o, "state", json_string(tenant_state_name(t->state)));
	json_object_set_new(o, "pid", json_integer(t->pid));
	json_object_set_new(o, "restarts", json_integer(t->restarts));
	json_object_set_new(o, "crashes", json_integer(t->crashes));
	json_object_set_new(o, "last_exit", json_string(tenant_exit_name(t->last_exit)));
	json_object_set_new(o, "exit_code", json_integer(t->exit_code));
	json_object_set_new(o, "exit_signal", json_integer(t->exit_signal));
	json_object_set_new(o, "started_at", json_integer((json_int_t)t->started_at));
	json_object_set_new(o, "ended_at", json_integer((json_int_t)t->ended_at));
	json_object_set_new(o, "vcpus", json_integer(t->def.vcpus));
	json_object_set_new(o, "memory_mib", json_integer((json_int_t)t->def.memory_mib));
	json_object_set_new(o, "cpu_weight", json_integer(t->def.cpu_weight));
	json_object_set_new(o, "vgpu_priority", json_string(tenant_priority_name(t->def.vgpu_priority)));
	json_object_set_new(o, "vgpu_weight", json_integer(t->def.vgpu_weight));
	json_object_set_new(o, "cpu_time_ns", json_integer((json_int_t)t->cpu_time_ns));
	json_object_set_new(o, "rss_kib", json_integer((json_int_t)t->rss_kib));
	json_object_set_new(o, "vgpu_time_ns", json_integer((json_int_t)t->vgpu_time_ns));
	json_object_set_new(o, "vgpu_queue_wait_ns", json_integer((json_int_t)t->vgpu_queue_wait_ns));
	json_object_set_new(o, "vgpu_commands", json_integer((json_int_t)t->vgpu_commands));
	return o;
}

json_t *report_stats(const struct tenant_info *ti, size_t n, const char *vgpu_status, unsigned vgpu_restarts,
		     const char *vgpu_backend)
{
	json_t *arr = json_array();
	size_t running = 0;
	for (size_t i = 0; arr && i < n; i++) {
		running += ti[i].pid != 0;
		json_array_append_new(arr, report_tenant_summary(&ti[i]));
	}
	if (!arr)
		return NULL;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return json_pack("{s:b, s:{s:I, s:I, s:s, s:s, s:I, s:I}, s:o}", "ok", 1, "host", "tenants", (json_int_t)n,
			 "running", (json_int_t)running, "vgpu_server", vgpu_status, "vgpu_backend", vgpu_backend,
			 "vgpu_server_restarts",
			 (json_int_t)vgpu_restarts, "monotonic_ns",
			 (json_int_t)now.tv_sec * 1000000000 + now.tv_nsec, "tenants", arr);
}

/* Appends to a growing buffer; on allocation failure the buffer is freed
 * and later appends are no-ops, so the caller checks once at the end. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
		char *np = realloc(b->p, cap);
		if (!np) {
			free(b->p);
			b->p = NULL;
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}


struct metric {
	const char *name, *type, *help;
};

char *report_prometheus(const struct tenant_info *ti, size_t n, const char *vgpu_status, unsigned vgpu_restarts,
			const char *vgpu_backend)
{
	struct sbuf b = { 0 };
	static const struct metric m[] = {
		{ "aivisor_tenant_up", "gauge", "1 if the tenant's VM is running" },
		{ "aivisor_tenant_state", "gauge", "1 for the tenant's current state" },
		{ "aivisor_tenant_restarts", "gauge", "automatic restarts since the last user start" },
		{ "aivisor_tenant_crashes_total", "counter", "abnormal ends of the tenant's VM" },
		{ "aivisor_tenant_cpu_seconds_total", "counter", "CPU time of the VM process" },
		{ "aivisor_tenant_memory_bytes", "gauge", "resident memory of the VM process" },
		{ "aivisor_tenant_vgpu_seconds_total", "counter", "vGPU execution time charged to the tenant" },
		{ "aivisor_tenant_vgpu_queue_wait_seconds_total", "counter", "time the tenant's vGPU commands waited" },
		{ "aivisor_tenant_vgpu_commands_total", "counter", "vGPU commands executed" },
		{ "aivisor_tenant_vgpu_weight", "gauge", "configured vGPU weight" },
		{ "aivisor_tenant_cpu_weight", "gauge", "configured CPU weight" },
	};
	static const char *const states[] = { "shutoff", "running", "stopping", "crashed" };
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		sb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name, m[k].type);
		for (size_t i = 0; i < n; i++) {
			const struct tenant_info *t = &ti[i];
			const char *nm = t->def.name; /* names are [A-Za-z0-9_.-]: no escaping needed */
			switch (k) {
			case 0: sb_printf(&b, "%s{tenant=\"%s\"} %d\n", m[k].name, nm, t->pid != 0); break;
			case 1:
				for (int s = 0; s < 4; s++)
					sb_printf(&b, "%s{tenant=\"%s\",state=\"%s\"} %d\n", m[k].name, nm, states[s],
						  (int)t->state == s);
				break;
			case 2: sb_printf(&b, "%s{tenant=\"%s\"} %u\n", m[k].name, nm, t->restarts); break;
			case 3: sb_printf(&b, "%s{tenant=\"%s\"} %u\n", m[k].name, nm, t->crashes); break;
			case 4: sb_printf(&b, "%s{tenant=\"%s\"} %.6f\n", m[k].name, nm, (double)t->cpu_time_ns / 1e9); break;
			case 5:
				sb_printf(&b, "%s{tenant=\"%s\"} %llu\n", m[k].name, nm,
					  (unsigned long long)t->rss_kib * 1024);
				break;
			case 6: sb_printf(&b, "%s{tenant=\"%s\"} %.6f\n", m[k].name, nm, (double)t->vgpu_time_ns / 1e9); break;
			case 7:
				sb_printf(&b, "%s{tenant=\"%s\"} %.6f\n", m[k].name, nm,
					  (double)t->vgpu_queue_wait_ns / 1e9);
				break;
			case 8:
				sb_printf(&b, "%s{tenant=\"%s\"} %llu\n", m[k].name, nm,
					  (unsigned long long)t->vgpu_commands);
				break;
			case 9: sb_printf(&b, "%s{tenant=\"%s\"} %u\n", m[k].name, nm, t->def.vgpu_weight); break;
			case 10: sb_printf(&b, "%s{tenant=\"%s\"} %u\n", m[k].name, nm, t->def.cpu_weight); break;
			}
		}
	}
	sb_printf(&b, "# HELP aivisor_tenants number of defined tenants\n# TYPE aivisor_tenants gauge\n"
		      "aivisor_tenants %zu\n",
		  n);
	sb_printf(&b, "# HELP aivisor_vgpu_server_up 1 if the vGPU server is running\n"
		      "# TYPE aivisor_vgpu_server_up gauge\naivisor_vgpu_server_up %d\n",
		  !strcmp(vgpu_status, "running") || !strcmp(vgpu_status, "external"));
	sb_printf(&b, "# HELP aivisor_vgpu_server_restarts_total restarts of the vGPU server\n"
		      "# TYPE aivisor_vgpu_server_restarts_total counter\naivisor_vgpu_server_restarts_total %u\n",
		  vgpu_restarts);
	if (*vgpu_backend)
		sb_printf(&b, "# HELP aivisor_vgpu_backend_info the vGPU server's compute backend\n"
			      "# TYPE aivisor_vgpu_backend_info gauge\naivisor_vgpu_backend_info{backend=\"%s\"} 1\n",
			  vgpu_backend);
	return b.failed ? NULL : b.p;
}
