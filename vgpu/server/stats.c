/* stats.c - per-tenant accounting as JSON (vgpu_stats(), aivisord). */
#include <jansson.h>

#include "sched.h"
#include "server_internal.h"

static const char *prio_name(int p)
{
	return p == VGPU_PRIO_HIGH ? "high" : p == VGPU_PRIO_LOW ? "low" : "normal";
}

static json_t *tenant_json(const struct vgpu_server *s, const struct tenant *t)
{
	struct sched_stats st = { 0 };
	sched_tenant_stats(s->sched, t->id, &st);
	return json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
			 "id", (json_int_t)t->id, "name", t->name, "prio", prio_name(t->prio),
			 "weight", (json_int_t)t->weight, "pieces", (json_int_t)st.chunks,
			 "arena_bytes", (json_int_t)t->lay.arena_size,
			 "commands", (json_int_t)t->commands, "errors", (json_int_t)t->errors,
			 "busy_ns", (json_int_t)t->busy_ns,
			 "queue_wait_ns", (json_int_t)t->queue_wait_ns,
			 "queue_wait_p50_ns", (json_int_t)sched_stats_wait_quantile_ns(&st, 0.5),
			 "queue_wait_p99_ns", (json_int_t)sched_stats_wait_quantile_ns(&st, 0.99),
			 "status", t->error ? "error" : "ok");
}

void stats_init(void)
{
	json_object_seed(0);
}

char *stats_json(const struct vgpu_server *s)
{
	json_t *list = json_array(), *root;
	if (!list)
		return NULL;
	for (uint32_t i = 0; i < s->ntenants; i++) {
		json_t *t = tenant_json(s, s->tenants[i]);
		if (!t || json_array_append_new(list, t)) {
			json_decref(list);
			return NULL;
		}
	}
	/* lane_nice_error: why the second lane could not lower its priority
	 * (0: it runs at nice 19, as it should). */
	root = json_pack("{s:s, s:s, s:i, s:I, s:i, s:o}", "backend", s->backend->name,
			 "backend_reason", s->backend_reason, "threads", s->backend->threads(), "slice_ns", (json_int_t)s->slice_ns,
			 "lane_nice_error", s->lane.nice_errno, "tenants", list);
	if (!root)
		return NULL;
	char *out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}
